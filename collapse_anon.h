/* SPDX-License-Identifier: GPL-2.0 */
/*
 * collapse_anon.h - in-place collapse of anonymous THPs (collapse_anon.c).
 */
#ifndef THP_COLLAPSE_ANON_H
#define THP_COLLAPSE_ANON_H

#include <linux/mm_types.h>
#include "request.h"

struct thp_file_batch;

enum thp_result thp_anon_precheck(struct thp_req *req, struct vm_area_struct *vma, pmd_t *pmd,
				  pmd_t pmdval);
enum thp_result thp_anon_would(struct thp_req *req, struct vm_area_struct *vma);
enum thp_result thp_anon_collapse_locked(struct thp_req *req, struct vm_area_struct *vma);
void thp_anon_batch_flush(struct thp_file_batch *b, struct mm_struct *mm);

#endif /* THP_COLLAPSE_ANON_H */
