/* net.h - frame parsing for the feed: Ethernet II (or Linux cooked SLL/SLL2),
 * up to two 802.1Q/802.1ad VLAN tags, IPv4, UDP, down to the UDP payload.
 * Owns the drop reasons, their counters and the destination filter.
 * Pure functions over caller buffers; any thread. */
#ifndef NET_H
#define NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "hw/compiler.h"
#include "hw/wire.h"

/* Link layers, numbered as libpcap's DLT_ values. */
enum net_link {
	NET_LINK_ETH = 1,    /* DLT_EN10MB */
	NET_LINK_SLL = 113,  /* DLT_LINUX_SLL, Linux cooked capture v1 */
	NET_LINK_SLL2 = 276, /* DLT_LINUX_SLL2, Linux cooked capture v2 */
};

/* Wire layout (IEEE 802.3, 802.1Q, RFC 791, RFC 768, libpcap SLL docs). */
enum {
	NET_ETH_OFF_DST = 0,
	NET_ETH_OFF_SRC = 6,
	NET_ETH_OFF_TYPE = 12,
	NET_ETH_HDR_LEN = 14,
	NET_SLL_OFF_PROTO = 14,   /* SLL v1: type, hatype, halen, addr[8], proto */
	NET_SLL_HDR_LEN = 16,
	NET_SLL2_OFF_PROTO = 0,   /* SLL v2: proto first, then reserved, ifindex... */
	NET_SLL2_HDR_LEN = 20,
	NET_VLAN_OFF_TCI = 0,     /* after the TPID: TCI (PCP, DEI, 12-bit id) */
	NET_VLAN_OFF_TYPE = 2,    /* the inner ethertype */
	NET_VLAN_TAG_LEN = 4,
	NET_VLAN_MAX_TAGS = 2,    /* QinQ: S-tag + C-tag */
	NET_IP4_OFF_VER_IHL = 0,
	NET_IP4_OFF_TOTLEN = 2,
	NET_IP4_OFF_FRAG = 6,     /* flags (3 bits) + fragment offset (13 bits) */
	NET_IP4_OFF_PROTO = 9,
	NET_IP4_OFF_SRC = 12,
	NET_IP4_OFF_DST = 16,
	NET_IP4_HDR_MIN = 20,
	NET_UDP_OFF_SPORT = 0,
	NET_UDP_OFF_DPORT = 2,
	NET_UDP_OFF_LEN = 4,
	NET_UDP_HDR_LEN = 8,
};

#define NET_ETHERTYPE_IPV4 0x0800u
#define NET_ETHERTYPE_ARP 0x0806u
#define NET_ETHERTYPE_VLAN 0x8100u  /* 802.1Q C-tag */
#define NET_ETHERTYPE_QINQ 0x88a8u  /* 802.1ad S-tag */
#define NET_ETHERTYPE_QINQ_OLD 0x9100u /* pre-802.1ad stacked tag */
#define NET_ETHERTYPE_IPV6 0x86ddu
#define NET_IPPROTO_TCP 6u
#define NET_IPPROTO_UDP 17u
#define NET_IP4_FLAG_MF 0x2000u
#define NET_IP4_FRAG_OFF_MASK 0x1fffu
#define NET_VLAN_ID_MASK 0x0fffu

/* Why a frame did not yield a UDP payload (negated on return). */
enum net_reason {
	NET_OK = 0,
	NET_ESNAP = 1,     /* caplen < wire length: cut by the snaplen */
	NET_ERUNT = 2,     /* ends inside the link header or a VLAN tag */
	NET_ETAGS = 3,     /* more than NET_VLAN_MAX_TAGS VLAN tags */
	NET_ENOTIP = 4,    /* ethertype is neither IPv4 nor IPv6 (ARP, ...) */
	NET_EIPV6 = 5,     /* IPv6: not carried by our feeds */
	NET_EIPHDR = 6,    /* IPv4 version, IHL, or total length bad/truncated */
	NET_EFRAG = 7,     /* IPv4 fragment (MF set or offset != 0) */
	NET_ENOTUDP = 8,   /* IP protocol is not UDP (TCP, ICMP, ...) */
	NET_EUDPLEN = 9,   /* UDP header truncated or its length field lies */
	NET_REASON_COUNT = 10,
};

