/* synth_write.c - synth's output: sequence numbers, MoldUDP64 packing,
 * Ethernet/IPv4/UDP framing, lines A and B, faults (drops, duplicates,
 * reordering, a silent line), heartbeats, end of session, a nanosecond pcap
 * through libpcap, and the ground-truth file. Single-threaded (the run). */
#include "tools/synth.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/itch_enc.h"

/* Frame layout: Ethernet II, IPv4 without options, UDP, then MoldUDP64. */
enum {
	ETH_OFF_DST = 0, ETH_OFF_SRC = 6, ETH_OFF_TYPE = 12, ETH_LEN = 14,
	IP_OFF = ETH_LEN,
	IP_OFF_VER = 0, IP_OFF_TOS = 1, IP_OFF_TOTLEN = 2, IP_OFF_ID = 4, IP_OFF_FRAG = 6,
	IP_OFF_TTL = 8, IP_OFF_PROTO = 9, IP_OFF_CSUM = 10, IP_OFF_SRC = 12, IP_OFF_DST = 16,
	IP_LEN = 20,
	UDP_OFF = IP_OFF + IP_LEN,
	UDP_OFF_SPORT = 0, UDP_OFF_DPORT = 2, UDP_OFF_LEN = 4, UDP_OFF_CSUM = 6, UDP_LEN = 8,
	HDR_LEN = UDP_OFF + UDP_LEN,       /* 42 */
	PAYLOAD_MAX = 1400,                /* MoldUDP64 header + blocks per datagram */
	FRAME_MAX = HDR_LEN + PAYLOAD_MAX,
	MSGS_PER_PKT_MAX = (PAYLOAD_MAX - MOLD_HDR_LEN) / (MOLD_BLOCK_HDR_LEN + ITCH_LEN_W),
};
_Static_assert(HDR_LEN == 42, "Ethernet + IPv4 + UDP headers");

/* Wire timing, in ns: exchange time to line A's wire, line B behind A,
 * the gap a duplicate or a released reordered packet trails by, a 10 Gb/s
 * link's time per byte (0.8 ns), heartbeat period, end-of-session spacing. */
#define WIRE_LATENCY_NS 3000u
#define LINE_B_DELAY_NS 1500u
#define LINE_B_JITTER_NS 500u
#define REDELIVER_NS 100u
#define HEARTBEAT_NS UINT64_C(1000000000)
#define EOS_PACKETS 3
#define PCAP_STDIO_BUF (1u << 20)
/* 2024-01-02 00:00 US Eastern (05:00 UTC), a Tuesday: exchange time is
 * nanoseconds since this midnight. */
#define EPOCH_MIDNIGHT_S INT64_C(1704171600)

/* Line A from 192.0.2.1:49653, line B from 192.0.2.2:49654 (TEST-NET-1). */
static const uint32_t line_src_ip[2] = { 0xC0000201u, 0xC0000202u };
static const uint16_t line_src_port[2] = { 49653, 49654 };
static const uint8_t line_src_mac[2][6] = {
	{ 0x02, 0x00, 0x00, 0x00, 0x00, 0x0A },
	{ 0x02, 0x00, 0x00, 0x00, 0x00, 0x0B },
};

struct rec {
	uint64_t ts;     /* exchange-day ns */
	uint32_t len;
	uint8_t data[FRAME_MAX];
};

/* FIFO of records of one line, in non-decreasing ts. */
struct lineq {
	struct rec *r;
	uint32_t head, n, cap;
};

struct synth_out {
	struct synth_wire_cfg cfg;
	pcap_t *pd;
	pcap_dumper_t *dump;
	FILE *truth;
	struct synth_refbook rb;
	struct synth_rng frng;  /* faults */
	int nlines;

	/* packet being filled */
	uint8_t pay[PAYLOAD_MAX];
	uint32_t pay_len;
	uint16_t pay_count;
	uint64_t pay_seq, pay_first_ts, pay_last_ts;
	uint16_t pay_loc[MSGS_PER_PKT_MAX + 1];

	uint64_t next_seq;      /* sequence number of the next message */
	uint64_t last_ts;       /* exchange time of the last message */
	uint64_t last_ckpt;     /* last checkpointed sequence number */
	uint64_t pkt_index;     /* data packets so far */
	uint64_t wire_a;        /* last data packet's nominal wire time (0: none) */
	uint64_t pub_last;      /* last packet the publisher sent, data or
				 * heartbeat, whatever the faults did to it */

