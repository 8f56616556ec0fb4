/* test_hdr_log.c - cmocka tests of bench/hdr_log: base64 and ZigZag LEB128
 * vectors, the V2 encoding (round trips, byte layout against vectors written
 * by HdrHistogram_c and Java), malformed and hostile encodings (decoded from
 * buffers that end at a guard page), and the interval log writer/reader.
 * Single-threaded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <endian.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bench/hdr.h"
#include "bench/hdr_log.h"
#include "hdr_test_util.h"

/* HdrHistogram_c's standard histograms as it encoded them (published in
 * HdrHistogram_py's tests). Written by an older C release whose payload
 * length field includes the 40-byte header. */
static const char c_std_raw_b64[] =
	"HISTFAAAACl4nJNpmSzMwMBgyAABzFCaEURcm7yEwf4DROA8/4I5jNM7mJgAlWkH9g==";
static const char c_std_cor_b64[] =
	"HISTFAAAAP94nJNpmSzMwCByigECmKE0I4i4NnkJg/0HiMB5/gVzGD8aM/3lZ7rPyTSbjektC9N7Fqa"
	"HzEzbmZi2whCEvZKRaSYj02wwiYng4tFM3lDoC2dhhwh5UyZlJlUMjClCmgpMEUUmQSZ+IBZEojFFCM"
	"vQRwUxenmZ2MGQFUqz4+CTo4I2pg4dFdQylZWJkYkZCaPyMEUIydPLjMHrssFixuB12XD0HRAwMsFJg"
	"kwilZHJHHKmjzp41MFDOjhYmFiQEUEmMWqGsvKBd8Fwd/Co/waTC9jYOMAIiSJRhLbKh5x9Q87Bo/YN"
	"bfsoM4CPhw+IIJAkxnDXN+QcTIpyAPnGh6k=";
/* (1, 2048, 3) holding one 2048: Java and C produce this exact text. */
static const char foreign_2048_b64[] =
	"HISTFAAAACB4nJNpmSzMwMDAzAABMJoRQnEw2H+AsP7LMwEARZgDpQ==";
/* A jHiccup interval (Java) whose log line said Interval_Max 2.769 (ms). */
static const char jhiccup_b64[] =
	"HISTFAAAAEV42pNpmSzMwMCgyAABTBDKT4GBgdnNYMcCBvsPEBEJISEuATEZMQ4uASkhIR4nrxg9v2lMaxh"
	"vMekILGZkKmcCAEf2CsI=";

/* Decode base64 text (from a guard-page copy) into a fresh histogram. */
static int decode_new(const char *b64, struct hdr **out)
{
	size_t n = strlen(b64), need = 0;
	uint8_t *g = hdr_t_guard_copy(b64, n);
	struct hdr *h;
	int rc;

	*out = NULL;
	if (!g)
		return -ENOMEM;
	rc = hdr_log_decode_base64((const char *)g, n, NULL, 0, &need);
	if (rc == -ENOSPC) {
		h = aligned_alloc(64, (need + 63) & ~(size_t)63);
		rc = h ? hdr_log_decode_base64((const char *)g, n, h, need, NULL) : -ENOMEM;
		if (rc == 0)
			*out = h;
		else
			free(h);
	}
	hdr_t_guard_free(g, n);
	return rc;
}

/* Decode binary from a guard-page copy into a fresh histogram. */
static int decode_bin_new(const uint8_t *buf, size_t len, struct hdr **out)
{
	uint8_t *g = hdr_t_guard_copy(buf, len);
	size_t need = 0;
	struct hdr *h;
	int rc;

	*out = NULL;
	if (!g)
		return -ENOMEM;
	rc = hdr_log_decode(g, len, NULL, 0, &need);
	if (rc == -ENOSPC) {
		h = aligned_alloc(64, (need + 63) & ~(size_t)63);
		rc = h ? hdr_log_decode(g, len, h, need, NULL) : -ENOMEM;
		if (rc == 0)
			*out = h;
		else
			free(h);
	}
	hdr_t_guard_free(g, len);
	return rc;
}

/* ---- base64 ----------------------------------------------------------- */

