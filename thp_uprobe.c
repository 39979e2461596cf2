// SPDX-License-Identifier: GPL-2.0
/*
 * thp_uprobe.c - THP-aware uprobes: follow the breakpoints installed into
 * THP-backed text and make sure a PMD range is PMD-mapped again once its last
 * breakpoint is removed (upstream: uprobe_write_opcode() and its
 * collapse_pte_mapped_thp() call).
 *
 * Installing a uprobe in text that lives in a page-cache THP splits the PMD
 * (FOLL_SPLIT_PMD) and replaces one subpage with an anonymous copy holding
 * the breakpoint. Removing it puts the page-cache subpage back when the copy,
 * minus the breakpoint, is identical to it, and then (6.1 and 6.12 alike)
 * calls collapse_pte_mapped_thp(mm, vaddr, false) once. That call fails while
 * another breakpoint of the range is still installed, and nobody retries it
 * when the last one goes; on 6.1 it also runs under the mmap read lock when
 * the removal comes from unapply_uprobe(). This file tracks, per (mm, PMD
 * range), the breakpoints it saw installed, and when the last one is removed
 * with the page-cache page restored it counts the kernel's own re-collapse
 * or, when there was none that can be trusted, queues the range for the
 * retry worker (khugepaged_retry.c), which collapses with the configured
 * engine. The engines refuse a range whose PTEs map anything but the THP's
 * own subpages, so a range still holding a breakpoint or a private copy
 * written by the process is never collapsed.
 *
 * Probes (all kprobe targets, none is called):
 *
 *  uprobe_write_opcode(auprobe, mm, vaddr, opcode)    kretprobe
 *      entry: remember the call (task, mm, vaddr, install or remove) in a
 *      short in-flight list; return: on success, add the breakpoint to its
 *      range (install) or take it out (remove) and apply the policy above.
 *  collapse_pte_mapped_thp(mm, addr, install_pmd)     kretprobe
 *      called from inside a remove: the kernel restored the page-cache page
 *      (it only calls it then); its result says whether it re-collapsed.
 *  uprobe_munmap(vma, start, end)                     kprobe
 *      munmap, zap (MADV_DONTNEED) and VMA changes: the breakpoints of the
 *      range are gone or will be reinstalled by uprobe_mmap() through
 *      uprobe_write_opcode(); forget them.
 *  uprobe_clear_state(mm)                             kprobe
 *      the mm's last user is gone (__mmput): forget everything of the mm.
 *
 * Lifetime: each tracked range pins its mm_struct with mmgrab(), so a stale
 * pointer can never match a new mm; ranges go when their count drops to
 * zero, at munmap, at uprobe_clear_state() and at module unload. The mmdrop()
 * happens later, in process context (see "Freeing"), where it may be the
 * last one.
 *
 * Locking: handlers never sleep and take no mm lock. thp_up_lock protects
 * the range hash, the in-flight list and the counters of the ranges;
 * thp_queue_add() is called after it is dropped. It is an arch_spinlock_t,
 * taken with interrupts off, and not a spinlock_t, because of where the
 * handlers run: where a kprobe is an int3 (x86 without ftrace at the probed
 * address) its pre-handlers run in the int3 exception, which lockdep counts
 * as NMI, while return handlers, debugfs and thp_uprobe_in_tracked_write()
 * callers run in task context; lockdep reports any lock taken both ways,
 * since an NMI can interrupt its holder. That cannot happen here: the only
 * code that runs under thp_up_lock is this file's hash and list walks and a
 * seq_printf(), with interrupts off, and none of them calls a probed
 * function (uprobe_write_opcode, collapse_pte_mapped_thp, uprobe_munmap,
 * uprobe_clear_state), so no handler can start on a CPU that holds the lock,
 * and a handler never runs in a real NMI (the probed functions are process
 * context). thp_up_assert_locked() stands in for lockdep_assert_held().
 *
 * Freeing: a pre-handler in int3 context must not enter the slab allocator
 * (its locks have the same problem) nor drop what may be the last reference
 * of an mm. Ranges that go are unhashed under the lock and pushed on a
 * lock-free list; an irq_work, safe to queue from any context, schedules a
 * work item that frees them and mmdrop()s their mm in process context.
 *
 * Bounds: at most THP_UP_MAX_RANGES ranges, at most THP_UP_BPS breakpoints
 * identified per range. A range with more is marked overflowed: its count
 * can no longer reach zero reliably, so it is never queued by this file (the
 * kernel's own re-collapse still counts).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hashtable.h>
#include <linux/irq_work.h>
#include <linux/kprobes.h>
#include <linux/llist.h>
#include <linux/mm.h>		/* before huge_mm.h */
#include <linux/huge_mm.h>
#include <linux/moduleparam.h>
#include <linux/pagemap.h>
#include <linux/ptrace.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uprobes.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "hooks.h"
#include "khugepaged_retry.h"
#include "ksyms.h"
#include "request.h"
#include "stats.h"
#include "thp_trace.h"
#include "thp_uprobe.h"

