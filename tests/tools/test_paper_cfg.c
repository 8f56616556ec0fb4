/* test_paper_cfg.c - the paper-trading configuration: the schema is valid,
 * the shipped tools/paper.cfg loads and round-trips, refusals name file:line,
 * and docs/config.md's key tables are exactly what the schema generates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tools/paper.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void test_defaults_valid(void **state)
{
	struct paper_cfg *c = calloc(1, sizeof(*c));
	struct conf_err e;

	(void)state;
	assert_non_null(c);
	assert_int_equal(paper_cfg_defaults(c, &e), 0);
	assert_int_equal(c->top_symbols, 10);
	assert_int_equal(c->n_sizes, 3);
	assert_int_equal(c->mm.levels, 3);
	assert_int_equal(c->maker_rebate_e4, 20);
	free(c);
}

/* tools/paper.cfg loads; its effective config reads back to the same struct. */
static void test_shipped_config_round_trip(void **state)
{
	struct paper_cfg *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct conf_err e;
	char *text;
	size_t len;
	FILE *f;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(paper_cfg_defaults(a, &e), 0);
	if (conf_load_file(paper_keys, paper_n_keys, "tools/paper.cfg", a, &e) != 0) {
		conf_err_print(&e, stderr);
		fail();
	}
	assert_true(a->mm.gamma > 0.99 && a->mm.gamma < 1.01);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	conf_write_effective(paper_keys, paper_n_keys, a, f);
	fclose(f);
	assert_int_equal(paper_cfg_defaults(b, &e), 0);
	assert_int_equal(conf_load_string(paper_keys, paper_n_keys, "effective", text, b, &e), 0);
	assert_memory_equal(a, b, sizeof(*a));
	free(text);
	free(a);
	free(b);
}

static void test_refusals_name_the_line(void **state)
{
	struct paper_cfg *c = calloc(1, sizeof(*c));
	struct conf_err e;

	(void)state;
	assert_int_equal(paper_cfg_defaults(c, &e), 0);
	assert_int_not_equal(conf_load_string(paper_keys, paper_n_keys, "x.cfg",
					      "run = { top_symbols = 5; };\nstrategy = { gama = 1.0; };\n",
					      c, &e), 0);
	assert_int_equal(e.line, 2);
	assert_non_null(strstr(e.msg, "strategy.gamma"));
	assert_int_not_equal(conf_load_string(paper_keys, paper_n_keys, "x.cfg",
					      "strategy = { levels = 9; };\n", c, &e), 0);
	assert_int_equal(e.line, 1);
	assert_int_not_equal(conf_load_string(paper_keys, paper_n_keys, "x.cfg",
					      "strategy = { model = \"avellaneda\"; };\n", c, &e),
			     0);
	assert_non_null(strstr(e.msg, "glft"));
	assert_int_equal(c->top_symbols, 10); /* nothing half-applied */
	free(c);
}

/* docs/config.md holds exactly the tables the schema generates. */
static void test_docs_match_schema(void **state)
{
	char *doc = slurp("docs/config.md"), *gen, *b, *e;
	size_t len;
	FILE *f;

	(void)state;
	assert_non_null(doc);
	f = open_memstream(&gen, &len);
	assert_non_null(f);
	conf_write_markdown(paper_keys, paper_n_keys, f);
	fclose(f);
	b = strstr(doc, "<!-- BEGIN GENERATED KEY TABLES");
	assert_non_null(b);
	b = strstr(b, "-->");
	assert_non_null(b);
	b += 3;
	e = strstr(b, "<!-- END GENERATED KEY TABLES -->");
	assert_non_null(e);
	while (*b == '\n')
		b++;
	while (e > b && e[-1] == '\n')
		e--;
	while (len && gen[len - 1] == '\n')
		len--;
	if ((size_t)(e - b) != len || memcmp(b, gen, len) != 0) {
		fprintf(stderr, "docs/config.md is out of date: run bash tools/gen_config_doc.sh\n");
		fail();
	}
	free(gen);
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_valid),
		cmocka_unit_test(test_shipped_config_round_trip),
		cmocka_unit_test(test_refusals_name_the_line),
		cmocka_unit_test(test_docs_match_schema),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
