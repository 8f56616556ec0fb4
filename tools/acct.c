/* acct.c - paper-trading accounting (see acct.h and docs/paper.md (Reports)):
 * average-cost PnL kept exactly in 1e-4 USD, markouts resolved from a
 * preallocated queue of fills, presence time, a self-downsampling series
 * and the report writers. One thread; allocates only in acct_init. */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hw/compiler.h"
#include "tools/acct.h"

#define NONE UINT64_MAX
#define LOCATE_MAX 0xFFFFu
#define ALL_DONE ((1u << ACCT_N_HORIZONS) - 1u)

const int64_t acct_horizon_ns[ACCT_N_HORIZONS] = {
	100000000LL, 1000000000LL, 10000000000LL, 60000000000LL,
};
const char *const acct_horizon_name[ACCT_N_HORIZONS] = { "100ms", "1s", "10s", "60s" };

void acct_cfg_defaults(struct acct_cfg *cfg)
{
	cfg->n_symbols = 64;
	cfg->markout_cap = 65536;
	cfg->series_cap = 4096;
	cfg->series_interval_ns = 1000000000LL;
}

static void sym_reset(struct acct_sym *s, uint32_t locate)
{
	int h;

	memset(s, 0, sizeof(*s));
	s->locate = locate;
	for (h = 0; h < ACCT_N_HORIZONS; h++)
		s->mo_head[h] = NONE;
	s->mo_tail = NONE;
	s->mo_due = NONE;
}

COLD int acct_init(struct acct *a, const struct acct_cfg *cfg)
{
	uint32_t cap;

	if (!a || !cfg || cfg->n_symbols < 1 || cfg->n_symbols > LOCATE_MAX ||
	    cfg->markout_cap < 1 || cfg->series_cap < 4 || cfg->series_interval_ns <= 0 ||
	    cfg->series_cap > (1u << 24))
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	a->cfg = *cfg;
	cap = (cfg->series_cap + 1u) & ~1u;
	a->cfg.series_cap = cap;
	a->ser_n_sym = cfg->n_symbols;
	a->sym = calloc(cfg->n_symbols, sizeof(*a->sym));
	a->slot_of = calloc(LOCATE_MAX + 1u, sizeof(*a->slot_of));
	a->order = calloc(cfg->n_symbols, sizeof(*a->order));
	a->pend = calloc(cfg->markout_cap, sizeof(*a->pend));
	a->ser_t = calloc(cap, sizeof(*a->ser_t));
	a->ser_pnl = calloc(cap, sizeof(*a->ser_pnl));
	a->ser_net = calloc(cap, sizeof(*a->ser_net));
	a->ser_gross = calloc(cap, sizeof(*a->ser_gross));
	a->ser_pos = calloc((size_t)cap * cfg->n_symbols, sizeof(*a->ser_pos));
	if (!a->sym || !a->slot_of || !a->order || !a->pend || !a->ser_t || !a->ser_pnl || !a->ser_net ||
	    !a->ser_gross || !a->ser_pos) {
		acct_fini(a);
		return -ENOMEM;
	}
	sym_reset(&a->total, UINT32_MAX);
	strcpy(a->total.name, "total");
	a->ser_step = cfg->series_interval_ns;
	return 0;
}

COLD void acct_fini(struct acct *a)
{
	if (!a)
		return;
	free(a->sym);
	free(a->slot_of);
	free(a->order);
	free(a->pend);
	free(a->ser_t);
	free(a->ser_pnl);
	free(a->ser_net);
	free(a->ser_gross);
	free(a->ser_pos);
	memset(a, 0, sizeof(*a));
}

static struct acct_sym *slot_new(struct acct *a, uint32_t locate, int *rc);

/* The slot of locate, taking a new one on first use; NULL with *rc set.
 * Inline: every event pays for it (acct_on_mid), the first use is cold. */
static ALWAYS_INLINE struct acct_sym *slot_take(struct acct *a, uint32_t locate, int *rc)
{
	uint32_t i;

	if (locate > LOCATE_MAX) {
		*rc = -EINVAL;
		return NULL;
	}
	i = a->slot_of[locate];
	if (LIKELY(i))
		return &a->sym[i - 1];
	return slot_new(a, locate, rc);
}

static COLD struct acct_sym *slot_new(struct acct *a, uint32_t locate, int *rc)
{
	struct acct_sym *s;
	uint32_t j;

	if (a->n_used == a->cfg.n_symbols) {
		*rc = -ENOSPC;
		return NULL;
	}
	/* first use (cold): insert into the locate-ordered list */
	for (j = a->n_used; j > 0 && a->sym[a->order[j - 1]].locate > locate; j--)
		a->order[j] = a->order[j - 1];
	a->order[j] = a->n_used;
	s = &a->sym[a->n_used++];
	sym_reset(s, locate);
	snprintf(s->name, sizeof(s->name), "L%u", (unsigned)locate);
	a->slot_of[locate] = (uint16_t)a->n_used;
	return s;
}

