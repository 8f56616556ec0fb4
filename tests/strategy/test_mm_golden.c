/* test_mm_golden.c - equality of strategy/mm.c's decisions with recorded
 * references: long seeded streams of book, trade, halt, stale, crossed and
 * one-sided events, venue acks / rejects / fills / duplicate fills delivered
 * with latency, the 10 ms timer, feed gaps and a manual kill, over six
 * configurations (GLFT, AS, ladders, regimes, portfolio). Every intent and
 * the regime after every call are folded into one FNV-1a digest per
 * segment. With cfg.decide_every_event the digests are the ones recorded
 * from the implementation before any per-event fast path; the default (the
 * quiet-event rule) has its own, recorded once test_quiet_rule below proved
 * the rule: a quiet event changes nothing but the staleness clock, and
 * every other event decides exactly as the full path would from the same
 * state. After every call, the target ladder is checked byte for byte
 * against a fresh build from the key it was built from (check_target),
 * also near the ends of the price range (test_target_edges); and every
 * call against the same call with plan_every_move (test_move_plan),
 * with regime_every_step (test_regime_quick) and with
 * offsets_every_decision (test_offsets_memo). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "strategy/mm.h"

#define MS 1000000ull
#define US 1000ull
#define T0 (36000ull * 1000 * MS) /* 10:00, ns */
#define LOC 7
#define BASE 1000
#define MAXI 64
#define QCAP 8192
#define N_EVENTS 40000

static struct mm M; /* large: static storage */
static struct pf PF;

/* test_quiet_rule: every md event also runs on a copy with
 * decide_every_event (the full path) and the outcomes are compared. */
static struct mm M_pre, M_full, M_quiet;
static struct pf PF_pre, PF_full;
static bool g_every; /* run the segments with decide_every_event */
static bool g_check; /* compare every md event with the full path */
struct qstats {
	uint64_t quiet, decided, quiet_trades, no_intent;
	uint64_t full_extra;   /* quiet events where the full path emitted intents */
	uint64_t extra_dirty;  /* ... with deferred or held-back work pending */
	uint64_t extra_regime; /* ... the regime stepped (rate, staleness, dwell) */
	uint64_t extra_other;  /* ... toxicity decay / cooldown, age, vol, refit */
};
static struct qstats QS;
static bool g_tcheck; /* compare every timer call with the full path */
/* test_move_plan: every call also runs on a copy with plan_every_move */
static bool g_mcheck;
static uint64_t MS_quiet, MS_calls; /* moved targets planned quietly; calls */

/* test_regime_quick: every call also runs on a copy with
 * regime_every_step */
static bool g_rcheck;
static uint64_t RQ_quick, RQ_calls; /* calls the quick regime step decided; calls */
static uint64_t RQ_held; /* of the quick ones, those the message rate held (rq_held_end) */
static uint64_t RQ_level[REGIME_N_LEVELS]; /* quick steps per level */

/* test_offsets_memo: every call also runs on a copy with
 * offsets_every_decision */
static bool g_ocheck;
static uint64_t OM_memo, OM_calls; /* decisions that reused the offsets; calls */

enum mcall { MC_MD, MC_EXEC, MC_TIMER };

/* After a call on M and on M_full, a copy of M's state from before the
 * call with offsets_every_decision (build_target computes the offsets at
 * every decision): the same state exactly but for the flag and the
 * counter (the offsets themselves included: both paths leave the current
 * ones in m->off_*) after every call that reused them, and every 16th of
 * the others. */
static void ocheck(uint64_t o0)
{
	OM_calls++;
	OM_memo += M.n_off_memo - o0;
	if (M.n_off_memo != o0 || OM_calls % 16 == 0) {
		M_full.cfg.offsets_every_decision = false;
		M_full.n_off_memo = M.n_off_memo;
		M_full.off_ok = M.off_ok;
		assert_memory_equal(&M, &M_full, sizeof(M));
	}
}

/* After a call on M and on M_full, a copy of M's state from before the
 * call with regime_every_step (regime_update at every step): the same
 * regime state and decision after every call, the same state exactly but
 * for the flag, the quick step's memo and counters every 16th call and
 * after every step the message rate held (rq_held_end). */
static void rcheck(uint64_t q0, uint64_t h0)
{
	RQ_calls++;
	RQ_quick += M.n_regime_quick - q0;
	RQ_held += M.n_regime_held - h0;
	RQ_level[M.regime.level] += M.n_regime_quick - q0;
	assert_memory_equal(&M.regime, &M_full.regime, sizeof(M.regime));
	assert_memory_equal(&M.dec, &M_full.dec, sizeof(M.dec));
	if (RQ_calls % 16 == 0 || M.n_regime_held != h0) {
		M_full.cfg.regime_every_step = false;
		M_full.n_regime_quick = M.n_regime_quick;
		M_full.n_regime_held = M.n_regime_held;
		M_full.rq_held_end = M.rq_held_end;
		M_full.rq_pos = M.rq_pos;
		M_full.rq_prev = M.rq_prev;
		M_full.rq_cur = M.rq_cur;
		M_full.rq = M.rq;
		assert_memory_equal(&M, &M_full, sizeof(M));
	}
}

/* One call on M (the default) and on a copy of M's state with
 * plan_every_move (every moved target goes to recon_plan): the same
 * intents, the same portfolio (which an md event writes: saved and
 * restored around the copy's call), and the same state exactly but for the
 * flag and the counter: checked after every call that took the other way
 * (recon_plan_still_quiet) and every 8th of the others (they run the same
 * code, recon_plan_still_quiet saying no changes nothing: test_recon), to
 * keep the test quick. */
