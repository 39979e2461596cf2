// SPDX-License-Identifier: GPL-2.0
/*
 * range.c - PID:START-END: one split or collapse request over every PMD
 * range of a region (a heap, a guest's memory, a text segment).
 *
 * The walk takes the mmap lock once, in the mode the mechanism needs (a
 * collapse of an anonymous range needs it for write, see collapse.c), and
 * handles the PMD ranges in address order under it: each is looked up,
 * checked with the VMA rules of a single request (thp_req_check_vma()) and
 * handed to the mechanism's locked step, with the same EAGAIN retries as a
 * single request. Holes (no VMA) are skipped whole, so a range over a
 * sparse reservation costs what is mapped. Like scan, the walk lets go of
 * the lock every THP_RANGE_BATCH ranges and whenever a writer waits for it
 * or the CPU is wanted, looking the next range's VMA up again afterwards;
 * a fatal signal stops it where it is.
 *
 * The request reports what it did, by PMD range (struct thp_range_tally):
 * how many were done, already as asked, not mapped (holes, empty ranges)
 * and refused, the refusals by reason, and the first refusal with its
 * address and detail. Partial success is success: the request's result is
 * "succeeded" when any range was done, else the "already" result when any
 * range was already as asked, else the first refusal, else the holes'
 * result (no_vma, not_mapped). Documentation/interfaces.rst has the line.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>		/* before huge_mm.h */
#include <linux/huge_mm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "range.h"
#include "request.h"
#include "results.h"

/* PMD ranges handled between two drops of the mmap lock */
#define THP_RANGE_BATCH	16

/**
 * struct thp_range_tally - what one range request did, by PMD range
 * @pmds: PMD ranges walked
 * @done: ranges the mechanism changed
 * @already: ranges already as asked
 * @not_mapped: holes: no VMA, or nothing mapped in the range
 * @refused: ranges refused
 * @by: refusals by result
 * @hole: the result of the first hole
 * @first: the first refusal
 * @first_addr: its range
 * @first_detail: its detail
 * @lock_drops: times the walk let go of the mmap lock
 * @stopped: where a fatal signal stopped the walk, or 0
 */
struct thp_range_tally {
	unsigned long pmds;
	unsigned long done;
	unsigned long already;
	unsigned long not_mapped;
	unsigned long refused;
	unsigned int by[THP_NR_RESULTS];
	enum thp_result hole;
	enum thp_result first;
	unsigned long first_addr;
	char first_detail[THP_REQ_DETAIL_LEN];
	unsigned long lock_drops;
	unsigned long stopped;
};

/* Time to let go of the mmap lock for a moment? */
static bool thp_range_step(struct mm_struct *mm, unsigned int *steps)
{
	if (++*steps < THP_RANGE_BATCH && !need_resched() && !mmap_lock_is_contended(mm))
		return false;
	*steps = 0;
	return true;
}

/* Count the outcome @r of the PMD range at @haddr. */
static void thp_range_count(struct thp_range_tally *t, const struct thp_range_ops *ops,
			    const struct thp_req *r, unsigned long n)
{
	t->pmds += n;
	if (r->result == ops->done) {
		t->done += n;
	} else if (r->result == ops->already) {
		t->already += n;
	} else if (r->result == THP_NO_VMA || r->result == THP_NOT_MAPPED) {
		if (!t->not_mapped)
			t->hole = r->result;
		t->not_mapped += n;
	} else {
		if (!t->refused) {
			t->first = r->result;
			t->first_addr = r->haddr;
			strscpy(t->first_detail, r->detail, sizeof(t->first_detail));
		}
		t->refused += n;
		if (r->result < THP_NR_RESULTS)
			t->by[r->result] += n;
	}
}

/*
 * Finish what the mechanism left pending (a batch of collapses sharing a TLB
 * flush) before the lock is let go; a range it counted done that failed
 * after all counts as refused now.
 */
static void thp_range_flush(struct thp_req *req, struct thp_range_tally *t,
			    const struct thp_range_ops *ops)
{
	struct thp_req fail = { .result = THP_SUCCEEDED };
	unsigned long n;

	if (!ops->flush)
		return;
	n = ops->flush(req, &fail);
	if (!n)
		return;
	t->done -= min(n, t->done);
	t->pmds -= n;
	thp_range_count(t, ops, &fail, n);
}

