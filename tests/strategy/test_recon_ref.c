/* test_recon_ref.c - cmocka tests holding strategy/recon.c to a plain
 * reference model of the same contract (every level against every slot,
 * one candidate list scanned once per class, the bucket refilled with a
 * division, the working slots read from the states): edge cases,
 * randomized tables (also sides of at most one level and one order,
 * recon_plan's own path, and ladder-shaped sides where most pairs are
 * exact), targets, controls and budgets must give the same
 * intents and the same struct recon, byte for byte, and active[] must
 * follow the states. Single-threaded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "strategy/recon.h"

#define MS 1000000ull
#define T0 (10 * RECON_NS_PER_S)
#define OUT_MAX 40

static const struct recon_cfg CFG = {
	.locate = 7, .tick = 100, .tol_ticks = 1, .tol_front_ticks = 3,
	.min_life_ns = 5 * MS, .max_age_ns = 1000 * MS, .token_base = 1000,
	.rate_per_s = 1000, .burst = 20,
};

/* ---- reference model ---------------------------------------------------- */

enum { REF_RISK = 0, REF_PRESENCE = 1, REF_REST = 2, REF_NCLS = 3 };

struct ref_cand {
	int64_t px;
	uint32_t qty;
	uint8_t cls, op, reason, side;
	int slot; /* CANCEL/REPLACE: working slot; NEW: -1 */
};

static int ref_active(const struct recon_order *o)
{
	return o->state == RECON_PENDING || o->state == RECON_LIVE;
}

static int64_t ref_abs(int64_t v)
{
	return v < 0 ? -v : v;
}

static void ref_refill(struct recon *r, uint64_t now_ns)
{
	uint64_t cap = (uint64_t)r->cfg.burst * RECON_NS_PER_S;

	if (now_ns > r->bucket_ns) {
		uint64_t dt = now_ns - r->bucket_ns;
		uint64_t need = cap - r->bucket;

		if (dt > need / r->cfg.rate_per_s)
			r->bucket = cap;
		else
			r->bucket += dt * r->cfg.rate_per_s;
		if (r->bucket > cap)
			r->bucket = cap;
		r->bucket_ns = now_ns;
	}
}

static uint8_t ref_block(const struct recon_ctl *c, int side)
{
	if (!c)
		return 0;
	if (c->stale)
		return REASON_STALE_BOOK;
	if (c->halted)
		return REASON_HALTED;
	if (c->red && !c->red_allow[side])
		return REASON_REGIME_RED;
	if (c->pulled[side])
		return REASON_TOXIC_PULL;
	if (c->grow_block[side])
		return REASON_RISK_REDUCE;
	return 0;
}

static void ref_add(struct ref_cand *c, uint32_t *n, uint8_t cls, uint8_t op, uint8_t reason,
		    int side, int slot, int64_t px, uint32_t qty)
{
	c[*n] = (struct ref_cand){ .px = px, .qty = qty, .cls = cls, .op = op,
				   .reason = reason, .side = (uint8_t)side, .slot = slot };
	(*n)++;
}

/* One side: greedy over every (valid level, active slot) pair, closest
 * first, ties to the lower level then the lower slot. */
static void ref_side(struct recon *r, uint64_t now_ns, int side, const struct quote_level *lv,
		     uint32_t n_lv, uint8_t block, struct ref_cand *c, uint32_t *n)
{
	const struct recon_order *ord = r->ord[side];
	int match[RECON_MAX_LEVELS], used[RECON_MAX_LEVELS] = { 0 }, ok[RECON_MAX_LEVELS];
	uint32_t active = 0;

	for (int i = 0; i < RECON_MAX_LEVELS; i++)
		if (ref_active(&ord[i])) {
			if (block)
				ref_add(c, n, REF_RISK, INTENT_CANCEL, block, side, i, ord[i].px,
					ord[i].qty);
			active++;
		}
	if (block)
		return;
	if (n_lv > RECON_MAX_LEVELS)
		n_lv = RECON_MAX_LEVELS;
	for (uint32_t l = 0; l < n_lv; l++) {
		match[l] = -1;
		ok[l] = lv[l].px > 0 && lv[l].px <= (int64_t)UINT32_MAX && lv[l].qty > 0;
	}
	for (;;) {
		int bl = -1, bs = -1;
		int64_t bd = 0;

		for (uint32_t l = 0; l < n_lv; l++)
			for (int i = 0; i < RECON_MAX_LEVELS; i++) {
				int64_t d;

				if (!ok[l] || match[l] >= 0 || used[i] || !ref_active(&ord[i]))
					continue;
				d = ref_abs(ord[i].px - lv[l].px);
				if (bl < 0 || d < bd) {
					bl = (int)l;
					bs = i;
					bd = d;
				}
			}
		if (bl < 0)
			break;
		match[bl] = bs;
		used[bs] = 1;
	}
	for (uint32_t l = 0; l < n_lv; l++) {
		const struct recon_order *o;
		uint64_t age;
		int64_t tol;
		uint8_t reason = 0;

		if (!ok[l])
			continue;
		if (match[l] < 0) {
			int pres = active == 0;

			ref_add(c, n, pres ? REF_PRESENCE : REF_REST, INTENT_NEW,
				pres ? REASON_PRESENCE : REASON_QUOTE_NEW, side, -1, lv[l].px,
				lv[l].qty);
			active++;
			continue;
		}
		o = &ord[match[l]];
		if (o->state == RECON_PENDING)
			continue;
		age = now_ns > o->born_ns ? now_ns - o->born_ns : 0;
		tol = (int64_t)(o->front ? r->cfg.tol_front_ticks : r->cfg.tol_ticks) * r->cfg.tick;
		if (ref_abs(o->px - lv[l].px) > tol)
			reason = REASON_QUOTE_REPRICE;
		else if (r->cfg.max_age_ns && age > r->cfg.max_age_ns)
			reason = REASON_QUOTE_AGE;
		else if (o->qty != lv[l].qty)
			reason = REASON_QUOTE_SIZE;
		if (!reason)
			continue;
		if (age < r->cfg.min_life_ns) {
			r->n_blocked++;
			continue;
		}
		ref_add(c, n, REF_REST, INTENT_REPLACE, reason, side, match[l], lv[l].px, lv[l].qty);
	}
	for (int i = 0; i < RECON_MAX_LEVELS; i++) {
		int m = 0;

		for (uint32_t l = 0; l < n_lv; l++)
			m |= match[l] == i;
		if (ref_active(&ord[i]) && !m)
			ref_add(c, n, REF_RISK, INTENT_CANCEL, REASON_QUOTE_EXCESS, side, i,
				ord[i].px, ord[i].qty);
	}
}

