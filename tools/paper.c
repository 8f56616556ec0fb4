/* paper.c - the inline paper-trading pipeline: each captured frame (or
 * binary-file message) goes through the feed; each md_event through the
 * paper venue (our resting orders) and the symbol's market maker; each
 * intent through the gateway's checks into OUCH bytes, which the venue
 * decodes; the venue's OUCH reports come back through the gateway as
 * exec_reports to the strategy and the accounts. One thread, virtual time. */
#include "tools/paper.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataplane/itch_enc.h"
#include "dataplane/mold_wire.h"
#include "dataplane/net.h"
#include "hw/tsc.h"
#include "tools/paper_frame.h"

#define PAPER_EV_CAP 4096u     /* md_events from one frame */
#define PAPER_INTENTS 64u      /* intents per strategy call */
#define PAPER_REPORTS 256u     /* exec reports per venue drain */
#define PAPER_DEPTH_MAX 8      /* report -> intent -> report cascade */
#define PAPER_TOKEN_STRIDE (UINT64_C(1) << 40) /* token space per symbol */
#define PAPER_WARM_FRAMES 64u   /* paper_warm's feed: frames */
#define PAPER_WARM_MSGS 8u      /* ... of this many messages */
#define PAPER_WARM_FRAME 512u   /* ... of at most this many bytes */
#define PAPER_WARM_ORDERS 8u    /* paper_warm: each symbol's first orders read */
#define PAPER_WARM_STORE 1024u /* paper_warm's gateway: order slots and token
				* history, for its 64 events' orders */

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- first pass: which symbols ------------------------------------------ */

/* Count one ITCH message toward its symbol's activity, and learn the
 * symbol's name from a stock directory or an add. */
static void pick_count(const uint8_t *m, size_t len, uint64_t *count, char (*name)[8])
{
	uint16_t loc;

	if (len < 11)
		return;
	loc = (uint16_t)(m[1] << 8 | m[2]);
	switch (m[0]) {
	case 'R':
	case 'A':
	case 'F': {
		size_t at = m[0] == 'R' ? 11 : 24;

		if (len >= at + 8 && !name[loc][0])
			memcpy(name[loc], m + at, 8);
		if (m[0] == 'R')
			return;
		break;
	}
	case 'E': case 'C': case 'X': case 'D': case 'U': case 'P':
		break;
	default:
		return;
	}
	count[loc]++;
}

/* The symbol's name for every output: the ITCH stock without its padding
 * when it is plain printable ASCII, else "#<locate>" (a capture may put any
 * byte there; a comma, quote, backslash or control byte would break
 * orders.csv and report.json, and the accounts refuse such names). '#' is
 * not a stock character, so the fallback names never meet a real one. */
static void name_of(char (*name)[8], uint32_t loc, char out[PAPER_NAME_LEN])
{
	size_t n = 8;
	bool plain = true;

	while (n && (name[loc][n - 1] == ' ' || name[loc][n - 1] == 0))
		n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[loc][i];

		if (c < 0x21 || c > 0x7e || c == ',' || c == '"' || c == '\\' || c == '#')
			plain = false;
	}
	if (n == 0 || !plain) {
		snprintf(out, PAPER_NAME_LEN, "#%u", loc & 0xffffu);
		return;
	}
	memcpy(out, name[loc], n);
	out[n] = 0;
}

