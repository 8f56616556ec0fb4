/* test_vol.c - fixed-clock EWMA volatility: constant price gives the
 * sigma_min floor, an alternating series gives the closed-form EWMA, a gap of
 * many intervals equals feeding every interval, half-life to alpha, time
 * going back is refused, and the same inputs give bit-identical output;
 * the inline vol_update equals vol_update_full. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "strategy/vol.h"

#define NS_PER_S 1000000000ull

static void test_init_checks(void **state)
{
	struct vol v;
	struct vol_cfg c = { .interval_ns = NS_PER_S, .alpha = 0.0 };

	(void)state;
	assert_int_equal(vol_init(&v, &c), -EINVAL); /* no alpha, no half-life */
	c.half_life_ns = NS_PER_S;
	assert_int_equal(vol_init(&v, &c), 0);
	assert_true(fabs(v.alpha - 0.5) < 1e-15);
	c.alpha = 1.5;
	assert_int_equal(vol_init(&v, &c), -EINVAL);
	c.alpha = 0.1;
	c.sigma_min = -1.0;
	assert_int_equal(vol_init(&v, &c), -EINVAL);
	c.sigma_min = 0.0;
	c.interval_ns = 0;
	assert_int_equal(vol_init(&v, &c), -EINVAL);
	vol_fini(NULL);
}

static void test_constant_floor(void **state)
{
	struct vol v;
	struct vol_cfg c = { .interval_ns = NS_PER_S / 10, .alpha = 0.2,
			     .sigma_min = 1e-4 };
	uint64_t t;

	(void)state;
	assert_int_equal(vol_init(&v, &c), 0);
	assert_true(vol_sigma(&v) == 1e-4);
	for (t = 0; t < 10 * NS_PER_S; t += NS_PER_S / 30)
		assert_int_equal(vol_update(&v, t, 1000000.0), 0);
	assert_true(v.n_returns > 90);
	assert_true(v.var == 0.0);
	assert_true(vol_sigma(&v) == 1e-4);
}

/* Prices 100, 101, then 99, 101, 99, ... fed exactly at each boundary k
 * (p[k] at k * interval). The call at boundary k folds ln(p[k-1] / p[k-2])
 * (p[-1] = p[0]): r1 = 0 seeds var = 0, r2 = ln 1.01 (square c1) gives
 * a c1, every later one is +-ln(101/99) (square c2), so after k returns
 * var = c2 + (a c1 - c2) (1 - a)^(k - 2). Sigma = sqrt(var / interval_s). */
static void test_alternating_closed_form(void **state)
{
	static const double alphas[] = { 0.05, 0.3, 1.0 };
	const double c1 = log(1.01) * log(1.01);
	const double c2 = log(101.0 / 99.0) * log(101.0 / 99.0);
	size_t i;
	int k;

	(void)state;
	for (i = 0; i < 3; i++) {
		struct vol v;
		struct vol_cfg c = { .interval_ns = NS_PER_S / 4,
				     .alpha = alphas[i], .sigma_min = 0.0 };
		double px, want;

		assert_int_equal(vol_init(&v, &c), 0);
		for (k = 0; k < 40; k++) {
			px = k == 0 ? 100.0 : (k % 2 ? 101.0 : 99.0);
			assert_int_equal(vol_update(&v, (uint64_t)k *
						    c.interval_ns, px), 0);
			assert_int_equal(v.n_returns, (uint64_t)k);
			if (k >= 2) {
				want = c2 + (alphas[i] * c1 - c2) *
				       pow(1.0 - alphas[i], (double)(k - 2));
				assert_true(fabs(v.var - want) <= 1e-12 * want);
				assert_true(fabs(vol_sigma(&v) -
						 sqrt(want / 0.25)) < 1e-9);
			}
		}
	}
}

/* A gap of several intervals must equal feeding the carried value at every
 * boundary: one real return, then zero returns. */
