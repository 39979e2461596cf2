/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - every difference between the kernels thp_retry supports.
 *
 * Targets: Debian 6.1 (bookworm), 6.12 (trixie, bookworm-security) and 7.x
 * (trixie-backports), x86_64 and arm64, and 7.x arm64 with 16K pages. Code
 * outside this header uses only the THP_HAVE_* macros and the thp_*
 * wrappers defined here, never LINUX_VERSION_CODE.
 *
 * THP_HAVE_* macros come from compat_probe.h, which scripts/compat-probe.sh
 * writes at build time by looking at the headers being built against. A
 * version number is not enough: Debian's 6.12 point releases moved struct and
 * tracepoint layouts, and KERNEL_VERSION() clamps 6.1.192 to 6.1.255.
 *
 * Several kernel inlines reference functions that are not exported to
 * modules (add_mm_counter() calls mm_trace_rss_stat(), the mmu notifier
 * inlines call __mmu_notifier_*, pte_offset_map_lock() calls
 * __pte_offset_map_lock() on 6.12...). Using them would fail modpost, so the
 * wrappers below restate them with the looked-up symbols of ksyms.h. Each
 * must only run once thp_feature_enabled() said yes for its feature.
 */
#ifndef THP_COMPAT_H
#define THP_COMPAT_H

#include <linux/types.h>
#include "compat_probe.h"

#ifndef __ASSEMBLY__
#include <linux/mm.h>
#include <linux/huge_mm.h>
#include <linux/khugepaged.h>
#include <linux/mmu_notifier.h>
#include <linux/pagemap.h>
#include <linux/ptrace.h>
#include <linux/rmap.h>
#include <linux/swap.h>		/* before swapops.h */
#include <linux/swapops.h>
#include <linux/uprobes.h>
#include <linux/userfaultfd_k.h>
#ifdef THP_HAVE_SOFTLEAF
#include <linux/leafops.h>
#endif
#include <asm/pgalloc.h>
#include <asm/tlbflush.h>
#include "ksyms.h"

#ifdef CONFIG_X86
/* asm/tlbflush.h declares it only #ifndef MODULE; asm/tlb.h's inlines use it */
void flush_tlb_mm_range(struct mm_struct *mm, unsigned long start, unsigned long end,
			unsigned int stride_shift, bool freed_tables);
#endif
#include <asm/tlb.h>

#ifdef CONFIG_MMU_GATHER_RCU_TABLE_FREE
/* asm-generic/tlb.h's declaration, repeated (asm/tlb.h is included above) */
void tlb_remove_table_sync_one(void);
#endif

/*
 * Lock level of a collapse. 6.1 frees a retracted page table at once, so
 * every walker that does not hold the mmap lock (rmap walks under i_mmap or
 * anon_vma locks) must be excluded: mmap write lock, i_mmap and anon_vma
 * write. 6.6+ ("free retracted page table by RCU") frees it with
 * pte_free_defer(), walkers revalidate the pmd under the PTL, and the mmap
 * read lock is enough.
 */
#ifdef THP_HAVE_PTE_FREE_DEFER
#define THP_COLLAPSE_MMAP_WRITE	0
#else
#define THP_COLLAPSE_MMAP_WRITE	1
#endif

/*
 * Try the mmap lock at a level; false when it is contended. Never sleeps:
 * the retry worker (a kthread, which no signal can kill) must not queue
 * behind a long read holder, or every later reader of that mm queues behind
 * the worker, and module unload waits for it.
 *
 * 6.10 removed mmap_write_trylock() (no user was left). The rwsem trylock
 * is what it was, minus the mmap_lock tracepoint; mmap_write_unlock() pairs
 * with it. Where mmap_write_lock() also begins the mm_lock_seq write section
 * (the per-VMA lock sequence, 6.12.y backport and 6.13+), so must we.
 */
