/* vol.h - volatility of one symbol: EWMA of fair-value log returns sampled
 * on a fixed clock, floored at sigma_min. The caller feeds (now_ns, fair);
 * the module samples at every interval boundary, carrying the last value
 * across empty intervals. Pure: time is an argument, no allocation; state in
 * a caller-provided struct vol. Threads: one owner (the quote core).
 *
 * Unit of sigma: standard deviation of the fair value's log return per
 * sqrt(second), i.e. sqrt(EWMA variance per interval / interval in s). It is
 * dimensionless; multiply by the fair value for price units per sqrt(s). */
#ifndef VOL_H
#define VOL_H

#include <float.h>
#include <stddef.h>
#include <stdint.h>

struct vol_cfg {
	uint64_t interval_ns;  /* sampling clock period, ns (> 0) */
	double alpha;          /* EWMA weight of the newest squared return in
				* (0, 1]; 0 = derive it from half_life_ns */
	uint64_t half_life_ns; /* used when alpha == 0:
				* alpha = 1 - 2^(-interval / half_life) */
	double sigma_min;      /* floor, log return per sqrt(s) (>= 0) */
};

struct vol {
	struct vol_cfg cfg;
	double alpha;          /* effective EWMA weight per interval */
	double interval_s;     /* interval_ns in seconds */
	double var;            /* EWMA of squared log returns, per interval */
	double last_fair;      /* newest fair fed, 1e-4 USD */
	double sample_fair;    /* fair at the previous boundary, 1e-4 USD */
	uint64_t next_ns;      /* next sampling boundary, ns */
	uint64_t last_ns;      /* time of the newest feed, ns */
	uint64_t n_returns;    /* returns folded into var (incl. zero ones) */
	int started;           /* a first value has been fed */
};

/* Initialise v from cfg. 0, -EINVAL NULL, interval 0, alpha outside [0, 1],
 * alpha 0 with half-life 0, or sigma_min negative or non-finite. Cold. */
int vol_init(struct vol *v, const struct vol_cfg *cfg);

/* Release v (nothing to free; accepts NULL). */
void vol_fini(struct vol *v);

/* Feed the fair value fair (1e-4 USD) observed at now_ns. Every boundary
 * t_k <= now_ns not yet sampled takes the last value fed strictly before this
 * call; the first elapsed boundary folds in the return since the previous
 * boundary, any further ones fold in zero returns (in O(1)). The first call
 * starts the clock: boundaries are start + k * interval. The first return
 * seeds var with its square. 0, -EINVAL NULL / non-finite / <= 0 fair,
 * -ERANGE now_ns earlier than the previous call (state unchanged).
 * Inline: between boundaries (most calls) it only records the value. */
int vol_update_full(struct vol *v, uint64_t now_ns, double fair);

/* vol_update (below) for a v that is not NULL and a fair the caller knows
 * finite and > 0 (its range test made once for several modules). */
static inline int vol_update_px(struct vol *v, uint64_t now_ns, double fair)
{
	/* started, now_ns in [last_ns, next_ns): no boundary elapsed, so
	 * vol_update_full would only record the value. (Not started,
	 * next_ns is vol_init's 0: now_ns < next_ns tests started too.) */
	if (now_ns >= v->last_ns && now_ns < v->next_ns) {
		v->last_fair = fair;
		v->last_ns = now_ns;
		return 0;
	}
	return vol_update_full(v, now_ns, fair);
}

static inline int vol_update(struct vol *v, uint64_t now_ns, double fair)
{
	if (v != NULL && fair > 0.0 && fair <= DBL_MAX)
		return vol_update_px(v, now_ns, fair);
	return vol_update_full(v, now_ns, fair);
}

/* Sigma, log return per sqrt(second), never below sigma_min. Owner thread. */
double vol_sigma(const struct vol *v);

#endif /* VOL_H */
