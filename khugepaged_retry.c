// SPDX-License-Identifier: GPL-2.0
/*
 * khugepaged_retry.c - the pte-mapped THP retry queue (upstream 6.1:
 * khugepaged_add_pte_mapped_thp() and khugepaged_collapse_pte_mapped_thps();
 * the collapse itself is collapse.c).
 *
 * Upstream 6.1 kept at most 8 addresses per mm, dropped the rest silently,
 * tried each once under mmap_write_trylock() and forgot it even when the
 * collapse failed; 6.6 removed the list. This queue keeps every entry until
 * its range is PMD-mapped again or it says why not:
 *
 *  - one entry per (mm, PMD-aligned address), deduplicated through a hash;
 *    no per-mm limit, one global cap (queue_cap) that drops and counts;
 *  - entries are grouped under a per-mm slot, found by hash, that pins the
 *    mm_struct with mmgrab() (not the address space: a dead process's page
 *    tables are never touched, mmget_not_zero() is tried before each
 *    collapse);
 *  - one freezable kthread takes entries in FIFO order, collapses each with
 *    the configured engine under mmap trylock, and puts transient failures
 *    (EAGAIN) back with a backoff, up to max_attempts. Permanent refusals,
 *    exits and exhausted retries leave the queue and are recorded in
 *    queue_done and the counters.
 *
 * Locking: thp_queue_lock (a spinlock, irq-safe because kprobe handlers may
 * enqueue from any context) protects the hashes, the FIFO, the slots' entry
 * counts and the done ring. It is never held across anything that sleeps:
 * the worker takes an entry off the FIFO (marking it busy, so a duplicate
 * enqueue finds it), drops the lock, works, and retakes the lock to put it
 * back or free it. mmdrop() of a slot happens outside the lock.
 *
 * Races left alone: an entry can be enqueued for a range that is collapsed
 * by someone else before the worker gets to it; the worker then finds it
 * already_pmd_mapped and counts it as collapsed. Cheaper than preventing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/freezer.h>
#include <linux/hashtable.h>
#include <linux/kthread.h>
#include <linux/mm.h>		/* before huge_mm.h */
#include <linux/huge_mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/wait.h>

#include "khugepaged_retry.h"
#include "request.h"
#include "thp_retry.h"

static unsigned int queue_cap = 65536;
module_param(queue_cap, uint, 0644);
MODULE_PARM_DESC(queue_cap, "Most entries the retry queue holds; more are dropped and counted");
static unsigned int scan_sleep_ms = 1000;
module_param(scan_sleep_ms, uint, 0644);
MODULE_PARM_DESC(scan_sleep_ms, "Worker pause between passes while entries wait for a retry");
static unsigned int queue_delay_ms;
module_param(queue_delay_ms, uint, 0644);
MODULE_PARM_DESC(queue_delay_ms, "Age a new entry reaches before its first try (default 0)");
static unsigned int max_attempts = 8;
module_param(max_attempts, uint, 0644);
MODULE_PARM_DESC(max_attempts, "Tries of one entry before the worker gives up on it (at most 65535)");

#define THP_DONE_RING	64

/**
 * struct thp_slot - the queued entries of one mm
 * @hash: in thp_slot_hash, keyed by @mm
 * @mm: pinned with mmgrab() while the slot exists
 * @pid: the process as the first enqueuer named it, for display
 * @nr: entries of this mm in the queue
 */
struct thp_slot {
	struct hlist_node hash;
	struct mm_struct *mm;
	pid_t pid;
	unsigned int nr;
};

/**
 * struct thp_entry - one PMD range waiting to be PMD-mapped (64 bytes)
 * @fifo: in thp_fifo, unless the worker holds it (@busy)
 * @hash: in thp_entry_hash, keyed by (mm, @haddr)
 * @slot: its mm
 * @haddr: the PMD-aligned address
 * @not_before: jiffies before which the worker leaves it alone (backoff)
 * @attempts: collapses tried
 * @last: result of the last try (enum thp_result)
 * @source: who queued it (enum thp_queue_source)
 * @busy: the worker is working on it
 */
struct thp_entry {
	struct list_head fifo;
	struct hlist_node hash;
	struct thp_slot *slot;
	unsigned long haddr;
	unsigned long not_before;
	u16 attempts;
	u8 last;
	u8 source;
	bool busy;
};

