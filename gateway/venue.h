/* venue.h - the paper venue (DESIGN.md section 9): a simulated exchange that
 * matches our orders against the recorded L3 book the feed builds from a
 * capture, in virtual time, with entry and acknowledgement latencies, queue
 * position, fees and rebates. Owns our orders, the messages in flight and
 * the reports not yet delivered, all preallocated from config. One thread
 * (the inline paper pipeline); it reads the feed's book set, never writes it.
 * Matching rules, latency model and limitations: docs/paper.md. */
#ifndef VENUE_H
#define VENUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/book.h"
#include "dataplane/events.h"
#include "hw/arena.h"
#include "hw/compiler.h"

/* Points of a quantile latency table (struct venue_lat_cfg). */
#define VENUE_LAT_QMAX 16
/* Quantiles are in parts per million: 0 .. VENUE_PPM. */
#define VENUE_PPM 1000000u

enum venue_lat_kind {
	VENUE_LAT_CONST = 0,    /* base_ns + uniform jitter in [0, jitter_ns] */
	VENUE_LAT_QUANTILE = 1, /* piecewise-linear inverse CDF through the table */
};

/* One latency (entry: our send -> venue; ack: venue -> our receipt). */
struct venue_lat_cfg {
	uint32_t kind;              /* enum venue_lat_kind */
	uint32_t npts;              /* QUANTILE: table points, 2..VENUE_LAT_QMAX */
	uint64_t base_ns;           /* CONST: fixed part */
	uint64_t jitter_ns;         /* CONST: uniform jitter bound, inclusive */
	uint32_t q_ppm[VENUE_LAT_QMAX]; /* QUANTILE: ascending, first 0, last
					 * VENUE_PPM */
	uint64_t q_ns[VENUE_LAT_QMAX];  /* QUANTILE: latency at q_ppm[i], ns,
					 * non-decreasing */
};

struct venue_cfg {
	uint32_t max_orders;   /* our live orders (resting or being entered) */
	uint32_t max_msgs;     /* our messages in flight to the venue */
	uint32_t max_reports;  /* reports generated, not yet polled */
	uint32_t max_takes;    /* opposite levels with liquidity we consumed */
	uint32_t max_qty;      /* largest order, shares; 1..1,000,000 */
	int32_t taker_fee_e4;  /* per share removed, 1e-4 USD (we pay); |.| <= 1000 */
	int32_t maker_rebate_e4; /* per share added, 1e-4 USD (we receive);
				  * |.| <= 1000 */
	uint64_t seed;         /* latency jitter RNG seed */
	struct venue_lat_cfg entry; /* our send -> the venue applies it */
	struct venue_lat_cfg ack;   /* the venue acts -> we receive its report */
	bool no_prefilter;     /* venue_on_md does the full work for every event
				* on a symbol where we have orders or takes,
				* and walks every order there (tests: the
				* prefilter and the summary's shortcuts must
				* change nothing) */
};

/* order flags (struct venue_enter.flags) */
enum {
	VENUE_F_POST_ONLY = 1u << 0, /* reject if it would take liquidity */
	VENUE_F_IOC = 1u << 1,       /* cancel what does not fill on arrival */
};

/* Inbound messages, each submitted with the virtual time we sent it. */
struct venue_enter {
	uint32_t user_ref;   /* our order token, unique among live orders */
	uint32_t qty;        /* shares */
	uint32_t px;         /* limit, ITCH units (1e-4 USD) */
	uint16_t locate;     /* ITCH stock locate */
	uint8_t side;        /* 'B' or 'S' */
	uint8_t flags;       /* VENUE_F_* */
};

struct venue_replace {
	uint32_t orig_user_ref; /* the live order to replace */
	uint32_t user_ref;      /* its new token (may equal orig_user_ref) */
	uint32_t qty;           /* new open shares */
	uint32_t px;            /* new limit, ITCH units */
};

struct venue_cancel {
	uint32_t user_ref;
	uint32_t qty;           /* shares to leave open; 0 cancels all */
};

