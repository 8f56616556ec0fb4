/* test_pcap_src.c - capture reader (dataplane/pcap_src.h) on the real
 * captures in ../shared/data/pcap: every ITCH file framed with zero errors,
 * totals, field-exact packets (values from tshark and a Python decode), TCP
 * captures as non-UDP, us/ns stamps, pcapng, SLL, and open/read errors.
 * Runs from the project root; one thread. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dataplane/itch.h"
#include "dataplane/mold.h"
#include "dataplane/net.h"
#include "dataplane/pcap_src.h"
#include "tests/test_data.h"

#define ITCH_DIR TW_DATA_DIR "/pcap/nasdaq-itch50/"
#define OUCH_DIR TW_DATA_DIR "/pcap/nasdaq-ouch50/"
#define JNX_DIR TW_DATA_DIR "/pcap/jnx-soupbintcp/"

/* What one file held. */
struct file_sum {
	unsigned packets, messages;
	unsigned types[256];
	unsigned msgs_per_pkt_max;
	size_t payload_max;
};

/* Read a whole ITCH capture: every frame must parse to UDP, pass the default
 * filter, be a well-formed MoldUDP64 packet, and every block must decode as
 * ITCH 5.0 with exactly its type's length. */
static void read_itch_file(const char *path, struct file_sum *sum)
{
	struct net_filter all = { 0 };
	struct pcap_src src;
	struct pcap_src_pkt pkt;
	int rc;

	memset(sum, 0, sizeof(*sum));
	rc = pcap_src_init(&src, path);
	if (rc != 0) {
		print_error("%s: init %d: %s\n", path, rc, src.err);
		fail();
	}
	assert_int_equal(src.link, NET_LINK_ETH);
	assert_true(src.file_bytes > 24);
	while ((rc = pcap_src_next(&src, &pkt)) == 1) {
		struct net_udp u;
		struct mold_pkt mp;
		const uint8_t *p;
		int nr = net_parse_link(src.link, pkt.data, pkt.caplen, pkt.wirelen, &u);

		if (nr != 0) {
			print_error("%s pkt %u: net %d (%s)\n", path, sum->packets, nr,
				    net_reason_name(nr));
			fail();
		}
		assert_true(net_filter_match(&all, &u));
		nr = mold_parse(u.payload, u.payload_len, &mp);
		if (nr != 0) {
			print_error("%s pkt %u: mold %d (%s)\n", path, sum->packets, nr,
				    mold_reason_name(nr));
			fail();
		}
		p = mp.blocks;
		for (unsigned i = 0; i < mp.nmsgs; i++) {
			uint16_t len = mold_block_len(p);
			struct itch_msg m;
			int d = itch_decode(p + MOLD_BLOCK_HDR_LEN, len, &m);

			if (d != (int)len || len != itch_msg_len[p[MOLD_BLOCK_HDR_LEN]]) {
				print_error("%s pkt %u msg %u: type '%c' len %u decoded %d table %u\n",
					    path, sum->packets, i, p[MOLD_BLOCK_HDR_LEN], len, d,
					    itch_msg_len[p[MOLD_BLOCK_HDR_LEN]]);
				fail();
			}
			sum->types[m.type]++;
			sum->messages++;
			p += MOLD_BLOCK_HDR_LEN + len;
		}
		assert_ptr_equal(p, u.payload + u.payload_len);
		if (mp.nmsgs > sum->msgs_per_pkt_max)
			sum->msgs_per_pkt_max = mp.nmsgs;
		if (u.payload_len > sum->payload_max)
			sum->payload_max = u.payload_len;
		sum->packets++;
	}
	if (rc != 0) {
		print_error("%s: next %d: %s\n", path, rc, src.err);
		fail();
	}
	assert_int_equal(src.packets, sum->packets);
	assert_int_equal(pcap_src_offset(&src), src.file_bytes); /* all consumed */
	pcap_src_fini(&src);
}

/* The re-wrapped single-message files: type by name, 5 records (1 for S). */
struct dated {
	const char *file;
	char type;
	unsigned packets;
};

