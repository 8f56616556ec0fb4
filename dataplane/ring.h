/* ring.h - single-producer single-consumer ring of fixed-size slots, the
 * hand-off between pinned cores (feed -> quote, quote -> exec, log rings).
 * Owns nothing: it lives in caller memory of ring_spsc_memsize() bytes, with
 * the slots trailing the header. Threads: one producer thread calls the push,
 * reserve and commit side, one consumer thread the pop, peek and release
 * side; the count queries may run anywhere; init runs before both start. */
#ifndef RING_H
#define RING_H

#include <assert.h>
#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hw/compiler.h"

/* Most slots a ring may have: free-running uint32_t indices stay unambiguous
 * while head - tail never exceeds 2^31. */
#define RING_SPSC_COUNT_MAX (UINT32_C(1) << 31)
/* Slot sizes are multiples of this, so every slot is 8-byte aligned. */
#define RING_SPSC_SLOT_ALIGN 8u

/*
 * Layout, in cache lines (CACHELINE = 64 bytes):
 *   0     config: read-only after init, read by both sides
 *   2     head: stored by the producer only, loaded by the consumer only
 *   4     tail: stored by the consumer only, loaded by the producer only
 *   6     producer-private: its own copy of head, its cached tail
 *   8     consumer-private: its own copy of tail, its cached head
 *   10..  slots
 * Odd lines are padding: adjacent-line prefetch pairs lines (hw/compiler.h),
 * and two lines of distance keeps every group out of another's pair
 * whatever the base alignment mod 128. The shared index lines are
 * write-only for their owner: the owner's fast path loads nothing from them,
 * so when the other side pulls the line over (which it does whenever it
 * runs out), the owner's next push or pop does not miss on a load; only its
 * store waits, in the store buffer. Measured (bench_ring): 8-byte single
 * push/pop ~1.4x the throughput, and ping-pong p50 ~20% lower, than with
 * each side's private fields on its shared index line.
 *
 * Indices run freely over uint32_t; a slot is index & mask; head - tail is
 * the fill level, in [0, count]. Each side reads the other's index only when
 * its cached copy says the ring is too full (producer) or too empty
 * (consumer) for the request, so in steady state neither touches the
 * other's lines.
 *
 * Memory-order pairs (labels used in the comments below):
 *   R0 producer's release store of head   -> A1 consumer's acquire load of head
 *      (slot contents written before the index that says they are there)
 *   R1 consumer's release store of tail   -> A0 producer's acquire load of tail
 *      (slot contents read before the producer may overwrite them)
 *   R1                                    -> A2 ring_spsc_count's load of tail
 *      (a snapshot from any thread never sees head behind tail)
 *
 * Public so the inline fast paths can see the fields; never edit directly.
 */
struct ring_spsc {
	/* Config: written by init, read-only afterwards. */
	CACHELINE_ALIGNED uint32_t mask; /* count - 1 */
	uint32_t count;                  /* slots, a power of two */
	uint32_t slot_size;              /* bytes per slot, multiple of 8 */
	uint8_t pad_cfg[2 * CACHELINE - 3 * sizeof(uint32_t)];

	/* Shared indices, each alone on its line pair. */
	_Atomic uint32_t head;  /* next index to fill: producer stores */
	uint8_t pad_head[2 * CACHELINE - sizeof(uint32_t)];
	_Atomic uint32_t tail;  /* next index to drain: consumer stores */
	uint8_t pad_tail[2 * CACHELINE - sizeof(uint32_t)];

	/* Producer-private: only the producer thread touches these. */
	uint32_t prod_head;     /* == head, without loading the shared line */
	uint32_t cached_tail;   /* last tail it loaded */
	uint8_t pad_prod[2 * CACHELINE - 2 * sizeof(uint32_t)];

