/* synth_cst.c - the Cont-Stoikov-Talreja (2010) order book as a simulation
 * engine: queues on a tick grid held as FIFOs of orders, the jump chain of
 * the model's Markov chain, the seeded PRNG, and the Table 3 check (Monte
 * Carlo next to the exact model value). Single-threaded; a book per symbol. */
#include "tools/synth.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Same seed, same bytes, whichever compiler: no fused multiply-adds
 * (clang contracts a * b + c by default; gcc in ISO C mode does not, and
 * does not know the pragma). */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#define WMASK (SYNTH_CST_WINDOW - 1)
_Static_assert((SYNTH_CST_WINDOW & WMASK) == 0, "window is a power of two");

/* ---------------------------------------------------------------- PRNG */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

void synth_rng_seed(struct synth_rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * UINT64_C(0xD1B54A32D192ED03));

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
	if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
		r->s[0] = 1; /* the all-zero state is a fixed point */
}

double synth_rng_exp(struct synth_rng *r, double rate)
{
	/* 1 - U is in (0, 1]: log never sees 0. */
	return -log(1.0 - synth_rng_unit(r)) / rate;
}

/* ---------------------------------------------------------- parameters */

void synth_cst_params_prepare(struct synth_cst_params *p)
{
	double mean = 0.0, c = 0.0;

	p->lam_cum[0] = 0.0;
	for (int i = 1; i <= SYNTH_CST_DEPTH; i++)
		p->lam_cum[i] = p->lam_cum[i - 1] + p->lambda[i];
	for (int k = 0; k < SYNTH_CST_SIZES; k++) {
		c += p->size_p[k];
		p->size_cum[k] = c;
		mean += (double)(k + 1) * p->size_p[k];
	}
	for (int k = 0; k < SYNTH_CST_SIZES; k++)
		p->size_cum[k] /= c;
	mean /= c;
	/* Orders of mean size m arrive at lambda/m: units still at lambda. */
	p->add_rate = p->lam_cum[SYNTH_CST_DEPTH] / mean;
}

void synth_cst_params_paper(struct synth_cst_params *p)
{
	/* Table 2 of the paper (Tokyo Stock Exchange, 2008): lambda(i) for
	 * i = 1..5, the power-law fit lambda(i) = k / i^alpha (k = 1.92,
	 * alpha = 0.52) beyond; theta(i) for i = 1..10; mu = 0.94. Rates per
	 * second, sizes in units of the average order. See docs/synth.md. */
	static const double lam5[6] = { 0.0, 1.85, 1.51, 1.09, 0.88, 0.77 };
	static const double theta[SYNTH_CST_DEPTH + 1] = {
		0.0, 0.71, 0.81, 0.68, 0.56, 0.47, 0.47, 0.37, 0.30, 0.26, 0.19,
	};

	memset(p, 0, sizeof(*p));
	for (int i = 1; i <= SYNTH_CST_DEPTH; i++) {
		p->lambda[i] = i <= 5 ? lam5[i] : 1.92 / pow((double)i, 0.52);
		p->theta[i] = theta[i];
	}
	p->mu = 0.94;
	p->size_p[0] = 1.0;
	synth_cst_params_prepare(p);
}

/* ---------------------------------------------------------------- pool */

int synth_pool_init(struct synth_pool *p, uint64_t first_ref)
{
	memset(p, 0, sizeof(*p));
	p->cap = 4096;
	p->o = malloc(sizeof(*p->o) * p->cap);
	if (!p->o)
		return -ENOMEM;
	p->free_head = SYNTH_NIL;
	p->next_ref = first_ref;
	return 0;
}

void synth_pool_fini(struct synth_pool *p)
{
	if (!p)
		return;
	free(p->o);
	p->o = NULL;
	p->n = p->cap = 0;
}

static uint32_t pool_alloc(struct synth_pool *p)
{
	uint32_t i = p->free_head;

	if (i != SYNTH_NIL) {
		p->free_head = p->o[i].next;
		return i;
	}
	if (p->n == p->cap) {
		uint32_t cap = p->cap * 2;
		struct synth_order *o = realloc(p->o, sizeof(*o) * cap);

		if (!o || cap <= p->cap)
			return SYNTH_NIL;
		p->o = o;
		p->cap = cap;
	}
	return p->n++;
}

