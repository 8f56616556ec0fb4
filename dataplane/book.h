/* book.h - the L3 (market-by-order) book set: every symbol's bid and ask
 * price levels with FIFO order queues, plus one order-reference table, all in
 * one caller-provided block of book_memsize() bytes sized from config (no
 * allocation, no rehash, no locks once running). DESIGN.md section 6.
 * Threads: one thread owns a book set (the feed core, or the inline
 * pipeline); nothing here is safe to call concurrently with an update. */
#ifndef BOOK_H
#define BOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dataplane/itch.h"
#include "hw/compiler.h"

/*
 * Structures (why: DESIGN.md section 6, measured with bench/bench_book.c):
 *
 * Order table: ITCH order reference (u64, day-unique across symbols) ->
 *   order index. Open addressing with linear probing over 8-byte slots
 *   {hash32, order}; capacity a power of two >= 2 * max_orders, so the load
 *   never exceeds 1/2 and a probe always ends. hash32 keeps the order of
 *   sequential references (book_hash32); the slot's home is its low bits.
 *   Inserts keep each cluster in home order (Robin Hood), so deletion by
 *   backward shift stops at the first entry at its home: at once for
 *   sequential references, which sit at home, rather than at the end of the
 *   run of live references. The slot keeps the whole hash32, so the shift
 *   needs no order loads and a lookup loads an order only on a 32-bit hash
 *   match (which E/C/X/D/U need anyway). No tombstones, no rehash.
 * Orders: a pool of 32-byte records (two per cache line) with a LIFO free
 *   list, so recently freed, still-cached records are reused first. The
 *   free lists of all pools take never-used records a batch at a time when
 *   they run empty, so a reset does not write the pools.
 * Levels: a pool of 32-byte records {price, aggregate shares, order count,
 *   FIFO head/tail}. Orders and levels never move: indices stay valid.
 * Price ladder per symbol and side: a sorted array of (key, level) cut into
 *   128-byte chunks of BOOK_CHUNK_LEVELS entries, chained from the best chunk
 *   to the worst. key = price for bids, ~price for asks, so "better" is
 *   "greater" on both sides and the best level is the last entry of the best
 *   chunk. Searches start at the best, where most activity is; inserting or
 *   removing a level shifts at most one chunk. A full chunk splits in two;
 *   after a removal, adjacent chunks holding <= BOOK_CHUNK_LEVELS / 2 entries
 *   together merge. So any two neighbours hold > half a chunk, and the chunk
 *   pool, sized max_levels / 4 + one per non-empty side, can never run out.
 *   Unlike one fixed array per side, a single side may hold any number of
 *   levels up to max_levels, and memory does not scale with max_locate x
 *   depth.
 * Symbols: one 64-byte record per stock locate with the top of book cached
 *   (best price, shares and level per side), so best bid/ask is one line.
 *
 * Measured (2-vCPU EPYC VM, shared). bench_feed, 50 M messages of synth's
 *   many-symbol flow (short-lived orders, 78k live at the peak): frame at a
 *   time ~135 ns/message with the grouped hash against ~210 with a plain
 *   multiplicative one (the table's recent pages stay cached). bench_book,
 *   624k long-lived orders on 300 symbols (68 MiB on THP), 3-stage
 *   prefetch: ~140 ns/message grouped against ~80 multiplicative: there new
 *   groups overlaid live entries (probe max 342 against 18), with groups
 *   placed by bits 32..43 of a 64-bit product. With the bijective
 *   placement (book_hash32) the table at the end of that generation has
 *   probe max 136, longest run 609 slots (was 342 / 720). Tried and not
 *   kept: a 14-wide vector key count instead of the scan from the best;
 *   grouping 8 consecutive references per table line; whole table-size
 *   blocks in order (bench_book 254 ns, probe max 569); groups of 64 with
 *   the bijection (probe max 29, longest run 87, bench_book's wrapping
 *   flow 10.4 G -> 5.7 G instructions, cache simulation of the captures
 *   within 0.3%, but bench_feed frame at a time ~160 against ~140
 *   ns/message for 512: the page locality is worth keeping).
 */

/* "No index": empty slot, end of a list, no level. */
#define BOOK_NIL UINT32_MAX
/* Largest cfg.max_orders: the table's 2x capacity must fit 32-bit indices. */
#define BOOK_ORDERS_MAX (UINT32_C(1) << 30)
/* Largest stock locate ITCH can carry. */
#define BOOK_LOCATE_MAX 65535u
/* Consecutive order references kept in order on consecutive table slots
 * (512 x 8-byte slots = one 4 KiB page). Power of two. */
