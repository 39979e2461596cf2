// SPDX-License-Identifier: GPL-2.0
/*
 * collapse_anon.c - in-place collapse of a pte-mapped anonymous THP: the
 * PTE table that maps subpages 0..511 of one PMD-size anonymous folio is
 * replaced by one PMD that maps the same folio. Same PFNs, no allocation,
 * no copy. Upstream has no such path: khugepaged and MADV_COLLAPSE
 * allocate a new THP and copy 2 MiB into it (and fail when no free 2 MiB
 * block is left).
 *
 * What is collapsed: a private anonymous VMA (not mlocked, no userfaultfd)
 * that covers the PMD range, whose 512 PTEs are all present and map
 * subpage i of one anonymous PMD-size folio at PTE i, where
 *   - every subpage is mapped exactly once (by these PTEs) and the folio
 *     not at all by a PMD: no other process shares it (fork);
 *   - the folio's references are exactly its 512 mappings (plus ours):
 *     no GUP pin (refused: folio_pinned) nor any other reference (vmsplice,
 *     O_DIRECT, migration or compaction in progress: folio_extra_refs,
 *     EAGAIN, retried);
 *   - it is not in the swap cache and (6.12) not marked partially mapped;
 *   - the subpages agree on anon-exclusive (all exclusive, or none and all
 *     PTEs read-only); no PTE carries uffd-wp or a NUMA hint.
 * The PMD is writable when every PTE was, dirty / young / soft-dirty when
 * any PTE was. Everything else is refused with its reason, nothing changed.
 *
 * Locking, as khugepaged's collapse_huge_page() on both kernels:
 *
 *   mmap_lock write          no fault (6.1), no fork, no VMA change, no
 *                            MADV_DONTNEED; collapse.c takes it for
 *                            anonymous ranges on every kernel
 *     vma_start_write()      6.12: page faults under the per-VMA lock wait
 *     folio lock             no migration, reclaim or split of the folio
 *       anon_vma write       no rmap walker inside the range
 *         mmu notifier start/end
 *           pmd lock: pmdp_collapse_flush() detaches the PTE table and
 *           flushes the TLB; then GUP-fast is waited for, and the table is
 *           checked under its own lock. A refusal puts the table back
 *           (pmd_populate, as upstream does when isolation fails); success
 *           clears it, moves the rmap from 512 PTEs to one PMD, deposits
 *           the table (a later PMD split takes it back) and sets the PMD.
 *
 * Checking after the detach is what makes the reference count conclusive.
 * GUP-fast (IRQs off, no locks) re-reads the pmd after it has taken its
 * reference and drops the reference when the pmd changed (both kernels:
 * gup_pte_range() / gup_fast_pte_range()). Its reference is a fully ordered
 * atomic, and our pmd clear is followed by the TLB flush's barrier before
 * the count is read: either it sees the cleared pmd and backs off, or we
 * see its reference and refuse. The tlb_remove_table_sync_one() IPI after
 * the detach is still needed, as in upstream khugepaged: the table is
 * deposited, and a later zap of the PMD frees a deposited table with
 * pte_free() at once, which a GUP-fast walker still inside it from before
 * the detach (arm64 flushes by broadcast TLBI, no IPI) would read.
 *
 * A range request (or the worker's drain) waits once for a batch of ranges
 * instead (thp_anon_batch_flush()). zap_deposited_table() is the only free
 * of a deposited table, and every path to it holds one of:
 *   - the mmap lock: zap_huge_pmd() from munmap, exit, the OOM reaper,
 *     6.1/6.12 MADV_DONTNEED;
 *   - the per-VMA lock: 7.3 MADV_DONTNEED(_LOCKED) and MADV_GUARD_INSTALL
 *     (lock_vma_under_rcu() fails on a VMA we vma_start_write()-locked, and
 *     they fall back to the mmap lock);
 *   - the folio lock: a PMD-mapped lazyfree folio discarded by
 *     __discard_anon_folio_pmd_locked() (6.12+, asserts it).
 * The batch keeps the mmap write lock (so the VMA write lock) and each
 * collapsed folio's lock until after the wait: range.c finishes the batch
 * before it lets the mmap lock go, and the engine before it waits for
 * another folio lock. A split of the PMD withdraws the table and fills it
 * again, it does not free it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>		/* before huge_mm.h */