static bool uprobe_hooks = true;
module_param(uprobe_hooks, bool, 0444);
MODULE_PARM_DESC(uprobe_hooks, "Track uprobe breakpoints in THPs and re-collapse their ranges (default 1)");
/* fault injection, a parameter only in a THP_TESTING=y build */
static bool uprobe_test_distrust;
#ifdef THP_TESTING
module_param(uprobe_test_distrust, bool, 0644);
MODULE_PARM_DESC(uprobe_test_distrust,
		 "Testing: treat the kernel's re-collapse as failed, queue the range (default 0)");
#endif

#define THP_UP_BPS		12
#define THP_UP_MAX_RANGES	4096
#define THP_UP_MAXACTIVE	64

/**
 * struct thp_up_range - the breakpoints of one PMD range of one mm
 * @hash: in thp_up_hash, keyed by (@mm, @haddr)
 * @mm_hash: in thp_up_mm_hash, keyed by @mm: an munmap or exit of @mm finds
 *           its ranges without walking every tracked range
 * @free: in thp_up_dead once unhashed, until the reaper frees it
 * @mm: pinned with mmgrab()
 * @haddr: the PMD-aligned address
 * @pid: the process, for display
 * @nr: breakpoints in @off
 * @overflow: more than THP_UP_BPS breakpoints were installed at some point
 * @off: offsets in the range of the installed breakpoints
 */
struct thp_up_range {
	struct hlist_node hash;
	struct hlist_node mm_hash;
	struct llist_node free;
	struct mm_struct *mm;
	unsigned long haddr;
	pid_t pid;
	u16 nr;
	bool overflow;
	u32 off[THP_UP_BPS];
};

/**
 * struct thp_up_call - one uprobe_write_opcode() call in flight
 * @node: in thp_up_inflight
 * @task: the caller
 * @mm: its arguments
 * @vaddr: its arguments
 * @install: the opcode is the breakpoint (else the original instruction)
 * @tracked: a removal of a breakpoint of a tracked range
 * @restored: the kernel called collapse_pte_mapped_thp() from inside
 * @recollapsed: and it left the range PMD-mapped (or none, to refault so)
 * @write_locked: the caller holds the mmap lock for write
 */
struct thp_up_call {
	struct list_head node;
	struct task_struct *task;
	struct mm_struct *mm;
	unsigned long vaddr;
	bool install;
	bool tracked;
	bool restored;
	bool recollapsed;
	bool write_locked;
};

/*
 * Does the current task hold @mm's mmap lock for write? Only asked where a
 * kernel collapse needs the write lock (6.1; 6.12 collapses under the read
 * lock and answers true). The rwsem keeps its writer in ->owner; a
 * reader-owned lock has RWSEM_READER_OWNED (bit 0) set and may name one of
 * its readers there, possibly us. Speculative, but exact for the owner
 * asking about its own lock. Not PREEMPT_RT (Debian's kernels are not).
 */
static inline bool thp_mmap_write_held(struct mm_struct *mm)
{
#if THP_COLLAPSE_MMAP_WRITE
	long owner = atomic_long_read(&mm->mmap_lock.owner);

	return !(owner & 1L) && (owner & ~7L) == (long)current;
#else
	return true;
#endif
}