static void pool_free(struct synth_pool *p, uint32_t i)
{
	p->o[i].next = p->free_head;
	p->free_head = i;
}

/* ---------------------------------------------------------------- book */

static inline struct synth_level *lv_at(struct synth_cst_book *b, int64_t t)
{
	return &b->lv[(uint64_t)t & WMASK];
}

static inline int occupied(const struct synth_cst_book *b, int64_t t)
{
	const struct synth_level *l = &b->lv[(uint64_t)t & WMASK];

	return l->units > 0 && l->tick == (uint32_t)t;
}

uint32_t synth_cst_units_at(const struct synth_cst_book *b, int64_t t)
{
	return t >= 1 && occupied(b, t) ? b->lv[(uint64_t)t & WMASK].units : 0;
}

static inline double theta_at(const struct synth_cst_params *p, int64_t d)
{
	if (d > SYNTH_CST_DEPTH)
		d = SYNTH_CST_DEPTH;
	if (d < 1)
		d = 1;
	return p->theta[d];
}

/* Cancellation is per order: an order of k units at distance i goes at
 * rate theta(i) * cw(k) / CW_ONE. A one-unit order always goes whole (the
 * paper's model); a larger one loses, with probability CW_PARTIAL, a uniform
 * 1..k-1 of its units (an X) and else all of them (a D). cw(k > 1) =
 * 21/20 makes the expected units removed k (1 - p/2) cw = k: every unit
 * still leaves at theta(i), as in the paper, only in batches. */
#define CW_ONE 20u
#define CW_MULTI 21u
#define CW_PARTIAL (2.0 / 21.0)

static inline uint32_t cw_of(uint32_t units)
{
	return units == 0 ? 0 : units == 1 ? CW_ONE : CW_MULTI;
}

void synth_cst_book_init(struct synth_cst_book *b, const struct synth_cst_params *p,
			 int64_t tick_max)
{
	memset(b, 0, sizeof(*b));
	for (int i = 0; i < SYNTH_CST_WINDOW; i++)
		b->lv[i].head = b->lv[i].tail = SYNTH_NIL;
	b->p = p;
	b->bid = b->ask = -1;
	b->bid_ref = b->ask_ref = -1;
	b->tick_max = tick_max;
}

/* Cancellation rate of the bids: each unit at distance ask_ref - t. */
static void recompute_cancel_b(struct synth_cst_book *b)
{
	double c = 0.0;

	if (b->bid >= 0)
		for (int64_t t = b->bid; t >= b->bid_lo; t--)
			if (occupied(b, t))
				c += theta_at(b->p, b->ask_ref - t) * lv_at(b, t)->cw;
	b->cancel_b = c / CW_ONE;
}

static void recompute_cancel_a(struct synth_cst_book *b)
{
	double c = 0.0;

	if (b->ask >= 0)
		for (int64_t t = b->ask; t <= b->ask_hi; t++)
			if (occupied(b, t))
				c += theta_at(b->p, t - b->bid_ref) * lv_at(b, t)->cw;
	b->cancel_a = c / CW_ONE;
}

static void update_rate(struct synth_cst_book *b)
{
	double r = b->cancel_b + b->cancel_a;

	if (b->bid_ref >= 1 && b->ask_ref >= 1)
		r += 2.0 * b->p->add_rate;
	if (b->bid >= 0)
		r += b->p->mu;
	if (b->ask >= 0)
		r += b->p->mu;
	b->rate = r;
}

/* Window of admissible prices around the mid: [lo, hi]. */
static void window(const struct synth_cst_book *b, int64_t *lo, int64_t *hi)
{
	int64_t c = (b->bid_ref + b->ask_ref) / 2;

	*lo = c - SYNTH_CST_WINDOW / 2 + 1;
	*hi = c + SYNTH_CST_WINDOW / 2 - 1;
}

