/* test_hist.c - cmocka tests of `tickwire hist` (tools/cmd_hist.c), run
 * in-process on memory streams and temporary files: the .hgrm table and
 * footer, whitespace/CRLF tolerance, --scale, --expected-interval, --log,
 * every bad-input class (exit 65, message naming the line), --help, bad
 * options (64), unreadable input (66) and write errors (74). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "bench/hdr.h"
#include "bench/hdr_log.h"
#include "tools/cmd.h"

#define MAX_ARGS 16

static char tmp_dir[64];

struct run {
	int rc;
	char *out, *err;
	size_t out_len, err_len;
};

/* Run cmd_hist with args (NULL-terminated) on input text (len bytes), or
 * with in == NULL-input when input is NULL. */
static void run_hist_n(struct run *r, const char *input, size_t len, const char *const *args,
		       FILE *out_override)
{
	char *argv[MAX_ARGS + 2];
	FILE *in = tmpfile(), *out, *err;
	int argc = 0, i;

	assert_non_null(in);
	if (input && len)
		assert_int_equal(fwrite(input, 1, len, in), len);
	rewind(in);
	argv[argc++] = strdup("hist");
	for (i = 0; args && args[i]; i++) {
		assert_true(argc < MAX_ARGS);
		argv[argc++] = strdup(args[i]);
	}
	argv[argc] = NULL;
	r->out = r->err = NULL;
	out = out_override ? out_override : open_memstream(&r->out, &r->out_len);
	err = open_memstream(&r->err, &r->err_len);
	assert_non_null(out);
	assert_non_null(err);
	r->rc = cmd_hist(argc, argv, in, out, err);
	if (!out_override)
		fclose(out);
	fclose(err);
	fclose(in);
	for (i = 0; i < argc; i++)
		free(argv[i]);
	if (!r->out)
		r->out = strdup("");
}

static void run_hist(struct run *r, const char *input, const char *const *args)
{
	run_hist_n(r, input, input ? strlen(input) : 0, args, NULL);
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle)) {
		print_error("missing: [%s]\nin: [%s]\n", needle, hay);
		fail();
	}
}

static char *path_in_tmp(const char *name)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s/%s", tmp_dir, name);
	return buf;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* 1, 2, 3, 4 with one tick per half distance, default range (22 buckets). */
static const char small_table[] =
	"       Value   Percentile   TotalCount 1/(1-Percentile)\n"
	"\n"
	"       1.000     0.000000            1         1.00\n"
	"       2.000     0.500000            2         2.00\n"
	"       3.000     0.750000            3         4.00\n"
	"       4.000     0.875000            4         8.00\n"
	"       4.000     1.000000            4          inf\n"
	"#[Mean    =        2.500, StdDeviation   =        1.118]\n"
	"#[Max     =        4.000, Total count    =            4]\n"
	"#[Buckets =           22, SubBuckets     =         2048]\n";

static void test_good_input_exact_table(void **state)
{
	static const char *const args[] = { "--ticks-per-half", "1", NULL };
	static const char *const inputs[] = {
		"1\n2\n3\n4\n",
		"  1\r\n\n\t2 \r\n3\n\n4",  /* blanks, CRLF, no final newline */
		"4\n3\n2\n1\n\n\n",
		"+1\n2\n3\n0004\n",
	};
	size_t i;
	struct run r;

	(void)state;
	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		run_hist(&r, inputs[i], args);
		assert_int_equal(r.rc, 0);
		assert_string_equal(r.err, "");
		if (strcmp(r.out, small_table) != 0) {
			print_error("input %zu:\n%s", i, r.out);
			fail();
		}
		run_free(&r);
	}
}

