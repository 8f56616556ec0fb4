/* fuzz_feed.c - libFuzzer target over the whole feed stage: frames or
 * MoldUDP64 packets -> net -> MoldUDP64 sessions (both lines) -> ITCH ->
 * L3 books -> md_events. The input is a sequence of records
 *   u8 kind (bit 0: 1 = Ethernet frame, 0 = UDP payload; bit 1: line B)
 *   u16 length (little endian), then that many bytes
 * and after each input the book set's invariants must hold (book_check).
 * Small pools so the full-pool paths are reached. Built with clang
 * -fsanitize=fuzzer,address,undefined (preset "fuzz"). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/feed.h"
#include "hw/arena.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct md_event ev[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena arena;
	struct feed feed;
	struct feed_cfg cfg;
	struct arena_cfg ac = { .no_huge = true, .no_lock = true };
	char why[256];
	uint64_t t = 1;

	/* A fresh feed per input keeps inputs independent and reproducible. */
	feed_cfg_defaults(&cfg);
	cfg.book.max_orders = 4096;
	cfg.book.max_levels = 512;
	cfg.book.max_locate = 256;
	cfg.mold.max_sessions = 2;
	cfg.mold.reorder_slots = 8;
	cfg.mold.gap_max_pkts = 4;
	ac.size = feed_memsize(&cfg);
	if (arena_init(&arena, &ac) != 0 || feed_init(&feed, &cfg, &arena) != 0)
		abort();
	struct feed_frame burst[8];
	uint32_t nb = 0;

	while (size >= 3) {
		uint8_t kind = data[0];
		size_t len = (size_t)data[1] | (size_t)data[2] << 8;

		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		t += (uint64_t)(kind >> 3) * 1000000u;
		if ((kind & 5) == 5) {
			/* Burst path: collected, flushed every 8 frames or at the end. */
			burst[nb].data = data;
			burst[nb].caplen = (uint32_t)len;
			burst[nb].wirelen = (uint32_t)len;
			burst[nb].t_ns = t;
			burst[nb].t_rx_tsc = t;
			if (++nb == 8) {
				feed_on_burst(&feed, burst, nb, ev, 64);
				nb = 0;
			}
		} else {
			if (nb) {
				feed_on_burst(&feed, burst, nb, ev, 64);
				nb = 0;
			}
			if (kind & 1)
				feed_on_frame(&feed, data, len, len, t, t, ev, 64);
			else
				feed_on_packet(&feed, data, len, (kind >> 1) & 1, t, t, ev, 64);
		}
		data += len;
		size -= len;
		/* mold_rx_fast's cached verdict on the last session */
		if (!mold_last_dirty_holds(&feed.mold))
			abort();
	}
	if (nb)
		feed_on_burst(&feed, burst, nb, ev, 64);
	feed_finish(&feed, t, ev, 64);
	if (book_check(feed.books, why, sizeof(why)) != 0) {
		fprintf(stderr, "book invariant broken: %s\n", why);
		abort();
	}
	feed_fini(&feed);
	arena_fini(&arena);
	return 0;
}
