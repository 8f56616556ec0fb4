/* vol.c - fixed-clock EWMA volatility (see vol.h). Owns nothing beyond the
 * caller's struct vol; one owner thread. */
#include "strategy/vol.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

int vol_init(struct vol *v, const struct vol_cfg *cfg)
{
	double a;

	if (v == NULL || cfg == NULL || cfg->interval_ns == 0)
		return -EINVAL;
	if (!(cfg->alpha >= 0.0 && cfg->alpha <= 1.0))
		return -EINVAL;
	if (!(isfinite(cfg->sigma_min) && cfg->sigma_min >= 0.0))
		return -EINVAL;
	if (cfg->alpha > 0.0) {
		a = cfg->alpha;
	} else {
		if (cfg->half_life_ns == 0)
			return -EINVAL;
		a = 1.0 - exp2(-(double)cfg->interval_ns /
			       (double)cfg->half_life_ns);
		if (!(a > 0.0))
			return -EINVAL;
	}
	memset(v, 0, sizeof(*v));
	v->cfg = *cfg;
	v->alpha = a;
	v->interval_s = (double)cfg->interval_ns * 1e-9;
	return 0;
}

void vol_fini(struct vol *v)
{
	(void)v;
}

/* Fold one return r into the EWMA; the first return seeds it. */
static void vol_fold(struct vol *v, double r)
{
	if (v->n_returns == 0)
		v->var = r * r;
	else
		v->var = (1.0 - v->alpha) * v->var + v->alpha * r * r;
	v->n_returns++;
}

int vol_update_full(struct vol *v, uint64_t now_ns, double fair)
{
	uint64_t k;

	if (v == NULL || !isfinite(fair) || fair <= 0.0)
		return -EINVAL;
	if (!v->started) {
		v->started = 1;
		v->last_fair = fair;
		v->sample_fair = fair;
		v->last_ns = now_ns;
		v->next_ns = now_ns + v->cfg.interval_ns;
		return 0;
	}
	if (now_ns < v->last_ns)
		return -ERANGE;
	if (now_ns >= v->next_ns) {
		/* Boundaries elapsed: next_ns, next_ns + i, ..., <= now. */
		k = (now_ns - v->next_ns) / v->cfg.interval_ns + 1u;
		vol_fold(v, log(v->last_fair / v->sample_fair));
		v->sample_fair = v->last_fair;
		if (k > 1) {
			/* k - 1 carried intervals: zero returns decay var. */
			v->var *= pow(1.0 - v->alpha, (double)(k - 1u));
			v->n_returns += k - 1u;
		}
		v->next_ns += k * v->cfg.interval_ns;
	}
	v->last_fair = fair;
	v->last_ns = now_ns;
	return 0;
}

double vol_sigma(const struct vol *v)
{
	double s;

	if (v == NULL)
		return 0.0;
	s = sqrt(v->var / v->interval_s);
	if (!(s >= v->cfg.sigma_min)) /* also catches NaN */
		s = v->cfg.sigma_min;
	return s;
}
