// SPDX-License-Identifier: GPL-2.0
/*
 * stats.c - debugfs "stats": the counters of stats_list.h.
 */
#include <linux/atomic.h>
#include <linux/seq_file.h>

#include "stats.h"

atomic_long_t thp_stats[THP_NR_STATS];

static const char * const thp_stat_names[THP_NR_STATS] = {
#define THP_STAT(id, name) \
	[THP_STAT_##id] = name,
#include "stats_list.h"
#undef THP_STAT
};

/**
 * thp_stats_request() - count the outcome of one split or collapse request
 * @split: it was a split (else a collapse)
 * @r: its result
 */
void thp_stats_request(bool split, enum thp_result r)
{
	bool ok = !thp_result_errno(r);

	BUILD_BUG_ON(THP_STAT_RESULT_SUCCEEDED + THP_NR_RESULTS != THP_STAT_QUEUE_LEN);
	if (split)
		thp_stat_inc(ok ? THP_STAT_SPLIT_OK : THP_STAT_SPLIT_FAIL);
	else
		thp_stat_inc(ok ? THP_STAT_COLLAPSE_OK : THP_STAT_COLLAPSE_FAIL);
	if (r < THP_NR_RESULTS)
		thp_stat_inc(THP_STAT_RESULT_SUCCEEDED + r);
}

/**
 * thp_stats_show() - debugfs "stats": "name value" lines, stats_list.h's order
 * @m: seq_file
 * @v: unused
 *
 * Return: 0.
 */
int thp_stats_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < THP_NR_STATS; i++)
		seq_printf(m, "%s %ld\n", thp_stat_names[i], thp_stat_read(i));
	return 0;
}
