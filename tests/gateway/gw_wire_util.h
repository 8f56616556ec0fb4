/* gw_wire_util.h - helpers for the gateway stage tests: decode the ClOrdID
 * gw writes back into a token, decode gw's SoupBinTCP 'U' output message by
 * message, and write venue OUCH outbound messages in 'S' packets. Test
 * programs only, one thread. Include after <cmocka.h>. */
#ifndef GW_WIRE_UTIL_H
#define GW_WIRE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gateway/ouch.h"
#include "gateway/soup.h"

/* Token of a ClOrdID as gw writes it: decimal, left-aligned and space
 * padded; or 'X' and 13 base-36 digits for tokens of 15 decimal digits or
 * more. 0, or -1 when c is neither. */
static inline int gwt_clordid_token(const char c[OUCH_CLORDID_LEN], uint64_t *tok)
{
	uint64_t v = 0;
	int i = 0;

	if (c[0] == 'X') {
		for (i = 1; i < OUCH_CLORDID_LEN; i++) {
			int d = c[i] >= '0' && c[i] <= '9' ? c[i] - '0'
				: c[i] >= 'A' && c[i] <= 'Z' ? c[i] - 'A' + 10 : -1;

			if (d < 0)
				return -1;
			v = v * 36 + (uint64_t)d;
		}
		*tok = v;
		return 0;
	}
	for (; i < OUCH_CLORDID_LEN && c[i] >= '0' && c[i] <= '9'; i++)
		v = v * 10 + (uint64_t)(c[i] - '0');
	if (i == 0)
		return -1;
	for (int j = i; j < OUCH_CLORDID_LEN; j++)
		if (c[j] != ' ')
			return -1;
	*tok = v;
	return 0;
}

/* Decode every message of gw's output wire[0..n): each must be a whole 'U'
 * packet holding exactly one OUCH inbound message. Returns the messages
 * (at most max) or -1 on any byte that does not decode. */
static inline int gwt_decode_out(const uint8_t *wire, size_t n, struct ouch_in *m, int max)
{
	size_t off = 0;
	int k = 0;

	while (off < n) {
		struct soup_pkt p;
		int len = soup_parse(wire + off, n - off, &p);

		if (len <= 0 || p.type != SOUP_T_UNSEQ_DATA || k == max)
			return -1;
		if (ouch_in_decode(p.payload, p.payload_len, &m[k]) != (int)p.payload_len)
			return -1;
		off += (size_t)len;
		k++;
	}
	return k;
}

/* One OUCH outbound message in a SoupBinTCP 'S' packet at buf; bytes. */
static inline size_t gwt_put_out(uint8_t *buf, size_t cap, const struct ouch_out *m)
{
	int k = ouch_out_encode(buf + SOUP_HDR_LEN, cap - SOUP_HDR_LEN, m);

	if (k < 0)
		return 0;
	soup_hdr_write(buf, SOUP_T_SEQ_DATA, (uint16_t)k);
	return SOUP_HDR_LEN + (size_t)k;
}

#endif /* GW_WIRE_UTIL_H */
