/* tickwire.c - the `tickwire` program: git-style subcommands, each a cmd_*
 * function from tools/. Only this file decides the process exit status. */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "tools/cmd.h"

#ifndef TICKWIRE_VERSION
#define TICKWIRE_VERSION "0.1.0"
#endif

static int run_hist(int argc, char **argv)
{
	return cmd_hist(argc, argv, stdin, stdout, stderr);
}

static int run_check(int argc, char **argv)
{
	return cmd_check(argc, argv, stdout, stderr);
}

static int run_book(int argc, char **argv)
{
	return cmd_book(argc, argv, stdout, stderr);
}

static int run_synth(int argc, char **argv)
{
	return cmd_synth(argc, argv, stdout, stderr);
}

static int run_paper(int argc, char **argv)
{
	return cmd_paper(argc, argv, stdout, stderr);
}

static int run_research(int argc, char **argv)
{
	return cmd_research(argc, argv, stdout, stderr);
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "paper", run_paper, "paper-trade a recorded capture: feed, strategy, gateway, simulated venue" },
	{ "hist", run_hist, "turn a list of latencies into HDR percentiles (.hgrm, interval log)" },
	{ "book", run_book, "replay a capture through the feed: books and feed statistics" },
	{ "synth", run_synth, "write ITCH 5.0 over MoldUDP64 pcaps from a seeded order-flow model" },
	{ "research", run_research, "reproduce published market-making results (as2008)" },
	{ "check", run_check, "report how well this server is tuned (cores, governor, hugepages, TSC)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: tickwire [--version] [--help] <command> [<args>]\n\n"
		   "Low-latency market-making appliance: ITCH 5.0 feed, quoting, order gateway.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'tickwire <command> --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	const char *name;

	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
		printf("tickwire %s\n", TICKWIRE_VERSION);
		return 0;
	}
	if (strcmp(name, "help") == 0 && argc >= 3) {
		char help[] = "--help";
		char *args[] = { argv[2], help, NULL };

		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (strcmp(argv[2], commands[i].name) == 0)
				return commands[i].run(2, args);
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "tickwire: '%s' is not a command. See 'tickwire --help'.\n", name);
	return EX_USAGE;
}
