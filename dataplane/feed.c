/* feed.c - the feed stage: frames to md_events through net, MoldUDP64,
 * ITCH and the L3 books. Set-up is cold; the on_* functions run on the feed
 * core and neither allocate nor call the kernel.
 *
 * Cost (bench_feed, docs/benchmarks.md; callgrind on a -DTW_NATIVE=OFF build,
 * 300k-message 'many' capture, Ir per message for feed_on_frame / burst):
 * 674 / 927 at first; order messages read straight off the wire into the
 * book (on_msg) 592 / 841; in-order MoldUDP64 packets delivered without
 * settling their session (mold.c) 570 / 819. Frame at a time fell ~20%
 * in wall time (284 -> 228 ns); bursts, whose time is the book's memory
 * misses, did not move beyond the noise. Then, callgrind on `tickwire book`
 * of a 3 M-message capture (1.44 M packets; the feed's own Ir per message,
 * feed_on_burst less the book's apply functions) and `tickwire paper`
 * (1 M messages, feed_on_frame, same basis): 682 / 392 before; the burst
 * window's messages listed once for the prefetch stages instead of three
 * cursors re-walking the packets, 501 / -; one-pass untagged
 * Ethernet/IPv4/UDP parse, 485 / 379; branchless md_event flags and a
 * one-word source match, 479; mold's in-order receive lighter (id compared
 * inline, one masked load for the session flags, no slow call at the end
 * of each packet's drain), 455 / 345; messages taken straight from mold's
 * cursor (mold_next_msg), 449 / 330. Recounted on the same capture and
 * run with a script summing the call tree (453 / 311): the common frame
 * parsed inline (net.h) and feed_on_frame without a call per packet,
 * - / 294; one test per MoldUDP64 block, - / 281; the lookahead's usual
 * step without its catch-up loop and a kind byte per listed message; the
 * in-order packet taken inline (mold_rx_fast), the window's parse inline;
 * each reference hashed and probed once by the stages: 382 / 252. Then
 * on_msg's event count kept in a register, the order message's apply
 * picked by compares in order of frequency and told by one length table:
 * 377 / 244 (bench_feed, 300k messages: frame 238 -> 229, burst 359 ->
 * 353; feed_on_messages, its stages hashing each reference once, 252 ->
 * 209). Recounted with a script that sums the feed's own Ir (feed.c,
 * mold.c, net.c, itch.c, less their calls into book.c; -DTW_NATIVE=OFF,
 * `tickwire book` of the 3 M-message capture / `tickwire paper`, now
 * feed_frame_begin + feed_pull): 415 / 305. The md_event's own fields
 * written before the book's call, the window's messages listed by mold's
 * block check (mold_parse_list) with their kinds found by stage 1, one
 * lookahead step per message: 405 / 297. Line A's source matched with
 * one compare, stage 1's kind without its empty test: 399 / 295. Left:
 * Then, on `tickwire paper` alone (callgrind, Ir of the whole calls):
 * feed_frame_begin's common frame taken whole by one all-or-nothing
 * inline path (frame_fast: parse in registers, line A matched on its wire
 * bytes, one test for mold's holes and start windows) 99.4 M -> 82.8 M
 * for 488 k packets; feed_pull written out for its one event (fewer
 * registers saved), md_event kind and flags from tables, the stamp in one
 * load, the kept set tested on the locate's wire bytes 257.3 M -> 236.0 M
 * for 1 M messages (book calls included). Then book_change laid out as
 * md_event's order_ref .. qty (copied as one block, the book saturating
 * the shares) and carrying the symbol's flags, feed_frame_begin and
 * feed_on_burst without SLP vectors: feed_frame_begin 169.5 -> 163.5 Ir
 * a packet, feed_pull 127.3 -> 115.3 Ir a call of its own (the book's
 * apply functions +7 each); `tickwire book` of the 3 M-message capture
 * 1888.5 M -> 1841.1 M in all. Left: the add path's misses (table slot,
 * ladder chunks walked from the best, the level's tail order written to
 * append), the md_event itself (~35 Ir a message: header, block copy,
 * flags), mold's cursor and the burst lookahead (~120 Ir a message over
 * the frame path: the hash, the slot peek, the links). Then, per packet
 * (callgrind, `tickwire paper`): the filter and line A's source as two
 * masked loads of the frame's address and port bytes, mold's last session
 * by pointer, a zero block length caught by the bound tests, the session's
 * clean state and mold's holes and start windows kept as one flag beside
 * mold.busy by the calls into mold.c, and mold's parse without its reason
 * call (so feed_frame_begin saves no registers): feed_frame_begin 163.5 ->
 * 129.5 Ir a packet; `tickwire book` of the 3 M-message capture 1841.1 M
 * -> 1809.4 M in all. Then feed_pull (`tickwire paper`, 1 M messages,
 * 841 k calls): the kept set as a byte per wire locate, cap tested once on
 * entry (pull_nocap), `more` written before the event and the book's call,
 * no second test of the empty cursor: 115.3 -> 106.8 Ir a call of its
 * own, 273.8 -> 264.6 with the book's (230.1 M -> 222.4 M). Then the
 * burst window (`tickwire book` of the 3 M-message capture): the common
 * frame's parse kept as three fields on one line instead of the whole
 * net and MoldUDP64 parse, taken by mold_rx_fast_seq inline, its blocks
 * listed by a walk bounded by the count up front (mold_parse_list_ok):
 * 1809.0 M -> 1718.0 M in all (feed_on_burst 255.4 -> 239.5 Ir a
 * message of its own, pf_win_init 80.4 -> 66.0). Then the burst's
 * in-order packets applied off the window's list, mold's cursor unused
 * (mold_rx_fast_whole, drain_list), with the change record in f: 1638.2 M
 * -> 1575.1 M; the list padded past its end (pf_none) so that stage 1
 * needs no bound test: 1561.8 M; the book set's header copied into the
 * window for the stages: 1558.9 M. Then the burst's updates given the
 * reference's hash that stage 1 computed (book_apply_*_hashed; the add
 * off the message's bytes, book_apply_add_msg, four arguments in
 * registers): 1558.7 M -> 1550.9 M; room for a fast packet's events
 * tested once for the packet (drain_list), not per message: 1546.5 M;
 * the event's kind, msg_type and pad in one 8-byte store from a table by
 * type (f->order_tail, which gives the length too): 1531.8 M. Then the
 * fast parse's two length tests as one compare (net.h): 1525.7 M ->
 * 1522.1 M (paper_run 663.46 M -> 663.00 M); the listed message of its
 * type's exact length applied without a length test (stage 1's kind,
 * on_msg's exact), any other without the lookahead's hash: 1501.6 M.
 * Then the common frame's fixed header fields, line A's source and the
 * filter as one masked 32-byte compare against line A's template
 * (net_fast_parse; the link's test folded in): 1482.3 M -> 1463.5 M.
 * Then the change record's address kept out of a register (feed_chg):
 * 1462.1 M -> 1457.5 M; a window's consecutive in-order packets of one
 * session taken as a run (run_take: one mold update, one room test, one
 * sequence base for them all): 1457.5 M -> 1435.7 M; its message count
 * from the sequence numbers rather than summed: 1434.0 M -> 1432.6 M.
 * Tried and not kept: the frame's
 * length test without its wirelen != 0 (net.h; +1.3 M, the compiler's
 * layout), on_msg's stamp reloaded from the event after the book's call
 * (+0.6 M); drain_list_run keeping the next event's slot rather than the
 * count (-0.8 M: the count was still saved around the book's call); the
 * packet's messages and events counted once for it rather than per
 * message (+2.5 M, the compiler's layout); feed_pull's add through
 * book_apply_add_msg, hashed inline, to save the two stacked arguments
 * (paper_run +2.4 M: the add itself costs more); feed_frame_begin taking
 * only the session's exact next packet (no overlap's test and skip):
 * unchanged to within 30 Ir, two more registers saved; the book's delete
 * forced inline into the burst's loop (+6.8 M: the loop's values spilled
 * around its body instead of the call's saves). */
#include "dataplane/feed.h"

#include <errno.h>
#include <string.h>

#include "dataplane/itch.h"

/* GCC packs mold_rx_fast's counter and cursor stores into vector registers
 * (a constant load, shuffles, moves in and out) that cost more than the
 * scalar stores they replace (feed_frame_begin, feed_on_burst). */
#if defined(__GNUC__) && !defined(__clang__)
#define FEED_NO_SLP __attribute__((optimize("no-tree-slp-vectorize")))
#else
#define FEED_NO_SLP
#endif

/* Wire length of the order messages on_msg applies itself, 0 for every
 * other type (on_msg_full's): one load tells the path and the length. */
static const uint8_t order_len[256] = {
	['A'] = ITCH_LEN_A, ['F'] = ITCH_LEN_F, ['E'] = ITCH_LEN_E, ['C'] = ITCH_LEN_C,
	['X'] = ITCH_LEN_X, ['D'] = ITCH_LEN_D, ['U'] = ITCH_LEN_U,
};

/* The 48-bit stamp of an order message (at least ITCH_LEN_D bytes): one
 * 8-byte load of the stamp and the two bytes after it, shifted off
 * (wire_get48's two loads cost ~5 Ir more; a mask would hold a register). */
_Static_assert(ITCH_OFF_TS + 8 <= ITCH_LEN_D, "order_ts reads 8 bytes from the stamp");
static ALWAYS_INLINE uint64_t order_ts(const uint8_t *msg)
{
	return wire_get64(msg + ITCH_OFF_TS) >> 16;
}

/* md_event kind of the order messages on_msg applies itself (a load, where
 * the compares for E and C cost six instructions). */
static const uint8_t order_kind[256] = {
	['A'] = MD_BOOK, ['F'] = MD_BOOK, ['E'] = MD_TRADE, ['C'] = MD_TRADE,
	['X'] = MD_BOOK, ['D'] = MD_BOOK, ['U'] = MD_BOOK,
};

static void md_flags_set(struct feed *f);

/* f->order_tail's word for a type: an md_event's bytes from locate to the
 * end with locate = len, kind, msg_type = type and the rest 0, as a load
 * of 8 bytes reads them (so len is its low bits: info & 0xff). */
