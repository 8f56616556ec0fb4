/* tsc.c - TSC detection and calibration against CLOCK_MONOTONIC_RAW, and the
 * clock_gettime fallback. Runs once at start-up on the main thread. */
#include "hw/tsc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#define TSC_DEFAULT_CALIB_MS 50u
#define TSC_MULT_SHIFT 32u
_Static_assert(TSC_MULT_SHIFT < 64, "tsc_to_ns masks the shift to 6 bits");
#define TSC_HZ_MIN 100000000ull     /* 100 MHz: slower is not a real TSC */
#define TSC_HZ_MAX 20000000000ull   /* 20 GHz */
#define TSC_AGREE_PPM 2000u         /* two half-window estimates must agree */
#define TSC_SAMPLE_TRIES 8          /* bracketed reads per calibration stamp */
#define TSC_BRACKET_MAX_NS 20000u   /* a wider bracket means we were preempted */
#define TSC_CALIB_TRIES 3           /* whole calibrations before falling back */

struct tsc_clock tsc_global = {
	.source = TSC_SRC_CLOCK, .hz = 1000000000u, .mult = 1, .shift = 0,
	.why = "not initialised: clock_gettime",
};

const char *tsc_source_name(enum tsc_source s)
{
	return s == TSC_SRC_TSC ? "tsc" : "clock_gettime";
}

static bool cpuinfo_has_flags(const char *a, const char *b)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	bool found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		found = strstr(line, a) && strstr(line, b);
		break;
	}
	fclose(f);
	return found;
}

bool tsc_cpu_invariant(void)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned int eax, ebx, ecx, edx;

	/* CPUID.80000007H:EDX[8] = invariant TSC. Hypervisors often hide it
	 * while the kernel still reports constant_tsc and nonstop_tsc. */
	if (__get_cpuid(0x80000007u, &eax, &ebx, &ecx, &edx) && (edx & (1u << 8)))
		return true;
	return cpuinfo_has_flags(" constant_tsc", " nonstop_tsc");
#elif defined(__aarch64__)
	return true; /* the generic timer is architecturally constant-rate */
#else
	return false;
#endif
}

/* mult/shift for ns = ticks * 1e9 / hz. */
void tsc_clock_set_hz(struct tsc_clock *c, uint64_t hz)
{
	__extension__ typedef unsigned __int128 u128;

	c->hz = hz;
	if (hz == 1000000000u) {
		c->mult = 1;
		c->shift = 0;
		return;
	}
	c->shift = TSC_MULT_SHIFT;
	c->mult = (uint64_t)((((u128)1000000000u) << TSC_MULT_SHIFT) + hz / 2) / hz;
}

uint64_t tsc_from_ns(const struct tsc_clock *c, uint64_t ns)
{
	__extension__ typedef unsigned __int128 u128;

	return (uint64_t)((u128)ns * c->hz / 1000000000u);
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u),
			       .tv_nsec = (long)(ns % 1000000000u) };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* One (clock ns, TSC) pair: the TSC read is bracketed by two clock reads
 * and the tightest of several tries is kept, so a preemption between the
 * reads cannot skew the pair by more than the bracket. */
struct tsc_pair {
	uint64_t ns;
	uint64_t tsc;
	uint64_t bracket_ns;
};

static struct tsc_pair tsc_sample(void)
{
	struct tsc_pair best = { .bracket_ns = UINT64_MAX };

	for (int i = 0; i < TSC_SAMPLE_TRIES; i++) {
		uint64_t a = tsc_clock_ns_raw();
		uint64_t t = tsc_rdtsc();
		uint64_t b = tsc_clock_ns_raw();

		if (b >= a && b - a < best.bracket_ns) {
			best.ns = a + (b - a) / 2;
			best.tsc = t;
			best.bracket_ns = b - a;
		}
	}
	return best;
}

/* One calibration window: ticks per second measured against the raw clock,
 * or 0 when a bracket was too wide to trust (the caller falls back). */
static uint64_t tsc_measure_hz(uint64_t window_ns)
{
	__extension__ typedef unsigned __int128 u128;
	struct tsc_pair p0 = tsc_sample();
	struct tsc_pair p1;

	sleep_ns(window_ns);
	p1 = tsc_sample();
	if (p0.bracket_ns > TSC_BRACKET_MAX_NS || p1.bracket_ns > TSC_BRACKET_MAX_NS)
		return 0;
	if (p1.ns <= p0.ns || p1.tsc <= p0.tsc)
		return 0;
	return (uint64_t)((u128)(p1.tsc - p0.tsc) * 1000000000u / (p1.ns - p0.ns));
}

static void use_fallback(struct tsc_clock *c, const char *why)
{
	c->source = TSC_SRC_CLOCK;
	tsc_clock_set_hz(c, 1000000000u);
	snprintf(c->why, sizeof(c->why), "%s", why);
}

int tsc_init(struct tsc_clock *c, const struct tsc_cfg *cfg)
{
	uint32_t calib_ms = TSC_DEFAULT_CALIB_MS;
	uint64_t a, b, diff;

	if (!c)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	if (cfg && cfg->calib_ms > 60000u)
		return -EINVAL;
	if (cfg && cfg->calib_ms)
		calib_ms = cfg->calib_ms;

	c->invariant = tsc_cpu_invariant();
	if (cfg && cfg->force_clock) {
		use_fallback(c, "clock_gettime forced by configuration");
		return 0;
	}
	if (!c->invariant) {
		use_fallback(c, "TSC is not invariant (no constant_tsc/nonstop_tsc)");
		return 0;
	}

	/* Two half windows must agree, or the TSC is not steady enough; a
	 * disturbed attempt (preemption, migration) is retried. */
	for (int tries = 0;; tries++) {
		a = tsc_measure_hz((uint64_t)calib_ms * 500000u);
		b = tsc_measure_hz((uint64_t)calib_ms * 500000u);
		if (a >= TSC_HZ_MIN && a <= TSC_HZ_MAX && b >= TSC_HZ_MIN && b <= TSC_HZ_MAX) {
			diff = a > b ? a - b : b - a;
			if (diff * 1000000u / a <= TSC_AGREE_PPM)
				break;
		}
		if (tries + 1 == TSC_CALIB_TRIES) {
			use_fallback(c, a && b ? "TSC calibration unstable between windows"
					       : "TSC calibration out of range or disturbed");
			return 0;
		}
	}
	c->source = TSC_SRC_TSC;
	tsc_clock_set_hz(c, (a + b) / 2);
	snprintf(c->why, sizeof(c->why), "invariant TSC at %.3f MHz, calibrated over %u ms",
		 (double)c->hz / 1e6, calib_ms);
	return 0;
}

int tsc_init_global(const struct tsc_cfg *cfg)
{
	return tsc_init(&tsc_global, cfg);
}
