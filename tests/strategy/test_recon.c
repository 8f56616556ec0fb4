/* test_recon.c - cmocka tests of strategy/recon.c: tolerance and queue-front
 * tolerance, minimum lifetime, maximum age, size, excess, new levels and
 * tokens, stale, kill, side blocks, budget priority, exact bucket refill,
 * determinism, the quiet_until_ns promise, and recon_plan_still_quiet
 * against recon_plan on random states. Table-driven. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "strategy/recon.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MS 1000000ull
#define T0 (10 * RECON_NS_PER_S)
#define BASE 1000u

static const struct recon_cfg CFG = {
	.locate = 7, .tick = 100, .tol_ticks = 1, .tol_front_ticks = 3,
	.min_life_ns = 1 * MS, .max_age_ns = 1000 * MS, .token_base = BASE,
	.rate_per_s = 1000, .burst = 100,
};

static void setup(struct recon *r, const struct recon_cfg *cfg)
{
	assert_int_equal(recon_init(r, cfg ? cfg : &CFG, T0), 0);
}

/* A live order straight into the table (the caller's acked view). */
static void put(struct recon *r, int side, int slot, uint64_t token, int64_t px, uint32_t qty,
		uint64_t born_ns, int front)
{
	struct recon_order *o = &r->ord[side][slot];

	memset(o, 0, sizeof(*o));
	o->token = token;
	o->px = px;
	o->qty = qty;
	o->born_ns = born_ns;
	o->front = (uint8_t)front;
	o->state = RECON_LIVE;
	recon_sync(r);
}

static void lad(struct quote_ladder *l, const int64_t *bpx, uint32_t nb, const int64_t *apx,
		uint32_t na, uint32_t qty)
{
	memset(l, 0, sizeof(*l));
	for (uint32_t i = 0; i < nb; i++)
		l->bid[i] = (struct quote_level){ .px = bpx[i], .qty = qty };
	for (uint32_t i = 0; i < na; i++)
		l->ask[i] = (struct quote_level){ .px = apx[i], .qty = qty };
	l->n_bid = nb;
	l->n_ask = na;
}

static void check(const struct order_intent *o, uint8_t op, uint8_t reason, uint8_t side)
{
	if (o->op != op || o->reason != reason || o->side != side)
		print_error("intent op=%u reason=%u side=%c tok=%llu orig=%llu px=%u qty=%u\n",
			    o->op, o->reason, o->side ? o->side : '-',
			    (unsigned long long)o->token, (unsigned long long)o->orig_token,
			    o->px, o->qty);
	assert_int_equal(o->op, op);
	assert_int_equal(o->reason, reason);
	assert_int_equal(o->side, side);
	assert_int_equal(o->locate, 7);
	assert_int_equal(o->t_rx_tsc, 111);
	assert_int_equal(o->t_decide_tsc, 222);
}

static uint32_t plan(struct recon *r, uint64_t now, const struct quote_ladder *l,
		     const struct recon_ctl *c, struct order_intent *out, uint32_t max)
{
	return recon_plan(r, now, 222, 111, l, c, out, max);
}

static void test_tolerance(void **state)
{
	static const struct {
		int front;
		int64_t target;
		uint32_t n; /* 0 keep, 1 replace */
	} t[] = {
		{ 0, 10000, 0 }, { 0, 10100, 0 }, { 0, 9900, 0 }, { 0, 10200, 1 },
		{ 0, 9800, 1 },  { 1, 10200, 0 }, { 1, 9700, 0 }, { 1, 10300, 0 },
		{ 1, 10400, 1 }, { 1, 9600, 1 },
	};
	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		struct recon r;
		struct quote_ladder l;
		struct order_intent out[8];
		int64_t a = 10500;
		uint32_t n;

		setup(&r, NULL);
		put(&r, QUOTE_BID, 0, 5, 10000, 100, T0 - 10 * MS, t[i].front);
		put(&r, QUOTE_ASK, 0, 6, 10500, 100, T0 - 10 * MS, 0);
		lad(&l, &t[i].target, 1, &a, 1, 100);
		n = plan(&r, T0, &l, NULL, out, 8);
		if (n != t[i].n)
			print_error("row %zu\n", i);
		assert_int_equal(n, t[i].n);
		if (n) {
			check(&out[0], INTENT_REPLACE, REASON_QUOTE_REPRICE, 'B');
			assert_int_equal(out[0].orig_token, 5);
			assert_int_equal(out[0].token, BASE);
			assert_int_equal(out[0].px, (uint32_t)t[i].target);
			assert_int_equal(out[0].flags, INTENT_F_POST_ONLY);
			assert_int_equal(r.ord[QUOTE_BID][0].state, RECON_PENDING);
			assert_int_equal(r.ord[QUOTE_BID][0].token, BASE);
		}
	}
}

