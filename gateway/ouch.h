/* ouch.h - OUCH 5.0 codec, byte-exact (PROTOCOLS.md section 4): inbound
 * (client -> venue) and outbound (venue -> client) messages both ways, so the
 * gateway and the paper venue share one wire path. Owns the offset tables, the
 * TagValue appendage and the hot-path Enter/Replace/Cancel/Modify encoders
 * (inline, no allocation). Pure functions over caller buffers; any thread. */
#ifndef OUCH_H
#define OUCH_H

#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hw/compiler.h"
#include "hw/wire.h"

/* ---- wire layout: offsets from the type byte, total fixed lengths -------- */

enum {
	OUCH_OFF_TYPE = 0,
	OUCH_SYMBOL_LEN = 8,
	OUCH_CLORDID_LEN = 14,
	OUCH_APPLEN_LEN = 2,      /* Appendage Length, u16 BE, before the TagValues */

	/* inbound 'O' Enter Order */
	OUCH_ENTER_OFF_URN = 1,
	OUCH_ENTER_OFF_SIDE = 5,
	OUCH_ENTER_OFF_QTY = 6,
	OUCH_ENTER_OFF_SYMBOL = 10,
	OUCH_ENTER_OFF_PRICE = 18,
	OUCH_ENTER_OFF_TIF = 26,
	OUCH_ENTER_OFF_DISPLAY = 27,
	OUCH_ENTER_OFF_CAPACITY = 28,
	OUCH_ENTER_OFF_ISO = 29,
	OUCH_ENTER_OFF_CROSS = 30,
	OUCH_ENTER_OFF_CLORDID = 31,
	OUCH_ENTER_OFF_APPLEN = 45,
	OUCH_ENTER_LEN = 47,
	/* inbound 'U' Replace Order */
	OUCH_REPLACE_OFF_ORIG_URN = 1,
	OUCH_REPLACE_OFF_URN = 5,
	OUCH_REPLACE_OFF_QTY = 9,
	OUCH_REPLACE_OFF_PRICE = 13,
	OUCH_REPLACE_OFF_TIF = 21,
	OUCH_REPLACE_OFF_DISPLAY = 22,
	OUCH_REPLACE_OFF_ISO = 23,
	OUCH_REPLACE_OFF_CLORDID = 24,
	OUCH_REPLACE_OFF_APPLEN = 38,
	OUCH_REPLACE_LEN = 40,
	/* inbound 'X' Cancel Order */
	OUCH_CANCEL_OFF_URN = 1,
	OUCH_CANCEL_OFF_QTY = 5,
	OUCH_CANCEL_LEN = 9,
	/* inbound 'M' Modify Order */
	OUCH_MODIFY_OFF_URN = 1,
	OUCH_MODIFY_OFF_SIDE = 5,
	OUCH_MODIFY_OFF_QTY = 6,
	OUCH_MODIFY_LEN = 10,
	/* inbound 'Q' Account Query: the type byte alone */
	OUCH_ACCOUNT_QUERY_LEN = 1,

