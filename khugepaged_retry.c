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
 *  - one freezable kthread takes the entry that has been due longest,
 *    with up to THP_DRAIN_MAX - 1 other due entries of the same mm, and
 *    collapses them with the configured engine under one walk of the mmap
 *    lock (thp_collapse_list(): the native file engine's TLB flushes are
 *    shared as in a range request), then puts each transient failure
 *    (EAGAIN) back with a backoff (scan_sleep_ms, doubling per attempt), up
 *    to max_attempts. Permanent refusals, exits and exhausted retries leave
 *    the queue and are recorded in queue_done and the counters;
 *  - the worker never waits for an mmap lock: it only tries it. A contended
 *    lock is retried on a short schedule of its own (every lock_retry_ms,
 *    lock_retries times) before it counts as one attempt, so a process that
 *    reads its own smaps often does not push its entries into minutes of
 *    backoff, and one stuck lock holder (a reader blocked on a hung FUSE
 *    mapping) costs the worker nothing;
 *  - an entry waits on one of a few lists, one per delay it can be given
 *    (queue_delay_ms for new entries, lock_retry_ms, and scan_sleep_ms << k
 *    for backoff level k). Entries join the tail of a list with now + that
 *    list's delay, so every list is in due order and only its head needs
 *    looking at: taking the next entry, or finding when one is due, is a
 *    look at THP_NR_WAITS heads, however long the queue. (A delay parameter
 *    changed at run time can leave an entry behind a later one until the
 *    head is due: it waits at most the old delay longer.)
 *
 * Locking: thp_queue_lock (a spinlock, irq-safe because kprobe handlers may
 * enqueue from any context) protects the hashes, the wait lists, the slots'
 * entry counts and the done ring. It is never held across anything that
 * sleeps, and never for a walk of the queue: every operation under it is
 * O(1) (hash lookups, list heads), except debugfs "queue", which takes it
 * per hash bucket. The worker takes an entry off its list (marking it busy,
 * so a duplicate enqueue finds it), drops the lock, works, and retakes the
 * lock to put it back or free it. mmdrop() of a slot happens outside the
 * lock.
 *
 * Races left alone: an entry can be enqueued for a range that is collapsed
 * by someone else before the worker gets to it; the worker then finds it
 * already_pmd_mapped and counts it as collapsed. Cheaper than preventing.
 * The other entries of a process that exited are not hunted down (that
 * would be a walk of the queue): each leaves as process_exited when it
 * comes due, since mmget_not_zero() fails for good once the mm is gone.
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

#include "collapse.h"
#include "khugepaged_retry.h"
#include "request.h"
#include "stats.h"
#include "thp_trace.h"

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
static unsigned int lock_retries = 50;
module_param(lock_retries, uint, 0644);
MODULE_PARM_DESC(lock_retries, "Quick retries of a contended mmap lock before they count as one attempt (at most 65535)");
static unsigned int lock_retry_ms = 20;
module_param(lock_retry_ms, uint, 0644);
MODULE_PARM_DESC(lock_retry_ms, "Pause before a quick retry of a contended mmap lock");

#define THP_DONE_RING	64

/* The wait lists, one per delay an entry can be given (see the top). */
#define THP_BACKOFF_LEVELS	7	/* scan_sleep_ms << 0 .. << 6 */
enum thp_wait {
	THP_WAIT_NEW,
	THP_WAIT_LOCK,
	THP_WAIT_BACKOFF,
	THP_NR_WAITS = THP_WAIT_BACKOFF + THP_BACKOFF_LEVELS,
};

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
 * @wait: in one of thp_waits[], unless the worker holds it (@busy)
 * @hash: in thp_entry_hash, keyed by (mm, @haddr)
 * @slot: its mm
 * @haddr: the PMD-aligned address
 * @not_before: jiffies before which the worker leaves it alone
 * @attempts: collapses tried
 * @lock_tries: quick retries of a contended mmap lock since the last attempt
 * @last: result of the last try (enum thp_result)
 * @source: who queued it (enum thp_queue_source)
 * @busy: the worker is working on it
 */
