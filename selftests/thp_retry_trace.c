// SPDX-License-Identifier: GPL-2.0
/*
 * thp_retry_trace - the thp_retry tracepoints (Documentation/tracing.rst).
 *
 * With the events enabled through tracefs, every split and collapse request
 * gives exactly one event with the request's pid, PMD address, mapping kind,
 * engine and result (success, already-done and refusals), under both
 * engines; the queue gives add, dedup and done events and the worker its
 * try. Every success is also checked from outside (smaps, pagemap). With the
 * events disabled, nothing is recorded.
 *
 * Needs root, debugfs, tracefs and thp_retry loaded.
 */
#define _GNU_SOURCE
#pragma GCC diagnostic ignored "-Wclobbered"
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "thp_retry_util.h"
#include "thp_retry_req.h"

#define TRACEFS		"/sys/kernel/tracing"
#define EVENTS		TRACEFS "/events/thp_retry"
#define TRACE_MAX	(1 << 20)

FIXTURE(tr)
{
	char dir[64];
	char khd_sleep[32];
	size_t ps, pmd, nr;
	long kb;
	char *buf;		/* trace_buf, in the test's process */
};

/* The trace as last read; static: teardown runs in the parent process. */
static char trace_buf[TRACE_MAX];

FIXTURE_VARIANT(tr)
{
	const char *engine;
};

FIXTURE_VARIANT_ADD(tr, native)
{
	.engine = "native",
};

FIXTURE_VARIANT_ADD(tr, kernel)
{
	.engine = "kernel",
};

static void events_enable(int on)
{
	thp_write_file(EVENTS "/enable", on ? "1" : "0");
}

/* Empty the trace buffer. */
static void trace_clear(void)
{
	int fd = open(TRACEFS "/trace", O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
}

static void tr_cleanup(FIXTURE_DATA(tr) *self)
{
	thp_param_set("queue_delay_ms", "0");	/* the default; a test may fail with it set */
	events_enable(0);
	trace_clear();
	thp_set_engine("native");
	thp_khugepaged_resume(self->khd_sleep);
	thp_umount(self->dir);
}

FIXTURE_SETUP(tr)
{
	char opts[64];
	int ret;

	if (!strcmp(variant->engine, "kernel") && thp_kernel_engine_disabled())
		SKIP(return, "kernel-engine disabled");
	if (access(EVENTS "/enable", W_OK))
		SKIP(return, "no %s (tracefs not mounted?)", EVENTS);
	self->pmd = thp_pmd_size();
	ASSERT_LT(0, (long)self->pmd);
	self->ps = sysconf(_SC_PAGESIZE);
	self->nr = self->pmd / self->ps;
	self->kb = self->pmd / 1024;
	self->buf = trace_buf;
	ret = thp_set_engine(variant->engine);
	ASSERT_EQ(0, ret) TH_LOG("engine=%s: %s", variant->engine, strerror(-ret));
	thp_khugepaged_pause(self->khd_sleep, sizeof(self->khd_sleep));
	snprintf(opts, sizeof(opts), "huge=always,size=%zu", 8 * self->pmd);
	ret = thp_mount_tmpfs(self->dir, sizeof(self->dir), opts);
	if (ret)
		tr_cleanup(self);
	ASSERT_EQ(0, ret) TH_LOG("huge tmpfs: %s", strerror(-ret));
	ASSERT_EQ(0, thp_write_file(TRACEFS "/tracing_on", "1"));
	trace_clear();
	events_enable(1);
}

FIXTURE_TEARDOWN_PARENT(tr)
{
	tr_cleanup(self);
}

/*
 * The lines of event @ev in the trace since the last clear: their number,
 * and the last one in @line.
 */
static int trace_find(FIXTURE_DATA(tr) *self, const char *ev, char *line, size_t size)
{
	char needle[64], *p, *nl;
	ssize_t n;
	int count = 0;

	n = thp_read_file(TRACEFS "/trace", self->buf, TRACE_MAX);
	if (n < 0)
		return (int)n;
	snprintf(needle, sizeof(needle), " %s: ", ev);
	for (p = self->buf; (p = strstr(p, needle)); p = nl) {
		char *start = p;

		while (start > self->buf && start[-1] != '\n')
			start--;
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		snprintf(line, size, "%.*s", (int)(nl - start), start);
		count++;
	}
	return count;
}

/* Does @line have the field "@key=@val" (followed by a blank or the end)? */
static bool has_field(const char *line, const char *key, const char *val)
{
	char f[128];
	const char *p;
	size_t len;

	len = snprintf(f, sizeof(f), " %s=%s", key, val);
	for (p = line; (p = strstr(p, f)); p++)
		if (p[len] == ' ' || p[len] == '\0' || p[len] == '\n')
			return true;
	return false;
}

static unsigned long long field_ull(const char *line, const char *key)
{
	char f[64];
	const char *p;

	snprintf(f, sizeof(f), " %s=", key);
	p = strstr(line, f);
	return p ? strtoull(p + strlen(f), NULL, 0) : ~0ULL;
}

/*
 * Exactly one @ev event since the last clear, for @pid and the range at
 * @addr, with result @result; its line in @line. Clears the trace.
 */
static void one_event(struct __test_metadata *_metadata, int lnum, FIXTURE_DATA(tr) *self,
		      const char *ev, pid_t pid, const void *addr, const char *result,
		      char *line, size_t size)
{
	unsigned long haddr = (unsigned long)addr & ~(self->pmd - 1);
	char v[32];
	int n = trace_find(self, ev, line, size);

	ASSERT_EQ(1, n) TH_LOG("line %d: %d %s events, expected 1; last: %s", lnum, n, ev,
			       n > 0 ? line : "-");
	snprintf(v, sizeof(v), "%d", pid);
	ASSERT_TRUE(has_field(line, "pid", v)) TH_LOG("line %d: pid %d: %s", lnum, pid, line);
	snprintf(v, sizeof(v), "%#lx", haddr);
	ASSERT_TRUE(has_field(line, "addr", v)) TH_LOG("line %d: addr %s: %s", lnum, v, line);
	ASSERT_TRUE(has_field(line, "result", result))
		TH_LOG("line %d: result %s: %s", lnum, result, line);
	trace_clear();
}

#define ONE(ev, pid, addr, result, line) \
	one_event(_metadata, __LINE__, self, ev, pid, addr, result, line, sizeof(line))

static int huge_fd(struct __test_metadata *_metadata, FIXTURE_DATA(tr) *self, size_t size)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/f", self->dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	ASSERT_EQ(0, ftruncate(fd, size));
	return fd;
}