	/* Consumer-private: only the consumer thread touches these. */
	uint32_t cons_tail;     /* == tail, without loading the shared line */
	uint32_t cached_head;   /* last head it loaded */
	uint8_t pad_cons[2 * CACHELINE - 2 * sizeof(uint32_t)];

	/* count * slot_size bytes, in the same allocation. */
	CACHELINE_ALIGNED uint8_t slots[];
};

#define RING_SPSC_LINE_PAIR(field) \
	(offsetof(struct ring_spsc, field) / (2 * CACHELINE))
_Static_assert(RING_SPSC_LINE_PAIR(mask) == 0 &&
	       RING_SPSC_LINE_PAIR(slot_size) == 0, "config in pair 0");
_Static_assert(offsetof(struct ring_spsc, head) == 2 * CACHELINE,
	       "head must start its own line pair");
_Static_assert(offsetof(struct ring_spsc, tail) == 4 * CACHELINE,
	       "tail must start its own line pair");
_Static_assert(offsetof(struct ring_spsc, prod_head) == 6 * CACHELINE &&
	       RING_SPSC_LINE_PAIR(cached_tail) == 3,
	       "producer-private fields share one line pair");
_Static_assert(offsetof(struct ring_spsc, cons_tail) == 8 * CACHELINE &&
	       RING_SPSC_LINE_PAIR(cached_head) == 4,
	       "consumer-private fields share one line pair");
_Static_assert(offsetof(struct ring_spsc, slots) == 10 * CACHELINE,
	       "slots must start two lines after the consumer's fields");
_Static_assert(sizeof(struct ring_spsc) == 10 * CACHELINE, "header size");
_Static_assert(alignof(struct ring_spsc) == CACHELINE, "header alignment");
_Static_assert(sizeof(_Atomic uint32_t) == sizeof(uint32_t),
	       "indices must be plain lock-free 32-bit words");

/* Bytes of caller memory for a ring of `count` slots of `slot_size` bytes
 * (header plus slots, rounded up to a cache line), or 0 when count is not a
 * power of two in [1, RING_SPSC_COUNT_MAX], slot_size is 0 or not a multiple
 * of 8, or the size overflows size_t. Any thread. */
size_t ring_spsc_memsize(uint32_t count, uint32_t slot_size);

/* Initialise an empty ring in r, which points at ring_spsc_memsize() bytes
 * aligned to CACHELINE. 0, -EINVAL bad count or slot_size (see memsize) or
 * NULL/misaligned r. Not thread-safe: run before producer and consumer. */
int ring_spsc_init(struct ring_spsc *r, uint32_t count, uint32_t slot_size);

/* Like ring_spsc_init with both indices starting at `start` instead of 0:
 * tests use it to cross the uint32_t wrap. Same errors. */
int ring_spsc_init_at(struct ring_spsc *r, uint32_t count, uint32_t slot_size,
		      uint32_t start);

/* Nothing to release (the ring owns no memory); accepts NULL. Call once the
 * producer and consumer have stopped, before freeing the memory. */
void ring_spsc_fini(struct ring_spsc *r);

/* ---- Fast paths -------------------------------------------------------
 * Copying calls take the element size `esize` as an argument the caller
 * passes as a constant (like rte_ring_*_elem): after inlining, the copy is
 * a fixed run of register moves with no size dispatch. It must equal the
 * ring's slot_size (asserted in debug builds). Items are arrays of
 * esize-byte elements, packed. */

/* Address of the slot for free-running index idx. Any thread (pure). */
static ALWAYS_INLINE void *ring_spsc_slot(struct ring_spsc *r, uint32_t idx)
{
	return r->slots + (size_t)(idx & r->mask) * r->slot_size;
}

/* Producer: free slots it may fill without reloading tail (0 or more),
 * reloading tail when fewer than n are known free. */