/* A young order: reprice/age/size held back; every risk cancel goes. */
static void test_min_life(void **state)
{
	static const struct {
		struct recon_ctl ctl;
		uint32_t n;
		uint8_t reason;
	} t[] = {
		{ { 0 }, 0, 0 },
		{ { .pulled = { 1, 0 } }, 1, REASON_TOXIC_PULL },
		{ { .red = 1, .red_allow = { 0, 1 } }, 1, REASON_REGIME_RED },
		{ { .grow_block = { 1, 0 } }, 1, REASON_RISK_REDUCE },
		{ { .stale = 1 }, 2, REASON_STALE_BOOK },
	};
	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		struct recon r;
		struct quote_ladder l;
		struct order_intent out[8];
		int64_t b = 10500, a = 11000;
		uint32_t n;

		setup(&r, NULL);
		put(&r, QUOTE_BID, 0, 5, 10000, 100, T0 - MS / 2, 0);
		put(&r, QUOTE_ASK, 0, 6, 11000, 100, T0 - MS / 2, 0);
		lad(&l, &b, 1, &a, 1, 100);
		n = plan(&r, T0, &l, &t[i].ctl, out, 8);
		assert_int_equal(n, t[i].n);
		if (n == 0) {
			assert_int_equal(r.n_blocked, 1);
			continue;
		}
		check(&out[0], INTENT_CANCEL, t[i].reason, 'B');
		assert_int_equal(out[0].orig_token, 5);
		assert_int_equal(out[0].token, 0);
		assert_int_equal(r.ord[QUOTE_BID][0].state, RECON_CANCELING);
		if (n == 2)
			check(&out[1], INTENT_CANCEL, REASON_STALE_BOOK, 'S');
		/* a canceling order is not cancelled twice */
		assert_int_equal(plan(&r, T0 + 1, &l, &t[i].ctl, out, 8), 0);
	}
	/* once older than the minimum lifetime the reprice goes */
	{
		struct recon r;
		struct quote_ladder l;
		struct order_intent out[8];
		int64_t b = 10500;

		setup(&r, NULL);
		put(&r, QUOTE_BID, 0, 5, 10000, 100, T0 - MS / 2, 0);
		lad(&l, &b, 1, NULL, 0, 100);
		assert_int_equal(plan(&r, T0 + MS / 2, &l, NULL, out, 8), 1);
		check(&out[0], INTENT_REPLACE, REASON_QUOTE_REPRICE, 'B');
	}
}

static void test_age_size(void **state)
{
	static const struct {
		uint64_t age_ns;
		uint32_t qty;
		uint32_t n;
		uint8_t reason;
	} t[] = {
		{ 10 * MS, 100, 0, 0 },
		{ 1000 * MS, 100, 0, 0 },
		{ 1000 * MS + 1, 100, 1, REASON_QUOTE_AGE },
		{ 10 * MS, 200, 1, REASON_QUOTE_SIZE },
		{ 2000 * MS, 200, 1, REASON_QUOTE_AGE },
	};
	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		struct recon r;
		struct quote_ladder l;
		struct order_intent out[8];
		int64_t b = 10000;

		setup(&r, NULL);
		put(&r, QUOTE_BID, 0, 5, 10000, t[i].qty, T0 - t[i].age_ns, 0);
		lad(&l, &b, 1, NULL, 0, 100);
		assert_int_equal(plan(&r, T0, &l, NULL, out, 8), t[i].n);
		if (t[i].n) {
			check(&out[0], INTENT_REPLACE, t[i].reason, 'B');
			assert_int_equal(out[0].qty, 100);
			assert_int_equal(out[0].orig_token, 5);
		}
	}
}

static void test_excess(void **state)
{
	struct recon r;
	struct quote_ladder l;
	struct order_intent out[8];
	int64_t b = 10000;

	(void)state;
	setup(&r, NULL);
	put(&r, QUOTE_BID, 0, 5, 9800, 100, T0 - 10 * MS, 0);
	put(&r, QUOTE_BID, 3, 9, 10000, 100, T0 - 10 * MS, 0);
	put(&r, QUOTE_ASK, 0, 6, 10500, 100, T0, 0); /* young: excess still goes */
	lad(&l, &b, 1, NULL, 0, 100);
	assert_int_equal(plan(&r, T0, &l, NULL, out, 8), 2);
	check(&out[0], INTENT_CANCEL, REASON_QUOTE_EXCESS, 'B');
	assert_int_equal(out[0].orig_token, 5); /* the nearer one (9) is kept */
	check(&out[1], INTENT_CANCEL, REASON_QUOTE_EXCESS, 'S');
	assert_int_equal(out[1].orig_token, 6);
	assert_int_equal(recon_on_canceled(&r, 5), 0);
	assert_int_equal(r.ord[QUOTE_BID][0].state, RECON_FREE);
}

