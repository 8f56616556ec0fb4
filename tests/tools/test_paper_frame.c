/* test_paper_frame.c - the paper replay's frame look (tools/paper_frame.h):
 * paper_frame_not_due is true only when paper_frame_first_ts is below the
 * due time, on built frames of every link and shape with every header byte
 * set to edge values at every captured length, and on the frames of real
 * captures; and it does answer for the common frame. One thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/pcap_src.h"
#include "tests/test_data.h"
#include "tools/paper_frame.h"

#define TS_OK UINT64_C(34200123456789) /* 09:30:00.123456789 */

/* One frame to build: link, tags, IPv4 header length, MoldUDP64 count, the
 * first block's length and the ITCH stamp in it, padding after UDP. */
struct spec {
	const char *name;
	enum net_link link;
	int vlan;          /* Ethernet: 802.1Q tags, 0 or 1 */
	int ihl;           /* 5, or 6 with one option word */
	uint16_t count;
	uint16_t blen;     /* first block's length (>= 11 written as ITCH) */
	uint64_t ts;
	size_t pad;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Writes the frame at f; returns its length. */
static size_t build(const struct spec *s, uint8_t *f)
{
	size_t off = 0, ip, udp, pl, n, ml = s->blen < 11 ? 11 : s->blen;

	memset(f, 0, 512);
	if (s->link == NET_LINK_ETH) {
		memset(f, 0x11, 12);
		off = 12;
		if (s->vlan) {
			put16(f + off, NET_ETHERTYPE_VLAN);
			put16(f + off + 2, 7);
			off += 4;
		}
		put16(f + off, NET_ETHERTYPE_IPV4);
		off += 2;
	} else if (s->link == NET_LINK_SLL) {
		put16(f + 2, 1);
		put16(f + 4, 6);
		put16(f + NET_SLL_OFF_PROTO, NET_ETHERTYPE_IPV4);
		off = NET_SLL_HDR_LEN;
	} else {
		put16(f + NET_SLL2_OFF_PROTO, NET_ETHERTYPE_IPV4);
		f[10] = 1;
		f[11] = 6;
		/* its address where an Ethernet frame has the ethertype and
		 * IPv4's first byte: only the link tells them apart */
		f[12] = 0x08;
		f[13] = 0x00;
		f[14] = 0x45;
		off = NET_SLL2_HDR_LEN;
	}
	ip = off;
	udp = ip + (size_t)s->ihl * 4;
	pl = udp + NET_UDP_HDR_LEN;
	/* MoldUDP64: session, sequence, count; one block */
	memcpy(f + pl, "SESSION001", 10);
	f[pl + 17] = 1;
	put16(f + pl + MOLD_OFF_COUNT, s->count);
	put16(f + pl + MOLD_HDR_LEN, s->blen);
	f[pl + MOLD_HDR_LEN + 2] = 'A';
	put16(f + pl + MOLD_HDR_LEN + 3, 1); /* locate */
	for (int i = 0; i < 6; i++)
		f[pl + MOLD_HDR_LEN + 2 + 5 + i] = (uint8_t)(s->ts >> (40 - 8 * i));
	for (size_t i = 11; i < ml; i++)
		f[pl + MOLD_HDR_LEN + 2 + i] = (uint8_t)(0x30 + i);
	n = MOLD_HDR_LEN + 2 + ml;
	f[ip] = (uint8_t)(0x40 | s->ihl);
	put16(f + ip + NET_IP4_OFF_TOTLEN, (uint16_t)(s->ihl * 4 + NET_UDP_HDR_LEN + n));
	f[ip + 8] = 64;
	f[ip + NET_IP4_OFF_PROTO] = NET_IPPROTO_UDP;
	put16(f + ip + NET_IP4_OFF_SRC, 0xcec8);
	put16(f + udp + NET_UDP_OFF_DPORT, 26477);
	put16(f + udp + NET_UDP_OFF_LEN, (uint16_t)(NET_UDP_HDR_LEN + n));
	return pl + n + s->pad;
}

struct tally {
	unsigned long checked, shortcut, parsed_due;
};

/* The contract at one due time, and what it exercised. */
static void check_one(enum net_link link, const uint8_t *f, uint32_t cap, uint32_t wire,
		      uint64_t due, struct tally *t, const char *what)
{
	uint64_t ts = paper_frame_first_ts(link, f, cap, wire);
	bool nd = paper_frame_not_due(link, f, cap, due);

	if (nd && ts >= due) {
		print_error("%s: caplen %u wirelen %u due %llu: not due, but the first "
			    "stamp is %llu\n", what, cap, wire, (unsigned long long)due,
			    (unsigned long long)ts);
		fail();
	}
	t->checked++;
	t->shortcut += nd && cap >= PAPER_FRAME_MIN_TS;
	t->parsed_due += ts >= due;
}

/* Due times around the frame's stamp and around the bytes the shortcut
 * reads. */
static void check_dues(enum net_link link, const uint8_t *f, uint32_t cap, uint32_t wire,
		       struct tally *t, const char *what)
{
	uint64_t ts = paper_frame_first_ts(link, f, cap, wire), b69 = 0;
	const uint64_t dues[] = { 1, 2, TS_OK, PAPER_DAY_NS, UINT64_MAX };