static ALWAYS_INLINE uint32_t ring_spsc_prod_room(struct ring_spsc *r,
						  uint32_t head, uint32_t n)
{
	uint32_t room = r->cached_tail + r->count - head;

	if (UNLIKELY(room < n)) {
		/* A0: pairs with R1 in ring_spsc_publish_tail (pop,
		 * pop_burst, release): the consumer finished reading every
		 * slot below tail before we may overwrite it. */
		r->cached_tail = atomic_load_explicit(&r->tail,
						      memory_order_acquire);
		room = r->cached_tail + r->count - head;
	}
	return room;
}

/* Consumer: filled slots it may drain without reloading head, reloading
 * head when fewer than n are known filled. */
static ALWAYS_INLINE uint32_t ring_spsc_cons_avail(struct ring_spsc *r,
						   uint32_t tail, uint32_t n)
{
	uint32_t avail = r->cached_head - tail;

	if (UNLIKELY(avail < n)) {
		/* A1: pairs with R0 in ring_spsc_publish_head (push,
		 * push_burst, commit): slot contents below head are visible
		 * once head is. */
		r->cached_head = atomic_load_explicit(&r->head,
						      memory_order_acquire);
		avail = r->cached_head - tail;
	}
	return avail;
}

/* Producer: publish head. Its own copy first (plain: only this thread
 * reads it), then the shared index. */
static ALWAYS_INLINE void ring_spsc_publish_head(struct ring_spsc *r,
						 uint32_t head)
{
	r->prod_head = head;
	/* R0: pairs with A1 in ring_spsc_cons_avail: every slot below head
	 * is written before a consumer can see head. */
	atomic_store_explicit(&r->head, head, memory_order_release);
}

/* Consumer: publish tail, own copy first, then the shared index. */
static ALWAYS_INLINE void ring_spsc_publish_tail(struct ring_spsc *r,
						 uint32_t tail)
{
	r->cons_tail = tail;
	/* R1: pairs with A0 in ring_spsc_prod_room: every slot below tail
	 * has been read before the producer can see tail. */
	atomic_store_explicit(&r->tail, tail, memory_order_release);
}

/* Largest element copied in as 8-byte words; larger ones use memcpy. */
#define RING_SPSC_WORD_COPY_MAX (2u * CACHELINE)

/* Copy one element into a slot. Up to RING_SPSC_WORD_COPY_MAX bytes it moves
 * 8-byte words through general registers: callers usually fill the item
 * just before pushing it, and a wider (vector) load that overlaps a
 * narrower store still in the store buffer cannot be forwarded; it waits for
 * that store to commit, which sits behind the previous push's slot stores,
 * themselves waiting for the line to come back from the consumer. Measured
 * (bench_ring, 64-byte items with a fresh sequence number each): single
 * push 1.2-1.6x the throughput of memcpy. Copy-out keeps memcpy: nothing
 * there overlaps a pending narrower store. The empty asm keeps each word in
 * a register so the compiler does not merge the moves back into vector
 * ones. esize is a multiple of 8. */
static ALWAYS_INLINE void ring_spsc_copy_elem_in(uint8_t *dst,
						 const uint8_t *src,
						 size_t esize)
{
	size_t w;

	if (esize > RING_SPSC_WORD_COPY_MAX) {
		memcpy(dst, src, esize);
		return;
	}
	for (w = 0; w < esize; w += 8) {
		uint64_t v;

		memcpy(&v, src + w, sizeof(v));
		__asm__("" : "+r"(v));
		memcpy(dst + w, &v, sizeof(v));
	}
}

