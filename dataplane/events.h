/* events.h - the structs that cross cores (DESIGN.md section 2), in one
 * header: md_event (feed -> quote), order_intent (quote -> gateway) and
 * exec_report (gateway -> quote). Each is one 64-byte ring slot. Plain data;
 * any thread. Prices are ITCH units (1e-4 USD), times TSC ticks or ns. */
#ifndef EVENTS_H
#define EVENTS_H

#include <stdint.h>

/* ---- market data: feed core -> quote core ---------------------------- */

enum md_kind {
	MD_BOOK = 1,   /* a book changed: add, cancel, delete, replace, execute */
	MD_TRADE = 2,  /* an execution (E, C) or a non-displayed trade (P) */
	MD_STATE = 3,  /* trading state, stale or crossed flag changed */
};

/* md_event.flags */
enum {
	MD_F_TOP = 1u << 0,      /* best bid or ask price or size changed */
	MD_F_STALE = 1u << 1,    /* book is stale: a feed gap open, messages lost,
				  * or a full pool refused one of its orders */
	MD_F_CROSSED = 1u << 2,  /* best bid >= best ask */
	MD_F_HALTED = 1u << 3,   /* trading state is not 'T' */
};

struct md_event {
	uint64_t t_rx_tsc;   /* TSC when the packet that released it was read
			      * (for a message held in the reorder buffer: the
			      * packet that filled the gap) */
	uint64_t t_exch_ns;  /* ITCH timestamp, ns since midnight */
	uint64_t seq;        /* MoldUDP64 sequence number of the message */
	uint64_t order_ref;  /* order it touched (0 for state events, cross) */
	uint32_t bid_px;     /* best bid after the change, 1e-4 USD; 0 none */
	uint32_t ask_px;     /* best ask after the change, 1e-4 USD; 0 none */
	uint32_t bid_qty;    /* shares at best bid */
	uint32_t ask_qty;    /* shares at best ask */
	uint32_t px;         /* price of the change or trade, 1e-4 USD */
	uint32_t qty;        /* shares added, removed or traded */
	uint16_t locate;     /* symbol: ITCH stock locate */
	uint8_t kind;        /* enum md_kind */
	uint8_t side;        /* 'B'/'S': side of the resting order touched */
	uint8_t flags;       /* MD_F_* */
	uint8_t msg_type;    /* ITCH message type that caused it */
	uint8_t pad[2];
};
_Static_assert(sizeof(struct md_event) == 64, "md_event is one ring slot");

#endif /* EVENTS_H */
