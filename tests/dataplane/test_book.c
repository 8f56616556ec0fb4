/* test_book.c - the L3 book set: a table-driven ITCH scenario (top of book,
 * change flags and every refusal after each step), FIFO priority, depth,
 * replace, pool limits, colliding and wrapping order-table probes with
 * backward-shift deletion, ladder chunk split/merge, price extremes, many
 * symbols and their state, and a seeded differential run of 10^5 random
 * updates against a naive model; then the real ITCH snippet file.
 * On failure the helpers print the book under test. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/binfile.h"
#include "dataplane/book.h"
#include "dataplane/itch.h"
#include "dataplane/itch_enc.h"
#include "tests/test_data.h"

#define SNIPPET "itch/12302019_SNIPPET.NASDAQ_ITCH50"

/* ---- helpers ----------------------------------------------------------- */

static struct book_set *book_new(uint32_t max_orders, uint32_t max_levels,
				 uint32_t max_locate)
{
	struct book_cfg cfg = { .max_orders = max_orders, .max_levels = max_levels,
				.max_locate = max_locate };
	size_t sz = book_memsize(&cfg);
	struct book_set *bs;

	assert_true(sz > 0);
	sz = (sz + CACHELINE - 1) & ~(size_t)(CACHELINE - 1);
	bs = aligned_alloc(CACHELINE, sz);
	assert_non_null(bs);
	/* Garbage, not zeros: book_init leaves the record pools as it finds
	 * them, and nothing may depend on what they held. */
	memset(bs, 0xa5, sz);
	assert_int_equal(book_init(bs, &cfg), 0);
	return bs;
}

static void book_free(struct book_set *bs)
{
	book_fini(bs);
	free(bs);
}

static uint64_t rng_state;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint32_t rnd(uint32_t n)
{
	return (uint32_t)(rng() % n);
}

/* book_check, printing the book of `loc` and the reason on failure. */
#define assert_book_ok(bs, loc) assert_book_ok_at((bs), (loc), __FILE__, __LINE__)
static void assert_book_ok_at(const struct book_set *bs, uint16_t loc,
			      const char *file, int line)
{
	char why[256];

	if (book_check(bs, why, sizeof(why)) != 0) {
		print_error("%s:%d: book_check: %s\n", file, line, why);
		book_print(bs, loc, 40, stderr);
		fail();
	}
}

/* Top of book of `loc` equals the expectation, else print it and fail. */
#define assert_top(bs, loc, bp, bq, ap, aq) \
	assert_top_at((bs), (loc), (bp), (bq), (ap), (aq), __FILE__, __LINE__)
static void assert_top_at(const struct book_set *bs, uint16_t loc, uint32_t bp,
			  uint64_t bq, uint32_t ap, uint64_t aq, const char *file,
			  int line)
{
	const struct book_sym *s = book_sym_get(bs, loc);

	assert_non_null(s);
	if (s->best_px[BOOK_BID] != bp || s->best_qty[BOOK_BID] != bq ||
	    s->best_px[BOOK_ASK] != ap || s->best_qty[BOOK_ASK] != aq) {
		print_error("%s:%d: top want %llu@%u / %llu@%u, have %llu@%u / %llu@%u\n",
			    file, line, (unsigned long long)bq, bp,
			    (unsigned long long)aq, ap,
			    (unsigned long long)s->best_qty[0], s->best_px[0],
			    (unsigned long long)s->best_qty[1], s->best_px[1]);
		book_print(bs, loc, 20, stderr);
		fail();
	}
}

/* The refs at level (loc, side, px), front first, equal want[n]. */
#define assert_fifo(bs, loc, side, px, want, n) \
	assert_fifo_at((bs), (loc), (side), (px), (want), (n), __FILE__, __LINE__)
static void assert_fifo_at(const struct book_set *bs, uint16_t loc,
			   enum book_side side, uint32_t px, const uint64_t *want,
			   size_t n, const char *file, int line)
{
	const struct book_level *l = book_level_at(bs, loc, side, px);
	const struct book_order *o;
	size_t i = 0;
	bool ok = l != NULL;

	for (o = ok ? book_level_front(bs, l) : NULL; ok && o != NULL;
	     o = book_order_next(bs, o), i++)
		ok = i < n && o->ref == want[i];
	ok = ok && i == n;
	if (!ok) {
		print_error("%s:%d: FIFO at %u side %d differs (entry %zu)\n", file,
			    line, px, (int)side, i);
		book_print(bs, loc, 20, stderr);
		fail();
	}
}

/* ---- set-up and sizes --------------------------------------------------- */

static void test_memsize(void **state)
{
	struct book_cfg bad[] = {
		{ .max_orders = 0, .max_locate = 10 },
		{ .max_orders = BOOK_ORDERS_MAX + 1, .max_locate = 10 },
		{ .max_orders = 10, .max_locate = 0 },
		{ .max_orders = 10, .max_locate = 65536 },
	};
	struct book_cfg one_m = { .max_orders = 1u << 20, .max_locate = 65535 };
	struct book_cfg four_m = { .max_orders = 4u << 20, .max_levels = 1u << 20,
				   .max_locate = 65535 };
	struct book_cfg small = { .max_orders = 5, .max_locate = 3 };
	struct book_mem m;
	size_t i, total;
	struct book_set *bs;
	void *mis;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(book_memsize(&bad[i]), 0);
	assert_int_equal(book_memsize(NULL), 0);

	/* Capacity: the power of two >= 2 x max_orders; 8-byte slots and
	 * 32-byte orders. */
	total = book_memsize_detail(&one_m, &m);
	assert_int_equal(m.slots, 1u << 21);
	assert_int_equal(m.table, (size_t)16 << 20);
	assert_int_equal(m.orders, (size_t)32 << 20);
	assert_int_equal(m.levels, (size_t)32 << 20); /* default max_levels */
	assert_int_equal(total, m.total);
	assert_int_equal(m.header + m.syms + m.table + m.orders + m.levels + m.chunks,
			 total);
	print_message("order table+pool, 1M orders: %zu MiB (table %zu, pool %zu); "
		      "whole set %zu MiB\n", (m.table + m.orders) >> 20,
		      m.table >> 20, m.orders >> 20, total >> 20);
	total = book_memsize_detail(&four_m, &m);
	assert_int_equal(m.table, (size_t)64 << 20);
	assert_int_equal(m.orders, (size_t)128 << 20);
	assert_int_equal(m.levels, (size_t)32 << 20);
	print_message("order table+pool, 4M orders: %zu MiB (table %zu, pool %zu); "
		      "whole set with 1M levels %zu MiB\n", (m.table + m.orders) >> 20,
		      m.table >> 20, m.orders >> 20, total >> 20);

	/* Rounds 2 x 5 up to 16 slots; 5 levels by default. */
	book_memsize_detail(&small, &m);
	assert_int_equal(m.slots, 16);
	assert_int_equal(m.levels, 2 * CACHELINE * 2);

	bs = book_new(5, 0, 3);
	assert_int_equal(bs->max_levels, 5);
	assert_int_equal(bs->slot_mask, 15);
	assert_book_ok(bs, 1);
	assert_int_equal(book_init(NULL, &small), -EINVAL);
	mis = (char *)bs + 8;
	assert_int_equal(book_init(mis, &small), -EINVAL);
	assert_int_equal(book_init(bs, &bad[0]), -EINVAL);
	book_fini(NULL);
	book_free(bs);
}

/* ---- the scenario table ----------------------------------------------- */

enum sop { ADD, EXE, EXP, CAN, DEL, REP };

struct step {
	enum sop op;
	uint16_t loc;      /* ADD */
	uint64_t ref;      /* REP: old */
	uint64_t ref2;     /* REP: new */
	uint8_t side;      /* ADD */
	uint32_t shares;
	uint32_t px;       /* ADD, REP; EXP: execution price */
	int rc;
	uint32_t bid_px;   /* top of locate 1 after the step */
	uint64_t bid_qty;
	uint32_t ask_px;
	uint64_t ask_qty;
	unsigned flags;    /* book_change.flags when rc == 0 */
	uint32_t qty;      /* book_change.qty when rc == 0 */
};

#define O BOOK_CHG_ORDER
#define T BOOK_CHG_TOP
#define G BOOK_CHG_GONE
#define K BOOK_CHG_CLAMPED
#define L BOOK_CHG_LEVEL
#define S BOOK_CHG_STATE
/* crossed after the step: book_change.sym_flags' BOOK_SYM_CROSSED, shown
 * here as a flag bit the book does not use */
#define X (1u << 7)

static const struct step scenario[] = {
	/* op  loc ref ref2 side sh  px     rc               bid        ask         flags      qty */
	{ ADD, 1, 1, 0, 'B', 100, 10000, 0,              10000, 100, 0, 0,        O | T | L, 100 },
	{ ADD, 1, 2, 0, 'B', 50, 10000, 0,               10000, 150, 0, 0,        O | T, 50 },
	{ ADD, 1, 3, 0, 'B', 70, 9900, 0,                10000, 150, 0, 0,        O | L, 70 },
	{ ADD, 1, 4, 0, 'S', 30, 10100, 0,               10000, 150, 10100, 30,   O | T | L, 30 },
	{ ADD, 1, 5, 0, 'S', 40, 10200, 0,               10000, 150, 10100, 30,   O | L, 40 },
	/* E partial then the rest: resting price, priority kept */
	{ EXE, 0, 1, 0, 0, 40, 0, 0,                     10000, 110, 10100, 30,   O | T, 40 },
	{ EXE, 0, 1, 0, 0, 60, 0, 0,                     10000, 50, 10100, 30,    O | T | G, 60 },
	/* X partial, then full: the level goes, 9900 becomes best */
	{ CAN, 0, 2, 0, 0, 20, 0, 0,                     10000, 30, 10100, 30,    O | T, 20 },
	{ CAN, 0, 2, 0, 0, 30, 0, 0,                     9900, 70, 10100, 30,     O | T | G | L, 30 },
	/* C for more than the order has: clamped to 30, removed */
	{ EXP, 0, 4, 0, 0, 100, 10150, 0,                9900, 70, 10200, 40,     O | T | G | L | K, 30 },
	{ DEL, 0, 999, 0, 0, 0, 0, -BOOK_EUNKNOWN,       9900, 70, 10200, 40,     0, 0 },
	{ DEL, 0, 5, 0, 0, 0, 0, 0,                      9900, 70, 0, 0,          O | T | G | L, 40 },
	/* refusals change nothing */
	{ ADD, 1, 3, 0, 'B', 1, 9000, -BOOK_EDUP,        9900, 70, 0, 0,          0, 0 },
	{ ADD, 0, 20, 0, 'B', 1, 9000, -BOOK_ELOCATE,    9900, 70, 0, 0,          0, 0 },
	{ ADD, 9, 20, 0, 'B', 1, 9000, -BOOK_ELOCATE,    9900, 70, 0, 0,          0, 0 },
	{ ADD, 1, 20, 0, 'X', 1, 9000, -BOOK_ESIDE,      9900, 70, 0, 0,          0, 0 },
	{ ADD, 1, 20, 0, 'b', 1, 9000, -BOOK_ESIDE,      9900, 70, 0, 0,          0, 0 },
	{ ADD, 1, 20, 0, 'B', 0, 9000, -BOOK_EZERO,      9900, 70, 0, 0,          0, 0 },
	{ EXE, 0, 3, 0, 0, 0, 0, -BOOK_EZERO,            9900, 70, 0, 0,          0, 0 },
	{ CAN, 0, 3, 0, 0, 0, 0, -BOOK_EZERO,            9900, 70, 0, 0,          0, 0 },
	{ EXE, 0, 1, 0, 0, 5, 0, -BOOK_EUNKNOWN,         9900, 70, 0, 0,          0, 0 },
	{ CAN, 0, 77, 0, 0, 5, 0, -BOOK_EUNKNOWN,        9900, 70, 0, 0,          0, 0 },
	{ REP, 0, 3, 30, 0, 0, 9900, -BOOK_EZERO,        9900, 70, 0, 0,          0, 0 },
	{ REP, 0, 777, 778, 0, 5, 9900, -BOOK_EUNKNOWN,  9900, 70, 0, 0,          0, 0 },
	/* U keeps side and symbol, goes to the back (new priority) */
	{ ADD, 1, 6, 0, 'B', 10, 9900, 0,                9900, 80, 0, 0,          O | T, 10 },
	{ REP, 0, 3, 7, 0, 10, 9900, 0,                  9900, 20, 0, 0,          O | T, 10 },
	{ REP, 0, 7, 6, 0, 10, 9900, -BOOK_EDUP,         9900, 20, 0, 0,          0, 0 },
	/* crossing: set, stays, resolves */
	{ ADD, 1, 8, 0, 'S', 5, 9900, 0,                 9900, 20, 9900, 5,       O | T | L | S | X, 5 },
	{ ADD, 1, 9, 0, 'S', 5, 9800, 0,                 9900, 20, 9800, 5,       O | T | L | X, 5 },
	/* while crossed, the updates that keep both best prices leave the
	 * crossed state alone (no S): at the best price, at a level that is
	 * not the best, a new level that is not the best; a best level that
	 * stays, one that is not the best staying or going */
	{ ADD, 1, 11, 0, 'S', 4, 9800, 0,                9900, 20, 9800, 9,       O | T | X, 4 },
	{ ADD, 1, 12, 0, 'S', 3, 9950, 0,                9900, 20, 9800, 9,       O | L | X, 3 },
	{ ADD, 1, 13, 0, 'S', 2, 9900, 0,                9900, 20, 9800, 9,       O | X, 2 },
	{ ADD, 1, 14, 0, 'B', 6, 9900, 0,                9900, 26, 9800, 9,       O | T | X, 6 },
	{ EXE, 0, 11, 0, 0, 1, 0, 0,                     9900, 26, 9800, 8,       O | T | X, 1 },
	{ CAN, 0, 14, 0, 0, 6, 0, 0,                     9900, 20, 9800, 8,       O | T | G | X, 6 },
	{ DEL, 0, 11, 0, 0, 0, 0, 0,                     9900, 20, 9800, 5,       O | T | G | X, 3 },
	{ DEL, 0, 13, 0, 0, 0, 0, 0,                     9900, 20, 9800, 5,       O | G | X, 2 },
	{ DEL, 0, 12, 0, 0, 0, 0, 0,                     9900, 20, 9800, 5,       O | G | L | X, 3 },
	{ DEL, 0, 9, 0, 0, 0, 0, 0,                      9900, 20, 9900, 5,       O | T | G | L | X, 5 },
	{ DEL, 0, 8, 0, 0, 0, 0, 0,                      9900, 20, 0, 0,          O | T | G | L | S, 5 },
	/* U to a better price: new best, old level keeps ref 7 */
	{ REP, 0, 6, 10, 0, 25, 10500, 0,                10500, 25, 0, 0,         O | T | L, 25 },
	/* U reusing its own reference */
	{ REP, 0, 10, 10, 0, 30, 10400, 0,               10400, 30, 0, 0,         O | T | L, 30 },
};

