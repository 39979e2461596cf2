// SPDX-License-Identifier: GPL-2.0
/*
 * scan.c - debugfs "scan PID": find every pte-mapped THP of a process and
 * queue it for the retry worker (khugepaged_retry.c).
 *
 * A bounded walk: the page tables level by level, so a sparse address space
 * costs what is populated, not what is reserved, with the mmap read lock let
 * go every THP_SCAN_BATCH steps (see thp_scan()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>		/* before huge_mm.h */
#include <linux/huge_mm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>

#include "collapse.h"
#include "compat.h"
#include "khugepaged_retry.h"
#include "request.h"
#include "scan.h"
#include "stats.h"
#include "thp_settings.h"

/* VMAs and PMD entries a scan looks at between two drops of the mmap lock */
#define THP_SCAN_BATCH	64

/**
 * thp_scan_next_pmd() - the next populated PMD entry of a range
 * @mm: the address space
 * @addr: where to start
 * @end: where to stop
 * @pmdp: set to the PMD entry found
 *
 * The first address in [@addr, @end) whose PMD entry exists, walking down
 * from the pgd: an empty pgd, p4d or pud entry is skipped whole (512 GiB, or
 * 1 GiB, at a time), so a sparse reservation of any size costs a few steps
 * per populated upper-level entry.
 *
 * Context: mmap lock held, so no upper-level table can be freed under us.
 * Return: that address, or @end when there is none.
 */
unsigned long thp_scan_next_pmd(struct mm_struct *mm, unsigned long addr, unsigned long end,
				pmd_t **pmdp)
{
	mmap_assert_locked(mm);
	while (addr < end) {
		pgd_t *pgd = pgd_offset(mm, addr);
		p4d_t *p4d;
		pud_t *pud;
		pud_t pude;

		if (pgd_none(*pgd) || pgd_bad(*pgd)) {
			addr = pgd_addr_end(addr, end);
			continue;
		}
		p4d = p4d_offset(pgd, addr);
		if (p4d_none(*p4d) || p4d_bad(*p4d)) {
			addr = p4d_addr_end(addr, end);
			continue;
		}
		pud = pud_offset(p4d, addr);
		pude = READ_ONCE(*pud);
		if (pud_none(pude) || !pud_present(pude) || pud_leaf(pude) || pud_bad(pude)) {
			addr = pud_addr_end(addr, end);
			continue;
		}
		*pmdp = pmd_offset(pud, addr);
		return addr;
	}
	return end;
}

/**
 * struct thp_scan_walk - one scan: over what, and what it found
 * @start: the first address walked
 * @end: the end of the walk (exclusive)
 * @source: what the queue entries say queued them
 * @auto_: autoscan's walk: the mmap lock only tried, the kernel's THP
 *         policy applied to each VMA (thp_autoscan_vma_ok()), and @budget
 * @budget: with @auto_, VMAs and populated PMD entries left to look at; the
 *          walk stops at 0, @start set to where to go on from
 * @found: pte-mapped THPs found
 * @queued: entries queued for them (new or already there)
 * @full: entries the queue had no room for
 */
struct thp_scan_walk {
	unsigned long start;
	unsigned long end;
	enum thp_queue_source source;
	bool auto_;
	long budget;
	unsigned long found;
	unsigned long queued;
	unsigned long full;
};

/*
 * Queue the PMD range at @haddr if it holds a pte-mapped THP.
 * Return: 0, or -ENOMEM when no queue entry could be allocated.
 */
static int thp_scan_pmd(struct thp_req *req, struct thp_scan_walk *w,
			struct vm_area_struct *vma, unsigned long haddr, pmd_t *pmd)
{
	struct thp_req r = { .mm = req->mm, .pid = req->pid, .addr = haddr, .haddr = haddr };
	pmd_t pmdval = READ_ONCE(*pmd);
	int nr;

	/* only a PTE table can hold a pte-mapped THP */
	if (pmd_none(pmdval) || pmd_trans_huge(pmdval) || !pmd_present(pmdval))
		return 0;
	if (thp_collapse_precheck(&r, vma, pmd, pmdval, &nr) != THP_SUCCEEDED || !nr)
		return 0;
	thp_stat_inc(THP_STAT_SCAN_FOUND);
	w->found++;
	switch (thp_queue_add(req->mm, haddr, req->pid, w->source, GFP_KERNEL)) {
	case 0:
		w->queued++;
		return 0;
	case -ENOSPC:
		w->full++;
		return 0;
	default:
		return -ENOMEM;
	}
}

/*
 * The kernel's THP policy, as khugepaged applies it, for autoscan: the
 * PMD-size anonymous setting (the per-size one on 6.8+, "inherit" reading
 * the top-level "enabled") for anonymous VMAs: never, madvise (VM_HUGEPAGE
 * only) or always; for file VMAs nothing while the top-level "enabled" is
 * never, else the THP the page cache holds (tmpfs huge= made it). On 7.x
 * also prctl(PR_SET_THP_DISABLE) "except advised". VM_NOHUGEPAGE and the
 * whole-process prctl are thp_req_check_vma()'s.
 */
