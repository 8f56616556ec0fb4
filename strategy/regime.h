/* regime.h - risk regimes GREEN / YELLOW / RED / KILL for one symbol, with
 * hysteresis on drawdown, |position| / limit, message rate and feed
 * staleness, an optional minimum dwell before stepping down, and a KILL that
 * emits one cancel-all and latches with its first reason until reset. Pure:
 * time is an argument; no I/O, clock reads or allocation; state lives in a
 * caller-provided struct regime. Threads: one owner (the quote core). */
#ifndef REGIME_H
#define REGIME_H

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Regimes, in increasing severity. */
enum regime_level {
	REGIME_GREEN = 0,  /* normal quoting */
	REGIME_YELLOW = 1, /* widen by the spread add, cap size */
	REGIME_RED = 2,    /* as YELLOW, and only the risk-reducing side
			    * (flat and held by drawdown alone: both sides) */
	REGIME_KILL = 3,   /* nothing quoted; latched until regime_reset */
	REGIME_N_LEVELS = 4
};

/* Why KILL latched. Only the first reason is kept until regime_reset.
 * REGIME_REASON_NONE  not killed;
 * REGIME_REASON_LOSS  drawdown reached its kill threshold;
 * REGIME_REASON_POSITION  |position| / pos_limit reached its kill threshold;
 * REGIME_REASON_MSG_RATE  message rate reached its kill threshold;
 * REGIME_REASON_STALE_FEED  feed age reached its kill threshold;
 * REGIME_REASON_MANUAL  regime_kill by an operator or another module.
 * When several inputs reach KILL in the same update, the lowest code wins
 * (loss, then position, then message rate, then stale feed). */
enum regime_reason {
	REGIME_REASON_NONE = 0,
	REGIME_REASON_LOSS = 1,
	REGIME_REASON_POSITION = 2,
	REGIME_REASON_MSG_RATE = 3,
	REGIME_REASON_STALE_FEED = 4,
	REGIME_REASON_MANUAL = 5
};

/* The monitored inputs; index of struct regime_cfg.band. */
enum regime_input {
	REGIME_IN_DRAWDOWN = 0, /* USD below the PnL peak, >= 0 */
	REGIME_IN_POSITION = 1, /* |position| / pos_limit, dimensionless */
	REGIME_IN_MSG_RATE = 2, /* messages per second */
	REGIME_IN_STALENESS = 3, /* ns since the last market-data event */
	REGIME_N_INPUTS = 4
};

/* One threshold pair. A level is entered when the input is >= enter and
 * left (stepping down) only once the input is <= exit; exit < enter, so an
 * input oscillating strictly between them never toggles the regime.
 * enter <= 0 disables the band. For KILL only enter is used (it latches). */
struct regime_band {
	double enter;
	double exit;
};

struct regime_cfg {
	/* band[input][level]; level index REGIME_YELLOW..REGIME_KILL, the
	 * REGIME_GREEN column is ignored. Active enters must not decrease
	 * with severity. */
	struct regime_band band[REGIME_N_INPUTS][REGIME_N_LEVELS];
	int64_t pos_limit;         /* shares, > 0 when a position band is on */
	uint64_t min_dwell_ns;     /* min time in a level before stepping down; 0 = none */
	double spread_add_ticks;   /* YELLOW and RED: added to each half-spread, >= 0 */
	double spread_add_bps;     /* YELLOW and RED: added too (additive), >= 0 */
	uint32_t size_cap;         /* YELLOW and RED: max shares per order, > 0 */
};

/* RED re-entry. RED quotes only the side that reduces |position|, so at a
 * flat position it quotes nothing. Every input but drawdown recovers on its
 * own (position is already 0, message rate and feed age fall with time),
 * but drawdown is measured from the PnL peak and cannot fall without
 * trading: a drawdown RED at a flat position would latch. So in RED at
 * position 0, when no other input holds RED (its value above the RED exit,
 * or at its enter), both sides are allowed with YELLOW's widening and size
 * cap; the first fill makes the position non-zero and RED is back to the
 * risk-reducing side only. Drawdown keeps counting from the same peak, so
 * further losses still reach KILL. */

