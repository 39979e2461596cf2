// SPDX-License-Identifier: GPL-2.0
/*
 * collapse_file.c - map a pte-mapped file THP by one PMD again: the
 * module's own collapse_pte_mapped_thp() (mm/khugepaged.c), the native
 * engine for file ranges (collapse.c chooses the engine and takes the lock).
 *
 * The native engine checks that every present PTE of the PMD range maps the
 * right subpage of the page-cache THP at that offset, and only then clears
 * the PTEs, retracts the page table and maps the THP with one PMD. It never
 * copies and never allocates a THP: the folio that was mapped stays mapped.
 *
 * Locking (see also compat.h, THP_COLLAPSE_MMAP_WRITE):
 *
 *   mmap_lock (6.1: write; 6.12: read)
 *     folio lock          stops more PTEs of the folio being faulted in,
 *                         truncation and migration of the folio
 *       i_mmap_rwsem, anon_vma rwsem (6.1 only, write): no rmap walker may
 *                         hold a pointer into the table we free at once
 *         mmu notifier start/end around the change (may sleep)
 *           pmd lock (pml), then the PTE table lock (ptl) nested inside it
 *           when split PTE locks make them differ
 *
 * Unlike upstream, which scans under the PTL, drops it for the mmu notifier
 * and scans again, the notifier is started first and the check, the clear
 * and the retract happen in one pass under pml+ptl. A refusal then costs a
 * spurious invalidation of secondary MMUs (they refault), and there is no
 * window between check and clear in which a racing write fault could CoW a
 * PTE: nothing is ever cleared unless all 512 were proven right under the
 * lock.
 *
 * Why the check is enough to lose no data: a present PTE that maps subpage
 * i of the THP at page-cache index linear_page_index(haddr) maps exactly
 * what the PMD will map at that address. A none PTE maps nothing; a fault
 * there would map the same page-cache page, but only because the fault
 * makes it uptodate first. So the folio itself must be uptodate, not
 * poisoned and still the file's, within EOF (thp_check_file_folio()),
 * checked under the folio lock before any PTE is looked at. Anything else
 * (an anonymous CoW copy in a MAP_PRIVATE mapping, another folio, a swap,
 * migration or uffd-wp marker entry, a special PTE) refuses the collapse.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>		/* before huge_mm.h */
#include <linux/huge_mm.h>
#include <linux/mmu_notifier.h>
#include <linux/pagemap.h>
#include <linux/rmap.h>
#include <linux/shmem_fs.h>

#include "collapse_file.h"
#include "compat.h"
#include "ksyms.h"
#include "pgtable.h"
#include "request.h"

/* mm_counter_file(), which takes a page on 6.1 and a folio on 6.12. */
static int thp_mm_counter_file(struct folio *folio)
{
	return folio_test_swapbacked(folio) ? MM_SHMEMPAGES : MM_FILEPAGES;
}

/* What a non-present PTE holds, for the result line. */
static const char *thp_nonpresent_name(pte_t pte)
{
	switch (thp_nonpresent_kind(pte)) {
	case THP_NP_MIGRATION:
		return "migration entry";
	case THP_NP_MARKER:
		return "pte marker (uffd-wp, poison or guard)";
	case THP_NP_DEVICE:
		return "device entry";
	default:
		return "swap entry";
	}
}

/**
 * thp_check_ptes() - does every present PTE map the right subpage?
 * @req: the request (its result and detail are set on a refusal)
 * @folio: the page-cache THP for req->haddr
 * @start_pte: the first PTE of the range
 * @nr_mapped: number of present PTEs, on success
 *
 * Context: the PTE table lock held.
 * Return: THP_SUCCEEDED or the refusal naming the first bad PTE.
 */
