/* hdr_test_util.h - helpers shared by the HDR histogram tests: allocation,
 * the reference's standard test histograms, an independent bucket oracle,
 * comparison that prints both histograms on failure, guard-page buffers and
 * a seeded generator. Header-only (static inline); test threads only. */
#ifndef HDR_TEST_UTIL_H
#define HDR_TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench/hdr.h"

/* 1 .. 3,600,000,000 at 3 digits: HdrHistogram_c's standard test range. */
#define HDR_T_STD_HIGHEST INT64_C(3600000000)

/* malloc + hdr_init; aborts the test (NULL deref avoided) on failure. */
static inline struct hdr *hdr_t_new(int64_t lowest, int64_t highest, int32_t digits)
{
	struct hdr_cfg cfg = { lowest, highest, digits };
	size_t n = hdr_memsize(&cfg);
	struct hdr *h;

	if (n == 0)
		return NULL;
	h = aligned_alloc(64, (n + 63) & ~(size_t)63);
	if (!h || hdr_init(h, &cfg) != 0) {
		free(h);
		return NULL;
	}
	return h;
}

/* The reference's load_histograms(): 10,000 x 1000 and one 100,000,000,
 * raw and corrected for an expected interval of 10,000. */
static inline void hdr_t_load_std(struct hdr *raw, struct hdr *cor)
{
	int i;

	for (i = 0; i < 10000; i++) {
		if (raw)
			hdr_record(raw, 1000);
		if (cor)
			hdr_record_corrected(cor, 1000, 10000);
	}
	if (raw)
		hdr_record(raw, 100000000);
	if (cor)
		hdr_record_corrected(cor, 100000000, 10000);
}

/* cmocka group fixture: the reference's standard raw and corrected
 * histograms (hdr_t_load_std), as *state = struct hdr_t_std_pair *. */
struct hdr_t_std_pair {
	struct hdr *raw, *cor;
};

static inline int hdr_t_std_setup(void **state)
{
	struct hdr_t_std_pair *p = calloc(1, sizeof(*p));

	if (!p)
		return -1;
	p->raw = hdr_t_new(1, HDR_T_STD_HIGHEST, 3);
	p->cor = hdr_t_new(1, HDR_T_STD_HIGHEST, 3);
	if (!p->raw || !p->cor)
		return -1;
	hdr_t_load_std(p->raw, p->cor);
	*state = p;
	return 0;
}

static inline int hdr_t_std_teardown(void **state)
{
	struct hdr_t_std_pair *p = *state;

	free(p->raw);
	free(p->cor);
	free(p);
	return 0;
}


/* Independent bucket oracle (no shared code with hdr.c): width of value's
 * bucket for unit magnitude u and sub-bucket count s (a power of two). */
static inline int64_t hdr_t_width(int64_t value, int u, int64_t s)
{
	int64_t width = INT64_C(1) << u;
	int64_t top = s << u; /* first value of bucket 1 */

	while (value >= top) {
		width <<= 1;
		top <<= 1;
	}
	return width;
}

static inline int64_t hdr_t_lowest(int64_t value, int u, int64_t s)
{
	int64_t w = hdr_t_width(value, u, s);

	return value / w * w;
}

static inline int64_t hdr_t_highest(int64_t value, int u, int64_t s)
{
	return hdr_t_lowest(value, u, s) + hdr_t_width(value, u, s) - 1;
}

/* Print a histogram's summary and non-zero buckets (for failures). */
static inline void hdr_t_dump(const char *name, const struct hdr *h)
{
	int32_t i, shown = 0;

	fprintf(stderr, "%s: lowest %lld highest %lld digits %d counts_len %d total %lld "
		"min %lld max %lld\n", name, (long long)h->lowest, (long long)h->highest,
		h->digits, h->counts_len, (long long)h->total_count,
		(long long)h->min_value, (long long)h->max_value);
	for (i = 0; i < h->counts_len && shown < 40; i++) {
		if (h->counts[i]) {
			fprintf(stderr, "  [%d] value %lld count %lld\n", i,
				(long long)hdr_value_at_index(h, i), (long long)h->counts[i]);
			shown++;
		}
	}
}

/* Same configuration, counts, total, min and max? Prints both if not. */
static inline int hdr_t_equal(const struct hdr *a, const struct hdr *b)
{
	int same = a->lowest == b->lowest && a->highest == b->highest &&
		   a->digits == b->digits && a->counts_len == b->counts_len &&
		   a->total_count == b->total_count && hdr_min(a) == hdr_min(b) &&
		   hdr_max(a) == hdr_max(b) &&
		   memcmp(a->counts, b->counts, (size_t)a->counts_len * sizeof(int64_t)) == 0;

	if (!same) {
		hdr_t_dump("expected", a);
		hdr_t_dump("actual", b);
	}
	return same;
}

/* Copy len bytes so they end right before a PROT_NONE page: any read past
 * the end faults. Free with hdr_t_guard_free(p, len). */
static inline uint8_t *hdr_t_guard_copy(const void *src, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t span = (len + page - 1) / page * page + page;
	uint8_t *base = mmap(NULL, span, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (base == MAP_FAILED)
		return NULL;
	if (mprotect(base + span - page, page, PROT_NONE) != 0) {
		munmap(base, span);
		return NULL;
	}
	if (len)
		memcpy(base + span - page - len, src, len);
	return base + span - page - len;
}

static inline void hdr_t_guard_free(uint8_t *p, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t span = (len + page - 1) / page * page + page;

	munmap(p + len + page - span, span);
}

/* xorshift64*: deterministic across platforms. */
static inline uint64_t hdr_t_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

/* Log-normal-ish latency around median_ns (sigma ~0.6), in ns. */
static inline int64_t hdr_t_latency(uint64_t *s, double median_ns)
{
	double u1 = ((double)(hdr_t_rand(s) >> 11) + 0.5) / 9007199254740992.0;
	double u2 = ((double)(hdr_t_rand(s) >> 11) + 0.5) / 9007199254740992.0;
	double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);

	return (int64_t)(median_ns * exp(0.6 * z)) + 1;
}

#endif /* HDR_TEST_UTIL_H */
