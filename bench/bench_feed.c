/* bench_feed.c - feed-stage cost per ITCH message over a large synthetic
 * capture: decode only (frame, MoldUDP64, ITCH), and decode + L3 book (the
 * whole feed stage, md_events included), from packets in memory; and the
 * same messages in Nasdaq's binary file framing. The capture is made by
 * `tickwire synth` on first use and cached under the build folder; it is
 * never committed. Prints figures; never passes or fails. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dataplane/binfile.h"
#include "dataplane/feed.h"
#include "dataplane/itch.h"
#include "dataplane/mold.h"
#include "dataplane/pcap_src.h"
#include "hw/arena.h"
#include "hw/cpu.h"
#include "hw/tsc.h"

#ifndef TW_BENCH_DIR
#define TW_BENCH_DIR "."
#endif
#ifndef TW_TICKWIRE_PATH
#define TW_TICKWIRE_PATH "tickwire"
#endif

extern char **environ;

struct frames {
	uint8_t *data;      /* all frames back to back */
	size_t used, cap;
	uint64_t *off;      /* frame i at data + off[i], length len[i] */
	uint32_t *len;
	uint64_t *ts;
	size_t n, ncap;
	enum net_link link;
};

/* The timed passes over a fresh feed. */
enum pass {
	PASS_FRAME = 0,    /* feed_on_frame, one frame at a time */
	PASS_BURST = 1,    /* feed_on_burst, BENCH_BURST frames a call */
	PASS_BIN = 2,      /* binary file, feed_on_message one at a time */
	PASS_BIN_BURST = 3,/* binary file, feed_on_messages BENCH_BURST_MSGS a call */
	PASS_COUNT = 4,
};

static const char *const pass_names[PASS_COUNT] = { "frame", "burst", "bin", "binburst" };

struct opts {
	uint64_t messages;
	unsigned repeats;
	const char *capture;
	uint32_t max_orders;
	int cpu;
	unsigned passes;    /* 1 << enum pass, for each pass run */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_feed [--messages N] [--repeats N] [--capture FILE] [--max-orders N]\n"
		   "                  [--cpu C] [--passes LIST] [--quick]\n"
		   "  Feed-stage cost per ITCH message: decode only, decode + L3 book, and the\n"
		   "  binary-file framing, over a synthetic capture of N messages (default 50M,\n"
		   "  made by 'tickwire synth --model many' and cached in the build folder).\n"
		   "  --repeats N   timed passes per figure; the median is reported (default 3)\n"
		   "  --capture F   use this capture instead of a synthetic one\n"
		   "  --max-orders  order table size (default 8388608)\n"
		   "  --cpu C       pin to cpu C (default: the first allowed)\n"
		   "  --passes L    feed passes to time, comma separated, of frame, burst, bin,\n"
		   "                binburst (default: all)\n"
		   "  --quick       200k messages, 1 repeat (smoke run)\n");
}

/* "frame,burst" -> bits of enum pass. */
static int parse_passes(const char *list, unsigned *out)
{
	char buf[128], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	*out = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int p;

		for (p = 0; p < PASS_COUNT && strcmp(tok, pass_names[p]) != 0; p++)
			;
		if (p == PASS_COUNT)
			return -1;
		*out |= 1u << p;
	}
	return *out ? 0 : -1;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "messages", required_argument, NULL, 'm' }, { "repeats", required_argument, NULL, 'r' },
		{ "capture", required_argument, NULL, 'c' },  { "max-orders", required_argument, NULL, 'o' },
		{ "cpu", required_argument, NULL, 'p' },      { "quick", no_argument, NULL, 'q' },
		{ "passes", required_argument, NULL, 's' },   { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->messages = 50000000;
	o->repeats = 3;
	o->capture = NULL;
	o->max_orders = 1u << 23;
	o->cpu = -1;
	o->passes = (1u << PASS_COUNT) - 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'm': o->messages = strtoull(optarg, NULL, 10); break;
		case 'r': o->repeats = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'c': o->capture = optarg; break;
		case 'o': o->max_orders = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'p': o->cpu = atoi(optarg); break;
		case 'q': o->messages = 200000; o->repeats = 1; break;
		case 's':
			if (parse_passes(optarg, &o->passes) != 0)
				return -1;
			break;
		case 'h': usage(stdout); exit(0);
		default: return -1;
		}
	}
	if (o->messages == 0 || o->repeats == 0 || o->repeats > 15 || o->max_orders == 0)
		return -1;
	return 0;
}

