/* risk.c - pre-trade checks over the order store: field checks, kill switch,
 * duplicate tokens, per-symbol reject-storm backoff, size / notional /
 * collar / worst-case position / open orders / credit / self-cross limits,
 * and an integer token-bucket throttle. One owner thread; no allocation
 * after risk_init. */
#include "gateway/risk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN64(x) (((x) + 63u) & ~(size_t)63u)

static int cfg_ok(const struct risk_cfg *c)
{
	return c && c->max_order_qty >= 1 && c->max_order_qty <= OSTORE_MAX_QTY &&
	       c->max_order_notional > 0 && c->max_open_orders > 0 && c->credit_limit > 0 &&
	       c->credit_limit < (1ull << 62) && c->max_position < (1ull << 62) &&
	       c->rate_per_s > 0 && c->burst > 0 &&
	       (!c->storm_rejects || (c->backoff_ns > 0 && c->backoff_max_ns >= c->backoff_ns));
}

size_t risk_memsize(const struct ostore *os)
{
	if (!os || !os->cfg.max_locate)
		return 0;
	return ALIGN64(((size_t)os->cfg.max_locate + 1) * sizeof(struct risk_sym));
}

int risk_init(struct risk *r, const struct risk_cfg *cfg, const struct ostore *os, void *mem,
	      uint64_t now_ns)
{
	size_t sz = risk_memsize(os);

	if (!r || !cfg_ok(cfg) || !sz || ((uintptr_t)mem & 63u))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	if (!mem) {
		mem = aligned_alloc(64, sz);
		if (!mem)
			return -ENOMEM;
		r->owned = 1;
	}
	memset(mem, 0, sz);
	r->sym = mem;
	r->cfg = *cfg;
	r->os = os;
	r->bucket = (uint64_t)cfg->burst * RISK_NS_PER_S;
	r->bucket_ns = now_ns;
	return 0;
}

void risk_fini(struct risk *r)
{
	if (!r)
		return;
	if (r->owned)
		free(r->sym);
	memset(r, 0, sizeof(*r));
}

void risk_set_kill(struct risk *r, int on)
{
	r->kill = on != 0;
}

/* ---- throttle ------------------------------------------------------------ */

/* Refill at rate_per_s units per ns (1e9 units = one message), exactly. */
static void refill(struct risk *r, uint64_t now_ns)
{
	uint64_t cap = (uint64_t)r->cfg.burst * RISK_NS_PER_S;

	if (now_ns <= r->bucket_ns)
		return; /* time standing still or stepping back adds nothing */
	uint64_t dt = now_ns - r->bucket_ns, room = cap - r->bucket, add;

	/* dt * rate > room <=> dt > room / rate (floor): the same test as a
	 * division, without its latency on every check. */
	if (__builtin_mul_overflow(dt, (uint64_t)r->cfg.rate_per_s, &add) || add > room)
		r->bucket = cap;
	else
		r->bucket += add;
	if (r->bucket > cap)
		r->bucket = cap;
	r->bucket_ns = now_ns;
}

uint32_t risk_budget(struct risk *r, uint64_t now_ns)
{
	refill(r, now_ns);
	return (uint32_t)(r->bucket / RISK_NS_PER_S);
}

/* ---- reject storms ------------------------------------------------------- */

static uint64_t since(uint64_t now, uint64_t t)
{
	return now > t ? now - t : 0;
}