/* One PMD range, under the walk's lock: the mechanism's step and its retries. */
static void thp_range_one(struct thp_req *r, struct vm_area_struct *vma,
			  const struct thp_range_ops *ops)
{
	u64 start = ops->traced && ops->traced() ? ktime_get_ns() : 0;
	int tries = 0;

	for (;;) {
		tries++;
		r->result = THP_SUCCEEDED;
		r->detail[0] = '\0';
		ops->one(r, vma);
		if (thp_result_errno(r->result) != EAGAIN || tries >= THP_REQ_TRIES ||
		    r->trylock || fatal_signal_pending(current))
			break;
		cond_resched();
	}
	if (ops->trace)
		ops->trace(r, tries, start ? ktime_get_ns() - start : 0);
}

/* The request's result, detail and result line from the tally. */
static void thp_range_report(struct thp_req *req, const struct thp_range_ops *ops,
			     const struct thp_range_tally *t)
{
	struct seq_buf *s = &req->out;
	int i;

	if (t->done)
		req->result = THP_SUCCEEDED;
	else if (t->already)
		req->result = ops->already;
	else if (t->refused)
		req->result = t->first;
	else if (t->not_mapped)
		req->result = t->hole;
	else
		req->result = THP_INTERRUPTED;
	if (t->stopped && !t->done && !t->already)
		req->result = THP_INTERRUPTED;
	snprintf(req->detail, sizeof(req->detail),
		 "%s %lx-%lx: %lu of %lu done, %lu already, %lu not mapped, %lu refused%s",
		 ops->verb, req->haddr, req->end, t->done, t->pmds, t->already, t->not_mapped,
		 t->refused, t->stopped ? ", stopped" : "");
	if (!s->buffer)
		return;
	seq_buf_printf(s, "%s range=%#lx-%#lx pmds=%lu done=%lu already=%lu",
		       thp_result_name(req->result), req->haddr, req->end, t->pmds, t->done,
		       t->already);
	seq_buf_printf(s, " not_mapped=%lu refused=%lu", t->not_mapped, t->refused);
	for (i = 0; i < THP_NR_RESULTS; i++)
		if (t->by[i])
			seq_buf_printf(s, " %s=%u", thp_result_name(i), t->by[i]);
	if (t->refused)
		seq_buf_printf(s, " first_refused=%#lx:%s detail=\"%s\"", t->first_addr,
			       thp_result_name(t->first), t->first_detail);
	seq_buf_printf(s, " lock_drops=%lu", t->lock_drops);
	if (t->stopped)
		seq_buf_printf(s, " stopped=%#lx", t->stopped);
	seq_buf_printf(s, "\n");
}

/**
 * thp_range_run() - run a mechanism over every PMD range of a range request
 * @req: a range request (req->end set) holding the target mm
 * @ops: the mechanism
 *
 * See the top of this file. The result line goes to req->out when the
 * request has a text buffer, a summary to req->detail in any case.
 *
 * Context: process context, may sleep; takes and drops the mmap lock.
 * Return: the request's result, also in req->result.
 */
enum thp_result thp_range_run(struct thp_req *req, const struct thp_range_ops *ops)
{
	struct mm_struct *mm = req->mm;
	unsigned long haddr = req->haddr, next;
	struct thp_range_tally *t;
	struct vm_area_struct *vma;
	unsigned int steps = 0;
	bool write = ops->write;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return thp_req_fail(req, THP_NO_MEMORY, "range tally");
	if (thp_req_lock(req, write) != THP_SUCCEEDED) {
		kfree(t);
		return req->result;
	}
	while (haddr < req->end) {
		struct thp_req r = {
			.mm = mm, .pid = req->pid, .addr = haddr, .haddr = haddr,
			.batch = req->batch, .result = THP_SUCCEEDED,
		};

		if (fatal_signal_pending(current)) {
			t->stopped = haddr;
			break;
		}
		/* the lock is let go only here, where no VMA pointer is held */
		if (thp_range_step(mm, &steps)) {
			thp_range_flush(req, t, ops);
			thp_req_unlock(req);
			cond_resched();
			t->lock_drops++;
			if (thp_req_lock(req, write) != THP_SUCCEEDED) {
				t->stopped = haddr;
				break;
			}
		}
		vma = find_vma(mm, haddr);
		if (!vma || vma->vm_start >= haddr + HPAGE_PMD_SIZE) {
			/* a hole, up to the next VMA's first PMD range */
			next = vma ? min(vma->vm_start & HPAGE_PMD_MASK, req->end) : req->end;
			thp_req_fail(&r, THP_NO_VMA, "nothing mapped at %lx", haddr);
			thp_range_count(t, ops, &r, (next - haddr) >> HPAGE_PMD_SHIFT);
			haddr = next;
			continue;
		}
		if (thp_req_check_vma(&r, vma) == THP_SUCCEEDED) {
			if (!write && ops->wants_write && ops->wants_write(vma)) {
				/* from here on the write lock; look the VMA up again */
				thp_range_flush(req, t, ops);
				thp_req_unlock(req);
				write = true;
				if (thp_req_lock(req, write) != THP_SUCCEEDED) {
					t->stopped = haddr;
					break;
				}
				continue;
			}
			thp_range_one(&r, vma, ops);
		}
		thp_range_count(t, ops, &r, 1);
		haddr += HPAGE_PMD_SIZE;
	}
	thp_range_flush(req, t, ops);
	thp_req_unlock(req);
	thp_range_report(req, ops, t);
	kfree(t);
	return req->result;
}

