// SPDX-License-Identifier: GPL-2.0
/*
 * queue_hooks.c - kprobes on the kernel paths that leave a pte-mapped THP
 * behind; they feed the retry queue (khugepaged_retry.c). Their rows are the
 * QUEUE group of hooks_list.h.
 *
 * A hook that cannot be installed (its function is missing or not
 * probe-able on this kernel) is logged and skipped, the rest still work.
 * Handlers never sleep and take no mm lock: they record (mm, address) with
 * GFP_ATOMIC under the queue's spinlock and wake the worker. The caller of a
 * probed function holds a reference on the mm for the duration of the call;
 * thp_queue_add() takes its own (mmgrab).
 *
 *  khugepaged_add_pte_mapped_thp(mm, addr)    6.1: where khugepaged itself
 *      would queue a pte-mapped THP in its 8-entry per-mm list (and drop
 *      the 9th). Every call is queued here too, with no limit.
 *  collapse_pte_mapped_thp(mm, addr, install) returning a failure: the
 *      kernel tried to collapse a pte-mapped THP and could not (6.12:
 *      khugepaged, MADV_COLLAPSE, uprobes). Calls made by this module's own
 *      kernel engine are ignored: the request path reports those itself.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/ptrace.h>
#include <linux/sched.h>

#include "compat.h"
#include "hooks.h"
#include "khugepaged_retry.h"
#include "queue_hooks.h"
#include "request.h"
#include "thp_uprobe.h"

static bool queue_hooks = true;
module_param(queue_hooks, bool, 0444);
MODULE_PARM_DESC(queue_hooks, "Install the kprobes that feed the retry queue (default 1)");

/* The task running a debugfs request, whose kernel-engine calls we ignore. */
static struct task_struct *thp_request_task;

/**
 * thp_hooks_self() - mark the current task as running a module request
 * @running: entering (true) or leaving (false) the request
 *
 * The collapse hook ignores kernel collapses made by that task and by the
 * worker: they are the module's own kernel-engine calls.
 */
void thp_hooks_self(bool running)
{
	WRITE_ONCE(thp_request_task, running ? current : NULL);
}

static bool thp_hook_is_self(void)
{
	return current == READ_ONCE(thp_request_task) || current == thp_retry_worker_task();
}

static int thp_khugepaged_add_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct mm_struct *mm = (struct mm_struct *)regs_get_kernel_argument(regs, 0);
	unsigned long addr = regs_get_kernel_argument(regs, 1);

	thp_queue_add(mm, addr, thp_mm_pid(mm), SRC_HOOK_KHUGEPAGED, GFP_ATOMIC);
	return 0;
}

NOKPROBE_SYMBOL(thp_khugepaged_add_pre);

struct thp_collapse_call {
	struct mm_struct *mm;
	unsigned long addr;
};

static int thp_collapse_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct thp_collapse_call *c = (void *)ri->data;

	/* no return handler for our own calls, nor for thp_uprobe.c's */
	if (thp_hook_is_self() || thp_uprobe_in_tracked_write())
		return 1;
	c->mm = (struct mm_struct *)regs_get_kernel_argument(regs, 0);
	c->addr = regs_get_kernel_argument(regs, 1);
	return 0;
}

NOKPROBE_SYMBOL(thp_collapse_entry);

static int thp_collapse_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct thp_collapse_call *c = (void *)ri->data;
	long ret = regs_return_value(regs);

	if (!thp_kernel_collapse_ok(ret))
		thp_queue_add(c->mm, c->addr, thp_mm_pid(c->mm), SRC_HOOK_COLLAPSE,
			      GFP_ATOMIC);
	return 0;
}

NOKPROBE_SYMBOL(thp_collapse_ret);

static const struct thp_hook_ops thp_queue_hook_ops[THP_NR_HOOKS] = {
	[THP_HOOK_KHUGEPAGED_ADD] = { .pre = thp_khugepaged_add_pre },
	[THP_HOOK_COLLAPSE_FAILED] = {
		.entry = thp_collapse_entry,
		.ret = thp_collapse_ret,
		.data_size = sizeof(struct thp_collapse_call),
	},
};

/**
 * thp_queue_hooks_init() - install the queue's hooks that this kernel has
 *
 * Context: module init, after thp_uprobe_init(); sleeps.
 * Return: 0; a hook that fails is logged and left out.
 */
int thp_queue_hooks_init(void)
{
	return thp_hooks_install(THP_HOOKS_QUEUE, thp_queue_hook_ops, queue_hooks, false);
}

/**
 * thp_queue_hooks_exit() - remove them
 *
 * Context: module exit, after the worker stopped, before thp_uprobe_exit().
 */
void thp_queue_hooks_exit(void)
{
	thp_hooks_remove(THP_HOOKS_QUEUE);
}