static void storm_note(struct risk *r, uint16_t locate, uint64_t now_ns)
{
	struct risk_sym *s = &r->sym[locate];
	const struct risk_cfg *c = &r->cfg;

	if (!c->storm_rejects)
		return;
	if (s->level && since(now_ns, s->last_reject_ns) >= c->quiet_ns)
		s->level = 0;
	if (!s->n_rejects || since(now_ns, s->win_start_ns) > c->storm_window_ns) {
		s->win_start_ns = now_ns;
		s->n_rejects = 0;
	}
	s->n_rejects++;
	s->last_reject_ns = now_ns;
	if (s->n_rejects < c->storm_rejects)
		return;
	uint64_t b = c->backoff_ns;

	for (uint32_t i = 0; i < s->level && b < c->backoff_max_ns; i++)
		b <<= 1;
	if (b > c->backoff_max_ns)
		b = c->backoff_max_ns;
	s->until_ns = now_ns + b;
	if (s->until_ns > r->until_max_ns)
		r->until_max_ns = s->until_ns;
	if (s->level < 63)
		s->level++;
	s->n_rejects = 0;
	r->n_storms++;
}

void risk_note_venue_reject(struct risk *r, uint16_t locate, uint64_t now_ns)
{
	if (locate && locate <= r->os->cfg.max_locate)
		storm_note(r, locate, now_ns);
}

/* ---- the checks ---------------------------------------------------------- */

static uint64_t absdiff(uint32_t a, uint32_t b)
{
	return a > b ? (uint64_t)a - b : (uint64_t)b - a;
}

static enum risk_reason check_cancel(const struct risk *r, const struct order_intent *in,
				     struct ostore_probe *p)
{
	uint32_t slot = p->orig_slot = ostore_find_token_from(r->os, in->orig_token, p->orig_home);
	const struct ostore_order *o;

	if (slot == OSTORE_NIL)
		return RISK_UNKNOWN_ORDER;
	o = ostore_order_at(r->os, slot);
	if (o->state == OSTORE_PENDING_CANCEL || o->state == OSTORE_PENDING_REPLACE)
		return RISK_ORDER_BUSY;
	return RISK_PASS;
}

/* NEW and REPLACE, after op and symbol. */
static enum risk_reason check_order(struct risk *r, const struct order_intent *in,
				    struct ostore_probe *p, uint32_t ref_px, uint64_t now_ns)
{
	const struct risk_cfg *c = &r->cfg;
	const struct ostore *os = r->os;
	const struct ostore_sym *s = ostore_sym_at(os, in->locate);
	const struct ostore_order *o = NULL;
	uint32_t slot = OSTORE_NIL;
	uint64_t ntl, add_qty, add_ntl;
	int64_t wc;

	if (in->op == INTENT_REPLACE) {
		slot = p->orig_slot = ostore_find_token_from(os, in->orig_token, p->orig_home);
		if (slot == OSTORE_NIL)
			return RISK_UNKNOWN_ORDER;
		o = ostore_order_at(os, slot);
		if (o->state != OSTORE_LIVE && o->state != OSTORE_PARTIAL)
			return RISK_ORDER_BUSY;
	}
	if (r->kill)
		return RISK_KILL_SWITCH;
	if ((in->side != 'B' && in->side != 'S') ||
	    (o && (o->side != in->side || o->locate != in->locate)))
		return RISK_BAD_SIDE;
	if (!in->token)
		return RISK_BAD_TOKEN;
	if (!in->qty)
		return RISK_BAD_QTY;
	if (!in->px)
		return RISK_BAD_PRICE;
	if (ostore_probe_token_from(os, in->token, p->tok_home, p))
		return RISK_DUPLICATE;
	/* The symbol's line is read only while some symbol may be backing off. */
	if (now_ns < r->until_max_ns && now_ns < r->sym[in->locate].until_ns)
		return RISK_BACKOFF;
	if (in->qty > c->max_order_qty)
		return RISK_MAX_QTY;
	ntl = (uint64_t)in->px * in->qty;
	if (ntl > c->max_order_notional)
		return RISK_MAX_NOTIONAL;
	if (!ref_px)
		return RISK_NO_REFERENCE;
	if (absdiff(in->px, ref_px) * RISK_BPS > (uint64_t)ref_px * c->collar_bps)
		return RISK_PRICE_COLLAR;

