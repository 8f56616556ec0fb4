/* bench_strategy.c - decision cost of the quote core per market-data event:
 * mm_on_md for one symbol with a 3-level ladder over a seeded synthetic
 * stream (random-walk mid, top and depth changes, trades), each call fenced
 * with the TSC and recorded in an HDR histogram; venue acks, fills and the
 * timer run between calls, untimed (the timer's mean per call and the share
 * of calls its skip answered are printed too; --timer-full runs every timer
 * call's full decision, to compare). Prints p50/p99/p99.9 (values
 * are ns + 1: the histogram records no zero) per repeat and the median over
 * repeats; never judges. --quick is a few-second smoke run.
 * Single-threaded; pin it (taskset) for stable figures. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/hdr.h"
#include "dataplane/events.h"
#include "hw/tsc.h"
#include "strategy/mm.h"

#define MS 1000000ull
#define T0 (36000ull * 1000 * MS)
#define LOC 1
#define MAXI 64
#define MAX_REPEATS 15

static struct mm M;
static bool timer_full; /* --timer-full: cfg.decide_every_timer (no skip) */

static uint64_t rs;
static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

struct ev {
	struct md_event md;
	uint64_t now_ns;
};

/* A liquid $50 name: a 1-cent spread most of the time, the mid moving a
 * tick on ~8% of events, ~45% of events deeper in the book (no top change),
 * ~10% trades, mean gap 200 us. */
static void gen(struct ev *e, size_t n)
{
	uint32_t mid = 500050, bq = 400, aq = 400; /* half-tick mid: 1-cent spread */
	uint64_t t = T0;

	rs = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < n; i++) {
		uint64_t r = rnd();
		struct md_event *m = &e[i].md;
		uint32_t u = (uint32_t)(r % 100);

		memset(m, 0, sizeof(*m));
		m->locate = LOC;
		m->kind = MD_BOOK;
		m->seq = i + 1;
		if (u < 8) {
			mid += (r >> 8) & 1 ? 100 : -100;
			bq = 100 + (uint32_t)(r >> 16) % 900;
			aq = 100 + (uint32_t)(r >> 28) % 900;
			m->flags = MD_F_TOP;
		} else if (u < 45) {
			if ((r >> 8) & 1)
				bq = 100 + (uint32_t)(r >> 16) % 900;
			else
				aq = 100 + (uint32_t)(r >> 16) % 900;
			m->flags = MD_F_TOP;
		} else if (u < 55) {
			m->kind = MD_TRADE;
			m->side = (r >> 8) & 1 ? 'B' : 'S';
			m->qty = 100;
			m->flags = MD_F_TOP;
		} /* else: a change deeper in the book */
		m->bid_px = mid - 50;
		m->ask_px = mid + 50;
		m->bid_qty = bq;
		m->ask_qty = aq;
		if (m->kind == MD_TRADE)
			m->px = m->side == 'B' ? m->bid_px : m->ask_px;
		t += 1000 + (r >> 40) % 399000; /* 1..400 us */
		e[i].now_ns = t;
	}
}

/* The venue: ack everything at once, fill ~2% of new orders. Untimed. */
static void venue(const struct order_intent *in, uint32_t n, uint64_t now, uint64_t *match)
{
	static struct order_intent q[8192];
	uint32_t head = 0, tail = 0;

	for (uint32_t i = 0; i < n; i++)
		q[tail++] = in[i];
	while (head < tail && tail + MAXI <= 8192) {
		const struct order_intent *x = &q[head++];
		struct exec_report r;

		memset(&r, 0, sizeof(r));
		r.locate = LOC;
		r.side = x->side;
		r.px = x->px;
		r.qty = x->qty;
		if (x->op == INTENT_CANCEL) {
			r.kind = EXEC_CANCELED;
			r.token = x->orig_token;
		} else if (x->op == INTENT_NEW || x->op == INTENT_REPLACE) {
			r.kind = x->op == INTENT_NEW ? EXEC_ACCEPTED : EXEC_REPLACED;
			r.token = x->token;
		} else {
			continue;
		}
		tail += mm_on_exec(&M, &r, now, 0, q + tail, MAXI);
		if (r.kind != EXEC_CANCELED && rnd() % 50 == 0) {
			r.kind = EXEC_FILL;
			r.match = ++*match;
			r.fee_e4 = -(int32_t)r.qty / 5;
			tail += mm_on_exec(&M, &r, now, 0, q + tail, MAXI);
		}
	}
}

struct figs {
	double p50, p99, p999, max, mean_ns, out_per_ev;
	double timer_ns; /* mean per mm_on_timer call (fenced apart from the md calls) */
};

