/* mm.h - one symbol's market maker: ties fair value, volatility, fill
 * intensity, the quote model (GLFT or AS), toxicity, regimes, the optional
 * portfolio budget and reconciliation into three entry points (market data,
 * execution reports, timer) that return order intents. Owns every module's
 * state for its symbol. Pure: time is an argument, no I/O, no clock reads, no
 * allocation after mm_init. Threads: one owner (the quote core). */
#ifndef MM_H
#define MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/events.h"
#include "strategy/fair.h"
#include "strategy/intensity.h"
#include "strategy/portfolio.h"
#include "strategy/quote.h"
#include "strategy/recon.h"
#include "strategy/regime.h"
#include "strategy/toxicity.h"
#include "strategy/vol.h"

enum mm_model {
	MM_MODEL_GLFT = 0, /* Gueant-Lehalle-Fernandez-Tapia closed form */
	MM_MODEL_AS = 1,   /* Avellaneda-Stoikov reservation price + spread */
};

/*
 * Every parameter. Units in the comments; prices the model works in are USD
 * per share, order prices ITCH units (1e-4 USD). The embedded module configs
 * are documented in their headers; mm_init overrides the fields it owns
 * (recon.locate / tick / token_base, regime.pos_limit) from the plain
 * fields here. mm_cfg_defaults gives a liquid US equity (~$50, 1 cent tick).
 */
struct mm_cfg {
	/* Field order: what every decision reads first, on one or two cache
	 * lines; the rest grouped by topic. */
	int64_t tick;            /* ITCH units (100 = $0.01), > 0 */
	double fee_usd;          /* maker fee per share, USD; < 0 = rebate */
	double inv_unit;         /* shares per inventory unit q of the model (> 0) */
	int64_t pos_limit;       /* |position| limit, shares (> 0) */
	uint32_t min_size;       /* smallest order, shares (> 0); presence size */
	uint32_t lot;            /* scaled sizes round down to this, shares (> 0) */
	uint64_t fit_ns;         /* intensity refit period, ns (> 0) */
	uint64_t rate_window_ns; /* message-rate window, ns (> 0) */
	/* portfolio: shared budget (NULL = none); not owned; same thread */
	struct pf *pf;
	/* presence: while on, the regime allows a side and the book is fresh,
	 * that side always has a target at min_size, at least presence_ticks
	 * ticks plus max(fee, 0) from fair (and never closer, on any level) */
	bool presence;
	/* false (default): the quiet-event rule (see mm_on_md); true: every
	 * md event runs the full update and decision, as before the rule
	 * (kept to compare the two and to reproduce old runs) */
	bool decide_every_event;
	/* false (default): the timer's skip (see mm_on_timer); true: every
	 * timer call runs the full decision (kept to compare the two) */
	bool decide_every_timer;
	/* false (default): a target that only moved, after a plan that found
	 * nothing, is reconciled by recon_plan_still_quiet when it can be;
	 * true: by recon_plan always (kept to compare the two) */
	bool plan_every_move;
	/* false (default): regime_step's quick step (regime_quick_update)
	 * when it can decide; true: regime_update always (kept to compare
	 * the two) */
	bool regime_every_step;
	/* false (default): build_target keeps the offsets before toxicity
	 * while their inputs hold (mm.off_*); true: computes them at every
	 * decision (kept to compare the two) */
	bool offsets_every_decision;
	uint32_t presence_ticks; /* >= 1 */
	/* model */
	uint32_t model;          /* enum mm_model */
	double gamma;            /* risk aversion, 1/USD per inventory unit (> 0) */
	double as_horizon_s;     /* AS only: constant T - t, s (> 0) */
	double vol_premium;      /* added half-spread per unit of sigma, as
				  * vol_premium * sigma_usd * sqrt(1 s); >= 0 */
	/* the ladder */
	uint32_t levels;         /* ladder levels per side, 1..QUOTE_MAX_LEVELS */
	int64_t step_ticks;      /* ticks between ladder levels, >= 1 */
	uint32_t size[QUOTE_MAX_LEVELS]; /* shares per level */
	/* timers */
	uint64_t timer_ns;       /* mm_on_timer period the caller keeps, ns (> 0) */
	/* sub-modules (mm_init copies them into the modules: cold here) */
	struct fair_cfg fair;    /* micro-price weight, lead term */
	struct vol_cfg vol;      /* EWMA clock, half-life, sigma floor */
	struct fill_cfg fill;    /* intensity window and prior */
	struct tox_cfg tox;      /* markouts, flow, throughs, pull/shrink */
	struct regime_cfg regime; /* bands, dwell, Yellow/Red widening and cap */
	struct recon_cfg recon;  /* tolerances, lifetimes, message budget */
};

