/* test_mold.c - MoldUDP64 sessions (dataplane/mold.h): scripted A/B packet
 * tables with the exact message/event stream and counters they must give,
 * the gap log, generated A/B runs (drops, a dark line, seeded random loss run
 * twice for determinism, once draining through mold_next_msg), malformed
 * packets before a guard page, sequences near UINT64_MAX, the re-request
 * bytes. One thread. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "dataplane/mold.h"

#define A MOLD_LINE_A
#define B MOLD_LINE_B

#include "tests/test_guard.h"

/* ---- packets ------------------------------------------------------------ */

/* Session k's 10-byte id: "S000000007". */
static void sess_id(unsigned k, char id[MOLD_SESSION_LEN])
{
	char tmp[16];

	snprintf(tmp, sizeof(tmp), "S%09u", k);
	memcpy(id, tmp, MOLD_SESSION_LEN);
}

/* Message `seq` of session k: 'M', k, seq (u64 BE), then seq % 4 pad bytes,
 * so lengths vary and content proves which message it is. */
static uint16_t msg_len(uint64_t seq)
{
	return (uint16_t)(10 + seq % 4);
}

static size_t put_msg(uint8_t *p, unsigned k, uint64_t seq)
{
	uint16_t len = msg_len(seq);

	mold_block_len_write(p, len);
	p[2] = 'M';
	p[3] = (uint8_t)k;
	for (int i = 0; i < 8; i++)
		p[4 + i] = (uint8_t)(seq >> (56 - 8 * i));
	memset(p + 12, 0xEE, len - 10u);
	return MOLD_BLOCK_HDR_LEN + len;
}

/* A downstream packet: count messages from seq (count 0 heartbeat, 0xFFFF end). */
static size_t build_pkt(uint8_t *b, unsigned k, uint64_t seq, uint16_t count)
{
	char id[MOLD_SESSION_LEN];
	size_t off = MOLD_HDR_LEN;

	sess_id(k, id);
	mold_hdr_write(b, id, seq, count);
	if (count != MOLD_COUNT_END)
		for (uint16_t i = 0; i < count; i++)
			off += put_msg(b + off, k, seq + i);
	return off;
}

/* ---- harness: feeds packets, drains, keeps a trace, checks content ----- */

struct harness {
	struct mold m;
	char trace[1 << 16];
	size_t tlen;
	bool quiet;              /* do not trace messages (long runs) */
	uint8_t pkt[8192];
	uint64_t next[16];       /* per session index: next seq we must see */
	bool have[16];
	unsigned bad;            /* content or order violations */
	uint64_t msgs, lost_msgs;
};

static void dump(const struct harness *h)
{
	const struct mold_stats *s = &h->m.stats;

	print_error("trace: %s\n", h->trace);
	print_error("stats: pkts %llu msgs %llu hb %llu end %llu dupA %llu dupB %llu ovl %llu "
		    "gaps det %llu fill %llu lost %llu (%llu msgs) reord %llu full %llu "
		    "oversize %llu sessions %llu sfull %llu bad %u\n",
		    (unsigned long long)s->packets, (unsigned long long)s->messages,
		    (unsigned long long)s->heartbeats, (unsigned long long)s->end_packets,
		    (unsigned long long)s->dup_packets[A], (unsigned long long)s->dup_packets[B],
		    (unsigned long long)s->overlaps, (unsigned long long)s->gaps_detected,
		    (unsigned long long)s->gaps_filled, (unsigned long long)s->gaps_lost,
		    (unsigned long long)s->msgs_lost, (unsigned long long)s->reordered,
		    (unsigned long long)s->reorder_full, (unsigned long long)s->oversize,
		    (unsigned long long)s->sessions, (unsigned long long)s->session_full, h->bad);
	for (uint32_t i = 0; i < h->m.nsess; i++) {
		const struct mold_session *ss = &h->m.sess[i];

		print_error("  session %u %.10s: expected %llu horizon %llu slots %u hole %d "
			    "episode %d end %d/%d\n",
			    i, ss->id, (unsigned long long)ss->expected,
			    (unsigned long long)ss->horizon, ss->nslots, ss->hole_open, ss->episode,
			    ss->end_seen, ss->end_reported);
	}
}

static void tr(struct harness *h, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (h->tlen + 64 >= sizeof(h->trace))
		return;
	if (h->tlen)
		h->trace[h->tlen++] = ' ';
	va_start(ap, fmt);
	n = vsnprintf(h->trace + h->tlen, sizeof(h->trace) - h->tlen, fmt, ap);
	va_end(ap);
	h->tlen += (size_t)n;
}

static void on_item(struct harness *h, const struct mold_item *it)
{
	char pre[16] = "";
	unsigned long long seq = (unsigned long long)it->seq, cnt = (unsigned long long)it->count;

	if (it->session)
		snprintf(pre, sizeof(pre), "%u:", it->session);
	switch (it->kind) {
	case MOLD_MSG: {
		char id[MOLD_SESSION_LEN];
		uint64_t got = 0;

		for (int i = 0; i < 8; i++)
			got = (got << 8) | it->msg[2 + i];
		sess_id(it->msg[1], id);
		if (it->len != msg_len(it->seq) || it->msg[0] != 'M' || got != it->seq ||
		    memcmp(id, mold_session_id(&h->m, it->session), MOLD_SESSION_LEN) != 0 ||
		    (h->have[it->session] && it->seq != h->next[it->session])) {
			print_error("bad message: session %u seq %llu len %u content seq %llu\n",
				    it->session, seq, it->len, (unsigned long long)got);
			h->bad++;
		}
		h->have[it->session] = true;
		h->next[it->session] = it->seq + 1;
		h->msgs++;
		if (!h->quiet)
			tr(h, "%s%llu", pre, seq);
		break;
	}
	case MOLD_EV_GAP:
		tr(h, "%sgap(%llu,%llu)", pre, seq, cnt);
		break;
	case MOLD_EV_LOST:
		if (h->have[it->session] && it->seq != h->next[it->session]) {
			print_error("lost range starts at %llu, expected %llu\n", seq,
				    (unsigned long long)h->next[it->session]);
			h->bad++;
		}
		h->have[it->session] = true;
		h->next[it->session] = it->seq + it->count;
		h->lost_msgs += it->count;
		tr(h, "%slost(%llu,%llu)", pre, seq, cnt);
		break;
	case MOLD_EV_RECOVERED:
		tr(h, "%srec(%llu)", pre, cnt);
		break;
	case MOLD_EV_END:
		tr(h, "%send(%llu)", pre, seq);
		break;
	default:
		tr(h, "?%u", it->kind);
		h->bad++;
	}
}

/* Drain with mold_next_msg first (the feed's hot path), then mold_next:
 * must yield exactly what mold_next alone does. */
static bool drain_fast;

static void drain(struct harness *h)
{
	struct mold_item it;

	for (;;) {
		if (drain_fast) {
			/* The cursor's packet: line, session, stamp as mold_next gives. */
			struct mold_item f = { .kind = MOLD_MSG, .count = 1,
					       .line = h->m.cur.line, .session = h->m.cur.session,
					       .t_ns = h->m.cur.t_ns };

			while (mold_next_msg(&h->m, &f.msg, &f.len, &f.seq))
				on_item(h, &f);
		}
		if (!mold_next(&h->m, &it))
			break;
		on_item(h, &it);
	}
}

static struct harness *harness_new(const struct mold_cfg *cfg)
{
	struct harness *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	assert_int_equal(mold_init(&h->m, cfg, NULL), 0);
	return h;
}

static void harness_free(struct harness *h)
{
	mold_fini(&h->m);
	free(h);
}

