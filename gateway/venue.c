/* venue.c - the paper venue: our messages in flight, matching against the
 * recorded L3 book (queue position, trade-throughs, taking shown liquidity),
 * fees, and reports delivered after the acknowledgement latency. Set-up is
 * cold; submit/advance/on_md/poll run on the paper pipeline's one thread and
 * never allocate. Rules: docs/paper.md. */
#include "gateway/venue.h"

#include <errno.h>
#include <string.h>

#include "hw/compiler.h"

/* Bounds checked by venue_memsize so every fee fits a report's int32. */
#define VENUE_RATE_MAX 1000        /* |fee or rebate|, 1e-4 USD per share */
#define VENUE_QTY_CAP 1000000u     /* largest cfg.max_qty, shares */
#define VENUE_LAT_MAX_NS 1000000000000ull /* 1000 s: no overflow in lerp */

/* ---- latency ---------------------------------------------------------- */

/* splitmix64: one 64-bit state, one multiply-xorshift output per step. */
static uint64_t rng_next(struct venue_rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

uint64_t venue_lat_draw(const struct venue_lat_cfg *c, struct venue_rng *rng)
{
	uint64_t u;
	uint32_t i;

	if (c->kind == VENUE_LAT_CONST) {
		if (c->jitter_ns == 0)
			return c->base_ns;
		return c->base_ns + rng_next(rng) % (c->jitter_ns + 1);
	}
	/* Inverse CDF: u uniform in [0, 1e6), linear between table points. */
	u = rng_next(rng) % VENUE_PPM;
	for (i = 0; i + 2 < c->npts && u >= c->q_ppm[i + 1]; i++)
		;
	if (c->q_ppm[i + 1] == c->q_ppm[i])
		return c->q_ns[i + 1];
	return c->q_ns[i] + (c->q_ns[i + 1] - c->q_ns[i]) * (u - c->q_ppm[i]) /
				    (c->q_ppm[i + 1] - c->q_ppm[i]);
}

static bool lat_cfg_ok(const struct venue_lat_cfg *c)
{
	if (c->kind == VENUE_LAT_CONST)
		return c->base_ns <= VENUE_LAT_MAX_NS && c->jitter_ns <= VENUE_LAT_MAX_NS;
	if (c->kind != VENUE_LAT_QUANTILE || c->npts < 2 || c->npts > VENUE_LAT_QMAX)
		return false;
	if (c->q_ppm[0] != 0 || c->q_ppm[c->npts - 1] != VENUE_PPM)
		return false;
	for (uint32_t i = 0; i < c->npts; i++) {
		if (c->q_ns[i] > VENUE_LAT_MAX_NS)
			return false;
		if (i && (c->q_ppm[i] < c->q_ppm[i - 1] || c->q_ns[i] < c->q_ns[i - 1]))
			return false;
	}
	return true;
}

/* ---- set-up ----------------------------------------------------------- */

void venue_cfg_defaults(struct venue_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_orders = 1024;
	cfg->max_msgs = 4096;
	cfg->max_reports = 16384;
	cfg->max_takes = 256;
	cfg->max_qty = VENUE_QTY_CAP;
	cfg->taker_fee_e4 = 30;
	cfg->maker_rebate_e4 = 20;
	cfg->seed = 1;
	cfg->entry.kind = VENUE_LAT_CONST;
	cfg->entry.base_ns = 20000;
	cfg->entry.jitter_ns = 5000;
	cfg->ack = cfg->entry;
}

static bool cfg_ok(const struct venue_cfg *cfg)
{
	return cfg && cfg->max_orders && cfg->max_orders < BOOK_NIL && cfg->max_msgs &&
	       cfg->max_reports && cfg->max_takes && cfg->max_qty &&
	       cfg->max_qty <= VENUE_QTY_CAP && cfg->taker_fee_e4 >= -VENUE_RATE_MAX &&
	       cfg->taker_fee_e4 <= VENUE_RATE_MAX &&
	       cfg->maker_rebate_e4 >= -VENUE_RATE_MAX &&
	       cfg->maker_rebate_e4 <= VENUE_RATE_MAX && lat_cfg_ok(&cfg->entry) &&
	       lat_cfg_ok(&cfg->ack);
}

/* Symbol slots: a busy symbol holds a live order or a take slot, and no
 * more symbols than locates can be busy. */
static uint32_t sym_slots(const struct venue_cfg *cfg)
{
	uint64_t n = (uint64_t)cfg->max_orders + cfg->max_takes;

	return n < BOOK_LOCATE_MAX ? (uint32_t)n : BOOK_LOCATE_MAX;
}

/* Token index slots: a power of two, at least twice max_orders so the
 * probes stay short, at most 2^32 (more than max_orders < BOOK_NIL, so
 * a probe always meets an empty slot). */
static uint64_t ref_slots(const struct venue_cfg *cfg)
{
	uint64_t n = 2;

	while (n < 2ull * cfg->max_orders && n < (1ull << 32))
		n *= 2;
	return n;
}

size_t venue_memsize(const struct venue_cfg *cfg)
{
	if (!cfg_ok(cfg))
		return 0;
	return (size_t)cfg->max_orders * (sizeof(struct venue_order) + sizeof(uint32_t)) +
	       (size_t)ref_slots(cfg) * sizeof(uint32_t) +
	       (size_t)cfg->max_msgs * sizeof(struct venue_msg) +
	       (size_t)cfg->max_reports * sizeof(struct venue_report) +
	       (size_t)cfg->max_takes * sizeof(struct venue_take) +
	       ((size_t)sym_slots(cfg) + 1) * sizeof(struct venue_sym) + 7 * CACHELINE;
}

int venue_init(struct venue *v, const struct venue_cfg *cfg, const struct book_set *books,
	       struct arena *a)
{
	if (!v || !books || !a || !cfg_ok(cfg))
		return -EINVAL;
	memset(v, 0, sizeof(*v));
	v->books = books;
	v->cfg = *cfg;
	v->orders = arena_alloc(a, (size_t)cfg->max_orders * sizeof(*v->orders), CACHELINE);
	v->scratch = arena_alloc(a, (size_t)cfg->max_orders * sizeof(*v->scratch), CACHELINE);
	v->msgs = arena_alloc(a, (size_t)cfg->max_msgs * sizeof(*v->msgs), CACHELINE);
	v->reps = arena_alloc(a, (size_t)cfg->max_reports * sizeof(*v->reps), CACHELINE);
	v->takes = arena_alloc(a, (size_t)cfg->max_takes * sizeof(*v->takes), CACHELINE);
	v->ref_mask = (uint32_t)(ref_slots(cfg) - 1);
	v->ref_idx = arena_alloc(a, ((size_t)v->ref_mask + 1) * sizeof(*v->ref_idx), CACHELINE);
	v->nsyms = sym_slots(cfg);
	v->syms = arena_alloc(a, ((size_t)v->nsyms + 1) * sizeof(*v->syms), CACHELINE);
	if (!v->orders || !v->scratch || !v->msgs || !v->reps || !v->takes || !v->syms ||
	    !v->ref_idx)
		return -ENOMEM;
	memset(v->ref_idx, 0xff, ((size_t)v->ref_mask + 1) * sizeof(*v->ref_idx)); /* BOOK_NIL */
	for (uint32_t i = 0; i < cfg->max_orders; i++)
		v->orders[i].next = i + 1 < cfg->max_orders ? i + 1 : BOOK_NIL;
	v->order_free = 0;
	/* (Slot 0 stays unused: sym_slot's 0 means none.) */
	memset(v->syms, 0, ((size_t)v->nsyms + 1) * sizeof(*v->syms));
	for (uint32_t i = 1; i <= v->nsyms; i++)
		v->syms[i].next_free = i < v->nsyms ? i + 1 : BOOK_NIL;
	v->sym_free = 1;
	v->live_head = v->live_tail = BOOK_NIL;
	/* Two streams, so ack draws do not shift with the number of entries. */
	v->rng_entry.s = cfg->seed ^ UINT64_C(0x656e747279000001);
	v->rng_ack.s = cfg->seed ^ UINT64_C(0x61636b0000000002);
	return 0;
}

void venue_fini(struct venue *v)
{
	if (v)
		memset(v, 0, sizeof(*v));
}

/* ---- small helpers ---------------------------------------------------- */

static inline int side_idx(uint8_t side)
{
	return side == 'B' ? BOOK_BID : BOOK_ASK;
}

static inline uint8_t side_opp(uint8_t side)
{
	return side == 'B' ? 'S' : 'B';
}

/* Is price a better than b for an order on `side`? */
static inline bool px_better(uint8_t side, uint32_t a, uint32_t b)
{
	return side == 'B' ? a > b : a < b;
}

/* Does a recorded order at rec_px on the opposite side cross our limit? */
static inline bool px_crosses(uint8_t our_side, uint32_t our_px, uint32_t rec_px)
{
	return our_side == 'B' ? rec_px <= our_px : rec_px >= our_px;
}

static inline uint32_t min32(uint64_t a, uint64_t b)
{
	return (uint32_t)(a < b ? a : b);
}

/* ---- reports ---------------------------------------------------------- */

/* Queue a report made at t_venue_ns, delivered after the ack latency and
 * never before an earlier report (one in-order session). */
static void report(struct venue *v, const struct venue_report *r, uint64_t t_venue_ns,
		   bool local)
{
	struct venue_report *slot;
	uint64_t t = t_venue_ns;

	if (!local)
		t += venue_lat_draw(&v->cfg.ack, &v->rng_ack);
	if (t < v->last_deliver_ns)
		t = v->last_deliver_ns;
	if (UNLIKELY(v->rep_n == v->cfg.max_reports)) {
		v->cnt.reports_lost++;
		return;
	}
	v->last_deliver_ns = t;
	slot = &v->reps[(v->rep_head + v->rep_n) % v->cfg.max_reports];
	v->rep_n++;
	*slot = *r;
	slot->t_ns = t;
	slot->t_venue_ns = t_venue_ns;
	slot->seq = ++v->rep_seq;
}

static void report_order(struct venue *v, const struct venue_order *o, uint8_t kind,
			 uint32_t qty, uint8_t reason, uint32_t orig, uint64_t t)
{
	struct venue_report r;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.user_ref = o->user_ref;
	r.orig_user_ref = orig;
	r.px = o->px;
	r.qty = qty;
	r.leaves = o->leaves;
	r.locate = o->locate;
	r.side = o->side;
	r.reason = reason;
	report(v, &r, t, false);
}

static void reject(struct venue *v, uint32_t user_ref, uint32_t orig, uint16_t locate,
		   uint8_t side, uint32_t px, uint8_t reason, uint64_t t, bool local)
{
	struct venue_report r;

	memset(&r, 0, sizeof(r));
	r.kind = VENUE_REJECTED;
	r.user_ref = user_ref;
	r.orig_user_ref = orig;
	r.px = px;
	r.locate = locate;
	r.side = side;
	r.reason = reason;
	v->cnt.rejects[reason]++;
	report(v, &r, t, local);
}

/* ---- our orders ------------------------------------------------------- */

/* Home slot of a token in the index (the high bits of a multiplicative
 * hash: tokens often step by a constant). */
static inline uint32_t ref_home(const struct venue *v, uint32_t user_ref)
{
	return (uint32_t)(((uint64_t)user_ref * UINT64_C(0x9e3779b97f4a7c15)) >> 32) & v->ref_mask;
}

/* Tokens are unique among live orders (entry and replace refuse a live
 * one), so the index answers what a walk of the live list would. */
static struct venue_order *order_find(const struct venue *v, uint32_t user_ref)
{
	for (uint32_t i = ref_home(v, user_ref); v->ref_idx[i] != BOOK_NIL;
	     i = (i + 1) & v->ref_mask)
		if (v->orders[v->ref_idx[i]].user_ref == user_ref)
			return &v->orders[v->ref_idx[i]];
	return NULL;
}

/* Index the live order o under its token (linear probing). */
static void ref_insert(struct venue *v, const struct venue_order *o)
{
	uint32_t i = ref_home(v, o->user_ref);

	while (v->ref_idx[i] != BOOK_NIL)
		i = (i + 1) & v->ref_mask;
	v->ref_idx[i] = (uint32_t)(o - v->orders);
}

/* Drop o (indexed under its current token): the entries after it in the
 * probe run move back where their home allows, so no tombstones. */
static void ref_remove(struct venue *v, const struct venue_order *o)
{
	uint32_t m = v->ref_mask, idx = (uint32_t)(o - v->orders), i = ref_home(v, o->user_ref);

	while (v->ref_idx[i] != idx)
		i = (i + 1) & m;
	for (uint32_t k = (i + 1) & m; v->ref_idx[k] != BOOK_NIL; k = (k + 1) & m) {
		uint32_t h = ref_home(v, v->orders[v->ref_idx[k]].user_ref);

		if (((k - h) & m) >= ((k - i) & m)) {
			v->ref_idx[i] = v->ref_idx[k];
			i = k;
		}
	}
	v->ref_idx[i] = BOOK_NIL;
}

const struct venue_order *venue_order_find(const struct venue *v, uint32_t user_ref)
{
	return order_find(v, user_ref);
}

static inline uint32_t order_idx(const struct venue *v, const struct venue_order *o)
{
	return (uint32_t)(o - v->orders);
}

/* ---- symbols where we have orders or takes --------------------------- */

/* The symbol's slot, or NULL when we have nothing there. */
static inline struct venue_sym *sym_at(const struct venue *v, uint16_t locate)
{
	uint32_t k = v->sym_slot[locate];

	return k ? &v->syms[k] : NULL;
}

/* First of our live orders on the symbol (time priority), or BOOK_NIL. */
static inline uint32_t sym_head(const struct venue *v, uint16_t locate)
{
	const struct venue_sym *sy = sym_at(v, locate);

	return sy ? sy->head : BOOK_NIL;
}

/* A side with no order of ours: ranges no price is inside (venue.h). */
static void side_sum_empty(struct venue_side_sum *ss)
{
	ss->lo = UINT32_MAX;
	ss->hi = 0;
	ss->mark_hi = 0;
}

/* One more order or take on the symbol: its slot, taken from the pool on
 * first use (never short: see sym_slots). */
static struct venue_sym *sym_hold(struct venue *v, uint16_t locate)
{
	struct venue_sym *sy = sym_at(v, locate);

	if (!sy) {
		uint32_t k = v->sym_free;

		sy = &v->syms[k];
		v->sym_free = sy->next_free;
		memset(sy, 0, sizeof(*sy));
		side_sum_empty(&sy->side[BOOK_BID]);
		side_sum_empty(&sy->side[BOOK_ASK]);
		sy->head = sy->tail = BOOK_NIL;
		sy->next_free = BOOK_NIL;
		v->sym_slot[locate] = (uint16_t)k;
	}
	sy->busy++;
	return sy;
}

/* One order or take fewer: the slot goes back with the last. */
static void sym_release(struct venue *v, uint16_t locate)
{
	struct venue_sym *sy = sym_at(v, locate);

	if (--sy->busy)
		return;
	sy->next_free = v->sym_free;
	v->sym_free = (uint32_t)(sy - v->syms);
	v->sym_slot[locate] = 0;
}

/* Recompute a side's price range, highest mark and orders with shares
 * ahead from the symbol's list (an order left: the range can only shrink;
 * none left there: the empty side). */
static void sym_side_sum(struct venue *v, struct venue_sym *sy, uint8_t side)
{
	struct venue_side_sum *ss = &sy->side[side_idx(side)];

	side_sum_empty(ss);
	ss->nahead = 0;
	for (uint32_t i = sy->head; i != BOOK_NIL; i = v->orders[i].snext) {
		const struct venue_order *o = &v->orders[i];

		if (o->side != side)
			continue;
		ss->nahead += o->ahead != 0;
		if (o->px < ss->lo)
			ss->lo = o->px;
		if (o->px > ss->hi)
			ss->hi = o->px;
		if (o->mark > ss->mark_hi)
			ss->mark_hi = o->mark;
	}
}

static void live_unlink(struct venue *v, struct venue_order *o)
{
	struct venue_sym *sy = sym_at(v, o->locate);

	ref_remove(v, o);
	if (o->prev != BOOK_NIL)
		v->orders[o->prev].next = o->next;
	else
		v->live_head = o->next;
	if (o->next != BOOK_NIL)
		v->orders[o->next].prev = o->prev;
	else
		v->live_tail = o->prev;
	v->nlive--;
	if (o->sprev != BOOK_NIL)
		v->orders[o->sprev].snext = o->snext;
	else
		sy->head = o->snext;
	if (o->snext != BOOK_NIL)
		v->orders[o->snext].sprev = o->sprev;
	else
		sy->tail = o->sprev;
	sym_side_sum(v, sy, o->side);
	sym_release(v, o->locate);
}

static void order_free(struct venue *v, struct venue_order *o)
{
	o->leaves = 0;
	o->prev = BOOK_NIL;
	o->next = v->order_free;
	v->order_free = order_idx(v, o);
}

/* Join the back of the order's level: everything the recorded book shows
 * there now is ahead of it, and its mark is the highest reference seen, or
 * at that level, whichever is higher. */
static void live_join(struct venue *v, struct venue_order *o)
{
	const struct book_level *l =
		book_level_at(v->books, o->locate, (enum book_side)side_idx(o->side), o->px);
	uint64_t mark = v->max_ref;
	uint32_t i = order_idx(v, o);
	struct venue_side_sum *ss;
	struct venue_sym *sy;

	o->ahead = 0;
	if (l) {
		o->ahead = l->shares;
		for (const struct book_order *r = book_level_front(v->books, l); r;
		     r = book_order_next(v->books, r))
			if (r->ref > mark)
				mark = r->ref;
	}
	o->mark = mark;
	o->seq = ++v->join_seq;
	o->next = BOOK_NIL;
	o->prev = v->live_tail;
	if (v->live_tail != BOOK_NIL)
		v->orders[v->live_tail].next = i;
	else
		v->live_head = i;
	v->live_tail = i;
	v->nlive++;
	ref_insert(v, o);
	sy = sym_hold(v, o->locate);
	o->snext = BOOK_NIL;
	o->sprev = sy->tail;
	if (sy->tail != BOOK_NIL)
		v->orders[sy->tail].snext = i;
	else
		sy->head = i;
	sy->tail = i;
	/* (An empty side's range and mark give way to the first order's.) */
	ss = &sy->side[side_idx(o->side)];
	ss->nahead += o->ahead != 0;
	if (o->px < ss->lo)
		ss->lo = o->px;
	if (o->px > ss->hi)
		ss->hi = o->px;
	if (mark > ss->mark_hi)
		ss->mark_hi = mark;
}

/* Lower o's recorded shares ahead to `to` (<= o->ahead), keeping the count
 * of its side's orders with shares ahead (venue_md_touches reads it). */
static inline void ahead_lower(struct venue_sym *sy, struct venue_order *o, uint64_t to)
{
	if (o->ahead && !to)
		sy->side[side_idx(o->side)].nahead--;
	o->ahead = to;
}

/* ---- liquidity we took ------------------------------------------------ */

/* Take slots with shares on (locate, side). */
static inline uint32_t takes_on(const struct venue *v, uint16_t locate, uint8_t side)
{
	const struct venue_sym *sy = sym_at(v, locate);

	return sy ? sy->side[side_idx(side)].ntakes : 0;
}

static struct venue_take *take_find(struct venue *v, uint16_t locate, uint8_t side,
				    uint32_t px)
{
	if (!v->takes_used || !takes_on(v, locate, side))
		return NULL;
	for (uint32_t i = 0; i < v->takes_hi; i++) {
		struct venue_take *t = &v->takes[i];

		if (t->shares && t->locate == locate && t->side == side && t->px == px)
			return t;
	}
	return NULL;
}

static void take_set(struct venue *v, struct venue_take *t, uint32_t shares)
{
	if (t->shares && !shares) {
		v->takes_used--;
		sym_at(v, t->locate)->side[side_idx(t->side)].ntakes--;
		sym_release(v, t->locate);
	}
	t->shares = shares;
	while (v->takes_hi && !v->takes[v->takes_hi - 1].shares)
		v->takes_hi--;
}

/* Add x shares taken at a recorded level. false when no slot is free. */
static bool take_add(struct venue *v, uint16_t locate, uint8_t side, uint32_t px, uint32_t x)
{
	struct venue_take *t;

	if (!x)
		return true;
	t = take_find(v, locate, side, px);

	if (!t) {
		for (uint32_t i = 0; i < v->cfg.max_takes && !t; i++)
			if (!v->takes[i].shares)
				t = &v->takes[i];
		if (!t) {
			v->cnt.takes_full++;
			return false;
		}
		t->locate = locate;
		t->side = side;
		t->px = px;
		t->shares = 0;
		v->takes_used++;
		sym_hold(v, locate)->side[side_idx(side)].ntakes++;
		if ((uint32_t)(t - v->takes) + 1 > v->takes_hi)
			v->takes_hi = (uint32_t)(t - v->takes) + 1;
	}
	t->shares += x;
	return true;
}

/* Liquidity we took can never exceed what a level still shows: cap every
 * take on (locate, side) after the recorded book changed there. */
static void takes_cap(struct venue *v, uint16_t locate, uint8_t side)
{
	if (!v->takes_used || !takes_on(v, locate, side))
		return;
	for (uint32_t i = 0; i < v->takes_hi; i++) {
		struct venue_take *t = &v->takes[i];
		const struct book_level *l;

		if (!t->shares || t->locate != locate || t->side != side)
			continue;
		l = book_level_at(v->books, locate, (enum book_side)side_idx(side), t->px);
		take_set(v, t, min32(t->shares, l ? l->shares : 0));
	}
}

/* Shares a recorded level shows that we have not taken yet. */
static uint64_t level_avail(struct venue *v, uint16_t locate, uint8_t side,
			    const struct book_level *l)
{
	const struct venue_take *t = take_find(v, locate, side, l->px);
	uint64_t taken = t ? t->shares : 0;

	return l->shares > taken ? l->shares - taken : 0;
}

/* ---- matching on arrival ---------------------------------------------- */

/* Walk one side's levels best first. The ladder: chunks chained from the
 * best, keys ascending inside each (best last). */
struct lvl_it {
	const struct book_set *bs;
	uint32_t ch;  /* current chunk; BOOK_NIL at the end */
	uint32_t k;   /* entries of it not yet visited */
};

static const struct book_level *lvl_next(struct lvl_it *it)
{
	while (it->ch != BOOK_NIL) {
		const struct book_chunk *c = &it->bs->chunks[it->ch];

		if (it->k > 0)
			return &it->bs->levels[c->lvl[--it->k]];
		it->ch = c->worse;
		if (it->ch != BOOK_NIL)
			it->k = it->bs->chunks[it->ch].n;
	}
	return NULL;
}

static const struct book_level *lvl_first(struct lvl_it *it, const struct book_set *bs,
					  const struct book_sym *s, uint8_t side)
{
	it->bs = bs;
	it->ch = s->best_chunk[side_idx(side)];
	it->k = it->ch != BOOK_NIL ? bs->chunks[it->ch].n : 0;
	return lvl_next(it);
}

/* Would an order at px on side take shown liquidity we have not taken? */
static bool would_cross(struct venue *v, const struct book_sym *s, uint16_t locate,
			uint8_t side, uint32_t px)
{
	uint8_t opp = side_opp(side);
	struct lvl_it it;

	for (const struct book_level *l = lvl_first(&it, v->books, s, opp);
	     l && px_crosses(side, px, l->px); l = lvl_next(&it))
		if (level_avail(v, locate, opp, l))
			return true;
	return false;
}

static void execute(struct venue *v, struct venue_order *o, uint32_t px, uint32_t x,
		    uint8_t liq, uint64_t t)
{
	struct venue_report r;
	int64_t fee = liq == 'R' ? (int64_t)x * v->cfg.taker_fee_e4
				 : -(int64_t)x * v->cfg.maker_rebate_e4;

	o->leaves -= x;
	memset(&r, 0, sizeof(r));
	r.kind = VENUE_EXECUTED;
	r.user_ref = o->user_ref;
	r.px = px;
	r.qty = x;
	r.leaves = o->leaves;
	r.locate = o->locate;
	r.side = o->side;
	r.liquidity = liq;
	r.match = ++v->match_seq;
	r.fee_e4 = (int32_t)fee; /* |x| <= VENUE_QTY_CAP, |rate| <= 1000 */
	v->cnt.fees_e4 += fee;
	if (liq == 'R') {
		v->cnt.fills_taker++;
		v->cnt.shares_taker += x;
	} else {
		v->cnt.fills_maker++;
		v->cnt.shares_maker += x;
	}
	report(v, &r, t, false);
}

/* Take shown liquidity through o's limit, level by level at recorded
 * prices. false when the takes table filled up before o was done. */
static bool take_liquidity(struct venue *v, const struct book_sym *s, struct venue_order *o,
			   uint64_t t)
{
	uint8_t opp = side_opp(o->side);
	struct lvl_it it;

	for (const struct book_level *l = lvl_first(&it, v->books, s, opp);
	     l && px_crosses(o->side, o->px, l->px); l = lvl_next(&it)) {
		uint64_t avail = level_avail(v, o->locate, opp, l);
		uint32_t x;

		if (!avail)
			continue;
		x = min32(avail, o->leaves);
		if (!take_add(v, o->locate, opp, l->px, x))
			return false;
		execute(v, o, l->px, x, 'R', t);
		if (!o->leaves)
			break;
	}
	return true;
}

/* After arrival: take (unless post-only), then cancel an IOC rest, or
 * rest at the back of the level. */
static void match_or_rest(struct venue *v, const struct book_sym *s, struct venue_order *o,
			  uint64_t t)
{
	bool ok = true;

	if (!(o->flags & VENUE_F_POST_ONLY))
		ok = take_liquidity(v, s, o, t);
	if (o->leaves && (!ok || (o->flags & VENUE_F_IOC))) {
		uint8_t why = ok ? VENUE_CXL_IOC : VENUE_CXL_TAKES_FULL;
		uint32_t rest = o->leaves;

		o->leaves = 0;
		v->cnt.cancels[why]++;
		report_order(v, o, VENUE_CANCELED, rest, why, 0, t);
	}
	if (o->leaves)
		live_join(v, o);
	else
		order_free(v, o);
}

/* Refusal for an order on this symbol, or 0. */
static uint8_t sym_refusal(const struct book_sym *s)
{
	if (!s)
		return VENUE_REJ_SYMBOL;
	if (book_sym_halted(s) || (s->flags & BOOK_SYM_STALE))
		return VENUE_REJ_HALTED;
	return 0;
}

static bool qty_px_ok(const struct venue *v, uint32_t qty, uint32_t px)
{
	return qty && qty <= v->cfg.max_qty && px;
}

static void on_enter(struct venue *v, const struct venue_enter *m, uint64_t t)
{
	const struct book_sym *s = book_sym_get(v->books, m->locate);
	struct venue_order *o;
	uint8_t why = 0;

	if ((m->side != 'B' && m->side != 'S') || !qty_px_ok(v, m->qty, m->px))
		why = VENUE_REJ_INVALID;
	else if ((why = sym_refusal(s)) != 0)
		;
	else if (venue_order_find(v, m->user_ref))
		why = VENUE_REJ_DUP_REF;
	else if ((m->flags & VENUE_F_POST_ONLY) &&
		 would_cross(v, s, m->locate, m->side, m->px))
		why = VENUE_REJ_POST_ONLY;
	else if (v->order_free == BOOK_NIL)
		why = VENUE_REJ_ORDERS_FULL;
	if (why) {
		reject(v, m->user_ref, 0, m->locate, m->side, m->px, why, t, false);
		return;
	}
	o = &v->orders[v->order_free];
	v->order_free = o->next;
	o->user_ref = m->user_ref;
	o->locate = m->locate;
	o->side = m->side;
	o->px = m->px;
	o->leaves = m->qty;
	o->flags = m->flags & (VENUE_F_POST_ONLY | VENUE_F_IOC);
	v->cnt.accepted++;
	report_order(v, o, VENUE_ACCEPTED, m->qty, 0, 0, t);
	match_or_rest(v, s, o, t);
}

static void on_replace(struct venue *v, const struct venue_replace *m, uint64_t t)
{
	struct venue_order *o = order_find(v, m->orig_user_ref);
	const struct book_sym *s;
	uint8_t why = 0;
	bool keep;

	if (!o) {
		reject(v, m->user_ref, m->orig_user_ref, 0, 0, m->px, VENUE_REJ_UNKNOWN, t, false);
		return;
	}
	s = book_sym_get(v->books, o->locate);
	if (!qty_px_ok(v, m->qty, m->px))
		why = VENUE_REJ_INVALID;
	else if ((why = sym_refusal(s)) != 0)
		;
	else if (m->user_ref != m->orig_user_ref && venue_order_find(v, m->user_ref))
		why = VENUE_REJ_DUP_REF;
	else if ((o->flags & VENUE_F_POST_ONLY) && m->px != o->px &&
		 would_cross(v, s, o->locate, o->side, m->px))
		why = VENUE_REJ_POST_ONLY;
	if (why) {
		reject(v, m->user_ref, m->orig_user_ref, o->locate, o->side, m->px, why, t, false);
		return;
	}
	/* Same price and no more shares keeps the queue position. Out of
	 * the token index (and the live list unless kept) under the old
	 * token, before it changes. */
	keep = m->px == o->px && m->qty <= o->leaves;
	if (keep)
		ref_remove(v, o);
	else
		live_unlink(v, o);
	o->user_ref = m->user_ref;
	o->px = m->px;
	o->leaves = m->qty;
	v->cnt.replaced++;
	report_order(v, o, VENUE_REPLACED, m->qty, 0, m->orig_user_ref, t);
	if (keep) {
		ref_insert(v, o);
		return;
	}
	match_or_rest(v, s, o, t);
}

static void on_cancel(struct venue *v, const struct venue_cancel *m, uint64_t t)
{
	struct venue_order *o = order_find(v, m->user_ref);
	uint32_t dec;

	if (!o) {
		reject(v, m->user_ref, 0, 0, 0, 0, VENUE_REJ_UNKNOWN, t, false);
		return;
	}
	if (m->qty >= o->leaves) {
		v->cnt.cancel_noop++;
		return;
	}
	dec = o->leaves - m->qty;
	o->leaves = m->qty;
	v->cnt.cancels[VENUE_CXL_USER]++;
	report_order(v, o, VENUE_CANCELED, dec, VENUE_CXL_USER, 0, t);
	if (!o->leaves) {
		live_unlink(v, o);
		order_free(v, o);
	}
}

/* ---- messages in flight ----------------------------------------------- */

static int submit(struct venue *v, const struct venue_msg *m, uint64_t t_send_ns,
		  uint32_t user_ref, uint32_t orig)
{
	struct venue_msg *slot;
	uint64_t t;

	v->cnt.msgs_in++;
	if (UNLIKELY(v->msg_n == v->cfg.max_msgs)) {
		reject(v, user_ref, orig, m->kind == 'O' ? m->u.enter.locate : 0,
		       m->kind == 'O' ? m->u.enter.side : 0, 0, VENUE_REJ_MSGS_FULL, t_send_ns,
		       true);
		return -ENOBUFS;
	}
	t = t_send_ns + venue_lat_draw(&v->cfg.entry, &v->rng_entry);
	if (t < v->last_arrive_ns)
		t = v->last_arrive_ns;
	v->last_arrive_ns = t;
	slot = &v->msgs[(v->msg_head + v->msg_n) % v->cfg.max_msgs];
	v->msg_n++;
	*slot = *m;
	slot->t_arrive_ns = t;
	return 0;
}

int venue_submit_enter(struct venue *v, const struct venue_enter *m, uint64_t t_send_ns)
{
	struct venue_msg x = { .kind = 'O', .u.enter = *m };

	return submit(v, &x, t_send_ns, m->user_ref, 0);
}

int venue_submit_replace(struct venue *v, const struct venue_replace *m, uint64_t t_send_ns)
{
	struct venue_msg x = { .kind = 'U', .u.replace = *m };

	return submit(v, &x, t_send_ns, m->user_ref, m->orig_user_ref);
}

int venue_submit_cancel(struct venue *v, const struct venue_cancel *m, uint64_t t_send_ns)
{
	struct venue_msg x = { .kind = 'X', .u.cancel = *m };

	return submit(v, &x, t_send_ns, m->user_ref, 0);
}

void venue_advance(struct venue *v, uint64_t now_ns)
{
	while (v->msg_n && v->msgs[v->msg_head].t_arrive_ns <= now_ns) {
		const struct venue_msg *m = &v->msgs[v->msg_head];
		uint64_t t = m->t_arrive_ns;

		if (m->kind == 'O')
			on_enter(v, &m->u.enter, t);
		else if (m->kind == 'U')
			on_replace(v, &m->u.replace, t);
		else
			on_cancel(v, &m->u.cancel, t);
		v->msg_head = (v->msg_head + 1) % v->cfg.max_msgs;
		v->msg_n--;
	}
}

uint32_t venue_poll(struct venue *v, uint64_t now_ns, struct venue_report *out, uint32_t max)
{
	uint32_t n = 0;

	while (n < max && v->rep_n && v->reps[v->rep_head].t_ns <= now_ns) {
		out[n++] = v->reps[v->rep_head];
		v->rep_head = (v->rep_head + 1) % v->cfg.max_reports;
		v->rep_n--;
	}
	return n;
}

/* ---- market data ------------------------------------------------------ */

const uint8_t venue_new_ref_type[256] = { ['A'] = 1, ['F'] = 1, ['U'] = 1 };

/* Collect into scratch our live orders on (locate, side) whose limit is
 * better than `lim` or equal to `at_px`, in price priority (better first)
 * then time priority (the symbol's list). Returns the count. */
static uint32_t collect(struct venue *v, uint16_t locate, uint8_t side, uint32_t lim,
			uint32_t at_px)
{
	uint32_t n = 0;

	for (uint32_t i = sym_head(v, locate); i != BOOK_NIL; i = v->orders[i].snext) {
		const struct venue_order *o = &v->orders[i];
		uint32_t j;

		if (o->locate != locate || o->side != side)
			continue;
		if (!px_better(side, o->px, lim) && o->px != at_px)
			continue;
		/* Insertion sort by price (stable: the list is time order). */
		j = n++;

		while (j > 0 && px_better(side, o->px, v->orders[v->scratch[j - 1]].px)) {
			v->scratch[j] = v->scratch[j - 1];
			j--;
		}
		v->scratch[j] = i;
	}
	return n;
}

/* Can collect(v, locate, side, lim, at_px) find an order? false only when
 * the symbol's summary of that side rules every one out (none better than
 * lim, none at at_px; an empty side's range holds no price; an invalid
 * side has no order to find whatever the summary says). */
static bool collect_may(const struct venue *v, uint16_t locate, uint8_t side, uint32_t lim,
			uint32_t at_px)
{
	const struct venue_sym *sy = sym_at(v, locate);
	const struct venue_side_sum *ss;

	if (!sy)
		return false;
	ss = &sy->side[side_idx(side)];
	return (side == 'B' ? ss->hi > lim : ss->lo < lim) || (at_px >= ss->lo && at_px <= ss->hi);
}

/* Fill the collected orders from a budget of recorded shares. Queue rules
 * apply at queue_px on the same side (recorded shares ahead first). */
static uint32_t fill_from(struct venue *v, uint32_t n, uint32_t budget, bool queue,
			  uint32_t queue_px, uint64_t *counter, uint64_t t)
{
	for (uint32_t k = 0; k < n && budget; k++) {
		struct venue_order *o = &v->orders[v->scratch[k]];
		uint32_t x;

		if (queue && o->px == queue_px) {
			x = budget > o->ahead ? min32(budget - o->ahead, o->leaves) : 0;
			if (x)
				v->cnt.fills_queue++;
		} else {
			x = min32(budget, o->leaves);
			(*counter)++;
		}
		if (!x)
			continue;
		budget -= x;
		execute(v, o, o->px, x, 'A', t);
	}
	/* Free the filled ones only now: scratch indexes the live list. */
	for (uint32_t k = 0; k < n; k++) {
		struct venue_order *o = &v->orders[v->scratch[k]];

		if (!o->leaves) {
			live_unlink(v, o);
			order_free(v, o);
		}
	}
	return budget;
}

/* Recount the recorded shares ahead of each of our orders on (locate,
 * side) from the book: orders at its level with a reference <= its mark.
 * Never raises ahead (executions may already have consumed it). */
static void recount(struct venue *v, uint16_t locate, uint8_t side)
{
	struct venue_sym *sy = sym_at(v, locate);

	if (!sy)
		return;
	for (uint32_t i = sy->head; i != BOOK_NIL; i = v->orders[i].snext) {
		struct venue_order *o = &v->orders[i];
		const struct book_level *l;
		uint64_t sum = 0;

		if (o->side != side || !o->ahead)
			continue; /* ahead 0: min(0, sum) */
		v->cnt.walks++;
		l = book_level_at(v->books, locate, (enum book_side)side_idx(side), o->px);
		for (const struct book_order *r = l ? book_level_front(v->books, l) : NULL; r;
		     r = book_order_next(v->books, r))
			if (r->ref <= o->mark)
				sum += r->shares;
		if (sum < o->ahead)
			ahead_lower(sy, o, sum);
	}
}

/* A/F/U: a recorded order appeared at px on side. */
static void md_add(struct venue *v, const struct md_event *ev, bool can_fill, uint64_t t)
{
	const struct venue_sym *sy = sym_at(v, ev->locate);
	const struct venue_side_sum *us, *op;
	uint8_t opp = side_opp(ev->side);
	bool all = v->cfg.no_prefilter;
	uint32_t n, left;

	/* (A U's recount and take cap may have released the symbol.) The
	 * symbol's summary skips the walks that cannot find an order: a U
	 * comes here for any order of ours with shares ahead on its side, or
	 * a take there (venue_md_touches), most of them not at its price nor
	 * crossed by it. An empty side's range holds no price (venue.h). */
	if (!sy)
		return;
	us = &sy->side[side_idx(ev->side)];
	op = &sy->side[side_idx(opp)];
	if (all || (ev->px >= us->lo && ev->px <= us->hi && ev->order_ref <= us->mark_hi)) {
		for (uint32_t i = sy->head; i != BOOK_NIL; i = v->orders[i].snext) {
			const struct venue_order *o = &v->orders[i];

			if (o->side == ev->side && o->px == ev->px && ev->order_ref <= o->mark)
				v->cnt.ref_undecided++;
		}
	}
	if (!can_fill)
		return;
	/* Our resting orders it crosses would have traded with it first. */
	if (!all && !(opp == 'B' ? op->hi >= ev->px : op->lo <= ev->px))
		return;
	n = collect(v, ev->locate, opp, ev->px, ev->px);
	if (!n)
		return;
	left = fill_from(v, n, ev->qty, false, 0, &v->cnt.fills_cross, t);
	if (left < ev->qty)
		take_add(v, ev->locate, ev->side, ev->px, ev->qty - left);
}

/* X/D: shares left the book at px; ahead of us if the reference is old. */
static void md_remove(struct venue *v, const struct md_event *ev)
{
	struct venue_sym *sy = sym_at(v, ev->locate);

	for (uint32_t i = sy ? sy->head : BOOK_NIL; i != BOOK_NIL; i = v->orders[i].snext) {
		struct venue_order *o = &v->orders[i];

		if (o->side == ev->side && o->px == ev->px && ev->order_ref <= o->mark)
			ahead_lower(sy, o, o->ahead - min32(o->ahead, ev->qty));
	}
	takes_cap(v, ev->locate, ev->side);
}

/* E/C/P: qty traded against a resting order on ev->side resting at rest_px
 * at the trade price ev->px. hidden: P (no displayed level, no takes). */
static void md_trade(struct venue *v, const struct md_event *ev, uint32_t rest_px,
		     bool hidden, bool can_fill, uint64_t t)
{
	uint32_t budget = ev->qty, n;
	uint8_t opp = side_opp(ev->side);

	if (!hidden) {
		struct venue_take *tk = take_find(v, ev->locate, ev->side, rest_px);

		if (tk) {
			uint32_t a = min32(tk->shares, budget);

			take_set(v, tk, tk->shares - a);
			budget -= a;
			v->cnt.absorbed += a;
		}
	}
	if (can_fill && budget) {
		bool all = v->cfg.no_prefilter;

		/* Same side: better limits were traded through; at the level,
		 * the queue ahead goes first (for P, hidden orders trade after
		 * displayed ones, so only with nothing recorded ahead). Each
		 * side's walk only when its summary admits an order. */
		if (all || collect_may(v, ev->locate, ev->side, ev->px, rest_px)) {
			n = collect(v, ev->locate, ev->side, ev->px, rest_px);
			budget = fill_from(v, n, budget, true, rest_px, &v->cnt.fills_through, t);
		}
		/* Opposite side: the recorded trade went at or through our limit. */
		if (all || collect_may(v, ev->locate, opp, ev->px, ev->px)) {
			n = collect(v, ev->locate, opp, ev->px, ev->px);
			fill_from(v, n, budget, false, 0, &v->cnt.fills_cross, t);
		}
	}
	if (!hidden) {
		/* Executions consume the front of the level: ahead first.
		 * (The fills may have released the symbol.) */
		struct venue_sym *sy = sym_at(v, ev->locate);

		for (uint32_t i = sy ? sy->head : BOOK_NIL; i != BOOK_NIL;
		     i = v->orders[i].snext) {
			struct venue_order *o = &v->orders[i];

			if (o->side == ev->side && o->px == rest_px)
				ahead_lower(sy, o, o->ahead - min32(o->ahead, ev->qty));
		}
		takes_cap(v, ev->locate, ev->side);
	}
}

/* The full work of an event that may touch us (venue_md_touches said so,
 * or cfg.no_prefilter). Out of line: the filtered path stays inline. */
void venue_on_md_held(struct venue *v, const struct md_event *ev, uint64_t now_ns)
{
	const struct book_sym *s;
	bool can_fill;
	uint32_t rest_px;

	s = book_sym_get(v->books, ev->locate);
	if (!s)
		return;
	/* No fills while the symbol is halted or its book is not to be trusted. */
	can_fill = !book_sym_halted(s) && !(s->flags & BOOK_SYM_STALE) &&
		   !(ev->flags & MD_F_STALE);
	switch (ev->msg_type) {
	case 'A':
	case 'F':
		md_add(v, ev, can_fill, now_ns);
		break;
	case 'U':
		/* The replaced order left an unknown level: recount from the book. */
		recount(v, ev->locate, ev->side);
		takes_cap(v, ev->locate, ev->side);
		md_add(v, ev, can_fill, now_ns);
		break;
	case 'X':
	case 'D':
		md_remove(v, ev);
		break;
	case 'E':
		md_trade(v, ev, ev->px, false, can_fill, now_ns);
		break;
	case 'C': {
		const struct book_order *r = book_order_find(v->books, ev->order_ref);

		if (r) {
			rest_px = r->px;
		} else {
			/* Fully executed: its resting price is gone with it. */
			rest_px = ev->px;
			v->cnt.c_px_unknown++;
		}
		md_trade(v, ev, rest_px, false, can_fill, now_ns);
		if (!r)
			recount(v, ev->locate, ev->side);
		break;
	}
	case 'P':
		if (ev->side == 'B' || ev->side == 'S')
			md_trade(v, ev, ev->px, true, can_fill, now_ns);
		break;
	default:
		break;
	}
}

/* ---- names ------------------------------------------------------------ */

const char *venue_reject_name(int reason)
{
	switch (reason) {
	case VENUE_REJ_POST_ONLY: return "post-only would cross";
	case VENUE_REJ_UNKNOWN: return "unknown order";
	case VENUE_REJ_HALTED: return "halted or stale book";
	case VENUE_REJ_SYMBOL: return "no book for symbol";
	case VENUE_REJ_INVALID: return "invalid order";
	case VENUE_REJ_DUP_REF: return "duplicate order token";
	case VENUE_REJ_ORDERS_FULL: return "order table full";
	case VENUE_REJ_MSGS_FULL: return "message queue full";
	default: return "?";
	}
}

const char *venue_cancel_name(int reason)
{
	switch (reason) {
	case VENUE_CXL_USER: return "user";
	case VENUE_CXL_IOC: return "immediate or cancel";
	case VENUE_CXL_TAKES_FULL: return "take table full";
	default: return "?";
	}
}
