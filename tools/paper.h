/* paper.h - paper trading against a recorded capture (DESIGN.md sections 2,
 * 5 and 9): the inline pipeline feed -> strategy -> gateway -> paper venue ->
 * exec reports -> strategy on one thread, on a virtual clock taken from the
 * capture's ITCH timestamps; its configuration schema; its outputs. One
 * thread; deterministic for a given capture, config and seed. */
#ifndef PAPER_H
#define PAPER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bench/hdr.h"
#include "dataplane/feed.h"
#include "gateway/gw.h"
#include "gateway/venue.h"
#include "gateway/venue_wire.h"
#include "hw/arena.h"
#include "strategy/mm.h"
#include "strategy/portfolio.h"
#include "tools/acct.h"
#include "tools/conf.h"
#include "tools/paper_in.h"

#define PAPER_MAX_SYMS 64  /* symbols quoted in one run */
#define PAPER_NAME_LEN 9   /* ITCH stock (8) + NUL */

/* Everything a run is configured with (docs/config.md; keys in paper_cfg.c).
 * Money in the file is USD or 1e-4 USD as each key says; times in ms or ns. */
struct paper_cfg {
	/* run */
	char symbols[PAPER_MAX_SYMS][PAPER_NAME_LEN];
	size_t n_symbols;            /* 0: the most active top_symbols */
	uint32_t top_symbols;
	uint64_t seed;               /* venue latency jitter */
	uint64_t md_latency_ns;      /* exchange stamp -> our decision, virtual */
	uint32_t max_orders;         /* book order pool (all symbols) */
	bool all_books;              /* keep every symbol's book, not the quoted ones' only */
	uint32_t series_interval_ms; /* PnL / inventory sampling */
	bool plots;                  /* render PNGs with gnuplot */
	/* fees, shared by the venue (charges), the gateway (books) and the
	 * strategy (quotes): 1e-4 USD per share */
	int32_t maker_rebate_e4;
	int32_t taker_fee_e4;
	/* strategy, with the sub-module keys that are exposed */
	struct mm_cfg mm;
	int64_t sizes[QUOTE_MAX_LEVELS];
	size_t n_sizes;
	uint32_t timer_ms;
	double dd_yellow_usd, dd_kill_usd;    /* drawdown bands per symbol */
	double pos_yellow, pos_red, pos_kill; /* |position| / pos_limit bands */
	uint32_t tol_ticks, min_life_ms, max_age_ms, msg_rate, msg_burst;
	double tox_pull, tox_shrink;
	uint32_t tox_cooldown_ms;
	/* portfolio */
	struct pf_cfg pf;
	/* gateway hard limits (USD where money) */
	uint32_t risk_max_qty;
	double risk_max_notional_usd;
	uint32_t risk_collar_bps;
	uint64_t risk_max_position;
	uint32_t risk_max_open;
	double risk_credit_usd;
	uint32_t risk_rate, risk_burst;
	/* venue */
	uint64_t entry_ns, entry_jitter_ns, ack_ns, ack_jitter_ns;
	/* quantile tables (ppm, ns); empty: constant + jitter above */
	int64_t entry_q_ppm[VENUE_LAT_QMAX], entry_q_ns[VENUE_LAT_QMAX];
	int64_t ack_q_ppm[VENUE_LAT_QMAX], ack_q_ns[VENUE_LAT_QMAX];
	size_t n_entry_q_ppm, n_entry_q_ns, n_ack_q_ppm, n_ack_q_ns;
};

/* The configuration schema: every key, its type, unit, default and range. */
extern const struct conf_key paper_keys[];
extern const size_t paper_n_keys;

/* Defaults of every key (conf_defaults over paper_keys). 0, -EINVAL. */
int paper_cfg_defaults(struct paper_cfg *c, struct conf_err *err);

/* One quoted symbol. */
struct paper_sym {
	/* on a cache line, so the strategy's layout (hot fields first, by
	 * line) holds for every symbol */
	_Alignas(64) struct mm mm;
	uint16_t locate;
	char name[PAPER_NAME_LEN];
	bool kill_noted;
	uint8_t pres;            /* last presence state given to the accounts:
				  * PAPER_PRES_SEEN | 1 eligible | 2 two-sided */
	bool two;                /* a bid and an ask resting (mm_resting), as
				  * of the last strategy call that could move
				  * them */
	bool two_stale;          /* a strategy call since: recompute `two` */
	const struct acct_sym *as; /* its accounts (acct_mid_same), set by
				  * paper_run; NULL: every top change to
				  * acct_on_mid */
};

#define PAPER_PRES_SEEN 0x80u

#define PAPER_PEND_MAX 1024u     /* intents between two flushes */
#define PAPER_STACK_BYTES (256u * 1024u) /* stack mapped before the replay */
#define PAPER_WIRE (64u * 1024u) /* their OUCH bytes */
#define PAPER_CSV_BUF (64u * 1024u) /* orders.csv lines held before an fwrite */

/* An intent through the gateway, waiting for the simulation's half. */
struct paper_pending {
	struct order_intent in;
	struct exec_report rej;  /* refused: the report for the strategy */
	uint64_t now;            /* virtual time it was sent */
	uint64_t t_tx;           /* TSC when its OUCH bytes were ready */
	long k;                  /* gw_on_intent's result: bytes, or < 0 */
	uint32_t wire_off;       /* its bytes in paper.wire */
};

/* The stamps of one timed strategy call on an md_event, kept until the
 * packet's events are through (the histograms are filled off the timed
 * path). */
struct paper_dstamp {
	uint64_t t0, t1;         /* TSC before and after mm_on_md */
	bool sent;               /* it returned intents */
};

