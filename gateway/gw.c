/* gw.c - the gateway stage: intents through the pre-trade checks and the
 * order store into OUCH 5.0 over SoupBinTCP, and the venue's messages back
 * into exec_reports. Gateway thread (or the inline pipeline). */
#include "gateway/gw.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/ouch.h"
#include "gateway/soup.h"
#include "hw/arena.h"
#include "hw/compiler.h"
#include "hw/wire.h"

static void idmemo_set(struct gw_idmemo *m, uint64_t token);

void gw_cfg_defaults(struct gw_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->store.max_orders = 4096;
	c->store.max_locate = 65535;
	c->store.token_history = 65536;
	c->risk.max_order_qty = 5000;
	c->risk.max_order_notional = 1000000ull * 10000; /* $1 M */
	c->risk.collar_bps = 500;
	c->risk.max_position = 5000;
	c->risk.max_open_orders = 1000;
	c->risk.credit_limit = 50000000ull * 10000;      /* $50 M */
	c->risk.rate_per_s = 5000;
	c->risk.burst = 500;
	c->risk.storm_rejects = 20;
	c->risk.storm_window_ns = 1000000000ull;
	c->risk.backoff_ns = 10000000ull;
	c->risk.backoff_max_ns = 5000000000ull;
	c->risk.quiet_ns = 10000000000ull;
	c->fee_add_e4 = -20;   /* $0.0020 per share rebate for adding */
	c->fee_remove_e4 = 30; /* $0.0030 per share fee for removing */
	c->capacity = 'P';
}

int gw_init(struct gw *g, const struct gw_cfg *cfg, uint64_t now_ns)
{
	struct arena_cfg ac = { .no_lock = true };
	size_t nloc;
	int rc;

	memset(g, 0, sizeof(*g));
	g->cfg = *cfg;
	if (!g->cfg.capacity)
		g->cfg.capacity = 'P';
	g->capacity = g->cfg.capacity;
	memcpy(g->firm, g->cfg.firm, sizeof(g->firm));
	/* The store's tables span megabytes (the symbol lines and the token
	 * index, 4 MiB each by default) and an intent touches a few lines
	 * spread over them: on 4 KiB pages most of those lines sit on a page
	 * the TLB no longer holds when the symbol's next decision comes, and
	 * the page walk (nested under a hypervisor) cost each NEW/REPLACE that
	 * opened a new token line ~250 ns. On 2 MiB pages the whole block
	 * needs a handful of TLB entries. */
	ac.size = ostore_memsize(&cfg->store);
	if (!ac.size)
		return -EINVAL;
	/* A store under half a hugepage fits the TLB on small pages, and
	 * mapping and zeroing a whole 2 MiB page for it (each time: the fuzz
	 * target makes a gateway per input) costs more than it saves. */
	ac.no_huge = ac.size < GW_HUGE_MIN;
	if (arena_init(&g->mem, &ac) != 0)
		return -ENOMEM;
	rc = ostore_init(&g->os, &cfg->store, arena_alloc(&g->mem, ac.size, CACHELINE));
	if (rc) {
		arena_fini(&g->mem);
		return rc;
	}
	rc = risk_init(&g->rk, &cfg->risk, &g->os, NULL, now_ns);
	if (rc) {
		ostore_fini(&g->os);
		arena_fini(&g->mem);
		return rc;
	}
	nloc = (size_t)cfg->store.max_locate + 1;
	g->defer = calloc(cfg->store.max_orders, sizeof(*g->defer));
	if (!g->defer) {
		gw_fini(g);
		return -ENOMEM;
	}
	for (size_t l = 0; l < nloc; l++)
		memset(g->os.sym[l].name, ' ', sizeof(g->os.sym[l].name));
	/* Every memo entry holds a real token's ClOrdID, so that its test
	 * needs no case for an empty one. */
	for (uint32_t i = 0; i < GW_IDMEMO; i++)
		idmemo_set(&g->idm[i], 100000000u);
	return 0;
}

void gw_fini(struct gw *g)
{
	if (!g)
		return;
	risk_fini(&g->rk);
	ostore_fini(&g->os);
	arena_fini(&g->mem);
	free(g->defer);
	g->defer = NULL;
}

