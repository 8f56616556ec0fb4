/* synth_model.c - synth's sessions: symbols, the opening (system events,
 * directory, trading actions, initial books), flow from one CST book per
 * symbol merged in time (cst: the paper's clock; many: Zipf activity, bursty
 * clock, halts, hidden trades), model events as ITCH 5.0, the close.
 * Single-threaded. */
#include "tools/synth.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Same seed, same bytes, whichever compiler: no fused multiply-adds
 * (clang contracts a * b + c by default; gcc in ISO C mode does not, and
 * does not know the pragma). */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#define NS_PER_S 1000000000.0
#define T_OPEN_NS UINT64_C(34200000000000)   /* 09:30:00 */
#define T_DAY_MAX_NS UINT64_C(86399999999999) /* 23:59:59.999999999 */
#define PREAMBLE_STEP_NS 10u
#define LOT 100u                  /* shares per model unit */
#define INIT_DEPTH 5              /* initial book: distances 1..5 per side */
#define TICK_MAX INT64_C(42949672) /* price = tick * 100 must fit in u32 */
#define TRAILER_MSGS 3            /* S M, S E, S C */
#define SESSION_S (6.5 * 3600.0 * 0.95) /* cst auto speed: fit in market hours */

/* ITCH decorations of model events (both presets). */
#define P_MPID 0.08       /* adds carrying an attribution: F instead of A */
#define P_EXEC_C 0.02     /* executions reported as C (with price) */
#define P_C_NONPRINT 0.10 /* of those, not printable */
#define P_DEFER 0.8       /* full cancels held back to become a U if the
			   * symbol's next event adds on the same side */
/* many only. */
#define MANY_P_TRADE 0.02        /* hidden-order trades (P) per flow event */
#define MANY_P_HALT (1.0 / 250000.0)
#define MANY_HALT_MEAN_S 2.0
#define MANY_RATE_CALM 20000.0   /* messages per exchange second */
#define MANY_RATE_BURST 400000.0
#define MANY_CALM_MEAN_S 0.2     /* mean regime durations */
#define MANY_BURST_MEAN_S 0.005
#define MANY_ZIPF_S 1.0

static const char mpids[][5] = { "GSCO", "MSCO", "UBSS", "NITE", "VIRT", "CDRG", "JPMS",
				 "SUSQ" };

struct sym {
	struct synth_cst_book book;
	char stock[8];
	uint16_t locate;
	double w;            /* activity weight: the book's rates are w * CST's */
	double t_next;       /* model time of its next event */
	uint64_t resume_ns;  /* halted until (exchange time) */
	uint64_t pend_ref;   /* a full cancel held back (see P_DEFER) */
	uint8_t pend_side;
	uint8_t has_pend;
	uint8_t halted;
	int64_t base_tick;
};

struct model {
	const struct synth_cfg *cfg;
	struct synth_out *o;
	struct synth_cst_params params;
	struct synth_pool pool;
	struct sym *s;
	uint32_t n;
	uint32_t *heap, hn;
	struct synth_rng r;
	double t_model;      /* model seconds since the flow started */
	double ts_f;         /* exchange ns, fractional */
	uint64_t ts;         /* exchange ns since midnight */
	double ns_per_model_s;
	int burst;
	uint64_t regime_end;
	double scale_calm, scale_burst;
	uint64_t match;
	uint32_t *halted, nhalted;
	uint64_t budget;     /* messages before the trailer */
	int full;
	int err;
	struct timespec last_progress;
	uint64_t next_progress; /* message count of the next wall-clock look */
	FILE *errf;
};

/* ------------------------------------------------------------ emitting */

static void emit(struct model *md, struct itch_msg *m)
{
	int rc;

	if (md->full)
		return;
	m->ts_ns = md->ts;
	rc = synth_out_msg(md->o, m);
	if (rc && !md->err)
		md->err = rc;
	if (synth_out_count(md->o) >= md->budget)
		md->full = 1;
}

static void msg_init(struct itch_msg *m, uint8_t type, uint16_t locate)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->locate = locate;
}

static void emit_system(struct model *md, uint8_t code)
{
	struct itch_msg m;

	msg_init(&m, 'S', 0);
	m.system_event.event_code = code;
	emit(md, &m);
}

static void emit_action(struct model *md, struct sym *s, uint8_t state, const char *reason)
{
	struct itch_msg m;

	msg_init(&m, 'H', s->locate);
	memcpy(m.trading_action.stock, s->stock, 8);
	m.trading_action.state = state;
	m.trading_action.reserved = ' ';
	memcpy(m.trading_action.reason, reason, 4);
	emit(md, &m);
}

