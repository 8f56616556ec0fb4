/* bench_gw.c - gateway stage cost per intent: gw_on_intent (pre-trade checks,
 * order store, OUCH 5.0 encode in a SoupBinTCP packet) over a seeded market-
 * maker flow (NEW / REPLACE / CANCEL, 10 symbols, locates spread over
 * 1..65535, two levels a side), each call fenced with the TSC and recorded
 * in an HDR histogram; the venue's acks and fills go back through gw_on_wire
 * untimed so the store stays at a steady size. Two modes: warm (intents back
 * to back) and cold (a stream through a buffer of several MB between
 * intents, as the inline feed does). Prints p50/p99/p99.9 per repeat and the
 * median over repeats; never judges. Single-threaded; pin it (taskset). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/hdr.h"
#include "dataplane/events.h"
#include "gateway/gw.h"
#include "gateway/ouch.h"
#include "gateway/soup.h"
#include "hw/tsc.h"

#define NSYM 10
#define LEVELS 2
#define TICK 100                   /* 1 cent in 1e-4 USD */
#define STEP_NS 250000ull          /* 250 us between intents */
#define T0 (34200ull * 1000000000ull)
#define MAX_REPEATS 15

/* One quoted level of one side of one symbol, as the venue sees it. */
struct lvl {
	uint64_t token;
	uint32_t ref, px, qty;
	int on;                    /* working at the venue */
};

struct sym {
	uint16_t locate;
	uint32_t mid;              /* 1e-4 USD, a multiple of TICK */
	struct lvl l[2][LEVELS];   /* [0] bids, [1] asks */
};

struct run_cfg {
	size_t n;                  /* intents timed */
	size_t cold_bytes;         /* 0 = warm */
	uint64_t overhead;         /* ticks of the fenced pair */
	int to_bytes;              /* time gw_send_intent, commit untimed */
};

struct figs {
	double p50, p99, p999, max, mean;
	uint64_t refused, ops[5];
};

static uint64_t rs;
static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static struct gw G;
static struct sym S[NSYM];
static uint8_t *evict;            /* cold mode's stream */
static volatile uint64_t sink;

/* Read one byte of every line of the buffer (and dirty one in 8 so the
 * stream also forces write-backs, as the feed's book updates do). */
static void stream(size_t bytes)
{
	uint64_t acc = 0;

	for (size_t i = 0; i < bytes; i += 64) {
		acc += evict[i];
		if (!(i & 511))
			evict[i] = (uint8_t)acc;
	}
	sink = acc;
}

/* The venue's answer to what gw wrote: one 'S' packet fed to gw_on_wire. */
static void venue_send(const struct ouch_out *m)
{
	uint8_t buf[256];
	struct exec_report rep[4];
	size_t used;
	int k = ouch_out_encode(buf + SOUP_HDR_LEN, sizeof(buf) - SOUP_HDR_LEN, m);

	if (k < 0)
		abort();
	soup_hdr_write(buf, SOUP_T_SEQ_DATA, (uint16_t)k);
	gw_on_wire(&G, buf, SOUP_HDR_LEN + (size_t)k, &used, 0, rep, 4);
}

static uint64_t now_ns, next_token, match_num;

/* The intent for symbol s this step: a level that is not working gets a
 * NEW; a working one is re-priced (REPLACE, ~75%) or pulled (CANCEL). The
 * mid moves by at most one tick a step, so bids stay below asks. */
static void make_intent(struct sym *s, struct order_intent *in, struct lvl **lv)
{
	uint64_t r = rnd();
	int side = (int)(r & 1), lvl = (int)((r >> 1) % LEVELS);
	struct lvl *x = &s->l[side][lvl];
	uint32_t u = (uint32_t)((r >> 8) % 100);

	if (u < 30)
		s->mid += (r >> 20) & 1 ? TICK : (s->mid > 20 * TICK ? -TICK : TICK);
	/* A working order the mid has reached is re-priced first. */
	for (int sd = 0; sd < 2; sd++)
		for (int l = 0; l < LEVELS; l++) {
			struct lvl *y = &s->l[sd][l];

			if (y->on && (sd ? y->px <= s->mid : y->px >= s->mid)) {
				side = sd;
				lvl = l;
				x = y;
				u = 0;
			}
		}
	memset(in, 0, sizeof(*in));
	in->locate = s->locate;
	in->side = side ? 'S' : 'B';
	in->qty = 100 + (uint32_t)((r >> 24) % 4) * 100;
	in->px = side ? s->mid + (uint32_t)(lvl + 1) * TICK : s->mid - (uint32_t)(lvl + 1) * TICK;
	in->token = next_token++;
	if (!x->on) {
		in->op = INTENT_NEW;
	} else if (!u || (r >> 32) % 100 < 75) {
		in->op = INTENT_REPLACE;
		in->orig_token = x->token;
	} else {
		in->op = INTENT_CANCEL;
		in->orig_token = x->token;
		in->token = 0;
	}
	*lv = x;
}

