/* test_mm.c - cmocka tests of strategy/mm.c, the one-symbol market maker:
 * two-sided quoting off the first book, quotes pulled on stale / crossed /
 * halted books, kill emits one CANCEL_ALL and latches, the position-limit
 * side is not quoted, the reservation skew's direction end to end (GLFT and
 * AS), the guaranteed-presence rule (unit and over a random stream), fill
 * accounting, the portfolio limit, byte-identical intents for the same
 * event sequence, and the model refresh's memo against the closed forms.
 * A tiny in-test venue acknowledges intents. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "strategy/mm.h"

#define MS 1000000ull
#define T0 (36000ull * 1000 * MS) /* 10:00, ns */
#define LOC 7
#define BASE 1000
#define MAXI 64

static struct mm M, M2; /* large: static storage */

static struct md_event book(uint32_t bid, uint32_t bq, uint32_t ask, uint32_t aq, uint8_t flags)
{
	struct md_event e;

	memset(&e, 0, sizeof(e));
	e.kind = MD_BOOK;
	e.locate = LOC;
	e.bid_px = bid;
	e.ask_px = ask;
	e.bid_qty = bq;
	e.ask_qty = aq;
	e.flags = flags | MD_F_TOP;
	e.t_rx_tsc = 77;
	return e;
}

static struct exec_report rep(uint8_t kind, uint64_t token, uint8_t side, uint32_t px,
			      uint32_t qty)
{
	struct exec_report r;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.locate = LOC;
	r.token = token;
	r.side = side;
	r.px = px;
	r.qty = qty;
	return r;
}

/* Acknowledge every intent as the venue would, and the intents those
 * reports cause, until nothing is left; returns the follow-ups acked. */
static uint32_t venue_ack(struct mm *m, const struct order_intent *in, uint32_t n, uint64_t now)
{
	static struct order_intent q[4096];
	uint32_t head = 0, tail = 0;

	for (uint32_t i = 0; i < n && tail < 4096; i++)
		q[tail++] = in[i];
	while (head < tail) {
		const struct order_intent *x = &q[head++];
		struct exec_report r;

		if (x->op == INTENT_NEW)
			r = rep(EXEC_ACCEPTED, x->token, x->side, x->px, x->qty);
		else if (x->op == INTENT_REPLACE)
			r = rep(EXEC_REPLACED, x->token, x->side, x->px, x->qty);
		else if (x->op == INTENT_CANCEL)
			r = rep(EXEC_CANCELED, x->orig_token, x->side, x->px, 0);
		else
			continue;
		assert_true(tail + MAXI <= 4096);
		tail += mm_on_exec(m, &r, now, 1, q + tail, MAXI);
	}
	return tail - n;
}

static void setup_cfg(struct mm_cfg *c)
{
	mm_cfg_defaults(c);
	c->recon.rate_per_s = 10000; /* the tests are not about the budget */
	c->recon.burst = 1000;
	c->recon.min_life_ns = 0;
}

static uint32_t count(const struct order_intent *o, uint32_t n, uint8_t op, uint8_t reason,
		      uint8_t side)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < n; i++)
		if (o[i].op == op && (!reason || o[i].reason == reason) &&
		    (!side || o[i].side == side))
			k++;
	return k;
}

/* $50.00 x $50.02, 500 x 500: fair 50.01. */
#define BID 500000
#define ASK 500200

static void start(struct mm *m, const struct mm_cfg *c, struct order_intent *out, uint32_t *n)
{
	struct md_event e = book(BID, 500, ASK, 500, 0);

	assert_int_equal(mm_init(m, c, LOC, BASE, T0), 0);
	*n = mm_on_md(m, &e, T0, 1, out, MAXI);
	(void)venue_ack(m, out, *n, T0);
}

static void test_two_sided(void **state)
{
	struct order_intent o[MAXI];
	struct mm_cfg c;
	uint32_t n;

	(void)state;
	setup_cfg(&c);
	start(&M, &c, o, &n);
	assert_int_equal(n, 6);
	assert_int_equal(count(o, n, INTENT_NEW, 0, 'B'), 3);
	assert_int_equal(count(o, n, INTENT_NEW, 0, 'S'), 3);
	assert_int_equal(count(o, n, INTENT_NEW, REASON_PRESENCE, 0), 2);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(o[i].locate, LOC);
		assert_int_equal(o[i].qty, 100);
		assert_int_equal(o[i].flags, INTENT_F_POST_ONLY);
		assert_int_equal(o[i].px % 100, 0);
		assert_int_equal(o[i].t_rx_tsc, 77);
		if (o[i].side == 'B')
			assert_true(o[i].px <= 500100 - 100 && o[i].px < ASK);
		else
			assert_true(o[i].px >= 500100 + 100 && o[i].px > BID);
	}
	assert_true(mm_resting(&M, QUOTE_BID));
	assert_true(mm_resting(&M, QUOTE_ASK));
	assert_int_equal(mm_regime(&M), REGIME_GREEN);
	/* The same book again needs nothing. */
	{
		struct md_event e = book(BID, 500, ASK, 500, 0);

		assert_int_equal(mm_on_md(&M, &e, T0 + MS, 2, o, MAXI), 0);
	}
	/* Another symbol's event is ignored. */
	{
		struct md_event e = book(BID, 500, ASK, 500, MD_F_STALE);

		e.locate = LOC + 1;
		assert_int_equal(mm_on_md(&M, &e, T0 + MS, 2, o, MAXI), 0);
		assert_int_equal(M.n_other_locate, 1);
	}
}

