/* gw.h - the gateway core's stage function (DESIGN.md sections 2 and 8): an
 * order_intent -> pre-trade checks (risk.h) -> order store (ostore.h) -> the
 * OUCH 5.0 message inside a SoupBinTCP 'U' packet, bytes ready to send; and
 * the venue's SoupBinTCP 'S' stream -> OUCH decode -> store -> exec_reports
 * for the strategy. Owns the store, the checks, the symbol names and the
 * reference prices (both kept in the store's per-symbol lines). One thread (the gateway core, or the inline pipeline). */
#ifndef GW_H
#define GW_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane/events.h"
#include "gateway/ostore.h"
#include "gateway/risk.h"
#include "hw/arena.h"

/* exec_report.reason of EXEC_REJECTED: a pre-trade check refused the intent
 * (enum risk_reason, 1..63), or the venue did: GW_REASON_VENUE + the OUCH
 * reject reason (clamped to 255). */
#define GW_REASON_VENUE 64u

/* Bytes one intent can need on the wire, except CANCEL_ALL (one cancel per
 * working order): a SoupBinTCP header plus the largest OUCH message we send. */
#define GW_WIRE_MAX_ONE 64u

struct gw_cfg {
	struct ostore_cfg store;
	struct risk_cfg risk;
	int32_t fee_add_e4;     /* fee per share when our fill added liquidity,
				 * 1e-4 USD; negative = rebate */
	int32_t fee_remove_e4;  /* fee per share when it removed liquidity */
	char firm[4];           /* OUCH firm appendage; all zero = none */
	char capacity;          /* OUCH capacity, default 'P' principal */
};

struct gw_stats {
	uint64_t intents;          /* intents offered */
	uint64_t sent[5];          /* by enum intent_op: passed and encoded */
	uint64_t msgs_out;         /* OUCH messages written */
	uint64_t bytes_out;        /* wire bytes written */
	uint64_t refused;          /* intents refused by a check */
	uint64_t no_room;          /* intents refused: wire buffer too small */
	uint64_t msgs_in;          /* SoupBinTCP packets read from the venue */
	uint64_t bad_in;           /* packets or OUCH messages that did not decode */
	uint64_t ignored_in;       /* decoded but not for the store (heartbeats,
				    * system events, cancel pending, ...) */
	uint64_t store_errors;     /* venue events the store refused */
	uint64_t venue_rejects;    /* OUCH Rejected messages */
	uint64_t defer_full;       /* cancels that could not be deferred */
};

/* A cancel owed to an order whose replace was in flight at CANCEL_ALL. */
struct gw_defer {
	uint32_t slot;             /* store slot */
	uint32_t ref, new_ref;     /* its refs before and after the replace */
};

/* The ClOrdID field of the last 9-14 digit token sent on a symbol (gw.c
 * clordid_put), as the two little-endian words it stores there. */
struct gw_idmemo {
	uint64_t token;            /* 10^8 .. 99999999999999 */
	uint64_t w0;               /* field bytes 0-7 (6-7 stale after a
				    * carry: w1 is always written after it) */
	uint64_t w1;               /* field bytes 6-13 */
	uint32_t sh;               /* bit of w1 where the last digit's byte starts */
	uint8_t room;              /* 9 - the last digit */
	uint8_t room2;             /* 9 - the digit before it */
	uint8_t pad[2];
};
#define GW_IDMEMO 32u              /* memo entries, by locate % GW_IDMEMO */

/* A NEW or REPLACE whose bytes gw_send_intent wrote and whose record in
 * the store (and in the sent counters) gw_commit makes. */
struct gw_pend {
	const struct order_intent *in; /* the intent, unchanged until the commit */
	uint64_t now_ns;
	uint32_t bytes;                /* the bytes it wrote (the sent counters') */
	struct ostore_probe pr;        /* what its checks found in the store */
	uint8_t op;                    /* INTENT_NEW or INTENT_REPLACE; 0 = none */
};

/* Order stores of at least this many bytes go on 2 MiB pages (gw_init). */
#define GW_HUGE_MIN (1u << 20)

/* Laid out for the intent path: the store's hot fields, then ours, the
 * counters it bumps and the owed commit (the checks' probe of the store
 * lives there), then the checks' hot fields and the ClOrdID memo (one
 * entry, half a line, read by each NEW or REPLACE); configuration,
 * deferred cancels and refusal counters after them. */
