/* ouch.c - OUCH 5.0 table codec (ouch.h): one layout table per message
 * type drives both the outbound encoders and every decoder, so each offset
 * is written once (the types of an order's life with their table a
 * constant, unrolled); appendage building, lookup and bounds-checked
 * parsing. Stateless; any thread. */
#include "gateway/ouch.h"

#include <errno.h>

/* How a field is stored: a char, a big-endian integer, or an alpha run. */
enum ouch_kind { OUCH_K_CHAR, OUCH_K_U16, OUCH_K_U32, OUCH_K_U64, OUCH_K_ALPHA };

struct ouch_field {
	uint8_t off;    /* wire offset */
	uint8_t kind;   /* enum ouch_kind */
	uint8_t width;  /* alpha width */
	uint16_t mem;   /* offset in struct ouch_in / ouch_out */
};

struct ouch_layout {
	uint8_t len;            /* fixed part, incl. Appendage Length */
	uint8_t app_off;        /* Appendage Length offset; 0 = no appendage */
	uint16_t app_mem;       /* struct ouch_app offset in the message struct */
	uint8_t nf;
	const struct ouch_field *f;
};

#define FI(o, k, w, m) { (o), OUCH_K_##k, (w), (uint16_t)offsetof(struct ouch_in, u.m) }
#define FO(o, k, w, m) { (o), OUCH_K_##k, (w), (uint16_t)offsetof(struct ouch_out, u.m) }
#define LAYOUT(len, app_off, app_mem, fields) \
	{ (len), (app_off), (app_mem), (uint8_t)ARRAY_SIZE(fields), (fields) }

/* ---- inbound ---- */

static const struct ouch_field f_enter[] = {
	FI(OUCH_ENTER_OFF_URN, U32, 0, enter.user_ref_num),
	FI(OUCH_ENTER_OFF_SIDE, CHAR, 0, enter.side),
	FI(OUCH_ENTER_OFF_QTY, U32, 0, enter.qty),
	FI(OUCH_ENTER_OFF_SYMBOL, ALPHA, OUCH_SYMBOL_LEN, enter.symbol),
	FI(OUCH_ENTER_OFF_PRICE, U64, 0, enter.price),
	FI(OUCH_ENTER_OFF_TIF, CHAR, 0, enter.tif),
	FI(OUCH_ENTER_OFF_DISPLAY, CHAR, 0, enter.display),
	FI(OUCH_ENTER_OFF_CAPACITY, CHAR, 0, enter.capacity),
	FI(OUCH_ENTER_OFF_ISO, CHAR, 0, enter.iso),
	FI(OUCH_ENTER_OFF_CROSS, CHAR, 0, enter.cross_type),
	FI(OUCH_ENTER_OFF_CLORDID, ALPHA, OUCH_CLORDID_LEN, enter.clordid),
};

static const struct ouch_field f_replace[] = {
	FI(OUCH_REPLACE_OFF_ORIG_URN, U32, 0, replace.orig_user_ref_num),
	FI(OUCH_REPLACE_OFF_URN, U32, 0, replace.user_ref_num),
	FI(OUCH_REPLACE_OFF_QTY, U32, 0, replace.qty),
	FI(OUCH_REPLACE_OFF_PRICE, U64, 0, replace.price),
	FI(OUCH_REPLACE_OFF_TIF, CHAR, 0, replace.tif),
	FI(OUCH_REPLACE_OFF_DISPLAY, CHAR, 0, replace.display),
	FI(OUCH_REPLACE_OFF_ISO, CHAR, 0, replace.iso),
	FI(OUCH_REPLACE_OFF_CLORDID, ALPHA, OUCH_CLORDID_LEN, replace.clordid),
};

static const struct ouch_field f_cancel[] = {
	FI(OUCH_CANCEL_OFF_URN, U32, 0, cancel.user_ref_num),
	FI(OUCH_CANCEL_OFF_QTY, U32, 0, cancel.qty),
};

static const struct ouch_field f_modify[] = {
	FI(OUCH_MODIFY_OFF_URN, U32, 0, modify.user_ref_num),
	FI(OUCH_MODIFY_OFF_SIDE, CHAR, 0, modify.side),
	FI(OUCH_MODIFY_OFF_QTY, U32, 0, modify.qty),
};

static const struct ouch_layout l_enter =
	LAYOUT(OUCH_ENTER_LEN, OUCH_ENTER_OFF_APPLEN, offsetof(struct ouch_in, u.enter.app), f_enter);