/* Everything the target ladder is a function of, besides the config: the
 * top price per side, rounded and then put through the post-only guard
 * against the best bid / ask (0 = none; every level and the presence order
 * are built from it, so the book enters only through it), room to the
 * limit (shares), the toxicity size factor and pull, the regime's
 * permission and size cap. Equal keys, equal ladders. */
struct mm_tkey {
	uint32_t px[2]; /* first: build_target compares them apart from the rest */
	uint32_t cap;
	uint8_t allow[2], pulled[2];
	int64_t room[2];
	double factor[2];
};
/* build_target writes every field and compares keys bytewise: no padding */
_Static_assert(sizeof(struct mm_tkey) ==
		       2 * sizeof(int64_t) + 2 * sizeof(double) + 3 * sizeof(uint32_t) + 4,
	       "struct mm_tkey has padding");
_Static_assert(offsetof(struct mm_tkey, cap) == sizeof(((struct mm_tkey *)0)->px),
	       "struct mm_tkey: the prices, then the rest");

/* One symbol's market maker. Public so tests and reports can read it; only
 * the mm_ functions write it. Field order: what every md event and decision
 * reads or writes first, on few adjacent cache lines (the struct is ~29 KiB
 * per symbol and a paper run quotes ten: a decision's lines mostly come
 * from L2); then the modules, their hot state first; cold and large last. */
struct mm {
	/* book and fair value */
	uint16_t locate;
	uint8_t book_flags;        /* MD_F_* of the newest event */
	bool have_fair;            /* fair_px valid (two-sided, uncrossed book) */
	uint32_t pf_idx;           /* index in cfg.pf */
	uint32_t bid_px, ask_px;   /* best bid / ask, 1e-4 USD */
	uint32_t bid_qty, ask_qty; /* shares */
	double fair_px;            /* 1e-4 USD */
	uint64_t last_md_ns;       /* time of the newest md event; 0 = none */
	uint64_t next_fit_ns;      /* next intensity refit */
	/* model coefficients, refreshed when sigma or the fit changes:
	 * offset[side] = base[side] + q * skew[side] (USD) with q in inv_units;
	 * the bid subtracts it from fair, the ask adds it */
	uint64_t vol_n;            /* vol.n_returns at the last refresh */
	double base[2];            /* USD */
	double skew[2];            /* USD per inventory unit; bid +, ask - */
	double edge_usd;           /* presence_ticks * tick + max(fee, 0), USD */
	double tick_usd;           /* cfg.tick / QUOTE_PX_PER_USD, USD (mm_init) */
	double tick_d;             /* (double)cfg.tick (mm_init) */
	/* build_target's offsets before toxicity per side (USD): d0 and the
	 * model half-spread's positive part, from position off_pos, the
	 * regime's ticks add (its bits) and base / skew; off_ok: valid and
	 * fair-independent (spread_add_bps +0) */
	double off_d0[2], off_bpos[2];
	int64_t off_pos;
	uint64_t off_ticks_bits;
	bool off_ok;
	/* fair_px / QUOTE_PX_PER_USD is in (0, DBL_MAX] (build_target's
	 * off_fixed reads it): set with fair_px (md_event) */
	bool fair_in;
	/* position and money */
	int64_t position;          /* shares, + long */
	int64_t cash_e4;           /* 1e-4 USD, fees included */
	double pnl_peak_usd;       /* highest marked PnL seen, USD */
	/* message rate: intents in the current and previous window */
	uint64_t rate_start_ns;
	uint32_t rate_cur, rate_prev;
	double rate_w, rate_ws;    /* cfg.rate_window_ns as double, and in s */
	/* the quick regime step (regime_step) and its key: the position and
	 * the window's counts it was prepared for (rq.level: the level);
	 * rq_pos INT64_MIN at init: none. rq_cur, rq_prev in the order of
	 * rate_cur, rate_prev: regime_step compares the pairs as one word */
	int64_t rq_pos;
	uint32_t rq_cur, rq_prev;
	struct regime_quick rq;
	/* before this instant the message rate is above rq.rate_hold, which
	 * holds the level (0: not known; regime_step, rate_held_end) */
	uint64_t rq_held_end;
	/* last decision */
	struct regime_decision dec;
	struct mm_tkey tkey;        /* what target was built from */
	bool tkey_ok;               /* tkey describes target */
	uint8_t tkey_presence;      /* sides the presence rule added to it */
	uint8_t tgt_ext[2];         /* target.bid / .ask: levels the build wrote
				     * (valid ones, then a tail the clip left;
				     * each px > 0), the rest zero */
	struct recon_ctl ctl;       /* last recon controls */
	bool dirty;                 /* the last plan deferred or held back work */
	bool planned;               /* target / ctl hold a plan's inputs */
	struct tox_span td[2];      /* the toxicity verdicts the last key saw */
	uint8_t td_exact;           /* sides that also asked tox_decide (bit) */
	/* counters the event path bumps */
	uint64_t n_md, n_intents;
	uint64_t n_skipped;        /* md events that needed no replan */
	uint64_t n_quiet;          /* md events the quiet rule did not decide on */
	uint64_t n_move_quiet;     /* moved targets recon_plan_still_quiet planned */
	uint64_t n_regime_quick;   /* regime steps the quick step decided */
	uint64_t n_regime_held;    /* of which the rate held the level (rq_held_end) */
	uint64_t n_off_memo;       /* decisions that reused the offsets (off_*) */
	uint64_t n_presence;       /* targets added by the presence rule */
	/* config (its first lines hot), modules */
	struct mm_cfg cfg;
	struct vol vol;
	struct tox tox;
	struct regime regime;
	struct recon recon;
	struct fair fair;
	struct quote_ladder target; /* last target ladder */
	struct quote_ladder_cfg lc; /* the ladder's cfg, from cfg at init */
	int64_t lc_span;           /* (lc.levels - 1) * lc.step_ticks * lc.tick */
	double sigma;              /* vol_sigma, log return per sqrt(s) */
	struct fill_params fit[2]; /* newest intensity fit per side */
	/* GLFT's sigma-free parts per side (pow, log1p) and the gamma, A and
	 * k (fit.kappa in 1/USD) they were computed for, compared bitwise:
	 * most refreshes move sigma alone (refresh_coeffs) */
	struct glft_pre glft[2];
	double glft_key[2][3];
	int64_t fees_e4;           /* 1e-4 USD paid (negative = rebates earned) */
	uint64_t volume;           /* shares filled */
	uint64_t last_match[8];    /* recent FILL match numbers (de-duplication) */
	uint32_t match_head;
	/* counters */
	uint64_t n_exec, n_timer;
	uint64_t n_timer_quiet;    /* timer calls the skip answered (mm_on_timer) */
	uint64_t n_other_locate;   /* md events for another symbol, ignored */
	uint64_t n_dup_fills;      /* FILL reports seen twice (same match) */
	uint64_t n_unknown_exec;   /* reports for tokens recon did not know */
	struct fill fill;          /* large (~17 KiB): last */
};