static void test_file_argument_and_dash(void **state)
{
	const char *path = path_in_tmp("small.txt");
	const char *args_file[] = { "--ticks-per-half=1", path, NULL };
	const char *args_dash[] = { "-", "--ticks-per-half", "1", NULL };
	struct run r;

	(void)state;
	write_file(path, "1\n2\n3\n4\n");
	run_hist(&r, "999\n", args_file); /* stdin is ignored */
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, small_table);
	run_free(&r);
	run_hist(&r, "1\n2\n3\n4\n", args_dash);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.out, small_table);
	run_free(&r);
}

/* 10,000 x 1000 and one 100,000,000: HdrHistogram_c's standard data. */
static char *std_input(void)
{
	char *s = malloc(10000 * 5 + 16);
	size_t i, o = 0;

	assert_non_null(s);
	for (i = 0; i < 10000; i++) {
		memcpy(s + o, "1000\n", 5);
		o += 5;
	}
	strcpy(s + o, "100000000\n");
	return s;
}

static void test_default_ticks_and_scale(void **state)
{
	static const char *const scale_args[] = { "--scale", "1000", NULL };
	char *input = std_input();
	struct run r;

	(void)state;
	run_hist(&r, input, NULL);
	assert_int_equal(r.rc, 0);
	assert_contains(r.out, "    1000.000     0.100000        10000         1.11\n");
	assert_contains(r.out, "100007935.000     0.999902        10001     10240.00\n");
	assert_contains(r.out, "#[Mean    =    10996.417, StdDeviation   =   999641.716]\n"
			       "#[Max     = 100007935.000, Total count    =        10001]\n"
			       "#[Buckets =           22, SubBuckets     =         2048]\n");
	run_free(&r);
	run_hist(&r, input, scale_args);
	assert_int_equal(r.rc, 0);
	assert_contains(r.out, "       1.000     0.000000        10000         1.00\n");
	assert_contains(r.out, "#[Max     =   100007.935, Total count    =        10001]\n");
	run_free(&r);
	free(input);
}

static void test_expected_interval(void **state)
{
	static const char *const args[] = { "--expected-interval", "10000", NULL };
	static const char *const huge[] = { "--expected-interval", "1", NULL };
	char *input = std_input();
	struct run r;

	(void)state;
	run_hist(&r, input, args);
	assert_int_equal(r.rc, 0);
	/* Corrected: 20000 values, mean (1000 + 5e7) / 2 in equivalent values. */
	assert_contains(r.out, "#[Mean    = 25003006.699, StdDeviation   = 32276410.479]\n"
			       "#[Max     = 100007935.000, Total count    =        20000]\n");
	run_free(&r);
	/* 3.6e9 values re-created from one: bucket-wise, instant. */
	run_hist(&r, "3600000000\n", huge);
	assert_int_equal(r.rc, 0);
	assert_contains(r.out, "Total count    =   3600000000]\n");
	run_free(&r);
	free(input);
}

/* Corrected counts that would overflow the 64-bit total are refused with
 * the line, not recorded (signed overflow under UBSan before the fix). */
static void test_expected_interval_overflow(void **state)
{
	static const char *const args[] = { "--highest", "9223372036854775807",
					     "--expected-interval", "1", NULL };
	struct run r;

	(void)state;
	run_hist(&r, "9000000000000000000\n9000000000000000000\n", args);
	assert_int_equal(r.rc, 65);
	assert_contains(r.err, "<stdin>:2: total count would overflow");
	assert_string_equal(r.out, "");
	run_free(&r);
}

static void test_other_config(void **state)
{
	static const char *const args[] = { "--digits", "2", "--lowest", "10", "--highest",
					    "100000", NULL };
	struct run r;

	(void)state;
	run_hist(&r, "5\n100000\n", args);
	assert_int_equal(r.rc, 0);
	/* unit magnitude 3, 256 sub-buckets: 2048 << 6 > 100000 -> 7 buckets */
	assert_contains(r.out, "#[Buckets =            7, SubBuckets     =          256]\n");
	assert_contains(r.out, "        7.00     0.000000            1         1.00\n");
	run_free(&r);
}

