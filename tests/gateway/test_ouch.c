/* test_ouch.c - OUCH 5.0 codec (gateway/ouch.h): every inbound and outbound
 * type against golden bytes built field by field in spec order (so offsets
 * are checked independently of the codec's tables), decoded back and
 * re-encoded; truncation at every length and seeded garbage before a guard
 * page; appendage bounds errors; and the real Nasdaq captures decoded field
 * by field and re-encoded to the identical bytes. One thread. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/ouch.h"
#include "gateway/soup.h"
#include "tests/test_data.h"
#include "tests/test_guard.h"
#include "tests/gateway/tcp_pcap.h"

/* ---- golden bytes, appended in spec field order --------------------------- */

struct wb {
	uint8_t b[256];
	size_t n;
};

static void wc(struct wb *w, char c)
{
	w->b[w->n++] = (uint8_t)c;
}

static void wint(struct wb *w, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		w->b[w->n++] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

static void wa(struct wb *w, const char *s, size_t width)
{
	size_t k = strlen(s);

	for (size_t i = 0; i < width; i++)
		w->b[w->n++] = (uint8_t)(i < k ? s[i] : ' ');
}

/* One TagValue: length (tag + value), tag, value bytes. */
static void wtv(struct wb *w, uint8_t tag, const void *val, size_t len)
{
	w->b[w->n++] = (uint8_t)(1 + len);
	w->b[w->n++] = tag;
	memcpy(w->b + w->n, val, len);
	w->n += len;
}

/* ---- the cases ------------------------------------------------------------ */

struct ocase {
	const char *name;
	int out;              /* 0 inbound, 1 outbound */
	struct ouch_in in;
	struct ouch_out o;
	struct wb w;
};

static void fill_app_enter(struct ouch_app *a, struct wb *w)
{
	static const uint8_t minq[] = { 0, 0, 0, 100 }, dprice[] = { 0, 0, 0, 0, 0, 0x1d, 0x5a, 0x4c };
	static const uint8_t unknown[] = { 0xab, 0xcd };

	assert_int_equal(ouch_app_add_alpha(a, OUCH_TAG_FIRM, "TWFM"), 0);
	assert_int_equal(ouch_app_add_u32(a, OUCH_TAG_MIN_QTY, 100), 0);
	assert_int_equal(ouch_app_add_u64(a, OUCH_TAG_DISCRETION_PRICE, 0x1d5a4c), 0);
	assert_int_equal(ouch_app_add(a, 30, unknown, sizeof(unknown)), 0); /* kept raw */
	wint(w, 6 + 6 + 10 + 4, 2);
	wtv(w, OUCH_TAG_FIRM, "TWFM", 4);
	wtv(w, OUCH_TAG_MIN_QTY, minq, 4);
	wtv(w, OUCH_TAG_DISCRETION_PRICE, dprice, 8);
	wtv(w, 30, unknown, 2);
}

static size_t build_cases(struct ocase *c)
{
	size_t n = 0;
	struct ocase *k;

#define NEXT(nm, dir) (k = &c[n++], memset(k, 0, sizeof(*k)), k->name = (nm), k->out = (dir))

	/* inbound 'O' with an appendage */
	NEXT("enter+app", 0);
	k->in.type = 'O';
	k->in.u.enter = (struct ouch_enter){ .user_ref_num = 1001, .qty = 300, .price = 1923400,
					     .side = 'B', .tif = '0', .display = 'Y',
					     .capacity = 'P', .iso = 'N', .cross_type = 'N' };
	ouch_alpha_set(k->in.u.enter.symbol, 8, "AAPL");
	ouch_alpha_set(k->in.u.enter.clordid, 14, "TW000000000001");
	wc(&k->w, 'O'); wint(&k->w, 1001, 4); wc(&k->w, 'B'); wint(&k->w, 300, 4);
	wa(&k->w, "AAPL", 8); wint(&k->w, 1923400, 8); wc(&k->w, '0'); wc(&k->w, 'Y');
	wc(&k->w, 'P'); wc(&k->w, 'N'); wc(&k->w, 'N'); wa(&k->w, "TW000000000001", 14);
	fill_app_enter(&k->in.u.enter.app, &k->w);

	/* inbound 'O' without */
	NEXT("enter", 0);
	k->in.type = 'O';
	k->in.u.enter = (struct ouch_enter){ .user_ref_num = 0xfffffffe, .qty = 0x7fffffff,
					     .price = 0x0123456789abcdefull, .side = 'T',
					     .tif = '3', .display = 'N', .capacity = 'A',
					     .iso = 'Y', .cross_type = 'O' };
	ouch_alpha_set(k->in.u.enter.symbol, 8, "BRK.A");
	ouch_alpha_set(k->in.u.enter.clordid, 14, "x");
	wc(&k->w, 'O'); wint(&k->w, 0xfffffffe, 4); wc(&k->w, 'T'); wint(&k->w, 0x7fffffff, 4);
	wa(&k->w, "BRK.A", 8); wint(&k->w, 0x0123456789abcdefull, 8); wc(&k->w, '3');
	wc(&k->w, 'N'); wc(&k->w, 'A'); wc(&k->w, 'Y'); wc(&k->w, 'O'); wa(&k->w, "x", 14);
	wint(&k->w, 0, 2);

	/* inbound 'U' with an appendage */
	NEXT("replace+app", 0);
	k->in.type = 'U';
	k->in.u.replace = (struct ouch_replace){ .orig_user_ref_num = 1001, .user_ref_num = 1002,
						 .qty = 250, .price = 1923300, .tif = '0',
						 .display = 'Y', .iso = 'N' };
	ouch_alpha_set(k->in.u.replace.clordid, 14, "TW000000000002");
	assert_int_equal(ouch_app_add_u32(&k->in.u.replace.app, OUCH_TAG_MAX_FLOOR, 50), 0);
	wc(&k->w, 'U'); wint(&k->w, 1001, 4); wint(&k->w, 1002, 4); wint(&k->w, 250, 4);
	wint(&k->w, 1923300, 8); wc(&k->w, '0'); wc(&k->w, 'Y'); wc(&k->w, 'N');
	wa(&k->w, "TW000000000002", 14); wint(&k->w, 6, 2);
	wtv(&k->w, OUCH_TAG_MAX_FLOOR, (const uint8_t[]){ 0, 0, 0, 50 }, 4);

	NEXT("replace", 0);
	k->in.type = 'U';
	k->in.u.replace = (struct ouch_replace){ .orig_user_ref_num = 7, .user_ref_num = 8,
						 .qty = 1, .price = 1, .tif = '6',
						 .display = 'P', .iso = 'y' };
	ouch_alpha_set(k->in.u.replace.clordid, 14, "ABCDEFGHIJKLMN");
	wc(&k->w, 'U'); wint(&k->w, 7, 4); wint(&k->w, 8, 4); wint(&k->w, 1, 4); wint(&k->w, 1, 8);
	wc(&k->w, '6'); wc(&k->w, 'P'); wc(&k->w, 'y'); wa(&k->w, "ABCDEFGHIJKLMN", 14);
	wint(&k->w, 0, 2);

	NEXT("cancel", 0);
	k->in.type = 'X';
	k->in.u.cancel = (struct ouch_cancel){ .user_ref_num = 1002, .qty = 40 };
	wc(&k->w, 'X'); wint(&k->w, 1002, 4); wint(&k->w, 40, 4);

	NEXT("modify", 0);
	k->in.type = 'M';
	k->in.u.modify = (struct ouch_modify){ .user_ref_num = 1002, .side = 'S', .qty = 100 };
	wc(&k->w, 'M'); wint(&k->w, 1002, 4); wc(&k->w, 'S'); wint(&k->w, 100, 4);

	NEXT("account query", 0);
	k->in.type = 'Q';
	wc(&k->w, 'Q');

	/* ---- outbound ---- */
	NEXT("system event", 1);
	k->o.type = 'S';
	k->o.u.system_event = (struct ouch_system_event){ .ts_ns = 34200000000000ull,
							  .event_code = 'S' };
	wc(&k->w, 'S'); wint(&k->w, 34200000000000ull, 8); wc(&k->w, 'S');

	NEXT("accepted+app", 1);
	k->o.type = 'A';
	k->o.u.accepted = (struct ouch_accepted){
		.ts_ns = 34200000000123ull, .price = 1923400, .order_ref = 0x1122334455667788ull,
		.user_ref_num = 1001, .qty = 300, .side = 'B', .tif = '0', .display = 'Y',
		.capacity = 'P', .iso = 'N', .cross_type = 'N', .order_state = 'L' };
	ouch_alpha_set(k->o.u.accepted.symbol, 8, "AAPL");
	ouch_alpha_set(k->o.u.accepted.clordid, 14, "TW000000000001");
	assert_int_equal(ouch_app_add_alpha(&k->o.u.accepted.app, OUCH_TAG_BBO_WEIGHT, "2"), 0);
	wc(&k->w, 'A'); wint(&k->w, 34200000000123ull, 8); wint(&k->w, 1001, 4); wc(&k->w, 'B');
	wint(&k->w, 300, 4); wa(&k->w, "AAPL", 8); wint(&k->w, 1923400, 8); wc(&k->w, '0');
	wc(&k->w, 'Y'); wint(&k->w, 0x1122334455667788ull, 8); wc(&k->w, 'P'); wc(&k->w, 'N');
	wc(&k->w, 'N'); wc(&k->w, 'L'); wa(&k->w, "TW000000000001", 14); wint(&k->w, 3, 2);
	wtv(&k->w, OUCH_TAG_BBO_WEIGHT, "2", 1);

	NEXT("replaced+app", 1);
	k->o.type = 'U';
	k->o.u.replaced = (struct ouch_replaced){
		.ts_ns = 40000000000000ull, .price = 1923300, .order_ref = 99,
		.orig_user_ref_num = 1001, .user_ref_num = 1002, .qty = 250, .side = 'B',
		.tif = '0', .display = 'Y', .capacity = 'P', .iso = 'N', .cross_type = 'N',
		.order_state = 'L' };
	ouch_alpha_set(k->o.u.replaced.symbol, 8, "AAPL");
	ouch_alpha_set(k->o.u.replaced.clordid, 14, "TW000000000002");
	assert_int_equal(ouch_app_add_u32(&k->o.u.replaced.app, OUCH_TAG_MAX_FLOOR, 50), 0);
	assert_int_equal(ouch_app_add_alpha(&k->o.u.replaced.app, OUCH_TAG_ROUTE, "RT"), 0);
	wc(&k->w, 'U'); wint(&k->w, 40000000000000ull, 8); wint(&k->w, 1001, 4);
	wint(&k->w, 1002, 4); wc(&k->w, 'B'); wint(&k->w, 250, 4); wa(&k->w, "AAPL", 8);
	wint(&k->w, 1923300, 8); wc(&k->w, '0'); wc(&k->w, 'Y'); wint(&k->w, 99, 8);
	wc(&k->w, 'P'); wc(&k->w, 'N'); wc(&k->w, 'N'); wc(&k->w, 'L');
	wa(&k->w, "TW000000000002", 14); wint(&k->w, 12, 2);
	wtv(&k->w, OUCH_TAG_MAX_FLOOR, (const uint8_t[]){ 0, 0, 0, 50 }, 4);
	wtv(&k->w, OUCH_TAG_ROUTE, "RT  ", 4);

	NEXT("canceled", 1);
	k->o.type = 'C';
	k->o.u.canceled = (struct ouch_canceled){ .ts_ns = 5, .user_ref_num = 6, .qty = 7,
						  .reason = 'U' };
	wc(&k->w, 'C'); wint(&k->w, 5, 8); wint(&k->w, 6, 4); wint(&k->w, 7, 4); wc(&k->w, 'U');

	NEXT("aiq canceled", 1);
	k->o.type = 'D';
	k->o.u.aiq_canceled = (struct ouch_aiq_canceled){
		.ts_ns = 11, .exec_price = 1923400, .user_ref_num = 12, .decrement_qty = 13,
		.qty_prevented = 14, .reason = 'Q', .liquidity = 'A' };
	wc(&k->w, 'D'); wint(&k->w, 11, 8); wint(&k->w, 12, 4); wint(&k->w, 13, 4);
	wc(&k->w, 'Q'); wint(&k->w, 14, 4); wint(&k->w, 1923400, 8); wc(&k->w, 'A');

	NEXT("executed+app", 1);
	k->o.type = 'E';
	k->o.u.executed = (struct ouch_executed){ .ts_ns = 21, .price = 1923400,
						  .match_num = 0xdeadbeefcafef00dull,
						  .user_ref_num = 22, .qty = 23, .liquidity = 'R' };
	assert_int_equal(ouch_app_add_u64(&k->o.u.executed.app, OUCH_TAG_REFERENCE_PRICE,
					  1923500), 0);
	assert_int_equal(ouch_app_add_alpha(&k->o.u.executed.app, OUCH_TAG_REFERENCE_PRICE_TYPE,
					    "N"), 0);
	wc(&k->w, 'E'); wint(&k->w, 21, 8); wint(&k->w, 22, 4); wint(&k->w, 23, 4);
	wint(&k->w, 1923400, 8); wc(&k->w, 'R'); wint(&k->w, 0xdeadbeefcafef00dull, 8);
	wint(&k->w, 13, 2);
	wtv(&k->w, OUCH_TAG_REFERENCE_PRICE, (const uint8_t[]){ 0, 0, 0, 0, 0, 0x1d, 0x59, 0xac },
	    8);
	wtv(&k->w, OUCH_TAG_REFERENCE_PRICE_TYPE, "N", 1);

	NEXT("broken", 1);
	k->o.type = 'B';
	k->o.u.broken = (struct ouch_broken){ .ts_ns = 31, .match_num = 32, .user_ref_num = 33,
					      .reason = 'E' };
	ouch_alpha_set(k->o.u.broken.clordid, 14, "BRK");
	wc(&k->w, 'B'); wint(&k->w, 31, 8); wint(&k->w, 33, 4); wint(&k->w, 32, 8);
	wc(&k->w, 'E'); wa(&k->w, "BRK", 14);

	NEXT("rejected", 1);
	k->o.type = 'J';
	k->o.u.rejected = (struct ouch_rejected){ .ts_ns = 41, .user_ref_num = 42, .reason = 6 };
	ouch_alpha_set(k->o.u.rejected.clordid, 14, "FAT");
	wc(&k->w, 'J'); wint(&k->w, 41, 8); wint(&k->w, 42, 4); wint(&k->w, 6, 2);
	wa(&k->w, "FAT", 14);

	NEXT("cancel pending", 1);
	k->o.type = 'P';
	k->o.u.cancel_pending = (struct ouch_urn_event){ .ts_ns = 51, .user_ref_num = 52 };
	wc(&k->w, 'P'); wint(&k->w, 51, 8); wint(&k->w, 52, 4);

	NEXT("cancel reject", 1);
	k->o.type = 'I';
	k->o.u.cancel_reject = (struct ouch_urn_event){ .ts_ns = 53, .user_ref_num = 54 };
	wc(&k->w, 'I'); wint(&k->w, 53, 8); wint(&k->w, 54, 4);

	NEXT("priority update", 1);
	k->o.type = 'T';
	k->o.u.priority_update = (struct ouch_priority_update){
		.ts_ns = 61, .price = 62, .order_ref = 63, .user_ref_num = 64, .display = 'Y' };
	wc(&k->w, 'T'); wint(&k->w, 61, 8); wint(&k->w, 64, 4); wint(&k->w, 62, 8);
	wc(&k->w, 'Y'); wint(&k->w, 63, 8);

	NEXT("modified", 1);
	k->o.type = 'M';
	k->o.u.modified = (struct ouch_modified){ .ts_ns = 71, .user_ref_num = 72, .qty = 73,
						  .side = 'S' };
	wc(&k->w, 'M'); wint(&k->w, 71, 8); wint(&k->w, 72, 4); wc(&k->w, 'S'); wint(&k->w, 73, 4);

	NEXT("restated+app", 1);
	k->o.type = 'R';
	k->o.u.restated = (struct ouch_restated){ .ts_ns = 81, .user_ref_num = 82, .reason = 'P' };
	assert_int_equal(ouch_app_add_u32(&k->o.u.restated.app, OUCH_TAG_MAX_FLOOR, 500), 0);
	wc(&k->w, 'R'); wint(&k->w, 81, 8); wint(&k->w, 82, 4); wc(&k->w, 'P'); wint(&k->w, 6, 2);
	wtv(&k->w, OUCH_TAG_MAX_FLOOR, (const uint8_t[]){ 0, 0, 0x01, 0xf4 }, 4);

	NEXT("restated", 1);
	k->o.type = 'R';
	k->o.u.restated = (struct ouch_restated){ .ts_ns = 83, .user_ref_num = 84, .reason = 'R' };
	wc(&k->w, 'R'); wint(&k->w, 83, 8); wint(&k->w, 84, 4); wc(&k->w, 'R'); wint(&k->w, 0, 2);

	NEXT("trade correction", 1);
	k->o.type = 'F';
	k->o.u.correction = (struct ouch_correction){ .ts_ns = 91, .price = 92, .match_num = 93,
						      .user_ref_num = 94, .qty = 95,
						      .liquidity = 'A', .reason = 'C' };
	ouch_alpha_set(k->o.u.correction.clordid, 14, "CORR");
	wc(&k->w, 'F'); wint(&k->w, 91, 8); wint(&k->w, 94, 4); wint(&k->w, 95, 4);
	wint(&k->w, 92, 8); wc(&k->w, 'A'); wint(&k->w, 93, 8); wc(&k->w, 'C');
	wa(&k->w, "CORR", 14);

	NEXT("account query response", 1);
	k->o.type = 'Q';
	k->o.u.account_query_resp = (struct ouch_account_query_resp){ .ts_ns = 101,
								      .next_user_ref_num = 102 };
	wc(&k->w, 'Q'); wint(&k->w, 101, 8); wint(&k->w, 102, 4);
#undef NEXT
	return n;
}

#define MAX_CASES 32

static int enc(const struct ocase *k, uint8_t *buf, size_t cap)
{
	return k->out ? ouch_out_encode(buf, cap, &k->o) : ouch_in_encode(buf, cap, &k->in);
}

static int dec(const struct ocase *k, const uint8_t *buf, size_t len, struct ocase *d)
{
	return k->out ? ouch_out_decode(buf, len, &d->o) : ouch_in_decode(buf, len, &d->in);
}

/* Appendage bytes of a case (0 for types without one). */
static size_t app_bytes(const struct ocase *k)
{
	const struct ouch_app *a = NULL;

	if (k->out)
		a = k->o.type == 'A' ? &k->o.u.accepted.app : k->o.type == 'U' ? &k->o.u.replaced.app
		  : k->o.type == 'E' ? &k->o.u.executed.app : k->o.type == 'R' ? &k->o.u.restated.app
		  : NULL;
	else
		a = k->in.type == 'O' ? &k->in.u.enter.app : k->in.type == 'U' ? &k->in.u.replace.app
		  : NULL;
	return a ? ouch_app_wire_len(a) : 0;
}

/* Encode = golden bytes; decode(golden) re-encodes to golden. */
static void test_golden_every_type(void **state)
{
	static struct ocase c[MAX_CASES];
	size_t n = build_cases(c);
	int seen_in[256] = { 0 }, seen_out[256] = { 0 };

	(void)state;
	for (size_t i = 0; i < n; i++) {
		static struct ocase d;
		uint8_t buf[300], again[300];
		int len;

		print_message("case %s\n", c[i].name);
		memset(buf, 0xee, sizeof(buf));
		len = enc(&c[i], buf, sizeof(buf));
		assert_int_equal(len, (int)c[i].w.n);
		assert_memory_equal(buf, c[i].w.b, c[i].w.n);
		assert_int_equal(buf[len], 0xee); /* nothing written past the message */
		/* the fixed part is the per-type length table's entry */
		assert_int_equal((c[i].out ? ouch_out_len(buf[0]) : ouch_in_len(buf[0])) +
				 app_bytes(&c[i]), c[i].w.n);

		/* Decode over junk, so a field the decoder forgot shows up in the
		 * re-encoding (struct padding makes memcmp of structs unreliable). */
		memset(&d, 0xa5, sizeof(d));
		assert_int_equal(dec(&c[i], at_guard(c[i].w.b, c[i].w.n), c[i].w.n, &d), len);
		d.out = c[i].out;
		assert_int_equal(enc(&d, again, sizeof(again)), len);
		assert_memory_equal(again, c[i].w.b, c[i].w.n);
		(c[i].out ? seen_out : seen_in)[c[i].w.b[0]] = 1;
	}
	/* every type of both directions was covered */
	for (int t = 0; t < 256; t++) {
		assert_int_equal(seen_in[t], ouch_in_len((uint8_t)t) != 0);
		assert_int_equal(seen_out[t], ouch_out_len((uint8_t)t) != 0);
	}
}

/* Every prefix of every message is refused, reading only inside the prefix;
 * every encoder refuses a buffer one byte short and writes only its own
 * bytes when the buffer ends at the guard page. */
static void test_truncation_every_length(void **state)
{
	static struct ocase c[MAX_CASES];
	size_t n = build_cases(c);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		static struct ocase d;
		size_t len = c[i].w.n;

		for (size_t k = 0; k < len; k++)
			assert_int_equal(dec(&c[i], at_guard(c[i].w.b, k), k, &d), -EBADMSG);
		assert_int_equal(enc(&c[i], guard - (len - 1), len - 1), -ENOSPC);
		assert_int_equal(enc(&c[i], guard - len, len), (int)len);
		assert_memory_equal(guard - len, c[i].w.b, len);
	}
}