static bool thp_autoscan_vma_ok(struct vm_area_struct *vma)
{
	bool advised = vma->vm_flags & VM_HUGEPAGE;

	if (!advised && thp_mm_thp_disabled_unless_advised(vma->vm_mm))
		return false;
	if (!vma_is_anonymous(vma))
		return thp_settings_top() != THP_POLICY_NEVER;
	switch (thp_settings_anon_pmd()) {
	case THP_POLICY_ALWAYS:
		return true;
	case THP_POLICY_MADVISE:
		return advised;
	default:
		return false;
	}
}

/*
 * May the scan of @vma start at @haddr (its first whole PMD range)? The
 * VMA rules do not depend on which range of the VMA is asked about.
 */
static bool thp_scan_vma_ok(struct thp_req *req, struct thp_scan_walk *w,
			    struct vm_area_struct *vma, unsigned long haddr)
{
	struct thp_req r = { .mm = req->mm, .pid = req->pid, .addr = haddr, .haddr = haddr };

	if (!vma->vm_file && !vma_is_anonymous(vma))
		return false;
	if (w->auto_ && !thp_autoscan_vma_ok(vma))
		return false;
	return thp_req_check_vma(&r, vma) == THP_SUCCEEDED;
}

/* The lock of a walk: waited for, killably; only tried by autoscan. */
static bool thp_scan_lock(struct mm_struct *mm, struct thp_scan_walk *w)
{
	return w->auto_ ? mmap_read_trylock(mm) : !mmap_read_lock_killable(mm);
}

/**
 * thp_scan_step() - time to let go of the mmap lock for a moment?
 * @mm: the address space walked
 * @steps: the walk's step count, counted up here (reset when it is time)
 *
 * Return: true every THP_SCAN_BATCH steps, or when a writer waits or the CPU
 * is wanted.
 */
bool thp_scan_step(struct mm_struct *mm, unsigned int *steps)
{
	if (++*steps < THP_SCAN_BATCH && !need_resched() && !mmap_lock_is_contended(mm))
		return false;
	*steps = 0;
	return true;
}

/**
 * thp_scan_breathe() - drop the mmap read lock for a moment
 * @mm: the address space walked
 *
 * Others (the target's own mmap and munmap, page faults on 6.1) get their
 * turn, and so does the CPU.
 *
 * Context: mmap read lock held; may sleep.
 * Return: true with the lock held again; false, with the lock not held, on
 * a fatal signal.
 */
bool thp_scan_breathe(struct mm_struct *mm)
{
	mmap_read_unlock(mm);
	cond_resched();
	if (fatal_signal_pending(current))
		return false;
	return !mmap_read_lock_killable(mm);
}

/*
 * The walk of thp_scan() over [w->start, w->end).
 * Return: THP_SUCCEEDED, THP_INTERRUPTED or THP_NO_MEMORY.
 */
static enum thp_result thp_scan_range(struct thp_req *req, struct thp_scan_walk *w)
{
	struct mm_struct *mm = req->mm;
	struct vm_area_struct *vma;
	unsigned long addr = w->start, haddr, end;
	unsigned int steps = 0;
	bool breathe = false;
	pmd_t *pmd;

	if (!thp_scan_lock(mm, w))
		return thp_req_fail(req, w->auto_ ? THP_LOCK_CONTENDED : THP_INTERRUPTED,
				    "waiting for mmap_lock");
	for (;;) {
		/* the lock is let go only here, where no VMA pointer is held */
		if (w->auto_ && w->budget <= 0) {
			/* autoscan's round is over: go on from here next time */
			mmap_read_unlock(mm);
			w->start = addr;
			return thp_req_fail(req, THP_INTERRUPTED, "budget spent");
		}
		if (breathe) {
			mmap_read_unlock(mm);
			cond_resched();
			if (w->auto_ && !mmap_read_trylock(mm)) {
				w->start = addr;
				return thp_req_fail(req, THP_LOCK_CONTENDED, "mmap_lock wanted");
			}
			if (!w->auto_ && (fatal_signal_pending(current) ||
					  mmap_read_lock_killable(mm)))
				return thp_req_fail(req, THP_INTERRUPTED, "fatal signal");
		}
		vma = find_vma(mm, addr);
		if (!vma || vma->vm_start >= w->end)
			break;
		haddr = ALIGN(max(addr, vma->vm_start), HPAGE_PMD_SIZE);
		end = min(vma->vm_end, w->end) & HPAGE_PMD_MASK;
		addr = vma->vm_end;
		w->budget--;
		breathe = thp_scan_step(mm, &steps);
		if (haddr >= end || !thp_scan_vma_ok(req, w, vma, haddr))
			continue;
		while ((haddr = thp_scan_next_pmd(mm, haddr, end, &pmd)) < end) {
			if (thp_scan_pmd(req, w, vma, haddr, pmd)) {
				mmap_read_unlock(mm);
				return thp_req_fail(req, THP_NO_MEMORY, "queue entry");
			}
			haddr += HPAGE_PMD_SIZE;
			w->budget--;
			breathe = thp_scan_step(mm, &steps);
			if (breathe || (w->auto_ && w->budget <= 0)) {
				/* go on from here, looking the VMA up again */
				addr = haddr;
				break;
			}
		}
		if (addr >= w->end)
			break;
	}
	mmap_read_unlock(mm);
	w->start = w->end;
	req->result = THP_SUCCEEDED;
	return req->result;
}

