/* risk.h - pre-trade risk checks (DESIGN.md section 8, the market-access
 * set): every order_intent is checked against hard limits before it is sent,
 * with the order store (gateway/ostore.h) as the book of working orders.
 * Owns the throttle bucket, the kill switch, per-symbol reject-storm backoff
 * and decision counters. One owner thread (the gateway core); time is an
 * argument; no clock reads, printf or allocation after init. */
#ifndef RISK_H
#define RISK_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane/events.h"
#include "gateway/ostore.h"

#define RISK_NS_PER_S 1000000000ull /* throttle units per message */
#define RISK_REASON_MAX 63          /* reason codes are 1..RISK_REASON_MAX */
#define RISK_BPS 10000u             /* basis points per unit */

/* Why an intent was refused; 0 = passed. Stable numbers: they are written
 * to reports and exec_report.reason. Checks run in the order listed. */
enum risk_reason {
	RISK_PASS = 0,
	RISK_BAD_OP = 1,           /* op is not NEW, CANCEL, REPLACE or CANCEL_ALL */
	RISK_BAD_SYMBOL = 2,       /* locate 0 (except CANCEL_ALL) or > max_locate */
	RISK_UNKNOWN_ORDER = 3,    /* CANCEL/REPLACE: orig_token names no open order */
	RISK_ORDER_BUSY = 4,       /* CANCEL/REPLACE: a cancel or replace is in flight,
				    * or REPLACE of an order not yet accepted */
	RISK_KILL_SWITCH = 5,      /* kill switch on: only CANCEL and CANCEL_ALL pass */
	RISK_BAD_SIDE = 6,         /* side not 'B'/'S', or REPLACE changes side/symbol */
	RISK_BAD_TOKEN = 7,        /* token 0 */
	RISK_BAD_QTY = 8,          /* qty 0 */
	RISK_BAD_PRICE = 9,        /* px 0 */
	RISK_DUPLICATE = 10,       /* token already used (open or recently closed order) */
	RISK_BACKOFF = 11,         /* the symbol is backing off after a reject storm */
	RISK_MAX_QTY = 12,         /* qty > max_order_qty */
	RISK_MAX_NOTIONAL = 13,    /* px x qty > max_order_notional */
	RISK_NO_REFERENCE = 14,    /* no reference price for the symbol */
	RISK_PRICE_COLLAR = 15,    /* |px - ref| x 10000 > ref x collar_bps */
	RISK_MAX_LONG = 16,        /* pos + buy reservations would exceed max_position */
	RISK_MAX_SHORT = 17,       /* sell reservations - pos would exceed max_position */
	RISK_MAX_OPEN = 18,        /* open orders would exceed max_open_orders */
	RISK_STORE_FULL = 19,      /* the order store has no free slot */
	RISK_CREDIT = 20,          /* open notional + position notional > credit_limit */
	RISK_SELF_CROSS = 21,      /* would trade with our own opposite order */
	RISK_THROTTLE = 22,        /* message rate: the bucket is empty */
};

struct risk_cfg {
	uint32_t max_order_qty;       /* shares per order, 1..OSTORE_MAX_QTY */
	uint64_t max_order_notional;  /* px x qty per order, 1e-4 USD, > 0 */
	uint32_t collar_bps;          /* allowed |px - ref| / ref, basis points */
	uint64_t max_position;        /* |worst-case position| per symbol, shares */
	uint32_t max_open_orders;     /* open orders, all symbols, > 0 */
	uint64_t credit_limit;        /* open + position notional, all symbols,
				       * 1e-4 USD, > 0, < 2^62 */
	uint32_t rate_per_s;          /* throttle refill, messages per second, > 0 */
	uint32_t burst;               /* throttle capacity, messages, > 0 */
	uint32_t storm_rejects;       /* rejects in storm_window_ns that start a
				       * backoff; 0 = no backoff */
	uint64_t storm_window_ns;     /* window the rejects are counted in */
	uint64_t backoff_ns;          /* first backoff; doubles with each storm */
	uint64_t backoff_max_ns;      /* cap on one backoff, >= backoff_ns */
	uint64_t quiet_ns;            /* no reject for this long: back to the first
				       * backoff */
};

