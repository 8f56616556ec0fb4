/* test_acct.c - cmocka tests of paper-trading accounting (tools/acct.c) and
 * its plots (tools/report_plot.c): hand-computed PnL with fees and rebates,
 * the PnL identity at every fill of a seeded run, markout resolution,
 * report.json recomputed from fills.csv, presence time, series
 * downsampling, argument checks, and the gnuplot outputs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/hdr.h"
#include "tests/test_fs.h"
#include "tools/acct.h"
#include "tools/report_plot.h"

#define S(x) ((uint64_t)(x) * 1000000000ull)  /* seconds -> ns */
#define MS(x) ((uint64_t)(x) * 1000000ull)

static void acct_open(struct acct *a, uint32_t n_sym)
{
	struct acct_cfg cfg;

	acct_cfg_defaults(&cfg);
	cfg.n_symbols = n_sym;
	assert_int_equal(acct_init(a, &cfg), 0);
}

/* report.json as a string (caller frees). */
static char *json_of(const struct acct *a)
{
	FILE *f = tmpfile();
	char *buf;
	long len;

	assert_non_null(f);
	assert_int_equal(acct_write_json(a, f), 0);
	len = ftell(f);
	assert_true(len > 0);
	rewind(f);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* Parse a "d.dddd" dollar value at p into 1e-4 USD exactly. */
static int64_t parse_e4(const char *p)
{
	int64_t sign = 1, whole = 0, frac = 0;
	int digits = 0;

	if (*p == '-')
		sign = -1, p++;
	while (*p >= '0' && *p <= '9')
		whole = whole * 10 + (*p++ - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			frac = frac * 10 + (*p - '0');
	assert_int_equal(digits, 4);
	return sign * (whole * 10000 + frac);
}

/* The value text of key in the object that starts at from (first match). */
static const char *json_find(const char *from, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(from, pat);
	if (!p)
		fail_msg("key %s not found", key);
	return p + strlen(pat);
}

/* Where the object of symbol name starts in json ("total" for the total). */
static const char *json_obj(const char *json, const char *name)
{
	char pat[64];
	const char *p;

	if (strcmp(name, "total") == 0)
		snprintf(pat, sizeof(pat), "\"total\": {");
	else
		snprintf(pat, sizeof(pat), "\"symbol\": \"%s\"", name);
	p = strstr(json, pat);
	if (!p)
		fail_msg("object %s not found in\n%s", name, json);
	return p;
}

static void check_identity(const struct acct_sym *s)
{
	int64_t u = acct_unrealised_e4(s);

	assert_int_equal(s->pnl_e4, s->cash_e4 + s->position * (int64_t)s->mark);
	assert_int_equal(s->pnl_e4, s->realised_e4 + u - s->fees_e4);
}

/* Buy 100 @ 10.00 with a rebate, sell 60 @ 10.05 with a fee, the mark
 * moves, then sell 70 @ 10.08 through zero to short 30. */
static void test_hand_scenario(void **state)
{
	struct acct a;
	const struct acct_sym *s;
	char *js;
	const char *o;

	(void)state;
	acct_open(&a, 4);
	assert_int_equal(acct_set_symbol(&a, 7, "ABC     "), 0);
	assert_int_equal(acct_on_mid(&a, S(1), 7, 99900, 100100), 0);
	/* rebate 0.0020 $/share on 100 shares */
	assert_int_equal(acct_on_fill(&a, S(2), 7, 'B', 100000, 100, 'A', -2000, 1), 0);
	s = acct_sym_get(&a, 7);
	assert_non_null(s);
	assert_string_equal(s->name, "ABC");
	assert_int_equal(s->position, 100);
	assert_int_equal(s->basis_e4, 10000000);
	assert_int_equal(s->cash_e4, -9998000);
	assert_int_equal(s->realised_e4, 0);
	assert_int_equal(acct_unrealised_e4(s), 0);
	assert_int_equal(s->pnl_e4, 2000);
	check_identity(s);

	/* fee 0.0030 $/share on 60 shares: realised 60 x 0.05 = 3.00 */
	assert_int_equal(acct_on_fill(&a, S(3), 7, 'S', 100500, 60, 'R', 1800, 2), 0);
	assert_int_equal(s->position, 40);
	assert_int_equal(s->basis_e4, 4000000);
	assert_int_equal(s->realised_e4, 30000);
	assert_int_equal(s->cash_e4, -3969800);
	assert_int_equal(s->fees_e4, -200);
	assert_int_equal(acct_unrealised_e4(s), 0);
	assert_int_equal(s->pnl_e4, 30200);
	check_identity(s);

	/* mark to 10.10: unrealised 40 x 0.10 = 4.00 */
	assert_int_equal(acct_on_mid(&a, S(4), 7, 100900, 101100), 0);
	assert_int_equal(s->mark, 101000);
	assert_int_equal(acct_unrealised_e4(s), 40000);
	assert_int_equal(s->pnl_e4, 70200);
	check_identity(s);

	/* sell 70 @ 10.08: closes 40 (+3.20), opens 30 short at 10.08 */
	assert_int_equal(acct_on_fill(&a, S(5), 7, 'S', 100800, 70, 'R', 2100, 3), 0);
	assert_int_equal(s->position, -30);
	assert_int_equal(s->basis_e4, -3024000);
	assert_int_equal(s->realised_e4, 62000);
	assert_int_equal(s->cash_e4, 3084100);
	assert_int_equal(s->fees_e4, 1900);
	assert_int_equal(acct_unrealised_e4(s), -6000);
	assert_int_equal(s->pnl_e4, 54100);
	check_identity(s);
	assert_int_equal(s->max_inventory, 100);
	/* peak 7.02 at the mark move, then 5.41 */
	assert_int_equal(s->max_dd_e4, 70200 - 54100);
	assert_int_equal(a.total.pnl_e4, 54100);
	assert_int_equal(s->maker_shares, 100);
	assert_int_equal(s->taker_shares, 130);
	assert_int_equal(s->notional_e4, 10000000 + 6030000 + 7056000);

	assert_int_equal(acct_finish(&a, S(6)), 0);
	js = json_of(&a);
	o = json_obj(js, "ABC");
	assert_int_equal(parse_e4(json_find(o, "pnl_realised")), 62000);
	assert_int_equal(parse_e4(json_find(o, "pnl_unrealised")), -6000);
	assert_int_equal(parse_e4(json_find(o, "pnl_total")), 54100);
	assert_int_equal(parse_e4(json_find(o, "fees")), 1900);
	assert_int_equal(parse_e4(json_find(o, "max_drawdown")), 16100);
	assert_non_null(strstr(o, "\"volume\": {\"shares\": 230, \"notional\": 2308.6000}"));
	assert_non_null(strstr(o, "\"maker\": {\"fills\": 1, \"shares\": 100, \"fees\": -0.2000}"));
	assert_non_null(strstr(o, "\"taker\": {\"fills\": 2, \"shares\": 130, \"fees\": 0.3900}"));
	assert_non_null(strstr(o, "\"fill_ratio\": null"));
	o = json_obj(js, "total");
	assert_int_equal(parse_e4(json_find(o, "pnl_total")), 54100);
	assert_int_equal(parse_e4(json_find(o, "pnl_unrealised")), -6000);
	free(js);
	acct_fini(&a);
}

/* Partial closes round the removed basis toward zero; the identity holds. */
static void test_average_cost_rounding(void **state)
{
	struct acct a;
	const struct acct_sym *s;

	(void)state;
	acct_open(&a, 1);
	assert_int_equal(acct_on_fill(&a, 1, 1, 'B', 100000, 1, 'A', 0, 1), 0);
	assert_int_equal(acct_on_fill(&a, 2, 1, 'B', 100001, 2, 'A', 0, 2), 0);
	s = acct_sym_get(&a, 1);
	/* no mid yet: the mark is the last fill price */
	assert_int_equal(s->mark, 100001);
	assert_int_equal(acct_on_fill(&a, 3, 1, 'S', 100000, 1, 'A', 0, 3), 0);
	/* removed 300002 / 3 = 100000 (rounded down): realised 0 */
	assert_int_equal(s->realised_e4, 0);
	assert_int_equal(s->basis_e4, 200002);
	check_identity(s);
	assert_int_equal(acct_on_fill(&a, 4, 1, 'S', 100000, 2, 'A', 0, 4), 0);
	assert_int_equal(s->position, 0);
	assert_int_equal(s->basis_e4, 0);
	assert_int_equal(s->realised_e4, -2);
	check_identity(s);
	/* short side: sell 3 @ 10, buy back 1 @ 9.99 */
	assert_int_equal(acct_on_fill(&a, 5, 1, 'S', 100000, 3, 'A', 0, 5), 0);
	assert_int_equal(acct_on_fill(&a, 6, 1, 'B', 99900, 1, 'A', 0, 6), 0);
	assert_int_equal(s->realised_e4, -2 + 100);
	assert_int_equal(s->basis_e4, -200000);
	check_identity(s);
	acct_fini(&a);
}

static uint64_t rng_next(uint64_t *x)
{
	/* splitmix64 */
	uint64_t z = (*x += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

#define RND_SYMS 3
#define RND_STEPS 4000

struct ref_sym {
	int64_t pos, cash, fees, basis, realised;
	uint32_t mark;
	bool has_mid;
};

/* Independent average cost: per-share average as a rational (basis, pos);
 * a close realises qc x (px - basis / |pos|) with the removed basis rounded
 * toward zero, the rule docs/paper.md (Reports) states. */
static void ref_fill(struct ref_sym *r, char side, int64_t px, int64_t q, int64_t fee)
{
	int64_t sgn = side == 'B' ? 1 : -1;

	r->cash += side == 'B' ? -px * q : px * q;
	r->cash -= fee;
	r->fees += fee;
	if (r->pos * sgn < 0) {
		int64_t ap = r->pos > 0 ? r->pos : -r->pos;
		int64_t qc = q < ap ? q : ap;
		int64_t rm = r->basis / ap * qc + (r->basis % ap) * qc / ap;

		/* long: sold qc at px; short: bought qc at px */
		r->realised += r->pos > 0 ? qc * px - rm : -qc * px - rm;
		r->basis -= rm;
		r->pos += sgn * qc;
		q -= qc;
	}
	r->basis += sgn * px * q;
	r->pos += sgn * q;
	if (!r->has_mid)
		r->mark = (uint32_t)px;
}

/* A seeded random session of fills and mid moves over three symbols, with
 * fills.csv attached. The identity and the reference are checked at every
 * fill; returns the fills.csv text (caller frees) and leaves a finished. */
static char *random_session(struct acct *a, uint64_t seed, struct ref_sym *ref)
{
	static const char *const names[RND_SYMS] = { "AAA", "BBB", "CCC" };
	static const uint32_t locs[RND_SYMS] = { 30, 10, 20 };
	uint32_t mid[RND_SYMS] = { 500000, 123400, 20050 };
	char *csv = NULL;
	size_t csv_len = 0;
	FILE *f = open_memstream(&csv, &csv_len);
	uint64_t t = S(34200), x = seed;
	int i, k;

	assert_non_null(f);
	acct_open(a, 8);
	memset(ref, 0, sizeof(*ref) * RND_SYMS);
	for (k = 0; k < RND_SYMS; k++)
		assert_int_equal(acct_set_symbol(a, locs[k], names[k]), 0);
	assert_int_equal(acct_attach_fills_csv(a, f), 0);
	for (i = 0; i < RND_STEPS; i++) {
		uint64_t r = rng_next(&x);
		const struct acct_sym *s;

		k = (int)(r % RND_SYMS);
		t += (r >> 8) % MS(300);
		if ((r >> 40) % 3 == 0) {
			int64_t step = (int64_t)((r >> 20) % 7) - 3;
			uint32_t half = 50 + (uint32_t)((r >> 30) % 3) * 25;

			mid[k] = (uint32_t)((int64_t)mid[k] + step * 100);
			assert_int_equal(acct_on_mid(a, t, locs[k], mid[k] - half, mid[k] + half), 0);
			ref[k].mark = mid[k];
			ref[k].has_mid = true;
		} else {
			char side = (r >> 33) & 1 ? 'B' : 'S';
			uint32_t qty = 1 + (uint32_t)((r >> 34) % 300);
			uint32_t px = mid[k] + (uint32_t)((r >> 44) % 5) * 100 - 200;
			char liq = (r >> 50) & 1 ? 'A' : 'R';
			int32_t fee = liq == 'A' ? -(int32_t)(20 * qty) : (int32_t)(30 * qty);

			assert_int_equal(acct_on_fill(a, t, locs[k], side, px, qty, liq, fee, i), 0);
			ref_fill(&ref[k], side, px, qty, fee);
			s = acct_sym_get(a, locs[k]);
			check_identity(s);
			assert_int_equal(s->position, ref[k].pos);
			assert_int_equal(s->cash_e4, ref[k].cash);
			assert_int_equal(s->realised_e4, ref[k].realised);
			assert_int_equal(s->mark, ref[k].mark);
			assert_int_equal(s->pnl_e4, ref[k].cash + ref[k].pos * (int64_t)ref[k].mark);
		}
		{
			int64_t sum = 0;

			for (k = 0; k < RND_SYMS; k++)
				sum += acct_sym_get(a, locs[k]) ? acct_sym_get(a, locs[k])->pnl_e4 : 0;
			assert_int_equal(a->total.pnl_e4, sum);
		}
	}
	assert_int_equal(acct_finish(a, t + MS(500)), 0);
	fclose(f);
	return csv;
}

/* Series CSV as a string (caller frees). */
static char *series_of(const struct acct *a)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(acct_write_series_csv(a, f), 0);
	fclose(f);
	return buf;
}

/* acct_on_mid's inline part (acct.h) against acct_on_mid_full on the same
 * seeded stream: quotes that repeat, move with and without a position,
 * cross series grid points and markout horizons, plus refused ones, with
 * fills that often flatten the position. Every return code, every symbol
 * slot, the total and both reports must match. skip_same: the quotes
 * acct_mid_same calls unchanged are not given to the first account at
 * all (a small markout ring, so that one left out past a due markout
 * would free ring slots late); the slots then match but for t_mid. */
static void mid_stream(bool skip_same)
{
	static const uint32_t locs[RND_SYMS] = { 30, 10, 20 };
	uint32_t mid[RND_SYMS] = { 500000, 123400, 20050 };
	uint64_t t = S(34200), x = 7;
	uint32_t same_mid = 0, flat_move = 0, grid_move = 0, fills = 0, skipped = 0, due = 0;
	struct acct_cfg cfg;
	struct acct a, b;
	char *ja, *jb, *sa, *sb;

	acct_cfg_defaults(&cfg);
	cfg.n_symbols = 4;
	cfg.series_interval_ns = (int64_t)MS(1); /* grid points between markouts */
	cfg.series_cap = 1u << 17;
	if (skip_same)
		cfg.markout_cap = 64;
	assert_int_equal(acct_init(&a, &cfg), 0);
	assert_int_equal(acct_init(&b, &cfg), 0);
	for (int i = 0; i < 20000; i++) {
		uint64_t r = rng_next(&x);
		int k = (int)(r % RND_SYMS);
		const struct acct_sym *s = acct_sym_get(&a, locs[k]);
		uint32_t bid, ask;

		/* mostly tens of us apart: many quotes per series step, a
		 * few steps of a tenth of a second (markout horizons) */
		t += (r >> 8) % 64 == 0 ? (r >> 16) % MS(400) : (r >> 16) % 50000;
		if ((r >> 40) % 8 == 0) {
			char side = (r >> 33) & 1 ? 'B' : 'S';
			int64_t pos = s ? s->position : 0;
			/* half of them close the position exactly */
			uint32_t qty = pos && (r >> 34) & 1 ? (uint32_t)(pos < 0 ? -pos : pos)
							   : 1 + (uint32_t)((r >> 35) % 300);

			if (pos && (r >> 34) & 1)
				side = pos > 0 ? 'S' : 'B';
			assert_int_equal(acct_on_fill(&a, t, locs[k], side, mid[k], qty, 'A', -20, i),
					 acct_on_fill(&b, t, locs[k], side, mid[k], qty, 'A', -20, i));
			fills++;
			continue;
		}
		if ((r >> 44) % 4 == 0)
			mid[k] = (uint32_t)((int64_t)mid[k] + ((int64_t)((r >> 46) % 3) - 1) * 100);
		bid = mid[k] - 100;
		ask = mid[k] + 100;
		switch ((r >> 50) % 32) {
		case 0: bid = 0; break;           /* one-sided */
		case 1: bid = ask + 100; break;   /* crossed */
		case 2: ask = bid; break;         /* locked: accepted */
		default: break;
		}
		if (s && s->mid_x2 == bid + ask)
			same_mid++;
		else if (s && !s->position && bid && bid < ask)
			flat_move++;
		else if (s && bid && bid < ask && t > a.ser_next && t <= s->mo_due)
			grid_move++;
		if (skip_same && s && s->mid_x2 == bid + ask && t > s->mo_due)
			due++;
		if (skip_same && acct_mid_same(s, t, bid, ask)) {
			skipped++;
			assert_int_equal(acct_on_mid_full(&b, t, locs[k], bid, ask), 0);
			continue;
		}
		assert_int_equal(acct_on_mid(&a, t, locs[k], bid, ask),
				 acct_on_mid_full(&b, t, locs[k], bid, ask));
		if (!skip_same)
			assert_int_equal(a.t_last, b.t_last);
	}
	if (skip_same) {
		print_message("acct_mid_same: %u quotes left out, %u same-mid with a markout "
			      "due\n", skipped, due);
		assert_true(skipped > 5000 && due > 100);
		for (uint32_t i = 0; i < a.n_used; i++)
			a.sym[i].t_mid = b.sym[i].t_mid; /* (read by nothing) */
	}
	/* the stream has the inline cases (the same mid, a move with no
	 * position) and the full ones (a move with a series point due) */
	assert_true(same_mid > 5000 && flat_move > 500 && grid_move > 100 && fills > 1000);
	/* refused calls: a NULL account, a locate out of range, after finish */
	assert_int_equal(acct_on_mid(NULL, t, 1, 100, 102), -EINVAL);
	assert_int_equal(acct_on_mid(&a, t, 0x10000, 100, 102), -EINVAL);
	if (!skip_same)
		assert_int_equal(acct_on_mid(&a, t - 1, locs[0], 100, 102),
				 acct_on_mid_full(&b, t - 1, locs[0], 100, 102));
	assert_int_equal(a.n_used, b.n_used);
	assert_memory_equal(a.sym, b.sym, a.n_used * sizeof(a.sym[0]));
	assert_memory_equal(&a.total, &b.total, sizeof(a.total));
	assert_int_equal(acct_finish(&a, t + 1), 0);
	assert_int_equal(acct_finish(&b, t + 1), 0);
	assert_int_equal(acct_on_mid(&a, t + 2, locs[0], 100, 102), -EINVAL);
	ja = json_of(&a);
	jb = json_of(&b);
	sa = series_of(&a);
	sb = series_of(&b);
	assert_string_equal(ja, jb);
	assert_string_equal(sa, sb);
	free(ja);
	free(jb);
	free(sa);
	free(sb);
	acct_fini(&a);
	acct_fini(&b);
}

static void test_mid_inline(void **state)
{
	(void)state;
	mid_stream(false);
}

/* A caller may leave out what acct_mid_same calls unchanged: the same
 * accounts, reports and series as with every quote given. */
static void test_mid_same(void **state)
{
	(void)state;
	mid_stream(true);
}

static void test_identity_random(void **state)
{
	struct ref_sym ref[RND_SYMS];
	struct acct a;
	char *csv;

	(void)state;
	csv = random_session(&a, 42, ref);
	assert_true(a.total.fills > RND_STEPS / 2);
	assert_int_equal(a.fills_csv_err, 0);
	free(csv);
	acct_fini(&a);
}

/* report.json's PnL, fees and volume recomputed from fills.csv alone, with
 * the marks the session set. */
static void test_json_from_fills_csv(void **state)
{
	static const char *const names[RND_SYMS] = { "AAA", "BBB", "CCC" };
	struct ref_sym ref[RND_SYMS], re[RND_SYMS];
	int64_t tot_pnl = 0, tot_real = 0, tot_fees = 0, tot_shares = 0;
	struct acct a;
	char *csv, *js, *line, *save = NULL;
	int k, rows = 0;

	(void)state;
	csv = random_session(&a, 7, ref);
	memset(re, 0, sizeof(re));
	line = strtok_r(csv, "\n", &save);
	assert_string_equal(line, "t_ns,symbol,side,price,qty,liquidity,fee,token");
	while ((line = strtok_r(NULL, "\n", &save))) {
		char sym[16], side, liq, fee[32];
		unsigned long long t, tok;
		unsigned px, qty;

		assert_int_equal(sscanf(line, "%llu,%15[^,],%c,%u,%u,%c,%31[^,],%llu", &t, sym, &side,
					&px, &qty, &liq, fee, &tok), 8);
		for (k = 0; k < RND_SYMS && strcmp(sym, names[k]); k++)
			;
		assert_true(k < RND_SYMS);
		assert_true(side == 'B' || side == 'S');
		assert_true(liq == 'A' || liq == 'R');
		ref_fill(&re[k], side, px, qty, parse_e4(fee));
		tot_shares += qty;
		rows++;
	}
	assert_int_equal((uint64_t)rows, a.total.fills);
	js = json_of(&a);
	for (k = 0; k < RND_SYMS; k++) {
		const char *o = json_obj(js, names[k]);
		/* the marks come from the session (mids are not in fills.csv) */
		int64_t mark = ref[k].has_mid ? ref[k].mark : re[k].mark;
		int64_t pnl = re[k].cash + re[k].pos * mark;
		int64_t unreal = re[k].pos * mark - re[k].basis;

		assert_int_equal(parse_e4(json_find(o, "pnl_total")), pnl);
		assert_int_equal(parse_e4(json_find(o, "pnl_realised")), re[k].realised);
		assert_int_equal(parse_e4(json_find(o, "pnl_unrealised")), unreal);
		assert_int_equal(parse_e4(json_find(o, "fees")), re[k].fees);
		assert_int_equal(parse_e4(json_find(o, "cash")), re[k].cash);
		assert_int_equal(strtoll(json_find(o, "position"), NULL, 10), re[k].pos);
		assert_int_equal(pnl, re[k].realised + unreal - re[k].fees);
		tot_pnl += pnl;
		tot_real += re[k].realised;
		tot_fees += re[k].fees;
	}
	{
		const char *o = json_obj(js, "total");
		char pat[64];

		assert_int_equal(parse_e4(json_find(o, "pnl_total")), tot_pnl);
		assert_int_equal(parse_e4(json_find(o, "pnl_realised")), tot_real);
		assert_int_equal(parse_e4(json_find(o, "fees")), tot_fees);
		snprintf(pat, sizeof(pat), "\"volume\": {\"shares\": %" PRId64 ",", tot_shares);
		assert_non_null(strstr(o, pat));
	}
	/* symbols in locate order: BBB (10), CCC (20), AAA (30), then total */
	assert_true(json_obj(js, "BBB") < json_obj(js, "CCC"));
	assert_true(json_obj(js, "CCC") < json_obj(js, "AAA"));
	assert_true(json_obj(js, "AAA") < json_obj(js, "total"));
	free(js);
	free(csv);
	acct_fini(&a);
}

/* Same session twice: byte-identical report.json and series CSV. */
static void test_json_deterministic(void **state)
{
	struct ref_sym ref[RND_SYMS];
	struct acct a, b;
	char *c1, *c2, *j1, *j2, *s1 = NULL, *s2 = NULL;
	size_t l1 = 0, l2 = 0;
	FILE *f;

	(void)state;
	c1 = random_session(&a, 99, ref);
	c2 = random_session(&b, 99, ref);
	assert_string_equal(c1, c2);
	j1 = json_of(&a);
	j2 = json_of(&b);
	assert_string_equal(j1, j2);
	f = open_memstream(&s1, &l1);
	assert_int_equal(acct_write_series_csv(&a, f), 0);
	fclose(f);
	f = open_memstream(&s2, &l2);
	assert_int_equal(acct_write_series_csv(&b, f), 0);
	fclose(f);
	assert_string_equal(s1, s2);
	assert_int_equal(strncmp(s1, "t_ns,pnl_total,position_net,position_gross,BBB,CCC,AAA\n", 55),
			 0);
	free(c1), free(c2), free(j1), free(j2), free(s1), free(s2);
	acct_fini(&a);
	acct_fini(&b);
}

static void test_markouts(void **state)
{
	struct acct a;
	const struct acct_sym *s, *n;
	const uint64_t t0 = S(1);
	char *js;
	const char *o;

	(void)state;
	acct_open(&a, 4);
	assert_int_equal(acct_set_symbol(&a, 5, "MKO"), 0);
	assert_int_equal(acct_on_mid(&a, t0, 5, 99900, 100100), 0);
	assert_int_equal(acct_on_fill(&a, t0, 5, 'B', 100000, 100, 'A', 0, 1), 0);
	assert_int_equal(acct_on_mid(&a, t0 + MS(50), 5, 100000, 100200), 0);
	/* exactly at the 100 ms horizon: counts ("at or before") */
	assert_int_equal(acct_on_mid(&a, t0 + MS(100), 5, 100100, 100300), 0);
	assert_int_equal(acct_on_mid(&a, t0 + MS(100) + 1, 5, 100200, 100400), 0);
	s = acct_sym_get(&a, 5);
	assert_int_equal(s->mo[0].n, 1);
	assert_int_equal(s->mo[0].sum_x2, (200400 - 200000) * 100);
	assert_int_equal(acct_on_mid(&a, t0 + MS(500), 5, 100200, 100400), 0);
	assert_int_equal(acct_on_mid(&a, t0 + S(1), 5, 100300, 100500), 0);      /* mid 10.04 */
	assert_int_equal(acct_on_mid(&a, t0 + S(1) + 1, 5, 100400, 100600), 0);  /* mid 10.05 */
	assert_int_equal(s->mo[1].n, 1);
	assert_int_equal(s->mo[1].sum_x2, (200800 - 200000) * 100);
	assert_int_equal(s->mo[2].n, 0);
	/* the next mid comes long after the 10 s and 60 s horizons */
	assert_int_equal(acct_on_mid(&a, S(75), 5, 98900, 99100), 0);
	assert_int_equal(s->mo[2].n, 1);
	assert_int_equal(s->mo[3].n, 1);
	assert_int_equal(s->mo[2].sum_x2, (201000 - 200000) * 100);
	assert_int_equal(s->mo[3].sum_x2, (201000 - 200000) * 100);
	assert_int_equal(a.pend_head, a.pend_tail);  /* released */

	/* sell 50 @ 9.91 at mid 9.90; the run ends 500 ms later */
	assert_int_equal(acct_on_fill(&a, S(100), 5, 'S', 99100, 50, 'A', 0, 2), 0);
	assert_int_equal(s->eff_sum_x2, (200000 - 200000) * 100 + 200 * 50);
	/* a fill on a symbol with no mid until after its 100 ms horizon */
	assert_int_equal(acct_on_fill(&a, S(100), 6, 'B', 50000, 10, 'R', 0, 3), 0);
	assert_int_equal(acct_on_mid(&a, S(100) + MS(300), 6, 50100, 50300), 0);
	assert_int_equal(acct_finish(&a, S(100) + MS(500)), 0);
	assert_int_equal(s->mo[0].n, 2);
	assert_int_equal(s->mo[0].n_past_end, 0);
	assert_int_equal(s->mo[0].sum_x2, 400 * 100 + 200 * 50);
	assert_int_equal(s->mo[1].n_past_end, 1);
	assert_int_equal(s->mo[1].sum_x2, 800 * 100 + 200 * 50);
	assert_int_equal(s->mo[3].n_past_end, 1);
	assert_int_equal(s->mo[3].sum_x2, 1000 * 100 + 200 * 50);
	n = acct_sym_get(&a, 6);
	assert_int_equal(n->mo[0].n_no_mid, 1);
	assert_int_equal(n->mo[0].n, 0);
	assert_int_equal(n->mo[1].n, 1);
	assert_int_equal(n->mo[1].sum_x2, (100400 - 100000) * 10);
	assert_int_equal(n->eff_shares, 0);
	assert_int_equal(a.pend_head, a.pend_tail);

	js = json_of(&a);
	o = json_obj(js, "MKO");
	/* 100 ms: (0.02 x 100 + 0.01 x 50) / 150 */
	assert_non_null(strstr(o, "\"markouts\": {\"100ms\": 0.016667, \"1s\": 0.030000, "
				  "\"10s\": 0.036667, \"60s\": 0.036667}"));
	assert_non_null(strstr(o, "\"realised_spread\": 0.060000"));
	assert_non_null(strstr(o, "\"effective_spread\": 0.006667"));
	/* -(0.03 per share) / (VWAP (100 x 10 + 50 x 9.91) / 150) x 1e4 */
	assert_non_null(strstr(o, "\"adverse_selection_bps\": -30.090271"));
	assert_non_null(strstr(o, "\"markout_past_end\": {\"100ms\": 0, \"1s\": 1, \"10s\": 1, "
				  "\"60s\": 1}"));
	free(js);
	acct_fini(&a);
}

/* mo_due, the earliest horizon end among a symbol's oldest unresolved
 * fills, follows enqueue, resolution and the end: a mid before it resolves
 * nothing, a mid past it resolves exactly the horizons due. */
static void test_markout_due(void **state)
{
	struct acct a;
	const struct acct_sym *s;

	(void)state;
	acct_open(&a, 4);
	assert_int_equal(acct_on_mid(&a, S(1), 3, 1000, 1002), 0);
	s = acct_sym_get(&a, 3);
	assert_true(s->mo_due == UINT64_MAX);
	assert_int_equal(acct_on_fill(&a, S(1), 3, 'B', 1001, 10, 'A', 0, 1), 0);
	assert_true(s->mo_due == S(1) + MS(100));
	assert_int_equal(acct_on_fill(&a, S(1) + MS(50), 3, 'S', 1001, 5, 'A', 0, 2), 0);
	assert_true(s->mo_due == S(1) + MS(100)); /* still the first fill's */
	/* at the horizon end: not yet resolved ("before t" only) */
	assert_int_equal(acct_on_mid(&a, S(1) + MS(100), 3, 1002, 1004), 0);
	assert_int_equal(s->mo[0].n, 0);
	/* past it: the first fill's 100 ms; next is the second fill's */
	assert_int_equal(acct_on_mid(&a, S(1) + MS(120), 3, 1002, 1004), 0);
	assert_int_equal(s->mo[0].n, 1);
	assert_true(s->mo_due == S(1) + MS(150));
	assert_int_equal(acct_on_mid(&a, S(1) + MS(200), 3, 1004, 1006), 0);
	assert_int_equal(s->mo[0].n, 2);
	assert_true(s->mo_due == S(2)); /* the first fill's 1 s */
	assert_int_equal(acct_on_mid(&a, S(61) + MS(100), 3, 1004, 1006), 0);
	assert_int_equal(s->mo[3].n, 2);
	assert_true(s->mo_due == UINT64_MAX);
	assert_int_equal(a.pend_head, a.pend_tail); /* released */
	assert_int_equal(acct_finish(&a, S(62)), 0);
	acct_fini(&a);
}

/* acct_put_u64 writes what "%" PRIu64 writes: 0, each power of ten and
 * its neighbours, UINT64_MAX, and seeded random values of every length;
 * nothing past the digits. */
static void test_put_u64(void **state)
{
	uint64_t p = 1, x = 3;
	char got[32], want[32];

	(void)state;
	for (int i = 0; i < 20 * 3 + 1 + 2000; i++) {
		uint64_t v;
		char *e;

		if (i < 60) {
			v = p + (uint64_t)(i % 3) - 1;
			if (i % 3 == 2)
				p *= 10;
		} else if (i == 60) {
			v = UINT64_MAX;
		} else {
			v = rng_next(&x) >> (rng_next(&x) % 64);
		}
		memset(got, '#', sizeof(got));
		snprintf(want, sizeof(want), "%" PRIu64, v);
		e = acct_put_u64(got, v);
		assert_int_equal(e - got, (long)strlen(want));
		assert_memory_equal(got, want, strlen(want));
		assert_int_equal(*e, '#');
	}
}

/* acct_fmt_e4 gives what "%s%" PRIu64 ".%04u" gives, at the edges too. */
static void test_fmt_e4(void **state)
{
	static const int64_t v[] = { 0, 1, -1, 9, 10, 99, 100, 9999, 10000, -10000, 10001,
				     123456789, -123456789, 99999999999LL, INT64_MAX,
				     INT64_MIN, INT64_MIN + 1 };
	char got[24], want[24];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint64_t u = v[i] < 0 ? (uint64_t)0 - (uint64_t)v[i] : (uint64_t)v[i];

		snprintf(want, sizeof(want), "%s%" PRIu64 ".%04u", v[i] < 0 ? "-" : "",
			 u / 10000u, (unsigned)(u % 10000u));
		assert_string_equal(acct_fmt_e4(v[i], got), want);
	}
}

/* A full ring gives up the oldest fill's markouts and counts it. */
static void test_markout_overflow(void **state)
{
	struct acct_cfg cfg;
	struct acct a;
	int i;

	(void)state;
	acct_cfg_defaults(&cfg);
	cfg.markout_cap = 2;
	assert_int_equal(acct_init(&a, &cfg), 0);
	assert_int_equal(acct_on_mid(&a, 0, 1, 100, 102), 0);
	assert_int_equal(acct_on_mid(&a, 0, 2, 200, 202), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(acct_on_fill(&a, S(i), (uint32_t)(1 + (i & 1)), 'B', 101, 1, 'A', 0,
					      (uint64_t)i), 0);
	assert_int_equal(a.mo_overflow, 1);
	assert_int_equal(acct_on_mid(&a, S(100), 1, 104, 106), 0);
	assert_int_equal(acct_finish(&a, S(100)), 0);
	/* fill 0's 100 ms horizon was resolved before the overflow */
	assert_int_equal(a.total.mo[0].n, 3);
	assert_int_equal(a.total.mo[1].n, 3);
	assert_int_equal(a.total.mo[3].n, 2);
	acct_fini(&a);
}

static void test_presence(void **state)
{
	struct acct a;
	const struct acct_sym *s;
	char *js;

	(void)state;
	acct_open(&a, 4);
	assert_int_equal(acct_on_presence(&a, S(0), 3, true, true), 0);
	assert_int_equal(acct_on_presence(&a, S(10), 3, true, false), 0);
	assert_int_equal(acct_on_presence(&a, S(15), 3, false, true), 0);
	assert_int_equal(acct_on_presence(&a, S(20), 3, true, true), 0);
	assert_int_equal(acct_on_presence(&a, S(20), 4, true, false), 0);
	assert_int_equal(acct_finish(&a, S(30)), 0);
	s = acct_sym_get(&a, 3);
	assert_int_equal(s->eligible_ns, S(25));
	assert_int_equal(s->two_sided_ns, S(20));
	assert_int_equal(a.total.eligible_ns, S(35));
	assert_int_equal(a.total.two_sided_ns, S(20));
	js = json_of(&a);
	assert_non_null(strstr(json_obj(js, "L3"), "\"presence_two_sided\": 0.800000"));
	assert_non_null(strstr(json_obj(js, "L4"), "\"presence_two_sided\": 0.000000"));
	assert_non_null(strstr(json_obj(js, "total"), "\"presence_two_sided\": 0.571429"));
	free(js);
	acct_fini(&a);
}

static void test_counters_and_kill(void **state)
{
	struct acct a;
	char *js;
	const char *o;
	int i;

	(void)state;
	acct_open(&a, 4);
	assert_int_equal(acct_set_symbol(&a, 9, "KIL"), 0);
	for (i = 0; i < 8; i++)
		assert_int_equal(acct_on_order(&a, 9), 0);
	for (i = 0; i < 6; i++)
		assert_int_equal(acct_on_cancel(&a, 9), 0);
	assert_int_equal(acct_on_reject(&a, 9), 0);
	assert_int_equal(acct_on_fill(&a, S(1), 9, 'B', 100, 1, 'A', 0, 1), 0);
	assert_int_equal(acct_on_fill(&a, S(1), 9, 'S', 100, 1, 'A', 0, 2), 0);
	assert_int_equal(acct_set_kill(&a, S(2), 9, "loss"), 0);
	assert_int_equal(acct_set_kill(&a, S(3), 9, "position"), 0);  /* first kept */
	assert_int_equal(acct_set_kill(&a, S(4), ACCT_ALL, "manual \"op\""), 0);
	assert_int_equal(acct_set_kill(&a, S(4), 9, ""), -EINVAL);
	assert_int_equal(acct_finish(&a, S(5)), 0);
	js = json_of(&a);
	o = json_obj(js, "KIL");
	assert_non_null(strstr(o, "\"fill_ratio\": 0.250000"));
	assert_non_null(strstr(o, "\"cancel_fill_ratio\": 3.000000"));
	assert_non_null(strstr(o, "\"rejects\": 1"));
	assert_non_null(strstr(o, "\"kill_reason\": \"loss\",\n      \"kill_t_ns\": 2000000000"));
	assert_non_null(strstr(json_obj(js, "total"), "\"kill_reason\": \"manual \\\"op\\\"\""));
	free(js);
	acct_fini(&a);
}

/* cap 4, 1 s grid, a buy of 1 share at every whole second 0..10, end at
 * 10.5 s: [0 1 2 3] -> [0 2 4 6] -> [0 4 8] + final 10.5. */
static void test_series_downsampling(void **state)
{
	struct acct_cfg cfg;
	struct acct a;
	char *csv = NULL;
	size_t len = 0;
	FILE *f;
	int i;

	(void)state;
	acct_cfg_defaults(&cfg);
	cfg.n_symbols = 2;
	cfg.series_cap = 4;
	cfg.series_interval_ns = (int64_t)S(1);
	assert_int_equal(acct_init(&a, &cfg), 0);
	for (i = 0; i <= 10; i++) {
		assert_int_equal(acct_on_mid(&a, S(i), 1, 990, 1010), 0);
		assert_int_equal(acct_on_fill(&a, S(i), 1, 'B', 1000 + 10 * (uint32_t)i, 1, 'A', 0,
					      (uint64_t)i), 0);
	}
	assert_int_equal(acct_finish(&a, S(10) + MS(500)), 0);
	assert_int_equal(a.ser_n, 4);
	assert_int_equal(a.ser_step, (int64_t)S(4));
	assert_int_equal(a.ser_t[0], 0);
	assert_int_equal(a.ser_t[1], S(4));
	assert_int_equal(a.ser_t[2], S(8));
	assert_int_equal(a.ser_t[3], S(10) + MS(500));
	assert_int_equal(a.ser_net[0], 1);
	assert_int_equal(a.ser_net[1], 5);
	assert_int_equal(a.ser_net[2], 9);
	assert_int_equal(a.ser_net[3], 11);
	/* pnl at 4 s: 5 shares at mark 1000 minus the cost 1000..1040 */
	assert_int_equal(a.ser_pnl[1], -(0 + 10 + 20 + 30 + 40));
	assert_int_equal(a.ser_pnl[3], a.total.pnl_e4);
	f = open_memstream(&csv, &len);
	assert_int_equal(acct_write_series_csv(&a, f), 0);
	fclose(f);
	assert_string_equal(csv, "t_ns,pnl_total,position_net,position_gross,L1\n"
				 "0,0.0000,1,1,1\n"
				 "4000000000,-0.0100,5,5,5\n"
				 "8000000000,-0.0360,9,9,9\n"
				 "10500000000,-0.0550,11,11,11\n");
	free(csv);
	acct_fini(&a);
}

static void test_bad_args(void **state)
{
	struct acct_cfg cfg;
	struct acct a;

	(void)state;
	acct_cfg_defaults(&cfg);
	cfg.series_cap = 2;
	assert_int_equal(acct_init(&a, &cfg), -EINVAL);
	acct_open(&a, 2);
	assert_int_equal(acct_on_fill(&a, 10, 1, 'X', 100, 1, 'A', 0, 0), -EINVAL);
	assert_int_equal(acct_on_fill(&a, 10, 1, 'B', 0, 1, 'A', 0, 0), -EINVAL);
	assert_int_equal(acct_on_fill(&a, 10, 1, 'B', 100, 0, 'A', 0, 0), -EINVAL);
	assert_int_equal(acct_on_fill(&a, 10, 1, 'B', 100, 1, 'Z', 0, 0), -EINVAL);
	assert_int_equal(acct_on_fill(&a, 10, 70000, 'B', 100, 1, 'A', 0, 0), -EINVAL);
	assert_int_equal(acct_on_mid(&a, 10, 1, 0, 100), -EDOM);
	assert_int_equal(acct_on_mid(&a, 10, 1, 101, 100), -EDOM);
	assert_int_equal(acct_on_mid(&a, 10, 1, 99, 101), 0);
	assert_int_equal(acct_on_mid(&a, 9, 1, 99, 101), -EINVAL);  /* time went back */
	assert_int_equal(acct_on_mid(&a, 10, 2, 99, 101), 0);
	assert_int_equal(acct_on_mid(&a, 10, 3, 99, 101), -ENOSPC);
	assert_int_equal(acct_set_symbol(&a, 1, "A,B"), -EINVAL);
	assert_int_equal(acct_set_symbol(&a, 1, "    "), -EINVAL);
	assert_int_equal(acct_set_symbol(&a, 1, "0123456789ABCDEF"), -EINVAL);
	assert_int_equal(acct_write_json(&a, stderr), -EINVAL);  /* not finished */
	assert_int_equal(acct_finish(&a, 5), -EINVAL);
	assert_int_equal(acct_finish(&a, 11), 0);
	assert_int_equal(acct_on_mid(&a, 12, 1, 99, 101), -EINVAL);  /* after finish */
	assert_int_equal(a.total.fills, 0);
	acct_fini(&a);
	acct_fini(NULL);
}

static bool is_png(const char *path)
{
	unsigned char sig[8];
	FILE *f = fopen(path, "rb");
	bool ok;

	if (!f)
		return false;
	ok = fread(sig, 1, 8, f) == 8 && memcmp(sig, "\x89PNG\r\n\x1a\n", 8) == 0;
	fclose(f);
	return ok;
}

static bool exists(const char *dir, const char *name)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) == 0 && st.st_size > 0;
}

/* pnl.png and latency.png from a run's series and two .hgrm tables; with a
 * missing gnuplot, -ENOENT, a message, and the scripts still written. */
static void test_plots(void **state)
{
	struct ref_sym ref[RND_SYMS];
	char root[128], series[256], h1[256], h2[256], p[512], *errs = NULL;
	const char *hg[2] = { h1, h2 }, *lab[2] = { "total", "decide" };
	struct hdr_cfg hc = { 1, 60000000000LL, 3 };
	struct plot_cfg pc;
	struct hdr *h;
	struct acct a;
	size_t elen = 0;
	FILE *f, *err;
	uint64_t x = 5;
	int i, k, rc;

	(void)state;
	assert_int_equal(test_fs_mkroot(root, sizeof(root), "acct_plot"), 0);
	free(random_session(&a, 3, ref));
	snprintf(series, sizeof(series), "%s/series.csv", root);
	f = fopen(series, "w");
	assert_non_null(f);
	assert_int_equal(acct_write_series_csv(&a, f), 0);
	fclose(f);
	acct_fini(&a);
	h = aligned_alloc(64, (hdr_memsize(&hc) + 63) & ~(size_t)63);
	assert_non_null(h);
	for (k = 0; k < 2; k++) {
		assert_int_equal(hdr_init(h, &hc), 0);
		for (i = 0; i < 20000; i++) {
			uint64_t r = rng_next(&x);

			assert_true(hdr_record(h, (int64_t)(800 + (k + 1) * (r % 700) +
						     ((r >> 20) % 1000 == 0 ? 40000 : 0))));
		}
		snprintf(k ? h2 : h1, sizeof(h1), "%s/lat%d.hgrm", root, k);
		f = fopen(hg[k], "w");
		assert_non_null(f);
		assert_int_equal(hdr_percentiles_print(h, f, 5, 1000.0), 0);
		fclose(f);
	}
	free(h);

	memset(&pc, 0, sizeof(pc));
	pc.out_dir = root;
	pc.series_csv = series;
	pc.hgrm = hg;
	pc.hgrm_label = lab;
	pc.n_hgrm = 2;
	pc.latency_unit = "us";
	err = open_memstream(&errs, &elen);
	pc.gnuplot = "/nonexistent/gnuplot";
	rc = plot_render(&pc, err);
	fflush(err);
	assert_int_equal(rc, -ENOENT);
	assert_non_null(strstr(errs, "not found"));
	assert_true(exists(root, "pnl.gp"));
	assert_true(exists(root, "pnl.dat"));
	assert_true(exists(root, "latency.gp"));
	assert_true(exists(root, "latency_1.dat"));
	assert_false(exists(root, "pnl.png"));

	pc.gnuplot = NULL;
	rc = plot_render(&pc, err);
	fclose(err);
	if (rc == -ENOENT) {
		free(errs);
		test_fs_rmroot(root);
		skip();  /* gnuplot is not installed here */
	}
	assert_int_equal(rc, 0);
	snprintf(p, sizeof(p), "%s/pnl.png", root);
	assert_true(is_png(p));
	snprintf(p, sizeof(p), "%s/latency.png", root);
	assert_true(is_png(p));
	free(errs);
	if (!getenv("TW_KEEP_PLOTS"))
		assert_int_equal(test_fs_rmroot(root), 0);
	else
		fprintf(stderr, "plots kept in %s\n", root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hand_scenario),
		cmocka_unit_test(test_average_cost_rounding),
		cmocka_unit_test(test_identity_random),
		cmocka_unit_test(test_mid_inline),
		cmocka_unit_test(test_mid_same),
		cmocka_unit_test(test_json_from_fills_csv),
		cmocka_unit_test(test_json_deterministic),
		cmocka_unit_test(test_markouts),
		cmocka_unit_test(test_markout_overflow),
		cmocka_unit_test(test_markout_due),
		cmocka_unit_test(test_fmt_e4),
		cmocka_unit_test(test_put_u64),
		cmocka_unit_test(test_presence),
		cmocka_unit_test(test_counters_and_kill),
		cmocka_unit_test(test_series_downsampling),
		cmocka_unit_test(test_bad_args),
		cmocka_unit_test(test_plots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
