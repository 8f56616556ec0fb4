/* test_book_cmd.c - `tickwire book` run in-process on the real files of the
 * shared data folder. The expected books and counts were computed by an
 * independent reference (a plain dictionary of orders applying ITCH's rules,
 * written apart from dataplane/book.c) and are compared byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/test_data.h"
#include "tools/cmd.h"

#define SNIPPET "itch/12302019_SNIPPET.NASDAQ_ITCH50"
#define RITCH "itch/ex20101224.TEST_ITCH_50"
#define MULTI "pcap/nasdaq-itch50/Multiple.Packets.pcap"

struct run {
	int rc;
	char *out, *err;
	size_t out_len, err_len;
};

/* Run cmd_book with args (NULL-terminated; "@FILE" is replaced by the data
 * file's path). */
static void run_book(struct run *r, const char *file, const char *const *args)
{
	char path[512], *argv[16];
	FILE *out, *err;
	int argc = 0;

	if (file)
		test_data_path(path, file);
	argv[argc++] = (char *)"book";
	for (int i = 0; args[i]; i++)
		argv[argc++] = strcmp(args[i], "@FILE") == 0 ? path : (char *)args[i];
	argv[argc] = NULL;
	out = open_memstream(&r->out, &r->out_len);
	err = open_memstream(&r->err, &r->err_len);
	assert_non_null(out);
	assert_non_null(err);
	r->rc = cmd_book(argc, argv, out, err);
	fclose(out);
	fclose(err);
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle)) {
		print_error("expected to find:\n%s\nin:\n%s\n", needle, hay);
		fail();
	}
}

static const struct {
	const char *file, *symbol, *json;
} books[] = {
	{ SNIPPET, "HDS",
	  "{\"symbol\":\"HDS\",\"bids\":[{\"price\":400700,\"qty\":100,\"orders\":1},"
	  "{\"price\":400500,\"qty\":7,\"orders\":1},{\"price\":399000,\"qty\":200,\"orders\":1},"
	  "{\"price\":398200,\"qty\":500,\"orders\":1},{\"price\":396300,\"qty\":100,\"orders\":1}],"
	  "\"asks\":[{\"price\":406000,\"qty\":100,\"orders\":1},{\"price\":408900,\"qty\":100,"
	  "\"orders\":1},{\"price\":410000,\"qty\":369,\"orders\":4},{\"price\":412000,\"qty\":30,"
	  "\"orders\":1},{\"price\":412500,\"qty\":100,\"orders\":1}]}\n" },
	{ SNIPPET, "VICI",
	  "{\"symbol\":\"VICI\",\"bids\":[{\"price\":200000,\"qty\":1500,\"orders\":15},"
	  "{\"price\":197600,\"qty\":400,\"orders\":4}],\"asks\":[{\"price\":302400,\"qty\":500,"
	  "\"orders\":5},{\"price\":303900,\"qty\":1400,\"orders\":14}]}\n" },
	{ SNIPPET, "PSQ",
	  "{\"symbol\":\"PSQ\",\"bids\":[{\"price\":243000,\"qty\":100,\"orders\":1},"
	  "{\"price\":195600,\"qty\":1100,\"orders\":11}],\"asks\":[{\"price\":246000,\"qty\":100,"
	  "\"orders\":1},{\"price\":293400,\"qty\":1000,\"orders\":10},{\"price\":293500,"
	  "\"qty\":100,\"orders\":1},{\"price\":415000,\"qty\":200,\"orders\":1}]}\n" },
	{ RITCH, "BOB",
	  "{\"symbol\":\"BOB\",\"bids\":[{\"price\":69667,\"qty\":100,\"orders\":1},"
	  "{\"price\":69583,\"qty\":100,\"orders\":1},{\"price\":69417,\"qty\":100,\"orders\":1},"
	  "{\"price\":69333,\"qty\":1300,\"orders\":5},{\"price\":69250,\"qty\":400,\"orders\":4}],"
	  "\"asks\":[{\"price\":53417,\"qty\":100,\"orders\":1},{\"price\":53500,\"qty\":100,"
	  "\"orders\":1},{\"price\":53917,\"qty\":232,\"orders\":2},{\"price\":54000,\"qty\":100,"
	  "\"orders\":1},{\"price\":54083,\"qty\":100,\"orders\":1}]}\n" },
	{ RITCH, "CHAR",
	  "{\"symbol\":\"CHAR\",\"bids\":[{\"price\":256500,\"qty\":30,\"orders\":1},"
	  "{\"price\":256000,\"qty\":100,\"orders\":1},{\"price\":253000,\"qty\":50,\"orders\":1},"
	  "{\"price\":252750,\"qty\":4,\"orders\":1},{\"price\":251500,\"qty\":3,\"orders\":1}],"
	  "\"asks\":[{\"price\":195750,\"qty\":5,\"orders\":1},{\"price\":198000,\"qty\":8,"
	  "\"orders\":2},{\"price\":198500,\"qty\":11,\"orders\":2},{\"price\":199000,\"qty\":9,"
	  "\"orders\":1},{\"price\":199500,\"qty\":13,\"orders\":2}]}\n" },
	{ RITCH, "ALC",
	  "{\"symbol\":\"ALC\",\"bids\":[{\"price\":270600,\"qty\":100,\"orders\":1},"
	  "{\"price\":270533,\"qty\":100,\"orders\":1},{\"price\":270467,\"qty\":14,\"orders\":1},"
	  "{\"price\":269600,\"qty\":15,\"orders\":1},{\"price\":267600,\"qty\":25,\"orders\":1}],"
	  "\"asks\":[{\"price\":205400,\"qty\":100,\"orders\":1},{\"price\":214200,\"qty\":100,"
	  "\"orders\":1},{\"price\":216600,\"qty\":9,\"orders\":1},{\"price\":218400,\"qty\":69,"
	  "\"orders\":1},{\"price\":220067,\"qty\":100,\"orders\":1}]}\n" },
};