int paper_pick_symbols(const struct paper_cfg *cfg, const char *path, uint16_t *locates,
		       char (*names)[PAPER_NAME_LEN], char *err, size_t errlen)
{
	struct paper_in in;
	struct paper_unit u;
	uint64_t *count = calloc(BOOK_LOCATE_MAX + 1, sizeof(*count));
	char (*name)[8] = calloc(BOOK_LOCATE_MAX + 1, sizeof(*name));
	int rc, n = 0;

	if (!count || !name) {
		free(count);
		free(name);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = paper_in_open(&in, path);
	if (rc) {
		snprintf(err, errlen, "%s", in.err);
		goto out;
	}
	/* No books: the counts only rank symbols (a duplicate packet counts
	 * twice, which does not matter for a ranking). */
	while ((rc = paper_in_next(&in, &u)) == 1) {
		struct net_udp udp;
		struct mold_pkt mp;
		const uint8_t *b;
		size_t left;

		if (in.kind == PAPER_IN_BINFILE) {
			pick_count(u.data, u.caplen, count, name);
			continue;
		}
		if (net_parse_link(in.pcap.link, u.data, u.caplen, u.wirelen, &udp) < 0 ||
		    mold_parse(udp.payload, udp.payload_len, &mp) != 0)
			continue;
		b = mp.blocks;
		left = mp.blocks_len;
		for (uint32_t i = 0; i < mp.nmsgs && left >= 2; i++) {
			size_t ml = (size_t)(b[0] << 8 | b[1]);

			if (ml + 2 > left)
				break;
			pick_count(b + 2, ml, count, name);
			b += ml + 2;
			left -= ml + 2;
		}
	}
	/* A damaged input ends the count where it breaks: the run itself
	 * then replays what came before and reports the damage. */
	paper_in_close(&in);
	if (cfg->n_symbols) {
		for (size_t i = 0; i < cfg->n_symbols && n < PAPER_MAX_SYMS; i++) {
			uint32_t l;
			char nm[PAPER_NAME_LEN];

			for (l = 1; l <= BOOK_LOCATE_MAX; l++) {
				if (!name[l][0])
					continue;
				name_of(name, l, nm);
				if (strcmp(nm, cfg->symbols[i]) == 0)
					break;
			}
			if (l > BOOK_LOCATE_MAX) {
				snprintf(err, errlen, "symbol '%s' is not in %s", cfg->symbols[i],
					 path);
				rc = -ENOENT;
				goto out;
			}
			for (int j = 0; j < n; j++)
				if (locates[j] == l) {
					snprintf(err, errlen, "symbol '%s' is listed twice",
						 cfg->symbols[i]);
					rc = -EINVAL;
					goto out;
				}
			locates[n] = (uint16_t)l;
			snprintf(names[n], PAPER_NAME_LEN, "%s", nm);
			n++;
		}
	} else {
		/* The busiest first; ties to the lower locate (deterministic). */
		while (n < (int)cfg->top_symbols && n < PAPER_MAX_SYMS) {
			uint32_t best = 0;

			for (uint32_t l = 1; l <= BOOK_LOCATE_MAX; l++)
				if (count[l] > count[best])
					best = l;
			if (!count[best])
				break;
			count[best] = 0;
			locates[n] = (uint16_t)best;
			name_of(name, best, names[n]);
			/* Two locates of one name (a damaged directory) would
			 * share one OUCH symbol, i.e. one book at the venue:
			 * the later gets its #<locate> name. */
			for (int j = 0; j < n; j++)
				if (strcmp(names[j], names[n]) == 0)
					snprintf(names[n], PAPER_NAME_LEN, "#%u", best & 0xffffu);
			n++;
		}
		/* Nothing to quote is a valid, empty run (err says why). */
		if (n == 0)
			snprintf(err, errlen, "%s: no order-book activity to quote", path);
	}
	rc = n;
out:
	free(count);
	free(name);
	return rc;
}

/* ---- set-up ------------------------------------------------------------- */

static void lat_derive(struct venue_lat_cfg *l, uint64_t base, uint64_t jitter,
		       const int64_t *ppm, size_t n_ppm, const int64_t *ns, size_t n_ns);

static void cfg_derive(const struct paper_cfg *c, struct mm_cfg *mm, struct gw_cfg *gw,
		       struct venue_cfg *vc)
{
	*mm = c->mm;
	for (size_t i = 0; i < QUOTE_MAX_LEVELS; i++)
		mm->size[i] = i < c->n_sizes ? (uint32_t)c->sizes[i] : 0;
	mm->fee_usd = -(double)c->maker_rebate_e4 / 1e4;
	mm->timer_ns = (uint64_t)c->timer_ms * 1000000u;
	for (int lv = REGIME_YELLOW; lv <= REGIME_KILL; lv++) {
		mm->regime.band[REGIME_IN_DRAWDOWN][lv].enter = 0;
		mm->regime.band[REGIME_IN_DRAWDOWN][lv].exit = 0;
	}
	mm->regime.band[REGIME_IN_DRAWDOWN][REGIME_YELLOW].enter = c->dd_yellow_usd;
	mm->regime.band[REGIME_IN_DRAWDOWN][REGIME_YELLOW].exit = c->dd_yellow_usd * 0.5;
	mm->regime.band[REGIME_IN_DRAWDOWN][REGIME_KILL].enter = c->dd_kill_usd;
	mm->regime.band[REGIME_IN_POSITION][REGIME_YELLOW].enter = c->pos_yellow;
	mm->regime.band[REGIME_IN_POSITION][REGIME_YELLOW].exit = c->pos_yellow * 0.5;
	mm->regime.band[REGIME_IN_POSITION][REGIME_RED].enter = c->pos_red;
	mm->regime.band[REGIME_IN_POSITION][REGIME_RED].exit = c->pos_red * 0.5;
	mm->regime.band[REGIME_IN_POSITION][REGIME_KILL].enter = c->pos_kill;
	mm->recon.tol_ticks = c->tol_ticks;
	if (mm->recon.tol_front_ticks < c->tol_ticks)
		mm->recon.tol_front_ticks = c->tol_ticks;
	mm->recon.min_life_ns = (uint64_t)c->min_life_ms * 1000000u;
	mm->recon.max_age_ns = (uint64_t)c->max_age_ms * 1000000u;
	mm->recon.rate_per_s = c->msg_rate;
	mm->recon.burst = c->msg_burst;
	mm->tox.pull_threshold = c->tox_pull;
	mm->tox.shrink_threshold = c->tox_shrink;
	mm->tox.cooldown_ns = (uint64_t)c->tox_cooldown_ms * 1000000u;

	gw_cfg_defaults(gw);
	gw->store.max_orders = 8u * PAPER_MAX_SYMS * 2u * QUOTE_MAX_LEVELS;
	gw->risk.max_order_qty = c->risk_max_qty;
	gw->risk.max_order_notional = (uint64_t)(c->risk_max_notional_usd * 1e4);
	gw->risk.collar_bps = c->risk_collar_bps;
	gw->risk.max_position = c->risk_max_position;
	gw->risk.max_open_orders = c->risk_max_open;
	gw->risk.credit_limit = (uint64_t)(c->risk_credit_usd * 1e4);
	gw->risk.rate_per_s = c->risk_rate;
	gw->risk.burst = c->risk_burst;
	gw->fee_add_e4 = -c->maker_rebate_e4;
	gw->fee_remove_e4 = c->taker_fee_e4;

	venue_cfg_defaults(vc);
	vc->taker_fee_e4 = c->taker_fee_e4;
	vc->maker_rebate_e4 = c->maker_rebate_e4;
	vc->seed = c->seed;
	lat_derive(&vc->entry, c->entry_ns, c->entry_jitter_ns, c->entry_q_ppm, c->n_entry_q_ppm,
		   c->entry_q_ns, c->n_entry_q_ns);
	lat_derive(&vc->ack, c->ack_ns, c->ack_jitter_ns, c->ack_q_ppm, c->n_ack_q_ppm, c->ack_q_ns,
		   c->n_ack_q_ns);
}

/* A quantile table when one is given, else constant + jitter. A table the
 * venue refuses (sizes differ, not from 0 to 1e6 ppm, decreasing) makes
 * venue_memsize 0: paper_init reports it. */
static void lat_derive(struct venue_lat_cfg *l, uint64_t base, uint64_t jitter,
		       const int64_t *ppm, size_t n_ppm, const int64_t *ns, size_t n_ns)
{
	memset(l, 0, sizeof(*l));
	if (n_ppm == 0 && n_ns == 0) {
		l->kind = VENUE_LAT_CONST;
		l->base_ns = base;
		l->jitter_ns = jitter;
		return;
	}
	l->kind = VENUE_LAT_QUANTILE;
	l->npts = n_ppm == n_ns ? (uint32_t)n_ppm : 0;
	for (uint32_t i = 0; i < l->npts; i++) {
		l->q_ppm[i] = (uint32_t)ppm[i];
		l->q_ns[i] = (uint64_t)ns[i];
	}
}

int paper_init(struct paper *p, const struct paper_cfg *cfg, const uint16_t *locates,
	       char (*names)[PAPER_NAME_LEN], uint32_t n, char *err, size_t errlen)
{
	struct feed_cfg fc;
	struct arena_cfg ac = { .no_lock = true };
	struct acct_cfg acfg;
	struct hdr_cfg hc = { 1, INT64_C(60) * 1000000000, 3 };
	struct mm_cfg mm;
	struct gw_cfg gwc;
	struct venue_cfg vc;
	int rc;

	memset(p, 0, sizeof(*p));
	p->cfg = *cfg;
	cfg_derive(cfg, &mm, &gwc, &vc);
	feed_cfg_defaults(&fc);
	fc.book.max_orders = cfg->max_orders;
	ac.size = feed_memsize(&fc) + venue_memsize(&vc);
	if (venue_memsize(&vc) == 0) {
		snprintf(err, errlen, "venue latency refused: a quantile table needs as many "
			 "venue.*_quantile_ppm as venue.*_quantile_ns points (2..%u), from 0 to "
			 "1000000 ppm ascending, with non-decreasing ns", VENUE_LAT_QMAX);
		return -EINVAL;
	}
	if (feed_memsize(&fc) == 0) {
		snprintf(err, errlen, "invalid book sizes (run.max_orders)");
		return -EINVAL;
	}
	if (arena_init(&p->arena, &ac) != 0) {
		snprintf(err, errlen, "cannot allocate %zu bytes for books and venue", ac.size);
		return -ENOMEM;
	}
	rc = feed_init(&p->feed, &fc, &p->arena);
	/* The strategies and the venue read the quoted books only. */
	if (rc == 0 && !cfg->all_books)
		rc = feed_keep_symbols(&p->feed, locates, n);
	if (rc == 0)
		rc = venue_init(&p->venue, &vc, p->feed.books, &p->arena);
	if (rc) {
		snprintf(err, errlen, "feed/venue set-up failed (%s)", strerror(-rc));
		goto fail;
	}
	rc = gw_init(&p->gw, &gwc, 0);
	if (rc) {
		snprintf(err, errlen, "gateway limits refused (%s): check the risk.* keys",
			 strerror(-rc));
		goto fail;
	}
	rc = pf_init(&p->pf, &cfg->pf);
	if (rc) {
		snprintf(err, errlen, "portfolio budget refused: check portfolio.*");
		goto fail;
	}
	acct_cfg_defaults(&acfg);
	acfg.n_symbols = n ? n : 1;
	acfg.series_interval_ns = (int64_t)cfg->series_interval_ms * 1000000;
	rc = acct_init(&p->acct, &acfg);
	p->vw = calloc(1, sizeof(*p->vw));
	p->sym = aligned_alloc(64, (n ? n : 1) * sizeof(*p->sym));
	if (p->sym)
		memset(p->sym, 0, (n ? n : 1) * sizeof(*p->sym));
	p->sym_of = malloc((BOOK_LOCATE_MAX + 1) * sizeof(*p->sym_of));
	p->ev = malloc(PAPER_EV_CAP * sizeof(*p->ev));
	p->dst = malloc(PAPER_EV_CAP * sizeof(*p->dst));
	p->dec_skip = PAPER_DECIDE_SAMPLE;
	p->pend = malloc(PAPER_PEND_MAX * sizeof(*p->pend));
	p->wire = malloc(PAPER_WIRE);
	p->csv = malloc(PAPER_CSV_BUF);
	if (rc || !p->pend || !p->wire || !p->csv || !p->vw || !p->sym || !p->sym_of || !p->ev || !p->dst) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto fail;
	}
	for (int s = 0; s < PAPER_STAGES; s++) {
		p->lat[s] = aligned_alloc(64, (hdr_memsize(&hc) + 63) & ~(size_t)63);
		if (!p->lat[s] || hdr_init(p->lat[s], &hc) != 0) {
			snprintf(err, errlen, "out of memory");
			rc = -ENOMEM;
			goto fail;
		}
	}
	venue_wire_init(p->vw, &p->venue);
	memset(p->sym_of, 0xff, (BOOK_LOCATE_MAX + 1) * sizeof(*p->sym_of));
	mm.pf = &p->pf;
	for (uint32_t i = 0; i < n; i++) {
		struct paper_sym *s = &p->sym[i];
		char pad[8];

		s->locate = locates[i];
		snprintf(s->name, sizeof(s->name), "%s", names[i]);
		rc = mm_init(&s->mm, &mm, s->locate, PAPER_TOKEN_STRIDE * (i + 1), 0);
		if (rc) {
			snprintf(err, errlen, "strategy parameters refused for %s: check strategy.*",
				 s->name);
			goto fail;
		}
		memset(pad, ' ', sizeof(pad));
		memcpy(pad, s->name, strnlen(s->name, 8));
		gw_set_symbol(&p->gw, s->locate, pad);
		if (venue_wire_set_symbol(p->vw, s->locate, pad) != 0) {
			snprintf(err, errlen, "symbol %s: its name is taken by another", s->name);
			rc = -EINVAL;
			goto fail;
		}
		acct_set_symbol(&p->acct, s->locate, s->name);
		s->two_stale = true;
		p->sym_of[s->locate] = (int16_t)i;
	}
	p->n_sym = n;
	return 0;
fail:
	paper_fini(p);
	return rc ? rc : -EINVAL;
}

