/* test_feed.c - the feed stage end to end on hand-built MoldUDP64 packets:
 * md_events for each ITCH update, books flagged stale while a gap is open
 * and fresh once it is filled (from the other line) or given up, duplicates
 * ignored, overruns counted; every real capture in the shared data folder
 * through frames with zero framing errors; and the burst paths
 * (feed_on_burst, feed_on_messages) giving exactly the one-at-a-time
 * results on a generated capture with gaps, duplicates and garbage. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/feed.h"
#include "dataplane/itch_enc.h"
#include "dataplane/pcap_src.h"
#include "hw/arena.h"
#include "tests/test_data.h"

#define SESSION "TESTSESS01"

struct fx {
	struct arena a;
	struct feed f;
	struct md_event ev[256];
};

/* fx_setup's level pool: 0, as many levels as orders (a test that needs
 * a smaller pool sets it and puts it back). */
static uint32_t fx_max_levels;

static int fx_setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct feed_cfg cfg;
	struct arena_cfg acfg = { .no_huge = true, .no_lock = true };

	if (!x)
		return -1;
	feed_cfg_defaults(&cfg);
	cfg.book.max_orders = 1024;
	cfg.book.max_levels = fx_max_levels;
	cfg.book.max_locate = 100;
	cfg.mold.gap_max_pkts = 4;
	cfg.mold.gap_max_ns = 1000000000ull;
	acfg.size = feed_memsize(&cfg);
	if (acfg.size == 0 || arena_init(&x->a, &acfg) != 0 || feed_init(&x->f, &cfg, &x->a) != 0)
		return -1;
	*state = x;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *x = *state;

	feed_fini(&x->f);
	arena_fini(&x->a);
	free(x);
	return 0;
}

/* A MoldUDP64 packet: header then n encoded messages. Returns its length. */
static size_t packet(uint8_t *buf, uint64_t seq, const struct itch_msg *m, int n)
{
	size_t off = MOLD_HDR_LEN;

	mold_hdr_write(buf, SESSION, seq, (uint16_t)n);
	for (int i = 0; i < n; i++) {
		int len = itch_encode(&m[i], buf + off + MOLD_BLOCK_HDR_LEN, 256);

		assert_true(len > 0);
		mold_block_len_write(buf + off, (uint16_t)len);
		off += MOLD_BLOCK_HDR_LEN + (size_t)len;
	}
	return off;
}

static struct itch_msg add(uint64_t ref, uint8_t side, uint32_t shares, uint32_t px,
			   uint64_t ts)
{
	struct itch_msg m;

	memset(&m, 0, sizeof(m));
	m.type = 'A';
	m.locate = 7;
	m.ts_ns = ts;
	m.add.ref = ref;
	m.add.side = side;
	m.add.shares = shares;
	memcpy(m.add.stock, "TEST    ", 8);
	m.add.price = px;
	return m;
}

static struct itch_msg exec_msg(uint64_t ref, uint32_t shares, uint64_t ts)
{
	struct itch_msg m;

	memset(&m, 0, sizeof(m));
	m.type = 'E';
	m.locate = 7;
	m.ts_ns = ts;
	m.exec.ref = ref;
	m.exec.shares = shares;
	m.exec.match = 99;
	return m;
}

static uint32_t rx(struct fx *x, uint64_t seq, const struct itch_msg *m, int n, int line,
		   uint64_t t_ns)
{
	uint8_t buf[2048];
	size_t len = packet(buf, seq, m, n);

	return feed_on_packet(&x->f, buf, len, line, t_ns, 1234, x->ev, 256);
}

static void test_events_for_updates(void **state)
{
	struct fx *x = *state;
	struct itch_msg m[3] = {
		add(1, 'B', 100, 1000000, 10),
		add(2, 'S', 50, 1001000, 11),
		exec_msg(1, 30, 12),
	};
	uint32_t n = rx(x, 1, m, 3, MOLD_LINE_A, 1000);

	assert_int_equal(n, 3);
	assert_int_equal(x->ev[0].kind, MD_BOOK);
	assert_int_equal(x->ev[0].msg_type, 'A');
	assert_int_equal(x->ev[0].seq, 1);
	assert_int_equal(x->ev[0].t_rx_tsc, 1234);
	assert_int_equal(x->ev[0].t_exch_ns, 10);
	assert_int_equal(x->ev[0].locate, 7);
	assert_int_equal(x->ev[0].side, 'B');
	assert_int_equal(x->ev[0].px, 1000000);
	assert_int_equal(x->ev[0].qty, 100);
	assert_int_equal(x->ev[0].bid_px, 1000000);
	assert_int_equal(x->ev[0].bid_qty, 100);
	assert_int_equal(x->ev[0].ask_px, 0);
	assert_true(x->ev[0].flags & MD_F_TOP);
	assert_false(x->ev[0].flags & MD_F_STALE);

	assert_int_equal(x->ev[1].ask_px, 1001000);
	assert_int_equal(x->ev[1].ask_qty, 50);
	assert_int_equal(x->ev[1].seq, 2);

	assert_int_equal(x->ev[2].kind, MD_TRADE);
	assert_int_equal(x->ev[2].msg_type, 'E');
	assert_int_equal(x->ev[2].order_ref, 1);
	assert_int_equal(x->ev[2].px, 1000000);
	assert_int_equal(x->ev[2].qty, 30);
	assert_int_equal(x->ev[2].bid_qty, 70);
	assert_int_equal(x->f.st.msgs, 3);
	assert_int_equal(x->f.st.by_type['A'], 2);
}

/* Line A loses packet 2; line B carries it a little later: the books are
 * stale only while the hole is open, and end exactly as if nothing was
 * lost. Line B's copies of what A delivered are duplicates. */
static void test_gap_filled_by_line_b(void **state)
{
	struct fx *x = *state;
	struct itch_msg p1 = add(1, 'B', 100, 1000000, 10);
	struct itch_msg p2 = add(2, 'B', 200, 1000100, 11);
	struct itch_msg p3 = add(3, 'S', 300, 1000500, 12);
	struct itch_msg p4 = add(4, 'S', 400, 1000600, 13);
	const struct book_sym *s;
	uint32_t n;

	assert_int_equal(rx(x, 1, &p1, 1, MOLD_LINE_A, 1000), 1);
	n = rx(x, 3, &p3, 1, MOLD_LINE_A, 2000); /* seq 2 missing */
	assert_int_equal(n, 1);
	assert_int_equal(x->ev[0].kind, MD_STATE);
	assert_int_equal(x->ev[0].locate, 0);
	assert_true(x->ev[0].flags & MD_F_STALE);
	assert_true(x->f.stale);
	s = book_sym_get(x->f.books, 7);
	assert_true(feed_sym_stale(&x->f, 7));

	rx(x, 1, &p1, 1, MOLD_LINE_B, 2100); /* duplicate */
	n = rx(x, 2, &p2, 1, MOLD_LINE_B, 2200); /* fills the hole */
	assert_int_equal(n, 3); /* msg 2, msg 3 (buffered), feed fresh */
	assert_int_equal(x->ev[0].seq, 2);
	assert_int_equal(x->ev[1].seq, 3);
	/* order events while the gap was open carry the feed's stale bit */
	assert_true(x->ev[0].flags & MD_F_STALE);
	assert_true(x->ev[1].flags & MD_F_STALE);
	assert_int_equal(x->ev[2].kind, MD_STATE);
	assert_false(x->ev[2].flags & MD_F_STALE);
	assert_false(x->f.stale);
	assert_false(feed_sym_stale(&x->f, 7));
	assert_int_equal(s->best_px[BOOK_BID], 1000100);
	assert_int_equal(s->best_px[BOOK_ASK], 1000500);
	assert_int_equal(s->norders, 3);
	assert_int_equal(x->f.st.gaps, 1);
	assert_int_equal(x->f.st.lost, 0);
	assert_int_equal(x->f.stale, false);
	rx(x, 3, &p3, 1, MOLD_LINE_B, 2300); /* B's late copy of 3 */
	assert_int_equal(s->norders, 3);
	assert_int_equal(x->f.st.msgs, 3);
	/* and once it is filled, not */
	n = rx(x, 4, &p4, 1, MOLD_LINE_A, 2400);
	assert_int_equal(n, 1);
	assert_int_equal(x->ev[0].kind, MD_BOOK);
	assert_false(x->ev[0].flags & MD_F_STALE);
	assert_int_equal(x->f.st.stale_episodes, 1);
}

/* A hole nobody fills is given up after gap_max_pkts more packets: the
 * messages are counted lost, the feed goes on in sequence, and the books
 * stay stale since nothing can prove them right again. */
static void test_gap_lost(void **state)
{
	struct fx *x = *state;
	struct itch_msg m[8];
	uint32_t n = 0;

	for (int i = 0; i < 8; i++)
		m[i] = add((uint64_t)i + 1, 'B', 100, 1000000 + (uint32_t)i * 100, (uint64_t)i);
	rx(x, 1, &m[0], 1, MOLD_LINE_A, 100);
	for (int i = 3; i < 8; i++) /* seqs 2 and 3 never arrive */
		n += rx(x, (uint64_t)i + 1, &m[i], 1, MOLD_LINE_A, 100 + (uint64_t)i);
	assert_true(n > 0);
	assert_int_equal(x->f.st.lost, 2);
	assert_int_equal(x->f.st.gaps, 1);
	/* Back in sequence, but two messages are gone: the books stay stale. */
	assert_true(x->f.stale);
	assert_true(feed_sym_stale(&x->f, 7));
	assert_int_equal(book_sym_get(x->f.books, 7)->norders, 6);
	assert_int_equal(x->f.mold.stats.gaps_lost, 1);
}

/* An add refused because the order pool is full leaves that symbol's book
 * missing an order: it turns stale for good (and says so); others do not. */
static void test_pool_full_makes_symbol_stale(void **state)
{
	struct fx *x = *state;
	struct itch_msg m = add(1, 'B', 100, 1000000, 1);
	uint32_t n = 0;

	for (uint64_t i = 1; i <= 1024; i++) { /* fx pool: 1024 orders */
		m.add.ref = i;
		n = rx(x, i, &m, 1, MOLD_LINE_A, i);
		assert_int_equal(n, 1);
	}
	assert_false(feed_sym_stale(&x->f, 7));
	m.add.ref = 5000;
	m.locate = 8;
	n = rx(x, 1025, &m, 1, MOLD_LINE_A, 2000);
	assert_int_equal(n, 1);
	assert_int_equal(x->ev[0].kind, MD_STATE);
	assert_int_equal(x->ev[0].locate, 8);
	assert_true(x->ev[0].flags & MD_F_STALE);
	assert_true(feed_sym_stale(&x->f, 8));
	assert_false(feed_sym_stale(&x->f, 7));
	assert_false(x->f.stale);
	assert_int_equal(x->f.st.pool_full_stale, 1);
	assert_int_equal(x->f.books->cnt.rejected[BOOK_EORDERS], 1);
}