enum venue_report_kind {
	VENUE_ACCEPTED = 1,
	VENUE_REPLACED = 2,  /* user_ref replaced orig_user_ref */
	VENUE_CANCELED = 3,  /* qty canceled, leaves open; reason VENUE_CXL_* */
	VENUE_EXECUTED = 4,  /* px, qty, leaves, liquidity, match, fee_e4 */
	VENUE_REJECTED = 5,  /* reason VENUE_REJ_*; nothing changed */
};

/* Why a message was rejected. Stable numbers (written to outputs). */
enum venue_reject {
	VENUE_REJ_POST_ONLY = 1,   /* post-only order or replace would cross */
	VENUE_REJ_UNKNOWN = 2,     /* cancel/replace of an order not live
				    * (never entered, filled or canceled) */
	VENUE_REJ_HALTED = 3,      /* symbol halted or its book stale */
	VENUE_REJ_SYMBOL = 4,      /* no book for this locate */
	VENUE_REJ_INVALID = 5,     /* side, zero or too many shares, zero px */
	VENUE_REJ_DUP_REF = 6,     /* user_ref already live */
	VENUE_REJ_ORDERS_FULL = 7, /* cfg.max_orders live */
	VENUE_REJ_MSGS_FULL = 8,   /* cfg.max_msgs in flight: never sent */
	VENUE_REJ_REASONS = 9,     /* size of counters.rejects[]; [0] unused */
};

/* Why shares were canceled. Stable numbers. */
enum venue_cancel_reason {
	VENUE_CXL_USER = 1,        /* our cancel (or a replace to fewer shares) */
	VENUE_CXL_IOC = 2,         /* IOC remainder after taking */
	VENUE_CXL_TAKES_FULL = 3,  /* cfg.max_takes full: the rest of a
				    * marketable order cannot be tracked */
	VENUE_CXL_REASONS = 4,
};

/* One report to us; delivered at t_ns. 64 bytes. */
struct venue_report {
	uint64_t t_ns;        /* virtual time it reaches us */
	uint64_t t_venue_ns;  /* virtual time the venue acted */
	uint64_t seq;         /* report sequence number, from 1 */
	uint64_t match;       /* EXECUTED: venue match number, from 1 */
	int32_t fee_e4;       /* EXECUTED: 1e-4 USD, negative = rebate */
	uint32_t user_ref;
	uint32_t orig_user_ref; /* REPLACED: the order replaced; else 0 */
	uint32_t px;          /* EXECUTED: price; else the order's limit */
	uint32_t qty;         /* EXECUTED: shares; CANCELED: shares canceled;
			       * ACCEPTED/REPLACED: open shares */
	uint32_t leaves;      /* shares still open after this report */
	uint16_t locate;
	uint8_t kind;         /* enum venue_report_kind */
	uint8_t side;         /* 'B' or 'S' (0 when unknown: rejects) */
	uint8_t liquidity;    /* EXECUTED: 'A' added (maker), 'R' removed */
	uint8_t reason;       /* REJECTED: VENUE_REJ_*; CANCELED: VENUE_CXL_* */
	uint8_t pad[2];
};
_Static_assert(sizeof(struct venue_report) == 64, "one report per line");

struct venue_counters {
	uint64_t msgs_in;               /* messages submitted */
	uint64_t accepted, replaced;
	uint64_t rejects[VENUE_REJ_REASONS];    /* by enum venue_reject */
	uint64_t cancels[VENUE_CXL_REASONS];    /* by enum venue_cancel_reason */
	uint64_t cancel_noop;           /* cancel leaving >= open shares */
	uint64_t fills_maker, fills_taker;      /* execution reports */
	uint64_t shares_maker, shares_taker;
	int64_t fees_e4;                /* sum of fee_e4 */
	uint64_t fills_queue;           /* maker fills: queue ahead consumed */
	uint64_t fills_through;         /* maker fills: traded through */
	uint64_t fills_cross;           /* maker fills: opposite add/trade */
	uint64_t reports_lost;          /* report ring full: report dropped
					 * (treat as fatal, like the exec ring) */
	uint64_t takes_full;            /* no take slot for consumed liquidity */
	uint64_t absorbed;              /* recorded executions of liquidity we
					 * had already taken (no second fill) */
	uint64_t ref_undecided;         /* an add at our level with a reference
					 * <= our mark: the ahead rule can miss */
	uint64_t c_px_unknown;          /* C of an order gone from the book:
					 * resting price taken as exec price */
	uint64_t walks;                 /* level walks of queue recounts (U, C):
					 * one per order with shares ahead */
};