static inline bool thp_mmap_trylock(struct mm_struct *mm, bool write)
{
	if (!write)
		return mmap_read_trylock(mm);
#ifdef THP_HAVE_MMAP_WRITE_TRYLOCK
	return mmap_write_trylock(mm);
#else
	if (!down_write_trylock(&mm->mmap_lock))
		return false;
#ifdef THP_HAVE_MM_LOCK_SEQCOUNT
	mm_lock_seqcount_begin(mm);
#endif
	return true;
#endif
}

/*
 * 6.1's khugepaged_add_pte_mapped_thp(), a kprobe target (hooks_list.h):
 * static in mm/khugepaged.c, gone in 6.6 with the 8-entry list it fed. No
 * header shows it; of the kernels we build for, the ones that still have
 * page_remove_rmap() (gone in 6.8) are the ones that have it.
 */
#ifdef THP_HAVE_PAGE_REMOVE_RMAP
#define THP_HAVE_KHUGEPAGED_ADD_PTE_MAPPED_THP	1
#else
#define THP_HAVE_KHUGEPAGED_ADD_PTE_MAPPED_THP	0
#endif

/*
 * Did the kernel's collapse_pte_mapped_thp() leave the range PMD-mapped (or
 * retracted, to refault as a PMD)? Its answer is mm/khugepaged.c's private
 * enum scan_result; compat-probe.sh reads the values of SCAN_SUCCEED and
 * SCAN_PMD_MAPPED (1 and 4 on 6.1 and 6.12, 1 and 3 on 7.x) from the
 * huge_memory tracepoints' list of its members.
 */
static inline bool thp_kernel_collapse_ok(long scan_result)
{
	return scan_result == THP_SCAN_SUCCEED || scan_result == THP_SCAN_PMD_MAPPED;
}

/*
 * The kernel function whose return is the scan_result of a pte-mapped THP
 * collapse: 7.x's collapse_pte_mapped_thp() returns nothing and is a thin
 * wrapper of the static try_collapse_pte_mapped_thp(), which MADV_COLLAPSE
 * and khugepaged also call directly. A kretprobe target (hooks_list.h).
 */
#ifdef THP_HAVE_COLLAPSE_PTE_MAPPED_VOID
#define THP_COLLAPSE_PTE_MAPPED_FN	try_collapse_pte_mapped_thp
#else
#define THP_COLLAPSE_PTE_MAPPED_FN	collapse_pte_mapped_thp
#endif

/*
 * The kernel function every uprobe breakpoint write goes through: 6.16+'s
 * uprobe_write(auprobe, vma, vaddr, insn, nbytes, verify, is_register, ...),
 * which uprobe_write_opcode() (inlined into its callers where the compiler
 * likes) and x86's optimized uprobes call; before, uprobe_write_opcode(
 * auprobe, mm, vaddr, opcode). A kretprobe target (hooks_list.h).
 */
#ifdef THP_HAVE_UPROBE_WRITE
#define THP_UPROBE_WRITE_FN	uprobe_write
#else
#define THP_UPROBE_WRITE_FN	uprobe_write_opcode
#endif

/*
 * The arguments of a THP_UPROBE_WRITE_FN call, read at its entry: the mm,
 * the address written and whether it installs a breakpoint (else restores
 * the original instruction). False when the call is none of the two: x86's
 * optimized uprobes (7.x) rewrite a 5-byte NOP into a call in several
 * uprobe_write() steps, some at vaddr + 1, all but the breakpoint's own
 * install and the final restore with do_update_ref_ctr false
 * (arch/x86/kernel/uprobes.c); those leave the breakpoint's set as it is.
 * Context: a kprobe handler.
 */
static inline bool thp_uprobe_write_args(struct pt_regs *regs, struct mm_struct **mm,
					 unsigned long *vaddr, bool *install)
{
#ifdef THP_HAVE_UPROBE_WRITE
	struct vm_area_struct *vma = (void *)regs_get_kernel_argument(regs, 1);

	*mm = vma->vm_mm;
	*vaddr = regs_get_kernel_argument(regs, 2);
	*install = regs_get_kernel_argument(regs, 6) & 1;
	return regs_get_kernel_argument(regs, 7) & 1;
#else
	uprobe_opcode_t opcode = (__force uprobe_opcode_t)regs_get_kernel_argument(regs, 3);

	*mm = (struct mm_struct *)regs_get_kernel_argument(regs, 1);
	*vaddr = regs_get_kernel_argument(regs, 2);
	*install = opcode == UPROBE_SWBP_INSN;
	return true;
#endif
}