struct thp_entry {
	struct list_head wait;
	struct hlist_node hash;
	struct thp_slot *slot;
	unsigned long haddr;
	unsigned long not_before;
	u16 attempts;
	u16 lock_tries;
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

/* enum thp_queue_source, as the thp_queue tracepoint names it */
static const char * const thp_source_names[] = {
	[SRC_DEBUGFS] = "debugfs",
	[SRC_SCAN] = "scan",
	[SRC_HOOK_KHUGEPAGED] = "hook_khugepaged",
	[SRC_HOOK_COLLAPSE] = "hook_collapse_failed",
	[SRC_HOOK_UPROBE] = "hook_uprobe",
	[SRC_AUTOSCAN] = "autoscan",
};

static_assert(ARRAY_SIZE(thp_source_names) == SRC_AUTOSCAN + 1);

/* enum thp_queue_source's stats line */
static enum thp_stat thp_source_stat(enum thp_queue_source source)
{
	if (source == SRC_AUTOSCAN)
		return THP_STAT_SOURCE_AUTOSCAN;
	return THP_STAT_SOURCE_DEBUGFS + source;
}

static DEFINE_SPINLOCK(thp_queue_lock);
static DEFINE_HASHTABLE(thp_entry_hash, 12);
static DEFINE_HASHTABLE(thp_slot_hash, 8);
static struct list_head thp_waits[THP_NR_WAITS];
static struct thp_done thp_done_ring[THP_DONE_RING];
static unsigned int thp_done_next;

/*
 * The worker collapses up to THP_DRAIN_MAX due entries of one mm under one
 * mmap lock walk (a native file batch's worth), looking at no more than
 * THP_DRAIN_LOOK due entries to find them; thp_worker_reqs are their
 * requests (the worker's alone).
 */
#define THP_DRAIN_MAX		16
#define THP_DRAIN_LOOK		64
#define THP_DRAIN_SLACK_MS	20
static struct thp_req thp_worker_reqs[THP_DRAIN_MAX];

static struct kmem_cache *thp_entry_cache;
static struct task_struct *thp_worker;
static DECLARE_WAIT_QUEUE_HEAD(thp_worker_wait);

/* Put an entry on the wait list @w, due @ms from now. Context: queue lock held. */
static void thp_entry_wait(struct thp_entry *e, enum thp_wait w, unsigned int ms)
{
	lockdep_assert_held(&thp_queue_lock);
	e->not_before = jiffies + msecs_to_jiffies(ms);
	list_add_tail(&e->wait, &thp_waits[w]);
}

/* The waiting entry that is due first: the earliest of the lists' heads. */
static struct thp_entry *thp_queue_first(void)
{
	struct thp_entry *first = NULL, *e;
	int i;

	lockdep_assert_held(&thp_queue_lock);
	for (i = 0; i < THP_NR_WAITS; i++) {
		e = list_first_entry_or_null(&thp_waits[i], struct thp_entry, wait);
		if (e && (!first || time_before(e->not_before, first->not_before)))
			first = e;
	}
	return first;
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
	hash_for_each_possible(thp_entry_hash, e, hash, thp_range_key(mm, haddr))
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
	const char *action = "add";
	struct thp_entry *e;
	unsigned long flags;
	int ret = 0;

	thp_stat_inc(thp_source_stat(source));
	e = kmem_cache_zalloc(thp_entry_cache, gfp);
	/* a slot is allocated outside the lock in case this mm has none yet */
	new_slot = e ? kzalloc(sizeof(*new_slot), gfp) : NULL;
	if (!new_slot) {
		if (e)
			kmem_cache_free(thp_entry_cache, e);
		trace_thp_queue("nomem", pid, haddr, thp_source_names[source], THP_NO_MEMORY, 0);
		return -ENOMEM;
	}

	spin_lock_irqsave(&thp_queue_lock, flags);
	if (thp_entry_find(mm, haddr)) {
		thp_stat_inc(THP_STAT_QUEUE_DEDUP);
		action = "dedup";
		goto out_free;
	}
	if (thp_stat_read(THP_STAT_QUEUE_LEN) >= READ_ONCE(queue_cap)) {
		thp_stat_inc(THP_STAT_QUEUE_DROPPED);
		action = "drop";
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
	hash_add(thp_entry_hash, &e->hash, thp_range_key(mm, haddr));
	thp_entry_wait(e, THP_WAIT_NEW, READ_ONCE(queue_delay_ms));
	thp_stat_inc(THP_STAT_QUEUE_LEN);
	thp_stat_inc(THP_STAT_QUEUE_ADDED);
	e = NULL;
out_free:
	spin_unlock_irqrestore(&thp_queue_lock, flags);
	trace_thp_queue(action, pid, haddr, thp_source_names[source],
			ret ? THP_QUEUE_FULL : THP_SUCCEEDED, 0);
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
	trace_thp_queue("done", slot->pid, e->haddr, thp_source_names[e->source], r, e->attempts);
	*d = (struct thp_done){ .pid = slot->pid, .haddr = e->haddr,
				.attempts = e->attempts, .result = r };
	hash_del(&e->hash);
	if (!e->busy)
		list_del(&e->wait);
	thp_stat_dec(THP_STAT_QUEUE_LEN);
	if (!--slot->nr) {
		hash_del(&slot->hash);
		mm = slot->mm;
		kfree(slot);
	}
	return mm;
}

/* The entry that has been due longest, taken off its list; NULL if none is due. */
static struct thp_entry *thp_queue_take(void)
{
	struct thp_entry *e = thp_queue_first();

