/* test_quote.c - cmocka tests of strategy/quote.c: AS reservation price and
 * spread, GLFT half-spread and skew, additive fee and premiums, the tick
 * rounding function, the post-only guard and the ladder (sizes, minimum
 * size, position limits), quote_llround against llround, quote_rounds_to
 * against quote_round_to_tick, quote_rounds_to_beyond against
 * quote_rounds_to, quote_round_to_tick against its libm floor / ceil
 * form, and the split GLFT forms (glft_prepare) against the unsplit ones.
 * Table-driven. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "strategy/quote.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_as_reservation_direction(void **state)
{
	static const double qs[] = { -5, -1, 0, 1, 5 };
	(void)state;
	for (size_t i = 0; i < N(qs); i++) {
		double r = as_reservation_price(100.0, qs[i], 0.1, 2.0, 0.5);

		if (qs[i] > 0)
			assert_true(r < 100.0); /* long: falls */
		else if (qs[i] < 0)
			assert_true(r > 100.0); /* short: rises */
		else
			assert_true(r == 100.0);
		if (i > 0)
			assert_true(r < as_reservation_price(100.0, qs[i - 1], 0.1, 2.0, 0.5));
	}
	/* At the horizon the inventory term vanishes. */
	assert_true(as_reservation_price(100.0, 3, 0.1, 2.0, 0.0) == 100.0);
}

static void test_as_spread_positive_and_widening(void **state)
{
	static const struct { double gamma, sigma, tau; } rows[] = {
		{ 0.01, 2.0, 1.0 }, { 0.1, 2.0, 1.0 }, { 1.0, 2.0, 1.0 }, { 0.1, 0.5, 0.2 },
		{ 0.1, 4.0, 0.2 },  { 0.5, 1.0, 0.0 },
	};
	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		double sp = as_spread(rows[i].gamma, rows[i].sigma, rows[i].tau, 1.5);

		assert_true(sp > 0.0);
		/* wider with sigma and with time left */
		assert_true(as_spread(rows[i].gamma, rows[i].sigma * 2, rows[i].tau + 0.1, 1.5) > sp);
	}
	/* widens with gamma once the inventory term dominates (paper's setup) */
	assert_true(as_spread(1.0, 2.0, 1.0, 1.5) > as_spread(0.1, 2.0, 1.0, 1.5));
	/* paper's numbers: gamma=0.1, sigma=2, T-t=1, k=1.5 -> 0.4 + 20 ln(1+1/15) */
	assert_true(fabs(as_spread(0.1, 2.0, 1.0, 1.5) - (0.4 + 20.0 * log(16.0 / 15.0))) < 1e-12);
}

static void test_as_quotes_skew(void **state)
{
	double b0, a0, bl, al, bs, as;
	(void)state;
	as_quotes(100.0, 0, 0.1, 2.0, 0.5, 1.5, &b0, &a0);
	as_quotes(100.0, 4, 0.1, 2.0, 0.5, 1.5, &bl, &al);
	as_quotes(100.0, -4, 0.1, 2.0, 0.5, 1.5, &bs, &as);
	assert_true(b0 < 100.0 && a0 > 100.0);
	assert_true(fabs((a0 - b0) - as_spread(0.1, 2.0, 0.5, 1.5)) < 1e-12);
	assert_true(bl < b0 && al < a0); /* long: both quotes shift down */
	assert_true(bs > b0 && as > a0); /* short: both shift up */
}

static void test_glft_offsets(void **state)
{
	static const double gammas[] = { 0.01, 0.1, 1.0 };
	const struct glft_side side = { .A = 140.0, .k = 1.5 };
	const struct glft_side thin = { .A = 140.0, .k = 0.5 };
	(void)state;
	for (size_t i = 0; i < N(gammas); i++) {
		double g = gammas[i], db0, da0, dbl, dal, dbs, das;
		double c2 = glft_skew(g, 2.0, &side);

		assert_true(c2 > 0.0);
		assert_true(glft_half_spread(g, 2.0, &side) > 0.0);
		glft_offsets(0, g, 2.0, &side, &side, &db0, &da0);
		glft_offsets(3, g, 2.0, &side, &side, &dbl, &dal);
		glft_offsets(-3, g, 2.0, &side, &side, &dbs, &das);
		assert_true(fabs(db0 - da0) < 1e-12);  /* flat: symmetric */
		assert_true(dbl > db0 && dal < da0);   /* long: bid away, ask in */
		assert_true(dbs < db0 && das > da0);   /* short: bid in, ask away */
		assert_true(fabs((dbl - db0) - 3 * c2) < 1e-9);
		/* closed form: c1 + (2q+1)/2 c2 on the bid */
		assert_true(fabs(dbl - (log1p(g / 1.5) / g + 3.5 * c2)) < 1e-9);
		/* wider with sigma */
		assert_true(glft_half_spread(g, 4.0, &side) > glft_half_spread(g, 2.0, &side));
	}
	/* per-side kappa: a thinner ask side (smaller k) is quoted wider */
	{
		double db, da;

		glft_offsets(0, 0.1, 2.0, &side, &thin, &db, &da);
		assert_true(da > db);
	}
}

