/* test_ostore.c - cmocka tests of gateway/ostore.c: the order life cycle
 * (accept, partial and full fills, cancels full and partial, fill after a
 * cancel was sent, duplicate fills, replace confirmed / rejected / filled
 * under it, rejects, cancel rejects, expiry), user reference numbers,
 * reservations and position, slot recycling, token history, and both indexes
 * against a plain array under random insert/delete. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/ostore.h"

#define PX 1000000u /* 100 USD */
#define T0 1000000000ull

static const struct ostore_cfg CFG = { .max_orders = 8, .max_locate = 4, .token_history = 16 };

static void setup(struct ostore *os, const struct ostore_cfg *cfg)
{
	assert_int_equal(ostore_init(os, cfg ? cfg : &CFG, NULL), 0);
}

static struct order_intent intent(uint8_t op, uint64_t token, uint64_t orig, uint16_t loc,
				  uint8_t side, uint32_t px, uint32_t qty)
{
	struct order_intent in;

	memset(&in, 0, sizeof(in));
	in.op = op;
	in.token = token;
	in.orig_token = orig;
	in.locate = loc;
	in.side = side;
	in.px = px;
	in.qty = qty;
	return in;
}

/* Send a NEW and return its ref. */
static uint32_t send_new(struct ostore *os, uint64_t token, uint16_t loc, uint8_t side, uint32_t px,
			 uint32_t qty)
{
	struct order_intent in = intent(INTENT_NEW, token, 0, loc, side, px, qty);
	uint32_t ref = 0;

	assert_int_equal(ostore_send_new(os, &in, T0, &ref), 0);
	return ref;
}

static const struct ostore_order *by_token(const struct ostore *os, uint64_t token)
{
	uint32_t slot = ostore_find_token(os, token);

	assert_int_not_equal(slot, OSTORE_NIL);
	return ostore_order_at(os, slot);
}

static void test_cfg(void **state)
{
	struct ostore os;
	struct ostore_cfg bad = CFG;

	(void)state;
	bad.max_orders = 0;
	assert_int_equal(ostore_memsize(&bad), 0);
	assert_int_equal(ostore_init(&os, &bad, NULL), -EINVAL);
	bad = CFG;
	bad.max_locate = 0;
	assert_int_equal(ostore_init(&os, &bad, NULL), -EINVAL);
	bad = CFG;
	bad.max_locate = 65536;
	assert_int_equal(ostore_init(&os, &bad, NULL), -EINVAL);
	assert_int_not_equal(ostore_memsize(&CFG), 0);
	assert_int_equal(ostore_memsize(&CFG) % 64, 0);
	ostore_fini(NULL);
}

/* Caller memory: no allocation by the store. */
static void test_caller_memory(void **state)
{
	static _Alignas(64) uint8_t mem[1 << 16];
	struct ostore os;

	(void)state;
	assert_true(ostore_memsize(&CFG) <= sizeof(mem));
	memset(mem, 0xa5, sizeof(mem));
	assert_int_equal(ostore_init(&os, &CFG, mem + 8), -EINVAL); /* misaligned */
	assert_int_equal(ostore_init(&os, &CFG, mem), 0);
	assert_int_equal(send_new(&os, 5, 1, 'B', PX, 10), 1);
	assert_int_equal(os.owned, 0);
	ostore_fini(&os);
}

static void test_life_partial_then_full(void **state)
{
	struct ostore os;
	struct exec_report r;
	uint32_t ref;

	(void)state;
	setup(&os, NULL);
	ref = send_new(&os, 100, 1, 'B', PX, 100);
	assert_int_equal(ref, 1);
	assert_int_equal(by_token(&os, 100)->state, OSTORE_PENDING_NEW);
	assert_int_equal(ostore_find_ref(&os, ref), ostore_find_token(&os, 100));
	assert_int_equal(ostore_sym_at(&os, 1)->buy_res, 100);
	assert_int_equal(os.n_open, 1);

	assert_int_equal(ostore_on_accepted(&os, ref, 5, &r), OSTORE_LIVE);
	assert_int_equal(r.kind, EXEC_ACCEPTED);
	assert_int_equal(r.token, 100);
	assert_int_equal(r.leaves, 100);
	assert_int_equal(ostore_on_accepted(&os, ref, 5, &r), -EPROTO); /* twice */
	assert_int_equal(os.cnt.bad_event, 1);

	assert_int_equal(ostore_on_executed(&os, ref, 30, PX - 100, 7, 6, &r), OSTORE_PARTIAL);
	assert_int_equal(r.kind, EXEC_FILL);
	assert_int_equal(r.qty, 30);
	assert_int_equal(r.px, PX - 100);
	assert_int_equal(r.leaves, 70);
	assert_int_equal(r.match, 7);
	assert_int_equal(by_token(&os, 100)->cum, 30);
	assert_int_equal(ostore_sym_at(&os, 1)->pos, 30);
	assert_int_equal(ostore_sym_at(&os, 1)->buy_res, 70);
	assert_int_equal(ostore_sym_at(&os, 1)->res_ntl, 70ull * PX);
	assert_int_equal(os.pos_ntl, 30ull * (PX - 100));

	assert_int_equal(ostore_on_executed(&os, ref, 70, PX, 8, 7, &r), OSTORE_FILLED);
	assert_int_equal(r.leaves, 0);
	assert_int_equal(ostore_sym_at(&os, 1)->pos, 100);
	assert_int_equal(ostore_sym_at(&os, 1)->buy_res, 0);
	assert_int_equal(ostore_sym_at(&os, 1)->res_ntl, 0);
	assert_int_equal(ostore_sym_at(&os, 1)->n_open, 0);
	assert_int_equal(os.n_open, 0);
	assert_int_equal(os.open_ntl, 0);
	assert_int_equal(os.pos_ntl, 100ull * PX); /* marked at the last fill */
	/* Gone from both indexes; token still known as used. */
	assert_int_equal(ostore_find_token(&os, 100), OSTORE_NIL);
	assert_int_equal(ostore_find_ref(&os, ref), OSTORE_NIL);
	assert_true(ostore_token_used(&os, 100));
	assert_int_equal(ostore_on_executed(&os, ref, 1, PX, 9, 8, &r), -ENOENT);
	assert_int_equal(os.cnt.unknown_ref, 1);
	assert_int_equal(os.cnt.fills, 2);
	ostore_fini(&os);
}