/* Stale, crossed and halted books pull every quote with their reason; a
 * fresh book brings them back. */
static void test_stale_halted(void **state)
{
	static const struct {
		uint8_t flags;
		uint8_t reason;
	} cases[] = {
		{ MD_F_STALE, REASON_STALE_BOOK },
		{ MD_F_CROSSED, REASON_STALE_BOOK },
		{ MD_F_HALTED, REASON_HALTED },
		{ MD_F_HALTED | MD_F_STALE, REASON_STALE_BOOK },
	};
	struct order_intent o[MAXI];
	struct mm_cfg c;
	uint32_t n;
	uint64_t t = T0;

	(void)state;
	setup_cfg(&c);
	start(&M, &c, o, &n);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct md_event e = book(BID, 500, ASK, 500, cases[i].flags);

		t += 10 * MS;
		n = mm_on_md(&M, &e, t, 2, o, MAXI);
		assert_int_equal(n, 6);
		assert_int_equal(count(o, n, INTENT_CANCEL, cases[i].reason, 0), 6);
		(void)venue_ack(&M, o, n, t);
		assert_false(mm_resting(&M, QUOTE_BID));
		assert_false(mm_resting(&M, QUOTE_ASK));
		/* Still stale: nothing more. */
		t += 10 * MS;
		assert_int_equal(mm_on_md(&M, &e, t, 2, o, MAXI), 0);
		assert_int_equal(mm_on_timer(&M, t, 2, o, MAXI), 0);
		/* Fresh again: two-sided. */
		e = book(BID, 500, ASK, 500, 0);
		t += 10 * MS;
		n = mm_on_md(&M, &e, t, 2, o, MAXI);
		assert_int_equal(count(o, n, INTENT_NEW, 0, 'B'), 3);
		assert_int_equal(count(o, n, INTENT_NEW, 0, 'S'), 3);
		(void)venue_ack(&M, o, n, t);
	}
	/* A one-sided book has no fair value: pulled as stale. */
	{
		struct md_event e = book(BID, 500, 0, 0, 0);

		n = mm_on_md(&M, &e, t + MS, 2, o, MAXI);
		assert_int_equal(count(o, n, INTENT_CANCEL, REASON_STALE_BOOK, 0), 6);
	}
}

/* mm_kill: exactly one CANCEL_ALL on the next call, then silence whatever
 * comes (book, fills, timer); the reason latches. */
static void test_kill_latches(void **state)
{
	struct order_intent o[MAXI];
	struct mm_cfg c;
	uint32_t n, total = 0;

	(void)state;
	setup_cfg(&c);
	start(&M, &c, o, &n);
	mm_kill(&M, T0 + MS);
	assert_int_equal(mm_regime(&M), REGIME_KILL);
	assert_int_equal(mm_kill_reason(&M), REGIME_REASON_MANUAL);
	n = mm_on_timer(&M, T0 + 2 * MS, 5, o, MAXI);
	assert_int_equal(n, 1);
	assert_int_equal(o[0].op, INTENT_CANCEL_ALL);
	assert_int_equal(o[0].reason, REASON_KILL);
	assert_int_equal(o[0].locate, LOC);
	for (int i = 0; i < 50; i++) {
		struct md_event e = book(BID - (uint32_t)(i % 3) * 100, 500, ASK, 300, 0);
		struct exec_report r = rep(EXEC_FILL, 5, 'B', BID, 100);

		r.match = (uint64_t)i + 1;
		total += mm_on_md(&M, &e, T0 + (3 + (uint64_t)i) * MS, 5, o, MAXI);
		total += mm_on_exec(&M, &r, T0 + (3 + (uint64_t)i) * MS, 5, o, MAXI);
		total += mm_on_timer(&M, T0 + (3 + (uint64_t)i) * MS, 5, o, MAXI);
	}
	assert_int_equal(total, 0);
	assert_int_equal(mm_regime(&M), REGIME_KILL);
	assert_int_equal(mm_kill_reason(&M), REGIME_REASON_MANUAL);
	mm_kill(&M, T0 + 100 * MS); /* again: first reason kept, no new cancel */
	assert_int_equal(mm_on_timer(&M, T0 + 101 * MS, 5, o, MAXI), 0);
}

/* At +pos_limit the bid is not quoted (cancels are REASON_RISK_REDUCE),
 * asks stay; with the default position bands Red takes over instead. */
