/* conf.c - the schema-driven configuration loader behind conf.h: checks the
 * key table, parses libconfig text, walks the whole tree refusing what the
 * table does not describe, converts and range-checks values into a scratch
 * copy of the caller's struct and commits it only when everything passed.
 * Also writes the key tables (Markdown) and effective configs. Cold path;
 * any thread, no shared state. */
#include "tools/conf.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libconfig.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CONF_PATH_MAX 255		/* longest dotted path */
#define CONF_TEXT_MAX (1u << 20)	/* largest config text, bytes */
#define CONF_LINES_MAX 65535u		/* libconfig keeps lines in 16 bits */
#define CONF_EXTENT_MAX (1u << 26)	/* largest struct a table may describe */
#define CONF_SHOW 64			/* bytes of user text echoed in messages */

/* ---------------------------------------------------------------- errors */

/* Where messages point: the file (or "--set"/"defaults"), and whether the
 * libconfig settings' lines mean anything. */
struct conf_ctx {
	const struct conf_key *keys;
	size_t n;
	const char *file;
	bool lines;
	struct conf_err *err;
};

static void err_vset(struct conf_err *err, const char *file, int line, const char *fmt,
		     va_list ap)
{
	if (!err)
		return;
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	err->line = line;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

__attribute__((format(printf, 4, 5))) static int err_set(struct conf_err *err, const char *file,
							 int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, file, line, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Refuse at setting s (its line when the context has lines). -EINVAL. */
__attribute__((format(printf, 3, 4))) static int ctx_fail(const struct conf_ctx *c,
							  const config_setting_t *s,
							  const char *fmt, ...)
{
	va_list ap;
	int line = c->lines && s ? (int)config_setting_source_line(s) : 0;

	va_start(ap, fmt);
	err_vset(c->err, c->file, line, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void conf_err_print(const struct conf_err *err, FILE *out)
{
	if (err->line > 0)
		fprintf(out, "%s:%d: %s\n", err->file, err->line, err->msg);
	else
		fprintf(out, "%s: %s\n", err->file, err->msg);
}

/* A growable message, for lists of choices. */
struct conf_sb {
	char buf[400];
	size_t len;
};

__attribute__((format(printf, 2, 3))) static void sb_add(struct conf_sb *sb, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (sb->len >= sizeof(sb->buf) - 1)
		return;
	va_start(ap, fmt);
	w = vsnprintf(sb->buf + sb->len, sizeof(sb->buf) - sb->len, fmt, ap);
	va_end(ap);
	if (w > 0)
		sb->len += (size_t)w < sizeof(sb->buf) - sb->len ? (size_t)w
								 : sizeof(sb->buf) - 1 - sb->len;
}

/* ----------------------------------------------------------- type facts */

static const char *type_name(enum conf_type t)
{
	switch (t) {
	case CONF_BOOL: return "bool";
	case CONF_INT32: return "int32";
	case CONF_UINT32: return "uint32";
	case CONF_INT64: return "int64";
	case CONF_UINT64: return "uint64";
	case CONF_DOUBLE: return "float";
	case CONF_STRING: return "string";
	case CONF_ENUM: return "enum";
	case CONF_STRING_LIST: return "string list";
	case CONF_INT_LIST: return "integer list";
	case CONF_DOUBLE_LIST: return "float list";
	}
	return "?";
}

/* What a key wants, for "expected ..." messages. */
static const char *type_want(enum conf_type t)
{
	switch (t) {
	case CONF_BOOL: return "a boolean (true or false)";
	case CONF_INT32:
	case CONF_UINT32:
	case CONF_INT64:
	case CONF_UINT64: return "an integer";
	case CONF_DOUBLE: return "a number";
	case CONF_STRING:
	case CONF_ENUM: return "a string";
	case CONF_STRING_LIST: return "a list of strings";
	case CONF_INT_LIST: return "a list of integers";
	case CONF_DOUBLE_LIST: return "a list of numbers";
	}
	return "?";
}

/* What a libconfig setting is, for "got ..." messages. */
static const char *setting_what(const config_setting_t *s)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_GROUP: return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64: return "an integer";
	case CONFIG_TYPE_FLOAT: return "a float";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "a boolean";
	case CONFIG_TYPE_ARRAY: return "an array";
	case CONFIG_TYPE_LIST: return "a list";
	}
	return "nothing";
}

static bool type_is_list(enum conf_type t)
{
	return t == CONF_STRING_LIST || t == CONF_INT_LIST || t == CONF_DOUBLE_LIST;
}

static size_t elem_size(const struct conf_key *k)
{
	switch (k->type) {
	case CONF_STRING_LIST: return k->size;
	case CONF_INT_LIST: return sizeof(int64_t);
	case CONF_DOUBLE_LIST: return sizeof(double);
	default: return 0;
	}
}

static size_t field_size(const struct conf_key *k)
{
	switch (k->type) {
	case CONF_BOOL: return sizeof(bool);
	case CONF_INT32:
	case CONF_UINT32: return sizeof(int32_t);
	case CONF_INT64:
	case CONF_UINT64: return sizeof(int64_t);
	case CONF_DOUBLE: return sizeof(double);
	case CONF_STRING: return k->size;
	case CONF_ENUM: return sizeof(int);
	case CONF_STRING_LIST:
	case CONF_INT_LIST:
	case CONF_DOUBLE_LIST: return elem_size(k) * k->max_count;
	}
	return 0;
}

/* One past the last byte of obj the key touches (valid schema only). */
static size_t key_end(const struct conf_key *k)
{
	size_t end = k->offset + field_size(k);

	if (type_is_list(k->type) && k->count_offset + sizeof(size_t) > end)
		end = k->count_offset + sizeof(size_t);
	return end;
}

static size_t keys_extent(const struct conf_key *keys, size_t n)
{
	size_t i, ext = 0;

	for (i = 0; i < n; i++)
		if (key_end(&keys[i]) > ext)
			ext = key_end(&keys[i]);
	return ext ? ext : 1;
}

static bool range_set(const struct conf_key *k)
{
	return !(k->min == 0 && k->max == 0);
}

/* ---------------------------------------------------------- table lookup */

static const struct conf_key *key_find(const struct conf_key *keys, size_t n, const char *path)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(keys[i].path, path) == 0)
			return &keys[i];
	return NULL;
}

