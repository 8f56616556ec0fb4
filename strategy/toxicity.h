/* toxicity.h - per-side flow toxicity: markouts of our own fills at fixed
 * horizons, trade-flow imbalance and trade-throughs of our level, combined
 * into a score that pulls a side for a cooldown, shrinks its size, or widens
 * it by a multiplier never below 1. Pure: time is an argument; no I/O, clock
 * reads or allocation (pending markouts live in fixed rings inside struct
 * tox). Threads: one owner (the quote core). */
#ifndef TOXICITY_H
#define TOXICITY_H

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strategy/quote.h"

#define TOX_MAX_HORIZONS 4u
#define TOX_PENDING 64u /* pending markouts per horizon (power of two) */

struct tox_cfg {
	/* Field order: what a decision's verdicts and a trade read first
	 * (80 bytes), the markout horizons (fills) last. */
	double w_markout;       /* >= 0: score per bps of adverse markout */
	double w_flow;          /* >= 0: score per unit of adverse imbalance (0..1) */
	double w_through;       /* >= 0: score per (decayed) trade-through */
	double shrink_threshold; /* > 0: score at which size is scaled */
	double pull_threshold;  /* > shrink_threshold: score at which the side is pulled */
	double shrink_factor;   /* (0, 1): size multiplier in the shrink zone */
	double spread_k;        /* >= 0: spread multiplier = max(1, 1 + k*score) */
	double flow_alpha;      /* (0, 1]: EWMA weight of a new market trade */
	uint64_t through_half_life_ns; /* > 0: decay of the trade-through count */
	uint64_t cooldown_ns;   /* > 0: how long a pulled side stays pulled */
	uint32_t n_horizons;                     /* 1..TOX_MAX_HORIZONS */
	uint64_t horizon_ns[TOX_MAX_HORIZONS];   /* > 0 */
	double horizon_weight[TOX_MAX_HORIZONS]; /* >= 0, weight of each horizon */
	double markout_alpha;   /* (0, 1]: EWMA weight of a new markout sample */
};

/* One pending markout: a fill waiting for its horizon. */
struct tox_pending {
	uint64_t due_ns;      /* fill time + horizon */
	double px;            /* fill price, 1e-4 USD */
	enum quote_side side; /* QUOTE_BID = we bought, QUOTE_ASK = we sold */
};

/* Per-horizon FIFO; fills arrive in time order, so due times are sorted. */
struct tox_ring {
	struct tox_pending e[TOX_PENDING];
	uint32_t head;  /* oldest entry */
	uint32_t count; /* valid entries */
};

/* A side's verdict at one instant. */
struct tox_decision {
	double score;       /* >= 0 */
	bool pulled;        /* do not quote this side */
	double size_factor; /* 0 when pulled, shrink_factor in the shrink zone, else 1 */
	double spread_mult; /* >= 1 always */
};

/* A side's verdict over a window of time (tox_decide_span): pulled and
 * size_factor as tox_decide gives them, and its spread_mult within
 * [mult_lo, mult_hi] (equal when exact). */
struct tox_span {
	double mult_lo, mult_hi;
	double size_factor;
	bool pulled;
};

/* Field order: what tox_decide_span's memo path (most decisions) reads
 * first, in 88 bytes: pulled, through, gen, its memo and window; then what
 * the window's recomputation and the trade-through decay read;
 * tox_decide's memo and the markouts last. */