static enum thp_result thp_check_ptes(struct thp_req *req, struct folio *folio,
				      pte_t *start_pte, int *nr_mapped)
{
	int i, nr = 0;

	for (i = 0; i < HPAGE_PMD_NR; i++) {
		/* presence and pfn only: thp_ptep_get_raw() is enough */
		pte_t ptent = thp_ptep_get_raw(start_pte + i);
		unsigned long pfn;
		struct page *page;

		/* empty pte, a fault would map the same page-cache page */
		if (pte_none(ptent))
			continue;
		if (!pte_present(ptent))
			return thp_req_fail(req, THP_PTE_NONPRESENT, "pte %d: %s", i,
					    thp_nonpresent_name(ptent));
		if (pte_special(ptent))
			return thp_req_fail(req, THP_PTE_SPECIAL, "pte %d: special", i);
		/* subpage i by its pfn: a folio's pages are one memmap run */
		pfn = pte_pfn(ptent);
		if (pfn != folio_pfn(folio) + i) {
			page = pfn_valid(pfn) ? pfn_to_page(pfn) : NULL;
			/* a MAP_PRIVATE write (or uprobe) left a private copy */
			if (page && PageAnon(page))
				return thp_req_fail(req, THP_PTE_PRIVATE,
						    "pte %d: anon page (private copy)", i);
			return thp_req_fail(req, THP_PTE_OTHER, "pte %d: pfn %#lx, expected %#lx",
					    i, pfn, folio_pfn(folio) + i);
		}
		nr++;
	}
	*nr_mapped = nr;
	return THP_SUCCEEDED;
}

/*
 * May this locked page-cache THP be mapped by a PMD? The states that
 * upstream's collapse_file() and do_set_pmd() refuse, and one they miss:
 *
 *  - not uptodate: shmem leaves a fallocate()d folio neither cleared nor
 *    uptodate until it is first written or faulted (shmem_get_folio_gfp()
 *    clears it then). No PTE can map it, but a range whose PTEs are all
 *    none, or whose table is gone, would pass the PTE check. Mapping it
 *    hands the process whatever the page last held, and a later write(2)
 *    that finds it !uptodate zeroes what was written through the mapping.
 *    MADV_COLLAPSE has this bug (Documentation/uptodate.rst);
 *  - a hardware-poisoned subpage: a PMD would map it silently, PTE-mapped
 *    it raises SIGBUS on access (do_set_pmd() refuses it too);
 *  - beyond EOF: the caller checked folio->mapping after locking it, so the
 *    folio was not truncated away; but a truncation that could not split it
 *    leaves it in place. A shmem folio that starts at or beyond EOF is past
 *    such a truncation (shmem only zeroed it). Any other file's folio must
 *    lie wholly within EOF: the kernel unmaps one that straddles it after a
 *    failed split and maps it by PTEs only, so that access beyond EOF raises
 *    SIGBUS (6.12's "SIGBUS beyond i_size" rules in filemap_map_pages() and
 *    do_set_pmd()'s callers); shmem keeps mapping a huge folio across EOF.
 * Writeback is no reason to refuse: shmem removes a folio from the page
 * cache before writing it out (the mapping check catches that), and for
 * other files do_set_pmd() maps folios under writeback too.
 *
 * Context: folio locked, so none of these can change under us except
 * i_size, which only a truncation that must take the folio lock shrinks.
 */
static enum thp_result thp_check_file_folio(struct thp_req *req, struct vm_area_struct *vma,
					    struct folio *folio)
{
	struct address_space *mapping = folio->mapping;
	pgoff_t eof = DIV_ROUND_UP(i_size_read(mapping->host), PAGE_SIZE);

