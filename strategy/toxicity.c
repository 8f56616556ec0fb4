/* toxicity.c - per-side toxicity score, pull/cooldown and shrink (see
 * toxicity.h). Owns nothing beyond the caller's struct tox; one owner. */
#include "strategy/toxicity.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

_Static_assert((TOX_PENDING & (TOX_PENDING - 1u)) == 0, "TOX_PENDING power of two");

static bool in_unit(double x) /* (0, 1] */
{
	return isfinite(x) && x > 0.0 && x <= 1.0;
}

static bool nonneg(double x)
{
	return isfinite(x) && x >= 0.0;
}

/* max(0, x) with NaN -> 0, as fmax(0.0, x) but without the libm call (a
 * -0.0 may come out as either zero; every caller adds it to a sum that is
 * +0.0 or positive, so the results are the same). */
static inline double max0(double x)
{
	return x > 0.0 ? x : 0.0;
}

static bool side_ok(enum quote_side s)
{
	return s == QUOTE_BID || s == QUOTE_ASK;
}

int tox_init(struct tox *t, const struct tox_cfg *cfg)
{
	uint32_t h;

	if (t == NULL || cfg == NULL)
		return -EINVAL;
	if (cfg->n_horizons == 0 || cfg->n_horizons > TOX_MAX_HORIZONS)
		return -EINVAL;
	for (h = 0; h < cfg->n_horizons; h++)
		if (cfg->horizon_ns[h] == 0 || !nonneg(cfg->horizon_weight[h]))
			return -EINVAL;
	if (!in_unit(cfg->markout_alpha) || !in_unit(cfg->flow_alpha) ||
	    cfg->through_half_life_ns == 0 || cfg->cooldown_ns == 0)
		return -EINVAL;
	if (!nonneg(cfg->w_markout) || !nonneg(cfg->w_flow) ||
	    !nonneg(cfg->w_through) || !nonneg(cfg->spread_k))
		return -EINVAL;
	if (!(isfinite(cfg->shrink_threshold) && cfg->shrink_threshold > 0.0) ||
	    !(isfinite(cfg->pull_threshold) &&
	      cfg->pull_threshold > cfg->shrink_threshold))
		return -EINVAL;
	if (!(isfinite(cfg->shrink_factor) && cfg->shrink_factor > 0.0 &&
	      cfg->shrink_factor < 1.0))
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->cfg = *cfg;
	t->next_due_ns = UINT64_MAX;
	/* tox_decide_span's windows (see tox_span_open): a count decayed by
	 * at most 2^-1000 (exp2 stays normal), time and half-life exact as
	 * doubles (both below 2^53) */
	if (cfg->through_half_life_ns >= TOX_SPAN_DIV && cfg->through_half_life_ns < (1ull << 43)) {
		t->span_ns = cfg->through_half_life_ns / TOX_SPAN_DIV;
		t->span_decay_lo = exp2(-(double)t->span_ns / (double)cfg->through_half_life_ns) *
				   (1.0 - 0x1p-40);
		t->span_max_dt_ns = 1000 * cfg->through_half_life_ns - t->span_ns;
	}
	return 0; /* mk, imb: 0, as computed from zero markouts and flow */
}

/* Recompute side's markout term (after a markout matured). */
static void side_mk(struct tox *t, struct tox_side_state *s)
{
	double mk = 0.0;

	for (uint32_t h = 0; h < t->cfg.n_horizons; h++)
		mk += t->cfg.horizon_weight[h] * max0(s->markout_bps[h]);
	s->mk = mk;
}

void tox_fini(struct tox *t)
{
	(void)t;
}