	/* outbound: every message has Timestamp @1 and most UserRefNum @9 */
	OUCH_OUT_OFF_TS = 1,
	OUCH_OUT_OFF_URN = 9,
	/* 'S' System Event */
	OUCH_SYSEV_OFF_EVENT = 9,
	OUCH_SYSEV_LEN = 10,
	/* 'A' Order Accepted */
	OUCH_ACC_OFF_SIDE = 13,
	OUCH_ACC_OFF_QTY = 14,
	OUCH_ACC_OFF_SYMBOL = 18,
	OUCH_ACC_OFF_PRICE = 26,
	OUCH_ACC_OFF_TIF = 34,
	OUCH_ACC_OFF_DISPLAY = 35,
	OUCH_ACC_OFF_ORDREF = 36,
	OUCH_ACC_OFF_CAPACITY = 44,
	OUCH_ACC_OFF_ISO = 45,
	OUCH_ACC_OFF_CROSS = 46,
	OUCH_ACC_OFF_STATE = 47,
	OUCH_ACC_OFF_CLORDID = 48,
	OUCH_ACC_OFF_APPLEN = 62,
	OUCH_ACC_LEN = 64,
	/* 'U' Order Replaced */
	OUCH_REPL_OFF_ORIG_URN = 9,
	OUCH_REPL_OFF_URN = 13,
	OUCH_REPL_OFF_SIDE = 17,
	OUCH_REPL_OFF_QTY = 18,
	OUCH_REPL_OFF_SYMBOL = 22,
	OUCH_REPL_OFF_PRICE = 30,
	OUCH_REPL_OFF_TIF = 38,
	OUCH_REPL_OFF_DISPLAY = 39,
	OUCH_REPL_OFF_ORDREF = 40,
	OUCH_REPL_OFF_CAPACITY = 48,
	OUCH_REPL_OFF_ISO = 49,
	OUCH_REPL_OFF_CROSS = 50,
	OUCH_REPL_OFF_STATE = 51,
	OUCH_REPL_OFF_CLORDID = 52,
	OUCH_REPL_OFF_APPLEN = 66,
	OUCH_REPL_LEN = 68,
	/* 'C' Order Canceled */
	OUCH_CXLD_OFF_QTY = 13,
	OUCH_CXLD_OFF_REASON = 17,
	OUCH_CXLD_LEN = 18,
	/* 'D' AIQ Canceled */
	OUCH_AIQ_OFF_DECR = 13,
	OUCH_AIQ_OFF_REASON = 17,
	OUCH_AIQ_OFF_PREVENTED = 18,
	OUCH_AIQ_OFF_PRICE = 22,
	OUCH_AIQ_OFF_LIQ = 30,
	OUCH_AIQ_LEN = 31,
	/* 'E' Order Executed */
	OUCH_EXEC_OFF_QTY = 13,
	OUCH_EXEC_OFF_PRICE = 17,
	OUCH_EXEC_OFF_LIQ = 25,
	OUCH_EXEC_OFF_MATCH = 26,
	OUCH_EXEC_OFF_APPLEN = 34,
	OUCH_EXEC_LEN = 36,
	/* 'B' Broken Trade */
	OUCH_BRKN_OFF_MATCH = 13,
	OUCH_BRKN_OFF_REASON = 21,
	OUCH_BRKN_OFF_CLORDID = 22,
	OUCH_BRKN_LEN = 36,
	/* 'F' Trade Correction */
	OUCH_CORR_OFF_QTY = 13,
	OUCH_CORR_OFF_PRICE = 17,
	OUCH_CORR_OFF_LIQ = 25,
	OUCH_CORR_OFF_MATCH = 26,
	OUCH_CORR_OFF_REASON = 34,
	OUCH_CORR_OFF_CLORDID = 35,
	OUCH_CORR_LEN = 49,
	/* 'J' Rejected */
	OUCH_REJ_OFF_REASON = 13,  /* u16 */
	OUCH_REJ_OFF_CLORDID = 15,
	OUCH_REJ_LEN = 29,
	/* 'P' Cancel Pending and 'I' Cancel Reject */
	OUCH_URN_EVENT_LEN = 13,
	/* 'T' Priority Update */
	OUCH_PRIO_OFF_PRICE = 13,
	OUCH_PRIO_OFF_DISPLAY = 21,
	OUCH_PRIO_OFF_ORDREF = 22,
	OUCH_PRIO_LEN = 30,
	/* 'M' Order Modified */
	OUCH_MODD_OFF_SIDE = 13,
	OUCH_MODD_OFF_QTY = 14,
	OUCH_MODD_LEN = 18,
	/* 'R' Order Restated */
	OUCH_REST_OFF_REASON = 13,
	OUCH_REST_OFF_APPLEN = 14,
	OUCH_REST_LEN = 16,
	/* 'Q' Account Query Response */
	OUCH_AQR_OFF_NEXT_URN = 9,
	OUCH_AQR_LEN = 13,

	/* TagValue: Length u8 (tag + value bytes), Tag u8, value */
	OUCH_TV_OFF_LEN = 0,
	OUCH_TV_OFF_TAG = 1,
	OUCH_TV_OFF_VAL = 2,
};

_Static_assert(OUCH_ENTER_OFF_APPLEN + OUCH_APPLEN_LEN == OUCH_ENTER_LEN, "enter layout");
_Static_assert(OUCH_ENTER_OFF_CLORDID + OUCH_CLORDID_LEN == OUCH_ENTER_OFF_APPLEN, "enter layout");
_Static_assert(OUCH_ENTER_OFF_PRICE + 8 == OUCH_ENTER_OFF_TIF, "enter layout");
_Static_assert(OUCH_REPLACE_OFF_APPLEN + OUCH_APPLEN_LEN == OUCH_REPLACE_LEN, "replace layout");
_Static_assert(OUCH_REPLACE_OFF_CLORDID + OUCH_CLORDID_LEN == OUCH_REPLACE_OFF_APPLEN,
	       "replace layout");