/* What the quoting core may do after an update. */
struct regime_decision {
	enum regime_level level;
	enum regime_reason reason; /* KILL reason (latched), NONE otherwise */
	double spread_add_ticks;   /* 0 in GREEN */
	double spread_add_bps;     /* 0 in GREEN */
	uint32_t size_cap;         /* shares; UINT32_MAX = no cap, 0 in KILL */
	bool allow_bid;            /* RED: when short, or re-entry; KILL: never */
	bool allow_ask;            /* RED: when long, or re-entry; KILL: never */
	bool cancel_all;           /* true on exactly one update per KILL latch */
};

/* Inputs of one update. */
struct regime_inputs {
	double drawdown_usd;  /* >= 0 */
	int64_t position;     /* shares, + long */
	double msg_rate;      /* messages per second */
	uint64_t feed_age_ns; /* ns since the last market-data event */
};

/* One level's thresholds of the no-change test and its decision, together:
 * regime_update reads one of these per call. */
struct regime_lvl {
	/* up_below = the lowest active enter above the level, hold_above =
	 * the level's exit (none: +inf), per input */
	double up_below[REGIME_N_INPUTS];
	double hold_above[REGIME_N_INPUTS];
	/* the level's decision as a full update fills it (RED's allow_bid /
	 * allow_ask: set per update) */
	struct regime_decision dec;
};

/* Field order: what regime_update reads (level, flags, pos_limit, red_exit,
 * the current level's regime_lvl) first, on two or three cache lines. */
struct regime {
	enum regime_level level;
	enum regime_reason reason;  /* first KILL reason */
	bool cancel_pending;        /* KILL latched, cancel-all not yet emitted */
	bool red_other;             /* last update: an input other than
				     * drawdown holds RED (no re-entry) */
	int64_t pos_limit;          /* cfg.pos_limit */
	/* Thresholds of the no-change test, from cfg at init: red_exit = the
	 * RED exit for inputs other than drawdown (+inf); per level GREEN..RED
	 * the rest (struct regime_lvl) */
	double red_exit[REGIME_N_INPUTS];
	struct regime_lvl lvl[REGIME_KILL];
	uint64_t entered_ns;        /* when level was entered */
	uint64_t n_transitions;     /* level changes (excluding resets) */
	uint64_t n_kills;           /* KILL latches */
	uint64_t n_bad_input;       /* non-finite inputs (treated as beyond every threshold) */
	struct regime_cfg cfg;
};

/* Initialise r from cfg (copied), GREEN at now_ns. 0, -EINVAL NULL, an
 * active band with exit < 0 or exit >= enter (YELLOW/RED), decreasing active
 * enters, non-finite values, pos_limit <= 0 with a position band on,
 * negative spread adds or size_cap 0. Cold; before use. */
int regime_init(struct regime *r, const struct regime_cfg *cfg, uint64_t now_ns);

/* Release r (nothing to free; accepts NULL). */
void regime_fini(struct regime *r);

/* regime_update's full scan of every band (internal: regime_update runs it
 * when its no-change test fails). Same contract as regime_update. */
enum regime_level regime_update_full(struct regime *r, uint64_t now_ns,
				     const struct regime_inputs *in,
				     struct regime_decision *out);

/* Evaluate inputs at now_ns and step the regime: up immediately to the most
 * severe level any input enters; down only when no input holds the current
 * level (all <= exit) and min_dwell_ns has passed since it was entered, to the
 * most severe lower level still held. KILL latches. Fills *out (may be NULL)
 * and returns the regime. A non-finite input counts as beyond every
 * threshold (fail safe) and bumps n_bad_input. Owner thread.
 *
 * Inline: the common case, decided without the full scan: below KILL, every
 * input finite, none at an enter above the current level (no step up, no
 * kill) and, above GREEN, one holding the level (above its exit: no step
 * down). It sets red_other as the scan would (a RED band's exit < enter, so
 * "above exit or at enter" is "above exit") and copies the level's decision.
 * Anything else runs regime_update_full. */
static inline enum regime_level regime_update(struct regime *r, uint64_t now_ns,
					      const struct regime_inputs *in,
					      struct regime_decision *out)
{
	const int lv = (int)r->level;
	const double *up, *hold, *red = r->red_exit;
	double dd, pos, rate, age;
	bool ok, held, red_other;

