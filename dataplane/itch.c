/* itch.c - ITCH 5.0 message decoding: the per-type length table and field
 * offsets (PROTOCOLS.md section 5), one case per type. Pure; any thread. */
#include "dataplane/itch.h"

#define B ITCH_OFF_BODY

const uint8_t itch_msg_len[256] = {
	['S'] = ITCH_LEN_S, ['R'] = ITCH_LEN_R, ['H'] = ITCH_LEN_H, ['Y'] = ITCH_LEN_Y,
	['L'] = ITCH_LEN_L, ['V'] = ITCH_LEN_V, ['W'] = ITCH_LEN_W, ['K'] = ITCH_LEN_K,
	['J'] = ITCH_LEN_J, ['h'] = ITCH_LEN_h, ['A'] = ITCH_LEN_A, ['F'] = ITCH_LEN_F,
	['E'] = ITCH_LEN_E, ['C'] = ITCH_LEN_C, ['X'] = ITCH_LEN_X, ['D'] = ITCH_LEN_D,
	['U'] = ITCH_LEN_U, ['P'] = ITCH_LEN_P, ['Q'] = ITCH_LEN_Q, ['B'] = ITCH_LEN_B,
	['I'] = ITCH_LEN_I, ['N'] = ITCH_LEN_N, ['O'] = ITCH_LEN_O,
};

/* Field offsets, named by message letter and field (PROTOCOLS.md). */
enum {
	S_EVENT = B,
	R_STOCK = B, R_MKT_CAT = 19, R_FIN_STATUS = 20, R_ROUND_LOT = 21, R_ROUND_ONLY = 25,
	R_ISSUE_CLASS = 26, R_SUB_TYPE = 27, R_AUTH = 29, R_SSH = 30, R_IPO = 31,
	R_LULD_TIER = 32, R_ETP = 33, R_ETP_LEV = 34, R_INVERSE = 38,
	H_STOCK = B, H_STATE = 19, H_RESERVED = 20, H_REASON = 21,
	Y_STOCK = B, Y_ACTION = 19,
	L_MPID = B, L_STOCK = 15, L_PRIMARY = 23, L_MODE = 24, L_STATE = 25,
	V_LEVEL1 = B, V_LEVEL2 = 19, V_LEVEL3 = 27,
	W_LEVEL = B,
	K_STOCK = B, K_RELEASE = 19, K_QUALIFIER = 23, K_PRICE = 24,
	J_STOCK = B, J_REF = 19, J_UPPER = 23, J_LOWER = 27, J_EXT = 31,
	h_STOCK = B, h_MARKET = 19, h_ACTION = 20,
	A_REF = ITCH_OFF_A_REF, A_SIDE = ITCH_OFF_A_SIDE, A_SHARES = ITCH_OFF_A_SHARES,
	A_STOCK = ITCH_OFF_A_STOCK, A_PRICE = ITCH_OFF_A_PRICE, F_MPID = ITCH_OFF_F_MPID,
	E_REF = ITCH_OFF_E_REF, E_SHARES = ITCH_OFF_E_SHARES, E_MATCH = ITCH_OFF_E_MATCH,
	C_PRINTABLE = ITCH_OFF_C_PRINTABLE, C_PRICE = ITCH_OFF_C_PRICE,
	X_REF = ITCH_OFF_X_REF, X_SHARES = ITCH_OFF_X_SHARES,
	D_REF = ITCH_OFF_D_REF,
	U_OLD = ITCH_OFF_U_OLD, U_NEW = ITCH_OFF_U_NEW, U_SHARES = ITCH_OFF_U_SHARES,
	U_PRICE = ITCH_OFF_U_PRICE,
	P_REF = B, P_SIDE = 19, P_SHARES = 20, P_STOCK = 24, P_PRICE = 32, P_MATCH = 36,
	Q_SHARES = B, Q_STOCK = 19, Q_PRICE = 27, Q_MATCH = 31, Q_CROSS = 39,
	B_MATCH = B,
	I_PAIRED = B, I_IMBAL = 19, I_DIR = 27, I_STOCK = 28, I_FAR = 36, I_NEAR = 40,
	I_REF = 44, I_CROSS = 48, I_PVI = 49,
	N_STOCK = B, N_FLAG = 19,
	O_STOCK = B, O_ELIGIBLE = 19, O_MIN = 20, O_MAX = 24, O_NEAR = 28, O_NEAR_TIME = 32,
	O_LOWER = 40, O_UPPER = 44,
};