#define BOOK_HASH_GROUP 512u
/* Multiplier placing each group: 2^32 / golden ratio, odd (so the groups'
 * placement mod any power of two is a bijection). */
#define BOOK_HASH_MUL UINT32_C(0x9e3779b9)
/* Levels per ladder chunk; a chunk is 128 bytes (two lines). */
#define BOOK_CHUNK_LEVELS 14

/* Side index used by queries (the apply functions take ITCH's 'B'/'S'). */
enum book_side {
	BOOK_BID = 0,
	BOOK_ASK = 1,
};

/* Why an update was refused (returned negated, counted in
 * book_counters.rejected[]). A refused update changes nothing. */
enum book_reason {
	BOOK_EUNKNOWN = 1, /* E/C/X/D/U of an order reference not in the book */
	BOOK_EDUP = 2,     /* A/F/U with a reference that is already live */
	BOOK_ELOCATE = 3,  /* stock locate 0 or above cfg.max_locate */
	BOOK_EORDERS = 4,  /* order pool full: cfg.max_orders orders live */
	BOOK_ELEVELS = 5,  /* level pool full: cfg.max_levels levels live */
	BOOK_EZERO = 6,    /* A/F/U/E/C/X with zero shares */
	BOOK_ESIDE = 7,    /* side byte is neither 'B' nor 'S' */
	BOOK_REASONS = 8,  /* size of rejected[]; [0] unused */
};

/* Updates counted in book_counters.applied[]. */
enum book_op {
	BOOK_OP_ADD = 0,     /* A, F */
	BOOK_OP_EXEC = 1,    /* E */
	BOOK_OP_EXEC_PX = 2, /* C */
	BOOK_OP_CANCEL = 3,  /* X */
	BOOK_OP_DELETE = 4,  /* D */
	BOOK_OP_REPLACE = 5, /* U */
	BOOK_OPS = 6,
};

/* book_change.flags */
enum {
	BOOK_CHG_ORDER = 1u << 0,   /* an order was added, reduced or removed */
	BOOK_CHG_TOP = 1u << 1,     /* best price or shares changed on its side */
	BOOK_CHG_GONE = 1u << 2,    /* the order touched left the book */
	BOOK_CHG_CLAMPED = 1u << 3, /* E/C/X asked for more than the order had */
	BOOK_CHG_LEVEL = 1u << 4,   /* a price level appeared or vanished */
	BOOK_CHG_STATE = 1u << 5,   /* trading state, halt or crossed changed */
	/* Whether the symbol is crossed after the update is sym_flags'
	 * BOOK_SYM_CROSSED, not a flag of its own here: the copy cost every
	 * update four instructions (callgrind on many3m: book_apply_add_msg
	 * 180.4 -> 175.8 a call, delete 139.1 -> 136.5, exec 146.3 -> 142.3,
	 * replace 299.8 -> 294.9). */
};

/* book_sym.flags */
enum {
	BOOK_SYM_STALE = 1u << 0,    /* set by the feed on a gap; book unreliable */
	BOOK_SYM_CROSSED = 1u << 1,  /* best bid >= best ask, both sides present */
	BOOK_SYM_NAMED_R = 1u << 2,  /* name from a stock directory ('R') */
	BOOK_SYM_NAMED_ADD = 1u << 3,/* name learned from an add's stock field */
	BOOK_SYM_HALTED = 1u << 4,   /* book_sym_halted(): trading_state known
				      * and not 'T', or op_halt has
				      * BOOK_HALT_Q; kept with them */
};

/* book_sym.op_halt bits: operational halt ('h') in force, per market code. */
enum {
	BOOK_HALT_Q = 1u << 0, /* Nasdaq */
	BOOK_HALT_B = 1u << 1, /* BX */
	BOOK_HALT_X = 1u << 2, /* PSX */
};

struct book_cfg {
	uint32_t max_orders; /* live orders, all symbols; 1..BOOK_ORDERS_MAX */
	uint32_t max_levels; /* live price levels, all symbols and sides;
			      * 0 or > max_orders means max_orders */
	uint32_t max_locate; /* highest stock locate accepted, 1..65535 */
};

/* Bytes of each part of a book set's block (book_memsize_detail). */
struct book_mem {
	size_t header;  /* struct book_set */
	size_t syms;    /* (max_locate + 1) x 64 */
	size_t table;   /* order table: slots x 8 */
	size_t orders;  /* order pool: max_orders x 32 */
	size_t levels;  /* level pool: max_levels x 32 */
	size_t chunks;  /* ladder chunks x 128 */
	size_t total;   /* == book_memsize() */
	uint32_t slots; /* order-table capacity */
	uint32_t nchunks;
};