/* Sells take the position short; refs increase by one per send. */
static void test_sell_and_refs(void **state)
{
	struct ostore os;
	struct order_intent in;
	uint32_t ref, o, n;

	(void)state;
	setup(&os, NULL);
	assert_int_equal(send_new(&os, 1, 2, 'S', PX, 50), 1);
	assert_int_equal(send_new(&os, 2, 2, 'S', PX + 100, 20), 2);
	assert_int_equal(ostore_send_cancel(&os, 1, T0, &ref), 0);
	assert_int_equal(ref, 1);
	assert_int_equal(ostore_on_accepted(&os, 2, 1, NULL), OSTORE_LIVE);
	in = intent(INTENT_REPLACE, 3, 2, 2, 'S', PX + 200, 20);
	assert_int_equal(ostore_send_replace(&os, &in, T0, &o, &n), 0);
	assert_int_equal(o, 2);
	assert_int_equal(n, 3); /* the replacement's ref is the next number */
	assert_int_equal(send_new(&os, 4, 2, 'S', PX, 1), 4);
	assert_int_equal(ostore_sym_at(&os, 2)->sell_res, 50 + 20 + 1);
	assert_int_equal(ostore_on_executed(&os, 4, 1, PX, 1, 2, NULL), OSTORE_FILLED);
	assert_int_equal(ostore_sym_at(&os, 2)->pos, -1);
	assert_int_equal(os.pos_ntl, PX);
	ostore_fini(&os);
}

/* A fill after the cancel was sent is applied; the cancel then closes it. */
static void test_fill_after_cancel_sent(void **state)
{
	struct ostore os;
	struct exec_report r;
	uint32_t ref, cref;

	(void)state;
	setup(&os, NULL);
	ref = send_new(&os, 10, 1, 'B', PX, 100);
	ostore_on_accepted(&os, ref, 1, NULL);
	assert_int_equal(ostore_send_cancel(&os, 10, T0, &cref), 0);
	assert_int_equal(cref, ref);
	assert_int_equal(ostore_send_cancel(&os, 10, T0, &cref), -EBUSY);
	assert_int_equal(ostore_on_executed(&os, ref, 40, PX, 77, 2, &r), OSTORE_PENDING_CANCEL);
	assert_int_equal(r.kind, EXEC_FILL);
	assert_int_equal(os.cnt.late_fills, 1);
	assert_int_equal(ostore_sym_at(&os, 1)->pos, 40);
	assert_int_equal(ostore_sym_at(&os, 1)->buy_res, 60);
	assert_int_equal(ostore_on_canceled(&os, ref, 0, 'U', 3, &r), OSTORE_CANCELED);
	assert_int_equal(r.kind, EXEC_CANCELED);
	assert_int_equal(r.qty, 60);
	assert_int_equal(r.leaves, 0);
	assert_int_equal(r.reason, 'U');
	assert_int_equal(ostore_sym_at(&os, 1)->pos, 40);
	assert_int_equal(ostore_sym_at(&os, 1)->buy_res, 0);
	assert_int_equal(os.n_open, 0);

	/* A fill that completes an order with a cancel in flight: FILLED; the
	 * venue's late cancel answer is for an unknown ref. */
	ref = send_new(&os, 11, 1, 'B', PX, 10);
	ostore_on_accepted(&os, ref, 1, NULL);
	assert_int_equal(ostore_send_cancel(&os, 11, T0, &cref), 0);
	assert_int_equal(ostore_on_executed(&os, ref, 10, PX, 78, 2, NULL), OSTORE_FILLED);
	assert_int_equal(ostore_on_cancel_rejected(&os, ref, 3, NULL), -ENOENT);
	assert_int_equal(ostore_sym_at(&os, 1)->pos, 50);
	ostore_fini(&os);
}

