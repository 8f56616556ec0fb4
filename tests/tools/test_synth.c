/* test_synth.c - `tickwire synth` run in-process into temporary files:
 * determinism, message mix, the session, the pcap re-read with libpcap
 * (checksums, MoldUDP64 sequencing, every block through itch_decode), the
 * truth against a book built here from the capture, each fault counted,
 * lines A/B, heartbeats, --check, bad options. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "dataplane/itch.h"
#include "dataplane/mold_wire.h"
#include "tools/cmd.h"
#include "tools/synth.h"
#include "tests/tools/synth_truth.h"

#define MAX_ARGS 40
#define GROUP_IP 0xE9360C6Fu
#define GROUP_PORT 26477

static char tmp_dir[64];

/* ------------------------------------------------------------- running */

struct run {
	int rc;
	char *out, *err;
	size_t out_len, err_len;
};

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* Run cmd_synth with NULL-terminated args. */
static void run_synth(struct run *r, const char *const *args)
{
	char *argv[MAX_ARGS + 2];
	FILE *out, *err;
	int argc = 0;

	argv[argc++] = strdup("synth");
	for (int i = 0; args[i]; i++) {
		assert_true(argc < MAX_ARGS);
		argv[argc++] = strdup(args[i]);
	}
	argv[argc] = NULL;
	r->out = r->err = NULL;
	out = open_memstream(&r->out, &r->out_len);
	err = open_memstream(&r->err, &r->err_len);
	assert_non_null(out);
	assert_non_null(err);
	r->rc = cmd_synth(argc, argv, out, err);
	fclose(out);
	fclose(err);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	if (r->rc != 0 && r->rc != EX_USAGE)
		print_error("synth exit %d, stderr:\n%s\n", r->rc, r->err);
}

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmp_dir, name);
}

static int files_equal(const char *a, const char *b)
{
	size_t la, lb;
	uint8_t *x = slurp(a, &la), *y = slurp(b, &lb);
	int eq = x && y && la == lb && memcmp(x, y, la) == 0;

	free(x);
	free(y);
	return eq;
}

/* Value of "key N" after `key` in the summary text; -1 if absent. */
static long long summary_num(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

/* "line A: R records, D dropped, U duplicated, O reordered" */
static void summary_line(const char *text, char line, unsigned long long v[4])
{
	char key[16];
	const char *p;

	snprintf(key, sizeof(key), "line %c:", line);
	p = strstr(text, key);
	assert_non_null(p);
	assert_int_equal(sscanf(p + strlen(key), " %llu records, %llu dropped, %llu duplicated, "
				"%llu reordered", &v[0], &v[1], &v[2], &v[3]), 4);
}

/* ------------------------------------------------------------- capture */

struct pkt_info {
	uint64_t seq, ts;
	uint16_t count;
	uint32_t sum;  /* payload checksum, to compare lines */
};

struct capture {
	uint64_t frames, records[2], data[2], hb[2], eos[2];
	uint64_t dups[2], late[2];      /* repeated packets, packets behind the line */
	uint64_t expect[2];             /* next sequence per line */
	uint8_t *seen_pkt[2];           /* by first sequence */
	struct itch_msg *msg;           /* by sequence (1-based) */
	uint8_t *have;
	uint64_t cap, max_seq;
	struct pkt_info *pk[2];
	uint64_t npk[2], pk_cap[2];
	uint64_t last_ts;
	int unsorted;
	uint64_t contiguous_breaks[2];  /* data packets with seq != expected */
	uint64_t hb_bad_seq;
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Plain RFC 1071 sum, written independently of synth_write.c. */
static uint32_t sum16(uint32_t acc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	return acc;
}

static uint16_t fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xFFFF) + (acc >> 16);
	return (uint16_t)acc;
}

static void pk_add(struct capture *c, int line, uint64_t seq, uint16_t count, uint64_t ts,
		   uint32_t sum)
{
	if (c->npk[line] == c->pk_cap[line]) {
		c->pk_cap[line] = c->pk_cap[line] ? c->pk_cap[line] * 2 : 1024;
		c->pk[line] = realloc(c->pk[line], sizeof(*c->pk[line]) * c->pk_cap[line]);
		assert_non_null(c->pk[line]);
	}
	c->pk[line][c->npk[line]++] = (struct pkt_info){ seq, ts, count, sum };
}

