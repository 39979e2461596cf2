/* SPDX-License-Identifier: GPL-2.0 */
/*
 * results.h - every outcome of a request, with its name and errno.
 *
 * One list (results_list.h) makes the enum, the names shown by the debugfs
 * result line and the stats counters, and the errno a write returns (the
 * EM() list of include/trace/events/huge_memory.h is the model). Our own
 * names: the kernel's SCAN_* codes are private to mm/khugepaged.c and
 * renumbered between versions.
 */
#ifndef THP_RESULTS_H
#define THP_RESULTS_H

#include <linux/errno.h>

/**
 * enum thp_result - outcome of a split or collapse request
 *
 * THP_<id> for each entry of results_list.h; see thp_result_name() and
 * thp_result_errno().
 */
enum thp_result {
#define THP_RESULT(id, ...) THP_##id,
#include "results_list.h"
#undef THP_RESULT
	THP_NR_RESULTS
};

const char *thp_result_name(enum thp_result r);
int thp_result_errno(enum thp_result r);

#endif /* THP_RESULTS_H */
