/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stats.h - the counters of debugfs "stats".
 */
#ifndef THP_STATS_H
#define THP_STATS_H

#include <linux/seq_file.h>
#include "results.h"

enum thp_stat {
	THP_STAT_COLLAPSE_OK,
	THP_STAT_COLLAPSE_FAIL,
	THP_STAT_SPLIT_OK,
	THP_STAT_SPLIT_FAIL,
	THP_NR_STATS,
};

void thp_stats_request(bool split, enum thp_result r);
int thp_stats_show(struct seq_file *m, void *v);

#endif /* THP_STATS_H */
