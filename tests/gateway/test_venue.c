/* test_venue.c - the paper venue on hand-built ITCH sequences applied to a
 * real book through feed_on_message, each with an exactly known outcome:
 * queue ahead consumed before we fill, partial fills, trade-throughs,
 * a fill beating a cancel, post-only rejects, taking two levels, report
 * ordering under ack jitter, latency determinism per seed, overflow; and a
 * whole real ITCH file with a simple quoting loop: invariants and the same
 * report stream twice for one seed; a long random stream through a venue
 * with the md prefilter and one without: the same reports. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/feed.h"
#include "dataplane/itch_enc.h"
#include "gateway/venue.h"
#include "dataplane/binfile.h"
#include "dataplane/itch.h"
#include "hw/arena.h"
#include "tests/test_data.h"

#define LOC 7
#define PX 1000000u /* 100.00 USD */
#define TICK 100u   /* one cent */
#define ENTRY_NS 1000u
#define ACK_NS 500u

struct fx {
	struct arena a;
	struct feed f;
	struct venue v;
	struct md_event ev[8];
	struct venue_report rep[256];
	uint32_t nrep;
	uint64_t seq;
};

static void cfg_const(struct venue_cfg *c)
{
	venue_cfg_defaults(c);
	c->entry.base_ns = ENTRY_NS;
	c->entry.jitter_ns = 0;
	c->ack.base_ns = ACK_NS;
	c->ack.jitter_ns = 0;
	c->taker_fee_e4 = 30;
	c->maker_rebate_e4 = 20;
}

static struct fx *fx_new_sized(const struct venue_cfg *vc, uint32_t max_orders,
				uint32_t max_locate)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct feed_cfg fc;
	struct arena_cfg ac = { .no_huge = true, .no_lock = true };

	assert_non_null(x);
	feed_cfg_defaults(&fc);
	fc.book.max_orders = max_orders;
	fc.book.max_locate = max_locate;
	ac.size = feed_memsize(&fc) + venue_memsize(vc);
	assert_true(venue_memsize(vc) > 0);
	assert_int_equal(arena_init(&x->a, &ac), 0);
	assert_int_equal(feed_init(&x->f, &fc, &x->a), 0);
	assert_int_equal(venue_init(&x->v, vc, x->f.books, &x->a), 0);
	return x;
}

static struct fx *fx_new(const struct venue_cfg *vc)
{
	return fx_new_sized(vc, 1024, 16);
}

static void fx_free(struct fx *x)
{
	venue_fini(&x->v);
	feed_fini(&x->f);
	arena_fini(&x->a);
	free(x);
}

/* The pipeline's order for one ITCH message stamped t: our messages due by
 * t, then the book, then the venue sees the event. */