static void test_premia_add(void **state)
{
	static const struct { struct quote_premia p; double want; } rows[] = {
		{ { 0.0, 0.0, 0.0, 0.0 }, 0.50 },
		{ { 0.003, 0.0, 0.0, 0.0 }, 0.503 },
		{ { -0.002, 0.0, 0.0, 0.0 }, 0.498 }, /* rebate narrows */
		{ { 0.003, 0.01, 0.02, 0.04 }, 0.573 },
	};
	(void)state;
	for (size_t i = 0; i < N(rows); i++)
		assert_true(fabs(quote_offset_adjust(0.5, &rows[i].p) - rows[i].want) < 1e-12);
	/* adds, never multiplies: doubling the base adds the same premium */
	assert_true(fabs((quote_offset_adjust(1.0, &rows[3].p) - 1.0) -
			 (quote_offset_adjust(0.5, &rows[3].p) - 0.5)) < 1e-12);
	assert_true(quote_offset_adjust(0.5, NULL) == 0.5);
}

static void test_round_to_tick(void **state)
{
	static const struct {
		double px;
		int64_t tick;
		enum quote_side side;
		int rc;
		int64_t want;
	} rows[] = {
		{ 100.01, 100, QUOTE_BID, 0, 1000100 },   /* exact tick kept (bid) */
		{ 100.01, 100, QUOTE_ASK, 0, 1000100 },   /* exact tick kept (ask) */
		{ 100.0149, 100, QUOTE_BID, 0, 1000100 }, /* bid down */
		{ 100.0101, 100, QUOTE_ASK, 0, 1000200 }, /* ask up */
		{ 0.1234, 1, QUOTE_BID, 0, 1234 },
		{ 0.12345, 1, QUOTE_ASK, 0, 1235 },
		{ 0.12345, 1, QUOTE_BID, 0, 1234 },
		{ 99.99999, 100, QUOTE_BID, 0, 999900 },
		{ 99.99999, 100, QUOTE_ASK, 0, 1000000 },
		{ 0.0, 100, QUOTE_BID, -ERANGE, 0 },      /* zero */
		{ -1.0, 100, QUOTE_ASK, -ERANGE, 0 },     /* negative */
		{ 0.005, 100, QUOTE_BID, -ERANGE, 0 },    /* bid rounds to 0 */
		{ 0.005, 100, QUOTE_ASK, 0, 100 },        /* ask rounds up to 1 tick */
		{ 1e9, 100, QUOTE_ASK, -ERANGE, 0 },      /* above ITCH max */
		{ 100.0, 0, QUOTE_BID, -EINVAL, 0 },      /* zero tick */
		{ 100.0, -100, QUOTE_ASK, -EINVAL, 0 },   /* negative tick */
		{ NAN, 100, QUOTE_BID, -EINVAL, 0 },
		{ INFINITY, 100, QUOTE_ASK, -EINVAL, 0 },
	};
	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		int64_t out = -1;
		int rc = quote_round_to_tick(rows[i].px, rows[i].tick, rows[i].side, &out);

		if (rc != rows[i].rc || (rc == 0 && out != rows[i].want))
			fprintf(stderr, "row %zu: px=%.6f tick=%lld side=%d -> rc=%d out=%lld\n", i,
				rows[i].px, (long long)rows[i].tick, rows[i].side, rc, (long long)out);
		assert_int_equal(rc, rows[i].rc);
		if (rc == 0) {
			assert_int_equal(out, rows[i].want);
			assert_int_equal(out % rows[i].tick, 0);
		}
	}
}

