/* test_fair.c - fair value: a table of tops of book (equal queues give the
 * mid, a heavy bid pulls the micro-price above mid toward the ask, weight 0
 * gives mid, one-sided / empty / locked / crossed books are refused and the
 * output untouched), config checks, and the lead term's sign and lag. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "strategy/fair.h"

#define NS_PER_S 1000000000ull

struct mp_case {
	const char *name;
	uint32_t bid_px, bid_qty, ask_px, ask_qty;
	double w;
	int rc;
	double want; /* 1e-4 USD, when rc == 0 */
};

static const struct mp_case mp_cases[] = {
	{ "equal queues = mid", 1000000, 500, 1000100, 500, 1.0, 0, 1000050.0 },
	{ "w0 heavy bid = mid", 1000000, 900, 1000100, 100, 0.0, 0, 1000050.0 },
	/* imb = 0.8: mid + 50 * 0.8 = +40, above mid toward the ask */
	{ "heavy bid above mid", 1000000, 900, 1000100, 100, 1.0, 0, 1000090.0 },
	{ "heavy ask below mid", 1000000, 100, 1000100, 900, 1.0, 0, 1000010.0 },
	{ "half weight", 1000000, 900, 1000100, 100, 0.5, 0, 1000070.0 },
	/* Stoikov weighted price (Pb*Qa + Pa*Qb)/(Qa+Qb) at w = 1 */
	{ "stoikov form", 1000000, 3, 1000100, 1, 1.0, 0,
	  (1000000.0 * 1 + 1000100.0 * 3) / 4.0 },
	{ "no bid", 0, 0, 1000100, 100, 1.0, -ENODATA, 0 },
	{ "no ask", 1000000, 100, 0, 0, 1.0, -ENODATA, 0 },
	{ "empty", 0, 0, 0, 0, 1.0, -ENODATA, 0 },
	{ "zero bid qty", 1000000, 0, 1000100, 100, 1.0, -ENODATA, 0 },
	/* past the common case's four tests (bid_px < ask_px standing in
	 * for ask_px != 0): each of these fails one, and the codes come
	 * from the full checks, -ENODATA before -ERANGE */
	{ "no ask price, queue left", 1000000, 100, 0, 100, 1.0, -ENODATA, 0 },
	{ "zero ask qty", 1000000, 100, 1000100, 0, 1.0, -ENODATA, 0 },
	{ "crossed, empty bid queue", 1000100, 0, 1000000, 100, 1.0, -ENODATA, 0 },
	{ "locked, empty ask queue", 1000000, 100, 1000000, 0, 1.0, -ENODATA, 0 },
	{ "one unit wide", 1000000, 100, 1000001, 100, 1.0, 0, 1000000.5 },
	{ "locked", 1000000, 100, 1000000, 100, 1.0, -ERANGE, 0 },
	{ "crossed", 1000100, 100, 1000000, 100, 1.0, -ERANGE, 0 },
	{ "weight > 1", 1000000, 100, 1000100, 100, 1.5, -EINVAL, 0 },
	{ "weight NaN", 1000000, 100, 1000100, 100, NAN, -EINVAL, 0 },
};

static void test_micro_price_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(mp_cases) / sizeof(mp_cases[0]); i++) {
		const struct mp_case *c = &mp_cases[i];
		double out = -1.0;
		int rc = fair_micro_price(c->bid_px, c->bid_qty, c->ask_px,
					  c->ask_qty, c->w, &out);

		if (rc != c->rc || (rc == 0 && fabs(out - c->want) > 1e-9)) {
			print_error("case '%s': rc %d (want %d) px %.6f (want %.6f)\n",
				    c->name, rc, c->rc, out, c->want);
			fail();
		}
		if (rc != 0)
			assert_true(out == -1.0); /* untouched, never NaN */
		else
			assert_true(isfinite(out));
	}
}

static void test_monotone_in_imbalance(void **state)
{
	double prev = 0.0, out;
	uint32_t qb;

	(void)state;
	for (qb = 1; qb <= 1000; qb += 37) {
		assert_int_equal(fair_micro_price(1000000, qb, 1000100, 200,
						  0.7, &out), 0);
		assert_true(out > prev);
		assert_true(out > 1000000.0 && out < 1000100.0);
		prev = out;
	}
}

