/* test_paper.c - `tickwire paper` run in-process: determinism of the report
 * files, hand-built captures whose outcome is known exactly (queue, trade
 * through, cancel racing a fill, post-only reject, partial fills, kill
 * switch), the accounts recomputed from fills.csv, runs on every shared
 * capture and on synthetic ones, and bad usage. One thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "dataplane/itch.h"
#include "dataplane/itch_enc.h"
#include "tests/test_data.h"
#include "tests/test_fs.h"
#include "hw/tsc.h"
#include "tools/cmd.h"
#include "tools/paper.h"

#define MAX_ARGS 64

static char tmp_dir[64];

/* ------------------------------------------------------------- helpers */

struct run {
	int rc;
	char *out, *err;
	size_t out_len, err_len;
};

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

/* Run cmd with argv0 and the NULL-terminated lists a and b (b may be NULL). */
static void run_cmd(struct run *r, int (*cmd)(int, char **, FILE *, FILE *), const char *argv0,
		    const char *const *a, const char *const *b)
{
	char *argv[MAX_ARGS + 2];
	int argc = 0;
	FILE *out, *err;

	argv[argc++] = (char *)argv0;
	for (int i = 0; a && a[i]; i++) {
		assert_true(argc < MAX_ARGS);
		argv[argc++] = (char *)a[i];
	}
	for (int i = 0; b && b[i]; i++) {
		assert_true(argc < MAX_ARGS);
		argv[argc++] = (char *)b[i];
	}
	argv[argc] = NULL;
	memset(r, 0, sizeof(*r));
	out = open_memstream(&r->out, &r->out_len);
	err = open_memstream(&r->err, &r->err_len);
	assert_non_null(out);
	assert_non_null(err);
	r->rc = cmd(argc, argv, out, err);
	fclose(out);
	fclose(err);
	if (!r->out)
		r->out = strdup("");
	if (!r->err)
		r->err = strdup("");
}

static int cmd_paper_fn(int argc, char **argv, FILE *out, FILE *err)
{
	return cmd_paper(argc, argv, out, err);
}

static int cmd_synth_fn(int argc, char **argv, FILE *out, FILE *err)
{
	return cmd_synth(argc, argv, out, err);
}

static int cmd_book_fn(int argc, char **argv, FILE *out, FILE *err)
{
	return cmd_book(argc, argv, out, err);
}

static void tmp_path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", tmp_dir, name);
}

/* Whole file into a NUL-terminated buffer (NULL when unreadable). */
static char *slurp(const char *dir, const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle)) {
		print_error("expected to find:\n%s\nin:\n%s\n", needle, hay);
		fail();
	}
}

/* The last line of s (without its newline) into line. */
static void last_line(const char *s, char *line, size_t n)
{
	size_t len = strlen(s);
	const char *e, *b;

	while (len && s[len - 1] == '\n')
		len--;
	e = s + len;
	b = e;
	while (b > s && b[-1] != '\n')
		b--;
	snprintf(line, n, "%.*s", (int)(e - b), b);
}

static const char *const summary_keys[] = {
	"pnl_realised", "pnl_unrealised", "pnl_total", "fees", "volume", "fills", "orders",
	"cancels", "rejects", "kill_switch", "t2t_p50_ns", "t2t_p99_ns", "t2t_p999_ns",
};
#define N_SUMMARY (sizeof(summary_keys) / sizeof(summary_keys[0]))

/* The summary (last stdout line) is well formed: every key in order, money
 * with 4 decimals, counts as integers. Values into v (money in 1e-4 USD). */
static void parse_summary(const char *out, int64_t v[N_SUMMARY])
{
	char line[1024];
	const char *p;

	last_line(out, line, sizeof(line));
	if (strncmp(line, "summary ", 8) != 0) {
		print_error("last line is not the summary: '%s'\n", line);
		fail();
	}
	p = line + 8;
	for (size_t k = 0; k < N_SUMMARY; k++) {
		size_t kl = strlen(summary_keys[k]);
		bool money = k < 4, neg = false;
		int64_t x = 0;
		int digits = 0;

		if (strncmp(p, summary_keys[k], kl) != 0 || p[kl] != '=') {
			print_error("summary key %zu: want '%s=' at '%s'\n", k, summary_keys[k], p);
			fail();
		}
		p += kl + 1;
		if (*p == '-' && money) {
			neg = true;
			p++;
		}
		while (*p >= '0' && *p <= '9') {
			x = x * 10 + (*p++ - '0');
			digits++;
		}
		assert_true(digits > 0);
		if (money) {
			assert_int_equal(*p, '.');
			p++;
			for (int i = 0; i < 4; i++) {
				assert_true(*p >= '0' && *p <= '9');
				x = x * 10 + (*p++ - '0');
			}
		}
		v[k] = neg ? -x : x;
		if (k + 1 < N_SUMMARY) {
			assert_int_equal(*p, ' ');
			p++;
		} else {
			assert_int_equal(*p, 0);
		}
	}
	assert_true(v[9] == 0 || v[9] == 1);
}

/* "12.3456" or "-0.0020" -> 1e-4 units; exactly 4 decimals required. */
static int64_t money_e4(const char *s)
{
	bool neg = *s == '-';
	int64_t x = 0;

	if (neg)
		s++;
	while (*s >= '0' && *s <= '9')
		x = x * 10 + (*s++ - '0');
	assert_int_equal(*s, '.');
	s++;
	for (int i = 0; i < 4; i++) {
		assert_true(*s >= '0' && *s <= '9');
		x = x * 10 + (*s++ - '0');
	}
	assert_false(*s >= '0' && *s <= '9');
	return neg ? -x : x;
}

/* In report.json, the object of symbol name (NULL: "total"), then the
 * value text after "key": within it. */
static const char *json_obj(const char *json, const char *name)
{
	char pat[64];
	const char *p;

	if (name)
		snprintf(pat, sizeof(pat), "\"symbol\": \"%s\"", name);
	else
		snprintf(pat, sizeof(pat), "\"total\": {");
	p = strstr(json, pat);
	if (!p) {
		print_error("report.json has no '%s'\n", pat);
		fail();
	}
	return p;
}

static const char *json_val(const char *obj, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	p = strstr(obj, pat);
	if (!p) {
		print_error("no key '%s'\n", key);
		fail();
	}
	return p + strlen(pat);
}

/* ------------------------------------------------------------- paper runs */

/* Settings that make the strategy's quotes predictable: one level of 100
 * shares at the edge of presence (fair = mid, one tick away: at the touch
 * for a two-tick spread; a maker rebate of one cent keeps the model's own
 * offset, toxicity widening included, inside that edge), orders never moved
 * or resized once placed (tolerance 1000 ticks, minimum life 10 minutes, no
 * maximum age), no toxicity pulls, no inventory skew, exact latencies (md 1 us, entry 10 us, ack
 * 10 us, no jitter). */
static const char *const exact_sets[] = {
	"--set", "run.md_latency_ns=1000",
	"--set", "venue.entry_latency_ns=10000",
	"--set", "venue.entry_jitter_ns=0",
	"--set", "venue.ack_latency_ns=10000",
	"--set", "venue.ack_jitter_ns=0",
	"--set", "strategy.levels=1",
	"--set", "strategy.sizes=[100]",
	"--set", "strategy.tolerance_ticks=1000",
	"--set", "strategy.max_age_ms=0",
	"--set", "strategy.min_life_ms=600000",
	"--set", "fees.maker_rebate_e4=100",
	"--set", "strategy.fair_weight=0",
	"--set", "strategy.inv_unit=10000000",
	"--set", "strategy.tox_shrink=100000000",
	"--set", "strategy.tox_pull=1000000000",
	"--set", "run.max_orders=1024",
	"--no-plots", "--quiet",
	NULL,
};

/* Run `tickwire paper capture --out dir` with extra args then sets. */
static void run_paper(struct run *r, const char *capture, const char *dir,
		      const char *const *extra, const char *const *sets)
{
	const char *a[MAX_ARGS];
	int n = 0;

	a[n++] = capture;
	if (dir) {
		a[n++] = "--out";
		a[n++] = dir;
	}
	for (int i = 0; extra && extra[i]; i++)
		a[n++] = extra[i];
	a[n] = NULL;
	run_cmd(r, cmd_paper_fn, "paper", a, sets);
	if (r->rc != 0 && r->rc != EX_DATAERR)
		print_message("paper %s: rc %d\n%s", capture, r->rc, r->err);
}

/* ------------------------------------------------------------- captures */

#define T0 UINT64_C(34200000000000) /* 09:30:00 */
#define MS UINT64_C(1000000)
#define LOC 1
#define PX_BID 100000u /* $10.00 */
#define PX_ASK 100200u /* $10.02 */

struct cap {
	uint8_t buf[16384];
	size_t len;
	uint64_t match;
};

static void cap_put(struct cap *c, const struct itch_msg *m)
{
	int n = itch_encode(m, c->buf + c->len + 2, sizeof(c->buf) - c->len - 2);

	assert_true(n > 0);
	wire_put16(c->buf + c->len, (uint16_t)n);
	c->len += 2 + (size_t)n;
}

static void stock8(char *dst, const char *name)
{
	memset(dst, ' ', 8);
	memcpy(dst, name, strlen(name));
}

