/* test_feed.c - the feed stage end to end on hand-built MoldUDP64 packets:
 * md_events for each ITCH update, books flagged stale while a gap is open
 * and fresh once it is filled (from the other line) or given up, duplicates
 * ignored, overruns counted; and every real capture in the shared data
 * folder through frames with zero framing errors. */
#include <dirent.h>
#include <setjmp.h>
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

static int fx_setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct feed_cfg cfg;
	struct arena_cfg acfg = { .no_huge = true, .no_lock = true };

	if (!x)
		return -1;
	feed_cfg_defaults(&cfg);
	cfg.book.max_orders = 1024;
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
	assert_true(s->flags & BOOK_SYM_STALE);

	rx(x, 1, &p1, 1, MOLD_LINE_B, 2100); /* duplicate */
	n = rx(x, 2, &p2, 1, MOLD_LINE_B, 2200); /* fills the hole */
	assert_int_equal(n, 3); /* msg 2, msg 3 (buffered), feed fresh */
	assert_int_equal(x->ev[0].seq, 2);
	assert_int_equal(x->ev[1].seq, 3);
	assert_int_equal(x->ev[2].kind, MD_STATE);
	assert_false(x->ev[2].flags & MD_F_STALE);
	assert_false(x->f.stale);
	assert_false(s->flags & BOOK_SYM_STALE);
	assert_int_equal(s->best_px[BOOK_BID], 1000100);
	assert_int_equal(s->best_px[BOOK_ASK], 1000500);
	assert_int_equal(s->norders, 3);
	assert_int_equal(x->f.st.gaps, 1);
	assert_int_equal(x->f.st.lost, 0);
	assert_int_equal(x->f.stale, false);
	rx(x, 3, &p3, 1, MOLD_LINE_B, 2300); /* B's late copy of 3 */
	assert_int_equal(s->norders, 3);
	assert_int_equal(x->f.st.msgs, 3);
	assert_int_equal(x->f.st.stale_episodes, 1);
}

/* A hole nobody fills is given up after gap_max_pkts more packets: the
 * messages are counted lost and the feed goes on in sequence. */
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
	assert_false(x->f.stale);
	assert_int_equal(book_sym_get(x->f.books, 7)->norders, 6);
	assert_int_equal(x->f.mold.stats.gaps_lost, 1);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_events_for_updates, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_gap_filled_by_line_b, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_gap_lost, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_overrun_counted, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_packets_counted, fx_setup, fx_teardown),
		cmocka_unit_test(test_real_pcaps_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