/* One order-table slot: empty when order == BOOK_NIL. */
struct book_slot {
	uint32_t hash;  /* book_hash32(bs, ref) */
	uint32_t order; /* index into orders[] */
};

struct book_order {
	uint64_t ref;     /* ITCH order reference number */
	uint32_t next;    /* next order in time priority at its level; free list */
	uint32_t prev;    /* previous order in time priority; stale (any
			   * order index) at the head of its level */
	uint32_t level;   /* index into levels[]; BOOK_NIL when free */
	uint32_t shares;  /* shares still open */
	uint32_t px;      /* 1e-4 USD */
	uint16_t locate;
	uint8_t side;     /* enum book_side */
	uint8_t pad;
};
_Static_assert(sizeof(struct book_order) == 32, "two orders per line");

struct book_level {
	uint64_t shares;  /* sum of its orders' shares */
	uint32_t px;      /* 1e-4 USD */
	uint32_t count;   /* orders at this price */
	uint32_t head;    /* first order in time priority (front of queue) */
	uint32_t tail;    /* last order in time priority; free list link */
	uint32_t chunk;   /* ladder chunk holding it */
	uint16_t locate;
	uint8_t side;     /* enum book_side */
	uint8_t pad;
};
_Static_assert(sizeof(struct book_level) == 32, "two levels per line");

/* Part of one side's ladder: keys ascending (worse -> better). The first
 * line holds what a search reads: the keys, the count and the link to the
 * next worse chunk. */
struct book_chunk {
	uint32_t key[BOOK_CHUNK_LEVELS]; /* px for bids, ~px for asks */
	uint32_t n;                      /* entries in use, 1..BOOK_CHUNK_LEVELS */
	uint32_t worse;                  /* chunk with lower keys; free list */
	uint32_t lvl[BOOK_CHUNK_LEVELS]; /* level index of each key */
	uint32_t better;                 /* chunk with higher keys */
	uint32_t pad;
};
_Static_assert(sizeof(struct book_chunk) == 2 * CACHELINE, "chunk is 2 lines");
_Static_assert(offsetof(struct book_chunk, worse) < CACHELINE,
	       "search fields on the first line");

/* One symbol (stock locate). best_* are kept up to date by every update. */
struct book_sym {
	uint64_t best_qty[2];   /* shares at the best level; 0 when side empty */
	uint32_t best_px[2];    /* 1e-4 USD; 0 when the side is empty */
	uint32_t best_lvl[2];   /* level index; BOOK_NIL when empty */
	uint32_t best_chunk[2]; /* head of the ladder; BOOK_NIL when empty */
	uint32_t nlevels[2];
	uint32_t norders;
	char name[8];           /* ITCH stock, space padded; zeros if unknown */
	uint8_t flags;          /* BOOK_SYM_* */
	uint8_t trading_state;  /* 'H' message: T/H/P/Q; 0 before any */
	uint8_t op_halt;        /* BOOK_HALT_* bits from 'h' */
	uint8_t reg_sho;        /* 'Y' action '0'/'1'/'2'; 0 before any */
};
_Static_assert(sizeof(struct book_sym) == CACHELINE, "one line per symbol");

struct book_counters {
	uint64_t applied[BOOK_OPS];      /* updates applied, by enum book_op */
	uint64_t rejected[BOOK_REASONS]; /* updates refused, by enum book_reason */
	uint64_t clamped;    /* E/C/X for more shares than open: order removed */
	uint64_t crossed;    /* times a symbol went from uncrossed to crossed */
	uint32_t orders_live, orders_peak;
	uint32_t levels_live, levels_peak;
	uint32_t chunks_live, chunks_peak;
	uint32_t probe_max;  /* longest order-table probe on insert, slots */
	uint32_t pad;
};

/* What an update did, for the feed stage to turn into an md_event. Filled
 * on success, but for exec_px, old_px and old_qty where they say
 * "unspecified" (the add and the replace do not write them: callgrind on
 * many3m, book_apply_add_msg 182.4 -> 180.4 instructions a call, replace
 * 300.8 -> 299.8; dropping D's and E's zeros made those slower, delete
 * 139.1 -> 145.6, exec 146.3 -> 154.1). On a refusal flags is untouched
 * and the rest unspecified (an add writes the message's fields before its
 * probe, so they need not live through it). From ref to qty, the fields
 * are md_event's from order_ref to qty, in its order and sizes: the feed
 * copies them as one block (and replaces px with exec_px for C). */