#include <linux/huge_mm.h>
#include <linux/mmu_notifier.h>
#include <linux/pagemap.h>
#include <linux/rmap.h>

#include "compat.h"
#include "collapse_anon.h"
#include "collapse_file.h"	/* struct thp_file_batch */
#include "ksyms.h"
#include "pgtable.h"
#include "request.h"

/* What the PTEs of the range say, gathered by thp_anon_check_ptes(). */
struct thp_anon_bits {
	bool write;
	bool mixed_write;
	bool exclusive;
	bool dirty;
	bool young;
	bool soft_dirty;
};

/* Every PTE present and mapping subpage i of @folio, bits that agree. */
static enum thp_result thp_anon_check_ptes(struct thp_req *req, struct folio *folio,
					   pte_t *start_pte, struct thp_anon_bits *b)
{
	int i;

	memset(b, 0, sizeof(*b));
	for (i = 0; i < HPAGE_PMD_NR; i++) {
		/* the bits are ORed over the range: thp_ptep_get_raw() is enough */
		pte_t ptent = thp_ptep_get_raw(start_pte + i);
		struct page *page = folio_page(folio, i);
		unsigned long pfn;
		bool w, excl;

		if (pte_none(ptent))
			return thp_req_fail(req, THP_PTE_NONE, "pte %d: none (zapped)", i);
		if (!pte_present(ptent))
			return thp_req_fail(req, THP_PTE_NONPRESENT, "pte %d: %s", i,
					    thp_nonpresent_kind(ptent) == THP_NP_MIGRATION ?
					    "migration entry" : "swap or marker entry");
		if (pte_special(ptent))
			return thp_req_fail(req, THP_PTE_SPECIAL, "pte %d: special", i);
		pfn = pte_pfn(ptent);
		if (pfn != folio_pfn(folio) + i)
			return thp_req_fail(req, THP_PTE_OTHER, "pte %d: pfn %#lx, expected %#lx",
					    i, pfn, folio_pfn(folio) + i);
		if (pte_protnone(ptent))
			return thp_req_fail(req, THP_PTE_BITS, "pte %d: NUMA hinting", i);
		if (thp_pte_uffd(ptent))
			return thp_req_fail(req, THP_PTE_BITS, "pte %d: uffd-wp", i);
		w = pte_write(ptent);
		excl = PageAnonExclusive(page);
		if (!i) {
			b->write = w;
			b->exclusive = excl;
			b->mixed_write = false;
		} else if (excl != b->exclusive) {
			return thp_req_fail(req, THP_ANON_NOT_EXCLUSIVE,
					    "subpage %d: anon-exclusive %d, subpage 0: %d", i, excl,
					    b->exclusive);
		}
		if (i && w != b->write)
			b->mixed_write = true;
		b->write &= w;
		b->dirty |= pte_dirty(ptent);
		b->young |= pte_young(ptent);
		b->soft_dirty |= pte_soft_dirty(ptent);
	}
	/*
	 * Some PTEs writable, some not (6.1's mprotect() back to PROT_WRITE
	 * leaves clean PTEs read-only): the PMD is read-only, and the next
	 * write reuses the exclusive folio in place. A folio that is not
	 * anon-exclusive may not be mapped writable at all.
	 */
	if ((b->write || b->mixed_write) && !b->exclusive)
		return thp_req_fail(req, THP_ANON_NOT_EXCLUSIVE,
				    "writable PTEs map a folio that is not anon-exclusive");
	return THP_SUCCEEDED;
}

/*
 * The folio is ours alone: mapped once per subpage (by the PTEs checked
 * above), never by a PMD, referenced by nothing but those mappings and @refs
 * references of our own.
 */
