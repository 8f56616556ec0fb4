/* test_hdr_java.c - independent oracle: HdrHistogram's Java implementation
 * (Debian's hdrhistogram.jar) reads an interval log written by hdr_log.c and
 * prints what it decoded (HdrOracle.java); every interval's configuration,
 * total, min, max, mean, stddev, percentiles and bucket counts must match
 * ours. Exits 77 (skip) without a JDK or the jar. Single-threaded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/hdr.h"
#include "bench/hdr_log.h"
#include "hdr_test_util.h"

#ifndef TW_HDR_ORACLE_JAVA
#define TW_HDR_ORACLE_JAVA "tests/bench/HdrOracle.java"
#endif

#define N_INTERVALS 7
#define BASE_TIME_S 1700000000.0

static const double percentiles[] = {
	0.0, 1.0, 10.0, 14.0, 25.0, 30.0, 50.0, 75.0, 83.33, 83.34, 90.0, 99.0,
	99.9, 99.99, 99.999, 100.0,
};

static const char *java_bin(void)
{
	const char *env = getenv("TW_JAVA");

	return env && *env ? env : "/usr/bin/java";
}

static const char *jar_path(void)
{
	const char *env = getenv("TW_HDR_JAR");

	return env && *env ? env : "/usr/share/java/hdrhistogram.jar";
}

struct interval {
	const char *tag;
	struct hdr *h;
};

static struct interval intervals[N_INTERVALS];
static char dir[64], log_path[128];

static void build_intervals(void)
{
	uint64_t seed = 7;
	int64_t i;

	intervals[0].tag = "raw";
	intervals[0].h = hdr_t_new(1, HDR_T_STD_HIGHEST, 3);
	intervals[1].tag = NULL;
	intervals[1].h = hdr_t_new(1, HDR_T_STD_HIGHEST, 3);
	hdr_t_load_std(intervals[0].h, intervals[1].h);
	intervals[2].tag = "lat";
	intervals[2].h = hdr_t_new(1, INT64_C(60000000000), 3);
	for (i = 0; i < 100000; i++)
		hdr_record(intervals[2].h, hdr_t_latency(&seed, 1000.0));
	hdr_record(intervals[2].h, INT64_C(59999999999));
	intervals[3].tag = "big5";
	intervals[3].h = hdr_t_new(20000000, 100000000, 5);
	hdr_record(intervals[3].h, 100000000);
	hdr_record(intervals[3].h, 20000000);
	hdr_record(intervals[3].h, 30000000);
	intervals[4].tag = "empty";
	intervals[4].h = hdr_t_new(1000, HDR_T_STD_HIGHEST, 2);
	intervals[5].tag = "ints";
	intervals[5].h = hdr_t_new(1, HDR_T_STD_HIGHEST, 2);
	for (i = 0; i <= 100000; i++)
		hdr_record(intervals[5].h, i);
	intervals[6].tag = "counts";
	intervals[6].h = hdr_t_new(1, INT64_C(1) << 40, 4);
	hdr_record_n(intervals[6].h, 12345, INT64_C(1) << 40);
	hdr_record_n(intervals[6].h, INT64_C(1) << 39, 3);
	hdr_record_corrected(intervals[6].h, 5000000, 1000);
}

static int write_log(void)
{
	FILE *f = fopen(log_path, "w");
	int i, rc = 0;

	if (!f)
		return -errno;
	rc = hdr_log_write_header(f, "Logged with tickwire test_hdr_java", BASE_TIME_S);
	for (i = 0; i < N_INTERVALS && rc == 0; i++)
		rc = hdr_log_write_interval(f, intervals[i].tag, 10.0 * i, 5.0,
					    intervals[i].h, 1e6);
	if (fclose(f) != 0 && rc == 0)
		rc = -EIO;
	return rc;
}

/* The percentile rule of this Java release: count = ceil(p/100 * total)
 * (p nudged down one ulp), at least 1. HdrHistogram_c rounds to nearest;
 * both agree whenever p/100 * total is within 0.5 below an integer. */