/* Feed one packet and drain; returns mold_rx's result. */
static int feed(struct harness *h, int line, uint64_t t, unsigned k, uint64_t seq, uint16_t count)
{
	size_t len = build_pkt(h->pkt, k, seq, count);
	int rc = mold_rx(&h->m, h->pkt, len, line, t);

	assert_true(mold_last_dirty_holds(&h->m));
	if (rc != -EBUSY && rc != -EINVAL)
		drain(h);
	assert_true(mold_last_dirty_holds(&h->m));
	return rc;
}

static void want_trace(struct harness *h, const char *name, const char *want)
{
	if (strcmp(h->trace, want) != 0 || h->bad) {
		print_error("scenario '%s'\n  want: %s\n", name, want);
		dump(h);
		fail();
	}
}

/* ---- table-driven scripts ---------------------------------------------- */

struct step {
	char op;        /* 'D' data, 'H' heartbeat, 'E' end of session, 'T' advance, 'F' flush */
	uint8_t line;
	uint8_t sess;
	uint64_t t;
	uint64_t seq;
	uint16_t count;
};

struct want_stats {
	uint64_t dup_a, dup_b, detected, filled, lost, msgs_lost, reordered, overlaps, hb, ends,
		full, oversize;
};

struct scenario {
	const char *name;
	uint32_t slots;         /* 0: 8 */
	uint32_t slot_bytes;    /* 0: 2048 */
	uint32_t gap_pkts;      /* 0: no packet bound */
	uint64_t gap_ns;        /* 0: no time bound */
	struct step steps[16];
	const char *want;
	struct want_stats st;
};