_Static_assert(offsetof(struct md_event, locate) + 8 == sizeof(struct md_event),
	       "locate .. pad are the event's last 8 bytes");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "len in the word's low bits");
static uint64_t event_tail(uint8_t len, uint8_t kind, uint8_t type)
{
	struct md_event e;
	uint64_t w;

	memset(&e, 0, sizeof(e));
	e.locate = len;
	e.kind = kind;
	e.msg_type = type;
	memcpy(&w, &e.locate, sizeof(w));
	return w;
}

/* Write f->order_tail's word info over e's last 8 bytes: kind, msg_type
 * and pad, in one store (the locate, side and flags are the change's). */
static ALWAYS_INLINE void event_tail_put(struct md_event *e, uint64_t info)
{
	memcpy(&e->locate, &info, sizeof(info));
}

void feed_cfg_defaults(struct feed_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->book.max_orders = 1u << 20;
	cfg->book.max_levels = 0;
	cfg->book.max_locate = BOOK_LOCATE_MAX;
	mold_cfg_defaults(&cfg->mold);
	cfg->link = NET_LINK_ETH;
}

size_t feed_memsize(const struct feed_cfg *cfg)
{
	size_t b, m;

	if (!cfg)
		return 0;
	b = book_memsize(&cfg->book);
	m = mold_memsize(&cfg->mold);
	if (b == 0 || m == 0)
		return 0;
	return b + m + 2 * CACHELINE;
}

int feed_init(struct feed *f, const struct feed_cfg *cfg, struct arena *a)
{
	size_t bsz, msz;
	void *bmem, *mmem;
	int rc;

	if (!f || !cfg || !a)
		return -EINVAL;
	memset(f, 0, sizeof(*f));
	bsz = book_memsize(&cfg->book);
	msz = mold_memsize(&cfg->mold);
	if (bsz == 0 || msz == 0)
		return -EINVAL;
	bmem = arena_alloc(a, bsz, CACHELINE);
	mmem = arena_alloc(a, msz, CACHELINE);
	if (!bmem || !mmem)
		return -ENOMEM;
	f->books = bmem;
	rc = book_init(f->books, &cfg->book);
	if (rc)
		return rc;
	rc = mold_init(&f->mold, &cfg->mold, mmem);
	if (rc)
		return rc;
	f->filter = cfg->filter;
	f->link = cfg->link ? cfg->link : NET_LINK_ETH;
	f->stop_ts_ns = UINT64_MAX;
	net_fast_none(&f->fast);
	f->fast_on = false;
	memset(f->keep, 0xff, sizeof(f->keep));
	memset(f->keep_wire, 1, sizeof(f->keep_wire));
	for (unsigned t = 0; t < 256; t++) {
		f->order_info[t] = (uint16_t)(order_len[t] | order_kind[t] << 8);
		f->order_tail[t] = event_tail(order_len[t], order_kind[t], (uint8_t)t);
	}
	md_flags_set(f);
	f->keep_all = true;
	return 0;
}

/* A locate as a host uint16_t loads its two wire (big-endian) bytes. */
static uint16_t wire_locate(uint16_t locate)
{
	uint8_t b[2] = { (uint8_t)(locate >> 8), (uint8_t)locate };
	uint16_t w;

	memcpy(&w, b, sizeof(w));
	return w;
}

/* Is the symbol whose locate is at p on the wire kept (f->keep_wire)? */
static ALWAYS_INLINE bool feed_wire_kept(const struct feed *f, const uint8_t *p)
{
	uint16_t w;

	memcpy(&w, p, sizeof(w));
	return f->keep_wire[w] != 0;
}

int feed_keep_symbols(struct feed *f, const uint16_t *locates, uint32_t n)
{
	if (!f || (n && !locates))
		return -EINVAL;
	/* A book kept from mid-stream would miss the orders before. */
	if (f->st.msgs)
		return -EBUSY;
	memset(f->keep, n ? 0 : 0xff, sizeof(f->keep));
	memset(f->keep_wire, n ? 0 : 1, sizeof(f->keep_wire));
	f->keep_all = n == 0;
	for (uint32_t i = 0; i < n; i++) {
		uint16_t w = wire_locate(locates[i]);

		f->keep[locates[i] >> 6] |= UINT64_C(1) << (locates[i] & 63);
		f->keep_wire[w] = 1;
	}
	return 0;
}

void feed_stop_at(struct feed *f, uint64_t ts_ns)
{
	f->stop_ts_ns = ts_ns;
}

void feed_fini(struct feed *f)
{
	if (!f)
		return;
	mold_fini(&f->mold);
	book_fini(f->books);
	memset(f, 0, sizeof(*f));
}

/* md_event flags from a symbol's state, without branches: a table from
 * book_sym.flags to its stale, crossed and halted bits in md_event's
 * places, or'd with the feed's stale bit. */
_Static_assert(MD_F_STALE == BOOK_SYM_STALE << 1 && MD_F_CROSSED == BOOK_SYM_CROSSED << 1,
	       "f->stale << 1 is MD_F_STALE");
#define SYM_MD_FLAGS(v) \
	(uint8_t)((((v) & (BOOK_SYM_STALE | BOOK_SYM_CROSSED)) << 1) | \
		  (((v) & BOOK_SYM_HALTED) ? MD_F_HALTED : 0))
#define SYM_MD_FLAGS4(v) SYM_MD_FLAGS(v), SYM_MD_FLAGS((v) + 1), SYM_MD_FLAGS((v) + 2), \
	SYM_MD_FLAGS((v) + 3)
#define SYM_MD_FLAGS16(v) SYM_MD_FLAGS4(v), SYM_MD_FLAGS4((v) + 4), SYM_MD_FLAGS4((v) + 8), \
	SYM_MD_FLAGS4((v) + 12)
#define SYM_MD_FLAGS64(v) SYM_MD_FLAGS16(v), SYM_MD_FLAGS16((v) + 16), \
	SYM_MD_FLAGS16((v) + 32), SYM_MD_FLAGS16((v) + 48)
static const uint8_t sym_md_flags[256] = {
	SYM_MD_FLAGS64(0), SYM_MD_FLAGS64(64), SYM_MD_FLAGS64(128), SYM_MD_FLAGS64(192),
};
_Static_assert(sizeof(((struct book_sym *)0)->flags) == 1, "sym_md_flags covers every value");

/* f->md_flags for f->stale. Cold: at init and when the books go stale or
 * fresh. */
static void md_flags_set(struct feed *f)
{
	for (unsigned v = 0; v < 256; v++)
		f->md_flags[v] = (uint8_t)(sym_md_flags[v] | (unsigned)f->stale << 1);
}

static ALWAYS_INLINE uint8_t sym_flags(const struct feed *f, const struct book_sym *s)
{
	return f->md_flags[s->flags];
}

/* md_event's MD_F_TOP from a book_change's flags: one shift. */
_Static_assert(BOOK_CHG_TOP == MD_F_TOP << 1, "chg_top shifts BOOK_CHG_TOP onto MD_F_TOP");
static ALWAYS_INLINE uint8_t chg_top(const struct book_change *c)
{
	return (uint8_t)((c->flags >> 1) & MD_F_TOP);
}

/* A message read that may write no md_event: its stamp into ts_silent_ns. */
static ALWAYS_INLINE void note_silent(struct feed *f, uint64_t ts)
{
	f->ts_silent_ns = ts > f->ts_silent_ns ? ts : f->ts_silent_ns;
}

static inline void emit(struct feed *f, struct md_event *out, uint32_t cap, uint32_t *n,
			const struct md_event *e)
{
	if (LIKELY(*n < cap)) {
		out[(*n)++] = *e;
		f->st.md_events++;
	} else {
		f->st.md_overruns++;
	}
}

/* Feed-wide state change (locate 0): stale on or off. */
static void emit_feed_state(struct feed *f, uint64_t seq, uint64_t t_rx_tsc,
			    struct md_event *out, uint32_t cap, uint32_t *n)
{
	struct md_event e;

	memset(&e, 0, sizeof(e));
	e.t_rx_tsc = t_rx_tsc;
	e.seq = seq;
	e.kind = MD_STATE;
	e.flags = f->stale ? MD_F_STALE : 0;
	emit(f, out, cap, n, &e);
}

static uint32_t clamp32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* A book update refused for a full pool: flag the symbol whose book it
 * left short (the change record's locate, which for a replace is the
 * resting order's symbol, not the message's) stale for good, once, and
 * say so. Cold. */
static COLD void sym_pool_full(struct feed *f, uint16_t locate, uint64_t seq,
			       uint64_t t_rx_tsc, struct md_event *out, uint32_t cap, uint32_t *n)
{
	const struct book_sym *s = book_sym_get(f->books, locate);
	struct md_event e;

	if (!s || (s->flags & BOOK_SYM_STALE))
		return;
	book_set_stale(f->books, locate, true);
	f->st.pool_full_stale++;
	memset(&e, 0, sizeof(e));
	e.t_rx_tsc = t_rx_tsc;
	e.seq = seq;
	e.kind = MD_STATE;
	e.locate = locate;
	e.bid_px = s->best_px[BOOK_BID];
	e.ask_px = s->best_px[BOOK_ASK];
	e.bid_qty = clamp32(s->best_qty[BOOK_BID]);
	e.ask_qty = clamp32(s->best_qty[BOOK_ASK]);
	e.flags = sym_flags(f, s);
	emit(f, out, cap, n, &e);
}

/* What a message type gives the lookahead (its pf_kind bits, pf_info). */
enum {
	PF_K_REF = 1u << 0, /* an order reference at ITCH_OFF_BODY: A F E C X D U */
	PF_K_OLD = 1u << 1, /* ... naming a resting order: E C X D U */
	PF_K_NEW = 1u << 2, /* ... and a new one at ITCH_OFF_U_NEW: U */
	PF_K_ADD = 1u << 3, /* an add: side and price at the A offsets: A F */
	/* Set by stage 2 for an add: book_prefetch_add_top's answer. */
	PF_K_ADD_SHIFT = 4,
};