static void emit_delete(struct model *md, struct sym *s, uint64_t ref)
{
	struct itch_msg m;

	msg_init(&m, 'D', s->locate);
	m.del.ref = ref;
	emit(md, &m);
}

static void flush_pending(struct model *md, struct sym *s)
{
	if (s->has_pend) {
		s->has_pend = 0;
		emit_delete(md, s, s->pend_ref);
	}
}

static void emit_add(struct model *md, struct sym *s, const struct synth_cst_event *ev)
{
	struct itch_msg m;
	int f = synth_rng_unit(&md->r) < P_MPID;

	msg_init(&m, f ? 'F' : 'A', s->locate);
	m.add.ref = ev->ref;
	m.add.side = ev->side;
	m.add.shares = ev->units * LOT;
	memcpy(m.add.stock, s->stock, 8);
	m.add.price = ev->tick * 100u;
	memcpy(m.add.mpid, f ? mpids[synth_rng_below(&md->r, ARRAY_SIZE(mpids))] : "    ", 4);
	emit(md, &m);
}

/* One model event of symbol s as ITCH messages. */
static void emit_event(struct model *md, struct sym *s, const struct synth_cst_event *ev)
{
	struct itch_msg m;

	switch (ev->kind) {
	case SYNTH_CST_NONE:
		break;
	case SYNTH_CST_ADD:
		if (s->has_pend && s->pend_side == ev->side) {
			/* The held-back cancel and this add are one replace. */
			msg_init(&m, 'U', s->locate);
			m.replace.old_ref = s->pend_ref;
			m.replace.new_ref = ev->ref;
			m.replace.shares = ev->units * LOT;
			m.replace.price = ev->tick * 100u;
			s->has_pend = 0;
			emit(md, &m);
		} else {
			flush_pending(md, s);
			emit_add(md, s, ev);
		}
		break;
	case SYNTH_CST_EXEC:
		flush_pending(md, s);
		if (synth_rng_unit(&md->r) < P_EXEC_C) {
			msg_init(&m, 'C', s->locate);
			m.exec.printable = synth_rng_unit(&md->r) < P_C_NONPRINT ? 'N' : 'Y';
			m.exec.price = ev->tick * 100u;
		} else {
			msg_init(&m, 'E', s->locate);
			m.exec.printable = 'Y';
		}
		m.exec.ref = ev->ref;
		m.exec.shares = ev->units * LOT;
		m.exec.match = ++md->match;
		emit(md, &m);
		break;
	case SYNTH_CST_CANCEL:
		flush_pending(md, s);
		if (ev->left > 0) {
			msg_init(&m, 'X', s->locate);
			m.cancel.ref = ev->ref;
			m.cancel.shares = ev->units * LOT;
			emit(md, &m);
		} else if (synth_rng_unit(&md->r) < P_DEFER) {
			s->has_pend = 1;
			s->pend_ref = ev->ref;
			s->pend_side = ev->side;
		} else {
			emit_delete(md, s, ev->ref);
		}
		break;
	case SYNTH_CST_PURGE:
		flush_pending(md, s);
		emit_delete(md, s, ev->ref);
		break;
	}
}

/* ---------------------------------------------------------------- heap */

static int heap_less(const struct model *md, uint32_t a, uint32_t b)
{
	const struct sym *x = &md->s[a], *y = &md->s[b];

	return x->t_next < y->t_next || (x->t_next == y->t_next && a < b);
}

static void heap_down(struct model *md, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i, t;

		if (l < md->hn && heap_less(md, md->heap[l], md->heap[m]))
			m = l;
		if (r < md->hn && heap_less(md, md->heap[r], md->heap[m]))
			m = r;
		if (m == i)
			return;
		t = md->heap[i];
		md->heap[i] = md->heap[m];
		md->heap[m] = t;
		i = m;
	}
}

static void schedule(struct model *md, struct sym *s)
{
	double rate = s->w * s->book.rate;

	s->t_next = rate > 0.0 ? md->t_model + synth_rng_exp(&md->r, rate) : INFINITY;
}

/* ------------------------------------------------------------- symbols */

/* Four letters from index k: a bijection of 0..26^4-1 (odd multiplier,
 * coprime to 26^4) so neighbouring locates get unrelated names. */
