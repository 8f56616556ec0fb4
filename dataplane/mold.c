/* mold.c - MoldUDP64 sessions, A/B arbitration and gap handling (mold.h).
 * mold_rx classifies a packet (in order, duplicate, ahead, heartbeat) and
 * mold_next settles sessions lazily: buffered packets at the expected seq,
 * gaps opened, filled or given up, recovery and end events. No allocation
 * after mold_init; no clock but the packets' stamps. Feed-core thread. */
#include "dataplane/mold.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(MOLD_HDR_LEN == 20, "MoldUDP64 header is 20 bytes");
_Static_assert(MOLD_REQUEST_LEN == MOLD_HDR_LEN, "re-request has the header's shape");
_Static_assert(MOLD_BLOCK_HDR_LEN == 2, "block length is a u16");

enum {
	MOLD_MAX_SESSIONS = 4096,
	MOLD_MAX_SLOTS = 4096,
	MOLD_MAX_SLOT_BYTES = 65536,
	MOLD_MAX_GAP_LOG = 1 << 20,
};

const char *const mold_reason_names[MOLD_REASON_COUNT] = {
	[MOLD_OK] = "ok",
	[MOLD_ESHORT] = "short-header",
	[MOLD_EBLOCK] = "block-past-end",
	[MOLD_EZERO] = "zero-length-block",
	[MOLD_ECOUNT_HIGH] = "count-too-high",
	[MOLD_ECOUNT_LOW] = "count-too-low",
	[MOLD_ESEQ] = "sequence-overflow",
};

/* The one bounds check of mold_parse: n more bytes must remain at off. */
#define NEED(n, reason)                                   \
	do {                                              \
		if (UNLIKELY(len - off < (size_t)(n)))    \
			return -(reason);                 \
	} while (0)

/* Which reason a packet whose blocks failed mold_parse_fast's quick test
 * has: the block walk done one check at a time (see NEED). Cold. */
COLD int mold_parse_reason(const uint8_t *pkt, size_t len, unsigned n)
{
	size_t off = MOLD_HDR_LEN;

	for (unsigned i = 0; i < n; i++) {
		uint16_t bl;

		if (off == len)
			return -MOLD_ECOUNT_HIGH;
		NEED(MOLD_BLOCK_HDR_LEN, MOLD_EBLOCK);
		bl = mold_block_len(pkt + off);
		if (bl == 0)
			return -MOLD_EZERO;
		off += MOLD_BLOCK_HDR_LEN;
		NEED(bl, MOLD_EBLOCK);
		off += bl;
	}
	return off != len ? -MOLD_ECOUNT_LOW : 0;
}

int mold_parse(const uint8_t *pkt, size_t len, struct mold_pkt *out)
{
	return mold_parse_fast(pkt, len, out);
}

/* ---- configuration and memory ---------------------------------------- */

COLD void mold_cfg_defaults(struct mold_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_sessions = 4;
	cfg->reorder_slots = 64;
	cfg->slot_bytes = 2048;
	cfg->gap_max_pkts = 32;
	cfg->gap_max_ns = 1000000;
	cfg->gap_log_len = 256;
	cfg->first_seq = 0;
}

static size_t align64(size_t n)
{
	return (n + (CACHELINE - 1)) & ~(size_t)(CACHELINE - 1);
}

/* Byte offsets of the regions inside the memory block. */
struct mold_layout {
	size_t slots, data, log, total, slot_stride;
};

