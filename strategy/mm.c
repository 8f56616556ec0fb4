/* mm.c - one symbol's market maker (see mm.h): market data, execution
 * reports and the timer feed the modules, then one decision step builds the
 * target ladder (model offsets, premiums, toxicity, regime, limits, the
 * presence rule) and reconciles it. Owner thread only; no allocation. */
#include "strategy/mm.h"

#include "hw/compiler.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <string.h>

#define NS_PER_S 1000000000ull
#define MS 1000000ull
#define SIDE_SIGN(s) ((s) == QUOTE_BID ? 1.0 : -1.0)

void mm_cfg_defaults(struct mm_cfg *c)
{
	struct regime_band(*b)[REGIME_N_LEVELS];

	memset(c, 0, sizeof(*c));
	c->model = MM_MODEL_GLFT;
	c->gamma = 0.1;
	c->inv_unit = 100.0;
	c->as_horizon_s = 60.0;
	c->vol_premium = 0.0;
	c->tick = 100;
	c->fee_usd = -0.0020; /* Nasdaq-like maker rebate */
	c->levels = 3;
	c->step_ticks = 1;
	for (uint32_t i = 0; i < QUOTE_MAX_LEVELS; i++)
		c->size[i] = 100;
	c->min_size = 100;
	c->lot = 100;
	c->pos_limit = 1000;
	c->presence = true;
	c->presence_ticks = 1;
	c->timer_ns = 10 * MS;
	c->fit_ns = 1000 * MS;
	c->rate_window_ns = 1000 * MS;

	c->fair.weight = 1.0;

	c->vol.interval_ns = 100 * MS;
	c->vol.half_life_ns = 60 * NS_PER_S;
	c->vol.sigma_min = 5e-5; /* ~0.8% a day over 6.5 h */

	c->fill.bucket_px = 100.0;
	c->fill.n_buckets = 10;
	c->fill.slot_ns = NS_PER_S;
	c->fill.n_slots = 60;
	c->fill.min_points = 3;
	c->fill.min_count = 5;
	c->fill.prior_a[0] = c->fill.prior_a[1] = 1.0;
	c->fill.prior_kappa[0] = c->fill.prior_kappa[1] = 0.01; /* 100 / USD */

	c->tox.n_horizons = 3;
	c->tox.horizon_ns[0] = 100 * MS;
	c->tox.horizon_ns[1] = NS_PER_S;
	c->tox.horizon_ns[2] = 5 * NS_PER_S;
	c->tox.horizon_weight[0] = 0.2;
	c->tox.horizon_weight[1] = 0.3;
	c->tox.horizon_weight[2] = 0.5;
	c->tox.markout_alpha = 0.1;
	c->tox.flow_alpha = 0.05;
	c->tox.through_half_life_ns = NS_PER_S;
	c->tox.w_markout = 0.5;
	c->tox.w_flow = 1.0;
	c->tox.w_through = 0.5;
	c->tox.shrink_threshold = 1.0;
	c->tox.pull_threshold = 2.0;
	c->tox.shrink_factor = 0.5;
	c->tox.cooldown_ns = 2 * NS_PER_S;
	c->tox.spread_k = 0.25;

	b = c->regime.band;
	b[REGIME_IN_DRAWDOWN][REGIME_YELLOW] = (struct regime_band){ 200.0, 100.0 };
	b[REGIME_IN_DRAWDOWN][REGIME_RED] = (struct regime_band){ 500.0, 300.0 };
	b[REGIME_IN_DRAWDOWN][REGIME_KILL] = (struct regime_band){ 1000.0, 0.0 };
	b[REGIME_IN_POSITION][REGIME_YELLOW] = (struct regime_band){ 0.5, 0.3 };
	b[REGIME_IN_POSITION][REGIME_RED] = (struct regime_band){ 0.9, 0.7 };
	b[REGIME_IN_POSITION][REGIME_KILL] = (struct regime_band){ 1.5, 0.0 };
	b[REGIME_IN_MSG_RATE][REGIME_YELLOW] = (struct regime_band){ 40.0, 20.0 };
	b[REGIME_IN_MSG_RATE][REGIME_KILL] = (struct regime_band){ 200.0, 0.0 };
	b[REGIME_IN_STALENESS][REGIME_YELLOW] = (struct regime_band){ 2e9, 1e9 };
	b[REGIME_IN_STALENESS][REGIME_RED] = (struct regime_band){ 10e9, 5e9 };
	c->regime.pos_limit = c->pos_limit;
	c->regime.min_dwell_ns = NS_PER_S;
	c->regime.spread_add_ticks = 1.0;
	c->regime.spread_add_bps = 0.0;
	c->regime.size_cap = 100;

	c->recon.tol_ticks = 1;
	c->recon.tol_front_ticks = 2;
	c->recon.min_life_ns = 5 * MS;
	c->recon.max_age_ns = 30 * NS_PER_S;
	c->recon.rate_per_s = 50;
	c->recon.burst = 20;
	c->pf = NULL;
}

static int cfg_ok(const struct mm_cfg *c)
{
	if (c->model != MM_MODEL_GLFT && c->model != MM_MODEL_AS)
		return 0;
	if (!(isfinite(c->gamma) && c->gamma > 0.0) || !(isfinite(c->inv_unit) && c->inv_unit > 0.0))
		return 0;
	if (c->model == MM_MODEL_AS && !(isfinite(c->as_horizon_s) && c->as_horizon_s > 0.0))
		return 0;
	if (!(isfinite(c->vol_premium) && c->vol_premium >= 0.0) || !isfinite(c->fee_usd))
		return 0;
	if (c->tick <= 0 || c->levels == 0 || c->levels > QUOTE_MAX_LEVELS || c->step_ticks < 1)
		return 0;
	if (c->min_size == 0 || c->lot == 0 || c->pos_limit <= 0 || c->presence_ticks == 0)
		return 0;
	if (c->timer_ns == 0 || c->fit_ns == 0 || c->rate_window_ns == 0)
		return 0;
	return 1;
}

/* m->glft[s] for gamma g and side p: recomputed (pow, log1p) only when
 * one of them is not the one it was computed for (bitwise: a NaN or a
 * signed zero is a key of its own). */
static const struct glft_pre *glft_memo(struct mm *m, int s, double g, const struct glft_side *p)
{
	double key[3] = { g, p->A, p->k };

	if (memcmp(key, m->glft_key[s], sizeof(key)) != 0) {
		glft_prepare(g, p, &m->glft[s]);
		memcpy(m->glft_key[s], key, sizeof(key));
	}
	return &m->glft[s];
}

