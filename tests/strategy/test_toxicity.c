/* test_toxicity.c - adverse markouts raise only that side's score, benign
 * ones do not lower the multiplier below 1, flow imbalance hits the right
 * side, pull and cooldown expiry exactly at cooldown_ns, the shrink zone,
 * the markout ring full is counted, bad configs refused, determinism;
 * tox_decide_span's bounded verdicts hold the exact tox_decide ones; the
 * memos equal fresh verdicts (per-side generations); the inline
 * tox_on_fair equals tox_on_fair_full. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#include <string.h>

#include <cmocka.h>

#include "strategy/toxicity.h"

#define MS 1000000ull

static void mk_cfg(struct tox_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->n_horizons = 2;
	c->horizon_ns[0] = 100 * MS;
	c->horizon_ns[1] = 1000 * MS;
	c->horizon_weight[0] = 0.5;
	c->horizon_weight[1] = 0.5;
	c->markout_alpha = 1.0; /* newest sample only: exact expectations */
	c->flow_alpha = 0.5;
	c->through_half_life_ns = 10 * MS;
	c->w_markout = 1.0;
	c->w_flow = 0.0;
	c->w_through = 0.0;
	c->shrink_threshold = 2.0;
	c->pull_threshold = 5.0;
	c->shrink_factor = 0.5;
	c->cooldown_ns = 500 * MS;
	c->spread_k = 0.1;
}

static void test_init_checks(void **state)
{
	struct tox t;
	struct tox_cfg c;

	(void)state;
	mk_cfg(&c);
	assert_int_equal(tox_init(&t, &c), 0);
	assert_int_equal(tox_init(NULL, &c), -EINVAL);
	c.pull_threshold = c.shrink_threshold;
	assert_int_equal(tox_init(&t, &c), -EINVAL);
	mk_cfg(&c);
	c.n_horizons = TOX_MAX_HORIZONS + 1;
	assert_int_equal(tox_init(&t, &c), -EINVAL);
	mk_cfg(&c);
	c.shrink_factor = 1.0;
	assert_int_equal(tox_init(&t, &c), -EINVAL);
	mk_cfg(&c);
	c.w_flow = -1.0;
	assert_int_equal(tox_init(&t, &c), -EINVAL);
	mk_cfg(&c);
	c.cooldown_ns = 0;
	assert_int_equal(tox_init(&t, &c), -EINVAL);
	tox_fini(NULL);
}

/* Table: one fill then the fair at both horizons; expected scores. */
struct mk_case {
	const char *name;
	enum quote_side side;
	double px, fair;
	double bid_score, ask_score;
};