static void test_position_limit(void **state)
{
	struct order_intent o[MAXI];
	struct mm_cfg c;
	struct exec_report r;
	uint32_t n;

	(void)state;
	setup_cfg(&c);
	for (int l = REGIME_YELLOW; l <= REGIME_KILL; l++)
		c.regime.band[REGIME_IN_POSITION][l] = (struct regime_band){ 0, 0 };
	c.pos_limit = 300;
	start(&M, &c, o, &n);
	r = rep(EXEC_FILL, BASE, 'B', BID - 100, 250);
	r.match = 1;
	n = mm_on_exec(&M, &r, T0 + MS, 2, o, MAXI);
	assert_int_equal(mm_position(&M), 250);
	(void)venue_ack(&M, o, n, T0 + MS);
	/* Room 50 < min size: no bid target at all. */
	assert_int_equal(M.target.n_bid, 0);
	assert_true(M.target.n_ask > 0);
	assert_true(count(o, n, INTENT_CANCEL, REASON_RISK_REDUCE, 'B') > 0);
	assert_int_equal(count(o, n, INTENT_NEW, 0, 'B'), 0);
	assert_int_equal(count(o, n, INTENT_REPLACE, 0, 'B'), 0);
	assert_false(mm_resting(&M, QUOTE_BID));
	assert_true(mm_resting(&M, QUOTE_ASK));
	/* Asks are clipped to what brings the position to -pos_limit. */
	{
		uint32_t sum = 0;

		for (uint32_t i = 0; i < M.target.n_ask; i++)
			sum += M.target.ask[i].qty;
		assert_true(sum <= 550);
	}
	/* Default bands: a full 300/300 is past Red (0.9): only the ask side. */
	mm_cfg_defaults(&c);
	c.pos_limit = 300;
	c.recon.min_life_ns = 0;
	start(&M, &c, o, &n);
	r.match = 2;
	r.qty = 300;
	n = mm_on_exec(&M, &r, T0 + MS, 2, o, MAXI);
	assert_int_equal(mm_regime(&M), REGIME_RED);
	assert_true(count(o, n, INTENT_CANCEL, REASON_REGIME_RED, 'B') > 0);
	assert_int_equal(M.target.n_bid, 0);
	assert_true(M.target.n_ask > 0);
}

/* Default bands: a loss realised down to a flat position leaves drawdown in
 * RED, which cannot recover without trading; the book is re-entered on both
 * sides at YELLOW's widening and size cap instead of quoting nothing. */
static void test_red_flat_reentry(void **state)
{
	struct order_intent o[MAXI];
	struct mm_cfg c;
	struct exec_report r;
	struct md_event e;
	uint32_t n;

	(void)state;
	setup_cfg(&c);
	c.levels = 1;
	c.size[0] = 300; /* larger than the Yellow/Red cap of 100 */
	start(&M, &c, o, &n);
	r = rep(EXEC_FILL, 0, 'B', BID, 600); /* bought 600 at $50.00 */
	r.match = 1;
	n = mm_on_exec(&M, &r, T0 + MS, 2, o, MAXI);
	(void)venue_ack(&M, o, n, T0 + MS);
	e = book(491000, 500, 491200, 500, 0); /* down 90 cents: -$534 */
	n = mm_on_md(&M, &e, T0 + 2 * MS, 3, o, MAXI);
	(void)venue_ack(&M, o, n, T0 + 2 * MS);
	assert_int_equal(mm_regime(&M), REGIME_RED);
	assert_int_equal(M.target.n_bid, 0); /* long: only the ask */
	r = rep(EXEC_FILL, 0, 'S', 491100, 600); /* flat: the loss is realised */
	r.match = 2;
	n = mm_on_exec(&M, &r, T0 + 3 * MS, 4, o, MAXI);
	(void)venue_ack(&M, o, n, T0 + 3 * MS);
	assert_int_equal(mm_position(&M), 0);
	e = book(491000, 400, 491200, 500, 0);
	n = mm_on_md(&M, &e, T0 + 4 * MS, 5, o, MAXI);
	(void)venue_ack(&M, o, n, T0 + 4 * MS);
	assert_int_equal(mm_regime(&M), REGIME_RED);
	assert_true(mm_pnl_usd(&M) < -500.0);
	assert_int_equal(M.target.n_bid, 1);
	assert_int_equal(M.target.n_ask, 1);
	assert_int_equal(M.target.bid[0].qty, 100); /* the cap */
	assert_int_equal(M.target.ask[0].qty, 100);
	assert_true(mm_resting(&M, QUOTE_BID));
	assert_true(mm_resting(&M, QUOTE_ASK));
	/* Widened: at least the regime's tick plus the presence tick away. */
	assert_true(M.target.bid[0].px <= 491100 - 200);
	assert_true(M.target.ask[0].px >= 491100 + 200);
	/* A fill brings back the one-sided rule. */
	r = rep(EXEC_FILL, M.recon.ord[QUOTE_BID][0].token, 'B',
		(uint32_t)M.target.bid[0].px, 100);
	r.match = 3;
	n = mm_on_exec(&M, &r, T0 + 5 * MS, 6, o, MAXI);
	assert_int_equal(mm_position(&M), 100);
	assert_int_equal(M.target.n_bid, 0);
	assert_int_equal(M.target.n_ask, 1);
}

/* Long inventory moves both quotes down, short moves them up, for GLFT and
 * AS, seen in the intents after the fill. */
