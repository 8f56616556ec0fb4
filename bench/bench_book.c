/* bench_book.c - figures for dataplane/book: ns per message over a generated
 * in-memory stream of ITCH order flow (adds near the touch, executions at
 * the front of the best level, cancels and replaces biased to recent orders
 * near the top), a few hundred symbols with ~10k live orders on the busy
 * ones. Reports book-only and ITCH decode+book, each plain and with the
 * order table prefetched a few messages ahead, and per-type means. Prints,
 * never judges; --quick is the CI smoke run. Single-threaded; pin it
 * (taskset -c N). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataplane/book.h"
#include "dataplane/itch.h"
#include "hw/arena.h"
#include "hw/compiler.h"
#include "hw/tsc.h"

#define TICK 100u      /* $0.01 in ITCH price units */
#define RECENT 64u     /* "recent orders" window for cancels/replaces */
#ifndef PF_DIST
#define PF_DIST 4      /* messages between prefetch stages */
#endif
#define REPEATS 3

/* Keep a value alive without emitting code for it. */
#define BENCH_USE(x) __asm__ __volatile__("" : : "r"(x) : "memory")

/* One generated update, decoded form (book-only runs). */
struct op {
	uint64_t ref;    /* A/E/C/X/D: the order; U: the old order */
	uint64_t ref2;   /* U: the new order */
	uint32_t shares;
	uint32_t px;     /* A/U: price; C: execution price */
	uint16_t loc;
	uint8_t type;    /* ITCH type */
	uint8_t side;    /* A: 'B'/'S' */
	uint32_t pad;
};

struct gsym {
	uint64_t *live;   /* refs of its live orders (swap-remove) */
	uint32_t nlive, cap, target;
	uint32_t mid;     /* 1e-4 USD, when a side is empty */
};

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

static uint32_t rnd(uint32_t n)
{
	return (uint32_t)(((rng() >> 32) * n) >> 32);
}

static void *xalloc(size_t n)
{
	void *p = aligned_alloc(CACHELINE, (n + CACHELINE - 1) & ~(size_t)(CACHELINE - 1));

	if (p == NULL) {
		fprintf(stderr, "bench_book: out of memory (%zu bytes)\n", n);
		exit(1);
	}
	memset(p, 0, n); /* prefault */
	return p;
}

/* The book set in an arena, as the appliance runs it (hugepages when the
 * system has them, else THP advice): TLB reach matters at this size. */
static struct book_set *book_alloc(const struct book_cfg *cfg, bool huge,
				   struct arena *ar)
{
	struct arena_cfg acfg = { .size = book_memsize(cfg) + CACHELINE,
				  .no_huge = !huge, .no_lock = true };
	struct book_set *bs;

	if (arena_init(ar, &acfg) != 0 ||
	    (bs = arena_alloc(ar, book_memsize(cfg), CACHELINE)) == NULL ||
	    book_init(bs, cfg) != 0) {
		fprintf(stderr, "bench_book: cannot set up the book set\n");
		exit(1);
	}
	return bs;
}

/* ---- ITCH wire encoding (offsets: PROTOCOLS.md section 5) ------------- */

static uint8_t *put_be(uint8_t *p, uint64_t v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
	return p + n;
}

/* Append op as a u16-length-prefixed ITCH message; returns the new end. */
static uint8_t *encode(uint8_t *w, const struct op *o, uint64_t ts)
{
	uint8_t *len = w, *p = w + 2, *start = p;

	*p++ = o->type;
	p = put_be(p, o->loc, 2);
	p = put_be(p, 0, 2);
	p = put_be(p, ts, 6);
	switch (o->type) {
	case 'A':
		p = put_be(p, o->ref, 8);
		*p++ = o->side;
		p = put_be(p, o->shares, 4);
		memcpy(p, "BENCH   ", 8);
		p += 8;
		p = put_be(p, o->px, 4);
		break;
	case 'E':
	case 'C':
		p = put_be(p, o->ref, 8);
		p = put_be(p, o->shares, 4);
		p = put_be(p, ts, 8); /* match number */
		if (o->type == 'C') {
			*p++ = 'Y';
			p = put_be(p, o->px, 4);
		}
		break;
	case 'X':
		p = put_be(p, o->ref, 8);
		p = put_be(p, o->shares, 4);
		break;
	case 'D':
		p = put_be(p, o->ref, 8);
		break;
	case 'U':
		p = put_be(p, o->ref, 8);
		p = put_be(p, o->ref2, 8);
		p = put_be(p, o->shares, 4);
		p = put_be(p, o->px, 4);
		break;
	}
	put_be(len, (uint64_t)(p - start), 2);
	return p;
}