static int64_t java_count(double p, int64_t total)
{
	double req = fmin(fmax(nextafter(p, -INFINITY), 0.0), 100.0);
	int64_t c = (int64_t)ceil(req * (double)total / 100.0);

	return c < 1 ? 1 : c;
}

static int64_t c_count(double p, int64_t total)
{
	double req = p < 100.0 ? p : 100.0;
	int64_t c = (int64_t)((req / 100) * (double)total + 0.5);

	return c < 1 ? 1 : c;
}

/* Value for a given count, walking our recorded buckets. */
static int64_t value_for_count(const struct hdr *h, int64_t count, bool lowest)
{
	struct hdr_iter it;

	hdr_iter_recorded_init(&it, h);
	while (hdr_iter_next(&it))
		if (it.cumulative_count >= count)
			return lowest ? it.lowest_equivalent : it.highest_equivalent;
	return 0;
}

static bool rel_equal(double a, double b)
{
	return a == b || fabs(a - b) <= 1e-12 * fmax(fabs(a), fabs(b));
}

static void check_interval(int n, FILE *out)
{
	const struct hdr *h = intervals[n].h;
	struct hdr_iter it;
	char line[256];
	long long a, b, c;
	double d;
	bool have_iter = false;
	int idx, checked = 0;

	hdr_iter_recorded_init(&it, h);
	while (fgets(line, sizeof(line), out)) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "end") == 0)
			break;
		if (strncmp(line, "tag ", 4) == 0) {
			assert_string_equal(line + 4, intervals[n].tag ? intervals[n].tag : "-");
		} else if (sscanf(line, "cfg %lld %lld %lld", &a, &b, &c) == 3) {
			assert_int_equal(a, h->lowest);
			assert_int_equal(b, h->highest);
			assert_int_equal(c, h->digits);
		} else if (sscanf(line, "start_ms %lld", &a) == 1) {
			assert_int_equal(a, (long long)((BASE_TIME_S + 10.0 * n) * 1000));
		} else if (sscanf(line, "end_ms %lld", &a) == 1) {
			assert_int_equal(a, (long long)((BASE_TIME_S + 10.0 * n + 5.0) * 1000));
		} else if (sscanf(line, "total %lld", &a) == 1) {
			assert_int_equal(a, h->total_count);
		} else if (sscanf(line, "max %lld", &a) == 1) {
			/* With nothing above 0 recorded this Java release reports
			 * the top of 0's bucket; HdrHistogram_c (and we) say 0. */
			if (h->max_value == 0) {
				assert_int_equal(a, hdr_highest_equivalent(h, 0));
				assert_int_equal(hdr_max(h), 0);
			} else {
				assert_int_equal(a, hdr_max(h));
			}
		} else if (sscanf(line, "min %lld", &a) == 1) {
			assert_int_equal(a, h->min_value == INT64_MAX ? INT64_MAX :
					    hdr_lowest_equivalent(h, h->min_value));
		} else if (sscanf(line, "mean %lf", &d) == 1) {
			if (!rel_equal(d, hdr_mean(h))) {
				print_error("interval %d mean java %.17g ours %.17g\n", n, d,
					    hdr_mean(h));
				fail();
			}
		} else if (sscanf(line, "stddev %lf", &d) == 1) {
			if (!rel_equal(d, hdr_stddev(h))) {
				print_error("interval %d stddev java %.17g ours %.17g\n", n, d,
					    hdr_stddev(h));
				fail();
			}
		} else if (sscanf(line, "p %d %lld", &idx, &a) == 2) {
			double p = percentiles[idx];
			int64_t jc = java_count(p, h->total_count);

			if (h->total_count == 0) {
				/* Empty: this Java release says 0; HdrHistogram_c (and
				 * we) report the bucket of 0: its top, or bottom for 0%. */
				assert_int_equal(a, 0);
				assert_int_equal(hdr_value_at_percentile(h, p),
						 p == 0.0 ? 0 : hdr_highest_equivalent(h, 0));
				continue;
			}
			/* Java's rule, evaluated on our buckets. */
			assert_int_equal(a, value_for_count(h, jc, p == 0.0));
			/* Where the rules pick the same rank, our query agrees. */
			if (jc == c_count(p, h->total_count)) {
				if (a != hdr_value_at_percentile(h, p))
					print_error("interval %d p %g\n", n, p);
				assert_int_equal(a, hdr_value_at_percentile(h, p));
				checked++;
			}
		} else if (sscanf(line, "v %lld %lld", &a, &b) == 2) {
			have_iter = hdr_iter_next(&it);
			assert_true(have_iter);
			assert_int_equal(a, it.value);
			assert_int_equal(b, it.count);
		}
	}
	assert_false(hdr_iter_next(&it)); /* Java saw every bucket we have */
	if (h->total_count > 0)
		assert_true(checked >= 8);
}

