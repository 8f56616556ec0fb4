/* cmd_book.c - `tickwire book CAPTURE`: replay a capture (pcap/pcapng of
 * ITCH 5.0 over MoldUDP64, or a Nasdaq binary ITCH file) through the feed
 * stage and print the books at the end or at a time, and the feed
 * statistics. Main thread. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "dataplane/binfile.h"
#include "dataplane/feed.h"
#include "dataplane/itch.h"
#include "dataplane/pcap_src.h"
#include "hw/arena.h"
#include "tools/cmd.h"

#define BOOKCMD_NAME "tickwire book"
#define BOOKCMD_DEPTH_MAX 1000u
#define BOOKCMD_EV_CAP 4096u
#define BOOKCMD_BURST 32u      /* frames per feed_on_burst call */
#define BOOKCMD_SNAP 65600u    /* bytes kept per frame: any IPv4 datagram with
				* two VLAN tags fits */

struct book_opts {
	const char *path;
	const char *symbol;   /* NULL: all symbols */
	uint32_t depth;
	uint64_t at_ns;       /* UINT64_MAX: the end */
	bool json;
	bool quiet;
	uint32_t max_orders;
};

static void book_usage(FILE *f)
{
	fprintf(f,
		"usage: tickwire book CAPTURE [--symbol SYM] [--depth N] [--at HH:MM:SS.nnnnnnnnn]\n"
		"                     [--json] [--max-orders N] [--quiet]\n\n"
		"Replays CAPTURE through the feed stage (MoldUDP64 sequencing and A/B\n"
		"arbitration, ITCH 5.0, L3 books) and prints the books and feed statistics.\n"
		"CAPTURE is a pcap or pcapng of ITCH 5.0 over MoldUDP64 (Ethernet, VLAN,\n"
		"IPv4, UDP; every UDP datagram is taken; the first source address is line A,\n"
		"a second one line B), or a Nasdaq binary ITCH file (2-byte length framing or\n"
		"the zero-prefixed variant).\n\n"
		"  --symbol SYM     only this symbol, with --depth levels a side\n"
		"  --depth N        price levels a side for --symbol or --json (default 5)\n"
		"  --at TIME        the books as they stood at TIME (exchange time of day,\n"
		"                   HH:MM:SS with up to 9 decimals), not at the end\n"
		"  --json           JSON on stdout; with --symbol exactly one object:\n"
		"                   {\"symbol\":..,\"bids\":[{\"price\":P,\"qty\":Q,\"orders\":K},..],\"asks\":[..]}\n"
		"                   best level first, P in ITCH units (1/10000 USD)\n"
		"  --max-orders N   order table size (default 4194304)\n"
		"  --quiet          no progress on stderr\n"
		"  -h, --help       this text\n\n"
		"exit status: 0 ok; 64 bad options; 65 the capture is not ITCH 5.0, holds no\n"
		"ITCH message, is truncated or corrupt (the books up to that point are still\n"
		"printed), or --symbol is not in it; 66 cannot open CAPTURE; 70 out of memory\n");
}

static int book_usage_error(FILE *err, const char *what, const char *arg)
{
	fprintf(err, BOOKCMD_NAME ": %s '%s'\nTry 'tickwire book --help'.\n", what, arg);
	return EX_USAGE;
}

/* HH:MM:SS[.fraction] -> ns since midnight. */
static bool parse_time(const char *s, uint64_t *out)
{
	unsigned h, m, sec;
	int used = 0;
	uint64_t frac = 0, scale = 100000000u;
	const char *p;

	if (sscanf(s, "%2u:%2u:%2u%n", &h, &m, &sec, &used) != 3 || used != 8 ||
	    h > 23 || m > 59 || sec > 59)
		return false;
	p = s + used;
	if (*p == '.') {
		p++;
		if (*p == '\0')
			return false;
		for (; *p; p++) {
			if (*p < '0' || *p > '9' || scale == 0)
				return false;
			frac += (uint64_t)(*p - '0') * scale;
			scale /= 10;
		}
	} else if (*p != '\0') {
		return false;
	}
	*out = ((uint64_t)h * 3600u + m * 60u + sec) * 1000000000u + frac;
	return true;
}