	struct lineq q[2];
	uint64_t q_last[2];     /* last ts queued per line */
	uint16_t ip_id[2];
	int held[2];            /* a reordered packet waits on this line */
	struct rec hold[2];
	uint8_t hdr[2][HDR_LEN];

	/* unrecoverable run being collected */
	uint64_t gap_first, gap_count;
	uint64_t *gap_syms;     /* bitmap over locates */
	char (*names)[9];       /* symbol per locate, learnt from 'R' */

	struct synth_stats st;
	int werr;               /* first write error */
	FILE *err;
};

/* ----------------------------------------------------------- checksums */

/* Ones' complement sum of len bytes (RFC 1071), big-endian words. Summed
 * in native 32-bit words and swapped once at the end: the sum is
 * byte-order independent up to that swap. */
static uint32_t csum_add(uint32_t acc, const uint8_t *p, size_t len)
{
	uint64_t s = 0;
	size_t i = 0;

	for (; i + 4 <= len; i += 4) {
		uint32_t w;

		memcpy(&w, p + i, 4);
		s += w;
	}
	if (i + 2 <= len) {
		uint16_t w;

		memcpy(&w, p + i, 2);
		s += w;
		i += 2;
	}
	if (i < len) {
		uint8_t last[2] = { p[i], 0 };
		uint16_t w;

		memcpy(&w, last, 2);
		s += w;
	}
	while (s >> 16)
		s = (s & 0xFFFF) + (s >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	s = __builtin_bswap16((uint16_t)s);
#endif
	acc += (uint32_t)s;
	return acc;
}

static uint16_t csum_fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xFFFF) + (acc >> 16);
	return (uint16_t)~acc;
}

/* --------------------------------------------------------------- lines */

static void put16(uint8_t *p, uint16_t v)
{
	wire_put16(p, v);
}

static void put32(uint8_t *p, uint32_t v)
{
	wire_put32(p, v);
}

static void header_template(struct synth_out *o, int line)
{
	uint8_t *h = o->hdr[line];
	uint32_t dst = o->cfg.dst_ip;

	memset(h, 0, HDR_LEN);
	/* IPv4 multicast MAC: 01:00:5e + the group's low 23 bits. */
	h[ETH_OFF_DST + 0] = 0x01;
	h[ETH_OFF_DST + 1] = 0x00;
	h[ETH_OFF_DST + 2] = 0x5E;
	h[ETH_OFF_DST + 3] = (uint8_t)((dst >> 16) & 0x7F);
	h[ETH_OFF_DST + 4] = (uint8_t)(dst >> 8);
	h[ETH_OFF_DST + 5] = (uint8_t)dst;
	memcpy(h + ETH_OFF_SRC, line_src_mac[line], 6);
	put16(h + ETH_OFF_TYPE, 0x0800);
	h[IP_OFF + IP_OFF_VER] = 0x45;
	h[IP_OFF + IP_OFF_TOS] = 0;
	put16(h + IP_OFF + IP_OFF_FRAG, 0x4000); /* don't fragment */
	h[IP_OFF + IP_OFF_TTL] = 64;
	h[IP_OFF + IP_OFF_PROTO] = 17;
	put32(h + IP_OFF + IP_OFF_SRC, line_src_ip[line]);
	put32(h + IP_OFF + IP_OFF_DST, dst);
	put16(h + UDP_OFF + UDP_OFF_SPORT, line_src_port[line]);
	put16(h + UDP_OFF + UDP_OFF_DPORT, o->cfg.dst_port);
}

/* Frame of `line` around payload (pay_sum: csum_add(0, pay, len)). */
static void frame_build(struct synth_out *o, int line, const uint8_t *pay, uint32_t len,
			uint32_t pay_sum, struct rec *r)
{
	uint8_t *f = r->data, *ip = f + IP_OFF, *udp = f + UDP_OFF;
	uint16_t udp_len = (uint16_t)(UDP_LEN + len);
	uint8_t pseudo[4];
	uint32_t acc;
	uint16_t c;

	memcpy(f, o->hdr[line], HDR_LEN);
	memcpy(f + HDR_LEN, pay, len);
	put16(ip + IP_OFF_TOTLEN, (uint16_t)(IP_LEN + udp_len));
	put16(ip + IP_OFF_ID, o->ip_id[line]++);
	put16(ip + IP_OFF_CSUM, csum_fold(csum_add(0, ip, IP_LEN)));
	put16(udp + UDP_OFF_LEN, udp_len);
	/* UDP checksum: pseudo header (addresses, protocol, length), header
	 * with a zero checksum field, payload. */
	pseudo[0] = 0;
	pseudo[1] = 17;
	put16(pseudo + 2, udp_len);
	acc = csum_add(0, ip + IP_OFF_SRC, 8);
	acc = csum_add(acc, pseudo, 4);
	acc = csum_add(acc, udp, UDP_LEN);
	c = csum_fold(acc + pay_sum);
	put16(udp + UDP_OFF_CSUM, c ? c : 0xFFFF);
	r->len = HDR_LEN + len;
}

