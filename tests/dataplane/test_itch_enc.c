/* test_itch_enc.c - ITCH 5.0 encoding (dataplane/itch_enc.c): every type
 * round-trips through itch_decode field for field, the 1,000 real Nasdaq
 * messages of ../shared/data/itch re-encode to identical bytes, and short
 * buffers (ending right before a guard page) get -ENOSPC without a write. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "dataplane/binfile.h"
#include "dataplane/itch.h"
#include "dataplane/itch_enc.h"
#include "tests/test_data.h"

#define SNIPPET "itch/12302019_SNIPPET.NASDAQ_ITCH50"

static const char all_types[] = "SRHYLVWKJhAFECXDUPQBINO";

/* A message of `type` with a distinct value in every field, following the
 * decoder's conventions for the fields a type does not carry. */
static void sample_msg(uint8_t type, struct itch_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->locate = 0x1234;
	m->tracking = 0xBEEF;
	m->ts_ns = UINT64_C(0xA1B2C3D4E5F6); /* uses all 48 bits */
	switch (type) {
	case 'S':
		m->system_event.event_code = 'Q';
		break;
	case 'R':
		memcpy(m->directory.stock, "AAPL    ", 8);
		m->directory.market_category = 'Q';
		m->directory.financial_status = 'N';
		m->directory.round_lot_size = 100;
		m->directory.round_lots_only = 'N';
		m->directory.issue_classification = 'C';
		memcpy(m->directory.issue_sub_type, "Z ", 2);
		m->directory.authenticity = 'P';
		m->directory.short_sale_threshold = 'N';
		m->directory.ipo_flag = ' ';
		m->directory.luld_tier = '1';
		m->directory.etp_flag = 'N';
		m->directory.etp_leverage = 0x01020304;
		m->directory.inverse = 'N';
		break;
	case 'H':
		memcpy(m->trading_action.stock, "MSFT    ", 8);
		m->trading_action.state = 'T';
		m->trading_action.reserved = '!';
		memcpy(m->trading_action.reason, "LUDP", 4);
		break;
	case 'Y':
		memcpy(m->reg_sho.stock, "TSLA    ", 8);
		m->reg_sho.action = '1';
		break;
	case 'L':
		memcpy(m->mp_position.mpid, "GSCO", 4);
		memcpy(m->mp_position.stock, "IBM     ", 8);
		m->mp_position.primary = 'Y';
		m->mp_position.mode = 'N';
		m->mp_position.state = 'A';
		break;
	case 'V':
		m->mwcb_decline.level[0] = UINT64_C(0x0102030405060708);
		m->mwcb_decline.level[1] = UINT64_C(0x1112131415161718);
		m->mwcb_decline.level[2] = UINT64_C(0xF1F2F3F4F5F6F7F8);
		break;
	case 'W':
		m->mwcb_status.level = '2';
		break;
	case 'K':
		memcpy(m->ipo.stock, "NEWCO   ", 8);
		m->ipo.release_time = 37800;
		m->ipo.qualifier = 'A';
		m->ipo.price = 215000;
		break;
	case 'J':
		memcpy(m->luld.stock, "SPY     ", 8);
		m->luld.ref_price = 4000000;
		m->luld.upper = 4200000;
		m->luld.lower = 3800000;
		m->luld.extension = 3;
		break;
	case 'h':
		memcpy(m->op_halt.stock, "QQQ     ", 8);
		m->op_halt.market_code = 'Q';
		m->op_halt.action = 'H';
		break;
	case 'A':
	case 'F':
		m->add.ref = UINT64_C(0x8877665544332211);
		m->add.side = 'S';
		m->add.shares = 0xDEADBEEF;
		memcpy(m->add.stock, "ZVZZT   ", 8);
		m->add.price = 0xCAFEBABE;
		memcpy(m->add.mpid, type == 'F' ? "NITE" : "    ", 4);
		break;
	case 'E':
	case 'C':
		m->exec.ref = UINT64_C(0x0123456789ABCDEF);
		m->exec.shares = 0x7FFFFFFF;
		m->exec.match = UINT64_C(0xFEDCBA9876543210);
		m->exec.printable = type == 'C' ? 'N' : 'Y';
		m->exec.price = type == 'C' ? 1234567 : 0;
		break;
	case 'X':
		m->cancel.ref = 42;
		m->cancel.shares = 4242;
		break;
	case 'D':
		m->del.ref = UINT64_MAX;
		break;
	case 'U':
		m->replace.old_ref = 7;
		m->replace.new_ref = UINT64_C(1) << 63;
		m->replace.shares = 300;
		m->replace.price = 1000000;
		break;
	case 'P':
		m->trade.ref = 0;
		m->trade.side = 'B';
		m->trade.shares = 500;
		memcpy(m->trade.stock, "AMD     ", 8);
		m->trade.price = 1500000;
		m->trade.match = 99;
		break;
	case 'Q':
		m->cross.shares = UINT64_C(0x0000000100000002);
		memcpy(m->cross.stock, "NVDA    ", 8);
		m->cross.price = 4500000;
		m->cross.match = 1000;
		m->cross.cross_type = 'O';
		break;
	case 'B':
		m->broken.match = UINT64_C(0x5555AAAA5555AAAA);
		break;
	case 'I':
		m->noii.paired = 1;
		m->noii.imbalance = UINT64_C(0x100000000);
		m->noii.direction = 'B';
		memcpy(m->noii.stock, "GOOG    ", 8);
		m->noii.far_price = 1;
		m->noii.near_price = 2;
		m->noii.ref_price = 3;
		m->noii.cross_type = 'C';
		m->noii.price_variation = 'L';
		break;
	case 'N':
		memcpy(m->rpii.stock, "META    ", 8);
		m->rpii.flag = 'A';
		break;
	case 'O':
		memcpy(m->dlcr.stock, "DLCR    ", 8);
		m->dlcr.open_eligible = 'Y';
		m->dlcr.min_price = 100000;
		m->dlcr.max_price = 200000;
		m->dlcr.near_price = 150000;
		m->dlcr.near_time = UINT64_C(0x0011223344556677);
		m->dlcr.lower_collar = 140000;
		m->dlcr.upper_collar = 160000;
		break;
	}
}