/* What a UDP frame carried. IPs and ports in host byte order. */
struct net_udp {
	const uint8_t *payload;  /* into the frame */
	size_t payload_len;      /* UDP length - 8 */
	size_t payload_off;      /* payload - frame */
	uint32_t src_ip, dst_ip; /* 206.200.127.138 is 0xcec87f8a */
	uint16_t src_port, dst_port;
	uint16_t vlan_id;        /* innermost tag's id; 0 when untagged */
	uint16_t vlan_outer;     /* outer (S-)tag's id when two tags, else 0 */
	uint8_t vlan_tags;       /* 0, 1 or 2 */
};

/* Frames seen by reason: reason[NET_OK] counts UDP frames parsed. */
struct net_stats {
	uint64_t frames;                       /* frames parsed, any outcome */
	uint64_t reason[NET_REASON_COUNT];
	uint64_t filtered;                     /* UDP frames the filter rejected */
};

/* Which UDP datagrams are the feed's. Zeroed = every UDP datagram. */
struct net_filter {
	bool match_dst_ip;   /* compare dst_ip */
	bool match_dst_port; /* compare dst_port */
	uint32_t dst_ip;     /* host order, e.g. the multicast group */
	uint16_t dst_port;
};

/* Report names of the reasons, "ok" for NET_OK ("snaplen-cut", "runt", ...). */
extern const char *const net_reason_names[NET_REASON_COUNT];

/* Parse an Ethernet II frame of caplen captured bytes (wirelen on the wire,
 * 0 if unknown) down to its UDP payload into *out. 0, or -NET_E* (reason).
 * Never reads past caplen; *out is only meaningful on 0. Pure; any thread. */
int net_parse_udp(const uint8_t *frame, size_t caplen, size_t wirelen, struct net_udp *out);

enum {
	NET_FAST_IP = NET_ETH_HDR_LEN,
	NET_FAST_UDP = NET_ETH_HDR_LEN + NET_IP4_HDR_MIN,
	NET_FAST_PAYLOAD = NET_FAST_UDP + NET_UDP_HDR_LEN, /* 42 */
};

/* The one-pass paths' first test: false when the frame was cut by the
 * snaplen (caplen < wirelen, never so for wirelen 0) or is shorter than
 * the 42 header bytes: caplen below the larger of the two, one compare
 * after a select (callgrind, feed_frame_begin: the two tests took eight
 * instructions, their flags combined in bytes). */
static ALWAYS_INLINE bool net_fast_caplen_ok(size_t caplen, size_t wirelen)
{
	return caplen >= (wirelen > NET_FAST_PAYLOAD ? wirelen : (size_t)NET_FAST_PAYLOAD);
}

/* The one-pass paths' length tests (the 42 bytes checked): true with the
 * UDP payload's length in *paylen when the IPv4 total length fits the
 * capture and the UDP length fits the total length. */
static ALWAYS_INLINE bool net_fast_udp_len(const uint8_t *frame, size_t caplen, uint32_t *paylen)
{
	size_t totlen = wire_get16(frame + NET_FAST_IP + NET_IP4_OFF_TOTLEN);
	/* The UDP length less its header, in 32 bits: a length below the
	 * header wraps to ~2^32, which fails the total-length test as it
	 * must (one test for both). */
	uint32_t pl = (uint32_t)wire_get16(frame + NET_FAST_UDP + NET_UDP_OFF_LEN) - NET_UDP_HDR_LEN;

	*paylen = pl;
	return totlen <= caplen - NET_FAST_IP &&
	       (uint64_t)pl + NET_IP4_HDR_MIN + NET_UDP_HDR_LEN <= totlen;
}

