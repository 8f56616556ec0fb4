/* bench_hdr.c - figures for bench/hdr: ns per hdr_record over realistic
 * latencies (log-normal around 1 us), ns per hdr_value_at_percentile after
 * 10^6 values (mixed percentiles; index rebuild and a scan from zero for
 * contrast), hdr_memsize for common ranges. Prints, never judges; --quick
 * is the CI smoke run. Single-threaded; pin it (taskset) for stable figures. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/hdr.h"
#include "hw/compiler.h"
#include "hw/tsc.h"

#define REPEATS_MAX 7

/* Full run by default; --quick (CI smoke run) does a small fraction. */
static int repeats = REPEATS_MAX;
static int64_t records_per_rep = INT64_C(1) << 24;
static size_t queries_per_rep = (size_t)1 << 20;

/* Keep a value alive without emitting code for it. */
#define BENCH_USE(x) __asm__ __volatile__("" : : "r"(x) : "memory")

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

static double rng_unit(void)
{
	return ((double)(rng() >> 11) + 0.5) / 9007199254740992.0;
}

/* Log-normal latency, median 1 us, sigma 0.5, with a 0.1% tail x 50. */
static int64_t latency_ns(void)
{
	double z = sqrt(-2.0 * log(rng_unit())) * cos(6.283185307179586 * rng_unit());
	double v = 1000.0 * exp(0.5 * z);

	if (rng() % 1000 == 0)
		v *= 50.0;
	return (int64_t)v + 1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static struct hdr *hdr_alloc(int64_t lowest, int64_t highest, int32_t digits)
{
	struct hdr_cfg cfg = { lowest, highest, digits };
	size_t n = hdr_memsize(&cfg);
	struct hdr *h = n ? aligned_alloc(CACHELINE, (n + CACHELINE - 1) & ~(size_t)(CACHELINE - 1)) : NULL;

	if (!h || hdr_init(h, &cfg) != 0) {
		fprintf(stderr, "bench_hdr: cannot allocate a histogram\n");
		exit(1);
	}
	memset(h->counts, 0, (size_t)h->counts_len * sizeof(int64_t)); /* prefault */
	return h;
}

static double ns_between(uint64_t t0, uint64_t t1)
{
	return (double)tsc_to_ns(&tsc_global, t1 - t0);
}

/* ns per hdr_record over `n` pre-generated values (power of two). */
static double bench_record(struct hdr *h, const int64_t *vals, size_t n)
{
	double per[REPEATS_MAX];
	size_t mask = n - 1;
	int r;

	for (r = 0; r < repeats; r++) {
		uint64_t t0, t1;
		int64_t i;

		hdr_reset(h);
		t0 = tsc_read_ordered(&tsc_global);
		for (i = 0; i < records_per_rep; i++)
			hdr_record(h, vals[(size_t)i & mask]);
		BENCH_USE(h);
		t1 = tsc_read_ordered(&tsc_global);
		per[r] = ns_between(t0, t1) / (double)records_per_rep;
		if (h->total_count != records_per_rep)
			fprintf(stderr, "bench_hdr: lost values\n");
	}
	return median(per, repeats);
}

/* The reference's query: a running sum from index 0 on every call. */
static int64_t scan_from_zero(const struct hdr *h, double p)
{
	int64_t want = (int64_t)(((p < 100.0 ? p : 100.0) / 100) * (double)h->total_count + 0.5);
	int64_t run = 0;
	int32_t i;

	if (want < 1)
		want = 1;
	for (i = 0; i < h->counts_len; i++) {
		run += h->counts[i];
		if (run >= want)
			return hdr_highest_equivalent(h, hdr_value_at_index(h, i));
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int64_t lowest, highest;
		int32_t digits;
	} sizes[] = {
		{ "1 ns .. 60 s, 3 digits", 1, INT64_C(60000000000), 3 },
		{ "1 ns .. 60 s, 2 digits", 1, INT64_C(60000000000), 2 },
		{ "1 ns .. 60 s, 4 digits", 1, INT64_C(60000000000), 4 },
		{ "1 ns .. 1 h, 3 digits", 1, INT64_C(3600000000000), 3 },
		{ "1 us .. 1 h (ns units, lowest 1000), 3 digits", 1000, INT64_C(3600000000000), 3 },
		{ "1 .. 3.6e9 (HdrHistogram_c tests), 3 digits", 1, INT64_C(3600000000), 3 },
	};
	const size_t big = (size_t)1 << 20, small = (size_t)1 << 12;
	int64_t *vals = malloc(big * sizeof(*vals));
	double *pcts;
	double per[REPEATS_MAX], rebuild[REPEATS_MAX];
	struct hdr *h;
	int64_t sink = 0;
	size_t i;
	int r;

	if (argc == 2 && strcmp(argv[1], "--quick") == 0) {
		repeats = 3;
		records_per_rep = INT64_C(1) << 20;
		queries_per_rep = (size_t)1 << 16;
	} else if (argc != 1) {
		fprintf(stderr, "usage: bench_hdr [--quick]\n");
		return 64;
	}
	pcts = malloc(queries_per_rep * sizeof(*pcts));
	if (!vals || !pcts)
		return 1;
	tsc_init_global(NULL);
	printf("bench_hdr: clock %s (%s), %d repeats, medians\n",
	       tsc_source_name(tsc_global.source), tsc_global.why, repeats);
	for (i = 0; i < big; i++)
		vals[i] = latency_ns();

	h = hdr_alloc(1, INT64_C(60000000000), 3);
	printf("record (1 ns..60 s @3, log-normal ~1 us values):\n");
	printf("  %-44s %6.2f ns/record\n", "1 Mi values (8 MiB array, streamed)",
	       bench_record(h, vals, big));
	printf("  %-44s %6.2f ns/record\n", "4 Ki values (32 KiB array, cached)",
	       bench_record(h, vals, small));

	/* Queries: 10^6 values recorded, then mixed percentiles. */
	hdr_reset(h);
	for (i = 0; i < 1000000; i++)
		hdr_record(h, vals[i]);
	for (i = 0; i < queries_per_rep; i++) {
		static const double fixed[] = { 50.0, 90.0, 99.0, 99.9, 99.99, 99.999, 100.0 };

		pcts[i] = i % 2 ? fixed[(i / 2) % 7] : rng_unit() * 100.0;
	}
	for (r = 0; r < repeats; r++) {
		uint64_t t0, t1;

		hdr_record(h, vals[r]); /* dirty: the next query rebuilds */
		t0 = tsc_read_ordered(&tsc_global);
		sink += hdr_value_at_percentile(h, 99.0);
		BENCH_USE(sink);
		t1 = tsc_read_ordered(&tsc_global);
		rebuild[r] = ns_between(t0, t1);
		t0 = tsc_read_ordered(&tsc_global);
		for (i = 0; i < queries_per_rep; i++) {
			sink += hdr_value_at_percentile(h, pcts[i]);
			BENCH_USE(sink);
		}
		t1 = tsc_read_ordered(&tsc_global);
		per[r] = ns_between(t0, t1) / queries_per_rep;
	}
	printf("percentile query (10^6 values, %d-entry counts, %d index blocks):\n",
	       h->counts_len, h->index_len);
	printf("  %-44s %6.2f ns/query\n", "hdr_value_at_percentile (index built)",
	       median(per, repeats));
	printf("  %-44s %6.0f ns\n", "first query after a record (index rebuild)",
	       median(rebuild, repeats));
	for (r = 0; r < repeats; r++) {
		uint64_t t0 = tsc_read_ordered(&tsc_global), t1;

		for (i = 0; i < queries_per_rep / 64; i++) {
			sink += scan_from_zero(h, pcts[i]);
			BENCH_USE(sink);
		}
		t1 = tsc_read_ordered(&tsc_global);
		per[r] = ns_between(t0, t1) / (queries_per_rep / 64);
	}
	printf("  %-44s %6.0f ns/query\n", "for contrast: running sum from index 0",
	       median(per, repeats));

	printf("memory (hdr_memsize: struct + counts + index):\n");
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		struct hdr_cfg cfg = { sizes[i].lowest, sizes[i].highest, sizes[i].digits };

		printf("  %-44s %9zu bytes (%d counts)\n", sizes[i].name, hdr_memsize(&cfg),
		       hdr_counts_len(&cfg));
	}
	free(h);
	free(vals);
	free(pcts);
	return 0;
}