static struct rec *q_push(struct synth_out *o, int line)
{
	struct lineq *q = &o->q[line];

	if (q->n == q->cap) {
		uint32_t cap = q->cap ? q->cap * 2 : 16;
		struct rec *r = malloc(sizeof(*r) * cap);

		if (!r) {
			o->werr = o->werr ? o->werr : -ENOMEM;
			return NULL;
		}
		for (uint32_t i = 0; i < q->n; i++)
			r[i] = q->r[(q->head + i) % q->cap];
		free(q->r);
		q->r = r;
		q->cap = cap;
		q->head = 0;
	}
	return &q->r[(q->head + q->n++) % q->cap];
}

/* Queue a finished record on a line, keeping the line's stamps increasing. */
static void q_commit(struct synth_out *o, int line, struct rec *r)
{
	if (r->ts <= o->q_last[line] && o->q_last[line])
		r->ts = o->q_last[line] + 1;
	o->q_last[line] = r->ts;
	o->st.records[line]++;
}

/* Queue a frame of payload on a line at ts. */
static void line_send(struct synth_out *o, int line, const uint8_t *pay, uint32_t len,
		      uint32_t pay_sum, uint64_t ts)
{
	struct rec *r = q_push(o, line);

	if (!r)
		return;
	frame_build(o, line, pay, len, pay_sum, r);
	r->ts = ts;
	q_commit(o, line, r);
}

static void write_rec(struct synth_out *o, const struct rec *r)
{
	struct pcap_pkthdr h;
	int64_t sec = EPOCH_MIDNIGHT_S + (int64_t)(r->ts / 1000000000u);

	h.ts.tv_sec = (time_t)sec;
	h.ts.tv_usec = (suseconds_t)(r->ts % 1000000000u); /* ns: nano pcap */
	h.caplen = h.len = r->len;
	pcap_dump((u_char *)o->dump, &h, r->data);
}

/* Write queued records with ts <= limit, merged across lines in time order. */
static void flush_upto(struct synth_out *o, uint64_t limit)
{
	for (;;) {
		struct lineq *a = &o->q[0], *b = &o->q[1];
		const struct rec *ra = a->n ? &a->r[a->head] : NULL;
		const struct rec *rb = b->n ? &b->r[b->head] : NULL;
		struct lineq *q;
		const struct rec *r;

		if (ra && (!rb || ra->ts <= rb->ts)) {
			q = a;
			r = ra;
		} else if (rb) {
			q = b;
			r = rb;
		} else {
			break;
		}
		if (r->ts > limit)
			break;
		write_rec(o, r);
		q->head = (q->head + 1) % q->cap;
		q->n--;
	}
}

/* ---------------------------------------------------------------- gaps */

static void gap_close(struct synth_out *o)
{
	if (o->gap_count == 0)
		return;
	o->st.gaps++;
	o->st.lost_msgs += o->gap_count;
	if (o->truth) {
		uint32_t words = (o->cfg.max_locate + 64) / 64;

		fprintf(o->truth, "gap %llu %llu", (unsigned long long)o->gap_first,
			(unsigned long long)o->gap_count);
		for (uint32_t w = 0; w < words; w++)
			for (uint64_t bits = o->gap_syms[w]; bits; bits &= bits - 1) {
				uint32_t l = w * 64 + (uint32_t)__builtin_ctzll(bits);

				if (o->names[l][0])
					fprintf(o->truth, " %s", o->names[l]);
				else
					fprintf(o->truth, " #%u", l);
			}
		fputc('\n', o->truth);
		memset(o->gap_syms, 0, words * sizeof(uint64_t));
	}
	o->gap_count = 0;
}