/* Our order at the venue (state; public for tests and tools). */
struct venue_order {
	uint64_t seq;        /* time priority among our orders (join order) */
	uint64_t mark;       /* highest ITCH order reference when it joined */
	uint64_t ahead;      /* recorded shares ahead of it at its level */
	uint32_t user_ref;
	uint32_t px;         /* limit, ITCH units */
	uint32_t leaves;     /* open shares */
	uint32_t prev, next; /* live list in time priority; next: free list */
	uint32_t sprev, snext; /* the symbol's live list (struct venue_sym) */
	uint16_t locate;
	uint8_t side;        /* 'B' or 'S' */
	uint8_t flags;       /* VENUE_F_* */
};

/* Liquidity we took from one recorded level and that is still shown. */
struct venue_take {
	uint32_t px;
	uint32_t shares;     /* 0: free slot */
	uint16_t locate;
	uint8_t side;        /* side of the recorded orders taken */
	uint8_t pad;
};

/* Our presence on one side of one symbol, kept exact as orders join and
 * leave and takes come and go: what venue_on_md's prefilter reads. */
struct venue_side_sum {
	uint64_t mark_hi;    /* highest mark of our live orders there; 0 none */
	uint32_t lo, hi;     /* lowest and highest limit of them, ITCH units;
			      * UINT32_MAX and 0 when none */
	uint32_t nahead;     /* our live orders there with recorded shares
			      * ahead (ahead > 0: the ones a recount can
			      * lower) */
	uint32_t ntakes;     /* take slots with shares there */
};

/* A symbol where we have live orders or takes (a slot of a pool). */
struct venue_sym {
	struct venue_side_sum side[2]; /* [BOOK_BID], [BOOK_ASK] */
	uint32_t head, tail; /* our live orders on it, time priority */
	uint32_t busy;       /* live orders plus take slots; 0: slot free */
	uint32_t next_free;  /* free list of slots */
};
_Static_assert(sizeof(struct venue_sym) == 64, "one symbol per line");

/* A message in flight. */
struct venue_msg {
	uint64_t t_arrive_ns;
	uint8_t kind;        /* 'O' enter, 'U' replace, 'X' cancel */
	union {
		struct venue_enter enter;
		struct venue_replace replace;
		struct venue_cancel cancel;
	} u;
};

/* splitmix64 state of one latency stream. */
struct venue_rng {
	uint64_t s;
};

struct venue {
	const struct book_set *books;
	struct venue_cfg cfg;
	struct venue_order *orders;   /* cfg.max_orders */
	struct venue_msg *msgs;       /* ring of cfg.max_msgs */
	struct venue_report *reps;    /* ring of cfg.max_reports */
	struct venue_take *takes;     /* cfg.max_takes */
	uint32_t *scratch;            /* cfg.max_orders: orders one event fills */
	uint32_t *ref_idx;            /* token index: live orders by user_ref,
				       * linear probing; BOOK_NIL empty */
	uint32_t ref_mask;            /* its slots - 1 (>= 2 x max_orders) */
	struct venue_sym *syms;       /* symbol slots 1..nsyms (0 unused, so
				       * sym_slot indexes it as it is) */
	uint32_t nsyms;               /* min(max_orders + max_takes, 65535):
				       * each busy symbol holds an order or a
				       * take, and there are 65535 locates */
	uint32_t sym_free;            /* free slot list */
	uint32_t live_head, live_tail;/* live list, time priority */
	uint32_t order_free;
	uint32_t nlive;
	uint32_t takes_used;          /* take slots with shares */
	uint16_t sym_slot[BOOK_LOCATE_MAX + 1]; /* per locate: its slot in
				       * syms (1..nsyms) while we have orders
				       * or takes there; 0 none */
	uint32_t takes_hi;            /* 1 + highest slot with shares: scans stop
				       * there (slots are taken lowest first) */
	uint32_t msg_head, msg_n;
	uint32_t rep_head, rep_n;
	uint64_t last_arrive_ns;      /* in-order session: arrivals never go back */
	uint64_t last_deliver_ns;     /* nor deliveries */
	uint64_t max_ref;             /* highest ITCH reference seen in events */
	uint64_t rep_seq;
	uint64_t match_seq;
	uint64_t join_seq;
	struct venue_rng rng_entry, rng_ack;
	struct venue_counters cnt;
};