static const struct dated dated_files[] = {
	{ "20230822_AddOrderNoMPID.pcap", 'A', 5 },
	{ "20230822_AddOrderWithMPID.pcap", 'F', 5 },
	{ "20230822_CrossTrade.pcap", 'Q', 5 },
	{ "20230822_LULDAuctionCollar.pcap", 'J', 5 },
	{ "20230822_MarketParticipantPosition.pcap", 'L', 5 },
	{ "20230822_NetOrderImbalanceIndicator.pcap", 'I', 5 },
	{ "20230822_NonCrossTrade.pcap", 'P', 5 },
	{ "20230822_OrderCancel.pcap", 'X', 5 },
	{ "20230822_OrderDelete.pcap", 'D', 5 },
	{ "20230822_OrderExecuted.pcap", 'E', 5 },
	{ "20230822_OrderExecutedWithPrice.pcap", 'C', 5 },
	{ "20230822_OrderReplace.pcap", 'U', 5 },
	{ "20230822_RegSHORestriction.pcap", 'Y', 5 },
	{ "20230822_StockTradingAction.pcap", 'H', 5 },
	{ "20230822_SystemEvent.pcap", 'S', 1 },
	{ "bx_20230822_AddOrderMpidAttributionMessage.pcap", 'F', 5 },
	{ "bx_20230822_AddOrderNoMpidAttributionMessage.pcap", 'A', 5 },
	{ "bx_20230822_NonCrossTradeMessage.pcap", 'P', 5 },
	{ "bx_20230822_OrderCancelMessage.pcap", 'X', 5 },
	{ "bx_20230822_OrderDeleteMessage.pcap", 'D', 5 },
	{ "bx_20230822_OrderExecutedMessage.pcap", 'E', 5 },
	{ "bx_20230822_OrderExecutedWithPriceMessage.pcap", 'C', 5 },
	{ "bx_20230822_OrderReplaceMessage.pcap", 'U', 5 },
	{ "bx_20230822_RegShoShortSalePriceTestRestrictedIndicatorMessage.pcap", 'Y', 5 },
	{ "bx_20230822_RetailInterestMessage.pcap", 'N', 5 },
	{ "bx_20230822_StockTradingActionMessage.pcap", 'H', 5 },
	{ "bx_20230822_SystemEventMessage.pcap", 'S', 1 },
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every file in the folder, undated ones summed, dated ones by name. */
static void test_every_itch_file(void **state)
{
	static const struct { char type; unsigned n; } undated_types[] = {
		{ 'A', 37 }, { 'D', 2 }, { 'F', 2 }, { 'E', 1 },
		{ 'H', 1 }, { 'I', 1 }, { 'L', 1 }, { 'U', 1 },
	};
	struct file_sum undated = { 0 };
	unsigned nfiles = 0, nundated = 0, ndated = 0;
	char *names[128];
	struct dirent *de;
	DIR *d = opendir(ITCH_DIR);
	(void)state;

	if (!d) {
		print_error("cannot open %s (run from the project root)\n", ITCH_DIR);
		fail();
	}
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (n > 5 && strcmp(de->d_name + n - 5, ".pcap") == 0) {
			assert_true(nfiles < 128);
			names[nfiles++] = strdup(de->d_name);
		}
	}
	closedir(d);
	qsort(names, nfiles, sizeof(names[0]), cmp_str);
	for (unsigned f = 0; f < nfiles; f++) {
		char path[512];
		struct file_sum sum;
		const struct dated *dt = NULL;

		snprintf(path, sizeof(path), "%s%s", ITCH_DIR, names[f]);
		read_itch_file(path, &sum);
		for (size_t k = 0; k < sizeof(dated_files) / sizeof(dated_files[0]); k++)
			if (strcmp(dated_files[k].file, names[f]) == 0)
				dt = &dated_files[k];
		if (dt) {
			unsigned char t = (unsigned char)dt->type;

			if (sum.packets != dt->packets || sum.messages != dt->packets ||
			    sum.types[t] != dt->packets || sum.msgs_per_pkt_max != 1) {
				print_error("%s: %u packets %u messages, %u of '%c'\n", names[f],
					    sum.packets, sum.messages, sum.types[t], dt->type);
				fail();
			}
			ndated++;
		} else {
			assert_true(strncmp(names[f], "20230822_", 9) != 0 &&
				    strncmp(names[f], "bx_", 3) != 0);
			if (strcmp(names[f], "Multiple.Packets.pcap") == 0) {
				assert_int_equal(sum.packets, 2);
				assert_int_equal(sum.msgs_per_pkt_max, 38);
				assert_int_equal(sum.payload_max, 1472);
			}
			undated.packets += sum.packets;
			undated.messages += sum.messages;
			for (int t = 0; t < 256; t++)
				undated.types[t] += sum.types[t];
			nundated++;
		}
		free(names[f]);
	}
	assert_int_equal(nfiles, 35);
	assert_int_equal(ndated, 27);
	assert_int_equal(nundated, 8);
	assert_int_equal(undated.packets, 9);
	assert_int_equal(undated.messages, 46);
	for (size_t k = 0; k < sizeof(undated_types) / sizeof(undated_types[0]); k++) {
		if (undated.types[(unsigned char)undated_types[k].type] != undated_types[k].n) {
			print_error("type '%c': %u, want %u\n", undated_types[k].type,
				    undated.types[(unsigned char)undated_types[k].type],
				    undated_types[k].n);
			fail();
		}
	}
}

