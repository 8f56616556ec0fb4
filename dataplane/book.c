/* book.c - the L3 book set: block layout and reset (cold), ITCH updates on
 * the order table and the chunked per-side price ladders (hot), symbol
 * state, depth, the invariant checker and the printer. Owns nothing: the
 * caller owns the block. Threads: the one thread that owns the book set.
 * Structures and their rationale: book.h. */
#include "dataplane/book.h"
#include "hw/arena.h"

#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#define CHUNK BOOK_CHUNK_LEVELS
/* Set in BOOK_NIL, clear in every record index: orders and levels are
 * below BOOK_ORDERS_MAX, chunks below 2^28 + 2^17 + 1 (book_layout_of). */
#define BOOK_NIL_BIT (UINT32_C(1) << 31)
_Static_assert(BOOK_ORDERS_MAX <= BOOK_NIL_BIT / 2, "orders and levels below 2^30");
/* Neighbouring chunks holding <= HALF entries together are merged, so any
 * two neighbours hold >= HALF + 1. */
#define HALF (BOOK_CHUNK_LEVELS / 2)
/* Words from a chunk's key[i] to its lvl[i]. */
#define CHUNK_LVL_OFF ((offsetof(struct book_chunk, lvl) - offsetof(struct book_chunk, key)) / \
		       sizeof(uint32_t))
_Static_assert((offsetof(struct book_chunk, lvl) - offsetof(struct book_chunk, key)) %
		       sizeof(uint32_t) == 0, "lvl[] word aligned after key[]");

_Static_assert(CHUNK >= 4 && CHUNK % 2 == 0, "split gives two halves");

/* A level insert or removal shifts the few entries between it and the end
 * of its chunk, mostly none to three. GCC turns those loops into two
 * memmove calls (for key[] and lvl[]), whose call and size set-up cost
 * more than the moves (callgrind on many3m: ladder_insert 106 -> 88
 * instructions a call, with the other trims there); keep them loops. Nor
 * vectorised: GCC's vector copy with its scalar tails costs more than the
 * plain loop for so few entries (ladder_insert 85.4 -> 84.3). */
#if defined(__GNUC__) && !defined(__clang__)
#define BOOK_NO_MEMMOVE \
	__attribute__((optimize("no-tree-loop-distribute-patterns", "no-tree-vectorize")))
#else
#define BOOK_NO_MEMMOVE
#endif
/* GCC peels ladder_remove's shift loop up to the chunk size; the copies
 * take registers that the whole function then saves and spills (callgrind
 * on many3m: ladder_remove 100.5 -> 99.0 instructions a call rolled). */
#if defined(__GNUC__) && !defined(__clang__)
#define BOOK_NO_UNROLL _Pragma("GCC unroll 1")
#else
#define BOOK_NO_UNROLL
#endif

/* ---- layout ----------------------------------------------------------- */

struct book_layout {
	uint32_t max_orders, max_levels, max_chunks, max_locate, slots;
	size_t off_syms, off_slots, off_orders, off_levels, off_chunks, total;
};

static size_t align_up(size_t v, size_t a)
{
	return (v + a - 1) & ~(a - 1);
}

static int book_layout_of(const struct book_cfg *cfg, struct book_layout *lo)
{
	uint64_t slots = 2, sides, chunks;
	size_t off;

	if (cfg == NULL || cfg->max_orders == 0 ||
	    cfg->max_orders > BOOK_ORDERS_MAX || cfg->max_locate == 0 ||
	    cfg->max_locate > BOOK_LOCATE_MAX)
		return -EINVAL;
	lo->max_orders = cfg->max_orders;
	lo->max_levels = cfg->max_levels == 0 || cfg->max_levels > cfg->max_orders
				 ? cfg->max_orders : cfg->max_levels;
	lo->max_locate = cfg->max_locate;
	while (slots < 2 * (uint64_t)cfg->max_orders)
		slots <<= 1;
	lo->slots = (uint32_t)slots;
	/* A side with L levels in m chunks has floor(m/2) disjoint neighbour
	 * pairs of >= HALF + 1 entries: m <= 2L / (HALF + 1) + 1. Summed over
	 * the non-empty sides (at most one per level), plus one spare. */
	sides = 2 * (uint64_t)lo->max_locate;
	chunks = 2 * (uint64_t)lo->max_levels / (HALF + 1) +
		 (sides < lo->max_levels ? sides : lo->max_levels) + 1;
	lo->max_chunks = (uint32_t)chunks;

	off = align_up(sizeof(struct book_set), 2 * CACHELINE);
	lo->off_syms = off;
	off += align_up(((size_t)lo->max_locate + 1) * sizeof(struct book_sym),
			2 * CACHELINE);
	lo->off_slots = off;
	off += align_up((size_t)lo->slots * sizeof(struct book_slot), 2 * CACHELINE);
	lo->off_orders = off;
	off += align_up((size_t)lo->max_orders * sizeof(struct book_order),
			2 * CACHELINE);
	lo->off_levels = off;
	off += align_up((size_t)lo->max_levels * sizeof(struct book_level),
			2 * CACHELINE);
	lo->off_chunks = off;
	off += (size_t)lo->max_chunks * sizeof(struct book_chunk);
	lo->total = off;
	return 0;
}

COLD size_t book_memsize_detail(const struct book_cfg *cfg, struct book_mem *parts)
{
	struct book_layout lo;

	if (book_layout_of(cfg, &lo) != 0)
		return 0;
	if (parts != NULL) {
		parts->header = lo.off_syms;
		parts->syms = lo.off_slots - lo.off_syms;
		parts->table = lo.off_orders - lo.off_slots;
		parts->orders = lo.off_levels - lo.off_orders;
		parts->levels = lo.off_chunks - lo.off_levels;
		parts->chunks = lo.total - lo.off_chunks;
		parts->total = lo.total;
		parts->slots = lo.slots;
		parts->nchunks = lo.max_chunks;
	}
	return lo.total;
}

COLD size_t book_memsize(const struct book_cfg *cfg)
{
	return book_memsize_detail(cfg, NULL);
}

COLD void book_reset(struct book_set *bs)
{
	uint32_t i;

	if (bs == NULL)
		return;
	memset(&bs->cnt, 0, sizeof(bs->cnt));
	memset(bs->syms, 0, ((size_t)bs->max_locate + 1) * sizeof(*bs->syms));
	for (i = 0; i <= bs->max_locate; i++) {
		struct book_sym *s = &bs->syms[i];

		s->best_lvl[0] = s->best_lvl[1] = BOOK_NIL;
		s->best_chunk[0] = s->best_chunk[1] = BOOK_NIL;
	}
	/* All-ones: every slot's order is BOOK_NIL (empty). */
	memset(bs->slots, 0xff, ((size_t)bs->slot_mask + 1) * sizeof(*bs->slots));
	/* The pools are not touched: the free lists start empty and take
	 * never-used records as needed (pools_refill). */
	bs->order_free = BOOK_NIL;
	bs->level_free = BOOK_NIL;
	bs->chunk_free = BOOK_NIL;
	bs->order_fresh = 0;
	bs->level_fresh = 0;
	bs->chunk_fresh = 0;
}

COLD int book_init(struct book_set *bs, const struct book_cfg *cfg)
{
	struct book_layout lo;
	uint8_t *base = (uint8_t *)bs;
	uint32_t bits = 0;

	if (bs == NULL || ((uintptr_t)bs & (CACHELINE - 1)) != 0)
		return -EINVAL;
	if (book_layout_of(cfg, &lo) != 0)
		return -EINVAL;
	memset(bs, 0, sizeof(*bs));
	bs->syms = (struct book_sym *)(base + lo.off_syms);
	bs->slots = (struct book_slot *)(base + lo.off_slots);
	bs->orders = (struct book_order *)(base + lo.off_orders);
	bs->levels = (struct book_level *)(base + lo.off_levels);
	bs->chunks = (struct book_chunk *)(base + lo.off_chunks);
	while ((UINT32_C(1) << bits) < lo.slots)
		bits++;
	bs->slot_mask = lo.slots - 1;
	bs->hash_bits = bits;
	bs->max_orders = lo.max_orders;
	bs->max_levels = lo.max_levels;
	bs->max_chunks = lo.max_chunks;
	bs->max_locate = lo.max_locate;
	book_reset(bs);
	return 0;
}

COLD void book_fini(struct book_set *bs)
{
	/* Nothing is held outside the caller's block; poison the pointers so
	 * a use after fini faults instead of reading stale books. */
	if (bs == NULL)
		return;
	bs->slots = NULL;
	bs->orders = NULL;
	bs->levels = NULL;
	bs->chunks = NULL;
	bs->syms = NULL;
}

/* ---- small helpers ---------------------------------------------------- */

/* Ladder key: price for bids, ~price for asks, so better is greater on
 * both sides. Its own inverse. */
static ALWAYS_INLINE uint32_t side_key(unsigned side, uint32_t px)
{
	return px ^ (0u - side);
}

static ALWAYS_INLINE int book_reject(struct book_set *bs, enum book_reason r)
{
	bs->cnt.rejected[r]++;
	return -(int)r;
}

/* Free lists are filled from the never-used records [*_fresh, max) a batch
 * at a time, only when one runs empty (a check the updates make anyway):
 * book_reset need not link hundreds of MiB of records, and taking a record
 * costs no extra test. Records come in the order a fully linked list would
 * give: freed ones (LIFO) first, then the never-used ones in index order.
 * The batch is small because a refill writes never-touched lines inside
 * some update: at 1,024 records the three pools' first refills wrote ~2,000
 * cold lines, ~10 us inside the first add of a run (a paper run's first
 * orders waited for it); 16 write ~40, and the call's own cost spread over
 * 16 records is a few instructions each, paid only while a pool grows. */
#define BOOK_REFILL 16u

/* End of the next batch of never-used records from fresh (< max). */
static uint32_t refill_end(uint32_t fresh, uint32_t max)
{
	return max - fresh > BOOK_REFILL ? fresh + BOOK_REFILL : max;
}