const struct acct_sym *acct_sym_get(const struct acct *a, uint32_t locate)
{
	if (!a || locate > LOCATE_MAX || !a->slot_of[locate])
		return NULL;
	return &a->sym[a->slot_of[locate] - 1];
}

static bool name_ok(const char *name, size_t *len)
{
	size_t n, i;

	if (!name)
		return false;
	n = strlen(name);
	while (n && name[n - 1] == ' ')
		n--;
	if (n == 0 || n >= ACCT_NAME_LEN)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x21 || c > 0x7e || c == ',' || c == '"' || c == '\\')
			return false;
	}
	*len = n;
	return true;
}

COLD int acct_set_symbol(struct acct *a, uint32_t locate, const char *name)
{
	struct acct_sym *s;
	size_t n;
	int rc = 0;

	if (!a || !name_ok(name, &n))
		return -EINVAL;
	s = slot_take(a, locate, &rc);
	if (!s)
		return rc;
	memcpy(s->name, name, n);
	s->name[n] = '\0';
	return 0;
}

/* Decimal digits of v (1..20): from its bit length (x 1233 / 4096 is just
 * under log10(2)), one compare with the next power of ten. */
static inline int dec_digits(uint64_t v)
{
	static const uint64_t p10[20] = {
		1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
		100000000ull, 1000000000ull, 10000000000ull, 100000000000ull,
		1000000000000ull, 10000000000000ull, 100000000000000ull,
		1000000000000000ull, 10000000000000000ull, 100000000000000000ull,
		1000000000000000000ull, 10000000000000000000ull,
	};
	uint64_t v1 = v | 1; /* 0 has one digit; powers of ten past 1 are even */
	int n = ((64 - __builtin_clzll(v1)) * 1233) >> 12; /* 0..19 */

	return n + (v1 >= p10[n]);
}

/* The 8 decimal digits of v < 10^8 in ASCII (leading zeros kept), one per
 * byte, the most significant in the lowest byte: halves, quarters and
 * digits by multiply-shift divisions on every lane at once (no table, no
 * loop: the digit-pair loop cost ~120 Ir for a 14-digit stamp). */
static inline uint64_t dig8(uint32_t v)
{
	uint64_t y = (uint64_t)(v / 10000) | ((uint64_t)(v % 10000) << 32);
	uint64_t h = ((y * 5243) >> 19) & 0x0000007F0000007Full;   /* / 100, < 10^4 */
	uint64_t z = h | ((y - h * 100) << 16);
	uint64_t t = ((z * 103) >> 10) & 0x000F000F000F000Full;    /* / 10, < 100 */

	return (t | ((z - t * 10) << 8)) + 0x3030303030303030ull;
}

/* Store the low 2, 4 or 8 bytes of x at b, lowest byte first. */
static inline void st16(char *b, uint64_t x)
{
	uint16_t w = htole16((uint16_t)x);

	memcpy(b, &w, 2);
}

static inline void st32(char *b, uint64_t x)
{
	uint32_t w = htole32((uint32_t)x);

	memcpy(b, &w, 4);
}

static inline void st64(char *b, uint64_t x)
{
	uint64_t w = htole64(x);

	memcpy(b, &w, 8);
}

char *acct_put_u64(char *b, uint64_t v)
{
	/* 8-digit groups, each from dig8; the leading group without its
	 * zeros (shifted out of the low bytes). A full group's 8-byte store
	 * at b may run past the leading group's digits: the next group
	 * overwrites that part, so nothing past the number is written. */
	uint64_t hi, lo, d;
	int n;

	if (v < 10) { /* a third of the calls: reasons, codes, zero refs */
		*b = (char)('0' + v);
		return b + 1;
	}
	if (v < 100000000u) { /* 2..8 digits: two overlapping stores */
		n = dec_digits(v);
		d = dig8((uint32_t)v) >> (8 * (8 - n));
		if (n >= 4) {
			st32(b, d);
			st32(b + n - 4, d >> (8 * (n - 4)));
		} else {
			st16(b, d);
			st16(b + n - 2, d >> (8 * (n - 2)));
		}
		return b + n;
	}
	hi = v / 100000000u;
	lo = v - hi * 100000000u;
	if (hi >= 100000000u) { /* 17..20 digits */
		uint64_t top = hi / 100000000u;

		hi -= top * 100000000u;
		n = dec_digits(top);
		st64(b, dig8((uint32_t)top) >> (8 * (8 - n)));
		b += n;
		st64(b, dig8((uint32_t)hi));
		b += 8;
	} else {
		n = dec_digits(hi);
		st64(b, dig8((uint32_t)hi) >> (8 * (8 - n)));
		b += n;
	}
	st64(b, dig8((uint32_t)lo));
	return b + 8;
}

