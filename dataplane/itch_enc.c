/* itch_enc.c - ITCH 5.0 message encoding: per-type field offsets (the
 * PROTOCOLS.md section 5 table, checked against itch.h's lengths) and one
 * case per type. Pure; any thread. */
#include "dataplane/itch_enc.h"

#include <errno.h>

#define B ITCH_OFF_BODY

/* Field offsets, named by message letter and field (PROTOCOLS.md section 5).
 * The decoder's table lives privately in itch.c; this one is checked against
 * the shared lengths below so the two cannot drift apart silently. */
enum {
	ENC_S_EVENT = B,
	ENC_R_STOCK = B, ENC_R_MKT_CAT = 19, ENC_R_FIN_STATUS = 20, ENC_R_ROUND_LOT = 21,
	ENC_R_ROUND_ONLY = 25, ENC_R_ISSUE_CLASS = 26, ENC_R_SUB_TYPE = 27, ENC_R_AUTH = 29,
	ENC_R_SSH = 30, ENC_R_IPO = 31, ENC_R_LULD_TIER = 32, ENC_R_ETP = 33,
	ENC_R_ETP_LEV = 34, ENC_R_INVERSE = 38,
	ENC_H_STOCK = B, ENC_H_STATE = 19, ENC_H_RESERVED = 20, ENC_H_REASON = 21,
	ENC_Y_STOCK = B, ENC_Y_ACTION = 19,
	ENC_L_MPID = B, ENC_L_STOCK = 15, ENC_L_PRIMARY = 23, ENC_L_MODE = 24, ENC_L_STATE = 25,
	ENC_V_LEVEL1 = B, ENC_V_LEVEL2 = 19, ENC_V_LEVEL3 = 27,
	ENC_W_LEVEL = B,
	ENC_K_STOCK = B, ENC_K_RELEASE = 19, ENC_K_QUALIFIER = 23, ENC_K_PRICE = 24,
	ENC_J_STOCK = B, ENC_J_REF = 19, ENC_J_UPPER = 23, ENC_J_LOWER = 27, ENC_J_EXT = 31,
	ENC_h_STOCK = B, ENC_h_MARKET = 19, ENC_h_ACTION = 20,
	ENC_A_REF = B, ENC_A_SIDE = 19, ENC_A_SHARES = 20, ENC_A_STOCK = 24, ENC_A_PRICE = 32,
	ENC_F_MPID = 36,
	ENC_E_REF = B, ENC_E_SHARES = 19, ENC_E_MATCH = 23, ENC_C_PRINTABLE = 31,
	ENC_C_PRICE = 32,
	ENC_X_REF = B, ENC_X_SHARES = 19,
	ENC_D_REF = B,
	ENC_U_OLD = B, ENC_U_NEW = 19, ENC_U_SHARES = 27, ENC_U_PRICE = 31,
	ENC_P_REF = B, ENC_P_SIDE = 19, ENC_P_SHARES = 20, ENC_P_STOCK = 24, ENC_P_PRICE = 32,
	ENC_P_MATCH = 36,
	ENC_Q_SHARES = B, ENC_Q_STOCK = 19, ENC_Q_PRICE = 27, ENC_Q_MATCH = 31, ENC_Q_CROSS = 39,
	ENC_B_MATCH = B,
	ENC_I_PAIRED = B, ENC_I_IMBAL = 19, ENC_I_DIR = 27, ENC_I_STOCK = 28, ENC_I_FAR = 36,
	ENC_I_NEAR = 40, ENC_I_REF = 44, ENC_I_CROSS = 48, ENC_I_PVI = 49,
	ENC_N_STOCK = B, ENC_N_FLAG = 19,
	ENC_O_STOCK = B, ENC_O_ELIGIBLE = 19, ENC_O_MIN = 20, ENC_O_MAX = 24, ENC_O_NEAR = 28,
	ENC_O_NEAR_TIME = 32, ENC_O_LOWER = 40, ENC_O_UPPER = 44,
};

/* Each type's last field ends exactly at its length; the first body field
 * starts right after the common header. */