/* ---- set-up (cold) ---------------------------------------------------- */

/* Defaults: 1024 orders, 4096 messages, 16384 reports, 256 takes,
 * max_qty 1,000,000 (also its upper bound), taker fee 30, rebate 20 (1e-4 USD/share), seed 1, entry 20 us and
 * ack 20 us constant with 5 us jitter. */
void venue_cfg_defaults(struct venue_cfg *cfg);

/* Bytes of arena venue_init takes for cfg (with alignment slack), or 0 when
 * cfg is invalid (a zero size, a bad latency table). */
size_t venue_memsize(const struct venue_cfg *cfg);

/* Set up v over the recorded book set `books` (read only, owned by the
 * feed), its arrays carved from a. 0, -EINVAL bad cfg, -ENOMEM arena short. */
int venue_init(struct venue *v, const struct venue_cfg *cfg,
	       const struct book_set *books, struct arena *a);

/* Forget it (the arena memory stays the arena's). Accepts NULL. */
void venue_fini(struct venue *v);

/* ---- the pipeline thread ---------------------------------------------- */

/* Send a message at virtual time t_send_ns: it reaches the venue at
 * max(t_send + entry latency, previous arrival) (one in-order session).
 * 0, or -ENOBUFS when cfg.max_msgs are in flight: then it is never applied,
 * counted, and a VENUE_REJ_MSGS_FULL reject is queued for t_send_ns. */
int venue_submit_enter(struct venue *v, const struct venue_enter *m, uint64_t t_send_ns);
int venue_submit_replace(struct venue *v, const struct venue_replace *m, uint64_t t_send_ns);
int venue_submit_cancel(struct venue *v, const struct venue_cancel *m, uint64_t t_send_ns);

/* Apply, in arrival order, every message that reached the venue by now_ns,
 * against the book as it stands (call before the feed applies the ITCH
 * message stamped now_ns). Reports are stamped with the arrival time. */
void venue_advance(struct venue *v, uint64_t now_ns);

/* venue_on_md's full work, for an event that can touch our orders or takes
 * on its symbol (venue_md_touches; called by venue_on_md, out of line). */
void venue_on_md_held(struct venue *v, const struct md_event *ev, uint64_t now_ns);

/* The prefilter, for an event on a symbol where we hold orders or takes:
 * can it change anything of ours there (an order's fills, queue ahead, the
 * counters, a take)? false only when the full work provably does nothing;
 * each case mirrors its handler in venue.c ("us": our orders on the
 * event's side, "op": on the other side):
 * - A/F (md_add): an op order at px or better (collect: it crosses us); an
 *   us order at px with mark >= ref (ref_undecided);
 * - U: also the recount and takes_cap on ev->side: an us order with
 *   shares ahead (the recount lowers nothing else) or any take;
 * - X/D (md_remove): an us order at px with mark >= ref; any take on the
 *   side (takes_cap);
 * - E (md_trade): any take on the side; an us order at px or better
 *   (trade-through, the queue at px), or an op order it crosses;
 * - P: as E without takes; C: always (its resting price is read from the
 *   book, and an unknown one is counted and recounts);
 * - state events (MD_STATE): never (the venue reads no state from them).
 * A side without orders has lo = UINT32_MAX, hi = 0, mark_hi = 0, so the
 * range tests need no count (they may pass for a price at either bound:
 * the full work then does nothing, as it must). Inline: most events on
 * our symbols stop here. */