static uint32_t mcall(enum mcall k, const void *x, uint64_t t, struct order_intent *o)
{
	struct order_intent of[MAXI];
	uint64_t q0 = M.n_move_quiet, r0 = M.n_regime_quick, o0 = M.n_off_memo;
	uint64_t h0 = M.n_regime_held;
	uint32_t n, nf = 0;

	if (g_mcheck || g_rcheck || g_ocheck) {
		memcpy(&M_full, &M, sizeof(M));
		if (g_mcheck)
			M_full.cfg.plan_every_move = true;
		else if (g_rcheck)
			M_full.cfg.regime_every_step = true;
		else
			M_full.cfg.offsets_every_decision = true;
		PF_pre = PF;
		if (k == MC_MD)
			nf = mm_on_md(&M_full, x, t, t / 5, of, MAXI);
		else if (k == MC_EXEC)
			nf = mm_on_exec(&M_full, x, t, t / 5, of, MAXI);
		else
			nf = mm_on_timer(&M_full, t, t / 5, of, MAXI);
		PF_full = PF;
		PF = PF_pre;
	}
	if (k == MC_MD)
		n = mm_on_md(&M, x, t, t / 5, o, MAXI);
	else if (k == MC_EXEC)
		n = mm_on_exec(&M, x, t, t / 5, o, MAXI);
	else
		n = mm_on_timer(&M, t, t / 5, o, MAXI);
	if (g_rcheck || g_ocheck) {
		assert_int_equal(n, nf);
		assert_memory_equal(o, of, n * sizeof(*o));
		assert_memory_equal(&PF, &PF_full, sizeof(PF));
		if (g_rcheck)
			rcheck(r0, h0);
		else
			ocheck(o0);
	}
	if (g_mcheck) {
		MS_calls++;
		MS_quiet += M.n_move_quiet - q0;
		assert_int_equal(n, nf);
		assert_memory_equal(o, of, n * sizeof(*o));
		assert_memory_equal(&PF, &PF_full, sizeof(PF));
		if (M.n_move_quiet != q0 || MS_calls % 8 == 0) {
			M_full.cfg.plan_every_move = false;
			M_full.n_move_quiet = M.n_move_quiet;
			assert_memory_equal(&M, &M_full, sizeof(M));
		}
	}
	return n;
}
/* stream variants for test_timer_skip (the recorded digests have neither):
 * another symbol of the portfolio trades between our calls; trades carry
 * no price, so none goes through our levels (and no intensity sample) */
static bool g_pf_moves, g_no_through;
static uint32_t pf_other; /* that symbol's index in PF */
static uint64_t TS_skipped, TS_full; /* timer calls the skip answered / did not */

static uint64_t rs;
static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

/* FNV-1a over the decision outputs. */
struct digest {
	uint64_t h;
	uint64_t n_intents;
	uint64_t n_calls;
};

static void mix(struct digest *d, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		d->h ^= (v >> (8 * i)) & 0xff;
		d->h *= 0x100000001b3ull;
	}
}

/* mm_resting and mm.c's own best-price scan visit only the slots of
 * recon.active: after every call, each active bit is a PENDING or LIVE
 * slot and every such slot has its bit, and mm_resting equals a scan of
 * every slot. */
static void check_active(const struct mm *m)
{
	for (int s = 0; s < 2; s++) {
		unsigned mask = 0;
		bool resting = false;

		for (int i = 0; i < RECON_MAX_LEVELS; i++) {
			const struct recon_order *o = &m->recon.ord[s][i];

			if (o->state == RECON_PENDING || o->state == RECON_LIVE)
				mask |= 1u << i;
			if (o->state == RECON_LIVE || (o->state == RECON_PENDING && o->orig_token))
				resting = true;
		}
		assert_int_equal(m->recon.active[s], mask);
		assert_int_equal(mm_resting(m, (enum quote_side)s), resting);
	}
}

/* The ladder clip as mm.c's build has it: room, factor, cap, min_size. */
static void ref_clip(struct quote_level *lv, uint32_t *n, int64_t room, double factor,
		     uint32_t cap, uint32_t min_size, uint32_t lot)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < *n; i++) {
		int64_t q = lv[i].qty;

		if (factor < 1.0) {
			double x = (double)q * factor;

			q = x > 0.0 ? (int64_t)((uint32_t)(x / lot) * lot) : 0;
		}
		if (q > (int64_t)cap)
			q = cap;
		if (q > room)
			q = room;
		if (q < (int64_t)min_size || q <= 0)
			continue;
		lv[k].px = lv[i].px;
		lv[k].qty = (uint32_t)q;
		room -= q;
		k++;
	}
	*n = k;
}

/*
 * m->target is the ladder its key (m->tkey) gives, byte for byte, as a
 * fresh build: quote_build_ladder_px into a zeroed ladder from the key's
 * prices (already guarded: no book passed, so none moves), each side
 * barred (!allow, pulled) or clipped, the presence order; all zero
 * without a key. Whatever path kept or moved it (key reuse, the in-place
 * move of target_shift). tgt_ext: the levels with a price, the rest zero.
 */
