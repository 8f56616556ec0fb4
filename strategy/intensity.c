/* intensity.c - online fit of lambda(delta) = A exp(-kappa delta) from trade
 * depths (see intensity.h). Owns nothing beyond the caller's struct fill;
 * one owner thread. */
#include "strategy/intensity.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

static int fill_prior_ok(double a, double k)
{
	return isfinite(a) && a > 0.0 && isfinite(k) && k > 0.0;
}

int fill_init(struct fill *fl, const struct fill_cfg *cfg)
{
	if (fl == NULL || cfg == NULL)
		return -EINVAL;
	if (!(isfinite(cfg->bucket_px) && cfg->bucket_px > 0.0) ||
	    cfg->n_buckets < 2 || cfg->n_buckets > FILL_MAX_BUCKETS ||
	    cfg->slot_ns == 0 || cfg->n_slots < 2 ||
	    cfg->n_slots > FILL_MAX_SLOTS || cfg->min_points < 2 ||
	    cfg->min_count < 1 ||
	    !fill_prior_ok(cfg->prior_a[0], cfg->prior_kappa[0]) ||
	    !fill_prior_ok(cfg->prior_a[1], cfg->prior_kappa[1]))
		return -EINVAL;
	memset(fl, 0, sizeof(*fl));
	fl->cfg = *cfg;
	return 0;
}

void fill_fini(struct fill *fl)
{
	(void)fl;
}

double fill_blend_weight(uint32_t n)
{
	double w = (double)n / 100.0;

	return w < 0.8 ? w : 0.8;
}

/* slot_id is id: its times and index (struct fill). id * slot_ns is at
 * most the now_ns id came from, so only the slot's end can overflow. */
static void fill_slot_set(struct fill *fl, uint64_t id)
{
	fl->slot_id = id;
	fl->slot_lo_ns = id * fl->cfg.slot_ns;
	fl->slot_hi_ns = fl->slot_lo_ns + fl->cfg.slot_ns;
	if (fl->slot_hi_ns < fl->slot_lo_ns)
		fl->slot_hi_ns = UINT64_MAX; /* no later now_ns is in another slot */
	fl->slot_idx = (uint32_t)(id % fl->cfg.n_slots);
}

/* Move the window so that its newest slot holds now_ns; clear the slots that
 * fall out. -ERANGE if now_ns is in a slot before the newest. */
static inline int fill_advance(struct fill *fl, uint64_t now_ns)
{
	uint64_t id, k, j;
	uint32_t s, b, slot;

	/* inside the newest slot (started: before, both bounds are 0):
	 * now_ns / slot_ns is slot_id, nothing to move or clear */
	if (now_ns >= fl->slot_lo_ns && now_ns < fl->slot_hi_ns)
		return 0;
	id = now_ns / fl->cfg.slot_ns;
	if (!fl->started) {
		fl->started = 1;
		fill_slot_set(fl, id);
		fl->t0_ns = now_ns;
		return 0;
	}
	if (id < fl->slot_id)
		return -ERANGE;
	k = id - fl->slot_id;
	if (k > fl->cfg.n_slots)
		k = fl->cfg.n_slots;
	for (j = 1; j <= k; j++) {
		slot = (uint32_t)((fl->slot_id + j) % fl->cfg.n_slots);
		for (s = 0; s < 2; s++) {
			struct fill_side_state *st = &fl->side[s];

			for (b = 0; b <= fl->cfg.n_buckets; b++) {
				st->tot[b] -= st->cnt[slot][b];
				st->n -= st->cnt[slot][b];
				st->cnt[slot][b] = 0;
			}
		}
	}
	fill_slot_set(fl, id);
	return 0;
}

