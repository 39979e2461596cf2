// SPDX-License-Identifier: GPL-2.0
/*
 * takeover.c - khugepaged's and MADV_COLLAPSE's anonymous collapses, done
 * in place: with takeover=1, a kprobe on the kernel's collapse_huge_page()
 * (mm/khugepaged.c, static) sends a call whose PMD range the in-place
 * engine accepts to thp_takeover_collapse() instead, which collapses the
 * range in place (collapse_anon.c) and returns what the kernel's function
 * returns on success. Every other call runs the kernel's code unchanged.
 *
 * Callers (both kernels): khugepaged's scan and MADV_COLLAPSE
 * (process_madvise() too) through hpage_collapse_scan_pmd() (6.x) or
 * mthp_collapse() (7.x), after their own checks of the range (policy, VMA,
 * max_ptes_*, LRU, references) passed.
 *
 * The contract we stand in for (compat-probe.sh COLLAPSE_HUGE_PAGE_ORDER):
 *   6.1, 6.12  int collapse_huge_page(mm, address, referenced, unmapped, cc)
 *              entered with the mmap read lock held, returns with it
 *              released (the caller notes *mmap_locked = false);
 *   7.x        enum scan_result collapse_huge_page(mm, start_addr,
 *              referenced, unmapped, cc, order), entered and left with the
 *              mmap lock released; order may be below the PMD's (mTHP).
 * It returns SCAN_SUCCEED when the range is PMD-mapped; the enum's values
 * differ between kernels and come from compat-probe.sh (THP_SCAN_*).
 *
 * The decision is made in the kprobe's handler, because once redirected we
 * cannot run the kernel's function any more (it is static, and on IBT
 * kernels not callable through a pointer). The handler redirects only when
 * the range is one exclusive PMD-size anonymous folio mapped in order by
 * all its PTEs, passing the engine's own checks of the VMA, the folio and
 * the PTEs as far as they can be made without locks. Anything else runs
 * the kernel's code (counted by reason: takeover_passed_*). What keeps the
 * handler's reads safe:
 *   - the mm: a reference (mmget_not_zero(); khugepaged holds only
 *     mm_count, and on 7.x without the mmap lock an exit_mmap() could
 *     free the maple tree's nodes at once);
 *   - the VMA: vma_lookup() under RCU; on 6.x the caller holds the mmap
 *     read lock, so no VMA goes away; on 7.x VMAs are freed by RCU;
 *   - the page tables: on 6.x the caller's mmap read lock (an anonymous
 *     VMA's tables are freed only under the write lock; native x86 6.x
 *     frees them after a flush IPI to the mm's CPUs only, so IRQs off
 *     alone would not do); on 7.x IRQs off, as GUP-fast: every table
 *     free waits for RCU or an IPI to all CPUs (MMU_GATHER_RCU_TABLE_FREE,
 *     PT_RECLAIM depends on it);
 *   - the folio: a speculative reference, as GUP-fast takes, so that it
 *     cannot be split while the handler looks.
 *
 * The handler's answer is not a lock: the engine checks everything again
 * under its locks. When it refuses after all (a fault, a fork or a split
 * between the two), the caller gets SCAN_PAGE_LRU, a transient failure
 * that both callers take in their stride: khugepaged tries the range again
 * on a later pass (when the handler decides again), MADV_COLLAPSE goes on
 * with the next range and returns EAGAIN (takeover_raced).
 *
 * Turning it off (takeover=0) and unloading: thp_hooks_remove()
 * unregisters the kprobe, which waits for running handlers; a handler
 * that redirects has raised takeover_inflight first, and
 * thp_takeover_collapse() lowers it as its last step. Unload then waits
 * for it to reach zero (a khugepaged may be asleep in the engine for a
 * while) and for synchronize_rcu_tasks(): every task that lowered it has
 * left the function's last instructions (synchronize_rcu() on kernels
 * without preemption, where it is the same thing).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>		/* before huge_mm.h */
