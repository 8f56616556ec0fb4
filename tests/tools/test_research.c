/* test_research.c - cmocka tests of `tickwire research as2008`
 * (tools/cmd_research.c), run in-process on memory streams: the line format,
 * determinism for a seed, the paper's main result (the inventory strategy's
 * profit is less dispersed than the symmetric one's at gamma=0.1), --help
 * and bad options (64). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "tools/cmd.h"

#define MAX_ARGS 8

struct run {
	int rc;
	char *out, *err;
	size_t out_len, err_len;
};

/* Run cmd_research with args (NULL-terminated), capturing out and err. */
static void run_research(struct run *r, const char *const *args)
{
	char *argv[MAX_ARGS + 2];
	FILE *out, *err;
	int argc = 0;

	argv[argc++] = strdup("research");
	for (int i = 0; args[i]; i++) {
		assert_true(argc < MAX_ARGS);
		argv[argc++] = strdup(args[i]);
	}
	argv[argc] = NULL;
	out = open_memstream(&r->out, &r->out_len);
	err = open_memstream(&r->err, &r->err_len);
	assert_non_null(out);
	assert_non_null(err);
	r->rc = cmd_research(argc, argv, out, err);
	fclose(out);
	fclose(err);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

struct row {
	double gamma, spread, profit, std_profit, final_q, std_q;
	double se_profit, se_std_profit, se_final_q, se_std_q;
	char strategy[16];
};

/* Parse the six output lines strictly; fails the test on any deviation. */
static void parse_rows(const char *text, struct row rows[6])
{
	static const double gammas[] = { 0.1, 0.1, 0.01, 0.01, 1.0, 1.0 };
	static const char *const strats[] = { "inventory", "symmetric" };
	const char *p = text;

	for (int i = 0; i < 6; i++) {
		int n = 0;

		if (sscanf(p, "gamma=%lf strategy=%15[a-z] spread=%lf profit=%lf std_profit=%lf "
			      "final_q=%lf std_q=%lf se_profit=%lf se_std_profit=%lf "
			      "se_final_q=%lf se_std_q=%lf%n",
			   &rows[i].gamma, rows[i].strategy, &rows[i].spread, &rows[i].profit,
			   &rows[i].std_profit, &rows[i].final_q, &rows[i].std_q, &rows[i].se_profit,
			   &rows[i].se_std_profit, &rows[i].se_final_q, &rows[i].se_std_q,
			   &n) != 11) {
			fprintf(stderr, "bad line %d in:\n%s", i, text);
			fail();
		}
		p += n;
		assert_true(*p == '\n');
		p++;
		assert_true(rows[i].gamma == gammas[i]);
		assert_string_equal(rows[i].strategy, strats[i % 2]);
		assert_true(rows[i].spread > 0.0);
		assert_true(rows[i].std_profit > 0.0);
		assert_true(rows[i].std_q > 0.0);
	}
	assert_true(*p == '\0');
}

static void test_format_and_result(void **state)
{
	static const char *const args[] = { "as2008", "--paths", "200", "--seed", "42", NULL };
	struct row rows[6];
	struct run r;
	(void)state;
	run_research(&r, args);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.err_len, 0);
	parse_rows(r.out, rows);
	/* same total spread for both strategies at each gamma */
	for (int i = 0; i < 6; i += 2)
		assert_true(rows[i].spread == rows[i + 1].spread);
	/* the paper's main result at gamma = 0.1: std_profit and std_q smaller */
	assert_true(rows[0].std_profit < rows[1].std_profit);
	assert_true(rows[0].std_q < rows[1].std_q);
	run_free(&r);
}

/* Avellaneda & Stoikov (2008), section 4 tables, as published: spread,
 * profit, std(profit), final q, std(q), from 1000 paths each. */
static const struct row PAPER[6] = {
	{ 0.1, 1.29, 62.94, 5.89, 0.10, 2.80, 0, 0, 0, 0, "inventory" },
	{ 0.1, 1.29, 67.21, 13.43, -0.018, 8.66, 0, 0, 0, 0, "symmetric" },
	{ 0.01, 1.33, 66.78, 8.76, -0.02, 4.70, 0, 0, 0, 0, "inventory" },
	{ 0.01, 1.33, 67.36, 13.40, -0.31, 8.65, 0, 0, 0, 0, "symmetric" },
	{ 1.0, 1.15, 33.92, 4.72, -0.02, 1.88, 0, 0, 0, 0, "inventory" },
	{ 1.0, 1.15, 66.20, 14.53, 0.25, 9.06, 0, 0, 0, 0, "symmetric" },
};
#define PAPER_PATHS 1000.0
#define K_SE 4.0 /* allowed |ours - paper| in combined standard errors */

/* |ours - paper| <= K_SE * sqrt(se_ours^2 + se_paper^2): both are Monte
 * Carlo estimates from 1000 paths; the paper's standard error comes from its
 * own std columns. */
static void near_paper(const char *what, int row, double ours, double se_ours, double paper,
		       double se_paper)
{
	double se = sqrt(se_ours * se_ours + se_paper * se_paper);

	if (!(fabs(ours - paper) <= K_SE * se)) {
		fprintf(stderr, "row %d %s: ours %.3f paper %.3f, %.1f combined SE (max %.1f)\n",
			row, what, ours, paper, fabs(ours - paper) / se, K_SE);
		fail();
	}
}

