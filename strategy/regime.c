/* regime.c - GREEN / YELLOW / RED / KILL with hysteresis (see regime.h).
 * Owns nothing beyond the caller's struct regime; one owner thread. */
#include "strategy/regime.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

static bool band_on(const struct regime_band *b)
{
	return b->enter > 0.0;
}

static bool finite_nonneg(double x)
{
	return isfinite(x) && x >= 0.0;
}

static void fill_decision(struct regime *r, const struct regime_inputs *in,
			  struct regime_decision *out);

int regime_init(struct regime *r, const struct regime_cfg *cfg, uint64_t now_ns)
{
	const struct regime_inputs flat = { 0 };
	int i, l;
	bool pos_on = false;

	if (r == NULL || cfg == NULL)
		return -EINVAL;
	for (i = 0; i < REGIME_N_INPUTS; i++) {
		double prev_enter = 0.0;

		for (l = REGIME_YELLOW; l <= REGIME_KILL; l++) {
			const struct regime_band *b = &cfg->band[i][l];

			if (!isfinite(b->enter) || !isfinite(b->exit))
				return -EINVAL;
			if (!band_on(b))
				continue;
			if (l != REGIME_KILL &&
			    (!(b->exit >= 0.0) || !(b->exit < b->enter)))
				return -EINVAL;
			if (b->enter < prev_enter)
				return -EINVAL;
			prev_enter = b->enter;
			if (i == REGIME_IN_POSITION)
				pos_on = true;
		}
	}
	if (pos_on && cfg->pos_limit <= 0)
		return -EINVAL;
	if (!finite_nonneg(cfg->spread_add_ticks) ||
	    !finite_nonneg(cfg->spread_add_bps) || cfg->size_cap == 0)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->cfg = *cfg;
	r->pos_limit = cfg->pos_limit;
	r->level = REGIME_GREEN;
	r->reason = REGIME_REASON_NONE;
	r->entered_ns = now_ns;
	for (i = 0; i < REGIME_N_INPUTS; i++) {
		const struct regime_band *red = &cfg->band[i][REGIME_RED];

		for (int lv = REGIME_GREEN; lv < REGIME_KILL; lv++) {
			double up = INFINITY, hold = INFINITY;

			for (l = REGIME_KILL; l > lv; l--) /* enters rise with level */
				if (band_on(&cfg->band[i][l]))
					up = cfg->band[i][l].enter;
			if (lv > REGIME_GREEN && band_on(&cfg->band[i][lv]))
				hold = cfg->band[i][lv].exit;
			r->lvl[lv].up_below[i] = up;
			r->lvl[lv].hold_above[i] = hold;
		}
		r->red_exit[i] = i != REGIME_IN_DRAWDOWN && band_on(red) ? red->exit : INFINITY;
	}
	/* each level's decision, as fill_decision gives it (no cancel) */
	for (int lv = REGIME_GREEN; lv < REGIME_KILL; lv++) {
		r->level = (enum regime_level)lv;
		fill_decision(r, &flat, &r->lvl[lv].dec);
	}
	r->level = REGIME_GREEN;
	return 0;
}

void regime_fini(struct regime *r)
{
	(void)r;
}

static void latch_kill(struct regime *r, enum regime_reason why, uint64_t now_ns)
{
	if (r->level == REGIME_KILL)
		return; /* first reason wins */
	r->level = REGIME_KILL;
	r->reason = why;
	r->entered_ns = now_ns;
	r->cancel_pending = true;
	r->n_transitions++;
	r->n_kills++;
}

static void fill_decision(struct regime *r, const struct regime_inputs *in,
			  struct regime_decision *out)
{
	bool cancel = r->cancel_pending;