/*
 * Run the kernel's collapse_pte_mapped_thp(mm, addr, true); its scan_result,
 * or -1 where it returns nothing (7.x): the caller looks at the pmd anyway.
 */
static inline long thp_kernel_collapse_pte_mapped_thp(struct mm_struct *mm, unsigned long addr)
{
#ifdef THP_HAVE_COLLAPSE_PTE_MAPPED_VOID
	thp_ksym_fn(collapse_pte_mapped_thp)(mm, addr, true);
	return -1;
#else
	return thp_ksym_fn(collapse_pte_mapped_thp)(mm, addr, true);
#endif
}

/*
 * prctl(PR_SET_THP_DISABLE) for every VMA of @mm. A request is an explicit
 * advice, like MADV_COLLAPSE: 7.x's "except advised" mode does not refuse
 * it (vma_thp_disabled(..., forced_collapse)).
 */
static inline bool thp_mm_thp_disabled(struct mm_struct *mm)
{
#ifdef THP_HAVE_MM_FLAGS_TEST
	return mm_flags_test(MMF_DISABLE_THP_COMPLETELY, mm);
#else
	return test_bit(MMF_DISABLE_THP, &mm->flags);
#endif
}

/*
 * 7.x prctl(PR_SET_THP_DISABLE, 1, PR_THP_DISABLE_EXCEPT_ADVISED): THPs only
 * where VM_HUGEPAGE advises them. The kernel's background collapse honours
 * it (vma_thp_disabled(..., false)); so does autoscan.
 */
static inline bool thp_mm_thp_disabled_unless_advised(struct mm_struct *mm)
{
#ifdef THP_HAVE_MMF_DISABLE_THP_EXCEPT_ADVISED
	return mm_flags_test(MMF_DISABLE_THP_EXCEPT_ADVISED, mm);
#else
	return false;
#endif
}

/**
 * enum thp_nonpresent - what a non-present, non-none PTE holds
 * @THP_NP_SWAP: a swap entry
 * @THP_NP_MIGRATION: a migration entry
 * @THP_NP_MARKER: a PTE marker (uffd-wp, poison, guard)
 * @THP_NP_DEVICE: a device-private or device-exclusive entry
 */
enum thp_nonpresent {
	THP_NP_SWAP,
	THP_NP_MIGRATION,
	THP_NP_MARKER,
	THP_NP_DEVICE,
};

/* 7.x: softleaf_t; before: swp_entry_t and the swapops.h tests. */
static inline enum thp_nonpresent thp_nonpresent_kind(pte_t pte)
{
#ifdef THP_HAVE_SOFTLEAF
	softleaf_t entry = softleaf_from_pte(pte);

	if (softleaf_is_migration(entry))
		return THP_NP_MIGRATION;
	if (softleaf_is_marker(entry))
		return THP_NP_MARKER;
	if (softleaf_is_device_private(entry) || softleaf_is_device_exclusive(entry))
		return THP_NP_DEVICE;
#else
	swp_entry_t entry = pte_to_swp_entry(pte);

	if (is_migration_entry(entry))
		return THP_NP_MIGRATION;
	if (is_pte_marker_entry(entry))
		return THP_NP_MARKER;
	if (is_device_private_entry(entry) || is_device_exclusive_entry(entry))
		return THP_NP_DEVICE;
#endif
	return THP_NP_SWAP;
}

/* The uffd bit of a present PTE: 7.x's pte_uffd() (wp or rwp), pte_uffd_wp(). */
static inline bool thp_pte_uffd(pte_t pte)
{
#ifdef THP_HAVE_PTE_UFFD
	return pte_uffd(pte);
#else
	return pte_uffd_wp(pte);
#endif
}

