/* fuzz_gw.c - libFuzzer target over the gateway's untrusted-byte paths:
 * SoupBinTCP framing and the OUCH 5.0 codec (whatever decodes must encode
 * back to the same bytes), gw_on_wire fed a venue stream over a gw holding a
 * few orders (order store invariants after every call), and the paper
 * venue's wire side fed client bytes (report sanity, fills never exceed an
 * order). The input is a sequence of records
 *   u8 kind (bits 0-2: what, bits 3-7: time step), u16 length (LE), bytes.
 * One thread; small tables rebuilt per input so inputs stay independent.
 * Built with clang -fsanitize=fuzzer,address,undefined (preset "fuzz"). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/feed.h"
#include "dataplane/itch_enc.h"
#include "gateway/gw.h"
#include "gateway/ouch.h"
#include "gateway/soup.h"
#include "gateway/venue.h"
#include "gateway/venue_wire.h"
#include "hw/arena.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Record kinds (low 3 bits of the kind byte). */
enum {
	FZ_CODEC = 0,     /* bytes as a SoupBinTCP stream: framing + OUCH round trip */
	FZ_GW_WIRE = 1,   /* bytes appended to the venue -> gw stream */
	FZ_GW_INTENT = 2, /* bytes describe an intent for gw (output -> venue) */
	FZ_VENUE_RX = 3,  /* bytes as client packets into the paper venue */
	FZ_VENUE_POLL = 4,/* advance the venue and check its reports */
	FZ_VENUE_TX = 5,  /* venue reports as OUCH bytes -> codec check -> gw */
	FZ_MD = 6,        /* bytes describe an ITCH message for the book */
	FZ_OUCH_RAW = 7,  /* bytes as one OUCH message (no framing), both ways */
};

#define FZ_LOC_A 1
#define FZ_LOC_B 2
#define FZ_PX 1000000u   /* $100 */
#define FZ_TICK 100u
#define FZ_TOKENS 256    /* tokens issued per input at most */
#define FZ_STREAM 4096   /* venue -> gw bytes held between records */
#define FZ_VREFS 64      /* venue orders tracked from reports */
#define FZ_MAX_ORDERS 16 /* gw store and venue order slots */