/* The reproduction: default run (1000 paths, seed 1, the paper's spread).
 * gamma 0.1 and 0.01, both strategies: spread to the printed 2 decimals,
 * profit, std(profit), final q and std(q) within K_SE combined standard
 * errors. gamma = 1 (see docs/research.md): the symmetric row's spreads and
 * dispersion within K_SE, its profit 1-5 SE below the paper's (our 1.02
 * spread vs the 1.15 printed); the inventory row is not reproduced by the
 * stated model (it loses money), and the test pins that. */
static void test_reproduces_paper(void **state)
{
	static const char *const args[] = { "as2008", NULL };
	struct row rows[6];
	struct run r;

	(void)state;
	run_research(&r, args);
	assert_int_equal(r.rc, 0);
	parse_rows(r.out, rows);
	for (int i = 0; i < 6; i++) {
		const struct row *p = &PAPER[i];
		const struct row *o = &rows[i];
		double se_p = p->std_profit / sqrt(PAPER_PATHS);
		double se_sp = p->std_profit / sqrt(2.0 * (PAPER_PATHS - 1.0));
		double se_q = p->std_q / sqrt(PAPER_PATHS);
		double se_sq = p->std_q / sqrt(2.0 * (PAPER_PATHS - 1.0));

		if (i < 4)
			assert_true(fabs(o->spread - p->spread) < 0.005 + 1e-9);
		if (i == 4) {
			assert_true(fabs(o->spread - 1.02) < 0.005 + 1e-9);
			assert_true(o->profit < 0.0);
			continue;
		}
		if (i == 5) {
			double se = sqrt(o->se_profit * o->se_profit + se_p * se_p);

			assert_true(fabs(o->spread - 1.02) < 0.005 + 1e-9);
			assert_true(o->profit < p->profit - 1.0 * se);
			assert_true(o->profit > p->profit - 5.0 * se);
		} else {
			near_paper("profit", i, o->profit, o->se_profit, p->profit, se_p);
		}
		near_paper("std_profit", i, o->std_profit, o->se_std_profit, p->std_profit, se_sp);
		near_paper("final_q", i, o->final_q, o->se_final_q, p->final_q, se_q);
		near_paper("std_q", i, o->std_q, o->se_std_q, p->std_q, se_sq);
	}
	run_free(&r);
}

/* --spread full adds gamma sigma^2 (T - t): mean over T - t is + gamma*2. */
static void test_full_spread(void **state)
{
	static const char *const args[] = { "as2008", "--spread", "full", "--paths", "200", NULL };
	static const char *const bad[] = { "as2008", "--spread", "half", NULL };
	struct row rows[6];
	struct run r;

	(void)state;
	run_research(&r, args);
	assert_int_equal(r.rc, 0);
	parse_rows(r.out, rows);
	assert_true(fabs(rows[0].spread - 1.49) < 0.011);
	assert_true(fabs(rows[2].spread - 1.35) < 0.011);
	assert_true(fabs(rows[4].spread - 3.03) < 0.011);
	assert_true(rows[4].profit > 0.0);
	run_free(&r);
	run_research(&r, bad);
	assert_int_equal(r.rc, EX_USAGE);
	run_free(&r);
}

static void test_deterministic(void **state)
{
	static const char *const a[] = { "as2008", "--paths", "200", "--seed", "7", NULL };
	static const char *const b[] = { "--seed", "8", "--paths", "200", "as2008", NULL };
	struct run r1, r2, r3;
	(void)state;
	run_research(&r1, a);
	run_research(&r2, a);
	run_research(&r3, b);
	assert_int_equal(r1.rc, 0);
	assert_int_equal(r3.rc, 0);
	assert_string_equal(r1.out, r2.out);
	assert_true(strcmp(r1.out, r3.out) != 0); /* the seed matters */
	run_free(&r1);
	run_free(&r2);
	run_free(&r3);
}

/* The qualitative result must hold for every seed we might pick. */
static void test_result_robust_over_seeds(void **state)
{
	(void)state;
	for (int seed = 1; seed <= 20; seed++) {
		char s[16];
		const char *args[] = { "as2008", "--paths", "200", "--seed", s, NULL };
		struct row rows[6];
		struct run r;

		snprintf(s, sizeof(s), "%d", seed);
		run_research(&r, args);
		assert_int_equal(r.rc, 0);
		parse_rows(r.out, rows);
		assert_true(rows[0].std_profit < rows[1].std_profit);
		run_free(&r);
	}
}

static void test_usage_errors(void **state)
{
	static const char *const none[] = { NULL };
	static const char *const unknown[] = { "as2009", NULL };
	static const char *const badopt[] = { "as2008", "--bogus", NULL };
	static const char *const badpaths[] = { "as2008", "--paths", "x", NULL };
	static const char *const zeropaths[] = { "as2008", "--paths", "0", NULL };
	static const char *const badseed[] = { "as2008", "--seed", "-3", NULL };
	static const char *const extra[] = { "as2008", "more", NULL };
	static const char *const *const cases[] = { none, unknown, badopt, badpaths,
						     zeropaths, badseed, extra };
	static const char *const help[] = { "--help", NULL };
	struct run r;
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_research(&r, cases[i]);
		assert_int_equal(r.rc, EX_USAGE);
		assert_int_equal(r.out_len, 0);
		assert_true(r.err_len > 0);
		run_free(&r);
	}
	run_research(&r, help);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "usage: tickwire research as2008"));
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_and_result),
		cmocka_unit_test(test_reproduces_paper),
		cmocka_unit_test(test_full_spread),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_result_robust_over_seeds),
		cmocka_unit_test(test_usage_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
