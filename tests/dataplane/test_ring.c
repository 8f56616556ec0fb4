/* test_ring.c - single-thread tests of the SPSC slot ring (dataplane/ring.h):
 * init validation, memsize, boundaries, full/empty, partial bursts, the
 * zero-copy calls, FIFO content for 8/24/64-byte slots, and wraparound with
 * indices starting near UINT32_MAX. Table-driven scripts are checked against
 * a model after every step. One thread (the test plays both sides). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/ring.h"

#define MAX_ESIZE 64u
#define MAX_BURST 64u

/* ---- fixtures and helpers -------------------------------------------- */

static struct ring_spsc *ring_new(uint32_t count, uint32_t slot_size,
				  uint32_t start)
{
	size_t sz = ring_spsc_memsize(count, slot_size);
	struct ring_spsc *r;

	assert_true(sz != 0);
	r = aligned_alloc(CACHELINE, sz);
	assert_non_null(r);
	/* Poison the slots: every value the consumer sees must be written. */
	memset(r, 0xA5, sz);
	assert_int_equal(ring_spsc_init_at(r, count, slot_size, start), 0);
	return r;
}

static void ring_print(const struct ring_spsc *r)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	print_error("  ring: count=%u slot_size=%u mask=%#x\n"
		    "        head=%u (%#x, slot %u) prod_head=%u cached_tail=%u\n"
		    "        tail=%u (%#x, slot %u) cons_tail=%u cached_head=%u\n"
		    "        used=%u free=%u\n",
		    r->count, r->slot_size, r->mask, head, head,
		    head & r->mask, r->prod_head, r->cached_tail, tail, tail,
		    tail & r->mask, r->cons_tail, r->cached_head, head - tail,
		    r->count - (head - tail));
}