/* Hand-built appendages that break the rules, inside an 'A' message. */
static void test_appendage_errors(void **state)
{
	static struct ocase c[MAX_CASES];
	size_t n = build_cases(c);
	const struct ocase *acc = NULL;
	static struct ouch_out o;
	struct wb w;

	(void)state;
	for (size_t i = 0; i < n; i++)
		if (c[i].out && c[i].w.b[0] == 'A')
			acc = &c[i];
	assert_non_null(acc);

#define WITH_APP(...)                                                           \
	do {                                                                    \
		static const uint8_t app_[] = { __VA_ARGS__ };                  \
		memcpy(w.b, acc->w.b, OUCH_ACC_OFF_APPLEN);                     \
		w.n = OUCH_ACC_OFF_APPLEN;                                      \
		wint(&w, sizeof(app_), 2);                                      \
		memcpy(w.b + w.n, app_, sizeof(app_));                          \
		w.n += sizeof(app_);                                            \
	} while (0)
#define DECODE() ouch_out_decode(at_guard(w.b, w.n), w.n, &o)

	WITH_APP(0, 2);                          /* TagValue length 0 */
	assert_int_equal(DECODE(), -EILSEQ);
	WITH_APP(5, 2, 'L', 'I', 'M');           /* value runs past the appendage */
	assert_int_equal(DECODE(), -EOVERFLOW);
	WITH_APP(2, 18, '1', 9);                 /* 2nd entry's length byte only */
	assert_int_equal(DECODE(), -EOVERFLOW);
	WITH_APP(3, 2, 'L', 'I');                /* firm is 4 wide, not 2 */
	assert_int_equal(DECODE(), -EILSEQ);
	WITH_APP(3, 18, '1', '2');               /* bbo weight is 1 wide */
	assert_int_equal(DECODE(), -EILSEQ);
	WITH_APP(10, 99, 1, 2, 3, 4, 5, 6, 7, 8, 9); /* unknown tag, 9-byte value */
	assert_int_equal(DECODE(), -E2BIG);
	WITH_APP(2, 18, '0', 2, 18, '1', 2, 18, '2', 2, 18, '3', 2, 18, '4', 2, 18, '5',
		 2, 18, '6', 2, 18, '7', 2, 18, '8', 2, 18, '9', 2, 18, 'a', 2, 18, 'b',
		 2, 18, 'c', 2, 18, 'd', 2, 18, 'e', 2, 18, 'f', 2, 18, 'g'); /* 17 */
	assert_int_equal(DECODE(), -E2BIG);
	/* 16 entries fit, and an unknown tag with a short value is kept raw */
	WITH_APP(2, 18, '0', 2, 18, '1', 2, 18, '2', 2, 18, '3', 2, 18, '4', 2, 18, '5',
		 2, 18, '6', 2, 18, '7', 2, 18, '8', 2, 18, '9', 2, 18, 'a', 2, 18, 'b',
		 2, 18, 'c', 2, 18, 'd', 2, 18, 'e', 3, 77, 0xbe, 0xef);
	assert_int_equal(DECODE(), (int)w.n);
	assert_int_equal(o.u.accepted.app.n, 16);
	assert_int_equal(o.u.accepted.app.tv[15].tag, 77);
	assert_int_equal(o.u.accepted.app.tv[15].len, 2);
	assert_int_equal(ouch_app_find(&o.u.accepted.app, 77)->val[1], 0xef);
	/* Appendage Length longer than the bytes that follow */
	WITH_APP(2, 18, '0');
	w.b[OUCH_ACC_OFF_APPLEN + 1] = 4;
	assert_int_equal(DECODE(), -EBADMSG);
	/* trailing bytes after the declared appendage are not read */
	WITH_APP(2, 18, '0', 0xff, 0xff);
	w.b[OUCH_ACC_OFF_APPLEN + 1] = 3;
	assert_int_equal(DECODE(), OUCH_ACC_LEN + 3);
#undef WITH_APP
#undef DECODE

	/* building appendages */
	{
		struct ouch_app a = { 0 };
		uint32_t v32;
		uint64_t v64;

		assert_int_equal(ouch_app_add_alpha(&a, OUCH_TAG_FIRM, "TOOLONG"), -EINVAL);
		assert_int_equal(ouch_app_add_u64(&a, OUCH_TAG_FIRM, 1), -EINVAL);
		assert_int_equal(ouch_app_add(&a, 99, "123456789", 9), -EINVAL);
		assert_int_equal(a.n, 0);
		assert_int_equal(ouch_app_get_u32(&a, OUCH_TAG_MIN_QTY, &v32), -ENOENT);
		assert_int_equal(ouch_app_add_u32(&a, OUCH_TAG_MIN_QTY, 0x01020304), 0);
		assert_int_equal(ouch_app_get_u32(&a, OUCH_TAG_MIN_QTY, &v32), 0);
		assert_int_equal(v32, 0x01020304);
		assert_int_equal(ouch_app_get_u64(&a, OUCH_TAG_MIN_QTY, &v64), -EPROTO);
		for (int i = 1; i < OUCH_APP_MAX_TAGS; i++)
			assert_int_equal(ouch_app_add_alpha(&a, OUCH_TAG_POST_ONLY, "Y"), 0);
		assert_int_equal(ouch_app_add_alpha(&a, OUCH_TAG_POST_ONLY, "Y"), -ENOSPC);
		assert_int_equal(ouch_app_wire_len(&a), 6 + 15 * 3);
	}
}

