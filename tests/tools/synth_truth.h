/* synth_truth.h - test helpers for `tickwire synth` output: reading a whole
 * file, a growing text buffer, and the ground-truth file (checkpoints with
 * their H and L lines, unrecoverable gaps, the end). Test programs only;
 * one thread. Format: docs/synth.md. */
#ifndef SYNTH_TRUTH_H
#define SYNTH_TRUTH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	*len = 0;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return buf;
}

struct sbuf {
	char *p;
	size_t len, cap;
};

static inline void sbuf_add(struct sbuf *b, const char *line)
{
	size_t n = strlen(line);

	while (b->len + n + 1 > b->cap) {
		b->cap = b->cap ? b->cap * 2 : 4096;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, line, n + 1);
	b->len += n;
}

/* The truth file: at most 64 checkpoints and 4096 gaps. */
struct truth {
	char *text;
	uint64_t nckpt, ckpt_seq[64], ckpt_ts[64];
	char *ckpt_body[64];        /* H and L lines of each checkpoint */
	uint64_t ngap, gap_first[4096], gap_count[4096], gap_nsym[4096];
	uint64_t end_seq;
	char comment[256];
};

static inline void truth_read(struct truth *t, const char *path)
{
	size_t len;
	char *save = NULL, *line;
	char *body = NULL;
	size_t blen = 0;

	memset(t, 0, sizeof(*t));
	t->text = (char *)slurp(path, &len);
	assert_non_null(t->text);
	assert_true(strncmp(t->text, "# tickwire synth truth 1\n", 25) == 0);
	for (line = strtok_r(t->text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long a, b;

		if (line[0] == '#') {
			snprintf(t->comment, sizeof(t->comment), "%s", line);
		} else if (sscanf(line, "checkpoint %llu %llu", &a, &b) == 2) {
			assert_true(t->nckpt < 64);
			if (t->nckpt)
				t->ckpt_body[t->nckpt - 1] = body;
			body = calloc(1, 1);
			blen = 0;
			t->ckpt_seq[t->nckpt] = a;
			t->ckpt_ts[t->nckpt] = b;
			t->nckpt++;
		} else if (sscanf(line, "gap %llu %llu", &a, &b) == 2) {
			uint64_t words = 0;

			assert_true(t->ngap < 4096);
			for (const char *q = line; *q; q++)
				words += *q == ' ';
			t->gap_first[t->ngap] = a;
			t->gap_count[t->ngap] = b;
			t->gap_nsym[t->ngap] = words - 2;
			t->ngap++;
		} else if (sscanf(line, "end %llu", &a) == 1) {
			t->end_seq = a;
		} else {
			char sym[16], side;
			unsigned long long qty;
			unsigned price, orders;

			if (line[0] == 'L')
				assert_int_equal(sscanf(line, "L %15s %c %u %llu %u", sym, &side, &price,
							&qty, &orders), 5);
			else
				assert_int_equal(sscanf(line, "H %15s %c", sym, &side), 2);
			assert_non_null(body);
			body = realloc(body, blen + strlen(line) + 2);
			strcpy(body + blen, line);
			blen += strlen(line);
			body[blen++] = '\n';
			body[blen] = 0;
		}
	}
	if (t->nckpt)
		t->ckpt_body[t->nckpt - 1] = body;
	else
		free(body);
}

static inline void truth_free(struct truth *t)
{
	for (uint64_t i = 0; i < t->nckpt; i++)
		free(t->ckpt_body[i]);
	free(t->text);
}

#endif /* SYNTH_TRUTH_H */
