// SPDX-License-Identifier: GPL-2.0
/*
 * autoscan.c - find pte-mapped THPs system-wide without being asked: a
 * kthread walks every process's page tables, paced like khugepaged, and
 * queues what it finds for the retry worker (khugepaged_retry.c), which
 * collapses it in place.
 *
 * Off by default (autoscan=0): the kthread then sleeps on its wait queue,
 * with no timer. With autoscan=1 it runs a *round* every autoscan_sleep_ms:
 * up to autoscan_pmds steps (a VMA or a populated PMD entry looked at, as
 * "scan" counts them; one more per process), going on from where the last
 * round stopped: a process, by its pid, and an address in it. A *pass* is
 * one sweep over every process, by increasing pid; a round that gets past
 * the last one ends there, and the next round starts the next pass.
 *
 * What a pass looks at: every thread group that is not a kernel thread,
 * whose mm it can take (get_task_mm() of a thread of it), minus
 * processes with THPs disabled by prctl; in each, the VMAs the kernel's THP
 * policy allows (scan.c thp_autoscan_vma_ok(): the PMD-size anonymous
 * "enabled" setting, never/madvise/always, for anonymous VMAs; nothing
 * at all while the top-level "enabled" is never; VM_NOHUGEPAGE; 7.x's
 * "except advised" prctl) and that a single request accepts. What it
 * queues is what "scan" would.
 *
 * It never waits for an mmap lock: a process whose lock is busy is left to
 * the next pass, and one that wants its lock while the walk holds it is
 * left until the next round (THP_AUTOSCAN_YIELDS times a pass, then until
 * the next pass). The next process is found as /proc finds the next pid
 * (find_ge_pid()), under RCU; a thread group whose leader has exited
 * before its other threads is walked through one of them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/freezer.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/wait.h>

#include "autoscan.h"
#include "compat.h"
#include "ksyms.h"
#include "scan.h"
#include "stats.h"
#include "thp_settings.h"

static bool autoscan;
static unsigned int autoscan_pmds = 4096;
static unsigned int autoscan_sleep_ms = 1000;

static struct task_struct *thp_autoscan_task;
static DECLARE_WAIT_QUEUE_HEAD(thp_autoscan_wait);
/* bumped by a parameter write: the kthread looks at its settings again */
static atomic_t thp_autoscan_kicks = ATOMIC_INIT(0);

/*
 * The cursor: the process (pid) and the address the next round starts at,
 * and how often that process ended a round early in this pass.
 */
static pid_t thp_autoscan_pid;
static unsigned long thp_autoscan_addr;
static unsigned int thp_autoscan_yields;

static void thp_autoscan_kick(void)
{
	atomic_inc(&thp_autoscan_kicks);
	wake_up_interruptible(&thp_autoscan_wait);
}

static int thp_autoscan_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int ret = kstrtobool(val, &on);

	if (ret)
		return ret;
	/* at insmod, before the symbols are looked up: thp_autoscan_init() checks */
	if (on && thp_autoscan_task && !thp_feature_enabled(FEAT_AUTOSCAN)) {
		pr_warn("autoscan: the kernel's THP settings were not found, see features\n");
		return -EOPNOTSUPP;
	}
	WRITE_ONCE(autoscan, on);
	thp_autoscan_kick();
	return 0;
}

static const struct kernel_param_ops thp_autoscan_ops = {
	.set = thp_autoscan_set,
	.get = param_get_bool,
};
module_param_cb(autoscan, &thp_autoscan_ops, &autoscan, 0644);
MODULE_PARM_DESC(autoscan, "Find pte-mapped THPs of every process in the background (0: off)");

static int thp_autoscan_set_uint(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int ret = kstrtouint(val, 0, &v);

	if (ret)
		return ret;
	if (!v)
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	thp_autoscan_kick();
	return 0;
}

static const struct kernel_param_ops thp_autoscan_uint_ops = {
	.set = thp_autoscan_set_uint,
	.get = param_get_uint,
};
module_param_cb(autoscan_pmds, &thp_autoscan_uint_ops, &autoscan_pmds, 0644);
MODULE_PARM_DESC(autoscan_pmds, "Autoscan steps (VMAs, populated PMD entries) per round (>0)");
module_param_cb(autoscan_sleep_ms, &thp_autoscan_uint_ops, &autoscan_sleep_ms, 0644);
MODULE_PARM_DESC(autoscan_sleep_ms, "Autoscan sleep between rounds, ms (>0)");

/*
 * The thread group with the lowest pid at or above @from, its leader with a
 * reference (as /proc's next_tgid() finds it); NULL when there is none.
 */
static struct task_struct *thp_autoscan_next_task(pid_t from)
{
	struct task_struct *t = NULL;
	struct pid *pid;

	rcu_read_lock();
	while ((pid = find_ge_pid(from, &init_pid_ns))) {
		t = pid_task(pid, PIDTYPE_TGID);
		if (t) {
			get_task_struct(t);
			break;
		}
		from = pid_nr_ns(pid, &init_pid_ns) + 1;
	}
	rcu_read_unlock();
	return t;
}

