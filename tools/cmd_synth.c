/* cmd_synth.c - `tickwire synth`: options, validation and the summary of a
 * run that writes ITCH 5.0 over MoldUDP64 as a pcap from a seeded model
 * (tools/synth_*.c), and `--check`, the Cont-Stoikov-Talreja Table 3
 * statistic by Monte Carlo. Main thread; re-entrant (the tests call it
 * repeatedly). */
#include "tools/cmd.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "tools/synth.h"

#define SYNTH_NAME "tickwire synth"
#define DEFAULT_MESSAGES 1000000u
#define DEFAULT_SESSION "TICKWIRE01"
#define DEFAULT_DST_IP 0xE9360C6Fu /* 233.54.12.111 */
#define DEFAULT_DST_PORT 26477u
#define DEFAULT_BATCH_US 20u
#define DEFAULT_PATHS 10000u
#define MESSAGES_MAX UINT64_C(100000000000)
#define PATHS_MAX 10000000u

struct synth_opts {
	struct synth_cfg cfg;
	struct synth_wire_cfg wire;
	const char *out_path;
	bool symbols_set, check, paths_set, speed_set, wire_opts;
	uint32_t paths;
};

static void synth_usage(FILE *f)
{
	fputs("usage: " SYNTH_NAME " --out FILE.pcap [OPTIONS]\n"
	      "       " SYNTH_NAME " --model cst --check [--paths N] [--seed N]\n"
	      "\n"
	      "Write a realistic Nasdaq TotalView-ITCH 5.0 feed over MoldUDP64 as a pcap\n"
	      "(Ethernet, IPv4, UDP to a multicast group; nanosecond stamps) from a seeded\n"
	      "order-flow model. The same seed and options give byte-identical files.\n"
	      "\n"
	      "Model:\n"
	      "  --model cst|many      cst (default): the Cont-Stoikov-Talreja (2010) order\n"
	      "                        book with the paper's parameters, on its own clock;\n"
	      "                        many: thousands of symbols with Zipf-skewed activity,\n"
	      "                        a bursty clock, halts and hidden trades\n"
	      "  --seed N              random seed (default 1)\n"
	      "  --messages N          total ITCH messages, opening and closing system\n"
	      "                        messages included (default 1000000)\n"
	      "  --symbols N           symbols, 1..16384 (default 4 for cst, 3000 for many)\n"
	      "  --speed F             cst: model seconds per exchange second (default 1,\n"
	      "                        or what fits --messages into 09:30-16:00)\n"
	      "\n"
	      "Output:\n"
	      "  --out FILE            the pcap to write (required)\n"
	      "  --session ID          MoldUDP64 session, 1..10 letters or digits\n"
	      "                        (default " DEFAULT_SESSION ")\n"
	      "  --dest ADDR:PORT      multicast group and UDP port\n"
	      "                        (default 233.54.12.111:26477)\n"
	      "  --batch-us N          pack messages whose exchange times lie within N us\n"
	      "                        into one packet of up to 1400 bytes (default 20)\n"
	      "  --ab                  write line B too: the same payloads from\n"
	      "                        192.0.2.2:49654 (line A: 192.0.2.1:49653), ~1.5 us later\n"
	      "  --quiet               no progress on standard error\n"
	      "\n"
	      "Faults (--fault may be repeated):\n"
	      "  --fault gap:RATE      drop each data packet with probability RATE: on one\n"
	      "                        line only with --ab (the other fills it), else a gap\n"
	      "  --fault dup:RATE      deliver a packet twice on one line\n"
	      "  --fault reorder:RATE  deliver a packet after the line's next one\n"
	      "  --fault lose-line:L:START:LEN\n"
	      "                        line L (A or B) silent for data packets START..START+LEN-1\n"
	      "                        (numbered from 0)\n"
	      "\n"
	      "Ground truth:\n"
	      "  --truth FILE          write the books of synth's reference book, and the\n"
	      "                        sequence numbers lost on every line (docs/synth.md)\n"
	      "  --truth-every N       a checkpoint every N messages (default: end only)\n"
	      "  --truth-depth N       at most N price levels per side (default 0: all)\n"
	      "\n"
	      "Model check:\n"
	      "  --check               print P(next mid move is up | bid, ask queue sizes\n"
	      "                        1..5) by Monte Carlo of the cst model next to the\n"
	      "                        model's exact value (the paper's Table 3 statistic)\n"
	      "  --paths N             Monte Carlo paths per cell (default 10000)\n"
	      "  -h, --help            show this help and exit\n"
	      "\n"
	      "Decode check: tshark -r FILE.pcap -d udp.port==26477,moldudp64\n"
	      "Exit status: 0 ok, 64 bad options, 70 internal error, 74 write error.\n", f);
}