	VM_WARN_ON_ONCE_FOLIO(!folio_test_locked(folio), folio);
	if (!folio_test_uptodate(folio))
		return thp_req_fail(req, THP_FOLIO_NOT_UPTODATE,
				    "index %#lx: never written (fallocate)", folio->index);
	if (folio_test_hwpoison(folio) || folio_test_has_hwpoisoned(folio))
		return thp_req_fail(req, THP_FOLIO_STATE, "hardware-poisoned subpage");
	if (folio->index >= eof)
		return thp_req_fail(req, THP_FOLIO_STATE, "beyond EOF (truncated)");
	if (!shmem_mapping(mapping) && folio->index + folio_nr_pages(folio) > eof)
		return thp_req_fail(req, THP_FOLIO_STATE, "straddles EOF (%lu pages left)",
				    eof - folio->index);
	if (folio_maybe_dma_pinned(folio))
		return thp_req_fail(req, THP_FOLIO_PINNED, "refcount %d", folio_ref_count(folio));
	return THP_SUCCEEDED;
}

/**
 * thp_get_file_thp() - the locked page-cache THP that belongs at req->haddr
 * @req: the request
 * @vma: the file VMA, already checked by thp_req_check_vma()
 * @foliop: the folio, locked and with a reference, on success
 *
 * Context: mmap lock held; may sleep (folio lock).
 * Return: THP_SUCCEEDED or the refusal.
 */
static enum thp_result thp_get_file_thp(struct thp_req *req, struct vm_area_struct *vma,
					struct folio **foliop)
{
	pgoff_t index = ((req->haddr - vma->vm_start) >> PAGE_SHIFT) + vma->vm_pgoff;
	bool pending, locked;
	struct folio *folio;

	mmap_assert_locked(vma->vm_mm);
	folio = thp_filemap_get_folio(vma->vm_file->f_mapping, index);
	if (!folio)
		return thp_req_fail(req, THP_PAGE_CACHE_MISS, "no folio at index %#lx", index);
	if (folio_order(folio) != HPAGE_PMD_ORDER || folio->index != index) {
		thp_req_fail(req, THP_NOT_THP, "index %#lx: order %u folio at %#lx", index,
			     folio_order(folio), folio->index);
		goto put;
	}
	/*
	 * A batch holds the locks of its pending folios: never wait for
	 * another folio's lock while holding them (the rule of
	 * migrate_pages_batch()); finish them first.
	 */
	pending = req->batch && req->batch->nr;
	locked = pending && folio_trylock(folio);
	if (pending && !locked)
		thp_file_batch_flush(req->batch, vma->vm_mm);
	if (!locked && folio_lock_killable(folio)) {
		thp_req_fail(req, THP_INTERRUPTED, "waiting for the folio lock");
		goto put;
	}
	/* truncated or split while we waited */
	if (folio->mapping != vma->vm_file->f_mapping || folio_order(folio) != HPAGE_PMD_ORDER) {
		thp_req_fail(req, THP_PMD_CHANGED, "folio changed while locking it");
		folio_unlock(folio);
		goto put;
	}
	if (thp_check_file_folio(req, vma, folio) != THP_SUCCEEDED) {
		folio_unlock(folio);
		goto put;
	}
	*foliop = folio;
	return THP_SUCCEEDED;
put:
	folio_put(folio);
	return req->result;
}

/**
 * thp_file_precheck() - read-only version of the file engine's step 1
 * @req: the request
 * @vma: the checked file VMA
 * @pmd: the pmd of the range
 * @pmdval: its value as read by the caller (none, or a PTE table)
 * @nr_mapped: if not NULL, the number of present PTEs on success
 *
 * Looks up and locks the page-cache THP and checks every PTE under the pmd
 * lock and the PTE lock, changing nothing. Used by the kernel engine before
 * it calls the kernel, and by "scan" (through thp_collapse_precheck()) to
 * tell a pte-mapped THP.
 *
 * Context: mmap lock held; may sleep.
 * Return: THP_SUCCEEDED or the refusal.
 */