static const struct scenario scenarios[] = {
	{ .name = "in order",
	  .steps = { { 'D', A, 0, 1, 1, 3 }, { 'D', A, 0, 2, 4, 2 }, { 'D', A, 0, 3, 6, 1 } },
	  .want = "1 2 3 4 5 6" },
	{ .name = "gap filled by the other line",
	  .steps = { { 'D', A, 0, 1, 1, 2 }, { 'D', A, 0, 2, 5, 2 }, { 'D', B, 0, 3, 3, 2 },
		     { 'D', B, 0, 4, 5, 2 }, { 'D', A, 0, 5, 3, 2 } },
	  .want = "1 2 gap(3,2) 3 4 5 6 rec(0)",
	  .st = { .dup_a = 1, .dup_b = 1, .detected = 1, .filled = 1, .reordered = 1 } },
	{ .name = "gap filled late on the same line",
	  .steps = { { 'D', A, 0, 1, 1, 2 }, { 'D', A, 0, 2, 5, 2 }, { 'D', A, 0, 3, 7, 1 },
		     { 'D', A, 0, 4, 3, 2 } },
	  .want = "1 2 gap(3,2) 3 4 5 6 7 rec(0)",
	  .st = { .detected = 1, .filled = 1, .reordered = 2 } },
	{ .name = "gap lost after 3 packets; the late copy is a duplicate",
	  .gap_pkts = 3,
	  .steps = { { 'D', A, 0, 100, 1, 2 }, { 'D', A, 0, 200, 5, 1 }, { 'D', A, 0, 300, 6, 1 },
		     { 'D', A, 0, 400, 7, 1 }, { 'D', A, 0, 500, 8, 1 }, { 'D', B, 0, 600, 3, 2 } },
	  .want = "1 2 gap(3,2) lost(3,2) 5 6 7 8 rec(2)",
	  .st = { .dup_b = 1, .detected = 1, .lost = 1, .msgs_lost = 2, .reordered = 4 } },
	{ .name = "gap lost after 1000 ns of packet time",
	  .gap_ns = 1000,
	  .steps = { { 'D', A, 0, 0, 1, 1 }, { 'D', A, 0, 10, 3, 1 }, { 'D', A, 0, 500, 4, 1 },
		     { 'D', A, 0, 1010, 5, 1 } },
	  .want = "1 gap(2,1) lost(2,1) 3 4 5 rec(1)",
	  .st = { .detected = 1, .lost = 1, .msgs_lost = 1, .reordered = 3 } },
	{ .name = "advance times out a quiet gap",
	  .gap_ns = 1000,
	  .steps = { { 'D', A, 0, 0, 1, 1 }, { 'D', A, 0, 10, 3, 1 }, { 'T', 0, 0, 1009, 0, 0 },
		     { 'T', 0, 0, 1010, 0, 0 } },
	  .want = "1 gap(2,1) lost(2,1) 3 rec(1)",
	  .st = { .detected = 1, .lost = 1, .msgs_lost = 1, .reordered = 1 } },
	{ .name = "second hole keeps the time it was revealed",
	  .gap_ns = 1000,
	  .steps = { { 'D', A, 0, 0, 1, 1 }, { 'D', A, 0, 10, 3, 1 }, { 'D', A, 0, 20, 5, 1 },
		     { 'D', B, 0, 30, 2, 1 }, { 'T', 0, 0, 1019, 0, 0 },
		     { 'T', 0, 0, 1020, 0, 0 } },
	  .want = "1 gap(2,1) 2 3 gap(4,1) lost(4,1) 5 rec(1)",
	  .st = { .detected = 2, .filled = 1, .lost = 1, .msgs_lost = 1, .reordered = 2 } },
	{ .name = "duplicates on both lines",
	  .steps = { { 'D', A, 0, 1, 1, 2 }, { 'D', B, 0, 2, 1, 2 }, { 'D', A, 0, 3, 3, 1 },
		     { 'D', B, 0, 4, 3, 1 }, { 'D', B, 0, 5, 1, 3 }, { 'D', A, 0, 6, 2, 1 } },
	  .want = "1 2 3",
	  .st = { .dup_a = 1, .dup_b = 3 } },
	{ .name = "partial overlap delivers only the new tail",
	  .steps = { { 'D', A, 0, 1, 1, 3 }, { 'D', B, 0, 2, 2, 4 }, { 'D', A, 0, 3, 4, 3 } },
	  .want = "1 2 3 4 5 6",
	  .st = { .overlaps = 2 } },
	{ .name = "overlap through the reorder buffer",
	  .steps = { { 'D', A, 0, 1, 1, 1 }, { 'D', A, 0, 2, 4, 2 }, { 'D', B, 0, 3, 2, 3 } },
	  .want = "1 gap(2,2) 2 3 4 5 rec(0)",
	  .st = { .detected = 1, .filled = 1, .reordered = 1, .overlaps = 1 } },
	{ .name = "a held packet overtaken by a bigger one",
	  .steps = { { 'D', A, 0, 1, 1, 1 }, { 'D', A, 0, 2, 3, 1 }, { 'D', B, 0, 3, 2, 3 } },
	  .want = "1 gap(2,1) 2 3 4 rec(0)",
	  .st = { .dup_a = 1, .detected = 1, .filled = 1, .reordered = 1 } },
	{ .name = "held duplicate ahead of expected",
	  .steps = { { 'D', A, 0, 1, 1, 1 }, { 'D', A, 0, 2, 3, 2 }, { 'D', B, 0, 3, 3, 1 },
		     { 'D', B, 0, 4, 2, 1 } },
	  .want = "1 gap(2,1) 2 3 4 rec(0)",
	  .st = { .dup_b = 1, .detected = 1, .filled = 1, .reordered = 1 } },
	{ .name = "heartbeat reveals a gap",
	  .steps = { { 'D', A, 0, 1, 1, 2 }, { 'H', A, 0, 2, 3, 0 }, { 'H', B, 0, 3, 5, 0 },
		     { 'D', B, 0, 4, 3, 2 }, { 'H', A, 0, 5, 5, 0 } },
	  .want = "1 2 gap(3,2) 3 4 rec(0)",
	  .st = { .detected = 1, .filled = 1, .hb = 3 } },
	{ .name = "heartbeat gap given up",
	  .gap_pkts = 2,
	  .steps = { { 'D', A, 0, 1, 1, 2 }, { 'H', A, 0, 2, 5, 0 }, { 'H', A, 0, 3, 5, 0 },
		     { 'H', B, 0, 4, 5, 0 }, { 'D', A, 0, 5, 5, 1 } },
	  .want = "1 2 gap(3,2) lost(3,2) rec(2) 5",
	  .st = { .detected = 1, .lost = 1, .msgs_lost = 2, .hb = 3 } },
	{ .name = "end of session",
	  .steps = { { 'D', A, 0, 1, 1, 2 }, { 'E', A, 0, 2, 3, 0 }, { 'E', B, 0, 3, 3, 0 },
		     { 'E', A, 0, 4, 3, 0 } },
	  .want = "1 2 end(3)",
	  .st = { .ends = 3 } },
	{ .name = "end of session after a gap",
	  .steps = { { 'D', A, 0, 1, 1, 2 }, { 'E', A, 0, 2, 5, 0 }, { 'D', B, 0, 3, 3, 2 } },
	  .want = "1 2 gap(3,2) 3 4 rec(0) end(5)",
	  .st = { .detected = 1, .filled = 1, .ends = 1 } },
	{ .name = "sessions interleaved",
	  .steps = { { 'D', A, 0, 1, 1, 2 }, { 'D', A, 1, 2, 1, 1 }, { 'D', B, 0, 3, 1, 2 },
		     { 'D', A, 2, 4, 1, 1 }, { 'D', A, 1, 5, 3, 1 }, { 'D', A, 0, 6, 3, 1 },
		     { 'D', B, 1, 7, 2, 1 }, { 'D', A, 2, 8, 2, 2 } },
	  .want = "1 2 1:1 2:1 1:gap(2,1) 3 1:2 1:3 1:rec(0) 2:2 2:3",
	  .st = { .dup_b = 1, .detected = 1, .filled = 1, .reordered = 1 } },
	{ .name = "reorder buffer full gives up the hole",
	  .slots = 2,
	  .steps = { { 'D', A, 0, 1, 1, 1 }, { 'D', A, 0, 2, 3, 1 }, { 'D', A, 0, 3, 4, 1 },
		     { 'D', A, 0, 4, 5, 1 }, { 'D', B, 0, 5, 2, 1 } },
	  .want = "1 gap(2,1) lost(2,1) 3 4 rec(1) 5",
	  .st = { .dup_b = 1, .detected = 1, .lost = 1, .msgs_lost = 1, .reordered = 2,
		  .full = 1 } },
	{ .name = "reorder buffer full with holes between held packets",
	  .slots = 2,
	  .steps = { { 'D', A, 0, 1, 1, 1 }, { 'D', A, 0, 2, 3, 1 }, { 'D', A, 0, 3, 5, 1 },
		     { 'D', A, 0, 4, 6, 1 }, { 'D', B, 0, 5, 4, 1 } },
	  .want = "1 gap(2,1) lost(2,1) 3 gap(4,1) 4 5 6 rec(1)",
	  .st = { .detected = 2, .filled = 1, .lost = 1, .msgs_lost = 1, .reordered = 3,
		  .full = 1 } },
	{ .name = "ahead packet too big for a slot",
	  .slot_bytes = 40,
	  .steps = { { 'D', A, 0, 1, 1, 1 }, { 'D', A, 0, 2, 3, 3 }, { 'D', B, 0, 3, 2, 1 },
		     { 'D', B, 0, 4, 3, 3 } },
	  .want = "1 gap(2,4) 2 3 4 5 rec(0)",
	  .st = { .detected = 1, .filled = 1, .oversize = 1 } },
	{ .name = "flush gives up every hole",
	  .steps = { { 'D', A, 0, 1, 1, 1 }, { 'D', A, 0, 2, 4, 1 }, { 'D', A, 0, 3, 7, 1 },
		     { 'F', 0, 0, 0, 0, 0 } },
	  .want = "1 gap(2,2) lost(2,2) 4 gap(5,2) lost(5,2) 7 rec(4)",
	  .st = { .detected = 2, .lost = 2, .msgs_lost = 4, .reordered = 2 } },
	/* Start window (mold.h): a session's first packet is not taken as its start. */
	{ .name = "start: first packet reordered behind a later one",
	  .gap_pkts = 4,
	  .steps = { { 'D', A, 0, 1, 3, 2 }, { 'D', A, 0, 2, 1, 2 }, { 'D', A, 0, 3, 5, 2 },
		     { 'D', A, 0, 4, 7, 1 } },
	  .want = "1 2 3 4 5 6 7" },
	{ .name = "start: lowest line wins after the packet bound",
	  .gap_pkts = 3,
	  .steps = { { 'D', A, 0, 1, 9, 1 }, { 'D', B, 0, 2, 7, 1 }, { 'D', B, 0, 3, 8, 1 },
		     { 'D', A, 0, 4, 10, 1 }, { 'D', B, 0, 5, 9, 1 } },
	  .want = "7 8 9 10",
	  .st = { .dup_b = 1 } },
	{ .name = "start: window closes on packet time; a late lower copy is a duplicate",
	  .gap_ns = 100,
	  .steps = { { 'D', A, 0, 1000, 50, 1 }, { 'D', A, 0, 1050, 52, 1 },
		     { 'D', A, 0, 1100, 53, 1 }, { 'D', B, 0, 1101, 49, 1 },
		     { 'T', 0, 0, 1150, 0, 0 } },
	  .want = "50 gap(51,1) lost(51,1) 52 53 rec(1)",
	  .st = { .dup_b = 1, .detected = 1, .lost = 1, .msgs_lost = 1 } },
	{ .name = "start: advance closes a quiet window",
	  .gap_ns = 100,
	  .steps = { { 'D', A, 0, 1000, 50, 2 }, { 'T', 0, 0, 1099, 0, 0 },
		     { 'T', 0, 0, 1100, 0, 0 }, { 'D', A, 0, 1101, 52, 1 } },
	  .want = "50 51 52" },
	{ .name = "start: heartbeat lowers the start, end after",
	  .steps = { { 'D', A, 0, 1, 10, 1 }, { 'H', B, 0, 2, 8, 0 }, { 'D', B, 0, 3, 8, 2 },
		     { 'E', A, 0, 4, 11, 0 }, { 'F', 0, 0, 0, 0, 0 } },
	  .want = "8 9 10 end(11)",
	  .st = { .hb = 1, .ends = 1 } },
	{ .name = "start: buffer full closes the window",
	  .slots = 2,
	  .steps = { { 'D', A, 0, 1, 5, 1 }, { 'D', A, 0, 2, 4, 1 }, { 'D', A, 0, 3, 3, 1 },
		     { 'D', B, 0, 4, 2, 1 } },
	  .want = "3 4 5",
	  .st = { .dup_b = 1 } },
};

static void scenario_cfg(const struct scenario *sc, struct mold_cfg *cfg)
{
	mold_cfg_defaults(cfg);
	cfg->reorder_slots = sc->slots ? sc->slots : 8;
	cfg->slot_bytes = sc->slot_bytes ? sc->slot_bytes : 2048;
	cfg->gap_max_pkts = sc->gap_pkts;
	cfg->gap_max_ns = sc->gap_ns;
}

static struct harness *run_scenario(const struct scenario *sc)
{
	struct mold_cfg cfg;
	struct harness *h;

