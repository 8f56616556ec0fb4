/* bench_ring.c - our SPSC slot ring (dataplane/ring.h) against DPDK's
 * rte_ring in the same run: throughput for 8- and 64-byte items, single and
 * burst-32, and ping-pong round-trip latency, producer and consumer pinned
 * to two cores. Prints a table of medians over interleaved repeats; never
 * decides pass/fail. Threads: main (setup, report) plus two pinned workers
 * per measurement. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_version.h>

#include "bench/hdr.h"
#include "dataplane/ring.h"
#include "hw/compiler.h"
#include "hw/cpu.h"
#include "hw/tsc.h"

#define RING_SLOTS 4096u
#define BURST 32u
#define MAX_ESIZE 64u
#define MAX_REPEATS 64
#define RTT_WARMUP 10000u   /* round trips discarded before recording */

enum impl { IMPL_OURS, IMPL_RTE, IMPL_N };
static const char *const impl_names[IMPL_N] = { "ours", "rte_ring" };

/* One ring of either kind, fixed element size. */
struct bring {
	enum impl impl;
	struct ring_spsc *ours;
	struct rte_ring *rte;
};

struct opts {
	uint64_t items;     /* per throughput run */
	uint64_t rtts;      /* recorded round trips per latency run */
	int repeats;
	int cpu_a, cpu_b;   /* producer / ping side, consumer / echo side */
	bool no_dpdk;
};

/* ---- shared run control --------------------------------------------- */

/* Both workers of one run: a start line, and what they measured. */
struct run {
	struct bring *fwd;      /* producer -> consumer, or ping */
	struct bring *back;     /* pong (latency runs only) */
	uint32_t esize;
	uint32_t burst;         /* 1 = single-item calls */
	uint64_t items;
	int cpu[2];
	atomic_int ready;       /* workers at the start line */
	atomic_bool failed;     /* a worker could not pin: both give up */
	uint64_t t_start;       /* producer's TSC at its first push */
	uint64_t t_end;         /* consumer's TSC after its last pop */
	uint64_t bad;           /* items out of sequence (must stay 0) */
	struct hdr *rtt;        /* latency runs: ns per round trip */
	char err[2][160];       /* per worker, read by main after join */
};

/* Pin the calling worker (side 0 or 1) to its cpu, then wait for the other
 * one. 0 when both are pinned and lined up; -1 when either failed (the
 * reason is in rn->err[side] of the one that failed). */
static int start_line(struct run *rn, int side)
{
	char eb[128];

	if (cpu_pin_self(rn->cpu[side], eb, sizeof(eb)) != 0) {
		snprintf(rn->err[side], sizeof(rn->err[side]),
			 "pin to cpu %d: %s", rn->cpu[side], eb);
		/* Relaxed: ordered before our increment below by the
		 * acq_rel RMW, which the partner's acquire spin reads. */
		atomic_store_explicit(&rn->failed, true, memory_order_relaxed);
	}
	/* Release half pairs with the acquire load below in the other
	 * worker, so the failed flag is visible once both have arrived.
	 * The rings and this struct were set up by main before
	 * pthread_create, which orders them already. */
	atomic_fetch_add_explicit(&rn->ready, 1, memory_order_acq_rel);
	while (atomic_load_explicit(&rn->ready, memory_order_acquire) < 2)
		CPU_RELAX();
	/* Relaxed: both stores happen-before the loop above exited. */
	return atomic_load_explicit(&rn->failed, memory_order_relaxed) ? -1 : 0;
}

/* Item content: the sequence number in the first 8 bytes; the rest of a
 * 64-byte item is whatever the producer's buffer holds (it is copied all
 * the same). */
static ALWAYS_INLINE void seq_put(uint8_t *it, uint64_t seq)
{
	memcpy(it, &seq, sizeof(seq));
}

static ALWAYS_INLINE uint64_t seq_get(const uint8_t *it)
{
	uint64_t v;
	memcpy(&v, it, sizeof(v));
	return v;
}

