/* ring.c - cold set-up of the SPSC slot ring (the fast paths are inline in
 * ring.h). Owns nothing; the caller owns the ring's memory. Runs on one
 * thread before the producer and consumer start. */
#include "dataplane/ring.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

static int ring_spsc_valid(uint32_t count, uint32_t slot_size)
{
	if (count == 0 || count > RING_SPSC_COUNT_MAX ||
	    (count & (count - 1)) != 0)
		return 0;
	if (slot_size == 0 || slot_size % RING_SPSC_SLOT_ALIGN != 0)
		return 0;
	return 1;
}

COLD size_t ring_spsc_memsize(uint32_t count, uint32_t slot_size)
{
	size_t slots, total;

	if (!ring_spsc_valid(count, slot_size))
		return 0;
	if ((size_t)count > (SIZE_MAX - sizeof(struct ring_spsc)) / slot_size)
		return 0;
	slots = (size_t)count * slot_size;
	total = sizeof(struct ring_spsc) + slots;
	if (total > SIZE_MAX - (CACHELINE - 1))
		return 0;
	/* Whole lines, so whatever follows in the caller's memory never
	 * shares a line with the last slots. */
	return (total + CACHELINE - 1) & ~(size_t)(CACHELINE - 1);
}

COLD int ring_spsc_init_at(struct ring_spsc *r, uint32_t count,
			   uint32_t slot_size, uint32_t start)
{
	if (r == NULL || ((uintptr_t)r & (CACHELINE - 1)) != 0)
		return -EINVAL;
	if (ring_spsc_memsize(count, slot_size) == 0)
		return -EINVAL;
	/* Header only: the slots are written before they are ever read. */
	memset(r, 0, sizeof(*r));
	r->mask = count - 1;
	r->count = count;
	r->slot_size = slot_size;
	r->prod_head = start;
	r->cached_tail = start;
	r->cons_tail = start;
	r->cached_head = start;
	/* Relaxed: no other thread runs yet; whatever starts the producer and
	 * consumer (thread creation, a release of a start flag) publishes
	 * these stores to them. */
	atomic_store_explicit(&r->head, start, memory_order_relaxed);
	atomic_store_explicit(&r->tail, start, memory_order_relaxed);
	return 0;
}

COLD int ring_spsc_init(struct ring_spsc *r, uint32_t count, uint32_t slot_size)
{
	return ring_spsc_init_at(r, count, slot_size, 0);
}

COLD void ring_spsc_fini(struct ring_spsc *r)
{
	if (r == NULL)
		return;
	/* Nothing is owned. Zero the geometry so a use after fini trips the
	 * esize assertion in debug builds instead of reading freed slots. */
	r->mask = 0;
	r->count = 0;
	r->slot_size = 0;
}
