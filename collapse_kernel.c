// SPDX-License-Identifier: GPL-2.0
/*
 * collapse_kernel.c - the reference engine: the running kernel's own
 * collapse_pte_mapped_thp(mm, addr, true), under the lock that kernel
 * version requires (6.1: mmap write; 6.12: mmap read).
 *
 * The kernel's answer is a private, renumbered enum scan_result, so before
 * calling it we run the same read-only checks as the native engine (VMA,
 * page-cache THP, every PTE): both engines then refuse the same cases with
 * the same result names, which is what lets the selftests compare them.
 * After the call the pmd is looked at: a huge pmd is success, anything else
 * is reported as kernel_engine_refused with the kernel's number.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>		/* before huge_mm.h */
#include <linux/huge_mm.h>
#include <linux/khugepaged.h>
#include <linux/pagemap.h>

#include "compat.h"
#include "ksyms.h"
#include "request.h"

/* Read-only version of the native engine's step 1, under pml+ptl. */
static enum thp_result thp_kernel_precheck(struct thp_req *req, struct vm_area_struct *vma,
					   pmd_t *pmd, pmd_t pmdval)
{
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *pml, *ptl = NULL;
	struct folio *folio;
	pte_t *start_pte;
	int nr;

	if (thp_get_file_thp(req, vma, &folio) != THP_SUCCEEDED) {
		if (pmd_none(pmdval) && req->result == THP_PAGE_CACHE_MISS)
			req->result = THP_NOT_MAPPED;
		return req->result;
	}
	if (pmd_none(pmdval))
		goto out;
	pml = pmd_lock(mm, pmd);
	start_pte = pmd_same(thp_pmd_read(pmd), pmdval) ?
		    thp_pte_map_nolock(mm, pmd, req->haddr, &ptl) : NULL;
	if (!start_pte) {
		thp_req_fail(req, THP_PMD_CHANGED, "pmd changed before locking");
	} else {
		thp_ptl_lock_nested(pml, ptl);
		thp_check_ptes(req, folio, start_pte, &nr);
		thp_pte_unmap(start_pte);
		thp_ptl_unlock_nested(pml, ptl);
	}
	spin_unlock(pml);
out:
	/* the kernel locks the folio itself */
	folio_unlock(folio);
	folio_put(folio);
	return req->result;
}

static enum thp_result thp_collapse_kernel_locked(struct thp_req *req,
						  struct vm_area_struct *vma)
{
	pmd_t *pmd, pmdval;
	int scan;

	pmd = thp_req_walk(req, &pmdval);
	if (!pmd || thp_collapse_pmd_state(req, pmdval) != THP_SUCCEEDED)
		return req->result;
	if (thp_kernel_precheck(req, vma, pmd, pmdval) != THP_SUCCEEDED)
		return req->result;

	scan = thp_ksym_fn(collapse_pte_mapped_thp)(req->mm, req->haddr, true);
	pmd = thp_req_find_pmd(req->mm, req->haddr);
	if (pmd && pmd_trans_huge(thp_pmd_read(pmd)))
		return THP_SUCCEEDED;
	return thp_req_fail(req, THP_KERNEL_REFUSED, "scan_result %d", scan);
}

/**
 * thp_collapse_kernel() - collapse through the kernel's collapse_pte_mapped_thp()
 * @req: a request holding the target mm
 *
 * Context: process context, may sleep; takes the mmap lock itself.
 * Return: the result, also stored in req->result.
 */
enum thp_result thp_collapse_kernel(struct thp_req *req)
{
	return thp_req_with_vma(req, THP_COLLAPSE_MMAP_WRITE, thp_collapse_kernel_locked);
}