struct book_change {
	uint64_t ref;      /* order touched (the new reference for U) */
	uint32_t bid_px;   /* best bid after the update, 1e-4 USD; 0 none */
	uint32_t ask_px;   /* best ask after the update, 1e-4 USD; 0 none */
	uint32_t bid_qty;  /* best bid shares after the update, UINT32_MAX
			    * when more; 0 none */
	uint32_t ask_qty;  /* best ask shares after the update, as bid_qty */
	uint32_t px;       /* resting price of the order touched, 1e-4 USD
			    * (the new price for U) */
	uint32_t qty;      /* shares added (A/F/U) or removed (E/C/X/D) */
	uint32_t exec_px;  /* E: resting price; C: execution price; X D:
			    * 0; A F U: unspecified */
	uint32_t old_px;   /* U: price of the replaced order; E C X D: 0;
			    * A F: unspecified */
	uint32_t old_qty;  /* U: shares the replaced order had; as old_px */
	uint16_t locate;
	uint8_t side;      /* 'B' or 'S' */
	uint8_t flags;     /* BOOK_CHG_* */
	uint8_t sym_flags; /* A F E C X D U: the symbol's book_sym.flags after
			    * the update (the feed's md_event flags come from
			    * them without a load of the symbol); else 0 */
};

/* Aggregated level for book_depth. */
struct book_depth_level {
	uint64_t shares;
	uint32_t px;      /* 1e-4 USD */
	uint32_t orders;
};

/*
 * A book set. Public so the inline queries below can see the fields;
 * change it only through the functions here. The arrays live in the same
 * block, after this header.
 */
struct book_set {
	struct book_slot *slots;   /* order table, slot_mask + 1 slots */
	struct book_order *orders; /* max_orders */
	struct book_level *levels; /* max_levels */
	struct book_chunk *chunks; /* max_chunks */
	struct book_sym *syms;     /* max_locate + 1; [0] unused */
	uint32_t slot_mask;
	uint32_t hash_bits;        /* log2(slots): home = hash & slot_mask */
	uint32_t order_free;       /* free-list heads; BOOK_NIL when empty */
	uint32_t level_free;
	uint32_t chunk_free;
	uint32_t max_orders;
	uint32_t max_levels;
	uint32_t max_chunks;
	uint32_t max_locate;
	/* First never-used record of each pool: records [*_fresh, max) are
	 * free but on no list and never written since book_reset; an empty
	 * list takes the next batch of them. */
	uint32_t order_fresh;
	uint32_t level_fresh;
	uint32_t chunk_fresh;
	struct book_counters cnt;
};

/* ---- set-up (cold; one thread, before the feed runs) ----------------- */

/* Bytes of caller memory for a book set with cfg, or 0 when cfg is NULL or
 * out of range (see struct book_cfg). With parts != NULL, also fills the
 * breakdown (e.g. to report the order table's bytes). Any thread. */
size_t book_memsize_detail(const struct book_cfg *cfg, struct book_mem *parts);

/* book_memsize_detail(cfg, NULL). */
size_t book_memsize(const struct book_cfg *cfg);

/* Build an empty book set in bs, which points at book_memsize(cfg) bytes
 * aligned to CACHELINE (hw/arena.h gives such memory, prefaulted). Writes
 * the header, symbols and order table; the record pools are taken as found
 * (any content) and written as records are first used. 0, -EINVAL
 * NULL/misaligned bs or bad cfg. */
int book_init(struct book_set *bs, const struct book_cfg *cfg);

/* Forget all orders, levels, symbol state and counters: as after
 * book_init. O(symbols + table slots); the record pools are not touched. */
void book_reset(struct book_set *bs);

/* Release a book set. The memory stays the caller's. Accepts NULL. */
void book_fini(struct book_set *bs);

/* Read, changing nothing, what a run's first updates of the n symbols in
 * locates will touch before any other: the set's header, the symbols'
 * lines and the next records each pool hands out (a refill's batch), so
 * they find those lines in the caches and their pages in the TLB. The
 * order table's slots depend on the references and are left out.
 * Start-up, before the feed runs; the feed's thread. */
void book_warm(const struct book_set *bs, const uint16_t *locates, uint32_t n);
/* Give each pool whose free list is empty its next batch of never-used
 * records now, as the next add would: the refill's writes and its cold
 * code leave the run's first add (~1 us of it in a paper run). The
 * records handed out, and every update's result, stay the same. Start-up,
 * the feed's thread. Accepts NULL. */
void book_prime(struct book_set *bs);

/* ---- updates by ITCH's rules (the feed thread) ----------------------- */

/* A refusal for a full pool (-BOOK_EORDERS, -BOOK_ELEVELS) sets c->locate
 * to the symbol whose book it left unchanged, and nothing else of c: for
 * a replace that is the resting order's symbol, whatever the message's
 * locate says (the book takes it from the order). */