/* Fail with a message, the test context and the ring's state. */
#define RING_CHECK(r, ctx, cond, ...)                                         \
	do {                                                                  \
		if (!(cond)) {                                                \
			print_error("%s: check failed: %s\n  ", (ctx), #cond);   \
			print_error(__VA_ARGS__);                             \
			print_error("\n");                                    \
			ring_print(r);                                        \
			fail();                                               \
		}                                                             \
	} while (0)

/* Payload of item `seq`: every 8-byte word differs per seq and position. */
static uint64_t item_word(uint64_t seq, size_t w)
{
	return seq * UINT64_C(0x9E3779B97F4A7C15) + w * UINT64_C(0x100000001B3);
}

static void item_fill(void *dst, uint64_t seq, size_t esize)
{
	size_t w;

	for (w = 0; w < esize / 8; w++) {
		uint64_t v = item_word(seq, w);
		memcpy((uint8_t *)dst + w * 8, &v, 8);
	}
}

/* 1 when dst holds item seq. */
static int item_ok(const void *src, uint64_t seq, size_t esize)
{
	size_t w;

	for (w = 0; w < esize / 8; w++) {
		uint64_t v;
		memcpy(&v, (const uint8_t *)src + w * 8, 8);
		if (v != item_word(seq, w))
			return 0;
	}
	return 1;
}

/* The fast paths want esize as a constant: dispatch once per call here. */
static int do_push(struct ring_spsc *r, const void *it)
{
	switch (r->slot_size) {
	case 8: return ring_spsc_push(r, it, 8);
	case 24: return ring_spsc_push(r, it, 24);
	case 64: return ring_spsc_push(r, it, 64);
	}
	fail_msg("slot size %u not dispatched", r->slot_size);
	return -1;
}

static int do_pop(struct ring_spsc *r, void *it)
{
	switch (r->slot_size) {
	case 8: return ring_spsc_pop(r, it, 8);
	case 24: return ring_spsc_pop(r, it, 24);
	case 64: return ring_spsc_pop(r, it, 64);
	}
	fail_msg("slot size %u not dispatched", r->slot_size);
	return -1;
}

static uint32_t do_push_burst(struct ring_spsc *r, const void *it, uint32_t n)
{
	switch (r->slot_size) {
	case 8: return ring_spsc_push_burst(r, it, n, 8);
	case 24: return ring_spsc_push_burst(r, it, n, 24);
	case 64: return ring_spsc_push_burst(r, it, n, 64);
	}
	fail_msg("slot size %u not dispatched", r->slot_size);
	return 0;
}

static uint32_t do_pop_burst(struct ring_spsc *r, void *it, uint32_t n)
{
	switch (r->slot_size) {
	case 8: return ring_spsc_pop_burst(r, it, n, 8);
	case 24: return ring_spsc_pop_burst(r, it, n, 24);
	case 64: return ring_spsc_pop_burst(r, it, n, 64);
	}
	fail_msg("slot size %u not dispatched", r->slot_size);
	return 0;
}

/* ---- model-checked operations ----------------------------------------- */

enum op_kind {
	OP_END = 0,
	OP_PUSH,       /* expect: 0 or -ENOBUFS */
	OP_POP,        /* expect: 0 or -ENOENT */
	OP_PUSH_BURST, /* n items; expect: count pushed */
	OP_POP_BURST,  /* n max; expect: count popped */
	OP_RESERVE,    /* n wanted; expect: count; then fill + commit `done` */
	OP_PEEK,       /* n wanted; expect: count; then check + release `done` */
};

static const char *const op_names[] = {
	"end", "push", "pop", "push_burst", "pop_burst", "reserve", "peek",
};

struct op {
	enum op_kind kind;
	uint32_t n;
	int32_t expect;
	uint32_t done;  /* reserve: slots committed; peek: slots released */
	uint32_t rep;   /* run the op this many times (0 = once) */
};

/* What the ring should hold: items prod..cons-1, numbered from 0. */
struct model {
	struct ring_spsc *r;
	uint32_t start; /* initial index */
	uint64_t prod;  /* next seq to push */
	uint64_t cons;  /* next seq expected */
	char ctx[160];
};

static void model_check(struct model *m)
{
	struct ring_spsc *r = m->r;
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t used = (uint32_t)(m->prod - m->cons);

	RING_CHECK(r, m->ctx, head == (uint32_t)(m->start + m->prod),
		   "head %u, model %u", head, (uint32_t)(m->start + m->prod));
	RING_CHECK(r, m->ctx, tail == (uint32_t)(m->start + m->cons),
		   "tail %u, model %u", tail, (uint32_t)(m->start + m->cons));
	RING_CHECK(r, m->ctx, r->prod_head == head && r->cons_tail == tail,
		   "private copies prod_head %u cons_tail %u", r->prod_head,
		   r->cons_tail);
	RING_CHECK(r, m->ctx, ring_spsc_count(r) == used, "count %u, model %u",
		   ring_spsc_count(r), used);
	RING_CHECK(r, m->ctx, ring_spsc_free_count(r) == r->count - used,
		   "free %u, model %u", ring_spsc_free_count(r),
		   r->count - used);
}

/* Expected result of op (n) on the model. */
static int32_t model_expect(const struct model *m, enum op_kind k, uint32_t n)
{
	uint32_t used = (uint32_t)(m->prod - m->cons);
	uint32_t room = m->r->count - used;
	uint32_t head_idx = (uint32_t)(m->start + m->prod) & m->r->mask;
	uint32_t tail_idx = (uint32_t)(m->start + m->cons) & m->r->mask;
	uint32_t v;

	switch (k) {
	case OP_PUSH: return room ? 0 : -ENOBUFS;
	case OP_POP: return used ? 0 : -ENOENT;
	case OP_PUSH_BURST: return (int32_t)(n < room ? n : room);
	case OP_POP_BURST: return (int32_t)(n < used ? n : used);
	case OP_RESERVE:
		v = n < room ? n : room;
		if (v > m->r->count - head_idx)
			v = m->r->count - head_idx;
		return (int32_t)v;
	case OP_PEEK:
		v = n < used ? n : used;
		if (v > m->r->count - tail_idx)
			v = m->r->count - tail_idx;
		return (int32_t)v;
	case OP_END: break;
	}
	return 0;
}

/* Run one op, check the result, the content and the indices. */
static void model_step(struct model *m, const struct op *o)
{
	struct ring_spsc *r = m->r;
	size_t es = r->slot_size;
	uint8_t buf[MAX_BURST * MAX_ESIZE];
	int32_t want = o->expect;
	int32_t model = model_expect(m, o->kind, o->n);
	int32_t got = 0;
	uint32_t i;
	void *slots = NULL;

	assert_true(o->n <= MAX_BURST);
	/* The script's expectation is written by hand; the model must agree
	 * with it, or the script (or the model) is wrong. */
	RING_CHECK(r, m->ctx, model == want,
		   "script expects %d from %s(n=%u), the model says %d", want,
		   op_names[o->kind], o->n, model);
	switch (o->kind) {
	case OP_PUSH:
		item_fill(buf, m->prod, es);
		got = do_push(r, buf);
		if (got == 0)
			m->prod++;
		break;
	case OP_POP:
		memset(buf, 0, es);
		got = do_pop(r, buf);
		if (got == 0) {
			RING_CHECK(r, m->ctx, item_ok(buf, m->cons, es),
				   "popped item is not seq %llu",
				   (unsigned long long)m->cons);
			m->cons++;
		}
		break;
	case OP_PUSH_BURST:
		for (i = 0; i < o->n; i++)
			item_fill(buf + i * es, m->prod + i, es);
		got = (int32_t)do_push_burst(r, buf, o->n);
		m->prod += (uint32_t)got;
		break;
	case OP_POP_BURST:
		memset(buf, 0, sizeof(buf));
		got = (int32_t)do_pop_burst(r, buf, o->n);
		for (i = 0; i < (uint32_t)got; i++)
			RING_CHECK(r, m->ctx, item_ok(buf + i * es, m->cons + i, es),
				   "burst item %u is not seq %llu", i,
				   (unsigned long long)(m->cons + i));
		/* Nothing written past what was popped. */
		for (i = (uint32_t)got * (uint32_t)es; i < o->n * es; i++)
			RING_CHECK(r, m->ctx, buf[i] == 0,
				   "pop_burst wrote byte %u past %d items", i, got);
		m->cons += (uint32_t)got;
		break;
	case OP_RESERVE:
		got = (int32_t)ring_spsc_reserve(r, o->n, &slots);
		if (got > 0) {
			uint32_t head = (uint32_t)(m->start + m->prod);
			uint32_t done = o->done < (uint32_t)got ? o->done
							       : (uint32_t)got;

			RING_CHECK(r, m->ctx, slots == ring_spsc_slot(r, head),
				   "reserve slot %p, expected %p", slots,
				   ring_spsc_slot(r, head));
			for (i = 0; i < done; i++)
				item_fill((uint8_t *)slots + i * es, m->prod + i, es);
			ring_spsc_commit(r, done);
			m->prod += done;
		}
		break;
	case OP_PEEK:
		got = (int32_t)ring_spsc_peek(r, o->n, &slots);
		if (got > 0) {
			uint32_t tail = (uint32_t)(m->start + m->cons);
			uint32_t done = o->done < (uint32_t)got ? o->done
							       : (uint32_t)got;

			RING_CHECK(r, m->ctx, slots == ring_spsc_slot(r, tail),
				   "peek slot %p, expected %p", slots,
				   ring_spsc_slot(r, tail));
			for (i = 0; i < (uint32_t)got; i++)
				RING_CHECK(r, m->ctx,
					   item_ok((uint8_t *)slots + i * es,
						   m->cons + i, es),
					   "peeked slot %u is not seq %llu", i,
					   (unsigned long long)(m->cons + i));
			ring_spsc_release(r, done);
			m->cons += done;
		}
		break;
	case OP_END:
		break;
	}
	RING_CHECK(r, m->ctx, got == want, "%s(n=%u) returned %d, expected %d",
		   op_names[o->kind], o->n, got, want);
	model_check(m);
}

/* ---- init and memsize ------------------------------------------------- */

struct init_case {
	uint32_t count, slot_size;
	int expect;
};

static const struct init_case init_cases[] = {
	{ 0, 8, -EINVAL },          /* zero slots */
	{ 3, 8, -EINVAL },          /* not a power of two */
	{ 6, 8, -EINVAL },
	{ 4095, 8, -EINVAL },
	{ UINT32_MAX, 8, -EINVAL },
	{ (UINT32_C(1) << 31) + 1, 8, -EINVAL },
	{ 8, 0, -EINVAL },          /* zero-size slots */
	{ 8, 4, -EINVAL },          /* not a multiple of 8 */
	{ 8, 12, -EINVAL },
	{ 8, 63, -EINVAL },
	{ 1, 8, 0 },                /* smallest ring */
	{ 2, 8, 0 },
	{ 8, 24, 0 },               /* slots need not be a power of two */
	{ 4096, 8, 0 },
	{ 4096, 64, 0 },
	{ 16, 256, 0 },
};

static void test_init_validation(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(init_cases); i++) {
		const struct init_case *c = &init_cases[i];
		size_t sz = ring_spsc_memsize(c->count, c->slot_size);
		struct ring_spsc *r;
		int rc;

		if (c->expect != 0) {
			/* A header-sized buffer is enough to be rejected. */
			r = aligned_alloc(CACHELINE, sizeof(*r));
			assert_non_null(r);
			rc = ring_spsc_init(r, c->count, c->slot_size);
			if (rc != c->expect || sz != 0)
				fail_msg("case %zu (count %u, slot %u): rc %d "
					 "memsize %zu, want %d and 0", i,
					 c->count, c->slot_size, rc, sz,
					 c->expect);
			free(r);
			continue;
		}
		assert_true(sz != 0);
		r = aligned_alloc(CACHELINE, sz);
		assert_non_null(r);
		rc = ring_spsc_init(r, c->count, c->slot_size);
		if (rc != 0)
			fail_msg("case %zu (count %u, slot %u): rc %d", i,
				 c->count, c->slot_size, rc);
		assert_int_equal(ring_spsc_capacity(r), c->count);
		assert_int_equal(ring_spsc_slot_size(r), c->slot_size);
		assert_int_equal(ring_spsc_count(r), 0);
		assert_int_equal(ring_spsc_free_count(r), c->count);
		ring_spsc_fini(r);
		free(r);
	}
}