static void ref_intent(const struct recon *r, struct order_intent *o, uint64_t now_tsc,
		       uint64_t t_rx_tsc, uint8_t op, uint8_t reason, int side)
{
	memset(o, 0, sizeof(*o));
	o->t_rx_tsc = t_rx_tsc;
	o->t_decide_tsc = now_tsc;
	o->locate = r->cfg.locate;
	o->op = op;
	o->reason = reason;
	o->side = side == QUOTE_BID ? 'B' : 'S';
}

static int ref_emit(struct recon *r, const struct ref_cand *c, uint64_t now_ns,
		    uint64_t now_tsc, uint64_t t_rx_tsc, struct order_intent *o)
{
	struct recon_order *slot = NULL;

	if (c->op == INTENT_NEW) {
		for (int i = 0; i < RECON_MAX_LEVELS && !slot; i++)
			if (r->ord[c->side][i].state == RECON_FREE)
				slot = &r->ord[c->side][i];
		if (!slot)
			return 0;
	} else {
		slot = &r->ord[c->side][c->slot];
	}
	ref_intent(r, o, now_tsc, t_rx_tsc, c->op, c->reason, c->side);
	o->px = (uint32_t)c->px;
	o->qty = c->qty;
	if (c->op == INTENT_CANCEL) {
		o->orig_token = slot->token;
		slot->state = RECON_CANCELING;
		return 1;
	}
	o->flags = INTENT_F_POST_ONLY;
	o->orig_token = c->op == INTENT_REPLACE ? slot->token : 0;
	if (c->op == INTENT_REPLACE) {
		slot->orig_token = slot->token;
		slot->orig_born_ns = slot->born_ns;
		slot->orig_px = slot->px;
		slot->orig_qty = slot->qty;
	} else {
		slot->orig_token = 0;
		slot->orig_born_ns = 0;
		slot->orig_px = 0;
		slot->orig_qty = 0;
	}
	o->token = r->next_token++;
	slot->token = o->token;
	slot->px = c->px;
	slot->qty = c->qty;
	slot->born_ns = now_ns;
	slot->state = RECON_PENDING;
	slot->front = 0;
	return 1;
}

static uint32_t ref_plan(struct recon *r, uint64_t now_ns, uint64_t now_tsc, uint64_t t_rx_tsc,
			 const struct quote_ladder *target, const struct recon_ctl *ctl,
			 struct order_intent *out, uint32_t max)
{
	struct ref_cand c[4 * RECON_MAX_LEVELS];
	uint32_t nc = 0, n = 0, deferred = 0;
	uint64_t blocked = r->n_blocked;