static void test_skew_direction(void **state)
{
	static const uint32_t models[] = { MM_MODEL_GLFT, MM_MODEL_AS };

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		struct order_intent o[MAXI];
		struct mm_cfg c;
		uint32_t n;
		int64_t flat_b, flat_a;

		setup_cfg(&c);
		c.model = models[k];
		c.gamma = 1.0;
		c.vol.sigma_min = 1e-3; /* $0.05 per sqrt(s) at $50 */
		c.as_horizon_s = 1.0;
		/* Wide model quotes (kappa 20 / USD), clear of the edge floor. */
		c.fill.prior_kappa[0] = c.fill.prior_kappa[1] = 0.002;
		c.pos_limit = 100000;
		for (int l = REGIME_YELLOW; l <= REGIME_KILL; l++)
			c.regime.band[REGIME_IN_POSITION][l] = (struct regime_band){ 0, 0 };
		start(&M, &c, o, &n);
		flat_b = M.target.bid[0].px;
		flat_a = M.target.ask[0].px;
		start(&M2, &c, o, &n);
		for (int side = 0; side < 2; side++) {
			struct mm *m = side == 0 ? &M : &M2;
			struct exec_report r = rep(EXEC_FILL, 1, side == 0 ? 'B' : 'S',
						   side == 0 ? BID : ASK, 500);
			int64_t lo = INT64_MAX, hi = 0;

			r.match = 9;
			n = mm_on_exec(m, &r, T0 + MS, 2, o, MAXI);
			assert_true(n > 0);
			for (uint32_t i = 0; i < n; i++) {
				if (o[i].op != INTENT_NEW && o[i].op != INTENT_REPLACE)
					continue;
				if (o[i].px < lo)
					lo = o[i].px;
				if (o[i].px > hi)
					hi = o[i].px;
			}
			if (side == 0) { /* long 500: everything lower */
				assert_true(m->target.bid[0].px < flat_b);
				assert_true(m->target.ask[0].px < flat_a);
				assert_true(hi < flat_a);
			} else {         /* short 500: everything higher */
				assert_true(m->target.bid[0].px > flat_b);
				assert_true(m->target.ask[0].px > flat_a);
				assert_true(lo > flat_b);
			}
		}
	}
}

/* Presence: a side toxicity pulls (or shrinks below min size) still quotes
 * one min-size order at least fee+ + presence ticks from fair. Off: pulled
 * with REASON_TOXIC_PULL. */
static void test_presence_rule(void **state)
{
	for (int on = 1; on >= 0; on--) {
		struct order_intent o[MAXI];
		struct mm_cfg c;
		uint32_t n, k = 0;
		uint64_t t = T0;

		(void)state;
		setup_cfg(&c);
		c.presence = on;
		c.tox.shrink_threshold = 0.2;
		c.tox.pull_threshold = 0.5;
		start(&M, &c, o, &n);
		/* Sellers hit the bid repeatedly: flow imbalance against our bid. */
		for (int i = 0; i < 20; i++) {
			struct md_event e = book(BID, 500, ASK, 500, 0);

			e.kind = MD_TRADE;
			e.side = 'B';
			e.px = BID;
			e.qty = 100;
			t += MS;
			n = mm_on_md(&M, &e, t, 2, o, MAXI);
			k += count(o, n, INTENT_CANCEL, on ? REASON_QUOTE_EXCESS : REASON_TOXIC_PULL,
				   'B');
			(void)venue_ack(&M, o, n, t);
		}
		assert_true(M.tox.n_pulls > 0);
		assert_true(k >= 2);
		if (on) {
			assert_int_equal(M.target.n_bid, 1);
			assert_int_equal(M.target.bid[0].qty, c.min_size);
			assert_true((double)M.target.bid[0].px <=
				    M.fair_px - (double)c.tick * c.presence_ticks);
			assert_true(mm_resting(&M, QUOTE_BID));
			assert_true(M.n_presence > 0);
		} else {
			assert_int_equal(M.target.n_bid, 0);
			assert_false(mm_resting(&M, QUOTE_BID));
		}
		assert_true(mm_resting(&M, QUOTE_ASK));
	}
}

static uint64_t rs = 88172645463325252ull;
static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

/* Over a random fresh stream in Green, after the venue acks, a bid and an
 * ask always rest and every working bid (ask) is at least the edge below
 * (above) fair. */