static void test_post_only(void **state)
{
	static const struct {
		int64_t px;
		enum quote_side side;
		int64_t bb, ba, want;
	} rows[] = {
		{ 1000000, QUOTE_BID, 999900, 1000100, 1000000 }, /* inside: kept */
		{ 1000100, QUOTE_BID, 999900, 1000100, 1000000 }, /* at ask: back off */
		{ 1000500, QUOTE_BID, 999900, 1000100, 1000000 }, /* through: back off */
		{ 1000000, QUOTE_ASK, 999900, 1000100, 1000000 },
		{ 999900, QUOTE_ASK, 999900, 1000100, 1000000 },  /* at bid */
		{ 999000, QUOTE_ASK, 999900, 1000100, 1000000 },  /* through */
		{ 1000500, QUOTE_BID, 999900, 0, 1000500 },       /* no ask side */
		{ 999000, QUOTE_ASK, 0, 1000100, 999000 },        /* no bid side */
		{ 100, QUOTE_BID, 0, 100, 0 },                    /* nothing positive */
	};
	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		int64_t px = quote_post_only(rows[i].px, rows[i].side, rows[i].bb, rows[i].ba, 100);

		assert_int_equal(px, rows[i].want);
		if (px && rows[i].side == QUOTE_BID && rows[i].ba > 0)
			assert_true(px < rows[i].ba);
		if (px && rows[i].side == QUOTE_ASK && rows[i].bb > 0)
			assert_true(px > rows[i].bb);
	}
}

/* build_target (mm.c) calls quote_post_only only when its guard moves
 * the price (a bid at or above a best ask > 0, an ask at or below a best
 * bid > 0): for any price it can give (0, or 1..QUOTE_PX_MAX from
 * quote_round_to_tick), the guard idle, quote_post_only gives the price
 * itself. Random prices, books (either side empty, crossed, near the
 * ends of the range) and ticks; both cases common. */
static void test_post_only_idle_keeps(void **state)
{
	uint64_t r = 0x9e3779b97f4a7c15ull;
	int idle = 0, moved = 0;

	(void)state;
	for (int i = 0; i < 400000; i++) {
		int64_t tick, px, bb, ba, lo = 1, hi = QUOTE_PX_MAX;
		enum quote_side side;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		tick = (int64_t)(1 + (r >> 60) * 37);
		side = (r >> 59) & 1 ? QUOTE_ASK : QUOTE_BID;
		switch ((r >> 56) & 3) { /* a narrow range sometimes: near a book */
		case 0:
			hi = 1000;
			break;
		case 1:
			lo = QUOTE_PX_MAX - 1000;
			break;
		default:
			break;
		}
		px = (r >> 4) % 16 == 0 ? 0 : lo + (int64_t)((r >> 8) % (uint64_t)(hi - lo + 1));
		bb = (r >> 5) % 8 == 0 ? 0 : lo + (int64_t)((r * 31 >> 9) % (uint64_t)(hi - lo + 1));
		ba = (r >> 6) % 8 == 0 ? 0 : lo + (int64_t)((r * 131 >> 9) % (uint64_t)(hi - lo + 1));
		if (px > 0 && (side == QUOTE_BID ? ba > 0 && px >= ba : bb > 0 && px <= bb)) {
			moved++;
			continue;
		}
		idle++;
		assert_int_equal(quote_post_only(px, side, bb, ba, tick), px);
	}
	assert_true(idle > 100000 && moved > 100000);
}

static const struct quote_ladder_cfg ladder_cfg = {
	.levels = 3, .tick = 100, .step_ticks = 2,
	.size = { 100, 200, 300 }, .min_size = 100, .pos_limit = 1000,
};

static void test_ladder_shape(void **state)
{
	struct quote_ladder l;
	(void)state;
	assert_int_equal(quote_build_ladder(&ladder_cfg, 99.985, 100.015, 0, 999800, 1000200, &l), 0);
	assert_int_equal(l.n_bid, 3);
	assert_int_equal(l.n_ask, 3);
	assert_int_equal(l.bid[0].px, 999800);
	assert_int_equal(l.ask[0].px, 1000200);
	for (uint32_t i = 0; i < 3; i++) {
		assert_int_equal(l.bid[i].qty, ladder_cfg.size[i]);
		assert_int_equal(l.ask[i].qty, ladder_cfg.size[i]);
		assert_int_equal(l.bid[i].px, 999800 - 200 * (int64_t)i);
		assert_int_equal(l.ask[i].px, 1000200 + 200 * (int64_t)i);
		assert_true(l.bid[i].px < l.ask[0].px);
	}
	/* bad cfg */
	{
		struct quote_ladder_cfg bad = ladder_cfg;

		bad.levels = 0;
		assert_int_equal(quote_build_ladder(&bad, 99.0, 101.0, 0, 0, 0, &l), -EINVAL);
		bad = ladder_cfg;
		bad.levels = QUOTE_MAX_LEVELS + 1;
		assert_int_equal(quote_build_ladder(&bad, 99.0, 101.0, 0, 0, 0, &l), -EINVAL);
		bad = ladder_cfg;
		bad.tick = 0;
		assert_int_equal(quote_build_ladder(&bad, 99.0, 101.0, 0, 0, 0, &l), -EINVAL);
	}
}

