/* test_net.c - frame parsing (dataplane/net.h): hand-built Ethernet, VLAN,
 * QinQ and SLL frames for every drop reason with exact payload offsets, each
 * ending at a guard page; every truncation of valid frames; the Ethernet
 * fast path against the general path; filter, counters and names. One
 * thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "dataplane/net.h"

#include "tests/test_guard.h"

/* ---- frame builder -------------------------------------------------- */

struct spec {
	const char *name;
	enum net_link link;      /* 0 = Ethernet */
	int ntags;
	uint16_t tpid[3];        /* per tag; 0 = 0x8100 */
	uint16_t vid[3];
	uint16_t ethertype;      /* after the tags; 0 = IPv4 */
	uint8_t ver_ihl;         /* 0 = 0x45 */
	int totlen_delta;        /* added to the true IPv4 total length */
	uint16_t frag;           /* flags + fragment offset */
	uint8_t proto;           /* 0 = UDP */
	int udplen_delta;        /* added to the true UDP length */
	size_t payload;          /* UDP payload bytes */
	size_t pad;              /* Ethernet padding after the datagram */
	size_t cut;              /* bytes not captured (caplen = len - cut) */
	int snap;                /* report wirelen = full length */
	/* expectations */
	int want;                /* 0 or -NET_E* */
	size_t want_off;
	uint16_t want_vid, want_outer;
	uint8_t want_tags;
	int want_len_delta;       /* payload_len = payload + this */
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

#define SRC_IP 0xcec87f8au /* 206.200.127.138 */
#define DST_IP 0xe9360c6fu /* 233.54.12.111 */

/* Build the frame of s into buf; returns its full length. */
static size_t build(const struct spec *s, uint8_t *buf)
{
	size_t off = 0, ihl, ip_off, udp_off;
	uint8_t ver_ihl = s->ver_ihl ? s->ver_ihl : 0x45;
	uint16_t type = s->ethertype ? s->ethertype : NET_ETHERTYPE_IPV4;

	memset(buf, 0, 2048);
	if (s->link == NET_LINK_SLL) {
		put16(buf + 0, 0);  /* packet type: to us */
		put16(buf + 2, 1);  /* ARPHRD_ETHER */
		put16(buf + 4, 6);
		memcpy(buf + 6, "\x02\x00\x00\x00\x00\x01\x00\x00", 8);
		off = NET_SLL_OFF_PROTO;
	} else if (s->link == NET_LINK_SLL2) {
		off = NET_SLL2_OFF_PROTO;
		put16(buf + 8, 1);  /* ARPHRD_ETHER after reserved + ifindex */
	} else {
		memcpy(buf, "\x01\x00\x5e\x36\x0c\x6f\xd4\xaf\xf7\xcb\x20\xd5", 12);
		off = NET_ETH_OFF_TYPE;
	}
	for (int i = 0; i < s->ntags; i++) {
		put16(buf + off, s->tpid[i] ? s->tpid[i] : NET_ETHERTYPE_VLAN);
		put16(buf + off + 2, (uint16_t)(0x2000 | s->vid[i])); /* PCP 1 set: masked off */
		off += 4;
	}
	put16(buf + off, type);
	off += 2;
	if (s->link == NET_LINK_SLL2)
		off = NET_SLL2_HDR_LEN + (size_t)s->ntags * 4;
	ip_off = off;
	ihl = (size_t)(ver_ihl & 0x0f) * 4;
	if (ihl < NET_IP4_HDR_MIN)
		ihl = NET_IP4_HDR_MIN; /* still lay out 20 bytes for the bad-IHL cases */
	buf[ip_off + NET_IP4_OFF_VER_IHL] = ver_ihl;
	put16(buf + ip_off + NET_IP4_OFF_TOTLEN,
	      (uint16_t)((int)(ihl + NET_UDP_HDR_LEN + s->payload) + s->totlen_delta));
	put16(buf + ip_off + NET_IP4_OFF_FRAG, s->frag);
	buf[ip_off + 8] = 64;
	buf[ip_off + NET_IP4_OFF_PROTO] = s->proto ? s->proto : NET_IPPROTO_UDP;
	put32(buf + ip_off + NET_IP4_OFF_SRC, SRC_IP);
	put32(buf + ip_off + NET_IP4_OFF_DST, DST_IP);
	for (size_t i = NET_IP4_HDR_MIN; i < ihl; i++)
		buf[ip_off + i] = 0x01; /* NOP options */
	udp_off = ip_off + ihl;
	put16(buf + udp_off + NET_UDP_OFF_SPORT, 49653);
	put16(buf + udp_off + NET_UDP_OFF_DPORT, 26477);
	put16(buf + udp_off + NET_UDP_OFF_LEN,
	      (uint16_t)((int)(NET_UDP_HDR_LEN + s->payload) + s->udplen_delta));
	for (size_t i = 0; i < s->payload; i++)
		buf[udp_off + NET_UDP_HDR_LEN + i] = (uint8_t)(0xA0 + i);
	return udp_off + NET_UDP_HDR_LEN + s->payload + s->pad;
}

static void print_udp(const struct net_udp *u)
{
	print_error("  out: off=%zu len=%zu src=%08x:%u dst=%08x:%u vid=%u outer=%u tags=%u\n",
		    u->payload_off, u->payload_len, u->src_ip, u->src_port, u->dst_ip,
		    u->dst_port, u->vlan_id, u->vlan_outer, u->vlan_tags);
}

static void check_spec(const struct spec *s)
{
	uint8_t buf[2048];
	size_t len = build(s, buf), caplen = len - s->cut;
	enum net_link link = s->link ? s->link : NET_LINK_ETH;
	const uint8_t *f = at_guard(buf, caplen);
	struct net_udp u;
	int rc;

	memset(&u, 0x5a, sizeof(u));
	rc = net_parse_link(link, f, caplen, s->snap ? len : 0, &u);
	if (rc != s->want || (rc == 0 && (u.payload_off != s->want_off ||
					  u.payload != f + s->want_off ||
					  u.payload_len != (size_t)((int)s->payload + s->want_len_delta) ||
					  u.vlan_id != s->want_vid ||
					  u.vlan_outer != s->want_outer ||
					  u.vlan_tags != s->want_tags || u.src_ip != SRC_IP ||
					  u.dst_ip != DST_IP || u.src_port != 49653 ||
					  u.dst_port != 26477))) {
		print_error("case '%s': len %zu caplen %zu rc %d (%s), want %d (%s) off %zu\n",
			    s->name, len, caplen, rc, net_reason_name(rc), s->want,
			    net_reason_name(s->want), s->want_off);
		if (rc == 0)
			print_udp(&u);
		fail();
	}
	if (link == NET_LINK_ETH) { /* the Ethernet entry point agrees */
		struct net_udp u2;

		assert_int_equal(net_parse_udp(f, caplen, s->snap ? len : 0, &u2), rc);
	}
}

static const struct spec cases[] = {
	{ .name = "plain udp", .payload = 20, .want_off = 42 },
	{ .name = "plain udp, empty payload", .payload = 0, .want_off = 42 },
	{ .name = "runt: 13 bytes", .payload = 0, .cut = 42 - 13, .want = -NET_ERUNT },
	{ .name = "runt: 0 bytes", .payload = 0, .cut = 42, .want = -NET_ERUNT },
	{ .name = "arp", .ethertype = NET_ETHERTYPE_ARP, .payload = 8, .want = -NET_ENOTIP },
	{ .name = "ipv6", .ethertype = NET_ETHERTYPE_IPV6, .payload = 8, .want = -NET_EIPV6 },
	{ .name = "vlan ipv6", .ntags = 1, .vid = { 7 }, .ethertype = NET_ETHERTYPE_IPV6,
	  .payload = 8, .want = -NET_EIPV6 },
	{ .name = "fragment: MF", .frag = NET_IP4_FLAG_MF, .payload = 16, .want = -NET_EFRAG },
	{ .name = "fragment: offset", .frag = 0x00b9, .payload = 16, .want = -NET_EFRAG },
	{ .name = "DF is fine", .frag = 0x4000, .payload = 16, .want_off = 42 },
	{ .name = "tcp", .proto = NET_IPPROTO_TCP, .payload = 16, .want = -NET_ENOTUDP },
	{ .name = "icmp", .proto = 1, .payload = 16, .want = -NET_ENOTUDP },
	{ .name = "bad ihl 4", .ver_ihl = 0x44, .payload = 16, .want = -NET_EIPHDR },
	{ .name = "bad ihl 0", .ver_ihl = 0x40, .payload = 16, .want = -NET_EIPHDR },
	{ .name = "version 6 in ipv4 ethertype", .ver_ihl = 0x65, .payload = 16,
	  .want = -NET_EIPHDR },
	{ .name = "ihl 15 past the datagram", .ver_ihl = 0x4f, .payload = 0, .totlen_delta = -40,
	  .udplen_delta = 0, .want = -NET_EIPHDR },
	{ .name = "total length past capture", .totlen_delta = 1, .payload = 16,
	  .want = -NET_EIPHDR },
	{ .name = "total length < ihl", .totlen_delta = -25, .payload = 4, .want = -NET_EIPHDR },
	{ .name = "ipv4 options (ihl 6)", .ver_ihl = 0x46, .payload = 12, .want_off = 46 },
	{ .name = "ipv4 options (ihl 15)", .ver_ihl = 0x4f, .payload = 12, .want_off = 42 + 40 },
	{ .name = "udp length lies high", .udplen_delta = 1, .payload = 16, .want = -NET_EUDPLEN },
	{ .name = "udp length < 8", .udplen_delta = -1, .payload = 0, .want = -NET_EUDPLEN },
	{ .name = "udp length 65535", .udplen_delta = 65535 - 8 - 4, .payload = 4,
	  .want = -NET_EUDPLEN },
	{ .name = "udp length short of ip payload", .udplen_delta = -3, .payload = 10,
	  .want_off = 42, .want_len_delta = -3 },
	{ .name = "udp header truncated", .totlen_delta = -5, .payload = 0,
	  .want = -NET_EUDPLEN },
	{ .name = "ethernet padding ignored", .payload = 4, .pad = 10, .want_off = 42 },
	{ .name = "vlan 141", .ntags = 1, .vid = { 141 }, .payload = 30, .want_off = 46,
	  .want_vid = 141, .want_tags = 1 },
	{ .name = "qinq 88a8", .ntags = 2, .tpid = { NET_ETHERTYPE_QINQ, NET_ETHERTYPE_VLAN },
	  .vid = { 100, 141 }, .payload = 30, .want_off = 50, .want_vid = 141,
	  .want_outer = 100, .want_tags = 2 },
	{ .name = "qinq 9100", .ntags = 2, .tpid = { NET_ETHERTYPE_QINQ_OLD, 0 },
	  .vid = { 4095, 1 }, .payload = 1, .want_off = 50, .want_vid = 1, .want_outer = 4095,
	  .want_tags = 2 },
	{ .name = "three tags", .ntags = 3, .vid = { 1, 2, 3 }, .payload = 8,
	  .want = -NET_ETAGS },
	{ .name = "vlan tag truncated", .ntags = 1, .vid = { 141 }, .payload = 0,
	  .cut = 42 + 4 - 16, .want = -NET_ERUNT },
	{ .name = "vlan + options", .ntags = 1, .vid = { 141 }, .ver_ihl = 0x47, .payload = 5,
	  .want_off = 46 + 8, .want_vid = 141, .want_tags = 1 },
	{ .name = "snaplen cut", .payload = 200, .cut = 100, .snap = 1, .want = -NET_ESNAP },
	{ .name = "cut without wirelen", .payload = 200, .cut = 100, .want = -NET_EIPHDR },
	{ .name = "sll", .link = NET_LINK_SLL, .payload = 9, .want_off = 44 },
	{ .name = "sll vlan", .link = NET_LINK_SLL, .ntags = 1, .vid = { 5 }, .payload = 9,
	  .want_off = 48, .want_vid = 5, .want_tags = 1 },
	{ .name = "sll runt", .link = NET_LINK_SLL, .payload = 0, .cut = 44 - 15,
	  .want = -NET_ERUNT },
	{ .name = "sll arp", .link = NET_LINK_SLL, .ethertype = NET_ETHERTYPE_ARP, .payload = 9,
	  .want = -NET_ENOTIP },
	{ .name = "sll2", .link = NET_LINK_SLL2, .payload = 9, .want_off = 48 },
	{ .name = "sll2 runt", .link = NET_LINK_SLL2, .payload = 0, .cut = 48 - 19,
	  .want = -NET_ERUNT },
};

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_spec(&cases[i]);
}