/* Validate one frame and record what it carries. */
static void frame(struct capture *c, const struct pcap_pkthdr *h, const uint8_t *f)
{
	const uint8_t *ip = f + 14, *udp = f + 34, *pay = f + 42;
	uint32_t len = h->caplen, src;
	uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
	uint16_t ulen;
	struct mold_hdr mh;
	int line;

	c->frames++;
	assert_int_equal(h->caplen, h->len);
	assert_true(len >= 42 + MOLD_HDR_LEN);
	if (ts < c->last_ts)
		c->unsorted++;
	c->last_ts = ts;
	/* Ethernet: the group's multicast MAC, IPv4. */
	assert_int_equal(f[0], 0x01);
	assert_int_equal(f[1], 0x00);
	assert_int_equal(f[2], 0x5E);
	assert_int_equal(f[3], (GROUP_IP >> 16) & 0x7F);
	assert_int_equal(f[4], (GROUP_IP >> 8) & 0xFF);
	assert_int_equal(f[5], GROUP_IP & 0xFF);
	assert_int_equal(be16(f + 12), 0x0800);
	/* IPv4 header: version, length, checksum, protocol, addresses. */
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(be16(ip + 2), len - 14);
	assert_int_equal(fold(sum16(0, ip, 20)), 0xFFFF);
	assert_int_equal(ip[9], 17);
	assert_int_equal(be32(ip + 16), GROUP_IP);
	src = be32(ip + 12);
	assert_true(src == 0xC0000201u || src == 0xC0000202u);
	line = src == 0xC0000202u;
	/* UDP: ports, length, checksum over the pseudo header. */
	assert_int_equal(be16(udp + 0), line ? 49654 : 49653);
	assert_int_equal(be16(udp + 2), GROUP_PORT);
	ulen = be16(udp + 4);
	assert_int_equal(ulen, len - 34);
	{
		uint32_t acc = sum16(0, ip + 12, 8);

		acc += 17 + ulen;
		acc = sum16(acc, udp, ulen);
		assert_int_equal(fold(acc), 0xFFFF);
	}
	c->records[line]++;
	/* MoldUDP64 */
	assert_int_equal(mold_hdr_read(pay, len - 42, &mh), 0);
	assert_memory_equal(mh.session, "TICKWIRE01", MOLD_SESSION_LEN);
	if (mh.count == MOLD_COUNT_HEARTBEAT || mh.count == MOLD_COUNT_END) {
		assert_int_equal(len, 42 + MOLD_HDR_LEN);
		if (mh.count == MOLD_COUNT_END)
			c->eos[line]++;
		else
			c->hb[line]++;
		if (mh.seq != c->expect[line])
			c->hb_bad_seq++;
		return;
	}
	c->data[line]++;
	pk_add(c, line, mh.seq, mh.count, ts, fold(sum16(0, pay, len - 42)));
	if (mh.seq != c->expect[line])
		c->contiguous_breaks[line]++;
	assert_true(mh.seq < c->cap);
	if (c->seen_pkt[line][mh.seq]) {
		c->dups[line]++;
	} else {
		c->seen_pkt[line][mh.seq] = 1;
		if (mh.seq < c->expect[line])
			c->late[line]++;
	}
	if (mh.seq + mh.count > c->expect[line])
		c->expect[line] = mh.seq + mh.count;
	{
		const uint8_t *p = pay + MOLD_HDR_LEN, *end = pay + (len - 42);

		for (uint16_t i = 0; i < mh.count; i++) {
			uint16_t bl;
			struct itch_msg m;
			uint64_t s = mh.seq + i;

			assert_true(p + 2 <= end);
			bl = mold_block_len(p);
			assert_true(p + 2 + bl <= end);
			assert_int_equal(itch_decode(p + 2, bl, &m), bl);
			assert_true(s < c->cap);
			if (c->have[s]) {
				/* Both lines and duplicates carry the same bytes. */
				assert_int_equal(c->msg[s].type, m.type);
				assert_int_equal(c->msg[s].ts_ns, m.ts_ns);
			} else {
				c->have[s] = 1;
				c->msg[s] = m;
				if (s > c->max_seq)
					c->max_seq = s;
			}
			p += 2 + bl;
		}
		assert_ptr_equal(p, end); /* no trailing bytes */
	}
}

static void capture_read(struct capture *c, const char *path, uint64_t max_msgs)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO,
							    ebuf);
	struct pcap_pkthdr *h;
	const u_char *d;
	int rc;

	memset(c, 0, sizeof(*c));
	if (!p)
		print_error("%s\n", ebuf);
	assert_non_null(p);
	assert_int_equal(pcap_datalink(p), DLT_EN10MB);
	c->cap = max_msgs + 2;
	c->msg = calloc(c->cap, sizeof(*c->msg));
	c->have = calloc(c->cap, 1);
	c->seen_pkt[0] = calloc(c->cap, 1);
	c->seen_pkt[1] = calloc(c->cap, 1);
	assert_non_null(c->msg);
	assert_non_null(c->have);
	c->expect[0] = c->expect[1] = 1;
	while ((rc = pcap_next_ex(p, &h, &d)) == 1)
		frame(c, h, d);
	assert_int_equal(rc, PCAP_ERROR_BREAK);
	pcap_close(p);
}

static void capture_free(struct capture *c)
{
	free(c->msg);
	free(c->have);
	for (int l = 0; l < 2; l++) {
		free(c->seen_pkt[l]);
		free(c->pk[l]);
	}
}

static uint64_t missing_msgs(const struct capture *c, uint64_t total)
{
	uint64_t n = 0;

	for (uint64_t s = 1; s <= total; s++)
		n += !c->have[s];
	return n;
}

/* ------------------------------------------------------- the test book */

/* A third, throwaway book: live orders by reference (references are
 * handed out densely, so an array indexed from the first one). */
struct tbook {
	uint64_t base, n;
	struct tord {
		uint16_t locate;
		uint8_t side, live;
		uint32_t price, shares;
	} *o;
	char names[SYNTH_SYMBOLS_MAX + 1][9];
	uint8_t state[SYNTH_SYMBOLS_MAX + 1];
	uint64_t errors;
};

static struct tord *tb_find(struct tbook *b, uint64_t ref)
{
	if (ref < b->base || ref - b->base >= b->n || !b->o[ref - b->base].live) {
		b->errors++;
		return NULL;
	}
	return &b->o[ref - b->base];
}

