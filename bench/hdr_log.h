/* hdr_log.h - the HdrHistogram family's file formats for struct hdr: the V2
 * compressed histogram encoding (cookie, ZigZag LEB128 counts with zero
 * runs, zlib, base64) and the interval log (format 1.3) writer and reader,
 * readable by HdrHistogram's Java and C tools. Decoding treats its input as
 * untrusted. Cold paths (they allocate); any thread, one object per thread. */
#ifndef HDR_LOG_H
#define HDR_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench/hdr.h"

/* Cookies as written (base | 0x10: word-size nibble 1 = LEB128 counts). */
#define HDR_LOG_V2_ENCODING_COOKIE    0x1c849313u
#define HDR_LOG_V2_COMPRESSION_COOKIE 0x1c849314u
/* Wire layout, big-endian: compressed = cookie, length, zlib(encoded);
 * encoded = the fields below, then payload_len bytes of counts. */
enum {
	HDR_LOG_COMP_OFF_COOKIE = 0,
	HDR_LOG_COMP_OFF_LENGTH = 4,
	HDR_LOG_COMP_HEADER = 8,
	HDR_LOG_ENC_OFF_COOKIE = 0,
	HDR_LOG_ENC_OFF_PAYLOAD_LEN = 4,
	HDR_LOG_ENC_OFF_NORM_OFFSET = 8,
	HDR_LOG_ENC_OFF_DIGITS = 12,
	HDR_LOG_ENC_OFF_LOWEST = 16,
	HDR_LOG_ENC_OFF_HIGHEST = 24,
	HDR_LOG_ENC_OFF_RATIO = 32,   /* integer-to-double ratio, IEEE bits */
	HDR_LOG_ENC_HEADER = 40,
	HDR_LOG_ZIGZAG_MAX = 9,       /* bytes per LEB128 value at most */
};
/* Longest tag the reader keeps (longer tags are rejected). */
#define HDR_LOG_TAG_MAX 63

/* Error codes of the decoders (negated):
 *   EBADMSG          malformed: bad base64, cookie, lengths, zlib stream,
 *                    LEB128, or an invalid histogram configuration
 *   EPROTONOSUPPORT  an older encoding (V0/V1 cookies), not decoded here
 *   EOVERFLOW        counts beyond the histogram or a total past INT64_MAX
 *   ENOSPC           the caller's histogram memory is too small
 *   ENOMEM           allocation failed */

/* ---- building blocks -------------------------------------------------- */

/* Base64 length (with '=' padding) of n bytes. */
size_t hdr_base64_encoded_len(size_t n);
/* Encode n bytes into out (cap >= encoded_len + 1, NUL-terminated).
 * 0, -ENOSPC. */
int hdr_base64_encode(const uint8_t *in, size_t n, char *out, size_t cap);
/* Strict decode (standard alphabet, length % 4 == 0, padding only at the
 * end) of n chars into out. *out_len = bytes. 0, -EBADMSG, -ENOSPC. */
int hdr_base64_decode(const char *in, size_t n, uint8_t *out, size_t cap,
		      size_t *out_len);
/* ZigZag LEB128 (HdrHistogram's: 9th byte holds 8 bits). Writes 1..9 bytes
 * into buf; returns the count. */
size_t hdr_zigzag_put(uint8_t *buf, int64_t v);
/* Read one value from buf[0..len): bytes consumed (1..9), -EBADMSG when
 * truncated. */
int hdr_zigzag_get(const uint8_t *buf, size_t len, int64_t *v);

/* ---- histogram codec -------------------------------------------------- */

/* Compressed V2 bytes of h into *out (malloc'd; free()). 0, -ENOMEM,
 * -ERANGE a negative count (not representable), -EIO zlib failure. */
int hdr_log_encode(const struct hdr *h, uint8_t **out, size_t *out_len);
/* Base64 text of the compressed V2 bytes, NUL-terminated, malloc'd. */
int hdr_log_encode_base64(const struct hdr *h, char **out, size_t *out_len);
/* Configuration and hdr_memsize of the compressed V2 histogram in buf
 * (inflates only its header). 0 or a decoder error. */