static int run(const struct ev *e, size_t n, struct hdr *h, uint64_t overhead, struct figs *f)
{
	struct order_intent out[MAXI];
	struct mm_cfg c;
	uint64_t next_timer = T0, match = 0, nout = 0, sum = 0, tsum = 0, nt = 0;

	mm_cfg_defaults(&c);
	/* The venue's random fills are not a PnL model: keep the drawdown and
	 * position regimes out so the run measures two-sided quoting. */
	for (int l = REGIME_YELLOW; l <= REGIME_KILL; l++) {
		c.regime.band[REGIME_IN_DRAWDOWN][l] = (struct regime_band){ 0, 0 };
		c.regime.band[REGIME_IN_POSITION][l] = (struct regime_band){ 0, 0 };
	}
	c.decide_every_timer = timer_full;
	if (mm_init(&M, &c, LOC, 1, T0))
		return -EINVAL;
	hdr_reset(h);
	rs = 42;
	for (size_t i = 0; i < n; i++) {
		uint64_t t0, t1, d;
		uint32_t k;

		while (next_timer <= e[i].now_ns) {
			t0 = tsc_read_ordered(&tsc_global);
			k = mm_on_timer(&M, next_timer, 0, out, MAXI);
			t1 = tsc_read_ordered(&tsc_global);
			tsum += t1 - t0 > overhead ? t1 - t0 - overhead : 0;
			nt++;
			venue(out, k, next_timer, &match);
			next_timer += c.timer_ns;
		}
		t0 = tsc_read_ordered(&tsc_global);
		k = mm_on_md(&M, &e[i].md, e[i].now_ns, t0, out, MAXI);
		t1 = tsc_read_ordered(&tsc_global);
		d = t1 - t0 > overhead ? t1 - t0 - overhead : 0;
		sum += d;
		hdr_record(h, (int64_t)tsc_to_ns(&tsc_global, d) + 1);
		nout += k;
		venue(out, k, e[i].now_ns, &match);
	}
	f->p50 = (double)hdr_value_at_percentile(h, 50.0);
	f->p99 = (double)hdr_value_at_percentile(h, 99.0);
	f->p999 = (double)hdr_value_at_percentile(h, 99.9);
	f->max = (double)hdr_max(h);
	f->mean_ns = (double)tsc_to_ns(&tsc_global, sum) / (double)n;
	f->out_per_ev = (double)nout / (double)n;
	f->timer_ns = nt ? (double)tsc_to_ns(&tsc_global, tsum) / (double)nt : 0.0;
	return 0;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char **argv)
{
	size_t n = 1000000;
	int repeats = 7;
	struct hdr_cfg hc = { .lowest = 1, .highest = 1000000000, .digits = 3 };
	struct hdr *h;
	struct ev *e;
	uint64_t overhead = UINT64_MAX;
	double p50[MAX_REPEATS], p99[MAX_REPEATS], p999[MAX_REPEATS], mean[MAX_REPEATS];
	struct figs f;

	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--quick") == 0) {
			n = 200000;
			repeats = 3;
		} else if (strcmp(argv[a], "--timer-full") == 0) {
			timer_full = true;
		} else if (strcmp(argv[a], "-n") == 0 && a + 1 < argc) {
			n = strtoull(argv[++a], NULL, 10);
		} else if (strcmp(argv[a], "-r") == 0 && a + 1 < argc) {
			repeats = atoi(argv[++a]);
		} else {
			fprintf(stderr, "usage: bench_strategy [--quick] [--timer-full] [-n EVENTS] "
					"[-r REPEATS]\n");
			return 64;
		}
	}
	if (n < 1000 || repeats < 1 || repeats > MAX_REPEATS) {
		fprintf(stderr, "bench_strategy: -n >= 1000, -r 1..%d\n", MAX_REPEATS);
		return 64;
	}
	tsc_init_global(NULL);
	e = malloc(n * sizeof(*e));
	h = aligned_alloc(64, (hdr_memsize(&hc) + 63) & ~(size_t)63);
	if (!e || !h || hdr_init(h, &hc)) {
		fprintf(stderr, "bench_strategy: out of memory\n");
		return 71;
	}
	gen(e, n);
	for (int i = 0; i < 1000; i++) { /* the cost of the fenced pair itself */
		uint64_t a = tsc_read_ordered(&tsc_global), b = tsc_read_ordered(&tsc_global);

		if (b - a < overhead)
			overhead = b - a;
	}
	printf("bench_strategy: mm_on_md, 1 symbol, 3-level GLFT ladder (mm_cfg_defaults, "
	       "drawdown/position regimes off), "
	       "%zu events x %d repeats; clock %s %.3f GHz, fence pair %llu ticks removed\n",
	       n, repeats, tsc_source_name(tsc_global.source), (double)tsc_global.hz * 1e-9,
	       (unsigned long long)overhead);
	for (int r = 0; r < repeats; r++) {
		if (run(e, n, h, overhead, &f)) {
			fprintf(stderr, "bench_strategy: mm_init failed\n");
			return 70;
		}
		p50[r] = f.p50;
		p99[r] = f.p99;
		p999[r] = f.p999;
		mean[r] = f.mean_ns;
		printf("repeat %d: p50 %.0f ns  p99 %.0f ns  p99.9 %.0f ns  max %.0f ns  "
		       "mean %.1f ns  intents/event %.3f  replans skipped %.1f%% (quiet %.1f%%)  "
		       "timer %.1f ns/call (skipped %.1f%%)  end: regime %s position %lld\n",
		       r + 1, f.p50, f.p99, f.p999, f.max, f.mean_ns, f.out_per_ev,
		       100.0 * (double)M.n_skipped / (double)M.n_md,
		       100.0 * (double)M.n_quiet / (double)M.n_md, f.timer_ns,
		       100.0 * (double)M.n_timer_quiet / (double)(M.n_timer ? M.n_timer : 1),
		       regime_level_name(mm_regime(&M)), (long long)mm_position(&M));
	}
	printf("median of %d: p50 %.0f ns  p99 %.0f ns  p99.9 %.0f ns  mean %.1f ns\n", repeats,
	       median(p50, repeats), median(p99, repeats), median(p999, repeats),
	       median(mean, repeats));
	free(h);
	free(e);
	return 0;
}
