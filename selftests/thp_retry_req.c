// SPDX-License-Identifier: GPL-2.0
/*
 * thp_retry_req.c - requests as thp_retry_collapse and thp_retry_queue make
 * them: shown in a log line, malformed ones, and the refused requests of an
 * unprivileged child. Declared in thp_retry_req.h.
 */
#define _GNU_SOURCE
#include <grp.h>

#include "thp_retry_req.h"

const struct bad_req thp_bad_pid_addr[] = {
	BAD(""), BAD("\n"), BAD("1"), BAD("1:"), BAD(":0x1000"), BAD("1:0x"), BAD("1:0xg"),
	BAD("-1:0x1000"), BAD("+1:0x1000"), BAD("1:-4096"), BAD("1 :0x1000"), BAD("1: 0x1000"),
	BAD("1:0x1000 "), BAD("1:0x1000\n\n"), BAD("1:0x1000:5"), BAD("1:0x1000x"),
	BAD("99999999999999999999:0x1000"), BAD("1:0x1ffffffffffffffffff"), BAD("1\0:0x1000"),
	{ NULL, 0 },
};

/* @req for a log line: control characters escaped. */
const char *thp_esc(const char *req, size_t len, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 5 < size; i++) {
		unsigned char c = req[i];

		if (c >= 0x20 && c < 0x7f)
			out[o++] = c;
		else
			o += snprintf(out + o, size - o, "\\x%02x", c);
	}
	if (i < len && o + 4 < size)
		o += snprintf(out + o, size - o, "...");
	out[o] = '\0';
	return out;
}

/*
 * In a child: open the file of each of the @n requests as root (O_RDWR
 * where the result line is read, else O_WRONLY), drop to uid and gid 65534
 * with no groups, then make them: each write must fail with EPERM and each
 * result line read be no_ptrace_access. Returns 0 or the step that went
 * wrong: 10 + i (open), 20 (dropping root), 30 + i (request i).
 */
int thp_unprivileged_requests(const struct thp_unpriv_req *reqs, int n)
{
	char path[128], res[256];
	int fds[THP_UNPRIV_MAX], i, ret;
	bool ok;

	if (n > THP_UNPRIV_MAX)
		return 1;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), THP_DEBUGFS "/%s", reqs[i].file);
		fds[i] = open(path, (reqs[i].result ? O_RDWR : O_WRONLY) | O_CLOEXEC);
		if (fds[i] < 0)
			return 10 + i;
	}
	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534))
		return 20;
	for (i = 0; i < n; i++) {
		const char *r = reqs[i].req;

		res[0] = '\0';
		if (reqs[i].result) {
			ret = thp_request_fd(fds[i], r, strlen(r), res, sizeof(res));
			ok = ret == -EPERM && thp_result_is(res, "no_ptrace_access");
		} else {
			ret = write(fds[i], r, strlen(r)) < 0 ? -errno : 0;
			ok = ret == -EPERM;
		}
		if (!ok) {
			fprintf(stderr, "# uid 65534: %s '%s': %s, result '%s'\n", reqs[i].file, r,
				strerror(-ret), res);
			return 30 + i;
		}
	}
	return 0;
}
