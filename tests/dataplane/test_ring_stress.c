/* test_ring_stress.c - two-thread stress test of the SPSC slot ring: a
 * producer and a consumer thread each mix the copying single/burst calls and
 * the zero-copy calls at random; every item carries its sequence number and a
 * payload checksum that the consumer verifies. 10^8 items per phase in
 * release builds, 10^7 under sanitizers. Threads: main, producer, consumer. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "dataplane/ring.h"
#include "hw/cpu.h"

#ifdef TW_SANITIZED
#define STRESS_ITEMS UINT64_C(10000000)
#else
#define STRESS_ITEMS UINT64_C(100000000)
#endif
#define STRESS_BURST_MAX 32u

/* 32-byte item: sequence, two payload words derived from it, checksum. */
struct item32 {
	uint64_t seq;
	uint64_t a;
	uint64_t b;
	uint64_t sum;
};
_Static_assert(sizeof(struct item32) == 32, "item32 layout");

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static uint64_t rng_next(uint64_t *s)
{
	*s += UINT64_C(0x9E3779B97F4A7C15);
	return mix64(*s);
}

static void item32_make(struct item32 *it, uint64_t seq)
{
	it->seq = seq;
	it->a = mix64(seq);
	it->b = ~seq * UINT64_C(0x100000001B3);
	it->sum = it->seq ^ (it->a + it->b) ^ UINT64_C(0x5A5A5A5A5A5A5A5A);
}

/* 8-byte item: seq in the low 48 bits, a 16-bit check of it on top. */
static uint64_t item8_make(uint64_t seq)
{
	return (seq & UINT64_C(0xFFFFFFFFFFFF)) |
	       ((mix64(seq) & 0xFFFF) << 48);
}

struct stress {
	struct ring_spsc *r;
	uint32_t esize;          /* 8 or 32 */
	uint64_t items;
	uint64_t seed;
	atomic_bool stop;        /* set by a failing side: the other gives up */
	/* Consumer's verdict, read by main after join. */
	uint64_t received;
	uint64_t bad_seq;        /* first seq that failed, or UINT64_MAX */
	char why[160];
	/* How often each call ran, to show the mix was exercised. */
	uint64_t calls[6];
};

enum { C_PUSH, C_PUSH_BURST, C_RESERVE, C_POP, C_POP_BURST, C_PEEK };

static void item_write(const struct stress *s, void *dst, uint64_t seq)
{
	if (s->esize == 8) {
		uint64_t v = item8_make(seq);
		memcpy(dst, &v, 8);
	} else {
		struct item32 it;
		item32_make(&it, seq);
		memcpy(dst, &it, sizeof(it));
	}
}

/* 0 when src holds item seq, else -1 with the reason in s->why. */
static int item_verify(struct stress *s, const void *src, uint64_t seq)
{
	if (s->esize == 8) {
		uint64_t v;
		memcpy(&v, src, 8);
		if (v == item8_make(seq))
			return 0;
		snprintf(s->why, sizeof(s->why),
			 "8-byte item %#llx, expected %#llx",
			 (unsigned long long)v,
			 (unsigned long long)item8_make(seq));
	} else {
		struct item32 it;
		memcpy(&it, src, sizeof(it));
		if (it.seq == seq && it.a == mix64(seq) &&
		    it.b == ~seq * UINT64_C(0x100000001B3) &&
		    it.sum == (it.seq ^ (it.a + it.b) ^
			       UINT64_C(0x5A5A5A5A5A5A5A5A)))
			return 0;
		snprintf(s->why, sizeof(s->why),
			 "32-byte item seq %llu (expected %llu), checksum %s",
			 (unsigned long long)it.seq, (unsigned long long)seq,
			 it.sum == (it.seq ^ (it.a + it.b) ^
				    UINT64_C(0x5A5A5A5A5A5A5A5A)) ? "ok" : "bad");
	}
	s->bad_seq = seq;
	return -1;
}

/* Constant esize per call site so the fast paths inline as they would in
 * production code. */