COLD void gw_warm(const struct gw *g, uint16_t locate, uint64_t token, uint32_t n)
{
	const struct ostore *os = &g->os;
	uint32_t slot = os->free_head;
	uint8_t x;

	x = arena_touch(g, sizeof(*g));
	if (locate == 0 || locate > os->cfg.max_locate)
		return;
	x ^= arena_touch(&os->sym[locate], sizeof(os->sym[0]));
	x ^= arena_touch(&g->rk.sym[locate], sizeof(g->rk.sym[0]));
	for (uint32_t i = 0; i < n; i++) {
		x ^= arena_touch(&os->tok[ostore_tok_home(token + i, os->tok_mask)],
				 sizeof(os->tok[0]));
		x ^= arena_touch(&os->ref[ostore_ref_home(os->next_ref + i, os->ref_mask)],
				 sizeof(os->ref[0]));
		if (slot == OSTORE_NIL)
			continue;
		x ^= arena_touch(&os->ord[slot], sizeof(os->ord[0]));
		slot = os->ord[slot].next;
	}
	(void)x;
}

int gw_set_symbol(struct gw *g, uint16_t locate, const char name[8])
{
	if (locate > g->os.cfg.max_locate)
		return -EINVAL;
	memcpy(g->os.sym[locate].name, name, 8);
	return 0;
}

/* ClOrdID: the strategy's token in decimal, left-aligned and space padded
 * (14 alpha), when it has at most 14 digits; else 'X' and the token in 13
 * base-36 digits (36^13 > 2^64). Decimal forms have no letter, so the two
 * never meet and distinct tokens always get distinct ClOrdIDs. */
#define GW_CLORDID_DEC_MAX 99999999999999ull /* 14 digits */

/* The 8 decimal digits of v < 10^8 (leading zeros kept), one per byte,
 * the most significant in the lowest byte: split in halves, quarters and
 * digits with multiply-shift divisions that work on every lane at once (no
 * table: a table's lines would be cold on every intent). */
static inline uint64_t dig8(uint32_t v)
{
	uint64_t y = (uint64_t)(v / 10000) | ((uint64_t)(v % 10000) << 32);
	uint64_t h = ((y * 5243) >> 19) & 0x0000007F0000007Full;   /* / 100, < 10^4 */
	uint64_t z = h | ((y - h * 100) << 16);
	uint64_t t = ((z * 103) >> 10) & 0x000F000F000F000Full;    /* / 10, < 100 */

	return t | ((z - t * 10) << 8);
}

/* The 16 digit bytes of 10^8 <= token < 10^16 as two words whose bytes
 * in memory order (htole64) are the digits, most significant first,
 * leading zeros kept; *lz = the leading zero bytes of the first. */
static ALWAYS_INLINE void clordid_digits(uint64_t token, uint64_t *a, uint64_t *b, int *lz)
{
	const uint64_t zeros = 0x3030303030303030ull;
	uint64_t hi = dig8((uint32_t)(token / 100000000u)); /* not 0 */

	*lz = __builtin_ctzll(hi) / 8;
	*a = hi + zeros;
	*b = dig8((uint32_t)(token % 100000000u)) + zeros;
}

/* Set m to token's ClOrdID (10^8 <= token <= GW_CLORDID_DEC_MAX, so 9 to
 * 14 digits: the first 16 - lz, lz >= 2, of a and b). Cold: one in ten
 * NEWs or REPLACEs, and gw_init. */
static void idmemo_set(struct gw_idmemo *m, uint64_t token)
{
	uint8_t tmp[16 + OUCH_CLORDID_LEN];
	uint64_t a, b, w;
	int lz;

	clordid_digits(token, &a, &b, &lz);
	a = htole64(a);
	b = htole64(b);
	memcpy(tmp, &a, 8);
	memcpy(tmp + 8, &b, 8);
	memset(tmp + 16, ' ', OUCH_CLORDID_LEN);
	memcpy(&w, tmp + lz, 8);
	m->w0 = le64toh(w);
	memcpy(&w, tmp + lz + OUCH_CLORDID_LEN - 8, 8);
	m->w1 = le64toh(w);
	/* The last digit is field byte 15 - lz, byte 9 - lz of w1; the one
	 * before it (there are at least 9) byte 8 - lz >= 0. */
	m->sh = 8u * (uint32_t)(9 - lz);
	m->room = (uint8_t)('9' - ((m->w1 >> m->sh) & 0xFF));
	m->room2 = (uint8_t)('9' - ((m->w1 >> (m->sh - 8)) & 0xFF));
	m->token = token;
}