static void check_target(const struct mm *m)
{
	struct quote_ladder t;
	const struct mm_tkey *k = &m->tkey;

	memset(&t, 0, sizeof(t));
	if (m->tkey_ok) {
		assert_int_equal(quote_build_ladder_px(&m->lc, k->px[QUOTE_BID], k->px[QUOTE_ASK], 0,
						       0, 0, &t),
				 0);
		for (int s = 0; s < 2; s++) {
			struct quote_level *lv = s == QUOTE_BID ? t.bid : t.ask;
			uint32_t *n = s == QUOTE_BID ? &t.n_bid : &t.n_ask;

			if (!k->allow[s] || k->pulled[s])
				*n = 0;
			ref_clip(lv, n, k->room[s], k->factor[s], k->cap, m->cfg.min_size,
				 m->cfg.lot);
			if (*n == 0 && m->cfg.presence && k->allow[s] &&
			    k->room[s] >= (int64_t)m->cfg.min_size && k->px[s] > 0) {
				lv[0].px = k->px[s];
				lv[0].qty = m->cfg.min_size;
				*n = 1;
			}
		}
	}
	assert_memory_equal(&t, &m->target, sizeof(t));
	for (int s = 0; s < 2; s++) {
		const struct quote_level *lv = s == QUOTE_BID ? t.bid : t.ask;

		for (uint32_t i = 0; i < QUOTE_MAX_LEVELS; i++)
			assert_int_equal(lv[i].px != 0, i < m->tgt_ext[s]);
	}
}

static void fold(struct digest *d, const struct mm *m, const struct order_intent *o, uint32_t n)
{
	check_active(m);
	check_target(m);
	d->n_calls++;
	mix(d, n);
	mix(d, (uint64_t)mm_regime(m));
	for (uint32_t i = 0; i < n; i++) {
		mix(d, o[i].t_rx_tsc);
		mix(d, o[i].t_decide_tsc);
		mix(d, o[i].token);
		mix(d, o[i].orig_token);
		mix(d, ((uint64_t)o[i].px << 32) | o[i].qty);
		mix(d, ((uint64_t)o[i].locate << 32) | ((uint64_t)o[i].op << 24) |
			       ((uint64_t)o[i].side << 16) | ((uint64_t)o[i].reason << 8) |
			       o[i].flags);
	}
	d->n_intents += n;
}

/* The venue: intents queued with a fixed latency (FIFO = time order). */
struct venue {
	struct order_intent q[QCAP];
	uint64_t due[QCAP];
	uint32_t head, tail;
	uint64_t lat_ns, match;
};

static struct venue V;

static void vq_push(struct venue *v, const struct order_intent *o, uint32_t n, uint64_t now)
{
	for (uint32_t i = 0; i < n; i++) {
		assert_true(v->tail - v->head < QCAP);
		v->q[v->tail % QCAP] = o[i];
		v->due[v->tail % QCAP] = now + v->lat_ns;
		v->tail++;
	}
}

static void exec_one(struct digest *d, struct exec_report *r, uint64_t now)
{
	struct order_intent o[MAXI];
	uint32_t n;

	r->locate = LOC;
	r->t_rx_tsc = now / 7;
	n = mcall(MC_EXEC, r, now, o);
	fold(d, &M, o, n);
	vq_push(&V, o, n, now);
}

/* Deliver the head of the venue queue at its due time. */
static void venue_step(struct digest *d)
{
	const struct order_intent *x = &V.q[V.head % QCAP];
	uint64_t now = V.due[V.head % QCAP];
	struct exec_report r;
	uint64_t u = rnd() % 100;

	V.head++;
	memset(&r, 0, sizeof(r));
	r.side = x->side;
	r.px = x->px;
	r.qty = x->qty;
	switch (x->op) {
	case INTENT_NEW:
		r.kind = u < 8 ? EXEC_REJECTED : EXEC_ACCEPTED;
		r.token = x->token;
		break;
	case INTENT_REPLACE:
		r.kind = u < 5 ? EXEC_REJECTED : EXEC_REPLACED;
		r.token = x->token;
		break;
	case INTENT_CANCEL:
		r.kind = u < 3 ? EXEC_REJECTED : EXEC_CANCELED;
		r.token = u < 3 ? x->token : x->orig_token;
		if (r.token == 0)
			r.token = x->orig_token;
		break;
	default:
		return; /* CANCEL_ALL: nothing comes back per order */
	}
	exec_one(d, &r, now);
}

/* Fill part or all of one working order (sometimes the original of a
 * replace in flight, sometimes the same match twice). */
static void maybe_fill(struct digest *d, uint64_t now)
{
	uint64_t r = rnd();
	int side = (int)(r & 1), slot = (int)((r >> 1) % RECON_MAX_LEVELS);
	const struct recon_order *o = &M.recon.ord[side][slot];
	struct exec_report x;
	uint64_t tok;
	uint32_t q;

	if (o->state == RECON_FREE)
		return;
	tok = (r >> 8) % 4 == 0 && o->orig_token ? o->orig_token : o->token;
	q = (r >> 12) % 3 == 0 ? (o->qty > 50 ? o->qty / 2 : o->qty) : o->qty;
	if (q == 0)
		return;
	memset(&x, 0, sizeof(x));
	x.kind = EXEC_FILL;
	x.token = tok;
	x.side = side == QUOTE_BID ? 'B' : 'S';
	x.px = (uint32_t)o->px;
	x.qty = q;
	x.fee_e4 = -(int32_t)q / 5;
	x.match = ++V.match;
	exec_one(d, &x, now);
	if ((r >> 20) % 10 == 0)
		exec_one(d, &x, now); /* duplicate report */
}

struct seg {
	uint64_t seed;
	int64_t drift;  /* ITCH units per 1000 events added to the walk */
	uint32_t cfgno; /* which configuration */
	int kill_at;    /* event index of a manual kill; -1 none */
};