static int push1(struct stress *s, const void *it)
{
	return s->esize == 8 ? ring_spsc_push(s->r, it, 8)
			     : ring_spsc_push(s->r, it, 32);
}

static int pop1(struct stress *s, void *it)
{
	return s->esize == 8 ? ring_spsc_pop(s->r, it, 8)
			     : ring_spsc_pop(s->r, it, 32);
}

static uint32_t pushn(struct stress *s, const void *it, uint32_t n)
{
	return s->esize == 8 ? ring_spsc_push_burst(s->r, it, n, 8)
			     : ring_spsc_push_burst(s->r, it, n, 32);
}

static uint32_t popn(struct stress *s, void *it, uint32_t n)
{
	return s->esize == 8 ? ring_spsc_pop_burst(s->r, it, n, 8)
			     : ring_spsc_pop_burst(s->r, it, n, 32);
}

static void *producer_main(void *arg)
{
	struct stress *s = arg;
	uint8_t buf[STRESS_BURST_MAX * 32];
	uint64_t seq = 0;
	uint64_t rng = s->seed;
	uint32_t i;

	while (seq < s->items) {
		uint64_t x = rng_next(&rng);
		uint32_t want = (uint32_t)((x >> 8) % STRESS_BURST_MAX) + 1;
		uint32_t got = 0;
		void *slots = NULL;

		if (want > s->items - seq)
			want = (uint32_t)(s->items - seq);
		switch (x % 3) {
		case 0:
			item_write(s, buf, seq);
			got = push1(s, buf) == 0;
			s->calls[C_PUSH]++;
			break;
		case 1:
			for (i = 0; i < want; i++)
				item_write(s, buf + i * s->esize, seq + i);
			got = pushn(s, buf, want);
			s->calls[C_PUSH_BURST]++;
			break;
		default:
			got = ring_spsc_reserve(s->r, want, &slots);
			/* Sometimes commit fewer than reserved. */
			if (got > 1 && (x >> 40) % 4 == 0)
				got--;
			for (i = 0; i < got; i++)
				item_write(s, (uint8_t *)slots + i * s->esize,
					   seq + i);
			ring_spsc_commit(s->r, got);
			s->calls[C_RESERVE]++;
			break;
		}
		seq += got;
		if (got == 0) {
			/* Relaxed: a hint to give up; no data hangs on it. */
			if (atomic_load_explicit(&s->stop, memory_order_relaxed))
				break;
			CPU_RELAX();
		}
	}
	return NULL;
}

static void *consumer_main(void *arg)
{
	struct stress *s = arg;
	uint8_t buf[STRESS_BURST_MAX * 32];
	uint64_t seq = 0;
	uint64_t rng = s->seed ^ UINT64_C(0xDEADBEEF);
	uint32_t i;

	while (seq < s->items) {
		uint64_t x = rng_next(&rng);
		uint32_t want = (uint32_t)((x >> 8) % STRESS_BURST_MAX) + 1;
		uint32_t got = 0;
		void *slots = NULL;

		switch (x % 3) {
		case 0:
			got = pop1(s, buf) == 0;
			if (got && item_verify(s, buf, seq) != 0)
				goto fail;
			s->calls[C_POP]++;
			break;
		case 1:
			got = popn(s, buf, want);
			for (i = 0; i < got; i++)
				if (item_verify(s, buf + i * s->esize, seq + i))
					goto fail;
			s->calls[C_POP_BURST]++;
			break;
		default:
			got = ring_spsc_peek(s->r, want, &slots);
			for (i = 0; i < got; i++)
				if (item_verify(s, (uint8_t *)slots +
						i * s->esize, seq + i))
					goto fail;
			/* Sometimes release fewer than peeked. */
			if (got > 1 && (x >> 40) % 4 == 0)
				got--;
			ring_spsc_release(s->r, got);
			s->calls[C_PEEK]++;
			break;
		}
		seq += got;
		if (got == 0)
			CPU_RELAX();
	}
	s->received = seq;
	return NULL;
fail:
	s->received = seq;
	/* Relaxed: the producer only needs to stop eventually; main reads
	 * the verdict after pthread_join, which orders everything. */
	atomic_store_explicit(&s->stop, true, memory_order_relaxed);
	return NULL;
}