static void symbol_name(uint32_t k, char stock[8])
{
	uint32_t x = (uint32_t)(((uint64_t)k * 7919u + 104729u) % (26u * 26u * 26u * 26u));

	for (int i = 3; i >= 0; i--) {
		stock[i] = (char)('A' + x % 26u);
		x /= 26u;
	}
	memset(stock + 4, ' ', 4);
}

static uint32_t init_units(const struct synth_cst_params *p, int d)
{
	long u = lround(p->lambda[d] / p->theta[d]);

	return u < 1 ? 1u : (uint32_t)u;
}

uint64_t synth_model_overhead(const struct synth_cfg *cfg)
{
	struct synth_cst_params p;
	uint64_t per = 0;

	synth_cst_params_paper(&p);
	for (int d = 1; d <= INIT_DEPTH; d++)
		per += 2 * init_units(&p, d);
	/* S O, R each, S S, H each, initial adds, S Q; the trailer. */
	return 3 + (uint64_t)cfg->symbols * (2 + per) + TRAILER_MSGS;
}

static int model_init(struct model *md, const struct synth_cfg *cfg, struct synth_out *o,
		      FILE *err)
{
	uint32_t *perm;
	double h = 0.0;

	memset(md, 0, sizeof(*md));
	md->cfg = cfg;
	md->o = o;
	md->errf = err;
	md->n = cfg->symbols;
	synth_rng_seed(&md->r, cfg->seed, cfg->model == SYNTH_MODEL_CST ? 0xC57 : 0x3A7);
	synth_cst_params_paper(&md->params);
	/* Compound arrivals: orders of 1..5 units (mean 1.48), so partial
	 * executions and partial cancels (X) occur; units still arrive at
	 * lambda(i). docs/synth.md. */
	md->params.size_p[0] = 0.70;
	md->params.size_p[1] = 0.15;
	md->params.size_p[2] = 0.08;
	md->params.size_p[3] = 0.04;
	md->params.size_p[4] = 0.03;
	synth_cst_params_prepare(&md->params);
	if (synth_pool_init(&md->pool, 1000 + synth_rng_below(&md->r, 1000000)) != 0)
		return -ENOMEM;
	md->s = calloc(md->n, sizeof(*md->s));
	md->heap = malloc(sizeof(*md->heap) * md->n);
	md->halted = malloc(sizeof(*md->halted) * md->n);
	perm = malloc(sizeof(*perm) * md->n);
	if (!md->s || !md->heap || !md->halted || !perm) {
		free(perm);
		return -ENOMEM;
	}
	/* Activity rank: a seeded permutation, weight 1 / rank^s (many). */
	for (uint32_t i = 0; i < md->n; i++)
		perm[i] = i;
	for (uint32_t i = md->n; i > 1; i--) {
		uint32_t j = synth_rng_below(&md->r, i), t = perm[i - 1];

		perm[i - 1] = perm[j];
		perm[j] = t;
	}
	for (uint32_t i = 0; i < md->n; i++)
		h += 1.0 / pow((double)(i + 1), MANY_ZIPF_S);
	for (uint32_t i = 0; i < md->n; i++) {
		struct sym *s = &md->s[i];
		/* Base price log-uniform in $20..$500. */
		double px = 20.0 * exp(log(25.0) * synth_rng_unit(&md->r));

		symbol_name(i, s->stock);
		s->locate = (uint16_t)(i + 1);
		s->base_tick = (int64_t)llround(px * 100.0);
		s->w = cfg->model == SYNTH_MODEL_MANY
			       ? (double)md->n / pow((double)(perm[i] + 1), MANY_ZIPF_S) / h
			       : 1.0;
		synth_cst_book_init(&s->book, &md->params, TICK_MAX);
	}
	free(perm);
	return 0;
}

static void model_fini(struct model *md)
{
	if (md->s)
		for (uint32_t i = 0; i < md->n; i++)
			synth_cst_book_clear(&md->s[i].book, &md->pool);
	free(md->s);
	free(md->heap);
	free(md->halted);
	synth_pool_fini(&md->pool);
}

/* --------------------------------------------------------------- clock */

/* Move the exchange clock to model time t. */
static void clock_to(struct model *md, double t)
{
	const struct synth_cfg *cfg = md->cfg;
	double dt = t - md->t_model;

	md->t_model = t;
	if (cfg->model == SYNTH_MODEL_MANY) {
		md->ts_f += dt * (md->burst ? md->scale_burst : md->scale_calm);
	} else {
		md->ts_f += dt * md->ns_per_model_s;
	}
	if (md->ts_f > (double)T_DAY_MAX_NS)
		md->ts_f = (double)T_DAY_MAX_NS;
	if ((uint64_t)md->ts_f > md->ts)
		md->ts = (uint64_t)md->ts_f;
	if (cfg->model == SYNTH_MODEL_MANY && md->ts >= md->regime_end) {
		double mean = md->burst ? MANY_CALM_MEAN_S : MANY_BURST_MEAN_S;

		md->burst = !md->burst;
		md->regime_end = md->ts + (uint64_t)(synth_rng_exp(&md->r, 1.0 / mean) * NS_PER_S);
	}
}

