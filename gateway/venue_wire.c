/* venue_wire.c - OUCH 5.0 over SoupBinTCP in and out of the paper venue.
 * Venue thread (the inline pipeline). */
#include "gateway/venue_wire.h"

#include <errno.h>
#include <string.h>

#include "gateway/ouch.h"
#include "gateway/soup.h"

static uint64_t sym_key(const char name[8])
{
	uint64_t k;

	memcpy(&k, name, 8);
	return k;
}

static uint32_t sym_home(uint64_t k)
{
	return (uint32_t)((k * UINT64_C(0x9e3779b97f4a7c15)) >> 52) & (VENUE_WIRE_SYMS - 1);
}

void venue_wire_init(struct venue_wire *w, struct venue *v)
{
	memset(w, 0, sizeof(*w));
	w->v = v;
	memset(w->sym, ' ', sizeof(w->sym));
}

int venue_wire_set_symbol(struct venue_wire *w, uint16_t locate, const char name[8])
{
	uint64_t k = sym_key(name);
	uint32_t i = sym_home(k);

	for (uint32_t n = 0; n < VENUE_WIRE_SYMS; n++, i = (i + 1) & (VENUE_WIRE_SYMS - 1)) {
		if (w->key[i] == k && w->loc[i] != locate)
			return -EEXIST; /* one name, one book */
		if (w->key[i] == 0 || w->key[i] == k) {
			w->key[i] = k;
			w->loc[i] = locate;
			memcpy(w->sym[locate], name, 8);
			return 0;
		}
	}
	return -ENOSPC;
}

static int sym_find(const struct venue_wire *w, const char name[8], uint16_t *locate)
{
	uint64_t k = sym_key(name);
	uint32_t i = sym_home(k);

	for (uint32_t n = 0; n < VENUE_WIRE_SYMS && w->key[i]; n++,
		      i = (i + 1) & (VENUE_WIRE_SYMS - 1)) {
		if (w->key[i] == k) {
			*locate = w->loc[i];
			return 0;
		}
	}
	return -ENOENT;
}

static void submit(struct venue_wire *w, const struct ouch_in *m, uint64_t t)
{
	switch (m->type) {
	case OUCH_IN_ENTER: {
		const struct ouch_enter *e = &m->u.enter;
		struct venue_enter ve = { .user_ref = e->user_ref_num, .qty = e->qty,
					  .px = e->price > UINT32_MAX ? 0 : (uint32_t)e->price,
					  .side = (uint8_t)e->side };

		if (sym_find(w, e->symbol, &ve.locate) != 0) {
			/* No book for it: the venue refuses locate 0. */
			w->st.unknown_sym++;
			ve.locate = 0;
		}
		if (e->display == 'P' || e->display == 'W')
			ve.flags |= VENUE_F_POST_ONLY;
		if (e->tif == '3')
			ve.flags |= VENUE_F_IOC;
		venue_submit_enter(w->v, &ve, t);
		break;
	}
	case OUCH_IN_REPLACE: {
		const struct ouch_replace *r = &m->u.replace;
		struct venue_replace vr = { r->orig_user_ref_num, r->user_ref_num, r->qty,
					    r->price > UINT32_MAX ? 0 : (uint32_t)r->price };

		venue_submit_replace(w->v, &vr, t);
		break;
	}
	case OUCH_IN_CANCEL: {
		struct venue_cancel vc = { m->u.cancel.user_ref_num, m->u.cancel.qty };

		venue_submit_cancel(w->v, &vc, t);
		break;
	}
	default:
		w->st.ignored_in++;
		return;
	}
	w->st.msgs_in++;
}

uint32_t venue_wire_rx(struct venue_wire *w, const uint8_t *buf, size_t len, uint64_t t_send_ns)
{
	uint64_t before = w->st.msgs_in;
	size_t off = 0;

	while (off < len) {
		struct soup_pkt p;
		struct ouch_in m;
		int k = soup_parse(buf + off, len - off, &p);

		if (k <= 0) {
			w->st.bad_in++;
			break;
		}
		off += (size_t)k;
		if (p.type != SOUP_T_UNSEQ_DATA) {
			w->st.ignored_in++;
			continue;
		}
		if (ouch_in_decode(p.payload, p.payload_len, &m) < 0) {
			w->st.bad_in++;
			continue;
		}
		submit(w, &m, t_send_ns);
	}
	return (uint32_t)(w->st.msgs_in - before);
}

static char cancel_reason(uint8_t r)
{
	switch (r) {
	case VENUE_CXL_USER: return 'U';
	case VENUE_CXL_IOC: return 'I';
	default: return 'Z';
	}
}

