// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs.c - /sys/kernel/debug/thp_retry/, the module's user interface.
 *
 * The directory and every file in it are made here, from two tables: the
 * files that only show something, and one file per verb of control.c's
 * verb table (its mode, and whether it keeps a result line or also shows
 * something decide its file operations). The testing build's
 * fault-injection files come from testing.c. debugfs_remove_recursive() at
 * unload waits for readers and writers still inside a file operation
 * (debugfs file removal is synchronous), so no file outlives the module's
 * data.
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

/* The files that only show something. */
static const struct {
	const char *name;
	int (*show)(struct seq_file *m, void *v);
} thp_show_files[] = {
	{ "ksyms", thp_ksyms_show },
	{ "features", thp_features_show },
	{ "stats", thp_stats_show },
	{ "queue_done", thp_queue_done_show },
	{ "hooks", thp_hooks_show },
	{ "uprobes", thp_uprobes_show },
};

static int thp_show_open(struct inode *inode, struct file *file)
{
	int (*show)(struct seq_file *m, void *v) = inode->i_private;

	return single_open(file, show, NULL);
}

static const struct file_operations thp_show_fops = {
	.owner = THIS_MODULE,
	.open = thp_show_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
};

/* A verb's file: its row of the verb table. */
static const struct thp_req_op *thp_file_op(struct file *file)
{
	return file_inode(file)->i_private;
}

/*
 * A write to a verb's file: copy at most THP_REQ_MAX_INPUT bytes and run
 * it. With a result line (split, collapse) read() on the same open file
 * returns it; otherwise the write returns the byte count or the result's
 * errno.
 */
static ssize_t thp_verb_write(struct file *file, const char __user *ubuf, size_t count,
			      loff_t *ppos)
{
	const struct thp_req_op *op = thp_file_op(file);
	char buf[THP_REQ_MAX_INPUT + 1];
	struct thp_req req;
	size_t len = count;
	int ret, err;

	if (len > THP_REQ_MAX_INPUT) {
		/* let the parser refuse it, with its log line and counters */
		len = THP_REQ_MAX_INPUT + 1;
		memset(buf, 'x', len);
	} else if (copy_from_user(buf, ubuf, len)) {
		return -EFAULT;
	}
	ret = thp_control_run(op, &req, buf, len);
	if (ret)
		return ret;
	if (op->result_line)
		return thp_result_line_finish(file, &req, count, ppos);
	/* a range request's result line: /dev/thp_retry shows it, not this file */
	kvfree(req.out.buffer);
	err = thp_result_errno(req.result);
	return err ? -err : count;
}

static int thp_verb_show_open(struct inode *inode, struct file *file)
{
	const struct thp_req_op *op = inode->i_private;

	return single_open(file, op->show, NULL);
}

/* Verbs with a result line (split, collapse). */
static const struct file_operations thp_verb_result_fops = {
	.owner = THIS_MODULE,
	.open = thp_result_line_open,
	.release = thp_result_line_release,
	.write = thp_verb_write,
	.read = thp_result_line_read,
};

/* Verbs whose file also shows something (queue). */
static const struct file_operations thp_verb_show_fops = {
	.owner = THIS_MODULE,
	.open = thp_verb_show_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.write = thp_verb_write,
	.release = single_release,
};

/* Write-only verbs (scan). */
static const struct file_operations thp_verb_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = thp_verb_write,
};

/**
 * thp_debugfs_init() - create /sys/kernel/debug/thp_retry/
 *
 * Return: 0, or a negative errno when the directory cannot be made.
 */
int thp_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	unsigned int i;

	if (IS_ERR(dir)) {
		pr_err("cannot create debugfs directory: %ld\n", PTR_ERR(dir));
		return PTR_ERR(dir);
	}
	thp_debugfs_dir = dir;
	for (i = 0; i < ARRAY_SIZE(thp_show_files); i++)
		debugfs_create_file(thp_show_files[i].name, 0400, dir, thp_show_files[i].show,
				    &thp_show_fops);
	for (i = 0; i < thp_nr_ops; i++) {
		const struct thp_req_op *op = &thp_ops[i];

		debugfs_create_file(op->name, op->mode, dir, (void *)op,
				    op->result_line ? &thp_verb_result_fops :
				    op->show ? &thp_verb_show_fops : &thp_verb_fops);
	}
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