static COLD NOINLINE void pools_refill(struct book_set *bs)
{
	uint32_t i, end;

	if (bs->order_free == BOOK_NIL && bs->order_fresh < bs->max_orders) {
		end = refill_end(bs->order_fresh, bs->max_orders);
		for (i = bs->order_fresh; i < end; i++) {
			bs->orders[i].next = i + 1 < end ? i + 1 : BOOK_NIL;
			bs->orders[i].level = BOOK_NIL;
		}
		bs->order_free = bs->order_fresh;
		bs->order_fresh = end;
	}
	if (bs->level_free == BOOK_NIL && bs->level_fresh < bs->max_levels) {
		end = refill_end(bs->level_fresh, bs->max_levels);
		for (i = bs->level_fresh; i < end; i++) {
			bs->levels[i].tail = i + 1 < end ? i + 1 : BOOK_NIL;
			bs->levels[i].chunk = BOOK_NIL;
		}
		bs->level_free = bs->level_fresh;
		bs->level_fresh = end;
	}
	if (bs->chunk_free == BOOK_NIL && bs->chunk_fresh < bs->max_chunks) {
		end = refill_end(bs->chunk_fresh, bs->max_chunks);
		for (i = bs->chunk_fresh; i < end; i++)
			bs->chunks[i].worse = i + 1 < end ? i + 1 : BOOK_NIL;
		bs->chunk_free = bs->chunk_fresh;
		bs->chunk_fresh = end;
	}
}

/* The next BOOK_REFILL records a pool hands out: its free list's, else
 * the never-used batch from fresh. rec / size: the pool; link: offset of
 * the free list's link in a record. */
static uint8_t pool_warm(const void *rec, size_t size, size_t link, uint32_t head,
			 uint32_t fresh, uint32_t max)
{
	const uint8_t *base = rec;
	uint8_t x = 0;

	for (uint32_t i = 0; i < BOOK_REFILL && head != BOOK_NIL; i++) {
		x ^= arena_touch(base + (size_t)head * size, size);
		memcpy(&head, base + (size_t)head * size + link, sizeof(head));
	}
	if (head == BOOK_NIL && fresh < max)
		x ^= arena_touch(base + (size_t)fresh * size,
				 (size_t)(refill_end(fresh, max) - fresh) * size);
	return x;
}

COLD void book_warm(const struct book_set *bs, const uint16_t *locates, uint32_t n)
{
	uint8_t x;

	if (!bs)
		return;
	x = arena_touch(bs, sizeof(*bs));
	for (uint32_t i = 0; i < n; i++)
		if (locates[i] && locates[i] <= bs->max_locate)
			x ^= arena_touch(&bs->syms[locates[i]], sizeof(bs->syms[0]));
	x ^= pool_warm(bs->orders, sizeof(bs->orders[0]), offsetof(struct book_order, next),
		       bs->order_free, bs->order_fresh, bs->max_orders);
	x ^= pool_warm(bs->levels, sizeof(bs->levels[0]), offsetof(struct book_level, tail),
		       bs->level_free, bs->level_fresh, bs->max_levels);
	x ^= pool_warm(bs->chunks, sizeof(bs->chunks[0]), offsetof(struct book_chunk, worse),
		       bs->chunk_free, bs->chunk_fresh, bs->max_chunks);
	(void)x;
}

COLD void book_prime(struct book_set *bs)
{
	if (bs)
		pools_refill(bs);
}

/* Slot holding ref (*found), or else the slot where ref belongs, *dist
 * slots from its home: the first one that is empty or holds an entry whose
 * home lies after ref's (the table keeps every cluster in home order, see
 * slot_put; so ref cannot be further on). */
static ALWAYS_INLINE uint32_t slot_probe(const struct book_set *bs,
					 uint64_t ref, uint32_t h, bool *found,
					 uint32_t *dist)
{
	uint32_t mask = bs->slot_mask, i = h & mask, d;

	for (d = 0;; d++, i = (i + 1) & mask) {
		const struct book_slot *s = &bs->slots[i];

		if (s->order == BOOK_NIL || ((i - s->hash) & mask) < d) {
			*found = false;
			*dist = d;
			return i;
		}
		if (s->hash == h && bs->orders[s->order].ref == ref) {
			*found = true;
			*dist = d;
			return i;
		}
	}
}

/* book_slot_find as a found flag (h: ref's book_hash32), with the slot in *slot and the order
 * index it holds in *oi: the updates use both, the loop has them in
 * registers, and the flag needs no second test of the slot for BOOK_NIL
 * (callgrind on many3m: book_apply_delete 153.3 -> 144.9 instructions a
 * call, exec 162.2 -> 157.5, cancel 106.7 -> 100.3). */
static ALWAYS_INLINE bool slot_find(const struct book_set *bs, uint64_t ref, uint32_t h,
				    uint32_t *slot, uint32_t *oi)
{
	uint32_t mask = bs->slot_mask, i = h & mask;

	for (;; i = (i + 1) & mask) {
		const struct book_slot *s = &bs->slots[i];

		if (s->order == BOOK_NIL)
			return false;
		if (s->hash == h && bs->orders[s->order].ref == ref) {
			*slot = i;
			*oi = s->order;
			return true;
		}
	}
}

/* Put (h, oi) into slot i found by slot_probe. If i is taken, its entry
 * and the rest of the cluster move up one slot (Robin Hood order: along a
 * cluster, homes never decrease, so each entry's probe distance is at most
 * its predecessor's + 1). Sequential references sit at their homes, so
 * this is nearly always a plain store. */
static ALWAYS_INLINE void slot_put_shift(struct book_set *bs, uint32_t i,
				     struct book_slot carry)
{
	struct book_slot *s = bs->slots;
	uint32_t mask = bs->slot_mask;

	while (s[i].order != BOOK_NIL) {
		struct book_slot t = s[i];

		s[i] = carry;
		carry = t;
		i = (i + 1) & mask;
	}
	s[i] = carry;
}

static ALWAYS_INLINE void slot_put(struct book_set *bs, uint32_t i, uint32_t h,
				   uint32_t oi)
{
	struct book_slot carry = { h, oi };

	if (LIKELY(bs->slots[i].order == BOOK_NIL))
		bs->slots[i] = carry;
	else
		slot_put_shift(bs, i, carry);
}

/* Empty slot i by backward shift: pull the following entries back one slot
 * until an empty slot or an entry at its home. Home order (slot_put) means
 * nothing after such an entry can belong at or before i. No tombstones, and
 * a deletion among sequential references (all at home) stops at once. */
static ALWAYS_INLINE void slot_delete(struct book_set *bs, uint32_t i)
{
	struct book_slot *s = bs->slots;
	uint32_t mask = bs->slot_mask, j;

	for (;;) {
		j = (i + 1) & mask;
		if (s[j].order == BOOK_NIL || (s[j].hash & mask) == j)
			break;
		s[i] = s[j];
		i = j;
	}
	s[i].order = BOOK_NIL;
	s[i].hash = BOOK_NIL;
}

/* Best price and shares of one side from its ladder's best chunk. */
static void top_refresh(struct book_set *bs, struct book_sym *sym, unsigned side)
{
	uint32_t ci = sym->best_chunk[side];

	if (ci == BOOK_NIL) {
		sym->best_lvl[side] = BOOK_NIL;
		sym->best_px[side] = 0;
		sym->best_qty[side] = 0;
	} else {
		const struct book_chunk *ch = &bs->chunks[ci];
		uint32_t li = ch->lvl[ch->n - 1];

		sym->best_lvl[side] = li;
		sym->best_px[side] = bs->levels[li].px;
		sym->best_qty[side] = bs->levels[li].shares;
	}
}

/* ---- ladder: chunk pool, split, merge --------------------------------- */

/* A pool's peak of live records, kept as one past the highest index it
 * has handed out: a never-used record is taken only when the free list
 * holds no freed one (pools_refill), so then every record handed out so
 * far is live, and never-used records go in index order. So the peak of
 * the live count is the number of distinct records used, which is the
 * highest index + 1. One compare against the peak, rather than the live
 * count reloaded, compared and stored (callgrind on many3m: book_apply_add_msg 186.0 -> 182.4
 * instructions a call). */
static ALWAYS_INLINE void peak_note(uint32_t *peak, uint32_t i)
{
	if (UNLIKELY(i >= *peak))
		*peak = i + 1;
}

static ALWAYS_INLINE uint32_t chunk_take(struct book_set *bs)
{
	uint32_t ci = bs->chunk_free;

	bs->chunk_free = bs->chunks[ci].worse;
	bs->cnt.chunks_live++;
	peak_note(&bs->cnt.chunks_peak, ci);
	return ci;
}

static void chunk_unlink_free(struct book_set *bs, struct book_sym *sym,
			      unsigned side, uint32_t ci)
{
	struct book_chunk *ch = &bs->chunks[ci];

	if (ch->better != BOOK_NIL)
		bs->chunks[ch->better].worse = ch->worse;
	else
		sym->best_chunk[side] = ch->worse;
	if (ch->worse != BOOK_NIL)
		bs->chunks[ch->worse].better = ch->better;
	ch->n = 0;
	ch->better = BOOK_NIL;
	ch->worse = bs->chunk_free;
	bs->chunk_free = ci;
	bs->cnt.chunks_live--;
}

/* Split full chunk ci: its better half moves to a new chunk linked on its
 * better side. Returns the new chunk. A free chunk must exist. */
static NOINLINE uint32_t chunk_split(struct book_set *bs, struct book_sym *sym,
				     unsigned side, uint32_t ci)
{
	uint32_t di = chunk_take(bs), j;
	struct book_chunk *c = &bs->chunks[ci], *d = &bs->chunks[di];

	for (j = 0; j < CHUNK - HALF; j++) {
		d->key[j] = c->key[HALF + j];
		d->lvl[j] = c->lvl[HALF + j];
		bs->levels[d->lvl[j]].chunk = di;
	}
	d->n = CHUNK - HALF;
	c->n = HALF;
	d->worse = ci;
	d->better = c->better;
	if (c->better != BOOK_NIL)
		bs->chunks[c->better].worse = di;
	else
		sym->best_chunk[side] = di;
	c->better = di;
	return di;
}

/* Merge neighbours w (worse) and b (better), whose entries fit in one
 * chunk: the smaller moves into the larger. Returns the surviving chunk. */
static NOINLINE uint32_t chunk_merge(struct book_set *bs, struct book_sym *sym,
				     unsigned side, uint32_t w, uint32_t b)
{
	struct book_chunk *W = &bs->chunks[w], *B = &bs->chunks[b];
	uint32_t j;

	if (W->n >= B->n) {
		for (j = 0; j < B->n; j++) {
			W->key[W->n + j] = B->key[j];
			W->lvl[W->n + j] = B->lvl[j];
			bs->levels[B->lvl[j]].chunk = w;
		}
		W->n += B->n;
		chunk_unlink_free(bs, sym, side, b);
		return w;
	}
	for (j = B->n; j-- > 0;) {
		B->key[j + W->n] = B->key[j];
		B->lvl[j + W->n] = B->lvl[j];
	}
	for (j = 0; j < W->n; j++) {
		B->key[j] = W->key[j];
		B->lvl[j] = W->lvl[j];
		bs->levels[W->lvl[j]].chunk = b;
	}
	B->n += W->n;
	chunk_unlink_free(bs, sym, side, w);
	return b;
}

