/* SPDX-License-Identifier: GPL-2.0 */
/*
 * thp_retry_req.h - what the request tests (thp_retry_collapse) and the
 * queue tests (thp_retry_queue) share: a request shown in a log line,
 * malformed "PID:ADDR" requests, an unprivileged child's requests, defined
 * in thp_retry_req.c; with kselftest_harness.h included first, also the
 * checks on mappings, contents and a MAP_PRIVATE copy.
 */
#ifndef THP_RETRY_REQ_H
#define THP_RETRY_REQ_H

#include "thp_retry_util.h"

#define RW		(PROT_READ | PROT_WRITE)
#define COW_PAGE	7	/* the page written through MAP_PRIVATE */
#define COW_OFF		100	/* the byte written in it */

/* A request of @len bytes, which may hold a NUL. */
struct bad_req {
	const char *s;
	size_t len;
};

#define BAD(x)	{ x, sizeof(x) - 1 }

/* Malformed "PID:ADDR" for "split", "collapse" and "queue"; ends with { NULL }. */
extern const struct bad_req thp_bad_pid_addr[];

const char *thp_esc(const char *req, size_t len, char *out, size_t size);

/* One request of thp_unprivileged_requests(). */
struct thp_unpriv_req {
	const char *file;	/* under THP_DEBUGFS */
	bool result;		/* read its result line: must be no_ptrace_access */
	char req[64];
};

#define THP_UNPRIV_MAX	8

int thp_unprivileged_requests(const struct thp_unpriv_req *reqs, int n);

/*
 * The setup of a fixture with a native and a kernel variant: @engine set,
 * khugepaged paused (its setting saved in @khd_sleep), a huge tmpfs of
 * @bytes mounted at a new directory written to @dir. Returns 0 or -errno;
 * on failure the caller's cleanup undoes what was done.
 */
static inline int thp_engine_tmpfs_setup(const char *engine, char *khd_sleep, size_t khd_size,
					 char *dir, size_t dir_size, size_t bytes)
{
	char opts[64];
	int ret = thp_set_engine(engine);

	if (ret)
		return ret;
	thp_khugepaged_pause(khd_sleep, khd_size);
	snprintf(opts, sizeof(opts), "huge=always,size=%zu", bytes);
	return thp_mount_tmpfs(dir, dir_size, opts);
}

#ifdef TH_LOG	/* helpers for kselftest_harness.h programs */

/* Map @len bytes at a @pmd-aligned address (harness ASSERT). */
static inline char *map_pmd(struct __test_metadata *_metadata, size_t pmd, size_t len, int prot,
			    int flags, int fd, off_t off)
{
	char *p = thp_map_aligned(len, pmd, prot, flags, fd, off);

	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap %zu bytes: %s", len, strerror(errno));
	return p;
}

/* @len bytes at @p, file offset @off, hold generation @gen. */
static inline void check_data(struct __test_metadata *_metadata, int line, const void *p,
			      size_t len, uint64_t off, unsigned int gen)
{
	long bad = thp_verify(p, len, off, gen);

	ASSERT_EQ(-1, bad) TH_LOG("line %d: wrong data at file offset %#llx (generation %u)",
				  line, (unsigned long long)(off + bad), gen);
}

#define DATA(p, len, off, gen)	check_data(_metadata, __LINE__, p, len, off, gen)

/*
 * @q maps the first PMD (@pmd bytes) of a generation-0 file MAP_PRIVATE,
 * with byte COW_OFF of page COW_PAGE flipped (a private copy), @s maps it
 * MAP_SHARED: the private byte stays, everything else is the file's.
 */
static inline void check_cow(struct __test_metadata *_metadata, int line, const char *q,
			     const char *s, size_t pmd)
{
	size_t ps = sysconf(_SC_PAGESIZE), after = (COW_PAGE + 1) * ps;
	char *want = malloc(ps);
	bool same;

	ASSERT_NE(NULL, want);
	thp_fill(want, ps, COW_PAGE * ps, 0);
	want[COW_OFF] ^= 0xff;
	same = !memcmp(q + COW_PAGE * ps, want, ps);
	free(want);
	ASSERT_TRUE(same) TH_LOG("line %d: page %d lost its private contents", line, COW_PAGE);
	check_data(_metadata, line, q, COW_PAGE * ps, 0, 0);
	check_data(_metadata, line, q + after, pmd - after, after, 0);
	check_data(_metadata, line, s, pmd, 0, 0);
}

#define COW_KEPT(q, s, pmd)	check_cow(_metadata, __LINE__, q, s, pmd)

#endif /* TH_LOG */
#endif /* THP_RETRY_REQ_H */