int mm_init(struct mm *m, const struct mm_cfg *cfg, uint16_t locate, uint64_t token_base,
	    uint64_t now_ns)
{
	struct recon_cfg rc;
	int rc_pf;

	if (!m || !cfg || !cfg_ok(cfg) || token_base == 0)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->cfg = *cfg;
	m->locate = locate;
	rc = cfg->recon;
	rc.locate = locate;
	rc.tick = cfg->tick;
	rc.token_base = token_base;
	m->cfg.recon = rc;
	m->cfg.regime.pos_limit = cfg->pos_limit;
	if (fair_init(&m->fair, &cfg->fair) || vol_init(&m->vol, &cfg->vol) ||
	    fill_init(&m->fill, &cfg->fill) || tox_init(&m->tox, &cfg->tox) ||
	    regime_init(&m->regime, &m->cfg.regime, now_ns) || recon_init(&m->recon, &rc, now_ns))
		return -EINVAL;
	if (cfg->pf) {
		rc_pf = pf_attach(cfg->pf, locate, cfg->pos_limit, &m->pf_idx);
		if (rc_pf)
			return -EINVAL;
	}
	for (int s = 0; s < 2; s++) {
		struct glft_side p;

		m->fit[s].a = cfg->fill.prior_a[s];
		m->fit[s].kappa = cfg->fill.prior_kappa[s];
		/* the prior's pow and log1p here, off the first quotes' path
		 * (refresh_coeffs's key, as it forms it) */
		p.A = m->fit[s].a;
		p.k = m->fit[s].kappa * QUOTE_PX_PER_USD;
		(void)glft_memo(m, s, m->cfg.gamma, &p);
	}
	/* the presence rule's least offset, USD (constant: off the event path) */
	/* the ladder's cfg: limits are per side in build_target (built
	 * unclipped, clipped there) */
	m->lc.levels = cfg->levels;
	m->lc.tick = cfg->tick;
	m->lc.step_ticks = cfg->step_ticks;
	memcpy(m->lc.size, cfg->size, sizeof(m->lc.size));
	m->lc.min_size = cfg->min_size;
	m->lc.pos_limit = INT32_MAX;
	m->lc_span = (int64_t)(m->lc.levels - 1) * m->lc.step_ticks * m->lc.tick;
	m->tick_usd = (double)cfg->tick / QUOTE_PX_PER_USD;
	m->tick_d = (double)cfg->tick;
	m->edge_usd = cfg->presence_ticks * ((double)cfg->tick / QUOTE_PX_PER_USD) +
		      fmax(cfg->fee_usd, 0.0);
	m->next_fit_ns = now_ns + cfg->fit_ns;
	m->rate_start_ns = now_ns;
	m->rate_w = (double)cfg->rate_window_ns;
	m->rate_ws = m->rate_w * 1e-9;
	m->vol_n = UINT64_MAX; /* force the first refresh */
	m->rq_pos = INT64_MIN; /* no quick regime step prepared */
	m->dirty = true;
	return 0;
}

void mm_fini(struct mm *m)
{
	if (m)
		memset(m, 0, sizeof(*m));
}

/* ---- model coefficients -------------------------------------------- */

/* Recompute base/skew from sigma and the intensity fit (only when one of
 * them changed: log/pow/sqrt stay off the per-event path; pow and log1p
 * only when the fit did, glft_memo). Out of line: build_target's common
 * path keeps its registers. */
static NOINLINE void refresh_coeffs(struct mm *m)
{
	const struct mm_cfg *c = &m->cfg;
	double s_usd, g = c->gamma;

	m->vol_n = m->vol.n_returns;
	m->off_ok = false; /* base and skew move */
	m->sigma = vol_sigma(&m->vol);
	s_usd = m->sigma * m->fair_px / QUOTE_PX_PER_USD;
	if (c->model == MM_MODEL_GLFT) {
		for (int s = 0; s < 2; s++) {
			struct glft_side p = { .A = m->fit[s].a,
					       .k = m->fit[s].kappa * QUOTE_PX_PER_USD };
			const struct glft_pre *q = glft_memo(m, s, g, &p);
			/* glft_half_spread and glft_skew, their shared parts
			 * once (the same doubles: quote.h) */
			double sk = glft_skew_pre(g, s_usd, q);

			m->base[s] = glft_half_pre(q, sk);
			m->skew[s] = sk;
		}
	} else {
		double k = 0.5 * (m->fit[0].kappa + m->fit[1].kappa) * QUOTE_PX_PER_USD;
		double tau = c->as_horizon_s;

		m->base[0] = m->base[1] = 0.5 * as_spread(g, s_usd, tau, k);
		m->skew[0] = m->skew[1] = g * s_usd * s_usd * tau;
	}
	for (int s = 0; s < 2; s++)
		m->base[s] += c->vol_premium * s_usd;
}

static void refit(struct mm *m, uint64_t now_ns)
{
	for (int s = 0; s < 2; s++) {
		struct fill_params p;

		if (fill_estimate(&m->fill, s, now_ns, &p) == 0)
			m->fit[s] = p;
	}
	m->next_fit_ns = now_ns + m->cfg.fit_ns;
	m->vol_n = UINT64_MAX; /* refresh on the next decision */
}

/* ---- money and regime inputs ---------------------------------------- */

double mm_pnl_usd(const struct mm *m)
{
	/* The last fair value, even while the book is one-sided or crossed:
	 * marking the position at zero then would read as a huge drawdown. */
	double mark = m->fair_px;

	return ((double)m->cash_e4 + (double)m->position * mark) / QUOTE_PX_PER_USD;
}

/* Move the message-rate window to now_ns: afterwards now_ns <=
 * rate_start_ns or now_ns - rate_start_ns < rate_window_ns. */
static inline void msg_roll(struct mm *m, uint64_t now_ns)
{
	uint64_t w = m->cfg.rate_window_ns;

	if (now_ns > m->rate_start_ns && now_ns - m->rate_start_ns >= w) {
		uint64_t k = (now_ns - m->rate_start_ns) / w;

		m->rate_prev = k == 1 ? m->rate_cur : 0;
		m->rate_cur = 0;
		m->rate_start_ns += k * w;
		m->rq_held_end = 0; /* the window's: see rate_held_end */
	}
}

/* The message rate at now_ns, msg/s, after msg_roll(m, now_ns). It lies
 * in [rate_cur / rate_ws, (rate_prev + rate_cur) / rate_ws] (each
 * rounded once; the sum is exact): el < w makes el / rate_w <= 1 (both
 * rounded monotonically), so the previous window's weight is in [0, 1],
 * its product with rate_prev in [0, rate_prev], and the rounded sum and
 * quotient keep that order. regime_step's quick step relies on it. */
static inline double msg_rate_el(const struct mm *m, uint64_t el)
{
	/* Sliding estimate: the previous window weighted by its overlap
	 * (rate_w = (double)w and rate_ws = rate_w * 1e-9, from mm_init) */
	return ((double)m->rate_prev * (1.0 - (double)el / m->rate_w) + (double)m->rate_cur) /
	       m->rate_ws;
}

static double msg_rate_at(const struct mm *m, uint64_t now_ns)
{
	return msg_rate_el(m, now_ns > m->rate_start_ns ? now_ns - m->rate_start_ns : 0);
}

/*
 * The first instant from which the message rate may no longer be above
 * hold, for the current window and counts: msg_rate_at(m, t) > hold for
 * every t < the result (0: no such t known). msg_rate_el does not grow
 * with el (every step a monotone rounding: el / rate_w up, 1 - it down,
 * times rate_prev >= 0, plus rate_cur, over rate_ws > 0: down), so one
 * el_c with the rate above hold covers every el <= el_c, every instant up
 * to rate_start_ns + el_c. el_c comes from solving the estimate for hold
 * (then moved back a little) and is checked with msg_rate_el itself,
 * against hold plus a margin far above any rounding difference between
 * two compilations of the expression. Valid while the window and its
 * counts stay (msg_roll clears it; regime_step recomputes it with the
 * quick step's key, which holds the counts). Per prepared key.
 */
