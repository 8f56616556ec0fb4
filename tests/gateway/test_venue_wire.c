/* test_venue_wire.c - gw's bytes through the paper venue's wire side into a
 * real venue over a book built by the feed from hand-encoded ITCH, and the
 * venue's OUCH reports back through gw_on_wire: an order accepted, resting
 * and filled by recorded executions (token, px, qty, leaves, liquidity,
 * fee); an unknown symbol; a post-only reject; a cancel of a filled order. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/feed.h"
#include "dataplane/itch_enc.h"
#include "gateway/gw.h"
#include "gateway/venue.h"
#include "gateway/venue_wire.h"
#include "hw/arena.h"
#include "tests/gateway/gw_wire_util.h"

#define LOC 7
#define PX 1000000u
#define TICK 100u

struct fx {
	struct arena a;
	struct feed f;
	struct venue v;
	struct venue_wire *w;
	struct gw g;
	struct md_event ev[8];
	struct exec_report rep[64];
	uint32_t nrep;
	uint64_t seq;
};

static struct fx *fx_new_msgs(uint32_t max_msgs)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct feed_cfg fc;
	struct venue_cfg vc;
	struct gw_cfg gc;
	struct arena_cfg ac = { .no_huge = true, .no_lock = true };

	assert_non_null(x);
	venue_cfg_defaults(&vc);
	vc.entry.base_ns = 1000;
	vc.entry.jitter_ns = 0;
	vc.ack.base_ns = 500;
	vc.ack.jitter_ns = 0;
	vc.taker_fee_e4 = 30;
	vc.maker_rebate_e4 = 20;
	vc.max_msgs = max_msgs;
	feed_cfg_defaults(&fc);
	fc.book.max_orders = 1024;
	fc.book.max_locate = 16;
	ac.size = feed_memsize(&fc) + venue_memsize(&vc);
	assert_int_equal(arena_init(&x->a, &ac), 0);
	assert_int_equal(feed_init(&x->f, &fc, &x->a), 0);
	assert_int_equal(venue_init(&x->v, &vc, x->f.books, &x->a), 0);
	x->w = calloc(1, sizeof(*x->w));
	assert_non_null(x->w);
	venue_wire_init(x->w, &x->v);
	assert_int_equal(venue_wire_set_symbol(x->w, LOC, "TEST    "), 0);
	gw_cfg_defaults(&gc);
	gc.store.max_locate = 16;
	gc.fee_add_e4 = -20; /* the venue's rebate and fee */
	gc.fee_remove_e4 = 30;
	assert_int_equal(gw_init(&x->g, &gc, 0), 0);
	assert_int_equal(gw_set_symbol(&x->g, LOC, "TEST    "), 0);
	assert_int_equal(gw_set_symbol(&x->g, 9, "NOPE    "), 0);
	gw_set_ref(&x->g, LOC, PX);
	gw_set_ref(&x->g, 9, PX);
	return x;
}

static struct fx *fx_new(void)
{
	return fx_new_msgs(4096);
}

static void fx_free(struct fx *x)
{
	gw_fini(&x->g);
	venue_fini(&x->v);
	feed_fini(&x->f);
	arena_fini(&x->a);
	free(x->w);
	free(x);
}

static void md(struct fx *x, struct itch_msg m, uint64_t t)
{
	uint8_t buf[64];
	int len;
	uint32_t n;

	m.locate = LOC;
	m.ts_ns = t;
	len = itch_encode(&m, buf, sizeof(buf));
	assert_true(len > 0);
	venue_advance(&x->v, t);
	n = feed_on_message(&x->f, buf, (size_t)len, ++x->seq, 0, x->ev, 8);
	for (uint32_t i = 0; i < n; i++)
		venue_on_md(&x->v, &x->ev[i], t);
}

static struct itch_msg add(uint64_t ref, uint8_t side, uint32_t shares, uint32_t px)
{
	struct itch_msg m;

	memset(&m, 0, sizeof(m));
	m.type = 'A';
	m.add.ref = ref;
	m.add.side = side;
	m.add.shares = shares;
	memcpy(m.add.stock, "TEST    ", 8);
	m.add.price = px;
	return m;
}

static struct itch_msg ex(uint64_t ref, uint32_t shares, uint64_t match)
{
	struct itch_msg m;

	memset(&m, 0, sizeof(m));
	m.type = 'E';
	m.exec.ref = ref;
	m.exec.shares = shares;
	m.exec.match = match;
	return m;
}

/* An intent through gw and, as bytes, into the venue at t. */
static void send(struct fx *x, uint8_t op, uint64_t token, uint64_t orig, uint16_t loc,
		 uint8_t side, uint32_t px, uint32_t qty, uint8_t flags, uint64_t t)
{
	struct order_intent in;
	struct exec_report rej;
	uint8_t wire[256];
	long k;

	memset(&in, 0, sizeof(in));
	in.op = op;
	in.token = token;
	in.orig_token = orig;
	in.locate = loc;
	in.side = side;
	in.px = px;
	in.qty = qty;
	in.flags = flags;
	k = gw_on_intent(&x->g, &in, t, wire, sizeof(wire), &rej);
	assert_true(k > 0);
	assert_int_equal(venue_wire_rx(x->w, wire, (size_t)k, t), 1);
}