void paper_fini(struct paper *p)
{
	if (!p)
		return;
	for (uint32_t i = 0; i < p->n_sym; i++)
		mm_fini(&p->sym[i].mm);
	for (int s = 0; s < PAPER_STAGES; s++)
		free(p->lat[s]);
	acct_fini(&p->acct);
	pf_fini(&p->pf);
	gw_fini(&p->gw);
	venue_fini(&p->venue);
	feed_fini(&p->feed);
	arena_fini(&p->arena);
	free(p->vw);
	free(p->sym);
	free(p->sym_of);
	free(p->ev);
	free(p->dst);
	free(p->pend);
	free(p->wire);
	free(p->csv);
	memset(p, 0, sizeof(*p));
}

/* ---- the pipeline ------------------------------------------------------- */

/* A short constant field of orders.csv with its comma, padded to 16
 * bytes so that it is put with one fixed-size copy (put_txt). */
struct paper_txt {
	char s[16];
	uint8_t n;
};

#define PAPER_TXT(str) { str, sizeof(str) - 1 }

static const struct paper_txt *op_txt(uint8_t op)
{
	static const struct paper_txt n[] = { PAPER_TXT(",?"), PAPER_TXT(",NEW"),
					      PAPER_TXT(",CANCEL"), PAPER_TXT(",REPLACE"),
					      PAPER_TXT(",CANCEL_ALL") };

	return &n[op < 5 ? op : 0];
}

static const struct paper_txt *exec_txt(uint8_t k)
{
	static const struct paper_txt n[] = { PAPER_TXT(",?"), PAPER_TXT(",ACCEPTED"),
					      PAPER_TXT(",REJECTED"), PAPER_TXT(",FILL"),
					      PAPER_TXT(",CANCELED"), PAPER_TXT(",REPLACED") };

	return &n[k < 6 ? k : 0];
}

/* ---- orders.csv lines, formatted by hand: printf's format parsing cost
 * more than the rest of the report path. Each puts at b and returns the end. */

#define PAPER_LINE_MAX 256 /* longest line: 6 numbers, short names */

/* orders.csv's lines go to p->csv (PAPER_CSV_BUF bytes), formatted in
 * place, and to the stream when it is full and at the end of the run: one
 * fwrite per line cost ~140 Ir, more than the line's formatting. */

/* Write out what p->csv holds. */
static void csv_flush(struct paper *p)
{
	if (p->csv_len)
		fwrite(p->csv, 1, p->csv_len, p->orders_csv);
	p->csv_len = 0;
}

/* Where the next orders.csv line goes: room for PAPER_LINE_MAX bytes. */
static char *csv_line(struct paper *p)
{
	if (p->csv_len > PAPER_CSV_BUF - PAPER_LINE_MAX)
		csv_flush(p);
	return p->csv + p->csv_len;
}

/* The line from csv_line ends at e. */
static void csv_done(struct paper *p, const char *e)
{
	p->csv_len = (uint32_t)(e - p->csv);
}

/* s: a short name (a check's refusal). */
static char *put_str(char *b, const char *s)
{
	while (*s)
		*b++ = *s++;
	return b;
}

static char *put_sep_u64(char *b, uint64_t v)
{
	*b++ = ',';
	return acct_put_u64(b, v);
}

static char *put_sep_str(char *b, const char *s)
{
	*b++ = ',';
	return put_str(b, s);
}

/* t: 16 bytes copied (the line has PAPER_LINE_MAX bytes of room, its
 * fields far fewer), t->n kept. */
static char *put_txt(char *b, const struct paper_txt *t)
{
	memcpy(b, t->s, sizeof(t->s));
	return b + t->n;
}

/* ",<symbol>" for locate, or ",*" when it is not quoted. A name is at most
 * 8 bytes, NUL-terminated in its 9: one 8-byte copy, and its length from
 * the first zero byte (the lowest bit the zero-byte test sets; bytes past
 * the name land where the next field goes). */
static char *put_sep_sym(char *b, const struct paper *p, uint16_t locate)
{
	int16_t i = p->sym_of[locate];
	uint64_t w, z;

	*b++ = ',';
	if (i < 0) {
		*b = '*';
		return b + 1;
	}
	memcpy(&w, p->sym[i].name, 8);
	memcpy(b, &w, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w); /* the name's first byte lowest */
#endif
	z = (w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull;
	return b + (z ? __builtin_ctzll(z) / 8 : 8);
}

static const struct paper_txt paper_txt_intent = PAPER_TXT(",intent");
static const struct paper_txt paper_txt_sent = PAPER_TXT(",sent");
static const struct paper_txt paper_txt_report = PAPER_TXT(",report");

/* The replay's clock: tsc_read(&tsc_global), or with raw (a constant where
 * it is called; only when tsc_global's source is the TSC,
 * paper_raw_clock) the same rdtsc without its test of the source. */
static ALWAYS_INLINE uint64_t paper_tsc(bool raw)
{
	return raw ? tsc_rdtsc() : tsc_read(&tsc_global);
}

/* paper_tsc may take raw: the replay's copy for it. */
static bool paper_raw_clock(void)
{
	return tsc_global.source == TSC_SRC_TSC;
}

/* One sample of stage s, t0 -> t1 (TSC); none when either stamp is
 * missing or the clock did not move. Called off the timed path: the
 * samples of a packet's calls and intents wait until its events are
 * through (paper_dstamp, paper_pending.t_tx), so no order's figures
 * include the recording of another's. */
static ALWAYS_INLINE void rec(struct paper *p, enum paper_stage s, uint64_t t0, uint64_t t1)
{
	if (t0 && t1 > t0)
		hdr_record(p->lat[s], (int64_t)tsc_to_ns(&tsc_global, t1 - t0));
}

static void on_reports(struct paper *p, struct exec_report *r, uint32_t n);
static void flush_pending(struct paper *p);
static void sim_due_update(struct paper *p);

/* The deferred half of the intents sent since the last flush, if any
 * (most frames and timer ticks send none). */
static inline void paper_flush(struct paper *p)
{
	if (p->n_pend)
		flush_pending(p);
}

/* Intents (n > 0) of one strategy call: the gateway stage (checks, store, OUCH
 * bytes) runs now and is timed; what only the simulation and the reports
 * need (the venue reading our bytes, orders.csv, refusals back to the
 * strategy, the gateway and tick-to-trade samples) waits in p->pend until
 * paper_flush, outside the timed path. */
static NOINLINE void send_intents_n(struct paper *p, const struct order_intent *it, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct paper_pending *q;
		uint32_t off = p->wire_len;
		long k;
		uint64_t t_tx;

		if (UNLIKELY(p->n_pend == PAPER_PEND_MAX ||
			     off + GW_WIRE_MAX_ONE * 2 > PAPER_WIRE)) {
			if (!p->flushing)
				paper_flush(p);
			off = p->wire_len;
			if (p->n_pend == PAPER_PEND_MAX || off + GW_WIRE_MAX_ONE * 2 > PAPER_WIRE) {
				p->st.loop_cut++;
				return;
			}
		}
		q = &p->pend[p->n_pend++];
		k = gw_send_intent(&p->gw, &it[i], p->now, p->wire + off, PAPER_WIRE - off,
				   &q->rej);
		t_tx = tsc_read(&tsc_global);
		/* the bytes are stamped: now the store's record of them */
		gw_commit(&p->gw);
		/* the record for paper_flush after the bytes' stamp: not on
		 * the tick-to-trade path */
		q->in = it[i];
		q->now = p->now;
		q->wire_off = off;
		q->k = k;
		q->t_tx = t_tx;
		if (k >= 0)
			p->wire_len = off + (uint32_t)k;
	}
}

