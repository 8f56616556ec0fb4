/* test_gw.c - the gateway stage function: the exact OUCH 5.0 / SoupBinTCP
 * bytes gw_on_intent writes for NEW, REPLACE, CANCEL and CANCEL_ALL (decoded
 * field by field), every pre-trade refusal reachable through gw (an
 * EXEC_REJECTED report, no byte written), a short wire buffer, and the venue
 * side: gw_on_wire turning OUCH outbound messages into exec_reports, split
 * packets and garbage (on guard pages); the store's own mapping. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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
#include "tests/test_guard.h"

#define PX 1000000u /* 100.00 USD */
#define T0 1000000000ull
#define SENTINEL 0xA5

static void cfg_small(struct gw_cfg *c)
{
	gw_cfg_defaults(c);
	c->store.max_orders = 64;
	c->store.max_locate = 16;
	c->store.token_history = 1024;
	c->risk.max_order_qty = 1000;
	c->risk.max_order_notional = 600ull * PX;
	c->risk.collar_bps = 500;
	c->risk.max_position = 1500;
	c->risk.max_open_orders = 8;
	c->risk.credit_limit = 2600ull * PX;
	c->risk.rate_per_s = 1000;
	c->risk.burst = 10;
	c->risk.storm_rejects = 0;
	c->fee_add_e4 = -20;
	c->fee_remove_e4 = 30;
}

static struct gw *gw_new(const struct gw_cfg *c)
{
	struct gw *g = calloc(1, sizeof(*g));

	assert_non_null(g);
	assert_int_equal(gw_init(g, c, T0), 0);
	assert_int_equal(gw_set_symbol(g, 1, "AAPL    "), 0);
	assert_int_equal(gw_set_symbol(g, 2, "MSFT    "), 0);
	assert_int_equal(gw_set_symbol(g, 3, "IBM     "), 0);
	gw_set_ref(g, 1, PX);
	gw_set_ref(g, 2, PX);
	return g;
}

static struct gw *gw_small(void)
{
	struct gw_cfg c;

	cfg_small(&c);
	return gw_new(&c);
}

static void gw_free(struct gw *g)
{
	gw_fini(g);
	free(g);
}

/* True when [p, p + n) lies inside the gateway's own mapping. */
static bool in_mem(const struct gw *g, const void *p, size_t n)
{
	const uint8_t *b = (const uint8_t *)p;

	return b >= g->mem.base && b + n <= g->mem.base + g->mem.size;
}

/* The store's tables live in the gateway's own start-up mapping (2 MiB
 * pages when the system has them), whole; a bad store cfg maps nothing;
 * gw_fini unmaps it. */
