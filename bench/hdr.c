/* hdr.c - HDR histogram: layout, corrected recording, merge, statistics,
 * percentile index, iterators and the .hgrm table. Layout, formulas and
 * output match HdrHistogram_c (facts from its source; code is our own).
 * Setup and queries are cold; the record path is inline in hdr.h.
 * Thread rules are those of hdr.h. */
#include "bench/hdr.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#define HDR_BLOCK (1 << HDR_INDEX_BLOCK_SHIFT)

/* Bucket layout derived from a cfg. */
struct hdr_layout {
	int32_t unit_magnitude;
	int32_t half_magnitude;
	int32_t sub_bucket_count;
	int32_t bucket_count;
	int32_t counts_len;
	int32_t index_len;
};

/* log2 of the sub-bucket count for 1..5 digits: ceil(log2(2 * 10^d)). */
static const int32_t hdr_sub_bucket_magnitude[6] = { 0, 5, 8, 11, 15, 18 };

/* Buckets needed so the top one covers value (HdrHistogram_c's rule,
 * including its +1 when doubling would pass INT64_MAX). */
static int32_t hdr_buckets_to_cover(int64_t value, int32_t sub_bucket_count,
				    int32_t unit_magnitude)
{
	int64_t untrackable = (int64_t)sub_bucket_count << unit_magnitude;
	int32_t n = 1;

	while (untrackable <= value) {
		if (untrackable > INT64_MAX / 2)
			return n + 1;
		untrackable <<= 1;
		n++;
	}
	return n;
}

static int hdr_layout_of(const struct hdr_cfg *cfg, struct hdr_layout *l)
{
	double unit;

	if (!cfg || cfg->lowest < 1 || cfg->digits < 1 || cfg->digits > 5 ||
	    cfg->lowest > cfg->highest / 2)
		return -EINVAL;
	/* Same floating-point expression as the reference so the unit
	 * magnitude agrees even where it rounds up near 2^k - 1. */
	unit = log((double)cfg->lowest) / log(2);
	l->unit_magnitude = (int32_t)unit;
	l->half_magnitude = hdr_sub_bucket_magnitude[cfg->digits] - 1;
	if (l->unit_magnitude + l->half_magnitude > 61)
		return -EINVAL;
	l->sub_bucket_count = INT32_C(1) << (l->half_magnitude + 1);
	l->bucket_count = hdr_buckets_to_cover(cfg->highest, l->sub_bucket_count,
					       l->unit_magnitude);
	l->counts_len = (l->bucket_count + 1) * (l->sub_bucket_count / 2);
	l->index_len = (l->counts_len + HDR_BLOCK - 1) / HDR_BLOCK;
	return 0;
}

/* Counts start on a cache line relative to the struct. */
static size_t hdr_counts_offset(void)
{
	return (sizeof(struct hdr) + CACHELINE - 1) & ~(size_t)(CACHELINE - 1);
}

size_t hdr_memsize(const struct hdr_cfg *cfg)
{
	struct hdr_layout l;

	if (hdr_layout_of(cfg, &l) != 0)
		return 0;
	return hdr_counts_offset() + (size_t)l.counts_len * sizeof(int64_t) +
	       (size_t)l.index_len * sizeof(int64_t);
}

int32_t hdr_counts_len(const struct hdr_cfg *cfg)
{
	struct hdr_layout l;

	if (hdr_layout_of(cfg, &l) != 0)
		return -EINVAL;
	return l.counts_len;
}

COLD int hdr_init(struct hdr *h, const struct hdr_cfg *cfg)
{
	struct hdr_layout l;

	if (!h || hdr_layout_of(cfg, &l) != 0)
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	h->lowest = cfg->lowest;
	h->highest = cfg->highest;
	h->digits = cfg->digits;
	h->unit_magnitude = l.unit_magnitude;
	h->sub_bucket_half_count_magnitude = l.half_magnitude;
	h->sub_bucket_count = l.sub_bucket_count;
	h->sub_bucket_half_count = l.sub_bucket_count / 2;
	h->sub_bucket_mask = ((int64_t)l.sub_bucket_count - 1) << l.unit_magnitude;
	h->bucket_count = l.bucket_count;
	h->counts_len = l.counts_len;
	h->normalizing_index_offset = 0;
	h->conversion_ratio = 1.0;
	h->index_shift_bias = 63 - l.half_magnitude;
	h->index_len = l.index_len;
	h->counts = (int64_t *)(void *)((char *)h + hdr_counts_offset());
	h->index_cum = h->counts + l.counts_len;
	hdr_reset(h);
	return 0;
}

