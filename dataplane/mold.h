/* mold.h - MoldUDP64 receiver (PROTOCOLS.md section 1): packet validation,
 * per-session sequencing, A/B line arbitration with a bounded reorder buffer,
 * gap detection, fill and loss declaration in packet (virtual) time, the gap
 * log, and the re-request encoder. Owns its sessions, slots and log, all
 * preallocated at init. One thread (the feed core) per struct mold.
 *
 * Start window. With cfg.first_seq 0 a session starts where it is first
 * seen, but the first packet seen need not be its lowest: line A may have
 * lost seq 1 while B's copy is microseconds behind, or the feed reordered 1
 * behind 2. Delivering at once would turn those earlier messages into
 * silent "duplicates" (no gap, no loss). So a new session whose first
 * packet is not seq 1 holds its data packets in the reorder buffer and
 * tracks the lowest sequence seen on any line (heartbeats and end packets
 * included), for the bounds a gap waits: gap_max_pkts more packets of the
 * session or gap_max_ns of packet time. The window also closes on
 * mold_flush, when a packet with seq 1 arrives, or when a packet cannot be
 * held (reorder buffer full, larger than a slot). Then the lowest sequence
 * becomes `expected` and the held packets are delivered in order through
 * the normal path: holes between them are ordinary gaps, detected (and
 * maybe lost) with their reveal time inside the window. After it, packets
 * wholly below `expected` are duplicates. A session joined mid-stream is
 * thus delivered one window late, starting at its lowest seen sequence,
 * with nothing counted lost before it. With both bounds 0 the window, like
 * a gap, waits for seq 1, mold_flush or a full buffer. */
#ifndef MOLD_H
#define MOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dataplane/mold_wire.h"
#include "hw/compiler.h"

#define MOLD_LINES 2   /* A and B; a retransmission socket may be fed as either */
#define MOLD_LINE_A 0
#define MOLD_LINE_B 1

/* Why a packet is malformed (negated by mold_parse). */
enum mold_reason {
	MOLD_OK = 0,
	MOLD_ESHORT = 1,      /* shorter than the 20-byte header */
	MOLD_EBLOCK = 2,      /* a block's length field or data runs past the packet */
	MOLD_EZERO = 3,       /* zero-length message block */
	MOLD_ECOUNT_HIGH = 4, /* the packet ends before `count` blocks */
	MOLD_ECOUNT_LOW = 5,  /* bytes left after `count` blocks (or after a heartbeat/end) */
	MOLD_ESEQ = 6,        /* seq + count does not fit in 64 bits */
	MOLD_REASON_COUNT = 7,
};

/* A validated packet: header plus its message blocks. */
struct mold_pkt {
	struct mold_hdr hdr;
	const uint8_t *blocks;  /* first block's length field (pkt + 20) */
	size_t blocks_len;      /* bytes of blocks = len - 20 */
	uint16_t nmsgs;         /* messages: 0 for heartbeat and end of session */
};

struct mold_cfg {
	uint32_t max_sessions;  /* sessions tracked at once (new ones beyond: dropped) */
	uint32_t reorder_slots; /* per session: packets held ahead of the expected seq */
	uint32_t slot_bytes;    /* largest packet a slot holds (UDP payload bytes) */
	uint32_t gap_max_pkts;  /* declare a gap lost after this many more packets of
				   its session (any line); 0 = no packet bound */
	uint64_t gap_max_ns;    /* ... or once the packet clock is this far past its
				   detection; 0 = no time bound */
	uint32_t gap_log_len;   /* gap log entries kept (a ring; oldest overwritten) */
	uint64_t first_seq;     /* expected seq of a new session; 0 = the lowest seq
				   seen in its start window (see above) */
};

/* Per line, per session: what that line has shown (for the gap log). */
struct mold_line_state {
	uint64_t next_seq;      /* highest seq + count seen on the line; 0 none */
	uint64_t pkts;          /* packets of the session seen on the line */
	uint64_t last_t_ns;     /* stamp of the last one */
};

/* A packet held because it arrived ahead of the expected sequence. */
struct mold_slot {
	uint64_t seq, end;      /* messages [seq, end) */
	uint64_t t_ns;          /* its packet stamp */
	uint64_t rx_pkt;        /* session packet index at arrival (gap bound) */
	uint8_t *data;          /* copy of the whole packet; slot_bytes long */
	uint32_t len;
	uint8_t line;
	bool used;
};

