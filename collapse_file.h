/* SPDX-License-Identifier: GPL-2.0 */
/*
 * collapse_file.h - the native engine for file ranges (collapse_file.c).
 */
#ifndef THP_COLLAPSE_FILE_H
#define THP_COLLAPSE_FILE_H

#include <linux/mm_types.h>
#include "request.h"

enum thp_result thp_file_precheck(struct thp_req *req, struct vm_area_struct *vma, pmd_t *pmd,
				  pmd_t pmdval, int *nr_mapped);
enum thp_result thp_file_collapse_locked(struct thp_req *req, struct vm_area_struct *vma);

#endif /* THP_COLLAPSE_FILE_H */
