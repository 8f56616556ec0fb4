/* recon.c - reconciliation of a target ladder with the working orders of one
 * symbol, and the message budget (see recon.h). Called by the quote core
 * only; no I/O, no clock reads, no allocation. */
#include "strategy/recon.h"

#include "hw/compiler.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

/* Priority classes of a candidate intent (lower is spent first). */
enum { CLS_RISK = 0, CLS_PRESENCE = 1, CLS_REST = 2, CLS_N = 3 };

_Static_assert(RECON_MAX_LEVELS == 8, "active_mask reads 8 slots; masks are 8-bit");
_Static_assert(RECON_LIVE == RECON_PENDING + 1, "slot_active tests one range");

struct cand {
	int64_t px;
	uint32_t qty;
	uint8_t op;     /* enum intent_op */
	uint8_t reason; /* enum intent_reason */
	uint8_t side;   /* enum quote_side */
	int8_t slot;    /* CANCEL/REPLACE: working slot; NEW: -1 */
};

/*
 * A plan's candidates, one list per priority class, each in the order the
 * sides produced them (bid then ask; per side levels then excess slots), so
 * spending class by class keeps the order of one mixed list scanned once
 * per class. Only n[] is initialised: a quiet plan writes nothing else.
 */
struct cands {
	uint32_t n[CLS_N];
	struct cand c[CLS_N][2 * RECON_MAX_LEVELS];
};

static int slot_active(const struct recon_order *o)
{
	return (uint8_t)(o->state - RECON_PENDING) <= RECON_LIVE - RECON_PENDING;
}

static unsigned lowest(unsigned m)
{
	return (unsigned)__builtin_ctz(m);
}

/* Active slots of one side, bit per slot, from the states (recon_sync). */
static unsigned active_mask(const struct recon_order *o)
{
	return (unsigned)slot_active(&o[0]) | (unsigned)slot_active(&o[1]) << 1 |
	       (unsigned)slot_active(&o[2]) << 2 | (unsigned)slot_active(&o[3]) << 3 |
	       (unsigned)slot_active(&o[4]) << 4 | (unsigned)slot_active(&o[5]) << 5 |
	       (unsigned)slot_active(&o[6]) << 6 | (unsigned)slot_active(&o[7]) << 7;
}

/* Keep r->active in step with o's state after it changed: recon_plan reads
 * the working slots from it rather than testing 16 states per plan. */
static void note(struct recon *r, const struct recon_order *o)
{
	size_t k = (size_t)(o - &r->ord[0][0]);
	unsigned side = (unsigned)(k / RECON_MAX_LEVELS), bit = 1u << (k % RECON_MAX_LEVELS);

	r->active[side] = (uint8_t)(slot_active(o) ? r->active[side] | bit : r->active[side] & ~bit);
	r->until_ok = 0;
}

static struct recon_order *find_token(struct recon *r, uint64_t token)
{
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < RECON_MAX_LEVELS; i++)
			if (r->ord[s][i].token == token && r->ord[s][i].state != RECON_FREE)
				return &r->ord[s][i]; /* the token first: it rules out most slots */
	return NULL;
}

/* The slot whose in-flight REPLACE replaces token, or NULL. */
static struct recon_order *find_orig(struct recon *r, uint64_t token)
{
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < RECON_MAX_LEVELS; i++)
			if (r->ord[s][i].state != RECON_FREE && token != 0 &&
			    r->ord[s][i].orig_token == token)
				return &r->ord[s][i];
	return NULL;
}

static void forget_orig(struct recon_order *o)
{
	o->orig_token = 0;
	o->orig_born_ns = 0;
	o->orig_px = 0;
	o->orig_qty = 0;
}

