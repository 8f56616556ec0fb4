/* ostore.h - the gateway's order store (DESIGN.md section 8): every order
 * from send to its terminal state, looked up by client token (from the
 * strategy) and by venue user reference number (assigned here at send time,
 * 1, 2, 3...). Owns the order slots, both indexes, per-symbol position and
 * reservations. One caller-provided block sized at init; no allocation after.
 * One owner thread (the gateway core); not thread-safe. Time is an argument. */
#ifndef OSTORE_H
#define OSTORE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/events.h"
#include "hw/compiler.h"

#define OSTORE_MAX_ORDERS (1u << 22) /* cfg.max_orders upper bound */
#define OSTORE_MAX_QTY (1u << 30)    /* shares per order accepted by the store */
#define OSTORE_MATCH_MEMORY 4        /* match numbers remembered per order */
#define OSTORE_NIL UINT32_MAX        /* no slot */

/* Order states. Terminal states (FILLED and later) release the slot at once:
 * they are returned by the event functions, never found in the store. */
enum ostore_state {
	OSTORE_FREE = 0,
	OSTORE_PENDING_NEW = 1,     /* sent, not accepted yet */
	OSTORE_LIVE = 2,            /* accepted, nothing filled */
	OSTORE_PARTIAL = 3,         /* accepted, partly filled, shares left */
	OSTORE_PENDING_CANCEL = 4,  /* cancel sent (from PENDING_NEW, LIVE or PARTIAL) */
	OSTORE_PENDING_REPLACE = 5, /* replace sent (from LIVE or PARTIAL) */
	OSTORE_FILLED = 6,          /* terminal: nothing left */
	OSTORE_CANCELED = 7,        /* terminal: canceled (by us or the venue) */
	OSTORE_REJECTED = 8,        /* terminal: the venue refused the new order */
	OSTORE_EXPIRED = 9,         /* terminal: time in force ran out */
};

struct ostore_cfg {
	uint32_t max_orders;    /* live (non-terminal) orders, 1..OSTORE_MAX_ORDERS */
	uint32_t max_locate;    /* highest symbol, 1..65535 */
	uint32_t token_history; /* tokens of terminal orders still recognised as
				 * used (duplicate check), 0..OSTORE_MAX_ORDERS */
};

/* One order. A pending replace keeps the replacement in the new_* fields
 * until the venue confirms it; both tokens and both refs find the slot.
 * Two cache lines (slots start on a line in the store's block): the first
 * holds all a check, cancel or replace of the order reads or writes, the
 * second what only a new order, the venue's events and the symbol walk use. */
struct ostore_order {
	/* line 1 */
	uint64_t new_token;   /* PENDING_REPLACE: the replacement's token */
	uint64_t t_sent_ns;   /* last NEW/REPLACE/CANCEL sent */
	uint64_t res_ntl;     /* notional reserved, px x shares (1e-4 USD) */
	uint32_t ref;         /* venue user reference number */
	uint32_t new_ref;     /* PENDING_REPLACE: the replacement's ref */
	uint32_t px;          /* 1e-4 USD */
	uint32_t new_px;      /* PENDING_REPLACE: 1e-4 USD */
	uint32_t qty;         /* shares ordered (after the last replace) */
	uint32_t new_qty;     /* PENDING_REPLACE: shares the replacement leaves */
	uint32_t leaves;      /* shares still working */
	uint32_t res_qty;     /* shares reserved toward the worst-case position */
	uint16_t locate;      /* symbol */
	uint8_t side;         /* 'B' or 'S' */
	uint8_t state;        /* enum ostore_state */
	uint8_t prior;        /* state to return to when a cancel/replace fails */
	uint8_t n_match;      /* fills seen (saturates at 255) */
	uint8_t match_pos;    /* next entry of match[] to overwrite */
	uint8_t pad;
	/* line 2 */
	uint64_t token;       /* client token */
	uint32_t next, prev;  /* the symbol's list of orders (slot or OSTORE_NIL) */
	uint32_t cum;         /* shares filled, all fills of the order */
	uint32_t pad2;
	uint64_t match[OSTORE_MATCH_MEMORY]; /* last fills' match numbers */
	uint64_t pad3;
};
_Static_assert(sizeof(struct ostore_order) == 128, "ostore_order is two cache lines");
_Static_assert(offsetof(struct ostore_order, token) == 64, "ostore_order line 1 is 64 bytes");

