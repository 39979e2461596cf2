/* SPDX-License-Identifier: GPL-2.0 */
/*
 * thp_retry_util.h - helpers shared by the thp_retry selftests, defined in
 * thp_retry_util.c; with kselftest_harness.h included first, also the few
 * that use the harness (thp_kid_fork(), KID_OK()).
 */
#ifndef THP_RETRY_UTIL_H
#define THP_RETRY_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#define THP_DEBUGFS	"/sys/kernel/debug/thp_retry"
#define THP_MODNAME	"thp_retry"
#define THP_SYSFS	"/sys/kernel/mm/transparent_hugepage"
#define THP_ENGINE	"/sys/module/" THP_MODNAME "/parameters/engine"
#define THP_KHD_SLEEP	THP_SYSFS "/khugepaged/scan_sleep_millisecs"
/* The retry queue (khugepaged_retry.c): module parameters. */
#define THP_PARAMS	"/sys/module/" THP_MODNAME "/parameters/"

#define THP_MIB		(1024UL * 1024)

/* /proc/PID/pagemap and /proc/kpageflags bits */
#define PM_PRESENT	(1ULL << 63)
#define PM_PFN_MASK	((1ULL << 55) - 1)
#define KPF_HEAD	(1ULL << 15)
#define KPF_TAIL	(1ULL << 16)
#define KPF_THP_BIT	(1ULL << 22)

/* The module, files, sysfs */
const char *thp_ko_path(void);
int thp_load(const char *params);
bool thp_testing_build(void);
int thp_unload(void);
int thp_loaded(void);
int thp_reload_plain(void);
ssize_t thp_read_file(const char *path, char *buf, size_t size);
int thp_klog_contains(const char *needle);
int thp_write_file(const char *path, const char *str);
int thp_sysfs_choice(const char *path, char *out, size_t size);
long thp_pmd_size(void);
size_t thp_pmd_ranges(size_t pmd, size_t want, size_t budget, size_t min);

/* khugepaged, huge tmpfs, mappings */
pid_t thp_khugepaged_pid(void);
long long thp_khugepaged_ticks(pid_t pid);
void thp_khugepaged_pause(char *saved, size_t size);
void thp_khugepaged_resume(char *saved);
int thp_mount_tmpfs(char *dir, size_t size, const char *opts);
void thp_umount(char *dir);
void *thp_map_aligned(size_t len, size_t align, int prot, int flags, int fd, off_t off);

/* What maps a range: smaps, pagemap, kpageflags */
long thp_smaps_kb(pid_t pid, const void *addr, const char *field);
int thp_pagemap(pid_t pid, const void *addr, size_t nr, uint64_t *ent);
int thp_kpageflags(uint64_t pfn, size_t nr, uint64_t *flags);
bool thp_range_is_thp(pid_t pid, const void *addr, size_t nr, uint64_t *head,
		      char *why, size_t whylen);

/*
 * Contents: each 8-byte word depends on its file offset and a generation.
 * Inline: some tests call it on every word of their own fill loops.
 */
static inline uint64_t thp_pattern(uint64_t off, unsigned int gen)
{
	return ((off + 1) * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)gen << 56 | gen);
}

void thp_fill(void *p, size_t len, uint64_t off, unsigned int gen);
long thp_verify(const void *p, size_t len, uint64_t off, unsigned int gen);
void thp_touch(const void *p, size_t len);

/* debugfs "split" and "collapse" requests, engine, stats */
void thp_read_result(int fd, char *res, size_t reslen);
int thp_request_fd(int fd, const void *req, size_t len, char *res, size_t reslen);
int thp_request_raw(const char *name, const void *req, size_t len, char *res, size_t reslen);
int thp_request(const char *name, pid_t pid, const void *addr, char *res, size_t reslen);
bool thp_result_is(const char *res, const char *word);
int thp_explain_would(pid_t pid, const void *addr, char *would, size_t size);
int thp_set_engine(const char *engine);
bool thp_kernel_engine_disabled(void);
long long thp_stat(const char *name);
long long thp_vmstat(const char *name);
void thp_kill_reap(pid_t *pid);
uint64_t thp_now_ns(void);