	ref_refill(r, now_ns);
	r->quiet_until_ns = 0;
	if (ctl && ctl->kill) {
		if (r->kill_sent || max == 0)
			return 0;
		ref_intent(r, &out[0], now_tsc, t_rx_tsc, INTENT_CANCEL_ALL, REASON_KILL, 0);
		out[0].side = 0;
		if (r->bucket >= RECON_NS_PER_S)
			r->bucket -= RECON_NS_PER_S;
		for (int s = 0; s < 2; s++)
			for (int i = 0; i < RECON_MAX_LEVELS; i++)
				if (ref_active(&r->ord[s][i]))
					r->ord[s][i].state = RECON_CANCELING;
		r->kill_sent = 1;
		return 1;
	}
	r->kill_sent = 0;
	for (int s = 0; s < 2; s++)
		ref_side(r, now_ns, s, !target ? NULL : s ? target->ask : target->bid,
			 !target ? 0 : s ? target->n_ask : target->n_bid, ref_block(ctl, s), c, &nc);
	for (uint8_t cls = 0; cls < REF_NCLS; cls++)
		for (uint32_t i = 0; i < nc; i++) {
			if (c[i].cls != cls)
				continue;
			if (n >= max || r->bucket < RECON_NS_PER_S ||
			    !ref_emit(r, &c[i], now_ns, now_tsc, t_rx_tsc, &out[n])) {
				deferred++;
				continue;
			}
			r->bucket -= RECON_NS_PER_S;
			n++;
		}
	r->last_deferred = deferred;
	r->n_deferred += deferred;
	if (nc == 0 && r->n_blocked == blocked) {
		uint64_t until = UINT64_MAX;

		if (r->cfg.max_age_ns)
			for (int s = 0; s < 2; s++)
				for (int i = 0; i < RECON_MAX_LEVELS; i++) {
					const struct recon_order *o = &r->ord[s][i];

					if (ref_active(o) && o->born_ns < until - r->cfg.max_age_ns)
						until = o->born_ns + r->cfg.max_age_ns;
				}
		r->quiet_until_ns = until;
	}
	return n;
}

/* ---- comparison ------------------------------------------------------- */

static void dump(const char *what, const struct recon *r, const struct quote_ladder *t,
		 const struct recon_ctl *c, uint64_t now_ns, uint32_t max)
{
	print_error("%s: now=%llu max=%u bucket=%llu bucket_ns=%llu\n", what,
		    (unsigned long long)now_ns, max, (unsigned long long)r->bucket,
		    (unsigned long long)r->bucket_ns);
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < RECON_MAX_LEVELS; i++) {
			const struct recon_order *o = &r->ord[s][i];

			if (o->state != RECON_FREE)
				print_error(" ord[%d][%d] st=%u px=%lld qty=%u born=%llu front=%u\n",
					    s, i, o->state, (long long)o->px, o->qty,
					    (unsigned long long)o->born_ns, o->front);
		}
	if (t)
		for (int s = 0; s < 2; s++) {
			uint32_t n = s ? t->n_ask : t->n_bid;

			for (uint32_t l = 0; l < n && l < QUOTE_MAX_LEVELS; l++)
				print_error(" lv[%d][%u] px=%lld qty=%u\n", s, l,
					    (long long)(s ? t->ask : t->bid)[l].px,
					    (s ? t->ask : t->bid)[l].qty);
		}
	if (c)
		print_error(" ctl stale=%u halted=%u kill=%u red=%u allow=%u,%u pulled=%u,%u "
			    "grow=%u,%u\n", c->stale, c->halted, c->kill, c->red, c->red_allow[0],
			    c->red_allow[1], c->pulled[0], c->pulled[1], c->grow_block[0],
			    c->grow_block[1]);
}

/* r->active against the states: the bit of every PENDING or LIVE slot;
 * and a kept until_memo against the earliest maximum age of those. */
static void check_active(const struct recon *r)
{
	uint64_t until = UINT64_MAX;

	for (int s = 0; s < 2; s++) {
		unsigned want = 0;

		for (int i = 0; i < RECON_MAX_LEVELS; i++)
			if (ref_active(&r->ord[s][i])) {
				want |= 1u << i;
				if (r->ord[s][i].born_ns < until - r->cfg.max_age_ns)
					until = r->ord[s][i].born_ns + r->cfg.max_age_ns;
			}
		if (r->active[s] != want)
			print_error("active[%d] = %#x, states say %#x\n", s, r->active[s], want);
		assert_int_equal(r->active[s], want);
	}
	if (r->until_ok)
		assert_int_equal(r->until_memo, until);
}

/* Plan on copies of *r with both models; they must agree on the count, the
 * intents and every byte of the table. *r becomes the result. */
static uint32_t same_plan(struct recon *r, uint64_t now_ns, const struct quote_ladder *t,
			  const struct recon_ctl *c, uint32_t max)
{
	struct order_intent oa[OUT_MAX], ob[OUT_MAX];
	struct recon a = *r, b = *r;
	uint32_t na, nb;

	memset(oa, 0x5a, sizeof(oa));
	memset(ob, 0x5a, sizeof(ob));
	na = recon_plan(&a, now_ns, 222, 111, t, c, oa, max);
	nb = ref_plan(&b, now_ns, 222, 111, t, c, ob, max);
	check_active(&a);
	b.active[0] = a.active[0]; /* the reference reads the states alone */
	b.active[1] = a.active[1];
	b.until_ok = a.until_ok; /* and keeps no memo */
	b.until_memo = a.until_memo;
	if (na != nb || memcmp(oa, ob, sizeof(oa)) != 0 || memcmp(&a, &b, sizeof(a)) != 0)
		dump("recon_plan differs from the reference", r, t, c, now_ns, max);
	assert_int_equal(na, nb);
	assert_memory_equal(oa, ob, sizeof(oa));
	assert_memory_equal(&a, &b, sizeof(a));
	*r = a;
	return na;
}