/* Per-symbol position and reservations: one cache line per symbol, the one
 * line of the symbol the checks and a send read. The store's owner keeps its
 * own per-symbol inputs to the checks and the encoder (ref_px, name) in the
 * spare bytes so that an intent reads one line per symbol, not three; the
 * store sets them to 0 at init and never reads them. */
struct ostore_sym {
	int64_t pos;          /* shares, + long, from fills */
	uint64_t buy_res;     /* shares reserved by buys (working + in flight) */
	uint64_t sell_res;    /* shares reserved by sells */
	uint64_t res_ntl;     /* notional reserved by both sides, 1e-4 USD */
	uint32_t mark_px;     /* last fill price, 1e-4 USD (position notional) */
	uint32_t n_open;      /* non-terminal orders */
	uint32_t head;        /* first order slot, OSTORE_NIL when none */
	uint32_t best_bid;    /* highest px (or pending replacement px) of the
			       * open buys, 1e-4 USD; 0 when none */
	uint32_t best_ask;    /* lowest px (or pending replacement px) of the
			       * open sells; OSTORE_NO_ASK when none */
	uint32_t ref_px;      /* owner's: reference price, 1e-4 USD (gw_set_ref) */
	char name[8];         /* owner's: OUCH symbol, space padded (gw_set_symbol) */
};
_Static_assert(sizeof(struct ostore_sym) == 64, "ostore_sym is one cache line");

#define OSTORE_NO_ASK UINT32_MAX /* ostore_sym.best_ask with no open sell */

struct ostore_counters {
	uint64_t fills;          /* fills applied */
	uint64_t dup_fills;      /* fills ignored: match already seen on the order */
	uint64_t overfills;      /* fills larger than leaves (leaves set to 0) */
	uint64_t late_fills;     /* fills applied while a cancel was in flight */
	uint64_t unknown_ref;    /* venue events for refs not in the store */
	uint64_t bad_event;      /* venue events that do not fit the order's state */
};

/* Token index entry: key and slot side by side, four to a line. */
struct ostore_tok_ent {
	uint64_t key;               /* token, 0 = empty */
	uint32_t slot;              /* slot, or OSTORE_NIL for a retired token */
	uint32_t pad;
};

/* Ref index entry, eight to a line. */
struct ostore_ref_ent {
	uint32_t key;               /* user reference number, 0 = empty */
	uint32_t slot;
};

/* The fields a send touches come last, after the ones only the venue's
 * events use, so that they share lines with what follows the store in its
 * owner (struct gw). */
struct ostore {
	struct ostore_counters cnt;
	void *mem;
	uint64_t *retired;          /* FIFO of retired tokens, token_history */
	uint32_t ret_head, ret_n;
	int owned;
	uint32_t ref_away;          /* ref index entries off their home slot:
				     * while 0, a delete moves none back */
	/* the intent path */
	struct ostore_cfg cfg;
	struct ostore_order *ord;   /* cfg.max_orders slots */
	struct ostore_sym *sym;     /* cfg.max_locate + 1 */
	struct ostore_tok_ent *tok; /* token index: open addressing */
	struct ostore_ref_ent *ref; /* ref index: open addressing */
	uint32_t tok_mask, ref_mask;
	uint32_t free_head;         /* free slot list through ostore_order.next */
	uint32_t n_open;            /* non-terminal orders, all symbols */
	uint32_t next_ref;          /* next user reference number, from 1 */
	uint64_t open_ntl;          /* notional reserved, all symbols, 1e-4 USD */
	uint64_t pos_ntl;           /* sum |pos| x mark_px, all symbols, 1e-4 USD */
};

/* Bytes of memory ostore_init needs for cfg (64-aligned), 0 if cfg is bad. */
size_t ostore_memsize(const struct ostore_cfg *cfg);