static void seg_cfg(uint32_t k, struct mm_cfg *c)
{
	mm_cfg_defaults(c);
	/* Drawdown Red is not exercised here (its flat-position rule is tested
	 * in test_regime / test_mm); the other bands stay at their defaults. */
	c->regime.band[REGIME_IN_DRAWDOWN][REGIME_RED] = (struct regime_band){ 0, 0 };
	switch (k) {
	case 1: /* the bench's: drawdown and position off */
		for (int l = REGIME_YELLOW; l <= REGIME_KILL; l++) {
			c->regime.band[REGIME_IN_DRAWDOWN][l] = (struct regime_band){ 0, 0 };
			c->regime.band[REGIME_IN_POSITION][l] = (struct regime_band){ 0, 0 };
		}
		break;
	case 2: /* AS, deeper ladder, odd sizes, a vol premium */
		c->model = MM_MODEL_AS;
		c->vol_premium = 0.5;
		c->levels = 5;
		c->step_ticks = 2;
		for (uint32_t i = 0; i < QUOTE_MAX_LEVELS; i++)
			c->size[i] = 100 + 50 * i;
		c->min_size = 50;
		c->lot = 50;
		c->presence_ticks = 2;
		c->regime.spread_add_bps = 1.5;
		c->regime.size_cap = 150;
		c->recon.min_life_ns = 0;
		break;
	case 3: /* tight budget, long minimum life, small limit */
		c->recon.rate_per_s = 20;
		c->recon.burst = 5;
		c->recon.min_life_ns = 50 * MS;
		c->recon.max_age_ns = 2000 * MS;
		c->pos_limit = 400;
		c->fee_usd = 0.0010;
		break;
	case 4: /* the portfolio budget */
		c->pf = &PF;
		break;
	case 6: /* test_quiet_rule only: no flow term, so a trade below the
		 * top that goes through no order of ours is quiet */
		c->tox.w_flow = 0.0;
		break;
	case 7: /* test_regime_quick only: message-rate YELLOW and RED bands
		 * low enough that the rate moves across them */
		c->regime.band[REGIME_IN_MSG_RATE][REGIME_YELLOW] = (struct regime_band){ 8.0, 4.0 };
		c->regime.band[REGIME_IN_MSG_RATE][REGIME_RED] = (struct regime_band){ 16.0, 12.0 };
		break;
	default: /* 0 and 5: defaults */
		break;
	}
}

/* One md event on M (the default rule) and on a copy of M's state with
 * decide_every_event (the full path); the portfolio, shared state, is
 * saved and restored around the copy. Asserts (a) a quiet event returns no
 * intent and changes nothing but last_md_ns and the counters (a quiet trade
 * also its intensity sample and the unread flow and trade-through inputs),
 * (b) a decided event gives the full path's intents and state exactly. */
static uint32_t md_checked(const struct md_event *e, uint64_t t, struct order_intent *o)
{
	struct order_intent of[MAXI];
	uint32_t n, nf;
	uint64_t q0 = M.n_quiet;
	/* mm_md_quiet's prediction, made before the call */
	bool pred = mm_md_quiet(&M, e);

	memcpy(&M_pre, &M, sizeof(M));
	memcpy(&M_full, &M, sizeof(M));
	M_full.cfg.decide_every_event = true;
	PF_pre = PF;
	nf = mm_on_md(&M_full, e, t, t / 5, of, MAXI);
	PF_full = PF;
	PF = PF_pre;
	n = mm_on_md(&M, e, t, t / 5, o, MAXI);
	/* The contract tools/paper.c's presence cache relies on: a call that
	 * emits no intent leaves which sides rest unchanged. */
	if (n == 0) {
		QS.no_intent++;
		assert_int_equal(mm_resting(&M, QUOTE_BID), mm_resting(&M_pre, QUOTE_BID));
		assert_int_equal(mm_resting(&M, QUOTE_ASK), mm_resting(&M_pre, QUOTE_ASK));
	}
	/* mm_md_quiet: every MD_BOOK event it calls quiet is, and every
	 * quiet MD_BOOK event is called so (trades are never predicted). */
	if (e->kind == MD_BOOK)
		assert_int_equal(pred, M.n_quiet != q0);
	else
		assert_false(pred);
	/* mm_on_md_quiet, which a caller that asked mm_md_quiet may call
	 * instead: the call's whole effect, byte for byte */
	if (pred) {
		memcpy(&M_quiet, &M_pre, sizeof(M));
		mm_on_md_quiet(&M_quiet, t);
		assert_memory_equal(&M_quiet, &M, sizeof(M));
	}
	if (M.n_quiet != q0) {
		QS.quiet++;
		assert_int_equal(n, 0);
		assert_memory_equal(&PF, &PF_pre, sizeof(PF));
		/* what a quiet event may touch */
		M_pre.last_md_ns = M.last_md_ns;
		M_pre.n_md = M.n_md;
		M_pre.n_quiet = M.n_quiet;
		M_pre.n_skipped = M.n_skipped;
		if (e->kind == MD_TRADE) {
			QS.quiet_trades++;
			memcpy(&M_pre.fill, &M.fill, sizeof(M.fill));
			M_pre.tox.flow_signed = M.tox.flow_signed;
			M_pre.tox.flow_abs = M.tox.flow_abs;
			M_pre.tox.gen = M.tox.gen;
			for (int s = 0; s < 2; s++) {
				M_pre.tox.side[s].imb = M.tox.side[s].imb;
				M_pre.tox.side[s].through = M.tox.side[s].through;
				M_pre.tox.side[s].through_ns = M.tox.side[s].through_ns;
				M_pre.tox.side[s].gen = M.tox.side[s].gen;
			}
		}
		assert_memory_equal(&M, &M_pre, sizeof(M));
		if (nf > 0) {
			QS.full_extra++;
			if (M_pre.dirty)
				QS.extra_dirty++;
			else if (M_full.regime.level != M_pre.regime.level)
				QS.extra_regime++;
			else
				QS.extra_other++;
		}
	} else {
		QS.decided++;
		assert_int_equal(n, nf);
		assert_memory_equal(o, of, n * sizeof(*o));
		M_full.cfg.decide_every_event = false;
		assert_memory_equal(&M, &M_full, sizeof(M));
		assert_memory_equal(&PF, &PF_full, sizeof(PF));
	}
	return n;
}