int recon_init(struct recon *r, const struct recon_cfg *cfg, uint64_t now_ns)
{
	if (!r || !cfg || cfg->tick <= 0 || cfg->tol_front_ticks < cfg->tol_ticks ||
	    cfg->rate_per_s == 0 || cfg->burst == 0 || cfg->token_base == 0)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->cfg = *cfg;
	r->next_token = cfg->token_base;
	r->bucket = (uint64_t)cfg->burst * RECON_NS_PER_S;
	r->bucket_ns = now_ns;
	if (__builtin_mul_overflow((int64_t)cfg->tol_ticks, cfg->tick, &r->tol_px[0]))
		r->tol_px[0] = INT64_MAX;
	if (__builtin_mul_overflow((int64_t)cfg->tol_front_ticks, cfg->tick, &r->tol_px[1]))
		r->tol_px[1] = INT64_MAX;
	r->max_age_eff = cfg->max_age_ns ? cfg->max_age_ns : UINT64_MAX;
	return 0;
}

void recon_sync(struct recon *r)
{
	for (int s = 0; s < 2; s++)
		r->active[s] = (uint8_t)active_mask(r->ord[s]);
	r->quiet_until_ns = 0;
	r->until_ok = 0;
}

void recon_fini(struct recon *r)
{
	if (r)
		memset(r, 0, sizeof(*r));
}

int recon_on_ack(struct recon *r, uint64_t token)
{
	struct recon_order *o = find_token(r, token);

	r->quiet_until_ns = 0;
	if (!o)
		return -ENOENT;
	if (o->state == RECON_PENDING)
		o->state = RECON_LIVE; /* a CANCELING order stays canceling */
	forget_orig(o); /* PENDING -> LIVE: still active, active[] as it was */
	return 0;
}

int recon_on_fill(struct recon *r, uint64_t token, uint32_t qty)
{
	struct recon_order *o = find_token(r, token);

	r->quiet_until_ns = 0;
	if (!o) {
		/* A fill on the original of a REPLACE in flight. */
		o = find_orig(r, token);
		if (!o)
			return -ENOENT;
		o->orig_qty = qty >= o->orig_qty ? 0 : o->orig_qty - qty;
		o->qty = qty >= o->qty ? 0 : o->qty - qty;
		return 0;
	}
	if (qty >= o->qty)
		memset(o, 0, sizeof(*o));
	else
		o->qty -= qty;
	note(r, o);
	return 0;
}

int recon_on_canceled(struct recon *r, uint64_t token)
{
	struct recon_order *o = find_token(r, token);

	r->quiet_until_ns = 0;
	if (!o)
		o = find_orig(r, token);
	if (!o)
		return -ENOENT;
	memset(o, 0, sizeof(*o));
	note(r, o);
	return 0;
}

int recon_on_reject(struct recon *r, uint64_t token)
{
	struct recon_order *o = find_token(r, token);

	r->quiet_until_ns = 0;
	if (!o)
		return -ENOENT;
	if (o->orig_token == 0 || o->orig_qty == 0) {
		memset(o, 0, sizeof(*o)); /* a NEW, or nothing left to restore */
		note(r, o);
		return 0;
	}
	o->token = o->orig_token;
	o->born_ns = o->orig_born_ns;
	o->px = o->orig_px;
	o->qty = o->orig_qty;
	o->state = RECON_LIVE;
	o->front = 0;
	forget_orig(o);
	note(r, o);
	return 0;
}

int recon_set_front(struct recon *r, uint64_t token, int front)
{
	struct recon_order *o = find_token(r, token);

	r->quiet_until_ns = 0;
	if (!o)
		return -ENOENT;
	o->front = front != 0;
	return 0;
}

/* Refill up to now_ns (hw/tbucket.h: exact, no division). */
static void refill(struct recon *r, uint64_t now_ns)
{
	tbucket_refill(&r->bucket, &r->bucket_ns, now_ns, r->cfg.rate_per_s, r->cfg.burst);
}

uint32_t recon_budget(struct recon *r, uint64_t now_ns)
{
	refill(r, now_ns);
	return (uint32_t)(r->bucket / RECON_NS_PER_S);
}

static int target_ok(const struct quote_level *l)
{
	return l->px > 0 && l->px <= (int64_t)UINT32_MAX && l->qty > 0;
}

static int64_t abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

/* Reason a whole side must be cancelled, or 0 when it may quote. */
static uint8_t side_block(const struct recon_ctl *c, int side)
{
	if (!c)
		return 0;
	if (c->stale)
		return REASON_STALE_BOOK;
	if (c->halted)
		return REASON_HALTED;
	if (c->red && !c->red_allow[side])
		return REASON_REGIME_RED;
	if (c->pulled[side])
		return REASON_TOXIC_PULL;
	if (c->grow_block[side])
		return REASON_RISK_REDUCE;
	return 0;
}

