// SPDX-License-Identifier: GPL-2.0
/*
 * collapse.c - a collapse request: the engine= switch, the mmap lock the
 * range needs, and the dispatch to the engine that does it:
 *
 *   collapse_file.c    native engine, file (shmem, memfd) ranges
 *   collapse_anon.c    native engine, anonymous ranges, in place
 *   collapse_kernel.c  the kernel's collapse_pte_mapped_thp(), file only
 *
 * The lock is decided here, once, from the VMA: the kernel engine and the
 * native file engine take what the kernel's collapse_pte_mapped_thp()
 * needs (6.1: mmap write, as it frees the retracted table at once; 6.12:
 * read, as the table is freed by RCU); the in-place anonymous engine takes
 * the write lock on every kernel, as khugepaged's collapse_huge_page()
 * does (no fault, fork or VMA change may see the range half done). The VMA
 * can only be looked up under a lock, so a 6.12 anonymous range is looked
 * up under the read lock and the write lock is taken instead before any
 * engine runs; on 6.1 the first lock is already the write lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>		/* before huge_mm.h */
#include <linux/huge_mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>

#include "collapse.h"
#include "collapse_anon.h"
#include "collapse_file.h"
#include "collapse_kernel.h"
#include "compat.h"
#include "ksyms.h"
#include "pgtable.h"
#include "range.h"
#include "request.h"
#include "thp_trace.h"

enum thp_engine {
	THP_ENGINE_NATIVE,
	THP_ENGINE_KERNEL,
};

static const char * const thp_engine_names[] = {
	[THP_ENGINE_NATIVE] = "native",
	[THP_ENGINE_KERNEL] = "kernel",
};

static int thp_engine = THP_ENGINE_NATIVE;

static int thp_engine_set(const char *val, const struct kernel_param *kp)
{
	int i = sysfs_match_string(thp_engine_names, val);

	if (i < 0)
		return -EINVAL;
	WRITE_ONCE(thp_engine, i);
	return 0;
}

static int thp_engine_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", thp_engine_names[READ_ONCE(thp_engine)]);
}

static const struct kernel_param_ops thp_engine_ops = {
	.set = thp_engine_set,
	.get = thp_engine_get,
};
module_param_cb(engine, &thp_engine_ops, NULL, 0644);
MODULE_PARM_DESC(engine, "Collapse engine: native (default) or kernel");

/* Does a collapse of @vma's range take the mmap lock for write? */
static bool thp_collapse_wants_write(struct vm_area_struct *vma, bool kernel)
{
	if (!kernel && vma_is_anonymous(vma) && thp_feature_enabled(FEAT_ANON))
		return true;
	return THP_COLLAPSE_MMAP_WRITE;
}

/* The engine's step, with the mmap lock held as thp_collapse_wants_write() says. */
static void thp_collapse_locked(struct thp_req *req, struct vm_area_struct *vma, bool kernel)
{
	if (kernel)
		thp_kernel_collapse_locked(req, vma);
	else if (vma_is_anonymous(vma))
		thp_anon_collapse_locked(req, vma);
	else
		thp_file_collapse_locked(req, vma);
}

/* One try: lock as the range needs, run the engine, unlock. */
static void thp_collapse_once(struct thp_req *req, bool kernel)
{
	struct vm_area_struct *vma;

	if (thp_req_lock_vma(req, THP_COLLAPSE_MMAP_WRITE, &vma) == THP_SUCCEEDED &&
	    thp_collapse_wants_write(vma, kernel) && !req->mmap_write) {
		/* 6.12 anonymous range: the write lock instead */
		thp_req_unlock(req);
		thp_req_lock_vma(req, true, &vma);
	}
	if (req->result == THP_SUCCEEDED)
		thp_collapse_locked(req, vma, kernel);
	thp_req_unlock(req);
}

/**
 * thp_collapse_precheck() - would a collapse of this range go ahead?
 * @req: the request
 * @vma: the checked VMA
 * @pmd: the pmd of the range
 * @pmdval: its value (none, or a PTE table)
 * @nr_mapped: if not NULL, the number of present PTEs on success
 *
 * The native engines' checks, read-only: nothing is changed, so the answer
 * can be out of date at once. For "scan".
 *
 * Context: mmap lock held (read is enough); may sleep.
 * Return: THP_SUCCEEDED or the refusal.
 */