/* A/F: add order `ref` for `locate` at the back of its price level. side is
 * ITCH's 'B'/'S'; stock (8 bytes, may be NULL) names the symbol when no 'R'
 * named it. 0, or -BOOK_ELOCATE, -BOOK_ESIDE, -BOOK_EZERO, -BOOK_EDUP,
 * -BOOK_EORDERS, -BOOK_ELEVELS (nothing changed). */
int book_apply_add(struct book_set *bs, uint16_t locate, uint64_t ref,
		   uint8_t side, uint32_t shares, uint32_t px,
		   const char *stock, struct book_change *c);

/* book_apply_add of an A or F message's bytes msg (at least ITCH_LEN_A;
 * F's attribution is not read) whose reference's book_hash32 is h (another
 * value misplaces the order: h comes from the same bytes). */
int book_apply_add_msg(struct book_set *bs, const uint8_t *msg, uint32_t h,
		       struct book_change *c);

/* The updates of an order already in the book (E C X D U) come in two
 * forms: book_apply_exec(bs, ref, ...) and the like, and
 * book_apply_exec_hashed(bs, ref, h, ...) for a caller that has hashed
 * the reference already (the feed's lookahead): h must be
 * book_hash32(bs, ref) (another value finds no order: -BOOK_EUNKNOWN). */

/* E: execute `shares` of `ref` at its resting price. More than it has:
 * clamped, the order removed, counted, BOOK_CHG_CLAMPED. 0, -BOOK_EUNKNOWN,
 * -BOOK_EZERO. */
int book_apply_exec(struct book_set *bs, uint64_t ref, uint32_t shares,
		    struct book_change *c);
int book_apply_exec_hashed(struct book_set *bs, uint64_t ref, uint32_t h, uint32_t shares,
			   struct book_change *c);

/* C: like book_apply_exec, reporting `exec_px` (1e-4 USD) as c->exec_px. */
int book_apply_exec_px(struct book_set *bs, uint64_t ref, uint32_t shares,
		       uint32_t exec_px, struct book_change *c);
int book_apply_exec_px_hashed(struct book_set *bs, uint64_t ref, uint32_t h, uint32_t shares,
			      uint32_t exec_px, struct book_change *c);

/* X: cancel `shares` of `ref` (keeps its priority). More than it has:
 * clamped and removed as for E. 0, -BOOK_EUNKNOWN, -BOOK_EZERO. */
int book_apply_cancel(struct book_set *bs, uint64_t ref, uint32_t shares,
		      struct book_change *c);
int book_apply_cancel_hashed(struct book_set *bs, uint64_t ref, uint32_t h, uint32_t shares,
			     struct book_change *c);

/* D: remove `ref`. 0, -BOOK_EUNKNOWN. */
int book_apply_delete(struct book_set *bs, uint64_t ref, struct book_change *c);
int book_apply_delete_hashed(struct book_set *bs, uint64_t ref, uint32_t h,
			     struct book_change *c);

/* U: remove `old_ref` (old_h: its hash) and add `new_ref` (same symbol and
 * side) at `px` with `shares`, at the back of its level (new priority). All
 * or nothing: 0, or -BOOK_EUNKNOWN old_ref, -BOOK_EZERO, -BOOK_EDUP new_ref
 * live (unless it is old_ref), -BOOK_ELEVELS. */
int book_apply_replace(struct book_set *bs, uint64_t old_ref, uint64_t new_ref,
		       uint32_t shares, uint32_t px, struct book_change *c);
int book_apply_replace_hashed(struct book_set *bs, uint64_t old_ref, uint32_t old_h,
			      uint64_t new_ref, uint32_t shares, uint32_t px,
			      struct book_change *c);

/* Apply one decoded ITCH message: A F E C X D U update the book; R names
 * the symbol, H sets its trading state, h its operational halt, Y its Reg
 * SHO state (c->flags = BOOK_CHG_STATE, c->locate set); other types leave
 * everything alone (c->flags = 0). 0 or the apply function's -BOOK_E*;
 * -BOOK_ELOCATE for R/H/h/Y with a bad locate. */
int book_apply(struct book_set *bs, const struct itch_msg *m,
	       struct book_change *c);

/* ---- symbol state (feed thread; not on the per-order path) ----------- */

/* Name `locate` (8 ITCH bytes, space padded), as from an 'R'. 0, -ERANGE. */
int book_set_symbol(struct book_set *bs, uint16_t locate, const char stock[8]);

/* Locate of the symbol named `name` ("AAPL" or space padded), by a linear
 * scan: lowest matching locate, -ENOENT if none, -EINVAL bad name. */
int book_find_symbol(const struct book_set *bs, const char *name);

/* Copy `locate`'s name, trailing spaces removed, into out[9]. 0, -ERANGE,
 * -ENOENT (never named; out = ""). */