_Static_assert(OUCH_CANCEL_OFF_QTY + 4 == OUCH_CANCEL_LEN, "cancel layout");
_Static_assert(OUCH_MODIFY_OFF_QTY + 4 == OUCH_MODIFY_LEN, "modify layout");
_Static_assert(OUCH_SYSEV_OFF_EVENT + 1 == OUCH_SYSEV_LEN, "system event layout");
_Static_assert(OUCH_ACC_OFF_CLORDID + OUCH_CLORDID_LEN + OUCH_APPLEN_LEN == OUCH_ACC_LEN,
	       "accepted layout");
_Static_assert(OUCH_REPL_OFF_CLORDID + OUCH_CLORDID_LEN + OUCH_APPLEN_LEN == OUCH_REPL_LEN,
	       "replaced layout");
_Static_assert(OUCH_CXLD_OFF_REASON + 1 == OUCH_CXLD_LEN, "canceled layout");
_Static_assert(OUCH_AIQ_OFF_LIQ + 1 == OUCH_AIQ_LEN, "aiq canceled layout");
_Static_assert(OUCH_EXEC_OFF_APPLEN + OUCH_APPLEN_LEN == OUCH_EXEC_LEN, "executed layout");
_Static_assert(OUCH_BRKN_OFF_CLORDID + OUCH_CLORDID_LEN == OUCH_BRKN_LEN, "broken layout");
_Static_assert(OUCH_CORR_OFF_CLORDID + OUCH_CLORDID_LEN == OUCH_CORR_LEN, "correction layout");
_Static_assert(OUCH_REJ_OFF_CLORDID + OUCH_CLORDID_LEN == OUCH_REJ_LEN, "rejected layout");
_Static_assert(OUCH_OUT_OFF_URN + 4 == OUCH_URN_EVENT_LEN, "cancel pending layout");
_Static_assert(OUCH_PRIO_OFF_ORDREF + 8 == OUCH_PRIO_LEN, "priority update layout");
_Static_assert(OUCH_MODD_OFF_QTY + 4 == OUCH_MODD_LEN, "modified layout");
_Static_assert(OUCH_REST_OFF_APPLEN + OUCH_APPLEN_LEN == OUCH_REST_LEN, "restated layout");
_Static_assert(OUCH_AQR_OFF_NEXT_URN + 4 == OUCH_AQR_LEN, "account query response layout");

/* Message types. 'U' and 'M' mean different things per direction. */
#define OUCH_IN_ENTER 'O'
#define OUCH_IN_REPLACE 'U'
#define OUCH_IN_CANCEL 'X'
#define OUCH_IN_MODIFY 'M'
#define OUCH_IN_ACCOUNT_QUERY 'Q'

#define OUCH_OUT_SYSTEM_EVENT 'S'
#define OUCH_OUT_ACCEPTED 'A'
#define OUCH_OUT_REPLACED 'U'
#define OUCH_OUT_CANCELED 'C'
#define OUCH_OUT_AIQ_CANCELED 'D'
#define OUCH_OUT_EXECUTED 'E'
#define OUCH_OUT_BROKEN 'B'
#define OUCH_OUT_REJECTED 'J'
#define OUCH_OUT_CANCEL_PENDING 'P'
#define OUCH_OUT_CANCEL_REJECT 'I'
#define OUCH_OUT_PRIORITY_UPDATE 'T'
#define OUCH_OUT_MODIFIED 'M'
#define OUCH_OUT_RESTATED 'R'
#define OUCH_OUT_CORRECTION 'F'
#define OUCH_OUT_ACCOUNT_QUERY_RESP 'Q'

/* Appendage tags (value widths in ouch_tag_width). */
enum ouch_tag {
	OUCH_TAG_FIRM = 2,                  /* alpha 4 */
	OUCH_TAG_MIN_QTY = 3,               /* u32 */
	OUCH_TAG_CUSTOMER_TYPE = 4,         /* alpha 1 */
	OUCH_TAG_MAX_FLOOR = 5,             /* u32 */
	OUCH_TAG_PRICE_TYPE = 6,            /* alpha 1 */
	OUCH_TAG_PEG_OFFSET = 7,            /* i32, 1e-4 USD */
	OUCH_TAG_DISCRETION_PRICE = 9,      /* u64, 1e-4 USD */
	OUCH_TAG_DISCRETION_PRICE_TYPE = 10, /* alpha 1 */
	OUCH_TAG_DISCRETION_PEG_OFFSET = 11, /* i32, 1e-4 USD */
	OUCH_TAG_POST_ONLY = 12,            /* alpha 1 */
	OUCH_TAG_RANDOM_RESERVES = 13,      /* u32 */
	OUCH_TAG_ROUTE = 14,                /* alpha 4 */
	OUCH_TAG_EXPIRE_TIME = 15,          /* u32 seconds */
	OUCH_TAG_TRADE_NOW = 16,            /* alpha 1 */
	OUCH_TAG_HANDLE_INST = 17,          /* alpha 1 */
	OUCH_TAG_BBO_WEIGHT = 18,           /* alpha 1 */
	OUCH_TAG_REFERENCE_PRICE = 19,      /* u64, 1e-4 USD */
	OUCH_TAG_REFERENCE_PRICE_TYPE = 20, /* alpha 1 */
};