/* Every truncation of valid frames fails cleanly: with the wire length known
 * it is a snaplen cut; without it, a reason that matches where it was cut. */
static void test_truncations(void **state)
{
	static const struct spec good[] = {
		{ .name = "qinq+options", .ntags = 2, .tpid = { NET_ETHERTYPE_QINQ, 0 },
		  .vid = { 9, 141 }, .ver_ihl = 0x46, .payload = 33 },
		{ .name = "sll", .link = NET_LINK_SLL, .payload = 7 },
		{ .name = "sll2", .link = NET_LINK_SLL2, .payload = 7 },
	};
	(void)state;

	for (size_t g = 0; g < sizeof(good) / sizeof(good[0]); g++) {
		uint8_t buf[2048];
		size_t len = build(&good[g], buf);
		enum net_link link = good[g].link ? good[g].link : NET_LINK_ETH;

		for (size_t cap = 0; cap < len; cap++) {
			const uint8_t *f = at_guard(buf, cap);
			struct net_udp u;
			int rc = net_parse_link(link, f, cap, 0, &u);
			int snap = net_parse_link(link, f, cap, len, &u);

			if (rc >= 0 || snap != -NET_ESNAP) {
				print_error("%s cut to %zu of %zu: rc %d (%s) snap %d\n",
					    good[g].name, cap, len, rc, net_reason_name(rc), snap);
				fail();
			}
		}
		assert_int_equal(net_parse_link(link, at_guard(buf, len), len, len,
						&(struct net_udp){ 0 }),
				 0);
	}
}