/* send_intents_n when there is an intent: most report calls (7,062 of
 * 11,996 on the default run) have none, and the test here costs them less
 * than the call's frame. Not inlined itself: inlined, LTO put its loop
 * into paper_run's event path and each report and timer caller. */
static ALWAYS_INLINE void send_intents(struct paper *p, const struct order_intent *it, uint32_t n)
{
	if (n)
		send_intents_n(p, it, n);
}

/* The deferred half of send_intents, in decision order. */
static void flush_pending(struct paper *p)
{
	p->flushing = true;
	for (uint32_t i = 0; i < p->n_pend; i++) {
		struct paper_pending *q = &p->pend[i];
		const struct order_intent *in = &q->in;
		uint16_t loc = in->locate ? in->locate : p->sym[0].locate;

		p->st.intents++;
		if (q->k >= 0) {
			rec(p, PAPER_GATEWAY, in->t_decide_tsc, q->t_tx);
			rec(p, PAPER_T2T, in->t_rx_tsc, q->t_tx);
			venue_wire_rx(p->vw, p->wire + q->wire_off, (size_t)q->k, q->now);
			if (in->op == INTENT_CANCEL || in->op == INTENT_CANCEL_ALL)
				acct_on_cancel(&p->acct, loc);
			else
				acct_on_order(&p->acct, loc);
		} else {
			p->st.refused++;
		}
		if (p->orders_csv) {
			/* t_ns,symbol,what,side,price,qty,token,orig_token,reason,
			 * kind,fate,code */
			char *b = acct_put_u64(csv_line(p), q->now);

			b = put_sep_sym(b, p, in->locate);
			b = put_txt(b, op_txt(in->op));
			*b++ = ',';
			*b++ = (char)(in->side ? in->side : '-');
			b = put_sep_u64(b, in->px);
			b = put_sep_u64(b, in->qty);
			b = put_sep_u64(b, in->token);
			b = put_sep_u64(b, in->orig_token);
			b = put_sep_u64(b, in->reason);
			b = put_txt(b, &paper_txt_intent);
			b = q->k >= 0 ? put_txt(b, &paper_txt_sent) :
					put_sep_str(b, risk_reason_name(q->rej.reason));
			b = put_sep_u64(b, q->k >= 0 ? 0 : q->rej.reason);
			*b++ = '\n';
			csv_done(p, b);
		}
		if (q->k < 0) {
			struct exec_report rej = q->rej;

			rej.t_exch_ns = q->now;
			on_reports(p, &rej, 1);
		}
	}
	p->n_pend = 0;
	p->wire_len = 0;
	p->flushing = false;
	sim_due_update(p); /* our messages went to the venue */
}

/* Symbol s's strategy went to KILL: the accounts and the summary note it. */
static void note_kill_now(struct paper *p, struct paper_sym *s)
{
	acct_set_kill(&p->acct, p->now, s->locate, regime_reason_name(mm_kill_reason(&s->mm)));
	p->killed = true;
}

/* The first time symbol s's strategy is in KILL: note_kill_now (checked
 * after every strategy call that can trip it). */
static void note_kill(struct paper *p, struct paper_sym *s)
{
	if (mm_regime(&s->mm) == REGIME_KILL && !s->kill_noted) {
		s->kill_noted = true;
		note_kill_now(p, s);
	}
}

/* Reports reaching us at p->now, in order. The strategies take them first,
 * each report's decision and sends timed from when the gateway read it; then
 * the accounts, orders.csv and the kill notes see them in the same order,
 * untimed, so no order sent on a report waits for the bookkeeping of the
 * reports before it (nothing the strategies or the gateway read is written
 * there). */
static void on_reports(struct paper *p, struct exec_report *r, uint32_t n)
{
	struct order_intent it[PAPER_INTENTS];
	bool kill[PAPER_REPORTS];

	if (p->depth >= PAPER_DEPTH_MAX || n > PAPER_REPORTS) {
		p->st.loop_cut++;
		return;
	}
	p->depth++;
	for (uint32_t i = 0; i < n; i++) {
		int16_t si = p->sym_of[r[i].locate];
		struct paper_sym *s;
		uint32_t k;

		kill[i] = false;
		if (si < 0)
			continue;
		s = &p->sym[si];
		/* now_tsc 0: its intents' t_decide_tsc, so they have no
		 * gateway sample (that stage is the sampled market-data
		 * calls'; their tick-to-trade runs from the report's read) */
		k = mm_on_exec(&s->mm, &r[i], p->now, 0, it, PAPER_INTENTS);
		s->two_stale = true;
		/* the first report after which the strategy is in KILL */
		kill[i] = mm_regime(&s->mm) == REGIME_KILL && !s->kill_noted;
		s->kill_noted |= kill[i];
		send_intents(p, it, k);
	}
	for (uint32_t i = 0; i < n; i++) {
		p->st.reports++;
		/* every reject: the gateway's checks and the venue's */
		if (r[i].kind == EXEC_REJECTED)
			acct_on_reject(&p->acct, r[i].locate ? r[i].locate : p->sym[0].locate);
		if (r[i].kind == EXEC_FILL)
			acct_on_fill(&p->acct, p->now, r[i].locate, (char)r[i].side, r[i].px,
				     r[i].qty, (char)r[i].liquidity, r[i].fee_e4, r[i].token);
		if (p->orders_csv) {
			/* as the intent's line; fate: leaves, code: reason */
			char *b = acct_put_u64(csv_line(p), p->now);

			b = put_sep_sym(b, p, r[i].locate);
			b = put_txt(b, exec_txt(r[i].kind));
			*b++ = ',';
			*b++ = (char)(r[i].side ? r[i].side : '-');
			b = put_sep_u64(b, r[i].px);
			b = put_sep_u64(b, r[i].qty);
			b = put_sep_u64(b, r[i].token);
			b = put_sep_u64(b, 0);
			b = put_sep_u64(b, r[i].reason);
			b = put_txt(b, &paper_txt_report);
			b = put_sep_u64(b, r[i].leaves);
			b = put_sep_u64(b, r[i].reason);
			*b++ = '\n';
			csv_done(p, b);
		}
		if (kill[i])
			note_kill_now(p, &p->sym[p->sym_of[r[i].locate]]);
	}
	p->depth--;
}