static int layout_of(const struct mold_cfg *cfg, struct mold_layout *l)
{
	size_t nslots;

	if (!cfg || cfg->max_sessions == 0 || cfg->max_sessions > MOLD_MAX_SESSIONS ||
	    cfg->reorder_slots == 0 || cfg->reorder_slots > MOLD_MAX_SLOTS ||
	    cfg->slot_bytes < MOLD_HDR_LEN || cfg->slot_bytes > MOLD_MAX_SLOT_BYTES ||
	    cfg->gap_log_len == 0 || cfg->gap_log_len > MOLD_MAX_GAP_LOG)
		return -EINVAL;
	nslots = (size_t)cfg->max_sessions * cfg->reorder_slots;
	l->slot_stride = align64(cfg->slot_bytes);
	l->slots = align64(sizeof(struct mold_session) * cfg->max_sessions);
	l->data = l->slots + align64(sizeof(struct mold_slot) * nslots);
	l->log = l->data + l->slot_stride * nslots;
	l->total = l->log + align64(sizeof(struct mold_gap_rec) * cfg->gap_log_len);
	return 0;
}

COLD size_t mold_memsize(const struct mold_cfg *cfg)
{
	struct mold_layout l;

	return layout_of(cfg, &l) == 0 ? l.total : 0;
}

COLD int mold_init(struct mold *m, const struct mold_cfg *cfg, void *mem)
{
	struct mold_layout l;
	struct mold_slot *slots;
	uint8_t *base, *data;

	if (!m || layout_of(cfg, &l) != 0 || ((uintptr_t)mem & (CACHELINE - 1)) != 0)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	if (!mem) {
		mem = aligned_alloc(CACHELINE, l.total);
		if (!mem)
			return -ENOMEM;
		m->owned = mem;
	}
	base = mem;
	memset(base, 0, l.total); /* prefaults every page */
	m->cfg = *cfg;
	m->last_dirty = true; /* no session yet */
	m->sess = (struct mold_session *)(void *)base;
	slots = (struct mold_slot *)(void *)(base + l.slots);
	data = base + l.data;
	for (uint32_t s = 0; s < cfg->max_sessions; s++) {
		m->sess[s].slots = slots + (size_t)s * cfg->reorder_slots;
		for (uint32_t i = 0; i < cfg->reorder_slots; i++) {
			size_t k = (size_t)s * cfg->reorder_slots + i;

			m->sess[s].slots[i].data = data + k * l.slot_stride;
		}
	}
	m->gap_log = (struct mold_gap_rec *)(void *)(base + l.log);
	return 0;
}

COLD void mold_fini(struct mold *m)
{
	if (!m)
		return;
	free(m->owned);
	m->owned = NULL;
	m->sess = NULL;
	m->last_s = NULL;
	m->last_dirty = true;
	m->gap_log = NULL;
}

/* ---- receive --------------------------------------------------------- */

static void mark_pending(struct mold *m, struct mold_session *s)
{
	if (!s->pending) {
		s->pending = true;
		m->npending++;
	}
}

/* Sessions whose hole or start window timed out get settled. */
static NOINLINE void clock_expire(struct mold *m)
{
	for (uint32_t i = 0; i < m->nsess; i++) {
		struct mold_session *s = &m->sess[i];

		if ((s->hole_open && m->now_ns - s->hole_t_ns >= m->cfg.gap_max_ns) ||
		    (s->starting && m->now_ns - s->start_t_ns >= m->cfg.gap_max_ns))
			mark_pending(m, s);
	}
}

/* Move the packet clock forward; sessions whose hole timed out get settled. */
static ALWAYS_INLINE void clock_advance(struct mold *m, uint64_t t_ns)
{
	if (t_ns > m->now_ns)
		m->now_ns = t_ns;
	if (UNLIKELY(m->nholes != 0 || m->nstarting != 0) && m->cfg.gap_max_ns != 0)
		clock_expire(m);
}

/* Index of the session with this id, adding it if there is room; -1 full.
 * Without cfg.first_seq the first packet seen need not be the session's
 * lowest (the other line's copy of an earlier one may be microseconds
 * behind, or the feed reordered), so unless it is seq 1 (nothing precedes
 * it) the start stays provisional: a start window (mold.h). */
