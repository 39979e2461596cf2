// SPDX-License-Identifier: GPL-2.0
/*
 * chardev.c - /dev/thp_retry, the control path that works under lockdown.
 *
 * With lockdown=integrity (Secure Boot on Debian) debugfs refuses writes.
 * This misc device (mode 0600) takes the same requests, one per write, as
 * "VERB ARGS": a verb (split, collapse, queue, scan), exactly one space,
 * then what the debugfs file of that name takes. Same errnos; read() on the
 * same open file returns the request's result line, as for debugfs
 * split/collapse.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "chardev.h"
#include "control.h"

/* "collapse" + ' ' + the longest argument */
#define THP_DEV_MAX_INPUT	(8 + 1 + THP_REQ_MAX_INPUT)

static ssize_t thp_dev_write(struct file *file, const char __user *ubuf, size_t count,
			     loff_t *ppos)
{
	const struct thp_req_op *op = NULL;
	char buf[THP_DEV_MAX_INPUT + 1];
	struct thp_req req;
	char *space = NULL;
	int ret;

	if (count <= THP_DEV_MAX_INPUT) {
		if (copy_from_user(buf, ubuf, count))
			return -EFAULT;
		space = memchr(buf, ' ', count);
		if (space)
			op = thp_op_find(buf, space - buf);
	}
	if (!space || !op) {
		memset(&req, 0, sizeof(req));
		thp_req_fail(&req, THP_INVALID_INPUT, "expected VERB ARGS");
		pr_info_ratelimited("/dev/thp_retry: invalid request from pid %d\n",
				    task_pid_nr(current));
		return thp_result_line_finish(file, &req, count, ppos);
	}
	ret = thp_control_run(op, &req, space + 1, count - (space + 1 - buf));
	return ret ? ret : thp_result_line_finish(file, &req, count, ppos);
}

static const struct file_operations thp_dev_fops = {
	.owner = THIS_MODULE,
	.open = thp_result_line_open,
	.release = thp_result_line_release,
	.write = thp_dev_write,
	.read = thp_result_line_read,
};

static struct miscdevice thp_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = KBUILD_MODNAME,
	.fops = &thp_dev_fops,
	.mode = 0600,
};

/**
 * thp_chardev_init() - register /dev/thp_retry
 *
 * Return: 0 or a negative errno.
 */
int thp_chardev_init(void)
{
	return misc_register(&thp_miscdev);
}

/**
 * thp_chardev_exit() - remove /dev/thp_retry
 */
void thp_chardev_exit(void)
{
	misc_deregister(&thp_miscdev);
}