enum thp_result thp_collapse_precheck(struct thp_req *req, struct vm_area_struct *vma,
				      pmd_t *pmd, pmd_t pmdval, int *nr_mapped)
{
	if (!vma_is_anonymous(vma))
		return thp_file_precheck(req, vma, pmd, pmdval, nr_mapped);
	if (nr_mapped)
		*nr_mapped = pmd_none(pmdval) ? 0 : HPAGE_PMD_NR;
	if (pmd_none(pmdval))
		return thp_req_fail(req, THP_NOT_MAPPED, "nothing mapped");
	return thp_anon_precheck(req, vma, pmd, pmdval);
}

/**
 * thp_collapse_engine_name() - the engine= parameter's engine
 *
 * Return: "native" or "kernel".
 */
const char *thp_collapse_engine_name(void)
{
	return thp_engine_names[READ_ONCE(thp_engine)];
}

/**
 * thp_collapse_would() - what a collapse of this range would return now
 * @req: the request; req->result holds what thp_req_lock_vma() made of the
 *       VMA (a refusal of it, or THP_SUCCEEDED)
 * @vma: that VMA, when it was not refused
 * @nr_mapped: if not NULL, the number of present PTEs when the checks pass
 *
 * The checks of thp_collapse() with the engine the engine= parameter names,
 * in the order that collapse makes them, read-only: for "explain". A
 * collapse started now would return the same refusal, or go ahead
 * (THP_SUCCEEDED); the answer can be out of date at once. The kernel
 * engine's go-ahead is ours only: collapse_pte_mapped_thp() then applies
 * the kernel's own THP policy for the VMA and may still refuse
 * (kernel_engine_refused); the detail says so.
 *
 * Context: mmap lock held (read is enough); may sleep.
 * Return: THP_SUCCEEDED or the refusal, also in req->result.
 */
enum thp_result thp_collapse_would(struct thp_req *req, struct vm_area_struct *vma,
				   int *nr_mapped)
{
	bool kernel = READ_ONCE(thp_engine) == THP_ENGINE_KERNEL;
	pmd_t *pmd, pmdval;

	mmap_assert_locked(req->mm);
	if (nr_mapped)
		*nr_mapped = 0;
	/* thp_collapse() asks before it looks at the VMA */
	if (!thp_feature_enabled(kernel ? FEAT_KERNEL : FEAT_NATIVE))
		return thp_req_fail(req, THP_ENGINE_UNAVAILABLE, "%s engine disabled, see features",
				    kernel ? "kernel" : "native");
	if (req->result != THP_SUCCEEDED || !vma)
		return req->result;
	if (kernel && thp_kernel_check_vma(req, vma) != THP_SUCCEEDED)
		return req->result;
	if (!kernel && vma_is_anonymous(vma)) {
		if (thp_anon_would(req, vma) == THP_SUCCEEDED && nr_mapped)
			*nr_mapped = HPAGE_PMD_NR;
		return req->result;
	}
	pmd = thp_req_walk(req, &pmdval);
	if (!pmd || thp_pmd_collapse_state(req, pmdval) != THP_SUCCEEDED)
		return req->result;
	if (thp_collapse_precheck(req, vma, pmd, pmdval, nr_mapped) == THP_SUCCEEDED && kernel)
		snprintf(req->detail, sizeof(req->detail),
			 "collapse_pte_mapped_thp() has the last word (its own THP policy checks)");
	return req->result;
}

/* thp_collapse() with the engine given (true: the kernel's). */
static enum thp_result thp_collapse_with(struct thp_req *req, bool kernel)
{
	u64 start = trace_thp_collapse_enabled() ? ktime_get_ns() : 0;
	int tries = 0;

