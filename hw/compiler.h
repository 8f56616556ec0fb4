/* compiler.h - the few compiler helpers tickwire uses, defined once.
 * Owns: branch hints, cache-line size and alignment, inlining and cold
 * markers, the compiler barrier. Header only; any thread.
 * Every use outside hw/ should be justified by a measurement (STYLE.md). */
#ifndef COMPILER_H
#define COMPILER_H

#include <stdalign.h>

/* Branch hints: only where a measurement or an error path justifies one. */
#define LIKELY(x)   __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Cache line of every x86-64 and most arm64 parts we run on. Adjacent-line
 * prefetch pairs lines, so producer/consumer separation uses 2 lines. */
#define CACHELINE 64
#define CACHELINE_ALIGNED alignas(CACHELINE)

/* Setup and error paths: kept out of the hot text and predicted not taken. */
#define COLD __attribute__((cold, noinline))
/* Fast-path helpers that must inline even at -O1 or in big callers. */
#define ALWAYS_INLINE inline __attribute__((always_inline))
#define NOINLINE __attribute__((noinline))
/* One copy of a function that a warm-up runs ahead of the hot path: GCC's
 * interprocedural constant propagation (under LTO, across files) may clone
 * it for a call site with constant arguments, and the warm-up then runs a
 * copy the hot path never executes (measured: a paper run's first order
 * spent ~1.5 us more in the gateway that way). Clang clones no such copy. */
#if defined(__GNUC__) && !defined(__clang__)
#define NOCLONE __attribute__((noclone))
#else
#define NOCLONE
#endif

/* Stops the compiler from moving memory accesses across it; emits nothing. */
#define COMPILER_BARRIER() __asm__ __volatile__("" ::: "memory")

/* Spin-wait hint for busy-poll loops (PAUSE on x86, YIELD on arm64). */
#if defined(__x86_64__) || defined(__i386__)
#define CPU_RELAX() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ __volatile__("yield" ::: "memory")
#else
#define CPU_RELAX() COMPILER_BARRIER()
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* COMPILER_H */