/* See "Locking" at the top: not lockdep-tracked, on purpose. */
static arch_spinlock_t thp_up_lock = __ARCH_SPIN_LOCK_UNLOCKED;
static DEFINE_HASHTABLE(thp_up_hash, 8);
static DEFINE_HASHTABLE(thp_up_mm_hash, 8);
static LIST_HEAD(thp_up_inflight);
/* the tracked ranges are counted in THP_STAT_UPROBE_RANGES, under thp_up_lock */
static bool thp_up_installed;

static LLIST_HEAD(thp_up_dead);
static void thp_up_reap_fn(struct work_struct *work);
static DECLARE_WORK(thp_up_reap_work, thp_up_reap_fn);

static unsigned long thp_up_lock_irqsave(void)
{
	unsigned long flags;

	local_irq_save(flags);
	arch_spin_lock(&thp_up_lock);
	return flags;
}

static void thp_up_unlock_irqrestore(unsigned long flags)
{
	arch_spin_unlock(&thp_up_lock);
	local_irq_restore(flags);
}

/* lockdep_assert_held() for thp_up_lock, which lockdep does not see */
static void thp_up_assert_locked(void)
{
	lockdep_assert_irqs_disabled();
	if (IS_ENABLED(CONFIG_LOCKDEP))
		WARN_ON_ONCE(!arch_spin_is_locked(&thp_up_lock));
}

static struct thp_up_range *thp_up_find(struct mm_struct *mm, unsigned long haddr)
{
	struct thp_up_range *r;

	thp_up_assert_locked();
	hash_for_each_possible(thp_up_hash, r, hash, thp_range_key(mm, haddr))
		if (r->mm == mm && r->haddr == haddr)
			return r;
	return NULL;
}

/* Unhash a range and hand it to the reaper (any context). */
static void thp_up_unhash(struct thp_up_range *r)
{
	thp_up_assert_locked();
	hash_del(&r->hash);
	hash_del(&r->mm_hash);
	thp_stat_dec(THP_STAT_UPROBE_RANGES);
	llist_add(&r->free, &thp_up_dead);
}

/* Free the unhashed ranges; process context. */
static void thp_up_reap(void)
{
	struct thp_up_range *r, *tmp;

	might_sleep();
	llist_for_each_entry_safe(r, tmp, llist_del_all(&thp_up_dead), free) {
		mmdrop(r->mm);
		kfree(r);
	}
}

static void thp_up_reap_fn(struct work_struct *work)
{
	thp_up_reap();
}

static void thp_up_reap_irq_fn(struct irq_work *work)
{
	schedule_work(&thp_up_reap_work);
}

static DEFINE_IRQ_WORK(thp_up_reap_irq, thp_up_reap_irq_fn);

/* After unhashing: free later, from any context (irq_work is NMI-safe). */
static void thp_up_reap_later(void)
{
	if (!llist_empty(&thp_up_dead))
		irq_work_queue(&thp_up_reap_irq);
}

static struct thp_up_call *thp_up_current_call(void)
{
	struct thp_up_call *c;

	thp_up_assert_locked();
	list_for_each_entry(c, &thp_up_inflight, node)
		if (c->task == current)
			return c;
	return NULL;
}

static int thp_up_find_off(struct thp_up_range *r, u32 off)
{
	int i;

	for (i = 0; i < r->nr; i++)
		if (r->off[i] == off)
			return i;
	return -1;
}

/*
 * Is the page at @vaddr backed by a PMD-size page-cache THP that a PMD can
 * map there (the VMA covers the range, file offset and address agree modulo
 * the PMD size)? The caller of the probed function holds the mmap lock, so
 * the VMA is stable; the page-cache lookup takes no lock and never sleeps.
 */
static bool thp_up_range_is_thp(struct mm_struct *mm, unsigned long vaddr)
{
	unsigned long haddr = vaddr & HPAGE_PMD_MASK;
	struct vm_area_struct *vma = vma_lookup(mm, vaddr);
	struct folio *folio;
	bool ret;

	if (!vma || !vma->vm_file || haddr < vma->vm_start ||
	    haddr + HPAGE_PMD_SIZE > vma->vm_end ||
	    (linear_page_index(vma, haddr) & (HPAGE_PMD_NR - 1)))
		return false;
	folio = thp_filemap_get_folio(vma->vm_file->f_mapping, linear_page_index(vma, vaddr));
	if (!folio)
		return false;
	ret = folio_order(folio) == HPAGE_PMD_ORDER;
	folio_put(folio);
	return ret;
}