/* Append a new order of `units` at t (checked by the caller). */
static int level_push(struct synth_cst_book *b, struct synth_pool *pool, uint8_t side,
		      int64_t t, uint32_t units, struct synth_cst_event *ev)
{
	struct synth_level *l = lv_at(b, t);
	uint32_t i = pool_alloc(pool);
	struct synth_order *o;

	if (i == SYNTH_NIL)
		return -ENOMEM;
	o = &pool->o[i];
	o->ref = pool->next_ref++;
	o->units = units;
	o->next = SYNTH_NIL;
	o->tick = (uint32_t)t;
	o->side = side;
	if (l->units == 0) {
		l->head = l->tail = i;
		l->tick = (uint32_t)t;
	} else {
		pool->o[l->tail].next = i;
		l->tail = i;
	}
	l->units += units;
	l->cw += cw_of(units);

	if (side == 'B') {
		int ref_moved = 0;

		if (b->bid < 0) {
			b->bid = b->bid_lo = t;
		} else {
			if (t > b->bid)
				b->bid = t;
			if (t < b->bid_lo)
				b->bid_lo = t;
		}
		if (b->bid_ref != b->bid) {
			b->bid_ref = b->bid;
			ref_moved = 1;
		}
		b->bid_units += units;
		if (b->ask_ref >= 1)
			b->cancel_b += theta_at(b->p, b->ask_ref - t) * cw_of(units) / CW_ONE;
		if (ref_moved)
			recompute_cancel_a(b);
	} else {
		int ref_moved = 0;

		if (b->ask < 0) {
			b->ask = b->ask_hi = t;
		} else {
			if (t < b->ask)
				b->ask = t;
			if (t > b->ask_hi)
				b->ask_hi = t;
		}
		if (b->ask_ref != b->ask) {
			b->ask_ref = b->ask;
			ref_moved = 1;
		}
		b->ask_units += units;
		if (b->bid_ref >= 1)
			b->cancel_a += theta_at(b->p, t - b->bid_ref) * cw_of(units) / CW_ONE;
		if (ref_moved)
			recompute_cancel_b(b);
	}
	if (b->bid_ref < 1 || b->ask_ref < 1) {
		/* Until both sides have been seen the distances are undefined. */
		b->cancel_b = b->cancel_a = 0.0;
	}
	update_rate(b);
	ev->kind = SYNTH_CST_ADD;
	ev->side = side;
	ev->tick = (uint32_t)t;
	ev->units = units;
	ev->left = units;
	ev->ref = o->ref;
	return 0;
}

/* `units` left level t of `side`, its cancel weight fell by dcw: fix
 * totals, bests, extremes and rates. */
static void level_shrunk(struct synth_cst_book *b, uint8_t side, int64_t t, uint32_t units,
			 uint32_t dcw)
{
	if (side == 'B') {
		b->bid_units -= units;
		b->cancel_b -= theta_at(b->p, b->ask_ref - t) * dcw / CW_ONE;
		if (!occupied(b, t)) {
			if (b->bid_units == 0) {
				b->bid = -1;
				b->cancel_b = 0.0;
			} else {
				if (t == b->bid) {
					int64_t n = t - 1;

					while (!occupied(b, n))
						n--;
					b->bid = b->bid_ref = n;
					recompute_cancel_a(b);
				}
				if (t == b->bid_lo) {
					int64_t n = t + 1;

					while (!occupied(b, n))
						n++;
					b->bid_lo = n;
				}
			}
		}
		if (b->cancel_b < 0.0)
			b->cancel_b = 0.0;
	} else {
		b->ask_units -= units;
		b->cancel_a -= theta_at(b->p, t - b->bid_ref) * dcw / CW_ONE;
		if (!occupied(b, t)) {
			if (b->ask_units == 0) {
				b->ask = -1;
				b->cancel_a = 0.0;
			} else {
				if (t == b->ask) {
					int64_t n = t + 1;

					while (!occupied(b, n))
						n++;
					b->ask = b->ask_ref = n;
					recompute_cancel_b(b);
				}
				if (t == b->ask_hi) {
					int64_t n = t - 1;

					while (!occupied(b, n))
						n--;
					b->ask_hi = n;
				}
			}
		}
		if (b->cancel_a < 0.0)
			b->cancel_a = 0.0;
	}
	update_rate(b);
}