static void test_presence_stream(void **state)
{
	struct order_intent o[MAXI];
	struct mm_cfg c;
	uint32_t n, mid = 500100;
	uint64_t t = T0;

	(void)state;
	setup_cfg(&c);
	c.recon.tol_ticks = 0; /* working orders then sit exactly on targets */
	c.recon.tol_front_ticks = 0;
	for (int i = 0; i < REGIME_N_INPUTS; i++)
		for (int l = REGIME_YELLOW; l <= REGIME_KILL; l++)
			c.regime.band[i][l] = (struct regime_band){ 0, 0 };
	start(&M, &c, o, &n);
	for (int i = 0; i < 3000; i++) {
		uint64_t r = rnd();
		uint32_t half = 100 * (1 + (uint32_t)(r % 2));
		struct md_event e;

		if ((r >> 8) % 4 == 0)
			mid += (r >> 12) & 1 ? 100 : -100;
		e = book(mid - half, 100 + (uint32_t)(r >> 16) % 900, mid + half,
			 100 + (uint32_t)(r >> 28) % 900, 0);
		if ((r >> 40) % 5 == 0) {
			e.kind = MD_TRADE;
			e.side = (r >> 44) & 1 ? 'B' : 'S';
			e.px = e.side == 'B' ? e.bid_px - 100 : e.ask_px + 100;
			e.qty = 100;
		}
		t += MS;
		n = mm_on_md(&M, &e, t, 2, o, MAXI);
		(void)venue_ack(&M, o, n, t);
		assert_true(mm_resting(&M, QUOTE_BID));
		assert_true(mm_resting(&M, QUOTE_ASK));
		for (int s = 0; s < 2; s++)
			for (int j = 0; j < RECON_MAX_LEVELS; j++) {
				const struct recon_order *w = &M.recon.ord[s][j];

				if (w->state != RECON_LIVE)
					continue;
				if (s == QUOTE_BID)
					assert_true((double)w->px <= M.fair_px - c.tick + 1e-9);
				else
					assert_true((double)w->px >= M.fair_px + c.tick - 1e-9);
			}
	}
	assert_true(M.tox.n_pulls > 0); /* the stream did exercise toxicity */
}

/* Fills: position, cash and fees; duplicates ignored; a rejected REPLACE
 * restores the original through mm. */
static void test_accounting(void **state)
{
	struct order_intent o[MAXI];
	struct mm_cfg c;
	struct exec_report r;
	uint32_t n;
	uint64_t tok_b;

	(void)state;
	setup_cfg(&c);
	start(&M, &c, o, &n);
	tok_b = o[0].side == 'B' ? o[0].token : o[3].token;
	r = rep(EXEC_FILL, tok_b, 'B', 500000, 100);
	r.match = 77;
	r.fee_e4 = -20; /* rebate $0.0020 x 100 shares... per fill, 1e-4 USD */
	(void)mm_on_exec(&M, &r, T0 + MS, 2, o, MAXI);
	(void)mm_on_exec(&M, &r, T0 + MS, 2, o, MAXI); /* duplicate */
	assert_int_equal(M.n_dup_fills, 1);
	assert_int_equal(mm_position(&M), 100);
	assert_int_equal(mm_cash_e4(&M), -500000 * 100 + 20);
	assert_int_equal(mm_fees_e4(&M), -20);
	r = rep(EXEC_FILL, 12345, 'S', 500300, 40);
	r.match = 78;
	r.fee_e4 = 12;
	(void)mm_on_exec(&M, &r, T0 + 2 * MS, 2, o, MAXI);
	assert_int_equal(mm_position(&M), 60);
	assert_int_equal(mm_cash_e4(&M), -500000 * 100 + 20 + 500300 * 40 - 12);
	assert_int_equal(mm_fees_e4(&M), -8);
	assert_int_equal(M.n_unknown_exec, 1); /* token 12345 is not ours */
	assert_true(fabs(mm_pnl_usd(&M) - ((double)mm_cash_e4(&M) + 60 * M.fair_px) / 1e4) <
		    1e-9);

	/* Move the book: replaces go out; reject one, its original comes back. */
	{
		struct md_event e = book(BID + 300, 500, ASK + 300, 500, 0);
		uint64_t orig = 0;
		uint8_t side = 0;

		n = mm_on_md(&M, &e, T0 + 3 * MS, 2, o, MAXI);
		for (uint32_t i = 0; i < n && !orig; i++)
			if (o[i].op == INTENT_REPLACE) {
				orig = o[i].orig_token;
				side = o[i].side;
				r = rep(EXEC_REJECTED, o[i].token, o[i].side, o[i].px, o[i].qty);
			}
		assert_true(orig != 0);
		/* The original is known again: the requote replaces it once more
		 * (a lost original would be a NEW). */
		n = mm_on_exec(&M, &r, T0 + 4 * MS, 2, o, MAXI);
		assert_int_equal(n, 1);
		assert_int_equal(o[0].op, INTENT_REPLACE);
		assert_int_equal(o[0].orig_token, orig);
		assert_int_equal(o[0].side, side);
	}
}

/* A portfolio whose budget is mostly used elsewhere clips the bid sizes. */
static void test_portfolio_limit(void **state)
{
	static struct pf pf;
	struct pf_cfg pc = { .gross_usd = 1e6, .net_usd = 20000.0 };
	struct order_intent o[MAXI];
	struct mm_cfg c;
	uint32_t other, n, sum_b = 0, sum_a = 0;

	(void)state;
	assert_int_equal(pf_init(&pf, &pc), 0);
	assert_int_equal(pf_attach(&pf, 99, 100000, &other), 0);
	pf_update(&pf, other, 1000, 150000); /* $15k long elsewhere */
	setup_cfg(&c);
	c.pf = &pf;
	start(&M, &c, o, &n);
	/* $5k of net room at $50.01: 99 shares -> below min size: no bid. */
	for (uint32_t i = 0; i < n; i++) {
		if (o[i].side == 'B')
			sum_b += o[i].qty;
		else
			sum_a += o[i].qty;
	}
	assert_int_equal(sum_b, 0);
	assert_int_equal(sum_a, 300);
	pf_update(&pf, other, 0, 0);
	{
		struct md_event e = book(BID, 400, ASK, 500, 0);

		n = mm_on_md(&M, &e, T0 + MS, 2, o, MAXI);
		assert_int_equal(count(o, n, INTENT_NEW, 0, 'B'), 3);
	}
	assert_int_equal(mm_init(&M2, &c, LOC, BASE, T0), -EINVAL); /* locate taken */
}