#define OUCH_APP_MAX_TAGS 16  /* TagValues kept per message */
#define OUCH_TAG_VAL_MAX 8    /* widest value (prices) */

/* One TagValue, value bytes exactly as on the wire (big-endian numbers,
 * space-padded alpha). */
struct ouch_tv {
	uint8_t tag;
	uint8_t len;                  /* value bytes, <= OUCH_TAG_VAL_MAX */
	uint8_t val[OUCH_TAG_VAL_MAX];
};

/* An appendage: TagValues in wire order. Build with ouch_app_add*. */
struct ouch_app {
	uint8_t n;
	struct ouch_tv tv[OUCH_APP_MAX_TAGS];
};

/* ---- inbound messages (client -> venue) ---------------------------------
 * Alpha fields are exactly the wire width, space padded, not terminated.
 * Prices are 1e-4 USD; quantities in shares. */

struct ouch_enter {
	uint32_t user_ref_num;   /* day-unique, strictly increasing per account */
	uint32_t qty;
	uint64_t price;          /* 1e-4 USD */
	char symbol[OUCH_SYMBOL_LEN];
	char clordid[OUCH_CLORDID_LEN];
	char side;               /* B, S, T sell short, E short exempt */
	char tif;                /* 0 day, 3 IOC, 5 GTX, 6 GTT, E after hours */
	char display;
	char capacity;
	char iso;                /* inter-market sweep eligibility */
	char cross_type;
	struct ouch_app app;
};

struct ouch_replace {
	uint32_t orig_user_ref_num;
	uint32_t user_ref_num;   /* the replacement's own, new number */
	uint32_t qty;
	uint64_t price;          /* 1e-4 USD */
	char clordid[OUCH_CLORDID_LEN];
	char tif;
	char display;
	char iso;
	struct ouch_app app;
};

struct ouch_cancel {
	uint32_t user_ref_num;
	uint32_t qty;            /* new intended total size; 0 = cancel all */
};

struct ouch_modify {
	uint32_t user_ref_num;
	uint32_t qty;
	char side;
};

/* A decoded inbound message; type selects the member (none for 'Q'). */
struct ouch_in {
	char type;
	union {
		struct ouch_enter enter;
		struct ouch_replace replace;
		struct ouch_cancel cancel;
		struct ouch_modify modify;
	} u;
};

/* ---- outbound messages (venue -> client); ts_ns since midnight ---------- */

struct ouch_system_event {
	uint64_t ts_ns;
	char event_code;         /* S start of day, E end of day */
};

struct ouch_accepted {
	uint64_t ts_ns;
	uint64_t price;          /* 1e-4 USD */
	uint64_t order_ref;      /* venue's order reference number */
	uint32_t user_ref_num;
	uint32_t qty;
	char symbol[OUCH_SYMBOL_LEN];
	char clordid[OUCH_CLORDID_LEN];
	char side, tif, display, capacity, iso, cross_type;
	char order_state;        /* L live, D dead */
	struct ouch_app app;
};

struct ouch_replaced {
	uint64_t ts_ns;
	uint64_t price;          /* 1e-4 USD */
	uint64_t order_ref;
	uint32_t orig_user_ref_num;
	uint32_t user_ref_num;
	uint32_t qty;
	char symbol[OUCH_SYMBOL_LEN];
	char clordid[OUCH_CLORDID_LEN];
	char side, tif, display, capacity, iso, cross_type, order_state;
	struct ouch_app app;
};

struct ouch_canceled {
	uint64_t ts_ns;
	uint32_t user_ref_num;
	uint32_t qty;            /* shares taken off the order */
	char reason;
};