static uint64_t rate_held_end(const struct mm *m, double hold)
{
	const uint64_t w = m->cfg.rate_window_ns;
	double h = hold + fabs(hold) * 0x1p-30 + 0x1p-30, x = m->rate_w;
	uint64_t el;

	if (!(hold >= 0.0 && hold < DBL_MAX)) /* no rate above it, or NaN */
		return 0;
	if (m->rate_prev > 0)
		x = m->rate_w * (1.0 - (h * m->rate_ws - (double)m->rate_cur) / (double)m->rate_prev);
	x -= x * 1e-6 + 2.0;
	if (!(x >= 0.0))
		return 0;
	el = x >= (double)(w - 1) ? w - 1 : (uint64_t)x;
	return msg_rate_el(m, el) > h ? m->rate_start_ns + el + 1 : 0;
}

/* Both scans below visit only the side's active slots (recon.active, kept
 * by recon: a bit per PENDING or LIVE slot, every state they look for),
 * rather than all RECON_MAX_LEVELS slots of 64 bytes each: one cache line
 * per working order instead of eight per call. */
bool mm_resting(const struct mm *m, enum quote_side side)
{
	for (unsigned a = m->recon.active[side]; a; a &= a - 1) {
		const struct recon_order *o = &m->recon.ord[side][__builtin_ctz(a)];

		if (o->state == RECON_LIVE || (o->state == RECON_PENDING && o->orig_token))
			return true;
	}
	return false;
}

_Static_assert(RECON_MAX_LEVELS <= 8, "recon.active: a uint8_t bit per slot");

/* ---- the decision step ---------------------------------------------- */

/* memcmp(a, b, n) == 0 for a small record (the recon controls, 10 bytes),
 * inlined: n is known at the call site, so this is a load or two and an OR
 * instead of a libc call (the key and the ladder stay with memcmp, whose
 * vector loop is cheaper at their sizes). */
static inline bool same_bytes(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	uint64_t diff = 0;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t u, v;

		memcpy(&u, x + i, 8);
		memcpy(&v, y + i, 8);
		diff |= u ^ v;
	}
	/* the tail in 4-, 2- and 1-byte pieces (n is a constant: the ones
	 * not needed fold away): the controls' last two bytes one compare */
	if (i + 4 <= n) {
		uint32_t u, v;

		memcpy(&u, x + i, 4);
		memcpy(&v, y + i, 4);
		diff |= u ^ v;
		i += 4;
	}
	if (i + 2 <= n) {
		uint16_t u, v;

		memcpy(&u, x + i, 2);
		memcpy(&v, y + i, 2);
		diff |= (uint64_t)(u ^ v);
		i += 2;
	}
	if (i < n)
		diff |= (uint64_t)(x[i] ^ y[i]);
	return diff == 0;
}

static uint32_t round_lot(double qty, uint32_t lot)
{
	if (!(qty > 0.0))
		return 0;
	return (uint32_t)(qty / lot) * lot;
}

/* A side's top price from its offset d (USD): at least edge from fair_usd
 * (also for a NaN d), rounded onto the tick grid (tick > 0, tick_d its
 * double: mm_init), its grid index into *n; -1 when no price can be
 * formed. */
static inline int64_t side_top(double d, double edge, double fair_usd, int64_t tick,
			       double tick_d, int s, int64_t *n)
{
	int64_t top;

	/* also a NaN model: fall back to the edge. As d >= edge ? d : edge:
	 * edge > 0 (mm_init), so d == edge has edge's bits (one maxsd) */
	d = d > edge ? d : edge;
	if (quote_round_to_tick_n(fair_usd - SIDE_SIGN(s) * d, tick, tick_d, (enum quote_side)s,
				  &top, n) != 0)
		return -1;
	return top;
}

/* side_top(d, ...) == top, for a top > 0 side_top gave from an offset d_lo
 * <= d (NaN counting as edge: then both are at least edge, and the one
 * clamped to edge is the least), n its grid index. The price then lies at
 * or beyond d_lo's, away from fair (every step a monotone rounding), so
 * quote_rounds_to's far bound holds: quote_rounds_to_beyond, one compare
 * instead of a second rounding (and with the index, no division). */
static inline bool side_top_is(double d, double edge, double fair_usd, double tick_d, int s,
			       int64_t n)
{
	d = d > edge ? d : edge; /* as side_top */
	return quote_rounds_to_beyond_n(fair_usd - SIDE_SIGN(s) * d, tick_d, (enum quote_side)s,
					(double)n);
}

/* Room to the limits per side (shares): the symbol's own and, with a
 * portfolio, the one the other symbols leave it. */
static inline void side_room(const struct mm *m, int64_t room[2])
{
	int64_t lim_long = m->cfg.pos_limit, lim_short = m->cfg.pos_limit;

	/* most calls: the budget leaves the symbol its own cap, which is
	 * pos_limit (mm_init attaches it so): the limits stay as they are.
	 * m->cfg.pf set, pf_idx is attached (mm_init): no checks again. */
	if (m->cfg.pf && !pf_limits_own(m->cfg.pf, m->pf_idx)) {
		struct pf_limit pl;

		pf_limits(m->cfg.pf, m->pf_idx, &pl);
		if (pl.max_long < lim_long)
			lim_long = pl.max_long;
		if (pl.max_short < lim_short)
			lim_short = pl.max_short;
	}
	room[QUOTE_BID] = lim_long - m->position;
	room[QUOTE_ASK] = lim_short + m->position;
}

/* build_target's outcomes: where the target is and whether it moved. */
enum tgt_res {
	TGT_BUILT = 0, /* built into *t: compare with m->target, then copy */
	TGT_SAME = 1,  /* m->target as it was: *t unwritten */
	TGT_MOVED = 2, /* m->target moved in place: *t unwritten */
};

/* Past its prices (struct mm_tkey has them first), a key's bytes equal. */
static inline bool tkey_rest_same(const struct mm_tkey *a, const struct mm_tkey *b)
{
	const size_t o = offsetof(struct mm_tkey, cap);

	return memcmp((const char *)a + o, (const char *)b + o, sizeof(*a) - o) == 0;
}

/*
 * A new key k that differs from m->tkey in its prices alone (the caller
 * compared the rest, tkey_rest_same), each one the
 * same or, old and new > 0, with every ladder level (m->lc.levels,
 * step_ticks apart) in 1..QUOTE_PX_MAX at both: the build would give
 * m->target with every price written (tgt_ext levels per side: the
 * ladder's levels from k.px, what the clip kept, the presence order at
 * k.px) moved by the difference, and nothing else changed. The ladder's
 * range checks are the only step that reads the price (the presence rule
 * only its sign); the others (sizes, room, factor, cap) read the key's
 * other fields, which are equal. So move them in place: a few adds
 * instead of the build, a compare and a copy of the whole ladder. Most
 * new keys are such (a fair value move crossing a rounding boundary).
 * Returns false, changing nothing, when k is not such; else *moved = the
 * sides with a byte of m->target changed (bit per side).
 */
