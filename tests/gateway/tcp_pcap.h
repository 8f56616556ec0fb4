/* tcp_pcap.h - test-only reader for the small Ethernet/IPv4/TCP captures in
 * ../shared/data/pcap: walks each frame's Ethernet (and VLAN), IPv4 and TCP
 * headers by hand and appends the TCP payloads in file order. Test programs
 * only, one thread. Include after <cmocka.h>. */
#ifndef TCP_PCAP_H
#define TCP_PCAP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dataplane/pcap_src.h"

enum {
	TCPP_ETH_HDR = 14,
	TCPP_ETH_OFF_TYPE = 12,
	TCPP_VLAN_TAG = 4,
	TCPP_IP_OFF_VER_IHL = 0,
	TCPP_IP_OFF_TOTLEN = 2,
	TCPP_IP_OFF_PROTO = 9,
	TCPP_TCP_OFF_DOFF = 12,   /* data offset: high nibble, in 32-bit words */
	TCPP_TCP_HDR_MIN = 20,
};

static inline unsigned tcpp_be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* TCP payload of one Ethernet frame: its offset and length, or -1 when the
 * frame is not a well-formed IPv4/TCP frame. Never reads past caplen. */
static inline int tcpp_frame(const uint8_t *f, size_t caplen, size_t *off, size_t *len)
{
	size_t o = TCPP_ETH_HDR, ihl, tot, doff;
	unsigned et;

	if (caplen < TCPP_ETH_HDR)
		return -1;
	et = tcpp_be16(f + TCPP_ETH_OFF_TYPE);
	while (et == 0x8100 || et == 0x88a8) {
		if (caplen < o + TCPP_VLAN_TAG)
			return -1;
		et = tcpp_be16(f + o + 2);
		o += TCPP_VLAN_TAG;
	}
	if (et != 0x0800 || caplen < o + 20)
		return -1;
	if ((f[o + TCPP_IP_OFF_VER_IHL] >> 4) != 4 || f[o + TCPP_IP_OFF_PROTO] != 6)
		return -1;
	ihl = (size_t)(f[o + TCPP_IP_OFF_VER_IHL] & 0x0f) * 4;
	tot = tcpp_be16(f + o + TCPP_IP_OFF_TOTLEN);
	if (ihl < 20 || tot < ihl + TCPP_TCP_HDR_MIN || caplen < o + tot)
		return -1;
	doff = (size_t)(f[o + ihl + TCPP_TCP_OFF_DOFF] >> 4) * 4;
	if (doff < TCPP_TCP_HDR_MIN || tot < ihl + doff)
		return -1;
	*off = o + ihl + doff;
	*len = tot - ihl - doff;
	return 0;
}

/* Read the capture at path and append every frame's TCP payload to out
 * (cap bytes). Returns the bytes appended; fails the test on any error. */
static inline size_t tcpp_read(const char *path, uint8_t *out, size_t cap)
{
	struct pcap_src src;
	struct pcap_src_pkt pkt;
	size_t n = 0, off = 0, len = 0;
	int rc;

	rc = pcap_src_init(&src, path);
	if (rc != 0)
		print_message("%s\n", src.err);
	assert_int_equal(rc, 0);
	assert_int_equal(src.link, NET_LINK_ETH);
	while ((rc = pcap_src_next(&src, &pkt)) == 1) {
		assert_int_equal(tcpp_frame(pkt.data, pkt.caplen, &off, &len), 0);
		assert_true(n + len <= cap);
		memcpy(out + n, pkt.data + off, len);
		n += len;
	}
	assert_int_equal(rc, 0);
	pcap_src_fini(&src);
	return n;
}

#endif /* TCP_PCAP_H */
