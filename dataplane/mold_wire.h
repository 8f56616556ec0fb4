/* mold_wire.h - MoldUDP64 1.00 wire layout (PROTOCOLS.md section 1): the
 * 20-byte downstream/request header and the 2-byte message block length,
 * read and written with memcpy and byte swaps. Pure inline; any thread. */
#ifndef MOLD_WIRE_H
#define MOLD_WIRE_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

#include "hw/compiler.h"
#include "hw/wire.h"

enum {
	MOLD_OFF_SESSION = 0,
	MOLD_OFF_SEQ = 10,
	MOLD_OFF_COUNT = 18,
	MOLD_HDR_LEN = 20,       /* header; message blocks follow */
	MOLD_SESSION_LEN = 10,
	MOLD_BLOCK_HDR_LEN = 2,  /* u16 BE message length before each message */
	MOLD_REQUEST_LEN = 20,   /* re-request packet: same shape as the header */
};

#define MOLD_COUNT_HEARTBEAT 0u
#define MOLD_COUNT_END 0xFFFFu

_Static_assert(MOLD_OFF_COUNT + 2 == MOLD_HDR_LEN, "MoldUDP64 header layout");

struct mold_hdr {
	char session[MOLD_SESSION_LEN]; /* alpha, space padded, not terminated */
	uint64_t seq;    /* first message's sequence; next expected in heartbeats */
	uint16_t count;  /* messages; 0 heartbeat; 0xFFFF end of session */
};

/* Read the header of a packet of len bytes. 0, or -1 when len < 20. */
static ALWAYS_INLINE int mold_hdr_read(const uint8_t *p, size_t len, struct mold_hdr *h)
{
	if (UNLIKELY(len < MOLD_HDR_LEN))
		return -1;
	memcpy(h->session, p + MOLD_OFF_SESSION, MOLD_SESSION_LEN);
	h->seq = wire_get64(p + MOLD_OFF_SEQ);
	h->count = wire_get16(p + MOLD_OFF_COUNT);
	return 0;
}

/* Write a 20-byte header (downstream packet or re-request) at p. */
static ALWAYS_INLINE void mold_hdr_write(uint8_t *p, const char session[MOLD_SESSION_LEN],
					 uint64_t seq, uint16_t count)
{
	memcpy(p + MOLD_OFF_SESSION, session, MOLD_SESSION_LEN);
	wire_put64(p + MOLD_OFF_SEQ, seq);
	wire_put16(p + MOLD_OFF_COUNT, count);
}

/* Read a message block's length at p (u16 BE). */
static ALWAYS_INLINE uint16_t mold_block_len(const uint8_t *p)
{
	return wire_get16(p);
}

/* Write a message block's length at p. */
static ALWAYS_INLINE void mold_block_len_write(uint8_t *p, uint16_t len)
{
	wire_put16(p, len);
}

#endif /* MOLD_WIRE_H */