/* Reports the venue delivers by p->now, through the gateway. */
static void drain_venue(struct paper *p)
{
	static uint8_t buf[PAPER_REPORTS * VENUE_WIRE_MAX_PKT];
	struct exec_report r[PAPER_REPORTS];

	for (;;) {
		size_t len = venue_wire_tx(p->vw, p->now, buf, sizeof(buf)), off = 0;

		if (len == 0)
			break;
		/* gw_on_wire stops at PAPER_REPORTS reports: feed it the rest
		 * of the buffer until every packet is read. */
		while (off < len) {
			size_t used = 0;
			uint32_t n = gw_on_wire(&p->gw, buf + off, len - off, &used,
						tsc_read(&tsc_global), r, PAPER_REPORTS);

			on_reports(p, r, n);
			paper_flush(p);
			if (used == 0)
				break;
			off += used;
		}
		{
			long k = gw_poll(&p->gw, p->now, p->wire, PAPER_WIRE);

			if (k > 0)
				venue_wire_rx(p->vw, p->wire, (size_t)k, p->now);
		}
	}
}

static void set_now(struct paper *p, uint64_t t)
{
	if (t > p->now)
		p->now = t;
}

/* The strategies' timers, due at p->next_timer (<= p->now). */
static void timers(struct paper *p)
{
	struct order_intent it[PAPER_INTENTS];
	uint64_t period = (uint64_t)p->cfg.timer_ms * 1000000u;

	for (uint32_t i = 0; i < p->n_sym; i++) {
		uint32_t k = mm_on_timer(&p->sym[i].mm, p->now, tsc_read(&tsc_global), it,
					 PAPER_INTENTS);

		p->sym[i].two_stale = true;

		note_kill(p, &p->sym[i]);
		if (k) { /* most ticks send nothing: no call */
			/* no gateway sample (as for reports): the stamp is
			 * the tick's start, before the decision */
			for (uint32_t j = 0; j < k; j++)
				it[j].t_decide_tsc = 0;
			send_intents(p, it, k);
		}
	}
	paper_flush(p);
	p->next_timer += period;
	if (p->next_timer <= p->now)
		p->next_timer = p->now + period;
}

/* Run the simulation, in time order, up to venue time t_venue (our
 * messages reaching the venue) and our time t_us (its reports reaching us,
 * the strategies' timers): each at its own virtual time, so a quiet market
 * does not delay a fill or a timer until the next packet. */
static void sim_run(struct paper *p, uint64_t t_venue, uint64_t t_us)
{
	p->st.sim_runs++;
	if (!p->next_timer && p->n_sym)
		p->next_timer = t_us + (uint64_t)p->cfg.timer_ms * 1000000u;
	for (;;) {
		uint64_t a = venue_next_arrival_ns(&p->venue);
		uint64_t d = venue_next_report_ns(&p->venue);
		uint64_t tm = p->n_sym ? p->next_timer : UINT64_MAX;

		if (a > t_venue)
			a = UINT64_MAX;
		if (d > t_us)
			d = UINT64_MAX;
		if (tm > t_us)
			tm = UINT64_MAX;
		if (a == UINT64_MAX && d == UINT64_MAX && tm == UINT64_MAX)
			break;
		if (a <= d && a <= tm) {
			venue_advance(&p->venue, a);
		} else if (d <= tm) {
			set_now(p, d);
			drain_venue(p);
		} else {
			set_now(p, tm);
			timers(p);
		}
	}
	sim_due_update(p);
}

/* The first ITCH stamp from which a packet needs sim_until's test:
 * sim_until(p, t, t + md_latency) returns at once for every t below it
 * (the next arrival above t, the next report and timer above t plus the
 * latency; 1: test every packet that has a stamp). Those three change only in sim_run,
 * when our messages reach the venue (flush_pending) and when the venue
 * queues a report (its rep_seq moves): recomputed after each, so a packet
 * costs one compare instead of the queues' heads (test_paper holds the
 * sim_run calls to those of the whole test on every packet). */
static void sim_due_update(struct paper *p)
{
	uint64_t lat = p->cfg.md_latency_ns;
	uint64_t a = venue_next_arrival_ns(&p->venue);
	uint64_t u = venue_next_report_ns(&p->venue);

	p->sim_due_seq = p->venue.rep_seq;
	if (!p->next_timer || !p->n_sym || p->sim_full_check ||
	    lat > UINT64_MAX - PAPER_DAY_NS) {
		p->sim_due = 1;
		return;
	}
	if (u > p->next_timer)
		u = p->next_timer;
	u = u > lat ? u - lat : 0;
	p->sim_due = a < u ? a : u;
	/* A packet without a stamp (t_first 0) catches nothing up: the
	 * paper_run test needs no separate check for it. */
	if (p->sim_due == 0)
		p->sim_due = 1;
}

/* sim_run when something is due by then; inline, since most packets find
 * nothing due (the timers every strategy.timer_ms, our few messages). */
static ALWAYS_INLINE void sim_until(struct paper *p, uint64_t t_venue, uint64_t t_us)
{
	if (p->next_timer && p->n_sym && p->next_timer > t_us &&
	    venue_next_arrival_ns(&p->venue) > t_venue && venue_next_report_ns(&p->venue) > t_us)
		return;
	sim_run(p, t_venue, t_us);
}

/* Fill the decide histograms with the packet's timed calls. */
static ALWAYS_INLINE void rec_decide_all(struct paper *p)
{
	for (uint32_t i = 0; i < p->n_dst; i++) {
		rec(p, PAPER_DECIDE, p->dst[i].t0, p->dst[i].t1);
		if (p->dst[i].sent)
			rec(p, PAPER_DECIDE_SEND, p->dst[i].t0, p->dst[i].t1);
	}
	p->n_dst = 0;
}

/* rec_decide_all when the packet had a timed call (most have none). */
static ALWAYS_INLINE void rec_decide(struct paper *p)
{
	if (p->n_dst)
		rec_decide_all(p);
}

/* The timed half of an md_event: the symbol's strategy and the gateway.
 * A quiet event (two thirds of them) costs the strategy a few compares:
 * it is not stamped, which would cost more than the call (two TSC reads,
 * ~13 ns each on the development VM). Of the other calls, 1 in
 * PAPER_DECIDE_SAMPLE is stamped before and after (the decide stages; its
 * intents' gateway stage; the feed stage when it is the packet's first
 * call): a TSC read on each would sit on the tick-to-trade path of its own
 * intents and of every later event of the packet. Tick-to-trade itself is
 * stamped on every intent. *t_book: the feed stage's end, 0 until an
 * event of the packet reaches a strategy call, then that call's start
 * stamp, or PAPER_NO_STAMP when that call was not sampled; raw: as
 * paper_tsc. Inline: once per md_event. */