struct thp_done {
	pid_t pid;
	unsigned long haddr;
	u16 attempts;
	u8 result;
};

static DEFINE_SPINLOCK(thp_queue_lock);
static DEFINE_HASHTABLE(thp_entry_hash, 12);
static DEFINE_HASHTABLE(thp_slot_hash, 8);
static LIST_HEAD(thp_fifo);
static unsigned int thp_queue_len;
static struct thp_done thp_done_ring[THP_DONE_RING];
static unsigned int thp_done_next;

static struct kmem_cache *thp_entry_cache;
static struct task_struct *thp_worker;
static DECLARE_WAIT_QUEUE_HEAD(thp_worker_wait);

static atomic_long_t thp_qstat[THP_NR_QSTATS];

static const char * const thp_qstat_names[THP_NR_QSTATS] = {
	[QSTAT_ADDED] = "queue_added",
	[QSTAT_DEDUP] = "queue_dedup",
	[QSTAT_DROPPED] = "queue_dropped",
	[QSTAT_COLLAPSED] = "worker_collapsed",
	[QSTAT_RETRIES] = "worker_retries",
	[QSTAT_GAVE_UP] = "worker_gave_up",
	[QSTAT_REFUSED] = "worker_refused",
	[QSTAT_EXITED] = "worker_exited",
	[QSTAT_WAKEUPS] = "worker_wakeups",
	[QSTAT_SCAN_FOUND] = "scan_found",
	[QSTAT_SRC_DEBUGFS] = "source_debugfs",
	[QSTAT_SRC_SCAN] = "source_scan",
	[QSTAT_SRC_HOOK_KHUGEPAGED] = "source_hook_khugepaged",
	[QSTAT_SRC_HOOK_COLLAPSE] = "source_hook_collapse_failed",
	[QSTAT_SRC_HOOK_UPROBE] = "source_hook_uprobe",
};

static void thp_qstat_inc(enum thp_qstat s)
{
	atomic_long_inc(&thp_qstat[s]);
}

static u32 thp_entry_key(struct mm_struct *mm, unsigned long haddr)
{
	return hash_long((unsigned long)mm ^ haddr, 32);
}

static struct thp_slot *thp_slot_find(struct mm_struct *mm)
{
	struct thp_slot *slot;

	lockdep_assert_held(&thp_queue_lock);
	hash_for_each_possible(thp_slot_hash, slot, hash, (unsigned long)mm)
		if (slot->mm == mm)
			return slot;
	return NULL;
}

static struct thp_entry *thp_entry_find(struct mm_struct *mm, unsigned long haddr)
{
	struct thp_entry *e;

	lockdep_assert_held(&thp_queue_lock);
	hash_for_each_possible(thp_entry_hash, e, hash, thp_entry_key(mm, haddr))
		if (e->slot->mm == mm && e->haddr == haddr)
			return e;
	return NULL;
}

/**
 * thp_queue_add() - queue a PMD range of an mm for collapse
 * @mm: the address space (the caller holds a reference of any kind)
 * @addr: any address in the range
 * @pid: how to name the process in "queue"
 * @source: who is asking
 * @gfp: GFP_ATOMIC from hooks, GFP_KERNEL from process context
 *
 * Never sleeps with GFP_ATOMIC: kprobe handlers call it.
 *
 * Return: 0 (queued, or already queued), -ENOSPC past queue_cap, -ENOMEM.
 */
int thp_queue_add(struct mm_struct *mm, unsigned long addr, pid_t pid,
		  enum thp_queue_source source, gfp_t gfp)
{
	unsigned long haddr = addr & HPAGE_PMD_MASK;
	struct thp_slot *slot, *new_slot = NULL;
	struct thp_entry *e;
	unsigned long flags;
	int ret = 0;

	thp_qstat_inc(QSTAT_SRC_DEBUGFS + source);
	e = kmem_cache_zalloc(thp_entry_cache, gfp);
	if (!e)
		return -ENOMEM;
	/* a slot is allocated outside the lock in case this mm has none yet */
	new_slot = kzalloc(sizeof(*new_slot), gfp);
	if (!new_slot) {
		kmem_cache_free(thp_entry_cache, e);
		return -ENOMEM;
	}

