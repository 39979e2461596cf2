/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scan.h - queue every pte-mapped THP of a process (scan.c).
 */
#ifndef THP_SCAN_H
#define THP_SCAN_H

#include "request.h"

enum thp_result thp_scan(struct thp_req *req);

#endif /* THP_SCAN_H */
