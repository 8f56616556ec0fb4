/* hdr.h - HDR histogram: fixed relative precision over a huge range, O(1)
 * inline record, in caller-provided memory; results equal HdrHistogram_c's.
 * One writer thread per histogram; readers must not run concurrently with
 * it (snapshot with hdr_add first). A query after a change rebuilds a cached
 * index inside h, so concurrent queries on one histogram need a lock. */
#ifndef HDR_H
#define HDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hw/compiler.h"

struct hdr_cfg {
	int64_t lowest;   /* lowest discernible value, >= 1 */
	int64_t highest;  /* highest trackable value, >= 2 * lowest */
	int32_t digits;   /* significant decimal digits, 1..5 */
};

/* Counts per block of the percentile index (log2). */
#define HDR_INDEX_BLOCK_SHIFT 4

/* Public so the inline record path can see the fields. Never edit directly.
 * The first 64 bytes hold every field hdr_record reads or writes, so a
 * record touches one line of the struct (hdr_init's memory is best
 * 64-byte aligned) besides its count. */
struct hdr {
	/* record path */
	int64_t highest;
	int64_t sub_bucket_mask;
	int64_t *counts;    /* counts_len entries, in the same allocation */
	int64_t total_count;
	int64_t max_value;  /* 0 while empty */
	int64_t min_value;  /* INT64_MAX while empty; smallest non-zero value */
	int32_t index_shift_bias; /* 63 - sub_bucket_half_count_magnitude */
	int32_t unit_magnitude;
	int32_t sub_bucket_half_count_magnitude;
	uint32_t index_dirty;     /* counts changed since the index was built */
	/* the rest */
	int64_t lowest;
	int32_t digits;
	int32_t sub_bucket_half_count;
	int32_t sub_bucket_count;
	int32_t bucket_count;
	int32_t counts_len;
	int32_t normalizing_index_offset; /* always 0 here; kept for the codec */
	double conversion_ratio;
	/* Implementation: percentile index, rebuilt lazily by queries. */
	int32_t index_len;        /* blocks of 2^HDR_INDEX_BLOCK_SHIFT counts */
	int32_t index_linear;     /* a negative count: queries scan linearly */
	int64_t *index_cum;       /* index_cum[b]: sum of counts in blocks 0..b */
};
_Static_assert(offsetof(struct hdr, index_dirty) + sizeof(uint32_t) <= 64,
	       "the record path's fields share the struct's first line");

/* Bytes to pass to hdr_init for cfg (the struct plus its trailing arrays),
 * or 0 when cfg is invalid. Any thread. */
size_t hdr_memsize(const struct hdr_cfg *cfg);
/* Initialise h, which points at hdr_memsize(cfg) bytes (8-byte aligned; 64
 * is best). Empty afterwards. 0, -EINVAL bad cfg (h untouched). Cold. */
int hdr_init(struct hdr *h, const struct hdr_cfg *cfg);
/* counts_len of the histogram cfg describes, or -EINVAL. */
int32_t hdr_counts_len(const struct hdr_cfg *cfg);
/* The configuration h was initialised with. */
void hdr_cfg_get(const struct hdr *h, struct hdr_cfg *cfg);

/* Index into counts for value (0 <= value <= h->highest): the bucket is the
 * position of the top bit above the sub-bucket range, found with one clz. */
static inline int32_t hdr_counts_index(const struct hdr *h, int64_t value)
{
	/* OR-ing the mask keeps clz defined for 0 and folds bucket 0. The
	 * top bit's position (63 ^ clz: one bsr) less the half-count
	 * magnitude is index_shift_bias - clz, one instruction shorter. */
	int32_t shift = (63 ^ __builtin_clzll((uint64_t)value | (uint64_t)h->sub_bucket_mask)) -
			h->sub_bucket_half_count_magnitude;
	int32_t bucket = shift - h->unit_magnitude;

	return (bucket << h->sub_bucket_half_count_magnitude) +
	       (int32_t)(value >> shift);
}

/* Record `count` occurrences of value. false (nothing recorded) when value
 * is outside 0..h->highest. The caller keeps counts within int64_t. */
static inline bool hdr_record_n(struct hdr *h, int64_t value, int64_t count)
{
	int32_t i;

	/* One unsigned compare rejects negatives and values above highest. */
	if (UNLIKELY((uint64_t)value > (uint64_t)h->highest))
		return false;
	i = hdr_counts_index(h, value);
	h->counts[i] += count;
	h->total_count += count;
	if (UNLIKELY(value > h->max_value))
		h->max_value = value;
	if (UNLIKELY(value < h->min_value && value != 0))
		h->min_value = value;
	h->index_dirty = 1;
	return true;
}

/* Record one value; false (nothing recorded) when out of range. */
static inline bool hdr_record(struct hdr *h, int64_t value)
{
	return hdr_record_n(h, value, 1);
}

/* Record with coordinated-omission correction for the expected interval:
 * as HdrHistogram_c's hdr_record_corrected_value, value plus the values
 * value - k * interval down to interval. Runs in O(buckets touched), not
 * O(value / interval). false, with nothing recorded, when value is out of
 * range, count is negative, or the total count would overflow int64_t. */
bool hdr_record_corrected(struct hdr *h, int64_t value, int64_t expected_interval);
/* As hdr_record_corrected, each value recorded `count` times. */
bool hdr_record_corrected_n(struct hdr *h, int64_t value, int64_t count,
			    int64_t expected_interval);

