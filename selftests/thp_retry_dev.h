/* SPDX-License-Identifier: GPL-2.0 */
/*
 * thp_retry_dev.h - requests through /dev/thp_retry, and a PMD-mapped
 * huge-tmpfs range to work on (thp_retry_dev.c, thp_retry_lockdown.c).
 */
#ifndef THP_RETRY_DEV_H
#define THP_RETRY_DEV_H

#include "thp_retry_util.h"

#define THP_DEV	"/dev/thp_retry"

/* Write @req (@len bytes) to a fresh fd of /dev/thp_retry; result line in @res. */
static inline int thp_dev_request_raw(const char *req, size_t len, char *res, size_t reslen)
{
	int fd = open(THP_DEV, O_RDWR | O_CLOEXEC), ret;

	if (fd < 0) {
		ret = -errno;
		snprintf(res, reslen, "(open: %s)", strerror(errno));
		return ret;
	}
	ret = thp_request_fd(fd, req, len, res, reslen);
	close(fd);
	return ret;
}

/* "VERB PID:0xADDR" to /dev/thp_retry. */
static inline int thp_dev_request(const char *verb, pid_t pid, const void *addr, char *res,
				  size_t reslen)
{
	char req[80];

	snprintf(req, sizeof(req), "%s %d:0x%lx", verb, pid, (unsigned long)addr);
	return thp_dev_request_raw(req, strlen(req), res, reslen);
}

/**
 * struct thp_huge_range - one PMD of a huge=always tmpfs file, mapped shared
 * @dir: the tmpfs mount point
 * @fd: the file
 * @p: the PMD-aligned mapping
 * @pmd: its size
 */
struct thp_huge_range {
	char dir[64];
	int fd;
	char *p;
	size_t pmd;
};

/* The byte at offset @i of the range: differs from one page to the next, too. */
static inline char thp_huge_range_byte(size_t i, size_t ps)
{
	return (char)(i * 7 + i / ps);
}

/*
 * Mount, create, map and fill; 0 or -errno. The tmpfs has room for this
 * THP and one more file of a PMD (thp_retry_reload's code), metadata aside.
 */
static inline int thp_huge_range_setup(struct thp_huge_range *r)
{
	size_t ps = sysconf(_SC_PAGESIZE), i;
	long pmd = thp_pmd_size();
	char path[96], opts[64];
	int ret;

	r->fd = -1;
	if (pmd <= 0)
		return pmd ? (int)pmd : -EINVAL;
	r->pmd = pmd;
	snprintf(opts, sizeof(opts), "huge=always,size=%zu", 4 * r->pmd);
	ret = thp_mount_tmpfs(r->dir, sizeof(r->dir), opts);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/data", r->dir);
	r->fd = open(path, O_RDWR | O_CREAT, 0600);
	if (r->fd < 0 || ftruncate(r->fd, r->pmd))
		return -errno;
	r->p = thp_map_aligned(r->pmd, r->pmd, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->p == MAP_FAILED)
		return -errno;
	for (i = 0; i < r->pmd; i++)
		r->p[i] = thp_huge_range_byte(i, ps);
	return 0;
}

/* Do the contents still hold what setup wrote? */
static inline bool thp_huge_range_intact(const struct thp_huge_range *r)
{
	size_t ps = sysconf(_SC_PAGESIZE), i;

	for (i = 0; i < r->pmd; i++)
		if (r->p[i] != thp_huge_range_byte(i, ps))
			return false;
	return true;
}

static inline void thp_huge_range_teardown(struct thp_huge_range *r)
{
	if (r->p && r->p != MAP_FAILED)
		munmap(r->p, r->pmd);
	if (r->fd >= 0)
		close(r->fd);
	thp_umount(r->dir);
}

#endif /* THP_RETRY_DEV_H */
