/* cmd_hist.c - `tickwire hist [FILE]`: newline-separated integer values (a
 * file or stdin) into an HDR histogram, printed as the .hgrm percentile
 * table, optionally also written as a one-interval HdrHistogram log.
 * Input is untrusted: every bad line is reported with its line number.
 * Main thread; re-entrant (the tests call it repeatedly). */
#include "tools/cmd.h"

#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sysexits.h>
#include <time.h>

#include "bench/hdr.h"
#include "bench/hdr_log.h"

#define HIST_NAME "tickwire hist"
#define HIST_TICKS_MAX 10000
#define HIST_QUOTE_MAX 40

struct hist_opts {
	struct hdr_cfg cfg;
	int32_t ticks;            /* rows per half distance */
	double scale;             /* output value unit ratio */
	int64_t interval;         /* expected interval; 0 = no correction */
	const char *log_path;     /* NULL = no interval log */
	const char *input;        /* NULL or "-" = the `in` stream */
};

static void hist_usage(FILE *f)
{
	fputs("usage: " HIST_NAME " [OPTIONS] [FILE]\n"
	      "\n"
	      "Read newline-separated integer values (e.g. latencies in ns) from FILE,\n"
	      "or from standard input when FILE is absent or '-', and print their HDR\n"
	      "percentile distribution (the .hgrm table HdrHistogram's tools read).\n"
	      "Values are integers from 0 to --highest, one per line; blank lines and\n"
	      "spaces, tabs or a CR (CRLF files) around a value are ignored.\n"
	      "\n"
	      "  --lowest N             lowest discernible value, >= 1 (default 1)\n"
	      "  --highest N            highest trackable value, >= 2 * lowest\n"
	      "                         (default 3600000000)\n"
	      "  --digits D             significant decimal digits, 1..5 (default 3)\n"
	      "  --ticks-per-half N     table rows per halving of the distance to 100%,\n"
	      "                         1..10000 (default 5)\n"
	      "  --scale R              divide printed values by R, e.g. 1000 for ns -> us\n"
	      "                         (output value unit ratio, default 1.0)\n"
	      "  --expected-interval N  correct for coordinated omission: a value V above N\n"
	      "                         also records V-N, V-2N, ... down to N (the samples\n"
	      "                         a stalled measurement missed)\n"
	      "  --log FILE             also write an HdrHistogram interval log (format\n"
	      "                         1.3, one interval holding every value; its\n"
	      "                         Interval_Max column is in --scale units)\n"
	      "  -h, --help             show this help and exit\n"
	      "\n"
	      "Exit status: 0 ok, 64 bad options, 65 bad input data, 66 input not\n"
	      "readable, 74 write error.\n", f);
}

static int hist_usage_error(FILE *err, const char *what, const char *arg)
{
	fprintf(err, HIST_NAME ": %s '%s'\n", what, arg);
	fputs("Try '" HIST_NAME " --help' for more information.\n", err);
	return EX_USAGE;
}