#undef O
#undef T
#undef G
#undef K
#undef L
#undef S
#undef X

static int run_step(struct book_set *bs, const struct step *s, struct book_change *c)
{
	switch (s->op) {
	case ADD: return book_apply_add(bs, s->loc, s->ref, s->side, s->shares,
					s->px, "TEST    ", c);
	case EXE: return book_apply_exec(bs, s->ref, s->shares, c);
	case EXP: return book_apply_exec_px(bs, s->ref, s->shares, s->px, c);
	case CAN: return book_apply_cancel(bs, s->ref, s->shares, c);
	case DEL: return book_apply_delete(bs, s->ref, c);
	case REP: return book_apply_replace(bs, s->ref, s->ref2, s->shares, s->px, c);
	}
	return -1;
}

static void test_scenario(void **state)
{
	struct book_set *bs = book_new(64, 0, 8);
	uint64_t rejected = 0;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(scenario); i++) {
		const struct step *s = &scenario[i];
		struct book_change c;
		int rc;

		memset(&c, 0xa5, sizeof(c));
		rc = run_step(bs, s, &c);
		if (rc != s->rc) {
			print_error("step %zu: rc %d (%s), want %d\n", i, rc,
				    book_reason_name(rc), s->rc);
			book_print(bs, 1, 20, stderr);
			fail();
		}
		assert_top(bs, 1, s->bid_px, s->bid_qty, s->ask_px, s->ask_qty);
		assert_book_ok(bs, 1);
		if (rc != 0) {
			rejected++;
			assert_int_equal(c.flags, 0xa5); /* untouched */
			continue;
		}
		if ((c.flags | (c.sym_flags & BOOK_SYM_CROSSED ? 1u << 7 : 0u)) != s->flags ||
		    c.qty != s->qty) {
			print_error("step %zu: flags %#x qty %u, want %#x %u\n", i,
				    c.flags, c.qty, s->flags, s->qty);
			fail();
		}
		assert_int_equal(c.locate, 1);
		assert_int_equal(c.bid_px, s->bid_px);
		assert_int_equal(c.bid_qty, s->bid_qty);
		assert_int_equal(c.ask_px, s->ask_px);
		assert_int_equal(c.ask_qty, s->ask_qty);
		assert_int_equal(c.ref, s->op == REP ? s->ref2 : s->ref);
		/* the symbol's flags as the update left them */
		assert_int_equal(c.sym_flags, book_sym_get(bs, 1)->flags);
	}
	/* refusals counted by reason */
	assert_int_equal(bs->cnt.rejected[BOOK_EUNKNOWN], 4);
	assert_int_equal(bs->cnt.rejected[BOOK_EDUP], 2);
	assert_int_equal(bs->cnt.rejected[BOOK_ELOCATE], 2);
	assert_int_equal(bs->cnt.rejected[BOOK_ESIDE], 2);
	assert_int_equal(bs->cnt.rejected[BOOK_EZERO], 4);
	{
		uint64_t sum = 0;
		for (i = 0; i < BOOK_REASONS; i++)
			sum += bs->cnt.rejected[i];
		assert_int_equal(sum, rejected);
	}
	assert_int_equal(bs->cnt.clamped, 1);
	assert_int_equal(bs->cnt.crossed, 1);
	assert_int_equal(bs->cnt.applied[BOOK_OP_ADD], 12);
	assert_int_equal(bs->cnt.applied[BOOK_OP_REPLACE], 3);
	assert_int_equal(bs->cnt.orders_live, 2);
	{
		const uint64_t at9900[] = { 7 };
		const uint64_t at10400[] = { 10 };

		assert_fifo(bs, 1, BOOK_BID, 9900, at9900, 1);
		assert_fifo(bs, 1, BOOK_BID, 10400, at10400, 1);
	}
	assert_null(book_order_find(bs, 3));
	assert_null(book_order_find(bs, 6));
	book_free(bs);
}

/* ---- FIFO, depth, replace ---------------------------------------------- */

static void test_fifo_priority(void **state)
{
	struct book_set *bs = book_new(64, 0, 4);
	struct book_change c;
	uint64_t r;

	(void)state;
	for (r = 1; r <= 5; r++)
		assert_int_equal(book_apply_add(bs, 2, r, 'S', (uint32_t)(10 * r),
						5000, NULL, &c), 0);
	{
		const uint64_t want[] = { 1, 2, 3, 4, 5 };
		assert_fifo(bs, 2, BOOK_ASK, 5000, want, 5);
	}
	/* partial execution and cancel keep priority */
	assert_int_equal(book_apply_exec(bs, 1, 3, &c), 0);
	assert_int_equal(c.exec_px, 5000);
	assert_int_equal(book_apply_cancel(bs, 3, 10, &c), 0);
	assert_int_equal(c.exec_px, 0);
	{
		const uint64_t want[] = { 1, 2, 3, 4, 5 };
		assert_fifo(bs, 2, BOOK_ASK, 5000, want, 5);
	}
	assert_int_equal(book_order_find(bs, 1)->shares, 7);
	assert_int_equal(book_order_find(bs, 3)->shares, 20);
	/* removal from the middle and the front */
	assert_int_equal(book_apply_delete(bs, 3, &c), 0);
	assert_int_equal(book_apply_exec(bs, 1, 7, &c), 0);
	assert_true(c.flags & BOOK_CHG_GONE);
	{
		const uint64_t want[] = { 2, 4, 5 };
		assert_fifo(bs, 2, BOOK_ASK, 5000, want, 3);
	}
	/* replace at the same price goes to the back */
	assert_int_equal(book_apply_replace(bs, 2, 20, 15, 5000, &c), 0);
	assert_int_equal(c.old_px, 5000);
	assert_int_equal(c.old_qty, 20);
	{
		const uint64_t want[] = { 4, 5, 20 };
		assert_fifo(bs, 2, BOOK_ASK, 5000, want, 3);
	}
	/* replace to another price joins that level's back, leaves this one */
	assert_int_equal(book_apply_add(bs, 2, 30, 'S', 1, 4900, NULL, &c), 0);
	assert_int_equal(book_apply_replace(bs, 4, 40, 8, 4900, &c), 0);
	assert_int_equal(c.px, 4900);
	assert_int_equal(c.side, 'S');
	assert_int_equal(c.locate, 2);
	{
		const uint64_t a[] = { 30, 40 };
		const uint64_t b[] = { 5, 20 };
		assert_fifo(bs, 2, BOOK_ASK, 4900, a, 2);
		assert_fifo(bs, 2, BOOK_ASK, 5000, b, 2);
	}
	assert_int_equal(book_order_find(bs, 40)->px, 4900);
	assert_top(bs, 2, 0, 0, 4900, 9);
	assert_book_ok(bs, 2);
	book_free(bs);
}

/* Random removals at the front, middle and back of two levels' FIFOs
 * (D, E/X in full, U to the back of either level), mixed with appends,
 * against a model list of each level: the front is found through the
 * level's head, never through a prev link (level_unlink), and every
 * other link must stay exact. FIFOs and book_check after every step. */
#define FE_MAX 24
static void test_fifo_ends(void **state)
{
	struct book_set *bs = book_new(256, 0, 2);
	static const uint32_t pxs[2] = { 5000, 5100 };
	uint64_t model[2][FE_MAX], next_ref = 1;
	uint32_t n[2] = { 0, 0 }, step, ends[3] = { 0, 0, 0 };
	struct book_change c;

	(void)state;
	rng_state = 0xf1f0;
	for (step = 0; step < 4000; step++) {
		uint32_t v = rnd(2), r = rnd(100), i, at, w;
		uint64_t ref;

		if (n[v] == 0 || (r < 45 && n[v] < FE_MAX)) {
			assert_int_equal(book_apply_add(bs, 1, next_ref, 'B', 1 + rnd(9),
							pxs[v], NULL, &c), 0);
			model[v][n[v]++] = next_ref++;
		} else {
			/* the front half the time, else the back or the middle */
			at = r < 70 ? 0 : r < 85 ? n[v] - 1 : rnd(n[v]);
			ends[at == 0 ? 0 : at == n[v] - 1 ? 2 : 1]++;
			ref = model[v][at];
			for (i = at; i + 1 < n[v]; i++)
				model[v][i] = model[v][i + 1];
			n[v]--;
			w = rnd(4);
			if (w == 0) {
				assert_int_equal(book_apply_delete(bs, ref, &c), 0);
			} else if (w == 1) {
				assert_int_equal(book_apply_exec(bs, ref, 1000, &c), 0);
			} else if (w == 2) {
				assert_int_equal(book_apply_cancel(bs, ref, 1000, &c), 0);
			} else {
				uint32_t to = n[1 - v] < FE_MAX ? rnd(2) : v;

				assert_true(n[to] < FE_MAX);
				assert_int_equal(book_apply_replace(bs, ref, next_ref, 1 + rnd(9),
								    pxs[to], &c), 0);
				model[to][n[to]++] = next_ref++;
			}
			assert_true(c.flags & BOOK_CHG_GONE || w == 3);
		}
		for (v = 0; v < 2; v++)
			if (n[v] > 0)
				assert_fifo(bs, 1, BOOK_BID, pxs[v], model[v], n[v]);
			else
				assert_null(book_level_at(bs, 1, BOOK_BID, pxs[v]));
		assert_book_ok(bs, 1);
	}
	/* every kind of removal was taken many times */
	assert_true(ends[0] > 500 && ends[1] > 100 && ends[2] > 100);
	book_free(bs);
}

/* The add prefetch (the feed's lookahead) follows the add's path: at the
 * best price, the best level and then its last order; elsewhere the best
 * chunk, whose scan finds the price's level when it is there; nothing for
 * an empty side or a locate out of range. Prefetching changes no state:
 * the book stays consistent. */
/* book_warm changes no byte of the set: fresh, with records on the free
 * lists and never-used ones left, with pools used up, and for symbols
 * out of range. */
static void test_warm_reads_only(void **state)
{
	struct book_cfg cfg = { .max_orders = 40, .max_levels = 0, .max_locate = 4 };
	const uint16_t locs[] = { 1, 4, 0, 5, 65535 };
	size_t sz = book_memsize(&cfg);
	struct book_set *bs = book_new(cfg.max_orders, 0, cfg.max_locate);
	uint8_t *copy = malloc(sz);
	struct book_change c;
	(void)state;

	assert_non_null(copy);
	for (int round = 0; round < 3; round++) {
		memcpy(copy, bs, sz);
		book_warm(bs, locs, 5);
		book_warm(bs, NULL, 0);
		assert_memory_equal(bs, copy, sz);
		/* round 0 -> 1: 20 orders on 20 levels, half then deleted
		 * (free lists and fresh records); 1 -> 2: the pool full */
		for (uint64_t r = 1; r <= (round ? 40u : 20u); r++)
			(void)book_apply_add(bs, 1, 100 * (uint64_t)round + r, r & 1 ? 'B' : 'S', 100,
					     r & 1 ? 5000 - 10 * (uint32_t)r : 6000 + 10 * (uint32_t)r,
					     NULL, &c);
		for (uint64_t r = 1; round == 0 && r <= 20; r += 2)
			assert_int_equal(book_apply_delete(bs, r, &c), 0);
	}
	assert_int_equal(bs->order_fresh, cfg.max_orders);
	book_warm(NULL, locs, 5);
	free(copy);
	book_free(bs);
}

/* Two fresh book sets with cfg, for updates fed to both; returns the
 * size of each block (for assert_twins_equal). */
static size_t twins_new(const struct book_cfg *cfg, struct book_set **a, struct book_set **b)
{
	*a = book_new(cfg->max_orders, cfg->max_levels, cfg->max_locate);
	*b = book_new(cfg->max_orders, cfg->max_levels, cfg->max_locate);
	return book_memsize(cfg);
}

/* Every byte of the twins equal but the header's own pointers (each set's
 * block): the header from slot_mask on, and the block after it. */
static void assert_twins_equal(const struct book_set *a, const struct book_set *b, size_t sz)
{
	assert_memory_equal(&a->slot_mask, &b->slot_mask,
			    sizeof(*a) - offsetof(struct book_set, slot_mask));
	assert_memory_equal((const uint8_t *)a + sizeof(*a), (const uint8_t *)b + sizeof(*b),
			    sz - sizeof(*a));
}

