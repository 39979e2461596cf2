// SPDX-License-Identifier: GPL-2.0
/*
 * foll_split_pmd.c - FOLL_SPLIT_PMD: turn the PMD mapping of a THP into a
 * PTE mapping of the same THP, leaving the compound page whole and in the
 * page cache (upstream: follow_pmd_mask() with FOLL_SPLIT_PMD, which uprobes
 * use before writing a breakpoint).
 *
 * Upstream does, under the mmap read lock:
 *
 *	split_huge_pmd(vma, pmd, address);	file THP: the pmd is just zapped
 *	pte_alloc(mm, pmd);			an empty PTE table, so that the
 *						next fault maps PTEs, not a PMD
 *	follow_page_pte(...);			faults the one page GUP wanted
 *
 * We do the same for the whole PMD range and then fault every subpage in
 * (read faults through get_user_pages_remote(); fault-around maps 16 at a
 * time), so that when the write returns the range is PTE-mapped, not just
 * unmapped. The faults are FOLL_FORCE reads, as ptrace's are: a PROT_NONE
 * (or write- or exec-only) VMA is split in place too, its PTEs keeping the
 * VMA's protection. Success is claimed only after the PTE table was seen
 * to map every subpage; a racing fault that re-installs a PMD, or a racing
 * zap, is reported (pmd_changed, EAGAIN) rather than hidden.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>		/* before huge_mm.h */
#include <linux/huge_mm.h>
#include <linux/sched/signal.h>

#include "compat.h"
#include "foll_split_pmd.h"
#include "ksyms.h"
#include "pgtable.h"
#include "range.h"
#include "request.h"
#include "thp_trace.h"

#define THP_SPLIT_GUP_BATCH	32

/*
 * What a failed fault-in means. -EFAULT is final (SIGBUS: a page beyond
 * EOF, or no access even with FOLL_FORCE): the range stays as the zap left
 * it, to be faulted in as the process touches it. Only a fault that lost a
 * race is worth another try.
 */
static enum thp_result thp_populate_result(long err)
{
	switch (err) {
	case -ENOMEM:
		return THP_NO_MEMORY;
	case -EFAULT:
		return THP_NOT_MAPPED;
	case -EINTR:
	case -ERESTARTSYS:
		return THP_INTERRUPTED;
	default:
		return THP_PMD_CHANGED;
	}
}

/* Fault every subpage of the range in by PTEs. */
static enum thp_result thp_populate_ptes(struct thp_req *req)
{
	struct page *pages[THP_SPLIT_GUP_BATCH];
	unsigned long addr = req->haddr, end = req->haddr + HPAGE_PMD_SIZE;
	long i, got;

	while (addr < end) {
		got = thp_gup_remote(req->mm, addr, THP_SPLIT_GUP_BATCH, FOLL_FORCE, pages);
		if (got <= 0)
			return thp_req_fail(req, thp_populate_result(got), "faulting in %lx: %ld",
					    addr, got);
		for (i = 0; i < got; i++)
			put_page(pages[i]);
		addr += got * PAGE_SIZE;
	}
	return THP_SUCCEEDED;
}

/*
 * How many PTEs of the range are present, or -1 when the pmd no longer maps
 * a PTE table. Context: mmap lock held.
 */
static int thp_split_present_ptes(struct thp_req *req, pmd_t *pmd)
{
	pmd_t pmdval = thp_pmd_read(pmd);
	struct thp_pte_lock l;
	pte_t *start_pte;
	int i, nr = -1;

	if (pmd_none(pmdval) || !pmd_present(pmdval) || pmd_trans_huge(pmdval))
		return -1;
	start_pte = thp_pte_lock(req, pmd, pmdval, &l);
	if (start_pte) {
		nr = 0;
		for (i = 0; i < HPAGE_PMD_NR; i++)
			if (pte_present(ptep_get(start_pte + i)))
				nr++;
	}
	thp_pte_unlock(&l);
	return nr;
}