/* Add every count of src into dst (any configurations). Returns the number
 * of values dropped: out of dst's range, or a count that would overflow. */
int64_t hdr_add(struct hdr *dst, const struct hdr *src);
/* Empty h, keeping its configuration. */
void hdr_reset(struct hdr *h);

/* Lowest equivalent value of the smallest recorded value (0 when a 0 was
 * recorded; INT64_MAX when empty), as HdrHistogram_c's hdr_min. */
int64_t hdr_min(const struct hdr *h);
/* Highest equivalent value of the largest recorded value, 0 when empty. */
int64_t hdr_max(const struct hdr *h);
/* Mean of the median-equivalent values (NaN when empty). */
double hdr_mean(const struct hdr *h);
/* Population standard deviation of the median-equivalent values. */
double hdr_stddev(const struct hdr *h);

/* Value at percentile p (0..100; larger or NaN means 100): the highest value
 * equivalent to the bucket holding it (the lowest for p == 0), exactly as
 * HdrHistogram_c. When empty, the bucket of value 0 answers as in
 * HdrHistogram_c: 0 for p == 0 or lowest == 1, else 2^unit_magnitude - 1.
 * Uses the block index, rebuilding it first if h changed (O(counts_len)
 * once); then O(log blocks + block). */
int64_t hdr_value_at_percentile(const struct hdr *h, double p);
/* Build the percentile index now (e.g. off the query path). */
void hdr_index_build(struct hdr *h);

/* Count recorded in value's bucket; 0 for values outside 0..highest. */
int64_t hdr_count_at_value(const struct hdr *h, int64_t value);
/* Lowest value of the bucket at counts index i (0 <= i < counts_len). */
int64_t hdr_value_at_index(const struct hdr *h, int32_t i);

/* Value equivalence (negative values are taken as 0): */
/* smallest value in value's bucket */
int64_t hdr_lowest_equivalent(const struct hdr *h, int64_t value);
/* largest value in value's bucket */
int64_t hdr_highest_equivalent(const struct hdr *h, int64_t value);
/* middle of value's bucket: lowest + size / 2 */
int64_t hdr_median_equivalent(const struct hdr *h, int64_t value);
/* number of values in value's bucket (a power of two) */
int64_t hdr_equivalent_range(const struct hdr *h, int64_t value);
/* lowest value of the next bucket */
int64_t hdr_next_non_equivalent(const struct hdr *h, int64_t value);
/* do a and b fall in the same bucket? */
bool hdr_values_equivalent(const struct hdr *h, int64_t a, int64_t b);

enum hdr_iter_kind {
	HDR_ITER_ALL,        /* every counts index */
	HDR_ITER_RECORDED,   /* every index with a non-zero count */
	HDR_ITER_PERCENTILE, /* percentile ticks, as the .hgrm table */
	HDR_ITER_LINEAR,     /* fixed-width value steps */
	HDR_ITER_LOG,        /* geometric value steps */
};

/* Iterator state; fields mirror HdrHistogram_c's struct hdr_iter. Read the
 * public ones after hdr_iter_next returns true. */
struct hdr_iter {
	const struct hdr *h;
	enum hdr_iter_kind kind;
	int32_t counts_index;
	int64_t total_count;        /* snapshot taken at init */
	int64_t count;              /* count at counts_index */
	int64_t cumulative_count;   /* counts up to and including counts_index */
	int64_t value;              /* lowest value at counts_index */
	int64_t lowest_equivalent;
	int64_t highest_equivalent;
	int64_t median_equivalent;
	int64_t value_iterated_from;
	int64_t value_iterated_to;
	int64_t count_added_in_this_step; /* recorded, linear, log */
	double percentile;                /* percentile: this step, 0..100 */
	/* kind-specific state */
	double percentile_to_iterate_to;
	int32_t ticks_per_half_distance;
	bool seen_last_value;
	int64_t value_units_per_bucket;   /* linear: step; log: first step */
	double log_base;
	int64_t next_level;               /* linear/log reporting level */
	int64_t next_level_lowest_equivalent;
};

/* Iterate over every counts index. h must not change while iterating. */
void hdr_iter_init(struct hdr_iter *it, const struct hdr *h);
/* Iterate over recorded (non-zero) buckets. */
void hdr_iter_recorded_init(struct hdr_iter *it, const struct hdr *h);
/* Percentile steps: ticks_per_half_distance (>= 1; smaller is taken as 1)
 * rows per halving of the distance to 100%, then a final 100% row. */
void hdr_iter_percentile_init(struct hdr_iter *it, const struct hdr *h,
			      int32_t ticks_per_half_distance);
/* Linear steps of value_units_per_bucket (>= 1). */
void hdr_iter_linear_init(struct hdr_iter *it, const struct hdr *h,
			  int64_t value_units_per_bucket);
/* Log steps starting at value_units_first_bucket (>= 1), times log_base. */
void hdr_iter_log_init(struct hdr_iter *it, const struct hdr *h,
		       int64_t value_units_first_bucket, double log_base);
/* Advance; false at the end. */
bool hdr_iter_next(struct hdr_iter *it);

/* Write the .hgrm percentile-distribution table, byte for byte as
 * HdrHistogram_c's hdr_percentiles_print(..., CLASSIC): values divided by
 * value_scale (> 0), ticks_per_half (>= 1) rows per halving distance.
 * 0, -EINVAL bad arguments, -EIO on write error. Cold. */
int hdr_percentiles_print(const struct hdr *h, FILE *f,
			  int32_t ticks_per_half, double value_scale);

#endif /* HDR_H */