/* Formatted by hand (as "%s%" PRIu64 ".%04u"): fills.csv writes one per
 * fill. At most 1 + 15 + 1 + 4 + NUL = 22 bytes. */
const char *acct_fmt_e4(int64_t v, char *buf)
{
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	unsigned frac = (unsigned)(u % 10000u);
	char *b = buf;

	if (v < 0)
		*b++ = '-';
	b = acct_put_u64(b, u / 10000u);
	*b++ = '.';
	b[0] = (char)('0' + frac / 1000);
	b[1] = (char)('0' + frac / 100 % 10);
	b[2] = (char)('0' + frac / 10 % 10);
	b[3] = (char)('0' + frac % 10);
	b[4] = 0;
	return buf;
}

COLD int acct_attach_fills_csv(struct acct *a, FILE *f)
{
	if (!a)
		return -EINVAL;
	a->fills_csv = f;
	if (f && fputs("t_ns,symbol,side,price,qty,liquidity,fee,token\n", f) < 0)
		return -EIO;
	return 0;
}

int64_t acct_unrealised_e4(const struct acct_sym *s)
{
	return s->position * (int64_t)s->mark - s->basis_e4;
}

/* ---- series --------------------------------------------------------- */

/* Append the current state as the point at t; when full, keep every other
 * point (the first stays) and double the grid step. */
static void series_add(struct acct *a, uint64_t t)
{
	uint32_t cap = a->cfg.series_cap, n_sym = a->ser_n_sym, i, k;

	if (a->ser_n == cap) {
		for (i = 0; i < cap / 2; i++) {
			a->ser_t[i] = a->ser_t[2 * i];
			a->ser_pnl[i] = a->ser_pnl[2 * i];
			a->ser_net[i] = a->ser_net[2 * i];
			a->ser_gross[i] = a->ser_gross[2 * i];
			memmove(&a->ser_pos[(size_t)i * n_sym], &a->ser_pos[(size_t)2 * i * n_sym],
				n_sym * sizeof(*a->ser_pos));
		}
		a->ser_n = cap / 2;
		a->ser_step *= 2;
		a->ser_halvings++;
	}
	i = a->ser_n++;
	a->ser_t[i] = t;
	a->ser_pnl[i] = a->total.pnl_e4;
	a->ser_net[i] = a->total.position;
	a->ser_gross[i] = a->gross;
	for (k = 0; k < n_sym; k++)
		a->ser_pos[(size_t)i * n_sym + k] = k < a->n_used ? a->sym[k].position : 0;
}

static int time_advance_slow(struct acct *a, uint64_t t);

/* Time moves to t: samples every grid point before t with the state as it
 * was (a point at exactly t is taken by the next event or at finish).
 * Inline for the common case of no grid point passed. */
static ALWAYS_INLINE int time_advance(struct acct *a, uint64_t t)
{
	if (LIKELY(a->running) && LIKELY(t >= a->t_last) &&
	    LIKELY(a->ser_next >= t)) {
		a->t_last = t;
		return 0;
	}
	return time_advance_slow(a, t);
}

static int time_advance_slow(struct acct *a, uint64_t t)
{
	if (UNLIKELY(a->finished))
		return -EINVAL;
	if (UNLIKELY(!a->started)) {
		a->started = true;
		a->running = true;
		a->t_first = a->t_last = t;
		a->ser_next = t;
		return 0;
	}
	if (UNLIKELY(t < a->t_last))
		return -EINVAL;
	while (a->ser_next < t) {
		series_add(a, a->ser_next);
		a->ser_next += (uint64_t)a->ser_step;
	}
	a->t_last = t;
	return 0;
}

/* ---- PnL, drawdown -------------------------------------------------- */

static void dd_update(struct acct_sym *s)
{
	if (s->pnl_e4 > s->pnl_peak_e4)
		s->pnl_peak_e4 = s->pnl_e4;
	if (s->pnl_peak_e4 - s->pnl_e4 > s->max_dd_e4)
		s->max_dd_e4 = s->pnl_peak_e4 - s->pnl_e4;
}

