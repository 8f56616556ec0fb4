/* soup.h - SoupBinTCP 3.00 framing (PROTOCOLS.md section 2): the 3-byte
 * packet header, a stream parser that copes with TCP splitting and merging
 * packets, and the login / data / heartbeat / logout packets both ways.
 * Pure functions over caller buffers; no state, any thread. */
#ifndef SOUP_H
#define SOUP_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hw/compiler.h"

/* Wire layout: Packet Length (u16 BE, counts the type byte and payload),
 * Packet Type, payload. */
enum {
	SOUP_OFF_LEN = 0,
	SOUP_OFF_TYPE = 2,
	SOUP_HDR_LEN = 3,              /* length + type; the payload follows */
	SOUP_MAX_PAYLOAD = 65534,      /* Packet Length is a u16 and counts the type */
	SOUP_USER_LEN = 6,
	SOUP_PASS_LEN = 10,
	SOUP_SESSION_LEN = 10,
	SOUP_SEQ_LEN = 20,             /* ASCII decimal, left-padded with spaces */
	/* Login Request payload */
	SOUP_LREQ_OFF_USER = 0,
	SOUP_LREQ_OFF_PASS = 6,
	SOUP_LREQ_OFF_SESSION = 16,
	SOUP_LREQ_OFF_SEQ = 26,
	SOUP_LREQ_LEN = 46,
	/* Login Accepted payload */
	SOUP_LACC_OFF_SESSION = 0,
	SOUP_LACC_OFF_SEQ = 10,
	SOUP_LACC_LEN = 30,
	/* Login Rejected payload */
	SOUP_LREJ_OFF_REASON = 0,
	SOUP_LREJ_LEN = 1,
};

_Static_assert(SOUP_LREQ_OFF_SEQ + SOUP_SEQ_LEN == SOUP_LREQ_LEN, "login request layout");
_Static_assert(SOUP_LACC_OFF_SEQ + SOUP_SEQ_LEN == SOUP_LACC_LEN, "login accepted layout");
_Static_assert(SOUP_HDR_LEN + SOUP_LREQ_LEN == 49, "login request is 49 bytes on the wire");

/* Packet types. */
#define SOUP_T_DEBUG '+'           /* both: free text */
#define SOUP_T_LOGIN_ACCEPTED 'A'  /* S->C */
#define SOUP_T_LOGIN_REJECTED 'J'  /* S->C */
#define SOUP_T_SEQ_DATA 'S'        /* S->C: one OUCH outbound message */
#define SOUP_T_SERVER_HB 'H'       /* S->C */
#define SOUP_T_END_SESSION 'Z'     /* S->C */
#define SOUP_T_LOGIN_REQUEST 'L'   /* C->S */
#define SOUP_T_UNSEQ_DATA 'U'      /* C->S: one OUCH inbound message */
#define SOUP_T_CLIENT_HB 'R'       /* C->S */
#define SOUP_T_LOGOUT 'O'          /* C->S */

/* Login Rejected reason codes. */
#define SOUP_REJECT_NOT_AUTHORIZED 'A'
#define SOUP_REJECT_NO_SESSION 'S'

/* One framed packet, pointing into the parsed buffer. */
struct soup_pkt {
	const uint8_t *payload;  /* after the type byte; valid while the buffer is */
	uint16_t payload_len;    /* Packet Length - 1 */
	uint8_t type;            /* SOUP_T_* */
};

/* Alpha fields are not NUL-terminated: exactly the wire width, space padded. */
struct soup_login_request {
	char username[SOUP_USER_LEN];
	char password[SOUP_PASS_LEN];
	char session[SOUP_SESSION_LEN]; /* all spaces = the current session */
	uint64_t seq;                   /* next sequenced message wanted; 1 = first */
};

struct soup_login_accepted {
	char session[SOUP_SESSION_LEN];
	uint64_t seq;                   /* next sequenced message the server sends */
};

/* Write the 3-byte header of a packet with payload_len payload bytes at p
 * (payload_len <= SOUP_MAX_PAYLOAD, p has room for 3). Hot path: the caller
 * encodes the OUCH message at p + SOUP_HDR_LEN. */
static ALWAYS_INLINE void soup_hdr_write(uint8_t *p, uint8_t type, uint16_t payload_len)
{
	uint16_t v = htobe16((uint16_t)(payload_len + 1u));

	memcpy(p + SOUP_OFF_LEN, &v, sizeof(v));
	p[SOUP_OFF_TYPE] = type;
}

/* Copy the C string s into the n-byte alpha field dst, space padded.
 * 0, or -EINVAL when s is longer than n (dst then untouched). */
int soup_alpha_set(char *dst, size_t n, const char *s);

/* Parse the first packet of a byte stream (buf, len) into *pkt. Returns the
 * bytes it takes (3 + payload), 0 when more bytes are needed, -EBADMSG when
 * Packet Length is 0, -EPROTO for an unknown type or a length that type
 * cannot have (judged from the header alone, before the payload arrives). */
int soup_parse(const uint8_t *buf, size_t len, struct soup_pkt *pkt);

/* Encoders write one whole packet into (buf, cap) and return its length,
 * or -ENOSPC when cap is too small (nothing useful is written then). */

/* Login Request 'L' (every u64 fits the 20-digit field). */
int soup_encode_login_request(uint8_t *buf, size_t cap, const struct soup_login_request *m);
/* Login Accepted 'A'. */
int soup_encode_login_accepted(uint8_t *buf, size_t cap, const struct soup_login_accepted *m);
/* Login Rejected 'J' with reason (SOUP_REJECT_*). */
int soup_encode_login_rejected(uint8_t *buf, size_t cap, char reason);
/* Payload-less packet: H, R, Z or O; -EINVAL for any other type. */
int soup_encode_empty(uint8_t *buf, size_t cap, uint8_t type);
/* Data-carrying packet: S, U or '+' with n payload bytes copied from
 * payload; -EINVAL for another type, -EMSGSIZE when n > SOUP_MAX_PAYLOAD. */
int soup_encode_data(uint8_t *buf, size_t cap, uint8_t type, const void *payload, size_t n);

/* Decoders take a packet from soup_parse: 0, -EPROTO when the type is not
 * theirs, the length is wrong or a sequence number is not a decimal that
 * fits a u64 (digits, space padding only). */
int soup_decode_login_request(const struct soup_pkt *pkt, struct soup_login_request *m);
int soup_decode_login_accepted(const struct soup_pkt *pkt, struct soup_login_accepted *m);
/* Login Rejected: the reason code into *reason. */
int soup_decode_login_rejected(const struct soup_pkt *pkt, char *reason);

#endif /* SOUP_H */
