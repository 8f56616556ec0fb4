/* paper_frame.h - the paper replay's look at a captured frame before the
 * feed takes it: the frame's first ITCH stamp, which decides whether the
 * simulation must catch up first, and a cheaper test that it need not.
 * Pure inline functions over the frame's bytes (once per frame of the
 * replay); any thread. */
#ifndef PAPER_FRAME_H
#define PAPER_FRAME_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/mold_wire.h"
#include "dataplane/net.h"
#include "hw/compiler.h"
#include "hw/wire.h"

#define PAPER_DAY_NS (UINT64_C(86400) * 1000000000u)

/* A stamp needs the MoldUDP64 header, a block length and an ITCH header
 * (11 bytes, the stamp at 5..10) after the shortest link, IPv4 and UDP
 * headers: no frame of fewer captured bytes has one. */
enum {
	PAPER_FRAME_ITCH_HDR = 11,
	PAPER_FRAME_MIN_TS = NET_ETH_HDR_LEN + NET_IP4_HDR_MIN + NET_UDP_HDR_LEN + MOLD_HDR_LEN +
			     2 + PAPER_FRAME_ITCH_HDR,
};
_Static_assert(PAPER_FRAME_MIN_TS == 75, "Ethernet + IPv4 + UDP + MoldUDP64 + 2 + 11");

/* ITCH timestamp of the first message of a MoldUDP64 frame of link type
 * link (caplen bytes captured, wirelen on the wire), or 0: not a UDP frame
 * the net parser takes, no message, a first block shorter than an ITCH
 * header, or a stamp that is not a time of day. */
static ALWAYS_INLINE uint64_t paper_frame_first_ts(enum net_link link, const uint8_t *frame,
						   uint32_t caplen, uint32_t wirelen)
{
	struct net_udp udp;
	const uint8_t *pl, *m;
	size_t len;
	uint16_t count;
	uint64_t ts;

	/* net_parse_link, with its fast path's result in a struct the slow
	 * path never sees: one that escapes into the call keeps every field
	 * the fast path writes (addresses, ports, tags: ~10 Ir a frame),
	 * though only the payload is read here. */
	if (LIKELY(link == NET_LINK_ETH) &&
	    LIKELY(net_parse_eth_ip4_udp(frame, caplen, wirelen, &udp))) {
		pl = udp.payload;
		len = udp.payload_len;
	} else {
		struct net_udp slow;

		if (net_parse_link_slow(link, frame, caplen, wirelen, &slow) < 0)
			return 0;
		pl = slow.payload;
		len = slow.payload_len;
	}
	if (len < MOLD_HDR_LEN + 2 + PAPER_FRAME_ITCH_HDR)
		return 0;
	count = wire_get16(pl + MOLD_OFF_COUNT);
	if (count == 0 || count == MOLD_COUNT_END)
		return 0;
	m = pl + MOLD_HDR_LEN;
	/* The first block must hold a whole ITCH header, and its stamp be a
	 * time of day: a bad frame must not move the virtual clock (which
	 * never goes back) hours ahead. */
	if ((size_t)(m[0] << 8 | m[1]) < PAPER_FRAME_ITCH_HDR)
		return 0;
	/* The stamp (message bytes 5..10) as the low 48 bits of one 8-byte
	 * load from message byte 3, inside the 11 bytes just checked. */
	ts = wire_get64(m + 2 + 3) & ((UINT64_C(1) << 48) - 1);
	return ts < PAPER_DAY_NS ? ts : 0;
}

/* true only when paper_frame_first_ts(link, frame, caplen, wirelen) < due
 * (due >= 1), without the whole parse for most frames; false: take it.
 * Fewer than PAPER_FRAME_MIN_TS bytes hold no stamp (0). An Ethernet frame
 * with IPv4 without options has its UDP payload, if the parser takes it, at
 * byte 42, so its stamp is the 6 bytes at 69 or it is 0 (any check of the
 * parse or the block failing): below due when those bytes are. (~15 Ir
 * against ~30 for the parse; the caller still parses when this is false.) */
static ALWAYS_INLINE bool paper_frame_not_due(enum net_link link, const uint8_t *frame,
					      uint32_t caplen, uint64_t due)
{
	uint64_t ts;

	if (caplen < PAPER_FRAME_MIN_TS)
		return true;
	if (link != NET_LINK_ETH || (wire_get32(frame + NET_ETH_OFF_TYPE) & 0xffffff00u) !=
					    (NET_ETHERTYPE_IPV4 << 16 | 0x45u << 8))
		return false;
	ts = wire_get64(frame + PAPER_FRAME_MIN_TS - 8) & ((UINT64_C(1) << 48) - 1);
	return ts < due;
}

#endif /* PAPER_FRAME_H */
