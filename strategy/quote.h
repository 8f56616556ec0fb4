/* quote.h - quote maths: Avellaneda-Stoikov (2008) reservation price and
 * spread, Gueant-Lehalle-Fernandez-Tapia (2013) closed-form offsets, fee and
 * additive risk premiums, the one tick-rounding function, the post-only guard
 * and the N-level ladder. Pure functions: time and state are arguments; no
 * I/O, no clock reads, no allocation. Safe from any thread. */
#ifndef QUOTE_H
#define QUOTE_H

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>

/* Which side of the book a price or order is on. */
enum quote_side { QUOTE_BID = 0, QUOTE_ASK = 1 };

/* Model prices are doubles in USD; order prices are integers in ITCH units. */
#define QUOTE_PX_PER_USD 10000 /* 1 ITCH price unit = 1e-4 USD */
#define QUOTE_MAX_LEVELS 8

/* --- Avellaneda & Stoikov, Quantitative Finance 8(3), 2008 ------------- */

/* Reservation price r = s - q*gamma*sigma^2*tau, tau = T - t (same time unit
 * as sigma^2). s in USD, q signed inventory (+ long). Returns r in USD. */
double as_reservation_price(double s, double q, double gamma, double sigma, double tau);

/* Optimal total spread delta_a + delta_b = gamma*sigma^2*tau +
 * (2/gamma)*ln(1 + gamma/k). gamma > 0, k > 0. Returns USD (> 0). */
double as_spread(double gamma, double sigma, double tau, double k);

/* Bid and ask (USD) quoted symmetrically around the reservation price:
 * r -/+ as_spread/2. Writes *bid and *ask; both pointers must be valid. */
void as_quotes(double s, double q, double gamma, double sigma, double tau, double k,
	       double *bid, double *ask);

/* --- Gueant, Lehalle & Fernandez-Tapia, Math. Finan. Econ. 7, 2013 ------ */

/* Per-side fill-intensity parameters lambda(delta) = A exp(-k delta). */
struct glft_side {
	double A; /* fills per unit time at delta = 0 */
	double k; /* 1/USD, > 0 */
};

/* Inventory-independent part of a side's offset: (1/gamma) ln(1 + gamma/k)
 * + c2/2 (see glft_skew). USD, > 0 for valid inputs. */
double glft_half_spread(double gamma, double sigma, const struct glft_side *p);

/* Inventory skew per unit of inventory, c2 = sqrt(sigma^2 gamma / (2 k A) *
 * (1 + gamma/k)^(1 + k/gamma)). USD per unit q, > 0 for valid inputs. */
double glft_skew(double gamma, double sigma, const struct glft_side *p);

/* The sigma-free parts of glft_skew and glft_half_spread for one gamma and
 * side (the pow and log1p): a caller whose sigma moves more often than A
 * and k computes them once per (gamma, A, k) and then only the sqrt. */
struct glft_pre {
	double den; /* 2 k A */
	double pw;  /* (1 + gamma/k)^(1 + k/gamma) */
	double lg;  /* ln(1 + gamma/k) / gamma */
};

/* Fill *out for gamma and side p (any values; no checks). Pure. */
void glft_prepare(double gamma, const struct glft_side *p, struct glft_pre *out);

/* glft_skew(gamma, sigma, p) from glft_prepare(gamma, p, q): the same
 * operations in the same order (glft_skew is this), so the same double.
 * Inline: the sqrt alone. */
static inline double glft_skew_pre(double gamma, double sigma, const struct glft_pre *q)
{
	return sqrt(sigma * sigma * gamma / q->den * q->pw);
}

/* glft_half_spread(gamma, sigma, p) from q = glft_prepare(gamma, p) and
 * skew = glft_skew_pre(gamma, sigma, q): bit for bit (glft_half_spread is
 * this, the same expression wherever it is inlined). */
static inline double glft_half_pre(const struct glft_pre *q, double skew)
{
	return q->lg + 0.5 * skew;
}

/* Optimal offsets from the fair value (USD, before fee and premiums):
 * *d_bid = half_b + q*skew_b, *d_ask = half_a - q*skew_a, per-side A and k.
 * Long inventory (q > 0) pushes the bid away and pulls the ask in. */
void glft_offsets(double q, double gamma, double sigma, const struct glft_side *bid,
		  const struct glft_side *ask, double *d_bid, double *d_ask);

/* --- Fee, premiums, rounding, post-only, ladder ------------------------- */

/* What is added to a model half-spread. All USD per share; they add, never
 * multiply. fee > 0 is a cost, fee < 0 a rebate. */
struct quote_premia {
	double fee;
	double vol;    /* volatility premium, >= 0 */
	double tox;    /* toxicity premium, >= 0 */
	double regime; /* regime widening, >= 0 */
};

/* Model half-spread plus fee and every premium (a plain sum). p may be NULL
 * (nothing added). Returns USD. */