/* Every type byte, both directions: known ones decode from enough zero
 * bytes, unknown ones are refused; an empty buffer is refused. */
static void test_type_table(void **state)
{
	static const uint8_t zeros[128];
	static struct ouch_in in;
	static struct ouch_out out;
	uint8_t b[128];

	(void)state;
	assert_int_equal(ouch_in_decode(at_guard(zeros, 0), 0, &in), -EBADMSG);
	assert_int_equal(ouch_out_decode(at_guard(zeros, 0), 0, &out), -EBADMSG);
	for (int t = 0; t < 256; t++) {
		unsigned li = ouch_in_len((uint8_t)t), lo = ouch_out_len((uint8_t)t);

		memset(b, 0, sizeof(b));
		b[0] = (uint8_t)t;
		assert_int_equal(ouch_in_decode(at_guard(b, 80), 80, &in), li ? (int)li : -EPROTO);
		assert_int_equal(ouch_out_decode(at_guard(b, 80), 80, &out), lo ? (int)lo : -EPROTO);
	}
	/* the length table is the spec's */
	assert_int_equal(ouch_in_len('O'), 47);
	assert_int_equal(ouch_in_len('U'), 40);
	assert_int_equal(ouch_in_len('X'), 9);
	assert_int_equal(ouch_in_len('M'), 10);
	assert_int_equal(ouch_out_len('A'), 64);
	assert_int_equal(ouch_out_len('U'), 68);
	assert_int_equal(ouch_out_len('D'), 31);
	assert_int_equal(ouch_out_len('F'), 49);
	in.type = 'Z';
	out.type = 'Z';
	assert_int_equal(ouch_in_encode(b, sizeof(b), &in), -EPROTO);
	assert_int_equal(ouch_out_encode(b, sizeof(b), &out), -EPROTO);
}