static void md(struct fx *x, struct itch_msg m, uint64_t t)
{
	uint8_t buf[64];
	int len;
	uint32_t n;

	m.locate = m.locate ? m.locate : LOC;
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

static struct itch_msg ex(uint64_t ref, uint32_t shares)
{
	struct itch_msg m;

	memset(&m, 0, sizeof(m));
	m.type = 'E';
	m.exec.ref = ref;
	m.exec.shares = shares;
	m.exec.match = 1;
	return m;
}

static struct itch_msg cxl(uint64_t ref, uint32_t shares)
{
	struct itch_msg m;

	memset(&m, 0, sizeof(m));
	m.type = 'X';
	m.cancel.ref = ref;
	m.cancel.shares = shares;
	return m;
}

static struct itch_msg del(uint64_t ref)
{
	struct itch_msg m;

	memset(&m, 0, sizeof(m));
	m.type = 'D';
	m.del.ref = ref;
	return m;
}

static struct itch_msg upd(uint64_t old_ref, uint64_t new_ref, uint32_t shares, uint32_t px)
{
	struct itch_msg m;

	memset(&m, 0, sizeof(m));
	m.type = 'U';
	m.replace.old_ref = old_ref;
	m.replace.new_ref = new_ref;
	m.replace.shares = shares;
	m.replace.price = px;
	return m;
}

static struct itch_msg halt(uint8_t state)
{
	struct itch_msg m;

	memset(&m, 0, sizeof(m));
	m.type = 'H';
	memcpy(m.trading_action.stock, "TEST    ", 8);
	m.trading_action.state = state;
	return m;
}

static void enter(struct fx *x, uint32_t ref, uint8_t side, uint32_t qty, uint32_t px,
		  uint8_t flags, uint64_t t)
{
	struct venue_enter e = { .user_ref = ref, .qty = qty, .px = px, .locate = LOC,
				 .side = side, .flags = flags };

	assert_int_equal(venue_submit_enter(&x->v, &e, t), 0);
}

/* Poll everything due by now (appended to x->rep); returns how many. */
static uint32_t poll(struct fx *x, uint64_t now)
{
	uint32_t n = venue_poll(&x->v, now, x->rep + x->nrep, 256 - x->nrep);

	x->nrep += n;
	return n;
}

static void assert_rep(const struct venue_report *r, uint8_t kind, uint32_t ref, uint32_t px,
		       uint32_t qty, uint32_t leaves)
{
	if (r->kind != kind || r->user_ref != ref || r->px != px || r->qty != qty ||
	    r->leaves != leaves)
		print_error("report kind %u ref %u px %u qty %u leaves %u reason %u; want "
			    "kind %u ref %u px %u qty %u leaves %u\n",
			    r->kind, r->user_ref, r->px, r->qty, r->leaves, r->reason, kind, ref,
			    px, qty, leaves);
	assert_int_equal(r->kind, kind);
	assert_int_equal(r->user_ref, ref);
	assert_int_equal(r->px, px);
	assert_int_equal(r->qty, qty);
	assert_int_equal(r->leaves, leaves);
}

/* 300 shares ahead must trade before we fill; then partial fills. */
static void test_queue_ahead_then_partial_fills(void **state)
{
	struct venue_cfg c;
	struct fx *x;
	const struct venue_order *o;

	(void)state;
	cfg_const(&c);
	x = fx_new(&c);
	md(x, add(1, 'B', 100, PX), 100);
	md(x, add(2, 'B', 200, PX), 200);
	md(x, add(3, 'S', 500, PX + TICK), 300);
	enter(x, 77, 'B', 100, PX, VENUE_F_POST_ONLY, 1000); /* arrives 2000 */
	md(x, add(4, 'B', 50, PX), 3000);  /* behind us */
	o = venue_order_find(&x->v, 77);
	assert_non_null(o);
	assert_int_equal(o->ahead, 300);
	assert_true(o->mark >= 3 && o->mark < 4);

	md(x, ex(1, 100), 4000);
	md(x, ex(2, 150), 5000);
	md(x, ex(2, 50), 6000);           /* the 300 ahead are gone */
	assert_int_equal(venue_order_find(&x->v, 77)->ahead, 0);
	assert_int_equal(x->v.cnt.fills_maker, 0);
	assert_int_equal(poll(x, 6999), 1);
	assert_rep(&x->rep[0], VENUE_ACCEPTED, 77, PX, 100, 100);
	assert_int_equal(x->rep[0].t_venue_ns, 2000);
	assert_int_equal(x->rep[0].t_ns, 2000 + ACK_NS);

	md(x, ex(4, 30), 7000);           /* behind us: we were first */
	md(x, ex(4, 20), 8000);
	md(x, add(5, 'B', 500, PX), 8500);
	md(x, ex(5, 80), 9000);           /* only 50 left to fill */
	assert_null(venue_order_find(&x->v, 77));
	assert_int_equal(poll(x, 100000), 3);
	assert_rep(&x->rep[1], VENUE_EXECUTED, 77, PX, 30, 70);
	assert_int_equal(x->rep[1].liquidity, 'A');
	assert_int_equal(x->rep[1].fee_e4, -30 * 20);
	assert_int_equal(x->rep[1].match, 1);
	assert_int_equal(x->rep[1].t_ns, 7000 + ACK_NS);
	assert_rep(&x->rep[2], VENUE_EXECUTED, 77, PX, 20, 50);
	assert_int_equal(x->rep[2].match, 2);
	assert_rep(&x->rep[3], VENUE_EXECUTED, 77, PX, 50, 0);
	assert_int_equal(x->v.cnt.shares_maker, 100);
	assert_int_equal(x->v.cnt.fees_e4, -100 * 20);
	assert_int_equal(x->v.cnt.fills_queue, 3);
	fx_free(x);
}

/* Cancels, deletes and replaces of orders ahead move us up; those of
 * orders behind do not. */
static void test_cancels_ahead_and_behind(void **state)
{
	struct venue_cfg c;
	struct fx *x;

	(void)state;
	cfg_const(&c);
	x = fx_new(&c);
	md(x, add(10, 'B', 100, PX), 100);
	md(x, add(11, 'B', 200, PX), 200);
	md(x, add(12, 'B', 400, PX), 300);
	enter(x, 1, 'B', 100, PX, VENUE_F_POST_ONLY, 1000);
	md(x, add(13, 'B', 70, PX), 3000);         /* behind */
	assert_int_equal(venue_order_find(&x->v, 1)->ahead, 700);
	md(x, cxl(10, 60), 4000);                  /* X ahead */
	assert_int_equal(venue_order_find(&x->v, 1)->ahead, 640);
	md(x, del(11), 5000);                      /* D ahead */
	assert_int_equal(venue_order_find(&x->v, 1)->ahead, 440);
	md(x, del(13), 6000);                      /* D behind */
	assert_int_equal(venue_order_find(&x->v, 1)->ahead, 440);
	md(x, upd(12, 14, 400, PX - TICK), 7000);  /* U ahead, moves away */
	assert_int_equal(venue_order_find(&x->v, 1)->ahead, 40);
	md(x, upd(10, 15, 40, PX), 8000);          /* U ahead, same price: loses
						    * priority, now behind us */
	assert_int_equal(venue_order_find(&x->v, 1)->ahead, 0);
	assert_true(x->v.cnt.walks >= 2);
	md(x, ex(15, 25), 9000);                   /* behind us: we fill */
	assert_int_equal(x->v.cnt.shares_maker, 25);
	assert_int_equal(venue_order_find(&x->v, 1)->leaves, 75);
	fx_free(x);
}

/* A recorded execution below our bid fills us (trade-through); an opposite
 * add at our price fills us, and its later execution is not ours twice. */
static void test_trade_through_and_cross(void **state)
{
	struct venue_cfg c;
	struct fx *x;

	(void)state;
	cfg_const(&c);
	x = fx_new(&c);
	md(x, add(1, 'B', 500, PX - TICK), 100);
	md(x, add(2, 'S', 200, PX + 2 * TICK), 200);
	enter(x, 5, 'B', 100, PX, VENUE_F_POST_ONLY, 1000);
	md(x, add(3, 'B', 10, PX - 2 * TICK), 2500);
	assert_int_equal(venue_order_find(&x->v, 5)->ahead, 0);
	md(x, ex(1, 60), 3000);                   /* sold at 99.99 through our 100.00 */
	assert_int_equal(venue_order_find(&x->v, 5)->leaves, 40);
	assert_int_equal(x->v.cnt.fills_through, 1);
	md(x, add(4, 'S', 30, PX), 4000);         /* a seller at our price */
	assert_int_equal(venue_order_find(&x->v, 5)->leaves, 10);
	assert_int_equal(x->v.cnt.fills_cross, 1);
	md(x, ex(4, 30), 5000);                   /* someone lifts what we took */
	assert_int_equal(venue_order_find(&x->v, 5)->leaves, 10);
	assert_int_equal(x->v.cnt.absorbed, 30);
	md(x, add(6, 'S', 50, PX - TICK), 6000);  /* through our price */
	assert_null(venue_order_find(&x->v, 5));
	assert_int_equal(poll(x, 100000), 4);
	assert_rep(&x->rep[1], VENUE_EXECUTED, 5, PX, 60, 40);
	assert_rep(&x->rep[2], VENUE_EXECUTED, 5, PX, 30, 10);
	assert_rep(&x->rep[3], VENUE_EXECUTED, 5, PX, 10, 0);
	for (int i = 1; i < 4; i++) {
		assert_int_equal(x->rep[i].liquidity, 'A');
		assert_int_equal(x->rep[i].match, (uint64_t)i);
	}
	fx_free(x);
}

/* The cancel is sent before the execution happens, but reaches the venue
 * after it: the fill stands and the cancel takes only what is left, or is
 * rejected when nothing is. */
static void test_cancel_races_fill(void **state)
{
	struct venue_cfg c;
	struct venue_cancel k = { .user_ref = 9, .qty = 0 };
	struct venue_cancel k2 = { .user_ref = 10, .qty = 0 };
	struct fx *x;

	(void)state;
	cfg_const(&c);
	x = fx_new(&c);
	md(x, add(1, 'B', 500, PX - TICK), 100);
	enter(x, 9, 'B', 200, PX, VENUE_F_POST_ONLY, 1000);
	enter(x, 10, 'S', 50, PX + 5 * TICK, VENUE_F_POST_ONLY, 1000);
	md(x, add(2, 'S', 100, PX + 9 * TICK), 2500);
	assert_int_equal(venue_submit_cancel(&x->v, &k, 10000), 0);  /* arrives 11000 */
	assert_int_equal(venue_submit_cancel(&x->v, &k2, 10000), 0);
	md(x, ex(1, 150), 10500);                 /* before the cancel arrives */
	md(x, add(3, 'B', 80, PX + 6 * TICK), 10600); /* crosses our whole offer */
	assert_int_equal(venue_order_find(&x->v, 9)->leaves, 50);
	assert_null(venue_order_find(&x->v, 10));
	venue_advance(&x->v, 11000);
	assert_null(venue_order_find(&x->v, 9));
	assert_int_equal(poll(x, 100000), 6);
	assert_rep(&x->rep[0], VENUE_ACCEPTED, 9, PX, 200, 200);
	assert_rep(&x->rep[1], VENUE_ACCEPTED, 10, PX + 5 * TICK, 50, 50);
	assert_rep(&x->rep[2], VENUE_EXECUTED, 9, PX, 150, 50);
	assert_int_equal(x->rep[2].t_ns, 10500 + ACK_NS);
	assert_rep(&x->rep[3], VENUE_EXECUTED, 10, PX + 5 * TICK, 50, 0);
	assert_rep(&x->rep[4], VENUE_CANCELED, 9, PX, 50, 0);
	assert_int_equal(x->rep[4].reason, VENUE_CXL_USER);
	assert_int_equal(x->rep[4].t_venue_ns, 11000);
	assert_int_equal(x->rep[5].kind, VENUE_REJECTED);
	assert_int_equal(x->rep[5].user_ref, 10);
	assert_int_equal(x->rep[5].reason, VENUE_REJ_UNKNOWN);
	fx_free(x);
}

/* Post-only crossing is rejected; once we took the shown liquidity, it is
 * not there for us again; halted books reject. */
static void test_post_only_and_halt(void **state)
{
	struct venue_cfg c;
	struct fx *x;

	(void)state;
	cfg_const(&c);
	x = fx_new(&c);
	md(x, add(1, 'S', 100, PX + TICK), 100);
	md(x, add(2, 'B', 100, PX - TICK), 100);
	enter(x, 1, 'B', 10, PX + TICK, VENUE_F_POST_ONLY, 1000);  /* crosses */
	enter(x, 2, 'B', 10, PX, VENUE_F_POST_ONLY, 1000);         /* rests */
	enter(x, 3, 'S', 10, PX - TICK, VENUE_F_POST_ONLY, 1000);  /* crosses */
	enter(x, 4, 'B', 100, PX + TICK, VENUE_F_IOC, 1000);       /* takes all */
	enter(x, 5, 'B', 10, PX + TICK, VENUE_F_POST_ONLY, 1000);  /* nothing left */
	venue_advance(&x->v, 2000);
	assert_int_equal(poll(x, 100000), 6);
	assert_int_equal(x->rep[0].kind, VENUE_REJECTED);
	assert_int_equal(x->rep[0].reason, VENUE_REJ_POST_ONLY);
	assert_rep(&x->rep[1], VENUE_ACCEPTED, 2, PX, 10, 10);
	assert_int_equal(x->rep[2].kind, VENUE_REJECTED);
	assert_int_equal(x->rep[2].reason, VENUE_REJ_POST_ONLY);
	assert_rep(&x->rep[3], VENUE_ACCEPTED, 4, PX + TICK, 100, 100);
	assert_rep(&x->rep[4], VENUE_EXECUTED, 4, PX + TICK, 100, 0);
	assert_int_equal(x->rep[4].liquidity, 'R');
	assert_int_equal(x->rep[4].fee_e4, 100 * 30);
	assert_rep(&x->rep[5], VENUE_ACCEPTED, 5, PX + TICK, 10, 10);
	assert_int_equal(x->v.cnt.rejects[VENUE_REJ_POST_ONLY], 2);
	assert_string_equal(venue_reject_name(VENUE_REJ_POST_ONLY), "post-only would cross");

	md(x, halt('H'), 3000);
	enter(x, 6, 'B', 10, PX - 5 * TICK, VENUE_F_POST_ONLY, 3000);
	venue_advance(&x->v, 5000);
	assert_int_equal(poll(x, 100000), 1);
	assert_int_equal(x->rep[6].kind, VENUE_REJECTED);
	assert_int_equal(x->rep[6].reason, VENUE_REJ_HALTED);
	fx_free(x);
}

/* A marketable order takes two levels at recorded prices; a second one
 * finds only what the first left; a recorded execution of liquidity we took
 * is absorbed. */
static void test_marketable_two_levels(void **state)
{
	struct venue_cfg c;
	struct fx *x;

	(void)state;
	cfg_const(&c);
	x = fx_new(&c);
	md(x, add(1, 'S', 100, PX + TICK), 100);
	md(x, add(2, 'S', 200, PX + 2 * TICK), 200);
	md(x, add(3, 'S', 300, PX + 3 * TICK), 300);
	md(x, add(4, 'B', 300, PX - TICK), 400);
	enter(x, 1, 'B', 250, PX + 2 * TICK, 0, 1000);
	enter(x, 2, 'B', 100, PX + 2 * TICK, VENUE_F_IOC, 1000);
	enter(x, 3, 'B', 100, PX + 2 * TICK, 0, 1000);   /* rests at 100.02 */
	venue_advance(&x->v, 2000);
	assert_int_equal(poll(x, 100000), 7);
	assert_rep(&x->rep[0], VENUE_ACCEPTED, 1, PX + 2 * TICK, 250, 250);
	assert_rep(&x->rep[1], VENUE_EXECUTED, 1, PX + TICK, 100, 150);
	assert_int_equal(x->rep[1].fee_e4, 100 * 30);
	assert_int_equal(x->rep[1].liquidity, 'R');
	assert_rep(&x->rep[2], VENUE_EXECUTED, 1, PX + 2 * TICK, 150, 0);
	assert_int_equal(x->rep[2].fee_e4, 150 * 30);
	assert_int_equal(x->rep[2].match, 2);
	assert_rep(&x->rep[3], VENUE_ACCEPTED, 2, PX + 2 * TICK, 100, 100);
	assert_rep(&x->rep[4], VENUE_EXECUTED, 2, PX + 2 * TICK, 50, 50);
	assert_rep(&x->rep[5], VENUE_CANCELED, 2, PX + 2 * TICK, 50, 0);
	assert_int_equal(x->rep[5].reason, VENUE_CXL_IOC);
	assert_rep(&x->rep[6], VENUE_ACCEPTED, 3, PX + 2 * TICK, 100, 100);
	assert_int_equal(venue_order_find(&x->v, 3)->ahead, 0);

	md(x, ex(2, 120), 3000);  /* someone lifts 120 of the 200 we took */
	assert_int_equal(x->v.cnt.absorbed, 120);
	assert_int_equal(venue_order_find(&x->v, 3)->leaves, 100);
	md(x, ex(2, 80), 3100);   /* the rest of what we took */
	assert_int_equal(x->v.cnt.absorbed, 200);
	assert_int_equal(venue_order_find(&x->v, 3)->leaves, 100);
	md(x, add(5, 'S', 40, PX + 2 * TICK), 4000); /* new seller: ours */
	assert_int_equal(venue_order_find(&x->v, 3)->leaves, 60);
	assert_int_equal(x->v.cnt.shares_taker, 300);
	fx_free(x);
}

/* Replace: fewer shares at the same price keeps the queue position; a new
 * price joins the back of the new level. */
static void test_replace_priority(void **state)
{
	struct venue_cfg c;
	struct venue_replace r1 = { .orig_user_ref = 1, .user_ref = 2, .qty = 60, .px = PX };
	struct venue_replace r2 = { .orig_user_ref = 2, .user_ref = 3, .qty = 60,
				    .px = PX - TICK };
	struct venue_replace r3 = { .orig_user_ref = 1, .user_ref = 4, .qty = 60, .px = PX };
	struct fx *x;

	(void)state;
	cfg_const(&c);
	x = fx_new(&c);
	md(x, add(1, 'B', 300, PX), 100);
	md(x, add(2, 'B', 700, PX - TICK), 100);
	enter(x, 1, 'B', 100, PX, VENUE_F_POST_ONLY, 1000);
	md(x, add(3, 'B', 100, PX), 2500);
	md(x, ex(1, 100), 2600);
	assert_int_equal(venue_order_find(&x->v, 1)->ahead, 200);
	assert_int_equal(venue_submit_replace(&x->v, &r1, 3000), 0);
	md(x, add(4, 'B', 1, PX + 5 * TICK), 4000);
	assert_null(venue_order_find(&x->v, 1));
	assert_int_equal(venue_order_find(&x->v, 2)->ahead, 200);
	assert_int_equal(venue_submit_replace(&x->v, &r2, 5000), 0);
	assert_int_equal(venue_submit_replace(&x->v, &r3, 5000), 0); /* 1 is gone */
	md(x, add(5, 'B', 1, PX + 5 * TICK), 7000);
	assert_int_equal(venue_order_find(&x->v, 3)->ahead, 700);
	assert_int_equal(poll(x, 100000), 4);
	assert_rep(&x->rep[1], VENUE_REPLACED, 2, PX, 60, 60);
	assert_int_equal(x->rep[1].orig_user_ref, 1);
	assert_rep(&x->rep[2], VENUE_REPLACED, 3, PX - TICK, 60, 60);
	assert_int_equal(x->rep[3].kind, VENUE_REJECTED);
	assert_int_equal(x->rep[3].reason, VENUE_REJ_UNKNOWN);
	assert_int_equal(x->rep[3].orig_user_ref, 1);
	fx_free(x);
}

/* With jittered ack latency, reports still come in order: per order, and
 * overall by (time, sequence); a poll returns exactly those due. */
static void test_ack_latency_ordering(void **state)
{
	struct venue_cfg c;
	struct fx *x;
	uint64_t last_t = 0;
	uint32_t n1;

	(void)state;
	cfg_const(&c);
	c.ack.kind = VENUE_LAT_QUANTILE;
	c.ack.npts = 3;
	c.ack.q_ppm[0] = 0;
	c.ack.q_ns[0] = 100;
	c.ack.q_ppm[1] = 500000;
	c.ack.q_ns[1] = 2000;
	c.ack.q_ppm[2] = VENUE_PPM;
	c.ack.q_ns[2] = 50000;
	c.entry.jitter_ns = 3000;
	x = fx_new(&c);
	md(x, add(1, 'S', 100, PX + 50 * TICK), 100);
	for (uint32_t i = 0; i < 40; i++) {
		struct venue_cancel k = { .user_ref = 100 + i, .qty = 0 };

		enter(x, 100 + i, 'B', 10, PX, VENUE_F_POST_ONLY, 1000 + 10 * i);
		assert_int_equal(venue_submit_cancel(&x->v, &k, 1001 + 10 * i), 0);
	}
	venue_advance(&x->v, 1000000);
	/* A poll at 3000 returns exactly the reports due by then. */
	n1 = poll(x, 3000);
	for (uint32_t i = 0; i < n1; i++)
		assert_true(x->rep[i].t_ns <= 3000);
	poll(x, UINT64_MAX);
	assert_true(x->rep[n1].t_ns > 3000);
	assert_int_equal(x->nrep, 80);
	for (uint32_t i = 0; i < x->nrep; i++) {
		const struct venue_report *r = &x->rep[i];

		assert_true(r->t_ns >= last_t);
		assert_true(r->t_ns >= r->t_venue_ns + 100);
		assert_int_equal(r->seq, i + 1);
		last_t = r->t_ns;
		/* Each order's accept comes right before its cancel. */
		assert_int_equal(r->user_ref, 100 + i / 2);
		assert_int_equal(r->kind, i % 2 ? VENUE_CANCELED : VENUE_ACCEPTED);
	}
	fx_free(x);
}

/* The same seed gives the same draws and the same reports; another seed
 * does not; draws stay in their bounds and follow the table. */
static void test_jitter_determinism(void **state)
{
	struct venue_lat_cfg k = { .kind = VENUE_LAT_CONST, .base_ns = 1000, .jitter_ns = 99 };
	struct venue_lat_cfg q = { .kind = VENUE_LAT_QUANTILE, .npts = 3,
				   .q_ppm = { 0, 500000, VENUE_PPM },
				   .q_ns = { 100, 200, 1000 } };
	struct venue_rng a = { 42 }, b = { 42 }, c = { 43 };
	uint32_t differ = 0, below = 0, seen_lo = 0, seen_hi = 0;
	struct venue_cfg cfg;
	uint64_t t1[20], t2[20], t3[20];

	(void)state;
	for (int i = 0; i < 10000; i++) {
		uint64_t da = venue_lat_draw(&k, &a), db = venue_lat_draw(&k, &b);

		assert_int_equal(da, db);
		assert_true(da >= 1000 && da <= 1099);
		seen_lo += da == 1000;
		seen_hi += da == 1099;
		differ += da != venue_lat_draw(&k, &c);
		(void)venue_lat_draw(&k, &b); /* keep b in step with c's extra */
		(void)venue_lat_draw(&k, &a);
	}
	assert_true(seen_lo > 0 && seen_hi > 0);
	assert_true(differ > 9000);
	for (int i = 0; i < 10000; i++) {
		uint64_t d = venue_lat_draw(&q, &a);

		assert_true(d >= 100 && d <= 1000);
		below += d < 200;
	}
	assert_true(below > 4700 && below < 5300);

	/* Whole venues: same seed, same report times. */
	for (int run = 0; run < 3; run++) {
		struct fx *x;
		uint64_t *t = run == 0 ? t1 : run == 1 ? t2 : t3;

		cfg_const(&cfg);
		cfg.seed = run == 2 ? 8 : 7;
		cfg.entry.jitter_ns = 5000;
		cfg.ack.jitter_ns = 5000;
		x = fx_new(&cfg);
		md(x, add(1, 'B', 100, PX - TICK), 100);
		for (uint32_t i = 0; i < 20; i++)
			enter(x, i + 1, 'B', 10, PX - TICK, VENUE_F_POST_ONLY, 1000 * i);
		venue_advance(&x->v, 1000000);
		assert_int_equal(poll(x, UINT64_MAX), 20);
		for (int i = 0; i < 20; i++)
			t[i] = x->rep[i].t_ns;
		fx_free(x);
	}
	assert_memory_equal(t1, t2, sizeof(t1));
	assert_memory_not_equal(t1, t3, sizeof(t1));
}

/* Full queues reject, counted and reported, never silently dropped. */
static void test_overflow_counted(void **state)
{
	struct venue_cfg c;
	struct venue_enter e = { .user_ref = 3, .qty = 10, .px = PX, .locate = LOC,
				 .side = 'B', .flags = VENUE_F_POST_ONLY };
	struct fx *x;

	(void)state;
	cfg_const(&c);
	c.max_msgs = 2;
	c.max_orders = 1;
	c.max_reports = 4;
	x = fx_new(&c);
	enter(x, 1, 'B', 10, PX, VENUE_F_POST_ONLY, 1000);
	enter(x, 2, 'B', 10, PX, VENUE_F_POST_ONLY, 1000);
	assert_int_equal(venue_submit_enter(&x->v, &e, 1000), -ENOBUFS);
	assert_int_equal(x->v.cnt.rejects[VENUE_REJ_MSGS_FULL], 1);
	venue_advance(&x->v, 5000);
	assert_int_equal(x->v.cnt.rejects[VENUE_REJ_ORDERS_FULL], 1);
	assert_int_equal(poll(x, UINT64_MAX), 3);
	assert_int_equal(x->rep[0].reason, VENUE_REJ_MSGS_FULL);
	assert_int_equal(x->rep[0].user_ref, 3);
	assert_int_equal(x->rep[0].t_ns, 1000);
	assert_rep(&x->rep[1], VENUE_ACCEPTED, 1, PX, 10, 10);
	assert_int_equal(x->rep[2].reason, VENUE_REJ_ORDERS_FULL);
	assert_int_equal(x->rep[2].user_ref, 2);

	/* Report ring of 4: the fifth undelivered report is lost, counted. */
	for (uint32_t i = 0; i < 5; i++) {
		struct venue_cancel k = { .user_ref = 50 + i, .qty = 0 };

		assert_int_equal(venue_submit_cancel(&x->v, &k, 6000), 0);
		venue_advance(&x->v, 10000 + i);
	}
	assert_int_equal(x->v.cnt.rejects[VENUE_REJ_UNKNOWN], 5);
	assert_int_equal(x->v.cnt.reports_lost, 1);
	fx_free(x);
}

static void test_bad_cfg(void **state)
{
	struct venue_cfg c;

	(void)state;
	venue_cfg_defaults(&c);
	assert_true(venue_memsize(&c) > 0);
	c.ack.kind = VENUE_LAT_QUANTILE;
	c.ack.npts = 2;
	c.ack.q_ppm[1] = 10; /* must end at VENUE_PPM */
	assert_int_equal(venue_memsize(&c), 0);
	venue_cfg_defaults(&c);
	c.max_orders = 0;
	assert_int_equal(venue_memsize(&c), 0);
	venue_cfg_defaults(&c);
	c.taker_fee_e4 = 5000;
	assert_int_equal(venue_memsize(&c), 0);
}

#define REPLAY_ORDERS 4096
#define REPLAY_REPS 8192

struct replay_out {
	struct venue_report rep[REPLAY_REPS];
	uint32_t nrep;
	struct venue_counters cnt;
};

/* One replay of a real ITCH file: every 50th two-sided book change, cancel
 * our orders and quote post-only at that symbol's best bid and ask; check
 * every report as it is polled. */
static void replay(const uint8_t *buf, size_t len, struct replay_out *out)
{
	static uint32_t qty[REPLAY_ORDERS], done[REPLAY_ORDERS];
	static uint32_t limit[REPLAY_ORDERS];
	static uint8_t liveflag[REPLAY_ORDERS], side[REPLAY_ORDERS];
	struct binfile_reader r;
	enum binfile_framing fr;
	struct venue_cfg c;
	struct fx *x;
	const uint8_t *msg;
	size_t mlen;
	uint32_t next_ref = 1, events = 0, post;
	uint64_t last_t = 0;

	memset(qty, 0, sizeof(qty));
	memset(done, 0, sizeof(done));
	memset(liveflag, 0, sizeof(liveflag));
	venue_cfg_defaults(&c);
	c.seed = 12345;
	c.max_reports = REPLAY_REPS;
	x = fx_new_sized(&c, 1u << 18, BOOK_LOCATE_MAX);
	out->nrep = 0;
	assert_int_equal(binfile_detect(buf, len, &fr), 0);
	binfile_init(&r, buf, len, fr);
	while (binfile_next(&r, &msg, &mlen) == 1) {
		struct itch_msg m;
		uint32_t n, k;

		if (itch_decode(msg, mlen, &m) < 0)
			continue;
		venue_advance(&x->v, m.ts_ns);
		n = feed_on_message(&x->f, msg, mlen, ++x->seq, 0, x->ev, 8);
		for (uint32_t i = 0; i < n; i++) {
			const struct md_event *e = &x->ev[i];

			venue_on_md(&x->v, e, m.ts_ns);
			/* (This sampled file's books are crossed most of the time.) */
			if (e->kind != MD_BOOK || !e->bid_px || !e->ask_px || ++events % 50 ||
			    next_ref + 2 >= REPLAY_ORDERS)
				continue;
			/* Cancel what we have, quote both sides at the touch. */
			for (uint32_t u = 1; u < next_ref; u++) {
				struct venue_cancel cx = { .user_ref = u, .qty = 0 };

				if (liveflag[u]) {
					liveflag[u] = 0;
					venue_submit_cancel(&x->v, &cx, m.ts_ns);
				}
			}
			/* Odd rounds: post-only, inside the crossed touch so they
			 * rest; even rounds: plain orders at the touch that take. */
			post = (events / 50) % 2;
			for (int sd = 0; sd < 2; sd++) {
				uint32_t u = next_ref++;
				struct venue_enter en = { .user_ref = u, .qty = 100,
							  .locate = e->locate,
							  .side = sd ? 'S' : 'B' };

				if (post) {
					en.flags = VENUE_F_POST_ONLY;
					en.px = sd ? (e->ask_px > e->bid_px ? e->ask_px : e->bid_px + 1)
						   : (e->bid_px < e->ask_px ? e->bid_px : e->ask_px - 1);
				} else {
					en.px = sd ? e->ask_px : e->bid_px;
				}
				qty[u] = 100;
				limit[u] = en.px;
				side[u] = en.side;
				liveflag[u] = 1;
				assert_int_equal(venue_submit_enter(&x->v, &en, m.ts_ns), 0);
			}
		}
		k = venue_poll(&x->v, m.ts_ns, out->rep + out->nrep, REPLAY_REPS - out->nrep);
		for (uint32_t i = out->nrep; i < out->nrep + k; i++) {
			const struct venue_report *p = &out->rep[i];

			assert_true(p->t_ns >= last_t && p->t_ns <= m.ts_ns);
			assert_true(p->t_ns >= p->t_venue_ns + 15000);
			last_t = p->t_ns;
			assert_true(p->user_ref > 0 && p->user_ref < next_ref);
			if (p->kind == VENUE_EXECUTED) {
				uint32_t lim = limit[p->user_ref];

				/* Maker fills at our limit, taker fills at or better
				 * than it; never more than the order's size. */
				if (p->liquidity == 'A') {
					assert_int_equal(p->px, lim);
					assert_int_equal(p->fee_e4, -(int32_t)p->qty * 20);
				} else {
					assert_int_equal(p->liquidity, 'R');
					assert_true(side[p->user_ref] == 'B' ? p->px <= lim
									     : p->px >= lim);
					assert_int_equal(p->fee_e4, (int32_t)p->qty * 30);
				}
				done[p->user_ref] += p->qty;
				assert_true(done[p->user_ref] <= qty[p->user_ref]);
				assert_int_equal(p->leaves, qty[p->user_ref] - done[p->user_ref]);
			}
		}
		out->nrep += k;
	}
	venue_advance(&x->v, UINT64_MAX - 1);
	out->nrep += venue_poll(&x->v, UINT64_MAX, out->rep + out->nrep, REPLAY_REPS - out->nrep);
	out->cnt = x->v.cnt;
	assert_int_equal(out->cnt.reports_lost, 0);
	fx_free(x);
}

static void test_replay_real_file(void **state)
{
	char path[512];
	static struct replay_out a, b;
	uint8_t *buf;
	size_t len;
	FILE *f;

	(void)state;
	test_data_path(path, "itch/ex20101224.TEST_ITCH_50");
	f = fopen(path, "rb");
	assert_non_null(f);
	buf = malloc(1 << 20);
	assert_non_null(buf);
	len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	assert_true(len > 0 && len < (1 << 20));
	replay(buf, len, &a);
	replay(buf, len, &b);
	print_message("replay: %u reports, %lu accepted, %lu maker fills (%lu shares), "
		      "%lu taker fills, %lu post-only rejects, %lu undecided, %lu walks\n",
		      a.nrep, (unsigned long)a.cnt.accepted, (unsigned long)a.cnt.fills_maker,
		      (unsigned long)a.cnt.shares_maker, (unsigned long)a.cnt.fills_taker,
		      (unsigned long)a.cnt.rejects[VENUE_REJ_POST_ONLY],
		      (unsigned long)a.cnt.ref_undecided, (unsigned long)a.cnt.walks);
	assert_true(a.cnt.accepted > 0);
	assert_true(a.cnt.fills_maker > 0 && a.cnt.fills_taker > 0);
	assert_int_equal(a.nrep, b.nrep);
	assert_memory_equal(a.rep, b.rep, a.nrep * sizeof(a.rep[0]));
	free(buf);
}

/* The prefilter's edges, each with the event exactly at the boundary: a
 * delete of the order whose reference is our mark, an execution and an
 * opposite add exactly at our limit. */
static void test_prefilter_edges(void **state)
{
	struct venue_cfg c;
	struct fx *x;

	(void)state;
	cfg_const(&c);
	x = fx_new(&c);
	md(x, add(1, 'B', 100, PX), 100);
	md(x, add(2, 'B', 200, PX), 200);
	enter(x, 77, 'B', 100, PX, VENUE_F_POST_ONLY, 1000); /* arrives 2000 */
	md(x, add(3, 'B', 100, PX - TICK), 3000);
	assert_int_equal(venue_order_find(&x->v, 77)->mark, 2);
	assert_int_equal(venue_order_find(&x->v, 77)->ahead, 300);
	md(x, cxl(1, 50), 4000);           /* ref 1 < mark */
	assert_int_equal(venue_order_find(&x->v, 77)->ahead, 250);
	md(x, del(3), 4500);               /* ref 3 > mark, another level */
	assert_int_equal(venue_order_find(&x->v, 77)->ahead, 250);
	md(x, del(2), 5000);               /* ref 2 == mark, at our level */
	assert_int_equal(venue_order_find(&x->v, 77)->ahead, 50);
	md(x, add(4, 'S', 30, PX), 6000);  /* an opposite add at our limit */
	assert_int_equal(venue_order_find(&x->v, 77)->leaves, 70);
	md(x, add(5, 'S', 30, PX + TICK), 7000); /* a tick above: no fill */
	assert_int_equal(venue_order_find(&x->v, 77)->leaves, 70);
	md(x, ex(1, 20), 8000);            /* at our limit: the queue ahead */
	assert_int_equal(venue_order_find(&x->v, 77)->ahead, 30);
	assert_int_equal(venue_order_find(&x->v, 77)->leaves, 70);
	assert_int_equal(x->v.cnt.fills_cross, 1);
	fx_free(x);
}

/* ---- the prefilter changes nothing ------------------------------------ */

#define PF_SYMS 6
#define PF_REC 8192      /* recorded orders live at most */
#define PF_OURS 4096     /* our user_refs */
#define PF_LOW_REF 1000000u /* recorded refs above; below: out-of-order adds */

struct pf_rec {
	uint64_t ref;
	uint32_t px, shares;
	uint16_t locate;
	uint8_t side;
};

struct pf {
	struct arena a;
	struct feed f;
	struct venue v[2];  /* [0] prefilter on, [1] off */
	struct md_event ev[8];
	struct venue_report rep[2][512];
	struct pf_rec rec[PF_REC];
	uint32_t nrec;
	uint32_t mid[PF_SYMS + 1];
	uint64_t rng, seq, next_ref, low_ref, t;
	uint32_t next_user;
	uint32_t our_px[PF_OURS];
	uint16_t our_loc[PF_OURS];
	uint64_t reports, filtered_md;
};

static uint64_t pf_rand(struct pf *p)
{
	uint64_t z = (p->rng += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint32_t pf_below(struct pf *p, uint32_t n)
{
	return (uint32_t)(pf_rand(p) % n);
}

static struct pf *pf_new(uint64_t seed)
{
	struct pf *p = calloc(1, sizeof(*p));
	struct feed_cfg fc;
	struct venue_cfg c;
	struct arena_cfg ac = { .no_huge = true, .no_lock = true };

	assert_non_null(p);
	feed_cfg_defaults(&fc);
	fc.book.max_orders = 2 * PF_REC;
	fc.book.max_locate = 16;
	venue_cfg_defaults(&c);
	c.seed = seed;
	c.max_orders = 64;
	c.max_takes = 16; /* small: the take table fills sometimes */
	ac.size = feed_memsize(&fc) + 2 * venue_memsize(&c);
	assert_int_equal(arena_init(&p->a, &ac), 0);
	assert_int_equal(feed_init(&p->f, &fc, &p->a), 0);
	assert_int_equal(venue_init(&p->v[0], &c, p->f.books, &p->a), 0);
	c.no_prefilter = true;
	assert_int_equal(venue_init(&p->v[1], &c, p->f.books, &p->a), 0);
	p->rng = seed;
	p->next_ref = PF_LOW_REF;
	p->low_ref = 1;
	p->next_user = 1;
	for (uint32_t s = 1; s <= PF_SYMS; s++)
		p->mid[s] = PX + 10 * TICK * s;
	return p;
}

static void pf_free(struct pf *p)
{
	venue_fini(&p->v[0]);
	venue_fini(&p->v[1]);
	feed_fini(&p->f);
	arena_fini(&p->a);
	free(p);
}

/* venue_order_find (a token index) answers what a walk of the live list
 * answers: each live order by its token, and nothing for tokens not live
 * (every token handed out so far is tried). */
static void pf_find_all(const struct venue *v, uint32_t next_user)
{
	for (uint32_t ref = 0; ref <= next_user + 1; ref++) {
		const struct venue_order *want = NULL;

		for (uint32_t i = v->live_head; i != BOOK_NIL && !want; i = v->orders[i].next)
			if (v->orders[i].user_ref == ref)
				want = &v->orders[i];
		assert_ptr_equal(venue_order_find(v, ref), want);
	}
}

/* Every symbol summary (struct venue_sym) matches what our live orders
 * and takes say: per side, the lowest and highest limit, the highest mark,
 * the orders with shares ahead and the take slots; a slot exactly where
 * we have an order or a take. */
static void pf_sums_exact(const struct venue *v)
{
	uint32_t busy = 0;

	/* every order and take has its symbol's slot */
	for (uint32_t i = v->live_head; i != BOOK_NIL; i = v->orders[i].next)
		assert_int_not_equal(v->sym_slot[v->orders[i].locate], 0);
	for (uint32_t i = 0; i < v->cfg.max_takes; i++)
		if (v->takes[i].shares)
			assert_int_not_equal(v->sym_slot[v->takes[i].locate], 0);
	for (uint32_t loc = 0; loc <= BOOK_LOCATE_MAX; loc++) {
		struct venue_side_sum want[2];
		const struct venue_sym *sy;
		uint32_t n = 0;

		if (!v->sym_slot[loc])
			continue;
		for (int s = 0; s < 2; s++) {
			memset(&want[s], 0, sizeof(want[s]));
			want[s].lo = UINT32_MAX;
		}
		for (uint32_t i = v->live_head; i != BOOK_NIL; i = v->orders[i].next) {
			const struct venue_order *o = &v->orders[i];
			struct venue_side_sum *w = &want[o->side == 'B' ? BOOK_BID : BOOK_ASK];

			if (o->locate != loc)
				continue;
			n++;
			w->nahead += o->ahead != 0;
			w->lo = o->px < w->lo ? o->px : w->lo;
			w->hi = o->px > w->hi ? o->px : w->hi;
			w->mark_hi = o->mark > w->mark_hi ? o->mark : w->mark_hi;
		}
		for (uint32_t i = 0; i < v->cfg.max_takes; i++)
			if (v->takes[i].shares && v->takes[i].locate == loc) {
				n++;
				want[v->takes[i].side == 'B' ? BOOK_BID : BOOK_ASK].ntakes++;
			}
		sy = &v->syms[v->sym_slot[loc]];
		busy += n;
		assert_int_equal(sy->busy, n);
		for (int s = 0; s < 2; s++) {
			assert_int_equal(sy->side[s].lo, want[s].lo);
			assert_int_equal(sy->side[s].hi, want[s].hi);
			assert_int_equal(sy->side[s].mark_hi, want[s].mark_hi);
			assert_int_equal(sy->side[s].nahead, want[s].nahead);
			assert_int_equal(sy->side[s].ntakes, want[s].ntakes);
		}
	}
	assert_int_equal(busy, v->nlive + v->takes_used);
}

/* Both venues hold the same orders in the same state. */
static void pf_same_orders(const struct pf *p)
{
	uint32_t i = p->v[0].live_head, j = p->v[1].live_head;

	pf_find_all(&p->v[0], p->next_user);
	pf_sums_exact(&p->v[0]);
	pf_sums_exact(&p->v[1]);

	assert_int_equal(p->v[0].nlive, p->v[1].nlive);
	while (i != BOOK_NIL && j != BOOK_NIL) {
		const struct venue_order *a = &p->v[0].orders[i], *b = &p->v[1].orders[j];

		assert_int_equal(a->user_ref, b->user_ref);
		assert_int_equal(a->px, b->px);
		assert_int_equal(a->leaves, b->leaves);
		assert_int_equal(a->ahead, b->ahead);
		assert_int_equal(a->mark, b->mark);
		assert_int_equal(a->seq, b->seq);
		i = a->next;
		j = b->next;
	}
	assert_int_equal(i, j);
}

/* Feed one ITCH message to the book and both venues, the pipeline's way. */
static void pf_md(struct pf *p, struct itch_msg m)
{
	uint8_t buf[64];
	int len;
	uint32_t n;

	m.ts_ns = p->t;
	len = itch_encode(&m, buf, sizeof(buf));
	assert_true(len > 0);
	venue_advance(&p->v[0], p->t);
	venue_advance(&p->v[1], p->t);
	n = feed_on_message(&p->f, buf, (size_t)len, ++p->seq, 0, p->ev, 8);
	for (uint32_t i = 0; i < n; i++) {
		venue_on_md(&p->v[0], &p->ev[i], p->t);
		venue_on_md(&p->v[1], &p->ev[i], p->t);
	}
}

/* Poll both by now: the same reports, byte for byte. */
static void pf_poll(struct pf *p, uint64_t now)
{
	uint32_t na, nb;

	do {
		na = venue_poll(&p->v[0], now, p->rep[0], 512);
		nb = venue_poll(&p->v[1], now, p->rep[1], 512);
		assert_int_equal(na, nb);
		assert_memory_equal(p->rep[0], p->rep[1], na * sizeof(p->rep[0][0]));
		p->reports += na;
	} while (na == 512);
}

/* A recorded price on side near the symbol's mid: mostly passive, a few
 * through the mid (crossing adds). */
static uint32_t pf_px(struct pf *p, uint16_t loc, uint8_t side)
{
	int32_t k = (int32_t)pf_below(p, 10) - 1; /* -1 .. 8 ticks away */

	return side == 'B' ? p->mid[loc] - (uint32_t)(k * (int32_t)TICK)
			   : p->mid[loc] + (uint32_t)(k * (int32_t)TICK);
}

static void pf_rec_add(struct pf *p, uint8_t type, uint16_t loc, uint8_t side)
{
	struct itch_msg m = add(0, side, 1 + pf_below(p, 400), pf_px(p, loc, side));
	struct pf_rec *r;

	if (p->nrec == PF_REC)
		return;
	/* Now and then an order reference below our marks (undecided rule). */
	m.add.ref = pf_below(p, 30) == 0 && p->low_ref < PF_LOW_REF ? p->low_ref++
								     : p->next_ref++;
	m.type = type;
	m.locate = loc;
	memcpy(m.add.stock, "SYM     ", 8);
	m.add.stock[3] = (char)('0' + loc);
	pf_md(p, m);
	r = &p->rec[p->nrec++];
	r->ref = m.add.ref;
	r->px = m.add.price;
	r->shares = m.add.shares;
	r->locate = loc;
	r->side = side;
}

static void pf_rec_drop(struct pf *p, uint32_t i)
{
	p->rec[i] = p->rec[--p->nrec];
}

/* One recorded message on a random symbol. */
static void pf_market_step(struct pf *p)
{
	uint32_t r = pf_below(p, 100), i;
	uint16_t loc = (uint16_t)(1 + pf_below(p, PF_SYMS));
	uint8_t side = pf_below(p, 2) ? 'S' : 'B';
	struct pf_rec *o;
	struct itch_msg m;

	if (r < 40 || p->nrec < 16) {
		pf_rec_add(p, r < 4 ? 'F' : 'A', loc, side);
		return;
	}
	if (r >= 92) {
		memset(&m, 0, sizeof(m));
		if (r < 96) { /* a hidden execution near the mid */
			m.type = 'P';
			m.locate = loc;
			m.trade.ref = 0;
			m.trade.side = side;
			m.trade.shares = 1 + pf_below(p, 300);
			memcpy(m.trade.stock, "SYM     ", 8);
			m.trade.price = pf_px(p, loc, side);
			m.trade.match = p->seq;
			pf_md(p, m);
		} else if (r < 97) { /* halt or resume */
			m = halt(pf_below(p, 3) ? 'T' : 'H');
			m.locate = loc;
			pf_md(p, m);
		} else { /* the mid moves a tick */
			p->mid[loc] = pf_below(p, 2) ? p->mid[loc] + TICK : p->mid[loc] - TICK;
		}
		return;
	}
	i = pf_below(p, p->nrec);
	o = &p->rec[i];
	memset(&m, 0, sizeof(m));
	m.locate = o->locate;
	if (r < 58) {
		pf_md(p, del(o->ref));
		pf_rec_drop(p, i);
	} else if (r < 65) {
		uint32_t x = 1 + pf_below(p, o->shares);

		m = x < o->shares ? cxl(o->ref, x) : del(o->ref);
		m.locate = o->locate;
		pf_md(p, m);
		if ((o->shares -= x) == 0)
			pf_rec_drop(p, i);
	} else if (r < 80) {
		uint32_t x = 1 + pf_below(p, o->shares);

		if (r < 76) {
			m = ex(o->ref, x);
		} else { /* C: at, or a tick or two off, the resting price */
			m.type = 'C';
			m.exec.ref = o->ref;
			m.exec.shares = x;
			m.exec.match = p->seq;
			m.exec.printable = 'Y';
			m.exec.price = o->px + (pf_below(p, 5) * TICK) - 2 * TICK;
		}
		m.locate = o->locate;
		pf_md(p, m);
		if ((o->shares -= x) == 0)
			pf_rec_drop(p, i);
	} else {
		m = upd(o->ref, p->next_ref++, 1 + pf_below(p, 400), pf_px(p, o->locate, o->side));
		m.locate = o->locate;
		pf_md(p, m);
		o->ref = m.replace.new_ref;
		o->px = m.replace.price;
		o->shares = m.replace.shares;
	}
}

/* One message of ours, the same to both venues. */
static void pf_our_step(struct pf *p)
{
	uint32_t r = pf_below(p, 100);

	if (r < 50 || p->next_user < 8) {
		uint32_t u = p->next_user++;
		uint16_t loc = (uint16_t)(1 + pf_below(p, PF_SYMS / 2)); /* half the symbols */
		uint8_t side = pf_below(p, 2) ? 'S' : 'B';
		int32_t k = (int32_t)pf_below(p, 7) - 2; /* -2 (crossing) .. 4 ticks */
		uint32_t f = pf_below(p, 20);
		struct venue_enter e = {
			.user_ref = u, .qty = 1 + pf_below(p, 300), .locate = loc, .side = side,
			.flags = f < 10 ? VENUE_F_POST_ONLY : f < 13 ? VENUE_F_IOC : 0,
		};

		if (u >= PF_OURS)
			return;
		e.px = side == 'B' ? p->mid[loc] - (uint32_t)(k * (int32_t)TICK)
				   : p->mid[loc] + (uint32_t)(k * (int32_t)TICK);
		p->our_px[u] = e.px;
		p->our_loc[u] = loc;
		venue_submit_enter(&p->v[0], &e, p->t);
		venue_submit_enter(&p->v[1], &e, p->t);
	} else {
		/* One of our recent tokens, live or not (rejects are reports too). */
		uint32_t back = 1 + pf_below(p, 24);
		uint32_t u = p->next_user > back ? p->next_user - back : 1;

		if (r < 75 && p->next_user < PF_OURS) {
			struct venue_replace m = {
				.orig_user_ref = u, .qty = 1 + pf_below(p, 300),
				.px = p->our_px[u] + (pf_below(p, 3) * TICK) - TICK,
			};

			m.user_ref = pf_below(p, 3) ? p->next_user++ : u;
			if (pf_below(p, 3) == 0)
				m.px = p->our_px[u]; /* may keep its place */
			p->our_px[m.user_ref] = m.px;
			p->our_loc[m.user_ref] = p->our_loc[u];
			venue_submit_replace(&p->v[0], &m, p->t);
			venue_submit_replace(&p->v[1], &m, p->t);
		} else {
			struct venue_cancel m = { .user_ref = u, .qty = pf_below(p, 2) * 50 };

			venue_submit_cancel(&p->v[0], &m, p->t);
			venue_submit_cancel(&p->v[1], &m, p->t);
		}
	}
}

static void pf_run(uint64_t seed, uint32_t steps, struct venue_counters *out)
{
	struct pf *p = pf_new(seed);

	for (uint32_t s = 0; s < steps; s++) {
		p->t += 1 + pf_below(p, 3000);
		pf_market_step(p);
		if (pf_below(p, 8) == 0)
			pf_our_step(p);
		pf_poll(p, p->t);
		if (s % 997 == 0)
			pf_same_orders(p);
		else if (s % 101 == 0)
			pf_sums_exact(&p->v[0]);
	}
	venue_advance(&p->v[0], UINT64_MAX - 1);
	venue_advance(&p->v[1], UINT64_MAX - 1);
	pf_poll(p, UINT64_MAX);
	pf_same_orders(p);
	assert_memory_equal(&p->v[0].cnt, &p->v[1].cnt, sizeof(p->v[0].cnt));
	assert_int_equal(p->v[0].cnt.reports_lost, 0);
	*out = p->v[0].cnt;
	print_message("prefilter seed %lu: %lu reports, %lu maker fills (queue %lu, through "
		      "%lu, cross %lu), %lu taker, %lu absorbed, %lu undecided, %lu C px "
		      "unknown, %lu takes full, %lu walks\n",
		      (unsigned long)seed, (unsigned long)p->reports,
		      (unsigned long)out->fills_maker, (unsigned long)out->fills_queue,
		      (unsigned long)out->fills_through, (unsigned long)out->fills_cross,
		      (unsigned long)out->fills_taker, (unsigned long)out->absorbed,
		      (unsigned long)out->ref_undecided, (unsigned long)out->c_px_unknown,
		      (unsigned long)out->takes_full, (unsigned long)out->walks);
	pf_free(p);
}

/* A long random ITCH stream on several symbols with our orders placed,
 * replaced and canceled at random: the venue with the md prefilter and
 * the one doing the full work on every event make the same reports, the
 * same counters and the same queue state. The stream reaches every rule. */
static void test_prefilter_changes_nothing(void **state)
{
	struct venue_counters sum, c;

	(void)state;
	memset(&sum, 0, sizeof(sum));
	for (uint64_t seed = 1; seed <= 3; seed++) {
		pf_run(seed * 0x5eed, 60000, &c);
		sum.fills_queue += c.fills_queue;
		sum.fills_through += c.fills_through;
		sum.fills_cross += c.fills_cross;
		sum.fills_taker += c.fills_taker;
		sum.absorbed += c.absorbed;
		sum.ref_undecided += c.ref_undecided;
		sum.c_px_unknown += c.c_px_unknown;
		sum.takes_full += c.takes_full;
		sum.walks += c.walks;
		sum.rejects[VENUE_REJ_POST_ONLY] += c.rejects[VENUE_REJ_POST_ONLY];
		sum.rejects[VENUE_REJ_HALTED] += c.rejects[VENUE_REJ_HALTED];
	}
	assert_true(sum.fills_queue > 0 && sum.fills_through > 0 && sum.fills_cross > 0);
	assert_true(sum.fills_taker > 0 && sum.absorbed > 0);
	assert_true(sum.ref_undecided > 0 && sum.c_px_unknown > 0 && sum.walks > 0);
	assert_true(sum.rejects[VENUE_REJ_POST_ONLY] > 0 && sum.rejects[VENUE_REJ_HALTED] > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_ahead_then_partial_fills),
		cmocka_unit_test(test_cancels_ahead_and_behind),
		cmocka_unit_test(test_trade_through_and_cross),
		cmocka_unit_test(test_cancel_races_fill),
		cmocka_unit_test(test_post_only_and_halt),
		cmocka_unit_test(test_marketable_two_levels),
		cmocka_unit_test(test_replace_priority),
		cmocka_unit_test(test_ack_latency_ordering),
		cmocka_unit_test(test_jitter_determinism),
		cmocka_unit_test(test_overflow_counted),
		cmocka_unit_test(test_bad_cfg),
		cmocka_unit_test(test_replay_real_file),
		cmocka_unit_test(test_prefilter_edges),
		cmocka_unit_test(test_prefilter_changes_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
