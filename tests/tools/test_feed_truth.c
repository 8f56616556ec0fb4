/* test_feed_truth.c - the feed stage against `tickwire synth`'s ground
 * truth, for every fault preset: the fast L3 books must equal the truth's
 * reference books exactly at every checkpoint (all levels, H states), every
 * unrecoverable gap must be detected and given up with exactly the truth's
 * missing sequence numbers, and the books flagged stale from then on. The
 * truth is the exchange's book, lost messages included, so after a loss
 * the symbols the truth names as affected are left out of the comparison
 * (they are stale and cannot be right); every other symbol must still be
 * exact. Each capture is then replayed again through the real entry point
 * (frames in bursts, lines by source) and must end with the same books. The feed is driven item by item (feed_on_item) so a checkpoint is
 * compared at its exact sequence number. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dataplane/feed.h"
#include "dataplane/pcap_src.h"
#include "hw/arena.h"
#include "tests/tools/synth_truth.h"
#include "tools/cmd.h"

#define NSYM 40

static char tmp_dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/tw_feed_truth_XXXXXX");
	return mkdtemp(tmp_dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The checkpoint text of our books, in the truth's format. */
static char *book_text(const struct book_set *bs)
{
	static struct book_depth_level lv[4096];
	struct sbuf out = { NULL, 0, 0 };

	sbuf_add(&out, "");
	for (uint16_t loc = 1; loc <= NSYM; loc++) {
		const struct book_sym *s = book_sym_get(bs, loc);
		char name[9], line[96];

		if (!s || book_symbol_name(bs, loc, name) != 0)
			continue;
		if (s->trading_state && s->trading_state != 'T') {
			snprintf(line, sizeof(line), "H %s %c\n", name, s->trading_state);
			sbuf_add(&out, line);
		}
		for (int side = BOOK_BID; side <= BOOK_ASK; side++) {
			uint32_t n = book_depth(bs, loc, (enum book_side)side, lv, 4096);

			for (uint32_t i = 0; i < n; i++) {
				snprintf(line, sizeof(line), "L %s %c %u %llu %u\n", name,
					 side == BOOK_BID ? 'B' : 'S', lv[i].px,
					 (unsigned long long)lv[i].shares, lv[i].orders);
				sbuf_add(&out, line);
			}
		}
	}
	return out.p;
}

#define MAX_GAPS 4096

struct replay {
	uint64_t ngaps;
	uint64_t gap_first[MAX_GAPS];
	char *gap_syms[MAX_GAPS];      /* " SYM1 SYM2 ... " */
	bool lost_seen;
	unsigned kept_full;            /* lines of the first checkpoint */
	struct arena a;
	struct feed f;
	struct truth t;
	struct md_event ev[1024];
	uint64_t k;              /* next checkpoint */
	uint64_t lost_ranges;    /* EV_LOST items */
	uint64_t lost_msgs;
	uint64_t truth_gaps_hit; /* truth gaps matched by an EV_LOST */
	uint32_t src_ip[2];
	uint16_t src_port[2];
	int nsrc;
};

/* Is sym named by a truth gap at or before sequence seq? */
static bool affected(const struct replay *r, const char *sym, uint64_t seq)
{
	char key[16];

	snprintf(key, sizeof(key), " %s ", sym);
	for (uint64_t g = 0; g < r->ngaps; g++)
		if (r->gap_first[g] <= seq && strstr(r->gap_syms[g], key))
			return true;
	return false;
}

/* Drop the lines of affected symbols from checkpoint text (in place). */
static void drop_affected(const struct replay *r, char *text, uint64_t seq, unsigned *kept)
{
	char *w = text, *line = text;

	while (*line) {
		char *end = strchr(line, '\n');
		char sym[16] = "";
		size_t len = end ? (size_t)(end - line) + 1 : strlen(line);

		sscanf(line, "%*c %15s", sym);
		if (!affected(r, sym, seq)) {
			memmove(w, line, len);
			w += len;
			(*kept)++;
		}
		line += len;
	}
	*w = 0;
}