/*
 * Let go of the mmap lock of a list walk and take it again (for write if
 * @write): the batch is finished first, its late failures already in the
 * ranges' own requests. False, with the result in req, if it was not taken.
 */
static bool thp_range_list_relock(struct thp_req *req, const struct thp_range_ops *ops,
				  bool write)
{
	struct thp_req fail;

	if (ops->flush)
		ops->flush(req, &fail);
	thp_req_unlock(req);
	cond_resched();
	return thp_req_lock(req, write) == THP_SUCCEEDED;
}

/**
 * thp_range_run_list() - run a mechanism over scattered PMD ranges of one mm
 * @req: holds the target mm (and trylock, pid, batch as the ranges' requests
 *       should have them)
 * @ops: the mechanism
 * @reqs: one request per PMD range, addr and haddr set, in address order;
 *        each gets its range's result and detail
 * @nr: the number of @reqs
 *
 * The retry worker's drain of the due entries of one mm: like
 * thp_range_run(), one lock for all of them, each range looked up and checked as a single request
 * (vma_lookup() of its address, thp_req_check_vma()), a pending batch
 * finished before the lock is let go and at the end, a batch's late
 * failure written into the range's own request (ops->flush with
 * batch->owners). With req->trylock each range gets one try and the lock is
 * only tried: the ranges not reached when it is not taken get
 * mmap_lock_contended, those not reached after a fatal signal interrupted.
 * The list is short (the worker's THP_DRAIN_MAX): the lock is let go only
 * between ranges, when somebody waits for it, never for the CPU alone
 * (cond_resched() with it held, as a page-table walk does). A range not
 * handed to the mechanism (no VMA, a refused VMA, not reached) gets its
 * trace event here, as a single request's refusal does.
 *
 * Context: process context, may sleep; takes and drops the mmap lock.
 * Return: the number of ranges reached (the others have the lock's or the
 * signal's result, also in req->result).
 */
int thp_range_run_list(struct thp_req *req, const struct thp_range_ops *ops,
		       struct thp_req *reqs, int nr)
{
	struct mm_struct *mm = req->mm;
	struct vm_area_struct *vma;
	bool write = ops->write;
	int i = 0, reached;

	if (thp_req_lock(req, write) != THP_SUCCEEDED)
		goto rest;
	while (i < nr) {
		struct thp_req *r = &reqs[i];

		r->mm = mm;
		r->pid = req->pid;
		r->trylock = req->trylock;
		r->batch = req->batch;
		r->result = THP_SUCCEEDED;
		r->detail[0] = '\0';
		if (fatal_signal_pending(current)) {
			thp_req_fail(req, THP_INTERRUPTED, "fatal signal");
			break;
		}
		if (i && mmap_lock_is_contended(mm)) {
			if (!thp_range_list_relock(req, ops, write))
				goto rest;
		} else if (i) {
			cond_resched();
		}
		vma = vma_lookup(mm, r->addr);
		if (!vma) {
			thp_req_fail(r, THP_NO_VMA, "nothing mapped at %lx", r->addr);
		} else if (thp_req_check_vma(r, vma) == THP_SUCCEEDED) {
			if (!write && ops->wants_write && ops->wants_write(vma)) {
				write = true;
				if (!thp_range_list_relock(req, ops, write))
					goto rest;
				continue;
			}
			thp_range_one(r, vma, ops);
			i++;
			continue;
		}
		if (ops->trace)
			ops->trace(r, 1, 0);
		i++;
	}
	if (ops->flush) {
		struct thp_req fail;

		ops->flush(req, &fail);
	}
	thp_req_unlock(req);
rest:
	/* the ranges not reached: the lock's or the signal's result */
	for (reached = i; i < nr; i++) {
		reqs[i].mm = mm;
		reqs[i].pid = req->pid;
		reqs[i].trylock = req->trylock;
		reqs[i].result = req->result;
		strscpy(reqs[i].detail, req->detail, sizeof(reqs[i].detail));
		if (ops->trace)
			ops->trace(&reqs[i], 1, 0);
	}
	return reached;
}