static bool target_shift(struct mm *m, const struct mm_tkey *k, unsigned *moved)
{
	const int64_t span = m->lc_span;

	for (int s = 0; s < 2; s++) {
		int64_t a = m->tkey.px[s], b = k->px[s];

		if (a == b)
			continue;
		if (a == 0 || b == 0 ||
		    (s == QUOTE_BID ? (a - span <= 0 || b - span <= 0)
				    : (a + span > QUOTE_PX_MAX || b + span > QUOTE_PX_MAX)))
			return false;
	}
	/* the level count and the sides moved in locals: the price stores
	 * may alias a uint8_t (and *moved an unsigned), which the compiler
	 * then reloads after each one */
	unsigned mvd = 0;

	for (int s = 0; s < 2; s++) {
		struct quote_level *lv = s == QUOTE_BID ? m->target.bid : m->target.ask;
		int64_t d = (int64_t)k->px[s] - (int64_t)m->tkey.px[s];
		uint32_t ne = m->tgt_ext[s];

		if (d == 0)
			continue;
		_Static_assert(QUOTE_MAX_LEVELS == 8, "one add below for each level");
		/* each written level (ne <= QUOTE_MAX_LEVELS), by one jump
		 * into the unrolled adds: no loop counter or compare per level
		 * (the loop cost build_target ~1.9% Ir, paper_run 0.28%) */
		switch (ne) {
		case 8: lv[7].px += d; /* fall through */
		case 7: lv[6].px += d; /* fall through */
		case 6: lv[5].px += d; /* fall through */
		case 5: lv[4].px += d; /* fall through */
		case 4: lv[3].px += d; /* fall through */
		case 3: lv[2].px += d; /* fall through */
		case 2: lv[1].px += d; /* fall through */
		case 1: lv[0].px += d; /* fall through */
		default: break;
		}
		mvd |= (unsigned)(ne != 0) << s;
	}
	*moved = mvd;
	return true;
}

/* build_target's offsets before toxicity into m->off_* (see there): kept
 * when off_fixed. Out of line: ~2% of decisions compute them, and the
 * common path keeps its registers. */
static NOINLINE void offsets_compute(struct mm *m, double fair_usd, bool off_fixed,
				     uint64_t ticks_bits)
{
	const struct mm_cfg *c = &m->cfg;
	double q = (double)m->position / c->inv_unit;
	double prem = c->fee_usd + m->dec.spread_add_ticks * m->tick_usd +
		      m->dec.spread_add_bps * 1e-4 * fair_usd;

	for (int s = 0; s < 2; s++) {
		double base = m->base[s];

		m->off_bpos[s] = base > 0.0 ? base : 0.0;
		/* Toxicity widens additively: (mult - 1) times the model
		 * half. */
		m->off_d0[s] = base + SIDE_SIGN(s) * q * m->skew[s] + prem;
	}
	m->off_ok = off_fixed;
	m->off_pos = m->position;
	m->off_ticks_bits = ticks_bits;
}

/* build_target's new key (m->tkey, from top and room): the ladder into *t
 * and the controls it sets. Out of line: ~2% of decisions build, and the
 * common path keeps its registers (build_target inlined whole cost
 * mm_on_md +6% Ir).
 *
 * One pass per side: each level quote_build_ladder_px would write (m->lc,
 * position 0, guarded against the book) is written, then clipped at once
 * (unless barred: !allow or pulled): scaled by the toxicity factor (down
 * to the lot), capped, clipped to the room left, dropped below min_size,
 * the kept ones compacted to the front. The bytes are those of a ladder
 * built whole and then clipped in a second pass: that pass reads level i
 * before any of its writes reaches it (they go to k <= i) and writes k only
 * at or after the ladder did, so the kept levels hold the clipped values
 * and the rest of the ladder's (tgt_ext) the ladder's. */
static NOINLINE void build_ladder(struct mm *m, const int64_t top[2], const int64_t room[2],
				  struct quote_ladder *t, struct recon_ctl *ctl)
{
	const struct mm_cfg *c = &m->cfg;
	const struct quote_ladder_cfg *lc = &m->lc;
	const struct tox_span *td = m->td;
	bool allow[2] = { m->dec.allow_bid, m->dec.allow_ask };

	m->tkey_presence = 0;
	memset(t, 0, sizeof(*t)); /* every byte, padding included */
	for (int s = 0; s < 2; s++) {
		struct quote_level *lv = s == QUOTE_BID ? t->bid : t->ask;
		uint32_t *n = s == QUOTE_BID ? &t->n_bid : &t->n_ask;
		bool can = allow[s] && room[s] >= (int64_t)c->min_size;
		bool adj = allow[s] && !td[s].pulled;
		const int64_t dir = s == QUOTE_BID ? -1 : 1;
		double factor = td[s].size_factor;
		int64_t px0 = 0, rem = lc->pos_limit, r = room[s];
		uint32_t nl = 0, k = 0;

		/* the ladder's top, as quote_build_ladder_px guards it (top is
		 * 0 or in 1..QUOTE_PX_MAX: quote_round_to_tick) */
		if (top[s] > 0)
			px0 = quote_post_only(top[s], (enum quote_side)s, m->bid_px, m->ask_px,
					      lc->tick);
		for (uint32_t i = 0; px0 > 0 && i < lc->levels && rem > 0; i++) {
			/* ladder_side's level: room rem = pos_limit - 0 */
			int64_t px = px0 + dir * (int64_t)i * lc->step_ticks * lc->tick;
			int64_t q = lc->size[i];

			if (px <= 0 || px > QUOTE_PX_MAX)
				break;
			if (q > rem)
				q = rem;
			if (q < (int64_t)lc->min_size || q == 0)
				continue;
			lv[nl].px = px;
			lv[nl].qty = (uint32_t)q;
			nl++;
			rem -= q;
			if (!adj)
				continue;
			/* the clip's step for it (from the stored qty) */
			q = (uint32_t)q;
			if (factor < 1.0)
				q = round_lot((double)q * factor, c->lot);
			if (q > (int64_t)m->dec.size_cap)
				q = m->dec.size_cap;
			if (q > r)
				q = r;
			if (q < (int64_t)c->min_size || q <= 0)
				continue;
			lv[k].px = px;
			lv[k].qty = (uint32_t)q;
			r -= q;
			k++;
		}
		/* levels written: the ladder's (the clip compacts within them) */
		m->tgt_ext[s] = (uint8_t)nl;
		*n = adj ? k : 0;
		/* Presence: a side the regime allows, with room, always quotes. */
		if (*n == 0 && c->presence && can) {
			/* rounded and guarded once, for the key; 0 = no price */
			int64_t px = m->tkey.px[s];

			if (px > 0) {
				lv[0].px = px;
				lv[0].qty = c->min_size;
				*n = 1;
				if (m->tgt_ext[s] == 0)
					m->tgt_ext[s] = 1;
				m->n_presence++;
				m->tkey_presence++;
			}
		}
		ctl->pulled[s] = *n == 0 && td[s].pulled;
		ctl->grow_block[s] = *n == 0 && room[s] < (int64_t)c->min_size;
	}
}

/* Build m's target ladder and the recon controls into *ctl (enum tgt_res:
 * into *t, or m->target unchanged when the ladder's inputs, struct mm_tkey,
 * are those it was built from, or moved in place by target_shift: *mv =
 * the sides it moved). off: ctl's stale, halted or kill is set (no
 * ladder); ctl's pulled and grow_block arrive zero (decide_rest). */