/* ---- order-flow generator ---------------------------------------------- */

struct gen {
	struct book_set *bs;     /* model of the book the stream builds */
	struct gsym *syms;       /* [1..nsym] */
	uint32_t *pos;           /* model order index -> slot in its sym's live[] */
	uint16_t *tickets;       /* symbol draw proportional to activity */
	uint32_t ntickets, nsym;
	uint64_t next_ref;
	uint64_t live_total, target_total;
};

static uint32_t order_index(const struct book_set *bs, uint64_t ref)
{
	const struct book_order *o = book_order_find(bs, ref);

	return o == NULL ? BOOK_NIL : (uint32_t)(o - bs->orders);
}

static void live_add(struct gen *g, struct gsym *s, uint64_t ref)
{
	g->pos[order_index(g->bs, ref)] = s->nlive;
	s->live[s->nlive++] = ref;
	g->live_total++;
}

/* Call before the model removes ref. */
static void live_del(struct gen *g, struct gsym *s, uint64_t ref)
{
	uint32_t at = g->pos[order_index(g->bs, ref)];
	uint64_t last = s->live[--s->nlive];

	s->live[at] = last;
	if (last != ref)
		g->pos[order_index(g->bs, last)] = at;
	g->live_total--;
}

static uint64_t pick_ref(const struct gsym *s)
{
	uint32_t n = s->nlive;

	if (rnd(100) < 70 && n > RECENT)
		return s->live[n - 1 - rnd(RECENT)];
	return s->live[rnd(n)];
}

/* A price for a new bid (side 0) or ask near the touch, not crossing. */
static uint32_t gen_price(const struct book_sym *bsym, const struct gsym *s,
			  unsigned side)
{
	uint32_t bb = bsym->best_qty[0] ? bsym->best_px[0] : s->mid - TICK;
	uint32_t ba = bsym->best_qty[1] ? bsym->best_px[1] : s->mid + TICK;
	uint32_t r = rnd(100), dist, px;

	if (r < 25)
		dist = 0;
	else if (r < 75)
		dist = 1 + rnd(10);
	else if (r < 90)
		dist = 10 + rnd(40);
	else if (r < 98)
		dist = UINT32_MAX; /* improve inside the spread if there is room */
	else
		dist = 100 + rnd(1900);
	if (side == 0) {
		if (dist == UINT32_MAX)
			px = ba - bb > TICK ? bb + TICK : bb;
		else
			px = bb > (dist + 1) * TICK ? bb - dist * TICK : TICK;
		if (bsym->best_qty[1] && px >= ba)
			px = ba - TICK;
	} else {
		if (dist == UINT32_MAX)
			px = ba - bb > TICK ? ba - TICK : ba;
		else
			px = ba + dist * TICK;
		if (bsym->best_qty[0] && px <= bb)
			px = bb + TICK;
	}
	return px;
}

static int gen_apply(struct book_set *bs, const struct op *o)
{
	struct book_change c;

	switch (o->type) {
	case 'A': return book_apply_add(bs, o->loc, o->ref, o->side, o->shares, o->px,
					"BENCH   ", &c);
	case 'E': return book_apply_exec(bs, o->ref, o->shares, &c);
	case 'C': return book_apply_exec_px(bs, o->ref, o->shares, o->px, &c);
	case 'X': return book_apply_cancel(bs, o->ref, o->shares, &c);
	case 'D': return book_apply_delete(bs, o->ref, &c);
	case 'U': return book_apply_replace(bs, o->ref, o->ref2, o->shares, o->px, &c);
	}
	return -EINVAL;
}