static const struct ouch_layout l_replace = LAYOUT(OUCH_REPLACE_LEN, OUCH_REPLACE_OFF_APPLEN,
						   offsetof(struct ouch_in, u.replace.app), f_replace);
static const struct ouch_layout l_cancel = LAYOUT(OUCH_CANCEL_LEN, 0, 0, f_cancel);
static const struct ouch_layout l_modify = LAYOUT(OUCH_MODIFY_LEN, 0, 0, f_modify);
static const struct ouch_layout l_account_query = { OUCH_ACCOUNT_QUERY_LEN, 0, 0, 0, NULL };

static const struct ouch_layout *ouch_in_layout(uint8_t type)
{
	switch (type) {
	case OUCH_IN_ENTER: return &l_enter;
	case OUCH_IN_REPLACE: return &l_replace;
	case OUCH_IN_CANCEL: return &l_cancel;
	case OUCH_IN_MODIFY: return &l_modify;
	case OUCH_IN_ACCOUNT_QUERY: return &l_account_query;
	default: return NULL;
	}
}

/* ---- outbound ---- */

#define TS(m) FO(OUCH_OUT_OFF_TS, U64, 0, m.ts_ns)
#define URN(m) FO(OUCH_OUT_OFF_URN, U32, 0, m.user_ref_num)

static const struct ouch_field f_sysev[] = {
	TS(system_event),
	FO(OUCH_SYSEV_OFF_EVENT, CHAR, 0, system_event.event_code),
};

static const struct ouch_field f_acc[] = {
	TS(accepted), URN(accepted),
	FO(OUCH_ACC_OFF_SIDE, CHAR, 0, accepted.side),
	FO(OUCH_ACC_OFF_QTY, U32, 0, accepted.qty),
	FO(OUCH_ACC_OFF_SYMBOL, ALPHA, OUCH_SYMBOL_LEN, accepted.symbol),
	FO(OUCH_ACC_OFF_PRICE, U64, 0, accepted.price),
	FO(OUCH_ACC_OFF_TIF, CHAR, 0, accepted.tif),
	FO(OUCH_ACC_OFF_DISPLAY, CHAR, 0, accepted.display),
	FO(OUCH_ACC_OFF_ORDREF, U64, 0, accepted.order_ref),
	FO(OUCH_ACC_OFF_CAPACITY, CHAR, 0, accepted.capacity),
	FO(OUCH_ACC_OFF_ISO, CHAR, 0, accepted.iso),
	FO(OUCH_ACC_OFF_CROSS, CHAR, 0, accepted.cross_type),
	FO(OUCH_ACC_OFF_STATE, CHAR, 0, accepted.order_state),
	FO(OUCH_ACC_OFF_CLORDID, ALPHA, OUCH_CLORDID_LEN, accepted.clordid),
};

static const struct ouch_field f_repl[] = {
	TS(replaced),
	FO(OUCH_REPL_OFF_ORIG_URN, U32, 0, replaced.orig_user_ref_num),
	FO(OUCH_REPL_OFF_URN, U32, 0, replaced.user_ref_num),
	FO(OUCH_REPL_OFF_SIDE, CHAR, 0, replaced.side),
	FO(OUCH_REPL_OFF_QTY, U32, 0, replaced.qty),
	FO(OUCH_REPL_OFF_SYMBOL, ALPHA, OUCH_SYMBOL_LEN, replaced.symbol),
	FO(OUCH_REPL_OFF_PRICE, U64, 0, replaced.price),
	FO(OUCH_REPL_OFF_TIF, CHAR, 0, replaced.tif),
	FO(OUCH_REPL_OFF_DISPLAY, CHAR, 0, replaced.display),
	FO(OUCH_REPL_OFF_ORDREF, U64, 0, replaced.order_ref),
	FO(OUCH_REPL_OFF_CAPACITY, CHAR, 0, replaced.capacity),
	FO(OUCH_REPL_OFF_ISO, CHAR, 0, replaced.iso),
	FO(OUCH_REPL_OFF_CROSS, CHAR, 0, replaced.cross_type),
	FO(OUCH_REPL_OFF_STATE, CHAR, 0, replaced.order_state),
	FO(OUCH_REPL_OFF_CLORDID, ALPHA, OUCH_CLORDID_LEN, replaced.clordid),
};