/* Cancels of several working slots, not contiguous (recon's cand_cancels):
 * a blocked side's every order, then a side's excess orders, each in slot
 * order with its reason, before the other classes. */
static void test_cancels_many(void **state)
{
	static const uint64_t want[] = { 5, 9, 11, 6, 12 };
	struct recon r;
	struct quote_ladder l;
	struct order_intent out[8];
	struct recon_ctl c = { .pulled = { 1, 0 } };
	int64_t a = 10500;

	(void)state;
	setup(&r, NULL);
	put(&r, QUOTE_BID, 0, 5, 9800, 100, T0 - 10 * MS, 0);
	put(&r, QUOTE_BID, 3, 9, 9900, 100, T0 - 10 * MS, 0);
	put(&r, QUOTE_BID, 7, 11, 10000, 100, T0, 0); /* young: a risk cancel goes */
	put(&r, QUOTE_ASK, 1, 6, 10900, 100, T0 - 10 * MS, 0);
	put(&r, QUOTE_ASK, 2, 8, 10500, 100, T0 - 10 * MS, 0); /* kept: exact */
	put(&r, QUOTE_ASK, 6, 12, 10800, 100, T0 - 10 * MS, 0);
	lad(&l, NULL, 0, &a, 1, 100);
	assert_int_equal(plan(&r, T0, &l, &c, out, 8), 5);
	for (int i = 0; i < 5; i++) {
		check(&out[i], INTENT_CANCEL, i < 3 ? REASON_TOXIC_PULL : REASON_QUOTE_EXCESS,
		      i < 3 ? 'B' : 'S');
		assert_int_equal(out[i].orig_token, want[i]);
	}
	assert_int_equal(r.active[QUOTE_BID], 0);
	assert_int_equal(r.active[QUOTE_ASK], 1u << 2);
	assert_int_equal(r.ord[QUOTE_ASK][6].state, RECON_CANCELING);
	/* the small path: no level, one working order, as excess */
	setup(&r, NULL);
	put(&r, QUOTE_ASK, 4, 7, 10500, 100, T0 - 10 * MS, 0);
	lad(&l, NULL, 0, NULL, 0, 100);
	assert_int_equal(plan(&r, T0, &l, NULL, out, 8), 1);
	check(&out[0], INTENT_CANCEL, REASON_QUOTE_EXCESS, 'S');
	assert_int_equal(out[0].orig_token, 7);
}

static void test_new_levels(void **state)
{
	static const int64_t b[] = { 10000, 9900, 9800 }, a[] = { 10100, 10200 };
	static const struct {
		uint8_t side, reason;
		uint32_t px;
	} want[] = {
		{ 'B', REASON_PRESENCE, 10000 }, { 'S', REASON_PRESENCE, 10100 },
		{ 'B', REASON_QUOTE_NEW, 9900 },  { 'B', REASON_QUOTE_NEW, 9800 },
		{ 'S', REASON_QUOTE_NEW, 10200 },
	};
	struct recon r;
	struct quote_ladder l;
	struct order_intent out[8];

	(void)state;
	setup(&r, NULL);
	lad(&l, b, 3, a, 2, 100);
	assert_int_equal(plan(&r, T0, &l, NULL, out, 8), N(want));
	for (size_t i = 0; i < N(want); i++) {
		check(&out[i], INTENT_NEW, want[i].reason, want[i].side);
		assert_int_equal(out[i].px, want[i].px);
		assert_int_equal(out[i].token, BASE + i);
		assert_int_equal(out[i].orig_token, 0);
	}
	/* in flight: nothing re-sent; acked: still nothing */
	assert_int_equal(plan(&r, T0 + 1, &l, NULL, out, 8), 0);
	for (uint64_t t = BASE; t < BASE + N(want); t++)
		assert_int_equal(recon_on_ack(&r, t), 0);
	assert_int_equal(plan(&r, T0 + 2 * MS, &l, NULL, out, 8), 0);
	/* a full fill frees the level: a NEW with the next token */
	assert_int_equal(recon_on_fill(&r, BASE + 2, 40), 0);
	assert_int_equal(r.ord[QUOTE_BID][1].qty, 60);
	assert_int_equal(recon_on_fill(&r, BASE + 2, 60), 0);
	assert_int_equal(plan(&r, T0 + 3 * MS, &l, NULL, out, 8), 1);
	check(&out[0], INTENT_NEW, REASON_QUOTE_NEW, 'B');
	assert_int_equal(out[0].px, 9900);
	assert_int_equal(out[0].token, BASE + N(want));
}