/* System event, directory and trading state of TEST at t. */
static void cap_start(struct cap *c, uint64_t t)
{
	struct itch_msg m;

	memset(c, 0, sizeof(*c));
	memset(&m, 0, sizeof(m));
	m.type = 'S';
	m.ts_ns = t;
	m.system_event.event_code = 'Q';
	cap_put(c, &m);
	memset(&m, 0, sizeof(m));
	m.type = 'R';
	m.locate = LOC;
	m.ts_ns = t;
	stock8(m.directory.stock, "TEST");
	m.directory.market_category = 'Q';
	m.directory.financial_status = 'N';
	m.directory.round_lot_size = 100;
	m.directory.round_lots_only = 'N';
	m.directory.issue_classification = 'C';
	memcpy(m.directory.issue_sub_type, "Z ", 2);
	m.directory.authenticity = 'P';
	m.directory.short_sale_threshold = 'N';
	m.directory.ipo_flag = 'N';
	m.directory.luld_tier = '1';
	m.directory.etp_flag = 'N';
	m.directory.inverse = 'N';
	cap_put(c, &m);
	memset(&m, 0, sizeof(m));
	m.type = 'H';
	m.locate = LOC;
	m.ts_ns = t;
	stock8(m.trading_action.stock, "TEST");
	m.trading_action.state = 'T';
	memcpy(m.trading_action.reason, "    ", 4);
	cap_put(c, &m);
}

static void cap_add(struct cap *c, uint64_t t, uint64_t ref, char side, uint32_t shares,
		    uint32_t px)
{
	struct itch_msg m;

	memset(&m, 0, sizeof(m));
	m.type = 'A';
	m.locate = LOC;
	m.ts_ns = t;
	m.add.ref = ref;
	m.add.side = (uint8_t)side;
	m.add.shares = shares;
	stock8(m.add.stock, "TEST");
	m.add.price = px;
	memcpy(m.add.mpid, "    ", 4);
	cap_put(c, &m);
}

/* Directory and trading state of locate loc, named by the 8 raw bytes
 * raw (a hostile capture may put anything there). */
static void cap_sym(struct cap *c, uint64_t t, uint16_t loc, const char raw[8])
{
	struct itch_msg m;

	memset(&m, 0, sizeof(m));
	m.type = 'R';
	m.locate = loc;
	m.ts_ns = t;
	memcpy(m.directory.stock, raw, 8);
	m.directory.market_category = 'Q';
	m.directory.financial_status = 'N';
	m.directory.round_lot_size = 100;
	m.directory.round_lots_only = 'N';
	m.directory.issue_classification = 'C';
	memcpy(m.directory.issue_sub_type, "Z ", 2);
	m.directory.authenticity = 'P';
	m.directory.short_sale_threshold = 'N';
	m.directory.ipo_flag = 'N';
	m.directory.luld_tier = '1';
	m.directory.etp_flag = 'N';
	m.directory.inverse = 'N';
	cap_put(c, &m);
	memset(&m, 0, sizeof(m));
	m.type = 'H';
	m.locate = loc;
	m.ts_ns = t;
	memcpy(m.trading_action.stock, raw, 8);
	m.trading_action.state = 'T';
	memcpy(m.trading_action.reason, "    ", 4);
	cap_put(c, &m);
}

/* An add on locate loc (the add's stock field is not what names it). */
static __attribute__((unused)) void cap_add_loc(struct cap *c, uint64_t t, uint16_t loc, uint64_t ref, char side,
			uint32_t shares, uint32_t px)
{
	struct itch_msg m;

	memset(&m, 0, sizeof(m));
	m.type = 'A';
	m.locate = loc;
	m.ts_ns = t;
	m.add.ref = ref;
	m.add.side = (uint8_t)side;
	m.add.shares = shares;
	stock8(m.add.stock, "TEST");
	m.add.price = px;
	memcpy(m.add.mpid, "    ", 4);
	cap_put(c, &m);
}

static void cap_exec(struct cap *c, uint64_t t, uint64_t ref, uint32_t shares)
{
	struct itch_msg m;

	memset(&m, 0, sizeof(m));
	m.type = 'E';
	m.locate = LOC;
	m.ts_ns = t;
	m.exec.ref = ref;
	m.exec.shares = shares;
	m.exec.match = ++c->match;
	m.exec.printable = 'Y';
	cap_put(c, &m);
}

static void cap_del(struct cap *c, uint64_t t, uint64_t ref)
{
	struct itch_msg m;

	memset(&m, 0, sizeof(m));
	m.type = 'D';
	m.locate = LOC;
	m.ts_ns = t;
	m.del.ref = ref;
	cap_put(c, &m);
}

static void cap_write(const struct cap *c, const char *name, char *path, size_t n)
{
	FILE *f;

	tmp_path(path, n, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(c->buf, 1, c->len, f), c->len);
	assert_int_equal(fclose(f), 0);
}

/* Lines of a CSV file (header dropped) as an array of strings. */
struct lines {
	char *buf;
	char *l[4096];
	int n;
};

static void lines_load(struct lines *ls, const char *dir, const char *name)
{
	char *p;

	memset(ls, 0, sizeof(*ls));
	ls->buf = slurp(dir, name, NULL);
	assert_non_null(ls->buf);
	p = strchr(ls->buf, '\n');
	assert_non_null(p);
	p++;
	while (*p) {
		char *e = strchr(p, '\n');

		assert_non_null(e);
		*e = 0;
		assert_true(ls->n < 4096);
		ls->l[ls->n++] = p;
		p = e + 1;
	}
}

static void lines_print(const struct lines *ls, const char *what)
{
	print_message("%s (%d lines):\n", what, ls->n);
	for (int i = 0; i < ls->n; i++)
		print_message("  %s\n", ls->l[i]);
}

/* ------------------------------------------------------------- accounts */

/* One symbol's book, recomputed from fills.csv by the definitions of
 * docs/paper.md (Reports) (average cost, removed basis rounded toward zero). */
struct book_acct {
	int64_t position, basis, realised, fees, cash, shares, notional;
	uint64_t fills;
};

static void acct_apply(struct book_acct *b, char side, int64_t px, int64_t qty, int64_t fee)
{
	int64_t d = side == 'B' ? 1 : -1, close = 0, removed = 0;

	if (b->position != 0 && (b->position > 0) != (d > 0)) {
		int64_t open = b->position > 0 ? b->position : -b->position;

		close = qty < open ? qty : open;
		/* C division truncates toward zero, as the definition asks */
		removed = close == open ? b->basis : b->basis * close / open;
	}
	b->realised += -d * px * close - removed;
	b->basis += -removed + d * px * (qty - close);
	b->position += d * qty;
	b->cash += -d * px * qty - fee;
	b->fees += fee;
	b->shares += qty;
	b->notional += px * qty;
	b->fills++;
}

static void expect_money(const char *obj, const char *key, int64_t want)
{
	int64_t got = money_e4(json_val(obj, key));

	if (got != want)
		fail_msg("report.json %s: got %" PRId64 " want %" PRId64 " (1e-4 USD)", key, got,
			 want);
}

static void expect_int(const char *obj, const char *key, int64_t want)
{
	int64_t got = strtoll(json_val(obj, key), NULL, 10);

	if (got != want)
		fail_msg("report.json %s: got %" PRId64 " want %" PRId64, key, got, want);
}

/* Recompute every symbol's and the total's position, cash, realised,
 * unrealised and total PnL, fees and volume from dir/fills.csv with the
 * last mids given (marks[i] for names[i], every symbol that filled) and
 * compare with report.json and the summary line of out, to the unit. */
static void check_accounts(const char *dir, const char *out, const char *const *names,
			   const uint32_t *marks, int n)
{
	struct book_acct b[64], tot;
	struct lines fl;
	char *json = slurp(dir, "report.json", NULL);
	int64_t sum[N_SUMMARY], unreal_tot = 0;

	assert_non_null(json);
	assert_true(n <= 64);
	memset(b, 0, sizeof(b));
	memset(&tot, 0, sizeof(tot));
	lines_load(&fl, dir, "fills.csv");
	for (int i = 0; i < fl.n; i++) {
		char sym[32], side, liq, fee[32];
		unsigned px, qty;
		uint64_t t, tok;
		int k;

		if (sscanf(fl.l[i], "%" SCNu64 ",%31[^,],%c,%u,%u,%c,%31[^,],%" SCNu64, &t, sym,
			   &side, &px, &qty, &liq, fee, &tok) != 8)
			fail_msg("fills.csv line %d: %s", i + 2, fl.l[i]);
		assert_true(side == 'B' || side == 'S');
		assert_true(liq == 'A' || liq == 'R');
		for (k = 0; k < n && strcmp(names[k], sym) != 0; k++)
			;
		if (k == n)
			fail_msg("fills.csv: a fill of %s, a symbol with no mark given", sym);
		acct_apply(&b[k], side, px, qty, money_e4(fee));
	}
	for (int k = 0; k < n; k++) {
		const char *o = json_obj(json, names[k]);
		int64_t unreal = b[k].position * (int64_t)marks[k] - b[k].basis;

		if (b[k].fills == 0 && !strstr(json, names[k]))
			continue;
		expect_int(o, "fills", (int64_t)b[k].fills);
		expect_int(o, "position", b[k].position);
		expect_money(o, "cash", b[k].cash);
		expect_money(o, "pnl_realised", b[k].realised);
		expect_money(o, "pnl_unrealised", unreal);
		expect_money(o, "pnl_total", b[k].cash + b[k].position * (int64_t)marks[k]);
		expect_money(o, "fees", b[k].fees);
		expect_int(json_val(o, "volume"), "shares", b[k].shares);
		expect_money(json_val(o, "volume"), "notional", b[k].notional);
		/* the identity of the definitions */
		assert_int_equal(b[k].cash + b[k].position * (int64_t)marks[k],
				 b[k].realised + unreal - b[k].fees);
		unreal_tot += unreal;
		/* the total sums its symbols */
		tot.position += b[k].position;
		tot.realised += b[k].realised;
		tot.cash += b[k].cash;
		tot.fees += b[k].fees;
		tot.shares += b[k].shares;
		tot.fills += b[k].fills;
	}
	{
		const char *o = json_obj(json, NULL);

		expect_int(o, "fills", (int64_t)tot.fills);
		expect_int(o, "position", tot.position);
		expect_money(o, "cash", tot.cash);
		expect_money(o, "pnl_realised", tot.realised);
		expect_money(o, "pnl_unrealised", unreal_tot);
		expect_money(o, "pnl_total", tot.realised + unreal_tot - tot.fees);
		expect_money(o, "fees", tot.fees);
		expect_int(json_val(o, "volume"), "shares", tot.shares);
	}
	parse_summary(out, sum);
	assert_int_equal(sum[0], tot.realised);
	assert_int_equal(sum[1], unreal_tot);
	assert_int_equal(sum[2], tot.realised + unreal_tot - tot.fees);
	assert_int_equal(sum[3], tot.fees);
	assert_int_equal(sum[4], tot.shares);
	assert_int_equal(sum[5], (int64_t)tot.fills);
	free(fl.buf);
	free(json);
}

