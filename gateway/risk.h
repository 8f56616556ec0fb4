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
#include "hw/compiler.h"
#include "hw/tbucket.h"

#define RISK_NS_PER_S TBUCKET_UNIT /* throttle units per message */
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
	uint64_t bucket_cap;      /* burst x RISK_NS_PER_S: the bucket's top */
	uint64_t full_ns;         /* ceil(bucket_cap / rate_per_s): a gap that
				   * fills an empty bucket */
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

/* Count a refused NEW/REPLACE on locate (1..max_locate) toward its reject
 * storm, starting a backoff at the storm's threshold. Cold: refusals only. */
COLD void risk_storm_note(struct risk *r, uint16_t locate, uint64_t now_ns);

/* ---- the checks, inline: gw_on_intent runs them on every intent, and as
 * a call they cost a frame, register spills and the probe through memory
 * (the risk_*_op helpers are theirs alone) ---------------------------- */

/* The level at now_ns of a bucket refilled at rate_per_s units per ns
 * (1e9 units = one message), exactly: hw/tbucket.h's tbucket_refill with
 * the cap kept (bucket_cap), as the level here never exceeds the cap (it
 * starts there and only a refill raises it). The gap is cut to full_ns,
 * which fills even an empty bucket (full_ns x rate >= cap), so a longer
 * one gives the cap all the same; the product stays under cap + rate and
 * level + add under 2 x cap + rate < 2^64: no overflow test, two clamps
 * and no branch but the test of time. No effect on r. */
static inline uint64_t risk_level(const struct risk *r, uint64_t now_ns)
{
	uint64_t dt, b = r->bucket;

	if (now_ns > r->bucket_ns) {
		dt = now_ns - r->bucket_ns;
		if (dt > r->full_ns)
			dt = r->full_ns;
		b += dt * r->cfg.rate_per_s;
		if (b > r->bucket_cap)
			b = r->bucket_cap;
	}
	return b;
}

/* Bring the bucket to its level at now_ns (a time before its last refill
 * adds nothing and leaves that time). */
static inline void risk_refill(struct risk *r, uint64_t now_ns)
{
	r->bucket = risk_level(r, now_ns);
	if (now_ns > r->bucket_ns)
		r->bucket_ns = now_ns;
}

/* Spend one message of the throttle at now_ns: 1, or 0 (nothing spent)
 * when less than one is left. The refill and the spend as one store of
 * the level (risk_refill's, less the message). */
static inline int risk_take(struct risk *r, uint64_t now_ns)
{
	uint64_t b = risk_level(r, now_ns);

	if (now_ns > r->bucket_ns)
		r->bucket_ns = now_ns;
	if (b < RISK_NS_PER_S) {
		r->bucket = b;
		return 0;
	}
	r->bucket = b - RISK_NS_PER_S;
	return 1;
}

static inline uint64_t risk_absdiff(uint32_t a, uint32_t b)
{
	return a > b ? (uint64_t)a - b : (uint64_t)b - a;
}

static inline enum risk_reason risk_check_cancel_op(const struct ostore *os,
						    const struct order_intent *in,
						    const struct ostore_probe *h,
						    struct ostore_probe *p)
{
	uint32_t slot = p->orig_slot = ostore_find_token_from(os, in->orig_token, h->orig_home);
	const struct ostore_order *o;

	if (slot == OSTORE_NIL)
		return RISK_UNKNOWN_ORDER;
	o = ostore_order_at(os, slot);
	if (o->state == OSTORE_PENDING_CANCEL || o->state == OSTORE_PENDING_REPLACE)
		return RISK_ORDER_BUSY;
	return RISK_PASS;
}

/* NEW and REPLACE, after op and symbol. The tokens' homes from h, what
 * the probes find into p (the same probe, or another: see
 * risk_check_homes). */