/* By type byte: an order type's ITCH length (order_len's) and its pf_kind
 * bits above it (0 for every other type), for one load off one base. */
#define PF_INFO(len, k) (uint16_t)((len) | (k) << 8)
static const uint16_t pf_info[256] = {
	['A'] = PF_INFO(ITCH_LEN_A, PF_K_REF | PF_K_ADD),
	['F'] = PF_INFO(ITCH_LEN_F, PF_K_REF | PF_K_ADD),
	['E'] = PF_INFO(ITCH_LEN_E, PF_K_REF | PF_K_OLD),
	['C'] = PF_INFO(ITCH_LEN_C, PF_K_REF | PF_K_OLD),
	['X'] = PF_INFO(ITCH_LEN_X, PF_K_REF | PF_K_OLD),
	['D'] = PF_INFO(ITCH_LEN_D, PF_K_REF | PF_K_OLD),
	['U'] = PF_INFO(ITCH_LEN_U, PF_K_REF | PF_K_OLD | PF_K_NEW),
};

/* One ITCH message: decode, apply, describe. Every type and every
 * malformed message (on_msg below takes the order messages itself). */
static NOINLINE void on_msg_full(struct feed *f, const uint8_t *msg, size_t len, uint64_t seq,
		   uint64_t t_rx_tsc, struct md_event *out, uint32_t cap, uint32_t *n)
{
	struct itch_msg m;
	struct book_change c;
	struct md_event *e;
	const struct book_sym *s;
	int rc, d = itch_decode(msg, len, &m);

	if (UNLIKELY(d < 0)) {
		if (d == -ITCH_ESHORT)
			f->st.itch_short++;
		else if (d == -ITCH_EUNKNOWN)
			f->st.itch_unknown++;
		else
			f->st.itch_empty++;
		return;
	}
	if (UNLIKELY(m.ts_ns > f->stop_ts_ns)) {
		f->stopped = true;
		return;
	}
	/* (rare types: every stamp, not only the silent ones) */
	note_silent(f, m.ts_ns);
	if (UNLIKELY((size_t)d < len))
		f->st.itch_long++;
	f->st.msgs++;
	f->st.by_type[m.type]++;
	/* A symbol outside the kept set: its trades are skipped like its
	 * order messages (on_msg); its directory and state messages apply,
	 * without an md_event (below). */
	if ((m.type == 'P' || m.type == 'Q') && !feed_sym_kept(f, m.locate)) {
		f->st.not_kept++;
		return;
	}

	rc = book_apply(f->books, &m, &c);
	if (UNLIKELY(rc < 0)) {
		f->st.book_refused++;
		/* A full pool leaves the symbol's book missing an order: it
		 * can no longer be trusted, so it is stale from here on. */
		if (rc == -BOOK_EORDERS || rc == -BOOK_ELEVELS)
			sym_pool_full(f, c.locate, seq, t_rx_tsc, out, cap, n);
		return;
	}

	/* Built in place in its output slot (or a scratch slot when the
	 * caller's buffer is full): composing it on the stack and copying it
	 * out made the 64-byte load wait on the narrower field stores (store
	 * forwarding), half of this function's time in bench_feed. */
	e = LIKELY(*n < cap) ? &out[*n] : &f->ev_scratch;
	e->t_rx_tsc = t_rx_tsc;
	e->t_exch_ns = m.ts_ns;
	e->seq = seq;
	e->msg_type = m.type;
	e->pad[0] = e->pad[1] = 0;
	switch (m.type) {
	case 'A': case 'F': case 'X': case 'D': case 'U':
	case 'E': case 'C':
		e->kind = (m.type == 'E' || m.type == 'C') ? MD_TRADE : MD_BOOK;
		e->order_ref = c.ref;
		e->bid_px = c.bid_px;
		e->ask_px = c.ask_px;
		e->bid_qty = clamp32(c.bid_qty);
		e->ask_qty = clamp32(c.ask_qty);
		e->px = e->kind == MD_TRADE ? c.exec_px : c.px;
		e->qty = c.qty;
		e->locate = c.locate;
		e->side = c.side;
		s = book_sym_get(f->books, c.locate);
		e->flags = (uint8_t)(sym_flags(f, s) | chg_top(&c));
		break;
	case 'P':
	case 'Q':
		s = book_sym_get(f->books, m.locate);
		if (!s)
			return;
		e->kind = MD_TRADE;
		e->order_ref = m.type == 'P' ? m.trade.ref : 0;
		e->bid_px = s->best_px[BOOK_BID];
		e->ask_px = s->best_px[BOOK_ASK];
		e->bid_qty = clamp32(s->best_qty[BOOK_BID]);
		e->ask_qty = clamp32(s->best_qty[BOOK_ASK]);
		e->px = m.type == 'P' ? m.trade.price : m.cross.price;
		e->qty = m.type == 'P' ? m.trade.shares : clamp32(m.cross.shares);
		e->locate = m.locate;
		e->side = m.type == 'P' ? m.trade.side : 0;
		e->flags = sym_flags(f, s);
		break;
	default:
		if (!(c.flags & BOOK_CHG_STATE) || !feed_sym_kept(f, c.locate))
			return;
		s = book_sym_get(f->books, c.locate);
		if (!s)
			return;
		memset(&e->order_ref, 0, sizeof(*e) - offsetof(struct md_event, order_ref));
		e->kind = MD_STATE;
		e->msg_type = m.type;
		e->locate = c.locate;
		e->bid_px = s->best_px[BOOK_BID];
		e->ask_px = s->best_px[BOOK_ASK];
		e->bid_qty = clamp32(s->best_qty[BOOK_BID]);
		e->ask_qty = clamp32(s->best_qty[BOOK_ASK]);
		e->flags = sym_flags(f, s);
		break;
	}
	if (LIKELY(e != &f->ev_scratch)) {
		(*n)++;
		f->st.md_events++;
	} else {
		f->st.md_overruns++;
	}
}

/* book_change's ref .. qty are md_event's order_ref .. qty: one copy. */
#define FEED_CHG_BLOCK 32u
#define FEED_CHG_SAME(a, b) \
	(offsetof(struct book_change, a) - offsetof(struct book_change, ref) == \
		 offsetof(struct md_event, b) - offsetof(struct md_event, order_ref) && \
	 sizeof(((struct book_change *)0)->a) == sizeof(((struct md_event *)0)->b))
_Static_assert(FEED_CHG_SAME(ref, order_ref) && FEED_CHG_SAME(bid_px, bid_px) &&
	       FEED_CHG_SAME(ask_px, ask_px) && FEED_CHG_SAME(bid_qty, bid_qty) &&
	       FEED_CHG_SAME(ask_qty, ask_qty) && FEED_CHG_SAME(px, px) &&
	       FEED_CHG_SAME(qty, qty) &&
	       offsetof(struct book_change, qty) + sizeof(uint32_t) == FEED_CHG_BLOCK &&
	       offsetof(struct md_event, qty) + sizeof(uint32_t) -
			       offsetof(struct md_event, order_ref) == FEED_CHG_BLOCK,
	       "book_change's ref .. qty laid out as md_event's order_ref .. qty");

/* The book's apply for order message msg (type A F E C X D U, at least its
 * ITCH length), read straight off the wire: book_apply_*'s result, the
 * change in *c. hashed (a constant): h is the book_hash32 of the reference
 * at ITCH_OFF_BODY (the lookahead's), for E C X D U; else they hash it. */
static ALWAYS_INLINE int apply_order(struct book_set *bs, const uint8_t *msg, uint8_t type,
				     uint32_t h, const bool hashed, struct book_change *cp)
{
	uint64_t ref;
	int rc;

	/* Tested in the order of their share of a day's messages (A and F,
	 * D, U, E, then the rare ones): a compare or two for the usual add,
	 * where a jump table costs eight instructions for every type. */
	if (type == 'A' || type == 'F') {
		/* with the hash, the message's bytes rather than its fields:
		 * no arguments on the stack */
		if (hashed)
			return book_apply_add_msg(bs, msg, h, cp);
		return book_apply_add(bs, wire_get16(msg + ITCH_OFF_LOCATE),
				      wire_get64(msg + ITCH_OFF_A_REF), msg[ITCH_OFF_A_SIDE],
				      wire_get32(msg + ITCH_OFF_A_SHARES),
				      wire_get32(msg + ITCH_OFF_A_PRICE),
				      (const char *)(msg + ITCH_OFF_A_STOCK), cp);
	}
	/* Opaque to the compiler from here: else it turns the compares into
	 * a jump table (~8 Ir), which costs the usual add more than the
	 * compares cost the rest. */
	__asm__("" : "+r"(type));
	if (!hashed) {
		if (type == 'D')
			return book_apply_delete(bs, wire_get64(msg + ITCH_OFF_D_REF), cp);
		if (type == 'U')
			return book_apply_replace(bs, wire_get64(msg + ITCH_OFF_U_OLD),
						  wire_get64(msg + ITCH_OFF_U_NEW),
						  wire_get32(msg + ITCH_OFF_U_SHARES),
						  wire_get32(msg + ITCH_OFF_U_PRICE), cp);
		if (type == 'E')
			return book_apply_exec(bs, wire_get64(msg + ITCH_OFF_E_REF),
					       wire_get32(msg + ITCH_OFF_E_SHARES), cp);
		if (type == 'X')
			return book_apply_cancel(bs, wire_get64(msg + ITCH_OFF_X_REF),
						 wire_get32(msg + ITCH_OFF_X_SHARES), cp);
		return book_apply_exec_px(bs, wire_get64(msg + ITCH_OFF_E_REF),
					  wire_get32(msg + ITCH_OFF_E_SHARES),
					  wire_get32(msg + ITCH_OFF_C_PRICE), cp);
	}
	/* E C X D U name the order at one offset (U: the old one) */
	_Static_assert((int)ITCH_OFF_D_REF == (int)ITCH_OFF_BODY &&
		       (int)ITCH_OFF_U_OLD == (int)ITCH_OFF_BODY &&
		       (int)ITCH_OFF_E_REF == (int)ITCH_OFF_BODY &&
		       (int)ITCH_OFF_X_REF == (int)ITCH_OFF_BODY,
		       "E C X D U's reference at ITCH_OFF_BODY");
	ref = wire_get64(msg + ITCH_OFF_BODY);
	if (type == 'D') {
		rc = book_apply_delete_hashed(bs, ref, h, cp);
	} else if (type == 'U') {
		rc = book_apply_replace_hashed(bs, ref, h, wire_get64(msg + ITCH_OFF_U_NEW),
					       wire_get32(msg + ITCH_OFF_U_SHARES),
					       wire_get32(msg + ITCH_OFF_U_PRICE), cp);
	} else if (type == 'E') {
		rc = book_apply_exec_hashed(bs, ref, h, wire_get32(msg + ITCH_OFF_E_SHARES), cp);
	} else if (type == 'X') {
		rc = book_apply_cancel_hashed(bs, ref, h, wire_get32(msg + ITCH_OFF_X_SHARES), cp);
	} else { /* 'C' */
		rc = book_apply_exec_px_hashed(bs, ref, h, wire_get32(msg + ITCH_OFF_E_SHARES),
					       wire_get32(msg + ITCH_OFF_C_PRICE), cp);
	}
	return rc;
}

