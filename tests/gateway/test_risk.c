/* test_risk.c - cmocka tests of gateway/risk.c over gateway/ostore.c: each
 * limit passes at its boundary and refuses one past it; in-flight orders and
 * pending replaces count; kill switch lets only cancels through; reject-storm
 * backoff grows, caps and resets; and a seeded property test in which random
 * intents meet a model venue while the test recomputes every limit from its
 * own record of what was passed and filled (odd seeds hand the checks' probe
 * of the token index to the store, as the gateway does). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gateway/risk.h"

#define PX 1000000u /* 100 USD */
#define US 1000ull
#define MS 1000000ull
#define T0 (1000 * MS)

static const struct ostore_cfg OCFG = { .max_orders = 16, .max_locate = 4, .token_history = 256 };

static const struct risk_cfg RCFG = {
	.max_order_qty = 1000,
	.max_order_notional = 500ull * PX,
	.collar_bps = 50,
	.max_position = 2000,
	.max_open_orders = 6,
	.credit_limit = 3000ull * PX,
	.rate_per_s = 1000,
	.burst = 100,
};

struct fx {
	struct ostore os;
	struct risk r;
	uint64_t now;
	uint32_t ref_px; /* reference handed to every check */
	uint64_t next_tok;
	int probed; /* property test: risk_check_probed + ostore_send_*_probed (1)
		     * or ostore_send_*_passed (2); risk_check_homes with the
		     * homes in a probe of their own, the results in another
		     * whose homes are wrong, + ostore_send_*_passed (3) */
};

static void fx_init(struct fx *f, const struct ostore_cfg *oc, const struct risk_cfg *rc)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(ostore_init(&f->os, oc ? oc : &OCFG, NULL), 0);
	assert_int_equal(risk_init(&f->r, rc ? rc : &RCFG, &f->os, NULL, T0), 0);
	f->now = T0;
	f->ref_px = PX;
	f->next_tok = 1000;
}

static void fx_fini(struct fx *f)
{
	risk_fini(&f->r);
	ostore_fini(&f->os);
}

static struct order_intent mk(uint8_t op, uint64_t token, uint64_t orig, uint16_t loc, uint8_t side,
			      uint32_t px, uint32_t qty)
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

/* Check a NEW with a fresh token; on pass send it and return its token. */
static int try_new(struct fx *f, uint16_t loc, uint8_t side, uint32_t px, uint32_t qty,
		   uint64_t *token)
{
	struct order_intent in = mk(INTENT_NEW, f->next_tok++, 0, loc, side, px, qty);
	enum risk_reason why = risk_check_order(&f->r, &in, f->ref_px, f->now);
	uint32_t ref;

	if (why == RISK_PASS) {
		assert_int_equal(ostore_send_new(&f->os, &in, f->now, &ref), 0);
		if (token)
			*token = in.token;
	}
	return why;
}

static uint64_t pass_new(struct fx *f, uint16_t loc, uint8_t side, uint32_t px, uint32_t qty)
{
	uint64_t tok = 0;

	assert_int_equal(try_new(f, loc, side, px, qty, &tok), RISK_PASS);
	return tok;
}

static uint32_t ref_of(const struct fx *f, uint64_t token)
{
	uint32_t slot = ostore_find_token(&f->os, token);

	assert_int_not_equal(slot, OSTORE_NIL);
	return ostore_order_at(&f->os, slot)->ref;
}

static int try_replace(struct fx *f, uint64_t orig, uint32_t px, uint32_t qty, uint64_t *token)
{
	const struct ostore_order *o = ostore_order_at(&f->os, ostore_find_token(&f->os, orig));
	struct order_intent in = mk(INTENT_REPLACE, f->next_tok++, orig, o->locate, o->side, px, qty);
	enum risk_reason why = risk_check_order(&f->r, &in, f->ref_px, f->now);
	uint32_t a, b;

	if (why == RISK_PASS) {
		assert_int_equal(ostore_send_replace(&f->os, &in, f->now, &a, &b), 0);
		if (token)
			*token = in.token;
	}
	return why;
}

static int try_cancel(struct fx *f, uint64_t orig)
{
	struct order_intent in = mk(INTENT_CANCEL, 0, orig, 0, 0, 0, 0);
	enum risk_reason why = risk_check_order(&f->r, &in, f->ref_px, f->now);
	uint32_t ref;

	if (why == RISK_PASS)
		assert_int_equal(ostore_send_cancel(&f->os, orig, f->now, &ref), 0);
	return why;
}

/* ---- configuration and field checks ----------------------------------- */

static void test_cfg(void **state)
{
	struct ostore os;
	struct risk r;
	struct risk_cfg c;

	(void)state;
	assert_int_equal(ostore_init(&os, &OCFG, NULL), 0);
	c = RCFG;
	c.max_order_qty = 0;
	assert_int_equal(risk_init(&r, &c, &os, NULL, T0), -EINVAL);
	c = RCFG;
	c.rate_per_s = 0;
	assert_int_equal(risk_init(&r, &c, &os, NULL, T0), -EINVAL);
	c = RCFG;
	c.storm_rejects = 3; /* backoff_ns 0 */
	assert_int_equal(risk_init(&r, &c, &os, NULL, T0), -EINVAL);
	c.backoff_ns = 10;
	c.backoff_max_ns = 5;
	assert_int_equal(risk_init(&r, &c, &os, NULL, T0), -EINVAL);
	assert_int_equal(risk_init(&r, &RCFG, NULL, NULL, T0), -EINVAL);
	assert_int_equal(risk_memsize(&os) % 64, 0);
	assert_int_equal(risk_init(&r, &RCFG, &os, NULL, T0), 0);
	assert_int_equal(risk_budget(&r, T0), RCFG.burst);
	risk_fini(&r);
	risk_fini(NULL);
	ostore_fini(&os);
}