/* The packet in o->pay reached no line. */
static void gap_add(struct synth_out *o)
{
	if (o->gap_count && o->gap_first + o->gap_count != o->pay_seq)
		gap_close(o);
	if (o->gap_count == 0)
		o->gap_first = o->pay_seq;
	o->gap_count += o->pay_count;
	if (o->gap_syms)
		for (uint16_t i = 0; i < o->pay_count; i++) {
			uint16_t l = o->pay_loc[i];

			if (l && l <= o->cfg.max_locate)
				o->gap_syms[l / 64] |= UINT64_C(1) << (l % 64);
		}
}

/* ------------------------------------------------------------- packets */

static int lose_active(const struct synth_out *o, int line, uint64_t idx)
{
	for (int i = 0; i < o->cfg.faults.nlose; i++)
		if (o->cfg.faults.lose[i].line == line && idx >= o->cfg.faults.lose[i].start &&
		    idx - o->cfg.faults.lose[i].start < o->cfg.faults.lose[i].len)
			return 1;
	return 0;
}

/* Heartbeat or end-of-session packet on every line at ts; seq is the next
 * sequence number the receiver should expect. A line silenced by
 * lose-line around this point sends nothing either. */
static void control_packet(struct synth_out *o, uint16_t count, uint64_t seq, uint64_t ts)
{
	uint8_t pay[MOLD_HDR_LEN];
	uint32_t sum;

	mold_hdr_write(pay, o->cfg.session, seq, count);
	sum = csum_add(0, pay, MOLD_HDR_LEN);
	for (int l = 0; l < o->nlines; l++)
		if (!lose_active(o, l, o->pkt_index))
			line_send(o, l, pay, MOLD_HDR_LEN, sum,
				  ts + (l ? LINE_B_DELAY_NS : 0));
	flush_upto(o, ts);
}

/* Pick a line in [0, nlines) for which ok[line] holds, or -1. */
static int pick_line(struct synth_out *o, const int ok[2])
{
	if (o->nlines == 2 && ok[0] && ok[1])
		return (int)synth_rng_below(&o->frng, 2);
	for (int l = 0; l < o->nlines; l++)
		if (ok[l])
			return l;
	return -1;
}

static void flush_packet(struct synth_out *o)
{
	const struct synth_faults *f = &o->cfg.faults;
	uint64_t t = o->pay_last_ts + WIRE_LATENCY_NS;
	int lost[2] = { 0, 0 }, dup = -1, reorder = -1, all_lost = 1;
	uint32_t sum;

	if (o->pay_count == 0)
		return;
	mold_hdr_write(o->pay, o->cfg.session, o->pay_seq, o->pay_count);
	/* Serialisation of the previous packet at 10 Gb/s: 0.8 ns a byte. */
	if (o->wire_a && t < o->wire_a + (HDR_LEN + 24 + o->pay_len) * 4 / 5)
		t = o->wire_a + (HDR_LEN + 24 + o->pay_len) * 4 / 5;
	/* An idle second or more since the publisher's last packet: a
	 * heartbeat every second until this one (silenced lines drop them). */
	while (o->pub_last && t >= o->pub_last + HEARTBEAT_NS) {
		o->pub_last += HEARTBEAT_NS;
		control_packet(o, MOLD_COUNT_HEARTBEAT, o->pay_seq, o->pub_last);
		o->st.heartbeats++;
	}
	o->wire_a = o->pub_last = t;

	for (int l = 0; l < o->nlines; l++)
		lost[l] = lose_active(o, l, o->pkt_index);
	if (f->gap > 0.0 && synth_rng_unit(&o->frng) < f->gap) {
		if (o->nlines == 2) {
			/* One line only, and only while the other delivers:
			 * the other line fills it. */
			int ok[2] = { !lost[0] && !lost[1], !lost[0] && !lost[1] };
			int l = pick_line(o, ok);

			if (l >= 0)
				lost[l] = 1;
		} else {
			lost[0] = 1;
		}
	}
	for (int l = 0; l < o->nlines; l++) {
		if (lost[l])
			o->st.dropped[l]++;
		else
			all_lost = 0;
	}
	if (!all_lost && f->dup > 0.0 && synth_rng_unit(&o->frng) < f->dup) {
		int ok[2] = { !lost[0], o->nlines == 2 && !lost[1] };

		dup = pick_line(o, ok);
	}
	if (!all_lost && f->reorder > 0.0 && synth_rng_unit(&o->frng) < f->reorder) {
		int ok[2] = { !lost[0] && !o->held[0],
			      o->nlines == 2 && !lost[1] && !o->held[1] };

		reorder = pick_line(o, ok);
	}

	sum = csum_add(0, o->pay, o->pay_len);
	for (int l = 0; l < o->nlines; l++) {
		uint64_t ts = t;

		if (lost[l])
			continue;
		if (l == 1)
			ts += LINE_B_DELAY_NS + (o->pay_seq * 2654435761u) % LINE_B_JITTER_NS;
		if (l == reorder) {
			/* Held back: it follows the line's next packet. */
			frame_build(o, l, o->pay, o->pay_len, sum, &o->hold[l]);
			o->hold[l].ts = ts;
			o->held[l] = 1;
			o->st.reordered[l]++;
			continue;
		}
		line_send(o, l, o->pay, o->pay_len, sum, ts);
		if (l == dup) {
			line_send(o, l, o->pay, o->pay_len, sum, o->q_last[l] + REDELIVER_NS);
			o->st.duplicated[l]++;
		}
		if (o->held[l]) {
			struct rec *r = q_push(o, l);

			if (r) {
				*r = o->hold[l];
				r->ts = o->q_last[l] + REDELIVER_NS;
				q_commit(o, l, r);
			}
			o->held[l] = 0;
		}
	}
	if (all_lost)
		gap_add(o);
	else
		gap_close(o);
	o->st.packets++;
	o->pkt_index++;
	o->pay_count = 0;
	o->pay_len = MOLD_HDR_LEN;
	/* Every later record is stamped at t or after. */
	flush_upto(o, t);
}