/* Restore "neighbours hold > HALF" around chunk c after it lost entries. */
static ALWAYS_INLINE void ladder_rebalance(struct book_set *bs,
					   struct book_sym *sym, unsigned side,
					   uint32_t c)
{
	if (bs->chunks[c].n > HALF)
		return; /* no neighbour can fit with it: skip their lines */
	for (;;) {
		const struct book_chunk *ch = &bs->chunks[c];

		if (ch->worse != BOOK_NIL &&
		    ch->n + bs->chunks[ch->worse].n <= HALF)
			c = chunk_merge(bs, sym, side, ch->worse, c);
		else if (ch->better != BOOK_NIL &&
			 ch->n + bs->chunks[ch->better].n <= HALF)
			c = chunk_merge(bs, sym, side, c, ch->better);
		else
			return;
	}
}

/* The entry with the greatest key <= k on a non-empty ladder, from its
 * best chunk *ci: its address in chunk *ci, or NULL when k is below every
 * key (*ci: the worst chunk). Walks toward worse prices only while k is
 * below a chunk's lowest key. An add reads the level off the entry's
 * address (CHUNK_LVL_OFF) instead of turning it into a position
 * (callgrind on many3m, with book_apply_add's one test of the three free
 * lists: 203.3 -> 193.2 instructions a call).
 *
 * Linear from the best end: most keys sought are near the top. (A
 * branch-free 14-wide vector count measured the same in bench_book.)
 * key[0] is tested first: when k is below it the chunk is passed whole,
 * and otherwise key[0] ends the scan, so its steps need no bound test
 * (callgrind on many3m: book_apply_add 244 -> 241 instructions a call,
 * ladder_remove's like scan 121 -> 115). A pointer, not an index, steps
 * down: one register, no copies. */
static ALWAYS_INLINE const uint32_t *ladder_find(const struct book_set *bs,
						 uint32_t *ci, uint32_t k)
{
	const struct book_chunk *ch = &bs->chunks[*ci];

	for (;;) {
		if (LIKELY(ch->key[0] <= k)) {
			const uint32_t *p = &ch->key[ch->n - 1];

			while (*p > k)
				p--;
			return p;
		}
		if (ch->worse == BOOK_NIL)
			return NULL;
		*ci = ch->worse;
		ch = &bs->chunks[*ci];
	}
}

/* Find key k on a non-empty ladder from its best chunk ci (ladder_find):
 * returns the chunk, *pos the entry (*found) or the insertion point. */
static ALWAYS_INLINE uint32_t ladder_seek(const struct book_set *bs,
					  uint32_t ci, uint32_t k,
					  uint32_t *pos, bool *found)
{
	const uint32_t *p = ladder_find(bs, &ci, k);

	if (!p) { /* below every key: first in the worst chunk */
		*found = false;
		*pos = 0;
		return ci;
	}
	*found = *p == k;
	*pos = (uint32_t)(p - bs->chunks[ci].key) + !*found;
	return ci;
}

/* Insert a new level (key k) at chunk ci, position pos (ci == BOOK_NIL:
 * the side is empty), holding order oi (shares; its locate set) alone. A
 * free level, and a free chunk if ci is NIL or full, must exist. Returns
 * the level; it is the side's best if it landed at the top. Tried: the
 * shift as a pointer loop like ladder_remove's (book_apply_add 190.9 ->
 * 193.8 instructions a call).
 * The level is made with its order rather than empty for level_append to
 * fill in (callgrind on many3m: book_apply_add 219.2 -> 208.8 instructions
 * a call, replace 324.5 -> 316.1). Inlined into its two callers, add and
 * replace, which carry BOOK_NO_MEMMOVE for its shift loop: as a call it
 * had them keep more values in saved registers and on the stack
 * (book_apply_add 230.3 -> 219.2, replace 336.1 -> 324.5, each with the
 * ladder_insert calls it made). */
static ALWAYS_INLINE uint32_t ladder_insert_at(struct book_set *bs,
					       struct book_sym *sym,
					       unsigned side, uint32_t ci,
					       uint32_t pos, uint32_t k,
					       uint32_t oi, uint32_t shares)
{
	struct book_chunk *ch;
	struct book_level *l;
	uint32_t li, j, n, px = side_key(side, k);

	li = bs->level_free;
	l = &bs->levels[li];
	bs->level_free = l->tail;
	bs->cnt.levels_live++;
	peak_note(&bs->cnt.levels_peak, li);
	/* Field by field (pad unwritten), the locate from the order: no
	 * zeroing of the record first, no locate from the symbol's address
	 * (callgrind on many3m: book_apply_add 193.2 -> 190.9 instructions
	 * a call, replace 312.9 -> 310.9). */
	l->shares = shares;
	l->px = px;
	l->count = 1;
	l->head = oi;
	l->tail = oi;
	l->chunk = ci;
	l->locate = bs->orders[oi].locate;
	l->side = (uint8_t)side;
	bs->orders[oi].prev = BOOK_NIL;
	bs->orders[oi].next = BOOK_NIL;

	ch = &bs->chunks[ci];
	n = ch->n; /* in a local: the key stores could alias ch->n */
	for (j = n; j > pos; j--) {
		ch->key[j] = ch->key[j - 1];
		ch->lvl[j] = ch->lvl[j - 1];
	}
	ch->key[pos] = k;
	ch->lvl[pos] = li;
	ch->n = n + 1;
	sym->nlevels[side]++;
	if (pos == n && ch->better == BOOK_NIL) {
		sym->best_lvl[side] = li;
		sym->best_px[side] = px;
		sym->best_qty[side] = shares;
	}
	return li;
}

/* ladder_insert into full chunk ci: split it first. A call, so that the
 * usual insert keeps fewer values in saved registers across chunk_split. */
static NOINLINE BOOK_NO_MEMMOVE uint32_t ladder_insert_split(struct book_set *bs,
							      struct book_sym *sym,
							      unsigned side, uint32_t ci,
							      uint32_t pos, uint32_t k,
							      uint32_t oi, uint32_t shares)
{
	uint32_t di = chunk_split(bs, sym, side, ci);

	if (pos > HALF) {
		ci = di;
		pos -= HALF;
	}
	return ladder_insert_at(bs, sym, side, ci, pos, k, oi, shares);
}

static ALWAYS_INLINE uint32_t ladder_insert(struct book_set *bs,
					    struct book_sym *sym,
					    unsigned side, uint32_t ci,
					    uint32_t pos, uint32_t k,
					    uint32_t oi, uint32_t shares)
{
	if (ci == BOOK_NIL) {
		struct book_chunk *ch;

		ci = chunk_take(bs);
		ch = &bs->chunks[ci];
		ch->n = 0;
		ch->better = BOOK_NIL;
		ch->worse = BOOK_NIL;
		sym->best_chunk[side] = ci;
		pos = 0;
	} else if (UNLIKELY(bs->chunks[ci].n == CHUNK)) {
		return ladder_insert_split(bs, sym, side, ci, pos, k, oi, shares);
	}
	return ladder_insert_at(bs, sym, side, ci, pos, k, oi, shares);
}

/* Chunk ci lost an entry and holds <= HALF: free it if empty, then merge
 * what can be merged around it. Off ladder_remove's path, which then needs
 * fewer registers. */
static NOINLINE void ladder_shrunk(struct book_set *bs, struct book_sym *sym,
				   unsigned side, uint32_t ci)
{
	const struct book_chunk *ch = &bs->chunks[ci];

	if (ch->n == 0) {
		uint32_t next = ch->worse != BOOK_NIL ? ch->worse : ch->better;

		chunk_unlink_free(bs, sym, side, ci);
		ci = next;
	}
	if (ci != BOOK_NIL)
		ladder_rebalance(bs, sym, side, ci);
}

/* Remove empty level li from its ladder and free it; refresh the top if it
 * was the best. Inlined into E/C/D, which carry BOOK_NO_MEMMOVE for its
 * shift loop: as a call it had them keep more values in saved registers
 * (callgrind on many3m: book_apply_delete 159.4 -> 153.3 instructions a
 * call, exec 169.5 -> 162.2, each with the calls it made). A call
 * (ladder_remove_call) for U and X, which it made slower inlined (U 324.5
 * -> 331.3, X 106.7 -> 109.7: X mostly leaves part of the order). */
static ALWAYS_INLINE void ladder_remove(struct book_set *bs,
				       struct book_sym *sym,
				       unsigned side, uint32_t li, bool best)
{
	struct book_level *l = &bs->levels[li];
	uint32_t ci = l->chunk, k = side_key(side, l->px), n;
	struct book_chunk *ch = &bs->chunks[ci];
	uint32_t *p, *end;

	/* n in a local: the key stores could alias ch->n. k lies in the
	 * chunk, so the scan down from the top stops at it (key[0] <= k is
	 * tested once instead of a bound per step). */
	n = ch->n - 1;
	if (UNLIKELY(ch->key[0] > k))
		return; /* unreachable while the invariants hold (book_check) */
	for (p = &ch->key[n]; *p > k; p--)
		;
	if (UNLIKELY(*p != k))
		return; /* as above */
	/* The entries above move down one, each key with its level
	 * (CHUNK_LVL_OFF words on): a pointer loop, with no set-up of an
	 * index or count (callgrind on many3m: book_apply_delete 152.7 ->
	 * 147.7 instructions a call, exec 156.8 -> 155.0). Tried: one pass
	 * down that moves the entries as it seeks k, carrying one in
	 * registers (delete 149.4). */
	BOOK_NO_UNROLL
	for (end = &ch->key[n]; p < end; p++) {
		p[0] = p[1];
		p[CHUNK_LVL_OFF] = p[CHUNK_LVL_OFF + 1];
	}
	ch->n = n;
	/* A free level is known by its chunk; its other fields are written
	 * when it is taken again (ladder_insert_at). With the one test of
	 * the chunk's links below, callgrind on many3m: book_apply_delete
	 * 147.7 -> 146.9 instructions a call, exec 155.0 -> 154.0. */
	l->chunk = BOOK_NIL;
	l->tail = bs->level_free;
	bs->level_free = li;
	bs->cnt.levels_live--;
	sym->nlevels[side]--;
	/* A chunk still over half full has no neighbour to merge with, nor
	 * has the only chunk of a side (most sides: a few levels each),
	 * whose links are both BOOK_NIL: their AND is BOOK_NIL only then,
	 * indices having bit 31 clear. */
	if (UNLIKELY(n <= HALF) &&
	    (n == 0 || (ch->worse & ch->better) != BOOK_NIL))
		ladder_shrunk(bs, sym, side, ci);
	if (best)
		top_refresh(bs, sym, side);
}