static const struct ouch_field f_cxld[] = {
	TS(canceled), URN(canceled),
	FO(OUCH_CXLD_OFF_QTY, U32, 0, canceled.qty),
	FO(OUCH_CXLD_OFF_REASON, CHAR, 0, canceled.reason),
};

static const struct ouch_field f_aiq[] = {
	TS(aiq_canceled), URN(aiq_canceled),
	FO(OUCH_AIQ_OFF_DECR, U32, 0, aiq_canceled.decrement_qty),
	FO(OUCH_AIQ_OFF_REASON, CHAR, 0, aiq_canceled.reason),
	FO(OUCH_AIQ_OFF_PREVENTED, U32, 0, aiq_canceled.qty_prevented),
	FO(OUCH_AIQ_OFF_PRICE, U64, 0, aiq_canceled.exec_price),
	FO(OUCH_AIQ_OFF_LIQ, CHAR, 0, aiq_canceled.liquidity),
};

static const struct ouch_field f_exec[] = {
	TS(executed), URN(executed),
	FO(OUCH_EXEC_OFF_QTY, U32, 0, executed.qty),
	FO(OUCH_EXEC_OFF_PRICE, U64, 0, executed.price),
	FO(OUCH_EXEC_OFF_LIQ, CHAR, 0, executed.liquidity),
	FO(OUCH_EXEC_OFF_MATCH, U64, 0, executed.match_num),
};

static const struct ouch_field f_brkn[] = {
	TS(broken), URN(broken),
	FO(OUCH_BRKN_OFF_MATCH, U64, 0, broken.match_num),
	FO(OUCH_BRKN_OFF_REASON, CHAR, 0, broken.reason),
	FO(OUCH_BRKN_OFF_CLORDID, ALPHA, OUCH_CLORDID_LEN, broken.clordid),
};

static const struct ouch_field f_corr[] = {
	TS(correction), URN(correction),
	FO(OUCH_CORR_OFF_QTY, U32, 0, correction.qty),
	FO(OUCH_CORR_OFF_PRICE, U64, 0, correction.price),
	FO(OUCH_CORR_OFF_LIQ, CHAR, 0, correction.liquidity),
	FO(OUCH_CORR_OFF_MATCH, U64, 0, correction.match_num),
	FO(OUCH_CORR_OFF_REASON, CHAR, 0, correction.reason),
	FO(OUCH_CORR_OFF_CLORDID, ALPHA, OUCH_CLORDID_LEN, correction.clordid),
};

static const struct ouch_field f_rej[] = {
	TS(rejected), URN(rejected),
	FO(OUCH_REJ_OFF_REASON, U16, 0, rejected.reason),
	FO(OUCH_REJ_OFF_CLORDID, ALPHA, OUCH_CLORDID_LEN, rejected.clordid),
};

static const struct ouch_field f_pend[] = { TS(cancel_pending), URN(cancel_pending) };
static const struct ouch_field f_crej[] = { TS(cancel_reject), URN(cancel_reject) };

static const struct ouch_field f_prio[] = {
	TS(priority_update), URN(priority_update),
	FO(OUCH_PRIO_OFF_PRICE, U64, 0, priority_update.price),
	FO(OUCH_PRIO_OFF_DISPLAY, CHAR, 0, priority_update.display),
	FO(OUCH_PRIO_OFF_ORDREF, U64, 0, priority_update.order_ref),
};

static const struct ouch_field f_modd[] = {
	TS(modified), URN(modified),
	FO(OUCH_MODD_OFF_SIDE, CHAR, 0, modified.side),
	FO(OUCH_MODD_OFF_QTY, U32, 0, modified.qty),
};

static const struct ouch_field f_rest[] = {
	TS(restated), URN(restated),
	FO(OUCH_REST_OFF_REASON, CHAR, 0, restated.reason),
};

static const struct ouch_field f_aqr[] = {
	TS(account_query_resp),
	FO(OUCH_AQR_OFF_NEXT_URN, U32, 0, account_query_resp.next_user_ref_num),
};

#define APP_OUT(m) offsetof(struct ouch_out, u.m.app)

static const struct ouch_layout l_sysev = LAYOUT(OUCH_SYSEV_LEN, 0, 0, f_sysev);
static const struct ouch_layout l_acc =
	LAYOUT(OUCH_ACC_LEN, OUCH_ACC_OFF_APPLEN, APP_OUT(accepted), f_acc);