struct ouch_aiq_canceled {
	uint64_t ts_ns;
	uint64_t exec_price;     /* 1e-4 USD */
	uint32_t user_ref_num;
	uint32_t decrement_qty;
	uint32_t qty_prevented;  /* quantity prevented from trading */
	char reason;
	char liquidity;
};

struct ouch_executed {
	uint64_t ts_ns;
	uint64_t price;          /* 1e-4 USD */
	uint64_t match_num;
	uint32_t user_ref_num;
	uint32_t qty;
	char liquidity;
	struct ouch_app app;
};

struct ouch_broken {
	uint64_t ts_ns;
	uint64_t match_num;
	uint32_t user_ref_num;
	char reason;             /* E erroneous, C consent, S supervisory, X external */
	char clordid[OUCH_CLORDID_LEN];
};

struct ouch_correction {
	uint64_t ts_ns;
	uint64_t price;          /* 1e-4 USD */
	uint64_t match_num;
	uint32_t user_ref_num;
	uint32_t qty;
	char liquidity;
	char reason;
	char clordid[OUCH_CLORDID_LEN];
};

struct ouch_rejected {
	uint64_t ts_ns;
	uint32_t user_ref_num;
	uint16_t reason;         /* e.g. 6 fat finger, 23 invalid symbol */
	char clordid[OUCH_CLORDID_LEN];
};

/* Cancel Pending 'P' and Cancel Reject 'I'. */
struct ouch_urn_event {
	uint64_t ts_ns;
	uint32_t user_ref_num;
};

struct ouch_priority_update {
	uint64_t ts_ns;
	uint64_t price;          /* 1e-4 USD */
	uint64_t order_ref;
	uint32_t user_ref_num;
	char display;
};

struct ouch_modified {
	uint64_t ts_ns;
	uint32_t user_ref_num;
	uint32_t qty;
	char side;
};

struct ouch_restated {
	uint64_t ts_ns;
	uint32_t user_ref_num;
	char reason;
	struct ouch_app app;
};

struct ouch_account_query_resp {
	uint64_t ts_ns;
	uint32_t next_user_ref_num;
};

/* A decoded outbound message; type selects the member. */
struct ouch_out {
	char type;
	union {
		struct ouch_system_event system_event;
		struct ouch_accepted accepted;
		struct ouch_replaced replaced;
		struct ouch_canceled canceled;
		struct ouch_aiq_canceled aiq_canceled;
		struct ouch_executed executed;
		struct ouch_broken broken;
		struct ouch_rejected rejected;
		struct ouch_urn_event cancel_pending;
		struct ouch_urn_event cancel_reject;
		struct ouch_priority_update priority_update;
		struct ouch_modified modified;
		struct ouch_restated restated;
		struct ouch_correction correction;
		struct ouch_account_query_resp account_query_resp;
	} u;
};

/* ---- helpers ------------------------------------------------------------ */

/* Bytes the appendage takes on the wire (without its length field). */
static ALWAYS_INLINE size_t ouch_app_wire_len(const struct ouch_app *a)
{
	size_t k = 0;

	for (unsigned i = 0; i < a->n; i++)
		k += 2u + a->tv[i].len;
	return k;
}

/* Write Appendage Length at p and the TagValues after it; returns the bytes
 * written (2 + ouch_app_wire_len). The caller checked the room. */
static ALWAYS_INLINE size_t ouch_app_write(uint8_t *p, const struct ouch_app *a)
{
	size_t k = OUCH_APPLEN_LEN;

	for (unsigned i = 0; i < a->n; i++) {
		const struct ouch_tv *tv = &a->tv[i];

		p[k + OUCH_TV_OFF_LEN] = (uint8_t)(1u + tv->len);
		p[k + OUCH_TV_OFF_TAG] = tv->tag;
		memcpy(p + k + OUCH_TV_OFF_VAL, tv->val, tv->len);
		k += 2u + tv->len;
	}
	wire_put16(p, (uint16_t)(k - OUCH_APPLEN_LEN));
	return k;
}

/* ---- hot-path encoders: one whole message into (buf, cap) ---------------
 * Each returns the bytes written, or -ENOSPC when cap is too small (nothing
 * written then). The appendage must have been built with ouch_app_add*
 * (value lengths <= OUCH_TAG_VAL_MAX). */

/* Enter Order 'O' but its ClOrdID: every other byte of the 47 +
 * appendage, or -ENOSPC (nothing written). For a caller that writes the
 * ClOrdID itself straight into buf + OUCH_ENTER_OFF_CLORDID, before this
 * call when its writer spills into the bytes in front of the field (this
 * writes all of them) or past its end (the Appendage Length is written
 * here). */
