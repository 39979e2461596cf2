/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scan.h - queue every pte-mapped THP of a process (scan.c).
 */
#ifndef THP_SCAN_H
#define THP_SCAN_H

#include "request.h"

enum thp_result thp_scan(struct thp_req *req);
enum thp_result thp_queue_range(struct thp_req *req);
bool thp_scan_auto(struct thp_req *req, unsigned long *addr, long *budget);
unsigned long thp_scan_next_pmd(struct mm_struct *mm, unsigned long addr, unsigned long end,
				pmd_t **pmdp);
bool thp_scan_step(struct mm_struct *mm, unsigned int *steps);
bool thp_scan_breathe(struct mm_struct *mm);

#endif /* THP_SCAN_H */