static void test_ladder_post_only_never_crosses(void **state)
{
	/* model prices through the book on both sides */
	static const struct { double bid, ask; int64_t bb, ba; } rows[] = {
		{ 100.05, 100.06, 999900, 1000100 },
		{ 99.90, 99.95, 999900, 1000100 },
		{ 100.10, 100.20, 999900, 1000100 },
		{ 100.00, 100.00, 999900, 1000100 },
	};
	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		struct quote_ladder l;

		assert_int_equal(quote_build_ladder(&ladder_cfg, rows[i].bid, rows[i].ask, 0,
						    rows[i].bb, rows[i].ba, &l), 0);
		for (uint32_t j = 0; j < l.n_bid; j++)
			assert_true(l.bid[j].px < rows[i].ba);
		for (uint32_t j = 0; j < l.n_ask; j++)
			assert_true(l.ask[j].px > rows[i].bb);
	}
}

static void test_ladder_position_limit(void **state)
{
	static const struct {
		int64_t pos;
		uint32_t n_bid, n_ask;
		uint32_t bid_total, ask_total;
	} rows[] = {
		{ 0, 3, 3, 600, 600 },
		{ 1000, 0, 3, 0, 600 },    /* at +limit: no bid */
		{ 1200, 0, 3, 0, 600 },    /* beyond: no bid */
		{ -1000, 3, 0, 600, 0 },   /* at -limit: no ask */
		{ 700, 2, 3, 300, 600 },   /* room 300: 100 + 200 */
		{ 850, 1, 3, 100, 600 },   /* room 150: 100, then 50 < min */
		{ 950, 0, 3, 0, 600 },     /* room 50 < min size */
	};
	(void)state;
	for (size_t i = 0; i < N(rows); i++) {
		struct quote_ladder l;
		uint32_t tb = 0, ta = 0;

		assert_int_equal(quote_build_ladder(&ladder_cfg, 99.99, 100.01, rows[i].pos, 0, 0, &l), 0);
		for (uint32_t j = 0; j < l.n_bid; j++) {
			tb += l.bid[j].qty;
			assert_true(l.bid[j].qty >= ladder_cfg.min_size);
		}
		for (uint32_t j = 0; j < l.n_ask; j++) {
			ta += l.ask[j].qty;
			assert_true(l.ask[j].qty >= ladder_cfg.min_size);
		}
		if (l.n_bid != rows[i].n_bid || l.n_ask != rows[i].n_ask)
			fprintf(stderr, "row %zu: pos=%lld n_bid=%u n_ask=%u\n", i,
				(long long)rows[i].pos, l.n_bid, l.n_ask);
		assert_int_equal(l.n_bid, rows[i].n_bid);
		assert_int_equal(l.n_ask, rows[i].n_ask);
		assert_int_equal(tb, rows[i].bid_total);
		assert_int_equal(ta, rows[i].ask_total);
		assert_true((int64_t)tb + rows[i].pos <= ladder_cfg.pos_limit || tb == 0);
	}
}

static void test_ladder_min_size(void **state)
{
	struct quote_ladder_cfg cfg = ladder_cfg;
	struct quote_ladder l;
	(void)state;
	cfg.size[0] = 50; /* below min: skipped, deeper levels kept */
	assert_int_equal(quote_build_ladder(&cfg, 99.99, 100.01, 0, 0, 0, &l), 0);
	assert_int_equal(l.n_bid, 2);
	assert_int_equal(l.bid[0].qty, 200);
	assert_int_equal(l.bid[0].px, 999900 - 200);
	/* a side with an unformable price is empty */
	assert_int_equal(quote_build_ladder(&cfg, -1.0, NAN, 0, 0, 0, &l), 0);
	assert_int_equal(l.n_bid, 0);
	assert_int_equal(l.n_ask, 0);
}

