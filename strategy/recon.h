/* recon.h - reconciliation: one symbol's target ladder against the orders the
 * strategy believes are working -> new / cancel / replace intents, gated by a
 * message budget (token bucket) spent by priority. Owns the working-order
 * table, the client token counter and the bucket. One quote core per struct;
 * not thread-safe. Pure: time is an argument; no I/O, clock reads, allocation. */
#ifndef RECON_H
#define RECON_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/events.h"
#include "strategy/quote.h"
#include "hw/tbucket.h"

#define RECON_MAX_LEVELS QUOTE_MAX_LEVELS /* working-order slots per side */
#define RECON_NS_PER_S TBUCKET_UNIT       /* bucket units per message token */

/* Configuration; copied by recon_init. */
struct recon_cfg {
	uint16_t locate;          /* symbol */
	int64_t tick;             /* ITCH units, > 0 */
	uint32_t tol_ticks;       /* keep when |px - target| <= tol_ticks*tick */
	uint32_t tol_front_ticks; /* same at the queue front; >= tol_ticks */
	uint64_t min_life_ns;     /* no reprice/age/size replace before this age */
	uint64_t max_age_ns;      /* replace when older; 0 = no maximum */
	uint64_t token_base;      /* first client token assigned, > 0 */
	uint32_t rate_per_s;      /* budget refill, messages per second, > 0 */
	uint32_t burst;           /* bucket capacity in messages, > 0 */
};

/* recon_order.state */
enum recon_state {
	RECON_FREE = 0,
	RECON_PENDING = 1,    /* NEW/REPLACE sent, not acknowledged yet */
	RECON_LIVE = 2,       /* acknowledged, working */
	RECON_CANCELING = 3,  /* CANCEL (or CANCEL_ALL) sent */
};

/* One working order as the strategy believes it. While a REPLACE is in
 * flight (state PENDING, orig_token != 0) the orig_* fields keep the order
 * it replaces, so a rejected replace restores it (recon_on_reject). */
struct recon_order {
	uint64_t token;   /* current client token */
	uint64_t born_ns; /* when its NEW/REPLACE was decided (age base) */
	int64_t px;       /* 1e-4 USD */
	uint32_t qty;     /* shares still working */
	uint8_t state;    /* enum recon_state */
	uint8_t front;    /* caller: order is near the front of its queue */
	uint8_t pad[2];
	uint64_t orig_token;   /* REPLACE in flight: the replaced order; else 0 */
	uint64_t orig_born_ns; /* its born_ns */
	int64_t orig_px;       /* its price, 1e-4 USD */
	uint32_t orig_qty;     /* its working shares */
	uint32_t pad2;
};

/* Per-call controls from fair value / toxicity / regime. Nonzero = true.
 * Side index is enum quote_side. A side is cancelled and not quoted when
 * red && !red_allow[side] (REASON_REGIME_RED), pulled[side]
 * (REASON_TOXIC_PULL) or grow_block[side] (would grow the position,
 * REASON_RISK_REDUCE), checked in that order after kill, stale and halted. */
struct recon_ctl {
	uint8_t stale;          /* book stale: cancel all (REASON_STALE_BOOK) */
	uint8_t halted;         /* symbol halted: cancel all (REASON_HALTED) */
	uint8_t kill;           /* kill switch: one CANCEL_ALL (REASON_KILL) */
	uint8_t red;            /* regime Red */
	uint8_t red_allow[2];   /* in Red, the side allowed (risk-reducing) */
	uint8_t pulled[2];      /* toxicity pulled the side */
	uint8_t grow_block[2];  /* quoting the side would grow the position */
};

struct recon {
	struct recon_cfg cfg;
	struct recon_order ord[2][RECON_MAX_LEVELS]; /* [enum quote_side][slot] */
	uint64_t next_token;   /* next client token to assign */
	uint64_t bucket;       /* budget, units of 1/1e9 message (exact integer) */
	uint64_t bucket_ns;    /* now_ns of the last refill */
	uint64_t n_deferred;   /* intents deferred (budget or out full), total */
	uint64_t n_blocked;    /* replaces held back by the minimum lifetime */
	uint32_t last_deferred; /* deferred by the last recon_plan */
	uint8_t kill_sent;     /* CANCEL_ALL sent for the current kill */
	uint8_t active[2];     /* [side]: bit per PENDING or LIVE slot of ord[],
	                        * kept in step by recon_init, _plan, _on_*;
	                        * recon_sync after writing ord[] directly */
	uint8_t until_ok;      /* until_memo is quiet_until's answer for ord[] */
	/* The last recon_plan found nothing to do (no candidate, nothing held
	 * back) and, called again with the same target and ctl on the same
	 * table, it finds nothing until now_ns passes this (the first working
	 * order's maximum age); 0 = no such promise. Cleared by every
	 * recon_on_*, recon_set_front and recon_sync. */
	uint64_t quiet_until_ns;
	/* From cfg by recon_init, for the pair checks: the keep tolerance in
	 * price units, [front] (tol_ticks or tol_front_ticks times tick,
	 * INT64_MAX if that overflows), and max_age_ns with 0 (no maximum) as
	 * UINT64_MAX. */
	int64_t tol_px[2];
	uint64_t max_age_eff;
	/* The earliest working order's maximum age (a quiet plan's promise),
	 * kept while until_ok: every change of the working slots or their
	 * ages (emit, recon_on_*, the kill, recon_sync) clears until_ok. */
	uint64_t until_memo;
};