struct mold_session {
	char id[MOLD_SESSION_LEN];
	bool pending;           /* needs settling in mold_next */
	bool hole_open;         /* a gap at `expected` has been reported */
	bool episode;           /* gap(s) since the last time in sequence */
	bool end_seen, end_reported;
	bool force_one;         /* reorder buffer full: declare the hole now */
	bool flush;             /* mold_flush: declare every hole now */
	bool starting;          /* start window open: expected is provisional, the
				   lowest seq seen so far; data only held */
	uint64_t expected;      /* next sequence to deliver */
	uint64_t horizon;       /* highest next-seq any packet has shown */
	uint64_t ev_seq;        /* unbuffered evidence (heartbeat, end, oversize) */
	uint64_t ev_t_ns, ev_pkt; /* ... and when it first showed */
	uint64_t end_seq;       /* end of session: next seq it announced */
	uint64_t hole_t_ns;     /* current hole revealed at (packet time) */
	uint64_t hole_pkt;      /* ... and at which session packet index */
	uint64_t start_t_ns;    /* stamp of the session's first packet (window) */
	uint64_t episode_lost;  /* messages lost since last in sequence */
	uint64_t rx_pkts;       /* packets of the session, all lines */
	uint32_t nslots;        /* slots in use */
	struct mold_slot *slots;
	struct mold_line_state line[MOLD_LINES];
};

/* Why a gap was declared lost. */
enum mold_lost_reason {
	MOLD_LOST_PKTS = 0,     /* gap_max_pkts packets went by */
	MOLD_LOST_TIME = 1,     /* gap_max_ns of packet time went by */
	MOLD_LOST_FULL = 2,     /* the reorder buffer was full */
	MOLD_LOST_FLUSH = 3,    /* mold_flush (end of capture, shutdown) */
};

/* One gap declared lost. */
struct mold_gap_rec {
	char session[MOLD_SESSION_LEN];
	uint32_t session_idx;
	uint8_t reason;         /* enum mold_lost_reason */
	uint64_t first;         /* first missing sequence */
	uint64_t count;         /* messages lost */
	uint64_t t_detect_ns;   /* packet time it was first revealed */
	uint64_t t_declare_ns;  /* packet time it was given up */
	struct mold_line_state line[MOLD_LINES]; /* at declaration */
};

enum mold_item_kind {
	MOLD_MSG = 0,           /* msg/len is message `seq` */
	MOLD_EV_GAP = 1,        /* gap opened: [seq, seq + count) missing, waiting */
	MOLD_EV_LOST = 2,       /* gap given up: [seq, seq + count) lost; skipping */
	MOLD_EV_RECOVERED = 3,  /* back in sequence; count = messages lost meanwhile */
	MOLD_EV_END = 4,        /* end of session, all delivered; seq = its next seq */
};

/* What mold_next yields: an in-order message or a session event. */
struct mold_item {
	uint8_t kind;           /* enum mold_item_kind */
	uint8_t line;           /* MSG: line whose packet carried it */
	uint16_t len;           /* MSG: message bytes */
	uint32_t session;       /* session index (mold_session_id) */
	const uint8_t *msg;     /* MSG: the message (valid until the next mold_rx) */
	uint64_t seq;
	uint64_t count;         /* events: see kind; MSG: 1 */
	uint64_t t_ns;          /* MSG: its packet's stamp; events: packet clock */
};

struct mold_stats {
	uint64_t packets;                   /* well-formed packets, all lines */
	uint64_t packets_line[MOLD_LINES];
	uint64_t messages;                  /* delivered */
	uint64_t heartbeats;
	uint64_t end_packets;               /* end-of-session packets */
	uint64_t dup_packets[MOLD_LINES];   /* nothing new: dropped, per line */
	uint64_t overlaps;                  /* partly old: only the new tail delivered */
	uint64_t gaps_detected;
	uint64_t gaps_filled;
	uint64_t gaps_lost;
	uint64_t msgs_lost;
	uint64_t reordered;                 /* packets buffered ahead of expected */
	uint64_t start_held;                /* packets held in a start window */
	uint64_t reorder_full;              /* arrivals that found the buffer full */
	uint64_t oversize;                  /* ahead packets too big for a slot */
	uint64_t sessions;                  /* sessions seen */
	uint64_t session_full;              /* packets of sessions beyond max_sessions */
	uint64_t malformed[MOLD_REASON_COUNT]; /* by reason; [MOLD_OK] unused */
};