/* clordid_put's tokens of 9 digits or more past the memo: one past 14
 * digits ('X' and base 36), or a 9-14 digit one the memo cannot reach
 * (worked out and kept in m). Cold: one in a hundred NEWs or REPLACEs of
 * a strategy that numbers its orders 1, 2, 3... */
static COLD void clordid_miss(struct gw_idmemo *m, uint8_t *f, uint64_t token)
{
	uint64_t w0, w1;

	if (token > GW_CLORDID_DEC_MAX) {
		f[0] = 'X';
		for (int i = OUCH_CLORDID_LEN - 1; i >= 1; i--) {
			f[i] = (uint8_t)"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[token % 36];
			token /= 36;
		}
		return;
	}
	idmemo_set(m, token);
	w0 = htole64(m->w0);
	w1 = htole64(m->w1);
	memcpy(f, &w0, 8);
	memcpy(f + OUCH_CLORDID_LEN - 8, &w1, 8);
}

/* Write token's ClOrdID into its field f of the message being built (no
 * copy through a buffer). A 9-14 digit token's comes from locate's memo
 * when it holds an earlier token of at most 9 - its last digit less (a
 * strategy numbers its orders 1, 2, 3...: nine times in ten): the same
 * field with the last digit raised, no carry to propagate, two 8-byte
 * stores inside the field; or of at most 19 - its last digit less when
 * the digit before the last is not 9 (the carry into it: nine times in
 * the tenth), the same stores; else (clordid_miss) it is worked out and
 * kept there, at ~85 instructions more (such a hit is in the decimal
 * range: no test of it first). A shorter token's
 * digits go in two 8-byte stores placed so that they start at f[0], which
 * writes up to 7 bytes in front of the field and 2 past its end. So the
 * caller writes the message's other fields after this
 * (ouch_*_encode_no_id), which puts the right bytes there; the field's own
 * 14 bytes are all written here. Always inlined into its two callers (NEW
 * and REPLACE): as a call it cost a frame and register spills on every
 * intent. */
#define GW_CLORDID_SPILL 7 /* bytes written in front of the field, at most */
static ALWAYS_INLINE void clordid_put(struct gw *g, uint8_t *f, uint64_t token, uint16_t locate)
{
	const uint64_t zeros = 0x3030303030303030ull, spaces = 0x2020202020202020ull;
	struct gw_idmemo *m = &g->idm[locate % GW_IDMEMO];
	uint64_t d = token - m->token, w0, w1;
	uint32_t room = m->room;

	/* The byte at sh is a digit: d <= room keeps it one. */
	if (LIKELY(d <= room)) {
		w1 = m->w1 + (d << m->sh);
		m->room = (uint8_t)(room - d);
	} else if (d <= room + 10u && m->room2) {
		/* Past 9 with one carry into a digit before it that is not 9
		 * (the token after ...9, nine times in ten): the last digit
		 * becomes L + d - 10 (0..9 as room < d <= room + 10), the one
		 * before it one more. In 64-bit arithmetic the byte at sh
		 * stays in 0..255 on the way. */
		w1 = m->w1 + ((d - 10u) << m->sh) + (UINT64_C(1) << (m->sh - 8));
		m->room = (uint8_t)(room + 10u - d);
		m->room2--;
	} else if (token >= 100000000u) {
		clordid_miss(m, f, token);
		return;
	} else {
		/* Digits in a, b all spaces: a's lz leading zero bytes land
		 * in front of the field. f[6..14) first: the digits end at
		 * f[8 - lz] and the spaces after them at f[16 - lz] >= f[9]. */
		int lz;

		w0 = dig8((uint32_t)token);
		w1 = spaces;
		lz = w0 ? __builtin_ctzll(w0) / 8 : 7; /* token 0 prints "0" */
		w0 = htole64(w0 + zeros);
		memcpy(f + OUCH_CLORDID_LEN - 8, &spaces, 8);
		memcpy(f - lz, &w0, 8);
		memcpy(f - lz + 8, &w1, 8);
		return;
	}
	m->w1 = w1;
	m->token = token;
	w0 = htole64(m->w0);
	w1 = htole64(w1);
	memcpy(f, &w0, 8);
	memcpy(f + OUCH_CLORDID_LEN - 8, &w1, 8);
}
_Static_assert(OUCH_ENTER_OFF_CLORDID >= GW_CLORDID_SPILL &&
		       OUCH_REPLACE_OFF_CLORDID >= GW_CLORDID_SPILL,
	       "clordid_put's spill in front stays in the message");

