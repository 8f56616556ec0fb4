/* test_cpu.c - pinning errors, CPU-list parsing, and the tuning report over
 * fake /proc and /sys trees built in a temporary folder. */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/test_fs.h"
#include "hw/cpu.h"

static void test_list_parse_table(void **state)
{
	static const struct {
		const char *in;
		int want;        /* count or -EINVAL */
		int set[4];      /* some cpus that must be set, -1 ends */
	} cases[] = {
		{ "0-3,8,10-11\n", 7, { 0, 3, 8, 11 } },
		{ "5", 1, { 5, -1 } },
		{ "", 0, { -1 } },
		{ "\n", 0, { -1 } },
		{ "1,1,1", 1, { 1, -1 } },
		{ "3-1", -EINVAL, { -1 } },
		{ "a", -EINVAL, { -1 } },
		{ "1,", -EINVAL, { -1 } },
		{ "1-", -EINVAL, { -1 } },
		{ "99999", -EINVAL, { -1 } },
		{ "0-2 x", -EINVAL, { -1 } },
	};
	unsigned long bits[4096 / (8 * sizeof(unsigned long))];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = cpu_list_parse(cases[i].in, bits, 4096);
		if (got != cases[i].want) {
			print_error("'%s': got %d want %d\n", cases[i].in, got, cases[i].want);
			fail();
		}
		for (int k = 0; k < 4 && cases[i].set[k] >= 0; k++) {
			int c = cases[i].set[k];
			assert_true((bits[c / 64] >> (c % 64)) & 1ul);
		}
	}
}

static void test_pin_nonexistent_cpu(void **state)
{
	char err[128];
	int n = cpu_count();
	(void)state;

	assert_int_equal(cpu_pin_self(n + 5, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "does not exist"));
	assert_int_equal(cpu_pin_self(-1, err, sizeof(err)), -EINVAL);
}

static void test_pin_existing_cpu(void **state)
{
	char err[128];
	cpu_set_t saved;
	(void)state;

	assert_int_equal(sched_getaffinity(0, sizeof(saved), &saved), 0);
	for (int c = 0; c < cpu_count(); c++) {
		if (!CPU_ISSET(c, &saved))
			continue;
		assert_int_equal(cpu_pin_self(c, err, sizeof(err)), 0);
		assert_int_equal(cpu_current(), c);
		break;
	}
	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
}

static char root[256];

static void put(const char *rel, const char *text)
{
	assert_int_equal(test_fs_put(root, rel, text), 0);
}

static const struct cpu_check *find(const struct cpu_check *c, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(c[i].name, name) == 0)
			return &c[i];
	return NULL;
}

static int make_root(void **state)
{
	(void)state;
	return test_fs_mkroot(root, sizeof(root), "test_cpu");
}

static int drop_root(void **state)
{
	(void)state;
	return test_fs_rmroot(root);
}

static void test_report_tuned(void **state)
{
	struct cpu_check c[16];
	size_t n;
	(void)state;

	put("/sys/devices/system/cpu/isolated", "2-3\n");
	put("/sys/devices/system/cpu/nohz_full", "2-3\n");
	for (int i = 0; i < 4; i++) {
		char p[128];
		snprintf(p, sizeof(p), "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor", i);
		put(p, "performance\n");
	}
	put("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "512\n");
	put("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "500\n");
	put("/sys/kernel/mm/transparent_hugepage/enabled", "always madvise [never]\n");
	put("/proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu tsc constant_tsc nonstop_tsc rdtscp\n");
	put("/sys/devices/system/clocksource/clocksource0/current_clocksource", "tsc\n");
	put("/proc/irq/default_smp_affinity", "3\n");

	n = cpu_tuning_report(root, c, 16);
	cpu_tuning_print(stdout, c, n);
	assert_int_equal(find(c, n, "isolcpus")->level, CPU_CHECK_PASS);
	assert_non_null(strstr(find(c, n, "isolcpus")->detail, "2-3"));
	assert_int_equal(find(c, n, "nohz_full")->level, CPU_CHECK_PASS);
	assert_int_equal(find(c, n, "governor")->level, CPU_CHECK_PASS);
	assert_non_null(strstr(find(c, n, "governor")->detail, "all 4"));
	assert_int_equal(find(c, n, "hugepages")->level, CPU_CHECK_PASS);
	assert_int_equal(find(c, n, "thp")->level, CPU_CHECK_PASS);
	assert_int_equal(find(c, n, "tsc")->level, CPU_CHECK_PASS);
	assert_int_equal(find(c, n, "clocksource")->level, CPU_CHECK_PASS);
	assert_int_equal(find(c, n, "irq-affinity")->level, CPU_CHECK_INFO);
}

static void test_report_untuned(void **state)
{
	struct cpu_check c[16];
	size_t n;
	(void)state;

	put("/sys/devices/system/cpu/isolated", "\n");
	put("/sys/devices/system/cpu/nohz_full", "\n");
	put("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "performance\n");
	put("/sys/devices/system/cpu/cpu1/cpufreq/scaling_governor", "powersave\n");
	put("/sys/devices/system/cpu/cpu2/cpufreq/scaling_governor", "performance\n");
	put("/sys/devices/system/cpu/cpu3/cpufreq/scaling_governor", "ondemand\n");
	put("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "0\n");
	put("/sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never\n");
	put("/proc/cpuinfo", "flags\t\t: fpu tsc rdtscp\n");
	put("/sys/devices/system/clocksource/clocksource0/current_clocksource", "hpet\n");

	n = cpu_tuning_report(root, c, 16);
	cpu_tuning_print(stdout, c, n);
	assert_int_equal(find(c, n, "isolcpus")->level, CPU_CHECK_WARN);
	assert_int_equal(find(c, n, "nohz_full")->level, CPU_CHECK_WARN);
	assert_int_equal(find(c, n, "governor")->level, CPU_CHECK_WARN);
	assert_non_null(strstr(find(c, n, "governor")->detail, "2 of 4"));
	assert_non_null(strstr(find(c, n, "governor")->detail, "cpu1=powersave"));
	assert_int_equal(find(c, n, "hugepages")->level, CPU_CHECK_WARN);
	assert_int_equal(find(c, n, "thp")->level, CPU_CHECK_WARN);
	assert_int_equal(find(c, n, "tsc")->level, CPU_CHECK_WARN);
	assert_int_equal(find(c, n, "clocksource")->level, CPU_CHECK_WARN);
}

static void test_report_empty_tree_and_truncation(void **state)
{
	struct cpu_check c[3];
	char empty[300];
	size_t n;
	(void)state;

	snprintf(empty, sizeof(empty), "%s/nothing-here", root);
	n = cpu_tuning_report(empty, c, 3);
	assert_int_equal(n, 3);
	assert_string_equal(c[0].name, "isolcpus");
	assert_int_equal(c[0].level, CPU_CHECK_WARN);
	assert_int_equal(cpu_tuning_report(empty, c, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_parse_table),
		cmocka_unit_test(test_pin_nonexistent_cpu),
		cmocka_unit_test(test_pin_existing_cpu),
		cmocka_unit_test_setup_teardown(test_report_tuned, make_root, drop_root),
		cmocka_unit_test_setup_teardown(test_report_untuned, make_root, drop_root),
		cmocka_unit_test_setup_teardown(test_report_empty_tree_and_truncation, make_root,
						drop_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