/* Ethernet frames take a one-pass path when untagged IPv4 + UDP; SLL2
 * frames always take the general one. Every header byte of a plain frame,
 * set to values that sit on each check's edges, and every caplen and
 * wirelen, must give the same result both ways (payload offset aside). */
static void test_fast_path_agrees(void **state)
{
	static const uint8_t vals[] = { 0x00, 0x01, 0x05, 0x06, 0x08, 0x11, 0x1f, 0x20,
					0x21, 0x3f, 0x40, 0x45, 0x46, 0x54, 0x81, 0xff };
	static const struct spec plain = { .name = "plain", .payload = 9, .pad = 3 };
	uint8_t eth[2048], sll2[2048];
	size_t len = build(&plain, eth), checked = 0;
	(void)state;

	for (size_t pos = NET_ETH_OFF_TYPE; pos < len; pos++) {
		for (size_t v = 0; v <= sizeof(vals); v++) {
			uint8_t keep = eth[pos];

			/* v == sizeof(vals): the frame as built */
			eth[pos] = v < sizeof(vals) ? vals[v] : keep;
			memset(sll2, 0, NET_SLL2_HDR_LEN);
			memcpy(sll2 + NET_SLL2_OFF_PROTO, eth + NET_ETH_OFF_TYPE, 2);
			memcpy(sll2 + NET_SLL2_HDR_LEN, eth + NET_ETH_HDR_LEN,
			       len - NET_ETH_HDR_LEN);
			for (size_t cap = NET_ETH_HDR_LEN; cap <= len; cap++) {
				/* wirelen: unknown, the frame's, and either side of
				 * caplen and of the 42 header bytes (the fast path's
				 * one compare against the larger) */
				const size_t wls[] = { 0, len, cap, cap + 1, cap - 1, 41, 42, 43 };

				for (size_t wl = 0; wl < sizeof(wls) / sizeof(wls[0]); wl++) {
					const size_t d = NET_SLL2_HDR_LEN - NET_ETH_HDR_LEN;
					struct net_udp a, b;
					const uint8_t *fa = at_guard(eth, cap);
					int ra = net_parse_link(NET_LINK_ETH, fa, cap, wls[wl], &a);
					const uint8_t *fb = at_guard(sll2, cap + d);
					int rb = net_parse_link(NET_LINK_SLL2, fb, cap + d,
								wls[wl] ? wls[wl] + d : 0, &b);

					if (ra != rb ||
					    (ra == 0 && (a.payload_off + d != b.payload_off ||
							 a.payload_len != b.payload_len ||
							 a.src_ip != b.src_ip || a.dst_ip != b.dst_ip ||
							 a.src_port != b.src_port ||
							 a.dst_port != b.dst_port ||
							 a.vlan_id != b.vlan_id ||
							 a.vlan_outer != b.vlan_outer ||
							 a.vlan_tags != b.vlan_tags))) {
						print_error("byte %zu = 0x%02x, caplen %zu, wirelen %zu: "
							    "eth %d (%s), sll2 %d (%s)\n", pos, eth[pos],
							    cap, wls[wl], ra, net_reason_name(ra), rb,
							    net_reason_name(rb));
						if (ra == 0)
							print_udp(&a);
						if (rb == 0)
							print_udp(&b);
						fail();
					}
					checked += ra == 0;
				}
			}
			eth[pos] = keep;
		}
	}
	assert_true(checked > 0);
}