void hdr_cfg_get(const struct hdr *h, struct hdr_cfg *cfg)
{
	cfg->lowest = h->lowest;
	cfg->highest = h->highest;
	cfg->digits = h->digits;
}

void hdr_reset(struct hdr *h)
{
	memset(h->counts, 0, (size_t)h->counts_len * sizeof(int64_t));
	h->total_count = 0;
	h->min_value = INT64_MAX;
	h->max_value = 0;
	h->index_dirty = 1;
	h->index_linear = 0;
}

/* ---- value equivalence ------------------------------------------------ */

/* log2 of the bucket width holding value (value >= 0). */
static int32_t hdr_shift_of(const struct hdr *h, int64_t value)
{
	return h->index_shift_bias -
	       __builtin_clzll((uint64_t)value | (uint64_t)h->sub_bucket_mask);
}

static int64_t hdr_lowest_eq(const struct hdr *h, int64_t value)
{
	int32_t s = hdr_shift_of(h, value);

	return (value >> s) << s;
}

/* Computed unsigned: the top bucket of an INT64_MAX histogram ends there. */
static int64_t hdr_highest_eq(const struct hdr *h, int64_t value)
{
	int32_t s = hdr_shift_of(h, value);
	uint64_t low = (uint64_t)((value >> s) << s);

	return (int64_t)(low + ((UINT64_C(1) << s) - 1));
}

static int64_t hdr_median_eq(const struct hdr *h, int64_t value)
{
	int32_t s = hdr_shift_of(h, value);

	return ((value >> s) << s) + (INT64_C(1) << s >> 1);
}

int64_t hdr_lowest_equivalent(const struct hdr *h, int64_t value)
{
	return hdr_lowest_eq(h, value < 0 ? 0 : value);
}

int64_t hdr_highest_equivalent(const struct hdr *h, int64_t value)
{
	return hdr_highest_eq(h, value < 0 ? 0 : value);
}

int64_t hdr_median_equivalent(const struct hdr *h, int64_t value)
{
	return hdr_median_eq(h, value < 0 ? 0 : value);
}

int64_t hdr_equivalent_range(const struct hdr *h, int64_t value)
{
	return INT64_C(1) << hdr_shift_of(h, value < 0 ? 0 : value);
}

int64_t hdr_next_non_equivalent(const struct hdr *h, int64_t value)
{
	int64_t v = value < 0 ? 0 : value;

	/* Wraps (implementation-defined, not UB) only past INT64_MAX. */
	return (int64_t)((uint64_t)hdr_lowest_eq(h, v) +
			 (UINT64_C(1) << hdr_shift_of(h, v)));
}

bool hdr_values_equivalent(const struct hdr *h, int64_t a, int64_t b)
{
	return hdr_lowest_equivalent(h, a) == hdr_lowest_equivalent(h, b);
}

int64_t hdr_value_at_index(const struct hdr *h, int32_t i)
{
	int32_t bucket = (i >> h->sub_bucket_half_count_magnitude) - 1;
	int32_t sub = (i & (h->sub_bucket_half_count - 1)) + h->sub_bucket_half_count;

	if (bucket < 0) {
		sub -= h->sub_bucket_half_count;
		bucket = 0;
	}
	return (int64_t)sub << (bucket + h->unit_magnitude);
}

int64_t hdr_count_at_value(const struct hdr *h, int64_t value)
{
	if ((uint64_t)value > (uint64_t)h->highest)
		return 0;
	return h->counts[hdr_counts_index(h, value)];
}