static int make_capture(const char *path, uint64_t messages)
{
	char n[32];
	char *argv[] = { (char *)TW_TICKWIRE_PATH, (char *)"synth", (char *)"--model",
			 (char *)"many", (char *)"--seed", (char *)"1", (char *)"--messages", n,
			 (char *)"--out", (char *)path, NULL };
	pid_t pid;
	int st;

	snprintf(n, sizeof(n), "%" PRIu64, messages);
	fprintf(stderr, "bench_feed: generating %s (%" PRIu64 " messages) with tickwire synth\n",
		path, messages);
	if (posix_spawn(&pid, TW_TICKWIRE_PATH, NULL, NULL, argv, environ) != 0)
		return -1;
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -1;
	return 0;
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (!q) {
		fprintf(stderr, "bench_feed: out of memory (%zu bytes)\n", n);
		exit(1);
	}
	return q;
}

static int load(const char *path, struct frames *fr)
{
	struct pcap_src src;
	struct pcap_src_pkt pkt;
	int rc;

	memset(fr, 0, sizeof(*fr));
	if (pcap_src_init(&src, path) != 0) {
		fprintf(stderr, "bench_feed: %s\n", src.err);
		return -1;
	}
	fr->link = src.link;
	while ((rc = pcap_src_next(&src, &pkt)) == 1) {
		if (fr->n == fr->ncap) {
			fr->ncap = fr->ncap ? fr->ncap * 2 : 1u << 16;
			fr->off = xrealloc(fr->off, fr->ncap * sizeof(*fr->off));
			fr->len = xrealloc(fr->len, fr->ncap * sizeof(*fr->len));
			fr->ts = xrealloc(fr->ts, fr->ncap * sizeof(*fr->ts));
		}
		if (fr->used + pkt.caplen > fr->cap) {
			fr->cap = fr->cap ? fr->cap * 2 : 1u << 26;
			fr->data = xrealloc(fr->data, fr->cap);
		}
		memcpy(fr->data + fr->used, pkt.data, pkt.caplen);
		fr->off[fr->n] = fr->used;
		fr->len[fr->n] = pkt.caplen;
		fr->ts[fr->n] = pkt.ts_ns;
		fr->used += pkt.caplen;
		fr->n++;
	}
	pcap_src_fini(&src);
	return rc < 0 ? -1 : 0;
}

/* Decode only: frame -> UDP -> MoldUDP64 blocks -> itch_decode. Returns
 * messages decoded; *sink defeats dead-code elimination. */
static uint64_t pass_decode(const struct frames *fr, uint64_t *sink)
{
	uint64_t msgs = 0, acc = 0;

	for (size_t i = 0; i < fr->n; i++) {
		struct net_udp u;
		struct mold_pkt mp;
		const uint8_t *p;

		if (net_parse_link(fr->link, fr->data + fr->off[i], fr->len[i], fr->len[i], &u) ||
		    mold_parse(u.payload, u.payload_len, &mp) != 0)
			continue;
		p = mp.blocks;
		for (uint16_t k = 0; k < mp.nmsgs; k++) {
			uint16_t len = mold_block_len(p);
			struct itch_msg m;

			if (itch_decode(p + MOLD_BLOCK_HDR_LEN, len, &m) > 0) {
				acc += m.ts_ns ^ m.locate;
				msgs++;
			}
			p += MOLD_BLOCK_HDR_LEN + len;
		}
	}
	*sink += acc;
	return msgs;
}