	spin_lock_irqsave(&thp_queue_lock, flags);
	if (thp_entry_find(mm, haddr)) {
		thp_qstat_inc(QSTAT_DEDUP);
		goto out_free;
	}
	if (thp_queue_len >= READ_ONCE(queue_cap)) {
		thp_qstat_inc(QSTAT_DROPPED);
		ret = -ENOSPC;
		goto out_free;
	}
	slot = thp_slot_find(mm);
	if (!slot) {
		slot = new_slot;
		new_slot = NULL;
		slot->mm = mm;
		slot->pid = pid;
		mmgrab(mm);
		hash_add(thp_slot_hash, &slot->hash, (unsigned long)mm);
	}
	slot->nr++;
	e->slot = slot;
	e->haddr = haddr;
	e->source = source;
	e->last = THP_SUCCEEDED;
	e->not_before = jiffies + msecs_to_jiffies(READ_ONCE(queue_delay_ms));
	hash_add(thp_entry_hash, &e->hash, thp_entry_key(mm, haddr));
	list_add_tail(&e->fifo, &thp_fifo);
	thp_queue_len++;
	thp_qstat_inc(QSTAT_ADDED);
	e = NULL;
out_free:
	spin_unlock_irqrestore(&thp_queue_lock, flags);
	kfree(new_slot);
	if (e)
		kmem_cache_free(thp_entry_cache, e);
	else
		wake_up_interruptible(&thp_worker_wait);
	return ret;
}

/*
 * Take an entry out of the queue for good. Returns the slot's mm to mmdrop()
 * (outside the lock) when it was the mm's last entry, else NULL.
 */
static struct mm_struct *thp_entry_remove(struct thp_entry *e, enum thp_result r)
{
	struct thp_slot *slot = e->slot;
	struct thp_done *d = &thp_done_ring[thp_done_next++ % THP_DONE_RING];
	struct mm_struct *mm = NULL;

	lockdep_assert_held(&thp_queue_lock);
	*d = (struct thp_done){ .pid = slot->pid, .haddr = e->haddr,
				.attempts = e->attempts, .result = r };
	hash_del(&e->hash);
	if (!e->busy)
		list_del(&e->fifo);
	thp_queue_len--;
	if (!--slot->nr) {
		hash_del(&slot->hash);
		mm = slot->mm;
		kfree(slot);
	}
	return mm;
}

/* The first entry whose backoff is over, taken off the FIFO; NULL if none. */
static struct thp_entry *thp_queue_take(void)
{
	struct thp_entry *e;

	lockdep_assert_held(&thp_queue_lock);
	list_for_each_entry(e, &thp_fifo, fifo) {
		if (time_before(jiffies, e->not_before))
			continue;
		list_del(&e->fifo);
		e->busy = true;
		return e;
	}
	return NULL;
}

/*
 * Drop the other entries of a slot whose process is gone. The busy entry
 * the worker holds keeps the slot alive; its removal frees the slot.
 */
static void thp_slot_flush(struct thp_slot *slot)
{
	struct thp_entry *e;
	struct hlist_node *tmp;
	int bkt;

	lockdep_assert_held(&thp_queue_lock);
	hash_for_each_safe(thp_entry_hash, bkt, tmp, e, hash) {
		if (e->slot != slot || e->busy)
			continue;
		thp_qstat_inc(QSTAT_EXITED);
		thp_entry_remove(e, THP_EXITED);
		kmem_cache_free(thp_entry_cache, e);
	}
}

/* Collapse one entry; the queue lock is not held. */
static enum thp_result thp_worker_collapse(struct thp_entry *e)
{
	struct mm_struct *mm = e->slot->mm;
	struct thp_req req = {
		.trylock = true,
		.pid = e->slot->pid,
		.addr = e->haddr,
		.haddr = e->haddr,
	};

	/* never touch the page tables of an address space being torn down */
	if (!mmget_not_zero(mm))
		return THP_EXITED;
	req.mm = mm;
	thp_collapse(&req);
	mmput(mm);
	return req.result;
}