static void test_overrun_counted(void **state)
{
	struct fx *x = *state;
	struct itch_msg m[4];
	uint8_t buf[2048];
	size_t len;

	for (int i = 0; i < 4; i++)
		m[i] = add((uint64_t)i + 1, 'S', 10, 2000000, (uint64_t)i);
	len = packet(buf, 1, m, 4);
	assert_int_equal(feed_on_packet(&x->f, buf, len, MOLD_LINE_A, 1, 0, x->ev, 2), 2);
	assert_int_equal(x->f.st.md_events, 2);
	assert_int_equal(x->f.st.md_overruns, 2);
	/* The book took all four regardless. */
	assert_int_equal(book_sym_get(x->f.books, 7)->norders, 4);
}

static void test_bad_packets_counted(void **state)
{
	struct fx *x = *state;
	struct itch_msg a = add(1, 'B', 100, 1000000, 1);
	uint8_t buf[2048];
	size_t len = packet(buf, 1, &a, 1);
	uint8_t frame[64];

	/* Count says 2, one block: malformed, nothing applied. */
	buf[MOLD_OFF_COUNT + 1] = 2;
	assert_int_equal(feed_on_packet(&x->f, buf, len, MOLD_LINE_A, 1, 0, x->ev, 256), 0);
	assert_int_equal(x->f.st.packets_bad, 1);
	assert_int_equal(book_sym_get(x->f.books, 7)->norders, 0);
	/* A runt frame. */
	memset(frame, 0, sizeof(frame));
	assert_int_equal(feed_on_frame(&x->f, frame, 10, 10, 1, 0, x->ev, 256), 0);
	assert_int_equal(x->f.st.net.reason[NET_ERUNT], 1);
	/* Truncated ITCH inside a well-formed block. */
	len = packet(buf, 1, &a, 1);
	mold_block_len_write(buf + MOLD_HDR_LEN, 20);
	assert_int_equal(feed_on_packet(&x->f, buf, MOLD_HDR_LEN + 2 + 20, MOLD_LINE_A, 1, 0,
					x->ev, 256), 0);
	assert_int_equal(x->f.st.itch_short, 1);
}

