/* feed.c - the feed stage: frames to md_events through net, MoldUDP64,
 * ITCH and the L3 books. Set-up is cold; the on_* functions run on the feed
 * core and neither allocate nor call the kernel. */
#include "dataplane/feed.h"

#include <errno.h>
#include <string.h>

#include "dataplane/itch.h"

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

/* md_event flags from a symbol's state. */
static uint8_t sym_flags(const struct feed *f, const struct book_sym *s)
{
	uint8_t fl = 0;

	if (f->stale || (s->flags & BOOK_SYM_STALE))
		fl |= MD_F_STALE;
	if (s->flags & BOOK_SYM_CROSSED)
		fl |= MD_F_CROSSED;
	if (book_sym_halted(s))
		fl |= MD_F_HALTED;
	return fl;
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

/* One ITCH message: decode, apply, describe. */
static void on_msg(struct feed *f, const uint8_t *msg, size_t len, uint64_t seq,
		   uint64_t t_rx_tsc, struct md_event *out, uint32_t cap, uint32_t *n)
{
	struct itch_msg m;
	struct book_change c;
	struct md_event e;
	const struct book_sym *s;
	int d = itch_decode(msg, len, &m);

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
	if (UNLIKELY((size_t)d < len))
		f->st.itch_long++;
	f->st.msgs++;
	f->st.by_type[m.type]++;

	if (UNLIKELY(book_apply(f->books, &m, &c) < 0)) {
		f->st.book_refused++;
		return;
	}

	e.t_rx_tsc = t_rx_tsc;
	e.t_exch_ns = m.ts_ns;
	e.seq = seq;
	e.msg_type = m.type;
	e.pad[0] = e.pad[1] = 0;
	switch (m.type) {
	case 'A': case 'F': case 'X': case 'D': case 'U':
	case 'E': case 'C':
		e.kind = (m.type == 'E' || m.type == 'C') ? MD_TRADE : MD_BOOK;
		e.order_ref = c.ref;
		e.bid_px = c.bid_px;
		e.ask_px = c.ask_px;
		e.bid_qty = clamp32(c.bid_qty);
		e.ask_qty = clamp32(c.ask_qty);
		e.px = e.kind == MD_TRADE ? c.exec_px : c.px;
		e.qty = c.qty;
		e.locate = c.locate;
		e.side = c.side;
		s = book_sym_get(f->books, c.locate);
		e.flags = (uint8_t)(sym_flags(f, s) | ((c.flags & BOOK_CHG_TOP) ? MD_F_TOP : 0));
		break;
	case 'P':
	case 'Q':
		s = book_sym_get(f->books, m.locate);
		if (!s)
			return;
		e.kind = MD_TRADE;
		e.order_ref = m.type == 'P' ? m.trade.ref : 0;
		e.bid_px = s->best_px[BOOK_BID];
		e.ask_px = s->best_px[BOOK_ASK];
		e.bid_qty = clamp32(s->best_qty[BOOK_BID]);
		e.ask_qty = clamp32(s->best_qty[BOOK_ASK]);
		e.px = m.type == 'P' ? m.trade.price : m.cross.price;
		e.qty = m.type == 'P' ? m.trade.shares : clamp32(m.cross.shares);
		e.locate = m.locate;
		e.side = m.type == 'P' ? m.trade.side : 0;
		e.flags = sym_flags(f, s);
		break;
	default:
		if (!(c.flags & BOOK_CHG_STATE))
			return;
		s = book_sym_get(f->books, c.locate);
		if (!s)
			return;
		memset(&e.order_ref, 0, sizeof(e) - offsetof(struct md_event, order_ref));
		e.kind = MD_STATE;
		e.msg_type = m.type;
		e.locate = c.locate;
		e.bid_px = s->best_px[BOOK_BID];
		e.ask_px = s->best_px[BOOK_ASK];
		e.bid_qty = clamp32(s->best_qty[BOOK_BID]);
		e.ask_qty = clamp32(s->best_qty[BOOK_ASK]);
		e.flags = sym_flags(f, s);
		break;
	}
	emit(f, out, cap, n, &e);
}

/* Books go stale while any session has a gap open, fresh when it is back in
 * sequence (its missing messages filled, or given up and skipped). */
static void set_stale(struct feed *f, bool stale, uint64_t seq, uint64_t t_rx_tsc,
		      struct md_event *out, uint32_t cap, uint32_t *n)
{
	if (f->stale == stale)
		return;
	f->stale = stale;
	f->st.stale_episodes += stale;
	book_set_stale_all(f->books, stale);
	emit_feed_state(f, seq, t_rx_tsc, out, cap, n);
}

static uint32_t drain(struct feed *f, uint64_t t_rx_tsc, struct md_event *out, uint32_t cap)
{
	struct mold_item it;
	uint32_t n = 0;

	while (mold_next(&f->mold, &it)) {
		switch (it.kind) {
		case MOLD_MSG:
			on_msg(f, it.msg, it.len, it.seq, t_rx_tsc, out, cap, &n);
			break;
		case MOLD_EV_GAP:
			f->st.gaps++;
			set_stale(f, true, it.seq, t_rx_tsc, out, cap, &n);
			break;
		case MOLD_EV_LOST:
			f->st.lost += it.count;
			break;
		case MOLD_EV_RECOVERED:
			set_stale(f, f->mold.nholes > 0, it.seq, t_rx_tsc, out, cap, &n);
			break;
		default:
			break;
		}
	}
	return n;
}

uint32_t feed_on_packet(struct feed *f, const uint8_t *pkt, size_t len, int line,
			uint64_t t_ns, uint64_t t_rx_tsc, struct md_event *out,
			uint32_t cap)
{
	int rc;

	f->st.packets++;
	rc = mold_rx(&f->mold, pkt, len, line, t_ns);
	if (UNLIKELY(rc == -EBUSY || rc == -EINVAL)) {
		f->st.packets_bad++;
		return 0;
	}
	if (UNLIKELY(rc < 0))
		f->st.packets_bad++;
	return drain(f, t_rx_tsc, out, cap);
}

/* Line of a datagram: its source's order of first appearance (A, then B). */
static int source_line(struct feed *f, const struct net_udp *u)
{
	for (uint32_t i = 0; i < f->nsources; i++) {
		if (f->source[i].ip == u->src_ip && f->source[i].port == u->src_port &&
		    f->source[i].vlan == u->vlan_id)
			return i == 0 ? MOLD_LINE_A : MOLD_LINE_B;
	}
	if (f->nsources < FEED_SOURCES_MAX) {
		f->source[f->nsources].ip = u->src_ip;
		f->source[f->nsources].port = u->src_port;
		f->source[f->nsources].vlan = u->vlan_id;
		f->nsources++;
		if (f->nsources > 2)
			f->st.sources_extra++;
		return f->nsources == 1 ? MOLD_LINE_A : MOLD_LINE_B;
	}
	f->st.sources_extra++;
	return MOLD_LINE_B;
}

uint32_t feed_on_frame(struct feed *f, const uint8_t *frame, size_t caplen,
		       size_t wirelen, uint64_t t_ns, uint64_t t_rx_tsc,
		       struct md_event *out, uint32_t cap)
{
	struct net_udp u;
	int rc;

	f->st.frames++;
	rc = net_parse_link(f->link, frame, caplen, wirelen, &u);
	net_stats_count(&f->st.net, rc);
	if (UNLIKELY(rc < 0))
		return 0;
	if (!net_filter_match(&f->filter, &u)) {
		f->st.net.filtered++;
		return 0;
	}
	return feed_on_packet(f, u.payload, u.payload_len, source_line(f, &u), t_ns,
			      t_rx_tsc, out, cap);
}

uint32_t feed_on_message(struct feed *f, const uint8_t *msg, size_t len, uint64_t seq,
			 uint64_t t_rx_tsc, struct md_event *out, uint32_t cap)
{
	uint32_t n = 0;

	on_msg(f, msg, len, seq, t_rx_tsc, out, cap, &n);
	return n;
}

uint32_t feed_finish(struct feed *f, uint64_t t_rx_tsc, struct md_event *out, uint32_t cap)
{
	if (mold_flush(&f->mold) != 0)
		return 0;
	return drain(f, t_rx_tsc, out, cap);
}