#define FZ_CHECK(c)                                                            \
	do {                                                                    \
		if (!(c)) {                                                     \
			fprintf(stderr, "fuzz_gw: %s:%d: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                \
		}                                                               \
	} while (0)

/* Venue order as its reports describe it. */
struct fz_vord {
	uint32_t ref;
	uint32_t open;   /* shares open; 0 = slot free */
};

struct fz {
	struct gw g;
	struct arena arena;           /* feed + venue, re-carved per input */
	struct feed feed;
	struct venue v;
	struct venue_wire *w;         /* large: allocated once */
	uint64_t t;                   /* virtual time, ns since midnight */
	uint64_t tok[FZ_TOKENS];      /* tokens issued to gw */
	uint32_t ntok;
	uint64_t next_tok;
	int64_t pos[8];               /* per locate: sum of fills gw reported */
	uint8_t stream[FZ_STREAM];
	size_t nstream;
	struct fz_vord vord[FZ_VREFS];
	uint64_t itch_seq;
	uint64_t itch_ref;
	uint64_t venue_match;         /* highest venue match number seen */
};

static struct fz fz;
static struct feed_cfg fz_fc;
static struct venue_cfg fz_vc;
static struct gw_cfg fz_gc;

/* ---- codec round trips --------------------------------------------------- */

/* Any OUCH message that decodes (either direction) encodes to the same bytes. */
static void check_ouch(const uint8_t *p, size_t n)
{
	uint8_t re[512];
	struct ouch_out mo;
	struct ouch_in mi;
	int k, e;

	k = ouch_out_decode(p, n, &mo);
	if (k > 0) {
		FZ_CHECK((size_t)k <= n && (unsigned)k >= ouch_out_len(p[0]));
		e = ouch_out_encode(re, sizeof(re), &mo);
		FZ_CHECK(e == k && memcmp(re, p, (size_t)k) == 0);
		/* One byte short of it never decodes. */
		FZ_CHECK(ouch_out_decode(p, (size_t)k - 1, &mo) < 0);
	} else {
		FZ_CHECK(k != 0);
	}
	k = ouch_in_decode(p, n, &mi);
	if (k > 0) {
		FZ_CHECK((size_t)k <= n && (unsigned)k >= ouch_in_len(p[0]));
		e = ouch_in_encode(re, sizeof(re), &mi);
		FZ_CHECK(e == k && memcmp(re, p, (size_t)k) == 0);
		FZ_CHECK(ouch_in_decode(p, (size_t)k - 1, &mi) < 0);
	} else {
		FZ_CHECK(k != 0);
	}
}

/* One parsed SoupBinTCP packet (raw: its k bytes) re-encodes to itself;
 * login sequence numbers, whose padding may differ, to the same value. */
static void check_soup_pkt(const uint8_t *raw, int k, const struct soup_pkt *p)
{
	uint8_t re[SOUP_HDR_LEN + SOUP_MAX_PAYLOAD];
	struct soup_pkt q;
	int e;

	FZ_CHECK(k == SOUP_HDR_LEN + p->payload_len && p->payload == raw + SOUP_HDR_LEN);
	switch (p->type) {
	case SOUP_T_DEBUG:
	case SOUP_T_SEQ_DATA:
	case SOUP_T_UNSEQ_DATA:
		e = soup_encode_data(re, sizeof(re), p->type, p->payload, p->payload_len);
		FZ_CHECK(e == k && memcmp(re, raw, (size_t)k) == 0);
		check_ouch(p->payload, p->payload_len);
		break;
	case SOUP_T_SERVER_HB:
	case SOUP_T_END_SESSION:
	case SOUP_T_CLIENT_HB:
	case SOUP_T_LOGOUT:
		e = soup_encode_empty(re, sizeof(re), p->type);
		FZ_CHECK(e == k && memcmp(re, raw, (size_t)k) == 0);
		break;
	case SOUP_T_LOGIN_REJECTED: {
		char why;

		FZ_CHECK(soup_decode_login_rejected(p, &why) == 0);
		e = soup_encode_login_rejected(re, sizeof(re), why);
		FZ_CHECK(e == k && memcmp(re, raw, (size_t)k) == 0);
		break;
	}
	case SOUP_T_LOGIN_ACCEPTED: {
		struct soup_login_accepted a, b;

		if (soup_decode_login_accepted(p, &a) != 0)
			break;
		e = soup_encode_login_accepted(re, sizeof(re), &a);
		FZ_CHECK(e == k);
		FZ_CHECK(memcmp(re, raw, SOUP_HDR_LEN + SOUP_LACC_OFF_SEQ) == 0);
		FZ_CHECK(soup_parse(re, (size_t)e, &q) == e);
		FZ_CHECK(soup_decode_login_accepted(&q, &b) == 0 && b.seq == a.seq);
		break;
	}
	case SOUP_T_LOGIN_REQUEST: {
		struct soup_login_request a, b;

		if (soup_decode_login_request(p, &a) != 0)
			break;
		e = soup_encode_login_request(re, sizeof(re), &a);
		FZ_CHECK(e == k);
		FZ_CHECK(memcmp(re, raw, SOUP_HDR_LEN + SOUP_LREQ_OFF_SEQ) == 0);
		FZ_CHECK(soup_parse(re, (size_t)e, &q) == e);
		FZ_CHECK(soup_decode_login_request(&q, &b) == 0 && b.seq == a.seq);
		break;
	}
	default:
		FZ_CHECK(0); /* soup_parse accepted a type it does not know */
	}
}

/* A byte stream through soup_parse: every packet checked; a packet's
 * prefix asks for more bytes (framing is judged from the header alone). */
static void check_codec(const uint8_t *b, size_t n)
{
	size_t off = 0;

	while (off < n) {
		struct soup_pkt p;
		int k = soup_parse(b + off, n - off, &p);

		if (k <= 0)
			break;
		FZ_CHECK((size_t)k <= n - off);
		FZ_CHECK(soup_parse(b + off, (size_t)k - 1, &p) == 0);
		k = soup_parse(b + off, n - off, &p);
		check_soup_pkt(b + off, k, &p);
		off += (size_t)k;
	}
}

/* ---- gw ------------------------------------------------------------------ */

static int token_issued(uint64_t tok)
{
	for (uint32_t i = 0; i < fz.ntok; i++)
		if (fz.tok[i] == tok)
			return 1;
	return 0;
}

/* The store, walked slot by slot, agrees with its own totals. */
static void check_store(const struct gw *g)
{
	const struct ostore *os = &g->os;
	uint64_t buy[8] = { 0 }, sell[8] = { 0 }, ntl[8] = { 0 }, open_ntl = 0, pos_ntl = 0;
	uint32_t nsym[8] = { 0 }, nopen = 0, nfree = 0;

	for (uint32_t s = 0; s < os->cfg.max_orders; s++) {
		const struct ostore_order *o = ostore_order_at(os, s);
		uint64_t q, x;

		if (o->state == OSTORE_FREE)
			continue;
		FZ_CHECK(o->state >= OSTORE_PENDING_NEW && o->state <= OSTORE_PENDING_REPLACE);
		FZ_CHECK(o->locate >= 1 && o->locate <= os->cfg.max_locate);
		FZ_CHECK(o->side == 'B' || o->side == 'S');
		FZ_CHECK(o->leaves > 0 && o->leaves <= o->qty);
		FZ_CHECK(ostore_find_ref(os, o->ref) == s);
		FZ_CHECK(ostore_find_token(os, o->token) == s);
		q = o->leaves;
		x = (uint64_t)o->leaves * o->px;
		if (o->state == OSTORE_PENDING_REPLACE) {
			FZ_CHECK(o->new_ref && ostore_find_ref(os, o->new_ref) == s);
			FZ_CHECK(ostore_find_token(os, o->new_token) == s);
			if (o->new_qty > q)
				q = o->new_qty;
			if ((uint64_t)o->new_qty * o->new_px > x)
				x = (uint64_t)o->new_qty * o->new_px;
		} else {
			FZ_CHECK(o->new_ref == 0 && o->new_token == 0);
		}
		FZ_CHECK(o->res_qty == q && o->res_ntl == x);
		if (o->side == 'B')
			buy[o->locate] += q;
		else
			sell[o->locate] += q;
		ntl[o->locate] += x;
		open_ntl += x;
		nsym[o->locate]++;
		nopen++;
	}
	for (uint32_t l = 0; l <= os->cfg.max_locate; l++) {
		const struct ostore_sym *y = ostore_sym_at(os, (uint16_t)l);
		uint32_t walked = 0;

		FZ_CHECK(y->n_open == nsym[l]);
		FZ_CHECK(y->buy_res == buy[l] && y->sell_res == sell[l] && y->res_ntl == ntl[l]);
		FZ_CHECK(y->pos == fz.pos[l]);
		for (uint32_t s = ostore_sym_next(os, (uint16_t)l, OSTORE_NIL); s != OSTORE_NIL;
		     s = ostore_sym_next(os, (uint16_t)l, s)) {
			FZ_CHECK(++walked <= nsym[l]);
			FZ_CHECK(ostore_order_at(os, s)->locate == l);
		}
		FZ_CHECK(walked == nsym[l]);
		pos_ntl += (y->pos < 0 ? (uint64_t)-y->pos : (uint64_t)y->pos) * y->mark_px;
	}
	for (uint32_t s = os->free_head; s != OSTORE_NIL; s = os->ord[s].next) {
		FZ_CHECK(++nfree <= os->cfg.max_orders);
		FZ_CHECK(os->ord[s].state == OSTORE_FREE);
	}
	FZ_CHECK(os->n_open == nopen && nfree + nopen == os->cfg.max_orders);
	FZ_CHECK(os->open_ntl == open_ntl && os->pos_ntl == pos_ntl);
}

/* A report gw wrote for the strategy; fills move the tracked position. */
static void check_report(const struct exec_report *r)
{
	FZ_CHECK(r->kind >= EXEC_ACCEPTED && r->kind <= EXEC_REPLACED);
	FZ_CHECK(token_issued(r->token));
	FZ_CHECK(r->side == 'B' || r->side == 'S');
	FZ_CHECK(r->locate >= 1 && r->locate <= fz.g.os.cfg.max_locate);
	if (r->kind == EXEC_FILL) {
		int32_t rate = r->liquidity == 'R' ? fz_gc.fee_remove_e4 : fz_gc.fee_add_e4;
		int64_t fee = (int64_t)rate * r->qty;

		FZ_CHECK(r->qty > 0);
		FZ_CHECK(r->liquidity == 'A' || r->liquidity == 'R');
		FZ_CHECK(r->fee_e4 == (fee > INT32_MAX ? INT32_MAX : fee < INT32_MIN ? INT32_MIN : fee));
		fz.pos[r->locate] += r->side == 'B' ? (int64_t)r->qty : -(int64_t)r->qty;
	} else if (r->kind == EXEC_ACCEPTED || r->kind == EXEC_REPLACED) {
		FZ_CHECK(r->leaves <= r->qty);
	}
}

/* A fill report carries the price and shares of an Executed message gw
 * read (b, n: the bytes it consumed), found by match number. */
static void check_fill_px(const struct exec_report *r, const uint8_t *b, size_t n)
{
	size_t off = 0;

	while (off < n) {
		struct soup_pkt p;
		struct ouch_out m;
		int k = soup_parse(b + off, n - off, &p);

		if (k <= 0)
			break;
		off += (size_t)k;
		if (p.type == SOUP_T_SEQ_DATA && ouch_out_decode(p.payload, p.payload_len, &m) > 0 &&
		    m.type == OUCH_OUT_EXECUTED && m.u.executed.match_num == r->match &&
		    m.u.executed.qty == r->qty && m.u.executed.price == r->px)
			return;
	}
	FZ_CHECK(0); /* no Executed message with this fill's match, shares and price */
}

/* Whatever is held of the venue stream through gw_on_wire, max reports. */
static void gw_wire(uint32_t max)
{
	struct exec_report out[8];
	size_t used = SIZE_MAX;
	uint32_t n;
	struct soup_pkt p;

	n = gw_on_wire(&fz.g, fz.stream, fz.nstream, &used, fz.t, out, max);
	FZ_CHECK(n <= max && used <= fz.nstream);
	/* Short of max reports, it read every whole packet it was given. */
	if (n < max && used < fz.nstream)
		FZ_CHECK(soup_parse(fz.stream + used, fz.nstream - used, &p) == 0);
	for (uint32_t i = 0; i < n; i++) {
		check_report(&out[i]);
		if (out[i].kind == EXEC_FILL)
			check_fill_px(&out[i], fz.stream, used);
	}
	memmove(fz.stream, fz.stream + used, fz.nstream - used);
	fz.nstream -= used;
	check_store(&fz.g);
}

static void gw_feed(const uint8_t *b, size_t n, uint32_t max)
{
	if (n > FZ_STREAM - fz.nstream)
		fz.nstream = 0; /* a live session would have reconnected */
	if (n > FZ_STREAM)
		n = FZ_STREAM;
	memcpy(fz.stream + fz.nstream, b, n);
	fz.nstream += n;
	gw_wire(max);
}

/* gw's output: whole 'U' packets, each one OUCH inbound message that
 * re-encodes to its bytes; then into the paper venue. */
static void gw_out(const uint8_t *wire, long n)
{
	size_t off = 0;

	FZ_CHECK(n >= 0);
	while (off < (size_t)n) {
		struct soup_pkt p;
		struct ouch_in m;
		int k = soup_parse(wire + off, (size_t)n - off, &p);

		FZ_CHECK(k > 0 && p.type == SOUP_T_UNSEQ_DATA);
		FZ_CHECK(ouch_in_decode(p.payload, p.payload_len, &m) == (int)p.payload_len);
		check_soup_pkt(wire + off, k, &p);
		off += (size_t)k;
	}
	if (n)
		venue_wire_rx(fz.w, wire, (size_t)n, fz.t);
}

static void issue(uint64_t tok)
{
	if (fz.ntok < FZ_TOKENS)
		fz.tok[fz.ntok++] = tok;
}

static uint8_t byte_at(const uint8_t *b, size_t n, size_t i)
{
	return i < n ? b[i] : 0;
}

/* An intent from bytes: op, which earlier token, price offset, qty, side. */
static void gw_intent(const uint8_t *b, size_t n)
{
	uint8_t wire[FZ_MAX_ORDERS * 16 + 64];
	struct order_intent in;
	struct exec_report rej;
	uint8_t b0 = byte_at(b, n, 0), b1 = byte_at(b, n, 1);
	long k;

	memset(&in, 0, sizeof(in));
	in.op = (uint8_t)(1 + b0 % 4);
	in.flags = (b0 & 4) ? INTENT_F_POST_ONLY : 0;
	in.locate = (b1 & 0x80) ? 0 : (b1 & 1) ? FZ_LOC_B : FZ_LOC_A;
	if (fz.ntok)
		in.orig_token = fz.tok[(b1 >> 1) % fz.ntok];
	in.px = (uint32_t)((int32_t)FZ_PX + (int8_t)byte_at(b, n, 2) * (int32_t)FZ_TICK);
	in.qty = (uint32_t)byte_at(b, n, 3) | (uint32_t)byte_at(b, n, 4) << 8;
	in.side = (byte_at(b, n, 5) & 1) ? 'S' : 'B';
	if ((b0 & 8) && fz.ntok)
		in.token = fz.tok[byte_at(b, n, 6) % fz.ntok]; /* a used token */
	else
		in.token = fz.next_tok++;
	if (in.op == INTENT_NEW || in.op == INTENT_REPLACE)
		issue(in.token);
	k = gw_on_intent(&fz.g, &in, fz.t, wire, sizeof(wire), &rej);
	if (k < 0) {
		FZ_CHECK(rej.kind == EXEC_REJECTED && rej.reason != 0);
		FZ_CHECK(rej.token == (in.op == INTENT_CANCEL ? in.orig_token : in.token));
	} else {
		gw_out(wire, k);
	}
	check_store(&fz.g);
	k = gw_poll(&fz.g, fz.t, wire, sizeof(wire));
	gw_out(wire, k);
	check_store(&fz.g);
}

/* ---- paper venue ------------------------------------------------------- */

static struct fz_vord *vord_find(uint32_t ref)
{
	for (int i = 0; i < FZ_VREFS; i++)
		if (fz.vord[i].open && fz.vord[i].ref == ref)
			return &fz.vord[i];
	return NULL;
}

static void vord_open(uint32_t ref, uint32_t qty)
{
	FZ_CHECK(vord_find(ref) == NULL);
	for (int i = 0; i < FZ_VREFS; i++) {
		if (!fz.vord[i].open) {
			fz.vord[i].ref = ref;
			fz.vord[i].open = qty;
			return;
		}
	}
	FZ_CHECK(0); /* more live orders than the venue has slots */
}

/* Shares off a tracked order: never more than it has open. */
static void vord_take(uint32_t ref, uint32_t qty)
{
	struct fz_vord *o = vord_find(ref);

	FZ_CHECK(o != NULL && qty > 0 && qty <= o->open);
	o->open -= qty;
}

/* One venue report (delivered in the order made: no ack jitter). */
static void venue_report_check(const struct venue_report *r)
{
	struct fz_vord *o;

	switch (r->kind) {
	case VENUE_ACCEPTED:
		FZ_CHECK(r->qty > 0 && r->qty <= fz_vc.max_qty && r->leaves == r->qty);
		FZ_CHECK(r->px > 0 && (r->side == 'B' || r->side == 'S'));
		vord_open(r->user_ref, r->qty);
		break;
	case VENUE_REPLACED:
		FZ_CHECK(r->qty > 0 && r->qty <= fz_vc.max_qty && r->leaves == r->qty);
		o = vord_find(r->orig_user_ref);
		FZ_CHECK(o != NULL);
		o->open = 0;
		vord_open(r->user_ref, r->qty);
		break;
	case VENUE_EXECUTED:
		o = vord_find(r->user_ref);
		FZ_CHECK(o != NULL && r->leaves + r->qty == o->open);
		FZ_CHECK(r->liquidity == 'A' || r->liquidity == 'R');
		FZ_CHECK(r->fee_e4 == (r->liquidity == 'R'
				       ? (int32_t)r->qty * fz_vc.taker_fee_e4
				       : -(int32_t)r->qty * fz_vc.maker_rebate_e4));
		FZ_CHECK(r->match > fz.venue_match);
		fz.venue_match = r->match;
		vord_take(r->user_ref, r->qty);
		break;
	case VENUE_CANCELED:
		o = vord_find(r->user_ref);
		FZ_CHECK(o != NULL && r->leaves + r->qty == o->open);
		vord_take(r->user_ref, r->qty);
		break;
	case VENUE_REJECTED:
		FZ_CHECK(r->reason >= VENUE_REJ_POST_ONLY && r->reason < VENUE_REJ_REASONS);
		break;
	default:
		FZ_CHECK(0);
	}
}

static void venue_poll_check(void)
{
	struct venue_report r[16];
	uint32_t n;

	venue_advance(&fz.v, fz.t);
	while ((n = venue_poll(&fz.v, fz.t, r, 16)) != 0)
		for (uint32_t i = 0; i < n; i++) {
			FZ_CHECK(r[i].t_ns <= fz.t);
			venue_report_check(&r[i]);
		}
}

/* Venue reports as OUCH bytes: well formed, same share arithmetic from the
 * OUCH messages alone; then on to gw as venue bytes. */
static void venue_tx(uint32_t max)
{
	uint8_t buf[16 * VENUE_WIRE_MAX_PKT];
	size_t len, off = 0;

	venue_advance(&fz.v, fz.t);
	len = venue_wire_tx(fz.w, fz.t, buf, sizeof(buf));
	FZ_CHECK(len <= sizeof(buf));
	while (off < len) {
		struct soup_pkt p;
		struct ouch_out m;
		int k = soup_parse(buf + off, len - off, &p);
		struct fz_vord *o;

		FZ_CHECK(k > 0 && p.type == SOUP_T_SEQ_DATA);
		FZ_CHECK(ouch_out_decode(p.payload, p.payload_len, &m) == (int)p.payload_len);
		check_soup_pkt(buf + off, k, &p);
		switch (m.type) {
		case OUCH_OUT_ACCEPTED:
			vord_open(m.u.accepted.user_ref_num, m.u.accepted.qty);
			break;
		case OUCH_OUT_REPLACED:
			o = vord_find(m.u.replaced.orig_user_ref_num);
			FZ_CHECK(o != NULL);
			o->open = 0;
			vord_open(m.u.replaced.user_ref_num, m.u.replaced.qty);
			break;
		case OUCH_OUT_EXECUTED:
			vord_take(m.u.executed.user_ref_num, m.u.executed.qty);
			break;
		case OUCH_OUT_CANCELED:
			vord_take(m.u.canceled.user_ref_num, m.u.canceled.qty);
			break;
		case OUCH_OUT_REJECTED:
		case OUCH_OUT_CANCEL_REJECT:
			break;
		default:
			FZ_CHECK(0);
		}
		off += (size_t)k;
	}
	gw_feed(buf, len, max);
}

/* An ITCH message on locate A from bytes, through the book to the venue. */
static void md(const uint8_t *b, size_t n)
{
	static const uint8_t types[] = { 'A', 'E', 'X', 'D', 'C', 'P', 'U', 'A' };
	struct md_event ev[8];
	struct itch_msg m;
	uint8_t buf[64];
	uint8_t b0 = byte_at(b, n, 0);
	uint64_t ref = 1 + byte_at(b, n, 1) % (fz.itch_ref ? fz.itch_ref : 1);
	uint32_t sh = (uint32_t)byte_at(b, n, 2) | (uint32_t)byte_at(b, n, 3) << 8;
	uint32_t px = (uint32_t)((int32_t)FZ_PX + (int8_t)byte_at(b, n, 4) * (int32_t)FZ_TICK);
	uint8_t side = (b0 & 8) ? 'S' : 'B';
	int len;
	uint32_t ne;

	memset(&m, 0, sizeof(m));
	m.type = types[b0 & 7];
	m.locate = FZ_LOC_A;
	m.ts_ns = fz.t;
	switch (m.type) {
	case 'A':
		m.add.ref = ++fz.itch_ref;
		m.add.side = side;
		m.add.shares = sh;
		memcpy(m.add.stock, "FUZZA   ", 8);
		m.add.price = px;
		break;
	case 'E':
	case 'C':
		m.exec.ref = ref;
		m.exec.shares = sh;
		m.exec.match = ++fz.itch_seq;
		m.exec.printable = 'Y';
		m.exec.price = px;
		break;
	case 'X':
		m.cancel.ref = ref;
		m.cancel.shares = sh;
		break;
	case 'D':
		m.del.ref = ref;
		break;
	case 'P':
		m.trade.side = side;
		m.trade.shares = sh;
		memcpy(m.trade.stock, "FUZZA   ", 8);
		m.trade.price = px;
		m.trade.match = ++fz.itch_seq;
		break;
	case 'U':
		m.replace.old_ref = ref;
		m.replace.new_ref = ++fz.itch_ref;
		m.replace.shares = sh;
		m.replace.price = px;
		break;
	}
	len = itch_encode(&m, buf, sizeof(buf));
	FZ_CHECK(len > 0);
	venue_advance(&fz.v, fz.t);
	ne = feed_on_message(&fz.feed, buf, (size_t)len, ++fz.itch_seq, fz.t, ev, 8);
	for (uint32_t i = 0; i < ne && i < 8; i++)
		venue_on_md(&fz.v, &ev[i], fz.t);
}

/* ---- set-up ---------------------------------------------------------------- */

static void put_out(const struct ouch_out *m)
{
	uint8_t b[128];
	int k = ouch_out_encode(b + SOUP_HDR_LEN, sizeof(b) - SOUP_HDR_LEN, m);

	FZ_CHECK(k > 0);
	soup_hdr_write(b, SOUP_T_SEQ_DATA, (uint16_t)k);
	gw_feed(b, SOUP_HDR_LEN + (size_t)k, 8);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct arena_cfg ac = { .no_huge = true, .no_lock = true };

	(void)argc;
	(void)argv;
	feed_cfg_defaults(&fz_fc);
	fz_fc.book.max_orders = 256;
	fz_fc.book.max_levels = 64;
	fz_fc.book.max_locate = 4;
	fz_fc.mold.max_sessions = 1;
	fz_fc.mold.reorder_slots = 4;
	venue_cfg_defaults(&fz_vc);
	fz_vc.max_orders = FZ_MAX_ORDERS;
	fz_vc.max_msgs = 32;
	fz_vc.max_reports = 512;
	fz_vc.max_takes = 8;
	fz_vc.max_qty = 100000;
	fz_vc.entry.jitter_ns = 0; /* reports arrive in the order they are made */
	fz_vc.ack.jitter_ns = 0;
	gw_cfg_defaults(&fz_gc);
	fz_gc.store.max_orders = FZ_MAX_ORDERS;
	fz_gc.store.max_locate = 4;
	fz_gc.store.token_history = 32;
	memcpy(fz_gc.firm, "FUZZ", 4);
	ac.size = feed_memsize(&fz_fc) + venue_memsize(&fz_vc) + 4096;
	fz.w = calloc(1, sizeof(*fz.w));
	if (!fz.w || arena_init(&fz.arena, &ac) != 0)
		abort();
	venue_wire_init(fz.w, &fz.v);
	if (venue_wire_set_symbol(fz.w, FZ_LOC_A, "FUZZA   ") != 0 ||
	    venue_wire_set_symbol(fz.w, FZ_LOC_B, "FUZZB   ") != 0)
		abort();
	return 0;
}

/* A fresh gw with four orders (three accepted), a small two-sided book on
 * locate A, and a venue holding the same four orders. */
static void setup(void)
{
	static const uint8_t book[][5] = {
		/* side, shares lo, shares hi, price offset (ticks), - */
		{ 'B', 100, 0, (uint8_t)-1, 0 }, { 'B', 200, 0, (uint8_t)-2, 0 },
		{ 'S', 100, 0, 1, 0 }, { 'S', 44, 1, 2, 0 },
	};
	uint8_t wire[128];
	struct exec_report rej;
	struct ouch_out m;

	gw_fini(&fz.g);
	memset(fz.tok, 0, sizeof(fz.tok));
	memset(fz.pos, 0, sizeof(fz.pos));
	memset(fz.vord, 0, sizeof(fz.vord));
	fz.ntok = 0;
	fz.next_tok = 1;
	fz.nstream = 0;
	fz.t = 1000000000ull; /* 00:00:01 */
	fz.itch_seq = 0;
	fz.itch_ref = 0;
	fz.venue_match = 0;
	if (gw_init(&fz.g, &fz_gc, fz.t) != 0 ||
	    gw_set_symbol(&fz.g, FZ_LOC_A, "FUZZA   ") != 0 ||
	    gw_set_symbol(&fz.g, FZ_LOC_B, "FUZZB   ") != 0)
		abort();
	gw_set_ref(&fz.g, FZ_LOC_A, FZ_PX);
	gw_set_ref(&fz.g, FZ_LOC_B, FZ_PX);

	/* Feed and venue re-carved from the same arena. */
	feed_fini(&fz.feed);
	fz.arena.used = 0;
	if (feed_init(&fz.feed, &fz_fc, &fz.arena) != 0 ||
	    venue_init(&fz.v, &fz_vc, fz.feed.books, &fz.arena) != 0)
		abort();
	memset(&fz.w->st, 0, sizeof(fz.w->st));
	for (size_t i = 0; i < sizeof(book) / sizeof(book[0]); i++) {
		uint8_t b[5] = { (uint8_t)(book[i][0] == 'S' ? 8 : 0), 0, book[i][1], book[i][2],
				 book[i][3] };

		md(b, sizeof(b));
	}

	for (int i = 0; i < 4; i++) {
		struct order_intent in;
		long k;

		memset(&in, 0, sizeof(in));
		in.op = INTENT_NEW;
		in.token = fz.next_tok++;
		in.locate = i < 2 ? FZ_LOC_A : FZ_LOC_B;
		in.side = (i & 1) ? 'S' : 'B';
		in.px = (i & 1) ? FZ_PX + 3 * FZ_TICK : FZ_PX - 3 * FZ_TICK;
		in.qty = 100;
		in.flags = INTENT_F_POST_ONLY;
		issue(in.token);
		k = gw_on_intent(&fz.g, &in, fz.t, wire, sizeof(wire), &rej);
		if (k <= 0)
			abort();
		gw_out(wire, k);
	}
	for (uint32_t ref = 1; ref <= 3; ref++) {
		memset(&m, 0, sizeof(m));
		m.type = OUCH_OUT_ACCEPTED;
		m.u.accepted.ts_ns = fz.t;
		m.u.accepted.user_ref_num = ref;
		put_out(&m);
	}
	check_store(&fz.g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	while (size >= 3) {
		uint8_t kind = data[0];
		size_t len = (size_t)data[1] | (size_t)data[2] << 8;
		uint32_t max = 1 + ((kind >> 3) & 7);

		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		fz.t += (uint64_t)(kind >> 3) * 10000u;
		switch (kind & 7) {
		case FZ_CODEC:
			check_codec(data, len);
			break;
		case FZ_GW_WIRE:
			gw_feed(data, len, max);
			break;
		case FZ_GW_INTENT:
			gw_intent(data, len);
			break;
		case FZ_VENUE_RX:
			venue_wire_rx(fz.w, data, len, fz.t);
			break;
		case FZ_VENUE_POLL:
			venue_poll_check();
			break;
		case FZ_VENUE_TX:
			venue_tx(max);
			break;
		case FZ_MD:
			md(data, len);
			break;
		default:
			check_ouch(data, len);
			break;
		}
		data += len;
		size -= len;
	}
	/* Everything still in flight delivered: the tracked orders are the
	 * venue's live orders, share for share. */
	fz.t += 3600000000000ull;
	venue_poll_check();
	if (fz.v.cnt.reports_lost == 0) {
		uint32_t live = 0;

		for (uint32_t i = fz.v.live_head; i != BOOK_NIL; i = fz.v.orders[i].next) {
			const struct fz_vord *o = vord_find(fz.v.orders[i].user_ref);

			FZ_CHECK(o != NULL && o->open == fz.v.orders[i].leaves);
			FZ_CHECK(++live <= fz_vc.max_orders);
		}
		for (int i = 0; i < FZ_VREFS; i++)
			live -= fz.vord[i].open != 0;
		FZ_CHECK(live == 0);
	}
	return 0;
}
