/* synth_refbook.c - the reference book behind synth's ground truth, built
 * only from the emitted ITCH messages: per symbol a plain array of live
 * orders, linear search, levels by sorting at checkpoints. Deliberately slow,
 * obvious and independent of dataplane/book.*. Single-threaded (the run). */
#include "tools/synth.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int synth_refbook_init(struct synth_refbook *rb, uint32_t max_locate)
{
	memset(rb, 0, sizeof(*rb));
	rb->nsym = max_locate + 1;
	rb->sym = calloc(rb->nsym, sizeof(*rb->sym));
	return rb->sym ? 0 : -ENOMEM;
}

void synth_refbook_fini(struct synth_refbook *rb)
{
	if (!rb || !rb->sym)
		return;
	for (uint32_t i = 0; i < rb->nsym; i++)
		free(rb->sym[i].o);
	free(rb->sym);
	rb->sym = NULL;
}

static struct synth_ref_sym *sym_of(struct synth_refbook *rb, const struct itch_msg *m)
{
	if (m->locate == 0 || m->locate >= rb->nsym) {
		rb->errors++;
		return NULL;
	}
	return &rb->sym[m->locate];
}

/* Index of order `ref` in s, or -1. */
static long find(const struct synth_ref_sym *s, uint64_t ref)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->o[i].ref == ref)
			return (long)i;
	return -1;
}

static void add(struct synth_refbook *rb, struct synth_ref_sym *s, uint64_t ref,
		uint8_t side, uint32_t price, uint32_t shares)
{
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 16;
		struct synth_ref_order *o = realloc(s->o, sizeof(*o) * cap);

		if (!o) {
			rb->errors++;
			return;
		}
		s->o = o;
		s->cap = cap;
	}
	s->o[s->n++] = (struct synth_ref_order){ ref, price, shares, side };
}

static void remove_at(struct synth_ref_sym *s, long i)
{
	s->o[i] = s->o[--s->n]; /* order within the array does not matter */
}

/* Take shares from order ref; remove it at zero. */
static void take(struct synth_refbook *rb, struct synth_ref_sym *s, uint64_t ref,
		 uint32_t shares)
{
	long i = find(s, ref);

	if (i < 0 || shares > s->o[i].shares) {
		rb->errors++;
		return;
	}
	s->o[i].shares -= shares;
	if (s->o[i].shares == 0)
		remove_at(s, i);
}

void synth_refbook_apply(struct synth_refbook *rb, const struct itch_msg *m)
{
	struct synth_ref_sym *s;
	long i;

	switch (m->type) {
	case 'R':
		if ((s = sym_of(rb, m)))
			memcpy(s->stock, m->directory.stock, 8);
		break;
	case 'H':
		if ((s = sym_of(rb, m)))
			s->state = m->trading_action.state;
		break;
	case 'A':
	case 'F':
		if ((s = sym_of(rb, m))) {
			if (find(s, m->add.ref) >= 0)
				rb->errors++;
			else
				add(rb, s, m->add.ref, m->add.side, m->add.price, m->add.shares);
		}
		break;
	case 'E':
	case 'C':
		if ((s = sym_of(rb, m)))
			take(rb, s, m->exec.ref, m->exec.shares);
		break;
	case 'X':
		if ((s = sym_of(rb, m)))
			take(rb, s, m->cancel.ref, m->cancel.shares);
		break;
	case 'D':
		if ((s = sym_of(rb, m))) {
			i = find(s, m->del.ref);
			if (i < 0)
				rb->errors++;
			else
				remove_at(s, i);
		}
		break;
	case 'U':
		if ((s = sym_of(rb, m))) {
			uint8_t side;

			i = find(s, m->replace.old_ref);
			if (i < 0 || find(s, m->replace.new_ref) >= 0) {
				rb->errors++;
				break;
			}
			side = s->o[i].side;
			remove_at(s, i);
			add(rb, s, m->replace.new_ref, side, m->replace.price, m->replace.shares);
		}
		break;
	default:
		break; /* S, P, Q, B, I, ...: no effect on the displayed book */
	}
}

struct lvl {
	uint32_t price;
	uint64_t shares;
	uint32_t orders;
};

static int by_price_desc(const void *a, const void *b)
{
	uint32_t x = ((const struct lvl *)a)->price, y = ((const struct lvl *)b)->price;

	return x < y ? 1 : x > y ? -1 : 0;
}

static int by_price_asc(const void *a, const void *b)
{
	return -by_price_desc(a, b);
}

/* Symbol as printed: the 8-byte field without its trailing spaces. */
static void stock_name(const char stock[8], char out[16])
{
	int n = 8;

	memcpy(out, stock, 8);
	while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\0'))
		n--;
	out[n] = '\0';
}

/* Sort one side's orders into levels and print the first depth of them. */
static int write_side(FILE *f, const char *name, uint8_t side, const struct synth_ref_sym *s,
		      struct lvl *tmp, uint32_t depth)
{
	uint32_t n = 0, nl = 0;

	for (uint32_t i = 0; i < s->n; i++)
		if (s->o[i].side == side)
			tmp[n++] = (struct lvl){ s->o[i].price, s->o[i].shares, 1 };
	qsort(tmp, n, sizeof(*tmp), side == 'B' ? by_price_desc : by_price_asc);
	for (uint32_t i = 0; i < n; i++) {
		if (nl > 0 && tmp[nl - 1].price == tmp[i].price) {
			tmp[nl - 1].shares += tmp[i].shares;
			tmp[nl - 1].orders++;
		} else {
			tmp[nl++] = tmp[i];
		}
	}
	for (uint32_t i = 0; i < nl && (depth == 0 || i < depth); i++)
		if (fprintf(f, "L %s %c %u %llu %u\n", name, side, tmp[i].price,
			    (unsigned long long)tmp[i].shares, tmp[i].orders) < 0)
			return -EIO;
	return 0;
}

int synth_refbook_write(const struct synth_refbook *rb, FILE *f, uint32_t depth)
{
	struct lvl *tmp = NULL;
	uint32_t cap = 0;
	int rc = 0;

	for (uint32_t l = 1; l < rb->nsym && rc == 0; l++) {
		const struct synth_ref_sym *s = &rb->sym[l];
		char name[16];

		if (s->n == 0 && (s->state == 0 || s->state == 'T'))
			continue;
		stock_name(s->stock, name);
		if (!name[0])
			snprintf(name, sizeof(name), "#%u", (unsigned)(l & 0xFFFFu));
		if (s->state != 0 && s->state != 'T' &&
		    fprintf(f, "H %s %c\n", name, s->state) < 0) {
			rc = -EIO;
			break;
		}
		if (s->n > cap) {
			struct lvl *t = realloc(tmp, sizeof(*t) * s->n);

			if (!t) {
				rc = -ENOMEM;
				break;
			}
			tmp = t;
			cap = s->n;
		}
		rc = write_side(f, name, 'B', s, tmp, depth);
		if (rc == 0)
			rc = write_side(f, name, 'S', s, tmp, depth);
	}
	free(tmp);
	return rc;
}

void synth_refbook_totals(const struct synth_refbook *rb, uint64_t *orders, uint64_t *shares)
{
	uint64_t n = 0, sh = 0;

	for (uint32_t l = 0; l < rb->nsym; l++) {
		n += rb->sym[l].n;
		for (uint32_t i = 0; i < rb->sym[l].n; i++)
			sh += rb->sym[l].o[i].shares;
	}
	*orders = n;
	*shares = sh;
}