/* Any of stale, halted, red, pulled[], grow_block[] set (kill is not:
 * recon_plan checks it first): two word loads for the seven flags, which
 * about half the plans find all clear. */
static uint8_t ctl_any_block(const struct recon_ctl *c)
{
	uint32_t a, b;

	_Static_assert(offsetof(struct recon_ctl, red) == 3 &&
			       offsetof(struct recon_ctl, pulled) == 6 &&
			       offsetof(struct recon_ctl, grow_block) == 8 &&
			       sizeof(struct recon_ctl) == 10,
		       "ctl_any_block reads bytes 0-3 and 6-9");
	memcpy(&a, (const uint8_t *)c, sizeof(a));     /* stale, halted, kill, red */
	memcpy(&b, (const uint8_t *)c + 6, sizeof(b)); /* pulled[2], grow_block[2] */
	return (a | b) != 0;
}

static void cand_add(struct cands *cs, uint8_t cls, uint8_t op, uint8_t reason, int side,
		     int slot, int64_t px, uint32_t qty)
{
	struct cand *x = &cs->c[cls][cs->n[cls]++];

	x->op = op;
	x->reason = reason;
	x->side = (uint8_t)side;
	x->slot = (int8_t)slot;
	x->px = px;
	x->qty = qty;
}

/* Each working slot of a side (bit per slot in m, lowest first) as a
 * CANCEL of class cls for reason. Out of line: a blocked side's
 * cancels and a side's excess orders are rare, and inlined (the loop
 * unrolled at each of its four sites) they were ~1 KB of recon_plan's
 * code between its common paths. */
static NOINLINE void cand_cancels(struct cands *cs, uint8_t reason, int side,
			      const struct recon_order *ord, unsigned m)
{
#pragma GCC unroll 1
	for (; m; m &= m - 1) {
		unsigned i = lowest(m);

		cand_add(cs, CLS_RISK, INTENT_CANCEL, reason, side, (int)i, ord[i].px, ord[i].qty);
	}
}

/* The checks of a level lv matched to working slot i (plan_side): an
 * order in flight is left alone; else a reprice, age or size REPLACE, or
 * held back (counted in *blocked) while younger than min_life_ns. exact:
 * the order's price is the level's (the exact pass), so no reprice (the
 * distance 0 is within any tolerance, which is >= 0). */
static ALWAYS_INLINE void plan_pair(const struct recon *r, uint64_t now_ns, int side,
				    const struct quote_level *lv, unsigned i, struct cands *cs,
				    uint64_t *blocked, bool exact)
{
	const struct recon_order *o = &r->ord[side][i];
	uint64_t age;
	uint8_t reason = 0;

	if (o->state == RECON_PENDING)
		return; /* in flight: leave it alone */
	age = now_ns > o->born_ns ? now_ns - o->born_ns : 0;
	if (!exact && abs64(o->px - lv->px) > r->tol_px[o->front != 0])
		reason = REASON_QUOTE_REPRICE;
	else if (age > r->max_age_eff)
		reason = REASON_QUOTE_AGE;
	else if (o->qty != lv->qty)
		reason = REASON_QUOTE_SIZE;
	if (!reason)
		return;
	if (age < r->cfg.min_life_ns) {
		(*blocked)++;
		return;
	}
	cand_add(cs, CLS_REST, INTENT_REPLACE, reason, side, (int)i, lv->px, lv->qty);
}

/*
 * Candidates for one side, levels in order then excess slots in order
 * (deterministic). Returns the side's active slots (bit per slot), which a
 * plan without candidates leaves as they were. Inlined once, in
 * recon_plan's loop over the sides (not unrolled): both sides then run the
 * same code, and a plan's second side finds it in the instruction cache.
 * Inlined at two call sites (side a constant) it was ~5 Ir a sending path
 * cheaper, but each plan ran two copies, and a plan runs on ~1% of events,
 * its code evicted in between (cache simulation, L1 instruction misses a
 * sending path in recon_plan: 19.5 with two copies, 18.3 with one).
 */
