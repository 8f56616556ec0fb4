/* arena.c - the start-up memory arena: map (2 MiB hugepages, else THP
 * advice, else 4 KiB pages), prefault, lock, bump-allocate. Start-up only. */
#include "hw/arena.h"

#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hw/compiler.h"

#define HUGE_2M (2u * 1024u * 1024u)

static size_t round_up(size_t v, size_t to)
{
	return (v + to - 1) / to * to;
}

/* dl_iterate_phdr callback: touch the readable, executable PT_LOAD
 * segments of one object; *data counts the pages. */
static int prefault_object(struct dl_phdr_info *info, size_t size, void *data)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), *pages = data;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo, hi;

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X) || !(ph->p_flags & PF_R) ||
		    ph->p_memsz == 0)
			continue;
		lo = (info->dlpi_addr + ph->p_vaddr) & ~(uintptr_t)(page - 1);
		hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
		/* The volatile read only forces the mapping. */
		for (uintptr_t a = lo; a < hi; a += page, (*pages)++)
			(void)*(const volatile uint8_t *)a;
	}
	return 0;
}

uint8_t arena_touch(const void *p, size_t len)
{
	const volatile uint8_t *b = p;
	uint8_t x = 0;

	if (!p || !len)
		return 0;
	/* every line the range reaches, its last byte's too */
	for (size_t off = 0; off < len; off += CACHELINE)
		x ^= b[off];
	return (uint8_t)(x ^ b[len - 1]);
}

size_t arena_prefault_code(void)
{
	size_t pages = 0;

	dl_iterate_phdr(prefault_object, &pages);
	return pages;
}

/* Touch stack_bytes below the caller's frame, a page at a time, so the
 * stack mapping covers them. NOINLINE: the array is this frame's. */
static NOINLINE void grow_stack(size_t stack_bytes)
{
	volatile uint8_t page[4096];

	page[0] = 0;
	if (stack_bytes > sizeof(page))
		grow_stack(stack_bytes - sizeof(page));
	page[sizeof(page) - 1] = 0;
}

int arena_lock_process(size_t stack_bytes, const void *skip, size_t skip_len)
{
	grow_stack(stack_bytes);
	(void)arena_prefault_code();
#ifdef TW_SANITIZED
	(void)skip;
	(void)skip_len;
	return -ENOTSUP;
#else
	if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
		int rc = -errno;

		munlockall();
		return rc;
	}
	if (skip && skip_len) {
		uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
		uintptr_t lo = (uintptr_t)skip & ~(page - 1);

		(void)munlock((const void *)lo, (uintptr_t)skip + skip_len - lo);
	}
	return 0;
#endif
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

/* Touch every page so no fault is taken on the hot path. The volatile
 * store only forces the touch; nothing is shared through it. */
static void prefault(uint8_t *p, size_t size, size_t page)
{
	for (size_t off = 0; off < size; off += page)
		((volatile uint8_t *)p)[off] = 0;
}

/* Bytes of the mapping at base that the kernel backs with transparent
 * hugepages (AnonHugePages in /proc/self/smaps), or 0. */
static size_t thp_bytes(const void *base)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[256];
	bool in_map = false;
	size_t kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in_map = (uintptr_t)base >= lo && (uintptr_t)base < hi;
			continue;
		}
		if (in_map && sscanf(line, "AnonHugePages: %zu kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb * 1024u;
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
			a->base = p;
			a->size = size;
			prefault(a->base, a->size, HUGE_2M);
		}
	}
	if (p == MAP_FAILED && !cfg->no_huge) {
		/* THP: a 2 MiB-aligned window, advised before the first touch so
		 * the faults can be served with huge pages. */
		size_t span;
		uint8_t *raw, *aligned;

		size = round_up(cfg->size, HUGE_2M);
		span = size + HUGE_2M;
		raw = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (raw != MAP_FAILED) {
			aligned = (uint8_t *)round_up((size_t)(uintptr_t)raw, HUGE_2M);
			if (aligned > raw)
				munmap(raw, (size_t)(aligned - raw));
			if (aligned + size < raw + span)
				munmap(aligned + size, (size_t)(raw + span - (aligned + size)));
			a->base = aligned;
			a->size = size;
			a->backing = ARENA_NORMAL;
#ifdef MADV_HUGEPAGE
			madvise(a->base, a->size, MADV_HUGEPAGE);
#endif
			prefault(a->base, a->size, page);
			if (thp_bytes(a->base) > 0)
				a->backing = ARENA_THP;
			p = a->base;
		}
	}
	if (p == MAP_FAILED) {
		size = round_up(cfg->size, page);
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (p == MAP_FAILED)
			return -ENOMEM;
		a->backing = ARENA_NORMAL;
		a->base = p;
		a->size = size;
		prefault(a->base, a->size, page);
	}
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
	/* Zero without a write: the mapping is anonymous (the kernel hands it
	 * out zero-filled, hugepages too) and the bump pointer never hands
	 * out the same bytes twice. A memset here cost a second pass over
	 * every page at start-up (~0.26 G instructions for the default
	 * order table). test_arena checks the promise. */
	return a->base + off;
}