static void test_fields(void **state)
{
	struct fx f;
	struct order_intent in;
	uint64_t a, b;

	(void)state;
	fx_init(&f, NULL, NULL);
	in = mk(9, 1, 0, 1, 'B', PX, 1);
	assert_int_equal(risk_check_order(&f.r, &in, PX, f.now), RISK_BAD_OP);
	in = mk(INTENT_NEW, 1, 0, 0, 'B', PX, 1);
	assert_int_equal(risk_check_order(&f.r, &in, PX, f.now), RISK_BAD_SYMBOL);
	in = mk(INTENT_NEW, 1, 0, 5, 'B', PX, 1);
	assert_int_equal(risk_check_order(&f.r, &in, PX, f.now), RISK_BAD_SYMBOL);
	in = mk(INTENT_CANCEL_ALL, 0, 0, 5, 0, 0, 0);
	assert_int_equal(risk_check_order(&f.r, &in, PX, f.now), RISK_BAD_SYMBOL);
	in = mk(INTENT_NEW, 1, 0, 1, 'X', PX, 1);
	assert_int_equal(risk_check_order(&f.r, &in, PX, f.now), RISK_BAD_SIDE);
	in = mk(INTENT_NEW, 0, 0, 1, 'B', PX, 1);
	assert_int_equal(risk_check_order(&f.r, &in, PX, f.now), RISK_BAD_TOKEN);
	in = mk(INTENT_NEW, 1, 0, 1, 'B', PX, 0);
	assert_int_equal(risk_check_order(&f.r, &in, PX, f.now), RISK_BAD_QTY);
	in = mk(INTENT_NEW, 1, 0, 1, 'B', 0, 1);
	assert_int_equal(risk_check_order(&f.r, &in, PX, f.now), RISK_BAD_PRICE);

	a = pass_new(&f, 1, 'B', PX, 10);
	/* Cancel / replace of unknown or busy orders. */
	assert_int_equal(try_cancel(&f, 424242), RISK_UNKNOWN_ORDER);
	in = mk(INTENT_REPLACE, 77, 424242, 1, 'B', PX, 1);
	assert_int_equal(risk_check_order(&f.r, &in, PX, f.now), RISK_UNKNOWN_ORDER);
	assert_int_equal(try_replace(&f, a, PX, 5, NULL), RISK_ORDER_BUSY); /* not accepted */
	ostore_on_accepted(&f.os, ref_of(&f, a), 1, NULL);
	in = mk(INTENT_REPLACE, 77, a, 1, 'S', PX, 1);
	assert_int_equal(risk_check_order(&f.r, &in, PX, f.now), RISK_BAD_SIDE);
	in = mk(INTENT_REPLACE, 77, a, 2, 'B', PX, 1);
	assert_int_equal(risk_check_order(&f.r, &in, PX, f.now), RISK_BAD_SIDE);
	/* A side that is neither, on a REPLACE: told by the order's side. */
	in = mk(INTENT_REPLACE, 77, a, 1, 'X', PX, 1);
	assert_int_equal(risk_check_order(&f.r, &in, PX, f.now), RISK_BAD_SIDE);
	in = mk(INTENT_REPLACE, 77, a, 1, 0, PX, 1);
	assert_int_equal(risk_check_order(&f.r, &in, PX, f.now), RISK_BAD_SIDE);
	assert_int_equal(try_replace(&f, a, PX, 5, &b), RISK_PASS);
	assert_int_equal(try_cancel(&f, a), RISK_ORDER_BUSY);
	assert_int_equal(try_cancel(&f, b), RISK_ORDER_BUSY);
	assert_int_equal(try_replace(&f, a, PX, 6, NULL), RISK_ORDER_BUSY);

	assert_int_equal(f.r.n_reason[RISK_BAD_SYMBOL], 3);
	assert_int_equal(f.r.n_reason[RISK_ORDER_BUSY], 4);
	assert_int_equal(f.r.n_pass, 2);
	fx_fini(&f);
}

/* ---- each limit: passes at the boundary, refuses one past ---------------- */

static void test_max_qty(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, NULL, NULL);
	f.ref_px = 10000; /* 1 USD: notional stays small */
	assert_int_equal(try_new(&f, 1, 'B', 10000, 1000, NULL), RISK_PASS);
	assert_int_equal(try_new(&f, 1, 'B', 10000, 1001, NULL), RISK_MAX_QTY);
	fx_fini(&f);
}

static void test_max_notional(void **state)
{
	struct risk_cfg c = RCFG;
	struct fx f;

	(void)state;
	c.max_order_notional = 250ull * PX + 1;
	fx_init(&f, NULL, &c);
	/* 250 x PX <= limit; 251 x PX > limit; and exactly limit + 1. */
	assert_int_equal(try_new(&f, 1, 'B', PX, 250, NULL), RISK_PASS);
	assert_int_equal(try_new(&f, 1, 'B', PX, 251, NULL), RISK_MAX_NOTIONAL);
	c.max_order_notional = 2ull * (PX + 2);
	fx_fini(&f);
	fx_init(&f, NULL, &c);
	assert_int_equal(try_new(&f, 1, 'B', PX + 2, 2, NULL), RISK_PASS);
	assert_int_equal(try_new(&f, 2, 'B', PX + 2, 2, NULL), RISK_PASS);
	c.max_order_notional = 2ull * (PX + 2) - 1;
	fx_fini(&f);
	fx_init(&f, NULL, &c);
	assert_int_equal(try_new(&f, 1, 'B', PX + 2, 2, NULL), RISK_MAX_NOTIONAL);
	fx_fini(&f);
}

static void test_collar(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, NULL, NULL);
	/* 50 bps of 100 USD = 5000 units either way. */
	assert_int_equal(try_new(&f, 1, 'B', PX + 5000, 1, NULL), RISK_PASS);
	assert_int_equal(try_new(&f, 1, 'B', PX + 5001, 1, NULL), RISK_PRICE_COLLAR);
	assert_int_equal(try_new(&f, 2, 'S', PX - 5000, 1, NULL), RISK_PASS);
	assert_int_equal(try_new(&f, 2, 'S', PX - 5001, 1, NULL), RISK_PRICE_COLLAR);
	f.ref_px = 0;
	assert_int_equal(try_new(&f, 3, 'B', PX, 1, NULL), RISK_NO_REFERENCE);
	/* Replace prices are collared too. */
	f.ref_px = PX;
	uint64_t t = pass_new(&f, 3, 'B', PX, 1);

	ostore_on_accepted(&f.os, ref_of(&f, t), 1, NULL);
	assert_int_equal(try_replace(&f, t, PX - 5001, 1, NULL), RISK_PRICE_COLLAR);
	/* No reference refuses a REPLACE too, at any price; the size limit
	 * is checked first. */
	f.ref_px = 0;
	assert_int_equal(try_replace(&f, t, PX, 1, NULL), RISK_NO_REFERENCE);
	assert_int_equal(try_replace(&f, t, 1, 1, NULL), RISK_NO_REFERENCE);
	assert_int_equal(try_replace(&f, t, PX, 1001, NULL), RISK_MAX_QTY);
	f.ref_px = PX;
	assert_int_equal(try_replace(&f, t, PX - 5000, 1, NULL), RISK_PASS);
	fx_fini(&f);
}

/* No reference is refused whatever the collar, even one that lets every
 * price through. */
static void test_no_reference_wide_collar(void **state)
{
	struct risk_cfg c = RCFG;
	struct fx f;

	(void)state;
	c.collar_bps = UINT32_MAX;
	fx_init(&f, NULL, &c);
	assert_int_equal(try_new(&f, 1, 'B', 1, 1, NULL), RISK_PASS);
	assert_int_equal(try_new(&f, 1, 'B', 500 * PX, 1, NULL), RISK_PASS);
	f.ref_px = 0;
	assert_int_equal(try_new(&f, 1, 'B', 1, 1, NULL), RISK_NO_REFERENCE);
	assert_int_equal(try_new(&f, 1, 'B', PX, 1, NULL), RISK_NO_REFERENCE);
	fx_fini(&f);
}