static int synth_usage_error(FILE *err, const char *what, const char *arg)
{
	if (arg)
		fprintf(err, SYNTH_NAME ": %s '%s'\n", what, arg);
	else
		fprintf(err, SYNTH_NAME ": %s\n", what);
	fputs("Try '" SYNTH_NAME " --help' for more information.\n", err);
	return EX_USAGE;
}

/* Strict decimal integer in [min, max]. */
static bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* Strict number in [min, max]. */
static bool parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!s || !*s || *s == ' ')
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* Dotted IPv4 address, host order. */
static bool parse_ipv4(const char *s, size_t n, uint32_t *out)
{
	uint32_t ip = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		uint32_t v = 0;
		size_t digits = 0;

		if (part > 0) {
			if (i >= n || s[i] != '.')
				return false;
			i++;
		}
		while (i < n && s[i] >= '0' && s[i] <= '9' && digits < 3) {
			v = v * 10 + (uint32_t)(s[i++] - '0');
			digits++;
		}
		if (digits == 0 || v > 255)
			return false;
		ip = ip << 8 | v;
	}
	if (i != n)
		return false;
	*out = ip;
	return true;
}

static bool parse_dest(const char *s, uint32_t *ip, uint16_t *port)
{
	const char *colon = strrchr(s, ':');
	uint64_t p;

	if (!colon || !parse_ipv4(s, (size_t)(colon - s), ip) ||
	    !parse_u64(colon + 1, 1, 65535, &p))
		return false;
	*port = (uint16_t)p;
	return true;
}

static bool parse_session(const char *s, char session[MOLD_SESSION_LEN])
{
	size_t n = strlen(s);

	if (n == 0 || n > MOLD_SESSION_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
			return false;
	}
	memset(session, ' ', MOLD_SESSION_LEN);
	memcpy(session, s, n);
	return true;
}

/* One --fault SPEC. 0 or an exit status (message printed). */
static int parse_fault(const char *spec, struct synth_faults *f, FILE *err)
{
	static const char *const rates[] = { "gap:", "dup:", "reorder:" };
	double *slot[] = { &f->gap, &f->dup, &f->reorder };

	for (size_t k = 0; k < 3; k++) {
		size_t n = strlen(rates[k]);

		if (strncmp(spec, rates[k], n) != 0)
			continue;
		if (!parse_double(spec + n, 0.0, 1.0, slot[k]))
			return synth_usage_error(err, "--fault needs a rate in 0..1, as in "
						 "gap:0.01, not", spec);
		return 0;
	}
	if (strncmp(spec, "lose-line:", 10) == 0) {
		const char *p = spec + 10, *c2;
		char num[32];
		uint64_t start, len;
		size_t n;

		if ((p[0] != 'A' && p[0] != 'B') || p[1] != ':')
			return synth_usage_error(err, "--fault lose-line needs L:START:LEN with "
						 "L = A or B, not", spec);
		c2 = strchr(p + 2, ':');
		n = c2 ? (size_t)(c2 - (p + 2)) : 0;
		if (!c2 || n == 0 || n >= sizeof(num))
			return synth_usage_error(err, "--fault lose-line needs L:START:LEN, not",
						 spec);
		memcpy(num, p + 2, n);
		num[n] = '\0';
		if (!parse_u64(num, 0, UINT64_MAX / 2, &start) ||
		    !parse_u64(c2 + 1, 1, UINT64_MAX / 2, &len))
			return synth_usage_error(err, "--fault lose-line needs integers START >= 0 "
						 "and LEN >= 1, not", spec);
		if (f->nlose == SYNTH_MAX_LOSE)
			return synth_usage_error(err, "at most 8 lose-line faults; extra", spec);
		f->lose[f->nlose].line = p[0] == 'A' ? 0 : 1;
		f->lose[f->nlose].start = start;
		f->lose[f->nlose].len = len;
		f->nlose++;
		return 0;
	}
	return synth_usage_error(err, "unknown fault (gap:RATE, dup:RATE, reorder:RATE, "
				 "lose-line:L:START:LEN)", spec);
}

