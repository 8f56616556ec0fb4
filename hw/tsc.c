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
#define TSC_HZ_MIN 100000000ull     /* 100 MHz: slower is not a real TSC */
#define TSC_HZ_MAX 20000000000ull   /* 20 GHz */
#define TSC_AGREE_PPM 2000u         /* two half-window estimates must agree */

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

/* One calibration window: ticks per second measured against the raw clock.
 * The clock reads bracket the TSC reads so their error bounds the result. */
static uint64_t tsc_measure_hz(uint64_t window_ns)
{
	__extension__ typedef unsigned __int128 u128;
	uint64_t n0 = tsc_clock_ns_raw();
	uint64_t t0 = tsc_rdtsc();
	uint64_t n1, t1;

	sleep_ns(window_ns);
	n1 = tsc_clock_ns_raw();
	t1 = tsc_rdtsc();
	if (n1 <= n0 || t1 <= t0)
		return 0;
	return (uint64_t)((u128)(t1 - t0) * 1000000000u / (n1 - n0));
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

	/* Two half windows must agree, or the TSC is not steady enough. */
	a = tsc_measure_hz((uint64_t)calib_ms * 500000u);
	b = tsc_measure_hz((uint64_t)calib_ms * 500000u);
	if (a < TSC_HZ_MIN || a > TSC_HZ_MAX || b < TSC_HZ_MIN || b > TSC_HZ_MAX) {
		use_fallback(c, "TSC calibration out of range");
		return 0;
	}
	diff = a > b ? a - b : b - a;
	if (diff * 1000000u / a > TSC_AGREE_PPM) {
		use_fallback(c, "TSC calibration unstable between windows");
		return 0;
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
