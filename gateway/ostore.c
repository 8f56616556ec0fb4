/* ostore.c - the gateway's order store: slots on a free list, two open-
 * addressing indexes (client token, user reference number) with backward-
 * shift deletion (no tombstones, never rehashed), key and slot side by side
 * so a probe reads one line, a FIFO of retired tokens, and reservations kept
 * in step with every state change. One owner thread. */
#include "gateway/ostore.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hw/compiler.h"

#define ALIGN64(x) (((x) + 63u) & ~(size_t)63u)

struct layout {
	size_t ord, sym, tok, ref, retired, total;
	uint32_t tok_cap, ref_cap;
};

static uint32_t pow2_at_least(uint64_t n)
{
	uint32_t c = 16;

	while (c < n)
		c <<= 1;
	return c;
}

static int cfg_ok(const struct ostore_cfg *cfg)
{
	return cfg && cfg->max_orders >= 1 && cfg->max_orders <= OSTORE_MAX_ORDERS &&
	       cfg->max_locate >= 1 && cfg->max_locate <= 65535 &&
	       cfg->token_history <= OSTORE_MAX_ORDERS;
}

static void layout_of(const struct ostore_cfg *cfg, struct layout *l)
{
	size_t off = 0;

	/* Each slot holds up to two tokens and two refs (a pending replace);
	 * tables stay at most half full. */
	l->tok_cap = pow2_at_least(2 * (2 * (uint64_t)cfg->max_orders + cfg->token_history));
	l->ref_cap = pow2_at_least(4 * (uint64_t)cfg->max_orders);
	l->ord = off;
	off = ALIGN64(off + (size_t)cfg->max_orders * sizeof(struct ostore_order));
	l->sym = off;
	off = ALIGN64(off + ((size_t)cfg->max_locate + 1) * sizeof(struct ostore_sym));
	l->tok = off;
	off = ALIGN64(off + (size_t)l->tok_cap * sizeof(struct ostore_tok_ent));
	l->ref = off;
	off = ALIGN64(off + (size_t)l->ref_cap * sizeof(struct ostore_ref_ent));
	l->retired = off;
	off = ALIGN64(off + (size_t)cfg->token_history * sizeof(uint64_t));
	l->total = off;
}

size_t ostore_memsize(const struct ostore_cfg *cfg)
{
	struct layout l;

	if (!cfg_ok(cfg))
		return 0;
	layout_of(cfg, &l);
	return l.total;
}

int ostore_init(struct ostore *os, const struct ostore_cfg *cfg, void *mem)
{
	struct layout l;
	uint8_t *base;

	if (!os || !cfg_ok(cfg) || ((uintptr_t)mem & 63u))
		return -EINVAL;
	layout_of(cfg, &l);
	memset(os, 0, sizeof(*os));
	if (!mem) {
		mem = aligned_alloc(64, l.total);
		if (!mem)
			return -ENOMEM;
		os->owned = 1;
	}
	base = mem;
	memset(base, 0, l.total);
	os->mem = mem;
	os->cfg = *cfg;
	os->ord = (struct ostore_order *)(void *)(base + l.ord);
	os->sym = (struct ostore_sym *)(void *)(base + l.sym);
	os->tok = (struct ostore_tok_ent *)(void *)(base + l.tok);
	os->ref = (struct ostore_ref_ent *)(void *)(base + l.ref);
	os->retired = (uint64_t *)(void *)(base + l.retired);
	os->tok_mask = l.tok_cap - 1;
	os->ref_mask = l.ref_cap - 1;
	for (uint32_t i = 0; i < cfg->max_orders; i++) {
		os->ord[i].next = i + 1 < cfg->max_orders ? i + 1 : OSTORE_NIL;
		os->ord[i].prev = OSTORE_NIL;
	}
	for (uint32_t s = 0; s <= cfg->max_locate; s++) {
		os->sym[s].head = OSTORE_NIL;
		os->sym[s].best_ask = OSTORE_NO_ASK;
	}
	os->free_head = 0;
	os->next_ref = 1;
	return 0;
}

void ostore_fini(struct ostore *os)
{
	if (!os)
		return;
	if (os->owned)
		free(os->mem);
	memset(os, 0, sizeof(*os));
}

/* ---- indexes ------------------------------------------------------------ */


static void tok_put(struct ostore *os, uint64_t token, uint32_t val)
{
	uint32_t i = ostore_tok_pos(os, token);

	os->tok[i].key = token;
	os->tok[i].slot = val;
}