static void test_log_option(void **state)
{
	const char *path = path_in_tmp("hist.hlog");
	const char *args[] = { "--log", path, "--scale", "1000", "--expected-interval", "10000",
			       NULL };
	char *input = std_input();
	struct hdr_cfg cfg = { 1, INT64_C(3600000000), 3 };
	struct hdr *want = malloc(hdr_memsize(&cfg)), *got = malloc(hdr_memsize(&cfg));
	struct hdr_log_reader rd;
	struct hdr_log_entry e;
	struct run r;
	FILE *f;
	int i;
	time_t now = time(NULL);

	(void)state;
	assert_non_null(want);
	assert_non_null(got);
	assert_int_equal(hdr_init(want, &cfg), 0);
	for (i = 0; i < 10000; i++)
		hdr_record_corrected(want, 1000, 10000);
	hdr_record_corrected(want, 100000000, 10000);
	run_hist(&r, input, args);
	assert_int_equal(r.rc, 0);
	assert_contains(r.out, "Total count    =        20000]");
	run_free(&r);

	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(hdr_log_reader_init(&rd, f), 0);
	assert_int_equal(hdr_log_read(&rd, &e), 1);
	assert_int_equal(rd.major, 1);
	assert_int_equal(rd.minor, 3);
	assert_true(rd.start_time_s >= (double)now - 5 && rd.start_time_s <= (double)now + 5);
	assert_true(e.start_s == 0.0);
	assert_true(e.max == 100007.935); /* max / --scale */
	assert_int_equal(hdr_log_reader_decode(&rd, got, hdr_memsize(&cfg), NULL), 0);
	assert_int_equal(got->total_count, want->total_count);
	assert_memory_equal(got->counts, want->counts, (size_t)want->counts_len * 8);
	assert_int_equal(hdr_max(got), hdr_max(want));
	assert_int_equal(hdr_log_read(&rd, &e), 0); /* exactly one interval */
	hdr_log_reader_fini(&rd);
	fclose(f);
	free(want);
	free(got);
	free(input);
}