static void test_init_bad_memory(void **state)
{
	struct ring_spsc *r = aligned_alloc(CACHELINE, 2 * sizeof(*r));

	(void)state;
	assert_non_null(r);
	assert_int_equal(ring_spsc_init(NULL, 8, 8), -EINVAL);
	/* Misaligned: the layout promises separate cache lines. */
	assert_int_equal(ring_spsc_init((struct ring_spsc *)((uint8_t *)r + 8),
					8, 8), -EINVAL);
	ring_spsc_fini(NULL);
	free(r);
}

struct memsize_case {
	uint32_t count, slot_size;
	size_t expect;
};

#define HDR (10u * CACHELINE)

static const struct memsize_case memsize_cases[] = {
	{ 1, 8, HDR + CACHELINE },            /* rounded up to a whole line */
	{ 2, 8, HDR + CACHELINE },
	{ 8, 8, HDR + 64 },
	{ 8, 24, HDR + 192 },
	{ 4, 24, HDR + 128 },                 /* 96 bytes -> 2 lines */
	{ 4096, 8, HDR + 4096 * 8 },
	{ 4096, 64, HDR + 4096 * 64 },
	{ 0, 8, 0 },
	{ 5, 8, 0 },
	{ 8, 0, 0 },
	{ 8, 20, 0 },
#if SIZE_MAX > UINT32_MAX
	{ UINT32_C(1) << 31, 8, HDR + ((size_t)1 << 34) }, /* largest count */
	{ UINT32_C(1) << 31, UINT32_MAX - 7,
	  HDR + ((size_t)1 << 31) * (UINT32_MAX - 7) },
#else
	{ UINT32_C(1) << 31, 8, 0 },          /* overflows a 32-bit size_t */
#endif
};