static void test_store_mapping(void **state)
{
	struct gw_cfg c;
	struct gw *g;
	const struct ostore *os;

	(void)state;
	cfg_small(&c);
	g = gw_new(&c);
	os = &g->os;
	assert_non_null(g->mem.base);
	assert_true(g->mem.size >= ostore_memsize(&c.store));
	assert_true(in_mem(g, os->ord, c.store.max_orders * sizeof(*os->ord)));
	assert_true(in_mem(g, os->sym, (c.store.max_locate + 1u) * sizeof(*os->sym)));
	assert_true(in_mem(g, os->tok, (os->tok_mask + 1u) * sizeof(*os->tok)));
	assert_true(in_mem(g, os->ref, (os->ref_mask + 1u) * sizeof(*os->ref)));
	assert_true(in_mem(g, os->retired, c.store.token_history * sizeof(*os->retired)));
	assert_int_equal((uintptr_t)os->ord % 64, 0);
	/* a small store stays on small pages (no 2 MiB page per gateway) */
	if (ostore_memsize(&c.store) < GW_HUGE_MIN)
		assert_int_equal(g->mem.backing, ARENA_NORMAL);
	gw_fini(g);
	assert_null(g->mem.base);
	free(g);
	/* the defaults' store is large enough to ask for hugepages */
	gw_cfg_defaults(&c);
	assert_true(ostore_memsize(&c.store) >= GW_HUGE_MIN);

	cfg_small(&c);
	c.store.max_orders = 0;
	g = calloc(1, sizeof(*g));
	assert_non_null(g);
	assert_int_equal(gw_init(g, &c, T0), -EINVAL);
	assert_null(g->mem.base);
	gw_fini(g);
	free(g);
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

/* gw_warm changes no byte of the gateway or its store: before any order,
 * with orders in flight and a cancel sent or deferred, for
 * symbols out of range, and for more tokens than there are free slots. */
static void test_warm_reads_only(void **state)
{
	struct gw *g = gw_small();
	struct order_intent in;
	struct exec_report rej;
	uint8_t wire[256], *mem0 = malloc(g->mem.size);
	struct gw g0;
	(void)state;

	assert_non_null(mem0);
	for (int round = 0; round < 2; round++) {
		memcpy(mem0, g->mem.base, g->mem.size);
		g0 = *g;
		gw_warm(g, 1, 1, 8);
		gw_warm(g, 16, UINT64_MAX - 4, 200);
		gw_warm(g, 0, 7, 8);
		gw_warm(g, 17, 7, 8);
		gw_warm(g, 2, 9, 0);
		assert_memory_equal(g->mem.base, mem0, g->mem.size);
		assert_memory_equal(g, &g0, sizeof(g0));
		/* three orders, then a cancel of the first */
		for (uint64_t t = 1; round == 0 && t <= 3; t++) {
			in = intent(INTENT_NEW, t, 0, 1, 'B', PX - 100 * (uint32_t)t, 100);
			assert_true(gw_on_intent(g, &in, T0 + t, wire, sizeof(wire), &rej) > 0);
		}
		in = intent(INTENT_CANCEL, 0, 1, 1, 'B', 0, 0);
		assert_true(round > 0 || gw_on_intent(g, &in, T0 + 9, wire, sizeof(wire), &rej) >= 0);
	}
	free(mem0);
	gw_free(g);
}

/* Send in at t; it must pass. Decodes the bytes into m (max n; NULL: a
 * scratch array); returns how many messages. */
static int send_ok(struct gw *g, const struct order_intent *in, uint64_t t, struct ouch_in *m,
		   int n)
{
	uint8_t wire[1024];
	struct exec_report rej;
	struct ouch_in tmp[32];
	long k = gw_on_intent(g, in, t, wire, sizeof(wire), &rej);
	int msgs;

	if (!m) {
		m = tmp;
		n = 32;
	}

	if (k < 0)
		print_error("intent op %u token %llu refused: reason %u\n", in->op,
			    (unsigned long long)in->token, rej.reason);
	assert_true(k >= 0);
	msgs = gwt_decode_out(wire, (size_t)k, m, n);
	assert_true(msgs >= 0);
	return msgs;
}

static uint32_t new_ok(struct gw *g, uint64_t token, uint16_t loc, uint8_t side, uint32_t px,
		       uint32_t qty, uint64_t t)
{
	struct order_intent in = intent(INTENT_NEW, token, 0, loc, side, px, qty);
	struct ouch_in m;

	assert_int_equal(send_ok(g, &in, t, &m, 1), 1);
	assert_int_equal(m.type, OUCH_IN_ENTER);
	return m.u.enter.user_ref_num;
}

/* Feed one venue message to gw; returns the reports (out, at most 4). */
static uint32_t wire_in(struct gw *g, const struct ouch_out *m, struct exec_report *out)
{
	uint8_t buf[256];
	size_t len = gwt_put_out(buf, sizeof(buf), m), used = 0;
	uint32_t n;

	assert_true(len > 0);
	n = gw_on_wire(g, buf, len, &used, 77, out, 4);
	assert_int_equal(used, len);
	return n;
}

static void accept_ref(struct gw *g, uint32_t ref)
{
	struct ouch_out m;
	struct exec_report r[4];

	memset(&m, 0, sizeof(m));
	m.type = OUCH_OUT_ACCEPTED;
	m.u.accepted.user_ref_num = ref;
	m.u.accepted.ts_ns = 5;
	assert_int_equal(wire_in(g, &m, r), 1);
	assert_int_equal(r[0].kind, EXEC_ACCEPTED);
}

/* A venue execution of qty at px on ref. */
static struct ouch_out out_exec(uint32_t ref, uint32_t qty, uint32_t px, uint64_t match)
{
	struct ouch_out o;

	memset(&o, 0, sizeof(o));
	o.type = OUCH_OUT_EXECUTED;
	o.u.executed.user_ref_num = ref;
	o.u.executed.qty = qty;
	o.u.executed.price = px;
	o.u.executed.match_num = match;
	return o;
}

static void fill_ref(struct gw *g, uint32_t ref, uint32_t qty, uint32_t px, uint64_t match,
		     char liq, struct exec_report *r)
{
	struct ouch_out m = out_exec(ref, qty, px, match);

	m.u.executed.liquidity = liq;
	m.u.executed.ts_ns = 9;
	assert_int_equal(wire_in(g, &m, r), 1);
	assert_int_equal(r->kind, EXEC_FILL);
}

static void assert_clordid(const char c[OUCH_CLORDID_LEN], uint64_t token)
{
	uint64_t t = 0;

	assert_int_equal(gwt_clordid_token(c, &t), 0);
	assert_int_equal(t, token);
}

/* ---- the send and its commit ---------------------------------------------- */

/* One intent through gw_send_intent and gw_commit on a and through
 * gw_on_intent on b: the same return, bytes and report. */
static long send_both(struct gw *a, struct gw *b, const struct order_intent *in, uint64_t t)
{
	uint8_t wa[256], wb[256];
	struct exec_report ra, rb;
	long ka, kb;

	memset(wa, SENTINEL, sizeof(wa));
	memset(wb, SENTINEL, sizeof(wb));
	memset(&ra, 0, sizeof(ra));
	memset(&rb, 0, sizeof(rb));
	ka = gw_send_intent(a, in, t, wa, sizeof(wa), &ra);
	gw_commit(a);
	assert_int_equal(a->pend.op, 0);
	kb = gw_on_intent(b, in, t, wb, sizeof(wb), &rb);
	assert_int_equal(ka, kb);
	assert_memory_equal(wa, wb, sizeof(wa));
	if (ka < 0)
		assert_memory_equal(&ra, &rb, sizeof(ra));
	return ka;
}

/* gw_send_intent then gw_commit leaves the gateway as gw_on_intent does:
 * the same bytes, refusals, counters, store (every order slot, symbol
 * line and index entry) over NEWs, a REPLACE, a CANCEL and refusals. */
static void test_send_commit_same(void **state)
{
	struct gw *a = gw_small(), *b = gw_small();
	struct order_intent in;
	struct gw_cfg c;

	(void)state;
	cfg_small(&c);
	in = intent(INTENT_NEW, 11, 0, 1, 'B', PX - 100, 100);
	assert_true(send_both(a, b, &in, T0) > 0);
	in = intent(INTENT_NEW, 12, 0, 2, 'S', PX + 100, 200);
	assert_true(send_both(a, b, &in, T0 + 1) > 0);
	in = intent(INTENT_NEW, 12, 0, 2, 'S', PX + 100, 200); /* duplicate */
	assert_int_equal(send_both(a, b, &in, T0 + 2), -EACCES);
	accept_ref(a, 1);
	accept_ref(b, 1);
	in = intent(INTENT_REPLACE, 13, 11, 1, 'B', PX - 50, 300);
	assert_true(send_both(a, b, &in, T0 + 3) > 0);
	in = intent(INTENT_REPLACE, 14, 13, 1, 'B', PX - 40, 300); /* in flight */
	assert_int_equal(send_both(a, b, &in, T0 + 4), -EACCES);
	in = intent(INTENT_CANCEL, 0, 12, 2, 0, 0, 0);
	assert_true(send_both(a, b, &in, T0 + 5) > 0);
	in = intent(INTENT_NEW, 15, 0, 1, 'S', PX + 60000, 10); /* collar */
	assert_int_equal(send_both(a, b, &in, T0 + 6), -EACCES);

	assert_memory_equal(&a->st, &b->st, sizeof(a->st));
	assert_int_equal(a->st.sent[INTENT_NEW], 2);
	assert_int_equal(a->st.sent[INTENT_REPLACE], 1);
	assert_memory_equal(a->os.ord, b->os.ord, c.store.max_orders * sizeof(a->os.ord[0]));
	assert_memory_equal(a->os.sym, b->os.sym,
			    (c.store.max_locate + 1) * sizeof(a->os.sym[0]));
	assert_memory_equal(a->os.tok, b->os.tok,
			    ((size_t)a->os.tok_mask + 1) * sizeof(a->os.tok[0]));
	assert_memory_equal(a->os.ref, b->os.ref,
			    ((size_t)a->os.ref_mask + 1) * sizeof(a->os.ref[0]));
	assert_int_equal(a->os.n_open, b->os.n_open);
	assert_int_equal(a->os.next_ref, b->os.next_ref);
	assert_int_equal(a->os.open_ntl, b->os.open_ntl);
	assert_int_equal(a->rk.bucket, b->rk.bucket);
	gw_free(a);
	gw_free(b);
}

/* Until gw_commit the store does not hold the order; each call that reads
 * the store makes a commit still owed first (gw_send_intent: the second
 * NEW of a token is a duplicate; gw_on_wire: the venue's accept finds the
 * order); a refused intent owes none. */
static void test_send_commit_owed(void **state)
{
	struct gw *g = gw_small();
	struct order_intent in = intent(INTENT_NEW, 11, 0, 1, 'B', PX, 100);
	uint8_t wire[256];
	struct exec_report rej, r[4];
	struct ouch_out m;

	(void)state;
	assert_int_equal(gw_send_intent(g, &in, T0, wire, sizeof(wire), &rej),
			 SOUP_HDR_LEN + OUCH_ENTER_LEN);
	assert_int_equal(g->pend.op, INTENT_NEW);
	assert_int_equal(ostore_find_token(&g->os, 11), OSTORE_NIL);
	assert_int_equal(g->os.n_open, 0);
	assert_int_equal(g->st.sent[INTENT_NEW], 0);
	assert_int_equal(gw_send_intent(g, &in, T0 + 1, wire, sizeof(wire), &rej), -EACCES);
	assert_int_equal(rej.reason, RISK_DUPLICATE);
	assert_int_equal(g->pend.op, 0);
	assert_int_not_equal(ostore_find_token(&g->os, 11), OSTORE_NIL);
	assert_int_equal(g->st.sent[INTENT_NEW], 1);
	assert_int_equal(g->st.msgs_out, 1);
	assert_int_equal(g->st.bytes_out, SOUP_HDR_LEN + OUCH_ENTER_LEN);

	in = intent(INTENT_NEW, 12, 0, 1, 'B', PX, 100);
	assert_true(gw_send_intent(g, &in, T0 + 2, wire, sizeof(wire), &rej) > 0);
	assert_int_equal(g->pend.op, INTENT_NEW);
	memset(&m, 0, sizeof(m));
	m.type = OUCH_OUT_ACCEPTED;
	m.u.accepted.user_ref_num = 2;
	assert_int_equal(wire_in(g, &m, r), 1);
	assert_int_equal(r[0].kind, EXEC_ACCEPTED);
	assert_int_equal(r[0].token, 12);
	assert_int_equal(g->pend.op, 0);
	assert_int_equal(g->os.n_open, 2);
	gw_commit(g); /* nothing owed: no effect */
	assert_int_equal(g->os.n_open, 2);
	assert_int_equal(g->st.sent[INTENT_NEW], 2);
	gw_free(g);
}

/* ---- bytes out ------------------------------------------------------------ */

static void test_new_bytes(void **state)
{
	struct gw *g = gw_small();
	struct order_intent in = intent(INTENT_NEW, 11, 0, 1, 'B', PX - 100, 100);
	uint8_t wire[128];
	struct exec_report rej;
	struct ouch_in m;
	long k;

	(void)state;
	in.flags = INTENT_F_POST_ONLY;
	memset(wire, SENTINEL, sizeof(wire));
	k = gw_on_intent(g, &in, T0, wire, sizeof(wire), &rej);
	assert_int_equal(k, SOUP_HDR_LEN + OUCH_ENTER_LEN);
	assert_int_equal(wire[k], SENTINEL); /* nothing past the packet */
	assert_int_equal(wire_get16(wire), OUCH_ENTER_LEN + 1);
	assert_int_equal(gwt_decode_out(wire, (size_t)k, &m, 1), 1);
	assert_int_equal(m.type, OUCH_IN_ENTER);
	assert_int_equal(m.u.enter.user_ref_num, 1);
	assert_int_equal(m.u.enter.side, 'B');
	assert_int_equal(m.u.enter.qty, 100);
	assert_memory_equal(m.u.enter.symbol, "AAPL    ", 8);
	assert_int_equal(m.u.enter.price, PX - 100);
	assert_int_equal(m.u.enter.tif, '0');
	assert_int_equal(m.u.enter.display, 'P');
	assert_int_equal(m.u.enter.capacity, 'P');
	assert_int_equal(m.u.enter.iso, 'N');
	assert_int_equal(m.u.enter.cross_type, 'N');
	assert_int_equal(m.u.enter.app.n, 0);
	assert_clordid(m.u.enter.clordid, 11);
	assert_memory_equal(m.u.enter.clordid, "11            ", 14);

	/* Second order: ref 2, other symbol and side, displayed. */
	in = intent(INTENT_NEW, 12, 0, 2, 'S', PX + 300, 250);
	assert_int_equal(send_ok(g, &in, T0 + 1, &m, 1), 1);
	assert_int_equal(m.u.enter.user_ref_num, 2);
	assert_int_equal(m.u.enter.side, 'S');
	assert_int_equal(m.u.enter.qty, 250);
	assert_memory_equal(m.u.enter.symbol, "MSFT    ", 8);
	assert_int_equal(m.u.enter.price, PX + 300);
	assert_int_equal(m.u.enter.display, 'Y');
	assert_clordid(m.u.enter.clordid, 12);
	assert_int_equal(g->st.sent[INTENT_NEW], 2);
	assert_int_equal(g->st.msgs_out, 2);
	assert_int_equal(g->st.bytes_out, 2 * (SOUP_HDR_LEN + OUCH_ENTER_LEN));
	gw_free(g);
}

/* The firm appendage when configured. */
static void test_new_firm(void **state)
{
	struct gw_cfg c;
	struct gw *g;
	struct order_intent in = intent(INTENT_NEW, 5, 0, 1, 'S', PX, 10);
	struct ouch_in m;
	const struct ouch_tv *tv;

	(void)state;
	cfg_small(&c);
	memcpy(c.firm, "FIRM", 4);
	c.capacity = 'A';
	g = gw_new(&c);
	assert_int_equal(send_ok(g, &in, T0, &m, 1), 1);
	assert_int_equal(m.u.enter.capacity, 'A');
	tv = ouch_app_find(&m.u.enter.app, OUCH_TAG_FIRM);
	assert_non_null(tv);
	assert_memory_equal(tv->val, "FIRM", 4);
	gw_free(g);
}

/* Tokens that do not fit 14 decimal digits keep distinct ClOrdIDs. */
static void test_clordid_large_tokens(void **state)
{
	struct gw *g = gw_small();
	const uint64_t tok[4] = { 99999999999999ull, 100000000000000ull, 100000000000001ull,
				  UINT64_MAX };
	struct ouch_in m;

	(void)state;
	for (int i = 0; i < 4; i++) {
		struct order_intent in = intent(INTENT_NEW, tok[i], 0, 1, 'B', PX, 1);

		assert_int_equal(send_ok(g, &in, T0 + (uint64_t)i, &m, 1), 1);
		assert_clordid(m.u.enter.clordid, tok[i]);
	}
	gw_free(g);
}

/* Decimal ClOrdIDs at every digit count: exactly the token's digits, no
 * leading zero, space padded (what "%-14" PRIu64 prints). */
static void test_clordid_decimal_widths(void **state)
{
	uint64_t tok = 0;
	struct ouch_in m;

	(void)state;
	for (int digits = 1; digits <= 14; digits++) {
		const uint64_t edge[3] = { tok + 1, tok * 10 + 9, tok ? tok * 10 + 1 : 7 };

		tok = tok * 10 + 9; /* 9, 99, ... the largest with this many digits */
		for (int j = 0; j < 3; j++) {
			struct gw *g = gw_small();
			struct order_intent in = intent(INTENT_NEW, edge[j], 0, 1, 'B', PX, 1);
			char want[OUCH_CLORDID_LEN + 1];

			snprintf(want, sizeof(want), "%-14llu", (unsigned long long)edge[j]);
			assert_int_equal(send_ok(g, &in, T0, &m, 1), 1);
			assert_memory_equal(m.u.enter.clordid, want, OUCH_CLORDID_LEN);
			gw_free(g);
		}
	}
}

/* A symbol's ClOrdID digits are kept and raised for its next token:
 * runs of consecutive tokens across carries and digit counts, jumps up
 * and back, two symbols that share a memo entry (locates 1 and 1 +
 * GW_IDMEMO) taking turns, into and out of the decimal range: every
 * ClOrdID is still exactly the token's. */
static void test_clordid_memo(void **state)
{
	const uint64_t start[6] = { 99999990ull, 123456785ull, 999999996ull, 1099511627770ull,
				    99999999999990ull, 5ull };
	const int64_t step[8] = { 20, 9, 1, -5, 1, 14, 2, 1 };
	const uint16_t loc2 = 1 + GW_IDMEMO;
	struct gw_cfg c;
	struct gw *g;
	struct ouch_in m;
	int n = 0;

	(void)state;
	gw_cfg_defaults(&c);
	c.store.max_orders = 512;
	c.store.max_locate = loc2;
	c.store.token_history = 1024;
	c.risk.max_position = 1000000;
	c.risk.max_open_orders = 512;
	c.risk.burst = 1000;
	c.risk.rate_per_s = 1000000;
	c.risk.storm_rejects = 0;
	g = gw_new(&c);
	gw_set_ref(g, loc2, PX);
	for (int s = 0; s < 6; s++) {
		uint64_t tok = start[s];

		for (int i = 0; i < 13 + 8; i++) {
			uint16_t loc = i % 3 == 2 ? loc2 : 1;
			struct order_intent in;
			char want[OUCH_CLORDID_LEN + 1];

			if (i >= 13)
				tok = (uint64_t)((int64_t)tok + step[i - 13]);
			in = intent(INTENT_NEW, tok, 0, loc, 'B', PX, 1);
			assert_int_equal(send_ok(g, &in, T0 + (uint64_t)n++, &m, 1), 1);
			if (tok <= 99999999999999ull) {
				snprintf(want, sizeof(want), "%-14llu", (unsigned long long)tok);
				assert_memory_equal(m.u.enter.clordid, want, OUCH_CLORDID_LEN);
			} else {
				assert_clordid(m.u.enter.clordid, tok);
			}
			if (i < 12)
				tok++;
		}
	}
	gw_free(g);
}

/* The memo's carry: tokens of every width from 9 to 14 digits, stepping
 * by 1 to 19 (carries into a digit that is or is not 9, steps past one
 * carry), now and then by 1000 (past the memo): every ClOrdID is exactly
 * the token's. With 9 digits the digit before the last is field byte 7,
 * which both of the memo's words hold. */
static void test_clordid_memo_carries(void **state)
{
	struct gw_cfg c;
	struct gw *g;
	struct ouch_in m;
	uint64_t tok = 100000000ull, x = 12345;
	int n = 0;

	(void)state;
	gw_cfg_defaults(&c);
	c.store.max_orders = 4096;
	c.store.max_locate = 4;
	c.store.token_history = 4096;
	c.risk.max_position = 1000000;
	c.risk.max_open_orders = 4096;
	c.risk.credit_limit = 1ull << 60;
	c.risk.burst = 4096;
	c.risk.rate_per_s = 1000000;
	c.risk.storm_rejects = 0;
	g = gw_new(&c);
	for (int w = 9; w <= 14; w++, tok *= 10) {
		uint64_t t = tok + 80 + (uint64_t)w;

		for (int i = 0; i < 300; i++) {
			struct order_intent in;
			char want[OUCH_CLORDID_LEN + 1];

			x = x * 6364136223846793005ull + 1442695040888963407ull;
			t += i % 50 == 49 ? 1000 : 1 + (x >> 33) % 19;
			in = intent(INTENT_NEW, t, 0, 1, 'B', PX, 1);
			assert_int_equal(send_ok(g, &in, T0 + (uint64_t)n++, &m, 1), 1);
			snprintf(want, sizeof(want), "%-14llu", (unsigned long long)t);
			assert_memory_equal(m.u.enter.clordid, want, OUCH_CLORDID_LEN);
		}
	}
	gw_free(g);
}

static void test_replace_cancel_bytes(void **state)
{
	struct gw *g = gw_small();
	struct order_intent in;
	struct ouch_in m;
	struct ouch_out o;
	struct exec_report r[4];
	uint32_t ref = new_ok(g, 21, 1, 'S', PX + 100, 300, T0);

	(void)state;
	assert_int_equal(ref, 1);
	accept_ref(g, ref);
	in = intent(INTENT_REPLACE, 22, 21, 1, 'S', PX + 200, 400);
	in.flags = INTENT_F_POST_ONLY;
	assert_int_equal(send_ok(g, &in, T0 + 10, &m, 1), 1);
	assert_int_equal(m.type, OUCH_IN_REPLACE);
	assert_int_equal(m.u.replace.orig_user_ref_num, 1);
	assert_int_equal(m.u.replace.user_ref_num, 2);
	assert_int_equal(m.u.replace.qty, 400);
	assert_int_equal(m.u.replace.price, PX + 200);
	assert_int_equal(m.u.replace.tif, '0');
	assert_int_equal(m.u.replace.display, 'P');
	assert_int_equal(m.u.replace.iso, 'N');
	assert_clordid(m.u.replace.clordid, 22);

	memset(&o, 0, sizeof(o));
	o.type = OUCH_OUT_REPLACED;
	o.u.replaced.orig_user_ref_num = 1;
	o.u.replaced.user_ref_num = 2;
	o.u.replaced.qty = 400;
	o.u.replaced.price = PX + 200;
	o.u.replaced.side = 'S';
	o.u.replaced.ts_ns = 33;
	assert_int_equal(wire_in(g, &o, r), 1);
	assert_int_equal(r[0].kind, EXEC_REPLACED);
	assert_int_equal(r[0].token, 22);
	assert_int_equal(r[0].px, PX + 200);
	assert_int_equal(r[0].leaves, 400);
	assert_int_equal(r[0].t_exch_ns, 33);
	assert_int_equal(r[0].t_rx_tsc, 77);

	in = intent(INTENT_CANCEL, 0, 22, 1, 0, 0, 0);
	assert_int_equal(send_ok(g, &in, T0 + 20, &m, 1), 1);
	assert_int_equal(m.type, OUCH_IN_CANCEL);
	assert_int_equal(m.u.cancel.user_ref_num, 2);
	assert_int_equal(m.u.cancel.qty, 0);

	/* The next new order gets ref 3. */
	assert_int_equal(new_ok(g, 23, 2, 'B', PX, 10, T0 + 30), 3);
	gw_free(g);
}

static void test_cancel_all(void **state)
{
	struct gw *g = gw_small();
	struct order_intent in;
	struct ouch_in m[16];
	uint32_t a1 = new_ok(g, 1, 1, 'B', PX - 100, 10, T0);
	uint32_t a2 = new_ok(g, 2, 1, 'B', PX - 200, 10, T0);
	uint32_t a3 = new_ok(g, 3, 1, 'S', PX + 100, 10, T0);
	uint32_t b1 = new_ok(g, 4, 2, 'B', PX - 100, 10, T0);
	uint32_t b2 = new_ok(g, 5, 2, 'S', PX + 100, 10, T0);
	int n, seen[8] = { 0 };

	(void)state;
	accept_ref(g, a1);
	accept_ref(g, b2);
	/* a2 already being cancelled: not cancelled twice. */
	in = intent(INTENT_CANCEL, 0, 2, 1, 0, 0, 0);
	assert_int_equal(send_ok(g, &in, T0 + 1, m, 16), 1);
	assert_int_equal(m[0].u.cancel.user_ref_num, a2);

	in = intent(INTENT_CANCEL_ALL, 0, 0, 2, 0, 0, 0);
	n = send_ok(g, &in, T0 + 2, m, 16);
	assert_int_equal(n, 2);
	for (int i = 0; i < n; i++) {
		assert_int_equal(m[i].type, OUCH_IN_CANCEL);
		assert_int_equal(m[i].u.cancel.qty, 0);
		seen[m[i].u.cancel.user_ref_num]++;
	}
	assert_int_equal(seen[b1], 1);
	assert_int_equal(seen[b2], 1);

	in = intent(INTENT_CANCEL_ALL, 0, 0, 0, 0, 0, 0);
	n = send_ok(g, &in, T0 + 3, m, 16);
	assert_int_equal(n, 2);
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < n; i++)
		seen[m[i].u.cancel.user_ref_num]++;
	assert_int_equal(seen[a1], 1);
	assert_int_equal(seen[a3], 1);
	assert_int_equal(seen[a2] + seen[b1] + seen[b2], 0);

	/* Everything is being cancelled: nothing more to write. */
	assert_int_equal(send_ok(g, &in, T0 + 4, m, 16), 0);
	assert_int_equal(g->st.sent[INTENT_CANCEL_ALL], 3);
	gw_free(g);
}