struct tox_side_state {
	bool pulled;             /* a cooldown has been started */
	double through;          /* decayed trade-through count */
	/* bumped when an input of this side's score changes (mk, imb,
	 * through): the memos below are this side's, and a trade that moves
	 * the other side's imbalance only keeps them */
	uint64_t gen;
	/* tox_decide_span's last bounded verdict, for the current window
	 * (tox_span_open drops it) and input generation span_memo_gen - 1,
	 * valid up to span_memo_to_ns: the window's end, or the instant
	 * before the cooldown it saw expires */
	uint64_t span_memo_gen;
	uint64_t span_memo_to_ns;
	/* tox_decide_span's window: at every instant of [span_from_ns,
	 * span_to_ns] the decayed trade-through count of through and
	 * through_ns as they were then (span_through, span_through_ns) lies
	 * in [span_thr_lo, span_thr_hi]; span_to_ns 0 = none */
	uint64_t span_from_ns, span_to_ns;
	struct tox_span span_memo;
	uint64_t pulled_until_ns; /* pulled while now < this */
	uint64_t through_ns;     /* time through was last decayed to */
	/* the score's terms that change only with an input, kept current by
	 * the tox_on_* calls (same expressions as a fresh computation) */
	double mk;               /* sum_h weight_h * max(0, markout_bps[h]) */
	double imb;              /* max(0, flow imbalance against this side) */
	double span_thr_lo, span_thr_hi;
	double span_through;
	uint64_t span_through_ns;
	/* tox_decide's last verdict and the input generation it saw: reused
	 * while no input changed, through == 0 (no decay in time) and no
	 * cooldown can expire */
	uint64_t memo_gen;       /* gen at memo + 1; 0 = none */
	struct tox_decision memo;
	double markout_bps[TOX_MAX_HORIZONS]; /* EWMA, + = adverse to us */
};

/* Field order: what a decision reads (side[]; the flow EWMAs and cfg's
 * first fields when it computes) first and together; the pending-markout
 * rings (~6 KiB, read only when a markout is due) last. */
struct tox {
	uint64_t gen;               /* bumped when an input of either side's
				     * score changes (the sides' gen: each its own) */
	uint64_t next_due_ns;       /* earliest pending due_ns; UINT64_MAX = none */
	struct tox_side_state side[2];  /* indexed by enum quote_side */
	double flow_signed;  /* EWMA of signed volume, + = buyer-initiated */
	double flow_abs;     /* EWMA of |volume| */
	struct tox_cfg cfg;  /* its decision fields first, beside the above */
	uint64_t last_fill_ns;
	uint64_t n_fills;
	uint64_t n_markouts;        /* matured markout samples */
	uint64_t n_markout_dropped; /* (fill, horizon) pairs dropped: ring full */
	uint64_t n_pulls;           /* cooldowns started */
	/* tox_decide_span's windows, from cfg at init: their length (ns), a
	 * lower bound of the decay factor over one, and the longest time since
	 * a trade-through a window may reach (0 = no windows) */
	uint64_t span_ns;
	double span_decay_lo;
	uint64_t span_max_dt_ns;
	struct tox_ring ring[TOX_MAX_HORIZONS]; /* large, cold: last */
};

/* Length of a tox_decide_span window: through_half_life_ns / this (the
 * trade-through term decays by ~4% over one). */
#define TOX_SPAN_DIV 16u

/* Initialise t from cfg (copied). 0, -EINVAL NULL or any cfg field outside
 * its documented range. Cold; before use. */
int tox_init(struct tox *t, const struct tox_cfg *cfg);

/* Release t (nothing to free; accepts NULL). */
void tox_fini(struct tox *t);

/* Report one of our fills: side (QUOTE_BID = our bid was hit, we bought) at
 * px (1e-4 USD, > 0) at now_ns. Queues one markout per horizon; a full ring
 * drops that horizon's sample and bumps n_markout_dropped.
 * 0, -ENOBUFS at least one sample dropped, -EINVAL bad argument,
 * -ERANGE now_ns before the previous fill. Owner thread. */
int tox_on_fill(struct tox *t, uint64_t now_ns, enum quote_side side, double px);