static void tb_add(struct tbook *b, uint64_t ref, uint16_t loc, uint8_t side, uint32_t price,
		   uint32_t shares)
{
	if (!b->base)
		b->base = ref;
	if (ref < b->base || ref - b->base >= b->n || b->o[ref - b->base].live) {
		b->errors++;
		return;
	}
	b->o[ref - b->base] = (struct tord){ loc, side, 1, price, shares };
}

static void tb_take(struct tbook *b, uint64_t ref, uint32_t shares)
{
	struct tord *o = tb_find(b, ref);

	if (!o)
		return;
	if (shares > o->shares) {
		b->errors++;
		return;
	}
	o->shares -= shares;
	o->live = o->shares > 0;
}

static void tb_apply(struct tbook *b, const struct itch_msg *m)
{
	struct tord *o;

	switch (m->type) {
	case 'R': {
		int k = 8;

		memcpy(b->names[m->locate], m->directory.stock, 8);
		while (k > 0 && b->names[m->locate][k - 1] == ' ')
			k--;
		b->names[m->locate][k] = 0;
		break;
	}
	case 'H':
		b->state[m->locate] = m->trading_action.state;
		break;
	case 'A':
	case 'F':
		tb_add(b, m->add.ref, m->locate, m->add.side, m->add.price, m->add.shares);
		break;
	case 'E':
	case 'C':
		tb_take(b, m->exec.ref, m->exec.shares);
		break;
	case 'X':
		tb_take(b, m->cancel.ref, m->cancel.shares);
		break;
	case 'D':
		if ((o = tb_find(b, m->del.ref)))
			o->live = 0;
		break;
	case 'U':
		if ((o = tb_find(b, m->replace.old_ref))) {
			uint8_t side = o->side;

			o->live = 0;
			tb_add(b, m->replace.new_ref, m->locate, side, m->replace.price,
			       m->replace.shares);
		}
		break;
	}
}

struct tlvl {
	uint16_t locate;
	uint8_t side;
	uint32_t price;
	uint64_t shares;
	uint32_t orders;
};

static int tlvl_cmp(const void *x, const void *y)
{
	const struct tlvl *a = x, *b = y;

	if (a->locate != b->locate)
		return a->locate < b->locate ? -1 : 1;
	if (a->side != b->side)
		return a->side == 'B' ? -1 : 1;
	if (a->price != b->price)
		return (a->price > b->price) == (a->side == 'B') ? -1 : 1;
	return 0;
}

/* The checkpoint text this book expects (H and L lines, all levels). */
static char *tb_text(struct tbook *b, uint32_t nsym)
{
	struct tlvl *l = malloc(sizeof(*l) * (b->n + 1));
	struct sbuf out = { NULL, 0, 0 };
	size_t n = 0, m = 0, i = 0;

	assert_non_null(l);
	sbuf_add(&out, "");
	for (uint64_t k = 0; k < b->n; k++)
		if (b->o[k].live)
			l[n++] = (struct tlvl){ b->o[k].locate, b->o[k].side, b->o[k].price,
						b->o[k].shares, 1 };
	qsort(l, n, sizeof(*l), tlvl_cmp);
	for (size_t k = 0; k < n; k++) {
		if (m && l[m - 1].locate == l[k].locate && l[m - 1].side == l[k].side &&
		    l[m - 1].price == l[k].price) {
			l[m - 1].shares += l[k].shares;
			l[m - 1].orders++;
		} else {
			l[m++] = l[k];
		}
	}
	for (uint32_t loc = 1; loc <= nsym; loc++) {
		char line[96];

		if (b->state[loc] && b->state[loc] != 'T') {
			snprintf(line, sizeof(line), "H %s %c\n", b->names[loc], b->state[loc]);
			sbuf_add(&out, line);
		}
		for (; i < m && l[i].locate == loc; i++) {
			snprintf(line, sizeof(line), "L %s %c %u %llu %u\n", b->names[loc],
				 l[i].side, l[i].price, (unsigned long long)l[i].shares,
				 l[i].orders);
			sbuf_add(&out, line);
		}
	}
	free(l);
	return out.p;
}

/* ---------------------------------------------------------------- tests */

