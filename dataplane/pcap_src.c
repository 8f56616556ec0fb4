/* pcap_src.c - libpcap offline reader (pcap_src.h). Opens the FILE itself so
 * a missing file reports its errno and the offset is known for progress;
 * libpcap then owns the FILE and closes it. Cold path; one thread per src. */
#include "dataplane/pcap_src.h"

#include <byteswap.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#include "hw/compiler.h"

static COLD void set_err(struct pcap_src *src, const char *path, const char *what)
{
	snprintf(src->err, sizeof(src->err), "%s: %s", path, what);
}

/* Map a libpcap link type to ours; 0 when we do not parse it. */
static enum net_link link_of(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
		return NET_LINK_ETH;
	case DLT_LINUX_SLL:
		return NET_LINK_SLL;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		return NET_LINK_SLL2;
#endif
	default:
		return (enum net_link)0;
	}
}

/* Classic pcap file layout (the format libpcap writes): a 24-byte file
 * header, then records of a 16-byte header and the captured bytes. */
enum {
	PCAPF_HDR_LEN = 24,
	PCAPF_OFF_MAGIC = 0,
	PCAPF_OFF_SNAP = 16,
	PCAPF_OFF_LINK = 20,
	PCAPF_REC_LEN = PCAP_SRC_REC_LEN,
	PCAPF_REC_OFF_SEC = PCAP_SRC_REC_OFF_SEC,
	PCAPF_REC_OFF_SUB = PCAP_SRC_REC_OFF_SUB,
	PCAPF_REC_OFF_CAPLEN = PCAP_SRC_REC_OFF_CAPLEN,
	PCAPF_REC_OFF_WIRELEN = PCAP_SRC_REC_OFF_WIRELEN,
};
#define PCAPF_MAGIC_US 0xa1b2c3d4u
#define PCAPF_MAGIC_NS 0xa1b23c4du
#define PCAPF_MAX_SNAP PCAP_SRC_MAX_SNAP

static inline uint32_t rd32(const struct pcap_src *src, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return src->map_swap ? bswap_32(v) : v;
}

/* Map a classic pcap file and read it here. 0 mapped; 1 not a classic pcap
 * (the caller falls back to libpcap); < 0 errors as pcap_src_init. */
static COLD int map_classic(struct pcap_src *src, const char *path, FILE *fp)
{
	uint8_t h[PCAPF_HDR_LEN];
	uint32_t magic;
	void *m;

	if (src->file_bytes < PCAPF_HDR_LEN || fread(h, 1, sizeof(h), fp) != sizeof(h))
		return 1;
	memcpy(&magic, h + PCAPF_OFF_MAGIC, sizeof(magic));
	if (magic == PCAPF_MAGIC_US || magic == PCAPF_MAGIC_NS) {
		src->map_swap = 0;
	} else if (bswap_32(magic) == PCAPF_MAGIC_US || bswap_32(magic) == PCAPF_MAGIC_NS) {
		src->map_swap = 1;
		magic = bswap_32(magic);
	} else {
		return 1;
	}
	src->map_ts_mul = magic == PCAPF_MAGIC_NS ? 1u : 1000u;
	src->map_snap = rd32(src, h + PCAPF_OFF_SNAP);
	src->dlt = (int)(rd32(src, h + PCAPF_OFF_LINK) & 0x03ffffffu); /* FCS bits above */
	src->link = link_of(src->dlt);
	if (src->link == 0) {
		char what[160];

		snprintf(what, sizeof(what),
			 "unsupported link type %d; want Ethernet or Linux cooked", src->dlt);
		set_err(src, path, what);
		return -EPROTONOSUPPORT;
	}
	m = mmap(NULL, src->file_bytes, PROT_READ, MAP_PRIVATE, fileno(fp), 0);
	if (m == MAP_FAILED)
		return 1;
	madvise(m, src->file_bytes, MADV_SEQUENTIAL);
	src->map = m;
	src->map_len = src->file_bytes;
	src->map_off = PCAPF_HDR_LEN;
	src->map_fast_end = src->map_swap ? 0 : src->map_len;
	src->map_cap_max = src->map_snap > PCAPF_MAX_SNAP ? src->map_snap : PCAPF_MAX_SNAP;
	return 0;
}