/* Where mold_next is in the message blocks of the packet being delivered. */
struct mold_cursor {
	const uint8_t *p;       /* next block's length field */
	uint64_t seq;           /* its sequence */
	uint64_t t_ns;
	uint32_t left;          /* messages left */
	uint32_t session;
	uint8_t line;
};

struct mold {
	struct mold_cursor cur;
	struct mold_session *sess;
	uint32_t nsess;         /* sessions in use */
	uint32_t last_sess;     /* lookup cache */
	struct mold_session *last_s; /* &sess[last_sess]; NULL while nsess is 0
				   (mold_rx_fast: no index to scale, no count
				   to test) */
	uint32_t npending;      /* sessions with pending set */
	uint32_t nholes;        /* sessions with hole_open */
	uint32_t nstarting;     /* sessions with starting (start window open) */
	bool busy;              /* work queued: drain mold_next before mold_rx */
	bool last_dirty;        /* last_s is NULL or not mold_session_clean, or
				   nholes or nstarting is not 0: set by every
				   call into mold.c as it returns (only they
				   change what it depends on), so mold_rx_fast
				   tests it with busy, one load */
	uint64_t now_ns;        /* packet clock: highest stamp seen */
	struct {                /* arrival parked while its session's buffer drains */
		const uint8_t *pkt;
		size_t len;
		uint64_t t_ns;
		uint32_t session;
		uint8_t line;
		bool set;
	} deferred;
	struct mold_gap_rec *gap_log;
	uint64_t gap_log_total; /* entries ever written */
	struct mold_cfg cfg;
	struct mold_stats stats;
	void *owned;            /* memory init allocated, freed by fini */
};

/* Report names of the malformed reasons ("ok", "short-header", ...). */
extern const char *const mold_reason_names[MOLD_REASON_COUNT];

/* Validate a packet of len bytes and describe it in *out: header, then every
 * block's length checked against len, count and overflow. 0 or -MOLD_E*.
 * Never reads past len. Pure; any thread. */
int mold_parse(const uint8_t *pkt, size_t len, struct mold_pkt *out);

/* Fill *cfg with defaults: 4 sessions, 64 slots of 2048 bytes, a gap given up
 * after 32 packets or 1 ms, 256 log entries, sessions start at the lowest
 * seq seen in their start window. */
void mold_cfg_defaults(struct mold_cfg *cfg);

/* Bytes of memory mold_init needs for cfg (64-byte aligned), 0 if cfg is bad. */
size_t mold_memsize(const struct mold_cfg *cfg);

/* Set up *m on mem (mold_memsize(cfg) bytes, 64-aligned, e.g. from the arena)
 * or, with mem NULL, on memory it allocates. Zeroes (prefaults) it all.
 * 0, -EINVAL bad cfg, -ENOMEM. Start-up; one thread. */
int mold_init(struct mold *m, const struct mold_cfg *cfg, void *mem);

/* Free what init allocated. Accepts NULL. */
void mold_fini(struct mold *m);

/* ---- receive: the in-order packet inline, everything else in mold.c ---- */

/* The reason (-MOLD_E*) of a packet with n blocks whose walk in
 * mold_parse_fast failed, found by walking it again one check at a time.
 * Cold; pure; any thread. */
int mold_parse_reason(const uint8_t *pkt, size_t len, unsigned n);

/* Do m's caches for mold_rx_fast hold: last_dirty as its fields say, and
 * last_s the session last_sess names (NULL before the first)? For the tests
 * and the fuzz target, which check it after every call. Cold; read only. */
bool mold_last_dirty_holds(const struct mold *m);

/* mold_parse_list and mold_parse_ok: with reason, a failure of the block
 * walk returns mold_parse_reason's answer; without, -MOLD_EBLOCK for any.
 *
 * mold_parse, inline (mold_rx), also listing the messages: with msgs, the
 * i-th block's message (its bytes after the length field) goes to msgs[i]
 * for i < max while the blocks are checked, so a caller that walks them (the
 * feed's burst lookahead) needs no second walk; on failure msgs[] holds
 * junk. The block walk tests each block on the way in -- at least a length
 * field and one byte left (off <= lim); a zero length or a block running
 * past the end then fails the next block's test, or the last one the test
 * that the blocks end at len. Any failure goes to mold_parse_reason for
 * the exact reason. Every read is at off <= len - 3. (~9 Ir a block
 * without the list, a test and the count each; ~13 with three tests
 * before the zero length was folded into the bound.) */