static void test_base64_vectors(void **state)
{
	/* HdrHistogram_c's base64 tests. */
	static const struct {
		const char *plain, *b64;
	} cases[] = {
		{ "any carnal pleasur", "YW55IGNhcm5hbCBwbGVhc3Vy" },
		{ "any carnal pleasure.", "YW55IGNhcm5hbCBwbGVhc3VyZS4=" },
		{ "any carnal pleasure", "YW55IGNhcm5hbCBwbGVhc3VyZQ==" },
		{ "Man", "TWFu" },
		{ "", "" },
		{ "\xff\xfe\x00", "//4A" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t n = strlen(cases[i].b64), plen = i == 5 ? 3 : strlen(cases[i].plain), got;
		char out[64];
		uint8_t bin[64];

		assert_int_equal(hdr_base64_encoded_len(plen), n);
		assert_int_equal(hdr_base64_encode((const uint8_t *)cases[i].plain, plen, out,
						   sizeof(out)), 0);
		assert_string_equal(out, cases[i].b64);
		assert_int_equal(hdr_base64_decode(cases[i].b64, n, bin, sizeof(bin), &got), 0);
		assert_int_equal(got, plen);
		assert_memory_equal(bin, cases[i].plain, plen);
	}
}

static void test_base64_rejects(void **state)
{
	static const char *bad[] = {
		"YW55I",     /* length % 4 != 0 (reference) */
		"YW5",       /* shorter than a quad (reference) */
		"YW5*",      /* not in the alphabet */
		"YW 5",
		"Y===",      /* too much padding */
		"YW=5",      /* padding inside */
		"=AAA",
		"AA==AAAA",  /* padding before the end */
		"TWFu\n",
	};
	uint8_t out[16];
	char enc[8];
	size_t i, got;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		size_t n = strlen(bad[i]);
		uint8_t *g = hdr_t_guard_copy(bad[i], n);

		assert_non_null(g);
		if (hdr_base64_decode((const char *)g, n, out, sizeof(out), &got) != -EBADMSG) {
			print_error("accepted '%s'\n", bad[i]);
			fail();
		}
		hdr_t_guard_free(g, n);
	}
	/* Output space is checked, not assumed. */
	assert_int_equal(hdr_base64_decode("TWFu", 4, out, 2, &got), -ENOSPC);
	assert_int_equal(hdr_base64_encode((const uint8_t *)"Man", 3, enc, 4), -ENOSPC);
	assert_int_equal(hdr_base64_encode((const uint8_t *)"Man", 3, enc, 5), 0);
}

/* ---- ZigZag LEB128 ---------------------------------------------------- */