/* ---- recording -------------------------------------------------------- */

bool hdr_record_corrected_n(struct hdr *h, int64_t value, int64_t count,
			    int64_t expected_interval)
{
	int64_t x, last, added, total;

	/* Everything recorded here adds count * (value / interval) to the
	 * total (or just count without correction); every bucket is bounded
	 * by the total, so one check keeps all counts within int64_t. */
	added = count;
	if (expected_interval > 0 && value > expected_interval &&
	    __builtin_mul_overflow(count, value / expected_interval, &added))
		return false;
	if (count < 0 || __builtin_add_overflow(h->total_count, added, &total))
		return false;
	if (!hdr_record_n(h, value, count))
		return false;
	if (expected_interval <= 0 || value <= expected_interval)
		return true;
	/* The reference records value - k * interval for every k while it
	 * stays >= interval. Walk those values upwards a bucket at a time
	 * and record each bucket's share at once: same counts, total, min and
	 * max, without a loop per missing value. */
	last = value - expected_interval;
	x = value % expected_interval + expected_interval;
	while (x <= last) {
		int64_t top = hdr_highest_eq(h, x);
		int64_t n;

		if (top > last)
			top = last;
		n = (top - x) / expected_interval + 1;
		hdr_record_n(h, x, (int64_t)((uint64_t)n * (uint64_t)count));
		x += n * expected_interval;
	}
	return true;
}

bool hdr_record_corrected(struct hdr *h, int64_t value, int64_t expected_interval)
{
	return hdr_record_corrected_n(h, value, 1, expected_interval);
}

int64_t hdr_add(struct hdr *dst, const struct hdr *src)
{
	int64_t dropped = 0;
	int32_t i;

	for (i = 0; i < src->counts_len; i++) {
		int64_t c = src->counts[i], v, sum, total;
		int32_t j;

		if (c == 0)
			continue;
		v = hdr_value_at_index(src, i);
		if ((uint64_t)v > (uint64_t)dst->highest)
			goto drop;
		j = hdr_counts_index(dst, v);
		if (__builtin_add_overflow(dst->counts[j], c, &sum) ||
		    __builtin_add_overflow(dst->total_count, c, &total))
			goto drop;
		hdr_record_n(dst, v, c);
		continue;
drop:
		if (__builtin_add_overflow(dropped, c, &dropped))
			dropped = INT64_MAX;
	}
	return dropped;
}

/* ---- statistics ------------------------------------------------------- */

int64_t hdr_min(const struct hdr *h)
{
	if (h->counts[0] > 0)
		return 0;
	if (h->min_value == INT64_MAX)
		return INT64_MAX;
	return hdr_lowest_eq(h, h->min_value);
}

int64_t hdr_max(const struct hdr *h)
{
	if (h->max_value == 0)
		return 0;
	return hdr_highest_eq(h, h->max_value);
}

/* Both sum in index order with the reference's expressions, so the
 * floating-point results are bit-identical. */
double hdr_mean(const struct hdr *h)
{
	double total = 0.0;
	int64_t seen = 0;
	int32_t i;

	for (i = 0; i < h->counts_len && seen < h->total_count; i++) {
		int64_t c = h->counts[i];

		if (c == 0)
			continue;
		seen += c;
		total += (double)c * (double)hdr_median_eq(h, hdr_value_at_index(h, i));
	}
	return total / (double)h->total_count;
}

double hdr_stddev(const struct hdr *h)
{
	double mean = hdr_mean(h), dev_total = 0.0;
	int32_t i;

	for (i = 0; i < h->counts_len; i++) {
		int64_t c = h->counts[i];
		double dev;

		if (c == 0)
			continue;
		dev = (double)hdr_median_eq(h, hdr_value_at_index(h, i)) * 1.0 - mean;
		dev_total += (dev * dev) * (double)c;
	}
	return sqrt(dev_total / (double)h->total_count);
}

/* ---- percentile index ------------------------------------------------- */

