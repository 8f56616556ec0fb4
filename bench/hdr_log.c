/* hdr_log.c - HdrHistogram V2 compressed encoding (ZigZag LEB128 counts,
 * zlib, base64) and the interval log writer and reader for struct hdr.
 * Byte layouts and formats follow HdrHistogram (facts only; our own code).
 * Decoders check every length before use and never read past their input.
 * Cold: allocates with malloc; any thread, one reader or writer per thread. */
#include "bench/hdr_log.h"

#define ZLIB_CONST
#include <endian.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <zlib.h>

/* Cookie bases: the 0xf0 nibble carries the word size and is masked off. */
#define HDR_COOKIE_BASE(c)       ((c) & ~UINT32_C(0xf0))
#define HDR_V2_ENC_BASE          UINT32_C(0x1c849303)
#define HDR_V2_COMP_BASE         UINT32_C(0x1c849304)
#define HDR_V1_ENC_BASE          UINT32_C(0x1c849301)
#define HDR_V1_COMP_BASE         UINT32_C(0x1c849302)
#define HDR_V0_ENC_BASE          UINT32_C(0x1c849308)
#define HDR_V0_COMP_BASE         UINT32_C(0x1c849309)

#define HDR_LOG_FORMAT_VERSION "1.3"
#define HDR_LOG_LEGEND \
	"\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\""

_Static_assert(HDR_LOG_ENC_HEADER == HDR_LOG_ENC_OFF_RATIO + 8, "V2 header is 40 bytes");
_Static_assert(HDR_LOG_COMP_HEADER == HDR_LOG_COMP_OFF_LENGTH + 4, "compression header is 8 bytes");

static uint32_t hdr_rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return be32toh(v);
}

static uint64_t hdr_rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

static void hdr_wr32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, sizeof(v));
}

static void hdr_wr64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, sizeof(v));
}

/* ---- base64 ----------------------------------------------------------- */

static const char hdr_b64_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Sextet of c, or -1 when c is not in the alphabet (including '='). */
static int hdr_b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

size_t hdr_base64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