	r->cancel_pending = false; /* emitted exactly once */
	if (out == NULL)
		return;
	memset(out, 0, sizeof(*out));
	out->level = r->level;
	out->reason = r->reason;
	out->cancel_all = cancel;
	switch (r->level) {
	case REGIME_GREEN:
		out->size_cap = UINT32_MAX;
		out->allow_bid = true;
		out->allow_ask = true;
		break;
	case REGIME_YELLOW:
	case REGIME_RED:
		out->spread_add_ticks = r->cfg.spread_add_ticks;
		out->spread_add_bps = r->cfg.spread_add_bps;
		out->size_cap = r->cfg.size_cap;
		if (r->level == REGIME_YELLOW) {
			out->allow_bid = true;
			out->allow_ask = true;
		} else {
			/* Only the side that reduces |position|; flat, with
			 * nothing but the drawdown holding RED, both sides
			 * (see regime.h: a flat drawdown cannot recover). */
			bool reopen = in->position == 0 && !r->red_other;

			out->allow_bid = in->position < 0 || reopen;
			out->allow_ask = in->position > 0 || reopen;
		}
		break;
	default: /* KILL: nothing quoted */
		out->size_cap = 0;
		break;
	}
}

enum regime_level regime_update_full(struct regime *r, uint64_t now_ns,
				     const struct regime_inputs *in,
				     struct regime_decision *out)
{
	static const enum regime_reason why[REGIME_N_INPUTS] = {
		REGIME_REASON_LOSS, REGIME_REASON_POSITION,
		REGIME_REASON_MSG_RATE, REGIME_REASON_STALE_FEED
	};
	double m[REGIME_N_INPUTS];
	int i, l, up = REGIME_GREEN, hold = REGIME_GREEN;
	enum regime_reason kill_why = REGIME_REASON_NONE;

	if (r->level != REGIME_KILL) {
		r->red_other = false;
		m[REGIME_IN_DRAWDOWN] = in->drawdown_usd;
		m[REGIME_IN_POSITION] = r->cfg.pos_limit > 0 ?
			fabs((double)in->position) / (double)r->cfg.pos_limit : 0.0;
		m[REGIME_IN_MSG_RATE] = in->msg_rate;
		m[REGIME_IN_STALENESS] = (double)in->feed_age_ns;
		for (i = 0; i < REGIME_N_INPUTS; i++) {
			if (isnan(m[i])) {
				m[i] = INFINITY; /* fail safe */
				r->n_bad_input++;
			} else if (isinf(m[i])) {
				r->n_bad_input++;
			}
			for (l = REGIME_YELLOW; l <= REGIME_KILL; l++) {
				const struct regime_band *b = &r->cfg.band[i][l];

				if (!band_on(b))
					continue;
				if (m[i] >= b->enter && l > up)
					up = l;
				if (l == REGIME_KILL && m[i] >= b->enter &&
				    kill_why == REGIME_REASON_NONE)
					kill_why = why[i];
				if (l < REGIME_KILL && l <= (int)r->level &&
				    m[i] > b->exit && l > hold)
					hold = l;
				if (l == REGIME_RED && i != REGIME_IN_DRAWDOWN &&
				    (m[i] > b->exit || m[i] >= b->enter))
					r->red_other = true;
			}
		}
		if (up == REGIME_KILL) {
			latch_kill(r, kill_why, now_ns);
		} else if (up > (int)r->level) {
			r->level = (enum regime_level)up;
			r->entered_ns = now_ns;
			r->n_transitions++;
		} else if (hold < (int)r->level) {
			uint64_t dwell = now_ns > r->entered_ns ?
				now_ns - r->entered_ns : 0;

			if (dwell >= r->cfg.min_dwell_ns) {
				r->level = (enum regime_level)hold;
				r->entered_ns = now_ns;
				r->n_transitions++;
			}
		}
	}
	fill_decision(r, in, out);
	return r->level;
}

double regime_quick_dd_lo(bool ok, bool held, double dd_hold)
{
	if (!ok || isnan(dd_hold))
		return INFINITY;
	if (held)
		return -DBL_MAX;
	return fmax(nextafter(dd_hold, INFINITY), -DBL_MAX);
}

bool regime_quick_prep(const struct regime *r, int64_t position, double rate_lo, double rate_hi,
		       struct regime_quick *q)
{
	const int lv = (int)r->level;
	const double *up, *hold, *red = r->red_exit;
	double pos;
	bool ok, held, red_rate, red_sure;