static void test_markout_table(void **state)
{
	static const struct mk_case cases[] = {
		/* bought at 10000, fair fell 2 bps: adverse to the bid */
		{ "buy adverse", QUOTE_BID, 10000, 9998, 2.0, 0.0 },
		/* sold at 10000, fair rose 3 bps: adverse to the ask */
		{ "sell adverse", QUOTE_ASK, 10000, 10003, 0.0, 3.0 },
		/* benign: fair moved our way, score stays 0 */
		{ "buy benign", QUOTE_BID, 10000, 10010, 0.0, 0.0 },
		{ "sell benign", QUOTE_ASK, 10000, 9990, 0.0, 0.0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct mk_case *k = &cases[i];
		struct tox t;
		struct tox_cfg c;
		/* zeroed: with tox_decide inline the compiler sees its -EINVAL path */
		struct tox_decision d = { 0 };

		mk_cfg(&c);
		assert_int_equal(tox_init(&t, &c), 0);
		assert_int_equal(tox_on_fill(&t, 0, k->side, k->px), 0);
		assert_int_equal(tox_on_fair(&t, 100 * MS - 1, k->fair), 0); /* not due */
		assert_int_equal(tox_on_fair(&t, 100 * MS, k->fair), 1);
		assert_int_equal(tox_on_fair(&t, 1000 * MS, k->fair), 1);
		assert_int_equal(t.n_markouts, 2);
		assert_true(fabs(tox_score(&t, 1000 * MS, QUOTE_BID) - k->bid_score) < 1e-9);
		assert_true(fabs(tox_score(&t, 1000 * MS, QUOTE_ASK) - k->ask_score) < 1e-9);
		assert_int_equal(tox_decide(&t, 1000 * MS, k->side, &d), 0);
		assert_true(d.spread_mult >= 1.0);
		assert_true(fabs(d.spread_mult - (1.0 + 0.1 * d.score)) < 1e-12);
	}
}

static void test_pull_cooldown_exact(void **state)
{
	struct tox t;
	struct tox_cfg c;
	struct tox_decision d;
	uint64_t t0 = 5 * MS;

	(void)state;
	mk_cfg(&c);
	c.w_markout = 0.0;
	c.w_through = 1.0; /* score = decayed trade-through count */
	assert_int_equal(tox_init(&t, &c), 0);
	for (int i = 0; i < 6; i++)
		assert_int_equal(tox_on_trade_through(&t, t0, QUOTE_ASK), 0);
	assert_int_equal(tox_decide(&t, t0, QUOTE_ASK, &d), 0);
	assert_true(d.pulled);
	assert_true(d.size_factor == 0.0);
	assert_true(d.spread_mult >= 1.0);
	assert_int_equal(tox_decide(&t, t0, QUOTE_BID, &d), 0);
	assert_false(d.pulled); /* the other side untouched */
	assert_true(d.size_factor == 1.0);
	/* Still pulled one ns before expiry although the score has decayed. */
	assert_int_equal(tox_decide(&t, t0 + c.cooldown_ns - 1, QUOTE_ASK, &d), 0);
	assert_true(d.pulled);
	assert_true(d.score < c.shrink_threshold);
	/* Exactly at cooldown_ns: released. */
	assert_int_equal(tox_decide(&t, t0 + c.cooldown_ns, QUOTE_ASK, &d), 0);
	assert_false(d.pulled);
	assert_true(d.size_factor == 1.0);
	assert_int_equal(t.n_pulls, 1);
}

static void test_shrink_zone(void **state)
{
	struct tox t;
	struct tox_cfg c;
	struct tox_decision d;

	(void)state;
	mk_cfg(&c);
	assert_int_equal(tox_init(&t, &c), 0);
	assert_int_equal(tox_on_fill(&t, 0, QUOTE_BID, 10000), 0);
	assert_int_equal(tox_on_fair(&t, 1000 * MS, 9997), 2); /* 3 bps adverse */
	assert_int_equal(tox_decide(&t, 1000 * MS, QUOTE_BID, &d), 0);
	assert_true(fabs(d.score - 3.0) < 1e-9);
	assert_false(d.pulled);
	assert_true(d.size_factor == 0.5);
	assert_true(fabs(d.spread_mult - 1.3) < 1e-9);
	assert_int_equal(tox_decide(&t, 1000 * MS, QUOTE_ASK, &d), 0);
	assert_true(d.size_factor == 1.0);
	assert_true(d.spread_mult == 1.0);
}

static void test_flow_and_multiplier_floor(void **state)
{
	struct tox t;
	struct tox_cfg c;
	struct tox_decision d;
	static const double flows[] = { 100, -300, 0, -1e9, 1e9, -5, 7 };
	size_t i;

	(void)state;
	mk_cfg(&c);
	c.w_flow = 1.0;
	c.spread_k = 0.0;
	assert_int_equal(tox_init(&t, &c), 0);
	assert_int_equal(tox_on_trade(&t, 1, 500), 0); /* buying: against ask */
	assert_true(tox_score(&t, 1, QUOTE_ASK) > 0.99);
	assert_true(tox_score(&t, 1, QUOTE_BID) == 0.0);
	assert_int_equal(tox_on_trade(&t, 2, NAN), -EINVAL);
	/* Multiplier never below 1, whatever the inputs (k = 0 and k > 0). */
	for (i = 0; i < sizeof(flows) / sizeof(flows[0]); i++) {
		assert_int_equal(tox_on_trade(&t, 3 + i, flows[i]), 0);
		assert_int_equal(tox_decide(&t, 3 + i, QUOTE_BID, &d), 0);
		assert_true(d.spread_mult >= 1.0 && d.score >= 0.0);
		assert_int_equal(tox_decide(&t, 3 + i, QUOTE_ASK, &d), 0);
		assert_true(d.spread_mult >= 1.0 && d.score >= 0.0);
	}
	/* Benign markouts only (fair always moves our way). */
	c.spread_k = 10.0;
	c.w_flow = 0.0;
	assert_int_equal(tox_init(&t, &c), 0);
	for (i = 0; i < 20; i++) {
		assert_true(tox_on_fill(&t, i * MS, (i & 1) ? QUOTE_ASK : QUOTE_BID, 10000) >= 0);
		assert_true(tox_on_fair(&t, i * MS + 2000 * MS, (i & 1) ? 9000 : 11000) >= 0);
		assert_int_equal(tox_decide(&t, i * MS + 2000 * MS, QUOTE_BID, &d), 0);
		assert_true(d.spread_mult == 1.0);
	}
}

static void test_ring_full_counted(void **state)
{
	struct tox t;
	struct tox_cfg c;
	uint32_t i;

	(void)state;
	mk_cfg(&c);
	assert_int_equal(tox_init(&t, &c), 0);
	for (i = 0; i < TOX_PENDING; i++)
		assert_int_equal(tox_on_fill(&t, i, QUOTE_BID, 10000), 0);
	assert_int_equal(tox_on_fill(&t, TOX_PENDING, QUOTE_BID, 10000), -ENOBUFS);
	assert_int_equal(t.n_markout_dropped, 2); /* one per horizon */
	assert_int_equal(tox_on_fill(&t, 0, QUOTE_BID, 10000), -ERANGE);
	assert_int_equal(tox_on_fill(&t, TOX_PENDING, QUOTE_BID, 0), -EINVAL);
	/* Maturing frees space again. */
	assert_int_equal(tox_on_fair(&t, 100 * MS + TOX_PENDING, 10000), (int)TOX_PENDING);
	assert_int_equal(tox_on_fill(&t, 200 * MS, QUOTE_BID, 10000), -ENOBUFS);
	assert_int_equal(t.n_markout_dropped, 3); /* long horizon still full */
	assert_int_equal(tox_on_fair(&t, 2000 * MS, 10000), (int)TOX_PENDING + 1);
	assert_int_equal(t.ring[0].count + t.ring[1].count, 0);
}

static void run_seq(struct tox_decision *out, size_t n)
{
	struct tox t;
	struct tox_cfg c;
	size_t i;

	mk_cfg(&c);
	c.w_flow = 2.0;
	c.w_through = 1.0;
	c.markout_alpha = 0.3;
	assert_int_equal(tox_init(&t, &c), 0);
	for (i = 0; i < n; i++) {
		uint64_t now = i * 10 * MS;
		enum quote_side s = (i % 3) ? QUOTE_BID : QUOTE_ASK;

		tox_on_fill(&t, now, s, 10000 + (double)(i % 7));
		tox_on_trade(&t, now, (double)((int)(i * 31 % 17) - 8));
		if (i % 5 == 0)
			tox_on_trade_through(&t, now, s);
		tox_on_fair(&t, now, 10000 + (double)(i % 11) - 5);
		tox_decide(&t, now, s, &out[i]);
	}
}

static void test_determinism(void **state)
{
	struct tox_decision a[300], b[300];

	(void)state;
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	run_seq(a, 300);
	run_seq(b, 300);
	assert_memory_equal(a, b, sizeof(a));
}

static uint64_t rs_t = 0x9e3779b97f4a7c15ull;
static uint64_t rnd_t(void)
{
	rs_t ^= rs_t << 13;
	rs_t ^= rs_t >> 7;
	rs_t ^= rs_t << 17;
	return rs_t;
}

/* Two trackers fed the same random fills, fair values, trades and
 * trade-throughs (scores hovering around both thresholds, cooldowns
 * expiring, gaps longer than a window may reach): after every step, side
 * by side, tox_decide_span on one gives tox_decide's pulled and
 * size_factor on the other, and its exact spread_mult within [mult_lo,
 * mult_hi] (equal when the bounds are); cooldown state and pull counts
 * stay the same. Sometimes the span tracker is asked tox_decide too (a
 * caller falling back to the exact multiplier) and must agree. */
static void test_span_holds_exact(void **state)
{
	struct tox_cfg c;
	struct tox a, b;
	uint64_t t = 1000 * MS;
	double fair = 1e6;
	int bounded = 0, pulled = 0;

	(void)state;
	mk_cfg(&c);
	c.w_flow = 1.0;
	c.w_through = 1.0;
	c.spread_k = 0.25;
	c.shrink_threshold = 1.0;
	c.pull_threshold = 2.0;
	c.through_half_life_ns = 100 * MS;
	c.cooldown_ns = 30 * MS;
	assert_int_equal(tox_init(&a, &c), 0);
	assert_int_equal(tox_init(&b, &c), 0);
	assert_true(b.span_ns > 0);
	for (int i = 0; i < 300000; i++) {
		uint64_t u = rnd_t();

		if (u % 50000 == 0)
			t += 200000 * MS; /* beyond any window: exact path */
		else
			t += (u >> 8) % 4 == 0 ? 0 : ((u >> 10) % 3000) * 1000;
		fair += (double)((int)((u >> 20) % 201) - 100);
		(void)tox_on_fair(&a, t, fair);
		(void)tox_on_fair(&b, t, fair);
		if ((u >> 30) % 8 == 0) {
			double q = (double)((int)((u >> 33) % 2001) - 1000);

			(void)tox_on_trade(&a, t, q);
			(void)tox_on_trade(&b, t, q);
		}
		if ((u >> 44) % 200 == 0) {
			enum quote_side sd = (u >> 52) & 1 ? QUOTE_BID : QUOTE_ASK;

			(void)tox_on_trade_through(&a, t, sd);
			(void)tox_on_trade_through(&b, t, sd);
		}
		if ((u >> 53) % 500 == 0) {
			enum quote_side sd = (u >> 62) & 1 ? QUOTE_BID : QUOTE_ASK;

			(void)tox_on_fill(&a, t, sd, fair);
			(void)tox_on_fill(&b, t, sd, fair);
		}
		for (int sd = 0; sd < 2; sd++) {
			struct tox_decision x, y;
			struct tox_span sp;

			assert_int_equal(tox_decide(&a, t, (enum quote_side)sd, &x), 0);
			assert_int_equal(tox_decide_span(&b, t, (enum quote_side)sd, &sp), 0);
			assert_int_equal(sp.pulled, x.pulled);
			assert_memory_equal(&sp.size_factor, &x.size_factor, sizeof(double));
			assert_true(sp.mult_lo <= x.spread_mult && x.spread_mult <= sp.mult_hi);
			if (sp.mult_lo == sp.mult_hi)
				assert_memory_equal(&sp.mult_lo, &x.spread_mult, sizeof(double));
			else
				bounded++;
			pulled += x.pulled;
			if (sp.mult_lo != sp.mult_hi && (u >> 40) & 1) {
				assert_int_equal(tox_decide(&b, t, (enum quote_side)sd, &y), 0);
				assert_memory_equal(&y.spread_mult, &x.spread_mult, sizeof(double));
				assert_int_equal(y.pulled, x.pulled);
				assert_memory_equal(&y.size_factor, &x.size_factor, sizeof(double));
			}
			assert_int_equal(b.side[sd].pulled, a.side[sd].pulled);
			assert_true(b.side[sd].pulled_until_ns == a.side[sd].pulled_until_ns);
		}
		assert_true(a.n_pulls == b.n_pulls);
	}
	/* the bounded path and cooldowns were exercised, not only exact calls */
	assert_true(bounded > 10000);
	assert_true(a.n_pulls > 100 && pulled > 1000);
}

/* The memos against no memo, called as mm's decision calls them
 * (tox_decide_span per side, tox_decide after it when the bounds differ):
 * one tracker fed random fills, fair values (maturing markouts), trades
 * (moving one side's imbalance, often not the other's) and, in the second
 * half, trade-throughs; before each verdict a copy has that side's memos
 * dropped (memo_gen, span_memo_gen 0) and computes afresh. Same verdicts
 * bit for bit and the same state after (but the dropped generations): a
 * memo is reused only while none of its side's inputs moved (its gen); and
 * a window memo of the current gen only with a count to decay. Some window
 * memos end early, at a cooldown's expiry (span_memo_to_ns): counted, and
 * required. */
static void test_memo_per_side(void **state)
{
	static struct tox a, f;
	struct tox_cfg c;
	uint64_t t = 1000 * MS, hits = 0, calls = 0, cut = 0;
	double fair = 1e6;

	(void)state;
	mk_cfg(&c);
	c.w_flow = 1.0;
	c.w_through = 1.0;
	c.spread_k = 0.25;
	c.through_half_life_ns = 100 * MS;
	c.cooldown_ns = 30 * MS;
	assert_int_equal(tox_init(&a, &c), 0);
	for (int i = 0; i < 200000; i++) {
		uint64_t u = rnd_t();

		t += (u >> 8) % 4 == 0 ? 0 : ((u >> 10) % 3000) * 1000;
		fair += (double)((int)((u >> 20) % 201) - 100);
		(void)tox_on_fair(&a, t, fair);
		if ((u >> 30) % 4 == 0) /* mostly one way: the other side's term stays 0 */
			(void)tox_on_trade(&a, t, (double)((int)((u >> 33) % 1000) - 200));
		if (i > 100000 && (u >> 44) % 300 == 0)
			(void)tox_on_trade_through(&a, t, (u >> 52) & 1 ? QUOTE_BID : QUOTE_ASK);
		if ((u >> 53) % 500 == 0)
			(void)tox_on_fill(&a, t, (u >> 62) & 1 ? QUOTE_BID : QUOTE_ASK, fair);
		for (int sd = 0; sd < 2; sd++) {
			struct tox_side_state *x = &a.side[sd];
			struct tox_span p, q;

			memcpy(&f, &a, sizeof(a));
			f.side[sd].memo_gen = 0;
			f.side[sd].span_memo_gen = 0;
			/* tox_decide_span tests its window memo first: one of
			 * this gen implies a count to decay */
			if (x->span_memo_gen == x->gen + 1)
				assert_true(x->through != 0.0);
			hits += x->through == 0.0 ? x->memo_gen == x->gen + 1
						  : x->span_memo_gen == x->gen + 1;
			/* a window memo whose cooldown ends inside its window */
			cut += x->span_memo_gen == x->gen + 1 && t >= x->span_from_ns &&
			       t <= x->span_to_ns && t > x->span_memo_to_ns;
			calls++;
			assert_int_equal(tox_decide_span(&a, t, (enum quote_side)sd, &p), 0);
			assert_int_equal(tox_decide_span(&f, t, (enum quote_side)sd, &q), 0);
			/* field by field: a memo copy carries its padding */
			assert_memory_equal(&p.mult_lo, &q.mult_lo, sizeof(double));
			assert_memory_equal(&p.mult_hi, &q.mult_hi, sizeof(double));
			assert_memory_equal(&p.size_factor, &q.size_factor, sizeof(double));
			assert_int_equal(p.pulled, q.pulled);
			if (p.mult_lo != p.mult_hi && (u >> (40 + sd)) & 1) {
				struct tox_decision y, z;

				assert_int_equal(tox_decide(&a, t, (enum quote_side)sd, &y), 0);
				assert_int_equal(tox_decide(&f, t, (enum quote_side)sd, &z), 0);
				assert_memory_equal(&y.score, &z.score, sizeof(double));
				assert_memory_equal(&y.spread_mult, &z.spread_mult, sizeof(double));
				assert_memory_equal(&y.size_factor, &z.size_factor, sizeof(double));
				assert_int_equal(y.pulled, z.pulled);
			}
			/* the rest of the state too, but the generations the copy
			 * dropped where its fresh path did not set them again */
			if (f.side[sd].memo_gen == 0)
				f.side[sd].memo_gen = a.side[sd].memo_gen;
			if (f.side[sd].span_memo_gen == 0)
				f.side[sd].span_memo_gen = a.side[sd].span_memo_gen;
			assert_memory_equal(&a, &f, sizeof(a));
		}
	}
	print_message("memo reuses %" PRIu64 " of %" PRIu64 " verdicts (%" PRIu64
		      " window memos ended by a cooldown)\n",
		      hits, calls, cut);
	assert_true(hits > calls / 4 && calls - hits > calls / 20);
	assert_true(cut > 0);
}

/* Fills queuing markouts and fair values at random times (often before the
 * next due time, sometimes after; sometimes a bad fair): the inline
 * tox_on_fair leaves the state and the result tox_on_fair_full gives; so
 * does tox_on_fair_px for every fair it takes (finite, > 0). */
static void test_on_fair_inline_same_as_full(void **state)
{
	struct tox_cfg c;
	static struct tox a, b, p; /* large: static storage */
	int rc, n_px = 0;
	uint64_t t = 1000 * MS;
	int quick = 0;

	(void)state;
	mk_cfg(&c);
	assert_int_equal(tox_init(&a, &c), 0);
	assert_int_equal(tox_init(&b, &c), 0);
	assert_int_equal(tox_init(&p, &c), 0);
	assert_int_equal(tox_on_fair(NULL, 0, 1.0), tox_on_fair_full(NULL, 0, 1.0));
	for (int i = 0; i < 200000; i++) {
		uint64_t u = rnd_t();
		double fair = 1e6 + (double)((u >> 20) % 1000);

		t += (u >> 8) % (20 * MS);
		if ((u >> 40) % 50 == 0) {
			enum quote_side sd = (u >> 50) & 1 ? QUOTE_BID : QUOTE_ASK;

			assert_int_equal(tox_on_fill(&a, t, sd, fair), tox_on_fill(&b, t, sd, fair));
			assert_int_equal(tox_on_fill(&p, t, sd, fair), 0);
		}
		if ((u >> 52) % 300 == 0)
			fair = ((u >> 60) & 1) ? NAN : -1.0;
		quick += t < a.next_due_ns;
		rc = tox_on_fair(&a, t, fair);
		assert_int_equal(rc, tox_on_fair_full(&b, t, fair));
		assert_memory_equal(&a, &b, sizeof(a));
		if (fair > 0.0 && fair <= DBL_MAX) {
			assert_int_equal(tox_on_fair_px(&p, t, fair), rc);
			n_px++;
		} else {
			assert_int_equal(tox_on_fair(&p, t, fair), rc);
		}
		assert_memory_equal(&p, &a, sizeof(p));
	}
	assert_true(quick > 1000 && a.n_markouts > 1000 && n_px > 190000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_checks),
		cmocka_unit_test(test_markout_table),
		cmocka_unit_test(test_pull_cooldown_exact),
		cmocka_unit_test(test_shrink_zone),
		cmocka_unit_test(test_flow_and_multiplier_floor),
		cmocka_unit_test(test_ring_full_counted),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_span_holds_exact),
		cmocka_unit_test(test_memo_per_side),
		cmocka_unit_test(test_on_fair_inline_same_as_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