/* Initialise r from cfg at now_ns: empty table, full bucket, tokens from
 * cfg->token_base. 0, -EINVAL bad cfg (tick, tolerances, rate, burst, base). */
int recon_init(struct recon *r, const struct recon_cfg *cfg, uint64_t now_ns);

/* A caller wrote ord[] directly (a test building a table): recompute
 * active[] from it, which recon_plan reads instead of scanning the slots,
 * and drop the quiet_until_ns promise and the kept until_memo. */
void recon_sync(struct recon *r);

/* Release r (nothing is owned; clears it). Accepts NULL. */
void recon_fini(struct recon *r);

/* Exchange acknowledged the NEW or REPLACE carrying token: the order is
 * live and a replaced original is forgotten. 0, -ENOENT unknown token. */
int recon_on_ack(struct recon *r, uint64_t token);

/* qty shares of token filled; the slot is freed when nothing is left. token
 * may also be the original of a REPLACE still in flight (its orig_qty and
 * qty shrink). 0, -ENOENT unknown token. */
int recon_on_fill(struct recon *r, uint64_t token, uint32_t qty);

/* token is gone (canceled or expired), or it is the original of a REPLACE in
 * flight that the venue canceled: its slot is freed. 0, -ENOENT unknown. */
int recon_on_canceled(struct recon *r, uint64_t token);

/* The NEW, REPLACE or CANCEL carrying token was rejected. A rejected REPLACE
 * restores the original order (token, px, qty, age) as LIVE, so the next
 * plan sees it again (and cancels it if its side is blocked); a rejected NEW
 * frees the slot; an original already fully filled is freed. 0, -ENOENT. */
int recon_on_reject(struct recon *r, uint64_t token);

/* The caller's queue-position estimate: front != 0 widens the tolerance.
 * 0, -ENOENT unknown token. */
int recon_set_front(struct recon *r, uint64_t token, int front);

/* Refill the bucket up to now_ns (integer, no drift) and return the whole
 * messages available. A now_ns earlier than the last refill adds nothing. */
uint32_t recon_budget(struct recon *r, uint64_t now_ns);

/* Compare target (best first per side; levels with px <= 0, px > UINT32_MAX
 * or qty 0 are ignored) with the working orders and write at most max intents
 * to out, highest priority first: (0) risk cancels: kill, stale, red, pulled,
 * grow-blocked, excess; (1) the first NEW on a side with no working order
 * (REASON_PRESENCE); (2) other NEW and REPLACE. Each intent spends one
 * budget message; what the budget or max cannot take is deferred (not
 * emitted, counted in n_deferred / last_deferred) and reconsidered next call.
 * KILL's CANCEL_ALL is always emitted (max >= 1) and charged when possible.
 * Matching per side is greedy by distance: the closest (level, order) pair
 * first, ties to the better level then the lower slot. Emitted intents update the table (PENDING /
 * CANCELING). t_decide_tsc = now_tsc; t_rx_tsc is copied. Returns the count. */
uint32_t recon_plan(struct recon *r, uint64_t now_ns, uint64_t now_tsc, uint64_t t_rx_tsc,
		    const struct quote_ladder *target, const struct recon_ctl *ctl,
		    struct order_intent *out, uint32_t max);

/* The plan recon_plan(r, now_ns, ..., target, ctl, ...) would make, when
 * the last plan found nothing (its quiet_until_ns promise holds at now_ns)
 * and target and ctl are what it had, but for the sides in sides (bit per
 * enum quote_side), each now with at most one level: true when it finds
 * nothing again, having done what that plan does (the refill; the promise
 * stands, for this target). false, r unchanged, when the promise is off,
 * ctl kills, a side in sides has two or more levels, or the plan would
 * find something (then call recon_plan). The caller vouches for the rest
 * of target and ctl. Owner thread. */
bool recon_plan_still_quiet(struct recon *r, uint64_t now_ns, const struct quote_ladder *target,
			    const struct recon_ctl *ctl, unsigned sides);

#endif /* RECON_H */