/* quote_build_ladder_px on prices rounded by quote_round_to_tick (0 when
 * that fails) builds the same ladder as quote_build_ladder, over prices on,
 * near and between grid points, non-finite and out of range, positions
 * near the limits and books that force the post-only guard. */
static void test_ladder_px_same(void **state)
{
	struct quote_ladder_cfg c = { .levels = 4, .tick = 100, .step_ticks = 2,
				      .size = { 100, 200, 300, 400 }, .min_size = 100,
				      .pos_limit = 600 };
	const double px[] = { 50.00, 50.0049, 50.005, 50.0099999999, 50.01, 0.01, 0.0,
			      -1.0, NAN, INFINITY, 1e9 };
	const int64_t pos[] = { 0, 550, -550, 600, -600 };
	const int64_t book[][2] = { { 0, 0 }, { 499900, 500100 }, { 500100, 500200 } };
	size_t n = sizeof(px) / sizeof(px[0]);
	uint32_t levels = 0;

	(void)state;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			for (size_t p = 0; p < 5; p++)
				for (size_t b = 0; b < 3; b++) {
					struct quote_ladder a, x;
					int64_t bp = 0, ap = 0;

					if (quote_round_to_tick(px[i], c.tick, QUOTE_BID, &bp))
						bp = 0;
					if (quote_round_to_tick(px[j] + 0.02, c.tick, QUOTE_ASK, &ap))
						ap = 0;
					assert_int_equal(quote_build_ladder(&c, px[i], px[j] + 0.02,
									    pos[p], book[b][0],
									    book[b][1], &a), 0);
					assert_int_equal(quote_build_ladder_px(&c, bp, ap, pos[p],
									       book[b][0],
									       book[b][1], &x), 0);
					assert_memory_equal(&a, &x, sizeof(a));
					levels += a.n_bid + a.n_ask;
				}
	assert_true(levels > 1000); /* ladders were built, not only empty ones */
	c.levels = 0;
	assert_int_equal(quote_build_ladder_px(&c, 500000, 500100, 0, 0, 0, &(struct quote_ladder){ 0 }),
			 -EINVAL);
}

/* quote_llround equals llround on halves, the doubles next to them, both
 * signs, zeros, the 2^52 edge, non-finite values and random prices; so
 * does quote_llround_pos (its positive prices' short cut, the rest
 * delegated). */
static void test_llround_same(void **state)
{
	static const double tab[] = {
		0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999999999999994,
		-0.49999999999999994, 1e6 + 0.5, 1e6 - 0.5, 4503599627370495.5,
		-4503599627370495.5, 4503599627370496.0, 0x1p52 + 1.0, 0x1p60, -0x1p60,
		1e-300, -1e-300, 12345.499999999998, 12345.500000000002,
	};
	uint64_t r = 0x2545f4914f6cdd1dull;

	(void)state;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		double x = tab[i];

		assert_true(quote_llround(x) == llround(x));
		assert_true(quote_llround(nextafter(x, INFINITY)) == llround(nextafter(x, INFINITY)));
		assert_true(quote_llround(nextafter(x, -INFINITY)) ==
			    llround(nextafter(x, -INFINITY)));
		assert_true(quote_llround_pos(x) == llround(x));
		assert_true(quote_llround_pos(nextafter(x, INFINITY)) ==
			    llround(nextafter(x, INFINITY)));
		assert_true(quote_llround_pos(nextafter(x, -INFINITY)) ==
			    llround(nextafter(x, -INFINITY)));
	}
	for (int i = 0; i < 1000000; i++) {
		double x;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		/* micro-prices: integers and halves +- a few ulps, and fractions */
		x = (double)(r % 100000000) * 0.5 + (double)((int)((r >> 40) % 5) - 2) * 1e-9;
		if ((r >> 50) & 1)
			x = -x;
		assert_true(quote_llround(x) == llround(x));
		assert_true(quote_llround_pos(x) == llround(x));
		if (x > 0.0) /* and x < 2^52: quote_llround_in's domain */
			assert_true(quote_llround_in(x) == llround(x));
	}
	/* quote_llround_in over its domain's edges and the table's positive
	 * prices (below 2^52) */
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		double x = tab[i], y[3] = { x, nextafter(x, INFINITY), nextafter(x, -INFINITY) };

		for (int j = 0; j < 3; j++)
			if (y[j] > 0.0 && y[j] < 0x1p52)
				assert_true(quote_llround_in(y[j]) == llround(y[j]));
	}
	assert_true(quote_llround_in(0x1p52 - 0.5) == llround(0x1p52 - 0.5));
	assert_true(quote_llround_in(DBL_TRUE_MIN) == 0);
}