static ALWAYS_INLINE void on_event(struct paper *p, const struct md_event *ev, uint64_t *t_book,
				     bool raw)
{
	struct order_intent it[PAPER_INTENTS];
	int16_t si = p->sym_of[ev->locate];
	struct paper_sym *s;
	uint64_t t, t0, t1;
	uint32_t k;

	/* The clock: the latest stamp the feed has read, which with
	 * feed_pull is this event's message and those before it, the ones
	 * that wrote no event included (skipped symbols' too: the same clock
	 * with every book or the quoted ones only). */
	t = ev->t_exch_ns > p->feed.ts_silent_ns ? ev->t_exch_ns : p->feed.ts_silent_ns;
	set_now(p, t + p->cfg.md_latency_ns);
	if (si < 0)
		return;
	s = &p->sym[si];
	if (mm_md_quiet(&s->mm, ev)) {
		/* The call's whole effect, inline: no intent can come of it.
		 * Nor can the gateway's reference price move: a quiet event
		 * carries the top the strategy holds, which the event that
		 * brought it (not quiet: MD_F_TOP flags every change of the
		 * top's prices and sizes) has set below. */
		p->st.md_quiet++;
		mm_on_md_quiet(&s->mm, p->now);
		return;
	}
	if (ev->bid_px && ev->ask_px && ev->bid_px < ev->ask_px)
		gw_set_ref(&p->gw, ev->locate, (uint32_t)(((uint64_t)ev->bid_px + ev->ask_px) / 2));
	if (--p->dec_skip) {
		/* Not sampled: no stamp (the intents' t_decide_tsc is 0, so
		 * they have no gateway sample). */
		if (!*t_book)
			*t_book = PAPER_NO_STAMP;
		k = mm_on_md(&s->mm, ev, p->now, 0, it, PAPER_INTENTS);
		if (k) {
			send_intents_n(p, it, k);
			s->two_stale = true; /* (after the timed path) */
		}
		return;
	}
	p->dec_skip = PAPER_DECIDE_SAMPLE;
	t0 = paper_tsc(raw);
	if (!*t_book)
		*t_book = t0;
	k = mm_on_md(&s->mm, ev, p->now, t0, it, PAPER_INTENTS);
	t1 = paper_tsc(raw);
	if (UNLIKELY(p->n_dst == PAPER_EV_CAP))
		rec_decide_all(p);
	p->dst[p->n_dst++] = (struct paper_dstamp){ t0, t1, k != 0 };
	if (k == 0)
		return;
	for (uint32_t i = 0; i < k; i++)
		it[i].t_decide_tsc = t1;
	send_intents_n(p, it, k);
	s->two_stale = true;
}

/* The simulation's half, after the frame: the venue sees the recorded
 * event (fills of our resting orders), the accounts see the mid and our
 * presence. Inline: once per md_event. */
static ALWAYS_INLINE void after_event(struct paper *p, const struct md_event *ev)
{
	int16_t si = p->sym_of[ev->locate];
	struct paper_sym *s;
	bool fresh;

	venue_on_md(&p->venue, ev, ev->t_exch_ns);
	if (si < 0)
		return;
	s = &p->sym[si];
	/* The mark moves only with the top of the book. */
	if ((ev->flags & MD_F_TOP) && ev->bid_px && ev->ask_px && ev->bid_px < ev->ask_px &&
	    !acct_mid_same(s->as, p->now, ev->bid_px, ev->ask_px))
		acct_on_mid(&p->acct, p->now, ev->locate, ev->bid_px, ev->ask_px);
	fresh = !(ev->flags & (MD_F_STALE | MD_F_HALTED | MD_F_CROSSED)) && ev->bid_px &&
		ev->ask_px;
	/* Our resting orders change state only through the strategy's order
	 * table, which moves with an intent it emits (a new order, replace
	 * or cancel) or a report it is given (ack, fill, cancel, reject):
	 * recompute two-sidedness after such a call only, not per event
	 * (test_mm_golden's test_quiet_rule checks the contract on every
	 * intent-less mm_on_md of its streams). */
	if (s->two_stale) {
		s->two = mm_resting(&s->mm, QUOTE_BID) && mm_resting(&s->mm, QUOTE_ASK);
		s->two_stale = false;
	}
	{
		bool elig = fresh && mm_regime(&s->mm) == REGIME_GREEN;
		bool two = s->two;
		uint8_t st = (uint8_t)(PAPER_PRES_SEEN | (elig ? 1u : 0u) | (two ? 2u : 0u));

		/* The accounts integrate presence time between changes; the
		 * same state again adds nothing. */
		if (st != s->pres) {
			acct_on_presence(&p->acct, p->now, ev->locate, elig, two);
			s->pres = st;
		}
	}
	note_kill(p, s);
}

/* paper_warm's trading: a two-sided book stepping up a cent every
 * millisecond through throwaway strategy w and gateway g (symbol loc), new
 * quotes first, then replaces, each order acked. Returns the orders sent. */
static uint32_t warm_trade(struct paper *p, struct mm *w, struct gw *g, uint16_t loc)
{
	struct order_intent it[PAPER_INTENTS], more[PAPER_INTENTS];
	struct exec_report rej, ack;
	uint32_t sent = 0;

	gw_set_symbol(g, loc, p->gw.os.sym[loc].name);
	for (uint32_t i = 0; i < 64; i++) {
		struct md_event ev;
		uint32_t k;

		memset(&ev, 0, sizeof(ev));
		ev.t_exch_ns = 34200000000000ull + (uint64_t)i * 1000000u;
		ev.bid_px = 1000000u + i * 100u;
		ev.ask_px = ev.bid_px + 200u;
		ev.bid_qty = ev.ask_qty = 500;
		ev.locate = loc;
		ev.kind = MD_BOOK;
		ev.flags = MD_F_TOP;
		gw_set_ref(g, loc, ev.bid_px + 100u);
		k = mm_on_md(w, &ev, ev.t_exch_ns, 0, it, PAPER_INTENTS);
		for (uint32_t j = 0; j < k; j++) {
			if (gw_on_intent(g, &it[j], ev.t_exch_ns, p->wire, PAPER_WIRE, &rej) <= 0)
				continue;
			sent++;
			/* the venue's answer, so the report path runs too */
			if (it[j].op != INTENT_NEW && it[j].op != INTENT_REPLACE)
				continue;
			memset(&ack, 0, sizeof(ack));
			ack.t_exch_ns = ev.t_exch_ns + 1000u;
			ack.token = it[j].token;
			ack.px = it[j].px;
			ack.qty = ack.leaves = it[j].qty;
			ack.locate = loc;
			ack.side = it[j].side;
			ack.kind = it[j].op == INTENT_NEW ? EXEC_ACCEPTED : EXEC_REPLACED;
			(void)mm_on_exec(w, &ack, ack.t_exch_ns, 0, more, PAPER_INTENTS);
		}
	}
	return sent;
}

/* paper_warm's frame: Ethernet, IPv4, UDP and a MoldUDP64 packet of
 * messages m[0..n) from sequence seq, into f (PAPER_WARM_FRAME bytes).
 * Returns its length. */
static size_t warm_frame(uint8_t *f, uint64_t seq, const struct itch_msg *m, uint32_t n)
{
	uint8_t *ip = f + NET_ETH_HDR_LEN, *udp = ip + NET_IP4_HDR_MIN;
	uint8_t *mold = udp + NET_UDP_HDR_LEN, *b = mold + MOLD_HDR_LEN;
	const uint8_t *end = f + PAPER_WARM_FRAME;
	size_t len;

	memset(f, 0, (size_t)(b - f));
	wire_put16(f + NET_ETH_OFF_TYPE, NET_ETHERTYPE_IPV4);
	ip[NET_IP4_OFF_VER_IHL] = 0x45;
	ip[NET_IP4_OFF_PROTO] = NET_IPPROTO_UDP;
	wire_put16(udp + NET_UDP_OFF_DPORT, 26400);
	mold_hdr_write(mold, "WARMUP    ", seq, (uint16_t)n);
	for (uint32_t i = 0; i < n; i++) {
		int k = itch_encode(&m[i], b + MOLD_BLOCK_HDR_LEN,
				    (size_t)(end - b) - MOLD_BLOCK_HDR_LEN);

		if (k <= 0)
			break;
		wire_put16(b, (uint16_t)k);
		b += MOLD_BLOCK_HDR_LEN + (size_t)k;
	}
	len = (size_t)(b - f);
	wire_put16(ip + NET_IP4_OFF_TOTLEN, (uint16_t)(len - NET_ETH_HDR_LEN));
	wire_put16(udp + NET_UDP_OFF_LEN, (uint16_t)(len - NET_ETH_HDR_LEN - NET_IP4_HDR_MIN));
	return len;
}