static inline enum risk_reason risk_check_order_op(struct risk *r, const struct ostore *os,
						   const struct order_intent *in,
						   const struct ostore_probe *h,
						   struct ostore_probe *p, uint32_t ref_px,
						   uint64_t now_ns)
{
	const struct risk_cfg *c = &r->cfg;
	const struct ostore_sym *s = ostore_sym_at(os, in->locate);
	const struct ostore_order *o = NULL;
	uint32_t slot = OSTORE_NIL;
	uint64_t ntl, add_qty, add_ntl;
	int64_t wc;

	if (in->op == INTENT_REPLACE) {
		slot = p->orig_slot = ostore_find_token_from(os, in->orig_token, h->orig_home);
		if (slot == OSTORE_NIL)
			return RISK_UNKNOWN_ORDER;
		o = ostore_order_at(os, slot);
		if (o->state != OSTORE_LIVE && o->state != OSTORE_PARTIAL)
			return RISK_ORDER_BUSY;
	}
	if (r->kill)
		return RISK_KILL_SWITCH;
	/* A REPLACE keeps its order's side, and the store holds only orders
	 * on 'B' or 'S' (ostore_send_new takes no other): the same test. */
	if (o ? o->side != in->side || o->locate != in->locate
	      : in->side != 'B' && in->side != 'S')
		return RISK_BAD_SIDE;
	if (!in->token)
		return RISK_BAD_TOKEN;
	if (!in->qty)
		return RISK_BAD_QTY;
	if (!in->px)
		return RISK_BAD_PRICE;
	if (ostore_probe_token_from(os, in->token, h->tok_home, p))
		return RISK_DUPLICATE;
	/* The symbol's line is read only while some symbol may be backing off. */
	if (now_ns < r->until_max_ns && now_ns < r->sym[in->locate].until_ns)
		return RISK_BACKOFF;
	if (in->qty > c->max_order_qty)
		return RISK_MAX_QTY;
	ntl = (uint64_t)in->px * in->qty;
	if (ntl > c->max_order_notional)
		return RISK_MAX_NOTIONAL;
	/* With no reference (0) the collar refuses every price (px > 0):
	 * NO_REFERENCE is told apart only then. */
	if (risk_absdiff(in->px, ref_px) * RISK_BPS > (uint64_t)ref_px * c->collar_bps)
		return ref_px ? RISK_PRICE_COLLAR : RISK_NO_REFERENCE;

	/* What the order adds to the reservations: all of it for a NEW; for a
	 * REPLACE, what max(old, new) adds to what the order holds now. */
	add_qty = in->qty;
	add_ntl = ntl;
	if (o) {
		add_qty = in->qty > o->res_qty ? in->qty - o->res_qty : 0;
		add_ntl = ntl > o->res_ntl ? ntl - o->res_ntl : 0;
	}
	p->add_qty = (uint32_t)add_qty; /* <= qty: for the _passed send */
	p->add_ntl = add_ntl;
	if (add_qty) {
		if (in->side == 'B') {
			wc = s->pos + (int64_t)s->buy_res + (int64_t)add_qty;
			if (wc > (int64_t)c->max_position)
				return RISK_MAX_LONG;
		} else {
			wc = (int64_t)s->sell_res + (int64_t)add_qty - s->pos;
			if (wc > (int64_t)c->max_position)
				return RISK_MAX_SHORT;
		}
	}
	if (!o) {
		if (os->n_open >= c->max_open_orders)
			return RISK_MAX_OPEN;
		if (os->free_head == OSTORE_NIL)
			return RISK_STORE_FULL;
	}
	if (add_ntl && os->open_ntl + os->pos_ntl + add_ntl > c->credit_limit)
		return RISK_CREDIT;
	/* The order being replaced is on the same side: it never counts. */
	if (ostore_would_cross(os, in->locate, in->side, in->px))
		return RISK_SELF_CROSS;
	if (!risk_take(r, now_ns))
		return RISK_THROTTLE;
	return RISK_PASS;
}

static ALWAYS_INLINE enum risk_reason risk_check_op(struct risk *r, const struct ostore *os,
						    const struct order_intent *in,
						    const struct ostore_probe *h,
						    struct ostore_probe *p, uint32_t ref_px,
						    uint64_t now_ns)
{
	enum risk_reason why;

	switch (in->op) {
	case INTENT_CANCEL:
		why = risk_check_cancel_op(os, in, h, p);
		break;
	case INTENT_CANCEL_ALL:
		if (in->locate > os->cfg.max_locate)
			return RISK_BAD_SYMBOL;
		why = RISK_PASS;
		break;
	case INTENT_NEW:
	case INTENT_REPLACE:
		if (!in->locate || in->locate > os->cfg.max_locate)
			return RISK_BAD_SYMBOL;
		why = risk_check_order_op(r, os, in, h, p, ref_px, now_ns);
		if (why != RISK_PASS && why != RISK_BACKOFF && why != RISK_KILL_SWITCH)
			risk_storm_note(r, in->locate, now_ns);
		return why;
	default:
		return RISK_BAD_OP;
	}
	/* Cancels reduce risk: never throttled, but they use the budget. */
	if (why == RISK_PASS)
		(void)risk_take(r, now_ns);
	return why;
}

/* risk_check_order that also leaves in *p what its checks found in the
 * order store's token index (on RISK_PASS: orig_slot for a CANCEL or
 * REPLACE, tok_at and tok_used for a NEW or REPLACE), for the send that
 * follows (ostore_send_*_probed or _passed) so it need not probe again.
 * The tokens' homes are read from h, which must have them set for in
 * (ostore_probe_homes or ostore_prefetch_intent); its other fields are
 * not read. h may be p, or a probe of the caller's own: a p in memory
 * that must outlive the call (gw's pending send) then takes no stores of
 * homes that nobody after the checks reads. os is r's store (r->os), from
 * a caller that holds it: what the caller read of it serves the checks
 * too. Same checks, same order, same result. */
static ALWAYS_INLINE enum risk_reason risk_check_homes(struct risk *r, const struct ostore *os,
						       const struct order_intent *in,
						       const struct ostore_probe *h,
						       struct ostore_probe *p, uint32_t ref_px,
						       uint64_t now_ns)
{
	enum risk_reason why = risk_check_op(r, os, in, h, p, ref_px, now_ns);

	if (why == RISK_PASS)
		r->n_pass++;
	else
		r->n_reason[why]++;
	return why;
}

/* risk_check_homes with the homes read from p. */
static ALWAYS_INLINE enum risk_reason risk_check_probed(struct risk *r, const struct ostore *os,
							const struct order_intent *in,
							struct ostore_probe *p, uint32_t ref_px,
							uint64_t now_ns)
{
	return risk_check_homes(r, os, in, p, p, ref_px, now_ns);
}


/* The venue rejected an order on locate at now_ns: counts toward the storm. */
void risk_note_venue_reject(struct risk *r, uint16_t locate, uint64_t now_ns);

/* Turn the kill switch on (nonzero) or off. */
void risk_set_kill(struct risk *r, int on);

/* Whole throttle messages available at now_ns (refills the bucket). */
uint32_t risk_budget(struct risk *r, uint64_t now_ns);

/* Short stable name of a reason ("pass", "max_qty", ...); "?" if unknown. */
const char *risk_reason_name(int reason);

#endif /* RISK_H */