/*
 * The mm of the thread group of @leader, with a reference: the leader's,
 * or, when the leader has exited before its other threads, one of theirs.
 * NULL for kernel threads and groups that have let go of their mm.
 */
static struct mm_struct *thp_autoscan_get_mm(struct task_struct *leader)
{
	struct mm_struct *mm = NULL;
	struct task_struct *t;

	if (leader->flags & PF_KTHREAD)
		return NULL;
	rcu_read_lock();
	for_each_thread(leader, t) {
		mm = get_task_mm(t);	/* task_lock(): a spinlock */
		if (mm)
			break;
	}
	rcu_read_unlock();
	return mm;
}

/*
 * Walk the process @t from *@addr with what is left of @budget; *@addr is
 * where to go on in it. Return: true when it is done for this pass.
 */
static bool thp_autoscan_process(struct task_struct *t, unsigned long *addr, long *budget)
{
	struct thp_req req = { .pid = t->tgid };
	struct mm_struct *mm = thp_autoscan_get_mm(t);
	bool done = true;

	if (!mm)
		return true;
	thp_stat_inc(THP_STAT_AUTOSCAN_PROCESSES);
	if (!thp_mm_thp_disabled(mm)) {
		req.mm = mm;
		done = thp_scan_auto(&req, addr, budget);
	}
	mmput(mm);
	return done;
}

/*
 * Times one process may make a round end early (its mmap lock wanted
 * half-way) in one pass before the rest of it waits for the next pass.
 */
#define THP_AUTOSCAN_YIELDS	8

/* One round: up to autoscan_pmds steps from the cursor, at most to a pass's end. */
static void thp_autoscan_round(void)
{
	long budget = READ_ONCE(autoscan_pmds);

	/* autoscan=1 written while the module was loading: see the setter */
	if (!thp_feature_enabled(FEAT_AUTOSCAN))
		return;
	thp_stat_inc(THP_STAT_AUTOSCAN_ROUNDS);
	thp_settings_refresh();
	while (budget > 0 && READ_ONCE(autoscan) && !kthread_should_stop()) {
		struct task_struct *t = thp_autoscan_next_task(thp_autoscan_pid);
		bool done;

		if (!t) {
			/* past the last process: the pass is over, and the round */
			thp_stat_inc(THP_STAT_AUTOSCAN_PASSES);
			thp_autoscan_pid = 0;
			thp_autoscan_addr = 0;
			break;
		}
		if (t->tgid != thp_autoscan_pid) {
			thp_autoscan_pid = t->tgid;
			thp_autoscan_addr = 0;
			thp_autoscan_yields = 0;
		}
		budget--;	/* a step per process visited */
		done = thp_autoscan_process(t, &thp_autoscan_addr, &budget);
		put_task_struct(t);
		if (!done && budget > 0 && ++thp_autoscan_yields >= THP_AUTOSCAN_YIELDS)
			done = true;
		if (done) {
			thp_autoscan_pid++;
		} else if (budget > 0) {
			/* its lock wanted half-way: the rest of it next round */
			break;
		}
		cond_resched();
	}
}

static int thp_autoscan_fn(void *unused)
{
	set_freezable();
	set_user_nice(current, MAX_NICE);

	while (!kthread_should_stop()) {
		int kicks = atomic_read(&thp_autoscan_kicks);

		if (!READ_ONCE(autoscan)) {
			wait_event_freezable(thp_autoscan_wait,
					     READ_ONCE(autoscan) || kthread_should_stop());
			continue;
		}
		thp_autoscan_round();
		wait_event_freezable_timeout(thp_autoscan_wait,
					     atomic_read(&thp_autoscan_kicks) != kicks ||
					     kthread_should_stop(),
					     msecs_to_jiffies(READ_ONCE(autoscan_sleep_ms)));
	}
	return 0;
}

/**
 * thp_autoscan_init() - start the autoscan kthread (asleep while autoscan=0)
 *
 * Return: 0 or -errno.
 */
int thp_autoscan_init(void)
{
	if (autoscan && !thp_feature_enabled(FEAT_AUTOSCAN)) {
		pr_warn("autoscan: the kernel's THP settings were not found, see features; off\n");
		autoscan = false;
	}
	thp_autoscan_task = kthread_run(thp_autoscan_fn, NULL, "thp_retry_scan");
	if (IS_ERR(thp_autoscan_task)) {
		int ret = PTR_ERR(thp_autoscan_task);

		thp_autoscan_task = NULL;
		return ret;
	}
	return 0;
}

/**
 * thp_autoscan_exit() - stop the autoscan kthread
 *
 * Waits for its round to end. Before the retry worker stops: the scan
 * queues entries for it.
 */
void thp_autoscan_exit(void)
{
	if (thp_autoscan_task)
		kthread_stop(thp_autoscan_task);
	thp_autoscan_task = NULL;
}