	if (lv == REGIME_KILL) /* no lvl[] entry: the full update */
		return regime_update_full(r, now_ns, in, out);
	up = r->lvl[lv].up_below;
	hold = r->lvl[lv].hold_above;
	dd = in->drawdown_usd;
	pos = r->pos_limit > 0 ? fabs((double)in->position) / (double)r->pos_limit : 0.0;
	rate = in->msg_rate;
	age = (double)in->feed_age_ns;
	/* written out per input, non-short-circuit (&, |): compares and flag
	 * arithmetic, no branch per input; !(x >= -DBL_MAX && x < up) also
	 * catches NaN and +-inf */
	ok = (dd >= -DBL_MAX) & (dd < up[REGIME_IN_DRAWDOWN]) & (pos >= -DBL_MAX) &
	     (pos < up[REGIME_IN_POSITION]) & (rate >= -DBL_MAX) & (rate < up[REGIME_IN_MSG_RATE]) &
	     (age >= -DBL_MAX) & (age < up[REGIME_IN_STALENESS]);
	/* GREEN is always held (nothing to step down to): most updates */
	held = lv == REGIME_GREEN ||
	       ((dd > hold[REGIME_IN_DRAWDOWN]) | (pos > hold[REGIME_IN_POSITION]) |
		(rate > hold[REGIME_IN_MSG_RATE]) | (age > hold[REGIME_IN_STALENESS]));
	/* red[REGIME_IN_DRAWDOWN] is +inf (regime_init): no compare */
	red_other = (pos > red[REGIME_IN_POSITION]) | (rate > red[REGIME_IN_MSG_RATE]) |
		    (age > red[REGIME_IN_STALENESS]);
	if (!(ok & held))
		return regime_update_full(r, now_ns, in, out);
	r->red_other = red_other;
	if (out != NULL) {
		*out = r->lvl[lv].dec;
		out->reason = r->reason;
		out->cancel_all = r->cancel_pending;
		if (lv == REGIME_RED) {
			/* as the full update: see fill_decision in regime.c */
			bool reopen = in->position == 0 && !red_other;

			out->allow_bid = in->position < 0 || reopen;
			out->allow_ask = in->position > 0 || reopen;
		}
	}
	r->cancel_pending = false; /* emitted exactly once */
	return (enum regime_level)lv;
}

/*
 * A quick regime step prepared for one level, position and range of
 * message rates (regime_quick_prep): everything regime_update's no-change
 * test reads but the drawdown and the feed age, decided once, at a feed
 * age of 0; and the age's two limits that keep that decision.
 */
struct regime_quick {
	double dd_up;              /* the level's drawdown up_below */
	double dd_hold;            /* the level's drawdown hold_above */
	/* the smallest drawdown the no-change test passes with dd < dd_up:
	 * -DBL_MAX when held, else the double above dd_hold (and at least
	 * -DBL_MAX); +inf when !ok or dd_hold is NaN (then none passes):
	 * ok, held and both drawdown terms in one compare */
	double dd_lo;
	/* dd_lo as if another input held the level (dd_lo's rule with held
	 * true): for a caller that knows the message rate is above rate_hold */
	double dd_lo_held;
	double rate_hold;          /* the level's message-rate hold_above */
	double age_up;             /* the level's staleness up_below, ns */
	double age_red;            /* red_exit of the staleness, ns */
	struct regime_decision dec; /* regime_update's *out (but reason) */
	enum regime_level level;   /* the level it was prepared for */
	bool ok;                   /* the other inputs pass the no-change test */
	bool held;                 /* another input surely holds the level */
	bool red_other;            /* red_other as the update sets it */
};

/* Prepare q for r at its current level, position shares and a message
 * rate known to lie in [rate_lo, rate_hi] (and feed age 0; other ages:
 * regime_quick_update_at). Returns q->ok:
 * false when the level is KILL, another input fails the no-change test or
 * the rate range leaves red_other open (regime_quick_update then always
 * says no). Owner thread. */