/* Is path (len bytes) a group: a proper dotted prefix of some key? */
static bool group_known(const struct conf_key *keys, size_t n, const char *path, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strncmp(keys[i].path, path, len) == 0 && keys[i].path[len] == '.')
			return true;
	return false;
}

static size_t edit_distance(const char *a, size_t al, const char *b, size_t bl)
{
	size_t row[CONF_PATH_MAX + 1], i, j;

	if (al > CONF_PATH_MAX || bl > CONF_PATH_MAX)
		return SIZE_MAX;
	for (j = 0; j <= bl; j++)
		row[j] = j;
	for (i = 1; i <= al; i++) {
		size_t prev = row[0];

		row[0] = i;
		for (j = 1; j <= bl; j++) {
			size_t cur = row[j], best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[bl];
}

static size_t near_enough(size_t len)
{
	return len / 4 > 1 ? len / 4 : 1;
}

/* Closest known key (groups == false) or group (true) to path, or NULL;
 * *len is the length of the suggestion. A key whose last component
 * matches exactly is suggested when nothing is close. */
static const char *suggest(const struct conf_key *keys, size_t n, const char *path, bool groups,
			   size_t *len)
{
	size_t i, plen = strlen(path), best = SIZE_MAX;
	const char *hit = NULL, *leaf = strrchr(path, '.');

	for (i = 0; i < n; i++) {
		const char *p = keys[i].path, *dot;
		size_t d;

		if (!groups) {
			d = edit_distance(path, plen, p, strlen(p));
			if (d < best) {
				best = d;
				hit = p;
				*len = strlen(p);
			}
			continue;
		}
		for (dot = strchr(p, '.'); dot; dot = strchr(dot + 1, '.')) {
			d = edit_distance(path, plen, p, (size_t)(dot - p));
			if (d < best) {
				best = d;
				hit = p;
				*len = (size_t)(dot - p);
			}
		}
	}
	if (hit && best <= near_enough(plen))
		return hit;
	if (groups)
		return NULL;
	leaf = leaf ? leaf + 1 : path;
	for (i = 0; i < n; i++) {
		const char *kl = strrchr(keys[i].path, '.');

		if (strcmp(kl ? kl + 1 : keys[i].path, leaf) == 0) {
			*len = strlen(keys[i].path);
			return keys[i].path;
		}
	}
	return NULL;
}

/* -------------------------------------------------------- schema checks */

static bool name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '*'))
		return false;
	for (i = 1; i < len; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_' || s[i] == '*'))
			return false;
	return true;
}

static int schema_key_check(const struct conf_key *k, size_t idx, struct conf_err *err)
{
	const char *p = k->path, *c, *dot;
	size_t m;

#define SCHEMA_FAIL(...)                                                                 \
	do {                                                                             \
		char what_[300];                                                         \
		snprintf(what_, sizeof(what_), __VA_ARGS__);                             \
		return err_set(err, "schema", 0, "key %zu (%s): %s", idx, p ? p : "NULL", \
			       what_);                                                   \
	} while (0)

	if (!p || strlen(p) > CONF_PATH_MAX)
		SCHEMA_FAIL("path missing or longer than %d bytes", CONF_PATH_MAX);
	for (c = p;; c = dot + 1) {
		dot = strchr(c, '.');
		if (!name_ok(c, dot ? (size_t)(dot - c) : strlen(c)))
			SCHEMA_FAIL("each dotted component must match [A-Za-z*][-A-Za-z0-9_*]*");
		if (!dot)
			break;
	}
	if (k->type < CONF_BOOL || k->type > CONF_DOUBLE_LIST)
		SCHEMA_FAIL("unknown type %d", (int)k->type);
	if (!k->doc || !k->doc[0])
		SCHEMA_FAIL("doc is required");
	if (isnan(k->min) || isnan(k->max) || k->min > k->max)
		SCHEMA_FAIL("min must be <= max");
	if ((k->type == CONF_STRING || k->type == CONF_STRING_LIST) &&
	    (k->size < 1 || k->size > CONF_EXTENT_MAX))
		SCHEMA_FAIL("size (string buffer bytes) must be 1..%u", CONF_EXTENT_MAX);
	if (type_is_list(k->type)) {
		size_t arr_end;

		if (k->max_count < 1 || k->max_count > CONF_EXTENT_MAX / elem_size(k))
			SCHEMA_FAIL("max_count must be 1..%zu", CONF_EXTENT_MAX / elem_size(k));
		arr_end = k->offset + field_size(k);
		if (k->count_offset < arr_end && k->count_offset + sizeof(size_t) > k->offset)
			SCHEMA_FAIL("count_offset overlaps the array");
	}
	if (k->type == CONF_ENUM) {
		if (!k->choices || !k->choices[0])
			SCHEMA_FAIL("an enum needs at least one choice");
		for (m = 0; k->choices[m]; m++)
			if (!k->choices[m][0])
				SCHEMA_FAIL("choice %zu is empty", m);
	}
	if (k->offset > CONF_EXTENT_MAX || key_end(k) > CONF_EXTENT_MAX)
		SCHEMA_FAIL("offset beyond %u bytes", CONF_EXTENT_MAX);
#undef SCHEMA_FAIL
	return 0;
}

static int schema_check(const struct conf_key *keys, size_t n, struct conf_err *err)
{
	size_t i, j;
	int rc;

	if (!keys && n)
		return err_set(err, "schema", 0, "no key table");
	for (i = 0; i < n; i++) {
		rc = schema_key_check(&keys[i], i, err);
		if (rc)
			return rc;
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++) {
			size_t li = strlen(keys[i].path);

			if (i != j && strcmp(keys[i].path, keys[j].path) == 0)
				return err_set(err, "schema", 0, "key %zu (%s): duplicate path", j,
					       keys[j].path);
			if (strncmp(keys[j].path, keys[i].path, li) == 0 && keys[j].path[li] == '.')
				return err_set(err, "schema", 0,
					       "key %zu (%s): %s is both a key and a group", j,
					       keys[j].path, keys[i].path);
		}
	return 0;
}