/* ------------------------------------------------------------- truth */

static void checkpoint(struct synth_out *o)
{
	if (!o->truth)
		return;
	fprintf(o->truth, "checkpoint %llu %llu\n", (unsigned long long)(o->next_seq - 1),
		(unsigned long long)o->last_ts);
	if (synth_refbook_write(&o->rb, o->truth, o->cfg.truth_depth) != 0 && !o->werr)
		o->werr = -EIO;
	o->last_ckpt = o->next_seq - 1;
}

/* ------------------------------------------------------------------ API */

int synth_out_open(struct synth_out **out, const char *path, const struct synth_wire_cfg *cfg,
		   FILE *err)
{
	struct synth_out *o = calloc(1, sizeof(*o));
	FILE *df;

	*out = NULL;
	if (!o) {
		fprintf(err, "tickwire synth: out of memory\n");
		return -ENOMEM;
	}
	o->cfg = *cfg;
	o->err = err;
	o->nlines = cfg->ab ? 2 : 1;
	o->next_seq = 1;
	o->pay_len = MOLD_HDR_LEN;
	synth_rng_seed(&o->frng, cfg->seed, 0xFA017);
	for (int l = 0; l < 2; l++)
		header_template(o, l);
	o->names = calloc((size_t)cfg->max_locate + 1, sizeof(*o->names));
	o->gap_syms = calloc((cfg->max_locate + 64) / 64, sizeof(uint64_t));
	if (!o->names || !o->gap_syms)
		goto nomem;
	o->pd = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535,
						     PCAP_TSTAMP_PRECISION_NANO);
	if (!o->pd)
		goto nomem;
	/* Our own stream with a large buffer: a 50 M-message capture is
	 * gigabytes, and the default buffer costs a system call per 4 KiB. */
	df = fopen(path, "wb");
	if (df)
		setvbuf(df, NULL, _IOFBF, PCAP_STDIO_BUF);
	o->dump = df ? pcap_dump_fopen(o->pd, df) : NULL;
	if (!o->dump) {
		int e = df ? EIO : errno;

		fprintf(err, "tickwire synth: cannot create '%s': %s\n", path,
			df ? pcap_geterr(o->pd) : strerror(e));
		if (df)
			fclose(df);
		pcap_close(o->pd);
		free(o->names);
		free(o->gap_syms);
		free(o);
		return -e;
	}
	if (cfg->truth_path) {
		if (synth_refbook_init(&o->rb, cfg->max_locate) != 0)
			goto nomem_dump;
		o->truth = fopen(cfg->truth_path, "w");
		if (!o->truth) {
			int e = errno;

			fprintf(err, "tickwire synth: cannot create '%s': %s\n", cfg->truth_path,
				strerror(e));
			synth_refbook_fini(&o->rb);
			pcap_dump_close(o->dump);
			pcap_close(o->pd);
			free(o->names);
			free(o->gap_syms);
			free(o);
			return -e;
		}
		fprintf(o->truth, "# tickwire synth truth 1\n# %s\n",
			cfg->truth_comment ? cfg->truth_comment : "");
	}
	*out = o;
	return 0;
