// SPDX-License-Identifier: GPL-2.0
/*
 * stats.c - counters behind debugfs "stats".
 */
#include <linux/atomic.h>
#include <linux/seq_file.h>

#include "khugepaged_retry.h"
#include "request.h"
#include "stats.h"
#include "thp_uprobe.h"

static atomic_long_t thp_stat[THP_NR_STATS];
static atomic_long_t thp_stat_result[THP_NR_RESULTS];

static const char * const thp_stat_names[THP_NR_STATS] = {
	[THP_STAT_COLLAPSE_OK] = "collapse_ok",
	[THP_STAT_COLLAPSE_FAIL] = "collapse_fail",
	[THP_STAT_SPLIT_OK] = "split_ok",
	[THP_STAT_SPLIT_FAIL] = "split_fail",
};

/**
 * thp_stats_request() - count the outcome of one split or collapse request
 * @split: it was a split (else a collapse)
 * @r: its result
 */
void thp_stats_request(bool split, enum thp_result r)
{
	bool ok = !thp_result_errno(r);

	if (split)
		atomic_long_inc(&thp_stat[ok ? THP_STAT_SPLIT_OK : THP_STAT_SPLIT_FAIL]);
	else
		atomic_long_inc(&thp_stat[ok ? THP_STAT_COLLAPSE_OK : THP_STAT_COLLAPSE_FAIL]);
	if (r < THP_NR_RESULTS)
		atomic_long_inc(&thp_stat_result[r]);
}

/**
 * thp_stats_show() - debugfs "stats": "name value" lines
 * @m: seq_file
 * @v: unused
 *
 * Return: 0.
 */
int thp_stats_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < THP_NR_STATS; i++)
		seq_printf(m, "%s %ld\n", thp_stat_names[i], atomic_long_read(&thp_stat[i]));
	for (i = 0; i < THP_NR_RESULTS; i++)
		seq_printf(m, "result_%s %ld\n", thp_result_name(i),
			   atomic_long_read(&thp_stat_result[i]));
	thp_queue_stats_show(m);
	thp_uprobe_stats_show(m);
	return 0;
}
