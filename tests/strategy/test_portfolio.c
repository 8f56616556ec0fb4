/* test_portfolio.c - cmocka tests of strategy/portfolio.c: cfg and attach
 * errors, limits from a symbol's own cap, from the gross and the net budget
 * (shrinking as the other symbols use it), exact incremental totals
 * against a recomputation over a seeded random walk, pf_limits'
 * division short cut against the division, pf_limits_cap and
 * pf_limits_own against pf_limits, and pf_update_at against pf_update. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <string.h>

#include "strategy/portfolio.h"

static struct pf P;

static void test_errors(void **state)
{
	struct pf_cfg bad[] = { { 0, 1 }, { 1, 0 }, { -1, 1 }, { NAN, 1 }, { 1, INFINITY } };
	struct pf_cfg ok = { 1e6, 1e6 };
	uint32_t idx;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(pf_init(&P, &bad[i]), -EINVAL);
	assert_int_equal(pf_init(NULL, &ok), -EINVAL);
	assert_int_equal(pf_init(&P, &ok), 0);
	assert_int_equal(pf_attach(&P, 1, 0, &idx), -EINVAL);
	assert_int_equal(pf_attach(&P, 1, 100, NULL), -EINVAL);
	assert_int_equal(pf_attach(&P, 1, 100, &idx), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(pf_attach(&P, 1, 100, &idx), -EEXIST);
	for (uint16_t l = 2; l <= PF_MAX_SYMBOLS; l++)
		assert_int_equal(pf_attach(&P, l, 100, &idx), 0);
	assert_int_equal(idx, PF_MAX_SYMBOLS - 1);
	assert_int_equal(pf_attach(&P, 999, 100, &idx), -ENOSPC);
	pf_fini(&P);
	pf_fini(NULL);
}

/* $100 stock (1,000,000 ITCH units): 1000 shares = $100k. */
static void test_limits_shrink(void **state)
{
	struct pf_cfg c = { .gross_usd = 200000.0, .net_usd = 150000.0 };
	struct pf_limit l;
	uint32_t a, b;

	(void)state;
	assert_int_equal(pf_init(&P, &c), 0);
	assert_int_equal(pf_attach(&P, 1, 5000, &a), 0);
	assert_int_equal(pf_attach(&P, 2, 500, &b), 0);

	/* No mark yet: the symbol's own cap. */
	pf_limits(&P, a, &l);
	assert_int_equal(l.max_long, 5000);
	assert_int_equal(l.max_short, 5000);

	pf_update(&P, a, 0, 1000000);
	pf_update(&P, b, 0, 1000000);
	pf_limits(&P, a, &l);
	assert_int_equal(l.max_long, 1500);  /* net budget $150k */
	assert_int_equal(l.max_short, 1500);
	pf_limits(&P, b, &l);
	assert_int_equal(l.max_long, 500);   /* own cap */

	/* b goes long 500 ($50k): a's long room shrinks by the net, its short
	 * room grows by the net but is capped by the gross left ($150k). */
	pf_update(&P, b, 500, 1000000);
	assert_true(fabs(pf_gross_usd(&P) - 50000.0) < 1e-9);
	assert_true(fabs(pf_net_usd(&P) - 50000.0) < 1e-9);
	pf_limits(&P, a, &l);
	assert_int_equal(l.max_long, 1000);
	assert_int_equal(l.max_short, 1500);

	/* a goes short 1200: gross $170k, net -$70k. b's room: gross left is
	 * $200k - $120k = $80k, net long room $270k -> capped at 500; short:
	 * the others are already $120k net short, so only $30k -> 300. */
	pf_update(&P, a, -1200, 1000000);
	pf_limits(&P, b, &l);
	assert_int_equal(l.max_long, 500);
	assert_int_equal(l.max_short, 300);
	pf_limits(&P, a, &l);
	assert_int_equal(l.max_short, 1500); /* gross: 200k - 50k */
	assert_int_equal(l.max_long, 1000);

	/* The budget is used up by b alone: a gets nothing on either side. */
	c.gross_usd = 50000.0;
	c.net_usd = 50000.0;
	assert_int_equal(pf_init(&P, &c), 0);
	assert_int_equal(pf_attach(&P, 1, 5000, &a), 0);
	assert_int_equal(pf_attach(&P, 2, 5000, &b), 0);
	pf_update(&P, a, 0, 1000000);
	pf_update(&P, b, 600, 1000000); /* $60k > budget */
	pf_limits(&P, a, &l);
	assert_int_equal(l.max_long, 0);
	assert_int_equal(l.max_short, 0);
	/* b itself may still hold 500 either way (its reduction is allowed). */
	pf_limits(&P, b, &l);
	assert_int_equal(l.max_long, 500);
	assert_int_equal(l.max_short, 500);
	pf_limits(&P, 7, &l); /* unknown index: no room */
	assert_int_equal(l.max_long, 0);
}

static uint64_t rng = 42;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Incremental totals equal a from-scratch sum after every update. */
static void test_totals_exact(void **state)
{
	struct pf_cfg c = { 1e9, 1e9 };
	uint32_t idx;

	(void)state;
	assert_int_equal(pf_init(&P, &c), 0);
	for (uint16_t l = 0; l < 16; l++)
		assert_int_equal(pf_attach(&P, l, 100000, &idx), 0);
	for (int it = 0; it < 20000; it++) {
		uint32_t i = (uint32_t)(next() % 16);
		int64_t pos = (int64_t)(next() % 20001) - 10000;
		int64_t px = (next() & 3) ? (int64_t)(next() % 5000000) + 1 : 0;
		int64_t g = 0, n = 0;

		pf_update(&P, i, pos, px);
		for (uint32_t k = 0; k < 16; k++) {
			int64_t v = P.sym[k].pos * P.sym[k].px;

			g += v < 0 ? -v : v;
			n += v;
		}
		assert_int_equal(P.used_gross, g);
		assert_int_equal(P.used_net, n);
	}
}

