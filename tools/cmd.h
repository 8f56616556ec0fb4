/* cmd.h - the tickwire subcommands, each a function the CLI's main() and the
 * tests call. Streams are parameters so tests run commands in-process.
 * Exit statuses follow sysexits.h: 0 ok, EX_USAGE (64) bad options,
 * EX_DATAERR (65) bad input data, EX_NOINPUT (66) missing input file,
 * EX_SOFTWARE (70) internal error, EX_IOERR (74) write failure. Main thread. */
#ifndef CMD_H
#define CMD_H

#include <stdio.h>

/* tickwire hist [FILE]: newline-separated integers -> .hgrm on out. */
int cmd_hist(int argc, char **argv, FILE *in, FILE *out, FILE *err);
/* tickwire check: is this server tuned for busy-polling? */
int cmd_check(int argc, char **argv, FILE *out, FILE *err);

/* tickwire book CAPTURE: replay a capture, print books and feed statistics. */
int cmd_book(int argc, char **argv, FILE *out, FILE *err);
/* tickwire synth: write ITCH 5.0 over MoldUDP64 pcaps from a seeded model. */
int cmd_synth(int argc, char **argv, FILE *out, FILE *err);

/* tickwire research as2008: Avellaneda-Stoikov (2008) Monte Carlo, seeded. */
int cmd_research(int argc, char **argv, FILE *out, FILE *err);

/* tickwire paper CAPTURE: paper trading against a recorded capture. */
int cmd_paper(int argc, char **argv, FILE *out, FILE *err);

#endif /* CMD_H */