static ALWAYS_INLINE int mold_parse_core(const uint8_t *pkt, size_t len, struct mold_pkt *out,
					 const uint8_t **msgs, unsigned max, const bool reason)
{
	size_t off = MOLD_HDR_LEN, lim;
	unsigned n;

	if (UNLIKELY(mold_hdr_read(pkt, len, &out->hdr) != 0))
		return -MOLD_ESHORT;
	out->blocks = pkt + MOLD_HDR_LEN;
	out->blocks_len = len - MOLD_HDR_LEN;
	out->nmsgs = 0;
	n = out->hdr.count;
	if (n == MOLD_COUNT_HEARTBEAT || n == MOLD_COUNT_END)
		return off == len ? 0 : -MOLD_ECOUNT_LOW;
	if (UNLIKELY(UINT64_MAX - out->hdr.seq < n))
		return -MOLD_ESEQ;
	lim = len - (MOLD_BLOCK_HDR_LEN + 1); /* len >= MOLD_HDR_LEN: no wrap */
	/* A zero length is found by the bound tests, not a test of its own:
	 * length - 1 wraps to 2^32 - 1, which puts off past any packet, so
	 * the next block's test or the end's fails (and mold_parse_reason
	 * says EZERO, as a test of its own would have at once). */
	_Static_assert(sizeof(size_t) >= 8, "off past 2^32 does not wrap");
	if (msgs) {
		for (unsigned i = 0; i < n; i++) {
			if (UNLIKELY(off > lim))
				return reason ? mold_parse_reason(pkt, len, n) : -MOLD_EBLOCK;
			if (i < max)
				msgs[i] = pkt + off + MOLD_BLOCK_HDR_LEN;
			off += MOLD_BLOCK_HDR_LEN + 1 +
			       (size_t)(uint32_t)((uint32_t)mold_block_len(pkt + off) - 1);
		}
	} else {
		/* without the list, the count run down */
		for (unsigned i = n; i != 0; i--) {
			if (UNLIKELY(off > lim))
				return reason ? mold_parse_reason(pkt, len, n) : -MOLD_EBLOCK;
			off += MOLD_BLOCK_HDR_LEN + 1 +
			       (size_t)(uint32_t)((uint32_t)mold_block_len(pkt + off) - 1);
		}
	}
	if (UNLIKELY(off != len))
		return reason ? mold_parse_reason(pkt, len, n) : -MOLD_EBLOCK;
	out->nmsgs = (uint16_t)n;
	return 0;
}

/* mold_parse_core's walk with its reason (reason true), as documented
 * above. */
static ALWAYS_INLINE int mold_parse_list(const uint8_t *pkt, size_t len, struct mold_pkt *out,
					 const uint8_t **msgs, unsigned max)
{
	return mold_parse_core(pkt, len, out, msgs, max, true);
}

/* mold_parse_fast's verdict alone: true when it returns 0, *out filled as
 * it fills it. For a caller that sends every malformed packet down a path
 * that parses it again for the reason (feed_frame_begin's): no call on
 * the way, so that caller's fast path need not save registers for one. */
static ALWAYS_INLINE bool mold_parse_ok(const uint8_t *pkt, size_t len, struct mold_pkt *out)
{
	return mold_parse_core(pkt, len, out, NULL, 0, false) == 0;
}

/* mold_parse_ok for a data packet of 1 .. max messages (max < 0xFFFF:
 * MOLD_COUNT_END, more than any max, is refused with them),
 * listing the i-th block's message in msgs[i] as mold_parse_list does,
 * with its header's sequence in *seq and its count in *nmsgs: false for
 * any other packet, well-formed or not (heartbeats, end of session, more
 * than max messages), for a caller that parses those again
 * (the feed's burst window). The count is bounded before the walk, so the
 * walk needs no test of the list's room. Never reads past len. */
static ALWAYS_INLINE bool mold_parse_list_ok(const uint8_t *pkt, size_t len, const uint8_t **msgs,
					     unsigned max, uint64_t *seq, uint16_t *nmsgs)
{
	size_t off = MOLD_HDR_LEN, lim;
	uint64_t s;
	unsigned n;

	if (UNLIKELY(len < MOLD_HDR_LEN))
		return false;
	s = wire_get64(pkt + MOLD_OFF_SEQ);
	n = wire_get16(pkt + MOLD_OFF_COUNT);
	/* n == 0 wraps: heartbeats fail with the counts over max, and so
	 * does the end of session's (max < 0xFFFF) */
	if (UNLIKELY(n - 1 >= max || UINT64_MAX - s < n))
		return false;
	lim = len - (MOLD_BLOCK_HDR_LEN + 1); /* as mold_parse_core's walk */
	for (unsigned i = 0; i < n; i++) {
		if (UNLIKELY(off > lim))
			return false;
		msgs[i] = pkt + off + MOLD_BLOCK_HDR_LEN;
		off += MOLD_BLOCK_HDR_LEN + 1 +
		       (size_t)(uint32_t)((uint32_t)mold_block_len(pkt + off) - 1);
	}
	if (UNLIKELY(off != len))
		return false;
	*seq = s;
	*nmsgs = (uint16_t)n;
	return true;
}