/* quote_round_to_tick as first written, with libm floor / ceil: the
 * inline one must give the same code and price for every input. */
static int ref_round_to_tick(double px_usd, int64_t tick, enum quote_side side, int64_t *out)
{
	double ticks, n;
	int64_t px;

	if (tick <= 0 || !isfinite(px_usd))
		return -EINVAL;
	ticks = px_usd * QUOTE_PX_PER_USD / (double)tick;
	if (ticks <= 0.0 || ticks > (double)QUOTE_PX_MAX + 1.0)
		return -ERANGE;
	n = side == QUOTE_BID ? floor(ticks + QUOTE_GRID_EPS) : ceil(ticks - QUOTE_GRID_EPS);
	px = (int64_t)n * tick;
	if (px <= 0 || px > QUOTE_PX_MAX)
		return -ERANGE;
	*out = px;
	return 0;
}

/* quote_round_to_tick (and quote_round_to_tick_n, with its grid index)
 * against ref_round_to_tick: prices on the grid, a few
 * ulps and the grid epsilon either side, between ticks, below one tick
 * (down to where the ask's y turns negative), at and beyond the maximum,
 * zero, negative, huge, non-finite; ticks 1, 7, 100, 10000 and bad. */
static void test_round_same_as_floor(void **state)
{
	static const int64_t ticks[] = { 1, 7, 100, 10000, 0, -100 };
	static const double off[] = { 0.0, 0.5, 0.999999, 1e-6, -1e-6, 2e-6, -2e-6, 0.25 };
	uint64_t r = 0x2545f4914f6cdd1dull;

	(void)state;
	for (int i = 0; i < 600000; i++) {
		int64_t tick = ticks[i % 6 < 4 ? i % 4 : i % 6], n, a = 0, b = 0;
		double px;
		int ra, rb;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		n = (int64_t)(r % 20000000) / (tick > 0 ? tick : 1);
		if ((r >> 40) % 100 == 0)
			n = QUOTE_PX_MAX / (tick > 0 ? tick : 1) - 2 + (int64_t)((r >> 50) % 5);
		else if ((r >> 40) % 100 == 1)
			n = (int64_t)((r >> 50) % 3);
		px = ((double)n + off[(r >> 30) % 8]) * (double)tick / QUOTE_PX_PER_USD;
		if ((r >> 40) % 100 == 2)
			px = ldexp((double)((r >> 20) % 1000), -(int)((r >> 32) % 60)); /* tiny */
		for (int k = (int)((r >> 33) % 7) - 3; k != 0; k += k > 0 ? -1 : 1)
			px = nextafter(px, k > 0 ? INFINITY : -INFINITY);
		switch ((r >> 44) % 2000) {
		case 0: px = NAN; break;
		case 1: px = INFINITY; break;
		case 2: px = -INFINITY; break;
		case 3: px = -px; break;
		case 4: px = 1e300; break;
		case 5: px = 0.0; break;
		default: break;
		}
		for (int side = 0; side < 2; side++) {
			int64_t c = -7, gi = -7;
			int rc;

			ra = quote_round_to_tick(px, tick, (enum quote_side)side, &a);
			rb = ref_round_to_tick(px, tick, (enum quote_side)side, &b);
			assert_int_equal(ra, rb);
			if (ra == 0)
				assert_int_equal(a, b);
			/* the variant with the tick as a double and the grid
			 * index: the same code and price, the index px / tick */
			if (tick <= 0) /* _n takes a tick > 0 only */
				continue;
			rc = quote_round_to_tick_n(px, tick, (double)tick, (enum quote_side)side, &c,
						   &gi);
			assert_int_equal(rc, rb);
			if (rc == 0) {
				assert_int_equal(c, b);
				assert_int_equal(gi, b / tick);
			}
		}
	}
}

/* Steps the xorshift state *r and draws a price near the tick grid: *n
 * ticks (near the price limit one time in 1000) plus an offset (on the
 * grid, within its epsilon, between ticks), in USD, nudged by up to 3
 * ulps. */