static void test_kill(void **state)
{
	struct recon r;
	struct quote_ladder l;
	struct order_intent out[8];
	struct recon_ctl k = { .kill = 1 };
	int64_t b = 10000, a = 10100;

	(void)state;
	setup(&r, NULL);
	put(&r, QUOTE_BID, 0, 5, 10000, 100, T0, 0);
	put(&r, QUOTE_BID, 1, 6, 9900, 100, T0, 0);
	put(&r, QUOTE_ASK, 0, 7, 10100, 100, T0, 0);
	lad(&l, &b, 1, &a, 1, 100);
	assert_int_equal(plan(&r, T0, &l, &k, out, 8), 1);
	assert_int_equal(out[0].op, INTENT_CANCEL_ALL);
	assert_int_equal(out[0].reason, REASON_KILL);
	assert_int_equal(out[0].locate, 7);
	assert_int_equal(r.ord[QUOTE_BID][1].state, RECON_CANCELING);
	/* latched: no second cancel-all, no quotes */
	assert_int_equal(plan(&r, T0 + 1, &l, &k, out, 8), 0);
	/* kill goes even with no budget */
	setup(&r, NULL);
	r.bucket = 0;
	assert_int_equal(plan(&r, T0, &l, &k, out, 8), 1);
	assert_int_equal(out[0].op, INTENT_CANCEL_ALL);
}

static void test_budget_priority(void **state)
{
	struct recon_cfg one = CFG;
	struct recon r;
	struct quote_ladder l;
	struct order_intent out[8];
	int64_t b = 10500, a = 11000;

	(void)state;
	one.burst = 1;
	/* bid reprice pending (generated first) + ask excess: cancel wins */
	setup(&r, &one);
	put(&r, QUOTE_BID, 0, 5, 10000, 100, T0 - 10 * MS, 0);
	put(&r, QUOTE_ASK, 0, 6, 11000, 100, T0 - 10 * MS, 0);
	put(&r, QUOTE_ASK, 1, 7, 11500, 100, T0 - 10 * MS, 0);
	lad(&l, &b, 1, &a, 1, 100);
	assert_int_equal(plan(&r, T0, &l, NULL, out, 8), 1);
	check(&out[0], INTENT_CANCEL, REASON_QUOTE_EXCESS, 'S');
	assert_int_equal(out[0].orig_token, 7);
	assert_int_equal(r.last_deferred, 1);
	assert_int_equal(r.n_deferred, 1);
	assert_int_equal(r.ord[QUOTE_BID][0].state, RECON_LIVE); /* untouched */
	assert_int_equal(r.next_token, BASE);                   /* none spent */
	/* no refill yet: everything deferred */
	assert_int_equal(plan(&r, T0 + MS - 1, &l, NULL, out, 8), 0);
	assert_int_equal(r.n_deferred, 2);
	/* one message per ms at 1000/s: the deferred reprice goes */
	assert_int_equal(plan(&r, T0 + MS, &l, NULL, out, 8), 1);
	check(&out[0], INTENT_REPLACE, REASON_QUOTE_REPRICE, 'B');
	assert_int_equal(out[0].token, BASE);

	/* bid reprice pending + ask side empty: presence wins */
	setup(&r, &one);
	put(&r, QUOTE_BID, 0, 5, 10000, 100, T0 - 10 * MS, 0);
	assert_int_equal(plan(&r, T0, &l, NULL, out, 8), 1);
	check(&out[0], INTENT_NEW, REASON_PRESENCE, 'S');
	assert_int_equal(out[0].token, BASE);
	assert_int_equal(r.last_deferred, 1);

	/* max, not the budget, short: also deferred and counted */
	setup(&r, NULL);
	put(&r, QUOTE_BID, 0, 5, 10000, 100, T0 - 10 * MS, 0);
	assert_int_equal(plan(&r, T0, &l, NULL, out, 1), 1);
	check(&out[0], INTENT_NEW, REASON_PRESENCE, 'S');
	assert_int_equal(r.last_deferred, 1);
}

