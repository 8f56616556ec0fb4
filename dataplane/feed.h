/* feed.h - the feed stage (DESIGN.md section 2): a captured frame or UDP
 * payload -> MoldUDP64 sequencing and A/B arbitration -> ITCH 5.0 decode ->
 * L3 books -> md_events, with every drop counted by reason and books flagged
 * stale while a session has a gap, and for good once messages are lost. The same function serves the pcap replay,
 * the live paths and paper trading. One thread (the feed core) per feed. */
#ifndef FEED_H
#define FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/book.h"
#include "dataplane/events.h"
#include "dataplane/mold.h"
#include "dataplane/net.h"
#include "hw/arena.h"

/* Distinct (source address, source port, VLAN) tuples told apart for A/B
 * arbitration: the first seen is line A, the second line B; later ones are
 * counted and fed as line B. */
#define FEED_SOURCES_MAX 4

struct feed_cfg {
	struct book_cfg book;
	struct mold_cfg mold;
	struct net_filter filter;  /* zeroed: every UDP datagram */
	enum net_link link;        /* link layer of the frames (pcap's DLT) */
};

struct feed_stats {
	uint64_t frames;            /* frames offered */
	struct net_stats net;       /* by reason, and filtered */
	uint64_t packets;           /* MoldUDP64 packets offered to mold */
	uint64_t packets_bad;       /* refused by mold (malformed, session full) */
	uint64_t msgs;              /* ITCH messages decoded */
	uint64_t by_type[256];      /* decoded messages by ITCH type byte */
	uint64_t itch_empty;        /* zero-length message blocks */
	uint64_t itch_short;        /* shorter than their type's length */
	uint64_t itch_unknown;      /* type byte not in ITCH 5.0 */
	uint64_t itch_long;         /* longer than their type: decoded, counted */
	uint64_t book_refused;      /* book updates refused (see book counters) */
	uint64_t md_events;         /* md_events written */
	uint64_t md_overruns;       /* md_events dropped: caller's buffer full */
	uint64_t gaps;              /* gap events from mold */
	uint64_t lost;              /* messages declared lost */
	uint64_t stale_episodes;    /* times the books went stale */
	uint64_t sources_extra;     /* frames from a third or later source */
	uint64_t pool_full_stale;   /* symbols made stale by a full order/level pool */
	uint64_t not_kept;          /* order and trade messages of symbols outside
				     * feed_keep_symbols' set: counted in msgs and
				     * by_type, not applied, no md_event */
};

struct feed {
	struct book_set *books;
	struct mold mold;
	struct net_filter filter;
	enum net_link link;
	bool stale;                 /* books flagged stale by a session gap */
	bool lost_unrecovered;      /* messages were given up: stale for good */
	bool stopped;               /* a message past stop_ts_ns was reached */
	uint64_t stop_ts_ns;        /* apply nothing stamped later (ITCH ns since
				     * midnight); UINT64_MAX: no stop */
	/* Latest stamp (ITCH ns since midnight) of the messages read that
	 * wrote no md_event: skipped (feed_keep_symbols), refused by the
	 * book, dropped for a full buffer, or of a type without one (those
	 * may count others too). With the stamps of the md_events written,
	 * it gives the latest stamp read, which costs the event's path
	 * nothing. */
	uint64_t ts_silent_ns;
	uint32_t nsources;
	uint64_t source[FEED_SOURCES_MAX]; /* source_key(): address, port, VLAN */
	struct feed_stats st;
	struct md_event ev_scratch; /* where an event goes when out is full */
	/* The book's change record for on_msg (feed.c): off f, its address
	 * needs no register of its own across the book's call (a local's
	 * was kept in one and saved around the call, callgrind on many3m). */
	struct book_change chg;
	/* Symbols whose books are kept, a bit per locate (all set unless
	 * feed_keep_symbols narrowed them). */
	uint64_t keep[(BOOK_LOCATE_MAX + 1) / 64];
	/* feed.c's table of order messages' lengths and md_event kinds by
	 * type byte (len | kind << 8), copied here at init so feed_pull
	 * addresses it off f: a register fewer in its loop. */
	uint16_t order_info[256];
	/* The same for on_msg (the burst and frame paths), by type byte: an
	 * order message's md_event bytes from locate to the end as one
	 * 8-byte store writes them before the book's call: kind, msg_type
	 * and pad in place, and in locate's place the type's ITCH length (0:
	 * not an order message), which the event's locate overwrites after
	 * the call (feed.c, event_tail). feed_pull keeps order_info: its
	 * loop took ~1 instruction a call more with this one. */
	uint64_t order_tail[256];
	/* md_event flags by book_sym.flags value: the symbol's stale, crossed
	 * and halted bits in md_event's places with the feed's stale bit
	 * (f->stale), rewritten when that changes (set_stale): an event's
	 * flags are one load off f and the change's top bit. */
	uint8_t md_flags[256];
	/* frame_fast's and the burst window's parse of the common frame:
	 * untagged Ethernet/IPv4/UDP from line A's source that the filter
	 * passes, its fixed header fields in one masked compare (net_fast_parse).
	 * Set by the general path once line A is known (fast_on), and only for
	 * an Ethernet link and an untagged line A; until then no frame fits. */
	struct net_fast fast;
	bool fast_on;
	/* Every bit set: feed_on_frame, feed_on_burst and feed_on_messages
	 * take a copy of the message path without the test (~0.5% of
	 * `tickwire book`'s instructions on a 3 M-message capture). */
	bool keep_all;
	/* The same set, a byte per locate (1: kept), indexed by a locate's
	 * two wire bytes as a host uint16_t loads them: feed_pull tests it
	 * with one compare, without the byte swap or a bit's shift (~5
	 * instructions a message fewer than a bitmap; a few hundred symbols'
	 * bytes take a few lines: locates below 9 k, swapped, fall 36 bytes
	 * together every 256). Last: the fields above keep their offsets. */
	uint8_t keep_wire[BOOK_LOCATE_MAX + 1];
};