static void test_bad_input_classes(void **state)
{
	static const struct {
		const char *input;
		const char *msg;
	} cases[] = {
		{ "1\n2\nabc\n", "tickwire hist: <stdin>:3: 'abc' is not an integer\n" },
		{ "1\n-5\n", "tickwire hist: <stdin>:2: '-5' is negative\n" },
		{ "-99999999999999999999\n", "<stdin>:1: '-99999999999999999999' is negative\n" },
		{ "12ms\n", "<stdin>:1: '12ms' has junk after the integer\n" },
		{ "1 2\n", "<stdin>:1: '1 2' has junk after the integer\n" },
		{ "1.5\n", "<stdin>:1: '1.5' has junk after the integer\n" },
		{ "0x10\n", "<stdin>:1: '0x10' has junk after the integer\n" },
		{ "+\n", "<stdin>:1: '+' is not an integer\n" },
		{ "-\n", "<stdin>:1: '-' is not an integer\n" },
		{ "\n\n 7,\n", "<stdin>:3: '7,' has junk after the integer\n" },
		{ "99999999999999999999\n",
		  "<stdin>:1: '99999999999999999999' does not fit in a 64-bit integer\n" },
		{ "9223372036854775808\n",
		  "<stdin>:1: '9223372036854775808' does not fit in a 64-bit integer\n" },
		{ "3600000001\n", "<stdin>:1: '3600000001' is above the highest trackable "
				  "value 3600000000 (see --highest)\n" },
		{ "9223372036854775807\n", "<stdin>:1: '9223372036854775807' is above" },
		{ "", "tickwire hist: <stdin>: no values\n" },
		{ "\n  \n\r\n", "tickwire hist: <stdin>: no values\n" },
		{ "1\n\x01\x02\n", "<stdin>:2: '?" "?' is not an integer\n" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r;

		run_hist(&r, cases[i].input, NULL);
		if (r.rc != EX_DATAERR || !strstr(r.err, cases[i].msg)) {
			print_error("case %zu: rc %d err [%s]\n", i, r.rc, r.err);
			fail();
		}
		assert_string_equal(r.out, ""); /* no partial table */
		assert_non_null(strchr(r.err, '\n'));
		assert_ptr_equal(strchr(r.err, '\n'), r.err + strlen(r.err) - 1); /* one line */
		run_free(&r);
	}
}

static void test_bad_input_odd_bytes(void **state)
{
	static const char nul_line[] = "5\n4\x00" "2\n";
	char *long_line = malloc(100002);
	struct run r;

	(void)state;
	/* An embedded NUL is not part of a number. */
	run_hist_n(&r, nul_line, sizeof(nul_line) - 1, NULL, NULL);
	assert_int_equal(r.rc, EX_DATAERR);
	assert_contains(r.err, "<stdin>:2: '4?2' has junk after the integer\n");
	run_free(&r);
	/* A huge line is quoted in short. */
	assert_non_null(long_line);
	memset(long_line, 'a', 100000);
	strcpy(long_line + 100000, "\n");
	run_hist(&r, long_line, NULL);
	assert_int_equal(r.rc, EX_DATAERR);
	assert_contains(r.err, "<stdin>:1: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' is not an integer\n");
	assert_true(strlen(r.err) < 200);
	run_free(&r);
	free(long_line);
}

static void test_bad_input_names_file_and_line(void **state)
{
	char text[512] = "";
	const char *path = path_in_tmp("values.txt");
	const char *args[] = { path, NULL };
	char want[512];
	struct run r;
	int i;

	(void)state;
	for (i = 1; i < 17; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "%d\n", i * 100);
	strcat(text, "abc\n18\n");
	write_file(path, text);
	run_hist(&r, NULL, args);
	assert_int_equal(r.rc, EX_DATAERR);
	snprintf(want, sizeof(want), "tickwire hist: %s:17: 'abc' is not an integer\n", path);
	assert_string_equal(r.err, want);
	run_free(&r);
}

static void test_help(void **state)
{
	static const char *const long_help[] = { "--help", NULL };
	static const char *const short_help[] = { "-h", "--bogus-later", NULL };
	struct run r;

	(void)state;
	run_hist(&r, "", long_help);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.err, "");
	assert_contains(r.out, "usage: tickwire hist [OPTIONS] [FILE]");
	assert_contains(r.out, "blank lines");
	assert_contains(r.out, "--expected-interval N");
	assert_contains(r.out, "--ticks-per-half N");
	run_free(&r);
	run_hist(&r, "", short_help);
	assert_int_equal(r.rc, 0);
	assert_contains(r.out, "usage: tickwire hist");
	run_free(&r);
}