static const struct ouch_layout l_repl =
	LAYOUT(OUCH_REPL_LEN, OUCH_REPL_OFF_APPLEN, APP_OUT(replaced), f_repl);
static const struct ouch_layout l_cxld = LAYOUT(OUCH_CXLD_LEN, 0, 0, f_cxld);
static const struct ouch_layout l_aiq = LAYOUT(OUCH_AIQ_LEN, 0, 0, f_aiq);
static const struct ouch_layout l_exec =
	LAYOUT(OUCH_EXEC_LEN, OUCH_EXEC_OFF_APPLEN, APP_OUT(executed), f_exec);
static const struct ouch_layout l_brkn = LAYOUT(OUCH_BRKN_LEN, 0, 0, f_brkn);
static const struct ouch_layout l_corr = LAYOUT(OUCH_CORR_LEN, 0, 0, f_corr);
static const struct ouch_layout l_rej = LAYOUT(OUCH_REJ_LEN, 0, 0, f_rej);
static const struct ouch_layout l_pend = LAYOUT(OUCH_URN_EVENT_LEN, 0, 0, f_pend);
static const struct ouch_layout l_crej = LAYOUT(OUCH_URN_EVENT_LEN, 0, 0, f_crej);
static const struct ouch_layout l_prio = LAYOUT(OUCH_PRIO_LEN, 0, 0, f_prio);
static const struct ouch_layout l_modd = LAYOUT(OUCH_MODD_LEN, 0, 0, f_modd);
static const struct ouch_layout l_rest =
	LAYOUT(OUCH_REST_LEN, OUCH_REST_OFF_APPLEN, APP_OUT(restated), f_rest);
static const struct ouch_layout l_aqr = LAYOUT(OUCH_AQR_LEN, 0, 0, f_aqr);

static const struct ouch_layout *ouch_out_layout(uint8_t type)
{
	switch (type) {
	case OUCH_OUT_SYSTEM_EVENT: return &l_sysev;
	case OUCH_OUT_ACCEPTED: return &l_acc;
	case OUCH_OUT_REPLACED: return &l_repl;
	case OUCH_OUT_CANCELED: return &l_cxld;
	case OUCH_OUT_AIQ_CANCELED: return &l_aiq;
	case OUCH_OUT_EXECUTED: return &l_exec;
	case OUCH_OUT_BROKEN: return &l_brkn;
	case OUCH_OUT_CORRECTION: return &l_corr;
	case OUCH_OUT_REJECTED: return &l_rej;
	case OUCH_OUT_CANCEL_PENDING: return &l_pend;
	case OUCH_OUT_CANCEL_REJECT: return &l_crej;
	case OUCH_OUT_PRIORITY_UPDATE: return &l_prio;
	case OUCH_OUT_MODIFIED: return &l_modd;
	case OUCH_OUT_RESTATED: return &l_rest;
	case OUCH_OUT_ACCOUNT_QUERY_RESP: return &l_aqr;
	default: return NULL;
	}
}

/* ---- helpers ---- */

int ouch_alpha_set(char *dst, size_t n, const char *s)
{
	size_t k = strlen(s);

	if (k > n)
		return -EINVAL;
	memcpy(dst, s, k);
	memset(dst + k, ' ', n - k);
	return 0;
}

unsigned ouch_tag_width(uint8_t tag)
{
	switch (tag) {
	case OUCH_TAG_FIRM:
	case OUCH_TAG_ROUTE:
	case OUCH_TAG_MIN_QTY:
	case OUCH_TAG_MAX_FLOOR:
	case OUCH_TAG_PEG_OFFSET:
	case OUCH_TAG_DISCRETION_PEG_OFFSET:
	case OUCH_TAG_RANDOM_RESERVES:
	case OUCH_TAG_EXPIRE_TIME:
		return 4;
	case OUCH_TAG_DISCRETION_PRICE:
	case OUCH_TAG_REFERENCE_PRICE:
		return 8;
	case OUCH_TAG_CUSTOMER_TYPE:
	case OUCH_TAG_PRICE_TYPE:
	case OUCH_TAG_DISCRETION_PRICE_TYPE:
	case OUCH_TAG_POST_ONLY:
	case OUCH_TAG_TRADE_NOW:
	case OUCH_TAG_HANDLE_INST:
	case OUCH_TAG_BBO_WEIGHT:
	case OUCH_TAG_REFERENCE_PRICE_TYPE:
		return 1;
	default:
		return 0;
	}
}

