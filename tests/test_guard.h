/* test_guard.h - a guard page for parser tests: inputs are copied so they
 * end exactly where a PROT_NONE page begins, so any read past their length
 * faults (STYLE.md, parsers). Group setup/teardown for cmocka; test
 * programs only, one thread. Include after <cmocka.h>. */
#ifndef TEST_GUARD_H
#define TEST_GUARD_H

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static uint8_t *guard_mem;
static uint8_t *guard;
static size_t page_size;

static inline int guard_setup(void **state)
{
	(void)state;
	page_size = (size_t)sysconf(_SC_PAGESIZE);
	guard_mem = mmap(NULL, page_size * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	if (guard_mem == MAP_FAILED)
		return -1;
	guard = guard_mem + page_size;
	return mprotect(guard, page_size, PROT_NONE);
}

static inline int guard_teardown(void **state)
{
	(void)state;
	return munmap(guard_mem, page_size * 2);
}

/* Copy len bytes so they end at the guard page; return the copy. */
static inline const uint8_t *at_guard(const uint8_t *src, size_t len)
{
	uint8_t *p = guard - len;

	assert_true(len <= page_size);
	memcpy(p, src, len);
	return p;
}

#endif /* TEST_GUARD_H */