/* Untimed: read back what gw sent, answer as the venue, and fill ~3% of
 * the working orders in full. */
static void venue_answer(const struct order_intent *in, struct lvl *x, const uint8_t *wire,
			 long n)
{
	struct soup_pkt p;
	struct ouch_in m;
	struct ouch_out o;

	if (n <= 0 || soup_parse(wire, (size_t)n, &p) <= 0 ||
	    ouch_in_decode(p.payload, p.payload_len, &m) < 0)
		abort();
	memset(&o, 0, sizeof(o));
	switch (in->op) {
	case INTENT_NEW:
		o.type = OUCH_OUT_ACCEPTED;
		o.u.accepted.ts_ns = now_ns;
		o.u.accepted.price = in->px;
		o.u.accepted.order_ref = m.u.enter.user_ref_num;
		o.u.accepted.user_ref_num = m.u.enter.user_ref_num;
		o.u.accepted.qty = in->qty;
		memcpy(o.u.accepted.symbol, m.u.enter.symbol, OUCH_SYMBOL_LEN);
		memcpy(o.u.accepted.clordid, m.u.enter.clordid, OUCH_CLORDID_LEN);
		o.u.accepted.side = (char)in->side;
		o.u.accepted.tif = '0';
		o.u.accepted.display = 'Y';
		o.u.accepted.capacity = 'P';
		o.u.accepted.iso = 'N';
		o.u.accepted.cross_type = 'N';
		o.u.accepted.order_state = 'L';
		venue_send(&o);
		*x = (struct lvl){ in->token, m.u.enter.user_ref_num, in->px, in->qty, 1 };
		break;
	case INTENT_REPLACE:
		o.type = OUCH_OUT_REPLACED;
		o.u.replaced.ts_ns = now_ns;
		o.u.replaced.price = in->px;
		o.u.replaced.order_ref = m.u.replace.user_ref_num;
		o.u.replaced.orig_user_ref_num = m.u.replace.orig_user_ref_num;
		o.u.replaced.user_ref_num = m.u.replace.user_ref_num;
		o.u.replaced.qty = in->qty;
		memcpy(o.u.replaced.clordid, m.u.replace.clordid, OUCH_CLORDID_LEN);
		o.u.replaced.side = (char)in->side;
		o.u.replaced.order_state = 'L';
		venue_send(&o);
		*x = (struct lvl){ in->token, m.u.replace.user_ref_num, in->px, in->qty, 1 };
		break;
	case INTENT_CANCEL:
		o.type = OUCH_OUT_CANCELED;
		o.u.canceled.ts_ns = now_ns;
		o.u.canceled.user_ref_num = m.u.cancel.user_ref_num;
		o.u.canceled.qty = x->qty;
		o.u.canceled.reason = 'U';
		venue_send(&o);
		x->on = 0;
		break;
	default:
		abort();
	}
	if (rnd() % 100 < 3) { /* a fill of some working order */
		struct sym *s = &S[rnd() % NSYM];
		int side = (int)(rnd() & 1);
		struct lvl *f = &s->l[side][rnd() % LEVELS];

		if (!f->on)
			return;
		memset(&o, 0, sizeof(o));
		o.type = OUCH_OUT_EXECUTED;
		o.u.executed.ts_ns = now_ns;
		o.u.executed.price = f->px;
		o.u.executed.match_num = ++match_num;
		o.u.executed.user_ref_num = f->ref;
		o.u.executed.qty = f->qty;
		o.u.executed.liquidity = 'A';
		venue_send(&o);
		f->on = 0;
	}
}