	if (!thp_feature_enabled(kernel ? FEAT_KERNEL : FEAT_NATIVE)) {
		thp_req_fail(req, THP_ENGINE_UNAVAILABLE, "%s engine disabled, see features",
			     kernel ? "kernel" : "native");
	} else {
		while (thp_req_try(req, &tries))
			thp_collapse_once(req, kernel);
	}
	trace_thp_collapse(req, thp_engine_names[kernel ? THP_ENGINE_KERNEL : THP_ENGINE_NATIVE],
			   tries, start ? ktime_get_ns() - start : 0);
	return req->result;
}

/**
 * thp_collapse() - collapse with the engine chosen by the engine= parameter
 * @req: a request holding the target mm
 *
 * Transient failures (EAGAIN: a racing fault, a folio changing under us)
 * are retried a few times before they are reported.
 *
 * Context: process context, may sleep.
 * Return: the result, also stored in req->result.
 */
enum thp_result thp_collapse(struct thp_req *req)
{
	return thp_collapse_with(req, READ_ONCE(thp_engine) == THP_ENGINE_KERNEL);
}

/**
 * thp_collapse_native() - collapse with the native engine, whatever engine= says
 * @req: a request holding the target mm
 *
 * For takeover.c, which stands in for the kernel's own collapse and so may
 * not hand the range back to the kernel. As thp_collapse() otherwise.
 *
 * Context: process context, may sleep; no mmap lock held.
 * Return: the result, also stored in req->result.
 */
enum thp_result thp_collapse_native(struct thp_req *req)
{
	return thp_collapse_with(req, false);
}

/* PID:START-END, one engine per request (range.c walks the ranges) */
static bool thp_collapse_native_wants_write(struct vm_area_struct *vma)
{
	return thp_collapse_wants_write(vma, false);
}

static bool thp_collapse_kernel_wants_write(struct vm_area_struct *vma)
{
	return thp_collapse_wants_write(vma, true);
}

static enum thp_result thp_collapse_native_one(struct thp_req *r, struct vm_area_struct *vma)
{
	/*
	 * Each engine's part of the batch holds folio locks: finish the other
	 * engine's part first, so that only one kind is held while an engine
	 * waits for locks (file failures are counted at range.c's next flush).
	 */
	if (vma_is_anonymous(vma))
		thp_file_batch_flush(r->batch, r->mm);
	else
		thp_anon_batch_flush(r->batch, r->mm);
	thp_collapse_locked(r, vma, false);
	return r->result;
}

static enum thp_result thp_collapse_kernel_one(struct thp_req *r, struct vm_area_struct *vma)
{
	thp_collapse_locked(r, vma, true);
	return r->result;
}

static void thp_collapse_trace_native(const struct thp_req *r, int tries, u64 ns)
{
	trace_thp_collapse(r, thp_engine_names[THP_ENGINE_NATIVE], tries, ns);
}

static void thp_collapse_trace_kernel(const struct thp_req *r, int tries, u64 ns)
{
	trace_thp_collapse(r, thp_engine_names[THP_ENGINE_KERNEL], tries, ns);
}

static bool thp_collapse_traced(void)
{
	return trace_thp_collapse_enabled();
}

/* The native file engine's pending collapses, finished (range.c's flush) */
static unsigned long thp_collapse_flush(struct thp_req *req, struct thp_req *fail)
{
	struct thp_file_batch *b = req->batch;
	unsigned long n;

	thp_file_batch_flush(b, req->mm);
	thp_anon_batch_flush(b, req->mm);
	n = b->failed;
	if (n) {
		*fail = b->fail;
		b->failed = 0;
	}
	return n;
}

static const struct thp_range_ops thp_collapse_range_ops[] = {
	[THP_ENGINE_NATIVE] = {
		.verb = "collapse", .write = THP_COLLAPSE_MMAP_WRITE,
		.wants_write = thp_collapse_native_wants_write, .one = thp_collapse_native_one,
		.done = THP_SUCCEEDED, .already = THP_ALREADY_PMD,
		.trace = thp_collapse_trace_native, .traced = thp_collapse_traced,
		.flush = thp_collapse_flush,
	},
	[THP_ENGINE_KERNEL] = {
		.verb = "collapse", .write = THP_COLLAPSE_MMAP_WRITE,
		.wants_write = thp_collapse_kernel_wants_write, .one = thp_collapse_kernel_one,
		.done = THP_SUCCEEDED, .already = THP_ALREADY_PMD,
		.trace = thp_collapse_trace_kernel, .traced = thp_collapse_traced,
	},
};