static void test_bucket_refill(void **state)
{
	struct recon_cfg c = CFG;
	struct recon r, s;

	(void)state;
	c.rate_per_s = 3;
	c.burst = 10;
	setup(&r, &c);
	assert_int_equal(recon_budget(&r, T0), 10);
	r.bucket = 0;
	assert_int_equal(recon_budget(&r, T0 + 333333333), 0);
	assert_int_equal(recon_budget(&r, T0 + 333333334), 1); /* 3 * 333333334 >= 1e9 */
	assert_int_equal(r.bucket, 1000000002);
	assert_int_equal(recon_budget(&r, T0), 1); /* time going back adds nothing */
	/* many small steps == one big step, exactly */
	setup(&r, &c);
	setup(&s, &c);
	r.bucket = s.bucket = 0;
	for (uint64_t t = 1; t <= 7777; t++)
		(void)recon_budget(&r, T0 + t * 123457);
	(void)recon_budget(&s, T0 + 7777 * 123457ull);
	assert_int_equal(r.bucket, s.bucket);
	assert_int_equal(r.bucket, 3ull * 7777 * 123457);
	/* capped at the burst */
	assert_int_equal(recon_budget(&r, T0 + 3600 * RECON_NS_PER_S), 10);
	assert_int_equal(r.bucket, 10 * RECON_NS_PER_S);
}

static uint32_t run_seq(struct order_intent *all, uint32_t max)
{
	static const int64_t b1[] = { 10000, 9900 }, a1[] = { 10100, 10200 };
	static const int64_t b2[] = { 10300, 10200 }, a2[] = { 10400 };
	struct recon_cfg c = CFG;
	struct recon r;
	struct quote_ladder l;
	struct recon_ctl pull = { .pulled = { 0, 1 } };
	uint32_t n = 0;

	c.burst = 3;
	assert_int_equal(recon_init(&r, &c, T0), 0);
	lad(&l, b1, 2, a1, 2, 100);
	n += recon_plan(&r, T0, 1, 2, &l, NULL, all + n, max - n);
	n += recon_plan(&r, T0 + MS, 3, 4, &l, NULL, all + n, max - n);
	for (uint64_t t = BASE; t < r.next_token; t++)
		(void)recon_on_ack(&r, t);
	lad(&l, b2, 2, a2, 1, 100);
	n += recon_plan(&r, T0 + 5 * MS, 5, 6, &l, NULL, all + n, max - n);
	n += recon_plan(&r, T0 + 9 * MS, 7, 8, &l, &pull, all + n, max - n);
	n += recon_plan(&r, T0 + 20 * MS, 9, 10, &l, NULL, all + n, max - n);
	return n;
}

static void test_determinism(void **state)
{
	struct order_intent a[64], b[64];
	uint32_t na, nb;

	(void)state;
	memset(a, 0xa5, sizeof(a));
	memset(b, 0x5a, sizeof(b));
	na = run_seq(a, 64);
	nb = run_seq(b, 64);
	assert_true(na > 5);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na * sizeof(a[0]));
}

/* A rejected REPLACE restores the original working order (token, price,
 * size, age) instead of losing it; the next plan then sees it again. A
 * rejected NEW frees its slot; a fill on the original while the replace is in
 * flight is applied to it. */