/* Venue reports due by now, as bytes, through gw; appended to x->rep.
 * Also returns the OUCH types seen in types (up to 16). */
static uint32_t drain(struct fx *x, uint64_t now, char *types)
{
	uint8_t buf[16 * VENUE_WIRE_MAX_PKT];
	size_t len, used, off = 0;
	uint32_t n, nt = 0;

	venue_advance(&x->v, now);
	len = venue_wire_tx(x->w, now, buf, sizeof(buf));
	while (off < len && nt < 16) {
		struct soup_pkt p;
		int k = soup_parse(buf + off, len - off, &p);

		assert_true(k > 0);
		assert_int_equal(p.type, SOUP_T_SEQ_DATA);
		types[nt++] = (char)p.payload[0];
		off += (size_t)k;
	}
	types[nt] = 0;
	n = gw_on_wire(&x->g, buf, len, &used, 0, x->rep + x->nrep, 64 - x->nrep);
	assert_int_equal(used, len);
	x->nrep += n;
	return n;
}

static void test_rest_and_fill(void **state)
{
	struct fx *x = fx_new();
	char ty[17];
	const struct exec_report *r;

	(void)state;
	md(x, add(1, 'S', 500, PX + TICK), 100);
	md(x, add(2, 'B', 100, PX), 200);
	send(x, INTENT_NEW, 5, 0, LOC, 'B', PX, 100, INTENT_F_POST_ONLY, 1000); /* at 2000 */
	md(x, add(3, 'B', 50, PX), 3000);         /* behind us */
	md(x, ex(2, 100, 11), 4000);              /* the 100 ahead trade */
	md(x, ex(3, 30, 12), 5000);               /* then us first: 30 */
	md(x, ex(3, 20, 13), 6000);               /* and 20 more */
	assert_int_equal(drain(x, 100000, ty), 3);
	assert_string_equal(ty, "AEE");
	r = &x->rep[0];
	assert_int_equal(r->kind, EXEC_ACCEPTED);
	assert_int_equal(r->token, 5);
	assert_int_equal(r->px, PX);
	assert_int_equal(r->leaves, 100);
	for (int i = 1; i <= 2; i++) {
		r = &x->rep[i];
		assert_int_equal(r->kind, EXEC_FILL);
		assert_int_equal(r->token, 5);
		assert_int_equal(r->px, PX);
		assert_int_equal(r->qty, i == 1 ? 30 : 20);
		assert_int_equal(r->leaves, i == 1 ? 70 : 50);
		assert_int_equal(r->liquidity, 'A');
		assert_int_equal(r->side, 'B');
		assert_int_equal(r->fee_e4, -20 * (int32_t)r->qty);
	}
	/* gw's fees agree with the venue's own. */
	assert_int_equal(x->rep[1].fee_e4 + x->rep[2].fee_e4, x->v.cnt.fees_e4);
	assert_int_equal(x->g.os.sym[LOC].pos, 50);
	assert_int_equal(x->w->st.msgs_in, 1);
	assert_int_equal(x->w->st.msgs_out, 3);
	assert_int_equal(x->g.st.bad_in + x->w->st.bad_in + x->g.st.store_errors, 0);

	/* A replace to 40 shares, then a cancel: both round trips. */
	send(x, INTENT_REPLACE, 6, 5, LOC, 'B', PX, 40, INTENT_F_POST_ONLY, 200000);
	assert_int_equal(drain(x, 300000, ty), 1);
	assert_string_equal(ty, "U");
	assert_int_equal(x->rep[3].kind, EXEC_REPLACED);
	assert_int_equal(x->rep[3].token, 6);
	assert_int_equal(x->rep[3].leaves, 40);
	send(x, INTENT_CANCEL, 0, 6, LOC, 0, 0, 0, 0, 400000);
	assert_int_equal(drain(x, 500000, ty), 1);
	assert_string_equal(ty, "C");
	assert_int_equal(x->rep[4].kind, EXEC_CANCELED);
	assert_int_equal(x->rep[4].token, 6);
	assert_int_equal(x->rep[4].qty, 40);
	assert_int_equal(x->rep[4].leaves, 0);
	assert_int_equal(x->g.os.n_open, 0);
	fx_free(x);
}

static void test_unknown_symbol(void **state)
{
	struct fx *x = fx_new();
	char ty[17];

	(void)state;
	md(x, add(1, 'S', 500, PX + TICK), 100);
	send(x, INTENT_NEW, 7, 0, 9, 'B', PX, 10, 0, 1000);
	assert_int_equal(x->w->st.unknown_sym, 1);
	assert_int_equal(drain(x, 100000, ty), 1);
	assert_string_equal(ty, "J");
	assert_int_equal(x->rep[0].kind, EXEC_REJECTED);
	assert_int_equal(x->rep[0].token, 7);
	assert_int_equal(x->rep[0].reason, GW_REASON_VENUE + VENUE_REJ_SYMBOL);
	assert_int_equal(x->g.os.n_open, 0);
	fx_free(x);
}

