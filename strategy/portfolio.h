/* portfolio.h - one risk budget (gross and net notional, USD) shared by the
 * market makers of several symbols, and the per-symbol position limits that
 * follow from it: a symbol may only use the room the others leave, so its
 * limit shrinks as the portfolio's gross or net use approaches the budget.
 * Exact integer notional (1e-4 USD). Pure, no allocation. Threads: one owner
 * (the quote core that runs every attached mm). */
#ifndef PORTFOLIO_H
#define PORTFOLIO_H

#include <stdbool.h>
#include <stdint.h>

#define PF_MAX_SYMBOLS 64u

struct pf_cfg {
	double gross_usd;    /* budget: sum over symbols of |position| * price, USD (> 0) */
	double net_usd;      /* budget: |sum of position * price|, USD (> 0) */
};

struct pf_sym {
	uint16_t locate;     /* symbol */
	uint16_t pad[3];
	int64_t max_pos;     /* the symbol's own |position| cap, shares (> 0) */
	int64_t pos;         /* shares, + long */
	int64_t px;          /* mark price, 1e-4 USD */
	int64_t notional;    /* pos * px, 1e-4 USD (signed) */
};

struct pf {
	struct pf_cfg cfg;
	int64_t gross_e4;    /* budget in 1e-4 USD */
	int64_t net_e4;
	int64_t used_gross;  /* sum |notional|, 1e-4 USD */
	int64_t used_net;    /* sum notional, 1e-4 USD (signed) */
	uint32_t n;          /* attached symbols */
	struct pf_sym sym[PF_MAX_SYMBOLS];
};

/* A symbol's limits now, in shares: it may hold at most max_long long and
 * max_short short (both >= 0; 0 = no room on that side). */
struct pf_limit {
	int64_t max_long;
	int64_t max_short;
};

/* Initialise p from cfg. 0, -EINVAL NULL, a budget <= 0, non-finite or
 * above 1e14 USD. Cold. */
int pf_init(struct pf *p, const struct pf_cfg *cfg);

/* Release p (nothing owned; accepts NULL). */
void pf_fini(struct pf *p);

/* Attach a symbol with its own cap max_pos (shares); its index goes to
 * *idx. 0, -EINVAL bad argument, -EEXIST locate attached, -ENOSPC full. */
int pf_attach(struct pf *p, uint16_t locate, int64_t max_pos, uint32_t *idx);

/* |v|, for pf_update. */
static inline int64_t pf_abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

/* The symbol at idx now holds pos shares marked at px (1e-4 USD, > 0; 0
 * keeps the previous mark). O(1): totals are updated incrementally and
 * exactly. Owner thread. Inline: once per market-data event. */
static inline void pf_update_at(struct pf *p, uint32_t idx, int64_t pos, int64_t px);

static inline void pf_update(struct pf *p, uint32_t idx, int64_t pos, int64_t px)
{
	if (!p || idx >= p->n)
		return;
	pf_update_at(p, idx, pos, px);
}

/* pf_update for a p that is not NULL and an idx pf_attach gave (its
 * checks made once, at attach: a market maker's own symbol). Inline. */
static inline void pf_update_at(struct pf *p, uint32_t idx, int64_t pos, int64_t px)
{
	struct pf_sym *s = &p->sym[idx];
	int64_t nn;

	if (px > 0)
		s->px = px;
	s->pos = pos;
	nn = pos * s->px;
	p->used_gross += pf_abs64(nn) - pf_abs64(s->notional);
	p->used_net += nn - s->notional;
	s->notional = nn;
}

/* min(a, b), for pf_limits. */
static inline int64_t pf_min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* min(cap, x / px) (C division) for px > 0 and cap > 0, without the
 * division when x reaches cap * px: then x / px >= cap, and below it
 * (negative x too) x / px < cap; a product that overflows divides. */
static inline int64_t pf_cap_div(int64_t x, int64_t px, int64_t cap)
{
	int64_t at_cap;

	if (!__builtin_mul_overflow(cap, px, &at_cap) && x >= at_cap)
		return cap;
	return pf_min64(cap, x / px);
}

/* Limits of the symbol at idx, marked at its price: the largest long and
 * short positions that keep the symbol within its own cap, the portfolio's
 * gross use within gross_usd and its net within +-net_usd, given the other
 * symbols' positions. Without a mark price the symbol gets its own cap.
 * Owner thread. Inline: on the decision path every time. */
static inline void pf_limits(const struct pf *p, uint32_t idx, struct pf_limit *out)
{
	const struct pf_sym *s;
	int64_t gross_room, net_long, net_short, other_net;

	out->max_long = 0;
	out->max_short = 0;
	if (!p || idx >= p->n)
		return;
	s = &p->sym[idx];
	if (s->px <= 0) {
		out->max_long = s->max_pos;
		out->max_short = s->max_pos;
		return;
	}
	/* Room the other symbols leave, in 1e-4 USD. */
	gross_room = p->gross_e4 - (p->used_gross - (s->notional < 0 ? -s->notional : s->notional));
	other_net = p->used_net - s->notional;
	net_long = p->net_e4 - other_net;   /* pos * px <= net - other */
	net_short = p->net_e4 + other_net;  /* -pos * px <= net + other */
	out->max_long = pf_cap_div(pf_min64(gross_room, net_long), s->px, s->max_pos);
	out->max_short = pf_cap_div(pf_min64(gross_room, net_short), s->px, s->max_pos);
	if (out->max_long < 0)
		out->max_long = 0;
	if (out->max_short < 0)
		out->max_short = 0;
}

/* The symbol at idx's own cap (max_pos) when pf_limits(p, idx, &l) gives
 * it on both sides (l.max_long == l.max_short == max_pos), else -1 (call
 * pf_limits). That is pf_limits' case of a budget far from used: both
 * rooms reach max_pos * px (its pf_cap_div short cut on both sides), or
 * no mark yet; the same expressions, with no minimum, clamp or division
 * to set up (side_room: ~7 instructions less a decision). Owner thread.
 * Inline: on the decision path every time. */
static inline bool pf_limits_own(const struct pf *p, uint32_t idx);

static inline int64_t pf_limits_cap(const struct pf *p, uint32_t idx)
{
	if (!p || idx >= p->n)
		return -1;
	return pf_limits_own(p, idx) ? p->sym[idx].max_pos : -1;
}

/* pf_limits_cap(p, idx) >= 0 (it is then sym[idx].max_pos) for a p that
 * is not NULL and an idx pf_attach gave (side_room: its checks made once,
 * at attach). Inline: on the decision path every time. */
static inline bool pf_limits_own(const struct pf *p, uint32_t idx)
{
	const struct pf_sym *s = &p->sym[idx];
	int64_t at_cap, other_net;

	if (s->px <= 0)
		return true;
	if (__builtin_mul_overflow(s->max_pos, s->px, &at_cap))
		return false;
	other_net = p->used_net - s->notional;
	return p->gross_e4 - (p->used_gross - (s->notional < 0 ? -s->notional : s->notional)) >=
		       at_cap &&
	       p->net_e4 - other_net >= at_cap && p->net_e4 + other_net >= at_cap;
}

/* Portfolio use in USD (gross >= 0, net signed). */
double pf_gross_usd(const struct pf *p);
double pf_net_usd(const struct pf *p);

#endif /* PORTFOLIO_H */