void hdr_index_build(struct hdr *h)
{
	uint64_t run = 0;
	int64_t any_negative = 0;
	int32_t b;

	for (b = 0; b < h->index_len; b++) {
		int32_t i = b * HDR_BLOCK, end = i + HDR_BLOCK;

		if (end > h->counts_len)
			end = h->counts_len;
		for (; i < end; i++) {
			any_negative |= h->counts[i];
			run += (uint64_t)h->counts[i];
		}
		h->index_cum[b] = (int64_t)(run & INT64_MAX);
	}
	/* Prefix sums are monotonic only without negative counts and while
	 * they fit: otherwise queries fall back to the reference's scan. */
	h->index_linear = any_negative < 0 || run > (uint64_t)INT64_MAX;
	h->index_dirty = 0;
}

/* First index whose running count reaches want (>= 1), or -1. */
static int32_t hdr_index_find(const struct hdr *h, int64_t want)
{
	const int64_t *cum = h->index_cum;
	int64_t run;
	int32_t base = 0, n = h->index_len, i, end;

	if (h->index_linear) {
		run = 0;
		for (i = 0; i < h->counts_len; i++) {
			if (__builtin_add_overflow(run, h->counts[i], &run))
				run = INT64_MAX;
			if (run >= want)
				return i;
		}
		return -1;
	}
	if (n == 0 || cum[n - 1] < want)
		return -1;
	/* Branch-free lower bound: first block whose prefix reaches want. */
	while (n > 1) {
		int32_t half = n / 2;

		base = cum[base + half - 1] < want ? base + half : base;
		n -= half;
	}
	run = base > 0 ? cum[base - 1] : 0;
	i = base * HDR_BLOCK;
	end = i + HDR_BLOCK < h->counts_len ? i + HDR_BLOCK : h->counts_len;
	for (; i < end; i++) {
		run += h->counts[i];
		if (run >= want)
			return i;
	}
	return -1; /* not reached: the block's prefix reaches want */
}

int64_t hdr_value_at_percentile(const struct hdr *h, double p)
{
	/* NaN compares false, so it becomes 100 as in the reference. */
	double req = p < 100.0 ? p : 100.0;
	double want_d;
	int64_t want, v;
	int32_t i;

	/* Negative percentiles give a count <= 0 in the reference, clamped to
	 * 1 below: clamping first avoids an out-of-range conversion. */
	if (req < 0.0)
		req = 0.0;
	want_d = ((req / 100) * (double)h->total_count) + 0.5;
	want = want_d >= 9223372036854775807.0 ? INT64_MAX : (int64_t)want_d;
	if (want < 1)
		want = 1;
	if (h->index_dirty)
		hdr_index_build((struct hdr *)h); /* h is never const storage */
	i = hdr_index_find(h, want);
	/* No bucket reaches the count (empty): the reference (C and Java)
	 * then reports the bucket of value 0. */
	v = i < 0 ? 0 : hdr_value_at_index(h, i);
	return p == 0.0 ? hdr_lowest_eq(h, v) : hdr_highest_eq(h, v);
}

/* ---- iterators -------------------------------------------------------- */

static void hdr_iter_base(struct hdr_iter *it, const struct hdr *h,
			  enum hdr_iter_kind kind)
{
	memset(it, 0, sizeof(*it));
	it->h = h;
	it->kind = kind;
	it->counts_index = -1;
	it->total_count = h->total_count;
}

void hdr_iter_init(struct hdr_iter *it, const struct hdr *h)
{
	hdr_iter_base(it, h, HDR_ITER_ALL);
}

void hdr_iter_recorded_init(struct hdr_iter *it, const struct hdr *h)
{
	hdr_iter_base(it, h, HDR_ITER_RECORDED);
}

void hdr_iter_percentile_init(struct hdr_iter *it, const struct hdr *h,
			      int32_t ticks_per_half_distance)
{
	hdr_iter_base(it, h, HDR_ITER_PERCENTILE);
	it->ticks_per_half_distance =
		ticks_per_half_distance < 1 ? 1 : ticks_per_half_distance;
}