COLD int pcap_src_init(struct pcap_src *src, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct stat st;
	FILE *fp;
	int err;

	memset(src, 0, sizeof(*src));
	fp = fopen(path, "rb");
	if (!fp) {
		err = errno;
		set_err(src, path, strerror(err));
		return -err;
	}
	if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode)) {
		src->file_bytes = (uint64_t)st.st_size;
		err = map_classic(src, path, fp);
		if (err <= 0) {
			fclose(fp); /* a mapping outlives its descriptor */
			return err;
		}
		rewind(fp);
	}
	/* Ask for ns whatever the file stores: stamps are then always ns. */
	src->pc = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!src->pc) {
		char what[PCAP_ERRBUF_SIZE + 64];

		fclose(fp); /* libpcap leaves it to us on failure */
		snprintf(what, sizeof(what), "not a pcap/pcapng capture (%s)",
			 errbuf[0] ? errbuf : "libpcap refused it");
		set_err(src, path, what);
		return -EINVAL;
	}
	src->dlt = pcap_datalink(src->pc);
	src->link = link_of(src->dlt);
	if (src->link == 0) {
		char what[160];
		const char *name = pcap_datalink_val_to_name(src->dlt);

		snprintf(what, sizeof(what),
			 "unsupported link type %d (%s); want Ethernet or Linux cooked", src->dlt,
			 name ? name : "unknown");
		set_err(src, path, what);
		pcap_close(src->pc);
		src->pc = NULL;
		return -EPROTONOSUPPORT;
	}
	return 0;
}

/* Next record of a mapped file; as pcap_src_next. */
static int next_mapped(struct pcap_src *src, struct pcap_src_pkt *pkt)
{
	const uint8_t *r = src->map + src->map_off;
	size_t left = src->map_len - src->map_off;
	uint32_t caplen, sub;

	if (left == 0)
		return 0;
	if (UNLIKELY(left < PCAPF_REC_LEN))
		goto truncated;
	caplen = rd32(src, r + PCAPF_REC_OFF_CAPLEN);
	if (UNLIKELY(caplen > PCAPF_MAX_SNAP && caplen > src->map_snap)) {
		snprintf(src->err, sizeof(src->err), "record %llu: captured length %u is "
			 "larger than the snap length %u", (unsigned long long)src->packets + 1,
			 caplen, src->map_snap);
		return -EIO;
	}
	if (UNLIKELY(left - PCAPF_REC_LEN < caplen))
		goto truncated;
	sub = rd32(src, r + PCAPF_REC_OFF_SUB);
	pkt->data = r + PCAPF_REC_LEN;
	pkt->caplen = caplen;
	pkt->wirelen = rd32(src, r + PCAPF_REC_OFF_WIRELEN);
	pkt->ts_ns = (uint64_t)rd32(src, r + PCAPF_REC_OFF_SEC) * 1000000000u +
		     (uint64_t)sub * src->map_ts_mul;
	src->map_off += PCAPF_REC_LEN + caplen;
	src->packets++;
	return 1;
truncated:
	snprintf(src->err, sizeof(src->err), "record %llu: truncated dump file (%zu bytes left)",
		 (unsigned long long)src->packets + 1, left);
	return -EIO;
}

int pcap_src_next_slow(struct pcap_src *src, struct pcap_src_pkt *pkt)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	if (src->map)
		return next_mapped(src, pkt);
	rc = pcap_next_ex(src->pc, &h, &data);

	if (LIKELY(rc == 1)) {
		pkt->data = data;
		pkt->caplen = h->caplen;
		pkt->wirelen = h->len;
		/* With PCAP_TSTAMP_PRECISION_NANO tv_usec holds nanoseconds. */
		pkt->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
		src->packets++;
		return 1;
	}
	if (rc == PCAP_ERROR_BREAK) /* -2: no more records */
		return 0;
	snprintf(src->err, sizeof(src->err), "record %llu: %s",
		 (unsigned long long)src->packets + 1, pcap_geterr(src->pc));
	return -EIO;
}

uint64_t pcap_src_offset(const struct pcap_src *src)
{
	if (src->map)
		return src->map_off;
	FILE *fp = src->pc ? pcap_file(src->pc) : NULL;
	long off = fp ? ftell(fp) : -1;

	return off < 0 ? 0 : (uint64_t)off;
}

COLD void pcap_src_fini(struct pcap_src *src)
{
	if (src && src->map) {
		munmap((void *)src->map, src->map_len);
		src->map = NULL;
	}
	if (!src || !src->pc)
		return;
	pcap_close(src->pc); /* closes the FILE too */
	src->pc = NULL;
}