static void test_bad_options(void **state)
{
	static const struct {
		const char *args[6];
		const char *msg;
	} cases[] = {
		{ { "--bogus" }, "unknown option '--bogus'" },
		{ { "-x" }, "unknown option '-x'" },
		{ { "-hx" }, NULL }, /* help wins: 0 */
		{ { "--help=1" }, "unknown option '--help=1'" },
		{ { "--lowest" }, "missing value for option '--lowest'" },
		{ { "--lowest", "0" }, "--lowest needs an integer >= 1, not '0'" },
		{ { "--lowest", "abc" }, "--lowest needs an integer >= 1, not 'abc'" },
		{ { "--lowest", "5x" }, "not '5x'" },
		{ { "--highest", "1" }, "--highest needs an integer >= 2, not '1'" },
		{ { "--highest", "99999999999999999999" }, "--highest needs" },
		{ { "--digits", "6" }, "--digits needs 1..5, not '6'" },
		{ { "--digits", "0" }, "--digits needs 1..5" },
		{ { "--ticks-per-half", "0" }, "--ticks-per-half needs 1..10000" },
		{ { "--ticks-per-half", "10001" }, "--ticks-per-half needs 1..10000" },
		{ { "--scale", "0" }, "--scale needs a number > 0, not '0'" },
		{ { "--scale", "-1" }, "--scale needs" },
		{ { "--scale", "nan" }, "--scale needs" },
		{ { "--scale", "inf" }, "--scale needs" },
		{ { "--scale", "1e400" }, "--scale needs" },
		{ { "--scale", "" }, "--scale needs" },
		{ { "--expected-interval", "0" }, "--expected-interval needs an integer >= 1" },
		{ { "--expected-interval", "-5" }, "--expected-interval needs" },
		{ { "--lowest", "1000", "--highest", "1999" }, "got '1000..1999'" },
		{ { "--lowest", "4611686018427387904" }, "2 * lowest <= highest" },
		{ { "--log=" }, "--log needs a file name" },
		{ { "a.txt", "b.txt" }, "extra argument 'b.txt'" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r;

		run_hist(&r, "1\n", cases[i].args);
		if (!cases[i].msg) {
			assert_int_equal(r.rc, 0);
			run_free(&r);
			continue;
		}
		if (r.rc != EX_USAGE || !strstr(r.err, cases[i].msg) ||
		    !strstr(r.err, "Try 'tickwire hist --help'")) {
			print_error("case %zu: rc %d err [%s]\n", i, r.rc, r.err);
			fail();
		}
		assert_string_equal(r.out, "");
		run_free(&r);
	}
}

static void test_unreadable_input(void **state)
{
	const char *missing[] = { path_in_tmp("does-not-exist.txt"), NULL };
	const char *dir[] = { tmp_dir, NULL };
	struct run r;

	(void)state;
	run_hist(&r, NULL, missing);
	assert_int_equal(r.rc, EX_NOINPUT);
	assert_contains(r.err, "cannot open '");
	assert_contains(r.err, "No such file or directory");
	run_free(&r);
	run_hist(&r, NULL, dir);
	assert_int_equal(r.rc, EX_NOINPUT);
	assert_contains(r.err, "Is a directory");
	run_free(&r);
}

static void test_write_errors(void **state)
{
	const char *bad_log[] = { "--log", "/nonexistent-dir/x.hlog", NULL };
	FILE *full = fopen("/dev/full", "w");
	struct run r;

	(void)state;
	if (full) {
		run_hist_n(&r, "1\n2\n", 4, NULL, full);
		assert_int_equal(r.rc, EX_IOERR);
		assert_contains(r.err, "tickwire hist: write error");
		run_free(&r);
		fclose(full);
	}
	run_hist(&r, "1\n2\n", bad_log);
	assert_int_equal(r.rc, EX_IOERR);
	assert_contains(r.err, "cannot create log '/nonexistent-dir/x.hlog'");
	assert_contains(r.out, "Total count    =            2]"); /* table came first */
	run_free(&r);
}

static int make_tmp(void **state)
{
	(void)state;
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/tw_test_hist.XXXXXX");
	return mkdtemp(tmp_dir) ? 0 : -1;
}

static int remove_tmp(void **state)
{
	static const char *const names[] = { "small.txt", "hist.hlog", "values.txt" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(path_in_tmp(names[i]));
	return rmdir(tmp_dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_input_exact_table),
		cmocka_unit_test(test_file_argument_and_dash),
		cmocka_unit_test(test_default_ticks_and_scale),
		cmocka_unit_test(test_expected_interval),
		cmocka_unit_test(test_expected_interval_overflow),
		cmocka_unit_test(test_other_config),
		cmocka_unit_test(test_log_option),
		cmocka_unit_test(test_bad_input_classes),
		cmocka_unit_test(test_bad_input_odd_bytes),
		cmocka_unit_test(test_bad_input_names_file_and_line),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_unreadable_input),
		cmocka_unit_test(test_write_errors),
	};

	return cmocka_run_group_tests(tests, make_tmp, remove_tmp);
}
