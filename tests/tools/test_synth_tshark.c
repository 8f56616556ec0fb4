/* test_synth_tshark.c - an independent check of what `tickwire synth` puts
 * on the wire: Wireshark's own MoldUDP64 dissector (tshark) reads every
 * packet of a synthetic capture, finds no malformed packet, and its
 * sequence numbers and message counts add up to what synth wrote. Skipped
 * (77) when tshark is not installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tools/cmd.h"

static char dir[64];

static void test_tshark_reads_synth(void **state)
{
	char pcap[128], cmd[512], line[256];
	const char *argv[] = { "synth", "--model", "cst", "--messages", "20000", "--seed", "3",
			       "--out", pcap, "--quiet", NULL };
	FILE *o = fopen("/dev/null", "w"), *p;
	unsigned long long next = 1, msgs = 0, rows = 0, ends = 0;
	(void)state;

	snprintf(pcap, sizeof(pcap), "%s/t.pcap", dir);
	assert_int_equal(cmd_synth(10, (char **)argv, o, o), 0);
	fclose(o);
	snprintf(cmd, sizeof(cmd),
		 "tshark -r '%s' -d udp.port==26477,moldudp64 -T fields -E separator=, "
		 "-e moldudp64.session -e moldudp64.sequence -e moldudp64.count -e _ws.malformed "
		 "2>/dev/null", pcap);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		char session[32], malformed[32] = "";
		unsigned long long seq, count;

		rows++;
		if (sscanf(line, "%31[^,],%llu,%llu,%31s", session, &seq, &count, malformed) < 3) {
			print_error("tshark row %llu unreadable: %s", rows, line);
			fail();
		}
		assert_string_equal(session, "TICKWIRE01");
		assert_string_equal(malformed, "");
		if (count == 0xFFFF) {
			ends++;
			assert_int_equal(seq, next); /* end of session: next expected */
			continue;
		}
		assert_int_equal(seq, next);     /* contiguous: no faults asked */
		next += count;
		msgs += count;
	}
	assert_int_equal(pclose(p), 0);
	print_message("tshark: %llu packets, %llu messages, %llu end-of-session\n", rows, msgs,
		      ends);
	assert_int_equal(msgs, 20000);
	assert_true(ends >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tshark_reads_synth),
	};
	int rc;

	if (system("tshark --version >/dev/null 2>&1") != 0) {
		printf("test_synth_tshark: skipped: tshark not installed\n");
		return 77;
	}
	snprintf(dir, sizeof(dir), "/tmp/tw_tshark_XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	{
		char rm[128];

		snprintf(rm, sizeof(rm), "rm -rf '%s'", dir);
		if (system(rm) != 0)
			rc = 1;
	}
	return rc;
}