/* Copy n elements in at head (n <= room), splitting at the wrap. */
static ALWAYS_INLINE void ring_spsc_copy_in(struct ring_spsc *r, uint32_t head,
					    const void *items, uint32_t n,
					    size_t esize)
{
	const uint8_t *src = (const uint8_t *)items;
	uint32_t idx = head & r->mask;
	uint32_t first = r->count - idx;
	uint8_t *dst = r->slots + (size_t)idx * esize;
	uint32_t i;

	if (LIKELY(n <= first)) {
		for (i = 0; i < n; i++)
			ring_spsc_copy_elem_in(dst + (size_t)i * esize,
					       src + (size_t)i * esize, esize);
		return;
	}
	for (i = 0; i < first; i++)
		ring_spsc_copy_elem_in(dst + (size_t)i * esize,
				       src + (size_t)i * esize, esize);
	src += (size_t)first * esize;
	for (i = 0; i < n - first; i++)
		ring_spsc_copy_elem_in(r->slots + (size_t)i * esize,
				       src + (size_t)i * esize, esize);
}

/* Copy n elements out from tail (n <= avail), splitting at the wrap. */
static ALWAYS_INLINE void ring_spsc_copy_out(const struct ring_spsc *r,
					     uint32_t tail, void *items,
					     uint32_t n, size_t esize)
{
	uint8_t *dst = (uint8_t *)items;
	uint32_t idx = tail & r->mask;
	uint32_t first = r->count - idx;
	const uint8_t *src = r->slots + (size_t)idx * esize;
	uint32_t i;

	if (LIKELY(n <= first)) {
		for (i = 0; i < n; i++)
			memcpy(dst + (size_t)i * esize, src + (size_t)i * esize,
			       esize);
		return;
	}
	for (i = 0; i < first; i++)
		memcpy(dst + (size_t)i * esize, src + (size_t)i * esize, esize);
	dst += (size_t)first * esize;
	for (i = 0; i < n - first; i++)
		memcpy(dst + (size_t)i * esize, r->slots + (size_t)i * esize,
		       esize);
}

/* Producer: copy one esize-byte item in and publish it at once.
 * 0, -ENOBUFS full (nothing written). */
static ALWAYS_INLINE int ring_spsc_push(struct ring_spsc *r, const void *item,
					size_t esize)
{
	uint32_t head = r->prod_head;

	assert(esize == r->slot_size);
	if (UNLIKELY(ring_spsc_prod_room(r, head, 1) == 0))
		return -ENOBUFS;
	ring_spsc_copy_elem_in(r->slots + (size_t)(head & r->mask) * esize,
			       (const uint8_t *)item, esize);
	ring_spsc_publish_head(r, head + 1);
	return 0;
}

/* Consumer: copy the oldest item out and free its slot.
 * 0, -ENOENT empty (item untouched). */
static ALWAYS_INLINE int ring_spsc_pop(struct ring_spsc *r, void *item,
				       size_t esize)
{
	uint32_t tail = r->cons_tail;

	assert(esize == r->slot_size);
	if (UNLIKELY(ring_spsc_cons_avail(r, tail, 1) == 0))
		return -ENOENT;
	memcpy(item, r->slots + (size_t)(tail & r->mask) * esize, esize);
	ring_spsc_publish_tail(r, tail + 1);
	return 0;
}

/* Producer: copy up to n items in and publish them with one release store.
 * Returns how many were pushed (0 when full). */
static ALWAYS_INLINE uint32_t ring_spsc_push_burst(struct ring_spsc *r,
						   const void *items,
						   uint32_t n, size_t esize)
{
	uint32_t head = r->prod_head;
	uint32_t room = ring_spsc_prod_room(r, head, n);

	assert(esize == r->slot_size);
	if (n > room)
		n = room;
	if (UNLIKELY(n == 0))
		return 0;
	ring_spsc_copy_in(r, head, items, n, esize);
	ring_spsc_publish_head(r, head + n);
	return n;
}

/* Consumer: copy up to max items out and free their slots with one release
 * store. Returns how many were popped (0 when empty). */