static int session_get(struct mold *m, const struct mold_pkt *mp, uint64_t t_ns)
{
	struct mold_session *s;

	if (LIKELY(m->nsess) && mold_session_eq(m->sess[m->last_sess].id, mp->hdr.session))
		return (int)m->last_sess;
	for (uint32_t i = 0; i < m->nsess; i++) {
		if (mold_session_eq(m->sess[i].id, mp->hdr.session)) {
			m->last_sess = i;
			m->last_s = &m->sess[i];
			return (int)i;
		}
	}
	if (m->nsess == m->cfg.max_sessions)
		return -1;
	s = &m->sess[m->nsess];
	memcpy(s->id, mp->hdr.session, MOLD_SESSION_LEN);
	s->expected = m->cfg.first_seq ? m->cfg.first_seq : mp->hdr.seq;
	s->horizon = s->expected;
	if (!m->cfg.first_seq && mp->hdr.seq > 1) {
		s->starting = true;
		s->start_t_ns = t_ns;
		m->nstarting++;
	}
	m->stats.sessions++;
	m->last_sess = m->nsess;
	m->last_s = s;
	return (int)m->nsess++;
}

/* Record evidence that messages below `next` exist but are not buffered
 * (heartbeat, end of session, a packet too big to hold). The hole they
 * reveal keeps the time of the first such evidence. */
static void note_evidence(struct mold_session *s, uint64_t next, uint64_t t_ns)
{
	if (next > s->horizon)
		s->horizon = next;
	if (next <= s->expected)
		return;
	if (s->ev_seq <= s->expected) {
		s->ev_seq = next;
		s->ev_t_ns = t_ns;
		s->ev_pkt = s->rx_pkts;
	} else if (next > s->ev_seq) {
		s->ev_seq = next;
	}
}

/* End s's start window: the lowest sequence seen on any line (kept in
 * s->expected while the window was open) becomes the real start, and the
 * held packets drain in order through settle, so holes between them are
 * ordinary gaps from here on. */
static void start_close(struct mold *m, struct mold_session *s)
{
	s->starting = false;
	m->nstarting--;
	mark_pending(m, s);
}

/* Copy a packet into a free slot of s. */
static void hold(struct mold_session *s, struct mold_slot *sl, const uint8_t *pkt, size_t len,
		 uint64_t seq, uint64_t end, uint8_t line, uint64_t t_ns)
{
	if (end > s->horizon)
		s->horizon = end;
	memcpy(sl->data, pkt, len);
	sl->len = (uint32_t)len;
	sl->seq = seq;
	sl->end = end;
	sl->t_ns = t_ns;
	sl->rx_pkt = s->rx_pkts;
	sl->line = line;
	sl->used = true;
	s->nslots++;
}

/* During the start window every data packet is held, since what is in
 * sequence is not known yet. True if it was taken (held or a duplicate of a
 * held one); false if it cannot be held (buffer full, too big), which ends
 * the window so the caller places it normally. */
static bool start_hold(struct mold *m, struct mold_session *s, const uint8_t *pkt, size_t len,
		       uint64_t seq, uint64_t end, uint8_t line, uint64_t t_ns)
{
	struct mold_slot *free_slot = NULL;

	for (uint32_t i = 0; i < m->cfg.reorder_slots; i++) {
		struct mold_slot *sl = &s->slots[i];

		if (!sl->used) {
			if (!free_slot)
				free_slot = sl;
		} else if (sl->seq <= seq && sl->end >= end) {
			m->stats.dup_packets[line]++;
			return true;
		}
	}
	if (!free_slot || len > m->cfg.slot_bytes) {
		start_close(m, s);
		return false;
	}
	hold(s, free_slot, pkt, len, seq, end, line, t_ns);
	m->stats.start_held++;
	return true;
}