#include <linux/huge_mm.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/page_ref.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/rwsem.h>
#include <linux/sched/mm.h>
#include <linux/userfaultfd_k.h>
#include <linux/wait_bit.h>

#include "collapse.h"
#include "compat.h"
#include "hooks.h"
#include "ksyms.h"
#include "request.h"
#include "stats.h"
#include "takeover.h"

/*
 * What the handler made of a call: THP_TAKE, or why the kernel's code
 * runs (stats_list.h has one takeover_passed_* line each, in this order).
 */
enum thp_takeover_why {
	THP_TAKE = -1,
	THP_PASS_ORDER,		/* 7.x: an mTHP order, or not PMD-aligned */
	THP_PASS_VMA,		/* not a private anonymous VMA the engine takes, or exiting */
	THP_PASS_TABLE,		/* no PTE table under the pmd */
	THP_PASS_PTES,		/* a PTE does not map subpage i of one folio */
	THP_PASS_FOLIO,		/* not a PMD-size anonymous folio of this VMA's, or swap
				 * cache, KSM, queued for a split
				 */
	THP_PASS_SHARED,	/* mapped elsewhere too (fork), or by a PMD, or not
				 * anon-exclusive throughout
				 */
	THP_PASS_REFS,		/* pinned, or references beyond its mappings */
};

static bool takeover;
static bool thp_takeover_ready;		/* thp_takeover_init() has run */
static bool thp_takeover_installed;
static DEFINE_MUTEX(thp_takeover_lock);	/* the two above, and the kprobe */

static atomic_long_t *thp_takeover_inflight(void)
{
	return &thp_stats[THP_STAT_TAKEOVER_INFLIGHT];
}

/*
 * The VMA, as the engine's checks see it (thp_req_check_vma(),
 * collapse_anon.c), or NULL. Context: RCU read lock held.
 */
static struct vm_area_struct *thp_takeover_vma(struct mm_struct *mm, unsigned long haddr)
{
	struct vm_area_struct *vma = vma_lookup(mm, haddr);
	unsigned long flags;

	if (!vma || READ_ONCE(vma->vm_mm) != mm)
		return NULL;
	flags = READ_ONCE(vma->vm_flags);
	if (READ_ONCE(vma->vm_start) <= haddr &&
	    READ_ONCE(vma->vm_end) >= haddr + HPAGE_PMD_SIZE &&
	    vma_is_anonymous(vma) && READ_ONCE(vma->anon_vma) &&
	    !(flags & (VM_LOCKED | VM_NOHUGEPAGE | VM_PFNMAP | VM_MIXEDMAP | VM_IO |
		       VM_HUGETLB | VM_SHARED)) &&
	    !userfaultfd_armed(vma) && !thp_mm_thp_disabled(mm))
		return vma;
	return NULL;
}

/* The folio belongs at this place of this VMA (collapse_anon.c's check). */
static bool thp_takeover_folio_here(struct folio *folio, struct vm_area_struct *vma,
				    unsigned long haddr)
{
	unsigned long mapping = (unsigned long)READ_ONCE(folio->mapping);
	struct anon_vma *av = (struct anon_vma *)(mapping - THP_MAPPING_ANON);
	struct anon_vma *vav = READ_ONCE(vma->anon_vma);

	return (mapping & THP_MAPPING_FLAGS) == THP_MAPPING_ANON && vav &&
	       folio->index == linear_page_index(vma, haddr) &&
	       READ_ONCE(av->root) == READ_ONCE(vav->root);
}

