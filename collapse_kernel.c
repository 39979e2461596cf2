// SPDX-License-Identifier: GPL-2.0
/*
 * collapse_kernel.c - the reference engine: the running kernel's own
 * collapse_pte_mapped_thp(mm, addr, true), under the lock that kernel
 * version requires (6.1: mmap write; 6.12: mmap read).
 *
 * The kernel's answer is a private, renumbered enum scan_result, so before
 * calling it we run the same read-only checks as the native engine (VMA,
 * page-cache THP, every PTE: thp_file_precheck()): both engines then refuse the same cases with
 * the same result names, which is what lets the selftests compare them.
 * After the call the pmd is looked at: a huge pmd is success, anything else
 * is reported as kernel_engine_refused with the kernel's number (7.x's
 * collapse_pte_mapped_thp() returns none).
 *
 * The pre-check includes the folio states the kernel's function does not
 * look at (not uptodate: see Documentation/uptodate.rst). It must drop the
 * folio lock before the call, which takes it again: a truncation and a new
 * fallocate() of the same range by the target between the two could slip a
 * new, !uptodate folio in. Only the native engine is airtight; this one is
 * the kernel's code, kept as the reference it is.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>		/* before huge_mm.h */
#include <linux/huge_mm.h>
#include <linux/khugepaged.h>
#include <linux/pagemap.h>

#include "compat.h"
#include "collapse_file.h"
#include "collapse_kernel.h"
#include "ksyms.h"
#include "pgtable.h"
#include "request.h"

/**
 * thp_kernel_check_vma() - can the kernel engine collapse in this VMA at all?
 * @req: the request
 * @vma: the VMA, checked by thp_req_check_vma()
 *
 * The kernel copies anonymous THPs (MADV_COLLAPSE); it has no in-place path.
 *
 * Return: THP_SUCCEEDED or THP_ANON_UNSUPPORTED.
 */
enum thp_result thp_kernel_check_vma(struct thp_req *req, struct vm_area_struct *vma)
{
	if (vma_is_anonymous(vma))
		return thp_req_fail(req, THP_ANON_UNSUPPORTED,
				    "the kernel has no in-place anon collapse, use engine=native");
	return THP_SUCCEEDED;
}

/**
 * thp_kernel_collapse_locked() - collapse through the kernel's collapse_pte_mapped_thp()
 * @req: the request
 * @vma: the VMA, checked by thp_req_check_vma()
 *
 * Context: mmap lock held as the kernel's function needs it (6.1: write,
 * 6.12: read), taken by collapse.c; may sleep.
 * Return: THP_SUCCEEDED or the refusal.
 */
enum thp_result thp_kernel_collapse_locked(struct thp_req *req, struct vm_area_struct *vma)
{
	pmd_t *pmd, pmdval;
	long scan;

	if (THP_COLLAPSE_MMAP_WRITE)
		mmap_assert_write_locked(req->mm);
	else
		mmap_assert_locked(req->mm);
	if (thp_kernel_check_vma(req, vma) != THP_SUCCEEDED)
		return req->result;
	pmd = thp_req_walk(req, &pmdval);
	if (!pmd || thp_pmd_collapse_state(req, pmdval) != THP_SUCCEEDED)
		return req->result;
	if (thp_file_precheck(req, vma, pmd, pmdval, NULL) != THP_SUCCEEDED)
		return req->result;

	scan = thp_kernel_collapse_pte_mapped_thp(req->mm, req->haddr);
	pmd = thp_find_pmd(req->mm, req->haddr);
	if (pmd && pmd_trans_huge(thp_pmd_read(pmd)))
		return THP_SUCCEEDED;
	if (scan < 0)
		return thp_req_fail(req, THP_KERNEL_REFUSED,
				    "no huge pmd after the call (this kernel returns no scan_result)");
	return thp_req_fail(req, THP_KERNEL_REFUSED, "scan_result %ld", scan);
}