/* Recompute s's pnl from cash and mark; carry the change to the total. */
static ALWAYS_INLINE void pnl_refresh(struct acct *a, struct acct_sym *s)
{
	int64_t pnl = s->cash_e4 + s->position * (int64_t)s->mark;

	a->total.pnl_e4 += pnl - s->pnl_e4;
	s->pnl_e4 = pnl;
	dd_update(s);
	dd_update(&a->total);
}

void acct_pnl_refresh(struct acct *a, struct acct_sym *s)
{
	pnl_refresh(a, s);
}

/* ---- markouts ------------------------------------------------------- */

static void mo_add(struct acct_markout *m, const struct acct_pending *r, uint32_t mid_x2,
		   bool past_end)
{
	m->sum_x2 += (int64_t)r->side * ((int64_t)mid_x2 - 2 * (int64_t)r->px) * r->qty;
	m->shares += r->qty;
	m->notional_e4 += (int64_t)r->px * r->qty;
	m->n++;
	if (past_end)
		m->n_past_end++;
}

/* Earliest horizon end among s's oldest unresolved fills (s->mo_due),
 * after its queue heads moved. */
static void mo_due_update(const struct acct *a, struct acct_sym *s)
{
	uint64_t cap = a->cfg.markout_cap, due = NONE;
	int h;

	for (h = 0; h < ACCT_N_HORIZONS; h++) {
		if (s->mo_head[h] != NONE) {
			uint64_t d = a->pend[s->mo_head[h] % cap].t_ns + (uint64_t)acct_horizon_ns[h];

			if (d < due)
				due = d;
		}
	}
	s->mo_due = due;
}

static bool mo_resolve_due(struct acct *a, struct acct_sym *s, uint64_t t, bool all);

/* Resolve s's fills whose horizon ended before t (every one when all) at
 * the current mid of s, which is the last mid at or before each horizon.
 * Returns whether any was resolved. Most calls (a quote with no horizon
 * due) return at the inline mo_due check. */
static ALWAYS_INLINE bool mo_resolve(struct acct *a, struct acct_sym *s, uint64_t t, bool all)
{
	if (!all && s->mo_due >= t)
		return false;
	return mo_resolve_due(a, s, t, all);
}

static bool mo_resolve_due(struct acct *a, struct acct_sym *s, uint64_t t, bool all)
{
	uint64_t cap = a->cfg.markout_cap;
	bool any = false;
	int h;

	for (h = 0; h < ACCT_N_HORIZONS; h++) {
		while (s->mo_head[h] != NONE) {
			struct acct_pending *r = &a->pend[s->mo_head[h] % cap];
			uint64_t due = r->t_ns + (uint64_t)acct_horizon_ns[h];

			if (!all && due >= t)
				break;
			if (s->mid_x2) {
				mo_add(&s->mo[h], r, s->mid_x2, due > t);
				mo_add(&a->total.mo[h], r, s->mid_x2, due > t);
			} else {
				s->mo[h].n_no_mid++;
				a->total.mo[h].n_no_mid++;
			}
			r->done |= (uint8_t)(1u << h);
			s->mo_head[h] = r->next;
			any = true;
		}
	}
	if (any)
		mo_due_update(a, s);
	return any;
}

/* Release fully resolved fills from the front of the ring. */
static void mo_release(struct acct *a)
{
	uint64_t cap = a->cfg.markout_cap;

	while (a->pend_head != a->pend_tail) {
		struct acct_pending *r = &a->pend[a->pend_head % cap];
		struct acct_sym *s = &a->sym[r->slot];

		if (r->done != ALL_DONE)
			break;
		if (s->mo_tail == a->pend_head)
			s->mo_tail = NONE;
		a->pend_head++;
	}
}

/* Ring full: give up the oldest fill's unresolved horizons. */
static void mo_drop_oldest(struct acct *a)
{
	uint64_t cap = a->cfg.markout_cap;
	struct acct_pending *r = &a->pend[a->pend_head % cap];
	struct acct_sym *s = &a->sym[r->slot];
	int h;

	for (h = 0; h < ACCT_N_HORIZONS; h++) {
		if (!(r->done & (1u << h)) && s->mo_head[h] == a->pend_head) {
			s->mo_head[h] = r->next;
			r->done |= (uint8_t)(1u << h);
		}
	}
	mo_due_update(a, s);
	a->mo_overflow++;
	mo_release(a);
}

