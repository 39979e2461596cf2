// SPDX-License-Identifier: GPL-2.0
/*
 * thp_retry_range - PID:START-END on split, collapse and queue.
 *
 * One request over a region of several VMAs with holes, PMD-mapped,
 * pte-mapped and ineligible ranges: the result line's tallies must match
 * the layout, and what the request claims is checked from outside (smaps,
 * every pagemap entry of each range, the file's contents through read()
 * and through the mapping). Also: the rounding and the bound of the
 * grammar, malformed ranges, a target killed while a range is worked on,
 * "queue" with a range, and the /dev/thp_retry verbs.
 *
 * Needs root, debugfs and thp_retry loaded.
 */
#define _GNU_SOURCE
#pragma GCC diagnostic ignored "-Wclobbered"
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "thp_retry_util.h"
#include "thp_retry_req.h"
#include "thp_retry_dev.h"

#define NPMD	10	/* the mixed layout's PMD ranges */

FIXTURE(rg)
{
	char dir[64];
	char khd_sleep[32];
	size_t ps, pmd, nr;
	long kb;
	int files;
	pid_t kid;
};

FIXTURE_VARIANT(rg)
{
	const char *engine;
};

FIXTURE_VARIANT_ADD(rg, native)
{
	.engine = "native",
};

FIXTURE_VARIANT_ADD(rg, kernel)
{
	.engine = "kernel",
};

static void rg_cleanup(FIXTURE_DATA(rg) *self)
{
	thp_kill_reap(&self->kid);
	thp_set_engine("native");
	thp_khugepaged_resume(self->khd_sleep);
	thp_umount(self->dir);
}

FIXTURE_SETUP(rg)
{
	int ret;

	if (!strcmp(variant->engine, "kernel") && thp_kernel_engine_disabled())
		SKIP(return, "kernel-engine disabled");
	self->pmd = thp_pmd_size();
	ASSERT_LT(0, (long)self->pmd);
	self->ps = sysconf(_SC_PAGESIZE);
	self->nr = self->pmd / self->ps;
	self->kb = self->pmd / 1024;
	ret = thp_engine_tmpfs_setup(variant->engine, self->khd_sleep, sizeof(self->khd_sleep),
				     self->dir, sizeof(self->dir), 24 * self->pmd);
	if (ret)
		rg_cleanup(self);
	ASSERT_EQ(0, ret) TH_LOG("engine=%s, huge tmpfs: %s", variant->engine, strerror(-ret));
}

FIXTURE_TEARDOWN_PARENT(rg)
{
	rg_cleanup(self);
}

/* "@verb PID:0xSTART-0xEND" to debugfs; the result line in @res; 0 or -errno. */
static int range_req(const char *verb, pid_t pid, const void *start, const void *end,
		     char *res, size_t size)
{
	char r[96];
	int n = snprintf(r, sizeof(r), "%d:0x%lx-0x%lx", pid, (unsigned long)start,
			 (unsigned long)end);

	return thp_request_raw(verb, r, n, res, size);
}

/* "@verb PID:0xSTART-0xEND" to /dev/thp_retry; the result line in @res. */
static int dev_range_req(const char *verb, pid_t pid, const void *start, const void *end,
			 char *res, size_t size)
{
	char r[112];

	snprintf(r, sizeof(r), "%s %d:0x%lx-0x%lx", verb, pid, (unsigned long)start,
		 (unsigned long)end);
	return thp_dev_request_raw(r, strlen(r), res, size);
}

/* The number after " @key=" in @line, or -1. */
static long num(const char *line, const char *key)
{
	char f[64];
	const char *p;

	snprintf(f, sizeof(f), " %s=", key);
	p = strstr(line, f);
	return p ? strtol(p + strlen(f), NULL, 0) : -1;
}