/* mold_parse, inline (mold_rx): mold_parse_list without the list. */
static ALWAYS_INLINE int mold_parse_fast(const uint8_t *pkt, size_t len, struct mold_pkt *out)
{
	return mold_parse_list(pkt, len, out, NULL, 0);
}

/* Does a session id equal the header's (10 bytes, as 8 + 2)? */
static ALWAYS_INLINE bool mold_session_eq(const char *a, const char *b)
{
	uint64_t a8, b8;
	uint16_t a2, b2;

	_Static_assert(MOLD_SESSION_LEN == 8 + 2, "session id is compared as 8 + 2 bytes");
	memcpy(&a8, a, 8);
	memcpy(&b8, b, 8);
	memcpy(&a2, a + 8, 2);
	memcpy(&b2, b + 8, 2);
	return ((a8 ^ b8) | (uint64_t)(a2 ^ b2)) == 0;
}

/* Does session s hold nothing, with no hole, no event to report and
 * nothing pending: the state in which an in-order packet's settling would
 * change nothing (mold_in_order_clean)? */
static ALWAYS_INLINE bool mold_session_clean(const struct mold_session *s)
{
	/* The eight flags are adjacent bytes: pending, hole_open, episode,
	 * force_one, flush and starting must all be clear, which one masked
	 * 8-byte load tests (the mask is laid out by the same bytes, so this
	 * holds on either byte order); end_seen / end_reported apart. */
	static const bool busy_mask[8] = { true, true, true, false, false, true, true, true };
	uint64_t flags, mask;

	_Static_assert(sizeof(bool) == 1, "session flags are bytes");
	_Static_assert(offsetof(struct mold_session, hole_open) == offsetof(struct mold_session, pending) + 1 &&
		       offsetof(struct mold_session, episode) == offsetof(struct mold_session, pending) + 2 &&
		       offsetof(struct mold_session, end_seen) == offsetof(struct mold_session, pending) + 3 &&
		       offsetof(struct mold_session, end_reported) == offsetof(struct mold_session, pending) + 4 &&
		       offsetof(struct mold_session, force_one) == offsetof(struct mold_session, pending) + 5 &&
		       offsetof(struct mold_session, flush) == offsetof(struct mold_session, pending) + 6 &&
		       offsetof(struct mold_session, starting) == offsetof(struct mold_session, pending) + 7,
		       "busy_mask matches the session's flag bytes");
	memcpy(&flags, (const char *)s + offsetof(struct mold_session, pending), sizeof(flags));
	memcpy(&mask, busy_mask, sizeof(mask));
	return (flags & mask) == 0 && s->nslots == 0 &&
	       s->end_seen <= s->end_reported; /* !end_seen || end_reported */
}

/* Does the data packet [seq, next) of s start at or before `expected` and
 * end after it, with nothing beyond `next` seen? */
static ALWAYS_INLINE bool mold_in_order(const struct mold_session *s, uint64_t seq,
					uint64_t next)
{
	return seq <= s->expected && next > s->expected && s->horizon <= next;
}

/* Is the data packet [seq, next) of s the in-order case whose settling
 * (mark_pending, then settle() in mold_next_slow) would change nothing:
 * mold_in_order, of a mold_session_clean session? Then mold_rx delivers it
 * without marking the session pending. */
static ALWAYS_INLINE bool mold_in_order_clean(const struct mold_session *s, uint64_t seq,
					      uint64_t next)
{
	return mold_in_order(s, seq, next) && mold_session_clean(s);
}

