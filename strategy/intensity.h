/* intensity.h - fill intensity lambda(delta) = A * exp(-kappa * delta) per
 * side, fitted online from market trades at their distance delta from the
 * fair value. A time-sliced sliding window (fixed arrays, no allocation)
 * counts trades per depth bucket; a weighted least-squares regression of the
 * log rate of trades reaching at least depth delta on delta gives (A, kappa),
 * blended with a prior by w = min(n / 100, 0.8). Pure: time is an argument.
 * Threads: one owner (the quote core).
 *
 * Units: delta and bucket widths in 1e-4 USD (ITCH price units); A in trades
 * per second reaching depth 0; kappa per 1e-4 USD. */
#ifndef INTENSITY_H
#define INTENSITY_H

#include <stdint.h>

#define FILL_MAX_BUCKETS 32u /* depth buckets per side (plus one overflow) */
#define FILL_MAX_SLOTS 64u   /* time slots in the sliding window */

enum fill_side { FILL_BID = 0, FILL_ASK = 1 };

enum fill_status {
	FILL_FIT_OK = 0,      /* regression used (blended with the prior) */
	FILL_FIT_FEW = 1,     /* too few trades or points: prior used */
	FILL_FIT_BAD = 2,     /* kappa <= 0 or non-finite: prior used */
};

struct fill_cfg {
	double bucket_px;      /* depth bucket width, 1e-4 USD (> 0) */
	uint32_t n_buckets;    /* 2..FILL_MAX_BUCKETS */
	uint64_t slot_ns;      /* window slot length, ns (> 0) */
	uint32_t n_slots;      /* 2..FILL_MAX_SLOTS; window = n_slots * slot_ns */
	uint32_t min_points;   /* regression points needed (>= 2) */
	uint32_t min_count;    /* trades at or beyond a depth to make it a
				* point (>= 1) */
	double prior_a[2];     /* prior A per side, trades/s (> 0) */
	double prior_kappa[2]; /* prior kappa per side, per 1e-4 USD (> 0) */
};

struct fill_params {
	double a;          /* blended A, trades/s */
	double kappa;      /* blended kappa, per 1e-4 USD */
	double fit_a;      /* raw fit (0 unless status == FILL_FIT_OK) */
	double fit_kappa;
	double weight;     /* weight of the fit, min(n / 100, 0.8); 0 if bad */
	uint32_t n;        /* trades in the window */
	uint32_t status;   /* enum fill_status */
};

struct fill_side_state {
	uint32_t cnt[FILL_MAX_SLOTS][FILL_MAX_BUCKETS + 1]; /* per slot */
	uint32_t tot[FILL_MAX_BUCKETS + 1]; /* window sums, last = overflow */
	uint32_t n;                         /* trades in the window */
};

struct fill {
	struct fill_cfg cfg;
	struct fill_side_state side[2];
	uint64_t slot_id;      /* absolute index (now / slot_ns) of the newest */
	/* the newest slot's times [slot_lo_ns, slot_hi_ns) (hi saturated at
	 * UINT64_MAX; both 0 until started) and its index slot_id % n_slots:
	 * a trade inside it (most) moves no slot and divides nothing */
	uint64_t slot_lo_ns, slot_hi_ns;
	uint32_t slot_idx;
	uint64_t t0_ns;        /* first time seen: window start bound */
	int started;
	uint64_t n_trades;     /* trades accepted since init */
	uint64_t n_bad_fit;    /* estimates that fell back to the prior */
	uint64_t n_rejected;   /* trades refused (bad side/price, late) */
};

/* Initialise fl from cfg. 0, -EINVAL NULL or any cfg field out of range.
 * Cold; the struct is large (~17 KiB): give it static or arena storage. */
int fill_init(struct fill *fl, const struct fill_cfg *cfg);

/* Release fl (nothing to free; accepts NULL). */
void fill_fini(struct fill *fl);

/* Weight of the fit after n trades: min(n / 100, 0.8). Pure. */
double fill_blend_weight(uint32_t n);

/* Record a market trade at price px (1e-4 USD) against resting orders on
 * side (FILL_BID: a sell hit the bid, delta = fair - px; FILL_ASK: delta =
 * px - fair), with fair (1e-4 USD) at now_ns. Negative delta counts as 0;
 * depths past the last bucket go to the overflow bucket. 0, -EINVAL bad
 * side, non-finite fair or px 0 (counted in n_rejected), -ERANGE now_ns in
 * a slot older than the window's newest (counted). */
int fill_on_trade(struct fill *fl, int side, uint32_t px, double fair,
		  uint64_t now_ns);

/* Advance the window to now_ns, fit side and blend with the prior into *out.
 * A fit with fewer than min_points points, kappa <= 0 or non-finite values
 * uses the prior (weight 0) and bumps n_bad_fit. 0, -EINVAL NULL / bad side,
 * -ERANGE now_ns older than the window. Owner thread. */
int fill_estimate(struct fill *fl, int side, uint64_t now_ns,
		  struct fill_params *out);

#endif /* INTENSITY_H */