/* Make the next op; applies it to the model. */
static void gen_next(struct gen *g, struct op *o)
{
	uint16_t loc = g->tickets[rnd(g->ntickets)];
	struct gsym *s = &g->syms[loc];
	const struct book_sym *bsym = book_sym_get(g->bs, loc);
	uint32_t r = rnd(1000), add_pm;
	const struct book_order *ord;

	memset(o, 0, sizeof(*o));
	o->loc = loc;
	add_pm = s->nlive < s->target * 9 / 10 ? 700 :
		 s->nlive > s->target * 11 / 10 ? 200 : 450;
	if (s->nlive < 4 || r < add_pm) {
		unsigned side = rnd(2);

		o->type = 'A';
		o->side = side ? 'S' : 'B';
		o->ref = g->next_ref++;
		o->shares = 100 * (1 + rnd(5)) + (rnd(4) == 0 ? rnd(100) : 0);
		o->px = gen_price(bsym, s, side);
		if (gen_apply(g->bs, o) != 0)
			goto fail;
		live_add(g, s, o->ref);
		return;
	}
	r = rnd(550); /* of the non-adds: D 380, U 90, E 45, C 5, X 30 */
	if (r < 50) {
		/* executions take the front of the best level */
		unsigned side = rnd(2);
		const struct book_level *l = book_best_level(g->bs, bsym, (enum book_side)side);

		if (l == NULL)
			l = book_best_level(g->bs, bsym, (enum book_side)!side);
		ord = book_level_front(g->bs, l);
		o->type = r < 45 ? 'E' : 'C';
		o->ref = ord->ref;
		o->shares = rnd(10) < 7 || ord->shares == 1 ? ord->shares :
			    1 + rnd(ord->shares - 1);
		o->px = ord->px;
		if (o->shares == ord->shares)
			live_del(g, s, o->ref);
		if (gen_apply(g->bs, o) != 0)
			goto fail;
		return;
	}
	o->ref = pick_ref(s);
	ord = book_order_find(g->bs, o->ref);
	if (r < 80) {
		o->type = 'X';
		o->shares = ord->shares > 1 ? ord->shares / 2 : 1;
		if (o->shares == ord->shares)
			live_del(g, s, o->ref);
		if (gen_apply(g->bs, o) != 0)
			goto fail;
	} else if (r < 170) {
		uint32_t px = ord->px, step = rnd(3);

		o->type = 'U';
		o->ref2 = g->next_ref++;
		o->shares = 100 * (1 + rnd(5));
		if (ord->side == BOOK_BID) {
			px = step == 0 ? px + TICK : step == 1 && px > 2 * TICK ? px - TICK : px;
			if (bsym->best_qty[1] && px >= bsym->best_px[1])
				px = ord->px;
		} else {
			px = step == 0 && px > 2 * TICK ? px - TICK : step == 1 ? px + TICK : px;
			if (bsym->best_qty[0] && px <= bsym->best_px[0])
				px = ord->px;
		}
		o->px = px;
		live_del(g, s, o->ref);
		if (gen_apply(g->bs, o) != 0)
			goto fail;
		live_add(g, s, o->ref2);
	} else {
		o->type = 'D';
		live_del(g, s, o->ref);
		if (gen_apply(g->bs, o) != 0)
			goto fail;
	}
	return;
fail:
	fprintf(stderr, "bench_book: generator op %c refused\n", o->type);
	exit(1);
}

/* ---- replay ------------------------------------------------------------ */

static uint64_t sink;

static ALWAYS_INLINE void apply_op(struct book_set *bs, const struct op *o)
{
	struct book_change c;
	int rc = -1;

	switch (o->type) {
	case 'A':
		rc = book_apply_add(bs, o->loc, o->ref, o->side, o->shares, o->px,
				    NULL, &c);
		break;
	case 'E': rc = book_apply_exec(bs, o->ref, o->shares, &c); break;
	case 'C': rc = book_apply_exec_px(bs, o->ref, o->shares, o->px, &c); break;
	case 'X': rc = book_apply_cancel(bs, o->ref, o->shares, &c); break;
	case 'D': rc = book_apply_delete(bs, o->ref, &c); break;
	case 'U':
		rc = book_apply_replace(bs, o->ref, o->ref2, o->shares, o->px, &c);
		break;
	}
	if (LIKELY(rc == 0))
		sink += c.bid_px ^ c.flags;
}