static void compare_checkpoint(struct replay *r)
{
	char *got = book_text(r->f.books);
	char *want = r->t.ckpt_body[r->k];
	unsigned kept_got = 0, kept_want = 0;

	drop_affected(r, got, r->t.ckpt_seq[r->k], &kept_got);
	drop_affected(r, want, r->t.ckpt_seq[r->k], &kept_want);
	if (r->k == 0)
		r->kept_full = kept_want;
	/* Most symbols are still compared. */
	if (kept_want * 2 < r->kept_full) {
		print_error("checkpoint %llu: only %u of %u truth lines left to compare\n",
			    (unsigned long long)r->t.ckpt_seq[r->k], kept_want, r->kept_full);
		fail();
	}

	if (strcmp(got, r->t.ckpt_body[r->k]) != 0) {
		if (getenv("TW_TRUTH_DUMP")) {
			FILE *a = fopen("/tmp/ft_got.txt", "w"), *b = fopen("/tmp/ft_want.txt", "w");
			fputs(got, a);
			fputs(r->t.ckpt_body[r->k], b);
			fclose(a);
			fclose(b);
		}
		print_error("checkpoint %llu differs:\n--- feed books\n%.1500s\n--- truth\n%.1500s\n",
			    (unsigned long long)r->t.ckpt_seq[r->k], got, r->t.ckpt_body[r->k]);
		fail();
	}
	free(got);
	r->k++;
}

static void on_item(struct replay *r, const struct mold_item *it)
{
	if (it->kind == MOLD_MSG) {
		/* Books as of every message up to the checkpoint's sequence. */
		while (r->k < r->t.nckpt && r->t.ckpt_seq[r->k] < it->seq)
			compare_checkpoint(r);
	}
	feed_on_item(&r->f, it, 0, r->ev, 1024);
	if (it->kind == MOLD_EV_GAP) {
		/* Detected: books stale from here until back in sequence. */
		assert_true(r->f.stale);
		for (uint16_t loc = 1; loc <= NSYM; loc++)
			assert_true(feed_sym_stale(&r->f, loc));
	}
	if (r->lost_seen)
		assert_true(r->f.stale); /* stale for good after a loss */
	if (it->kind == MOLD_EV_LOST) {
		assert_true(r->f.stale);
		r->lost_seen = true;
		r->lost_ranges++;
		r->lost_msgs += it->count;
		/* Each lost range is one or more of the truth's gaps, exactly. */
		for (uint64_t g = 0; g < r->t.ngap; g++) {
			if (r->t.gap_first[g] >= it->seq &&
			    r->t.gap_first[g] + r->t.gap_count[g] <= it->seq + it->count)
				r->truth_gaps_hit++;
		}
	}
}

static int line_of(struct replay *r, const struct net_udp *u)
{
	for (int i = 0; i < r->nsrc; i++)
		if (r->src_ip[i] == u->src_ip && r->src_port[i] == u->src_port)
			return i;
	assert_true(r->nsrc < 2);
	r->src_ip[r->nsrc] = u->src_ip;
	r->src_port[r->nsrc] = u->src_port;
	return r->nsrc++;
}

/* The symbols each truth gap line names ("gap FIRST COUNT SYM..."). */
static void read_gap_syms(struct replay *r, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[8192];

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long first, count;
		int used = 0;

		if (sscanf(line, "gap %llu %llu%n", &first, &count, &used) != 2)
			continue;
		assert_true(r->ngaps < MAX_GAPS);
		line[strcspn(line, "\n")] = 0;
		r->gap_first[r->ngaps] = first;
		r->gap_syms[r->ngaps] = malloc(strlen(line + used) + 2);
		assert_non_null(r->gap_syms[r->ngaps]);
		sprintf(r->gap_syms[r->ngaps], "%s ", line + used);
		r->ngaps++;
	}
	fclose(f);
}

/* The same capture through the real entry point: frames in bursts of 32
 * (feed_on_burst: lines by source, the prefetch pipeline), compared with
 * the truth's last checkpoint and the item-level run's counters. */