static void test_duplicate_fill(void **state)
{
	struct ostore os;
	struct exec_report r;
	uint32_t ref, ref2;

	(void)state;
	setup(&os, NULL);
	ref = send_new(&os, 10, 1, 'S', PX, 100);
	ref2 = send_new(&os, 11, 1, 'S', PX, 100);
	ostore_on_accepted(&os, ref, 1, NULL);
	ostore_on_accepted(&os, ref2, 1, NULL);
	assert_int_equal(ostore_on_executed(&os, ref, 10, PX, 500, 2, &r), OSTORE_PARTIAL);
	memset(&r, 0x5a, sizeof(r));
	assert_int_equal(ostore_on_executed(&os, ref, 10, PX, 500, 2, &r), -EALREADY);
	assert_int_equal(r.kind, 0x5a); /* untouched */
	assert_int_equal(os.cnt.dup_fills, 1);
	assert_int_equal(ostore_sym_at(&os, 1)->pos, -10);
	/* The same match number on another order is a different fill. */
	assert_int_equal(ostore_on_executed(&os, ref2, 10, PX, 500, 2, NULL), OSTORE_PARTIAL);
	assert_int_equal(ostore_sym_at(&os, 1)->pos, -20);
	/* Remembered over the last OSTORE_MATCH_MEMORY fills of the order. */
	for (uint64_t m = 501; m < 501 + OSTORE_MATCH_MEMORY - 1; m++)
		assert_int_equal(ostore_on_executed(&os, ref, 1, PX, m, 3, NULL), OSTORE_PARTIAL);
	assert_int_equal(ostore_on_executed(&os, ref, 1, PX, 500, 3, NULL), -EALREADY);
	assert_int_equal(ostore_on_executed(&os, ref, 1, PX, 503, 3, NULL), -EALREADY);
	assert_int_equal(os.cnt.dup_fills, 3);
	assert_int_equal(by_token(&os, 10)->cum, 10 + OSTORE_MATCH_MEMORY - 1);
	assert_int_equal(os.cnt.fills, 2 + OSTORE_MATCH_MEMORY - 1);
	ostore_fini(&os);
}

static void test_replace(void **state)
{
	struct ostore os;
	struct exec_report r;
	struct order_intent in;
	uint32_t ref, o, n;
	const struct ostore_sym *s;

	(void)state;
	setup(&os, NULL);
	s = ostore_sym_at(&os, 3);
	ref = send_new(&os, 20, 3, 'B', PX, 100);
	in = intent(INTENT_REPLACE, 21, 20, 3, 'B', PX + 500, 150);
	assert_int_equal(ostore_send_replace(&os, &in, T0, &o, &n), -EBUSY); /* not accepted */
	ostore_on_accepted(&os, ref, 1, NULL);
	ostore_on_executed(&os, ref, 20, PX, 1, 2, NULL);
	assert_int_equal(s->buy_res, 80);

	/* Bad replaces: other side, other symbol, used token, unknown order. */
	in = intent(INTENT_REPLACE, 21, 20, 3, 'S', PX, 150);
	assert_int_equal(ostore_send_replace(&os, &in, T0, &o, &n), -EINVAL);
	in = intent(INTENT_REPLACE, 21, 20, 2, 'B', PX, 150);
	assert_int_equal(ostore_send_replace(&os, &in, T0, &o, &n), -EINVAL);
	in = intent(INTENT_REPLACE, 20, 20, 3, 'B', PX, 150);
	assert_int_equal(ostore_send_replace(&os, &in, T0, &o, &n), -EEXIST);
	in = intent(INTENT_REPLACE, 21, 99, 3, 'B', PX, 150);
	assert_int_equal(ostore_send_replace(&os, &in, T0, &o, &n), -ENOENT);

	/* Up: reserves the larger (new), shares and notional. */
	in = intent(INTENT_REPLACE, 21, 20, 3, 'B', PX + 500, 150);
	assert_int_equal(ostore_send_replace(&os, &in, T0, &o, &n), 0);
	assert_int_equal(o, ref);
	assert_int_equal(n, 2);
	assert_int_equal(by_token(&os, 20)->state, OSTORE_PENDING_REPLACE);
	assert_ptr_equal(by_token(&os, 21), by_token(&os, 20));
	assert_int_equal(ostore_find_ref(&os, n), ostore_find_ref(&os, o));
	assert_int_equal(s->buy_res, 150);
	assert_int_equal(s->res_ntl, 150ull * (PX + 500));
	assert_int_equal(os.n_open, 1);
	assert_int_equal(ostore_send_replace(&os, &in, T0, &o, &n), -EBUSY);
	assert_int_equal(ostore_send_cancel(&os, 20, T0, &o), -EBUSY);

	/* A fill on the old order while the replace is in flight. */
	assert_int_equal(ostore_on_executed(&os, ref, 10, PX, 2, 3, NULL), OSTORE_PENDING_REPLACE);
	assert_int_equal(s->pos, 30);
	assert_int_equal(s->buy_res, 150);
	/* A fill naming the replacement before it exists does not fit. */
	assert_int_equal(ostore_on_executed(&os, n, 10, PX, 3, 3, NULL), -EPROTO);
	assert_int_equal(ostore_on_replaced(&os, ref, n + 1, 150, PX + 500, 4, NULL), -EPROTO);

	assert_int_equal(ostore_on_replaced(&os, ref, n, 150, PX + 500, 4, &r), OSTORE_PARTIAL);
	assert_int_equal(r.kind, EXEC_REPLACED);
	assert_int_equal(r.token, 21);
	assert_int_equal(r.leaves, 150);
	assert_int_equal(r.px, PX + 500);
	assert_int_equal(ostore_find_token(&os, 20), OSTORE_NIL);
	assert_true(ostore_token_used(&os, 20));
	assert_int_equal(ostore_find_ref(&os, ref), OSTORE_NIL);
	assert_int_equal(by_token(&os, 21)->ref, n);
	assert_int_equal(by_token(&os, 21)->state, OSTORE_PARTIAL);
	assert_int_equal(s->buy_res, 150);
	assert_int_equal(s->res_ntl, 150ull * (PX + 500));

	/* Down: reserves the larger (old) until confirmed. */
	in = intent(INTENT_REPLACE, 22, 21, 3, 'B', PX - 500, 40);
	assert_int_equal(ostore_send_replace(&os, &in, T0, &o, &n), 0);
	assert_int_equal(s->buy_res, 150);
	assert_int_equal(s->res_ntl, 150ull * (PX + 500));
	/* Rejected: the old order stands, the new token stays used. */
	assert_int_equal(ostore_on_rejected(&os, n, 'X', 5, &r), OSTORE_PARTIAL);
	assert_int_equal(r.kind, EXEC_REJECTED);
	assert_int_equal(r.token, 22);
	assert_int_equal(r.reason, 'X');
	assert_int_equal(ostore_find_token(&os, 22), OSTORE_NIL);
	assert_true(ostore_token_used(&os, 22));
	assert_int_equal(ostore_find_ref(&os, n), OSTORE_NIL);
	assert_int_equal(by_token(&os, 21)->state, OSTORE_PARTIAL);

	/* Again, confirmed this time: the reservation drops to the new size. */
	in = intent(INTENT_REPLACE, 23, 21, 3, 'B', PX - 500, 40);
	assert_int_equal(ostore_send_replace(&os, &in, T0, &o, &n), 0);
	assert_int_equal(ostore_on_replaced(&os, o, n, 40, PX - 500, 6, NULL), OSTORE_PARTIAL);
	assert_int_equal(s->buy_res, 40);
	assert_int_equal(s->res_ntl, 40ull * (PX - 500));
	assert_int_equal(os.open_ntl, 40ull * (PX - 500));

	/* Filled out under a pending replace: both tokens retire. */
	in = intent(INTENT_REPLACE, 24, 23, 3, 'B', PX, 60);
	assert_int_equal(ostore_send_replace(&os, &in, T0, &o, &n), 0);
	assert_int_equal(ostore_on_executed(&os, o, 40, PX - 500, 3, 7, NULL), OSTORE_FILLED);
	assert_int_equal(ostore_find_token(&os, 24), OSTORE_NIL);
	assert_true(ostore_token_used(&os, 24));
	assert_int_equal(ostore_find_ref(&os, n), OSTORE_NIL);
	assert_int_equal(s->buy_res, 0);
	assert_int_equal(os.open_ntl, 0);
	assert_int_equal(os.n_open, 0);
	assert_int_equal(ostore_on_rejected(&os, n, 'X', 8, NULL), -ENOENT);
	ostore_fini(&os);
}