enum thp_result thp_file_precheck(struct thp_req *req, struct vm_area_struct *vma, pmd_t *pmd,
				  pmd_t pmdval, int *nr_mapped)
{
	struct thp_pte_lock l;
	struct folio *folio;
	pte_t *start_pte;
	int nr = 0;

	if (thp_get_file_thp(req, vma, &folio) != THP_SUCCEEDED) {
		if (pmd_none(pmdval) && req->result == THP_PAGE_CACHE_MISS)
			req->result = THP_NOT_MAPPED;
		return req->result;
	}
	if (pmd_none(pmdval))
		goto out;
	start_pte = thp_pte_lock(req, pmd, pmdval, &l);
	if (start_pte)
		thp_check_ptes(req, folio, start_pte, &nr);
	thp_pte_unlock(&l);
out:
	if (nr_mapped)
		*nr_mapped = nr;
	/* the kernel engine's callee locks the folio itself */
	folio_unlock(folio);
	folio_put(folio);
	return req->result;
}

/*
 * Steps 1-3 under the locks: check, clear the PTEs and their rmap, retract
 * the table. Returns the retracted table through *pgt_pmd and the number of
 * PTEs cleared through *nr_cleared.
 */
static enum thp_result thp_retract(struct thp_req *req, struct vm_area_struct *vma,
				   struct folio *folio, pmd_t *pmd, pmd_t pmdval,
				   pmd_t *pgt_pmd, int *nr_cleared, bool *dirty, bool flush)
{
	struct mm_struct *mm = vma->vm_mm;
	struct thp_pte_lock l;
	unsigned long addr;
	pte_t *start_pte;
	int i, nr, batch, cleared = 0;

	start_pte = thp_pte_lock(req, pmd, pmdval, &l);
	if (!start_pte)
		goto unlock;

	/* step 1: check all mapped PTEs are to the right huge page */
	if (thp_check_ptes(req, folio, start_pte, &nr) != THP_SUCCEEDED)
		goto unlock;

	/*
	 * step 2: clear the PTEs and their rmap; the flush comes in step 3.
	 * Step 1 proved every non-none PTE present and mapping subpage i of
	 * the folio, so each run of non-none PTEs maps consecutive pages of
	 * it and is cleared, and its rmap removed, as one batch (upstream's
	 * clear_ptes() and folio_remove_rmap_ptes() on 7.x). All of them
	 * present, the common case: one run, nothing to look for.
	 */
	for (i = 0; i < HPAGE_PMD_NR; i += batch) {
		pte_t ptent;

		batch = nr == HPAGE_PMD_NR ? HPAGE_PMD_NR : 1;
		if (batch == 1 && pte_none(thp_ptep_get_raw(start_pte + i)))
			continue;
		while (i + batch < HPAGE_PMD_NR &&
		       !pte_none(thp_ptep_get_raw(start_pte + i + batch)))
			batch++;
		addr = req->haddr + i * PAGE_SIZE;
		ptent = thp_get_and_clear_ptes(mm, addr, start_pte + i, batch);
		if (pte_dirty(ptent))
			*dirty = true;
		thp_remove_rmap_ptes(folio, folio_page(folio, i), batch, vma);
		cleared += batch;
	}
	/* nothing changes a PTE's presence under the PTE lock */
	VM_WARN_ON_ONCE(cleared != nr);
	*nr_cleared = cleared;

	/*
	 * step 3: retract the empty page table, flushing the TLB for the
	 * range; in a batch the flush comes later, for all its ranges at once,
	 * before any table is freed or PMD installed (thp_file_batch_flush()).
	 */
	if (flush)
		*pgt_pmd = thp_ksym_fn(pmdp_collapse_flush)(vma, req->haddr, pmd);
	else
		*pgt_pmd = pmdp_huge_get_and_clear(mm, req->haddr, pmd);
	req->result = THP_SUCCEEDED;
unlock:
	thp_pte_unlock(&l);
	return req->result;
}

/* Install the PMD (upstream's set_huge_pmd()). */
static enum thp_result thp_install_pmd(struct thp_req *req, struct vm_area_struct *vma,
				       struct folio *folio, pmd_t *pmd)
{
	struct vm_fault vmf = {
		.vma = vma,
		.address = req->haddr,
		.pgoff = ((req->haddr - vma->vm_start) >> PAGE_SHIFT) + vma->vm_pgoff,
		.flags = 0,
		.pmd = pmd,
	};
	vm_fault_t ret;