static enum thp_result thp_anon_check_mapped(struct thp_req *req, struct folio *folio, int refs)
{
	int i, expected = HPAGE_PMD_NR + refs;

	if (folio_entire_mapcount(folio))
		return thp_req_fail(req, THP_ANON_SHARED, "folio also mapped by a PMD");
	for (i = 0; i < HPAGE_PMD_NR; i++) {
		int mapcount = atomic_read(&folio_page(folio, i)->_mapcount) + 1;

		if (mapcount != 1)
			return thp_req_fail(req, THP_ANON_SHARED,
					    "subpage %d mapped %d times (fork)", i, mapcount);
	}
	if (folio_maybe_dma_pinned(folio))
		return thp_req_fail(req, THP_FOLIO_PINNED, "pinned (FOLL_PIN)");
	/*
	 * Another reference: GUP (vmsplice, O_DIRECT in flight), or one that
	 * comes and goes (compaction or migration isolating it, page_idle).
	 * Retried, not refused: EAGAIN. No per-CPU LRU batch holds a PMD-size
	 * folio on either kernel (folio_may_be_lru_cached(), 6.1's
	 * folio_test_large() checks), so there is nothing to drain first.
	 */
	if (folio_ref_count(folio) != expected)
		return thp_req_fail(req, THP_FOLIO_REFS, "refcount %d, expected %d",
				    folio_ref_count(folio), expected);
	return THP_SUCCEEDED;
}

/* mm/internal.h's folio_anon_vma(). Context: folio locked or mapped. */
static struct anon_vma *thp_folio_anon_vma(struct folio *folio)
{
	unsigned long mapping = (unsigned long)READ_ONCE(folio->mapping);

	if ((mapping & THP_MAPPING_FLAGS) != THP_MAPPING_ANON)
		return NULL;
	return (struct anon_vma *)(mapping - THP_MAPPING_ANON);
}

/* The folio itself: anonymous, PMD-size, at the right place, settled. */
static enum thp_result thp_anon_check_folio(struct thp_req *req, struct vm_area_struct *vma,
					    struct folio *folio)
{
	struct anon_vma *av;

	if (!folio_test_anon(folio) || folio_test_ksm(folio))
		return thp_req_fail(req, THP_PTE_OTHER, "pte 0: not an anonymous page");
	if (folio_order(folio) != HPAGE_PMD_ORDER)
		return thp_req_fail(req, THP_NOT_THP, "pte 0: order %u folio",
				    folio_order(folio));
	av = thp_folio_anon_vma(folio);
	if (folio->index != linear_page_index(vma, req->haddr) || !av ||
	    av->root != vma->anon_vma->root)
		return thp_req_fail(req, THP_PTE_OTHER, "folio of another anon_vma or offset");
	if (folio_test_swapcache(folio))
		return thp_req_fail(req, THP_FOLIO_STATE, "in the swap cache");
	if (thp_folio_partially_mapped(folio))
		return thp_req_fail(req, THP_FOLIO_STATE, "queued for split as partially mapped");
	return THP_SUCCEEDED;
}

/*
 * The folio that PTE 0 maps, with a reference, if it is the head of a
 * folio. Context: mmap lock held.
 */
static enum thp_result thp_anon_first_folio(struct thp_req *req, pmd_t *pmd, pmd_t pmdval,
					    struct folio **foliop)
{
	struct folio *folio = NULL;
	struct thp_pte_lock l;
	pte_t *pte, ptent;