/* ------------------------------------------------------------ progress */

static void progress(struct model *md)
{
	struct timespec now;
	double dt;

	if (md->cfg->quiet)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (md->last_progress.tv_sec == 0) {
		md->last_progress = now;
		return;
	}
	dt = (double)(now.tv_sec - md->last_progress.tv_sec) +
	     (double)(now.tv_nsec - md->last_progress.tv_nsec) / NS_PER_S;
	if (dt < 1.0)
		return;
	fprintf(md->errf, "tickwire synth: %llu of %llu messages (%.0f%%)\n",
		(unsigned long long)synth_out_count(md->o),
		(unsigned long long)md->cfg->messages,
		100.0 * (double)synth_out_count(md->o) / (double)md->cfg->messages);
	md->last_progress = now;
}

/* ----------------------------------------------------------------- run */

static void preamble(struct model *md)
{
	struct synth_cst_event ev;
	struct itch_msg m;

	md->ts = T_OPEN_NS;
	emit_system(md, 'O');
	for (uint32_t i = 0; i < md->n; i++) {
		struct sym *s = &md->s[i];

		md->ts += PREAMBLE_STEP_NS;
		msg_init(&m, 'R', s->locate);
		memcpy(m.directory.stock, s->stock, 8);
		m.directory.market_category = "QGS"[i % 3];
		m.directory.financial_status = 'N';
		m.directory.round_lot_size = LOT;
		m.directory.round_lots_only = 'N';
		m.directory.issue_classification = 'C';
		memcpy(m.directory.issue_sub_type, "Z ", 2);
		m.directory.authenticity = 'P';
		m.directory.short_sale_threshold = 'N';
		m.directory.ipo_flag = 'N';
		m.directory.luld_tier = i % 5 == 0 ? '1' : '2';
		m.directory.etp_flag = 'N';
		m.directory.etp_leverage = 0;
		m.directory.inverse = 'N';
		emit(md, &m);
	}
	md->ts += PREAMBLE_STEP_NS;
	emit_system(md, 'S');
	for (uint32_t i = 0; i < md->n; i++) {
		md->ts += PREAMBLE_STEP_NS;
		emit_action(md, &md->s[i], 'T', "    ");
	}
	/* Initial books, spread one tick: units lambda(d) / theta(d) at
	 * distance d = 1..5 from the opposite quote, as one-unit orders. */
	for (uint32_t i = 0; i < md->n; i++) {
		struct sym *s = &md->s[i];
		int64_t ask = s->base_tick, bid = ask - 1;

		for (int d = 1; d <= INIT_DEPTH; d++)
			for (uint32_t k = 0; k < init_units(&md->params, d); k++) {
				md->ts += PREAMBLE_STEP_NS;
				if (synth_cst_place(&s->book, &md->pool, 'B', ask - d, 1, &ev) == 0)
					emit_add(md, s, &ev);
				md->ts += PREAMBLE_STEP_NS;
				if (synth_cst_place(&s->book, &md->pool, 'S', bid + d, 1, &ev) == 0)
					emit_add(md, s, &ev);
			}
	}
	md->ts += PREAMBLE_STEP_NS;
	emit_system(md, 'Q');
	md->ts_f = (double)md->ts;
}

static void halt_check(struct model *md)
{
	for (uint32_t k = 0; k < md->nhalted;) {
		struct sym *s = &md->s[md->halted[k]];

		if (s->resume_ns > md->ts) {
			k++;
			continue;
		}
		s->halted = 0;
		emit_action(md, s, 'T', "    ");
		md->halted[k] = md->halted[--md->nhalted];
	}
}

/* Decorations of the many preset that take a symbol's event slot. 1 if
 * this event was one of them. */