/* net_fast_parse against a template of the plain frame's source, under
 * filters that compare nothing, the group, the port, both, and a group the
 * frame is not sent to: over every header byte at the same edge values,
 * every caplen and wirelen, it takes exactly the frames that the one-pass
 * parse takes from that source and the filter passes, with its payload
 * length; the empty template (net_fast_none) takes none. */
static void test_fast_template_agrees(void **state)
{
	static const uint8_t vals[] = { 0x00, 0x01, 0x05, 0x06, 0x08, 0x11, 0x1f, 0x20,
					0x21, 0x3f, 0x40, 0x45, 0x46, 0x54, 0x81, 0xff };
	static const struct spec plain = { .name = "plain", .payload = 9, .pad = 3 };
	const struct net_filter filters[] = {
		{ 0 },
		{ .match_dst_ip = true, .dst_ip = DST_IP },
		{ .match_dst_port = true, .dst_port = 26477 },
		{ .match_dst_ip = true, .dst_ip = DST_IP, .match_dst_port = true,
		  .dst_port = 26477 },
		{ .match_dst_ip = true, .dst_ip = DST_IP + 1 },
	};
	uint8_t eth[2048];
	size_t len = build(&plain, eth), taken = 0, refused = 0;
	struct net_udp src;
	struct net_fast none;
	(void)state;

	assert_int_equal(net_parse_link(NET_LINK_ETH, at_guard(eth, len), len, len, &src), 0);
	net_fast_none(&none);
	for (size_t fi = 0; fi < sizeof(filters) / sizeof(filters[0]); fi++) {
		struct net_fast t;

		net_fast_set(&t, src.src_ip, src.src_port, &filters[fi]);
		for (size_t pos = NET_ETH_OFF_TYPE; pos < len; pos++) {
			for (size_t v = 0; v <= sizeof(vals); v++) {
				uint8_t keep = eth[pos];

				eth[pos] = v < sizeof(vals) ? vals[v] : keep;
				for (size_t cap = NET_ETH_HDR_LEN; cap <= len; cap++) {
					const size_t wls[] = { 0, len, cap, cap + 1, cap - 1, 41, 42, 43 };
					const uint8_t *f = at_guard(eth, cap);

					for (size_t wl = 0; wl < sizeof(wls) / sizeof(wls[0]); wl++) {
						struct net_udp u;
						uint32_t pl = 0, pn = 0;
						bool want = net_parse_eth_ip4_udp(f, cap, wls[wl], &u) &&
							    u.src_ip == src.src_ip &&
							    u.src_port == src.src_port &&
							    net_filter_match(&filters[fi], &u);
						bool got = net_fast_parse(&t, f, cap, wls[wl], &pl);

						if (got != want || (got && pl != u.payload_len) ||
						    net_fast_parse(&none, f, cap, wls[wl], &pn)) {
							print_error("filter %zu, byte %zu = 0x%02x, "
								    "caplen %zu, wirelen %zu: fast %d, "
								    "parse %d\n", fi, pos, eth[pos],
								    cap, wls[wl], got, want);
							fail();
						}
						taken += got;
						refused += !got && cap == len && wls[wl] == len;
					}
				}
				eth[pos] = keep;
			}
		}
	}
	assert_true(taken > 0 && refused > 0);
}