/* Report the fair value (1e-4 USD, > 0) at now_ns. Every pending markout
 * due at or before now_ns matures against it: markout = (px - fair) / px *
 * 1e4 bps for a buy, (fair - px) / px * 1e4 for a sell (+ = the fair moved
 * against us), folded into that side's per-horizon EWMA.
 * Returns the number matured (>= 0) or -EINVAL bad argument. Inline:
 * with nothing due yet (most calls) there is nothing to do. */
int tox_on_fair_full(struct tox *t, uint64_t now_ns, double fair);

/* tox_on_fair (below) for a t that is not NULL and a fair the caller knows
 * finite and > 0 (its range test made once for several modules). */
static inline int tox_on_fair_px(struct tox *t, uint64_t now_ns, double fair)
{
	if (now_ns < t->next_due_ns)
		return 0;
	return tox_on_fair_full(t, now_ns, fair);
}

static inline int tox_on_fair(struct tox *t, uint64_t now_ns, double fair)
{
	/* a valid call before the earliest due time: tox_on_fair_full's
	 * first return */
	if (t != NULL && now_ns < t->next_due_ns && fair > 0.0 && fair <= DBL_MAX)
		return 0;
	return tox_on_fair_full(t, now_ns, fair);
}

/* Report a market trade of signed_qty shares: + buyer-initiated (lifts
 * asks, toxic to our ask), - seller-initiated (toxic to our bid).
 * 0, -EINVAL non-finite. */
int tox_on_trade(struct tox *t, uint64_t now_ns, double signed_qty);

/* Report that a market trade went through our resting level on side
 * (traded at a worse price than ours). 0, -EINVAL bad side. */
int tox_on_trade_through(struct tox *t, uint64_t now_ns, enum quote_side side);

/* side's decayed trade-through count at now_ns (internal to the score). */
static inline double tox_through_at(const struct tox_side_state *s, uint64_t now_ns,
				     uint64_t half_life_ns)
{
	if (now_ns <= s->through_ns || s->through == 0.0)
		return s->through; /* nothing to decay: skip exp2 */
	return s->through *
	       exp2(-(double)(now_ns - s->through_ns) / (double)half_life_ns);
}

/* tox_score of side state s, arguments checked by the caller (internal). */
static inline double tox_side_score(const struct tox *t, const struct tox_side_state *s,
				    uint64_t now_ns)
{
	/* s->mk and s->imb: the markout sum and the imbalance term, kept
	 * current by tox_on_fair and tox_on_trade */
	double score = t->cfg.w_markout * s->mk + t->cfg.w_flow * s->imb +
		       t->cfg.w_through * tox_through_at(s, now_ns, t->cfg.through_half_life_ns);

	return score >= 0.0 ? score : 0.0; /* also maps NaN to 0 */
}

/* Score of side at now_ns: w_markout * sum_h weight_h * max(0, markout_h)
 * + w_flow * max(0, imbalance against side) + w_through * decayed throughs.
 * Pure; does not start a cooldown. Returns the score (>= 0). */
static inline double tox_score(const struct tox *t, uint64_t now_ns, enum quote_side side)
{
	if (t == NULL || (side != QUOTE_BID && side != QUOTE_ASK))
		return 0.0;
	return tox_side_score(t, &t->side[side], now_ns);
}

/* tox_decide's verdict from score at now_ns for side state s, pulled
 * expiry done (internal): may start a cooldown. */
static inline void tox_verdict(struct tox *t, struct tox_side_state *s, uint64_t now_ns,
			       double score, struct tox_decision *d)
{
	double m;

	if (!s->pulled && score >= t->cfg.pull_threshold) {
		s->pulled = true;
		s->pulled_until_ns = now_ns + t->cfg.cooldown_ns;
		t->n_pulls++;
	}
	m = 1.0 + t->cfg.spread_k * score;
	d->score = score;
	d->pulled = s->pulled;
	d->spread_mult = m >= 1.0 ? m : 1.0;
	if (s->pulled)
		d->size_factor = 0.0;
	else if (score >= t->cfg.shrink_threshold)
		d->size_factor = t->cfg.shrink_factor;
	else
		d->size_factor = 1.0;
}

