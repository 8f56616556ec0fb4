/* test_itch.c - ITCH 5.0 decoding against the real Nasdaq files in
 * ../shared/data/itch (counts by type, field-exact messages), every type's
 * length, and truncated/unknown input placed before a guard page. */
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
#include "tests/test_data.h"

#define SNIPPET "itch/12302019_SNIPPET.NASDAQ_ITCH50"
#define RITCH "itch/ex20101224.TEST_ITCH_50"

/* Load a file of the shared data folder (rel to it) into memory. */
static uint8_t *load(const char *rel, size_t *len)
{
	char path[512];
	uint8_t *buf;
	FILE *f;
	long n;

	test_data_path(path, rel);
	f = fopen(path, "rb");
	if (!f) {
		print_error("cannot open %s\n", path);
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

struct expect_count {
	char type;
	unsigned count;
};

static void count_file(const char *path, enum binfile_framing want_framing, unsigned total,
		       const struct expect_count *exp, size_t nexp)
{
	unsigned counts[256] = { 0 }, n = 0;
	enum binfile_framing fr;
	struct binfile_reader r;
	const uint8_t *msg;
	size_t len, mlen;
	uint8_t *buf = load(path, &len);
	int rc;

	assert_non_null(buf);
	assert_int_equal(binfile_detect(buf, len, &fr), 0);
	assert_int_equal(fr, want_framing);
	binfile_init(&r, buf, len, fr);
	while ((rc = binfile_next(&r, &msg, &mlen)) == 1) {
		struct itch_msg m;
		int d = itch_decode(msg, mlen, &m);

		if (d != (int)mlen) {
			print_error("%s: message %u type '%c' len %zu decoded %d\n", path, n, msg[0],
				    mlen, d);
			fail();
		}
		counts[m.type]++;
		n++;
	}
	assert_int_equal(rc, 0); /* zero framing errors, clean end */
	assert_int_equal(n, total);
	for (size_t i = 0; i < nexp; i++) {
		if (counts[(uint8_t)exp[i].type] != exp[i].count) {
			print_error("%s: type '%c' count %u, want %u\n", path, exp[i].type,
				    counts[(uint8_t)exp[i].type], exp[i].count);
			fail();
		}
	}
	free(buf);
}

static void test_snippet_counts(void **state)
{
	static const struct expect_count exp[] = {
		{ 'A', 367 }, { 'F', 193 }, { 'U', 225 }, { 'D', 167 }, { 'E', 28 }, { 'X', 6 },
		{ 'C', 1 }, { 'P', 4 }, { 'Q', 4 }, { 'I', 4 }, { 'S', 1 }, { 'R', 0 },
	};
	(void)state;
	count_file(SNIPPET, BINFILE_LEN16, 1000, exp, ARRAY_SIZE(exp));
}

static void test_ritch_counts(void **state)
{
	static const struct expect_count exp[] = {
		{ 'A', 4997 }, { 'P', 5000 }, { 'D', 1745 }, { 'E', 198 }, { 'X', 45 },
		{ 'U', 12 }, { 'S', 6 }, { 'R', 3 }, { 'H', 3 }, { 'F', 3 },
	};
	(void)state;
	count_file(RITCH, BINFILE_ZERO16, 12012, exp, ARRAY_SIZE(exp));
}

/* The i-th message of the snippet. */
static void snippet_msg(unsigned idx, struct itch_msg *m)
{
	struct binfile_reader r;
	const uint8_t *msg = NULL;
	size_t len, mlen = 0;
	uint8_t *buf = load(SNIPPET, &len);

	assert_non_null(buf);
	binfile_init(&r, buf, len, BINFILE_LEN16);
	for (unsigned i = 0; i <= idx; i++)
		assert_int_equal(binfile_next(&r, &msg, &mlen), 1);
	assert_int_equal(itch_decode(msg, mlen, m), (int)mlen);
	free(buf);
}

static void test_snippet_fields(void **state)
{
	struct itch_msg m;
	(void)state;

	snippet_msg(0, &m); /* D */
	assert_int_equal(m.type, 'D');
	assert_int_equal(m.locate, 3041);
	assert_int_equal(m.ts_ns, 34200000000230ull); /* 09:30:00.000000230 */
	assert_int_equal(m.del.ref, 4851694);

	snippet_msg(5, &m); /* A */
	assert_int_equal(m.type, 'A');
	assert_int_equal(m.locate, 0x20bd);
	assert_int_equal(m.tracking, 0);
	assert_int_equal(m.ts_ns, 0x1f1acedb597bull);
	assert_int_equal(m.add.ref, 0x970c7c);
	assert_int_equal(m.add.side, 'B');
	assert_int_equal(m.add.shares, 100);
	assert_memory_equal(m.add.stock, "VIXM    ", 8);
	assert_int_equal(m.add.price, 213300);
	assert_memory_equal(m.add.mpid, "    ", 4);

	snippet_msg(7, &m); /* F */
	assert_int_equal(m.type, 'F');
	assert_int_equal(m.add.ref, 0x729047);
	assert_memory_equal(m.add.stock, "PGF     ", 8);
	assert_int_equal(m.add.price, 0x2cad8);
	assert_memory_equal(m.add.mpid, "FLTG", 4);

	snippet_msg(4, &m); /* U */
	assert_int_equal(m.type, 'U');
	assert_int_equal(m.replace.old_ref, 0x554672);
	assert_int_equal(m.replace.new_ref, 0x569e5a);
	assert_int_equal(m.replace.shares, 1000);
	assert_int_equal(m.replace.price, 0x1c758c);

	snippet_msg(1, &m); /* E */
	assert_int_equal(m.type, 'E');
	assert_int_equal(m.tracking, 2);
	assert_int_equal(m.exec.ref, 0x77de35);
	assert_int_equal(m.exec.shares, 80);
	assert_int_equal(m.exec.match, 0xd0e6);
	assert_int_equal(m.exec.printable, 'Y');

	snippet_msg(307, &m); /* C */
	assert_int_equal(m.type, 'C');
	assert_int_equal(m.exec.ref, 0x56961a);
	assert_int_equal(m.exec.shares, 54);
	assert_int_equal(m.exec.match, 0xd0f8);
	assert_int_equal(m.exec.printable, 'N');
	assert_int_equal(m.exec.price, 0x62b4c);

	snippet_msg(484, &m); /* X */
	assert_int_equal(m.cancel.ref, 0x77aefd);
	assert_int_equal(m.cancel.shares, 200);

	snippet_msg(262, &m); /* P */
	assert_int_equal(m.type, 'P');
	assert_int_equal(m.trade.ref, 0);
	assert_int_equal(m.trade.side, 'B');
	assert_int_equal(m.trade.shares, 84);
	assert_memory_equal(m.trade.stock, "ROKU    ", 8);
	assert_int_equal(m.trade.price, 0x1502e8);
	assert_int_equal(m.trade.match, 0xd0ef);

	snippet_msg(308, &m); /* Q */
	assert_int_equal(m.cross.shares, 0x1829);
	assert_memory_equal(m.cross.stock, "HDS     ", 8);
	assert_int_equal(m.cross.price, 0x62b4c);
	assert_int_equal(m.cross.match, 0xd0f9);
	assert_int_equal(m.cross.cross_type, 'O');

	snippet_msg(24, &m); /* I */
	assert_int_equal(m.noii.paired, 0x4f);
	assert_int_equal(m.noii.imbalance, 0);
	assert_int_equal(m.noii.direction, 'N');
	assert_memory_equal(m.noii.stock, "BATRK   ", 8);
	assert_int_equal(m.noii.far_price, 0x4856c);
	assert_int_equal(m.noii.near_price, 0x4856c);
	assert_int_equal(m.noii.ref_price, 0x4856c);
	assert_int_equal(m.noii.cross_type, 'O');
	assert_int_equal(m.noii.price_variation, 'L');

	snippet_msg(2, &m); /* S */
	assert_int_equal(m.system_event.event_code, 'Q');
}

static void test_length_table(void **state)
{
	/* PROTOCOLS.md quick size list. */
	static const char types[] = "SRHYLVWKJhAFECXDUPQBINO";
	static const uint8_t lens[] = { 12, 39, 25, 20, 26, 35, 12, 28, 35, 21, 36, 40,
					31, 36, 23, 19, 35, 44, 40, 19, 50, 20, 48 };
	unsigned known = 0;
	(void)state;

	for (size_t i = 0; i < sizeof(lens); i++)
		assert_int_equal(itch_msg_len[(uint8_t)types[i]], lens[i]);
	for (int t = 0; t < 256; t++)
		known += itch_msg_len[t] != 0;
	assert_int_equal(known, 23);
	assert_string_equal(itch_type_name('A'), "add order");
	assert_string_equal(itch_type_name('z'), "unknown");
}

/* Every type at every truncated length, ending right before a PROT_NONE page:
 * an over-read faults. The full length decodes. */
static void test_truncation_guard_page(void **state)
{
	static const char types[] = "SRHYLVWKJhAFECXDUPQBINO";
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *mem = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *guard;
	(void)state;

	assert_true(mem != MAP_FAILED);
	guard = mem + page;
	assert_int_equal(mprotect(guard, (size_t)page, PROT_NONE), 0);
	for (size_t t = 0; t < sizeof(types) - 1; t++) {
		uint8_t need = itch_msg_len[(uint8_t)types[t]];

		for (size_t len = 0; len <= need; len++) {
			uint8_t *p = guard - len;
			struct itch_msg m;
			int rc;

			memset(p, 0xA5, len);
			if (len)
				p[0] = (uint8_t)types[t];
			rc = itch_decode(p, len, &m);
			if (len == 0)
				assert_int_equal(rc, -ITCH_EEMPTY);
			else if (len < need)
				assert_int_equal(rc, -ITCH_ESHORT);
			else
				assert_int_equal(rc, need);
		}
	}
	for (int t = 0; t < 256; t++) {
		uint8_t *p = guard - 1;
		struct itch_msg m;

		if (itch_msg_len[t])
			continue;
		p[0] = (uint8_t)t;
		assert_int_equal(itch_decode(p, 1, &m), -ITCH_EUNKNOWN);
	}
	munmap(mem, (size_t)page * 2);
}

static void test_binfile_malformed(void **state)
{
	static const struct {
		const char *name;
		uint8_t bytes[8];
		size_t len;
		int detect;  /* binfile_detect result */
	} cases[] = {
		{ "too short", { 0x00 }, 1, -EINVAL },
		{ "len16 unknown type", { 0x00, 0x0c, 'z', 0 }, 4, -EINVAL },
		{ "len16 truncated", { 0x00, 0x0c, 'S', 0 }, 4, -EINVAL },
		{ "zero16 truncated", { 0x00, 0x00, 'S', 0 }, 4, -EINVAL },
		{ "len16 shorter than type", { 0x00, 0x02, 'S', 0, 0 }, 5, -EINVAL },
	};
	enum binfile_framing fr;
	struct binfile_reader r;
	const uint8_t *msg;
	size_t mlen;
	uint8_t two[2 + 12 + 3] = { 0x00, 0x0c, 'S' };
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (binfile_detect(cases[i].bytes, cases[i].len, &fr) != cases[i].detect) {
			print_error("case '%s'\n", cases[i].name);
			fail();
		}
	}
	/* A good frame, then a 3-byte frame whose length runs past the end. */
	two[14] = 0x00;
	two[15] = 0x09;
	two[16] = 'S';
	binfile_init(&r, two, sizeof(two), BINFILE_LEN16);
	assert_int_equal(binfile_next(&r, &msg, &mlen), 1);
	assert_int_equal(mlen, 12);
	assert_int_equal(binfile_next(&r, &msg, &mlen), -EPROTO);
	assert_int_equal(binfile_next(&r, &msg, &mlen), -EPROTO); /* stays put */
	/* Zero framing with a non-zero prefix. */
	binfile_init(&r, two, sizeof(two), BINFILE_ZERO16);
	assert_int_equal(binfile_next(&r, &msg, &mlen), -EPROTO);
	/* Empty input is a clean end. */
	binfile_init(&r, two, 0, BINFILE_LEN16);
	assert_int_equal(binfile_next(&r, &msg, &mlen), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snippet_counts),
		cmocka_unit_test(test_ritch_counts),
		cmocka_unit_test(test_snippet_fields),
		cmocka_unit_test(test_length_table),
		cmocka_unit_test(test_truncation_guard_page),
		cmocka_unit_test(test_binfile_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
