/* net.c - Ethernet/SLL -> VLAN tags -> IPv4 -> UDP parsing (net.h).
 * Every read is preceded by NEED against the bytes left, so no input can
 * make it read past caplen. IPv4 checksums are not verified (the NIC or the
 * capture did). Pure functions; any thread. */
#include "dataplane/net.h"

#include <endian.h>
#include <string.h>

#include "hw/compiler.h"
#include "hw/wire.h"

_Static_assert(NET_ETH_OFF_TYPE + 2 == NET_ETH_HDR_LEN, "Ethernet II header is 14 bytes");
_Static_assert(NET_SLL_OFF_PROTO + 2 == NET_SLL_HDR_LEN, "SLL header is 16 bytes");
_Static_assert(NET_VLAN_OFF_TYPE + 2 == NET_VLAN_TAG_LEN, "VLAN tag is 4 bytes");
_Static_assert(NET_IP4_OFF_DST + 4 == NET_IP4_HDR_MIN, "IPv4 header is 20 bytes");
_Static_assert(NET_UDP_OFF_LEN + 4 == NET_UDP_HDR_LEN, "UDP header is 8 bytes");

const char *const net_reason_names[NET_REASON_COUNT] = {
	[NET_OK] = "ok",
	[NET_ESNAP] = "snaplen-cut",
	[NET_ERUNT] = "runt",
	[NET_ETAGS] = "too-many-vlan-tags",
	[NET_ENOTIP] = "non-ip",
	[NET_EIPV6] = "ipv6",
	[NET_EIPHDR] = "bad-ipv4-header",
	[NET_EFRAG] = "ipv4-fragment",
	[NET_ENOTUDP] = "non-udp",
	[NET_EUDPLEN] = "bad-udp-length",
};

/* The one bounds check: fail with `reason` unless n bytes remain at off.
 * Invariant: off <= end. */
#define NEED(n, reason)                                   \
	do {                                              \
		if (UNLIKELY(end - off < (size_t)(n)))    \
			return -(reason);                 \
	} while (0)

/* From the ethertype at frame[off - 2] on: VLAN tags, IPv4, UDP. end is the
 * number of captured bytes. */
static int parse_from_type(const uint8_t *frame, size_t off, size_t end, uint16_t type,
			   struct net_udp *out)
{
	size_t ihl, totlen, udplen, ip_end;
	uint16_t frag;

	out->vlan_tags = 0;
	out->vlan_id = 0;
	out->vlan_outer = 0;
	while (type == NET_ETHERTYPE_VLAN || type == NET_ETHERTYPE_QINQ ||
	       type == NET_ETHERTYPE_QINQ_OLD) {
		uint16_t id;

		if (UNLIKELY(out->vlan_tags == NET_VLAN_MAX_TAGS))
			return -NET_ETAGS;
		NEED(NET_VLAN_TAG_LEN, NET_ERUNT);
		id = wire_get16(frame + off + NET_VLAN_OFF_TCI) & NET_VLAN_ID_MASK;
		if (out->vlan_tags == 1)
			out->vlan_outer = out->vlan_id;
		out->vlan_id = id;
		out->vlan_tags++;
		type = wire_get16(frame + off + NET_VLAN_OFF_TYPE);
		off += NET_VLAN_TAG_LEN;
	}
	if (UNLIKELY(type != NET_ETHERTYPE_IPV4))
		return type == NET_ETHERTYPE_IPV6 ? -NET_EIPV6 : -NET_ENOTIP;

	/* IPv4: version, IHL, total length against what was captured. */
	NEED(NET_IP4_HDR_MIN, NET_EIPHDR);
	if (UNLIKELY((frame[off + NET_IP4_OFF_VER_IHL] >> 4) != 4))
		return -NET_EIPHDR;
	ihl = (size_t)(frame[off + NET_IP4_OFF_VER_IHL] & 0x0f) * 4;
	totlen = wire_get16(frame + off + NET_IP4_OFF_TOTLEN);
	if (UNLIKELY(ihl < NET_IP4_HDR_MIN || totlen < ihl))
		return -NET_EIPHDR;
	NEED(totlen, NET_EIPHDR);
	frag = wire_get16(frame + off + NET_IP4_OFF_FRAG);
	if (UNLIKELY(frag & (NET_IP4_FLAG_MF | NET_IP4_FRAG_OFF_MASK)))
		return -NET_EFRAG;
	if (UNLIKELY(frame[off + NET_IP4_OFF_PROTO] != NET_IPPROTO_UDP))
		return -NET_ENOTUDP;
	out->src_ip = wire_get32(frame + off + NET_IP4_OFF_SRC);
	out->dst_ip = wire_get32(frame + off + NET_IP4_OFF_DST);
	ip_end = off + totlen; /* Ethernet padding after it is ignored */
	end = ip_end;
	off += ihl;