nomem_dump:
	pcap_dump_close(o->dump);
	pcap_close(o->pd);
nomem:
	free(o->names);
	free(o->gap_syms);
	free(o);
	fprintf(err, "tickwire synth: out of memory\n");
	return -ENOMEM;
}

int synth_out_msg(struct synth_out *o, const struct itch_msg *m)
{
	uint32_t need = itch_msg_len[m->type];
	int n;

	if (o->pay_count && (o->pay_len + MOLD_BLOCK_HDR_LEN + need > PAYLOAD_MAX ||
			     m->ts_ns - o->pay_first_ts > o->cfg.batch_ns))
		flush_packet(o);
	if (o->pay_count == 0) {
		o->pay_seq = o->next_seq;
		o->pay_first_ts = m->ts_ns;
	}
	n = itch_encode(m, o->pay + o->pay_len + MOLD_BLOCK_HDR_LEN,
			PAYLOAD_MAX - o->pay_len - MOLD_BLOCK_HDR_LEN);
	if (n < 0)
		return n;
	mold_block_len_write(o->pay + o->pay_len, (uint16_t)n);
	o->pay_len += MOLD_BLOCK_HDR_LEN + (uint32_t)n;
	o->pay_loc[o->pay_count++] = m->locate;
	o->pay_last_ts = m->ts_ns;
	o->last_ts = m->ts_ns;
	o->next_seq++;
	o->st.msgs++;
	o->st.by_type[m->type]++;
	if (m->type == 'R' && m->locate <= o->cfg.max_locate) {
		int k = 8;

		memcpy(o->names[m->locate], m->directory.stock, 8);
		while (k > 0 && o->names[m->locate][k - 1] == ' ')
			k--;
		o->names[m->locate][k] = '\0';
	}
	if (o->truth) {
		synth_refbook_apply(&o->rb, m);
		if (o->cfg.truth_every && (o->next_seq - 1) % o->cfg.truth_every == 0)
			checkpoint(o);
	}
	return o->werr;
}

uint64_t synth_out_count(const struct synth_out *o)
{
	return o->st.msgs;
}

int synth_out_close(struct synth_out *o, struct synth_stats *st, FILE *err)
{
	uint64_t eos0;
	int rc;
	FILE *df;

	if (!o)
		return 0;
	flush_packet(o);
	gap_close(o);
	/* Reordered packets still waiting go out last. */
	for (int l = 0; l < o->nlines; l++)
		if (o->held[l]) {
			struct rec *r = q_push(o, l);

			if (r) {
				*r = o->hold[l];
				r->ts = (o->q_last[l] > r->ts ? o->q_last[l] : r->ts) + REDELIVER_NS;
				q_commit(o, l, r);
			}
			o->held[l] = 0;
		}
	/* End of session, repeated: 1 ms after the last packet, then each
	 * second. */
	eos0 = (o->pub_last ? o->pub_last : WIRE_LATENCY_NS) + UINT64_C(1000000);
	for (int k = 0; k < EOS_PACKETS; k++) {
		uint64_t ts = eos0 + (uint64_t)k * HEARTBEAT_NS;

		control_packet(o, MOLD_COUNT_END, o->next_seq, ts);
		o->st.eos++;
	}
	flush_upto(o, UINT64_MAX);
	if (o->truth) {
		if (o->last_ckpt != o->next_seq - 1 || o->next_seq == 1)
			checkpoint(o);
		fprintf(o->truth, "end %llu\n", (unsigned long long)(o->next_seq - 1));
		o->st.refbook_errors = o->rb.errors;
	}
	rc = o->werr;
	df = pcap_dump_file(o->dump);
	if (pcap_dump_flush(o->dump) != 0 || ferror(df))
		rc = rc ? rc : -EIO;
	pcap_dump_close(o->dump);
	pcap_close(o->pd);
	if (o->truth) {
		if (ferror(o->truth))
			rc = rc ? rc : -EIO;
		if (fclose(o->truth) != 0)
			rc = rc ? rc : -EIO;
		synth_refbook_fini(&o->rb);
	}
	if (rc)
		fprintf(err, "tickwire synth: write error: %s\n", strerror(-rc));
	if (st)
		*st = o->st;
	for (int l = 0; l < 2; l++)
		free(o->q[l].r);
	free(o->names);
	free(o->gap_syms);
	free(o);
	return rc;
}