/* The common frame in one pass: Ethernet II, no VLAN tag, IPv4 without
 * options, not a fragment, UDP whose length fits. True with *out filled
 * exactly as the general path (net.c) would; false for anything else (then
 * the general path decides, reason and all). Every read is inside the 42
 * bytes checked first. */
static ALWAYS_INLINE bool net_parse_eth_ip4_udp(const uint8_t *frame, size_t caplen,
						size_t wirelen, struct net_udp *out)
{
	uint32_t type_ver, frag_proto, paylen;

	if (!net_fast_caplen_ok(caplen, wirelen))
		return false;
	/* Two words hold every header byte tested, a compare each: the
	 * ethertype with the version and IHL after it (IPv4, 20-byte header;
	 * the TOS byte masked off), the flags and fragment offset with the
	 * protocol (not a fragment, UDP; the TTL masked off). */
	_Static_assert(NET_ETH_OFF_TYPE + 2 == NET_FAST_IP + NET_IP4_OFF_VER_IHL &&
		       NET_IP4_OFF_FRAG + 3 == NET_IP4_OFF_PROTO, "header words");
	type_ver = wire_get32(frame + NET_ETH_OFF_TYPE);
	frag_proto = wire_get32(frame + NET_FAST_IP + NET_IP4_OFF_FRAG);
	if ((type_ver & 0xffffff00u) != (NET_ETHERTYPE_IPV4 << 16 | 0x45u << 8) ||
	    (frag_proto & ((NET_IP4_FLAG_MF | NET_IP4_FRAG_OFF_MASK) << 16 | 0xffu)) !=
		    NET_IPPROTO_UDP)
		return false;
	if (!net_fast_udp_len(frame, caplen, &paylen))
		return false;
	out->src_ip = wire_get32(frame + NET_FAST_IP + NET_IP4_OFF_SRC);
	out->dst_ip = wire_get32(frame + NET_FAST_IP + NET_IP4_OFF_DST);
	out->src_port = wire_get16(frame + NET_FAST_UDP + NET_UDP_OFF_SPORT);
	out->dst_port = wire_get16(frame + NET_FAST_UDP + NET_UDP_OFF_DPORT);
	out->payload_off = NET_FAST_PAYLOAD;
	out->payload = frame + NET_FAST_PAYLOAD;
	out->payload_len = paylen;
	out->vlan_tags = 0;
	out->vlan_id = 0;
	out->vlan_outer = 0;
	return true;
}

/* net_parse_eth_ip4_udp for the datagrams of one source that a filter
 * passes, every fixed header field compared at once: the 30 bytes from
 * the ethertype to the UDP checksum as two 16-byte loads (at
 * NET_FAST_OFF0 and NET_FAST_OFF1, overlapping by two), each masked and
 * compared with a template (net_fast_set): the ethertype, the version and
 * IHL, the flags and fragment offset, the protocol, the source address
 * and port, and the destination's fields that the filter compares. */
enum {
	NET_FAST_OFF0 = NET_ETH_OFF_TYPE,          /* 12: ethertype .. source address's half */
	NET_FAST_OFF1 = NET_FAST_PAYLOAD - 16,     /* 26: source address .. UDP checksum */
	NET_FAST_WORD = 16,
};
struct net_fast {
	/* key & mask == key; the frame's bytes at OFF0 (row 0) and OFF1
	 * (row 1) pass when (bytes & mask) == key */
	_Alignas(16) uint8_t key[2][NET_FAST_WORD];
	_Alignas(16) uint8_t mask[2][NET_FAST_WORD];
};

/* Template that no frame passes (a key bit outside its mask). */
void net_fast_none(struct net_fast *t);

/* Template for untagged Ethernet/IPv4/UDP (net_parse_eth_ip4_udp's frame)
 * from src_ip:src_port (host order) that filter f passes. */