static void test_java_reads_our_log(void **state)
{
	char cmd[1024], line[256];
	FILE *out;
	size_t i;
	int n = 0, status;

	(void)state;
	snprintf(cmd, sizeof(cmd), "'%s' -cp '%s' '%s' '%s'", java_bin(), jar_path(),
		 TW_HDR_ORACLE_JAVA, log_path);
	for (i = 0; i < ARRAY_SIZE(percentiles); i++)
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), " %.17g", percentiles[i]);
	out = popen(cmd, "r");
	assert_non_null(out);
	while (fgets(line, sizeof(line), out)) {
		int got;

		if (sscanf(line, "interval %d", &got) == 1) {
			assert_int_equal(got, n);
			assert_true(n < N_INTERVALS);
			check_interval(n, out);
			n++;
		} else if (sscanf(line, "intervals %d", &got) == 1) {
			assert_int_equal(got, N_INTERVALS);
		}
	}
	status = pclose(out);
	assert_int_equal(status, 0);
	assert_int_equal(n, N_INTERVALS);
}

/* Source-file mode (java File.java) needs the JDK's compiler module; a
 * JRE-only install cannot run the oracle. */
static bool java_can_run_source(void)
{
	char cmd[512], line[256];
	bool found = false;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s' --list-modules 2>/dev/null", java_bin());
	p = popen(cmd, "r");
	if (!p)
		return false;
	while (fgets(line, sizeof(line), p))
		found |= strncmp(line, "jdk.compiler", 12) == 0;
	pclose(p);
	return found;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_java_reads_our_log),
	};
	int i, rc;

	if (access(java_bin(), X_OK) != 0 || access(jar_path(), R_OK) != 0 ||
	    access(TW_HDR_ORACLE_JAVA, R_OK) != 0) {
		printf("skip: need %s, %s and %s\n", java_bin(), jar_path(), TW_HDR_ORACLE_JAVA);
		return 77;
	}
	if (!java_can_run_source()) {
		printf("skip: %s lacks jdk.compiler (a JDK is needed)\n", java_bin());
		return 77;
	}
	build_intervals();
	for (i = 0; i < N_INTERVALS; i++)
		if (!intervals[i].h)
			return 1;
	snprintf(dir, sizeof(dir), "/tmp/tw_hdr_java.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(log_path, sizeof(log_path), "%s/oracle.hlog", dir);
	rc = write_log();
	if (rc == 0)
		rc = cmocka_run_group_tests(tests, NULL, NULL);
	else
		fprintf(stderr, "writing %s: %s\n", log_path, strerror(-rc));
	unlink(log_path);
	rmdir(dir);
	for (i = 0; i < N_INTERVALS; i++)
		free(intervals[i].h);
	return rc;
}