/* A PMD-mapped shmem THP at a PMD-aligned address, filled. */
static char *file_thp(struct __test_metadata *_metadata, FIXTURE_DATA(tr) *self)
{
	int fd = huge_fd(_metadata, self, self->pmd);
	char *p = map_pmd(_metadata, self->pmd, self->pmd, RW, MAP_SHARED, fd, 0);

	close(fd);
	thp_fill(p, self->pmd, 0, 0);
	ASSERT_EQ(self->kb, thp_smaps_kb(getpid(), p, "ShmemPmdMapped"));
	return p;
}

TEST_F(tr, split_and_collapse_one_event_each)
{
	pid_t me = getpid();
	char res[256], line[512];
	char *p = file_thp(_metadata, self);

	trace_clear();
	ASSERT_EQ(0, thp_request("split", me, p, res, sizeof(res))) TH_LOG("%s", res);
	ASSERT_TRUE(thp_result_is(res, "succeeded")) TH_LOG("%s", res);
	ONE("thp_split", me, p, "succeeded", line);
	ASSERT_TRUE(strstr(line, " file ") != NULL) TH_LOG("%s", line);
	ASSERT_TRUE(has_field(line, "err", "0")) TH_LOG("%s", line);
	ASSERT_EQ(0, thp_smaps_kb(me, p, "ShmemPmdMapped"));
	ASSERT_EQ(0, trace_find(self, "thp_collapse", line, sizeof(line)));

	ASSERT_EQ(0, thp_request("collapse", me, p + 3 * self->ps, res, sizeof(res)))
		TH_LOG("%s", res);
	ASSERT_TRUE(thp_result_is(res, "succeeded")) TH_LOG("%s", res);
	ONE("thp_collapse", me, p, "succeeded", line);
	ASSERT_TRUE(has_field(line, "engine", variant->engine)) TH_LOG("%s", line);
	ASSERT_TRUE(has_field(line, "err", "0")) TH_LOG("%s", line);
	ASSERT_LE(1, field_ull(line, "tries")) TH_LOG("%s", line);
	ASSERT_NE(~0ULL, field_ull(line, "ns")) TH_LOG("%s", line);
	ASSERT_LT(0, field_ull(line, "ns")) TH_LOG("%s", line);
	ASSERT_EQ(self->kb, thp_smaps_kb(me, p, "ShmemPmdMapped"));
	ASSERT_EQ(-1, thp_verify(p, self->pmd, 0, 0));

	ASSERT_EQ(0, thp_request("collapse", me, p, res, sizeof(res))) TH_LOG("%s", res);
	ONE("thp_collapse", me, p, "already_pmd_mapped", line);
	ASSERT_EQ(0, thp_request("split", me, p, res, sizeof(res))) TH_LOG("%s", res);
	ONE("thp_split", me, p, "succeeded", line);
	ASSERT_EQ(0, thp_request("split", me, p, res, sizeof(res))) TH_LOG("%s", res);
	ONE("thp_split", me, p, "already_pte_mapped", line);
	munmap(p, self->pmd);
}

TEST_F(tr, refusal_has_result_errno_and_detail)
{
	pid_t me = getpid();
	char res[256], line[512];
	char *p = file_thp(_metadata, self);

	munmap(p, self->pmd);
	trace_clear();
	ASSERT_EQ(-EFAULT, thp_request("collapse", me, p, res, sizeof(res))) TH_LOG("%s", res);
	ONE("thp_collapse", me, p, "no_vma", line);
	ASSERT_TRUE(has_field(line, "err", "14")) TH_LOG("%s", line);
	ASSERT_TRUE(strstr(line, "detail=\"nothing mapped") != NULL) TH_LOG("%s", line);
}

