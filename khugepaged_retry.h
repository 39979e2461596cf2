/* SPDX-License-Identifier: GPL-2.0 */
/*
 * khugepaged_retry.h - the retry queue's interface to the rest of the module.
 */
#ifndef THP_KHUGEPAGED_RETRY_H
#define THP_KHUGEPAGED_RETRY_H

#include <linux/gfp.h>
#include <linux/mm_types.h>
#include <linux/seq_file.h>
#include "request.h"

/**
 * enum thp_queue_source - who queued an entry (order matches the source_* stats
 * up to SRC_HOOK_UPROBE)
 * @SRC_DEBUGFS: a write to debugfs "queue"
 * @SRC_SCAN: a write to debugfs "scan"
 * @SRC_HOOK_KHUGEPAGED: 6.1 khugepaged_add_pte_mapped_thp()
 * @SRC_HOOK_COLLAPSE: a failed kernel collapse_pte_mapped_thp()
 * @SRC_HOOK_UPROBE: thp_uprobe.c
 * @SRC_AUTOSCAN: autoscan.c (its stats line is in the autoscan group)
 */
enum thp_queue_source {
	SRC_DEBUGFS,
	SRC_SCAN,
	SRC_HOOK_KHUGEPAGED,
	SRC_HOOK_COLLAPSE,
	SRC_HOOK_UPROBE,
	SRC_AUTOSCAN,
};

int thp_retry_init(void);
void thp_retry_stop_worker(void);
void thp_retry_exit(void);
int thp_queue_add(struct mm_struct *mm, unsigned long addr, pid_t pid,
		  enum thp_queue_source source, gfp_t gfp);
enum thp_result thp_queue_request(struct thp_req *req);
int thp_queue_show(struct seq_file *m, void *v);
int thp_queue_done_show(struct seq_file *m, void *v);
struct task_struct *thp_retry_worker_task(void);

#endif /* THP_KHUGEPAGED_RETRY_H */