static ALWAYS_INLINE uint32_t ring_spsc_pop_burst(struct ring_spsc *r,
						  void *items, uint32_t max,
						  size_t esize)
{
	uint32_t tail = r->cons_tail;
	uint32_t avail = ring_spsc_cons_avail(r, tail, max);

	assert(esize == r->slot_size);
	if (max > avail)
		max = avail;
	if (UNLIKELY(max == 0))
		return 0;
	ring_spsc_copy_out(r, tail, items, max, esize);
	ring_spsc_publish_tail(r, tail + max);
	return max;
}

/* Producer, zero-copy: up to n free slots that are contiguous in memory
 * (the run stops at the end of the slot array; call again after commit for
 * the rest). *slots gets the first; slot i is at (uint8_t *)*slots +
 * i * slot_size. Returns how many (0 when full, *slots then untouched).
 * Nothing is published until ring_spsc_commit. */
static ALWAYS_INLINE uint32_t ring_spsc_reserve(struct ring_spsc *r,
						uint32_t n, void **slots)
{
	uint32_t head = r->prod_head;
	uint32_t room = ring_spsc_prod_room(r, head, n);
	uint32_t idx = head & r->mask;
	uint32_t contig = r->count - idx;

	if (n > room)
		n = room;
	if (n > contig)
		n = contig;
	if (n != 0)
		*slots = r->slots + (size_t)idx * r->slot_size;
	return n;
}

/* Producer, zero-copy: publish the first n slots of the last reserve
 * (n <= what it returned) with one release store. */
static ALWAYS_INLINE void ring_spsc_commit(struct ring_spsc *r, uint32_t n)
{
	uint32_t head = r->prod_head;

	assert(n <= r->cached_tail + r->count - head);
	ring_spsc_publish_head(r, head + n);
}

/* Consumer, zero-copy: up to n filled slots, oldest first, contiguous in
 * memory (the run stops at the end of the slot array; call again after
 * release for the rest). *slots gets the first. Returns how many (0 when
 * empty, *slots then untouched). The slots stay the consumer's, readable
 * and writable, until ring_spsc_release. */
static ALWAYS_INLINE uint32_t ring_spsc_peek(struct ring_spsc *r, uint32_t n,
					     void **slots)
{
	uint32_t tail = r->cons_tail;
	uint32_t avail = ring_spsc_cons_avail(r, tail, n);
	uint32_t idx = tail & r->mask;
	uint32_t contig = r->count - idx;

	if (n > avail)
		n = avail;
	if (n > contig)
		n = contig;
	if (n != 0)
		*slots = r->slots + (size_t)idx * r->slot_size;
	return n;
}

/* Consumer, zero-copy: hand the n oldest slots back to the producer
 * (n <= what the last peek returned) with one release store. */
static ALWAYS_INLINE void ring_spsc_release(struct ring_spsc *r, uint32_t n)
{
	uint32_t tail = r->cons_tail;

	assert(n <= r->cached_head - tail);
	ring_spsc_publish_tail(r, tail + n);
}

/* Items in the ring: exact on the producer or consumer thread while the
 * other side is idle, otherwise a snapshot in [0, count]. Any thread. */
static inline uint32_t ring_spsc_count(const struct ring_spsc *r)
{
	/* A2: pairs with R1 in ring_spsc_publish_tail. Tail first: the
	 * consumer's A1 load of some head >= tail happens-before our head
	 * load, so head - tail cannot go negative. */
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	/* Relaxed: a snapshot; nothing is read through it. */
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t used = head - tail;

	return used > r->count ? r->count : used;
}

/* Free slots: count minus ring_spsc_count, with the same guarantees. */
static inline uint32_t ring_spsc_free_count(const struct ring_spsc *r)
{
	return r->count - ring_spsc_count(r);
}

/* Slots in the ring (all usable). Any thread. */
static inline uint32_t ring_spsc_capacity(const struct ring_spsc *r)
{
	return r->count;
}

/* Bytes per slot. Any thread. */
static inline uint32_t ring_spsc_slot_size(const struct ring_spsc *r)
{
	return r->slot_size;
}

#endif /* RING_H */