/* ---- field-exact packets ---------------------------------------------- */

/* One undated file's single record, as tshark -d udp.port==26477,moldudp64
 * shows it: epoch stamp, frame length, MoldUDP64 sequence, message length. */
struct exact {
	const char *file;
	unsigned record;
	uint64_t ts_ns;
	uint32_t frame_len;
	uint64_t seq;
	uint16_t count;
	size_t payload_len;
	uint16_t first_msg_len;
};

static const struct exact exacts[] = {
	{ "AddOrderNoMpidAttributionMessage.pcap", 0, 1692711000000059094ull, 104, 14757721, 1,
	  58, 36 },
	{ "MarketParticipantPositionMessage.pcap", 0, 1692711024494967428ull, 94, 17861990, 1,
	  48, 26 },
	{ "Multiple.Packets.pcap", 0, 1692711000007661955ull, 87, 14764496, 1, 41, 19 },
	{ "Multiple.Packets.pcap", 1, 1692711038952561782ull, 1518, 19009117, 38, 1472, 36 },
	{ "NetOrderImbalanceIndicatorMessage.pcap", 0, 1692711000000434142ull, 118, 14757919, 1,
	  72, 50 },
	{ "OrderDeleteMessage.pcap", 0, 1692711000000059938ull, 87, 14757722, 1, 41, 19 },
	{ "OrderExecutedMessage.pcap", 0, 1692711000000100490ull, 99, 14757745, 1, 53, 31 },
	{ "OrderReplaceMessage.pcap", 0, 1692711000000001318ull, 103, 14757701, 1, 57, 35 },
	{ "StockTradingActionMessage.pcap", 0, 1692711563322630726ull, 93, 34147961, 1, 47, 25 },
};

/* Open path, skip to record rec, parse its frame and MoldUDP64 header. */
static void load_record(const char *file, unsigned rec, struct pcap_src *src,
			struct pcap_src_pkt *pkt, struct net_udp *u, struct mold_pkt *mp)
{
	char path[512];

	snprintf(path, sizeof(path), "%s%s", ITCH_DIR, file);
	assert_int_equal(pcap_src_init(src, path), 0);
	for (unsigned i = 0; i <= rec; i++)
		assert_int_equal(pcap_src_next(src, pkt), 1);
	assert_int_equal(net_parse_link(src->link, pkt->data, pkt->caplen, pkt->wirelen, u), 0);
	assert_int_equal(mold_parse(u->payload, u->payload_len, mp), 0);
}

/* Message idx of the record as decoded ITCH. */
static void record_msg(const struct mold_pkt *mp, unsigned idx, struct itch_msg *m)
{
	const uint8_t *p = mp->blocks;

	assert_true(idx < mp->nmsgs);
	for (unsigned i = 0; i < idx; i++)
		p += MOLD_BLOCK_HDR_LEN + mold_block_len(p);
	assert_int_equal(itch_decode(p + MOLD_BLOCK_HDR_LEN, mold_block_len(p), m),
			 mold_block_len(p));
}