_Static_assert(offsetof(struct mm, rate_prev) == offsetof(struct mm, rate_cur) + 4 &&
		       offsetof(struct mm, rq_prev) == offsetof(struct mm, rq_cur) + 4,
	       "struct mm: the rate counts and their key, each pair one 8-byte word");

/* A liquid US equity: GLFT, gamma 0.1/USD per 100 shares, $0.01 tick, 3
 * levels of 100 shares, +-1000 share limit, maker rebate $0.0020, sigma
 * floor, toxicity, regimes and a 50 msg/s budget. Never fails. */
void mm_cfg_defaults(struct mm_cfg *c);

/* Initialise m for symbol locate, client tokens from token_base, at now_ns
 * (cfg copied; cfg->pf, if set, gets the symbol attached). 0, -EINVAL NULL,
 * a bad field, a module rejecting its cfg or the portfolio refusing the
 * symbol. Cold; struct mm is ~29 KiB: static or arena storage. */
int mm_init(struct mm *m, const struct mm_cfg *cfg, uint16_t locate, uint64_t token_base,
	    uint64_t now_ns);

/* Release m (nothing owned; accepts NULL). */
void mm_fini(struct mm *m);

/* One market-data event at now_ns (now_tsc stamps t_decide): updates fair
 * value, vol, intensity and toxicity (MD_TRADE), the regime, then quotes and
 * reconciles. Events for another locate are ignored. MD_F_STALE or
 * MD_F_CROSSED (or a one-sided book) pull every quote with
 * REASON_STALE_BOOK, MD_F_HALTED with REASON_HALTED. Writes at most max
 * intents to out; returns how many. Owner thread.
 *
 * Quiet events (unless cfg.decide_every_event): an event that changes
 * nothing the decision reads only moves the staleness clock (last_md_ns;
 * counters n_md, n_quiet, n_skipped) and returns 0. Quiet means: kind
 * MD_BOOK, or MD_TRADE that moved no toxicity input the score reads (flow
 * with w_flow > 0, a trade-through with w_through > 0; its intensity
 * sample is still recorded); no MD_F_TOP; the other flags (stale, crossed,
 * halted) equal to the previous event's; and the carried top (prices and
 * sizes) equal to the one held.
 * Everything that changes with time alone (feed staleness and message rate
 * in the regime, budget refill and deferred intents, maximum-age replaces,
 * the vol clock, markout maturation, the intensity refit, toxicity decay
 * and cooldown expiry) is left to mm_on_timer, every cfg.timer_ns. */