	if (!e || time_before(jiffies, e->not_before))
		return NULL;
	list_del(&e->wait);
	e->busy = true;
	return e;
}

/*
 * The entry due longest, and up to THP_DRAIN_MAX - 1 more entries of its mm
 * due now, or new ones due within THP_DRAIN_SLACK_MS (a scan queues a region
 * over a few jiffies; a retry keeps its delay), all taken off their lists, in
 * address order; 0 if none is due.
 * Due entries are the heads of the lists (each is in due order), and at
 * most THP_DRAIN_LOOK of them are looked at: O(1) under the lock.
 */
static int thp_queue_take_mm(struct thp_entry **es)
{
	struct thp_entry *first = thp_queue_take(), *e, *tmp;
	unsigned long soon = jiffies + msecs_to_jiffies(THP_DRAIN_SLACK_MS);
	int i, j, n = 1, looked = 0;

	if (!first)
		return 0;
	es[0] = first;
	for (i = 0; i < THP_NR_WAITS && n < THP_DRAIN_MAX; i++) {
		list_for_each_entry_safe(e, tmp, &thp_waits[i], wait) {
			if (n == THP_DRAIN_MAX || ++looked > THP_DRAIN_LOOK ||
			    time_before(i == THP_WAIT_NEW ? soon : jiffies, e->not_before))
				break;
			if (e->slot != first->slot)
				continue;
			list_del(&e->wait);
			e->busy = true;
			/* insertion into address order */
			for (j = n++; j && es[j - 1]->haddr > e->haddr; j--)
				es[j] = es[j - 1];
			es[j] = e;
		}
	}
	return n;
}

/*
 * Collapse @n entries of one mm, their results in @res; the queue lock is
 * not held. Several share one walk of the mmap lock (thp_collapse_list()).
 */
static void thp_worker_collapse(struct thp_entry **es, int n, enum thp_result *res)
{
	struct mm_struct *mm = es[0]->slot->mm;
	struct thp_req req = {
		.trylock = true,
		.pid = es[0]->slot->pid,
		.addr = es[0]->haddr,
		.haddr = es[0]->haddr,
	};
	int i, reached;

	/* never touch the page tables of an address space being torn down */
	if (!mmget_not_zero(mm)) {
		for (i = 0; i < n; i++)
			res[i] = THP_EXITED;
		return;
	}
	req.mm = mm;
	if (n == 1) {
		thp_collapse(&req);
		res[0] = req.result;
	} else {
		for (i = 0; i < n; i++)
			thp_worker_reqs[i] = (struct thp_req){ .addr = es[i]->haddr,
							       .haddr = es[i]->haddr };
		reached = thp_collapse_list(&req, thp_worker_reqs, n);
		for (i = 0; i < n; i++)
			res[i] = thp_worker_reqs[i].result;
		if (reached) {
			thp_stat_inc(THP_STAT_WORKER_DRAINS);
			thp_stat_add(THP_STAT_WORKER_DRAINED, reached);
		}
	}
	mmput(mm);
}

/* Put a worked-on entry back, or retire it; the lock is held. */
static struct mm_struct *thp_worker_done(struct thp_entry *e, enum thp_result r, bool *freed)
{
	/* an entry counts its attempts and lock retries in 16 bits */
	unsigned int max = min_t(unsigned int, READ_ONCE(max_attempts), U16_MAX);
	unsigned int max_lock = min_t(unsigned int, READ_ONCE(lock_retries), U16_MAX);
	int err = thp_result_errno(r);
	pid_t pid = e->slot->pid;
	unsigned int ms;
	int level;

	lockdep_assert_held(&thp_queue_lock);
	e->last = r;
	*freed = false;
	/* a contended mmap lock: try again soon, without counting an attempt */
	if (r == THP_LOCK_CONTENDED && e->lock_tries < max_lock) {
		thp_stat_inc(THP_STAT_WORKER_LOCK_RETRIES);
		e->lock_tries++;
		e->busy = false;
		ms = READ_ONCE(lock_retry_ms);
		trace_thp_worker(pid, e->haddr, e->attempts, e->lock_tries, r, "lock_retry", ms);
		thp_entry_wait(e, THP_WAIT_LOCK, ms);
		return NULL;
	}
	e->lock_tries = 0;
	e->attempts++;
	if (err == EAGAIN && e->attempts < max) {
		/* back off: scan_sleep_ms, doubling per attempt, at most 64x */
		level = min(e->attempts - 1, THP_BACKOFF_LEVELS - 1);
		thp_stat_inc(THP_STAT_WORKER_RETRIES);
		e->busy = false;
		ms = READ_ONCE(scan_sleep_ms) << level;
		trace_thp_worker(pid, e->haddr, e->attempts, 0, r, "backoff", ms);
		thp_entry_wait(e, THP_WAIT_BACKOFF + level, ms);
		return NULL;
	}
	trace_thp_worker(pid, e->haddr, e->attempts, 0, r, "done", 0);
	*freed = true;
	if (!err)
		thp_stat_inc(THP_STAT_WORKER_COLLAPSED);
	else if (r == THP_EXITED)
		thp_stat_inc(THP_STAT_WORKER_EXITED);
	else if (err == EAGAIN)
		thp_stat_inc(THP_STAT_WORKER_GAVE_UP);
	else
		thp_stat_inc(THP_STAT_WORKER_REFUSED);
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
	long left;