/* ---- throughput workers ----------------------------------------------
 * One always-inline body per side; the thunks below instantiate it with
 * constant impl, esize and burst so each loop is what an application would
 * compile: the ring calls inlined with fixed-size copies. */

static ALWAYS_INLINE void produce(struct run *rn, enum impl impl,
				  uint32_t esize, uint32_t burst)
{
	_Alignas(CACHELINE) uint8_t buf[BURST * MAX_ESIZE];
	struct ring_spsc *o = rn->fwd->ours;
	struct rte_ring *d = rn->fwd->rte;
	uint64_t n = rn->items, seq = 0;
	uint32_t i;

	memset(buf, 0x5A, sizeof(buf));
	if (start_line(rn, 0) != 0)
		return;
	rn->t_start = tsc_read_ordered(&tsc_global);
	if (burst == 1) {
		for (seq = 0; seq < n; seq++) {
			seq_put(buf, seq);
			if (impl == IMPL_OURS) {
				while (ring_spsc_push(o, buf, esize) != 0)
					CPU_RELAX();
			} else {
				while (rte_ring_sp_enqueue_elem(d, buf, esize) != 0)
					CPU_RELAX();
			}
		}
		return;
	}
	while (seq < n) {
		uint32_t k = n - seq < burst ? (uint32_t)(n - seq) : burst;
		uint32_t done = 0;

		for (i = 0; i < k; i++)
			seq_put(buf + i * esize, seq + i);
		while (done < k) {
			uint32_t got;

			if (impl == IMPL_OURS)
				got = ring_spsc_push_burst(o, buf + done * esize,
							   k - done, esize);
			else
				got = rte_ring_sp_enqueue_burst_elem(
					d, buf + done * esize, esize, k - done,
					NULL);
			done += got;
			if (got == 0)
				CPU_RELAX();
		}
		seq += k;
	}
}

static ALWAYS_INLINE void consume(struct run *rn, enum impl impl,
				  uint32_t esize, uint32_t burst)
{
	_Alignas(CACHELINE) uint8_t buf[BURST * MAX_ESIZE];
	struct ring_spsc *o = rn->fwd->ours;
	struct rte_ring *d = rn->fwd->rte;
	uint64_t n = rn->items, seq = 0, bad = 0;
	uint32_t i;

	if (start_line(rn, 1) != 0)
		return;
	if (burst == 1) {
		for (seq = 0; seq < n; seq++) {
			if (impl == IMPL_OURS) {
				while (ring_spsc_pop(o, buf, esize) != 0)
					CPU_RELAX();
			} else {
				while (rte_ring_sc_dequeue_elem(d, buf, esize) != 0)
					CPU_RELAX();
			}
			bad += seq_get(buf) != seq;
		}
	} else {
		while (seq < n) {
			uint32_t got;

			if (impl == IMPL_OURS)
				got = ring_spsc_pop_burst(o, buf, burst, esize);
			else
				got = rte_ring_sc_dequeue_burst_elem(d, buf, esize,
								     burst, NULL);
			if (got == 0) {
				CPU_RELAX();
				continue;
			}
			for (i = 0; i < got; i++)
				bad += seq_get(buf + i * esize) != seq + i;
			seq += got;
		}
	}
	rn->t_end = tsc_read(&tsc_global);
	rn->bad = bad;
}

#define TP_THUNKS(impl, esize, burst)                                         \
	static void *prod_##impl##_##esize##_##burst(void *arg)               \
	{                                                                     \
		produce(arg, impl, esize, burst);                             \
		return NULL;                                                  \
	}                                                                     \
	static void *cons_##impl##_##esize##_##burst(void *arg)               \
	{                                                                     \
		consume(arg, impl, esize, burst);                             \
		return NULL;                                                  \
	}

TP_THUNKS(IMPL_OURS, 8, 1)
TP_THUNKS(IMPL_OURS, 8, 32)
TP_THUNKS(IMPL_OURS, 64, 1)
TP_THUNKS(IMPL_OURS, 64, 32)
TP_THUNKS(IMPL_RTE, 8, 1)
TP_THUNKS(IMPL_RTE, 8, 32)
TP_THUNKS(IMPL_RTE, 64, 1)
TP_THUNKS(IMPL_RTE, 64, 32)