TEST_F(tr, anonymous_collapse)
{
	bool native = !strcmp(variant->engine, "native");
	pid_t me = getpid();
	char res[256], line[512];
	char *p;

	p = map_pmd(_metadata, self->pmd, self->pmd, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_EQ(0, madvise(p, self->pmd, MADV_HUGEPAGE));
	thp_fill(p, self->pmd, 0, 0);
	if (thp_smaps_kb(me, p, "AnonHugePages") != self->kb)
		SKIP(return, "no anonymous THP");
	ASSERT_EQ(0, thp_request("split", me, p, res, sizeof(res))) TH_LOG("%s", res);
	trace_clear();
	/* the kernel engine is file-only: it refuses, and the event says so */
	ASSERT_EQ(native ? 0 : -EOPNOTSUPP, thp_request("collapse", me, p, res, sizeof(res)))
		TH_LOG("%s", res);
	ONE("thp_collapse", me, p, native ? "succeeded" : "anon_not_supported", line);
	ASSERT_TRUE(strstr(line, " anon ") != NULL) TH_LOG("%s", line);
	ASSERT_EQ(native ? self->kb : 0, thp_smaps_kb(me, p, "AnonHugePages"));
	ASSERT_EQ(-1, thp_verify(p, self->pmd, 0, 0));
	munmap(p, self->pmd);
}

TEST_F(tr, queue_add_dedup_worker_done)
{
	pid_t me = getpid();
	char res[256], line[512], delay[32];
	char *p = file_thp(_metadata, self);
	int n;

	ASSERT_EQ(0, thp_request("split", me, p, res, sizeof(res))) TH_LOG("%s", res);
	ASSERT_EQ(0, thp_param_get("queue_delay_ms", delay, sizeof(delay)));
	/* long enough for the second request to find the first queued */
	ASSERT_EQ(0, thp_param_set("queue_delay_ms", "2000"));
	trace_clear();
	ASSERT_EQ(0, thp_queue_req(me, p));
	ASSERT_EQ(0, thp_queue_req(me, p + self->ps));
	ASSERT_EQ(0, thp_queue_wait(me, 10000));
	ASSERT_EQ(0, thp_param_set("queue_delay_ms", delay));

	n = trace_find(self, "thp_queue", line, sizeof(line));
	ASSERT_EQ(3, n) TH_LOG("%d thp_queue events, expected add, dedup, done", n);
	ASSERT_TRUE(strstr(self->buf, "thp_queue: add pid=") != NULL);
	ASSERT_TRUE(strstr(self->buf, "thp_queue: dedup pid=") != NULL);
	ASSERT_TRUE(strstr(line, "thp_queue: done pid=") != NULL) TH_LOG("%s", line);
	ASSERT_TRUE(has_field(line, "source", "debugfs")) TH_LOG("%s", line);
	ASSERT_TRUE(has_field(line, "result", "succeeded")) TH_LOG("%s", line);
	ASSERT_TRUE(has_field(line, "attempts", "1")) TH_LOG("%s", line);
	/* a contended mmap lock may add lock_retry tries; the last one is done */
	n = trace_find(self, "thp_worker", line, sizeof(line));
	ASSERT_LE(1, n) TH_LOG("no thp_worker event");
	ASSERT_TRUE(has_field(line, "next", "done")) TH_LOG("%s", line);
	ASSERT_TRUE(has_field(line, "result", "succeeded")) TH_LOG("%s", line);
	n = trace_find(self, "thp_collapse", line, sizeof(line));
	ASSERT_LE(1, n) TH_LOG("no thp_collapse event");
	ASSERT_TRUE(strstr(line, " worker ") != NULL) TH_LOG("%s", line);
	ASSERT_TRUE(has_field(line, "result", "succeeded")) TH_LOG("%s", line);
	ASSERT_EQ(self->kb, thp_smaps_kb(me, p, "ShmemPmdMapped"));
	ASSERT_EQ(-1, thp_verify(p, self->pmd, 0, 0));
	munmap(p, self->pmd);
}

TEST_F(tr, disabled_events_record_nothing)
{
	pid_t me = getpid();
	char res[256], line[512];
	char *p = file_thp(_metadata, self);

	events_enable(0);
	trace_clear();
	ASSERT_EQ(0, thp_request("split", me, p, res, sizeof(res))) TH_LOG("%s", res);
	ASSERT_EQ(0, thp_request("collapse", me, p, res, sizeof(res))) TH_LOG("%s", res);
	ASSERT_TRUE(thp_result_is(res, "succeeded")) TH_LOG("%s", res);
	ASSERT_EQ(0, trace_find(self, "thp_split", line, sizeof(line)));
	ASSERT_EQ(0, trace_find(self, "thp_collapse", line, sizeof(line)));
	ASSERT_EQ(self->kb, thp_smaps_kb(me, p, "ShmemPmdMapped"));
	munmap(p, self->pmd);
}

TEST_HARNESS_MAIN
