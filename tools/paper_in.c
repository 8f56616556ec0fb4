/* paper_in.c - capture or binary ITCH file as one stream of input units for
 * the paper-trading runner and its symbol-counting first pass: opening,
 * closing and the cold halves of the inline paper_in_next. One thread. */
#include "tools/paper_in.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static bool magic_is_capture(const uint8_t m[4])
{
	static const uint8_t magic[][4] = {
		{ 0xd4, 0xc3, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0xc3, 0xd4 }, /* pcap us */
		{ 0x4d, 0x3c, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0x3c, 0x4d }, /* pcap ns */
		{ 0x0a, 0x0d, 0x0d, 0x0a },                             /* pcapng */
	};

	for (size_t i = 0; i < sizeof(magic) / sizeof(magic[0]); i++)
		if (memcmp(m, magic[i], 4) == 0)
			return true;
	return false;
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14 (uapi mman-common.h) */
#endif

/* Map every page of the input before the replay: touched one by one, the
 * pages of a mapped file fault on first read (~20 ms per 70 MB on the
 * development VM, inside the replay), where one call at open does the same
 * work at start-up, like the books' memory. Best effort: an older kernel
 * refuses the advice and the pages fault as before. */
static void populate(const void *map, size_t len)
{
	if (map && len)
		(void)madvise((void *)(uintptr_t)map, len, MADV_POPULATE_READ);
}

static int open_binfile(struct paper_in *in, const char *path, size_t size)
{
	enum binfile_framing fr;
	int fd = open(path, O_RDONLY);
	void *map;

	if (fd < 0) {
		snprintf(in->err, sizeof(in->err), "%s: %s", path, strerror(errno));
		return -errno;
	}
	map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		snprintf(in->err, sizeof(in->err), "%s: cannot map: %s", path, strerror(errno));
		return -ENOMEM;
	}
	if (binfile_detect(map, size, &fr) != 0) {
		munmap(map, size);
		snprintf(in->err, sizeof(in->err),
			 "%s: neither a pcap/pcapng capture nor a binary ITCH 5.0 file", path);
		return -EINVAL;
	}
	madvise(map, size, MADV_SEQUENTIAL);
	populate(map, size);
	in->map = map;
	in->map_len = size;
	binfile_init(&in->bin, in->map, size, fr);
	in->kind = PAPER_IN_BINFILE;
	return 0;
}

int paper_in_open(struct paper_in *in, const char *path)
{
	struct stat st;
	uint8_t m[4] = { 0 };
	FILE *f;
	int rc;

	memset(in, 0, sizeof(*in));
	snprintf(in->path, sizeof(in->path), "%s", path);
	if (stat(path, &st) != 0 || access(path, R_OK) != 0) {
		rc = -errno;
		snprintf(in->err, sizeof(in->err), "%s: %s", path, strerror(errno));
		return rc;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(in->err, sizeof(in->err), "%s: is a directory", path);
		return -EISDIR;
	}
	if (S_ISREG(st.st_mode)) {
		if (st.st_size == 0) {
			snprintf(in->err, sizeof(in->err), "%s: empty file", path);
			return -EINVAL;
		}
		f = fopen(path, "rb");
		if (!f) {
			rc = -errno;
			snprintf(in->err, sizeof(in->err), "%s: %s", path, strerror(errno));
			return rc;
		}
		if (fread(m, 1, sizeof(m), f) != sizeof(m))
			memset(m, 0, sizeof(m));
		fclose(f);
		if (!magic_is_capture(m))
			return open_binfile(in, path, (size_t)st.st_size);
	}
	rc = pcap_src_init(&in->pcap, path);
	if (rc) {
		snprintf(in->err, sizeof(in->err), "%s", in->pcap.err);
		return rc == -EPROTONOSUPPORT ? -EINVAL : rc;
	}
	populate(in->pcap.map, in->pcap.map_len);
	in->kind = PAPER_IN_PCAP;
	return 0;
}

int paper_in_pcap_err(struct paper_in *in)
{
	snprintf(in->err, sizeof(in->err), "%s", in->pcap.err);
	return -EIO;
}

int paper_in_next_bin(struct paper_in *in, struct paper_unit *u)
{
	if (in->kind == PAPER_IN_BINFILE) {
		const uint8_t *msg;
		size_t len;
		int rc = binfile_next(&in->bin, &msg, &len);

		if (rc == 1) {
			*u = (struct paper_unit){ msg, (uint32_t)len, (uint32_t)len, 0, ++in->seq };
		} else if (rc < 0) {
			snprintf(in->err, sizeof(in->err), "%s: framing error at byte %zu", in->path,
				 in->bin.off);
			return -EIO;
		}
		return rc;
	}
	return 0;
}

void paper_in_progress(const struct paper_in *in, uint64_t *done, uint64_t *total)
{
	if (in->kind == PAPER_IN_PCAP) {
		*done = pcap_src_offset(&in->pcap);
		*total = in->pcap.file_bytes;
	} else {
		*done = in->bin.off;
		*total = in->map_len;
	}
}

void paper_in_mapping(const struct paper_in *in, const void **map, size_t *len)
{
	if (in->kind == PAPER_IN_PCAP) {
		*map = in->pcap.map;
		*len = in->pcap.map ? in->pcap.map_len : 0;
	} else {
		*map = in->map;
		*len = in->map_len;
	}
}

void paper_in_close(struct paper_in *in)
{
	if (!in)
		return;
	if (in->kind == PAPER_IN_PCAP)
		pcap_src_fini(&in->pcap);
	if (in->map)
		munmap(in->map, in->map_len);
	in->map = NULL;
	in->kind = 0;
}