static void test_json_books_match_reference(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(books) / sizeof(books[0]); i++) {
		const char *args[] = { "@FILE", "--json", "--symbol", books[i].symbol, "--quiet",
				       NULL };
		struct run r;

		run_book(&r, books[i].file, args);
		assert_int_equal(r.rc, 0);
		if (strcmp(r.out, books[i].json) != 0) {
			print_error("%s %s:\n got  %s want %s", books[i].file, books[i].symbol, r.out,
				    books[i].json);
			fail();
		}
		run_free(&r);
	}
}

static void test_stats_snippet(void **state)
{
	const char *args[] = { "@FILE", "--quiet", NULL };
	struct run r;
	(void)state;

	run_book(&r, SNIPPET, args);
	assert_int_equal(r.rc, 0);
	assert_contains(r.out, "1000 messages, 0 gaps");
	assert_contains(r.out, "messages by type: A=367 C=1 D=167 E=28 F=193 I=4 P=4 Q=4 S=1 "
			       "U=225 X=6\n");
	/* 394 refer to orders added before the snippet starts, 5 more to the
	 * new references of replaces of such orders. */
	assert_contains(r.out, "book: 185 symbols with orders, 532 orders live");
	assert_contains(r.out, "refused: unknown-ref=399 duplicate-ref=0");
	assert_contains(r.out, "itch-short=0 itch-unknown=0 itch-empty=0 itch-long=0\n");
	run_free(&r);
}

static void test_stats_ritch_crossed(void **state)
{
	const char *args[] = { "@FILE", "--quiet", NULL };
	struct run r;
	(void)state;

	run_book(&r, RITCH, args);
	assert_int_equal(r.rc, 0);
	assert_contains(r.out, "12012 messages");
	assert_contains(r.out, "A=4997 D=1745 E=198 F=3 H=3 P=5000 R=3 S=6 U=12 X=45\n");
	/* The sample was altered (prices rescaled): every book ends crossed. */
	assert_contains(r.out, "book: 3 symbols with orders, 3204 orders live (peak 3205), "
			       "0 stale, 3 crossed\n");
	assert_contains(r.out, "unknown-ref=117");
	run_free(&r);
}

static void test_at_time(void **state)
{
	const char *args[] = { "@FILE", "--at", "09:30:00.001268808", "--quiet", NULL };
	const char *json[] = { "@FILE", "--at", "09:30:00.001268808", "--json", "--symbol",
			       "PSQ", "--depth", "3", "--quiet", NULL };
	struct run r;
	(void)state;

	run_book(&r, SNIPPET, args);
	assert_int_equal(r.rc, 0);
	assert_contains(r.out, "501 messages");
	assert_contains(r.out, "121 symbols with orders, 266 orders live");
	assert_contains(r.out, "unknown-ref=195 ");
	run_free(&r);
	run_book(&r, SNIPPET, json);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out,
			    "{\"symbol\":\"PSQ\",\"bids\":[{\"price\":195600,\"qty\":1100,"
			    "\"orders\":11}],\"asks\":[{\"price\":293400,\"qty\":1000,\"orders\":10},"
			    "{\"price\":293500,\"qty\":100,\"orders\":1},{\"price\":415000,"
			    "\"qty\":200,\"orders\":1}]}\n");
	run_free(&r);
}

static void test_pcap_multiple_packets(void **state)
{
	const char *args[] = { "@FILE", "--quiet", NULL };
	const char *text[] = { "@FILE", "--symbol", "META", "--depth", "2", "--quiet", NULL };
	struct run r;
	(void)state;

	run_book(&r, MULTI, args);
	assert_int_equal(r.rc, 0);
	/* Two datagrams far apart in sequence: one real gap, given up at the
	 * end of the capture. */
	assert_contains(r.out, "feed: 2 frames, 2 packets, 39 messages, 1 gaps");
	assert_contains(r.out, "messages by type: A=36 D=1 F=2\n");
	run_free(&r);
	run_book(&r, MULTI, text);
	assert_int_equal(r.rc, 0);
	assert_contains(r.out, "META (locate 6514): 38 orders");
	run_free(&r);
}