/* One timer call on M (the skip, unless the segment runs without it) and
 * on a copy of M's state with decide_every_timer (the full path): the same
 * intents and the same state exactly, but for the flag and the counters of
 * skipped calls and of reused offsets; the portfolio is not written by a timer call. */
static uint32_t timer_checked(uint64_t t, struct order_intent *o)
{
	struct order_intent of[MAXI];
	uint32_t n, nf;
	uint64_t q0 = M.n_timer_quiet;

	memcpy(&M_full, &M, sizeof(M));
	M_full.cfg.decide_every_timer = true;
	PF_pre = PF;
	nf = mm_on_timer(&M_full, t, t / 5, of, MAXI);
	assert_memory_equal(&PF, &PF_pre, sizeof(PF));
	n = mm_on_timer(&M, t, t / 5, o, MAXI);
	assert_memory_equal(&PF, &PF_pre, sizeof(PF));
	assert_int_equal(n, nf);
	assert_memory_equal(o, of, n * sizeof(*o));
	if (M.n_timer_quiet != q0) {
		TS_skipped++;
		assert_int_equal(n, 0);
	} else {
		TS_full++;
	}
	M_full.cfg.decide_every_timer = M.cfg.decide_every_timer;
	M_full.n_timer_quiet = M.n_timer_quiet;
	M_full.n_off_memo = M.n_off_memo; /* the skip builds nothing */
	assert_memory_equal(&M, &M_full, sizeof(M));
	return n;
}

static void run_seg(const struct seg *s, struct digest *d)
{
	struct order_intent o[MAXI];
	struct mm_cfg c;
	uint32_t mid = 500050, bq = 400, aq = 400;
	uint64_t t = T0, next_timer = T0;
	int stale_left = 0, halt_left = 0;

	memset(d, 0, sizeof(*d));
	d->h = 0xcbf29ce484222325ull;
	memset(&V, 0, sizeof(V));
	V.lat_ns = 150 * US;
	rs = s->seed;
	if (s->cfgno == 4) {
		struct pf_cfg pc = { .gross_usd = 1e6, .net_usd = 60000.0 };

		assert_int_equal(pf_init(&PF, &pc), 0);
		assert_int_equal(pf_attach(&PF, 99, 100000, &pf_other), 0);
		pf_update(&PF, pf_other, 800, 500000);
	}
	seg_cfg(s->cfgno, &c);
	c.decide_every_event = g_every;
	assert_int_equal(mm_init(&M, &c, LOC, BASE, T0), 0);
	for (int i = 0; i < N_EVENTS; i++) {
		uint64_t r = rnd(), gap;
		uint32_t u = (uint32_t)(r % 1000), n;
		struct md_event e;

		/* the next event time: mostly 1-400 us, sometimes a feed gap */
		if (r % 5000 == 1)
			gap = 12000 * MS;
		else if (r % 700 == 2)
			gap = 3000 * MS;
		else
			gap = 1 * US + (r >> 40) % (400 * US);
		t += gap;
		/* everything due before it, in time order */
		for (;;) {
			uint64_t tv = V.head != V.tail ? V.due[V.head % QCAP] : UINT64_MAX;

			if (next_timer <= t && next_timer <= tv) {
				if (g_tcheck)
					n = timer_checked(next_timer, o);
				else
					n = mcall(MC_TIMER, NULL, next_timer, o);
				fold(d, &M, o, n);
				vq_push(&V, o, n, next_timer);
				next_timer += c.timer_ns;
			} else if (tv <= t) {
				venue_step(d);
			} else {
				break;
			}
		}
		if (i == s->kill_at)
			mm_kill(&M, t);
		if (rnd() % 100 < 3)
			maybe_fill(d, t);
		if (g_pf_moves && s->cfgno == 4 && r % 50 == 3) /* the other symbol's fills */
			pf_update(&PF, pf_other, 800 + (int64_t)((r >> 20) % 2001) - 1000, 0);

		memset(&e, 0, sizeof(e));
		e.locate = LOC;
		e.kind = MD_BOOK;
		e.seq = (uint64_t)i + 1;
		e.t_rx_tsc = t / 3;
		if (u < 80) {
			int64_t step = (r >> 8) & 1 ? 100 : -100;

			if ((int64_t)((r >> 50) % 1000) < s->drift)
				step = 100;
			else if ((int64_t)((r >> 50) % 1000) < -s->drift)
				step = -100;
			mid = (uint32_t)((int64_t)mid + step);
			bq = 100 + (uint32_t)(r >> 16) % 900;
			aq = 100 + (uint32_t)(r >> 28) % 900;
			e.flags = MD_F_TOP;
		} else if (u < 450) {
			if ((r >> 8) & 1)
				bq = 100 + (uint32_t)(r >> 16) % 900;
			else
				aq = 100 + (uint32_t)(r >> 16) % 900;
			e.flags = MD_F_TOP;
		} else if (u < 550) {
			e.kind = MD_TRADE;
			e.side = (r >> 8) & 1 ? 'B' : 'S';
			e.qty = 100 * (1 + (uint32_t)(r >> 12) % 5);
			e.flags = (r >> 9) & 1 ? MD_F_TOP : 0;
		} else if (u < 556) {
			stale_left = 1 + (int)((r >> 12) % 20);
		} else if (u < 558) {
			halt_left = 1 + (int)((r >> 12) % 50);
		} else if (u < 560) {
			e.locate = LOC + 1; /* another symbol */
		} /* else: a change deeper in the book */
		e.bid_px = mid - 50;
		e.ask_px = mid + 50;
		e.bid_qty = bq;
		e.ask_qty = aq;
		if (e.kind == MD_TRADE) /* at the top or through it */
			e.px = g_no_through ? 0 :
			       e.side == 'B' ? e.bid_px - 100 * (uint32_t)((r >> 14) % 3)
					     : e.ask_px + 100 * (uint32_t)((r >> 14) % 3);
		if (stale_left > 0) {
			e.flags |= MD_F_STALE;
			stale_left--;
		}
		if (halt_left > 0) {
			e.flags |= MD_F_HALTED;
			halt_left--;
		}
		/* No fair value marks the position at 0 (mm_pnl_usd): with the
		 * drawdown bands on that is a loss kill, so the crossed and
		 * one-sided books run where the drawdown bands are off. */
		if (s->cfgno != 1) {
		} else if (u >= 560 && u < 563) {
			e.flags |= MD_F_CROSSED | MD_F_TOP;
			e.ask_px = e.bid_px;
		} else if (u >= 563 && u < 566) {
			e.ask_qty = 0; /* one-sided */
			e.flags |= MD_F_TOP;
		}
		if (g_check)
			n = md_checked(&e, t, o);
		else
			n = mcall(MC_MD, &e, t, o);
		fold(d, &M, o, n);
		vq_push(&V, o, n, t);
	}
	mix(d, (uint64_t)mm_position(&M));
	mix(d, (uint64_t)mm_cash_e4(&M));
	mix(d, (uint64_t)mm_fees_e4(&M));
	mix(d, M.n_intents);
}