static ALWAYS_INLINE int ouch_enter_encode_no_id(uint8_t *buf, size_t cap,
						 const struct ouch_enter *m)
{
	size_t n = OUCH_ENTER_LEN + ouch_app_wire_len(&m->app);

	if (UNLIKELY(cap < n))
		return -ENOSPC;
	buf[OUCH_OFF_TYPE] = OUCH_IN_ENTER;
	wire_put32(buf + OUCH_ENTER_OFF_URN, m->user_ref_num);
	buf[OUCH_ENTER_OFF_SIDE] = (uint8_t)m->side;
	wire_put32(buf + OUCH_ENTER_OFF_QTY, m->qty);
	memcpy(buf + OUCH_ENTER_OFF_SYMBOL, m->symbol, OUCH_SYMBOL_LEN);
	wire_put64(buf + OUCH_ENTER_OFF_PRICE, m->price);
	buf[OUCH_ENTER_OFF_TIF] = (uint8_t)m->tif;
	buf[OUCH_ENTER_OFF_DISPLAY] = (uint8_t)m->display;
	buf[OUCH_ENTER_OFF_CAPACITY] = (uint8_t)m->capacity;
	buf[OUCH_ENTER_OFF_ISO] = (uint8_t)m->iso;
	buf[OUCH_ENTER_OFF_CROSS] = (uint8_t)m->cross_type;
	ouch_app_write(buf + OUCH_ENTER_OFF_APPLEN, &m->app);
	return (int)n;
}

/* Enter Order 'O': 47 + appendage bytes. */
static ALWAYS_INLINE int ouch_enter_encode(uint8_t *buf, size_t cap, const struct ouch_enter *m)
{
	int n = ouch_enter_encode_no_id(buf, cap, m);

	if (n > 0)
		memcpy(buf + OUCH_ENTER_OFF_CLORDID, m->clordid, OUCH_CLORDID_LEN);
	return n;
}

/* Replace Order 'U' but its ClOrdID, as ouch_enter_encode_no_id: the caller
 * writes it at buf + OUCH_REPLACE_OFF_CLORDID before this call. */
static ALWAYS_INLINE int ouch_replace_encode_no_id(uint8_t *buf, size_t cap,
						   const struct ouch_replace *m)
{
	size_t n = OUCH_REPLACE_LEN + ouch_app_wire_len(&m->app);

	if (UNLIKELY(cap < n))
		return -ENOSPC;
	buf[OUCH_OFF_TYPE] = OUCH_IN_REPLACE;
	wire_put32(buf + OUCH_REPLACE_OFF_ORIG_URN, m->orig_user_ref_num);
	wire_put32(buf + OUCH_REPLACE_OFF_URN, m->user_ref_num);
	wire_put32(buf + OUCH_REPLACE_OFF_QTY, m->qty);
	wire_put64(buf + OUCH_REPLACE_OFF_PRICE, m->price);
	buf[OUCH_REPLACE_OFF_TIF] = (uint8_t)m->tif;
	buf[OUCH_REPLACE_OFF_DISPLAY] = (uint8_t)m->display;
	buf[OUCH_REPLACE_OFF_ISO] = (uint8_t)m->iso;
	ouch_app_write(buf + OUCH_REPLACE_OFF_APPLEN, &m->app);
	return (int)n;
}

/* Replace Order 'U': 40 + appendage bytes. */
static ALWAYS_INLINE int ouch_replace_encode(uint8_t *buf, size_t cap,
					     const struct ouch_replace *m)
{
	int n = ouch_replace_encode_no_id(buf, cap, m);

	if (n > 0)
		memcpy(buf + OUCH_REPLACE_OFF_CLORDID, m->clordid, OUCH_CLORDID_LEN);
	return n;
}

/* Cancel Order 'X': 9 bytes. */
static ALWAYS_INLINE int ouch_cancel_encode(uint8_t *buf, size_t cap, const struct ouch_cancel *m)
{
	if (UNLIKELY(cap < OUCH_CANCEL_LEN))
		return -ENOSPC;
	buf[OUCH_OFF_TYPE] = OUCH_IN_CANCEL;
	wire_put32(buf + OUCH_CANCEL_OFF_URN, m->user_ref_num);
	wire_put32(buf + OUCH_CANCEL_OFF_QTY, m->qty);
	return OUCH_CANCEL_LEN;
}

