/* itch.h - Nasdaq TotalView-ITCH 5.0 decoder: all 23 message types, decoded
 * in place from (buf, len) into a caller-owned struct, never reading past len.
 * Pure functions; any thread. Layouts: PROTOCOLS.md section 5. */
#ifndef ITCH_H
#define ITCH_H

#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hw/compiler.h"
#include "hw/wire.h"

/* Offsets common to every message: type, stock locate, tracking number,
 * 6-byte timestamp (ns since midnight), then the body. */
enum {
	ITCH_OFF_TYPE = 0,
	ITCH_OFF_LOCATE = 1,
	ITCH_OFF_TRACKING = 3,
	ITCH_OFF_TS = 5,
	ITCH_OFF_BODY = 11,
};

/* Field offsets of the order messages (PROTOCOLS.md section 5), for code
 * that reads them straight off the wire (the feed's hot path); itch.c
 * decodes with the same constants. */
enum {
	ITCH_OFF_A_REF = 11, ITCH_OFF_A_SIDE = 19, ITCH_OFF_A_SHARES = 20,
	ITCH_OFF_A_STOCK = 24, ITCH_OFF_A_PRICE = 32, ITCH_OFF_F_MPID = 36,
	ITCH_OFF_E_REF = 11, ITCH_OFF_E_SHARES = 19, ITCH_OFF_E_MATCH = 23,
	ITCH_OFF_C_PRINTABLE = 31, ITCH_OFF_C_PRICE = 32,
	ITCH_OFF_X_REF = 11, ITCH_OFF_X_SHARES = 19,
	ITCH_OFF_D_REF = 11,
	ITCH_OFF_U_OLD = 11, ITCH_OFF_U_NEW = 19, ITCH_OFF_U_SHARES = 27,
	ITCH_OFF_U_PRICE = 31,
};

/* Wire length of each message type, type byte included (PROTOCOLS.md). */
enum {
	ITCH_LEN_S = 12, ITCH_LEN_R = 39, ITCH_LEN_H = 25, ITCH_LEN_Y = 20,
	ITCH_LEN_L = 26, ITCH_LEN_V = 35, ITCH_LEN_W = 12, ITCH_LEN_K = 28,
	ITCH_LEN_J = 35, ITCH_LEN_h = 21, ITCH_LEN_A = 36, ITCH_LEN_F = 40,
	ITCH_LEN_E = 31, ITCH_LEN_C = 36, ITCH_LEN_X = 23, ITCH_LEN_D = 19,
	ITCH_LEN_U = 35, ITCH_LEN_P = 44, ITCH_LEN_Q = 40, ITCH_LEN_B = 19,
	ITCH_LEN_I = 50, ITCH_LEN_N = 20, ITCH_LEN_O = 48,
};

/* Decode results, errno values (negated on return). */
enum itch_err {
	ITCH_ESHORT = EMSGSIZE,  /* shorter than its type's length */
	ITCH_EUNKNOWN = ENOMSG,  /* type byte is not an ITCH 5.0 message */
	ITCH_EEMPTY = ENODATA,   /* zero-length message */
};

/* Length of a message of `type`, or 0 for an unknown type. */
extern const uint8_t itch_msg_len[256];

struct itch_msg {
	uint8_t type;
	uint16_t locate;    /* stock locate code, per-day symbol index */
	uint16_t tracking;
	uint64_t ts_ns;     /* ns since midnight */
	union {
		struct { uint8_t event_code; } system_event;                     /* S */
		struct {                                                         /* R */
			char stock[8];
			uint8_t market_category, financial_status;
			uint32_t round_lot_size;
			uint8_t round_lots_only, issue_classification;
			char issue_sub_type[2];
			uint8_t authenticity, short_sale_threshold, ipo_flag;
			uint8_t luld_tier, etp_flag;
			uint32_t etp_leverage;
			uint8_t inverse;
		} directory;
		struct { char stock[8]; uint8_t state, reserved; char reason[4]; } trading_action; /* H */
		struct { char stock[8]; uint8_t action; } reg_sho;               /* Y */
		struct {                                                         /* L */
			char mpid[4];
			char stock[8];
			uint8_t primary, mode, state;
		} mp_position;
		struct { uint64_t level[3]; /* 1e-8 USD */ } mwcb_decline;       /* V */
		struct { uint8_t level; } mwcb_status;                           /* W */
		struct {                                                         /* K */
			char stock[8];
			uint32_t release_time; /* s since midnight */
			uint8_t qualifier;
			uint32_t price;        /* 1e-4 USD */
		} ipo;
		struct {                                                         /* J */
			char stock[8];
			uint32_t ref_price, upper, lower; /* 1e-4 USD */
			uint32_t extension;
		} luld;
		struct { char stock[8]; uint8_t market_code, action; } op_halt;  /* h */
		struct {                                                         /* A, F */
			uint64_t ref;
			uint8_t side;     /* 'B' or 'S' */
			uint32_t shares;
			char stock[8];
			uint32_t price;   /* 1e-4 USD */
			char mpid[4];     /* F only; spaces for A */
		} add;
		struct {                                                         /* E, C */
			uint64_t ref;
			uint32_t shares;
			uint64_t match;
			uint8_t printable; /* C only; 'Y' for E */
			uint32_t price;    /* C only: 1e-4 USD; 0 for E (resting price) */
		} exec;
		struct { uint64_t ref; uint32_t shares; } cancel;                /* X */
		struct { uint64_t ref; } del;                                    /* D */
		struct {                                                         /* U */
			uint64_t old_ref, new_ref;
			uint32_t shares;
			uint32_t price;   /* 1e-4 USD */
		} replace;
		struct {                                                         /* P */
			uint64_t ref;
			uint8_t side;
			uint32_t shares;
			char stock[8];
			uint32_t price;   /* 1e-4 USD */
			uint64_t match;
		} trade;
		struct {                                                         /* Q */
			uint64_t shares;
			char stock[8];
			uint32_t price;   /* 1e-4 USD */
			uint64_t match;
			uint8_t cross_type;
		} cross;
		struct { uint64_t match; } broken;                               /* B */
		struct {                                                         /* I */
			uint64_t paired, imbalance;
			uint8_t direction;
			char stock[8];
			uint32_t far_price, near_price, ref_price; /* 1e-4 USD */
			uint8_t cross_type, price_variation;
		} noii;
		struct { char stock[8]; uint8_t flag; } rpii;                    /* N */
		struct {                                                         /* O */
			char stock[8];
			uint8_t open_eligible;
			uint32_t min_price, max_price, near_price; /* 1e-4 USD */
			uint64_t near_time;
			uint32_t lower_collar, upper_collar;       /* 1e-4 USD */
		} dlcr;
	};
};

/* Decode one message. Returns the bytes it occupies (its type's length; any
 * trailing bytes in len are not read), or -ITCH_EEMPTY, -ITCH_ESHORT,
 * -ITCH_EUNKNOWN. On error *m is unspecified. Defined in itch.c with the
 * per-type field offsets. */
int itch_decode(const uint8_t *buf, size_t len, struct itch_msg *m);

/* Message type name for reports ("add order", ...), "unknown" otherwise. */
const char *itch_type_name(uint8_t type);

#endif /* ITCH_H */
