/* SPDX-License-Identifier: GPL-2.0 */
/*
 * collapse_kernel.h - the kernel engine (collapse_kernel.c).
 */
#ifndef THP_COLLAPSE_KERNEL_H
#define THP_COLLAPSE_KERNEL_H

#include <linux/mm_types.h>
#include "request.h"

enum thp_result thp_kernel_check_vma(struct thp_req *req, struct vm_area_struct *vma);
enum thp_result thp_kernel_collapse_locked(struct thp_req *req, struct vm_area_struct *vma);

#endif /* THP_COLLAPSE_KERNEL_H */