void net_fast_set(struct net_fast *t, uint32_t src_ip, uint16_t src_port,
		  const struct net_filter *f);

/* Do the 42 header bytes at frame (present) fit template t? */
static ALWAYS_INLINE bool net_fast_fields(const struct net_fast *t, const uint8_t *frame)
{
#if defined(__SSE2__)
	const __m128i *k = (const __m128i *)(const void *)t->key;
	const __m128i *m = (const __m128i *)(const void *)t->mask;
	__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(frame + NET_FAST_OFF0));
	__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(frame + NET_FAST_OFF1));

	a = _mm_cmpeq_epi8(_mm_and_si128(a, m[0]), k[0]);
	b = _mm_cmpeq_epi8(_mm_and_si128(b, m[1]), k[1]);
	return _mm_movemask_epi8(_mm_and_si128(a, b)) == 0xffff;
#else
	uint64_t acc = 0;

	for (unsigned r = 0; r < 2; r++) {
		const uint8_t *p = frame + (r ? NET_FAST_OFF1 : NET_FAST_OFF0);

		for (unsigned h = 0; h < NET_FAST_WORD; h += 8) {
			uint64_t w, kw, mw;

			memcpy(&w, p + h, 8);
			memcpy(&kw, t->key[r] + h, 8);
			memcpy(&mw, t->mask[r] + h, 8);
			acc |= (w & mw) ^ kw;
		}
	}
	return acc == 0;
#endif
}

/* net_parse_eth_ip4_udp and then the template's source and filter test,
 * in one: true, with the UDP payload at frame + NET_FAST_PAYLOAD and its
 * length in *paylen, exactly when both would pass. */
static ALWAYS_INLINE bool net_fast_parse(const struct net_fast *t, const uint8_t *frame,
					 size_t caplen, size_t wirelen, uint32_t *paylen)
{
	return net_fast_caplen_ok(caplen, wirelen) && net_fast_fields(t, frame) &&
	       net_fast_udp_len(frame, caplen, paylen);
}

/* net_parse_link past its inline fast path: every link, tag and reason. */
int net_parse_link_slow(enum net_link link, const uint8_t *frame, size_t caplen,
			size_t wirelen, struct net_udp *out);

/* As net_parse_udp for a frame of the given link layer (Ethernet, SLL, SLL2).
 * 0, -NET_E* reason; an unknown link gives -NET_ENOTIP. Pure; any thread.
 * Inline for the common frame, so its caller keeps the fields in registers
 * and drops those it never reads (~56 Ir a frame as a call). */
static inline int net_parse_link(enum net_link link, const uint8_t *frame, size_t caplen,
				 size_t wirelen, struct net_udp *out)
{
	if (LIKELY(link == NET_LINK_ETH) && LIKELY(net_parse_eth_ip4_udp(frame, caplen, wirelen, out)))
		return 0;
	return net_parse_link_slow(link, frame, caplen, wirelen, out);
}

/* Name of reason r (0..NET_REASON_COUNT-1, sign ignored), "unknown" beyond. */
const char *net_reason_name(int r);

/* Count one parse result rc (0 or -NET_E*) in *st. */
static inline void net_stats_count(struct net_stats *st, int rc)
{
	unsigned r = (unsigned)(rc < 0 ? -rc : rc);

	st->frames++;
	if (r < NET_REASON_COUNT)
		st->reason[r]++;
}

/* Does the datagram pass the filter? Zeroed filter: always true. */
static inline bool net_filter_match(const struct net_filter *f, const struct net_udp *u)
{
	if (f->match_dst_ip && u->dst_ip != f->dst_ip)
		return false;
	if (f->match_dst_port && u->dst_port != f->dst_port)
		return false;
	return true;
}

/* Build a host-order IPv4 address from its dotted quad. */
static inline uint32_t net_ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return ((uint32_t)a << 24) | ((uint32_t)b << 16) | ((uint32_t)c << 8) | d;
}

#endif /* NET_H */