static void put(struct recon *r, int side, int slot, uint8_t st, int64_t px, uint32_t qty,
		uint64_t born_ns, int front)
{
	struct recon_order *o = &r->ord[side][slot];

	memset(o, 0, sizeof(*o));
	o->token = 100 + (uint64_t)side * RECON_MAX_LEVELS + (uint64_t)slot;
	o->px = px;
	o->qty = qty;
	o->born_ns = born_ns;
	o->front = (uint8_t)front;
	o->state = st;
	recon_sync(r);
}

/* ---- edge cases ------------------------------------------------------- */

struct edge {
	const char *name;
	struct { int side, slot; uint8_t st; int64_t px; uint32_t qty; int64_t age_ms; int front; } o[6];
	uint32_t n_o;
	struct quote_level bid[QUOTE_MAX_LEVELS], ask[QUOTE_MAX_LEVELS];
	uint32_t n_bid, n_ask;
	int64_t want; /* intents, -1 = only compare */
};

static const struct edge EDGES[] = {
	{ "one pair within tolerance", { { 0, 0, RECON_LIVE, 10000, 100, 50, 0 } }, 1,
	  { { 10100, 100 } }, { { 0 } }, 1, 0, 0 },
	{ "one pair one tick out", { { 0, 3, RECON_LIVE, 10000, 100, 50, 0 } }, 1,
	  { { 10200, 100 } }, { { 0 } }, 1, 0, 1 },
	{ "front widens", { { 0, 0, RECON_LIVE, 10000, 100, 50, 1 } }, 1,
	  { { 10300, 100 } }, { { 0 } }, 1, 0, 0 },
	{ "exact match not stolen", { { 0, 0, RECON_LIVE, 10000, 100, 50, 0 },
				      { 0, 1, RECON_LIVE, 9900, 100, 50, 0 } }, 2,
	  { { 9900, 100 }, { 9800, 100 } }, { { 0 } }, 2, 0, -1 },
	{ "equidistant orders: lower slot", { { 0, 5, RECON_LIVE, 10100, 100, 50, 0 },
					      { 0, 2, RECON_LIVE, 9900, 100, 50, 0 } }, 2,
	  { { 10000, 100 } }, { { 0 } }, 1, 0, 1 },
	{ "equidistant levels: better level", { { 1, 4, RECON_LIVE, 10000, 100, 50, 0 } }, 1,
	  { { 0 } }, { { 10100, 100 }, { 9900, 100 } }, 0, 2, 1 },
	{ "duplicate level prices", { { 0, 1, RECON_LIVE, 10000, 100, 50, 0 },
				      { 0, 0, RECON_LIVE, 10000, 100, 50, 0 } }, 2,
	  { { 10000, 100 }, { 10000, 100 } }, { { 0 } }, 2, 0, 0 },
	{ "unsorted ladder", { { 0, 0, RECON_LIVE, 9800, 100, 50, 0 },
			       { 0, 1, RECON_LIVE, 10000, 100, 50, 0 },
			       { 0, 2, RECON_LIVE, 9900, 100, 50, 0 } }, 3,
	  { { 9900, 100 }, { 10050, 100 }, { 9700, 100 } }, { { 0 } }, 3, 0, -1 },
	{ "shifted ladder: exact pairs end the scans", { { 0, 0, RECON_LIVE, 10100, 100, 50, 0 },
						  { 0, 1, RECON_LIVE, 10000, 100, 50, 0 },
						  { 0, 2, RECON_LIVE, 9900, 100, 50, 0 } }, 3,
	  { { 10000, 100 }, { 9900, 100 }, { 9800, 100 } }, { { 0 } }, 3, 0, 1 },
	{ "ties at the last round's distance", { { 1, 0, RECON_LIVE, 10100, 100, 50, 0 },
						 { 1, 1, RECON_LIVE, 9900, 100, 50, 0 },
						 { 1, 2, RECON_LIVE, 9700, 100, 50, 0 } }, 3,
	  { { 0 } }, { { 10000, 100 }, { 9800, 100 }, { 9600, 100 } }, 0, 3, 0 },
	{ "invalid levels skipped", { { 0, 0, RECON_LIVE, 10000, 100, 50, 0 } }, 1,
	  { { 0, 100 }, { -5, 100 }, { 10000, 0 }, { (int64_t)UINT32_MAX + 1, 100 },
	    { 10000, 100 } }, { { 0 } }, 5, 0, 0 },
	{ "more levels than slots clipped", { { 1, 7, RECON_LIVE, 10000, 100, 50, 0 } }, 1,
	  { { 0 } }, { { 10000, 100 }, { 10100, 100 }, { 10200, 100 }, { 10300, 100 },
	   { 10400, 100 }, { 10500, 100 }, { 10600, 100 }, { 10700, 100 } }, 0, 9, 7 },
	{ "pending left alone", { { 0, 0, RECON_PENDING, 10000, 50, 0, 0 } }, 1,
	  { { 12000, 100 } }, { { 0 } }, 1, 0, 0 },
	{ "canceling not matched", { { 0, 0, RECON_CANCELING, 10000, 100, 50, 0 } }, 1,
	  { { 10000, 100 } }, { { 0 } }, 1, 0, 1 },
	{ "excess cancelled", { { 0, 2, RECON_LIVE, 10000, 100, 50, 0 },
				{ 0, 6, RECON_LIVE, 9000, 100, 50, 0 } }, 2,
	  { { 10000, 100 } }, { { 0 } }, 1, 0, 1 },
	{ "aged", { { 1, 0, RECON_LIVE, 10000, 100, 1001, 0 } }, 1,
	  { { 0 } }, { { 10000, 100 } }, 0, 1, 1 },
	{ "age at the maximum kept", { { 1, 0, RECON_LIVE, 10000, 100, 1000, 0 } }, 1,
	  { { 0 } }, { { 10000, 100 } }, 0, 1, 0 },
	{ "size held back by the lifetime", { { 1, 0, RECON_LIVE, 10000, 100, 4, 0 } }, 1,
	  { { 0 } }, { { 10000, 70 } }, 0, 1, 0 },
	{ "size at the lifetime", { { 1, 0, RECON_LIVE, 10000, 100, 5, 0 } }, 1,
	  { { 0 } }, { { 10000, 70 } }, 0, 1, 1 },
	{ "born in the future", { { 1, 0, RECON_LIVE, 10000, 100, -7, 0 } }, 1,
	  { { 0 } }, { { 10000, 70 } }, 0, 1, 0 },
	{ "presence then new", { { 0 } }, 0,
	  { { 10000, 100 }, { 9900, 100 } }, { { 10200, 100 } }, 2, 1, 3 },
	{ "full side: NEW deferred", { { 0, 0, RECON_CANCELING, 1, 1, 0, 0 },
				       { 0, 1, RECON_CANCELING, 1, 1, 0, 0 },
				       { 0, 2, RECON_CANCELING, 1, 1, 0, 0 },
				       { 0, 3, RECON_CANCELING, 1, 1, 0, 0 },
				       { 0, 4, RECON_CANCELING, 1, 1, 0, 0 },
				       { 0, 5, RECON_CANCELING, 1, 1, 0, 0 } }, 6,
	  { { 10000, 100 }, { 9900, 100 }, { 9800, 100 } }, { { 0 } }, 3, 0, 2 },
};