static void replay_burst(struct replay *r, const char *pcap, const struct feed_cfg *cfg)
{
	struct arena a;
	struct arena_cfg ac = { .no_huge = true, .no_lock = true };
	struct feed f;
	struct pcap_src src;
	struct pcap_src_pkt pkt;
	struct feed_frame fr[32];
	uint8_t *copies = malloc(32 * 2048);
	uint32_t n = 0;
	uint64_t lost = r->lost_msgs;
	char *got, *want;
	unsigned kept_got = 0, kept_want = 0;

	assert_non_null(copies);
	ac.size = feed_memsize(cfg);
	assert_int_equal(arena_init(&a, &ac), 0);
	assert_int_equal(feed_init(&f, cfg, &a), 0);
	assert_int_equal(pcap_src_init(&src, pcap), 0);
	f.link = src.link;
	for (;;) {
		int rc = pcap_src_next(&src, &pkt);

		if (rc == 1) {
			/* pcap_src's buffer is reused: keep a copy per frame. */
			assert_true(pkt.caplen <= 2048);
			memcpy(copies + (size_t)n * 2048, pkt.data, pkt.caplen);
			fr[n] = (struct feed_frame){ copies + (size_t)n * 2048, pkt.caplen,
						     pkt.wirelen, pkt.ts_ns, 0 };
			n++;
		}
		if (n == 32 || (rc != 1 && n)) {
			feed_on_burst(&f, fr, n, r->ev, 1024);
			n = 0;
		}
		if (rc != 1)
			break;
	}
	pcap_src_fini(&src);
	feed_finish(&f, 0, r->ev, 1024);

	got = book_text(f.books);
	want = strdup(r->t.ckpt_body[r->t.nckpt - 1]);
	assert_non_null(want);
	drop_affected(r, got, UINT64_MAX, &kept_got);
	drop_affected(r, want, UINT64_MAX, &kept_want);
	if (strcmp(got, want) != 0) {
		print_error("burst replay: final books differ:\n--- feed\n%.1500s\n--- truth\n%.1500s\n",
			    got, want);
		fail();
	}
	assert_int_equal(f.st.lost, lost);
	assert_int_equal(f.stale, r->t.ngap > 0);
	free(got);
	free(want);
	free(copies);
	feed_fini(&f);
	arena_fini(&a);
}