static void mo_enqueue(struct acct *a, struct acct_sym *s, uint64_t t, int side, uint32_t px,
		       uint32_t qty)
{
	uint64_t cap = a->cfg.markout_cap, seq;
	struct acct_pending *r;
	int h;

	if (a->pend_tail - a->pend_head == cap)
		mo_drop_oldest(a);
	seq = a->pend_tail++;
	r = &a->pend[seq % cap];
	r->t_ns = t;
	r->next = NONE;
	r->px = px;
	r->qty = qty;
	r->slot = (uint32_t)(s - a->sym);
	r->side = (int8_t)side;
	r->done = 0;
	if (s->mo_tail != NONE)
		a->pend[s->mo_tail % cap].next = seq;
	s->mo_tail = seq;
	for (h = 0; h < ACCT_N_HORIZONS; h++)
		if (s->mo_head[h] == NONE)
			s->mo_head[h] = seq;
	mo_due_update(a, s);
}

/* ---- events --------------------------------------------------------- */

static int64_t abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

static void gross_update(struct acct *a, int64_t old_pos, int64_t new_pos)
{
	a->gross += abs64(new_pos) - abs64(old_pos);
	if (a->gross > a->total.max_inventory)
		a->total.max_inventory = a->gross;
}

static int fills_csv_line(struct acct *a, const struct acct_sym *s, uint64_t t, char side,
			  uint32_t px, uint32_t qty, char liq, int32_t fee, uint64_t token)
{
	/* t_ns,symbol,side,price,qty,liquidity,fee,token by hand: at most
	 * 20 + 15 + 1 + 10 + 10 + 1 + 22 + 20 bytes, 7 commas and a newline */
	char line[128], *b = acct_put_u64(line, t);
	const char *c;

	*b++ = ',';
	for (c = s->name; *c; c++)
		*b++ = *c;
	*b++ = ',';
	*b++ = side;
	*b++ = ',';
	b = acct_put_u64(b, px);
	*b++ = ',';
	b = acct_put_u64(b, qty);
	*b++ = ',';
	*b++ = liq;
	*b++ = ',';
	acct_fmt_e4(fee, b);
	b += strlen(b);
	*b++ = ',';
	b = acct_put_u64(b, token);
	*b++ = '\n';
	if (fwrite(line, 1, (size_t)(b - line), a->fills_csv) != (size_t)(b - line)) {
		a->fills_csv_err = -EIO;
		return -EIO;
	}
	return 0;
}

int acct_on_fill(struct acct *a, uint64_t t_ns, uint32_t locate, char side, uint32_t px,
		 uint32_t qty, char liquidity, int32_t fee_e4, uint64_t token)
{
	struct acct_sym *s, *tot;
	int64_t d, q, pos, qc, removed = 0, notional, real_d, basis_d, old_pos;
	int rc = 0;

	if (!a || (side != 'B' && side != 'S') || (liquidity != 'A' && liquidity != 'R') ||
	    px == 0 || px > INT32_MAX || qty == 0 || qty > INT32_MAX || locate > LOCATE_MAX)
		return -EINVAL;
	rc = time_advance(a, t_ns);
	if (rc)
		return rc;
	s = slot_take(a, locate, &rc);
	if (!s)
		return rc;
	tot = &a->total;
	mo_resolve(a, s, t_ns, false);

	/* Average cost: the closing part realises against the basis it
	 * removes (rounded toward zero); the opening part adds to it. */
	d = side == 'B' ? 1 : -1;
	q = qty;
	pos = old_pos = s->position;
	qc = 0;
	if (pos != 0 && (pos > 0) != (d > 0)) {
		int64_t ap = pos < 0 ? -pos : pos;

		qc = q < ap ? q : ap;
		removed = qc == ap ? s->basis_e4 : s->basis_e4 * qc / ap;
	}
	real_d = -d * (int64_t)px * qc - removed;
	basis_d = -removed + d * (int64_t)px * (q - qc);
	notional = (int64_t)px * q;

	s->realised_e4 += real_d;
	s->basis_e4 += basis_d;
	s->position += d * q;
	s->cash_e4 -= d * notional + fee_e4;
	s->fees_e4 += fee_e4;
	tot->realised_e4 += real_d;
	tot->basis_e4 += basis_d;
	tot->position += d * q;
	tot->cash_e4 -= d * notional + fee_e4;
	tot->fees_e4 += fee_e4;
	if (!s->mid_x2)
		s->mark = px;

	/* effective spread at the mid standing at fill time */
	if (s->mid_x2) {
		int64_t e = d * ((int64_t)s->mid_x2 - 2 * (int64_t)px) * q;

		s->eff_sum_x2 += e;
		s->eff_shares += q;
		tot->eff_sum_x2 += e;
		tot->eff_shares += q;
	}
	s->fills++;
	tot->fills++;
	s->shares += q;
	tot->shares += q;
	s->notional_e4 += notional;
	tot->notional_e4 += notional;
	if (liquidity == 'A') {
		s->maker_fills++, tot->maker_fills++;
		s->maker_shares += q, tot->maker_shares += q;
		s->maker_fees_e4 += fee_e4, tot->maker_fees_e4 += fee_e4;
	} else {
		s->taker_fills++, tot->taker_fills++;
		s->taker_shares += q, tot->taker_shares += q;
		s->taker_fees_e4 += fee_e4, tot->taker_fees_e4 += fee_e4;
	}
	if (abs64(s->position) > s->max_inventory)
		s->max_inventory = abs64(s->position);
	gross_update(a, old_pos, s->position);
	pnl_refresh(a, s);
	mo_enqueue(a, s, t_ns, (int)d, px, qty);
	mo_release(a);
	if (a->fills_csv)
		return fills_csv_line(a, s, t_ns, side, px, qty, liquidity, fee_e4, token);
	return 0;
}