/* ------------------------------------------------------ integer literals */

/* libconfig 1.5 wraps integer literals silently (3000000000 reads as
 * -1294967296), so the loader lexes the text itself and keeps each integer
 * literal's true value; the n-th literal belongs to the n-th integer
 * setting of a depth-first walk (both are in source order). */
struct conf_lit {
	unsigned line;
	bool neg;
	bool big; /* magnitude beyond 64 bits */
	uint64_t mag;
};

struct conf_lits {
	struct conf_lit *v;
	size_t n, cap;
	unsigned include_line; /* first @directive, 0 if none */
	unsigned nul_line;     /* first "\x00" escape, 0 if none */
};

static int lits_push(struct conf_lits *L, const struct conf_lit *l)
{
	if (L->n == L->cap) {
		size_t cap = L->cap ? L->cap * 2 : 64;
		struct conf_lit *v = realloc(L->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		L->v = v;
		L->cap = cap;
	}
	L->v[L->n++] = *l;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Collect the integer literals of t[0, len) (lexed the way libconfig does
 * for text it accepts). 0, -ENOMEM. */
static int lits_scan(const char *t, size_t len, struct conf_lits *L)
{
	unsigned line = 1;
	size_t i = 0;

	while (i < len) {
		char c = t[i];

		if (c == '\n') {
			line++;
			i++;
		} else if (c == '#' || (c == '/' && i + 1 < len && t[i + 1] == '/')) {
			while (i < len && t[i] != '\n')
				i++;
		} else if (c == '/' && i + 1 < len && t[i + 1] == '*') {
			for (i += 2; i < len && !(t[i] == '*' && i + 1 < len && t[i + 1] == '/'); i++)
				line += t[i] == '\n';
			i = i + 2 < len ? i + 2 : len;
		} else if (c == '"') {
			for (i++; i < len && t[i] != '"'; i++) {
				if (t[i] == '\\' && i + 1 < len) {
					if (t[i + 1] == 'x' && i + 3 < len && t[i + 2] == '0' &&
					    t[i + 3] == '0' && !L->nul_line)
						L->nul_line = line;
					i++;
				}
				line += t[i] == '\n';
			}
			i++;
		} else if (c == '@') {
			if (!L->include_line)
				L->include_line = line;
			i++;
		} else if (isalpha((unsigned char)c) || c == '*' || c == '_') {
			while (i < len && (isalnum((unsigned char)t[i]) || t[i] == '-' ||
					   t[i] == '_' || t[i] == '*'))
				i++;
		} else if (isdigit((unsigned char)c) || c == '.' ||
			   ((c == '-' || c == '+') && i + 1 < len &&
			    (isdigit((unsigned char)t[i + 1]) || t[i + 1] == '.'))) {
			struct conf_lit l = { .line = line, .neg = c == '-' };
			bool is_float = false;

			if (c == '-' || c == '+')
				i++;
			if (t[i] == '0' && i + 2 < len && (t[i + 1] == 'x' || t[i + 1] == 'X') &&
			    hexval(t[i + 2]) >= 0) {
				for (i += 2; i < len && hexval(t[i]) >= 0; i++) {
					if (l.mag >> 60)
						l.big = true;
					l.mag = l.mag << 4 | (uint64_t)hexval(t[i]);
				}
			} else {
				for (; i < len && isdigit((unsigned char)t[i]); i++) {
					uint64_t d = (uint64_t)(t[i] - '0');

					if (l.mag > (UINT64_MAX - d) / 10)
						l.big = true;
					l.mag = l.mag * 10 + d;
				}
				if (i < len && t[i] == '.') {
					is_float = true;
					for (i++; i < len && isdigit((unsigned char)t[i]); i++)
						;
				}
				if (i < len && (t[i] == 'e' || t[i] == 'E')) {
					size_t j = i + 1;

					if (j < len && (t[j] == '-' || t[j] == '+'))
						j++;
					if (j < len && isdigit((unsigned char)t[j])) {
						is_float = true;
						for (i = j; i < len && isdigit((unsigned char)t[i]); i++)
							;
					}
				}
			}
			if (is_float)
				continue;
			while (i < len && t[i] == 'L')
				i++;
			if (lits_push(L, &l))
				return -ENOMEM;
		} else {
			i++;
		}
	}
	return 0;
}

/* Give every integer setting under s its literal (depth-first). */
static int lits_attach(config_setting_t *s, struct conf_lits *L, size_t *next)
{
	int i, cnt, rc, t = config_setting_type(s);

	if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) {
		if (*next >= L->n || L->v[*next].line < config_setting_source_line(s))
			return -EPROTO;
		config_setting_set_hook(s, &L->v[(*next)++]);
		return 0;
	}
	if (!config_setting_is_aggregate(s))
		return 0;
	cnt = config_setting_length(s);
	for (i = 0; i < cnt; i++) {
		rc = lits_attach(config_setting_get_elem(s, i), L, next);
		if (rc)
			return rc;
	}
	return 0;
}

/* -------------------------------------------------------- value checks */

static void fmt_double(char *buf, size_t size, double v)
{
	int prec;

	for (prec = 15; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
}

/* The integer of setting s: its literal when known, else libconfig's. */
static struct conf_lit setting_int(const config_setting_t *s)
{
	const struct conf_lit *l = config_setting_get_hook(s);
	struct conf_lit r = { 0 };
	long long v;

	if (l)
		return *l;
	v = config_setting_get_int64(s);
	r.neg = v < 0;
	r.mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	return r;
}

static void fmt_lit(char *buf, size_t size, const struct conf_lit *l)
{
	snprintf(buf, size, "%s%" PRIu64, l->neg && l->mag ? "-" : "", l->mag);
}

/* Range check of v against k->min/max. 0 or -EINVAL. */
static int check_range(const struct conf_ctx *c, const config_setting_t *s,
		       const struct conf_key *k, const char *what, long double v, const char *shown)
{
	char lo[40], hi[40];

	if (!range_set(k) || (v >= (long double)k->min && v <= (long double)k->max))
		return 0;
	fmt_double(lo, sizeof(lo), k->min);
	fmt_double(hi, sizeof(hi), k->max);
	return ctx_fail(c, s, "%s: %s is out of range [%s, %s]", what, shown, lo, hi);
}

/* Integer setting s as type t (CONF_INT32..CONF_UINT64) into dst. */
static int conv_int(const struct conf_ctx *c, const config_setting_t *s, const struct conf_key *k,
		    enum conf_type t, const char *what, void *dst)
{
	struct conf_lit l;
	uint64_t lim;
	char shown[32];
	bool is_signed = t == CONF_INT32 || t == CONF_INT64;
	int rc;

	if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64)
		return ctx_fail(c, s, "%s: expected an integer, got %s", what, setting_what(s));
	l = setting_int(s);
	if (l.big)
		return ctx_fail(c, s, "%s: integer does not fit in 64 bits", what);
	fmt_lit(shown, sizeof(shown), &l);
	lim = t == CONF_INT32 ? INT32_MAX : t == CONF_UINT32 ? UINT32_MAX
			  : t == CONF_INT64 ? INT64_MAX : UINT64_MAX;
	if (l.neg && l.mag && (!is_signed || l.mag > lim + 1))
		return ctx_fail(c, s, "%s: %s does not fit in %s", what, shown, type_name(t));
	if (!l.neg && l.mag > lim)
		return ctx_fail(c, s, "%s: %s does not fit in %s", what, shown, type_name(t));
	rc = check_range(c, s, k, what, l.neg ? -(long double)l.mag : (long double)l.mag, shown);
	if (rc)
		return rc;
	if (t == CONF_UINT32) {
		uint32_t v = (uint32_t)l.mag;

		memcpy(dst, &v, sizeof(v));
	} else if (t == CONF_UINT64) {
		memcpy(dst, &l.mag, sizeof(l.mag));
	} else {
		int64_t v = l.neg ? (int64_t)(0 - l.mag) : (int64_t)l.mag;

		if (t == CONF_INT32) {
			int32_t v32 = (int32_t)v;

			memcpy(dst, &v32, sizeof(v32));
		} else {
			memcpy(dst, &v, sizeof(v));
		}
	}
	return 0;
}

static int conv_double(const struct conf_ctx *c, const config_setting_t *s,
		       const struct conf_key *k, const char *what, double *dst)
{
	char shown[40];
	double v;
	int rc;

	if (config_setting_type(s) == CONFIG_TYPE_FLOAT) {
		v = config_setting_get_float(s);
	} else if (config_setting_type(s) == CONFIG_TYPE_INT ||
		   config_setting_type(s) == CONFIG_TYPE_INT64) {
		struct conf_lit l = setting_int(s);

		if (l.big)
			return ctx_fail(c, s, "%s: integer does not fit in 64 bits", what);
		v = l.neg ? -(double)l.mag : (double)l.mag;
	} else {
		return ctx_fail(c, s, "%s: expected a number, got %s", what, setting_what(s));
	}
	if (!isfinite(v))
		return ctx_fail(c, s, "%s: not a finite number", what);
	fmt_double(shown, sizeof(shown), v);
	rc = check_range(c, s, k, what, v, shown);
	if (rc)
		return rc;
	*dst = v;
	return 0;
}

/* Bare text into a char[size] (s only locates the error). */
static int conv_text(const struct conf_ctx *c, const config_setting_t *s, const char *what,
		     const char *text, char *dst, size_t size)
{
	size_t len = strlen(text);

	if (len > size - 1)
		return ctx_fail(c, s, "%s: string is %zu bytes, at most %zu allowed", what, len,
				size - 1);
	memset(dst, 0, size);
	memcpy(dst, text, len);
	return 0;
}

static int conv_string(const struct conf_ctx *c, const config_setting_t *s, const char *what,
		       char *dst, size_t size)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return ctx_fail(c, s, "%s: expected a string, got %s", what, setting_what(s));
	return conv_text(c, s, what, config_setting_get_string(s), dst, size);
}