	memset(q, 0, sizeof(*q));
	q->level = r->level;
	q->dd_lo = INFINITY; /* !ok (below): no drawdown passes */
	q->dd_lo_held = INFINITY;
	q->rate_hold = INFINITY; /* no rate is above it */
	if (lv == REGIME_KILL)
		return false;
	up = r->lvl[lv].up_below;
	hold = r->lvl[lv].hold_above;
	/* the same expression as regime_update's */
	pos = r->pos_limit > 0 ? fabs((double)position) / (double)r->pos_limit : 0.0;
	/* regime_update's terms but the drawdown's, for any rate x in
	 * [rate_lo, rate_hi] and age 0: x >= -DBL_MAX & x < up when rate_lo
	 * >= -DBL_MAX & rate_hi < up (also false for a NaN bound) */
	ok = (pos >= -DBL_MAX) & (pos < up[REGIME_IN_POSITION]) & (rate_lo >= -DBL_MAX) &
	     (rate_hi < up[REGIME_IN_MSG_RATE]) & (0.0 < up[REGIME_IN_STALENESS]);
	/* held for sure: x > hold when rate_lo > hold (else the drawdown must
	 * hold it, or the full update decides) */
	held = lv == REGIME_GREEN ||
	       ((pos > hold[REGIME_IN_POSITION]) | (rate_lo > hold[REGIME_IN_MSG_RATE]) |
		(0.0 > hold[REGIME_IN_STALENESS]));
	/* red_other must be exact: the rate's term known, or another true */
	red_sure = (pos > red[REGIME_IN_POSITION]) | (0.0 > red[REGIME_IN_STALENESS]);
	red_rate = rate_lo > red[REGIME_IN_MSG_RATE];
	if (!red_sure && !red_rate && !(rate_hi <= red[REGIME_IN_MSG_RATE]))
		ok = false;
	q->red_other = red_sure | red_rate;
	q->held = held;
	q->dd_up = up[REGIME_IN_DRAWDOWN];
	q->dd_hold = hold[REGIME_IN_DRAWDOWN];
	q->age_up = up[REGIME_IN_STALENESS];
	q->age_red = red[REGIME_IN_STALENESS];
	q->dec = r->lvl[lv].dec;
	q->dec.cancel_all = false; /* regime_quick_update: no cancel pending */
	if (lv == REGIME_RED) {
		/* as regime_update */
		bool reopen = position == 0 && !q->red_other;

		q->dec.allow_bid = position < 0 || reopen;
		q->dec.allow_ask = position > 0 || reopen;
	}
	q->dd_lo = regime_quick_dd_lo(ok, held, q->dd_hold);
	q->dd_lo_held = regime_quick_dd_lo(ok, true, q->dd_hold);
	q->rate_hold = hold[REGIME_IN_MSG_RATE];
	q->ok = ok;
	return ok;
}

int regime_kill(struct regime *r, enum regime_reason reason, uint64_t now_ns)
{
	if (r == NULL || reason <= REGIME_REASON_NONE ||
	    reason > REGIME_REASON_MANUAL)
		return -EINVAL;
	latch_kill(r, reason, now_ns);
	return 0;
}

void regime_reset(struct regime *r, uint64_t now_ns)
{
	r->level = REGIME_GREEN;
	r->reason = REGIME_REASON_NONE;
	r->entered_ns = now_ns;
	r->cancel_pending = false;
}

const char *regime_level_name(enum regime_level l)
{
	switch (l) {
	case REGIME_GREEN: return "green";
	case REGIME_YELLOW: return "yellow";
	case REGIME_RED: return "red";
	case REGIME_KILL: return "kill";
	default: return "?";
	}
}

const char *regime_reason_name(enum regime_reason why)
{
	switch (why) {
	case REGIME_REASON_NONE: return "none";
	case REGIME_REASON_LOSS: return "loss";
	case REGIME_REASON_POSITION: return "position";
	case REGIME_REASON_MSG_RATE: return "msg_rate";
	case REGIME_REASON_STALE_FEED: return "stale_feed";
	case REGIME_REASON_MANUAL: return "manual";
	default: return "?";
	}
}