int hdr_log_decode_cfg(const uint8_t *buf, size_t len, struct hdr_cfg *cfg,
		       size_t *memsize);
/* Decode a compressed V2 histogram into h, which points at cap bytes:
 * initialises h with the encoded configuration and fills it. *need (may
 * be NULL) gets the memsize; -ENOSPC when cap < memsize (h untouched).
 * On any other failure h is left initialised and empty. The conversion
 * ratio is kept; the normalizing index offset is taken as 0 (the counts
 * are the logical view, as Java writes them). Older HdrHistogram_c wrote
 * payload_len = 40 + payload; that one mismatch is accepted. */
int hdr_log_decode(const uint8_t *buf, size_t len, struct hdr *h, size_t cap,
		   size_t *need);
/* hdr_log_decode of base64 text (n chars, no line breaks). */
int hdr_log_decode_base64(const char *b64, size_t n, struct hdr *h, size_t cap,
			  size_t *need);

/* ---- interval log ----------------------------------------------------- */

/* Write the log header: "#[comment]" when comment is not NULL, the format
 * version line, "#[StartTime: ...]" and "#[BaseTime: ...]" when
 * start_time_s >= 0 (seconds since the epoch), then the column legend.
 * 0, -EINVAL (comment with a line break or ']'), -EIO. Needs the "C"
 * LC_NUMERIC locale (decimal point). */
int hdr_log_write_header(FILE *f, const char *comment, double start_time_s);
/* Write one interval line: [Tag=tag,]start,length,max,histogram with
 * start and length in seconds ("%.3f"), max = hdr_max(h) / max_unit_ratio
 * (Java's default ratio is 1e6: ns -> ms). tag may be NULL; it must not
 * hold ',', ' ', CR or LF. 0, -EINVAL, -EIO, or an encoder error. */
int hdr_log_write_interval(FILE *f, const char *tag, double start_s,
			   double length_s, const struct hdr *h,
			   double max_unit_ratio);

/* Reader state. Header fields fill in as their lines go by. */
struct hdr_log_reader {
	FILE *f;
	long line_no;          /* last line read, 1-based */
	int major, minor;      /* format version; -1 until seen */
	double start_time_s;   /* "#[StartTime: ...]"; -1 until seen */
	double base_time_s;    /* "#[BaseTime: ...]"; -1 until seen */
	/* private */
	char *line;
	size_t line_cap;
	uint8_t *bin;          /* compressed bytes of the last entry */
	size_t bin_cap, bin_len;
};

/* One interval line, as read. */
struct hdr_log_entry {
	char tag[HDR_LOG_TAG_MAX + 1]; /* "" when untagged */
	double start_s;        /* StartTimestamp column */
	double length_s;       /* Interval_Length column */
	double max;            /* Interval_Max column as written */
	struct hdr_cfg cfg;    /* configuration of the encoded histogram */
	size_t memsize;        /* hdr_memsize(&cfg) */
};

/* Start reading f (not owned). 0, -EINVAL. */
int hdr_log_reader_init(struct hdr_log_reader *r, FILE *f);
/* Free the reader's buffers; accepts NULL. Does not close f. */
void hdr_log_reader_fini(struct hdr_log_reader *r);
/* Read up to and including the next interval line, taking in header and
 * comment lines on the way. 1 entry read, 0 end of file, -EBADMSG bad line
 * (r->line_no names it), -EPROTONOSUPPORT unsupported format version or
 * encoding, -EIO read error, -ENOMEM. */
int hdr_log_read(struct hdr_log_reader *r, struct hdr_log_entry *e);
/* Decode the histogram of the entry last read, as hdr_log_decode. */
int hdr_log_reader_decode(const struct hdr_log_reader *r, struct hdr *h,
			  size_t cap, size_t *need);

#endif /* HDR_LOG_H */