static void test_exact_headers(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(exacts) / sizeof(exacts[0]); i++) {
		const struct exact *e = &exacts[i];
		struct pcap_src src;
		struct pcap_src_pkt pkt;
		struct net_udp u;
		struct mold_pkt mp;

		load_record(e->file, e->record, &src, &pkt, &u, &mp);
		if (pkt.ts_ns != e->ts_ns || pkt.caplen != e->frame_len ||
		    pkt.wirelen != e->frame_len || mp.hdr.seq != e->seq ||
		    mp.hdr.count != e->count || u.payload_len != e->payload_len ||
		    mold_block_len(mp.blocks) != e->first_msg_len) {
			print_error("%s #%u: ts %llu len %u/%u seq %llu count %u payload %zu "
				    "first %u\n",
				    e->file, e->record, (unsigned long long)pkt.ts_ns, pkt.caplen,
				    pkt.wirelen, (unsigned long long)mp.hdr.seq, mp.hdr.count,
				    u.payload_len, mold_block_len(mp.blocks));
			fail();
		}
		assert_memory_equal(mp.hdr.session, "000010059B", MOLD_SESSION_LEN);
		assert_int_equal(u.vlan_tags, 1);
		assert_int_equal(u.vlan_id, 141);
		assert_int_equal(u.src_ip, net_ip4(206, 200, 127, 138));
		assert_int_equal(u.dst_ip, net_ip4(233, 54, 12, 111));
		assert_int_equal(u.src_port, 49653);
		assert_int_equal(u.dst_port, 26477);
		assert_int_equal(u.payload_off, 46); /* 14 + 4 VLAN + 20 IPv4 + 8 UDP */
		pcap_src_fini(&src);
	}
}

/* ITCH fields of specific messages (values from a Python struct decode). */
static void test_exact_itch_fields(void **state)
{
	struct pcap_src src;
	struct pcap_src_pkt pkt;
	struct net_udp u;
	struct mold_pkt mp;
	struct itch_msg m;
	(void)state;

	load_record("OrderReplaceMessage.pcap", 0, &src, &pkt, &u, &mp);
	record_msg(&mp, 0, &m);
	assert_int_equal(m.type, 'U');
	assert_int_equal(m.locate, 7603);
	assert_int_equal(m.ts_ns, 34199999836649ull);
	assert_int_equal(m.replace.old_ref, 15108479);
	assert_int_equal(m.replace.new_ref, 21361351);
	assert_int_equal(m.replace.shares, 100);
	assert_int_equal(m.replace.price, 1062600);
	pcap_src_fini(&src);

	load_record("AddOrderNoMpidAttributionMessage.pcap", 0, &src, &pkt, &u, &mp);
	record_msg(&mp, 0, &m);
	assert_int_equal(m.type, 'A');
	assert_int_equal(m.locate, 5528);
	assert_int_equal(m.ts_ns, 34199999894278ull);
	assert_int_equal(m.add.ref, 23508286);
	assert_int_equal(m.add.side, 'B');
	assert_int_equal(m.add.shares, 1600);
	assert_memory_equal(m.add.stock, "IVOO    ", 8);
	assert_int_equal(m.add.price, 873900);
	pcap_src_fini(&src);

	load_record("NetOrderImbalanceIndicatorMessage.pcap", 0, &src, &pkt, &u, &mp);
	record_msg(&mp, 0, &m);
	assert_int_equal(m.type, 'I');
	assert_int_equal(m.locate, 6462);
	assert_int_equal(m.ts_ns, 34200000268978ull);
	assert_int_equal(m.noii.paired, 1);
	assert_int_equal(m.noii.imbalance, 0);
	assert_int_equal(m.noii.direction, 'N');
	assert_memory_equal(m.noii.stock, "MDC     ", 8);
	assert_int_equal(m.noii.far_price, 464400);
	assert_int_equal(m.noii.near_price, 464400);
	assert_int_equal(m.noii.ref_price, 464400);
	assert_int_equal(m.noii.cross_type, 'O');
	assert_int_equal(m.noii.price_variation, 'L');
	pcap_src_fini(&src);

	load_record("StockTradingActionMessage.pcap", 0, &src, &pkt, &u, &mp);
	record_msg(&mp, 0, &m);
	assert_int_equal(m.type, 'H');
	assert_int_equal(m.locate, 464);
	assert_int_equal(m.ts_ns, 34763322465824ull);
	assert_memory_equal(m.trading_action.stock, "AMC     ", 8);
	assert_int_equal(m.trading_action.state, 'T');
	assert_memory_equal(m.trading_action.reason, "    ", 4);
	pcap_src_fini(&src);

	load_record("MarketParticipantPositionMessage.pcap", 0, &src, &pkt, &u, &mp);
	record_msg(&mp, 0, &m);
	assert_int_equal(m.type, 'L');
	assert_int_equal(m.locate, 3731);
	assert_memory_equal(m.mp_position.mpid, "MAXM", 4);
	assert_memory_equal(m.mp_position.stock, "FGMC    ", 8);
	assert_int_equal(m.mp_position.primary, 'Y');
	assert_int_equal(m.mp_position.mode, 'N');
	assert_int_equal(m.mp_position.state, 'A');
	pcap_src_fini(&src);

	load_record("OrderExecutedMessage.pcap", 0, &src, &pkt, &u, &mp);
	record_msg(&mp, 0, &m);
	assert_int_equal(m.type, 'E');
	assert_int_equal(m.locate, 2345);
	assert_int_equal(m.tracking, 2);
	assert_int_equal(m.exec.ref, 23499418);
	assert_int_equal(m.exec.shares, 25);
	assert_int_equal(m.exec.match, 255547);
	pcap_src_fini(&src);

	load_record("Multiple.Packets.pcap", 0, &src, &pkt, &u, &mp);
	record_msg(&mp, 0, &m);
	assert_int_equal(m.type, 'D');
	assert_int_equal(m.locate, 2737);
	assert_int_equal(m.del.ref, 23485802);
	pcap_src_fini(&src);

	load_record("Multiple.Packets.pcap", 1, &src, &pkt, &u, &mp);
	record_msg(&mp, 0, &m);
	assert_int_equal(m.type, 'A');
	assert_int_equal(m.locate, 6514);
	assert_int_equal(m.ts_ns, 34238952381153ull);
	assert_int_equal(m.add.ref, 7942047);
	assert_int_equal(m.add.side, 'B');
	assert_int_equal(m.add.shares, 1);
	assert_memory_equal(m.add.stock, "META    ", 8);
	assert_int_equal(m.add.price, 805200);
	record_msg(&mp, 8, &m);
	assert_int_equal(m.type, 'F');
	assert_int_equal(m.add.ref, 9752743);
	assert_int_equal(m.add.shares, 5);
	assert_int_equal(m.add.price, 801100);
	assert_memory_equal(m.add.mpid, "UBSS", 4);
	record_msg(&mp, 37, &m);
	assert_int_equal(m.type, 'A');
	assert_int_equal(m.add.ref, 5325319);
	assert_int_equal(m.add.side, 'S');
	assert_int_equal(m.add.price, 3580000);
	pcap_src_fini(&src);
}