static void tok_del(struct ostore *os, uint64_t token)
{
	uint32_t m = os->tok_mask, i = ostore_tok_pos(os, token), j = i;

	if (!os->tok[i].key)
		return;
	for (;;) {
		j = (j + 1) & m;
		if (!os->tok[j].key)
			break;
		uint32_t k = ostore_tok_home(os->tok[j].key, m);

		/* Move j back to the hole when the hole lies on j's probe path. */
		if (((i - k) & m) < ((j - k) & m)) {
			os->tok[i] = os->tok[j];
			i = j;
		}
	}
	os->tok[i].key = 0;
}

/* As tok_del, keeping ref_away: refs are handed out in order and
 * direct-mapped, so the entries after a deleted one are mostly the refs
 * that followed it, each at home; with none away from home (ref_away 0)
 * none can move back and the walk to the next empty slot is skipped. */
static void ref_del(struct ostore *os, uint32_t ref)
{
	uint32_t m = os->ref_mask, i = ostore_ref_pos(os, ref), j = i;

	if (!os->ref[i].key)
		return;
	if (i != ostore_ref_home(ref, m))
		os->ref_away--;
	if (os->ref_away == 0) {
		os->ref[i].key = 0;
		return;
	}
	for (;;) {
		j = (j + 1) & m;
		if (!os->ref[j].key)
			break;
		uint32_t k = ostore_ref_home(os->ref[j].key, m);

		if (((i - k) & m) < ((j - k) & m)) {
			/* j moves back to i: home again when i is its home. */
			if (i == k)
				os->ref_away--;
			os->ref[i] = os->ref[j];
			i = j;
		}
	}
	os->ref[i].key = 0;
}

uint32_t ostore_find_ref(const struct ostore *os, uint32_t ref)
{
	uint32_t i;

	if (!ref)
		return OSTORE_NIL;
	i = ostore_ref_pos(os, ref);
	return os->ref[i].key ? os->ref[i].slot : OSTORE_NIL;
}

/* A terminal order's token stays known as used for token_history more
 * retirements; the oldest is forgotten when the FIFO is full. */
static void tok_retire(struct ostore *os, uint64_t token)
{
	uint32_t cap = os->cfg.token_history;

	if (!cap) {
		tok_del(os, token);
		return;
	}
	tok_put(os, token, OSTORE_NIL);
	if (os->ret_n == cap) {
		tok_del(os, os->retired[os->ret_head]);
		os->retired[os->ret_head] = token;
		os->ret_head = os->ret_head + 1 == cap ? 0 : os->ret_head + 1;
	} else {
		uint32_t at = os->ret_head + os->ret_n;

		os->retired[at >= cap ? at - cap : at] = token;
		os->ret_n++;
	}
}

/* ---- reservations and position ----------------------------------------- */

/* ostore_reserve_sync as one call for the venue's events (cold next to
 * the sends, where it is inlined). */
static void reserve(struct ostore *os, struct ostore_order *o)
{
	ostore_reserve_sync(os, o);
}