static void test_memsize(void **state)
{
	size_t i;

	(void)state;
	assert_int_equal(sizeof(struct ring_spsc), HDR);
	for (i = 0; i < ARRAY_SIZE(memsize_cases); i++) {
		const struct memsize_case *c = &memsize_cases[i];
		size_t got = ring_spsc_memsize(c->count, c->slot_size);

		if (got != c->expect)
			fail_msg("case %zu: memsize(%u, %u) = %zu, want %zu", i,
				 c->count, c->slot_size, got, c->expect);
	}
}

/* Every group the two threads write sits in its own 128-byte line pair. */
static void test_layout(void **state)
{
	static const size_t groups[] = {
		offsetof(struct ring_spsc, mask),
		offsetof(struct ring_spsc, head),
		offsetof(struct ring_spsc, tail),
		offsetof(struct ring_spsc, prod_head),
		offsetof(struct ring_spsc, cons_tail),
		offsetof(struct ring_spsc, slots),
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(groups); i++)
		assert_int_equal(groups[i], i * 2 * CACHELINE);
	assert_int_equal(offsetof(struct ring_spsc, cached_tail) / (2 * CACHELINE),
			 offsetof(struct ring_spsc, prod_head) / (2 * CACHELINE));
	assert_int_equal(offsetof(struct ring_spsc, cached_head) / (2 * CACHELINE),
			 offsetof(struct ring_spsc, cons_tail) / (2 * CACHELINE));
}