int book_symbol_name(const struct book_set *bs, uint16_t locate, char out[9]);

/* Set or clear the stale flag of one symbol (0, -ERANGE), or of all. */
int book_set_stale(struct book_set *bs, uint16_t locate, bool stale);
void book_set_stale_all(struct book_set *bs, bool stale);

/* 'H' trading state (T/H/P/Q), 'h' operational halt (market 'Q'/'B'/'X',
 * action 'H' halted / 'T' resumed), 'Y' Reg SHO action. 0, -ERANGE,
 * -EINVAL unknown market code or action. */
int book_set_trading_state(struct book_set *bs, uint16_t locate, uint8_t state);
int book_set_op_halt(struct book_set *bs, uint16_t locate, uint8_t market,
		     uint8_t action);
int book_set_reg_sho(struct book_set *bs, uint16_t locate, uint8_t action);

/* ---- queries (owner thread) ------------------------------------------ */

/* Up to `max` levels of one side, best first, into out. Returns the
 * number written (0 for an empty side or a bad locate). */
uint32_t book_depth(const struct book_set *bs, uint16_t locate,
		    enum book_side side, struct book_depth_level *out,
		    uint32_t max);

/* The level at `px` on one side of `locate`, or NULL. Search from the best. */
const struct book_level *book_level_at(const struct book_set *bs,
				       uint16_t locate, enum book_side side,
				       uint32_t px);

/* Check every invariant (ladders sorted and linked, chunk fill, aggregates,
 * FIFO links, order table reachability and probe order, free lists, live
 * counts). O(block). 0, or -EUCLEAN with the first problem in why[len]. */
int book_check(const struct book_set *bs, char *why, size_t len);

/* Print one symbol's book (state, top, up to `levels` levels per side with
 * their orders in priority order) to f. For tests and tools; cold. */
void book_print(const struct book_set *bs, uint16_t locate, uint32_t levels,
		FILE *f);

/* "unknown order reference", ...; "?" for anything else. */
const char *book_reason_name(int reason);

/* ---- inline queries -------------------------------------------------- */

/* 32-bit hash of an order reference; its low bits are the home slot. The
 * exchange hands out references in sequence, so groups of
 * BOOK_HASH_GROUP consecutive references keep their order on consecutive
 * slots (one 4 KiB page of the table: the adds of one moment share lines
 * and pages, and the recent ones stay cached). Group g goes to block
 * g x BOOK_HASH_MUL mod (slots / BOOK_HASH_GROUP): the multiplier is odd,
 * so that is a bijection, and references less than a table size apart
 * never share a home. A block is used again only a whole table size of
 * references later, when few of its orders are still live. (The former
 * placement took bits 32..43 of a 64-bit product: only ~69% of 4096
 * consecutive groups got distinct blocks, so a new group often landed on
 * a block still holding a recent, mostly live group: bench_book probe max
 * 342, runs of 720 slots.) The bits above the home filter table matches.
 * hash_bits is unused by this form and kept for the table's size. */
static ALWAYS_INLINE uint32_t book_hash32(const struct book_set *bs,
					 uint64_t ref)
{
	(void)bs;
	return (uint32_t)(ref / BOOK_HASH_GROUP) * BOOK_HASH_MUL *
		       BOOK_HASH_GROUP +
	       (uint32_t)(ref % BOOK_HASH_GROUP);
}

/* Home slot of `ref` in this book set's order table (tests use it to make
 * colliding references). */
static inline uint32_t book_ref_bucket(const struct book_set *bs, uint64_t ref)
{
	return book_hash32(bs, ref) & bs->slot_mask;
}

/* Slot holding `ref`, or BOOK_NIL. Linear probe from its home; the load
 * factor is <= 1/2 so an empty slot always ends it. */
static inline uint32_t book_slot_find(const struct book_set *bs, uint64_t ref)
{
	uint32_t h = book_hash32(bs, ref), i = h & bs->slot_mask;

	for (;; i = (i + 1) & bs->slot_mask) {
		const struct book_slot *s = &bs->slots[i];

		if (s->order == BOOK_NIL)
			return BOOK_NIL;
		if (s->hash == h && bs->orders[s->order].ref == ref)
			return i;
	}
}

/* The live order with reference `ref`, or NULL. */
static inline const struct book_order *book_order_find(const struct book_set *bs,
						       uint64_t ref)
{
	uint32_t i = book_slot_find(bs, ref);

	return i == BOOK_NIL ? NULL : &bs->orders[bs->slots[i].order];
}

