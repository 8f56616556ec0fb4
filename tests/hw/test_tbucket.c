/* test_tbucket.c - the token bucket's refill against the same rule in
 * 128-bit arithmetic: random levels, stamps, rates and bursts, with
 * products that overflow 64 bits, time standing still or going back, and
 * levels above the cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hw/tbucket.h"

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

__extension__ typedef unsigned __int128 u128;

/* The rule written plainly: min(cap, level + dt * rate) with no overflow
 * possible, a level above the cap clamped, nothing when time does not move
 * forward. */
static void reference(uint64_t *level, uint64_t *t_ns, uint64_t now_ns, uint32_t rate,
		      uint32_t burst)
{
	u128 cap = (u128)burst * TBUCKET_UNIT, v;

	if (now_ns <= *t_ns)
		return;
	v = (u128)*level + (u128)(now_ns - *t_ns) * rate;
	*level = (uint64_t)(v > cap ? cap : v);
	*t_ns = now_ns;
}

static void test_refill_exact(void **state)
{
	uint64_t s = 0x9e3779b97f4a7c15ull, capped = 0, partial = 0, still = 0;
	(void)state;

	for (int i = 0; i < 200000; i++) {
		uint32_t burst = 1 + (uint32_t)(rng(&s) % 1000);
		uint32_t rate = 1 + (uint32_t)(rng(&s) % (i % 3 ? 100000 : UINT32_MAX));
		uint64_t cap = (uint64_t)burst * TBUCKET_UNIT;
		uint64_t level = rng(&s) % (i % 7 ? cap + 1 : 2 * cap + 1); /* some above cap */
		uint64_t t = rng(&s) >> (rng(&s) % 64), back = rng(&s) % 1000;
		uint64_t ahead = rng(&s) >> (rng(&s) % 64); /* up to 2^64 */
		uint64_t now = i % 11 == 0 ? (t >= back ? t - back : 0) :    /* back or still */
			       (ahead > UINT64_MAX - t ? UINT64_MAX : t + ahead);
		uint64_t l1 = level, t1 = t, l2 = level, t2 = t;

		tbucket_refill(&l1, &t1, now, rate, burst);
		reference(&l2, &t2, now, rate, burst);
		assert_int_equal(l1, l2);
		assert_int_equal(t1, t2);
		capped += now > t && l1 == cap;
		partial += now > t && l1 < cap;
		still += now <= t;
	}
	/* every branch was taken often */
	assert_true(capped > 1000 && partial > 1000 && still > 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refill_exact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