/* paper_warm's feed: a throwaway feed (small books of its own) reads
 * PAPER_WARM_FRAMES frames of adds at and behind both best prices,
 * executions, cancels, replaces and deletes for locate loc through the
 * calls the replay makes (feed_frame_begin, feed_pull), so the run's first
 * packets find the code of those updates in the caches: the first add of
 * a run took ~2 us otherwise. Writes only p->ev (scratch). */
static void warm_feed(struct paper *p, uint16_t loc)
{
	static const uint8_t types[PAPER_WARM_MSGS] = { 'A', 'A', 'A', 'A', 'E', 'X', 'U', 'D' };
	struct feed_cfg fc;
	struct arena_cfg ac = { .no_lock = true };
	struct arena a;
	struct feed *f = malloc(sizeof(*f));
	uint8_t *frame = malloc(PAPER_WARM_FRAME);
	uint64_t seq = 1;

	feed_cfg_defaults(&fc);
	fc.book.max_orders = 1024;
	fc.book.max_locate = loc;
	fc.mold.max_sessions = 1;
	ac.size = feed_memsize(&fc);
	if (!f || !frame || ac.size == 0 || arena_init(&a, &ac) != 0)
		goto out;
	if (feed_init(f, &fc, &a) == 0) {
		for (uint32_t k = 0; k < PAPER_WARM_FRAMES; k++) {
			struct itch_msg m[PAPER_WARM_MSGS];
			uint64_t r = 16 + 8ull * k; /* this frame's refs: r .. r + 4 */
			uint32_t px = 1000000u + 100u * (k % 8);
			bool more;
			size_t len;

			memset(m, 0, sizeof(m));
			for (uint32_t i = 0; i < PAPER_WARM_MSGS; i++) {
				m[i].type = types[i];
				m[i].locate = loc;
				m[i].ts_ns = 34200000000000ull + k * 1000000ull + i;
			}
			/* two at each best (the second behind the first), one
			 * a tick away on each side */
			for (uint32_t i = 0; i < 4; i++) {
				m[i].add.ref = r + i;
				m[i].add.side = i & 1 ? 'S' : 'B';
				m[i].add.shares = 100 * (i + 1);
				memcpy(m[i].add.stock, "WARMUP  ", 8);
				m[i].add.price = i & 1 ? px + 100u * (i / 2 + 1) : px - 100u * (i / 2);
			}
			m[4].exec.ref = r;
			m[4].exec.shares = 50;
			m[4].exec.match = r;
			m[5].cancel.ref = r + 1;
			m[5].cancel.shares = 100;
			m[6].replace.old_ref = r + 2;
			m[6].replace.new_ref = r + 4;
			m[6].replace.shares = 300;
			m[6].replace.price = px - 200u;
			/* the frame before's orders leave: the book stays small */
			m[7].del.ref = k ? r - 8 + 3 : r + 3;
			len = warm_frame(frame, seq, m, PAPER_WARM_MSGS);
			seq += PAPER_WARM_MSGS;
			feed_frame_begin(f, frame, len, len, m[0].ts_ns);
			do
				(void)feed_pull(f, 0, p->ev, PAPER_EV_CAP, &more);
			while (more);
		}
		feed_fini(f);
	}
	arena_fini(&a);
out:
	free(frame);
	free(f);
}

/* Start-up warm-up, before the replay (paper.h): the first orders of a run would
 * otherwise find every line of code and state they use in memory, not in
 * the caches (start-up has just streamed hundreds of MiB through them), and
 * their tick-to-trade took ~30 us against ~0.5 us for later ones. So a
 * throwaway market maker (the first symbol's parameters, with a throwaway
 * portfolio when the run has one) and a throwaway gateway (the run's limits)
 * trade a few synthetic events, with an ack for each order: that brings the
 * decision, report and gateway code, and the branch history, into the core;
 * then the real strategies', the portfolio's and the gateway's per-symbol
 * state is read once, and the book's pools get the batch of records the
 * first add would take. No output changes (the tests compare runs byte for
 * byte, and a primed book gives every update the same result). */
uint32_t paper_warm(struct paper *p)
{
	struct mm_cfg mc;
	struct mm *w;
	struct pf *wpf;
	struct gw_cfg gc;
	struct gw g;
	uint16_t locs[PAPER_MAX_SYMS];
	uint8_t sum = 0;
	uint32_t sent = 0;

	if (!p->n_sym)
		return 0;
	/* first: its set-up writes a few hundred KiB */
	warm_feed(p, p->sym[0].locate);
	mc = p->sym[0].mm.cfg;
	w = malloc(sizeof(*w));
	wpf = malloc(sizeof(*wpf));
	/* a throwaway portfolio too, when the run has one: its code runs in
	 * every decision */
	if (mc.pf)
		mc.pf = wpf && pf_init(wpf, &p->pf.cfg) == 0 ? wpf : NULL;
	/* The throwaway gateway has the run's limits but a small store: the
	 * locates up to the one it trades, and room for its few orders and
	 * tokens (PAPER_WARM_STORE). Setting up the run's (a line for each
	 * of 65536 locates, each zeroed and named; megabytes of order slots
	 * and token index) cost more than the rest of the warm-up together,
	 * and no code path depends on the tables' sizes (test_paper: the
	 * same orders pass either way). */
	gc = p->gw.cfg;
	if (!p->warm_full_store) {
		gc.store.max_locate = p->sym[0].locate ? p->sym[0].locate : 1;
		if (gc.store.max_orders > PAPER_WARM_STORE)
			gc.store.max_orders = PAPER_WARM_STORE;
		if (gc.store.token_history > PAPER_WARM_STORE)
			gc.store.token_history = PAPER_WARM_STORE;
	}
	if (w && mm_init(w, &mc, p->sym[0].locate, PAPER_TOKEN_STRIDE, 0) == 0) {
		if (gw_init(&g, &gc, 0) == 0) {
			sent = warm_trade(p, w, &g, p->sym[0].locate);
			gw_fini(&g);
		}
		mm_fini(w);
	}
	free(w);
	free(wpf);
	/* The state the replay's first updates, decisions and sends touch,
	 * read (never written): the throwaway run above used other memory,
	 * and since start-up wrote these, hundreds of MiB went through the
	 * caches and the TLB. Without it the first decision's orders took 6-8
	 * us (the first add ~2 us, the first order's checks and store ~1.5 us,
	 * on the first touch of each page and line). */
	for (uint32_t i = 0; i < p->n_sym; i++) {
		const struct paper_sym *s = &p->sym[i];

		if (i < PAPER_MAX_SYMS)
			locs[i] = s->locate;
		sum ^= arena_touch(&s->mm, sizeof(s->mm));
		gw_warm(&p->gw, s->locate, s->mm.recon.next_token, PAPER_WARM_ORDERS);
	}
	/* the pools' first batch now rather than inside the run's first add
	 * (which then took ~1 us, on the first decision's path) */
	book_prime(p->feed.books);
	book_warm(p->feed.books, locs, p->n_sym < PAPER_MAX_SYMS ? p->n_sym : PAPER_MAX_SYMS);
	sum ^= arena_touch(&p->pf, sizeof(p->pf));
	sum ^= arena_touch(p->ev, PAPER_EV_CAP * sizeof(p->ev[0]));
	sum ^= arena_touch(p->dst, PAPER_EV_CAP * sizeof(p->dst[0]));
	sum ^= arena_touch(p->pend, PAPER_WARM_ORDERS * sizeof(p->pend[0]));
	sum ^= arena_touch(p->wire, PAPER_WARM_ORDERS * GW_WIRE_MAX_ONE);
	(void)sum;
	return sent;
}

/* One unit of input (a frame, or a message of a binary file: kind, a
 * constant where it is called) through the pipeline; raw as paper_tsc. */