/* Worst case = position + every buy (or sell) reservation, working or in
 * flight; a pending replace holds the larger of old and new. */
static void test_position(void **state)
{
	struct risk_cfg c = RCFG;
	struct fx f;
	uint64_t filled, b300, t;

	(void)state;
	c.max_open_orders = 16;
	fx_init(&f, NULL, &c);
	f.ref_px = 10000;
	filled = pass_new(&f, 1, 'B', 9990, 300);
	ostore_on_accepted(&f.os, ref_of(&f, filled), 1, NULL);
	assert_int_equal(ostore_on_executed(&f.os, ref_of(&f, filled), 300, 9990, 1, 2, NULL),
			 OSTORE_FILLED);
	pass_new(&f, 1, 'B', 9990, 400);  /* in flight: never accepted */
	pass_new(&f, 1, 'B', 9990, 1000);
	b300 = pass_new(&f, 1, 'B', 9990, 300);  /* 300 + 400 + 1000 + 300 = 2000 */
	assert_int_equal(try_new(&f, 1, 'B', 9990, 1, NULL), RISK_MAX_LONG);
	assert_int_equal(try_new(&f, 2, 'B', 9990, 1, NULL), RISK_PASS); /* per symbol */

	/* Shorts: sells - position <= 2000, so 2300 of sells. */
	pass_new(&f, 1, 'S', 10010, 1000);
	pass_new(&f, 1, 'S', 10010, 1000);
	pass_new(&f, 1, 'S', 10010, 300);
	assert_int_equal(try_new(&f, 1, 'S', 10010, 1, NULL), RISK_MAX_SHORT);

	/* Replace up past the limit: refused; down: passes and, pending,
	 * still holds the old 300. */
	ostore_on_accepted(&f.os, ref_of(&f, b300), 3, NULL);
	assert_int_equal(try_replace(&f, b300, 9990, 301, NULL), RISK_MAX_LONG);
	assert_int_equal(try_replace(&f, b300, 9980, 300, NULL), RISK_PASS); /* adds nothing */
	assert_int_equal(try_new(&f, 1, 'B', 9990, 1, NULL), RISK_MAX_LONG);
	{
		const struct ostore_order *o = ostore_order_at(&f.os, ostore_find_token(&f.os, b300));
		uint64_t nt = o->new_token;

		assert_int_equal(ostore_on_replaced(&f.os, o->ref, o->new_ref, 300, 9980, 4, NULL),
				 OSTORE_LIVE);
		assert_int_equal(try_replace(&f, nt, 9980, 200, &t), RISK_PASS);
	}
	assert_int_equal(try_new(&f, 1, 'B', 9990, 1, NULL), RISK_MAX_LONG); /* holds 300 */
	{
		const struct ostore_order *o = ostore_order_at(&f.os, ostore_find_token(&f.os, t));

		ostore_on_replaced(&f.os, o->ref, o->new_ref, 200, 9980, 5, NULL);
	}
	assert_int_equal(try_new(&f, 1, 'B', 9990, 100, NULL), RISK_PASS);
	assert_int_equal(try_new(&f, 1, 'B', 9990, 1, NULL), RISK_MAX_LONG);
	fx_fini(&f);
}

static void test_max_open_and_store_full(void **state)
{
	struct ostore_cfg oc = OCFG;
	struct fx f;
	uint64_t t[6];
	uint32_t ref;

	(void)state;
	fx_init(&f, NULL, NULL);
	for (int i = 0; i < 6; i++)
		t[i] = pass_new(&f, 1, 'B', PX - (uint32_t)i, 1);
	assert_int_equal(try_new(&f, 1, 'B', PX, 1, NULL), RISK_MAX_OPEN);
	assert_int_equal(try_new(&f, 2, 'S', PX + 10, 1, NULL), RISK_MAX_OPEN);
	assert_int_equal(try_cancel(&f, t[0]), RISK_PASS); /* a cancel in flight still counts */
	assert_int_equal(try_new(&f, 1, 'B', PX, 1, NULL), RISK_MAX_OPEN);
	ref = ref_of(&f, t[0]);
	assert_int_equal(ostore_on_canceled(&f.os, ref, 0, 0, 1, NULL), OSTORE_CANCELED);
	assert_int_equal(try_new(&f, 1, 'B', PX, 1, NULL), RISK_PASS);
	fx_fini(&f);

	oc.max_orders = 4;
	fx_init(&f, &oc, NULL);
	for (int i = 0; i < 4; i++)
		pass_new(&f, 1, 'B', PX, 1);
	assert_int_equal(try_new(&f, 1, 'B', PX, 1, NULL), RISK_STORE_FULL);
	fx_fini(&f);
}

/* Credit: open notional (reservations) + |position| x last fill price. */
static void test_credit(void **state)
{
	struct risk_cfg c = RCFG;
	struct fx f;
	uint64_t t[6];

	(void)state;
	c.max_open_orders = 16;
	c.max_position = 100000;
	c.max_order_notional = 1000ull * PX;
	fx_init(&f, NULL, &c);
	for (int i = 0; i < 6; i++)
		t[i] = pass_new(&f, 1, 'B', PX, 500); /* 6 x 500 x PX = the limit */
	assert_int_equal(try_new(&f, 2, 'S', PX, 1, NULL), RISK_CREDIT);
	/* A fill moves notional from open to position: still full. */
	ostore_on_accepted(&f.os, ref_of(&f, t[0]), 1, NULL);
	assert_int_equal(ostore_on_executed(&f.os, ref_of(&f, t[0]), 500, PX, 1, 2, NULL),
			 OSTORE_FILLED);
	assert_int_equal(f.os.pos_ntl, 500ull * PX);
	assert_int_equal(try_new(&f, 2, 'S', PX, 1, NULL), RISK_CREDIT);
	/* A replace that adds notional is refused, one that does not passes. */
	ostore_on_accepted(&f.os, ref_of(&f, t[1]), 1, NULL);
	assert_int_equal(try_replace(&f, t[1], PX + 1, 500, NULL), RISK_CREDIT);
	assert_int_equal(try_replace(&f, t[1], PX - 1, 500, NULL), RISK_PASS);
	/* A canceled order frees its notional. */
	assert_int_equal(ostore_on_canceled(&f.os, ref_of(&f, t[2]), 0, 0, 3, NULL), OSTORE_CANCELED);
	assert_int_equal(try_new(&f, 2, 'S', PX + 1, 500, NULL), RISK_CREDIT);
	assert_int_equal(try_new(&f, 2, 'S', PX, 499, NULL), RISK_PASS);
	assert_int_equal(try_new(&f, 2, 'S', PX + 1, 1, NULL), RISK_CREDIT); /* 1 unit past */
	assert_int_equal(try_new(&f, 2, 'S', PX, 1, NULL), RISK_PASS);       /* at the limit */
	assert_int_equal(f.os.open_ntl + f.os.pos_ntl, c.credit_limit);
	assert_int_equal(try_new(&f, 3, 'B', PX, 1, NULL), RISK_CREDIT);
	fx_fini(&f);
}