/**
 * thp_scan() - queue every pte-mapped THP of a process
 * @req: a request holding the target mm (req->addr unused)
 *
 * A pte-mapped THP is a PMD range of an eligible file VMA whose PTE table
 * maps, in order, subpages of the one PMD-size page-cache THP at that offset
 * (at least one PTE present), or of a private anonymous VMA whose PTE table
 * passes thp_anon_precheck(). PMD-mapped ranges and anything that is not a
 * THP are left alone.
 *
 * The walk goes down the page tables level by level and skips empty upper
 * entries whole, so its cost follows the populated page tables, not the
 * size of the VMAs (a 100 TiB PROT_NONE reservation is a few hundred
 * loop turns). Like khugepaged, it drops the mmap read lock every
 * THP_SCAN_BATCH steps (a VMA or a populated PMD entry), and as soon as a
 * writer waits for the lock or the CPU is wanted; after that it finds its
 * place again by address, since VMAs may have changed. A fatal signal
 * stops it.
 *
 * Context: process context, may sleep; takes the mmap read lock.
 * Return: THP_SUCCEEDED, THP_INTERRUPTED or THP_NO_MEMORY.
 */
enum thp_result thp_scan(struct thp_req *req)
{
	struct thp_scan_walk w = { .start = 0, .end = ULONG_MAX, .source = SRC_SCAN };

	return thp_scan_range(req, &w);
}

/**
 * thp_queue_range() - "queue PID:START-END": queue the range's pte-mapped THPs
 * @req: a range request holding the target mm
 *
 * The walk of "scan", over [req->haddr, req->end) only, with the entries
 * counted as queued through debugfs "queue". Unlike a single-address
 * "queue", which queues the range it is given for the worker to look at,
 * a range queues only what a collapse could do now: a PTE table mapping a
 * THP. The result line says how many were found, queued and left out for
 * want of room (queue_cap).
 *
 * Context: process context, may sleep; takes the mmap read lock.
 * Return: THP_SUCCEEDED (even when nothing was found), THP_QUEUE_FULL when
 * nothing found could be queued, THP_INTERRUPTED or THP_NO_MEMORY.
 */
enum thp_result thp_queue_range(struct thp_req *req)
{
	struct thp_scan_walk w = { .start = req->haddr, .end = req->end, .source = SRC_DEBUGFS };

	if (thp_scan_range(req, &w) == THP_SUCCEEDED && w.full && !w.queued)
		thp_req_fail(req, THP_QUEUE_FULL, "queue_cap reached");
	snprintf(req->detail, sizeof(req->detail), "queue %lx-%lx: %lu found, %lu queued, %lu full",
		 req->haddr, req->end, w.found, w.queued, w.full);
	if (req->out.buffer)
		seq_buf_printf(&req->out,
			       "%s range=%#lx-%#lx found=%lu queued=%lu queue_full=%lu\n",
			       thp_result_name(req->result), req->haddr, req->end, w.found,
			       w.queued, w.full);
	return req->result;
}

/**
 * thp_scan_auto() - autoscan's walk over part of one process
 * @req: holds the target mm and the pid to name in the queue
 * @addr: the address to start from; set to where to go on from
 * @budget: VMAs and populated PMD entries the walk may look at; counted down
 *
 * The walk of "scan" from *@addr, with the entries counted as queued by
 * autoscan, the kernel's THP policy applied to every VMA (see
 * thp_autoscan_vma_ok()), and the mmap read lock only tried: a process whose
 * lock is busy, or that wants it while the walk holds it, is left for later
 * (khugepaged waits; a background pass need not). A fatal signal is not
 * looked at: the caller is a kthread.
 *
 * Context: process context (a kthread), may sleep; takes the mmap read lock.
 * Return: true when the process is done for this pass (walked to its end,
 * its lock busy from the start, or no memory for a queue entry); false when
 * the walk stopped at *@addr (its budget spent, or the lock wanted
 * half-way).
 */
bool thp_scan_auto(struct thp_req *req, unsigned long *addr, long *budget)
{
	struct thp_scan_walk w = {
		.start = *addr, .end = TASK_SIZE, .source = SRC_AUTOSCAN,
		.auto_ = true, .budget = *budget,
	};
	enum thp_result r;

	if (*budget <= 0)
		return false;
	r = thp_scan_range(req, &w);
	*budget = w.budget;
	thp_stat_add(THP_STAT_AUTOSCAN_FOUND, w.found);
	if (r == THP_LOCK_CONTENDED)
		thp_stat_inc(THP_STAT_AUTOSCAN_CONTENDED);
	if (r == THP_INTERRUPTED || (r == THP_LOCK_CONTENDED && w.start != *addr)) {
		*addr = w.start;
		return w.start >= w.end;
	}
	return true;
}
