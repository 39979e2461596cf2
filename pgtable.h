/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pgtable.h - the page-table helpers every mechanism shares: find the pmd
 * of a range, say what a collapse makes of it, and lock and map its PTE
 * table (pgtable.c).
 */
#ifndef THP_PGTABLE_H
#define THP_PGTABLE_H

#include <linux/mm.h>
#include <linux/spinlock.h>
#include "request.h"

/* The pmd entry, read once. */
static inline pmd_t thp_pmd_read(pmd_t *pmd)
{
	return READ_ONCE(*pmd);
}

/*
 * The PTE table lock nests inside the pmd lock when split PTE locks make
 * them two locks (upstream: spin_lock_nested(ptl, SINGLE_DEPTH_NESTING));
 * otherwise it is the same lock and already held. Wrapped so that sparse
 * sees one context taken and released either way.
 */
static inline void thp_ptl_lock_nested(spinlock_t *pml, spinlock_t *ptl)
	__acquires(ptl)
{
	if (ptl != pml)
		spin_lock_nested(ptl, SINGLE_DEPTH_NESTING);
	else
		__acquire(ptl);
}

static inline void thp_ptl_unlock_nested(spinlock_t *pml, spinlock_t *ptl)
	__releases(ptl)
{
	if (ptl != pml)
		spin_unlock(ptl);
	else
		__release(ptl);
}

/**
 * struct thp_pte_lock - a PTE table range locked by thp_pte_lock()
 * @pml: the pmd lock
 * @ptl: the PTE table lock (the same as @pml without split PTE locks)
 * @pte: the first PTE of the range, mapped; NULL when the pmd had changed
 */
struct thp_pte_lock {
	spinlock_t *pml;	/* the pmd's lock, taken first */
	spinlock_t *ptl;	/* the PTE table's, nested (or == pml) */
	pte_t *pte;
};

pmd_t *thp_find_pmd(struct mm_struct *mm, unsigned long haddr);
pmd_t *thp_req_walk(struct thp_req *req, pmd_t *pmdval);
enum thp_result thp_pmd_collapse_state(struct thp_req *req, pmd_t pmdval);
pte_t *thp_pte_map_same(struct thp_req *req, pmd_t *pmd, pmd_t pmdval, spinlock_t **ptlp);
pte_t *thp_pte_lock(struct thp_req *req, pmd_t *pmd, pmd_t pmdval, struct thp_pte_lock *l)
	__acquires(l);
void thp_pte_unlock(struct thp_pte_lock *l) __releases(l);

#endif /* THP_PGTABLE_H */
