/* test_soup.c - SoupBinTCP framing (gateway/soup.h): every packet type
 * encoded, parsed and decoded back; one stream cut into every chunk size;
 * truncation at every length and seeded garbage before a guard page; and the
 * real login request / accepted and heartbeat captures, field by field and
 * re-encoded to the identical bytes. One thread. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/soup.h"
#include "tests/test_data.h"
#include "tests/test_guard.h"
#include "tests/gateway/tcp_pcap.h"

/* ---- a table of packets, each built by the encoders ---------------------- */

struct pkt_case {
	const char *name;
	uint8_t type;
	uint8_t wire[128];
	int len;
};

static const uint8_t ouch_cancel_bytes[] = { 'X', 0, 0, 0, 7, 0, 0, 0, 0 };
static const char debug_text[] = "hello, venue";

static struct soup_login_request lreq(void)
{
	struct soup_login_request m;

	assert_int_equal(soup_alpha_set(m.username, SOUP_USER_LEN, "TWUSR1"), 0);
	assert_int_equal(soup_alpha_set(m.password, SOUP_PASS_LEN, "s3cret"), 0);
	assert_int_equal(soup_alpha_set(m.session, SOUP_SESSION_LEN, ""), 0);
	m.seq = 1;
	return m;
}

static struct soup_login_accepted lacc(void)
{
	struct soup_login_accepted m;

	memcpy(m.session, "0000012345", SOUP_SESSION_LEN);
	m.seq = UINT64_MAX; /* 20 digits: the field's full width */
	return m;
}

/* Fill the table: one packet of every type. */
static size_t build_cases(struct pkt_case *c)
{
	struct soup_login_request rq = lreq();
	struct soup_login_accepted ac = lacc();
	static const uint8_t empties[] = { SOUP_T_SERVER_HB, SOUP_T_END_SESSION,
					   SOUP_T_CLIENT_HB, SOUP_T_LOGOUT };
	size_t n = 0;

	c[n] = (struct pkt_case){ .name = "login request", .type = SOUP_T_LOGIN_REQUEST };
	c[n].len = soup_encode_login_request(c[n].wire, sizeof(c[n].wire), &rq);
	n++;
	c[n] = (struct pkt_case){ .name = "login accepted", .type = SOUP_T_LOGIN_ACCEPTED };
	c[n].len = soup_encode_login_accepted(c[n].wire, sizeof(c[n].wire), &ac);
	n++;
	c[n] = (struct pkt_case){ .name = "login rejected", .type = SOUP_T_LOGIN_REJECTED };
	c[n].len = soup_encode_login_rejected(c[n].wire, sizeof(c[n].wire),
					      SOUP_REJECT_NO_SESSION);
	n++;
	c[n] = (struct pkt_case){ .name = "unsequenced data", .type = SOUP_T_UNSEQ_DATA };
	c[n].len = soup_encode_data(c[n].wire, sizeof(c[n].wire), SOUP_T_UNSEQ_DATA,
				    ouch_cancel_bytes, sizeof(ouch_cancel_bytes));
	n++;
	c[n] = (struct pkt_case){ .name = "sequenced data", .type = SOUP_T_SEQ_DATA };
	c[n].len = soup_encode_data(c[n].wire, sizeof(c[n].wire), SOUP_T_SEQ_DATA,
				    ouch_cancel_bytes, sizeof(ouch_cancel_bytes));
	n++;
	c[n] = (struct pkt_case){ .name = "debug", .type = SOUP_T_DEBUG };
	c[n].len = soup_encode_data(c[n].wire, sizeof(c[n].wire), SOUP_T_DEBUG, debug_text,
				    strlen(debug_text));
	n++;
	for (size_t i = 0; i < sizeof(empties); i++) {
		c[n] = (struct pkt_case){ .name = "empty", .type = empties[i] };
		c[n].len = soup_encode_empty(c[n].wire, sizeof(c[n].wire), empties[i]);
		n++;
	}
	return n;
}

#define MAX_CASES 16