/* book_prime gives the empty free lists their batch ahead of the first
 * add: every update's result and change record, and at the end every byte
 * of the set, are those of an unprimed set fed the same updates. The small
 * pools run dry along the way (refills inside adds and replaces, refusals
 * when full), and the first updates are refused ones. */
static void test_prime_same_updates(void **state)
{
	struct book_cfg cfg = { .max_orders = 48, .max_levels = 20, .max_locate = 3 };
	struct book_set *a, *b;
	size_t sz = twins_new(&cfg, &a, &b);
	struct book_change ca, cb;
	uint64_t x = 12345;
	uint32_t refused = 0, adds = 0;
	(void)state;

	book_prime(a);
	book_prime(NULL);
	assert_int_not_equal(a->order_free, BOOK_NIL);
	assert_int_equal(b->order_free, BOOK_NIL);
	for (int i = 0; i < 4000; i++) {
		uint64_t ref, r2;
		uint32_t px, q;
		int op, ra, rb;

		x = x * 6364136223846793005u + 1442695040888963407u;
		op = i < 3 ? 4 : (int)(x >> 60) % 5;
		ref = 1 + (x >> 20) % 80;
		r2 = 1 + (x >> 30) % 80;
		px = 10000 + 100 * (uint32_t)((x >> 40) % 30);
		q = 1 + (uint32_t)((x >> 50) % 300);
		memset(&ca, 0x5a, sizeof(ca));
		memset(&cb, 0x5a, sizeof(cb));
		switch (op) {
		case 0:
		case 1:
			ra = book_apply_add(a, (uint16_t)(1 + ref % 3), ref, ref & 1 ? 'B' : 'S', q, px,
					    NULL, &ca);
			rb = book_apply_add(b, (uint16_t)(1 + ref % 3), ref, ref & 1 ? 'B' : 'S', q, px,
					    NULL, &cb);
			adds += ra == 0;
			break;
		case 2:
			ra = book_apply_replace(a, ref, r2, q, px, &ca);
			rb = book_apply_replace(b, ref, r2, q, px, &cb);
			break;
		case 3:
			ra = book_apply_exec(a, ref, q, &ca);
			rb = book_apply_exec(b, ref, q, &cb);
			break;
		default:
			ra = book_apply_delete(a, ref, &ca);
			rb = book_apply_delete(b, ref, &cb);
			break;
		}
		assert_int_equal(ra, rb);
		assert_memory_equal(&ca, &cb, sizeof(ca));
		refused += ra != 0;
	}
	assert_true(adds > 100);
	assert_true(a->cnt.rejected[BOOK_EORDERS] + a->cnt.rejected[BOOK_ELEVELS] > 0);
	assert_true(refused > 0);
	assert_twins_equal(a, b, sz);
	book_free(a);
	book_free(b);
}

/* The feed's forms of the updates: book_apply_add_msg (the A/F message's
 * wire bytes, the reference's hash given) and book_apply_*_hashed give
 * exactly what book_apply_add and the others give on a twin book, refusals
 * included (bad locate, side and shares, duplicates, full pools); a hash
 * that is not the reference's finds no order and changes nothing. */
static void test_hashed_forms(void **state)
{
	struct book_cfg cfg = { .max_orders = 40, .max_levels = 16, .max_locate = 3 };
	struct book_set *a, *b;
	size_t sz = twins_new(&cfg, &a, &b);
	struct book_change ca, cb;
	uint64_t x = 777;
	uint32_t refused = 0, applied = 0;
	(void)state;

	for (int i = 0; i < 6000; i++) {
		struct itch_msg m;
		uint8_t wire[64];
		uint64_t ref, r2;
		uint32_t px, q, h;
		uint16_t loc;
		int op, ra, rb;

		x = x * 6364136223846793005u + 1442695040888963407u;
		op = (int)(x >> 59) % 7;
		ref = 1 + (x >> 20) % 70;
		r2 = 1 + (x >> 30) % 70;
		px = 10000 + 100 * (uint32_t)((x >> 40) % 25);
		q = (uint32_t)((x >> 50) % 300); /* 0 now and then: refused */
		loc = (uint16_t)((x >> 12) % 5); /* 0 and 4: refused */
		h = book_hash32(b, ref);
		memset(&ca, 0x5a, sizeof(ca));
		memset(&cb, 0x5a, sizeof(cb));
		switch (op) {
		case 0:
		case 1:
		case 2:
			memset(&m, 0, sizeof(m));
			m.type = op == 2 ? 'F' : 'A';
			m.locate = loc;
			m.add.ref = ref;
			m.add.side = (x & 0xff) == 7 ? 'X' : (ref & 1 ? 'B' : 'S');
			m.add.shares = q;
			m.add.price = px;
			memcpy(m.add.stock, "ABC     ", 8);
			assert_true(itch_encode(&m, wire, sizeof(wire)) > 0);
			ra = book_apply_add(a, loc, ref, m.add.side, q, px, m.add.stock, &ca);
			rb = book_apply_add_msg(b, wire, h, &cb);
			break;
		case 3:
			ra = book_apply_replace(a, ref, r2, q, px, &ca);
			rb = book_apply_replace_hashed(b, ref, h, r2, q, px, &cb);
			break;
		case 4:
			ra = book_apply_exec(a, ref, q, &ca);
			rb = book_apply_exec_hashed(b, ref, h, q, &cb);
			break;
		case 5:
			if (x & 0x100) {
				ra = book_apply_cancel(a, ref, q, &ca);
				rb = book_apply_cancel_hashed(b, ref, h, q, &cb);
			} else {
				ra = book_apply_exec_px(a, ref, q, px, &ca);
				rb = book_apply_exec_px_hashed(b, ref, h, q, px, &cb);
			}
			break;
		default:
			ra = book_apply_delete(a, ref, &ca);
			rb = book_apply_delete_hashed(b, ref, h, &cb);
			break;
		}
		assert_int_equal(ra, rb);
		if (ra == 0)
			assert_memory_equal(&ca, &cb, sizeof(ca));
		refused += ra != 0;
		applied += ra == 0;
	}
	assert_true(applied > 1000);
	assert_true(a->cnt.rejected[BOOK_ELOCATE] > 0 && a->cnt.rejected[BOOK_EZERO] > 0 &&
		    a->cnt.rejected[BOOK_ESIDE] > 0 && a->cnt.rejected[BOOK_EDUP] > 0 &&
		    a->cnt.rejected[BOOK_EUNKNOWN] > 0 &&
		    a->cnt.rejected[BOOK_EORDERS] + a->cnt.rejected[BOOK_ELEVELS] > 0);
	assert_true(refused > 0);
	assert_book_ok(b, 1);
	assert_twins_equal(a, b, sz);

	/* a live order under another hash: not found, nothing changed */
	for (uint64_t r = 1; r <= 70; r++) {
		const struct book_order *o = book_order_find(b, r);
		uint32_t wrong = book_hash32(b, r) + 1;

		if (!o)
			continue;
		assert_int_equal(book_apply_delete_hashed(b, r, wrong, &cb), -BOOK_EUNKNOWN);
		assert_int_equal(book_apply_exec_hashed(b, r, wrong, 1, &cb), -BOOK_EUNKNOWN);
		assert_int_equal(book_apply_replace_hashed(b, r, wrong, r, 1, 10000, &cb),
				 -BOOK_EUNKNOWN);
		assert_ptr_equal(book_order_find(b, r), o);
	}
	assert_book_ok(b, 1);
	book_free(a);
	book_free(b);
}

static void test_prefetch_add(void **state)
{
	struct book_set *bs = book_new(256, 0, 4);
	const struct book_sym *s;
	struct book_change c;
	uint32_t idx = BOOK_NIL;

	(void)state;
	assert_int_equal(book_prefetch_add_top(bs, 1, 'B', 5000, &idx), BOOK_PF_ADD_NONE);
	assert_int_equal(book_prefetch_add_top(bs, 5, 'B', 5000, &idx), BOOK_PF_ADD_NONE);
	assert_int_equal(book_prefetch_add_top(bs, 65535, 'S', 5000, &idx), BOOK_PF_ADD_NONE);
	assert_int_equal(book_apply_add(bs, 1, 1, 'B', 100, 5000, NULL, &c), 0);
	assert_int_equal(book_apply_add(bs, 1, 2, 'B', 100, 4900, NULL, &c), 0);
	assert_int_equal(book_apply_add(bs, 1, 3, 'S', 100, 5100, NULL, &c), 0);
	s = book_sym_get(bs, 1);
	assert_int_equal(book_prefetch_add_top(bs, 1, 'B', 5000, &idx), BOOK_PF_ADD_LEVEL);
	assert_int_equal(idx, s->best_lvl[BOOK_BID]);
	book_prefetch_add_next(bs, BOOK_PF_ADD_LEVEL, idx, 'B', 5000);
	assert_int_equal(book_prefetch_add_top(bs, 1, 'S', 5100, &idx), BOOK_PF_ADD_LEVEL);
	assert_int_equal(idx, s->best_lvl[BOOK_ASK]);
	/* off the best (deeper, new, or better than it): the chunk */
	assert_int_equal(book_prefetch_add_top(bs, 1, 'B', 4900, &idx), BOOK_PF_ADD_CHUNK);
	assert_int_equal(idx, s->best_chunk[BOOK_BID]);
	book_prefetch_add_next(bs, BOOK_PF_ADD_CHUNK, idx, 'B', 4900);
	book_prefetch_add_next(bs, BOOK_PF_ADD_CHUNK, idx, 'B', 4800);
	assert_int_equal(book_prefetch_add_top(bs, 1, 'S', 5200, &idx), BOOK_PF_ADD_CHUNK);
	assert_int_equal(idx, s->best_chunk[BOOK_ASK]);
	book_prefetch_add_next(bs, BOOK_PF_ADD_CHUNK, idx, 'S', 5200);
	assert_int_equal(book_prefetch_add_top(bs, 2, 'S', 5100, &idx), BOOK_PF_ADD_NONE);
	/* a stale answer (the level and chunk went since): a wasted load */
	assert_int_equal(book_prefetch_add_top(bs, 1, 'B', 4900, &idx), BOOK_PF_ADD_CHUNK);
	assert_int_equal(book_apply_delete(bs, 2, &c), 0);
	assert_int_equal(book_apply_delete(bs, 1, &c), 0);
	book_prefetch_add_next(bs, BOOK_PF_ADD_CHUNK, idx, 'B', 4900);
	assert_int_equal(book_prefetch_add_top(bs, 1, 'B', 4900, &idx), BOOK_PF_ADD_NONE);
	assert_book_ok(bs, 1);
	assert_int_equal(book_apply_add(bs, 1, 4, 'B', 100, 4900, NULL, &c), 0);
	assert_book_ok(bs, 1);
	book_free(bs);
}

/* U of the only order at a price, to the same price: the level stays where
 * it is (same record) with the new size, reported as a level change as
 * when it is taken away and made again; the top follows. */
static void test_replace_alone(void **state)
{
	struct book_set *bs = book_new(64, 0, 4);
	const struct book_level *l;
	struct book_change c;

	(void)state;
	assert_int_equal(book_apply_add(bs, 3, 1, 'B', 100, 5000, NULL, &c), 0);
	assert_int_equal(book_apply_add(bs, 3, 2, 'B', 50, 4900, NULL, &c), 0);
	assert_int_equal(book_apply_add(bs, 3, 3, 'S', 70, 5100, NULL, &c), 0);
	l = book_level_at(bs, 3, BOOK_BID, 5000);
	assert_non_null(l);
	assert_int_equal(book_apply_replace(bs, 1, 10, 300, 5000, &c), 0);
	assert_ptr_equal(book_level_at(bs, 3, BOOK_BID, 5000), l);
	assert_int_equal(l->shares, 300);
	assert_int_equal(l->count, 1);
	assert_int_equal(c.flags & (BOOK_CHG_LEVEL | BOOK_CHG_TOP | BOOK_CHG_ORDER),
			 BOOK_CHG_LEVEL | BOOK_CHG_TOP | BOOK_CHG_ORDER);
	assert_int_equal(c.old_qty, 100);
	assert_int_equal(c.bid_qty, 300);
	assert_null(book_order_find(bs, 1));
	assert_int_equal(book_order_find(bs, 10)->shares, 300);
	assert_top(bs, 3, 5000, 300, 5100, 70);
	/* the same below the top: the top stays */
	assert_int_equal(book_apply_replace(bs, 2, 20, 60, 4900, &c), 0);
	assert_int_equal(c.flags & (BOOK_CHG_LEVEL | BOOK_CHG_TOP),
			 BOOK_CHG_LEVEL);
	assert_int_equal(book_level_at(bs, 3, BOOK_BID, 4900)->shares, 60);
	assert_top(bs, 3, 5000, 300, 5100, 70);
	/* alone, to another price: the old level goes, the order joins the
	 * back of the new one */
	assert_int_equal(book_apply_replace(bs, 20, 21, 5, 5000, &c), 0);
	assert_null(book_level_at(bs, 3, BOOK_BID, 4900));
	{
		const uint64_t want[] = { 10, 21 };
		assert_fifo(bs, 3, BOOK_BID, 5000, want, 2);
	}
	assert_top(bs, 3, 5000, 305, 5100, 70);
	/* and the same reference: allowed, a new size */
	assert_int_equal(book_apply_replace(bs, 3, 3, 90, 5100, &c), 0);
	assert_top(bs, 3, 5000, 305, 5100, 90);
	assert_book_ok(bs, 3);
	book_free(bs);
}

/* U at the same price keeps the level and puts the order at its back,
 * with no search of the ladder: from the middle, the front and the back
 * of a level of several (the back: only the size changes), at the best
 * level and below it. */