/* Deliver, drop, buffer or park a validated data packet of session si. */
static void place(struct mold *m, uint32_t si, const uint8_t *pkt, size_t len,
		  const struct mold_pkt *mp, uint8_t line, uint64_t t_ns)
{
	struct mold_session *s = &m->sess[si];
	uint64_t seq = mp->hdr.seq, end = seq + mp->nmsgs;
	struct mold_slot *free_slot = NULL;

	if (UNLIKELY(s->starting) && start_hold(m, s, pkt, len, seq, end, line, t_ns))
		return;
	if (end <= s->expected) {
		m->stats.dup_packets[line]++;
		return;
	}
	if (LIKELY(seq <= s->expected)) {
		if (end > s->horizon)
			s->horizon = end;
		if (seq < s->expected)
			m->stats.overlaps++;
		mold_cursor_set(m, si, pkt, seq, end, s->expected, line, t_ns);
		s->expected = end;
		return;
	}
	/* Ahead of expected: hold it unless a held packet already covers it. */
	for (uint32_t i = 0; i < m->cfg.reorder_slots; i++) {
		struct mold_slot *sl = &s->slots[i];

		if (!sl->used) {
			if (!free_slot)
				free_slot = sl;
		} else if (sl->seq <= seq && sl->end >= end) {
			m->stats.dup_packets[line]++;
			return;
		}
	}
	if (len > m->cfg.slot_bytes) {
		m->stats.oversize++;
		note_evidence(s, end, t_ns);
		return;
	}
	if (!free_slot) {
		/* Parked, not yet seen: the horizon grows when it is placed. */
		m->stats.reorder_full++;
		s->force_one = true;
		m->deferred.pkt = pkt;
		m->deferred.len = len;
		m->deferred.t_ns = t_ns;
		m->deferred.session = si;
		m->deferred.line = line;
		m->deferred.set = true;
		return;
	}
	hold(s, free_slot, pkt, len, seq, end, line, t_ns);
	m->stats.reordered++;
}

/* mold_rx from its parse on: mp is pkt as mold_parse described it. */
static ALWAYS_INLINE int rx_parsed(struct mold *m, const uint8_t *pkt, size_t len,
				   const struct mold_pkt *mp, int line, uint64_t t_ns)
{
	struct mold_line_state *ls;
	struct mold_session *s;
	uint64_t next;
	int si;

	if (LIKELY(m->nsess) && mold_session_eq(m->sess[m->last_sess].id, mp->hdr.session))
		si = (int)m->last_sess; /* session_get's lookup cache, inline */
	else
		si = session_get(m, mp, t_ns);
	if (UNLIKELY(si < 0)) {
		m->stats.session_full++;
		return -ENOSPC;
	}
	s = &m->sess[si];
	s->rx_pkts++;
	m->stats.packets++;
	m->stats.packets_line[line]++;
	next = mp->hdr.seq + mp->nmsgs;
	if (UNLIKELY(s->starting) && mp->hdr.seq < s->expected) {
		/* Provisional start: the lowest sequence seen so far. A heartbeat
		 * or end counts too (its seq is the next message), because nothing
		 * before it need be missing either. */
		s->expected = mp->hdr.seq;
		if (s->expected <= 1) /* nothing can precede seq 1 */
			start_close(m, s);
	}
	ls = &s->line[line];
	ls->pkts++;
	ls->last_t_ns = t_ns;
	if (next > ls->next_seq)
		ls->next_seq = next;
	if (LIKELY(mold_in_order_clean(s, mp->hdr.seq, next))) {
		/* What place() and settle() would do, minus the settling: it
		 * would find nothing held, no hole, nothing to report. */
		if (mp->hdr.seq < s->expected)
			m->stats.overlaps++;
		s->horizon = next;
		mold_cursor_set(m, (uint32_t)si, pkt, mp->hdr.seq, next, s->expected, (uint8_t)line,
			   t_ns);
		s->expected = next;
		return 0;
	}
	mark_pending(m, s);
	if (mp->nmsgs == 0) {
		if (mp->hdr.count == MOLD_COUNT_END) {
			m->stats.end_packets++;
			if (!s->end_seen) {
				s->end_seen = true;
				s->end_seq = mp->hdr.seq;
			}
		} else {
			m->stats.heartbeats++;
		}
		note_evidence(s, next, t_ns);
		return 0;
	}
	place(m, (uint32_t)si, pkt, len, mp, (uint8_t)line, t_ns);
	return 0;
}

