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

/* ---- orders: quote core -> gateway core ------------------------------ */

enum intent_op {
	INTENT_NEW = 1,        /* enter a post-only limit order */
	INTENT_CANCEL = 2,     /* cancel orig_token */
	INTENT_REPLACE = 3,    /* replace orig_token with token at px/qty */
	INTENT_CANCEL_ALL = 4, /* cancel every working order (locate 0: all symbols) */
};

/* Why the strategy decided it; carried to the gateway, its reports and the
 * orders file. Stable numbers: they are written to outputs. */
enum intent_reason {
	REASON_QUOTE_NEW = 1,      /* a target level with no working order */
	REASON_QUOTE_REPRICE = 2,  /* working price outside the tolerance */
	REASON_QUOTE_AGE = 3,      /* working order older than its maximum age */
	REASON_QUOTE_SIZE = 4,     /* working size differs from the target */
	REASON_QUOTE_EXCESS = 5,   /* working order with no target level left */
	REASON_PRESENCE = 6,       /* restores one bid and one ask */
	REASON_RISK_REDUCE = 7,    /* cancels a side that would grow the position */
	REASON_TOXIC_PULL = 8,     /* toxicity pulled the side */
	REASON_STALE_BOOK = 9,     /* the book is stale: quotes pulled */
	REASON_REGIME_RED = 10,    /* Red: only risk-reducing quotes stay */
	REASON_KILL = 11,          /* kill switch: cancel everything */
	REASON_HALTED = 12,        /* the symbol is halted */
};

/* order_intent.flags */
enum {
	INTENT_F_POST_ONLY = 1u << 0,
};

struct order_intent {
	uint64_t t_rx_tsc;     /* t_rx of the tick that triggered the decision */
	uint64_t t_decide_tsc; /* when the decision was made */
	uint64_t token;        /* client order token of the new or replacing order */
	uint64_t orig_token;   /* CANCEL/REPLACE: the working order; else 0 */
	uint32_t px;           /* 1e-4 USD */
	uint32_t qty;          /* shares */
	uint16_t locate;       /* symbol; 0 with CANCEL_ALL: every symbol */
	uint8_t op;            /* enum intent_op */
	uint8_t side;          /* 'B' or 'S' */
	uint8_t reason;        /* enum intent_reason */
	uint8_t flags;         /* INTENT_F_* */
	uint8_t pad[18];
};
_Static_assert(sizeof(struct order_intent) == 64, "order_intent is one ring slot");

/* ---- execution reports: gateway core -> quote core -------------------- */

enum exec_kind {
	EXEC_ACCEPTED = 1,
	EXEC_REJECTED = 2,  /* reason: the gateway's pre-trade check or the venue's */
	EXEC_FILL = 3,      /* px, qty filled; leaves what remains */
	EXEC_CANCELED = 4,
	EXEC_REPLACED = 5,
};

struct exec_report {
	uint64_t t_exch_ns;    /* venue time, ns since midnight */
	uint64_t t_rx_tsc;     /* when the gateway read it */
	uint64_t token;        /* the order it is about */
	uint64_t match;        /* FILL: venue match number, for de-duplication */
	uint32_t px;           /* FILL: execution price; else the order's, 1e-4 USD */
	uint32_t qty;          /* FILL: shares filled; else the order's */
	uint32_t leaves;       /* shares still working after this report */
	int32_t fee_e4;        /* FILL: fee in 1e-4 USD, negative for a rebate */
	uint16_t locate;
	uint8_t kind;          /* enum exec_kind */
	uint8_t side;          /* 'B' or 'S' */
	uint8_t liquidity;     /* FILL: 'A' added, 'R' removed */
	uint8_t reason;        /* REJECTED/CANCELED: why (gateway or venue code) */
	uint8_t pad[6];
};
_Static_assert(sizeof(struct exec_report) == 64, "exec_report is one ring slot");

#endif /* EVENTS_H */