/* ------------------------------------------------------------- exact cases */

/* Every line of ls equals want[] (NULL-terminated), in order. */
static void expect_lines(const struct lines *ls, const char *what, const char *const *want)
{
	int n = 0;

	while (want[n])
		n++;
	for (int i = 0; i < n || i < ls->n; i++) {
		const char *got = i < ls->n ? ls->l[i] : "(none)";
		const char *exp = i < n ? want[i] : "(none)";

		if (strcmp(got, exp) != 0) {
			lines_print(ls, what);
			fail_msg("%s line %d:\n got  %s\n want %s", what, i + 1, got, exp);
		}
	}
}

/* Run the hand-built capture c (name: its file) with the exact settings and
 * extra sets; outputs in tmp_dir/name.out. */
static void run_exact(struct run *r, const struct cap *c, const char *name, char *dir, size_t n,
		      const char *const *more)
{
	char path[512];
	const char *a[MAX_ARGS];
	int k = 0;

	cap_write(c, name, path, sizeof(path));
	snprintf(dir, n, "%s/%s.out", tmp_dir, name);
	a[k++] = "--symbols";
	a[k++] = "TEST";
	for (int i = 0; more && more[i]; i++)
		a[k++] = more[i];
	a[k] = NULL;
	run_paper(r, path, dir, a, exact_sets);
	assert_int_equal(r->rc, 0);
}

/* (a) queue ahead consumed exactly, (e) partial fills. Our bid joins behind
 * 300 recorded shares (ref 1); an order joins behind us (ref 3). Executions
 * of 200 and 100 shares of ref 1 use up the queue exactly and fill nothing;
 * then 50 and 70 shares of ref 3 (behind us) fill us 50, then the 50 left. */
static void test_queue_exact(void **state)
{
	struct cap c;
	struct run r;
	struct lines fl, ol;
	char dir[512];
	uint64_t t = T0;
	(void)state;

	cap_start(&c, t);
	cap_add(&c, t += MS, 1, 'B', 300, PX_BID);
	cap_add(&c, t += MS, 2, 'S', 300, PX_ASK);  /* t2: we quote 10.00 / 10.02 */
	cap_add(&c, t += MS, 3, 'B', 200, PX_BID);  /* t3: our orders joined first */
	cap_exec(&c, t += MS, 1, 200);               /* t4: ahead 300 -> 100 */
	cap_exec(&c, t += MS, 1, 100);               /* t5: ahead 100 -> 0, no fill */
	cap_add(&c, t += MS, 4, 'S', 100, PX_ASK + 100);
	cap_exec(&c, t += MS, 3, 50);                /* t7: fills us 50 */
	cap_add(&c, t += MS, 5, 'S', 100, PX_ASK + 200);
	cap_exec(&c, t += MS, 3, 70);                /* t9: fills our last 50 */
	cap_add(&c, t += MS, 6, 'S', 100, PX_ASK + 300);
	run_exact(&r, &c, "queue", dir, sizeof(dir), NULL);
	{
		/* t: the report is handled at the next message plus md latency */
		static const char *const orders[] = {
			"34200002001000,TEST,NEW,B,100000,100,1099511627776,0,6,intent,sent,0",
			"34200002001000,TEST,NEW,S,100200,100,1099511627777,0,6,intent,sent,0",
			"34200002021000,TEST,ACCEPTED,B,100000,100,1099511627776,0,0,report,100,0",
			"34200002021000,TEST,ACCEPTED,S,100200,100,1099511627777,0,0,report,100,0",
			"34200007010000,TEST,FILL,B,100000,50,1099511627776,0,0,report,50,0",
			"34200009010000,TEST,FILL,B,100000,50,1099511627776,0,0,report,0,0",
			"34200009010000,TEST,NEW,B,100000,100,1099511627778,0,6,intent,sent,0",
			"34200009030000,TEST,ACCEPTED,B,100000,100,1099511627778,0,0,report,100,0",
			NULL
		};
		static const char *const fills[] = {
			"34200007010000,TEST,B,100000,50,A,-0.5000,1099511627776",
			"34200009010000,TEST,B,100000,50,A,-0.5000,1099511627776",
			NULL
		};

		lines_load(&ol, dir, "orders.csv");
		lines_load(&fl, dir, "fills.csv");
		expect_lines(&ol, "orders.csv", orders);
		expect_lines(&fl, "fills.csv", fills);
	}
	{
		const char *names[] = { "TEST" };
		uint32_t marks[] = { (PX_BID + PX_ASK) / 2 };

		check_accounts(dir, r.out, names, marks, 1);
	}
	run_free(&r);
	free(fl.buf);
	free(ol.buf);
}

/* orders.csv and fills.csv of dir are exactly these lines. */
static void expect_files(const char *dir, const char *const *orders, const char *const *fills)
{
	struct lines fl, ol;

	lines_load(&ol, dir, "orders.csv");
	lines_load(&fl, dir, "fills.csv");
	expect_lines(&ol, "orders.csv", orders);
	expect_lines(&fl, "fills.csv", fills);
	free(fl.buf);
	free(ol.buf);
}

/* (b) trade-through: our bid at 10.00 is alone at the top once ref 1 is
 * deleted; a recorded execution of 200 shares at 9.99 (ref 3) would have
 * traded our better price first: a maker fill of all our 100 shares at our
 * limit, though no execution happened at our level. */
static void test_trade_through(void **state)
{
	struct cap c;
	struct run r;
	char dir[512];
	uint64_t t = T0;
	(void)state;

	cap_start(&c, t);
	cap_add(&c, t += MS, 1, 'B', 300, PX_BID);
	cap_add(&c, t += MS, 3, 'B', 500, PX_BID - 100);
	cap_add(&c, t += MS, 2, 'S', 300, PX_ASK);  /* t3: we quote */
	cap_add(&c, t += MS, 4, 'S', 100, PX_ASK + 100);
	cap_del(&c, t += MS, 1);                     /* t5: ahead 300 -> 0 */
	cap_exec(&c, t += MS, 3, 200);               /* t6: through our bid */
	cap_add(&c, t += MS, 5, 'S', 100, PX_ASK + 200);
	run_exact(&r, &c, "through", dir, sizeof(dir), NULL);
	{
		static const char *const orders[] = {
			"34200003001000,TEST,NEW,B,100000,100,1099511627776,0,6,intent,sent,0",
			"34200003001000,TEST,NEW,S,100200,100,1099511627777,0,6,intent,sent,0",
			"34200003021000,TEST,ACCEPTED,B,100000,100,1099511627776,0,0,report,100,0",
			"34200003021000,TEST,ACCEPTED,S,100200,100,1099511627777,0,0,report,100,0",
			"34200006010000,TEST,FILL,B,100000,100,1099511627776,0,0,report,0,0",
			"34200006010000,TEST,NEW,B,99900,100,1099511627778,0,6,intent,sent,0",
			"34200006030000,TEST,ACCEPTED,B,99900,100,1099511627778,0,0,report,100,0",
			NULL
		};
		static const char *const fills[] = {
			"34200006010000,TEST,B,100000,100,A,-1.0000,1099511627776", NULL
		};
		const char *names[] = { "TEST" };
		uint32_t marks[] = { (PX_BID - 100 + PX_ASK) / 2 };

		expect_files(dir, orders, fills);
		check_accounts(dir, r.out, names, marks, 1);
	}
	run_free(&r);
}

/* (c) a cancel racing a fill: the ask side empties (t5), so the strategy
 * cancels both quotes at t5 + 1 us; they reach the venue at t5 + 11 us. In
 * between, recorded executions use up the 100 shares ahead of our bid
 * (t5 + 3 us) and fill us 60 (t5 + 5 us, ref 3 behind us): the fill lands
 * first and is applied, the cancel then takes the 40 left. */