static void test_errors(void **state)
{
	static const struct {
		const char *args[6];
		int rc;
		const char *msg;
	} cases[] = {
		{ { NULL }, EX_USAGE, "missing 'CAPTURE'" },
		{ { "@FILE", "--depth", "0", NULL }, EX_USAGE, "--depth takes 1..1000" },
		{ { "@FILE", "--depth", "x", NULL }, EX_USAGE, "--depth" },
		{ { "@FILE", "--at", "25:00:00", NULL }, EX_USAGE, "--at takes" },
		{ { "@FILE", "--at", "09:30:00.1234567890", NULL }, EX_USAGE, "--at takes" },
		{ { "@FILE", "--symbol", "TOOLONGNAME", NULL }, EX_USAGE, "--symbol" },
		{ { "@FILE", "--bogus", NULL }, EX_USAGE, "--bogus" },
		{ { "@FILE", "--symbol", "NOPE", "--quiet", NULL }, EX_DATAERR, "'NOPE' is not in" },
		{ { "/nonexistent/capture.pcap", NULL }, EX_NOINPUT, "cannot open" },
		{ { "@FILE", "extra", NULL }, EX_USAGE, "extra" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r;

		run_book(&r, SNIPPET, cases[i].args);
		if (r.rc != cases[i].rc || !strstr(r.err, cases[i].msg)) {
			print_error("case %zu: rc %d (want %d), err: %s\n", i, r.rc, cases[i].rc,
				    r.err);
			fail();
		}
		run_free(&r);
	}
}

static void test_not_itch(void **state)
{
	const char *args[] = { "@FILE", "--quiet", NULL };
	const char *ouch[] = { "@FILE", "--quiet", NULL };
	struct run r;
	(void)state;

	/* A file that is neither a capture nor binary ITCH. */
	run_book(&r, "README.md", args);
	assert_int_equal(r.rc, EX_DATAERR);
	assert_contains(r.err, "neither a pcap/pcapng capture nor a binary ITCH 5.0 file");
	run_free(&r);
	/* TCP (OUCH) packets are counted as not UDP, never decoded; a capture
	 * with no ITCH message is bad data. */
	run_book(&r, "pcap/nasdaq-ouch50/EnterOrderMessage.pcap", ouch);
	assert_int_equal(r.rc, EX_DATAERR);
	assert_contains(r.out, "0 messages");
	assert_contains(r.out, "non-udp=1");
	assert_contains(r.err, "no ITCH 5.0 messages in");
	run_free(&r);
}

/* Hostile files: a directory, an empty device, a capture cut short. The
 * cut capture still prints the books up to the damage, then exits 65. */
static void test_hostile_files(void **state)
{
	const char *dir[] = { "/tmp", "--quiet", NULL };
	const char *null[] = { "/dev/null", "--quiet", NULL };
	char src[512], cut[] = "/tmp/tw_book_cut_XXXXXX";
	const char *cutargs[] = { cut, "--quiet", NULL };
	unsigned char buf[1200];
	struct run r;
	FILE *in, *o;
	size_t n;
	int fd;
	(void)state;

	run_book(&r, NULL, dir);
	assert_int_equal(r.rc, EX_NOINPUT);
	assert_contains(r.err, "is a directory");
	run_free(&r);
	run_book(&r, NULL, null);
	assert_int_equal(r.rc, EX_DATAERR);
	assert_contains(r.err, "not a pcap/pcapng capture");
	run_free(&r);

	/* Multiple.Packets.pcap cut inside its second (1,518-byte) record. */
	test_data_path(src, MULTI);
	in = fopen(src, "rb");
	assert_non_null(in);
	n = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	assert_int_equal(n, sizeof(buf));
	fd = mkstemp(cut);
	assert_true(fd >= 0);
	o = fdopen(fd, "wb");
	assert_int_equal(fwrite(buf, 1, n, o), n);
	fclose(o);
	run_book(&r, NULL, cutargs);
	assert_int_equal(r.rc, EX_DATAERR);
	assert_contains(r.err, "truncated");
	assert_contains(r.out, "1 frames, 1 packets, 1 messages"); /* the first record */
	run_free(&r);
	unlink(cut);
}

static void test_help(void **state)
{
	const char *args[] = { "--help", NULL };
	struct run r;
	(void)state;

	run_book(&r, NULL, args);
	assert_int_equal(r.rc, 0);
	assert_contains(r.out, "usage: tickwire book CAPTURE");
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_books_match_reference),
		cmocka_unit_test(test_stats_snippet),
		cmocka_unit_test(test_stats_ritch_crossed),
		cmocka_unit_test(test_at_time),
		cmocka_unit_test(test_pcap_multiple_packets),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_not_itch),
		cmocka_unit_test(test_hostile_files),
		cmocka_unit_test(test_help),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