static void test_edges(void **state)
{
	struct recon r;

	(void)state;
	for (size_t e = 0; e < sizeof(EDGES) / sizeof(EDGES[0]); e++) {
		const struct edge *x = &EDGES[e];
		struct quote_ladder t;
		uint64_t now = T0 + 2000 * MS;
		uint32_t n;

		assert_int_equal(recon_init(&r, &CFG, T0), 0);
		for (uint32_t i = 0; i < x->n_o; i++)
			put(&r, x->o[i].side, x->o[i].slot, x->o[i].st, x->o[i].px, x->o[i].qty,
			    (uint64_t)((int64_t)now - x->o[i].age_ms * (int64_t)MS), x->o[i].front);
		memset(&t, 0, sizeof(t));
		memcpy(t.bid, x->bid, sizeof(t.bid));
		memcpy(t.ask, x->ask, sizeof(t.ask));
		t.n_bid = x->n_bid;
		t.n_ask = x->n_ask;
		n = same_plan(&r, now, &t, NULL, OUT_MAX);
		if (x->want >= 0 && n != (uint32_t)x->want)
			print_error("%s: %u intents, want %lld\n", x->name, n, (long long)x->want);
		if (x->want >= 0)
			assert_int_equal(n, x->want);
	}
}

/* ---- randomized --------------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 11) % n);
}

/* Prices on a few ticks around 10000 so ties, duplicates and exact matches
 * are common; now and then an invalid one. */
static int64_t rnd_px(void)
{
	switch (rnd(40)) {
	case 0:
		return 0;
	case 1:
		return -100;
	case 2:
		return (int64_t)UINT32_MAX + 1 + rnd(3);
	case 3:
		return (int64_t)UINT32_MAX;
	default:
		return 10000 + ((int64_t)rnd(13) - 6) * 50;
	}
}

static void rnd_target(struct quote_ladder *t)
{
	memset(t, 0, sizeof(*t));
	t->n_bid = rnd(5) == 0 ? rnd(12) : rnd(4);
	t->n_ask = rnd(5) == 0 ? rnd(12) : rnd(4);
	for (int l = 0; l < QUOTE_MAX_LEVELS; l++) {
		t->bid[l] = (struct quote_level){ rnd_px(), rnd(8) ? 100 : rnd(3) * 50 };
		t->ask[l] = (struct quote_level){ rnd_px(), rnd(8) ? 100 : rnd(3) * 50 };
	}
}