static void test_init_checks(void **state)
{
	struct fair f;
	struct fair_cfg c = { .weight = 1.0 };

	(void)state;
	assert_int_equal(fair_init(NULL, &c), -EINVAL);
	assert_int_equal(fair_init(&f, NULL), -EINVAL);
	c.weight = -0.1;
	assert_int_equal(fair_init(&f, &c), -EINVAL);
	c.weight = 0.5;
	c.lead_beta = 1.0; /* beta without a lag */
	assert_int_equal(fair_init(&f, &c), -EINVAL);
	c.lead_lag_ns = NS_PER_S;
	assert_int_equal(fair_init(&f, &c), 0);
	assert_int_equal(f.cfg.lead_spacing_ns, NS_PER_S / 16);
	fair_fini(&f);
	fair_fini(NULL);
}

static void test_compute_and_event(void **state)
{
	struct fair f;
	struct fair_cfg c = { .weight = 1.0 };
	struct md_event ev = { .bid_px = 1000000, .bid_qty = 900,
			       .ask_px = 1000100, .ask_qty = 100 };
	double out = 0.0;

	(void)state;
	assert_int_equal(fair_init(&f, &c), 0);
	assert_int_equal(fair_from_event(&f, &ev, 0, &out), 0);
	assert_true(fabs(out - 1000090.0) < 1e-9);
	ev.ask_px = 0;
	out = 7.0;
	assert_int_equal(fair_from_event(&f, &ev, 0, &out), -ENODATA);
	assert_true(out == 7.0);
	assert_int_equal(fair_from_event(&f, NULL, 0, &out), -EINVAL);
}

/* The micro-price's checks as written before the common case's four
 * tests: each field on its own, -ENODATA before -ERANGE. */
static int micro_ref(uint32_t bp, uint32_t bq, uint32_t ap, uint32_t aq, double w, double *out)
{
	if (bp == 0 || ap == 0 || bq == 0 || aq == 0)
		return -ENODATA;
	if (bp >= ap)
		return -ERANGE;
	*out = 0.5 * ((double)bp + (double)ap) +
	       w * (0.5 * ((double)ap - (double)bp)) *
		       (((double)bq - (double)aq) / ((double)bq + (double)aq));
	return 0;
}

/* fair_micro_price_w gives the reference's code and value on random tops
 * with each field zero in turn, locked, crossed and one unit wide. */
static void test_micro_checks_ref(void **state)
{
	uint64_t r = 0x9e3779b97f4a7c15ull;
	int n_ok = 0, n_nodata = 0, n_range = 0;

	(void)state;
	for (int i = 0; i < 50000; i++) {
		uint32_t v[4];
		double a = -1.0, b = -1.0;
		int ra, rb;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		v[0] = (uint32_t)(r % 5) + 1000000u;      /* bid px */
		v[2] = (uint32_t)((r >> 8) % 5) + 999999u; /* ask px: crossed to wide */
		v[1] = (uint32_t)((r >> 16) % 300);
		v[3] = (uint32_t)((r >> 28) % 300);
		if ((r >> 40) % 3 == 0)
			v[(r >> 44) % 4] = 0;
		ra = fair_micro_price_w(v[0], v[1], v[2], v[3], 0.7, &a);
		rb = micro_ref(v[0], v[1], v[2], v[3], 0.7, &b);
		assert_int_equal(ra, rb);
		/* the codes are the point; the value is the same expression
		 * (a contraction may differ between the two compilations) */
		assert_true(ra == 0 ? fabs(a - b) < 1e-6 : a == -1.0);
		n_ok += ra == 0;
		n_nodata += ra == -ENODATA;
		n_range += ra == -ERANGE;
	}
	assert_true(n_ok > 1000 && n_nodata > 1000 && n_range > 1000);
}

/* fair_from_top (the event path's: the top in registers, lead_on
 * tested) gives fair_compute's code and bits, without and with a lead
 * term, on tops of every error class and random ones. */
static void test_from_top_same(void **state)
{
	struct fair_cfg c0 = { .weight = 0.7 };
	struct fair_cfg c1 = { .weight = 0.7, .lead_beta = 0.5, .lead_lag_ns = NS_PER_S };
	struct fair f[2], g[2];
	uint64_t r = 0x0123456789abcdefull;

	(void)state;
	assert_int_equal(fair_init(&f[0], &c0), 0);
	assert_int_equal(fair_init(&f[1], &c1), 0);
	assert_false(f[0].lead_on);
	assert_true(f[1].lead_on);
	for (int k = 0; k < 2; k++) {
		for (uint64_t t = 0; t <= 2 * NS_PER_S; t += NS_PER_S / 10)
			assert_int_equal(fair_lead_update(&f[k], t, 1000000.0 + (double)t * 1e-6),
					 0);
		g[k] = f[k];
	}
	for (int i = 0; i < 20000; i++) {
		uint32_t bp, ap, bq, aq;
		double a = -1.0, b = -2.0;
		int ra, rb;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		bp = (uint32_t)(r % 2000000);
		ap = bp + (uint32_t)((r >> 21) % 300) - 10; /* crossed and locked too */
		bq = (uint32_t)((r >> 30) % 1000);
		aq = (uint32_t)((r >> 40) % 1000);
		if (i % 7 == 0)
			bp = 0;
		for (int k = 0; k < 2; k++) {
			ra = fair_from_top(&f[k], bp, bq, ap, aq, 2 * NS_PER_S, &a);
			rb = fair_compute(&g[k], bp, bq, ap, aq, 2 * NS_PER_S, &b);
			assert_int_equal(ra, rb);
			if (ra == 0)
				assert_memory_equal(&a, &b, sizeof(a));
			assert_memory_equal(&f[k], &g[k], sizeof(f[k]));
		}
	}
}

