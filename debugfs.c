// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs.c - /sys/kernel/debug/thp_retry/, the module's user interface.
 *
 * The directory and every file in it are made here, the testing build's
 * fault-injection files by testing.c. debugfs_remove_recursive() at unload
 * waits for readers and
 * writers still inside a file operation (debugfs file removal is
 * synchronous), so no file outlives the module's data.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "control.h"
#include "debugfs.h"
#include "hooks.h"
#include "khugepaged_retry.h"
#include "ksyms.h"
#include "request.h"
#include "stats.h"
#include "testing.h"
#include "thp_uprobe.h"

static struct dentry *thp_debugfs_dir;

DEFINE_SHOW_ATTRIBUTE(thp_ksyms);
DEFINE_SHOW_ATTRIBUTE(thp_features);
DEFINE_SHOW_ATTRIBUTE(thp_stats);
DEFINE_SHOW_ATTRIBUTE(thp_queue_done);
DEFINE_SHOW_ATTRIBUTE(thp_hooks);
DEFINE_SHOW_ATTRIBUTE(thp_uprobes);

/* Copy a write of at most THP_REQ_MAX_INPUT bytes and run it. */
static ssize_t thp_debugfs_run(const struct thp_req_op *op, struct thp_req *req,
			       const char __user *ubuf, size_t count)
{
	char buf[THP_REQ_MAX_INPUT + 1];

	if (count > THP_REQ_MAX_INPUT) {
		/* let the parser refuse it, with its log line and counters */
		count = THP_REQ_MAX_INPUT + 1;
		memset(buf, 'x', count);
	} else if (copy_from_user(buf, ubuf, count)) {
		return -EFAULT;
	}
	return thp_control_run(op, req, buf, count);
}

/* "split" and "collapse": the result line can be read back on the same fd. */
static ssize_t thp_req_write(struct file *file, const char __user *ubuf, size_t count,
			     loff_t *ppos, const struct thp_req_op *op)
{
	struct thp_req req;
	ssize_t ret = thp_debugfs_run(op, &req, ubuf, count);

	return ret ? ret : thp_result_line_finish(file, &req, count, ppos);
}

static ssize_t thp_split_write(struct file *file, const char __user *ubuf, size_t count,
			       loff_t *ppos)
{
	return thp_req_write(file, ubuf, count, ppos, &thp_op_split);
}

static ssize_t thp_collapse_write(struct file *file, const char __user *ubuf, size_t count,
				  loff_t *ppos)
{
	return thp_req_write(file, ubuf, count, ppos, &thp_op_collapse);
}

static const struct file_operations thp_split_fops = {
	.owner = THIS_MODULE,
	.open = thp_result_line_open,
	.release = thp_result_line_release,
	.write = thp_split_write,
	.read = thp_result_line_read,
};

/* "queue" and "scan": a write returns the byte count or the result's errno. */
static ssize_t thp_simple_write(const struct thp_req_op *op, const char __user *ubuf,
				size_t count)
{
	struct thp_req req;
	ssize_t ret = thp_debugfs_run(op, &req, ubuf, count);
	int err = thp_result_errno(req.result);

	if (ret)
		return ret;
	return err ? -err : count;
}

static ssize_t thp_queue_write(struct file *file, const char __user *ubuf, size_t count,
			       loff_t *ppos)
{
	return thp_simple_write(&thp_op_queue, ubuf, count);
}

static ssize_t thp_scan_write(struct file *file, const char __user *ubuf, size_t count,
			      loff_t *ppos)
{
	return thp_simple_write(&thp_op_scan, ubuf, count);
}

static int thp_queue_open(struct inode *inode, struct file *file)
{
	return single_open(file, thp_queue_show, NULL);
}

static const struct file_operations thp_queue_fops = {
	.owner = THIS_MODULE,
	.open = thp_queue_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.write = thp_queue_write,
	.release = single_release,
};

static const struct file_operations thp_scan_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = thp_scan_write,
};

static const struct file_operations thp_collapse_fops = {
	.owner = THIS_MODULE,
	.open = thp_result_line_open,
	.release = thp_result_line_release,
	.write = thp_collapse_write,
	.read = thp_result_line_read,
};

/**
 * thp_debugfs_init() - create /sys/kernel/debug/thp_retry/
 *
 * Return: 0, or a negative errno when the directory cannot be made.
 */
int thp_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir(KBUILD_MODNAME, NULL);

	if (IS_ERR(dir)) {
		pr_err("cannot create debugfs directory: %ld\n", PTR_ERR(dir));
		return PTR_ERR(dir);
	}
	thp_debugfs_dir = dir;
	debugfs_create_file("ksyms", 0400, dir, NULL, &thp_ksyms_fops);
	debugfs_create_file("features", 0400, dir, NULL, &thp_features_fops);
	debugfs_create_file("stats", 0400, dir, NULL, &thp_stats_fops);
	debugfs_create_file("split", 0200, dir, NULL, &thp_split_fops);
	debugfs_create_file("collapse", 0200, dir, NULL, &thp_collapse_fops);
	debugfs_create_file("queue", 0600, dir, NULL, &thp_queue_fops);
	debugfs_create_file("queue_done", 0400, dir, NULL, &thp_queue_done_fops);
	debugfs_create_file("scan", 0200, dir, NULL, &thp_scan_fops);
	debugfs_create_file("hooks", 0400, dir, NULL, &thp_hooks_fops);
	debugfs_create_file("uprobes", 0400, dir, NULL, &thp_uprobes_fops);
	thp_testing_debugfs_init(dir);
	return 0;
}

/**
 * thp_debugfs_exit() - remove the directory and every file in it
 */
void thp_debugfs_exit(void)
{
	debugfs_remove_recursive(thp_debugfs_dir);
	thp_debugfs_dir = NULL;
}