int ouch_app_add(struct ouch_app *a, uint8_t tag, const void *val, size_t len)
{
	unsigned w = ouch_tag_width(tag);
	struct ouch_tv *tv;

	if (len > OUCH_TAG_VAL_MAX || (w != 0 && len != w))
		return -EINVAL;
	if (a->n >= OUCH_APP_MAX_TAGS)
		return -ENOSPC;
	tv = &a->tv[a->n++];
	memset(tv, 0, sizeof(*tv));
	tv->tag = tag;
	tv->len = (uint8_t)len;
	if (len)
		memcpy(tv->val, val, len);
	return 0;
}

int ouch_app_add_u32(struct ouch_app *a, uint8_t tag, uint32_t v)
{
	uint8_t b[4];

	wire_put32(b, v);
	return ouch_app_add(a, tag, b, sizeof(b));
}

int ouch_app_add_u64(struct ouch_app *a, uint8_t tag, uint64_t v)
{
	uint8_t b[8];

	wire_put64(b, v);
	return ouch_app_add(a, tag, b, sizeof(b));
}

int ouch_app_add_alpha(struct ouch_app *a, uint8_t tag, const char *s)
{
	char b[OUCH_TAG_VAL_MAX];
	size_t w = ouch_tag_width(tag);

	if (w == 0)
		w = strlen(s);
	if (w > OUCH_TAG_VAL_MAX || ouch_alpha_set(b, w, s) != 0)
		return -EINVAL;
	return ouch_app_add(a, tag, b, w);
}

const struct ouch_tv *ouch_app_find(const struct ouch_app *a, uint8_t tag)
{
	for (unsigned i = 0; i < a->n && i < OUCH_APP_MAX_TAGS; i++)
		if (a->tv[i].tag == tag)
			return &a->tv[i];
	return NULL;
}

int ouch_app_get_u32(const struct ouch_app *a, uint8_t tag, uint32_t *v)
{
	const struct ouch_tv *tv = ouch_app_find(a, tag);

	if (!tv)
		return -ENOENT;
	if (tv->len != 4)
		return -EPROTO;
	*v = wire_get32(tv->val);
	return 0;
}

int ouch_app_get_u64(const struct ouch_app *a, uint8_t tag, uint64_t *v)
{
	const struct ouch_tv *tv = ouch_app_find(a, tag);

	if (!tv)
		return -ENOENT;
	if (tv->len != 8)
		return -EPROTO;
	*v = wire_get64(tv->val);
	return 0;
}

unsigned ouch_in_len(uint8_t type)
{
	const struct ouch_layout *l = ouch_in_layout(type);

	return l ? l->len : 0;
}

unsigned ouch_out_len(uint8_t type)
{
	const struct ouch_layout *l = ouch_out_layout(type);

	return l ? l->len : 0;
}

/* ---- table-driven encode and decode ---- */

/* Inline and unrolled: with a constant layout (the hot types, below) each
 * field becomes a plain load and store, no table walk. */
static ALWAYS_INLINE void ouch_fields_write(uint8_t *buf, const struct ouch_layout *l,
					    const void *msg)
{
	const uint8_t *base = msg;

#pragma GCC unroll 16
	for (unsigned i = 0; i < l->nf; i++) {
		const struct ouch_field *f = &l->f[i];
		const uint8_t *src = base + f->mem;
		uint16_t v16;
		uint32_t v32;
		uint64_t v64;

		switch (f->kind) {
		case OUCH_K_CHAR:
			buf[f->off] = *src;
			break;
		case OUCH_K_U16:
			memcpy(&v16, src, sizeof(v16));
			wire_put16(buf + f->off, v16);
			break;
		case OUCH_K_U32:
			memcpy(&v32, src, sizeof(v32));
			wire_put32(buf + f->off, v32);
			break;
		case OUCH_K_U64:
			memcpy(&v64, src, sizeof(v64));
			wire_put64(buf + f->off, v64);
			break;
		default:
			memcpy(buf + f->off, src, f->width);
			break;
		}
	}
}

/* The caller made sure buf holds l->len bytes. Inline and unrolled, as
 * ouch_fields_write. */