static int conv_enum_text(const struct conf_ctx *c, const config_setting_t *s,
			  const struct conf_key *k, const char *text, int *dst)
{
	struct conf_sb sb = { .len = 0 };
	size_t i, best = SIZE_MAX, d, tl = strlen(text);
	const char *near = NULL;

	for (i = 0; k->choices[i]; i++)
		if (strcmp(k->choices[i], text) == 0) {
			*dst = (int)i;
			return 0;
		}
	for (i = 0; k->choices[i]; i++) {
		sb_add(&sb, "%s\"%s\"", i ? ", " : "", k->choices[i]);
		d = edit_distance(text, tl, k->choices[i], strlen(k->choices[i]));
		if (d < best) {
			best = d;
			near = k->choices[i];
		}
	}
	if (near && best <= near_enough(tl))
		sb_add(&sb, " (did you mean \"%s\"?)", near);
	return ctx_fail(c, s, "%s: \"%.*s\" is not one of %s", k->path, CONF_SHOW, text, sb.buf);
}

/* Setting s (a value of key k) into the scratch struct at obj. */
static int conv_key(const struct conf_ctx *c, const config_setting_t *s, const struct conf_key *k,
		    unsigned char *obj)
{
	unsigned char *dst = obj + k->offset;
	int t = config_setting_type(s), i, cnt, rc;
	size_t esz;

	switch (k->type) {
	case CONF_BOOL:
		if (t != CONFIG_TYPE_BOOL)
			return ctx_fail(c, s, "%s: expected %s, got %s", k->path, type_want(k->type),
					setting_what(s));
		{
			bool b = config_setting_get_bool(s) != 0;

			memcpy(dst, &b, sizeof(b));
		}
		return 0;
	case CONF_INT32:
	case CONF_UINT32:
	case CONF_INT64:
	case CONF_UINT64:
		return conv_int(c, s, k, k->type, k->path, dst);
	case CONF_DOUBLE: {
		double v;

		rc = conv_double(c, s, k, k->path, &v);
		if (!rc)
			memcpy(dst, &v, sizeof(v));
		return rc;
	}
	case CONF_STRING:
		return conv_string(c, s, k->path, (char *)dst, k->size);
	case CONF_ENUM: {
		int v;

		if (t != CONFIG_TYPE_STRING)
			return ctx_fail(c, s, "%s: expected a string, got %s", k->path,
					setting_what(s));
		rc = conv_enum_text(c, s, k, config_setting_get_string(s), &v);
		if (!rc)
			memcpy(dst, &v, sizeof(v));
		return rc;
	}
	case CONF_STRING_LIST:
	case CONF_INT_LIST:
	case CONF_DOUBLE_LIST:
		break;
	}
	if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
		return ctx_fail(c, s, "%s: expected %s, got %s", k->path, type_want(k->type),
				setting_what(s));
	cnt = config_setting_length(s);
	if ((size_t)cnt > k->max_count)
		return ctx_fail(c, s, "%s: %d elements, at most %zu allowed", k->path, cnt,
				k->max_count);
	esz = elem_size(k);
	memset(dst, 0, esz * k->max_count);
	for (i = 0; i < cnt; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		unsigned char *slot = dst + (size_t)i * esz;
		char what[CONF_PATH_MAX + 16];

		snprintf(what, sizeof(what), "%s[%d]", k->path, i);
		if (k->type == CONF_STRING_LIST) {
			rc = conv_string(c, e, what, (char *)slot, k->size);
		} else if (k->type == CONF_INT_LIST) {
			rc = conv_int(c, e, k, CONF_INT64, what, slot);
		} else {
			double v;

			rc = conv_double(c, e, k, what, &v);
			if (!rc)
				memcpy(slot, &v, sizeof(v));
		}
		if (rc)
			return rc;
	}
	{
		size_t count = (size_t)cnt;

		memcpy(obj + k->count_offset, &count, sizeof(count));
	}
	return 0;
}