/* A seeded sequence of book, trade, fill, reject and timer events. */
static uint32_t run_seq(struct mm *m, struct order_intent *log, uint32_t cap)
{
	struct order_intent o[MAXI];
	struct mm_cfg c;
	uint32_t total = 0, mid = 500100;
	uint64_t t = T0, match = 1;

	rs = 12345;
	setup_cfg(&c);
	c.recon.rate_per_s = 200; /* exercise deferral too */
	c.recon.burst = 10;
	assert_int_equal(mm_init(m, &c, LOC, BASE, T0), 0);
	for (int i = 0; i < 2000; i++) {
		uint64_t r = rnd();
		uint32_t n;
		struct md_event e;

		if ((r & 3) == 0)
			mid += (r >> 3) & 1 ? 100 : -100;
		e = book(mid - 100, 100 + (uint32_t)(r >> 8) % 500, mid + 100,
			 100 + (uint32_t)(r >> 20) % 500, (r >> 32) % 97 == 0 ? MD_F_STALE : 0);
		if ((r >> 40) % 6 == 0) {
			e.kind = MD_TRADE;
			e.side = (r >> 44) & 1 ? 'B' : 'S';
			e.px = e.side == 'B' ? e.bid_px : e.ask_px;
			e.qty = 100;
		}
		t += MS * (1 + (r >> 48) % 20);
		n = mm_on_md(m, &e, t, t / 3, o, MAXI);
		for (uint32_t k = 0; k < n; k++) {
			struct exec_report x;
			uint32_t more;
			uint8_t kind = o[k].op == INTENT_CANCEL ? EXEC_CANCELED
				     : (rnd() % 10 == 0) ? EXEC_REJECTED
				     : o[k].op == INTENT_REPLACE ? EXEC_REPLACED : EXEC_ACCEPTED;

			if (total < cap)
				log[total++] = o[k];
			if (o[k].op == INTENT_CANCEL_ALL)
				continue;
			x = rep(kind, kind == EXEC_CANCELED ? o[k].orig_token : o[k].token,
				o[k].side, o[k].px, o[k].qty);
			more = mm_on_exec(m, &x, t + 100, t / 3, o + n, MAXI - n);
			n += more; /* follow-ups are acked in the same loop */
			if (kind != EXEC_CANCELED && kind != EXEC_REJECTED && rnd() % 4 == 0) {
				x = rep(EXEC_FILL, o[k].token, o[k].side, o[k].px, 100);
				x.match = match++;
				x.fee_e4 = -20;
				more = mm_on_exec(m, &x, t + 200, t / 3, o + n, MAXI - n);
				n += more;
			}
		}
		if (i % 10 == 0) {
			n = mm_on_timer(m, t + 300, t / 3, o, MAXI);
			for (uint32_t k = 0; k < n && total < cap; k++)
				log[total++] = o[k];
		}
	}
	return total;
}

/* refresh_coeffs's GLFT base and skew as written before glft_memo (the
 * closed forms in full at every refresh), for side s of m at the sigma,
 * fair value and fit it refreshed from. */
static void ref_coeffs(const struct mm *m, int s, double *base, double *skew)
{
	double g = m->cfg.gamma, s_usd = m->sigma * m->fair_px / QUOTE_PX_PER_USD;
	double k = m->fit[s].kappa * QUOTE_PX_PER_USD, a = m->fit[s].a, g_k = g / k;
	double sk = sqrt(s_usd * s_usd * g / (2.0 * k * a) * pow(1.0 + g_k, 1.0 + 1.0 / g_k));

	*skew = sk;
	*base = log1p(g / k) / g + 0.5 * sk;
	*base += m->cfg.vol_premium * s_usd;
}

/* Over a random stream with fills and refits, every model refresh (pow
 * and log1p memoized by gamma, A and k: glft_memo) leaves base and skew
 * bit for bit as the full closed forms give them, through refreshes at
 * an unchanged fit (memo hits) and after refits that moved it. */