static double grid_px(uint64_t *r, int64_t tick, int64_t *n)
{
	static const double off[] = { 0.0, 0.5, 0.999999, 1e-6, -1e-6, 2e-6, -2e-6, 0.25 };
	double px;

	*r ^= *r << 13;
	*r ^= *r >> 7;
	*r ^= *r << 17;
	*n = (int64_t)(*r % 20000000) / tick + 1;
	if ((*r >> 40) % 1000 == 0)
		*n = QUOTE_PX_MAX / tick - (int64_t)((*r >> 50) % 3);
	px = ((double)*n + off[(*r >> 30) % 8]) * (double)tick / QUOTE_PX_PER_USD;
	for (int k = (int)((*r >> 33) % 7) - 3; k != 0; k += k > 0 ? -1 : 1)
		px = nextafter(px, k > 0 ? INFINITY : -INFINITY);
	return px;
}
/* quote_rounds_to(px, tick, side, top) is exactly "quote_round_to_tick
 * gives top": for prices on the grid, within the grid epsilon of it, a few
 * ulps either side of those edges, between ticks, at the price limits,
 * non-finite and negative, both sides, ticks 1, 100 and 10000, and every
 * candidate top near the rounded one. */
static void test_rounds_to_same(void **state)
{
	static const int64_t ticks[] = { 1, 100, 10000 };
	uint64_t r = 0x9e3779b97f4a7c15ull;
	int hits = 0;

	(void)state;
	for (int i = 0; i < 400000; i++) {
		int64_t tick = ticks[i % 3], n, top;
		double px;

		px = grid_px(&r, tick, &n);
		if ((r >> 44) % 5000 == 0)
			px = (r >> 56) % 3 == 0 ? NAN : (r >> 56) % 3 == 1 ? INFINITY : -px;
		for (int side = 0; side < 2; side++) {
			int64_t got = 0;
			int rc = quote_round_to_tick(px, tick, (enum quote_side)side, &got);

			for (int64_t c = n - 2; c <= n + 2; c++) {
				if (c < 1 || c * tick > QUOTE_PX_MAX)
					continue;
				top = c * tick;
				assert_int_equal(quote_rounds_to(px, tick, (enum quote_side)side, top),
						 rc == 0 && got == top);
				hits += rc == 0 && got == top;
			}
		}
	}
	assert_true(hits > 400000); /* most prices round onto a candidate */
}

/* quote_rounds_to_beyond(px, ...) == quote_rounds_to(px, ...) for a px at
 * or beyond, passively, one that rounds to top: px0 as in
 * test_rounds_to_same (on the grid, within its epsilon, a few ulps off,
 * between ticks, near the price limit), rounded to top, then moved away
 * from the book's far side (a bid down, an ask up) by 0, 1 to 4 ulps, the
 * grid epsilon, fractions of a tick, ticks, or to infinity; both outcomes
 * common. */
static void test_rounds_to_beyond_same(void **state)
{
	static const int64_t ticks[] = { 1, 100, 10000 };
	static const double move[] = { 0.0, 1e-6, 2e-6, 0.1, 0.5, 0.999999, 1.0, 3.0, INFINITY };
	uint64_t r = 0x243f6a8885a308d3ull;
	int same = 0, other = 0;

	(void)state;
	for (int i = 0; i < 400000; i++) {
		int64_t tick = ticks[i % 3], n, top;
		double px0, px;

		px0 = grid_px(&r, tick, &n);
		for (int side = 0; side < 2; side++) {
			double away = side == QUOTE_BID ? -INFINITY : INFINITY;

			if (quote_round_to_tick(px0, tick, (enum quote_side)side, &top) != 0)
				continue;
			/* a move of the table's ticks (rounded: still monotone),
			 * then 0 to 4 ulps further */
			px = side == QUOTE_BID ? px0 - move[(r >> 44) % 9] * (double)tick / QUOTE_PX_PER_USD
					       : px0 + move[(r >> 44) % 9] * (double)tick / QUOTE_PX_PER_USD;
			for (int k = (int)((r >> 52) % 5); k > 0; k--)
				px = nextafter(px, away);
			assert_int_equal(quote_rounds_to_beyond(px, tick, (enum quote_side)side, top),
					 quote_rounds_to(px, tick, (enum quote_side)side, top));
			if (quote_rounds_to(px, tick, (enum quote_side)side, top))
				same++;
			else
				other++;
		}
	}
	assert_true(same > 100000 && other > 100000);
}

/* The GLFT closed forms as they were written before glft_prepare split
 * them (the reference the split must match bit for bit). */
static double ref_glft_skew(double gamma, double sigma, const struct glft_side *p)
{
	double g_k = gamma / p->k;

	return sqrt(sigma * sigma * gamma / (2.0 * p->k * p->A) * pow(1.0 + g_k, 1.0 + 1.0 / g_k));
}