	/* UDP: its length must fit the IP payload. */
	NEED(NET_UDP_HDR_LEN, NET_EUDPLEN);
	udplen = wire_get16(frame + off + NET_UDP_OFF_LEN);
	if (UNLIKELY(udplen < NET_UDP_HDR_LEN))
		return -NET_EUDPLEN;
	NEED(udplen, NET_EUDPLEN);
	out->src_port = wire_get16(frame + off + NET_UDP_OFF_SPORT);
	out->dst_port = wire_get16(frame + off + NET_UDP_OFF_DPORT);
	out->payload_off = off + NET_UDP_HDR_LEN;
	out->payload = frame + out->payload_off;
	out->payload_len = udplen - NET_UDP_HDR_LEN;
	return 0;
}

int net_parse_udp(const uint8_t *frame, size_t caplen, size_t wirelen, struct net_udp *out)
{
	size_t off = 0, end = caplen;

	if (LIKELY(net_parse_eth_ip4_udp(frame, caplen, wirelen, out)))
		return 0;
	if (UNLIKELY(wirelen != 0 && caplen < wirelen))
		return -NET_ESNAP;
	NEED(NET_ETH_HDR_LEN, NET_ERUNT);
	return parse_from_type(frame, NET_ETH_HDR_LEN, end, wire_get16(frame + NET_ETH_OFF_TYPE), out);
}

int net_parse_link_slow(enum net_link link, const uint8_t *frame, size_t caplen,
			size_t wirelen, struct net_udp *out)
{
	size_t off = 0, end = caplen;

	switch (link) {
	case NET_LINK_ETH:
		return net_parse_udp(frame, caplen, wirelen, out);
	case NET_LINK_SLL:
		if (UNLIKELY(wirelen != 0 && caplen < wirelen))
			return -NET_ESNAP;
		NEED(NET_SLL_HDR_LEN, NET_ERUNT);
		return parse_from_type(frame, NET_SLL_HDR_LEN, end,
				       wire_get16(frame + NET_SLL_OFF_PROTO), out);
	case NET_LINK_SLL2:
		if (UNLIKELY(wirelen != 0 && caplen < wirelen))
			return -NET_ESNAP;
		NEED(NET_SLL2_HDR_LEN, NET_ERUNT);
		return parse_from_type(frame, NET_SLL2_HDR_LEN, end,
				       wire_get16(frame + NET_SLL2_OFF_PROTO), out);
	}
	return -NET_ENOTIP;
}

const char *net_reason_name(int r)
{
	unsigned u = (unsigned)(r < 0 ? -r : r);

	return u < NET_REASON_COUNT ? net_reason_names[u] : "unknown";
}

void net_fast_none(struct net_fast *t)
{
	memset(t, 0, sizeof(*t));
	t->key[0][0] = 1; /* outside mask[0][0] (0): no frame's byte gives it */
}

/* One field of n bytes (big-endian v) at frame offset off into t's rows. */
static void fast_field(struct net_fast *t, size_t off, size_t n, uint32_t v, uint8_t m)
{
	for (size_t i = 0; i < n; i++) {
		size_t at = off + i;
		unsigned r = at >= NET_FAST_OFF1; /* row 1 from its first byte */
		size_t c = at - (r ? NET_FAST_OFF1 : NET_FAST_OFF0);
		uint8_t b = (uint8_t)(v >> (8 * (n - 1 - i)));

		t->mask[r][c] = m;
		t->key[r][c] = b & m;
	}
}

void net_fast_set(struct net_fast *t, uint32_t src_ip, uint16_t src_port,
		  const struct net_filter *f)
{
	enum {
		IP = NET_ETH_HDR_LEN,
		UDP = NET_ETH_HDR_LEN + NET_IP4_HDR_MIN,
	};
	_Static_assert(NET_FAST_OFF1 <= IP + NET_IP4_OFF_SRC &&
		       (int)NET_FAST_OFF0 + NET_FAST_WORD >= (int)NET_FAST_OFF1,
		       "the rows cover the ethertype to the UDP header");

	memset(t, 0, sizeof(*t));
	fast_field(t, NET_ETH_OFF_TYPE, 2, NET_ETHERTYPE_IPV4, 0xff);
	fast_field(t, IP + NET_IP4_OFF_VER_IHL, 1, 0x45, 0xff); /* IPv4, no options */
	fast_field(t, IP + NET_IP4_OFF_FRAG, 1, 0, (NET_IP4_FLAG_MF | NET_IP4_FRAG_OFF_MASK) >> 8);
	fast_field(t, IP + NET_IP4_OFF_FRAG + 1, 1, 0, 0xff);
	fast_field(t, IP + NET_IP4_OFF_PROTO, 1, NET_IPPROTO_UDP, 0xff);
	fast_field(t, IP + NET_IP4_OFF_SRC, 4, src_ip, 0xff);
	fast_field(t, UDP + NET_UDP_OFF_SPORT, 2, src_port, 0xff);
	fast_field(t, IP + NET_IP4_OFF_DST, 4, f->dst_ip, f->match_dst_ip ? 0xff : 0);
	fast_field(t, UDP + NET_UDP_OFF_DPORT, 2, f->dst_port, f->match_dst_port ? 0xff : 0);
}