/* ---- refusals ------------------------------------------------------------- */

/* in must be refused with reason; nothing written, nothing counted out. */
/* CANCEL_ALL while a replace is in flight: the order is cancelled by
 * gw_poll once the venue has answered, under whichever ref then stands. */
static void kill_during_replace(bool confirmed)
{
	struct gw *g = gw_small();
	struct order_intent in;
	struct ouch_in m[4];
	struct ouch_out o;
	struct exec_report r[4];
	uint8_t wire[256];
	uint32_t ref = new_ok(g, 31, 1, 'B', PX, 100, T0);

	accept_ref(g, ref);
	in = intent(INTENT_REPLACE, 32, 31, 1, 'B', PX - 100, 100);
	assert_int_equal(send_ok(g, &in, T0 + 10, m, 1), 1);
	in = intent(INTENT_CANCEL_ALL, 0, 0, 0, 0, 0, 0);
	assert_int_equal(send_ok(g, &in, T0 + 20, m, 4), 0);
	assert_int_equal(g->n_defer, 1);
	/* Nothing is due before the venue answers the replace. */
	assert_int_equal(gw_poll(g, T0 + 30, wire, sizeof(wire)), 0);
	memset(&o, 0, sizeof(o));
	if (confirmed) {
		o.type = OUCH_OUT_REPLACED;
		o.u.replaced.orig_user_ref_num = 1;
		o.u.replaced.user_ref_num = 2;
		o.u.replaced.qty = 100;
		o.u.replaced.price = PX - 100;
		o.u.replaced.side = 'B';
	} else {
		o.type = OUCH_OUT_REJECTED;
		o.u.rejected.user_ref_num = 2;
		o.u.rejected.reason = 1;
	}
	assert_int_equal(wire_in(g, &o, r), 1);
	{
		long k = gw_poll(g, T0 + 40, wire, sizeof(wire));

		assert_true(k > 0);
		assert_int_equal(gwt_decode_out(wire, (size_t)k, m, 4), 1);
	}
	assert_int_equal(m[0].type, OUCH_IN_CANCEL);
	assert_int_equal(m[0].u.cancel.user_ref_num, confirmed ? 2 : 1);
	assert_int_equal(g->n_defer, 0);
	assert_int_equal(gw_poll(g, T0 + 50, wire, sizeof(wire)), 0);
	gw_free(g);
}