static enum tgt_res build_target(struct mm *m, uint64_t now_ns, bool off, struct quote_ladder *t,
				 struct recon_ctl *ctl, unsigned *mv)
{
	const struct mm_cfg *c = &m->cfg;
	double fair_usd, edge;
	uint64_t ticks_bits, bps_bits;
	bool off_fixed;
	int64_t top[2]; /* rounded top price per side, 0 = none */
	const struct tox_span *td = m->td; /* this decision's verdicts */
	unsigned exact = 0; /* sides that asked tox_decide (bit) */
	struct mm_tkey k;
	bool same;

	if (off) {
		memset(t, 0, sizeof(*t));
		m->tkey_ok = false;
		m->tgt_ext[QUOTE_BID] = m->tgt_ext[QUOTE_ASK] = 0;
		return TGT_BUILT;
	}
	if (m->vol_n != m->vol.n_returns)
		refresh_coeffs(m);
	side_room(m, k.room); /* the key's room: no copy */

	fair_usd = m->fair_px / QUOTE_PX_PER_USD;
	edge = m->edge_usd;
	memcpy(&ticks_bits, &m->dec.spread_add_ticks, sizeof(ticks_bits));
	memcpy(&bps_bits, &m->dec.spread_add_bps, sizeof(bps_bits));
	/*
	 * The offsets before toxicity read fair_usd only through the bps
	 * add: with spread_add_bps +0 and 0 < fair_usd <= DBL_MAX (fair_in) that term is
	 * +0 whatever the fair value, so d0 and bpos are those of the last
	 * computation with the same position, ticks add and coefficients
	 * (refresh_coeffs clears off_ok): kept in m->off (unless
	 * cfg.offsets_every_decision).
	 */
	off_fixed = bps_bits == 0 && m->fair_in && !c->offsets_every_decision;
	if (off_fixed && m->off_ok && m->off_pos == m->position &&
	    m->off_ticks_bits == ticks_bits) {
		m->n_off_memo++;
	} else {
		offsets_compute(m, fair_usd, off_fixed, ticks_bits);
	}
	/* Unrolled, as the two loops below: each side's code then has its
	 * sign, rounding direction and fields fixed (no side tests, no loop
	 * counter): -45 Ir a decision, paper_run -1.5% Ir */
#pragma GCC unroll 2
	for (int s = 0; s < 2; s++) {
		double bpos = m->off_bpos[s], d0 = m->off_d0[s];
		int64_t n; /* top[s]'s grid index (side_top) */

		/* straight into m->td, the verdicts this key sees (no copy
		 * through a local): tox_decide_span writes it field by field, or
		 * copies its memo, whose padding stays zero as tox_init left it,
		 * the padding of m->td as mm_init left it */
		(void)tox_decide_span(&m->tox, now_ns, (enum quote_side)s, &m->td[s]);
		top[s] = side_top(d0 + (td[s].mult_lo - 1.0) * bpos, edge, fair_usd, c->tick,
				  m->tick_d, s, &n);
		/* A multiplier known within bounds: the top price is a monotone
		 * function of it (every step a rounded sum or product with a
		 * fixed sign, max, floor / ceil), so the same top at both
		 * bounds is the exact one; else ask for the exact multiplier.
		 * mult_hi > mult_lo and bpos >= 0: the offset at mult_hi is at
		 * least the one at mult_lo (side_top_is's condition).
		 * Tried and dropped (paper_run Ir on the bundled capture, from
		 * 663.46 M): a per-side memo of the top, kept while the offsets
		 * hold, for the fair values it was found at with the same
		 * bounds (+0.73%: 26% of sides answered), or with one point per
		 * condition, each holding over a quadrant of fair value and
		 * bound, both conditions being monotone (+0.38%: 31%); the
		 * memo's compares and upkeep cost more than the roundings they
		 * save. Per side, the top is the previous decision's on 72% of
		 * decisions, the bounds on 81%, both on 58%, the fair value
		 * only on 15%. Answering side_top_is without rounding when the
		 * offset at mult_hi is under the edge (both then clamp to it)
		 * is right but rare: +0.01%. */
		if (td[s].mult_hi != td[s].mult_lo &&
		    (top[s] < 0 ||
		     !side_top_is(d0 + (td[s].mult_hi - 1.0) * bpos, edge, fair_usd, m->tick_d, s, n))) {
			struct tox_decision x;

			(void)tox_decide(&m->tox, now_ns, (enum quote_side)s, &x);
			exact |= 1u << s;
			top[s] = side_top(d0 + (x.spread_mult - 1.0) * bpos, edge, fair_usd, c->tick,
					  m->tick_d, s, &n);
		}
		if (top[s] < 0)
			top[s] = 0;
	}
	m->td_exact = (uint8_t)exact;

	/* The ladder is a function of k (and the config): reuse the last one
	 * when k did not move, which is most events (no rounding boundary
	 * crossed, no best price move that reaches the guard), or move it
	 * when only k's prices did (target_shift). Every field is written
	 * (room by side_room, above; the rest below) and the struct has no
	 * padding (mm.h), so memcmp sees no stale byte without a memset. */
#pragma GCC unroll 2
	for (int s = 0; s < 2; s++) {
		int64_t px = top[s];

		/* top is 0 or in 1..QUOTE_PX_MAX (quote_round_to_tick), which
		 * quote_post_only keeps unless its guard moves it: called only
		 * then (it keeps a price in 1..QUOTE_PX_MAX or gives 0) */
		if (px > 0 && (s == QUOTE_BID ? m->ask_px > 0 && px >= m->ask_px
					      : m->bid_px > 0 && px <= m->bid_px))
			px = quote_post_only(px, (enum quote_side)s, m->bid_px, m->ask_px, c->tick);
		k.px[s] = (uint32_t)px;
		k.factor[s] = td[s].size_factor;
		k.pulled[s] = td[s].pulled;
	}
	k.allow[QUOTE_BID] = m->dec.allow_bid;
	k.allow[QUOTE_ASK] = m->dec.allow_ask;
	k.cap = m->dec.size_cap;
	/* the rest first: with it equal, k is m->tkey or its prices moved
	 * (one compare of the rest for both tests) */
	if (m->tkey_ok && tkey_rest_same(&k, &m->tkey)) {
		same = k.px[QUOTE_BID] == m->tkey.px[QUOTE_BID] &&
		       k.px[QUOTE_ASK] == m->tkey.px[QUOTE_ASK];
		/* the sides moved in a local, *mv written once (an unsigned
		 * the stores between might alias) */
		unsigned moved = 0;

		if (same || target_shift(m, &k, &moved)) {
			/* the same ladder, or the same moved: the same counts
			 * (a side with levels leaves both flags zero) */
#pragma GCC unroll 2
			for (int s = 0; s < 2; s++) {
				uint32_t n = s == QUOTE_BID ? m->target.n_bid : m->target.n_ask;

				if (n == 0) {
					ctl->pulled[s] = td[s].pulled;
					ctl->grow_block[s] = k.room[s] < (int64_t)c->min_size;
				}
			}
			m->n_presence += m->tkey_presence;
			if (!same) { /* moved: only the prices differ */
				m->tkey.px[QUOTE_BID] = k.px[QUOTE_BID];
				m->tkey.px[QUOTE_ASK] = k.px[QUOTE_ASK];
			}
			*mv = moved;
			return moved ? TGT_MOVED : TGT_SAME;
		}
	}
	m->tkey = k;
	m->tkey_ok = true;
	build_ladder(m, top, k.room, t, ctl);
	return TGT_BUILT;
}