/* Point the cursor at the blocks of pkt [seq, end) from sequence `from` on. */
static ALWAYS_INLINE void mold_cursor_set(struct mold *m, uint32_t si, const uint8_t *pkt,
					  uint64_t seq, uint64_t end, uint64_t from, uint8_t line,
					  uint64_t t_ns)
{
	const uint8_t *p = pkt + MOLD_HDR_LEN;

	for (uint64_t k = seq; k < from; k++) /* blocks already delivered */
		p += MOLD_BLOCK_HDR_LEN + (size_t)mold_block_len(p);
	m->cur.p = p;
	m->cur.seq = from;
	m->cur.left = (uint32_t)(end - from);
	m->cur.session = si;
	m->cur.line = line;
	m->cur.t_ns = t_ns;
}

/* mold_rx_fast_at's counters and clocks for the data packet up to next of
 * session s on line. */
static ALWAYS_INLINE void mold_rx_fast_count(struct mold *m, struct mold_session *s, int line,
					     uint64_t next, uint64_t t_ns)
{
	struct mold_line_state *ls = &s->line[line];

	if (t_ns > m->now_ns)
		m->now_ns = t_ns;
	s->rx_pkts++;
	m->stats.packets++;
	m->stats.packets_line[line]++;
	ls->pkts++;
	ls->last_t_ns = t_ns;
	if (next > ls->next_seq)
		ls->next_seq = next;
}

/* The common packet, whole, inline: the next data of the session mold_rx
 * saw last (clean: last_dirty), on a valid line, with no hole or start window open anywhere
 * (so the clock expires nothing) and mold_next drained. Checks first,
 * then exactly what mold_rx_slow does for it: true when taken, false with
 * nothing changed otherwise. The packet's parse (0 from mold_parse): its
 * header's session id (10 bytes), sequence and message count. */
static ALWAYS_INLINE bool mold_rx_fast_at(struct mold *m, const uint8_t *pkt, const char *session,
					  uint64_t seq, uint16_t nmsgs, int line, uint64_t t_ns)
{
	uint64_t next = seq + nmsgs;
	struct mold_session *s;
	uint16_t busy_dirty;     /* busy and last_dirty: both false, one test */

	_Static_assert(offsetof(struct mold, last_dirty) == offsetof(struct mold, busy) + 1,
		       "busy and last_dirty are read as one word");
	memcpy(&busy_dirty, &m->busy, sizeof(busy_dirty));
	/* !last_dirty: last_s is set and mold_session_clean, no hole or
	 * start window open anywhere */
	if (UNLIKELY(busy_dirty != 0 || (unsigned)line >= MOLD_LINES))
		return false;
	s = m->last_s;
	if (UNLIKELY(!mold_session_eq(s->id, session) || !mold_in_order(s, seq, next)))
		return false;
	m->busy = true;
	mold_rx_fast_count(m, s, line, next, t_ns);
	if (seq < s->expected)
		m->stats.overlaps++;
	s->horizon = next;
	mold_cursor_set(m, m->last_sess, pkt, seq, next, s->expected, (uint8_t)line, t_ns);
	s->expected = next;
	return true;
}

/* mold_rx_fast_at for a caller that applies the packet's messages itself,
 * all of them, from its own walk of the blocks (the feed's burst window
 * lists them): true when the packet is the session's next exactly (seq is
 * `expected`: no overlap to skip), as mold_rx_fast_at and then mold_next_msg
 * for each of its nmsgs messages and mold_next's 0 would leave mold, with
 * the messages counted delivered; false with nothing changed otherwise.
 * Only the cursor is left as it was (empty: nothing reads its other fields
 * until mold_cursor_set), and busy stays false: mold_rx_fast_at requires
 * it, and busy false means that npending is 0 and nothing is deferred
 * (only mold_drained and mold_next_slow clear it, when so), which is when
 * the drain's last mold_next clears it again. The caller must take every
 * message before mold is called again. */
static ALWAYS_INLINE bool mold_rx_fast_whole(struct mold *m, const uint8_t *pkt, uint64_t seq,
					     uint16_t nmsgs, int line, uint64_t t_ns)
{
	uint64_t next = seq + nmsgs;
	struct mold_session *s;
	uint16_t busy_dirty;

	memcpy(&busy_dirty, &m->busy, sizeof(busy_dirty));
	if (UNLIKELY(busy_dirty != 0 || (unsigned)line >= MOLD_LINES))
		return false;
	s = m->last_s;
	/* mold_in_order with seq == expected: next > expected is nmsgs > 0 */
	if (UNLIKELY(!mold_session_eq(s->id, (const char *)pkt + MOLD_OFF_SESSION) ||
		     seq != s->expected || nmsgs == 0 || s->horizon > next))
		return false;
	mold_rx_fast_count(m, s, line, next, t_ns);
	s->horizon = next;
	s->expected = next;
	m->stats.messages += nmsgs;
	return true;
}