static void reject_report(struct exec_report *r, const struct order_intent *in, uint8_t reason)
{
	memset(r, 0, sizeof(*r));
	r->token = in->op == INTENT_CANCEL ? in->orig_token : in->token;
	r->px = in->px;
	r->qty = in->qty;
	r->locate = in->locate;
	r->kind = EXEC_REJECTED;
	r->side = in->side;
	r->reason = reason;
}

static long put_cancel(struct gw *g, uint32_t ref, uint8_t *wire, size_t cap)
{
	struct ouch_cancel c = { .user_ref_num = ref, .qty = 0 };
	int n;

	if (cap < SOUP_HDR_LEN + OUCH_CANCEL_LEN)
		return -ENOSPC;
	n = ouch_cancel_encode(wire + SOUP_HDR_LEN, cap - SOUP_HDR_LEN, &c);
	soup_hdr_write(wire, SOUP_T_UNSEQ_DATA, (uint16_t)n);
	g->st.msgs_out++;
	return SOUP_HDR_LEN + n;
}

static void defer_cancel(struct gw *g, uint32_t slot, const struct ostore_order *o)
{
	for (uint32_t i = 0; i < g->n_defer; i++)
		if (g->defer[i].slot == slot)
			return;
	if (g->n_defer == g->cfg.store.max_orders) {
		g->st.defer_full++;
		return;
	}
	g->defer[g->n_defer++] = (struct gw_defer){ slot, o->ref, o->new_ref };
}

long gw_poll(struct gw *g, uint64_t now_ns, uint8_t *wire, size_t cap)
{
	size_t off = 0;
	uint32_t keep = 0;

	gw_commit(g);
	for (uint32_t i = 0; i < g->n_defer; i++) {
		struct gw_defer d = g->defer[i];
		const struct ostore_order *o = ostore_order_at(&g->os, d.slot);
		uint32_t ref;

		/* The replace was confirmed (new ref) or refused (old ref);
		 * any other ref means the slot now holds another order. */
		if (o->state == OSTORE_FREE || (o->ref != d.ref && o->ref != d.new_ref) ||
		    o->state == OSTORE_PENDING_CANCEL || o->state >= OSTORE_FILLED)
			continue;
		if (o->state == OSTORE_PENDING_REPLACE ||
		    cap - off < SOUP_HDR_LEN + OUCH_CANCEL_LEN ||
		    ostore_send_cancel(&g->os, o->token, now_ns, &ref) != 0) {
			g->defer[keep++] = d;
			continue;
		}
		off += (size_t)put_cancel(g, ref, wire + off, cap - off);
		g->st.sent[INTENT_CANCEL]++;
	}
	g->n_defer = keep;
	g->st.bytes_out += off;
	return (long)off;
}

/* Cancel every working order of locate (every symbol when 0) that is not
 * already being cancelled. Stops, keeping what it wrote, when wire is full.
 * The CANCEL_ALL's own check spent the first cancel's message; each further
 * cancel goes through the check as a CANCEL so the throttle counts every
 * message that reaches the venue (a cancel is never refused by it). */
static long cancel_all(struct gw *g, uint16_t locate, uint64_t now_ns, uint8_t *wire, size_t cap)
{
	uint32_t lo = locate ? locate : 1, hi = locate ? locate : g->os.cfg.max_locate;
	size_t off = 0;
	struct order_intent c;

	memset(&c, 0, sizeof(c));
	c.op = INTENT_CANCEL;

	for (uint32_t l = lo; l <= hi; l++) {
		uint32_t slot = OSTORE_NIL;

		if (!g->os.sym[l].n_open)
			continue;
		while ((slot = ostore_sym_next(&g->os, (uint16_t)l, slot)) != OSTORE_NIL) {
			const struct ostore_order *o = ostore_order_at(&g->os, slot);
			uint32_t ref;
			long n;

			if (o->state == OSTORE_PENDING_CANCEL)
				continue;
			if (o->state == OSTORE_PENDING_REPLACE) {
				/* Cannot be cancelled until the venue answers the
				 * replace: gw_poll cancels whichever order stands. */
				defer_cancel(g, slot, o);
				continue;
			}
			if (cap - off < SOUP_HDR_LEN + OUCH_CANCEL_LEN)
				return (long)off;
			c.orig_token = o->token;
			c.locate = o->locate;
			if (off && risk_check_order(&g->rk, &c, 0, now_ns) != RISK_PASS)
				continue;
			if (ostore_send_cancel(&g->os, o->token, now_ns, &ref) != 0)
				continue;
			n = put_cancel(g, ref, wire + off, cap - off);
			off += (size_t)n;
		}
	}
	return (long)off;
}