static void test_coeffs_memo(void **state)
{
	struct order_intent o[MAXI];
	struct mm_cfg c;
	uint32_t n, mid = 500100, refreshes = 0, fits = 0;
	uint64_t t = T0;
	double last_kappa = 0.0;

	(void)state;
	rs = 4242;
	setup_cfg(&c);
	c.vol_premium = 0.3;
	c.fill.min_points = 2;
	c.fill.min_count = 1;
	start(&M, &c, o, &n);
	for (int i = 0; i < 4000; i++) {
		uint64_t r = rnd(), vol_n = M.vol_n;
		struct md_event e;

		if ((r & 3) == 0)
			mid += (r >> 3) & 1 ? 100 : -100;
		e = book(mid - 100, 100 + (uint32_t)(r >> 8) % 500, mid + 100,
			 100 + (uint32_t)(r >> 20) % 500, 0);
		if ((r >> 40) % 3 == 0) {
			e.kind = MD_TRADE;
			e.side = (r >> 44) & 1 ? 'B' : 'S';
			e.px = e.side == 'B' ? e.bid_px - 100 * (uint32_t)((r >> 45) % 6)
					     : e.ask_px + 100 * (uint32_t)((r >> 45) % 6);
			e.qty = 100;
		}
		t += MS * (1 + (r >> 48) % 40);
		n = i % 7 == 0 ? mm_on_timer(&M, t, 3, o, MAXI) : mm_on_md(&M, &e, t, 3, o, MAXI);
		(void)venue_ack(&M, o, n, t);
		if (M.vol_n != vol_n && M.vol_n == M.vol.n_returns) {
			for (int s = 0; s < 2; s++) {
				double b, k;

				ref_coeffs(&M, s, &b, &k);
				assert_memory_equal(&b, &M.base[s], sizeof(b));
				assert_memory_equal(&k, &M.skew[s], sizeof(k));
			}
			refreshes++;
			if (M.fit[QUOTE_BID].kappa != last_kappa)
				fits++;
			last_kappa = M.fit[QUOTE_BID].kappa;
		}
	}
	/* both kinds of refresh were seen: after a new fit, and at an old one */
	assert_true(fits > 5);
	assert_true(refreshes > fits + 50);
}

static struct order_intent LA[40000], LB[40000];

static void test_determinism(void **state)
{
	uint32_t na, nb;

	(void)state;
	memset(LA, 0xa5, sizeof(LA));
	memset(LB, 0x5a, sizeof(LB));
	na = run_seq(&M, LA, 40000);
	nb = run_seq(&M2, LB, 40000);
	assert_true(na > 500);
	assert_true(na < 40000);
	assert_int_equal(na, nb);
	assert_memory_equal(LA, LB, na * sizeof(LA[0]));
	assert_int_equal(mm_position(&M), mm_position(&M2));
	assert_int_equal(mm_cash_e4(&M), mm_cash_e4(&M2));
	assert_true(M.n_intents > 0 && M.recon.n_deferred > 0);
}

/* build_target clamps a side's offset d to the presence edge as
 * d > edge ? d : edge (one maxsd) where it was !(d >= edge) ? edge : d:
 * the same bits whenever edge > 0 (then d == edge has edge's bits, and a
 * NaN d gives edge in both). mm_init's edge is > 0 at the smallest valid
 * tick, presence and fee; both clamps agree over offsets around it,
 * zeros of both signs, infinities and NaN. */
static void test_edge_clamp(void **state)
{
	static const int64_t ticks[] = { 1, 100, 10000 };
	static const double fees[] = { -1.0, -0.002, 0.0, 0.003 };
	uint64_t r = 0x853c49e6748fea9bull;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		for (size_t j = 0; j < 4; j++) {
			struct mm_cfg c;

			mm_cfg_defaults(&c);
			c.tick = ticks[i];
			c.presence_ticks = 1;
			c.fee_usd = fees[j];
			assert_int_equal(mm_init(&M, &c, 1, 1000, 1), 0);
			assert_true(M.edge_usd > 0.0 && M.edge_usd <= DBL_MAX);
			for (int k = 0; k < 20000; k++) {
				const double e = M.edge_usd;
				double d, a, b;

				r ^= r << 13;
				r ^= r >> 7;
				r ^= r << 17;
				switch (r % 8) {
				case 0: d = e; break;
				case 1: d = nextafter(e, 0.0); break;
				case 2: d = nextafter(e, INFINITY); break;
				case 3: d = (r >> 8) & 1 ? 0.0 : -0.0; break;
				case 4: d = (r >> 8) & 1 ? INFINITY : -INFINITY; break;
				case 5: d = NAN; break;
				default: d = e * ((double)(r >> 11) / 0x1p53 * 4.0 - 1.0); break;
				}
				a = !(d >= e) ? e : d;
				b = d > e ? d : e;
				assert_memory_equal(&a, &b, sizeof(a));
			}
		}
	}
}

/* m->fair_in is what build_target's offsets memo tests: fair_px /
 * QUOTE_PX_PER_USD in (0, DBL_MAX]. md_event sets it on its price branch
 * (fair value in [1, 2^52), the range tests made once) and on the other;
 * both against the definition. Prices: random books; then a lead term
 * that shrinks the fair value below 1 (still > 0 in USD) and to 0 (the
 * offsets then computed at every decision, and vol refusing the value). */