	scenario_cfg(sc, &cfg);
	h = harness_new(&cfg);
	for (const struct step *s = sc->steps; s->op; s++) {
		int rc = 0;

		switch (s->op) {
		case 'D':
		case 'H':
			rc = feed(h, s->line, s->t, s->sess, s->seq, s->count);
			break;
		case 'E':
			rc = feed(h, s->line, s->t, s->sess, s->seq, MOLD_COUNT_END);
			break;
		case 'T':
			rc = mold_advance(&h->m, s->t);
			drain(h);
			break;
		case 'F':
			rc = mold_flush(&h->m);
			drain(h);
			break;
		}
		assert_true(mold_last_dirty_holds(&h->m));
		if (rc != 0) {
			print_error("scenario '%s' step %c seq %llu: rc %d\n", sc->name, s->op,
				    (unsigned long long)s->seq, rc);
			dump(h);
			fail();
		}
	}
	return h;
}

static void test_scenarios(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const struct scenario *sc = &scenarios[i];
		struct harness *h = run_scenario(sc);
		const struct mold_stats *s = &h->m.stats;
		struct want_stats got = {
			.dup_a = s->dup_packets[A], .dup_b = s->dup_packets[B],
			.detected = s->gaps_detected, .filled = s->gaps_filled,
			.lost = s->gaps_lost, .msgs_lost = s->msgs_lost,
			.reordered = s->reordered, .overlaps = s->overlaps,
			.hb = s->heartbeats, .ends = s->end_packets,
			.full = s->reorder_full, .oversize = s->oversize,
		};

		want_trace(h, sc->name, sc->want);
		if (memcmp(&got, &sc->st, sizeof(got)) != 0) {
			print_error("scenario '%s': stats differ\n", sc->name);
			dump(h);
			fail();
		}
		/* Whatever happened, the session ends settled. */
		assert_int_equal(h->m.nholes, 0);
		assert_int_equal(h->m.npending, 0);
		assert_int_equal(s->messages, h->msgs);
		harness_free(h);
	}
}

/* ---- gap log ----------------------------------------------------------- */

static void test_gap_log_exact(void **state)
{
	const struct mold_gap_rec *r;
	struct harness *h;
	char id[MOLD_SESSION_LEN];
	(void)state;

	h = run_scenario(&scenarios[3]); /* lost after 3 packets */
	assert_int_equal(h->m.gap_log_total, 1);
	r = mold_gap_log_at(&h->m, 0);
	assert_non_null(r);
	sess_id(0, id);
	assert_memory_equal(r->session, id, MOLD_SESSION_LEN);
	assert_int_equal(r->session_idx, 0);
	assert_int_equal(r->reason, MOLD_LOST_PKTS);
	assert_string_equal(mold_lost_reason_name(r->reason), "packets");
	assert_int_equal(r->first, 3);
	assert_int_equal(r->count, 2);
	assert_int_equal(r->t_detect_ns, 200);
	assert_int_equal(r->t_declare_ns, 500);
	assert_int_equal(r->line[A].next_seq, 9);
	assert_int_equal(r->line[A].pkts, 5);
	assert_int_equal(r->line[A].last_t_ns, 500);
	assert_int_equal(r->line[B].next_seq, 0);
	assert_int_equal(r->line[B].pkts, 0);
	assert_int_equal(r->line[B].last_t_ns, 0);
	assert_null(mold_gap_log_at(&h->m, 1));
	harness_free(h);

	h = run_scenario(&scenarios[6]); /* second hole, time bound */
	r = mold_gap_log_at(&h->m, 0);
	assert_non_null(r);
	assert_int_equal(r->reason, MOLD_LOST_TIME);
	assert_int_equal(r->first, 4);
	assert_int_equal(r->count, 1);
	assert_int_equal(r->t_detect_ns, 20); /* when 5 arrived, not when 2..3 were filled */
	assert_int_equal(r->t_declare_ns, 1020);
	assert_int_equal(r->line[A].next_seq, 6);
	assert_int_equal(r->line[A].pkts, 3);
	assert_int_equal(r->line[B].next_seq, 3);
	assert_int_equal(r->line[B].pkts, 1);
	assert_int_equal(r->line[B].last_t_ns, 30);
	harness_free(h);

	h = run_scenario(&scenarios[17]); /* buffer full */
	assert_int_equal(mold_gap_log_at(&h->m, 0)->reason, MOLD_LOST_FULL);
	harness_free(h);
	h = run_scenario(&scenarios[20]); /* flush */
	assert_int_equal(h->m.gap_log_total, 2);
	assert_int_equal(mold_gap_log_at(&h->m, 1)->reason, MOLD_LOST_FLUSH);
	assert_int_equal(mold_gap_log_at(&h->m, 1)->first, 5);
	harness_free(h);
}

/* The log is a ring: with 2 entries, the third loss pushes out the first. */
static void test_gap_log_ring(void **state)
{
	struct mold_cfg cfg;
	struct harness *h;
	(void)state;

	mold_cfg_defaults(&cfg);
	cfg.gap_log_len = 2;
	h = harness_new(&cfg);
	feed(h, A, 1, 0, 1, 1);
	for (uint64_t i = 0; i < 3; i++) {
		feed(h, A, 2 + i, 0, 3 + 2 * i, 1); /* leaves one hole each */
		assert_int_equal(mold_flush(&h->m), 0);
		drain(h);
	}
	want_trace(h, "ring", "1 gap(2,1) lost(2,1) 3 rec(1) gap(4,1) lost(4,1) 5 rec(1) "
			      "gap(6,1) lost(6,1) 7 rec(1)");
	assert_int_equal(h->m.gap_log_total, 3);
	assert_null(mold_gap_log_at(&h->m, 0));
	assert_int_equal(mold_gap_log_at(&h->m, 1)->first, 4);
	assert_int_equal(mold_gap_log_at(&h->m, 2)->first, 6);
	assert_null(mold_gap_log_at(&h->m, 3));
	harness_free(h);
}

/* ---- generated A/B runs ------------------------------------------------- */

/* Packet i of a run: seq_of[i], 1 + i % 3 messages. */
#define RUN_PKTS 20000
static uint64_t seq_of[RUN_PKTS + 1];

static void run_layout(void)
{
	seq_of[0] = 1;
	for (int i = 0; i < RUN_PKTS; i++)
		seq_of[i + 1] = seq_of[i] + 1 + (uint64_t)(i % 3);
}

static void feed_i(struct harness *h, int line, int i)
{
	int rc = feed(h, line, 1000 + (uint64_t)i * 100, 0, seq_of[i],
		      (uint16_t)(seq_of[i + 1] - seq_of[i]));

	assert_int_equal(rc, 0);
}

/* Line A drops every 5th packet; B drops others, lags A by one packet and
 * fills every hole: every message once, in order, nothing lost. */
static bool a_drops(int i)
{
	return i % 5 == 3;
}

static bool b_drops(int i)
{
	return !a_drops(i) && i % 7 == 2;
}

static void test_ab_a_drops_b_fills(void **state)
{
	struct mold_cfg cfg;
	struct harness *h;
	const int n = 500;
	uint64_t sent = 0;
	(void)state;

	run_layout();
	mold_cfg_defaults(&cfg);
	cfg.gap_max_pkts = 8;
	h = harness_new(&cfg);
	h->quiet = true;
	for (int i = 0; i <= n; i++) {
		if (i < n && !a_drops(i)) {
			feed_i(h, A, i);
			sent++;
		}
		if (i > 0 && !b_drops(i - 1)) {
			feed_i(h, B, i - 1);
			sent++;
		}
	}
	if (h->bad || h->msgs != seq_of[n] - 1 || h->m.stats.gaps_lost != 0 ||
	    h->m.stats.gaps_detected != 100 || h->m.stats.gaps_filled != 100 ||
	    h->m.stats.reordered != 100 ||
	    h->m.stats.dup_packets[A] + h->m.stats.dup_packets[B] != sent - (uint64_t)n) {
		print_error("a-drops-b-fills: msgs %llu want %llu sent %llu\n",
			    (unsigned long long)h->msgs, (unsigned long long)(seq_of[n] - 1),
			    (unsigned long long)sent);
		dump(h);
		fail();
	}
	harness_free(h);
}