/* Each last field must end exactly at its type's length. */
_Static_assert(R_INVERSE + 1 == ITCH_LEN_R, "R layout");
_Static_assert(H_REASON + 4 == ITCH_LEN_H, "H layout");
_Static_assert(L_STATE + 1 == ITCH_LEN_L, "L layout");
_Static_assert(V_LEVEL3 + 8 == ITCH_LEN_V, "V layout");
_Static_assert(K_PRICE + 4 == ITCH_LEN_K, "K layout");
_Static_assert(J_EXT + 4 == ITCH_LEN_J, "J layout");
_Static_assert(h_ACTION + 1 == ITCH_LEN_h, "h layout");
_Static_assert((int)A_REF == (int)B && A_PRICE + 4 == ITCH_LEN_A, "A layout");
_Static_assert(F_MPID + 4 == ITCH_LEN_F, "F layout");
_Static_assert((int)E_REF == (int)B && E_MATCH + 8 == ITCH_LEN_E, "E layout");
_Static_assert(C_PRICE + 4 == ITCH_LEN_C, "C layout");
_Static_assert((int)X_REF == (int)B && X_SHARES + 4 == ITCH_LEN_X, "X layout");
_Static_assert((int)D_REF == (int)B && D_REF + 8 == ITCH_LEN_D, "D layout");
_Static_assert((int)U_OLD == (int)B && U_PRICE + 4 == ITCH_LEN_U, "U layout");
_Static_assert(P_MATCH + 8 == ITCH_LEN_P, "P layout");
_Static_assert(Q_CROSS + 1 == ITCH_LEN_Q, "Q layout");
_Static_assert(B_MATCH + 8 == ITCH_LEN_B, "B layout");
_Static_assert(I_PVI + 1 == ITCH_LEN_I, "I layout");
_Static_assert(N_FLAG + 1 == ITCH_LEN_N, "N layout");
_Static_assert(O_UPPER + 4 == ITCH_LEN_O, "O layout");
_Static_assert(Y_ACTION + 1 == ITCH_LEN_Y, "Y layout");
_Static_assert(S_EVENT + 1 == ITCH_LEN_S, "S layout");
_Static_assert(W_LEVEL + 1 == ITCH_LEN_W, "W layout");

