/* synth.h - `tickwire synth` internals: seeded PRNG and Cont-Stoikov-Talreja
 * book engine (synth_cst.c), session models mapping it to ITCH 5.0
 * (synth_model.c), the simple reference book behind the ground truth
 * (synth_refbook.c), the MoldUDP64/pcap writer with faults (synth_write.c).
 * Single-threaded: one synth run owns all of these. */
#ifndef SYNTH_H
#define SYNTH_H

#include <stdint.h>
#include <stdio.h>

#include "dataplane/itch.h"
#include "dataplane/mold_wire.h"

/* ---------------------------------------------------------------- PRNG */

/* xoshiro256** (Blackman and Vigna), seeded through splitmix64. Never
 * rand(): the output must depend on the seed and nothing else. */
struct synth_rng {
	uint64_t s[4];
};

/* Seed from (seed, stream): distinct streams are independent sequences. */
void synth_rng_seed(struct synth_rng *r, uint64_t seed, uint64_t stream);

static inline uint64_t synth_rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t synth_rng_next(struct synth_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = synth_rng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = synth_rng_rotl(s[3], 45);
	return out;
}

/* Uniform in [0, 1), 53 bits. */
static inline double synth_rng_unit(struct synth_rng *r)
{
	return (double)(synth_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [0, n), n >= 1 (multiply-shift on the top 32 bits;
 * the bias of at most n / 2^32 is irrelevant here). */
static inline uint32_t synth_rng_below(struct synth_rng *r, uint32_t n)
{
	return (uint32_t)(((synth_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Exponential holding time with the given rate (> 0). */
double synth_rng_exp(struct synth_rng *r, double rate);

/* ---------------------------------------------------------- CST engine */

/* Cont, Stoikov and Talreja, "A stochastic model for order book dynamics",
 * Operations Research 58(3), 2010: limit orders of one unit arrive at
 * distance i ticks from the opposite best quote at rate lambda(i), market
 * orders of one unit at rate mu per side, and each resting unit at distance
 * i is cancelled at rate theta(i). docs/synth.md lists the values. */
#define SYNTH_CST_DEPTH 10    /* distances with a limit-order rate */
#define SYNTH_CST_WINDOW 256  /* ring of price levels per book (power of 2) */
#define SYNTH_CST_SIZES 5     /* order sizes 1..5 units (compound arrivals) */
#define SYNTH_NIL UINT32_MAX

struct synth_cst_params {
	double lambda[SYNTH_CST_DEPTH + 1]; /* [1..10] units/s; [0] unused */
	double theta[SYNTH_CST_DEPTH + 1];  /* [1..10] per unit per s; i>10 uses [10] */
	double mu;                          /* market orders per side per s */
	/* Probability of an order of 1..SIZES units; {1,0,...} is the paper's
	 * model. Arrival rates are divided by the mean size so that units
	 * still arrive at lambda(i). */
	double size_p[SYNTH_CST_SIZES];
	/* Derived by synth_cst_params_prepare: */
	double lam_cum[SYNTH_CST_DEPTH + 1]; /* cumulative lambda, [0] = 0 */
	double size_cum[SYNTH_CST_SIZES];    /* cumulative size_p */
	double add_rate;                     /* order arrivals per side per s */
};

/* The paper's parameters; sizes all 1 (the pure model); prepared. */
void synth_cst_params_paper(struct synth_cst_params *p);
/* Fill the derived fields after editing lambda or size_p. */
void synth_cst_params_prepare(struct synth_cst_params *p);

/* One resting order: a FIFO link in its price level. */
struct synth_order {
	uint64_t ref;
	uint32_t units;
	uint32_t next;   /* pool index of the next order at this level, or NIL */
	uint32_t tick;   /* price in ticks */
	uint8_t side;    /* 'B' or 'S' */
};

/* Orders of every book, and the order reference counter they share. */
struct synth_pool {
	struct synth_order *o;
	uint32_t n, cap;      /* used slots (high-water mark), capacity */
	uint32_t free_head;   /* free list through .next */
	uint64_t next_ref;    /* next order reference number to hand out */
};

int synth_pool_init(struct synth_pool *p, uint64_t first_ref);
void synth_pool_fini(struct synth_pool *p);

struct synth_level {
	uint32_t head, tail;  /* FIFO of orders, pool indices */
	uint32_t units;
	uint32_t cw;          /* cancellation weight of its orders (synth_cst.c) */
	uint32_t tick;        /* which price this ring slot holds while non-empty */
};

/* One symbol's book on a tick grid [1, tick_max]: prices are kept inside a
 * window of SYNTH_CST_WINDOW ticks around the mid (orders left outside by
 * a moving price are purged, see synth_cst_purge). */
struct synth_cst_book {
	struct synth_level lv[SYNTH_CST_WINDOW];
	const struct synth_cst_params *p;
	int64_t bid, ask;         /* best prices in ticks; -1 when the side is empty */
	int64_t bid_ref, ask_ref; /* best, or the last best while a side is empty */
	int64_t bid_lo, ask_hi;   /* deepest occupied levels (valid when non-empty) */
	uint32_t bid_units, ask_units;
	double cancel_b, cancel_a; /* total cancellation rates per side */
	double rate;               /* total event rate of this book */
	int64_t tick_max;
};

enum synth_cst_kind {
	SYNTH_CST_NONE = 0,   /* nothing happened (e.g. a price off the grid) */
	SYNTH_CST_ADD,        /* new order: ref, side, tick, units */
	SYNTH_CST_EXEC,       /* one unit of the front order executed */
	SYNTH_CST_CANCEL,     /* an order cancelled, whole or in part */
	SYNTH_CST_PURGE,      /* whole order removed: left the price window */
};

struct synth_cst_event {
	enum synth_cst_kind kind;
	uint8_t side;      /* side of the resting (or new) order */
	uint32_t tick;     /* its price in ticks */
	uint32_t units;    /* units added / executed (1) / cancelled / purged */
	uint32_t left;     /* units the order still has (0: it is gone) */
	uint64_t ref;      /* the order's reference number */
};

/* Empty book over ticks [1, tick_max] using params p (not copied). */
void synth_cst_book_init(struct synth_cst_book *b, const struct synth_cst_params *p,
			 int64_t tick_max);
/* Place an order of `units` at `tick` directly (initial books). 0 and *ev
 * filled, -EINVAL off the grid, outside the window or crossing, -ENOMEM. */
int synth_cst_place(struct synth_cst_book *b, struct synth_pool *pool, uint8_t side,
		    int64_t tick, uint32_t units, struct synth_cst_event *ev);
/* Draw and apply the next event of the model's jump chain. Fills *ev (kind
 * NONE when the drawn event is impossible, e.g. off the grid). 0 or -ENOMEM. */
int synth_cst_step(struct synth_cst_book *b, struct synth_pool *pool, struct synth_rng *r,
		   struct synth_cst_event *ev);
/* Remove one order lying outside the price window, if any: 1 and *ev (kind
 * PURGE), or 0. Call until 0 after every step. */
int synth_cst_purge(struct synth_cst_book *b, struct synth_pool *pool,
		    struct synth_cst_event *ev);
/* Units resting at `tick` (0 outside the window). */
uint32_t synth_cst_units_at(const struct synth_cst_book *b, int64_t tick);
/* Return the book's orders to the pool. */
void synth_cst_book_clear(struct synth_cst_book *b, struct synth_pool *pool);

/* The statistic of the paper's Table 3: probability that the next mid-price
 * move is up given b units at the best bid and a at the best ask (spread
 * one tick), b, a in 1..5. Monte Carlo over the engine above (paths per
 * cell, seeded) next to the exact value of the same model (first passage
 * of the two best queues, solved as a linear system). 0 or -ENOMEM. */
int synth_cst_check(FILE *out, uint64_t seed, uint32_t paths);
/* Exact P(up | b, a) for the model with lambda(1), theta(1), mu of p. */
double synth_cst_p_up_exact(const struct synth_cst_params *p, int b, int a);

/* ---------------------------------------------------- reference book */

/* Market-by-order book for the ground truth, built only from the ITCH
 * messages synth emits: per symbol a plain array of live orders searched
 * linearly. Deliberately simple and independent of dataplane/book.*. */
struct synth_ref_order {
	uint64_t ref;
	uint32_t price;   /* 1e-4 USD */
	uint32_t shares;
	uint8_t side;
};

struct synth_ref_sym {
	struct synth_ref_order *o;
	uint32_t n, cap;
	char stock[8];
	uint8_t state;    /* trading state from 'H'; 0 before any */
};

struct synth_refbook {
	struct synth_ref_sym *sym; /* indexed by stock locate */
	uint32_t nsym;             /* locates 0..nsym-1 */
	uint64_t errors;           /* messages that did not fit the book */
};

/* 0, -ENOMEM. Locates 1..max_locate. */
int synth_refbook_init(struct synth_refbook *rb, uint32_t max_locate);
void synth_refbook_fini(struct synth_refbook *rb);
/* Apply one message; unknown orders, over-executions and unknown locates
 * bump rb->errors. */
void synth_refbook_apply(struct synth_refbook *rb, const struct itch_msg *m);
/* Write every book (H and L lines, docs/synth.md) to f, at most depth
 * levels per side (0 = all). 0 or -EIO. */
int synth_refbook_write(const struct synth_refbook *rb, FILE *f, uint32_t depth);
/* Totals over all symbols, for tests: live orders and their shares. */
void synth_refbook_totals(const struct synth_refbook *rb, uint64_t *orders, uint64_t *shares);

/* ------------------------------------------------------------- writer */

#define SYNTH_MAX_LOSE 8

struct synth_faults {
	double gap, dup, reorder;  /* per data packet probabilities */
	struct {
		int line;               /* 0 = A, 1 = B */
		uint64_t start, len;    /* data packet indices [start, start+len) */
	} lose[SYNTH_MAX_LOSE];
	int nlose;
};

struct synth_wire_cfg {
	char session[MOLD_SESSION_LEN];
	uint32_t dst_ip;          /* host order */
	uint16_t dst_port;
	int ab;                   /* write line B too */
	uint32_t batch_ns;        /* pack messages within this much exchange time */
	uint64_t seed;            /* fault stream */
	struct synth_faults faults;
	const char *truth_path;   /* NULL: no ground truth */
	uint64_t truth_every;     /* 0: only at the end */
	uint32_t truth_depth;     /* 0: all levels */
	uint32_t max_locate;
	const char *truth_comment; /* second header line of the truth file */
};

/* What a run wrote, for the summary line and the tests. */
struct synth_stats {
	uint64_t msgs;
	uint64_t by_type[256];
	uint64_t packets;          /* sequenced data packets */
	uint64_t heartbeats, eos;  /* control packets (each sent on every line) */
	uint64_t records[2];       /* pcap records per line */
	uint64_t dropped[2], duplicated[2], reordered[2];
	uint64_t lost_msgs, gaps;  /* unrecoverable messages and gap runs */
	uint64_t refbook_errors;
};

struct synth_out;

/* Open the pcap (and truth file). 0, or -errno with the message in err. */
int synth_out_open(struct synth_out **o, const char *pcap_path,
		   const struct synth_wire_cfg *cfg, FILE *err);
/* Emit one ITCH message: sequence number, packing, ground truth. 0 or
 * -errno (write error, reported once on close). */
int synth_out_msg(struct synth_out *o, const struct itch_msg *m);
/* Messages emitted so far. */
uint64_t synth_out_count(const struct synth_out *o);
/* Flush, write end of session, final checkpoint; close and free. Copies
 * the statistics into *st when non-NULL. 0 or -errno (message in err). */
int synth_out_close(struct synth_out *o, struct synth_stats *st, FILE *err);

/* -------------------------------------------------------------- models */

enum synth_model { SYNTH_MODEL_CST = 0, SYNTH_MODEL_MANY = 1 };

struct synth_cfg {
	enum synth_model model;
	uint64_t seed;
	uint64_t messages;   /* total ITCH messages, preamble and trailer included */
	uint32_t symbols;
	double speed;        /* cst: model seconds per exchange second; 0 = auto */
	int quiet;
};

#define SYNTH_SYMBOLS_MAX 16384

/* Messages the session needs besides order flow (directory, system events,
 * trading actions, initial books, trailer), for --messages validation. */
uint64_t synth_model_overhead(const struct synth_cfg *cfg);
/* Run the model until cfg->messages messages went to o. Progress on err
 * every ~1 s of wall time unless quiet. 0 or -errno. */
int synth_model_run(const struct synth_cfg *cfg, struct synth_out *o, FILE *err);

#endif /* SYNTH_H */