/* Put a worked-on entry back, or retire it; the lock is held. */
static struct mm_struct *thp_worker_done(struct thp_entry *e, enum thp_result r, bool *freed)
{
	/* an entry counts its attempts in 16 bits */
	unsigned int max = min_t(unsigned int, READ_ONCE(max_attempts), U16_MAX);
	int err = thp_result_errno(r);

	lockdep_assert_held(&thp_queue_lock);
	e->attempts++;
	e->last = r;
	*freed = true;
	if (!err) {
		thp_qstat_inc(QSTAT_COLLAPSED);
	} else if (r == THP_EXITED) {
		thp_qstat_inc(QSTAT_EXITED);
		thp_slot_flush(e->slot);
	} else if (err == EAGAIN && e->attempts < max) {
		/* back off: scan_sleep_ms, doubling per attempt, at most 64x */
		thp_qstat_inc(QSTAT_RETRIES);
		e->not_before = jiffies + msecs_to_jiffies(READ_ONCE(scan_sleep_ms)) *
					  (1UL << min_t(unsigned int, e->attempts - 1, 6));
		e->busy = false;
		list_add_tail(&e->fifo, &thp_fifo);
		*freed = false;
		return NULL;
	} else if (err == EAGAIN) {
		thp_qstat_inc(QSTAT_GAVE_UP);
	} else {
		thp_qstat_inc(QSTAT_REFUSED);
	}
	/* e still counts in its slot, so a flush above never freed the slot */
	return thp_entry_remove(e, r);
}

/*
 * Is an entry due? If not, *wait is set to the jiffies until the earliest
 * one is (capped by the caller's value).
 */
static bool thp_queue_due(long *wait)
{
	struct thp_entry *e;
	bool ready = false;
	unsigned long flags;

	spin_lock_irqsave(&thp_queue_lock, flags);
	list_for_each_entry(e, &thp_fifo, fifo) {
		long left = (long)(e->not_before - jiffies);

		if (left <= 0) {
			ready = true;
			break;
		}
		if (wait && left < *wait)
			*wait = left;
	}
	spin_unlock_irqrestore(&thp_queue_lock, flags);
	return ready;
}

static bool thp_queue_has_ready(void)
{
	return thp_queue_due(NULL);
}

static bool thp_queue_empty(void)
{
	return !READ_ONCE(thp_queue_len);
}

/*
 * Nothing ready. Empty queue: sleep until work arrives, no timer, so an idle
 * worker costs nothing. Entries backing off: come back after scan_sleep_ms.
 */
static void thp_worker_sleep(void)
{
	long timeout = msecs_to_jiffies(READ_ONCE(scan_sleep_ms));

	/* wake when the earliest entry is due, if before scan_sleep_ms */
	thp_queue_due(&timeout);
	timeout = max(timeout, 1L);
	if (thp_queue_empty())
		wait_event_freezable(thp_worker_wait, !thp_queue_empty() || kthread_should_stop());
	else
		wait_event_freezable_timeout(thp_worker_wait,
					     thp_queue_has_ready() || kthread_should_stop(),
					     timeout);
	thp_qstat_inc(QSTAT_WAKEUPS);
}

static int thp_worker_fn(void *unused)
{
	set_freezable();
	set_user_nice(current, MAX_NICE);

	while (!kthread_should_stop()) {
		struct mm_struct *drop = NULL;
		struct thp_entry *e;
		enum thp_result r;
		unsigned long flags;
		bool freed;

		spin_lock_irqsave(&thp_queue_lock, flags);
		e = thp_queue_take();
		spin_unlock_irqrestore(&thp_queue_lock, flags);

		if (!e) {
			thp_worker_sleep();
			continue;
		}

		r = thp_worker_collapse(e);

		spin_lock_irqsave(&thp_queue_lock, flags);
		drop = thp_worker_done(e, r, &freed);
		spin_unlock_irqrestore(&thp_queue_lock, flags);
		if (freed)
			kmem_cache_free(thp_entry_cache, e);
		if (drop)
			mmdrop(drop);
		cond_resched();
	}
	return 0;
}

/**
 * thp_queue_show() - debugfs "queue": one line per waiting entry
 * @m: seq_file
 * @v: unused
 *
 * Format: "PID 0xADDR ATTEMPTS LAST_RESULT" ("-" before the first try).
 *
 * Return: 0.
 */
