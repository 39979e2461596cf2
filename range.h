/* SPDX-License-Identifier: GPL-2.0 */
/*
 * range.h - one request over every PMD range of PID:START-END (range.c).
 */
#ifndef THP_RANGE_H
#define THP_RANGE_H

#include <linux/mm_types.h>
#include "request.h"

/**
 * struct thp_range_ops - what a range request does to each PMD range
 * @verb: "split" or "collapse", for the result line
 * @write: the mmap lock the walk starts with (true: for write)
 * @wants_write: if set, does this checked VMA's range need the write lock
 *               (the walk then takes it instead, and keeps it)
 * @one: do it to the PMD range of @r (r->haddr), in the checked @vma; the
 *       mmap lock is held as the walk decided
 * @done: the result @one returns when it changed the range
 * @already: the result it returns when the range was as asked already
 * @trace: if set, one event for the range, after its tries, with their time
 *         (@ns is 0 unless @traced)
 * @traced: is @trace's event enabled
 * @flush: if set, finish what @one left pending in req->batch (called before
 *         the walk lets go of the mmap lock, and at its end); returns how
 *         many ranges @one reported done failed after all, the first of
 *         them in @fail
 */
struct thp_range_ops {
	const char *verb;
	bool write;
	bool (*wants_write)(struct vm_area_struct *vma);
	enum thp_result (*one)(struct thp_req *r, struct vm_area_struct *vma);
	enum thp_result done;
	enum thp_result already;
	void (*trace)(const struct thp_req *r, int tries, u64 ns);
	bool (*traced)(void);
	unsigned long (*flush)(struct thp_req *req, struct thp_req *fail);
};

enum thp_result thp_range_run(struct thp_req *req, const struct thp_range_ops *ops);
int thp_range_run_list(struct thp_req *req, const struct thp_range_ops *ops,
		       struct thp_req *reqs, int nr);

#endif /* THP_RANGE_H */
