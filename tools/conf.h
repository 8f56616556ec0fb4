/* conf.h - schema-driven configuration: a table of struct conf_key describes
 * every setting (dotted path, type, offset into the caller's struct, range,
 * default, unit, doc); the loader reads libconfig files and --set overrides
 * into that struct and refuses anything else with file:line and the reason.
 * Owns nothing beyond a call. Cold path, main thread (no shared state). */
#ifndef CONF_H
#define CONF_H

#include <stddef.h>
#include <stdio.h>

/* Value types and the C type each one stores at key->offset. */
enum conf_type {
	CONF_BOOL = 1,	  /* bool */
	CONF_INT32,	  /* int32_t */
	CONF_UINT32,	  /* uint32_t */
	CONF_INT64,	  /* int64_t */
	CONF_UINT64,	  /* uint64_t */
	CONF_DOUBLE,	  /* double, finite */
	CONF_STRING,	  /* char[size], NUL-terminated, at most size-1 bytes */
	CONF_ENUM,	  /* int: index into choices */
	CONF_STRING_LIST, /* char[max_count][size] + size_t count */
	CONF_INT_LIST,	  /* int64_t[max_count] + size_t count */
	CONF_DOUBLE_LIST, /* double[max_count] + size_t count */
};

/* One setting. Groups are implied by the dotted path ("strategy.gamma" is
 * key "gamma" in group "strategy"); each path component is a libconfig name
 * ([A-Za-z*][-A-Za-z0-9_*]*). */
struct conf_key {
	const char *path;     /* dotted, e.g. "strategy.gamma" */
	enum conf_type type;
	size_t offset;	      /* offsetof(struct yours, field) */
	double min, max;      /* inclusive range of numbers and of list
				 elements; min == max == 0: the C type's range */
	const char *def;      /* default as text, parsed like --set values;
				 NULL: 0, false, "", first choice, empty list */
	const char *unit;     /* "ns", "USD", "shares"...; NULL or "": none */
	const char *doc;      /* one sentence, required */
	const char *const *choices; /* CONF_ENUM: NULL-terminated names */
	size_t size;	      /* CONF_STRING, CONF_STRING_LIST: bytes of one
				 string buffer including its NUL */
	size_t max_count;     /* lists: capacity of the array */
	size_t count_offset;  /* lists: offsetof the size_t element count */
};

/* Size of a member, for key->size and key->max_count. */
#define CONF_SIZEOF(type, member) sizeof(((type *)0)->member)
#define CONF_COUNTOF(type, member) \
	(sizeof(((type *)0)->member) / sizeof(((type *)0)->member[0]))

/* Where and why a configuration was refused. file is the config file's
 * name, "--set", "defaults" or "schema"; line is 1-based, 0 if none. */
struct conf_err {
	char file[256];
	int line;
	char msg[512];
};

/* Print "file:line: msg\n" (or "file: msg\n" when line is 0) on out. */
void conf_err_print(const struct conf_err *err, FILE *out);

/* Check the table and write every key's default into obj. On error obj is
 * unchanged. 0; -EINVAL bad table or default (err says which), -ENOMEM. */
int conf_defaults(const struct conf_key *keys, size_t n, void *obj, struct conf_err *err);

/* Defaults, then the libconfig file at path, into obj. Refuses syntax
 * errors, unknown keys or groups, wrong types, out-of-range values,
 * integer overflow, long strings, unknown enum names, long lists and
 * @include. On error obj is unchanged. 0; -EINVAL refused (err has
 * file:line and reason); -ENOENT, -EACCES... cannot read; -EFBIG over
 * 1 MiB or 65535 lines; -ENOMEM. */
int conf_load_file(const struct conf_key *keys, size_t n, const char *path, void *obj,
		   struct conf_err *err);

/* conf_load_file on text in memory; name is used in messages. */
int conf_load_string(const struct conf_key *keys, size_t n, const char *name, const char *text,
		     void *obj, struct conf_err *err);

/* Apply one "path=value" override (--set) on top of obj. The value is a
 * libconfig value; strings, enums and string lists may also be bare
 * (venue.name=XNAS, feed.symbols=AAPL,MSFT) and number lists may omit the
 * brackets (feed.ports=1,2). On error obj is unchanged. 0; -EINVAL. */
int conf_set(const struct conf_key *keys, size_t n, void *obj, const char *assignment,
	     struct conf_err *err);

/* One Markdown table per group: key, type, unit, default, range or
 * choices, description. Deterministic. */
void conf_write_markdown(const struct conf_key *keys, size_t n, FILE *out);

/* obj as a libconfig file that conf_load_* reads back to the same values,
 * groups nested in first-appearance order. Deterministic. */
void conf_write_effective(const struct conf_key *keys, size_t n, const void *obj, FILE *out);

#endif /* CONF_H */