/* A new file of @n PMDs on the huge tmpfs, filled with generation 0 at @off. */
static int new_file(struct __test_metadata *_metadata, FIXTURE_DATA(rg) *self, size_t n,
		    uint64_t off)
{
	char path[128];
	char *p;
	int fd;

	snprintf(path, sizeof(path), "%s/f%d", self->dir, self->files++);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	ASSERT_EQ(0, ftruncate(fd, n * self->pmd));
	p = map_pmd(_metadata, self->pmd, n * self->pmd, RW, MAP_SHARED, fd, 0);
	thp_fill(p, n * self->pmd, off, 0);
	munmap(p, n * self->pmd);
	return fd;
}

/* Map @fd's first @n PMDs at @at (MAP_FIXED) and fault them in. */
static void map_at(struct __test_metadata *_metadata, FIXTURE_DATA(rg) *self, char *at,
		   size_t n, int flags, int fd)
{
	char *p = mmap(at, n * self->pmd, RW, flags | MAP_FIXED, fd, 0);

	ASSERT_EQ(at, p) TH_LOG("mmap at %p: %s", at, strerror(errno));
	thp_touch(p, n * self->pmd);
}

/* @file's first @n PMDs, read(), hold generation 0 at file offset @off. */
static void file_data(struct __test_metadata *_metadata, FIXTURE_DATA(rg) *self, int fd,
		      size_t n, uint64_t off)
{
	char *buf = malloc(n * self->pmd);
	ssize_t got;

	ASSERT_NE(NULL, buf);
	got = pread(fd, buf, n * self->pmd, 0);
	ASSERT_EQ((ssize_t)(n * self->pmd), got);
	ASSERT_EQ(-1, thp_verify(buf, n * self->pmd, off, 0)) TH_LOG("file data through read()");
	free(buf);
}

/* Each of the @n PMD ranges at @p maps one THP, in order, per pagemap. */
static void thp_state(struct __test_metadata *_metadata, FIXTURE_DATA(rg) *self, int line,
		      const char *p, size_t n)
{
	char why[128];
	uint64_t head;
	size_t i;

	for (i = 0; i < n; i++) {
		bool thp = thp_range_is_thp(getpid(), p + i * self->pmd, self->nr, &head, why,
					    sizeof(why));

		ASSERT_TRUE(thp) TH_LOG("line %d: range %zu is not one THP: %s", line, i, why);
	}
}

/*
 * The mixed layout, in PMD ranges from base:
 *   0-3 shared huge tmpfs file (fd0), 4 hole, 5-6 anonymous THPs,
 *   7 file fd1 left PMD-mapped, 8 file fd2 then MADV_NOHUGEPAGE,
 *   9 file fd3 MAP_PRIVATE with a private copy of one page.
 */
