/* cpu.c - thread pinning and the tuning report behind `tickwire check`.
 * Reads /proc and /sys (under a root prefix so tests can fake them).
 * Cold paths only; any thread. */
#include "hw/cpu.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CPU_MAX_BITS 4096
#define BITS_PER_LONG (8 * sizeof(unsigned long))

int cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);

	return n > 0 ? (int)n : 1;
}

int cpu_allowed(int *cpus, int max)
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 0;
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		if (n < max)
			cpus[n] = c;
		n++;
	}
	return n;
}

int cpu_current(void)
{
	return sched_getcpu();
}

int cpu_pin_self(int cpu, char *errbuf, size_t errlen)
{
	cpu_set_t set;
	int n = cpu_count();
	int rc;

	if (cpu < 0 || cpu >= n || cpu >= CPU_SETSIZE) {
		if (errbuf && errlen)
			snprintf(errbuf, errlen, "cpu %d does not exist: this machine has cpus 0-%d",
				 cpu, n - 1);
		return -EINVAL;
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (rc != 0) {
		if (errbuf && errlen)
			snprintf(errbuf, errlen, "cannot pin to cpu %d: %s%s", cpu, strerror(rc),
				 rc == EINVAL ? " (offline, or outside this process's cpuset)" : "");
		return -rc;
	}
	return 0;
}

static void bit_set(unsigned long *bits, size_t i)
{
	bits[i / BITS_PER_LONG] |= 1ul << (i % BITS_PER_LONG);
}

static bool bit_test(const unsigned long *bits, size_t i)
{
	return (bits[i / BITS_PER_LONG] >> (i % BITS_PER_LONG)) & 1ul;
}

static int parse_uint(const char **p, unsigned long *out)
{
	char *end;

	if (!isdigit((unsigned char)**p))
		return -EINVAL;
	errno = 0;
	*out = strtoul(*p, &end, 10);
	if (errno)
		return -EINVAL;
	*p = end;
	return 0;
}

int cpu_list_parse(const char *s, unsigned long *bits, size_t nbits)
{
	const char *p = s;
	int count = 0;

	memset(bits, 0, (nbits + BITS_PER_LONG - 1) / BITS_PER_LONG * sizeof(*bits));
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\n' || *p == '\0')
		return 0;
	for (;;) {
		unsigned long lo, hi;

		if (parse_uint(&p, &lo))
			return -EINVAL;
		hi = lo;
		if (*p == '-') {
			p++;
			if (parse_uint(&p, &hi) || hi < lo)
				return -EINVAL;
		}
		if (hi >= nbits)
			return -EINVAL;
		for (unsigned long i = lo; i <= hi; i++) {
			if (!bit_test(bits, i))
				count++;
			bit_set(bits, i);
		}
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '\n' || *p == '\0')
			return count;
		return -EINVAL;
	}
}