/* The PTE table of the range, as GUP-fast finds it. Context: IRQs off. */
static pte_t *thp_takeover_table(struct mm_struct *mm, unsigned long haddr)
{
	pgd_t *pgdp = pgd_offset(mm, haddr), pgd = READ_ONCE(*pgdp);
	p4d_t *p4dp, p4d;
	pud_t *pudp, pud;
	pmd_t *pmdp, pmd;

	if (pgd_none(pgd) || pgd_bad(pgd))
		return NULL;
	p4dp = p4d_offset_lockless(pgdp, pgd, haddr);
	p4d = READ_ONCE(*p4dp);
	if (p4d_none(p4d) || p4d_bad(p4d))
		return NULL;
	pudp = pud_offset_lockless(p4dp, p4d, haddr);
	pud = READ_ONCE(*pudp);
	if (pud_none(pud) || !pud_present(pud) || pud_leaf(pud) || pud_bad(pud))
		return NULL;
	pmdp = pmd_offset_lockless(pudp, pud, haddr);
	pmd = READ_ONCE(*pmdp);	/* 64-bit: one load, as GUP-fast reads it */
	if (pmd_none(pmd) || !pmd_present(pmd) || pmd_trans_huge(pmd) || pmd_leaf(pmd) ||
	    pmd_bad(pmd))
		return NULL;
	/* the table of the value read: freed only after IRQs are on again */
	return (pte_t *)pmd_page_vaddr(pmd) + pte_index(haddr);
}

/*
 * Does the folio mapped at @pte look like one the engine collapses?
 * Context: RCU read lock held, IRQs off.
 */
static enum thp_takeover_why thp_takeover_folio(pte_t *pte, struct vm_area_struct *vma,
						unsigned long haddr)
{
	pte_t pte0 = thp_ptep_get_raw(pte);
	enum thp_takeover_why why = THP_TAKE;
	bool excl, any_write = false;
	unsigned long pfn;
	struct folio *folio;
	struct page *page;
	int i;

	if (!pte_present(pte0) || pte_special(pte0) || !pfn_valid(pte_pfn(pte0)))
		return THP_PASS_PTES;
	pfn = pte_pfn(pte0);
	page = pfn_to_page(pfn);
	folio = page_folio(page);
	/* GUP-fast's speculative reference: no split while we look */
	if (&folio->page != page || !folio_try_get(folio))
		return THP_PASS_PTES;
	if (page_folio(page) != folio || !folio_test_large(folio) ||
	    folio_order(folio) != HPAGE_PMD_ORDER || !folio_test_anon(folio) ||
	    folio_test_ksm(folio) || folio_test_swapcache(folio) ||
	    thp_folio_partially_mapped(folio) || !thp_takeover_folio_here(folio, vma, haddr)) {
		why = THP_PASS_FOLIO;
		goto put;
	}
	for (i = 0; i < HPAGE_PMD_NR; i++) {
		pte_t ptent = thp_ptep_get_raw(pte + i);

		if (!pte_present(ptent) || pte_special(ptent) || pte_pfn(ptent) != pfn + i ||
		    pte_protnone(ptent) || thp_pte_uffd(ptent)) {
			why = THP_PASS_PTES;
			goto put;
		}
		any_write |= pte_write(ptent);
	}
	if (folio_entire_mapcount(folio)) {
		why = THP_PASS_SHARED;
		goto put;
	}
	/* each subpage mapped once; all anon-exclusive, or none and no PTE writable */
	excl = PageAnonExclusive(&folio->page);
	if (any_write && !excl) {
		why = THP_PASS_SHARED;
		goto put;
	}
	for (i = 0; i < HPAGE_PMD_NR; i++) {
		struct page *sub = folio_page(folio, i);

		if (atomic_read(&sub->_mapcount) != 0 || PageAnonExclusive(sub) != excl) {
			why = THP_PASS_SHARED;
			goto put;
		}
	}
	/* one reference per mapping, and ours */
	if (folio_maybe_dma_pinned(folio) || folio_ref_count(folio) != HPAGE_PMD_NR + 1)
		why = THP_PASS_REFS;
put:
	folio_put(folio);
	return why;
}

/* The handler's decision (see the top of the file). Context: kprobe handler. */
static enum thp_takeover_why thp_takeover_check(struct mm_struct *mm, unsigned long haddr)
{
	enum thp_takeover_why why = THP_PASS_VMA;
	struct vm_area_struct *vma;
	unsigned long flags;
	pte_t *pte;

