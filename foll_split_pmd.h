/* SPDX-License-Identifier: GPL-2.0 */
/*
 * foll_split_pmd.h - split a PMD mapping into PTEs (foll_split_pmd.c).
 */
#ifndef THP_FOLL_SPLIT_PMD_H
#define THP_FOLL_SPLIT_PMD_H

#include "request.h"

enum thp_result thp_split(struct thp_req *req);
enum thp_result thp_split_range(struct thp_req *req);

#endif /* THP_FOLL_SPLIT_PMD_H */