/* The md_event's fields that come from the book's change c (its header,
 * kind included, already written). */
static ALWAYS_INLINE void event_from_change(const struct feed *f, struct md_event *e,
					    const struct book_change *c)
{
	memcpy(&e->order_ref, &c->ref, FEED_CHG_BLOCK);
	e->locate = c->locate;
	e->side = c->side;
	/* a trade's px is the execution price: E's is its resting px */
	if (UNLIKELY(e->msg_type == 'C'))
		e->px = c->exec_px;
	/* the symbol's flags as the book left them: sym_flags without the
	 * symbol's address and load (f->md_flags has the feed's stale bit:
	 * callgrind on many3m, ~3 instructions an event fewer than the
	 * constant table and f->stale apart) */
	e->flags = (uint8_t)(f->md_flags[c->sym_flags] | chg_top(c));
}

/* f's change record, its address worked out where it is used: in a loop
 * GCC would keep it in a register of its own, saved and reloaded around
 * every book call (the volatile asm keeps it from being hoisted;
 * callgrind on many3m: 1,462.07 M -> 1,457.46 M instructions). */
static ALWAYS_INLINE struct book_change *feed_chg(struct feed *f)
{
	struct book_change *c = &f->chg;

	__asm__ volatile("" : "+r"(c));
	return c;
}

/* One ITCH message, as on_msg_full, with n events already in out; returns
 * the events it wrote. The order messages (A F E C X D U, nine in ten) are
 * read straight off the wire into the book's apply functions and their
 * md_event is written from the book's change: no struct itch_msg, no second
 * dispatch on the type in book_apply. n by value and the count returned
 * keep the caller's count in a register (the cold calls take a copy).
 * block (a constant): msg is a MoldUDP64 block off mold's cursor, never
 * empty (mold refuses a zero length), so len needs no test of its own;
 * callers of any other message (feed_on_message, feed_on_item) pass
 * false. With the length and kind from f->order_info as feed_pull takes
 * them: callgrind on many3m, 1664.3 M -> 1652.2 M instructions in all.
 * exact (a constant): msg is an order message of its type's length
 * exactly (the lookahead's kind said so): len is not read. hashed (a
 * constant): h is the book_hash32 of the reference at
 * ITCH_OFF_BODY, from the lookahead's stage 1 (apply_order). room (a
 * constant): the caller knows n < cap (its event goes to out[n]). */
static ALWAYS_INLINE uint32_t on_msg(struct feed *f, const uint8_t *msg, size_t len, uint64_t seq,
				     uint64_t t_rx_tsc, struct md_event *out, uint32_t cap,
				     uint32_t n, const bool all, const bool block, const bool exact,
				     uint32_t h, const bool hashed, const bool room)
{
	struct book_set *bs = f->books;
	struct md_event *e;
	uint64_t ts, info;
	uint32_t need, k;
	uint8_t type;
	int rc;

	if (!block && UNLIKELY(len == 0))
		goto full;
	/* As feed_pull: length and kind in one load off f, one test for the
	 * common length (len >= 1 here: need == 0 fails it), a longer
	 * message counted below. */
	type = msg[ITCH_OFF_TYPE];
	info = f->order_tail[type];
	need = info & 0xff;
	if (!exact && UNLIKELY(len != need) && (need == 0 || len < need))
		goto full;
	ts = order_ts(msg);
	if (UNLIKELY(ts > f->stop_ts_ns)) {
		f->stopped = true;
		return 0;
	}
	if (!exact && UNLIKELY(len != need))
		f->st.itch_long++;
	f->st.msgs++;
	f->st.by_type[type]++;
	if (!all && !feed_sym_kept(f, wire_get16(msg + ITCH_OFF_LOCATE))) {
		f->st.not_kept++;
		note_silent(f, ts);
		return 0;
	}
	/* In place in its output slot (see on_msg_full), and what does not
	 * depend on the book written before the book's call: fewer values
	 * live across it (a slot past the count returned is the caller's
	 * scratch, and a refusal leaves it unused). */
	e = room || LIKELY(n < cap) ? &out[n] : &f->ev_scratch;
	e->t_rx_tsc = t_rx_tsc;
	e->t_exch_ns = ts;
	e->seq = seq;
	event_tail_put(e, info);
	rc = apply_order(bs, msg, type, h, hashed, feed_chg(f));
	if (UNLIKELY(rc < 0)) {
		f->st.book_refused++;
		note_silent(f, ts);
		k = n;
		if (rc == -BOOK_EORDERS || rc == -BOOK_ELEVELS)
			sym_pool_full(f, feed_chg(f)->locate, e->seq, e->t_rx_tsc,
				      out, cap, &k);
		return k - n;
	}
	event_from_change(f, e, feed_chg(f));
	if (room || LIKELY(e != &f->ev_scratch)) {
		f->st.md_events++;
		return 1;
	}
	f->st.md_overruns++;
	note_silent(f, ts);
	return 0;
full:
	k = n;
	on_msg_full(f, msg, len, seq, t_rx_tsc, out, cap, &k);
	return k - n;
}

/* Books go stale while any session has a gap open, and fresh again when the
 * gap is filled; once messages were given up as lost they stay stale. */
static void set_stale(struct feed *f, bool stale, uint64_t seq, uint64_t t_rx_tsc,
		      struct md_event *out, uint32_t cap, uint32_t *n)
{
	if (f->stale == stale)
		return;
	f->stale = stale;
	md_flags_set(f);
	f->st.stale_episodes += stale;
	/* Feed-wide: md_event flags and feed_sym_stale() read f->stale, so a
	 * gap costs nothing per symbol (rewriting every symbol's flags made
	 * each reordered packet a 4 MiB sweep). */
	emit_feed_state(f, seq, t_rx_tsc, out, cap, n);
}

/* One item from mold_next: a message, or a session event. */
static ALWAYS_INLINE void on_item(struct feed *f, const struct mold_item *it, uint64_t t_rx_tsc,
				  struct md_event *out, uint32_t cap, uint32_t *n, const bool all)
{
	switch (it->kind) {
	case MOLD_MSG:
		*n += on_msg(f, it->msg, it->len, it->seq, t_rx_tsc, out, cap, *n, all, false, false,
			     0, false, false);
		break;
	case MOLD_EV_GAP:
		f->st.gaps++;
		set_stale(f, true, it->seq, t_rx_tsc, out, cap, n);
		break;
	case MOLD_EV_LOST:
		/* Messages are gone: no book can be proven right any more, so
		 * they stay stale (a retransmission or snapshot would be the
		 * way back; the capture replay has neither). */
		f->st.lost += it->count;
		f->lost_unrecovered = true;
		break;
	case MOLD_EV_RECOVERED:
		set_stale(f, f->mold.nholes > 0 || f->lost_unrecovered, it->seq, t_rx_tsc, out,
			  cap, n);
		break;
	default:
		break;
	}
}

uint32_t feed_on_item(struct feed *f, const struct mold_item *it, uint64_t t_rx_tsc,
		      struct md_event *out, uint32_t cap)
{
	uint32_t n = 0;

	on_item(f, it, t_rx_tsc, out, cap, &n, f->keep_all);
	return n;
}

/* ---- burst pipeline (feed_on_burst) -----------------------------------
 *
 * A window of the burst's frames is parsed up front (net_parse_link and
 * mold_parse are pure, so doing it early changes nothing; mold then takes
 * the parse with mold_rx_parsed) and its message blocks are listed by that
 * parse (mold_parse_list) in pf_win.msg, in frame order, which is the
 * order mold delivers them in the common case. While message t of the window is applied, three dependent
 * prefetch stages run ahead on that list, so each finds what the previous
 * one asked for already in cache: the table slot (and the symbol) of
 * message t + 3 * FEED_PF_DIST, the order that slot names at t + 2 *
 * FEED_PF_DIST, that order's FIFO neighbours and level at t + FEED_PF_DIST.
 * An add's stages 2 and 3 follow its symbol instead: the best level (at
 * the best price) then its last order, else the best ladder chunk then the
 * level the chunk gives for the price (bench_feed, many3m, 8 alternating
 * runs, median ns/message: bursts 105.6 -> 97.3, runs of 96 83.4 -> 80.2).
 * The stages only read the frames and the book; prefetching changes no
 * state, so the burst gives exactly feed_on_frame's results whatever mold
 * does with the packets (duplicates, reordering only waste prefetches).
 * They do not test feed_keep_symbols' set either: a skipped symbol's
 * message costs prefetches, and the feed that keeps every book no test.
 */

/* Messages between prefetch stages. bench_feed, 5 M-message 'many' capture
 * (~2 messages a frame, ~80k live orders in an 8 M-order table: the slot is
 * the DRAM miss, orders and levels mostly L3 hits), bursts of 32 frames,
 * 2-vCPU EPYC VM, median of 3, ns/message: D=2 124, 3 120, 4 119, 6 133,
 * 8 126 (runs of 96 unframed messages: 83, 78, 76, 82, 81). Below 4 the
 * slot's miss is not covered; above, the per-window prologue grows and
 * more lines are in flight than the miss buffers hold. */