	/* What the order adds to the reservations: all of it for a NEW; for a
	 * REPLACE, what max(old, new) adds to what the order holds now. */
	add_qty = in->qty;
	add_ntl = ntl;
	if (o) {
		add_qty = in->qty > o->res_qty ? in->qty - o->res_qty : 0;
		add_ntl = ntl > o->res_ntl ? ntl - o->res_ntl : 0;
	}
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
	refill(r, now_ns);
	if (r->bucket < RISK_NS_PER_S)
		return RISK_THROTTLE;
	r->bucket -= RISK_NS_PER_S;
	return RISK_PASS;
}

static enum risk_reason check(struct risk *r, const struct order_intent *in,
			      struct ostore_probe *p, uint32_t ref_px, uint64_t now_ns)
{
	enum risk_reason why;

	switch (in->op) {
	case INTENT_CANCEL:
		why = check_cancel(r, in, p);
		break;
	case INTENT_CANCEL_ALL:
		if (in->locate > r->os->cfg.max_locate)
			return RISK_BAD_SYMBOL;
		why = RISK_PASS;
		break;
	case INTENT_NEW:
	case INTENT_REPLACE:
		if (!in->locate || in->locate > r->os->cfg.max_locate)
			return RISK_BAD_SYMBOL;
		why = check_order(r, in, p, ref_px, now_ns);
		if (why != RISK_PASS && why != RISK_BACKOFF && why != RISK_KILL_SWITCH)
			storm_note(r, in->locate, now_ns);
		return why;
	default:
		return RISK_BAD_OP;
	}
	if (why == RISK_PASS) {
		/* Cancels reduce risk: never throttled, but they use the budget. */
		refill(r, now_ns);
		if (r->bucket >= RISK_NS_PER_S)
			r->bucket -= RISK_NS_PER_S;
	}
	return why;
}

enum risk_reason risk_check_probed(struct risk *r, const struct order_intent *in,
				   struct ostore_probe *p, uint32_t ref_px, uint64_t now_ns)
{
	enum risk_reason why = check(r, in, p, ref_px, now_ns);

	if (why == RISK_PASS)
		r->n_pass++;
	else
		r->n_reason[why]++;
	return why;
}

enum risk_reason risk_check_order(struct risk *r, const struct order_intent *in, uint32_t ref_px,
				  uint64_t now_ns)
{
	struct ostore_probe p;

	ostore_probe_homes(r->os, in, &p);
	return risk_check_probed(r, in, &p, ref_px, now_ns);
}

const char *risk_reason_name(int reason)
{
	static const char *const names[] = {
		[RISK_PASS] = "pass",
		[RISK_BAD_OP] = "bad_op",
		[RISK_BAD_SYMBOL] = "bad_symbol",
		[RISK_UNKNOWN_ORDER] = "unknown_order",
		[RISK_ORDER_BUSY] = "order_busy",
		[RISK_KILL_SWITCH] = "kill_switch",
		[RISK_BAD_SIDE] = "bad_side",
		[RISK_BAD_TOKEN] = "bad_token",
		[RISK_BAD_QTY] = "bad_qty",
		[RISK_BAD_PRICE] = "bad_price",
		[RISK_DUPLICATE] = "duplicate",
		[RISK_BACKOFF] = "backoff",
		[RISK_MAX_QTY] = "max_qty",
		[RISK_MAX_NOTIONAL] = "max_notional",
		[RISK_NO_REFERENCE] = "no_reference",
		[RISK_PRICE_COLLAR] = "price_collar",
		[RISK_MAX_LONG] = "max_long",
		[RISK_MAX_SHORT] = "max_short",
		[RISK_MAX_OPEN] = "max_open",
		[RISK_STORE_FULL] = "store_full",
		[RISK_CREDIT] = "credit",
		[RISK_SELF_CROSS] = "self_cross",
		[RISK_THROTTLE] = "throttle",
	};

	if (reason < 0 || reason >= (int)(sizeof(names) / sizeof(names[0])) || !names[reason])
		return "?";
	return names[reason];
}