	if (!mmget_not_zero(mm))
		return THP_PASS_VMA;
	rcu_read_lock();
	vma = thp_takeover_vma(mm, haddr);
	if (vma) {
		local_irq_save(flags);
		pte = thp_takeover_table(mm, haddr);
		why = pte ? thp_takeover_folio(pte, vma, haddr) : THP_PASS_TABLE;
		local_irq_restore(flags);
	}
	rcu_read_unlock();
	/* the last reference is dropped by a worker, never here */
	mmput_async(mm);
	return why;
}

/* The collapse itself, in the caller's context with no mmap lock held. */
static int thp_takeover_run(struct mm_struct *mm, unsigned long address)
{
	struct thp_req req = { };

	if (!mmget_not_zero(mm))
		return THP_SCAN_ANY_PROCESS;
	req.mm = mm;
	req.pid = thp_mm_pid(mm);
	req.addr = address;
	req.haddr = address & HPAGE_PMD_MASK;
	thp_collapse_native(&req);
	mmput(mm);
	switch (req.result) {
	case THP_SUCCEEDED:
		thp_stat_inc(THP_STAT_TAKEOVER_TAKEN);
		return THP_SCAN_SUCCEED;
	case THP_ALREADY_PMD:
		thp_stat_inc(THP_STAT_TAKEOVER_TAKEN);
		return THP_SCAN_PMD_MAPPED;
	default:
		thp_stat_inc(THP_STAT_TAKEOVER_RACED);
		return THP_SCAN_PAGE_LRU;
	}
}

/* The last step of a redirected call: it may be the one unload waits for. */
static void thp_takeover_done(void)
{
	if (atomic_long_dec_and_test(thp_takeover_inflight()))
		wake_up_var(thp_takeover_inflight());
}

/*
 * Where a redirected call lands, with the caller's arguments and return
 * address: it stands in for collapse_huge_page() (see the top of the file).
 */
#ifdef THP_HAVE_COLLAPSE_HUGE_PAGE_ORDER
static int thp_takeover_collapse(struct mm_struct *mm, unsigned long start_addr,
				 int referenced, int unmapped, void *cc, unsigned int order)
{
	int ret = thp_takeover_run(mm, start_addr);

	thp_takeover_done();
	return ret;
}
#else
static int thp_takeover_collapse(struct mm_struct *mm, unsigned long address,
				 int referenced, int unmapped, void *cc)
{
	int ret;

	/* entered with the mmap read lock held, returns with it released */
	mmap_assert_locked(mm);
	mmap_read_unlock(mm);
	ret = thp_takeover_run(mm, address);
	thp_takeover_done();
	return ret;
}
#endif

/* Is this the call we stand in for, on a range we take? */
static enum thp_takeover_why thp_takeover_call(struct pt_regs *regs, struct mm_struct *mm,
					       unsigned long addr)
{
#ifdef THP_HAVE_COLLAPSE_HUGE_PAGE_ORDER
	if (regs_get_kernel_argument(regs, 5) != HPAGE_PMD_ORDER)
		return THP_PASS_ORDER;	/* an mTHP collapse is the kernel's */
#else
	/*
	 * 6.x: the caller holds the mmap read lock, which the replacement
	 * drops. A kernel whose function is entered unlocked but whose
	 * tracepoint does not show it (compat-probe.sh) is not guessed at.
	 */
	if (WARN_ON_ONCE(!rwsem_is_locked(&mm->mmap_lock)))
		return THP_PASS_VMA;
#endif
	if (addr & ~HPAGE_PMD_MASK)
		return THP_PASS_ORDER;
	return thp_takeover_check(mm, addr);
}

static int thp_takeover_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct mm_struct *mm = (struct mm_struct *)regs_get_kernel_argument(regs, 0);
	enum thp_takeover_why why;

	thp_stat_inc(THP_STAT_TAKEOVER_CALLS);
	why = thp_takeover_call(regs, mm, regs_get_kernel_argument(regs, 1));
	if (why != THP_TAKE) {
		thp_stat_inc((enum thp_stat)(THP_STAT_TAKEOVER_PASSED_ORDER + why));
		return 0;
	}
	atomic_long_inc(thp_takeover_inflight());
	instruction_pointer_set(regs, (unsigned long)thp_takeover_collapse);
	/* not 0: the kernel does not single-step the probed instruction */
	return 1;
}