int acct_on_mid_full(struct acct *a, uint64_t t_ns, uint32_t locate, uint32_t bid_px,
		     uint32_t ask_px)
{
	struct acct_sym *s;
	int rc = 0;

	if (!a || locate > LOCATE_MAX)
		return -EINVAL;
	if (bid_px == 0 || ask_px == 0 || bid_px > ask_px || ask_px > INT32_MAX)
		return -EDOM;
	rc = time_advance(a, t_ns);
	if (rc)
		return rc;
	s = slot_take(a, locate, &rc);
	if (!s)
		return rc;
	/* The front of the ring is never fully resolved between calls: only
	 * a resolution here can let mo_release free anything. */
	if (mo_resolve(a, s, t_ns, false))
		mo_release(a);
	s->t_mid = t_ns;
	/* The same mid (the top moved, not its middle): mark and pnl stand
	 * (pnl_refresh follows every change of cash, position or mark). */
	if (s->mid_x2 == bid_px + ask_px)
		return 0;
	s->mid_x2 = bid_px + ask_px;
	s->mark = s->mid_x2 / 2;
	pnl_refresh(a, s);
	return 0;
}

static void presence_close(struct acct *a, struct acct_sym *s, uint64_t t)
{
	uint64_t dt;

	if (!s->pres_seen)
		return;
	dt = t - s->pres_t;
	if (s->pres_eligible) {
		s->eligible_ns += dt;
		a->total.eligible_ns += dt;
		if (s->pres_two_sided) {
			s->two_sided_ns += dt;
			a->total.two_sided_ns += dt;
		}
	}
	s->pres_t = t;
}

int acct_on_presence(struct acct *a, uint64_t t_ns, uint32_t locate, bool eligible,
		     bool two_sided)
{
	struct acct_sym *s;
	int rc = 0;

	if (!a)
		return -EINVAL;
	rc = time_advance(a, t_ns);
	if (rc)
		return rc;
	s = slot_take(a, locate, &rc);
	if (!s)
		return rc;
	presence_close(a, s, t_ns);
	s->pres_seen = true;
	s->pres_t = t_ns;
	s->pres_eligible = eligible;
	s->pres_two_sided = two_sided;
	return 0;
}

static int count_bump(struct acct *a, uint32_t locate, int which)
{
	struct acct_sym *s;
	int rc = 0;

	if (!a || a->finished)
		return -EINVAL;
	s = slot_take(a, locate, &rc);
	if (!s)
		return rc;
	if (which == 0)
		s->orders++, a->total.orders++;
	else if (which == 1)
		s->cancels++, a->total.cancels++;
	else
		s->rejects++, a->total.rejects++;
	return 0;
}

int acct_on_order(struct acct *a, uint32_t locate)
{
	return count_bump(a, locate, 0);
}

int acct_on_cancel(struct acct *a, uint32_t locate)
{
	return count_bump(a, locate, 1);
}

int acct_on_reject(struct acct *a, uint32_t locate)
{
	return count_bump(a, locate, 2);
}

int acct_set_kill(struct acct *a, uint64_t t_ns, uint32_t locate, const char *reason)
{
	struct acct_sym *s;
	int rc = 0;

	if (!a || !reason || !reason[0] || a->finished)
		return -EINVAL;
	if (locate == ACCT_ALL) {
		s = &a->total;
	} else {
		s = slot_take(a, locate, &rc);
		if (!s)
			return rc;
	}
	if (s->kill_reason[0])
		return 0;
	snprintf(s->kill_reason, sizeof(s->kill_reason), "%s", reason);
	s->kill_t = t_ns;
	return 0;
}

