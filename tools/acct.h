/* acct.h - paper-trading accounting: cash, positions, average-cost PnL,
 * fees, volume, markouts, presence, order counters, drawdown and a PnL time
 * series, all in virtual time; writes fills.csv, report.json and the series
 * CSV (definitions in docs/paper.md (Reports)). Owns its preallocated tables;
 * nothing allocates after acct_init. One thread (the paper pipeline). */
#ifndef ACCT_H
#define ACCT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Markout horizons: 100 ms, 1 s, 10 s, 60 s of virtual time. */
#define ACCT_N_HORIZONS 4
/* Horizon used for adverse selection and the realised spread (1 s). */
#define ACCT_H_1S 1
/* Symbol names: up to 15 characters. */
#define ACCT_NAME_LEN 16
/* Kill-reason text: up to 47 characters (longer text is cut). */
#define ACCT_REASON_LEN 48
/* locate argument of acct_set_kill meaning "the whole portfolio". */
#define ACCT_ALL 0xFFFFFFFFu

extern const int64_t acct_horizon_ns[ACCT_N_HORIZONS];
extern const char *const acct_horizon_name[ACCT_N_HORIZONS];

struct acct_cfg {
	uint32_t n_symbols;          /* symbol slots (>= 1) */
	uint32_t markout_cap;        /* fills awaiting their 60 s markout (>= 1) */
	uint32_t series_cap;         /* series points kept (>= 4, rounded up to even) */
	int64_t series_interval_ns;  /* initial series grid step (> 0) */
};

/* Sum of markouts at one horizon over resolved fills. */
struct acct_markout {
	int64_t sum_x2;       /* sum of side * (2 * mid - 2 * px) * qty, 1e-4 USD x 2 */
	int64_t shares;       /* shares of the resolved fills */
	int64_t notional_e4;  /* sum px * qty of the resolved fills, 1e-4 USD */
	uint64_t n;           /* fills resolved */
	uint64_t n_past_end;  /* of which resolved at finish before t + h was reached */
	uint64_t n_no_mid;    /* fills with no mid at or before t + h (not counted) */
};

/* Counters of one symbol, or of the portfolio (acct.total). Read-only for
 * callers. Money in 1e-4 USD, prices in ITCH units, quantities in shares. */
struct acct_sym {
	uint32_t locate;       /* ITCH stock locate; UINT32_MAX for the total */
	char name[ACCT_NAME_LEN];
	int64_t position;      /* shares, + long */
	int64_t basis_e4;      /* signed cost of the open position: position x avg cost */
	int64_t cash_e4;       /* trade cash flows minus fees */
	int64_t realised_e4;   /* average-cost realised PnL, before fees */
	int64_t fees_e4;       /* fees paid, rebates negative */
	uint32_t mark;         /* mid (rounded down) or last fill px; 0: none yet */
	uint32_t mid_x2;       /* bid + ask of the last two-sided quote; 0: none */
	uint64_t t_mid;        /* ns, time of that quote */
	int64_t pnl_e4;        /* cash + position x mark, kept current */
	int64_t pnl_peak_e4;   /* highest pnl seen (starts at 0) */
	int64_t max_dd_e4;     /* largest pnl_peak - pnl seen */
	int64_t max_inventory; /* largest |position| (total: sum of |position|) */
	uint64_t fills, orders, cancels, rejects;
	int64_t shares, notional_e4;                 /* volume */
	uint64_t maker_fills, taker_fills;
	int64_t maker_shares, taker_shares;
	int64_t maker_fees_e4, taker_fees_e4;
	int64_t eff_sum_x2;    /* sum side * (2 mid_t - 2 px) * qty at fill time */
	int64_t eff_shares;    /* shares of fills with a mid at fill time */
	struct acct_markout mo[ACCT_N_HORIZONS];
	/* presence */
	bool pres_eligible, pres_two_sided;
	bool pres_seen;
	uint64_t pres_t;           /* ns of the last presence change */
	uint64_t eligible_ns;      /* time eligible */
	uint64_t two_sided_ns;     /* time eligible and two-sided */
	/* kill */
	char kill_reason[ACCT_REASON_LEN]; /* "" when not killed */
	uint64_t kill_t;
	/* markout queue of this symbol (sequence numbers, UINT64_MAX: none) */
	uint64_t mo_head[ACCT_N_HORIZONS]; /* oldest fill unresolved at horizon h */
	uint64_t mo_tail;                  /* newest fill queued */
	uint64_t mo_due;                   /* ns, earliest horizon end among the
					    * mo_head fills; UINT64_MAX: none */
};