static void test_replace_reject(void **state)
{
	static const int64_t b1[] = { 9900 }, b2[] = { 9700 };
	struct order_intent out[8];
	struct quote_ladder l;
	struct recon r;
	struct recon_order *o;
	uint64_t repl;
	uint32_t n;

	(void)state;
	setup(&r, NULL);
	put(&r, QUOTE_BID, 0, 42, 9900, 100, T0, 0);
	lad(&l, b2, 1, NULL, 0, 100);
	n = plan(&r, T0 + 5 * MS, &l, NULL, out, 8);
	assert_int_equal(n, 1);
	check(&out[0], INTENT_REPLACE, REASON_QUOTE_REPRICE, 'B');
	assert_int_equal(out[0].orig_token, 42);
	repl = out[0].token;
	o = &r.ord[QUOTE_BID][0];
	assert_int_equal(o->state, RECON_PENDING);
	assert_int_equal(o->orig_token, 42);

	/* 30 shares of the original fill before the venue rejects the replace. */
	assert_int_equal(recon_on_fill(&r, 42, 30), 0);
	assert_int_equal(recon_on_reject(&r, repl), 0);
	assert_int_equal(o->state, RECON_LIVE);
	assert_int_equal(o->token, 42);
	assert_int_equal(o->px, 9900);
	assert_int_equal(o->qty, 70);
	assert_int_equal(o->born_ns, T0);
	assert_int_equal(o->orig_token, 0);
	assert_int_equal(recon_on_reject(&r, repl), -ENOENT);

	/* The restored order is matched again: same price, so only a size fix. */
	lad(&l, b1, 1, NULL, 0, 70);
	assert_int_equal(plan(&r, T0 + 6 * MS, &l, NULL, out, 8), 0);

	/* A replace that is acknowledged forgets the original. */
	lad(&l, b2, 1, NULL, 0, 70);
	assert_int_equal(plan(&r, T0 + 7 * MS, &l, NULL, out, 8), 1);
	assert_int_equal(recon_on_ack(&r, out[0].token), 0);
	assert_int_equal(o->orig_token, 0);
	assert_int_equal(o->px, 9700);
	assert_int_equal(recon_on_reject(&r, out[0].token), 0);
	assert_int_equal(o->state, RECON_FREE); /* nothing to restore: freed */

	/* A rejected NEW frees the slot; the next plan sends a new one. */
	assert_int_equal(plan(&r, T0 + 8 * MS, &l, NULL, out, 8), 1);
	check(&out[0], INTENT_NEW, REASON_PRESENCE, 'B');
	assert_int_equal(recon_on_reject(&r, out[0].token), 0);
	assert_int_equal(o->state, RECON_FREE);

	/* The original fully filled while its replace was in flight: a reject
	 * then frees the slot rather than restoring an empty order. */
	put(&r, QUOTE_BID, 0, 50, 9900, 100, T0, 0);
	assert_int_equal(plan(&r, T0 + 9 * MS, &l, NULL, out, 8), 1);
	assert_int_equal(out[0].op, INTENT_REPLACE);
	assert_int_equal(recon_on_fill(&r, 50, 100), 0);
	assert_int_equal(recon_on_reject(&r, out[0].token), 0);
	assert_int_equal(o->state, RECON_FREE);

	/* The venue cancels the original while the replace is in flight. */
	put(&r, QUOTE_BID, 0, 60, 9900, 100, T0, 0);
	assert_int_equal(plan(&r, T0 + 10 * MS, &l, NULL, out, 8), 1);
	assert_int_equal(recon_on_canceled(&r, 60), 0);
	assert_int_equal(o->state, RECON_FREE);
}

/* Halted cancels every working order with REASON_HALTED. */
static void test_halted(void **state)
{
	struct recon_ctl ctl = { .halted = 1 };
	struct order_intent out[8];
	struct recon r;

	(void)state;
	setup(&r, NULL);
	put(&r, QUOTE_BID, 0, 42, 9900, 100, T0, 0);
	put(&r, QUOTE_ASK, 0, 43, 10100, 100, T0, 0);
	assert_int_equal(plan(&r, T0 + 5 * MS, NULL, &ctl, out, 8), 2);
	check(&out[0], INTENT_CANCEL, REASON_HALTED, 'B');
	check(&out[1], INTENT_CANCEL, REASON_HALTED, 'S');
}

/* quiet_until_ns: set only by a plan with no candidate and nothing held
 * back, to the first working order's born_ns + max_age_ns (the maximum-age
 * replace really comes one ns later), and cleared by the table updates. */