/* What mold_rx_fast_whole would leave for each of npkts further packets of
 * the session it just took, on the same line, each the session's next
 * exactly (the first starts at its `expected`) and of 1 or more messages,
 * nmsgs in all, ending at `next`, their stamps at most t_max and the last
 * one's t_last: the same counters, clock and session state as those calls
 * one by one, in one step. For a caller that has checked all that on the
 * packets' own bytes (the session id included) with nothing in between
 * that calls mold (the feed's burst window: a run of consecutive packets
 * applied straight off its list); each of their messages must be applied
 * before mold is called again, as for mold_rx_fast_whole. */
static ALWAYS_INLINE void mold_rx_fast_whole_more(struct mold *m, int line, uint32_t npkts,
						  uint64_t next, uint64_t nmsgs, uint64_t t_max,
						  uint64_t t_last)
{
	struct mold_session *s = m->last_s;
	struct mold_line_state *ls = &s->line[line];

	if (t_max > m->now_ns)
		m->now_ns = t_max;
	s->rx_pkts += npkts;
	m->stats.packets += npkts;
	m->stats.packets_line[line] += npkts;
	ls->pkts += npkts;
	ls->last_t_ns = t_last;
	if (next > ls->next_seq)
		ls->next_seq = next;
	s->horizon = next;
	s->expected = next;
	m->stats.messages += nmsgs;
}

/* mold_rx_fast_at for a packet's parse mp. */
static ALWAYS_INLINE bool mold_rx_fast(struct mold *m, const uint8_t *pkt,
				       const struct mold_pkt *mp, int line, uint64_t t_ns)
{
	return mold_rx_fast_at(m, pkt, mp->hdr.session, mp->hdr.seq, mp->nmsgs, line, t_ns);
}

/* mold_rx_fast for a packet that mold_parse took (0), from its header's
 * sequence and its message count, the session compared on the packet's
 * own bytes: a caller that parsed it earlier keeps two fields, not the
 * parse (the feed's burst window). */
static ALWAYS_INLINE bool mold_rx_fast_seq(struct mold *m, const uint8_t *pkt, uint64_t seq,
					   uint16_t nmsgs, int line, uint64_t t_ns)
{
	return mold_rx_fast_at(m, pkt, (const char *)pkt + MOLD_OFF_SESSION, seq, nmsgs, line,
			       t_ns);
}

/* mold_rx past its inline fast path: every packet and case. */
int mold_rx_slow(struct mold *m, const uint8_t *pkt, size_t len, int line, uint64_t t_ns);

/* Take one packet (UDP payload) from `line` stamped t_ns (packet clock). The
 * bytes must stay valid and unchanged until mold_next returns 0. Unless it
 * returned -EBUSY or -EINVAL, drain mold_next before the next mold_rx,
 * mold_advance or mold_flush (time may have expired other sessions' gaps).
 * 0 (taken: delivered, buffered, duplicate or heartbeat), -EBADMSG malformed
 * (counted by reason), -ENOSPC session table full (counted), -EINVAL bad
 * line, -EBUSY mold_next not drained. The in-order packet is taken inline
 * (mold_rx_fast); ~170 Ir a packet as a call. */
static ALWAYS_INLINE int mold_rx(struct mold *m, const uint8_t *pkt, size_t len, int line,
			  uint64_t t_ns)
{
	struct mold_pkt mp;

	/* The length test first makes the header's read unconditional in
	 * mold_parse_fast, as the compiler sees it (else it warns that mp
	 * may be used unset). */
	if (LIKELY(len >= MOLD_HDR_LEN) && LIKELY(mold_parse_fast(pkt, len, &mp) == 0) &&
	    LIKELY(mold_rx_fast(m, pkt, &mp, line, t_ns)))
		return 0;
	return mold_rx_slow(m, pkt, len, line, t_ns);
}

/* mold_rx_parsed past its inline fast path. */
int mold_rx_parsed_slow(struct mold *m, const uint8_t *pkt, size_t len,
			const struct mold_pkt *mp, int parse_rc, int line, uint64_t t_ns);

/* mold_rx for a packet the caller already ran through mold_parse: parse_rc
 * is what it returned and mp what it wrote (pkt and len unchanged). The
 * same results and counters as mold_rx, without walking the blocks again
 * (the feed's burst path parses a window of packets up front). */
