/* test_hdr.c - cmocka tests of bench/hdr: bucket layout, recording,
 * coordinated-omission correction, merge, reset, statistics, percentiles
 * (against an independent sorted-array oracle and HdrHistogram_c's own test
 * values), the lazily rebuilt percentile index, iterators and the .hgrm
 * table byte for byte. Single-threaded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/hdr.h"
#include "hdr_test_util.h"

#define assert_dbl_near(a, b, tol)                                            \
	do {                                                                  \
		double a_ = (a), b_ = (b), t_ = (tol);                        \
		if (!(fabs(a_ - b_) <= t_)) {                                 \
			print_error("%s = %.17g, expected %.17g +/- %g\n", #a, \
				    a_, b_, t_);                              \
			fail();                                               \
		}                                                             \
	} while (0)

/* ---- layout ----------------------------------------------------------- */

struct layout_case {
	int64_t lowest, highest;
	int32_t digits;
	int32_t unit_magnitude, sub_bucket_count, bucket_count, counts_len;
};

static void test_layout_table(void **state)
{
	/* counts_len 23552 is HdrHistogram_c's test_create; the others follow
	 * from its formulas (sub_bucket_count = 2^ceil(log2(2 * 10^d)),
	 * counts_len = (bucket_count + 1) * sub_bucket_count / 2). */
	static const struct layout_case cases[] = {
		{ 1, INT64_C(3600000000), 3, 0, 2048, 22, 23552 },
		{ 1, INT64_C(60000000000), 3, 0, 2048, 26, 27648 },
		{ 1, INT64_C(3600000000), 1, 0, 32, 28, 464 },
		{ 1, INT64_C(3600000000), 2, 0, 256, 25, 3328 },
		{ 1, INT64_C(3600000000), 4, 0, 32768, 18, 311296 },
		{ 1, INT64_C(3600000000), 5, 0, 262144, 15, 2097152 },
		{ 20000000, 100000000, 5, 24, 262144, 1, 262144 },
		{ 1000, INT64_C(3600000000) * 512, 3, 9, 2048, 22, 23552 },
		{ 1024, INT64_C(1) << 40, 3, 10, 2048, 21, 22528 },
		{ 1, 2, 1, 0, 32, 1, 32 },
		{ 1, 1000, 4, 0, 32768, 1, 32768 },
		{ 1, 2047, 3, 0, 2048, 1, 2048 },
		{ 1, 2048, 3, 0, 2048, 2, 3072 },
		{ 1, INT64_MAX, 3, 0, 2048, 53, 55296 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct layout_case *c = &cases[i];
		struct hdr *h = hdr_t_new(c->lowest, c->highest, c->digits);
		struct hdr_cfg cfg;

		if (!h)
			print_error("case %zu: init failed\n", i);
		assert_non_null(h);
		assert_int_equal(h->unit_magnitude, c->unit_magnitude);
		assert_int_equal(h->sub_bucket_count, c->sub_bucket_count);
		assert_int_equal(h->sub_bucket_half_count, c->sub_bucket_count / 2);
		assert_int_equal(1 << (h->sub_bucket_half_count_magnitude + 1),
				 c->sub_bucket_count);
		assert_int_equal(h->sub_bucket_mask,
				 ((int64_t)c->sub_bucket_count - 1) << c->unit_magnitude);
		assert_int_equal(h->bucket_count, c->bucket_count);
		assert_int_equal(h->counts_len, c->counts_len);
		assert_int_equal(hdr_counts_len(&(struct hdr_cfg){ c->lowest, c->highest,
								   c->digits }),
				 c->counts_len);
		/* Memory holds the struct, the counts and the block index. */
		assert_true(hdr_memsize(&(struct hdr_cfg){ c->lowest, c->highest, c->digits }) >=
			    sizeof(struct hdr) + (size_t)c->counts_len * 8 +
				    (size_t)(c->counts_len + 15) / 16 * 8);
		assert_int_equal(h->total_count, 0);
		assert_int_equal(h->min_value, INT64_MAX);
		assert_int_equal(h->max_value, 0);
		assert_true(h->conversion_ratio == 1.0);
		hdr_cfg_get(h, &cfg);
		assert_int_equal(cfg.lowest, c->lowest);
		assert_int_equal(cfg.highest, c->highest);
		assert_int_equal(cfg.digits, c->digits);
		/* The highest trackable value records; one above does not. */
		assert_true(hdr_record(h, c->highest));
		if (c->highest < INT64_MAX)
			assert_false(hdr_record(h, c->highest + 1));
		free(h);
	}
}

static void test_memsize_1ns_60s(void **state)
{
	struct hdr_cfg cfg = { 1, INT64_C(60000000000), 3 };
	size_t n = hdr_memsize(&cfg);

	(void)state;
	/* 27648 counts + 1728 index blocks, 8 bytes each, plus the header. */
	assert_true(n >= 27648 * 8 + 1728 * 8);
	assert_true(n <= 27648 * 8 + 1728 * 8 + 256);
}

static void test_invalid_cfgs(void **state)
{
	static const struct hdr_cfg bad[] = {
		{ 0, 64 * 1024, 2 },          /* lowest 0 (reference) */
		{ -5, 1000, 3 },
		{ 80, 110, 5 },               /* highest < 2 * lowest (reference) */
		{ 1, 1, 3 },
		{ 1, 36000000, -1 },          /* digits (reference) */
		{ 1, 36000000, 0 },
		{ 1, 36000000, 6 },
		{ INT64_C(1) << 50, INT64_C(1) << 62, 5 }, /* unit + half > 61 */
		{ INT64_MAX, INT64_MAX, 3 },
		{ INT64_MIN, 0, 3 },
	};
	char buf[sizeof(struct hdr)];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(buf, 0x5a, sizeof(buf));
		assert_int_equal(hdr_memsize(&bad[i]), 0);
		assert_int_equal(hdr_counts_len(&bad[i]), -EINVAL);
		assert_int_equal(hdr_init((struct hdr *)(void *)buf, &bad[i]), -EINVAL);
		assert_int_equal((unsigned char)buf[0], 0x5a); /* untouched */
	}
	assert_int_equal(hdr_memsize(NULL), 0);
	assert_int_equal(hdr_init((struct hdr *)(void *)buf, NULL), -EINVAL);
	assert_int_equal(hdr_init(NULL, &(struct hdr_cfg){ 1, 1000, 3 }), -EINVAL);
}