/* Set up an empty store on mem (ostore_memsize(cfg) bytes, 64-aligned) or,
 * with mem NULL, on memory it allocates. Writes the whole block (prefaults).
 * 0, -EINVAL bad cfg or misaligned mem, -ENOMEM. Start-up; one thread. */
int ostore_init(struct ostore *os, const struct ostore_cfg *cfg, void *mem);

/* Release what init allocated. Accepts NULL. */
void ostore_fini(struct ostore *os);

/* ---- lookups ----------------------------------------------------------- */

/* Home slots of the indexes (mask = capacity - 1, capacity a power of 2
 * >= 16). Tokens: a strategy numbers its orders 1, 2, 3..., so each block
 * of OSTORE_TOK_BLOCK consecutive tokens has one 4 KiB page of the index
 * (64 lines), one token a line in consecutive lines, all in one of the
 * four entries of the line (the lane); the multiplicative hash of the
 * block picks the page and the lane, so up to four blocks share a page
 * without meeting. A strategy's next token then lies on the line next to
 * its last one, on the same page, where the next-line prefetch
 * (ostore_prefetch_intent) loads it in time. With 4-token groups hashed
 * over the index each fourth token's line lay on another page, and
 * prefetching it one to four intents ahead did not hide the miss
 * (measured: gateway stage of a token % 4 == 0 NEW or REPLACE ~160 ns,
 * 50-60 ns for the others). Whole blocks on consecutive slots would do
 * that too but meet each other whole: a new token in a block that landed
 * on another scanned 64 entries.
 * Refs are handed out 1, 2, 3... by the store: direct-mapped, so the next
 * ref's slot sits next to the last one's and wraps only after capacity. */
#define OSTORE_TOK_PER_LINE 4u /* token index entries (lanes) per cache line */
#define OSTORE_TOK_BLOCK 64u   /* consecutive tokens on one page, one a line */

static inline uint32_t ostore_tok_home(uint64_t token, uint32_t mask)
{
	const uint64_t mul = 0x9E3779B97F4A7C15ull;
	/* Bits 38-63 of the product: enough for the largest index (2^25
	 * entries), and each depends on every block bit below it (a
	 * product's low bits see only the key's low bits: with bits 32-33
	 * for the lane, the blocks of tokens that differ above bit 40, one
	 * symbol's from another's, all took the same lane). */
	uint32_t h = (uint32_t)(((token >> 6) * mul) >> 38);

	/* The block's hash gives the lane (bits 0-1) and the page (bits 8
	 * up) in place, the token's place in its block the line (bits 2-7):
	 * one mask and one or, where moving the lane from the top bits and
	 * the page to bit 8 took three more instructions per token. */
	return ((h & ~(uint32_t)0xFC) | ((uint32_t)(token & 63) << 2)) & mask;
}
_Static_assert(OSTORE_TOK_PER_LINE * sizeof(struct ostore_tok_ent) == 64 &&
		       OSTORE_TOK_PER_LINE == 4,
	       "four token entries (lanes) fill one line");
_Static_assert(OSTORE_TOK_BLOCK * OSTORE_TOK_PER_LINE * sizeof(struct ostore_tok_ent) == 4096,
	       "ostore_tok_home's shifts: a 64-token block fills the lanes of a 4 KiB page");

static inline uint32_t ostore_ref_home(uint32_t ref, uint32_t mask)
{
	return ref & mask;
}

/* The token index entry that holds token, or the empty entry where the
 * probe from its home slot stopped (where token would go). token != 0.
 * Inline, as are the lookups over it: the checks and sends of every
 * intent run them. */
static inline uint32_t ostore_tok_pos_from(const struct ostore *os, uint64_t token, uint32_t i)
{
	while (os->tok[i].key && os->tok[i].key != token)
		i = (i + 1) & os->tok_mask;
	return i;
}

static inline uint32_t ostore_tok_pos(const struct ostore *os, uint64_t token)
{
	return ostore_tok_pos_from(os, token, ostore_tok_home(token, os->tok_mask));
}