static int parse_opts(int argc, char **argv, struct book_opts *o, FILE *out, FILE *err)
{
	static const struct option opts[] = {
		{ "symbol", required_argument, NULL, 's' },
		{ "depth", required_argument, NULL, 'd' },
		{ "at", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "max-orders", required_argument, NULL, 'm' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	unsigned long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->depth = 5;
	o->at_ns = UINT64_MAX;
	o->max_orders = 1u << 22;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (optarg[0] == '\0' || strlen(optarg) > 8)
				return book_usage_error(err, "--symbol takes 1 to 8 characters, not",
							optarg);
			o->symbol = optarg;
			break;
		case 'd':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || optarg[0] == '-' || v < 1 || v > BOOKCMD_DEPTH_MAX)
				return book_usage_error(err, "--depth takes 1..1000, not", optarg);
			o->depth = (uint32_t)v;
			break;
		case 'a':
			if (!parse_time(optarg, &o->at_ns))
				return book_usage_error(err, "--at takes HH:MM:SS[.nnnnnnnnn], not",
							optarg);
			break;
		case 'j':
			o->json = true;
			break;
		case 'm':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || optarg[0] == '-' || v < 1 || v > BOOK_ORDERS_MAX)
				return book_usage_error(err, "--max-orders takes 1..2^30, not", optarg);
			o->max_orders = (uint32_t)v;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			book_usage(out);
			return -1;
		default:
			return book_usage_error(err, "unknown or incomplete option",
						argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return book_usage_error(err, argc - optind ? "one capture, not also" : "missing",
					argc - optind ? argv[optind + 1] : "CAPTURE");
	o->path = argv[optind];
	return 0;
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct progress {
	bool on;
	double start, next;
};

static void progress_tick(struct progress *p, FILE *err, uint64_t done, uint64_t total,
			  uint64_t msgs)
{
	double now;

	if (!p->on)
		return;
	now = wall_s();
	if (now < p->next)
		return;
	p->next = now + 1.0;
	if (total)
		fprintf(err, BOOKCMD_NAME ": %5.1f%%  %" PRIu64 " messages  %.0f s\n",
			100.0 * (double)done / (double)total, msgs, now - p->start);
	else
		fprintf(err, BOOKCMD_NAME ": %" PRIu64 " messages  %.0f s\n", msgs, now - p->start);
}

static bool is_capture(const char *path)
{
	uint8_t m[4] = { 0 };
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return false;
	n = fread(m, 1, sizeof(m), f);
	fclose(f);
	if (n < 4)
		return false;
	return (m[0] == 0xd4 && m[1] == 0xc3 && m[2] == 0xb2 && m[3] == 0xa1) ||
	       (m[0] == 0xa1 && m[1] == 0xb2 && m[2] == 0xc3 && m[3] == 0xd4) ||
	       (m[0] == 0x4d && m[1] == 0x3c && m[2] == 0xb2 && m[3] == 0xa1) ||
	       (m[0] == 0xa1 && m[1] == 0xb2 && m[2] == 0x3c && m[3] == 0x4d) ||
	       (m[0] == 0x0a && m[1] == 0x0d && m[2] == 0x0d && m[3] == 0x0a);
}

static int replay_pcap(struct feed *f, const struct book_opts *o, struct md_event *ev,
		       FILE *err, bool *damaged)
{
	struct pcap_src src;
	struct pcap_src_pkt pkt;
	struct progress pr = { !o->quiet, wall_s(), wall_s() + 1.0 };
	static struct feed_frame burst[BOOKCMD_BURST];
	static uint8_t slots[BOOKCMD_BURST * BOOKCMD_SNAP];
	int rc;

	rc = pcap_src_init(&src, o->path);
	if (rc) {
		fprintf(err, BOOKCMD_NAME ": %s\n", src.err);
		return rc == -EINVAL || rc == -EPROTONOSUPPORT ? EX_DATAERR : EX_NOINPUT;
	}
	f->link = src.link;
	/* Frames go through the burst path (the same results as one at a
	 * time, with the book's memory accesses pipelined); libpcap reuses its
	 * buffer, so each frame of a burst is copied into its own slot. */
	while (!f->stopped) {
		uint32_t n = 0;

		while (n < BOOKCMD_BURST && (rc = pcap_src_next(&src, &pkt)) == 1) {
			uint32_t len = pkt.caplen < BOOKCMD_SNAP ? pkt.caplen : BOOKCMD_SNAP;

			memcpy(slots + (size_t)n * BOOKCMD_SNAP, pkt.data, len);
			/* A frame cut here keeps wirelen > len: counted as cut. */
			burst[n] = (struct feed_frame){ slots + (size_t)n * BOOKCMD_SNAP, len,
							pkt.wirelen, pkt.ts_ns, 0 };
			n++;
		}
		if (n)
			feed_on_burst(f, burst, n, ev, BOOKCMD_EV_CAP);
		progress_tick(&pr, err, pcap_src_offset(&src), src.file_bytes, f->st.msgs);
		if (rc != 1)
			break;
	}
	if (rc < 0) {
		fprintf(err, BOOKCMD_NAME ": %s (books as of the last good packet)\n", src.err);
		*damaged = true;
	}
	if (!f->stopped)
		feed_finish(f, 0, ev, BOOKCMD_EV_CAP);
	pcap_src_fini(&src);
	return 0;
}

static int replay_binfile(struct feed *f, const struct book_opts *o, struct md_event *ev,
			  FILE *err, bool *damaged)
{
	struct binfile_reader r;
	enum binfile_framing fr;
	const uint8_t *msg;
	struct stat st;
	size_t mlen;
	uint64_t seq = 1;
	uint8_t *map;
	int fd, rc;

	fd = open(o->path, O_RDONLY);
	if (fd < 0) {
		fprintf(err, BOOKCMD_NAME ": cannot open '%s': %s\n", o->path, strerror(errno));
		return EX_NOINPUT;
	}
	if (fstat(fd, &st) != 0 || st.st_size == 0) {
		fprintf(err, BOOKCMD_NAME ": '%s' is empty or unreadable\n", o->path);
		close(fd);
		return EX_DATAERR;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		fprintf(err, BOOKCMD_NAME ": cannot map '%s': %s\n", o->path, strerror(errno));
		return EX_NOINPUT;
	}
	if (binfile_detect(map, (size_t)st.st_size, &fr) != 0) {
		fprintf(err, BOOKCMD_NAME ": '%s' is neither a pcap/pcapng capture nor a binary "
			"ITCH 5.0 file\n", o->path);
		munmap(map, (size_t)st.st_size);
		return EX_DATAERR;
	}
	binfile_init(&r, map, (size_t)st.st_size, fr);
	while ((rc = binfile_next(&r, &msg, &mlen)) == 1 && !f->stopped)
		feed_on_message(f, msg, mlen, seq++, 0, ev, BOOKCMD_EV_CAP);
	if (rc < 0) {
		fprintf(err, BOOKCMD_NAME ": %s: framing error at byte %zu (books as of the last "
			"good message)\n", o->path, r.off);
		*damaged = true;
	}
	munmap(map, (size_t)st.st_size);
	return 0;
}

static void print_json_side(FILE *out, const struct book_depth_level *lv, uint32_t n)
{
	fputc('[', out);
	for (uint32_t i = 0; i < n; i++)
		fprintf(out, "%s{\"price\":%u,\"qty\":%" PRIu64 ",\"orders\":%u}", i ? "," : "",
			lv[i].px, lv[i].shares, lv[i].orders);
	fputc(']', out);
}

static void print_json_name(FILE *out, const char *name)
{
	fputc('"', out);
	for (const char *p = name; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', out);
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			fprintf(out, "\\u%04x", (unsigned char)*p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

/* One symbol as JSON: {"symbol":..,"bids":[..],"asks":[..]}. */
static void print_json_sym(FILE *out, const struct book_set *bs, uint16_t locate,
			   const char *name, uint32_t depth, struct book_depth_level *lv)
{
	uint32_t n;

	fputs("{\"symbol\":", out);
	print_json_name(out, name);
	fputs(",\"bids\":", out);
	n = book_depth(bs, locate, BOOK_BID, lv, depth);
	print_json_side(out, lv, n);
	fputs(",\"asks\":", out);
	n = book_depth(bs, locate, BOOK_ASK, lv, depth);
	print_json_side(out, lv, n);
	fputc('}', out);
}

static void sym_name(const struct book_set *bs, uint16_t locate, char name[9])
{
	if (book_symbol_name(bs, locate, name) != 0 || name[0] == '\0')
		snprintf(name, 9, "#%u", locate);
}

static void print_px(FILE *out, const char *fmt, uint32_t px)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%u.%04u", px / 10000u, px % 10000u);
	fprintf(out, fmt, buf);
}

static const char *sym_flags_text(const struct feed *f, uint16_t locate, const struct book_sym *s)
{
	static const char *const txt[8] = {
		"", " STALE", " CROSSED", " STALE CROSSED",
		" HALTED", " STALE HALTED", " CROSSED HALTED", " STALE CROSSED HALTED",
	};
	unsigned k = (feed_sym_stale(f, locate) ? 1u : 0u) |
		     ((s->flags & BOOK_SYM_CROSSED) ? 2u : 0u) | (book_sym_halted(s) ? 4u : 0u);

	return txt[k];
}

/* One symbol's depth: bids on the left, asks on the right, best first. */
static void print_sym_text(FILE *out, const struct feed *f, uint16_t locate,
			   uint32_t depth, struct book_depth_level *bid, struct book_depth_level *ask)
{
	const struct book_set *bs = f->books;
	const struct book_sym *s = book_sym_get(bs, locate);
	uint32_t nb = book_depth(bs, locate, BOOK_BID, bid, depth);
	uint32_t na = book_depth(bs, locate, BOOK_ASK, ask, depth);
	char name[9];

	sym_name(bs, locate, name);
	fprintf(out, "\n%s (locate %u): %u orders%s\n", name, locate, s->norders,
		sym_flags_text(f, locate, s));
	fprintf(out, "  %7s %10s %12s | %-12s %-10s %s\n", "orders", "shares", "bid", "ask",
		"shares", "orders");
	for (uint32_t i = 0; i < nb || i < na; i++) {
		if (i < nb) {
			fprintf(out, "  %7u %10" PRIu64 " ", bid[i].orders, bid[i].shares);
			print_px(out, "%12s", bid[i].px);
		} else {
			fprintf(out, "  %7s %10s %12s", "", "", "");
		}
		fputs(" | ", out);
		if (i < na) {
			print_px(out, "%-12s", ask[i].px);
			fprintf(out, " %-10" PRIu64 " %u", ask[i].shares, ask[i].orders);
		}
		fputc('\n', out);
	}
}

/* Top of book of every symbol with orders. */
static void print_tops(FILE *out, const struct feed *f)
{
	const struct book_set *bs = f->books;

	fprintf(out, "\n%-8s %6s %7s %10s %12s | %-12s %-10s\n", "symbol", "locate", "orders",
		"bid qty", "bid", "ask", "ask qty");
	for (uint32_t l = 1; l <= bs->max_locate; l++) {
		const struct book_sym *s = &bs->syms[l];
		char name[9];

		if (s->norders == 0)
			continue;
		sym_name(bs, (uint16_t)l, name);
		fprintf(out, "%-8s %6u %7u %10" PRIu64 " ", name, l, s->norders,
			s->best_qty[BOOK_BID]);
		print_px(out, "%12s", s->best_px[BOOK_BID]);
		fputs(" | ", out);
		print_px(out, "%-12s", s->best_px[BOOK_ASK]);
		fprintf(out, " %-10" PRIu64 "%s\n", s->best_qty[BOOK_ASK], sym_flags_text(f, (uint16_t)l, s));
	}
}

static void print_stats(FILE *out, const struct feed *f)
{
	const struct feed_stats *st = &f->st;
	const struct book_counters *bc = &f->books->cnt;
	const struct mold_stats *ms = &f->mold.stats;
	uint32_t stale = 0, crossed = 0, live = 0;

	for (uint32_t l = 1; l <= f->books->max_locate; l++) {
		const struct book_sym *s = &f->books->syms[l];

		if (s->norders == 0 && s->name[0] == 0)
			continue; /* a locate the feed never mentioned */
		stale += feed_sym_stale(f, (uint16_t)l);
		crossed += (s->flags & BOOK_SYM_CROSSED) != 0;
		live += s->norders != 0;
	}
	fprintf(out, "feed: %" PRIu64 " frames, %" PRIu64 " packets, %" PRIu64 " messages, "
		"%" PRIu64 " gaps, %" PRIu64 " lost, %" PRIu64 " duplicate packets\n",
		st->frames, ms->packets, st->msgs, st->gaps, st->lost,
		ms->dup_packets[0] + ms->dup_packets[1]);
	fputs("messages by type:", out);
	for (int t = 0; t < 256; t++)
		if (st->by_type[t])
			fprintf(out, " %c=%" PRIu64, t, st->by_type[t]);
	fputc('\n', out);
	fprintf(out, "book: %u symbols with orders, %u orders live (peak %u), %u stale, "
		"%u crossed\n", live, bc->orders_live, bc->orders_peak, stale, crossed);
	fprintf(out, "refused: unknown-ref=%" PRIu64 " duplicate-ref=%" PRIu64
		" bad-locate=%" PRIu64 " zero-shares=%" PRIu64 " bad-side=%" PRIu64
		" table-full=%" PRIu64 " clamped=%" PRIu64 "\n",
		bc->rejected[BOOK_EUNKNOWN], bc->rejected[BOOK_EDUP], bc->rejected[BOOK_ELOCATE],
		bc->rejected[BOOK_EZERO], bc->rejected[BOOK_ESIDE],
		bc->rejected[BOOK_EORDERS] + bc->rejected[BOOK_ELEVELS], bc->clamped);
	fprintf(out, "dropped: itch-short=%" PRIu64 " itch-unknown=%" PRIu64
		" itch-empty=%" PRIu64 " itch-long=%" PRIu64, st->itch_short, st->itch_unknown,
		st->itch_empty, st->itch_long);
	for (int r = 1; r < NET_REASON_COUNT; r++)
		if (st->net.reason[r])
			fprintf(out, " %s=%" PRIu64, net_reason_name(r), st->net.reason[r]);
	for (int r = 1; r < MOLD_REASON_COUNT; r++)
		if (ms->malformed[r])
			fprintf(out, " mold-%s=%" PRIu64, mold_reason_name(r), ms->malformed[r]);
	fputc('\n', out);
	fprintf(out, "moldudp64: heartbeats=%" PRIu64 " end-of-session=%" PRIu64 " dup-a=%" PRIu64
		" dup-b=%" PRIu64 " overlaps=%" PRIu64 " reordered=%" PRIu64 " gaps-filled=%" PRIu64
		" gaps-lost=%" PRIu64 " reorder-full=%" PRIu64 " oversize=%" PRIu64
		" session-full=%" PRIu64 " sessions=%" PRIu64 "\n",
		ms->heartbeats, ms->end_packets, ms->dup_packets[0], ms->dup_packets[1], ms->overlaps,
		ms->reordered, ms->gaps_filled, ms->gaps_lost, ms->reorder_full, ms->oversize,
		ms->session_full, ms->sessions);
	fprintf(out, "feed: filtered=%" PRIu64 " bad-packets=%" PRIu64 " extra-sources=%" PRIu64
		" md-events=%" PRIu64 " md-overruns=%" PRIu64 " pool-full-stale=%" PRIu64 "\n",
		st->net.filtered, st->packets_bad, st->sources_extra, st->md_events, st->md_overruns,
		st->pool_full_stale);
}

int cmd_book(int argc, char **argv, FILE *out, FILE *err)
{
	struct book_opts o;
	struct feed_cfg cfg;
	struct feed f;
	struct arena a;
	struct arena_cfg acfg = { .no_lock = true };
	struct md_event *ev = NULL;
	struct book_depth_level *lv = NULL, *lv2 = NULL;
	struct stat st;
	bool damaged = false;
	int rc, locate = 0;

	rc = parse_opts(argc, argv, &o, out, err);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (stat(o.path, &st) != 0 || access(o.path, R_OK) != 0) {
		fprintf(err, BOOKCMD_NAME ": cannot open '%s': %s\n", o.path, strerror(errno));
		return EX_NOINPUT;
	}
	if (S_ISDIR(st.st_mode)) {
		fprintf(err, BOOKCMD_NAME ": '%s' is a directory\n", o.path);
		return EX_NOINPUT;
	}
	feed_cfg_defaults(&cfg);
	cfg.book.max_orders = o.max_orders;
	acfg.size = feed_memsize(&cfg);
	if (acfg.size == 0 || arena_init(&a, &acfg) != 0) {
		fprintf(err, BOOKCMD_NAME ": cannot allocate %zu bytes for the books\n", acfg.size);
		return EX_SOFTWARE;
	}
	ev = malloc(sizeof(*ev) * BOOKCMD_EV_CAP);
	lv = malloc(sizeof(*lv) * o.depth);
	lv2 = malloc(sizeof(*lv2) * o.depth);
	if (!ev || !lv || !lv2 || feed_init(&f, &cfg, &a) != 0) {
		fprintf(err, BOOKCMD_NAME ": out of memory\n");
		rc = EX_SOFTWARE;
		goto out_mem;
	}
	feed_stop_at(&f, o.at_ns);
	/* A pipe or device is read by libpcap (a binary ITCH file must be a
	 * regular file: it is mapped); a regular file by its first bytes. */
	if (!S_ISREG(st.st_mode) || is_capture(o.path))
		rc = replay_pcap(&f, &o, ev, err, &damaged);
	else
		rc = replay_binfile(&f, &o, ev, err, &damaged);
	if (rc)
		goto out_feed;
	if (f.st.msgs == 0 && !o.json)
		fprintf(err, BOOKCMD_NAME ": no ITCH 5.0 messages in '%s'\n", o.path);

	if (o.symbol) {
		locate = book_find_symbol(f.books, o.symbol);
		if (locate <= 0) {
			fprintf(err, BOOKCMD_NAME ": symbol '%s' is not in %s\n", o.symbol, o.path);
			rc = EX_DATAERR;
			goto out_feed;
		}
	}
	if (o.json) {
		char name[9];

		if (o.symbol) {
			print_json_sym(out, f.books, (uint16_t)locate, o.symbol, o.depth, lv);
			fputc('\n', out);
		} else {
			bool first = true;

			fputs("{\"symbols\":[", out);
			for (uint32_t l = 1; l <= f.books->max_locate; l++) {
				if (f.books->syms[l].norders == 0)
					continue;
				sym_name(f.books, (uint16_t)l, name);
				fputs(first ? "" : ",", out);
				print_json_sym(out, f.books, (uint16_t)l, name, o.depth, lv);
				first = false;
			}
			fputs("]}\n", out);
		}
	} else {
		print_stats(out, &f);
		if (o.symbol)
			print_sym_text(out, &f, (uint16_t)locate, o.depth, lv, lv2);
		else
			print_tops(out, &f);
	}
	rc = ferror(out) ? EX_IOERR : (damaged || f.st.msgs == 0) ? EX_DATAERR : 0;
out_feed:
	feed_fini(&f);
out_mem:
	free(ev);
	free(lv);
	free(lv2);
	arena_fini(&a);
	return rc;
}