/* The room a NEW's or REPLACE's OUCH message has after its SoupBinTCP
 * header: gw_on_intent refuses a wire under GW_WIRE_MAX_ONE first, and the
 * encoders are given this constant, which their largest message (an Enter
 * with the firm tag) fits, so their room checks fold away. */
#define GW_ONE_ROOM (GW_WIRE_MAX_ONE - SOUP_HDR_LEN)
_Static_assert(OUCH_ENTER_LEN + 2 + 4 <= GW_ONE_ROOM && /* + length, tag, value */
		       OUCH_REPLACE_LEN <= GW_ONE_ROOM,
	       "an Enter with the firm tag, or a Replace, fits one intent's room");

/* Display 'P' (post only) or 'Y', without a branch: the flag is bit 0. */
_Static_assert(INTENT_F_POST_ONLY == 1 && 'Y' - 9 == 'P', "display from the post-only bit");

/* gw_send_intent's body for in, read through a restrict pointer (see
 * GW_ON_OP), inlined once for each op so that each copy knows its op. sym_ok (a
 * constant) says the caller found 1 <= in->locate <= max_locate: told so,
 * the compiler folds the symbol's bound tests in the prefetch, the read of
 * ref_px and the checks (their RISK_BAD_SYMBOL test) into that one. defer
 * (a constant): a passed NEW or REPLACE writes its bytes and leaves its
 * store record and sent counters to gw_commit (g->pend); the checks probe
 * into g->pend.pr then, where the commit finds it (a private probe copied
 * there cost a replace ~25 instructions more, in the copy and the
 * registers it held). Measured on the default paper run: the record after
 * the bytes took ~36 instructions off a REPLACE's path to them and ~60 off
 * a NEW's. */