int hdr_base64_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
	size_t i, o = 0;

	if (!out || cap < hdr_base64_encoded_len(n) + 1 || (n && !in))
		return -ENOSPC;
	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = hdr_b64_chars[w >> 18];
		out[o++] = hdr_b64_chars[(w >> 12) & 63];
		out[o++] = hdr_b64_chars[(w >> 6) & 63];
		out[o++] = hdr_b64_chars[w & 63];
	}
	if (n - i == 1) {
		uint32_t w = (uint32_t)in[i] << 16;

		out[o++] = hdr_b64_chars[w >> 18];
		out[o++] = hdr_b64_chars[(w >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		out[o++] = hdr_b64_chars[w >> 18];
		out[o++] = hdr_b64_chars[(w >> 12) & 63];
		out[o++] = hdr_b64_chars[(w >> 6) & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
	return 0;
}

int hdr_base64_decode(const char *in, size_t n, uint8_t *out, size_t cap,
		      size_t *out_len)
{
	size_t pad = 0, bytes, i, o = 0;

	if (n % 4 != 0 || (n && !in))
		return -EBADMSG;
	if (n > 0 && in[n - 1] == '=')
		pad = in[n - 2] == '=' ? 2 : 1;
	bytes = n / 4 * 3 - pad;
	if (bytes > cap || (bytes && !out))
		return -ENOSPC;
	for (i = 0; i < n; i += 4) {
		int a = hdr_b64_value((unsigned char)in[i]);
		int b = hdr_b64_value((unsigned char)in[i + 1]);
		bool last = i + 4 == n;
		int c = last && pad == 2 ? 0 : hdr_b64_value((unsigned char)in[i + 2]);
		int d = last && pad >= 1 ? 0 : hdr_b64_value((unsigned char)in[i + 3]);
		uint32_t w;

		if ((a | b | c | d) < 0)
			return -EBADMSG;
		w = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
		out[o++] = (uint8_t)(w >> 16);
		if (o < bytes)
			out[o++] = (uint8_t)(w >> 8);
		if (o < bytes)
			out[o++] = (uint8_t)w;
	}
	if (out_len)
		*out_len = bytes;
	return 0;
}

/* ---- ZigZag LEB128 ---------------------------------------------------- */

size_t hdr_zigzag_put(uint8_t *buf, int64_t v)
{
	uint64_t u = ((uint64_t)v << 1) ^ (UINT64_C(0) - ((uint64_t)v >> 63));
	size_t i = 0;

	/* Eight 7-bit groups with continuation bits; a 9th byte keeps all 8
	 * remaining bits (HdrHistogram's variant, 9 bytes at most). */
	while (i < 8 && u >= 0x80) {
		buf[i++] = (uint8_t)(u | 0x80);
		u >>= 7;
	}
	buf[i++] = (uint8_t)u;
	return i;
}

int hdr_zigzag_get(const uint8_t *buf, size_t len, int64_t *v)
{
	uint64_t u = 0;
	size_t i;

	for (i = 0; i < 8; i++) {
		if (i >= len)
			return -EBADMSG;
		u |= (uint64_t)(buf[i] & 0x7f) << (7 * i);
		if (!(buf[i] & 0x80)) {
			i++;
			goto done;
		}
	}
	if (len < 9)
		return -EBADMSG;
	u |= (uint64_t)buf[8] << 56;
	i = 9;
done:
	*v = (int64_t)((u >> 1) ^ (UINT64_C(0) - (u & 1)));
	return (int)i;
}

/* ---- encode ----------------------------------------------------------- */

int hdr_log_encode(const struct hdr *h, uint8_t **out, size_t *out_len)
{
	int32_t limit, i;
	size_t p = HDR_LOG_ENC_HEADER;
	uint8_t *raw, *buf;
	uLongf zlen;
	uint64_t ratio_bits;
	int rc = 0;

	if (!h || !out || !out_len)
		return -EINVAL;
	/* Counts up to the max value's bucket; the rest are zero. */
	limit = hdr_counts_index(h, h->max_value) + 1;
	if (limit > h->counts_len)
		limit = h->counts_len;
	for (i = 0; i < limit; i++)
		if (h->counts[i] < 0)
			return -ERANGE;
	raw = malloc(HDR_LOG_ENC_HEADER + (size_t)HDR_LOG_ZIGZAG_MAX * (size_t)limit);
	if (!raw)
		return -ENOMEM;
	for (i = 0; i < limit;) {
		int64_t c = h->counts[i++];

		if (c == 0) {
			int64_t zeros = 1;

			while (i < limit && h->counts[i] == 0) {
				zeros++;
				i++;
			}
			p += hdr_zigzag_put(raw + p, -zeros);
		} else {
			p += hdr_zigzag_put(raw + p, c);
		}
	}
	memcpy(&ratio_bits, &h->conversion_ratio, sizeof(ratio_bits));
	hdr_wr32(raw + HDR_LOG_ENC_OFF_COOKIE, HDR_LOG_V2_ENCODING_COOKIE);
	hdr_wr32(raw + HDR_LOG_ENC_OFF_PAYLOAD_LEN, (uint32_t)(p - HDR_LOG_ENC_HEADER));
	hdr_wr32(raw + HDR_LOG_ENC_OFF_NORM_OFFSET, (uint32_t)h->normalizing_index_offset);
	hdr_wr32(raw + HDR_LOG_ENC_OFF_DIGITS, (uint32_t)h->digits);
	hdr_wr64(raw + HDR_LOG_ENC_OFF_LOWEST, (uint64_t)h->lowest);
	hdr_wr64(raw + HDR_LOG_ENC_OFF_HIGHEST, (uint64_t)h->highest);
	hdr_wr64(raw + HDR_LOG_ENC_OFF_RATIO, ratio_bits);

	zlen = compressBound((uLong)p);
	buf = malloc(HDR_LOG_COMP_HEADER + (size_t)zlen);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	if (compress(buf + HDR_LOG_COMP_HEADER, &zlen, raw, (uLong)p) != Z_OK ||
	    zlen > INT32_MAX) {
		free(buf);
		rc = -EIO;
		goto out;
	}
	hdr_wr32(buf + HDR_LOG_COMP_OFF_COOKIE, HDR_LOG_V2_COMPRESSION_COOKIE);
	hdr_wr32(buf + HDR_LOG_COMP_OFF_LENGTH, (uint32_t)zlen);
	*out = buf;
	*out_len = HDR_LOG_COMP_HEADER + (size_t)zlen;
out:
	free(raw);
	return rc;
}

int hdr_log_encode_base64(const struct hdr *h, char **out, size_t *out_len)
{
	uint8_t *bin;
	size_t bin_len, n;
	char *text;
	int rc;

	if (!out)
		return -EINVAL;
	rc = hdr_log_encode(h, &bin, &bin_len);
	if (rc)
		return rc;
	n = hdr_base64_encoded_len(bin_len);
	text = malloc(n + 1);
	if (!text) {
		free(bin);
		return -ENOMEM;
	}
	hdr_base64_encode(bin, bin_len, text, n + 1);
	free(bin);
	*out = text;
	if (out_len)
		*out_len = n;
	return 0;
}

/* ---- decode ----------------------------------------------------------- */

/* An opened compressed V2 histogram: header inflated, stream positioned at
 * the payload. */
struct hdr_v2_in {
	z_stream zs;
	bool z_live;
	uint8_t head[HDR_LOG_ENC_HEADER];
	struct hdr_cfg cfg;
	size_t memsize;
	int32_t counts_len;
	int32_t payload_len;
};

static int hdr_zlib_error(int zrc)
{
	return zrc == Z_MEM_ERROR ? -ENOMEM : -EBADMSG;
}

static int hdr_v2_open(const uint8_t *buf, size_t len, struct hdr_v2_in *s)
{
	uint32_t cookie;
	int32_t zlen;
	int zrc;

	memset(s, 0, sizeof(*s));
	if (!buf || len < HDR_LOG_COMP_HEADER)
		return -EBADMSG;
	cookie = HDR_COOKIE_BASE(hdr_rd32(buf + HDR_LOG_COMP_OFF_COOKIE));
	if (cookie != HDR_V2_COMP_BASE)
		return cookie == HDR_V1_COMP_BASE || cookie == HDR_V0_COMP_BASE ?
		       -EPROTONOSUPPORT : -EBADMSG;
	zlen = (int32_t)hdr_rd32(buf + HDR_LOG_COMP_OFF_LENGTH);
	if (zlen < 0 || (size_t)zlen > len - HDR_LOG_COMP_HEADER)
		return -EBADMSG;

	zrc = inflateInit(&s->zs);
	if (zrc != Z_OK)
		return hdr_zlib_error(zrc);
	s->z_live = true;
	s->zs.next_in = buf + HDR_LOG_COMP_HEADER;
	s->zs.avail_in = (uInt)zlen;
	s->zs.next_out = s->head;
	s->zs.avail_out = HDR_LOG_ENC_HEADER;
	zrc = inflate(&s->zs, Z_SYNC_FLUSH);
	if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR)
		return hdr_zlib_error(zrc);
	if (s->zs.avail_out != 0)
		return -EBADMSG; /* stream ended inside the header */

	cookie = HDR_COOKIE_BASE(hdr_rd32(s->head + HDR_LOG_ENC_OFF_COOKIE));
	if (cookie != HDR_V2_ENC_BASE)
		return cookie == HDR_V1_ENC_BASE || cookie == HDR_V0_ENC_BASE ?
		       -EPROTONOSUPPORT : -EBADMSG;
	s->payload_len = (int32_t)hdr_rd32(s->head + HDR_LOG_ENC_OFF_PAYLOAD_LEN);
	s->cfg.digits = (int32_t)hdr_rd32(s->head + HDR_LOG_ENC_OFF_DIGITS);
	s->cfg.lowest = (int64_t)hdr_rd64(s->head + HDR_LOG_ENC_OFF_LOWEST);
	s->cfg.highest = (int64_t)hdr_rd64(s->head + HDR_LOG_ENC_OFF_HIGHEST);
	s->memsize = hdr_memsize(&s->cfg);
	s->counts_len = hdr_counts_len(&s->cfg);
	if (s->memsize == 0 || s->counts_len <= 0)
		return -EBADMSG;
	/* Each count takes at most 9 bytes: a longer payload is a lie (and
	 * would make us allocate what a tiny input asks for). */
	if (s->payload_len < 0 ||
	    (int64_t)s->payload_len > (int64_t)HDR_LOG_ZIGZAG_MAX * s->counts_len)
		return -EBADMSG;
	return 0;
}

static void hdr_v2_close(struct hdr_v2_in *s)
{
	if (s->z_live)
		inflateEnd(&s->zs);
	s->z_live = false;
}

int hdr_log_decode_cfg(const uint8_t *buf, size_t len, struct hdr_cfg *cfg,
		       size_t *memsize)
{
	struct hdr_v2_in s;
	int rc = hdr_v2_open(buf, len, &s);

	hdr_v2_close(&s);
	if (rc)
		return rc;
	if (cfg)
		*cfg = s.cfg;
	if (memsize)
		*memsize = s.memsize;
	return 0;
}

/* Fill h's counts from the LEB128 payload; then total, min and max as the
 * reference derives them after decoding. */
static int hdr_v2_apply(struct hdr *h, const uint8_t *p, size_t len)
{
	int64_t total = 0;
	int32_t idx = 0, i, min_i = -1, max_i = -1;
	size_t off = 0;

	while (off < len) {
		int64_t v;
		int n = hdr_zigzag_get(p + off, len - off, &v);

		if (n < 0)
			return n;
		off += (size_t)n;
		if (v < 0) {
			/* A run of -v zeros; checked without negating v. */
			if (v < -(int64_t)(h->counts_len - idx))
				return -EOVERFLOW;
			idx += (int32_t)-v;
		} else {
			if (idx >= h->counts_len ||
			    __builtin_add_overflow(total, v, &total))
				return -EOVERFLOW;
			h->counts[idx++] = v;
		}
	}
	for (i = 0; i < h->counts_len; i++) {
		if (h->counts[i] > 0) {
			max_i = i;
			if (min_i < 0 && i != 0)
				min_i = i;
		}
	}
	h->total_count = total;
	h->max_value = max_i < 0 ? 0 :
		       hdr_highest_equivalent(h, hdr_value_at_index(h, max_i));
	h->min_value = min_i < 0 ? INT64_MAX : hdr_value_at_index(h, min_i);
	h->index_dirty = 1;
	return 0;
}

int hdr_log_decode(const uint8_t *buf, size_t len, struct hdr *h, size_t cap,
		   size_t *need)
{
	struct hdr_v2_in s;
	uint8_t *payload = NULL;
	uint64_t ratio_bits;
	size_t produced;
	int rc, zrc;

	rc = hdr_v2_open(buf, len, &s);
	if (rc)
		goto out;
	if (need)
		*need = s.memsize;
	if (!h || cap < s.memsize) {
		rc = -ENOSPC;
		goto out;
	}
	rc = hdr_init(h, &s.cfg);
	if (rc)
		goto out;
	/* One spare byte: output beyond payload_len means a lying length. */
	payload = malloc((size_t)s.payload_len + 1);
	if (!payload) {
		rc = -ENOMEM;
		goto fail;
	}
	s.zs.next_out = payload;
	s.zs.avail_out = (uInt)s.payload_len + 1;
	zrc = inflate(&s.zs, Z_FINISH);
	if (zrc != Z_STREAM_END) {
		rc = zrc == Z_MEM_ERROR ? -ENOMEM : -EBADMSG;
		goto fail;
	}
	produced = (size_t)s.payload_len + 1 - s.zs.avail_out;
	/* Exactly payload_len bytes, or the one known lie: older HdrHistogram_c
	 * releases wrote payload_len = 40 + payload (their published vectors
	 * have it). Anything else is a lying length. */
	if (produced != (size_t)s.payload_len &&
	    produced + HDR_LOG_ENC_HEADER != (size_t)s.payload_len) {
		rc = -EBADMSG;
		goto fail;
	}
	rc = hdr_v2_apply(h, payload, produced);
	if (rc)
		goto fail;
	ratio_bits = hdr_rd64(s.head + HDR_LOG_ENC_OFF_RATIO);
	memcpy(&h->conversion_ratio, &ratio_bits, sizeof(ratio_bits));
	h->normalizing_index_offset = 0;
	goto out;
fail:
	hdr_reset(h);
out:
	free(payload);
	hdr_v2_close(&s);
	return rc;
}

int hdr_log_decode_base64(const char *b64, size_t n, struct hdr *h, size_t cap,
			  size_t *need)
{
	size_t bin_len;
	uint8_t *bin;
	int rc;

	if (!b64 || n % 4 != 0)
		return -EBADMSG;
	bin = malloc(n / 4 * 3 + 1);
	if (!bin)
		return -ENOMEM;
	rc = hdr_base64_decode(b64, n, bin, n / 4 * 3 + 1, &bin_len);
	if (rc == 0)
		rc = hdr_log_decode(bin, bin_len, h, cap, need);
	free(bin);
	return rc;
}

/* ---- writer ----------------------------------------------------------- */

int hdr_log_write_header(FILE *f, const char *comment, double start_time_s)
{
	if (!f || (comment && strpbrk(comment, "\r\n]")))
		return -EINVAL;
	if (start_time_s >= 0 && !(start_time_s < 1e15))
		return -EINVAL;
	if (comment && fprintf(f, "#[%s]\n", comment) < 0)
		return -EIO;
	if (fprintf(f, "#[Histogram log format version " HDR_LOG_FORMAT_VERSION "]\n") < 0)
		return -EIO;
	if (start_time_s >= 0) {
		time_t t = (time_t)start_time_s;
		struct tm tm;
		char date[64];

		if (!gmtime_r(&t, &tm) ||
		    strftime(date, sizeof(date), "%a %b %d %H:%M:%S UTC %Y", &tm) == 0)
			return -EINVAL;
		if (fprintf(f, "#[StartTime: %.3f (seconds since epoch), %s]\n",
			    start_time_s, date) < 0 ||
		    fprintf(f, "#[BaseTime: %.3f (seconds since epoch)]\n",
			    start_time_s) < 0)
			return -EIO;
	}
	if (fprintf(f, HDR_LOG_LEGEND "\n") < 0)
		return -EIO;
	return 0;
}

int hdr_log_write_interval(FILE *f, const char *tag, double start_s,
			   double length_s, const struct hdr *h,
			   double max_unit_ratio)
{
	bool tagged = tag && tag[0];
	char *b64;
	int rc;

	if (!f || !h || !isfinite(start_s) || !isfinite(length_s) ||
	    !(max_unit_ratio > 0.0) || !isfinite(max_unit_ratio))
		return -EINVAL;
	if (tagged && strpbrk(tag, ", \r\n"))
		return -EINVAL;
	rc = hdr_log_encode_base64(h, &b64, NULL);
	if (rc)
		return rc;
	if (fprintf(f, "%s%s%s%.3f,%.3f,%.3f,%s\n", tagged ? "Tag=" : "",
		    tagged ? tag : "", tagged ? "," : "", start_s, length_s,
		    (double)hdr_max(h) / max_unit_ratio, b64) < 0)
		rc = -EIO;
	free(b64);
	return rc;
}

/* ---- reader ----------------------------------------------------------- */

int hdr_log_reader_init(struct hdr_log_reader *r, FILE *f)
{
	if (!r || !f)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->f = f;
	r->major = -1;
	r->minor = -1;
	r->start_time_s = -1.0;
	r->base_time_s = -1.0;
	return 0;
}

void hdr_log_reader_fini(struct hdr_log_reader *r)
{
	if (!r)
		return;
	free(r->line);
	free(r->bin);
	r->line = NULL;
	r->bin = NULL;
	r->line_cap = r->bin_cap = r->bin_len = 0;
}

static bool hdr_starts(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && memcmp(s, prefix, k) == 0;
}

/* A finite number at *p (NUL-terminated line), leaving *p after it. */
static bool hdr_parse_num(const char **p, double *out)
{
	char *end;
	double v;

	if (**p == ' ' || **p == '\t' || **p == '\0')
		return false;
	errno = 0;
	v = strtod(*p, &end);
	if (end == *p || errno == ERANGE || !isfinite(v))
		return false;
	*p = end;
	*out = v;
	return true;
}

/* Header comment lines: version, start time, base time; others ignored. */
static int hdr_log_comment(struct hdr_log_reader *r, const char *line, size_t n)
{
	static const char version[] = "#[Histogram log format version ";
	static const char start[] = "#[StartTime: ";
	static const char base[] = "#[BaseTime: ";
	const char *p;
	double t;

	if (hdr_starts(line, n, version)) {
		char *end;
		long major, minor;

		errno = 0;
		major = strtol(line + strlen(version), &end, 10);
		if (*end != '.')
			return -EBADMSG;
		minor = strtol(end + 1, &end, 10);
		if (errno || *end != ']')
			return -EBADMSG;
		/* Format 1.x with x <= 3: what HdrHistogram's readers accept. */
		if (major != 1 || minor < 0 || minor > 3)
			return -EPROTONOSUPPORT;
		r->major = (int)major;
		r->minor = (int)minor;
	} else if (hdr_starts(line, n, start)) {
		p = line + strlen(start);
		if (hdr_parse_num(&p, &t) && t >= 0)
			r->start_time_s = t;
	} else if (hdr_starts(line, n, base)) {
		p = line + strlen(base);
		if (hdr_parse_num(&p, &t) && t >= 0)
			r->base_time_s = t;
	}
	return 0;
}

/* [Tag=tag,]start,length,max,base64 */
static int hdr_log_interval(struct hdr_log_reader *r, const char *line, size_t n,
			    struct hdr_log_entry *e)
{
	const char *p = line, *end = line + n;
	size_t b64_len, need;
	int rc;

	e->tag[0] = '\0';
	if (hdr_starts(line, n, "Tag=")) {
		const char *comma;
		size_t tag_len;

		p += 4;
		comma = memchr(p, ',', (size_t)(end - p));
		if (!comma)
			return -EBADMSG;
		tag_len = (size_t)(comma - p);
		if (tag_len == 0 || tag_len > HDR_LOG_TAG_MAX || memchr(p, '\0', tag_len))
			return -EBADMSG;
		memcpy(e->tag, p, tag_len);
		e->tag[tag_len] = '\0';
		p = comma + 1;
	}
	if (!hdr_parse_num(&p, &e->start_s) || *p++ != ',' ||
	    !hdr_parse_num(&p, &e->length_s) || *p++ != ',' ||
	    !hdr_parse_num(&p, &e->max) || *p++ != ',')
		return -EBADMSG;
	b64_len = (size_t)(end - p);
	if (b64_len == 0 || b64_len % 4 != 0)
		return -EBADMSG;
	need = b64_len / 4 * 3;
	if (need > r->bin_cap) {
		uint8_t *bin = realloc(r->bin, need);

		if (!bin)
			return -ENOMEM;
		r->bin = bin;
		r->bin_cap = need;
	}
	r->bin_len = 0;
	rc = hdr_base64_decode(p, b64_len, r->bin, r->bin_cap, &r->bin_len);
	if (rc)
		return -EBADMSG;
	rc = hdr_log_decode_cfg(r->bin, r->bin_len, &e->cfg, &e->memsize);
	if (rc)
		r->bin_len = 0;
	return rc;
}

int hdr_log_read(struct hdr_log_reader *r, struct hdr_log_entry *e)
{
	if (!r || !e || !r->f)
		return -EINVAL;
	r->bin_len = 0;
	for (;;) {
		ssize_t got;
		size_t n;
		int rc;

		errno = 0;
		got = getline(&r->line, &r->line_cap, r->f);
		if (got < 0) {
			if (errno == ENOMEM)
				return -ENOMEM;
			return ferror(r->f) ? -EIO : 0;
		}
		r->line_no++;
		n = (size_t)got;
		while (n > 0 && strchr("\r\n \t", r->line[n - 1]) && r->line[n - 1])
			n--;
		r->line[n] = '\0';
		if (n == 0)
			continue;
		if (r->line[0] == '#') {
			rc = hdr_log_comment(r, r->line, n);
			if (rc)
				return rc;
			continue;
		}
		if (r->line[0] == '"')
			continue; /* the column legend */
		rc = hdr_log_interval(r, r->line, n, e);
		return rc ? rc : 1;
	}
}

int hdr_log_reader_decode(const struct hdr_log_reader *r, struct hdr *h,
			  size_t cap, size_t *need)
{
	if (!r || r->bin_len == 0)
		return -EINVAL;
	return hdr_log_decode(r->bin, r->bin_len, h, cap, need);
}