/* folio->mapping's low bits: FOLIO_MAPPING_* on 7.x, PAGE_MAPPING_* before. */
#ifdef THP_HAVE_FOLIO_MAPPING_FLAGS
#define THP_MAPPING_FLAGS	FOLIO_MAPPING_FLAGS
#define THP_MAPPING_ANON	FOLIO_MAPPING_ANON
#else
#define THP_MAPPING_FLAGS	PAGE_MAPPING_FLAGS
#define THP_MAPPING_ANON	PAGE_MAPPING_ANON
#endif

/* A huge pmd mapping @folio: folio_mk_pmd() on 7.x, mk_huge_pmd() before. */
static inline pmd_t thp_mk_huge_pmd(struct folio *folio, pgprot_t prot)
{
#ifdef THP_HAVE_FOLIO_MK_PMD
	return folio_mk_pmd(folio, prot);
#else
	return mk_huge_pmd(&folio->page, prot);
#endif
}

/*
 * anon_vma_lock_write()/anon_vma_unlock_write(): in linux/rmap.h before
 * 7.x, in mm/internal.h since, with the same body.
 */
static inline void thp_anon_vma_lock_write(struct anon_vma *anon_vma)
{
#ifdef THP_HAVE_ANON_VMA_LOCK_WRITE
	anon_vma_lock_write(anon_vma);
#else
	down_write(&anon_vma->root->rwsem);
#endif
}

static inline void thp_anon_vma_unlock_write(struct anon_vma *anon_vma)
{
#ifdef THP_HAVE_ANON_VMA_LOCK_WRITE
	anon_vma_unlock_write(anon_vma);
#else
	up_write(&anon_vma->root->rwsem);
#endif
}

/* do_set_pmd(): 7.x takes the folio and its first page. */
static inline vm_fault_t thp_do_set_pmd(struct vm_fault *vmf, struct folio *folio)
{
#ifdef THP_HAVE_DO_SET_PMD_FOLIO
	return thp_ksym_fn(do_set_pmd)(vmf, folio, &folio->page);
#else
	return thp_ksym_fn(do_set_pmd)(vmf, &folio->page);
#endif
}

/* __split_huge_pmd() without a folio to match: 7.x dropped the argument. */
static inline void thp_split_huge_pmd(struct vm_area_struct *vma, pmd_t *pmd,
				      unsigned long addr)
{
#ifdef THP_HAVE_SPLIT_HUGE_PMD_4
	thp_ksym_fn(__split_huge_pmd)(vma, pmd, addr, false);
#else
	thp_ksym_fn(__split_huge_pmd)(vma, pmd, addr, false, NULL);
#endif
}

/*
 * Map the PTE table under @pmd without locking it; *ptlp gets its lock.
 * 6.5+ can fail (returns NULL) when the pmd changed under us.
 */
static inline pte_t *thp_pte_map_nolock(struct mm_struct *mm, pmd_t *pmd,
					unsigned long addr, spinlock_t **ptlp)
{
#if defined(THP_HAVE_PTE_OFFSET_MAP_RW_NOLOCK)
	pmd_t pmdval;

	return thp_ksym_fn(pte_offset_map_rw_nolock)(mm, pmd, addr, &pmdval, ptlp);
#elif defined(THP_HAVE_PTE_OFFSET_MAP_FAILABLE)
	return thp_ksym_fn(pte_offset_map_nolock)(mm, pmd, addr, ptlp);
#else
	*ptlp = pte_lockptr(mm, pmd);
	return pte_offset_map(pmd, addr);
#endif
}

/*
 * Unmap what thp_pte_map_nolock() mapped. On 6.5+ pte_unmap() drops the RCU
 * read lock that pte_offset_map_nolock() took where sparse cannot see it.
 */
static inline void thp_pte_unmap(pte_t *pte)
{
#ifdef THP_HAVE_PTE_OFFSET_MAP_FAILABLE
	__acquire(RCU);
#endif
	pte_unmap(pte);
}