/* First line of root+path, newline stripped. 0 or -errno. */
static int read_line(const char *root, const char *path, char *buf, size_t len)
{
	char full[512];
	FILE *f;

	snprintf(full, sizeof(full), "%s%s", root, path);
	f = fopen(full, "r");
	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f)) {
		buf[0] = '\0';
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static struct cpu_check *add(struct cpu_check *out, size_t max, size_t *n,
			     const char *name, enum cpu_check_level level)
{
	/* Past max, checks are formatted into a scratch record and dropped. */
	static _Thread_local struct cpu_check sink;
	struct cpu_check *c = *n < max ? &out[*n] : &sink;

	(*n)++;
	c->name = name;
	c->level = level;
	c->detail[0] = '\0';
	return c;
}

static void check_cpu_list(const char *root, struct cpu_check *out, size_t max, size_t *n,
			   const char *name, const char *path, const char *missing)
{
	unsigned long bits[CPU_MAX_BITS / BITS_PER_LONG];
	char buf[256];
	int rc = read_line(root, path, buf, sizeof(buf));
	struct cpu_check *c;

	if (rc) {
		c = add(out, max, n, name, CPU_CHECK_WARN);
		snprintf(c->detail, sizeof(c->detail), "%s", missing);
		return;
	}
	rc = cpu_list_parse(buf, bits, CPU_MAX_BITS);
	if (rc > 0) {
		c = add(out, max, n, name, CPU_CHECK_PASS);
		snprintf(c->detail, sizeof(c->detail), "cpus %.140s", buf);
	} else {
		c = add(out, max, n, name, CPU_CHECK_WARN);
		snprintf(c->detail, sizeof(c->detail), rc == 0 ? "none: busy-poll cores share the scheduler"
							       : "unreadable list '%.80s'", buf);
	}
}

static void check_governor(const char *root, struct cpu_check *out, size_t max, size_t *n)
{
	char path[128], buf[64], first_bad[64] = "";
	int cpus = 0, perf = 0;
	struct cpu_check *c;

	for (int i = 0; i < CPU_MAX_BITS; i++) {
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor", i);
		if (read_line(root, path, buf, sizeof(buf)) != 0) {
			snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d", i);
			char probe[512];
			snprintf(probe, sizeof(probe), "%s%s", root, path);
			if (access(probe, F_OK) != 0)
				break;
			continue;
		}
		cpus++;
		if (strcmp(buf, "performance") == 0)
			perf++;
		else if (!first_bad[0])
			snprintf(first_bad, sizeof(first_bad), "cpu%d=%.40s", i, buf);
	}
	if (cpus == 0) {
		c = add(out, max, n, "governor", CPU_CHECK_INFO);
		snprintf(c->detail, sizeof(c->detail), "no cpufreq (virtual machine or fixed clock)");
	} else if (perf == cpus) {
		c = add(out, max, n, "governor", CPU_CHECK_PASS);
		snprintf(c->detail, sizeof(c->detail), "performance on all %d cpus", cpus);
	} else {
		c = add(out, max, n, "governor", CPU_CHECK_WARN);
		snprintf(c->detail, sizeof(c->detail), "%d of %d cpus not 'performance' (%s)",
			 cpus - perf, cpus, first_bad);
	}
}

static void check_hugepages(const char *root, struct cpu_check *out, size_t max, size_t *n)
{
	char total[32], freep[32];
	struct cpu_check *c;

	if (read_line(root, "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages",
		      total, sizeof(total)) != 0) {
		c = add(out, max, n, "hugepages", CPU_CHECK_WARN);
		snprintf(c->detail, sizeof(c->detail), "no 2 MiB hugepage support");
		return;
	}
	if (read_line(root, "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages",
		      freep, sizeof(freep)) != 0)
		snprintf(freep, sizeof(freep), "?");
	c = add(out, max, n, "hugepages", atol(total) > 0 ? CPU_CHECK_PASS : CPU_CHECK_WARN);
	snprintf(c->detail, sizeof(c->detail), "2 MiB pages: %s reserved, %s free%s", total, freep,
		 atol(total) > 0 ? "" : " (arena falls back to THP or 4K pages)");
}

static void check_thp(const char *root, struct cpu_check *out, size_t max, size_t *n)
{
	char buf[128];
	struct cpu_check *c;

	if (read_line(root, "/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof(buf)) != 0) {
		c = add(out, max, n, "thp", CPU_CHECK_INFO);
		snprintf(c->detail, sizeof(c->detail), "transparent hugepages not available");
		return;
	}
	/* khugepaged compaction stalls busy cores when THP is always on. */
	c = add(out, max, n, "thp", strstr(buf, "[always]") ? CPU_CHECK_WARN : CPU_CHECK_PASS);
	snprintf(c->detail, sizeof(c->detail), "%s%s", buf,
		 strstr(buf, "[always]") ? " (prefer madvise or never)" : "");
}

static void check_tsc(const char *root, struct cpu_check *out, size_t max, size_t *n)
{
	char src[64], flags[8192] = "";
	char full[512];
	FILE *f;
	bool invariant = false;
	struct cpu_check *c;

	snprintf(full, sizeof(full), "%s/proc/cpuinfo", root);
	f = fopen(full, "r");
	if (f) {
		while (fgets(flags, sizeof(flags), f)) {
			if (strncmp(flags, "flags", 5) == 0) {
				invariant = strstr(flags, " constant_tsc") && strstr(flags, " nonstop_tsc");
				break;
			}
		}
		fclose(f);
	}
	c = add(out, max, n, "tsc", invariant ? CPU_CHECK_PASS : CPU_CHECK_WARN);
	snprintf(c->detail, sizeof(c->detail), invariant ? "invariant (constant_tsc nonstop_tsc)"
							 : "not invariant: clock falls back to clock_gettime");
	if (read_line(root, "/sys/devices/system/clocksource/clocksource0/current_clocksource",
		      src, sizeof(src)) == 0) {
		c = add(out, max, n, "clocksource", strcmp(src, "tsc") == 0 ? CPU_CHECK_PASS
									      : CPU_CHECK_WARN);
		snprintf(c->detail, sizeof(c->detail), "%s%s", src,
			 strcmp(src, "tsc") == 0 ? "" : " (kernel does not trust the TSC)");
	}
}

static void check_irq(const char *root, struct cpu_check *out, size_t max, size_t *n)
{
	char buf[256];
	struct cpu_check *c;

	if (read_line(root, "/proc/irq/default_smp_affinity", buf, sizeof(buf)) != 0)
		return;
	c = add(out, max, n, "irq-affinity", CPU_CHECK_INFO);
	snprintf(c->detail, sizeof(c->detail), "default mask %.100s (keep isolated cores out of it)", buf);
}

size_t cpu_tuning_report(const char *root, struct cpu_check *out, size_t max)
{
	size_t n = 0;

	if (!root)
		root = "";
	check_cpu_list(root, out, max, &n, "isolcpus", "/sys/devices/system/cpu/isolated",
		       "kernel does not report isolated cpus");
	check_cpu_list(root, out, max, &n, "nohz_full", "/sys/devices/system/cpu/nohz_full",
		       "kernel built without nohz_full");
	check_governor(root, out, max, &n);
	check_hugepages(root, out, max, &n);
	check_thp(root, out, max, &n);
	check_tsc(root, out, max, &n);
	check_irq(root, out, max, &n);
	return n < max ? n : max;
}

void cpu_tuning_print(FILE *f, const struct cpu_check *c, size_t n)
{
	static const char *const lvl[] = { "PASS", "WARN", "INFO" };

	for (size_t i = 0; i < n; i++)
		fprintf(f, "%-4s  %-13s %s\n", lvl[c[i].level], c[i].name, c[i].detail);
}