static ALWAYS_INLINE unsigned plan_side(const struct recon *r, uint64_t now_ns, int side,
					const struct quote_level *lv, uint32_t n_lv,
					uint8_t block, struct cands *cs, uint64_t *blocked)
{
	const struct recon_order *ord = r->ord[side];
	int8_t match[RECON_MAX_LEVELS];
	unsigned act = r->active[side], lvm = 0, free_l, free_s, m, exact, quiet;
	const struct recon_order *end;
	int64_t lb;
	uint8_t pres;

	if (block) {
		if (act)
			cand_cancels(cs, block, side, ord, act);
		return act;
	}
	/*
	 * At most one level and one working order (most plans: a presence
	 * order alone): the greedy match below pairs them when both are
	 * there (its first round, one level and one slot left), and either
	 * alone is a NEW (restoring presence: no working order) or an excess
	 * CANCEL. The same candidates without the match's setup.
	 */
	if (n_lv <= 1 && (act & (act - 1)) == 0) {
		bool lv_ok = n_lv == 1 && target_ok(&lv[0]);

		if (act == 0) {
			if (lv_ok)
				cand_add(cs, CLS_PRESENCE, INTENT_NEW, REASON_PRESENCE, side, -1,
					 lv[0].px, lv[0].qty);
		} else if (!lv_ok) {
			cand_cancels(cs, REASON_QUOTE_EXCESS, side, ord, act);
		} else {
			plan_pair(r, now_ns, side, &lv[0], lowest(act), cs, blocked, false);
		}
		return act;
	}
	if (n_lv > RECON_MAX_LEVELS)
		n_lv = RECON_MAX_LEVELS;

	/*
	 * Global greedy: repeatedly pair the closest (level, order), ties to
	 * the better level then the lower slot, so an exact match is never
	 * stolen. Only valid levels (lvm) and active slots take part, each
	 * scanned upwards, so the scan order (and every tie) is that of the
	 * full table.
	 *
	 * The exact pass first does the greedy's rounds at distance 0 (most
	 * pairs of a steady ladder: the unchanged levels): while a free pair
	 * at distance 0 is left, a round picks the first in (level, slot)
	 * order, no pair being closer. That round's level is the lowest free
	 * level with an equal free slot, and it keeps being so: pairing only
	 * removes a level and a slot, so no lower level gains one. Hence the
	 * rounds at 0 take the levels upwards, each the lowest free slot at
	 * its price: the pass below, one look at each level as it is found
	 * valid. Every pair left after it is at distance >= 1, the rounds'
	 * lower bound (lb) from then. An exact pair whose checks find nothing
	 * is settled there (quiet: plan_pair's in flight, or no age and no
	 * size reason, a distance 0 being no reprice), so the candidates' walk
	 * below skips it.
	 */
	free_s = act;
	exact = quiet = 0;
	/* The slots from the first to the highest working one, upwards, the
	 * price first: the first free one at the level's price is the lowest
	 * (slots not working are never in free_s). Cheaper than walking the
	 * mask: the working slots are mostly the first few. */
	end = act ? &ord[32 - __builtin_clz(act)] : ord;
	for (unsigned l = 0, bit = 1; l < n_lv; l++, bit <<= 1) {
		int64_t px = lv[l].px;

		if (!target_ok(&lv[l]))
			continue;
		lvm |= bit;
		for (const struct recon_order *o = ord; o < end; o++) {
			unsigned i = (unsigned)(o - ord);

			if (o->px == px && (free_s >> i & 1u)) {
				match[l] = (int8_t)i;
				exact |= bit;
				free_s &= ~(1u << i);
				if (o->state == RECON_PENDING ||
				    ((now_ns <= o->born_ns || now_ns - o->born_ns <= r->max_age_eff) &&
				     o->qty == lv[l].qty))
					quiet |= bit;
				break;
			}
		}
	}
	free_l = lvm & ~exact;
	lb = 1;
	/* The rounds left. A round starts from the first free pair, the one a
	 * scan keeping only strictly closer pairs holds first, and scans the
	 * pairs after it. With one level and one slot left (a steady ladder's
	 * moved level; any greedy's last round) that pair is the pick, its
	 * distance not needed. A round's pairs are a subset of the round
	 * before's, so none is closer than that round's pick (lb): the first
	 * pair at lb is the round's pick and ends its scan. */
	while (free_l && free_s) {
		unsigned bl = lowest(free_l), bs = lowest(free_s);
		int64_t bd;

		if ((free_l & (free_l - 1)) == 0 && (free_s & (free_s - 1)) == 0) {
			match[bl] = (int8_t)bs;
			free_l = free_s = 0;
			break;
		}
		bd = abs64(ord[bs].px - lv[bl].px);
		if (bd == lb)
			goto pair;
		for (unsigned ml = free_l, ms0 = free_s & (free_s - 1); ml;
		     ml &= ml - 1, ms0 = free_s) {
			unsigned l = lowest(ml);
			int64_t px = lv[l].px;

			for (unsigned ms = ms0; ms; ms &= ms - 1) {
				unsigned i = lowest(ms);
				int64_t d = abs64(ord[i].px - px);

				if (d < bd) {
					bl = l;
					bs = i;
					bd = d;
					if (d == lb)
						goto pair;
				}
			}
		}
pair:
		lb = bd;
		match[bl] = (int8_t)bs;
		free_l &= ~(1u << bl);
		free_s &= ~(1u << bs);
	}

	pres = act == 0; /* only the first NEW restores presence */
	for (m = lvm & ~quiet; m; m &= m - 1) {
		unsigned l = lowest(m);

		if (free_l & (1u << l)) {
			cand_add(cs, pres ? CLS_PRESENCE : CLS_REST, INTENT_NEW,
				 pres ? REASON_PRESENCE : REASON_QUOTE_NEW, side, -1, lv[l].px,
				 lv[l].qty);
			pres = 0;
			continue;
		}
		/* one copy for exact and other pairs (exact a variable here) */
		plan_pair(r, now_ns, side, &lv[l], (unsigned)match[l], cs, blocked, exact >> l & 1u);
	}
	if (free_s)
		cand_cancels(cs, REASON_QUOTE_EXCESS, side, ord, free_s);
	return act;
}