/* Prefetch helpers for a burst: three stages a few messages apart (slot,
 * order, links) hide the dependent misses of E/C/X/D/U. Each comes by
 * reference and, for a caller that hashed the reference once (book_hash32)
 * and keeps the order index the peek found (the feed's lookahead), by hash
 * or index. Prefetch only: stale inputs cost a wasted load. */

/* Start loading the table slot of the reference whose book_hash32 is h. */
static ALWAYS_INLINE void book_prefetch_slot_hash(const struct book_set *bs, uint32_t h)
{
	__builtin_prefetch(&bs->slots[h & bs->slot_mask], 0, 3);
}

/* Start loading the table slot `ref` hashes to: call a few messages ahead
 * of book_apply on a burst to overlap the cache misses. */
static ALWAYS_INLINE void book_prefetch_ref(const struct book_set *bs,
					   uint64_t ref)
{
	book_prefetch_slot_hash(bs, book_hash32(bs, ref));
}

/* Order index that the reference whose book_hash32 is h probably names,
 * from its table slots alone (a 32-bit hash match within a few slots of
 * home, no order load), or BOOK_NIL. For the prefetch helpers. */
static ALWAYS_INLINE uint32_t book_slot_peek_hash(const struct book_set *bs, uint32_t h)
{
	uint32_t i = h & bs->slot_mask, k;

	for (k = 0; k < 4; k++, i = (i + 1) & bs->slot_mask) {
		const struct book_slot *s = &bs->slots[i];

		if (s->order == BOOK_NIL)
			break;
		if (s->hash == h)
			return s->order;
	}
	return BOOK_NIL;
}

/* book_slot_peek_hash for `ref`. */
static ALWAYS_INLINE uint32_t book_slot_peek(const struct book_set *bs,
					     uint64_t ref)
{
	return book_slot_peek_hash(bs, book_hash32(bs, ref));
}

/* book_prefetch_order for order index o (from book_slot_peek_hash; BOOK_NIL
 * or out of range: nothing). */
static ALWAYS_INLINE void book_prefetch_order_at(const struct book_set *bs, uint32_t o)
{
	if (o < bs->max_orders)
		__builtin_prefetch(&bs->orders[o], 1, 3);
}

/* book_prefetch_links for order index o: its FIFO neighbours and level.
 * Issue book_prefetch_order_at(o) a few messages earlier. */
static ALWAYS_INLINE void book_prefetch_links_at(const struct book_set *bs, uint32_t o)
{
	const struct book_order *ord;

	if (o >= bs->max_orders)
		return;
	ord = &bs->orders[o];
	if (ord->level >= bs->max_levels)
		return; /* freed meanwhile */
	__builtin_prefetch(&bs->levels[ord->level], 1, 3);
	if (ord->prev != BOOK_NIL)
		__builtin_prefetch(&bs->orders[ord->prev], 1, 3);
	if (ord->next != BOOK_NIL)
		__builtin_prefetch(&bs->orders[ord->next], 1, 3);
}

/* Start loading the order `ref` names. Reads its table slot: issue
 * book_prefetch_ref for it a few messages earlier. */
static ALWAYS_INLINE void book_prefetch_order(const struct book_set *bs,
					     uint64_t ref)
{
	book_prefetch_order_at(bs, book_slot_peek(bs, ref));
}

/* Start loading what removing or reducing `ref` touches besides the order:
 * its FIFO neighbours and its level. Reads the slot and the order: issue
 * book_prefetch_ref and then book_prefetch_order for it earlier. The three
 * stages, a few messages apart, hide the dependent misses of E/C/X/D/U. */
static ALWAYS_INLINE void book_prefetch_links(const struct book_set *bs,
					     uint64_t ref)
{
	book_prefetch_links_at(bs, book_slot_peek(bs, ref));
}

/* Start loading a symbol's record (adds: the locate is in the message). */
static ALWAYS_INLINE void book_prefetch_sym(const struct book_set *bs,
					   uint16_t locate)
{
	if (locate <= bs->max_locate)
		__builtin_prefetch(&bs->syms[locate], 1, 3);
}

/* What an add of (side, px) to `locate` reads after the symbol's line, in
 * two dependent stages a few messages apart (the order's own record comes
 * off a LIFO free list, still cached): the level it joins and that level's
 * last order, whose link it writes. */

/* book_prefetch_add_top's answer: what it started loading. */
enum {
	BOOK_PF_ADD_NONE = 0,
	BOOK_PF_ADD_LEVEL = 1, /* the best level: px is the best price */
	BOOK_PF_ADD_CHUNK = 2, /* the side's best ladder chunk (both lines) */
};

