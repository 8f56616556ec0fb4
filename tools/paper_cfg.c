/* paper_cfg.c - the configuration schema of `tickwire paper`: every key,
 * its type, unit, default and range (docs/config.md is generated from this
 * table by `tickwire paper --config-doc`). Start-up only; main thread. */
#include "tools/paper.h"

#include <stddef.h>
#include <string.h>

#define OFF(f) offsetof(struct paper_cfg, f)

static const char *const model_names[] = { "glft", "as", NULL };

const struct conf_key paper_keys[] = {
	/* run */
	{ "run.symbols", CONF_STRING_LIST, OFF(symbols), 0, 0, "[]", NULL,
	  "Symbols to quote, by ITCH stock name; empty: the most active run.top_symbols of the "
	  "capture (found by a first pass). --symbols overrides.",
	  NULL, PAPER_NAME_LEN, PAPER_MAX_SYMS, OFF(n_symbols) },
	{ "run.top_symbols", CONF_UINT32, OFF(top_symbols), 1, PAPER_MAX_SYMS, "10", "symbols",
	  "How many of the busiest symbols to quote when run.symbols is empty.", NULL, 0, 0, 0 },
	{ "run.seed", CONF_UINT64, OFF(seed), 0, 0, "1", NULL,
	  "Seed of the venue's latency jitter; --seed overrides.", NULL, 0, 0, 0 },
	{ "run.md_latency_ns", CONF_UINT64, OFF(md_latency_ns), 0, 1e9, "2000", "ns",
	  "Virtual time from an ITCH message's exchange stamp to our decision on it.", NULL, 0,
	  0, 0 },
	{ "run.max_orders", CONF_UINT32, OFF(max_orders), 1024, 1 << 30, "2097152", "orders",
	  "Recorded orders the L3 book can hold at once, all symbols (memory: about 100 bytes "
	  "each).",
	  NULL, 0, 0, 0 },
	{ "run.all_books", CONF_BOOL, OFF(all_books), 0, 0, "false", NULL,
	  "Keep the L3 book of every symbol in the capture. false: only the quoted symbols' "
	  "books are kept and the other symbols' order and trade messages are read, counted and "
	  "skipped; the strategies and the venue read the quoted books only, so the results are "
	  "the same either way.",
	  NULL, 0, 0, 0 },
	{ "run.series_interval_ms", CONF_UINT32, OFF(series_interval_ms), 1, 3600000, "1000", "ms",
	  "Sampling step of the PnL and inventory series (halved in resolution when full).", NULL,
	  0, 0, 0 },
	{ "run.plots", CONF_BOOL, OFF(plots), 0, 0, "true", NULL,
	  "Render pnl.png and latency.png with gnuplot into the output folder.", NULL, 0, 0, 0 },
	/* fees */
	{ "fees.maker_rebate_e4", CONF_INT32, OFF(maker_rebate_e4), -1000, 1000, "20",
	  "1e-4 USD/share",
	  "Rebate per share when our resting order is filled (negative: a fee). Used by the "
	  "venue, the gateway's books and the quotes.",
	  NULL, 0, 0, 0 },
	{ "fees.taker_fee_e4", CONF_INT32, OFF(taker_fee_e4), -1000, 1000, "30", "1e-4 USD/share",
	  "Fee per share when our order removes liquidity.", NULL, 0, 0, 0 },
	/* strategy */
	{ "strategy.model", CONF_ENUM, OFF(mm.model), 0, 0, "glft", NULL,
	  "Quoting model: glft (Gueant-Lehalle-Fernandez-Tapia 2013 closed form) or as "
	  "(Avellaneda-Stoikov 2008).",
	  model_names, 0, 0, 0 },
	{ "strategy.gamma", CONF_DOUBLE, OFF(mm.gamma), 1e-9, 1e6, "0.1", "1/USD",
	  "Risk aversion per inventory unit.", NULL, 0, 0, 0 },
	{ "strategy.inv_unit", CONF_DOUBLE, OFF(mm.inv_unit), 1, 1e7, "100", "shares",
	  "Shares per inventory unit q of the model.", NULL, 0, 0, 0 },
	{ "strategy.as_horizon_s", CONF_DOUBLE, OFF(mm.as_horizon_s), 1e-3, 1e6, "60", "s",
	  "Avellaneda-Stoikov only: the constant horizon T - t.", NULL, 0, 0, 0 },
	{ "strategy.vol_premium", CONF_DOUBLE, OFF(mm.vol_premium), 0, 1e6, "0", "sigma",
	  "Half-spread added per unit of volatility over one second (additive premium).", NULL,
	  0, 0, 0 },
	{ "strategy.tick", CONF_INT64, OFF(mm.tick), 1, 1e6, "100", "1e-4 USD",
	  "Price grid of our quotes (100 = one cent).", NULL, 0, 0, 0 },
	{ "strategy.levels", CONF_UINT32, OFF(mm.levels), 1, QUOTE_MAX_LEVELS, "3", "levels",
	  "Ladder levels per side.", NULL, 0, 0, 0 },
	{ "strategy.step_ticks", CONF_INT64, OFF(mm.step_ticks), 1, 1000, "1", "ticks",
	  "Distance between ladder levels.", NULL, 0, 0, 0 },
	{ "strategy.sizes", CONF_INT_LIST, OFF(sizes), 0, 1e6, "[100, 100, 100]", "shares",
	  "Shares per ladder level, best first; levels beyond the list are not quoted.", NULL, 0,
	  QUOTE_MAX_LEVELS, OFF(n_sizes) },
	{ "strategy.min_size", CONF_UINT32, OFF(mm.min_size), 1, 1e6, "100", "shares",
	  "Smallest order; also the size of the guaranteed-presence quote.", NULL, 0, 0, 0 },
	{ "strategy.lot", CONF_UINT32, OFF(mm.lot), 1, 1e6, "100", "shares",
	  "Scaled sizes round down to a multiple of this.", NULL, 0, 0, 0 },
	{ "strategy.pos_limit", CONF_INT64, OFF(mm.pos_limit), 1, 1e9, "1000", "shares",
	  "Position limit per symbol: at it, the side that would grow the position is not "
	  "quoted.",
	  NULL, 0, 0, 0 },
	{ "strategy.presence", CONF_BOOL, OFF(mm.presence), 0, 0, "true", NULL,
	  "Guaranteed presence: keep one bid and one ask resting while the regime and the book "
	  "allow.",
	  NULL, 0, 0, 0 },
	{ "strategy.presence_ticks", CONF_UINT32, OFF(mm.presence_ticks), 1, 1000, "1", "ticks",
	  "Closest distance of any quote to fair value, beyond the fee.", NULL, 0, 0, 0 },
	{ "strategy.timer_ms", CONF_UINT32, OFF(timer_ms), 1, 60000, "10", "ms",
	  "Period of the strategy's timer (volatility clock, order ages, staleness).", NULL, 0, 0,
	  0 },
	{ "strategy.fair_weight", CONF_DOUBLE, OFF(mm.fair.weight), 0, 1, "1", NULL,
	  "Micro-price weight: 0 = mid, 1 = full imbalance-weighted micro-price.", NULL, 0, 0, 0 },
	{ "strategy.sigma_min", CONF_DOUBLE, OFF(mm.vol.sigma_min), 0, 1, "5e-05", "1/sqrt(s)",
	  "Floor of the EWMA volatility of fair-value log returns.", NULL, 0, 0, 0 },
	{ "strategy.tolerance_ticks", CONF_UINT32, OFF(tol_ticks), 0, 1000, "1", "ticks",
	  "A working order within this distance of its target is kept.", NULL, 0, 0, 0 },
	{ "strategy.min_life_ms", CONF_UINT32, OFF(min_life_ms), 0, 600000, "5", "ms",
	  "No reprice or resize of an order younger than this.", NULL, 0, 0, 0 },
	{ "strategy.max_age_ms", CONF_UINT32, OFF(max_age_ms), 0, 86400000, "30000", "ms",
	  "Orders older than this are refreshed; 0: no maximum.", NULL, 0, 0, 0 },
	{ "strategy.msg_rate", CONF_UINT32, OFF(msg_rate), 1, 1e6, "50", "messages/s",
	  "Message budget per symbol (token bucket refill).", NULL, 0, 0, 0 },
	{ "strategy.msg_burst", CONF_UINT32, OFF(msg_burst), 1, 1e6, "20", "messages",
	  "Message budget per symbol (token bucket capacity).", NULL, 0, 0, 0 },
	{ "strategy.tox_shrink", CONF_DOUBLE, OFF(tox_shrink), 1e-9, 1e9, "1", "score",
	  "Toxicity score at which a side's size shrinks.", NULL, 0, 0, 0 },
	{ "strategy.tox_pull", CONF_DOUBLE, OFF(tox_pull), 1e-9, 1e9, "2", "score",
	  "Toxicity score at which a side is pulled for the cooldown (above tox_shrink).", NULL,
	  0, 0, 0 },
	{ "strategy.tox_cooldown_ms", CONF_UINT32, OFF(tox_cooldown_ms), 1, 3600000, "2000", "ms",
	  "How long a pulled side stays pulled.", NULL, 0, 0, 0 },
	{ "strategy.drawdown_yellow_usd", CONF_DOUBLE, OFF(dd_yellow_usd), 0, 1e12, "200", "USD",
	  "Drawdown from the symbol's PnL peak that enters Yellow (wider, smaller); 0: off.",
	  NULL, 0, 0, 0 },
	{ "strategy.drawdown_kill_usd", CONF_DOUBLE, OFF(dd_kill_usd), 0, 1e12, "1000", "USD",
	  "Drawdown that trips the kill switch (latched); 0: off.", NULL, 0, 0, 0 },
	{ "strategy.position_yellow", CONF_DOUBLE, OFF(pos_yellow), 0, 100, "0.5", "of pos_limit",
	  "|position| / pos_limit that enters Yellow; 0: off.", NULL, 0, 0, 0 },
	{ "strategy.position_red", CONF_DOUBLE, OFF(pos_red), 0, 100, "0.9", "of pos_limit",
	  "|position| / pos_limit that enters Red (risk-reducing quotes only); 0: off.", NULL, 0,
	  0, 0 },
	{ "strategy.position_kill", CONF_DOUBLE, OFF(pos_kill), 0, 100, "1.5", "of pos_limit",
	  "|position| / pos_limit that trips the kill switch; 0: off.", NULL, 0, 0, 0 },
	/* portfolio */
	{ "portfolio.gross_usd", CONF_DOUBLE, OFF(pf.gross_usd), 1, 1e13, "2000000", "USD",
	  "Budget of the sum over symbols of |position| x price.", NULL, 0, 0, 0 },
	{ "portfolio.net_usd", CONF_DOUBLE, OFF(pf.net_usd), 1, 1e13, "1000000", "USD",
	  "Budget of |sum over symbols of position x price|.", NULL, 0, 0, 0 },
	/* gateway hard limits */
	{ "risk.max_order_qty", CONF_UINT32, OFF(risk_max_qty), 1, 1 << 30, "5000", "shares",
	  "Largest order the gateway lets out.", NULL, 0, 0, 0 },
	{ "risk.max_order_notional_usd", CONF_DOUBLE, OFF(risk_max_notional_usd), 0.01, 1e12,
	  "500000", "USD", "Largest price x quantity of one order.", NULL, 0, 0, 0 },
	{ "risk.collar_bps", CONF_UINT32, OFF(risk_collar_bps), 1, 100000, "500", "bps",
	  "Price collar around the mid: orders further away are refused.", NULL, 0, 0, 0 },
	{ "risk.max_position", CONF_UINT64, OFF(risk_max_position), 1, 1e12, "3000", "shares",
	  "Worst-case position per symbol, counting working and in-flight orders.", NULL, 0, 0,
	  0 },
	{ "risk.max_open_orders", CONF_UINT32, OFF(risk_max_open), 1, 1 << 20, "1000", "orders",
	  "Open orders, all symbols.", NULL, 0, 0, 0 },
	{ "risk.credit_usd", CONF_DOUBLE, OFF(risk_credit_usd), 1, 1e13, "20000000", "USD",
	  "Credit limit: open-order plus position notional, all symbols.", NULL, 0, 0, 0 },
	{ "risk.rate_per_s", CONF_UINT32, OFF(risk_rate), 1, 1e7, "5000", "messages/s",
	  "Gateway message-rate throttle, all symbols.", NULL, 0, 0, 0 },
	{ "risk.burst", CONF_UINT32, OFF(risk_burst), 1, 1e7, "500", "messages",
	  "Gateway throttle burst.", NULL, 0, 0, 0 },
	/* venue */
	{ "venue.entry_latency_ns", CONF_UINT64, OFF(entry_ns), 0, 1e10, "20000", "ns",
	  "Our send -> the venue acts on it (constant part).", NULL, 0, 0, 0 },
	{ "venue.entry_jitter_ns", CONF_UINT64, OFF(entry_jitter_ns), 0, 1e10, "5000", "ns",
	  "Uniform jitter added to each entry latency (seeded by run.seed).", NULL, 0, 0, 0 },
	{ "venue.ack_latency_ns", CONF_UINT64, OFF(ack_ns), 0, 1e10, "20000", "ns",
	  "The venue acts -> its report reaches us (constant part).", NULL, 0, 0, 0 },
	{ "venue.ack_jitter_ns", CONF_UINT64, OFF(ack_jitter_ns), 0, 1e10, "5000", "ns",
	  "Uniform jitter added to each ack latency.", NULL, 0, 0, 0 },
	{ "venue.entry_quantile_ppm", CONF_INT_LIST, OFF(entry_q_ppm), 0, 1e6, "[]", "ppm",
	  "Entry latency as a quantile table instead (with venue.entry_quantile_ns): cumulative "
	  "probabilities in parts per million, first 0, last 1000000, ascending; read as a "
	  "piecewise-linear inverse CDF.",
	  NULL, 0, VENUE_LAT_QMAX, OFF(n_entry_q_ppm) },
	{ "venue.entry_quantile_ns", CONF_INT_LIST, OFF(entry_q_ns), 0, 1e10, "[]", "ns",
	  "Entry latency at each venue.entry_quantile_ppm point, non-decreasing.", NULL, 0,
	  VENUE_LAT_QMAX, OFF(n_entry_q_ns) },
	{ "venue.ack_quantile_ppm", CONF_INT_LIST, OFF(ack_q_ppm), 0, 1e6, "[]", "ppm",
	  "Ack latency as a quantile table instead (with venue.ack_quantile_ns), as for entry.",
	  NULL, 0, VENUE_LAT_QMAX, OFF(n_ack_q_ppm) },
	{ "venue.ack_quantile_ns", CONF_INT_LIST, OFF(ack_q_ns), 0, 1e10, "[]", "ns",
	  "Ack latency at each venue.ack_quantile_ppm point, non-decreasing.", NULL, 0,
	  VENUE_LAT_QMAX, OFF(n_ack_q_ns) },
};

const size_t paper_n_keys = sizeof(paper_keys) / sizeof(paper_keys[0]);

int paper_cfg_defaults(struct paper_cfg *c, struct conf_err *err)
{
	memset(c, 0, sizeof(*c));
	mm_cfg_defaults(&c->mm);
	return conf_defaults(paper_keys, paper_n_keys, c, err);
}
