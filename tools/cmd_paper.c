/* cmd_paper.c - `tickwire paper CAPTURE`: paper trading against a recorded
 * capture through the inline pipeline (tools/paper.h), then the report
 * files and the one-line summary. Main thread. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "tools/cmd.h"
#include "tools/paper.h"
#include "tools/report_plot.h"
#include "hw/arena.h"
#include "hw/tsc.h"

#define PAPERCMD "tickwire paper"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tickwire paper CAPTURE [-c CONFIG] [--seed N] [--out DIR]\n"
		"                      [--symbols S1,S2,..] [--set KEY=VALUE]... [--quiet]\n"
		"       tickwire paper --config-doc\n\n"
		"Paper-trade a recorded capture (pcap/pcapng of ITCH 5.0 over MoldUDP64, or a\n"
		"binary ITCH 5.0 file): the feed builds the L3 books, the market maker quotes,\n"
		"the gateway checks every order and encodes OUCH 5.0, and a simulated venue\n"
		"matches our orders against the recorded book with seeded latencies. One\n"
		"thread, virtual time from the capture: the same capture, config and seed give\n"
		"byte-identical report files (docs/paper.md).\n\n"
		"  -c, --config FILE   libconfig file (docs/config.md); defaults otherwise\n"
		"      --seed N        venue latency seed (overrides run.seed)\n"
		"      --out DIR       where the reports go (default: paper-out)\n"
		"      --symbols LIST  symbols to quote, comma separated (default: the\n"
		"                      config's run.symbols, else the 10 most active)\n"
		"      --set KEY=VAL   override one config key (repeatable)\n"
		"      --no-plots      do not run gnuplot\n"
		"      --quiet         no progress on standard error\n"
		"      --config-doc    print the configuration reference (Markdown) and exit\n"
		"  -h, --help          show this help and exit\n\n"
		"Writes to DIR: report.json, orders.csv, fills.csv, series.csv,\n"
		"latency_<stage>.hgrm, config.effective, and pnl.png / latency.png.\n"
		"The last line on standard output is the summary:\n"
		"  summary pnl_realised=.. pnl_unrealised=.. pnl_total=.. fees=.. volume=..\n"
		"  fills=.. orders=.. cancels=.. rejects=.. kill_switch=0|1 t2t_p50_ns=..\n"
		"  t2t_p99_ns=.. t2t_p999_ns=..\n"
		"Exit status: 0 ok, 64 bad options or config, 65 damaged input (the run\n"
		"completes on what was read), 66 missing input, 70 internal error, 74 write error.\n");
}

struct paper_opts {
	const char *capture, *config, *out_dir, *symbols;
	const char *sets[64];
	int n_sets;
	bool seed_set, no_plots, quiet, config_doc;
	uint64_t seed;
};

static int parse(int argc, char **argv, struct paper_opts *o, FILE *out, FILE *err)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },
		{ "symbols", required_argument, NULL, 'S' },
		{ "set", required_argument, NULL, 'x' },
		{ "no-plots", no_argument, NULL, 'P' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "config-doc", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->out_dir = "paper-out";
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:h", lo, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'c': o->config = optarg; break;
		case 's':
			errno = 0;
			o->seed = strtoull(optarg, &end, 0);
			if (errno || *end || optarg[0] == '-' || !optarg[0]) {
				fprintf(err, PAPERCMD ": --seed wants a non-negative integer, "
					"not '%s'\n", optarg);
				return EX_USAGE;
			}
			o->seed_set = true;
			break;
		case 'o': o->out_dir = optarg; break;
		case 'S': o->symbols = optarg; break;
		case 'x':
			if (o->n_sets >= 64) {
				fprintf(err, PAPERCMD ": too many --set options (64 at most)\n");
				return EX_USAGE;
			}
			o->sets[o->n_sets++] = optarg;
			break;
		case 'P': o->no_plots = true; break;
		case 'q': o->quiet = true; break;
		case 'D': o->config_doc = true; break;
		case 'h': usage(out); return -1;
		case ':':
			fprintf(err, PAPERCMD ": option '%s' needs a value\n", argv[optind - 1]);
			return EX_USAGE;
		default:
			fprintf(err, PAPERCMD ": unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return EX_USAGE;
		}
	}
	if (o->config_doc)
		return 0;
	if (optind != argc - 1) {
		fprintf(err, optind >= argc ? PAPERCMD ": which capture? (see --help)\n" :
					      PAPERCMD ": one capture only (see --help)\n");
		return EX_USAGE;
	}
	o->capture = argv[optind];
	return 0;
}

static FILE *open_out(const char *dir, const char *name, char *path, size_t n, FILE *err)
{
	FILE *f;

	snprintf(path, n, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		fprintf(err, PAPERCMD ": cannot write '%s': %s\n", path, strerror(errno));
	else
		setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

static int close_out(FILE *f, const char *path, FILE *err)
{
	if (!f)
		return 0;
	if (ferror(f) | fclose(f)) {
		fprintf(err, PAPERCMD ": write error on '%s'\n", path);
		return EX_IOERR;
	}
	return 0;
}

static const char *const stage_file[PAPER_STAGES] = {
	"latency_t2t.hgrm", "latency_feed.hgrm", "latency_decide.hgrm", "latency_gateway.hgrm",
	"latency_decide_send.hgrm"
};
static const char *const stage_label[PAPER_STAGES] = {
	"tick-to-trade", "feed", "decide-active", "gateway", "decide-send"
};

static int write_reports(struct paper *p, const struct paper_opts *o, FILE *err)
{
	char path[1024];
	const char *hg[PAPER_STAGES];
	char hgp[PAPER_STAGES][1024];
	FILE *f;
	int rc = 0;

	if ((f = open_out(o->out_dir, "report.json", path, sizeof(path), err)) == NULL)
		return EX_IOERR;
	acct_write_json(&p->acct, f);
	rc |= close_out(f, path, err);
	if ((f = open_out(o->out_dir, "series.csv", path, sizeof(path), err)) == NULL)
		return EX_IOERR;
	acct_write_series_csv(&p->acct, f);
	rc |= close_out(f, path, err);
	if ((f = open_out(o->out_dir, "config.effective", path, sizeof(path), err)) == NULL)
		return EX_IOERR;
	conf_write_effective(paper_keys, paper_n_keys, &p->cfg, f);
	rc |= close_out(f, path, err);
	for (int s = 0; s < PAPER_STAGES; s++) {
		if ((f = open_out(o->out_dir, stage_file[s], hgp[s], sizeof(hgp[s]), err)) == NULL)
			return EX_IOERR;
		if (p->lat[s]->total_count)
			hdr_percentiles_print(p->lat[s], f, 5, 1.0);
		rc |= close_out(f, hgp[s], err);
		hg[s] = hgp[s];
	}
	if (rc)
		return EX_IOERR;
	if (p->cfg.plots && !o->no_plots) {
		char series[1024];
		struct plot_cfg pc;

		snprintf(series, sizeof(series), "%s/series.csv", o->out_dir);
		memset(&pc, 0, sizeof(pc));
		pc.out_dir = o->out_dir;
		pc.series_csv = series;
		pc.hgrm = hg;
		pc.hgrm_label = stage_label;
		pc.n_hgrm = p->lat[PAPER_T2T]->total_count ? PAPER_STAGES : 0;
		pc.latency_unit = "ns";
		if (plot_render(&pc, err) != 0)
			fprintf(err, PAPERCMD ": plots not rendered (reports are complete)\n");
	}
	return 0;
}

static void print_summary(const struct paper *p, FILE *out)
{
	const struct acct_sym *t = &p->acct.total;
	char b1[24], b2[24], b3[24], b4[24];
	int64_t unreal = 0;

	for (uint32_t i = 0; i < p->acct.n_used; i++)
		unreal += acct_unrealised_e4(&p->acct.sym[i]);

	fprintf(out,
		"summary pnl_realised=%s pnl_unrealised=%s pnl_total=%s fees=%s volume=%" PRId64
		" fills=%" PRIu64 " orders=%" PRIu64 " cancels=%" PRIu64 " rejects=%" PRIu64
		" kill_switch=%d t2t_p50_ns=%" PRId64 " t2t_p99_ns=%" PRId64
		" t2t_p999_ns=%" PRId64 "\n",
		acct_fmt_e4(t->realised_e4, b1), acct_fmt_e4(unreal, b2),
		acct_fmt_e4(t->pnl_e4, b3), acct_fmt_e4(t->fees_e4, b4), t->shares, t->fills,
		t->orders, t->cancels, t->rejects, p->killed ? 1 : 0,
		paper_latency(p, PAPER_T2T, 50.0), paper_latency(p, PAPER_T2T, 99.0),
		paper_latency(p, PAPER_T2T, 99.9));
}

static void print_run(const struct paper *p, FILE *out)
{
	const struct feed_stats *fs = &p->feed.st;
	double mps = p->st.wall_s > 0 ? (double)fs->msgs / p->st.wall_s / 1e6 : 0.0;

	fprintf(out, "quoted %u symbols:", p->n_sym);
	for (uint32_t i = 0; i < p->n_sym; i++)
		fprintf(out, " %s", p->sym[i].name);
	fprintf(out, "\nfeed: %" PRIu64 " messages", fs->msgs);
	if (!p->cfg.all_books)
		fprintf(out, " (%" PRIu64 " of symbols not quoted: read and skipped, their books "
			"not kept; run.all_books keeps them)", fs->not_kept);
	fprintf(out, ", %" PRIu64 " md_events, %" PRIu64 " gaps, %" PRIu64 " lost, %" PRIu64
		" refused book updates\n", fs->md_events, fs->gaps, fs->lost, fs->book_refused);
	fprintf(out, "orders: %" PRIu64 " intents, %" PRIu64 " OUCH messages sent, %" PRIu64
		" refused by pre-trade checks, %" PRIu64 " exec reports\n",
		p->st.intents, p->gw.st.msgs_out, p->st.refused, p->st.reports);
	fprintf(out, "venue: %" PRIu64 " maker fills, %" PRIu64 " taker fills\n",
		p->acct.total.maker_fills, p->acct.total.taker_fills);
	fprintf(out, "store: %" PRIu64 " venue reports for orders already closed (a cancel "
		"or its reject after the last fill), %" PRIu64 " out of step with the order\n",
		p->gw.os.cnt.unknown_ref, p->gw.os.cnt.bad_event);
	fprintf(out, "internal: %" PRIu64 " cascade cuts, %" PRIu64 " venue reports lost, %" PRIu64
		"+%" PRIu64 " undecodable gateway/venue messages, %" PRIu64 " unknown symbols, %" PRIu64
		" cancels not deferred\n",
		p->st.loop_cut, p->venue.cnt.reports_lost, p->gw.st.bad_in, p->vw->st.bad_in,
		p->vw->st.unknown_sym, p->gw.st.defer_full);
	fprintf(out, "latency (ns)    p50      p99    p99.9      max    count\n");
	for (int s = 0; s < PAPER_STAGES; s++)
		fprintf(out, "  %-13s %6" PRId64 " %8" PRId64 " %8" PRId64 " %8" PRId64 " %8" PRId64
			"\n", stage_label[s], paper_latency(p, s, 50.0), paper_latency(p, s, 99.0),
			paper_latency(p, s, 99.9), p->lat[s]->total_count ? hdr_max(p->lat[s]) : 0,
			p->lat[s]->total_count);
	fprintf(out, "throughput: %.2f M messages/s (%.3f s wall)\n", mps, p->st.wall_s);
}

int cmd_paper(int argc, char **argv, FILE *out, FILE *err)
{
	struct paper_opts o;
	struct paper_cfg *cfg = NULL;
	struct paper *p = NULL;
	struct paper_in in;
	struct conf_err ce;
	uint16_t locs[PAPER_MAX_SYMS];
	char names[PAPER_MAX_SYMS][PAPER_NAME_LEN];
	char msg[600], path[1024];
	int rc, n, status = 0;

	rc = parse(argc, argv, &o, out, err);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (o.config_doc) {
		conf_write_markdown(paper_keys, paper_n_keys, out);
		return 0;
	}
	cfg = calloc(1, sizeof(*cfg));
	p = calloc(1, sizeof(*p));
	if (!cfg || !p) {
		fprintf(err, PAPERCMD ": out of memory\n");
		status = EX_SOFTWARE;
		goto done;
	}
	if (paper_cfg_defaults(cfg, &ce) != 0 ||
	    (o.config && conf_load_file(paper_keys, paper_n_keys, o.config, cfg, &ce) != 0)) {
		fputs(PAPERCMD ": ", err);
		conf_err_print(&ce, err);
		status = o.config && access(o.config, R_OK) != 0 ? EX_NOINPUT : EX_USAGE;
		goto done;
	}
	for (int i = 0; i < o.n_sets; i++)
		if (conf_set(paper_keys, paper_n_keys, cfg, o.sets[i], &ce) != 0) {
			fputs(PAPERCMD ": --set: ", err);
			conf_err_print(&ce, err);
			status = EX_USAGE;
			goto done;
		}
	if (o.symbols) {
		char set[4096];

		snprintf(set, sizeof(set), "run.symbols=%s", o.symbols);
		if (conf_set(paper_keys, paper_n_keys, cfg, set, &ce) != 0) {
			fputs(PAPERCMD ": --symbols: ", err);
			conf_err_print(&ce, err);
			status = EX_USAGE;
			goto done;
		}
	}
	if (o.seed_set)
		cfg->seed = o.seed;
	/* Check the input before the first pass so a typo fails fast. The
	 * run reads it twice (symbols, then the replay): a pipe or device
	 * would give the second read only what the first left. */
	{
		struct stat st;

		if (stat(o.capture, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
			fprintf(err, PAPERCMD ": %s: not a regular file (the capture is read "
				"twice; save a pipe's output to a file first)\n", o.capture);
			status = EX_NOINPUT;
			goto done;
		}
	}
	rc = paper_in_open(&in, o.capture);
	if (rc) {
		fprintf(err, PAPERCMD ": %s\n", in.err);
		status = rc == -EINVAL ? EX_DATAERR : EX_NOINPUT;
		goto done;
	}
	paper_in_close(&in);
	if (!o.quiet)
		fprintf(err, PAPERCMD ": first pass over %s (choosing symbols)\n", o.capture);
	n = paper_pick_symbols(cfg, o.capture, locs, names, msg, sizeof(msg));
	if (n < 0) {
		fprintf(err, PAPERCMD ": %s\n", msg);
		status = n == -ENOENT ? EX_DATAERR : n == -EIO ? EX_DATAERR : EX_SOFTWARE;
		if ((n == -ENOENT && cfg->n_symbols) || n == -EINVAL)
			status = EX_USAGE;
		goto done;
	}
	if (n == 0)
		fprintf(err, PAPERCMD ": %s (empty reports)\n", msg);
	tsc_init_global(NULL);
	rc = paper_init(p, cfg, locs, names, (uint32_t)n, msg, sizeof(msg));
	if (rc) {
		fprintf(err, PAPERCMD ": %s\n", msg);
		status = rc == -EINVAL ? EX_USAGE : EX_SOFTWARE;
		goto done;
	}
	if (mkdir(o.out_dir, 0777) != 0 && errno != EEXIST) {
		fprintf(err, PAPERCMD ": cannot create '%s': %s\n", o.out_dir, strerror(errno));
		status = EX_IOERR;
		goto done;
	}
	p->orders_csv = open_out(o.out_dir, "orders.csv", path, sizeof(path), err);
	{
		char fpath[1024];
		FILE *fills = open_out(o.out_dir, "fills.csv", fpath, sizeof(fpath), err);

		if (!p->orders_csv || !fills) {
			if (fills)
				fclose(fills);
			if (p->orders_csv)
				fclose(p->orders_csv);
			p->orders_csv = NULL;
			status = EX_IOERR;
			goto done;
		}
		acct_attach_fills_csv(&p->acct, fills);
		rc = paper_in_open(&in, o.capture);
		if (rc == 0) {
			const void *map;
			size_t map_len;
			int lk;

			/* No page fault inside the replay: the first touches of
			 * buffers allocated at start-up (event and report
			 * buffers, the gateway's tables, the accounts' series)
			 * and of the stack used to fault in the middle of orders'
			 * tick-to-trade, ~15 times a run. The capture, read
			 * once in order, is not pinned. */
			paper_in_mapping(&in, &map, &map_len);
			lk = arena_lock_process(PAPER_STACK_BYTES, map, map_len);
			if (lk != 0 && lk != -ENOTSUP)
				fprintf(err, PAPERCMD ": memory not locked (mlockall: %s): page "
					"faults may show in the latency figures\n", strerror(-lk));
			rc = paper_run(p, &in, o.quiet ? NULL : err);
			if (rc == -EIO) {
				fprintf(err, PAPERCMD ": %s (the run used what came before)\n",
					in.err);
				status = EX_DATAERR;
			}
			paper_in_close(&in);
		} else {
			fprintf(err, PAPERCMD ": %s\n", in.err);
			status = EX_NOINPUT;
		}
		if (close_out(fills, fpath, err))
			status = EX_IOERR;
		if (close_out(p->orders_csv, path, err))
			status = EX_IOERR;
		p->orders_csv = NULL;
	}
	if (status == 0 || status == EX_DATAERR) {
		int w = write_reports(p, &o, err);

		if (w)
			status = w;
		print_run(p, out);
		if (paper_losses(p))
			fprintf(err, PAPERCMD ": warning: %" PRIu64 " internal drops or refusals "
				"(see the 'internal:' line); the reports may be incomplete\n",
				paper_losses(p));
		print_summary(p, out);
		if (fflush(out) != 0)
			status = EX_IOERR;
	}
done:
	if (p)
		paper_fini(p);
	free(p);
	free(cfg);
	return status;
}