static int setup(void **state)
{
	(void)state;
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/tw_synth_XXXXXX");
	return mkdtemp(tmp_dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_determinism(void **state)
{
	char a[128], b[128], c[128], ta[128], tb[128];
	struct run r;

	(void)state;
	path_of(a, sizeof(a), "det_a.pcap");
	path_of(b, sizeof(b), "det_b.pcap");
	path_of(c, sizeof(c), "det_c.pcap");
	path_of(ta, sizeof(ta), "det_a.truth");
	path_of(tb, sizeof(tb), "det_b.truth");
	for (int model = 0; model < 2; model++) {
		const char *m = model ? "many" : "cst";
		const char *sy = model ? "200" : "4";
		const char *args_a[] = { "--model", m, "--symbols", sy, "--messages", "30000",
					 "--seed", "7", "--ab", "--fault", "gap:0.01", "--truth", ta,
					 "--truth-every", "10000", "--out", a, "--quiet", NULL };
		const char *args_b[] = { "--model", m, "--symbols", sy, "--messages", "30000",
					 "--seed", "7", "--ab", "--fault", "gap:0.01", "--truth", tb,
					 "--truth-every", "10000", "--out", b, "--quiet", NULL };
		const char *args_c[] = { "--model", m, "--symbols", sy, "--messages", "30000",
					 "--seed", "8", "--ab", "--fault", "gap:0.01", "--out", c,
					 "--quiet", NULL };

		run_synth(&r, args_a);
		assert_int_equal(r.rc, 0);
		assert_int_equal(r.err_len, 0); /* --quiet: nothing on stderr */
		run_free(&r);
		run_synth(&r, args_b);
		assert_int_equal(r.rc, 0);
		run_free(&r);
		run_synth(&r, args_c);
		assert_int_equal(r.rc, 0);
		run_free(&r);
		assert_true(files_equal(a, b));
		assert_true(files_equal(ta, tb));
		assert_false(files_equal(a, c));
	}
}

/* Without faults: every frame valid, sequence contiguous, counts right,
 * the message mix plausible, the session shaped as Nasdaq's. */
static void check_clean_capture(const char *model, const char *symbols, uint32_t nsym,
				uint64_t total)
{
	char pcap[128], msgs[32];
	const char *args[] = { "--model", model, "--symbols", symbols, "--messages", msgs,
			       "--out", pcap, "--quiet", NULL };
	uint64_t n[256] = { 0 };
	struct capture c;
	struct run r;
	uint64_t first_q = 0, last_flow = 0;

	snprintf(msgs, sizeof(msgs), "%llu", (unsigned long long)total);
	path_of(pcap, sizeof(pcap), "clean.pcap");
	run_synth(&r, args);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "unrecoverable: 0 messages in 0 gaps"));
	capture_read(&c, pcap, total);
	assert_int_equal(c.unsorted, 0);
	assert_int_equal(c.records[1], 0);
	assert_int_equal(c.contiguous_breaks[0], 0);
	assert_int_equal(c.dups[0], 0);
	assert_int_equal(c.max_seq, total);
	assert_int_equal(missing_msgs(&c, total), 0);
	assert_int_equal(c.eos[0], 3);
	assert_int_equal(c.hb_bad_seq, 0);
	assert_int_equal(c.expect[0], total + 1);
	assert_int_equal(summary_num(r.out, "synth: "), (long long)total);
	assert_int_equal(summary_num(r.out, "messages in "), (long long)c.data[0]);

	for (uint64_t s = 1; s <= total; s++) {
		const struct itch_msg *m = &c.msg[s];

		n[m->type]++;
		if (s > 1)
			assert_true(m->ts_ns >= c.msg[s - 1].ts_ns);
		if (m->type == 'S' && m->system_event.event_code == 'Q')
			first_q = s;
		if (m->type != 'S')
			last_flow = s;
		assert_true(m->locate <= nsym);
	}
	/* Session: O, directory, S, trading actions, ..., Q, flow, M, E, C. */
	assert_int_equal(c.msg[1].type, 'S');
	assert_int_equal(c.msg[1].system_event.event_code, 'O');
	assert_int_equal(c.msg[1].ts_ns, UINT64_C(34200000000000)); /* 09:30 */
	for (uint32_t i = 0; i < nsym; i++) {
		assert_int_equal(c.msg[2 + i].type, 'R');
		assert_int_equal(c.msg[2 + i].locate, i + 1);
	}
	assert_int_equal(c.msg[2 + nsym].system_event.event_code, 'S');
	for (uint32_t i = 0; i < nsym; i++) {
		assert_int_equal(c.msg[3 + nsym + i].type, 'H');
		assert_int_equal(c.msg[3 + nsym + i].trading_action.state, 'T');
	}
	assert_true(first_q > 3 + 2 * nsym);
	assert_true(last_flow < total - 2);
	assert_int_equal(c.msg[total - 2].system_event.event_code, 'M');
	assert_int_equal(c.msg[total - 1].system_event.event_code, 'E');
	assert_int_equal(c.msg[total].system_event.event_code, 'C');
	assert_int_equal(n['S'], 6);
	assert_int_equal(n['R'], nsym);
	assert_true(n['H'] >= nsym);
	/* Every order is added once (A, F, new side of U) and removed at most
	 * once (D, old side of U, full executions); X is a partial cancel. */
	assert_true(n['A'] + n['F'] >= n['D'] + n['X']);
	assert_true(n['X'] * 10 < n['D']); /* partial cancels are rare */
	assert_true(n['A'] > n['F'] && n['F'] > 0);
	assert_true(n['E'] > 0 && n['C'] > 0 && n['C'] < n['E']);
	assert_true(n['X'] > 0 && n['D'] > 0 && n['U'] > 0);
	assert_true(n['A'] + n['F'] + n['U'] > total / 3);
	if (strcmp(model, "many") == 0)
		assert_true(n['P'] > 0);
	else
		assert_int_equal(n['P'], 0);
	capture_free(&c);
	run_free(&r);
}

static void test_clean_cst(void **state)
{
	(void)state;
	check_clean_capture("cst", "4", 4, 40000);
}

static void test_clean_many(void **state)
{
	(void)state;
	check_clean_capture("many", "300", 300, 60000);
}