static ALWAYS_INLINE long on_intent(struct gw *g, const struct order_intent *in, uint64_t now_ns,
				    uint8_t *wire, size_t cap, struct exec_report *rej, int sym_ok,
				    int defer)
{
	struct ostore_probe pr_own, homes, *pr = defer ? &g->pend.pr : &pr_own;
	uint32_t ref_px;
	enum risk_reason why;
	uint32_t ref, old_ref;
	long n = 0;
	int k;

	if (sym_ok && (!in->locate || in->locate > g->os.cfg.max_locate))
		__builtin_unreachable();
	/* The homes in a probe of our own: the checks read them, the commit
	 * does not, and set in g->pend.pr they were two stores more. */
	ostore_prefetch_intent(&g->os, in, &homes);
	/* The checks' own per-locate line is read only during a backoff. */
	ref_px = in->locate <= g->os.cfg.max_locate ? g->os.sym[in->locate].ref_px : 0;
	g->st.intents++;
	if (UNLIKELY(cap < GW_WIRE_MAX_ONE && in->op != INTENT_CANCEL_ALL)) {
		g->st.no_room++;
		reject_report(rej, in, RISK_STORE_FULL);
		return -ENOSPC;
	}
	/* The checks' probes of the token index serve the send too, and what
	 * they found good the send (ostore_send_*_passed) does not test again. */
	why = risk_check_homes(&g->rk, &g->os, in, &homes, pr, ref_px, now_ns);
	if (why != RISK_PASS) {
		g->st.refused++;
		reject_report(rej, in, (uint8_t)why);
		return -EACCES;
	}
	switch (in->op) {
	case INTENT_NEW: {
		struct ouch_enter e;

		if (defer) {
			/* ostore_send_new_passed's one test, its ref */
			ref = g->os.next_ref;
			if (UNLIKELY(!ref))
				goto store_refused;
		} else if (ostore_send_new_passed(&g->os, in, pr, now_ns, &ref) != 0) {
			goto store_refused;
		}
		e.user_ref_num = ref;
		e.qty = in->qty;
		e.price = in->px;
		memcpy(e.symbol, g->os.sym[in->locate].name, OUCH_SYMBOL_LEN);
		clordid_put(g, wire + SOUP_HDR_LEN + OUCH_ENTER_OFF_CLORDID, in->token, in->locate);
		e.side = (char)in->side;
		e.tif = '0';
		e.display = (char)('Y' - 9 * (in->flags & INTENT_F_POST_ONLY));
		e.capacity = g->capacity;
		e.iso = 'N';
		e.cross_type = 'N';
		/* No appendage for the encoder (a constant: e stays in
		 * registers, its room check folds away with GW_ONE_ROOM); the
		 * firm tag, when set, is written after it as ouch_app_add and
		 * ouch_app_write would: length 6, one TagValue of 4 bytes. */
		e.app.n = 0;
		k = ouch_enter_encode_no_id(wire + SOUP_HDR_LEN, GW_ONE_ROOM, &e);
		if (g->firm[0]) {
			uint8_t *a = wire + SOUP_HDR_LEN + OUCH_ENTER_OFF_APPLEN;

			wire_put16(a, 2 + 4);
			a[OUCH_APPLEN_LEN + OUCH_TV_OFF_LEN] = 1 + 4;
			a[OUCH_APPLEN_LEN + OUCH_TV_OFF_TAG] = OUCH_TAG_FIRM;
			memcpy(a + OUCH_APPLEN_LEN + OUCH_TV_OFF_VAL, g->firm, 4);
			k += 2 + 4;
		}
		soup_hdr_write(wire, SOUP_T_UNSEQ_DATA, (uint16_t)k);
		n = SOUP_HDR_LEN + k;
		if (defer)
			goto owed;
		g->st.msgs_out++;
		break;
	}
	case INTENT_REPLACE: {
		struct ouch_replace r;

		if (defer) {
			/* ostore_send_replace_passed's one test, its refs */
			ref = g->os.next_ref;
			if (UNLIKELY(!ref))
				goto store_refused;
			old_ref = g->os.ord[pr->orig_slot].ref;
		} else if (ostore_send_replace_passed(&g->os, in, pr, now_ns, &old_ref, &ref) != 0) {
			goto store_refused;
		}
		r.orig_user_ref_num = old_ref;
		r.user_ref_num = ref;
		r.qty = in->qty;
		r.price = in->px;
		clordid_put(g, wire + SOUP_HDR_LEN + OUCH_REPLACE_OFF_CLORDID, in->token, in->locate);
		r.tif = '0';
		r.display = (char)('Y' - 9 * (in->flags & INTENT_F_POST_ONLY));
		r.iso = 'N';
		r.app.n = 0;
		k = ouch_replace_encode_no_id(wire + SOUP_HDR_LEN, GW_ONE_ROOM, &r);
		soup_hdr_write(wire, SOUP_T_UNSEQ_DATA, (uint16_t)k);
		n = SOUP_HDR_LEN + k;
		if (defer)
			goto owed;
		g->st.msgs_out++;
		break;
	}
	case INTENT_CANCEL:
		if (ostore_send_cancel_probed(&g->os, pr, now_ns, &ref) != 0)
			goto store_refused;
		n = put_cancel(g, ref, wire, cap);
		break;
	case INTENT_CANCEL_ALL:
		n = cancel_all(g, in->locate, now_ns, wire, cap);
		break;
	default:
		goto store_refused;
	}
	g->st.sent[in->op]++;
	g->st.bytes_out += (uint64_t)n;
	return n;
owed:
	/* The bytes are ready: the store's record (and the counters) wait
	 * for gw_commit, off the path to them. Nothing between the checks
	 * and here changed the store, so what the checks left in
	 * g->pend.pr still holds. */
	g->pend.in = in;
	g->pend.now_ns = now_ns;
	g->pend.bytes = (uint32_t)n;
	g->pend.op = in->op;
	return n;
store_refused:
	/* The checks passed but the store would not take it (its refs ran
	 * out, a state the checks do not model): refused all the same, never
	 * sent. */
	g->st.refused++;
	reject_report(rej, in, RISK_ORDER_BUSY);
	return -EACCES;
}

/* One op's gw_send_intent, on a symbol the caller found good (sym_ok) or
 * on any (the checks sort it out), in a function of its own: each op's
 * path gets the registers and the frame it needs, not the ones the
 * heaviest op needs, and gw_send_intent, which only dispatches, has no
 * frame and jumps to it. The intent through a restrict pointer: its byte
 * fields (op, side) could otherwise alias every store into the gateway,
 * and each store made the compiler read and test them again. A private
 * copy did that too, but loaded every field up front and kept them all
 * live over the checks (spilled: the copy cost more stack traffic than
 * it saved); through the pointer each is read where it is used. */