static ALWAYS_INLINE bool venue_md_touches(const struct venue_sym *sy,
					   const struct md_event *ev)
{
	const struct venue_side_sum *us, *op;
	uint32_t px = ev->px;
	uint8_t t = ev->msg_type, sd = ev->side;
	unsigned s;

	/* (A state event is out whatever its side.) */
	if (UNLIKELY(ev->kind == MD_STATE))
		return false;
	if (UNLIKELY(sd != 'B' && sd != 'S'))
		return t != 'P';
	s = sd == 'S' ? BOOK_ASK : BOOK_BID;
	us = &sy->side[s];
	op = &sy->side[s ^ 1u];
	/* Adds and removes first (most events here); each test only when the
	 * ones before it fail, the reference before the prices (a new add's
	 * is above every mark). */
	if (t == 'A' || t == 'F')
		return (s == BOOK_BID ? op->lo <= px : op->hi >= px) ||
		       (ev->order_ref <= us->mark_hi && px >= us->lo && px <= us->hi);
	if (t == 'D' || t == 'X')
		return us->ntakes ||
		       (ev->order_ref <= us->mark_hi && px >= us->lo && px <= us->hi);
	if (t == 'U')
		return us->nahead || us->ntakes ||
		       (s == BOOK_BID ? op->lo <= px : op->hi >= px) ||
		       (ev->order_ref <= us->mark_hi && px >= us->lo && px <= us->hi);
	if (t == 'E' || t == 'P')
		return (t == 'E' && us->ntakes) ||
		       (s == BOOK_BID ? us->hi >= px : us->lo <= px) ||
		       (s == BOOK_BID ? op->lo <= px : op->hi >= px);
	return t == 'C';
}

/* By ITCH message type: 1 for the ones that bring a new order reference
 * (A, F, U), which max_ref follows; 0 for the rest. */
extern const uint8_t venue_new_ref_type[256];

/* After the feed applied the ITCH message behind ev (stamped now_ns): fill
 * or move our resting orders. Reads the event, and the book for what the
 * event lacks (docs/paper.md, "What the venue reads"). Inline: it runs for
 * every md_event, most are on symbols where we hold nothing, and most of
 * the rest cannot touch us (venue_md_touches). */
static ALWAYS_INLINE void venue_on_md(struct venue *v, const struct md_event *ev,
				       uint64_t now_ns)
{
	uint32_t k;

	/* (The reference first: executions and cancels carry old ones; state
	 * events carry none, dataplane/events.h. Then the type, by table:
	 * half of all events are adds above max_ref.) */
	if (ev->order_ref > v->max_ref && venue_new_ref_type[ev->msg_type] && ev->locate != 0)
		v->max_ref = ev->order_ref;
	/* Nothing of ours rests on the symbol and we took nothing there: the
	 * event cannot fill us or change what we took. (Never locate 0: it
	 * has no book, so no order of ours is accepted there.) */
	k = v->sym_slot[ev->locate];
	if (!k)
		return;
	if (v->cfg.no_prefilter ? ev->kind != MD_STATE : venue_md_touches(&v->syms[k], ev))
		venue_on_md_held(v, ev, now_ns);
}

/* Virtual time of the next of our messages to reach the venue, and of the
 * next report to reach us; UINT64_MAX when none is queued. Both queues are
 * in time order, so a pipeline can interleave them exactly. */
static inline uint64_t venue_next_arrival_ns(const struct venue *v)
{
	return v->msg_n ? v->msgs[v->msg_head].t_arrive_ns : UINT64_MAX;
}

static inline uint64_t venue_next_report_ns(const struct venue *v)
{
	return v->rep_n ? v->reps[v->rep_head].t_ns : UINT64_MAX;
}

/* Up to max reports delivered by now_ns, in delivery order (time, then
 * sequence number), into out. Returns how many. */
uint32_t venue_poll(struct venue *v, uint64_t now_ns, struct venue_report *out, uint32_t max);

/* Our live order with token user_ref, or NULL (tests, tools). */
const struct venue_order *venue_order_find(const struct venue *v, uint32_t user_ref);

/* One latency draw from cfg with rng (exposed for tests and tools): the
 * same seed gives the same sequence. */
uint64_t venue_lat_draw(const struct venue_lat_cfg *cfg, struct venue_rng *rng);

/* "post-only would cross", ...; "?" otherwise. */
const char *venue_reject_name(int reason);
const char *venue_cancel_name(int reason);

#endif /* VENUE_H */