/* Refill at the extremes: a refill that exactly fills the bucket, one unit
 * short of a message, and products of dt and rate past 64 bits. */
static void test_throttle_refill_edges(void **state)
{
	struct ostore os;
	struct risk r;
	struct risk_cfg c = RCFG;

	(void)state;
	assert_int_equal(ostore_init(&os, &OCFG, NULL), 0);
	c.burst = 3;
	c.rate_per_s = 7;
	assert_int_equal(risk_init(&r, &c, &os, NULL, T0), 0);
	r.bucket = 0;
	/* 7 units per ns: 1e9 units (a message) after 142857143 ns, not before. */
	assert_int_equal(risk_budget(&r, T0 + 142857142), 0);
	assert_int_equal(r.bucket, 142857142ull * 7);
	assert_int_equal(risk_budget(&r, T0 + 142857143), 1);
	r.bucket = 3 * RISK_NS_PER_S - 14;
	r.bucket_ns = T0;
	assert_int_equal(risk_budget(&r, T0 + 2), 3); /* exactly full */
	assert_int_equal(r.bucket, 3 * RISK_NS_PER_S);
	risk_fini(&r);

	c.rate_per_s = UINT32_MAX;
	assert_int_equal(risk_init(&r, &c, &os, NULL, 0), 0);
	r.bucket = 0;
	assert_int_equal(risk_budget(&r, UINT64_MAX), 3); /* dt x rate >= 2^64 */
	assert_int_equal(r.bucket, 3 * RISK_NS_PER_S);
	r.bucket = 0;
	r.bucket_ns = 0;
	assert_int_equal(risk_budget(&r, 1), 3); /* 4.29e9 units in 1 ns, capped */
	risk_fini(&r);
	ostore_fini(&os);
}

static void test_throttle(void **state)
{
	struct ostore_cfg oc = OCFG;
	struct risk_cfg c = RCFG;
	struct fx f;
	uint64_t t;

	(void)state;
	oc.max_orders = 64;
	c.max_open_orders = 64;
	c.burst = 5;
	c.rate_per_s = 1000; /* one per ms */
	fx_init(&f, &oc, &c);
	t = pass_new(&f, 1, 'B', PX, 1);
	for (int i = 0; i < 4; i++)
		pass_new(&f, 1, 'B', PX, 1);
	assert_int_equal(try_new(&f, 1, 'B', PX, 1, NULL), RISK_THROTTLE);
	assert_int_equal(risk_budget(&f.r, f.now), 0);
	/* Cancels pass an empty bucket. */
	assert_int_equal(try_cancel(&f, t), RISK_PASS);
	f.now = T0 + MS - 1;
	assert_int_equal(try_new(&f, 1, 'B', PX, 1, NULL), RISK_THROTTLE);
	f.now = T0 + MS;
	assert_int_equal(try_new(&f, 1, 'B', PX, 1, NULL), RISK_PASS);
	assert_int_equal(try_new(&f, 1, 'B', PX, 1, NULL), RISK_THROTTLE);
	/* A cancel spends a message when there is one. */
	f.now = T0 + 2 * MS;
	assert_int_equal(risk_budget(&f.r, f.now), 1);
	assert_int_equal(try_cancel(&f, f.next_tok - 2), RISK_PASS);
	assert_int_equal(try_new(&f, 1, 'B', PX, 1, NULL), RISK_THROTTLE);
	/* Refill caps at burst; time stepping back adds nothing. */
	f.now = T0 + 3600 * 1000 * MS;
	assert_int_equal(risk_budget(&f.r, f.now), 5);
	assert_int_equal(risk_budget(&f.r, T0), 5);
	/* A message spent at an earlier time is spent, and the refill keeps
	 * its later time: the next millisecond after it adds one, not more. */
	f.now = T0;
	assert_int_equal(try_new(&f, 1, 'B', PX, 1, NULL), RISK_PASS);
	assert_int_equal(f.r.bucket_ns, T0 + 3600 * 1000 * MS);
	assert_int_equal(risk_budget(&f.r, T0 + 3600 * 1000 * MS), 4);
	f.now = T0 + 3600 * 1000 * MS + MS - 1;
	assert_int_equal(risk_budget(&f.r, f.now), 4);
	f.now = T0 + 3600 * 1000 * MS + MS;
	assert_int_equal(risk_budget(&f.r, f.now), 5);
	fx_fini(&f);
}

static void test_duplicate(void **state)
{
	struct fx f;
	struct order_intent in;
	uint64_t a, b;

	(void)state;
	fx_init(&f, NULL, NULL);
	a = pass_new(&f, 1, 'B', PX, 1);
	b = pass_new(&f, 1, 'B', PX, 1);
	in = mk(INTENT_NEW, a, 0, 1, 'B', PX, 1);
	assert_int_equal(risk_check_order(&f.r, &in, PX, f.now), RISK_DUPLICATE);
	assert_int_equal(ostore_on_rejected(&f.os, ref_of(&f, a), 0, 1, NULL), OSTORE_REJECTED);
	assert_int_equal(risk_check_order(&f.r, &in, PX, f.now), RISK_DUPLICATE); /* closed */
	ostore_on_accepted(&f.os, ref_of(&f, b), 1, NULL);
	in = mk(INTENT_REPLACE, b, b, 1, 'B', PX, 2);
	assert_int_equal(risk_check_order(&f.r, &in, PX, f.now), RISK_DUPLICATE);
	in = mk(INTENT_NEW, a + 1000000, 0, 1, 'B', PX, 1);
	assert_int_equal(risk_check_order(&f.r, &in, PX, f.now), RISK_PASS);
	fx_fini(&f);
}

static void test_self_cross(void **state)
{
	struct fx f;
	uint64_t s, b;

	(void)state;
	fx_init(&f, NULL, NULL);
	s = pass_new(&f, 1, 'S', PX + 100, 10);
	assert_int_equal(try_new(&f, 1, 'B', PX + 100, 1, NULL), RISK_SELF_CROSS);
	assert_int_equal(try_new(&f, 1, 'B', PX + 200, 1, NULL), RISK_SELF_CROSS);
	b = pass_new(&f, 1, 'B', PX + 99, 1);
	assert_int_equal(try_new(&f, 1, 'S', PX + 99, 1, NULL), RISK_SELF_CROSS);
	assert_int_equal(try_new(&f, 1, 'S', PX + 100, 1, NULL), RISK_PASS);
	assert_int_equal(try_new(&f, 2, 'B', PX + 200, 1, NULL), RISK_PASS); /* other symbol */
	/* A pending replacement's price counts. */
	ostore_on_accepted(&f.os, ref_of(&f, s), 1, NULL);
	ostore_on_accepted(&f.os, ref_of(&f, b), 1, NULL);
	assert_int_equal(try_replace(&f, s, PX + 99, 10, NULL), RISK_SELF_CROSS);
	assert_int_equal(try_replace(&f, s, PX + 150, 10, NULL), RISK_PASS);
	assert_int_equal(try_replace(&f, b, PX + 150, 1, NULL), RISK_SELF_CROSS); /* new px */
	assert_int_equal(try_replace(&f, b, PX + 98, 1, NULL), RISK_PASS);
	fx_fini(&f);
}