#define GW_ON_OP(name, the_op, sym_ok, defer)                                            \
	static NOINLINE NOCLONE long name(struct gw *g,                                \
					  const struct order_intent *restrict in,      \
					  uint64_t now_ns, uint8_t *wire, size_t cap,  \
					  struct exec_report *rej)                     \
	{                                                                              \
		if ((the_op) >= 0 && in->op != (the_op))                               \
			__builtin_unreachable();                                       \
		return on_intent(g, in, now_ns, wire, cap, rej, sym_ok, defer);        \
	}
/* NEW and REPLACE on a good symbol leave their record to gw_commit; a
 * NEW or REPLACE on a bad symbol is refused, and a cancel's record is
 * what its bytes need (its ref's state). */
GW_ON_OP(gw_op_new, INTENT_NEW, 1, 1)
GW_ON_OP(gw_op_replace, INTENT_REPLACE, 1, 1)
GW_ON_OP(gw_op_cancel, INTENT_CANCEL, 1, 0)
GW_ON_OP(gw_op_other, -1, 0, 0)

/* Not inlined, as gw_send_intent: the warm-up (through gw_on_intent) and
 * the replay run the one copy. */
NOINLINE NOCLONE void gw_commit_pending(struct gw *g)
{
	const struct order_intent *in = g->pend.in;
	uint32_t ref, old_ref;
	uint8_t op = g->pend.op;

	if (!op)
		return;
	g->pend.op = 0;
	if (op == INTENT_NEW) {
		/* Cannot fail: gw_send_intent tested the refs, and the checks
		 * the rest, on this same store. */
		(void)ostore_send_new_passed(&g->os, in, &g->pend.pr, g->pend.now_ns, &ref);
	} else {
		(void)ostore_send_replace_passed(&g->os, in, &g->pend.pr, g->pend.now_ns, &old_ref,
						 &ref);
	}
	g->st.bytes_out += g->pend.bytes; /* what the send wrote, as its caller was told */
	g->st.msgs_out++;
	g->st.sent[op]++;
}

static long send_owed(struct gw *g, const struct order_intent *in, uint64_t now_ns,
		      uint8_t *wire, size_t cap, struct exec_report *rej);

NOINLINE NOCLONE long gw_send_intent(struct gw *g, const struct order_intent *in_p,
				     uint64_t now_ns, uint8_t *wire, size_t cap,
				     struct exec_report *rej)
{
	/* Dispatched on op once, here: each op's function then has its op
	 * as a constant, and the tests of op in the prefetch, the checks and
	 * the send fold away. The symbol tested once: those functions know
	 * it is good. Not inlined: this small, LTO put it into its callers,
	 * and a warm-up through one call site no longer warmed another's. */
	int sym_ok = in_p->locate && in_p->locate <= g->os.cfg.max_locate;

	if (UNLIKELY(g->pend.op))
		return send_owed(g, in_p, now_ns, wire, cap, rej);
	/* The commonest op first (a quoting strategy mostly moves its
	 * orders): tested in that order, not as the switch GCC laid out. */
	if (LIKELY(sym_ok)) {
		if (in_p->op == INTENT_REPLACE)
			return gw_op_replace(g, in_p, now_ns, wire, cap, rej);
		if (in_p->op == INTENT_NEW)
			return gw_op_new(g, in_p, now_ns, wire, cap, rej);
		if (in_p->op == INTENT_CANCEL)
			return gw_op_cancel(g, in_p, now_ns, wire, cap, rej);
	}
	/* Any op, any symbol (CANCEL_ALL, a bad symbol or op). */
	return gw_op_other(g, in_p, now_ns, wire, cap, rej);
}

/* gw_send_intent with a commit still owed (its caller did not call
 * gw_commit): the commit first, then the intent. Out of line, so that
 * gw_send_intent, which only tests for it, keeps no frame. */
static COLD NOINLINE long send_owed(struct gw *g, const struct order_intent *in, uint64_t now_ns,
				   uint8_t *wire, size_t cap, struct exec_report *rej)
{
	gw_commit_pending(g);
	return gw_send_intent(g, in, now_ns, wire, cap, rej);
}

NOINLINE NOCLONE long gw_on_intent(struct gw *g, const struct order_intent *in,
				   uint64_t now_ns, uint8_t *wire, size_t cap,
				   struct exec_report *rej)
{
	long n = gw_send_intent(g, in, now_ns, wire, cap, rej);