/* A breakpoint at @vaddr is installed: add it to its range. */
static void thp_up_installed_bp(struct thp_up_call *c)
{
	unsigned long haddr = c->vaddr & HPAGE_PMD_MASK;
	u32 off = c->vaddr & ~HPAGE_PMD_MASK;
	struct thp_up_range *r, *new = NULL;
	unsigned long flags;
	bool tracked = false;

	flags = thp_up_lock_irqsave();
	r = thp_up_find(c->mm, haddr);
	thp_up_unlock_irqrestore(flags);
	/* only ranges of a THP are tracked; a tracked one stays a THP range */
	if (!r) {
		if (!thp_up_range_is_thp(c->mm, c->vaddr))
			return;
		new = kzalloc(sizeof(*new), GFP_ATOMIC);
		if (!new)
			return;
	}

	flags = thp_up_lock_irqsave();
	r = thp_up_find(c->mm, haddr);
	if (!r && new && thp_stat_read(THP_STAT_UPROBE_RANGES) < THP_UP_MAX_RANGES) {
		r = new;
		new = NULL;
		r->mm = c->mm;
		r->haddr = haddr;
		r->pid = thp_mm_pid(c->mm);
		mmgrab(c->mm);
		hash_add(thp_up_hash, &r->hash, thp_range_key(c->mm, haddr));
		hash_add(thp_up_mm_hash, &r->mm_hash, (unsigned long)c->mm);
		thp_stat_inc(THP_STAT_UPROBE_RANGES);
		thp_stat_inc(THP_STAT_UPROBE_SPLIT);
		tracked = true;
	}
	if (r && thp_up_find_off(r, off) < 0) {
		if (r->nr < THP_UP_BPS)
			r->off[r->nr++] = off;
		else
			r->overflow = true;
	}
	thp_up_unlock_irqrestore(flags);
	kfree(new);
	if (tracked)
		trace_thp_uprobe("installed", thp_mm_pid(c->mm), haddr, c->vaddr);
}

/*
 * The breakpoint at @vaddr is removed. If it was the last of a tracked range
 * and the kernel put the page-cache page back, the range must end up
 * PMD-mapped: by the kernel's collapse if that succeeded under a lock it is
 * valid under, else by the retry worker.
 */
static void thp_up_removed_bp(struct thp_up_call *c)
{
	unsigned long haddr = c->vaddr & HPAGE_PMD_MASK;
	struct thp_up_range *r;
	unsigned long flags;
	bool last = false;
	int i;

	if (c->restored)
		thp_stat_inc(THP_STAT_UPROBE_RESTORED);
	flags = thp_up_lock_irqsave();
	r = thp_up_find(c->mm, haddr);
	if (r) {
		i = thp_up_find_off(r, c->vaddr & ~HPAGE_PMD_MASK);
		if (i >= 0)
			r->off[i] = r->off[--r->nr];
		last = !r->nr && !r->overflow;
		if (last)
			thp_up_unhash(r);
	}
	thp_up_unlock_irqrestore(flags);
	if (!last)
		return;
	thp_up_reap_later();
	/* not restored: the process's own copy differs, or there was none */
	if (!c->restored) {
		trace_thp_uprobe("kept", thp_mm_pid(c->mm), haddr, c->vaddr);
		return;
	}
	if (c->recollapsed && (c->write_locked || !THP_COLLAPSE_MMAP_WRITE) &&
	    !READ_ONCE(uprobe_test_distrust)) {
		thp_stat_inc(THP_STAT_UPROBE_KERNEL_RECOLLAPSED);
		trace_thp_uprobe("recollapsed", thp_mm_pid(c->mm), haddr, c->vaddr);
		return;
	}
	thp_stat_inc(THP_STAT_UPROBE_ENQUEUED);
	trace_thp_uprobe("enqueued", thp_mm_pid(c->mm), haddr, c->vaddr);
	thp_queue_add(c->mm, haddr, thp_mm_pid(c->mm), SRC_HOOK_UPROBE, GFP_ATOMIC);
}