static void test_gap_equals_carry(void **state)
{
	struct vol a, b;
	struct vol_cfg c = { .interval_ns = NS_PER_S, .alpha = 0.25,
			     .sigma_min = 0.0 };
	uint64_t t;

	(void)state;
	assert_int_equal(vol_init(&a, &c), 0);
	assert_int_equal(vol_init(&b, &c), 0);
	/* a: every boundary, with an off-boundary feed in between */
	assert_int_equal(vol_update(&a, 0, 100.0), 0);
	assert_int_equal(vol_update(&a, NS_PER_S / 2, 102.0), 0);
	for (t = 1; t <= 9; t++)
		assert_int_equal(vol_update(&a, t * NS_PER_S, 102.0), 0);
	assert_int_equal(vol_update(&a, 9 * NS_PER_S + 1, 101.0), 0);
	/* b: same prices, one call 9.5 s later covering 9 boundaries */
	assert_int_equal(vol_update(&b, 0, 100.0), 0);
	assert_int_equal(vol_update(&b, NS_PER_S / 2, 102.0), 0);
	assert_int_equal(vol_update(&b, 9 * NS_PER_S + 1, 101.0), 0);

	assert_int_equal(a.n_returns, 9);
	assert_int_equal(b.n_returns, 9);
	assert_int_equal(a.next_ns, b.next_ns);
	assert_true(fabs(a.var - b.var) <= 1e-15 * a.var);
	assert_true(fabs(b.var - log(1.02) * log(1.02) * pow(0.75, 8)) < 1e-15);
	/* The next boundary folds ln(101/102) in both. */
	assert_int_equal(vol_update(&a, 10 * NS_PER_S, 101.0), 0);
	assert_int_equal(vol_update(&b, 10 * NS_PER_S, 101.0), 0);
	assert_true(fabs(a.var - b.var) <= 1e-15 * a.var);
	/* Time going back is refused and changes nothing. */
	assert_int_equal(vol_update(&b, 5 * NS_PER_S, 100.0), -ERANGE);
	assert_int_equal(vol_update(&b, 11 * NS_PER_S, NAN), -EINVAL);
	assert_int_equal(vol_update(&b, 11 * NS_PER_S, -1.0), -EINVAL);
	assert_true(b.last_fair == 101.0);
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static double run_random(uint64_t seed)
{
	struct vol v;
	struct vol_cfg c = { .interval_ns = NS_PER_S / 100,
			     .half_life_ns = NS_PER_S, .sigma_min = 1e-6 };
	uint64_t t = 0, s = seed;
	double px = 1000000.0;
	int i;

	assert_int_equal(vol_init(&v, &c), 0);
	for (i = 0; i < 20000; i++) {
		t += rng_next(&s) % (NS_PER_S / 20);
		px += (double)(rng_next(&s) % 21) - 10.0;
		assert_int_equal(vol_update(&v, t, px), 0);
	}
	return vol_sigma(&v);
}

static void test_determinism(void **state)
{
	double a = run_random(42), b = run_random(42), c = run_random(43);

	(void)state;
	assert_memory_equal(&a, &b, sizeof(a));
	assert_true(isfinite(a) && a > 1e-6);
	assert_true(a != c);
}

/* Random times (often between boundaries, sometimes on them, sometimes
 * going back), prices (sometimes 0, negative, NaN or inf): the inline
 * vol_update leaves the state and the code vol_update_full gives; so does
 * vol_update_px for every price it takes (finite, > 0). */
static void test_inline_same_as_full(void **state)
{
	struct vol a, b, p;
	struct vol_cfg c = { .interval_ns = NS_PER_S / 10, .alpha = 0.2, .sigma_min = 1e-4 };
	uint64_t r = 0x123456789abcdefull, t = 5 * NS_PER_S;
	int quick = 0, n_px = 0, rc;

	(void)state;
	assert_int_equal(vol_init(&a, &c), 0);
	assert_int_equal(vol_init(&b, &c), 0);
	assert_int_equal(vol_init(&p, &c), 0);
	assert_int_equal(vol_update(NULL, 0, 1.0), vol_update_full(NULL, 0, 1.0));
	/* before the first value (next_ns 0: the inline test's "started"),
	 * at time 0 too: a refused price, then the start, then a value */
	{
		static const double p0[] = { NAN, -1.0, 0.0, 1e6, 1e6 + 1.0, 1e6 + 2.0 };
		static const uint64_t t0[] = { 0, 0, 0, 0, 0, 1 };
		struct vol a0, b0;

		assert_int_equal(vol_init(&a0, &c), 0);
		assert_int_equal(vol_init(&b0, &c), 0);
		for (int i = 0; i < 6; i++) {
			assert_int_equal(vol_update(&a0, t0[i], p0[i]),
					 vol_update_full(&b0, t0[i], p0[i]));
			assert_memory_equal(&a0, &b0, sizeof(a0));
		}
		assert_true(a0.started && a0.last_fair == 1e6 + 2.0);
	}
	for (int i = 0; i < 200000; i++) {
		double px;
		uint64_t k;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		k = r % 100;
		if (k < 2 && t > NS_PER_S)
			t -= NS_PER_S / 1000; /* back in time */
		else if (k < 5)
			t = b.next_ns; /* on a boundary */
		else
			t += (r >> 8) % (NS_PER_S / 50);
		px = 1e6 + (double)((r >> 20) % 1000);
		if ((r >> 40) % 500 == 0)
			px = ((r >> 50) & 3) == 0 ? 0.0 : ((r >> 50) & 3) == 1 ? -px :
			     ((r >> 50) & 3) == 2 ? NAN : INFINITY;
		quick += a.started && t >= a.last_ns && t < a.next_ns;
		rc = vol_update(&a, t, px);
		assert_int_equal(rc, vol_update_full(&b, t, px));
		assert_memory_equal(&a, &b, sizeof(a));
		if (px > 0.0 && px <= DBL_MAX) {
			assert_int_equal(vol_update_px(&p, t, px), rc);
			n_px++;
		} else {
			assert_int_equal(vol_update(&p, t, px), rc);
		}
		assert_memory_equal(&p, &a, sizeof(p));
	}
	assert_true(quick > 100000); /* the inline path ran */
	assert_true(n_px > 190000);  /* and vol_update_px */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_checks),
		cmocka_unit_test(test_constant_floor),
		cmocka_unit_test(test_alternating_closed_form),
		cmocka_unit_test(test_gap_equals_carry),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_inline_same_as_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