/*
 * A PTE as stored, for the loops that look at every PTE of a range and use
 * access and dirty bits only ORed over all of them. arm64 6.9+
 * (CONFIG_ARM64_CONTPTE): ptep_get() of an entry in a contiguous block
 * (16 entries with 4K pages, 128 with 16K) reads the whole block to gather
 * the bits the hardware may have set on any one of its entries
 * (contpte_ptep_get()), so a loop over a PMD range read 16 or 128 times its
 * PTEs: most of a 7.x arm64 collapse under QEMU TCG. Each stored entry holds
 * its own page's pfn and the block's permissions; the union of the access
 * and dirty bits over whole blocks is the same either way.
 *
 * Context: PTE lock held.
 */
static inline pte_t thp_ptep_get_raw(pte_t *ptep)
{
#ifdef CONFIG_ARM64_CONTPTE
	return __ptep_get(ptep);
#else
	return ptep_get(ptep);
#endif
}

/*
 * Remove the rmap of @nr PTE mappings of consecutive pages of a file folio,
 * from @page on. 6.8+: folio_remove_rmap_ptes(). 6.1: what
 * page_remove_rmap(page, vma, false) does for each of them, once for the
 * run: each subpage's _mapcount dropped, NR_FILE_MAPPED (shmem included)
 * lowered by the number of subpages that lost their last mapping. Its
 * lock_page_memcg() is not needed: the folio is locked, which is what keeps
 * 6.1's charge moving (mem_cgroup_move_account() under trylock_page()) off
 * it; its munlock_vma_page() does nothing for a subpage of a THP (6.1 only
 * munlocks a THP through its compound mapping). Per page under QEMU TCG,
 * page_remove_rmap() cost more than the rest of a 6.1 collapse.
 *
 * Context: folio locked, PTE lock held (preemption off, as the __mod_*
 * counters require).
 */
static inline void thp_remove_rmap_ptes(struct folio *folio, struct page *page, int nr,
					struct vm_area_struct *vma)
{
#ifdef THP_HAVE_FOLIO_REMOVE_RMAP_PTES
	thp_ksym_fn(folio_remove_rmap_ptes)(folio, page, nr, vma);
#else
	int i, last = 0;

	VM_WARN_ON_ONCE(folio_test_anon(folio) || !folio_test_locked(folio) ||
			!folio_test_large(folio));
	for (i = 0; i < nr; i++)
		if (atomic_add_negative(-1, &page[i]._mapcount))
			last++;
	if (last)
		__mod_lruvec_page_state(page, NR_FILE_MAPPED, -last);
#endif
}

/*
 * Clear @nr present PTEs that map consecutive pages of one folio, all under
 * one pmd, and return the first with the dirty and young bits of all of
 * them. 6.9+: get_and_clear_full_ptes(), which on arm64
 * (CONFIG_ARM64_CONTPTE) clears whole contiguous blocks (64 KiB with 4K
 * pages, 2 MiB with 16K) without unfolding them first (one TLB flush per
 * block, which costs more under QEMU TCG than the rest of a collapse).
 * 6.1: one PTE at a time.
 *
 * Context: the PTE lock held.
 */
static inline pte_t thp_get_and_clear_ptes(struct mm_struct *mm, unsigned long addr,
					   pte_t *pte, unsigned int nr)
{
#ifdef THP_HAVE_GET_AND_CLEAR_FULL_PTES
	return get_and_clear_full_ptes(mm, addr, pte, nr, 0);
#else
	pte_t ptent = ptep_get_and_clear(mm, addr, pte);

	while (--nr) {
		pte_t tmp;

		pte++;
		addr += PAGE_SIZE;
		tmp = ptep_get_and_clear(mm, addr, pte);
		if (pte_dirty(tmp))
			ptent = pte_mkdirty(ptent);
		if (pte_young(tmp))
			ptent = pte_mkyoung(ptent);
	}
	return ptent;
#endif
}

