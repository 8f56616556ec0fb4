/* pcap_src.c - libpcap offline reader (pcap_src.h). Opens the FILE itself so
 * a missing file reports its errno and the offset is known for progress;
 * libpcap then owns the FILE and closes it. Cold path; one thread per src. */
#include "dataplane/pcap_src.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
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
	if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode))
		src->file_bytes = (uint64_t)st.st_size;
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

int pcap_src_next(struct pcap_src *src, struct pcap_src_pkt *pkt)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(src->pc, &h, &data);

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
	FILE *fp = src->pc ? pcap_file(src->pc) : NULL;
	long off = fp ? ftell(fp) : -1;

	return off < 0 ? 0 : (uint64_t)off;
}

COLD void pcap_src_fini(struct pcap_src *src)
{
	if (!src || !src->pc)
		return;
	pcap_close(src->pc); /* closes the FILE too */
	src->pc = NULL;
}