int itch_decode(const uint8_t *p, size_t len, struct itch_msg *m)
{
	uint8_t need;

	if (UNLIKELY(len == 0))
		return -ITCH_EEMPTY;
	need = itch_msg_len[p[ITCH_OFF_TYPE]];
	if (UNLIKELY(need == 0))
		return -ITCH_EUNKNOWN;
	if (UNLIKELY(len < need))
		return -ITCH_ESHORT;

	m->type = p[ITCH_OFF_TYPE];
	m->locate = wire_get16(p + ITCH_OFF_LOCATE);
	m->tracking = wire_get16(p + ITCH_OFF_TRACKING);
	m->ts_ns = wire_get48(p + ITCH_OFF_TS);

	switch (m->type) {
	case 'A':
	case 'F':
		m->add.ref = wire_get64(p + A_REF);
		m->add.side = p[A_SIDE];
		m->add.shares = wire_get32(p + A_SHARES);
		memcpy(m->add.stock, p + A_STOCK, 8);
		m->add.price = wire_get32(p + A_PRICE);
		if (m->type == 'F')
			memcpy(m->add.mpid, p + F_MPID, 4);
		else
			memcpy(m->add.mpid, "    ", 4);
		break;
	case 'E':
	case 'C':
		m->exec.ref = wire_get64(p + E_REF);
		m->exec.shares = wire_get32(p + E_SHARES);
		m->exec.match = wire_get64(p + E_MATCH);
		if (m->type == 'C') {
			m->exec.printable = p[C_PRINTABLE];
			m->exec.price = wire_get32(p + C_PRICE);
		} else {
			m->exec.printable = 'Y';
			m->exec.price = 0;
		}
		break;
	case 'X':
		m->cancel.ref = wire_get64(p + X_REF);
		m->cancel.shares = wire_get32(p + X_SHARES);
		break;
	case 'D':
		m->del.ref = wire_get64(p + D_REF);
		break;
	case 'U':
		m->replace.old_ref = wire_get64(p + U_OLD);
		m->replace.new_ref = wire_get64(p + U_NEW);
		m->replace.shares = wire_get32(p + U_SHARES);
		m->replace.price = wire_get32(p + U_PRICE);
		break;
	case 'P':
		m->trade.ref = wire_get64(p + P_REF);
		m->trade.side = p[P_SIDE];
		m->trade.shares = wire_get32(p + P_SHARES);
		memcpy(m->trade.stock, p + P_STOCK, 8);
		m->trade.price = wire_get32(p + P_PRICE);
		m->trade.match = wire_get64(p + P_MATCH);
		break;
	case 'Q':
		m->cross.shares = wire_get64(p + Q_SHARES);
		memcpy(m->cross.stock, p + Q_STOCK, 8);
		m->cross.price = wire_get32(p + Q_PRICE);
		m->cross.match = wire_get64(p + Q_MATCH);
		m->cross.cross_type = p[Q_CROSS];
		break;
	case 'B':
		m->broken.match = wire_get64(p + B_MATCH);
		break;
	case 'S':
		m->system_event.event_code = p[S_EVENT];
		break;
	case 'R':
		memcpy(m->directory.stock, p + R_STOCK, 8);
		m->directory.market_category = p[R_MKT_CAT];
		m->directory.financial_status = p[R_FIN_STATUS];
		m->directory.round_lot_size = wire_get32(p + R_ROUND_LOT);
		m->directory.round_lots_only = p[R_ROUND_ONLY];
		m->directory.issue_classification = p[R_ISSUE_CLASS];
		memcpy(m->directory.issue_sub_type, p + R_SUB_TYPE, 2);
		m->directory.authenticity = p[R_AUTH];
		m->directory.short_sale_threshold = p[R_SSH];
		m->directory.ipo_flag = p[R_IPO];
		m->directory.luld_tier = p[R_LULD_TIER];
		m->directory.etp_flag = p[R_ETP];
		m->directory.etp_leverage = wire_get32(p + R_ETP_LEV);
		m->directory.inverse = p[R_INVERSE];
		break;
	case 'H':
		memcpy(m->trading_action.stock, p + H_STOCK, 8);
		m->trading_action.state = p[H_STATE];
		m->trading_action.reserved = p[H_RESERVED];
		memcpy(m->trading_action.reason, p + H_REASON, 4);
		break;
	case 'Y':
		memcpy(m->reg_sho.stock, p + Y_STOCK, 8);
		m->reg_sho.action = p[Y_ACTION];
		break;
	case 'L':
		memcpy(m->mp_position.mpid, p + L_MPID, 4);
		memcpy(m->mp_position.stock, p + L_STOCK, 8);
		m->mp_position.primary = p[L_PRIMARY];
		m->mp_position.mode = p[L_MODE];
		m->mp_position.state = p[L_STATE];
		break;
	case 'V':
		m->mwcb_decline.level[0] = wire_get64(p + V_LEVEL1);
		m->mwcb_decline.level[1] = wire_get64(p + V_LEVEL2);
		m->mwcb_decline.level[2] = wire_get64(p + V_LEVEL3);
		break;
	case 'W':
		m->mwcb_status.level = p[W_LEVEL];
		break;
	case 'K':
		memcpy(m->ipo.stock, p + K_STOCK, 8);
		m->ipo.release_time = wire_get32(p + K_RELEASE);
		m->ipo.qualifier = p[K_QUALIFIER];
		m->ipo.price = wire_get32(p + K_PRICE);
		break;
	case 'J':
		memcpy(m->luld.stock, p + J_STOCK, 8);
		m->luld.ref_price = wire_get32(p + J_REF);
		m->luld.upper = wire_get32(p + J_UPPER);
		m->luld.lower = wire_get32(p + J_LOWER);
		m->luld.extension = wire_get32(p + J_EXT);
		break;
	case 'h':
		memcpy(m->op_halt.stock, p + h_STOCK, 8);
		m->op_halt.market_code = p[h_MARKET];
		m->op_halt.action = p[h_ACTION];
		break;
	case 'I':
		m->noii.paired = wire_get64(p + I_PAIRED);
		m->noii.imbalance = wire_get64(p + I_IMBAL);
		m->noii.direction = p[I_DIR];
		memcpy(m->noii.stock, p + I_STOCK, 8);
		m->noii.far_price = wire_get32(p + I_FAR);
		m->noii.near_price = wire_get32(p + I_NEAR);
		m->noii.ref_price = wire_get32(p + I_REF);
		m->noii.cross_type = p[I_CROSS];
		m->noii.price_variation = p[I_PVI];
		break;
	case 'N':
		memcpy(m->rpii.stock, p + N_STOCK, 8);
		m->rpii.flag = p[N_FLAG];
		break;
	case 'O':
		memcpy(m->dlcr.stock, p + O_STOCK, 8);
		m->dlcr.open_eligible = p[O_ELIGIBLE];
		m->dlcr.min_price = wire_get32(p + O_MIN);
		m->dlcr.max_price = wire_get32(p + O_MAX);
		m->dlcr.near_price = wire_get32(p + O_NEAR);
		m->dlcr.near_time = wire_get64(p + O_NEAR_TIME);
		m->dlcr.lower_collar = wire_get32(p + O_LOWER);
		m->dlcr.upper_collar = wire_get32(p + O_UPPER);
		break;
	}
	return need;
}

const char *itch_type_name(uint8_t type)
{
	switch (type) {
	case 'S': return "system event";
	case 'R': return "stock directory";
	case 'H': return "trading action";
	case 'Y': return "reg sho restriction";
	case 'L': return "market participant position";
	case 'V': return "mwcb decline level";
	case 'W': return "mwcb status";
	case 'K': return "ipo quoting period";
	case 'J': return "luld auction collar";
	case 'h': return "operational halt";
	case 'A': return "add order";
	case 'F': return "add order mpid";
	case 'E': return "order executed";
	case 'C': return "order executed with price";
	case 'X': return "order cancel";
	case 'D': return "order delete";
	case 'U': return "order replace";
	case 'P': return "trade";
	case 'Q': return "cross trade";
	case 'B': return "broken trade";
	case 'I': return "noii";
	case 'N': return "rpii";
	case 'O': return "dlcr price discovery";
	}
	return "unknown";
}
