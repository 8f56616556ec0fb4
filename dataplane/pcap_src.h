/* pcap_src.h - capture file reader: pcap and pcapng through libpcap, stamps
 * always in ns since the epoch, Ethernet and Linux cooked (SLL, SLL2) links.
 * Owns the libpcap handle and its FILE. Cold path (paper, book, bench
 * loaders); one thread per source. */
#ifndef PCAP_SRC_H
#define PCAP_SRC_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane/net.h"

#define PCAP_SRC_ERRLEN 512

struct pcap; /* libpcap's pcap_t */

/* An open capture. Fields are read-only for callers. */
struct pcap_src {
	struct pcap *pc;        /* libpcap handle (pcapng, pipes); NULL when mapped */
	const uint8_t *map;     /* classic pcap in a regular file: mapped and read
				 * here, without libpcap's per-record copies */
	size_t map_len, map_off;
	uint32_t map_ts_mul;    /* sub-second field to ns: 1 (ns file) or 1000 */
	uint32_t map_snap;      /* the file's snap length */
	int map_swap;           /* records in the other byte order */
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

/* Next record into *pkt: 1, 0 at the end of the file, -EIO when the file is
 * truncated or corrupt (src->err says where). Not thread-safe per src. */
int pcap_src_next(struct pcap_src *src, struct pcap_src_pkt *pkt);

/* Bytes of the file consumed so far (for progress: / file_bytes), or 0 when
 * unknown (pcapng read through a pipe). */
uint64_t pcap_src_offset(const struct pcap_src *src);

/* Close. Accepts NULL and a src whose init failed. */
void pcap_src_fini(struct pcap_src *src);

#endif /* PCAP_SRC_H */
