/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hooks.h - the kprobes that feed the retry queue.
 */
#ifndef THP_HOOKS_H
#define THP_HOOKS_H

#include <linux/mm_types.h>
#include <linux/seq_file.h>

int thp_hooks_init(void);
void thp_hooks_exit(void);
int thp_hooks_show(struct seq_file *m, void *v);
void thp_hooks_self(bool running);
pid_t thp_hook_mm_pid(struct mm_struct *mm);

#endif /* THP_HOOKS_H */
