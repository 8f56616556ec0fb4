/* report_plot.c - gnuplot scripts and data files for pnl.png and
 * latency.png, and running gnuplot on them (posix_spawnp, no shell). The
 * scripts pick the pngcairo terminal when gnuplot has it, else png. Main
 * thread; cold code only. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tools/report_plot.h"

extern char **environ;

#define PLOT_PATH_MAX 4096
#define PLOT_LINE_MAX 65536
#define PLOT_SYM_LINES_MAX 8   /* per-symbol position curves drawn at most */

static int path_join(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, PLOT_PATH_MAX, "%s/%s", dir, name);

	return n < 0 || n >= PLOT_PATH_MAX ? -ENAMETOOLONG : 0;
}

/* A gnuplot single-quoted string ('' stands for a quote). */
static void put_quoted(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
	fputc('\'', f);
}

static void put_terminal(FILE *f, const char *png)
{
	fprintf(f, "if (strstrt(GPVAL_TERMINALS, \"pngcairo\") > 0) {\n"
		   "  set terminal pngcairo size 1200,800 font \",10\"\n"
		   "} else {\n"
		   "  set terminal png size 1200,800\n"
		   "}\n"
		   "set output ");
	put_quoted(f, png);
	fputc('\n', f);
}

static int close_checked(FILE *f, int rc)
{
	if (ferror(f))
		rc = rc ? rc : -EIO;
	if (fclose(f) != 0)
		rc = rc ? rc : -EIO;
	return rc;
}

/* Split line (modified) at commas into at most max fields; the count. */
static int csv_split(char *line, char **field, int max)
{
	int n = 0;
	char *p = line;

	line[strcspn(line, "\r\n")] = '\0';
	while (n < max) {
		field[n++] = p;
		p = strchr(p, ',');
		if (!p)
			break;
		*p++ = '\0';
	}
	return n;
}