static void test_cancel_race(void **state)
{
	struct cap c;
	struct run r;
	char dir[512];
	uint64_t t = T0, t5;
	(void)state;

	cap_start(&c, t);
	cap_add(&c, t += MS, 1, 'B', 100, PX_BID);
	cap_add(&c, t += MS, 2, 'S', 300, PX_ASK);  /* t2: we quote */
	cap_add(&c, t += MS, 3, 'B', 300, PX_BID);  /* t3: behind us */
	cap_add(&c, t += MS, 4, 'B', 100, PX_BID - 200);
	cap_del(&c, t5 = t += MS, 2);                /* t5: one-sided: cancel */
	cap_exec(&c, t5 + 3000, 1, 100);             /* ahead 100 -> 0 */
	cap_exec(&c, t5 + 5000, 3, 60);              /* fills us 60 */
	cap_add(&c, t5 + 20000, 5, 'S', 100, PX_ASK + 200);
	cap_add(&c, t += MS, 6, 'S', 100, PX_ASK + 300);
	run_exact(&r, &c, "race", dir, sizeof(dir), NULL);
	{
		static const char *const orders[] = {
			"34200002001000,TEST,NEW,B,100000,100,1099511627776,0,6,intent,sent,0",
			"34200002001000,TEST,NEW,S,100200,100,1099511627777,0,6,intent,sent,0",
			"34200002021000,TEST,ACCEPTED,B,100000,100,1099511627776,0,0,report,100,0",
			"34200002021000,TEST,ACCEPTED,S,100200,100,1099511627777,0,0,report,100,0",
			"34200005001000,TEST,CANCEL,B,100000,100,0,1099511627776,9,intent,sent,0",
			"34200005001000,TEST,CANCEL,S,100200,100,0,1099511627777,9,intent,sent,0",
			/* the fill first, then the cancel takes the rest */
			"34200005015000,TEST,FILL,B,100000,60,1099511627776,0,0,report,40,0",
			"34200005021000,TEST,CANCELED,B,100000,40,1099511627776,0,85,report,0,85",
			"34200005021000,TEST,CANCELED,S,100200,100,1099511627777,0,85,report,0,85",
			/* requoted in Green around the mid 10.02 (the one-sided book at t5
			 * no longer reads as a drawdown: the position keeps its last mark) */
			"34200005021000,TEST,NEW,B,100100,100,1099511627778,0,6,intent,sent,0",
			"34200005021000,TEST,NEW,S,100300,100,1099511627779,0,6,intent,sent,0",
			"34200005041000,TEST,ACCEPTED,B,100100,100,1099511627778,0,0,report,100,0",
			"34200005041000,TEST,ACCEPTED,S,100300,100,1099511627779,0,0,report,100,0",
			NULL
		};
		static const char *const fills[] = {
			"34200005015000,TEST,B,100000,60,A,-0.6000,1099511627776", NULL
		};
		const char *names[] = { "TEST" };
		uint32_t marks[] = { (PX_BID + PX_ASK + 200) / 2 };

		expect_files(dir, orders, fills);
		check_accounts(dir, r.out, names, marks, 1);
	}
	run_free(&r);
}

/* (d) post-only reject: our bid at 10.00 is sent at t2 + 1 us; before it
 * arrives (t2 + 11 us) the bid at 10.00 is deleted and a sell order at
 * 10.00 is shown: entering our bid would take it, so the venue rejects it
 * with the post-only reason. */
static void test_post_only_reject(void **state)
{
	struct cap c;
	struct run r;
	char dir[512];
	uint64_t t = T0, t2;
	(void)state;

	cap_start(&c, t);
	cap_add(&c, t += MS, 1, 'B', 300, PX_BID);
	cap_add(&c, t2 = t += MS, 2, 'S', 300, PX_ASK); /* t2: we quote */
	cap_del(&c, t2 + 2000, 1);
	cap_add(&c, t2 + 3000, 3, 'S', 100, PX_BID);
	cap_add(&c, t2 + 20000, 4, 'B', 100, PX_BID - 300);
	cap_add(&c, t += MS, 5, 'B', 100, PX_BID - 400);
	run_exact(&r, &c, "postonly", dir, sizeof(dir), NULL);
	{
		static const char *const orders[] = {
			"34200002001000,TEST,NEW,B,100000,100,1099511627776,0,6,intent,sent,0",
			"34200002001000,TEST,NEW,S,100200,100,1099511627777,0,6,intent,sent,0",
			/* the bid side emptied: both pulled while in flight */
			"34200002003000,TEST,CANCEL,B,100000,100,0,1099511627776,9,intent,sent,0",
			"34200002003000,TEST,CANCEL,S,100200,100,0,1099511627777,9,intent,sent,0",
			/* 65 = GW_REASON_VENUE + VENUE_REJ_POST_ONLY */
			"34200002021000,TEST,REJECTED,B,100000,100,1099511627776,0,65,report,100,65",
			"34200002021000,TEST,ACCEPTED,S,100200,100,1099511627777,0,0,report,100,0",
			"34200002021000,TEST,NEW,B,99700,100,1099511627778,0,6,intent,sent,0",
			"34200002021000,TEST,NEW,S,100000,100,1099511627779,0,6,intent,sent,0",
			"34200002023000,TEST,CANCELED,S,100200,100,1099511627777,0,85,report,0,85",
			"34200002041000,TEST,ACCEPTED,B,99700,100,1099511627778,0,0,report,100,0",
			"34200002041000,TEST,ACCEPTED,S,100000,100,1099511627779,0,0,report,100,0",
			NULL
		};
		static const char *const fills[] = { NULL };
		char *json = slurp(dir, "report.json", NULL);
		int64_t v[N_SUMMARY];

		expect_files(dir, orders, fills);
		/* the venue's reject is counted with the gateway's */
		parse_summary(r.out, v);
		assert_int_equal(v[8], 1);
		assert_non_null(json);
		assert_int_equal(strtoll(json_val(json_obj(json, "TEST"), "rejects"), NULL, 10), 1);
		free(json);
	}
	run_free(&r);
}

/* (f) the kill switch: position_kill 0.05 of a 1000-share limit trips at
 * 50 shares (Yellow and Red off); our bid is filled 100: one CANCEL_ALL, the
 * summary says kill_switch=1, and no order goes out after it. */
static void test_kill_switch(void **state)
{
	static const char *const kill[] = { "--set", "strategy.position_yellow=0",
					    "--set", "strategy.position_red=0",
					    "--set", "strategy.position_kill=0.05", NULL };
	struct cap c;
	struct run r;
	char dir[512];
	uint64_t t = T0;
	(void)state;

	cap_start(&c, t);
	cap_add(&c, t += MS, 2, 'S', 300, PX_ASK);
	cap_add(&c, t += MS, 1, 'B', 100, PX_BID);  /* t2: we quote */
	cap_add(&c, t += MS, 3, 'B', 300, PX_BID);  /* t3: behind us */
	cap_exec(&c, t += MS, 1, 100);               /* ahead 100 -> 0 */
	cap_exec(&c, t += MS, 3, 150);               /* fills our 100: kill */
	for (int i = 0; i < 5; i++)
		cap_add(&c, t += MS, 10 + (uint64_t)i, 'S', 100, PX_ASK - 100);
	run_exact(&r, &c, "kill", dir, sizeof(dir), kill);
	{
		static const char *const orders[] = {
			"34200002001000,TEST,NEW,B,100000,100,1099511627776,0,6,intent,sent,0",
			"34200002001000,TEST,NEW,S,100200,100,1099511627777,0,6,intent,sent,0",
			"34200002021000,TEST,ACCEPTED,B,100000,100,1099511627776,0,0,report,100,0",
			"34200002021000,TEST,ACCEPTED,S,100200,100,1099511627777,0,0,report,100,0",
			"34200005010000,TEST,FILL,B,100000,100,1099511627776,0,0,report,0,0",
			"34200005010000,TEST,CANCEL_ALL,-,0,0,0,0,11,intent,sent,0",
			"34200005030000,TEST,CANCELED,S,100200,100,1099511627777,0,85,report,0,85",
			NULL
		};
		static const char *const fills[] = {
			"34200005010000,TEST,B,100000,100,A,-1.0000,1099511627776", NULL
		};
		const char *names[] = { "TEST" };
		uint32_t marks[] = { (PX_BID + PX_ASK - 100) / 2 };
		int64_t v[N_SUMMARY];
		char *json = slurp(dir, "report.json", NULL);

		expect_files(dir, orders, fills);
		check_accounts(dir, r.out, names, marks, 1);
		parse_summary(r.out, v);
		assert_int_equal(v[9], 1);
		assert_non_null(json);
		assert_contains(json_obj(json, "TEST"), "\"kill_t_ns\": 34200005010000");
		free(json);
	}
	run_free(&r);
}

/* (f) the kill switch tripped by a fill that is only delivered when the
 * run lets what is in flight land (the capture ends with the execution):
 * the summary and report.json still say so. */