/* ostore_find_token with token's home slot already computed. */
static inline uint32_t ostore_find_token_from(const struct ostore *os, uint64_t token,
					      uint32_t home)
{
	uint32_t i;

	if (!token)
		return OSTORE_NIL;
	i = ostore_tok_pos_from(os, token, home);
	return os->tok[i].key ? os->tok[i].slot : OSTORE_NIL;
}

/* Slot of the order a client token names (its current or, while a replace
 * is pending, its replacement token), or OSTORE_NIL. */
static inline uint32_t ostore_find_token(const struct ostore *os, uint64_t token)
{
	return ostore_find_token_from(os, token, ostore_tok_home(token, os->tok_mask));
}

/* Slot of the order a venue user reference number names, or OSTORE_NIL. */
uint32_t ostore_find_ref(const struct ostore *os, uint32_t ref);

/* Nonzero when token was used: by an order in the store or by one of the
 * last cfg.token_history terminal orders. Token 0 counts as used. */
static inline int ostore_token_used(const struct ostore *os, uint64_t token)
{
	return !token || os->tok[ostore_tok_pos(os, token)].key != 0;
}

/* What the token index holds for an intent's tokens, probed once by the
 * pre-trade checks (gateway/risk.h risk_check_probed) and used again by the
 * send (ostore_send_*_probed) so that no token is looked up twice. Valid
 * until the store next changes. The two homes are the checks' input, set
 * by ostore_probe_homes (or ostore_prefetch_intent, which needs them too)
 * so that no token is hashed twice either. */
struct ostore_probe {
	uint32_t tok_home;  /* ostore_tok_home(in->token) */
	uint32_t orig_home; /* ostore_tok_home(in->orig_token) */
	uint32_t orig_slot; /* CANCEL/REPLACE: orig_token's slot, or OSTORE_NIL */
	uint32_t tok_at;    /* NEW/REPLACE: token's index entry, or the empty one
			     * it would take */
	int tok_used;       /* NEW/REPLACE: ostore_token_used(token) */
	uint32_t add_qty;   /* NEW/REPLACE passed: shares the order adds to its
			     * reservation (risk_check_probed sets it) */
	uint64_t add_ntl;   /* and notional, 1e-4 USD */
};

/* Set p's tok_home and orig_home for in's tokens. */
static inline void ostore_probe_homes(const struct ostore *os, const struct order_intent *in,
				      struct ostore_probe *p)
{
	p->tok_home = ostore_tok_home(in->token, os->tok_mask);
	p->orig_home = ostore_tok_home(in->orig_token, os->tok_mask);
}

/* Fill p's tok_at and tok_used for token, whose home slot is home; returns
 * tok_used. */
static inline int ostore_probe_token_from(const struct ostore *os, uint64_t token, uint32_t home,
					  struct ostore_probe *p)
{
	p->tok_at = 0;
	p->tok_used = 1; /* token 0 counts as used, with no entry to take */
	if (token) {
		p->tok_at = ostore_tok_pos_from(os, token, home);
		p->tok_used = os->tok[p->tok_at].key != 0;
	}
	return p->tok_used;
}

/* Fill p's tok_at and tok_used for token; returns tok_used. */
static inline int ostore_probe_token(const struct ostore *os, uint64_t token,
				     struct ostore_probe *p)
{
	return ostore_probe_token_from(os, token, ostore_tok_home(token, os->tok_mask), p);
}

/* The order in slot (slot < cfg.max_orders). */
static inline const struct ostore_order *ostore_order_at(const struct ostore *os, uint32_t slot)
{
	return &os->ord[slot];
}

/* Symbol state; locate <= cfg.max_locate. */
static inline const struct ostore_sym *ostore_sym_at(const struct ostore *os, uint16_t locate)
{
	return &os->sym[locate];
}

/* ostore_would_cross's walk over the symbol's orders for an opposite one,
 * when the best price it compared with is the sentinel. */
int ostore_has_side(const struct ostore *os, uint16_t locate, uint8_t side);

/* Would a side ('B'/'S') order at px trade with one of the symbol's open
 * opposite orders (a pending replacement's price counts too)? O(1) from
 * best_bid/best_ask except for a buy at UINT32_MAX, which walks. */
