/* SPDX-License-Identifier: GPL-2.0 */
/*
 * request.h - one PID:ADDR request, from parsing to its result line.
 */
#ifndef THP_REQUEST_H
#define THP_REQUEST_H

#include <linux/hash.h>
#include <linux/mm_types.h>
#include <linux/seq_buf.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include "results.h"

struct thp_file_batch;

#define THP_REQ_MAX_INPUT	255
#define THP_REQ_TRIES		3
#define THP_REQ_DETAIL_LEN	96

/*
 * The largest PID:START-END, after rounding outward to PMD boundaries: 32768
 * PMD ranges with 4K pages, 2048 with 16K pages; the walk lets go of the
 * mmap lock every THP_RANGE_BATCH ranges (range.c).
 */
#define THP_RANGE_MAX		(64UL << 30)

/* The most a text verb writes for one request (explain PID: one line per VMA). */
#define THP_TEXT_MAX	(256 * 1024)

/**
 * struct thp_req - a request against one PMD range of one process
 * @pid: target pid, in the writer's pid namespace
 * @addr: the address as written
 * @haddr: @addr rounded down to the PMD boundary
 * @end: a range request's end (exclusive, PMD-aligned); 0 for one address
 * @mm: the target mm, held with mmget() between thp_req_get_mm() and
 *      thp_req_put_mm()
 * @trylock: do not wait for the mmap lock (the retry worker backs off instead)
 * @mmap_locked: thp_req_lock_vma() holds the mmap lock
 * @mmap_write: ... for write
 * @anon: the VMA is anonymous (set by thp_req_check_vma(), for tracing)
 * @all: about the whole process, not one range ("explain PID")
 * @batch: a range request's file collapses that share one TLB flush
 *         (collapse_file.c); NULL: each is finished at once
 * @result: the outcome
 * @detail: free text that explains a refusal ("pte 5: anon page")
 * @out: a text verb's output (explain), set up by thp_control_run(); its
 *       buffer is NULL for every other verb
 */
struct thp_req {
	bool trylock;
	bool mmap_locked;
	bool mmap_write;
	bool anon;
	bool all;
	pid_t pid;
	unsigned long addr;
	unsigned long haddr;
	unsigned long end;
	struct mm_struct *mm;
	struct thp_file_batch *batch;
	enum thp_result result;
	char detail[THP_REQ_DETAIL_LEN];
	struct seq_buf out;
};

int thp_req_parse(struct thp_req *req, const char *buf, size_t len);
int thp_req_parse_pid(struct thp_req *req, const char *buf, size_t len);
int thp_req_parse_explain(struct thp_req *req, const char *buf, size_t len);
enum thp_result thp_req_get_mm(struct thp_req *req);
void thp_req_put_mm(struct thp_req *req);
enum thp_result thp_req_check_vma(struct thp_req *req, struct vm_area_struct *vma);
enum thp_result thp_req_fail(struct thp_req *req, enum thp_result r, const char *fmt, ...)
	__printf(3, 4);
bool thp_req_try(struct thp_req *req, int *tries);

/* The hash key of one PMD range of one mm (the queue's and the uprobes' tables). */
static inline u32 thp_range_key(struct mm_struct *mm, unsigned long haddr)
{
	return hash_long((unsigned long)mm ^ haddr, 32);
}

enum thp_result thp_req_lock(struct thp_req *req, bool write);
enum thp_result thp_req_lock_vma(struct thp_req *req, bool write, struct vm_area_struct **vmap);
void thp_req_unlock(struct thp_req *req);
pid_t thp_mm_pid(struct mm_struct *mm);

#endif /* THP_REQUEST_H */