/* The fields Order Accepted and Order Replaced share (same names in struct
 * ouch_accepted and struct ouch_replaced), from report r. */
#define VW_ORDER_FIELDS(a, w, r)                                               \
	do {                                                                    \
		(a)->ts_ns = (r)->t_venue_ns;                                   \
		(a)->user_ref_num = (r)->user_ref;                              \
		(a)->side = (char)(r)->side;                                    \
		(a)->qty = (r)->qty;                                            \
		memcpy((a)->symbol, (w)->sym[(r)->locate], OUCH_SYMBOL_LEN);    \
		(a)->price = (r)->px;                                           \
		(a)->tif = '0';                                                 \
		(a)->display = 'P';                                             \
		(a)->order_ref = (r)->user_ref;                                 \
		(a)->capacity = 'P';                                            \
		(a)->iso = 'N';                                                 \
		(a)->cross_type = 'N';                                          \
		(a)->order_state = 'L';                                         \
		memset((a)->clordid, ' ', OUCH_CLORDID_LEN);                    \
	} while (0)

/* One report as an OUCH outbound message: every field its type's layout
 * encodes is set, and an empty appendage where it has one (no memset of
 * the whole message: its appendage room alone is 161 bytes). */
static void to_ouch(const struct venue_wire *w, const struct venue_report *r, struct ouch_out *m)
{
	switch (r->kind) {
	case VENUE_ACCEPTED:
		m->type = OUCH_OUT_ACCEPTED;
		VW_ORDER_FIELDS(&m->u.accepted, w, r);
		m->u.accepted.app.n = 0;
		break;
	case VENUE_REPLACED:
		m->type = OUCH_OUT_REPLACED;
		VW_ORDER_FIELDS(&m->u.replaced, w, r);
		m->u.replaced.orig_user_ref_num = r->orig_user_ref;
		m->u.replaced.app.n = 0;
		break;
	case VENUE_CANCELED:
		m->type = OUCH_OUT_CANCELED;
		m->u.canceled.ts_ns = r->t_venue_ns;
		m->u.canceled.user_ref_num = r->user_ref;
		m->u.canceled.qty = r->qty;
		m->u.canceled.reason = cancel_reason(r->reason);
		break;
	case VENUE_EXECUTED:
		m->type = OUCH_OUT_EXECUTED;
		m->u.executed.ts_ns = r->t_venue_ns;
		m->u.executed.user_ref_num = r->user_ref;
		m->u.executed.qty = r->qty;
		m->u.executed.price = r->px;
		m->u.executed.liquidity = (char)r->liquidity;
		m->u.executed.match_num = r->match;
		m->u.executed.app.n = 0;
		break;
	default:
		/* A refused cancel is a Cancel Reject; a refused enter or
		 * replace a Rejected naming the new order, carrying the paper
		 * venue's own reason code (docs/paper.md). A cancel's reject
		 * has no orig ref and no side (an enter's has its side): an
		 * unknown order, or the message queue full. */
		if (r->orig_user_ref == 0 && r->side == 0 &&
		    (r->reason == VENUE_REJ_UNKNOWN || r->reason == VENUE_REJ_MSGS_FULL)) {
			m->type = OUCH_OUT_CANCEL_REJECT;
			m->u.cancel_reject.ts_ns = r->t_venue_ns;
			m->u.cancel_reject.user_ref_num = r->user_ref;
		} else {
			m->type = OUCH_OUT_REJECTED;
			m->u.rejected.ts_ns = r->t_venue_ns;
			m->u.rejected.user_ref_num = r->user_ref;
			m->u.rejected.reason = r->reason;
			memset(m->u.rejected.clordid, ' ', OUCH_CLORDID_LEN);
		}
		break;
	}
}

size_t venue_wire_tx(struct venue_wire *w, uint64_t now_ns, uint8_t *buf, size_t cap)
{
	size_t off = 0;

	while (cap - off >= VENUE_WIRE_MAX_PKT) {
		struct venue_report r;
		struct ouch_out m;
		int k;

		if (venue_poll(w->v, now_ns, &r, 1) == 0)
			break;
		to_ouch(w, &r, &m);
		k = ouch_out_encode(buf + off + SOUP_HDR_LEN, cap - off - SOUP_HDR_LEN, &m);
		if (k < 0) {
			w->st.bad_in++;
			continue;
		}
		soup_hdr_write(buf + off, SOUP_T_SEQ_DATA, (uint16_t)k);
		off += SOUP_HDR_LEN + (size_t)k;
		w->st.msgs_out++;
	}
	w->st.bytes_out += off;
	return off;
}