int fill_on_trade(struct fill *fl, int side, uint32_t px, double fair,
		  uint64_t now_ns)
{
	struct fill_side_state *st;
	double delta;
	uint32_t b, slot;

	if (fl == NULL)
		return -EINVAL;
	if ((side != FILL_BID && side != FILL_ASK) || px == 0 ||
	    !isfinite(fair)) {
		fl->n_rejected++;
		return -EINVAL;
	}
	if (fill_advance(fl, now_ns) != 0) {
		fl->n_rejected++;
		return -ERANGE;
	}
	delta = side == FILL_BID ? fair - (double)px : (double)px - fair;
	if (!(delta > 0.0))
		delta = 0.0;
	delta /= fl->cfg.bucket_px;
	b = delta >= (double)fl->cfg.n_buckets ? fl->cfg.n_buckets
					       : (uint32_t)delta;
	slot = fl->slot_idx; /* slot_id % n_slots */
	st = &fl->side[side];
	st->cnt[slot][b]++;
	st->tot[b]++;
	st->n++;
	fl->n_trades++;
	return 0;
}

/* Weighted least squares of y = ln(rate of trades at depth >= x) on x over
 * the bucket lower edges, weight = count (inverse variance of a log Poisson
 * count). Returns the number of points; *ln_a, *slope when >= 2. */
static uint32_t fill_regress(const struct fill *fl,
			     const struct fill_side_state *st, double span_s,
			     double *ln_a, double *slope)
{
	double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, x, y, w, det;
	double y_first = 0.0;
	uint32_t b, cum = st->tot[fl->cfg.n_buckets], pts = 0, flat = 1;

	for (b = fl->cfg.n_buckets; b-- > 0;) {
		cum += st->tot[b];
		if (cum < fl->cfg.min_count)
			continue;
		x = (double)b * fl->cfg.bucket_px;
		y = log((double)cum / span_s);
		w = (double)cum;
		if (pts == 0)
			y_first = y;
		else if (y != y_first)
			flat = 0;
		sw += w;
		sx += w * x;
		sy += w * y;
		sxx += w * x * x;
		sxy += w * x * y;
		pts++;
	}
	if (pts < 2)
		return pts;
	det = sw * sxx - sx * sx;
	/* A flat profile is exactly slope 0 (kappa 0: a bad fit), not rounding
	 * noise of either sign. */
	*slope = flat ? 0.0 : det != 0.0 ? (sw * sxy - sx * sy) / det : NAN;
	*ln_a = (sy - *slope * sx) / sw;
	return pts;
}

int fill_estimate(struct fill *fl, int side, uint64_t now_ns,
		  struct fill_params *out)
{
	const struct fill_side_state *st;
	double span_ns, ln_a = 0.0, slope = 0.0, fa, fk, w;
	uint64_t win_start;
	uint32_t pts;

	if (fl == NULL || out == NULL || (side != FILL_BID && side != FILL_ASK))
		return -EINVAL;
	if (fill_advance(fl, now_ns) != 0)
		return -ERANGE;
	st = &fl->side[side];
	memset(out, 0, sizeof(*out));
	out->n = st->n;
	out->a = fl->cfg.prior_a[side];
	out->kappa = fl->cfg.prior_kappa[side];

	/* Window covers the oldest live slot's start up to now, but not before
	 * the first time seen. */
	win_start = fl->slot_id >= fl->cfg.n_slots - 1u
		? (fl->slot_id - (fl->cfg.n_slots - 1u)) * fl->cfg.slot_ns : 0;
	if (win_start < fl->t0_ns)
		win_start = fl->t0_ns;
	span_ns = (double)(now_ns - win_start);
	if (span_ns <= 0.0) {
		out->status = FILL_FIT_FEW;
		fl->n_bad_fit++;
		return 0;
	}
	pts = fill_regress(fl, st, span_ns * 1e-9, &ln_a, &slope);
	if (pts < fl->cfg.min_points) {
		out->status = FILL_FIT_FEW;
		fl->n_bad_fit++;
		return 0;
	}
	fk = -slope;
	fa = exp(ln_a);
	if (!(isfinite(fk) && isfinite(fa) && fk > 0.0 && fa > 0.0)) {
		out->status = FILL_FIT_BAD;
		fl->n_bad_fit++;
		return 0;
	}
	w = fill_blend_weight(st->n);
	out->status = FILL_FIT_OK;
	out->fit_a = fa;
	out->fit_kappa = fk;
	out->weight = w;
	out->a = w * fa + (1.0 - w) * out->a;
	out->kappa = w * fk + (1.0 - w) * out->kappa;
	return 0;
}
