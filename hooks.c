// SPDX-License-Identifier: GPL-2.0
/*
 * hooks.c - kprobes on the kernel paths that leave a pte-mapped THP behind;
 * they feed the retry queue (khugepaged_retry.c).
 *
 * One table, walked at load: a hook that cannot be installed (its function
 * is missing or not probe-able on this kernel) is logged and skipped, the
 * rest still work. Handlers never sleep and take no mm lock: they record
 * (mm, address) with GFP_ATOMIC under the queue's spinlock and wake the
 * worker. The caller of a probed function holds a reference on the mm for
 * the duration of the call; thp_queue_add() takes its own (mmgrab).
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
#include <linux/seq_file.h>

#include "compat.h"
#include "hooks.h"
#include "khugepaged_retry.h"
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

/**
 * thp_hook_mm_pid() - name the process of an mm, from a hook
 * @mm: the address space
 *
 * Context: any; never sleeps.
 * Return: the tgid of the mm's owner (CONFIG_MEMCG), else 0.
 */
pid_t thp_hook_mm_pid(struct mm_struct *mm)
{
	pid_t pid = 0;
#ifdef CONFIG_MEMCG
	struct task_struct *owner;

	rcu_read_lock();
	owner = rcu_dereference(mm->owner);
	if (owner)
		pid = task_tgid_nr(owner);
	rcu_read_unlock();
#endif
	return pid;
}

static int thp_khugepaged_add_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct mm_struct *mm = (struct mm_struct *)regs_get_kernel_argument(regs, 0);
	unsigned long addr = regs_get_kernel_argument(regs, 1);

	thp_queue_add(mm, addr, thp_hook_mm_pid(mm), SRC_HOOK_KHUGEPAGED, GFP_ATOMIC);
	return 0;
}

NOKPROBE_SYMBOL(thp_khugepaged_add_pre);

static struct kprobe thp_kp_khugepaged_add = {
	.symbol_name = "khugepaged_add_pte_mapped_thp",
	.pre_handler = thp_khugepaged_add_pre,
};

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
		thp_queue_add(c->mm, c->addr, thp_hook_mm_pid(c->mm), SRC_HOOK_COLLAPSE,
			      GFP_ATOMIC);
	return 0;
}

NOKPROBE_SYMBOL(thp_collapse_ret);

static struct kretprobe thp_krp_collapse = {
	.kp.symbol_name = "collapse_pte_mapped_thp",
	.entry_handler = thp_collapse_entry,
	.handler = thp_collapse_ret,
	.data_size = sizeof(struct thp_collapse_call),
};

static int thp_kp_install(void *probe)
{
	return register_kprobe(probe);
}

static void thp_kp_remove(void *probe)
{
	unregister_kprobe(probe);
}

static int thp_krp_install(void *probe)
{
	return register_kretprobe(probe);
}

static void thp_krp_remove(void *probe)
{
	unregister_kretprobe(probe);
}

/**
 * struct thp_hook - one entry of the hook table
 * @name: the probed kernel function
 * @probe: its struct kprobe or struct kretprobe
 * @install: register_k(ret)probe wrapper
 * @remove: unregister_k(ret)probe wrapper
 * @err: 0 when installed, else why not (-ENOENT: not on this kernel)
 */
struct thp_hook {
	const char *name;
	void *probe;
	int (*install)(void *probe);
	void (*remove)(void *probe);
	int err;
};

static struct thp_hook thp_hooks[] = {
	{ "khugepaged_add_pte_mapped_thp", &thp_kp_khugepaged_add, thp_kp_install,
	  thp_kp_remove },
	{ "collapse_pte_mapped_thp", &thp_krp_collapse, thp_krp_install, thp_krp_remove },
};

/**
 * thp_hooks_init() - install every hook of the table that this kernel has
 *
 * Return: 0; a hook that fails is logged and left out.
 */
int thp_hooks_init(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(thp_hooks); i++) {
		struct thp_hook *h = &thp_hooks[i];

		h->err = queue_hooks ? h->install(h->probe) : -EPERM;
		if (h->err && queue_hooks)
			pr_info("hook on %s not installed (%d)\n", h->name, h->err);
	}
	return 0;
}

/**
 * thp_hooks_exit() - remove the installed hooks
 *
 * unregister_k(ret)probe() waits for handlers still running.
 */
void thp_hooks_exit(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(thp_hooks); i++)
		if (!thp_hooks[i].err)
			thp_hooks[i].remove(thp_hooks[i].probe);
}

/**
 * thp_hooks_show() - debugfs "hooks": "NAME installed|off|error ERR nmissed N"
 * @m: seq_file
 * @v: unused
 *
 * Return: 0.
 */
int thp_hooks_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(thp_hooks); i++) {
		struct thp_hook *h = &thp_hooks[i];
		struct kprobe *kp = h->install == thp_krp_install ?
				    &((struct kretprobe *)h->probe)->kp : h->probe;

		if (!h->err)
			seq_printf(m, "%s installed nmissed %lu\n", h->name, kp->nmissed);
		else if (h->err == -EPERM)
			seq_printf(m, "%s off\n", h->name);
		else
			seq_printf(m, "%s error %d\n", h->name, h->err);
	}
	return 0;
}