static uint64_t abs64(int64_t v)
{
	return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

static void position_add(struct ostore *os, struct ostore_sym *s, uint8_t side, uint32_t qty,
			 uint32_t px)
{
	os->pos_ntl -= abs64(s->pos) * s->mark_px;
	s->pos += side == 'B' ? (int64_t)qty : -(int64_t)qty;
	s->mark_px = px;
	os->pos_ntl += abs64(s->pos) * s->mark_px;
}

/* ---- best working prices ------------------------------------------------- */

/* The most aggressive price an open order shows: its own and, while a
 * replace is pending, the replacement's. */
static inline uint32_t order_best(const struct ostore_order *o)
{
	uint32_t px = o->px;

	if (o->state == OSTORE_PENDING_REPLACE) {
		if (o->side == 'B' ? o->new_px > px : o->new_px < px)
			px = o->new_px;
	}
	return px;
}

/* An order of side stopped showing px: when px was the side's best, find
 * the best again over the symbol's open orders (venue-event path). */
static void best_drop(struct ostore *os, uint16_t locate, uint8_t side, uint32_t px)
{
	struct ostore_sym *s = &os->sym[locate];
	uint32_t b = side == 'B' ? 0 : OSTORE_NO_ASK;

	if (px != (side == 'B' ? s->best_bid : s->best_ask))
		return;
	for (uint32_t i = s->head; i != OSTORE_NIL; i = os->ord[i].next) {
		const struct ostore_order *o = &os->ord[i];
		uint32_t p;

		if (o->side != side)
			continue;
		p = order_best(o);
		if (side == 'B' ? p > b : p < b)
			b = p;
	}
	if (side == 'B')
		s->best_bid = b;
	else
		s->best_ask = b;
}

int ostore_has_side(const struct ostore *os, uint16_t locate, uint8_t side)
{
	for (uint32_t i = os->sym[locate].head; i != OSTORE_NIL; i = os->ord[i].next)
		if (os->ord[i].side == side)
			return 1;
	return 0;
}

/* ---- slots ----------------------------------------------------------------- */

static uint32_t slot_of(const struct ostore *os, const struct ostore_order *o)
{
	return (uint32_t)(o - os->ord);
}

/* Close the order in a terminal state: drop its reservation, refs and
 * symbol link, retire its token(s), and put the slot on the free list. */
static void release(struct ostore *os, struct ostore_order *o, uint8_t terminal)
{
	struct ostore_sym *s = &os->sym[o->locate];
	uint32_t slot = slot_of(os, o), shown = order_best(o);
	uint16_t loc = o->locate;
	uint8_t side = o->side;

	o->state = terminal;
	reserve(os, o);
	ref_del(os, o->ref);
	tok_retire(os, o->token);
	if (o->new_ref) {
		ref_del(os, o->new_ref);
		tok_retire(os, o->new_token);
	}
	if (o->prev != OSTORE_NIL)
		os->ord[o->prev].next = o->next;
	else
		s->head = o->next;
	if (o->next != OSTORE_NIL)
		os->ord[o->next].prev = o->prev;
	s->n_open--;
	os->n_open--;
	memset(o, 0, sizeof(*o)); /* ostore_send_new relies on it */
	best_drop(os, loc, side, shown);
	o->state = OSTORE_FREE;
	o->prev = OSTORE_NIL;
	o->next = os->free_head;
	os->free_head = slot;
}

/* Inline: each send calls it once, and a call costs as much as its tests. */
static ALWAYS_INLINE int intent_fields_ok(const struct ostore *os, const struct order_intent *in)
{
	return in->token && in->qty && in->qty <= OSTORE_MAX_QTY && in->px && in->locate &&
	       in->locate <= os->cfg.max_locate && (in->side == 'B' || in->side == 'S');
}

int ostore_send_new_probed(struct ostore *os, const struct order_intent *in,
			   const struct ostore_probe *p, uint64_t now_ns, uint32_t *ref)
{
	if (!intent_fields_ok(os, in))
		return -EINVAL;
	if (p->tok_used)
		return -EEXIST;
	if (os->free_head == OSTORE_NIL)
		return -ENOSPC;
	return ostore_send_new_core(os, in, p, now_ns, ref, 0);
}

int ostore_send_new(struct ostore *os, const struct order_intent *in, uint64_t now_ns,
		    uint32_t *ref)
{
	struct ostore_probe p = { .orig_slot = OSTORE_NIL };

	ostore_probe_token(os, in->token, &p);
	return ostore_send_new_probed(os, in, &p, now_ns, ref);
}

int ostore_send_cancel_probed(struct ostore *os, const struct ostore_probe *p, uint64_t now_ns,
			      uint32_t *ref)
{
	uint32_t slot = p->orig_slot;
	struct ostore_order *o;

	if (slot == OSTORE_NIL)
		return -ENOENT;
	o = &os->ord[slot];
	if (o->state != OSTORE_PENDING_NEW && o->state != OSTORE_LIVE &&
	    o->state != OSTORE_PARTIAL)
		return -EBUSY;
	o->prior = o->state;
	o->state = OSTORE_PENDING_CANCEL;
	o->t_sent_ns = now_ns;
	*ref = o->ref;
	return 0;
}

int ostore_send_cancel(struct ostore *os, uint64_t token, uint64_t now_ns, uint32_t *ref)
{
	struct ostore_probe p = { .orig_slot = ostore_find_token(os, token) };

	return ostore_send_cancel_probed(os, &p, now_ns, ref);
}

int ostore_send_replace_probed(struct ostore *os, const struct order_intent *in,
			       const struct ostore_probe *p, uint64_t now_ns, uint32_t *old_ref,
			       uint32_t *new_ref)
{
	uint32_t slot = p->orig_slot;
	struct ostore_order *o;

	if (slot == OSTORE_NIL)
		return -ENOENT;
	o = &os->ord[slot];
	if (o->state != OSTORE_LIVE && o->state != OSTORE_PARTIAL)
		return -EBUSY;
	if (!intent_fields_ok(os, in) || in->side != o->side || in->locate != o->locate)
		return -EINVAL;
	if (p->tok_used)
		return -EEXIST;
	return ostore_send_replace_core(os, in, p, o, now_ns, old_ref, new_ref, 0);
}

int ostore_send_replace(struct ostore *os, const struct order_intent *in, uint64_t now_ns,
			uint32_t *old_ref, uint32_t *new_ref)
{
	struct ostore_probe p = { .orig_slot = ostore_find_token(os, in->orig_token) };

	ostore_probe_token(os, in->token, &p);
	return ostore_send_replace_probed(os, in, &p, now_ns, old_ref, new_ref);
}

/* ---- venue events ---------------------------------------------------------- */

static void report(struct exec_report *out, const struct ostore_order *o, uint64_t token,
		   uint8_t kind, uint64_t t_ns)
{
	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	out->t_exch_ns = t_ns;
	out->token = token;
	out->px = o->px;
	out->qty = o->qty;
	out->leaves = o->leaves;
	out->locate = o->locate;
	out->kind = kind;
	out->side = o->side;
}

/* The order ref names, or NULL (counted) when unknown. */
static struct ostore_order *by_ref(struct ostore *os, uint32_t ref)
{
	uint32_t slot = ostore_find_ref(os, ref);

	if (slot == OSTORE_NIL) {
		os->cnt.unknown_ref++;
		return NULL;
	}
	return &os->ord[slot];
}

static int bad_event(struct ostore *os)
{
	os->cnt.bad_event++;
	return -EPROTO;
}

/* Working state for an order with the fills it has: LIVE or PARTIAL. */
static uint8_t working_state(const struct ostore_order *o)
{
	return o->cum ? OSTORE_PARTIAL : OSTORE_LIVE;
}

int ostore_on_accepted(struct ostore *os, uint32_t ref, uint64_t t_ns, struct exec_report *out)
{
	struct ostore_order *o = by_ref(os, ref);

	if (!o)
		return -ENOENT;
	if (ref != o->ref)
		return bad_event(os);
	if (o->state == OSTORE_PENDING_NEW)
		o->state = working_state(o);
	else if (o->state == OSTORE_PENDING_CANCEL && o->prior == OSTORE_PENDING_NEW)
		o->prior = working_state(o);
	else
		return bad_event(os);
	report(out, o, o->token, EXEC_ACCEPTED, t_ns);
	return o->state;
}

int ostore_on_replaced(struct ostore *os, uint32_t old_ref, uint32_t new_ref, uint32_t leaves,
		       uint32_t px, uint64_t t_ns, struct exec_report *out)
{
	struct ostore_order *o = by_ref(os, old_ref);
	uint64_t old_token;
	uint32_t shown;
	uint16_t loc;
	uint8_t side;

	if (!o)
		return -ENOENT;
	if (o->state != OSTORE_PENDING_REPLACE || old_ref != o->ref || new_ref != o->new_ref)
		return bad_event(os);
	shown = order_best(o);
	old_token = o->token;
	ref_del(os, o->ref);
	tok_retire(os, old_token);
	o->token = o->new_token;
	o->ref = o->new_ref;
	o->px = px;
	o->qty = leaves;
	o->leaves = leaves;
	o->new_token = 0;
	o->new_ref = 0;
	o->new_px = 0;
	o->new_qty = 0;
	memset(o->match, 0, sizeof(o->match)); /* a new venue order */
	o->n_match = 0;
	o->match_pos = 0;
	report(out, o, o->token, EXEC_REPLACED, t_ns);
	loc = o->locate;
	side = o->side;
	if (!leaves) {
		release(os, o, OSTORE_CANCELED);
		best_drop(os, loc, side, shown);
		return OSTORE_CANCELED;
	}
	o->state = o->prior;
	reserve(os, o);
	ostore_best_add(&os->sym[loc], side, px);
	best_drop(os, loc, side, shown);
	return o->state;
}

int ostore_on_canceled(struct ostore *os, uint32_t ref, uint32_t dec, uint8_t reason,
		       uint64_t t_ns, struct exec_report *out)
{
	struct ostore_order *o = by_ref(os, ref);
	uint32_t done;

	if (!o)
		return -ENOENT;
	if (ref != o->ref)
		return bad_event(os);
	done = dec == 0 || dec >= o->leaves ? o->leaves : dec;
	o->leaves -= done;
	report(out, o, o->token, EXEC_CANCELED, t_ns);
	if (out) {
		out->qty = done;
		out->reason = reason;
	}
	if (!o->leaves) {
		/* A pending replace loses its replacement with the order. */
		release(os, o, OSTORE_CANCELED);
		return OSTORE_CANCELED;
	}
	reserve(os, o);
	return o->state;
}

int ostore_on_executed(struct ostore *os, uint32_t ref, uint32_t qty, uint32_t px, uint64_t match,
		       uint64_t t_ns, struct exec_report *out)
{
	struct ostore_order *o = by_ref(os, ref);
	uint32_t seen;

	if (!o)
		return -ENOENT;
	if (ref != o->ref || !qty)
		return bad_event(os);
	seen = o->n_match < OSTORE_MATCH_MEMORY ? o->n_match : OSTORE_MATCH_MEMORY;
	for (uint32_t i = 0; i < seen; i++) {
		if (o->match[i] == match) {
			os->cnt.dup_fills++;
			return -EALREADY;
		}
	}
	o->match[o->match_pos] = match;
	o->match_pos = (uint8_t)((o->match_pos + 1) % OSTORE_MATCH_MEMORY);
	if (o->n_match < UINT8_MAX)
		o->n_match++;
	os->cnt.fills++;
	if (o->state == OSTORE_PENDING_CANCEL)
		os->cnt.late_fills++;
	if (qty > o->leaves) {
		os->cnt.overfills++;
		o->leaves = 0;
	} else {
		o->leaves -= qty;
	}
	o->cum += qty;
	position_add(os, &os->sym[o->locate], o->side, qty, px);
	report(out, o, o->token, EXEC_FILL, t_ns);
	if (out) {
		out->px = px;
		out->qty = qty;
		out->match = match;
	}
	if (!o->leaves) {
		release(os, o, OSTORE_FILLED);
		return OSTORE_FILLED;
	}
	if (o->state == OSTORE_PENDING_NEW || o->state == OSTORE_LIVE)
		o->state = OSTORE_PARTIAL;
	else if (o->prior == OSTORE_LIVE)
		o->prior = OSTORE_PARTIAL; /* pending cancel/replace of a live order */
	reserve(os, o);
	return o->state;
}

int ostore_on_rejected(struct ostore *os, uint32_t ref, uint8_t reason, uint64_t t_ns,
		       struct exec_report *out)
{
	struct ostore_order *o = by_ref(os, ref);

	if (!o)
		return -ENOENT;
	if (o->state == OSTORE_PENDING_REPLACE && ref == o->new_ref) {
		uint32_t shown = order_best(o);

		report(out, o, o->new_token, EXEC_REJECTED, t_ns);
		if (out) {
			out->px = o->new_px;
			out->qty = o->new_qty;
			out->reason = reason;
		}
		ref_del(os, o->new_ref);
		tok_retire(os, o->new_token);
		o->new_token = 0;
		o->new_ref = 0;
		o->new_px = 0;
		o->new_qty = 0;
		o->state = o->prior;
		reserve(os, o);
		best_drop(os, o->locate, o->side, shown);
		return o->state;
	}
	if (ref != o->ref || !(o->state == OSTORE_PENDING_NEW ||
			       (o->state == OSTORE_PENDING_CANCEL && o->prior == OSTORE_PENDING_NEW)))
		return bad_event(os);
	report(out, o, o->token, EXEC_REJECTED, t_ns);
	if (out)
		out->reason = reason;
	release(os, o, OSTORE_REJECTED);
	return OSTORE_REJECTED;
}

int ostore_on_cancel_rejected(struct ostore *os, uint32_t ref, uint64_t t_ns,
			      struct exec_report *out)
{
	struct ostore_order *o = by_ref(os, ref);

	if (!o)
		return -ENOENT;
	if (ref != o->ref || o->state != OSTORE_PENDING_CANCEL)
		return bad_event(os);
	o->state = o->prior;
	/* exec_kind has no cancel-reject: the order is working again. */
	report(out, o, o->token, EXEC_ACCEPTED, t_ns);
	return o->state;
}

int ostore_on_expired(struct ostore *os, uint32_t ref, uint64_t t_ns, struct exec_report *out)
{
	struct ostore_order *o = by_ref(os, ref);

	if (!o)
		return -ENOENT;
	if (ref != o->ref)
		return bad_event(os);
	report(out, o, o->token, EXEC_CANCELED, t_ns);
	if (out)
		out->qty = o->leaves;
	release(os, o, OSTORE_EXPIRED);
	return OSTORE_EXPIRED;
}

const char *ostore_state_name(int state)
{
	static const char *const names[] = {
		"free", "pending_new", "live", "partial", "pending_cancel",
		"pending_replace", "filled", "canceled", "rejected", "expired",
	};

	if (state < 0 || state >= (int)(sizeof(names) / sizeof(names[0])))
		return "?";
	return names[state];
}