_Static_assert(ENC_S_EVENT + 1 == ITCH_LEN_S, "S layout");
_Static_assert(ENC_R_INVERSE + 1 == ITCH_LEN_R, "R layout");
_Static_assert(ENC_H_REASON + 4 == ITCH_LEN_H, "H layout");
_Static_assert(ENC_Y_ACTION + 1 == ITCH_LEN_Y, "Y layout");
_Static_assert(ENC_L_STATE + 1 == ITCH_LEN_L, "L layout");
_Static_assert(ENC_V_LEVEL3 + 8 == ITCH_LEN_V, "V layout");
_Static_assert(ENC_W_LEVEL + 1 == ITCH_LEN_W, "W layout");
_Static_assert(ENC_K_PRICE + 4 == ITCH_LEN_K, "K layout");
_Static_assert(ENC_J_EXT + 4 == ITCH_LEN_J, "J layout");
_Static_assert(ENC_h_ACTION + 1 == ITCH_LEN_h, "h layout");
_Static_assert(ENC_A_PRICE + 4 == ITCH_LEN_A, "A layout");
_Static_assert(ENC_F_MPID + 4 == ITCH_LEN_F, "F layout");
_Static_assert(ENC_E_MATCH + 8 == ITCH_LEN_E, "E layout");
_Static_assert(ENC_C_PRICE + 4 == ITCH_LEN_C, "C layout");
_Static_assert(ENC_X_SHARES + 4 == ITCH_LEN_X, "X layout");
_Static_assert(ENC_D_REF + 8 == ITCH_LEN_D, "D layout");
_Static_assert(ENC_U_PRICE + 4 == ITCH_LEN_U, "U layout");
_Static_assert(ENC_P_MATCH + 8 == ITCH_LEN_P, "P layout");
_Static_assert(ENC_Q_CROSS + 1 == ITCH_LEN_Q, "Q layout");
_Static_assert(ENC_B_MATCH + 8 == ITCH_LEN_B, "B layout");
_Static_assert(ENC_I_PVI + 1 == ITCH_LEN_I, "I layout");
_Static_assert(ENC_N_FLAG + 1 == ITCH_LEN_N, "N layout");
_Static_assert(ENC_O_UPPER + 4 == ITCH_LEN_O, "O layout");
_Static_assert(ITCH_OFF_TS + 6 == ITCH_OFF_BODY, "common header layout");