static void test_reject_cancel_expire(void **state)
{
	struct ostore os;
	struct exec_report r;
	uint32_t a, b, c, d, x;

	(void)state;
	setup(&os, NULL);
	a = send_new(&os, 1, 1, 'B', PX, 10);
	b = send_new(&os, 2, 1, 'B', PX, 10);
	c = send_new(&os, 3, 1, 'S', PX + 100, 10);
	d = send_new(&os, 4, 2, 'S', PX + 100, 10);
	assert_int_equal(ostore_on_rejected(&os, a, 'Z', 1, &r), OSTORE_REJECTED);
	assert_int_equal(r.kind, EXEC_REJECTED);
	assert_int_equal(r.token, 1);
	assert_true(ostore_token_used(&os, 1));
	ostore_on_accepted(&os, b, 1, NULL);
	assert_int_equal(ostore_on_rejected(&os, b, 'Z', 1, NULL), -EPROTO); /* accepted */

	/* Cancel before the accept: accept keeps it pending cancel. */
	assert_int_equal(ostore_send_cancel(&os, 3, T0, &x), 0);
	assert_int_equal(ostore_on_accepted(&os, c, 2, NULL), OSTORE_PENDING_CANCEL);
	assert_int_equal(ostore_on_cancel_rejected(&os, c, 3, &r), OSTORE_LIVE);
	assert_int_equal(r.kind, EXEC_ACCEPTED);
	assert_int_equal(ostore_on_cancel_rejected(&os, c, 3, NULL), -EPROTO);

	/* Partial cancel by the venue keeps the state with fewer leaves. */
	assert_int_equal(ostore_on_canceled(&os, b, 4, 0, 4, &r), OSTORE_LIVE);
	assert_int_equal(r.qty, 4);
	assert_int_equal(r.leaves, 6);
	assert_int_equal(ostore_sym_at(&os, 1)->buy_res, 6);
	assert_int_equal(ostore_on_canceled(&os, b, 100, 0, 4, &r), OSTORE_CANCELED);
	assert_int_equal(r.qty, 6);

	/* Pending-new then canceled: rejected before the accept still closes. */
	assert_int_equal(ostore_send_cancel(&os, 4, T0, &x), 0);
	assert_int_equal(ostore_on_rejected(&os, d, 'Z', 5, NULL), OSTORE_REJECTED);

	assert_int_equal(ostore_on_expired(&os, c, 6, &r), OSTORE_EXPIRED);
	assert_int_equal(r.kind, EXEC_CANCELED);
	assert_int_equal(r.qty, 10);
	assert_int_equal(os.n_open, 0);
	assert_int_equal(os.open_ntl, 0);
	assert_int_equal(ostore_sym_at(&os, 1)->sell_res, 0);
	assert_int_equal(ostore_sym_at(&os, 1)->head, OSTORE_NIL);
	assert_int_equal(ostore_on_canceled(&os, 999, 0, 0, 1, NULL), -ENOENT);
	ostore_fini(&os);
}