static void print_msg(const char *what, const struct itch_msg *m)
{
	print_error("%s: type '%c' locate %u tracking %u ts %llu\n", what, m->type,
		    m->locate, m->tracking, (unsigned long long)m->ts_ns);
}

#define FIELD_EQ(f)                                                                       \
	do {                                                                              \
		if (a->f != b->f) {                                                       \
			print_error("field %s: %llu != %llu\n", #f,                     \
				    (unsigned long long)a->f, (unsigned long long)b->f);    \
			ok = 0;                                                           \
		}                                                                         \
	} while (0)
#define BYTES_EQ(f)                                                                       \
	do {                                                                              \
		if (memcmp(a->f, b->f, sizeof(a->f)) != 0) {                              \
			print_error("field %s: '%.*s' != '%.*s'\n", #f, (int)sizeof(a->f), \
				    (const char *)a->f, (int)sizeof(b->f),                 \
				    (const char *)b->f);                                    \
			ok = 0;                                                           \
		}                                                                         \
	} while (0)

/* Field-exact comparison of the fields a type carries. 1 equal, 0 not. */
static int msg_equal(const struct itch_msg *a, const struct itch_msg *b)
{
	int ok = 1;

	FIELD_EQ(type);
	FIELD_EQ(locate);
	FIELD_EQ(tracking);
	FIELD_EQ(ts_ns);
	if (!ok)
		return 0;
	switch (a->type) {
	case 'S':
		FIELD_EQ(system_event.event_code);
		break;
	case 'R':
		BYTES_EQ(directory.stock);
		FIELD_EQ(directory.market_category);
		FIELD_EQ(directory.financial_status);
		FIELD_EQ(directory.round_lot_size);
		FIELD_EQ(directory.round_lots_only);
		FIELD_EQ(directory.issue_classification);
		BYTES_EQ(directory.issue_sub_type);
		FIELD_EQ(directory.authenticity);
		FIELD_EQ(directory.short_sale_threshold);
		FIELD_EQ(directory.ipo_flag);
		FIELD_EQ(directory.luld_tier);
		FIELD_EQ(directory.etp_flag);
		FIELD_EQ(directory.etp_leverage);
		FIELD_EQ(directory.inverse);
		break;
	case 'H':
		BYTES_EQ(trading_action.stock);
		FIELD_EQ(trading_action.state);
		FIELD_EQ(trading_action.reserved);
		BYTES_EQ(trading_action.reason);
		break;
	case 'Y':
		BYTES_EQ(reg_sho.stock);
		FIELD_EQ(reg_sho.action);
		break;
	case 'L':
		BYTES_EQ(mp_position.mpid);
		BYTES_EQ(mp_position.stock);
		FIELD_EQ(mp_position.primary);
		FIELD_EQ(mp_position.mode);
		FIELD_EQ(mp_position.state);
		break;
	case 'V':
		FIELD_EQ(mwcb_decline.level[0]);
		FIELD_EQ(mwcb_decline.level[1]);
		FIELD_EQ(mwcb_decline.level[2]);
		break;
	case 'W':
		FIELD_EQ(mwcb_status.level);
		break;
	case 'K':
		BYTES_EQ(ipo.stock);
		FIELD_EQ(ipo.release_time);
		FIELD_EQ(ipo.qualifier);
		FIELD_EQ(ipo.price);
		break;
	case 'J':
		BYTES_EQ(luld.stock);
		FIELD_EQ(luld.ref_price);
		FIELD_EQ(luld.upper);
		FIELD_EQ(luld.lower);
		FIELD_EQ(luld.extension);
		break;
	case 'h':
		BYTES_EQ(op_halt.stock);
		FIELD_EQ(op_halt.market_code);
		FIELD_EQ(op_halt.action);
		break;
	case 'A':
	case 'F':
		FIELD_EQ(add.ref);
		FIELD_EQ(add.side);
		FIELD_EQ(add.shares);
		BYTES_EQ(add.stock);
		FIELD_EQ(add.price);
		BYTES_EQ(add.mpid);
		break;
	case 'E':
	case 'C':
		FIELD_EQ(exec.ref);
		FIELD_EQ(exec.shares);
		FIELD_EQ(exec.match);
		FIELD_EQ(exec.printable);
		FIELD_EQ(exec.price);
		break;
	case 'X':
		FIELD_EQ(cancel.ref);
		FIELD_EQ(cancel.shares);
		break;
	case 'D':
		FIELD_EQ(del.ref);
		break;
	case 'U':
		FIELD_EQ(replace.old_ref);
		FIELD_EQ(replace.new_ref);
		FIELD_EQ(replace.shares);
		FIELD_EQ(replace.price);
		break;
	case 'P':
		FIELD_EQ(trade.ref);
		FIELD_EQ(trade.side);
		FIELD_EQ(trade.shares);
		BYTES_EQ(trade.stock);
		FIELD_EQ(trade.price);
		FIELD_EQ(trade.match);
		break;
	case 'Q':
		FIELD_EQ(cross.shares);
		BYTES_EQ(cross.stock);
		FIELD_EQ(cross.price);
		FIELD_EQ(cross.match);
		FIELD_EQ(cross.cross_type);
		break;
	case 'B':
		FIELD_EQ(broken.match);
		break;
	case 'I':
		FIELD_EQ(noii.paired);
		FIELD_EQ(noii.imbalance);
		FIELD_EQ(noii.direction);
		BYTES_EQ(noii.stock);
		FIELD_EQ(noii.far_price);
		FIELD_EQ(noii.near_price);
		FIELD_EQ(noii.ref_price);
		FIELD_EQ(noii.cross_type);
		FIELD_EQ(noii.price_variation);
		break;
	case 'N':
		BYTES_EQ(rpii.stock);
		FIELD_EQ(rpii.flag);
		break;
	case 'O':
		BYTES_EQ(dlcr.stock);
		FIELD_EQ(dlcr.open_eligible);
		FIELD_EQ(dlcr.min_price);
		FIELD_EQ(dlcr.max_price);
		FIELD_EQ(dlcr.near_price);
		FIELD_EQ(dlcr.near_time);
		FIELD_EQ(dlcr.lower_collar);
		FIELD_EQ(dlcr.upper_collar);
		break;
	default:
		ok = 0;
	}
	return ok;
}

