/* SPDX-License-Identifier: GPL-2.0 */
/*
 * collapse.h - a collapse request (collapse.c).
 */
#ifndef THP_COLLAPSE_H
#define THP_COLLAPSE_H

#include <linux/mm_types.h>
#include "request.h"

enum thp_result thp_collapse(struct thp_req *req);
enum thp_result thp_collapse_native(struct thp_req *req);
enum thp_result thp_collapse_range(struct thp_req *req);
int thp_collapse_list(struct thp_req *req, struct thp_req *reqs, int nr);
const char *thp_collapse_engine_name(void);
enum thp_result thp_collapse_would(struct thp_req *req, struct vm_area_struct *vma,
				   int *nr_mapped);
enum thp_result thp_collapse_precheck(struct thp_req *req, struct vm_area_struct *vma,
				      pmd_t *pmd, pmd_t pmdval, int *nr_mapped);

#endif /* THP_COLLAPSE_H */