/* Full store refuses; a terminal order's slot is reused; refs keep rising. */
/* A slot freed by an order that was filled, replaced and canceled holds
 * nothing of it when the next order takes it (sends do not clear slots:
 * release leaves them clear). */
static void test_recycled_slot_clean(void **state)
{
	struct ostore_cfg cfg = { .max_orders = 1, .max_locate = 1, .token_history = 4 };
	struct order_intent rp = intent(INTENT_REPLACE, 2, 1, 1, 'B', PX + 100, 50);
	const struct ostore_order *o;
	struct ostore os_rc;
	uint32_t a, old_ref, new_ref, b;

	(void)state;
	setup(&os_rc, &cfg);
	a = send_new(&os_rc, 1, 1, 'B', PX, 100);
	assert_int_equal(ostore_on_accepted(&os_rc, a, 1, NULL), OSTORE_LIVE);
	assert_int_equal(ostore_on_executed(&os_rc, a, 30, PX, 4242, 2, NULL), OSTORE_PARTIAL);
	assert_int_equal(ostore_send_replace(&os_rc, &rp, T0, &old_ref, &new_ref), 0);
	assert_int_equal(ostore_on_canceled(&os_rc, a, 0, 'U', 3, NULL), OSTORE_CANCELED);
	assert_int_equal(os_rc.n_open, 0);

	b = send_new(&os_rc, 7, 1, 'S', PX + 500, 10);
	o = by_token(&os_rc, 7);
	assert_int_equal(o->ref, b);
	assert_int_equal(o->state, OSTORE_PENDING_NEW);
	assert_int_equal(o->qty, 10);
	assert_int_equal(o->leaves, 10);
	assert_int_equal(o->cum, 0);
	assert_int_equal(o->n_match, 0);
	assert_int_equal(o->match_pos, 0);
	assert_int_equal(o->match[0], 0);
	assert_int_equal(o->new_token, 0);
	assert_int_equal(o->new_ref, 0);
	assert_int_equal(o->new_px, 0);
	assert_int_equal(o->new_qty, 0);
	assert_int_equal(o->prior, 0);
	assert_int_equal(o->res_qty, 10);
	assert_int_equal(o->res_ntl, 10ull * (PX + 500));
	assert_int_equal(o->next, OSTORE_NIL);
	assert_int_equal(o->prev, OSTORE_NIL);
	/* The old order's match number is not taken for a duplicate fill. */
	assert_int_equal(ostore_on_accepted(&os_rc, b, 4, NULL), OSTORE_LIVE);
	assert_int_equal(ostore_on_executed(&os_rc, b, 4, PX + 500, 4242, 5, NULL), OSTORE_PARTIAL);
	ostore_fini(&os_rc);
}

static void test_full_and_recycle(void **state)
{
	struct ostore_cfg cfg = { .max_orders = 2, .max_locate = 1, .token_history = 2 };
	struct ostore os;
	struct order_intent in = intent(INTENT_NEW, 3, 0, 1, 'B', PX, 1);
	uint32_t a, b, ref, s1;

	(void)state;
	setup(&os, &cfg);
	a = send_new(&os, 1, 1, 'B', PX, 1);
	b = send_new(&os, 2, 1, 'B', PX, 1);
	s1 = ostore_find_ref(&os, a);
	assert_int_equal(ostore_send_new(&os, &in, T0, &ref), -ENOSPC);
	assert_int_equal(ostore_on_rejected(&os, a, 0, 1, NULL), OSTORE_REJECTED);
	assert_int_equal(ostore_send_new(&os, &in, T0, &ref), 0);
	assert_int_equal(ref, 3);
	assert_int_equal(ostore_find_ref(&os, ref), s1);
	assert_int_equal(ostore_on_rejected(&os, b, 0, 1, NULL), OSTORE_REJECTED);

	/* token_history 2: tokens 1, 2 retired; retiring 3 forgets 1. */
	assert_true(ostore_token_used(&os, 1));
	assert_true(ostore_token_used(&os, 2));
	assert_int_equal(ostore_on_rejected(&os, ref, 0, 1, NULL), OSTORE_REJECTED);
	assert_false(ostore_token_used(&os, 1));
	assert_true(ostore_token_used(&os, 2));
	assert_true(ostore_token_used(&os, 3));
	assert_true(ostore_token_used(&os, 0));
	in = intent(INTENT_NEW, 2, 0, 1, 'B', PX, 1);
	assert_int_equal(ostore_send_new(&os, &in, T0, &ref), -EEXIST);
	in = intent(INTENT_NEW, 9, 0, 1, 'B', 0, 1);
	assert_int_equal(ostore_send_new(&os, &in, T0, &ref), -EINVAL);
	in = intent(INTENT_NEW, 9, 0, 2, 'B', PX, 1);
	assert_int_equal(ostore_send_new(&os, &in, T0, &ref), -EINVAL);
	in = intent(INTENT_NEW, 9, 0, 1, 'X', PX, 1);
	assert_int_equal(ostore_send_new(&os, &in, T0, &ref), -EINVAL);
	ostore_fini(&os);
}

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Many orders in and out of a small store: every open order is found by
 * token and ref, a closed one's ref no more (backward-shift deletion). Tokens
 * are tok_mul apart: 1 packs them into the token index's groups of four;
 * refs wrap the direct-mapped ref index many times over, which puts some
 * of them off their home slot (ref_away). */