static void test_cancel_all_replace_in_flight(void **state)
{
	(void)state;
	kill_during_replace(true);
	kill_during_replace(false);
}

static void refused(struct gw *g, const struct order_intent *in, uint64_t t, uint8_t reason)
{
	uint8_t wire[256];
	struct exec_report rej;
	uint64_t out = g->st.msgs_out;
	long k;

	memset(wire, SENTINEL, sizeof(wire));
	memset(&rej, 0, sizeof(rej));
	k = gw_on_intent(g, in, t, wire, sizeof(wire), &rej);
	if (k != -EACCES || rej.reason != reason)
		print_error("op %u token %llu: k %ld reason %u (%s), want %u (%s)\n", in->op,
			    (unsigned long long)in->token, k, rej.reason,
			    risk_reason_name(rej.reason), reason, risk_reason_name(reason));
	assert_int_equal(k, -EACCES);
	assert_int_equal(rej.kind, EXEC_REJECTED);
	assert_int_equal(rej.reason, reason);
	assert_int_equal(rej.token, in->op == INTENT_CANCEL ? in->orig_token : in->token);
	assert_int_equal(rej.locate, in->locate);
	for (size_t i = 0; i < sizeof(wire); i++)
		assert_int_equal(wire[i], SENTINEL);
	assert_int_equal(g->st.msgs_out, out);
}