/* ---- non-ITCH captures ------------------------------------------------- */

static void test_tcp_captures_are_not_udp(void **state)
{
	static const char *const files[] = {
		OUCH_DIR "CancelOrderMessage.pcap",   OUCH_DIR "CanceledMessage.pcap",
		OUCH_DIR "ClientHeartbeatPacket.pcap", OUCH_DIR "EnterOrderMessage.pcap",
		OUCH_DIR "OrderAcceptedMessage.pcap", OUCH_DIR "ServerHeartbeatPacket.pcap",
		JNX_DIR "LoginAcceptedPacket.pcap",   JNX_DIR "LoginRequestPacket.pcap",
	};
	struct net_stats st = { 0 };
	(void)state;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct pcap_src src;
		struct pcap_src_pkt pkt;
		int rc;

		assert_int_equal(pcap_src_init(&src, files[i]), 0);
		while ((rc = pcap_src_next(&src, &pkt)) == 1) {
			struct net_udp u;

			net_stats_count(&st, net_parse_link(src.link, pkt.data, pkt.caplen,
							    pkt.wirelen, &u));
		}
		assert_int_equal(rc, 0);
		pcap_src_fini(&src);
	}
	assert_int_equal(st.frames, 8);
	assert_int_equal(st.reason[NET_ENOTUDP], 8);
}

/* EnterOrderMessage.pcap stores microseconds: tshark shows 1683811800.011074000. */
static void test_microsecond_stamps(void **state)
{
	struct pcap_src src;
	struct pcap_src_pkt pkt;
	(void)state;

	assert_int_equal(pcap_src_init(&src, OUCH_DIR "EnterOrderMessage.pcap"), 0);
	assert_int_equal(pcap_src_next(&src, &pkt), 1);
	assert_int_equal(pkt.ts_ns, 1683811800011074000ull);
	assert_int_equal(pkt.caplen, 114);
	assert_int_equal(pcap_src_next(&src, &pkt), 0);
	assert_int_equal(pcap_src_next(&src, &pkt), 0); /* stays at the end */
	pcap_src_fini(&src);
}

/* ---- hand-written files: pcapng, SLL, bad link, truncation, errors ------ */

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
	le16(p, (uint16_t)v);
	le16(p + 2, (uint16_t)(v >> 16));
}