#ifndef FEED_PF_DIST
#define FEED_PF_DIST 4u
#endif

/* Messages a window lists (8 KiB of pointers, 9 KiB of notes). A window
 * ends before the frame that would overflow it; a single frame with more
 * lists its first FEED_WIN_MSGS and applies the rest without prefetching. */
#define FEED_WIN_MSGS 1024u
_Static_assert(FEED_WIN_MSGS < MOLD_COUNT_END, "mold_parse_list_ok's max is below the end's count");

/* One frame of the window, parsed. The common frame (fast: frame_fast's
 * case as far as the frame alone tells it -- untagged Ethernet/IPv4/UDP
 * from line A's source that the filter passes, a well-formed MoldUDP64
 * packet with messages that the window lists whole) keeps the three fields
 * mold_rx_fast_seq needs, on one line; only the other frames keep the
 * whole parse (writing and reading it back cost ~110 Ir a packet). */
struct win_frame {
	const uint8_t *pkt;  /* fast: the MoldUDP64 packet (UDP payload) */
	uint64_t seq;        /* fast: its header's sequence */
	uint32_t first;      /* window index of its first message */
	uint16_t nmsgs;      /* fast: its message count */
	bool fast;
	bool pass;           /* not fast: a UDP datagram the filter takes */
	int net_rc;          /* not fast: net_parse_link */
	int mold_rc;         /* not fast, pass: mold_parse's result */
	struct net_udp u;    /* not fast */
	struct mold_pkt mp;  /* not fast, pass: mold_parse of the payload */
};

struct pf_win {
	/* The book set's header as the window starts: the stages read only
	 * what book_init set (arrays, mask, sizes), which never change, and a
	 * copy here is read off the stack pointer, not through the book set's
	 * pointer loaded again after every book call (callgrind on many3m). */
	struct book_set bs;
	uint32_t nmsgs;      /* entries of msg[] listed */
	uint32_t next;       /* first window index whose stages are not issued */
	/* Each listed message (by mold_parse_list) and its pf_kind bits, 0
	 * when the stages have nothing to do for it (not an order message, or
	 * not of its type's length), set by stage 1 for stages 2 and 3, so they test a byte,
	 * not the message; past nmsgs (up to 3 * FEED_PF_DIST past), pf_none,
	 * whose kind is 0. */
	const uint8_t *msg[FEED_WIN_MSGS + 3 * FEED_PF_DIST];
	uint8_t kind[FEED_WIN_MSGS + 3 * FEED_PF_DIST];
	/* What the stages pass on: the reference's book_hash32 (stage 1,
	 * for stage 2's probe) and the order index that probe found (stage
	 * 2, for stage 3), so each reference is hashed and probed once; for
	 * an add, the level or chunk index stage 2 started loading. */
	uint32_t h[FEED_WIN_MSGS + 3 * FEED_PF_DIST];
	uint32_t o[FEED_WIN_MSGS + 3 * FEED_PF_DIST];
};

/* The stages' pf_kind bits for a message: its type's if it is an order
 * message long enough for on_msg to apply it, else 0 (nothing to do). */
static ALWAYS_INLINE uint8_t pf_msg_kind(const uint8_t *msg, size_t len)
{
	uint8_t type;

	if (UNLIKELY(len == 0))
		return 0;
	type = msg[ITCH_OFF_TYPE];
	return len >= (pf_info[type] & 0xffu) ? (uint8_t)(pf_info[type] >> 8) : 0;
}

/* Stage 1: the table slot of the reference (and of U's new one, whose
 * insert probes too) and the symbol; returns the reference's book_hash32
 * for stage 2. k: pf_msg_kind of m, not 0. */
static ALWAYS_INLINE uint32_t pf_ref(const struct book_set *bs, const uint8_t *m, uint8_t k)
{
	uint32_t h;

	book_prefetch_sym(bs, wire_get16(m + ITCH_OFF_LOCATE));
	h = book_hash32(bs, wire_get64(m + ITCH_OFF_BODY));
	book_prefetch_slot_hash(bs, h);
	if (k & PF_K_NEW)
		book_prefetch_ref(bs, wire_get64(m + ITCH_OFF_U_NEW));
	return h;
}

/* Stage 2 (PF_K_OLD only): the resting order that the reference with
 * hash h names; returns its index (or BOOK_NIL) for stage 3. */
static ALWAYS_INLINE uint32_t pf_order(const struct book_set *bs, uint32_t h)
{
	uint32_t o = book_slot_peek_hash(bs, h);

	book_prefetch_order_at(bs, o);
	return o;
}

/* Stage 3 (PF_K_OLD only): order o's FIFO neighbours and level. */
static ALWAYS_INLINE void pf_links(const struct book_set *bs, uint32_t o)
{
	book_prefetch_links_at(bs, o);
}

/* Stage 2 for an add (PF_K_ADD; stage 1 asked for its symbol): the level
 * it joins if at the best price, else the ladder's best chunk. Returns
 * book_prefetch_add_top's answer, the index in *idx, for stage 3. */
static ALWAYS_INLINE unsigned pf_add_top(const struct book_set *bs, const uint8_t *m,
					 uint32_t *idx)
{
	return book_prefetch_add_top(bs, wire_get16(m + ITCH_OFF_LOCATE), m[ITCH_OFF_A_SIDE],
				     wire_get32(m + ITCH_OFF_A_PRICE), idx);
}

/* Stage 3 for an add: the level's last order, or the level in the chunk.
 * k: the message's pf_kind bits with stage 2's answer. */
static ALWAYS_INLINE void pf_add_next(const struct book_set *bs, const uint8_t *m, uint8_t k,
				      uint32_t idx)
{
	book_prefetch_add_next(bs, k >> PF_K_ADD_SHIFT, idx, m[ITCH_OFF_A_SIDE],
			       wire_get32(m + ITCH_OFF_A_PRICE));
}

/* A message block the stages skip (its length 1, type 0: pf_kind 0),
 * listed past the window's messages so that stage 1 needs no bound test. */
static const uint8_t pf_none[MOLD_BLOCK_HDR_LEN + 1] = { 0, 1, 0 };

/* The window's stages for index j (below nmsgs + 3 * FEED_PF_DIST), the
 * hash and the order index passed on in w->h[j] and w->o[j]: each
 * reference is hashed and probed once. */
static ALWAYS_INLINE void pf_win_ref(struct pf_win *w, uint32_t j)
{
	const uint8_t *m;
	uint32_t info;
	uint8_t k;

	m = w->msg[j]; /* past the list: pf_none's (pf_win_init) */
	/* mold_parse_list checked the block: at least one byte, its length
	 * in the two bytes before it: pf_msg_kind without its empty test
	 * (callgrind on many3m, the length and kind bits from one table
	 * rather than order_len and a kind table: 1530.0 M -> 1525.5 M).
	 * Only a message of its type's exact length: the kind tells on_msg
	 * that its length needs no test (drain_list_run; a longer one, rare,
	 * goes without prefetches). */
	info = pf_info[m[ITCH_OFF_TYPE]];
	k = mold_block_len(m - MOLD_BLOCK_HDR_LEN) == (info & 0xff) ? (uint8_t)(info >> 8) : 0;
	w->kind[j] = k;
	if (!k)
		return;
	book_prefetch_sym(&w->bs, wire_get16(m + ITCH_OFF_LOCATE));
	w->h[j] = book_hash32(&w->bs, wire_get64(m + ITCH_OFF_BODY));
	book_prefetch_slot_hash(&w->bs, w->h[j]);
	if (k & PF_K_NEW)
		book_prefetch_ref(&w->bs, wire_get64(m + ITCH_OFF_U_NEW));
}

static ALWAYS_INLINE void pf_win_order(struct pf_win *w, uint32_t j)
{
	if (w->kind[j] & PF_K_OLD) {
		w->o[j] = book_slot_peek_hash(&w->bs, w->h[j]);
		book_prefetch_order_at(&w->bs, w->o[j]);
	} else if (w->kind[j] & PF_K_ADD) {
		w->kind[j] |= (uint8_t)(pf_add_top(&w->bs, w->msg[j], &w->o[j]) << PF_K_ADD_SHIFT);
	}
}

static ALWAYS_INLINE void pf_win_links(const struct pf_win *w, uint32_t j)
{
	if (w->kind[j] & PF_K_OLD)
		book_prefetch_links_at(&w->bs, w->o[j]);
	else if (w->kind[j] & PF_K_ADD)
		pf_add_next(&w->bs, w->msg[j], w->kind[j], w->o[j]);
}

/* The stages of window index i: stage 1 for i + 3 * FEED_PF_DIST, 2 for
 * i + 2 * FEED_PF_DIST, 3 for i + FEED_PF_DIST. */
static ALWAYS_INLINE void pf_stages(struct pf_win *w, uint32_t i)
{
	pf_win_ref(w, i + 3 * FEED_PF_DIST);
	pf_win_order(w, i + 2 * FEED_PF_DIST);
	pf_win_links(w, i + FEED_PF_DIST);
}

/* Before applying a message of the packet's cursor: the stages of the next
 * window index. Mold delivers the listed messages in turn, so that is the
 * message's own index; when it delivers fewer (duplicates, overlaps) the
 * next frame's pf_catch_up skips ahead, when more (held packets released)
 * the stages just run further ahead. */
static ALWAYS_INLINE void pf_step(struct pf_win *w)
{
	if (LIKELY(w->next < w->nmsgs))
		pf_stages(w, w->next++);
}

/* Before a frame's messages: the stages of every window index before its
 * first (those of frames mold dropped or cut short), each in turn. */
static ALWAYS_INLINE void pf_catch_up(struct pf_win *w, uint32_t first)
{
	while (w->next < first)
		pf_stages(w, w->next++);
}

/* Drain mold; with w, advance the lookahead before each message. With
 * more (feed_pull), stop after the first message or session event that
 * writes an md_event, and say in *more whether mold has anything left. */