/* Seeded garbage with a real type byte, sometimes with an Appendage Length
 * that fits: decoding never reads past the end, and whatever decodes
 * re-encodes to exactly the bytes it came from. */
static void test_garbage(void **state)
{
	static const char in_types[] = "OUXMQ";
	static const char out_types[] = "SAUCDEBJPITMRFQ";
	static struct ouch_in in;
	static struct ouch_out out;
	uint64_t x = 0x2545f4914f6cdd1dull;
	uint8_t b[160], again[320];
	int decoded = 0;

	(void)state;
	for (int iter = 0; iter < 40000; iter++) {
		int outbound = iter & 1;
		size_t len, fixed;
		const uint8_t *p;
		int rc;

		for (size_t i = 0; i < sizeof(b); i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			b[i] = (uint8_t)x;
		}
		len = (size_t)(x >> 32) % sizeof(b);
		b[0] = (uint8_t)(outbound ? out_types[(x >> 8) % 15] : in_types[(x >> 8) % 5]);
		fixed = outbound ? ouch_out_len(b[0]) : ouch_in_len(b[0]);
		if ((iter & 2) && len >= fixed && fixed >= 2) {
			/* make Appendage Length match the rest (for types with one) */
			b[fixed - 2] = (uint8_t)((len - fixed) >> 8);
			b[fixed - 1] = (uint8_t)(len - fixed);
		}
		p = at_guard(b, len);
		rc = outbound ? ouch_out_decode(p, len, &out) : ouch_in_decode(p, len, &in);
		if (rc <= 0)
			continue;
		decoded++;
		assert_true((size_t)rc <= len);
		assert_int_equal(outbound ? ouch_out_encode(again, sizeof(again), &out)
					  : ouch_in_encode(again, sizeof(again), &in), rc);
		assert_memory_equal(again, b, (size_t)rc);
	}
	print_message("garbage: %d of 40000 decoded and re-encoded\n", decoded);
	assert_true(decoded > 1000);
}