static int thp_up_write_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct thp_up_call *c = (void *)ri->data;
	struct mm_struct *mm;
	unsigned long vaddr, flags;
	bool install;

	if (!thp_uprobe_write_args(regs, &mm, &vaddr, &install))
		return 1;	/* no return handler */
	*c = (struct thp_up_call){
		.task = current,
		.mm = mm,
		.vaddr = vaddr,
		.install = install,
		.write_locked = thp_mmap_write_held(mm),
	};
	flags = thp_up_lock_irqsave();
	c->tracked = !c->install && thp_up_find(mm, vaddr & HPAGE_PMD_MASK);
	list_add(&c->node, &thp_up_inflight);
	thp_up_unlock_irqrestore(flags);
	return 0;
}

NOKPROBE_SYMBOL(thp_up_write_entry);

static int thp_up_write_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct thp_up_call *c = (void *)ri->data;
	long ret = regs_return_value(regs);
	unsigned long flags;

	flags = thp_up_lock_irqsave();
	list_del(&c->node);
	thp_up_unlock_irqrestore(flags);
	if (ret)
		return 0;
	if (c->install)
		thp_up_installed_bp(c);
	else
		thp_up_removed_bp(c);
	return 0;
}

NOKPROBE_SYMBOL(thp_up_write_ret);

/* collapse_pte_mapped_thp() entry: mark the remove it is called from. */
static int thp_up_collapse_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct thp_up_call *c;
	unsigned long flags;

	if (list_empty(&thp_up_inflight))
		return 1;
	flags = thp_up_lock_irqsave();
	c = thp_up_current_call();
	if (c && !c->install)
		c->restored = true;
	thp_up_unlock_irqrestore(flags);
	*(struct thp_up_call **)ri->data = c;
	return c ? 0 : 1;
}

NOKPROBE_SYMBOL(thp_up_collapse_entry);

static int thp_up_collapse_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct thp_up_call *c = *(struct thp_up_call **)ri->data;
	long ret = regs_return_value(regs);

	/* c lives until uprobe_write_opcode() returns, after this */
	c->recollapsed = thp_kernel_collapse_ok(ret);
	return 0;
}

NOKPROBE_SYMBOL(thp_up_collapse_ret);

/*
 * Forget the ranges of @mm that overlap [@start, @end): all of the mm's when
 * @end is 0, every range when @mm is NULL too.
 */
static void thp_up_forget(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	struct thp_up_range *r;
	struct hlist_node *tmp;
	unsigned long flags;
	int bkt;

	flags = thp_up_lock_irqsave();
	if (!mm) {
		hash_for_each_safe(thp_up_hash, bkt, tmp, r, hash)
			thp_up_unhash(r);
		goto out;
	}
	/* only this mm's ranges (and hash neighbours), not every tracked range */
	hash_for_each_possible_safe(thp_up_mm_hash, r, tmp, mm_hash, (unsigned long)mm) {
		if (r->mm != mm)
			continue;
		if (end && (r->haddr + HPAGE_PMD_SIZE <= start || r->haddr >= end))
			continue;
		thp_up_unhash(r);
	}
out:
	thp_up_unlock_irqrestore(flags);
	thp_up_reap_later();
}

static int thp_up_munmap_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct vm_area_struct *vma = (struct vm_area_struct *)regs_get_kernel_argument(regs, 0);
	unsigned long start = regs_get_kernel_argument(regs, 1);
	unsigned long end = regs_get_kernel_argument(regs, 2);

	/* every file munmap comes here: nothing tracked, nothing to do */
	if (!thp_stat_read(THP_STAT_UPROBE_RANGES) || !vma || start >= end)
		return 0;
	thp_up_forget(vma->vm_mm, start, end);
	return 0;
}

NOKPROBE_SYMBOL(thp_up_munmap_pre);

static int thp_up_clear_state_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct mm_struct *mm = (struct mm_struct *)regs_get_kernel_argument(regs, 0);

	if (thp_stat_read(THP_STAT_UPROBE_RANGES))
		thp_up_forget(mm, 0, 0);
	return 0;
}

NOKPROBE_SYMBOL(thp_up_clear_state_pre);

/**
 * thp_uprobe_in_tracked_write() - is the caller inside the removal of a
 * tracked uprobe breakpoint?
 *
 * hooks.c leaves the kernel collapses made there to this file, which knows
 * whether other breakpoints of the range are still installed.
 *
 * Context: any; never sleeps.
 * Return: true if so.
 */
