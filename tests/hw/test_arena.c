/* test_arena.c - start-up arena: backing selection, alignment, exhaustion,
 * zeroing and lifecycle errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "hw/arena.h"

static void test_bad_cfg(void **state)
{
	struct arena a;
	struct arena_cfg zero = { .size = 0 };
	(void)state;

	assert_int_equal(arena_init(&a, &zero), -EINVAL);
	assert_int_equal(arena_init(&a, NULL), -EINVAL);
	assert_int_equal(arena_init(NULL, &zero), -EINVAL);
	arena_fini(NULL);
	arena_fini(&a); /* after a failed init */
	assert_null(arena_alloc(&a, 8, 8));
}

static void test_alloc_alignment_and_exhaustion(void **state)
{
	struct arena a;
	struct arena_cfg cfg = { .size = 10000, .no_huge = true, .no_lock = true };
	uint8_t *p, *q;
	(void)state;

	assert_int_equal(arena_init(&a, &cfg), 0);
	assert_int_equal(a.backing, ARENA_NORMAL);
	assert_string_equal(arena_backing_name(a.backing), "4K");
	assert_true(a.size >= 10000 && a.size % 4096 == 0);

	p = arena_alloc(&a, 3, 1);
	assert_non_null(p);
	q = arena_alloc(&a, 100, 64);
	assert_non_null(q);
	assert_int_equal((uintptr_t)q % 64, 0);
	assert_true(q >= p + 3);
	for (int i = 0; i < 100; i++)
		assert_int_equal(q[i], 0);
	memset(q, 0xab, 100);

	assert_null(arena_alloc(&a, 8, 3));    /* not a power of two */
	assert_null(arena_alloc(&a, 8, 0));
	assert_null(arena_alloc(&a, 8, 1u << 20)); /* beyond a page */
	assert_null(arena_alloc(&a, a.size, 8));   /* too big now */
	{
		size_t rest = a.size - a.used;
		uint8_t *r = arena_alloc(&a, rest, 1); /* exactly fills */

		/* zero though nothing wrote it, and the 0xab bytes not reused */
		assert_non_null(r);
		assert_true(r >= q + 100);
		for (size_t i = 0; i < rest; i++)
			assert_int_equal(r[i], 0);
	}
	assert_null(arena_alloc(&a, 1, 1));
	assert_int_equal(a.used, a.size);
	arena_fini(&a);
	assert_null(a.base);
}

static void test_huge_or_fallback(void **state)
{
	struct arena a;
	struct arena_cfg cfg = { .size = 3u << 20 };
	uint64_t *v;
	(void)state;

	assert_int_equal(arena_init(&a, &cfg), 0);
	print_message("backing %s, locked %d, size %zu\n", arena_backing_name(a.backing),
		      a.locked, a.size);
	assert_true(a.backing == ARENA_HUGE_2M || a.backing == ARENA_THP ||
		    a.backing == ARENA_NORMAL);
	assert_int_equal(a.size % (2u << 20), 0);
	v = arena_alloc(&a, sizeof(*v) * 1000, 8);
	assert_non_null(v);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(v[i], 0);
	for (int i = 0; i < 1000; i++)
		v[i] = (uint64_t)i * 3;
	assert_int_equal(v[999], 2997);
	arena_fini(&a);
}

/* kB after "Locked:" in the smaps entry of the mapping that starts at base,
 * or VmLck of the process when base is NULL; -1 when not found. */
static long locked_kb(const void *base)
{
	char line[256], want[32];
	long kb = -1;
	bool in = base == NULL;
	FILE *f = fopen(base ? "/proc/self/smaps" : "/proc/self/status", "r");

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%lx-", (unsigned long)(uintptr_t)base);
	while (fgets(line, sizeof(line), f)) {
		if (base && strchr(line, '-') && strncmp(line, want, strlen(want)) == 0)
			in = true;
		if (in && sscanf(line, base ? "Locked: %ld kB" : "VmLck: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* The process locked, stack and code mapped, the skipped range not pinned;
 * without the privilege, nothing stays locked. */
static void test_lock_process(void **state)
{
	size_t len = 1u << 20;
	uint8_t *skip = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int rc;
	(void)state;

	assert_true(skip != MAP_FAILED);
	memset(skip, 1, len);
	rc = arena_lock_process(64u * 1024u, skip, len);
	print_message("arena_lock_process: %d\n", rc);
#ifdef TW_SANITIZED
	assert_int_equal(rc, -ENOTSUP);
	assert_int_equal(locked_kb(NULL), 0);
#else
	if (rc == 0) {
		assert_true(locked_kb(NULL) > 0);
		assert_int_equal(locked_kb(skip), 0);
		/* a mapping made after the call is locked too (MCL_FUTURE) */
		{
			uint8_t *later = mmap(NULL, len, PROT_READ | PROT_WRITE,
					      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			assert_true(later != MAP_FAILED);
			assert_int_equal(locked_kb(later), (long)(len / 1024));
			munmap(later, len);
		}
		munlockall();
	} else {
		assert_true(rc == -EPERM || rc == -ENOMEM || rc == -EAGAIN);
		assert_int_equal(locked_kb(NULL), 0);
	}
#endif
	munmap(skip, len);
}

/* arena_touch reads the first byte of each line of the range and its
 * last byte (XOR returned), writes nothing, and takes NULL or 0 bytes. */
static void test_touch(void **state)
{
	uint8_t *b = aligned_alloc(64, 256), *copy = malloc(256);
	(void)state;

	assert_non_null(b);
	assert_non_null(copy);
	memset(b, 0, 256);
	b[0] = 0x01;
	b[64] = 0x02;
	b[128] = 0x04;
	b[150] = 0x80; /* not a line start, not the last byte: not read */
	b[199] = 0x10;
	memcpy(copy, b, 256);
	assert_int_equal(arena_touch(b, 200), 0x01 ^ 0x02 ^ 0x04 ^ 0x10);
	/* 129 bytes: lines 0..2, last byte 128 (read twice: XOR 0) */
	assert_int_equal(arena_touch(b, 129), 0x01 ^ 0x02);
	assert_int_equal(arena_touch(b + 64, 1), 0);
	assert_int_equal(arena_touch(b + 150, 1), 0);
	assert_int_equal(arena_touch(b + 150, 2), 0x80);
	assert_int_equal(arena_touch(NULL, 64), 0);
	assert_int_equal(arena_touch(b, 0), 0);
	assert_memory_equal(b, copy, 256);
	free(b);
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_cfg),
		cmocka_unit_test(test_alloc_alignment_and_exhaustion),
		cmocka_unit_test(test_huge_or_fallback),
		cmocka_unit_test(test_lock_process),
		cmocka_unit_test(test_touch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