int thp_queue_show(struct seq_file *m, void *v)
{
	struct thp_entry *e;
	unsigned long flags;
	int bkt;

	spin_lock_irqsave(&thp_queue_lock, flags);
	hash_for_each(thp_entry_hash, bkt, e, hash)
		seq_printf(m, "%d %#lx %u %s\n", e->slot->pid, e->haddr, e->attempts,
			   e->attempts ? thp_result_name(e->last) : "-");
	spin_unlock_irqrestore(&thp_queue_lock, flags);
	return 0;
}

/**
 * thp_queue_done_show() - debugfs "queue_done": the last entries that left
 * @m: seq_file
 * @v: unused
 *
 * Format: "PID 0xADDR ATTEMPTS RESULT", oldest first, at most 64 lines.
 *
 * Return: 0.
 */
int thp_queue_done_show(struct seq_file *m, void *v)
{
	struct thp_done ring[THP_DONE_RING];
	unsigned int next, i, n;
	unsigned long flags;

	spin_lock_irqsave(&thp_queue_lock, flags);
	memcpy(ring, thp_done_ring, sizeof(ring));
	next = thp_done_next;
	spin_unlock_irqrestore(&thp_queue_lock, flags);
	n = min_t(unsigned int, next, THP_DONE_RING);
	for (i = next - n; i != next; i++) {
		struct thp_done *d = &ring[i % THP_DONE_RING];

		seq_printf(m, "%d %#lx %u %s\n", d->pid, d->haddr, d->attempts,
			   thp_result_name(d->result));
	}
	return 0;
}

/**
 * thp_queue_stats_show() - the queue's lines of debugfs "stats"
 * @m: seq_file
 */
void thp_queue_stats_show(struct seq_file *m)
{
	int i;

	seq_printf(m, "queue_len %u\n", READ_ONCE(thp_queue_len));
	for (i = 0; i < THP_NR_QSTATS; i++)
		seq_printf(m, "%s %ld\n", thp_qstat_names[i], atomic_long_read(&thp_qstat[i]));
	seq_printf(m, "queue_entry_size %u\n", kmem_cache_size(thp_entry_cache));
}

/**
 * thp_queue_stat_inc() - count an event of the queue's sources
 * @s: the counter
 */
void thp_queue_stat_inc(enum thp_qstat s)
{
	thp_qstat_inc(s);
}

/**
 * thp_retry_worker_task() - the worker kthread, for hooks to recognise it
 *
 * Return: the task, or NULL before init.
 */
struct task_struct *thp_retry_worker_task(void)
{
	return READ_ONCE(thp_worker);
}

/**
 * thp_retry_init() - create the entry cache and start the worker
 *
 * Return: 0 or a negative errno.
 */
int thp_retry_init(void)
{
	struct task_struct *t;

	BUILD_BUG_ON(sizeof(struct thp_entry) > 64);
	thp_entry_cache = KMEM_CACHE(thp_entry, 0);
	if (!thp_entry_cache)
		return -ENOMEM;
	t = kthread_run(thp_worker_fn, NULL, "thp_retry");
	if (IS_ERR(t)) {
		kmem_cache_destroy(thp_entry_cache);
		return PTR_ERR(t);
	}
	WRITE_ONCE(thp_worker, t);
	return 0;
}

/**
 * thp_retry_stop_worker() - stop the worker, keep the queue
 *
 * Context: module unload, before the hooks go. The worker calls into probed
 * kernel functions (the kernel engine calls collapse_pte_mapped_thp(), which
 * carries a kretprobe): stopping it first means no call of ours is in flight
 * while a probe on it is being removed. Hooks may still enqueue until they
 * are gone; thp_retry_exit() frees those entries.
 */
void thp_retry_stop_worker(void)
{
	if (!thp_worker)
		return;
	kthread_stop(thp_worker);
	WRITE_ONCE(thp_worker, NULL);
}

/**
 * thp_retry_exit() - stop the worker if still running, free every entry and slot
 *
 * Context: module unload; hooks are already unregistered, so nothing can
 * enqueue any more.
 */