/* Run synth with the preset's options, then replay through the feed. */
static void check_preset(const char *name, const char *const *faults, bool ab,
			 uint64_t want_truth_gaps_min)
{
	char pcap[160], truth[160], nsym[16];
	const char *argv[40];
	struct replay *r = calloc(1, sizeof(*r));
	struct feed_cfg cfg;
	struct arena_cfg ac = { .no_huge = true, .no_lock = true };
	struct pcap_src src;
	struct pcap_src_pkt pkt;
	struct mold_item it;
	FILE *out = fopen("/dev/null", "w"), *err = tmpfile();
	uint64_t truth_lost = 0;
	int argc = 0, rc;

	assert_non_null(r);
	snprintf(pcap, sizeof(pcap), "%s/%s.pcap", tmp_dir, name);
	snprintf(truth, sizeof(truth), "%s/%s.truth", tmp_dir, name);
	snprintf(nsym, sizeof(nsym), "%d", NSYM);
	argv[argc++] = "synth";
	argv[argc++] = "--model";
	argv[argc++] = "many";
	argv[argc++] = "--symbols";
	argv[argc++] = nsym;
	argv[argc++] = "--messages";
	argv[argc++] = "40000";
	argv[argc++] = "--seed";
	argv[argc++] = "7";
	argv[argc++] = "--truth";
	argv[argc++] = truth;
	argv[argc++] = "--truth-every";
	argv[argc++] = "5000";
	argv[argc++] = "--out";
	argv[argc++] = pcap;
	argv[argc++] = "--quiet";
	if (ab)
		argv[argc++] = "--ab";
	for (int i = 0; faults[i]; i++) {
		argv[argc++] = "--fault";
		argv[argc++] = faults[i];
	}
	argv[argc] = NULL;
	rc = cmd_synth(argc, (char **)argv, out, err);
	fclose(out);
	fclose(err);
	assert_int_equal(rc, 0);
	truth_read(&r->t, truth);
	read_gap_syms(r, truth);
	assert_true(r->t.nckpt >= 8);
	assert_true(r->t.ngap >= want_truth_gaps_min);
	for (uint64_t g = 0; g < r->t.ngap; g++)
		truth_lost += r->t.gap_count[g];

	feed_cfg_defaults(&cfg);
	cfg.book.max_orders = 1u << 16;
	cfg.book.max_locate = 1024;
	ac.size = feed_memsize(&cfg);
	assert_int_equal(arena_init(&r->a, &ac), 0);
	assert_int_equal(feed_init(&r->f, &cfg, &r->a), 0);
	assert_int_equal(pcap_src_init(&src, pcap), 0);
	while (pcap_src_next(&src, &pkt) == 1) {
		struct net_udp u;

		if (net_parse_link(src.link, pkt.data, pkt.caplen, pkt.wirelen, &u) != 0)
			continue;
		mold_rx(&r->f.mold, u.payload, u.payload_len, line_of(r, &u), pkt.ts_ns);
		while (mold_next(&r->f.mold, &it))
			on_item(r, &it);
	}
	pcap_src_fini(&src);
	assert_int_equal(mold_flush(&r->f.mold), 0);
	while (mold_next(&r->f.mold, &it))
		on_item(r, &it);
	while (r->k < r->t.nckpt)
		compare_checkpoint(r);

	print_message("%s: %llu checkpoints equal, %llu truth gaps (%llu messages), %llu lost "
		      "ranges, %llu gap events, %llu stale episodes\n", name,
		      (unsigned long long)r->t.nckpt, (unsigned long long)r->t.ngap,
		      (unsigned long long)truth_lost, (unsigned long long)r->lost_ranges,
		      (unsigned long long)r->f.st.gaps, (unsigned long long)r->f.st.stale_episodes);
	/* Exactly the truth's messages were lost, each truth gap inside one
	 * declared range, and nothing else went wrong. */
	assert_int_equal(r->lost_msgs, truth_lost);
	assert_int_equal(r->truth_gaps_hit, r->t.ngap);
	assert_true(r->f.st.gaps >= r->lost_ranges);
	assert_true(r->f.st.stale_episodes >= (r->t.ngap ? 1u : 0u));
	assert_int_equal(r->f.st.itch_short + r->f.st.itch_unknown + r->f.st.itch_empty, 0);
	assert_int_equal(r->f.books->cnt.rejected[BOOK_EDUP], 0);
	if (r->t.ngap == 0)
		assert_int_equal(r->f.books->cnt.rejected[BOOK_EUNKNOWN], 0);
	assert_int_equal(r->f.stale, r->t.ngap > 0);

	feed_fini(&r->f);
	arena_fini(&r->a);
	replay_burst(r, pcap, &cfg);

	for (uint64_t g = 0; g < r->ngaps; g++)
		free(r->gap_syms[g]);
	truth_free(&r->t);
	free(r);
}

static void test_clean(void **state)
{
	const char *f[] = { NULL };
	(void)state;
	check_preset("clean", f, false, 0);
}

static void test_ab_gaps_filled(void **state)
{
	const char *f[] = { "gap:0.05", NULL };
	(void)state;
	check_preset("ab-gaps", f, true, 0);
}

static void test_dup_reorder(void **state)
{
	const char *f[] = { "dup:0.03", "reorder:0.03", NULL };
	(void)state;
	check_preset("dup-reorder", f, false, 0);
}

static void test_line_lost_for_a_while(void **state)
{
	const char *f[] = { "lose-line:A:500:2000", "gap:0.02", NULL };
	(void)state;
	check_preset("lose-line", f, true, 0);
}

static void test_unrecoverable_gaps(void **state)
{
	const char *f[] = { "gap:0.002", NULL };
	(void)state;
	check_preset("gaps-single-line", f, false, 2);
}

static void test_everything_at_once(void **state)
{
	const char *f[] = { "gap:0.02", "dup:0.02", "reorder:0.02", "lose-line:A:300:400",
			    "lose-line:B:500:400", NULL };
	(void)state;
	check_preset("everything", f, true, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_ab_gaps_filled),
		cmocka_unit_test(test_dup_reorder),
		cmocka_unit_test(test_line_lost_for_a_while),
		cmocka_unit_test(test_unrecoverable_gaps),
		cmocka_unit_test(test_everything_at_once),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