/* pf_cap_div (pf_limits' short cut) against the division it skips, on
 * values at and around the cap * px boundary, negative rooms, extremes and
 * products that overflow; the short cut is taken on many of them. */
static void test_cap_div_exact(void **state)
{
	static const int64_t xs[] = { INT64_MIN, INT64_MIN + 1, -1, 0, 1, INT64_MAX - 1, INT64_MAX };
	static const int64_t ps[] = { 1, 2, 3, 10000, 4294967295ll, INT64_MAX };
	uint64_t taken = 0;

	(void)state;
	for (int it = 0; it < 200000; it++) {
		int64_t px = it < 42 ? ps[it % 6] : (int64_t)(next() % 6000000) + 1;
		int64_t cap = it < 42 ? (int64_t)(it / 6) * 1000 + 1 :
			      (next() & 7) ? (int64_t)(next() % 20000) + 1 : INT64_MAX / (int64_t)(next() % 7 + 1);
		int64_t at, x;

		if (it < 42)
			x = xs[it % 7];
		else if (!__builtin_mul_overflow(cap, px, &at) && (next() & 1))
			x = at + (int64_t)(next() % 5) - 2; /* at the boundary */
		else
			x = (int64_t)next();
		if (!__builtin_mul_overflow(cap, px, &at) && x >= at)
			taken++;
		assert_int_equal(pf_cap_div(x, px, cap), pf_min64(cap, x / px));
	}
	assert_true(taken > 10000);
}

/* pf_limits_cap (side_room's short cut) against pf_limits: whenever it
 * gives a cap, pf_limits gives that cap on both sides; and over budgets
 * from tight to loose on a random walk of positions and marks, both
 * answers are common. */
static void test_limits_cap(void **state)
{
	static const double budgets[] = { 2e4, 2e5, 2e6, 2e7 };
	uint64_t capped = 0, not_capped = 0;
	uint32_t idx;

	(void)state;
	assert_int_equal(pf_limits_cap(NULL, 0), -1);
	for (size_t b = 0; b < sizeof(budgets) / sizeof(budgets[0]); b++) {
		struct pf_cfg c = { budgets[b], budgets[b] / 2 };

		assert_int_equal(pf_init(&P, &c), 0);
		assert_int_equal(pf_limits_cap(&P, 0), -1); /* not attached */
		for (uint16_t l = 0; l < 8; l++)
			assert_int_equal(pf_attach(&P, l, 100 + 300 * l, &idx), 0);
		for (int it = 0; it < 20000; it++) {
			uint32_t i = (uint32_t)(next() % 8), j = (uint32_t)(next() % 8);
			int64_t pos = (int64_t)(next() % 4001) - 2000;
			int64_t px = (next() & 7) ? (int64_t)(next() % 2000000) + 1 : 0;
			struct pf_limit l;
			int64_t cap;

			pf_update(&P, i, pos, px);
			pf_limits(&P, j, &l);
			cap = pf_limits_cap(&P, j);
			assert_int_equal(pf_limits_own(&P, j), cap >= 0);
			if (cap >= 0) {
				assert_int_equal(cap, P.sym[j].max_pos);
				assert_int_equal(l.max_long, cap);
				assert_int_equal(l.max_short, cap);
				capped++;
			} else {
				assert_int_equal(cap, -1);
				not_capped++;
			}
		}
	}
	assert_true(capped > 10000);
	assert_true(not_capped > 10000);
}

/* pf_update_at (a market maker's own, attached symbol) leaves the same
 * state as pf_update over a random walk of positions and marks (a mark of
 * 0 keeping the previous one), byte for byte. */
static void test_update_at_same(void **state)
{
	static struct pf Q;
	struct pf_cfg c = { 2e6, 1e6 };
	uint32_t idx;

	(void)state;
	assert_int_equal(pf_init(&P, &c), 0);
	assert_int_equal(pf_init(&Q, &c), 0);
	for (uint16_t l = 0; l < 6; l++) {
		assert_int_equal(pf_attach(&P, l, 1000, &idx), 0);
		assert_int_equal(pf_attach(&Q, l, 1000, &idx), 0);
	}
	for (int it = 0; it < 20000; it++) {
		uint32_t i = (uint32_t)(next() % 6);
		int64_t pos = (int64_t)(next() % 4001) - 2000;
		int64_t px = (next() & 3) ? (int64_t)(next() % 2000000) + 1 : 0;

		pf_update(&P, i, pos, px);
		pf_update_at(&Q, i, pos, px);
		assert_int_equal(Q.used_gross, P.used_gross);
		assert_int_equal(Q.used_net, P.used_net);
	}
	assert_true(P.used_gross != 0);
	assert_memory_equal(&P, &Q, sizeof(P));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits_shrink),
		cmocka_unit_test(test_totals_exact),
		cmocka_unit_test(test_cap_div_exact),
		cmocka_unit_test(test_limits_cap),
		cmocka_unit_test(test_update_at_same),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