/* B is dark for 14,900 packets, then A for 3,000: no gap at all. */
static void test_ab_one_line_dark(void **state)
{
	struct mold_cfg cfg;
	struct harness *h;
	(void)state;

	run_layout();
	mold_cfg_defaults(&cfg);
	h = harness_new(&cfg);
	h->quiet = true;
	for (int i = 0; i < RUN_PKTS; i++) {
		bool b_dark = i >= 100 && i < 15000, a_dark = i >= 15000 && i < 18000;

		if (!a_dark)
			feed_i(h, A, i);
		if (!b_dark)
			feed_i(h, B, i);
	}
	if (h->bad || h->msgs != seq_of[RUN_PKTS] - 1 || h->m.stats.gaps_detected != 0 ||
	    h->m.stats.reordered != 0 || h->m.stats.dup_packets[A] != 0 ||
	    h->m.stats.dup_packets[B] != RUN_PKTS - 14900 - 3000) {
		print_error("one line dark\n");
		dump(h);
		fail();
	}
	harness_free(h);
}

/* xorshift64*: the test's own seeded generator. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

/* Random loss on both lines (10% each), B late by 0-3 packets, adjacent
 * swaps on A, a flush at the end. Lost messages must be exactly those of
 * packets both lines dropped; the same seed must give the same trace, stats
 * and gap log. */
static struct harness *random_run(uint64_t seed, int n, uint64_t *both_dropped_msgs)
{
	struct mold_cfg cfg;
	struct harness *h;
	int order_a[2048], nb = 0;
	bool drop_a[2048], drop_b[2048];
	uint64_t s = seed;

	assert_true(n <= 2048);
	mold_cfg_defaults(&cfg);
	cfg.gap_max_pkts = 24;
	cfg.gap_max_ns = 0;
	h = harness_new(&cfg);
	h->quiet = true;
	*both_dropped_msgs = 0;
	for (int i = 0; i < n; i++) {
		/* Packet 0 may be lost on one line (the start window finds it on
		 * the other), not both: nothing shows a session's messages before
		 * the first packet that arrives. */
		drop_a[i] = rng_next(&s) % 10 == 0;
		drop_b[i] = rng_next(&s) % 10 == 0 && !(i == 0 && drop_a[0]);
		if (drop_a[i] && drop_b[i])
			*both_dropped_msgs += seq_of[i + 1] - seq_of[i];
		order_a[i] = i;
	}
	for (int i = 0; i + 1 < n; i++) { /* packet 0 too: the start is not the first seen */
		if (rng_next(&s) % 8 == 0) {
			int t = order_a[i];

			order_a[i] = order_a[i + 1];
			order_a[i + 1] = t;
			i++;
		}
	}
	/* A's k-th packet, then B's packets up to k - lag. */
	for (int k = 0; k < n || nb < n; k++) {
		int lag = (int)(rng_next(&s) % 4);

		if (k < n && !drop_a[order_a[k]])
			feed_i(h, A, order_a[k]);
		for (; nb < n && (nb <= k - lag || k >= n); nb++)
			if (!drop_b[nb])
				feed_i(h, B, nb);
	}
	assert_int_equal(mold_flush(&h->m), 0);
	drain(h);
	return h;
}

static void test_ab_random_deterministic(void **state)
{
	uint64_t lost1, lost2;
	struct harness *h1, *h2;
	(void)state;

	run_layout();
	for (uint64_t seed = 1; seed <= 20; seed++) {
		h1 = random_run(seed * 0x9E3779B97F4A7C15ull, 2000, &lost1);
		drain_fast = seed % 2 == 0; /* the same run through mold_next_msg */
		h2 = random_run(seed * 0x9E3779B97F4A7C15ull, 2000, &lost2);
		drain_fast = false;
		if (h1->bad || h1->lost_msgs != lost1 || h1->m.stats.msgs_lost != lost1 ||
		    h1->msgs + lost1 != seq_of[2000] - 1 || h1->m.nholes != 0) {
			print_error("seed %llu: lost %llu want %llu msgs %llu\n",
				    (unsigned long long)seed, (unsigned long long)h1->lost_msgs,
				    (unsigned long long)lost1, (unsigned long long)h1->msgs);
			dump(h1);
			fail();
		}
		assert_string_equal(h1->trace, h2->trace);
		assert_memory_equal(&h1->m.stats, &h2->m.stats, sizeof(h1->m.stats));
		assert_int_equal(h1->m.gap_log_total, h2->m.gap_log_total);
		for (uint64_t i = 0; i < h1->m.gap_log_total && i < h1->m.cfg.gap_log_len; i++)
			assert_memory_equal(mold_gap_log_at(&h1->m, i), mold_gap_log_at(&h2->m, i),
					    sizeof(struct mold_gap_rec));
		harness_free(h1);
		harness_free(h2);
	}
}

/* ---- start window -------------------------------------------------------- */

/* The first packet seen is not taken as the session's start (mold.h). */
static void test_start_window(void **state)
{
	struct mold_cfg cfg;
	struct harness *h;
	uint64_t t = 0;
	(void)state;

	mold_cfg_defaults(&cfg);

	/* (a) A lost 1..38 and shows 39 first; B's 1..38 follow at once, then
	 * both lines run to 60: everything in order, nothing lost. (The packet
	 * bound must cover B's 38-packet catch-up, as for any gap.) */
	cfg.gap_max_pkts = 64;
	h = harness_new(&cfg);
	h->quiet = true;
	assert_int_equal(feed(h, A, t += 100, 0, 39, 1), 0);
	for (uint64_t q = 1; q <= 38; q++)
		assert_int_equal(feed(h, B, t += 100, 0, q, 1), 0);
	for (uint64_t q = 39; q <= 60; q++) {
		if (q > 39)
			assert_int_equal(feed(h, A, t += 100, 0, q, 1), 0);
		assert_int_equal(feed(h, B, t += 100, 0, q, 1), 0);
	}
	assert_int_equal(mold_flush(&h->m), 0);
	drain(h);
	if (h->bad || h->msgs != 60 || h->next[0] != 61 || h->m.stats.gaps_lost ||
	    h->m.stats.msgs_lost || h->m.sess[0].expected != 61) {
		dump(h);
		fail();
	}
	harness_free(h);
	mold_cfg_defaults(&cfg);

	/* (b) seq 5 then seq 1 on the same line: 1 starts the session; 5 waits. */
	h = harness_new(&cfg);
	assert_int_equal(feed(h, A, 1, 0, 5, 1), 0);
	assert_int_equal(feed(h, A, 2, 0, 1, 1), 0);
	for (uint64_t q = 2; q <= 4; q++)
		assert_int_equal(feed(h, A, 2 + q, 0, q, 1), 0);
	assert_int_equal(feed(h, A, 7, 0, 6, 1), 0);
	want_trace(h, "start reordered", "1 gap(2,3) 2 3 4 5 rec(0) 6");
	assert_int_equal(h->m.stats.msgs_lost, 0);
	harness_free(h);

	/* (c) Joined mid-stream: nothing below 1,000,000 ever comes. Delivered
	 * once the window closes (gap_max_pkts more packets), nothing lost. */
	h = harness_new(&cfg);
	h->quiet = true;
	for (uint64_t q = 0; q < cfg.gap_max_pkts; q++)
		assert_int_equal(feed(h, A, 1 + q, 0, 1000000 + q, 1), 0);
	assert_int_equal(h->msgs, 0); /* window still open */
	assert_int_equal(h->m.nstarting, 1);
	assert_int_equal(feed(h, A, 100, 0, 1000000 + cfg.gap_max_pkts, 1), 0);
	assert_int_equal(h->msgs, cfg.gap_max_pkts + 1);
	assert_int_equal(h->next[0], 1000000 + cfg.gap_max_pkts + 1);
	assert_int_equal(feed(h, B, 101, 0, 999999, 1), 0); /* window closed: duplicate */
	assert_int_equal(h->m.stats.dup_packets[B], 1);
	if (h->bad || h->m.stats.gaps_detected || h->m.stats.msgs_lost || h->m.nstarting) {
		dump(h);
		fail();
	}
	harness_free(h);

	/* (d) First packet seq 1: nothing can come before it, delivered at once. */
	h = harness_new(&cfg);
	assert_int_equal(feed(h, A, 1, 0, 1, 2), 0);
	want_trace(h, "start at 1", "1 2");
	assert_int_equal(h->m.nstarting, 0);
	assert_int_equal(h->m.stats.start_held, 0);
	harness_free(h);
}