static ALWAYS_INLINE void ouch_fields_read(const uint8_t *buf, const struct ouch_layout *l,
					   void *msg)
{
	uint8_t *base = msg;

#pragma GCC unroll 16
	for (unsigned i = 0; i < l->nf; i++) {
		const struct ouch_field *f = &l->f[i];
		uint8_t *dst = base + f->mem;
		uint16_t v16;
		uint32_t v32;
		uint64_t v64;

		switch (f->kind) {
		case OUCH_K_CHAR:
			*dst = buf[f->off];
			break;
		case OUCH_K_U16:
			v16 = wire_get16(buf + f->off);
			memcpy(dst, &v16, sizeof(v16));
			break;
		case OUCH_K_U32:
			v32 = wire_get32(buf + f->off);
			memcpy(dst, &v32, sizeof(v32));
			break;
		case OUCH_K_U64:
			v64 = wire_get64(buf + f->off);
			memcpy(dst, &v64, sizeof(v64));
			break;
		default:
			memcpy(dst, buf + f->off, f->width);
			break;
		}
	}
}

/* Parse n appendage bytes at p (all inside the message) into *a. */
static int ouch_app_read(const uint8_t *p, size_t n, struct ouch_app *a)
{
	size_t k = 0;

	a->n = 0;
	while (k < n) {
		size_t el = p[k + OUCH_TV_OFF_LEN]; /* tag + value bytes */
		size_t vlen;
		unsigned w;
		struct ouch_tv *tv;
		uint8_t tag;

		if (el == 0)
			return -EILSEQ;
		if (el > n - k - 1)
			return -EOVERFLOW;
		tag = p[k + OUCH_TV_OFF_TAG];
		vlen = el - 1;
		w = ouch_tag_width(tag);
		if (w != 0 && vlen != w)
			return -EILSEQ;
		if (vlen > OUCH_TAG_VAL_MAX || a->n >= OUCH_APP_MAX_TAGS)
			return -E2BIG;
		tv = &a->tv[a->n++];
		tv->tag = tag;
		tv->len = (uint8_t)vlen;
		memcpy(tv->val, p + k + OUCH_TV_OFF_VAL, vlen);
		k += 1 + el;
	}
	return 0;
}

static ALWAYS_INLINE int ouch_layout_encode(uint8_t *buf, size_t cap,
					     const struct ouch_layout *l, uint8_t type,
					     const void *msg)
{
	const struct ouch_app *app = NULL;
	size_t n = l->len;

	if (l->app_off) {
		app = (const struct ouch_app *)((const uint8_t *)msg + l->app_mem);
		n += ouch_app_wire_len(app);
	}
	if (cap < n)
		return -ENOSPC;
	buf[OUCH_OFF_TYPE] = type;
	ouch_fields_write(buf, l, msg);
	if (app)
		ouch_app_write(buf + l->app_off, app);
	return (int)n;
}

static ALWAYS_INLINE int ouch_layout_decode(const uint8_t *buf, size_t len,
					     const struct ouch_layout *l, void *msg)
{
	size_t app_len = 0;
	int rc;

	if (len < l->len)
		return -EBADMSG;
	ouch_fields_read(buf, l, msg);
	if (l->app_off) {
		struct ouch_app *app = (struct ouch_app *)((uint8_t *)msg + l->app_mem);

		app_len = wire_get16(buf + l->app_off);
		if (app_len > len - l->len)
			return -EBADMSG;
		/* Most messages carry no appendage: what ouch_app_read does
		 * with none, without the call. */
		if (app_len == 0) {
			app->n = 0;
		} else {
			rc = ouch_app_read(buf + l->len, app_len, app);
			if (rc != 0)
				return rc;
		}
	}
	return (int)(l->len + app_len);
}

/* The table walk for any layout, out of line: the types the paper venue
 * and the gateway do not exchange. */
static NOINLINE int ouch_layout_encode_any(uint8_t *buf, size_t cap,
					   const struct ouch_layout *l, uint8_t type,
					   const void *msg)
{
	return ouch_layout_encode(buf, cap, l, type, msg);
}

static NOINLINE int ouch_layout_decode_any(const uint8_t *buf, size_t len,
					   const struct ouch_layout *l, void *msg)
{
	return ouch_layout_decode(buf, len, l, msg);
}