/* ---- scripted scenarios --------------------------------------------- */

#define MAX_OPS 16

struct script {
	const char *name;
	uint32_t count;
	uint32_t start;  /* initial index; the wrap runs add 2^32 - count */
	struct op ops[MAX_OPS];
};

#define PUSH(e) { OP_PUSH, 1, (e), 0, 0 }
#define POP(e) { OP_POP, 1, (e), 0, 0 }
#define PUSHN(rep) { OP_PUSH, 1, 0, 0, (rep) }
#define POPN(rep) { OP_POP, 1, 0, 0, (rep) }
#define PUSHB(n, e) { OP_PUSH_BURST, (n), (e), 0, 0 }
#define POPB(n, e) { OP_POP_BURST, (n), (e), 0, 0 }
#define RESV(n, e, d) { OP_RESERVE, (n), (e), (d), 0 }
#define PEEK(n, e, d) { OP_PEEK, (n), (e), (d), 0 }

static const struct script scripts[] = {
	{ "one slot", 1, 0, {
		POP(-ENOENT), PUSH(0), PUSH(-ENOBUFS), POP(0), POP(-ENOENT),
		PUSH(0), POP(0), PUSHB(4, 1), PUSHB(4, 0), POPB(4, 1),
		RESV(2, 1, 1), RESV(2, 0, 0), PEEK(2, 1, 1), PEEK(1, 0, 0) } },
	{ "fill and drain", 8, 0, {
		PUSHN(8), PUSH(-ENOBUFS), PUSHB(1, 0), RESV(1, 0, 0),
		POPN(8), POP(-ENOENT), POPB(3, 0), PEEK(1, 0, 0),
		PUSHN(8), POPN(8) } },
	{ "fill and drain, odd start", 8, 5, {
		PUSHN(8), PUSH(-ENOBUFS), POPN(8), POP(-ENOENT),
		PUSHN(3), POPN(2), PUSHN(7), PUSH(-ENOBUFS), POPN(8),
		POP(-ENOENT) } },
	{ "partial bursts", 8, 0, {
		PUSHB(5, 5), PUSHB(5, 3), PUSHB(1, 0), POPB(6, 6), POPB(6, 2),
		POPB(1, 0), PUSHB(0, 0), POPB(0, 0), PUSHB(8, 8), POPB(9, 8) } },
	{ "bursts across the slot wrap", 8, 6, {
		PUSHB(4, 4), POPB(4, 4), PUSHB(8, 8), POPB(3, 3), PUSHB(8, 3),
		POPB(16, 8), PUSHB(7, 7), POPB(7, 7) } },
	{ "bursts of 32 in 64", 64, 40, {
		PUSHB(32, 32), PUSHB(32, 32), PUSHB(32, 0), POPB(32, 32),
		PUSHB(32, 32), POPB(32, 32), POPB(32, 32), POPB(32, 0) } },
	{ "reserve stops at the slot wrap", 8, 6, {
		RESV(4, 2, 2), RESV(4, 4, 3), RESV(8, 3, 3), RESV(1, 0, 0),
		PEEK(8, 2, 1), PEEK(8, 1, 1), PEEK(8, 6, 6), PEEK(1, 0, 0) } },
	{ "reserve partial commits", 16, 0, {
		RESV(8, 8, 0), RESV(8, 8, 5), RESV(16, 11, 11), RESV(4, 0, 0),
		PEEK(4, 4, 0), PEEK(4, 4, 4), PEEK(16, 12, 12),
		PEEK(16, 0, 0) } },
	{ "mixed APIs", 8, 7, {
		PUSH(0), PUSHB(3, 3), RESV(8, 4, 4), PUSH(-ENOBUFS),
		PEEK(8, 1, 1), POP(0), POPB(2, 2), RESV(8, 1, 1), PUSH(0),
		POPB(3, 3), PEEK(8, 2, 2), POP(0), POP(-ENOENT) } },
};

