/* SPDX-License-Identifier: GPL-2.0 */
/*
 * request.h - one PID:ADDR request, from parsing to its result line.
 */
#ifndef THP_REQUEST_H
#define THP_REQUEST_H

#include <linux/hash.h>
#include <linux/mm_types.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include "results.h"

#define THP_REQ_MAX_INPUT	255
#define THP_REQ_TRIES		3
#define THP_REQ_DETAIL_LEN	96

/**
 * struct thp_req - a request against one PMD range of one process
 * @pid: target pid, in the writer's pid namespace
 * @addr: the address as written
 * @haddr: @addr rounded down to the PMD boundary
 * @mm: the target mm, held with mmget() between thp_req_get_mm() and
 *      thp_req_put_mm()
 * @trylock: do not wait for the mmap lock (the retry worker backs off instead)
 * @mmap_write: thp_req_with_vma() holds the mmap lock for write
 * @want_mmap_write: set by a mechanism that found it needs the write lock
 *                   where it was given the read lock; the caller runs it again
 * @result: the outcome
 * @detail: free text that explains a refusal ("pte 5: anon page")
 */
struct thp_req {
	bool trylock;
	bool mmap_write;
	bool want_mmap_write;
	pid_t pid;
	unsigned long addr;
	unsigned long haddr;
	struct mm_struct *mm;
	enum thp_result result;
	char detail[THP_REQ_DETAIL_LEN];
};

int thp_req_parse(struct thp_req *req, const char *buf, size_t len);
int thp_req_parse_pid(struct thp_req *req, const char *buf, size_t len);
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

/* collapse_kernel.c, foll_split_pmd.c */
enum thp_result thp_collapse_kernel(struct thp_req *req);
enum thp_result thp_split(struct thp_req *req);

/* collapse.c: the engine= parameter, and the checks both engines share */
enum thp_result thp_collapse(struct thp_req *req);

/* collapse_anon.c: in-place collapse of anonymous THPs (native engine) */
enum thp_result thp_collapse_anon_locked(struct thp_req *req, struct vm_area_struct *vma);
enum thp_result thp_precheck_anon(struct thp_req *req, struct vm_area_struct *vma, pmd_t *pmd,
				  pmd_t pmdval);
enum thp_result thp_precheck_ptes(struct thp_req *req, struct vm_area_struct *vma, pmd_t *pmd,
				  pmd_t pmdval, int *nr_mapped);

/* request.c: lock the mm, find and check the VMA, run @fn, unlock */
enum thp_result thp_req_with_vma(struct thp_req *req, bool write,
				 enum thp_result (*fn)(struct thp_req *req,
						       struct vm_area_struct *vma));

/* request.c: get the mm, run one mechanism, put the mm */
enum thp_result thp_req_run(struct thp_req *req, enum thp_result (*fn)(struct thp_req *req));

#endif /* THP_REQUEST_H */