	gw_commit(g);
	return n;
}

/* One decoded OUCH outbound message -> the store -> at most one report.
 * Returns 1 when *r is a report for the strategy, else 0 (*r then holds
 * nothing of use). Not cleared here: every ostore_on_* that succeeds
 * writes the whole report (clears it first), and one that fails leaves
 * it unused. */
static int apply_out(struct gw *g, const struct ouch_out *m, struct exec_report *r)
{
	int rc;

	switch (m->type) {
	case OUCH_OUT_ACCEPTED:
		rc = ostore_on_accepted(&g->os, m->u.accepted.user_ref_num, m->u.accepted.ts_ns, r);
		break;
	case OUCH_OUT_REPLACED: {
		const struct ouch_replaced *x = &m->u.replaced;

		if (x->price > UINT32_MAX)
			goto bad_price;
		rc = ostore_on_replaced(&g->os, x->orig_user_ref_num, x->user_ref_num, x->qty,
					(uint32_t)x->price, x->ts_ns, r);
		break;
	}
	case OUCH_OUT_CANCELED: {
		const struct ouch_canceled *x = &m->u.canceled;

		rc = ostore_on_canceled(&g->os, x->user_ref_num, x->qty, (uint8_t)x->reason,
					x->ts_ns, r);
		break;
	}
	case OUCH_OUT_EXECUTED: {
		const struct ouch_executed *x = &m->u.executed;
		int32_t rate = x->liquidity == 'R' ? g->cfg.fee_remove_e4 : g->cfg.fee_add_e4;

		if (x->price > UINT32_MAX)
			goto bad_price;
		rc = ostore_on_executed(&g->os, x->user_ref_num, x->qty, (uint32_t)x->price,
					x->match_num, x->ts_ns, r);
		if (rc >= 0) {
			r->liquidity = (uint8_t)(x->liquidity == 'R' ? 'R' : 'A');
			int64_t fee = (int64_t)rate * x->qty;

			/* Saturated: a wrapped fee could flip its sign. */
			r->fee_e4 = fee > INT32_MAX ? INT32_MAX
				    : fee < INT32_MIN ? INT32_MIN : (int32_t)fee;
		}
		break;
	}
	case OUCH_OUT_REJECTED: {
		const struct ouch_rejected *x = &m->u.rejected;
		uint32_t why = GW_REASON_VENUE + x->reason;

		g->st.venue_rejects++;
		rc = ostore_on_rejected(&g->os, x->user_ref_num, (uint8_t)(why > 255 ? 255 : why),
					x->ts_ns, r);
		if (rc >= 0)
			risk_note_venue_reject(&g->rk, r->locate, x->ts_ns);
		break;
	}
	case OUCH_OUT_CANCEL_REJECT:
		rc = ostore_on_cancel_rejected(&g->os, m->u.cancel_reject.user_ref_num,
					       m->u.cancel_reject.ts_ns, r);
		break;
	default:
		g->st.ignored_in++;
		return 0;
	}
	if (rc < 0) {
		g->st.store_errors++;
		return 0;
	}
	return 1;
bad_price:
	/* Prices are 32-bit (1e-4 USD) from the book to the store: a wider
	 * one would be truncated into a wrong fill or order price. */
	g->st.bad_in++;
	return 0;
}

uint32_t gw_on_wire(struct gw *g, const uint8_t *buf, size_t len, size_t *used,
		    uint64_t t_rx_tsc, struct exec_report *out, uint32_t max)
{
	size_t off = 0;
	uint32_t n = 0;

	gw_commit(g);
	while (off < len && n < max) {
		struct soup_pkt p;
		struct ouch_out m;
		int k = soup_parse(buf + off, len - off, &p);

		if (k == 0)
			break;
		if (k < 0) {
			/* Framing is lost: drop the rest (a live session would
			 * reconnect); counted. */
			g->st.bad_in++;
			off = len;
			break;
		}
		off += (size_t)k;
		g->st.msgs_in++;
		if (p.type != SOUP_T_SEQ_DATA) {
			g->st.ignored_in++;
			continue;
		}
		if (ouch_out_decode(p.payload, p.payload_len, &m) < 0) {
			g->st.bad_in++;
			continue;
		}
		if (apply_out(g, &m, &out[n])) {
			out[n].t_rx_tsc = t_rx_tsc;
			n++;
		}
	}
	*used = off;
	return n;
}
