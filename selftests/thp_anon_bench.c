// SPDX-License-Identifier: GPL-2.0
/*
 * thp_anon_bench - in-place anonymous collapse against MADV_COLLAPSE.
 *
 * Not a test: prints "# bench: " lines and exits 0, or 1 when it cannot set
 * up (module not loaded, no anonymous THP).
 *
 * Section 1, speed: N PMD ranges of anonymous THPs are made pte-mapped
 * with the module's "split"; then, alternating, one range is collapsed with
 * "collapse" (engine=native, in place) and the next with
 * madvise(MADV_COLLAPSE) (a new THP, one PMD copied). Each call is timed
 * alone (CLOCK_MONOTONIC); medians in microseconds, and how many ranges
 * each left PMD-mapped and at their old PFN.
 *
 * Section 2, fragmented memory: M more ranges are made pte-mapped, then
 * guest memory is fragmented so that no free PMD-sized block is left
 * (thp_frag.c). The success rate of both methods follows.
 *
 * Usage (guest, as root, thp_retry loaded): thp_anon_bench [N] [M]
 * N and M default to as many ranges as 32 MiB holds, 4 at least: 16 with
 * 4 KiB pages (2 MiB PMDs), 4 with 16 KiB pages (32 MiB PMDs).
 */
#define _GNU_SOURCE
#include <sys/resource.h>

#include "thp_retry_util.h"
#include "thp_bench.h"
#include "thp_frag.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

#define MAX_RANGES	256
#define DEFAULT_BYTES	(32 * THP_MIB)	/* N and M by default */
static char khd_sleep[32];
static struct thp_frag frag;

static void cleanup(void)
{
	thp_khugepaged_resume(khd_sleep);
	thp_frag_stop(&frag);
}

static int die(const char *what, int err)
{
	printf("# bench: setup failed: %s: %s\n", what, strerror(err));
	cleanup();
	return 1;
}

/* Head PFN of the range at @p, 0 if it is not one whole THP. */
static uint64_t head_pfn(void *p, size_t nr)
{
	uint64_t head = 0;
	char why[160];

	return thp_range_is_thp(getpid(), p, nr, &head, why, sizeof(why)) ? head : 0;
}

/* Is the range at @p (alone in its VMA) mapped by one PMD? */
static bool pmd_mapped(char *p)
{
	return thp_smaps_kb(getpid(), p, "AnonHugePages") > 0;
}

struct run {
	double us[MAX_RANGES];
	int ok, failed, moved;
	char last_err[128];
};

/*
 * @n ranges at @p made pte-mapped by "split"; each gets its own VMA first
 * (an mprotect'ed guard page in between), so that smaps can tell one range
 * from the next.
 */
static int make_ranges(char *p, size_t pmd, int n, uint64_t *heads)
{
	size_t nr = pmd / sysconf(_SC_PAGESIZE);
	char res[256];
	int i;

	for (i = 0; i < n; i++) {
		char *r = p + 2 * i * pmd;

		heads[i] = head_pfn(r, nr);
		if (!heads[i])
			return i;
		if (thp_request("split", getpid(), r, res, sizeof(res)))
			return i;
	}
	return n;
}

static void collapse_one(char *r, size_t pmd, bool native, uint64_t head, struct run *run)
{
	size_t nr = pmd / sysconf(_SC_PAGESIZE);
	char res[256];
	uint64_t t0, t1, now;
	int ret;

	t0 = thp_now_ns();
	if (native)
		ret = thp_request("collapse", getpid(), r, res, sizeof(res));
	else
		ret = madvise(r, pmd, MADV_COLLAPSE) ? -errno : 0;
	t1 = thp_now_ns();
	if (ret || !pmd_mapped(r)) {
		run->failed++;
		snprintf(run->last_err, sizeof(run->last_err), "%.100s",
			 ret ? (native ? res : strerror(-ret)) : "not PMD-mapped");
		return;
	}
	now = head_pfn(r, nr);
	if (now != head)
		run->moved++;
	run->us[run->ok++] = (t1 - t0) / 1000.0;
}

