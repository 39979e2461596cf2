/* SPDX-License-Identifier: GPL-2.0 */
/*
 * collapse_file.h - the native engine for file ranges (collapse_file.c).
 */
#ifndef THP_COLLAPSE_FILE_H
#define THP_COLLAPSE_FILE_H

#include <linux/mm_types.h>
#include <linux/mmu_notifier.h>
#include "compat.h"		/* struct mmu_gather: asm/tlb.h, as x86 needs it */
#include "request.h"

/* PMD ranges whose TLB flush one batch shares (one folio lock each) */
#define THP_FILE_BATCH	16

/**
 * struct thp_file_pending - a range retracted, its PMD not yet installed
 * @vma: its VMA
 * @folio: the page-cache THP, locked, with a reference
 * @pmd: the pmd entry, none since the retract
 * @haddr: the range
 * @nr: PTEs cleared (references and rss to drop)
 * @dirty: one of them was dirty
 * @range: its mmu notifier range, started
 * @owner: the range's own request, told of a late failure (batch @owners)
 */
struct thp_file_pending {
	struct vm_area_struct *vma;
	struct folio *folio;
	pmd_t *pmd;
	unsigned long haddr;
	int nr;
	bool dirty;
	struct mmu_notifier_range range;
	struct thp_req *owner;
};

/**
 * struct thp_file_batch - collapses of a range request sharing a TLB flush
 * @owners: the ranges' requests outlive the flush (the worker's list walk):
 *          a late failure is written into its range's own request too
 * @gathered: @tlb is gathering (from before the first pmd was cleared)
 * @tlb: the mmu_gather of the one flush
 * @nr: pending ranges
 * @pgt_pmds: the retracted tables, freed after the flush
 * @p: the pending ranges, in address order
 * @failed: installs a racing fault beat at a flush, since the caller last
 *          cleared it
 * @fail: the first of those: its result, range and detail
 * @anon_nr: anonymous ranges collapsed since the last wait for GUP-fast
 *           (collapse_anon.c, thp_anon_batch_flush())
 * @anon_folios: their folios, still locked and referenced until that wait
 */
struct thp_file_batch {
	bool owners;
	bool gathered;
	struct mmu_gather tlb;
	int nr;
	pmd_t pgt_pmds[THP_FILE_BATCH];
	struct thp_file_pending p[THP_FILE_BATCH];
	unsigned long failed;
	struct thp_req fail;
	int anon_nr;
	struct folio *anon_folios[THP_FILE_BATCH];
};

enum thp_result thp_file_precheck(struct thp_req *req, struct vm_area_struct *vma, pmd_t *pmd,
				  pmd_t pmdval, int *nr_mapped);
enum thp_result thp_file_collapse_locked(struct thp_req *req, struct vm_area_struct *vma);
void thp_file_batch_flush(struct thp_file_batch *b, struct mm_struct *mm);

#endif /* THP_COLLAPSE_FILE_H */
