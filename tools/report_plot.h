/* report_plot.h - PNG plots of a paper-trading run: pnl.png (PnL and
 * inventory over virtual time, from acct_write_series_csv's file) and
 * latency.png (percentile curves from .hgrm files). Writes gnuplot scripts
 * and data files into the output folder and runs gnuplot. Main thread. */
#ifndef REPORT_PLOT_H
#define REPORT_PLOT_H

#include <stdint.h>
#include <stdio.h>

struct plot_cfg {
	const char *out_dir;            /* scripts, .dat and .png go here */
	const char *series_csv;         /* acct series CSV; NULL: no pnl.png */
	const char *const *hgrm;        /* n_hgrm .hgrm tables; none: no latency.png */
	const char *const *hgrm_label;  /* NULL, or n_hgrm curve titles (default: file name) */
	uint32_t n_hgrm;
	const char *latency_unit;       /* y-axis unit of the .hgrm values; NULL: "ns" */
	const char *gnuplot;            /* program; NULL: "gnuplot" found on PATH */
};

/* Series CSV -> out_dir/pnl.dat and pnl.gp. Columns of pnl.dat: seconds,
 * pnl (USD), net position, gross position, then one per symbol.
 * 0, -ENOENT/-errno unreadable input, -EBADMSG bad CSV, -EIO write error. */
int plot_write_pnl(const char *out_dir, const char *series_csv, FILE *err);
/* .hgrm tables -> out_dir/latency_<i>.dat and latency.gp.
 * 0, -errno unreadable, -EBADMSG no rows in a table, -EIO write error. */
int plot_write_latency(const char *out_dir, const char *const *hgrm,
		       const char *const *label, uint32_t n, const char *unit, FILE *err);
/* Run gnuplot on out_dir/script. 0; -ENOENT gnuplot missing (said on err);
 * -ECHILD gnuplot failed; -errno could not start it. */
int plot_run_gnuplot(const char *gnuplot, const char *out_dir, const char *script, FILE *err);
/* All of the above for cfg: the files, then gnuplot for each plot. Returns
 * the first error (a missing gnuplot is reported on err and returned as
 * -ENOENT after every script and data file is written). -EINVAL bad cfg. */
int plot_render(const struct plot_cfg *cfg, FILE *err);

#endif /* REPORT_PLOT_H */
