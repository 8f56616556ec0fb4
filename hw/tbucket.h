/* tbucket.h - the exact integer refill of a token bucket, for the
 * throttles (the strategy's message budget, the gateway's rate check):
 * TBUCKET_UNIT units make one token, and the bucket gains rate_per_s
 * units per ns up to burst tokens. The callers own their level and stamp
 * (kept where their hot fields are); this owns no state. Pure inline; any
 * thread on its own bucket. */
#ifndef TBUCKET_H
#define TBUCKET_H

#include <stdint.h>

#include "hw/compiler.h"

#define TBUCKET_UNIT 1000000000ull /* units per token */

/* Refill *level (units) from *t_ns to now_ns and move *t_ns there; time
 * standing still or stepping back adds nothing. The level tops out when
 * dt * rate > room, which is dt > room / rate for the integers: the
 * product with an overflow check gives the division's answer without its
 * latency on every call. A level above the cap is clamped. */
static ALWAYS_INLINE void tbucket_refill(uint64_t *level, uint64_t *t_ns, uint64_t now_ns,
					 uint32_t rate_per_s, uint32_t burst)
{
	uint64_t cap = (uint64_t)burst * TBUCKET_UNIT, add;

	if (now_ns <= *t_ns)
		return;
	if (__builtin_mul_overflow(now_ns - *t_ns, (uint64_t)rate_per_s, &add) ||
	    add > cap - *level)
		*level = cap;
	else
		*level += add;
	if (*level > cap)
		*level = cap;
	*t_ns = now_ns;
}

#endif /* TBUCKET_H */