static void index_churn(uint64_t tok_mul)
{
	enum { N = 64 };
	struct ostore_cfg cfg = { .max_orders = N, .max_locate = 3, .token_history = 32 };
	struct ostore os;
	uint64_t tok[N] = { 0 }, seed = 42, next = 1;
	uint32_t ref[N] = { 0 };
	int seen_away = 0;

	setup(&os, &cfg);
	for (int step = 0; step < 20000; step++) {
		uint32_t i = (uint32_t)(rng_next(&seed) % N);

		if (!tok[i]) {
			struct order_intent in = intent(INTENT_NEW, next * tok_mul, 0,
							(uint16_t)(1 + i % 3), 'B', PX, 5);

			assert_int_equal(ostore_send_new(&os, &in, T0, &ref[i]), 0);
			tok[i] = next++ * tok_mul;
		} else {
			assert_int_equal(ostore_on_rejected(&os, ref[i], 0, 1, NULL), OSTORE_REJECTED);
			assert_int_equal(ostore_find_ref(&os, ref[i]), OSTORE_NIL);
			tok[i] = 0;
		}
		if (step % 97 == 0) {
			uint32_t open = 0, away = 0;

			/* ref_away counts the ref entries off their home slot. */
			for (uint32_t k = 0; k <= os.ref_mask; k++)
				away += os.ref[k].key && ostore_ref_home(os.ref[k].key, os.ref_mask) != k;
			assert_int_equal(os.ref_away, away);
			seen_away |= away != 0;
			for (uint32_t k = 0; k < N; k++) {
				if (!tok[k])
					continue;
				open++;
				assert_int_equal(ostore_find_token(&os, tok[k]), ostore_find_ref(&os, ref[k]));
				assert_int_equal(ostore_order_at(&os, ostore_find_ref(&os, ref[k]))->ref,
						 ref[k]);
			}
			assert_int_equal(os.n_open, open);
			assert_int_equal(ostore_sym_at(&os, 1)->buy_res + ostore_sym_at(&os, 2)->buy_res +
						 ostore_sym_at(&os, 3)->buy_res,
					 5ull * open);
		}
	}
	assert_true(seen_away); /* the deletes' slow walk ran too */
	ostore_fini(&os);
}

static void test_index_churn(void **state)
{
	(void)state;
	index_churn(7919);
	index_churn(1);
}

/* The homes ostore_prefetch_intent leaves for the checks are the two
 * tokens' own (token's in tok_home, orig_token's in orig_home), and the
 * lookups from a home find what the plain ones find, also past a home
 * another token took first. */
static void test_probe_homes(void **state)
{
	struct ostore os;
	struct ostore_probe p;
	struct order_intent in;
	uint32_t m, home, ref;
	uint64_t a = 8, b = 0;

	(void)state;
	setup(&os, NULL);
	m = os.tok_mask;
	/* A token whose home is a's own: it lands past a in the probe. */
	home = ostore_tok_home(a, m);
	for (uint64_t t = a + 1; !b; t++)
		if (ostore_tok_home(t, m) == home)
			b = t;
	send_new(&os, a, 1, 'B', 100, 10);
	send_new(&os, b, 1, 'B', 100, 10);

	in = intent(INTENT_REPLACE, 77, b, 1, 'B', 101, 10);
	memset(&p, 0xA5, sizeof(p));
	ostore_prefetch_intent(&os, &in, &p);
	assert_int_equal(p.tok_home, ostore_tok_home(77, m));
	assert_int_equal(p.orig_home, ostore_tok_home(b, m));
	assert_int_equal(ostore_find_token_from(&os, b, p.orig_home), ostore_find_token(&os, b));
	assert_int_not_equal(ostore_find_token(&os, b), ostore_find_token(&os, a));
	assert_int_equal(ostore_probe_token_from(&os, 77, p.tok_home, &p), 0);
	assert_int_equal(ostore_probe_token_from(&os, b, home, &p), 1);
	assert_int_equal(os.tok[p.tok_at].key, b);

	/* A NEW has no orig_token, a CANCEL no token: their homes are token
	 * 0's (slot 0), as ostore_probe_homes sets them; and the home a NEW's
	 * or CANCEL's checks do not use is left 0 whatever the token. */
	assert_int_equal(ostore_tok_home(0, m), 0);
	in = intent(INTENT_NEW, 77, 0, 1, 'B', 100, 10);
	memset(&p, 0xA5, sizeof(p));
	ostore_prefetch_intent(&os, &in, &p);
	assert_int_equal(p.tok_home, ostore_tok_home(77, m));
	assert_int_equal(p.orig_home, 0);
	in = intent(INTENT_CANCEL, 0, b, 1, 0, 0, 0);
	memset(&p, 0xA5, sizeof(p));
	ostore_prefetch_intent(&os, &in, &p);
	assert_int_equal(p.tok_home, 0);
	assert_int_equal(p.orig_home, ostore_tok_home(b, m));
	in = intent(INTENT_NEW, 77, b, 1, 'B', 100, 10);
	ostore_prefetch_intent(&os, &in, &p);
	assert_int_equal(p.tok_home, ostore_tok_home(77, m));
	assert_int_equal(p.orig_home, 0);
	in = intent(INTENT_CANCEL, 77, b, 1, 0, 0, 0);
	ostore_prefetch_intent(&os, &in, &p);
	assert_int_equal(p.tok_home, 0);
	assert_int_equal(p.orig_home, ostore_tok_home(b, m));
	in = intent(INTENT_REPLACE, 0, 0, 1, 'B', 100, 10);
	memset(&p, 0xA5, sizeof(p));
	ostore_prefetch_intent(&os, &in, &p);
	assert_int_equal(p.tok_home, 0);
	assert_int_equal(p.orig_home, 0);

	/* The probed sends take the entry the probe from the home found. */
	in = intent(INTENT_NEW, 77, 0, 1, 'B', 100, 10);
	ostore_probe_homes(&os, &in, &p);
	assert_int_equal(ostore_probe_token_from(&os, in.token, p.tok_home, &p), 0);
	assert_int_equal(ostore_send_new_probed(&os, &in, &p, T0, &ref), 0);
	assert_int_equal(ostore_find_token(&os, 77), ostore_find_ref(&os, ref));
	ostore_fini(&os);
}