/* add_mm_counter() without the unexported tracepoint call. */
static inline void thp_add_mm_counter(struct mm_struct *mm, int member, long value)
{
#ifdef THP_HAVE_RSS_STAT_PERCPU
	percpu_counter_add(&mm->rss_stat[member], value);
#else
	long count = atomic_long_add_return(value, &mm->rss_stat.count[member]);
#endif
#ifdef THP_HAVE_RSS_TRACE_COUNT
	thp_ksym_fn(mm_trace_rss_stat)(mm, member, count);
#else
	thp_ksym_fn(mm_trace_rss_stat)(mm, member);
#endif
}

/* mmu_notifier_range_init() lost its vma argument in 6.3. */
static inline void thp_mmu_range_init(struct mmu_notifier_range *range,
				      struct vm_area_struct *vma, unsigned long start,
				      unsigned long end)
{
#ifdef THP_HAVE_MMU_NOTIFIER_RANGE_INIT_6
	mmu_notifier_range_init(range, MMU_NOTIFY_CLEAR, 0, vma->vm_mm, start, end);
#else
	mmu_notifier_range_init(range, MMU_NOTIFY_CLEAR, 0, vma, vma->vm_mm, start, end);
#endif
}

/*
 * mmu_notifier_invalidate_range_start/end() minus the lockdep map (not
 * exported; Debian kernels have no lockdep).
 */
static inline void thp_mmu_notifier_start(struct mmu_notifier_range *range)
{
	might_sleep();
	if (mm_has_notifiers(range->mm)) {
		range->flags |= MMU_NOTIFIER_RANGE_BLOCKABLE;
		thp_ksym_fn(__mmu_notifier_invalidate_range_start)(range);
	}
}

static inline void thp_mmu_notifier_end(struct mmu_notifier_range *range)
{
	might_sleep();
	if (mm_has_notifiers(range->mm)) {
#ifdef THP_HAVE_MMU_NOTIFIER_END_ONLY_END
		thp_ksym_fn(__mmu_notifier_invalidate_range_end)(range, false);
#else
		thp_ksym_fn(__mmu_notifier_invalidate_range_end)(range);
#endif
	}
}

/*
 * One TLB flush for many retracted PTE tables, through the kernel's own
 * mmu_gather: thp_tlb_gather() before the first pmd is cleared (it raises
 * the mm's tlb_flush_pending, so that a concurrent zap that finds a pmd
 * already none still flushes: mm_inline.h's contract), thp_tlb_add_tables()
 * for each range cleared, thp_tlb_finish() for the flush. A range is added
 * as PTEs (PAGE_SIZE stride, as pmdp_collapse_flush()'s flush_tlb_range()):
 * every 4K (16K) leaf entry of it must go, not only one per PMD; with
 * freed_tables the page-walk caches go too (x86: flush_tlb_mm_range() with
 * freed_tables, a full flush past 33 pages; arm64: non-last-level TLBIs or
 * the whole ASID; secondary TLBs as well). The gather only flushes: the
 * caller frees the tables itself, after thp_tlb_finish().
 * tlb_gather_mmu() and tlb_finish_mmu() are not exported (looked up);
 * x86's flush_tlb_range() and arm64's inline TLBI helpers use symbols a
 * module cannot link against.
 */
static inline void thp_tlb_gather(struct mmu_gather *tlb, struct mm_struct *mm)
{
	thp_ksym_fn(tlb_gather_mmu)(tlb, mm);
}

static inline void thp_tlb_add_tables(struct mmu_gather *tlb, unsigned long start,
				      unsigned long size)
{
	tlb_flush_pte_range(tlb, start, size);
	tlb->freed_tables = 1;
}

static inline void thp_tlb_finish(struct mmu_gather *tlb)
{
	thp_ksym_fn(tlb_finish_mmu)(tlb);
}

/*
 * Free a page table just retracted from a pmd (already cleared and flushed).
 * 6.6+: lockless walkers (under RCU) may still read it: defer the free.
 * 6.1: wait for GUP-fast (IRQ-disabled walkers) first, then free.
 */