/* Strict decimal integer in [min, max]: no sign games, no junk. */
static bool hist_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s || *s == ' ' || *s == '\t')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static int hist_parse_opts(int argc, char **argv, FILE *out, FILE *err,
			   struct hist_opts *o)
{
	static const struct option longs[] = {
		{ "lowest", required_argument, NULL, 'L' },
		{ "highest", required_argument, NULL, 'H' },
		{ "digits", required_argument, NULL, 'd' },
		{ "ticks-per-half", required_argument, NULL, 't' },
		{ "scale", required_argument, NULL, 's' },
		{ "expected-interval", required_argument, NULL, 'i' },
		{ "log", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int64_t v;
	int c;

	o->cfg = (struct hdr_cfg){ 1, INT64_C(3600000000), 3 };
	o->ticks = 5;
	o->scale = 1.0;
	o->interval = 0;
	o->log_path = NULL;
	o->input = NULL;
	optind = 0; /* full re-initialisation: we are called repeatedly */
	opterr = 0; /* our messages go to err, not stderr */
	while ((c = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'L':
			if (!hist_parse_i64(optarg, 1, INT64_MAX, &o->cfg.lowest))
				return hist_usage_error(err, "--lowest needs an integer >= 1, not",
							optarg);
			break;
		case 'H':
			if (!hist_parse_i64(optarg, 2, INT64_MAX, &o->cfg.highest))
				return hist_usage_error(err, "--highest needs an integer >= 2, not",
							optarg);
			break;
		case 'd':
			if (!hist_parse_i64(optarg, 1, 5, &v))
				return hist_usage_error(err, "--digits needs 1..5, not", optarg);
			o->cfg.digits = (int32_t)v;
			break;
		case 't':
			if (!hist_parse_i64(optarg, 1, HIST_TICKS_MAX, &v))
				return hist_usage_error(err, "--ticks-per-half needs 1..10000, not",
							optarg);
			o->ticks = (int32_t)v;
			break;
		case 's':
			errno = 0;
			o->scale = strtod(optarg, &end);
			if (end == optarg || *end || errno || !isfinite(o->scale) ||
			    !(o->scale > 0.0))
				return hist_usage_error(err, "--scale needs a number > 0, not",
							optarg);
			break;
		case 'i':
			if (!hist_parse_i64(optarg, 1, INT64_MAX, &o->interval))
				return hist_usage_error(err,
							"--expected-interval needs an integer >= 1, not",
							optarg);
			break;
		case 'l':
			if (!*optarg)
				return hist_usage_error(err, "--log needs a file name, not", optarg);
			o->log_path = optarg;
			break;
		case 'h':
			hist_usage(out);
			return -1;
		case ':':
			return hist_usage_error(err, "missing value for option",
						argv[optind - 1]);
		default:
			/* A short option inside a cluster leaves optind on the
			 * cluster: name it from optopt. */
			if (optopt && strncmp(argv[optind - 1], "--", 2) != 0) {
				char opt[3] = { '-', (char)optopt, '\0' };

				return hist_usage_error(err, "unknown option", opt);
			}
			return hist_usage_error(err, "unknown option", argv[optind - 1]);
		}
	}
	if (argc - optind > 1)
		return hist_usage_error(err, "one input file at most; extra argument",
					argv[optind + 1]);
	if (argc - optind == 1)
		o->input = argv[optind];
	if (hdr_memsize(&o->cfg) == 0) {
		char range[64];

		snprintf(range, sizeof(range), "%lld..%lld", (long long)o->cfg.lowest,
			 (long long)o->cfg.highest);
		return hist_usage_error(err,
					"--lowest/--highest must satisfy 1 <= lowest, "
					"2 * lowest <= highest, and the range must fit "
					"64-bit buckets at --digits; got", range);
	}
	return 0;
}

/* Quote a line for a message: at most HIST_QUOTE_MAX bytes, unprintable
 * bytes as '?'. */
static void hist_quote(char *dst, const char *s, size_t n)
{
	size_t i, k = n < HIST_QUOTE_MAX ? n : HIST_QUOTE_MAX;

	for (i = 0; i < k; i++) {
		unsigned char c = (unsigned char)s[i];

		dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (n > k) {
		memcpy(dst + k, "...", 3);
		k += 3;
	}
	dst[k] = '\0';
}

static bool hist_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

enum hist_line { HIST_BLANK, HIST_VALUE, HIST_BAD };

/* One input line: blank, a value in 0..highest, or bad with a message. */
static enum hist_line hist_parse_line(const char *s, size_t n, int64_t highest,
				      int64_t *value, char *why, size_t why_len)
{
	char quoted[HIST_QUOTE_MAX + 4];
	int64_t v = 0;
	size_t i = 0, digits = 0;
	bool negative = false, overflow = false;

	while (n > 0 && hist_space(s[n - 1]))
		n--;
	while (i < n && hist_space(s[i]))
		i++;
	if (i == n)
		return HIST_BLANK;
	s += i;
	n -= i;
	hist_quote(quoted, s, n);
	i = 0;
	if (s[0] == '-' || s[0] == '+') {
		negative = s[0] == '-';
		i = 1;
	}
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
		int d = s[i] - '0';

		if (overflow || v > (INT64_MAX - d) / 10)
			overflow = true;
		else
			v = v * 10 + d;
	}
	if (digits == 0) {
		snprintf(why, why_len, "'%s' is not an integer", quoted);
		return HIST_BAD;
	}
	if (i < n) {
		snprintf(why, why_len, "'%s' has junk after the integer", quoted);
		return HIST_BAD;
	}
	if (negative && (v != 0 || overflow)) {
		snprintf(why, why_len, "'%s' is negative", quoted);
		return HIST_BAD;
	}
	if (overflow) {
		snprintf(why, why_len, "'%s' does not fit in a 64-bit integer", quoted);
		return HIST_BAD;
	}
	if (v > highest) {
		snprintf(why, why_len, "'%s' is above the highest trackable value %lld "
			 "(see --highest)", quoted, (long long)highest);
		return HIST_BAD;
	}
	*value = v;
	return HIST_VALUE;
}

/* Record every value of f into h. 0 or an exit status (message printed). */
static int hist_read(FILE *f, const char *name, const struct hist_opts *o,
		     struct hdr *h, FILE *err)
{
	char *line = NULL, why[160];
	size_t cap = 0;
	long line_no = 0;
	int rc = 0;

	for (;;) {
		ssize_t got;
		int64_t v;

		errno = 0;
		got = getline(&line, &cap, f);
		if (got < 0) {
			if (errno == ENOMEM) {
				fprintf(err, HIST_NAME ": %s: out of memory\n", name);
				rc = EX_SOFTWARE;
			} else if (ferror(f)) {
				fprintf(err, HIST_NAME ": cannot read '%s': %s\n", name,
					strerror(errno ? errno : EIO));
				rc = EX_NOINPUT;
			}
			break;
		}
		line_no++;
		switch (hist_parse_line(line, (size_t)got, o->cfg.highest, &v, why,
					sizeof(why))) {
		case HIST_BLANK:
			continue;
		case HIST_BAD:
			fprintf(err, HIST_NAME ": %s:%ld: %s\n", name, line_no, why);
			rc = EX_DATAERR;
			goto out;
		case HIST_VALUE:
			/* The range was checked while parsing: false here means
			 * the corrected counts would overflow the total. */
			if (!hdr_record_corrected(h, v, o->interval)) {
				fprintf(err, HIST_NAME ": %s:%ld: total count would overflow "
					"(value %" PRId64 " with --expected-interval %" PRId64 ")\n",
					name, line_no, v, o->interval);
				rc = EX_DATAERR;
				goto out;
			}
			break;
		}
	}
	if (rc == 0 && h->total_count == 0) {
		fprintf(err, HIST_NAME ": %s: no values\n", name);
		rc = EX_DATAERR;
	}
out:
	free(line);
	return rc;
}

static int hist_write_log(const char *path, const struct hist_opts *o,
			  const struct hdr *h, FILE *err)
{
	struct timespec now;
	FILE *f = fopen(path, "w");
	int rc;

	if (!f) {
		fprintf(err, HIST_NAME ": cannot create log '%s': %s\n", path, strerror(errno));
		return EX_IOERR;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	rc = hdr_log_write_header(f, "Logged with " HIST_NAME,
				  (double)now.tv_sec + (double)(now.tv_nsec / 1000000) / 1000.0);
	if (rc == 0)
		rc = hdr_log_write_interval(f, NULL, 0.0, 0.0, h, o->scale);
	if (fclose(f) != 0 && rc == 0)
		rc = errno ? -errno : -EIO;
	if (rc) {
		fprintf(err, HIST_NAME ": cannot write log '%s': %s\n", path, strerror(-rc));
		return EX_IOERR;
	}
	return 0;
}

int cmd_hist(int argc, char **argv, FILE *in, FILE *out, FILE *err)
{
	struct hist_opts o;
	const char *name = "<stdin>";
	struct hdr *h = NULL;
	FILE *f = in;
	int rc;

	rc = hist_parse_opts(argc, argv, out, err, &o);
	if (rc)
		return rc < 0 ? 0 : rc; /* -1: --help was shown */
	if (!o.input || strcmp(o.input, "-") == 0) {
		if (!in) {
			fprintf(err, HIST_NAME ": no input stream\n");
			return EX_NOINPUT;
		}
	} else {
		name = o.input;
		f = fopen(o.input, "r");
		if (!f) {
			fprintf(err, HIST_NAME ": cannot open '%s': %s\n", o.input, strerror(errno));
			return EX_NOINPUT;
		}
	}
	h = malloc(hdr_memsize(&o.cfg));
	if (!h || hdr_init(h, &o.cfg) != 0) {
		fprintf(err, HIST_NAME ": out of memory for the histogram\n");
		rc = EX_SOFTWARE;
		goto out;
	}
	rc = hist_read(f, name, &o, h, err);
	if (rc)
		goto out;
	if (hdr_percentiles_print(h, out, o.ticks, o.scale) != 0 || fflush(out) != 0 ||
	    ferror(out)) {
		fprintf(err, HIST_NAME ": write error: %s\n", strerror(errno ? errno : EIO));
		rc = EX_IOERR;
		goto out;
	}
	if (o.log_path)
		rc = hist_write_log(o.log_path, &o, h, err);
out:
	if (f != in)
		fclose(f);
	free(h);
	return rc;
}