/* The retry queue: module parameters, debugfs "queue" */
int thp_param_get(const char *name, char *buf, size_t size);
int thp_param_set(const char *name, const char *val);
int thp_param_set_ul(const char *name, unsigned long val);
int thp_queue_req(pid_t pid, const void *addr);
long thp_queue_count(pid_t pid);
long thp_queue_wait(pid_t pid, unsigned int ms);

/* Children with a pipe each way */
int thp_pipe_cloexec(int fds[2]);
int thp_kid_wait(pid_t *kids, int nkids, pid_t pid);
int recv_all(int fd, void *buf, size_t len, int ms);
int recv_byte(int fd, int ms);

#ifdef TH_LOG	/* helpers for kselftest_harness.h programs */

/*
 * fork() with a pipe each way. In the child returns 0, @rd and @wr set to the
 * child's ends; in the parent the child's pid (kept in a free slot of @kids
 * for teardown), @rd and @wr set to the parent's ends. Harness ASSERTs.
 */
static inline pid_t thp_kid_fork(struct __test_metadata *_metadata, pid_t *kids, int nkids,
				 int *rd, int *wr)
{
	int up[2], down[2], i;
	pid_t pid;

	for (i = 0; i < nkids && kids[i]; i++)
		;
	ASSERT_LT(i, nkids);
	ASSERT_EQ(0, thp_pipe_cloexec(up));
	ASSERT_EQ(0, thp_pipe_cloexec(down));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid) TH_LOG("fork: %s", strerror(errno));
	if (!pid) {
		close(up[0]);
		close(down[1]);
		*rd = down[0];
		*wr = up[1];
		return 0;
	}
	kids[i] = pid;
	close(up[1]);
	close(down[0]);
	*rd = up[0];
	*wr = down[1];
	return pid;
}

/* A result that says "a moment later it may differ" (EAGAIN, retried) */
static inline bool thp_result_transient(const char *word)
{
	return thp_result_is(word, "folio_extra_refs") || thp_result_is(word, "folio_locked") ||
	       thp_result_is(word, "pmd_changed");
}

/*
 * "explain" the range, then "collapse" it: the collapse must return the
 * result explain said it would (the same errno if explain itself failed). A lock
 * retry by the collapse is not a disagreement. A transient answer (a reference
 * somebody else holds for a moment: 7.3 arm64-16k's 32 MiB folios show them)
 * is asked again for up to a second first; if it lasts, the collapse, which
 * retries it, may still succeed. Returns the collapse's 0 or -errno and its
 * result line in @res (harness ASSERT).
 */
static inline int thp_explained_collapse(struct __test_metadata *_metadata, int line,
					 pid_t pid, const void *addr, char *res, size_t reslen)
{
	char would[96];
	int eret, ret, i;

	for (i = 0; i < 50; i++) {
		eret = thp_explain_would(pid, addr, would, sizeof(would));
		if (eret || !thp_result_transient(would))
			break;
		usleep(20000);
	}
	ret = thp_request("collapse", pid, addr, res, reslen);
	if (thp_result_is(res, "mmap_lock_contended"))
		return ret;
	if (!eret && thp_result_transient(would) && !ret)
		return ret;
	ASSERT_TRUE(eret ? eret == ret : thp_result_is(res, would))
		TH_LOG("line %d: explain %d:%p said %s (%s), collapse returned %s ('%s')", line,
		       pid, addr, would, strerror(-eret), strerror(-ret), res);
	return ret;
}

/* A child's wait status says it exited with 0 (harness ASSERT). */
#define KID_OK(status) do { \
	int __st = (status); \
	ASSERT_TRUE(WIFEXITED(__st) && WEXITSTATUS(__st) == 0) \
		TH_LOG("child: wait status %#x (exit code %d)", __st, \
		       WIFEXITED(__st) ? WEXITSTATUS(__st) : -1); \
} while (0)

#endif /* TH_LOG */
#endif /* THP_RETRY_UTIL_H */
