/* test_regime.c - regimes: YELLOW widens and caps, RED quotes only the
 * risk-reducing side, KILL emits one cancel-all and latches its first
 * reason until reset, no flapping between exit and enter, dwell before
 * stepping down, bad configs refused, and determinism. */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "strategy/regime.h"

#define MS 1000000ull

/* Drawdown: Y 100/50, R 200/150, K 500. Position fraction: Y .5/.4,
 * R .8/.7, K 1.0 (limit 100). Msg rate: K 1000. Staleness: Y 1ms/.5ms,
 * K 1s. */
static void mk_cfg(struct regime_cfg *c, uint64_t dwell_ns)
{
	memset(c, 0, sizeof(*c));
	c->band[REGIME_IN_DRAWDOWN][REGIME_YELLOW] = (struct regime_band){ 100, 50 };
	c->band[REGIME_IN_DRAWDOWN][REGIME_RED] = (struct regime_band){ 200, 150 };
	c->band[REGIME_IN_DRAWDOWN][REGIME_KILL] = (struct regime_band){ 500, 0 };
	c->band[REGIME_IN_POSITION][REGIME_YELLOW] = (struct regime_band){ 0.5, 0.4 };
	c->band[REGIME_IN_POSITION][REGIME_RED] = (struct regime_band){ 0.8, 0.7 };
	c->band[REGIME_IN_POSITION][REGIME_KILL] = (struct regime_band){ 1.0, 0 };
	c->band[REGIME_IN_MSG_RATE][REGIME_KILL] = (struct regime_band){ 1000, 0 };
	c->band[REGIME_IN_STALENESS][REGIME_YELLOW] = (struct regime_band){ 1e6, 5e5 };
	c->band[REGIME_IN_STALENESS][REGIME_KILL] = (struct regime_band){ 1e9, 0 };
	c->pos_limit = 100;
	c->min_dwell_ns = dwell_ns;
	c->spread_add_ticks = 2.0;
	c->spread_add_bps = 1.5;
	c->size_cap = 300;
}

static void test_init_checks(void **state)
{
	struct regime r;
	struct regime_cfg c;

	(void)state;
	mk_cfg(&c, 0);
	assert_int_equal(regime_init(&r, &c, 0), 0);
	assert_int_equal(r.level, REGIME_GREEN);
	assert_int_equal(regime_init(NULL, &c, 0), -EINVAL);
	c.band[REGIME_IN_DRAWDOWN][REGIME_YELLOW].exit = 100; /* exit == enter */
	assert_int_equal(regime_init(&r, &c, 0), -EINVAL);
	mk_cfg(&c, 0);
	c.band[REGIME_IN_DRAWDOWN][REGIME_RED].enter = 90; /* below yellow */
	assert_int_equal(regime_init(&r, &c, 0), -EINVAL);
	mk_cfg(&c, 0);
	c.pos_limit = 0;
	assert_int_equal(regime_init(&r, &c, 0), -EINVAL);
	mk_cfg(&c, 0);
	c.size_cap = 0;
	assert_int_equal(regime_init(&r, &c, 0), -EINVAL);
	mk_cfg(&c, 0);
	c.spread_add_bps = NAN;
	assert_int_equal(regime_init(&r, &c, 0), -EINVAL);
	regime_fini(NULL);
}

/* Table: one update from GREEN, expected decision. */
struct level_case {
	const char *name;
	struct regime_inputs in;
	enum regime_level level;
	int allow_bid, allow_ask;
	uint32_t size_cap;
	double add_ticks;
};