static void test_replace_same_price(void **state)
{
	/* references 1..6: three asks at 7000, two at 7100, a bid */
	static const uint32_t adds[][2] = {
		{ 10, 7000 }, { 20, 7000 }, { 30, 7000 }, { 40, 7100 }, { 50, 7100 }, { 5, 6900 },
	};
	struct book_set *bs = book_new(64, 0, 4);
	const struct book_level *l;
	struct book_change c;
	uint32_t i;

	(void)state;
	for (i = 0; i < 6; i++)
		assert_int_equal(book_apply_add(bs, 2, i + 1, i < 5 ? 'S' : 'B', adds[i][0],
						adds[i][1], NULL, &c), 0);
	l = book_level_at(bs, 2, BOOK_ASK, 7000);
	/* the middle one to the back */
	assert_int_equal(book_apply_replace(bs, 2, 12, 25, 7000, &c), 0);
	assert_int_equal(c.flags & (BOOK_CHG_LEVEL | BOOK_CHG_TOP), BOOK_CHG_TOP);
	{
		const uint64_t want[] = { 1, 3, 12 };
		assert_fifo(bs, 2, BOOK_ASK, 7000, want, 3);
	}
	assert_ptr_equal(book_level_at(bs, 2, BOOK_ASK, 7000), l);
	assert_int_equal(l->count, 3);
	assert_int_equal(l->shares, 65);
	assert_top(bs, 2, 6900, 5, 7000, 65);
	assert_int_equal(c.ask_qty, 65);
	assert_int_equal(c.old_qty, 20);
	/* the front one to the back: the next is the front */
	assert_int_equal(book_apply_replace(bs, 1, 11, 1, 7000, &c), 0);
	{
		const uint64_t want[] = { 3, 12, 11 };
		assert_fifo(bs, 2, BOOK_ASK, 7000, want, 3);
	}
	assert_top(bs, 2, 6900, 5, 7000, 56);
	assert_book_ok(bs, 2);
	/* the back one: stays the back, only its size changes */
	assert_int_equal(book_apply_replace(bs, 11, 13, 9, 7000, &c), 0);
	assert_int_equal(c.flags & (BOOK_CHG_LEVEL | BOOK_CHG_TOP), BOOK_CHG_TOP);
	{
		const uint64_t want[] = { 3, 12, 13 };
		assert_fifo(bs, 2, BOOK_ASK, 7000, want, 3);
	}
	assert_int_equal(l->count, 3);
	assert_top(bs, 2, 6900, 5, 7000, 64);
	/* the same size back at the back: the top stays */
	assert_int_equal(book_apply_replace(bs, 13, 14, 9, 7000, &c), 0);
	assert_int_equal(c.flags & (BOOK_CHG_LEVEL | BOOK_CHG_TOP), 0);
	assert_int_equal(c.ask_qty, 64);
	/* and from the front with the same size: the top stays too */
	assert_int_equal(book_apply_replace(bs, 3, 15, 30, 7000, &c), 0);
	assert_int_equal(c.flags & (BOOK_CHG_LEVEL | BOOK_CHG_TOP), 0);
	{
		const uint64_t want[] = { 12, 14, 15 };
		assert_fifo(bs, 2, BOOK_ASK, 7000, want, 3);
	}
	/* below the best: front, then back; the top stays */
	assert_int_equal(book_apply_replace(bs, 4, 16, 44, 7100, &c), 0);
	assert_int_equal(c.flags & (BOOK_CHG_LEVEL | BOOK_CHG_TOP), 0);
	assert_int_equal(book_apply_replace(bs, 16, 17, 1, 7100, &c), 0);
	assert_int_equal(c.flags & (BOOK_CHG_LEVEL | BOOK_CHG_TOP), 0);
	{
		const uint64_t want[] = { 5, 17 };
		assert_fifo(bs, 2, BOOK_ASK, 7100, want, 2);
	}
	assert_int_equal(book_level_at(bs, 2, BOOK_ASK, 7100)->shares, 51);
	assert_top(bs, 2, 6900, 5, 7000, 64);
	/* the FIFO still works from both ends: execute the front, delete
	 * the back */
	assert_int_equal(book_apply_exec(bs, 12, 25, &c), 0);
	assert_int_equal(book_apply_delete(bs, 15, &c), 0);
	{
		const uint64_t want[] = { 14 };
		assert_fifo(bs, 2, BOOK_ASK, 7000, want, 1);
	}
	assert_top(bs, 2, 6900, 5, 7000, 9);
	assert_book_ok(bs, 2);
	book_free(bs);
}

static void test_depth(void **state)
{
	struct book_set *bs = book_new(256, 0, 4);
	struct book_depth_level d[16];
	struct book_change c;
	static const struct { uint8_t side; uint32_t px, sh; } adds[] = {
		{ 'B', 100, 5 }, { 'B', 103, 7 }, { 'B', 101, 1 }, { 'B', 103, 2 },
		{ 'B', 99, 4 },  { 'B', 101, 6 }, { 'S', 110, 3 }, { 'S', 105, 9 },
		{ 'S', 107, 1 }, { 'S', 105, 1 }, { 'S', 120, 8 },
	};
	size_t i;
	uint32_t n;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(adds); i++)
		assert_int_equal(book_apply_add(bs, 3, 100 + i, adds[i].side,
						adds[i].sh, adds[i].px, NULL, &c), 0);
	n = book_depth(bs, 3, BOOK_BID, d, 16);
	assert_int_equal(n, 4);
	assert_int_equal(d[0].px, 103); assert_int_equal(d[0].shares, 9); assert_int_equal(d[0].orders, 2);
	assert_int_equal(d[1].px, 101); assert_int_equal(d[1].shares, 7); assert_int_equal(d[1].orders, 2);
	assert_int_equal(d[2].px, 100); assert_int_equal(d[2].shares, 5); assert_int_equal(d[2].orders, 1);
	assert_int_equal(d[3].px, 99);  assert_int_equal(d[3].shares, 4); assert_int_equal(d[3].orders, 1);
	n = book_depth(bs, 3, BOOK_ASK, d, 2); /* top N only */
	assert_int_equal(n, 2);
	assert_int_equal(d[0].px, 105); assert_int_equal(d[0].shares, 10); assert_int_equal(d[0].orders, 2);
	assert_int_equal(d[1].px, 107); assert_int_equal(d[1].shares, 1);
	assert_int_equal(book_depth(bs, 3, BOOK_ASK, d, 16), 4);
	assert_int_equal(d[3].px, 120);
	assert_int_equal(book_depth(bs, 2, BOOK_ASK, d, 16), 0);
	assert_int_equal(book_depth(bs, 9, BOOK_ASK, d, 16), 0);
	assert_int_equal(book_depth(bs, 3, BOOK_BID, d, 0), 0);
	assert_int_equal(book_sym_get(bs, 3)->nlevels[BOOK_BID], 4);
	assert_int_equal(book_sym_get(bs, 3)->norders, 11);
	assert_null(book_level_at(bs, 3, BOOK_BID, 102));
	assert_int_equal(book_level_at(bs, 3, BOOK_BID, 101)->shares, 7);
	assert_top(bs, 3, 103, 9, 105, 10);
	book_free(bs);
}

/* ---- pools -------------------------------------------------------------- */

static void test_pools_full(void **state)
{
	struct book_set *bs = book_new(8, 3, 2);
	struct book_change c;
	uint64_t r;

	(void)state;
	/* orders: 8 fit on 3 levels, the 9th is refused and changes nothing */
	for (r = 1; r <= 8; r++)
		assert_int_equal(book_apply_add(bs, 1, r, 'B', 1, 100 + (uint32_t)(r % 3),
						NULL, &c), 0);
	assert_int_equal(book_apply_add(bs, 1, 9, 'B', 1, 100, NULL, &c), -BOOK_EORDERS);
	assert_int_equal(bs->cnt.rejected[BOOK_EORDERS], 1);
	assert_null(book_order_find(bs, 9));
	assert_book_ok(bs, 1);
	/* deletes free space again */
	assert_int_equal(book_apply_delete(bs, 4, &c), 0);
	assert_int_equal(book_apply_add(bs, 1, 9, 'B', 1, 100, NULL, &c), 0);
	assert_int_equal(bs->cnt.orders_live, 8);
	assert_int_equal(bs->cnt.orders_peak, 8);
	assert_book_ok(bs, 1);

	/* levels: 3 in use; a 4th price is refused, also on another symbol */
	assert_int_equal(book_apply_delete(bs, 9, &c), 0);
	assert_int_equal(book_apply_add(bs, 1, 10, 'B', 1, 200, NULL, &c), -BOOK_ELEVELS);
	assert_int_equal(book_apply_add(bs, 2, 10, 'S', 1, 200, NULL, &c), -BOOK_ELEVELS);
	assert_int_equal(book_apply_add(bs, 1, 10, 'B', 1, 101, NULL, &c), 0);
	assert_int_equal(bs->cnt.rejected[BOOK_ELEVELS], 2);
	/* U all or nothing: to a new price while the old level stays -> refused */
	assert_int_equal(book_apply_replace(bs, 10, 11, 1, 300, &c), -BOOK_ELEVELS);
	assert_non_null(book_order_find(bs, 10));
	assert_null(book_order_find(bs, 11));
	/* ... but allowed when the order was alone at its level */
	for (r = 2; r <= 8; r += 3)
		assert_int_equal(book_apply_delete(bs, r, &c), 0);
	assert_null(book_level_at(bs, 1, BOOK_BID, 102));
	assert_int_equal(book_apply_add(bs, 1, 12, 'B', 1, 102, NULL, &c), 0);
	assert_int_equal(book_apply_replace(bs, 12, 13, 4, 300, &c), 0);
	assert_top(bs, 1, 300, 4, 0, 0);
	assert_null(book_level_at(bs, 1, BOOK_BID, 102));
	assert_book_ok(bs, 1);
	book_free(bs);
}

/* Pools larger than one refill batch of never-used records (book_reset
 * does not link them): every order and level can be used, exactly
 * max_orders / max_levels and no more, freed records come back first, and
 * a reset book on a dirty block behaves like a new one. */
static void test_pools_lazy(void **state)
{
	enum { NO = 2500, NL = 1100 };
	struct book_set *bs = book_new(NO, NL, 3);
	struct book_change c;
	uint32_t round, r;

	(void)state;
	for (round = 0; round < 2; round++) {
		/* NL distinct prices: each add makes a level, the last fits */
		for (r = 0; r < NL; r++)
			assert_int_equal(book_apply_add(bs, 1 + r % 2, 1 + r, 'B', 1,
							1000 + r, NULL, &c), 0);
		assert_int_equal(bs->cnt.levels_live, NL);
		assert_int_equal(book_apply_add(bs, 1, 1 + NO, 'S', 1, 1, NULL, &c),
				 -BOOK_ELEVELS);
		/* the rest of the orders on existing levels, then one too many */
		for (r = NL; r < NO; r++)
			assert_int_equal(book_apply_add(bs, 1 + r % 2, 1 + r, 'B', 1,
							1000 + r % NL, NULL, &c), 0);
		assert_int_equal(bs->cnt.orders_live, NO);
		assert_int_equal(book_apply_add(bs, 1, 1 + NO, 'B', 1, 1000, NULL, &c),
				 -BOOK_EORDERS);
		assert_book_ok(bs, 1);
		/* a deleted order's record is the next one taken */
		{
			const struct book_order *o = book_order_find(bs, 7);

			assert_non_null(o);
			r = (uint32_t)(o - bs->orders);
		}
		assert_int_equal(book_apply_delete(bs, 7, &c), 0);
		assert_int_equal(book_apply_add(bs, 3, 1 + NO, 'S', 5, 2000, NULL, &c),
				 -BOOK_ELEVELS);
		assert_int_equal(book_apply_add(bs, 1 + 6 % 2, 1 + NO, 'B', 5, 1000 + 6,
						NULL, &c), 0);
		assert_int_equal(book_order_find(bs, 1 + NO) - bs->orders, r);
		assert_book_ok(bs, 1);
		book_reset(bs);
		assert_int_equal(bs->cnt.orders_live, 0);
		assert_null(book_order_find(bs, 1));
		assert_book_ok(bs, 1);
	}
	book_free(bs);
}

/* ---- order table: collisions, wraparound, backward shift ------------- */

/* n references whose home slot is in [bucket, bucket + span) mod slots. */
static void colliding_refs(const struct book_set *bs, uint32_t bucket,
			   uint32_t span, uint64_t start, uint64_t *out, size_t n)
{
	uint64_t r;
	size_t k = 0;

	for (r = start; k < n; r++)
		if (((book_ref_bucket(bs, r) - bucket) & bs->slot_mask) < span)
			out[k++] = r;
}

static void assert_refs(const struct book_set *bs, const uint64_t *refs,
			const bool *live, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct book_order *o = book_order_find(bs, refs[i]);

		if (live[i] != (o != NULL)) {
			print_error("ref %llu (home %u) %s\n", (unsigned long long)refs[i],
				    book_ref_bucket(bs, refs[i]),
				    live[i] ? "lost" : "found after delete");
			fail();
		}
		if (o != NULL)
			assert_int_equal(o->ref, refs[i]);
	}
}

/* The table's hash keeps groups of BOOK_HASH_GROUP sequential references
 * on consecutive slots (the adds of one moment share cache lines) and
 * scatters the groups, so the next group does not start on the live run
 * the previous one left, and uses every block once per table size of
 * references. */