struct phase {
	const char *name;
	uint32_t count;      /* ring slots */
	uint32_t esize;
	uint32_t start;      /* initial index: near 2^32 so it wraps */
	uint64_t items;
};

static const struct phase phases[] = {
	{ "32-byte items, 64 slots", 64, 32, UINT32_MAX - 1000, STRESS_ITEMS },
	{ "8-byte items, 16 slots", 16, 8, UINT32_MAX - 7, STRESS_ITEMS },
	{ "8-byte items, 1024 slots", 1024, 8, UINT32_MAX - 100000,
	  STRESS_ITEMS },
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void run_phase(const struct phase *p, uint64_t seed)
{
	size_t sz = ring_spsc_memsize(p->count, p->esize);
	struct stress *s = calloc(1, sizeof(*s));
	pthread_t prod, cons;
	double t0, dt;

	assert_non_null(s);
	assert_true(sz != 0);
	s->r = aligned_alloc(CACHELINE, sz);
	assert_non_null(s->r);
	assert_int_equal(ring_spsc_init_at(s->r, p->count, p->esize, p->start),
			 0);
	s->esize = p->esize;
	s->items = p->items;
	s->seed = seed;
	s->bad_seq = UINT64_MAX;
	atomic_init(&s->stop, false);

	t0 = now_s();
	assert_int_equal(pthread_create(&cons, NULL, consumer_main, s), 0);
	assert_int_equal(pthread_create(&prod, NULL, producer_main, s), 0);
	pthread_join(prod, NULL);
	pthread_join(cons, NULL);
	dt = now_s() - t0;

	printf("  %-26s %llu items in %.2f s (%.1f M/s); calls push %llu "
	       "burst %llu reserve %llu pop %llu burst %llu peek %llu\n",
	       p->name, (unsigned long long)s->received, dt,
	       (double)s->received / dt / 1e6,
	       (unsigned long long)s->calls[C_PUSH],
	       (unsigned long long)s->calls[C_PUSH_BURST],
	       (unsigned long long)s->calls[C_RESERVE],
	       (unsigned long long)s->calls[C_POP],
	       (unsigned long long)s->calls[C_POP_BURST],
	       (unsigned long long)s->calls[C_PEEK]);
	if (s->bad_seq != UINT64_MAX || s->received != p->items) {
		uint32_t head = atomic_load_explicit(&s->r->head,
						     memory_order_relaxed);
		uint32_t tail = atomic_load_explicit(&s->r->tail,
						     memory_order_relaxed);

		print_error("%s: consumer got %llu of %llu items; first bad "
			    "seq %llu: %s\n  ring: count=%u slot_size=%u "
			    "head=%u prod_head=%u cached_tail=%u\n"
			    "        tail=%u cons_tail=%u cached_head=%u\n",
			    p->name, (unsigned long long)s->received,
			    (unsigned long long)p->items,
			    (unsigned long long)s->bad_seq, s->why,
			    s->r->count, s->r->slot_size, head,
			    s->r->prod_head, s->r->cached_tail, tail,
			    s->r->cons_tail, s->r->cached_head);
		fail();
	}
	/* Everything pushed was popped: the ring must be empty. */
	assert_int_equal(ring_spsc_count(s->r), 0);
	assert_int_equal(atomic_load_explicit(&s->r->head, memory_order_relaxed),
			 (uint32_t)(p->start + p->items));
	free(s->r);
	free(s);
}

static void test_stress(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(phases); i++)
		run_phase(&phases[i], 12345 + i);
}

int main(void)
{
	int allowed[2];

	/* Two spinning threads on one cpu make no progress worth testing. */
	if (cpu_allowed(allowed, 2) < 2) {
		printf("test_ring_stress: skipped: needs two cpus\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