/* Take `units` from order i (prev: its predecessor or NIL) at level t. */
static void order_take(struct synth_cst_book *b, struct synth_pool *pool, int64_t t,
		       uint32_t i, uint32_t prev, uint32_t units, struct synth_cst_event *ev)
{
	struct synth_level *l = lv_at(b, t);
	struct synth_order *o = &pool->o[i];
	uint8_t side = o->side;
	uint32_t dcw;

	ev->side = side;
	ev->tick = (uint32_t)t;
	ev->units = units;
	ev->ref = o->ref;
	dcw = cw_of(o->units);
	o->units -= units;
	dcw -= cw_of(o->units);
	l->units -= units;
	l->cw -= dcw;
	ev->left = o->units;
	if (o->units == 0) {
		if (prev == SYNTH_NIL)
			l->head = o->next;
		else
			pool->o[prev].next = o->next;
		if (l->tail == i)
			l->tail = prev;
		if (l->units == 0) {
			l->head = l->tail = SYNTH_NIL;
			l->cw = 0;
		}
		pool_free(pool, i);
	}
	level_shrunk(b, side, t, units, dcw);
}

int synth_cst_place(struct synth_cst_book *b, struct synth_pool *pool, uint8_t side,
		    int64_t t, uint32_t units, struct synth_cst_event *ev)
{
	struct synth_level *l;

	if (t < 1 || t > b->tick_max || units == 0)
		return -EINVAL;
	if (side == 'B' ? (b->ask >= 0 && t >= b->ask) : (b->bid >= 0 && t <= b->bid))
		return -EINVAL;
	if (b->bid_ref >= 1 && b->ask_ref >= 1) {
		int64_t lo, hi;

		window(b, &lo, &hi);
		if (t < lo || t > hi)
			return -EINVAL;
	}
	l = lv_at(b, t);
	if (l->units > 0 && l->tick != (uint32_t)t)
		return -EINVAL;
	if (l->units > 0 && pool->o[l->head].side != side)
		return -EINVAL;
	return level_push(b, pool, side, t, units, ev);
}

/* Index i with cum[i-1] <= u < cum[i], i in 1..n. */
static int pick_cum(const double *cum, int n, double u)
{
	for (int i = 1; i < n; i++)
		if (u < cum[i])
			return i;
	return n;
}

static uint32_t pick_size(const struct synth_cst_params *p, struct synth_rng *r)
{
	double u = synth_rng_unit(r);

	for (int k = 0; k < SYNTH_CST_SIZES - 1; k++)
		if (u < p->size_cum[k])
			return (uint32_t)k + 1;
	return SYNTH_CST_SIZES;
}

/* Cancel (part of) an order of `side`, v uniform in [0, cancel rate of
 * that side): the level by theta(d) * weight, the order by its weight. */
static void cancel_order(struct synth_cst_book *b, struct synth_pool *pool,
			 struct synth_rng *r, uint8_t side, double v, struct synth_cst_event *ev)
{
	int64_t t, last = -1, step = side == 'B' ? -1 : 1;
	int64_t from = side == 'B' ? b->bid : b->ask, to = side == 'B' ? b->bid_lo : b->ask_hi;
	double acc = 0.0, w = 0.0;
	uint32_t k, i, prev, units;

	v *= CW_ONE; /* in weight units */
	for (t = from;; t += step) {
		if (occupied(b, t)) {
			w = theta_at(b->p, side == 'B' ? b->ask_ref - t : t - b->bid_ref);
			last = t;
			if (v < acc + w * lv_at(b, t)->cw)
				break;
			acc += w * lv_at(b, t)->cw;
		}
		if (t == to) {
			/* Rounding left v past the total: take the deepest order. */
			t = last;
			acc = v - w * (lv_at(b, t)->cw - 0.5);
			break;
		}
	}
	k = (uint32_t)((v - acc) / w);
	if (k >= lv_at(b, t)->cw)
		k = lv_at(b, t)->cw - 1;
	prev = SYNTH_NIL;
	for (i = lv_at(b, t)->head; k >= cw_of(pool->o[i].units); i = pool->o[i].next) {
		k -= cw_of(pool->o[i].units);
		prev = i;
	}
	units = pool->o[i].units;
	if (units > 1 && synth_rng_unit(r) < CW_PARTIAL)
		units = 1 + synth_rng_below(r, units - 1);
	ev->kind = SYNTH_CST_CANCEL;
	order_take(b, pool, t, i, prev, units, ev);
}