void hdr_iter_linear_init(struct hdr_iter *it, const struct hdr *h,
			  int64_t value_units_per_bucket)
{
	hdr_iter_base(it, h, HDR_ITER_LINEAR);
	if (value_units_per_bucket < 1)
		value_units_per_bucket = 1;
	it->value_units_per_bucket = value_units_per_bucket;
	it->next_level = value_units_per_bucket;
	it->next_level_lowest_equivalent = hdr_lowest_eq(h, value_units_per_bucket);
}

void hdr_iter_log_init(struct hdr_iter *it, const struct hdr *h,
		       int64_t value_units_first_bucket, double log_base)
{
	hdr_iter_base(it, h, HDR_ITER_LOG);
	if (value_units_first_bucket < 1)
		value_units_first_bucket = 1;
	it->value_units_per_bucket = value_units_first_bucket;
	/* The reference multiplies by (int64_t)log_base: keep that integer
	 * >= 2 so the levels always grow and the conversion is defined. */
	it->log_base = log_base >= 2.0 && log_base < 4611686018427387904.0 ?
		       log_base : 2.0;
	it->next_level = value_units_first_bucket;
	it->next_level_lowest_equivalent = hdr_lowest_eq(h, value_units_first_bucket);
}

/* Step to the next counts index and describe its bucket. */
static bool hdr_iter_move(struct hdr_iter *it)
{
	const struct hdr *h = it->h;
	int32_t s;

	it->counts_index++;
	if (it->counts_index >= h->counts_len)
		return false;
	it->count = h->counts[it->counts_index];
	it->cumulative_count += it->count;
	it->value = hdr_value_at_index(h, it->counts_index);
	s = hdr_shift_of(h, it->value);
	it->lowest_equivalent = (it->value >> s) << s;
	it->highest_equivalent = (int64_t)((uint64_t)it->lowest_equivalent +
					   ((UINT64_C(1) << s) - 1));
	it->median_equivalent = it->lowest_equivalent + (INT64_C(1) << s >> 1);
	return true;
}

static bool hdr_iter_has_next(const struct hdr_iter *it)
{
	return it->cumulative_count < it->total_count;
}

/* Move only while counts remain (the reference's basic step). */
static bool hdr_iter_basic(struct hdr_iter *it)
{
	if (!hdr_iter_has_next(it) || it->counts_index >= it->h->counts_len)
		return false;
	return hdr_iter_move(it);
}

static void hdr_iter_step_to(struct hdr_iter *it, int64_t to)
{
	it->value_iterated_from = it->value_iterated_to;
	it->value_iterated_to = to;
}

static bool hdr_iter_next_percentile(struct hdr_iter *it)
{
	if (!hdr_iter_has_next(it)) {
		if (it->seen_last_value)
			return false;
		it->seen_last_value = true;
		it->percentile = 100.0;
		return true;
	}
	if (it->counts_index == -1 && !hdr_iter_basic(it))
		return false;
	do {
		double current = (100.0 * (double)it->cumulative_count) /
				 (double)it->h->total_count;

		if (it->count != 0 && it->percentile_to_iterate_to <= current) {
			double left = 100.0 - it->percentile_to_iterate_to;
			double halvings = left > 0.0 ? log(100 / left) / log(2) : INFINITY;
			double next;
			int temp;

			hdr_iter_step_to(it, hdr_highest_eq(it->h, it->value));
			it->percentile = it->percentile_to_iterate_to;
			/* Reference: 2^(floor(log2(100 / left)) + 1) half-distance
			 * ticks. Capped so rounding next to 100% stays defined. */
			temp = halvings < 61.0 ? (int)(int64_t)halvings + 1 : 62;
			next = it->percentile_to_iterate_to +
			       100.0 / ((double)it->ticks_per_half_distance * ldexp(1.0, temp));
			if (next <= it->percentile_to_iterate_to)
				next = nextafter(it->percentile_to_iterate_to, INFINITY);
			it->percentile_to_iterate_to = next;
			return true;
		}
	} while (hdr_iter_basic(it));
	return false;
}

