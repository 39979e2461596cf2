// SPDX-License-Identifier: GPL-2.0
/*
 * control.c - run one request, whichever file it came through.
 *
 * debugfs.c (split, collapse, queue, scan) and chardev.c (/dev/thp_retry,
 * "VERB ARGS") both end here: the verb table, parsing, the module-wide
 * request mutex, the counters, the log line and the per-open result line.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "collapse.h"
#include "control.h"
#include "explain.h"
#include "foll_split_pmd.h"
#include "khugepaged_retry.h"
#include "ksyms.h"
#include "queue_hooks.h"
#include "scan.h"
#include "stats.h"

const struct thp_req_op thp_ops[] = {
	{
		.name = "split", .mode = 0200, .parse = thp_req_parse, .run = thp_split,
		.run_range = thp_split_range,
		.serialize = true, .split = true, .result_line = true,
	}, {
		.name = "collapse", .mode = 0200, .parse = thp_req_parse, .run = thp_collapse,
		.run_range = thp_collapse_range,
		.serialize = true, .result_line = true,
	}, {
		.name = "queue", .mode = 0600, .parse = thp_req_parse, .run = thp_queue_request,
		.run_range = thp_queue_range,
		.show = thp_queue_show,
	}, {
		.name = "scan", .mode = 0200, .parse = thp_req_parse_pid, .run = thp_scan,
	}, {
		.name = "explain", .mode = 0600, .parse = thp_req_parse_explain,
		.run = thp_explain, .result_line = true, .text = true,
	},
};

const unsigned int thp_nr_ops = ARRAY_SIZE(thp_ops);

/*
 * Split and collapse run one at a time, module-wide, as for the kernel's
 * split_huge_pages file: requests are rare and this keeps two writers from
 * racing each other on one range. Taken interruptibly.
 */
static DEFINE_MUTEX(thp_request_mutex);

/* Run a parsed request on its target's mm. */
static void thp_control_exec(const struct thp_req_op *op, struct thp_req *req)
{
	req->result = THP_SUCCEEDED;
	if (!thp_feature_enabled(FEAT_CORE)) {
		thp_req_fail(req, THP_ENGINE_UNAVAILABLE, "core disabled, see features");
		return;
	}
	if (thp_req_get_mm(req) != THP_SUCCEEDED)
		return;
	if (req->end)
		op->run_range(req);
	else
		op->run(req);
	thp_req_put_mm(req);
}

/**
 * thp_op_find() - the request of a verb
 * @verb: the verb (need not be NUL-terminated)
 * @len: its length
 *
 * Return: the op, or NULL for an unknown verb.
 */
const struct thp_req_op *thp_op_find(const char *verb, size_t len)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(thp_ops); i++)
		if (strlen(thp_ops[i].name) == len && !memcmp(thp_ops[i].name, verb, len))
			return &thp_ops[i];
	return NULL;
}

/**
 * thp_control_run() - parse and run one request
 * @op: what to do
 * @req: filled with the request and its result
 * @buf: the arguments as written (kernel copy, not NUL-terminated)
 * @len: their length
 *
 * Context: process context, may sleep.
 * Return: 0 (the outcome is in req->result), or -EINTR when a signal came
 * before the request could start.
 */
int thp_control_run(const struct thp_req_op *op, struct thp_req *req, const char *buf,
		    size_t len)
{
	size_t size = 0;
	char *text = NULL;

	/* the parser clears the request: the text buffer comes after it */
	if (!op->parse(req, buf, len) && req->end && !op->run_range)
		thp_req_fail(req, THP_INVALID_INPUT, "%s takes no PID:START-END", op->name);
	/* a text verb's output, or a range request's result line */
	if (req->result == THP_SUCCEEDED && (op->text || req->end)) {
		/* a whole process: a line per VMA; one range: one line */
		size = req->all ? THP_TEXT_MAX : PAGE_SIZE;
		text = kvmalloc(size, GFP_KERNEL);
		if (!text)
			return -ENOMEM;
	}
	seq_buf_init(&req->out, text, text ? size : 0);
	if (req->result == THP_SUCCEEDED) {
		if (op->serialize) {
			if (mutex_lock_interruptible(&thp_request_mutex)) {
				kvfree(text);
				return -EINTR;
			}
			thp_hooks_self(true);
		}
		thp_control_exec(op, req);
		if (op->serialize) {
			thp_hooks_self(false);
			mutex_unlock(&thp_request_mutex);
		}
	}
	if (op->serialize)
		thp_stats_request(op->split, req->result);
	if (req->result == THP_INVALID_INPUT)
		pr_info_ratelimited("%s: invalid request from pid %d (%s)\n", op->name,
				    task_pid_nr(current), req->detail);
	else if (thp_result_errno(req->result))
		pr_debug("%s %d:%#lx: %s %s\n", op->name, req->pid, req->addr,
			 thp_result_name(req->result), req->detail);
	return 0;
}

/**
 * thp_result_line_open() - open() of a file with a per-open result line
 * @inode: unused
 * @file: file->private_data gets the line
 *
 * Return: 0 or -ENOMEM.
 */
int thp_result_line_open(struct inode *inode, struct file *file)
{
	struct thp_result_line *rl = kzalloc(sizeof(*rl), GFP_KERNEL);

	if (!rl)
		return -ENOMEM;
	mutex_init(&rl->lock);
	file->private_data = rl;
	return 0;
}

/**
 * thp_result_line_release() - release() of such a file
 * @inode: unused
 * @file: the file
 *
 * Return: 0.
 */
int thp_result_line_release(struct inode *inode, struct file *file)
{
	struct thp_result_line *rl = file->private_data;

	kvfree(rl->text);
	kfree(rl);
	return 0;
}

/**
 * thp_result_line_read() - read() of such a file: the last result line
 * @file: the file
 * @ubuf: user buffer
 * @count: its size
 * @ppos: position in the line
 *
 * Return: bytes read.
 */
ssize_t thp_result_line_read(struct file *file, char __user *ubuf, size_t count, loff_t *ppos)
{
	struct thp_result_line *rl = file->private_data;
	ssize_t ret;

	mutex_lock(&rl->lock);
	if (rl->text)
		ret = simple_read_from_buffer(ubuf, count, ppos, rl->text, rl->text_len);
	else
		ret = simple_read_from_buffer(ubuf, count, ppos, rl->line, rl->len);
	mutex_unlock(&rl->lock);
	return ret;
}

/**
 * thp_result_line_finish() - record a request's result line, end the write
 * @file: the file written to
 * @req: the request; a text verb's output buffer is taken over
 * @count: bytes written
 * @ppos: reset, so that the next read starts at the line's start
 *
 * Return: @count, or the negative errno of the result.
 */
ssize_t thp_result_line_finish(struct file *file, struct thp_req *req, size_t count,
			       loff_t *ppos)
{
	struct thp_result_line *rl = file->private_data;
	int err = thp_result_errno(req->result);

	mutex_lock(&rl->lock);
	kvfree(rl->text);
	rl->text = NULL;
	/* a text verb's output, when it has one; else the result line */
	if (req->out.buffer && seq_buf_used(&req->out)) {
		rl->text = req->out.buffer;
		rl->text_len = seq_buf_used(&req->out);
	} else {
		kvfree(req->out.buffer);
	}
	req->out.buffer = NULL;
	rl->len = scnprintf(rl->line, sizeof(rl->line), "%s%s%s\n", thp_result_name(req->result),
			    req->detail[0] ? " " : "", req->detail);
	mutex_unlock(&rl->lock);
	*ppos = 0;
	return err ? -err : count;
}