static void fill_intent(const struct recon *r, struct order_intent *o, uint64_t now_tsc,
			uint64_t t_rx_tsc, uint8_t op, uint8_t reason, int side)
{
	memset(o, 0, sizeof(*o));
	o->t_rx_tsc = t_rx_tsc;
	o->t_decide_tsc = now_tsc;
	o->locate = r->cfg.locate;
	o->op = op;
	o->reason = reason;
	o->side = side == QUOTE_BID ? 'B' : 'S';
}

static COLD uint32_t plan_kill(struct recon *r, uint64_t now_tsc, uint64_t t_rx_tsc,
			  struct order_intent *out, uint32_t max)
{
	if (r->kill_sent || max == 0)
		return 0;
	fill_intent(r, &out[0], now_tsc, t_rx_tsc, INTENT_CANCEL_ALL, REASON_KILL, QUOTE_BID);
	out[0].side = 0; /* both sides */
	if (r->bucket >= RECON_NS_PER_S)
		r->bucket -= RECON_NS_PER_S;
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < RECON_MAX_LEVELS; i++)
			if (slot_active(&r->ord[s][i]))
				r->ord[s][i].state = RECON_CANCELING;
	r->active[0] = r->active[1] = 0;
	r->until_ok = 0;
	r->kill_sent = 1;
	return 1;
}

/* Emit one candidate into *o and update the table; 0 when it cannot (no free
 * slot for a NEW). Inlined in recon_plan's spend. The slot's side and index
 * are known here: active[] is kept in step without note(). */