uint32_t mm_on_md(struct mm *m, const struct md_event *ev, uint64_t now_ns, uint64_t now_tsc,
		  struct order_intent *out, uint32_t max);

/* The part of the quiet rule (mm_on_md) that reads the event and the held
 * top only: no MD_F_TOP, the other flags as on the previous event, the same
 * prices and sizes at the top, and cfg.decide_every_event off. */
static inline bool mm_md_unchanged(const struct mm *m, const struct md_event *ev)
{
	return !(ev->flags & MD_F_TOP) && ev->flags == (m->book_flags & ~MD_F_TOP) &&
	       ev->bid_px == m->bid_px && ev->ask_px == m->ask_px && ev->bid_qty == m->bid_qty &&
	       ev->ask_qty == m->ask_qty && !m->cfg.decide_every_event;
}

/* True when mm_on_md(m, ev, ...) will take the quiet path and return no
 * intent without deciding: an MD_BOOK event for m's symbol that
 * mm_md_unchanged. (A trade's quietness also depends on the toxicity
 * inputs it moves, known only inside the call: false for every trade.)
 * Lets a caller skip timing calls that cannot send. */
static inline bool mm_md_quiet(const struct mm *m, const struct md_event *ev)
{
	return ev->kind == MD_BOOK && ev->locate == m->locate && mm_md_unchanged(m, ev);
}

/* What mm_on_md(m, ev, now_ns, ...) does for an event mm_md_quiet(m, ev)
 * holds for, the whole of it: count the event as seen and skipped, and
 * restart the feed's age at now_ns. A caller that asked mm_md_quiet may
 * call this instead of mm_on_md (no intent can come of it). Owner thread. */
static inline void mm_on_md_quiet(struct mm *m, uint64_t now_ns)
{
	m->n_md++;
	m->last_md_ns = now_ns;
	m->n_quiet++;
	m->n_skipped++;
}

/* One execution report: ACCEPTED / REPLACED acknowledge, FILL updates
 * position, cash, fees (fee_e4), toxicity and the working order (a repeated
 * match number is ignored), CANCELED frees the slot, REJECTED frees it or
 * restores the order a rejected REPLACE replaced. Then requotes. Returns
 * intents written (<= max). Owner thread. */
uint32_t mm_on_exec(struct mm *m, const struct exec_report *r, uint64_t now_ns,
		    uint64_t now_tsc, struct order_intent *out, uint32_t max);

/* Periodic work; call at least every cfg.timer_ns: advances the vol clock,
 * refits intensity when due, steps the regime on feed staleness and replans
 * (maximum-age replaces, deferred intents, a pending kill's CANCEL_ALL).
 * Returns intents written (<= max). Owner thread.
 *
 * The skip (unless cfg.decide_every_timer): the vol clock, markouts, refit
 * and the regime step run as always; the rest of the decision is skipped,
 * with the same result and state (counter n_timer_quiet), when nothing it
 * reads moved since the last decision: the same regime decision, no model
 * refresh due, the same room to the (portfolio) limits, toxicity memos
 * valid with no cooldown expiring, a target key held, and recon's promise
 * (quiet_until_ns) still holding. */
uint32_t mm_on_timer(struct mm *m, uint64_t now_ns, uint64_t now_tsc, struct order_intent *out,
		     uint32_t max);

/* Manual kill: latches REGIME_KILL (REGIME_REASON_MANUAL unless already
 * killed); the one CANCEL_ALL goes out on the next mm_on_* call. */
void mm_kill(struct mm *m, uint64_t now_ns);

/* Read-only views. */
static inline int64_t mm_position(const struct mm *m) { return m->position; }
static inline int64_t mm_cash_e4(const struct mm *m) { return m->cash_e4; }
static inline int64_t mm_fees_e4(const struct mm *m) { return m->fees_e4; }
static inline enum regime_level mm_regime(const struct mm *m) { return m->regime.level; }
static inline enum regime_reason mm_kill_reason(const struct mm *m) { return m->regime.reason; }

/* Is a bid (side QUOTE_BID) or ask resting: an acknowledged (LIVE) order on
 * that side, for the two-sided presence metric. */
bool mm_resting(const struct mm *m, enum quote_side side);

/* Marked PnL in USD: cash (fees included) + position * fair value. */
double mm_pnl_usd(const struct mm *m);

#endif /* MM_H */