/* ---- malformed packets --------------------------------------------------- */

/* Every truncation of a 3-message packet, ending at the guard page. */
static void test_malformed_truncations(void **state)
{
	uint8_t full[256];
	size_t len = build_pkt(full, 0, 1, 3); /* blocks of 11, 12, 13 bytes */
	const size_t bounds[] = { 20, 20 + 13, 20 + 13 + 14, 20 + 13 + 14 + 15 };
	struct mold_cfg cfg;
	struct harness *h;
	uint64_t nbad = 0;
	(void)state;

	assert_int_equal(len, bounds[3]);
	mold_cfg_defaults(&cfg);
	h = harness_new(&cfg);
	for (size_t cut = 0; cut < len; cut++) {
		const uint8_t *p = at_guard(full, cut);
		struct mold_pkt mp;
		int want = -MOLD_EBLOCK, rc;

		if (cut < MOLD_HDR_LEN)
			want = -MOLD_ESHORT;
		for (int b = 0; b < 3; b++)
			if (cut == bounds[b])
				want = -MOLD_ECOUNT_HIGH;
		rc = mold_parse(p, cut, &mp);
		if (rc != want) {
			print_error("cut %zu: %d (%s), want %d (%s)\n", cut, rc, mold_reason_name(rc),
				    want, mold_reason_name(want));
			fail();
		}
		assert_int_equal(mold_rx(&h->m, p, cut, A, 1), -EBADMSG);
		drain(h);
		nbad++;
	}
	assert_int_equal(mold_parse(at_guard(full, len), len, &(struct mold_pkt){ 0 }), 0);
	assert_int_equal(h->m.stats.malformed[MOLD_ESHORT], 20);
	assert_int_equal(h->m.stats.malformed[MOLD_ECOUNT_HIGH], 3);
	assert_int_equal(h->m.stats.malformed[MOLD_EBLOCK], nbad - 23);
	assert_int_equal(h->m.stats.packets, 0);
	assert_int_equal(h->m.nsess, 0); /* no session made from garbage */
	assert_int_equal(h->msgs, 0);
	harness_free(h);
}

struct bad_case {
	const char *name;
	int want;
};

/* Lying counts, zero-length and oversized blocks, trailing bytes after
 * heartbeat and end, sequence overflow: each before the guard page. */
static void test_malformed_kinds(void **state)
{
	uint8_t b[256];
	struct mold_pkt mp;
	size_t len;
	char id[MOLD_SESSION_LEN];
	struct mold_cfg cfg;
	struct harness *h;
	(void)state;

	mold_cfg_defaults(&cfg);
	h = harness_new(&cfg);
	sess_id(0, id);

#define CHECK(name, buf, n, want)                                                        \
	do {                                                                             \
		int rc_ = mold_parse(at_guard(buf, n), n, &mp);                          \
		if (rc_ != (want)) {                                                     \
			print_error("%s: %d (%s), want %d\n", name, rc_,                 \
				    mold_reason_name(rc_), want);                        \
			fail();                                                          \
		}                                                                        \
		assert_int_equal(mold_rx(&h->m, at_guard(buf, n), n, B, 1),              \
				 (want) ? -EBADMSG : 0);                                 \
		drain(h);                                                                \
	} while (0)

	len = build_pkt(b, 0, 1, 3);
	mold_hdr_write(b, id, 1, 2);
	CHECK("count lies low", b, len, -MOLD_ECOUNT_LOW);
	mold_hdr_write(b, id, 1, 4);
	CHECK("count lies high", b, len, -MOLD_ECOUNT_HIGH);
	mold_hdr_write(b, id, 1, 3);
	mold_block_len_write(b + 20 + 13, 0);
	CHECK("zero-length block", b, len, -MOLD_EZERO);
	mold_block_len_write(b + 20 + 13, 0xffff);
	CHECK("block length 65535", b, len, -MOLD_EBLOCK);
	mold_block_len_write(b + 20 + 13, 12);
	mold_block_len_write(b + 20 + 13 + 14, 14);
	CHECK("last block runs past the end", b, len, -MOLD_EBLOCK);
	mold_block_len_write(b + 20 + 13 + 14, 13);
	CHECK("repaired", b, len, 0);

	len = build_pkt(b, 0, 5, 0);
	b[len] = 0;
	CHECK("heartbeat with a trailing byte", b, len + 1, -MOLD_ECOUNT_LOW);
	len = build_pkt(b, 0, 5, MOLD_COUNT_END);
	CHECK("end with trailing bytes", b, len + 2, -MOLD_ECOUNT_LOW);
	CHECK("end of session", b, len, 0);

	len = build_pkt(b, 0, UINT64_MAX - 1, 2);
	CHECK("seq + count overflows", b, len, -MOLD_ESEQ);
	len = build_pkt(b, 0, UINT64_MAX, 1);
	CHECK("seq UINT64_MAX with a message", b, len, -MOLD_ESEQ);
	len = build_pkt(b, 0, UINT64_MAX, 0);
	CHECK("heartbeat at UINT64_MAX", b, len, 0);
#undef CHECK

	assert_int_equal(h->m.stats.malformed[MOLD_ECOUNT_LOW], 3);
	assert_int_equal(h->m.stats.malformed[MOLD_ECOUNT_HIGH], 1);
	assert_int_equal(h->m.stats.malformed[MOLD_EZERO], 1);
	assert_int_equal(h->m.stats.malformed[MOLD_EBLOCK], 2);
	assert_int_equal(h->m.stats.malformed[MOLD_ESEQ], 2);
	for (int r = 0; r < MOLD_REASON_COUNT; r++)
		assert_string_equal(mold_reason_name(-r), mold_reason_names[r]);
	assert_string_equal(mold_reason_name(-MOLD_EZERO), "zero-length-block");
	harness_free(h);
}

/* ---- sequence numbers near UINT64_MAX ------------------------------------ */

static void test_seq_near_max(void **state)
{
	struct mold_cfg cfg;
	struct harness *h;
	char want[512];
	const unsigned long long M = UINT64_MAX;
	(void)state;

	mold_cfg_defaults(&cfg);
	h = harness_new(&cfg);
	assert_int_equal(feed(h, A, 1, 0, UINT64_MAX - 5, 3), 0);
	assert_int_equal(feed(h, B, 2, 0, UINT64_MAX - 5, 3), 0);      /* duplicate */
	assert_int_equal(feed(h, A, 3, 0, UINT64_MAX - 2, 2), 0);      /* ends at MAX */
	assert_int_equal(feed(h, A, 4, 0, UINT64_MAX, 1), -EBADMSG);   /* no room */
	assert_int_equal(feed(h, A, 5, 0, UINT64_MAX, 0), 0);          /* heartbeat: no gap */
	assert_int_equal(feed(h, A, 6, 0, UINT64_MAX, MOLD_COUNT_END), 0);
	assert_int_equal(mold_flush(&h->m), 0); /* closes the start window */
	drain(h);
	snprintf(want, sizeof(want), "%llu %llu %llu %llu %llu end(%llu)", M - 5, M - 4, M - 3,
		 M - 2, M - 1, M);
	want_trace(h, "near max", want);
	assert_int_equal(h->m.sess[0].expected, UINT64_MAX);
	harness_free(h);

	h = harness_new(&cfg);
	assert_int_equal(feed(h, A, 1, 0, UINT64_MAX - 10, 1), 0);
	assert_int_equal(feed(h, A, 2, 0, UINT64_MAX - 3, 3), 0);
	assert_int_equal(mold_flush(&h->m), 0);
	drain(h);
	snprintf(want, sizeof(want), "%llu gap(%llu,6) lost(%llu,6) %llu %llu %llu rec(6)", M - 10,
		 M - 9, M - 9, M - 3, M - 2, M - 1);
	want_trace(h, "gap near max", want);
	harness_free(h);
}