static void run_ops(struct book_set *bs, const struct op *ops, size_t from,
		    size_t to, int prefetch)
{
	size_t i;

	for (i = from; i < to; i++) {
		if (prefetch) {
			/* Three stages: the slot 3D ahead, its order 2D ahead,
			 * the order's neighbours and level D ahead. */
			if (i + 3 * PF_DIST < to) {
				const struct op *p = &ops[i + 3 * PF_DIST];

				book_prefetch_ref(bs, p->ref);
				book_prefetch_sym(bs, p->loc);
			}
			if (i + 2 * PF_DIST < to && ops[i + 2 * PF_DIST].type != 'A')
				book_prefetch_order(bs, ops[i + 2 * PF_DIST].ref);
			if (prefetch > 1 && i + PF_DIST < to && ops[i + PF_DIST].type != 'A')
				book_prefetch_links(bs, ops[i + PF_DIST].ref);
		}
		apply_op(bs, &ops[i]);
	}
}

static ALWAYS_INLINE const uint8_t *wire_next(const uint8_t *p, const uint8_t *end)
{
	return p < end ? p + 2 + wire_get16(p) : p;
}

/* Reference of a framed book message (every one has it at offset 11). */
static ALWAYS_INLINE uint64_t wire_ref(const uint8_t *p)
{
	return wire_get64(p + 2 + ITCH_OFF_BODY);
}

static void run_wire(struct book_set *bs, const uint8_t *buf, size_t from,
		     size_t to, int prefetch)
{
	const uint8_t *p = buf + from, *end = buf + to, *a1 = p, *a2, *a3;
	int k;

	/* lookahead cursors PF_DIST, 2 PF_DIST and 3 PF_DIST messages on */
	for (k = 0; k < PF_DIST; k++)
		a1 = wire_next(a1, end);
	for (a2 = a1, k = 0; k < PF_DIST; k++)
		a2 = wire_next(a2, end);
	for (a3 = a2, k = 0; k < PF_DIST; k++)
		a3 = wire_next(a3, end);
	while (p < end) {
		uint16_t len = wire_get16(p);
		struct itch_msg m;
		struct book_change c;

		if (prefetch) {
			if (a3 < end) {
				book_prefetch_ref(bs, wire_ref(a3));
				book_prefetch_sym(bs, wire_get16(a3 + 2 + ITCH_OFF_LOCATE));
			}
			if (a2 < end && a2[2] != 'A')
				book_prefetch_order(bs, wire_ref(a2));
			if (a1 < end && a1[2] != 'A')
				book_prefetch_links(bs, wire_ref(a1));
			a1 = wire_next(a1, end);
			a2 = wire_next(a2, end);
			a3 = wire_next(a3, end);
		}
		if (LIKELY(itch_decode(p + 2, len, &m) > 0) && book_apply(bs, &m, &c) == 0)
			sink += c.bid_px ^ c.flags;
		p += 2 + len;
	}
}

/* Order-table shape, deterministic unlike the timings: mean and largest
 * distance of live entries from their home slot (a lookup reads that many
 * slots past home) and the longest run of occupied slots (what a backward
 * shift or an insert may walk). */
