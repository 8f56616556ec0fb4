/* binfile.c - BinaryFILE and zero-prefixed ITCH file framings: detection
 * from the first frame and a bounds-checked frame walker. Pure functions
 * over caller memory; any thread, one reader per thread. */
#include "dataplane/binfile.h"

#include <errno.h>

#include "dataplane/itch.h"

int binfile_detect(const uint8_t *buf, size_t len, enum binfile_framing *out)
{
	size_t flen;

	if (len < 3)
		return -EINVAL;
	flen = wire_get16(buf);
	if (flen == 0) {
		if (itch_msg_len[buf[2]] == 0 || len < 2u + itch_msg_len[buf[2]])
			return -EINVAL;
		*out = BINFILE_ZERO16;
		return 0;
	}
	if (itch_msg_len[buf[2]] == 0 || flen < itch_msg_len[buf[2]] || len < 2 + flen)
		return -EINVAL;
	*out = BINFILE_LEN16;
	return 0;
}

void binfile_init(struct binfile_reader *r, const uint8_t *buf, size_t len,
		  enum binfile_framing framing)
{
	r->buf = buf;
	r->len = len;
	r->off = 0;
	r->framing = framing;
}

int binfile_next(struct binfile_reader *r, const uint8_t **msg, size_t *mlen)
{
	size_t left = r->len - r->off;
	const uint8_t *p = r->buf + r->off;
	size_t n;

	if (left == 0)
		return 0;
	if (left < 3)
		return -EPROTO;
	n = wire_get16(p);
	if (r->framing == BINFILE_ZERO16) {
		if (n != 0)
			return -EPROTO;
		n = itch_msg_len[p[2]];
	}
	if (n == 0 || n > left - 2)
		return -EPROTO;
	*msg = p + 2;
	*mlen = n;
	r->off += 2 + n;
	return 1;
}