double quote_offset_adjust(double offset, const struct quote_premia *p);

/* Tolerance, in ticks, under which a price counts as already on the grid:
 * absorbs binary representation error (100.01 * 1e4 is not exact). */
#define QUOTE_GRID_EPS 1e-6
#define QUOTE_PX_MAX ((int64_t)UINT32_MAX) /* ITCH 5.0 Price(4) is uint32 */

/* quote_round_to_tick (below) past its tick check, for a tick > 0 given
 * also as tick_d == (double)tick (a caller that keeps it converted), and
 * with the grid index n = px / tick into *n_out (on success): the one
 * implementation of the rounding. Inline: on the decision path twice per
 * decision. */
static inline int quote_round_to_tick_n(double px_usd, int64_t tick, double tick_d,
					enum quote_side side, int64_t *out, int64_t *n_out)
{
	double ticks, y;
	int64_t n, px;

	ticks = px_usd * QUOTE_PX_PER_USD / tick_d;
	/* 0 < ticks <= max + 1, or out of range; non-finite prices (NaN
	 * fails both compares) are told apart on this path only */
	if (!(ticks > 0.0 && ticks <= (double)QUOTE_PX_MAX + 1.0))
		return isfinite(px_usd) ? -ERANGE : -EINVAL;
	/* floor (bid) / ceil (ask) by truncation, exact here: |y| < 2^33,
	 * and truncation is floor for the bid's y > 0 and, plus one when y
	 * is above it, ceil for any y (-1 < y for the ask); no libm floor,
	 * which without SSE4.1 is a dozen instructions */
	if (side == QUOTE_BID) {
		y = ticks + QUOTE_GRID_EPS;
		n = (int64_t)y;
	} else {
		y = ticks - QUOTE_GRID_EPS;
		n = (int64_t)y;
		n += y > (double)n;
	}
	px = n * tick;
	if (px <= 0 || px > QUOTE_PX_MAX)
		return -ERANGE;
	*out = px;
	*n_out = n;
	return 0;
}

/* The one place a model price becomes an order price: px_usd is converted to
 * ITCH units and rounded onto the tick grid, bids down and asks up (passive).
 * A price already on the grid (within 1e-6 tick) is kept. tick in ITCH units.
 * 0 and *out set; -EINVAL tick <= 0 or px not finite; -ERANGE the rounded
 * price is <= 0 or above the ITCH maximum (UINT32_MAX). Inline. */
static inline int quote_round_to_tick(double px_usd, int64_t tick, enum quote_side side,
				      int64_t *out)
{
	int64_t n;

	if (tick <= 0)
		return -EINVAL;
	return quote_round_to_tick_n(px_usd, tick, (double)tick, side, out, &n);
}

/* quote_round_to_tick(px_usd, tick, side, &px) == 0 && px == top, for a
 * top in 1..QUOTE_PX_MAX on the grid (a multiple of tick > 0): its steps up
 * to the grid value y = ticks +- QUOTE_GRID_EPS, then y inside the one
 * interval that floor (bid) or ceil (ask) maps to n = top / tick; two
 * compares instead of a floor or ceil. The range checks need no test of
 * their own: with 1 <= n <= QUOTE_PX_MAX, ticks <= 0, above QUOTE_PX_MAX +
 * 1 or not finite put y outside the interval. Inline: a second rounding
 * checked against a first. */
static inline bool quote_rounds_to(double px_usd, int64_t tick, enum quote_side side,
				   int64_t top)
{
	double n = (double)(top / tick), ticks = px_usd * QUOTE_PX_PER_USD / (double)tick;

	if (side == QUOTE_BID) {
		double y = ticks + QUOTE_GRID_EPS;

		return y >= n && y < n + 1.0;
	} else {
		double y = ticks - QUOTE_GRID_EPS;

		return y > n - 1.0 && y <= n;
	}
}

/* quote_rounds_to_beyond (below) given tick_d == (double)tick and n ==
 * (double)(top / tick) (quote_round_to_tick_n's index): no division of
 * integers; the one implementation. Inline: a second rounding checked
 * against a first. */
static inline bool quote_rounds_to_beyond_n(double px_usd, double tick_d, enum quote_side side,
					    double n)
{
	double ticks = px_usd * QUOTE_PX_PER_USD / tick_d;

	if (side == QUOTE_BID)
		return ticks + QUOTE_GRID_EPS >= n;
	return ticks - QUOTE_GRID_EPS <= n;
}

/* quote_rounds_to(px_usd, tick, side, top), for a px_usd at or beyond, on
 * the passive side (a bid's at or below, an ask's at or above), a price
 * that rounds to top: every step to the grid value is monotone and so are
 * floor and ceil, so the rounding cannot pass top on the far side, and
 * only the near bound is compared (one compare). Inline. */