/* The stage stamps (decide-active, decide-send, gateway, feed) are taken
 * on 1 in this many strategy calls that are not quiet, whether they send
 * or not; tick-to-trade is stamped on every intent. */
#define PAPER_DECIDE_SAMPLE 8u

/* A packet's feed-stage end when its first strategy call was not sampled:
 * below any TSC stamp, so rec() takes no sample. */
#define PAPER_NO_STAMP 1u

/* Latency stages recorded in HDR histograms (ns). */
enum paper_stage {
	PAPER_T2T = 0,     /* packet read -> OUCH bytes ready */
	PAPER_FEED = 1,    /* packet read -> its first md_event that reaches a
			    * strategy call (not quiet) */
	PAPER_DECIDE = 2,  /* md_event -> the strategy's intents; the calls
			    * on events that are not quiet (mm.h) only: every
			    * one that sends, 1 in 8 of the others */
	PAPER_GATEWAY = 3, /* intent -> checks, store, OUCH bytes */
	PAPER_DECIDE_SEND = 4, /* PAPER_DECIDE, the calls that send only */
	PAPER_STAGES = 5
};

struct paper_stats {
	uint64_t units;           /* frames or messages read */
	uint64_t events;          /* md_events */
	uint64_t intents;         /* strategy intents */
	uint64_t wire_msgs;       /* OUCH messages sent */
	uint64_t refused;         /* intents refused by the gateway's checks */
	uint64_t reports;         /* exec reports to the strategy */
	uint64_t loop_cut;        /* report/intent cascades cut at the depth limit */
	uint64_t md_quiet;        /* quiet md_events (mm.h's mm_md_quiet): the
				   * strategy's mm_on_md_quiet, not timed */
	uint64_t sim_runs;        /* sim_run calls (the simulation caught up) */
	double wall_s;            /* wall-clock seconds of the replay */
};

struct paper {
	struct paper_cfg cfg;
	struct arena arena;
	struct feed feed;
	struct gw gw;
	struct venue venue;
	struct venue_wire *vw;
	struct pf pf;
	struct acct acct;
	struct paper_sym *sym;
	uint32_t n_sym;
	int16_t *sym_of;           /* locate -> index in sym, -1 none */
	struct hdr *lat[PAPER_STAGES];
	struct md_event *ev;
	struct paper_dstamp *dst;  /* timed strategy calls of this packet */
	uint32_t n_dst;
	uint32_t dec_skip;         /* non-quiet strategy calls to the next sampled one */
	FILE *orders_csv;          /* NULL: not written */
	char *csv;                 /* orders.csv lines not yet written to it */
	uint32_t csv_len;
	struct paper_pending *pend;
	uint32_t n_pend;
	uint32_t wire_len;
	uint8_t *wire;
	uint64_t now;              /* virtual time, ns since midnight */
	uint64_t next_timer;
	uint64_t sim_due;          /* a packet whose first stamp is below this
				    * has nothing due before it (sim_due_update) */
	uint64_t sim_due_seq;      /* venue.rep_seq when sim_due was computed */
	bool sim_full_check;       /* tests: every packet takes sim_until's
				    * whole test (sim_due stays 1) */
	bool acct_every_top;       /* tests: acct_on_mid on every top change,
				    * the same mid included */
	bool warm_full_store;      /* tests: paper_warm's gateway with the
				    * run's store sizes, not its small ones */
	bool killed;
	bool flushing;             /* inside paper_flush */
	int depth;                 /* cascade depth of report handling */
	struct paper_stats st;
};

/* Count md_events per symbol over the whole input (the first pass) and
 * pick the symbols to quote: cfg->symbols by name, else the cfg->top_symbols
 * busiest. Writes locates/names to out (at most PAPER_MAX_SYMS); returns how
 * many (0: no order-book activity, err says so), or -ENOENT (a named symbol
 * is not in the capture; err says which). A damaged input is counted up to
 * the damage (paper_run reports it). */
int paper_pick_symbols(const struct paper_cfg *cfg, const char *path, uint16_t *locates,
		       char (*names)[PAPER_NAME_LEN], char *err, size_t errlen);

/* Set up a run quoting n symbols (start-up: every allocation happens here).
 * 0, -EINVAL bad cfg (err says which part), -ENOMEM. */
int paper_init(struct paper *p, const struct paper_cfg *cfg, const uint16_t *locates,
	       char (*names)[PAPER_NAME_LEN], uint32_t n, char *err, size_t errlen);
/* Replay the input through the pipeline. progress: stderr stream for
 * progress lines, or NULL. 0, -EIO input damaged after some data (the run
 * still completed on what was read; in->err says where). */
int paper_run(struct paper *p, struct paper_in *in, FILE *progress);
/* Release. Accepts NULL. */
void paper_fini(struct paper *p);
/* Warm the caches for the replay's first orders: a throwaway market maker
 * and gateway trade a few synthetic events, then the real per-symbol state
 * is read. Writes nothing the replay reads (test_paper checks). Returns the
 * orders the throwaway gateway passed. paper_run calls it first; start-up
 * only. */
uint32_t paper_warm(struct paper *p);

/* Everything the run counted as dropped, refused or not understood on its
 * internal paths (cascade cuts, the venue's report ring, the gateway's and
 * the venue's undecodable or unknown input, venue reports out of step with
 * the order store, cancels it could not defer; not the expected races such
 * as a cancel reject for an order already filled).
 * 0 on a clean run; cmd_paper prints the parts and warns when not 0. */
uint64_t paper_losses(const struct paper *p);

/* Value at percentile q (0..100) of a latency stage, ns; 0 when empty. */
int64_t paper_latency(const struct paper *p, enum paper_stage s, double q);

#endif /* PAPER_H */