/* ---- real captures --------------------------------------------------------- */

/* The one SoupBinTCP packet in a capture: its type and OUCH payload. */
static size_t real_msg(const char *rel, uint8_t soup_type, uint8_t *msg, size_t cap)
{
	char path[512];
	uint8_t b[512];
	size_t n;
	struct soup_pkt p;

	test_data_path(path, rel);
	n = tcpp_read(path, b, sizeof(b));
	assert_int_equal(soup_parse(b, n, &p), (int)n);
	assert_int_equal(p.type, soup_type);
	assert_true(p.payload_len <= cap);
	memcpy(msg, p.payload, p.payload_len);
	return p.payload_len;
}

static void test_real_enter_order(void **state)
{
	uint8_t m[256], again[256];
	size_t n = real_msg("pcap/nasdaq-ouch50/EnterOrderMessage.pcap", SOUP_T_UNSEQ_DATA, m,
			    sizeof(m));
	static struct ouch_in in;
	const struct ouch_enter *e = &in.u.enter;
	const struct ouch_tv *firm;

	(void)state;
	assert_int_equal(ouch_in_decode(at_guard(m, n), n, &in), (int)n);
	assert_int_equal(n, 53); /* 47 + one 6-byte TagValue */
	assert_int_equal(in.type, 'O');
	assert_int_equal(e->user_ref_num, 113);
	assert_int_equal(e->side, 'T');             /* sell short */
	assert_int_equal(e->qty, 225);
	assert_memory_equal(e->symbol, "CVLT    ", 8);
	assert_true(e->price == 630200);            /* 63.02 */
	assert_int_equal(e->tif, '0');              /* day */
	assert_int_equal(e->display, 'Y');
	assert_int_equal(e->capacity, 'A');
	assert_int_equal(e->iso, 'N');
	assert_int_equal(e->cross_type, 'N');
	assert_memory_equal(e->clordid, "H8FUB8IV      ", 14);
	assert_int_equal(e->app.n, 1);
	firm = ouch_app_find(&e->app, OUCH_TAG_FIRM);
	assert_non_null(firm);
	assert_int_equal(firm->len, 4);
	assert_memory_equal(firm->val, "LIME", 4);
	/* the hot-path encoder gives back the identical bytes */
	assert_int_equal(ouch_enter_encode(again, sizeof(again), e), (int)n);
	assert_memory_equal(again, m, n);
}