/* Modify Order 'M': 10 bytes. */
static ALWAYS_INLINE int ouch_modify_encode(uint8_t *buf, size_t cap, const struct ouch_modify *m)
{
	if (UNLIKELY(cap < OUCH_MODIFY_LEN))
		return -ENOSPC;
	buf[OUCH_OFF_TYPE] = OUCH_IN_MODIFY;
	wire_put32(buf + OUCH_MODIFY_OFF_URN, m->user_ref_num);
	buf[OUCH_MODIFY_OFF_SIDE] = (uint8_t)m->side;
	wire_put32(buf + OUCH_MODIFY_OFF_QTY, m->qty);
	return OUCH_MODIFY_LEN;
}

/* ---- OUCH 4.2 (PROTOCOLS.md section 3): Enter and Cancel only ------------
 * Still common at venues; Wireshark's `ouch` dissector decodes 4.2, which
 * gives the tests an independent reader of our bytes. */

enum {
	OUCH_V42_TOKEN_LEN = 14,
	OUCH_V42_ENTER_OFF_TOKEN = 1,
	OUCH_V42_ENTER_OFF_SIDE = 15,
	OUCH_V42_ENTER_OFF_SHARES = 16,
	OUCH_V42_ENTER_OFF_STOCK = 20,
	OUCH_V42_ENTER_OFF_PRICE = 28,
	OUCH_V42_ENTER_OFF_TIF = 32,
	OUCH_V42_ENTER_OFF_FIRM = 36,
	OUCH_V42_ENTER_OFF_DISPLAY = 40,
	OUCH_V42_ENTER_OFF_CAPACITY = 41,
	OUCH_V42_ENTER_OFF_ISO = 42,
	OUCH_V42_ENTER_OFF_MIN_QTY = 43,
	OUCH_V42_ENTER_OFF_CROSS = 47,
	OUCH_V42_ENTER_OFF_CUSTOMER = 48,
	OUCH_V42_ENTER_LEN = 49,
	OUCH_V42_CANCEL_OFF_TOKEN = 1,
	OUCH_V42_CANCEL_OFF_SHARES = 15,
	OUCH_V42_CANCEL_LEN = 19,
	OUCH_V42_FIRM_LEN = 4,
};

_Static_assert(OUCH_V42_ENTER_OFF_CUSTOMER + 1 == OUCH_V42_ENTER_LEN, "4.2 enter layout");
_Static_assert(OUCH_V42_ENTER_OFF_TOKEN + OUCH_V42_TOKEN_LEN == OUCH_V42_ENTER_OFF_SIDE,
	       "4.2 enter layout");
_Static_assert(OUCH_V42_CANCEL_OFF_SHARES + 4 == OUCH_V42_CANCEL_LEN, "4.2 cancel layout");

struct ouch_v42_enter {
	char token[OUCH_V42_TOKEN_LEN]; /* day-unique order token, alpha */
	uint32_t shares;
	uint32_t price;          /* 1e-4 USD */
	uint32_t tif_s;          /* seconds; 0 IOC, 99998 market hours, 99999 system */
	uint32_t min_qty;
	char stock[OUCH_SYMBOL_LEN];
	char firm[OUCH_V42_FIRM_LEN];
	char side, display, capacity, iso, cross_type, customer_type;
};

struct ouch_v42_cancel {
	char token[OUCH_V42_TOKEN_LEN];
	uint32_t shares;         /* new intended total size; 0 = cancel all */
};

/* OUCH 4.2 Enter Order 'O': 49 bytes, or -ENOSPC. */
static ALWAYS_INLINE int ouch_v42_enter_encode(uint8_t *buf, size_t cap,
					       const struct ouch_v42_enter *m)
{
	if (UNLIKELY(cap < OUCH_V42_ENTER_LEN))
		return -ENOSPC;
	buf[OUCH_OFF_TYPE] = 'O';
	memcpy(buf + OUCH_V42_ENTER_OFF_TOKEN, m->token, OUCH_V42_TOKEN_LEN);
	buf[OUCH_V42_ENTER_OFF_SIDE] = (uint8_t)m->side;
	wire_put32(buf + OUCH_V42_ENTER_OFF_SHARES, m->shares);
	memcpy(buf + OUCH_V42_ENTER_OFF_STOCK, m->stock, OUCH_SYMBOL_LEN);
	wire_put32(buf + OUCH_V42_ENTER_OFF_PRICE, m->price);
	wire_put32(buf + OUCH_V42_ENTER_OFF_TIF, m->tif_s);
	memcpy(buf + OUCH_V42_ENTER_OFF_FIRM, m->firm, OUCH_V42_FIRM_LEN);
	buf[OUCH_V42_ENTER_OFF_DISPLAY] = (uint8_t)m->display;
	buf[OUCH_V42_ENTER_OFF_CAPACITY] = (uint8_t)m->capacity;
	buf[OUCH_V42_ENTER_OFF_ISO] = (uint8_t)m->iso;
	wire_put32(buf + OUCH_V42_ENTER_OFF_MIN_QTY, m->min_qty);
	buf[OUCH_V42_ENTER_OFF_CROSS] = (uint8_t)m->cross_type;
	buf[OUCH_V42_ENTER_OFF_CUSTOMER] = (uint8_t)m->customer_type;
	return OUCH_V42_ENTER_LEN;
}