/* 2 * @n ranges: even ones native, odd ones MADV_COLLAPSE. */
static void collapse_all(char *p, size_t pmd, int n, const uint64_t *heads, struct run *nat,
			 struct run *madv)
{
	int i;

	for (i = 0; i < n; i++)
		collapse_one(p + 2 * i * pmd, pmd, !(i & 1), heads[i], i & 1 ? madv : nat);
}

static void report(const char *what, struct run *nat, struct run *madv)
{
	char a[32], b[32], c[32];
	double mn = median(nat->us, nat->ok), mm = median(madv->us, madv->ok);

	printf("# bench: anon %s: native ok=%d/%d moved=%d median_us=%s, madv_collapse "
	       "ok=%d/%d moved=%d median_us=%s, ratio_madv_over_native=%s\n", what, nat->ok,
	       nat->ok + nat->failed, nat->moved, fmt_us(mn, a, sizeof(a)), madv->ok,
	       madv->ok + madv->failed, madv->moved, fmt_us(mm, b, sizeof(b)),
	       fmt_ratio(mm, mn, c, sizeof(c)));
	if (nat->failed)
		printf("# bench: anon %s: native last failure: %s\n", what, nat->last_err);
	if (madv->failed)
		printf("# bench: anon %s: madv_collapse last failure: %s\n", what,
		       madv->last_err);
}

int main(int argc, char **argv)
{
	static uint64_t heads[2 * MAX_RANGES];
	static struct run nat, madv, fnat, fmadv;
	int n = argc > 1 ? atoi(argv[1]) : -1, m = argc > 2 ? atoi(argv[2]) : -1;
	long pmd = thp_pmd_size();
	char *p, *q;
	int got, fgot, i, def;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (access(THP_DEBUGFS "/collapse", F_OK))
		return die(THP_DEBUGFS "/collapse", errno);
	if (pmd <= 0)
		return die("hpage_pmd_size", EINVAL);
	def = thp_pmd_ranges(pmd, MAX_RANGES, DEFAULT_BYTES, 4);
	if (n < 2 || n > MAX_RANGES)
		n = def;
	if (m < 2 || m > MAX_RANGES)
		m = def;
	thp_khugepaged_pause(khd_sleep, sizeof(khd_sleep));
	if (thp_set_engine("native"))
		return die("engine=native", EINVAL);

	/* ranges 2i are THPs, 2i+1 guard PMDs that keep the VMAs apart */
	p = thp_map_aligned(2 * (n + m) * pmd, pmd, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return die("mmap", errno);
	for (i = 0; i < n + m; i++) {
		char *r = p + 2 * i * pmd;

		madvise(r, pmd, MADV_HUGEPAGE);
		memset(r, 0x40 + (i & 31), pmd);
		mprotect(r + pmd, pmd, PROT_NONE);
	}
	q = p + 2 * n * pmd;
	got = make_ranges(p, pmd, n, heads);
	fgot = make_ranges(q, pmd, m, heads + n);
	if (got < 2)
		return die("no anonymous THP to split", ENOMEM);

	collapse_all(p, pmd, got, heads, &nat, &madv);
	report("free_memory", &nat, &madv);

	thp_frag_start(&frag, pmd);
	printf("# bench: anon fragmented: %zu MiB locked in small pages, %d free THPs taken, "
	       "MemFree %lld MiB, free PMD-sized blocks %ld\n", frag.len / THP_MIB, frag.nhogs,
	       thp_mem_free() / (long long)THP_MIB, thp_free_pmd_blocks());
	if (fgot >= 2) {
		collapse_all(q, pmd, fgot, heads + n, &fnat, &fmadv);
		report("fragmented", &fnat, &fmadv);
	} else {
		printf("# bench: anon fragmented: only %d ranges\n", fgot);
	}
	munmap(p, 2 * (n + m) * pmd);
	cleanup();
	return 0;
}
