/* arena.h - start-up memory for everything the hot path touches: one
 * mapping, hugepage-backed when available (explicit 2 MiB pages, then THP
 * advice, then normal pages), locked and prefaulted, carved by a bump
 * allocator and never freed while running. Allocation is for start-up on one
 * thread; the memory may then be used from any thread. */
#ifndef ARENA_H
#define ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum arena_backing {
	ARENA_HUGE_2M = 0, /* MAP_HUGETLB, 2 MiB pages */
	ARENA_THP = 1,     /* 2 MiB-aligned, MADV_HUGEPAGE, confirmed in smaps */
	ARENA_NORMAL = 2,  /* 4 KiB pages */
};

struct arena_cfg {
	size_t size;        /* bytes wanted; rounded up to the page size */
	bool no_huge;       /* skip hugepage attempts */
	bool no_lock;       /* skip mlock (tests, unprivileged runs) */
};

struct arena {
	uint8_t *base;
	size_t size;        /* mapped bytes */
	size_t used;        /* bytes handed out */
	enum arena_backing backing;
	bool locked;        /* mlock succeeded */
};

/* Map, prefault and (unless cfg->no_lock) lock. 0, -EINVAL size 0,
 * -ENOMEM when no backing could be mapped. A failed mlock is not an error:
 * a->locked says whether it held. */
int arena_init(struct arena *a, const struct arena_cfg *cfg);
/* Unmap. Accepts NULL and an arena that failed init. */
void arena_fini(struct arena *a);
/* Bump-allocate `size` bytes aligned to `align` (a power of two, at most
 * the page size). NULL when out of space or align is invalid. Zeroed. */
void *arena_alloc(struct arena *a, size_t size, size_t align);
/* Map every page of the executable segments of the program and its loaded
 * libraries now (one read per page), so the first run of a hot-path
 * function takes no page fault: on a fresh process each new code page costs
 * a fault of microseconds the first time it runs. Returns the pages touched.
 * Start-up only; any thread. */
size_t arena_prefault_code(void);
/* Keep the process in memory from now on, for a hot path that must take
 * no page fault: grow the stack by stack_bytes (touched once), map every
 * code page (arena_prefault_code), then mlockall(MCL_CURRENT |
 * MCL_FUTURE), which faults in and locks every page mapped now (heap the
 * allocator has not handed out yet, static buffers, the stack just grown)
 * and every page mapped later; then unlocks [skip, skip + skip_len) (a
 * large read-only input that needs no pinning; NULL: none). 0, or -errno
 * of mlockall (-EPERM, -ENOMEM: over RLIMIT_MEMLOCK without privilege;
 * then nothing stays locked), -ENOTSUP in sanitizer builds (their shadow
 * memory must not be locked); the code and stack are mapped in every case.
 * Start-up only, once per process; any thread. */
int arena_lock_process(size_t stack_bytes, const void *skip, size_t skip_len);
/* Read one byte of each cache line of [p, p + len), writing nothing, so
 * that a hot path's first use of those lines finds them in the caches and
 * their pages in the TLB (a warm-up before a run). Returns the XOR of the
 * bytes read. Start-up only; any thread. */
uint8_t arena_touch(const void *p, size_t len);
/* Name of a backing: "hugepages-2M", "thp" or "4K". */
const char *arena_backing_name(enum arena_backing b);

#endif /* ARENA_H */
