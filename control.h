/* SPDX-License-Identifier: GPL-2.0 */
/*
 * control.h - one request, whichever file it came through: debugfs
 * (debugfs.c) or the misc device (chardev.c).
 */
#ifndef THP_CONTROL_H
#define THP_CONTROL_H

#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include "request.h"

/**
 * struct thp_req_op - a verb: one debugfs file and one /dev/thp_retry verb
 * @name: the verb and the debugfs file's name
 * @mode: the debugfs file's mode
 * @parse: thp_req_parse() or thp_req_parse_pid()
 * @run: the mechanism, run on the target mm
 * @run_range: the mechanism for a range, PID:START-END; NULL: the verb takes
 *             no ranges (EINVAL)
 * @show: if set, what read() of the debugfs file shows (seq_file)
 * @serialize: one at a time, module-wide (split, collapse)
 * @split: counted as a split (else as a collapse) when @serialize
 * @result_line: the debugfs file keeps a per-open result line for read()
 *               (else a write returns the byte count or the errno only)
 * @text: the verb writes text into req->out (explain), which read() on the
 *        same open file returns instead of the result line (needs
 *        @result_line)
 */
struct thp_req_op {
	const char *name;
	umode_t mode;
	int (*parse)(struct thp_req *req, const char *buf, size_t len);
	enum thp_result (*run)(struct thp_req *req);
	enum thp_result (*run_range)(struct thp_req *req);
	int (*show)(struct seq_file *m, void *v);
	bool serialize;
	bool split;
	bool result_line;
	bool text;
};

/* The verb table (control.c): a new verb is one row and its mechanism. */
extern const struct thp_req_op thp_ops[];
extern const unsigned int thp_nr_ops;

/**
 * struct thp_result_line - per-open result line of a request file
 * @lock: protects @line and @len
 * @line: the result line of the last request written on this open file
 * @len: its length, 0 before the first write
 * @text: a text verb's output instead (kvmalloc()ed), or NULL
 * @text_len: its length
 */
struct thp_result_line {
	struct mutex lock;	/* protects line, len, text and text_len */
	char line[THP_REQ_DETAIL_LEN + 32];
	size_t len;
	char *text;
	size_t text_len;
};

const struct thp_req_op *thp_op_find(const char *verb, size_t len);
int thp_control_run(const struct thp_req_op *op, struct thp_req *req, const char *buf,
		    size_t len);
int thp_result_line_open(struct inode *inode, struct file *file);
int thp_result_line_release(struct inode *inode, struct file *file);
ssize_t thp_result_line_read(struct file *file, char __user *ubuf, size_t count, loff_t *ppos);
ssize_t thp_result_line_finish(struct file *file, struct thp_req *req, size_t count,
			       loff_t *ppos);

#endif /* THP_CONTROL_H */