static void test_round_trip_every_type(void **state)
{
	(void)state;
	assert_int_equal(strlen(all_types), 23);
	for (const char *t = all_types; *t; t++) {
		uint8_t buf[64], again[64];
		struct itch_msg m, d;
		int n;

		sample_msg((uint8_t)*t, &m);
		memset(buf, 0xA5, sizeof(buf));
		n = itch_encode(&m, buf, sizeof(buf));
		if (n != itch_msg_len[(uint8_t)*t]) {
			print_msg("encode length", &m);
			fail();
		}
		/* Nothing written past the message. */
		for (size_t i = (size_t)n; i < sizeof(buf); i++)
			assert_int_equal(buf[i], 0xA5);
		memset(&d, 0x5A, sizeof(d));
		assert_int_equal(itch_decode(buf, (size_t)n, &d), n);
		if (!msg_equal(&m, &d)) {
			print_msg("round trip", &m);
			fail();
		}
		/* And the decoded struct encodes to the same bytes. */
		assert_int_equal(itch_encode(&d, again, sizeof(again)), n);
		assert_memory_equal(buf, again, (size_t)n);
	}
}

/* Spot-check absolute offsets against PROTOCOLS.md, independent of the
 * decoder: an 'A' and a 'U' written by hand. */
static void test_known_bytes(void **state)
{
	static const uint8_t want_a[ITCH_LEN_A] = {
		'A', 0x00, 0x07, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x03, 0xE8,
		0, 0, 0, 0, 0, 0, 0x30, 0x39, 'B', 0x00, 0x00, 0x00, 0x64,
		'Z', 'V', 'Z', 'Z', 'T', ' ', ' ', ' ', 0x00, 0x0F, 0x42, 0x40,
	};
	static const uint8_t want_u[ITCH_LEN_U] = {
		'U', 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
		0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 6,
		0x00, 0x00, 0x01, 0x2C, 0x00, 0x00, 0x27, 0x10,
	};
	struct itch_msg m;
	uint8_t buf[64];

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = 'A';
	m.locate = 7;
	m.tracking = 2;
	m.ts_ns = 1000;
	m.add.ref = 12345;
	m.add.side = 'B';
	m.add.shares = 100;
	memcpy(m.add.stock, "ZVZZT   ", 8);
	m.add.price = 1000000; /* $100.0000 */
	assert_int_equal(itch_encode(&m, buf, sizeof(buf)), ITCH_LEN_A);
	assert_memory_equal(buf, want_a, ITCH_LEN_A);

	memset(&m, 0, sizeof(m));
	m.type = 'U';
	m.locate = 1;
	m.ts_ns = 1;
	m.replace.old_ref = 5;
	m.replace.new_ref = 6;
	m.replace.shares = 300;
	m.replace.price = 10000;
	assert_int_equal(itch_encode(&m, buf, sizeof(buf)), ITCH_LEN_U);
	assert_memory_equal(buf, want_u, ITCH_LEN_U);
}