static void table_stats(const struct book_set *bs, double *mean, uint32_t *max,
			uint32_t *run)
{
	uint64_t sum = 0, n = 0;
	uint32_t i, d, cur = 0;

	*max = 0;
	*run = 0;
	for (i = 0; i <= bs->slot_mask; i++) {
		const struct book_slot *sl = &bs->slots[i];

		if (sl->order == BOOK_NIL) {
			cur = 0;
			continue;
		}
		d = (i - sl->hash) & bs->slot_mask;
		sum += d;
		n++;
		if (d > *max)
			*max = d;
		if (++cur > *run)
			*run = cur;
	}
	*mean = n ? (double)sum / (double)n : 0.0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	size_t nmsg = 20000000, warm = 0, warm_off = 0, wire_len, i;
	uint32_t nsym = 300, busy_orders = 10000, quiet_orders = 1000;
	uint32_t busy_pct = 10, s;
	int only = -1; /* -v V: run variant V only (profiling) */
	bool huge = true;
	struct arena ar;
	struct book_cfg cfg = { .max_locate = 0 };
	struct book_mem mem;
	struct gen g = { 0 };
	struct op *ops;
	uint8_t *wire, *w;
	struct book_set *bs;
	uint64_t counts[256] = { 0 };
	double t0;
	int a;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--quick") == 0) {
			nmsg = 1000000;
			nsym = 50;
		} else if (strcmp(argv[a], "-n") == 0 && a + 1 < argc) {
			nmsg = strtoull(argv[++a], NULL, 10);
		} else if (strcmp(argv[a], "-s") == 0 && a + 1 < argc) {
			nsym = (uint32_t)strtoul(argv[++a], NULL, 10);
		} else if (strcmp(argv[a], "--no-huge") == 0) {
			huge = false;
		} else if (strcmp(argv[a], "-v") == 0 && a + 1 < argc) {
			only = atoi(argv[++a]);
		} else if (strcmp(argv[a], "-b") == 0 && a + 1 < argc) {
			busy_orders = (uint32_t)strtoul(argv[++a], NULL, 10);
		} else {
			fprintf(stderr, "usage: bench_book [--quick] [-n MESSAGES] "
				"[-s SYMBOLS] [-b LIVE_ORDERS_PER_BUSY_SYMBOL] [-v VARIANT] [--no-huge]\n");
			return 2;
		}
	}
	if (nsym == 0 || nsym > 65535 || nmsg == 0) {
		fprintf(stderr, "bench_book: bad -s or -n\n");
		return 2;
	}
	tsc_init_global(NULL);

	/* Symbols: busy_pct% busy ones, activity proportional to their depth. */
	g.nsym = nsym;
	g.syms = xalloc((nsym + 1) * sizeof(*g.syms));
	for (s = 1; s <= nsym; s++) {
		struct gsym *gs = &g.syms[s];

		gs->target = s <= (nsym * busy_pct + 99) / 100 ? busy_orders : quiet_orders;
		gs->cap = gs->target * 2 + 64;
		gs->live = xalloc(gs->cap * sizeof(uint64_t));
		gs->mid = (20 + rnd(480)) * 10000; /* $20..$500 */
		g.target_total += gs->target;
	}
	g.ntickets = 0;
	g.tickets = xalloc((g.target_total / 100 + nsym) * sizeof(uint16_t));
	for (s = 1; s <= nsym; s++) {
		uint32_t t, n = g.syms[s].target / 100 + 1;

		for (t = 0; t < n; t++)
			g.tickets[g.ntickets++] = (uint16_t)s;
	}
	cfg.max_orders = (uint32_t)(g.target_total * 3 / 2);
	cfg.max_levels = cfg.max_orders / 2;
	cfg.max_locate = nsym;
	book_memsize_detail(&cfg, &mem);
	g.bs = book_alloc(&cfg, huge, &ar);
	g.pos = xalloc(cfg.max_orders * sizeof(uint32_t));
	g.next_ref = 1000;

	printf("bench_book: %zu messages, %u symbols (%u%% with %u live orders, "
	       "the rest %u), book set %zu MiB (table %zu, orders %zu, levels %zu, "
	       "chunks %zu) on %s pages\n", nmsg, nsym, busy_pct, busy_orders,
	       quiet_orders, mem.total >> 20, mem.table >> 20, mem.orders >> 20,
	       mem.levels >> 20, mem.chunks >> 20, arena_backing_name(ar.backing));

	/* Generate: ops[] and the same stream as ITCH wire messages. */
	t0 = now_s();
	ops = xalloc(nmsg * sizeof(*ops));
	wire = xalloc(nmsg * 38);
	w = wire;
	for (i = 0; i < nmsg; i++) {
		gen_next(&g, &ops[i]);
		counts[ops[i].type]++;
		w = encode(w, &ops[i], 34200000000000ull + i * 1000);
		if (warm == 0 && g.live_total >= g.target_total * 95 / 100) {
			warm = i + 1;
			warm_off = (size_t)(w - wire);
		}
	}
	wire_len = (size_t)(w - wire);
	if (warm == 0 || warm > nmsg / 2) {
		warm = nmsg / 2; /* never reached steady state: time the back half */
		for (w = wire, i = 0; i < warm; i++)
			w += 2 + wire_get16(w);
		warm_off = (size_t)(w - wire);
	}
	printf("generated in %.1f s: A %.1f%% D %.1f%% U %.1f%% E %.1f%% X %.1f%% C %.1f%%; "
	       "%zu warm-up messages (book filling), then %zu timed; %llu live "
	       "orders, %u levels, probe max %u\n", now_s() - t0,
	       100.0 * (double)counts['A'] / (double)nmsg,
	       100.0 * (double)counts['D'] / (double)nmsg,
	       100.0 * (double)counts['U'] / (double)nmsg,
	       100.0 * (double)counts['E'] / (double)nmsg,
	       100.0 * (double)counts['X'] / (double)nmsg,
	       100.0 * (double)counts['C'] / (double)nmsg, warm, nmsg - warm,
	       (unsigned long long)g.live_total, g.bs->cnt.levels_live,
	       g.bs->cnt.probe_max);
	{
		/* Rough depth profile of the busiest symbol. */
		const struct book_sym *b = book_sym_get(g.bs, 1);
		double mean;
		uint32_t dmax, run;

		printf("symbol 1: %u orders, %u bid / %u ask levels\n", b->norders,
		       b->nlevels[0], b->nlevels[1]);
		table_stats(g.bs, &mean, &dmax, &run);
		printf("order table at the end: %u slots, live entries %.2f slots "
		       "from home on average (max %u), longest run %u\n",
		       g.bs->slot_mask + 1, mean, dmax, run);
	}
	free(g.pos);
	bs = g.bs; /* reuse the memory: every run starts from book_reset */

	{
		static const char *const names[5] = {
			"book only                     ",
			"book only, prefetch 2 stages  ",
			"book only, prefetch 3 stages  ",
			"decode+book                   ",
			"decode+book, prefetch 3 stages",
		};
		int v;

		for (v = 0; v < 5; v++) {
			double per[REPEATS];
			int r;

			if (only >= 0 && v != only)
				continue;
			for (r = 0; r < REPEATS; r++) {
				double t1;

				book_reset(bs);
				if (v < 3) {
					run_ops(bs, ops, 0, warm, 0);
					t1 = now_s();
					run_ops(bs, ops, warm, nmsg, v);
				} else {
					run_wire(bs, wire, 0, warm_off, 0);
					t1 = now_s();
					run_wire(bs, wire, warm_off, wire_len, v == 4);
				}
				per[r] = (now_s() - t1) * 1e9 / (double)(nmsg - warm);
				if (bs->cnt.rejected[BOOK_EUNKNOWN] != 0 ||
				    bs->cnt.rejected[BOOK_EDUP] != 0) {
					fprintf(stderr, "bench_book: replay diverged\n");
					return 1;
				}
			}
			qsort(per, REPEATS, sizeof(per[0]), cmp_double);
			printf("%s %6.1f ns/msg (median of %d; min %.1f)\n", names[v],
			       per[REPEATS / 2], REPEATS, per[0]);
		}
	}

	/* Per-type means with a fenced TSC read around each call: latency with
	 * no overlap between messages (the runs above overlap misses). */
	{
		static const char types[] = "AEXCDU";
		uint64_t cyc[256] = { 0 }, n[256] = { 0 }, t, base = UINT64_MAX;
		size_t k;

		for (k = 0; k < 1000; k++) {
			uint64_t x = tsc_read_ordered(&tsc_global);
			uint64_t y = tsc_read_ordered(&tsc_global);

			if (y - x < base)
				base = y - x;
		}
		book_reset(bs);
		run_ops(bs, ops, 0, warm, 0);
		for (i = warm; i < nmsg; i++) {
			t = tsc_read_ordered(&tsc_global);
			apply_op(bs, &ops[i]);
			t = tsc_read_ordered(&tsc_global) - t;
			cyc[ops[i].type] += t > base ? t - base : 0;
			n[ops[i].type]++;
		}
		printf("serialised latency per type (book only, each call fenced, timer cost %llu ticks removed):",
		       (unsigned long long)base);
		for (k = 0; types[k]; k++) {
			uint8_t ty = (uint8_t)types[k];

			if (n[ty])
				printf(" %c %.1f", ty,
				       (double)tsc_to_ns(&tsc_global, cyc[ty]) / (double)n[ty]);
		}
		printf(" ns\n");
	}
	BENCH_USE(sink);
	arena_fini(&ar);
	return 0;
}