/* A fill waiting for its markouts. */
struct acct_pending {
	uint64_t t_ns;
	uint64_t next;        /* next fill of the same symbol, UINT64_MAX: none */
	uint32_t px;
	uint32_t qty;
	uint32_t slot;
	int8_t side;          /* +1 buy, -1 sell */
	uint8_t done;         /* bit h: horizon h resolved */
};

struct acct {
	struct acct_cfg cfg;
	uint32_t n_used;               /* symbol slots in use */
	struct acct_sym *sym;          /* n_symbols */
	struct acct_sym total;
	uint16_t *slot_of;             /* 65536 entries: locate -> slot + 1, 0 none */
	uint32_t *order;               /* n_used slots sorted by locate */
	int64_t gross;                 /* sum of |position| over symbols */
	FILE *fills_csv;               /* NULL: no fills.csv */
	int fills_csv_err;             /* first write error, -EIO */
	/* markout ring, by sequence number */
	struct acct_pending *pend;     /* markout_cap */
	uint64_t pend_head, pend_tail; /* [head, tail) live */
	uint64_t mo_overflow;          /* fills whose markouts were dropped: ring full */
	/* time */
	bool started;
	bool finished;
	bool running;                  /* started && !finished: one test for
					* the per-event calls */
	uint64_t t_first, t_last;      /* ns */
	/* series: n_points of (t, pnl, net, gross, position per slot) */
	int64_t ser_step;              /* current grid step, ns */
	uint64_t ser_next;             /* next grid time, ns */
	uint32_t ser_n;
	uint32_t ser_n_sym;            /* slots the series stores per point */
	uint64_t *ser_t;
	int64_t *ser_pnl;              /* total pnl, 1e-4 USD */
	int64_t *ser_net, *ser_gross;  /* sum of position, of |position| */
	int64_t *ser_pos;              /* ser_n_sym per point */
	uint64_t ser_halvings;
};

/* Fill cfg with defaults: 256 symbols, 65536 pending markouts, 4096 series
 * points every 1 s. */
void acct_cfg_defaults(struct acct_cfg *cfg);
/* Allocate and zero every table for cfg. 0, -EINVAL bad cfg, -ENOMEM. Cold. */
int acct_init(struct acct *a, const struct acct_cfg *cfg);
/* Free the tables; a may be NULL or already finished. Does not close files. */
void acct_fini(struct acct *a);

/* Name locate's symbol (a slot is taken on first use, here or at the first
 * event for that locate; slots are listed in locate order in the outputs).
 * name: 1..15 printable characters, no comma, quote or backslash; trailing
 * spaces (ITCH padding) are dropped. 0, -EINVAL bad name, -ENOSPC no slot. */
int acct_set_symbol(struct acct *a, uint32_t locate, const char *name);
/* Write fills.csv to f from now on (header written here); NULL stops.
 * 0, -EIO write error. */
int acct_attach_fills_csv(struct acct *a, FILE *f);

/* Account one fill at t_ns (non-decreasing across calls): side 'B'/'S',
 * px in ITCH units (> 0), qty shares (> 0), liquidity 'A' added / 'R'
 * removed, fee_e4 in 1e-4 USD (negative: rebate), token: our order.
 * 0, -EINVAL bad argument (nothing counted), -ENOSPC no symbol slot, -EIO
 * fills.csv write failed (the fill is counted). */
int acct_on_fill(struct acct *a, uint64_t t_ns, uint32_t locate, char side, uint32_t px,
		 uint32_t qty, char liquidity, int32_t fee_e4, uint64_t token);
/* The best bid and ask of locate at t_ns: sets the mark, resolves markouts
 * whose horizon ended before t_ns. One-sided (a zero price) or crossed
 * quotes are ignored with -EDOM. 0, -EINVAL, -ENOSPC, -EDOM. */
static inline int acct_on_mid(struct acct *a, uint64_t t_ns, uint32_t locate,
			      uint32_t bid_px, uint32_t ask_px);
/* Recompute s's pnl from cash, position and mark, carry the change to the
 * total, and update both drawdowns (after s->mark moved). */
void acct_pnl_refresh(struct acct *a, struct acct_sym *s);
/* acct_on_mid's whole work (the inline part handles the common quotes). */
int acct_on_mid_full(struct acct *a, uint64_t t_ns, uint32_t locate, uint32_t bid_px,
		     uint32_t ask_px);
/* Presence state of locate from t_ns on: eligible (regime Green and book
 * fresh) and two_sided (a bid and an ask resting). 0, -EINVAL, -ENOSPC. */