static void test_refusals(void **state)
{
	struct gw *g = gw_small();
	struct gw_cfg c;
	struct order_intent in;
	uint32_t ref;
	uint64_t t = T0;

	(void)state;
	in = intent(9, 1, 0, 1, 'B', PX, 10);
	refused(g, &in, t, RISK_BAD_OP);
	in = intent(INTENT_NEW, 1, 0, 0, 'B', PX, 10);
	refused(g, &in, t, RISK_BAD_SYMBOL);
	in = intent(INTENT_NEW, 1, 0, 17, 'B', PX, 10);
	refused(g, &in, t, RISK_BAD_SYMBOL);
	in = intent(INTENT_CANCEL_ALL, 0, 0, 17, 0, 0, 0);
	refused(g, &in, t, RISK_BAD_SYMBOL);
	in = intent(INTENT_CANCEL, 0, 999, 1, 0, 0, 0);
	refused(g, &in, t, RISK_UNKNOWN_ORDER);
	in = intent(INTENT_REPLACE, 2, 999, 1, 'B', PX, 10);
	refused(g, &in, t, RISK_UNKNOWN_ORDER);

	ref = new_ok(g, 100, 1, 'B', PX - 1000, 10, t); /* pending new */
	in = intent(INTENT_REPLACE, 101, 100, 1, 'B', PX - 1000, 20);
	refused(g, &in, t, RISK_ORDER_BUSY);
	accept_ref(g, ref);
	in = intent(INTENT_CANCEL, 0, 100, 1, 0, 0, 0);
	assert_int_equal(send_ok(g, &in, t, NULL, 0) >= 0, 1);
	refused(g, &in, t, RISK_ORDER_BUSY); /* cancel already in flight */

	risk_set_kill(&g->rk, 1);
	in = intent(INTENT_NEW, 1, 0, 1, 'B', PX, 10);
	refused(g, &in, t, RISK_KILL_SWITCH);
	risk_set_kill(&g->rk, 0);
	in = intent(INTENT_NEW, 1, 0, 1, 'X', PX, 10);
	refused(g, &in, t, RISK_BAD_SIDE);
	in = intent(INTENT_NEW, 0, 0, 1, 'B', PX, 10);
	refused(g, &in, t, RISK_BAD_TOKEN);
	in = intent(INTENT_NEW, 1, 0, 1, 'B', PX, 0);
	refused(g, &in, t, RISK_BAD_QTY);
	in = intent(INTENT_NEW, 1, 0, 1, 'B', 0, 10);
	refused(g, &in, t, RISK_BAD_PRICE);
	in = intent(INTENT_NEW, 100, 0, 1, 'B', PX, 10);
	refused(g, &in, t, RISK_DUPLICATE);
	in = intent(INTENT_NEW, 1, 0, 1, 'B', PX, 1001);
	refused(g, &in, t, RISK_MAX_QTY);
	in = intent(INTENT_NEW, 1, 0, 1, 'B', PX, 601);
	refused(g, &in, t, RISK_MAX_NOTIONAL);
	in = intent(INTENT_NEW, 1, 0, 3, 'B', PX, 10);
	refused(g, &in, t, RISK_NO_REFERENCE);
	in = intent(INTENT_NEW, 1, 0, 1, 'B', PX + PX / 20 + 1, 10);
	refused(g, &in, t, RISK_PRICE_COLLAR);
	in = intent(INTENT_NEW, 1, 0, 1, 'S', PX - PX / 20 - 1, 10);
	refused(g, &in, t, RISK_PRICE_COLLAR);
	/* Worst case long: 2 x 500 + 490 = 1490 working, then 11 more. */
	new_ok(g, 2, 2, 'B', PX - 100, 500, t);
	new_ok(g, 3, 2, 'B', PX - 100, 500, t);
	new_ok(g, 4, 2, 'B', PX - 100, 490, t);
	in = intent(INTENT_NEW, 5, 0, 2, 'B', PX - 100, 11);
	refused(g, &in, t, RISK_MAX_LONG);
	gw_free(g);

	/* Short side, credit, open orders, self-cross on fresh gateways. */
	g = gw_small();
	new_ok(g, 1, 1, 'S', PX + 100, 500, t);
	new_ok(g, 2, 1, 'S', PX + 100, 500, t);
	new_ok(g, 3, 1, 'S', PX + 100, 500, t);
	in = intent(INTENT_NEW, 4, 0, 1, 'S', PX + 100, 1);
	refused(g, &in, t, RISK_MAX_SHORT);
	/* 2500 x ~PX of credit used; 100 more on another symbol is over. */
	new_ok(g, 5, 2, 'B', PX - 100, 500, t);
	new_ok(g, 6, 2, 'B', PX - 100, 500, t);
	in = intent(INTENT_NEW, 7, 0, 2, 'B', PX - 100, 100);
	refused(g, &in, t, RISK_CREDIT);
	/* Self-cross: a buy at our sell's price. */
	in = intent(INTENT_NEW, 8, 0, 1, 'B', PX + 100, 1);
	refused(g, &in, t, RISK_SELF_CROSS);
	gw_free(g);

	g = gw_small();
	for (uint64_t i = 1; i <= 8; i++)
		new_ok(g, i, 1, 'B', PX - 100, 1, t);
	in = intent(INTENT_NEW, 9, 0, 1, 'B', PX - 100, 1);
	refused(g, &in, t, RISK_MAX_OPEN);
	/* Throttle: 8 sent of a burst of 10; two more, then empty. */
	risk_set_kill(&g->rk, 0);
	g->rk.cfg.max_open_orders = 64;
	new_ok(g, 9, 1, 'B', PX - 100, 1, t);
	new_ok(g, 10, 1, 'B', PX - 100, 1, t);
	in = intent(INTENT_NEW, 11, 0, 1, 'B', PX - 100, 1);
	refused(g, &in, t, RISK_THROTTLE);
	new_ok(g, 11, 1, 'B', PX - 100, 1, t + 1000000); /* 1 ms: one message back */
	gw_free(g);

	/* Store full: the pool is smaller than the open-order limit. */
	cfg_small(&c);
	c.store.max_orders = 2;
	g = gw_new(&c);
	new_ok(g, 1, 1, 'B', PX - 100, 1, t);
	new_ok(g, 2, 1, 'B', PX - 100, 1, t);
	in = intent(INTENT_NEW, 3, 0, 1, 'B', PX - 100, 1);
	refused(g, &in, t, RISK_STORE_FULL);
	gw_free(g);

	/* Backoff after a storm of refusals. */
	cfg_small(&c);
	c.risk.storm_rejects = 3;
	c.risk.storm_window_ns = 1000000;
	c.risk.backoff_ns = 5000000;
	c.risk.backoff_max_ns = 5000000;
	c.risk.quiet_ns = 100000000;
	g = gw_new(&c);
	in = intent(INTENT_NEW, 1, 0, 1, 'B', PX, 1001);
	for (int i = 0; i < 3; i++)
		refused(g, &in, t, RISK_MAX_QTY);
	in = intent(INTENT_NEW, 1, 0, 1, 'B', PX, 1);
	refused(g, &in, t + 1, RISK_BACKOFF);
	new_ok(g, 1, 1, 'B', PX, 1, t + 5000001);
	gw_free(g);
}