static void test_post_only_reject(void **state)
{
	struct fx *x = fx_new();
	char ty[17];

	(void)state;
	md(x, add(1, 'S', 500, PX + TICK), 100);
	md(x, add(2, 'B', 100, PX), 200);
	send(x, INTENT_NEW, 8, 0, LOC, 'B', PX + TICK, 10, INTENT_F_POST_ONLY, 1000);
	assert_int_equal(drain(x, 100000, ty), 1);
	assert_string_equal(ty, "J");
	assert_int_equal(x->rep[0].kind, EXEC_REJECTED);
	assert_int_equal(x->rep[0].token, 8);
	assert_int_equal(x->rep[0].reason, GW_REASON_VENUE + VENUE_REJ_POST_ONLY);
	assert_int_equal(x->g.st.venue_rejects, 1);
	assert_int_equal(x->g.os.n_open, 0);
	fx_free(x);
}

/* A cancel sent while the order fills: the venue refuses it (Cancel
 * Reject); the gateway had closed the order on the fill and counts it. */
static void test_cancel_of_filled(void **state)
{
	struct fx *x = fx_new();
	char ty[17];

	(void)state;
	md(x, add(1, 'S', 500, PX + TICK), 100);
	send(x, INTENT_NEW, 9, 0, LOC, 'B', PX + TICK, 100, 0, 1000); /* takes */
	send(x, INTENT_CANCEL, 0, 9, LOC, 0, 0, 0, 0, 1001);
	assert_int_equal(drain(x, 100000, ty), 2);
	assert_string_equal(ty, "AEI");
	assert_int_equal(x->rep[0].kind, EXEC_ACCEPTED);
	assert_int_equal(x->rep[1].kind, EXEC_FILL);
	assert_int_equal(x->rep[1].qty, 100);
	assert_int_equal(x->rep[1].leaves, 0);
	assert_int_equal(x->rep[1].liquidity, 'R');
	assert_int_equal(x->rep[1].fee_e4, 30 * 100);
	assert_int_equal(x->rep[1].px, PX + TICK);
	assert_int_equal(x->g.os.cnt.unknown_ref, 1);
	assert_int_equal(x->g.st.store_errors, 1);
	assert_int_equal(x->g.os.n_open, 0);
	fx_free(x);
}

/* The venue's message queue is full when our cancel comes: it is refused
 * as a Cancel Reject (not a Rejected, which would close the order in the
 * gateway while it lives at the venue); the order then works on. */
static void test_cancel_queue_full(void **state)
{
	struct fx *x = fx_new_msgs(1);
	char ty[17];

	(void)state;
	md(x, add(1, 'S', 500, PX + TICK), 100);
	send(x, INTENT_NEW, 10, 0, LOC, 'B', PX, 100, INTENT_F_POST_ONLY, 1000);
	send(x, INTENT_CANCEL, 0, 10, LOC, 0, 0, 0, 0, 1001); /* queue holds 1 */
	assert_int_equal(x->v.cnt.rejects[VENUE_REJ_MSGS_FULL], 1);
	assert_int_equal(drain(x, 100000, ty), 2);
	assert_string_equal(ty, "IA");
	assert_int_equal(x->rep[0].kind, EXEC_ACCEPTED); /* cancel refused: pending new again */
	assert_int_equal(x->rep[1].kind, EXEC_ACCEPTED);
	assert_int_equal(x->rep[1].token, 10);
	assert_int_equal(x->g.os.n_open, 1);
	assert_int_equal(ostore_order_at(&x->g.os, ostore_find_token(&x->g.os, 10))->state,
			 OSTORE_LIVE);
	assert_non_null(venue_order_find(&x->v, 1));
	assert_int_equal(x->g.st.store_errors, 0);
	fx_free(x);
}

/* One OUCH name maps to one book: a second locate under the same name is
 * refused, the first mapping stays, and the same mapping again is fine. */
static void test_symbol_twice(void **state)
{
	struct fx *x = fx_new();
	char ty[17];

	(void)state;
	assert_int_equal(venue_wire_set_symbol(x->w, 9, "TEST    "), -EEXIST);
	assert_int_equal(venue_wire_set_symbol(x->w, LOC, "TEST    "), 0);
	md(x, add(1, 'S', 500, PX + TICK), 100);
	send(x, INTENT_NEW, 7, 0, LOC, 'B', PX, 10, 0, 1000);
	assert_int_equal(x->w->st.unknown_sym, 0);
	assert_int_equal(drain(x, 100000, ty), 1);
	assert_string_equal(ty, "A");
	assert_non_null(venue_order_find(&x->v, 1));
	fx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rest_and_fill),
		cmocka_unit_test(test_unknown_symbol),
		cmocka_unit_test(test_post_only_reject),
		cmocka_unit_test(test_cancel_of_filled),
		cmocka_unit_test(test_cancel_queue_full),
		cmocka_unit_test(test_symbol_twice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