int synth_cst_step(struct synth_cst_book *b, struct synth_pool *pool, struct synth_rng *r,
		   struct synth_cst_event *ev)
{
	const struct synth_cst_params *p = b->p;
	double add = (b->bid_ref >= 1 && b->ask_ref >= 1) ? p->add_rate : 0.0;
	double mu_a = b->ask >= 0 ? p->mu : 0.0, mu_b = b->bid >= 0 ? p->mu : 0.0;
	double u = synth_rng_unit(r) * b->rate;

	ev->kind = SYNTH_CST_NONE;
	if (b->rate <= 0.0)
		return 0;
	if (u < 2.0 * add) {
		uint8_t side = u < add ? 'B' : 'S';
		double v = (side == 'B' ? u : u - add) / add * p->lam_cum[SYNTH_CST_DEPTH];
		int i = pick_cum(p->lam_cum, SYNTH_CST_DEPTH, v);
		uint32_t units = pick_size(p, r);
		int64_t t = side == 'B' ? b->ask_ref - i : b->bid_ref + i;
		int64_t lo, hi;
		struct synth_level *l;

		if (t < 1 || t > b->tick_max)
			return 0;
		window(b, &lo, &hi);
		l = lv_at(b, t);
		if (t < lo || t > hi || (l->units > 0 && l->tick != (uint32_t)t))
			return 0;
		return level_push(b, pool, side, t, units, ev);
	}
	u -= 2.0 * add;
	if (u < mu_a + mu_b) {
		/* A market buy lifts the front ask order; a market sell hits
		 * the front bid order. One unit each. */
		int64_t t = u < mu_a ? b->ask : b->bid;

		ev->kind = SYNTH_CST_EXEC;
		order_take(b, pool, t, lv_at(b, t)->head, SYNTH_NIL, 1, ev);
		return 0;
	}
	u -= mu_a + mu_b;
	if (u < b->cancel_b && b->bid >= 0)
		cancel_order(b, pool, r, 'B', u, ev);
	else if (b->ask >= 0)
		cancel_order(b, pool, r, 'S', u - b->cancel_b < 0.0 ? 0.0 : u - b->cancel_b, ev);
	else if (b->bid >= 0)
		cancel_order(b, pool, r, 'B', 0.0, ev);
	return 0;
}

int synth_cst_purge(struct synth_cst_book *b, struct synth_pool *pool,
		    struct synth_cst_event *ev)
{
	int64_t lo, hi, t;
	struct synth_level *l;

	if (b->bid_ref < 1 || b->ask_ref < 1)
		return 0;
	window(b, &lo, &hi);
	if (b->bid >= 0 && b->bid_lo < lo)
		t = b->bid_lo;
	else if (b->ask >= 0 && b->ask_hi > hi)
		t = b->ask_hi;
	else
		return 0;
	l = lv_at(b, t);
	ev->kind = SYNTH_CST_PURGE;
	order_take(b, pool, t, l->head, SYNTH_NIL, pool->o[l->head].units, ev);
	return 1;
}

void synth_cst_book_clear(struct synth_cst_book *b, struct synth_pool *pool)
{
	for (int i = 0; i < SYNTH_CST_WINDOW; i++) {
		struct synth_level *l = &b->lv[i];

		for (uint32_t o = l->head; o != SYNTH_NIL;) {
			uint32_t next = pool->o[o].next;

			pool_free(pool, o);
			o = next;
		}
		l->head = l->tail = SYNTH_NIL;
		l->units = 0;
		l->cw = 0;
	}
	synth_cst_book_init(b, b->p, b->tick_max);
}

/* --------------------------------------------------------------- check */