static inline bool quote_rounds_to_beyond(double px_usd, int64_t tick, enum quote_side side,
					  int64_t top)
{
	return quote_rounds_to_beyond_n(px_usd, (double)tick, side, (double)(top / tick));
}

/* Post-only guard: a bid at or above best_ask moves to best_ask - tick, an
 * ask at or below best_bid moves to best_bid + tick. best_* <= 0 means that
 * side of the book is empty (no constraint). All ITCH units. Returns the
 * guarded price, or 0 when no positive price satisfies the guard. Inline:
 * twice per decision. */
static inline int64_t quote_post_only(int64_t px, enum quote_side side, int64_t best_bid,
				      int64_t best_ask, int64_t tick)
{
	if (side == QUOTE_BID) {
		if (best_ask > 0 && px >= best_ask)
			px = best_ask - tick;
	} else {
		if (best_bid > 0 && px <= best_bid)
			px = best_bid + tick;
	}
	return px > 0 && px <= QUOTE_PX_MAX ? px : 0;
}

/* llround(x) (half away from zero) without the libm call for |x| < 2^52,
 * every price: t = trunc(x) is exact, and so is x - t (for |x| >= 1, t is
 * within a factor of two of x: Sterbenz), so the half step is exact too.
 * Beyond, NaN or inf: llround itself. Inline: once per market-data event. */
static inline int64_t quote_llround(double x)
{
	int64_t t;
	double r;

	if (!(x > -0x1p52 && x < 0x1p52)) /* also NaN */
		return (int64_t)llround(x);
	t = (int64_t)x;
	r = x - (double)t;
	if (r >= 0.5)
		return t + 1;
	if (r <= -0.5)
		return t - 1;
	return t;
}

/* quote_llround(x) for an x the caller knows in (0, 2^52): t = trunc(x)
 * >= 0, so x - t is in [0, 1), exactly, and no step down is taken (the
 * range test made once for several uses; quote_llround_pos tests it).
 * Inline: once per market-data event (the portfolio mark). */
static inline int64_t quote_llround_in(double x)
{
	int64_t t = (int64_t)x;

	return t + (x - (double)t >= 0.5);
}

/* quote_llround(x) for a price: x in (0, 2^52) takes no step down (t =
 * trunc(x) >= 0, so x - t is in [0, 1), exactly), one compare and a
 * branch fewer; any other x goes to quote_llround. Inline: once per
 * market-data event (the portfolio mark). */
static inline int64_t quote_llround_pos(double x)
{
	if (!(x > 0.0 && x < 0x1p52)) /* also NaN */
		return quote_llround(x);
	return quote_llround_in(x);
}

/* Ladder configuration. Level i sits i*step_ticks ticks behind level 0. */
struct quote_ladder_cfg {
	uint32_t levels;                  /* 1..QUOTE_MAX_LEVELS */
	int64_t tick;                     /* ITCH units, > 0 */
	int64_t step_ticks;               /* >= 1 */
	uint32_t size[QUOTE_MAX_LEVELS];  /* shares per level */
	uint32_t min_size;                /* smaller levels are not quoted */
	int64_t pos_limit;                /* |position| limit in shares, > 0 */
};

/* One resting price level. */
struct quote_level {
	int64_t px;   /* 1e-4 USD */
	uint32_t qty; /* shares */
};

/* A two-sided ladder; n_bid / n_ask levels are valid, best first. */
struct quote_ladder {
	struct quote_level bid[QUOTE_MAX_LEVELS];
	struct quote_level ask[QUOTE_MAX_LEVELS];
	uint32_t n_bid, n_ask;
};

/* Build the ladder from top-of-ladder model prices (USD): round (the one
 * rounding function), apply the post-only guard against best_bid/best_ask
 * (ITCH units, <= 0 = empty), clip each side's total size so the position
 * (shares, + long) cannot pass +-pos_limit, and drop levels below min_size.
 * At +pos_limit no bid is quoted, at -pos_limit no ask. A side whose price
 * cannot be formed (non-finite, <= 0) is empty.
 * 0 and *out filled; -EINVAL bad cfg (levels, tick, step, pos_limit). */
int quote_build_ladder(const struct quote_ladder_cfg *cfg, double bid_usd, double ask_usd,
		       int64_t position, int64_t best_bid, int64_t best_ask,
		       struct quote_ladder *out);

/* quote_build_ladder from top prices already rounded by quote_round_to_tick
 * with cfg->tick (ITCH units; 0 = that side's price could not be formed),
 * so a caller that rounded them once does not round again. Same result and
 * codes. */
int quote_build_ladder_px(const struct quote_ladder_cfg *cfg, int64_t bid_px, int64_t ask_px,
			  int64_t position, int64_t best_bid, int64_t best_ask,
			  struct quote_ladder *out);

#endif /* QUOTE_H */