static ALWAYS_INLINE uint32_t drain_pf(struct feed *f, uint64_t t_rx_tsc, struct md_event *out,
				       uint32_t cap, struct pf_win *w, bool *more, const bool all)
{
	struct mold_item it;
	uint32_t n = 0;

	for (;;) {
		const uint8_t *msg;
		uint64_t seq;
		uint16_t len;

		/* The packet's messages straight from mold's cursor (no
		 * mold_item to fill), then whatever mold_next has after them. */
		while (mold_next_msg(&f->mold, &msg, &len, &seq)) {
			if (w)
				pf_step(w);
			n += on_msg(f, msg, len, seq, t_rx_tsc, out, cap, n, all, true, false, 0,
				    false, false);
			if (more && n) {
				*more = !mold_drained(&f->mold);
				return n;
			}
		}
		if (!mold_next(&f->mold, &it))
			break;
		on_item(f, &it, t_rx_tsc, out, cap, &n, all);
		if (more && n) {
			*more = !mold_drained(&f->mold);
			return n;
		}
	}
	if (more)
		*more = false;
	return n;
}

static uint32_t drain(struct feed *f, uint64_t t_rx_tsc, struct md_event *out, uint32_t cap)
{
	return drain_pf(f, t_rx_tsc, out, cap, NULL, NULL, f->keep_all);
}

/* Hand a MoldUDP64 packet to mold (wf: the window's parse of it): true
 * when its messages, or what it released, wait in mold_next. */
static ALWAYS_INLINE bool packet_take(struct feed *f, const uint8_t *pkt, size_t len, int line,
				      uint64_t t_ns, const struct win_frame *wf)
{
	int rc;

	f->st.packets++;
	if (wf)
		rc = mold_rx_parsed(&f->mold, pkt, len, &wf->mp, wf->mold_rc, line, t_ns);
	else
		rc = mold_rx(&f->mold, pkt, len, line, t_ns);
	if (UNLIKELY(rc < 0)) {
		f->st.packets_bad++;
		/* -EBUSY, -EINVAL: nothing was taken */
		return rc != -EBUSY && rc != -EINVAL;
	}
	return true;
}

/* feed_on_packet; with wf (the window's parse of it), w's lookahead. */
static ALWAYS_INLINE uint32_t packet_rx(struct feed *f, const uint8_t *pkt, size_t len,
					int line, uint64_t t_ns, uint64_t t_rx_tsc,
					struct md_event *out, uint32_t cap,
					const struct win_frame *wf, struct pf_win *w, const bool all)
{
	if (!packet_take(f, pkt, len, line, t_ns, wf))
		return 0;
	return drain_pf(f, t_rx_tsc, out, cap, w, NULL, all);
}

uint32_t feed_on_packet(struct feed *f, const uint8_t *pkt, size_t len, int line,
			uint64_t t_ns, uint64_t t_rx_tsc, struct md_event *out,
			uint32_t cap)
{
	return packet_rx(f, pkt, len, line, t_ns, t_rx_tsc, out, cap, NULL, NULL, f->keep_all);
}

/* A datagram's (source address, source port, VLAN) as one comparable word. */
static ALWAYS_INLINE uint64_t source_key(const struct net_udp *u)
{
	return (uint64_t)u->src_ip << 32 | (uint64_t)u->src_port << 16 | u->vlan_id;
}

/* Line A's template for frame_fast and the burst window, once line A is
 * known: only for an Ethernet link and an untagged line A (vlan 0), as
 * net_fast_parse takes untagged Ethernet frames only. Cold. */
static void fast_source_learn(struct feed *f)
{
	uint64_t key = f->source[0];

	if (f->fast_on || f->nsources == 0 || (key & 0xffff) != 0 || f->link != NET_LINK_ETH)
		return;
	net_fast_set(&f->fast, (uint32_t)(key >> 32), (uint16_t)(key >> 16), &f->filter);
	f->fast_on = true;
}

/* Line of a datagram: its source's order of first appearance (A, then B). */
static ALWAYS_INLINE int source_line(struct feed *f, const struct net_udp *u)
{
	uint64_t key = source_key(u);

	/* Line A's frames first: one compare for a single-line capture. */
	if (LIKELY(f->source[0] == key && f->nsources != 0))
		return MOLD_LINE_A;
	for (uint32_t i = 1; i < f->nsources; i++) {
		if (f->source[i] == key)
			return MOLD_LINE_B;
	}
	if (f->nsources < FEED_SOURCES_MAX) {
		f->source[f->nsources++] = key;
		if (f->nsources > 2)
			f->st.sources_extra++;
		return f->nsources == 1 ? MOLD_LINE_A : MOLD_LINE_B;
	}
	f->st.sources_extra++;
	return MOLD_LINE_B;
}

/* The frame's link, filter and MoldUDP64 halves (feed_on_frame without the
 * drain): true when mold took the packet and its messages wait in
 * mold_next. */
static ALWAYS_INLINE bool frame_rx(struct feed *f, const uint8_t *frame, size_t caplen,
				   size_t wirelen, uint64_t t_ns)
{
	struct net_udp u;
	int rc;

	f->st.frames++;
	rc = net_parse_link(f->link, frame, caplen, wirelen, &u);
	net_stats_count(&f->st.net, rc);
	if (UNLIKELY(rc < 0))
		return false;
	if (!net_filter_match(&f->filter, &u)) {
		f->st.net.filtered++;
		return false;
	}
	return packet_take(f, u.payload, u.payload_len, source_line(f, &u), t_ns, NULL);
}

uint32_t feed_on_frame(struct feed *f, const uint8_t *frame, size_t caplen,
		       size_t wirelen, uint64_t t_ns, uint64_t t_rx_tsc,
		       struct md_event *out, uint32_t cap)
{
	/* frame_rx inline, not packet_rx through feed_on_packet: the
	 * frame's parse stays in registers. */
	if (!frame_rx(f, frame, caplen, wirelen, t_ns))
		return 0;
	if (f->keep_all)
		return drain_pf(f, t_rx_tsc, out, cap, NULL, NULL, true);
	return drain_pf(f, t_rx_tsc, out, cap, NULL, NULL, false);
}

/* The common frame whole, for feed_frame_begin: untagged Ethernet/IPv4/UDP
 * that the filter passes, from line A's source, carrying the next in-order
 * MoldUDP64 packet of mold's last session (mold_rx_fast's case). Checks
 * first, then exactly frame_rx's updates for it: true when taken, false with
 * nothing changed otherwise. Its parse never leaves registers: frame_rx's
 * goes to memory for net_parse_link_slow and mold_rx_slow, and its six
 * saved registers cost ~17 Ir a packet. It makes no call (a malformed
 * packet's reason is the general path's: mold_parse_ok), so
 * feed_frame_begin saves no registers either. The frame's fixed header
 * fields, the filter and line A's source are one masked compare of its
 * bytes against line A's template (net_fast_parse, f->fast). */
static ALWAYS_INLINE bool frame_fast(struct feed *f, const uint8_t *frame, size_t caplen,
				    size_t wirelen, uint64_t t_ns)
{
	const uint8_t *pkt = frame + NET_FAST_PAYLOAD;
	struct mold_pkt mp;
	uint32_t len;

	if (UNLIKELY(!net_fast_parse(&f->fast, frame, caplen, wirelen, &len)) ||
	    UNLIKELY(len < MOLD_HDR_LEN) ||
	    UNLIKELY(!mold_parse_ok(pkt, len, &mp)) ||
	    UNLIKELY(!mold_rx_fast(&f->mold, pkt, &mp, MOLD_LINE_A, t_ns)))
		return false;
	f->st.frames++;
	net_stats_count(&f->st.net, 0);
	f->st.packets++;
	return true;
}

/* feed_frame_begin past frame_fast: every frame and case. */
static NOINLINE COLD void frame_begin_slow(struct feed *f, const uint8_t *frame, size_t caplen,
					   size_t wirelen, uint64_t t_ns)
{
	(void)frame_rx(f, frame, caplen, wirelen, t_ns);
	fast_source_learn(f); /* line A's template for frame_fast, once known */
}

FEED_NO_SLP void feed_frame_begin(struct feed *f, const uint8_t *frame, size_t caplen,
				  size_t wirelen, uint64_t t_ns)
{
	if (LIKELY(frame_fast(f, frame, caplen, wirelen, t_ns)))
		return;
	frame_begin_slow(f, frame, caplen, wirelen, t_ns);
}

/* feed_pull's cases past its loop. Each returns what it wrote (0 or 1
 * event) and sets *more; a message that wrote none returns 0 with *more
 * still true, and the caller pulls again: no pull calls another, so a
 * packet of such messages takes no stack. Only whether cap is 0 matters
 * to a pull: it writes one event at most, at out[0]. */

/* mold_next has more than the packet's cursor: events, held packets. */
static NOINLINE uint32_t pull_slow(struct feed *f, uint64_t t_rx_tsc, struct md_event *out,
				   uint32_t cap, bool *more)
{
	return drain_pf(f, t_rx_tsc, out, cap, NULL, more, false);
}

/* A message on_msg does not apply itself (not an order message, or
 * shorter than its type): on_msg_full's, as on_msg does. */
static NOINLINE COLD uint32_t pull_full(struct feed *f, const uint8_t *msg, uint16_t len,
					uint64_t seq, uint64_t t_rx_tsc, struct md_event *out,
					uint32_t cap, bool *more)
{
	uint32_t k = 0;

	on_msg_full(f, msg, len, seq, t_rx_tsc, out, cap, &k);
	*more = !mold_drained(&f->mold);
	return k;
}

/* The book refused the message whose event header e holds, with rc and
 * the change record's locate (a pool's refusal sets it): on_msg's
 * refusal. e is out[0], or the scratch slot when cap was 0. (*more: set
 * by feed_pull before the book's call.) */
static NOINLINE COLD uint32_t pull_refused(struct feed *f, struct md_event *e, int rc,
					   uint16_t locate)
{
	struct md_event *out = e != &f->ev_scratch ? e : NULL;
	uint32_t cap = out != NULL, k = 0;

	f->st.book_refused++;
	note_silent(f, e->t_exch_ns);
	if (rc == -BOOK_EORDERS || rc == -BOOK_ELEVELS)
		sym_pool_full(f, locate, e->seq, e->t_rx_tsc, out, cap, &k);
	return k;
}

