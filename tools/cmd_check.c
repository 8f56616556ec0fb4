/* cmd_check.c - `tickwire check`: is this server tuned for busy-polling?
 * Prints the clock in use and a PASS/WARN/INFO list. Main thread. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <sysexits.h>

#include "hw/cpu.h"
#include "hw/tsc.h"
#include "tools/cmd.h"

static void check_usage(FILE *f)
{
	fprintf(f, "usage: tickwire check [--strict] [--root DIR]\n\n"
		   "Reports isolated cores, nohz_full, the frequency governor, hugepages,\n"
		   "transparent hugepages, the TSC and the clock source.\n\n"
		   "  --strict    exit 1 when any check warns (for provisioning scripts)\n"
		   "  --root DIR  read /proc and /sys under DIR (testing)\n"
		   "  -h, --help  this text\n\n"
		   "exit status: 0 done (and, with --strict, nothing warned), 1 a check warned\n"
		   "under --strict, 64 bad options\n");
}

int cmd_check(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct option opts[] = {
		{ "strict", no_argument, NULL, 's' },
		{ "root", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cpu_check checks[32];
	const char *root = "";
	bool strict = false;
	struct tsc_clock clk;
	size_t n, warned = 0;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': strict = true; break;
		case 'r': root = optarg; break;
		case 'h': check_usage(out); return 0;
		default:
			fprintf(err, "tickwire check: unknown or incomplete option '%s'\n",
				argv[optind - 1]);
			check_usage(err);
			return EX_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(err, "tickwire check: unexpected argument '%s'\n", argv[optind]);
		return EX_USAGE;
	}

	n = cpu_tuning_report(root, checks, sizeof(checks) / sizeof(checks[0]));
	if (root[0] == '\0') {
		tsc_init(&clk, NULL);
		fprintf(out, "%-4s  %-13s %s: %s\n", clk.source == TSC_SRC_TSC ? "PASS" : "WARN",
			"clock", tsc_source_name(clk.source), clk.why);
		warned += clk.source != TSC_SRC_TSC;
		fprintf(out, "INFO  %-13s %d configured\n", "cpus", cpu_count());
	}
	cpu_tuning_print(out, checks, n);
	for (size_t i = 0; i < n; i++)
		warned += checks[i].level == CPU_CHECK_WARN;
	fprintf(out, "%zu warning%s\n", warned, warned == 1 ? "" : "s");
	return strict && warned ? 1 : 0;
}
