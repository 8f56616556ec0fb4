/* soup.c - SoupBinTCP 3.00 packet parsing and the cold-path encoders and
 * decoders for login, data, heartbeat and logout packets (soup.h).
 * Stateless; any thread. */
#include "gateway/soup.h"

#include <errno.h>

int soup_alpha_set(char *dst, size_t n, const char *s)
{
	size_t k = strlen(s);

	if (k > n)
		return -EINVAL;
	memcpy(dst, s, k);
	memset(dst + k, ' ', n - k);
	return 0;
}

/* Packet Length a type must have: exact, or 0 when any length >= 1 will do;
 * -1 for a type SoupBinTCP does not define. */
static int soup_type_len(uint8_t type)
{
	switch (type) {
	case SOUP_T_DEBUG:
	case SOUP_T_SEQ_DATA:
	case SOUP_T_UNSEQ_DATA:
		return 0;
	case SOUP_T_LOGIN_ACCEPTED:
		return 1 + SOUP_LACC_LEN;
	case SOUP_T_LOGIN_REJECTED:
		return 1 + SOUP_LREJ_LEN;
	case SOUP_T_LOGIN_REQUEST:
		return 1 + SOUP_LREQ_LEN;
	case SOUP_T_SERVER_HB:
	case SOUP_T_END_SESSION:
	case SOUP_T_CLIENT_HB:
	case SOUP_T_LOGOUT:
		return 1;
	default:
		return -1;
	}
}

int soup_parse(const uint8_t *buf, size_t len, struct soup_pkt *pkt)
{
	uint16_t v;
	int want;

	if (len < SOUP_OFF_TYPE)
		return 0;
	memcpy(&v, buf + SOUP_OFF_LEN, sizeof(v));
	v = be16toh(v);
	if (v == 0)
		return -EBADMSG;
	if (len < SOUP_HDR_LEN)
		return 0;
	want = soup_type_len(buf[SOUP_OFF_TYPE]);
	if (want < 0 || (want > 0 && v != (unsigned)want))
		return -EPROTO;
	if (len < (size_t)SOUP_OFF_TYPE + v)
		return 0;
	pkt->type = buf[SOUP_OFF_TYPE];
	pkt->payload = buf + SOUP_HDR_LEN;
	pkt->payload_len = (uint16_t)(v - 1u);
	return SOUP_OFF_TYPE + (int)v;
}

/* Write v as 20 ASCII digits, left-padded with spaces. */
static void soup_seq_write(uint8_t *p, uint64_t v)
{
	int i = SOUP_SEQ_LEN;

	memset(p, ' ', SOUP_SEQ_LEN);
	do {
		p[--i] = (uint8_t)('0' + v % 10);
		v /= 10;
	} while (v != 0 && i > 0);
}

/* Read a 20-byte sequence field: spaces, at least one digit, then spaces.
 * 0, or -EPROTO for anything else or a value over UINT64_MAX. */