/* ladder_remove as a call, for U and X. */
static NOINLINE BOOK_NO_MEMMOVE void ladder_remove_call(struct book_set *bs,
							struct book_sym *sym,
							unsigned side, uint32_t li, bool best)
{
	ladder_remove(bs, sym, side, li, best);
}

/* Would adding at (side, k) need a level or chunk we do not have? */
static bool ladder_would_fail(const struct book_set *bs,
			      const struct book_sym *sym, unsigned side,
			      uint32_t k, uint32_t *ci, uint32_t *pos)
{
	bool found = false;

	*ci = sym->best_chunk[side];
	*pos = 0;
	if (*ci != BOOK_NIL) {
		*ci = ladder_seek(bs, *ci, k, pos, &found);
		if (found)
			return false;
	}
	if (bs->level_free == BOOK_NIL)
		return true;
	return (*ci == BOOK_NIL || bs->chunks[*ci].n == CHUNK) &&
	       bs->chunk_free == BOOK_NIL;
}

/* Append order oi (shares) at the back of level li's FIFO. */
static ALWAYS_INLINE void level_append(struct book_set *bs, struct book_sym *sym,
				       unsigned side, uint32_t li, uint32_t oi,
				       uint32_t shares)
{
	struct book_level *l = &bs->levels[li];
	uint32_t tail = l->tail;

	bs->orders[oi].prev = tail;
	bs->orders[oi].next = BOOK_NIL;
	if (tail != BOOK_NIL)
		bs->orders[tail].next = oi;
	else
		l->head = oi;
	l->tail = oi;
	l->count++;
	l->shares += shares;
	if (li == sym->best_lvl[side])
		sym->best_qty[side] += shares;
}

/* Put order oi (shares) at the back of the level for (side, px) of sym,
 * created if missing (*created). Returns the level. The caller has made
 * sure that a free level, and a free chunk, are there when one is needed
 * (add_pools, and replace's check). */
static ALWAYS_INLINE uint32_t level_join(struct book_set *bs, struct book_sym *sym,
					 unsigned side, uint32_t px, uint32_t oi,
					 uint32_t shares, bool *created)
{
	uint32_t k = side_key(side, px), ci = sym->best_chunk[side], pos = 0, li;
	bool found = false;

	*created = false;
	/* At the best price (many adds are): the symbol's line has the level,
	 * no need to touch the ladder's two lines. */
	if (px == sym->best_px[side] && sym->best_lvl[side] != BOOK_NIL) {
		li = sym->best_lvl[side];
	} else {
		if (LIKELY(ci != BOOK_NIL))
			ci = ladder_seek(bs, ci, k, &pos, &found);
		if (!found) {
			*created = true;
			return ladder_insert(bs, sym, side, ci, pos, k, oi, shares);
		}
		li = bs->chunks[ci].lvl[pos];
	}
	level_append(bs, sym, side, li, oi, shares);
	return li;
}

/* ---- orders ----------------------------------------------------------- */

/* Take order oi (o) out of level li's FIFO; when it was the last one,
 * remove the level from the ladder instead (ladder_remove clears it).
 * Returns true when the level vanished. The head is known by l->head, not
 * by its prev link, so taking the head off (executions, most cancels of
 * the front) moves l->head without writing the next order's line: that
 * order's prev is left stale, and a head's prev is never read. call:
 * ladder_remove as a call rather than inlined (U, X; a constant). best:
 * li is the side's best level (the caller has tested it already). */
static ALWAYS_INLINE bool level_unlink(struct book_set *bs, struct book_sym *sym,
				       unsigned side, uint32_t li, uint32_t oi,
				       const struct book_order *o, bool call, bool best)
{
	struct book_level *l = &bs->levels[li];
	uint32_t prev = o->prev, next = o->next;

	if (UNLIKELY(--l->count == 0)) {
		if (call)
			ladder_remove_call(bs, sym, side, li, best);
		else
			ladder_remove(bs, sym, side, li, best);
		return true;
	}
	if (l->head == oi) {
		l->head = next; /* not the tail too: count was > 1 */
	} else {
		bs->orders[prev].next = next;
		if (next != BOOK_NIL)
			bs->orders[next].prev = prev;
		else
			l->tail = prev;
	}
	l->shares -= o->shares;
	if (best)
		sym->best_qty[side] -= o->shares;
	return false;
}

/* Take the free order at the head of the list for ref (its table slot
 * already written), with every field but its level and links: those come
 * with the level. Returns its index. */
static ALWAYS_INLINE uint32_t order_take(struct book_set *bs, uint64_t ref,
					 unsigned side, uint16_t locate,
					 uint32_t shares, uint32_t px)
{
	uint32_t oi = bs->order_free;
	struct book_order *o = &bs->orders[oi];

	bs->order_free = o->next;
	bs->cnt.orders_live++;
	peak_note(&bs->cnt.orders_peak, oi);
	o->ref = ref;
	o->shares = shares;
	o->px = px;
	o->locate = locate;
	o->side = (uint8_t)side;
	return oi;
}

/* Remove order oi (in table slot `slot`, of sym and side) from its level,
 * the table and the pool. Returns true when its level vanished with it.
 * call, best: as level_unlink's. table: false when the caller has
 * emptied the slot already (a constant). */
static ALWAYS_INLINE bool order_remove(struct book_set *bs, struct book_sym *sym,
				       unsigned side, uint32_t slot, uint32_t oi,
				       bool call, bool best, bool table)
{
	struct book_order *o = &bs->orders[oi];
	bool gone;

	if (table)
		slot_delete(bs, slot);
	sym->norders--;
	gone = level_unlink(bs, sym, side, o->level, oi, o, call, best);
	o->level = BOOK_NIL;
	o->next = bs->order_free;
	bs->order_free = oi;
	bs->cnt.orders_live--;
	return gone;
}

/* Shares as book_change reports them: UINT32_MAX for more. */
static ALWAYS_INLINE uint32_t sat32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* The best price of a side of sym may have moved: bring the crossed flag
 * up to date. Returns BOOK_CHG_STATE when it changed, else 0. Only a move
 * of a best price can change it: with the price kept, the shares at the
 * best stay above 0 (every resting order has shares), so the updates that
 * keep the best price (an order joining or leaving a best level that
 * stays) skip it (callgrind on many3m, with the add's cases: exec 165.5
 * -> 156.8 instructions a call, cancel 109.3 -> 103.5). */
static ALWAYS_INLINE unsigned cross_update(struct book_set *bs, struct book_sym *sym)
{
	bool crossed = sym->best_qty[BOOK_BID] != 0 &&
		       sym->best_qty[BOOK_ASK] != 0 &&
		       sym->best_px[BOOK_BID] >= sym->best_px[BOOK_ASK];

	if (LIKELY(crossed == ((sym->flags & BOOK_SYM_CROSSED) != 0)))
		return 0;
	sym->flags ^= BOOK_SYM_CROSSED;
	bs->cnt.crossed += crossed;
	return BOOK_CHG_STATE;
}

/* Write the flags f (BOOK_CHG_*), the new top
 * and the symbol's flags into c. The flags are loaded once: the stores to
 * c could alias them. */
static ALWAYS_INLINE void change_out(const struct book_sym *sym, unsigned f,
				     struct book_change *c)
{
	uint8_t sf = sym->flags;
	uint64_t bq = sym->best_qty[BOOK_BID], aq = sym->best_qty[BOOK_ASK];

	memcpy(&c->bid_px, sym->best_px, sizeof(sym->best_px));
	/* one test for both (a side over UINT32_MAX shares is rare) */
	if (LIKELY((bq | aq) <= UINT32_MAX)) {
		c->bid_qty = (uint32_t)bq;
		c->ask_qty = (uint32_t)aq;
	} else {
		c->bid_qty = sat32(bq);
		c->ask_qty = sat32(aq);
	}
	c->flags = (uint8_t)f;
	c->sym_flags = sf;
}

/* BOOK_CHG_* flags that depend on the state after the update (top moved,
 * crossed), with f, and the new top, into c. top: the side's best price or
 * shares changed (the crossed state is recomputed then). */
static ALWAYS_INLINE void change_finish(struct book_set *bs, struct book_sym *sym,
					bool top, unsigned f, struct book_change *c)
{
	if (top)
		f |= BOOK_CHG_TOP | cross_update(bs, sym);
	change_out(sym, f, c);
}
_Static_assert(BOOK_BID == 0 && BOOK_ASK == 1, "sides index the top arrays");
_Static_assert(offsetof(struct book_change, ask_px) ==
		       offsetof(struct book_change, bid_px) + sizeof(uint32_t),
	       "book_change top prices laid out as book_sym's");

static ALWAYS_INLINE uint8_t side_byte(unsigned side)
{
	return side == BOOK_BID ? 'B' : 'S';
}

/* ---- updates ---------------------------------------------------------- */

/* Why book_apply_add refuses a message its one range check let through. */
static COLD int add_reject(struct book_set *bs, uint16_t locate, uint8_t side_b)
{
	if (locate == 0 || locate > bs->max_locate)
		return book_reject(bs, BOOK_ELOCATE);
	if (side_b != 'B' && side_b != 'S')
		return book_reject(bs, BOOK_ESIDE);
	return book_reject(bs, BOOK_EZERO);
}

/* An add found a pool's free list empty: refill them, and say whether the
 * add must be refused (no order, or no level or chunk for a new level). */
static COLD int add_pools(struct book_set *bs, const struct book_sym *sym,
			  unsigned side, uint32_t px)
{
	uint32_t ci, pos;

	pools_refill(bs);
	if (bs->order_free == BOOK_NIL)
		return book_reject(bs, BOOK_EORDERS);
	if ((bs->level_free == BOOK_NIL || bs->chunk_free == BOOK_NIL) &&
	    ladder_would_fail(bs, sym, side, side_key(side, px), &ci, &pos))
		return book_reject(bs, BOOK_ELEVELS);
	return 0;
}

