/* SPDX-License-Identifier: GPL-2.0 */
/*
 * thp_uprobe.h - THP-aware uprobes (thp_uprobe.c).
 */
#ifndef THP_UPROBE_H
#define THP_UPROBE_H

#include <linux/types.h>

struct seq_file;

int thp_uprobe_init(void);
void thp_uprobe_exit(void);
bool thp_uprobe_in_tracked_write(void);
int thp_uprobes_show(struct seq_file *m, void *v);

#endif /* THP_UPROBE_H */
