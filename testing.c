// SPDX-License-Identifier: GPL-2.0
/*
 * testing.c - fault injection for the selftests (THP_TESTING=y builds only).
 *
 * debugfs "test_hold_mmap": writing "PID:MS" holds PID's mmap lock for read
 * for MS milliseconds (at most 10 s) in the writer's context, then returns
 * the byte count. It stands in for what no test can set up quickly: a reader
 * that sits on the lock, such as a read of /proc/PID/mem stuck on a hung
 * FUSE mapping. The selftests use it to show that the retry worker only ever
 * tries the lock. Same access rules as a collapse request (ptrace attach).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/uaccess.h>

#include "request.h"
#include "testing.h"

#define THP_TEST_HOLD_MAX_MS	10000

static ssize_t thp_test_hold_write(struct file *file, const char __user *ubuf, size_t count,
				   loff_t *ppos)
{
	char buf[THP_REQ_MAX_INPUT + 1];
	struct thp_req req;

	if (count > THP_REQ_MAX_INPUT)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	/* "PID:MS": the request parser reads MS as its ADDR */
	if (thp_req_parse(&req, buf, count) || req.addr > THP_TEST_HOLD_MAX_MS)
		return -EINVAL;
	if (thp_req_get_mm(&req) != THP_SUCCEEDED)
		return -thp_result_errno(req.result);
	if (mmap_read_lock_killable(req.mm)) {
		thp_req_put_mm(&req);
		return -EINTR;
	}
	pr_info("test_hold_mmap: holding pid %d's mmap lock for read, %lu ms\n", req.pid,
		req.addr);
	msleep_interruptible(req.addr);
	mmap_read_unlock(req.mm);
	thp_req_put_mm(&req);
	return count;
}

static const struct file_operations thp_test_hold_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = thp_test_hold_write,
};

/**
 * thp_testing_debugfs_init() - add the fault-injection files
 * @dir: the module's debugfs directory
 */
void thp_testing_debugfs_init(struct dentry *dir)
{
	debugfs_create_file("test_hold_mmap", 0200, dir, NULL, &thp_test_hold_fops);
	pr_info("built with THP_TESTING: fault-injection files in debugfs\n");
}