/* Bytes of arena the feed needs for cfg (books and MoldUDP64 buffers, with
 * alignment slack), or 0 when cfg is invalid. */
size_t feed_memsize(const struct feed_cfg *cfg);
/* Defaults: 1 M orders, 65535 locates, mold defaults, every UDP datagram,
 * Ethernet frames. */
void feed_cfg_defaults(struct feed_cfg *cfg);
/* Set up f with its books and buffers carved from arena a (start-up).
 * 0, -EINVAL bad cfg, -ENOMEM arena too small. */
int feed_init(struct feed *f, const struct feed_cfg *cfg, struct arena *a);
/* Stop applying messages stamped after ts_ns (ITCH ns since midnight), to
 * view the books as they stood then; f->stopped says when it was reached. */
void feed_stop_at(struct feed *f, uint64_t ts_ns);
/* Keep the books of these n locates only (start-up, before the first
 * frame): every other symbol's order and trade messages are read, counted
 * in st.not_kept and skipped, with no book work and no md_event (a
 * strategy quoting a few symbols of a busy feed needs only theirs). System,
 * directory and trading-state messages still apply to every symbol. n == 0
 * keeps every book again (the default). 0, -EINVAL locates NULL with n > 0,
 * -EBUSY messages were already applied. */
int feed_keep_symbols(struct feed *f, const uint16_t *locates, uint32_t n);
/* Is the book of locate kept (feed_keep_symbols)? */
static inline bool feed_sym_kept(const struct feed *f, uint16_t locate)
{
	return (f->keep[locate >> 6] >> (locate & 63)) & 1;
}
/* Release what init took (the arena memory stays the arena's). NULL ok. */
void feed_fini(struct feed *f);

/* One captured frame, stamped t_ns (capture clock, ns since the epoch or
 * virtual time) and t_rx_tsc (when it was read). Writes up to cap md_events
 * to out and returns how many; events beyond cap are counted as overruns
 * (the books stay right: the quote core resynchronises from them). */
uint32_t feed_on_frame(struct feed *f, const uint8_t *frame, size_t caplen,
		       size_t wirelen, uint64_t t_ns, uint64_t t_rx_tsc,
		       struct md_event *out, uint32_t cap);
/* feed_on_frame an event at a time, for the inline pipeline, where the
 * strategy takes each md_event before the feed applies the packet's later
 * messages: feed_frame_begin takes the frame (link, filter, MoldUDP64
 * sequencing) and each feed_pull then applies messages in order up to and
 * including the next one that writes an md_event (or a session event that
 * does), returns the events it wrote and sets *more to whether anything is
 * left; pull while *more. A pull may also stop after a message that wrote
 * none (refused, dropped, not an order message): 0 with *more true.
 * Messages past cap are applied and counted as overruns, as in
 * feed_on_frame. Pulling until *more is false leaves exactly
 * feed_on_frame's events, books and counters; the frame's bytes must stay
 * as they are until then, and nothing else may use f in between. */