static void test_table_hash_layout(void **state)
{
	struct book_set *bs = book_new(4096, 0, 2); /* 8192 slots */
	uint64_t base = UINT64_C(0x0000123456789a00);
	uint32_t k, far = 0;

	(void)state;
	assert_int_equal(bs->slot_mask, 8191);
	assert_int_equal(base % BOOK_HASH_GROUP, 0);
	for (k = 1; k < BOOK_HASH_GROUP; k++)
		assert_int_equal(book_ref_bucket(bs, base + k),
				 (book_ref_bucket(bs, base) + k) & bs->slot_mask);
	/* 64 groups in a row: each starts away from the end of the one
	 * before (a start within the previous group's 512 slots would
	 * overlay its newest entries). */
	for (k = 0; k < 64; k++) {
		uint64_t g = base + (uint64_t)k * BOOK_HASH_GROUP;
		uint32_t prev_end = book_ref_bucket(bs, g + BOOK_HASH_GROUP - 1);
		uint32_t next = book_ref_bucket(bs, g + BOOK_HASH_GROUP);

		far += ((next - prev_end) & bs->slot_mask) > BOOK_HASH_GROUP &&
		       ((prev_end - next) & bs->slot_mask) > BOOK_HASH_GROUP;
	}
	assert_true(far >= 48);
	/* Any table size of consecutive references, aligned to a group or
	 * not, has as many distinct homes: a block is reused only after all
	 * the others (the group placement is a bijection). */
	{
		static uint8_t seen[8192];
		uint64_t start[3] = { base, base + 77, UINT64_C(1) << 40 };
		uint32_t j;

		for (j = 0; j < 3; j++) {
			memset(seen, 0, sizeof(seen));
			for (k = 0; k <= bs->slot_mask; k++) {
				uint32_t h = book_ref_bucket(bs, start[j] + k);

				assert_int_equal(seen[h], 0);
				seen[h] = 1;
			}
		}
	}
	book_free(bs);
}

static void test_table_collisions(void **state)
{
	enum { N = 40 };
	struct book_set *bs = book_new(48, 0, 2); /* 128 slots */
	uint64_t refs[N];
	bool live[N] = { false };
	struct book_change c;
	size_t i, round;

	(void)state;
	assert_int_equal(bs->slot_mask, 127);
	/* 30 refs sharing the last home slot (their probes wrap to 0..28),
	 * 10 whose home is 0..2 (pushed behind the wrapped cluster). */
	colliding_refs(bs, bs->slot_mask, 1, 1, refs, 30);
	colliding_refs(bs, 0, 3, 1, refs + 30, 10);
	for (i = 0; i < N; i++) {
		if (i < 30)
			assert_int_equal(book_ref_bucket(bs, refs[i]), 127);
		else
			assert_true(book_ref_bucket(bs, refs[i]) < 3);
	}
	for (i = 0; i < N; i++) {
		uint32_t px = i & 1 ? 1100 + (uint32_t)(i % 7) : 1000 - (uint32_t)(i % 7);

		assert_int_equal(book_apply_add(bs, 1, refs[i], i & 1 ? 'S' : 'B',
						(uint32_t)i + 1, px, NULL, &c), 0);
		live[i] = true;
	}
	assert_true(bs->cnt.probe_max >= 29);
	assert_refs(bs, refs, live, N);
	assert_book_ok(bs, 1);
	/* random deletes and re-adds; every live ref stays findable */
	rng_state = 42;
	for (round = 0; round < 2000; round++) {
		i = rnd(N);
		if (live[i]) {
			assert_int_equal(book_apply_delete(bs, refs[i], &c), 0);
			live[i] = false;
		} else {
			assert_int_equal(book_apply_add(bs, 1, refs[i], 'B', 1, 500 + rnd(5),
							NULL, &c), 0);
			live[i] = true;
		}
		assert_refs(bs, refs, live, N);
		if (round % 50 == 0)
			assert_book_ok(bs, 1);
	}
	assert_book_ok(bs, 1);
	/* drain: table empty, every slot free */
	for (i = 0; i < N; i++)
		if (live[i])
			assert_int_equal(book_apply_delete(bs, refs[i], &c), 0);
	for (i = 0; i <= bs->slot_mask; i++)
		assert_int_equal(bs->slots[i].order, BOOK_NIL);
	assert_book_ok(bs, 1);
	book_free(bs);
}

/* Inserts keep each cluster in home order, which lets a delete's backward
 * shift stop at the first entry at its home. A (home h), B (home h + 1),
 * then C (home h): C must go before B, or deleting A would stop at B (at
 * home) and leave C behind a gap. */
static void test_table_home_order(void **state)
{
	struct book_set *bs = book_new(48, 0, 2); /* 128 slots */
	uint64_t a[2], b[1], refs[3];
	bool live[3] = { true, true, true };
	struct book_change c;
	uint32_t h;
	size_t i;

	(void)state;
	colliding_refs(bs, 40, 1, 1, a, 2);
	colliding_refs(bs, 41, 1, 1, b, 1);
	refs[0] = a[0];
	refs[1] = b[0];
	refs[2] = a[1];
	h = book_ref_bucket(bs, a[0]);
	for (i = 0; i < 3; i++)
		assert_int_equal(book_apply_add(bs, 1, refs[i], 'B', 100,
						1000 + (uint32_t)i, NULL, &c), 0);
	/* A at home, C behind it, B pushed one slot on */
	assert_int_equal(book_slot_find(bs, refs[0]), h);
	assert_int_equal(book_slot_find(bs, refs[2]), h + 1);
	assert_int_equal(book_slot_find(bs, refs[1]), h + 2);
	assert_int_equal(bs->cnt.probe_max, 1);
	assert_book_ok(bs, 1);
	/* the plain linear-probing layout (B before C) is reachable but out
	 * of home order: book_check reports it */
	{
		struct book_slot t = bs->slots[h + 1];
		char why[128];

		bs->slots[h + 1] = bs->slots[h + 2];
		bs->slots[h + 2] = t;
		assert_int_equal(book_check(bs, why, sizeof(why)), -EUCLEAN);
		assert_non_null(strstr(why, "home order"));
		bs->slots[h + 2] = bs->slots[h + 1];
		bs->slots[h + 1] = t;
	}
	assert_book_ok(bs, 1);
	assert_int_equal(book_apply_delete(bs, refs[0], &c), 0);
	live[0] = false;
	assert_refs(bs, refs, live, 3);
	/* C moved home, B back to its home */
	assert_int_equal(book_slot_find(bs, refs[2]), h);
	assert_int_equal(book_slot_find(bs, refs[1]), h + 1);
	assert_book_ok(bs, 1);
	book_free(bs);
}

/* U within one cluster: the new reference goes in where its probe found
 * room, which may move the old entry up a slot before that one is taken
 * out; every reference is still found and the table keeps home order. */
static void test_replace_in_cluster(void **state)
{
	struct book_set *bs = book_new(48, 0, 2); /* 128 slots */
	struct book_change c;
	uint64_t a[4], x[2], n[3];
	bool live[9];
	uint64_t all[9];
	size_t k;

	(void)state;
	colliding_refs(bs, 40, 1, 1, a, 4);       /* home 40 */
	colliding_refs(bs, 41, 1, 1, x, 2);       /* home 41 */
	colliding_refs(bs, 40, 1, a[3] + 1, n, 3); /* home 40, not yet used */
	/* 40: a0, 41: a1, 42: x0 (home 41), 43: x1 (home 41) */
	assert_int_equal(book_apply_add(bs, 1, a[0], 'B', 1, 100, NULL, &c), 0);
	assert_int_equal(book_apply_add(bs, 1, a[1], 'B', 1, 100, NULL, &c), 0);
	assert_int_equal(book_apply_add(bs, 1, x[0], 'B', 1, 101, NULL, &c), 0);
	assert_int_equal(book_apply_add(bs, 1, x[1], 'B', 1, 101, NULL, &c), 0);
	assert_int_equal(bs->slots[42].order, book_order_find(bs, x[0]) - bs->orders);
	/* x0 -> n0 (home 40): n0 belongs at 42, x0 and x1 move up, x0 goes */
	assert_int_equal(book_apply_replace(bs, x[0], n[0], 2, 102, &c), 0);
	assert_book_ok(bs, 1);
	/* a1 (at 41, before the insert point) -> n1: nothing moves first */
	assert_int_equal(book_apply_replace(bs, a[1], n[1], 3, 100, &c), 0);
	assert_book_ok(bs, 1);
	/* x1 -> n2, and the same reference again */
	assert_int_equal(book_apply_replace(bs, x[1], n[2], 4, 99, &c), 0);
	assert_int_equal(book_apply_replace(bs, n[2], n[2], 5, 98, &c), 0);
	assert_book_ok(bs, 1);
	all[0] = a[0]; all[1] = a[1]; all[2] = x[0]; all[3] = x[1];
	all[4] = n[0]; all[5] = n[1]; all[6] = n[2]; all[7] = a[2]; all[8] = a[3];
	for (k = 0; k < 9; k++)
		live[k] = k == 0 || (k >= 4 && k <= 6);
	assert_refs(bs, all, live, 9);
	assert_int_equal(book_order_find(bs, n[2])->shares, 5);
	assert_int_equal(bs->cnt.orders_live, 4);
	book_free(bs);
}

/* U whose new reference's home slot is empty (the common case: a fresh
 * reference) takes that slot without a second probe: the old entry's
 * removal shifts the cluster just before it back, and the new entry is
 * still at its home, every reference found, the table in home order and
 * no probe counted. A new home right behind the cluster, and one that the
 * shift empties: 43 below is taken until a1 goes. */
static void test_replace_empty_home(void **state)
{
	struct book_set *bs = book_new(48, 0, 2); /* 128 slots */
	struct book_change c;
	uint64_t a[2], x[2], n44[1], n43[1], all[6];
	bool live[6];
	size_t k;

	(void)state;
	colliding_refs(bs, 40, 1, 1, a, 2);        /* home 40 */
	colliding_refs(bs, 41, 1, 1, x, 2);        /* home 41 */
	colliding_refs(bs, 44, 1, 1, n44, 1);      /* home 44: empty */
	colliding_refs(bs, 43, 1, 1, n43, 1);      /* home 43: x1 there */
	/* 40: a0, 41: a1, 42: x0 (home 41), 43: x1 (home 41) */
	assert_int_equal(book_apply_add(bs, 1, a[0], 'B', 1, 100, NULL, &c), 0);
	assert_int_equal(book_apply_add(bs, 1, a[1], 'B', 1, 100, NULL, &c), 0);
	assert_int_equal(book_apply_add(bs, 1, x[0], 'B', 1, 101, NULL, &c), 0);
	assert_int_equal(book_apply_add(bs, 1, x[1], 'B', 1, 101, NULL, &c), 0);
	assert_int_equal(bs->cnt.probe_max, 2);
	/* a1 -> n44: x0, x1 move back to 41, 42; n44 at its home 44 */
	assert_int_equal(book_apply_replace(bs, a[1], n44[0], 2, 102, &c), 0);
	assert_int_equal(book_slot_find(bs, n44[0]), 44);
	assert_int_equal(book_slot_find(bs, x[1]), 42);
	assert_int_equal(bs->slots[43].order, BOOK_NIL);
	assert_book_ok(bs, 1);
	/* x0 -> n43 (home 43, empty now): at 43, x1 back to 41 */
	assert_int_equal(book_apply_replace(bs, x[0], n43[0], 3, 103, &c), 0);
	assert_int_equal(book_slot_find(bs, n43[0]), 43);
	assert_int_equal(book_slot_find(bs, x[1]), 41);
	assert_book_ok(bs, 1);
	assert_int_equal(bs->cnt.probe_max, 2);
	all[0] = a[0]; all[1] = a[1]; all[2] = x[0]; all[3] = x[1];
	all[4] = n44[0]; all[5] = n43[0];
	for (k = 0; k < 6; k++)
		live[k] = k == 0 || k >= 3;
	assert_refs(bs, all, live, 6);
	assert_int_equal(book_order_find(bs, n43[0])->shares, 3);
	book_free(bs);
}

/* ---- ladder chunks -------------------------------------------------------- */

