/* SPDX-License-Identifier: GPL-2.0 */
/*
 * thp_retry.h - what the module's files share with each other.
 */
#ifndef THP_RETRY_H
#define THP_RETRY_H

#include <linux/dcache.h>

struct seq_file;

/* debugfs.c */
extern struct dentry *thp_debugfs_dir;
int thp_debugfs_init(void);
void thp_debugfs_exit(void);

/* chardev.c */
int thp_chardev_init(void);
void thp_chardev_exit(void);

/* foll_split_pmd.c */
int thp_split_init(void);
void thp_split_exit(void);

/* khugepaged_retry.c */
int thp_retry_init(void);
void thp_retry_stop_worker(void);
void thp_retry_exit(void);

/* thp_uprobe.c */
int thp_uprobe_init(void);
void thp_uprobe_exit(void);
bool thp_uprobe_in_tracked_write(void);
void thp_uprobe_stats_show(struct seq_file *m);
int thp_uprobes_show(struct seq_file *m, void *v);

#endif /* THP_RETRY_H */