static inline int ostore_would_cross(const struct ostore *os, uint16_t locate, uint8_t side,
				     uint32_t px)
{
	const struct ostore_sym *s = &os->sym[locate];

	if (side == 'B' ? s->best_ask > px : s->best_bid < px)
		return 0;
	if (side == 'B' ? s->best_ask != OSTORE_NO_ASK : s->best_bid != 0)
		return 1;
	/* A buy at UINT32_MAX or a sell at 0: the sentinel may be a price. */
	return ostore_has_side(os, locate, side == 'B' ? 'S' : 'B');
}

/* Walk a symbol's orders: first with OSTORE_NIL, then the previous slot;
 * OSTORE_NIL at the end. Do not send while walking (sends add slots). */
static inline uint32_t ostore_sym_next(const struct ostore *os, uint16_t locate, uint32_t slot)
{
	return slot == OSTORE_NIL ? os->sym[locate].head : os->ord[slot].next;
}

/* Start loading what the checks and a send of in will touch (the symbol,
 * the tokens' index slots, the next ref's slot, the next free order) so
 * the misses overlap instead of following one another, and set p's homes
 * for the checks: the ones in->op's checks use as ostore_probe_homes sets
 * them (tok_home for a NEW or REPLACE, orig_home for a CANCEL or REPLACE),
 * the other 0. No effect on the store.
 * A NEW or REPLACE also loads the home line of token + 1: a strategy
 * numbers its orders 1, 2, 3..., so that is the line its next token will
 * take, next to this one in the token block (see ostore_tok_home).
 * Always inlined: a plain inline function made only of prefetches is taken
 * by GCC for a pure one whose result is unused, and every call of it is
 * deleted before it can be inlined (gw_on_intent had none of them). With
 * op a constant (gw_on_intent dispatches on it first) the tests of it
 * fold away; token 0 hashes to slot 0, as ostore_probe_homes has it. */
static ALWAYS_INLINE void ostore_prefetch_intent(const struct ostore *os,
						 const struct order_intent *in,
						 struct ostore_probe *p)
{
	int order = in->op == INTENT_NEW || in->op == INTENT_REPLACE;

	p->tok_home = 0;
	p->orig_home = 0;
	if (in->locate <= os->cfg.max_locate)
		__builtin_prefetch(&os->sym[in->locate], 1);
	if (order) {
		p->tok_home = ostore_tok_home(in->token, os->tok_mask);
		__builtin_prefetch(&os->tok[p->tok_home], 1);
		/* token + 1's line is the next one, but past a block's last
		 * token (1 in 64, then a harmless useless prefetch). */
		__builtin_prefetch(&os->tok[(p->tok_home + OSTORE_TOK_PER_LINE) & os->tok_mask], 1);
		__builtin_prefetch(&os->ref[ostore_ref_home(os->next_ref, os->ref_mask)], 1);
	}
	if (in->op == INTENT_CANCEL || in->op == INTENT_REPLACE) {
		p->orig_home = ostore_tok_home(in->orig_token, os->tok_mask);
		__builtin_prefetch(&os->tok[p->orig_home]);
	}
	if (in->op == INTENT_NEW && os->free_head != OSTORE_NIL) {
		const uint8_t *o = (const uint8_t *)&os->ord[os->free_head];

		__builtin_prefetch(o, 1);
		__builtin_prefetch(o + sizeof(struct ostore_order) - 1, 1);
	}
}

/* ---- sends (after the risk check passed) ----------------------------- */

/* Record a NEW intent (token, px, qty, locate, side) as PENDING_NEW and give
 * it the next user reference number in *ref. 0, -EINVAL bad field,
 * -EEXIST token used, -ENOSPC no free slot or refs exhausted. */
int ostore_send_new(struct ostore *os, const struct order_intent *in, uint64_t now_ns,
		    uint32_t *ref);

/* Record a cancel of the order named by token; *ref is the ref to cancel.
 * 0, -ENOENT unknown token, -EBUSY a cancel or replace is already pending. */