/* The truth's checkpoints equal a book built here from the capture. */
static void check_truth(const char *model, const char *symbols, uint32_t nsym)
{
	char pcap[128], tr[128];
	const char *args[] = { "--model", model, "--symbols", symbols, "--messages", "30000",
			       "--truth", tr, "--truth-every", "7000", "--out", pcap,
			       "--quiet", NULL };
	struct tbook *b = calloc(1, sizeof(*b));
	struct capture c;
	struct truth t;
	struct run r;
	uint64_t k = 0;

	path_of(pcap, sizeof(pcap), "truth.pcap");
	path_of(tr, sizeof(tr), "truth.truth");
	run_synth(&r, args);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "reference book errors 0"));
	capture_read(&c, pcap, 30000);
	truth_read(&t, tr);
	assert_non_null(strstr(t.comment, "seed 1"));
	/* Every 7000 messages and the end. */
	assert_int_equal(t.nckpt, 5);
	for (int i = 0; i < 4; i++)
		assert_int_equal(t.ckpt_seq[i], (uint64_t)(i + 1) * 7000);
	assert_int_equal(t.ckpt_seq[4], 30000);
	assert_int_equal(t.end_seq, 30000);
	assert_int_equal(t.ngap, 0);

	b->n = 40000;
	b->o = calloc(b->n, sizeof(*b->o));
	assert_non_null(b->o);
	for (uint64_t s = 1; s <= 30000; s++) {
		tb_apply(b, &c.msg[s]);
		if (k < t.nckpt && s == t.ckpt_seq[k]) {
			char *want = tb_text(b, nsym);

			assert_int_equal(c.msg[s].ts_ns, t.ckpt_ts[k]);
			if (strcmp(want, t.ckpt_body[k]) != 0) {
				print_error("checkpoint %llu differs:\n--- test book\n%.2000s\n--- "
					    "truth\n%.2000s\n", (unsigned long long)s, want,
					    t.ckpt_body[k]);
				fail();
			}
			free(want);
			k++;
		}
	}
	assert_int_equal(k, t.nckpt);
	assert_int_equal(b->errors, 0);
	/* Books are never crossed: best bid < best ask for every symbol. */
	{
		char *body = strdup(t.ckpt_body[t.nckpt - 1]), *save = NULL, *line;
		char prev[16] = "";
		unsigned bid = 0, ask = 0;

		for (line = strtok_r(body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char sym[16], side;
			unsigned price;

			if (sscanf(line, "L %15s %c %u", sym, &side, &price) != 3)
				continue;
			if (strcmp(sym, prev) != 0) {
				snprintf(prev, sizeof(prev), "%s", sym);
				bid = ask = 0;
			}
			if (side == 'B' && !bid)
				bid = price;
			if (side == 'S' && !ask) {
				ask = price;
				if (bid)
					assert_true(ask > bid);
			}
		}
		free(body);
	}
	free(b->o);
	free(b);
	truth_free(&t);
	capture_free(&c);
	run_free(&r);
}

static void test_truth_cst(void **state)
{
	(void)state;
	check_truth("cst", "3", 3);
}

static void test_truth_many(void **state)
{
	(void)state;
	check_truth("many", "150", 150);
}

