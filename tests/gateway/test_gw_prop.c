/* test_gw_prop.c - property: no order that breaches a pre-trade limit ever
 * reaches the venue. Seeded random intents (inside and far outside the
 * limits, moving reference prices, cancels, replaces, cancel-alls, kill
 * switch toggles) go through gw; a model venue acks, fills (partly, fully,
 * twice), cancels and rejects through gw_on_wire. Every byte gw writes is
 * decoded and checked against bookkeeping of our own, built only from those
 * decoded messages and the venue's messages. One thread. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/gw.h"
#include "gateway/ouch.h"
#include "gateway/soup.h"
#include "tests/gateway/gw_wire_util.h"

#define PX 1000000u      /* 100.00 USD */
#define NSYM 3           /* locates 1..NSYM have names */
#define MAXLOC 8
#define MAXREF (1u << 16)
#define STEPS 6000
#define TOKSET (1u << 17)
#define RING 64
#define NS_PER_MSG 1000000000ull

static const char *const names[NSYM + 1] = { "", "AAPL    ", "MSFT    ", "IBM     " };

/* Model view of one order (slot = the ref of its Enter). */
enum { M_FREE, M_PN, M_W, M_PC, M_PR };

struct mo {
	uint64_t token, new_token;
	uint32_t ref, new_ref, px, new_px, leaves, new_qty;
	uint16_t loc;
	uint8_t side, st, prior;
	/* venue side */
	uint32_t v_ref, v_px, v_leaves;
	uint8_t v_live;
};

struct model {
	struct gw *g;
	struct gw_cfg cfg;
	struct mo o[MAXREF];
	uint32_t slot_of[MAXREF];         /* ref -> slot */
	uint64_t tokset[TOKSET];          /* tokens seen on the wire */
	int64_t pos[MAXLOC + 1];
	uint32_t mark[MAXLOC + 1];
	uint32_t ref_px[MAXLOC + 1];      /* what we told gw */
	uint32_t last_ref, n_open;
	uint64_t bucket, bucket_ns;     /* message-rate model, 1e9 per message */
	int ca_first;                   /* a passed CANCEL_ALL's first cancel */
	int kill;
	/* messages in flight to the venue */
	struct ouch_in q[4096];
	uint32_t qh, qn;
	/* venue bytes not yet given to gw */
	uint8_t rx[1 << 16];
	size_t rx_len;
	uint64_t match;
	uint64_t rng;
	/* recently passed tokens, for replaces and cancels */
	struct { uint64_t token; uint16_t loc; uint8_t side; } ring[RING];
	uint32_t ring_n;
	uint64_t next_token, token_base;
	uint64_t now;
};

/* counts over all runs */
static uint64_t n_reason[RISK_REASON_MAX + 1];
static uint64_t n_sent[5], n_msgs, n_fills, n_dups, n_venue_rej;