static int setup(void)
{
	struct gw_cfg c;

	gw_cfg_defaults(&c);
	/* Random fills are no position model: keep the position, credit and
	 * rate limits out of the way so every intent passes. */
	c.risk.max_position = 1ull << 40;
	c.risk.credit_limit = 1ull << 61;
	c.risk.rate_per_s = 1000000;
	if (gw_init(&G, &c, T0))
		return -1;
	for (int i = 0; i < NSYM; i++) {
		char name[8];

		memset(name, ' ', sizeof(name));
		name[0] = 'S';
		name[1] = (char)('A' + i);
		memset(&S[i], 0, sizeof(S[i]));
		/* spread over the locate space, not in one block */
		S[i].locate = (uint16_t)(1 + (uint32_t)i * 6553u + (uint32_t)(i * 37) % 1000);
		S[i].mid = 100000u + (uint32_t)i * 50000u;
		if (gw_set_symbol(&G, S[i].locate, name))
			return -1;
	}
	return 0;
}

static void step(struct order_intent *in, struct lvl **x, struct sym **s)
{
	*s = &S[rnd() % NSYM];
	make_intent(*s, in, x);
	gw_set_ref(&G, (*s)->locate, (*s)->mid);
	now_ns += STEP_NS;
}

static int run(const struct run_cfg *rc, struct hdr *h, struct figs *f)
{
	uint8_t wire[256];
	struct exec_report rej;
	uint64_t sum = 0;
	size_t warmup = 20000;

	rs = 0x9e3779b97f4a7c15ull;
	now_ns = T0;
	next_token = 1;
	match_num = 0;
	if (setup())
		return -1;
	memset(f, 0, sizeof(*f));
	/* Fill the store and the token history to their steady state. */
	for (size_t i = 0; i < warmup; i++) {
		struct order_intent in;
		struct lvl *x;
		struct sym *s;
		long k;

		step(&in, &x, &s);
		k = gw_on_intent(&G, &in, now_ns, wire, sizeof(wire), &rej);
		if (k >= 0)
			venue_answer(&in, x, wire, k);
	}
	hdr_reset(h);
	for (size_t i = 0; i < rc->n; i++) {
		struct order_intent in;
		struct lvl *x;
		struct sym *s;
		uint64_t t0, t1, d;
		long k;

		step(&in, &x, &s);
		if (rc->cold_bytes)
			stream(rc->cold_bytes);
		t0 = tsc_read_ordered(&tsc_global);
		if (rc->to_bytes) {
			/* as tickwire paper: the bytes, then the store's record */
			k = gw_send_intent(&G, &in, now_ns, wire, sizeof(wire), &rej);
			t1 = tsc_read_ordered(&tsc_global);
			gw_commit(&G);
		} else {
			k = gw_on_intent(&G, &in, now_ns, wire, sizeof(wire), &rej);
			t1 = tsc_read_ordered(&tsc_global);
		}
		d = t1 - t0 > rc->overhead ? t1 - t0 - rc->overhead : 0;
		if (k < 0) { /* not on the tick-to-trade path: counted, not timed */
			f->refused++;
			continue;
		}
		sum += d;
		hdr_record(h, (int64_t)tsc_to_ns(&tsc_global, d) + 1);
		f->ops[in.op]++;
		venue_answer(&in, x, wire, k);
	}
	f->p50 = (double)hdr_value_at_percentile(h, 50.0);
	f->p99 = (double)hdr_value_at_percentile(h, 99.0);
	f->p999 = (double)hdr_value_at_percentile(h, 99.9);
	f->max = (double)hdr_max(h);
	f->mean = (double)tsc_to_ns(&tsc_global, sum) / (double)(rc->n - f->refused);
	gw_fini(&G);
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

static int mode(const char *name, const struct run_cfg *rc, int repeats, struct hdr *h)
{
	double p50[MAX_REPEATS], p99[MAX_REPEATS], p999[MAX_REPEATS], mean[MAX_REPEATS];
	struct figs f;

	for (int r = 0; r < repeats; r++) {
		if (run(rc, h, &f)) {
			fprintf(stderr, "bench_gw: gw_init failed\n");
			return -1;
		}
		p50[r] = f.p50;
		p99[r] = f.p99;
		p999[r] = f.p999;
		mean[r] = f.mean;
		printf("%s repeat %d: p50 %.0f ns  p99 %.0f ns  p99.9 %.0f ns  max %.0f ns  "
		       "mean %.1f ns  new/replace/cancel %llu/%llu/%llu  refused %llu\n",
		       name, r + 1, f.p50, f.p99, f.p999, f.max, f.mean,
		       (unsigned long long)f.ops[INTENT_NEW],
		       (unsigned long long)f.ops[INTENT_REPLACE],
		       (unsigned long long)f.ops[INTENT_CANCEL], (unsigned long long)f.refused);
	}
	printf("%s median of %d: p50 %.0f ns  p99 %.0f ns  p99.9 %.0f ns  mean %.1f ns\n", name,
	       repeats, median(p50, repeats), median(p99, repeats), median(p999, repeats),
	       median(mean, repeats));
	return 0;
}

int main(int argc, char **argv)
{
	struct run_cfg warm = { .n = 200000 }, cold = { .n = 20000, .cold_bytes = 4u << 20 };
	struct hdr_cfg hc = { .lowest = 1, .highest = 1000000000, .digits = 3 };
	int repeats = 5, do_warm = 1, do_cold = 1;
	uint64_t overhead = UINT64_MAX;
	struct hdr *h;

	for (int a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--quick") == 0) {
			warm.n = 20000;
			cold.n = 2000;
			repeats = 3;
		} else if (strcmp(argv[a], "--warm") == 0) {
			do_cold = 0;
		} else if (strcmp(argv[a], "--cold") == 0) {
			do_warm = 0;
		} else if (strcmp(argv[a], "--to-bytes") == 0) {
			warm.to_bytes = cold.to_bytes = 1;
		} else if (strcmp(argv[a], "-n") == 0 && a + 1 < argc) {
			warm.n = strtoull(argv[++a], NULL, 10);
			cold.n = warm.n / 10;
		} else if (strcmp(argv[a], "-m") == 0 && a + 1 < argc) {
			cold.cold_bytes = strtoull(argv[++a], NULL, 10) << 20;
		} else if (strcmp(argv[a], "-r") == 0 && a + 1 < argc) {
			repeats = atoi(argv[++a]);
		} else {
			fprintf(stderr, "usage: bench_gw [--quick] [--warm|--cold] [--to-bytes] "
					"[-n INTENTS] [-m COLD_MB] [-r REPEATS]\n"
					"  --to-bytes  time gw_send_intent (checks and bytes) and "
					"make the store's record (gw_commit) after the stamp, as "
					"tickwire paper does\n");
			return 64;
		}
	}
	if (warm.n < 1000 || cold.n < 100 || !cold.cold_bytes || repeats < 1 ||
	    repeats > MAX_REPEATS) {
		fprintf(stderr, "bench_gw: -n >= 1000, -m >= 1, -r 1..%d\n", MAX_REPEATS);
		return 64;
	}
	tsc_init_global(NULL);
	h = aligned_alloc(64, (hdr_memsize(&hc) + 63) & ~(size_t)63);
	evict = aligned_alloc(64, cold.cold_bytes);
	if (!h || !evict || hdr_init(h, &hc)) {
		fprintf(stderr, "bench_gw: out of memory\n");
		return 71;
	}
	memset(evict, 1, cold.cold_bytes);
	for (int i = 0; i < 1000; i++) { /* the cost of the fenced pair itself */
		uint64_t a = tsc_read_ordered(&tsc_global), b = tsc_read_ordered(&tsc_global);

		if (b - a < overhead)
			overhead = b - a;
	}
	warm.overhead = cold.overhead = overhead;
	printf("bench_gw: %s, %d symbols x %d levels a side, gw_cfg_defaults "
	       "(position/credit/rate limits opened), warm %zu / cold %zu intents "
	       "(%zu MB streamed between) x %d repeats; clock %s %.3f GHz, fence pair %llu "
	       "ticks removed\n",
	       warm.to_bytes ? "gw_send_intent (gw_commit untimed)" : "gw_on_intent", NSYM,
	       LEVELS, warm.n, cold.n, cold.cold_bytes >> 20, repeats,
	       tsc_source_name(tsc_global.source), (double)tsc_global.hz * 1e-9,
	       (unsigned long long)overhead);
	if ((do_warm && mode("warm", &warm, repeats, h)) ||
	    (do_cold && mode("cold", &cold, repeats, h)))
		return 70;
	free(evict);
	free(h);
	return 0;
}