/* Append order oi (shares) at the back of level li's FIFO, which holds
 * orders (a level in a ladder is never empty): the level's aggregates, not
 * the symbol's top. */
static ALWAYS_INLINE void fifo_append(struct book_set *bs, uint32_t li, uint32_t oi,
				      uint32_t shares)
{
	struct book_level *l = &bs->levels[li];
	uint32_t tail = l->tail;

	bs->orders[oi].prev = tail;
	bs->orders[oi].next = BOOK_NIL;
	bs->orders[tail].next = oi;
	l->tail = oi;
	l->count++;
	l->shares += shares;
}

/* add_place's new level in full chunk ci: split it, insert, finish c. */
static NOINLINE BOOK_NO_MEMMOVE int add_place_split(struct book_set *bs, struct book_sym *sym,
						     struct book_order *o, uint32_t oi,
						     uint32_t ci, uint32_t pos,
						     struct book_change *c)
{
	unsigned side = o->side, f = BOOK_CHG_ORDER | BOOK_CHG_LEVEL;
	uint32_t li = ladder_insert_split(bs, sym, side, ci, pos,
					  side_key(side, o->px), oi, o->shares);

	if (li == sym->best_lvl[side])
		f |= BOOK_CHG_TOP | cross_update(bs, sym);
	o->level = li;
	change_out(sym, f, c);
	return 0;
}

/* Second half of an add: put order oi (o, every field set but its level
 * and links) at the back of its level, made if missing, and finish c.
 * Which case the add is tells whether the top moved, without comparing
 * levels: at the best price it did, in shares only (so the crossed state
 * stands); at another existing level it did not; a new level moved it iff
 * it is the new best (callgrind on many3m: book_apply_add 212.3 -> 203.3
 * instructions a call). Tried: this half as a separate function entered
 * by a tail call, so that neither half keeps values in saved registers:
 * GCC saved six in each (222.2); and the new level as such a tail call
 * (211.8). */
static ALWAYS_INLINE int add_place(struct book_set *bs, struct book_sym *sym,
				   struct book_order *o, uint32_t oi,
				   struct book_change *c)
{
	unsigned side = o->side, f;
	uint32_t px = o->px, shares = o->shares, li, k, ci, pos = 0;

	if (px == sym->best_px[side] && sym->best_lvl[side] != BOOK_NIL) {
		li = sym->best_lvl[side];
		fifo_append(bs, li, oi, shares);
		sym->best_qty[side] += shares;
		f = BOOK_CHG_ORDER | BOOK_CHG_TOP;
		goto out;
	}
	k = side_key(side, px);
	ci = sym->best_chunk[side];
	if (LIKELY(ci != BOOK_NIL)) {
		const uint32_t *p = ladder_find(bs, &ci, k);

		if (p != NULL && *p == k) {
			/* not the best level: its price is not the best
			 * price. The level index sits CHUNK_LVL_OFF words
			 * after its key. */
			li = p[CHUNK_LVL_OFF];
			fifo_append(bs, li, oi, shares);
			f = BOOK_CHG_ORDER;
			goto out;
		}
		if (p != NULL)
			pos = (uint32_t)(p - bs->chunks[ci].key) + 1;
	}
	if (UNLIKELY(ci != BOOK_NIL && bs->chunks[ci].n == CHUNK))
		return add_place_split(bs, sym, o, oi, ci, pos, c);
	li = ladder_insert(bs, sym, side, ci, pos, k, oi, shares);
	f = BOOK_CHG_ORDER | BOOK_CHG_LEVEL;
	if (li == sym->best_lvl[side])
		f |= BOOK_CHG_TOP | cross_update(bs, sym);
out:
	o->level = li;
	change_out(sym, f, c);
	return 0;
}

/* book_apply_add's work. h: ref's book_hash32 when hashed (a constant),
 * else unused and ref hashed here. pools: a free list was empty when the add came
 * (refill and check, add_pools); the usual add (pools false) makes no call
 * before it takes the order, so fewer of its values wait in saved
 * registers or on the stack. The same steps and refusals in the same order
 * either way. */
static ALWAYS_INLINE int add_do(struct book_set *bs, uint16_t locate, uint64_t ref,
				uint32_t h, uint8_t side_b, uint32_t shares, uint32_t px,
				const char *stock, struct book_change *c, const bool hashed,
				const bool pools)
{
	struct book_sym *sym;
	uint32_t slot, d, oi;
	unsigned side = side_b == 'S' ? BOOK_ASK : BOOK_BID;
	bool found;

	/* side is BOOK_ASK for 'S' alone, so only a BOOK_BID side byte needs
	 * testing (callgrind on many3m: 3 instructions an add fewer). */
	if (UNLIKELY((uint32_t)locate - 1 >= bs->max_locate || shares == 0 ||
		     (side == BOOK_BID && side_b != 'B')))
		return add_reject(bs, locate, side_b);
	/* The change record's fields from the message first (a refusal
	 * leaves them unspecified, book.h), and the order later taken from
	 * them: fewer of the message's values wait through the probe
	 * (callgrind on many3m: book_apply_add 172.6 -> 171.3 instructions a
	 * call). */
	c->ref = ref;
	c->px = px;
	c->qty = shares;
	c->locate = locate;
	c->side = side_b;
	if (!hashed)
		h = book_hash32(bs, ref);
	slot = slot_probe(bs, ref, h, &found, &d);
	if (UNLIKELY(found))
		return book_reject(bs, BOOK_EDUP);
	sym = &bs->syms[locate];
	if (pools) {
		int rc = add_pools(bs, sym, side, px);

		if (rc != 0) {
			c->locate = locate;
			return rc;
		}
	}
	/* Nothing can fail from here on. The table slot (for the order the
	 * free list hands out next) and the name, then the order, then the
	 * change record are written before the level is found, the probe's
	 * values first: fewer of them and of the message's fields live on
	 * through the ladder work (callgrind on many3m: book_apply_add 190.9
	 * -> 181.1 instructions a call against the record, name, order and
	 * slot in that order; the record before the order, when ladder_insert
	 * was a call: 240.3 -> 230.3). Tried: the whole order taken with the
	 * slot (185.8), the order before the record (196.1), the name after
	 * the record (185.6). */
	slot_put(bs, slot, h, bs->order_free);
	if (UNLIKELY(d > bs->cnt.probe_max))
		bs->cnt.probe_max = d;
	if (UNLIKELY((sym->flags & (BOOK_SYM_NAMED_R | BOOK_SYM_NAMED_ADD)) == 0) &&
	    stock != NULL) {
		memcpy(sym->name, stock, sizeof(sym->name));
		sym->flags |= BOOK_SYM_NAMED_ADD;
	}
	oi = order_take(bs, c->ref, side, c->locate, c->qty, c->px);
	sym->norders++;
	bs->cnt.applied[BOOK_OP_ADD]++;
	return add_place(bs, sym, &bs->orders[oi], oi, c);
}


/* book_apply_add when a pool's free list was empty. Its arguments are
 * book_apply_add's: a tail call, and no frame on the usual path. */
static COLD BOOK_NO_MEMMOVE int add_pools_empty(struct book_set *bs, uint16_t locate,
						 uint64_t ref, uint8_t side_b, uint32_t shares,
						 uint32_t px, const char *stock,
						 struct book_change *c)
{
	return add_do(bs, locate, ref, 0, side_b, shares, px, stock, c, false, true);
}

/* Any free list empty: indices stay below 2^31 (BOOK_ORDERS_MAX, the
 * chunk count), BOOK_NIL has every bit, so one test of bit 31 of the three
 * ORed. */
static ALWAYS_INLINE bool add_lists_empty(const struct book_set *bs)
{
	return ((bs->order_free | bs->level_free | bs->chunk_free) & BOOK_NIL_BIT) != 0;
}

/* BOOK_NO_MEMMOVE: for ladder_insert's shift loop. */
BOOK_NO_MEMMOVE int book_apply_add(struct book_set *bs, uint16_t locate, uint64_t ref,
				   uint8_t side_b, uint32_t shares, uint32_t px,
				   const char *stock, struct book_change *c)
{
	if (UNLIKELY(add_lists_empty(bs)))
		return add_pools_empty(bs, locate, ref, side_b, shares, px, stock, c);
	return add_do(bs, locate, ref, 0, side_b, shares, px, stock, c, false, false);
}

/* The A/F fields of msg, for book_apply_add_msg. */
#define ADD_MSG_FIELDS(msg) \
	wire_get16((msg) + ITCH_OFF_LOCATE), wire_get64((msg) + ITCH_OFF_A_REF)
#define ADD_MSG_REST(msg) \
	(msg)[ITCH_OFF_A_SIDE], wire_get32((msg) + ITCH_OFF_A_SHARES), \
		wire_get32((msg) + ITCH_OFF_A_PRICE), (const char *)((msg) + ITCH_OFF_A_STOCK)

/* book_apply_add_msg when a pool's free list was empty (its arguments: a
 * tail call). */
static COLD BOOK_NO_MEMMOVE int add_pools_empty_msg(struct book_set *bs, const uint8_t *msg,
						     uint32_t h, struct book_change *c)
{
	return add_do(bs, ADD_MSG_FIELDS(msg), h, ADD_MSG_REST(msg), c, true, true);
}

/* The fields read here, off the wire, rather than by the caller: four
 * arguments in registers, where book_apply_add's eight put two on the
 * stack. */
BOOK_NO_MEMMOVE int book_apply_add_msg(struct book_set *bs, const uint8_t *msg, uint32_t h,
				       struct book_change *c)
{
	if (UNLIKELY(add_lists_empty(bs)))
		return add_pools_empty_msg(bs, msg, h, c);
	return add_do(bs, ADD_MSG_FIELDS(msg), h, ADD_MSG_REST(msg), c, true, false);
}

/* E, C, X: take `shares` off `ref`; remove it when nothing is left. */
static ALWAYS_INLINE int order_reduce(struct book_set *bs, uint64_t ref, uint32_t h,
				      uint32_t shares, uint32_t exec_px,
				      enum book_op op, struct book_change *c)
{
	struct book_order *o;
	struct book_sym *sym;
	uint32_t slot, oi;
	unsigned side, f = BOOK_CHG_ORDER;
	bool top;

