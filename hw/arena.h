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
/* Name of a backing: "hugepages-2M", "thp" or "4K". */
const char *arena_backing_name(enum arena_backing b);

#endif /* ARENA_H */
