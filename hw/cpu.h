/* cpu.h - CPU placement: pin a thread to a core, and report how well the
 * machine is tuned for busy-polling (isolated cores, nohz_full, frequency
 * governor, hugepages, transparent hugepages). Cold paths only; any thread. */
#ifndef CPU_H
#define CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Pin the calling thread to `cpu`. 0, -EINVAL cpu < 0 or not present on this
 * machine (message in errbuf), -errno from sched_setaffinity. */
int cpu_pin_self(int cpu, char *errbuf, size_t errlen);
/* Number of CPUs configured on this machine. */
int cpu_count(void);
/* CPUs this process may run on (its affinity mask), lowest first: writes
 * up to max of them to cpus and returns how many there are in all. */
int cpu_allowed(int *cpus, int max);
/* CPU the calling thread runs on now, or -1. */
int cpu_current(void);

enum cpu_check_level { CPU_CHECK_PASS, CPU_CHECK_WARN, CPU_CHECK_INFO };

struct cpu_check {
	const char *name;          /* e.g. "isolcpus" */
	enum cpu_check_level level;
	char detail[160];
};

/* Fill up to max checks about isolation and tuning, read from /proc and
 * /sys under `root` ("" for the real machine; tests pass a fake tree).
 * Returns how many were written. Never fails: unreadable files are reported
 * as INFO lines. */
size_t cpu_tuning_report(const char *root, struct cpu_check *out, size_t max);
/* Print checks as "PASS|WARN|INFO  name  detail" lines. */
void cpu_tuning_print(FILE *f, const struct cpu_check *c, size_t n);

/* Parse a Linux CPU list ("0-3,8,10-11") into a bitmap of nbits bits.
 * Returns the number of CPUs set, or -EINVAL on malformed input. */
int cpu_list_parse(const char *s, unsigned long *bits, size_t nbits);

#endif /* CPU_H */