/* The whole feed stage: net, MoldUDP64 sequencing, ITCH, L3 book, md_events. */
static uint64_t pass_feed(struct feed *f, const struct frames *fr, struct md_event *ev,
			  uint64_t *sink)
{
	uint64_t before = f->st.msgs, acc = 0;

	for (size_t i = 0; i < fr->n; i++) {
		uint32_t n = feed_on_frame(f, fr->data + fr->off[i], fr->len[i], fr->len[i], fr->ts[i],
					   0, ev, 256);
		if (n)
			acc += ev[n - 1].bid_px;
	}
	*sink += acc;
	return f->st.msgs - before;
}

/* Frames per feed_on_burst call: an rx burst (rte_eth_rx_burst's usual 32). */
#define BENCH_BURST 32u
/* md_events room per burst: every message of 32 frames plus state events. */
#define BENCH_BURST_EVENTS 4096u

/* The whole feed stage in bursts of BENCH_BURST frames, as a DPDK or
 * io_uring receive loop calls it. */
static uint64_t pass_feed_burst(struct feed *f, const struct frames *fr, struct md_event *ev,
				uint64_t *sink)
{
	struct feed_frame b[BENCH_BURST];
	uint64_t before = f->st.msgs, acc = 0;

	for (size_t i = 0; i < fr->n; i += BENCH_BURST) {
		uint32_t m = fr->n - i < BENCH_BURST ? (uint32_t)(fr->n - i) : BENCH_BURST, n;

		for (uint32_t k = 0; k < m; k++) {
			b[k].data = fr->data + fr->off[i + k];
			b[k].caplen = b[k].wirelen = fr->len[i + k];
			b[k].t_ns = fr->ts[i + k];
			b[k].t_rx_tsc = 0;
		}
		n = feed_on_burst(f, b, m, ev, BENCH_BURST_EVENTS);
		if (n)
			acc += ev[n - 1].bid_px;
	}
	*sink += acc;
	return f->st.msgs - before;
}

/* The same messages in BinaryFILE framing, decoded and applied to the book. */
static uint64_t pass_binfile(struct feed *f, const uint8_t *buf, size_t len,
			     struct md_event *ev, uint64_t *sink)
{
	struct binfile_reader r;
	const uint8_t *msg;
	size_t mlen;
	uint64_t seq = 1, before = f->st.msgs, acc = 0;

	binfile_init(&r, buf, len, BINFILE_LEN16);
	while (binfile_next(&r, &msg, &mlen) == 1) {
		uint32_t n = feed_on_message(f, msg, mlen, seq++, 0, ev, 256);

		if (n)
			acc += ev[0].bid_px;
	}
	*sink += acc;
	return f->st.msgs - before;
}

/* Messages per feed_on_messages call on the binary file: about what a
 * 32-frame burst carries (~3 messages a frame). */
#define BENCH_BURST_MSGS 96u

/* The binary file in runs of BENCH_BURST_MSGS messages through
 * feed_on_messages (pipelined). */
static uint64_t pass_binfile_burst(struct feed *f, const uint8_t *buf, size_t len,
				   struct md_event *ev, uint64_t *sink)
{
	struct binfile_reader r;
	struct feed_msg b[BENCH_BURST_MSGS];
	const uint8_t *msg;
	size_t mlen;
	uint64_t seq = 1, before = f->st.msgs, acc = 0;
	uint32_t m = 0, n;
	int rc;

	binfile_init(&r, buf, len, BINFILE_LEN16);
	do {
		rc = binfile_next(&r, &msg, &mlen);
		if (rc == 1) {
			b[m].data = msg;
			b[m++].len = (uint32_t)mlen;
		}
		if (m == BENCH_BURST_MSGS || (rc != 1 && m)) {
			n = feed_on_messages(f, b, m, seq, 0, ev, BENCH_BURST_EVENTS);
			seq += m;
			m = 0;
			if (n)
				acc += ev[0].bid_px;
		}
	} while (rc == 1);
	*sink += acc;
	return f->st.msgs - before;
}