/* Every type: the length on the wire, parse, decode, re-encode. */
static void test_roundtrip_every_type(void **state)
{
	struct pkt_case c[MAX_CASES];
	size_t n = build_cases(c);
	static const int want_len[] = { 49, 33, 4, 12, 12, 15, 3, 3, 3, 3 };

	(void)state;
	assert_int_equal(n, sizeof(want_len) / sizeof(want_len[0]));
	for (size_t i = 0; i < n; i++) {
		struct soup_pkt p;
		uint8_t again[128];

		print_message("case %s '%c'\n", c[i].name, c[i].type);
		assert_int_equal(c[i].len, want_len[i]);
		/* Packet Length (BE) counts the type byte and payload. */
		assert_int_equal(c[i].wire[0] << 8 | c[i].wire[1], c[i].len - 2);
		assert_int_equal(c[i].wire[2], c[i].type);
		assert_int_equal(soup_parse(at_guard(c[i].wire, (size_t)c[i].len), (size_t)c[i].len,
					    &p), c[i].len);
		assert_int_equal(p.type, c[i].type);
		assert_int_equal(p.payload_len, c[i].len - SOUP_HDR_LEN);

		switch (p.type) {
		case SOUP_T_LOGIN_REQUEST: {
			struct soup_login_request b;

			assert_int_equal(soup_decode_login_request(&p, &b), 0);
			assert_memory_equal(b.username, "TWUSR1", 6);
			assert_memory_equal(b.password, "s3cret    ", 10);
			assert_memory_equal(b.session, "          ", 10);
			assert_true(b.seq == 1);
			assert_memory_equal(p.payload + SOUP_LREQ_OFF_SEQ, "                   1", 20);
			assert_int_equal(soup_encode_login_request(again, sizeof(again), &b), c[i].len);
			break;
		}
		case SOUP_T_LOGIN_ACCEPTED: {
			struct soup_login_accepted b;

			assert_int_equal(soup_decode_login_accepted(&p, &b), 0);
			assert_memory_equal(b.session, "0000012345", 10);
			assert_true(b.seq == UINT64_MAX);
			assert_memory_equal(p.payload + SOUP_LACC_OFF_SEQ, "18446744073709551615", 20);
			assert_int_equal(soup_encode_login_accepted(again, sizeof(again), &b), c[i].len);
			break;
		}
		case SOUP_T_LOGIN_REJECTED: {
			char r = 0;

			assert_int_equal(soup_decode_login_rejected(&p, &r), 0);
			assert_int_equal(r, SOUP_REJECT_NO_SESSION);
			assert_int_equal(soup_encode_login_rejected(again, sizeof(again), r), c[i].len);
			break;
		}
		case SOUP_T_SEQ_DATA:
		case SOUP_T_UNSEQ_DATA:
		case SOUP_T_DEBUG:
			if (p.type == SOUP_T_DEBUG)
				assert_memory_equal(p.payload, debug_text, strlen(debug_text));
			else
				assert_memory_equal(p.payload, ouch_cancel_bytes,
						    sizeof(ouch_cancel_bytes));
			assert_int_equal(soup_encode_data(again, sizeof(again), p.type, p.payload,
							  p.payload_len), c[i].len);
			break;
		default:
			assert_int_equal(p.payload_len, 0);
			assert_int_equal(soup_encode_empty(again, sizeof(again), p.type), c[i].len);
			break;
		}
		assert_memory_equal(again, c[i].wire, (size_t)c[i].len);
		/* Decoders refuse a packet of another type. */
		if (p.type != SOUP_T_LOGIN_REQUEST) {
			struct soup_login_request x;

			assert_int_equal(soup_decode_login_request(&p, &x), -EPROTO);
		}
	}
}

/* All packets back to back, delivered in chunks of k bytes for every k: the
 * parser must give the same packets whatever TCP did to the stream. */
static void test_stream_split_and_merge(void **state)
{
	struct pkt_case c[MAX_CASES];
	size_t n = build_cases(c), total = 0;
	uint8_t stream[1024];

	(void)state;
	for (size_t i = 0; i < n; i++) {
		memcpy(stream + total, c[i].wire, (size_t)c[i].len);
		total += (size_t)c[i].len;
	}
	for (size_t k = 1; k <= total; k++) {
		uint8_t acc[1024];
		size_t have = 0, fed = 0, got = 0;

		while (fed < total || have > 0) {
			struct soup_pkt p;
			size_t take = total - fed < k ? total - fed : k;
			int rc;

			memcpy(acc + have, stream + fed, take);
			have += take;
			fed += take;
			while ((rc = soup_parse(acc, have, &p)) > 0) {
				assert_true(got < n);
				assert_int_equal(rc, c[got].len);
				assert_int_equal(p.type, c[got].type);
				assert_memory_equal(acc, c[got].wire, (size_t)rc);
				got++;
				memmove(acc, acc + rc, have - (size_t)rc);
				have -= (size_t)rc;
			}
			assert_int_equal(rc, 0);
			if (take == 0)
				break;
		}
		assert_int_equal(have, 0);
		assert_int_equal(got, n);
	}
}