/* Is the value at the next index beyond bound? */
static bool hdr_iter_next_value_above(const struct hdr_iter *it, int64_t bound)
{
	const struct hdr *h = it->h;
	int32_t next = it->counts_index + 1;

	if (it->counts_index >= h->counts_len)
		return false;
	if (next < h->counts_len)
		return hdr_value_at_index(h, next) > bound;
	/* One past the array: its value can be 2^63, so compare unsigned. */
	return ((uint64_t)h->sub_bucket_half_count
		<< ((next >> h->sub_bucket_half_count_magnitude) - 1 + h->unit_magnitude)) >
	       (uint64_t)bound;
}

static bool hdr_iter_next_level(struct hdr_iter *it)
{
	it->count_added_in_this_step = 0;
	/* seen_last_value: the level saturated at INT64_MAX and was reported. */
	if (it->counts_index >= it->h->counts_len || it->seen_last_value)
		return false;
	if (!hdr_iter_has_next(it) &&
	    !hdr_iter_next_value_above(it, it->next_level_lowest_equivalent))
		return false;
	for (;;) {
		if (it->value >= it->next_level_lowest_equivalent) {
			int64_t level = it->next_level;

			hdr_iter_step_to(it, level);
			it->seen_last_value = level == INT64_MAX;
			if (it->kind == HDR_ITER_LINEAR) {
				if (__builtin_add_overflow(level, it->value_units_per_bucket,
							   &level))
					level = INT64_MAX;
			} else if (__builtin_mul_overflow(level, (int64_t)it->log_base,
							  &level)) {
				level = INT64_MAX;
			}
			it->next_level = level;
			it->next_level_lowest_equivalent = hdr_lowest_eq(it->h, level);
			return true;
		}
		if (!hdr_iter_move(it))
			return true;
		it->count_added_in_this_step += it->count;
	}
}

bool hdr_iter_next(struct hdr_iter *it)
{
	switch (it->kind) {
	case HDR_ITER_ALL:
		if (!hdr_iter_move(it))
			return false;
		hdr_iter_step_to(it, it->value);
		return true;
	case HDR_ITER_RECORDED:
		while (hdr_iter_basic(it)) {
			if (it->count != 0) {
				hdr_iter_step_to(it, it->value);
				it->count_added_in_this_step = it->count;
				return true;
			}
		}
		return false;
	case HDR_ITER_PERCENTILE:
		return hdr_iter_next_percentile(it);
	case HDR_ITER_LINEAR:
	case HDR_ITER_LOG:
		return hdr_iter_next_level(it);
	}
	return false;
}

/* ---- .hgrm output ----------------------------------------------------- */

COLD int hdr_percentiles_print(const struct hdr *h, FILE *f,
			       int32_t ticks_per_half, double value_scale)
{
	struct hdr_iter it;

	if (!h || !f || ticks_per_half < 1 || !(value_scale > 0.0) ||
	    !isfinite(value_scale))
		return -EINVAL;
	if (fprintf(f, "%12s %12s %12s %12s\n\n", "Value", "Percentile",
		    "TotalCount", "1/(1-Percentile)") < 0)
		return -EIO;
	hdr_iter_percentile_init(&it, h, ticks_per_half);
	while (hdr_iter_next(&it)) {
		double value = (double)it.highest_equivalent / value_scale;
		double pct = it.percentile / 100.0;

		if (fprintf(f, "%12.*f %12f %12" PRId64 " %12.2f\n", (int)h->digits,
			    value, pct, it.cumulative_count, 1.0 / (1.0 - pct)) < 0)
			return -EIO;
	}
	if (fprintf(f,
		    "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n"
		    "#[Max     = %12.3f, Total count    = %12" PRIu64 "]\n"
		    "#[Buckets = %12d, SubBuckets     = %12d]\n",
		    hdr_mean(h) / value_scale, hdr_stddev(h) / value_scale,
		    (double)hdr_max(h) / value_scale, (uint64_t)h->total_count,
		    (int)h->bucket_count, (int)h->sub_bucket_count) < 0)
		return -EIO;
	return 0;
}