/* The decision's first step: the PnL peak, the regime inputs and the
 * regime update into m->dec. md: an md event's decision, whose event set
 * last_md_ns to now_ns (feed age 0, not computed). */
static ALWAYS_INLINE void regime_step(struct mm *m, uint64_t now_ns, bool md)
{
	struct regime_inputs in;
	double pnl, dd;
	uint64_t age;

	pnl = mm_pnl_usd(m);
	if (pnl > m->pnl_peak_usd)
		m->pnl_peak_usd = pnl;
	dd = m->pnl_peak_usd - pnl;
	msg_roll(m, now_ns);
	age = !md && m->last_md_ns && now_ns > m->last_md_ns ? now_ns - m->last_md_ns : 0;
	/*
	 * The quick step (unless cfg.regime_every_step): besides the drawdown
	 * and the feed age (0 at every md event's decision, a timer's or an
	 * execution report's age else) the update's inputs are the position
	 * and a rate within msg_rate_at's bounds, which change only with the
	 * position, the window's counts and the level: prepared once per such
	 * key (m->rq), the no-change test then reads the drawdown and the age
	 * alone and the rate is not computed. Whatever it cannot decide goes
	 * to regime_update, as before.
	 */
	if (!m->cfg.regime_every_step) {
		uint64_t rates, rq_rates; /* both counts of each (mm.h) */

		memcpy(&rates, (const char *)m + offsetof(struct mm, rate_cur), sizeof(rates));
		memcpy(&rq_rates, (const char *)m + offsetof(struct mm, rq_cur), sizeof(rq_rates));
		if (m->rq_pos != m->position || rates != rq_rates ||
		    m->rq.level != m->regime.level) {
			m->rq_pos = m->position;
			m->rq_prev = m->rate_prev;
			m->rq_cur = m->rate_cur;
			m->rq_held_end = 0;
			if (regime_quick_prep(&m->regime, m->position,
					      (double)m->rate_cur / m->rate_ws,
					      ((double)m->rate_prev + (double)m->rate_cur) / m->rate_ws,
					      &m->rq) &&
			    !m->rq.held)
				m->rq_held_end = rate_held_end(m, m->rq.rate_hold);
		}
		if (age == 0 ? regime_quick_update(&m->regime, &m->rq, dd, &m->dec)
			     : regime_quick_update_at(&m->regime, &m->rq, dd, (double)age,
						      &m->dec)) {
			m->n_regime_quick++;
			return;
		}
		/* the rate's lower bound did not hold the level, but the rate
		 * surely does until rq_held_end: the no-change test passes
		 * whatever the drawdown below its enter */
		if (now_ns < m->rq_held_end &&
		    (age == 0 ? regime_quick_update_held(&m->regime, &m->rq, dd, &m->dec)
			      : regime_quick_update_held_at(&m->regime, &m->rq, dd, (double)age,
							    &m->dec))) {
			m->n_regime_quick++;
			m->n_regime_held++;
			return;
		}
	}
	/* the full update's inputs, written here: the quick step above
	 * (most calls) reads none of them from memory */
	in.drawdown_usd = dd;
	in.position = m->position;
	in.feed_age_ns = age;
	in.msg_rate = msg_rate_at(m, now_ns);
	(void)regime_update(&m->regime, now_ns, &in, &m->dec);
}

/* Target and reconcile after regime_step. t_rx is the stamp carried to the
 * intents; force (an execution report or the timer) replans even if nothing
 * moved. */
static ALWAYS_INLINE uint32_t decide_rest(struct mm *m, uint64_t now_ns, uint64_t now_tsc,
					  uint64_t t_rx, bool force, struct order_intent *out,
					  uint32_t max)
{
	struct recon_ctl ctl;
	struct quote_ladder t;
	const struct quote_ladder *tp = &t;
	uint64_t blocked;
	uint32_t n;
	enum tgt_res res;
	unsigned mv;
	bool same_ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.kill = m->dec.level == REGIME_KILL;
	ctl.halted = (m->book_flags & MD_F_HALTED) != 0;
	ctl.stale = !m->have_fair || m->last_md_ns == 0 ||
		    (m->book_flags & (MD_F_STALE | MD_F_CROSSED)) != 0;
	ctl.red = m->dec.level == REGIME_RED;
	ctl.red_allow[QUOTE_BID] = m->dec.allow_bid;
	ctl.red_allow[QUOTE_ASK] = m->dec.allow_ask;
	res = build_target(m, now_ns, ctl.stale | ctl.halted | ctl.kill, &t, &ctl, &mv);
	if (res != TGT_BUILT)
		tp = &m->target;

	/* once: recon_budget below may write memory the compiler cannot
	 * tell from m->ctl, so it would compare again for the moved target */
	same_ctl = same_bytes(&ctl, &m->ctl, sizeof(ctl));
	if (same_ctl &&
	    (res == TGT_SAME || (res == TGT_BUILT && memcmp(&t, &m->target, sizeof(t)) == 0))) {
		if (!m->dirty && !force) {
			m->n_skipped++;
			return 0;
		}
		/*
		 * Same target and controls, and the last plan (not an exec or
		 * timer forcing one) left work deferred or held back. With no
		 * whole message in the budget every candidate would be deferred
		 * again: no intent, no table change, and the plan would leave
		 * dirty set (the deferred or held-back pair is still there: the
		 * table only changes through plans and forced decisions, and a
		 * held-back replace only turns into a deferred one with age).
		 * The refill is path independent, so skipping it changes nothing.
		 */
		if (!force && m->planned && !ctl.kill && recon_budget(&m->recon, now_ns) == 0) {
			m->n_skipped++;
			return 0;
		}
		/*
		 * The last plan found nothing to do, and the table has not
		 * moved since (every recon_on_* clears the promise): the same
		 * target and controls before quiet_until_ns find nothing again.
		 * Skipping that plan leaves everything as it would (no intent,
		 * dirty stays false, the refill is path independent); not
		 * counted as skipped, since the plan's outcome is known.
		 */
		if (!ctl.kill && now_ns <= m->recon.quiet_until_ns)
			return 0;
	}
	/*
	 * The target moved (target_shift) on sides of at most one level, with
	 * the same controls, after a plan that found nothing (recon's
	 * promise): recon_plan_still_quiet decides the plan from those sides
	 * alone, at a few compares. The other sides are the promise's: since
	 * that plan, m->target changed only through plans or this, which is
	 * one (every decide_rest that moves m->target plans). When it finds
	 * nothing, leave what that plan would (below: n = 0, nothing deferred
	 * or held back).
	 */
	if (res == TGT_MOVED && !m->cfg.plan_every_move && same_ctl &&
	    recon_plan_still_quiet(&m->recon, now_ns, &m->target, &ctl, mv)) {
		m->dirty = false;
		m->planned = true;
		m->n_move_quiet++;
		return 0;
	}
	/*
	 * Tried and dropped (paper_run Ir, from 663.46 M): recon_plan not
	 * walking the sides a moved target left as they were while the
	 * promise holds, which it seldom does here (+0.18%: the check and
	 * the extra argument cost more); not calling recon_plan_still_quiet
	 * when a moved side has two or more levels, which it answers false at
	 * once (+0.11%: md_event's code grew more than the call cost).
	 */
	blocked = m->recon.n_blocked;
	n = recon_plan(&m->recon, now_ns, now_tsc, t_rx, tp, &ctl, out, max);
	if (res == TGT_BUILT)
		memcpy(&m->target, &t, sizeof(t)); /* padding too: compared with memcmp */
	m->ctl = ctl;
	/* Replan next time if something was deferred or held back. */
	m->dirty = m->recon.last_deferred > 0 || m->recon.n_blocked != blocked;
	m->planned = true;
	m->rate_cur += n;
	m->n_intents += n;
	return n;
}