/* Every proper prefix of every packet says "need more", read at the guard. */
static void test_truncated_prefixes(void **state)
{
	struct pkt_case c[MAX_CASES];
	size_t n = build_cases(c);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		for (size_t len = 0; len < (size_t)c[i].len; len++) {
			struct soup_pkt p;

			assert_int_equal(soup_parse(at_guard(c[i].wire, len), len, &p), 0);
		}
	}
}

static void test_malformed(void **state)
{
	struct soup_pkt p;
	uint8_t b[64];

	(void)state;
	/* Packet Length 0 has no room even for the type. */
	assert_int_equal(soup_parse(at_guard((const uint8_t[]){ 0, 0 }, 2), 2, &p), -EBADMSG);
	/* Unknown types, known at the header: no need to wait for the payload. */
	assert_int_equal(soup_parse(at_guard((const uint8_t[]){ 0, 9, 'x' }, 3), 3, &p), -EPROTO);
	assert_int_equal(soup_parse(at_guard((const uint8_t[]){ 0, 1, 0 }, 3), 3, &p), -EPROTO);
	/* Fixed-size packets with the wrong length. */
	assert_int_equal(soup_parse(at_guard((const uint8_t[]){ 0, 2, 'H', 0 }, 4), 4, &p), -EPROTO);
	assert_int_equal(soup_parse(at_guard((const uint8_t[]){ 0, 30, 'A' }, 3), 3, &p), -EPROTO);
	assert_int_equal(soup_parse(at_guard((const uint8_t[]){ 0, 48, 'L' }, 3), 3, &p), -EPROTO);
	assert_int_equal(soup_parse(at_guard((const uint8_t[]){ 0, 1, 'J' }, 3), 3, &p), -EPROTO);

	/* Bad sequence numbers in a login accepted. */
	{
		static const char *bad[] = {
			"                    ",     /* no digit */
			"                 1x5",     /* not a digit */
			"  1 2               ",     /* digits split */
			"18446744073709551616",     /* UINT64_MAX + 1 */
			"99999999999999999999",
			"-                  1",
		};
		struct soup_login_accepted a = lacc(), d;

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			int len = soup_encode_login_accepted(b, sizeof(b), &a);

			memcpy(b + SOUP_HDR_LEN + SOUP_LACC_OFF_SEQ, bad[i], SOUP_SEQ_LEN);
			assert_int_equal(soup_parse(b, (size_t)len, &p), len);
			print_message("seq '%s'\n", bad[i]);
			assert_int_equal(soup_decode_login_accepted(&p, &d), -EPROTO);
		}
		/* Left-justified digits are tolerated; the value is what counts. */
		memcpy(b + SOUP_HDR_LEN + SOUP_LACC_OFF_SEQ, "42                  ", SOUP_SEQ_LEN);
		assert_int_equal(soup_decode_login_accepted(&p, &d), 0);
		assert_true(d.seq == 42);
	}

	/* Encoders: room, types, sizes. */
	{
		struct soup_login_request rq = lreq();
		struct soup_login_accepted ac = lacc();

		assert_int_equal(soup_encode_login_request(b, 48, &rq), -ENOSPC);
		assert_int_equal(soup_encode_login_accepted(b, 32, &ac), -ENOSPC);
		assert_int_equal(soup_encode_login_rejected(b, 3, 'A'), -ENOSPC);
		assert_int_equal(soup_encode_empty(b, 2, SOUP_T_CLIENT_HB), -ENOSPC);
		assert_int_equal(soup_encode_empty(b, sizeof(b), SOUP_T_SEQ_DATA), -EINVAL);
		assert_int_equal(soup_encode_data(b, sizeof(b), SOUP_T_CLIENT_HB, "x", 1), -EINVAL);
		assert_int_equal(soup_encode_data(b, 11, SOUP_T_UNSEQ_DATA, ouch_cancel_bytes, 9),
				 -ENOSPC);
		assert_int_equal(soup_encode_data(b, sizeof(b), SOUP_T_UNSEQ_DATA, b,
						  SOUP_MAX_PAYLOAD + 1u), -EMSGSIZE);
		assert_int_equal(soup_alpha_set(rq.username, SOUP_USER_LEN, "toolong"), -EINVAL);
	}
}

/* Seeded garbage: the parser walks it without reading past the end and
 * never claims more bytes than it was given. */