static void test_kill_switch(void **state)
{
	struct fx f;
	struct order_intent in;
	uint64_t a, b;

	(void)state;
	fx_init(&f, NULL, NULL);
	a = pass_new(&f, 1, 'B', PX, 1);
	b = pass_new(&f, 1, 'B', PX, 1);
	ostore_on_accepted(&f.os, ref_of(&f, b), 1, NULL);
	risk_set_kill(&f.r, 1);
	assert_int_equal(try_new(&f, 1, 'B', PX, 1, NULL), RISK_KILL_SWITCH);
	assert_int_equal(try_new(&f, 2, 'S', PX, 1, NULL), RISK_KILL_SWITCH);
	assert_int_equal(try_replace(&f, b, PX, 1, NULL), RISK_KILL_SWITCH);
	assert_int_equal(try_cancel(&f, a), RISK_PASS);
	in = mk(INTENT_CANCEL_ALL, 0, 0, 0, 0, 0, 0);
	assert_int_equal(risk_check_order(&f.r, &in, 0, f.now), RISK_PASS);
	in.locate = 1;
	assert_int_equal(risk_check_order(&f.r, &in, 0, f.now), RISK_PASS);
	/* Kill refusals do not start a backoff (none configured either way). */
	assert_int_equal(f.r.n_reason[RISK_KILL_SWITCH], 3);
	risk_set_kill(&f.r, 0);
	assert_int_equal(try_new(&f, 1, 'B', PX, 1, NULL), RISK_PASS);
	fx_fini(&f);
}

/* Three refused NEWs (qty past the limit) on locate at the current time. */
static void storm(struct fx *f, uint16_t loc)
{
	for (int i = 0; i < 3; i++)
		assert_int_equal(try_new(f, loc, 'B', PX, 5000, NULL), RISK_MAX_QTY);
}

static void test_backoff(void **state)
{
	struct ostore_cfg oc = OCFG;
	struct risk_cfg c = RCFG;
	struct fx f;
	uint64_t t;

	(void)state;
	oc.max_orders = 64;
	oc.token_history = 1024;
	c.max_open_orders = 64;
	c.storm_rejects = 3;
	c.storm_window_ns = 1 * MS;
	c.backoff_ns = 10 * MS;
	c.backoff_max_ns = 40 * MS;
	c.quiet_ns = 100 * MS;
	fx_init(&f, &oc, &c);

	/* Rejects spread wider than the window: no backoff. */
	for (int i = 0; i < 4; i++) {
		assert_int_equal(try_new(&f, 1, 'B', PX, 5000, NULL), RISK_MAX_QTY);
		f.now += MS + 1;
	}
	assert_int_equal(try_new(&f, 1, 'B', PX, 1, NULL), RISK_PASS);

	/* Backoffs of 10, 20, 40 and 40 ms (capped). */
	const uint64_t want[] = { 10 * MS, 20 * MS, 40 * MS, 40 * MS };

	for (int k = 0; k < 4; k++) {
		t = f.now;
		storm(&f, 1);
		assert_int_equal(try_new(&f, 1, 'B', PX, 1, NULL), RISK_BACKOFF);
		assert_int_equal(try_new(&f, 2, 'B', PX, 1, NULL), RISK_PASS); /* other symbol */
		f.now = t + want[k] - 1;
		for (int i = 0; i < 5; i++) /* refusals in backoff do not extend it */
			assert_int_equal(try_new(&f, 1, 'B', PX, 1, NULL), RISK_BACKOFF);
		f.now = t + want[k];
		assert_int_equal(try_new(&f, 1, 'B', PX, 1, NULL), RISK_PASS);
	}
	assert_int_equal(f.r.n_storms, 4);
	/* Cancels are not held back. */
	t = f.now;
	storm(&f, 1);
	assert_int_equal(try_cancel(&f, f.next_tok - 4), RISK_PASS);
	/* Quiet for quiet_ns since the last reject: back to 10 ms. */
	f.now = t + 100 * MS;
	t = f.now;
	storm(&f, 1);
	f.now = t + 10 * MS - 1;
	assert_int_equal(try_new(&f, 1, 'B', PX, 1, NULL), RISK_BACKOFF);
	f.now = t + 10 * MS;
	assert_int_equal(try_new(&f, 1, 'B', PX, 1, NULL), RISK_PASS);

	/* Venue rejects count too (level 1 now: 20 ms). */
	t = f.now;
	for (int i = 0; i < 3; i++)
		risk_note_venue_reject(&f.r, 1, f.now);
	assert_int_equal(try_new(&f, 1, 'B', PX, 1, NULL), RISK_BACKOFF);
	f.now = t + 20 * MS;
	assert_int_equal(try_new(&f, 1, 'B', PX, 1, NULL), RISK_PASS);
	fx_fini(&f);
}

static void test_reason_names(void **state)
{
	(void)state;
	/* Stable numbers: these are written to outputs. */
	assert_int_equal(RISK_BAD_OP, 1);
	assert_int_equal(RISK_DUPLICATE, 10);
	assert_int_equal(RISK_PRICE_COLLAR, 15);
	assert_int_equal(RISK_THROTTLE, 22);
	for (int i = 0; i <= RISK_THROTTLE; i++) {
		const char *n = risk_reason_name(i);

		assert_string_not_equal(n, "?");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(n, risk_reason_name(j));
	}
	for (int i = RISK_THROTTLE + 1; i <= RISK_REASON_MAX + 1; i++)
		assert_string_equal(risk_reason_name(i), "?");
	assert_string_equal(risk_reason_name(-1), "?");
	assert_string_equal(risk_reason_name(RISK_MAX_LONG), "max_long");
}

/* ---- property test ------------------------------------------------------ */

#define P_SYMS 3
#define P_ORD 32          /* model slots >= max_orders of the store */
#define P_STEPS 20000
#define P_SEEDS 32
#define P_TOKENS (P_STEPS + 16)

enum { M_CLOSED, M_PNEW, M_WORK, M_PCXL, M_PRPL };

/* The test's own record of an order, built from what it passed and what its
 * model venue did, never from the store. */
struct m_ord {
	uint64_t tok, ntok, last_match;
	uint32_t ref, nref, px, npx, leaves, nqty;
	uint16_t loc;
	uint8_t side, st, acked;
};