static void test_zigzag_vectors(void **state)
{
	static const struct {
		int64_t v;
		size_t n;
		uint8_t bytes[9];
	} cases[] = {
		{ 0, 1, { 0x00 } },
		{ -1, 1, { 0x01 } },
		{ 1, 1, { 0x02 } },
		{ -9, 1, { 0x11 } },   /* a run of 9 zeros */
		{ -10, 1, { 0x13 } },  /* a run of 10 zeros */
		{ 63, 1, { 0x7e } },
		{ 64, 2, { 0x80, 0x01 } },
		{ 1000, 2, { 0xd0, 0x0f } },
		{ -1000, 2, { 0xcf, 0x0f } },
		{ 10000, 3, { 0xa0, 0x9c, 0x01 } },
		{ INT64_MAX, 9, { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
		{ INT64_MIN, 9, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
		{ INT64_C(1) << 54, 8, { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40 } },
		{ INT64_C(1) << 55, 9, { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 } },
		{ INT64_C(1) << 56, 9, { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02 } },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		uint8_t buf[16];
		int64_t back = 12345;

		memset(buf, 0xaa, sizeof(buf));
		assert_int_equal(hdr_zigzag_put(buf, cases[i].v), cases[i].n);
		assert_memory_equal(buf, cases[i].bytes, cases[i].n);
		assert_int_equal(buf[cases[i].n], 0xaa);
		assert_int_equal(hdr_zigzag_get(cases[i].bytes, cases[i].n, &back), (int)cases[i].n);
		assert_int_equal(back, cases[i].v);
		/* One byte short is a truncation, never an over-read. */
		assert_int_equal(hdr_zigzag_get(cases[i].bytes, cases[i].n - 1, &back), -EBADMSG);
	}
	assert_int_equal(hdr_zigzag_get((const uint8_t *)"\xff\xff", 2, &(int64_t){ 0 }),
			 -EBADMSG);
}

/* ---- V2 encoding ------------------------------------------------------ */

/* Inflate one of our encodings to check its layout directly. */
static size_t inflate_ours(const uint8_t *buf, size_t len, uint8_t *out, size_t cap)
{
	uLongf n = cap;
	uint32_t cookie, zlen;

	memcpy(&cookie, buf, 4);
	memcpy(&zlen, buf + 4, 4);
	assert_int_equal(be32toh(cookie), 0x1c849314u);
	assert_int_equal(be32toh(zlen), len - 8);
	assert_int_equal(uncompress(out, &n, buf + 8, len - 8), Z_OK);
	return n;
}

static void test_encode_layout_matches_reference(void **state)
{
	struct hdr_t_std_pair *p = *state;
	/* The counts payload inside c_std_raw_b64: 1000 zeros, 10000, 16908
	 * zeros, 1 (ZigZag LEB128). */
	static const uint8_t payload[] = { 0xcf, 0x0f, 0xa0, 0x9c, 0x01, 0x97, 0x88, 0x02, 0x02 };
	uint8_t *bin, raw[4096];
	size_t len, n;
	uint64_t be;
	uint32_t w;
	double ratio;

	assert_int_equal(hdr_log_encode(p->raw, &bin, &len), 0);
	n = inflate_ours(bin, len, raw, sizeof(raw));
	assert_int_equal(n, 40 + sizeof(payload));
	memcpy(&w, raw + 0, 4);
	assert_int_equal(be32toh(w), 0x1c849313u);
	memcpy(&w, raw + 4, 4);
	assert_int_equal(be32toh(w), sizeof(payload));
	memcpy(&w, raw + 8, 4);
	assert_int_equal(be32toh(w), 0);
	memcpy(&w, raw + 12, 4);
	assert_int_equal(be32toh(w), 3);
	memcpy(&be, raw + 16, 8);
	assert_int_equal(be64toh(be), 1);
	memcpy(&be, raw + 24, 8);
	assert_int_equal(be64toh(be), 3600000000u);
	memcpy(&be, raw + 32, 8);
	be = be64toh(be);
	memcpy(&ratio, &be, 8);
	assert_true(ratio == 1.0);
	assert_memory_equal(raw + 40, payload, sizeof(payload));
	free(bin);
}

static void test_encode_matches_foreign_text(void **state)
{
	struct hdr *h = hdr_t_new(1, 2048, 3);
	char *b64;
	size_t n;

	(void)state;
	assert_non_null(h);
	assert_true(hdr_record(h, 2048));
	assert_int_equal(hdr_log_encode_base64(h, &b64, &n), 0);
	assert_int_equal(n, strlen(foreign_2048_b64));
	assert_string_equal(b64, foreign_2048_b64);
	free(b64);
	free(h);
}

static void test_decode_reference_vectors(void **state)
{
	struct hdr_t_std_pair *p = *state;
	struct hdr *h;

	assert_int_equal(decode_new(c_std_raw_b64, &h), 0);
	assert_true(hdr_t_equal(p->raw, h));
	assert_int_equal(hdr_value_at_percentile(h, 99.999), 100007935);
	free(h);
	assert_int_equal(decode_new(c_std_cor_b64, &h), 0);
	assert_true(hdr_t_equal(p->cor, h));
	assert_int_equal(hdr_value_at_percentile(h, 75.0), 50003967);
	free(h);
	assert_int_equal(decode_new(foreign_2048_b64, &h), 0);
	assert_int_equal(h->total_count, 1);
	assert_int_equal(hdr_max(h), 2049);
	assert_int_equal(hdr_count_at_value(h, 2048), 1);
	free(h);
	/* Java wrote "2.769" as this interval's max in ms. */
	assert_int_equal(decode_new(jhiccup_b64, &h), 0);
	assert_int_equal(h->lowest, 20000);
	assert_int_equal(h->highest, INT64_C(3600000000000));
	assert_int_equal(h->digits, 2);
	assert_int_equal(hdr_max(h), 2768895);
	assert_int_equal(h->total_count, 741);
	free(h);
}

static void roundtrip(const struct hdr *h)
{
	struct hdr *back;
	char *b64;
	size_t n;

	assert_int_equal(hdr_log_encode_base64(h, &b64, &n), 0);
	assert_int_equal(strlen(b64), n);
	assert_memory_equal(b64, "HISTFAAA", 8); /* cookie, length < 64 KiB */
	assert_int_equal(decode_new(b64, &back), 0);
	assert_true(hdr_t_equal(h, back));
	if (h->total_count) {
		assert_true(hdr_mean(h) == hdr_mean(back));
		assert_true(hdr_stddev(h) == hdr_stddev(back));
		assert_int_equal(hdr_value_at_percentile(h, 99.0),
				 hdr_value_at_percentile(back, 99.0));
	}
	free(back);
	free(b64);
}

static void test_roundtrips(void **state)
{
	struct hdr_t_std_pair *p = *state;
	struct hdr *h;
	uint64_t seed = 5;
	int i;

	roundtrip(p->raw);
	roundtrip(p->cor);
	/* Empty (reference test_encode_and_decode_empty). */
	h = hdr_t_new(1, 1000000, 1);
	assert_non_null(h);
	roundtrip(h);
	free(h);
	/* i * i for 1..99 (reference test_string_encode_decode). */
	h = hdr_t_new(1, HDR_T_STD_HIGHEST, 3);
	assert_non_null(h);
	for (i = 1; i < 100; i++)
		hdr_record(h, i * i);
	roundtrip(h);
	free(h);
	/* Every value below 1000 (reference test_string_encode_decode_2). */
	h = hdr_t_new(1, 1000, 3);
	assert_non_null(h);
	for (i = 1; i < 1000; i++)
		hdr_record(h, i);
	roundtrip(h);
	free(h);
	/* 8070 random values at 4 digits (reference _compressed_large). */
	h = hdr_t_new(1, HDR_T_STD_HIGHEST, 4);
	assert_non_null(h);
	for (i = 0; i < 8070; i++)
		hdr_record(h, (int64_t)(hdr_t_rand(&seed) % (uint64_t)HDR_T_STD_HIGHEST));
	roundtrip(h);
	free(h);
	/* Zeros, huge counts, the top of an INT64_MAX range, other cfgs. */
	h = hdr_t_new(3, INT64_MAX, 5);
	assert_non_null(h);
	hdr_record_n(h, 0, 7);
	hdr_record_n(h, INT64_MAX, INT64_C(1) << 40);
	hdr_record_n(h, 123456789, INT64_C(1) << 61);
	roundtrip(h);
	free(h);
}

static void test_encode_rejects_negative_counts(void **state)
{
	struct hdr *h = hdr_t_new(1, 1000, 2);
	uint8_t *bin;
	size_t len;

	(void)state;
	assert_non_null(h);
	hdr_record_n(h, 5, -1);
	hdr_record_n(h, 50, 2);
	assert_int_equal(hdr_log_encode(h, &bin, &len), -ERANGE);
	free(h);
}

/* ---- hostile encodings ------------------------------------------------ */

/* Build a compressed V2 blob by hand, independent of hdr_log_encode. */
struct craft {
	uint32_t comp_cookie, enc_cookie;
	int32_t payload_len;  /* INT32_MIN: use the real length */
	int32_t digits;
	int64_t lowest, highest;
	int32_t zlen_delta;   /* added to the real compressed length field */
	size_t zcut;          /* drop this many compressed bytes at the end */
	const uint8_t *payload;
	size_t payload_n;
};

static size_t craft_v2(const struct craft *c, uint8_t *out, size_t cap)
{
	uint8_t raw[512];
	uLongf zlen = cap - 8;
	uint32_t w;
	uint64_t q;
	double one = 1.0;

	assert_true(c->payload_n + 40 <= sizeof(raw));
	w = htobe32(c->enc_cookie);
	memcpy(raw, &w, 4);
	w = htobe32((uint32_t)(c->payload_len == INT32_MIN ? (int32_t)c->payload_n
							    : c->payload_len));
	memcpy(raw + 4, &w, 4);
	w = 0;
	memcpy(raw + 8, &w, 4);
	w = htobe32((uint32_t)c->digits);
	memcpy(raw + 12, &w, 4);
	q = htobe64((uint64_t)c->lowest);
	memcpy(raw + 16, &q, 8);
	q = htobe64((uint64_t)c->highest);
	memcpy(raw + 24, &q, 8);
	memcpy(&q, &one, 8);
	q = htobe64(q);
	memcpy(raw + 32, &q, 8);
	if (c->payload_n)
		memcpy(raw + 40, c->payload, c->payload_n);
	assert_int_equal(compress(out + 8, &zlen, raw, 40 + c->payload_n), Z_OK);
	zlen -= c->zcut;
	w = htobe32(c->comp_cookie);
	memcpy(out, &w, 4);
	w = htobe32((uint32_t)((int32_t)zlen + c->zlen_delta));
	memcpy(out + 4, &w, 4);
	return 8 + zlen;
}

static void test_decode_hostile_table(void **state)
{
	static const uint8_t one_count[] = { 0x02 };                       /* 1 */
	static const uint8_t run_to_end[] = { 0xfd, 0x1f, 0x02 };          /* 2047 zeros, 1 */
	static const uint8_t run_past_end[] = { 0xff, 0x1f, 0x02 };        /* 2048 zeros, 1 */
	static const uint8_t run_beyond[] = { 0x81, 0x20 };                /* 2049 zeros */
	static const uint8_t huge_run[] = { 0xff, 0xff, 0xff, 0xff, 0xff,
					    0xff, 0xff, 0xff, 0xff };     /* INT64_MIN */
	static const uint8_t int32_min_run[] = { 0xff, 0xff, 0xff, 0xff, 0x0f, 0x02 };
	static const uint8_t two_max[] = { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					   0xff, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					   0xff, 0xff };                    /* INT64_MAX x2 */
	static const uint8_t truncated_leb[] = { 0x02, 0xff };
	static const struct {
		const char *what;
		struct craft c;
		int rc;
	} cases[] = {
		{ "valid", { 0x1c849314, 0x1c849313, INT32_MIN, 3, 1, 2047, 0, 0,
			     one_count, 1 }, 0 },
		{ "valid, last count", { 0x1c849314, 0x1c849313, INT32_MIN, 3, 1, 2047, 0, 0,
					 run_to_end, 3 }, 0 },
		{ "comp cookie", { 0x1c849315, 0x1c849313, INT32_MIN, 3, 1, 2047, 0, 0,
				   one_count, 1 }, -EBADMSG },
		{ "comp cookie V1", { 0x1c849302, 0x1c849313, INT32_MIN, 3, 1, 2047, 0, 0,
				      one_count, 1 }, -EPROTONOSUPPORT },
		{ "enc cookie", { 0x1c849314, 0x2c849313, INT32_MIN, 3, 1, 2047, 0, 0,
				  one_count, 1 }, -EBADMSG },
		{ "enc cookie V1", { 0x1c849314, 0x1c849301, INT32_MIN, 3, 1, 2047, 0, 0,
				     one_count, 1 }, -EPROTONOSUPPORT },
		{ "zlen too long", { 0x1c849314, 0x1c849313, INT32_MIN, 3, 1, 2047, 1, 0,
				     one_count, 1 }, -EBADMSG },
		{ "zlen negative", { 0x1c849314, 0x1c849313, INT32_MIN, 3, 1, 2047, -1000000, 0,
				     one_count, 1 }, -EBADMSG },
		{ "zlen short", { 0x1c849314, 0x1c849313, INT32_MIN, 3, 1, 2047, -3, 0,
				  one_count, 1 }, -EBADMSG },
		{ "zlib truncated", { 0x1c849314, 0x1c849313, INT32_MIN, 3, 1, 2047, 0, 5,
				      one_count, 1 }, -EBADMSG },
		{ "payload_len long", { 0x1c849314, 0x1c849313, 2, 3, 1, 2047, 0, 0,
					one_count, 1 }, -EBADMSG },
		{ "payload_len short", { 0x1c849314, 0x1c849313, 1, 3, 1, 2047, 0, 0,
					 run_to_end, 3 }, -EBADMSG },
		{ "payload_len negative", { 0x1c849314, 0x1c849313, -5, 3, 1, 2047, 0, 0,
					    one_count, 1 }, -EBADMSG },
		{ "payload_len huge", { 0x1c849314, 0x1c849313, INT32_MAX, 3, 1, 2047, 0, 0,
					one_count, 1 }, -EBADMSG },
		{ "digits 6", { 0x1c849314, 0x1c849313, INT32_MIN, 6, 1, 2047, 0, 0,
				one_count, 1 }, -EBADMSG },
		{ "digits 0", { 0x1c849314, 0x1c849313, INT32_MIN, 0, 1, 2047, 0, 0,
				one_count, 1 }, -EBADMSG },
		{ "lowest 0", { 0x1c849314, 0x1c849313, INT32_MIN, 3, 0, 2047, 0, 0,
				one_count, 1 }, -EBADMSG },
		{ "highest < 2 lowest", { 0x1c849314, 0x1c849313, INT32_MIN, 3, 1000, 1999, 0, 0,
					  one_count, 1 }, -EBADMSG },
		{ "zero run past end", { 0x1c849314, 0x1c849313, INT32_MIN, 3, 1, 2047, 0, 0,
					 run_past_end, 3 }, -EOVERFLOW },
		{ "zero run beyond end", { 0x1c849314, 0x1c849313, INT32_MIN, 3, 1, 2047, 0, 0,
					   run_beyond, 2 }, -EOVERFLOW },
		{ "INT64_MIN run", { 0x1c849314, 0x1c849313, INT32_MIN, 3, 1, 2047, 0, 0,
				     huge_run, 9 }, -EOVERFLOW },
		{ "INT32_MIN run", { 0x1c849314, 0x1c849313, INT32_MIN, 3, 1, 2047, 0, 0,
				     int32_min_run, 6 }, -EOVERFLOW },
		{ "total overflow", { 0x1c849314, 0x1c849313, INT32_MIN, 3, 1, 2047, 0, 0,
				      two_max, 18 }, -EOVERFLOW },
		{ "truncated LEB128", { 0x1c849314, 0x1c849313, INT32_MIN, 3, 1, 2047, 0, 0,
					truncated_leb, 2 }, -EBADMSG },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		uint8_t buf[1024];
		size_t len = craft_v2(&cases[i].c, buf, sizeof(buf));
		struct hdr *h = NULL;
		int rc = decode_bin_new(buf, len, &h);

		if (rc != cases[i].rc) {
			print_error("%s: rc %d, want %d\n", cases[i].what, rc, cases[i].rc);
			fail();
		}
		if (rc == 0) {
			assert_int_equal(h->total_count, 1);
			assert_int_equal(hdr_max(h), i == 0 ? 0 : 2047);
		}
		free(h);
	}
}

static void test_decode_reference_crafted(void **state)
{
	/* HdrHistogram_c's adversarial decode inputs. */
	static const struct {
		const char *b64;
		int rc;
	} cases[] = {
		{ "HISTAgAAABp4nJNpmdzIwFDLAAWMaDST/QcGFAAAdaEDZQ==", -EPROTONOSUPPORT },
		{ "HISTAgAAABl42pNpmdz4////HwwQwIhGMzGgAQD3VgWu", -EPROTONOSUPPORT },
		{ "HISTAgAAAB54nJNpmSzIwMDAyAABzFAawmdsWwDlMzQAAD9AAvE=", -EPROTONOSUPPORT },
		{ "HISTCQAAACd4nJNpmSzBwMDAzAABjFCaiQHGGAWjYBSMglEwCkbBSAMNAMTQEdA=",
		  -EPROTONOSUPPORT },
		{ "HISTBAAAABl4nJNpmcz8HwgYIIARjWay/8CAAgD0TwZm", -EBADMSG },
		{ "HISTFAAAABl42pNpmSzMwMDAyIAKYHwm+w9QFgA8ewJ6", -EBADMSG }, /* 0 digits */
		{ "HIST", -EBADMSG },
		{ "", -EBADMSG },
		{ "HISTFAAAACl4nJNpmSzMwMBgyAABzFCaEURcm7yEwf4DROA8/4I5jNM7mJgAlWkH9", -EBADMSG },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct hdr *h;
		int rc = decode_new(cases[i].b64, &h);

		if (rc != cases[i].rc) {
			print_error("case %zu: rc %d, want %d\n", i, rc, cases[i].rc);
			fail();
		}
		assert_null(h);
	}
}

/* Every prefix and every single-byte corruption of real encodings: always
 * a clean result, never a crash or an over-read (guard page). */
static void test_decode_truncations_and_flips(void **state)
{
	struct hdr_t_std_pair *p = *state;
	const struct hdr *src[2] = { p->raw, p->cor };
	size_t s;

	for (s = 0; s < 2; s++) {
		uint8_t *bin, *copy;
		size_t len, i;

		assert_int_equal(hdr_log_encode(src[s], &bin, &len), 0);
		for (i = 0; i < len; i++) {
			struct hdr *h;
			int rc = decode_bin_new(bin, i, &h);

			assert_true(rc < 0);
			assert_null(h);
		}
		copy = malloc(len);
		assert_non_null(copy);
		for (i = 0; i < len; i++) {
			static const uint8_t flips[] = { 0x01, 0x80, 0xff, 0x10 };
			size_t f;

			for (f = 0; f < ARRAY_SIZE(flips); f++) {
				struct hdr *h;
				int rc;

				memcpy(copy, bin, len);
				copy[i] ^= flips[f];
				rc = decode_bin_new(copy, len, &h);
				assert_true(rc == 0 || rc == -EBADMSG || rc == -EOVERFLOW ||
					    rc == -EPROTONOSUPPORT || rc == -ENOMEM);
				if (rc == 0) /* header-only flips can still decode */
					assert_int_equal(h->total_count, src[s]->total_count);
				free(h);
			}
		}
		free(copy);
		free(bin);
	}
}

static void test_decode_enospc_and_cfg(void **state)
{
	struct hdr_t_std_pair *p = *state;
	uint8_t *bin;
	size_t len, need = 0, memsize = 0;
	struct hdr_cfg cfg;
	struct hdr *h;

	assert_int_equal(hdr_log_encode(p->raw, &bin, &len), 0);
	assert_int_equal(hdr_log_decode_cfg(bin, len, &cfg, &memsize), 0);
	assert_int_equal(cfg.lowest, 1);
	assert_int_equal(cfg.highest, 3600000000u);
	assert_int_equal(cfg.digits, 3);
	assert_int_equal(memsize, hdr_memsize(&cfg));
	h = malloc(memsize);
	assert_non_null(h);
	memset(h, 0x77, memsize);
	assert_int_equal(hdr_log_decode(bin, len, h, memsize - 1, &need), -ENOSPC);
	assert_int_equal(need, memsize);
	assert_int_equal(((unsigned char *)h)[0], 0x77); /* untouched */
	assert_int_equal(hdr_log_decode(bin, len, h, memsize, NULL), 0);
	assert_true(hdr_t_equal(p->raw, h));
	/* A histogram decoded over garbage memory is still fully reset. */
	assert_int_equal(hdr_value_at_percentile(h, 30.0), 1000);
	free(h);
	free(bin);
}

/* ---- interval log ----------------------------------------------------- */

static void test_log_write_exact_text(void **state)
{
	struct hdr_t_std_pair *p = *state;
	char *text = NULL, *b64;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	char want[2048];

	assert_non_null(f);
	assert_int_equal(hdr_log_write_header(f, "Logged with tickwire test", 1441812279.474), 0);
	assert_int_equal(hdr_log_write_interval(f, "tag_value", 0.127, 1.007, p->raw, 1e6), 0);
	assert_int_equal(hdr_log_write_interval(f, NULL, 1.134, 5.0, p->raw, 1.0), 0);
	fclose(f);
	assert_int_equal(hdr_log_encode_base64(p->raw, &b64, NULL), 0);
	snprintf(want, sizeof(want),
		 "#[Logged with tickwire test]\n"
		 "#[Histogram log format version 1.3]\n"
		 "#[StartTime: 1441812279.474 (seconds since epoch), Wed Sep 09 15:24:39 UTC 2015]\n"
		 "#[BaseTime: 1441812279.474 (seconds since epoch)]\n"
		 "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\","
		 "\"Interval_Compressed_Histogram\"\n"
		 "Tag=tag_value,0.127,1.007,100.008,%s\n"
		 "1.134,5.000,100007935.000,%s\n", b64, b64);
	assert_string_equal(text, want);
	free(text);
	free(b64);
}

static void test_log_write_rejects(void **state)
{
	struct hdr_t_std_pair *p = *state;
	FILE *f = fopen("/dev/null", "w"), *ro = fopen("/dev/null", "r");

	assert_non_null(f);
	assert_non_null(ro);
	assert_int_equal(hdr_log_write_header(f, "two\nlines", -1), -EINVAL);
	assert_int_equal(hdr_log_write_header(f, "a]b", -1), -EINVAL);
	assert_int_equal(hdr_log_write_header(f, NULL, 1e300), -EINVAL);
	assert_int_equal(hdr_log_write_header(NULL, NULL, -1), -EINVAL);
	assert_int_equal(hdr_log_write_interval(f, "a,b", 0, 1, p->raw, 1), -EINVAL);
	assert_int_equal(hdr_log_write_interval(f, "a b", 0, 1, p->raw, 1), -EINVAL);
	assert_int_equal(hdr_log_write_interval(f, NULL, NAN, 1, p->raw, 1), -EINVAL);
	assert_int_equal(hdr_log_write_interval(f, NULL, 0, 1, p->raw, 0), -EINVAL);
	assert_int_equal(hdr_log_write_interval(f, NULL, 0, 1, NULL, 1), -EINVAL);
	assert_int_equal(hdr_log_write_header(ro, NULL, -1), -EIO);
	assert_int_equal(hdr_log_write_interval(ro, NULL, 0, 1, p->raw, 1), -EIO);
	fclose(f);
	fclose(ro);
}

static struct hdr *reader_decode_new(struct hdr_log_reader *r, const struct hdr_log_entry *e)
{
	struct hdr *h = aligned_alloc(64, (e->memsize + 63) & ~(size_t)63);
	size_t need = 0;

	assert_non_null(h);
	assert_int_equal(hdr_log_reader_decode(r, h, e->memsize - 1, &need), -ENOSPC);
	assert_int_equal(need, e->memsize);
	assert_int_equal(hdr_log_reader_decode(r, h, e->memsize, NULL), 0);
	return h;
}

static void test_log_roundtrip(void **state)
{
	struct hdr_t_std_pair *p = *state;
	struct hdr *empty = hdr_t_new(1000, INT64_C(60000000000), 2), *h;
	struct hdr_log_reader r;
	struct hdr_log_entry e;
	FILE *f = tmpfile();

	assert_non_null(f);
	assert_non_null(empty);
	assert_int_equal(hdr_log_write_header(f, "Test log", 1700000000.25), 0);
	assert_int_equal(hdr_log_write_interval(f, "tag_value", 0.0, 5.002, p->cor, 1e6), 0);
	assert_int_equal(hdr_log_write_interval(f, NULL, 5.002, 5.0, p->raw, 1.0), 0);
	fputs("\r\n\n", f); /* blank lines, CRLF: tolerated */
	assert_int_equal(hdr_log_write_interval(f, NULL, 10.002, 5.0, empty, 1.0), 0);
	rewind(f);

	assert_int_equal(hdr_log_reader_init(&r, f), 0);
	assert_int_equal(hdr_log_read(&r, &e), 1);
	assert_int_equal(r.major, 1);
	assert_int_equal(r.minor, 3);
	assert_true(r.start_time_s == 1700000000.25);
	assert_true(r.base_time_s == 1700000000.25);
	assert_string_equal(e.tag, "tag_value");
	assert_true(e.start_s == 0.0);
	assert_true(e.length_s == 5.002);
	assert_true(e.max == 100.008);
	assert_int_equal(e.memsize, hdr_memsize(&(struct hdr_cfg){ 1, HDR_T_STD_HIGHEST, 3 }));
	h = reader_decode_new(&r, &e);
	assert_true(hdr_t_equal(p->cor, h));
	free(h);

	assert_int_equal(hdr_log_read(&r, &e), 1);
	assert_string_equal(e.tag, "");
	assert_true(e.start_s == 5.002);
	assert_true(e.max == 100007935.0);
	h = reader_decode_new(&r, &e);
	assert_true(hdr_t_equal(p->raw, h));
	free(h);

	assert_int_equal(hdr_log_read(&r, &e), 1);
	assert_int_equal(r.line_no, 10);
	assert_int_equal(e.cfg.lowest, 1000);
	assert_int_equal(e.cfg.digits, 2);
	h = reader_decode_new(&r, &e);
	assert_true(hdr_t_equal(empty, h));
	free(h);

	assert_int_equal(hdr_log_read(&r, &e), 0);
	assert_int_equal(hdr_log_read(&r, &e), 0);
	assert_int_equal(hdr_log_reader_decode(&r, empty, 1 << 20, NULL), -EINVAL);
	hdr_log_reader_fini(&r);
	hdr_log_reader_fini(NULL);
	fclose(f);
	free(empty);
}

static void test_log_read_foreign_lines(void **state)
{
	/* A Java-written (jHiccup) log with tags and CRLF line ends. */
	char text[1024];
	struct hdr_log_reader r;
	struct hdr_log_entry e;
	struct hdr *h;
	FILE *f;

	(void)state;
	snprintf(text, sizeof(text),
		 "#[Fake log chunk]\r\n"
		 "#[Histogram log format version 1.2]\r\n"
		 "#[StartTime: 1441812279.474 (seconds since epoch), Wed Sep 09 08:24:39 PDT 2015]\r\n"
		 "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\r\n"
		 "Tag=NOT-EMPTY,0.127,1.007,2.769,%s\r\n"
		 "Tag=A,0.127,1.007,2.769,%s\r\n", jhiccup_b64, jhiccup_b64);
	f = fmemopen(text, strlen(text), "r");
	assert_non_null(f);
	assert_int_equal(hdr_log_reader_init(&r, f), 0);
	assert_int_equal(hdr_log_read(&r, &e), 1);
	assert_int_equal(r.minor, 2);
	assert_true(r.start_time_s == 1441812279.474);
	assert_true(r.base_time_s == -1.0);
	assert_string_equal(e.tag, "NOT-EMPTY");
	assert_true(e.max == 2.769);
	h = reader_decode_new(&r, &e);
	assert_int_equal(hdr_max(h), 2768895);
	free(h);
	assert_int_equal(hdr_log_read(&r, &e), 1);
	assert_string_equal(e.tag, "A");
	assert_int_equal(hdr_log_read(&r, &e), 0);
	hdr_log_reader_fini(&r);
	fclose(f);
}

static void test_log_read_bad_lines(void **state)
{
	static const struct {
		const char *text;
		int rc;
		long line;
	} cases[] = {
		{ "#[Histogram log format version 1.04]\n", -EPROTONOSUPPORT, 1 }, /* reference */
		{ "#[Histogram log format version 2.0]\n", -EPROTONOSUPPORT, 1 },
		{ "#[Histogram log format version x]\n", -EBADMSG, 1 },
		{ "\n#c\nTag=,0.1,1.0,2.0,%s\n", -EBADMSG, 3 },
		{ "Tag=abc\n", -EBADMSG, 1 },
		{ "Tag=abc,%s\n", -EBADMSG, 1 },
		{ "0.1,1.0,%s\n", -EBADMSG, 1 },
		{ "abc,1.0,2.0,%s\n", -EBADMSG, 1 },
		{ "0.1,1.0,inf,%s\n", -EBADMSG, 1 },
		{ "0.1, 1.0,2.0,%s\n", -EBADMSG, 1 },
		{ "0.1,1.0,2.0,HIST!AAA\n", -EBADMSG, 1 },
		{ "0.1,1.0,2.0,\n", -EBADMSG, 1 },
		{ "0.1,1.0,2.0,%s junk\n", -EBADMSG, 1 },
		{ "0.1,1.0,2.0,HISTAgAAABp4nJNpmdzIwFDLAAWMaDST/QcGFAAAdaEDZQ==\n",
		  -EPROTONOSUPPORT, 1 },
		{ "Tag=0123456789012345678901234567890123456789012345678901234567890123456789,"
		  "0.1,1.0,2.0,%s\n", -EBADMSG, 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char text[1024];
		struct hdr_log_reader r;
		struct hdr_log_entry e;
		FILE *f;
		int rc;

		snprintf(text, sizeof(text), cases[i].text, foreign_2048_b64);
		f = fmemopen(text, strlen(text), "r");
		assert_non_null(f);
		assert_int_equal(hdr_log_reader_init(&r, f), 0);
		rc = hdr_log_read(&r, &e);
		if (rc != cases[i].rc || r.line_no != cases[i].line) {
			print_error("case %zu: rc %d line %ld, want %d line %ld\n", i, rc,
				    r.line_no, cases[i].rc, cases[i].line);
			fail();
		}
		hdr_log_reader_fini(&r);
		fclose(f);
	}
	assert_int_equal(hdr_log_reader_init(NULL, stdin), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64_vectors),
		cmocka_unit_test(test_base64_rejects),
		cmocka_unit_test(test_zigzag_vectors),
		cmocka_unit_test_setup_teardown(test_encode_layout_matches_reference, hdr_t_std_setup,
						hdr_t_std_teardown),
		cmocka_unit_test(test_encode_matches_foreign_text),
		cmocka_unit_test_setup_teardown(test_decode_reference_vectors, hdr_t_std_setup,
						hdr_t_std_teardown),
		cmocka_unit_test_setup_teardown(test_roundtrips, hdr_t_std_setup, hdr_t_std_teardown),
		cmocka_unit_test(test_encode_rejects_negative_counts),
		cmocka_unit_test(test_decode_hostile_table),
		cmocka_unit_test(test_decode_reference_crafted),
		cmocka_unit_test_setup_teardown(test_decode_truncations_and_flips, hdr_t_std_setup,
						hdr_t_std_teardown),
		cmocka_unit_test_setup_teardown(test_decode_enospc_and_cfg, hdr_t_std_setup,
						hdr_t_std_teardown),
		cmocka_unit_test_setup_teardown(test_log_write_exact_text, hdr_t_std_setup,
						hdr_t_std_teardown),
		cmocka_unit_test_setup_teardown(test_log_write_rejects, hdr_t_std_setup, hdr_t_std_teardown),
		cmocka_unit_test_setup_teardown(test_log_roundtrip, hdr_t_std_setup, hdr_t_std_teardown),
		cmocka_unit_test(test_log_read_foreign_lines),
		cmocka_unit_test(test_log_read_bad_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
