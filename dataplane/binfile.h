/* binfile.h - Nasdaq's binary ITCH file framings: BinaryFILE (2-byte
 * big-endian length, then the message) and the zero-prefixed variant (two
 * zero bytes, length implied by the message type). A reader walks a buffer
 * the caller mapped or loaded; it never reads past len. Any thread. */
#ifndef BINFILE_H
#define BINFILE_H

#include <stddef.h>
#include <stdint.h>

enum binfile_framing {
	BINFILE_LEN16 = 0,  /* u16 BE length + message */
	BINFILE_ZERO16 = 1, /* 0x0000 + message; length from the ITCH type */
};

struct binfile_reader {
	const uint8_t *buf;
	size_t len;
	size_t off;                    /* next frame */
	enum binfile_framing framing;
};

/* Which framing does this file use? 0 and *out set, -EINVAL if neither fits
 * the first frame. */
int binfile_detect(const uint8_t *buf, size_t len, enum binfile_framing *out);
/* Start reading buf[0..len) in the given framing. Cannot fail. */
void binfile_init(struct binfile_reader *r, const uint8_t *buf, size_t len,
		  enum binfile_framing framing);
/* Next message: 1 and (*msg, *mlen) set; 0 at a clean end; -EPROTO when a
 * frame is malformed (truncated, zero length, bad prefix or unknown type in
 * the zero-prefixed framing). After -EPROTO the reader stays at the bad frame. */
int binfile_next(struct binfile_reader *r, const uint8_t **msg, size_t *mlen);

#endif /* BINFILE_H */