static const struct seg SEGS[] = {
	{ 0x9e3779b97f4a7c15ull, 0, 0, -1 },
	{ 0x0123456789abcdefull, 0, 1, -1 },
	{ 0x5555aaaa3333ccccull, 30, 2, -1 },
	{ 0x1badb002deadbeefull, -40, 3, -1 },
	{ 0x0f0f0f0ff0f0f0f0ull, 0, 4, -1 },
	{ 0x7777111122223333ull, 10, 5, 30000 },
};

#define N_SEGS (sizeof(SEGS) / sizeof(SEGS[0]))

/* decide_every_event: recorded from the implementation before the fast
 * paths (see above). */
static const struct digest GOLD_EVERY[N_SEGS] = {
	{ 0x08d6da4e81db4489ull, 1640, 66628 },
	{ 0x8c22ba8306371a9dull, 1841, 69229 },
	{ 0xad0343d3b40d327dull, 2117, 69916 },
	{ 0xa5dfbc12fddd0107ull, 1060, 69064 },
	{ 0x8a1a8ddb8a5ede98ull, 1938, 75305 },
	{ 0xc403a9814602843full, 1303, 69247 },
};

/* The default (quiet-event rule): recorded after test_quiet_rule passed. */
static const struct digest GOLD[N_SEGS] = {
	{ 0x8b641f8dea4cf426ull, 1680, 68790 },
	{ 0x4ed59c31df6b860full, 1639, 66913 },
	{ 0xcbadd17701f6c701ull, 2381, 73239 },
	{ 0x6d39513f33a68c4aull, 1082, 67857 },
	{ 0x2dd7b029d5078addull, 2135, 78552 },
	{ 0xbd26f60e20c77f4cull, 1326, 68088 },
};

static void check_golden(const struct digest *gold)
{
	int bad = 0;

	for (size_t k = 0; k < N_SEGS; k++) {
		struct digest d;

		run_seg(&SEGS[k], &d);
		if (d.h != gold[k].h || d.n_intents != gold[k].n_intents ||
		    d.n_calls != gold[k].n_calls) {
			print_message("segment %zu: { 0x%016" PRIx64 "ull, %" PRIu64 ", %" PRIu64
				      " }\n",
				      k, d.h, d.n_intents, d.n_calls);
			bad++;
		}
		/* the stream is not trivial: intents and many decisions */
		assert_true(d.n_intents > 1000);
		assert_true(d.n_calls > N_EVENTS);
	}
	assert_int_equal(bad, 0);
}

/* The quiet-event rule (the default). */
static void test_golden(void **state)
{
	(void)state;
	g_every = false;
	check_golden(GOLD);
}

/* decide_every_event reproduces the implementation before the rule. */
static void test_golden_every_event(void **state)
{
	(void)state;
	g_every = true;
	check_golden(GOLD_EVERY);
	g_every = false;
}

/* A segment with no trade flow, for the checks' quiet-rule runs. */
static const struct seg NO_FLOW = { 0x2545f4914f6cdd1dull, 0, 6, -1 };

/* Every segment, with whatever check is on: the digests with the check
 * are the recorded ones. */