static int soup_seq_read(const uint8_t *p, uint64_t *out)
{
	uint64_t v = 0;
	int i = 0, digits = 0;

	while (i < SOUP_SEQ_LEN && p[i] == ' ')
		i++;
	for (; i < SOUP_SEQ_LEN && p[i] >= '0' && p[i] <= '9'; i++, digits++) {
		unsigned d = (unsigned)(p[i] - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -EPROTO;
		v = v * 10 + d;
	}
	while (i < SOUP_SEQ_LEN && p[i] == ' ')
		i++;
	if (i != SOUP_SEQ_LEN || digits == 0)
		return -EPROTO;
	*out = v;
	return 0;
}

int soup_encode_login_request(uint8_t *buf, size_t cap, const struct soup_login_request *m)
{
	uint8_t *p = buf + SOUP_HDR_LEN;

	if (cap < SOUP_HDR_LEN + SOUP_LREQ_LEN)
		return -ENOSPC;
	soup_hdr_write(buf, SOUP_T_LOGIN_REQUEST, SOUP_LREQ_LEN);
	memcpy(p + SOUP_LREQ_OFF_USER, m->username, SOUP_USER_LEN);
	memcpy(p + SOUP_LREQ_OFF_PASS, m->password, SOUP_PASS_LEN);
	memcpy(p + SOUP_LREQ_OFF_SESSION, m->session, SOUP_SESSION_LEN);
	soup_seq_write(p + SOUP_LREQ_OFF_SEQ, m->seq);
	return SOUP_HDR_LEN + SOUP_LREQ_LEN;
}

int soup_encode_login_accepted(uint8_t *buf, size_t cap, const struct soup_login_accepted *m)
{
	uint8_t *p = buf + SOUP_HDR_LEN;

	if (cap < SOUP_HDR_LEN + SOUP_LACC_LEN)
		return -ENOSPC;
	soup_hdr_write(buf, SOUP_T_LOGIN_ACCEPTED, SOUP_LACC_LEN);
	memcpy(p + SOUP_LACC_OFF_SESSION, m->session, SOUP_SESSION_LEN);
	soup_seq_write(p + SOUP_LACC_OFF_SEQ, m->seq);
	return SOUP_HDR_LEN + SOUP_LACC_LEN;
}

int soup_encode_login_rejected(uint8_t *buf, size_t cap, char reason)
{
	if (cap < SOUP_HDR_LEN + SOUP_LREJ_LEN)
		return -ENOSPC;
	soup_hdr_write(buf, SOUP_T_LOGIN_REJECTED, SOUP_LREJ_LEN);
	buf[SOUP_HDR_LEN + SOUP_LREJ_OFF_REASON] = (uint8_t)reason;
	return SOUP_HDR_LEN + SOUP_LREJ_LEN;
}

int soup_encode_empty(uint8_t *buf, size_t cap, uint8_t type)
{
	if (soup_type_len(type) != 1)
		return -EINVAL;
	if (cap < SOUP_HDR_LEN)
		return -ENOSPC;
	soup_hdr_write(buf, type, 0);
	return SOUP_HDR_LEN;
}

int soup_encode_data(uint8_t *buf, size_t cap, uint8_t type, const void *payload, size_t n)
{
	if (type != SOUP_T_SEQ_DATA && type != SOUP_T_UNSEQ_DATA && type != SOUP_T_DEBUG)
		return -EINVAL;
	if (n > SOUP_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (cap < SOUP_HDR_LEN + n)
		return -ENOSPC;
	soup_hdr_write(buf, type, (uint16_t)n);
	if (n)
		memcpy(buf + SOUP_HDR_LEN, payload, n);
	return SOUP_HDR_LEN + (int)n;
}

int soup_decode_login_request(const struct soup_pkt *pkt, struct soup_login_request *m)
{
	const uint8_t *p = pkt->payload;

	if (pkt->type != SOUP_T_LOGIN_REQUEST || pkt->payload_len != SOUP_LREQ_LEN)
		return -EPROTO;
	if (soup_seq_read(p + SOUP_LREQ_OFF_SEQ, &m->seq) != 0)
		return -EPROTO;
	memcpy(m->username, p + SOUP_LREQ_OFF_USER, SOUP_USER_LEN);
	memcpy(m->password, p + SOUP_LREQ_OFF_PASS, SOUP_PASS_LEN);
	memcpy(m->session, p + SOUP_LREQ_OFF_SESSION, SOUP_SESSION_LEN);
	return 0;
}

int soup_decode_login_accepted(const struct soup_pkt *pkt, struct soup_login_accepted *m)
{
	const uint8_t *p = pkt->payload;

	if (pkt->type != SOUP_T_LOGIN_ACCEPTED || pkt->payload_len != SOUP_LACC_LEN)
		return -EPROTO;
	if (soup_seq_read(p + SOUP_LACC_OFF_SEQ, &m->seq) != 0)
		return -EPROTO;
	memcpy(m->session, p + SOUP_LACC_OFF_SESSION, SOUP_SESSION_LEN);
	return 0;
}

int soup_decode_login_rejected(const struct soup_pkt *pkt, char *reason)
{
	if (pkt->type != SOUP_T_LOGIN_REJECTED || pkt->payload_len != SOUP_LREJ_LEN)
		return -EPROTO;
	*reason = (char)pkt->payload[SOUP_LREJ_OFF_REASON];
	return 0;
}
