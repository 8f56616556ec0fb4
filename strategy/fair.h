/* fair.h - fair value for one symbol: the micro-price (imbalance-weighted
 * mid) from the top of book, optionally shifted by a lead instrument's log
 * return over a lag times a beta. Pure: time is an argument, no I/O, no
 * allocation; state lives in a caller-provided struct fair. Prices are ITCH
 * units (1e-4 USD) carried in double. Threads: one owner (the quote core). */
#ifndef FAIR_H
#define FAIR_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/events.h"
#include "hw/compiler.h"

/* Lead history ring: decimated (t_ns, fair) samples of the lead instrument. */
#define FAIR_LEAD_RING 64u

struct fair_cfg {
	double weight;          /* 0..1: 0 = mid, 1 = full micro-price */
	double lead_beta;       /* lead log-return multiplier; 0 disables lead */
	uint64_t lead_lag_ns;   /* lead return measured over [now - lag, now] */
	uint64_t lead_spacing_ns; /* min spacing of ring samples; 0 = lag/16
				   * (ring then covers >= 4 lags) */
};

struct fair {
	struct fair_cfg cfg;
	bool lead_on;                       /* cfg.lead_beta != 0.0 (fair_init):
					     * a byte to test per event */
	double lead_last;                   /* newest lead fair, 1e-4 USD */
	uint64_t lead_last_ns;              /* its time, ns */
	double lead_px[FAIR_LEAD_RING];     /* decimated lead fair, 1e-4 USD */
	uint64_t lead_t_ns[FAIR_LEAD_RING]; /* their times, ns, increasing */
	uint32_t lead_head;                 /* next ring slot to write */
	uint32_t lead_count;                /* valid ring entries */
	uint64_t n_lead_missing;            /* lead term skipped: no history */
};

/* Error codes of fair_micro_price / fair_compute:
 * -ENODATA one side (or both) empty: price or queue is 0;
 * -ERANGE  locked or crossed book (bid_px >= ask_px);
 * -EINVAL  NULL argument. The output is never written on error. */

/* Initialise f from cfg (copied). 0, -EINVAL NULL, weight outside [0, 1],
 * non-finite beta, or beta != 0 with lag 0. Cold; any thread before use. */
int fair_init(struct fair *f, const struct fair_cfg *cfg);

/* Release f (nothing to free; accepts NULL). */
void fair_fini(struct fair *f);

/* fair_micro_price (below) past its argument checks, for a w in [0, 1]
 * and out_px valid (internal: fair_from_event's weight was checked by
 * fair_init). */
static inline int fair_micro_price_w(uint32_t bid_px, uint32_t bid_qty, uint32_t ask_px,
				     uint32_t ask_qty, double w, double *out_px)
{
	double mid, half, imb;

	/* a valid top (every event's): bid_px < ask_px makes ask_px != 0,
	 * so four tests for the five; anything else is told apart below */
	if (!(bid_px != 0 && bid_px < ask_px && bid_qty != 0 && ask_qty != 0)) {
		if (bid_px == 0 || ask_px == 0 || bid_qty == 0 || ask_qty == 0)
			return -ENODATA;
		return -ERANGE;
	}
	mid = 0.5 * ((double)bid_px + (double)ask_px);
	half = 0.5 * ((double)ask_px - (double)bid_px);
	/* Both queues > 0, so the denominator is >= 2 and imb in (-1, 1). */
	imb = ((double)bid_qty - (double)ask_qty) /
	      ((double)bid_qty + (double)ask_qty);
	*out_px = mid + w * half * imb;
	return 0;
}

/* Micro-price of a top of book with weight w in [0, 1]:
 * mid + w * (spread/2) * (Qb - Qa) / (Qb + Qa), 1e-4 USD, into *out_px.
 * A large bid queue pulls it up toward the ask. 0, -ENODATA, -ERANGE, -EINVAL
 * (see above; also -EINVAL for w outside [0, 1]). Pure; any thread.
 * Inline: once per market-data event. */
static inline int fair_micro_price(uint32_t bid_px, uint32_t bid_qty, uint32_t ask_px,
				   uint32_t ask_qty, double w, double *out_px)
{
	if (out_px == NULL || !(w >= 0.0 && w <= 1.0))
		return -EINVAL;
	return fair_micro_price_w(bid_px, bid_qty, ask_px, ask_qty, w, out_px);
}

/* Record the lead instrument's fair value lead_px (1e-4 USD) at now_ns.
 * Samples closer than the spacing to the previous ring entry only update the
 * newest value. 0, -EINVAL non-finite or <= 0 price, -ERANGE time went back. */
int fair_lead_update(struct fair *f, uint64_t now_ns, double lead_px);

/* Lead log return ln(L(now) / L(now - lag)), where L(now) is the newest lead
 * value and L(now - lag) the newest ring sample at or before now - lag.
 * 0, -ENODATA no such sample (history shorter than the lag) or lead off. */
int fair_lead_return(const struct fair *f, uint64_t now_ns, double *out_ret);

/* Fair value at now_ns: micro-price * exp(beta * lead return), 1e-4 USD.
 * Without lead history the lead term is 0 and n_lead_missing is bumped.
 * Returns as fair_micro_price. Owner thread. */
int fair_compute(struct fair *f, uint32_t bid_px, uint32_t bid_qty,
		 uint32_t ask_px, uint32_t ask_qty, uint64_t now_ns,
		 double *out_px);

/* fair_compute on a top of book, as fair_from_event (below) has it from
 * an event's fields: for a caller that holds them in registers already. */
static inline int fair_from_top(struct fair *f, uint32_t bid_px, uint32_t bid_qty,
				uint32_t ask_px, uint32_t ask_qty, uint64_t now_ns,
				double *out_px)
{
	/* the lead term is rare: its call's argument moves kept off the
	 * common path (GCC hoisted them above the test, loading the top
	 * twice) */
	if (UNLIKELY(f == NULL || f->lead_on))
		return fair_compute(f, bid_px, bid_qty, ask_px, ask_qty, now_ns, out_px);
	/* as fair_compute: the micro-price, then no lead adjustment (the
	 * weight in [0, 1]: fair_init) */
	if (out_px == NULL)
		return -EINVAL;
	return fair_micro_price_w(bid_px, bid_qty, ask_px, ask_qty, f->cfg.weight, out_px);
}

/* fair_compute on the top of book carried by a market-data event. Inline:
 * without a lead term (the common case) it is the micro-price alone, with
 * no call. */
static inline int fair_from_event(struct fair *f, const struct md_event *ev,
				  uint64_t now_ns, double *out_px)
{
	if (ev == NULL)
		return -EINVAL;
	return fair_from_top(f, ev->bid_px, ev->bid_qty, ev->ask_px, ev->ask_qty, now_ns, out_px);
}

#endif /* FAIR_H */