static void run_segs_gold(void)
{
	struct digest d;

	for (size_t k = 0; k < N_SEGS; k++) {
		run_seg(&SEGS[k], &d);
		assert_int_equal(d.h, GOLD[k].h);
	}
}

/* Every md event of every segment, against the full path from the same
 * state (md_checked). The full path's extra intents on quiet events are all
 * time-driven work the timer now owns; they are counted by cause. */
static void test_quiet_rule(void **state)
{
	struct digest d;

	(void)state;
	memset(&QS, 0, sizeof(QS));

	g_check = true;
	for (size_t k = 0; k < N_SEGS; k++)
		run_seg(&SEGS[k], &d);
	run_seg(&NO_FLOW, &d);
	g_check = false;
	print_message("quiet %" PRIu64 " (trades %" PRIu64 "), decided %" PRIu64
		      "; full path's intents on quiet events: %" PRIu64 " (deferred work %" PRIu64
		      ", regime step %" PRIu64 ", other time-driven %" PRIu64 ")\n",
		      QS.quiet, QS.quiet_trades, QS.decided, QS.full_extra, QS.extra_dirty,
		      QS.extra_regime, QS.extra_other);
	/* both kinds of event are common and quiet trades occur: ~44% of
	 * the events change the book below the top, and after a top change
	 * (MD_F_TOP on the previous event) such an event is quiet too */
	assert_true(QS.quiet > (N_SEGS + 1) * N_EVENTS * 3 / 8);
	assert_true(QS.decided > (N_SEGS + 1) * N_EVENTS * 3 / 8);
	assert_true(QS.quiet_trades > 100);
	assert_true(QS.no_intent > QS.quiet); /* decided calls without intents too */
}

/* The timer's skip (mm_on_timer): every timer call of every segment, and
 * of the quiet-rule segment, against the full path from the same state
 * (timer_checked). Both outcomes are common. */
static void test_timer_skip(void **state)
{
	struct digest d;

	(void)state;
	TS_skipped = TS_full = 0;
	g_tcheck = true;
	run_segs_gold();
	run_seg(&NO_FLOW, &d);
	/* the portfolio moving under us; toxicity without trade-throughs
	 * (the exact memo), with and without the flow input */
	g_pf_moves = true;
	run_seg(&SEGS[4], &d);
	g_pf_moves = false;
	g_no_through = true;
	run_seg(&NO_FLOW, &d);
	run_seg(&SEGS[0], &d);
	g_no_through = false;
	g_tcheck = false;
	print_message("timer calls skipped %" PRIu64 ", full %" PRIu64 "\n", TS_skipped, TS_full);
	assert_true(TS_skipped > 1000);
	assert_true(TS_full > 1000);
}

/* recon_plan_still_quiet in place of recon_plan after a moved target
 * (decide_rest): every call of every segment, and of the quiet-rule
 * segment, against the same call with plan_every_move (mcall); the
 * digests stay the recorded ones. Both outcomes are common. */
static void test_move_plan(void **state)
{
	struct digest d;

	(void)state;
	MS_quiet = MS_calls = 0;
	g_mcheck = true;
	run_segs_gold();
	run_seg(&NO_FLOW, &d);
	g_mcheck = false;
	print_message("moved targets planned quietly %" PRIu64 " of %" PRIu64 " calls\n",
		      MS_quiet, MS_calls);
	assert_true(MS_quiet > 2000);
	assert_true(MS_calls > MS_quiet * 4);
}

/* A segment whose message rate crosses its regime bands. */
static const struct seg RATE_SEG = { 0x9e3779b97f4a7c15ull, 0, 7, -1 };

/* The quick regime step (regime_step, regime_quick_update) in place of
 * regime_update: every call of every segment (regimes from position,
 * message rate, staleness; a kill), of the quiet-rule segment and of one
 * whose message rate crosses its bands (RATE_SEG),
 * against the same call with regime_every_step (mcall, rcheck); the
 * digests stay the recorded ones. Both outcomes are common, and so are
 * steps the message rate held (regime_quick_update_held). */
static void test_regime_quick(void **state)
{
	struct digest d;

	(void)state;
	RQ_quick = RQ_calls = RQ_held = 0;
	memset(RQ_level, 0, sizeof(RQ_level));
	g_rcheck = true;
	run_segs_gold();
	run_seg(&NO_FLOW, &d);
	run_seg(&RATE_SEG, &d);
	g_rcheck = false;
	print_message("regime steps decided quickly: %" PRIu64 " of %" PRIu64
		      " calls (green %" PRIu64 ", yellow %" PRIu64 ", red %" PRIu64
		      "; held by the rate %" PRIu64 ")\n",
		      RQ_quick, RQ_calls, RQ_level[REGIME_GREEN], RQ_level[REGIME_YELLOW],
		      RQ_level[REGIME_RED], RQ_held);
	assert_true(RQ_quick > RQ_calls / 4);
	/* every level it answers in, not GREEN alone */
	assert_true(RQ_level[REGIME_YELLOW] > 1000 && RQ_level[REGIME_RED] > 1000);
	assert_true(RQ_calls > RQ_quick + 10000);
	assert_true(RQ_held > 100); /* the rate-held step was taken and checked */
}

/* build_target's kept offsets (m->off_*) in place of their computation:
 * every call of every segment (the AS one has a bps add, which keeps
 * them off in YELLOW and RED), and of the quiet-rule segment, against the
 * same call with offsets_every_decision (mcall, ocheck); the digests stay
 * the recorded ones. Both outcomes are common. */