static void rnd_ctl(struct recon_ctl *c)
{
	memset(c, 0, sizeof(*c));
	if (rnd(3))
		return;
	c->stale = rnd(12) == 0;
	c->halted = rnd(12) == 0;
	c->kill = rnd(16) == 0;
	c->red = rnd(4) == 0;
	for (int s = 0; s < 2; s++) {
		c->red_allow[s] = (uint8_t)rnd(2);
		c->pulled[s] = rnd(6) == 0;
		c->grow_block[s] = rnd(6) == 0;
	}
}

/* A random table straight into ord[], as a caller's view may be. */
static void rnd_table(struct recon *r, uint64_t now)
{
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < RECON_MAX_LEVELS; i++) {
			struct recon_order *o = &r->ord[s][i];

			memset(o, 0, sizeof(*o));
			if (rnd(3) == 0)
				continue;
			o->state = (uint8_t)(rnd(8) ? 1 + rnd(3) : rnd(256));
			o->token = 1 + rnd(1000);
			o->px = rnd_px();
			o->qty = rnd(6) ? 100 : rnd(4) * 50;
			o->front = rnd(4) == 0;
			switch (rnd(6)) {
			case 0:
				o->born_ns = now - CFG.max_age_ns + rnd(3) - 1;
				break;
			case 1:
				o->born_ns = now - CFG.min_life_ns + rnd(3) - 1;
				break;
			case 2:
				o->born_ns = now + rnd(3);
				break;
			case 3:
				o->born_ns = rnd(2) ? 0 : UINT64_MAX - rnd(3);
				break;
			default:
				o->born_ns = now - rnd(2000) * MS;
			}
			if (rnd(4) == 0) {
				o->orig_token = 1 + rnd(1000);
				o->orig_px = rnd_px();
				o->orig_qty = rnd(200);
				o->orig_born_ns = now - rnd(100) * MS;
			}
		}
	recon_sync(r);
}

/* r set up with random tolerances, age and life bounds and start, and a
 * random table at now. */
static void rnd_recon(struct recon *r, uint64_t now)
{
	struct recon_cfg cfg = CFG;

	cfg.tol_ticks = rnd(3);
	cfg.tol_front_ticks = cfg.tol_ticks + rnd(3);
	cfg.max_age_ns = rnd(4) ? CFG.max_age_ns : 0;
	cfg.min_life_ns = rnd(4) ? CFG.min_life_ns : 0;
	assert_int_equal(recon_init(r, &cfg, T0 + rnd(2) * 4000 * MS), 0);
	rnd_table(r, now);
}

/* Independent plans on random tables, targets, controls, budgets, limits. */
static void test_random_tables(void **state)
{
	(void)state;
	for (int it = 0; it < 40000; it++) {
		struct quote_ladder t;
		struct recon_ctl c;
		struct recon r;
		uint64_t now = T0 + rnd(5000) * MS;

		rnd_recon(&r, now);
		r.bucket = rnd(4) ? (uint64_t)rnd(6) * RECON_NS_PER_S + rnd(3) : rnd(2) ? 0 : UINT64_MAX - rnd(3);
		r.kill_sent = (uint8_t)rnd(2);
		r.n_blocked = rnd(3);
		r.n_deferred = rnd(3);
		r.quiet_until_ns = rnd(2) ? 0 : now;
		rnd_target(&t);
		rnd_ctl(&c);
		(void)same_plan(&r, now, rnd(20) ? &t : NULL, rnd(4) ? &c : NULL,
				rnd(6) ? OUT_MAX : rnd(4));
	}
}

/* Plans on sides of at most one target level and one occupied slot (any
 * state, any slot; recon_plan's own path for most live plans): every
 * outcome of the pair (NEW, excess CANCEL, reprice / age / size REPLACE,
 * held back, in flight, nothing), against the reference. */
