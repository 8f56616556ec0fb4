/* portfolio.c - shared gross/net notional budget and per-symbol limits (see
 * portfolio.h). Owns nothing beyond the caller's struct pf; one owner thread. */
#include "strategy/portfolio.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#define PF_BUDGET_MAX_USD 1e14 /* keeps every sum far inside int64 at 1e-4 */

static int budget_ok(double usd)
{
	return isfinite(usd) && usd > 0.0 && usd <= PF_BUDGET_MAX_USD;
}

int pf_init(struct pf *p, const struct pf_cfg *cfg)
{
	if (!p || !cfg || !budget_ok(cfg->gross_usd) || !budget_ok(cfg->net_usd))
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->cfg = *cfg;
	p->gross_e4 = (int64_t)llround(cfg->gross_usd * 1e4);
	p->net_e4 = (int64_t)llround(cfg->net_usd * 1e4);
	return 0;
}

void pf_fini(struct pf *p)
{
	if (p)
		memset(p, 0, sizeof(*p));
}

int pf_attach(struct pf *p, uint16_t locate, int64_t max_pos, uint32_t *idx)
{
	if (!p || !idx || max_pos <= 0)
		return -EINVAL;
	for (uint32_t i = 0; i < p->n; i++)
		if (p->sym[i].locate == locate)
			return -EEXIST;
	if (p->n >= PF_MAX_SYMBOLS)
		return -ENOSPC;
	memset(&p->sym[p->n], 0, sizeof(p->sym[0]));
	p->sym[p->n].locate = locate;
	p->sym[p->n].max_pos = max_pos;
	*idx = p->n++;
	return 0;
}

double pf_gross_usd(const struct pf *p)
{
	return p ? (double)p->used_gross * 1e-4 : 0.0;
}

double pf_net_usd(const struct pf *p)
{
	return p ? (double)p->used_net * 1e-4 : 0.0;
}