void thp_retry_exit(void)
{
	struct thp_entry *e;
	struct hlist_node *tmp;
	struct mm_struct *mm;
	unsigned long flags;
	int bkt;

	thp_retry_stop_worker();
	for (;;) {
		mm = NULL;
		spin_lock_irqsave(&thp_queue_lock, flags);
		hash_for_each_safe(thp_entry_hash, bkt, tmp, e, hash) {
			mm = thp_entry_remove(e, THP_INTERRUPTED);
			kmem_cache_free(thp_entry_cache, e);
			if (mm)
				break;
		}
		spin_unlock_irqrestore(&thp_queue_lock, flags);
		if (!mm)
			break;
		mmdrop(mm);
	}
	kmem_cache_destroy(thp_entry_cache);
}

/* Enqueue every pte-mapped THP of one VMA. */
static void thp_scan_vma(struct thp_req *req, struct vm_area_struct *vma)
{
	unsigned long haddr;

	for (haddr = ALIGN(vma->vm_start, HPAGE_PMD_SIZE);
	     haddr + HPAGE_PMD_SIZE <= vma->vm_end; haddr += HPAGE_PMD_SIZE) {
		struct thp_req r = { .mm = req->mm, .pid = req->pid, .addr = haddr,
				     .haddr = haddr };
		pmd_t *pmd, pmdval;
		int nr;

		/* the VMA rules do not depend on the range: one refusal is all */
		if (thp_req_check_vma(&r, vma) != THP_SUCCEEDED)
			return;
		pmd = thp_req_walk(&r, &pmdval);
		/* only a PTE table can hold a pte-mapped THP */
		if (!pmd || pmd_none(pmdval) || pmd_trans_huge(pmdval) || !pmd_present(pmdval))
			continue;
		if (thp_precheck_ptes(&r, vma, pmd, pmdval, &nr) != THP_SUCCEEDED || !nr)
			continue;
		thp_qstat_inc(QSTAT_SCAN_FOUND);
		if (thp_queue_add(req->mm, haddr, req->pid, SRC_SCAN, GFP_KERNEL) == -ENOMEM)
			return;
		cond_resched();
	}
}

/**
 * thp_scan() - queue every pte-mapped THP of a process
 * @req: a request holding the target mm (req->addr unused)
 *
 * A pte-mapped THP is a PMD range of an eligible file VMA whose PTE table
 * maps, in order, subpages of the one PMD-size page-cache THP at that offset
 * (at least one PTE present), or of a private anonymous VMA whose PTE table
 * passes thp_precheck_anon(). PMD-mapped ranges and anything that is not a
 * THP are left alone.
 *
 * Context: process context, may sleep; takes the mmap read lock.
 * Return: THP_SUCCEEDED or THP_INTERRUPTED.
 */
enum thp_result thp_scan(struct thp_req *req)
{
	struct vm_area_struct *vma;

	VMA_ITERATOR(vmi, req->mm, 0);
	if (mmap_read_lock_killable(req->mm))
		return thp_req_fail(req, THP_INTERRUPTED, "waiting for mmap_lock");
	for_each_vma(vmi, vma)
		if (vma->vm_file || vma_is_anonymous(vma))
			thp_scan_vma(req, vma);
	mmap_read_unlock(req->mm);
	req->result = THP_SUCCEEDED;
	return req->result;
}

static enum thp_result thp_queue_check(struct thp_req *req, struct vm_area_struct *vma)
{
	return THP_SUCCEEDED;
}

/**
 * thp_queue_request() - debugfs "queue": check a PID:ADDR and enqueue it
 * @req: a request holding the target mm
 *
 * The same checks as a collapse request up to the VMA rules; the range
 * itself is looked at by the worker.
 *
 * Context: process context, may sleep.
 * Return: the result; THP_NO_MEMORY also when the queue is full (-ENOSPC is
 * returned by the caller, see thp_queue_add()).
 */
enum thp_result thp_queue_request(struct thp_req *req)
{
	int ret;

	if (thp_req_with_vma(req, false, thp_queue_check) != THP_SUCCEEDED)
		return req->result;
	ret = thp_queue_add(req->mm, req->addr, req->pid, SRC_DEBUGFS, GFP_KERNEL);
	if (ret == -ENOSPC)
		return thp_req_fail(req, THP_QUEUE_FULL, "queue_cap %u reached", queue_cap);
	if (ret)
		return thp_req_fail(req, THP_NO_MEMORY, "queue entry");
	return THP_SUCCEEDED;
}