	if (UNLIKELY(shares == 0))
		return book_reject(bs, BOOK_EZERO);
	if (UNLIKELY(!slot_find(bs, ref, h, &slot, &oi)))
		return book_reject(bs, BOOK_EUNKNOWN);
	o = &bs->orders[oi];
	side = o->side;
	sym = &bs->syms[o->locate];
	/* shares > 0 leave level o->level: the top moves iff it is the best
	 * (its shares drop, or it goes and the next level or none is the
	 * top, at another price or with no shares). */
	top = o->level == sym->best_lvl[side];
	if (shares >= o->shares) {
		if (UNLIKELY(shares > o->shares)) {
			f |= BOOK_CHG_CLAMPED;
			bs->cnt.clamped++;
		}
		c->qty = o->shares;
		f |= BOOK_CHG_GONE;
		/* X mostly leaves part of the order: a call keeps the
		 * rest lighter (callgrind on many3m: cancel 109.7 -> 106.7). */
		if (order_remove(bs, sym, side, slot, oi, op == BOOK_OP_CANCEL, top, true)) {
			f |= BOOK_CHG_LEVEL;
			if (top) /* a new best price, or none */
				f |= cross_update(bs, sym);
		}
	} else {
		struct book_level *l = &bs->levels[o->level];

		o->shares -= shares;
		l->shares -= shares;
		if (top)
			sym->best_qty[side] -= shares;
		c->qty = shares;
	}
	bs->cnt.applied[op]++;
	/* as in book_apply_delete */
	c->ref = ref;
	c->px = o->px;
	c->exec_px = op == BOOK_OP_EXEC ? o->px : exec_px;
	c->old_px = 0;
	c->old_qty = 0;
	c->locate = o->locate;
	c->side = side_byte(side);
	/* A best level that stays keeps its price: the crossed state stands. */
	change_out(sym, top ? f | BOOK_CHG_TOP : f, c);
	return 0;
}

/* BOOK_NO_MEMMOVE on E, C and D: for ladder_remove's shift loop. */
/* Each update of a resting order comes twice: hashing the reference
 * itself (the frame-at-a-time paths) and with the caller's hash (the
 * burst's lookahead), so that neither pays for the other's form. */
BOOK_NO_MEMMOVE int book_apply_exec(struct book_set *bs, uint64_t ref, uint32_t shares,
				    struct book_change *c)
{
	return order_reduce(bs, ref, book_hash32(bs, ref), shares, 0, BOOK_OP_EXEC, c);
}

BOOK_NO_MEMMOVE int book_apply_exec_hashed(struct book_set *bs, uint64_t ref, uint32_t h,
					   uint32_t shares, struct book_change *c)
{
	return order_reduce(bs, ref, h, shares, 0, BOOK_OP_EXEC, c);
}

BOOK_NO_MEMMOVE int book_apply_exec_px(struct book_set *bs, uint64_t ref, uint32_t shares,
				       uint32_t exec_px, struct book_change *c)
{
	return order_reduce(bs, ref, book_hash32(bs, ref), shares, exec_px, BOOK_OP_EXEC_PX, c);
}

BOOK_NO_MEMMOVE int book_apply_exec_px_hashed(struct book_set *bs, uint64_t ref, uint32_t h,
					      uint32_t shares, uint32_t exec_px,
					      struct book_change *c)
{
	return order_reduce(bs, ref, h, shares, exec_px, BOOK_OP_EXEC_PX, c);
}

int book_apply_cancel(struct book_set *bs, uint64_t ref, uint32_t shares, struct book_change *c)
{
	return order_reduce(bs, ref, book_hash32(bs, ref), shares, 0, BOOK_OP_CANCEL, c);
}

int book_apply_cancel_hashed(struct book_set *bs, uint64_t ref, uint32_t h, uint32_t shares,
			     struct book_change *c)
{
	return order_reduce(bs, ref, h, shares, 0, BOOK_OP_CANCEL, c);
}

/* D, ref's hash h. */
static ALWAYS_INLINE int delete_do(struct book_set *bs, uint64_t ref, uint32_t h,
				   struct book_change *c)
{
	struct book_order *o;
	struct book_sym *sym;
	uint32_t slot, oi;
	unsigned side, f = BOOK_CHG_ORDER | BOOK_CHG_GONE;
	bool top;

	if (UNLIKELY(!slot_find(bs, ref, h, &slot, &oi)))
		return book_reject(bs, BOOK_EUNKNOWN);
	/* The table first, while the probe's values are at hand, and the
	 * change record last, from the freed order (it keeps all but its
	 * level and link): fewer values live through the level work
	 * (callgrind on many3m: book_apply_delete 146.9 -> 144.0 instructions
	 * a call; with order_reduce's record last too, exec 154.0 -> 152.5,
	 * cancel 103.5 -> 105.9). Tried: the slot emptied last (delete
	 * 154.4); the add's record written last from its order (add 190.9 ->
	 * 195.7). */
	slot_delete(bs, slot);
	o = &bs->orders[oi];
	side = o->side;
	sym = &bs->syms[o->locate];
	top = o->level == sym->best_lvl[side]; /* as in order_reduce */
	if (order_remove(bs, sym, side, slot, oi, false, top, false)) {
		f |= BOOK_CHG_LEVEL;
		if (top) /* a new best price, or none */
			f |= cross_update(bs, sym);
	}
	bs->cnt.applied[BOOK_OP_DELETE]++;
	c->ref = ref;
	c->px = o->px;
	c->qty = o->shares;
	c->exec_px = 0;
	c->old_px = 0;
	c->old_qty = 0;
	c->locate = o->locate;
	c->side = side_byte(side);
	/* as in order_reduce */
	change_out(sym, top ? f | BOOK_CHG_TOP : f, c);
	return 0;
}

BOOK_NO_MEMMOVE int book_apply_delete(struct book_set *bs, uint64_t ref, struct book_change *c)
{
	return delete_do(bs, ref, book_hash32(bs, ref), c);
}

BOOK_NO_MEMMOVE int book_apply_delete_hashed(struct book_set *bs, uint64_t ref, uint32_t h,
					     struct book_change *c)
{
	return delete_do(bs, ref, h, c);
}

/* U keeps the order record (freeing it and taking a free one would give
 * the same one back: the free list is LIFO) and moves it to the back of the
 * level at the new price under the new reference. BOOK_NO_MEMMOVE: for
 * ladder_insert's shift loop. */
static ALWAYS_INLINE int replace_do(struct book_set *bs, uint64_t old_ref, uint32_t old_h,
				    uint64_t new_ref, uint32_t shares, uint32_t px,
				    struct book_change *c)
{
	struct book_order *o;
	struct book_sym *sym;
	struct book_level *l;
	uint32_t slot, oi, h, d, li, px0, old_px, old_qty, ci, pos, home = BOOK_NIL;
	uint64_t qty0;
	uint16_t locate;
	unsigned side, f = BOOK_CHG_ORDER;
	bool found;

	if (UNLIKELY(!slot_find(bs, old_ref, old_h, &slot, &oi)))
		return book_reject(bs, BOOK_EUNKNOWN);
	if (UNLIKELY(shares == 0))
		return book_reject(bs, BOOK_EZERO);
	/* new_ref's hash, once: for the duplicate test and the insert */
	h = book_hash32(bs, new_ref);
	if (new_ref != old_ref) {
		home = slot_probe(bs, new_ref, h, &found, &d);
		if (UNLIKELY(found))
			return book_reject(bs, BOOK_EDUP);
		/* found at distance 0 only in an empty home slot */
		if (d != 0)
			home = BOOK_NIL;
	}
	o = &bs->orders[oi];
	side = o->side;
	locate = o->locate;
	sym = &bs->syms[locate];
	li = o->level;
	l = &bs->levels[li];
	/* All or nothing: a new level is needed only if none is at px, and
	 * the old one's level frees up if the order was alone in it. */
	if (UNLIKELY(bs->level_free == BOOK_NIL || bs->chunk_free == BOOK_NIL))
		pools_refill(bs);
	if (UNLIKELY(bs->level_free == BOOK_NIL || bs->chunk_free == BOOK_NIL) &&
	    l->count > 1 &&
	    ladder_would_fail(bs, sym, side, side_key(side, px), &ci, &pos)) {
		c->locate = locate;
		return book_reject(bs, BOOK_ELEVELS);
	}
	px0 = sym->best_px[side];
	qty0 = sym->best_qty[side];
	old_px = o->px;
	old_qty = o->shares;
	slot_delete(bs, slot);
	if (px == old_px) {
		/* Same price: the order goes to the back of the level it is
		 * in, which stays (removing and making it again would give
		 * the same level), so no ladder search. Already at the back
		 * (alone, or the last of several: 60% of the same-price U on
		 * many3m), only its size changes; else it is not the tail,
		 * so the level keeps its count and a tail. Alone, it is
		 * reported as the level vanishing and reappearing, as it is
		 * in effect. The links end as level_unlink and level_append
		 * would leave them (callgrind on many3m: book_apply_replace
		 * 294.95 -> 289.73 instructions a call). */
		uint32_t tail = l->tail;

		if (tail != oi) {
			uint32_t prev = o->prev, next = o->next;

			if (l->head == oi) {
				l->head = next;
			} else {
				bs->orders[prev].next = next;
				bs->orders[next].prev = prev;
			}
			o->prev = tail;
			o->next = BOOK_NIL;
			bs->orders[tail].next = oi;
			l->tail = oi;
		} else if (l->count == 1) {
			f |= BOOK_CHG_LEVEL;
		}
		l->shares = l->shares - old_qty + shares;
		if (li == sym->best_lvl[side])
			sym->best_qty[side] = sym->best_qty[side] - old_qty + shares;
	} else {
		bool created;

		if (level_unlink(bs, sym, side, li, oi, o, true, li == sym->best_lvl[side]))
			f |= BOOK_CHG_LEVEL;
		/* A level: checked above, and the chunk pool is sized so it
		 * cannot run out while a level is free. */
		li = level_join(bs, sym, side, px, oi, shares, &created);
		if (created)
			f |= BOOK_CHG_LEVEL;
	}
	o->ref = new_ref;
	o->level = li;
	o->shares = shares;
	o->px = px;
	/* The removal shifted slots: probe for the new reference afresh,
	 * unless its home was empty. The backward shift only moves entries
	 * into the slots they leave, from the removed one on, and stops at
	 * an empty slot, so an empty slot stays empty and a probe from it
	 * ends there at distance 0 (most U on many3m: the new reference is
	 * a fresh one; callgrind: book_apply_replace_hashed 289.7 -> 283.1
	 * instructions a call). */
	if (LIKELY(home != BOOK_NIL)) {
		bs->slots[home].hash = h;
		bs->slots[home].order = oi;
	} else {
		slot = slot_probe(bs, new_ref, h, &found, &d);
		slot_put(bs, slot, h, oi);
		if (UNLIKELY(d > bs->cnt.probe_max))
			bs->cnt.probe_max = d;
	}
	bs->cnt.applied[BOOK_OP_REPLACE]++;
	c->ref = new_ref;
	c->px = px;
	c->qty = shares;
	c->old_px = old_px;
	c->old_qty = old_qty;
	c->locate = locate;
	c->side = side_byte(side);
	/* U may leave the top as it was (same price and size at the best):
	 * compare. */
	change_finish(bs, sym,
		      sym->best_px[side] != px0 || sym->best_qty[side] != qty0, f, c);
	return 0;
}