int mold_rx_slow(struct mold *m, const uint8_t *pkt, size_t len, int line, uint64_t t_ns)
{
	struct mold_pkt mp;
	/* The parse is pure: making it before the state checks changes no
	 * outcome. */
	int rc = mold_parse_fast(pkt, len, &mp);

	return mold_rx_parsed_slow(m, pkt, len, &mp, rc, line, t_ns);
}

static int rx_parsed_slow(struct mold *m, const uint8_t *pkt, size_t len,
			  const struct mold_pkt *mp, int parse_rc, int line, uint64_t t_ns)
{
	if (UNLIKELY(m->busy))
		return -EBUSY;
	if (UNLIKELY(line < 0 || line >= MOLD_LINES))
		return -EINVAL;
	m->busy = true;
	clock_advance(m, t_ns);
	if (UNLIKELY(parse_rc != 0)) {
		m->stats.malformed[-parse_rc]++;
		return -EBADMSG;
	}
	return rx_parsed(m, pkt, len, mp, line, t_ns);
}

static int advance(struct mold *m, uint64_t t_ns)
{
	if (m->busy)
		return -EBUSY;
	m->busy = true;
	clock_advance(m, t_ns);
	return 0;
}

static int flush(struct mold *m)
{
	if (m->busy)
		return -EBUSY;
	m->busy = true;
	for (uint32_t i = 0; i < m->nsess; i++) {
		struct mold_session *s = &m->sess[i];

		if (s->starting || s->expected < s->horizon) {
			s->flush = true;
			mark_pending(m, s);
		}
	}
	return 0;
}

/* ---- settling -------------------------------------------------------- */

static void event(struct mold_item *it, uint8_t kind, uint32_t si, uint64_t seq,
		  uint64_t count, uint64_t t_ns)
{
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->session = si;
	it->seq = seq;
	it->count = count;
	it->t_ns = t_ns;
}

/* When was the hole at s->expected first revealed: the earliest arrival of
 * anything held or seen beyond it. */
static void hole_reveal_time(struct mold_session *s, uint32_t nslots_cfg)
{
	bool have = false;

	if (s->ev_seq > s->expected) {
		s->hole_t_ns = s->ev_t_ns;
		s->hole_pkt = s->ev_pkt;
		have = true;
	}
	for (uint32_t i = 0; i < nslots_cfg && s->nslots; i++) {
		const struct mold_slot *sl = &s->slots[i];

		if (!sl->used)
			continue;
		if (!have || sl->t_ns < s->hole_t_ns)
			s->hole_t_ns = sl->t_ns;
		if (!have || sl->rx_pkt < s->hole_pkt)
			s->hole_pkt = sl->rx_pkt;
		have = true;
	}
}

static void hole_close(struct mold *m, struct mold_session *s)
{
	s->hole_open = false;
	m->nholes--;
}

/* Give up the hole at s->expected: log it, skip to the next data we hold
 * (or the horizon), and describe it in *it. */
static void declare_lost(struct mold *m, uint32_t si, uint8_t reason, struct mold_item *it)
{
	struct mold_session *s = &m->sess[si];
	uint64_t next = s->horizon, count;
	struct mold_gap_rec *r;

	for (uint32_t i = 0; i < m->cfg.reorder_slots && s->nslots; i++) {
		const struct mold_slot *sl = &s->slots[i];

		if (sl->used && sl->seq < next)
			next = sl->seq;
	}
	count = next - s->expected;
	r = &m->gap_log[m->gap_log_total % m->cfg.gap_log_len];
	memset(r, 0, sizeof(*r));
	memcpy(r->session, s->id, MOLD_SESSION_LEN);
	r->session_idx = si;
	r->reason = reason;
	r->first = s->expected;
	r->count = count;
	r->t_detect_ns = s->hole_t_ns;
	r->t_declare_ns = m->now_ns;
	memcpy(r->line, s->line, sizeof(r->line));
	m->gap_log_total++;
	m->stats.gaps_lost++;
	m->stats.msgs_lost += count;
	s->episode_lost += count;
	event(it, MOLD_EV_LOST, si, s->expected, count, m->now_ns);
	s->expected = next;
	s->force_one = false;
	hole_close(m, s);
}