static void test_ladder_growth_shrink(void **state)
{
	enum { NP = 400 };
	struct book_set *bs = book_new(2 * NP + 8, 0, 2);
	static uint32_t px[NP];
	static struct book_depth_level d[NP];
	bool live[NP] = { false };
	struct book_change c;
	uint32_t i, j, n, nlive = 0;

	(void)state;
	rng_state = 7;
	for (i = 0; i < NP; i++)
		px[i] = 1000 + 3 * i;
	for (i = NP; i > 1; i--) { /* shuffle: inserts land mid-ladder */
		uint32_t k = rnd(i), t = px[i - 1];
		px[i - 1] = px[k];
		px[k] = t;
	}
	for (i = 0; i < NP; i++) {
		assert_int_equal(book_apply_add(bs, 1, i + 1, 'B', 10, px[i], NULL, &c), 0);
		assert_int_equal(book_apply_add(bs, 1, NP + i + 1, 'S', 10, px[i] + 5000,
						NULL, &c), 0);
		live[i] = true;
		nlive++;
		if (i % 16 == 0)
			assert_book_ok(bs, 1);
	}
	assert_book_ok(bs, 1);
	assert_true(bs->cnt.chunks_live > 2 * NP / BOOK_CHUNK_LEVELS);
	n = book_depth(bs, 1, BOOK_BID, d, NP);
	assert_int_equal(n, NP);
	for (j = 0; j < n; j++)
		assert_int_equal(d[j].px, 1000 + 3 * (NP - 1 - j));
	n = book_depth(bs, 1, BOOK_ASK, d, NP);
	for (j = 0; j < n; j++)
		assert_int_equal(d[j].px, 6000 + 3 * j);
	/* remove levels from the middle until a few remain: merges */
	while (nlive > 5) {
		i = rnd(NP);
		if (!live[i])
			continue;
		assert_int_equal(book_apply_delete(bs, i + 1, &c), 0);
		assert_int_equal(book_apply_cancel(bs, NP + i + 1, 99, &c), 0);
		assert_true(c.flags & BOOK_CHG_CLAMPED);
		live[i] = false;
		nlive--;
		if (nlive % 8 == 0)
			assert_book_ok(bs, 1);
	}
	assert_book_ok(bs, 1);
	assert_int_equal(bs->cnt.levels_live, 10);
	assert_true(bs->cnt.chunks_live <= 2);
	/* sorted and complete */
	n = book_depth(bs, 1, BOOK_BID, d, NP);
	assert_int_equal(n, 5);
	for (j = 1; j < n; j++)
		assert_true(d[j].px < d[j - 1].px);
	/* monotone new bests (splits at the top) and new worsts */
	for (i = 0; i < 60; i++) {
		assert_int_equal(book_apply_add(bs, 2, 10000 + i, 'B', 1, 50000 + i, NULL, &c), 0);
		assert_true(c.flags & BOOK_CHG_TOP);
		assert_int_equal(book_apply_add(bs, 2, 20000 + i, 'S', 1, 90000 - i, NULL, &c), 0);
		assert_int_equal(book_apply_add(bs, 2, 30000 + i, 'B', 1, 40000 - i, NULL, &c), 0);
		assert_false(c.flags & BOOK_CHG_TOP);
	}
	assert_top(bs, 2, 50059, 1, 89941, 1);
	assert_int_equal(book_sym_get(bs, 2)->nlevels[BOOK_BID], 120);
	assert_book_ok(bs, 2);
	/* and drain them best first (merges at the top) */
	for (i = 60; i-- > 0;) {
		assert_int_equal(book_apply_delete(bs, 10000 + i, &c), 0);
		assert_true(c.flags & BOOK_CHG_TOP);
		assert_int_equal(c.bid_px, i ? 50000 + i - 1 : 40000);
	}
	assert_book_ok(bs, 2);
	book_free(bs);
}

static void test_price_extremes(void **state)
{
	struct book_set *bs = book_new(16, 0, 2);
	struct book_depth_level d[4];
	struct book_change c;

	(void)state;
	assert_int_equal(book_apply_add(bs, 1, 1, 'B', 5, 0, NULL, &c), 0);
	assert_top(bs, 1, 0, 5, 0, 0);
	assert_int_equal(book_apply_add(bs, 1, 2, 'B', 6, UINT32_MAX, NULL, &c), 0);
	assert_int_equal(book_apply_add(bs, 1, 3, 'S', 7, UINT32_MAX, NULL, &c), 0);
	assert_top(bs, 1, UINT32_MAX, 6, UINT32_MAX, 7);
	assert_true(c.sym_flags & BOOK_SYM_CROSSED);
	assert_int_equal(book_apply_add(bs, 1, 4, 'S', 8, 0, NULL, &c), 0);
	assert_top(bs, 1, UINT32_MAX, 6, 0, 8);
	assert_int_equal(book_depth(bs, 1, BOOK_BID, d, 4), 2);
	assert_int_equal(d[0].px, UINT32_MAX);
	assert_int_equal(d[1].px, 0);
	assert_int_equal(book_depth(bs, 1, BOOK_ASK, d, 4), 2);
	assert_int_equal(d[0].px, 0);
	assert_int_equal(d[1].px, UINT32_MAX);
	assert_book_ok(bs, 1);
	assert_int_equal(book_apply_delete(bs, 2, &c), 0);
	assert_int_equal(book_apply_delete(bs, 4, &c), 0);
	assert_top(bs, 1, 0, 5, UINT32_MAX, 7);
	assert_false(c.sym_flags & BOOK_SYM_CROSSED);
	assert_true(c.flags & BOOK_CHG_STATE);
	/* references at the ends of u64 */
	assert_int_equal(book_apply_add(bs, 1, 0, 'B', 1, 10, NULL, &c), 0);
	assert_int_equal(book_apply_add(bs, 1, UINT64_MAX, 'B', 1, 10, NULL, &c), 0);
	assert_non_null(book_order_find(bs, 0));
	assert_non_null(book_order_find(bs, UINT64_MAX));
	assert_int_equal(book_apply_exec(bs, UINT64_MAX, 1, &c), 0);
	assert_null(book_order_find(bs, UINT64_MAX));
	assert_book_ok(bs, 1);
	book_free(bs);
}

/* ---- symbols ------------------------------------------------------------- */

static void test_many_symbols(void **state)
{
	enum { NS = 3000 };
	struct book_set *bs = book_new(4 * NS, 0, NS);
	struct book_change c;
	char stock[9], name[9];
	uint32_t i;

	(void)state;
	for (i = 1; i <= NS; i++) {
		snprintf(stock, sizeof(stock), "S%-7u", i);
		assert_int_equal(book_apply_add(bs, (uint16_t)i, 2 * i, 'B', i, 100 * i,
						stock, &c), 0);
		assert_int_equal(book_apply_add(bs, (uint16_t)i, 2 * i + 1, 'S', i + 1,
						100 * i + 7, stock, &c), 0);
		assert_int_equal(c.locate, i);
	}
	for (i = 1; i <= NS; i++)
		assert_top(bs, (uint16_t)i, 100 * i, i, 100 * i + 7, i + 1);
	assert_book_ok(bs, 1);
	/* names learned from adds */
	assert_int_equal(book_find_symbol(bs, "S1234"), 1234);
	assert_int_equal(book_symbol_name(bs, 1234, name), 0);
	assert_string_equal(name, "S1234");
	/* an 'R' overrides, and a later add's stock does not */
	assert_int_equal(book_set_symbol(bs, 5, "AAPL    "), 0);
	assert_int_equal(book_apply_add(bs, 5, 999999, 'B', 1, 1, "MSFT    ", &c), 0);
	assert_int_equal(book_find_symbol(bs, "AAPL"), 5);
	assert_int_equal(book_find_symbol(bs, "AAPL    "), 5);
	assert_int_equal(book_find_symbol(bs, "MSFT"), -ENOENT);
	assert_int_equal(book_find_symbol(bs, "S5"), -ENOENT);
	assert_int_equal(book_find_symbol(bs, "TOOLONGNAME"), -EINVAL);
	assert_int_equal(book_find_symbol(bs, ""), -EINVAL);
	assert_int_equal(book_set_symbol(bs, NS + 1, "X       "), -ERANGE);
	assert_int_equal(book_set_symbol(bs, 0, "X       "), -ERANGE);
	book_free(bs);
	/* unnamed symbol */
	bs = book_new(4, 0, 3);
	assert_int_equal(book_symbol_name(bs, 2, name), -ENOENT);
	assert_string_equal(name, "");
	assert_int_equal(book_symbol_name(bs, 4, name), -ERANGE);
	book_free(bs);
}

/* Only 'B' and 'S' are sides: each of the other 254 byte values is
 * refused with BOOK_ESIDE, counted, and leaves the book as it was. */
static void test_add_side_bytes(void **state)
{
	struct book_set *bs = book_new(16, 0, 4);
	struct book_change c;
	unsigned b;

	(void)state;
	for (b = 0; b < 256; b++) {
		int rc = book_apply_add(bs, 1, 100 + b, (uint8_t)b, 10, 5000, NULL, &c);

		assert_int_equal(rc, b == 'B' || b == 'S' ? 0 : -BOOK_ESIDE);
	}
	assert_int_equal(bs->cnt.rejected[BOOK_ESIDE], 254);
	assert_int_equal(bs->cnt.applied[BOOK_OP_ADD], 2);
	assert_int_equal(bs->cnt.orders_live, 2);
	assert_top(bs, 1, 5000, 10, 5000, 10);
	assert_book_ok(bs, 1);
	book_free(bs);
}

/* book_sym_halted is one flag bit kept by the two setters: each cause
 * (trading state other than 'T', Nasdaq operational halt) holds it alone,
 * other markets' halts and refused updates leave it, a reset clears it,
 * and book_check catches a bit that disagrees with the fields. */
static void test_halted_flag(void **state)
{
	struct book_set *bs = book_new(8, 0, 4);
	struct book_sym *s = &bs->syms[1];
	char why[128];

	(void)state;
	assert_int_equal(book_set_trading_state(bs, 1, 'H'), 0);
	assert_int_equal(book_set_op_halt(bs, 1, 'Q', 'H'), 0);
	assert_true(book_sym_halted(s));
	assert_int_equal(book_set_trading_state(bs, 1, 'T'), 0);
	assert_true(book_sym_halted(s)); /* the operational halt holds it */
	assert_book_ok(bs, 1);
	assert_int_equal(book_set_trading_state(bs, 1, 'P'), 0);
	assert_int_equal(book_set_op_halt(bs, 1, 'Q', 'T'), 0);
	assert_true(book_sym_halted(s)); /* paused */
	assert_int_equal(book_set_op_halt(bs, 1, 'X', 'H'), 0);
	assert_int_equal(book_set_trading_state(bs, 1, 'T'), 0);
	assert_false(book_sym_halted(s)); /* a PSX halt does not count */
	assert_int_equal(s->op_halt, BOOK_HALT_X);
	assert_book_ok(bs, 1);
	assert_int_equal(book_set_trading_state(bs, 1, 'Q'), 0);
	assert_int_equal(book_set_trading_state(bs, 1, 'Z'), -EINVAL);
	assert_int_equal(book_set_op_halt(bs, 1, 'Q', '?'), -EINVAL);
	assert_true(book_sym_halted(s));
	assert_false(book_sym_halted(&bs->syms[2]));
	assert_book_ok(bs, 1);
	s->flags ^= BOOK_SYM_HALTED;
	assert_int_equal(book_check(bs, why, sizeof(why)), -EUCLEAN);
	assert_non_null(strstr(why, "halted flag"));
	s->flags ^= BOOK_SYM_HALTED;
	book_reset(bs);
	assert_false(book_sym_halted(s));
	assert_book_ok(bs, 1);
	book_free(bs);
}

static void test_symbol_state(void **state)
{
	struct book_set *bs = book_new(8, 0, 4);
	struct book_change c;
	struct itch_msg m;
	const struct book_sym *s = book_sym_get(bs, 2);

	(void)state;
	assert_null(book_sym_get(bs, 0));
	assert_null(book_sym_get(bs, 5));
	assert_false(book_sym_halted(s));
	memset(&m, 0, sizeof(m));
	m.type = 'H';
	m.locate = 2;
	m.trading_action.state = 'H';
	assert_int_equal(book_apply(bs, &m, &c), 0);
	assert_int_equal(c.flags, BOOK_CHG_STATE);
	assert_int_equal(c.locate, 2);
	assert_int_equal(s->trading_state, 'H');
	assert_true(book_sym_halted(s));
	m.trading_action.state = 'T';
	assert_int_equal(book_apply(bs, &m, &c), 0);
	assert_false(book_sym_halted(s));
	/* operational halt, Nasdaq market */
	memset(&m, 0, sizeof(m));
	m.type = 'h';
	m.locate = 2;
	m.op_halt.market_code = 'Q';
	m.op_halt.action = 'H';
	assert_int_equal(book_apply(bs, &m, &c), 0);
	assert_true(book_sym_halted(s));
	assert_int_equal(s->op_halt, BOOK_HALT_Q);
	m.op_halt.market_code = 'B';
	assert_int_equal(book_apply(bs, &m, &c), 0);
	m.op_halt.market_code = 'Q';
	m.op_halt.action = 'T';
	assert_int_equal(book_apply(bs, &m, &c), 0);
	assert_int_equal(s->op_halt, BOOK_HALT_B);
	assert_false(book_sym_halted(s));
	assert_int_equal(book_set_op_halt(bs, 2, 'Z', 'H'), -EINVAL);
	assert_int_equal(book_set_op_halt(bs, 2, 'Q', '?'), -EINVAL);
	assert_int_equal(book_set_trading_state(bs, 2, 'Z'), -EINVAL);
	assert_int_equal(book_set_reg_sho(bs, 2, '1'), 0);
	assert_int_equal(s->reg_sho, '1');
	/* R through book_apply; bad locate counted */
	memset(&m, 0, sizeof(m));
	m.type = 'R';
	m.locate = 3;
	memcpy(m.directory.stock, "QQQ     ", 8);
	assert_int_equal(book_apply(bs, &m, &c), 0);
	assert_int_equal(book_find_symbol(bs, "QQQ"), 3);
	m.locate = 9;
	assert_int_equal(book_apply(bs, &m, &c), -BOOK_ELOCATE);
	assert_int_equal(bs->cnt.rejected[BOOK_ELOCATE], 1);
	/* other types: no change */
	m.type = 'P';
	m.locate = 1;
	assert_int_equal(book_apply(bs, &m, &c), 0);
	assert_int_equal(c.flags, 0);
	/* stale */
	assert_int_equal(book_set_stale(bs, 2, true), 0);
	assert_true(s->flags & BOOK_SYM_STALE);
	assert_int_equal(book_set_stale(bs, 2, false), 0);
	assert_false(s->flags & BOOK_SYM_STALE);
	assert_int_equal(book_set_stale(bs, 0, true), -ERANGE);
	book_set_stale_all(bs, true);
	assert_true(book_sym_get(bs, 1)->flags & BOOK_SYM_STALE);
	assert_true(book_sym_get(bs, 4)->flags & BOOK_SYM_STALE);
	book_set_stale_all(bs, false);
	assert_false(book_sym_get(bs, 4)->flags & BOOK_SYM_STALE);
	book_free(bs);
}

