/* test_toxicity.c - adverse markouts raise only that side's score, benign
 * ones do not lower the multiplier below 1, flow imbalance hits the right
 * side, pull and cooldown expiry exactly at cooldown_ns, the shrink zone,
 * the markout ring full is counted, bad configs refused, determinism. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
