/* venue_wire.h - the paper venue's wire side: SoupBinTCP 'U' packets with
 * OUCH 5.0 inbound messages -> venue_submit_*, and venue reports -> OUCH 5.0
 * outbound messages in SoupBinTCP 'S' packets. So paper trading carries the
 * same bytes as a live session, encoded by the gateway and decoded here.
 * Owns the symbol -> locate map. Same thread as the venue. */
#ifndef VENUE_WIRE_H
#define VENUE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/venue.h"

#define VENUE_WIRE_SYMS 4096u /* symbols the map holds (power of two) */

/* Largest SoupBinTCP packet venue_wire_tx writes for one report. */
#define VENUE_WIRE_MAX_PKT 96u

struct venue_wire_stats {
	uint64_t msgs_in;      /* OUCH messages submitted to the venue */
	uint64_t bad_in;       /* packets or messages that did not decode */
	uint64_t unknown_sym;  /* Enter Orders for a symbol not in the map */
	uint64_t ignored_in;   /* other packets (heartbeats, modify, query) */
	uint64_t msgs_out;     /* OUCH messages written */
	uint64_t bytes_out;
};

struct venue_wire {
	struct venue *v;
	uint64_t key[VENUE_WIRE_SYMS];   /* symbol as a u64; 0 = empty */
	uint16_t loc[VENUE_WIRE_SYMS];
	char sym[65536][8];              /* locate -> symbol (for reports); 512 KiB:
					  * allocate the struct, do not stack it */
	struct venue_wire_stats st;
};

/* Attach w to the venue v. Cannot fail. */
void venue_wire_init(struct venue_wire *w, struct venue *v);
/* Map the 8-byte (space padded) OUCH symbol to locate. 0, -ENOSPC map full,
 * -EEXIST the name already maps to another locate (one name, one book). */
int venue_wire_set_symbol(struct venue_wire *w, uint16_t locate, const char name[8]);
/* Client bytes (whole SoupBinTCP packets) sent at t_send_ns: each OUCH
 * Enter / Replace / Cancel is submitted to the venue; anything else is
 * counted. Returns the messages submitted. */
uint32_t venue_wire_rx(struct venue_wire *w, const uint8_t *buf, size_t len, uint64_t t_send_ns);
/* Reports due by now_ns, as OUCH messages in SoupBinTCP 'S' packets, into
 * buf[0..cap); reports that do not fit stay queued. Returns bytes written. */
size_t venue_wire_tx(struct venue_wire *w, uint64_t now_ns, uint8_t *buf, size_t cap);

#endif /* VENUE_WIRE_H */