static inline void thp_free_retracted_pte_tables(struct mm_struct *mm, const pmd_t *pgt_pmds,
						 int n)
{
	int i;

	if (!n)
		return;
#if !defined(THP_HAVE_PTE_FREE_DEFER) && defined(CONFIG_MMU_GATHER_RCU_TABLE_FREE)
	/* one wait for GUP-fast covers every table detached before it */
	thp_ksym_fn(tlb_remove_table_sync_one)();
#endif
	for (i = 0; i < n; i++) {
		mm_dec_nr_ptes(mm);
#ifdef THP_HAVE_PTE_FREE_DEFER
		thp_ksym_fn(pte_free_defer)(mm, pmd_pgtable(pgt_pmds[i]));
#else
		pte_free(mm, pmd_pgtable(pgt_pmds[i]));
#endif
	}
}

static inline void thp_free_retracted_pte_table(struct mm_struct *mm, pmd_t pgt_pmd)
{
	thp_free_retracted_pte_tables(mm, &pgt_pmd, 1);
}

/*
 * The folio's mapcount, for "explain"; -1 on 6.1, where folio_mapcount() is
 * out of line and not exported.
 */
static inline int thp_folio_mapcount(struct folio *folio)
{
#ifdef THP_HAVE_PAGE_REMOVE_RMAP
	return -1;
#else
	return folio_mapcount(folio);
#endif
}

/* A page-cache folio with a reference, or NULL (6.12: ERR_PTR on a miss). */
static inline struct folio *thp_filemap_get_folio(struct address_space *mapping,
						  pgoff_t index)
{
	struct folio *folio = __filemap_get_folio(mapping, index, 0, 0);

	return IS_ERR_OR_NULL(folio) ? NULL : folio;
}

/* get_user_pages_remote() lost its vmas argument in 6.5. */
static inline long thp_gup_remote(struct mm_struct *mm, unsigned long start,
				  unsigned long nr, unsigned int flags, struct page **pages)
{
#ifdef THP_HAVE_GUP_REMOTE_NO_VMAS
	return get_user_pages_remote(mm, start, nr, flags, pages, NULL);
#else
	return get_user_pages_remote(mm, start, nr, flags, pages, NULL, NULL);
#endif
}

/* collapse_anon.c: in-place collapse of anonymous THPs. */

/* mm/huge_memory.c, declared only in mm/internal.h on both kernels. */
pmd_t maybe_pmd_mkwrite(pmd_t pmd, struct vm_area_struct *vma);

/* Make page faults that run under the per-VMA lock (6.4+) wait for us. */
static inline void thp_vma_start_write(struct vm_area_struct *vma)
{
#ifdef THP_HAVE_PER_VMA_LOCK
	vma_start_write(vma);
#endif
}

/* thp_vma_start_write() was called under the mmap write lock still held. */
static inline void thp_vma_assert_write_locked(struct vm_area_struct *vma)
{
#ifdef THP_HAVE_PER_VMA_LOCK
	vma_assert_write_locked(vma);
#else
	mmap_assert_write_locked(vma->vm_mm);
#endif
}

/*
 * Wait until no GUP-fast walker (IRQs off, no locks) can still be inside a
 * page table just detached from its pmd. GUP-fast backs off by itself when
 * it sees the pmd changed, but the detached table is deposited, and a later
 * zap of the PMD frees a deposited table with pte_free() at once, with no
 * RCU delay: upstream khugepaged syncs here for the same reason.
 */
static inline void thp_gup_fast_sync(void)
{
#ifdef CONFIG_MMU_GATHER_RCU_TABLE_FREE
	thp_ksym_fn(tlb_remove_table_sync_one)();
#endif
}

/* 6.12: an anon THP queued for deferred split because it is partially mapped. */
static inline bool thp_folio_partially_mapped(struct folio *folio)
{
#ifdef THP_HAVE_FOLIO_PARTIALLY_MAPPED
	return folio_test_partially_mapped(folio);
#else
	return false;
#endif
}