#define CHECK_QMAX 80    /* queue truncation of the exact solution */
#define CHECK_N 5        /* Table 3: queue sizes 1..5 */
#define CHECK_STEPS_MAX 10000000

double synth_cst_p_up_exact(const struct synth_cst_params *p, int qb, int qa)
{
	/* The two best queues are independent birth-death chains until one
	 * empties: births lambda(1) (limit orders one tick from the opposite
	 * quote join the best queue when the spread is one tick), deaths
	 * mu + n theta(1). P(b, a) = P(ask queue empties first); P(b, 0) = 1,
	 * P(0, a) = 0. Gauss-Seidel on the truncated grid. */
	static double P[CHECK_QMAX + 1][CHECK_QMAX + 1];
	static double c_lam = -1.0, c_th = -1.0, c_mu = -1.0; /* P solved for these */
	double lam = p->lambda[1], th = p->theta[1], mu = p->mu;

	if (qb < 0 || qa < 0 || qb > CHECK_QMAX || qa > CHECK_QMAX)
		return NAN;
	if (lam == c_lam && th == c_th && mu == c_mu)
		return P[qb][qa];
	c_lam = lam;
	c_th = th;
	c_mu = mu;
	for (int x = 0; x <= CHECK_QMAX; x++)
		for (int y = 0; y <= CHECK_QMAX; y++)
			P[x][y] = y == 0 && x > 0 ? 1.0 : (x == 0 ? 0.0 : 0.5);
	for (int it = 0; it < 100000; it++) {
		double delta = 0.0;

		for (int x = 1; x <= CHECK_QMAX; x++)
			for (int y = 1; y <= CHECK_QMAX; y++) {
				double lb = x < CHECK_QMAX ? lam : 0.0;
				double la = y < CHECK_QMAX ? lam : 0.0;
				double db = mu + th * x, da = mu + th * y;
				double v = (db * P[x - 1][y] + da * P[x][y - 1] +
					    (lb ? lb * P[x + 1][y] : 0.0) +
					    (la ? la * P[x][y + 1] : 0.0)) /
					   (lb + la + db + da);

				delta = fmax(delta, fabs(v - P[x][y]));
				P[x][y] = v;
			}
		if (delta < 1e-14)
			break;
	}
	return P[qb][qa];
}

/* One path from (b, a) with spread one tick: 1 if the mid moved up first,
 * 0 if down, -1 if it never moved (bounded), -ENOMEM. */
static int check_path(struct synth_cst_book *bk, struct synth_pool *pool,
		      struct synth_rng *r, int qb, int qa)
{
	const int64_t ask0 = 10000, bid0 = ask0 - 1;
	struct synth_cst_event ev;
	int rc = 0;

	synth_cst_book_clear(bk, pool);
	for (int i = 0; i < qb && rc == 0; i++)
		rc = synth_cst_place(bk, pool, 'B', bid0, 1, &ev);
	for (int i = 0; i < qa && rc == 0; i++)
		rc = synth_cst_place(bk, pool, 'S', ask0, 1, &ev);
	/* Deeper levels at their mean-field size lambda(d) / theta(d): they
	 * do not change this statistic, but the engine runs on a full book. */
	for (int d = 2; d <= 5 && rc == 0; d++) {
		uint32_t n = (uint32_t)lround(bk->p->lambda[d] / bk->p->theta[d]);

		for (uint32_t k = 0; k < (n ? n : 1) && rc == 0; k++) {
			rc = synth_cst_place(bk, pool, 'B', ask0 - d, 1, &ev);
			if (rc == 0)
				rc = synth_cst_place(bk, pool, 'S', bid0 + d, 1, &ev);
		}
	}
	if (rc)
		return rc;
	for (int s = 0; s < CHECK_STEPS_MAX; s++) {
		if (synth_cst_step(bk, pool, r, &ev))
			return -ENOMEM;
		while (synth_cst_purge(bk, pool, &ev))
			;
		/* With a one-tick spread no order can improve either quote:
		 * the mid moves when a best queue empties. Up: the ask one. */
		if (bk->ask != ask0 || bk->bid != bid0)
			return bk->ask != ask0;
	}
	return -1;
}