/* A block of OSTORE_TOK_BLOCK consecutive tokens takes one lane of
 * consecutive lines of one 4 KiB page (a strategy's next token lies on the
 * line next to its last one), the next block starts elsewhere, and a full
 * block in a store is found token by token at its homes. */
static void test_token_block(void **state)
{
	const uint32_t m = (1u << 20) - 1;
	const struct ostore_cfg cfg = { .max_orders = OSTORE_TOK_BLOCK, .max_locate = 4 };
	struct ostore os;
	uint32_t ref;

	(void)state;
	for (uint64_t base = 0; base < 64 * 1000; base += OSTORE_TOK_BLOCK) {
		uint32_t h = ostore_tok_home(base, m);

		assert_int_equal(h % 256, h % OSTORE_TOK_PER_LINE); /* page start, a lane */
		for (uint32_t i = 1; i < OSTORE_TOK_BLOCK; i++)
			assert_int_equal(ostore_tok_home(base + i, m), (h + i * OSTORE_TOK_PER_LINE) & m);
	}
	assert_int_not_equal(ostore_tok_home(OSTORE_TOK_BLOCK, m),
			     ostore_tok_home(OSTORE_TOK_BLOCK - 1, m) + OSTORE_TOK_PER_LINE);

	setup(&os, &cfg);
	for (uint64_t t = 5 * OSTORE_TOK_BLOCK; t < 6 * OSTORE_TOK_BLOCK; t++) {
		struct order_intent in = intent(INTENT_NEW, t, 0, 1, 'B', 100, 10);

		assert_int_equal(ostore_send_new(&os, &in, T0, &ref), 0);
	}
	for (uint64_t t = 5 * OSTORE_TOK_BLOCK; t < 6 * OSTORE_TOK_BLOCK; t++) {
		uint32_t h = ostore_tok_home(t, os.tok_mask);

		assert_int_equal(os.tok[h].key, t);
		assert_int_equal(ostore_find_token(&os, t), os.tok[h].slot);
	}
	ostore_fini(&os);
}

/* The gateway's default index (262144 entries) holding a full token
 * history of consecutive tokens, as after a long run: a new token's probe
 * (linear, as ostore_tok_pos) stops within a few entries of its home.
 * Blocks on consecutive slots met whole (64 entries scanned), and 4-token
 * groups hashed apart 13. */
static void test_token_probe_short(void **state)
{
	const uint32_t cap = 1u << 18, m = cap - 1, n = 65536 + 40;
	const uint64_t t0[] = { 1, 1000000, 1ull << 40 };
	uint8_t *used = malloc(cap);

	(void)state;
	assert_non_null(used);
	for (size_t k = 0; k < sizeof(t0) / sizeof(t0[0]); k++) {
		uint32_t worst = 0;

		memset(used, 0, cap);
		for (uint64_t t = t0[k]; t < t0[k] + n; t++) {
			uint32_t i = ostore_tok_home(t, m);

			while (used[i])
				i = (i + 1) & m;
			used[i] = 1;
		}
		for (uint64_t t = t0[k] + n; t < t0[k] + n + 4096; t++) {
			uint32_t i = ostore_tok_home(t, m), len = 1;

			while (used[i]) {
				i = (i + 1) & m;
				len++;
			}
			if (len > worst)
				worst = len;
		}
		assert_in_range(worst, 1, 4);
	}
	free(used);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(ostore_state_name(OSTORE_PENDING_REPLACE), "pending_replace");
	assert_string_equal(ostore_state_name(OSTORE_EXPIRED), "expired");
	assert_string_equal(ostore_state_name(10), "?");
	assert_string_equal(ostore_state_name(-1), "?");
}