static const uint32_t esizes[] = { 8, 24, 64 };

static void run_script(const struct script *s, uint32_t esize, uint32_t start)
{
	struct model m = { 0 };
	size_t i;
	uint32_t k;

	m.r = ring_new(s->count, esize, start);
	m.start = start;
	for (i = 0; i < MAX_OPS && s->ops[i].kind != OP_END; i++) {
		uint32_t rep = s->ops[i].rep ? s->ops[i].rep : 1;

		for (k = 0; k < rep; k++) {
			snprintf(m.ctx, sizeof(m.ctx),
				 "script \"%s\" esize %u start %#x op %zu (%s) "
				 "rep %u", s->name, esize, start, i,
				 op_names[s->ops[i].kind], k);
			model_step(&m, &s->ops[i]);
		}
	}
	free(m.r);
}

static void test_scripts(void **state)
{
	size_t i, e;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(scripts); i++)
		for (e = 0; e < ARRAY_SIZE(esizes); e++)
			run_script(&scripts[i], esizes[e], scripts[i].start);
}

/* Same scripts with the indices crossing 2^32 a few items in. Adding a
 * multiple of count keeps each slot position, so the expectations hold. */
static void test_scripts_uint32_wrap(void **state)
{
	size_t i, e;
	uint32_t shift;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(scripts); i++) {
		for (e = 0; e < ARRAY_SIZE(esizes); e++) {
			for (shift = 1; shift <= 4; shift++) {
				uint32_t start = scripts[i].start -
						 shift * scripts[i].count;
				run_script(&scripts[i], esizes[e], start);
			}
		}
	}
}

/* ---- model-based random walk ------------------------------------------ */