static size_t to_binfile(const struct frames *fr, uint8_t **out)
{
	size_t cap = fr->used, used = 0;
	uint8_t *buf = xrealloc(NULL, cap);

	for (size_t i = 0; i < fr->n; i++) {
		struct net_udp u;
		struct mold_pkt mp;
		const uint8_t *p;

		if (net_parse_link(fr->link, fr->data + fr->off[i], fr->len[i], fr->len[i], &u) ||
		    mold_parse(u.payload, u.payload_len, &mp) != 0)
			continue;
		p = mp.blocks;
		for (uint16_t k = 0; k < mp.nmsgs; k++) {
			uint16_t len = mold_block_len(p);

			memcpy(buf + used, p, MOLD_BLOCK_HDR_LEN + (size_t)len);
			used += MOLD_BLOCK_HDR_LEN + (size_t)len;
			p += MOLD_BLOCK_HDR_LEN + len;
		}
	}
	*out = buf;
	return used;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static long peak_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* What a pass left in the book, to check the burst paths against the
 * one-at-a-time ones. */
struct pass_result {
	uint64_t msgs, md_events, refused;
	struct book_counters cnt;
};

static int run_pass(enum pass p, const struct feed_cfg *cfg, const struct frames *fr,
		    const uint8_t *bin, size_t binlen, struct md_event *ev, uint64_t *sink,
		    double *ns, struct pass_result *res)
{
	struct arena a;
	struct arena_cfg ac = { .size = feed_memsize(cfg), .no_lock = true };
	struct feed f;
	uint64_t t0, t1, msgs = 0;

	if (arena_init(&a, &ac) != 0 || feed_init(&f, cfg, &a) != 0) {
		fprintf(stderr, "bench_feed: cannot set up the feed (%zu bytes)\n", ac.size);
		return -1;
	}
	f.link = fr->link;
	t0 = tsc_read_ordered(&tsc_global);
	switch (p) {
	case PASS_FRAME: msgs = pass_feed(&f, fr, ev, sink); break;
	case PASS_BURST: msgs = pass_feed_burst(&f, fr, ev, sink); break;
	case PASS_BIN: msgs = pass_binfile(&f, bin, binlen, ev, sink); break;
	default: msgs = pass_binfile_burst(&f, bin, binlen, ev, sink); break;
	}
	t1 = tsc_read_ordered(&tsc_global);
	*ns = (double)tsc_to_ns(&tsc_global, t1 - t0) / (double)(msgs ? msgs : 1);
	res->msgs = msgs;
	res->md_events = f.st.md_events;
	res->refused = f.st.book_refused;
	res->cnt = f.books->cnt;
	if (f.st.book_refused || f.st.gaps)
		fprintf(stderr, "bench_feed: note: %s: %" PRIu64 " book updates refused, %" PRIu64
			" gaps\n", pass_names[p], f.st.book_refused, f.st.gaps);
	feed_fini(&f);
	arena_fini(&a);
	return 0;
}

int main(int argc, char **argv)
{
	static struct md_event ev[BENCH_BURST_EVENTS];
	struct opts o;
	struct frames fr;
	struct feed_cfg cfg;
	struct book_mem bm;
	struct pass_result res[PASS_COUNT];
	char path[512], why[160];
	double t_dec[16], t_pass[PASS_COUNT][16];
	uint64_t sink = 0, msgs = 0;
	uint8_t *bin;
	size_t binlen;
	int allowed[1];
	struct stat st;

	if (parse(argc, argv, &o) != 0) {
		usage(stderr);
		return 2;
	}
	if (o.cpu < 0 && cpu_allowed(allowed, 1) >= 1)
		o.cpu = allowed[0];
	if (o.cpu >= 0 && cpu_pin_self(o.cpu, why, sizeof(why)) != 0)
		fprintf(stderr, "bench_feed: %s (running unpinned)\n", why);
	tsc_init_global(NULL);

	if (o.capture) {
		snprintf(path, sizeof(path), "%s", o.capture);
	} else {
		snprintf(path, sizeof(path), "%s/bench_feed_%" PRIu64 ".pcap", TW_BENCH_DIR,
			 o.messages);
		if (stat(path, &st) != 0 && make_capture(path, o.messages) != 0) {
			fprintf(stderr, "bench_feed: could not generate %s with %s synth\n", path,
				TW_TICKWIRE_PATH);
			return 1;
		}
	}
	if (load(path, &fr) != 0)
		return 1;
	binlen = to_binfile(&fr, &bin);

	feed_cfg_defaults(&cfg);
	cfg.book.max_orders = o.max_orders;
	book_memsize_detail(&cfg.book, &bm);
	memset(res, 0, sizeof(res));

	for (unsigned r = 0; r < o.repeats; r++) {
		uint64_t t0, t1;

		t0 = tsc_read_ordered(&tsc_global);
		msgs = pass_decode(&fr, &sink);
		t1 = tsc_read_ordered(&tsc_global);
		t_dec[r] = (double)tsc_to_ns(&tsc_global, t1 - t0) / (double)msgs;
		for (int p = 0; p < PASS_COUNT; p++) {
			t_pass[p][r] = 0;
			if (!(o.passes & (1u << p)))
				continue;
			if (run_pass((enum pass)p, &cfg, &fr, bin, binlen, ev, &sink, &t_pass[p][r],
				     &res[p]) != 0)
				return 1;
		}
	}
	/* The burst paths must leave what the one-at-a-time paths leave. */
	for (int p = PASS_FRAME; p <= PASS_BIN; p += 2) {
		if ((o.passes & (3u << p)) == (3u << p) &&
		    (res[p].msgs != res[p + 1].msgs || res[p].md_events != res[p + 1].md_events ||
		     memcmp(&res[p].cnt, &res[p + 1].cnt, sizeof(res[p].cnt)) != 0))
			fprintf(stderr, "bench_feed: WARNING: %s and %s passes differ\n",
				pass_names[p], pass_names[p + 1]);
	}

	printf("bench_feed: %s: %zu packets, %" PRIu64 " messages; cpu %d; clock %s; %u repeats, "
	       "median\n", path, fr.n, msgs, o.cpu, tsc_source_name(tsc_global.source), o.repeats);
	printf("  decode only (frame, MoldUDP64, ITCH)              %7.2f ns/message\n",
	       median(t_dec, o.repeats));
	if (o.passes & (1u << PASS_FRAME))
		printf("  feed stage, frame at a time (feed_on_frame)       %7.2f ns/message  "
		       "(%" PRIu64 " messages)\n", median(t_pass[PASS_FRAME], o.repeats),
		       res[PASS_FRAME].msgs);
	if (o.passes & (1u << PASS_BURST))
		printf("  feed stage, bursts of %2u frames (feed_on_burst)   %7.2f ns/message  "
		       "(%" PRIu64 " messages)\n", BENCH_BURST, median(t_pass[PASS_BURST], o.repeats),
		       res[PASS_BURST].msgs);
	if (o.passes & (1u << PASS_BIN))
		printf("  binary file, message at a time (feed_on_message)  %7.2f ns/message\n",
		       median(t_pass[PASS_BIN], o.repeats));
	if (o.passes & (1u << PASS_BIN_BURST))
		printf("  binary file, runs of %3u (feed_on_messages)       %7.2f ns/message\n",
		       BENCH_BURST_MSGS, median(t_pass[PASS_BIN_BURST], o.repeats));
	printf("  order table for %u orders: %zu bytes (table %zu + pool %zu); whole book set "
	       "%zu bytes\n", o.max_orders, bm.table + bm.orders, bm.table, bm.orders, bm.total);
	for (int p = 0; p < PASS_COUNT; p++) {
		if (!(o.passes & (1u << p)))
			continue;
		printf("  peak live orders %u, peak levels %u; process peak RSS %ld MiB (capture in "
		       "memory)\n", res[p].cnt.orders_peak, res[p].cnt.levels_peak,
		       peak_rss_kb() / 1024);
		break;
	}
	if (sink == 42)
		printf(" \n");
	free(fr.data);
	free(fr.off);
	free(fr.len);
	free(fr.ts);
	free(bin);
	return 0;
}