static ALWAYS_INLINE void replay_unit(struct paper *p, const struct paper_unit *u,
				      enum paper_in_kind kind, bool raw)
{
	struct md_event *const evs = p->ev; /* (a local: not reloaded per event) */
	struct md_event *ev, *end;
	uint64_t t_rx, t_first, t_book;
	bool more, more_out;
	uint32_t n;

	/* The simulation first: our messages that reached the venue before
	 * this packet's first message, and its reports due by the time we
	 * read the packet. Not timed. Most frames are not due, which a look
	 * at their stamp's bytes tells (paper_frame_not_due); the rest take
	 * the parse. */
	if (kind == PAPER_IN_PCAP) {
		if (paper_frame_not_due(p->feed.link, u->data, u->caplen, p->sim_due))
			t_first = 0;
		else /* a time of day, or 0 */
			t_first = paper_frame_first_ts(p->feed.link, u->data, u->caplen, u->wirelen);
	} else {
		t_first = u->caplen >= 11 ? wire_get48(u->data + 5) : 0;
		if (t_first >= PAPER_DAY_NS)
			t_first = 0;
	}
	/* (sim_due >= 1: no stamp, t_first 0, is never due) */
	if (t_first >= p->sim_due)
		sim_until(p, t_first, t_first + p->cfg.md_latency_ns);
	t_rx = paper_tsc(raw);
	/* Each md_event of a packet goes to its strategy as soon as the feed
	 * writes it, before the packet's later messages are applied
	 * (feed_pull), as the feed core hands each event on through its
	 * ring: an event does not wait for the rest of its packet. The order
	 * of the strategy calls, and what each is given, are the same either
	 * way (events carry the top of book; the venue and the accounts see
	 * the events after the whole packet). */
	if (kind == PAPER_IN_PCAP) {
		feed_frame_begin(&p->feed, u->data, u->caplen, u->wirelen, u->ts_ns);
		/* up to the packet's first event (a pull may stop after a
		 * message that wrote none) */
		do
			n = feed_pull(&p->feed, t_rx, evs, PAPER_EV_CAP, &more_out);
		while (n == 0 && more_out);
		more = more_out;
	} else {
		more = false;
		n = feed_on_message(&p->feed, u->data, u->caplen, u->seq, t_rx, evs,
				    PAPER_EV_CAP);
	}
	/* One loop over the pulls, so on_event is inlined once; the first
	 * strategy call stamps t_book, the feed stage's end (a packet whose
	 * events are all quiet, or of no quoted symbol, takes no stamp
	 * after t_rx). (A pointer walk, and `more` a copy of what feed_pull
	 * writes: not reloaded from memory after every call.) */
	t_book = 0;
	for (ev = evs, end = evs + n;;) {
		for (; ev < end; ev++)
			on_event(p, ev, &t_book, raw);
		if (!more)
			break;
		end += feed_pull(&p->feed, t_rx, end, PAPER_EV_CAP - (uint32_t)(end - evs),
				 &more_out);
		more = more_out;
	}
	n = (uint32_t)(end - evs);
	/* The packet's messages after its last event move the clock too. */
	if (p->feed.ts_silent_ns)
		set_now(p, p->feed.ts_silent_ns + p->cfg.md_latency_ns);
	p->st.units++;
	p->st.events += n;
	/* The packet's timed path is over: its samples. The feed stage is
	 * the packet's read to its first md_event that reached a strategy
	 * call. */
	rec(p, PAPER_FEED, t_rx, t_book);
	rec_decide(p);
	paper_flush(p);
	for (ev = evs; ev < end; ev++)
		after_event(p, ev);
	if (p->venue.rep_seq != p->sim_due_seq) /* fills of resting orders */
		sim_due_update(p);
}

/* paper_run's loop over the input, its kind a constant (one copy per
 * kind: the kind is not tested per unit). Returns the last
 * paper_in_next code (0 or -EIO). */
static ALWAYS_INLINE int replay(struct paper *p, struct paper_in *in, FILE *progress,
				double t_start, enum paper_in_kind kind, bool raw)
{
	struct paper_unit u;
	double next_progress = t_start + 1.0;
	uint32_t check_in = 0x10000; /* units to the next look at the clock */
	int rc;

	while ((rc = kind == PAPER_IN_PCAP ? paper_in_next_pcap(in, &u) :
					     paper_in_next_bin(in, &u)) == 1) {
		replay_unit(p, &u, kind, raw);
		/* every 65536 units (st.units): a decrement a unit */
		if (UNLIKELY(--check_in == 0)) {
			check_in = 0x10000;
			double now = progress ? wall_s() : 0.0;

			if (progress && now >= next_progress) {
				uint64_t done, total;

				paper_in_progress(in, &done, &total);
				fprintf(progress, "tickwire paper: %5.1f%%  %" PRIu64
					" messages  %" PRIu64 " fills  %.0f s\n",
					total ? 100.0 * (double)done / (double)total : 0.0,
					p->feed.st.msgs, p->acct.total.fills, now - t_start);
				next_progress = now + 1.0;
			}
		}
	}
	return rc;
}

int paper_run(struct paper *p, struct paper_in *in, FILE *progress)
{
	(void)paper_warm(p);
	double t_start = wall_s();
	int rc;

	p->feed.link = in->pcap.link;
	p->sim_due = 1; /* the first packet sets the timers */
	/* The mark moves only when the mid does: a top change with the same
	 * mid and no markout due is left out (acct_mid_same). */
	for (uint32_t i = 0; i < p->n_sym; i++)
		p->sym[i].as = p->acct_every_top ? NULL : acct_sym_get(&p->acct, p->sym[i].locate);
	if (p->orders_csv)
		fprintf(p->orders_csv,
			"t_ns,symbol,what,side,price,qty,token,orig_token,reason,kind,fate,code\n");
	/* The clock is set at start-up: with the TSC (the usual case) the
	 * replay's stamps are plain rdtsc, without tsc_read's test of the
	 * source at each of them (paper_raw_clock). */
	if (in->kind == PAPER_IN_PCAP && paper_raw_clock())
		rc = replay(p, in, progress, t_start, PAPER_IN_PCAP, true);
	else if (in->kind == PAPER_IN_PCAP)
		rc = replay(p, in, progress, t_start, PAPER_IN_PCAP, false);
	else
		rc = replay(p, in, progress, t_start, PAPER_IN_BINFILE, false);
	{
		uint32_t n = feed_finish(&p->feed, 0, p->ev, PAPER_EV_CAP);
		uint64_t t_book = 0; /* (no packet read: no feed sample) */

		for (uint32_t i = 0; i < n; i++)
			on_event(p, &p->ev[i], &t_book, false);
		rec_decide(p);
		paper_flush(p);
		for (uint32_t i = 0; i < n; i++)
			after_event(p, &p->ev[i]);
	}
	/* Let what is in flight land: one second of virtual time. */
	sim_until(p, p->now + 1000000000u, p->now + 1000000000u);
	set_now(p, p->now + 1000000000u);
	acct_finish(&p->acct, p->now);
	if (p->orders_csv)
		csv_flush(p);
	p->st.wall_s = wall_s() - t_start;
	p->st.wire_msgs = p->gw.st.msgs_out;
	return rc < 0 ? -EIO : 0;
}

uint64_t paper_losses(const struct paper *p)
{
	return p->st.loop_cut + p->venue.cnt.reports_lost + p->gw.os.cnt.bad_event +
	       p->gw.st.bad_in + p->gw.st.defer_full + p->vw->st.bad_in + p->vw->st.unknown_sym;
}

int64_t paper_latency(const struct paper *p, enum paper_stage s, double q)
{
	if (!p->lat[s] || p->lat[s]->total_count == 0)
		return 0;
	return hdr_value_at_percentile(p->lat[s], q);
}