/* Next step for session si: 1 event in *it, 2 cursor set, 0 nothing to do
 * until more packets or time arrive. */
static int settle(struct mold *m, uint32_t si, struct mold_item *it)
{
	struct mold_session *s = &m->sess[si];
	const struct mold_cfg *cfg = &m->cfg;

	if (UNLIKELY(s->starting)) {
		/* The start window closes on the same bounds a gap waits for. */
		if (s->flush || (cfg->gap_max_pkts && s->rx_pkts - 1 >= cfg->gap_max_pkts) ||
		    (cfg->gap_max_ns && m->now_ns - s->start_t_ns >= cfg->gap_max_ns))
			start_close(m, s);
		else
			return 0;
	}
	if (s->nslots) {
		struct mold_slot *best = NULL;

		for (uint32_t i = 0; i < cfg->reorder_slots; i++) {
			struct mold_slot *sl = &s->slots[i];

			if (!sl->used)
				continue;
			if (sl->end <= s->expected) { /* overtaken by another copy */
				sl->used = false;
				s->nslots--;
				m->stats.dup_packets[sl->line]++;
			} else if (sl->seq <= s->expected && !best) {
				best = sl;
			}
		}
		if (best) {
			/* Freed now; its bytes stay put until the cursor is drained,
			 * because only place() writes slots. */
			if (s->hole_open) {
				hole_close(m, s);
				m->stats.gaps_filled++;
			}
			if (best->seq < s->expected)
				m->stats.overlaps++;
			mold_cursor_set(m, si, best->data, best->seq, best->end, s->expected, best->line,
				   best->t_ns);
			s->expected = best->end;
			best->used = false;
			s->nslots--;
			return 2;
		}
	}
	if (s->expected < s->horizon) {
		if (!s->hole_open) {
			uint64_t next = s->horizon;

			for (uint32_t i = 0; i < cfg->reorder_slots && s->nslots; i++)
				if (s->slots[i].used && s->slots[i].seq < next)
					next = s->slots[i].seq;
			s->hole_open = true;
			s->episode = true;
			m->nholes++;
			m->stats.gaps_detected++;
			hole_reveal_time(s, cfg->reorder_slots);
			event(it, MOLD_EV_GAP, si, s->expected, next - s->expected, m->now_ns);
			return 1;
		}
		if (s->flush) {
			declare_lost(m, si, MOLD_LOST_FLUSH, it);
			return 1;
		}
		if (s->force_one) {
			declare_lost(m, si, MOLD_LOST_FULL, it);
			return 1;
		}
		if (cfg->gap_max_pkts && s->rx_pkts - s->hole_pkt >= cfg->gap_max_pkts) {
			declare_lost(m, si, MOLD_LOST_PKTS, it);
			return 1;
		}
		if (cfg->gap_max_ns && m->now_ns - s->hole_t_ns >= cfg->gap_max_ns) {
			declare_lost(m, si, MOLD_LOST_TIME, it);
			return 1;
		}
		return 0;
	}
	s->flush = false;
	s->force_one = false;
	if (s->hole_open) { /* filled by in-order data up to the horizon */
		hole_close(m, s);
		m->stats.gaps_filled++;
	}
	if (s->episode) {
		s->episode = false;
		event(it, MOLD_EV_RECOVERED, si, s->expected, s->episode_lost, m->now_ns);
		s->episode_lost = 0;
		return 1;
	}
	if (s->end_seen && !s->end_reported) {
		s->end_reported = true;
		event(it, MOLD_EV_END, si, s->end_seq, 0, m->now_ns);
		return 1;
	}
	return 0;
}