/*
 * Install a huge pmd for pages that were mapped (by PTEs) until now. arm64's
 * set_pmd_at() syncs the icache and MTE tags of newly mapped pages through
 * mte_sync_tags(), which is not exported; these pages were synced when
 * their PTEs were set, so set_pmd() is what is left to do. page_table_check
 * is off in the Debian arm64 configs (a kernel with it on must use
 * set_pmd_at(), whose check pairs with the PTE clears).
 */
static inline void thp_set_huge_pmd(struct mm_struct *mm, unsigned long addr, pmd_t *pmdp,
				    pmd_t pmd)
{
#if defined(CONFIG_ARM64) && defined(CONFIG_ARM64_MTE)
	BUILD_BUG_ON(IS_ENABLED(CONFIG_PAGE_TABLE_CHECK));
	set_pmd(pmdp, pmd);
#else
	set_pmd_at(mm, addr, pmdp, pmd);
#endif
}

/*
 * Clear the PTEs of a page table that is detached from its pmd, its TLB
 * entries flushed and GUP-fast drained: nothing can walk it any more.
 * arm64's ptep helpers (6.9+, CONFIG_ARM64_CONTPTE) first unfold each
 * contiguous 64 KiB block, flushing its TLB entries again, which costs more
 * than the whole rest of a collapse under QEMU TCG; so arm64 writes zeros
 * (page_table_check is off there, see thp_set_huge_pmd()). Elsewhere the
 * generic helper, whose page_table_check hook pairs with the PMD set.
 */
static inline void thp_clear_detached_ptes(struct mm_struct *mm, unsigned long addr,
					   pte_t *pte)
{
#ifdef CONFIG_ARM64
	BUILD_BUG_ON(IS_ENABLED(CONFIG_PAGE_TABLE_CHECK));
	memset(pte, 0, HPAGE_PMD_NR * sizeof(pte_t));
#else
	int i;

	for (i = 0; i < HPAGE_PMD_NR; i++, addr += PAGE_SIZE)
		ptep_get_and_clear(mm, addr, pte + i);
#endif
}

/*
 * Turn the HPAGE_PMD_NR PTE mappings of an anonymous PMD-size folio into one
 * PMD mapping: rmap, mapcounts, NR_ANON_MAPPED and NR_ANON_THPS.
 *
 * 6.8+: folio_remove_rmap_ptes() for all of them in one call, so the folio
 * never looks partially mapped and is not queued for a deferred split;
 * then folio_add_anon_rmap_pmd().
 * 6.1: page_remove_rmap() would queue the THP for a deferred split at its
 * first subpage, and 6.1's shrinker splits whatever is queued. So the PTE
 * mapcounts (each exactly 0, i.e. one mapping, checked by the caller) and
 * NR_ANON_MAPPED are dropped here, and page_add_anon_rmap(RMAP_COMPOUND)
 * adds the PMD mapping with its counters (and mlock, anon_vma checks).
 *
 * Context: folio locked (keeps its memcg stable), PTE table lock held
 * (preemption off, as the __mod_* counters require).
 */
static inline void thp_anon_rmap_ptes_to_pmd(struct folio *folio, struct vm_area_struct *vma,
					     unsigned long haddr, bool exclusive)
{
	rmap_t flags = exclusive ? RMAP_EXCLUSIVE : RMAP_NONE;
#ifdef THP_HAVE_FOLIO_ADD_ANON_RMAP_PMD
	thp_ksym_fn(folio_remove_rmap_ptes)(folio, &folio->page, HPAGE_PMD_NR, vma);
	thp_ksym_fn(folio_add_anon_rmap_pmd)(folio, &folio->page, vma, haddr, flags);
#else
	int i;

	for (i = 0; i < HPAGE_PMD_NR; i++)
		atomic_dec(&folio_page(folio, i)->_mapcount);
	__mod_lruvec_page_state(&folio->page, NR_ANON_MAPPED, -HPAGE_PMD_NR);
	thp_ksym_fn(page_add_anon_rmap)(&folio->page, vma, haddr, flags | RMAP_COMPOUND);
#endif
}

#endif /* __ASSEMBLY__ */
#endif /* THP_COMPAT_H */
