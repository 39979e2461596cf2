/* SPDX-License-Identifier: GPL-2.0 */
/*
 * thp_retry_util.h - helpers shared by the thp_retry selftests.
 */
#ifndef THP_RETRY_UTIL_H
#define THP_RETRY_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define THP_DEBUGFS	"/sys/kernel/debug/thp_retry"
#define THP_MODNAME	"thp_retry"

/* Path of thp_retry.ko: $THP_RETRY_KO, or where the VM runner puts it. */
static inline const char *thp_ko_path(void)
{
	const char *p = getenv("THP_RETRY_KO");

	return p ? p : "/lib/modules/thp_retry.ko";
}

/* finit_module() on thp_retry.ko; returns 0 or -errno. */
static inline int thp_load(const char *params)
{
	int fd = open(thp_ko_path(), O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

/* delete_module("thp_retry"); returns 0 or -errno. */
static inline int thp_unload(void)
{
	return syscall(SYS_delete_module, THP_MODNAME, O_NONBLOCK) ? -errno : 0;
}

static inline int thp_loaded(void)
{
	struct stat st;

	return stat("/sys/module/" THP_MODNAME, &st) == 0;
}

/* Make sure the module is loaded with no parameters; returns 0 or -errno. */
static inline int thp_reload_plain(void)
{
	if (thp_loaded() && thp_unload())
		return -errno;
	return thp_load(NULL);
}

/* Read a whole (small) file into buf; returns bytes read or -errno. */
static inline ssize_t thp_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, total = 0;

	if (fd < 0)
		return -errno;
	while ((size_t)total < size - 1) {
		n = read(fd, buf + total, size - 1 - total);
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		total += n;
	}
	buf[total] = '\0';
	close(fd);
	return total;
}

/* Does the kernel log contain @needle? Reads the whole ring buffer. */
static inline int thp_klog_contains(const char *needle)
{
	static char buf[1 << 20];
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf) - 1);

	if (n < 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

#endif /* THP_RETRY_UTIL_H */