static int next_slow(struct mold *m, struct mold_item *it)
{
	for (;;) {
		if (m->cur.left)
			return mold_next(m, it);
		if (m->npending) {
			int r = 0;

			for (uint32_t i = 0; i < m->nsess; i++) {
				struct mold_session *s = &m->sess[i];

				if (!s->pending)
					continue;
				r = settle(m, i, it);
				if (r == 1)
					return 1;
				if (r == 2)
					break;
				s->pending = false;
				m->npending--;
			}
			if (r == 2)
				continue;
		}
		if (m->deferred.set) {
			/* Its session has given up a hole and freed a slot: place it. */
			struct mold_pkt mp;

			m->deferred.set = false;
			(void)mold_parse(m->deferred.pkt, m->deferred.len, &mp);
			place(m, m->deferred.session, m->deferred.pkt, m->deferred.len, &mp,
			      m->deferred.line, m->deferred.t_ns);
			mark_pending(m, &m->sess[m->deferred.session]);
			continue;
		}
		m->busy = false;
		return 0;
	}
}

/* ---- the calls that change sessions: last_dirty on the way out ------- */

/* mold_rx_fast's last_dirty for the state a call into mold.c leaves: only
 * these calls change a session's flags, slots and end, last_s, nholes and
 * nstarting. */
static bool last_dirty_now(const struct mold *m)
{
	return m->last_s == NULL || !mold_session_clean(m->last_s) || m->nholes != 0 ||
	       m->nstarting != 0;
}

static void last_refresh(struct mold *m)
{
	m->last_dirty = last_dirty_now(m);
}

COLD bool mold_last_dirty_holds(const struct mold *m)
{
	return m->last_dirty == last_dirty_now(m) &&
	       (m->nsess == 0 ? m->last_s == NULL : m->last_s == &m->sess[m->last_sess]);
}

int mold_rx_parsed_slow(struct mold *m, const uint8_t *pkt, size_t len,
			const struct mold_pkt *mp, int parse_rc, int line, uint64_t t_ns)
{
	int rc = rx_parsed_slow(m, pkt, len, mp, parse_rc, line, t_ns);

	last_refresh(m);
	return rc;
}

int mold_advance(struct mold *m, uint64_t t_ns)
{
	int rc = advance(m, t_ns);

	last_refresh(m);
	return rc;
}

int mold_flush(struct mold *m)
{
	int rc = flush(m);

	last_refresh(m);
	return rc;
}

int mold_next_slow(struct mold *m, struct mold_item *it)
{
	int rc = next_slow(m, it);

	last_refresh(m);
	return rc;
}

/* ---- gap log, re-requests, names ------------------------------------- */

const struct mold_gap_rec *mold_gap_log_at(const struct mold *m, uint64_t i)
{
	if (i >= m->gap_log_total || m->gap_log_total - i > m->cfg.gap_log_len)
		return NULL;
	return &m->gap_log[i % m->cfg.gap_log_len];
}

int mold_request_encode(uint8_t *buf, size_t cap, const char session[MOLD_SESSION_LEN],
			uint64_t first_seq, uint16_t count)
{
	if (cap < MOLD_REQUEST_LEN)
		return -ENOSPC;
	if (count == 0 || UINT64_MAX - first_seq < count)
		return -EINVAL;
	mold_hdr_write(buf, session, first_seq, count);
	return MOLD_REQUEST_LEN;
}

const char *mold_reason_name(int r)
{
	unsigned u = (unsigned)(r < 0 ? -r : r);

	return u < MOLD_REASON_COUNT ? mold_reason_names[u] : "unknown";
}

const char *mold_item_kind_name(uint8_t kind)
{
	static const char *const names[] = { "msg", "gap", "lost", "recovered", "end" };

	return kind < ARRAY_SIZE(names) ? names[kind] : "unknown";
}

const char *mold_lost_reason_name(uint8_t reason)
{
	static const char *const names[] = { "packets", "time", "buffer-full", "flush" };

	return reason < ARRAY_SIZE(names) ? names[reason] : "unknown";
}