static void test_filter_stats_names(void **state)
{
	struct net_filter all = { 0 }, grp = { 0 }, port = { 0 };
	struct net_udp u = { .dst_ip = DST_IP, .dst_port = 26477 };
	struct net_udp zero = { 0 }; /* the re-wrapped captures: 0.0.0.0:0 */
	struct net_stats st = { 0 };
	(void)state;

	assert_true(net_filter_match(&all, &u));
	assert_true(net_filter_match(&all, &zero));
	grp.match_dst_ip = true;
	grp.dst_ip = net_ip4(233, 54, 12, 111);
	assert_int_equal(grp.dst_ip, DST_IP);
	assert_true(net_filter_match(&grp, &u));
	assert_false(net_filter_match(&grp, &zero));
	port.match_dst_port = true;
	port.dst_port = 26478;
	assert_false(net_filter_match(&port, &u));
	port.dst_port = 26477;
	assert_true(net_filter_match(&port, &u));
	grp.match_dst_port = true;
	grp.dst_port = 26477;
	assert_true(net_filter_match(&grp, &u));

	net_stats_count(&st, 0);
	net_stats_count(&st, -NET_ENOTUDP);
	net_stats_count(&st, -NET_ENOTUDP);
	net_stats_count(&st, -NET_ERUNT);
	assert_int_equal(st.frames, 4);
	assert_int_equal(st.reason[NET_OK], 1);
	assert_int_equal(st.reason[NET_ENOTUDP], 2);
	assert_int_equal(st.reason[NET_ERUNT], 1);
	for (int r = 0; r < NET_REASON_COUNT; r++) {
		assert_non_null(net_reason_names[r]);
		assert_string_equal(net_reason_name(-r), net_reason_names[r]);
	}
	assert_string_equal(net_reason_name(-NET_ESNAP), "snaplen-cut");
	assert_string_equal(net_reason_name(99), "unknown");
	assert_int_equal(net_parse_link((enum net_link)9999, guard, 0, 0, &u), -NET_ENOTIP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_fast_path_agrees),
		cmocka_unit_test(test_fast_template_agrees),
		cmocka_unit_test(test_filter_stats_names),
	};

	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