	spin_lock_irqsave(&thp_queue_lock, flags);
	e = thp_queue_first();
	if (e) {
		left = (long)(e->not_before - jiffies);
		ready = left <= 0;
		if (!ready && wait && left < *wait)
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
	return !thp_stat_read(THP_STAT_QUEUE_LEN);
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
	thp_stat_inc(THP_STAT_WORKER_WAKEUPS);
}

static int thp_worker_fn(void *unused)
{
	set_freezable();
	set_user_nice(current, MAX_NICE);

	while (!kthread_should_stop()) {
		struct thp_entry *es[THP_DRAIN_MAX];
		enum thp_result res[THP_DRAIN_MAX];
		bool freed[THP_DRAIN_MAX];
		struct mm_struct *drop = NULL, *mm;
		unsigned long flags;
		int i, n;

		spin_lock_irqsave(&thp_queue_lock, flags);
		n = thp_queue_take_mm(es);
		spin_unlock_irqrestore(&thp_queue_lock, flags);

		if (!n) {
			thp_worker_sleep();
			continue;
		}

		thp_worker_collapse(es, n, res);

		/* busy entries keep their slot: only the last one done can free it */
		spin_lock_irqsave(&thp_queue_lock, flags);
		for (i = 0; i < n; i++) {
			mm = thp_worker_done(es[i], res[i], &freed[i]);
			if (mm)
				drop = mm;
		}
		spin_unlock_irqrestore(&thp_queue_lock, flags);
		for (i = 0; i < n; i++)
			if (freed[i])
				kmem_cache_free(thp_entry_cache, es[i]);
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

	/* one bucket at a time: the lock is never held for the whole queue */
	for (bkt = 0; bkt < HASH_SIZE(thp_entry_hash); bkt++) {
		spin_lock_irqsave(&thp_queue_lock, flags);
		hlist_for_each_entry(e, &thp_entry_hash[bkt], hash)
			seq_printf(m, "%d %#lx %u %s\n", e->slot->pid, e->haddr, e->attempts,
				   e->attempts || e->lock_tries ? thp_result_name(e->last) : "-");
		spin_unlock_irqrestore(&thp_queue_lock, flags);
	}
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
	int i;

	BUILD_BUG_ON(sizeof(struct thp_entry) > 64);
	for (i = 0; i < THP_NR_WAITS; i++)
		INIT_LIST_HEAD(&thp_waits[i]);
	thp_entry_cache = KMEM_CACHE(thp_entry, 0);
	if (!thp_entry_cache)
		return -ENOMEM;
	thp_stat_set(THP_STAT_QUEUE_ENTRY_SIZE, kmem_cache_size(thp_entry_cache));
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

/**
 * thp_queue_request() - debugfs "queue": check a PID:ADDR and enqueue it
 * @req: a request holding the target mm
 *
 * The same checks as a collapse request up to the VMA rules; the range
 * itself is looked at by the worker.
 *
 * Context: process context, may sleep.
 * Return: the result: THP_QUEUE_FULL past queue_cap (ENOSPC),
 * THP_NO_MEMORY when no entry could be allocated.
 */
enum thp_result thp_queue_request(struct thp_req *req)
{
	struct vm_area_struct *vma;
	int ret;

	/* the VMA rules now; the range itself is the worker's to look at */
	thp_req_lock_vma(req, false, &vma);
	thp_req_unlock(req);
	if (req->result != THP_SUCCEEDED)
		return req->result;
	ret = thp_queue_add(req->mm, req->addr, req->pid, SRC_DEBUGFS, GFP_KERNEL);
	if (ret == -ENOSPC)
		return thp_req_fail(req, THP_QUEUE_FULL, "queue_cap %u reached", queue_cap);
	if (ret)
		return thp_req_fail(req, THP_NO_MEMORY, "queue entry");
	return THP_SUCCEEDED;
}