static void test_offsets_memo(void **state)
{
	struct digest d;

	(void)state;
	OM_memo = OM_calls = 0;
	g_ocheck = true;
	run_segs_gold();
	run_seg(&NO_FLOW, &d);
	g_ocheck = false;
	print_message("offsets reused: %" PRIu64 " of %" PRIu64 " calls\n", OM_memo, OM_calls);
	assert_true(OM_memo > OM_calls / 4);
	assert_true(OM_calls > OM_memo + 10000);
}

/* One walk of the book for test_target_edges: 6000 events, the mid moving
 * a tick at a time within [lo, hi] (ITCH units), every call's target
 * checked (check_target). Counts calls whose key moved its prices alone
 * (the in-place move's case), and those whose side s had a full ladder
 * (ext == levels), a ladder cut by the price range, or no price. */
static void edge_walk(uint32_t lo, uint32_t hi, int s, uint32_t levels, uint64_t *px_only,
		      uint64_t *full, uint64_t *cut, uint64_t *none)
{
	struct order_intent o[MAXI];
	struct mm_cfg c;
	uint64_t t = T0;
	uint32_t mid = lo + (hi - lo) / 2;

	mm_cfg_defaults(&c);
	c.levels = levels;
	c.step_ticks = 2;
	c.vol.sigma_min = 0.0; /* offsets of cents at any price level */
	assert_int_equal(mm_init(&M, &c, LOC, BASE, T0), 0);
	for (int i = 0; i < 6000; i++) {
		uint64_t r = rnd();
		struct mm_tkey k0 = M.tkey;
		bool ok0 = M.tkey_ok;
		struct md_event e;

		t += 50 * US + (r >> 40) % (300 * US);
		if ((r & 3) == 0 && mid + 100 <= hi)
			mid += 100;
		else if ((r & 3) == 1 && mid - 100 >= lo)
			mid -= 100;
		memset(&e, 0, sizeof(e));
		e.locate = LOC;
		e.kind = MD_BOOK;
		e.flags = MD_F_TOP;
		e.bid_px = mid - 50;
		e.ask_px = mid + 50;
		e.bid_qty = 100 + (uint32_t)(r >> 8) % 900;
		e.ask_qty = 100 + (uint32_t)(r >> 20) % 900;
		(void)mm_on_md(&M, &e, t, t / 5, o, MAXI);
		check_target(&M);
		if (ok0 && M.tkey_ok && memcmp(&k0, &M.tkey, sizeof(k0)) != 0) {
			k0.px[QUOTE_BID] = M.tkey.px[QUOTE_BID];
			k0.px[QUOTE_ASK] = M.tkey.px[QUOTE_ASK];
			*px_only += memcmp(&k0, &M.tkey, sizeof(k0)) == 0;
		}
		if (M.tkey_ok && M.tkey.px[s] > 0) {
			*full += M.tgt_ext[s] == c.levels;
			*cut += M.tgt_ext[s] < c.levels;
		}
		*none += M.tkey_ok && M.tkey.px[s] == 0;
	}
}

/* The target near the ends of the price range, where the ladder loses
 * levels: bids a few ticks above 0, asks a few below QUOTE_PX_MAX. A key
 * whose prices alone move keeps its ladder, moved, only while no level
 * leaves the range; check_target proves every call's bytes. */
static void test_target_edges(void **state)
{
	const uint32_t top = (uint32_t)QUOTE_PX_MAX;
	uint64_t px_only = 0, full = 0, cut = 0, none = 0;

	(void)state;
	rs = 0x3c6ef372fe94f82bull;
	/* from no bid price at all (the top rounds to <= 0) up */
	edge_walk(150, 2150, QUOTE_BID, 5, &px_only, &full, &cut, &none);
	print_message("bids near 0: keys moved by price alone %" PRIu64 ", full ladders %" PRIu64
		      ", cut %" PRIu64 ", no price %" PRIu64 "\n", px_only, full, cut, none);
	assert_true(px_only > 500 && full > 100 && cut > 100 && none > 100);
	px_only = full = cut = none = 0;
	edge_walk(top - 2400, top - 400, QUOTE_ASK, 5, &px_only, &full, &cut, &none);
	print_message("asks near the maximum: keys moved by price alone %" PRIu64
		      ", full ladders %" PRIu64 ", cut %" PRIu64 "\n", px_only, full, cut);
	assert_true(px_only > 500 && full > 100 && cut > 100);
}

/* The in-place move (target_shift) for ladders of every length, 1 to
 * QUOTE_MAX_LEVELS levels, both sides, mid-range: keys whose prices alone
 * move, with full ladders, each target checked against a fresh build
 * (check_target, in edge_walk). */
static void test_target_shift_levels(void **state)
{
	(void)state;
	rs = 0x510e527fade682d1ull;
	for (uint32_t levels = 1; levels <= QUOTE_MAX_LEVELS; levels++)
		for (int s = 0; s < 2; s++) {
			uint64_t px_only = 0, full = 0, cut = 0, none = 0;

			edge_walk(1000000, 1020000, s, levels, &px_only, &full, &cut, &none);
			assert_true(px_only > 500 && full > 1000);
			assert_true(cut == 0 && none == 0);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_golden_every_event),
		cmocka_unit_test(test_quiet_rule),
		cmocka_unit_test(test_timer_skip),
		cmocka_unit_test(test_move_plan),
		cmocka_unit_test(test_regime_quick),
		cmocka_unit_test(test_offsets_memo),
		cmocka_unit_test(test_target_edges),
		cmocka_unit_test(test_target_shift_levels),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