	pte = thp_pte_lock(req, pmd, pmdval, &l);
	if (!pte) {
		thp_pte_unlock(&l);
		return req->result;
	}
	ptent = ptep_get(pte);
	if (pte_none(ptent)) {
		thp_req_fail(req, THP_PTE_NONE, "pte 0: none (zapped)");
	} else if (!pte_present(ptent)) {
		thp_req_fail(req, THP_PTE_NONPRESENT, "pte 0: swap, migration or marker entry");
	} else if (pte_special(ptent) || !pfn_valid(pte_pfn(ptent))) {
		thp_req_fail(req, THP_PTE_SPECIAL, "pte 0: special");
	} else {
		struct page *page = pfn_to_page(pte_pfn(ptent));

		folio = page_folio(page);
		if (&folio->page != page) {
			thp_req_fail(req, THP_PTE_OTHER, "pte 0: subpage %ld of a folio",
				     folio_page_idx(folio, page));
			folio = NULL;
		} else {
			/* mapped, so it has references; the PTL keeps it mapped */
			folio_get(folio);
		}
	}
	thp_pte_unlock(&l);
	*foliop = folio;
	return folio ? THP_SUCCEEDED : req->result;
}

/* The VMA rules that only anonymous ranges have. */
static enum thp_result thp_anon_check_vma(struct thp_req *req, struct vm_area_struct *vma)
{
	if (vma->vm_flags & VM_LOCKED)
		return thp_req_fail(req, THP_VMA_MLOCKED, "mlocked VMA");
	if (!vma->anon_vma)
		return thp_req_fail(req, THP_NOT_MAPPED, "no anonymous memory faulted in");
	return THP_SUCCEEDED;
}

/**
 * thp_anon_precheck() - read-only check of an anonymous range
 * @req: the request
 * @vma: the anonymous VMA, checked by thp_req_check_vma()
 * @pmd: the pmd of the range
 * @pmdval: its value, a PTE table
 *
 * The checks of thp_anon_collapse_locked() without the detach, so the
 * reference count can still change right after. Used by "scan".
 *
 * Context: mmap lock held (read is enough); may sleep.
 * Return: THP_SUCCEEDED when the range looks collapsible, else the refusal.
 */
enum thp_result thp_anon_precheck(struct thp_req *req, struct vm_area_struct *vma, pmd_t *pmd,
				  pmd_t pmdval)
{
	struct thp_anon_bits bits;
	struct thp_pte_lock l;
	struct folio *folio;
	pte_t *start_pte;

	mmap_assert_locked(req->mm);
	if (thp_anon_check_vma(req, vma) != THP_SUCCEEDED ||
	    thp_anon_first_folio(req, pmd, pmdval, &folio) != THP_SUCCEEDED)
		return req->result;
	if (thp_anon_check_folio(req, vma, folio) != THP_SUCCEEDED)
		goto put;
	start_pte = thp_pte_lock(req, pmd, pmdval, &l);
	if (start_pte && thp_anon_check_ptes(req, folio, start_pte, &bits) == THP_SUCCEEDED)
		thp_anon_check_mapped(req, folio, 1);
	thp_pte_unlock(&l);
put:
	folio_put(folio);
	return req->result;
}

/**
 * thp_anon_would() - what thp_anon_collapse_locked() would return now
 * @req: the request
 * @vma: the anonymous VMA, checked by thp_req_check_vma()
 *
 * Its checks in its order, read-only (thp_anon_precheck() for the range):
 * for "explain".
 *
 * Context: mmap lock held (read is enough); may sleep.
 * Return: THP_SUCCEEDED or the refusal.
 */
enum thp_result thp_anon_would(struct thp_req *req, struct vm_area_struct *vma)
{
	pmd_t *pmd, pmdval;

	mmap_assert_locked(req->mm);
	if (!thp_feature_enabled(FEAT_ANON))
		return thp_req_fail(req, THP_ENGINE_UNAVAILABLE,
				    "anon-inplace disabled, see features");
	if (thp_anon_check_vma(req, vma) != THP_SUCCEEDED)
		return req->result;
	pmd = thp_req_walk(req, &pmdval);
	if (!pmd || thp_pmd_collapse_state(req, pmdval) != THP_SUCCEEDED)
		return req->result;
	if (pmd_none(pmdval))
		return thp_req_fail(req, THP_NOT_MAPPED, "nothing mapped in %lx-%lx",
				    req->haddr, req->haddr + HPAGE_PMD_SIZE);
	return thp_anon_precheck(req, vma, pmd, pmdval);
}

