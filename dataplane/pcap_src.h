/* pcap_src.h - capture file reader: pcap and pcapng through libpcap, stamps
 * always in ns since the epoch, Ethernet and Linux cooked (SLL, SLL2) links.
 * Owns the libpcap handle and its FILE, or the mapping of a classic pcap.
 * Opening is cold; pcap_src_next runs once per frame of the paper, book and
 * bench loaders (inline for a mapped file). One thread per source. */
#ifndef PCAP_SRC_H
#define PCAP_SRC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dataplane/net.h"
#include "hw/compiler.h"

#define PCAP_SRC_ERRLEN 512

struct pcap; /* libpcap's pcap_t */

/* An open capture. Fields are read-only for callers. */
struct pcap_src {
	struct pcap *pc;        /* libpcap handle (pcapng, pipes); NULL when mapped */
	const uint8_t *map;     /* classic pcap in a regular file: mapped and read
				 * here, without libpcap's per-record copies */
	size_t map_len, map_off; /* both 0 when libpcap reads the file */
	uint32_t map_ts_mul;    /* sub-second field to ns: 1 (ns file) or 1000 */
	uint32_t map_snap;      /* the file's snap length */
	int map_swap;           /* records in the other byte order */
	size_t map_fast_end;    /* map_len when pcap_src_next reads the records
				 * inline (mapped, host order), else 0 */
	uint32_t map_cap_max;   /* largest caplen taken: snap or PCAP_SRC_MAX_SNAP */
	enum net_link link;     /* what net_parse_link needs for this file */
	int dlt;                /* libpcap link type as found in the file */
	uint64_t file_bytes;    /* size of the file */
	uint64_t packets;       /* records returned so far */
	char err[PCAP_SRC_ERRLEN]; /* last error: "<path>: <what>" */
};

/* One record. data is valid until the next pcap_src_next or pcap_src_fini. */
struct pcap_src_pkt {
	const uint8_t *data;
	uint32_t caplen;        /* bytes in data */
	uint32_t wirelen;       /* bytes on the wire */
	uint64_t ts_ns;         /* capture stamp, ns since the epoch (UTC) */
};

/* Open the capture at path (pcap or pcapng, us or ns stamps). 0, -ENOENT or
 * another -errno when the file cannot be opened, -EINVAL when it is not a
 * capture libpcap reads, -EPROTONOSUPPORT for a link type other than
 * Ethernet/SLL/SLL2. On error src->err says why and src needs no fini. */
int pcap_src_init(struct pcap_src *src, const char *path);

/* Classic pcap record header (the format libpcap writes): 16 bytes before
 * each record's captured bytes. */
enum {
	PCAP_SRC_REC_LEN = 16,
	PCAP_SRC_REC_OFF_SEC = 0,
	PCAP_SRC_REC_OFF_SUB = 4,
	PCAP_SRC_REC_OFF_CAPLEN = 8,
	PCAP_SRC_REC_OFF_WIRELEN = 12,
};
/* Captured lengths accepted whatever the file's snap length says. */
#define PCAP_SRC_MAX_SNAP (256u * 1024u)

/* pcap_src_next for everything but a well-formed record of a mapped file in
 * the host's byte order: libpcap, swapped files, errors, the end. */
int pcap_src_next_slow(struct pcap_src *src, struct pcap_src_pkt *pkt);

/* Next record into *pkt: 1, 0 at the end of the file, -EIO when the file is
 * truncated or corrupt (src->err says where). Not thread-safe per src.
 * A mapped record in host order is read here, inline: four loads and the
 * same checks as the slow path (~100 Ir a frame out of line, mostly the
 * call and the error paths' register saves). */
static inline int pcap_src_next(struct pcap_src *src, struct pcap_src_pkt *pkt)
{
	size_t off = src->map_off, end = src->map_fast_end;
	const uint8_t *r;
	uint32_t h[4]; /* sec, sub-second, caplen, wirelen */

	_Static_assert(sizeof(h) == PCAP_SRC_REC_LEN && PCAP_SRC_REC_OFF_SUB == 4 &&
		       PCAP_SRC_REC_OFF_CAPLEN == 8 && PCAP_SRC_REC_OFF_WIRELEN == 12,
		       "record header is four u32");
	/* (Read by libpcap or swapped: end is 0. off <= map_len always.) */
	if (UNLIKELY(off + PCAP_SRC_REC_LEN > end))
		return pcap_src_next_slow(src, pkt);
	r = src->map + off;
	memcpy(h, r, sizeof(h));
	if (UNLIKELY(h[2] > end - off - PCAP_SRC_REC_LEN || h[2] > src->map_cap_max))
		return pcap_src_next_slow(src, pkt);
	pkt->data = r + PCAP_SRC_REC_LEN;
	pkt->caplen = h[2];
	pkt->wirelen = h[3];
	pkt->ts_ns = (uint64_t)h[0] * 1000000000u + (uint64_t)h[1] * src->map_ts_mul;
	src->map_off = off + PCAP_SRC_REC_LEN + h[2];
	src->packets++;
	return 1;
}

/* Bytes of the file consumed so far (for progress: / file_bytes), or 0 when
 * unknown (pcapng read through a pipe). */
uint64_t pcap_src_offset(const struct pcap_src *src);

/* Close. Accepts NULL and a src whose init failed. */
void pcap_src_fini(struct pcap_src *src);

#endif /* PCAP_SRC_H */