int acct_on_presence(struct acct *a, uint64_t t_ns, uint32_t locate, bool eligible,
		     bool two_sided);
/* Order counters: one new order sent, one cancel sent, one reject received.
 * 0, -ENOSPC no symbol slot, -EINVAL finished. */
int acct_on_order(struct acct *a, uint32_t locate);
int acct_on_cancel(struct acct *a, uint32_t locate);
int acct_on_reject(struct acct *a, uint32_t locate);
/* Record why locate (ACCT_ALL: the portfolio) was killed; the first reason
 * is kept. 0, -EINVAL NULL/empty reason, -ENOSPC. */
int acct_set_kill(struct acct *a, uint64_t t_ns, uint32_t locate, const char *reason);

/* End of run at t_ns (>= every event): closes presence intervals, resolves
 * every pending markout with the last mid of its symbol, adds the final
 * series point. Later events are refused. 0, -EINVAL t_ns in the past. */
int acct_finish(struct acct *a, uint64_t t_ns);

/* report.json (after acct_finish): fixed key order and number formats,
 * symbols in locate order, then the total. 0, -EINVAL not finished, -EIO. */
int acct_write_json(const struct acct *a, FILE *f);
/* Series CSV: t_ns,pnl_total,position_net,position_gross,<symbol>... one row
 * per point. 0, -EIO. */
int acct_write_series_csv(const struct acct *a, FILE *f);

/* The slot of locate, or NULL when it has none. */
const struct acct_sym *acct_sym_get(const struct acct *a, uint32_t locate);
/* Unrealised PnL of s: position x mark - basis, 1e-4 USD. */
int64_t acct_unrealised_e4(const struct acct_sym *s);
/* Format v (1e-4 USD) as dollars with 4 decimals into buf (>= 24 bytes). */
const char *acct_fmt_e4(int64_t v, char *buf);

/* The decimal digits of v (no padding, at most 20) written at b; returns
 * the end (not terminated). For CSV lines formatted by hand. */
char *acct_put_u64(char *b, uint64_t v);

/* Inline: the paper pipeline calls it on every change of a quoted symbol's
 * top (a fifth of all events). Most need no more than the mark: the
 * symbol known, the account running, no markout due by t_ns, and the same
 * mid, or a new mid with no position (the pnl, cash + position x mark,
 * does not move), or a new mid with no series point due by t_ns (the pnl
 * moves, acct_pnl_refresh). Series points due by t_ns are otherwise left
 * to the next full call: they sample pnl and positions, which this does
 * not change then. The rest, and every refusal, take acct_on_mid_full
 * (test_acct holds the two to the same results). */
static inline int acct_on_mid(struct acct *a, uint64_t t_ns, uint32_t locate,
			      uint32_t bid_px, uint32_t ask_px)
{
	uint32_t k, mid_x2 = bid_px + ask_px;
	struct acct_sym *s;
	bool moved;

	if (!a || locate > 0xFFFFu || !bid_px || bid_px > ask_px || ask_px > INT32_MAX ||
	    !(k = a->slot_of[locate]) || !a->running || t_ns < a->t_last)
		return acct_on_mid_full(a, t_ns, locate, bid_px, ask_px);
	s = &a->sym[k - 1];
	moved = s->mid_x2 != mid_x2 && s->position;
	if (t_ns > s->mo_due || (moved && t_ns > a->ser_next))
		return acct_on_mid_full(a, t_ns, locate, bid_px, ask_px);
	a->t_last = t_ns;
	s->t_mid = t_ns;
	s->mid_x2 = mid_x2;
	s->mark = mid_x2 / 2;
	if (moved)
		acct_pnl_refresh(a, s);
	return 0;
}

/* Would acct_on_mid(a, t_ns, s's locate, bid_px, ask_px) change nothing
 * but the time of s's last quote (t_mid, read by nothing) and a->t_last
 * (which orders the calls)? The same mid as s's, no markout due by t_ns,
 * a quote the call takes. Then a caller whose time never goes back may
 * leave the call out: the fills, marks, markouts, series and report are
 * the same (test_paper runs its pipeline both ways). s: acct_sym_get's,
 * or NULL (false). Inline: for most top-of-book changes the mid does not
 * move (a size changed). */
static inline bool acct_mid_same(const struct acct_sym *s, uint64_t t_ns, uint32_t bid_px,
				 uint32_t ask_px)
{
	return s && s->mid_x2 == bid_px + ask_px && t_ns <= s->mo_due && bid_px &&
	       bid_px <= ask_px && ask_px <= INT32_MAX;
}

#endif /* ACCT_H */
