/* test_intensity.c - fill intensity: the blend weight table, recovery of a
 * known (A, kappa) from seeded synthetic trades (Poisson arrivals, Exp(kappa)
 * depths) on both sides, the prior and its counter on too few points and on a
 * flat (kappa 0) profile, the window sliding out old trades, bad inputs. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "strategy/intensity.h"

#define NS_PER_S 1000000000ull
#define FAIR 1000000.5 /* 100 USD, between ticks so depth rounding is even */

static struct fill fl; /* ~17 KiB: static storage */

static const struct fill_cfg base_cfg = {
	.bucket_px = 10.0, .n_buckets = 16, .slot_ns = NS_PER_S,
	.n_slots = 60, .min_points = 3, .min_count = 5,
	.prior_a = { 10.0, 12.0 }, .prior_kappa = { 0.05, 0.04 },
};

static void test_blend_weight(void **state)
{
	static const struct { uint32_t n; double w; } t[] = {
		{ 0, 0.0 }, { 1, 0.01 }, { 50, 0.5 }, { 79, 0.79 },
		{ 80, 0.8 }, { 100, 0.8 }, { 1000, 0.8 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (fabs(fill_blend_weight(t[i].n) - t[i].w) > 1e-15) {
			print_error("n %u: w %g want %g\n", t[i].n,
				    fill_blend_weight(t[i].n), t[i].w);
			fail();
		}
	}
}

static void test_init_checks(void **state)
{
	struct fill_cfg c = base_cfg;

	(void)state;
	assert_int_equal(fill_init(&fl, &c), 0);
	c.n_buckets = FILL_MAX_BUCKETS + 1;
	assert_int_equal(fill_init(&fl, &c), -EINVAL);
	c = base_cfg;
	c.prior_kappa[1] = 0.0;
	assert_int_equal(fill_init(&fl, &c), -EINVAL);
	c = base_cfg;
	c.bucket_px = NAN;
	assert_int_equal(fill_init(&fl, &c), -EINVAL);
	fill_fini(NULL);
}

static uint64_t rng_s;

static double rng_u01(void)
{
	/* xorshift64*, top 53 bits, in (0, 1) */
	rng_s ^= rng_s >> 12;
	rng_s ^= rng_s << 25;
	rng_s ^= rng_s >> 27;
	return ((double)((rng_s * 2685821657736338717ull) >> 11) + 0.5) /
	       9007199254740992.0;
}

/* Trades for [t_from, t_to) on side at rate a (/s), depths ~ Exp(kappa). */
static uint64_t gen_trades(int side, double a, double kappa, uint64_t t_from,
			   uint64_t t_to)
{
	double t = (double)t_from, d;
	uint32_t px;
	uint64_t n = 0;

	for (;;) {
		t += -log(rng_u01()) / a * 1e9;
		if (t >= (double)t_to)
			return n;
		d = -log(rng_u01()) / kappa;
		px = side == FILL_BID ? (uint32_t)lround(FAIR - 0.5 - floor(d))
				      : (uint32_t)lround(FAIR + 0.5 + floor(d));
		assert_int_equal(fill_on_trade(&fl, side, px, FAIR,
					       (uint64_t)t), 0);
		n++;
	}
}

static void test_recover_known(void **state)
{
	static const struct { double a, kappa; } truth[2] = {
		{ 40.0, 0.02 }, { 25.0, 0.035 },
	};
	struct fill_params p;
	uint64_t end = 120 * NS_PER_S;
	int s;

	(void)state;
	rng_s = 0x9e3779b97f4a7c15ull;
	assert_int_equal(fill_init(&fl, &base_cfg), 0);
	/* Start the clock at 0, then interleave both sides second by second. */
	assert_int_equal(fill_estimate(&fl, FILL_BID, 0, &p), 0);
	for (uint64_t t = 0; t < end; t += NS_PER_S)
		for (s = 0; s < 2; s++)
			gen_trades(s, truth[s].a, truth[s].kappa, t,
				   t + NS_PER_S);
	for (s = 0; s < 2; s++) {
		assert_int_equal(fill_estimate(&fl, s, end, &p), 0);
		if (p.status != FILL_FIT_OK ||
		    fabs(p.fit_a / truth[s].a - 1.0) > 0.10 ||
		    fabs(p.fit_kappa / truth[s].kappa - 1.0) > 0.10) {
			print_error("side %d: status %u n %u A %.3f (%.3f) "
				    "kappa %.5f (%.5f)\n", s, p.status, p.n,
				    p.fit_a, truth[s].a, p.fit_kappa,
				    truth[s].kappa);
			fail();
		}
		/* Only the last 60 s are in the window. */
		assert_true(p.n > 0.8 * 60 * truth[s].a &&
			    p.n < 1.2 * 60 * truth[s].a);
		assert_true(p.weight == 0.8);
		assert_true(fabs(p.a - (0.8 * p.fit_a +
					0.2 * base_cfg.prior_a[s])) < 1e-12);
		assert_true(fabs(p.kappa - (0.8 * p.fit_kappa +
					    0.2 * base_cfg.prior_kappa[s])) < 1e-15);
	}
	assert_int_equal(fl.n_bad_fit, 1); /* the empty estimate at t = 0 */

	/* Two windows of silence later nothing is left: prior, counted. */
	assert_int_equal(fill_estimate(&fl, FILL_ASK, end + 130 * NS_PER_S, &p), 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(p.status, FILL_FIT_FEW);
	assert_true(p.a == base_cfg.prior_a[FILL_ASK]);
	assert_int_equal(fl.n_bad_fit, 2);
}

static void test_prior_on_few_points(void **state)
{
	struct fill_params p;
	int i;

	(void)state;
	assert_int_equal(fill_init(&fl, &base_cfg), 0);
	/* n = 0: weight 0, prior. */
	assert_int_equal(fill_estimate(&fl, FILL_BID, NS_PER_S, &p), 0);
	assert_int_equal(p.status, FILL_FIT_FEW);
	assert_true(p.weight == 0.0);
	assert_true(p.a == base_cfg.prior_a[0] &&
		    p.kappa == base_cfg.prior_kappa[0]);
	/* 50 trades all at depth 3: a single point. */
	for (i = 0; i < 50; i++)
		assert_int_equal(fill_on_trade(&fl, FILL_BID, 999997, FAIR,
					       NS_PER_S + (uint64_t)i), 0);
	assert_int_equal(fill_estimate(&fl, FILL_BID, 2 * NS_PER_S, &p), 0);
	assert_int_equal(p.n, 50);
	assert_int_equal(p.status, FILL_FIT_FEW);
	assert_true(p.a == base_cfg.prior_a[0] &&
		    p.kappa == base_cfg.prior_kappa[0]);
	assert_int_equal(fl.n_bad_fit, 2);
	/* The ask side saw nothing. */
	assert_int_equal(fill_estimate(&fl, FILL_ASK, 2 * NS_PER_S, &p), 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(fl.n_bad_fit, 3);
}

static void test_flat_profile_is_bad(void **state)
{
	struct fill_params p;
	int i;

	(void)state;
	assert_int_equal(fill_init(&fl, &base_cfg), 0);
	/* 200 trades all beyond the last bucket: every depth sees the same
	 * cumulative count, kappa 0. */
	for (i = 0; i < 200; i++)
		assert_int_equal(fill_on_trade(&fl, FILL_ASK, 1001000, FAIR,
					       (uint64_t)i * 1000), 0);
	assert_int_equal(fill_estimate(&fl, FILL_ASK, NS_PER_S, &p), 0);
	assert_int_equal(p.status, FILL_FIT_BAD);
	assert_true(p.weight == 0.0);
	assert_true(p.a == base_cfg.prior_a[1] &&
		    p.kappa == base_cfg.prior_kappa[1]);
	assert_int_equal(fl.n_bad_fit, 1);
}

static void test_bad_inputs(void **state)
{
	struct fill_params p;

	(void)state;
	assert_int_equal(fill_init(&fl, &base_cfg), 0);
	assert_int_equal(fill_on_trade(&fl, 2, 1000000, FAIR, 0), -EINVAL);
	assert_int_equal(fill_on_trade(&fl, FILL_BID, 0, FAIR, 0), -EINVAL);
	assert_int_equal(fill_on_trade(&fl, FILL_BID, 1000000, NAN, 0), -EINVAL);
	assert_int_equal(fill_on_trade(&fl, FILL_BID, 1000000, FAIR,
				       5 * NS_PER_S), 0);
	assert_int_equal(fill_on_trade(&fl, FILL_BID, 1000000, FAIR,
				       3 * NS_PER_S), -ERANGE);
	assert_int_equal(fl.n_rejected, 4);
	assert_int_equal(fl.n_trades, 1);
	assert_int_equal(fill_estimate(&fl, -1, 5 * NS_PER_S, &p), -EINVAL);
	assert_int_equal(fill_estimate(&fl, FILL_BID, 5 * NS_PER_S, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blend_weight),
		cmocka_unit_test(test_init_checks),
		cmocka_unit_test(test_recover_known),
		cmocka_unit_test(test_prior_on_few_points),
		cmocka_unit_test(test_flat_profile_is_bad),
		cmocka_unit_test(test_bad_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