static int many_extra(struct model *md, struct sym *s)
{
	double u = synth_rng_unit(&md->r);
	struct itch_msg m;

	if (u < MANY_P_HALT) {
		flush_pending(md, s);
		s->halted = 1;
		s->resume_ns = md->ts + (uint64_t)((0.25 + synth_rng_exp(&md->r,
								 1.0 / MANY_HALT_MEAN_S)) *
						   NS_PER_S);
		md->halted[md->nhalted++] = (uint32_t)(s - md->s);
		emit_action(md, s, 'H', synth_rng_unit(&md->r) < 0.7 ? "LUDP" : "T1  ");
		return 1;
	}
	if (u < MANY_P_HALT + MANY_P_TRADE && s->book.bid >= 0 && s->book.ask >= 0) {
		/* A hidden order trades: printed, the displayed book unchanged. */
		int buy = synth_rng_unit(&md->r) < 0.5;

		msg_init(&m, 'P', s->locate);
		m.trade.ref = 0;
		m.trade.side = buy ? 'B' : 'S';
		m.trade.shares = LOT * (1 + synth_rng_below(&md->r, 3));
		memcpy(m.trade.stock, s->stock, 8);
		m.trade.price = (uint32_t)(buy ? s->book.ask : s->book.bid) * 100u;
		m.trade.match = ++md->match;
		emit(md, &m);
		return 1;
	}
	return 0;
}

int synth_model_run(const struct synth_cfg *cfg, struct synth_out *o, FILE *err)
{
	struct model *md = malloc(sizeof(*md));
	struct synth_cst_event ev;
	double rate0 = 0.0;
	int rc;

	if (cfg->messages <= synth_model_overhead(cfg) || cfg->symbols == 0 ||
	    cfg->symbols > SYNTH_SYMBOLS_MAX) {
		free(md);
		return -EINVAL;
	}
	if (!md)
		return -ENOMEM;
	rc = model_init(md, cfg, o, err);
	if (rc)
		goto out;
	md->budget = cfg->messages - TRAILER_MSGS;
	preamble(md);

	/* The clock: model seconds to exchange nanoseconds. */
	for (uint32_t i = 0; i < md->n; i++)
		rate0 += md->s[i].w * md->s[i].book.rate;
	if (cfg->model == SYNTH_MODEL_MANY) {
		md->scale_calm = rate0 / MANY_RATE_CALM * NS_PER_S;
		md->scale_burst = rate0 / MANY_RATE_BURST * NS_PER_S;
		md->regime_end = md->ts + (uint64_t)(synth_rng_exp(&md->r, 1.0 / MANY_CALM_MEAN_S) *
						     NS_PER_S);
	} else {
		double speed = cfg->speed, flow = (double)(md->budget - synth_out_count(o));

		if (speed <= 0.0) {
			double dur = rate0 > 0.0 ? flow / rate0 : 0.0;

			speed = dur > SESSION_S ? dur / SESSION_S : 1.0;
		}
		md->ns_per_model_s = NS_PER_S / speed;
	}
	for (uint32_t i = 0; i < md->n; i++) {
		schedule(md, &md->s[i]);
		md->heap[i] = i;
	}
	md->hn = md->n;
	for (uint32_t i = md->n / 2; i-- > 0;)
		heap_down(md, i);

	while (!md->full && !md->err && md->hn) {
		uint32_t si = md->heap[0];
		struct sym *s = &md->s[si];

		if (!isfinite(s->t_next))
			break; /* every book is empty: nothing can happen */
		clock_to(md, s->t_next);
		if (md->nhalted)
			halt_check(md);
		if (s->halted || (cfg->model == SYNTH_MODEL_MANY && many_extra(md, s))) {
			/* Halted: the symbol is silent; its chain waits. */
		} else {
			if (synth_cst_step(&s->book, &md->pool, &md->r, &ev) != 0) {
				rc = -ENOMEM;
				break;
			}
			emit_event(md, s, &ev);
			while (synth_cst_purge(&s->book, &md->pool, &ev))
				emit_event(md, s, &ev);
		}
		schedule(md, s);
		heap_down(md, 0);
		if (synth_out_count(o) >= md->next_progress) {
			md->next_progress = synth_out_count(o) + 65536;
			progress(md);
		}
	}
	if (rc == 0)
		rc = md->err;
	if (rc == 0) {
		/* Market close: end of market hours, of system hours, of messages. */
		md->full = 0;
		md->budget = cfg->messages;
		for (const char *c = "MEC"; *c; c++) {
			md->ts = md->ts + 1000 > T_DAY_MAX_NS ? T_DAY_MAX_NS : md->ts + 1000;
			emit_system(md, (uint8_t)*c);
		}
		rc = md->err;
	}
out:
	model_fini(md);
	free(md);
	return rc;
}