static double ref_glft_half(double gamma, double sigma, const struct glft_side *p)
{
	return log1p(gamma / p->k) / gamma + 0.5 * ref_glft_skew(gamma, sigma, p);
}

static bool same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

/* A double spread over many binades: mantissa and exponent at random. */
static double wide(uint64_t *r, int lo_exp, int hi_exp)
{
	*r ^= *r << 13;
	*r ^= *r >> 7;
	*r ^= *r << 17;
	return ldexp(1.0 + (double)(*r >> 11) * 0x1p-53,
		     lo_exp + (int)((*r >> 3) % (uint64_t)(hi_exp - lo_exp + 1)));
}

/* glft_prepare once, then glft_skew_pre / glft_half_pre at many sigmas
 * (how mm reuses it), equal bit for bit to the unsplit closed forms (the
 * outputs of glft_skew and glft_half_spread too), over random gamma, A, k
 * and sigma across many binades and over the values a paper run meets
 * (gamma 0.1, the prior A 1 and k 100 / USD, sigma around 1e-4 .. 1e-1
 * USD); NaN and infinite inputs give NaN or the same bits as well. */
static void test_glft_pre_same(void **state)
{
	uint64_t r = 0x9e3779b97f4a7c15ull;
	uint32_t cases = 0;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		struct glft_side p;
		struct glft_pre q;
		double g;

		if (i % 4 == 0) {
			g = 0.1;
			p.A = i % 8 == 0 ? 1.0 : wide(&r, -4, 8);
			p.k = i % 8 == 0 ? 100.0 : wide(&r, -2, 10);
		} else {
			g = wide(&r, -12, 6);
			p.A = wide(&r, -20, 20);
			p.k = wide(&r, -20, 20);
		}
		glft_prepare(g, &p, &q);
		for (int j = 0; j < 8; j++) {
			double sg = i % 4 == 0 ? wide(&r, -14, -3) : wide(&r, -30, 10);
			double sk = glft_skew_pre(g, sg, &q);
			double ref_sk = ref_glft_skew(g, sg, &p), ref_h = ref_glft_half(g, sg, &p);

			assert_true(same_bits(sk, ref_sk) || (isnan(sk) && isnan(ref_sk)));
			assert_true(same_bits(glft_half_pre(&q, sk), ref_h) ||
				    (isnan(ref_h) && isnan(glft_half_pre(&q, sk))));
			assert_true(same_bits(glft_skew(g, sg, &p), ref_sk) || isnan(ref_sk));
			assert_true(same_bits(glft_half_spread(g, sg, &p), ref_h) || isnan(ref_h));
			cases++;
		}
	}
	{
		const double odd[] = { 0.0, -0.0, INFINITY, -INFINITY, NAN, 1e-310, -1.0 };

		for (size_t a = 0; a < N(odd); a++)
			for (size_t b = 0; b < N(odd); b++) {
				struct glft_side p = { .A = odd[a], .k = odd[b] == 0.0 ? 1.0 : odd[b] };
				struct glft_pre q;
				double sg = odd[(a + b) % N(odd)];
				double x, y;

				glft_prepare(0.1, &p, &q);
				x = glft_half_pre(&q, glft_skew_pre(0.1, sg, &q));
				y = ref_glft_half(0.1, sg, &p);
				assert_true(same_bits(x, y) || (isnan(x) && isnan(y)));
			}
	}
	assert_int_equal(cases, 160000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_as_reservation_direction),
		cmocka_unit_test(test_as_spread_positive_and_widening),
		cmocka_unit_test(test_as_quotes_skew),
		cmocka_unit_test(test_glft_offsets),
		cmocka_unit_test(test_glft_pre_same),
		cmocka_unit_test(test_premia_add),
		cmocka_unit_test(test_round_to_tick),
		cmocka_unit_test(test_round_same_as_floor),
		cmocka_unit_test(test_llround_same),
		cmocka_unit_test(test_rounds_to_same),
		cmocka_unit_test(test_rounds_to_beyond_same),
		cmocka_unit_test(test_post_only),
		cmocka_unit_test(test_post_only_idle_keeps),
		cmocka_unit_test(test_ladder_shape),
		cmocka_unit_test(test_ladder_post_only_never_crosses),
		cmocka_unit_test(test_ladder_position_limit),
		cmocka_unit_test(test_ladder_min_size),
		cmocka_unit_test(test_ladder_px_same),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