/* ------------------------------------------------------------ tree walk */

/* Check and apply every setting under group g, whose path is path[0, plen). */
static int walk(const struct conf_ctx *c, config_setting_t *g, char *path, size_t plen,
		unsigned char *obj)
{
	int i, cnt = config_setting_length(g), rc;

	for (i = 0; i < cnt; i++) {
		config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(s);
		const struct conf_key *k;
		size_t nlen = name ? strlen(name) : 0, len = plen + (plen ? 1 : 0) + nlen, slen = 0;
		const char *near;
		bool is_group = config_setting_type(s) == CONFIG_TYPE_GROUP;

		if (len > CONF_PATH_MAX)
			return ctx_fail(c, s, "unknown %s \"%.*s%s%.*s...\"", is_group ? "group" : "key",
					(int)plen, path, plen ? "." : "", CONF_SHOW, name ? name : "");
		if (plen)
			path[plen] = '.';
		memcpy(path + len - nlen, name ? name : "", nlen);
		path[len] = '\0';
		k = key_find(c->keys, c->n, path);
		if (is_group) {
			if (k)
				return ctx_fail(c, s, "%s: expected %s, got a group", path,
						type_want(k->type));
			if (!group_known(c->keys, c->n, path, len)) {
				near = suggest(c->keys, c->n, path, true, &slen);
				if (near)
					return ctx_fail(c, s, "unknown group \"%s\" (did you mean \"%.*s\"?)",
							path, (int)slen, near);
				return ctx_fail(c, s, "unknown group \"%s\"", path);
			}
			rc = walk(c, s, path, len, obj);
		} else if (k) {
			rc = conv_key(c, s, k, obj);
		} else if (group_known(c->keys, c->n, path, len)) {
			return ctx_fail(c, s, "%s: expected a group, got %s", path, setting_what(s));
		} else {
			near = suggest(c->keys, c->n, path, false, &slen);
			if (near)
				return ctx_fail(c, s, "unknown key \"%s\" (did you mean \"%.*s\"?)", path,
						(int)slen, near);
			return ctx_fail(c, s, "unknown key \"%s\"", path);
		}
		if (rc)
			return rc;
		path[plen] = '\0';
	}
	return 0;
}

/* Parse text with libconfig and collect its integer literals. cfg and L
 * must be released by the caller whatever this returns. -EINVAL with err
 * set (line from libconfig when c->lines), -ENOMEM. */
static int parse_text(const struct conf_ctx *c, const char *text, config_t *cfg,
		      struct conf_lits *L, const char *prefix)
{
	size_t next = 0;
	int rc;

	rc = lits_scan(text, strlen(text), L);
	if (rc)
		return rc;
	if (L->include_line)
		return err_set(c->err, c->file, c->lines ? (int)L->include_line : 0,
			       "%s@include and other directives are not supported", prefix);
	if (L->nul_line)
		return err_set(c->err, c->file, c->lines ? (int)L->nul_line : 0,
			       "%sNUL byte (\\x00) in a string", prefix);
	if (!config_read_string(cfg, text))
		return err_set(c->err, c->file, c->lines ? config_error_line(cfg) : 0, "%s%s",
			       prefix, config_error_text(cfg));
	rc = lits_attach(config_root_setting(cfg), L, &next);
	if (rc || next != L->n)
		return err_set(c->err, c->file, 0,
			       "%scannot match integer literals to settings (unsupported syntax)",
			       prefix);
	return 0;
}

/* ------------------------------------------------------- value as text */