static uint8_t *load(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f) {
		print_error("cannot open %s (run from the project root)\n", path);
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void test_real_messages_reencode_exactly(void **state)
{
	unsigned counts[256] = { 0 }, n = 0;
	enum binfile_framing fr;
	struct binfile_reader r;
	const uint8_t *msg;
	size_t len = 0, mlen;
	char path[512];
	uint8_t *buf;
	int rc;

	(void)state;
	test_data_path(path, SNIPPET);
	buf = load(path, &len);
	assert_non_null(buf);
	assert_int_equal(binfile_detect(buf, len, &fr), 0);
	assert_int_equal(fr, BINFILE_LEN16);
	binfile_init(&r, buf, len, fr);
	while ((rc = binfile_next(&r, &msg, &mlen)) == 1) {
		uint8_t out[64];
		struct itch_msg m;
		int d = itch_decode(msg, mlen, &m), e;

		assert_int_equal(d, (int)mlen);
		e = itch_encode(&m, out, sizeof(out));
		if (e != d || memcmp(out, msg, mlen) != 0) {
			print_error("message %u type '%c': re-encoding differs\n", n, msg[0]);
			for (size_t i = 0; i < mlen; i++)
				if (out[i] != msg[i])
					print_error("  byte %zu: want %02x got %02x\n", i, msg[i],
						    out[i]);
			fail();
		}
		counts[m.type]++;
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 1000);
	assert_int_equal(counts['A'], 367);
	assert_int_equal(counts['U'], 225);
	free(buf);
}

/* Every type with cap = len - 1 (and 0) ends right before a guard page:
 * -ENOSPC and not one byte written; cap = len fits exactly. */
static void test_short_buffer_enospc(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *mem = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *guard;

	(void)state;
	assert_true(mem != MAP_FAILED);
	guard = mem + page;
	assert_int_equal(mprotect(guard, (size_t)page, PROT_NONE), 0);
	for (const char *t = all_types; *t; t++) {
		size_t len = itch_msg_len[(uint8_t)*t];
		struct itch_msg m;
		uint8_t *p;

		sample_msg((uint8_t)*t, &m);
		p = guard - len;
		memset(p, 0xEE, len);
		assert_int_equal(itch_encode(&m, p + 1, len - 1), -ENOSPC);
		for (size_t i = 0; i < len; i++)
			assert_int_equal(p[i], 0xEE);
		assert_int_equal(itch_encode(&m, guard, 0), -ENOSPC);
		assert_int_equal(itch_encode(&m, p, len), (int)len);
	}
	munmap(mem, (size_t)page * 2);
}

static void test_unknown_type_einval(void **state)
{
	struct itch_msg m;
	uint8_t buf[64];

	(void)state;
	memset(&m, 0, sizeof(m));
	for (int t = 0; t < 256; t++) {
		m.type = (uint8_t)t;
		if (itch_msg_len[t])
			continue;
		assert_int_equal(itch_encode(&m, buf, sizeof(buf)), -EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_type),
		cmocka_unit_test(test_known_bytes),
		cmocka_unit_test(test_real_messages_reencode_exactly),
		cmocka_unit_test(test_short_buffer_enospc),
		cmocka_unit_test(test_unknown_type_einval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