static void test_real_order_accepted(void **state)
{
	uint8_t m[256], again[256];
	size_t n = real_msg("pcap/nasdaq-ouch50/OrderAcceptedMessage.pcap", SOUP_T_SEQ_DATA, m,
			    sizeof(m));
	static struct ouch_out out;
	const struct ouch_accepted *a = &out.u.accepted;

	(void)state;
	assert_int_equal(ouch_out_decode(at_guard(m, n), n, &out), (int)n);
	assert_int_equal(n, 73);
	assert_int_equal(out.type, 'A');
	assert_true(a->ts_ns == 44647483486087ull);  /* 12:24:07.483486087 */
	assert_int_equal(a->user_ref_num, 7682701);
	assert_int_equal(a->side, 'B');
	assert_int_equal(a->qty, 40);
	assert_memory_equal(a->symbol, "ADBE    ", 8);
	assert_true(a->price == 4777800);            /* 477.78 */
	assert_int_equal(a->tif, '5');
	assert_int_equal(a->display, 'Y');
	assert_true(a->order_ref == 257340661);
	assert_int_equal(a->capacity, 'A');
	assert_int_equal(a->iso, 'N');
	assert_int_equal(a->cross_type, 'N');
	assert_int_equal(a->order_state, 'L');
	assert_memory_equal(a->clordid, "7682701       ", 14);
	assert_int_equal(a->app.n, 2);
	assert_int_equal(a->app.tv[0].tag, OUCH_TAG_FIRM);
	assert_memory_equal(a->app.tv[0].val, "MLRO", 4);
	assert_int_equal(a->app.tv[1].tag, OUCH_TAG_BBO_WEIGHT);
	assert_int_equal(a->app.tv[1].len, 1);
	assert_int_equal(a->app.tv[1].val[0], '0');
	assert_int_equal(ouch_out_encode(again, sizeof(again), &out), (int)n);
	assert_memory_equal(again, m, n);
}