static void test_quiet_until(void **state)
{
	struct recon r;
	struct recon_cfg cfg = CFG;
	struct quote_ladder l, moved;
	struct order_intent out[8];
	int64_t b = 10000, a = 10500, b2 = 10300;
	uint64_t until = T0 - 20 * MS + CFG.max_age_ns;

	(void)state;
	setup(&r, NULL);
	put(&r, QUOTE_BID, 0, 5, b, 100, T0 - 10 * MS, 0);
	put(&r, QUOTE_ASK, 0, 6, a, 100, T0 - 20 * MS, 0);
	lad(&l, &b, 1, &a, 1, 100);
	assert_int_equal(plan(&r, T0, &l, NULL, out, 8), 0);
	assert_int_equal(r.quiet_until_ns, until);
	assert_int_equal(plan(&r, until, &l, NULL, out, 8), 0); /* age == max: kept */
	assert_int_equal(r.quiet_until_ns, until);
	assert_int_equal(plan(&r, until + 1, &l, NULL, out, 8), 1);
	check(&out[0], INTENT_REPLACE, REASON_QUOTE_AGE, 'S');
	assert_int_equal(r.quiet_until_ns, 0);

	/* a table update clears it */
	setup(&r, NULL);
	put(&r, QUOTE_BID, 0, 5, b, 100, T0 - 10 * MS, 0);
	put(&r, QUOTE_ASK, 0, 6, a, 100, T0 - 20 * MS, 0);
	assert_int_equal(plan(&r, T0, &l, NULL, out, 8), 0);
	assert_int_equal(r.quiet_until_ns, until);
	assert_int_equal(recon_on_ack(&r, 5), 0);
	assert_int_equal(r.quiet_until_ns, 0);
	assert_int_equal(plan(&r, T0, &l, NULL, out, 8), 0);
	assert_int_equal(recon_set_front(&r, 6, 1), 0);
	assert_int_equal(r.quiet_until_ns, 0);

	/* a replace held back by the minimum lifetime: no promise */
	setup(&r, NULL);
	put(&r, QUOTE_BID, 0, 5, b, 100, T0, 0);
	put(&r, QUOTE_ASK, 0, 6, a, 100, T0, 0);
	lad(&moved, &b2, 1, &a, 1, 100);
	assert_int_equal(plan(&r, T0, &moved, NULL, out, 8), 0);
	assert_int_equal(r.n_blocked, 1);
	assert_int_equal(r.quiet_until_ns, 0);

	/* no maximum age: quiet for good */
	cfg.max_age_ns = 0;
	setup(&r, &cfg);
	put(&r, QUOTE_BID, 0, 5, b, 100, T0 - 10 * MS, 0);
	assert_int_equal(plan(&r, T0, &(struct quote_ladder){ .bid = { { b, 100 } }, .n_bid = 1 },
			      NULL, out, 8), 0);
	assert_int_equal(r.quiet_until_ns, UINT64_MAX);
}

static uint64_t rs = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

/*
 * recon_plan_still_quiet against recon_plan on copies of the same state,
 * over random tables (0-2 orders a side, live or in flight, at the queue
 * front or not, of any age), controls (none, pulled, grow-blocked, red)
 * and configs (with and without a maximum age): after a plan that found
 * nothing, the same target but for the sides of a random mask, each with
 * 0-2 levels moved, resized or invalid, at a later time. With the promise
 * holding and those sides at most one level each, it answers exactly
 * whether the plan finds nothing, and then leaves r as the plan does;
 * otherwise (or when it says no) r is unchanged.
 */
static void test_still_quiet(void **state)
{
	static struct recon r, a, b;
	uint64_t n_yes = 0, n_no = 0, n_skip = 0;

	(void)state;
	for (int it = 0; it < 40000; it++) {
		struct recon_cfg cfg = CFG;
		struct recon_ctl cc, *ctl = NULL;
		struct quote_ladder l0, l1;
		struct order_intent out[16];
		uint64_t x = rnd(), now;
		unsigned mask = (unsigned)(rnd() % 4);
		bool yes, one = true;
		uint32_t n;

		if (x % 4 == 0)
			cfg.max_age_ns = 0;
		setup(&r, &cfg);
		memset(&l0, 0, sizeof(l0));
		for (int s = 0; s < 2; s++) {
			uint32_t k = (uint32_t)(rnd() % 3);
			struct quote_level *lv = s == QUOTE_BID ? l0.bid : l0.ask;

			for (uint32_t i = 0; i < k; i++) {
				uint64_t y = rnd();
				int64_t px = (s == QUOTE_BID ? 10000 : 10500) + 100 * (int64_t)(y % 5) -
					     200 + (s == QUOTE_BID ? -300 : 300) * (int64_t)i;

				put(&r, s, (int)((y >> 8) % RECON_MAX_LEVELS), 100 + 10 * (uint64_t)s + i,
				    px, 100, T0 - (y >> 16) % (1500 * MS), (int)((y >> 40) % 2));
				lv[i] = (struct quote_level){ px, 100 };
			}
			for (int i = 0; i < RECON_MAX_LEVELS; i++)
				if (r.ord[s][i].state && (rnd() % 3) == 0)
					r.ord[s][i].state = RECON_PENDING;
			recon_sync(&r);
			if (s == QUOTE_BID)
				l0.n_bid = k;
			else
				l0.n_ask = k;
		}
		if (x % 5 == 1) {
			memset(&cc, 0, sizeof(cc));
			cc.pulled[(x >> 8) % 2] = (x >> 9) % 2;
			cc.grow_block[(x >> 10) % 2] = (x >> 11) % 2;
			cc.red = (x >> 12) % 2;
			cc.red_allow[0] = (x >> 13) % 2;
			cc.red_allow[1] = (x >> 14) % 2;
			ctl = &cc;
		}
		if (plan(&r, T0, &l0, ctl, out, 16) != 0 || r.quiet_until_ns == 0) {
			n_skip++;
			continue; /* no promise to build on */
		}
		l1 = l0;
		for (int s = 0; s < 2; s++) {
			struct quote_level *lv = s == QUOTE_BID ? l1.bid : l1.ask;
			uint32_t *nl = s == QUOTE_BID ? &l1.n_bid : &l1.n_ask;
			uint64_t y = rnd();

			if (!(mask >> s & 1))
				continue;
			*nl = y % 8 == 0 ? 2 : y % 8 == 1 ? 0 : 1;
			for (uint32_t i = 0; i < *nl; i++) {
				lv[i].px = (s == QUOTE_BID ? 10000 : 10500) + 100 * (int64_t)((y >> 4) % 7) -
					   300 - 300 * (int64_t)i;
				lv[i].qty = (y >> 8) % 6 == 0 ? 200 : 100;
				if ((y >> 12) % 16 == 0)
					lv[i].px = 0; /* invalid */
			}
			one &= *nl <= 1;
		}
		now = T0 + rnd() % (1200 * MS);
		memcpy(&a, &r, sizeof(r));
		memcpy(&b, &r, sizeof(r));
		yes = recon_plan_still_quiet(&a, now, &l1, ctl, mask);
		n = plan(&b, now, &l1, ctl, out, 16);
		if (yes) {
			n_yes++;
			assert_int_equal(n, 0);
			assert_memory_equal(&a, &b, sizeof(a));
		} else {
			n_no++;
			assert_memory_equal(&a, &r, sizeof(a));
			/* with the promise and one level a side, "no" means the
			 * plan found something or held something back */
			if (now <= r.quiet_until_ns && one)
				assert_true(n > 0 || b.n_blocked != r.n_blocked || b.last_deferred);
		}
	}
	print_message("still quiet %" PRIu64 ", not %" PRIu64 ", no promise %" PRIu64 "\n", n_yes,
		      n_no, n_skip);
	assert_true(n_yes > 3000 && n_no > 3000);
}