static void test_kill_at_end(void **state)
{
	static const char *const kill[] = { "--set", "strategy.position_yellow=0",
					    "--set", "strategy.position_red=0",
					    "--set", "strategy.position_kill=0.05", NULL };
	struct cap c;
	struct run r;
	struct lines ol;
	char dir[512], *json;
	uint64_t t = T0;
	int64_t v[N_SUMMARY];
	int n_all = 0;
	(void)state;

	cap_start(&c, t);
	cap_add(&c, t += MS, 2, 'S', 300, PX_ASK);
	cap_add(&c, t += MS, 1, 'B', 100, PX_BID);  /* t2: we quote */
	cap_add(&c, t += MS, 3, 'B', 300, PX_BID);
	cap_exec(&c, t += MS, 1, 100);
	cap_exec(&c, t += MS, 3, 150);               /* the last message */
	run_exact(&r, &c, "killend", dir, sizeof(dir), kill);
	lines_load(&ol, dir, "orders.csv");
	for (int i = 0; i < ol.n; i++)
		n_all += strstr(ol.l[i], ",CANCEL_ALL,") != NULL;
	assert_int_equal(n_all, 1);
	parse_summary(r.out, v);
	assert_int_equal(v[5], 1);
	assert_int_equal(v[9], 1);
	json = slurp(dir, "report.json", NULL);
	assert_non_null(json);
	assert_contains(json_obj(json, "TEST"), "\"kill_t_ns\": 34200005010000");
	free(json);
	free(ol.buf);
	run_free(&r);
}

/* ------------------------------------------------------------- real runs */

static const char *const quick_sets[] = {
	"--set", "run.max_orders=131072", "--no-plots", "--quiet", NULL,
};

/* A synthetic capture into tmp_dir/name (made once per name). */
static void synth(const char *name, const char *const *args, char *path, size_t n)
{
	const char *a[MAX_ARGS];
	struct run r;
	struct stat st;
	int k = 0;

	tmp_path(path, n, name);
	if (stat(path, &st) == 0)
		return;
	for (int i = 0; args[i]; i++)
		a[k++] = args[i];
	a[k++] = "--out";
	a[k++] = path;
	a[k++] = "--quiet";
	a[k] = NULL;
	run_cmd(&r, cmd_synth_fn, "synth", a, NULL);
	if (r.rc != 0)
		fail_msg("synth %s: %d %s", name, r.rc, r.err);
	run_free(&r);
}

static const char *const synth_many[] = { "--model", "many", "--symbols", "5", "--messages",
					  "20000", "--seed", "3", NULL };
/* more symbols than the 10 quoted, with gaps */
static const char *const synth_many30[] = { "--model", "many", "--symbols", "30", "--messages",
					    "100000", "--seed", "3", "--fault", "gap:0.001", NULL };
/* one symbol, 1% of the packets lost */
static const char *const synth_cst_gap[] = { "--model", "cst", "--messages", "20000", "--seed",
					     "5", "--fault", "gap:0.01", NULL };

static bool same_file(const char *d1, const char *d2, const char *name)
{
	size_t n1, n2;
	char *a = slurp(d1, name, &n1), *b = slurp(d2, name, &n2);
	bool same;

	assert_non_null(a);
	assert_non_null(b);
	same = n1 == n2 && memcmp(a, b, n1) == 0;
	free(a);
	free(b);
	return same;
}

/* The summary line without its wall-clock t2t_* values. */
static void summary_sans_t2t(const char *out, char *line, size_t n)
{
	char *p;

	last_line(out, line, n);
	p = strstr(line, " t2t_p50_ns=");
	assert_non_null(p);
	*p = 0;
}

/* 1. The same capture, config and seed give byte-identical report files;
 * only the .hgrm latency files and the t2t_* summary values (wall-clock
 * measurements) may differ. */
static void test_determinism(void **state)
{
	static const char *const files[] = { "report.json", "orders.csv", "fills.csv",
					     "series.csv", "config.effective" };
	static const char *const seed2[] = { "--seed", "2", NULL };
	char cap[512], d1[512], d2[512], d3[512], s1[1024], s2[1024];
	struct run r1, r2, r3;
	struct lines fl;
	(void)state;

	synth("many.pcap", synth_many, cap, sizeof(cap));
	tmp_path(d1, sizeof(d1), "det1");
	tmp_path(d2, sizeof(d2), "det2");
	tmp_path(d3, sizeof(d3), "det3");
	run_paper(&r1, cap, d1, NULL, quick_sets);
	run_paper(&r2, cap, d2, NULL, quick_sets);
	assert_int_equal(r1.rc, 0);
	assert_int_equal(r2.rc, 0);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (!same_file(d1, d2, files[i]))
			fail_msg("%s differs between two runs with the same seed", files[i]);
	/* the run is not empty: orders went out and some filled */
	lines_load(&fl, d1, "fills.csv");
	assert_true(fl.n > 0);
	free(fl.buf);
	lines_load(&fl, d1, "orders.csv");
	assert_true(fl.n > 10);
	free(fl.buf);
	summary_sans_t2t(r1.out, s1, sizeof(s1));
	summary_sans_t2t(r2.out, s2, sizeof(s2));
	/* A clean run reports its internal counters, all zero, and no warning. */
	assert_non_null(strstr(r1.out, "internal: 0 cascade cuts, 0 venue reports lost, 0+0 "
				       "undecodable gateway/venue messages, 0 unknown symbols, "
				       "0 cancels not deferred\n"));
	assert_non_null(strstr(r1.out, ", 0 out of step with the order\n"));
	assert_null(strstr(r1.err, "warning"));
	assert_string_equal(s1, s2);
	/* the excluded files exist (their content is measured time) */
	for (int s = 0; s < 5; s++) {
		static const char *const h[] = { "latency_t2t.hgrm", "latency_feed.hgrm",
						 "latency_decide.hgrm", "latency_gateway.hgrm",
						 "latency_decide_send.hgrm" };
		char *x = slurp(d1, h[s], NULL);

		assert_non_null(x);
		free(x);
	}
	/* another seed: a valid run whose effective config says so */
	run_paper(&r3, cap, d3, seed2, quick_sets);
	assert_int_equal(r3.rc, 0);
	assert_false(same_file(d1, d3, "config.effective"));
	run_free(&r1);
	run_free(&r2);
	run_free(&r3);
}

/* The best bid and ask at the end of capture for symbol, from `tickwire
 * book --json` (checked against an independent reference in
 * test_book_cmd); the mid rounded down, or 0 when not two-sided. */
static uint32_t final_mid(const char *capture, const char *symbol)
{
	const char *a[] = { capture, "--json", "--symbol", symbol, "--quiet", NULL };
	struct run r;
	const char *b, *k;
	unsigned bid = 0, ask = 0;

	run_cmd(&r, cmd_book_fn, "book", a, NULL);
	assert_int_equal(r.rc, 0);
	b = strstr(r.out, "\"bids\":[{\"price\":");
	k = strstr(r.out, "\"asks\":[{\"price\":");
	if (b)
		bid = (unsigned)strtoul(b + 17, NULL, 10);
	if (k)
		ask = (unsigned)strtoul(k + 17, NULL, 10);
	run_free(&r);
	return bid && ask && bid < ask ? (bid + ask) / 2 : 0;
}

/* 3. The accounts of a synthetic run recomputed from fills.csv with the
 * final mids of the book command. */
static void test_accounts_synth(void **state)
{
	char cap[512], dir[512], *json;
	const char *names[64];
	char store[64][16];
	uint32_t marks[64];
	struct run r;
	int n = 0;
	const char *p;
	(void)state;

	synth("many.pcap", synth_many, cap, sizeof(cap));
	tmp_path(dir, sizeof(dir), "acct");
	run_paper(&r, cap, dir, NULL, quick_sets);
	assert_int_equal(r.rc, 0);
	json = slurp(dir, "report.json", NULL);
	assert_non_null(json);
	for (p = json; (p = strstr(p, "\"symbol\": \"")) != NULL && n < 64; n++) {
		p += 11;
		snprintf(store[n], sizeof(store[n]), "%.*s", (int)strcspn(p, "\""), p);
		names[n] = store[n];
		marks[n] = final_mid(cap, store[n]);
		assert_true(marks[n] > 0);
	}
	assert_true(n >= 2);
	check_accounts(dir, r.out, names, marks, n);
	free(json);
	run_free(&r);
}

/* 4. Runs on every shared capture: exit 0 and a well-formed summary. */
static void run_dir(const char *rel, const char *suffix)
{
	char path[512], full[1024], dir[512];
	struct dirent **ents;
	int n, runs = 0;

	test_data_path(path, rel);
	n = scandir(path, &ents, NULL, alphasort);
	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;
		size_t l = strlen(nm), sl = strlen(suffix);
		struct run r;
		int64_t v[N_SUMMARY];

		if (nm[0] != '.' && l > sl && strcmp(nm + l - sl, suffix) == 0) {
			snprintf(full, sizeof(full), "%s/%s", path, nm);
			snprintf(dir, sizeof(dir), "%s/real_%d", tmp_dir, runs);
			run_paper(&r, full, dir, NULL, quick_sets);
			if (r.rc != 0)
				fail_msg("%s: exit %d: %s", nm, r.rc, r.err);
			parse_summary(r.out, v);
			run_free(&r);
			runs++;
		}
		free(ents[i]);
	}
	free(ents);
	assert_true(runs > 0);
}

static void test_runs_itch(void **state)
{
	(void)state;
	run_dir("itch", "");
}

static void test_runs_pcap(void **state)
{
	(void)state;
	run_dir("pcap/nasdaq-itch50", ".pcap");
}