void feed_frame_begin(struct feed *f, const uint8_t *frame, size_t caplen, size_t wirelen,
		      uint64_t t_ns);
uint32_t feed_pull(struct feed *f, uint64_t t_rx_tsc, struct md_event *out, uint32_t cap,
		   bool *more);
/* One captured frame for feed_on_burst: caplen bytes at data (wirelen on
 * the wire), stamped as for feed_on_frame. */
struct feed_frame {
	const uint8_t *data;
	uint32_t caplen, wirelen;   /* bytes */
	uint64_t t_ns;              /* capture clock, ns */
	uint64_t t_rx_tsc;          /* when it was read, TSC ticks */
};

/* Frames software-pipelined together by feed_on_burst; a longer burst is
 * taken in windows of this many. 64 covers an rx burst of 32 with room, and
 * its per-window scratch (each frame's net and MoldUDP64 parse, ~8 KiB, and
 * a list of up to 1024 messages with their kinds, hashes and order
 * indices, 17 KiB) stays on the stack. */
#define FEED_BURST_MAX 64u

/* A burst of n frames (rte_eth_rx_burst, io_uring, pcap replay), with the
 * book's memory accesses pipelined across the burst's messages: exactly as
 * calling feed_on_frame for each frame in turn with out + (events so far)
 * and cap - (events so far) -- same events, books and counters -- but the
 * order-table slots, orders, FIFO neighbours, levels and symbols of later
 * messages are prefetched while earlier ones are applied. Returns events
 * written (<= cap; the rest counted as overruns). Feed thread only. */
uint32_t feed_on_burst(struct feed *f, const struct feed_frame *frames, uint32_t n,
		       struct md_event *out, uint32_t cap);
/* One MoldUDP64 packet (UDP payload) from `line`; as feed_on_frame. */
uint32_t feed_on_packet(struct feed *f, const uint8_t *pkt, size_t len, int line,
			uint64_t t_ns, uint64_t t_rx_tsc, struct md_event *out,
			uint32_t cap);
/* One ITCH message without MoldUDP64 framing (binary file replay), numbered
 * seq by the caller. */
uint32_t feed_on_message(struct feed *f, const uint8_t *msg, size_t len, uint64_t seq,
			 uint64_t t_rx_tsc, struct md_event *out, uint32_t cap);
/* One item of mold_next (a message or a session event), exactly as the
 * frame and packet paths handle it: for callers that drive f->mold
 * themselves (a test stopping at a sequence number, retransmissions). */
uint32_t feed_on_item(struct feed *f, const struct mold_item *it, uint64_t t_rx_tsc,
		      struct md_event *out, uint32_t cap);
/* One ITCH message without MoldUDP64 framing, for feed_on_messages. */
struct feed_msg {
	const uint8_t *data;
	uint32_t len;               /* bytes */
};

/* n messages without MoldUDP64 framing (binary file replay), numbered seq,
 * seq + 1, ...: exactly as feed_on_message on each in turn with out +
 * (events so far) and cap - (events so far), with the book's accesses
 * pipelined as in feed_on_burst. Returns events written. */
uint32_t feed_on_messages(struct feed *f, const struct feed_msg *msgs, uint32_t n,
			  uint64_t seq, uint64_t t_rx_tsc, struct md_event *out, uint32_t cap);
/* A quiet feed: move the packet clock to t_ns so open gaps can time out
 * (live paths call it from their idle loop). Returns md_events written. */
uint32_t feed_advance(struct feed *f, uint64_t t_ns, uint64_t t_rx_tsc, struct md_event *out,
		      uint32_t cap);
/* Is the symbol's book stale: a gap open or messages lost (feed-wide), or
 * a full pool refused one of its orders (the symbol's own flag)? */
static inline bool feed_sym_stale(const struct feed *f, uint16_t locate)
{
	const struct book_sym *s = book_sym_get(f->books, locate);

	return f->stale || !s || (s->flags & BOOK_SYM_STALE);
}
/* End of input: gives up open gaps (counted lost, books stay stale). */
uint32_t feed_finish(struct feed *f, uint64_t t_rx_tsc, struct md_event *out, uint32_t cap);

#endif /* FEED_H */