bool regime_quick_prep(const struct regime *r, int64_t position, double rate_lo, double rate_hi,
		       struct regime_quick *q);

/* regime_quick's dd_lo from its ok, held and dd_hold (regime_quick_prep):
 * for every dd and dd_up <= +inf (or NaN), dd >= dd_lo & dd < dd_up is
 * ok & (dd >= -DBL_MAX) & dd < dd_up & (held | dd > dd_hold). For a dd
 * that is not NaN, dd > h is dd >= nextafter(h, +inf) but at h = +inf,
 * where the latter takes dd = +inf, which dd < dd_up refuses anyway; h =
 * -inf gives -DBL_MAX. A NaN h passes no dd, nor does +inf (only dd = +inf
 * reaches it), nor a NaN dd. Cold (per prepared key). */
double regime_quick_dd_lo(bool ok, bool held, double dd_hold);

/* regime_update(r, now_ns, in, out) for in = { dd, the position q was
 * prepared for, a rate in its range, feed age 0 }, when it takes the
 * no-change path: then the same writes (red_other, *out, cancel_pending
 * stays false) and true. Else false, nothing written: call regime_update.
 * out must not be NULL. Owner thread. */
static inline bool regime_quick_update(struct regime *r, const struct regime_quick *q, double dd,
				       struct regime_decision *out)
{
	/* non-short-circuit, as regime_update. dd >= dd_lo is q->ok &
	 * (dd >= -DBL_MAX) & (q->held | (dd > q->dd_hold)) wherever dd <
	 * dd_up (see regime_quick_prep); both false for a NaN dd, and +-inf
	 * fail one of them */
	if (!((r->level == q->level) & !r->cancel_pending & (dd >= q->dd_lo) & (dd < q->dd_up)))
		return false;
	r->red_other = q->red_other;
	*out = q->dec;
	out->reason = r->reason;
	return true;
}

/* regime_quick_update for a message rate known to be above q->rate_hold
 * too (same contract): that rate holds the level, so the drawdown need not
 * (dd_lo_held for dd_lo); the rest as prepared. Owner thread. */
static inline bool regime_quick_update_held(struct regime *r, const struct regime_quick *q,
					    double dd, struct regime_decision *out)
{
	if (!((r->level == q->level) & !r->cancel_pending & (dd >= q->dd_lo_held) &
	      (dd < q->dd_up)))
		return false;
	r->red_other = q->red_other;
	*out = q->dec;
	out->reason = r->reason;
	return true;
}

/* regime_quick_update for a feed age age = (double)feed_age_ns instead of
 * 0 (same contract). An age below age_up enters no level, and one not
 * above age_red leaves red_other as age 0 does (q->ok implies both for
 * age 0); it may hold the level where age 0 does not, which q->held leaves
 * out: then this declines unless the drawdown holds it. Owner thread. */
static inline bool regime_quick_update_at(struct regime *r, const struct regime_quick *q,
					  double dd, double age, struct regime_decision *out)
{
	return ((age < q->age_up) & (age <= q->age_red)) && regime_quick_update(r, q, dd, out);
}

/* regime_quick_update_held for a feed age age (as regime_quick_update_at;
 * same contract). Owner thread. */
static inline bool regime_quick_update_held_at(struct regime *r, const struct regime_quick *q,
					       double dd, double age, struct regime_decision *out)
{
	return ((age < q->age_up) & (age <= q->age_red)) &&
	       regime_quick_update_held(r, q, dd, out);
}

/* Latch KILL with reason (any non-NONE code, REGIME_REASON_MANUAL for an
 * operator). If already killed the first reason is kept. The cancel-all is
 * emitted by the next regime_update. 0, -EINVAL NULL or bad reason. */
int regime_kill(struct regime *r, enum regime_reason reason, uint64_t now_ns);

/* Clear any KILL latch and return to GREEN at now_ns (a pending cancel-all
 * is dropped). Inputs still beyond a kill threshold re-kill on the next
 * update. Owner thread. */
void regime_reset(struct regime *r, uint64_t now_ns);

/* Static name of a level or reason, for logs and tests. */
const char *regime_level_name(enum regime_level l);
const char *regime_reason_name(enum regime_reason why);

#endif /* REGIME_H */