/* Synthetic captures: many symbols, and cst with packet loss (stale books). */
static void test_runs_synth(void **state)
{
	char cap[512], dir[512];
	struct run r;
	int64_t v[N_SUMMARY];
	(void)state;

	synth("many.pcap", synth_many, cap, sizeof(cap));
	tmp_path(dir, sizeof(dir), "many");
	run_paper(&r, cap, dir, NULL, quick_sets);
	assert_int_equal(r.rc, 0);
	parse_summary(r.out, v);
	assert_contains(r.out, "quoted 5 symbols");
	run_free(&r);

	synth("cst_gap.pcap", synth_cst_gap, cap, sizeof(cap));
	tmp_path(dir, sizeof(dir), "cst");
	run_paper(&r, cap, dir, NULL, quick_sets);
	assert_int_equal(r.rc, 0);
	parse_summary(r.out, v);
	print_message("%s", r.out);
	run_free(&r);
}

/* Run cap in-process with the defaults (every: cfg.decide_every_event;
 * exact: without the pipeline's shortcuts, paper.sim_full_check and
 * paper.acct_every_top; orders.csv to orders_csv, or none);
 * the caller checks the pipeline's state, then paper_fini and free. */
static struct paper *inproc_run(const char *cap, bool every, bool exact, FILE *orders_csv,
				bool all_books)
{
	struct paper_cfg *cfg = calloc(1, sizeof(*cfg));
	struct paper *p = calloc(1, sizeof(*p));
	struct conf_err ce;
	struct paper_in in;
	uint16_t locs[PAPER_MAX_SYMS];
	char names[PAPER_MAX_SYMS][PAPER_NAME_LEN], err[600];
	int n;

	assert_non_null(cfg);
	assert_non_null(p);
	assert_int_equal(paper_cfg_defaults(cfg, &ce), 0);
	cfg->max_orders = 131072;
	cfg->mm.decide_every_event = every;
	cfg->all_books = all_books;
	n = paper_pick_symbols(cfg, cap, locs, names, err, sizeof(err));
	assert_true(n > 0);
	tsc_init_global(NULL);
	assert_int_equal(paper_init(p, cfg, locs, names, (uint32_t)n, err, sizeof(err)), 0);
	p->sim_full_check = exact;
	p->acct_every_top = exact;
	p->orders_csv = orders_csv;
	assert_int_equal(paper_in_open(&in, cap), 0);
	assert_int_equal(paper_run(p, &in, NULL), 0);
	paper_in_close(&in);
	free(cfg);
	return p;
}

/* The pipeline leaves the strategy calls on quiet events untimed, by
 * mm.h's mm_md_quiet: run it in-process on cap and check the
 * copy against the strategy's count of the calls it found quiet; that of
 * the other calls 1 in PAPER_DECIDE_SAMPLE, sending or not, has the stage
 * stamps (decide, decide-send, the feed stage's end), and every OUCH
 * message its tick-to-trade sample (at most: a sample needs the clock to
 * move). every: cfg.decide_every_event (no quiet event). */
static void check_quiet(const char *cap, bool every)
{
	struct paper *p = inproc_run(cap, every, false, NULL, false);
	uint64_t md = 0, quiet = 0, calls, sent, timed, feed, t2t;

	for (uint32_t i = 0; i < p->n_sym; i++) {
		md += p->sym[i].mm.n_md;
		quiet += p->sym[i].mm.n_quiet;
	}
	calls = md - quiet;
	sent = (uint64_t)p->lat[PAPER_DECIDE_SEND]->total_count;
	timed = (uint64_t)p->lat[PAPER_DECIDE]->total_count;
	feed = (uint64_t)p->lat[PAPER_FEED]->total_count;
	t2t = (uint64_t)p->lat[PAPER_T2T]->total_count;
	print_message("%s%s: %" PRIu64 " md calls, %" PRIu64 " quiet, %" PRIu64
		      " decide samples, %" PRIu64 " sending, %" PRIu64 " feed, %" PRIu64
		      " t2t of %" PRIu64 " OUCH messages\n", cap, every ? " (every event)" : "",
		      md, quiet, timed, sent, feed, t2t, p->st.wire_msgs);
	assert_true(md > 0);
	assert_int_equal(p->st.md_quiet, quiet);
	/* 1 in PAPER_DECIDE_SAMPLE of the calls (the count starts full, so
	 * the sample is the 8th, 16th, ...), whether they sent or not: a
	 * build that stamped every sending call has 7/8 of those calls more
	 * (~140 on the many-symbol capture) */
	assert_true(calls >= 64 * PAPER_DECIDE_SAMPLE);
	assert_true(timed <= calls / PAPER_DECIDE_SAMPLE);
	assert_true(timed + 16 >= calls / PAPER_DECIDE_SAMPLE);
	assert_true(sent > 0 && sent < timed);
	/* the feed stage ends at a sampled call that was its packet's first */
	assert_true(feed > 0 && feed <= timed && feed <= p->st.units);
	/* tick-to-trade: every message sent */
	assert_true(p->st.wire_msgs > 0);
	assert_true(t2t <= p->st.wire_msgs && t2t + p->st.wire_msgs / 100 >= p->st.wire_msgs);
	assert_true((uint64_t)p->lat[PAPER_GATEWAY]->total_count <= p->st.wire_msgs);
	if (every)
		assert_int_equal(quiet, 0);
	else
		assert_true(quiet > 0);
	paper_fini(p);
	free(p);
}

/* The bytes written to f, malloc'd into *out (*len of them); closes f. */
static void file_take(FILE *f, char **out, long *len)
{
	assert_int_equal(fflush(f), 0);
	*len = ftell(f);
	assert_true(*len > 0);
	*out = malloc((size_t)*len);
	assert_non_null(*out);
	rewind(f);
	assert_int_equal(fread(*out, 1, (size_t)*len, f), (size_t)*len);
	fclose(f);
}

/* What one in-process run of cap leaves to compare: the stats, the
 * accounts' totals, orders.csv, report.json and series.csv. */
struct run_out {
	struct paper_stats st;
	struct acct_sym tot;
	char *file[3];
	long len[3];
	uint64_t not_kept; /* the feed's messages of books not kept */
};

/* The two runs' account totals and files are the same, byte for byte;
 * frees the files. */
static void run_outs_same(struct run_out o[2])
{
	assert_memory_equal(&o[1].tot, &o[0].tot, sizeof(o[0].tot));
	for (int i = 0; i < 3; i++) {
		assert_int_equal(o[1].len[i], o[0].len[i]);
		assert_memory_equal(o[1].file[i], o[0].file[i], (size_t)o[0].len[i]);
		free(o[0].file[i]);
		free(o[1].file[i]);
	}
}

/* exact: inproc_run's (no shortcut); all_books: cfg.all_books. */
static void run_once(const char *cap, bool exact, bool all_books, struct run_out *o)
{
	FILE *f[3] = { tmpfile(), tmpfile(), tmpfile() };
	struct paper *p;

	for (int i = 0; i < 3; i++)
		assert_non_null(f[i]);
	p = inproc_run(cap, false, exact, f[0], all_books);
	o->not_kept = p->feed.st.not_kept;
	o->st = p->st;
	o->st.wall_s = 0;
	o->tot = p->acct.total;
	assert_int_equal(acct_write_json(&p->acct, f[1]), 0);
	assert_int_equal(acct_write_series_csv(&p->acct, f[2]), 0);
	for (int i = 0; i < 3; i++)
		file_take(f[i], &o->file[i], &o->len[i]);
	paper_fini(p);
	free(p);
}

/* The pipeline's shortcuts change nothing. sim_due: a packet stamped below
 * it skips sim_until's test; with the test on every packet, sim_run is
 * called exactly as often. acct_mid_same: a top change with the same mid
 * and nothing due is not given to the accounts; with every one given,
 * the totals, report.json and series.csv are the same. Both: the same
 * stats and orders.csv, byte for byte. */
static void check_shortcuts(const char *cap)
{
	struct run_out o[2];

	run_once(cap, true, false, &o[0]);
	run_once(cap, false, false, &o[1]);
	print_message("%s: %" PRIu64 " packets, %" PRIu64 " sim_run calls, %" PRIu64
		      " reports, %" PRIu64 " fills\n", cap, o[0].st.units, o[0].st.sim_runs,
		      o[0].st.reports, o[0].tot.fills);
	assert_true(o[0].st.sim_runs > 0 && o[0].st.sim_runs < o[0].st.units);
	assert_true(o[0].st.reports > 0);
	assert_int_equal(o[1].st.sim_runs, o[0].st.sim_runs);
	assert_memory_equal(&o[1].st, &o[0].st, sizeof(o[0].st));
	run_outs_same(o);
}

/* Keeping the quoted symbols' books only (the default) against every
 * symbol's: the same orders, fills, accounts and series, byte for byte;
 * the same stats but the md_events of the symbols not quoted. */
static void check_all_books(const char *cap)
{
	struct run_out o[2];

	run_once(cap, false, true, &o[0]);
	run_once(cap, false, false, &o[1]);
	print_message("%s: %" PRIu64 " md_events with every book, %" PRIu64 " with the quoted "
		      "ones (%" PRIu64 " messages skipped), %" PRIu64 " fills\n", cap,
		      o[0].st.events, o[1].st.events, o[1].not_kept, o[0].tot.fills);
	assert_int_equal(o[0].not_kept, 0);
	assert_true(o[1].not_kept > 0);
	assert_true(o[1].st.events < o[0].st.events);
	assert_true(o[0].tot.fills > 0);
	o[1].st.events = o[0].st.events;
	assert_memory_equal(&o[1].st, &o[0].st, sizeof(o[0].st));
	run_outs_same(o);
}