/* Write bytes to a fresh temporary file; path receives its name. */
static void write_tmp(char *path, size_t cap, const void *data, size_t len)
{
	int fd;

	snprintf(path, cap, "/tmp/tw_test_pcap_src_XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

/* A classic pcap (us, little-endian) with one record of link type dlt. */
static size_t make_pcap(uint8_t *buf, uint32_t dlt, const uint8_t *frame, uint32_t caplen,
			uint32_t wirelen, uint32_t sec, uint32_t usec)
{
	le32(buf, 0xa1b2c3d4);
	le16(buf + 4, 2);
	le16(buf + 6, 4);
	le32(buf + 8, 0);
	le32(buf + 12, 0);
	le32(buf + 16, 65535);
	le32(buf + 20, dlt);
	le32(buf + 24, sec);
	le32(buf + 28, usec);
	le32(buf + 32, caplen);
	le32(buf + 36, wirelen);
	memcpy(buf + 40, frame, caplen);
	return 40 + caplen;
}

/* A classic pcap like make_pcap's with snap length snap and one record of
 * caplen bytes of 0x5a (Ethernet), written to a fresh file: path. */
static void write_big_record(char *path, size_t cap, uint32_t snap, uint32_t caplen)
{
	uint8_t *buf = malloc(40 + (size_t)caplen), *frame = calloc(1, caplen);

	assert_non_null(buf);
	assert_non_null(frame);
	memset(frame, 0x5a, caplen);
	make_pcap(buf, 1, frame, caplen, caplen, 5, 6);
	le32(buf + 16, snap);
	write_tmp(path, cap, buf, 40 + (size_t)caplen);
	free(buf);
	free(frame);
}

/* The inline reader against the file's limits: a record longer than the
 * snap length but within PCAP_SRC_MAX_SNAP is read, one longer than both
 * is refused (-EIO), one longer than PCAP_SRC_MAX_SNAP within a larger
 * snap length is read; and a big-endian file (the out-of-line reader)
 * gives the same record as its little-endian twin. */
static void test_record_limits_and_byte_order(void **state)
{
	static const uint32_t cases[][3] = { /* snap, caplen, readable */
		{ 65535, 70000, 1 },
		{ 65535, PCAP_SRC_MAX_SNAP + 1, 0 },
		{ PCAP_SRC_MAX_SNAP + 100, PCAP_SRC_MAX_SNAP + 50, 1 },
	};
	uint8_t frame[64], le[128], be[128];
	struct pcap_src src;
	struct pcap_src_pkt pkt, pkt_le;
	char path[64];
	size_t len;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_big_record(path, sizeof(path), cases[i][0], cases[i][1]);
		assert_int_equal(pcap_src_init(&src, path), 0);
		if (cases[i][2]) {
			assert_int_equal(pcap_src_next(&src, &pkt), 1);
			assert_int_equal(pkt.caplen, cases[i][1]);
			assert_int_equal(pkt.data[cases[i][1] - 1], 0x5a);
			assert_int_equal(pkt.ts_ns, 5000006000ull);
			assert_int_equal(pcap_src_next(&src, &pkt), 0);
		} else {
			assert_int_equal(pcap_src_next(&src, &pkt), -EIO);
			assert_non_null(strstr(src.err, "larger than the snap length"));
		}
		pcap_src_fini(&src);
		unlink(path);
	}

	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7);
	len = make_pcap(le, 1, frame, 60, 64, 1700000000, 250);
	/* the same file with every header field byte-swapped */
	memcpy(be, le, len);
	for (size_t off = 0; off < 40; off += 4) {
		if (off == 4) { /* two u16: version major, minor */
			be[4] = le[5]; be[5] = le[4]; be[6] = le[7]; be[7] = le[6];
			continue;
		}
		for (int k = 0; k < 4; k++)
			be[off + (size_t)k] = le[off + 3 - (size_t)k];
	}
	write_tmp(path, sizeof(path), le, len);
	assert_int_equal(pcap_src_init(&src, path), 0);
	assert_int_equal(pcap_src_next(&src, &pkt_le), 1);
	assert_int_equal(pkt_le.ts_ns, 1700000000000250000ull);
	assert_int_equal(pcap_src_next(&src, &pkt), 0);
	/* (the mapping is gone after fini: compare the frame bytes first) */
	assert_memory_equal(pkt_le.data, frame, 60);
	pcap_src_fini(&src);
	unlink(path);
	write_tmp(path, sizeof(path), be, len);
	assert_int_equal(pcap_src_init(&src, path), 0);
	assert_int_equal(src.map_swap, 1);
	assert_int_equal(pcap_src_next(&src, &pkt), 1);
	assert_int_equal(pkt.caplen, 60);
	assert_int_equal(pkt.wirelen, 64);
	assert_int_equal(pkt.ts_ns, pkt_le.ts_ns);
	assert_memory_equal(pkt.data, frame, 60);
	assert_int_equal(pcap_src_next(&src, &pkt), 0);
	assert_int_equal(src.packets, 1);
	pcap_src_fini(&src);
	unlink(path);
}