static bool same_dec(const struct regime_decision *a, const struct regime_decision *b)
{
	return a->level == b->level && a->reason == b->reason &&
	       a->spread_add_ticks == b->spread_add_ticks &&
	       a->spread_add_bps == b->spread_add_bps && a->size_cap == b->size_cap &&
	       a->allow_bid == b->allow_bid && a->allow_ask == b->allow_ask &&
	       a->cancel_all == b->cancel_all;
}

/* tox_decide_span(&m->tox, now_ns, s, ...) would write nothing and give
 * the verdict the last target was built from (m->td[s]): it returns a memo
 * (the exact one without trade-throughs, else the window's bounded one)
 * and no cooldown expires. Forced inline into timer_still's two calls: out
 * of line (LTO's choice) it cost ~52 Ir a call, call and register moves
 * included (paper_run -0.2% Ir). */
static ALWAYS_INLINE bool tox_side_still(const struct mm *m, int s, uint64_t now_ns)
{
	const struct tox *t = &m->tox;
	const struct tox_side_state *x = &t->side[s];
	const struct tox_span *d = &m->td[s];

	if (x->pulled && now_ns >= x->pulled_until_ns)
		return false;
	if (x->through == 0.0)
		return x->memo_gen == x->gen + 1 && d->mult_lo == x->memo.spread_mult &&
		       d->mult_hi == x->memo.spread_mult && d->size_factor == x->memo.size_factor &&
		       d->pulled == x->memo.pulled;
	return x->span_memo_gen == x->gen + 1 && now_ns >= x->span_from_ns &&
	       now_ns <= x->span_memo_to_ns &&
	       d->mult_lo == x->span_memo.mult_lo && d->mult_hi == x->span_memo.mult_hi &&
	       d->size_factor == x->span_memo.size_factor && d->pulled == x->span_memo.pulled;
}

/*
 * After regime_step in a timer call, with dec0 the decision the last
 * decide_rest used: true when decide_rest(force) would return 0 at recon's
 * promise and change nothing but n_presence. Every decide_rest leaves
 * tkey / target / ctl as its inputs give them; since then, every input but
 * time went through a decision (fair value, book, position: mm_on_md's
 * full path, mm_on_exec), or is checked here: the regime decision, the
 * model coefficients (vol_n), the room the portfolio leaves (other
 * symbols move it), the
 * toxicity verdicts (and no side that needed the exact one: tox_decide
 * recomputes a decaying score at every call). With the same inputs build_target reuses the key,
 * giving the same ctl and target; forced, the plan is skipped while now_ns
 * <= quiet_until_ns (cleared by every recon_on_*).
 */
static bool timer_still(const struct mm *m, const struct regime_decision *dec0,
			uint64_t now_ns)
{
	int64_t room[2];

	if (!(m->tkey_ok && !m->td_exact && !m->ctl.kill && now_ns <= m->recon.quiet_until_ns &&
	      m->vol_n == m->vol.n_returns && same_dec(&m->dec, dec0) &&
	      tox_side_still(m, QUOTE_BID, now_ns) && tox_side_still(m, QUOTE_ASK, now_ns)))
		return false;
	side_room(m, room);
	return room[QUOTE_BID] == m->tkey.room[QUOTE_BID] && room[QUOTE_ASK] == m->tkey.room[QUOTE_ASK];
}

/* Regime, target, reconcile (see decide_rest). dec0 (a timer call, which
 * forces; else NULL): the regime decision before this call, and after the
 * regime step the skip (timer_still). One function for every caller: split
 * in two calls, the event path paid ~25 Ir more. Forced inline, with
 * regime_step and decide_rest: md_event holds its own copy (force false
 * folded, and no frames of their own: their register saves were ~40 Ir a
 * decision; mm_on_md -1.7% Ir on the bundled capture), the forced calls
 * share decide_forced. */
static ALWAYS_INLINE uint32_t decide(struct mm *m, uint64_t now_ns, uint64_t now_tsc,
				     uint64_t t_rx, bool force,
				     const struct regime_decision *dec0, struct order_intent *out,
				     uint32_t max)
{
	regime_step(m, now_ns, !force); /* only md events do not force */
	if (dec0 && !m->cfg.decide_every_timer && timer_still(m, dec0, now_ns)) {
		/* build_target's key reuse, as the full path does it */
		m->n_presence += m->tkey_presence;
		m->n_timer_quiet++;
		return 0;
	}
	return decide_rest(m, now_ns, now_tsc, t_rx, force, out, max);
}

/* decide for mm_on_exec and mm_on_timer: one out-of-line copy for both. */
static NOINLINE uint32_t decide_forced(struct mm *m, uint64_t now_ns, uint64_t now_tsc,
				       uint64_t t_rx, const struct regime_decision *dec0,
				       struct order_intent *out, uint32_t max)
{
	return decide(m, now_ns, now_tsc, t_rx, true, dec0, out, max);
}

/* ---- entry points --------------------------------------------------- */

/* Highest live bid / lowest live ask price we have working (0 = none). */
static int64_t our_best(const struct mm *m, int side)
{
	int64_t best = 0;

	/* active slots only (see mm_resting); ascending, as a full scan */
	for (unsigned a = m->recon.active[side]; a; a &= a - 1) {
		const struct recon_order *o = &m->recon.ord[side][__builtin_ctz(a)];

		if (o->state != RECON_LIVE)
			continue;
		if (best == 0 || (side == QUOTE_BID ? o->px > best : o->px < best))
			best = o->px;
	}
	return best;
}

/* Record a market trade; true when it moved a toxicity input the score
 * reads (the flow imbalance, a trade-through of our level). */
static bool on_trade(struct mm *m, const struct md_event *ev, uint64_t now_ns)
{
	int side = ev->side == 'B' ? QUOTE_BID : QUOTE_ASK; /* resting side hit */
	const struct tox_cfg *tc = &m->tox.cfg;
	bool moved;
	int64_t ours;

	if (ev->side != 'B' && ev->side != 'S')
		return false;
	if (m->have_fair)
		(void)fill_on_trade(&m->fill, side == QUOTE_BID ? FILL_BID : FILL_ASK, ev->px,
				    m->fair_px, now_ns);
	/* A resting bid hit is seller-initiated: negative flow. */
	(void)tox_on_trade(&m->tox, now_ns, side == QUOTE_BID ? -(double)ev->qty : (double)ev->qty);
	moved = tc->w_flow > 0.0;
	ours = our_best(m, side);
	if (ours > 0 && ev->px > 0 &&
	    (side == QUOTE_BID ? (int64_t)ev->px < ours : (int64_t)ev->px > ours)) {
		(void)tox_on_trade_through(&m->tox, now_ns, (enum quote_side)side);
		moved |= tc->w_through > 0.0;
	}
	return moved;
}