	if (cap >= PAPER_FRAME_MIN_TS)
		for (int i = 0; i < 6; i++)
			b69 = b69 << 8 | f[PAPER_FRAME_MIN_TS - 6 + i];
	for (size_t i = 0; i < sizeof(dues) / sizeof(dues[0]); i++)
		check_one(link, f, cap, wire, dues[i], t, what);
	for (int d = -1; d <= 1; d++) {
		if (ts + (uint64_t)d >= 1)
			check_one(link, f, cap, wire, ts + (uint64_t)d, t, what);
		if (b69 + (uint64_t)d >= 1)
			check_one(link, f, cap, wire, b69 + (uint64_t)d, t, what);
	}
}

/* Every frame shape, every byte set to edge values, every captured
 * length, wire length unknown or the frame's. */
static void test_built_frames(void **state)
{
	static const uint8_t vals[] = { 0x00, 0x01, 0x05, 0x08, 0x0a, 0x0b, 0x11, 0x1f,
					0x20, 0x3f, 0x45, 0x46, 0x4e, 0x81, 0xfe, 0xff };
	static const struct spec specs[] = {
		{ "plain", NET_LINK_ETH, 0, 5, 1, 30, TS_OK, 0 },
		{ "padded", NET_LINK_ETH, 0, 5, 1, 11, TS_OK, 6 },
		{ "vlan", NET_LINK_ETH, 1, 5, 1, 30, TS_OK, 0 },
		{ "ip-options", NET_LINK_ETH, 0, 6, 1, 30, TS_OK, 0 },
		{ "sll", NET_LINK_SLL, 0, 5, 1, 30, TS_OK, 0 },
		{ "sll2", NET_LINK_SLL2, 0, 5, 1, 30, TS_OK, 0 },
		{ "no-messages", NET_LINK_ETH, 0, 5, 0, 30, TS_OK, 0 },
		{ "end-of-session", NET_LINK_ETH, 0, 5, MOLD_COUNT_END, 30, TS_OK, 0 },
		{ "short-block", NET_LINK_ETH, 0, 5, 1, 10, TS_OK, 0 },
		{ "not-a-time", NET_LINK_ETH, 0, 5, 1, 30, PAPER_DAY_NS, 0 },
	};
	uint8_t f[512];
	struct tally t = { 0 };
	(void)state;

	for (size_t k = 0; k < sizeof(specs) / sizeof(specs[0]); k++) {
		size_t len = build(&specs[k], f);

		for (size_t pos = 0; pos <= len; pos++) {
			for (size_t v = 0; v <= sizeof(vals); v++) {
				uint8_t keep = pos < len ? f[pos] : 0;

				/* pos == len or v == sizeof(vals): as built */
				if (pos < len && v < sizeof(vals))
					f[pos] = vals[v];
				for (uint32_t cap = 0; cap <= len; cap++) {
					/* the captured bytes alone, so that a read
					 * past them is caught (ASan) */
					uint8_t *g = malloc(cap ? cap : 1);

					assert_non_null(g);
					memcpy(g, f, cap);
					check_dues(specs[k].link, g, cap, 0, &t, specs[k].name);
					check_dues(specs[k].link, g, cap, (uint32_t)len, &t,
						   specs[k].name);
					free(g);
				}
				if (pos < len)
					f[pos] = keep;
				if (pos == len)
					break;
			}
		}
	}
	/* both sides were exercised: the shortcut answered, and frames
	 * whose stamp was due had it refused */
	assert_true(t.shortcut > 1000);
	assert_true(t.parsed_due > 1000);
}

/* The frames of real captures, at due times around each one's stamp. */
static void test_real_frames(void **state)
{
	static const char *const files[] = { "pcap/nasdaq-itch50/20230822_AddOrderNoMPID.pcap",
					     "pcap/nasdaq-itch50/20230822_OrderExecuted.pcap",
					     "pcap/nasdaq-itch50/20230822_OrderDelete.pcap" };
	struct tally t = { 0 };
	unsigned long frames = 0;
	(void)state;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[512];
		struct pcap_src src;
		struct pcap_src_pkt pkt;
		int rc;

		test_data_path(path, files[i]);
		assert_int_equal(pcap_src_init(&src, path), 0);
		while ((rc = pcap_src_next(&src, &pkt)) == 1) {
			uint8_t plain[2048];
			uint32_t cap = pkt.caplen - 4, wire = pkt.wirelen - 4;
			uint64_t ts;

			check_dues(src.link, pkt.data, pkt.caplen, pkt.wirelen, &t, files[i]);
			frames++;
			/* These captures carry an 802.1Q tag; the frame without
			 * it is the common one, which the shortcut answers. */
			if (src.link != NET_LINK_ETH || pkt.caplen < 16 || pkt.wirelen < 16 ||
			    pkt.caplen > sizeof(plain) ||
			    wire_get16(pkt.data + NET_ETH_OFF_TYPE) != NET_ETHERTYPE_VLAN)
				continue;
			memcpy(plain, pkt.data, NET_ETH_OFF_TYPE);
			memcpy(plain + NET_ETH_OFF_TYPE, pkt.data + NET_ETH_OFF_TYPE + 4,
			       cap - NET_ETH_OFF_TYPE);
			check_dues(NET_LINK_ETH, plain, cap, wire, &t, files[i]);
			ts = paper_frame_first_ts(NET_LINK_ETH, plain, cap, wire);
			assert_int_equal(ts, paper_frame_first_ts(src.link, pkt.data, pkt.caplen,
								  pkt.wirelen));
			if (ts)
				assert_true(paper_frame_not_due(NET_LINK_ETH, plain, cap, ts + 1));
		}
		assert_int_equal(rc, 0);
		pcap_src_fini(&src);
	}
	assert_true(frames > 0);
	assert_true(t.shortcut > 0 && t.parsed_due > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_built_frames),
		cmocka_unit_test(test_real_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
