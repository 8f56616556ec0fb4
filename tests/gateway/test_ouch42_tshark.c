/* test_ouch42_tshark.c - the OUCH 4.2 Enter and Cancel encoders checked by an
 * independent reader: the messages go into SoupBinTCP packets inside
 * Ethernet/IPv4/TCP frames in a temporary pcap, and Wireshark's own `ouch`
 * dissector (tshark) must read back every field we put in. Skips (77) when
 * tshark is missing, unless CI is set. One thread. */
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
#include <pcap/pcap.h>

#include "gateway/ouch.h"
#include "gateway/soup.h"

#define TSHARK_PORT 9000

/* One Ethernet/IPv4/TCP frame around payload (checksums left 0: tshark does
 * not verify them by default). Returns the frame length. */
static size_t frame(uint8_t *f, const uint8_t *payload, size_t n, uint32_t seq)
{
	static const uint8_t eth[14] = { 2, 2, 2, 2, 2, 2, 4, 4, 4, 4, 4, 4, 0x08, 0x00 };
	uint8_t *ip = f + 14, *tcp = ip + 20;
	size_t tot = 20 + 20 + n;

	memcpy(f, eth, sizeof(eth));
	memset(ip, 0, 40);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[6] = 0x40;  /* DF */
	ip[8] = 64;    /* TTL */
	ip[9] = 6;     /* TCP */
	memcpy(ip + 12, (const uint8_t[]){ 10, 0, 0, 1, 10, 0, 0, 2 }, 8);
	tcp[0] = 40000 >> 8;
	tcp[1] = 40000 & 0xff;
	tcp[2] = TSHARK_PORT >> 8;
	tcp[3] = TSHARK_PORT & 0xff;
	tcp[4] = (uint8_t)(seq >> 24);
	tcp[5] = (uint8_t)(seq >> 16);
	tcp[6] = (uint8_t)(seq >> 8);
	tcp[7] = (uint8_t)seq;
	tcp[12] = 5 << 4;  /* 20-byte header */
	tcp[13] = 0x18;    /* PSH, ACK */
	tcp[14] = 0xff;
	tcp[15] = 0xff;
	memcpy(tcp + 20, payload, n);
	return 14 + tot;
}

static void test_tshark_reads_our_42_bytes(void **state)
{
	struct ouch_v42_enter e = { .shares = 300, .price = 1923400, .tif_s = 99998,
				    .min_qty = 100, .side = 'B', .display = 'Y',
				    .capacity = 'P', .iso = 'N', .cross_type = 'N',
				    .customer_type = 'R' };
	struct ouch_v42_cancel c = { .shares = 0 };
	uint8_t msg[64], pkt[128], fr[256];
	char path[] = "/tmp/tw_ouch42_XXXXXX";
	char cmd[512], line[512];
	pcap_t *dead;
	pcap_dumper_t *d;
	struct pcap_pkthdr h = { 0 };
	uint32_t seq = 1;
	int fd, n, rows = 0;
	FILE *p;

	(void)state;
	ouch_alpha_set(e.token, OUCH_V42_TOKEN_LEN, "TW000000000001");
	ouch_alpha_set(e.stock, OUCH_SYMBOL_LEN, "AAPL");
	ouch_alpha_set(e.firm, OUCH_V42_FIRM_LEN, "TWFM");
	memcpy(c.token, e.token, OUCH_V42_TOKEN_LEN);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	dead = pcap_open_dead(DLT_EN10MB, 65535);
	assert_non_null(dead);
	d = pcap_dump_open(dead, path);
	assert_non_null(d);

	n = ouch_v42_enter_encode(msg, sizeof(msg), &e);
	assert_int_equal(n, OUCH_V42_ENTER_LEN);
	n = soup_encode_data(pkt, sizeof(pkt), SOUP_T_UNSEQ_DATA, msg, (size_t)n);
	h.caplen = h.len = (bpf_u_int32)frame(fr, pkt, (size_t)n, seq);
	seq += (uint32_t)n;
	pcap_dump((u_char *)d, &h, fr);

	n = ouch_v42_cancel_encode(msg, sizeof(msg), &c);
	assert_int_equal(n, OUCH_V42_CANCEL_LEN);
	n = soup_encode_data(pkt, sizeof(pkt), SOUP_T_UNSEQ_DATA, msg, (size_t)n);
	h.ts.tv_usec = 1;
	h.caplen = h.len = (bpf_u_int32)frame(fr, pkt, (size_t)n, seq);
	pcap_dump((u_char *)d, &h, fr);
	pcap_dump_close(d);
	pcap_close(dead);

	snprintf(cmd, sizeof(cmd),
		 "tshark -r %s -d tcp.port==%d,soupbintcp -T fields -E separator='|' "
		 "-e soupbintcp.packet_type -e ouch.packet_type -e ouch.order_token "
		 "-e ouch.buy_sell_indicator -e ouch.shares -e ouch.stock -e ouch.price "
		 "-e ouch.tif -e ouch.firm -e ouch.display -e ouch.capacity "
		 "-e ouch.iso_eligible -e ouch.min_quantity -e ouch.cross_type "
		 "-e ouch.customer_type 2>/dev/null",
		 path, TSHARK_PORT);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		static const char *want[] = {
			"'U'|'O'|TW000000000001|'B'|300|AAPL    |1923400|99998|TWFM|'Y'|'P'|'N'|100|'N'|'R'\n",
			"'U'|'X'|TW000000000001||0||||||||||\n",
		};

		print_message("tshark: %s", line);
		assert_true(rows < 2);
		assert_string_equal(line, want[rows]);
		rows++;
	}
	assert_int_equal(pclose(p), 0);
	unlink(path);
	assert_int_equal(rows, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tshark_reads_our_42_bytes),
	};

	if (system("tshark -v >/dev/null 2>&1") != 0) {
		printf("tshark not found: skipping the independent OUCH 4.2 check\n");
		return getenv("CI") ? 1 : 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
