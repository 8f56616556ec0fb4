/* fair.c - micro-price and lead-lag fair value (see fair.h). Owns nothing
 * beyond the caller's struct fair; one owner thread. */
#include "strategy/fair.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

int fair_init(struct fair *f, const struct fair_cfg *cfg)
{
	if (f == NULL || cfg == NULL)
		return -EINVAL;
	if (!(cfg->weight >= 0.0 && cfg->weight <= 1.0))
		return -EINVAL;
	if (!isfinite(cfg->lead_beta))
		return -EINVAL;
	if (cfg->lead_beta != 0.0 && cfg->lead_lag_ns == 0)
		return -EINVAL;
	memset(f, 0, sizeof(*f));
	f->cfg = *cfg;
	f->lead_on = f->cfg.lead_beta != 0.0;
	if (f->cfg.lead_spacing_ns == 0)
		f->cfg.lead_spacing_ns = f->cfg.lead_lag_ns / 16u;
	return 0;
}

void fair_fini(struct fair *f)
{
	(void)f;
}

int fair_lead_update(struct fair *f, uint64_t now_ns, double lead_px)
{
	uint32_t newest;

	if (f == NULL || !isfinite(lead_px) || lead_px <= 0.0)
		return -EINVAL;
	if (f->lead_count > 0 && now_ns < f->lead_last_ns)
		return -ERANGE;
	f->lead_last = lead_px;
	f->lead_last_ns = now_ns;
	newest = (f->lead_head + FAIR_LEAD_RING - 1u) % FAIR_LEAD_RING;
	if (f->lead_count > 0 &&
	    now_ns - f->lead_t_ns[newest] < f->cfg.lead_spacing_ns)
		return 0;
	f->lead_px[f->lead_head] = lead_px;
	f->lead_t_ns[f->lead_head] = now_ns;
	f->lead_head = (f->lead_head + 1u) % FAIR_LEAD_RING;
	if (f->lead_count < FAIR_LEAD_RING)
		f->lead_count++;
	return 0;
}

int fair_lead_return(const struct fair *f, uint64_t now_ns, double *out_ret)
{
	uint64_t then_ns;
	uint32_t i, idx;

	if (f == NULL || out_ret == NULL)
		return -EINVAL;
	if (f->cfg.lead_beta == 0.0 || f->lead_count == 0 ||
	    now_ns < f->cfg.lead_lag_ns)
		return -ENODATA;
	then_ns = now_ns - f->cfg.lead_lag_ns;
	for (i = 1; i <= f->lead_count; i++) {
		idx = (f->lead_head + FAIR_LEAD_RING - i) % FAIR_LEAD_RING;
		if (f->lead_t_ns[idx] <= then_ns) {
			*out_ret = log(f->lead_last / f->lead_px[idx]);
			return 0;
		}
	}
	return -ENODATA;
}

int fair_compute(struct fair *f, uint32_t bid_px, uint32_t bid_qty,
		 uint32_t ask_px, uint32_t ask_qty, uint64_t now_ns,
		 double *out_px)
{
	double px, ret, adj;
	int rc;

	if (f == NULL)
		return -EINVAL;
	rc = fair_micro_price(bid_px, bid_qty, ask_px, ask_qty,
			      f->cfg.weight, &px);
	if (rc != 0)
		return rc;
	if (f->cfg.lead_beta != 0.0) {
		if (fair_lead_return(f, now_ns, &ret) == 0) {
			adj = px * exp(f->cfg.lead_beta * ret);
			/* Keep the no-NaN promise even for absurd betas. */
			if (isfinite(adj))
				px = adj;
		} else {
			f->n_lead_missing++;
		}
	}
	*out_px = px;
	return 0;
}