static void test_apply_dispatch_and_reset(void **state)
{
	struct book_set *bs = book_new(8, 0, 4);
	struct book_change c;
	struct itch_msg m;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = 'F';
	m.locate = 4;
	m.add.ref = 77;
	m.add.side = 'S';
	m.add.shares = 300;
	m.add.price = 123400;
	memcpy(m.add.stock, "ZVZZT   ", 8);
	assert_int_equal(book_apply(bs, &m, &c), 0);
	assert_top(bs, 4, 0, 0, 123400, 300);
	m.type = 'C';
	m.exec.ref = 77;
	m.exec.shares = 100;
	m.exec.price = 123500;
	assert_int_equal(book_apply(bs, &m, &c), 0);
	assert_int_equal(c.exec_px, 123500);
	assert_int_equal(c.px, 123400);
	assert_int_equal(bs->cnt.applied[BOOK_OP_EXEC_PX], 1);
	m.type = 'U';
	m.replace.old_ref = 77;
	m.replace.new_ref = 78;
	m.replace.shares = 50;
	m.replace.price = 123300;
	assert_int_equal(book_apply(bs, &m, &c), 0);
	assert_int_equal(c.old_qty, 200);
	assert_top(bs, 4, 0, 0, 123300, 50);
	m.type = 'X';
	m.cancel.ref = 78;
	m.cancel.shares = 10;
	assert_int_equal(book_apply(bs, &m, &c), 0);
	assert_top(bs, 4, 0, 0, 123300, 40);
	m.type = 'E';
	m.exec.ref = 78;
	m.exec.shares = 10;
	assert_int_equal(book_apply(bs, &m, &c), 0);
	assert_int_equal(c.exec_px, 123300);
	m.type = 'D';
	m.del.ref = 78;
	assert_int_equal(book_apply(bs, &m, &c), 0);
	assert_top(bs, 4, 0, 0, 0, 0);
	assert_int_equal(book_find_symbol(bs, "ZVZZT"), 4);
	assert_int_equal(book_apply(bs, &m, &c), -BOOK_EUNKNOWN);

	assert_int_equal(book_apply_add(bs, 1, 5, 'B', 1, 1, NULL, &c), 0);
	book_set_stale(bs, 1, true);
	book_reset(bs);
	assert_null(book_order_find(bs, 5));
	assert_top(bs, 1, 0, 0, 0, 0);
	assert_int_equal(book_sym_get(bs, 1)->flags, 0);
	assert_int_equal(bs->cnt.applied[BOOK_OP_ADD], 0);
	assert_int_equal(bs->cnt.rejected[BOOK_EUNKNOWN], 0);
	assert_int_equal(book_find_symbol(bs, "ZVZZT"), -ENOENT);
	assert_book_ok(bs, 1);
	assert_int_equal(book_apply_add(bs, 1, 5, 'B', 1, 1, NULL, &c), 0);
	assert_book_ok(bs, 1);
	book_free(bs);
}

/* ---- differential test against a naive model --------------------------- */

enum {
	D_LOC = 6,      /* locates 1..6; 0 and 7 are refused */
	D_MAXO = 1500,
	D_MAXL = 300,   /* < 6 x 2 x D_NPX: the level pool fills up too */
	D_NPX = 48,
	D_PX0 = 10000,  /* prices D_PX0 .. D_PX0 + D_NPX - 1 */
	D_OPS = 100000,
	D_POOL = 4000,  /* colliding fresh references */
};

struct m_ord {
	uint64_t ref, seq;
	uint32_t px, shares;
	uint16_t loc;
	uint8_t side;
};

static struct m_ord m_live[D_MAXO];
static uint32_t m_n, m_levels;
static uint32_t m_lvl[D_LOC + 1][2][D_NPX]; /* orders per level */
static uint64_t m_seq;

static int m_find(uint64_t ref)
{
	uint32_t i;

	for (i = 0; i < m_n; i++)
		if (m_live[i].ref == ref)
			return (int)i;
	return -1;
}

static void m_add(uint16_t loc, uint64_t ref, unsigned side, uint32_t sh, uint32_t px)
{
	struct m_ord *o = &m_live[m_n++];

	o->ref = ref;
	o->seq = m_seq++;
	o->px = px;
	o->shares = sh;
	o->loc = loc;
	o->side = (uint8_t)side;
	if (m_lvl[loc][side][px - D_PX0]++ == 0)
		m_levels++;
}

static void m_del(int i)
{
	struct m_ord *o = &m_live[i];

	if (--m_lvl[o->loc][o->side][o->px - D_PX0] == 0)
		m_levels--;
	*o = m_live[--m_n];
}

static void m_best(uint16_t loc, unsigned side, uint32_t *px, uint64_t *qty)
{
	uint32_t k, j;

	*px = 0;
	*qty = 0;
	for (k = 0; k < D_NPX; k++) {
		uint32_t p = side == BOOK_BID ? D_NPX - 1 - k : k;

		if (m_lvl[loc][side][p] == 0)
			continue;
		*px = D_PX0 + p;
		for (j = 0; j < m_n; j++)
			if (m_live[j].loc == loc && m_live[j].side == side &&
			    m_live[j].px == *px)
				*qty += m_live[j].shares;
		return;
	}
}