BOOK_NO_MEMMOVE int book_apply_replace(struct book_set *bs, uint64_t old_ref, uint64_t new_ref,
				       uint32_t shares, uint32_t px, struct book_change *c)
{
	return replace_do(bs, old_ref, book_hash32(bs, old_ref), new_ref, shares, px, c);
}

BOOK_NO_MEMMOVE int book_apply_replace_hashed(struct book_set *bs, uint64_t old_ref,
					      uint32_t old_h, uint64_t new_ref, uint32_t shares,
					      uint32_t px, struct book_change *c)
{
	return replace_do(bs, old_ref, old_h, new_ref, shares, px, c);
}

static void change_state(struct book_change *c, uint16_t locate)
{
	memset(c, 0, sizeof(*c));
	c->locate = locate;
	c->flags = BOOK_CHG_STATE;
}

int book_apply(struct book_set *bs, const struct itch_msg *m,
	       struct book_change *c)
{
	int rc;

	switch (m->type) {
	case 'A':
	case 'F':
		return book_apply_add(bs, m->locate, m->add.ref, m->add.side,
				      m->add.shares, m->add.price, m->add.stock, c);
	case 'E':
		return book_apply_exec(bs, m->exec.ref, m->exec.shares, c);
	case 'C':
		return book_apply_exec_px(bs, m->exec.ref, m->exec.shares,
					  m->exec.price, c);
	case 'X':
		return book_apply_cancel(bs, m->cancel.ref, m->cancel.shares, c);
	case 'D':
		return book_apply_delete(bs, m->del.ref, c);
	case 'U':
		return book_apply_replace(bs, m->replace.old_ref, m->replace.new_ref,
					  m->replace.shares, m->replace.price, c);
	case 'R':
		rc = book_set_symbol(bs, m->locate, m->directory.stock);
		break;
	case 'H':
		rc = book_set_trading_state(bs, m->locate, m->trading_action.state);
		break;
	case 'h':
		rc = book_set_op_halt(bs, m->locate, m->op_halt.market_code,
				      m->op_halt.action);
		break;
	case 'Y':
		rc = book_set_reg_sho(bs, m->locate, m->reg_sho.action);
		break;
	default:
		memset(c, 0, sizeof(*c));
		c->locate = m->locate;
		return 0;
	}
	if (rc == -ERANGE)
		return book_reject(bs, BOOK_ELOCATE);
	if (rc != 0) {
		memset(c, 0, sizeof(*c));
		c->locate = m->locate;
		return 0; /* an unknown market code or action: nothing to do */
	}
	change_state(c, m->locate);
	return 0;
}

/* ---- symbol state ----------------------------------------------------- */

static struct book_sym *sym_at(struct book_set *bs, uint16_t locate)
{
	if (locate == 0 || locate > bs->max_locate)
		return NULL;
	return &bs->syms[locate];
}

COLD int book_set_symbol(struct book_set *bs, uint16_t locate, const char stock[8])
{
	struct book_sym *s = sym_at(bs, locate);

	if (s == NULL)
		return -ERANGE;
	memcpy(s->name, stock, sizeof(s->name));
	s->flags = (uint8_t)((s->flags & ~BOOK_SYM_NAMED_ADD) | BOOK_SYM_NAMED_R);
	return 0;
}

COLD int book_find_symbol(const struct book_set *bs, const char *name)
{
	char want[8];
	size_t n;
	uint32_t i;

	if (name == NULL)
		return -EINVAL;
	n = strnlen(name, sizeof(want) + 1);
	if (n == 0 || n > sizeof(want))
		return -EINVAL;
	memset(want, ' ', sizeof(want));
	memcpy(want, name, n);
	for (i = 1; i <= bs->max_locate; i++) {
		const struct book_sym *s = &bs->syms[i];

		if ((s->flags & (BOOK_SYM_NAMED_R | BOOK_SYM_NAMED_ADD)) != 0 &&
		    memcmp(s->name, want, sizeof(want)) == 0)
			return (int)i;
	}
	return -ENOENT;
}

COLD int book_symbol_name(const struct book_set *bs, uint16_t locate, char out[9])
{
	const struct book_sym *s = book_sym_get(bs, locate);
	size_t n = 8;

	out[0] = '\0';
	if (s == NULL)
		return -ERANGE;
	if ((s->flags & (BOOK_SYM_NAMED_R | BOOK_SYM_NAMED_ADD)) == 0)
		return -ENOENT;
	while (n > 0 && (s->name[n - 1] == ' ' || s->name[n - 1] == '\0'))
		n--;
	memcpy(out, s->name, n);
	out[n] = '\0';
	return 0;
}

COLD int book_set_stale(struct book_set *bs, uint16_t locate, bool stale)
{
	struct book_sym *s = sym_at(bs, locate);

	if (s == NULL)
		return -ERANGE;
	if (stale)
		s->flags |= BOOK_SYM_STALE;
	else
		s->flags &= (uint8_t)~BOOK_SYM_STALE;
	return 0;
}

COLD void book_set_stale_all(struct book_set *bs, bool stale)
{
	uint32_t i;

	for (i = 1; i <= bs->max_locate; i++)
		book_set_stale(bs, (uint16_t)i, stale);
}

/* BOOK_SYM_HALTED from the trading state and the operational halts. */
static void sym_halted_update(struct book_sym *s)
{
	bool halted = (s->trading_state != 0 && s->trading_state != 'T') ||
		      (s->op_halt & BOOK_HALT_Q) != 0;

	s->flags = (uint8_t)((s->flags & ~BOOK_SYM_HALTED) |
			     (halted ? BOOK_SYM_HALTED : 0));
}

COLD int book_set_trading_state(struct book_set *bs, uint16_t locate, uint8_t state)
{
	struct book_sym *s = sym_at(bs, locate);

	if (s == NULL)
		return -ERANGE;
	if (state != 'T' && state != 'H' && state != 'P' && state != 'Q')
		return -EINVAL;
	s->trading_state = state;
	sym_halted_update(s);
	return 0;
}

COLD int book_set_op_halt(struct book_set *bs, uint16_t locate, uint8_t market,
			  uint8_t action)
{
	struct book_sym *s = sym_at(bs, locate);
	uint8_t bit;

	if (s == NULL)
		return -ERANGE;
	switch (market) {
	case 'Q': bit = BOOK_HALT_Q; break;
	case 'B': bit = BOOK_HALT_B; break;
	case 'X': bit = BOOK_HALT_X; break;
	default: return -EINVAL;
	}
	if (action == 'H')
		s->op_halt |= bit;
	else if (action == 'T')
		s->op_halt &= (uint8_t)~bit;
	else
		return -EINVAL;
	sym_halted_update(s);
	return 0;
}

COLD int book_set_reg_sho(struct book_set *bs, uint16_t locate, uint8_t action)
{
	struct book_sym *s = sym_at(bs, locate);

	if (s == NULL)
		return -ERANGE;
	if (action != '0' && action != '1' && action != '2')
		return -EINVAL;
	s->reg_sho = action;
	return 0;
}

/* ---- queries ---------------------------------------------------------- */

uint32_t book_depth(const struct book_set *bs, uint16_t locate,
		    enum book_side side, struct book_depth_level *out,
		    uint32_t max)
{
	const struct book_sym *s = book_sym_get(bs, locate);
	uint32_t ci, n = 0;

	if (s == NULL || (side != BOOK_BID && side != BOOK_ASK))
		return 0;
	for (ci = s->best_chunk[side]; ci != BOOK_NIL && n < max;
	     ci = bs->chunks[ci].worse) {
		const struct book_chunk *ch = &bs->chunks[ci];
		uint32_t i;

		for (i = ch->n; i-- > 0 && n < max;) {
			const struct book_level *l = &bs->levels[ch->lvl[i]];

			out[n].shares = l->shares;
			out[n].px = l->px;
			out[n].orders = l->count;
			n++;
		}
	}
	return n;
}

const struct book_level *book_level_at(const struct book_set *bs,
				       uint16_t locate, enum book_side side,
				       uint32_t px)
{
	const struct book_sym *s = book_sym_get(bs, locate);
	uint32_t ci, pos;
	bool found;

	if (s == NULL || (side != BOOK_BID && side != BOOK_ASK))
		return NULL;
	ci = s->best_chunk[side];
	if (ci == BOOK_NIL)
		return NULL;
	ci = ladder_seek(bs, ci, side_key(side, px), &pos, &found);
	return found ? &bs->levels[bs->chunks[ci].lvl[pos]] : NULL;
}

const char *book_reason_name(int reason)
{
	if (reason < 0)
		reason = -reason;
	switch (reason) {
	case BOOK_EUNKNOWN: return "unknown order reference";
	case BOOK_EDUP: return "duplicate order reference";
	case BOOK_ELOCATE: return "stock locate out of range";
	case BOOK_EORDERS: return "order pool full";
	case BOOK_ELEVELS: return "level pool full";
	case BOOK_EZERO: return "zero shares";
	case BOOK_ESIDE: return "bad side";
	default: return "?";
	}
}

/* ---- checker and printer (cold) --------------------------------------- */

__attribute__((format(printf, 3, 4)))
static int check_fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && len > 0) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return -EUCLEAN;
}

#define CHECK(cond, ...)                                         \
	do {                                                     \
		if (!(cond))                                     \
			return check_fail(why, len, __VA_ARGS__); \
	} while (0)