	mmap_assert_locked(vma->vm_mm);
	ret = thp_do_set_pmd(&vmf, folio);
	if (ret)
		return thp_req_fail(req, THP_PMD_CHANGED, "do_set_pmd: %#x (racing fault)", ret);
	/* the PMD mapping's reference */
	folio_get(folio);
	return THP_SUCCEEDED;
}

/*
 * Step 4 for a retracted range: the references and rss its PTE mappings
 * held, their dirty bits. The table is freed by the caller.
 */
static void thp_drop_pte_mappings(struct mm_struct *mm, struct folio *folio, int nr,
				  bool dirty)
{
	if (nr) {
		folio_ref_sub(folio, nr);
		thp_add_mm_counter(mm, thp_mm_counter_file(folio), -nr);
	}
	if (dirty)
		folio_mark_dirty(folio);
}

/**
 * thp_file_batch_flush() - finish a batch's pending collapses
 * @b: the batch
 * @mm: the mm of its ranges
 *
 * One TLB flush for all the retracted tables (every page of every pending
 * range, page-walk caches included), then, range by range: end its mmu notifier,
 * drop what its PTEs held, and map the THP by its PMD; then free the tables
 * (6.1: one wait for GUP-fast for all of them). Nothing is freed or
 * installed before the flush: a stale TLB entry maps the same subpage the
 * PMD will map, the THP stays locked and referenced until its PMD is in,
 * and on arm64 a table entry must be invalidated before a block entry
 * replaces it (break-before-make). A racing fault that filled a pmd in the
 * meantime wins: counted in b->failed, the first one kept in b->fail.
 *
 * Context: the mmap lock held since the ranges were retracted, as their
 * collapse needed it.
 */
void thp_file_batch_flush(struct thp_file_batch *b, struct mm_struct *mm)
{
	int i;

	/* an empty batch may be flushed without the lock (range.c's end) */
	VM_WARN_ON_ONCE(b->nr && !b->gathered);
	if (!b->gathered)
		return;
	mmap_assert_locked(mm);
	thp_tlb_finish(&b->tlb);
	b->gathered = false;
	for (i = 0; i < b->nr; i++) {
		struct thp_file_pending *p = &b->p[i];
		struct thp_req r = { .mm = mm, .addr = p->haddr, .haddr = p->haddr };

		thp_mmu_notifier_end(&p->range);
		thp_drop_pte_mappings(mm, p->folio, p->nr, p->dirty);
		if (thp_install_pmd(&r, p->vma, p->folio, p->pmd) != THP_SUCCEEDED) {
			if (!b->failed++)
				b->fail = r;
			if (p->owner) {
				p->owner->result = r.result;
				strscpy(p->owner->detail, r.detail, sizeof(p->owner->detail));
			}
		}
		folio_unlock(p->folio);
		folio_put(p->folio);
	}
	thp_free_retracted_pte_tables(mm, b->pgt_pmds, b->nr);
	b->nr = 0;
}

/*
 * Steps 4 and 5 later, for the whole batch: keep the retracted range
 * (folio locked and referenced, notifier started) pending in @b. A full
 * batch is finished at once.
 */
static void thp_file_defer(struct thp_file_batch *b, struct thp_req *req,
			   struct vm_area_struct *vma, struct folio *folio, pmd_t *pmd,
			   pmd_t pgt_pmd, int nr, bool dirty)
{
	struct thp_file_pending *p = &b->p[b->nr];
	unsigned long haddr = req->haddr;

	p->owner = b->owners ? req : NULL;
	p->vma = vma;
	p->folio = folio;
	p->pmd = pmd;
	p->haddr = haddr;
	p->nr = nr;
	p->dirty = dirty;
	b->pgt_pmds[b->nr++] = pgt_pmd;
	thp_tlb_add_tables(&b->tlb, haddr, HPAGE_PMD_SIZE);
	if (b->nr == THP_FILE_BATCH)
		thp_file_batch_flush(b, vma->vm_mm);
}