/* OUCH 4.2 Cancel Order 'X': 19 bytes, or -ENOSPC. */
static ALWAYS_INLINE int ouch_v42_cancel_encode(uint8_t *buf, size_t cap,
						const struct ouch_v42_cancel *m)
{
	if (UNLIKELY(cap < OUCH_V42_CANCEL_LEN))
		return -ENOSPC;
	buf[OUCH_OFF_TYPE] = 'X';
	memcpy(buf + OUCH_V42_CANCEL_OFF_TOKEN, m->token, OUCH_V42_TOKEN_LEN);
	wire_put32(buf + OUCH_V42_CANCEL_OFF_SHARES, m->shares);
	return OUCH_V42_CANCEL_LEN;
}

/* ---- cold-path API (ouch.c) --------------------------------------------- */

/* Copy the C string s into the n-byte alpha field dst, space padded.
 * 0, or -EINVAL when s is longer than n (dst then untouched). */
int ouch_alpha_set(char *dst, size_t n, const char *s);

/* Spec value width of a tag, or 0 for a tag this codec does not know. */
unsigned ouch_tag_width(uint8_t tag);

/* Append a TagValue of len raw wire bytes. 0, -ENOSPC when the appendage
 * holds OUCH_APP_MAX_TAGS already, -EINVAL when len > OUCH_TAG_VAL_MAX or
 * differs from a known tag's width. */
int ouch_app_add(struct ouch_app *a, uint8_t tag, const void *val, size_t len);
/* Typed appends (numbers stored big-endian; alpha space padded to the tag's
 * width, -EINVAL when longer). Same returns as ouch_app_add. */
int ouch_app_add_u32(struct ouch_app *a, uint8_t tag, uint32_t v);
int ouch_app_add_u64(struct ouch_app *a, uint8_t tag, uint64_t v);
int ouch_app_add_alpha(struct ouch_app *a, uint8_t tag, const char *s);

/* First TagValue with this tag, or NULL. */
const struct ouch_tv *ouch_app_find(const struct ouch_app *a, uint8_t tag);
/* Numeric value of tag: 0, -ENOENT absent, -EPROTO its width is not 4 / 8. */
int ouch_app_get_u32(const struct ouch_app *a, uint8_t tag, uint32_t *v);
int ouch_app_get_u64(const struct ouch_app *a, uint8_t tag, uint64_t *v);

/* Fixed length of an inbound / outbound message type (up to and including
 * Appendage Length), or 0 for a type the direction does not have. */
unsigned ouch_in_len(uint8_t type);
unsigned ouch_out_len(uint8_t type);

/* Encode one message of type m->type into (buf, cap). Bytes written,
 * -ENOSPC, or -EPROTO for a type the direction does not have. */
int ouch_in_encode(uint8_t *buf, size_t cap, const struct ouch_in *m);
int ouch_out_encode(uint8_t *buf, size_t cap, const struct ouch_out *m);

/* Decode the message at (buf, len) (one SoupBinTCP U / S payload) into *m.
 * Returns its length (fixed part + appendage; bytes after it are not read),
 * or: -EBADMSG len is shorter than the type's fixed length or than the
 * declared appendage (len 0 included); -EPROTO unknown type; appendage
 * errors: -EOVERFLOW a TagValue runs past the Appendage Length, -EILSEQ a
 * TagValue of length 0 or a known tag of the wrong width, -E2BIG more than
 * OUCH_APP_MAX_TAGS entries or a value wider than OUCH_TAG_VAL_MAX. Never
 * reads past len; *m is garbage after an error. */
int ouch_in_decode(const uint8_t *buf, size_t len, struct ouch_in *m);
int ouch_out_decode(const uint8_t *buf, size_t len, struct ouch_out *m);

#endif /* OUCH_H */