/* A buffer too short for one message: -ENOSPC, nothing written. */
static void test_enospc(void **state)
{
	struct gw *g = gw_small();
	struct order_intent in = intent(INTENT_NEW, 1, 0, 1, 'B', PX, 10);
	uint8_t wire[GW_WIRE_MAX_ONE];
	struct exec_report rej;
	struct ouch_in m[4];

	(void)state;
	memset(wire, SENTINEL, sizeof(wire));
	assert_int_equal(gw_on_intent(g, &in, T0, wire, GW_WIRE_MAX_ONE - 1, &rej), -ENOSPC);
	assert_int_equal(rej.kind, EXEC_REJECTED);
	assert_int_equal(rej.reason, RISK_STORE_FULL);
	assert_int_equal(rej.token, 1);
	for (size_t i = 0; i < sizeof(wire); i++)
		assert_int_equal(wire[i], SENTINEL);
	assert_int_equal(g->st.no_room, 1);
	assert_int_equal(g->st.msgs_out, 0);
	/* The order was not recorded: the same token passes afterwards. */
	assert_int_equal(gw_on_intent(g, &in, T0, wire, sizeof(wire), &rej),
			 SOUP_HDR_LEN + OUCH_ENTER_LEN);

	/* CANCEL_ALL writes the cancels that fit, one whole packet each. */
	new_ok(g, 2, 1, 'B', PX, 10, T0);
	new_ok(g, 3, 1, 'B', PX, 10, T0);
	in = intent(INTENT_CANCEL_ALL, 0, 0, 1, 0, 0, 0);
	assert_int_equal(gw_on_intent(g, &in, T0, wire, 2 * (SOUP_HDR_LEN + OUCH_CANCEL_LEN) + 5,
				      &rej), 2 * (SOUP_HDR_LEN + OUCH_CANCEL_LEN));
	assert_int_equal(send_ok(g, &in, T0, m, 4), 1);
	gw_free(g);
}

/* ---- bytes in ------------------------------------------------------------- */

static void test_wire_reports(void **state)
{
	struct gw *g = gw_small();
	struct order_intent in;
	struct ouch_out o;
	struct exec_report r[4];
	uint32_t ref = new_ok(g, 31, 1, 'B', PX, 300, T0);
	uint32_t ref2, ref3;

	(void)state;
	accept_ref(g, ref);
	fill_ref(g, ref, 100, PX, 7001, 'A', r);
	assert_int_equal(r[0].token, 31);
	assert_int_equal(r[0].px, PX);
	assert_int_equal(r[0].qty, 100);
	assert_int_equal(r[0].leaves, 200);
	assert_int_equal(r[0].match, 7001);
	assert_int_equal(r[0].liquidity, 'A');
	assert_int_equal(r[0].fee_e4, -20 * 100);
	assert_int_equal(r[0].side, 'B');
	assert_int_equal(r[0].locate, 1);
	fill_ref(g, ref, 50, PX - 1, 7002, 'R', r);
	assert_int_equal(r[0].liquidity, 'R');
	assert_int_equal(r[0].fee_e4, 30 * 50);
	assert_int_equal(r[0].leaves, 150);
	/* A duplicate fill (same match) gives no report and no position. */
	memset(&o, 0, sizeof(o));
	o.type = OUCH_OUT_EXECUTED;
	o.u.executed.user_ref_num = ref;
	o.u.executed.qty = 50;
	o.u.executed.price = PX - 1;
	o.u.executed.match_num = 7002;
	o.u.executed.liquidity = 'R';
	assert_int_equal(wire_in(g, &o, r), 0);
	assert_int_equal(g->os.sym[1].pos, 150);

	/* Venue cancels 50 shares, then the rest. */
	memset(&o, 0, sizeof(o));
	o.type = OUCH_OUT_CANCELED;
	o.u.canceled.user_ref_num = ref;
	o.u.canceled.qty = 50;
	o.u.canceled.reason = 'Z';
	assert_int_equal(wire_in(g, &o, r), 1);
	assert_int_equal(r[0].kind, EXEC_CANCELED);
	assert_int_equal(r[0].qty, 50);
	assert_int_equal(r[0].leaves, 100);
	assert_int_equal(r[0].reason, 'Z');
	o.u.canceled.qty = 0;
	o.u.canceled.reason = 'U';
	assert_int_equal(wire_in(g, &o, r), 1);
	assert_int_equal(r[0].leaves, 0);
	assert_int_equal(r[0].qty, 100);
	assert_int_equal(g->os.n_open, 0);

	/* Venue reject of a new order: GW_REASON_VENUE + code, counted. */
	ref2 = new_ok(g, 32, 1, 'S', PX, 10, T0 + 1);
	memset(&o, 0, sizeof(o));
	o.type = OUCH_OUT_REJECTED;
	o.u.rejected.user_ref_num = ref2;
	o.u.rejected.reason = 23;
	assert_int_equal(wire_in(g, &o, r), 1);
	assert_int_equal(r[0].kind, EXEC_REJECTED);
	assert_int_equal(r[0].token, 32);
	assert_int_equal(r[0].reason, GW_REASON_VENUE + 23);
	assert_int_equal(g->st.venue_rejects, 1);
	/* A large venue code is clamped to 255. */
	ref2 = new_ok(g, 33, 1, 'S', PX, 10, T0 + 1);
	o.u.rejected.user_ref_num = ref2;
	o.u.rejected.reason = 900;
	assert_int_equal(wire_in(g, &o, r), 1);
	assert_int_equal(r[0].reason, 255);

	/* Replace rejected: the replacement's token, the order works on. */
	ref3 = new_ok(g, 34, 2, 'S', PX + 100, 10, T0 + 2);
	accept_ref(g, ref3);
	in = intent(INTENT_REPLACE, 35, 34, 2, 'S', PX + 200, 20);
	assert_int_equal(send_ok(g, &in, T0 + 3, NULL, 0) >= 0, 1);
	o.u.rejected.user_ref_num = ref3 + 1;
	o.u.rejected.reason = 1;
	assert_int_equal(wire_in(g, &o, r), 1);
	assert_int_equal(r[0].kind, EXEC_REJECTED);
	assert_int_equal(r[0].token, 35);
	assert_int_equal(r[0].reason, GW_REASON_VENUE + 1);
	assert_int_equal(ostore_order_at(&g->os, ostore_find_token(&g->os, 34))->state,
			 OSTORE_LIVE);

	/* Cancel reject: the order is working again (reported as accepted). */
	in = intent(INTENT_CANCEL, 0, 34, 2, 0, 0, 0);
	assert_int_equal(send_ok(g, &in, T0 + 4, NULL, 0) >= 0, 1);
	memset(&o, 0, sizeof(o));
	o.type = OUCH_OUT_CANCEL_REJECT;
	o.u.cancel_reject.user_ref_num = ref3;
	assert_int_equal(wire_in(g, &o, r), 1);
	assert_int_equal(r[0].kind, EXEC_ACCEPTED);
	assert_int_equal(r[0].token, 34);
	assert_int_equal(ostore_order_at(&g->os, ostore_find_token(&g->os, 34))->state,
			 OSTORE_LIVE);

	/* Events for unknown refs and heartbeats: no report, counted. */
	o.u.cancel_reject.user_ref_num = 999;
	assert_int_equal(wire_in(g, &o, r), 0);
	assert_int_equal(g->st.store_errors, 2); /* the duplicate fill and this */
	memset(&o, 0, sizeof(o));
	o.type = OUCH_OUT_SYSTEM_EVENT;
	o.u.system_event.event_code = 'S';
	assert_int_equal(wire_in(g, &o, r), 0);
	assert_int_equal(g->st.ignored_in, 1);
	gw_free(g);
}

/* Several packets split at every byte boundary: the same reports, and
 * *used stops at the last whole packet. */