static void test_truth_depth(void **state)
{
	char pcap[128], tr[128];
	const char *args[] = { "--messages", "5000", "--truth", tr, "--truth-depth", "2",
			       "--out", pcap, "--quiet", NULL };
	struct truth t;
	struct run r;
	int per[4][2] = { { 0 } };

	(void)state;
	path_of(pcap, sizeof(pcap), "depth.pcap");
	path_of(tr, sizeof(tr), "depth.truth");
	run_synth(&r, args);
	assert_int_equal(r.rc, 0);
	truth_read(&t, tr);
	assert_int_equal(t.nckpt, 1);
	{
		char *body = strdup(t.ckpt_body[0]), *save = NULL, *line;
		char syms[4][16] = { "" };
		int ns = 0;

		for (line = strtok_r(body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char sym[16], side;
			int i;

			assert_int_equal(sscanf(line, "L %15s %c", sym, &side), 2);
			for (i = 0; i < ns && strcmp(syms[i], sym); i++)
				;
			if (i == ns) {
				assert_true(ns < 4);
				snprintf(syms[ns++], 16, "%s", sym);
			}
			per[i][side == 'S']++;
		}
		free(body);
		assert_int_equal(ns, 4);
	}
	for (int i = 0; i < 4; i++)
		for (int s = 0; s < 2; s++)
			assert_true(per[i][s] >= 1 && per[i][s] <= 2);
	truth_free(&t);
	run_free(&r);
}

/* Single line, packets dropped: the missing sequence numbers are exactly
 * the truth's gap lines, and the summary agrees. */
static void test_fault_gap_single_line(void **state)
{
	char pcap[128], tr[128], key[64];
	const char *args[] = { "--messages", "20000", "--batch-us", "50000", "--fault",
			       "gap:0.05", "--truth", tr, "--out", pcap, "--quiet", NULL };
	unsigned long long v[4];
	struct capture c;
	struct truth t;
	struct run r;
	uint64_t lost = 0, gi = 0, named = 0;

	(void)state;
	path_of(pcap, sizeof(pcap), "gap.pcap");
	path_of(tr, sizeof(tr), "gap.truth");
	run_synth(&r, args);
	assert_int_equal(r.rc, 0);
	capture_read(&c, pcap, 20000);
	truth_read(&t, tr);
	summary_line(r.out, 'A', v);
	assert_true(v[1] > 0); /* some dropped */
	assert_int_equal(c.data[0], (uint64_t)summary_num(r.out, "messages in ") - v[1]);
	/* Missing runs, in order, equal the gap lines. */
	for (uint64_t s = 1; s <= 20000; s++) {
		if (c.have[s])
			continue;
		if (s == 1 || c.have[s - 1]) {
			uint64_t e = s;

			while (e <= 20000 && !c.have[e])
				e++;
			assert_true(gi < t.ngap);
			assert_int_equal(t.gap_first[gi], s);
			assert_int_equal(t.gap_count[gi], e - s);
			named += t.gap_nsym[gi];
			gi++;
		}
		lost++;
	}
	assert_int_equal(gi, t.ngap);
	assert_true(lost > 0);
	assert_true(named >= gi / 2); /* lost order flow names its symbols */
	snprintf(key, sizeof(key), "unrecoverable: %llu messages in %llu gaps",
		 (unsigned long long)lost, (unsigned long long)gi);
	assert_non_null(strstr(r.out, key));
	truth_free(&t);
	capture_free(&c);
	run_free(&r);
}

static void test_fault_dup_reorder(void **state)
{
	char pcap[128];
	const char *args[] = { "--messages", "20000", "--fault", "dup:0.03", "--fault",
			       "reorder:0.03", "--out", pcap, "--quiet", NULL };
	unsigned long long v[4];
	struct capture c;
	struct run r;

	(void)state;
	path_of(pcap, sizeof(pcap), "dup.pcap");
	run_synth(&r, args);
	assert_int_equal(r.rc, 0);
	capture_read(&c, pcap, 20000);
	summary_line(r.out, 'A', v);
	assert_true(v[2] > 0 && v[3] > 0);
	assert_int_equal(c.dups[0], v[2]);
	assert_int_equal(c.late[0], v[3]);
	assert_int_equal(v[1], 0);
	assert_int_equal(c.records[0], v[0]);
	/* Nothing lost: every message arrived. */
	assert_int_equal(missing_msgs(&c, 20000), 0);
	assert_int_equal(c.data[0], (uint64_t)summary_num(r.out, "messages in ") + v[2]);
	assert_int_equal(c.unsorted, 0);
	capture_free(&c);
	run_free(&r);
}

/* --ab: two copies of every packet, B later, identical payloads. */
static void test_ab_copies(void **state)
{
	char pcap[128];
	const char *args[] = { "--model", "many", "--symbols", "100", "--messages", "20000",
			       "--ab", "--out", pcap, "--quiet", NULL };
	struct capture c;
	struct run r;

	(void)state;
	path_of(pcap, sizeof(pcap), "ab.pcap");
	run_synth(&r, args);
	assert_int_equal(r.rc, 0);
	capture_read(&c, pcap, 20000);
	assert_int_equal(c.npk[0], c.npk[1]);
	assert_true(c.npk[0] > 100);
	for (uint64_t i = 0; i < c.npk[0]; i++) {
		assert_int_equal(c.pk[0][i].seq, c.pk[1][i].seq);
		assert_int_equal(c.pk[0][i].count, c.pk[1][i].count);
		assert_int_equal(c.pk[0][i].sum, c.pk[1][i].sum);
		assert_true(c.pk[1][i].ts > c.pk[0][i].ts);
		assert_true(c.pk[1][i].ts - c.pk[0][i].ts < 100000);
	}
	assert_int_equal(c.contiguous_breaks[0], 0);
	assert_int_equal(c.contiguous_breaks[1], 0);
	assert_int_equal(c.eos[0], 3);
	assert_int_equal(c.eos[1], 3);
	assert_int_equal(c.unsorted, 0);
	assert_int_equal(missing_msgs(&c, 20000), 0);
	capture_free(&c);
	run_free(&r);
}

/* --ab with drops: each line loses packets, the other has them all. */
static void test_ab_gap_recoverable(void **state)
{
	char pcap[128], tr[128];
	const char *args[] = { "--messages", "20000", "--ab", "--fault", "gap:0.1", "--truth",
			       tr, "--out", pcap, "--quiet", NULL };
	unsigned long long va[4], vb[4];
	struct capture c;
	struct truth t;
	struct run r;
	uint64_t packets;

	(void)state;
	path_of(pcap, sizeof(pcap), "abgap.pcap");
	path_of(tr, sizeof(tr), "abgap.truth");
	run_synth(&r, args);
	assert_int_equal(r.rc, 0);
	capture_read(&c, pcap, 20000);
	truth_read(&t, tr);
	summary_line(r.out, 'A', va);
	summary_line(r.out, 'B', vb);
	packets = (uint64_t)summary_num(r.out, "messages in ");
	assert_true(va[1] > 0 && vb[1] > 0);
	assert_int_equal(c.data[0], packets - va[1]);
	assert_int_equal(c.data[1], packets - vb[1]);
	assert_int_equal(missing_msgs(&c, 20000), 0);
	assert_int_equal(t.ngap, 0);
	assert_non_null(strstr(r.out, "unrecoverable: 0 messages in 0 gaps"));
	/* Each line alone has gaps. */
	assert_true(c.contiguous_breaks[0] > 0 && c.contiguous_breaks[1] > 0);
	truth_free(&t);
	capture_free(&c);
	run_free(&r);
}

/* lose-line: A silent for data packets 100..149, B complete. Without --ab
 * the same stretch is an unrecoverable gap in the truth. */
static void test_lose_line(void **state)
{
	char pcap[128], tr[128];
	const char *ab[] = { "--messages", "20000", "--ab", "--fault", "lose-line:A:100:50",
			     "--out", pcap, "--quiet", NULL };
	const char *single[] = { "--messages", "20000", "--fault", "lose-line:A:10:5",
				 "--truth", tr, "--out", pcap, "--quiet", NULL };
	struct capture c, full;
	struct truth t;
	struct run r;
	uint64_t ja = 0, lost = 0;

	(void)state;
	path_of(pcap, sizeof(pcap), "lose.pcap");
	path_of(tr, sizeof(tr), "lose.truth");
	run_synth(&r, ab);
	assert_int_equal(r.rc, 0);
	capture_read(&c, pcap, 20000);
	assert_int_equal(c.npk[1], c.npk[0] + 50);
	for (uint64_t i = 0; i < c.npk[1]; i++) {
		if (i >= 100 && i < 150)
			continue;
		assert_int_equal(c.pk[0][ja].seq, c.pk[1][i].seq);
		ja++;
	}
	assert_int_equal(ja, c.npk[0]);
	assert_int_equal(c.contiguous_breaks[0], 1);
	assert_int_equal(missing_msgs(&c, 20000), 0);
	run_free(&r);

	/* The same seed without faults names the messages of packets 10..14. */
	{
		const char *clean[] = { "--messages", "20000", "--out", pcap, "--quiet", NULL };

		run_synth(&r, clean);
		assert_int_equal(r.rc, 0);
		run_free(&r);
		capture_read(&full, pcap, 20000);
	}
	run_synth(&r, single);
	assert_int_equal(r.rc, 0);
	capture_free(&c);
	capture_read(&c, pcap, 20000);
	truth_read(&t, tr);
	assert_int_equal(t.ngap, 1);
	assert_int_equal(t.gap_first[0], full.pk[0][10].seq);
	for (int i = 10; i < 15; i++)
		lost += full.pk[0][i].count;
	assert_int_equal(t.gap_count[0], lost);
	assert_int_equal(missing_msgs(&c, 20000), lost);
	assert_int_equal(summary_num(r.out, "unrecoverable: "), (long long)lost);
	truth_free(&t);
	capture_free(&c);
	capture_free(&full);
	run_free(&r);
}

/* Faults come from their own random stream: the message stream is the
 * same with and without them. */
static void test_faults_keep_messages(void **state)
{
	char a[128], b[128];
	const char *clean[] = { "--messages", "10000", "--out", a, "--quiet", NULL };
	const char *faulty[] = { "--messages", "10000", "--ab", "--fault", "gap:0.2", "--fault",
				 "dup:0.1", "--out", b, "--quiet", NULL };
	struct capture ca, cb;
	struct run r;

	(void)state;
	path_of(a, sizeof(a), "keep_a.pcap");
	path_of(b, sizeof(b), "keep_b.pcap");
	run_synth(&r, clean);
	assert_int_equal(r.rc, 0);
	run_free(&r);
	run_synth(&r, faulty);
	assert_int_equal(r.rc, 0);
	run_free(&r);
	capture_read(&ca, a, 10000);
	capture_read(&cb, b, 10000);
	for (uint64_t s = 1; s <= 10000; s++) {
		assert_true(ca.have[s] && cb.have[s]);
		assert_int_equal(ca.msg[s].type, cb.msg[s].type);
		assert_int_equal(ca.msg[s].ts_ns, cb.msg[s].ts_ns);
	}
	capture_free(&ca);
	capture_free(&cb);
}

/* A slow clock leaves idle seconds: heartbeats carry the next sequence. */
static void test_heartbeats(void **state)
{
	char pcap[128];
	const char *args[] = { "--messages", "2000", "--symbols", "1", "--speed", "0.02",
			       "--out", pcap, "--quiet", NULL };
	struct capture c;
	struct run r;

	(void)state;
	path_of(pcap, sizeof(pcap), "hb.pcap");
	run_synth(&r, args);
	assert_int_equal(r.rc, 0);
	capture_read(&c, pcap, 2000);
	assert_true(c.hb[0] > 0);
	assert_int_equal(c.hb_bad_seq, 0);
	assert_int_equal(summary_num(r.out, "heartbeats "), (long long)c.hb[0]);
	assert_int_equal(missing_msgs(&c, 2000), 0);
	capture_free(&c);
	run_free(&r);

	/* The only line silenced across idle seconds: no heartbeats from it
	 * then, and the run still ends. */
	{
		const char *silent[] = { "--messages", "2000", "--symbols", "1", "--speed",
					 "0.02", "--fault", "lose-line:A:10:200", "--out", pcap,
					 "--quiet", NULL };
		uint64_t hb_all = c.hb[0];

		run_synth(&r, silent);
		assert_int_equal(r.rc, 0);
		capture_read(&c, pcap, 2000);
		assert_true(c.hb[0] < hb_all);
		assert_int_equal((uint64_t)summary_num(r.out, "heartbeats "), hb_all);
		assert_true(missing_msgs(&c, 2000) > 0);
		capture_free(&c);
		run_free(&r);
	}
}

static void test_check(void **state)
{
	const char *args[] = { "--model", "cst", "--check", "--paths", "400", "--seed", "3",
			       NULL };
	struct run r, r2;
	double p11, p15, p51;

	(void)state;
	run_synth(&r, args);
	assert_int_equal(r.rc, 0);
	assert_non_null(strstr(r.out, "Monte Carlo"));
	assert_non_null(strstr(r.out, "Exact value"));
	run_synth(&r2, args);
	assert_string_equal(r.out, r2.out); /* deterministic */
	run_free(&r2);
	run_free(&r);

	/* The exact model: symmetric, 1/2 on the diagonal, monotone. */
	{
		struct synth_cst_params p;

		synth_cst_params_paper(&p);
		p11 = synth_cst_p_up_exact(&p, 1, 1);
		p15 = synth_cst_p_up_exact(&p, 1, 5);
		p51 = synth_cst_p_up_exact(&p, 5, 1);
		assert_true(p11 > 0.4999 && p11 < 0.5001);
		assert_true(p15 + p51 > 0.9999 && p15 + p51 < 1.0001);
		assert_true(p51 > synth_cst_p_up_exact(&p, 4, 1));
		assert_true(synth_cst_p_up_exact(&p, 3, 2) > synth_cst_p_up_exact(&p, 2, 3));
	}
}

static void test_help_and_bad_options(void **state)
{
	char pcap[128];
	struct run r;
	static const char *const bad[][8] = {
		{ "--model", "zipf", NULL },
		{ "--seed", "-1", NULL },
		{ "--messages", "0", NULL },
		{ "--messages", "12x", NULL },
		{ "--symbols", "0", NULL },
		{ "--symbols", "99999", NULL },
		{ "--session", "ELEVENCHARS", NULL },
		{ "--session", "BAD-ID", NULL },
		{ "--dest", "233.54.12:1", NULL },
		{ "--dest", "233.54.12.111:70000", NULL },
		{ "--fault", "gap:2", NULL },
		{ "--fault", "flood:0.1", NULL },
		{ "--fault", "lose-line:C:1:2", NULL },
		{ "--fault", "lose-line:A:1", NULL },
		{ "--fault", "lose-line:B:1:2", NULL },   /* needs --ab */
		{ "--truth-every", "10", NULL },          /* needs --truth */
		{ "--speed", "0", NULL },
		{ "--model", "many", "--speed", "2", NULL },
		{ "--paths", "10", NULL },                /* needs --check */
		{ "--messages", "10", NULL },             /* below the session's overhead */
		{ "--bogus", NULL },
		{ "--seed", NULL },
		{ "extra", NULL },
	};

	(void)state;
	path_of(pcap, sizeof(pcap), "bad.pcap");
	{
		const char *args[] = { "--help", NULL };

		run_synth(&r, args);
		assert_int_equal(r.rc, 0);
		assert_non_null(strstr(r.out, "--fault lose-line"));
		assert_non_null(strstr(r.out, "--truth-every"));
		assert_non_null(strstr(r.out, "--check"));
		run_free(&r);
	}
	{
		const char *args[] = { "--messages", "1000", NULL }; /* no --out */

		run_synth(&r, args);
		assert_int_equal(r.rc, EX_USAGE);
		assert_non_null(strstr(r.err, "--out"));
		run_free(&r);
	}
	{
		const char *args[] = { "--check", "--out", pcap, NULL };

		run_synth(&r, args);
		assert_int_equal(r.rc, EX_USAGE);
		run_free(&r);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *args[12];
		int n = 0;

		for (int k = 0; bad[i][k]; k++)
			args[n++] = bad[i][k];
		args[n++] = "--out";
		args[n++] = pcap;
		args[n] = NULL;
		if (strcmp(bad[i][0], "--seed") == 0 && !bad[i][1]) {
			args[0] = "--out";
			args[1] = pcap;
			args[2] = "--seed";
			args[3] = NULL;
		}
		run_synth(&r, args);
		if (r.rc != EX_USAGE)
			print_error("case %zu (%s %s): exit %d\n", i, bad[i][0],
				    bad[i][1] ? bad[i][1] : "", r.rc);
		assert_int_equal(r.rc, EX_USAGE);
		assert_non_null(strstr(r.err, "tickwire synth: "));
		assert_int_equal(r.out_len, 0);
		run_free(&r);
	}
	{
		const char *args[] = { "--messages", "1000", "--out", "/nonexistent/dir/x.pcap",
				       "--quiet", NULL };

		run_synth(&r, args);
		assert_int_equal(r.rc, EX_IOERR);
		assert_non_null(strstr(r.err, "cannot create"));
		run_free(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_clean_cst),
		cmocka_unit_test(test_clean_many),
		cmocka_unit_test(test_truth_cst),
		cmocka_unit_test(test_truth_many),
		cmocka_unit_test(test_truth_depth),
		cmocka_unit_test(test_fault_gap_single_line),
		cmocka_unit_test(test_fault_dup_reorder),
		cmocka_unit_test(test_ab_copies),
		cmocka_unit_test(test_ab_gap_recoverable),
		cmocka_unit_test(test_lose_line),
		cmocka_unit_test(test_faults_keep_messages),
		cmocka_unit_test(test_heartbeats),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_help_and_bad_options),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