static ALWAYS_INLINE int emit(struct recon *r, const struct cand *c, uint64_t now_ns,
			      uint64_t now_tsc, uint64_t t_rx_tsc, struct order_intent *o)
{
	unsigned side = c->side, i;
	struct recon_order *slot;

	if (c->op == INTENT_NEW) {
		for (i = 0; i < RECON_MAX_LEVELS; i++)
			if (r->ord[side][i].state == RECON_FREE)
				break;
		if (i == RECON_MAX_LEVELS)
			return 0;
	} else {
		i = (unsigned)c->slot;
	}
	slot = &r->ord[side][i];
	fill_intent(r, o, now_tsc, t_rx_tsc, c->op, c->reason, (int)side);
	o->px = (uint32_t)c->px;
	o->qty = c->qty;
	r->until_ok = 0;
	if (c->op == INTENT_CANCEL) {
		o->orig_token = slot->token;
		slot->state = RECON_CANCELING;
		r->active[side] = (uint8_t)(r->active[side] & ~(1u << i));
		return 1;
	}
	o->flags = INTENT_F_POST_ONLY;
	o->orig_token = c->op == INTENT_REPLACE ? slot->token : 0;
	if (c->op == INTENT_REPLACE) {
		/* Keep the original so a rejected replace can restore it. */
		slot->orig_token = slot->token;
		slot->orig_born_ns = slot->born_ns;
		slot->orig_px = slot->px;
		slot->orig_qty = slot->qty;
	} else {
		forget_orig(slot);
	}
	o->token = r->next_token++;
	slot->token = o->token;
	slot->px = c->px;
	slot->qty = c->qty;
	slot->born_ns = now_ns;
	slot->state = RECON_PENDING;
	slot->front = 0;
	r->active[side] = (uint8_t)(r->active[side] | 1u << i);
	return 1;
}

/*
 * After a plan with no candidate and nothing held back: until when the same
 * target and controls on the same table stay so. Every candidate but a
 * maximum-age replace is a function of the table, target and controls
 * alone, and an order's age (now_ns - born_ns) first exceeds max_age_ns
 * after born_ns + max_age_ns; the earliest over the working orders (act[],
 * active slots per side) is the bound (some of them may not be matched or
 * may be in flight: a bound, not the exact time). act[] is r->active[]:
 * the answer is kept (until_memo) until a slot changes, so back-to-back
 * quiet plans on the same table do not walk it again.
 */
static uint64_t quiet_until(struct recon *r, const unsigned act[2])
{
	uint64_t until = UINT64_MAX;

	if (r->cfg.max_age_ns == 0)
		return until;
	if (r->until_ok)
		return r->until_memo; /* no slot or age changed since */
	for (int s = 0; s < 2; s++)
		for (unsigned m = act[s]; m; m &= m - 1) {
			const struct recon_order *o = &r->ord[s][lowest(m)];

			if (o->born_ns < until - r->cfg.max_age_ns)
				until = o->born_ns + r->cfg.max_age_ns;
		}
	r->until_memo = until;
	r->until_ok = 1;
	return until;
}

/*
 * plan_side on a side of at most one level, with nothing else of the plan:
 * a blocked side cancels each working order, an empty one (or an invalid
 * level) each as excess, one level with no order is a NEW, with two or
 * more the greedy match leaves one in excess; with exactly one, the pair's
 * checks (in flight: left alone; else reprice, age, size). It finds
 * nothing when none of them fires (nothing held back either: a hold needs
 * a reason). The promise (now_ns <= quiet_until_ns) already rules the age
 * out; it is checked again, as plan_side does, for two compares.
 */
bool recon_plan_still_quiet(struct recon *r, uint64_t now_ns, const struct quote_ladder *target,
			    const struct recon_ctl *ctl, unsigned sides)
{
	bool any_block;

	if (r->quiet_until_ns == 0 || now_ns > r->quiet_until_ns || (ctl && ctl->kill))
		return false;
	any_block = ctl && ctl_any_block(ctl); /* kill is clear */
	for (int s = 0; s < 2; s++) {
		const struct quote_level *lv = s == QUOTE_BID ? target->bid : target->ask;
		uint32_t n_lv = s == QUOTE_BID ? target->n_bid : target->n_ask;
		unsigned act = r->active[s];
		const struct recon_order *o;
		uint64_t age;
		int64_t tol;

		if (!(sides >> s & 1u))
			continue;
		if (n_lv > 1)
			return false;
		if ((any_block && side_block(ctl, s)) || n_lv == 0 || !target_ok(&lv[0])) {
			if (act)
				return false; /* cancels */
			continue;
		}
		if (act == 0 || (act & (act - 1)))
			return false; /* a NEW, or an excess order */
		o = &r->ord[s][lowest(act)];
		if (o->state == RECON_PENDING)
			continue;
		age = now_ns > o->born_ns ? now_ns - o->born_ns : 0;
		tol = r->tol_px[o->front != 0];
		if (abs64(o->px - lv[0].px) > tol || age > r->max_age_eff || o->qty != lv[0].qty)
			return false;
	}
	/* recon_plan's effects when it finds nothing: the refill, no kill
	 * sent, nothing deferred or held back, and quiet_until(r, active) as
	 * the promise has it (no table change since it was made) */
	refill(r, now_ns);
	r->kill_sent = 0;
	r->last_deferred = 0;
	return true;
}