/* Stage 1: for an add of side (ITCH 'B'/'S') at px, start loading the best
 * level when px is the side's best price, else the best ladder chunk. Reads
 * the symbol's line: issue book_prefetch_sym a few messages earlier. Sets
 * *idx to the level or chunk index for book_prefetch_add_next. */
static ALWAYS_INLINE unsigned book_prefetch_add_top(const struct book_set *bs, uint16_t locate,
						    uint8_t side_b, uint32_t px, uint32_t *idx)
{
	const struct book_sym *s;
	unsigned side = side_b == 'S' ? BOOK_ASK : BOOK_BID;

	if (locate > bs->max_locate)
		return BOOK_PF_ADD_NONE;
	s = &bs->syms[locate];
	if (px == s->best_px[side] && s->best_lvl[side] < bs->max_levels) {
		*idx = s->best_lvl[side];
		__builtin_prefetch(&bs->levels[*idx], 1, 3);
		return BOOK_PF_ADD_LEVEL;
	}
	if (s->best_chunk[side] < bs->max_chunks) {
		*idx = s->best_chunk[side];
		__builtin_prefetch(&bs->chunks[*idx], 0, 3);
		__builtin_prefetch(&bs->chunks[*idx].lvl[0], 0, 3);
		return BOOK_PF_ADD_CHUNK;
	}
	return BOOK_PF_ADD_NONE;
}

/* Stage 2, after book_prefetch_add_top gave `what` and idx: the level's
 * last order (BOOK_PF_ADD_LEVEL), or the level px has in that chunk, if
 * any (BOOK_PF_ADD_CHUNK; a price deeper than the chunk, or new, loads
 * nothing: a third stage for that level's last order measured slower).
 * Records may have changed since stage 1: every index read is range
 * checked, so a stale one only wastes a load. */
static ALWAYS_INLINE void book_prefetch_add_next(const struct book_set *bs, unsigned what,
						 uint32_t idx, uint8_t side_b, uint32_t px)
{
	if (what == BOOK_PF_ADD_LEVEL) {
		uint32_t t = bs->levels[idx].tail;

		if (t < bs->max_orders)
			__builtin_prefetch(&bs->orders[t], 1, 3);
	} else if (what == BOOK_PF_ADD_CHUNK) {
		const struct book_chunk *ch = &bs->chunks[idx];
		uint32_t k = px ^ (side_b == 'S' ? UINT32_MAX : 0u); /* book.c side_key */
		/* 1..BOOK_CHUNK_LEVELS even for a stale n (0 wraps round). */
		uint32_t i = ch->n - 1 < BOOK_CHUNK_LEVELS ? ch->n : BOOK_CHUNK_LEVELS;

		/* As book.c's ladder_seek: key[0] <= k ends the scan, so its
		 * steps need no bound test. */
		if (ch->key[0] > k)
			return;
		while (ch->key[i - 1] > k)
			i--;
		if (ch->key[i - 1] == k && ch->lvl[i - 1] < bs->max_levels)
			__builtin_prefetch(&bs->levels[ch->lvl[i - 1]], 1, 3);
	}
}

/* Symbol record of `locate` (best_px/best_qty per side are the top of book,
 * O(1)), or NULL when locate is 0 or above max_locate. */
static inline const struct book_sym *book_sym_get(const struct book_set *bs,
						  uint16_t locate)
{
	if (locate == 0 || locate > bs->max_locate)
		return NULL;
	return &bs->syms[locate];
}

/* Is the symbol halted: trading state known and not 'T', or a Nasdaq
 * operational halt in force? One bit that the two setters keep (the feed
 * asks for every market-data event: callgrind on many3m, 9 instructions
 * an event from the two fields). */
static inline bool book_sym_halted(const struct book_sym *s)
{
	return (s->flags & BOOK_SYM_HALTED) != 0;
}

/* The best level of one side, or NULL when it is empty. */
static inline const struct book_level *book_best_level(const struct book_set *bs,
						       const struct book_sym *s,
						       enum book_side side)
{
	uint32_t l = s->best_lvl[side];

	return l == BOOK_NIL ? NULL : &bs->levels[l];
}

/* FIFO iteration of a level in time priority: front, then next until NULL.
 * The front order is the next to trade at that price. */
static inline const struct book_order *book_level_front(const struct book_set *bs,
							const struct book_level *l)
{
	return l->head == BOOK_NIL ? NULL : &bs->orders[l->head];
}

static inline const struct book_order *book_order_next(const struct book_set *bs,
						       const struct book_order *o)
{
	return o->next == BOOK_NIL ? NULL : &bs->orders[o->next];
}

/* The level an order rests at. */
static inline const struct book_level *book_order_level(const struct book_set *bs,
							const struct book_order *o)
{
	return &bs->levels[o->level];
}

#endif /* BOOK_H */