/* Reject-storm state of one symbol. */
struct risk_sym {
	uint64_t win_start_ns;   /* start of the current counting window */
	uint64_t last_reject_ns; /* last reject counted */
	uint64_t until_ns;       /* new orders refused before this time */
	uint32_t n_rejects;      /* rejects counted in the window */
	uint32_t level;          /* storms since the last quiet period */
};

/* What every check reads or writes comes first, then the limits (the ones
 * the checks of an order read lead struct risk_cfg), then the counters of
 * refusals. */
struct risk {
	const struct ostore *os;  /* the working orders (read only) */
	struct risk_sym *sym;     /* os->cfg.max_locate + 1 */
	uint64_t bucket;          /* throttle, units of 1/1e9 message (exact) */
	uint64_t bucket_ns;       /* time of the last refill */
	uint64_t n_pass;          /* intents passed */
	uint64_t until_max_ns;    /* latest risk_sym.until_ns of any symbol */
	int kill;                 /* kill switch on */
	int owned;
	struct risk_cfg cfg;
	uint64_t n_storms;        /* backoffs started */
	uint64_t n_reason[RISK_REASON_MAX + 1]; /* refusals by reason */
};

/* Bytes of memory risk_init needs for os (64-aligned). */
size_t risk_memsize(const struct ostore *os);

/* Set up r for the orders in os (which must outlive r) on mem
 * (risk_memsize(os) bytes, 64-aligned) or, with mem NULL, on memory it
 * allocates. The throttle starts full at now_ns; kill switch off.
 * 0, -EINVAL bad cfg (see struct risk_cfg) or NULL os, -ENOMEM. Start-up. */
int risk_init(struct risk *r, const struct risk_cfg *cfg, const struct ostore *os, void *mem,
	      uint64_t now_ns);

/* Release what init allocated. Accepts NULL. */
void risk_fini(struct risk *r);

/* Check one intent at now_ns. ref_px is the caller's latest reference price
 * for in->locate (e.g. the mid, 1e-4 USD; 0 = none). Returns RISK_PASS or
 * the first failed check (enum risk_reason). On RISK_PASS the intent has
 * spent one throttle message and the caller must send it and record it in
 * the store (ostore_send_*); CANCEL and CANCEL_ALL are never refused by the
 * throttle, the kill switch or a backoff, and spend a message when there is
 * one. A refused NEW/REPLACE counts toward the symbol's reject storm
 * (except RISK_BACKOFF, RISK_KILL_SWITCH, RISK_BAD_SYMBOL). */
enum risk_reason risk_check_order(struct risk *r, const struct order_intent *in, uint32_t ref_px,
				  uint64_t now_ns);

/* risk_check_order that also leaves in *p what its checks found in the
 * order store's token index (on RISK_PASS: orig_slot for a CANCEL or
 * REPLACE, tok_at and tok_used for a NEW or REPLACE), for the send that
 * follows (ostore_send_*_probed) so it need not probe again. p's homes must
 * be set for in (ostore_probe_homes or ostore_prefetch_intent). Same
 * checks, same order, same result. */
enum risk_reason risk_check_probed(struct risk *r, const struct order_intent *in,
				   struct ostore_probe *p, uint32_t ref_px, uint64_t now_ns);

/* The venue rejected an order on locate at now_ns: counts toward the storm. */
void risk_note_venue_reject(struct risk *r, uint16_t locate, uint64_t now_ns);

/* Turn the kill switch on (nonzero) or off. */
void risk_set_kill(struct risk *r, int on);

/* Whole throttle messages available at now_ns (refills the bucket). */
uint32_t risk_budget(struct risk *r, uint64_t now_ns);

/* Short stable name of a reason ("pass", "max_qty", ...); "?" if unknown. */
const char *risk_reason_name(int reason);

#endif /* RISK_H */