/* Decide side at now_ns into *out: a side is pulled while now_ns <
 * pulled_until_ns; when not pulled and score >= pull_threshold, a cooldown
 * [now_ns, now_ns + cooldown_ns) starts (re-evaluated only at expiry). Else
 * score >= shrink_threshold scales size by shrink_factor.
 * 0, -EINVAL NULL or bad side. Owner thread. Inline: twice per decision. */
static inline int tox_decide(struct tox *t, uint64_t now_ns, enum quote_side side,
			     struct tox_decision *out)
{
	struct tox_side_state *s;
	double score;

	if (t == NULL || out == NULL || (side != QUOTE_BID && side != QUOTE_ASK))
		return -EINVAL;
	s = &t->side[side];
	/* No input changed since the last verdict, no decay in time and no
	 * cooldown to expire: the same score, hence the same verdict (a
	 * cooldown it could start was started by that call). */
	if (s->memo_gen == s->gen + 1 && s->through == 0.0 &&
	    (!s->pulled || now_ns < s->pulled_until_ns)) {
		*out = s->memo;
		return 0;
	}
	score = tox_side_score(t, s, now_ns);
	if (s->pulled && now_ns >= s->pulled_until_ns)
		s->pulled = false; /* cooldown expired: re-evaluate */
	/* field by field into the memo: its padding stays as tox_init left
	 * it (struct tox is compared bytewise in tests) */
	tox_verdict(t, s, now_ns, score, &s->memo);
	s->memo_gen = s->gen + 1;
	*out = s->memo;
	return 0;
}

/* Open a window at now_ns for side state s whose trade-through count
 * decays by e (the factor tox_through_at used at now_ns, now_ns >
 * through_ns): its bounds hold for every instant up to now_ns + span_ns
 * (internal). The exact count at t is through * exp2(-x(t)) with x(t) =
 * fl((t - through_ns) / half-life) and exp2 within an ulp or two; x(t)
 * rounded moves exp2 by at most x * 2^-53 (x <= 1024 here): with 2^-40 of
 * margin each way, e * (1 + 2^-40) bounds it from above, e times the decay
 * over a window (span_decay_lo, itself 2^-40 low) from below. Multiplying by
 * through rounds monotonically, so the products keep the order. */
static inline void tox_span_open(struct tox *t, struct tox_side_state *s, uint64_t now_ns,
				 double e)
{
	s->span_memo_gen = 0; /* the memo was the old window's */
	if (t->span_ns == 0 || now_ns - s->through_ns > t->span_max_dt_ns) {
		s->span_to_ns = 0; /* no window, and nothing matches one */
		s->span_through = 0.0;
		return;
	}
	s->span_thr_hi = s->through * (e * (1.0 + 0x1p-40));
	s->span_thr_lo = s->through * (e * t->span_decay_lo);
	s->span_through = s->through;
	s->span_through_ns = s->through_ns;
	s->span_from_ns = now_ns;
	s->span_to_ns = now_ns + t->span_ns;
}

/* tox_decide for a caller that needs spread_mult only within bounds, at
 * fewer exp2 calls: inside a window opened by an exact verdict (a side
 * with trade-throughs decaying), the score lies between the scores of the
 * window's two count bounds, every step from count to verdict is monotone
 * (a rounded sum or product with non-negative factors, max, thresholds),
 * so when pulled, the cooldown start and size_factor agree at both ends
 * they are the exact ones and spread_mult lies between the ends'. Else as
 * tox_decide (mult_lo == mult_hi). Same side effects as tox_decide at
 * now_ns. 0, -EINVAL NULL or bad side. Owner thread. */
static inline int tox_decide_span(struct tox *t, uint64_t now_ns, enum quote_side side,
				  struct tox_span *out)
{
	struct tox_side_state *s;
	struct tox_decision d;
	double score, a, e = 0.0, lo, hi;
	bool have_e = false;

