/* test_check.c - `tickwire check` run in-process over fake /proc and /sys
 * trees: the report lines, --strict exit status, and bad options. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <cmocka.h>

#include "tests/test_fs.h"
#include "tools/cmd.h"

static char root[256];

static void put(const char *rel, const char *text)
{
	assert_int_equal(test_fs_put(root, rel, text), 0);
}

static int setup(void **state)
{
	(void)state;
	if (test_fs_mkroot(root, sizeof(root), "test_check") != 0)
		return -1;
	put("/sys/devices/system/cpu/isolated", "1\n");
	put("/sys/devices/system/cpu/nohz_full", "1\n");
	put("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "performance\n");
	put("/sys/devices/system/cpu/cpu1/cpufreq/scaling_governor", "performance\n");
	put("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "64\n");
	put("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "64\n");
	put("/sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n");
	put("/proc/cpuinfo", "flags\t\t: fpu tsc constant_tsc nonstop_tsc\n");
	put("/sys/devices/system/clocksource/clocksource0/current_clocksource", "tsc\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return test_fs_rmroot(root);
}

/* Runs cmd_check with the given args; returns its status, output in out. */
static int run(char *out, size_t outlen, char *err, size_t errlen, int argc, char **argv)
{
	FILE *o = fmemopen(out, outlen, "w");
	FILE *e = fmemopen(err, errlen, "w");
	int rc;

	assert_non_null(o);
	assert_non_null(e);
	memset(out, 0, outlen);
	memset(err, 0, errlen);
	rc = cmd_check(argc, argv, o, e);
	fclose(o);
	fclose(e);
	return rc;
}

static void test_tuned_tree_passes_strict(void **state)
{
	char out[4096], err[1024];
	char *argv[] = { "check", "--strict", "--root", root, NULL };
	(void)state;

	assert_int_equal(run(out, sizeof(out), err, sizeof(err), 4, argv), 0);
	print_message("%s", out);
	assert_non_null(strstr(out, "PASS  isolcpus      cpus 1"));
	assert_non_null(strstr(out, "PASS  governor      performance on all 2 cpus"));
	assert_non_null(strstr(out, "PASS  thp"));
	assert_non_null(strstr(out, "0 warnings"));
}

static void test_untuned_tree_fails_strict_only(void **state)
{
	char out[4096], err[1024];
	char *strict[] = { "check", "--strict", "--root", root, NULL };
	char *lenient[] = { "check", "--root", root, NULL };
	(void)state;

	put("/sys/devices/system/cpu/cpu1/cpufreq/scaling_governor", "powersave\n");
	put("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "0\n");
	assert_int_equal(run(out, sizeof(out), err, sizeof(err), 4, strict), 1);
	assert_non_null(strstr(out, "WARN  governor"));
	assert_non_null(strstr(out, "WARN  hugepages"));
	assert_non_null(strstr(out, "2 warnings"));
	assert_int_equal(run(out, sizeof(out), err, sizeof(err), 3, lenient), 0);
	assert_non_null(strstr(out, "2 warnings"));
}

static void test_bad_options(void **state)
{
	char out[4096], err[1024];
	char *unknown[] = { "check", "--bogus", NULL };
	char *missing[] = { "check", "--root", NULL };
	char *extra[] = { "check", "stray", NULL };
	char *help[] = { "check", "--help", NULL };
	(void)state;

	assert_int_equal(run(out, sizeof(out), err, sizeof(err), 2, unknown), EX_USAGE);
	assert_non_null(strstr(err, "--bogus"));
	assert_int_equal(run(out, sizeof(out), err, sizeof(err), 2, missing), EX_USAGE);
	assert_int_equal(run(out, sizeof(out), err, sizeof(err), 2, extra), EX_USAGE);
	assert_non_null(strstr(err, "stray"));
	assert_int_equal(run(out, sizeof(out), err, sizeof(err), 2, help), 0);
	assert_non_null(strstr(out, "usage: tickwire check"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tuned_tree_passes_strict),
		cmocka_unit_test(test_untuned_tree_fails_strict_only),
		cmocka_unit_test(test_bad_options),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
