// SPDX-License-Identifier: GPL-2.0
/*
 * pgtable.c - the page-table helpers every mechanism shares.
 *
 * Locking: the mmap lock is held by the caller throughout (read is enough:
 * upper-level tables are only freed under the write lock, or, for tables
 * shared with live VMAs, not at all). The pmd lock (pml) and the PTE table
 * lock (ptl) are taken in that order, ptl nested, as upstream's
 * collapse_pte_mapped_thp() does; on 6.5+ the PTE table is mapped under
 * RCU (pte_offset_map_nolock()) and may have been freed and replaced since
 * the pmd was read, which thp_pte_map_same() catches by comparing the pmd
 * under pml.
 */
#include <linux/mm.h>		/* before huge_mm.h */
#include <linux/huge_mm.h>

#include "compat.h"
#include "pgtable.h"

/**
 * thp_find_pmd() - walk to the PMD entry of an address
 * @mm: the mm
 * @haddr: a PMD-aligned address
 *
 * Context: mmap lock held, so upper levels cannot be freed under us.
 * Return: the PMD entry pointer, or NULL when an upper level is missing.
 */
pmd_t *thp_find_pmd(struct mm_struct *mm, unsigned long haddr)
{
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;
	pud_t pude;

	mmap_assert_locked(mm);
	pgd = pgd_offset(mm, haddr);
	if (pgd_none(*pgd) || pgd_bad(*pgd))
		return NULL;
	p4d = p4d_offset(pgd, haddr);
	if (p4d_none(*p4d) || p4d_bad(*p4d))
		return NULL;
	pud = pud_offset(p4d, haddr);
	pude = READ_ONCE(*pud);
	if (pud_none(pude) || !pud_present(pude) || pud_leaf(pude) || pud_bad(pude))
		return NULL;
	return pmd_offset(pud, haddr);
}

/**
 * thp_req_walk() - find the pmd of the request's range and read it once
 * @req: a request whose mm is locked
 * @pmdval: the pmd value read, on success
 *
 * Context: mmap lock held.
 * Return: the pmd entry, or NULL with req->result THP_NOT_MAPPED.
 */
pmd_t *thp_req_walk(struct thp_req *req, pmd_t *pmdval)
{
	pmd_t *pmd = thp_find_pmd(req->mm, req->haddr);

	if (!pmd) {
		thp_req_fail(req, THP_NOT_MAPPED, "no page table at %lx", req->haddr);
		return NULL;
	}
	*pmdval = READ_ONCE(*pmd);
	return pmd;
}

/**
 * thp_pte_map_same() - map the range's PTE table if the pmd did not change
 * @req: the request
 * @pmd: the pmd of req->haddr
 * @pmdval: the value it held when it was read without the lock
 * @ptlp: set to the PTE table's lock (not taken)
 *
 * Context: the pmd lock held.
 * Return: the first PTE of the range, mapped (thp_pte_unmap() it), or NULL
 * with req->result THP_PMD_CHANGED.
 */
pte_t *thp_pte_map_same(struct thp_req *req, pmd_t *pmd, pmd_t pmdval, spinlock_t **ptlp)
{
	pte_t *pte = NULL;

	lockdep_assert_held(pmd_lockptr(req->mm, pmd));
	if (pmd_same(thp_pmd_read(pmd), pmdval))
		pte = thp_pte_map_nolock(req->mm, pmd, req->haddr, ptlp);
	if (!pte)
		thp_req_fail(req, THP_PMD_CHANGED, "pmd changed before locking");
	return pte;
}

/**
 * thp_pmd_collapse_state() - what a collapse makes of the pmd it found
 * @req: the request
 * @pmdval: the pmd value
 *
 * Return: THP_SUCCEEDED when there is something to collapse (a PTE table, or
 * nothing at all), THP_ALREADY_PMD, or THP_PMD_CHANGED for a migration entry.
 */
enum thp_result thp_pmd_collapse_state(struct thp_req *req, pmd_t pmdval)
{
	if (pmd_trans_huge(pmdval))
		return thp_req_fail(req, THP_ALREADY_PMD, "pmd maps a huge page");
	if (!pmd_none(pmdval) && !pmd_present(pmdval))
		return thp_req_fail(req, THP_PMD_CHANGED, "pmd migration entry");
	return THP_SUCCEEDED;
}

/**
 * thp_pte_lock() - lock the range's PTE table if the pmd did not change
 * @req: the request
 * @pmd: the pmd of req->haddr
 * @pmdval: its value as read without the lock (a PTE table)
 * @l: the locks and the mapping, for thp_pte_unlock()
 *
 * Takes the pmd lock, maps the PTE table if the pmd still holds @pmdval,
 * and takes the PTE table lock nested. Call thp_pte_unlock() afterwards
 * whatever this returned: for sparse it is one context, @l, taken here and
 * released there.
 *
 * Context: mmap lock held.
 * Return: the first PTE of the range, mapped and locked; NULL with nothing
 * held and req->result THP_PMD_CHANGED.
 */
pte_t *thp_pte_lock(struct thp_req *req, pmd_t *pmd, pmd_t pmdval, struct thp_pte_lock *l)
	__acquires(l)
{
	mmap_assert_locked(req->mm);
	l->ptl = NULL;
	l->pml = pmd_lock(req->mm, pmd);
	l->pte = thp_pte_map_same(req, pmd, pmdval, &l->ptl);
	if (!l->pte) {
		spin_unlock(l->pml);
	} else {
		thp_ptl_lock_nested(l->pml, l->ptl);
		/* the two locks are @l's context from here on */
		__release(l->ptl);
		__release(l->pml);
	}
	__acquire(l);
	return l->pte;
}

/**
 * thp_pte_unlock() - undo thp_pte_lock()
 * @l: what thp_pte_lock() filled in
 */
void thp_pte_unlock(struct thp_pte_lock *l)
	__releases(l)
{
	if (l->pte) {
		__acquire(l->pml);
		__acquire(l->ptl);
		thp_pte_unmap(l->pte);
		thp_ptl_unlock_nested(l->pml, l->ptl);
		spin_unlock(l->pml);
		l->pte = NULL;
	}
	__release(l);
}