/* Every real capture replays frame by frame with no framing error. */
static void test_real_pcaps_clean(void **state)
{
	char dir[512], path[1024];
	struct dirent *de;
	unsigned files = 0;
	uint64_t msgs = 0;
	DIR *d;
	(void)state;

	test_data_path(dir, "pcap/nasdaq-itch50");
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		struct fx *x;
		struct pcap_src src;
		struct pcap_src_pkt pkt;

		if (!strstr(de->d_name, ".pcap"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_int_equal(fx_setup((void **)&x), 0);
		assert_int_equal(pcap_src_init(&src, path), 0);
		x->f.link = src.link;
		while (pcap_src_next(&src, &pkt) == 1)
			feed_on_frame(&x->f, pkt.data, pkt.caplen, pkt.wirelen, pkt.ts_ns, 0, x->ev,
				      256);
		feed_finish(&x->f, 0, x->ev, 256);
		pcap_src_fini(&src);
		if (x->f.st.net.reason[NET_OK] != x->f.st.frames || x->f.st.packets_bad ||
		    x->f.st.itch_short || x->f.st.itch_unknown || x->f.st.itch_empty ||
		    x->f.st.itch_long || x->f.st.msgs == 0) {
			print_error("%s: frames %llu udp %llu bad packets %llu msgs %llu\n",
				    de->d_name, (unsigned long long)x->f.st.frames,
				    (unsigned long long)x->f.st.net.reason[NET_OK],
				    (unsigned long long)x->f.st.packets_bad,
				    (unsigned long long)x->f.st.msgs);
			fail();
		}
		msgs += x->f.st.msgs;
		files++;
		fx_teardown((void **)&x);
	}
	closedir(d);
	assert_int_equal(files, 35);
	/* 8 undated files: 46 messages; 27 single-message files. */
	assert_int_equal(msgs, 46 + 27);
}

/* ---- burst path == frame-at-a-time path ------------------------------- */

/* xorshift64*: the synthetic capture is the same on every run. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

static uint32_t rnd(uint64_t *s, uint32_t n)
{
	return (uint32_t)((rng_next(s) >> 32) % n);
}

/* Order flow over 20 symbols: adds, executions, cancels, deletes and
 * replaces of live orders (and now and then of unknown ones), trades,
 * crosses, halts and directory messages. */
struct gen {
	uint64_t rng;
	uint64_t live[256];
	uint16_t live_loc[256]; /* their symbols: a message naming one carries it */
	uint32_t nlive;
	uint64_t next_ref;
	uint64_t ts;
};

static void gen_msg(struct gen *g, struct itch_msg *m)
{
	uint32_t r = rnd(&g->rng, 100), at = 0;
	uint64_t ref = 0;

	memset(m, 0, sizeof(*m));
	m->locate = (uint16_t)(1 + rnd(&g->rng, 20));
	m->ts_ns = ++g->ts;
	if (g->nlive < 8 || (r < 40 && g->nlive < 256)) {
		bool bid = rnd(&g->rng, 2);

		m->type = rnd(&g->rng, 8) ? 'A' : 'F';
		m->add.ref = g->next_ref++;
		m->add.side = bid ? 'B' : 'S';
		m->add.shares = 100 * (1 + rnd(&g->rng, 5));
		memcpy(m->add.stock, "TEST    ", 8);
		/* overlapping bands: the books cross now and then */
		m->add.price = 1000000 + 100 * rnd(&g->rng, 40) + (bid ? 0 : 3500);
		memcpy(m->add.mpid, m->type == 'F' ? "MPID" : "    ", 4);
		g->live_loc[g->nlive] = m->locate;
		g->live[g->nlive++] = m->add.ref;
		return;
	}
	if (r < 92) {
		at = rnd(&g->rng, g->nlive);
		ref = rnd(&g->rng, 20) ? g->live[at] : (UINT64_C(1) << 40) + rnd(&g->rng, 1000);
		if (ref == g->live[at])
			m->locate = g->live_loc[at];
	}
	if (r < 50) {
		m->type = 'E';
		m->exec.ref = ref;
		m->exec.shares = 1 + rnd(&g->rng, 400);
		m->exec.match = g->ts;
		m->exec.printable = 'Y';
	} else if (r < 53) {
		m->type = 'C';
		m->exec.ref = ref;
		m->exec.shares = 1 + rnd(&g->rng, 400);
		m->exec.match = g->ts;
		m->exec.printable = 'Y';
		m->exec.price = 1001000;
	} else if (r < 60) {
		m->type = 'X';
		m->cancel.ref = ref;
		m->cancel.shares = 1 + rnd(&g->rng, 400);
	} else if (r < 80) {
		m->type = 'D';
		m->del.ref = ref;
		g->live[at] = g->live[--g->nlive];
		g->live_loc[at] = g->live_loc[g->nlive];
	} else if (r < 92) {
		m->type = 'U';
		m->replace.old_ref = ref;
		m->replace.new_ref = g->next_ref++;
		m->replace.shares = 100 * (1 + rnd(&g->rng, 5));
		m->replace.price = 1000000 + 100 * rnd(&g->rng, 70);
		g->live[at] = m->replace.new_ref;
	} else if (r < 96) {
		m->type = 'P';
		m->trade.side = 'B';
		m->trade.shares = 100;
		memcpy(m->trade.stock, "TEST    ", 8);
		m->trade.price = 1002000;
		m->trade.match = g->ts;
	} else if (r < 97) {
		m->type = 'Q';
		m->cross.shares = 1000;
		memcpy(m->cross.stock, "TEST    ", 8);
		m->cross.price = 1002000;
		m->cross.match = g->ts;
		m->cross.cross_type = 'O';
	} else if (r < 99) {
		m->type = 'H';
		memcpy(m->trading_action.stock, "TEST    ", 8);
		m->trading_action.state = rnd(&g->rng, 2) ? 'T' : 'H';
		memcpy(m->trading_action.reason, "    ", 4);
	} else {
		m->type = 'R';
		memcpy(m->directory.stock, "TEST    ", 8);
		m->directory.market_category = 'Q';
		m->directory.round_lot_size = 100;
	}
}

/* A MoldUDP64 packet of n messages from seq; one block in 50 is garbage
 * (random bytes, random type, 1..40 long), and of the rest one in 50 is
 * longer than its type (1..4 bytes more: applied, counted long) and one
 * in 50 shorter (1..3 bytes cut: refused as short). Returns its length. */
static size_t gen_packet(struct gen *g, uint8_t *buf, uint64_t seq, uint16_t n)
{
	size_t off = MOLD_HDR_LEN;

	mold_hdr_write(buf, SESSION, seq, n);
	for (uint16_t i = 0; i < n; i++) {
		uint8_t *msg = buf + off + MOLD_BLOCK_HDR_LEN;
		struct itch_msg m;
		int len;

		if (rnd(&g->rng, 50) == 0) {
			len = 1 + (int)rnd(&g->rng, 40);
			for (int k = 0; k < len; k++)
				msg[k] = (uint8_t)rng_next(&g->rng);
		} else {
			uint32_t r;

			gen_msg(g, &m);
			len = itch_encode(&m, msg, 256);
			assert_true(len > 0);
			r = rnd(&g->rng, 50);
			if (r == 0) {
				for (uint32_t k = 1 + rnd(&g->rng, 4); k; k--)
					msg[len++] = (uint8_t)rng_next(&g->rng);
			} else if (r == 1 && len > 4) {
				len -= 1 + (int)rnd(&g->rng, 3);
			}
		}
		mold_block_len_write(buf + off, (uint16_t)len);
		off += MOLD_BLOCK_HDR_LEN + (size_t)len;
	}
	return off;
}

/* A captured frame in its own exact-size allocation, so that reading one
 * byte past it is an ASan error. */
struct cap_frame {
	uint8_t *data;
	uint32_t caplen, wirelen;
	uint64_t t_ns;
};

struct capture {
	struct cap_frame *fr;
	uint32_t n, cap;
};

static void cap_add(struct capture *c, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
		    uint64_t t_ns)
{
	struct cap_frame *f;

	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 1024;
		c->fr = realloc(c->fr, c->cap * sizeof(*c->fr));
		assert_non_null(c->fr);
	}
	f = &c->fr[c->n++];
	f->data = malloc(caplen ? caplen : 1);
	assert_non_null(f->data);
	memcpy(f->data, data, caplen);
	f->caplen = caplen;
	f->wirelen = wirelen;
	f->t_ns = t_ns;
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ethernet + IPv4 + UDP from src_ip around a payload. Returns its length. */
static size_t eth_udp(uint8_t *buf, uint32_t src_ip, const uint8_t *pl, size_t len)
{
	uint8_t *ip = buf + NET_ETH_HDR_LEN, *udp = ip + NET_IP4_HDR_MIN;

	memset(buf, 0, NET_ETH_HDR_LEN + NET_IP4_HDR_MIN + NET_UDP_HDR_LEN);
	put_be16(buf + NET_ETH_OFF_TYPE, NET_ETHERTYPE_IPV4);
	ip[NET_IP4_OFF_VER_IHL] = 0x45;
	put_be16(ip + NET_IP4_OFF_TOTLEN, (uint16_t)(NET_IP4_HDR_MIN + NET_UDP_HDR_LEN + len));
	ip[8] = 64; /* TTL */
	ip[NET_IP4_OFF_PROTO] = NET_IPPROTO_UDP;
	put_be16(ip + NET_IP4_OFF_SRC, (uint16_t)(src_ip >> 16));
	put_be16(ip + NET_IP4_OFF_SRC + 2, (uint16_t)src_ip);
	put_be16(ip + NET_IP4_OFF_DST, 0xe936);
	put_be16(ip + NET_IP4_OFF_DST + 2, 0x0c6f);
	put_be16(udp + NET_UDP_OFF_SPORT, 1234);
	put_be16(udp + NET_UDP_OFF_DPORT, 26477);
	put_be16(udp + NET_UDP_OFF_LEN, (uint16_t)(NET_UDP_HDR_LEN + len));
	memcpy(udp + NET_UDP_HDR_LEN, pl, len);
	return NET_ETH_HDR_LEN + NET_IP4_HDR_MIN + NET_UDP_HDR_LEN + len;
}

#define LINE_A_IP 0x0a000001u
#define LINE_B_IP 0x0a000002u

/* npkts MoldUDP64 packets on lines A and B with what a real capture has and
 * worse: B duplicates, packets missing on A and filled from B later, packets
 * lost on both lines (given up after gap_max_pkts), heartbeats, malformed
 * MoldUDP64 packets, snaplen-cut and truncated frames, and random bytes. */
static void gen_capture(struct capture *c, uint64_t seed, uint32_t npkts)
{
	struct gen g = { .rng = seed, .next_ref = 1 };
	uint8_t pkt[2048], fr[2048], late[2048];
	size_t late_len = 0, len, flen;
	uint32_t late_due = 0;
	uint64_t seq = 1, t = 1000;

	for (uint32_t p = 0; p < npkts; p++, t += 1000) {
		uint16_t n = (uint16_t)(1 + rnd(&g.rng, 6));
		uint32_t r = rnd(&g.rng, 100);

		len = gen_packet(&g, pkt, seq, n);
		seq += n;
		flen = eth_udp(fr, LINE_A_IP, pkt, len);
		if (r < 3 && late_len == 0) {
			/* missing on A; B brings it two packets later */
			memcpy(late, pkt, len);
			late_len = len;
			late_due = p + 2;
		} else if (r < 5) {
			/* lost on both lines */
		} else {
			cap_add(c, fr, (uint32_t)flen, (uint32_t)flen, t);
			if (r < 15) /* line B's copy */
				cap_add(c, fr, (uint32_t)eth_udp(fr, LINE_B_IP, pkt, len),
					(uint32_t)flen, t + 10);
		}
		if (late_len && p == late_due) {
			flen = eth_udp(fr, LINE_B_IP, late, late_len);
			cap_add(c, fr, (uint32_t)flen, (uint32_t)flen, t + 20);
			late_len = 0;
		}
		r = rnd(&g.rng, 100);
		if (r < 2) { /* heartbeat */
			mold_hdr_write(pkt, SESSION, seq, 0);
			flen = eth_udp(fr, LINE_A_IP, pkt, MOLD_HDR_LEN);
			cap_add(c, fr, (uint32_t)flen, (uint32_t)flen, t + 30);
		} else if (r < 4) { /* random bytes */
			uint32_t k = rnd(&g.rng, 200);

			for (uint32_t i = 0; i < k; i++)
				fr[i] = (uint8_t)rng_next(&g.rng);
			cap_add(c, fr, k, k, t + 40);
		} else if (r < 6) { /* cut by the snaplen, or truncated and lying */
			uint32_t k = rnd(&g.rng, (uint32_t)flen);

			cap_add(c, fr, k, rnd(&g.rng, 2) ? (uint32_t)flen : k, t + 50);
		} else if (r < 8 && len > MOLD_HDR_LEN + 2) {
			/* a block length running past the packet, and a count that
			 * lies: refused by mold, walked safely by the lookahead */
			put_be16(pkt + MOLD_HDR_LEN, (uint16_t)(0x8000 | rnd(&g.rng, 0x7fff)));
			if (rnd(&g.rng, 2))
				put_be16(pkt + MOLD_OFF_COUNT, (uint16_t)rng_next(&g.rng));
			flen = eth_udp(fr, LINE_A_IP, pkt, len);
			cap_add(c, fr, (uint32_t)flen, (uint32_t)flen, t + 60);
		}
	}
}

static void cap_free(struct capture *c)
{
	for (uint32_t i = 0; i < c->n; i++)
		free(c->fr[i].data);
	free(c->fr);
}

static void assert_events_equal(const struct md_event *a, const struct md_event *b, uint32_t n,
				 uint32_t at)
{
	for (uint32_t i = 0; i < n; i++) {
		if (memcmp(&a[i], &b[i], sizeof(a[i])) != 0) {
			print_error("event %u of the call at frame %u differs: seq %llu/%llu kind %u/%u "
				    "type %c/%c ref %llu/%llu bid %u/%u ask %u/%u flags %x/%x\n",
				    i, at, (unsigned long long)a[i].seq, (unsigned long long)b[i].seq,
				    a[i].kind, b[i].kind, a[i].msg_type, b[i].msg_type,
				    (unsigned long long)a[i].order_ref,
				    (unsigned long long)b[i].order_ref, a[i].bid_px, b[i].bid_px,
				    a[i].ask_px, b[i].ask_px, a[i].flags, b[i].flags);
			fail();
		}
	}
}

/* Same counters, same symbols, same depth on every side of every symbol,
 * and both books sound. */
static void assert_feeds_equal(const struct feed *a, const struct feed *b)
{
	static struct book_depth_level da[1024], db[1024];
	char why[160];

	assert_memory_equal(&a->st, &b->st, sizeof(a->st));
	assert_memory_equal(&a->mold.stats, &b->mold.stats, sizeof(a->mold.stats));
	assert_memory_equal(&a->books->cnt, &b->books->cnt, sizeof(a->books->cnt));
	assert_int_equal(a->stale, b->stale);
	/* mold's clock and sessions: what the burst's runs count in one step */
	assert_int_equal(a->mold.now_ns, b->mold.now_ns);
	assert_int_equal(a->mold.nsess, b->mold.nsess);
	for (uint32_t i = 0; i < a->mold.nsess; i++) {
		const struct mold_session *sa = &a->mold.sess[i], *sb = &b->mold.sess[i];

		assert_memory_equal(sa->id, sb->id, MOLD_SESSION_LEN);
		assert_int_equal(sa->expected, sb->expected);
		assert_int_equal(sa->horizon, sb->horizon);
		assert_int_equal(sa->rx_pkts, sb->rx_pkts);
		assert_memory_equal(sa->line, sb->line, sizeof(sa->line));
	}
	for (uint32_t loc = 0; loc <= a->books->max_locate; loc++) {
		assert_memory_equal(&a->books->syms[loc], &b->books->syms[loc],
				    sizeof(a->books->syms[loc]));
		for (int side = BOOK_BID; side <= BOOK_ASK; side++) {
			uint32_t na = book_depth(a->books, (uint16_t)loc, (enum book_side)side, da, 1024);
			uint32_t nb = book_depth(b->books, (uint16_t)loc, (enum book_side)side, db, 1024);

			assert_int_equal(na, nb);
			assert_memory_equal(da, db, na * sizeof(da[0]));
		}
	}
	if (book_check(a->books, why, sizeof(why)) != 0 ||
	    book_check(b->books, why, sizeof(why)) != 0) {
		print_error("book_check: %s\n", why);
		fail();
	}
}

/* The synthetic capture replayed frame by frame and in bursts of every size
 * (1 to past FEED_BURST_MAX, so windows split), with a full md_event buffer
 * now and then: the same events in the same order, the same counters and
 * books. Under ASan it also shows the lookahead never reads past a frame. */
static void test_burst_same_as_frames(void **state)
{
	static struct md_event eva[8192], evb[8192];
	struct feed_frame b[3 * FEED_BURST_MAX];
	struct capture c = { 0 };
	struct fx *x, *y;
	uint64_t r = 7, msgs = 0;
	(void)state;

	gen_capture(&c, 0x5eed, 6000);
	assert_int_equal(fx_setup((void **)&x), 0);
	assert_int_equal(fx_setup((void **)&y), 0);
	for (uint32_t i = 0; i < c.n;) {
		uint32_t m = 1 + rnd(&r, 3 * FEED_BURST_MAX), cap, na = 0, nb;

		if (m > c.n - i)
			m = c.n - i;
		cap = rnd(&r, 10) ? 8192 : rnd(&r, 8);
		for (uint32_t k = 0; k < m; k++) {
			const struct cap_frame *f = &c.fr[i + k];

			na += feed_on_frame(&x->f, f->data, f->caplen, f->wirelen, f->t_ns, i + k,
					    eva + na, cap - na);
			b[k].data = f->data;
			b[k].caplen = f->caplen;
			b[k].wirelen = f->wirelen;
			b[k].t_ns = f->t_ns;
			b[k].t_rx_tsc = i + k;
		}
		nb = feed_on_burst(&y->f, b, m, evb, cap);
		assert_int_equal(na, nb);
		assert_events_equal(eva, evb, na, i);
		i += m;
	}
	assert_int_equal(feed_finish(&x->f, 9, eva, 8192), feed_finish(&y->f, 9, evb, 8192));
	assert_feeds_equal(&x->f, &y->f);
	/* The capture exercised what it was made for. */
	msgs = x->f.st.msgs;
	assert_true(msgs > 15000);
	assert_true(x->f.st.gaps > 0 && x->f.st.lost > 0 && x->f.mold.stats.dup_packets[1] > 0);
	assert_true(x->f.st.packets_bad > 0 && x->f.st.net.reason[NET_OK] < x->f.st.frames);
	assert_true(x->f.st.itch_unknown + x->f.st.itch_short > 0 && x->f.st.book_refused > 0);
	assert_true(x->f.st.itch_long > 0 && x->f.st.itch_short > 0);
	assert_true(x->f.st.md_overruns > 0 && x->f.books->cnt.applied[BOOK_OP_REPLACE] > 0);
	/* The bursts learnt line A's (untagged) key for the window's fast
	 * test (no 4-byte word until then), so later windows took their
	 * common frames inline and the rest, garbage and mold's refusals
	 * included, through the general path. */
	assert_true(y->f.fast_on);
	fx_teardown((void **)&x);
	fx_teardown((void **)&y);
	cap_free(&c);
}

/* Runs of in-order packets that the burst counts in one step (run_take)
 * end where mold_rx_fast_whole would refuse the next packet: another
 * session's packet that carries the next sequence number, a packet past a
 * gap, a duplicate, a heartbeat. Line A only, stamps going back now and
 * then (a run's clock is its highest stamp, not its last); bursts of
 * every size against frame at a time, mold's sessions, clock and counters
 * compared, and the runs' breaks seen to happen. */
static void test_burst_runs_break(void **state)
{
	static const char *const sess[3] = { SESSION, "OTHERSES02", "OTHERSES03" };
	static struct md_event eva[8192], evb[8192];
	struct feed_frame b[3 * FEED_BURST_MAX];
	uint8_t pkt[2048], fr[2048];
	struct capture c = { 0 };
	struct gen g = { .rng = 0xb0057, .next_ref = 1 };
	uint64_t seq[3] = { 1, 0, 0 }, t = 5000, r = 3;
	struct fx *x, *y;
	(void)state;

	/* blocks of 100 packets from sessions A B A C A B A C ...; B and C
	 * start at A's next sequence number, then each goes on with its own */
	for (uint32_t p = 0; p < 3000; p++) {
		uint32_t k = rnd(&g.rng, 100), blk = p / 100;
		uint32_t si = blk % 2 == 0 ? 0 : blk % 4 == 1 ? 1 : 2;
		uint16_t n = (uint16_t)(1 + rnd(&g.rng, 5));
		size_t len;

		if (seq[si] == 0)
			seq[si] = seq[0];
		len = gen_packet(&g, pkt, seq[si], n);
		memcpy(pkt + MOLD_OFF_SESSION, sess[si], MOLD_SESSION_LEN);
		if (k < 2) { /* a gap, never filled */
			mold_hdr_write(pkt, sess[si], seq[si] + 3, n);
			seq[si] += 3 + n;
		} else if (k < 4 && seq[si] > 4) { /* a duplicate, or an overlap */
			mold_hdr_write(pkt, sess[si], seq[si] - 4, n);
		} else if (k == 4) { /* a heartbeat in the data packet's place */
			mold_hdr_write(pkt, sess[si], seq[si], 0);
			len = MOLD_HDR_LEN;
		} else {
			seq[si] += n;
		}
		t = k >= 5 && k < 15 ? t - 700 : t + 100 + rnd(&g.rng, 500);
		cap_add(&c, fr, (uint32_t)eth_udp(fr, LINE_A_IP, pkt, len),
			(uint32_t)eth_udp(fr, LINE_A_IP, pkt, len), t);
	}
	assert_int_equal(fx_setup((void **)&x), 0);
	assert_int_equal(fx_setup((void **)&y), 0);
	for (uint32_t i = 0; i < c.n;) {
		uint32_t m = 1 + rnd(&r, 3 * FEED_BURST_MAX), cap = rnd(&r, 4) ? 8192 : rnd(&r, 40);
		uint32_t na = 0, nb;

		if (m > c.n - i)
			m = c.n - i;
		for (uint32_t k = 0; k < m; k++) {
			const struct cap_frame *f = &c.fr[i + k];

			na += feed_on_frame(&x->f, f->data, f->caplen, f->wirelen, f->t_ns, i + k,
					    eva + na, cap - na);
			b[k] = (struct feed_frame){ f->data, f->caplen, f->wirelen, f->t_ns, i + k };
		}
		nb = feed_on_burst(&y->f, b, m, evb, cap);
		assert_int_equal(na, nb);
		assert_events_equal(eva, evb, na, i);
		/* the packet clock as each call leaves it */
		assert_int_equal(x->f.mold.now_ns, y->f.mold.now_ns);
		i += m;
	}
	assert_feeds_equal(&x->f, &y->f);
	assert_int_equal(feed_finish(&x->f, 9, eva, 8192), feed_finish(&y->f, 9, evb, 8192));
	assert_feeds_equal(&x->f, &y->f);
	/* both sessions seen, gaps, duplicates and heartbeats among them, and
	 * most packets were in-order runs taken inline */
	assert_int_equal(x->f.mold.nsess, 3);
	assert_true(x->f.st.gaps > 0 && x->f.mold.stats.heartbeats > 0);
	assert_true(x->f.mold.stats.dup_packets[MOLD_LINE_A] + x->f.mold.stats.overlaps > 0);
	assert_true(x->f.st.md_overruns > 0);
	assert_true(y->f.fast_on);
	fx_teardown((void **)&x);
	fx_teardown((void **)&y);
	cap_free(&c);
}

/* feed_frame_begin + feed_pull against feed_on_frame on the synthetic
 * capture (both feeds keeping the nkeep locates of keep, or every book),
 * with a full md_event buffer now and then: the same events in the same
 * order, counters, clock and books; and each pull hands its event over
 * before the frame's later messages are applied (the book's top is the
 * event's). The capture has what feed_pull leaves its loop for: messages
 * it does not apply itself, refusals, overruns, session events. */
static void check_pull(uint64_t seed, const uint16_t *keep, uint32_t nkeep)
{
	static struct md_event eva[8192], evb[8192];
	struct capture c = { 0 };
	struct fx *x, *y;
	uint64_t r = 11, early = 0, empty_more = 0;

	gen_capture(&c, seed, 4000);
	assert_int_equal(fx_setup((void **)&x), 0);
	assert_int_equal(fx_setup((void **)&y), 0);
	assert_int_equal(feed_keep_symbols(&x->f, keep, nkeep), 0);
	assert_int_equal(feed_keep_symbols(&y->f, keep, nkeep), 0);
	for (uint32_t i = 0; i < c.n; i++) {
		const struct cap_frame *f = &c.fr[i];
		uint32_t cap = rnd(&r, 10) ? 8192 : rnd(&r, 4), na, nb = 0, k;

		na = feed_on_frame(&x->f, f->data, f->caplen, f->wirelen, f->t_ns, i, eva, cap);
		feed_frame_begin(&y->f, f->data, f->caplen, f->wirelen, f->t_ns);
		for (bool more = true; more; nb += k) {
			const struct md_event *e;
			const struct book_sym *s;

			k = feed_pull(&y->f, i, evb + nb, cap - nb, &more);
			if (k == 0) {
				/* a message that wrote no event, or the end */
				empty_more += more;
				continue;
			}
			e = &evb[nb + k - 1];
			s = book_sym_get(y->f.books, e->locate);
			if ((e->kind == MD_BOOK || e->kind == MD_TRADE) && e->locate && s) {
				assert_int_equal(s->best_px[BOOK_BID], e->bid_px);
				assert_int_equal(s->best_px[BOOK_ASK], e->ask_px);
			}
			/* the frame's later messages were not applied yet */
			if (y->f.st.msgs < x->f.st.msgs)
				early++;
			/* no more: the frame is through */
			if (!more)
				assert_memory_equal(&x->f.st, &y->f.st, sizeof(x->f.st));
		}
		assert_int_equal(na, nb);
		assert_events_equal(eva, evb, na, i);
		assert_memory_equal(&x->f.st, &y->f.st, sizeof(x->f.st));
		assert_memory_equal(&x->f.mold.stats, &y->f.mold.stats, sizeof(x->f.mold.stats));
		assert_int_equal(x->f.ts_silent_ns, y->f.ts_silent_ns);
	}
	assert_int_equal(feed_finish(&x->f, 9, eva, 8192), feed_finish(&y->f, 9, evb, 8192));
	assert_feeds_equal(&x->f, &y->f);
	assert_true(early > 1000);
	assert_true(empty_more > 0);
	assert_true(x->f.st.md_overruns > 0 && x->f.st.gaps > 0 && x->f.st.packets_bad > 0);
	assert_true(x->f.st.itch_unknown + x->f.st.itch_short > 0 && x->f.st.book_refused > 0);
	assert_true(nkeep == 0 || x->f.st.not_kept > 0);
	fx_teardown((void **)&x);
	fx_teardown((void **)&y);
	cap_free(&c);
}

static void test_pull_same_as_frames(void **state)
{
	(void)state;
	check_pull(0xfeed, NULL, 0);
}

/* As the paper run pulls: only some symbols' books kept. */
static void test_pull_keep_same_as_frames(void **state)
{
	static const uint16_t odd[] = { 1, 3, 5, 7, 9, 11, 13, 15, 17, 19 };
	(void)state;
	check_pull(0xfeed, odd, 10);
	check_pull(0x5eed, odd, 10);
}

/* Sources are told apart by VLAN too: when line A's first frame is tagged,
 * the same address and port untagged are line B, through
 * feed_frame_begin's inline path as through feed_on_frame; untagged frames
 * of a tagged line A's source take feed_frame_begin's general path. */
static void test_tagged_line_a(void **state)
{
	struct itch_msg m[2];
	uint8_t pkt[512], fr[600], tg[600];
	struct fx *x, *y;
	size_t len, flen;
	bool more;
	(void)state;

	assert_int_equal(fx_setup((void **)&x), 0);
	assert_int_equal(fx_setup((void **)&y), 0);
	for (uint64_t seq = 1; seq <= 4; seq += 2) {
		m[0] = add(seq, 'B', 100, 1000000, 10);
		m[1] = add(seq + 1, 'S', 100, 1010000, 11);
		len = packet(pkt, seq, m, 2);
		flen = eth_udp(fr, LINE_A_IP, pkt, len);
		/* the first packet tagged (VLAN 5), the second not */
		memcpy(tg, fr, NET_ETH_OFF_TYPE);
		put_be16(tg + NET_ETH_OFF_TYPE, 0x8100);
		put_be16(tg + NET_ETH_OFF_TYPE + 2, 5);
		memcpy(tg + NET_ETH_OFF_TYPE + 4, fr + NET_ETH_OFF_TYPE, flen - NET_ETH_OFF_TYPE);
		if (seq == 1) {
			feed_on_frame(&x->f, tg, flen + 4, flen + 4, seq, 1, x->ev, 256);
			feed_frame_begin(&y->f, tg, flen + 4, flen + 4, seq);
		} else {
			feed_on_frame(&x->f, fr, flen, flen, seq, 1, x->ev, 256);
			feed_frame_begin(&y->f, fr, flen, flen, seq);
		}
		while (feed_pull(&y->f, 1, y->ev, 256, &more), more)
			;
	}
	assert_int_equal(x->f.nsources, 2);
	assert_int_equal(x->f.mold.stats.packets_line[MOLD_LINE_A], 1);
	assert_int_equal(x->f.mold.stats.packets_line[MOLD_LINE_B], 1);
	assert_memory_equal(&x->f.st, &y->f.st, sizeof(x->f.st));
	assert_memory_equal(&x->f.mold.stats, &y->f.mold.stats, sizeof(x->f.mold.stats));
	assert_int_equal(y->f.books->cnt.applied[BOOK_OP_ADD], 4);
	fx_teardown((void **)&x);
	fx_teardown((void **)&y);
}

/* Is the event one a feed keeping only the odd locates writes too: the
 * feed-wide ones (locate 0) and the kept symbols'. */
static bool odd_or_feed_wide(const struct md_event *e)
{
	return e->locate == 0 || (e->locate & 1);
}

/* feed_keep_symbols: a feed keeping the odd locates of the synthetic
 * capture against one keeping every book, frame by frame (and in bursts,
 * whose lookahead does not test the set): the kept symbols' books and
 * events exactly as with every book, none of the others', the same
 * message counts and clock, and the others' messages counted. */
static void test_keep_symbols(void **state)
{
	static struct md_event eva[8192], evb[8192], evc[8192];
	static struct book_depth_level da[1024], db[1024];
	struct feed_frame b[16];
	struct capture c = { 0 };
	struct fx *x, *y, *z;
	uint16_t odd[10];
	uint64_t written = 0, clock_x = 0, clock_y = 0;
	char why[160];
	(void)state;

	for (uint16_t i = 0; i < 10; i++)
		odd[i] = (uint16_t)(2 * i + 1);
	gen_capture(&c, 0x6ee9, 4000);
	assert_int_equal(fx_setup((void **)&x), 0);
	assert_int_equal(fx_setup((void **)&y), 0);
	assert_int_equal(fx_setup((void **)&z), 0);
	assert_int_equal(feed_keep_symbols(&y->f, NULL, 1), -EINVAL);
	/* n == 0: every book, the default */
	assert_int_equal(feed_keep_symbols(&y->f, odd, 0), 0);
	for (uint32_t loc = 0; loc <= BOOK_LOCATE_MAX; loc++)
		assert_true(feed_sym_kept(&y->f, (uint16_t)loc));
	assert_int_equal(feed_keep_symbols(&y->f, odd, 10), 0);
	assert_int_equal(feed_keep_symbols(&z->f, odd, 10), 0);
	for (uint32_t loc = 0; loc <= BOOK_LOCATE_MAX; loc++)
		assert_int_equal(feed_sym_kept(&y->f, (uint16_t)loc), loc >= 1 && loc <= 19 && (loc & 1));
	for (uint32_t i = 0; i < c.n; i += 16) {
		uint32_t m = c.n - i < 16 ? c.n - i : 16, na = 0, nb = 0, nc, k = 0;

		for (uint32_t j = 0; j < m; j++) {
			const struct cap_frame *f = &c.fr[i + j];

			na += feed_on_frame(&x->f, f->data, f->caplen, f->wirelen, f->t_ns, i + j,
					    eva + na, 8192 - na);
			nb += feed_on_frame(&y->f, f->data, f->caplen, f->wirelen, f->t_ns, i + j,
					    evb + nb, 8192 - nb);
			b[j] = (struct feed_frame){ f->data, f->caplen, f->wirelen, f->t_ns, i + j };
			/* the latest stamp read, from the events and the silent
			 * messages' stamp: the same */
			for (uint32_t e = 0; e < na; e++)
				clock_x = eva[e].t_exch_ns > clock_x ? eva[e].t_exch_ns : clock_x;
			for (uint32_t e = 0; e < nb; e++)
				clock_y = evb[e].t_exch_ns > clock_y ? evb[e].t_exch_ns : clock_y;
			assert_int_equal(x->f.ts_silent_ns > clock_x ? x->f.ts_silent_ns : clock_x,
					 y->f.ts_silent_ns > clock_y ? y->f.ts_silent_ns : clock_y);
		}
		nc = feed_on_burst(&z->f, b, m, evc, 8192);
		for (uint32_t j = 0; j < na; j++) {
			if (odd_or_feed_wide(&eva[j]))
				eva[k++] = eva[j];
		}
		assert_int_equal(k, nb);
		assert_events_equal(eva, evb, nb, i);
		assert_int_equal(nb, nc);
		assert_events_equal(evb, evc, nb, i);
		written += nb;
	}
	assert_true(clock_x > 0 && y->f.ts_silent_ns > 0);
	feed_finish(&x->f, 9, eva, 8192);
	written += feed_finish(&y->f, 9, evb, 8192); /* a gap open at the end: its events */
	feed_finish(&z->f, 9, evc, 8192);
	for (uint32_t loc = 1; loc <= x->f.books->max_locate; loc++) {
		const struct book_sym *sa = book_sym_get(x->f.books, (uint16_t)loc);
		const struct book_sym *sb = book_sym_get(y->f.books, (uint16_t)loc);

		for (int side = BOOK_BID; side <= BOOK_ASK; side++) {
			uint32_t na = book_depth(x->f.books, (uint16_t)loc, (enum book_side)side, da, 1024);
			uint32_t nb = book_depth(y->f.books, (uint16_t)loc, (enum book_side)side, db, 1024);

			if (!(loc & 1)) { /* not kept: no book */
				assert_int_equal(nb, 0);
				continue;
			}
			assert_int_equal(na, nb);
			assert_memory_equal(da, db, na * sizeof(da[0]));
			assert_int_equal(sa->best_px[side], sb->best_px[side]);
			assert_int_equal(sa->best_qty[side], sb->best_qty[side]);
		}
		/* trading state applies to every symbol; the book's flags
		 * (crossed, stale) to the kept ones */
		assert_int_equal(book_sym_halted(sa), book_sym_halted(sb));
		if (loc & 1)
			assert_int_equal(sa->flags, sb->flags);
	}
	assert_int_equal(book_check(y->f.books, why, sizeof(why)), 0);
	assert_int_equal(x->f.st.msgs, y->f.st.msgs);
	assert_memory_equal(x->f.st.by_type, y->f.st.by_type, sizeof(x->f.st.by_type));
	assert_int_equal(x->f.st.gaps, y->f.st.gaps);
	assert_int_equal(x->f.st.lost, y->f.st.lost);
	assert_int_equal(x->f.stale, y->f.stale);
	assert_int_equal(y->f.st.md_events, written);
	assert_int_equal(x->f.st.not_kept, 0);
	/* about half the order and trade messages are the even symbols' */
	assert_true(y->f.st.not_kept > x->f.st.msgs / 3 && y->f.st.not_kept < x->f.st.msgs * 2 / 3);
	assert_true(y->f.books->cnt.applied[BOOK_OP_ADD] < x->f.books->cnt.applied[BOOK_OP_ADD]);
	assert_memory_equal(&y->f.st, &z->f.st, sizeof(y->f.st));
	/* the set is fixed once messages were read */
	assert_int_equal(feed_keep_symbols(&y->f, odd, 3), -EBUSY);
	fx_teardown((void **)&x);
	fx_teardown((void **)&y);
	fx_teardown((void **)&z);
	cap_free(&c);
}

/* feed_on_messages against feed_on_message on the same messages, garbage
 * and empty ones included, in runs of every size. */
static void check_messages(const uint16_t *keep, uint32_t nkeep)
{
	static struct md_event eva[8192], evb[8192];
	static struct feed_msg msgs[40000];
	struct capture c = { 0 };
	struct fx *x, *y;
	uint64_t r = 11, seq = 1;
	uint32_t nm = 0;

	gen_capture(&c, 0xfeed, 6000);
	/* Every block of every well-formed packet, in capture order. */
	for (uint32_t i = 0; i < c.n && nm < 40000; i++) {
		struct net_udp u;
		struct mold_pkt mp;
		const uint8_t *p;

		if (net_parse_link(NET_LINK_ETH, c.fr[i].data, c.fr[i].caplen, c.fr[i].wirelen, &u) ||
		    mold_parse(u.payload, u.payload_len, &mp) != 0)
			continue;
		p = mp.blocks;
		for (uint16_t k = 0; k < mp.nmsgs && nm < 40000; k++) {
			uint16_t len = mold_block_len(p);

			msgs[nm].data = p + MOLD_BLOCK_HDR_LEN;
			msgs[nm++].len = rnd(&r, 100) ? len : 0; /* an empty one now and then */
			p += MOLD_BLOCK_HDR_LEN + len;
		}
	}
	assert_true(nm > 15000);
	assert_int_equal(fx_setup((void **)&x), 0);
	assert_int_equal(fx_setup((void **)&y), 0);
	assert_int_equal(feed_keep_symbols(&x->f, keep, nkeep), 0);
	assert_int_equal(feed_keep_symbols(&y->f, keep, nkeep), 0);
	for (uint32_t i = 0; i < nm;) {
		uint32_t m = 1 + rnd(&r, 300), cap, na = 0, nb;

		if (m > nm - i)
			m = nm - i;
		cap = rnd(&r, 10) ? 8192 : rnd(&r, 8);
		for (uint32_t k = 0; k < m; k++)
			na += feed_on_message(&x->f, msgs[i + k].data, msgs[i + k].len, seq + k, 5,
					      eva + na, cap - na);
		nb = feed_on_messages(&y->f, msgs + i, m, seq, 5, evb, cap);
		assert_int_equal(na, nb);
		assert_events_equal(eva, evb, na, i);
		seq += m;
		i += m;
	}
	assert_feeds_equal(&x->f, &y->f);
	assert_true(x->f.st.itch_empty > 0 && x->f.st.book_refused > 0);
	assert_true(nkeep ? x->f.st.not_kept > 0 : x->f.st.not_kept == 0);
	fx_teardown((void **)&x);
	fx_teardown((void **)&y);
	cap_free(&c);
}

/* ... with every book, and with the odd locates' only (feed_keep_symbols:
 * the copy of the path that tests the set). */
static void test_messages_same_as_one_by_one(void **state)
{
	static const uint16_t odd[] = { 1, 3, 5, 7, 9, 11, 13, 15, 17, 19 };
	(void)state;

	check_messages(NULL, 0);
	check_messages(odd, ARRAY_SIZE(odd));
}

/* ---- hostile input through every path --------------------------------- */

/* The capture c through the four frame paths, each on a feed of its own:
 * feed_on_frame (v[0]), feed_on_burst (v[1]: the first frame alone, so
 * that line A is learnt and later windows take their common frames
 * inline, then bursts of 1 to 20), feed_frame_begin + feed_pull (v[2]).
 * The same events in the same order, counters and books; every book
 * sound. filter: set on each feed before its first frame. */
static void run_paths(const struct capture *c, const struct net_filter *filter, struct fx *v[3])
{
	static struct md_event eva[4096], evb[4096], evc[4096];
	struct feed_frame b[20];
	uint64_t r = 3;

	for (int k = 0; k < 3; k++) {
		assert_int_equal(fx_setup((void **)&v[k]), 0);
		if (filter)
			v[k]->f.filter = *filter;
	}
	for (uint32_t i = 0; i < c->n;) {
		uint32_t m = i == 0 ? 1 : 1 + rnd(&r, 20), na = 0, nb, nc = 0;

		if (m > c->n - i)
			m = c->n - i;
		for (uint32_t k = 0; k < m; k++) {
			const struct cap_frame *f = &c->fr[i + k];
			uint32_t got;
			bool more = true;

			na += feed_on_frame(&v[0]->f, f->data, f->caplen, f->wirelen, f->t_ns, i + k,
					    eva + na, 4096 - na);
			feed_frame_begin(&v[2]->f, f->data, f->caplen, f->wirelen, f->t_ns);
			while (more) {
				got = feed_pull(&v[2]->f, i + k, evc + nc, 4096 - nc, &more);
				nc += got;
			}
			b[k].data = f->data;
			b[k].caplen = f->caplen;
			b[k].wirelen = f->wirelen;
			b[k].t_ns = f->t_ns;
			b[k].t_rx_tsc = i + k;
		}
		nb = feed_on_burst(&v[1]->f, b, m, evb, 4096);
		assert_int_equal(na, nb);
		assert_int_equal(na, nc);
		assert_events_equal(eva, evb, na, i);
		assert_events_equal(eva, evc, na, i);
		i += m;
	}
	assert_feeds_equal(&v[0]->f, &v[1]->f);
	assert_feeds_equal(&v[0]->f, &v[2]->f);
	/* the burst's later windows had line A's template */
	assert_true(v[1]->f.fast_on && v[2]->f.fast_on);
}

static void paths_free(struct fx *v[3])
{
	for (int k = 0; k < 3; k++)
		fx_teardown((void **)&v[k]);
}

/* One add per packet, so each packet's arrival shows in the book. */
static size_t add_packet(uint8_t *pkt, uint64_t seq)
{
	struct itch_msg m = add(seq, 'B', 100, 1000000 + 100 * (uint32_t)(seq % 7), seq);

	return packet(pkt, seq, &m, 1);
}

/* The header mutations of a line-A frame that the feed must refuse, with
 * the reason it counts; net.h's offsets from the frame's start. */
enum { IP = NET_ETH_HDR_LEN, UDP = NET_ETH_HDR_LEN + NET_IP4_HDR_MIN };

static void put_be16_at(uint8_t *fr, size_t off, uint16_t v)
{
	put_be16(fr + off, v);
}

/* Frames from line A's own source with lying or unusual headers, after
 * line A is known (so the fast template is in use): each refused one is
 * counted under its net reason and its packet comes again, well formed,
 * right after it; the ones the general parse takes (IPv4 options, padding,
 * an unknown wire length) are applied as line A, and the source's frames
 * with a VLAN tag or another source port are a second line whose packets,
 * in sequence, apply too. The three frame paths agree throughout. */
static void test_hostile_headers(void **state)
{
	struct capture c = { 0 };
	struct net_filter nf = { .match_dst_port = true, .dst_port = 26477 };
	uint8_t pkt[256], fr[512], mf[512];
	uint64_t seq = 1, t = 1000, want[NET_REASON_COUNT] = { 0 }, filtered = 0;
	uint64_t applied = 0, line_b = 0;
	size_t len, flen;
	struct fx *v[3];
	(void)state;

	/* well formed: line A learnt */
	for (int i = 0; i < 3; i++, seq++, t += 10) {
		len = add_packet(pkt, seq);
		flen = eth_udp(fr, LINE_A_IP, pkt, len);
		cap_add(&c, fr, (uint32_t)flen, (uint32_t)flen, t);
		applied++;
	}
	for (int kind = 0; kind < 23; kind++, seq++, t += 10) {
		size_t ml;
		uint32_t caplen, wirelen;
		int reason = -1; /* -1: taken */

		len = add_packet(pkt, seq);
		flen = eth_udp(fr, LINE_A_IP, pkt, len);
		memcpy(mf, fr, flen);
		ml = flen;
		caplen = wirelen = (uint32_t)flen;
		switch (kind) {
		case 0: /* IPv4 with 4 bytes of options: taken, as line A */
			memcpy(mf, fr, UDP);
			mf[IP + NET_IP4_OFF_VER_IHL] = 0x46;
			memset(mf + UDP, 1, 4); /* NOPs */
			memcpy(mf + UDP + 4, fr + UDP, flen - UDP);
			ml = flen + 4;
			put_be16_at(mf, IP + NET_IP4_OFF_TOTLEN, (uint16_t)(ml - IP));
			caplen = wirelen = (uint32_t)ml;
			break;
		case 1: /* Ethernet padding past the IP datagram: taken */
			memset(mf + flen, 0xee, 18);
			ml = flen + 18;
			caplen = wirelen = (uint32_t)ml;
			break;
		case 2: /* wire length unknown (0): taken */
			wirelen = 0;
			break;
		case 3: /* more fragments */
			mf[IP + NET_IP4_OFF_FRAG] = 0x20;
			reason = NET_EFRAG;
			break;
		case 4: /* a fragment's offset */
			mf[IP + NET_IP4_OFF_FRAG + 1] = 0x01;
			reason = NET_EFRAG;
			break;
		case 5: /* don't-fragment alone: taken */
			mf[IP + NET_IP4_OFF_FRAG] = 0x40;
			break;
		case 6: /* TCP */
			mf[IP + NET_IP4_OFF_PROTO] = NET_IPPROTO_TCP;
			reason = NET_ENOTUDP;
			break;
		case 7: /* cut by the snaplen */
			caplen = (uint32_t)flen - 1;
			reason = NET_ESNAP;
			break;
		case 8: /* UDP length below its header */
			put_be16_at(mf, UDP + NET_UDP_OFF_LEN, 7);
			reason = NET_EUDPLEN;
			break;
		case 9: /* UDP length past the IP datagram */
			put_be16_at(mf, UDP + NET_UDP_OFF_LEN, (uint16_t)(flen - UDP + 1));
			reason = NET_EUDPLEN;
			break;
		case 10: /* IP total length past the capture */
			put_be16_at(mf, IP + NET_IP4_OFF_TOTLEN, (uint16_t)(flen - IP + 1));
			reason = NET_EIPHDR;
			break;
		case 11: /* IHL below 5 */
			mf[IP + NET_IP4_OFF_VER_IHL] = 0x44;
			reason = NET_EIPHDR;
			break;
		case 12: /* version 6 under an IPv4 ethertype */
			mf[IP + NET_IP4_OFF_VER_IHL] = 0x65;
			reason = NET_EIPHDR;
			break;
		case 13: /* IPv6 ethertype */
			put_be16_at(mf, NET_ETH_OFF_TYPE, NET_ETHERTYPE_IPV6);
			reason = NET_EIPV6;
			break;
		case 14: /* ARP */
			put_be16_at(mf, NET_ETH_OFF_TYPE, NET_ETHERTYPE_ARP);
			reason = NET_ENOTIP;
			break;
		case 15: /* shorter than the 42 header bytes */
			caplen = wirelen = 41;
			reason = NET_EIPHDR;
			break;
		case 16: /* three VLAN tags */
			memcpy(mf, fr, NET_ETH_OFF_TYPE);
			for (int k = 0; k < 3; k++) {
				put_be16_at(mf, NET_ETH_OFF_TYPE + 4 * (size_t)k, NET_ETHERTYPE_VLAN);
				put_be16_at(mf, NET_ETH_OFF_TYPE + 4 * (size_t)k + 2, 9);
			}
			memcpy(mf + NET_ETH_OFF_TYPE + 12, fr + NET_ETH_OFF_TYPE,
			       flen - NET_ETH_OFF_TYPE);
			ml = flen + 12;
			caplen = wirelen = (uint32_t)ml;
			reason = NET_ETAGS;
			break;
		case 17: /* another destination port: the filter drops it */
			put_be16_at(mf, UDP + NET_UDP_OFF_DPORT, 26478);
			reason = NET_REASON_COUNT; /* filtered */
			break;
		case 18: /* the same source with a VLAN tag: another line */
			memcpy(mf, fr, NET_ETH_OFF_TYPE);
			put_be16_at(mf, NET_ETH_OFF_TYPE, NET_ETHERTYPE_VLAN);
			put_be16_at(mf, NET_ETH_OFF_TYPE + 2, 9);
			memcpy(mf + NET_ETH_OFF_TYPE + 4, fr + NET_ETH_OFF_TYPE,
			       flen - NET_ETH_OFF_TYPE);
			ml = flen + 4;
			caplen = wirelen = (uint32_t)ml;
			line_b++;
			break;
		case 19: /* the same address, another source port: line B too */
			put_be16_at(mf, UDP + NET_UDP_OFF_SPORT, 1235);
			line_b++;
			break;
		case 20: /* the TOS and TTL bytes, the checksums: not tested */
			mf[IP + 1] = 0xb8;
			mf[IP + 8] = 1;
			mf[IP + 10] = 0xde;
			mf[UDP + 6] = 0xad;
			break;
		case 21: /* caplen above wirelen (a lying record): taken */
			wirelen = (uint32_t)flen - 5;
			break;
		case 22: /* a fragment's offset, its high bits */
			mf[IP + NET_IP4_OFF_FRAG] = 0x1f;
			reason = NET_EFRAG;
			break;
		}
		cap_add(&c, mf, caplen, wirelen, t);
		if (reason < 0) {
			applied++;
			continue;
		}
		if (reason == NET_REASON_COUNT)
			filtered++;
		else
			want[reason]++;
		/* the packet again, well formed */
		cap_add(&c, fr, (uint32_t)flen, (uint32_t)flen, t + 1);
		applied++;
	}
	run_paths(&c, &nf, v);
	for (int r = 1; r < NET_REASON_COUNT; r++) {
		if (v[0]->f.st.net.reason[r] != want[r]) {
			print_error("reason %s: %llu, want %llu\n", net_reason_name(r),
				    (unsigned long long)v[0]->f.st.net.reason[r],
				    (unsigned long long)want[r]);
			fail();
		}
	}
	assert_int_equal(v[0]->f.st.net.filtered, filtered);
	assert_int_equal(v[0]->f.st.frames, c.n);
	/* every packet applied once, in order: no gap, nothing lost */
	assert_int_equal(v[0]->f.books->cnt.applied[BOOK_OP_ADD], applied);
	assert_int_equal(v[0]->f.books->cnt.orders_live, applied);
	assert_int_equal(v[0]->f.st.gaps, 0);
	assert_int_equal(v[0]->f.st.packets_bad, 0);
	assert_int_equal(v[0]->f.mold.stats.packets_line[MOLD_LINE_B], line_b);
	assert_int_equal(v[0]->f.nsources, 3);
	paths_free(v);
	cap_free(&c);
}

/* A reference book for test_hostile_orders: the live orders in arrival
 * order (a replace goes to the back), each update's refusal as book.h
 * documents it. */
struct ref_ord {
	uint64_t ref, seq;
	uint32_t px, shares;
	uint16_t loc;
	uint8_t side; /* enum book_side */
};

struct ref_book {
	struct ref_ord o[64];
	uint32_t n;
	uint64_t seq;
	uint64_t rejected[BOOK_REASONS], clamped;
};

static int ref_find(const struct ref_book *rb, uint64_t ref)
{
	for (uint32_t i = 0; i < rb->n; i++)
		if (rb->o[i].ref == ref)
			return (int)i;
	return -1;
}

static void ref_drop(struct ref_book *rb, int i)
{
	memmove(&rb->o[i], &rb->o[i + 1], (rb->n - (uint32_t)i - 1) * sizeof(rb->o[0]));
	rb->n--;
}

static void ref_apply(struct ref_book *rb, const struct itch_msg *m, uint16_t max_locate)
{
	int i;
	uint32_t sh;

	switch (m->type) {
	case 'A':
	case 'F':
		if (m->locate == 0 || m->locate > max_locate) {
			rb->rejected[BOOK_ELOCATE]++;
		} else if (m->add.side != 'B' && m->add.side != 'S') {
			rb->rejected[BOOK_ESIDE]++;
		} else if (m->add.shares == 0) {
			rb->rejected[BOOK_EZERO]++;
		} else if (ref_find(rb, m->add.ref) >= 0) {
			rb->rejected[BOOK_EDUP]++;
		} else {
			assert_true(rb->n < 64);
			rb->o[rb->n++] = (struct ref_ord){ m->add.ref, rb->seq++, m->add.price,
							  m->add.shares, m->locate,
							  m->add.side == 'S' ? BOOK_ASK : BOOK_BID };
		}
		break;
	case 'E':
	case 'C':
	case 'X':
		sh = m->type == 'X' ? m->cancel.shares : m->exec.shares;
		i = ref_find(rb, m->type == 'X' ? m->cancel.ref : m->exec.ref);
		if (sh == 0) {
			rb->rejected[BOOK_EZERO]++;
		} else if (i < 0) {
			rb->rejected[BOOK_EUNKNOWN]++;
		} else if (sh >= rb->o[i].shares) {
			rb->clamped += sh > rb->o[i].shares;
			ref_drop(rb, i);
		} else {
			rb->o[i].shares -= sh;
		}
		break;
	case 'D':
		i = ref_find(rb, m->del.ref);
		if (i < 0)
			rb->rejected[BOOK_EUNKNOWN]++;
		else
			ref_drop(rb, i);
		break;
	case 'U': {
		struct ref_ord o;

		i = ref_find(rb, m->replace.old_ref);
		if (i < 0) {
			rb->rejected[BOOK_EUNKNOWN]++;
		} else if (m->replace.shares == 0) {
			rb->rejected[BOOK_EZERO]++;
		} else if (m->replace.new_ref != m->replace.old_ref &&
			   ref_find(rb, m->replace.new_ref) >= 0) {
			rb->rejected[BOOK_EDUP]++;
		} else {
			o = rb->o[i];
			ref_drop(rb, i);
			o.ref = m->replace.new_ref;
			o.px = m->replace.price;
			o.shares = m->replace.shares;
			o.seq = rb->seq++;
			rb->o[rb->n++] = o;
		}
		break;
	}
	default:
		break;
	}
}

/* The book's every level of every side of loc 1..max against rb: prices
 * best first, shares, order counts, and each FIFO in time order. */
static void ref_compare(const struct ref_book *rb, const struct book_set *bs, uint16_t max)
{
	static struct book_depth_level d[64];

	for (uint16_t loc = 1; loc <= max; loc++) {
		for (int side = BOOK_BID; side <= BOOK_ASK; side++) {
			uint32_t nd = book_depth(bs, loc, (enum book_side)side, d, 64), seen = 0;

			for (uint32_t i = 0; i < rb->n; i++)
				seen += rb->o[i].loc == loc && rb->o[i].side == side;
			for (uint32_t k = 0; k < nd; k++) {
				const struct book_level *l =
					book_level_at(bs, loc, (enum book_side)side, d[k].px);
				const struct book_order *o = book_level_front(bs, l);
				uint64_t last_seq = 0, sh = 0;
				uint32_t cnt = 0;

				if (k > 0)
					assert_true(side == BOOK_BID ? d[k].px < d[k - 1].px
								     : d[k].px > d[k - 1].px);
				for (; o; o = book_order_next(bs, o), cnt++) {
					int i = ref_find(rb, o->ref);

					assert_true(i >= 0);
					assert_int_equal(rb->o[i].loc, loc);
					assert_int_equal(rb->o[i].side, side);
					assert_int_equal(rb->o[i].px, d[k].px);
					assert_int_equal(rb->o[i].shares, o->shares);
					assert_true(cnt == 0 || rb->o[i].seq > last_seq);
					last_seq = rb->o[i].seq;
					sh += o->shares;
				}
				assert_int_equal(cnt, d[k].orders);
				assert_int_equal(sh, d[k].shares);
				seen -= cnt;
			}
			assert_int_equal(seen, 0);
		}
	}
}

static struct itch_msg msg_e(char type, uint64_t ref, uint32_t shares, uint16_t loc)
{
	struct itch_msg m = exec_msg(ref, shares, 0);

	m.type = (uint8_t)type;
	m.locate = loc;
	if (type == 'C') {
		m.exec.printable = 'Y';
		m.exec.price = 999999;
	}
	if (type == 'X') {
		memset(&m.exec, 0, sizeof(m.exec));
		m.cancel.ref = ref;
		m.cancel.shares = shares;
	}
	return m;
}

static struct itch_msg msg_d(uint64_t ref)
{
	struct itch_msg m;

	memset(&m, 0, sizeof(m));
	m.type = 'D';
	m.locate = 7;
	m.del.ref = ref;
	return m;
}

static struct itch_msg msg_u(uint64_t old_ref, uint64_t new_ref, uint32_t shares, uint32_t px)
{
	struct itch_msg m;

	memset(&m, 0, sizeof(m));
	m.type = 'U';
	m.locate = 7;
	m.replace.old_ref = old_ref;
	m.replace.new_ref = new_ref;
	m.replace.shares = shares;
	m.replace.price = px;
	return m;
}

/* Order messages of their types' exact lengths (the burst's listed ones,
 * applied without a length test) that lie: duplicate references, a replace
 * onto a live reference or its own, at its own price from the front, middle
 * and back of a level, executions and cancels of more than is open or of
 * nothing, deletes of unknown or already removed orders, locates 0, above
 * the book's and 65535, a bad side, a locate that is not the order's; in
 * packets of 1 to 5, one packet repeated on line A and on line B. Through
 * the three frame paths and feed_on_messages, against a reference book:
 * the refusals counted by reason, the books level by level and FIFO by
 * FIFO. */
static void test_hostile_orders(void **state)
{
	struct itch_msg m[64];
	struct ref_book rb;
	struct capture c = { 0 };
	uint8_t pkt[2048], fr[2200];
	uint8_t wire[64][64];
	struct feed_msg fm[64];
	uint32_t n = 0;
	uint64_t seq = 1, t = 1000, r = 5;
	struct fx *v[3], *w;
	(void)state;

	/* a level of three bids at 100.0000, one ask */
	m[n++] = add(1, 'B', 100, 1000000, 1);
	m[n++] = add(2, 'B', 200, 1000000, 2);
	m[n++] = add(3, 'B', 300, 1000000, 3);
	m[n++] = add(4, 'S', 100, 1010000, 4);
	m[n++] = add(1, 'S', 50, 1010000, 5);   /* live reference: EDUP */
	m[n] = add(10, 'B', 10, 1000000, 6);
	m[n++].locate = 0;                       /* ELOCATE */
	m[n] = add(11, 'B', 10, 1000000, 7);
	m[n++].locate = 101;                     /* above max_locate: ELOCATE */
	m[n] = add(12, 'B', 10, 1000000, 8);
	m[n++].locate = 65535;                   /* ELOCATE */
	m[n++] = add(13, 'X', 10, 1000000, 9);   /* ESIDE */
	m[n++] = add(14, 'B', 0, 1000000, 10);   /* EZERO */
	m[n++] = msg_e('E', 4, 150, 7);          /* more than open: clamped, gone */
	m[n++] = msg_e('E', 99, 10, 7);          /* EUNKNOWN */
	m[n++] = msg_e('E', 1, 0, 7);            /* EZERO */
	m[n++] = msg_e('X', 3, 1000, 7);         /* clamped, gone */
	m[n++] = add(3, 'B', 30, 1000000, 11);   /* its reference again: fine */
	m[n++] = msg_d(77);                      /* EUNKNOWN */
	m[n++] = msg_d(4);                       /* gone already: EUNKNOWN */
	m[n++] = msg_u(2, 1, 250, 1000000);      /* onto a live reference: EDUP */
	m[n++] = msg_u(2, 2, 250, 1000000);      /* its own reference, own price */
	m[n++] = msg_u(1, 20, 100, 1000000);     /* the front to the back */
	m[n++] = add(5, 'B', 10, 999900, 12);
	m[n++] = add(6, 'B', 10, 999900, 13);
	m[n++] = add(7, 'B', 10, 999900, 14);
	m[n++] = msg_u(6, 21, 20, 999900);       /* the middle to the back */
	m[n++] = msg_u(7, 22, 30, 999900);       /* the back, larger */
	m[n++] = msg_u(98, 23, 10, 999900);      /* EUNKNOWN */
	m[n++] = msg_u(5, 24, 0, 999900);        /* EZERO */
	m[n++] = msg_u(5, 5, 15, 999800);        /* own reference, new price */
	m[n++] = msg_e('C', 22, 500, 7);         /* more than open: clamped */
	m[n++] = msg_e('E', 20, 10, 55);         /* the locate lies: the order's */
	m[n++] = msg_e('X', 20, 1, 0);           /* locate 0, the order's symbol */
	m[n++] = msg_u(21, 25, 40, 1020000);     /* a new level */
	m[n++] = add(UINT64_MAX, 'S', 10, UINT32_MAX, 15); /* extremes */
	m[n++] = add(0, 'B', 10, 1, 16);
	m[n++] = msg_u(UINT64_MAX, 0, 5, 1);     /* onto reference 0, live: EDUP */
	m[n++] = msg_u(0, 26, 5, UINT32_MAX);    /* bid at the highest price */
	m[n++] = msg_d(UINT64_MAX);
	m[n++] = msg_e('E', 26, 5, 7);           /* exact: gone */
	m[n++] = msg_e('X', 26, 1, 7);           /* gone already */
	m[n++] = msg_u(3, 3, 1, 1000000);        /* own reference: the front to the back */
	m[n++] = msg_d(2);
	m[n++] = msg_d(20);
	m[n++] = msg_u(3, 30, 7, 1000000);       /* alone at its price: kept */
	m[n++] = add(31, 'B', 5, 1000000, 17);   /* behind it */
	assert_true(n <= 64);

	/* one message at a time, the book checked against the reference
	 * after each (the paths below are held to this one's results) */
	memset(&rb, 0, sizeof(rb));
	assert_int_equal(fx_setup((void **)&w), 0);
	for (uint32_t i = 0; i < n; i++) {
		int len = itch_encode(&m[i], wire[i], sizeof(wire[i]));
		char why[160];

		assert_true(len > 0);
		fm[i].data = wire[i];
		fm[i].len = (uint32_t)len;
		ref_apply(&rb, &m[i], 100);
		(void)feed_on_message(&w->f, wire[i], (size_t)len, 1 + i, 0, w->ev, 256);
		if (book_check(w->f.books, why, sizeof(why)) != 0) {
			print_error("message %u (%c): book_check: %s\n", i, m[i].type, why);
			fail();
		}
		ref_compare(&rb, w->f.books, 100);
		for (int k = 1; k < BOOK_REASONS; k++)
			assert_int_equal(w->f.books->cnt.rejected[k], rb.rejected[k]);
	}
	fx_teardown((void **)&w);
	/* packets of 1 to 5 messages; the third again on A, then on B */
	for (uint32_t i = 0, p = 0; i < n; p++) {
		uint32_t k = 1 + rnd(&r, 5);
		size_t len, flen;

		if (k > n - i)
			k = n - i;
		len = packet(pkt, seq, &m[i], (int)k);
		flen = eth_udp(fr, LINE_A_IP, pkt, len);
		cap_add(&c, fr, (uint32_t)flen, (uint32_t)flen, t++);
		if (p == 2) {
			cap_add(&c, fr, (uint32_t)flen, (uint32_t)flen, t++);
			flen = eth_udp(fr, LINE_B_IP, pkt, len);
			cap_add(&c, fr, (uint32_t)flen, (uint32_t)flen, t++);
		}
		seq += k;
		i += k;
	}
	run_paths(&c, NULL, v);
	/* without framing, the pipelined replay */
	assert_int_equal(fx_setup((void **)&w), 0);
	(void)feed_on_messages(&w->f, fm, n, 1, 0, w->ev, 256);
	assert_memory_equal(&w->f.books->cnt, &v[0]->f.books->cnt, sizeof(w->f.books->cnt));

	for (int k = 0; k < 4; k++) {
		const struct book_set *bs = (k < 3 ? v[k] : w)->f.books;

		for (int why = 1; why < BOOK_REASONS; why++)
			assert_int_equal(bs->cnt.rejected[why], rb.rejected[why]);
		assert_int_equal(bs->cnt.clamped, rb.clamped);
		assert_int_equal(bs->cnt.orders_live, rb.n);
		ref_compare(&rb, bs, 100);
	}
	/* each kind of refusal occurred */
	for (int why = 1; why < BOOK_REASONS; why++)
		if (why != BOOK_EORDERS && why != BOOK_ELEVELS)
			assert_true(rb.rejected[why] > 0);
	assert_true(rb.clamped >= 3);
	assert_int_equal(v[0]->f.mold.stats.dup_packets[MOLD_LINE_A], 1);
	assert_int_equal(v[0]->f.mold.stats.dup_packets[MOLD_LINE_B], 1);
	assert_int_equal(v[0]->f.st.msgs, n);
	assert_int_equal(v[0]->f.st.itch_long + v[0]->f.st.itch_short, 0);
	fx_teardown((void **)&w);
	paths_free(v);
	cap_free(&c);
}

/* A replace the level pool refuses, whose message names another symbol
 * than its order's: the book it leaves short is the order's (the book
 * takes the symbol from the order), so that symbol turns stale for good
 * and the one the message names does not. Through the three frame paths
 * and feed_on_messages. */
static void test_pool_full_replace_lying_locate(void **state)
{
	struct itch_msg m[6];
	struct capture c = { 0 };
	uint8_t pkt[2048], fr[2200];
	uint8_t wire[6][64];
	struct feed_msg fm[6];
	struct fx *v[3], *w;
	const struct md_event *e;
	size_t len, flen;
	uint32_t n = 0, k;
	(void)state;

	m[n++] = add(1, 'B', 100, 1000000, 1);
	m[n++] = add(2, 'B', 100, 1000000, 2);  /* the level holds two */
	m[n++] = add(3, 'S', 100, 1000500, 3);
	m[n] = add(4, 'B', 100, 990000, 4);
	m[n++].locate = 8;
	m[n] = add(5, 'S', 100, 1010000, 5);
	m[n++].locate = 8;                       /* the fourth level: full */
	m[n] = msg_u(1, 10, 100, 1000100);       /* a new level: ELEVELS */
	m[n++].locate = 8;                       /* names symbol 8; order 1 is 7's */
	for (uint32_t i = 0; i < n; i++) {
		int l = itch_encode(&m[i], wire[i], sizeof(wire[i]));

		assert_true(l > 0);
		fm[i].data = wire[i];
		fm[i].len = (uint32_t)l;
		len = packet(pkt, 1 + i, &m[i], 1);
		flen = eth_udp(fr, LINE_A_IP, pkt, len);
		cap_add(&c, fr, (uint32_t)flen, (uint32_t)flen, 1000 + i);
	}
	fx_max_levels = 4;
	run_paths(&c, NULL, v);
	assert_int_equal(fx_setup((void **)&w), 0);
	fx_max_levels = 0;
	k = feed_on_messages(&w->f, fm, n, 1, 0, w->ev, 256);
	assert_int_equal(k, n); /* five book events and the stale one */
	e = &w->ev[n - 1];
	assert_int_equal(e->kind, MD_STATE);
	assert_int_equal(e->locate, 7);
	assert_true(e->flags & MD_F_STALE);
	for (int p = 0; p < 4; p++) {
		const struct feed *f = &(p < 3 ? v[p] : w)->f;

		assert_int_equal(f->books->cnt.rejected[BOOK_ELEVELS], 1);
		assert_int_equal(f->st.pool_full_stale, 1);
		assert_true(feed_sym_stale(f, 7));
		assert_false(feed_sym_stale(f, 8));
		assert_false(f->stale);
		/* nothing changed: order 1 still at its price, 10 unknown */
		assert_int_equal(book_sym_get(f->books, 7)->norders, 3);
		assert_int_equal(book_sym_get(f->books, 7)->best_px[BOOK_BID], 1000000);
		assert_null(book_order_find(f->books, 10));
	}
	fx_teardown((void **)&w);
	paths_free(v);
	cap_free(&c);
}

/* Packets of more messages than a burst window lists (FEED_WIN_MSGS), of
 * exactly as many, and of enough to overflow what a window has left after
 * an earlier frame: a window then ends before that frame, or (its first
 * frame) lists what fits and applies the rest without the lookahead. The
 * three frame paths agree, and every message is applied once. */
static void test_burst_window_overflow(void **state)
{
	static const uint16_t sizes[] = { 1100, 30, 1030, 1024, 1, 1024, 600, 500, 2, 1500 };
	static uint8_t pkt[65536], fr[65600];
	struct capture c = { 0 };
	uint64_t seq = 1, t = 1000, ref = 1, adds = 0, dels = 0;
	struct fx *v[3];
	(void)state;

	for (size_t p = 0; p < ARRAY_SIZE(sizes); p++) {
		size_t off = MOLD_HDR_LEN, flen;

		mold_hdr_write(pkt, SESSION, seq, sizes[p]);
		for (uint16_t i = 0; i < sizes[p]; i++) {
			/* adds, each deleted by the message after it (the pool is
			 * small) */
			struct itch_msg m = i % 2 == 1 ? msg_d(ref - 1)
						       : add(ref, 'B', 100, 1000000 + (uint32_t)(ref % 50),
							     seq + i);
			int len;

			if (i % 2 == 1)
				dels++;
			else
				adds++, ref++;
			len = itch_encode(&m, pkt + off + MOLD_BLOCK_HDR_LEN, 64);
			assert_true(len > 0);
			mold_block_len_write(pkt + off, (uint16_t)len);
			off += MOLD_BLOCK_HDR_LEN + (size_t)len;
		}
		assert_true(off <= 65507);
		flen = eth_udp(fr, LINE_A_IP, pkt, off);
		cap_add(&c, fr, (uint32_t)flen, (uint32_t)flen, t++);
		seq += sizes[p];
	}
	run_paths(&c, NULL, v);
	assert_int_equal(v[0]->f.st.msgs, seq - 1);
	assert_int_equal(v[0]->f.books->cnt.applied[BOOK_OP_ADD], adds);
	assert_int_equal(v[0]->f.books->cnt.applied[BOOK_OP_DELETE], dels);
	assert_int_equal(v[0]->f.books->cnt.rejected[BOOK_EUNKNOWN], 0);
	assert_int_equal(v[0]->f.st.gaps, 0);
	paths_free(v);
	cap_free(&c);
}

/* A session at the top of the sequence space: packets up to the one that
 * ends at UINT64_MAX are applied, in order; one whose count would run
 * past it is refused as malformed (its sequence), a repeat of the last is
 * a duplicate and a heartbeat at UINT64_MAX is taken. The three frame
 * paths agree, through feed_finish too. */
static void test_sequence_top(void **state)
{
	static struct md_event ev[3][256];
	const uint64_t s0 = UINT64_MAX - 30;
	struct capture c = { 0 };
	uint8_t pkt[512], fr[600];
	size_t len = 0, flen;
	uint64_t t = 1000, ref = 1;
	uint32_t nfin[3];
	struct fx *v[3];
	(void)state;

	for (uint64_t seq = s0; seq < UINT64_MAX; seq += 3) {
		struct itch_msg m[3];

		for (int i = 0; i < 3; i++, ref++)
			m[i] = add(ref, 'S', 100, 1010000 + (uint32_t)ref, t);
		len = packet(pkt, seq, m, 3);
		flen = eth_udp(fr, LINE_A_IP, pkt, len);
		cap_add(&c, fr, (uint32_t)flen, (uint32_t)flen, t++);
	}
	/* the last packet again: a duplicate */
	cap_add(&c, fr, (uint32_t)flen, (uint32_t)flen, t++);
	{
		struct itch_msg m = add(ref, 'S', 100, 1010000, t);

		/* one message at UINT64_MAX: its end would wrap */
		len = packet(pkt, UINT64_MAX, &m, 1);
		flen = eth_udp(fr, LINE_A_IP, pkt, len);
		cap_add(&c, fr, (uint32_t)flen, (uint32_t)flen, t++);
	}
	mold_hdr_write(pkt, SESSION, UINT64_MAX, 0); /* heartbeat */
	flen = eth_udp(fr, LINE_A_IP, pkt, MOLD_HDR_LEN);
	cap_add(&c, fr, (uint32_t)flen, (uint32_t)flen, t++);
	run_paths(&c, NULL, v);
	for (int k = 0; k < 3; k++)
		nfin[k] = feed_finish(&v[k]->f, 9, ev[k], 256);
	assert_int_equal(nfin[0], nfin[1]);
	assert_int_equal(nfin[0], nfin[2]);
	assert_events_equal(ev[0], ev[1], nfin[0], c.n);
	assert_events_equal(ev[0], ev[2], nfin[0], c.n);
	assert_feeds_equal(&v[0]->f, &v[1]->f);
	assert_feeds_equal(&v[0]->f, &v[2]->f);
	assert_int_equal(v[0]->f.books->cnt.applied[BOOK_OP_ADD], 30);
	assert_int_equal(v[0]->f.mold.stats.malformed[MOLD_ESEQ], 1);
	assert_int_equal(v[0]->f.mold.stats.dup_packets[MOLD_LINE_A], 1);
	assert_int_equal(v[0]->f.mold.stats.heartbeats, 1);
	assert_int_equal(v[0]->f.st.packets_bad, 1);
	assert_int_equal(v[0]->f.st.lost, 0);
	paths_free(v);
	cap_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_events_for_updates, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_gap_filled_by_line_b, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_gap_lost, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_overrun_counted, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pool_full_makes_symbol_stale, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_packets_counted, fx_setup, fx_teardown),
		cmocka_unit_test(test_real_pcaps_clean),
		cmocka_unit_test(test_burst_same_as_frames),
		cmocka_unit_test(test_burst_runs_break),
		cmocka_unit_test(test_pull_same_as_frames),
		cmocka_unit_test(test_pull_keep_same_as_frames),
		cmocka_unit_test(test_tagged_line_a),
		cmocka_unit_test(test_messages_same_as_one_by_one),
		cmocka_unit_test(test_keep_symbols),
		cmocka_unit_test(test_hostile_headers),
		cmocka_unit_test(test_hostile_orders),
		cmocka_unit_test(test_pool_full_replace_lying_locate),
		cmocka_unit_test(test_burst_window_overflow),
		cmocka_unit_test(test_sequence_top),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