static void test_real_cancel_order(void **state)
{
	uint8_t m[64], again[64];
	size_t n = real_msg("pcap/nasdaq-ouch50/CancelOrderMessage.pcap", SOUP_T_UNSEQ_DATA, m,
			    sizeof(m));
	static struct ouch_in in;

	(void)state;
	assert_int_equal(ouch_in_decode(at_guard(m, n), n, &in), 9);
	assert_int_equal(in.type, 'X');
	assert_int_equal(in.u.cancel.user_ref_num, 7679601);
	assert_int_equal(in.u.cancel.qty, 0);         /* cancel all */
	assert_int_equal(ouch_cancel_encode(again, sizeof(again), &in.u.cancel), 9);
	assert_memory_equal(again, m, n);
}

static void test_real_canceled(void **state)
{
	uint8_t m[64], again[64];
	size_t n = real_msg("pcap/nasdaq-ouch50/CanceledMessage.pcap", SOUP_T_SEQ_DATA, m,
			    sizeof(m));
	static struct ouch_out out;

	(void)state;
	assert_int_equal(ouch_out_decode(at_guard(m, n), n, &out), 18);
	assert_int_equal(out.type, 'C');
	assert_true(out.u.canceled.ts_ns == 44647483708183ull);
	assert_int_equal(out.u.canceled.user_ref_num, 7682701);
	assert_int_equal(out.u.canceled.qty, 40);
	assert_int_equal(out.u.canceled.reason, 'U');  /* user requested */
	assert_int_equal(ouch_out_encode(again, sizeof(again), &out), 18);
	assert_memory_equal(again, m, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_every_type),
		cmocka_unit_test(test_truncation_every_length),
		cmocka_unit_test(test_appendage_errors),
		cmocka_unit_test(test_type_table),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_real_enter_order),
		cmocka_unit_test(test_real_order_accepted),
		cmocka_unit_test(test_real_cancel_order),
		cmocka_unit_test(test_real_canceled),
	};

	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