struct model {
	struct m_ord o[P_ORD];
	int64_t pos[P_SYMS + 1];
	uint32_t mark[P_SYMS + 1];
	uint32_t ref_px[P_SYMS + 1];
	uint8_t used[P_TOKENS + 1];   /* tokens passed in a NEW or REPLACE */
	uint64_t pass_t[64];          /* times of the last NEW/REPLACE passes */
	uint64_t n_orders;            /* NEW/REPLACE passed */
	uint64_t match;
	int kill;
};

static uint64_t rng(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint32_t rnd(uint64_t *s, uint32_t n)
{
	return (uint32_t)(rng(s) % n);
}

static uint64_t m_res(const struct m_ord *o)
{
	if (o->st == M_PRPL && o->nqty > o->leaves)
		return o->nqty;
	return o->leaves;
}

static uint64_t m_res_ntl(const struct m_ord *o)
{
	uint64_t a = (uint64_t)o->leaves * o->px, b = (uint64_t)o->nqty * o->npx;

	return o->st == M_PRPL && b > a ? b : a;
}

/* Worst-case long (side 'B') or short ('S') of loc, from the model. */
static int64_t m_worst(const struct model *m, uint16_t loc, uint8_t side)
{
	int64_t res = 0;

	for (int i = 0; i < P_ORD; i++)
		if (m->o[i].st != M_CLOSED && m->o[i].loc == loc && m->o[i].side == side)
			res += (int64_t)m_res(&m->o[i]);
	return side == 'B' ? m->pos[loc] + res : res - m->pos[loc];
}

static uint64_t m_credit(const struct model *m)
{
	uint64_t u = 0;

	for (int i = 0; i < P_ORD; i++)
		if (m->o[i].st != M_CLOSED)
			u += m_res_ntl(&m->o[i]);
	for (int s = 1; s <= P_SYMS; s++)
		u += (uint64_t)(m->pos[s] < 0 ? -m->pos[s] : m->pos[s]) * m->mark[s];
	return u;
}

static uint32_t m_open(const struct model *m)
{
	uint32_t n = 0;

	for (int i = 0; i < P_ORD; i++)
		n += m->o[i].st != M_CLOSED;
	return n;
}

static struct m_ord *m_find(struct model *m, uint64_t tok)
{
	for (int i = 0; i < P_ORD; i++)
		if (m->o[i].st != M_CLOSED && (m->o[i].tok == tok || (m->o[i].st == M_PRPL &&
									m->o[i].ntok == tok)))
			return &m->o[i];
	return NULL;
}

/* Would side at px trade with a model order on loc (skip: the one replaced)? */
static int m_crosses(const struct model *m, uint16_t loc, uint8_t side, uint32_t px,
		     const struct m_ord *skip)
{
	for (int i = 0; i < P_ORD; i++) {
		const struct m_ord *o = &m->o[i];

		if (o == skip || o->st == M_CLOSED || o->loc != loc || o->side == side)
			continue;
		if (side == 'B' && (o->px <= px || (o->st == M_PRPL && o->npx <= px)))
			return 1;
		if (side == 'S' && (o->px >= px || (o->st == M_PRPL && o->npx >= px)))
			return 1;
	}
	return 0;
}

static const struct risk_cfg PCFG = {
	.max_order_qty = 800,
	.max_order_notional = 300ull * PX,
	.collar_bps = 50,
	.max_position = 1500,
	.max_open_orders = 12,
	.credit_limit = 4000ull * PX,
	.rate_per_s = 2000,
	.burst = 10,
	.storm_rejects = 6,
	.storm_window_ns = 1 * MS,
	.backoff_ns = 500 * US,
	.backoff_max_ns = 4 * MS,
	.quiet_ns = 5 * MS,
};

/* Every limit, recomputed from the model, holds for an intent that passed.
 * o: the replaced order (REPLACE) or NULL (NEW). Called before the model
 * takes the intent in. */
static void p_assert_limits(const struct model *m, const struct order_intent *in,
			    const struct m_ord *o, uint32_t ref_px, uint64_t now)
{
	const struct risk_cfg *c = &PCFG;
	uint64_t ntl = (uint64_t)in->px * in->qty;
	uint64_t diff = in->px > ref_px ? in->px - ref_px : ref_px - in->px;
	uint64_t add_q = in->qty, add_n = ntl;

	assert_false(m->kill);
	assert_true(in->token > 0 && in->token <= P_TOKENS);
	assert_false(m->used[in->token]);
	assert_true(in->qty > 0 && in->qty <= c->max_order_qty);
	assert_true(ntl <= c->max_order_notional);
	assert_true(ref_px > 0);
	assert_true(diff * 10000 <= (uint64_t)ref_px * c->collar_bps);
	assert_false(m_crosses(m, in->locate, in->side, in->px, o));
	if (o) {
		assert_int_equal(o->st, M_WORK);
		assert_int_equal(o->side, in->side);
		assert_int_equal(o->loc, in->locate);
		add_q = in->qty > o->leaves ? in->qty - o->leaves : 0;
		add_n = ntl > (uint64_t)o->leaves * o->px ? ntl - (uint64_t)o->leaves * o->px : 0;
	} else {
		assert_true(m_open(m) + 1 <= c->max_open_orders);
	}
	if (add_q)
		assert_true(m_worst(m, in->locate, in->side) + (int64_t)add_q <=
			    (int64_t)c->max_position);
	if (add_n)
		assert_true(m_credit(m) + add_n <= c->credit_limit);
	/* Throttle: any span [t_k, now] holds at most burst + rate x span. */
	uint64_t n = m->n_orders + 1;

	assert_true((n - c->burst) * 1000000000ull <= (uint64_t)c->rate_per_s * (now - T0) ||
		    n <= c->burst);
	for (uint64_t k = n > 64 ? n - 64 : 1; k < n; k++) {
		uint64_t cnt = n - k + 1, tk = m->pass_t[(k - 1) % 64];

		if (cnt > c->burst)
			assert_true((cnt - c->burst) * 1000000000ull <=
				    (uint64_t)c->rate_per_s * (now - tk));
	}
}

static struct m_ord *m_slot(struct model *m)
{
	for (int i = 0; i < P_ORD; i++)
		if (m->o[i].st == M_CLOSED)
			return &m->o[i];
	fail_msg("model full");
	return &m->o[0];
}

static void m_fill(struct fx *f, struct model *m, struct m_ord *o, uint32_t q)
{
	int want = q == o->leaves ? OSTORE_FILLED : o->st == M_PNEW || o->st == M_WORK ?
								   OSTORE_PARTIAL : -1;
	int got = ostore_on_executed(&f->os, o->ref, q, o->px, ++m->match, f->now, NULL);

	if (want >= 0)
		assert_int_equal(got, want);
	else
		assert_int_equal(got, o->st == M_PCXL ? OSTORE_PENDING_CANCEL : OSTORE_PENDING_REPLACE);
	m->pos[o->loc] += o->side == 'B' ? (int64_t)q : -(int64_t)q;
	m->mark[o->loc] = o->px;
	o->last_match = m->match;
	o->leaves -= q;
	if (!o->leaves)
		o->st = M_CLOSED;
	else if (o->st == M_PNEW)
		o->st = M_WORK, o->acked = 1; /* a fill implies the accept */
}

/* The model venue acts on one random open order. */
static void p_venue(struct fx *f, struct model *m, uint64_t *s)
{
	struct m_ord *o = &m->o[rnd(s, P_ORD)];
	uint32_t u = rnd(s, 100);

	switch (o->st) {
	case M_PNEW:
		if (u < 75) {
			assert_int_equal(ostore_on_accepted(&f->os, o->ref, f->now, NULL), OSTORE_LIVE);
			o->st = M_WORK;
			o->acked = 1;
		} else {
			assert_int_equal(ostore_on_rejected(&f->os, o->ref, 'Z', f->now, NULL),
					 OSTORE_REJECTED);
			risk_note_venue_reject(&f->r, o->loc, f->now);
			o->st = M_CLOSED;
		}
		break;
	case M_WORK:
		if (u < 50) {
			m_fill(f, m, o, 1 + rnd(s, o->leaves));
		} else if (u < 60 && o->last_match) {
			assert_int_equal(ostore_on_executed(&f->os, o->ref, 1, o->px, o->last_match,
							    f->now, NULL),
					 -EALREADY);
		} else if (u < 65 && o->leaves > 1) {
			uint32_t d = 1 + rnd(s, o->leaves - 1);

			int got = ostore_on_canceled(&f->os, o->ref, d, 0, f->now, NULL);

			assert_true(got == OSTORE_LIVE || got == OSTORE_PARTIAL);
			o->leaves -= d;
		}
		break;
	case M_PCXL:
		if (!o->acked) {
			assert_int_equal(ostore_on_accepted(&f->os, o->ref, f->now, NULL),
					 OSTORE_PENDING_CANCEL);
			o->acked = 1;
		} else if (u < 30) {
			m_fill(f, m, o, 1 + rnd(s, o->leaves));
		} else {
			assert_int_equal(ostore_on_canceled(&f->os, o->ref, 0, 0, f->now, NULL),
					 OSTORE_CANCELED);
			o->st = M_CLOSED;
		}
		break;
	case M_PRPL:
		if (u < 30) {
			m_fill(f, m, o, 1 + rnd(s, o->leaves));
		} else if (u < 80) {
			int got = ostore_on_replaced(&f->os, o->ref, o->nref, o->nqty, o->npx, f->now,
						     NULL);

			assert_true(got == OSTORE_LIVE || got == OSTORE_PARTIAL);
			o->st = M_WORK;
			o->tok = o->ntok;
			o->ref = o->nref;
			o->px = o->npx;
			o->leaves = o->nqty;
			o->last_match = 0;
		} else {
			int got = ostore_on_rejected(&f->os, o->nref, 'Z', f->now, NULL);

			assert_true(got == OSTORE_LIVE || got == OSTORE_PARTIAL);
			o->st = M_WORK;
			o->ntok = 0;
		}
		break;
	default:
		break;
	}
}

static uint32_t p_px(uint64_t *s, uint32_t ref)
{
	uint32_t r = ref ? ref : PX;
	int64_t off = rnd(s, 100) < 85 ? (int64_t)rnd(s, 121) - 60 : (int64_t)rnd(s, 1001) - 500;

	return (uint32_t)((int64_t)r + off * 100); /* 0.01 USD ticks; 0.6 % or 5 % away */
}

static uint32_t p_qty(uint64_t *s)
{
	return rnd(s, 100) < 80 ? 1 + rnd(s, 250) : 1 + rnd(s, 1200);
}

/* One random intent: checked, and on pass asserted against the model's
 * limits, sent to the store and taken into the model. */
static void p_intent(struct fx *f, struct model *m, uint64_t *s, uint64_t *next_tok)
{
	struct order_intent in;
	struct m_ord *o = NULL;
	uint32_t u = rnd(s, 100), ref_px, a, b;
	uint16_t loc = (uint16_t)(1 + rnd(s, P_SYMS));
	enum risk_reason why;
	struct ostore_probe pr;

	memset(&in, 0, sizeof(in));
	in.token = (*next_tok)++;
	if (rnd(s, 100) < 3) {
		uint64_t old = 1 + rnd(s, (uint32_t)*next_tok - 1);

		if (m->used[old])
			in.token = old;
	}
	if (u < 55) {
		in.op = INTENT_NEW;
	} else if (u < 72) {
		in.op = INTENT_CANCEL;
	} else if (u < 95) {
		in.op = INTENT_REPLACE;
	} else if (u < 96) {
		in.op = INTENT_CANCEL_ALL;
	} else {
		in.op = (uint8_t)rnd(s, 6); /* includes bad ops */
	}
	if (in.op == INTENT_CANCEL || in.op == INTENT_REPLACE) {
		uint32_t at = rnd(s, P_ORD), k = 0;

		/* Mostly an open order; else any token, most of them closed. */
		while (k < P_ORD && m->o[(at + k) % P_ORD].st == M_CLOSED)
			k++;
		if (k < P_ORD && rnd(s, 100) < 90)
			in.orig_token = m->o[(at + k) % P_ORD].tok;
		else
			in.orig_token = 1 + rnd(s, (uint32_t)*next_tok);
		o = m_find(m, in.orig_token);
		if (o)
			loc = o->loc;
	}
	in.locate = in.op == INTENT_CANCEL_ALL ? (uint16_t)rnd(s, P_SYMS + 1) : loc;
	in.side = o ? o->side : rnd(s, 2) ? 'B' : 'S';
	if (rnd(s, 100) < 3)
		in.side = in.side == 'B' ? 'S' : 'B';
	ref_px = rnd(s, 100) < 3 ? 0 : m->ref_px[loc];
	in.px = p_px(s, m->ref_px[loc]);
	in.qty = p_qty(s);

	/* Both ways through the checks and the store meet the same model. */
	ostore_probe_homes(&f->os, &in, &pr);
	if (f->probed == 3) {
		struct ostore_probe homes = pr;

		/* The checks must read the homes from homes alone. */
		pr.tok_home = homes.tok_home ^ 1u;
		pr.orig_home = homes.orig_home ^ 1u;
		why = risk_check_homes(&f->r, f->r.os, &in, &homes, &pr, ref_px, f->now);
	} else {
		why = f->probed ? risk_check_probed(&f->r, f->r.os, &in, &pr, ref_px, f->now)
				: risk_check_order(&f->r, &in, ref_px, f->now);
	}
	if (why != RISK_PASS)
		return;
	switch (in.op) {
	case INTENT_NEW: {
		struct m_ord *n;

		p_assert_limits(m, &in, NULL, ref_px, f->now);
		n = m_slot(m);
		assert_int_equal(f->probed >= 2   ? ostore_send_new_passed(&f->os, &in, &pr, f->now, &a)
				 : f->probed ? ostore_send_new_probed(&f->os, &in, &pr, f->now, &a)
					     : ostore_send_new(&f->os, &in, f->now, &a),
				 0);
		memset(n, 0, sizeof(*n));
		n->tok = in.token;
		n->ref = a;
		n->px = in.px;
		n->leaves = in.qty;
		n->loc = in.locate;
		n->side = in.side;
		n->st = M_PNEW;
		break;
	}
	case INTENT_REPLACE:
		assert_non_null(o);
		assert_int_equal(o->tok, in.orig_token);
		p_assert_limits(m, &in, o, ref_px, f->now);
		assert_int_equal(f->probed >= 2
				 ? ostore_send_replace_passed(&f->os, &in, &pr, f->now, &a, &b)
				 : f->probed ? ostore_send_replace_probed(&f->os, &in, &pr, f->now, &a, &b)
					     : ostore_send_replace(&f->os, &in, f->now, &a, &b),
				 0);
		assert_int_equal(a, o->ref);
		o->st = M_PRPL;
		o->ntok = in.token;
		o->nref = b;
		o->npx = in.px;
		o->nqty = in.qty;
		break;
	case INTENT_CANCEL:
		assert_non_null(o);
		assert_int_equal(o->tok, in.orig_token);
		assert_true(o->st == M_PNEW || o->st == M_WORK);
		assert_int_equal(f->probed ? ostore_send_cancel_probed(&f->os, &pr, f->now, &a)
					   : ostore_send_cancel(&f->os, o->tok, f->now, &a), 0);
		o->st = M_PCXL;
		return;
	case INTENT_CANCEL_ALL:
		for (int i = 0; i < P_ORD; i++) {
			struct m_ord *c = &m->o[i];

			if ((c->st == M_PNEW || c->st == M_WORK) &&
			    (!in.locate || c->loc == in.locate)) {
				assert_int_equal(ostore_send_cancel(&f->os, c->tok, f->now, &a), 0);
				c->st = M_PCXL;
			}
		}
		return;
	default:
		fail_msg("op %d passed", in.op);
	}
	m->used[in.token] = 1;
	m->pass_t[m->n_orders % 64] = f->now;
	m->n_orders++;
}

/* The store agrees with the model on open orders, positions, reservations. */
static void p_agree(const struct fx *f, const struct model *m)
{
	assert_int_equal(f->os.n_open, m_open(m));
	for (uint16_t loc = 1; loc <= P_SYMS; loc++) {
		const struct ostore_sym *s = ostore_sym_at(&f->os, loc);

		assert_int_equal(s->pos, m->pos[loc]);
		assert_int_equal((int64_t)s->buy_res, m_worst(m, loc, 'B') - m->pos[loc]);
		assert_int_equal((int64_t)s->sell_res, m_worst(m, loc, 'S') + m->pos[loc]);
	}
	assert_int_equal(f->os.open_ntl + f->os.pos_ntl, m_credit(m));
}

static void test_property(void **state)
{
	static struct model m;
	struct ostore_cfg oc = { .max_orders = P_ORD, .max_locate = P_SYMS,
				 .token_history = P_TOKENS };
	uint64_t reasons[RISK_REASON_MAX + 1] = { 0 }, passes = 0, fills = 0;

	(void)state;
	for (uint64_t seed = 1; seed <= P_SEEDS; seed++) {
		struct fx f;
		uint64_t s = seed * 0x1234567ull, next_tok = 1;

		memset(&m, 0, sizeof(m));
		memset(&f, 0, sizeof(f));
		f.probed = (int)(seed % 4);
		assert_int_equal(ostore_init(&f.os, &oc, NULL), 0);
		assert_int_equal(risk_init(&f.r, &PCFG, &f.os, NULL, T0), 0);
		f.now = T0;
		for (int i = 1; i <= P_SYMS; i++)
			m.ref_px[i] = PX + (uint32_t)i * 100000;
		for (int step = 0; step < P_STEPS; step++) {
			f.now += rnd(&s, 100) * US + rnd(&s, 1000);
			if (rnd(&s, 100) < 10) {
				uint16_t loc = (uint16_t)(1 + rnd(&s, P_SYMS));

				m.ref_px[loc] = m.ref_px[loc] + rnd(&s, 401) - 200;
			}
			if (!m.kill && rnd(&s, 1000) < 3)
				risk_set_kill(&f.r, m.kill = 1);
			else if (m.kill && rnd(&s, 100) < 5)
				risk_set_kill(&f.r, m.kill = 0);
			if (rnd(&s, 100) < 50)
				p_intent(&f, &m, &s, &next_tok);
			else
				p_venue(&f, &m, &s);
			p_agree(&f, &m);
		}
		for (int i = 0; i <= RISK_REASON_MAX; i++)
			reasons[i] += f.r.n_reason[i];
		passes += f.r.n_pass;
		fills += f.os.cnt.fills;
		assert_int_equal(f.os.cnt.bad_event, 0);
		assert_int_equal(f.os.cnt.unknown_ref, 0);
		risk_fini(&f.r);
		ostore_fini(&f.os);
	}
	/* Not vacuous: plenty passed and every limit was hit. */
	print_message("property: %llu passes, %llu fills\n", (unsigned long long)passes,
		      (unsigned long long)fills);
	for (int i = 1; i <= RISK_THROTTLE; i++)
		if (reasons[i])
			print_message("  %-14s %llu\n", risk_reason_name(i),
				      (unsigned long long)reasons[i]);
	assert_true(passes > 10000);
	assert_true(fills > 1000);
	const int must[] = { RISK_DUPLICATE, RISK_MAX_QTY, RISK_MAX_NOTIONAL, RISK_NO_REFERENCE,
			     RISK_PRICE_COLLAR, RISK_MAX_LONG, RISK_MAX_SHORT, RISK_MAX_OPEN,
			     RISK_CREDIT, RISK_SELF_CROSS, RISK_THROTTLE, RISK_KILL_SWITCH,
			     RISK_BACKOFF, RISK_UNKNOWN_ORDER, RISK_ORDER_BUSY, RISK_BAD_SIDE };

	for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++) {
		if (!reasons[must[i]])
			fail_msg("no %s refusal in the property run", risk_reason_name(must[i]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfg),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_max_qty),
		cmocka_unit_test(test_max_notional),
		cmocka_unit_test(test_collar),
		cmocka_unit_test(test_no_reference_wide_collar),
		cmocka_unit_test(test_position),
		cmocka_unit_test(test_max_open_and_store_full),
		cmocka_unit_test(test_credit),
		cmocka_unit_test(test_throttle),
		cmocka_unit_test(test_throttle_refill_edges),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_self_cross),
		cmocka_unit_test(test_kill_switch),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_reason_names),
		cmocka_unit_test(test_property),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