static uint64_t rnd(struct model *m)
{
	uint64_t z = (m->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t below(struct model *m, uint32_t n)
{
	return n ? (uint32_t)(rnd(m) % n) : 0;
}

/* ---- the model's book of orders --------------------------------------------- */

static uint64_t res_qty(const struct mo *o)
{
	if (o->st == M_FREE)
		return 0;
	if (o->st == M_PR && o->new_qty > o->leaves)
		return o->new_qty;
	return o->leaves;
}

static uint64_t res_ntl(const struct mo *o)
{
	uint64_t n = (uint64_t)o->leaves * o->px;

	if (o->st == M_FREE)
		return 0;
	if (o->st == M_PR && (uint64_t)o->new_qty * o->new_px > n)
		n = (uint64_t)o->new_qty * o->new_px;
	return n;
}

static void sums(const struct model *m, uint16_t loc, uint64_t *buy, uint64_t *sell,
		 uint64_t *ntl)
{
	*buy = *sell = *ntl = 0;
	for (uint32_t s = 1; s <= m->last_ref; s++) {
		const struct mo *o = &m->o[s];

		if (o->st == M_FREE)
			continue;
		*ntl += res_ntl(o);
		if (o->loc != loc)
			continue;
		if (o->side == 'B')
			*buy += res_qty(o);
		else
			*sell += res_qty(o);
	}
}

static uint64_t pos_ntl(const struct model *m)
{
	uint64_t n = 0;

	for (int l = 1; l <= MAXLOC; l++)
		n += (uint64_t)(m->pos[l] < 0 ? -m->pos[l] : m->pos[l]) * m->mark[l];
	return n;
}

static int self_cross(const struct model *m, uint16_t loc, uint8_t side, uint32_t px,
		      uint32_t skip)
{
	for (uint32_t s = 1; s <= m->last_ref; s++) {
		const struct mo *o = &m->o[s];

		if (o->st == M_FREE || s == skip || o->loc != loc || o->side == side)
			continue;
		if (side == 'B' && (o->px <= px || (o->st == M_PR && o->new_px <= px)))
			return 1;
		if (side == 'S' && (o->px >= px || (o->st == M_PR && o->new_px >= px)))
			return 1;
	}
	return 0;
}

static int tok_seen_add(struct model *m, uint64_t t)
{
	uint32_t i = (uint32_t)((t * 0x9e3779b97f4a7c15ull) >> 40) & (TOKSET - 1);

	while (m->tokset[i]) {
		if (m->tokset[i] == t)
			return 1;
		i = (i + 1) & (TOKSET - 1);
	}
	m->tokset[i] = t;
	return 0;
}

static void close_order(struct model *m, struct mo *o)
{
	o->st = M_FREE;
	m->n_open--;
}

/* ---- checks on what gw wrote -------------------------------------------------- */

#define BREACH(cond, what)                                                            \
	do {                                                                          \
		if (cond) {                                                           \
			print_error("breach at t %llu: %s\n",                         \
				    (unsigned long long)m->now, what);                \
			fail();                                                       \
		}                                                                     \
	} while (0)

static void refill(struct model *m)
{
	uint64_t cap = (uint64_t)m->cfg.risk.burst * NS_PER_MSG;
	uint64_t add = (m->now - m->bucket_ns) * m->cfg.risk.rate_per_s;

	if (m->now - m->bucket_ns > cap || m->bucket + add > cap)
		m->bucket = cap;
	else
		m->bucket += add;
	m->bucket_ns = m->now;
}

/* Limits an Enter or Replace of side/loc at px x qty must meet; add_q /
 * add_n: what it adds to the reservations; skip: the order replaced. */
static void check_order(struct model *m, uint16_t loc, uint8_t side, uint32_t px, uint32_t qty,
			uint64_t add_q, uint64_t add_n, uint32_t skip, int is_new)
{
	const struct risk_cfg *c = &m->cfg.risk;
	uint32_t ref = m->ref_px[loc];
	uint64_t buy, sell, ntl;

	BREACH(m->kill, "order sent with the kill switch on");
	BREACH(qty == 0 || qty > c->max_order_qty, "max order qty");
	BREACH(px == 0 || (uint64_t)px * qty > c->max_order_notional, "max notional");
	BREACH(ref == 0, "no reference price");
	BREACH((px > ref ? (uint64_t)px - ref : (uint64_t)ref - px) * 10000 >
		       (uint64_t)ref * c->collar_bps, "price collar");
	sums(m, loc, &buy, &sell, &ntl);
	if (add_q && side == 'B')
		BREACH(m->pos[loc] + (int64_t)(buy + add_q) > (int64_t)c->max_position,
		       "worst-case long");
	if (add_q && side == 'S')
		BREACH((int64_t)(sell + add_q) - m->pos[loc] > (int64_t)c->max_position,
		       "worst-case short");
	if (is_new)
		BREACH(m->n_open + 1 > c->max_open_orders, "max open orders");
	if (add_n)
		BREACH(ntl + pos_ntl(m) + add_n > c->credit_limit, "credit limit");
	BREACH(self_cross(m, loc, side, px, skip), "self-cross");
	refill(m);
	BREACH(m->bucket < NS_PER_MSG, "message rate");
	m->bucket -= NS_PER_MSG;
}

static void check_token(struct model *m, const char clordid[OUCH_CLORDID_LEN], uint64_t want)
{
	uint64_t t = 0;

	BREACH(gwt_clordid_token(clordid, &t) != 0, "ClOrdID does not decode");
	BREACH(t != want, "ClOrdID is not the intent's token");
	BREACH(tok_seen_add(m, t), "duplicate token / ClOrdID on the wire");
}

static void on_sent(struct model *m, const struct order_intent *in, const struct ouch_in *x)
{
	struct mo *o;

	n_msgs++;
	switch (x->type) {
	case OUCH_IN_ENTER: {
		const struct ouch_enter *e = &x->u.enter;
		uint16_t loc = 0;

		BREACH(in->op != INTENT_NEW, "Enter for another intent");
		for (uint16_t l = 1; l <= NSYM; l++)
			if (!memcmp(e->symbol, names[l], 8))
				loc = l;
		BREACH(loc == 0 || loc != in->locate, "Enter symbol");
		BREACH(e->user_ref_num != m->last_ref + 1, "user ref not next");
		BREACH(e->side != 'B' && e->side != 'S', "side");
		check_token(m, e->clordid, in->token);
		check_order(m, loc, (uint8_t)e->side, (uint32_t)e->price, e->qty, e->qty,
			    e->price * e->qty, 0, 1);
		m->last_ref = e->user_ref_num;
		m->slot_of[e->user_ref_num] = e->user_ref_num;
		o = &m->o[e->user_ref_num];
		memset(o, 0, sizeof(*o));
		o->token = in->token;
		o->ref = e->user_ref_num;
		o->px = (uint32_t)e->price;
		o->leaves = e->qty;
		o->loc = loc;
		o->side = (uint8_t)e->side;
		o->st = M_PN;
		m->n_open++;
		break;
	}
	case OUCH_IN_REPLACE: {
		const struct ouch_replace *r = &x->u.replace;
		uint32_t s = r->orig_user_ref_num < MAXREF ? m->slot_of[r->orig_user_ref_num] : 0;
		uint64_t add_q, add_n, nn = r->price * r->qty;

		BREACH(in->op != INTENT_REPLACE, "Replace for another intent");
		o = &m->o[s];
		BREACH(!s || o->ref != r->orig_user_ref_num, "Replace of an unknown ref");
		BREACH(o->st != M_W, "Replace of an order not working or busy");
		BREACH(r->user_ref_num != m->last_ref + 1, "user ref not next");
		BREACH(in->side != o->side || in->locate != o->loc, "Replace changes side/symbol");
		check_token(m, r->clordid, in->token);
		add_q = r->qty > res_qty(o) ? r->qty - res_qty(o) : 0;
		add_n = nn > res_ntl(o) ? nn - res_ntl(o) : 0;
		check_order(m, o->loc, o->side, (uint32_t)r->price, r->qty, add_q, add_n, s, 0);
		m->last_ref = r->user_ref_num;
		m->slot_of[r->user_ref_num] = s;
		o->prior = o->st;
		o->st = M_PR;
		o->new_ref = r->user_ref_num;
		o->new_token = in->token;
		o->new_px = (uint32_t)r->price;
		o->new_qty = r->qty;
		break;
	}
	case OUCH_IN_CANCEL: {
		uint32_t ref = x->u.cancel.user_ref_num;
		uint32_t s = ref < MAXREF ? m->slot_of[ref] : 0;

		BREACH(in->op != INTENT_CANCEL && in->op != INTENT_CANCEL_ALL,
		       "Cancel for another intent");
		o = &m->o[s];
		BREACH(!s || o->ref != ref || o->st == M_FREE, "Cancel of an unknown ref");
		BREACH(o->st != M_PN && o->st != M_W, "Cancel of a busy order");
		BREACH(x->u.cancel.qty != 0, "partial cancel");
		if (in->op == INTENT_CANCEL)
			BREACH(o->token != in->orig_token, "Cancel of another order");
		else
			BREACH(in->locate && o->loc != in->locate, "Cancel-all of another symbol");
		/* Cancels are never throttled but spend a message when one
		 * is left; a CANCEL_ALL spent one for its first cancel. */
		if (in->op == INTENT_CANCEL_ALL && m->ca_first) {
			m->ca_first = 0;
		} else {
			refill(m);
			if (m->bucket >= NS_PER_MSG)
				m->bucket -= NS_PER_MSG;
		}
		o->prior = o->st;
		o->st = M_PC;
		break;
	}
	default:
		BREACH(1, "unexpected message type");
	}
	if (m->qn < 4096) {
		m->q[(m->qh + m->qn) % 4096] = *x;
		m->qn++;
	}
}

/* ---- the model venue ------------------------------------------------------ */

static void emit(struct model *m, const struct ouch_out *x)
{
	size_t k = gwt_put_out(m->rx + m->rx_len, sizeof(m->rx) - m->rx_len, x);

	assert_true(k > 0);
	m->rx_len += k;
}

/* The venue's message x, applied to the model's view (dup: a resent fill). */
static void view_apply(struct model *m, const struct ouch_out *x, int dup)
{
	struct mo *o;
	uint32_t ref, s;

	switch (x->type) {
	case OUCH_OUT_ACCEPTED: ref = x->u.accepted.user_ref_num; break;
	case OUCH_OUT_REPLACED: ref = x->u.replaced.orig_user_ref_num; break;
	case OUCH_OUT_CANCELED: ref = x->u.canceled.user_ref_num; break;
	case OUCH_OUT_EXECUTED: ref = x->u.executed.user_ref_num; break;
	case OUCH_OUT_REJECTED: ref = x->u.rejected.user_ref_num; break;
	default: ref = x->u.cancel_reject.user_ref_num; break;
	}
	s = m->slot_of[ref];
	o = &m->o[s];
	if (o->st == M_FREE || dup)
		return;
	switch (x->type) {
	case OUCH_OUT_ACCEPTED:
		if (o->st == M_PN)
			o->st = M_W;
		else if (o->st == M_PC && o->prior == M_PN)
			o->prior = M_W;
		break;
	case OUCH_OUT_REJECTED:
		if (o->st == M_PR && ref == o->new_ref) {
			o->st = o->prior;
			o->new_ref = 0;
		} else if (ref == o->ref) {
			close_order(m, o);
		}
		break;
	case OUCH_OUT_REPLACED:
		o->ref = x->u.replaced.user_ref_num;
		o->token = o->new_token;
		o->px = (uint32_t)x->u.replaced.price;
		o->leaves = x->u.replaced.qty;
		o->new_ref = 0;
		o->st = o->prior;
		break;
	case OUCH_OUT_CANCELED: {
		uint32_t q = x->u.canceled.qty;

		o->leaves -= q == 0 || q > o->leaves ? o->leaves : q;
		if (!o->leaves)
			close_order(m, o);
		break;
	}
	case OUCH_OUT_EXECUTED: {
		uint32_t q = x->u.executed.qty;

		m->pos[o->loc] += o->side == 'B' ? (int64_t)q : -(int64_t)q;
		m->mark[o->loc] = (uint32_t)x->u.executed.price;
		o->leaves -= q;
		if (!o->leaves)
			close_order(m, o);
		break;
	}
	case OUCH_OUT_CANCEL_REJECT:
		if (o->st == M_PC)
			o->st = o->prior;
		break;
	}
}

static void venue_out(struct model *m, const struct ouch_out *x, int dup)
{
	emit(m, x);
	view_apply(m, x, dup);
}

static void venue_reject(struct model *m, uint32_t ref)
{
	struct ouch_out x;

	memset(&x, 0, sizeof(x));
	x.type = OUCH_OUT_REJECTED;
	x.u.rejected.user_ref_num = ref;
	x.u.rejected.reason = (uint16_t)(1 + below(m, 40));
	memset(x.u.rejected.clordid, ' ', OUCH_CLORDID_LEN);
	n_venue_rej++;
	venue_out(m, &x, 0);
}

static void venue_take(struct model *m, const struct ouch_in *in)
{
	struct ouch_out x;
	struct mo *o;

	memset(&x, 0, sizeof(x));
	switch (in->type) {
	case OUCH_IN_ENTER:
		o = &m->o[m->slot_of[in->u.enter.user_ref_num]];
		if (below(m, 100) < 8) {
			venue_reject(m, in->u.enter.user_ref_num);
			return;
		}
		o->v_live = 1;
		o->v_ref = in->u.enter.user_ref_num;
		o->v_px = (uint32_t)in->u.enter.price;
		o->v_leaves = in->u.enter.qty;
		x.type = OUCH_OUT_ACCEPTED;
		x.u.accepted.user_ref_num = o->v_ref;
		x.u.accepted.qty = o->v_leaves;
		x.u.accepted.price = o->v_px;
		x.u.accepted.side = in->u.enter.side;
		memcpy(x.u.accepted.symbol, in->u.enter.symbol, 8);
		memcpy(x.u.accepted.clordid, in->u.enter.clordid, OUCH_CLORDID_LEN);
		x.u.accepted.tif = '0';
		x.u.accepted.display = 'Y';
		x.u.accepted.capacity = 'P';
		x.u.accepted.iso = 'N';
		x.u.accepted.cross_type = 'N';
		x.u.accepted.order_state = 'L';
		venue_out(m, &x, 0);
		break;
	case OUCH_IN_REPLACE: {
		const struct ouch_replace *r = &in->u.replace;

		o = &m->o[m->slot_of[r->orig_user_ref_num]];
		if (!o->v_live || o->v_ref != r->orig_user_ref_num || below(m, 100) < 10) {
			venue_reject(m, r->user_ref_num);
			return;
		}
		o->v_ref = r->user_ref_num;
		o->v_px = (uint32_t)r->price;
		o->v_leaves = r->qty;
		x.type = OUCH_OUT_REPLACED;
		x.u.replaced.orig_user_ref_num = r->orig_user_ref_num;
		x.u.replaced.user_ref_num = r->user_ref_num;
		x.u.replaced.qty = r->qty;
		x.u.replaced.price = r->price;
		x.u.replaced.side = (char)o->side;
		memcpy(x.u.replaced.symbol, names[o->loc], 8);
		memcpy(x.u.replaced.clordid, r->clordid, OUCH_CLORDID_LEN);
		x.u.replaced.tif = '0';
		x.u.replaced.display = 'Y';
		x.u.replaced.capacity = 'P';
		x.u.replaced.iso = 'N';
		x.u.replaced.cross_type = 'N';
		x.u.replaced.order_state = 'L';
		venue_out(m, &x, 0);
		break;
	}
	case OUCH_IN_CANCEL: {
		uint32_t ref = in->u.cancel.user_ref_num;

		o = &m->o[m->slot_of[ref]];
		if (!o->v_live || o->v_ref != ref || below(m, 100) < 5) {
			x.type = OUCH_OUT_CANCEL_REJECT;
			x.u.cancel_reject.user_ref_num = ref;
			venue_out(m, &x, 0);
			return;
		}
		x.type = OUCH_OUT_CANCELED;
		x.u.canceled.user_ref_num = ref;
		x.u.canceled.qty = o->v_leaves;
		x.u.canceled.reason = 'U';
		o->v_live = 0;
		venue_out(m, &x, 0);
		break;
	}
	}
}

/* Fills and venue cancels of live venue orders. */
static void venue_spontaneous(struct model *m)
{
	for (int tries = 0; tries < 4 && m->last_ref; tries++) {
		uint32_t s = m->last_ref - below(m, m->last_ref < 40 ? m->last_ref : 40);
		struct mo *o = &m->o[s];
		struct ouch_out x;
		uint32_t r = below(m, 100);

		if (!s || m->slot_of[s] != s || !o->v_live)
			continue;
		memset(&x, 0, sizeof(x));
		if (r < 60) {
			uint32_t q = below(m, 2) ? o->v_leaves : 1 + below(m, o->v_leaves);

			x.type = OUCH_OUT_EXECUTED;
			x.u.executed.user_ref_num = o->v_ref;
			x.u.executed.qty = q;
			x.u.executed.price = o->v_px;
			x.u.executed.match_num = ++m->match;
			x.u.executed.liquidity = below(m, 2) ? 'A' : 'R';
			o->v_leaves -= q;
			if (!o->v_leaves)
				o->v_live = 0;
			n_fills++;
			venue_out(m, &x, 0);
			if (below(m, 100) < 20) {
				n_dups++;
				venue_out(m, &x, 1); /* the same fill again */
			}
		} else if (r < 70) {
			uint32_t q = 1 + below(m, o->v_leaves);

			x.type = OUCH_OUT_CANCELED;
			x.u.canceled.user_ref_num = o->v_ref;
			x.u.canceled.qty = q;
			x.u.canceled.reason = 'Z';
			o->v_leaves -= q;
			if (!o->v_leaves)
				o->v_live = 0;
			venue_out(m, &x, 0);
		}
		return;
	}
}

/* The venue's bytes to gw in random pieces. */
static void deliver(struct model *m)
{
	size_t off = 0;

	while (off < m->rx_len) {
		struct exec_report r[8];
		size_t piece = 1 + below(m, 200), used = 0;

		if (piece > m->rx_len - off)
			piece = m->rx_len - off;
		(void)gw_on_wire(m->g, m->rx + off, piece, &used, 0, r, 8);
		off += used;
		if (!used && piece == m->rx_len - off) {
			/* Only part of a packet was left in the piece, and it
			 * is the whole rest: cannot be. */
			assert_true(0);
		}
	}
	m->rx_len = 0;
	assert_int_equal(m->g->st.bad_in, 0);
}

/* ---- random intents ---------------------------------------------------------- */

static uint64_t fresh_token(struct model *m)
{
	return m->token_base + m->next_token++;
}

static uint32_t rand_px(struct model *m, uint16_t loc, uint8_t side)
{
	uint32_t ref = m->ref_px[loc] ? m->ref_px[loc] : PX;
	uint32_t r = below(m, 100);
	int64_t off;

	if (r < 3)
		return 0;
	if (r < 6)
		return ref * 2;
	/* mostly on our side of the reference, out to 1.5 collars */
	off = (int64_t)below(m, ref / 100 * 4) - (int64_t)(ref / 100);
	off = side == 'B' ? -off : off;
	return (uint32_t)((int64_t)ref + off) / 100 * 100;
}

static uint32_t rand_qty(struct model *m)
{
	uint32_t r = below(m, 100);

	if (r < 3)
		return 0;
	if (r < 5)
		return 1u << 29;
	if (r < 70)
		return 1 + below(m, 300);
	return 1 + below(m, 1300);
}

static void remember(struct model *m, uint64_t token, uint16_t loc, uint8_t side)
{
	uint32_t i = m->ring_n++ % RING;

	m->ring[i].token = token;
	m->ring[i].loc = loc;
	m->ring[i].side = side;
}

static void rand_intent(struct model *m, struct order_intent *in)
{
	uint32_t r = below(m, 100), k;

	memset(in, 0, sizeof(*in));
	/* mostly one of the last few orders: they are still open */
	k = m->ring_n ? (m->ring_n - 1 - below(m, m->ring_n < 12 ? m->ring_n : 12)) % RING : 0;
	if (r < 45 || !m->ring_n) {
		uint32_t t = below(m, 100);

		in->op = INTENT_NEW;
		in->token = t < 4 && m->ring_n ? m->ring[k].token : t < 6 ? 0 : fresh_token(m);
		t = below(m, 100);
		in->locate = (uint16_t)(t < 3 ? 0 : t < 6 ? MAXLOC + 1 : 1 + below(m, NSYM));
		in->side = below(m, 100) < 3 ? 'Q' : below(m, 2) ? 'B' : 'S';
		in->qty = rand_qty(m);
		in->px = rand_px(m, in->locate <= MAXLOC ? in->locate : 1, in->side);
		in->flags = below(m, 2) ? INTENT_F_POST_ONLY : 0;
	} else if (r < 65) {
		in->op = INTENT_REPLACE;
		in->orig_token = m->ring[k].token;
		in->token = below(m, 100) < 3 ? m->ring[below(m, RING) % m->ring_n % RING].token
					      : fresh_token(m);
		in->locate = below(m, 100) < 2 ? (uint16_t)(1 + below(m, NSYM)) : m->ring[k].loc;
		in->side = below(m, 100) < 3 ? (m->ring[k].side == 'B' ? 'S' : 'B')
					     : m->ring[k].side;
		in->qty = rand_qty(m);
		in->px = rand_px(m, in->locate, in->side);
	} else if (r < 82) {
		in->op = INTENT_CANCEL;
		in->orig_token = below(m, 100) < 5 ? rnd(m) | 1 : m->ring[k].token;
		in->locate = m->ring[k].loc;
	} else if (r < 85) {
		in->op = INTENT_CANCEL_ALL;
		in->locate = below(m, 2) ? 0 : (uint16_t)(1 + below(m, NSYM));
	} else if (r < 87) {
		in->op = (uint8_t)(5 + below(m, 250));
		in->token = fresh_token(m);
		in->locate = 1;
	} else {
		/* a quote near the touch: self-crosses and position limits */
		in->op = INTENT_NEW;
		in->token = fresh_token(m);
		in->locate = (uint16_t)(1 + below(m, NSYM));
		in->side = below(m, 2) ? 'B' : 'S';
		in->qty = 200 + below(m, 500);
		in->px = m->ref_px[in->locate] ? m->ref_px[in->locate] : PX;
	}
}

static void world(struct model *m)
{
	uint32_t r = below(m, 1000);

	if (!m->kill && r < 5) {
		m->kill = 1;
		risk_set_kill(&m->g->rk, 1);
	} else if (m->kill && r < 60) {
		m->kill = 0;
		risk_set_kill(&m->g->rk, 0);
	}
	if (below(m, 10) == 0) {
		uint16_t l = (uint16_t)(1 + below(m, NSYM));
		uint32_t ref = m->ref_px[l] ? m->ref_px[l] : PX;

		ref = (uint32_t)((int64_t)ref + ((int64_t)below(m, ref / 50) - ref / 100));
		if (l == NSYM && below(m, 20) == 0)
			ref = 0; /* reference lost */
		m->ref_px[l] = ref;
		gw_set_ref(m->g, l, ref);
	}
	r = below(m, 100);
	m->now += r < 25 ? 0 : r < 90 ? below(m, 400000) : below(m, 5000000);
}

/* ---- the run ---------------------------------------------------------------- */

static void run(uint64_t seed, int store_small)
{
	struct model *m = calloc(1, sizeof(*m));
	uint8_t wire[4096];

	assert_non_null(m);
	m->rng = seed;
	m->g = calloc(1, sizeof(*m->g));
	assert_non_null(m->g);
	gw_cfg_defaults(&m->cfg);
	/* store_small: the pool (6) is below the open-order limit (16) */
	m->cfg.store.max_orders = store_small ? 6 : 64;
	m->cfg.store.max_locate = MAXLOC;
	m->cfg.store.token_history = TOKSET / 2;
	m->cfg.risk.max_order_qty = 1000;
	m->cfg.risk.max_order_notional = 700ull * PX;
	m->cfg.risk.collar_bps = 200;
	m->cfg.risk.max_position = 1500;
	m->cfg.risk.max_open_orders = store_small ? 16 : 6;
	m->cfg.risk.credit_limit = 8000ull * PX;
	m->cfg.risk.rate_per_s = 1000;
	m->cfg.risk.burst = 6;
	m->cfg.risk.storm_rejects = 5;
	m->cfg.risk.storm_window_ns = 2000000;
	m->cfg.risk.backoff_ns = 1000000;
	m->cfg.risk.backoff_max_ns = 8000000;
	m->cfg.risk.quiet_ns = 50000000;
	m->now = 1000;
	assert_int_equal(gw_init(m->g, &m->cfg, m->now), 0);
	m->bucket = (uint64_t)m->cfg.risk.burst * NS_PER_MSG;
	m->bucket_ns = m->now;
	for (uint16_t l = 1; l <= NSYM; l++) {
		assert_int_equal(gw_set_symbol(m->g, l, names[l]), 0);
		m->ref_px[l] = PX * l;
		gw_set_ref(m->g, l, m->ref_px[l]);
	}
	/* Half the runs use tokens past 14 decimal digits. */
	m->token_base = seed & 1 ? 1 : (UINT64_C(1) << 40) * 95;
	m->next_token = 1;

	for (int step = 0; step < STEPS; step++) {
		struct order_intent in;
		struct exec_report rej;
		struct ouch_in x[64];
		long k;
		int n;

		world(m);
		rand_intent(m, &in);
		memset(wire, 0xA5, sizeof(wire));
		k = gw_on_intent(m->g, &in, m->now, wire, sizeof(wire), &rej);
		if (k < 0) {
			assert_int_equal(k, -EACCES);
			assert_int_equal(rej.kind, EXEC_REJECTED);
			assert_true(rej.reason >= 1 && rej.reason <= RISK_REASON_MAX);
			n_reason[rej.reason]++;
			for (size_t i = 0; i < 64; i++)
				assert_int_equal(wire[i], 0xA5);
		} else {
			if (in.op == INTENT_CANCEL_ALL) {
				/* the intent itself spends one when one is left */
				refill(m);
				if (m->bucket >= NS_PER_MSG)
					m->bucket -= NS_PER_MSG;
				m->ca_first = 1;
			}
			n = gwt_decode_out(wire, (size_t)k, x, 64);
			BREACH(n < 0, "bytes that do not decode");
			for (int i = 0; i < n; i++)
				on_sent(m, &in, &x[i]);
			n_sent[in.op]++;
			if (in.op == INTENT_NEW || in.op == INTENT_REPLACE)
				remember(m, in.token, in.locate, in.side);
		}
		/* The venue takes some of what is in flight, and trades. */
		for (uint32_t j = below(m, 4); j && m->qn; j--) {
			venue_take(m, &m->q[m->qh]);
			m->qh = (m->qh + 1) % 4096;
			m->qn--;
		}
		venue_spontaneous(m);
		deliver(m);
		/* Our books agree with the gateway's. */
		assert_int_equal(m->g->os.n_open, m->n_open);
		refill(m);
		assert_int_equal(risk_budget(&m->g->rk, m->now), m->bucket / NS_PER_MSG);
		assert_int_equal(m->g->rk.bucket, m->bucket);
		for (uint16_t l = 1; l <= NSYM; l++)
			assert_int_equal(m->g->os.sym[l].pos, m->pos[l]);
	}
	gw_fini(m->g);
	free(m->g);
	free(m);
}

static void test_no_breach_reaches_venue(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 8; seed++)
		run(seed * 7919, seed > 5);
	for (int r = 1; r <= RISK_THROTTLE; r++) {
		print_message("  %-14s %llu\n", risk_reason_name(r),
			      (unsigned long long)n_reason[r]);
		if (!n_reason[r])
			print_error("reason %s never occurred\n", risk_reason_name(r));
		assert_true(n_reason[r] > 0);
	}
	print_message("  sent new %llu replace %llu cancel %llu cancel_all %llu; msgs %llu "
		      "fills %llu dups %llu venue rejects %llu\n",
		      (unsigned long long)n_sent[1], (unsigned long long)n_sent[3],
		      (unsigned long long)n_sent[2], (unsigned long long)n_sent[4],
		      (unsigned long long)n_msgs, (unsigned long long)n_fills,
		      (unsigned long long)n_dups, (unsigned long long)n_venue_rej);
	assert_true(n_sent[INTENT_NEW] > 1000);
	assert_true(n_sent[INTENT_REPLACE] > 100);
	assert_true(n_sent[INTENT_CANCEL] > 100);
	assert_true(n_sent[INTENT_CANCEL_ALL] > 10);
	assert_true(n_fills > 100 && n_dups > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_breach_reaches_venue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