bool thp_uprobe_in_tracked_write(void)
{
	struct thp_up_call *c;
	unsigned long flags;
	bool ret;

	if (list_empty(&thp_up_inflight))
		return false;
	flags = thp_up_lock_irqsave();
	c = thp_up_current_call();
	ret = c && c->tracked;
	thp_up_unlock_irqrestore(flags);
	return ret;
}

/**
 * thp_uprobes_show() - debugfs "uprobes": one line per tracked range
 * @m: seq_file
 * @v: unused
 *
 * Format: "PID 0xHADDR BREAKPOINTS", BREAKPOINTS followed by "+" when the
 * range overflowed (more were installed than are identified).
 *
 * Return: 0.
 */
int thp_uprobes_show(struct seq_file *m, void *v)
{
	struct thp_up_range *r;
	unsigned long flags;
	int bkt;

	flags = thp_up_lock_irqsave();
	hash_for_each(thp_up_hash, bkt, r, hash)
		seq_printf(m, "%d %#lx %u%s\n", r->pid, r->haddr, r->nr, r->overflow ? "+" : "");
	thp_up_unlock_irqrestore(flags);
	return 0;
}

/* The UPROBE group of hooks_list.h. */
static const struct thp_hook_ops thp_up_hook_ops[THP_NR_HOOKS] = {
	[THP_HOOK_UP_CLEAR_STATE] = { .pre = thp_up_clear_state_pre },
	[THP_HOOK_UP_MUNMAP] = { .pre = thp_up_munmap_pre },
	[THP_HOOK_UP_COLLAPSE] = {
		.entry = thp_up_collapse_entry,
		.ret = thp_up_collapse_ret,
		.data_size = sizeof(struct thp_up_call *),
		.maxactive = THP_UP_MAXACTIVE,
	},
	[THP_HOOK_UP_WRITE] = {
		.entry = thp_up_write_entry,
		.ret = thp_up_write_ret,
		.data_size = sizeof(struct thp_up_call),
		.maxactive = THP_UP_MAXACTIVE,
	},
};

/**
 * thp_uprobe_init() - install the uprobe write-path probes
 *
 * All or nothing: without any one of them the counts cannot be trusted.
 * hooks_list.h's order puts the forgetting probes and the restore detector
 * in place before the write probe can make a range tracked. A failure is
 * logged and leaves the module working without them.
 *
 * Return: 0.
 */
int thp_uprobe_init(void)
{
	int ret;

	if (!uprobe_hooks)
		return 0;
	if (!thp_feature_enabled(FEAT_HOOK_UPROBE)) {
		pr_info("uprobe hooks: feature disabled\n");
		return 0;
	}
	ret = thp_hooks_install(THP_HOOKS_UPROBE, thp_up_hook_ops, true, true);
	if (ret) {
		pr_info("uprobe hooks not installed (%d)\n", ret);
		return 0;
	}
	WRITE_ONCE(thp_up_installed, true);
	thp_stat_set(THP_STAT_UPROBE_HOOKS_INSTALLED, 1);
	return 0;
}

/**
 * thp_uprobe_exit() - remove the probes, forget every range
 *
 * Context: module unload, after the retry worker stopped; sleeps. An
 * in-flight call whose return handler will no longer run leaves its node in
 * the in-flight list; nothing reads the list once the probes are gone, and
 * it is reset. Unregistering waits for running handlers, so once it is done
 * no handler queues the reaper again; it is synced and run one last time.
 */
void thp_uprobe_exit(void)
{
	if (READ_ONCE(thp_up_installed)) {
		/* the collapse probe first: its handler writes into a write call's data */
		thp_hooks_remove(THP_HOOKS_UPROBE);
		WRITE_ONCE(thp_up_installed, false);
		thp_stat_set(THP_STAT_UPROBE_HOOKS_INSTALLED, 0);
	}
	INIT_LIST_HEAD(&thp_up_inflight);
	thp_up_forget(NULL, 0, 0);
	/* the handlers are gone: no new irq_work; then no new work */
	irq_work_sync(&thp_up_reap_irq);
	flush_work(&thp_up_reap_work);
	thp_up_reap();
}