static void test_quoted_books_only(void **state)
{
	char cap[512];
	(void)state;

	synth("many30.pcap", synth_many30, cap, sizeof(cap));
	check_all_books(cap);
}

static void test_shortcuts_exact(void **state)
{
	char cap[512];
	(void)state;

	synth("many.pcap", synth_many, cap, sizeof(cap));
	check_shortcuts(cap);
	synth("cst_gap.pcap", synth_cst_gap, cap, sizeof(cap));
	check_shortcuts(cap);
}

/* orders.csv is held in paper.csv and written when it fills and at the
 * end of the run: over more than one buffer's worth, every intent and
 * every report has its line, after the header, in whole lines. */
static void test_orders_csv_lines(void **state)
{
	char cap[512];
	struct run_out o;
	long lines = 0;
	(void)state;

	synth("many.pcap", synth_many, cap, sizeof(cap));
	run_once(cap, false, false, &o);
	print_message("%s: orders.csv %ld bytes, %" PRIu64 " intents, %" PRIu64 " reports\n",
		      cap, o.len[0], o.st.intents, o.st.reports);
	assert_true(o.len[0] > (long)PAPER_CSV_BUF);
	assert_int_equal(o.file[0][o.len[0] - 1], '\n');
	for (long i = 0; i < o.len[0]; i++)
		lines += o.file[0][i] == '\n';
	assert_int_equal(lines, 1 + o.st.intents + o.st.reports);
	assert_memory_equal(o.file[0], "t_ns,symbol,what,", 17);
	for (int i = 0; i < 3; i++)
		free(o.file[i]);
}

/* paper_warm, which paper_run calls before the replay, leaves everything
 * the replay reads as paper_init made it (the books' pools primed): the
 * feed and its books, the
 * strategies, the portfolio, the gateway with its store and checks, the
 * accounts' counters; and its
 * gateway's small store passes the orders the run's sizes would. */
static void test_warm_writes_nothing(void **state)
{
	struct paper_cfg *cfg = calloc(1, sizeof(*cfg));
	struct paper *p = calloc(1, sizeof(*p));
	struct conf_err ce;
	uint16_t locs[PAPER_MAX_SYMS];
	char names[PAPER_MAX_SYMS][PAPER_NAME_LEN], err[600], cap[512];
	size_t os_len, rk_len, sym_len, bk_len;
	void *sym0, *os0, *rk0, *bk0;
	struct book_cfg bc;
	struct feed *feed0 = malloc(sizeof(*feed0));
	struct gw gw0;
	struct pf pf0;
	struct paper_stats st0;
	uint32_t sent;
	int n;
	(void)state;

	assert_non_null(cfg);
	assert_non_null(p);
	synth("many.pcap", synth_many, cap, sizeof(cap));
	assert_int_equal(paper_cfg_defaults(cfg, &ce), 0);
	cfg->max_orders = 131072;
	n = paper_pick_symbols(cfg, cap, locs, names, err, sizeof(err));
	assert_true(n > 1);
	tsc_init_global(NULL);
	assert_int_equal(paper_init(p, cfg, locs, names, (uint32_t)n, err, sizeof(err)), 0);
	sym_len = p->n_sym * sizeof(*p->sym);
	os_len = ostore_memsize(&p->gw.os.cfg);
	rk_len = risk_memsize(&p->gw.os);
	sym0 = malloc(sym_len);
	os0 = malloc(os_len);
	rk0 = malloc(rk_len);
	assert_non_null(sym0);
	assert_non_null(os0);
	assert_non_null(rk0);
	memcpy(sym0, p->sym, sym_len);
	memcpy(os0, p->gw.os.mem, os_len);
	memcpy(rk0, p->gw.rk.sym, rk_len);
	/* paper_warm primes the books' pools (book_prime: every update's
	 * result stays the same, test_book); done here first, the warm-up
	 * must leave the rest of the set as it found it */
	book_prime(p->feed.books);
	bc = (struct book_cfg){ p->feed.books->max_orders, p->feed.books->max_levels,
				p->feed.books->max_locate };
	bk_len = book_memsize(&bc);
	bk0 = malloc(bk_len);
	assert_non_null(bk0);
	assert_non_null(feed0);
	memcpy(bk0, p->feed.books, bk_len);
	*feed0 = p->feed;
	gw0 = p->gw;
	pf0 = p->pf;
	st0 = p->st;
	/* it warmed the send path: orders went through its own gateway */
	sent = paper_warm(p);
	assert_true(sent > 0);
	assert_memory_equal(p->sym, sym0, sym_len);
	assert_memory_equal(p->gw.os.mem, os0, os_len);
	assert_memory_equal(p->gw.rk.sym, rk0, rk_len);
	assert_memory_equal(p->feed.books, bk0, bk_len);
	assert_memory_equal(&p->feed, feed0, sizeof(*feed0));
	assert_memory_equal(&p->gw, &gw0, sizeof(gw0));
	assert_memory_equal(&p->pf, &pf0, sizeof(pf0));
	assert_memory_equal(&p->st, &st0, sizeof(st0));
	assert_int_equal(p->acct.total.fills, 0);
	/* its small store changes nothing it does: with the run's sizes,
	 * the same orders pass */
	p->warm_full_store = true;
	assert_int_equal(paper_warm(p), sent);
	free(sym0);
	free(os0);
	free(rk0);
	free(bk0);
	free(feed0);
	paper_fini(p);
	free(p);
	free(cfg);
}

static void test_quiet_untimed(void **state)
{
	char cap[512];
	(void)state;

	synth("many.pcap", synth_many, cap, sizeof(cap));
	check_quiet(cap, false);
	check_quiet(cap, true);
	synth("cst_gap.pcap", synth_cst_gap, cap, sizeof(cap));
	check_quiet(cap, false);
}

/* ------------------------------------------------------------- bad usage */

/* 5. Missing capture 66, bad option 64, unknown config key 64 with
 * file:line, a symbol not in the capture 64, truncated pcap 65 with the
 * reports of what was read. */
static void test_bad_usage(void **state)
{
	static const char *const q[] = { "--quiet", "--no-plots", NULL };
	char cfg[512], dir[512], want[600], src[512], trunc[512], cap[512];
	struct cap c;
	struct run r;
	(void)state;

	tmp_path(dir, sizeof(dir), "bad");
	run_paper(&r, "/nonexistent/capture.pcap", dir, NULL, q);
	assert_int_equal(r.rc, EX_NOINPUT);
	run_free(&r);

	{
		static const char *const bogus[] = { "--bogus", NULL };

		tmp_path(cap, sizeof(cap), "x");
		run_paper(&r, cap, dir, bogus, q);
		assert_int_equal(r.rc, EX_USAGE);
		assert_contains(r.err, "--bogus");
		run_free(&r);
	}

	/* a capture for the cases below */
	cap_start(&c, T0);
	cap_add(&c, T0 + MS, 1, 'B', 100, PX_BID);
	cap_add(&c, T0 + 2 * MS, 2, 'S', 100, PX_ASK);
	cap_write(&c, "small", cap, sizeof(cap));

	{
		const char *a[] = { "-c", cfg, NULL };

		tmp_path(cfg, sizeof(cfg), "bad.cfg");
		assert_int_equal(test_fs_put(cfg, "", "run = {\n  seed = 7;\n};\nstrategy = {\n"
						      "  gama = 0.2;\n};\n"), 0);
		run_paper(&r, cap, dir, a, q);
		assert_int_equal(r.rc, EX_USAGE);
		snprintf(want, sizeof(want), "%s:5: unknown key \"strategy.gama\"", cfg);
		assert_contains(r.err, want);
		run_free(&r);
	}
	{
		/* a latency quantile table the venue cannot use is refused at start */
		static const char *const badq[] = {
			"--set", "venue.ack_quantile_ppm=[0,1000000]",
			"--set", "venue.ack_quantile_ns=[9000]", NULL
		};
		static const char *const goodq[] = {
			"--set", "venue.ack_quantile_ppm=[0,500000,1000000]",
			"--set", "venue.ack_quantile_ns=[9000,10000,40000]", NULL
		};

		run_paper(&r, cap, dir, badq, q);
		assert_int_equal(r.rc, EX_USAGE);
		assert_contains(r.err, "quantile");
		run_free(&r);
		run_paper(&r, cap, dir, goodq, q);
		assert_int_equal(r.rc, 0);
		assert_contains(r.out, "\nsummary pnl_realised=");
		run_free(&r);
	}
	{
		static const char *const sym[] = { "--symbols", "NOPE", NULL };

		run_paper(&r, cap, dir, sym, q);
		assert_int_equal(r.rc, EX_USAGE);
		assert_contains(r.err, "'NOPE' is not in");
		run_free(&r);
	}
	{
		size_t n;
		char *buf, *sfx;
		FILE *f;
		int64_t v[N_SUMMARY];

		test_data_path(src, "pcap/nasdaq-itch50");
		buf = slurp(src, "Multiple.Packets.pcap", &n);
		assert_non_null(buf);
		tmp_path(trunc, sizeof(trunc), "trunc.pcap");
		f = fopen(trunc, "wb");
		assert_non_null(f);
		/* cut inside the last record */
		assert_int_equal(fwrite(buf, 1, n - 7, f), n - 7);
		assert_int_equal(fclose(f), 0);
		free(buf);
		tmp_path(dir, sizeof(dir), "trunc.out");
		run_paper(&r, trunc, dir, quick_sets, NULL);
		assert_int_equal(r.rc, EX_DATAERR);
		parse_summary(r.out, v);
		for (int i = 0; i < 5; i++) {
			static const char *const files[] = { "report.json", "orders.csv",
							     "fills.csv", "series.csv",
							     "config.effective" };

			sfx = slurp(dir, files[i], NULL);
			if (!sfx)
				fail_msg("%s not written after a truncated capture", files[i]);
			free(sfx);
		}
		run_free(&r);
	}
}