/* ---- API contract -------------------------------------------------------- */

static void test_api_contract(void **state)
{
	struct mold_cfg cfg, bad;
	struct harness *h;
	struct mold m;
	struct mold_item it;
	uint8_t pkt[64];
	size_t len;
	void *mem;
	(void)state;

	mold_cfg_defaults(&cfg);
	assert_true(mold_memsize(&cfg) > 0);
	assert_int_equal(mold_memsize(&cfg) % 64, 0);
	bad = cfg;
	bad.max_sessions = 0;
	assert_int_equal(mold_memsize(&bad), 0);
	assert_int_equal(mold_init(&m, &bad, NULL), -EINVAL);
	bad = cfg;
	bad.reorder_slots = 0;
	assert_int_equal(mold_init(&m, &bad, NULL), -EINVAL);
	bad = cfg;
	bad.slot_bytes = 19;
	assert_int_equal(mold_init(&m, &bad, NULL), -EINVAL);
	assert_int_equal(mold_init(&m, NULL, NULL), -EINVAL);
	mold_fini(NULL);

	/* Caller-provided memory (as from the arena); misaligned is refused. */
	mem = aligned_alloc(64, mold_memsize(&cfg) + 64);
	assert_non_null(mem);
	assert_int_equal(mold_init(&m, &cfg, (uint8_t *)mem + 8), -EINVAL);
	assert_int_equal(mold_init(&m, &cfg, mem), 0);
	assert_null(m.owned);
	len = build_pkt(pkt, 0, 1, 1); /* seq 1: no start window */
	assert_int_equal(mold_rx(&m, pkt, len, A, 1), 0);
	assert_int_equal(mold_rx(&m, pkt, len, A, 1), -EBUSY); /* not drained */
	assert_int_equal(mold_advance(&m, 2), -EBUSY);
	assert_int_equal(mold_flush(&m), -EBUSY);
	assert_int_equal(mold_next(&m, &it), 1);
	assert_int_equal(it.kind, MOLD_MSG);
	assert_int_equal(it.seq, 1);
	assert_int_equal(it.line, A);
	assert_int_equal(it.t_ns, 1);
	assert_int_equal(it.len, msg_len(1));
	assert_int_equal(mold_next(&m, &it), 0);
	assert_int_equal(mold_next(&m, &it), 0);
	assert_int_equal(mold_rx(&m, pkt, len, 2, 1), -EINVAL);
	assert_int_equal(mold_rx(&m, pkt, len, -1, 1), -EINVAL);
	mold_fini(&m);
	free(mem);

	/* Session table full. */
	cfg.max_sessions = 2;
	h = harness_new(&cfg);
	assert_int_equal(feed(h, A, 1, 0, 1, 1), 0);
	assert_int_equal(feed(h, A, 2, 1, 1, 1), 0);
	assert_int_equal(feed(h, A, 3, 2, 1, 1), -ENOSPC);
	assert_int_equal(feed(h, A, 4, 1, 2, 1), 0);
	want_trace(h, "sessions full", "1 1:1 1:2");
	assert_int_equal(h->m.stats.sessions, 2);
	assert_int_equal(h->m.stats.session_full, 1);
	harness_free(h);

	/* first_seq: a session that must start at 1 sees the gap to its first packet. */
	mold_cfg_defaults(&cfg);
	cfg.first_seq = 1;
	h = harness_new(&cfg);
	assert_int_equal(feed(h, A, 1, 0, 14757701, 1), 0);
	assert_int_equal(mold_flush(&h->m), 0);
	drain(h);
	want_trace(h, "first_seq", "gap(1,14757700) lost(1,14757700) 14757701 rec(14757700)");
	harness_free(h);

	assert_string_equal(mold_item_kind_name(MOLD_EV_LOST), "lost");
	assert_string_equal(mold_item_kind_name(99), "unknown");
	assert_string_equal(mold_lost_reason_name(MOLD_LOST_FULL), "buffer-full");
}

/* ---- mold_rx_fast_whole -------------------------------------------------- */

/* The session state and counters two molds must share. */
static void assert_molds_agree(const struct mold *a, const struct mold *b)
{
	assert_memory_equal(&a->stats, &b->stats, sizeof(a->stats));
	assert_int_equal(a->nsess, b->nsess);
	assert_int_equal(a->now_ns, b->now_ns);
	assert_int_equal(a->busy, b->busy);
	assert_int_equal(a->last_dirty, b->last_dirty);
	assert_int_equal(a->npending, b->npending);
	assert_int_equal(a->nholes, b->nholes);
	for (uint32_t i = 0; i < a->nsess; i++) {
		const struct mold_session *x = &a->sess[i], *y = &b->sess[i];

		assert_memory_equal(x->id, y->id, MOLD_SESSION_LEN);
		assert_int_equal(x->expected, y->expected);
		assert_int_equal(x->horizon, y->horizon);
		assert_int_equal(x->rx_pkts, y->rx_pkts);
		assert_int_equal(x->pending, y->pending);
		assert_int_equal(x->hole_open, y->hole_open);
		assert_memory_equal(x->line, y->line, sizeof(x->line));
	}
	assert_true(mold_last_dirty_holds(a) && mold_last_dirty_holds(b));
}

/* The messages of the packet in w->pkt (k, seq, count) to w's trace, as
 * a caller of mold_rx_fast_whole applies them. */
static void apply_whole(struct harness *w, int line, uint64_t t, unsigned k, uint64_t seq,
			uint16_t count)
{
	struct mold_item it = { .kind = MOLD_MSG, .count = 1, .line = (uint8_t)line,
				.session = w->m.last_sess, .t_ns = t };
	size_t len = build_pkt(w->pkt, k, seq, count);
	const uint8_t *p = w->pkt + MOLD_HDR_LEN;

	for (uint16_t i = 0; i < count; i++) {
		it.len = mold_block_len(p);
		it.msg = p + MOLD_BLOCK_HDR_LEN;
		it.seq = seq + i;
		on_item(w, &it);
		p += MOLD_BLOCK_HDR_LEN + it.len;
	}
	assert_int_equal(p - w->pkt, len);
}

/* One packet of session k into h (mold_rx, drained) and into w (taken whole
 * when mold_rx_fast_whole says so, its messages read off the packet's
 * blocks; else as h): the same messages, state and counters. Returns
 * whether w took it whole; when it did not, mold_rx_fast_whole changed
 * nothing. */
static bool feed_whole(struct harness *h, struct harness *w, int line, uint64_t t, unsigned k,
		       uint64_t seq, uint16_t count)
{
	size_t len = build_pkt(w->pkt, k, seq, count);
	struct mold before = w->m;
	bool whole;

	(void)feed(h, line, t, k, seq, count);
	whole = mold_rx_fast_whole(&w->m, w->pkt, seq, count, line, t);
	if (whole) {
		apply_whole(w, line, t, k, seq, count);
	} else {
		assert_memory_equal(&before, &w->m, sizeof(before));
		assert_int_equal(mold_rx(&w->m, w->pkt, len, line, t), 0);
		drain(w);
	}
	assert_string_equal(h->trace, w->trace);
	assert_int_equal(h->bad + w->bad, 0);
	assert_molds_agree(&h->m, &w->m);
	return whole;
}

