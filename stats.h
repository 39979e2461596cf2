/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stats.h - the counters of debugfs "stats": one list (stats_list.h), one
 * array, one show function. Safe from any context, kprobe handlers
 * included (atomics only).
 */
#ifndef THP_STATS_H
#define THP_STATS_H

#include <linux/atomic.h>
#include <linux/seq_file.h>
#include "results.h"

/**
 * enum thp_stat - one line of debugfs "stats"
 *
 * THP_STAT_<id> for each entry of stats_list.h, in its order.
 */
enum thp_stat {
#define THP_STAT(id, ...) THP_STAT_##id,
#include "stats_list.h"
#undef THP_STAT
	THP_NR_STATS
};

extern atomic_long_t thp_stats[THP_NR_STATS];

static inline void thp_stat_inc(enum thp_stat s)
{
	atomic_long_inc(&thp_stats[s]);
}

static inline void thp_stat_add(enum thp_stat s, long v)
{
	atomic_long_add(v, &thp_stats[s]);
}

static inline void thp_stat_dec(enum thp_stat s)
{
	atomic_long_dec(&thp_stats[s]);
}

static inline void thp_stat_set(enum thp_stat s, long v)
{
	atomic_long_set(&thp_stats[s], v);
}

static inline long thp_stat_read(enum thp_stat s)
{
	return atomic_long_read(&thp_stats[s]);
}

void thp_stats_request(bool split, enum thp_result r);
int thp_stats_show(struct seq_file *m, void *v);

#endif /* THP_STATS_H */