int itch_encode(const struct itch_msg *m, uint8_t *p, size_t cap)
{
	uint8_t need = itch_msg_len[m->type];

	if (UNLIKELY(need == 0))
		return -EINVAL;
	if (UNLIKELY(cap < need))
		return -ENOSPC;

	p[ITCH_OFF_TYPE] = m->type;
	wire_put16(p + ITCH_OFF_LOCATE, m->locate);
	wire_put16(p + ITCH_OFF_TRACKING, m->tracking);
	wire_put48(p + ITCH_OFF_TS, m->ts_ns);

	switch (m->type) {
	case 'A':
	case 'F':
		wire_put64(p + ENC_A_REF, m->add.ref);
		p[ENC_A_SIDE] = m->add.side;
		wire_put32(p + ENC_A_SHARES, m->add.shares);
		memcpy(p + ENC_A_STOCK, m->add.stock, 8);
		wire_put32(p + ENC_A_PRICE, m->add.price);
		if (m->type == 'F')
			memcpy(p + ENC_F_MPID, m->add.mpid, 4);
		break;
	case 'E':
	case 'C':
		wire_put64(p + ENC_E_REF, m->exec.ref);
		wire_put32(p + ENC_E_SHARES, m->exec.shares);
		wire_put64(p + ENC_E_MATCH, m->exec.match);
		if (m->type == 'C') {
			p[ENC_C_PRINTABLE] = m->exec.printable;
			wire_put32(p + ENC_C_PRICE, m->exec.price);
		}
		break;
	case 'X':
		wire_put64(p + ENC_X_REF, m->cancel.ref);
		wire_put32(p + ENC_X_SHARES, m->cancel.shares);
		break;
	case 'D':
		wire_put64(p + ENC_D_REF, m->del.ref);
		break;
	case 'U':
		wire_put64(p + ENC_U_OLD, m->replace.old_ref);
		wire_put64(p + ENC_U_NEW, m->replace.new_ref);
		wire_put32(p + ENC_U_SHARES, m->replace.shares);
		wire_put32(p + ENC_U_PRICE, m->replace.price);
		break;
	case 'P':
		wire_put64(p + ENC_P_REF, m->trade.ref);
		p[ENC_P_SIDE] = m->trade.side;
		wire_put32(p + ENC_P_SHARES, m->trade.shares);
		memcpy(p + ENC_P_STOCK, m->trade.stock, 8);
		wire_put32(p + ENC_P_PRICE, m->trade.price);
		wire_put64(p + ENC_P_MATCH, m->trade.match);
		break;
	case 'Q':
		wire_put64(p + ENC_Q_SHARES, m->cross.shares);
		memcpy(p + ENC_Q_STOCK, m->cross.stock, 8);
		wire_put32(p + ENC_Q_PRICE, m->cross.price);
		wire_put64(p + ENC_Q_MATCH, m->cross.match);
		p[ENC_Q_CROSS] = m->cross.cross_type;
		break;
	case 'B':
		wire_put64(p + ENC_B_MATCH, m->broken.match);
		break;
	case 'S':
		p[ENC_S_EVENT] = m->system_event.event_code;
		break;
	case 'R':
		memcpy(p + ENC_R_STOCK, m->directory.stock, 8);
		p[ENC_R_MKT_CAT] = m->directory.market_category;
		p[ENC_R_FIN_STATUS] = m->directory.financial_status;
		wire_put32(p + ENC_R_ROUND_LOT, m->directory.round_lot_size);
		p[ENC_R_ROUND_ONLY] = m->directory.round_lots_only;
		p[ENC_R_ISSUE_CLASS] = m->directory.issue_classification;
		memcpy(p + ENC_R_SUB_TYPE, m->directory.issue_sub_type, 2);
		p[ENC_R_AUTH] = m->directory.authenticity;
		p[ENC_R_SSH] = m->directory.short_sale_threshold;
		p[ENC_R_IPO] = m->directory.ipo_flag;
		p[ENC_R_LULD_TIER] = m->directory.luld_tier;
		p[ENC_R_ETP] = m->directory.etp_flag;
		wire_put32(p + ENC_R_ETP_LEV, m->directory.etp_leverage);
		p[ENC_R_INVERSE] = m->directory.inverse;
		break;
	case 'H':
		memcpy(p + ENC_H_STOCK, m->trading_action.stock, 8);
		p[ENC_H_STATE] = m->trading_action.state;
		p[ENC_H_RESERVED] = m->trading_action.reserved;
		memcpy(p + ENC_H_REASON, m->trading_action.reason, 4);
		break;
	case 'Y':
		memcpy(p + ENC_Y_STOCK, m->reg_sho.stock, 8);
		p[ENC_Y_ACTION] = m->reg_sho.action;
		break;
	case 'L':
		memcpy(p + ENC_L_MPID, m->mp_position.mpid, 4);
		memcpy(p + ENC_L_STOCK, m->mp_position.stock, 8);
		p[ENC_L_PRIMARY] = m->mp_position.primary;
		p[ENC_L_MODE] = m->mp_position.mode;
		p[ENC_L_STATE] = m->mp_position.state;
		break;
	case 'V':
		wire_put64(p + ENC_V_LEVEL1, m->mwcb_decline.level[0]);
		wire_put64(p + ENC_V_LEVEL2, m->mwcb_decline.level[1]);
		wire_put64(p + ENC_V_LEVEL3, m->mwcb_decline.level[2]);
		break;
	case 'W':
		p[ENC_W_LEVEL] = m->mwcb_status.level;
		break;
	case 'K':
		memcpy(p + ENC_K_STOCK, m->ipo.stock, 8);
		wire_put32(p + ENC_K_RELEASE, m->ipo.release_time);
		p[ENC_K_QUALIFIER] = m->ipo.qualifier;
		wire_put32(p + ENC_K_PRICE, m->ipo.price);
		break;
	case 'J':
		memcpy(p + ENC_J_STOCK, m->luld.stock, 8);
		wire_put32(p + ENC_J_REF, m->luld.ref_price);
		wire_put32(p + ENC_J_UPPER, m->luld.upper);
		wire_put32(p + ENC_J_LOWER, m->luld.lower);
		wire_put32(p + ENC_J_EXT, m->luld.extension);
		break;
	case 'h':
		memcpy(p + ENC_h_STOCK, m->op_halt.stock, 8);
		p[ENC_h_MARKET] = m->op_halt.market_code;
		p[ENC_h_ACTION] = m->op_halt.action;
		break;
	case 'I':
		wire_put64(p + ENC_I_PAIRED, m->noii.paired);
		wire_put64(p + ENC_I_IMBAL, m->noii.imbalance);
		p[ENC_I_DIR] = m->noii.direction;
		memcpy(p + ENC_I_STOCK, m->noii.stock, 8);
		wire_put32(p + ENC_I_FAR, m->noii.far_price);
		wire_put32(p + ENC_I_NEAR, m->noii.near_price);
		wire_put32(p + ENC_I_REF, m->noii.ref_price);
		p[ENC_I_CROSS] = m->noii.cross_type;
		p[ENC_I_PVI] = m->noii.price_variation;
		break;
	case 'N':
		memcpy(p + ENC_N_STOCK, m->rpii.stock, 8);
		p[ENC_N_FLAG] = m->rpii.flag;
		break;
	case 'O':
		memcpy(p + ENC_O_STOCK, m->dlcr.stock, 8);
		p[ENC_O_ELIGIBLE] = m->dlcr.open_eligible;
		wire_put32(p + ENC_O_MIN, m->dlcr.min_price);
		wire_put32(p + ENC_O_MAX, m->dlcr.max_price);
		wire_put32(p + ENC_O_NEAR, m->dlcr.near_price);
		wire_put64(p + ENC_O_NEAR_TIME, m->dlcr.near_time);
		wire_put32(p + ENC_O_LOWER, m->dlcr.lower_collar);
		wire_put32(p + ENC_O_UPPER, m->dlcr.upper_collar);
		break;
	}
	return need;
}
