/* quote.c - quote maths (see quote.h): AS 2008 and GLFT 2013 closed forms,
 * fee and premiums, tick rounding, post-only guard, ladder. Pure functions,
 * no state; any thread. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "strategy/quote.h"

/* AS 2008 eq. (29)-(30) style: r(s,q,t) = s - q gamma sigma^2 (T - t). */
double as_reservation_price(double s, double q, double gamma, double sigma, double tau)
{
	return s - q * gamma * sigma * sigma * tau;
}

/* AS 2008: delta_a + delta_b = gamma sigma^2 (T - t) + (2/gamma) ln(1 + gamma/k). */
double as_spread(double gamma, double sigma, double tau, double k)
{
	return gamma * sigma * sigma * tau + (2.0 / gamma) * log1p(gamma / k);
}

void as_quotes(double s, double q, double gamma, double sigma, double tau, double k,
	       double *bid, double *ask)
{
	double r = as_reservation_price(s, q, gamma, sigma, tau);
	double half = 0.5 * as_spread(gamma, sigma, tau, k);

	*bid = r - half;
	*ask = r + half;
}

/*
 * GLFT 2013, asymptotic closed-form approximations of the optimal quotes
 * (section on the spectral characterisation), in our notation:
 *   delta_b(q) ~ (1/gamma) ln(1 + gamma/k) + (2q + 1)/2 * c2
 *   delta_a(q) ~ (1/gamma) ln(1 + gamma/k) - (2q - 1)/2 * c2
 *   c2 = sqrt( sigma^2 gamma / (2 k A) * (1 + gamma/k)^(1 + k/gamma) )
 * so each side is half = c1 + c2/2 plus or minus q*c2. A and k are taken per
 * side, which is the usual practical extension of the symmetric formula.
 */
void glft_prepare(double gamma, const struct glft_side *p, struct glft_pre *out)
{
	double g_k = gamma / p->k;

	out->den = 2.0 * p->k * p->A;
	out->pw = pow(1.0 + g_k, 1.0 + 1.0 / g_k);
	out->lg = log1p(g_k) / gamma;
}

double glft_skew(double gamma, double sigma, const struct glft_side *p)
{
	struct glft_pre q;

	glft_prepare(gamma, p, &q);
	return glft_skew_pre(gamma, sigma, &q);
}

double glft_half_spread(double gamma, double sigma, const struct glft_side *p)
{
	struct glft_pre q;

	glft_prepare(gamma, p, &q);
	return glft_half_pre(&q, glft_skew_pre(gamma, sigma, &q));
}

void glft_offsets(double q, double gamma, double sigma, const struct glft_side *bid,
		  const struct glft_side *ask, double *d_bid, double *d_ask)
{
	*d_bid = glft_half_spread(gamma, sigma, bid) + q * glft_skew(gamma, sigma, bid);
	*d_ask = glft_half_spread(gamma, sigma, ask) - q * glft_skew(gamma, sigma, ask);
}

double quote_offset_adjust(double offset, const struct quote_premia *p)
{
	if (!p)
		return offset;
	return offset + p->fee + p->vol + p->tox + p->regime;
}

/* Fill one side: levels stepping away from px0, sizes clipped to room. */
static uint32_t ladder_side(const struct quote_ladder_cfg *cfg, int64_t px0, int64_t dir,
			    int64_t room, struct quote_level *lv)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < cfg->levels && room > 0; i++) {
		int64_t px = px0 + dir * (int64_t)i * cfg->step_ticks * cfg->tick;
		int64_t qty = cfg->size[i];

		if (px <= 0 || px > QUOTE_PX_MAX)
			break;
		if (qty > room)
			qty = room;
		if (qty < (int64_t)cfg->min_size || qty == 0)
			continue;
		lv[n].px = px;
		lv[n].qty = (uint32_t)qty;
		n++;
		room -= qty;
	}
	return n;
}

int quote_build_ladder_px(const struct quote_ladder_cfg *cfg, int64_t bid_px, int64_t ask_px,
			  int64_t position, int64_t best_bid, int64_t best_ask,
			  struct quote_ladder *out)
{
	int64_t px;

	if (!cfg || !out || cfg->levels == 0 || cfg->levels > QUOTE_MAX_LEVELS || cfg->tick <= 0 ||
	    cfg->step_ticks < 1 || cfg->pos_limit <= 0)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	/* Buying grows a long position: room to the limit is pos_limit - position. */
	if (position < cfg->pos_limit && bid_px > 0) {
		px = quote_post_only(bid_px, QUOTE_BID, best_bid, best_ask, cfg->tick);
		if (px > 0)
			out->n_bid = ladder_side(cfg, px, -1, cfg->pos_limit - position, out->bid);
	}
	if (position > -cfg->pos_limit && ask_px > 0) {
		px = quote_post_only(ask_px, QUOTE_ASK, best_bid, best_ask, cfg->tick);
		if (px > 0)
			out->n_ask = ladder_side(cfg, px, +1, cfg->pos_limit + position, out->ask);
	}
	return 0;
}

int quote_build_ladder(const struct quote_ladder_cfg *cfg, double bid_usd, double ask_usd,
		       int64_t position, int64_t best_bid, int64_t best_ask,
		       struct quote_ladder *out)
{
	int64_t bid = 0, ask = 0;

	if (!cfg || cfg->tick <= 0)
		return -EINVAL;
	if (quote_round_to_tick(bid_usd, cfg->tick, QUOTE_BID, &bid) != 0)
		bid = 0;
	if (quote_round_to_tick(ask_usd, cfg->tick, QUOTE_ASK, &ask) != 0)
		ask = 0;
	return quote_build_ladder_px(cfg, bid, ask, position, best_bid, best_ask, out);
}