static int m_cmp(const void *a, const void *b)
{
	const struct m_ord *x = a, *y = b;

	if (x->loc != y->loc)
		return x->loc < y->loc ? -1 : 1;
	if (x->side != y->side)
		return x->side < y->side ? -1 : 1;
	if (x->px != y->px) /* best first */
		return (x->px > y->px) == (x->side == BOOK_BID) ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Whole-book equality: every level in price order, every FIFO in time
 * order, the tops, and every live reference's fields. */
static void m_compare(const struct book_set *bs, uint32_t step)
{
	static struct m_ord sorted[D_MAXO];
	static struct book_depth_level d[D_NPX + 1];
	uint32_t i = 0, loc, nd, k;
	unsigned side;

	memcpy(sorted, m_live, m_n * sizeof(*sorted));
	qsort(sorted, m_n, sizeof(*sorted), m_cmp);
	for (loc = 1; loc <= D_LOC; loc++) {
		for (side = 0; side < 2; side++) {
			nd = book_depth(bs, (uint16_t)loc, (enum book_side)side, d, D_NPX + 1);
			for (k = 0; k < nd; k++) {
				const struct book_level *l =
					book_level_at(bs, (uint16_t)loc, (enum book_side)side, d[k].px);
				const struct book_order *o = l ? book_level_front(bs, l) : NULL;
				uint64_t sh = 0;
				uint32_t cnt = 0;

				for (; o != NULL; o = book_order_next(bs, o), i++, cnt++) {
					if (i >= m_n || sorted[i].loc != loc ||
					    sorted[i].side != side || sorted[i].px != d[k].px ||
					    sorted[i].ref != o->ref ||
					    sorted[i].shares != o->shares) {
						print_error("step %u: locate %u side %u px %u "
							    "entry %u differs from the model\n",
							    step, loc, side, d[k].px, cnt);
						book_print(bs, (uint16_t)loc, 60, stderr);
						fail();
					}
					sh += o->shares;
				}
				assert_int_equal(sh, d[k].shares);
				assert_int_equal(cnt, d[k].orders);
			}
		}
	}
	if (i != m_n) {
		print_error("step %u: book has %u orders, model %u\n", step, i, m_n);
		fail();
	}
	for (i = 0; i < m_n; i++) {
		const struct book_order *o = book_order_find(bs, m_live[i].ref);

		assert_non_null(o);
		assert_int_equal(o->px, m_live[i].px);
		assert_int_equal(o->locate, m_live[i].loc);
	}
	assert_int_equal(bs->cnt.orders_live, m_n);
	assert_int_equal(bs->cnt.levels_live, m_levels);
	assert_book_ok(bs, 1);
}

static void test_differential(void **state)
{
	struct book_set *bs = book_new(D_MAXO, D_MAXL, D_LOC);
	static uint64_t pool[D_POOL], dead[64];
	uint64_t next_ref = 1u << 20, ndead = 0;
	uint32_t pool_i = 0, step, counts[8] = { 0 }, tops = 0;
	/* U at its own price: alone, at the back, the front, the middle */
	uint32_t same_px[4] = { 0 };
	/* every symbol's top before the step (equal to the model's: checked
	 * after every step), to hold BOOK_CHG_TOP to "the top moved" */
	static uint32_t top_px[D_LOC + 1][2];
	static uint64_t top_qty[D_LOC + 1][2];
	/* every symbol's crossed state before the step, to hold
	 * BOOK_CHG_STATE to "it changed" (the updates that keep a best price
	 * skip recomputing it) */
	static bool was_crossed[D_LOC + 1];
	uint64_t crossings = 0;
	/* highest live counts seen after any step: each pool's peak */
	uint32_t max_orders = 0, max_levels = 0, max_chunks = 0, below_peak = 0;

	(void)state;
	memset(top_px, 0, sizeof(top_px));
	memset(top_qty, 0, sizeof(top_qty));
	memset(was_crossed, 0, sizeof(was_crossed));
	m_n = m_levels = 0;
	m_seq = 0;
	memset(m_lvl, 0, sizeof(m_lvl));
	rng_state = 0x5eed;
	/* fresh references crowding 40 home slots around the wrap point */
	colliding_refs(bs, bs->slot_mask - 19, 40, 1u << 30, pool, D_POOL);

	for (step = 0; step < D_OPS; step++) {
		bool grow = (step / 10000) % 2 == 0;
		uint32_t r = rnd(100), add_pct = grow ? 55 : 30;
		struct book_change c;
		int rc, want = 0, mi = -1;
		uint64_t ref;
		uint16_t loc = 0;
		unsigned side = 0, op;
		uint32_t sh, px = 0, bpx;
		uint64_t bqty;
		/* BOOK_CHG_LEVEL expected: a level at the price appeared or
		 * vanished (-1: not known) */
		int want_level = -1;

		memset(&c, 0, sizeof(c));
		/* pick the reference: live, recently dead, or never seen */
		if (m_n > 0 && rnd(100) < 85) {
			mi = (int)rnd(m_n);
			ref = m_live[mi].ref;
		} else if (ndead > 0 && rnd(2)) {
			ref = dead[rnd(ndead < 64 ? (uint32_t)ndead : 64)];
		} else {
			ref = rng() | (UINT64_C(1) << 63);
		}
		if (r < add_pct) {
			op = 0;
			loc = (uint16_t)(rnd(100) < 2 ? (rnd(2) ? 0 : D_LOC + 1) : 1 + rnd(D_LOC));
			side = rnd(2);
			sh = rnd(100) < 1 ? 0 : 1 + rnd(500);
			/* prices cluster in the middle, so the books cross often */
			px = D_PX0 + (side == BOOK_BID ? rnd(D_NPX / 2 + 4) :
					      D_NPX / 2 - 4 + rnd(D_NPX / 2 + 4));
			if (rnd(100) >= 3) /* 3%: duplicate of the live ref picked */
				ref = pool_i < D_POOL && rnd(3) == 0 ? pool[pool_i++] : next_ref++;
			mi = m_find(ref);
			if (loc == 0 || loc > D_LOC)
				want = -BOOK_ELOCATE;
			else if (rnd(200) == 0)
				want = -BOOK_ESIDE;
			else if (sh == 0)
				want = -BOOK_EZERO;
			else if (mi >= 0)
				want = -BOOK_EDUP;
			else if (m_n == D_MAXO)
				want = -BOOK_EORDERS;
			else if (m_lvl[loc][side][px - D_PX0] == 0 && m_levels == D_MAXL)
				want = -BOOK_ELEVELS;
			rc = book_apply_add(bs, loc, ref,
					    want == -BOOK_ESIDE ? 'Z' : side ? 'S' : 'B', sh, px,
					    NULL, &c);
			if (want == 0) {
				want_level = m_lvl[loc][side][px - D_PX0] == 0;
				m_add(loc, ref, side, sh, px);
			}
		} else if (r < add_pct + 35) {
			/* E, C or X: partial, exact, over, or zero */
			uint32_t kind = rnd(100);
			op = 1 + rnd(3);
			mi = m_find(ref);
			sh = mi < 0 ? 1 + rnd(100) : kind < 50 && m_live[mi].shares > 1 ?
				1 + rnd(m_live[mi].shares - 1) : kind < 85 ? m_live[mi].shares :
				kind < 99 ? m_live[mi].shares + 1 + rnd(50) : 0;
			want = sh == 0 ? -BOOK_EZERO : mi < 0 ? -BOOK_EUNKNOWN : 0;
			if (op == 1)
				rc = book_apply_exec(bs, ref, sh, &c);
			else if (op == 2)
				rc = book_apply_exec_px(bs, ref, sh, 7, &c);
			else
				rc = book_apply_cancel(bs, ref, sh, &c);
			if (want == 0) {
				loc = m_live[mi].loc;
				side = m_live[mi].side;
				assert_int_equal(c.qty, sh < m_live[mi].shares ? sh : m_live[mi].shares);
				assert_int_equal(!!(c.flags & BOOK_CHG_CLAMPED), sh > m_live[mi].shares);
				assert_int_equal(!!(c.flags & BOOK_CHG_GONE), sh >= m_live[mi].shares);
				assert_int_equal(c.exec_px, op == 1 ? m_live[mi].px : op == 2 ? 7 : 0);
				if (sh >= m_live[mi].shares) {
					uint32_t opx = m_live[mi].px;

					dead[ndead++ % 64] = ref;
					m_del(mi);
					want_level = m_lvl[loc][side][opx - D_PX0] == 0;
				} else {
					m_live[mi].shares -= sh;
					want_level = 0;
				}
			}
		} else if (r < add_pct + 50) {
			op = 4;
			mi = m_find(ref);
			want = mi < 0 ? -BOOK_EUNKNOWN : 0;
			rc = book_apply_delete(bs, ref, &c);
			if (want == 0) {
				loc = m_live[mi].loc;
				side = m_live[mi].side;
				uint32_t opx = m_live[mi].px;

				assert_int_equal(c.qty, m_live[mi].shares);
				dead[ndead++ % 64] = ref;
				m_del(mi);
				want_level = m_lvl[loc][side][opx - D_PX0] == 0;
			}
		} else {
			/* U: new reference fresh, reused, or a duplicate */
			uint64_t nref = rnd(100) < 5 && m_n > 0 ? m_live[rnd(m_n)].ref :
					rnd(100) < 3 ? ref : next_ref++;
			int ni = m_find(nref);
			op = 5;
			mi = m_find(ref);
			sh = rnd(100) < 1 ? 0 : 1 + rnd(500);
			if (mi >= 0) {
				loc = m_live[mi].loc;
				side = m_live[mi].side;
				px = D_PX0 + (side == BOOK_BID ? rnd(D_NPX / 2 + 4) :
						      D_NPX / 2 - 4 + rnd(D_NPX / 2 + 4));
				/* 20% at its own price (the level kept) */
				if (rnd(100) < 20)
					px = m_live[mi].px;
			}
			if (mi < 0)
				want = -BOOK_EUNKNOWN;
			else if (sh == 0)
				want = -BOOK_EZERO;
			else if (nref != ref && ni >= 0)
				want = -BOOK_EDUP;
			else if (m_lvl[loc][side][px - D_PX0] == 0 && m_levels == D_MAXL &&
				 m_lvl[loc][side][m_live[mi].px - D_PX0] > 1)
				want = -BOOK_ELEVELS;
			rc = book_apply_replace(bs, ref, nref, sh, px ? px : D_PX0, &c);
			if (want == 0 && px == m_live[mi].px) {
				/* where in its level's FIFO: front, middle, back */
				uint32_t j, ahead = 0, behind = 0;

				for (j = 0; j < m_n; j++)
					if (m_live[j].loc == loc && m_live[j].side == side &&
					    m_live[j].px == px) {
						ahead += m_live[j].seq < m_live[mi].seq;
						behind += m_live[j].seq > m_live[mi].seq;
					}
				same_px[!ahead && !behind ? 0 : !behind ? 1 : !ahead ? 2 : 3]++;
			}
			if (want == 0) {
				assert_int_equal(c.old_qty, m_live[mi].shares);
				assert_int_equal(c.old_px, m_live[mi].px);
				/* the old level goes (or, alone at an unchanged
				 * price, is reported so), or the new one appears */
				want_level = m_lvl[loc][side][m_live[mi].px - D_PX0] == 1 ||
					     m_lvl[loc][side][px - D_PX0] == 0;
				m_del(mi);
				if (nref != ref)
					dead[ndead++ % 64] = ref;
				m_add(loc, nref, side, sh, px);
			}
		}
		if (rc != want) {
			print_error("step %u op %u ref %llu: rc %d (%s), model says %d (%s)\n",
				    step, op, (unsigned long long)ref, rc,
				    book_reason_name(rc), want, book_reason_name(want));
			if (loc >= 1 && loc <= D_LOC)
				book_print(bs, loc, 60, stderr);
			fail();
		}
		counts[want == 0 ? 0 : -want]++;
		if (want == 0) {
			uint32_t opx;
			uint64_t oqty;

			assert_int_equal(c.locate, loc);
			assert_int_equal(c.side, side ? 'S' : 'B');
			m_best(loc, side, &bpx, &bqty);
			m_best(loc, !side, &opx, &oqty);
			if ((side == BOOK_BID ? c.bid_px : c.ask_px) != bpx ||
			    (side == BOOK_BID ? c.bid_qty : c.ask_qty) != bqty ||
			    (side == BOOK_BID ? c.ask_px : c.bid_px) != opx ||
			    (side == BOOK_BID ? c.ask_qty : c.bid_qty) != oqty) {
				print_error("step %u: top differs from model %llu@%u\n", step,
					    (unsigned long long)bqty, bpx);
				book_print(bs, loc, 20, stderr);
				fail();
			}
			bool crossed = c.bid_qty && c.ask_qty && c.bid_px >= c.ask_px;

			assert_int_equal(!!(c.sym_flags & BOOK_SYM_CROSSED), crossed);
			assert_int_equal(c.flags & ~0x3fu, 0); /* no bit above BOOK_CHG_STATE */
			if (!!(c.flags & BOOK_CHG_STATE) != (crossed != was_crossed[loc])) {
				print_error("step %u op %u: BOOK_CHG_STATE %d, crossed %d -> %d\n",
					    step, op, !!(c.flags & BOOK_CHG_STATE),
					    was_crossed[loc], crossed);
				fail();
			}
			crossings += crossed && !was_crossed[loc];
			was_crossed[loc] = crossed;
			if (want_level >= 0 && !!(c.flags & BOOK_CHG_LEVEL) != want_level) {
				print_error("step %u op %u: BOOK_CHG_LEVEL %d, model %d\n",
					    step, op, !!(c.flags & BOOK_CHG_LEVEL), want_level);
				fail();
			}
			if (!!(c.flags & BOOK_CHG_TOP) !=
			    (bpx != top_px[loc][side] || bqty != top_qty[loc][side])) {
				print_error("step %u op %u: BOOK_CHG_TOP %d, top %llu@%u -> "
					    "%llu@%u\n", step, op, !!(c.flags & BOOK_CHG_TOP),
					    (unsigned long long)top_qty[loc][side],
					    top_px[loc][side], (unsigned long long)bqty, bpx);
				fail();
			}
			tops += !!(c.flags & BOOK_CHG_TOP);
			top_px[loc][side] = bpx;
			top_qty[loc][side] = bqty;
		}
		/* The peaks are kept from the indices handed out (peak_note in
		 * book.c): they must still be the highest live counts. */
		if (bs->cnt.orders_live > max_orders)
			max_orders = bs->cnt.orders_live;
		if (bs->cnt.levels_live > max_levels)
			max_levels = bs->cnt.levels_live;
		if (bs->cnt.chunks_live > max_chunks)
			max_chunks = bs->cnt.chunks_live;
		if (bs->cnt.orders_peak != max_orders || bs->cnt.levels_peak != max_levels ||
		    bs->cnt.chunks_peak != max_chunks) {
			print_error("step %u: peaks %u %u %u, highest live %u %u %u\n", step,
				    bs->cnt.orders_peak, bs->cnt.levels_peak, bs->cnt.chunks_peak,
				    max_orders, max_levels, max_chunks);
			fail();
		}
		below_peak += bs->cnt.orders_live < max_orders && bs->cnt.levels_live < max_levels;
		if (step % 1000 == 999)
			m_compare(bs, step);
	}
	m_compare(bs, D_OPS);
	/* the run shrank after growing: some steps had fewer live records
	 * than the peak (freed records reused, not only fresh ones) */
	assert_true(below_peak > 1000);
	/* every path was taken */
	for (step = 0; step < BOOK_REASONS; step++)
		if (step != 0)
			assert_true(counts[step] > 0);
	assert_true(bs->cnt.clamped > 0);
	assert_true(bs->cnt.crossed > 0);
	assert_int_equal(bs->cnt.crossed, crossings);
	assert_true(tops > 1000 && tops < counts[0] / 2);
	/* (alone is the rare one: the levels hold several orders) */
	for (step = 0; step < 4; step++)
		assert_true(same_px[step] > (step == 0 ? 10u : 50u));
	print_message("differential: %u ok, refused: unknown %u dup %u locate %u "
		      "orders %u levels %u zero %u side %u; probe max %u\n",
		      counts[0], counts[1], counts[2], counts[3], counts[4], counts[5],
		      counts[6], counts[7], bs->cnt.probe_max);
	book_free(bs);
}

/* ---- the real capture ---------------------------------------------------- */

static void test_real_snippet(void **state)
{
	char path[512];
	FILE *f;
	struct binfile_reader r;
	enum binfile_framing fr;
	struct book_set *bs;
	const uint8_t *msg;
	uint8_t *buf;
	size_t mlen;
	long n;
	unsigned refmsgs = 0, unknown = 0, applied = 0, other = 0, prior = 0;
	static uint64_t named[4096]; /* refs introduced by A/F or a U's new ref */
	unsigned nnamed = 0, live = 0;

	(void)state;
	test_data_path(path, SNIPPET);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	assert_int_equal(binfile_detect(buf, (size_t)n, &fr), 0);
	binfile_init(&r, buf, (size_t)n, fr);
	bs = book_new(1 << 16, 0, 65535);
	while (binfile_next(&r, &msg, &mlen) == 1) {
		struct itch_msg m;
		struct book_change c;
		int rc;

		assert_true(itch_decode(msg, mlen, &m) > 0);
		rc = book_apply(bs, &m, &c);
		if (strchr("ECXDU", m.type) != NULL) {
			uint64_t ref = m.type == 'U' ? m.replace.old_ref :
				       m.type == 'X' ? m.cancel.ref :
				       m.type == 'D' ? m.del.ref : m.exec.ref;
			unsigned k;

			refmsgs++;
			if (rc == -BOOK_EUNKNOWN) {
				unknown++;
				for (k = 0; k < nnamed && named[k] != ref; k++)
					;
				prior += k == nnamed;
			}
		}
		if (m.type == 'A' || m.type == 'F' || m.type == 'U') {
			assert_true(nnamed < ARRAY_SIZE(named));
			named[nnamed++] = m.type == 'U' ? m.replace.new_ref : m.add.ref;
		}
		if (rc == 0) {
			applied++;
			live += m.type == 'A' || m.type == 'F';
			live -= (c.flags & BOOK_CHG_GONE) != 0;
		} else if (rc != -BOOK_EUNKNOWN)
			other++;
	}
	print_message("snippet: %u E/C/X/D/U, %u unknown refs (%u added before "
		      "the capture); %u applied; %u live orders\n", refmsgs,
		      unknown, prior, applied, bs->cnt.orders_live);
	/* The capture starts mid-day: 394 references predate it, and 5 more
	 * are new references of U messages whose original predates it (ITCH's
	 * U has no side, so such a replacement cannot be added). */
	assert_int_equal(refmsgs, 427);
	assert_int_equal(prior, 394);
	assert_int_equal(unknown, 394 + 5);
	assert_int_equal(other, 0);
	assert_int_equal(bs->cnt.rejected[BOOK_EUNKNOWN], 399);
	assert_int_equal(bs->cnt.orders_live, live);
	assert_int_equal(bs->cnt.orders_live, 532);
	assert_book_ok(bs, 1);
	book_free(bs);
	free(buf);
}

/* book_change reports a side's shares saturated at UINT32_MAX (the md_event
 * width) while the book keeps them exact. */
static void test_change_qty_saturates(void **state)
{
	struct book_set *bs = book_new(16, 0, 4);
	struct book_change c;

	(void)state;
	assert_int_equal(book_apply_add(bs, 2, 1, 'B', 3000000000u, 5000, NULL, &c), 0);
	assert_int_equal(c.bid_qty, 3000000000u);
	assert_int_equal(book_apply_add(bs, 2, 2, 'B', 2000000000u, 5000, NULL, &c), 0);
	assert_int_equal(c.bid_qty, UINT32_MAX);
	assert_int_equal(book_sym_get(bs, 2)->best_qty[BOOK_BID], UINT64_C(5000000000));
	assert_int_equal(book_apply_add(bs, 2, 3, 'S', 4000000000u, 5100, NULL, &c), 0);
	assert_int_equal(c.bid_qty, UINT32_MAX);
	assert_int_equal(c.ask_qty, 4000000000u);
	assert_int_equal(book_apply_add(bs, 2, 4, 'S', 400000000u, 5100, NULL, &c), 0);
	assert_int_equal(c.ask_qty, UINT32_MAX);
	/* back under: exact again */
	assert_int_equal(book_apply_exec(bs, 1, 2500000000u, &c), 0);
	assert_int_equal(c.bid_qty, 2500000000u);
	assert_int_equal(c.ask_qty, UINT32_MAX);
	assert_int_equal(book_apply_delete(bs, 4, &c), 0);
	assert_int_equal(c.ask_qty, 4000000000u);
	assert_book_ok(bs, 2);
	book_free(bs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_change_qty_saturates),
		cmocka_unit_test(test_memsize),
		cmocka_unit_test(test_scenario),
		cmocka_unit_test(test_fifo_priority),
		cmocka_unit_test(test_fifo_ends),
		cmocka_unit_test(test_prefetch_add),
		cmocka_unit_test(test_replace_alone),
		cmocka_unit_test(test_replace_same_price),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_pools_full),
		cmocka_unit_test(test_pools_lazy),
		cmocka_unit_test(test_table_hash_layout),
		cmocka_unit_test(test_table_collisions),
		cmocka_unit_test(test_table_home_order),
		cmocka_unit_test(test_replace_in_cluster),
		cmocka_unit_test(test_replace_empty_home),
		cmocka_unit_test(test_ladder_growth_shrink),
		cmocka_unit_test(test_price_extremes),
		cmocka_unit_test(test_many_symbols),
		cmocka_unit_test(test_symbol_state),
		cmocka_unit_test(test_halted_flag),
		cmocka_unit_test(test_add_side_bytes),
		cmocka_unit_test(test_apply_dispatch_and_reset),
		cmocka_unit_test(test_differential),
		cmocka_unit_test(test_real_snippet),
		cmocka_unit_test(test_warm_reads_only),
		cmocka_unit_test(test_prime_same_updates),
		cmocka_unit_test(test_hashed_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