/* The PMD that maps @folio with what the PTEs said. */
static pmd_t thp_anon_mk_pmd(struct folio *folio, struct vm_area_struct *vma,
			     const struct thp_anon_bits *b)
{
	pmd_t entry = thp_mk_huge_pmd(folio, vma->vm_page_prot);

	if (b->dirty)
		entry = pmd_mkdirty(entry);
	if (b->write)
		entry = thp_ksym_fn(maybe_pmd_mkwrite)(entry, vma);
	entry = b->young ? pmd_mkyoung(entry) : pmd_mkold(entry);
	if (b->soft_dirty)
		entry = pmd_mksoft_dirty(entry);
	return entry;
}

/*
 * Under the mmap write lock, the folio lock and the anon_vma lock, with the
 * mmu notifier started: detach, check, then put back or collapse.
 */
static enum thp_result thp_anon_swap_table(struct thp_req *req, struct vm_area_struct *vma,
					   struct folio *folio, pmd_t *pmd, pmd_t pmdval)
{
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *pml, *ptl = NULL;
	struct thp_anon_bits bits;
	pte_t *start_pte;
	pmd_t old, entry;
	int i;

	pml = pmd_lock(mm, pmd);
	start_pte = thp_pte_map_same(req, pmd, pmdval, &ptl);
	if (!start_pte) {
		spin_unlock(pml);
		return req->result;
	}
	/* detach the table: no TLB entry, no hardware walk, no new GUP-fast reference */
	old = thp_ksym_fn(pmdp_collapse_flush)(vma, req->haddr, pmd);
	spin_unlock(pml);
	/*
	 * The pmd clear before the reference count is read: GUP-fast takes its
	 * reference, then reads the pmd again (top of file). The TLB flush
	 * orders them already on x86 and arm64; say so where it matters.
	 */
	smp_mb();
	/* a batch waits once, before its folios are unlocked (top of file) */
	if (!req->batch)
		thp_gup_fast_sync();

	spin_lock(ptl);
	if (thp_anon_check_ptes(req, folio, start_pte, &bits) != THP_SUCCEEDED ||
	    thp_anon_check_mapped(req, folio, 1) != THP_SUCCEEDED) {
		spin_unlock(ptl);
		/* put the table back as it was: nothing has been changed */
		pml = pmd_lock(mm, pmd);
		pmd_populate(mm, pmd, pmd_pgtable(old));
		spin_unlock(pml);
		goto unmap;
	}
	thp_clear_detached_ptes(mm, req->haddr, start_pte);
	thp_anon_rmap_ptes_to_pmd(folio, vma, req->haddr, bits.exclusive);
	/* a PMD-mapped THP keeps PG_anon_exclusive on its head page only */
	if (bits.exclusive)
		for (i = 1; i < HPAGE_PMD_NR; i++)
			ClearPageAnonExclusive(folio_page(folio, i));
	spin_unlock(ptl);

	entry = thp_anon_mk_pmd(folio, vma, &bits);
	pml = pmd_lock(mm, pmd);
	/* the emptied table stays with the PMD for a later split (mm nr_ptes unchanged) */
	thp_ksym_fn(pgtable_trans_huge_deposit)(mm, pmd, pmd_pgtable(old));
	thp_set_huge_pmd(mm, req->haddr, pmd, entry);
	update_mmu_cache_pmd(vma, req->haddr, pmd);
	spin_unlock(pml);
	/* one reference per PTE mapping before, one for the PMD mapping now */
	folio_ref_sub(folio, HPAGE_PMD_NR - 1);
	req->result = THP_SUCCEEDED;
unmap:
	thp_pte_unmap(start_pte);
	return req->result;
}

/**
 * thp_anon_batch_flush() - wait for GUP-fast once for a batch's collapses
 * @b: the batch, or NULL
 * @mm: the mm of its ranges
 *
 * The tables of the anonymous ranges collapsed since the last call were
 * deposited without a wait for GUP-fast walkers (thp_anon_swap_table());
 * wait once for all of them, then let their folios go. See the top of this
 * file for why the deposited tables cannot be freed before.
 *
 * Context: the mmap lock held for write since those ranges were collapsed.
 */