/* The open orders' best prices by walking, as the self-cross check did. */
static int walk_cross(const struct ostore *os, uint16_t loc, uint8_t side, uint32_t px)
{
	for (uint32_t i = ostore_sym_next(os, loc, OSTORE_NIL); i != OSTORE_NIL;
	     i = ostore_sym_next(os, loc, i)) {
		const struct ostore_order *o = ostore_order_at(os, i);
		int pend = o->state == OSTORE_PENDING_REPLACE;

		if (o->side == side)
			continue;
		if (side == 'B' && (o->px <= px || (pend && o->new_px <= px)))
			return 1;
		if (side == 'S' && (o->px >= px || (pend && o->new_px >= px)))
			return 1;
	}
	return 0;
}

static uint32_t xs(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* best_bid / best_ask and ostore_would_cross agree with a walk of the
 * symbol's orders after every send and venue event of a seeded random run,
 * including the sentinel prices (a buy at UINT32_MAX, a sell at 0). */
static void test_best_prices(void **state)
{
	struct ostore_cfg cfg = { .max_orders = 16, .max_locate = 2, .token_history = 64 };
	struct ostore os;
	uint32_t seed = 12345, refs[16] = { 0 };
	uint64_t tok = 1, match = 1;
	int checked = 0;

	(void)state;
	setup(&os, &cfg);
	for (int step = 0; step < 20000; step++) {
		uint32_t r = xs(&seed), slot = xs(&seed) % cfg.max_orders;
		const struct ostore_order *o = ostore_order_at(&os, slot);
		uint32_t px = PX + (xs(&seed) % 21) * 100 - 1000, ref;
		uint16_t loc = (uint16_t)(1 + r % 2);
		uint8_t side = (r >> 1) & 1 ? 'B' : 'S';
		struct order_intent in;

		switch ((r >> 2) % 9) {
		case 0:
		case 1:
			in = intent(INTENT_NEW, tok++, 0, loc, side, px, 100);
			(void)ostore_send_new(&os, &in, T0, &ref);
			break;
		case 2:
			if (o->state == OSTORE_FREE)
				break;
			in = intent(INTENT_REPLACE, tok++, o->token, o->locate, o->side, px, 50);
			(void)ostore_send_replace(&os, &in, T0, &ref, &refs[slot]);
			break;
		case 3:
			if (o->state != OSTORE_FREE)
				(void)ostore_send_cancel(&os, o->token, T0, &ref);
			break;
		case 4:
			if (o->state != OSTORE_FREE)
				(void)ostore_on_accepted(&os, o->ref, T0, NULL);
			break;
		case 5:
			if (o->state == OSTORE_PENDING_REPLACE && (r >> 8) & 1)
				(void)ostore_on_replaced(&os, o->ref, o->new_ref, (r >> 9) % 3 * 25,
							 px, T0, NULL);
			else if (o->state == OSTORE_PENDING_REPLACE)
				(void)ostore_on_rejected(&os, o->new_ref, 1, T0, NULL);
			else if (o->state != OSTORE_FREE)
				(void)ostore_on_rejected(&os, o->ref, 1, T0, NULL);
			break;
		case 6:
			if (o->state != OSTORE_FREE)
				(void)ostore_on_canceled(&os, o->ref, (r >> 8) % 60, 'U', T0, NULL);
			break;
		case 7:
			if (o->state != OSTORE_FREE)
				(void)ostore_on_executed(&os, o->ref, 1 + (r >> 8) % 60, o->px,
							 match++, T0, NULL);
			break;
		default:
			if (o->state == OSTORE_PENDING_CANCEL)
				(void)ostore_on_cancel_rejected(&os, o->ref, T0, NULL);
			else if (o->state != OSTORE_FREE && (r >> 8) % 4 == 0)
				(void)ostore_on_expired(&os, o->ref, T0, NULL);
			break;
		}
		for (uint16_t l = 1; l <= 2; l++) {
			const uint32_t probe[] = { 0, 1, PX - 500, PX, PX + 500, UINT32_MAX };

			for (size_t k = 0; k < sizeof(probe) / sizeof(probe[0]); k++) {
				assert_int_equal(ostore_would_cross(&os, l, 'B', probe[k]),
						 walk_cross(&os, l, 'B', probe[k]));
				assert_int_equal(ostore_would_cross(&os, l, 'S', probe[k]),
						 walk_cross(&os, l, 'S', probe[k]));
				checked++;
			}
		}
	}
	assert_true(os.cnt.fills > 100);
	assert_int_equal(checked, 20000 * 2 * 6);
	ostore_fini(&os);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg),
		cmocka_unit_test(test_caller_memory),
		cmocka_unit_test(test_life_partial_then_full),
		cmocka_unit_test(test_sell_and_refs),
		cmocka_unit_test(test_fill_after_cancel_sent),
		cmocka_unit_test(test_duplicate_fill),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_reject_cancel_expire),
		cmocka_unit_test(test_full_and_recycle),
		cmocka_unit_test(test_recycled_slot_clean),
		cmocka_unit_test(test_index_churn),
		cmocka_unit_test(test_probe_homes),
		cmocka_unit_test(test_token_block),
		cmocka_unit_test(test_token_probe_short),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_best_prices),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
