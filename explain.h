/* SPDX-License-Identifier: GPL-2.0 */
/*
 * explain.h - "explain PID:ADDR" and "explain PID" (explain.c).
 */
#ifndef THP_EXPLAIN_H
#define THP_EXPLAIN_H

#include "request.h"

enum thp_result thp_explain(struct thp_req *req);

#endif /* THP_EXPLAIN_H */