/**
 * thp_collapse_range() - collapse every PMD range of PID:START-END
 * @req: a range request holding the target mm
 *
 * One engine for the whole request (the engine= parameter when it starts);
 * each range as thp_collapse() would do it, under one walk of the mmap lock
 * (range.c), one trace event per PMD range.
 *
 * Context: process context, may sleep.
 * Return: the result, also stored in req->result.
 */
enum thp_result thp_collapse_range(struct thp_req *req)
{
	int engine = READ_ONCE(thp_engine);

	if (!thp_feature_enabled(engine == THP_ENGINE_KERNEL ? FEAT_KERNEL : FEAT_NATIVE))
		return thp_req_fail(req, THP_ENGINE_UNAVAILABLE, "%s engine disabled, see features",
				    thp_engine_names[engine]);
	if (engine == THP_ENGINE_NATIVE) {
		/* file ranges share their TLB flushes (collapse_file.c) */
		req->batch = kzalloc(sizeof(*req->batch), GFP_KERNEL);
		if (!req->batch)
			return thp_req_fail(req, THP_NO_MEMORY, "collapse batch");
	}
	thp_range_run(req, &thp_collapse_range_ops[engine]);
	/* range.c finished it before letting go of the lock */
	WARN_ON_ONCE(req->batch &&
		     (req->batch->gathered || req->batch->nr || req->batch->anon_nr));
	kfree(req->batch);
	req->batch = NULL;
	return req->result;
}

/**
 * thp_collapse_list() - collapse scattered PMD ranges of one mm under one lock
 * @req: holds the target mm, the pid to name, and trylock as the ranges'
 *       requests should have it
 * @reqs: one request per PMD range, addr and haddr set, in address order;
 *        each gets its own result and detail
 * @nr: the number of @reqs
 *
 * The retry worker's drain of one mm's due entries: the engine= parameter's
 * engine for all of them, one walk of the mmap lock (range.c's list walk),
 * the native file engine's TLB flushes shared as in a range request, one
 * trace event per range. With no memory for the batch, the ranges are
 * collapsed one at a time, as thp_collapse() does them.
 *
 * Context: process context, may sleep.
 * Return: the number of ranges the walk reached (every range has its
 * result in any case).
 */
int thp_collapse_list(struct thp_req *req, struct thp_req *reqs, int nr)
{
	int engine = READ_ONCE(thp_engine), i, reached;

	if (!thp_feature_enabled(engine == THP_ENGINE_KERNEL ? FEAT_KERNEL : FEAT_NATIVE)) {
		for (i = 0; i < nr; i++) {
			reqs[i].mm = req->mm;
			reqs[i].pid = req->pid;
			reqs[i].trylock = req->trylock;
			thp_req_fail(&reqs[i], THP_ENGINE_UNAVAILABLE,
				     "%s engine disabled, see features", thp_engine_names[engine]);
			trace_thp_collapse(&reqs[i], thp_engine_names[engine], 0, 0);
		}
		return 0;
	}
	if (engine == THP_ENGINE_NATIVE) {
		req->batch = kzalloc(sizeof(*req->batch), GFP_KERNEL);
		if (!req->batch) {
			for (i = 0; i < nr; i++) {
				reqs[i].mm = req->mm;
				reqs[i].pid = req->pid;
				reqs[i].trylock = req->trylock;
				thp_collapse(&reqs[i]);
			}
			return nr;
		}
		req->batch->owners = true;
	}
	reached = thp_range_run_list(req, &thp_collapse_range_ops[engine], reqs, nr);
	WARN_ON_ONCE(req->batch &&
		     (req->batch->gathered || req->batch->nr || req->batch->anon_nr));
	kfree(req->batch);
	req->batch = NULL;
	return reached;
}