typedef void *(*thread_fn)(void *);

struct tp_case {
	const char *label;
	uint32_t esize, burst;
	thread_fn prod[IMPL_N], cons[IMPL_N];
};

#define TP_CASE(label, esize, burst)                                          \
	{ label, esize, burst,                                                \
	  { prod_IMPL_OURS_##esize##_##burst, prod_IMPL_RTE_##esize##_##burst }, \
	  { cons_IMPL_OURS_##esize##_##burst, cons_IMPL_RTE_##esize##_##burst } }

static const struct tp_case tp_cases[] = {
	TP_CASE("8B single", 8, 1),
	TP_CASE("64B single", 64, 1),
	TP_CASE("8B burst-32", 8, 32),
	TP_CASE("64B burst-32", 64, 32),
};
#define N_TP ARRAY_SIZE(tp_cases)

/* ---- latency workers ------------------------------------------------- */

/* Ping side (cpu a): stamp, push one 8-byte item, spin until it comes back.
 * The echo side returns it unchanged. Both spin without PAUSE, as a latency
 * critical poll loop would; identical loops for both implementations. */
static ALWAYS_INLINE void ping(struct run *rn, enum impl impl)
{
	struct bring *a = rn->fwd, *b = rn->back;
	uint64_t total = rn->items + RTT_WARMUP, i, v = 0, bad = 0;
	struct hdr *h = rn->rtt;

	if (start_line(rn, 0) != 0)
		return;
	for (i = 0; i < total; i++) {
		uint64_t t0, t1;

		t0 = tsc_read_ordered(&tsc_global);
		if (impl == IMPL_OURS) {
			while (ring_spsc_push(a->ours, &i, 8) != 0)
				;
			while (ring_spsc_pop(b->ours, &v, 8) != 0)
				;
		} else {
			while (rte_ring_sp_enqueue_elem(a->rte, &i, 8) != 0)
				;
			while (rte_ring_sc_dequeue_elem(b->rte, &v, 8) != 0)
				;
		}
		t1 = tsc_read_ordered(&tsc_global);
		bad += v != i;
		if (i >= RTT_WARMUP)
			hdr_record(h, (int64_t)tsc_to_ns(&tsc_global, t1 - t0));
	}
	rn->bad = bad;
}

static ALWAYS_INLINE void echo(struct run *rn, enum impl impl)
{
	struct bring *a = rn->fwd, *b = rn->back;
	uint64_t total = rn->items + RTT_WARMUP, i, v;

	if (start_line(rn, 1) != 0)
		return;
	for (i = 0; i < total; i++) {
		if (impl == IMPL_OURS) {
			while (ring_spsc_pop(a->ours, &v, 8) != 0)
				;
			while (ring_spsc_push(b->ours, &v, 8) != 0)
				;
		} else {
			while (rte_ring_sc_dequeue_elem(a->rte, &v, 8) != 0)
				;
			while (rte_ring_sp_enqueue_elem(b->rte, &v, 8) != 0)
				;
		}
	}
}

#define RTT_THUNKS(impl)                                                      \
	static void *ping_##impl(void *arg)                                   \
	{                                                                     \
		ping(arg, impl);                                              \
		return NULL;                                                  \
	}                                                                     \
	static void *echo_##impl(void *arg)                                   \
	{                                                                     \
		echo(arg, impl);                                              \
		return NULL;                                                  \
	}

RTT_THUNKS(IMPL_OURS)
RTT_THUNKS(IMPL_RTE)

static const thread_fn ping_fn[IMPL_N] = { ping_IMPL_OURS, ping_IMPL_RTE };
static const thread_fn echo_fn[IMPL_N] = { echo_IMPL_OURS, echo_IMPL_RTE };

/* ---- driver -------------------------------------------------------- */

/* Run fa on cpu a and fb on cpu b over rn; 0 or -1 (reason in rn->err). */
static int run_pair(struct run *rn, thread_fn fa, thread_fn fb)
{
	pthread_t ta, tb;
	int rc;

	/* Relaxed: no worker runs yet; pthread_create publishes these. */
	atomic_store_explicit(&rn->ready, 0, memory_order_relaxed);
	atomic_store_explicit(&rn->failed, false, memory_order_relaxed);
	rn->err[0][0] = rn->err[1][0] = '\0';
	rn->bad = 0;
	rc = pthread_create(&tb, NULL, fb, rn);
	if (rc != 0) {
		snprintf(rn->err[1], sizeof(rn->err[1]), "pthread_create: %s",
			 strerror(rc));
		return -1;
	}
	rc = pthread_create(&ta, NULL, fa, rn);
	if (rc != 0) {
		/* The first worker waits at the start line forever; main
		 * reports this and exits, which ends it. */
		snprintf(rn->err[0], sizeof(rn->err[0]), "pthread_create: %s",
			 strerror(rc));
		return -1;
	}
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	return rn->err[0][0] || rn->err[1][0] ? -1 : 0;
}

/* The first error of a failed run_pair. */
static const char *run_err(const struct run *rn)
{
	return rn->err[0][0] ? rn->err[0] : rn->err[1];
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
	double s[MAX_REPEATS];

	memcpy(s, v, (size_t)n * sizeof(*v));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double vmin(const double *v, int n)
{
	double m = v[0];
	for (int i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

static double vmax(const double *v, int n)
{
	double m = v[0];
	for (int i = 1; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

static struct ring_spsc *ours_new(uint32_t esize)
{
	size_t sz = ring_spsc_memsize(RING_SLOTS, esize);
	struct ring_spsc *r = aligned_alloc(CACHELINE, sz);

	if (r == NULL)
		return NULL;
	/* Prefault every slot, as start-up code would. */
	memset(r, 0, sz);
	if (ring_spsc_init(r, RING_SLOTS, esize) != 0) {
		free(r);
		return NULL;
	}
	return r;
}

static struct rte_ring *rte_new(const char *name, uint32_t esize)
{
	struct rte_ring *r;
	void *obj;

	/* Best case for rte_ring: single-producer/single-consumer modes. */
	r = rte_ring_create_elem(name, esize, RING_SLOTS, SOCKET_ID_ANY,
				 RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (r == NULL)
		return NULL;
	/* Prefault: fill and drain once (slots live in the ring). */
	obj = calloc(1, esize);
	if (obj == NULL)
		return r;
	while (rte_ring_sp_enqueue_elem(r, obj, esize) == 0)
		;
	while (rte_ring_sc_dequeue_elem(r, obj, esize) == 0)
		;
	free(obj);
	return r;
}

/* rte_eal_init with arguments that work without hugepages or PCI devices:
 * anonymous memory (--no-huge; --in-memory is rejected with it), no shared
 * config files, quiet, main lcore on cpu a. 0, or -1 with the reason. */
static int eal_start(const struct opts *o, char *why, size_t len)
{
	static const char *const fixed[] = {
		"--no-huge", "--no-pci", "--no-shconf", "--no-telemetry",
		"--log-level=1", "-m", "64",
	};
	char args[16][32];
	char *argv[17];
	int argc = 0;
	size_t i;

	snprintf(args[argc++], sizeof(args[0]), "bench_ring");
	snprintf(args[argc++], sizeof(args[0]), "-l");
	snprintf(args[argc++], sizeof(args[0]), "%d", o->cpu_a);
	for (i = 0; i < ARRAY_SIZE(fixed); i++)
		snprintf(args[argc++], sizeof(args[0]), "%s", fixed[i]);
	for (i = 0; i < (size_t)argc; i++)
		argv[i] = args[i];
	argv[argc] = NULL;
	if (rte_eal_init(argc, argv) < 0) {
		snprintf(why, len, "rte_eal_init: %s", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_ring [--items N] [--rtts N] [--repeats N] [--quick]\n"
		"                  [--cpus A,B] [--no-dpdk] [--help]\n"
		"  Our SPSC ring against DPDK rte_ring (SP/SC), %u slots,\n"
		"  producer on cpu A, consumer on cpu B (default: the first two\n"
		"  cpus this process may use).\n"
		"  --items N    items per throughput run (default 20000000)\n"
		"  --rtts N     recorded round trips per latency run (default 1000000)\n"
		"  --repeats N  runs per figure, ours and rte_ring interleaved;\n"
		"               the median is reported (default 5, max %d)\n"
		"  --quick      small smoke run: 200000 items, 20000 rtts, 1 repeat\n"
		"  --no-dpdk    measure ours only\n",
		RING_SLOTS, MAX_REPEATS);
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "items", required_argument, NULL, 'i' },
		{ "rtts", required_argument, NULL, 'r' },
		{ "repeats", required_argument, NULL, 'n' },
		{ "quick", no_argument, NULL, 'q' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "no-dpdk", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	o->items = 20000000;
	o->rtts = 1000000;
	o->repeats = 5;
	o->cpu_a = -1; /* default: the first two cpus this process may use */
	o->cpu_b = -1;
	o->no_dpdk = false;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (parse_u64(optarg, &o->items))
				return -EINVAL;
			break;
		case 'r':
			if (parse_u64(optarg, &o->rtts))
				return -EINVAL;
			break;
		case 'n':
			if (parse_u64(optarg, &v) || v > MAX_REPEATS)
				return -EINVAL;
			o->repeats = (int)v;
			break;
		case 'q':
			o->items = 200000;
			o->rtts = 20000;
			o->repeats = 1;
			break;
		case 'c':
			if (sscanf(optarg, "%d,%d", &o->cpu_a, &o->cpu_b) != 2 ||
			    o->cpu_a < 0 || o->cpu_b < 0 || o->cpu_a == o->cpu_b)
				return -EINVAL;
			break;
		case 'D':
			o->no_dpdk = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	return optind == argc ? 0 : -EINVAL;
}

static const double rtt_pcts[] = { 50.0, 90.0, 99.0, 99.9 };
#define N_PCT ARRAY_SIZE(rtt_pcts)

int main(int argc, char **argv)
{
	struct opts o;
	struct bring tp_ring[IMPL_N][2] = { { { 0 } } };   /* [impl][8B, 64B] */
	struct bring rtt_ring[IMPL_N][2] = { { { 0 } } };  /* [impl][ping, pong] */
	double tp[N_TP][IMPL_N][MAX_REPEATS];              /* M items/s */
	double lat[N_PCT][IMPL_N][MAX_REPEATS];            /* ns */
	struct hdr_cfg hc = { 1, 1000000000, 3 };           /* 1 ns .. 1 s */
	struct hdr *h;
	bool have_eal = false, have_rte = false;
	char why[160] = "";
	int nimpl, rep;
	size_t c, p;
	struct run *rn;

	if (parse_opts(argc, argv, &o) != 0) {
		usage(stderr);
		return 2;
	}
	if (o.cpu_a < 0) {
		int allowed[2];

		if (cpu_allowed(allowed, 2) < 2) {
			fprintf(stderr, "bench_ring: skipped: needs two cpus, this process may "
				"use %d\n", cpu_allowed(allowed, 2));
			return 77;
		}
		o.cpu_a = allowed[0];
		o.cpu_b = allowed[1];
	}
	if (o.cpu_a >= cpu_count() || o.cpu_b >= cpu_count()) {
		fprintf(stderr, "bench_ring: needs cpus %d and %d; this machine "
			"has %d\n", o.cpu_a, o.cpu_b, cpu_count());
		return 1;
	}
	tsc_init_global(NULL);
	if (o.no_dpdk)
		snprintf(why, sizeof(why), "--no-dpdk");
	else if (eal_start(&o, why, sizeof(why)) == 0)
		have_eal = have_rte = true;

	h = malloc(hdr_memsize(&hc));
	rn = calloc(1, sizeof(*rn));
	if (h == NULL || rn == NULL || hdr_init(h, &hc) != 0) {
		fprintf(stderr, "bench_ring: out of memory\n");
		return 1;
	}
	for (int i = 0; i < IMPL_N; i++) {
		for (int k = 0; k < 2; k++) {
			tp_ring[i][k].impl = (enum impl)i;
			rtt_ring[i][k].impl = (enum impl)i;
		}
	}
	tp_ring[IMPL_OURS][0].ours = ours_new(8);
	tp_ring[IMPL_OURS][1].ours = ours_new(64);
	rtt_ring[IMPL_OURS][0].ours = ours_new(8);
	rtt_ring[IMPL_OURS][1].ours = ours_new(8);
	if (!tp_ring[IMPL_OURS][0].ours || !tp_ring[IMPL_OURS][1].ours ||
	    !rtt_ring[IMPL_OURS][0].ours || !rtt_ring[IMPL_OURS][1].ours) {
		fprintf(stderr, "bench_ring: ring allocation failed\n");
		return 1;
	}
	if (have_rte) {
		tp_ring[IMPL_RTE][0].rte = rte_new("tp8", 8);
		tp_ring[IMPL_RTE][1].rte = rte_new("tp64", 64);
		rtt_ring[IMPL_RTE][0].rte = rte_new("ping", 8);
		rtt_ring[IMPL_RTE][1].rte = rte_new("pong", 8);
		if (!tp_ring[IMPL_RTE][0].rte || !tp_ring[IMPL_RTE][1].rte ||
		    !rtt_ring[IMPL_RTE][0].rte || !rtt_ring[IMPL_RTE][1].rte) {
			snprintf(why, sizeof(why), "rte_ring_create_elem: %s",
				 rte_strerror(rte_errno));
			have_rte = false;
		}
	}
	nimpl = have_rte ? 2 : 1;

	printf("bench_ring: SPSC ring vs %s rte_ring (RING_F_SP_ENQ|"
	       "RING_F_SC_DEQ), %u slots\n", rte_version(), RING_SLOTS);
	printf("  cpus %d (producer/ping) and %d (consumer/echo); clock %s; "
	       "%llu items/run, %llu round trips/run, %d repeats, median "
	       "reported\n", o.cpu_a, o.cpu_b, tsc_source_name(tsc_global.source),
	       (unsigned long long)o.items, (unsigned long long)o.rtts,
	       o.repeats);
	/* DPDK's pkg-config cflags append -march=corei7, which overrides our
	 * -march=native for this file: say what both rings' inline copies
	 * were compiled for. */
	printf("  vector ISA of this build (both rings' inline code): %s\n",
#if defined(__AVX512F__)
	       "AVX-512"
#elif defined(__AVX2__)
	       "AVX2"
#elif defined(__SSE4_2__)
	       "SSE4.2"
#else
	       "baseline"
#endif
	       );
	if (!have_rte)
		printf("  rte_ring SKIPPED: %s\n", why);
	fflush(stdout);

	rn->cpu[0] = o.cpu_a;
	rn->cpu[1] = o.cpu_b;
	for (rep = 0; rep < o.repeats; rep++) {
		for (c = 0; c < N_TP; c++) {
			const struct tp_case *tc = &tp_cases[c];

			for (int j = 0; j < nimpl; j++) {
				/* Alternate who goes first each repeat. */
				int im = nimpl == 2 ? (j + rep) % 2 : 0;

				rn->fwd = &tp_ring[im][tc->esize == 64];
				rn->back = NULL;
				rn->esize = tc->esize;
				rn->burst = tc->burst;
				rn->items = o.items;
				if (run_pair(rn, tc->prod[im], tc->cons[im]) != 0) {
					fprintf(stderr, "bench_ring: %s\n", run_err(rn));
					return 1;
				}
				if (rn->bad != 0)
					fprintf(stderr, "bench_ring: %s %s: %llu "
						"items out of sequence\n",
						impl_names[im], tc->label,
						(unsigned long long)rn->bad);
				tp[c][im][rep] = (double)o.items * 1e3 /
					(double)tsc_to_ns(&tsc_global,
							  rn->t_end - rn->t_start);
			}
		}
		for (int j = 0; j < nimpl; j++) {
			int im = nimpl == 2 ? (j + rep) % 2 : 0;

			hdr_init(h, &hc);
			rn->fwd = &rtt_ring[im][0];
			rn->back = &rtt_ring[im][1];
			rn->esize = 8;
			rn->burst = 1;
			rn->items = o.rtts;
			rn->rtt = h;
			if (run_pair(rn, ping_fn[im], echo_fn[im]) != 0) {
				fprintf(stderr, "bench_ring: %s\n", run_err(rn));
				return 1;
			}
			if (rn->bad != 0)
				fprintf(stderr, "bench_ring: %s ping-pong: %llu "
					"items came back wrong\n", impl_names[im],
					(unsigned long long)rn->bad);
			for (p = 0; p < N_PCT; p++)
				lat[p][im][rep] = (double)hdr_value_at_percentile(
					h, rtt_pcts[p]);
		}
	}

	printf("\n%-34s %12s %12s %10s   %s\n", "figure", "ours", "rte_ring",
	       "ours/rte", "spread ours | rte_ring (min..max)");
	for (c = 0; c < N_TP; c++) {
		double mo = median(tp[c][IMPL_OURS], o.repeats);
		char label[64];

		snprintf(label, sizeof(label), "throughput %s (M items/s)",
			 tp_cases[c].label);
		if (have_rte) {
			double mr = median(tp[c][IMPL_RTE], o.repeats);
			printf("%-34s %12.1f %12.1f %9.2fx   %.1f..%.1f | "
			       "%.1f..%.1f\n", label, mo, mr, mo / mr,
			       vmin(tp[c][IMPL_OURS], o.repeats),
			       vmax(tp[c][IMPL_OURS], o.repeats),
			       vmin(tp[c][IMPL_RTE], o.repeats),
			       vmax(tp[c][IMPL_RTE], o.repeats));
		} else {
			printf("%-34s %12.1f %12s %10s   %.1f..%.1f\n", label,
			       mo, "skipped", "-",
			       vmin(tp[c][IMPL_OURS], o.repeats),
			       vmax(tp[c][IMPL_OURS], o.repeats));
		}
	}
	for (p = 0; p < N_PCT; p++) {
		double mo = median(lat[p][IMPL_OURS], o.repeats);
		char label[64];

		snprintf(label, sizeof(label), "round trip p%g (ns)", rtt_pcts[p]);
		if (have_rte) {
			double mr = median(lat[p][IMPL_RTE], o.repeats);
			printf("%-34s %12.0f %12.0f %9.2fx   %.0f..%.0f | "
			       "%.0f..%.0f\n", label, mo, mr, mo / mr,
			       vmin(lat[p][IMPL_OURS], o.repeats),
			       vmax(lat[p][IMPL_OURS], o.repeats),
			       vmin(lat[p][IMPL_RTE], o.repeats),
			       vmax(lat[p][IMPL_RTE], o.repeats));
		} else {
			printf("%-34s %12.0f %12s %10s   %.0f..%.0f\n", label,
			       mo, "skipped", "-",
			       vmin(lat[p][IMPL_OURS], o.repeats),
			       vmax(lat[p][IMPL_OURS], o.repeats));
		}
	}
	printf("(throughput: higher is better; round trip: lower is better, "
	       "ours/rte < 1 means ours is faster)\n");

	for (int k = 0; k < 2; k++) {
		free(tp_ring[IMPL_OURS][k].ours);
		free(rtt_ring[IMPL_OURS][k].ours);
		if (have_rte) {
			rte_ring_free(tp_ring[IMPL_RTE][k].rte);
			rte_ring_free(rtt_ring[IMPL_RTE][k].rte);
		}
	}
	if (have_eal)
		rte_eal_cleanup();
	free(h);
	free(rn);
	return 0;
}
