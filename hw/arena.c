/* arena.c - the start-up memory arena: map (2 MiB hugepages, else THP
 * advice, else 4 KiB pages), prefault, lock, bump-allocate. Start-up only. */
#include "hw/arena.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HUGE_2M (2u * 1024u * 1024u)

static size_t round_up(size_t v, size_t to)
{
	return (v + to - 1) / to * to;
}

const char *arena_backing_name(enum arena_backing b)
{
	switch (b) {
	case ARENA_HUGE_2M: return "hugepages-2M";
	case ARENA_THP: return "thp";
	case ARENA_NORMAL: return "4K";
	}
	return "?";
}

/* Touch every page so no fault is taken on the hot path. */
static void prefault(uint8_t *p, size_t size, size_t page)
{
	for (size_t off = 0; off < size; off += page)
		((volatile uint8_t *)p)[off] = 0;
}

int arena_init(struct arena *a, const struct arena_cfg *cfg)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	void *p = MAP_FAILED;
	size_t size;

	if (!a)
		return -EINVAL;
	memset(a, 0, sizeof(*a));
	if (!cfg || cfg->size == 0 || cfg->size > SIZE_MAX / 2)
		return -EINVAL;

	if (!cfg->no_huge) {
		size = round_up(cfg->size, HUGE_2M);
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
		if (p != MAP_FAILED) {
			a->backing = ARENA_HUGE_2M;
			page = HUGE_2M;
		}
	}
	if (p == MAP_FAILED) {
		size = round_up(cfg->size, cfg->no_huge ? page : HUGE_2M);
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (p == MAP_FAILED)
			return -ENOMEM;
		a->backing = ARENA_NORMAL;
#ifdef MADV_HUGEPAGE
		if (!cfg->no_huge && madvise(p, size, MADV_HUGEPAGE) == 0)
			a->backing = ARENA_THP;
#endif
	}
	a->base = p;
	a->size = size;
	prefault(a->base, a->size, page);
	if (!cfg->no_lock)
		a->locked = mlock(a->base, a->size) == 0;
	return 0;
}

void arena_fini(struct arena *a)
{
	if (!a || !a->base)
		return;
	if (a->locked)
		munlock(a->base, a->size);
	munmap(a->base, a->size);
	memset(a, 0, sizeof(*a));
}

void *arena_alloc(struct arena *a, size_t size, size_t align)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t off;

	if (!a || !a->base || align == 0 || (align & (align - 1)) || align > page)
		return NULL;
	off = round_up(a->used, align);
	if (off > a->size || size > a->size - off)
		return NULL;
	a->used = off + size;
	/* Fresh anonymous memory is zero; memset keeps the promise explicit. */
	memset(a->base + off, 0, size);
	return a->base + off;
}
