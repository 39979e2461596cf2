// SPDX-License-Identifier: GPL-2.0
/*
 * thp_frag.c - leave no free PMD-sized block in the guest (thp_frag.h).
 *
 * Two regions are faulted in page by page, alternately (neighbouring
 * physical pages go to different regions); one is mlocked with
 * vm.compact_unevictable_allowed=0 so compaction cannot move it, the other
 * is unmapped; then every PMD-sized block still free is taken by an
 * mlocked THP.
 */
#define _GNU_SOURCE
#include <sys/resource.h>

#include "thp_retry_util.h"
#include "thp_frag.h"

#define COMPACT_UNEVICTABLE	"/proc/sys/vm/compact_unevictable_allowed"

/* Free memory in bytes, from /proc/meminfo. */
long long thp_mem_free(void)
{
	char buf[4096], *l;

	if (thp_read_file("/proc/meminfo", buf, sizeof(buf)) <= 0)
		return -1;
	l = strstr(buf, "MemFree:");
	return l ? atoll(l + 8) * 1024 : -1;
}

/*
 * Free PMD-sized blocks (of the PMD's order and above), from
 * /proc/buddyinfo: its lines have one column per order, 11 with 4 KiB
 * pages, 12 with 16 KiB.
 */
long thp_free_pmd_blocks(void)
{
	long ps = sysconf(_SC_PAGESIZE), pmd = thp_pmd_size(), total = 0, v;
	char buf[8192], *l, *end;
	int k, order;

	for (order = 0; (ps << order) < pmd; order++)
		;
	if (thp_read_file("/proc/buddyinfo", buf, sizeof(buf)) <= 0)
		return -1;
	for (l = strstr(buf, "zone"); l; l = strstr(l, "zone")) {
		l += 4;
		while (*l == ' ')
			l++;
		while (*l && *l != ' ')
			l++;
		for (k = 0; *l && *l != '\n'; k++, l = end) {
			v = strtol(l, &end, 10);
			if (end == l)
				break;
			if (k >= order)
				total += v << (k - order);
		}
	}
	return total;
}

/* The locked half of two interleaved regions; NULL if memory is short. */
static char *fragment(size_t *len)
{
	long ps = sysconf(_SC_PAGESIZE);
	long long avail = thp_mem_free() - 96LL * (long long)THP_MIB;
	size_t half, i;
	char *a, *b;

	if (avail < 64LL * (long long)THP_MIB)
		return NULL;
	half = (avail / 2) & ~(ps - 1);
	a = mmap(NULL, half, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	b = mmap(NULL, half, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED || b == MAP_FAILED)
		return NULL;
	madvise(a, half, MADV_NOHUGEPAGE);
	madvise(b, half, MADV_NOHUGEPAGE);
	for (i = 0; i < half; i += ps) {
		a[i] = 1;
		b[i] = 1;
	}
	if (mlock(a, half))
		printf("# bench: mlock: %s (compaction may undo the fragmentation)\n",
		       strerror(errno));
	munmap(b, half);
	*len = half;
	return a;
}

/*
 * Take every free PMD-sized block that is still left (the untouched margin):
 * THPs faulted in and mlocked until the kernel hands out small pages.
 */
static void hog_blocks(struct thp_frag *f)
{
	uint64_t pm, kf;

	while (f->nhogs < THP_FRAG_MAX_HOGS) {
		char *h = thp_map_aligned(f->pmd, f->pmd, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (h == MAP_FAILED)
			break;
		madvise(h, f->pmd, MADV_HUGEPAGE);
		h[0] = 1;
		if (thp_pagemap(getpid(), h, 1, &pm) || !(pm & PM_PRESENT) ||
		    thp_kpageflags(pm & PM_PFN_MASK, 1, &kf) || !(kf & KPF_THP_BIT)) {
			munmap(h, f->pmd);
			break;
		}
		mlock(h, f->pmd);
		f->hogs[f->nhogs++] = h;
	}
}

/**
 * thp_frag_start() - fragment the guest's free memory
 * @f: state, filled in
 * @pmd: the PMD size
 *
 * Raises RLIMIT_MEMLOCK and sets vm.compact_unevictable_allowed=0 until
 * thp_frag_stop().
 */
void thp_frag_start(struct thp_frag *f, size_t pmd)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

	memset(f, 0, sizeof(*f));
	f->pmd = pmd;
	setrlimit(RLIMIT_MEMLOCK, &rl);
	if (thp_read_file(COMPACT_UNEVICTABLE, f->unevictable, sizeof(f->unevictable)) > 0)
		thp_write_file(COMPACT_UNEVICTABLE, "0");
	else
		f->unevictable[0] = '\0';
	f->locked = fragment(&f->len);
	hog_blocks(f);
}

/**
 * thp_frag_stop() - give the memory back, restore the sysctl
 * @f: what thp_frag_start() filled in
 */
void thp_frag_stop(struct thp_frag *f)
{
	int i;

	if (f->locked)
		munmap(f->locked, f->len);
	for (i = 0; i < f->nhogs; i++)
		munmap(f->hogs[i], f->pmd);
	f->locked = NULL;
	f->nhogs = 0;
	if (f->unevictable[0])
		thp_write_file(COMPACT_UNEVICTABLE, f->unevictable);
	f->unevictable[0] = '\0';
}