static inline int mold_rx_parsed(struct mold *m, const uint8_t *pkt, size_t len,
				 const struct mold_pkt *mp, int parse_rc, int line, uint64_t t_ns)
{
	if (LIKELY(parse_rc == 0) && LIKELY(mold_rx_fast(m, pkt, mp, line, t_ns)))
		return 0;
	return mold_rx_parsed_slow(m, pkt, len, mp, parse_rc, line, t_ns);
}

/* Move the packet clock to t_ns without a packet (quiet feed) so gaps can
 * time out; drain mold_next after. 0, -EBUSY mold_next not drained. */
int mold_advance(struct mold *m, uint64_t t_ns);

/* Give up every open gap now (end of capture); drain mold_next after.
 * 0, -EBUSY mold_next not drained. */
int mold_flush(struct mold *m);

/* Slow part of mold_next: settles sessions, yields events. Use mold_next. */
int mold_next_slow(struct mold *m, struct mold_item *it);

/* True when mold_next has nothing more to give (what its 0 would say),
 * leaving mold ready for the next packet as that 0 does; false when it
 * has. Lets a caller that stops after a message know whether to come back
 * without another call. Feed-core thread. */
static ALWAYS_INLINE bool mold_drained(struct mold *m)
{
	if (m->cur.left || m->npending || m->deferred.set)
		return false;
	m->busy = false;
	return true;
}

/* mold_drained for a caller whose mold_next_msg has just returned 0 (the
 * cursor is empty): the same result and effect, without that test again. */
static ALWAYS_INLINE bool mold_drained_past_cursor(struct mold *m)
{
	if (m->npending || m->deferred.set)
		return false;
	m->busy = false;
	return true;
}

/* Next in-order message or event into *it: 1, or 0 when nothing is left
 * (then mold_rx may be called again). Deterministic: the same packets and
 * stamps give the same items. Feed-core thread only. */
static inline int mold_next(struct mold *m, struct mold_item *it)
{
	struct mold_cursor *c = &m->cur;

	if (LIKELY(c->left)) {
		uint16_t len = mold_block_len(c->p);

		it->kind = MOLD_MSG;
		it->line = c->line;
		it->len = len;
		it->session = c->session;
		it->msg = c->p + MOLD_BLOCK_HDR_LEN;
		it->seq = c->seq++;
		it->count = 1;
		it->t_ns = c->t_ns;
		c->p += MOLD_BLOCK_HDR_LEN + (size_t)len;
		c->left--;
		m->stats.messages++;
		return 1;
	}
	/* what mold_next_slow would find: nothing left */
	if (LIKELY(mold_drained(m)))
		return 0;
	return mold_next_slow(m, it);
}

/* The fast part of mold_next for callers that only need a message's bytes
 * and sequence: the next message of the packet being delivered into *msg,
 * *len, *seq and 1 (counted as mold_next counts it), or 0 when that packet
 * is done -- then call mold_next for what follows (events, other packets,
 * or its 0). Same order and results as mold_next alone. Feed-core thread. */
static ALWAYS_INLINE int mold_next_msg(struct mold *m, const uint8_t **msg, uint16_t *len,
				       uint64_t *seq)
{
	struct mold_cursor *c = &m->cur;

	if (!c->left)
		return 0;
	*len = mold_block_len(c->p);
	*msg = c->p + MOLD_BLOCK_HDR_LEN;
	*seq = c->seq++;
	c->p += MOLD_BLOCK_HDR_LEN + (size_t)*len;
	c->left--;
	m->stats.messages++;
	return 1;
}

/* Session idx's 10-byte id (not NUL terminated). idx < m->nsess. */
static inline const char *mold_session_id(const struct mold *m, uint32_t idx)
{
	return m->sess[idx].id;
}

/* Gap log entry i (0 = first ever), or NULL if not (or no longer) kept. */
const struct mold_gap_rec *mold_gap_log_at(const struct mold *m, uint64_t i);

/* Write a 20-byte re-request for [first_seq, first_seq + count) of session
 * into buf. Returns 20, -ENOSPC cap < 20, -EINVAL count 0 or the range
 * overflows. Pure; any thread. */
int mold_request_encode(uint8_t *buf, size_t cap, const char session[MOLD_SESSION_LEN],
			uint64_t first_seq, uint16_t count);

/* Names for reports: "ok", "short-header", ...; "gap", "lost", ... */
const char *mold_reason_name(int r);
const char *mold_item_kind_name(uint8_t kind);
const char *mold_lost_reason_name(uint8_t reason);

#endif /* MOLD_H */