int synth_cst_check(FILE *out, uint64_t seed, uint32_t paths)
{
	struct synth_cst_params p;
	struct synth_cst_book *bk = malloc(sizeof(*bk));
	struct synth_pool pool;
	double mc[CHECK_N][CHECK_N], se[CHECK_N][CHECK_N], ex[CHECK_N][CHECK_N];
	double worst = 0.0, worst_z = 0.0;
	int rc = 0;

	if (!bk || synth_pool_init(&pool, 1) != 0) {
		free(bk);
		return -ENOMEM;
	}
	synth_cst_params_paper(&p);
	synth_cst_book_init(bk, &p, INT64_C(42949672));
	for (int qb = 1; qb <= CHECK_N && rc == 0; qb++)
		for (int qa = 1; qa <= CHECK_N && rc == 0; qa++) {
			struct synth_rng r;
			uint64_t up = 0, n = 0;

			synth_rng_seed(&r, seed, UINT64_C(0x100) + (uint64_t)qb * 16 + (uint64_t)qa);
			for (uint32_t k = 0; k < paths; k++) {
				int v = check_path(bk, &pool, &r, qb, qa);

				if (v < -1) {
					rc = v;
					break;
				}
				if (v >= 0) {
					up += (uint64_t)v;
					n++;
				}
			}
			mc[qb - 1][qa - 1] = n ? (double)up / (double)n : NAN;
			se[qb - 1][qa - 1] = n ? sqrt(mc[qb - 1][qa - 1] *
						      (1.0 - mc[qb - 1][qa - 1]) / (double)n)
					       : NAN;
			ex[qb - 1][qa - 1] = synth_cst_p_up_exact(&p, qb, qa);
		}
	synth_cst_book_clear(bk, &pool);
	free(bk);
	synth_pool_fini(&pool);
	if (rc)
		return rc;

	fprintf(out,
		"Cont-Stoikov-Talreja (2010) model: probability that the next mid-price move is\n"
		"up, given b units at the best bid and a at the best ask, spread one tick (the\n"
		"statistic of the paper's Table 3).\n"
		"parameters (paper's Table 2): lambda(1) = %.2f/s, theta(1) = %.2f/s, mu = %.2f/s\n"
		"Monte Carlo: %u paths per cell through synth's order book engine, seed %llu\n\n",
		p.lambda[1], p.theta[1], p.mu, paths, (unsigned long long)seed);
	fputs("Monte Carlo (standard error)\n  b\\a", out);
	for (int qa = 1; qa <= CHECK_N; qa++)
		fprintf(out, "  %13d", qa);
	fputc('\n', out);
	for (int qb = 1; qb <= CHECK_N; qb++) {
		fprintf(out, "  %3d", qb);
		for (int qa = 1; qa <= CHECK_N; qa++)
			fprintf(out, "  %.3f (%.3f)", mc[qb - 1][qa - 1], se[qb - 1][qa - 1]);
		fputc('\n', out);
	}
	fputs("\nExact value of the model (first passage of the two best queues)\n  b\\a", out);
	for (int qa = 1; qa <= CHECK_N; qa++)
		fprintf(out, "  %13d", qa);
	fputc('\n', out);
	for (int qb = 1; qb <= CHECK_N; qb++) {
		fprintf(out, "  %3d", qb);
		for (int qa = 1; qa <= CHECK_N; qa++) {
			double d = fabs(mc[qb - 1][qa - 1] - ex[qb - 1][qa - 1]);
			double z = se[qb - 1][qa - 1] > 0 ? d / se[qb - 1][qa - 1] : 0.0;

			fprintf(out, "  %13.3f", ex[qb - 1][qa - 1]);
			worst = fmax(worst, d);
			worst_z = fmax(worst_z, z);
		}
		fputc('\n', out);
	}
	fprintf(out,
		"\nlargest |Monte Carlo - exact| = %.4f (%.1f standard errors)\n"
		"paper's published Table 3 values: not reproduced here (see docs/synth.md)\n",
		worst, worst_z);
	return worst_z > 5.0 ? -EDOM : 0;
}