int ostore_send_cancel(struct ostore *os, uint64_t token, uint64_t now_ns, uint32_t *ref);

/* Record a REPLACE intent: orig_token's order becomes PENDING_REPLACE with
 * token, px, qty (shares the replacement leaves) and a new ref in *new_ref;
 * *old_ref is the order's current ref. 0, -ENOENT unknown orig_token,
 * -EBUSY not LIVE/PARTIAL, -EINVAL bad field or side/locate differ,
 * -EEXIST token used, -ENOSPC refs exhausted. */
int ostore_send_replace(struct ostore *os, const struct order_intent *in, uint64_t now_ns,
			uint32_t *old_ref, uint32_t *new_ref);

/* The three sends above with p (the fields the op uses, probed after the
 * store's last change) in place of their own probes: same contracts. */
int ostore_send_new_probed(struct ostore *os, const struct order_intent *in,
			   const struct ostore_probe *p, uint64_t now_ns, uint32_t *ref);
int ostore_send_cancel_probed(struct ostore *os, const struct ostore_probe *p, uint64_t now_ns,
			      uint32_t *ref);
int ostore_send_replace_probed(struct ostore *os, const struct order_intent *in,
			       const struct ostore_probe *p, uint64_t now_ns, uint32_t *old_ref,
			       uint32_t *new_ref);

/* ---- the sends' steps, inline: the *_passed sends below are on every
 * intent's path (as calls they cost a frame and spills), and the store's
 * other sends and its venue events use the same steps ---------------- */

/* A non-terminal state that holds a reservation. */
static inline int ostore_is_open(uint8_t st)
{
	return st >= OSTORE_PENDING_NEW && st <= OSTORE_PENDING_REPLACE;
}

/* Bring o's reservation in line with its state: leaves (x px); a pending
 * replace holds the larger of old and new, shares and notional
 * separately; a closed order holds nothing. Inlined into the sends, where
 * the state is a constant and most of it folds away. */
static ALWAYS_INLINE void ostore_reserve_sync(struct ostore *os, struct ostore_order *o)
{
	struct ostore_sym *s = &os->sym[o->locate];
	uint64_t q = 0, n = 0;

	if (ostore_is_open(o->state)) {
		q = o->leaves;
		n = (uint64_t)o->leaves * o->px;
		if (o->state == OSTORE_PENDING_REPLACE) {
			uint64_t nn = (uint64_t)o->new_qty * o->new_px;

			if (o->new_qty > q)
				q = o->new_qty;
			if (nn > n)
				n = nn;
		}
	}
	if (o->side == 'B')
		s->buy_res = s->buy_res - o->res_qty + q;
	else
		s->sell_res = s->sell_res - o->res_qty + q;
	s->res_ntl = s->res_ntl - o->res_ntl + n;
	os->open_ntl = os->open_ntl - o->res_ntl + n;
	o->res_qty = (uint32_t)q;
	o->res_ntl = n;
}

/* Add q shares and n notional to o's reservation: what
 * ostore_reserve_sync does for a NEW from a free slot (q = qty, n = px x
 * qty) or a REPLACE of a LIVE or PARTIAL order, which holds leaves and
 * leaves x px (q = what max(leaves, new qty) adds, n the same for the
 * notional), from the amounts the checks worked out already. */
static ALWAYS_INLINE void ostore_reserve_add(struct ostore *os, struct ostore_order *o, uint32_t q,
					     uint64_t n)
{
	struct ostore_sym *s = &os->sym[o->locate];

	if (o->side == 'B')
		s->buy_res += q;
	else
		s->sell_res += q;
	s->res_ntl += n;
	os->open_ntl += n;
	o->res_qty += q;
	o->res_ntl += n;
}

/* An order shows price px (new, or a replacement in flight): only ever
 * makes its side's best more aggressive. */
static inline void ostore_best_add(struct ostore_sym *s, uint8_t side, uint32_t px)
{
	if (side == 'B') {
		if (px > s->best_bid)
			s->best_bid = px;
	} else if (px < s->best_ask) {
		s->best_ask = px;
	}
}