static char *trim_dup(const char *s)
{
	size_t len;
	char *d;

	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	d = malloc(len + 1);
	if (d) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

/* Bare comma-separated strings into a string list. */
static int set_bare_list(const struct conf_ctx *c, const struct conf_key *k, char *text,
			 unsigned char *obj)
{
	size_t count = 0;
	char *item = text, *comma, what[CONF_PATH_MAX + 16];
	int rc;

	memset(obj + k->offset, 0, field_size(k));
	while (*text) { /* "" is the empty list; otherwise ends at the last item */
		comma = strchr(item, ',');
		if (comma)
			*comma = '\0';
		if (count == k->max_count)
			return ctx_fail(c, NULL, "%s: more than %zu elements", k->path, k->max_count);
		{
			char *t = trim_dup(item);

			if (!t)
				return -ENOMEM;
			snprintf(what, sizeof(what), "%s[%zu]", k->path, count);
			rc = conv_text(c, NULL, what, t, (char *)obj + k->offset + count * k->size,
				       k->size);
			free(t);
		}
		if (rc)
			return rc;
		count++;
		if (!comma)
			break;
		item = comma + 1;
	}
	memcpy(obj + k->count_offset, &count, sizeof(count));
	return 0;
}

/* Value text (a --set right-hand side or a default) of key k into obj. */
static int set_text(const struct conf_ctx *c, const struct conf_key *k, const char *value,
		    unsigned char *obj)
{
	char *v = trim_dup(value), *src = NULL, prefix[CONF_PATH_MAX + 8];
	config_t cfg;
	struct conf_lits L = { 0 };
	const config_setting_t *root, *s;
	size_t vlen;
	int rc;

	if (!v)
		return -ENOMEM;
	vlen = strlen(v);
	if (k->type == CONF_STRING && v[0] != '"') {
		rc = conv_text(c, NULL, k->path, v, (char *)obj + k->offset, k->size);
		goto out;
	}
	if (k->type == CONF_ENUM && v[0] != '"') {
		int idx;

		rc = conv_enum_text(c, NULL, k, v, &idx);
		if (!rc)
			memcpy(obj + k->offset, &idx, sizeof(idx));
		goto out;
	}
	if (k->type == CONF_STRING_LIST && v[0] != '[' && v[0] != '(') {
		rc = set_bare_list(c, k, v, obj);
		goto out;
	}
	if (vlen > CONF_TEXT_MAX) {
		rc = ctx_fail(c, NULL, "%s: value longer than %u bytes", k->path, CONF_TEXT_MAX);
		goto out;
	}
	src = malloc(vlen + 16);
	if (!src) {
		free(v);
		return -ENOMEM;
	}
	if (type_is_list(k->type) && v[0] != '[' && v[0] != '(')
		snprintf(src, vlen + 16, "v = [%s\n];", v);
	else
		snprintf(src, vlen + 16, "v = %s\n;", v);
	snprintf(prefix, sizeof(prefix), "%s: ", k->path);
	config_init(&cfg);
	rc = parse_text(c, src, &cfg, &L, prefix);
	if (!rc) {
		root = config_root_setting(&cfg);
		s = config_setting_length(root) == 1 ? config_setting_get_elem(root, 0) : NULL;
		if (!s || strcmp(config_setting_name(s), "v") != 0)
			rc = ctx_fail(c, NULL, "%s: \"%.*s\" is not a single value", k->path, CONF_SHOW,
				      v);
		else
			rc = conv_key(c, s, k, obj);
	}
	config_destroy(&cfg);
	free(L.v);
out:
	free(src);
	free(v);
	return rc;
}

static const char *zero_text(const struct conf_key *k)
{
	switch (k->type) {
	case CONF_BOOL: return "false";
	case CONF_DOUBLE: return "0.0";
	case CONF_STRING: return "\"\"";
	case CONF_ENUM: return k->choices[0];
	case CONF_STRING_LIST:
	case CONF_INT_LIST:
	case CONF_DOUBLE_LIST: return "[]";
	default: return "0";
	}
}

static int defaults_into(const struct conf_key *keys, size_t n, unsigned char *obj,
			 struct conf_err *err)
{
	struct conf_ctx c = { keys, n, "defaults", false, err };
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		rc = set_text(&c, &keys[i], keys[i].def ? keys[i].def : zero_text(&keys[i]), obj);
		if (rc)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------ public API */

/* Run fn on a scratch copy of obj and commit it on success. */
static int with_scratch(const struct conf_key *keys, size_t n, void *obj, struct conf_err *err,
			int (*fn)(const struct conf_key *, size_t, unsigned char *, const void *,
				  struct conf_err *),
			const void *arg)
{
	size_t ext;
	unsigned char *tmp;
	int rc;

	if (err)
		memset(err, 0, sizeof(*err));
	rc = schema_check(keys, n, err);
	if (rc)
		return rc;
	ext = keys_extent(keys, n);
	tmp = malloc(ext);
	if (!tmp)
		return err_set(err, "schema", 0, "out of memory"), -ENOMEM;
	memcpy(tmp, obj, ext);
	rc = fn(keys, n, tmp, arg, err);
	if (!rc)
		memcpy(obj, tmp, ext);
	free(tmp);
	return rc;
}

static int do_defaults(const struct conf_key *keys, size_t n, unsigned char *obj, const void *arg,
		       struct conf_err *err)
{
	(void)arg;
	return defaults_into(keys, n, obj, err);
}

int conf_defaults(const struct conf_key *keys, size_t n, void *obj, struct conf_err *err)
{
	return with_scratch(keys, n, obj, err, do_defaults, NULL);
}

struct load_arg {
	const char *name, *text;
	size_t len;
};

static int do_load(const struct conf_key *keys, size_t n, unsigned char *obj, const void *arg,
		   struct conf_err *err)
{
	const struct load_arg *a = arg;
	struct conf_ctx c = { keys, n, a->name, true, err };
	struct conf_lits L = { 0 };
	char path[CONF_PATH_MAX + 1] = "";
	const char *nul = memchr(a->text, '\0', a->len);
	size_t i, lines = 1;
	config_t cfg;
	int rc;

	if (a->len > CONF_TEXT_MAX)
		return err_set(err, a->name, 0, "larger than %u bytes", CONF_TEXT_MAX), -EFBIG;
	for (i = 0; i < a->len; i++)
		lines += a->text[i] == '\n';
	if (lines > CONF_LINES_MAX)
		return err_set(err, a->name, 0, "more than %u lines", CONF_LINES_MAX), -EFBIG;
	if (nul) {
		for (lines = 1, i = 0; a->text + i < nul; i++)
			lines += a->text[i] == '\n';
		return err_set(err, a->name, (int)lines, "NUL byte in the text");
	}
	rc = defaults_into(keys, n, obj, err);
	if (rc)
		return rc;
	config_init(&cfg);
	rc = parse_text(&c, a->text, &cfg, &L, "");
	if (!rc)
		rc = walk(&c, config_root_setting(&cfg), path, 0, obj);
	config_destroy(&cfg);
	free(L.v);
	return rc;
}

int conf_load_string(const struct conf_key *keys, size_t n, const char *name, const char *text,
		     void *obj, struct conf_err *err)
{
	struct load_arg a = { name ? name : "(string)", text, strlen(text) };

	return with_scratch(keys, n, obj, err, do_load, &a);
}

int conf_load_file(const struct conf_key *keys, size_t n, const char *path, void *obj,
		   struct conf_err *err)
{
	struct load_arg a = { path, NULL, 0 };
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t got;
	int rc;

	if (err)
		memset(err, 0, sizeof(*err));
	if (!f) {
		rc = -errno;
		err_set(err, path, 0, "cannot open: %s", strerror(-rc));
		return rc;
	}
	buf = malloc(CONF_TEXT_MAX + 2);
	if (!buf) {
		fclose(f);
		return err_set(err, path, 0, "out of memory"), -ENOMEM;
	}
	got = fread(buf, 1, CONF_TEXT_MAX + 1, f);
	if (ferror(f)) {
		rc = errno ? -errno : -EIO;
		err_set(err, path, 0, "cannot read: %s", strerror(-rc));
	} else {
		buf[got] = '\0';
		a.text = buf;
		a.len = got;
		rc = with_scratch(keys, n, obj, err, do_load, &a);
	}
	fclose(f);
	free(buf);
	return rc;
}

struct set_arg {
	const char *assignment;
};

static int do_set(const struct conf_key *keys, size_t n, unsigned char *obj, const void *arg,
		  struct conf_err *err)
{
	const char *as = ((const struct set_arg *)arg)->assignment, *eq = strchr(as, '=');
	struct conf_ctx c = { keys, n, "--set", false, err };
	const struct conf_key *k;
	char path[CONF_PATH_MAX + 1];
	const char *p = as, *near;
	size_t len, slen = 0;

	if (!eq)
		return err_set(err, "--set", 0, "\"%.*s\": expected KEY=VALUE", CONF_SHOW, as);
	while (p < eq && isspace((unsigned char)*p))
		p++;
	len = (size_t)(eq - p);
	while (len && isspace((unsigned char)p[len - 1]))
		len--;
	if (len > CONF_PATH_MAX)
		return err_set(err, "--set", 0, "unknown key \"%.*s...\"", CONF_SHOW, p);
	memcpy(path, p, len);
	path[len] = '\0';
	k = key_find(keys, n, path);
	if (k)
		return set_text(&c, k, eq + 1, obj);
	if (group_known(keys, n, path, len))
		return err_set(err, "--set", 0, "%s is a group; set its keys one by one", path);
	near = suggest(keys, n, path, false, &slen);
	if (near)
		return err_set(err, "--set", 0, "unknown key \"%s\" (did you mean \"%.*s\"?)", path,
			       (int)slen, near);
	return err_set(err, "--set", 0, "unknown key \"%s\"", path);
}

int conf_set(const struct conf_key *keys, size_t n, void *obj, const char *assignment,
	     struct conf_err *err)
{
	struct set_arg a = { assignment };

	return with_scratch(keys, n, obj, err, do_set, &a);
}

/* --------------------------------------------------------------- writers */

static void write_string(FILE *out, const char *s, size_t max)
{
	size_t i;

	fputc('"', out);
	for (i = 0; i < max && s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", out);
		else if (ch == '\t')
			fputs("\\t", out);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(out, "\\x%02x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void write_double(FILE *out, double v)
{
	char buf[40];

	fmt_double(buf, sizeof(buf), v);
	fputs(buf, out);
	if (!strpbrk(buf, ".eEin"))
		fputs(".0", out);
}

/* Integers outside 32 bits get libconfig's L suffix when libcfg is set. */
static void write_int(FILE *out, int64_t v, bool libcfg)
{
	fprintf(out, "%" PRId64 "%s", v, libcfg && (v < INT32_MIN || v > INT32_MAX) ? "L" : "");
}

/* The value of k in obj, in libconfig syntax. */
static void write_value(FILE *out, const struct conf_key *k, const unsigned char *obj,
			bool libcfg)
{
	const unsigned char *src = obj + k->offset;
	size_t i, count;

	switch (k->type) {
	case CONF_BOOL: {
		bool b;

		memcpy(&b, src, sizeof(b));
		fputs(b ? "true" : "false", out);
		return;
	}
	case CONF_INT32: {
		int32_t v;

		memcpy(&v, src, sizeof(v));
		write_int(out, v, libcfg);
		return;
	}
	case CONF_UINT32: {
		uint32_t v;

		memcpy(&v, src, sizeof(v));
		write_int(out, v, libcfg);
		return;
	}
	case CONF_INT64: {
		int64_t v;

		memcpy(&v, src, sizeof(v));
		write_int(out, v, libcfg);
		return;
	}
	case CONF_UINT64: {
		uint64_t v;

		memcpy(&v, src, sizeof(v));
		fprintf(out, "%" PRIu64 "%s", v, libcfg && v > INT32_MAX ? "L" : "");
		return;
	}
	case CONF_DOUBLE: {
		double v;

		memcpy(&v, src, sizeof(v));
		write_double(out, v);
		return;
	}
	case CONF_STRING:
		write_string(out, (const char *)src, k->size);
		return;
	case CONF_ENUM: {
		int v;
		size_t nc;

		memcpy(&v, src, sizeof(v));
		for (nc = 0; k->choices[nc]; nc++)
			;
		if (v >= 0 && (size_t)v < nc)
			write_string(out, k->choices[v], SIZE_MAX);
		else
			fprintf(out, "\"(invalid %d)\"", v);
		return;
	}
	case CONF_STRING_LIST:
	case CONF_INT_LIST:
	case CONF_DOUBLE_LIST:
		break;
	}
	memcpy(&count, obj + k->count_offset, sizeof(count));
	if (count > k->max_count)
		count = k->max_count;
	fputc('[', out);
	for (i = 0; i < count; i++) {
		const unsigned char *e = src + i * elem_size(k);

		if (i)
			fputs(", ", out);
		if (k->type == CONF_STRING_LIST) {
			write_string(out, (const char *)e, k->size);
		} else if (k->type == CONF_INT_LIST) {
			int64_t v;

			memcpy(&v, e, sizeof(v));
			write_int(out, v, libcfg);
		} else {
			double v;

			memcpy(&v, e, sizeof(v));
			write_double(out, v);
		}
	}
	fputc(']', out);
}

/* Keys under prefix[0, plen) (which ends in '.', or plen == 0), nested. */
static void write_group(FILE *out, const struct conf_key *keys, size_t n, const char *prefix,
			size_t plen, int depth, const unsigned char *obj)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		const char *p = keys[i].path, *rest = p + plen, *dot;
		size_t clen;
		bool seen = false;

		if (strncmp(p, prefix, plen) != 0)
			continue;
		dot = strchr(rest, '.');
		if (!dot) {
			fprintf(out, "%*s%s = ", depth * 2, "", rest);
			write_value(out, &keys[i], obj, true);
			fputc(';', out);
			if (keys[i].unit && keys[i].unit[0])
				fprintf(out, "  # %s", keys[i].unit);
			fputc('\n', out);
			continue;
		}
		clen = (size_t)(dot - p) + 1;
		for (j = 0; j < i && !seen; j++)
			seen = strncmp(keys[j].path, p, clen) == 0;
		if (seen)
			continue;
		fprintf(out, "%*s%.*s = {\n", depth * 2, "", (int)(dot - rest), rest);
		write_group(out, keys, n, p, clen, depth + 1, obj);
		fprintf(out, "%*s};\n", depth * 2, "");
	}
}

void conf_write_effective(const struct conf_key *keys, size_t n, const void *obj, FILE *out)
{
	fputs("# Effective configuration (libconfig syntax).\n", out);
	write_group(out, keys, n, "", 0, 0, obj);
}

/* Markdown cell text: '|' escaped, newlines flattened. */
static void md_cell(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			fputs("\\|", out);
		else if (*s == '\n' || *s == '\r')
			fputc(' ', out);
		else
			fputc(*s, out);
	}
}

static void md_range(FILE *out, const struct conf_key *k)
{
	char lo[40], hi[40];
	size_t i;

	fmt_double(lo, sizeof(lo), k->min);
	fmt_double(hi, sizeof(hi), k->max);
	switch (k->type) {
	case CONF_BOOL: fputs("true, false", out); return;
	case CONF_STRING: fprintf(out, "at most %zu bytes", k->size - 1); return;
	case CONF_ENUM:
		for (i = 0; k->choices[i]; i++) {
			fputs(i ? ", `" : "`", out);
			md_cell(out, k->choices[i]);
			fputc('`', out);
		}
		return;
	case CONF_STRING_LIST:
		fprintf(out, "at most %zu, each at most %zu bytes", k->max_count, k->size - 1);
		return;
	case CONF_INT_LIST:
	case CONF_DOUBLE_LIST:
		fprintf(out, "at most %zu", k->max_count);
		if (range_set(k))
			fprintf(out, ", each %s .. %s", lo, hi);
		return;
	case CONF_DOUBLE:
		if (range_set(k))
			fprintf(out, "%s .. %s", lo, hi);
		else
			fputs("any finite", out);
		return;
	case CONF_INT32:
	case CONF_UINT32:
	case CONF_INT64:
	case CONF_UINT64:
		if (range_set(k))
			fprintf(out, "%s .. %s", lo, hi);
		else
			fprintf(out, "%s", k->type == CONF_INT32    ? "-2147483648 .. 2147483647"
					   : k->type == CONF_UINT32 ? "0 .. 4294967295"
					   : k->type == CONF_INT64  ? "int64"
								    : "uint64");
		return;
	}
}

void conf_write_markdown(const struct conf_key *keys, size_t n, FILE *out)
{
	unsigned char *defs = NULL;
	struct conf_err e;
	size_t i, j;

	if (schema_check(keys, n, &e) == 0) {
		defs = calloc(1, keys_extent(keys, n));
		if (defs && conf_defaults(keys, n, defs, &e) != 0) {
			free(defs);
			defs = NULL;
		}
	}
	for (i = 0; i < n; i++) {
		const char *dot = strrchr(keys[i].path, '.');
		size_t glen = dot ? (size_t)(dot - keys[i].path) : 0;
		bool seen = false;

		for (j = 0; j < i && !seen; j++) {
			const char *d2 = strrchr(keys[j].path, '.');
			size_t g2 = d2 ? (size_t)(d2 - keys[j].path) : 0;

			seen = g2 == glen && strncmp(keys[j].path, keys[i].path, glen) == 0;
		}
		if (seen)
			continue;
		if (glen)
			fprintf(out, "### `%.*s`\n\n", (int)glen, keys[i].path);
		else
			fputs("### Top level\n\n", out);
		fputs("| Key | Type | Unit | Default | Range | Description |\n", out);
		fputs("|-----|------|------|---------|-------|-------------|\n", out);
		for (j = i; j < n; j++) {
			const struct conf_key *k = &keys[j];
			const char *d2 = strrchr(k->path, '.');
			size_t g2 = d2 ? (size_t)(d2 - k->path) : 0;

			if (g2 != glen || strncmp(k->path, keys[i].path, glen) != 0)
				continue;
			fputs("| `", out);
			md_cell(out, k->path);
			fprintf(out, "` | %s | ", type_name(k->type));
			md_cell(out, k->unit && k->unit[0] ? k->unit : "-");
			fputs(" | `", out);
			if (defs) {
				char *buf = NULL;
				size_t blen = 0;
				FILE *m = open_memstream(&buf, &blen);

				if (m) {
					write_value(m, k, defs, false);
					fclose(m);
					md_cell(out, buf);
				}
				free(buf);
			} else {
				md_cell(out, k->def ? k->def : "");
			}
			fputs("` | ", out);
			md_range(out, k);
			fputs(" | ", out);
			md_cell(out, k->doc);
			fputs(" |\n", out);
		}
		fputc('\n', out);
	}
	free(defs);
}
