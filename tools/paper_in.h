/* paper_in.h - the input of a paper-trading or replay run: a pcap/pcapng
 * capture (frames, read through libpcap) or a binary ITCH 5.0 file (messages,
 * mapped), behind one "next unit" call so the runner handles both. Owns the
 * libpcap handle or the mapping. Opening is cold; paper_in_next is inline
 * (once per frame of the replay). One thread. */
#ifndef PAPER_IN_H
#define PAPER_IN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/binfile.h"
#include "dataplane/pcap_src.h"

enum paper_in_kind {
	PAPER_IN_PCAP = 1,   /* frames: Ethernet/SLL -> IPv4 -> UDP -> MoldUDP64 */
	PAPER_IN_BINFILE = 2 /* bare ITCH messages, numbered from 1 */
};

struct paper_in {
	enum paper_in_kind kind;
	struct pcap_src pcap;
	struct binfile_reader bin;
	uint8_t *map;            /* binary file mapping */
	size_t map_len;
	uint64_t seq;            /* binary file: sequence of the last message */
	char path[512];
	char err[PCAP_SRC_ERRLEN + 64];
};

/* One unit of input: a captured frame or one ITCH message. */
struct paper_unit {
	const uint8_t *data;  /* valid until the next paper_in_next */
	uint32_t caplen;      /* bytes at data */
	uint32_t wirelen;     /* frame: bytes on the wire; message: caplen */
	uint64_t ts_ns;       /* frame: capture stamp (ns since the epoch); 0 */
	uint64_t seq;         /* message: its number (1, 2, ...); frame: 0 */
};

/* Open path: a capture by its magic number (or any non-regular file, which
 * libpcap reads), else a binary ITCH file by its first frame.
 * 0; -ENOENT/-EACCES/-EISDIR (cannot open), -EINVAL (neither format).
 * On error in->err says why and nothing needs closing. */
int paper_in_open(struct paper_in *in, const char *path);
/* The cold halves of paper_in_next: a binary file's next message, and the
 * error text of a capture that ends damaged. Same returns as paper_in_next. */
int paper_in_next_bin(struct paper_in *in, struct paper_unit *u);
int paper_in_pcap_err(struct paper_in *in);

/* paper_in_next for an input known to be a capture (kind PAPER_IN_PCAP),
 * for a caller that tests the kind once, not per unit. */
static inline int paper_in_next_pcap(struct paper_in *in, struct paper_unit *u)
{
	struct pcap_src_pkt p;
	int rc = pcap_src_next(&in->pcap, &p);

	if (rc == 1) {
		u->data = p.data;
		u->caplen = p.caplen;
		u->wirelen = p.wirelen;
		u->ts_ns = p.ts_ns;
		u->seq = 0;
		return 1;
	}
	return rc < 0 ? paper_in_pcap_err(in) : rc;
}

/* Next unit: 1, 0 at a clean end, -EIO truncated or corrupt input (in->err
 * says where; what came before stays valid). Inline: the replay calls it
 * once per frame. */
static inline int paper_in_next(struct paper_in *in, struct paper_unit *u)
{
	if (in->kind == PAPER_IN_PCAP)
		return paper_in_next_pcap(in, u);
	return paper_in_next_bin(in, u);
}
/* Bytes consumed and total, for progress (total 0 when unknown). */
void paper_in_progress(const struct paper_in *in, uint64_t *done, uint64_t *total);
/* The input's file mapping (a classic pcap or a binary file, read in
 * place) in *map, *len; NULL, 0 when libpcap reads it. */
void paper_in_mapping(const struct paper_in *in, const void **map, size_t *len);
/* Close. Accepts NULL and a failed open. */
void paper_in_close(struct paper_in *in);

#endif /* PAPER_IN_H */