static void test_wire_split(void **state)
{
	uint8_t buf[512];
	size_t len = 0;
	struct ouch_out o;

	(void)state;
	for (size_t cut = 0; cut <= 160; cut++) {
		struct gw *g = gw_small();
		uint32_t ref = new_ok(g, 41, 1, 'B', PX, 300, T0);
		struct exec_report r[8];
		size_t used = 0, used2 = 0;
		uint32_t n;

		len = 0;
		memset(&o, 0, sizeof(o));
		o.type = OUCH_OUT_ACCEPTED;
		o.u.accepted.user_ref_num = ref;
		len += gwt_put_out(buf + len, sizeof(buf) - len, &o);
		len += (size_t)soup_encode_empty(buf + len, sizeof(buf) - len, SOUP_T_SERVER_HB);
		for (uint32_t i = 0; i < 3; i++) {
			memset(&o, 0, sizeof(o));
			o.type = OUCH_OUT_EXECUTED;
			o.u.executed.user_ref_num = ref;
			o.u.executed.qty = 100;
			o.u.executed.price = PX;
			o.u.executed.match_num = 100 + i;
			o.u.executed.liquidity = 'A';
			len += gwt_put_out(buf + len, sizeof(buf) - len, &o);
		}
		assert_true(cut <= len);
		n = gw_on_wire(g, buf, cut, &used, 1, r, 8);
		assert_true(used <= cut);
		n += gw_on_wire(g, buf + used, len - used, &used2, 1, r + n, 8 - n);
		assert_int_equal(used + used2, len);
		assert_int_equal(n, 4);
		assert_int_equal(r[0].kind, EXEC_ACCEPTED);
		for (uint32_t i = 1; i < 4; i++) {
			assert_int_equal(r[i].kind, EXEC_FILL);
			assert_int_equal(r[i].leaves, 300 - 100 * i);
		}
		assert_int_equal(g->st.msgs_in, 5);
		assert_int_equal(g->st.bad_in, 0);
		gw_free(g);
	}
}

/* max reports: the packet whose report does not fit is left unread. */
static void test_wire_max(void **state)
{
	struct gw *g = gw_small();
	uint32_t ref = new_ok(g, 51, 1, 'B', PX, 300, T0);
	uint8_t buf[256];
	size_t len = 0, used = 0, first;
	struct ouch_out o;
	struct exec_report r[2];

	(void)state;
	memset(&o, 0, sizeof(o));
	o.type = OUCH_OUT_ACCEPTED;
	o.u.accepted.user_ref_num = ref;
	first = gwt_put_out(buf, sizeof(buf), &o);
	len = first;
	memset(&o, 0, sizeof(o));
	o.type = OUCH_OUT_EXECUTED;
	o.u.executed.user_ref_num = ref;
	o.u.executed.qty = 10;
	o.u.executed.price = PX;
	o.u.executed.match_num = 1;
	len += gwt_put_out(buf + len, sizeof(buf) - len, &o);
	assert_int_equal(gw_on_wire(g, buf, len, &used, 0, r, 1), 1);
	assert_int_equal(used, first);
	assert_int_equal(gw_on_wire(g, buf + used, len - used, &used, 0, r, 0), 0);
	assert_int_equal(used, 0);
	gw_free(g);
}

/* Garbage never crashes or reads past the buffer; it is counted. */
/* Found by fuzz_gw: a fill or replace priced above 32 bits was applied
 * with its price truncated (2^32 x 0xF41 + 20 as 0.0020 USD). Now the
 * message is refused as bad input and the order is untouched. */
static void test_wire_wide_price(void **state)
{
	struct gw *g = gw_small();
	const uint64_t wide = 0x00000F4100000014ull;
	struct ouch_out m;
	struct exec_report r[4];
	uint32_t ref = new_ok(g, 71, 1, 'B', PX, 100, T0), new_ref;
	struct order_intent in = intent(INTENT_REPLACE, 72, 71, 1, 'B', PX - 100, 80);
	struct ouch_in sent;
	const struct ostore_order *o;

	(void)state;
	accept_ref(g, ref);
	memset(&m, 0, sizeof(m));
	m.type = OUCH_OUT_EXECUTED;
	m.u.executed.user_ref_num = ref;
	m.u.executed.qty = 30;
	m.u.executed.price = wide;
	m.u.executed.match_num = 1;
	m.u.executed.liquidity = 'A';
	assert_int_equal(wire_in(g, &m, r), 0);
	assert_int_equal(g->st.bad_in, 1);
	assert_int_equal(g->os.sym[1].pos, 0);
	assert_int_equal(g->os.cnt.fills, 0);
	o = ostore_order_at(&g->os, ostore_find_ref(&g->os, ref));
	assert_int_equal(o->leaves, 100);

	assert_int_equal(send_ok(g, &in, T0 + 1000, &sent, 1), 1);
	new_ref = sent.u.replace.user_ref_num;
	memset(&m, 0, sizeof(m));
	m.type = OUCH_OUT_REPLACED;
	m.u.replaced.orig_user_ref_num = ref;
	m.u.replaced.user_ref_num = new_ref;
	m.u.replaced.qty = 80;
	m.u.replaced.price = wide;
	m.u.replaced.side = 'B';
	assert_int_equal(wire_in(g, &m, r), 0);
	assert_int_equal(g->st.bad_in, 2);
	assert_int_equal(o->state, OSTORE_PENDING_REPLACE);
	assert_int_equal(o->px, PX);

	/* The same messages at a 32-bit price apply as usual. */
	m.u.replaced.price = PX - 100;
	assert_int_equal(wire_in(g, &m, r), 1);
	assert_int_equal(r[0].kind, EXEC_REPLACED);
	assert_int_equal(r[0].px, PX - 100);
	fill_ref(g, new_ref, 30, PX - 100, 2, 'A', r);
	assert_int_equal(r[0].px, PX - 100);
	assert_int_equal(g->os.sym[1].pos, 30);
	gw_free(g);
}

/* Found by fuzz_gw: the fee of a fill of more shares than an int32 fee
 * can price wrapped (a fee of 30 x 80,000,000 read as a rebate). It now
 * saturates, keeping its sign; the position takes the fill as reported. */
static void test_wire_fee_saturates(void **state)
{
	struct gw *g = gw_small();
	struct exec_report r[4];
	uint32_t buy = new_ok(g, 81, 1, 'B', PX, 100, T0);
	uint32_t sell = new_ok(g, 82, 2, 'S', PX, 100, T0);

	(void)state;
	accept_ref(g, buy);
	accept_ref(g, sell);
	fill_ref(g, buy, 80000000u, PX, 1, 'R', r);    /* 30 x 8e7 = 2.4e9 */
	assert_int_equal(r[0].fee_e4, INT32_MAX);
	assert_int_equal(g->os.sym[1].pos, 80000000);
	fill_ref(g, sell, 200000000u, PX, 2, 'A', r);  /* -20 x 2e8 = -4e9 */
	assert_int_equal(r[0].fee_e4, INT32_MIN);
	assert_int_equal(g->os.sym[2].pos, -200000000);
	gw_free(g);
}

static void test_wire_garbage(void **state)
{
	struct gw *g = gw_small();
	uint64_t seed = 12345;
	struct exec_report r[16];

	(void)state;
	new_ok(g, 61, 1, 'B', PX, 300, T0);
	for (int it = 0; it < 20000; it++) {
		uint8_t b[200];
		size_t len, used = 0;
		const uint8_t *p;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		len = (size_t)(seed >> 33) % sizeof(b);
		for (size_t i = 0; i < len; i++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			b[i] = (uint8_t)(seed >> 56);
		}
		if (len >= 3 && (it & 1)) {
			/* A plausible header so the OUCH decoder sees garbage. */
			uint16_t pl = (uint16_t)(len - 2);

			b[0] = (uint8_t)(pl >> 8);
			b[1] = (uint8_t)pl;
			b[2] = SOUP_T_SEQ_DATA;
			if (len > 3 && (it & 2))
				b[3] = "AUCEJIS"[b[3] % 7];
		}
		p = at_guard(b, len);
		(void)gw_on_wire(g, p, len, &used, 0, r, 16);
		assert_true(used <= len);
	}
	assert_true(g->st.bad_in > 0);
	/* Known bad inputs, one each. */
	{
		const uint8_t zero_len[3] = { 0, 0, 'S' };
		const uint8_t bad_type[4] = { 0, 2, 'Q', 0 };
		const uint8_t short_ouch[4] = { 0, 2, 'S', 'E' };
		uint64_t bad = g->st.bad_in;
		size_t used;

		assert_int_equal(gw_on_wire(g, at_guard(zero_len, 3), 3, &used, 0, r, 16), 0);
		assert_int_equal(used, 3);
		assert_int_equal(gw_on_wire(g, at_guard(bad_type, 4), 4, &used, 0, r, 16), 0);
		assert_int_equal(gw_on_wire(g, at_guard(short_ouch, 4), 4, &used, 0, r, 16), 0);
		assert_int_equal(used, 4);
		assert_int_equal(g->st.bad_in, bad + 3);
	}
	gw_free(g);
}