static void test_levels_table(void **state)
{
	static const struct level_case cases[] = {
		{ "calm", { 0, 10, 5, 0 }, REGIME_GREEN, 1, 1, UINT32_MAX, 0 },
		{ "dd yellow", { 120, 0, 0, 0 }, REGIME_YELLOW, 1, 1, 300, 2 },
		{ "stale yellow", { 0, 0, 0, 2 * MS }, REGIME_YELLOW, 1, 1, 300, 2 },
		{ "pos yellow short", { 0, -60, 0, 0 }, REGIME_YELLOW, 1, 1, 300, 2 },
		{ "red long: only asks", { 0, 85, 0, 0 }, REGIME_RED, 0, 1, 300, 2 },
		{ "red short: only bids", { 0, -85, 0, 0 }, REGIME_RED, 1, 0, 300, 2 },
		{ "red flat dd: re-entry", { 250, 0, 0, 0 }, REGIME_RED, 1, 1, 300, 2 },
		{ "kill loss", { 600, 0, 0, 0 }, REGIME_KILL, 0, 0, 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct level_case *k = &cases[i];
		struct regime r;
		struct regime_cfg c;
		struct regime_decision d;

		mk_cfg(&c, 0);
		assert_int_equal(regime_init(&r, &c, 0), 0);
		print_message("case %s\n", k->name);
		assert_int_equal(regime_update(&r, 1, &k->in, &d), k->level);
		assert_int_equal(d.level, k->level);
		assert_int_equal(d.allow_bid, k->allow_bid);
		assert_int_equal(d.allow_ask, k->allow_ask);
		assert_int_equal(d.size_cap, k->size_cap);
		assert_true(fabs(d.spread_add_ticks - k->add_ticks) < 1e-12);
		if (k->level == REGIME_YELLOW || k->level == REGIME_RED)
			assert_true(fabs(d.spread_add_bps - 1.5) < 1e-12);
		else
			assert_true(d.spread_add_bps == 0.0);
		assert_int_equal(d.cancel_all, k->level == REGIME_KILL);
	}
}

/* A drawdown RED at a flat position re-enters the book on both sides at
 * YELLOW's widening and cap; a position brings back the one-sided rule, and
 * another input holding RED (here feed staleness) blocks the re-entry. */
static void test_red_flat_reentry(void **state)
{
	struct regime r;
	struct regime_cfg c;
	struct regime_decision d;
	struct regime_inputs in = { 250, 0, 0, 0 };
	uint64_t t = 1;

	(void)state;
	mk_cfg(&c, 0);
	c.band[REGIME_IN_STALENESS][REGIME_RED] = (struct regime_band){ 5e6, 2e6 };
	assert_int_equal(regime_init(&r, &c, 0), 0);
	assert_int_equal(regime_update(&r, t++, &in, &d), REGIME_RED);
	assert_true(d.allow_bid && d.allow_ask);
	assert_int_equal(d.size_cap, 300);
	assert_true(fabs(d.spread_add_ticks - 2.0) < 1e-12);
	in.position = 10; /* bought: only the ask reduces it */
	assert_int_equal(regime_update(&r, t++, &in, &d), REGIME_RED);
	assert_true(!d.allow_bid && d.allow_ask);
	in.position = -10;
	assert_int_equal(regime_update(&r, t++, &in, &d), REGIME_RED);
	assert_true(d.allow_bid && !d.allow_ask);
	in.position = 0;
	in.feed_age_ns = 6 * MS; /* stale too: no re-entry */
	assert_int_equal(regime_update(&r, t++, &in, &d), REGIME_RED);
	assert_true(!d.allow_bid && !d.allow_ask);
	in.feed_age_ns = 3 * MS; /* above its exit: still held */
	assert_int_equal(regime_update(&r, t++, &in, &d), REGIME_RED);
	assert_true(!d.allow_bid && !d.allow_ask);
	in.feed_age_ns = 0; /* fresh again: drawdown alone holds RED */
	assert_int_equal(regime_update(&r, t++, &in, &d), REGIME_RED);
	assert_true(d.allow_bid && d.allow_ask);
	in.drawdown_usd = 600; /* losses still reach KILL */
	assert_int_equal(regime_update(&r, t++, &in, &d), REGIME_KILL);
	assert_true(!d.allow_bid && !d.allow_ask);
}

static void test_kill_latches_first_reason(void **state)
{
	struct regime r;
	struct regime_cfg c;
	struct regime_decision d;
	struct regime_inputs in = { 0, 0, 0, 0 };
	int i, n_cancel = 0;

	(void)state;
	mk_cfg(&c, 0);
	assert_int_equal(regime_init(&r, &c, 0), 0);
	in.msg_rate = 2000; /* first trigger: message rate */
	assert_int_equal(regime_update(&r, 10, &in, &d), REGIME_KILL);
	n_cancel += d.cancel_all;
	assert_int_equal(d.reason, REGIME_REASON_MSG_RATE);
	/* Other triggers follow, then everything calms: still latched. */
	in.drawdown_usd = 1000;
	in.position = 500;
	in.feed_age_ns = 5000 * MS;
	for (i = 0; i < 5; i++) {
		assert_int_equal(regime_update(&r, 20 + (uint64_t)i, &in, &d), REGIME_KILL);
		n_cancel += d.cancel_all;
	}
	assert_int_equal(regime_kill(&r, REGIME_REASON_MANUAL, 30), 0);
	memset(&in, 0, sizeof(in));
	assert_int_equal(regime_update(&r, 40, &in, &d), REGIME_KILL);
	n_cancel += d.cancel_all;
	assert_int_equal(n_cancel, 1);
	assert_int_equal(d.reason, REGIME_REASON_MSG_RATE);
	assert_false(d.allow_bid);
	assert_false(d.allow_ask);
	assert_int_equal(r.n_kills, 1);

	/* Reset clears; calm inputs stay GREEN. */
	regime_reset(&r, 50);
	assert_int_equal(regime_update(&r, 60, &in, &d), REGIME_GREEN);
	assert_int_equal(d.reason, REGIME_REASON_NONE);
	assert_false(d.cancel_all);
	assert_true(d.allow_bid && d.allow_ask);

	/* Manual kill: one cancel-all on the next update, reason manual. */
	assert_int_equal(regime_kill(&r, REGIME_REASON_MANUAL, 70), 0);
	in.drawdown_usd = 900; /* later loss trigger does not replace it */
	assert_int_equal(regime_update(&r, 80, &in, &d), REGIME_KILL);
	assert_true(d.cancel_all);
	assert_int_equal(d.reason, REGIME_REASON_MANUAL);
	assert_int_equal(regime_update(&r, 90, &in, &d), REGIME_KILL);
	assert_false(d.cancel_all);
	assert_int_equal(regime_kill(&r, REGIME_REASON_NONE, 95), -EINVAL);
	assert_int_equal(regime_kill(&r, (enum regime_reason)99, 95), -EINVAL);

	/* Reset with a kill trigger still present re-kills, one new cancel. */
	regime_reset(&r, 100);
	assert_int_equal(regime_update(&r, 110, &in, &d), REGIME_KILL);
	assert_true(d.cancel_all);
	assert_int_equal(d.reason, REGIME_REASON_LOSS);
	assert_string_equal(regime_reason_name(d.reason), "loss");
	assert_string_equal(regime_level_name(d.level), "kill");
}

static void test_same_tick_priority_and_nan(void **state)
{
	struct regime r;
	struct regime_cfg c;
	struct regime_decision d;
	struct regime_inputs in = { 0, 200, 5000, 0 }; /* position and msg rate */

	(void)state;
	mk_cfg(&c, 0);
	assert_int_equal(regime_init(&r, &c, 0), 0);
	assert_int_equal(regime_update(&r, 1, &in, &d), REGIME_KILL);
	assert_int_equal(d.reason, REGIME_REASON_POSITION);

	assert_int_equal(regime_init(&r, &c, 0), 0);
	in = (struct regime_inputs){ NAN, 0, 0, 0 }; /* fail safe */
	assert_int_equal(regime_update(&r, 1, &in, &d), REGIME_KILL);
	assert_int_equal(d.reason, REGIME_REASON_LOSS);
	assert_int_equal(r.n_bad_input, 1);
}

static void test_no_flapping(void **state)
{
	struct regime r;
	struct regime_cfg c;
	struct regime_decision d;
	struct regime_inputs in = { 0, 0, 0, 0 };
	uint64_t t = 0;
	int i;

	(void)state;
	mk_cfg(&c, 0);
	assert_int_equal(regime_init(&r, &c, 0), 0);
	/* Below enter, oscillating up to just under enter: stays GREEN. */
	for (i = 0; i < 100; i++) {
		in.drawdown_usd = (i & 1) ? 99.9 : 50.1;
		assert_int_equal(regime_update(&r, ++t, &in, &d), REGIME_GREEN);
	}
	in.drawdown_usd = 100;
	assert_int_equal(regime_update(&r, ++t, &in, &d), REGIME_YELLOW);
	/* Oscillating between exit (50) and enter (100): stays YELLOW. */
	for (i = 0; i < 100; i++) {
		in.drawdown_usd = (i & 1) ? 99.9 : 50.1;
		assert_int_equal(regime_update(&r, ++t, &in, &d), REGIME_YELLOW);
	}
	assert_int_equal(r.n_transitions, 1);
	in.drawdown_usd = 50; /* at exit: steps down */
	assert_int_equal(regime_update(&r, ++t, &in, &d), REGIME_GREEN);

	/* RED held between its exit and enter, then down to YELLOW (held by
	 * yellow's exit), not straight to GREEN. */
	in.drawdown_usd = 210;
	assert_int_equal(regime_update(&r, ++t, &in, &d), REGIME_RED);
	for (i = 0; i < 50; i++) {
		in.drawdown_usd = (i & 1) ? 199 : 151;
		assert_int_equal(regime_update(&r, ++t, &in, &d), REGIME_RED);
	}
	in.drawdown_usd = 120;
	assert_int_equal(regime_update(&r, ++t, &in, &d), REGIME_YELLOW);
	in.drawdown_usd = 10;
	assert_int_equal(regime_update(&r, ++t, &in, &d), REGIME_GREEN);
}

static void test_dwell(void **state)
{
	struct regime r;
	struct regime_cfg c;
	struct regime_decision d;
	struct regime_inputs in = { 150, 0, 0, 0 };

	(void)state;
	mk_cfg(&c, 10 * MS);
	assert_int_equal(regime_init(&r, &c, 0), 0);
	assert_int_equal(regime_update(&r, 1000, &in, &d), REGIME_YELLOW);
	in.drawdown_usd = 0;
	assert_int_equal(regime_update(&r, 1000 + 10 * MS - 1, &in, &d), REGIME_YELLOW);
	assert_int_equal(regime_update(&r, 1000 + 10 * MS, &in, &d), REGIME_GREEN);
	/* Stepping up ignores the dwell. */
	in.drawdown_usd = 300;
	assert_int_equal(regime_update(&r, 1000 + 10 * MS + 1, &in, &d), REGIME_RED);
}

static void run_seq(struct regime_decision *out, size_t n)
{
	struct regime r;
	struct regime_cfg c;
	size_t i;

	mk_cfg(&c, 3);
	assert_int_equal(regime_init(&r, &c, 0), 0);
	for (i = 0; i < n; i++) {
		struct regime_inputs in = {
			(double)((i * 37) % 260), (int64_t)((i * 13) % 90) - 45,
			(double)((i * 7) % 900), (uint64_t)((i * 101) % 3) * MS
		};

		if (i == n - 3)
			in.drawdown_usd = 700;
		regime_update(&r, i, &in, &out[i]);
	}
}

static void test_determinism(void **state)
{
	struct regime_decision a[200], b[200];
	size_t i;

	(void)state;
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	run_seq(a, 200);
	run_seq(b, 200);
	for (i = 0; i < 200; i++) {
		assert_int_equal(a[i].level, b[i].level);
		assert_int_equal(a[i].reason, b[i].reason);
		assert_int_equal(a[i].allow_bid, b[i].allow_bid);
		assert_int_equal(a[i].allow_ask, b[i].allow_ask);
		assert_int_equal(a[i].cancel_all, b[i].cancel_all);
		assert_int_equal(a[i].size_cap, b[i].size_cap);
	}
	assert_int_equal(a[199].level, REGIME_KILL);
}

/* The rule of regime.h as a plain scan of every band, the reference for
 * regime_update's shortcut: level, reason, red_other, counters. */
struct ref {
	int level, reason;
	uint64_t entered_ns, n_transitions, n_bad;
	bool red_other;
};

static void ref_update(struct ref *x, const struct regime_cfg *c, uint64_t now,
		       const struct regime_inputs *in)
{
	static const int why[REGIME_N_INPUTS] = { 1, 2, 3, 4 };
	double m[REGIME_N_INPUTS];
	int up = 0, hold = 0, kill_why = 0;

	if (x->level == REGIME_KILL)
		return;
	m[0] = in->drawdown_usd;
	m[1] = fabs((double)in->position) / (double)c->pos_limit;
	m[2] = in->msg_rate;
	m[3] = (double)in->feed_age_ns;
	x->red_other = false;
	for (int i = 0; i < REGIME_N_INPUTS; i++) {
		if (!isfinite(m[i]))
			x->n_bad++;
		if (isnan(m[i]))
			m[i] = INFINITY;
		for (int l = REGIME_YELLOW; l <= REGIME_KILL; l++) {
			const struct regime_band *b = &c->band[i][l];

			if (!(b->enter > 0.0))
				continue;
			if (m[i] >= b->enter && l > up)
				up = l;
			if (l == REGIME_KILL && m[i] >= b->enter && !kill_why)
				kill_why = why[i];
			if (l < REGIME_KILL && l <= x->level && m[i] > b->exit && l > hold)
				hold = l;
			if (l == REGIME_RED && i != 0 && (m[i] > b->exit || m[i] >= b->enter))
				x->red_other = true;
		}
	}
	if (up == REGIME_KILL) {
		x->level = REGIME_KILL;
		x->reason = kill_why;
		x->n_transitions++;
	} else if (up > x->level) {
		x->level = up;
		x->entered_ns = now;
		x->n_transitions++;
	} else if (hold < x->level && now - x->entered_ns >= c->min_dwell_ns) {
		x->level = hold;
		x->entered_ns = now;
		x->n_transitions++;
	}
}

static uint64_t rs_r = 0x853c49e6748fea9bull;
static uint64_t rnd_r(void)
{
	rs_r ^= rs_r << 13;
	rs_r ^= rs_r >> 7;
	rs_r ^= rs_r << 17;
	return rs_r;
}

/* A value near one of the thresholds (either side, or on it). */
static double near(double a, double b, uint64_t r)
{
	double base = (r & 1) ? a : b, eps[5] = { -0.01, 0.0, 0.01, -0.5, 0.5 };

	return base * (1.0 + eps[(r >> 1) % 5]);
}

/* near, rarely NaN or infinite (for the double inputs). */
static double near_bad(double a, double b, uint64_t r)
{
	if (r % 997 == 0)
		return (r >> 10) & 1 ? NAN : INFINITY;
	return near(a, b, r);
}

/* The inline update (its shortcut or the scan) left r and *d exactly as
 * regime_update_full left r2 and *d2 from the same state. */
static void same_as_full(const struct regime *r, const struct regime *r2,
			 const struct regime_decision *d, const struct regime_decision *d2)
{
	assert_int_equal(r->level, r2->level);
	assert_int_equal(r->reason, r2->reason);
	assert_true(r->entered_ns == r2->entered_ns);
	assert_int_equal(r->cancel_pending, r2->cancel_pending);
	assert_int_equal(r->red_other, r2->red_other);
	assert_true(r->n_transitions == r2->n_transitions && r->n_kills == r2->n_kills &&
		    r->n_bad_input == r2->n_bad_input);
	assert_int_equal(d->level, d2->level);
	assert_int_equal(d->reason, d2->reason);
	assert_memory_equal(&d->spread_add_ticks, &d2->spread_add_ticks, sizeof(double));
	assert_memory_equal(&d->spread_add_bps, &d2->spread_add_bps, sizeof(double));
	assert_int_equal(d->size_cap, d2->size_cap);
	assert_int_equal(d->allow_bid, d2->allow_bid);
	assert_int_equal(d->allow_ask, d2->allow_ask);
	assert_int_equal(d->cancel_all, d2->cancel_all);
}

/* Random inputs hovering around every band, several configurations
 * (dwell on and off, RED bands of position and staleness, bands off):
 * regime_update equals the reference after every update, and the inline
 * update equals the full scan from the same state, decision included. */
static void test_matches_full_scan(void **state)
{
	(void)state;
	for (int k = 0; k < 6; k++) {
		struct regime_cfg c;
		struct regime r;
		struct regime r2;
		struct regime_decision d, d2;
		struct ref x = { 0 };
		uint64_t t = 0;

		mk_cfg(&c, k & 1 ? 5 * MS : 0);
		if (k >= 2)
			c.band[REGIME_IN_STALENESS][REGIME_RED] = (struct regime_band){ 1e7, 5e6 };
		if (k >= 4)
			c.band[REGIME_IN_DRAWDOWN][REGIME_RED] = (struct regime_band){ 0, 0 };
		assert_int_equal(regime_init(&r, &c, 0), 0);
		for (int i = 0; i < 200000; i++) {
			struct regime_inputs in;
			uint64_t u = rnd_r();

			t += MS * (u % 4);
			in.drawdown_usd = near_bad(100, 150, u >> 3) * ((u >> 40) % 8 == 0);
			in.position = (int64_t)(near(50, 70, u >> 9) * ((u >> 43) & 1 ? 1 : -1)) *
				      ((u >> 44) % 4 != 0);
			if (in.position > 99 || in.position < -99)
				in.position = 0; /* keep the kill rare */
			in.msg_rate = (u >> 47) % 5000 == 0 ? 1000 : near_bad(500, 10, u >> 20);
			in.feed_age_ns = (uint64_t)((u >> 52) % 3 ? 0 : near(1e6, 6e6, u >> 30));
			if ((u >> 58) % 50 == 0) {
				regime_reset(&r, t);
				x.level = 0;
				x.reason = 0;
				x.entered_ns = t;
			}
			r2 = r;
			(void)regime_update(&r, t, &in, &d);
			(void)regime_update_full(&r2, t, &in, &d2);
			same_as_full(&r, &r2, &d, &d2);
			ref_update(&x, &c, t, &in);
			assert_int_equal(r.level, x.level);
			assert_int_equal(d.level, x.level);
			if (x.level == REGIME_KILL)
				assert_int_equal(r.reason, x.reason);
			else
				assert_int_equal(r.red_other, x.red_other);
			assert_int_equal(r.n_transitions, x.n_transitions);
			assert_int_equal(r.n_bad_input, x.n_bad);
		}
		/* every level was visited */
		assert_true(r.n_transitions > 100);
	}
}

/* A rate range around x for regime_quick_prep: exact, or widened on
 * either side by up to a half (so it often straddles a threshold). */
static void rate_range(double x, uint64_t u, double *lo, double *hi)
{
	static const double w[4] = { 0.0, 0.001, 0.1, 0.5 };

	*lo = x * (1.0 - w[u % 4]);
	*hi = x * (1.0 + w[(u >> 2) % 4]);
	if (!(x >= 0.0) || isinf(x))
		*lo = *hi = x;
}

/*
 * regime_quick_prep / regime_quick_update (_at) against regime_update from the
 * same state: random inputs around every band (message-rate YELLOW and
 * RED bands on, so the rate range straddles the exits red_other and the
 * hold read), feed ages 0 and, one call in eight, around the staleness
 * bands (YELLOW, and RED in half the runs: ages that enter a level, hold
 * it or set red_other), rate ranges that contain the rate; whenever the
 * quick update answers, the state and the decision (bytes) equal the full
 * update's. It answers often, at every level below KILL and at ages above
 * 0, and declines ranges that leave red_other open. Where it declines and
 * the rate is above the level's rate exit (q.rate_hold), the held variant
 * (regime_quick_update_held (_at)) is checked the same way.
 */
static void test_quick_matches_update(void **state)
{
	uint64_t quick = 0, quick_aged = 0, calls = 0, per_level[REGIME_N_LEVELS] = { 0 };
	uint64_t held = 0;

	(void)state;
	for (int k = 0; k < 4; k++) {
		struct regime_cfg c;
		struct regime r;
		uint64_t t = 0;

		mk_cfg(&c, k & 1 ? 5 * MS : 0);
		c.band[REGIME_IN_MSG_RATE][REGIME_YELLOW] = (struct regime_band){ 200, 100 };
		c.band[REGIME_IN_MSG_RATE][REGIME_RED] = (struct regime_band){ 400, 300 };
		if (k >= 2)
			c.band[REGIME_IN_STALENESS][REGIME_RED] = (struct regime_band){ 1e7, 5e6 };
		assert_int_equal(regime_init(&r, &c, 0), 0);
		for (int i = 0; i < 200000; i++) {
			struct regime_inputs in;
			struct regime_quick q;
			struct regime r2, r3;
			struct regime_decision d2, d3;
			uint64_t u = rnd_r();
			double lo, hi;

			t += MS * (u % 4);
			in.drawdown_usd = near_bad(100, 150, u >> 3) * ((u >> 40) % 8 == 0);
			in.position = (int64_t)(near(50, 70, u >> 9) * ((u >> 43) & 1 ? 1 : -1)) *
				      ((u >> 44) % 4 != 0);
			if (in.position > 99 || in.position < -99)
				in.position = 0;
			/* most calls well inside the bands, the rest near them */
			in.msg_rate = (u >> 56) % 4 ? near_bad(20, 60, u >> 20)
						    : near_bad(300, (u >> 60) & 1 ? 100 : 400, u >> 20);
			if ((u >> 61) % 2)
				in.position /= 4;
			in.feed_age_ns = (u >> 52) % 8 ? 0 : (uint64_t)near(1e6, 6e6, u >> 30);
			rate_range(in.msg_rate, u >> 24, &lo, &hi);
			if ((u >> 58) % 50 == 0)
				regime_reset(&r, t); /* out of a latched KILL */
			r2 = r3 = r;
			(void)regime_update(&r2, t, &in, &d2);
			calls++;
			(void)regime_quick_prep(&r3, in.position, lo, hi, &q);
			if (in.feed_age_ns == 0
				    ? regime_quick_update(&r3, &q, in.drawdown_usd, &d3)
				    : regime_quick_update_at(&r3, &q, in.drawdown_usd,
							     (double)in.feed_age_ns, &d3)) {
				quick++;
				quick_aged += in.feed_age_ns > 0;
				per_level[r3.level]++;
				same_as_full(&r3, &r2, &d3, &d2);
				assert_memory_equal(&r3, &r2, sizeof(r3));
			} else {
				assert_memory_equal(&r3, &r, sizeof(r3));
				/* the rate itself above the level's rate exit:
				 * the held variant, when it answers, is the full
				 * update too */
				if (in.msg_rate > q.rate_hold &&
				    (in.feed_age_ns == 0
					     ? regime_quick_update_held(&r3, &q, in.drawdown_usd, &d3)
					     : regime_quick_update_held_at(&r3, &q, in.drawdown_usd,
									   (double)in.feed_age_ns,
									   &d3))) {
					held++;
					same_as_full(&r3, &r2, &d3, &d2);
					assert_memory_equal(&r3, &r2, sizeof(r3));
				} else {
					assert_memory_equal(&r3, &r, sizeof(r3));
				}
			}
			r = r2;
		}
	}
	print_message("quick updates %" PRIu64 " of %" PRIu64 " (green %" PRIu64
		      ", yellow %" PRIu64 ", red %" PRIu64 "; feed age > 0 %" PRIu64
		      "; held by the rate %" PRIu64 ")\n",
		      quick, calls, per_level[REGIME_GREEN], per_level[REGIME_YELLOW],
		      per_level[REGIME_RED], quick_aged, held);
	assert_true(quick > calls / 4 && calls > quick + 10000);
	assert_true(held > 1000);
	assert_true(quick_aged > 1000);
	assert_true(per_level[REGIME_GREEN] > 1000 && per_level[REGIME_YELLOW] > 1000 &&
		    per_level[REGIME_RED] > 1000);
}

/* regime_quick_dd_lo: the one compare dd >= dd_lo & dd < dd_up that
 * regime_quick_update makes against the terms it stands for (the
 * expression it had before): ok & (dd >= -DBL_MAX) & dd < dd_up & (held |
 * dd > dd_hold), for every ok / held, bands dd_hold and dd_up from the
 * ends of the double range (NaN, infinities, signed zeros, subnormals,
 * DBL_MAX) and random ones, and drawdowns at, next to and between them. */
static void test_quick_dd_lo(void **state)
{
	static const double edge[] = { NAN, INFINITY, -INFINITY, 0.0, -0.0, DBL_MAX, -DBL_MAX,
				       DBL_MIN, -DBL_MIN, 0x1p-1074, -0x1p-1074, 1.0, -1.0,
				       50.0, 100.0, 150.0, 1e300, -1e300 };
	const size_t ne = sizeof(edge) / sizeof(edge[0]);
	uint64_t rs = 0x9e3779b97f4a7c15ull, n = 0, pass = 0;

	(void)state;
	for (uint32_t it = 0; it < 4000; it++) {
		double hold, up, lo, dd[64];
		size_t nd = 0;
		bool ok = it & 1, held = (it >> 1) & 1;

		rs ^= rs << 13;
		rs ^= rs >> 7;
		rs ^= rs << 17;
		hold = it < 4 * ne ? edge[(it / 4) % ne] : (double)(int64_t)(rs % 2001) - 1000.0;
		up = (it / 4) % 3 == 0 ? edge[(rs >> 20) % ne]
				       : hold + (double)((rs >> 32) % 300);
		for (size_t i = 0; i < ne; i++)
			dd[nd++] = edge[i];
		for (int k = 0; k < 2; k++) {
			double x = k == 0 ? hold : up;

			dd[nd++] = x;
			dd[nd++] = nextafter(x, INFINITY);
			dd[nd++] = nextafter(x, -INFINITY);
		}
		dd[nd++] = 0.5 * (hold + up);
		dd[nd++] = (double)(int64_t)((rs >> 8) % 4001) - 2000.0;
		lo = regime_quick_dd_lo(ok, held, hold);
		for (size_t i = 0; i < nd; i++) {
			bool old = ok & (dd[i] >= -DBL_MAX) & (dd[i] < up) & (held | (dd[i] > hold));
			bool now = (dd[i] >= lo) & (dd[i] < up);

			assert_int_equal(now, old);
			n++;
			pass += old;
		}
	}
	/* both outcomes, many times */
	assert_true(pass > 10000 && n > pass + 10000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_checks),
		cmocka_unit_test(test_levels_table),
		cmocka_unit_test(test_red_flat_reentry),
		cmocka_unit_test(test_kill_latches_first_reason),
		cmocka_unit_test(test_same_tick_priority_and_nan),
		cmocka_unit_test(test_no_flapping),
		cmocka_unit_test(test_dwell),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_matches_full_scan),
		cmocka_unit_test(test_quick_matches_update),
		cmocka_unit_test(test_quick_dd_lo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
