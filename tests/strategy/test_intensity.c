/* test_intensity.c - fill intensity: the blend weight table, recovery of a
 * known (A, kappa) from seeded synthetic trades (Poisson arrivals, Exp(kappa)
 * depths) on both sides, the prior and its counter on too few points and on a
 * flat (kappa 0) profile, the window sliding out old trades, bad inputs,
 * and the newest slot's cached bounds against the division at every call. */
#include <errno.h>
#include <inttypes.h>
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

/* The newest slot's cached bounds and index (struct fill: slot_lo_ns,
 * slot_hi_ns, slot_idx), against the slot found by division at every
 * call: a copy whose bounds are cleared before each call takes that path
 * (fill_advance's division, as before the cache) and must give the same
 * codes, bytes and estimates. Times mostly within a slot, on and next to
 * its edges, across a few slots and past the whole window, going back (a
 * refused trade), and the first trade at time 0; a slot length whose end
 * overflows near UINT64_MAX. */
static struct fill fl_ref;

static uint64_t slot_sat; /* calls that saw the newest slot's end saturated */

static void check_slot_pair(uint64_t slot_ns, uint64_t t, uint32_t n, uint32_t min_fast)
{
	struct fill_cfg c = base_cfg;
	uint64_t r = 0x2545f4914f6cdd1dull ^ slot_ns;
	uint64_t fast = 0;

	c.slot_ns = slot_ns;
	assert_int_equal(fill_init(&fl, &c), 0);
	assert_int_equal(fill_init(&fl_ref, &c), 0);
	for (uint32_t i = 0; i < n; i++) {
		struct fill_params p, q;
		int side, ra, rb;
		uint64_t k, lo, hi;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		k = r % 1000;
		if (i == 0)
			; /* the first trade at t */
		else if (k < 20 && t > slot_ns)
			t -= (r >> 12) % slot_ns + 1; /* back: often refused */
		else if (k < 40)
			t = fl.slot_hi_ns - ((r >> 12) & 1); /* the edge, and next to it */
		else if (k < 45 && t < UINT64_MAX / 2)
			t += (uint64_t)c.n_slots * slot_ns * (1 + (r >> 12) % 3); /* past it all */
		else if (k < 120)
			t += slot_ns * ((r >> 12) % 4);
		else
			t += (r >> 12) % (slot_ns / 16 + 1);
		side = (r >> 40) & 1 ? FILL_BID : FILL_ASK;
		fast += t >= fl.slot_lo_ns && t < fl.slot_hi_ns;
		slot_sat += fl.slot_hi_ns == UINT64_MAX;
		lo = fl_ref.slot_lo_ns;
		hi = fl_ref.slot_hi_ns;
		fl_ref.slot_lo_ns = fl_ref.slot_hi_ns = 0; /* the division's path */
		ra = fill_on_trade(&fl, side, 1000000 + (uint32_t)((r >> 44) % 400) - 200, FAIR, t);
		rb = fill_on_trade(&fl_ref, side, 1000000 + (uint32_t)((r >> 44) % 400) - 200, FAIR,
				   t);
		assert_int_equal(ra, rb);
		if (rb == -ERANGE) { /* refused before the slot is set: as it was */
			fl_ref.slot_lo_ns = lo;
			fl_ref.slot_hi_ns = hi;
		}
		/* the cleared bounds are set again by the slow path: every byte */
		if (fl_ref.started)
			assert_memory_equal(&fl, &fl_ref, sizeof(fl));
		assert_true(!fl.started || (fl.slot_idx == fl.slot_id % c.n_slots &&
					    fl.slot_lo_ns == fl.slot_id * slot_ns));
		if (i % 97 == 0) {
			lo = fl_ref.slot_lo_ns;
			hi = fl_ref.slot_hi_ns;
			fl_ref.slot_lo_ns = fl_ref.slot_hi_ns = 0;
			ra = fill_estimate(&fl, side, t, &p);
			rb = fill_estimate(&fl_ref, side, t, &q);
			assert_int_equal(ra, rb);
			if (fl_ref.slot_hi_ns == 0) { /* refused: as it was */
				fl_ref.slot_lo_ns = lo;
				fl_ref.slot_hi_ns = hi;
			}
			if (ra == 0)
				assert_memory_equal(&p, &q, sizeof(p));
			if (fl_ref.started)
				assert_memory_equal(&fl, &fl_ref, sizeof(fl));
		}
	}
	assert_true(fast >= min_fast); /* the cached slot answered */
	assert_true(fl.n_rejected > 0 && fl.n_trades >= fast); /* a cached call is never refused */
}

static void test_slot_cache(void **state)
{
	(void)state;
	check_slot_pair(NS_PER_S, 0, 20000, 10000);
	check_slot_pair(NS_PER_S / 10, 36000 * NS_PER_S, 20000, 10000);
	/* the newest slot's end overflows: bounds saturate at UINT64_MAX
	 * (the times wrap too: many refused) */
	slot_sat = 0;
	check_slot_pair(UINT64_MAX / 4 + 1, UINT64_MAX - UINT64_MAX / 16, 400, 20);
	assert_true(slot_sat > 20);
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
		cmocka_unit_test(test_slot_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