/* ---- the reference's standard histograms ------------------------------ */

static void test_std_totals_min_max(void **state)
{
	struct hdr_t_std_pair *p = *state;

	assert_int_equal(p->raw->total_count, 10001);
	assert_int_equal(p->cor->total_count, 20000);
	assert_int_equal(hdr_min(p->raw), 1000);
	assert_int_equal(hdr_min(p->cor), 1000);
	/* 1e8 sits in a 65536-wide bucket starting at 1525 * 65536. */
	assert_int_equal(hdr_max(p->raw), 100007935);
	assert_int_equal(hdr_max(p->cor), 100007935);
	assert_true(hdr_values_equivalent(p->raw, hdr_max(p->raw), 100000000));
	assert_int_equal(hdr_count_at_value(p->raw, 1000), 10000);
	assert_int_equal(hdr_count_at_value(p->raw, 100000000), 1);
	assert_int_equal(hdr_count_at_value(p->cor, 10000), 1);
	assert_int_equal(hdr_count_at_value(p->cor, 1000), 10000);
}

static void test_std_percentiles(void **state)
{
	struct hdr_t_std_pair *p = *state;
	/* HdrHistogram_c test_percentiles: expected values within 0.1%, plus the
	 * exact highest-equivalent value each must be. */
	static const struct {
		int raw;
		double pct, approx;
		int64_t exact;
	} cases[] = {
		{ 1, 30.0, 1000.0, 1000 },
		{ 1, 99.0, 1000.0, 1000 },
		{ 1, 99.99, 1000.0, 1000 },
		{ 1, 99.999, 100000000.0, 100007935 },
		{ 1, 100.0, 100000000.0, 100007935 },
		{ 0, 30.0, 1000.0, 1000 },
		{ 0, 50.0, 1000.0, 1000 },
		{ 0, 75.0, 50000000.0, 50003967 },
		{ 0, 90.0, 80000000.0, 80019455 },
		{ 0, 99.0, 98000000.0, 98041855 },
		{ 0, 99.999, 100000000.0, 100007935 },
		{ 0, 100.0, 100000000.0, 100007935 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct hdr *h = cases[i].raw ? p->raw : p->cor;
		int64_t v = hdr_value_at_percentile(h, cases[i].pct);

		assert_dbl_near((double)v, cases[i].approx, cases[i].approx * 0.001);
		assert_int_equal(v, cases[i].exact);
	}
	/* p == 0 reports the lowest equivalent value of the first bucket. */
	assert_int_equal(hdr_value_at_percentile(p->raw, 0.0), 1000);
}

static void test_std_mean_stddev(void **state)
{
	struct hdr_t_std_pair *p = *state;
	double raw_mean = ((10000.0 * 1000) + (1.0 * 100000000)) / 10001;
	double raw_sd = sqrt(((10000.0 * pow(1000.0 - raw_mean, 2)) +
			      pow(100000000.0 - raw_mean, 2)) / 10001);
	double mean = (1000.0 + 50000000.0) / 2, sq = 10000 * pow(1000.0 - mean, 2), sd;
	int64_t v;

	/* HdrHistogram's own expectations (accurate to ~0.1%). */
	for (v = 10000; v <= 100000000; v += 10000)
		sq += pow((double)v - mean, 2);
	sd = sqrt(sq / 20000);
	assert_dbl_near(hdr_mean(p->raw), raw_mean, raw_mean * 0.001);
	assert_dbl_near(hdr_mean(p->cor), mean, mean * 0.001);
	assert_dbl_near(hdr_stddev(p->raw), raw_sd, raw_sd * 0.001);
	assert_dbl_near(hdr_stddev(p->cor), sd, sd * 0.001);
	/* Exactly: median-equivalent of 1e8 is 99942400 + 32768. */
	assert_true(hdr_mean(p->raw) == (10000.0 * 1000 + 99975168.0) / 10001.0);
}

/* Mean and stddev recomputed from the raw values with the oracle buckets,
 * in ascending bucket order: must be bit-identical. */
static void check_stats_exact(const struct hdr *h, const int64_t *sorted, size_t n)
{
	int u = h->unit_magnitude;
	int64_t s = h->sub_bucket_count;
	double total = 0.0, mean, dev = 0.0;
	size_t i = 0;

	while (i < n) {
		int64_t lo = hdr_t_lowest(sorted[i], u, s), c = 0;
		size_t j = i;

		while (j < n && hdr_t_lowest(sorted[j], u, s) == lo) {
			c++;
			j++;
		}
		total += (double)c * (double)(lo + hdr_t_width(sorted[i], u, s) / 2);
		i = j;
	}
	mean = total / (double)n;
	assert_true(hdr_mean(h) == mean);
	for (i = 0; i < n;) {
		int64_t lo = hdr_t_lowest(sorted[i], u, s), c = 0;
		size_t j = i;
		double d;

		while (j < n && hdr_t_lowest(sorted[j], u, s) == lo) {
			c++;
			j++;
		}
		d = (double)(lo + hdr_t_width(sorted[i], u, s) / 2) - mean;
		dev += (d * d) * (double)c;
		i = j;
	}
	assert_true(hdr_stddev(h) == sqrt(dev / (double)n));
}

/* The reference's rule on a sorted array: count = (int64)(p/100 * n + 0.5),
 * at least 1; the value with that rank; highest equivalent (lowest for 0). */
static int64_t oracle_percentile(const struct hdr *h, const int64_t *sorted,
				 size_t n, double p)
{
	double req = p < 100.0 ? p : 100.0;
	int64_t count;

	if (n == 0)
		return 0;
	if (req < 0)
		req = 0;
	count = (int64_t)((req / 100) * (double)n + 0.5);
	if (count < 1)
		count = 1;
	if (p == 0.0)
		return hdr_t_lowest(sorted[count - 1], h->unit_magnitude, h->sub_bucket_count);
	return hdr_t_highest(sorted[count - 1], h->unit_magnitude, h->sub_bucket_count);
}

static const double some_percentiles[] = {
	0.0, 0.1, 1.0, 10.0, 25.0, 33.3333, 50.0, 66.6667, 75.0, 90.0, 99.0,
	99.9, 99.99, 99.999, 99.9999, 100.0,
};

static void test_large_values_5_digits(void **state)
{
	struct hdr *h = hdr_t_new(20000000, 100000000, 5);

	(void)state;
	assert_non_null(h);
	assert_true(hdr_record(h, 100000000));
	assert_true(hdr_record(h, 20000000));
	assert_true(hdr_record(h, 30000000));
	/* HdrHistogram_c test_create_with_large_values. */
	assert_true(hdr_values_equivalent(h, 20000000, hdr_value_at_percentile(h, 50.0)));
	assert_true(hdr_values_equivalent(h, 30000000, hdr_value_at_percentile(h, 83.33)));
	assert_true(hdr_values_equivalent(h, 100000000, hdr_value_at_percentile(h, 83.34)));
	assert_true(hdr_values_equivalent(h, 100000000, hdr_value_at_percentile(h, 99.0)));
	/* unit magnitude 24: 2^24-wide buckets, so 2e7 and 3e7 share one. */
	assert_int_equal(hdr_value_at_percentile(h, 50.0), 33554431);
	assert_int_equal(hdr_value_at_percentile(h, 83.33), 33554431);
	assert_int_equal(hdr_value_at_percentile(h, 83.34), 100663295);
	assert_int_equal(hdr_value_at_percentile(h, 0.0), 16777216);
	assert_int_equal(hdr_min(h), 16777216);
	assert_int_equal(hdr_max(h), 100663295);
	free(h);
}

static void test_every_integer_to_million(void **state)
{
	const size_t n = 1000000;
	struct hdr *h = hdr_t_new(1, HDR_T_STD_HIGHEST, 3);
	int64_t *sorted = malloc(n * sizeof(*sorted));
	size_t i;

	(void)state;
	assert_non_null(h);
	assert_non_null(sorted);
	for (i = 0; i < n; i++) {
		sorted[i] = (int64_t)i + 1;
		assert_true(hdr_record(h, sorted[i]));
	}
	assert_int_equal(h->total_count, 1000000);
	assert_int_equal(hdr_min(h), 1);
	assert_int_equal(hdr_max(h), 1000447);
	/* By hand: 500000 lies in a 256-wide bucket from 1953 * 256. */
	assert_int_equal(hdr_value_at_percentile(h, 50.0), 500223);
	assert_int_equal(hdr_value_at_percentile(h, 100.0), 1000447);
	assert_int_equal(hdr_value_at_percentile(h, 0.0), 1);
	assert_int_equal(hdr_value_at_percentile(h, 0.1), 1000);
	for (i = 0; i < ARRAY_SIZE(some_percentiles); i++)
		assert_int_equal(hdr_value_at_percentile(h, some_percentiles[i]),
				 oracle_percentile(h, sorted, n, some_percentiles[i]));
	for (i = 0; i <= 100000; i++) {
		double pct = (double)i / 1000.0;

		assert_int_equal(hdr_value_at_percentile(h, pct),
				 oracle_percentile(h, sorted, n, pct));
	}
	check_stats_exact(h, sorted, n);
	free(sorted);
	free(h);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Log-normal latencies, recorded in batches with queries in between: the
 * lazily rebuilt index must follow every change. */
static void test_random_percentiles_vs_oracle(void **state)
{
	static const struct hdr_cfg cfgs[] = {
		{ 1, INT64_C(60000000000), 3 },
		{ 1, INT64_C(3600000000), 1 },
		{ 1, INT64_C(3600000000), 5 },
		{ 7, INT64_C(1) << 45, 2 },
	};
	const size_t n = 200000, batches = 4;
	int64_t *vals = malloc(n * sizeof(*vals)), *sorted = malloc(n * sizeof(*sorted));
	uint64_t seed = 42;
	size_t c;

	(void)state;
	assert_non_null(vals);
	assert_non_null(sorted);
	for (c = 0; c < ARRAY_SIZE(cfgs); c++) {
		struct hdr *h = hdr_t_new(cfgs[c].lowest, cfgs[c].highest, cfgs[c].digits);
		size_t b, i, have = 0;

		assert_non_null(h);
		for (i = 0; i < n; i++)
			vals[i] = hdr_t_latency(&seed, 1000.0 * (double)(c + 1));
		for (b = 0; b < batches; b++) {
			size_t end = n / batches * (b + 1);

			for (; have < end; have++)
				assert_true(hdr_record(h, vals[have]));
			memcpy(sorted, vals, have * sizeof(*sorted));
			qsort(sorted, have, sizeof(*sorted), cmp_i64);
			for (i = 0; i < 3000; i++) {
				double pct = (double)(hdr_t_rand(&seed) % 100001) / 1000.0;

				if (hdr_value_at_percentile(h, pct) !=
				    oracle_percentile(h, sorted, have, pct)) {
					print_error("cfg %zu batch %zu p %.3f\n", c, b, pct);
					assert_int_equal(hdr_value_at_percentile(h, pct),
							 oracle_percentile(h, sorted, have, pct));
				}
			}
			for (i = 0; i < ARRAY_SIZE(some_percentiles); i++)
				assert_int_equal(hdr_value_at_percentile(h, some_percentiles[i]),
						 oracle_percentile(h, sorted, have,
								   some_percentiles[i]));
		}
		check_stats_exact(h, sorted, n);
		assert_int_equal(hdr_min(h), hdr_t_lowest(sorted[0], h->unit_magnitude,
							   h->sub_bucket_count));
		assert_int_equal(hdr_max(h), hdr_t_highest(sorted[n - 1], h->unit_magnitude,
							    h->sub_bucket_count));
		free(h);
	}
	free(vals);
	free(sorted);
}

static void test_percentile_special_args(void **state)
{
	struct hdr *h = hdr_t_new(1000, HDR_T_STD_HIGHEST, 3);

	(void)state;
	assert_non_null(h);
	/* Empty: the bucket of 0 answers, as in HdrHistogram_c and Java:
	 * highest equivalent of 0 (unit magnitude 9), lowest for p == 0. */
	assert_int_equal(hdr_value_at_percentile(h, 50.0), 511);
	assert_int_equal(hdr_value_at_percentile(h, 0.0), 0);
	assert_int_equal(hdr_value_at_percentile(h, 100.0), 511);
	assert_int_equal(hdr_min(h), INT64_MAX);
	assert_int_equal(hdr_max(h), 0);
	assert_true(isnan(hdr_mean(h)));
	assert_true(hdr_record(h, 5000));
	assert_true(hdr_record(h, 900000));
	/* unit magnitude 9: 5000 is in [4608, 5119] (width 512) */
	assert_int_equal(hdr_value_at_percentile(h, NAN), hdr_value_at_percentile(h, 100.0));
	assert_int_equal(hdr_value_at_percentile(h, 250.0), hdr_value_at_percentile(h, 100.0));
	assert_int_equal(hdr_value_at_percentile(h, INFINITY), hdr_value_at_percentile(h, 100.0));
	assert_int_equal(hdr_value_at_percentile(h, -5.0), 5119);
	assert_int_equal(hdr_value_at_percentile(h, -INFINITY), 5119);
	assert_int_equal(hdr_value_at_percentile(h, -1e300), 5119);
	assert_int_equal(hdr_value_at_percentile(h, 0.0), 4608);
	assert_int_equal(hdr_value_at_percentile(h, -0.0), 4608);
	assert_int_equal(hdr_value_at_percentile(h, 50.0), 5119);
	assert_int_equal(hdr_value_at_percentile(h, 75.0), hdr_highest_equivalent(h, 900000));
	free(h);
}

/* ---- recording -------------------------------------------------------- */

static void test_out_of_range(void **state)
{
	struct hdr *h = hdr_t_new(1, 1000, 4);

	(void)state;
	assert_non_null(h);
	assert_true(hdr_record(h, 1000));         /* reference */
	assert_false(hdr_record(h, 1001));        /* reference */
	assert_false(hdr_record(h, -1));
	assert_false(hdr_record(h, INT64_MAX));
	assert_false(hdr_record(h, INT64_MIN));
	assert_false(hdr_record_n(h, 5000, 3));
	assert_false(hdr_record_corrected(h, 1001, 10));
	assert_false(hdr_record_corrected(h, -3, 10));
	assert_int_equal(h->total_count, 1);
	assert_int_equal(hdr_min(h), 1000);
	assert_true(hdr_record(h, 0));
	assert_int_equal(hdr_min(h), 0);
	assert_int_equal(h->min_value, 1000); /* zeros never set min_value */
	assert_true(hdr_record_n(h, 7, 5));
	assert_int_equal(hdr_count_at_value(h, 7), 5);
	assert_int_equal(h->total_count, 7);
	free(h);
}

static void test_count_at_value_out_of_range(void **state)
{
	struct hdr *h = hdr_t_new(1, 2, 1);

	(void)state;
	assert_non_null(h);
	assert_int_equal(hdr_count_at_value(h, INT64_MAX), 0);
	assert_int_equal(hdr_count_at_value(h, -5), 0);
	assert_int_equal(hdr_count_at_value(h, 3), 0);
	free(h);
}

/* The reference's loop, value by value. */
static void corrected_naive(struct hdr *h, int64_t value, int64_t interval)
{
	int64_t missing;

	if (!hdr_record(h, value) || interval <= 0 || value <= interval)
		return;
	for (missing = value - interval; missing >= interval; missing -= interval)
		hdr_record(h, missing);
}

static void test_corrected_matches_naive(void **state)
{
	static const struct {
		int64_t value, interval;
	} cases[] = {
		{ 1000, 10000 }, { 100000000, 10000 }, { 10000, 10000 }, { 20000, 10000 },
		{ 20001, 10000 }, { 19999, 10000 }, { 5, 0 }, { 5, -3 }, { 0, 1 },
		{ 1, 1 }, { 2, 1 }, { 3000000, 1 }, { 3000000, 7 }, { 12345678, 3 },
		{ 3600000000, 123457 }, { 3600000000, 3599999999 }, { 3600000000, 1800000000 },
		{ 4095, 2 }, { 65537, 64 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct hdr *a = hdr_t_new(1, HDR_T_STD_HIGHEST, 3);
		struct hdr *b = hdr_t_new(1, HDR_T_STD_HIGHEST, 3);

		assert_non_null(a);
		assert_non_null(b);
		hdr_record(a, 1500); /* something already there */
		hdr_record(b, 1500);
		corrected_naive(a, cases[i].value, cases[i].interval);
		assert_true(hdr_record_corrected(b, cases[i].value, cases[i].interval));
		if (!hdr_t_equal(a, b))
			print_error("case %zu: value %lld interval %lld\n", i,
				    (long long)cases[i].value, (long long)cases[i].interval);
		assert_true(hdr_t_equal(a, b));
		assert_int_equal(a->min_value, b->min_value);
		assert_int_equal(a->max_value, b->max_value);
		free(a);
		free(b);
	}
}

static void test_corrected_huge_ratio(void **state)
{
	struct hdr *h = hdr_t_new(1, INT64_MAX, 3);

	(void)state;
	assert_non_null(h);
	/* 2^62 missing values at interval 1: bucket-wise, so it is instant. */
	assert_true(hdr_record_corrected(h, INT64_C(1) << 62, 1));
	assert_int_equal(h->total_count, INT64_C(1) << 62);
	assert_int_equal(hdr_min(h), 1);
	assert_int_equal(hdr_count_at_value(h, 1), 1);
	assert_int_equal(hdr_count_at_value(h, 2047), 1);
	assert_int_equal(hdr_count_at_value(h, 4096), 4); /* 4096..4099 */
	assert_true(hdr_record_corrected_n(h, 100, 3, 10));
	assert_int_equal(hdr_count_at_value(h, 10), 4);
	free(h);
}

/* ---- merge and reset -------------------------------------------------- */

static void test_add(void **state)
{
	struct hdr_t_std_pair *p = *state;
	struct hdr *sum = hdr_t_new(1, HDR_T_STD_HIGHEST, 3);
	struct hdr *small = hdr_t_new(1, 10000, 3);
	struct hdr *scaled = hdr_t_new(1000, HDR_T_STD_HIGHEST * 512, 3);
	struct hdr_iter it;

	assert_non_null(sum);
	assert_non_null(small);
	assert_non_null(scaled);
	assert_int_equal(hdr_add(sum, p->raw), 0);
	assert_int_equal(hdr_add(sum, p->cor), 0);
	assert_int_equal(sum->total_count, 30001);
	hdr_iter_recorded_init(&it, sum);
	while (hdr_iter_next(&it))
		assert_int_equal(it.count, hdr_count_at_value(p->raw, it.value) +
					   hdr_count_at_value(p->cor, it.value));
	assert_int_equal(hdr_min(sum), 1000);
	assert_int_equal(hdr_max(sum), 100007935);
	/* Into a smaller range: the 1e8 values are dropped and counted. */
	assert_int_equal(hdr_add(small, p->raw), 1);
	assert_int_equal(small->total_count, 10000);
	assert_int_equal(hdr_add(small, p->cor), 9999);
	assert_int_equal(small->total_count, 20001);
	/* Different resolution: values land in the coarser buckets. */
	assert_int_equal(hdr_add(scaled, p->raw), 0);
	assert_int_equal(hdr_count_at_value(scaled, 1000), 10000);
	assert_int_equal(hdr_value_at_percentile(scaled, 50.0), 1023);
	/* A count that would overflow is dropped, not wrapped. */
	hdr_reset(small);
	assert_true(hdr_record_n(small, 5, INT64_MAX - 1));
	assert_int_equal(hdr_add(small, p->raw), 10001);
	assert_int_equal(small->total_count, INT64_MAX - 1);
	free(sum);
	free(small);
	free(scaled);
}

static void test_reset(void **state)
{
	struct hdr *raw = hdr_t_new(1, HDR_T_STD_HIGHEST, 3);

	(void)state;
	assert_non_null(raw);
	hdr_t_load_std(raw, NULL);
	assert_int_not_equal(hdr_value_at_percentile(raw, 99.0), 0);
	hdr_reset(raw);
	assert_int_equal(raw->total_count, 0);
	assert_int_equal(hdr_value_at_percentile(raw, 99.0), 0);
	assert_int_equal(hdr_min(raw), INT64_MAX);
	assert_int_equal(hdr_max(raw), 0);
	assert_int_equal(hdr_count_at_value(raw, 1000), 0);
	/* Usable again, and the index follows. */
	assert_true(hdr_record(raw, 42));
	assert_int_equal(hdr_value_at_percentile(raw, 99.0), 42);
	assert_true(hdr_record_n(raw, 9000, 3));
	assert_int_equal(hdr_value_at_percentile(raw, 50.0), 9007);
	free(raw);
}

static void test_negative_counts_scan_like_reference(void **state)
{
	struct hdr *h = hdr_t_new(1, HDR_T_STD_HIGHEST, 3);

	(void)state;
	assert_non_null(h);
	/* Counts +5, -4, +3: prefix sums 5, 1, 4 are not monotonic; the
	 * reference's scan stops at the first index reaching the target. */
	hdr_record_n(h, 1, 5);
	hdr_record_n(h, 100000, -4);
	hdr_record_n(h, 3000000, 3);
	assert_int_equal(h->total_count, 4);
	assert_int_equal(hdr_value_at_percentile(h, 100.0), 1);
	assert_int_equal(hdr_value_at_percentile(h, 50.0), 1);
	hdr_record_n(h, 100000, 4); /* back to plain counts */
	assert_int_equal(hdr_value_at_percentile(h, 100.0), hdr_highest_equivalent(h, 3000000));
	assert_int_equal(hdr_value_at_percentile(h, 60.0), 1);
	assert_int_equal(hdr_value_at_percentile(h, 70.0), hdr_highest_equivalent(h, 3000000));
	free(h);
}

static void test_scaling_equivalence(void **state)
{
	struct hdr *cor = hdr_t_new(1, HDR_T_STD_HIGHEST, 3);
	struct hdr *scaled = hdr_t_new(1000, HDR_T_STD_HIGHEST * 512, 3);
	int64_t e99, s99;
	int i;

	(void)state;
	assert_non_null(cor);
	assert_non_null(scaled);
	hdr_t_load_std(NULL, cor);
	for (i = 0; i < 10000; i++)
		hdr_record_corrected(scaled, 1000 * 512, 10000 * 512);
	hdr_record_corrected(scaled, INT64_C(100000000) * 512, 10000 * 512);
	/* HdrHistogram_c test_scaling_equivalence. */
	assert_dbl_near(hdr_mean(cor) * 512, hdr_mean(scaled), hdr_mean(scaled) * 0.000001);
	assert_int_equal(cor->total_count, scaled->total_count);
	e99 = hdr_value_at_percentile(cor, 99.0) * 512;
	s99 = hdr_value_at_percentile(scaled, 99.0);
	assert_int_equal(hdr_lowest_equivalent(cor, e99), hdr_lowest_equivalent(scaled, s99));
	free(cor);
	free(scaled);
}

static void test_mean_no_overflow(void **state)
{
	struct hdr *h = hdr_t_new(1, INT64_C(1) << 62, 3);
	double mean;

	(void)state;
	assert_non_null(h);
	assert_true(hdr_record(h, INT64_C(1) << 62));
	assert_true(hdr_record(h, (INT64_C(1) << 62) - 1));
	assert_true(hdr_record(h, INT64_C(1) << 61));
	mean = hdr_mean(h);
	assert_true(mean > 0.0 && isfinite(mean));
	assert_true(isfinite(hdr_stddev(h)));
	free(h);
}

/* ---- equivalence helpers ---------------------------------------------- */

static void test_equivalence_helpers(void **state)
{
	static const struct {
		int64_t lowest, value, lo, hi, median, range;
	} cases[] = {
		{ 1, 0, 0, 0, 0, 1 },
		{ 1, 1000, 1000, 1000, 1000, 1 },
		{ 1, 2047, 2047, 2047, 2047, 1 },
		{ 1, 2048, 2048, 2049, 2049, 2 },
		{ 1, 2049, 2048, 2049, 2049, 2 },
		{ 1, 4095, 4094, 4095, 4095, 2 },
		{ 1, 4096, 4096, 4099, 4098, 4 },
		{ 1, 10007, 10000, 10007, 10004, 8 },
		{ 1, 100000000, 99942400, 100007935, 99975168, 65536 },
		{ 1, -7, 0, 0, 0, 1 },
		{ 1000, 0, 0, 511, 256, 512 },
		{ 1000, 1000, 512, 1023, 768, 512 },
		{ 1000, 1048576, 1048576, 1049599, 1048576 + 512, 1024 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct hdr *h = hdr_t_new(cases[i].lowest, HDR_T_STD_HIGHEST, 3);
		int64_t v = cases[i].value;

		assert_non_null(h);
		assert_int_equal(hdr_lowest_equivalent(h, v), cases[i].lo);
		assert_int_equal(hdr_highest_equivalent(h, v), cases[i].hi);
		assert_int_equal(hdr_median_equivalent(h, v), cases[i].median);
		assert_int_equal(hdr_equivalent_range(h, v), cases[i].range);
		assert_int_equal(hdr_next_non_equivalent(h, v), cases[i].hi + 1);
		assert_true(hdr_values_equivalent(h, v, cases[i].hi));
		assert_false(hdr_values_equivalent(h, cases[i].lo, cases[i].hi + 1));
		free(h);
	}
}

static void test_value_at_index_roundtrip(void **state)
{
	struct hdr *h = hdr_t_new(3, INT64_C(1) << 40, 2);
	int32_t i;

	(void)state;
	assert_non_null(h);
	for (i = 0; i < h->counts_len; i++) {
		int64_t v = hdr_value_at_index(h, i);

		assert_int_equal(hdr_counts_index(h, v), i);
		assert_int_equal(hdr_lowest_equivalent(h, v), v);
		if (v + hdr_equivalent_range(h, v) - 1 <= h->highest)
			assert_int_equal(hdr_counts_index(h, hdr_highest_equivalent(h, v)), i);
	}
	free(h);
}

/* ---- iterators -------------------------------------------------------- */

static void test_iter_recorded(void **state)
{
	struct hdr_t_std_pair *p = *state;
	struct hdr_iter it;
	int64_t total = 0;
	int n = 0;

	hdr_iter_recorded_init(&it, p->raw);
	while (hdr_iter_next(&it)) {
		assert_int_equal(it.count_added_in_this_step, n == 0 ? 10000 : 1);
		n++;
	}
	assert_int_equal(n, 2);
	n = 0;
	hdr_iter_recorded_init(&it, p->cor);
	while (hdr_iter_next(&it)) {
		if (n == 0)
			assert_int_equal(it.count_added_in_this_step, 10000);
		assert_int_not_equal(it.count, 0);
		assert_int_equal(it.count, it.count_added_in_this_step);
		assert_int_equal(it.value_iterated_to, it.value);
		total += it.count_added_in_this_step;
		n++;
	}
	assert_int_equal(total, 20000);
}

static void test_iter_all(void **state)
{
	struct hdr_t_std_pair *p = *state;
	struct hdr_iter it;
	int32_t n = 0;

	hdr_iter_init(&it, p->raw);
	while (hdr_iter_next(&it)) {
		assert_int_equal(it.counts_index, n);
		assert_int_equal(it.value, hdr_value_at_index(p->raw, n));
		assert_int_equal(it.highest_equivalent, hdr_highest_equivalent(p->raw, it.value));
		assert_int_equal(it.median_equivalent, hdr_median_equivalent(p->raw, it.value));
		n++;
	}
	assert_int_equal(n, p->raw->counts_len);
	assert_int_equal(it.cumulative_count, 10001);
}

static void test_iter_linear(void **state)
{
	struct hdr_t_std_pair *p = *state;
	struct hdr_iter it;
	int64_t total = 0;
	int n = 0;

	/* HdrHistogram_c test_linear_values. */
	hdr_iter_linear_init(&it, p->raw, 100000);
	while (hdr_iter_next(&it)) {
		int64_t added = it.count_added_in_this_step;

		if (n == 0)
			assert_int_equal(added, 10000);
		else if (n == 999)
			assert_int_equal(added, 1);
		else
			assert_int_equal(added, 0);
		n++;
	}
	assert_int_equal(n, 1000);
	n = 0;
	hdr_iter_linear_init(&it, p->cor, 10000);
	while (hdr_iter_next(&it)) {
		if (n == 0)
			assert_int_equal(it.count_added_in_this_step, 10001);
		total += it.count_added_in_this_step;
		n++;
	}
	assert_int_equal(n, 10000);
	assert_int_equal(total, 20000);
}

static void test_iter_log(void **state)
{
	struct hdr_t_std_pair *p = *state;
	struct hdr_iter it;
	int64_t total = 0;
	int n = 0;

	/* HdrHistogram_c test_logarithmic_values. */
	hdr_iter_log_init(&it, p->raw, 10000, 2.0);
	while (hdr_iter_next(&it)) {
		int64_t added = it.count_added_in_this_step;

		if (n == 0)
			assert_int_equal(added, 10000);
		else if (n == 14)
			assert_int_equal(added, 1);
		else
			assert_int_equal(added, 0);
		n++;
	}
	assert_int_equal(n - 1, 14);
	n = 0;
	hdr_iter_log_init(&it, p->cor, 10000, 2.0);
	while (hdr_iter_next(&it)) {
		if (n == 0)
			assert_int_equal(it.count_added_in_this_step, 10001);
		total += it.count_added_in_this_step;
		n++;
	}
	assert_int_equal(n - 1, 14);
	assert_int_equal(total, 20000);
}

static void test_iter_linear_buckets_correctly(void **state)
{
	struct hdr *h = hdr_t_new(1, 255, 2);
	struct hdr_iter it;
	int64_t total = 0;
	int steps = 0;

	(void)state;
	assert_non_null(h);
	hdr_record(h, 193);
	hdr_record(h, 255);
	hdr_record(h, 0);
	hdr_record(h, 1);
	hdr_record(h, 64);
	hdr_record(h, 128);
	/* HdrHistogram_c test_linear_iter_buckets_correctly, including its
	 * record during iteration. */
	hdr_iter_linear_init(&it, h, 64);
	while (hdr_iter_next(&it)) {
		total += it.count_added_in_this_step;
		if (steps == 0)
			hdr_record(h, 2);
		steps++;
	}
	assert_int_equal(steps, 4);
	assert_int_equal(total, 6);
	free(h);
}

static void test_iter_percentile_steps(void **state)
{
	struct hdr_t_std_pair *p = *state;
	static const double expect[] = {
		0, 10, 20, 30, 40, 50, 55, 60, 65, 70, 75, 77.5, 80, 82.5, 85, 87.5,
		88.75, 90, 91.25, 92.5, 93.75, 94.375, 95,
	};
	struct hdr_iter it;
	size_t n = 0;
	double last = -1;
	int64_t last_count = 0;

	hdr_iter_percentile_init(&it, p->raw, 5);
	while (hdr_iter_next(&it)) {
		if (n < ARRAY_SIZE(expect))
			assert_true(it.percentile == expect[n]);
		assert_true(it.percentile >= last);
		last = it.percentile;
		last_count = it.cumulative_count;
		n++;
	}
	assert_true(last == 100.0);
	assert_int_equal(last_count, 10001);
	assert_int_equal(n, 69);
	/* Silly tick counts are clamped to 1 and still terminate. */
	n = 0;
	hdr_iter_percentile_init(&it, p->cor, -3);
	while (hdr_iter_next(&it))
		n++;
	assert_true(n > 3 && n < 200);
}

/* The top of an INT64_MAX range: iterators saturate instead of overflowing
 * (run under UBSan) and still see every count. */
static void test_iter_extremes(void **state)
{
	struct hdr *h = hdr_t_new(1, INT64_MAX, 3);
	struct hdr_iter it;
	int64_t total;
	int steps;

	(void)state;
	assert_non_null(h);
	assert_true(hdr_record(h, INT64_MAX));
	assert_true(hdr_record(h, 1));
	assert_int_equal(hdr_max(h), INT64_MAX);
	assert_int_equal(hdr_value_at_percentile(h, 100.0), INT64_MAX);
	hdr_iter_linear_init(&it, h, INT64_C(1) << 61);
	for (total = 0, steps = 0; hdr_iter_next(&it) && steps < 100; steps++)
		total += it.count_added_in_this_step;
	assert_int_equal(total, 2);
	assert_true(steps < 10);
	hdr_iter_log_init(&it, h, 1, 10.0);
	for (total = 0, steps = 0; hdr_iter_next(&it) && steps < 100; steps++)
		total += it.count_added_in_this_step;
	assert_int_equal(total, 2);
	assert_true(steps < 25);
	hdr_iter_log_init(&it, h, 1, 0.5); /* a base below 2 is taken as 2 */
	for (total = 0, steps = 0; hdr_iter_next(&it) && steps < 100; steps++)
		total += it.count_added_in_this_step;
	assert_int_equal(total, 2);
	hdr_iter_percentile_init(&it, h, 5);
	for (steps = 0; hdr_iter_next(&it) && steps < 1000; steps++)
		;
	assert_int_equal(it.cumulative_count, 2);
	assert_true(steps < 1000);
	free(h);
}

/* ---- .hgrm output ----------------------------------------------------- */

static char *print_to_string(const struct hdr *h, int32_t ticks, double scale, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	*rc = hdr_percentiles_print(h, f, ticks, scale);
	fclose(f);
	return buf;
}

static void assert_text_equal(const char *got, const char *want)
{
	if (strcmp(got, want) != 0) {
		print_error("--- got ---\n%s--- want ---\n%s---\n", got, want);
		fail();
	}
}

static void test_hgrm_small_exact(void **state)
{
	/* Format strings of HdrHistogram_c's CLASSIC output: header "%12s" x4
	 * plus a blank line; rows "%12.<digits>f %12f %12d %12.2f"; footer
	 * "%12.3f" means and "%12" counts. Derived by hand for 1, 2, 3, 4 with
	 * one tick per half distance: percentiles 0, 50, 75, 87.5, then 100. */
	static const char want[] =
		"       Value   Percentile   TotalCount 1/(1-Percentile)\n"
		"\n"
		"       1.000     0.000000            1         1.00\n"
		"       2.000     0.500000            2         2.00\n"
		"       3.000     0.750000            3         4.00\n"
		"       4.000     0.875000            4         8.00\n"
		"       4.000     1.000000            4          inf\n"
		"#[Mean    =        2.500, StdDeviation   =        1.118]\n"
		"#[Max     =        4.000, Total count    =            4]\n"
		"#[Buckets =            1, SubBuckets     =         2048]\n";
	static const char want_scaled[] =
		"       Value   Percentile   TotalCount 1/(1-Percentile)\n"
		"\n"
		"       0.500     0.000000            1         1.00\n"
		"       1.000     0.500000            2         2.00\n"
		"       1.500     0.750000            3         4.00\n"
		"       2.000     0.875000            4         8.00\n"
		"       2.000     1.000000            4          inf\n"
		"#[Mean    =        1.250, StdDeviation   =        0.559]\n"
		"#[Max     =        2.000, Total count    =            4]\n"
		"#[Buckets =            1, SubBuckets     =         2048]\n";
	struct hdr *h = hdr_t_new(1, 1000, 3);
	char *got;
	int rc = -1;

	(void)state;
	assert_non_null(h);
	hdr_record(h, 1);
	hdr_record(h, 2);
	hdr_record(h, 3);
	hdr_record(h, 4);
	got = print_to_string(h, 1, 1.0, &rc);
	assert_non_null(got);
	assert_int_equal(rc, 0);
	assert_text_equal(got, want);
	free(got);
	got = print_to_string(h, 1, 2.0, &rc);
	assert_non_null(got);
	assert_int_equal(rc, 0);
	assert_text_equal(got, want_scaled);
	free(got);
	free(h);
}

static void test_hgrm_std_rows_and_footer(void **state)
{
	struct hdr_t_std_pair *p = *state;
	static const char head[] =
		"       Value   Percentile   TotalCount 1/(1-Percentile)\n"
		"\n"
		"    1000.000     0.000000        10000         1.00\n"
		"    1000.000     0.100000        10000         1.11\n";
	/* mean = (10000 * 1000 + 99975168) / 10001; the last rows cross into
	 * 1e8's bucket at 100 - 100/10240 %. */
	static const char tail[] =
		"    1000.000     0.999890        10000      9102.22\n"
		"100007935.000     0.999902        10001     10240.00\n"
		"100007935.000     1.000000        10001          inf\n"
		"#[Mean    =    10996.417, StdDeviation   =   999641.716]\n"
		"#[Max     = 100007935.000, Total count    =        10001]\n"
		"#[Buckets =           22, SubBuckets     =         2048]\n";
	char *got;
	int rc = -1;
	size_t len, lines = 0, i;

	got = print_to_string(p->raw, 5, 1.0, &rc);
	assert_non_null(got);
	assert_int_equal(rc, 0);
	len = strlen(got);
	assert_true(len > sizeof(head) + sizeof(tail));
	assert_memory_equal(got, head, sizeof(head) - 1);
	if (strcmp(got + len - (sizeof(tail) - 1), tail) != 0)
		assert_text_equal(got + len - (sizeof(tail) - 1), tail);
	for (i = 0; i < len; i++)
		lines += got[i] == '\n';
	assert_int_equal(lines, 2 + 69 + 3);
	free(got);
	/* Output unit ratio 1000 (ns -> us): only the values and footer scale. */
	got = print_to_string(p->raw, 5, 1000.0, &rc);
	assert_non_null(got);
	assert_non_null(strstr(got, "       1.000     0.000000        10000         1.00\n"));
	assert_non_null(strstr(got, "  100007.935     1.000000        10001          inf\n"));
	assert_non_null(strstr(got, "#[Mean    =       10.996, StdDeviation   =      999.642]\n"));
	free(got);
}

static void test_hgrm_bad_args_and_write_error(void **state)
{
	struct hdr_t_std_pair *p = *state;
	FILE *ro = fopen("/dev/null", "r");

	assert_int_equal(hdr_percentiles_print(p->raw, stdout, 0, 1.0), -EINVAL);
	assert_int_equal(hdr_percentiles_print(p->raw, stdout, 5, 0.0), -EINVAL);
	assert_int_equal(hdr_percentiles_print(p->raw, stdout, 5, -1.0), -EINVAL);
	assert_int_equal(hdr_percentiles_print(p->raw, stdout, 5, NAN), -EINVAL);
	assert_int_equal(hdr_percentiles_print(p->raw, stdout, 5, INFINITY), -EINVAL);
	assert_int_equal(hdr_percentiles_print(NULL, stdout, 5, 1.0), -EINVAL);
	assert_int_equal(hdr_percentiles_print(p->raw, NULL, 5, 1.0), -EINVAL);
	assert_non_null(ro);
	assert_int_equal(hdr_percentiles_print(p->raw, ro, 5, 1.0), -EIO);
	fclose(ro);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_table),
		cmocka_unit_test(test_memsize_1ns_60s),
		cmocka_unit_test(test_invalid_cfgs),
		cmocka_unit_test_setup_teardown(test_std_totals_min_max, hdr_t_std_setup, hdr_t_std_teardown),
		cmocka_unit_test_setup_teardown(test_std_percentiles, hdr_t_std_setup, hdr_t_std_teardown),
		cmocka_unit_test_setup_teardown(test_std_mean_stddev, hdr_t_std_setup, hdr_t_std_teardown),
		cmocka_unit_test(test_large_values_5_digits),
		cmocka_unit_test(test_every_integer_to_million),
		cmocka_unit_test(test_random_percentiles_vs_oracle),
		cmocka_unit_test(test_percentile_special_args),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_count_at_value_out_of_range),
		cmocka_unit_test(test_corrected_matches_naive),
		cmocka_unit_test(test_corrected_huge_ratio),
		cmocka_unit_test_setup_teardown(test_add, hdr_t_std_setup, hdr_t_std_teardown),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_negative_counts_scan_like_reference),
		cmocka_unit_test(test_scaling_equivalence),
		cmocka_unit_test(test_mean_no_overflow),
		cmocka_unit_test(test_equivalence_helpers),
		cmocka_unit_test(test_value_at_index_roundtrip),
		cmocka_unit_test_setup_teardown(test_iter_recorded, hdr_t_std_setup, hdr_t_std_teardown),
		cmocka_unit_test_setup_teardown(test_iter_all, hdr_t_std_setup, hdr_t_std_teardown),
		cmocka_unit_test_setup_teardown(test_iter_linear, hdr_t_std_setup, hdr_t_std_teardown),
		cmocka_unit_test_setup_teardown(test_iter_log, hdr_t_std_setup, hdr_t_std_teardown),
		cmocka_unit_test(test_iter_linear_buckets_correctly),
		cmocka_unit_test_setup_teardown(test_iter_percentile_steps, hdr_t_std_setup, hdr_t_std_teardown),
		cmocka_unit_test(test_iter_extremes),
		cmocka_unit_test(test_hgrm_small_exact),
		cmocka_unit_test_setup_teardown(test_hgrm_std_rows_and_footer, hdr_t_std_setup,
						hdr_t_std_teardown),
		cmocka_unit_test_setup_teardown(test_hgrm_bad_args_and_write_error, hdr_t_std_setup,
						hdr_t_std_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