uint32_t recon_plan(struct recon *r, uint64_t now_ns, uint64_t now_tsc, uint64_t t_rx_tsc,
		    const struct quote_ladder *target, const struct recon_ctl *ctl,
		    struct order_intent *out, uint32_t max)
{
	struct cands cs;
	unsigned act[2];
	uint32_t n = 0, total, budget;
	uint64_t blocked = 0, avail;
	uint8_t any_block, blk[2];

	refill(r, now_ns);
	r->quiet_until_ns = 0;
	if (ctl && ctl->kill)
		return plan_kill(r, now_tsc, t_rx_tsc, out, max);
	r->kill_sent = 0;
	any_block = ctl ? ctl_any_block(ctl) : 0;

	cs.n[CLS_RISK] = cs.n[CLS_PRESENCE] = cs.n[CLS_REST] = 0;
	/* Both blocks first: ctl is then dead across the sides (fewer spills). */
	blk[QUOTE_BID] = any_block ? side_block(ctl, QUOTE_BID) : 0;
	blk[QUOTE_ASK] = any_block ? side_block(ctl, QUOTE_ASK) : 0;
	_Static_assert(QUOTE_BID == 0 && QUOTE_ASK == 1, "sides by index");
#pragma GCC unroll 1 /* one copy of plan_side: see there */
	for (int s = 0; s < 2; s++)
		act[s] = plan_side(r, now_ns, s, target ? (s ? target->ask : target->bid) : NULL,
				   target ? (s ? target->n_ask : target->n_bid) : 0, blk[s], &cs, &blocked);
	r->n_blocked += blocked;
	total = cs.n[CLS_RISK] + cs.n[CLS_PRESENCE] + cs.n[CLS_REST];
	if (total == 0) {
		r->last_deferred = 0;
		if (!blocked)
			r->quiet_until_ns = quiet_until(r, act);
		return 0;
	}

	/*
	 * Each candidate is emitted or deferred, and only emits spend: the
	 * spend stops at the first candidate past min(max, whole messages)
	 * and the rest are deferred (about half the plans with candidates
	 * start with no whole message and emit none). A NEW with no free
	 * slot is deferred without spending.
	 */
	avail = r->bucket / RECON_NS_PER_S;
	budget = avail < max ? (uint32_t)avail : max;
	if (budget == 0)
		goto spent;
	if (budget == 1 || total == 1) {
		/* one intent at most (most sending plans): the first candidate,
		 * unless it is a NEW with no free slot (then the loop below) */
		const struct cand *c = cs.n[CLS_RISK]       ? cs.c[CLS_RISK]
				       : cs.n[CLS_PRESENCE] ? cs.c[CLS_PRESENCE]
							    : cs.c[CLS_REST];

		if (c->op != INTENT_NEW) {
			n = (uint32_t)emit(r, c, now_ns, now_tsc, t_rx_tsc, out);
			goto spent;
		}
	}
	for (int cls = 0; cls < CLS_N; cls++)
		for (const struct cand *c = cs.c[cls], *e = c + cs.n[cls]; c < e; c++) {
			n += (uint32_t)emit(r, c, now_ns, now_tsc, t_rx_tsc, &out[n]);
			if (n == budget)
				goto spent;
		}
spent:
	r->bucket -= (uint64_t)n * RECON_NS_PER_S;
	r->last_deferred = total - n;
	r->n_deferred += total - n;
	return n;
}
