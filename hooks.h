/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hooks.h - the module's one table of kprobes and kretprobes (hooks.c,
 * hooks_list.h).
 */
#ifndef THP_HOOKS_H
#define THP_HOOKS_H

#include <linux/kprobes.h>
#include <linux/seq_file.h>
#include <linux/types.h>

/**
 * enum thp_hook_id - one row of hooks_list.h
 *
 * THP_HOOK_<id> for each row, in its order.
 */
enum thp_hook_id {
#define THP_HOOK(id, ...) THP_HOOK_##id,
#include "hooks_list.h"
#undef THP_HOOK
	THP_NR_HOOKS
};

/**
 * enum thp_hook_group - who owns a hook
 * @THP_HOOKS_UPROBE: thp_uprobe.c
 * @THP_HOOKS_QUEUE: queue_hooks.c
 * @THP_HOOKS_TAKEOVER: takeover.c
 */
enum thp_hook_group {
	THP_HOOKS_UPROBE,
	THP_HOOKS_QUEUE,
	THP_HOOKS_TAKEOVER,
};

/**
 * struct thp_hook_ops - an owner's handlers for one hook
 * @pre: a kprobe's pre_handler
 * @post: a kprobe's post_handler (NULL: none)
 * @entry: a kretprobe's entry_handler
 * @ret: a kretprobe's handler
 * @data_size: a kretprobe's per-instance data
 * @maxactive: a kretprobe's maxactive (0: the kernel's default)
 */
struct thp_hook_ops {
	kprobe_pre_handler_t pre;
	kprobe_post_handler_t post;
	kretprobe_handler_t entry;
	kretprobe_handler_t ret;
	size_t data_size;
	int maxactive;
};

int thp_hooks_install(enum thp_hook_group group, const struct thp_hook_ops ops[THP_NR_HOOKS],
		      bool enabled, bool all_or_none);
void thp_hooks_remove(enum thp_hook_group group);
int thp_hooks_show(struct seq_file *m, void *v);

#endif /* THP_HOOKS_H */