/*
 * Does nothing, and is there for what it makes the kprobe: x86 installs a
 * kprobe with a post_handler through ftrace with FTRACE_OPS_FL_IPMODIFY
 * (registered as changing the IP, so it conflicts with a livepatch of the
 * same function instead of silently losing to it), and never optimizes it
 * into a jump, which would not honour a changed IP.
 */
static void thp_takeover_post(struct kprobe *p, struct pt_regs *regs, unsigned long flags)
{
}

static const struct thp_hook_ops thp_takeover_ops[THP_NR_HOOKS] = {
	[THP_HOOK_TAKEOVER] = { .pre = thp_takeover_pre, .post = thp_takeover_post },
};

/* Install or remove the kprobe as @on says. Context: thp_takeover_lock held. */
static int thp_takeover_apply(bool on)
{
	int ret;

	lockdep_assert_held(&thp_takeover_lock);
	if (on == thp_takeover_installed)
		return 0;
	if (!on) {
		thp_hooks_remove(THP_HOOKS_TAKEOVER);
		thp_takeover_installed = false;
		return 0;
	}
	ret = thp_hooks_install(THP_HOOKS_TAKEOVER, thp_takeover_ops, true, true);
	if (ret) {
		pr_warn("takeover: kprobe on collapse_huge_page not installed (%d)\n", ret);
		return ret;
	}
	thp_takeover_installed = true;
	return 0;
}

/* Both the kprobe target and the engine it hands the ranges to. */
static bool thp_takeover_possible(void)
{
	if (thp_feature_enabled(FEAT_TAKEOVER) && thp_feature_enabled(FEAT_ANON))
		return true;
	pr_warn("takeover: needs the takeover and anon-inplace features, see features\n");
	return false;
}

static int thp_takeover_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int ret = kstrtobool(val, &on);

	if (ret)
		return ret;
	mutex_lock(&thp_takeover_lock);
	/* at insmod the symbols are not looked up yet: thp_takeover_init() applies it */
	if (thp_takeover_ready) {
		if (on && !thp_takeover_possible())
			ret = -EOPNOTSUPP;
		else
			ret = thp_takeover_apply(on);
	}
	if (!ret)
		takeover = on;
	mutex_unlock(&thp_takeover_lock);
	return ret;
}

static const struct kernel_param_ops thp_takeover_param_ops = {
	.set = thp_takeover_set,
	.get = param_get_bool,
};
module_param_cb(takeover, &thp_takeover_param_ops, &takeover, 0644);
MODULE_PARM_DESC(takeover,
		 "Collapse in place what khugepaged and MADV_COLLAPSE would copy (0: off)");

/**
 * thp_takeover_init() - install the kprobe if takeover=1 was given to insmod
 *
 * Context: module init, after the symbols and the retry machinery.
 * Return: 0, or why takeover=1 cannot be honoured.
 */
int thp_takeover_init(void)
{
	int ret = 0;

	mutex_lock(&thp_takeover_lock);
	thp_takeover_ready = true;
	if (takeover) {
		if (!thp_takeover_possible())
			ret = -EOPNOTSUPP;
		else
			ret = thp_takeover_apply(true);
	}
	if (ret)
		thp_takeover_ready = false;
	mutex_unlock(&thp_takeover_lock);
	return ret;
}

/**
 * thp_takeover_exit() - remove the kprobe and wait for redirected calls
 *
 * Context: module exit (or a failed init), before the engine goes away.
 */
void thp_takeover_exit(void)
{
	mutex_lock(&thp_takeover_lock);
	thp_takeover_apply(false);
	thp_takeover_ready = false;
	mutex_unlock(&thp_takeover_lock);
	/* no handler runs now: only redirected calls may still be in the engine */
	wait_var_event(thp_takeover_inflight(), !atomic_long_read(thp_takeover_inflight()));
	/* ... and past their last instructions */
	synchronize_rcu_tasks();
}