static int check_level(const struct book_set *bs, uint32_t loc, unsigned side,
		       uint32_t li, uint32_t *norders, char *why, size_t len)
{
	const struct book_level *l = &bs->levels[li];
	uint32_t oi = l->head, prev = BOOK_NIL, count = 0;
	uint64_t shares = 0;

	CHECK(l->count > 0 && l->head != BOOK_NIL, "locate %u side %u level %u empty",
	      loc, side, li);
	CHECK(l->locate == loc && l->side == side, "level %u owner", li);
	while (oi != BOOK_NIL) {
		const struct book_order *o;
		uint32_t slot;

		CHECK(oi < bs->max_orders && count < bs->max_orders,
		      "level %u fifo index %u", li, oi);
		o = &bs->orders[oi];
		/* A head's prev is stale by design (level_unlink). */
		CHECK(o->level == li && (prev == BOOK_NIL || o->prev == prev),
		      "order %u links (level %u)", oi, li);
		CHECK(o->shares > 0 && o->px == l->px && o->locate == loc &&
		      o->side == side, "order %u fields", oi);
		slot = book_slot_find(bs, o->ref);
		CHECK(slot != BOOK_NIL && bs->slots[slot].order == oi,
		      "order %u ref %" PRIu64 " not found in table", oi, o->ref);
		shares += o->shares;
		count++;
		prev = oi;
		oi = o->next;
	}
	CHECK(l->tail == prev, "level %u tail", li);
	CHECK(count == l->count && shares == l->shares,
	      "level %u aggregates %u/%" PRIu64 " vs %u/%" PRIu64, li,
	      l->count, l->shares, count, shares);
	*norders += count;
	return 0;
}

static int check_side(const struct book_set *bs, uint32_t loc, unsigned side,
		      uint32_t *nlevels, uint32_t *nchunks, uint32_t *norders,
		      char *why, size_t len)
{
	const struct book_sym *s = &bs->syms[loc];
	uint32_t ci = s->best_chunk[side], better = BOOK_NIL, levels = 0;
	uint32_t prev_n = 0, hi = 0;
	bool have_hi = false;
	int rc;

	if (ci == BOOK_NIL) {
		CHECK(s->best_lvl[side] == BOOK_NIL && s->best_qty[side] == 0 &&
		      s->best_px[side] == 0 && s->nlevels[side] == 0,
		      "locate %u side %u empty but top set", loc, side);
		return 0;
	}
	{
		const struct book_chunk *ch = &bs->chunks[ci];
		const struct book_level *b;

		CHECK(ch->n > 0 && ch->n <= CHUNK, "best chunk %u n", ci);
		b = &bs->levels[ch->lvl[ch->n - 1]];
		CHECK(s->best_lvl[side] == ch->lvl[ch->n - 1] &&
		      s->best_px[side] == b->px && s->best_qty[side] == b->shares,
		      "locate %u side %u top %u@%" PRIu64 " vs level %u@%" PRIu64,
		      loc, side, s->best_px[side], s->best_qty[side], b->px,
		      b->shares);
	}
	while (ci != BOOK_NIL) {
		const struct book_chunk *ch;
		uint32_t i;

		CHECK(ci < bs->max_chunks && *nchunks < bs->max_chunks,
		      "chunk index %u", ci);
		ch = &bs->chunks[ci];
		CHECK(ch->better == better, "chunk %u back link", ci);
		CHECK(ch->n > 0 && ch->n <= CHUNK, "chunk %u n %u", ci, ch->n);
		CHECK(better == BOOK_NIL || ch->n + prev_n > HALF,
		      "chunks %u+%u under half full", ci, better);
		for (i = ch->n; i-- > 0;) {
			uint32_t li = ch->lvl[i];

			CHECK(li < bs->max_levels, "chunk %u level %u", ci, li);
			CHECK(!have_hi || ch->key[i] < hi, "locate %u side %u not sorted",
			      loc, side);
			hi = ch->key[i];
			have_hi = true;
			CHECK(bs->levels[li].chunk == ci, "level %u chunk %u vs %u",
			      li, bs->levels[li].chunk, ci);
			CHECK(side_key(side, bs->levels[li].px) == ch->key[i],
			      "level %u key", li);
			rc = check_level(bs, loc, side, li, norders, why, len);
			if (rc != 0)
				return rc;
			levels++;
		}
		(*nchunks)++;
		prev_n = ch->n;
		better = ci;
		ci = ch->worse;
	}
	CHECK(levels == s->nlevels[side], "locate %u side %u nlevels", loc, side);
	*nlevels += levels;
	return 0;
}

COLD int book_check(const struct book_set *bs, char *why, size_t len)
{
	uint32_t loc, i, nlevels = 0, nchunks = 0, norders = 0, used = 0, n;
	int rc;

	if (why != NULL && len > 0)
		why[0] = '\0';
	for (loc = 1; loc <= bs->max_locate; loc++) {
		const struct book_sym *s = &bs->syms[loc];
		uint32_t before = norders;
		bool crossed;
		unsigned side;

		for (side = 0; side < 2; side++) {
			rc = check_side(bs, loc, side, &nlevels, &nchunks, &norders,
					why, len);
			if (rc != 0)
				return rc;
		}
		CHECK(norders - before == s->norders, "locate %u norders", loc);
		crossed = s->best_qty[0] != 0 && s->best_qty[1] != 0 &&
			  s->best_px[0] >= s->best_px[1];
		CHECK(crossed == ((s->flags & BOOK_SYM_CROSSED) != 0),
		      "locate %u crossed flag", loc);
		CHECK(((s->trading_state != 0 && s->trading_state != 'T') ||
		       (s->op_halt & BOOK_HALT_Q) != 0) ==
			      ((s->flags & BOOK_SYM_HALTED) != 0),
		      "locate %u halted flag", loc);
	}
	CHECK(norders == bs->cnt.orders_live && nlevels == bs->cnt.levels_live &&
	      nchunks == bs->cnt.chunks_live,
	      "live counts orders %u/%u levels %u/%u chunks %u/%u", norders,
	      bs->cnt.orders_live, nlevels, bs->cnt.levels_live, nchunks,
	      bs->cnt.chunks_live);
	/* Table: each entry is a live order, found from its home without an
	 * empty slot in between (so lookups and backward shift agree). */
	for (i = 0; i <= bs->slot_mask; i++) {
		const struct book_slot *sl = &bs->slots[i];
		uint32_t j;

		if (sl->order == BOOK_NIL)
			continue;
		used++;
		CHECK(sl->order < bs->max_orders &&
		      bs->orders[sl->order].level != BOOK_NIL,
		      "slot %u names a free order", i);
		CHECK(sl->hash == book_hash32(bs, bs->orders[sl->order].ref),
		      "slot %u hash", i);
		for (j = sl->hash & bs->slot_mask; j != i; j = (j + 1) & bs->slot_mask)
			CHECK(bs->slots[j].order != BOOK_NIL,
			      "slot %u unreachable: gap at %u", i, j);
		/* Home order along a cluster (slot_put, slot_delete): the
		 * previous entry is at most one slot further from its home. */
		j = (i - 1) & bs->slot_mask;
		CHECK(bs->slots[j].order == BOOK_NIL ||
		      ((i - sl->hash) & bs->slot_mask) <=
			      ((j - bs->slots[j].hash) & bs->slot_mask) + 1,
		      "slot %u out of home order after slot %u", i, j);
	}
	CHECK(used == norders, "table holds %u, books %u", used, norders);
	/* Free lists hold records below *_fresh; the never-used ones from
	 * there on are free too and hold whatever the block held. */
	CHECK(bs->order_fresh <= bs->max_orders && bs->level_fresh <= bs->max_levels &&
	      bs->chunk_fresh <= bs->max_chunks, "fresh marks %u %u %u",
	      bs->order_fresh, bs->level_fresh, bs->chunk_fresh);
	for (n = bs->max_orders - bs->order_fresh, i = bs->order_free;
	     i != BOOK_NIL && n <= bs->max_orders; i = bs->orders[i].next, n++)
		CHECK(i < bs->order_fresh && bs->orders[i].level == BOOK_NIL,
		      "free order %u in use", i);
	CHECK(n + norders == bs->max_orders, "order free list %u + %u", n, norders);
	for (n = bs->max_levels - bs->level_fresh, i = bs->level_free;
	     i != BOOK_NIL && n <= bs->max_levels; i = bs->levels[i].tail, n++)
		CHECK(i < bs->level_fresh && bs->levels[i].chunk == BOOK_NIL,
		      "free level %u in use", i);
	CHECK(n + nlevels == bs->max_levels, "level free list %u + %u", n, nlevels);
	for (n = bs->max_chunks - bs->chunk_fresh, i = bs->chunk_free;
	     i != BOOK_NIL && n <= bs->max_chunks; i = bs->chunks[i].worse, n++)
		CHECK(i < bs->chunk_fresh, "free chunk %u never used", i);
	CHECK(n + nchunks == bs->max_chunks, "chunk free list %u + %u", n, nchunks);
	return 0;
}

COLD void book_print(const struct book_set *bs, uint16_t locate, uint32_t levels,
		     FILE *f)
{
	const struct book_sym *s = book_sym_get(bs, locate);
	char name[9];
	unsigned side;

	if (s == NULL) {
		fprintf(f, "book: locate %u out of range\n", locate);
		return;
	}
	book_symbol_name(bs, locate, name);
	fprintf(f, "book %u '%s' orders %u levels %u/%u state %c halt %#x%s%s\n",
		locate, name, s->norders, s->nlevels[0], s->nlevels[1],
		s->trading_state ? s->trading_state : '-', s->op_halt,
		(s->flags & BOOK_SYM_STALE) ? " STALE" : "",
		(s->flags & BOOK_SYM_CROSSED) ? " CROSSED" : "");
	fprintf(f, "  top bid %" PRIu64 " @ %u  ask %" PRIu64 " @ %u\n",
		s->best_qty[0], s->best_px[0], s->best_qty[1], s->best_px[1]);
	for (side = 0; side < 2; side++) {
		uint32_t ci, shown = 0;

		fprintf(f, "  %s:\n", side == BOOK_BID ? "bids" : "asks");
		for (ci = s->best_chunk[side]; ci != BOOK_NIL && shown < levels;
		     ci = bs->chunks[ci].worse) {
			const struct book_chunk *ch = &bs->chunks[ci];
			uint32_t i;

			for (i = ch->n; i-- > 0 && shown < levels; shown++) {
				const struct book_level *l = &bs->levels[ch->lvl[i]];
				const struct book_order *o = book_level_front(bs, l);
				uint32_t k = 0;

				fprintf(f, "    %10u x %-8" PRIu64 " (%u):", l->px,
					l->shares, l->count);
				for (; o != NULL && k < 16; o = book_order_next(bs, o), k++)
					fprintf(f, " %" PRIu64 ":%u", o->ref, o->shares);
				fprintf(f, "%s\n", o != NULL ? " ..." : "");
			}
		}
	}
}