/* Every line of orders.csv (header included) has exactly 12 fields and
 * no byte outside printable ASCII. */
static void expect_csv_clean(const char *dir, const char *name)
{
	char *buf = slurp(dir, name, NULL);
	int fields = 1;

	assert_non_null(buf);
	for (const char *q = buf; *q; q++) {
		unsigned char ch = (unsigned char)*q;

		if (ch == '\n') {
			if (fields != 12)
				fail_msg("%s: a line with %d fields", name, fields);
			fields = 1;
			continue;
		}
		if (ch < 0x20 || ch > 0x7e || ch == '"')
			fail_msg("%s: byte 0x%02x in a line", name, ch);
		if (ch == ',')
			fields++;
	}
	free(buf);
}

/* A hostile capture names its symbol with a comma, a quote and a control
 * byte: orders.csv keeps its 12 columns and the symbol is called the same
 * in orders.csv, fills.csv and report.json. */
static void test_hostile_name(void **state)
{
	static const char *const q[] = { "--set", "run.top_symbols=1", NULL };
	struct cap c;
	struct run r;
	char dir[512], path[512];
	uint64_t t = T0;
	(void)state;

	memset(&c, 0, sizeof(c));
	cap_sym(&c, t, LOC, "A,\"B\x01  ");
	cap_add(&c, t += MS, 1, 'B', 300, PX_BID);
	cap_add(&c, t += MS, 2, 'S', 300, PX_ASK); /* we quote */
	cap_add(&c, t += MS, 3, 'B', 200, PX_BID); /* behind us */
	cap_exec(&c, t += MS, 1, 300);
	cap_exec(&c, t += MS, 3, 50);              /* fills our bid 50 */
	cap_add(&c, t += MS, 4, 'S', 100, PX_ASK + 100);
	cap_write(&c, "hostile", path, sizeof(path));
	tmp_path(dir, sizeof(dir), "hostile.out");
	run_paper(&r, path, dir, q, exact_sets);
	assert_int_equal(r.rc, 0);
	expect_csv_clean(dir, "orders.csv");
	{
		char *fills = slurp(dir, "fills.csv", NULL), *orders = slurp(dir, "orders.csv", NULL);
		char *json = slurp(dir, "report.json", NULL);
		char sym[32];
		const char *l2 = strchr(orders, '\n') + 1, *c1 = strchr(l2, ',') + 1;
		const char *f2 = strchr(fills, '\n') + 1;
		char want[64];

		/* the fill happened, and names the symbol as orders.csv does */
		assert_true(*f2 != 0);
		snprintf(sym, sizeof(sym), "%.*s", (int)(strchr(c1, ',') - c1), c1);
		snprintf(want, sizeof(want), ",%s,", sym);
		assert_contains(f2, want);
		snprintf(want, sizeof(want), "\"symbol\": \"%s\"", sym);
		assert_contains(json, want);
		free(fills);
		free(orders);
		free(json);
	}
	run_free(&r);
}

/* Two locates share the stock name TEST (a damaged or hostile directory),
 * at $10 and at $20. Each must be quoted on its own book: our $10.02 ask
 * reaching the $20 book would cross it and be refused post-only. */
static void test_duplicate_names(void **state)
{
	static const char *const q[] = { "--set", "run.top_symbols=2", NULL };
	struct cap c;
	struct run r;
	char dir[512], path[512];
	int64_t v[N_SUMMARY];
	uint64_t t = T0;
	(void)state;

	memset(&c, 0, sizeof(c));
	cap_sym(&c, t, 1, "TEST    ");
	cap_sym(&c, t, 2, "TEST    ");
	cap_add_loc(&c, t += MS, 1, 1, 'B', 300, PX_BID);
	cap_add_loc(&c, t += MS, 1, 2, 'S', 300, PX_ASK);
	cap_add_loc(&c, t += MS, 2, 3, 'B', 300, 2 * PX_BID);
	cap_add_loc(&c, t += MS, 2, 4, 'S', 300, 2 * PX_ASK);
	for (int i = 0; i < 4; i++) /* both books busy alike */
		cap_add_loc(&c, t += MS, (uint16_t)(1 + i % 2), 10 + (uint64_t)i, 'B', 100,
			    (i % 2 ? 2 * PX_BID : PX_BID) - 100);
	cap_write(&c, "dupname", path, sizeof(path));
	tmp_path(dir, sizeof(dir), "dupname.out");
	run_paper(&r, path, dir, q, exact_sets);
	assert_int_equal(r.rc, 0);
	parse_summary(r.out, v);
	assert_int_equal(v[8], 0); /* rejects */
	assert_true(v[6] >= 4);    /* orders: both sides of both symbols */
	expect_csv_clean(dir, "orders.csv");
	run_free(&r);
}

/* A capture through a pipe (`<(zcat day.pcap.gz)`): the run reads its input
 * twice (symbols, then the replay), which a pipe cannot give. It must say
 * so and exit 66, not misread what the first look left. */
static void test_pipe_input(void **state)
{
	static const char *const q[] = { "--quiet", "--no-plots", NULL };
	char src[512], dir[512], fdpath[64];
	struct run r;
	size_t n;
	char *buf;
	int fds[2];
	(void)state;

	test_data_path(src, "pcap/nasdaq-itch50");
	buf = slurp(src, "Multiple.Packets.pcap", &n);
	assert_non_null(buf);
	assert_int_equal(pipe(fds), 0);
	assert_true(n < 65536); /* fits the pipe's buffer: no writer needed */
	assert_int_equal(write(fds[1], buf, n), (ssize_t)n);
	close(fds[1]);
	free(buf);
	snprintf(fdpath, sizeof(fdpath), "/dev/fd/%d", fds[0]);
	tmp_path(dir, sizeof(dir), "pipe.out");
	run_paper(&r, fdpath, dir, q, NULL);
	close(fds[0]);
	assert_int_equal(r.rc, EX_NOINPUT);
	assert_contains(r.err, "regular file");
	run_free(&r);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* fills.csv cannot be written (a directory is in the way): exit 74, and
 * orders.csv, already open, is closed (an in-process caller keeps no
 * descriptor). */
static void test_unwritable_fills(void **state)
{
	static const char *const q[] = { "--quiet", "--no-plots", NULL };
	char cap[512], dir[512], sub[600];
	struct cap c;
	struct run r;
	int before;
	(void)state;

	cap_start(&c, T0);
	cap_add(&c, T0 + MS, 1, 'B', 100, PX_BID);
	cap_add(&c, T0 + 2 * MS, 2, 'S', 100, PX_ASK);
	cap_write(&c, "fillsdir", cap, sizeof(cap));
	tmp_path(dir, sizeof(dir), "fillsdir.out");
	assert_int_equal(mkdir(dir, 0777), 0);
	snprintf(sub, sizeof(sub), "%s/fills.csv", dir);
	assert_int_equal(mkdir(sub, 0777), 0);
	before = count_fds();
	run_paper(&r, cap, dir, q, NULL);
	assert_int_equal(r.rc, EX_IOERR);
	assert_contains(r.err, "fills.csv");
	assert_int_equal(count_fds(), before);
	run_free(&r);
}

/* ------------------------------------------------------------- main */

static int setup(void **state)
{
	(void)state;
	return test_fs_mkroot(tmp_dir, sizeof(tmp_dir), "paper");
}

static int teardown(void **state)
{
	(void)state;
	return test_fs_rmroot(tmp_dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_exact),
		cmocka_unit_test(test_trade_through),
		cmocka_unit_test(test_cancel_race),
		cmocka_unit_test(test_post_only_reject),
		cmocka_unit_test(test_kill_switch),
		cmocka_unit_test(test_kill_at_end),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_accounts_synth),
		cmocka_unit_test(test_runs_itch),
		cmocka_unit_test(test_runs_pcap),
		cmocka_unit_test(test_runs_synth),
		cmocka_unit_test(test_quiet_untimed),
		cmocka_unit_test(test_warm_writes_nothing),
		cmocka_unit_test(test_shortcuts_exact),
		cmocka_unit_test(test_orders_csv_lines),
		cmocka_unit_test(test_quoted_books_only),
		cmocka_unit_test(test_bad_usage),
		cmocka_unit_test(test_hostile_name),
		cmocka_unit_test(test_duplicate_names),
		cmocka_unit_test(test_pipe_input),
		cmocka_unit_test(test_unwritable_fills),
	};

	if (getenv("TEST_FILTER")) /* one test while debugging */
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests(tests, setup, teardown);
}