/* Lead constant at 100 until 1.5 s, then 110. Lag 1 s. */
static void feed_lead(struct fair *f, uint64_t from_ns, uint64_t until_ns)
{
	uint64_t t;

	for (t = from_ns; t <= until_ns; t += NS_PER_S / 10)
		assert_int_equal(fair_lead_update(f, t,
			t < 3 * NS_PER_S / 2 ? 1000000.0 : 1100000.0), 0);
}

static void test_lead_sign_and_lag(void **state)
{
	static const double betas[] = { 0.5, -0.5 };
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct fair f;
		struct fair_cfg c = { .weight = 0.0, .lead_beta = betas[i],
				      .lead_lag_ns = NS_PER_S };
		double micro = 1000050.0, out = 0.0, ret = 0.0;

		assert_int_equal(fair_init(&f, &c), 0);
		/* No history at all: lead term skipped, counted. */
		assert_int_equal(fair_compute(&f, 1000000, 5, 1000100, 5,
					      0, &out), 0);
		assert_true(out == micro);
		assert_int_equal(f.n_lead_missing, 1);

		feed_lead(&f, 0, 3 * NS_PER_S / 2);
		/* At 1.5 s the lagged sample (<= 0.5 s) is 100: ret ln 1.1. */
		assert_int_equal(fair_lead_return(&f, 3 * NS_PER_S / 2, &ret), 0);
		assert_true(fabs(ret - log(1.1)) < 1e-12);
		assert_int_equal(fair_compute(&f, 1000000, 5, 1000100, 5,
					      3 * NS_PER_S / 2, &out), 0);
		assert_true(fabs(out - micro * exp(betas[i] * log(1.1))) < 1e-6);
		if (betas[i] > 0)
			assert_true(out > micro);
		else
			assert_true(out < micro);

		/* One lag after the jump the move is fully in the past. */
		feed_lead(&f, 16 * NS_PER_S / 10, 13 * NS_PER_S / 5);
		assert_int_equal(fair_lead_return(&f, 13 * NS_PER_S / 5, &ret), 0);
		assert_true(fabs(ret) < 1e-12);
		assert_int_equal(fair_compute(&f, 1000000, 5, 1000100, 5,
					      13 * NS_PER_S / 5, &out), 0);
		assert_true(fabs(out - micro) < 1e-6);
		/* Time going backwards is refused. */
		assert_int_equal(fair_lead_update(&f, 0, 1000000.0), -ERANGE);
		assert_int_equal(fair_lead_update(&f, 3 * NS_PER_S, NAN), -EINVAL);
	}
}

static void test_lead_before_lag(void **state)
{
	struct fair f;
	struct fair_cfg c = { .weight = 1.0, .lead_beta = 1.0,
			      .lead_lag_ns = NS_PER_S };
	double ret = 0.0;

	(void)state;
	assert_int_equal(fair_init(&f, &c), 0);
	assert_int_equal(fair_lead_update(&f, 2 * NS_PER_S, 1000000.0), 0);
	assert_int_equal(fair_lead_update(&f, 5 * NS_PER_S / 2, 1100000.0), 0);
	/* Oldest sample is at 2 s; 2.5 s - lag = 1.5 s has no sample. */
	assert_int_equal(fair_lead_return(&f, 5 * NS_PER_S / 2, &ret), -ENODATA);
	assert_int_equal(fair_lead_return(&f, 3 * NS_PER_S, &ret), 0);
	assert_true(fabs(ret - log(1.1)) < 1e-12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_micro_price_table),
		cmocka_unit_test(test_monotone_in_imbalance),
		cmocka_unit_test(test_init_checks),
		cmocka_unit_test(test_compute_and_event),
		cmocka_unit_test(test_micro_checks_ref),
		cmocka_unit_test(test_from_top_same),
		cmocka_unit_test(test_lead_sign_and_lag),
		cmocka_unit_test(test_lead_before_lag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