static void test_small_tables(void **state)
{
	static const uint32_t least[4] = { 1000, 1000, 1000, 200 };
	uint32_t kinds[4] = { 0 }; /* plans with 0 intents, 1, 2; held back */

	(void)state;
	for (int it = 0; it < 40000; it++) {
		struct quote_ladder t;
		struct recon_ctl c;
		struct recon r;
		uint64_t now = T0 + rnd(5000) * MS, blocked;
		struct order_intent out[OUT_MAX];
		uint32_t n, max;
		bool use_c;

		rnd_recon(&r, now);
		/* keep one slot per side at most (a random one), or none */
		for (int s = 0; s < 2; s++) {
			int keep = (int)rnd(RECON_MAX_LEVELS + 2);

			for (int i = 0; i < RECON_MAX_LEVELS; i++)
				if (i != keep)
					memset(&r.ord[s][i], 0, sizeof(r.ord[s][i]));
		}
		recon_sync(&r);
		r.bucket = rnd(4) ? (uint64_t)rnd(6) * RECON_NS_PER_S + rnd(3) : 0;
		r.quiet_until_ns = rnd(2) ? 0 : now;
		rnd_target(&t);
		t.n_bid = rnd(2);
		t.n_ask = rnd(2);
		rnd_ctl(&c);
		use_c = rnd(3) == 0;
		max = rnd(6) ? OUT_MAX : rnd(4);
		n = same_plan(&r, now, &t, use_c ? &c : NULL, max);
		kinds[n < 3 ? n : 2]++;
		/* same_plan plans on copies: once more to see a hold */
		blocked = r.n_blocked;
		(void)recon_plan(&r, now, 222, 111, &t, use_c ? &c : NULL, out, max);
		kinds[3] += r.n_blocked != blocked;
	}
	for (int k = 0; k < 4; k++)
		if (kinds[k] <= least[k])
			print_error("outcome %d: %u plans\n", k, kinds[k]);
	for (int k = 0; k < 4; k++)
		assert_true(kinds[k] > least[k]);
}

/*
 * Tables and targets shaped like a quoting ladder (a few levels a tick or
 * a step apart, the working orders at last plan's prices in any slots):
 * most pairs are exact (the exact pass), the rest off by a tick or a step,
 * a price now and then twice on one side or shared by two levels, any
 * state, age, size and front; against the reference. Counts the plans
 * whose sides had exact pairs and some left over, so the pass and the
 * greedy after it both ran.
 */
static void test_random_ladders(void **state)
{
	uint32_t mixed = 0, sent = 0;

	(void)state;
	for (int it = 0; it < 40000; it++) {
		struct quote_ladder t;
		struct recon_ctl c;
		struct recon r;
		uint64_t now = T0 + rnd(5000) * MS;
		int64_t mid = 10000 + ((int64_t)rnd(9) - 4) * 100;
		bool mix = false;

		rnd_recon(&r, now);
		memset(&t, 0, sizeof(t));
		for (int s = 0; s < 2; s++) {
			struct quote_level *lv = s ? t.ask : t.bid;
			uint32_t nl = rnd(6) ? 1 + rnd(4) : rnd(9);
			int64_t step = rnd(3) ? 100 : 50 * (1 + rnd(3)), dir = s ? 1 : -1;
			int64_t shift = rnd(3) ? 0 : ((int64_t)rnd(5) - 2) * (rnd(2) ? 50 : step);
			uint32_t slots = 0, ex = 0;

			for (uint32_t l = 0; l < nl; l++) {
				lv[l].px = mid + dir * (100 + step * (int64_t)l);
				lv[l].qty = rnd(6) ? 100 : 50 * rnd(3);
				if (rnd(30) == 0)
					lv[l].px = rnd_px();
				if (l > 0 && rnd(20) == 0)
					lv[l].px = lv[l - 1].px; /* two levels at one price */
			}
			if (s)
				t.n_ask = nl;
			else
				t.n_bid = nl;
			/* the working orders: the ladder moved by shift, in random
			 * slots, some levels missing, some extra, some duplicated */
			for (int i = 0; i < RECON_MAX_LEVELS; i++)
				memset(&r.ord[s][i], 0, sizeof(r.ord[s][i]));
			for (uint32_t l = 0; l < nl + rnd(3) && l < QUOTE_MAX_LEVELS; l++) {
				struct recon_order *o;
				int i = (int)rnd(RECON_MAX_LEVELS);

				if (rnd(6) == 0)
					continue;
				for (int k = 0; k < RECON_MAX_LEVELS && r.ord[s][i].state != RECON_FREE; k++)
					i = (i + 1) % RECON_MAX_LEVELS;
				o = &r.ord[s][i];
				if (o->state != RECON_FREE)
					break;
				o->state = (uint8_t)(rnd(6) ? RECON_LIVE : 1 + rnd(3));
				o->token = 500 + (uint64_t)s * 16 + (uint64_t)i;
				o->px = mid + dir * (100 + step * (int64_t)l) + (rnd(3) ? 0 : shift);
				if (rnd(25) == 0 && slots)
					o->px = r.ord[s][__builtin_ctz(slots)].px; /* twice on a side */
				o->qty = rnd(5) ? 100 : 50 * rnd(3);
				o->front = rnd(4) == 0;
				o->born_ns = rnd(4) ? now - rnd(1500) * MS : now - rnd(10) * MS;
				slots |= 1u << i;
			}
			for (uint32_t l = 0; l < nl && l < RECON_MAX_LEVELS; l++)
				for (int i = 0; i < RECON_MAX_LEVELS; i++)
					if ((slots >> i & 1) && r.ord[s][i].px == lv[l].px) {
						ex++;
						break;
					}
			mix |= ex > 0 && ex < nl && ex < (uint32_t)__builtin_popcount(slots);
		}
		recon_sync(&r);
		r.bucket = rnd(5) ? (uint64_t)(1 + rnd(6)) * RECON_NS_PER_S : rnd(2);
		memset(&c, 0, sizeof(c));
		if (rnd(6) == 0)
			rnd_ctl(&c);
		mixed += mix;
		sent += same_plan(&r, now, &t, &c, rnd(8) ? OUT_MAX : rnd(4)) > 0;
	}
	if (mixed < 5000 || sent < 5000)
		print_error("exact and greedy pairs on a side: %u plans; sending: %u\n", mixed, sent);
	assert_true(mixed >= 5000);
	assert_true(sent >= 5000);
}