static bool is_uint(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

#define PLOT_COLS_MAX 1024

int plot_write_pnl(const char *out_dir, const char *series_csv, FILE *err)
{
	char dat[PLOT_PATH_MAX], gp[PLOT_PATH_MAX], png[PLOT_PATH_MAX];
	char *line = NULL, **field = NULL, **name = NULL;
	FILE *in = NULL, *fd = NULL, *fg = NULL;
	int rc, ncol = 0, i, rows = 0, lineno = 1;

	if (!out_dir || !series_csv)
		return -EINVAL;
	if ((rc = path_join(dat, out_dir, "pnl.dat")) || (rc = path_join(gp, out_dir, "pnl.gp")) ||
	    (rc = path_join(png, out_dir, "pnl.png")))
		return rc;
	line = malloc(PLOT_LINE_MAX);
	field = calloc(PLOT_COLS_MAX, sizeof(*field));
	name = calloc(PLOT_COLS_MAX, sizeof(*name));
	if (!line || !field || !name) {
		rc = -ENOMEM;
		goto out;
	}
	in = fopen(series_csv, "r");
	if (!in) {
		rc = -errno;
		fprintf(err, "plot: %s: %s\n", series_csv, strerror(errno));
		goto out;
	}
	if (!fgets(line, PLOT_LINE_MAX, in) ||
	    (ncol = csv_split(line, field, PLOT_COLS_MAX)) < 4 || strcmp(field[0], "t_ns") != 0) {
		fprintf(err, "plot: %s: not a series CSV (header)\n", series_csv);
		rc = -EBADMSG;
		goto out;
	}
	for (i = 0; i < ncol; i++)
		if (!(name[i] = strdup(field[i]))) {
			rc = -ENOMEM;
			goto out;
		}
	fd = fopen(dat, "w");
	if (!fd) {
		rc = -errno;
		goto out;
	}
	fprintf(fd, "# t_s");
	for (i = 1; i < ncol; i++)
		fprintf(fd, " %s", name[i]);
	fputc('\n', fd);
	while (fgets(line, PLOT_LINE_MAX, in)) {
		uint64_t t;
		int n = csv_split(line, field, PLOT_COLS_MAX);

		lineno++;
		if (n != ncol || !is_uint(field[0])) {
			fprintf(err, "plot: %s:%d: bad row\n", series_csv, lineno);
			rc = -EBADMSG;
			goto out;
		}
		t = strtoull(field[0], NULL, 10);
		fprintf(fd, "%" PRIu64 ".%09" PRIu64, t / 1000000000u, t % 1000000000u);
		for (i = 1; i < n; i++)
			fprintf(fd, " %s", field[i]);
		fputc('\n', fd);
		rows++;
	}
	if (rows == 0) {
		fprintf(err, "plot: %s: no rows\n", series_csv);
		rc = -EBADMSG;
		goto out;
	}
	fg = fopen(gp, "w");
	if (!fg) {
		rc = -errno;
		goto out;
	}
	fprintf(fg, "# pnl.gp - PnL and inventory over virtual time (written by tickwire)\n");
	put_terminal(fg, png);
	fprintf(fg, "set datafile commentschars \"#\"\n"
		    "set xdata time\nset format x \"%%H:%%M:%%S\"\nset grid\nset key left top\n"
		    "set lmargin 12\n"
		    "set multiplot layout 2,1 title \"PnL and inventory (virtual time)\"\n"
		    "set ylabel \"PnL (USD, net of fees)\"\nplot ");
	put_quoted(fg, dat);
	fprintf(fg, " using ($1):2 with lines lw 2 title \"total PnL\"\n"
		    "set ylabel \"position (shares)\"\nset xlabel \"time\"\nplot ");
	put_quoted(fg, dat);
	fprintf(fg, " using ($1):3 with steps lw 2 title \"net\", '' using ($1):4 with steps "
		    "title \"gross\"");
	if (ncol - 4 > 1 && ncol - 4 <= PLOT_SYM_LINES_MAX)
		for (i = 4; i < ncol; i++) {
			fprintf(fg, ", '' using ($1):%d with steps title ", i + 1);
			put_quoted(fg, name[i]);
		}
	fprintf(fg, "\nunset multiplot\n");
	rc = 0;
out:
	if (fg)
		rc = close_checked(fg, rc);
	if (fd)
		rc = close_checked(fd, rc);
	if (in)
		fclose(in);
	if (name)
		for (i = 0; i < PLOT_COLS_MAX; i++)
			free(name[i]);
	free(name);
	free(field);
	free(line);
	return rc;
}

/* One .hgrm table -> dat rows "value percentile 1/(1-p)" (the 100% rows,
 * infinite on that axis, are left out). The row count or -errno. */
static int hgrm_convert(const char *hgrm, const char *dat, FILE *err)
{
	char line[512];
	FILE *in, *out;
	int rows = 0, rc = 0;

	in = fopen(hgrm, "r");
	if (!in) {
		rc = -errno;
		fprintf(err, "plot: %s: %s\n", hgrm, strerror(errno));
		return rc;
	}
	out = fopen(dat, "w");
	if (!out) {
		rc = -errno;
		fclose(in);
		return rc;
	}
	fprintf(out, "# value percentile inverse_tail\n");
	while (fgets(line, sizeof(line), in)) {
		double v, p, x;
		long long cnt;

		if (line[0] == '#')
			continue;
		if (sscanf(line, "%lf %lf %lld %lf", &v, &p, &cnt, &x) != 4)
			continue;
		if (!isfinite(v) || !(p < 1.0) || !isfinite(x))
			continue;
		fprintf(out, "%.6f %.12f %.6f\n", v, p, x);
		rows++;
	}
	fclose(in);
	rc = close_checked(out, 0);
	if (rc)
		return rc;
	if (rows == 0) {
		fprintf(err, "plot: %s: no percentile rows\n", hgrm);
		return -EBADMSG;
	}
	return rows;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

int plot_write_latency(const char *out_dir, const char *const *hgrm,
		       const char *const *label, uint32_t n, const char *unit, FILE *err)
{
	char dat[PLOT_PATH_MAX], gp[PLOT_PATH_MAX], png[PLOT_PATH_MAX], nm[64];
	FILE *fg;
	uint32_t i;
	int rc;

	if (!out_dir || !hgrm || n == 0)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		snprintf(nm, sizeof(nm), "latency_%u.dat", (unsigned)i);
		if ((rc = path_join(dat, out_dir, nm)))
			return rc;
		rc = hgrm_convert(hgrm[i], dat, err);
		if (rc < 0)
			return rc;
	}
	if ((rc = path_join(gp, out_dir, "latency.gp")) ||
	    (rc = path_join(png, out_dir, "latency.png")))
		return rc;
	fg = fopen(gp, "w");
	if (!fg)
		return -errno;
	fprintf(fg, "# latency.gp - latency by percentile (written by tickwire)\n");
	put_terminal(fg, png);
	fprintf(fg, "set logscale x\nset grid\nset key left top\n"
		    "set xtics (\"0%%%%\" 1, \"90%%%%\" 10, \"99%%%%\" 100, \"99.9%%%%\" 1000, "
		    "\"99.99%%%%\" 10000, \"99.999%%%%\" 100000, \"99.9999%%%%\" 1000000)\n"
		    "set xlabel \"percentile\"\nset ylabel \"latency (%s)\"\n"
		    "set title \"Latency by percentile\"\nplot ",
		unit ? unit : "ns");
	for (i = 0; i < n; i++) {
		snprintf(nm, sizeof(nm), "latency_%u.dat", (unsigned)i);
		path_join(dat, out_dir, nm);
		if (i)
			fprintf(fg, ", ");
		put_quoted(fg, dat);
		fprintf(fg, " using 3:1 with lines lw 2 title ");
		put_quoted(fg, label && label[i] ? label[i] : base_name(hgrm[i]));
	}
	fprintf(fg, "\n");
	return close_checked(fg, 0);
}

int plot_run_gnuplot(const char *gnuplot, const char *out_dir, const char *script, FILE *err)
{
	char path[PLOT_PATH_MAX];
	char *argv[3];
	pid_t pid;
	int rc, st;

	if (!out_dir || !script)
		return -EINVAL;
	if ((rc = path_join(path, out_dir, script)))
		return rc;
	if (!gnuplot)
		gnuplot = "gnuplot";
	argv[0] = (char *)gnuplot;
	argv[1] = path;
	argv[2] = NULL;
	rc = posix_spawnp(&pid, gnuplot, NULL, NULL, argv, environ);
	if (rc == ENOENT) {
		fprintf(err, "plot: %s not found; %s written, no PNG made\n", gnuplot, path);
		return -ENOENT;
	}
	if (rc) {
		fprintf(err, "plot: cannot run %s: %s\n", gnuplot, strerror(rc));
		return -rc;
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		/* posix_spawnp may report a missing program as exit 127 */
		if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
			fprintf(err, "plot: %s not found; %s written, no PNG made\n", gnuplot, path);
			return -ENOENT;
		}
		fprintf(err, "plot: %s %s failed\n", gnuplot, path);
		return -ECHILD;
	}
	return 0;
}

int plot_render(const struct plot_cfg *cfg, FILE *err)
{
	int rc = 0, r;

	if (!cfg || !cfg->out_dir || (cfg->n_hgrm && !cfg->hgrm))
		return -EINVAL;
	if (cfg->series_csv) {
		r = plot_write_pnl(cfg->out_dir, cfg->series_csv, err);
		if (r == 0)
			r = plot_run_gnuplot(cfg->gnuplot, cfg->out_dir, "pnl.gp", err);
		rc = rc ? rc : r;
	}
	if (cfg->n_hgrm) {
		r = plot_write_latency(cfg->out_dir, cfg->hgrm, cfg->hgrm_label, cfg->n_hgrm,
				       cfg->latency_unit, err);
		/* a missing gnuplot was said once already */
		if (r == 0 && rc != -ENOENT)
			r = plot_run_gnuplot(cfg->gnuplot, cfg->out_dir, "latency.gp", err);
		rc = rc ? rc : r;
	}
	return rc;
}