COLD int acct_finish(struct acct *a, uint64_t t_ns)
{
	uint32_t i;
	int rc;

	if (!a)
		return -EINVAL;
	rc = time_advance(a, t_ns);
	if (rc)
		return rc;
	for (i = 0; i < a->n_used; i++) {
		presence_close(a, &a->sym[i], t_ns);
		mo_resolve(a, &a->sym[i], t_ns, true);
	}
	mo_release(a);
	if (a->started) {
		while (a->ser_next <= t_ns) {
			series_add(a, a->ser_next);
			a->ser_next += (uint64_t)a->ser_step;
		}
		if (a->ser_t[a->ser_n - 1] != t_ns)
			series_add(a, t_ns);
	}
	a->finished = true;
	a->running = false;
	return 0;
}

/* ---- writers -------------------------------------------------------- */

static void put_ratio(FILE *f, const char *key, double num, double den, double scale,
		      const char *tail)
{
	double v;

	if (!(den != 0.0)) {
		fprintf(f, "\"%s\": null%s", key, tail);
		return;
	}
	v = num / den * scale;
	if (fabs(v) < 5e-7)
		v = 0.0;
	fprintf(f, "\"%s\": %.6f%s", key, v, tail);
}

static void put_money(FILE *f, const char *key, int64_t v, const char *tail)
{
	char b[24];

	fprintf(f, "\"%s\": %s%s", key, acct_fmt_e4(v, b), tail);
}