/* cap was 0: the event e (the scratch slot) is counted as an overrun. A
 * return, not feed_pull's loop: that loop would keep t_rx_tsc, out and cap
 * across the book's call. (*more: as for pull_refused.) */
static NOINLINE COLD uint32_t pull_overrun(struct feed *f, const struct md_event *e)
{
	f->st.md_overruns++;
	note_silent(f, e->t_exch_ns);
	return 0;
}

/* feed_pull's work; room (a constant): cap > 0, the event goes to out[0],
 * else to the scratch slot and is counted as an overrun. drain_pf's loop
 * for one event, with on_msg's steps written out: its count is always 0
 * here, and after the book's call only f and the event are live (more is
 * written before it; every other case returns, to be pulled again), so
 * fewer registers are saved on each call. Exactly drain_pf's results. */
static ALWAYS_INLINE uint32_t pull(struct feed *f, uint64_t t_rx_tsc, struct md_event *out,
				   uint32_t cap, bool *more, const bool room)
{
	struct mold *m = &f->mold;
	const uint8_t *msg;
	uint64_t seq;
	uint16_t len;

	/* (m opaque each time round: else GCC keeps the cursor's seq in a
	 * register and mold's message count as seq plus a spilled offset,
	 * ~7 Ir a message more than counting it in memory) */
	for (;;) {
		struct book_change c;
		struct md_event *e;
		uint64_t ts;
		uint8_t type;
		uint32_t need, info;
		int rc;

		__asm__("" : "+r"(m));
		if (!mold_next_msg(m, &msg, &len, &seq))
			break;
		/* mold's blocks are never empty (MOLD_EZERO): msg[0] is the
		 * type. One test for the common length; a longer message is
		 * counted below, as on_msg does. */
		type = msg[ITCH_OFF_TYPE];
		info = f->order_info[type];
		need = info & 0xff;
		if (UNLIKELY(len != need) && (need == 0 || len < need))
			return pull_full(f, msg, len, seq, t_rx_tsc, out, cap, more);
		ts = order_ts(msg);
		if (UNLIKELY(ts > f->stop_ts_ns)) {
			f->stopped = true;
			continue;
		}
		if (UNLIKELY(len != need))
			f->st.itch_long++;
		f->st.msgs++;
		f->st.by_type[type]++;
		if (!feed_wire_kept(f, msg + ITCH_OFF_LOCATE)) {
			f->st.not_kept++;
			note_silent(f, ts);
			continue;
		}
		/* What is left does not depend on the book: told before its
		 * call, so that `more` need not live across it (a saved
		 * register fewer), and before the event's byte stores, after
		 * which mold's count would be loaded again. */
		*more = !mold_drained(&f->mold);
		e = room ? out : &f->ev_scratch;
		e->t_rx_tsc = t_rx_tsc;
		e->t_exch_ns = ts;
		e->seq = seq;
		e->msg_type = type;
		e->kind = (uint8_t)(info >> 8);
		e->pad[0] = e->pad[1] = 0;
		rc = apply_order(f->books, msg, type, 0, false, &c);
		if (UNLIKELY(rc < 0))
			return pull_refused(f, e, rc, c.locate);
		event_from_change(f, e, &c);
		if (!room)
			return pull_overrun(f, e);
		f->st.md_events++;
		return 1;
	}
	/* what mold_next would find: nothing left */
	if (LIKELY(mold_drained_past_cursor(&f->mold))) {
		*more = false;
		return 0;
	}
	return pull_slow(f, t_rx_tsc, out, cap, more);
}

/* feed_pull with cap 0 (out full): its own copy, so that the usual pull
 * neither picks the event's slot nor tests it after the book's call. */
static NOINLINE COLD uint32_t pull_nocap(struct feed *f, uint64_t t_rx_tsc,
					 struct md_event *out, bool *more)
{
	return pull(f, t_rx_tsc, out, 0, more, false);
}

/* One copy (NOCLONE): tickwire paper's warm-up runs it ahead of the
 * replay. It always tests the kept set: the paper run keeps the quoted
 * symbols only, and a second copy without the test cost that run ~9 M
 * instructions a million messages (callgrind) for the call's branch. cap
 * is tested once, on entry (pull_nocap), rather than for each event: 2
 * instructions a call, where picking the slot and testing it after the
 * book's call took 6 an event. */
NOCLONE uint32_t feed_pull(struct feed *f, uint64_t t_rx_tsc, struct md_event *out,
			   uint32_t cap, bool *more)
{
	if (UNLIKELY(cap == 0))
		return pull_nocap(f, t_rx_tsc, out, more);
	return pull(f, t_rx_tsc, out, cap, more, true);
}

/* Parse frames of the burst into wf[] and list their messages in w, up to
 * n frames or until the list is full; then issue the stages' prologue (all
 * the first slots, then orders, then links, each batch's misses
 * overlapping). Returns the frames taken (>= 1 when n >= 1). */
static uint32_t pf_win_init(struct pf_win *w, const struct feed *f, const struct feed_frame *fr,
			    uint32_t n, struct win_frame *wf)
{
	uint32_t k = 0, i;

	w->bs = *f->books;
	w->next = 0;
	for (i = 0; i < n; i++) {
		struct win_frame *x = &wf[i];
		const uint8_t *pkt = fr[i].data + NET_FAST_PAYLOAD;
		uint64_t seq;
		uint32_t cnt, len;
		uint16_t nm;

		x->first = k;
		/* frame_fast's tests that need no state but line A's key;
		 * the block walk lists the messages (any failure: the general
		 * parse below, which lists them again) */
		if (LIKELY(net_fast_parse(&f->fast, fr[i].data, fr[i].caplen, fr[i].wirelen,
					  &len)) &&
		    LIKELY(mold_parse_list_ok(pkt, len, &w->msg[k], FEED_WIN_MSGS - k, &seq,
					      &nm))) {
			x->pkt = pkt;
			x->seq = seq;
			x->nmsgs = nm;
			x->fast = true;
			k += nm;
			continue;
		}
		x->fast = false;
		x->net_rc = net_parse_link(f->link, fr[i].data, fr[i].caplen, fr[i].wirelen, &x->u);
		x->pass = x->net_rc == 0 && net_filter_match(&f->filter, &x->u);
		if (!x->pass)
			continue;
		/* The parse lists the messages as it checks the blocks. */
		x->mold_rc = mold_parse_list(x->u.payload, x->u.payload_len, &x->mp, &w->msg[k],
					     FEED_WIN_MSGS - k);
		if (x->mold_rc != 0)
			continue;
		cnt = x->mp.nmsgs;
		if (UNLIKELY(cnt > FEED_WIN_MSGS - k)) {
			if (i > 0)
				break; /* the next window starts with it */
			cnt = FEED_WIN_MSGS;
		}
		k += cnt;
	}
	w->nmsgs = k;
	for (uint32_t j = k; j < k + 3 * FEED_PF_DIST; j++)
		w->msg[j] = pf_none + MOLD_BLOCK_HDR_LEN;
	for (uint32_t j = 0; j < 3 * FEED_PF_DIST; j++)
		pf_win_ref(w, j);
	for (uint32_t j = 0; j < 2 * FEED_PF_DIST; j++)
		pf_win_order(w, j);
	for (uint32_t j = 0; j < FEED_PF_DIST; j++)
		pf_win_links(w, j);
	return i;
}

/* A frame of the burst past its inline case: feed_on_frame's steps up to
 * the drain (frame_rx), with the window's parse x when it kept it, then
 * line A's key for the window's fast test once known (as
 * frame_begin_slow). A fast frame that mold_rx_fast_seq refused changed
 * nothing: it is parsed again. True when its messages wait in mold. */
static NOINLINE bool burst_frame_slow(struct feed *f, const struct feed_frame *fr,
				      const struct win_frame *x)
{
	bool taken;

	if (x->fast)
		return frame_rx(f, fr->data, fr->caplen, fr->wirelen, fr->t_ns);
	f->st.frames++;
	net_stats_count(&f->st.net, x->net_rc);
	if (UNLIKELY(x->net_rc < 0))
		return false;
	if (!x->pass) {
		f->st.net.filtered++;
		return false;
	}
	taken = packet_take(f, x->u.payload, x->u.payload_len, source_line(f, &x->u), fr->t_ns, x);
	fast_source_learn(f);
	return taken;
}

/* The messages of frames i .. r - 1 of the window (a run: consecutive
 * common frames whose packets mold_rx_fast_whole took, or would have, one
 * after another; run_take), which mold counts delivered and expects
 * applied, all, before its next call, with the lookahead at the first's
 * first window index: drain_pf's loop with the window's list (w->msg) for
 * mold's cursor. The listed messages are the cursor's blocks, so the
 * events, books and counters are drain_pf's; mold's cursor and busy flag
 * are not touched, and pf_step's bound test goes (the frames' messages
 * are in the window). The run's messages are consecutive in the list and
 * in sequence: one base for all; each frame's own t_rx_tsc. */
static ALWAYS_INLINE uint32_t drain_list_run(struct feed *f, struct pf_win *w,
					     const struct win_frame *wf,
					     const struct feed_frame *fr, uint32_t i, uint32_t r,
					     struct md_event *out, uint32_t cap, uint32_t n,
					     const bool all, const bool room)
{
	/* message j's sequence: base + j */
	const uint64_t base = wf[i].seq - wf[i].first;
	uint32_t j = wf[i].first;

	/* w->next written once, for the run: nothing in the loop reads it */
	w->next = wf[r - 1].first + wf[r - 1].nmsgs;
	for (uint32_t k = i; k != r; k++) {
		const uint32_t end = j + wf[k].nmsgs;
		const uint64_t t_rx_tsc = fr[k].t_rx_tsc;

		for (; j != end; j++) {
			const uint8_t *msg = w->msg[j];

			pf_stages(w, j);
			/* an order message of its type's length (its kind):
			 * stage 1 hashed its reference, and its length needs
			 * no test; any other (a longer one too: no hash) as
			 * on_msg takes it alone */
			if (LIKELY(w->kind[j] != 0))
				n += on_msg(f, msg, 0, base + j, t_rx_tsc, out, cap, n, all, true,
					    true, w->h[j], true, room);
			else
				n += on_msg(f, msg, mold_block_len(msg - MOLD_BLOCK_HDR_LEN),
					    base + j, t_rx_tsc, out, cap, n, all, true, false, 0,
					    false, room);
		}
	}
	return n;
}