int tox_on_fill(struct tox *t, uint64_t now_ns, enum quote_side side, double px)
{
	uint32_t h;
	int rc = 0;

	if (t == NULL || !side_ok(side) || !(isfinite(px) && px > 0.0))
		return -EINVAL;
	if (t->n_fills > 0 && now_ns < t->last_fill_ns)
		return -ERANGE;
	t->last_fill_ns = now_ns;
	t->n_fills++;
	for (h = 0; h < t->cfg.n_horizons; h++) {
		struct tox_ring *q = &t->ring[h];
		struct tox_pending *e;

		if (q->count == TOX_PENDING) {
			t->n_markout_dropped++;
			rc = -ENOBUFS;
			continue;
		}
		e = &q->e[(q->head + q->count) & (TOX_PENDING - 1u)];
		e->due_ns = now_ns + t->cfg.horizon_ns[h];
		e->px = px;
		e->side = side;
		q->count++;
		if (e->due_ns < t->next_due_ns)
			t->next_due_ns = e->due_ns;
	}
	return rc;
}

int tox_on_fair_full(struct tox *t, uint64_t now_ns, double fair)
{
	uint32_t h;
	int n = 0;

	if (t == NULL || !(isfinite(fair) && fair > 0.0))
		return -EINVAL;
	if (now_ns < t->next_due_ns)
		return 0; /* nothing due yet (the common case) */
	for (h = 0; h < t->cfg.n_horizons; h++) {
		struct tox_ring *q = &t->ring[h];

		while (q->count > 0 && q->e[q->head].due_ns <= now_ns) {
			const struct tox_pending *e = &q->e[q->head];
			double mk = (e->side == QUOTE_BID ? e->px - fair : fair - e->px) /
				    e->px * 1e4;
			double *ew = &t->side[e->side].markout_bps[h];

			*ew += t->cfg.markout_alpha * (mk - *ew);
			q->head = (q->head + 1u) & (TOX_PENDING - 1u);
			q->count--;
			t->n_markouts++;
			n++;
		}
	}
	t->next_due_ns = UINT64_MAX; /* the heads are each ring's earliest */
	for (h = 0; h < t->cfg.n_horizons; h++)
		if (t->ring[h].count > 0 && t->ring[h].e[t->ring[h].head].due_ns < t->next_due_ns)
			t->next_due_ns = t->ring[h].e[t->ring[h].head].due_ns;
	if (n > 0) {
		side_mk(t, &t->side[QUOTE_BID]);
		side_mk(t, &t->side[QUOTE_ASK]);
		t->side[QUOTE_BID].gen++;
		t->side[QUOTE_ASK].gen++;
		t->gen++;
	}
	return n;
}

int tox_on_trade(struct tox *t, uint64_t now_ns, double signed_qty)
{
	double a, imb;
	uint64_t ask0, bid0, ask1, bid1;

	(void)now_ns;
	if (t == NULL || !isfinite(signed_qty))
		return -EINVAL;
	a = t->cfg.flow_alpha;
	t->flow_signed += a * (signed_qty - t->flow_signed);
	t->flow_abs += a * (fabs(signed_qty) - t->flow_abs);
	imb = 0.0;
	if (t->flow_abs > 0.0)
		imb = t->flow_signed / t->flow_abs; /* -1..1, + = buying */
	memcpy(&ask0, &t->side[QUOTE_ASK].imb, 8);
	memcpy(&bid0, &t->side[QUOTE_BID].imb, 8);
	t->side[QUOTE_ASK].imb = max0(imb);
	t->side[QUOTE_BID].imb = max0(-imb); /* selling pressure is against our bid */
	/* a side whose term kept its very bits keeps its memos (the flow
	 * mostly moves one side's; the other stays 0) */
	memcpy(&ask1, &t->side[QUOTE_ASK].imb, 8);
	memcpy(&bid1, &t->side[QUOTE_BID].imb, 8);
	t->side[QUOTE_ASK].gen += ask0 != ask1;
	t->side[QUOTE_BID].gen += bid0 != bid1;
	t->gen++;
	return 0;
}


int tox_on_trade_through(struct tox *t, uint64_t now_ns, enum quote_side side)
{
	struct tox_side_state *s;

	if (t == NULL || !side_ok(side))
		return -EINVAL;
	s = &t->side[side];
	s->through = tox_through_at(s, now_ns, t->cfg.through_half_life_ns) + 1.0;
	if (now_ns > s->through_ns)
		s->through_ns = now_ns;
	s->gen++;
	t->gen++;
	return 0;
}