static uint64_t rng_next(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

struct walk_case {
	uint32_t count;
	uint32_t start;
	uint32_t steps;
};

static const struct walk_case walk_cases[] = {
	{ 1, UINT32_MAX - 3, 2000 },
	{ 2, UINT32_MAX - 1, 2000 },
	{ 8, UINT32_MAX - 20, 5000 },
	{ 8, 0, 5000 },
	{ 64, UINT32_MAX - 100, 20000 },
	{ 64, INT32_MAX - 10, 20000 },  /* crosses 2^31: no signed maths */
	{ 4096, UINT32_MAX - 5000, 20000 },
};

static void test_random_walk(void **state)
{
	size_t c, e;
	uint32_t step;

	(void)state;
	for (c = 0; c < ARRAY_SIZE(walk_cases); c++) {
		for (e = 0; e < ARRAY_SIZE(esizes); e++) {
			const struct walk_case *w = &walk_cases[c];
			struct model m = { 0 };
			uint64_t seed = c * 1000 + e + 1;

			m.r = ring_new(w->count, esizes[e], w->start);
			m.start = w->start;
			for (step = 0; step < w->steps; step++) {
				uint64_t x = rng_next(&seed);
				struct op o = { 0 };

				o.kind = (enum op_kind)(OP_PUSH + x % 6);
				/* Bias towards filling on even thousands of
				 * steps and draining on odd ones, so both
				 * full and empty are visited often. */
				if ((step / 1000) % 2 == 0 &&
				    (o.kind == OP_POP || o.kind == OP_POP_BURST ||
				     o.kind == OP_PEEK) && (x >> 8) % 3 == 0)
					o.kind = (enum op_kind)(o.kind - 1);
				o.n = (uint32_t)((x >> 16) % (MAX_BURST + 1));
				o.done = (uint32_t)((x >> 32) % (MAX_BURST + 1));
				snprintf(m.ctx, sizeof(m.ctx),
					 "walk %zu (count %u, start %#x) esize "
					 "%u step %u %s n=%u done=%u", c,
					 w->count, w->start, esizes[e], step,
					 op_names[o.kind], o.n, o.done);
				o.expect = model_expect(&m, o.kind, o.n);
				model_step(&m, &o);
			}
			free(m.r);
		}
	}
}

/* ---- FIFO content ----------------------------------------------------- */

/* Push and pop several laps of the ring in varied chunk sizes and check
 * every byte of every item, 8- and 64-byte slots. */
static void test_fifo_content(void **state)
{
	static const uint32_t sizes[] = { 8, 64 };
	static const uint32_t starts[] = { 0, UINT32_MAX - 100 };
	size_t si, st;

	(void)state;
	for (si = 0; si < ARRAY_SIZE(sizes); si++) {
		for (st = 0; st < ARRAY_SIZE(starts); st++) {
			struct model m = { 0 };
			uint32_t chunk = 1;

			m.r = ring_new(256, sizes[si], starts[st]);
			m.start = starts[st];
			snprintf(m.ctx, sizeof(m.ctx), "fifo esize %u start %#x",
				 sizes[si], starts[st]);
			while (m.prod < 256 * 10) {
				struct op in = { OP_PUSH_BURST, chunk, 0, 0, 0 };
				struct op out = { OP_POP_BURST, chunk, 0, 0, 0 };
				uint32_t k;

				/* Fill by bursts, drain one by one, and the
				 * other way round, so each meets the other's
				 * leftovers at every slot offset. */
				if (chunk % 2) {
					in.expect = model_expect(&m, in.kind, chunk);
					model_step(&m, &in);
					for (k = 0; k < (uint32_t)in.expect; k++) {
						struct op p = POP(0);
						model_step(&m, &p);
					}
				} else {
					for (k = 0; k < chunk; k++) {
						struct op p = PUSH(0);
						model_step(&m, &p);
					}
					out.expect = model_expect(&m, out.kind, chunk);
					model_step(&m, &out);
				}
				chunk = chunk % MAX_BURST + 1;
			}
			free(m.r);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_validation),
		cmocka_unit_test(test_init_bad_memory),
		cmocka_unit_test(test_memsize),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_scripts),
		cmocka_unit_test(test_scripts_uint32_wrap),
		cmocka_unit_test(test_random_walk),
		cmocka_unit_test(test_fifo_content),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