/* mold_rx_fast_whole takes exactly the session's next packet of the clean
 * state, and leaves mold as mold_rx and a full drain do. */
static void test_rx_fast_whole(void **state)
{
	static const struct {
		int line;
		uint64_t t;
		unsigned k;
		uint64_t seq;
		uint16_t count;
		bool whole;
	} steps[] = {
		{ A, 1, 0, 1, 2, false },  /* no session yet (last_s NULL: last_dirty) */
		{ A, 2, 0, 3, 3, true },
		{ B, 3, 0, 6, 1, true },
		{ A, 2, 0, 7, 2, true },   /* an older stamp leaves the clock alone */
		{ A, 4, 0, 8, 3, false },  /* overlap: seq below expected */
		{ B, 5, 0, 9, 2, false },  /* duplicate */
		{ A, 6, 0, 11, 0, false }, /* a heartbeat (no messages) at the next seq */
		{ A, 7, 0, 11, 4, true },
		{ A, 8, 1, 1, 1, false },  /* another session ... */
		{ A, 9, 0, 15, 1, false }, /* ... so this one is not last_s */
		{ A, 10, 0, 16, 1, true },
		{ A, 11, 0, 20, 2, false }, /* a gap: held, not whole ... */
		{ A, 12, 0, 22, 1, false }, /* ... nor anything while it is open */
		{ B, 13, 0, 17, 3, false }, /* fills it */
		{ A, 14, 0, 23, 2, true },
	};
	struct mold_cfg cfg;
	struct harness *h, *w;
	(void)state;

	mold_cfg_defaults(&cfg);
	h = harness_new(&cfg);
	w = harness_new(&cfg);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		assert_int_equal(feed_whole(h, w, steps[i].line, steps[i].t, steps[i].k, steps[i].seq,
					    steps[i].count),
				 steps[i].whole);
	/* a bad line; busy: a packet not drained */
	assert_false(mold_rx_fast_whole(&w->m, w->pkt, 25, 1, 2, 15));
	assert_int_equal(mold_rx(&w->m, w->pkt, build_pkt(w->pkt, 0, 25, 1), A, 15), 0);
	assert_false(mold_rx_fast_whole(&w->m, w->pkt, 25, 1, A, 15));
	harness_free(h);
	harness_free(w);
}

/* mold_rx_fast_whole and then mold_rx_fast_whole_more for the packets
 * after it in one step leave mold as mold_rx and a drain for each: the
 * clock the highest stamp (not the last), the line's last stamp the
 * last, counters, session and line state. */
static void test_rx_fast_whole_more(void **state)
{
	static const struct {
		uint64_t t;
		uint64_t seq;
		uint16_t count;
	} run[] = { { 5, 3, 2 }, { 9, 5, 1 }, { 7, 6, 3 }, { 8, 9, 2 } };
	struct mold_cfg cfg;
	struct harness *h, *w;
	uint64_t nmsgs = 0, t_max = 0;
	(void)state;

	mold_cfg_defaults(&cfg);
	h = harness_new(&cfg);
	w = harness_new(&cfg);
	assert_false(feed_whole(h, w, A, 1, 0, 1, 2)); /* the session's first */
	for (size_t i = 0; i < 4; i++)
		(void)feed(h, A, run[i].t, 0, run[i].seq, run[i].count);
	build_pkt(w->pkt, 0, run[0].seq, run[0].count);
	assert_true(mold_rx_fast_whole(&w->m, w->pkt, run[0].seq, run[0].count, A, run[0].t));
	for (size_t i = 1; i < 4; i++) {
		nmsgs += run[i].count;
		t_max = run[i].t > t_max ? run[i].t : t_max;
	}
	mold_rx_fast_whole_more(&w->m, A, 3, run[3].seq + run[3].count, nmsgs, t_max, run[3].t);
	for (size_t i = 0; i < 4; i++)
		apply_whole(w, A, run[i].t, 0, run[i].seq, run[i].count);
	assert_string_equal(h->trace, w->trace);
	assert_int_equal(h->bad + w->bad, 0);
	assert_molds_agree(&h->m, &w->m);
	assert_int_equal(w->m.now_ns, 9);
	assert_int_equal(w->m.sess[0].line[A].last_t_ns, 8);
	assert_true(mold_last_dirty_holds(&w->m));
	/* and the next packet is still taken whole */
	assert_true(feed_whole(h, w, A, 10, 0, 11, 1));
	harness_free(h);
	harness_free(w);
}

/* ---- re-request encoder -------------------------------------------------- */

static void test_request_encode(void **state)
{
	static const uint8_t want[MOLD_REQUEST_LEN] = {
		'0', '0', '0', '0', '1', '0', '0', '5', '9', 'B',
		0x00, 0x00, 0x00, 0x00, 0x00, 0xe1, 0x2f, 0x5a, /* 14757722 */
		0x00, 0x03,
	};
	uint8_t *buf = guard - MOLD_REQUEST_LEN;
	struct mold_pkt mp;
	(void)state;

	memset(buf, 0xcc, MOLD_REQUEST_LEN);
	assert_int_equal(mold_request_encode(buf, MOLD_REQUEST_LEN, "000010059B", 14757722, 3),
			 MOLD_REQUEST_LEN);
	assert_memory_equal(buf, want, sizeof(want));
	/* It reads back as a MoldUDP64 header (the wire shape is shared). */
	assert_int_equal(mold_parse(buf, MOLD_REQUEST_LEN, &mp), -MOLD_ECOUNT_HIGH);
	assert_int_equal(mp.hdr.seq, 14757722);
	assert_int_equal(mp.hdr.count, 3);

	memset(buf, 0xcc, MOLD_REQUEST_LEN);
	assert_int_equal(mold_request_encode(buf, MOLD_REQUEST_LEN - 1, "000010059B", 1, 1),
			 -ENOSPC);
	assert_int_equal(buf[0], 0xcc); /* nothing written */
	assert_int_equal(mold_request_encode(buf, MOLD_REQUEST_LEN, "000010059B", 1, 0), -EINVAL);
	assert_int_equal(mold_request_encode(buf, MOLD_REQUEST_LEN, "000010059B", UINT64_MAX, 1),
			 -EINVAL);
	assert_int_equal(mold_request_encode(buf, MOLD_REQUEST_LEN, "000010059B",
					     UINT64_MAX - 0xffff, 0xffff),
			 MOLD_REQUEST_LEN);
	assert_memory_equal(buf + MOLD_OFF_SEQ, "\xff\xff\xff\xff\xff\xff\x00\x00", 8);
	assert_memory_equal(buf + MOLD_OFF_COUNT, "\xff\xff", 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scenarios),
		cmocka_unit_test(test_gap_log_exact),
		cmocka_unit_test(test_gap_log_ring),
		cmocka_unit_test(test_ab_a_drops_b_fills),
		cmocka_unit_test(test_ab_one_line_dark),
		cmocka_unit_test(test_ab_random_deterministic),
		cmocka_unit_test(test_start_window),
		cmocka_unit_test(test_malformed_truncations),
		cmocka_unit_test(test_malformed_kinds),
		cmocka_unit_test(test_seq_near_max),
		cmocka_unit_test(test_api_contract),
		cmocka_unit_test(test_rx_fast_whole),
		cmocka_unit_test(test_rx_fast_whole_more),
		cmocka_unit_test(test_request_encode),
	};

	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