/* Sequences: plans on a table that only the plans and random execution
 * reports change, targets drifting a tick at a time, time moving on. */
static void test_random_runs(void **state)
{
	(void)state;
	for (int run = 0; run < 300; run++) {
		struct quote_ladder t;
		struct recon_ctl c;
		struct recon r;
		uint64_t now = T0;
		int64_t mid = 10000;

		assert_int_equal(recon_init(&r, &CFG, now), 0);
		for (int step = 0; step < 200; step++) {
			uint32_t levels = 1 + rnd(3);

			now += rnd(4) ? rnd(3 * MS) : rnd(1500) * MS;
			mid += ((int64_t)rnd(5) - 2) * 50;
			memset(&t, 0, sizeof(t));
			t.n_bid = rnd(10) ? levels : 0;
			t.n_ask = rnd(10) ? levels : 0;
			for (uint32_t l = 0; l < levels; l++) {
				t.bid[l] = (struct quote_level){ mid - 100 - 100 * (int64_t)l,
								 rnd(6) ? 100 : 50 };
				t.ask[l] = (struct quote_level){ mid + 100 + 100 * (int64_t)l,
								 rnd(6) ? 100 : 50 };
			}
			memset(&c, 0, sizeof(c));
			if (rnd(8) == 0)
				rnd_ctl(&c);
			(void)same_plan(&r, now, &t, &c, rnd(8) ? OUT_MAX : rnd(3));
			/* the venue's answers to some working orders */
			for (int s = 0; s < 2; s++)
				for (int i = 0; i < RECON_MAX_LEVELS; i++) {
					const struct recon_order *o = &r.ord[s][i];
					uint64_t tok = o->token;

					if (o->state == RECON_FREE || rnd(3))
						continue;
					switch (rnd(6)) {
					case 0:
						(void)recon_on_fill(&r, tok, 1 + rnd(100));
						break;
					case 1:
						(void)recon_on_canceled(&r, tok);
						break;
					case 2:
						(void)recon_on_reject(&r, tok);
						break;
					case 3:
						(void)recon_set_front(&r, tok, (int)rnd(2));
						break;
					default:
						(void)recon_on_ack(&r, tok);
					}
					check_active(&r);
				}
		}
	}
}

/* recon_budget against the division: the bucket below, at and (written
 * directly) above its capacity, and gaps up to the largest. */
static void test_budget_ref(void **state)
{
	static const uint64_t dts[] = { 0, 1, 999, 1000, 1001, RECON_NS_PER_S, 123456789,
					UINT64_MAX / 1000, UINT64_MAX / 1000 + 1, UINT64_MAX / 3,
					UINT64_MAX };
	static const uint32_t rates[] = { 1, 7, 1000, UINT32_MAX };

	(void)state;
	for (size_t ri = 0; ri < sizeof(rates) / sizeof(rates[0]); ri++)
		for (size_t di = 0; di < sizeof(dts) / sizeof(dts[0]); di++)
			for (int k = 0; k < 6; k++) {
				struct recon_cfg cfg = CFG;
				struct recon a, b;
				uint64_t cap, now;

				cfg.rate_per_s = rates[ri];
				cfg.burst = k == 5 ? UINT32_MAX : 20;
				assert_int_equal(recon_init(&a, &cfg, 5), 0);
				cap = (uint64_t)cfg.burst * RECON_NS_PER_S;
				a.bucket = k == 0 ? 0 : k == 1 ? cap - 1 : k == 2 ? cap :
					   k == 3 ? cap + 5 : k == 4 ? UINT64_MAX : cap / 2;
				now = dts[di] > UINT64_MAX - 5 ? UINT64_MAX : 5 + dts[di];
				b = a;
				ref_refill(&b, now);
				assert_int_equal(recon_budget(&a, now),
						 (uint32_t)(b.bucket / RECON_NS_PER_S));
				assert_memory_equal(&a, &b, sizeof(a));
				/* earlier than the last refill: nothing added */
				assert_int_equal(recon_budget(&a, 3), (uint32_t)(b.bucket / RECON_NS_PER_S));
				assert_memory_equal(&a, &b, sizeof(a));
			}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_random_tables),
		cmocka_unit_test(test_small_tables),
		cmocka_unit_test(test_random_ladders),
		cmocka_unit_test(test_random_runs),
		cmocka_unit_test(test_budget_ref),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