TEST_F(rg, mixed_vmas_holes_and_refusals)
{
	bool native = !strcmp(variant->engine, "native");
	size_t pmd = self->pmd;
	pid_t me = getpid();
	int fd0, fd1, fd2, fd3, ret;
	char res[1024], want[64], cow;
	char *base;

	base = map_pmd(_metadata, pmd, NPMD * pmd, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	fd0 = new_file(_metadata, self, 4, 0);
	fd1 = new_file(_metadata, self, 1, 0x40000000);
	fd2 = new_file(_metadata, self, 1, 0x50000000);
	fd3 = new_file(_metadata, self, 1, 0x60000000);
	map_at(_metadata, self, base, 4, MAP_SHARED, fd0);
	ASSERT_EQ(0, munmap(base + 4 * pmd, pmd));
	ASSERT_EQ(base + 5 * pmd, mmap(base + 5 * pmd, 2 * pmd, RW,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	ASSERT_EQ(0, madvise(base + 5 * pmd, 2 * pmd, MADV_HUGEPAGE));
	thp_fill(base + 5 * pmd, 2 * pmd, 0x30000000, 0);
	if (thp_smaps_kb(me, base + 5 * pmd, "AnonHugePages") != 2 * self->kb)
		SKIP(return, "no anonymous THPs");
	map_at(_metadata, self, base + 7 * pmd, 1, MAP_SHARED, fd1);
	map_at(_metadata, self, base + 8 * pmd, 1, MAP_SHARED, fd2);
	map_at(_metadata, self, base + 9 * pmd, 1, MAP_PRIVATE, fd3);
	/* a read fault may map a MAP_PRIVATE file by PTEs: by one PMD first */
	thp_request("collapse", me, base + 9 * pmd, res, sizeof(res));
	ASSERT_EQ(4 * self->kb, thp_smaps_kb(me, base, "ShmemPmdMapped"));
	ASSERT_EQ(self->kb, thp_smaps_kb(me, base + 9 * pmd, "ShmemPmdMapped")) TH_LOG("%s", res);

	/* split 0-6: six ranges split, the hole counted as not mapped */
	ret = range_req("split", me, base, base + 7 * pmd, res, sizeof(res));
	ASSERT_EQ(0, ret) TH_LOG("split: %s: %s", strerror(-ret), res);
	TH_LOG("split 0-6: %s", res);
	ASSERT_TRUE(thp_result_is(res, "succeeded")) TH_LOG("%s", res);
	ASSERT_EQ(7, num(res, "pmds"));
	ASSERT_EQ(6, num(res, "done"));
	ASSERT_EQ(1, num(res, "not_mapped"));
	ASSERT_EQ(0, num(res, "refused"));
	ASSERT_EQ(0, thp_smaps_kb(me, base, "ShmemPmdMapped"));
	ASSERT_EQ(0, thp_smaps_kb(me, base + 5 * pmd, "AnonHugePages"));
	/* split 8-9, again: already split the second time */
	ret = range_req("split", me, base + 8 * pmd, base + 10 * pmd, res, sizeof(res));
	ASSERT_EQ(2, num(res, "done")) TH_LOG("%s", res);
	ret = range_req("split", me, base + 8 * pmd, base + 10 * pmd, res, sizeof(res));
	ASSERT_EQ(0, ret);
	ASSERT_TRUE(thp_result_is(res, "already_pte_mapped")) TH_LOG("%s", res);
	ASSERT_EQ(2, num(res, "already")) TH_LOG("%s", res);
	ASSERT_EQ(0, madvise(base + 8 * pmd, pmd, MADV_NOHUGEPAGE));
	base[9 * pmd + COW_PAGE * self->ps + COW_OFF] ^= 1;
	cow = base[9 * pmd + COW_PAGE * self->ps + COW_OFF];

	/* START and END inside a range: rounded outward to all ten */
	ret = range_req("collapse", me, base + 123, base + NPMD * pmd - 5, res, sizeof(res));
	TH_LOG("collapse 0-9: %s", res);
	ASSERT_EQ(0, ret) TH_LOG("partial success is success: %s", strerror(-ret));
	ASSERT_TRUE(thp_result_is(res, "succeeded"));
	snprintf(want, sizeof(want), "range=0x%lx-0x%lx ", (unsigned long)base,
		 (unsigned long)(base + NPMD * pmd));
	ASSERT_NE(NULL, strstr(res, want)) TH_LOG("no '%s' in %s", want, res);
	ASSERT_EQ(NPMD, num(res, "pmds"));
	ASSERT_EQ(1, num(res, "already"));
	ASSERT_EQ(1, num(res, "not_mapped"));
	ASSERT_EQ(1, num(res, "vma_nohugepage"));
	ASSERT_EQ(1, num(res, "pte_maps_private_copy"));
	if (native) {
		ASSERT_EQ(6, num(res, "done"));
		ASSERT_EQ(2, num(res, "refused"));
		snprintf(want, sizeof(want), "first_refused=0x%lx:vma_nohugepage ",
			 (unsigned long)(base + 8 * pmd));
	} else {
		ASSERT_EQ(4, num(res, "done"));
		ASSERT_EQ(4, num(res, "refused"));
		ASSERT_EQ(2, num(res, "anon_not_supported"));
		snprintf(want, sizeof(want), "first_refused=0x%lx:anon_not_supported ",
			 (unsigned long)(base + 5 * pmd));
	}
	ASSERT_NE(NULL, strstr(res, want)) TH_LOG("no '%s' in %s", want, res);

	/* what it claims, from outside */
	ASSERT_EQ(4 * self->kb, thp_smaps_kb(me, base, "ShmemPmdMapped"));
	thp_state(_metadata, self, __LINE__, base, 4);
	ASSERT_EQ(native ? 2 * self->kb : 0, thp_smaps_kb(me, base + 5 * pmd, "AnonHugePages"));
	if (native)
		thp_state(_metadata, self, __LINE__, base + 5 * pmd, 2);
	ASSERT_EQ(self->kb, thp_smaps_kb(me, base + 7 * pmd, "ShmemPmdMapped"));
	ASSERT_EQ(0, thp_smaps_kb(me, base + 8 * pmd, "ShmemPmdMapped"));
	ASSERT_EQ(0, thp_smaps_kb(me, base + 9 * pmd, "ShmemPmdMapped"));
	DATA(base, 4 * pmd, 0, 0);
	DATA(base + 5 * pmd, 2 * pmd, 0x30000000, 0);
	DATA(base + 7 * pmd, pmd, 0x40000000, 0);
	DATA(base + 8 * pmd, pmd, 0x50000000, 0);
	/* the private copy kept its byte, the rest of it is the file's */
	ASSERT_EQ(cow, base[9 * pmd + COW_PAGE * self->ps + COW_OFF]);
	base[9 * pmd + COW_PAGE * self->ps + COW_OFF] ^= 1;
	DATA(base + 9 * pmd, pmd, 0x60000000, 0);
	file_data(_metadata, self, fd0, 4, 0);
	file_data(_metadata, self, fd1, 1, 0x40000000);
	file_data(_metadata, self, fd3, 1, 0x60000000);
	munmap(base, NPMD * pmd);
	close(fd0);
	close(fd1);
	close(fd2);
	close(fd3);
}

/* Nothing mapped anywhere in the range: no_vma (EFAULT), every range a hole. */
TEST_F(rg, holes_only)
{
	size_t pmd = self->pmd;
	pid_t me = getpid();
	char res[1024];
	char *p = map_pmd(_metadata, pmd, 8 * pmd, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	int ret;

	ASSERT_EQ(0, munmap(p, 8 * pmd));
	ret = range_req("collapse", me, p, p + 8 * pmd, res, sizeof(res));
	ASSERT_EQ(-EFAULT, ret) TH_LOG("%s", res);
	ASSERT_TRUE(thp_result_is(res, "no_vma")) TH_LOG("%s", res);
	ASSERT_EQ(8, num(res, "pmds"));
	ASSERT_EQ(8, num(res, "not_mapped"));
	ret = range_req("split", me, p, p + 8 * pmd, res, sizeof(res));
	ASSERT_EQ(-EFAULT, ret) TH_LOG("%s", res);
	ASSERT_EQ(8, num(res, "not_mapped"));
}

/* The bound: THP_RANGE_MAX (64 GiB) after rounding is accepted, one page more is not. */
TEST_F(rg, sixty_four_gib_bound)
{
	size_t pmd = self->pmd, len = 64UL << 30;
	pid_t me = getpid();
	char res[1024];
	char *p = thp_map_aligned(len + pmd, pmd, PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	int ret;

	if (p == MAP_FAILED)
		SKIP(return, "no 64 GiB of address space");
	/* a reservation: VMAs with no page tables, every range not mapped */
	ret = range_req("collapse", me, p, p + len, res, sizeof(res));
	ASSERT_EQ((long)(len / pmd), num(res, "pmds")) TH_LOG("%s", res);
	if (!strcmp(variant->engine, "native")) {
		ASSERT_EQ(-EFAULT, ret) TH_LOG("%s", res);
		ASSERT_TRUE(thp_result_is(res, "not_mapped")) TH_LOG("%s", res);
		ASSERT_EQ((long)(len / pmd), num(res, "not_mapped"));
	} else {
		/* the kernel engine refuses anonymous VMAs before it looks */
		ASSERT_EQ(-EOPNOTSUPP, ret) TH_LOG("%s", res);
		ASSERT_EQ((long)(len / pmd), num(res, "anon_not_supported"));
	}
	TH_LOG("%s", res);
	ret = range_req("collapse", me, p, p + len + 1, res, sizeof(res));
	ASSERT_EQ(-EINVAL, ret) TH_LOG("%s", res);
	ASSERT_TRUE(thp_result_is(res, "invalid_input")) TH_LOG("%s", res);
	munmap(p, len + pmd);
}

TEST_F(rg, malformed_ranges)
{
	static const char *const forms[] = {
		"%d:0x%lx-0x%lx",	/* END == START (filled in below) */
		"%d:0x%lx-",		"%d:-0x%lx",		"%d:0x%lx--0x1",
		"%d:0x%lx-0x1-0x2",	"%d:0x%lx -0x1",	"%d:0x%lx- 0x1",
		"%d:0x%lx-0xg",		"%d:0x%lx-+1",		"%d:0x%lx-0x",
	};
	static const char *const verbs[] = { "split", "collapse" };
	char r[128], res[512];
	pid_t me = getpid();
	unsigned long a = 0x200000000UL;
	int v, n, ret;
	size_t i;

	for (v = 0; v < 2; v++) {
		for (i = 0; i < ARRAY_SIZE(forms); i++) {
			n = snprintf(r, sizeof(r), forms[i], me, a, a);
			ret = thp_request_raw(verbs[v], r, n, res, sizeof(res));
			ASSERT_EQ(-EINVAL, ret) TH_LOG("%s '%s': %s", verbs[v], r, res);
			ASSERT_TRUE(thp_result_is(res, "invalid_input")) TH_LOG("%s", res);
		}
		/* END below START; END that overflows when rounded up */
		n = snprintf(r, sizeof(r), "%d:0x%lx-0x%lx", me, a, a - 1);
		ASSERT_EQ(-EINVAL, thp_request_raw(verbs[v], r, n, res, sizeof(res))) TH_LOG("%s", r);
		n = snprintf(r, sizeof(r), "%d:0xffffffffffff0000-0xffffffffffffffff", me);
		ASSERT_EQ(-EINVAL, thp_request_raw(verbs[v], r, n, res, sizeof(res))) TH_LOG("%s", r);
	}
	/* explain and scan take no range */
	n = snprintf(r, sizeof(r), "%d:0x%lx-0x%lx", me, a, a + 1);
	ASSERT_EQ(-EINVAL, thp_request_raw("explain", r, n, res, sizeof(res))) TH_LOG("%s", res);
	ASSERT_EQ(-EINVAL, thp_request_raw("scan", r, n, res, sizeof(res))) TH_LOG("%s", res);
	/* a decimal range is fine: nothing there */
	n = snprintf(r, sizeof(r), "%d:%lu-%lu\n", me, a, a + 1);
	ASSERT_EQ(-EFAULT, thp_request_raw("collapse", r, n, res, sizeof(res))) TH_LOG("%s", res);
	ASSERT_EQ(1, num(res, "pmds")) TH_LOG("%s", res);
}

/*
 * The target is killed while range requests split and collapse its 8 PMDs:
 * every request ends (success, or the process gone), and the file, read()
 * afterwards, holds what the target wrote.
 */
TEST_F_TIMEOUT(rg, target_exits_mid_range, 120)
{
	size_t pmd = self->pmd;
	int fd = new_file(_metadata, self, 8, 0), i, ret, sync[2];
	char res[1024], c;
	pid_t kid;
	char *p;

	ASSERT_EQ(0, pipe(sync));
	p = map_pmd(_metadata, pmd, 8 * pmd, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_EQ(0, munmap(p, 8 * pmd));
	/* self is shared with the child: only the parent may store the pid */
	kid = fork();
	ASSERT_LE(0, kid);
	if (kid)
		self->kid = kid;
	if (!kid) {
		char *q = mmap(p, 8 * pmd, RW, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);

		if (q != p)
			_exit(1);
		thp_touch(q, 8 * pmd);
		if (write(sync[1], "x", 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	ASSERT_EQ(1, read(sync[0], &c, 1));
	for (i = 0; i < 40; i++) {
		ret = range_req(i & 1 ? "collapse" : "split", self->kid, p, p + 8 * pmd, res,
				sizeof(res));
		if (i == 3)
			kill(self->kid, SIGKILL);
		ASSERT_TRUE(!ret || ret == -ESRCH || ret == -EFAULT || ret == -EINTR)
			TH_LOG("request %d (pid %d, %p): %s: %s", i, self->kid, p, strerror(-ret),
			       res);
		if (ret == -ESRCH)
			break;
	}
	thp_kill_reap(&self->kid);
	file_data(_metadata, self, fd, 8, 0);
	close(fd);
	close(sync[0]);
	close(sync[1]);
}

/* "queue PID:START-END" queues the range's pte-mapped THPs and nothing else. */
TEST_F(rg, queue_range_queues_inside_only)
{
	size_t pmd = self->pmd;
	pid_t me = getpid();
	int fd = new_file(_metadata, self, 4, 0), ret;
	char *p = map_pmd(_metadata, pmd, 4 * pmd, RW, MAP_SHARED, fd, 0);
	char res[512];

	thp_touch(p, 4 * pmd);
	ASSERT_EQ(0, range_req("split", me, p, p + 4 * pmd, res, sizeof(res))) TH_LOG("%s", res);
	ASSERT_EQ(4, num(res, "done")) TH_LOG("%s", res);
	/* through the device, for its result line */
	ret = dev_range_req("queue", me, p + pmd, p + 3 * pmd, res, sizeof(res));
	ASSERT_EQ(0, ret) TH_LOG("%s", res);
	ASSERT_TRUE(thp_result_is(res, "succeeded")) TH_LOG("%s", res);
	ASSERT_EQ(2, num(res, "found")) TH_LOG("%s", res);
	ASSERT_EQ(2, num(res, "queued")) TH_LOG("%s", res);
	ASSERT_EQ(0, thp_queue_wait(me, 20000));
	thp_state(_metadata, self, __LINE__, p + pmd, 2);
	/* the two queued ones, collapsed; the two outside, still split */
	ASSERT_EQ(2 * self->kb, thp_smaps_kb(me, p, "ShmemPmdMapped"));
	DATA(p, 4 * pmd, 0, 0);
	munmap(p, 4 * pmd);
	close(fd);
}

/*
 * The worker drains the due entries of one process under one walk of the
 * mmap lock: a region's pte-mapped THPs, queued together (queue_delay_ms
 * makes them due together), count as drained, and every one is PMD-mapped
 * with its data intact.
 */
TEST_F(rg, worker_drains_one_process_at_once)
{
	bool native = !strcmp(variant->engine, "native");
	size_t pmd = self->pmd, nfile = 6, nanon = native ? 2 : 0;
	long long drains = thp_stat("worker_drains"), drained = thp_stat("worker_drained");
	pid_t me = getpid();
	int fd = new_file(_metadata, self, nfile, 0), ret;
	char *base, delay[32], res[512];

	ASSERT_LE(0, drains);
	base = map_pmd(_metadata, pmd, (nfile + nanon) * pmd, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	map_at(_metadata, self, base, nfile, MAP_SHARED, fd);
	if (nanon) {
		ASSERT_EQ(base + nfile * pmd, mmap(base + nfile * pmd, nanon * pmd, RW,
						   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
						   -1, 0));
		ASSERT_EQ(0, madvise(base + nfile * pmd, nanon * pmd, MADV_HUGEPAGE));
		thp_fill(base + nfile * pmd, nanon * pmd, 0x30000000, 0);
		if (thp_smaps_kb(me, base + nfile * pmd, "AnonHugePages") != (long)nanon * self->kb)
			SKIP(return, "no anonymous THPs");
	}
	ret = range_req("split", me, base, base + (nfile + nanon) * pmd, res, sizeof(res));
	ASSERT_EQ(0, ret) TH_LOG("%s", res);
	ASSERT_EQ((long)(nfile + nanon), num(res, "done")) TH_LOG("%s", res);

	ASSERT_EQ(0, thp_param_get("queue_delay_ms", delay, sizeof(delay)));
	ASSERT_EQ(0, thp_param_set("queue_delay_ms", "300"));
	ret = dev_range_req("queue", me, base, base + (nfile + nanon) * pmd, res, sizeof(res));
	thp_param_set("queue_delay_ms", delay);
	ASSERT_EQ(0, ret) TH_LOG("%s", res);
	ASSERT_EQ((long)(nfile + nanon), num(res, "queued")) TH_LOG("%s", res);
	ASSERT_EQ(0, thp_queue_wait(me, 30000));

	TH_LOG("worker_drains +%lld, worker_drained +%lld", thp_stat("worker_drains") - drains,
	       thp_stat("worker_drained") - drained);
	ASSERT_LE(1, thp_stat("worker_drains") - drains);
	ASSERT_LE(2, thp_stat("worker_drained") - drained);
	/* what it claims, from outside */
	thp_state(_metadata, self, __LINE__, base, nfile + nanon);
	ASSERT_EQ((long)nfile * self->kb, thp_smaps_kb(me, base, "ShmemPmdMapped"));
	if (nanon)
		ASSERT_EQ((long)nanon * self->kb,
			  thp_smaps_kb(me, base + nfile * pmd, "AnonHugePages"));
	DATA(base, nfile * pmd, 0, 0);
	if (nanon)
		DATA(base + nfile * pmd, nanon * pmd, 0x30000000, 0);
	file_data(_metadata, self, fd, nfile, 0);
	munmap(base, (nfile + nanon) * pmd);
	close(fd);
}

/* /dev/thp_retry's split and collapse take ranges, with the same result line. */
TEST_F(rg, dev_verbs_take_ranges)
{
	size_t pmd = self->pmd;
	pid_t me = getpid();
	int fd = new_file(_metadata, self, 2, 0), ret;
	char *p = map_pmd(_metadata, pmd, 2 * pmd, RW, MAP_SHARED, fd, 0);
	char res[512];

	thp_touch(p, 2 * pmd);
	ret = dev_range_req("split", me, p, p + 2 * pmd, res, sizeof(res));
	ASSERT_EQ(0, ret) TH_LOG("%s", res);
	ASSERT_EQ(2, num(res, "done")) TH_LOG("%s", res);
	ASSERT_EQ(0, thp_smaps_kb(me, p, "ShmemPmdMapped"));
	ret = dev_range_req("collapse", me, p, p + 2 * pmd, res, sizeof(res));
	ASSERT_EQ(0, ret) TH_LOG("%s", res);
	ASSERT_EQ(2, num(res, "done")) TH_LOG("%s", res);
	ASSERT_EQ(2 * self->kb, thp_smaps_kb(me, p, "ShmemPmdMapped"));
	thp_state(_metadata, self, __LINE__, p, 2);
	DATA(p, 2 * pmd, 0, 0);
	file_data(_metadata, self, fd, 2, 0);
	munmap(p, 2 * pmd);
	close(fd);
}

TEST_HARNESS_MAIN