int ouch_in_encode(uint8_t *buf, size_t cap, const struct ouch_in *m)
{
	switch ((uint8_t)m->type) {
	case OUCH_IN_ENTER:
		return ouch_enter_encode(buf, cap, &m->u.enter);
	case OUCH_IN_REPLACE:
		return ouch_replace_encode(buf, cap, &m->u.replace);
	case OUCH_IN_CANCEL:
		return ouch_cancel_encode(buf, cap, &m->u.cancel);
	case OUCH_IN_MODIFY:
		return ouch_modify_encode(buf, cap, &m->u.modify);
	case OUCH_IN_ACCOUNT_QUERY:
		if (cap < OUCH_ACCOUNT_QUERY_LEN)
			return -ENOSPC;
		buf[OUCH_OFF_TYPE] = OUCH_IN_ACCOUNT_QUERY;
		return OUCH_ACCOUNT_QUERY_LEN;
	default:
		return -EPROTO;
	}
}

/* The reports the paper venue sends (one per order event) with their
 * layout a constant, so the encode is unrolled for each; the rest through
 * the table walk. */
int ouch_out_encode(uint8_t *buf, size_t cap, const struct ouch_out *m)
{
	const struct ouch_layout *l;

	switch ((uint8_t)m->type) {
	case OUCH_OUT_ACCEPTED:
		return ouch_layout_encode(buf, cap, &l_acc, OUCH_OUT_ACCEPTED, m);
	case OUCH_OUT_REPLACED:
		return ouch_layout_encode(buf, cap, &l_repl, OUCH_OUT_REPLACED, m);
	case OUCH_OUT_CANCELED:
		return ouch_layout_encode(buf, cap, &l_cxld, OUCH_OUT_CANCELED, m);
	case OUCH_OUT_EXECUTED:
		return ouch_layout_encode(buf, cap, &l_exec, OUCH_OUT_EXECUTED, m);
	default:
		break;
	}
	l = ouch_out_layout((uint8_t)m->type);
	if (!l)
		return -EPROTO;
	return ouch_layout_encode_any(buf, cap, l, (uint8_t)m->type, m);
}

/* A message of a known type decoded with layout l: its type byte into
 * *type (the message struct's own), then the fields. Inline, so a constant
 * l unrolls (ouch_fields_read). */
static ALWAYS_INLINE int ouch_decode_typed(const uint8_t *buf, size_t len,
					    const struct ouch_layout *l, char *type, void *msg)
{
	*type = (char)buf[OUCH_OFF_TYPE];
	return ouch_layout_decode(buf, len, l, msg);
}

/* As ouch_out_encode: the messages the gateway sends decoded with a
 * constant layout each, the rest through the table walk. */
int ouch_in_decode(const uint8_t *buf, size_t len, struct ouch_in *m)
{
	const struct ouch_layout *l;

	if (len == 0)
		return -EBADMSG;
	switch (buf[OUCH_OFF_TYPE]) {
	case OUCH_IN_ENTER:
		return ouch_decode_typed(buf, len, &l_enter, &m->type, m);
	case OUCH_IN_REPLACE:
		return ouch_decode_typed(buf, len, &l_replace, &m->type, m);
	case OUCH_IN_CANCEL:
		return ouch_decode_typed(buf, len, &l_cancel, &m->type, m);
	default:
		break;
	}
	l = ouch_in_layout(buf[OUCH_OFF_TYPE]);
	if (!l)
		return -EPROTO;
	m->type = (char)buf[OUCH_OFF_TYPE];
	return ouch_layout_decode_any(buf, len, l, m);
}

/* As ouch_in_decode: the reports of an order's life (the paper venue's
 * and a live session's bulk) with a constant layout each. */
int ouch_out_decode(const uint8_t *buf, size_t len, struct ouch_out *m)
{
	const struct ouch_layout *l;

	if (len == 0)
		return -EBADMSG;
	switch (buf[OUCH_OFF_TYPE]) {
	case OUCH_OUT_ACCEPTED:
		return ouch_decode_typed(buf, len, &l_acc, &m->type, m);
	case OUCH_OUT_REPLACED:
		return ouch_decode_typed(buf, len, &l_repl, &m->type, m);
	case OUCH_OUT_CANCELED:
		return ouch_decode_typed(buf, len, &l_cxld, &m->type, m);
	case OUCH_OUT_EXECUTED:
		return ouch_decode_typed(buf, len, &l_exec, &m->type, m);
	default:
		break;
	}
	l = ouch_out_layout(buf[OUCH_OFF_TYPE]);
	if (!l)
		return -EPROTO;
	m->type = (char)buf[OUCH_OFF_TYPE];
	return ouch_layout_decode_any(buf, len, l, m);
}