/* An SLL frame: 16-byte cooked header, IPv4, UDP 1000 -> 26477, 4 bytes. */
static size_t make_sll_frame(uint8_t *f)
{
	static const uint8_t fr[] = {
		0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
		0x00, 0x00, 0x08, 0x00,                         /* SLL, proto IPv4 */
		0x45, 0x00, 0x00, 0x20, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00,
		0x0a, 0x00, 0x00, 0x01, 0xe9, 0x36, 0x0c, 0x6f, /* 10.0.0.1 -> 233.54.12.111 */
		0x03, 0xe8, 0x67, 0x6d, 0x00, 0x0c, 0x00, 0x00, /* UDP len 12 */
		0xde, 0xad, 0xbe, 0xef,
	};

	memcpy(f, fr, sizeof(fr));
	return sizeof(fr);
}

static void test_sll_link(void **state)
{
	uint8_t frame[64], file[128];
	char path[64];
	struct pcap_src src;
	struct pcap_src_pkt pkt;
	struct net_udp u;
	size_t flen = make_sll_frame(frame);
	size_t len = make_pcap(file, 113, frame, (uint32_t)flen, (uint32_t)flen, 1700000000, 123456);
	(void)state;

	write_tmp(path, sizeof(path), file, len);
	assert_int_equal(pcap_src_init(&src, path), 0);
	assert_int_equal(src.dlt, 113);
	assert_int_equal(src.link, NET_LINK_SLL);
	assert_int_equal(pcap_src_next(&src, &pkt), 1);
	assert_int_equal(pkt.ts_ns, 1700000000123456000ull);
	assert_int_equal(net_parse_link(src.link, pkt.data, pkt.caplen, pkt.wirelen, &u), 0);
	assert_int_equal(u.payload_off, 44);
	assert_int_equal(u.payload_len, 4);
	assert_int_equal(u.src_ip, net_ip4(10, 0, 0, 1));
	assert_int_equal(u.dst_port, 26477);
	assert_int_equal(pcap_src_next(&src, &pkt), 0);
	pcap_src_fini(&src);
	unlink(path);
}

/* pcapng: SHB, IDB (Ethernet, if_tsresol 9 = ns), one EPB. */
static void test_pcapng(void **state)
{
	static const uint8_t eth[] = {
		0x01, 0x00, 0x5e, 0x36, 0x0c, 0x6f, 0xd4, 0xaf, 0xf7, 0xcb, 0x20, 0xd5, 0x08, 0x00,
		0x45, 0x00, 0x00, 0x1e, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00,
		0xce, 0xc8, 0x7f, 0x8a, 0xe9, 0x36, 0x0c, 0x6f,
		0xc1, 0xf5, 0x67, 0x6d, 0x00, 0x0a, 0x00, 0x00, 0x41, 0x42,
	};
	const uint64_t ts = 1692711000000001318ull;
	uint8_t b[256];
	size_t o = 0, epb;
	char path[64];
	struct pcap_src src;
	struct pcap_src_pkt pkt;
	struct net_udp u;
	(void)state;

	memset(b, 0, sizeof(b));
	le32(b + o, 0x0a0d0d0a); /* SHB */
	le32(b + o + 4, 28);
	le32(b + o + 8, 0x1a2b3c4d);
	le16(b + o + 12, 1);
	le16(b + o + 14, 0);
	memset(b + o + 16, 0xff, 8); /* section length unknown */
	le32(b + o + 24, 28);
	o += 28;
	le32(b + o, 1); /* IDB with if_tsresol = 9 */
	le32(b + o + 4, 32);
	le16(b + o + 8, 1); /* LINKTYPE_ETHERNET */
	le32(b + o + 12, 65535);
	le16(b + o + 16, 9);  /* if_tsresol */
	le16(b + o + 18, 1);
	b[o + 20] = 9;
	le16(b + o + 24, 0);  /* opt_endofopt */
	le16(b + o + 26, 0);
	le32(b + o + 28, 32);
	o += 32;
	epb = 32 + ((sizeof(eth) + 3) & ~(size_t)3);
	le32(b + o, 6); /* EPB */
	le32(b + o + 4, (uint32_t)epb);
	le32(b + o + 8, 0);
	le32(b + o + 12, (uint32_t)(ts >> 32));
	le32(b + o + 16, (uint32_t)ts);
	le32(b + o + 20, sizeof(eth));
	le32(b + o + 24, sizeof(eth));
	memcpy(b + o + 28, eth, sizeof(eth));
	le32(b + o + epb - 4, (uint32_t)epb);
	o += epb;

	write_tmp(path, sizeof(path), b, o);
	if (pcap_src_init(&src, path) != 0) {
		print_error("pcapng: %s\n", src.err);
		fail();
	}
	assert_int_equal(src.link, NET_LINK_ETH);
	assert_int_equal(pcap_src_next(&src, &pkt), 1);
	assert_int_equal(pkt.ts_ns, ts);
	assert_int_equal(pkt.caplen, sizeof(eth));
	assert_int_equal(net_parse_link(src.link, pkt.data, pkt.caplen, pkt.wirelen, &u), 0);
	assert_int_equal(u.payload_len, 2);
	assert_memory_equal(u.payload, "AB", 2);
	assert_int_equal(pcap_src_next(&src, &pkt), 0);
	pcap_src_fini(&src);
	unlink(path);
}