static void test_fair_in(void **state)
{
	static const double betas[] = { -1000.0, -3000.0 };
	struct order_intent out[MAXI];
	struct mm_cfg c;
	uint64_t r = 0x9e3779b97f4a7c15ull, t = T0;
	uint32_t n;

	(void)state;
	setup_cfg(&c);
	start(&M, &c, out, &n);
	for (int i = 0; i < 5000; i++) {
		uint32_t bid, ask;
		struct md_event e;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		bid = 1 + (uint32_t)(r % 3000000);
		ask = bid + 1 + (uint32_t)((r >> 24) % 500);
		e = book(bid, 1 + (uint32_t)((r >> 32) % 900), ask, 1 + (uint32_t)((r >> 44) % 900), 0);
		t += MS;
		n = mm_on_md(&M, &e, t, 1, out, MAXI);
		(void)venue_ack(&M, out, n, t);
		assert_true(M.have_fair && M.fair_px >= 1.0 && M.fair_in);
		assert_true(M.fair_in == (M.fair_px / QUOTE_PX_PER_USD > 0.0 &&
					  M.fair_px / QUOTE_PX_PER_USD <= DBL_MAX));
	}
	for (size_t i = 0; i < 2; i++) {
		struct md_event e = book(BID, 500, ASK, 500, 0);
		double last;
		uint64_t memo;

		setup_cfg(&c);
		c.fair.lead_beta = betas[i];
		c.fair.lead_lag_ns = MS;
		assert_int_equal(mm_init(&M, &c, LOC, BASE, T0), 0);
		n = mm_on_md(&M, &e, T0, 1, out, MAXI);
		(void)venue_ack(&M, out, n, T0);
		last = M.vol.last_fair;
		/* a lead return of ln 2 from T0 + 2.5 ms on */
		assert_int_equal(fair_lead_update(&M.fair, T0, 100.0), 0);
		assert_int_equal(fair_lead_update(&M.fair, T0 + 2 * MS, 200.0), 0);
		memo = M.n_off_memo;
		for (int k = 0; k < 4; k++) {
			e = book(BID, 500 + (uint32_t)k, ASK, 500, 0);
			t = T0 + 2 * MS + MS / 2 + (uint64_t)k * (MS / 10);
			n = mm_on_md(&M, &e, t, 1, out, MAXI);
			(void)venue_ack(&M, out, n, t);
			assert_true(M.have_fair && M.fair_px < 1.0);
			assert_true(M.fair_in == (M.fair_px / QUOTE_PX_PER_USD > 0.0 &&
						  M.fair_px / QUOTE_PX_PER_USD <= DBL_MAX));
		}
		if (i == 0) { /* ~5e-296: in range, vol takes it */
			assert_true(M.fair_px > 0.0 && M.fair_in);
			assert_true(M.vol.last_fair == M.fair_px);
		} else { /* 0: out of range, vol refuses it, no offsets memo */
			assert_true(M.fair_px == 0.0 && !M.fair_in);
			assert_true(M.vol.last_fair == last);
			assert_true(M.n_off_memo == memo);
		}
	}
}

static void test_cfg_errors(void **state)
{
	struct mm_cfg c, d;

	(void)state;
	mm_cfg_defaults(&d);
	assert_int_equal(mm_init(NULL, &d, LOC, BASE, T0), -EINVAL);
	assert_int_equal(mm_init(&M, NULL, LOC, BASE, T0), -EINVAL);
	assert_int_equal(mm_init(&M, &d, LOC, 0, T0), -EINVAL);
	c = d; c.gamma = 0; assert_int_equal(mm_init(&M, &c, LOC, BASE, T0), -EINVAL);
	c = d; c.model = 9; assert_int_equal(mm_init(&M, &c, LOC, BASE, T0), -EINVAL);
	c = d; c.tick = 0; assert_int_equal(mm_init(&M, &c, LOC, BASE, T0), -EINVAL);
	c = d; c.levels = QUOTE_MAX_LEVELS + 1;
	assert_int_equal(mm_init(&M, &c, LOC, BASE, T0), -EINVAL);
	c = d; c.min_size = 0; assert_int_equal(mm_init(&M, &c, LOC, BASE, T0), -EINVAL);
	c = d; c.pos_limit = 0; assert_int_equal(mm_init(&M, &c, LOC, BASE, T0), -EINVAL);
	c = d; c.fee_usd = NAN; assert_int_equal(mm_init(&M, &c, LOC, BASE, T0), -EINVAL);
	c = d; c.vol.interval_ns = 0; assert_int_equal(mm_init(&M, &c, LOC, BASE, T0), -EINVAL);
	c = d; c.tox.n_horizons = 0; assert_int_equal(mm_init(&M, &c, LOC, BASE, T0), -EINVAL);
	c = d; c.recon.burst = 0; assert_int_equal(mm_init(&M, &c, LOC, BASE, T0), -EINVAL);
	assert_int_equal(mm_init(&M, &d, LOC, BASE, T0), 0);
	mm_fini(&M);
	mm_fini(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_sided),
		cmocka_unit_test(test_stale_halted),
		cmocka_unit_test(test_kill_latches),
		cmocka_unit_test(test_position_limit),
		cmocka_unit_test(test_red_flat_reentry),
		cmocka_unit_test(test_skew_direction),
		cmocka_unit_test(test_presence_rule),
		cmocka_unit_test(test_presence_stream),
		cmocka_unit_test(test_accounting),
		cmocka_unit_test(test_portfolio_limit),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_coeffs_memo),
		cmocka_unit_test(test_cfg_errors),
		cmocka_unit_test(test_edge_clamp),
		cmocka_unit_test(test_fair_in),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