static bool markouts_pending(const struct mm *m)
{
	for (uint32_t h = 0; h < m->tox.cfg.n_horizons; h++)
		if (m->tox.ring[h].count)
			return true;
	return false;
}

/* mm_on_md past its quiet book events (see there; its only caller). Not
 * inlined: its register saves and frame then stay off the quiet path, most
 * calls. */
static NOINLINE uint32_t md_event(struct mm *m, const struct md_event *ev, uint64_t now_ns,
				  uint64_t now_tsc, struct order_intent *out, uint32_t max)
{
	uint8_t old_flags = m->book_flags;
	uint32_t bp, ap, bq, aq;
	double f;

	m->n_md++;
	m->last_md_ns = now_ns;
	/* The quiet rule (mm.h): nothing the decision reads changed. For a
	 * book event mm_on_md, the one caller, has found it not quiet (same
	 * state, same test: not made again); MD_STATE always decides. */
	if (ev->kind == MD_TRADE && !on_trade(m, ev, now_ns) && mm_md_unchanged(m, ev)) {
		m->n_quiet++;
		m->n_skipped++;
		return 0;
	}
	m->book_flags = ev->flags;
	/* Fast path: the top did not move, nothing pending. */
	if (ev->kind == MD_BOOK && !(ev->flags & MD_F_TOP) && ev->flags == old_flags &&
	    m->have_fair && !m->dirty && now_ns < m->next_fit_ns && now_ns < m->vol.next_ns &&
	    !markouts_pending(m)) {
		m->n_skipped++;
		return 0;
	}
	/* the top, read once: into m and the fair value (read from ev after
	 * the stores, it was loaded twice: m might alias it) */
	bp = ev->bid_px;
	ap = ev->ask_px;
	bq = ev->bid_qty;
	aq = ev->ask_qty;
	m->bid_px = bp;
	m->ask_px = ap;
	m->bid_qty = bq;
	m->ask_qty = aq;
	m->have_fair = fair_from_top(&m->fair, bp, bq, ap, aq, now_ns, &f) == 0;
	if (m->have_fair) {
		m->fair_px = f;
		if (f >= 1.0 && f < 0x1p52) {
			/* a price (without a lead term every fair value lies
			 * above bid_px >= 1): the range tests of vol_update,
			 * tox_on_fair, quote_llround_pos and build_target's
			 * (fair_usd in (0, DBL_MAX]) hold, made once here */
			m->fair_in = true;
			(void)vol_update_px(&m->vol, now_ns, f);
			(void)tox_on_fair_px(&m->tox, now_ns, f);
			if (m->cfg.pf)
				pf_update_at(m->cfg.pf, m->pf_idx, m->position, quote_llround_in(f));
		} else {
			double u = f / QUOTE_PX_PER_USD; /* as build_target's fair_usd */

			m->fair_in = u > 0.0 && u <= DBL_MAX;
			(void)vol_update(&m->vol, now_ns, f);
			(void)tox_on_fair(&m->tox, now_ns, f);
			if (m->cfg.pf)
				pf_update_at(m->cfg.pf, m->pf_idx, m->position, quote_llround_pos(f));
		}
	}
	if (now_ns >= m->next_fit_ns)
		refit(m, now_ns);
	return decide(m, now_ns, now_tsc, ev->t_rx_tsc, false, NULL, out, max);
}

NOCLONE uint32_t mm_on_md(struct mm *m, const struct md_event *ev, uint64_t now_ns,
			  uint64_t now_tsc, struct order_intent *out, uint32_t max)
{
	if (ev->locate != m->locate) {
		m->n_other_locate++;
		return 0;
	}
	/* The quiet rule (mm.h) for a book event, as md_event has it: a few
	 * compares and counters, without md_event's frame. */
	if (ev->kind == MD_BOOK && mm_md_unchanged(m, ev)) {
		mm_on_md_quiet(m, now_ns);
		return 0;
	}
	return md_event(m, ev, now_ns, now_tsc, out, max);
}

static bool dup_fill(struct mm *m, uint64_t match)
{
	const uint32_t n = sizeof(m->last_match) / sizeof(m->last_match[0]);

	if (match == 0)
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (m->last_match[i] == match)
			return true;
	m->last_match[m->match_head] = match;
	m->match_head = (m->match_head + 1) % n;
	return false;
}

NOCLONE uint32_t mm_on_exec(struct mm *m, const struct exec_report *r, uint64_t now_ns,
			    uint64_t now_tsc, struct order_intent *out, uint32_t max)
{
	int rc = 0;

	if (r->locate != m->locate) {
		m->n_unknown_exec++;
		return 0;
	}
	m->n_exec++;
	switch (r->kind) {
	case EXEC_ACCEPTED:
	case EXEC_REPLACED:
		rc = recon_on_ack(&m->recon, r->token);
		break;
	case EXEC_FILL: {
		int64_t q = r->qty;

		if (dup_fill(m, r->match)) {
			m->n_dup_fills++;
			return 0;
		}
		if (r->side == 'B') {
			m->position += q;
			m->cash_e4 -= q * (int64_t)r->px;
		} else {
			m->position -= q;
			m->cash_e4 += q * (int64_t)r->px;
		}
		m->cash_e4 -= r->fee_e4;
		m->fees_e4 += r->fee_e4;
		m->volume += (uint64_t)q;
		(void)tox_on_fill(&m->tox, now_ns, r->side == 'B' ? QUOTE_BID : QUOTE_ASK,
				  (double)r->px);
		if (m->cfg.pf)
			pf_update_at(m->cfg.pf, m->pf_idx, m->position, 0);
		rc = recon_on_fill(&m->recon, r->token, r->qty);
		break;
	}
	case EXEC_CANCELED:
		rc = recon_on_canceled(&m->recon, r->token);
		break;
	case EXEC_REJECTED:
		rc = recon_on_reject(&m->recon, r->token);
		break;
	default:
		rc = -EINVAL;
		break;
	}
	if (rc)
		m->n_unknown_exec++;
	return decide_forced(m, now_ns, now_tsc, r->t_rx_tsc, NULL, out, max);
}

uint32_t mm_on_timer(struct mm *m, uint64_t now_ns, uint64_t now_tsc, struct order_intent *out,
		     uint32_t max)
{
	struct regime_decision dec0;

	m->n_timer++;
	if (m->have_fair) {
		(void)vol_update(&m->vol, now_ns, m->fair_px);
		(void)tox_on_fair(&m->tox, now_ns, m->fair_px);
	}
	if (now_ns >= m->next_fit_ns)
		refit(m, now_ns);
	dec0 = m->dec;
	/* forced: ages, budget refill, staleness */
	return decide_forced(m, now_ns, now_tsc, now_tsc, &dec0, out, max);
}

void mm_kill(struct mm *m, uint64_t now_ns)
{
	(void)regime_kill(&m->regime, REGIME_REASON_MANUAL, now_ns);
}
