/* tsc.h - the hot path's clock: raw TSC ticks, calibrated once against
 * CLOCK_MONOTONIC_RAW, converted to ns by multiply-shift at the edges.
 * Falls back to clock_gettime(CLOCK_MONOTONIC_RAW) in ns when the TSC is not
 * invariant or fails calibration. Init on one thread before start-up; the
 * read and conversion functions are then safe on any thread. */
#ifndef TSC_H
#define TSC_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "hw/compiler.h"

enum tsc_source {
	TSC_SRC_TSC = 0,   /* invariant TSC: ticks at tsc_clock.hz */
	TSC_SRC_CLOCK = 1, /* fallback: "ticks" are CLOCK_MONOTONIC_RAW ns */
};

struct tsc_cfg {
	uint32_t calib_ms;  /* calibration window, ms; 0 = default (50) */
	bool force_clock;   /* use the clock_gettime fallback even if TSC is fine */
};

/* Read-only after tsc_init. ns = (ticks * mult) >> shift. */
struct tsc_clock {
	enum tsc_source source;
	uint64_t hz;        /* ticks per second (1e9 for the fallback) */
	uint64_t mult;      /* ns per tick, fixed point with `shift` bits */
	uint32_t shift;
	bool invariant;     /* CPUID says constant + nonstop TSC */
	char why[96];       /* why this source was chosen, for reports */
};

/* The process-wide clock, filled by tsc_init_global. Read-only afterwards. */
extern struct tsc_clock tsc_global;

/* Detect and calibrate. 0, -EINVAL bad cfg. Never fails otherwise: when the
 * TSC is unusable it selects the fallback and says why in c->why. Cold. */
int tsc_init(struct tsc_clock *c, const struct tsc_cfg *cfg);
/* tsc_init(&tsc_global, cfg). */
int tsc_init_global(const struct tsc_cfg *cfg);
/* Does CPUID report an invariant TSC (constant_tsc + nonstop_tsc)? */
bool tsc_cpu_invariant(void);
/* Name of the source: "tsc" or "clock_gettime". */
const char *tsc_source_name(enum tsc_source s);

static ALWAYS_INLINE uint64_t tsc_clock_ns_raw(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Raw TSC, unordered: may execute before earlier loads complete. */
static ALWAYS_INLINE uint64_t tsc_rdtsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#elif defined(__aarch64__)
	uint64_t v;
	__asm__ __volatile__("mrs %0, cntvct_el0" : "=r"(v));
	return v;
#else
	return tsc_clock_ns_raw();
#endif
}

/* Ticks from clock c: the TSC, or ns from clock_gettime on the fallback.
 * The branch is on a read-mostly field and predicts perfectly. */
static ALWAYS_INLINE uint64_t tsc_read(const struct tsc_clock *c)
{
	if (LIKELY(c->source == TSC_SRC_TSC))
		return tsc_rdtsc();
	return tsc_clock_ns_raw();
}

/* Like tsc_read but not executed before earlier instructions complete
 * (LFENCE first): use it to open a measured interval. */
static ALWAYS_INLINE uint64_t tsc_read_ordered(const struct tsc_clock *c)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_lfence();
#endif
	return tsc_read(c);
}

/* Ticks to ns (an interval, or a stamp relative to any origin). Exact to
 * within one ns per tick period up to 2^64 ns products. */
static ALWAYS_INLINE uint64_t tsc_to_ns(const struct tsc_clock *c, uint64_t ticks)
{
	__extension__ typedef unsigned __int128 u128;
	/* shift is 0 or 32 (tsc_clock_set_hz): the mask tells the compiler
	 * so, and the 128-bit shift needs no test for 64 or more */
	return (uint64_t)(((u128)ticks * c->mult) >> (c->shift & 63u));
}

/* ns to ticks (for deadlines computed once at start-up). */
uint64_t tsc_from_ns(const struct tsc_clock *c, uint64_t ns);
/* Set hz and derive mult/shift (calibration and tests). */
void tsc_clock_set_hz(struct tsc_clock *c, uint64_t hz);

#endif /* TSC_H */