static enum thp_result thp_split_locked(struct thp_req *req, struct vm_area_struct *vma)
{
	struct mm_struct *mm = req->mm;
	pmd_t *pmd, pmdval;
	int nr;

	pmd = thp_req_walk(req, &pmdval);
	if (!pmd)
		return req->result;
	if (pmd_none(pmdval))
		return thp_req_fail(req, THP_NOT_MAPPED, "nothing mapped in %lx-%lx", req->haddr,
				    req->haddr + HPAGE_PMD_SIZE);
	if (!pmd_trans_huge(pmdval)) {
		/* "already PTE-mapped" only where PTEs really map something */
		nr = thp_split_present_ptes(req, pmd);
		if (nr > 0)
			return thp_req_fail(req, THP_ALREADY_PTE, "pmd maps a page table, %d PTEs",
					    nr);
		if (nr < 0)
			return thp_req_fail(req, THP_PMD_CHANGED, "pmd changed");
		return thp_req_fail(req, THP_NOT_MAPPED, "page table with no PTE present");
	}

	thp_split_huge_pmd(vma, pmd, req->haddr);
	if (pmd_none(thp_pmd_read(pmd)) && thp_ksym_fn(__pte_alloc)(mm, pmd))
		return thp_req_fail(req, THP_NO_MEMORY, "page table allocation");
	if (thp_populate_ptes(req) != THP_SUCCEEDED)
		return req->result;
	nr = thp_split_present_ptes(req, pmd);
	if (nr < 0)
		return thp_req_fail(req, THP_PMD_CHANGED, "a racing fault mapped the PMD again");
	if (nr != HPAGE_PMD_NR)
		return thp_req_fail(req, THP_PMD_CHANGED, "%d of %d PTEs present (racing zap)",
				    nr, HPAGE_PMD_NR);
	return THP_SUCCEEDED;
}

/**
 * thp_split() - PTE-map the THP that a PMD maps at req->haddr
 * @req: a request holding the target mm
 *
 * Transient failures (EAGAIN) are retried a few times before they are
 * reported.
 *
 * Context: process context, may sleep; takes the mmap read lock itself.
 * Return: the result, also stored in req->result.
 */
enum thp_result thp_split(struct thp_req *req)
{
	u64 start = trace_thp_split_enabled() ? ktime_get_ns() : 0;
	struct vm_area_struct *vma;
	int tries = 0;

	if (!thp_feature_enabled(FEAT_SPLIT)) {
		thp_req_fail(req, THP_ENGINE_UNAVAILABLE, "split disabled, see features");
	} else {
		/* a racing fault that mapped the PMD again: try again, a few times */
		while (thp_req_try(req, &tries)) {
			if (thp_req_lock_vma(req, false, &vma) == THP_SUCCEEDED)
				thp_split_locked(req, vma);
			thp_req_unlock(req);
		}
	}
	trace_thp_split(req, "native", tries, start ? ktime_get_ns() - start : 0);
	return req->result;
}

static void thp_split_trace(const struct thp_req *r, int tries, u64 ns)
{
	trace_thp_split(r, "native", tries, ns);
}

static bool thp_split_traced(void)
{
	return trace_thp_split_enabled();
}

static const struct thp_range_ops thp_split_range_ops = {
	.verb = "split", .write = false, .one = thp_split_locked,
	.done = THP_SUCCEEDED, .already = THP_ALREADY_PTE,
	.trace = thp_split_trace, .traced = thp_split_traced,
};

/**
 * thp_split_range() - split every PMD-mapped range of PID:START-END
 * @req: a range request holding the target mm
 *
 * Each PMD range as thp_split() would do it, under one walk of the mmap
 * read lock (range.c), one trace event per PMD range.
 *
 * Context: process context, may sleep.
 * Return: the result, also stored in req->result.
 */
enum thp_result thp_split_range(struct thp_req *req)
{
	if (!thp_feature_enabled(FEAT_SPLIT))
		return thp_req_fail(req, THP_ENGINE_UNAVAILABLE, "split disabled, see features");
	return thp_range_run(req, &thp_split_range_ops);
}