void thp_anon_batch_flush(struct thp_file_batch *b, struct mm_struct *mm)
{
	int i;

	if (!b || !b->anon_nr)
		return;
	mmap_assert_write_locked(mm);
	thp_gup_fast_sync();
	for (i = 0; i < b->anon_nr; i++) {
		folio_unlock(b->anon_folios[i]);
		folio_put(b->anon_folios[i]);
	}
	b->anon_nr = 0;
}

/* Keep a collapsed range's folio locked and referenced until the batch's wait. */
static void thp_anon_defer(struct thp_file_batch *b, struct vm_area_struct *vma,
			   struct folio *folio)
{
	/* what keeps the deposited table from being freed until the wait */
	thp_vma_assert_write_locked(vma);
	VM_WARN_ON_ONCE(!folio_test_locked(folio));
	b->anon_folios[b->anon_nr++] = folio;
	if (b->anon_nr == ARRAY_SIZE(b->anon_folios))
		thp_anon_batch_flush(b, vma->vm_mm);
}

/**
 * thp_anon_collapse_locked() - collapse an anonymous range in place
 * @req: the request
 * @vma: the anonymous VMA, checked by thp_req_check_vma()
 *
 * See the top of this file for what is collapsed and how.
 *
 * Context: mmap lock held for write (collapse.c takes it for anonymous
 * ranges when the anon-inplace feature is on; without it, this refuses).
 * Return: THP_SUCCEEDED or the refusal.
 */
enum thp_result thp_anon_collapse_locked(struct thp_req *req, struct vm_area_struct *vma)
{
	struct mm_struct *mm = req->mm;
	struct mmu_notifier_range range;
	struct folio *folio;
	pmd_t *pmd, pmdval;

	if (!thp_feature_enabled(FEAT_ANON))
		return thp_req_fail(req, THP_ENGINE_UNAVAILABLE,
				    "anon-inplace disabled, see features");
	mmap_assert_write_locked(mm);
	if (thp_anon_check_vma(req, vma) != THP_SUCCEEDED)
		return req->result;
	pmd = thp_req_walk(req, &pmdval);
	if (!pmd || thp_pmd_collapse_state(req, pmdval) != THP_SUCCEEDED)
		return req->result;
	if (pmd_none(pmdval))
		return thp_req_fail(req, THP_NOT_MAPPED, "nothing mapped in %lx-%lx",
				    req->haddr, req->haddr + HPAGE_PMD_SIZE);

	thp_vma_start_write(vma);
	if (thp_anon_first_folio(req, pmd, pmdval, &folio) != THP_SUCCEEDED)
		return req->result;
	if (!folio_trylock(folio)) {
		if (req->trylock) {
			thp_req_fail(req, THP_FOLIO_LOCKED, "folio locked");
			goto put;
		}
		/* never wait for a folio lock holding the batch's */
		thp_anon_batch_flush(req->batch, mm);
		if (folio_lock_killable(folio)) {
			thp_req_fail(req, THP_INTERRUPTED, "waiting for the folio lock");
			goto put;
		}
	}
	if (thp_anon_check_folio(req, vma, folio) != THP_SUCCEEDED)
		goto unlock;

	thp_anon_vma_lock_write(vma->anon_vma);
	thp_mmu_range_init(&range, vma, req->haddr, req->haddr + HPAGE_PMD_SIZE);
	thp_mmu_notifier_start(&range);
	thp_anon_swap_table(req, vma, folio, pmd, pmdval);
	thp_mmu_notifier_end(&range);
	thp_anon_vma_unlock_write(vma->anon_vma);
	if (req->result == THP_SUCCEEDED && req->batch) {
		thp_anon_defer(req->batch, vma, folio);
		return req->result;
	}
unlock:
	folio_unlock(folio);
put:
	folio_put(folio);
	return req->result;
}