/* Venue messages for test_wire_out_of_turn (and out_exec). */
static struct ouch_out out_replaced(uint32_t old_ref, uint32_t new_ref, uint32_t qty, uint32_t px)
{
	struct ouch_out o;

	memset(&o, 0, sizeof(o));
	o.type = OUCH_OUT_REPLACED;
	o.u.replaced.orig_user_ref_num = old_ref;
	o.u.replaced.user_ref_num = new_ref;
	o.u.replaced.qty = qty;
	o.u.replaced.price = px;
	return o;
}

/* An accept, a cancel (all of it) or a reject (code 1) of ref. */
static struct ouch_out out_ref(uint8_t type, uint32_t ref)
{
	struct ouch_out o;

	memset(&o, 0, sizeof(o));
	o.type = type;
	if (type == OUCH_OUT_ACCEPTED) {
		o.u.accepted.user_ref_num = ref;
	} else if (type == OUCH_OUT_CANCELED) {
		o.u.canceled.user_ref_num = ref;
	} else {
		o.u.rejected.user_ref_num = ref;
		o.u.rejected.reason = 1;
	}
	return o;
}

/* The store's reservations, open count and best prices all back at
 * their empty values for locate loc. */
static void assert_store_idle(const struct gw *g, uint16_t loc)
{
	const struct ostore_sym *s = ostore_sym_at(&g->os, loc);

	assert_int_equal(g->os.n_open, 0);
	assert_int_equal(g->os.open_ntl, 0);
	assert_int_equal(s->buy_res, 0);
	assert_int_equal(s->sell_res, 0);
	assert_int_equal(s->res_ntl, 0);
	assert_int_equal(s->n_open, 0);
	assert_int_equal(s->best_bid, 0);
	assert_int_equal(s->best_ask, OSTORE_NO_ASK);
	assert_int_equal(s->head, OSTORE_NIL);
}

/* A venue that answers out of turn: a fill before the accept, the accept
 * twice, a fill and a replace-done naming the replacement's ref before
 * its time or the wrong one, a reject of a working order, a fill of more
 * than is open, fills and cancels of orders already gone, a replace
 * leaving nothing, a fill racing a cancel. Each event that does not fit
 * is refused and counted (no report), the rest move the position by
 * what was filled, and once every order is closed the store holds no
 * reservation, no open order and no best price. */
static void test_wire_out_of_turn(void **state)
{
	struct gw *g = gw_small();
	struct order_intent in;
	struct ouch_out o;
	struct exec_report r[4];
	uint64_t errors = 0;
	uint32_t a, b, c, d;

	(void)state;
	a = new_ok(g, 41, 1, 'B', PX, 100, T0);
	/* a fill before the accept: the order is partly filled */
	fill_ref(g, a, 30, PX, 9001, 'A', r);
	assert_int_equal(r[0].leaves, 70);
	/* the accept after it, and again: neither fits */
	o = out_ref(OUCH_OUT_ACCEPTED, a);
	assert_int_equal(wire_in(g, &o, r), 0);
	assert_int_equal(wire_in(g, &o, r), 0);
	errors += 2;
	assert_int_equal(g->os.cnt.bad_event, 2);
	/* a replace in flight; its new ref's fill and a replace-done naming
	 * another new ref do not fit, nor does a reject of the working ref */
	in = intent(INTENT_REPLACE, 42, 41, 1, 'B', PX, 50);
	assert_int_equal(send_ok(g, &in, T0 + 1, NULL, 0), 1);
	b = a + 1;
	assert_int_equal(ostore_order_at(&g->os, ostore_find_token(&g->os, 41))->new_ref, b);
	o = out_exec(b, 10, PX, 9002);
	assert_int_equal(wire_in(g, &o, r), 0);
	o = out_replaced(a, b + 1, 50, PX);
	assert_int_equal(wire_in(g, &o, r), 0);
	o = out_ref(OUCH_OUT_REJECTED, a);
	assert_int_equal(wire_in(g, &o, r), 0);
	errors += 3;
	assert_int_equal(g->os.cnt.bad_event, 5);
	assert_int_equal(g->os.sym[1].pos, 30);
	/* the replace done */
	o = out_replaced(a, b, 50, PX);
	assert_int_equal(wire_in(g, &o, r), 1);
	assert_int_equal(r[0].kind, EXEC_REPLACED);
	assert_int_equal(r[0].token, 42);
	/* more than is open: filled, counted, closed */
	fill_ref(g, b, 80, PX, 9003, 'R', r);
	assert_int_equal(r[0].leaves, 0);
	assert_int_equal(g->os.cnt.overfills, 1);
	assert_int_equal(g->os.sym[1].pos, 110);
	/* the closed order's fill and cancel: unknown */
	o = out_exec(b, 5, PX, 9004);
	assert_int_equal(wire_in(g, &o, r), 0);
	o = out_ref(OUCH_OUT_CANCELED, b);
	assert_int_equal(wire_in(g, &o, r), 0);
	errors += 2;
	assert_int_equal(g->os.cnt.unknown_ref, 2);
	assert_store_idle(g, 1);

	/* a replace that leaves nothing: the order is gone */
	c = new_ok(g, 43, 1, 'S', PX + 100, 20, T0 + 2);
	accept_ref(g, c);
	in = intent(INTENT_REPLACE, 44, 43, 1, 'S', PX + 200, 20);
	assert_int_equal(send_ok(g, &in, T0 + 3, NULL, 0), 1);
	o = out_replaced(c, c + 1, 0, PX + 200);
	assert_int_equal(wire_in(g, &o, r), 1);
	assert_int_equal(ostore_find_token(&g->os, 43), OSTORE_NIL);
	assert_int_equal(ostore_find_token(&g->os, 44), OSTORE_NIL);
	assert_store_idle(g, 1);

	/* a fill racing a cancel: filled whole, the cancel's answer unknown */
	d = new_ok(g, 45, 1, 'S', PX, 10, T0 + 4);
	accept_ref(g, d);
	in = intent(INTENT_CANCEL, 0, 45, 1, 0, 0, 0);
	assert_int_equal(send_ok(g, &in, T0 + 5, NULL, 0), 1);
	fill_ref(g, d, 10, PX, 9005, 'A', r);
	assert_int_equal(g->os.cnt.late_fills, 1);
	o = out_ref(OUCH_OUT_CANCELED, d);
	assert_int_equal(wire_in(g, &o, r), 0);
	errors++;
	assert_int_equal(g->st.store_errors, errors);
	assert_int_equal(g->os.sym[1].pos, 100);
	assert_store_idle(g, 1);
	gw_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_mapping),
		cmocka_unit_test(test_warm_reads_only),
		cmocka_unit_test(test_send_commit_same),
		cmocka_unit_test(test_send_commit_owed),
		cmocka_unit_test(test_new_bytes),
		cmocka_unit_test(test_new_firm),
		cmocka_unit_test(test_clordid_large_tokens),
		cmocka_unit_test(test_clordid_decimal_widths),
		cmocka_unit_test(test_clordid_memo),
		cmocka_unit_test(test_clordid_memo_carries),
		cmocka_unit_test(test_replace_cancel_bytes),
		cmocka_unit_test(test_cancel_all),
		cmocka_unit_test(test_cancel_all_replace_in_flight),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_enospc),
		cmocka_unit_test(test_wire_reports),
		cmocka_unit_test(test_wire_split),
		cmocka_unit_test(test_wire_max),
		cmocka_unit_test(test_wire_wide_price),
		cmocka_unit_test(test_wire_fee_saturates),
		cmocka_unit_test(test_wire_garbage),
		cmocka_unit_test(test_wire_out_of_turn),
	};

	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