static void test_garbage(void **state)
{
	uint8_t b[512];
	uint64_t x = 0x9e3779b97f4a7c15ull;

	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = (size_t)(iter % 200);
		const uint8_t *p;
		size_t off = 0;

		for (size_t i = 0; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			b[i] = (uint8_t)x;
		}
		/* Often make the length field small so real packets appear. */
		if (len >= 2 && (iter & 1))
			b[0] = 0;
		p = at_guard(b, len);
		for (;;) {
			struct soup_pkt pk;
			int rc = soup_parse(p + off, len - off, &pk);

			if (rc <= 0)
				break;
			assert_true((size_t)rc <= len - off);
			assert_int_equal(pk.payload_len + SOUP_HDR_LEN, rc);
			if (pk.type == SOUP_T_LOGIN_ACCEPTED) {
				struct soup_login_accepted a;

				(void)soup_decode_login_accepted(&pk, &a);
			} else if (pk.type == SOUP_T_LOGIN_REQUEST) {
				struct soup_login_request r;

				(void)soup_decode_login_request(&pk, &r);
			}
			off += (size_t)rc;
		}
	}
}

/* ---- real captures ------------------------------------------------------- */

static size_t read_capture(const char *rel, uint8_t *out, size_t cap)
{
	char path[512];

	test_data_path(path, rel);
	return tcpp_read(path, out, cap);
}

static void test_real_login_request(void **state)
{
	uint8_t b[256], again[64];
	size_t n = read_capture("pcap/jnx-soupbintcp/LoginRequestPacket.pcap", b, sizeof(b));
	struct soup_login_request m;
	struct soup_pkt p;

	(void)state;
	assert_int_equal(n, 49);
	assert_int_equal(soup_parse(at_guard(b, n), n, &p), 49);
	assert_int_equal(p.type, SOUP_T_LOGIN_REQUEST);
	assert_int_equal(soup_decode_login_request(&p, &m), 0);
	assert_memory_equal(m.username, "user  ", SOUP_USER_LEN);
	assert_memory_equal(m.password, "password  ", SOUP_PASS_LEN);
	assert_memory_equal(m.session, "          ", SOUP_SESSION_LEN); /* current session */
	assert_true(m.seq == 0);
	assert_int_equal(soup_encode_login_request(again, sizeof(again), &m), 49);
	assert_memory_equal(again, b, 49);
}

static void test_real_login_accepted(void **state)
{
	uint8_t b[256], again[64];
	size_t n = read_capture("pcap/jnx-soupbintcp/LoginAcceptedPacket.pcap", b, sizeof(b));
	struct soup_login_accepted m;
	struct soup_pkt p;

	(void)state;
	assert_int_equal(n, 33);
	assert_int_equal(soup_parse(at_guard(b, n), n, &p), 33);
	assert_int_equal(p.type, SOUP_T_LOGIN_ACCEPTED);
	assert_int_equal(soup_decode_login_accepted(&p, &m), 0);
	assert_memory_equal(m.session, "1689192121", SOUP_SESSION_LEN);
	assert_true(m.seq == 135);
	assert_int_equal(soup_encode_login_accepted(again, sizeof(again), &m), 33);
	assert_memory_equal(again, b, 33);
}

static void test_real_heartbeats(void **state)
{
	static const struct {
		const char *rel;
		uint8_t type;
	} hb[] = {
		{ "pcap/nasdaq-ouch50/ServerHeartbeatPacket.pcap", SOUP_T_SERVER_HB },
		{ "pcap/nasdaq-ouch50/ClientHeartbeatPacket.pcap", SOUP_T_CLIENT_HB },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(hb) / sizeof(hb[0]); i++) {
		uint8_t b[64], again[8];
		size_t n = read_capture(hb[i].rel, b, sizeof(b));
		struct soup_pkt p;

		assert_int_equal(n, 3);
		assert_int_equal(soup_parse(at_guard(b, n), n, &p), 3);
		assert_int_equal(p.type, hb[i].type);
		assert_int_equal(p.payload_len, 0);
		assert_int_equal(soup_encode_empty(again, sizeof(again), p.type), 3);
		assert_memory_equal(again, b, 3);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_every_type),
		cmocka_unit_test(test_stream_split_and_merge),
		cmocka_unit_test(test_truncated_prefixes),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_real_login_request),
		cmocka_unit_test(test_real_login_accepted),
		cmocka_unit_test(test_real_heartbeats),
	};

	return cmocka_run_group_tests(tests, guard_setup, guard_teardown);
}
