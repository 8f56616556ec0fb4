/* risk.c - pre-trade checks over the order store: setup, the per-symbol
 * reject-storm backoff, the throttle budget and reason names. The checks
 * themselves (fields, kill switch, duplicate tokens, size / notional /
 * collar / worst-case position / open orders / credit / self-cross limits,
 * the integer token-bucket throttle) are inline in risk.h. One owner
 * thread; no allocation after risk_init. */
#include "gateway/risk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ALIGN64(x) (((x) + 63u) & ~(size_t)63u)

static int cfg_ok(const struct risk_cfg *c)
{
	return c && c->max_order_qty >= 1 && c->max_order_qty <= OSTORE_MAX_QTY &&
	       c->max_order_notional > 0 && c->max_open_orders > 0 && c->credit_limit > 0 &&
	       c->credit_limit < (1ull << 62) && c->max_position < (1ull << 62) &&
	       c->rate_per_s > 0 && c->burst > 0 &&
	       (!c->storm_rejects || (c->backoff_ns > 0 && c->backoff_max_ns >= c->backoff_ns));
}

size_t risk_memsize(const struct ostore *os)
{
	if (!os || !os->cfg.max_locate)
		return 0;
	return ALIGN64(((size_t)os->cfg.max_locate + 1) * sizeof(struct risk_sym));
}

int risk_init(struct risk *r, const struct risk_cfg *cfg, const struct ostore *os, void *mem,
	      uint64_t now_ns)
{
	size_t sz = risk_memsize(os);

	if (!r || !cfg_ok(cfg) || !sz || ((uintptr_t)mem & 63u))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	if (!mem) {
		mem = aligned_alloc(64, sz);
		if (!mem)
			return -ENOMEM;
		r->owned = 1;
	}
	memset(mem, 0, sz);
	r->sym = mem;
	r->cfg = *cfg;
	r->os = os;
	r->bucket_cap = (uint64_t)cfg->burst * RISK_NS_PER_S;
	r->full_ns = (r->bucket_cap + cfg->rate_per_s - 1) / cfg->rate_per_s;
	r->bucket = r->bucket_cap;
	r->bucket_ns = now_ns;
	return 0;
}

void risk_fini(struct risk *r)
{
	if (!r)
		return;
	if (r->owned)
		free(r->sym);
	memset(r, 0, sizeof(*r));
}

void risk_set_kill(struct risk *r, int on)
{
	r->kill = on != 0;
}

/* ---- throttle ------------------------------------------------------------ */

uint32_t risk_budget(struct risk *r, uint64_t now_ns)
{
	risk_refill(r, now_ns);
	return (uint32_t)(r->bucket / RISK_NS_PER_S);
}

/* ---- reject storms ------------------------------------------------------- */

static uint64_t since(uint64_t now, uint64_t t)
{
	return now > t ? now - t : 0;
}

void risk_storm_note(struct risk *r, uint16_t locate, uint64_t now_ns)
{
	struct risk_sym *s = &r->sym[locate];
	const struct risk_cfg *c = &r->cfg;

	if (!c->storm_rejects)
		return;
	if (s->level && since(now_ns, s->last_reject_ns) >= c->quiet_ns)
		s->level = 0;
	if (!s->n_rejects || since(now_ns, s->win_start_ns) > c->storm_window_ns) {
		s->win_start_ns = now_ns;
		s->n_rejects = 0;
	}
	s->n_rejects++;
	s->last_reject_ns = now_ns;
	if (s->n_rejects < c->storm_rejects)
		return;
	uint64_t b = c->backoff_ns;

	for (uint32_t i = 0; i < s->level && b < c->backoff_max_ns; i++)
		b <<= 1;
	if (b > c->backoff_max_ns)
		b = c->backoff_max_ns;
	s->until_ns = now_ns + b;
	if (s->until_ns > r->until_max_ns)
		r->until_max_ns = s->until_ns;
	if (s->level < 63)
		s->level++;
	s->n_rejects = 0;
	r->n_storms++;
}

void risk_note_venue_reject(struct risk *r, uint16_t locate, uint64_t now_ns)
{
	if (locate && locate <= r->os->cfg.max_locate)
		risk_storm_note(r, locate, now_ns);
}

/* ---- the checks ---------------------------------------------------------- */

enum risk_reason risk_check_order(struct risk *r, const struct order_intent *in, uint32_t ref_px,
				  uint64_t now_ns)
{
	struct ostore_probe p;

	ostore_probe_homes(r->os, in, &p);
	return risk_check_probed(r, r->os, in, &p, ref_px, now_ns);
}

const char *risk_reason_name(int reason)
{
	static const char *const names[] = {
		[RISK_PASS] = "pass",
		[RISK_BAD_OP] = "bad_op",
		[RISK_BAD_SYMBOL] = "bad_symbol",
		[RISK_UNKNOWN_ORDER] = "unknown_order",
		[RISK_ORDER_BUSY] = "order_busy",
		[RISK_KILL_SWITCH] = "kill_switch",
		[RISK_BAD_SIDE] = "bad_side",
		[RISK_BAD_TOKEN] = "bad_token",
		[RISK_BAD_QTY] = "bad_qty",
		[RISK_BAD_PRICE] = "bad_price",
		[RISK_DUPLICATE] = "duplicate",
		[RISK_BACKOFF] = "backoff",
		[RISK_MAX_QTY] = "max_qty",
		[RISK_MAX_NOTIONAL] = "max_notional",
		[RISK_NO_REFERENCE] = "no_reference",
		[RISK_PRICE_COLLAR] = "price_collar",
		[RISK_MAX_LONG] = "max_long",
		[RISK_MAX_SHORT] = "max_short",
		[RISK_MAX_OPEN] = "max_open",
		[RISK_STORE_FULL] = "store_full",
		[RISK_CREDIT] = "credit",
		[RISK_SELF_CROSS] = "self_cross",
		[RISK_THROTTLE] = "throttle",
	};

	if (reason < 0 || reason >= (int)(sizeof(names) / sizeof(names[0])) || !names[reason])
		return "?";
	return names[reason];
}
