// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs.c - /sys/kernel/debug/thp_retry/, the module's user interface.
 *
 * The directory and the files every build has (ksyms, features) are made
 * here; each mechanism adds its own files under thp_debugfs_dir from its
 * init function. debugfs_remove_recursive() at unload waits for readers and
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

#include "hooks.h"
#include "khugepaged_retry.h"
#include "ksyms.h"
#include "request.h"
#include "stats.h"
#include "thp_retry.h"

struct dentry *thp_debugfs_dir;

DEFINE_SHOW_ATTRIBUTE(thp_ksyms);
DEFINE_SHOW_ATTRIBUTE(thp_features);
DEFINE_SHOW_ATTRIBUTE(thp_stats);
DEFINE_SHOW_ATTRIBUTE(thp_queue_done);
DEFINE_SHOW_ATTRIBUTE(thp_hooks);

/*
 * One request at a time, module-wide, as for the kernel's split_huge_pages
 * file: requests are rare and this keeps two writers from racing each other
 * on one range. Taken interruptibly.
 */
static DEFINE_MUTEX(thp_request_mutex);

/**
 * struct thp_req_file - per-open state of "split" and "collapse"
 * @lock: protects @line and @len
 * @line: the result line of the last request written on this file
 * @len: its length, 0 before the first write
 */
struct thp_req_file {
	struct mutex lock;	/* protects line and len */
	char line[THP_REQ_DETAIL_LEN + 32];
	size_t len;
};

static int thp_req_open(struct inode *inode, struct file *file)
{
	struct thp_req_file *rf = kzalloc(sizeof(*rf), GFP_KERNEL);

	if (!rf)
		return -ENOMEM;
	mutex_init(&rf->lock);
	file->private_data = rf;
	return 0;
}

static int thp_req_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

/**
 * struct thp_req_op - what a request file does with a write
 * @name: the file's name, for logs
 * @parse: thp_req_parse() or thp_req_parse_pid()
 * @run: the mechanism, run on the target mm
 * @serialize: take thp_request_mutex around @run
 */
struct thp_req_op {
	const char *name;
	int (*parse)(struct thp_req *req, const char *buf, size_t len);
	enum thp_result (*run)(struct thp_req *req);
	bool serialize;
};

static const struct thp_req_op thp_op_split = { "split", thp_req_parse, thp_split, true };
static const struct thp_req_op thp_op_collapse = { "collapse", thp_req_parse, thp_collapse, true };
static const struct thp_req_op thp_op_queue = { "queue", thp_req_parse, thp_queue_request, false };
static const struct thp_req_op thp_op_scan = { "scan", thp_req_parse_pid, thp_scan, false };

/* Parse and run one request; the result is in @req. */
static ssize_t thp_req_do(const struct thp_req_op *op, struct thp_req *req,
			  const char __user *ubuf, size_t count)
{
	char buf[THP_REQ_MAX_INPUT + 1];

	if (count > THP_REQ_MAX_INPUT) {
		memset(req, 0, sizeof(*req));
		thp_req_fail(req, THP_INVALID_INPUT, "longer than %d bytes", THP_REQ_MAX_INPUT);
	} else if (copy_from_user(buf, ubuf, count)) {
		return -EFAULT;
	} else if (!op->parse(req, buf, count)) {
		if (op->serialize && mutex_lock_interruptible(&thp_request_mutex))
			return -EINTR;
		if (op->serialize)
			thp_hooks_self(true);
		thp_req_run(req, op->run);
		if (op->serialize) {
			thp_hooks_self(false);
			mutex_unlock(&thp_request_mutex);
		}
	}
	if (req->result == THP_INVALID_INPUT)
		pr_info_ratelimited("%s: invalid request from pid %d (%s)\n", op->name,
				    task_pid_nr(current), req->detail);
	else if (thp_result_errno(req->result))
		pr_debug("%s %d:%#lx: %s %s\n", op->name, req->pid, req->addr,
			 thp_result_name(req->result), req->detail);
	return 0;
}

static ssize_t thp_req_write(struct file *file, const char __user *ubuf, size_t count,
			     loff_t *ppos, bool split)
{
	struct thp_req_file *rf = file->private_data;
	struct thp_req req;
	ssize_t ret;
	int err;

	ret = thp_req_do(split ? &thp_op_split : &thp_op_collapse, &req, ubuf, count);
	if (ret)
		return ret;
	thp_stats_request(split, req.result);
	err = thp_result_errno(req.result);

	mutex_lock(&rf->lock);
	rf->len = scnprintf(rf->line, sizeof(rf->line), "%s%s%s\n", thp_result_name(req.result),
			    req.detail[0] ? " " : "", req.detail);
	mutex_unlock(&rf->lock);
	*ppos = 0;
	return err ? -err : count;
}

static ssize_t thp_req_read(struct file *file, char __user *ubuf, size_t count, loff_t *ppos)
{
	struct thp_req_file *rf = file->private_data;
	ssize_t ret;

	mutex_lock(&rf->lock);
	ret = simple_read_from_buffer(ubuf, count, ppos, rf->line, rf->len);
	mutex_unlock(&rf->lock);
	return ret;
}

static ssize_t thp_split_write(struct file *file, const char __user *ubuf, size_t count,
			       loff_t *ppos)
{
	return thp_req_write(file, ubuf, count, ppos, true);
}

static ssize_t thp_collapse_write(struct file *file, const char __user *ubuf, size_t count,
				  loff_t *ppos)
{
	return thp_req_write(file, ubuf, count, ppos, false);
}

static const struct file_operations thp_split_fops = {
	.owner = THIS_MODULE,
	.open = thp_req_open,
	.release = thp_req_release,
	.write = thp_split_write,
	.read = thp_req_read,
};

/* "queue" and "scan": a write returns the byte count or the result's errno. */
static ssize_t thp_simple_write(const struct thp_req_op *op, const char __user *ubuf,
				size_t count)
{
	struct thp_req req;
	ssize_t ret = thp_req_do(op, &req, ubuf, count);
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
	.open = thp_req_open,
	.release = thp_req_release,
	.write = thp_collapse_write,
	.read = thp_req_read,
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