static void test_api_errors(void **state)
{
	static const struct {
		int64_t tick;
		uint32_t tol, tol_front, rate, burst;
		uint64_t base;
	} bad[] = {
		{ 0, 1, 1, 1, 1, 1 }, { 100, 2, 1, 1, 1, 1 }, { 100, 1, 1, 0, 1, 1 },
		{ 100, 1, 1, 1, 0, 1 }, { 100, 1, 1, 1, 1, 0 },
	};
	struct recon r;

	(void)state;
	for (size_t i = 0; i < N(bad); i++) {
		struct recon_cfg c = CFG;

		c.tick = bad[i].tick;
		c.tol_ticks = bad[i].tol;
		c.tol_front_ticks = bad[i].tol_front;
		c.rate_per_s = bad[i].rate;
		c.burst = bad[i].burst;
		c.token_base = bad[i].base;
		assert_int_equal(recon_init(&r, &c, 0), -EINVAL);
	}
	assert_int_equal(recon_init(NULL, &CFG, 0), -EINVAL);
	setup(&r, NULL);
	assert_int_equal(recon_on_ack(&r, 42), -ENOENT);
	assert_int_equal(recon_on_fill(&r, 42, 1), -ENOENT);
	assert_int_equal(recon_on_canceled(&r, 42), -ENOENT);
	assert_int_equal(recon_on_reject(&r, 42), -ENOENT);
	assert_int_equal(recon_set_front(&r, 42, 1), -ENOENT);
	put(&r, QUOTE_BID, 0, 42, 10000, 100, T0, 0);
	assert_int_equal(recon_set_front(&r, 42, 1), 0);
	assert_int_equal(r.ord[QUOTE_BID][0].front, 1);
	recon_fini(&r);
	recon_fini(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tolerance),
		cmocka_unit_test(test_min_life),
		cmocka_unit_test(test_age_size),
		cmocka_unit_test(test_excess),
		cmocka_unit_test(test_new_levels),
		cmocka_unit_test(test_kill),
		cmocka_unit_test(test_replace_reject),
		cmocka_unit_test(test_halted),
		cmocka_unit_test(test_budget_priority),
		cmocka_unit_test(test_cancels_many),
		cmocka_unit_test(test_bucket_refill),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_quiet_until),
		cmocka_unit_test(test_still_quiet),
		cmocka_unit_test(test_api_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