/* The ref index entry that holds ref, or the empty one where its probe
 * stopped. ref != 0. */
static inline uint32_t ostore_ref_pos(const struct ostore *os, uint32_t ref)
{
	uint32_t i = ostore_ref_home(ref, os->ref_mask);

	while (os->ref[i].key && os->ref[i].key != ref)
		i = (i + 1) & os->ref_mask;
	return i;
}

/* Index ref (not in the index) -> slot val. An entry that cannot take its
 * home slot is counted in ref_away (only then: the home's key tested
 * first, as the probe would). */
static inline void ostore_ref_put(struct ostore *os, uint32_t ref, uint32_t val)
{
	uint32_t i = ostore_ref_home(ref, os->ref_mask);

	if (UNLIKELY(os->ref[i].key != 0)) {
		i = ostore_ref_pos(os, ref);
		os->ref_away++;
	}
	os->ref[i].key = ref;
	os->ref[i].slot = val;
}

/* Put the order in slot at the head of its symbol's list; one more open. */
static inline void ostore_link_sym(struct ostore *os, uint32_t slot)
{
	struct ostore_order *o = &os->ord[slot];
	struct ostore_sym *s = &os->sym[o->locate];

	o->prev = OSTORE_NIL;
	o->next = s->head;
	if (s->head != OSTORE_NIL)
		os->ord[s->head].prev = slot;
	s->head = slot;
	s->n_open++;
	os->n_open++;
}

/* A NEW with good fields, an unused token (p) and a free slot: the order
 * takes the slot and the next ref; its reservation is p's add_qty and
 * add_ntl when passed (the checks set them), else as its state says.
 * 0, -ENOSPC refs exhausted. */
static ALWAYS_INLINE int ostore_send_new_core(struct ostore *os, const struct order_intent *in,
					      const struct ostore_probe *p, uint64_t now_ns,
					      uint32_t *ref, int passed)
{
	struct ostore_order *o;
	uint32_t slot, at = p->tok_at; /* the duplicate check found the free entry */

	if (os->next_ref == 0)
		return -ENOSPC;
	slot = os->free_head;
	o = &os->ord[slot];
	os->free_head = o->next;
	/* A free slot is all zero but next and prev (init and release leave
	 * it so; ostore_link_sym sets both): no clearing here. */
	o->token = in->token;
	o->ref = os->next_ref++;
	o->px = in->px;
	o->qty = in->qty;
	o->leaves = in->qty;
	o->locate = in->locate;
	o->side = in->side;
	o->state = OSTORE_PENDING_NEW;
	o->t_sent_ns = now_ns;
	ostore_link_sym(os, slot);
	ostore_best_add(&os->sym[o->locate], o->side, o->px);
	os->tok[at].key = o->token;
	os->tok[at].slot = slot;
	ostore_ref_put(os, o->ref, slot);
	if (passed)
		ostore_reserve_add(os, o, p->add_qty, p->add_ntl);
	else
		ostore_reserve_sync(os, o);
	*ref = o->ref;
	return 0;
}

/* ostore_send_new_probed for a NEW the caller has already found good on
 * this store, p probed after its last change (gateway/risk.h
 * risk_check_probed returned RISK_PASS, which also set p's add_qty and
 * add_ntl): fields valid, token unused, a free slot. Only the supply of
 * refs is checked here. 0, -ENOSPC refs exhausted. */
static ALWAYS_INLINE int ostore_send_new_passed(struct ostore *os, const struct order_intent *in,
						const struct ostore_probe *p, uint64_t now_ns,
						uint32_t *ref)
{
	return ostore_send_new_core(os, in, p, now_ns, ref, 1);
}

/* The REPLACE of the LIVE or PARTIAL order o (p->orig_slot) by good
 * fields on its side and symbol with an unused token (p): the order takes
 * the next ref as its replacement's; its reservation grows by p's add_qty
 * and add_ntl when passed (the checks set them), else as its state says.
 * 0, -ENOSPC refs exhausted. */