struct gw {
	struct ostore os;          /* its sym[] also holds our per-locate OUCH
				    * symbol and reference price (ostore_sym) */
	char capacity;             /* cfg.capacity, beside what the encoder reads */
	char firm[4];              /* cfg.firm */
	struct gw_stats st;
	struct gw_pend pend;       /* the send gw_commit owes the store */
	struct risk rk;
	struct gw_idmemo idm[GW_IDMEMO];
	struct gw_cfg cfg;
	struct gw_defer *defer;    /* store.max_orders entries */
	uint32_t n_defer;
	struct arena mem;          /* the store's block, on 2 MiB pages when the
				    * system gives them (see gw_init) */
};

/* Set up g from cfg at now_ns (start-up; maps the store's block, hugepage-
 * backed when available, and allocates the checks and the per-symbol
 * tables). 0, -EINVAL bad cfg, -ENOMEM. */
int gw_init(struct gw *g, const struct gw_cfg *cfg, uint64_t now_ns);
/* Release. Accepts NULL. */
void gw_fini(struct gw *g);
/* Defaults: conservative limits for one small account (see gw.c). */
void gw_cfg_defaults(struct gw_cfg *cfg);
/* OUCH symbol of locate (ITCH's 8-byte, space-padded stock field). 0,
 * -EINVAL locate above the store's max_locate. */
int gw_set_symbol(struct gw *g, uint16_t locate, const char name[8]);

/* Read, changing nothing, what the next n NEWs for locate with client
 * tokens token, token + 1, ... will touch before any other order: the
 * gateway's own lines, the symbol's, the tokens' index entries, the next
 * n refs' entries and free order slots, so that a run's first orders find
 * them in the caches and their pages in the TLB. Start-up, before the run;
 * the gateway's thread. */
void gw_warm(const struct gw *g, uint16_t locate, uint64_t token, uint32_t n);

/* The reference price of the collar check (e.g. the mid), 1e-4 USD; 0 =
 * none (new orders are refused). */
static inline void gw_set_ref(struct gw *g, uint16_t locate, uint32_t px)
{
	if (locate <= g->os.cfg.max_locate)
		g->os.sym[locate].ref_px = px;
}

/* One intent at now_ns. Passed: its OUCH message(s), each in a SoupBinTCP
 * 'U' packet, are written at wire[0..cap) and the byte count is returned
 * (CANCEL_ALL writes one cancel per working order of its symbol, or of every
 * symbol with locate 0; 0 bytes when none is working). Refused: nothing is
 * written, *rej is an EXEC_REJECTED report for the strategy (token: the new
 * order's, or orig_token for CANCEL; reason: enum risk_reason), returns
 * -EACCES. -ENOSPC: wire too small, the intent is refused the same way with
 * reason RISK_STORE_FULL. Never allocates. *in must not overlap *g, wire or
 * *rej. */
long gw_on_intent(struct gw *g, const struct order_intent *in, uint64_t now_ns, uint8_t *wire,
		  size_t cap, struct exec_report *rej);

/* gw_on_intent but for the store's record of a passed NEW or REPLACE:
 * its bytes are written and the caller may send them at once, then calls
 * gw_commit, which records the order in the store as gw_on_intent would
 * have (the next intent's checks need it). *in must stay unchanged until
 * then. Any gw call that reads the store (gw_send_intent, gw_on_intent,
 * gw_poll, gw_on_wire) makes a commit still owed first. */
long gw_send_intent(struct gw *g, const struct order_intent *in, uint64_t now_ns, uint8_t *wire,
		    size_t cap, struct exec_report *rej);

/* gw_commit's work, when one is owed. */
void gw_commit_pending(struct gw *g);

/* Record in the store the NEW or REPLACE the last gw_send_intent sent, if
 * any (no effect otherwise). */
static inline void gw_commit(struct gw *g)
{
	if (g->pend.op)
		gw_commit_pending(g);
}

/* Cancels owed by an earlier CANCEL_ALL to orders whose replace was in
 * flight: once the venue has answered the replace, whichever order stands
 * is cancelled. Call after gw_on_wire. Writes the cancels (SoupBinTCP 'U'
 * packets) at wire[0..cap) and returns the bytes (0: none due). */
long gw_poll(struct gw *g, uint64_t now_ns, uint8_t *wire, size_t cap);

/* Bytes from the venue (whole or split SoupBinTCP packets). Decodes every
 * complete packet, applies it to the store and writes at most max
 * exec_reports to out (a packet whose report does not fit is left unread).
 * *used = bytes consumed; the caller keeps the rest for the next call.
 * t_rx_tsc stamps the reports. Returns the reports written. */
uint32_t gw_on_wire(struct gw *g, const uint8_t *buf, size_t len, size_t *used,
		    uint64_t t_rx_tsc, struct exec_report *out, uint32_t max);

#endif /* GW_H */