/* drain_list_run; room for every message's event (a message writes one
 * at most) tested once for the run, not per message. */
static ALWAYS_INLINE uint32_t drain_list(struct feed *f, struct pf_win *w,
					 const struct win_frame *wf, const struct feed_frame *fr,
					 uint32_t i, uint32_t r, struct md_event *out, uint32_t cap,
					 uint32_t n, const bool all)
{
	if (LIKELY(cap - n >= wf[r - 1].first + wf[r - 1].nmsgs - wf[i].first))
		return drain_list_run(f, w, wf, fr, i, r, out, cap, n, all, true);
	return drain_list_run(f, w, wf, fr, i, r, out, cap, n, all, false);
}

/* After mold_rx_fast_whole took frame i of the window: the frames after
 * it whose packets mold_rx_fast_whole would take in turn, each the next
 * exactly of the same session (common frames, so line A's, with 1 or more
 * messages: sequence contiguous, session id equal to frame i's), taken in
 * one step (mold_rx_fast_whole_more). Returns one past the run's last
 * frame. Nothing between their drains calls mold, so counting them first
 * leaves the same state as a call before each (callgrind on many3m: the
 * check here ~10 instructions a packet against ~45 for the call). */
static ALWAYS_INLINE uint32_t run_take(struct mold *mo, const struct win_frame *wf,
				       const struct feed_frame *fr, uint32_t i, uint32_t m)
{
	const char *id = (const char *)wf[i].pkt + MOLD_OFF_SESSION;
	const uint64_t first = wf[i].seq + wf[i].nmsgs;
	uint64_t next = first, t_max = 0;
	uint32_t r = i + 1;

	while (r < m && wf[r].fast && wf[r].seq == next &&
	       mold_session_eq((const char *)wf[r].pkt + MOLD_OFF_SESSION, id)) {
		next += wf[r].nmsgs;
		t_max = fr[r].t_ns > t_max ? fr[r].t_ns : t_max;
		r++;
	}
	/* the run's messages: its sequence numbers, contiguous */
	if (r != i + 1)
		mold_rx_fast_whole_more(mo, MOLD_LINE_A, r - i - 1, next, next - first, t_max,
					fr[r - 1].t_ns);
	return r;
}

/* feed_on_burst, all: f->keep_all. */
static ALWAYS_INLINE uint32_t burst(struct feed *f, const struct feed_frame *frames, uint32_t n,
				    struct md_event *out, uint32_t cap, const bool all)
{
	struct win_frame wf[FEED_BURST_MAX];
	struct pf_win w;
	uint32_t ev = 0;
	/* Frames taken inline: their four counters (frame_fast's updates)
	 * are added once at the end, as nothing on the way reads them
	 * (callgrind on many3m: ~3 instructions a frame fewer). */
	uint64_t fast = 0;

	while (n) {
		uint32_t m = pf_win_init(&w, f, frames, n < FEED_BURST_MAX ? n : FEED_BURST_MAX, wf);

		/* From here on, feed_on_frame's steps with the parse reused:
		 * the common frame's (frame_fast's updates) inline, the rest in
		 * burst_frame_slow. */
		for (uint32_t i = 0; i < m; i++) {
			const struct win_frame *x = &wf[i];

			/* The common frame, its packet the session's next exactly,
			 * and the lookahead not run ahead of it (by held
			 * packets): its listed messages, mold's cursor unused. */
			if (LIKELY(x->fast) && LIKELY(w.next <= x->first) &&
			    LIKELY(mold_rx_fast_whole(&f->mold, x->pkt, x->seq, x->nmsgs,
						      MOLD_LINE_A, frames[i].t_ns))) {
				uint32_t r = run_take(&f->mold, wf, frames, i, m);

				fast += r - i;
				pf_catch_up(&w, x->first);
				ev = drain_list(f, &w, wf, frames, i, r, out, cap, ev, all);
				i = r - 1;
				continue;
			}
			if (LIKELY(x->fast) &&
			    LIKELY(mold_rx_fast_seq(&f->mold, x->pkt, x->seq, x->nmsgs, MOLD_LINE_A,
						    frames[i].t_ns))) {
				fast++;
			} else if (!burst_frame_slow(f, &frames[i], x)) {
				continue;
			}
			pf_catch_up(&w, x->first);
			ev += drain_pf(f, frames[i].t_rx_tsc, out + ev, cap - ev, &w, NULL, all);
		}
		frames += m;
		n -= m;
	}
	f->st.frames += fast;
	f->st.net.frames += fast;
	f->st.net.reason[NET_OK] += fast; /* net_stats_count(&f->st.net, 0) */
	f->st.packets += fast;
	return ev;
}

FEED_NO_SLP uint32_t feed_on_burst(struct feed *f, const struct feed_frame *frames, uint32_t n,
				   struct md_event *out, uint32_t cap)
{
	if (f->keep_all)
		return burst(f, frames, n, out, cap, true);
	return burst(f, frames, n, out, cap, false);
}

uint32_t feed_on_message(struct feed *f, const uint8_t *msg, size_t len, uint64_t seq,
			 uint64_t t_rx_tsc, struct md_event *out, uint32_t cap)
{
	return on_msg(f, msg, len, seq, t_rx_tsc, out, cap, 0, f->keep_all, false, false, 0,
		      false, false);
}

/* feed_on_messages' stages in flight, as pf_win's but in a ring: message
 * j's bytes, pf_kind bits (0 past the end), hash and order index at j %
 * size. */
#define FEED_PF_RING 16u
_Static_assert(FEED_PF_RING > 3 * FEED_PF_DIST && (FEED_PF_RING & (FEED_PF_RING - 1)) == 0,
	       "the ring holds every message between stage 1 and the apply");

struct pf_ring {
	const uint8_t *m[FEED_PF_RING];
	uint8_t kind[FEED_PF_RING];
	uint32_t h[FEED_PF_RING];
	uint32_t o[FEED_PF_RING];
};

/* Stage 1 for message j of n (a no-op past the end). */
static ALWAYS_INLINE void pf_ring_ref(struct pf_ring *r, const struct book_set *bs,
				      const struct feed_msg *msgs, uint32_t n, uint32_t j)
{
	uint32_t s = j & (FEED_PF_RING - 1);
	uint8_t k = j < n ? pf_msg_kind(msgs[j].data, msgs[j].len) : 0;

	r->kind[s] = k;
	if (k) {
		r->m[s] = msgs[j].data;
		r->h[s] = pf_ref(bs, msgs[j].data, k);
	}
}

static ALWAYS_INLINE void pf_ring_order(struct pf_ring *r, const struct book_set *bs, uint32_t j)
{
	uint32_t s = j & (FEED_PF_RING - 1);

	if (r->kind[s] & PF_K_OLD)
		r->o[s] = pf_order(bs, r->h[s]);
	else if (r->kind[s] & PF_K_ADD)
		r->kind[s] |= (uint8_t)(pf_add_top(bs, r->m[s], &r->o[s]) << PF_K_ADD_SHIFT);
}

static ALWAYS_INLINE void pf_ring_links(const struct pf_ring *r, const struct book_set *bs,
					uint32_t j)
{
	uint32_t s = j & (FEED_PF_RING - 1);

	if (r->kind[s] & PF_K_OLD)
		pf_links(bs, r->o[s]);
	else if (r->kind[s] & PF_K_ADD)
		pf_add_next(bs, r->m[s], r->kind[s], r->o[s]);
}

/* feed_on_messages, all: f->keep_all. */
static ALWAYS_INLINE uint32_t messages(struct feed *f, const struct feed_msg *msgs, uint32_t n,
				       uint64_t seq, uint64_t t_rx_tsc, struct md_event *out,
				       uint32_t cap, const bool all)
{
	const struct book_set *bs = f->books;
	const uint32_t d = FEED_PF_DIST;
	struct pf_ring r;
	uint32_t ev = 0, i;

	/* Prologue: the first 3d slots, then 2d orders, then d messages' links,
	 * each batch's misses overlapping. */
	for (i = 0; i < 3 * d; i++)
		pf_ring_ref(&r, bs, msgs, n, i);
	for (i = 0; i < 2 * d; i++)
		pf_ring_order(&r, bs, i);
	for (i = 0; i < d; i++)
		pf_ring_links(&r, bs, i);
	for (i = 0; i < n; i++) {
		pf_ring_ref(&r, bs, msgs, n, i + 3 * d);
		pf_ring_order(&r, bs, i + 2 * d);
		pf_ring_links(&r, bs, i + d);
		/* stage 1 hashed its reference (when on_msg applies it) */
		ev += on_msg(f, msgs[i].data, msgs[i].len, seq + i, t_rx_tsc, out, cap, ev, all,
			     false, false, r.h[i & (FEED_PF_RING - 1)], true, false);
	}
	return ev;
}

uint32_t feed_on_messages(struct feed *f, const struct feed_msg *msgs, uint32_t n,
			  uint64_t seq, uint64_t t_rx_tsc, struct md_event *out, uint32_t cap)
{
	if (f->keep_all)
		return messages(f, msgs, n, seq, t_rx_tsc, out, cap, true);
	return messages(f, msgs, n, seq, t_rx_tsc, out, cap, false);
}

uint32_t feed_advance(struct feed *f, uint64_t t_ns, uint64_t t_rx_tsc, struct md_event *out,
		      uint32_t cap)
{
	if (mold_advance(&f->mold, t_ns) != 0)
		return 0;
	return drain(f, t_rx_tsc, out, cap);
}

uint32_t feed_finish(struct feed *f, uint64_t t_rx_tsc, struct md_event *out, uint32_t cap)
{
	if (mold_flush(&f->mold) != 0)
		return 0;
	return drain(f, t_rx_tsc, out, cap);
}