static void test_open_errors(void **state)
{
	uint8_t file[128], frame[64];
	char path[64];
	struct pcap_src src;
	struct pcap_src_pkt pkt;
	size_t len;
	int rc;
	(void)state;

	memset(frame, 0x11, sizeof(frame));
	/* Missing file: -ENOENT, and the text names the file and the cause. */
	rc = pcap_src_init(&src, ITCH_DIR "no-such-file.pcap");
	assert_int_equal(rc, -ENOENT);
	assert_non_null(strstr(src.err, "no-such-file.pcap"));
	assert_non_null(strstr(src.err, "No such file"));
	pcap_src_fini(&src); /* harmless after a failed init */
	pcap_src_fini(NULL);

	/* Not a capture: an ITCH BinaryFILE and this project's README. */
	rc = pcap_src_init(&src, TW_DATA_DIR "/itch/12302019_SNIPPET.NASDAQ_ITCH50");
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(src.err, "not a pcap/pcapng capture"));
	assert_non_null(strstr(src.err, "12302019_SNIPPET"));
	assert_int_equal(pcap_src_init(&src, TW_DATA_DIR "/README.md"), -EINVAL);

	/* Empty file. */
	write_tmp(path, sizeof(path), "", 0);
	assert_int_equal(pcap_src_init(&src, path), -EINVAL);
	unlink(path);

	/* A directory. */
	rc = pcap_src_init(&src, ITCH_DIR);
	assert_true(rc < 0);
	assert_true(src.err[0] != '\0');

	/* Unsupported link type (105 = IEEE 802.11). */
	len = make_pcap(file, 105, frame, 0, 0, 1, 0);
	write_tmp(path, sizeof(path), file, len);
	assert_int_equal(pcap_src_init(&src, path), -EPROTONOSUPPORT);
	assert_non_null(strstr(src.err, "unsupported link type 105"));
	unlink(path);

	/* Truncated record: header promises 46 bytes, 10 present. */
	len = make_pcap(file, 1, frame, 46, 46, 1, 0);
	write_tmp(path, sizeof(path), file, len - 36);
	assert_int_equal(pcap_src_init(&src, path), 0);
	assert_int_equal(pcap_src_next(&src, &pkt), -EIO);
	assert_non_null(strstr(src.err, "record 1"));
	pcap_src_fini(&src);
	unlink(path);
}

int main(void)
{
	int data = test_data_require();

	if (data)
		return data;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_itch_file),
		cmocka_unit_test(test_exact_headers),
		cmocka_unit_test(test_exact_itch_fields),
		cmocka_unit_test(test_tcp_captures_are_not_udp),
		cmocka_unit_test(test_microsecond_stamps),
		cmocka_unit_test(test_sll_link),
		cmocka_unit_test(test_record_limits_and_byte_order),
		cmocka_unit_test(test_pcapng),
		cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