static int synth_parse_opts(int argc, char **argv, FILE *out, FILE *err, struct synth_opts *o)
{
	enum { O_MODEL = 256, O_SEED, O_MESSAGES, O_SYMBOLS, O_OUT, O_SESSION, O_DEST, O_AB,
	       O_FAULT, O_TRUTH, O_TRUTH_EVERY, O_TRUTH_DEPTH, O_BATCH, O_SPEED, O_QUIET,
	       O_CHECK, O_PATHS };
	static const struct option longs[] = {
		{ "model", required_argument, NULL, O_MODEL },
		{ "seed", required_argument, NULL, O_SEED },
		{ "messages", required_argument, NULL, O_MESSAGES },
		{ "symbols", required_argument, NULL, O_SYMBOLS },
		{ "out", required_argument, NULL, O_OUT },
		{ "session", required_argument, NULL, O_SESSION },
		{ "dest", required_argument, NULL, O_DEST },
		{ "ab", no_argument, NULL, O_AB },
		{ "fault", required_argument, NULL, O_FAULT },
		{ "truth", required_argument, NULL, O_TRUTH },
		{ "truth-every", required_argument, NULL, O_TRUTH_EVERY },
		{ "truth-depth", required_argument, NULL, O_TRUTH_DEPTH },
		{ "batch-us", required_argument, NULL, O_BATCH },
		{ "speed", required_argument, NULL, O_SPEED },
		{ "quiet", no_argument, NULL, O_QUIET },
		{ "check", no_argument, NULL, O_CHECK },
		{ "paths", required_argument, NULL, O_PATHS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool every_set = false;
	uint64_t v;
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->cfg.model = SYNTH_MODEL_CST;
	o->cfg.seed = 1;
	o->cfg.messages = DEFAULT_MESSAGES;
	memcpy(o->wire.session, DEFAULT_SESSION, MOLD_SESSION_LEN);
	o->wire.dst_ip = DEFAULT_DST_IP;
	o->wire.dst_port = DEFAULT_DST_PORT;
	o->wire.batch_ns = DEFAULT_BATCH_US * 1000u;
	o->paths = DEFAULT_PATHS;
	optind = 0; /* full re-initialisation: we are called repeatedly */
	opterr = 0; /* our messages go to err, not stderr */
	while ((c = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
		switch (c) {
		case O_MODEL:
			if (strcmp(optarg, "cst") == 0)
				o->cfg.model = SYNTH_MODEL_CST;
			else if (strcmp(optarg, "many") == 0)
				o->cfg.model = SYNTH_MODEL_MANY;
			else
				return synth_usage_error(err, "--model is cst or many, not", optarg);
			break;
		case O_SEED:
			if (!parse_u64(optarg, 0, UINT64_MAX, &o->cfg.seed))
				return synth_usage_error(err, "--seed needs an integer >= 0, not",
							 optarg);
			break;
		case O_MESSAGES:
			if (!parse_u64(optarg, 1, MESSAGES_MAX, &o->cfg.messages))
				return synth_usage_error(err, "--messages needs an integer in "
							 "1..100000000000, not", optarg);
			break;
		case O_SYMBOLS:
			if (!parse_u64(optarg, 1, SYNTH_SYMBOLS_MAX, &v))
				return synth_usage_error(err, "--symbols needs an integer in "
							 "1..16384, not", optarg);
			o->cfg.symbols = (uint32_t)v;
			o->symbols_set = true;
			break;
		case O_OUT:
			if (!*optarg)
				return synth_usage_error(err, "--out needs a file name", NULL);
			o->out_path = optarg;
			break;
		case O_SESSION:
			if (!parse_session(optarg, o->wire.session))
				return synth_usage_error(err, "--session needs 1..10 letters or "
							 "digits, not", optarg);
			o->wire_opts = true;
			break;
		case O_DEST:
			if (!parse_dest(optarg, &o->wire.dst_ip, &o->wire.dst_port))
				return synth_usage_error(err, "--dest needs an IPv4 ADDR:PORT, "
							 "not", optarg);
			o->wire_opts = true;
			break;
		case O_AB:
			o->wire.ab = 1;
			o->wire_opts = true;
			break;
		case O_FAULT:
			rc = parse_fault(optarg, &o->wire.faults, err);
			if (rc)
				return rc;
			o->wire_opts = true;
			break;
		case O_TRUTH:
			if (!*optarg)
				return synth_usage_error(err, "--truth needs a file name", NULL);
			o->wire.truth_path = optarg;
			break;
		case O_TRUTH_EVERY:
			if (!parse_u64(optarg, 1, UINT64_MAX, &o->wire.truth_every))
				return synth_usage_error(err, "--truth-every needs an integer >= 1, "
							 "not", optarg);
			every_set = true;
			break;
		case O_TRUTH_DEPTH:
			if (!parse_u64(optarg, 0, UINT32_MAX, &v))
				return synth_usage_error(err, "--truth-depth needs an integer >= 0, "
							 "not", optarg);
			o->wire.truth_depth = (uint32_t)v;
			break;
		case O_BATCH:
			if (!parse_u64(optarg, 0, 1000000, &v))
				return synth_usage_error(err, "--batch-us needs an integer in "
							 "0..1000000, not", optarg);
			o->wire.batch_ns = (uint32_t)v * 1000u;
			o->wire_opts = true;
			break;
		case O_SPEED:
			if (!parse_double(optarg, 1e-6, 1e9, &o->cfg.speed))
				return synth_usage_error(err, "--speed needs a number in "
							 "0.000001..1e9, not", optarg);
			o->speed_set = true;
			break;
		case O_QUIET:
			o->cfg.quiet = 1;
			break;
		case O_CHECK:
			o->check = true;
			break;
		case O_PATHS:
			if (!parse_u64(optarg, 1, PATHS_MAX, &v))
				return synth_usage_error(err, "--paths needs an integer in "
							 "1..10000000, not", optarg);
			o->paths = (uint32_t)v;
			o->paths_set = true;
			break;
		case 'h':
			synth_usage(out);
			return -1;
		case ':':
			return synth_usage_error(err, "missing value for option", argv[optind - 1]);
		default:
			if (optopt && strncmp(argv[optind - 1], "--", 2) != 0) {
				char opt[3] = { '-', (char)optopt, '\0' };

				return synth_usage_error(err, "unknown option", opt);
			}
			return synth_usage_error(err, "unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return synth_usage_error(err, "unexpected argument", argv[optind]);

	if (o->check) {
		if (o->cfg.model != SYNTH_MODEL_CST)
			return synth_usage_error(err, "--check is for --model cst", NULL);
		if (o->out_path || o->wire.truth_path || o->wire_opts || o->symbols_set ||
		    o->speed_set || every_set)
			return synth_usage_error(err, "--check takes only --model cst, --paths, "
						 "--seed", NULL);
		return 0;
	}
	if (o->paths_set)
		return synth_usage_error(err, "--paths goes with --check", NULL);
	if (!o->out_path)
		return synth_usage_error(err, "--out FILE.pcap is required", NULL);
	if (every_set && !o->wire.truth_path)
		return synth_usage_error(err, "--truth-every needs --truth FILE", NULL);
	if (o->wire.truth_depth && !o->wire.truth_path)
		return synth_usage_error(err, "--truth-depth needs --truth FILE", NULL);
	if (o->speed_set && o->cfg.model != SYNTH_MODEL_CST)
		return synth_usage_error(err, "--speed is for --model cst", NULL);
	for (int i = 0; i < o->wire.faults.nlose; i++)
		if (o->wire.faults.lose[i].line == 1 && !o->wire.ab)
			return synth_usage_error(err, "--fault lose-line:B needs --ab", NULL);
	if (!o->symbols_set)
		o->cfg.symbols = o->cfg.model == SYNTH_MODEL_MANY ? 3000 : 4;
	if (o->cfg.messages <= synth_model_overhead(&o->cfg)) {
		char need[128];

		snprintf(need, sizeof(need), "--messages must be at least %llu for %u symbols "
			 "(the session's fixed messages plus one)",
			 (unsigned long long)synth_model_overhead(&o->cfg) + 1, o->cfg.symbols);
		return synth_usage_error(err, need, NULL);
	}
	if (o->wire.truth_path && strcmp(o->wire.truth_path, o->out_path) == 0)
		return synth_usage_error(err, "--truth and --out name the same file",
					 o->out_path);
	return 0;
}

static void print_summary(FILE *out, const struct synth_opts *o, const struct synth_stats *st)
{
	static const char order[] = "SRHAFECXDUP";

	fprintf(out, SYNTH_NAME ": %llu messages in %llu packets -> %s (model %s, seed %llu)\n",
		(unsigned long long)st->msgs, (unsigned long long)st->packets, o->out_path,
		o->cfg.model == SYNTH_MODEL_MANY ? "many" : "cst",
		(unsigned long long)o->cfg.seed);
	for (int l = 0; l < (o->wire.ab ? 2 : 1); l++)
		fprintf(out, "  line %c: %llu records, %llu dropped, %llu duplicated, "
			"%llu reordered\n", 'A' + l, (unsigned long long)st->records[l],
			(unsigned long long)st->dropped[l], (unsigned long long)st->duplicated[l],
			(unsigned long long)st->reordered[l]);
	fprintf(out, "  heartbeats %llu, end of session %llu\n",
		(unsigned long long)st->heartbeats, (unsigned long long)st->eos);
	fprintf(out, "  unrecoverable: %llu messages in %llu gaps\n",
		(unsigned long long)st->lost_msgs, (unsigned long long)st->gaps);
	fputs("  by type:", out);
	for (const char *t = order; *t; t++)
		if (st->by_type[(uint8_t)*t])
			fprintf(out, " %c=%llu", *t, (unsigned long long)st->by_type[(uint8_t)*t]);
	fputc('\n', out);
	if (o->wire.truth_path)
		fprintf(out, "  truth -> %s (reference book errors %llu)\n", o->wire.truth_path,
			(unsigned long long)st->refbook_errors);
}

int cmd_synth(int argc, char **argv, FILE *out, FILE *err)
{
	struct synth_opts o;
	struct synth_stats st;
	struct synth_out *w;
	char comment[160];
	int rc;

	rc = synth_parse_opts(argc, argv, out, err, &o);
	if (rc)
		return rc < 0 ? 0 : rc; /* -1: --help was shown */
	if (o.check) {
		rc = synth_cst_check(out, o.cfg.seed, o.paths);
		if (rc == -EDOM) {
			fprintf(err, SYNTH_NAME ": Monte Carlo and exact values disagree\n");
			return EX_SOFTWARE;
		}
		if (rc) {
			fprintf(err, SYNTH_NAME ": out of memory\n");
			return EX_SOFTWARE;
		}
		return fflush(out) == 0 && !ferror(out) ? 0 : EX_IOERR;
	}

	o.wire.seed = o.cfg.seed;
	o.wire.max_locate = o.cfg.symbols;
	snprintf(comment, sizeof(comment), "model %s seed %llu symbols %u messages %llu session %.10s",
		 o.cfg.model == SYNTH_MODEL_MANY ? "many" : "cst",
		 (unsigned long long)o.cfg.seed, o.cfg.symbols,
		 (unsigned long long)o.cfg.messages, o.wire.session);
	o.wire.truth_comment = comment;
	rc = synth_out_open(&w, o.out_path, &o.wire, err);
	if (rc)
		return rc == -ENOMEM ? EX_SOFTWARE : EX_IOERR;
	rc = synth_model_run(&o.cfg, w, err);
	if (rc == -ENOMEM)
		fprintf(err, SYNTH_NAME ": out of memory\n");
	if (synth_out_close(w, &st, err) != 0 && rc == 0)
		rc = -EIO;
	if (rc)
		return rc == -ENOMEM ? EX_SOFTWARE : EX_IOERR;
	if (st.refbook_errors) {
		fprintf(err, SYNTH_NAME ": internal error: %llu messages did not fit the "
			"reference book\n", (unsigned long long)st.refbook_errors);
		return EX_SOFTWARE;
	}
	print_summary(out, &o, &st);
	return fflush(out) == 0 && !ferror(out) ? 0 : EX_IOERR;
}