	if (t == NULL || out == NULL || (side != QUOTE_BID && side != QUOTE_ASK))
		return -EINVAL;
	s = &t->side[side];
	/* The window's memo first (most calls): it is made with through != 0
	 * and through only changes with gen, so a memo of this gen implies
	 * through != 0, the branch it sits in below. */
	if (s->span_memo_gen == s->gen + 1 && now_ns >= s->span_from_ns &&
	    now_ns <= s->span_memo_to_ns) {
		/* the same inputs (through too: it bumps gen) in the same
		 * window, with no cooldown expiring since: the same bounded
		 * verdict */
		*out = s->span_memo;
		return 0;
	}
	if (s->pulled && now_ns >= s->pulled_until_ns) {
		s->pulled = false; /* cooldown expired: re-evaluate */
	} else if (s->through == 0.0) {
		if (s->memo_gen == s->gen + 1) { /* as tox_decide */
			d = s->memo;
			goto exact;
		}
	}
	if (s->through == 0.0 || now_ns <= s->through_ns) {
		score = tox_side_score(t, s, now_ns); /* no decay: no exp2 */
		goto verdict;
	}
	a = t->cfg.w_markout * s->mk + t->cfg.w_flow * s->imb;
	if (!(now_ns >= s->span_from_ns && now_ns <= s->span_to_ns &&
	      s->span_through == s->through && s->span_through_ns == s->through_ns)) {
		e = exp2(-(double)(now_ns - s->through_ns) / (double)t->cfg.through_half_life_ns);
		have_e = true;
		tox_span_open(t, s, now_ns, e);
	}
	if (s->span_to_ns != 0 && now_ns >= s->span_from_ns && now_ns <= s->span_to_ns) {
		lo = a + t->cfg.w_through * s->span_thr_lo;
		hi = a + t->cfg.w_through * s->span_thr_hi;
		lo = lo >= 0.0 ? lo : 0.0;
		hi = hi >= 0.0 ? hi : 0.0;
		if ((lo >= t->cfg.pull_threshold) == (hi >= t->cfg.pull_threshold) &&
		    (lo >= t->cfg.shrink_threshold) == (hi >= t->cfg.shrink_threshold)) {
			double mh = 1.0 + t->cfg.spread_k * hi;

			tox_verdict(t, s, now_ns, lo, &d);
			/* field by field, padding untouched (as the memo) */
			s->span_memo.mult_lo = d.spread_mult;
			s->span_memo.mult_hi = mh >= 1.0 ? mh : 1.0; /* as tox_verdict */
			s->span_memo.size_factor = d.size_factor;
			s->span_memo.pulled = d.pulled;
			*out = s->span_memo;
			/* valid in the window while no cooldown expires (a
			 * cooldown ending at 0, wrapped, never lets it be) */
			s->span_memo_to_ns = s->span_to_ns;
			if (s->pulled && s->pulled_until_ns - 1 < s->span_to_ns)
				s->span_memo_to_ns = s->pulled_until_ns - 1;
			s->span_memo_gen = s->pulled && s->pulled_until_ns == 0 ? 0 : s->gen + 1;
			return 0;
		}
	}
	if (!have_e)
		e = exp2(-(double)(now_ns - s->through_ns) / (double)t->cfg.through_half_life_ns);
	/* as tox_side_score, with the factor computed above */
	score = a + t->cfg.w_through * (s->through * e);
	score = score >= 0.0 ? score : 0.0;
verdict:
	tox_verdict(t, s, now_ns, score, &s->memo); /* field by field, as tox_decide */
	s->memo_gen = s->gen + 1;
	d = s->memo;
exact:
	out->mult_lo = out->mult_hi = d.spread_mult;
	out->size_factor = d.size_factor;
	out->pulled = d.pulled;
	return 0;
}

#endif /* TOXICITY_H */