static void put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* The metrics of one symbol (unreal_e4 given: the total sums its symbols'). */
static void put_metrics(FILE *f, const struct acct_sym *s, int64_t unreal_e4, const char *ind)
{
	int h;

	fprintf(f, "%s\"fills\": %" PRIu64 ",\n", ind, s->fills);
	fprintf(f, "%s\"orders\": %" PRIu64 ",\n", ind, s->orders);
	fprintf(f, "%s\"cancels\": %" PRIu64 ",\n", ind, s->cancels);
	fprintf(f, "%s\"rejects\": %" PRIu64 ",\n", ind, s->rejects);
	fprintf(f, "%s\"position\": %" PRId64 ",\n", ind, s->position);
	fprintf(f, "%s", ind), put_money(f, "cash", s->cash_e4, ",\n");
	fprintf(f, "%s", ind), put_money(f, "pnl_realised", s->realised_e4, ",\n");
	fprintf(f, "%s", ind), put_money(f, "pnl_unrealised", unreal_e4, ",\n");
	fprintf(f, "%s", ind), put_money(f, "pnl_total", s->pnl_e4, ",\n");
	fprintf(f, "%s", ind), put_money(f, "fees", s->fees_e4, ",\n");
	fprintf(f, "%s\"volume\": {\"shares\": %" PRId64 ", ", ind, s->shares);
	put_money(f, "notional", s->notional_e4, "},\n");
	fprintf(f, "%s\"maker\": {\"fills\": %" PRIu64 ", \"shares\": %" PRId64 ", ", ind,
		s->maker_fills, s->maker_shares);
	put_money(f, "fees", s->maker_fees_e4, "},\n");
	fprintf(f, "%s\"taker\": {\"fills\": %" PRIu64 ", \"shares\": %" PRId64 ", ", ind,
		s->taker_fills, s->taker_shares);
	put_money(f, "fees", s->taker_fees_e4, "},\n");
	fprintf(f, "%s", ind);
	put_ratio(f, "maker_share", (double)s->maker_shares, (double)s->shares, 1.0, ",\n");
	fprintf(f, "%s", ind);
	put_ratio(f, "effective_spread", (double)s->eff_sum_x2, (double)s->eff_shares, 1e-4,
		  ",\n");
	fprintf(f, "%s", ind);
	put_ratio(f, "realised_spread", (double)s->mo[ACCT_H_1S].sum_x2,
		  (double)s->mo[ACCT_H_1S].shares, 1e-4, ",\n");
	fprintf(f, "%s\"markouts\": {", ind);
	for (h = 0; h < ACCT_N_HORIZONS; h++)
		put_ratio(f, acct_horizon_name[h], (double)s->mo[h].sum_x2,
			  2.0 * (double)s->mo[h].shares, 1e-4,
			  h + 1 < ACCT_N_HORIZONS ? ", " : "},\n");
	fprintf(f, "%s\"markout_fills\": {", ind);
	for (h = 0; h < ACCT_N_HORIZONS; h++)
		fprintf(f, "\"%s\": %" PRIu64 "%s", acct_horizon_name[h], s->mo[h].n,
			h + 1 < ACCT_N_HORIZONS ? ", " : "},\n");
	fprintf(f, "%s\"markout_past_end\": {", ind);
	for (h = 0; h < ACCT_N_HORIZONS; h++)
		fprintf(f, "\"%s\": %" PRIu64 "%s", acct_horizon_name[h], s->mo[h].n_past_end,
			h + 1 < ACCT_N_HORIZONS ? ", " : "},\n");
	fprintf(f, "%s", ind);
	/* -(sum markout x2 / 2) / notional x 1e4: markout per share over VWAP */
	put_ratio(f, "adverse_selection_bps", -(double)s->mo[ACCT_H_1S].sum_x2,
		  2.0 * (double)s->mo[ACCT_H_1S].notional_e4, 1e4, ",\n");
	fprintf(f, "%s\"eligible_ns\": %" PRIu64 ",\n", ind, s->eligible_ns);
	fprintf(f, "%s\"two_sided_ns\": %" PRIu64 ",\n", ind, s->two_sided_ns);
	fprintf(f, "%s", ind);
	put_ratio(f, "presence_two_sided", (double)s->two_sided_ns, (double)s->eligible_ns, 1.0,
		  ",\n");
	fprintf(f, "%s", ind);
	put_ratio(f, "fill_ratio", (double)s->fills, (double)s->orders, 1.0, ",\n");
	fprintf(f, "%s", ind);
	put_ratio(f, "cancel_fill_ratio", (double)s->cancels, (double)s->fills, 1.0, ",\n");
	fprintf(f, "%s\"max_inventory\": %" PRId64 ",\n", ind, s->max_inventory);
	fprintf(f, "%s", ind), put_money(f, "max_drawdown", s->max_dd_e4, ",\n");
	fprintf(f, "%s\"kill_reason\": ", ind);
	if (s->kill_reason[0]) {
		put_string(f, s->kill_reason);
		fprintf(f, ",\n%s\"kill_t_ns\": %" PRIu64 "\n", ind, s->kill_t);
	} else {
		fprintf(f, "null,\n%s\"kill_t_ns\": null\n", ind);
	}
}

COLD int acct_write_json(const struct acct *a, FILE *f)
{
	int64_t unreal_total = 0;
	uint32_t k, n = 0;
	int h;

	if (!a || !f || !a->finished)
		return -EINVAL;
	fprintf(f, "{\n  \"version\": 1,\n");
	fprintf(f, "  \"t_start_ns\": %" PRIu64 ",\n  \"t_end_ns\": %" PRIu64 ",\n", a->t_first,
		a->t_last);
	fprintf(f, "  \"markout_horizons_ns\": [");
	for (h = 0; h < ACCT_N_HORIZONS; h++)
		fprintf(f, "%" PRId64 "%s", acct_horizon_ns[h],
			h + 1 < ACCT_N_HORIZONS ? ", " : "],\n");
	fprintf(f, "  \"markout_overflow\": %" PRIu64 ",\n", a->mo_overflow);
	fprintf(f, "  \"symbols\": [");
	for (k = 0; k < a->n_used; k++) {
		const struct acct_sym *s = &a->sym[a->order[k]];
		int64_t u;

		u = acct_unrealised_e4(s);
		unreal_total += u;
		fprintf(f, "%s\n    {\n      \"symbol\": ", n++ ? "," : "");
		put_string(f, s->name);
		fprintf(f, ",\n      \"locate\": %u,\n", (unsigned)s->locate);
		put_metrics(f, s, u, "      ");
		fprintf(f, "    }");
	}
	fprintf(f, "%s],\n  \"total\": {\n", n ? "\n  " : "");
	put_metrics(f, &a->total, unreal_total, "    ");
	fprintf(f, "  }\n}\n");
	return ferror(f) ? -EIO : 0;
}

COLD int acct_write_series_csv(const struct acct *a, FILE *f)
{
	uint32_t k, i, n_sym;
	char b[24];

	if (!a || !f)
		return -EINVAL;
	n_sym = a->ser_n_sym;
	fprintf(f, "t_ns,pnl_total,position_net,position_gross");
	for (k = 0; k < a->n_used; k++)
		fprintf(f, ",%s", a->sym[a->order[k]].name);
	fputc('\n', f);
	for (i = 0; i < a->ser_n; i++) {
		fprintf(f, "%" PRIu64 ",%s,%" PRId64 ",%" PRId64, a->ser_t[i],
			acct_fmt_e4(a->ser_pnl[i], b), a->ser_net[i], a->ser_gross[i]);
		for (k = 0; k < a->n_used; k++)
			fprintf(f, ",%" PRId64, a->ser_pos[(size_t)i * n_sym + a->order[k]]);
		fputc('\n', f);
	}
	return ferror(f) ? -EIO : 0;
}