/**
 * thp_file_collapse_locked() - collapse a file range with the native engine
 * @req: the request; with req->batch, steps 4 and 5 of a retracted range
 *       are left to thp_file_batch_flush() (THP_SUCCEEDED now, unless the
 *       flush finds a racing fault)
 * @vma: the file VMA, checked by thp_req_check_vma()
 *
 * See the top of this file.
 *
 * Context: mmap lock held (6.1: for write), as thp_collapse() decided.
 * Return: THP_SUCCEEDED or the refusal.
 */
enum thp_result thp_file_collapse_locked(struct thp_req *req, struct vm_area_struct *vma)
{
	struct thp_file_batch *b = req->batch;
	struct mm_struct *mm = req->mm;
	struct mmu_notifier_range range, *rangep;
	struct address_space *mapping;
	struct folio *folio;
	pmd_t *pmd, pmdval, pgt_pmd;
	bool dirty = false;
	int nr = 0;

	if (THP_COLLAPSE_MMAP_WRITE)
		mmap_assert_write_locked(mm);
	pmd = thp_req_walk(req, &pmdval);
	if (!pmd || thp_pmd_collapse_state(req, pmdval) != THP_SUCCEEDED)
		return req->result;

	if (thp_get_file_thp(req, vma, &folio) != THP_SUCCEEDED) {
		if (pmd_none(pmdval) && req->result == THP_PAGE_CACHE_MISS)
			req->result = THP_NOT_MAPPED;
		return req->result;
	}
	mapping = vma->vm_file->f_mapping;

	/* all PTEs gone and the table with them: only the PMD to install */
	if (pmd_none(pmdval))
		goto install;

	if (THP_COLLAPSE_MMAP_WRITE) {
		i_mmap_lock_write(mapping);
		if (vma->anon_vma)
			thp_anon_vma_lock_write(vma->anon_vma);
	}
	/*
	 * A pending range's notifier lives in its batch slot until the flush;
	 * the gather starts before the first pmd is cleared.
	 */
	rangep = b ? &b->p[b->nr].range : &range;
	if (b && !b->gathered) {
		thp_tlb_gather(&b->tlb, mm);
		b->gathered = true;
	}
	thp_mmu_range_init(rangep, vma, req->haddr, req->haddr + HPAGE_PMD_SIZE);
	thp_mmu_notifier_start(rangep);
	thp_retract(req, vma, folio, pmd, pmdval, &pgt_pmd, &nr, &dirty, !b);
	if (!b || req->result != THP_SUCCEEDED)
		thp_mmu_notifier_end(rangep);
	if (THP_COLLAPSE_MMAP_WRITE) {
		if (vma->anon_vma)
			thp_anon_vma_unlock_write(vma->anon_vma);
		i_mmap_unlock_write(mapping);
	}
	if (req->result != THP_SUCCEEDED) {
		/* nothing pending: close the gather (tlb_flush_pending) at once */
		if (b && !b->nr) {
			thp_tlb_finish(&b->tlb);
			b->gathered = false;
		}
		goto out;
	}
	if (b) {
		thp_file_defer(b, req, vma, folio, pmd, pgt_pmd, nr, dirty);
		return THP_SUCCEEDED;
	}

	/* step 4: the references and rss the PTE mappings held; free the table */
	thp_drop_pte_mappings(mm, folio, nr, dirty);
	thp_free_retracted_pte_table(mm, pgt_pmd);

install:
	/* step 5: map the THP with one PMD */
	thp_install_pmd(req, vma, folio, pmd);
out:
	folio_unlock(folio);
	folio_put(folio);
	return req->result;
}