static ALWAYS_INLINE int ostore_send_replace_core(struct ostore *os, const struct order_intent *in,
						  const struct ostore_probe *p,
						  struct ostore_order *o, uint64_t now_ns,
						  uint32_t *old_ref, uint32_t *new_ref, int passed)
{
	uint32_t at = p->tok_at;

	if (os->next_ref == 0)
		return -ENOSPC;
	o->prior = o->state;
	o->state = OSTORE_PENDING_REPLACE;
	o->new_token = in->token;
	o->new_ref = os->next_ref++;
	o->new_px = in->px;
	o->new_qty = in->qty;
	o->t_sent_ns = now_ns;
	ostore_best_add(&os->sym[o->locate], o->side, o->new_px);
	os->tok[at].key = o->new_token;
	os->tok[at].slot = p->orig_slot;
	ostore_ref_put(os, o->new_ref, p->orig_slot);
	if (passed)
		ostore_reserve_add(os, o, p->add_qty, p->add_ntl);
	else
		ostore_reserve_sync(os, o);
	*old_ref = o->ref;
	*new_ref = o->new_ref;
	return 0;
}

/* ostore_send_replace_probed for a REPLACE the caller has already found
 * good on this store, as ostore_send_new_passed: fields valid, orig_slot
 * a LIVE or PARTIAL order on the intent's side and symbol, token unused.
 * 0, -ENOSPC refs exhausted. */
static ALWAYS_INLINE int ostore_send_replace_passed(struct ostore *os,
						    const struct order_intent *in,
						    const struct ostore_probe *p, uint64_t now_ns,
						    uint32_t *old_ref, uint32_t *new_ref)
{
	return ostore_send_replace_core(os, in, p, &os->ord[p->orig_slot], now_ns, old_ref,
					new_ref, 1);
}

/* ---- venue events -----------------------------------------------------
 * Each returns the order's state after the event (a terminal state means
 * the slot was released) and fills *out (when not NULL) with the report for
 * the strategy; or -ENOENT unknown ref (counted, *out untouched), -EPROTO
 * event does not fit the state (counted). */

/* The venue accepted the order (PENDING_NEW -> LIVE; a pending cancel stays). */
int ostore_on_accepted(struct ostore *os, uint32_t ref, uint64_t t_ns, struct exec_report *out);

/* The replace of old_ref took effect as new_ref with leaves shares at px
 * (PENDING_REPLACE -> LIVE or PARTIAL); the order now has the new token. */
int ostore_on_replaced(struct ostore *os, uint32_t old_ref, uint32_t new_ref, uint32_t leaves,
		       uint32_t px, uint64_t t_ns, struct exec_report *out);

/* dec shares of ref were canceled (0 or >= leaves: all). The order is
 * CANCELED when nothing is left, else it keeps its state with fewer leaves. */
int ostore_on_canceled(struct ostore *os, uint32_t ref, uint32_t dec, uint8_t reason,
		       uint64_t t_ns, struct exec_report *out);

/* qty shares of ref traded at px with venue match number match. Applied in
 * every live state, including a pending cancel or replace. A match already
 * seen on the order returns -EALREADY (ignored, counted, *out untouched). */
int ostore_on_executed(struct ostore *os, uint32_t ref, uint32_t qty, uint32_t px, uint64_t match,
		       uint64_t t_ns, struct exec_report *out);

/* The venue rejected ref: a new order (-> REJECTED) or, when ref is a
 * pending replacement, the replace (the order returns to its prior state;
 * the report is REJECTED for the replacement token). */
int ostore_on_rejected(struct ostore *os, uint32_t ref, uint8_t reason, uint64_t t_ns,
		       struct exec_report *out);

/* The venue refused our cancel of ref (too late): back to the prior state. */
int ostore_on_cancel_rejected(struct ostore *os, uint32_t ref, uint64_t t_ns,
			      struct exec_report *out);

/* ref expired (time in force ended): -> EXPIRED. */
int ostore_on_expired(struct ostore *os, uint32_t ref, uint64_t t_ns, struct exec_report *out);

/* Name of a state ("pending_new", ...), "?" when out of range. */
const char *ostore_state_name(int state);

#endif /* OSTORE_H */
