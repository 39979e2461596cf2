// SPDX-License-Identifier: GPL-2.0
/*
 * thp_retry_collapse - the "split" and "collapse" debugfs requests.
 *
 * A request "PID:ADDR" turns the PMD mapping of a shmem THP into a PTE
 * mapping of the same THP (split) or maps the PMD range by one PMD again
 * (collapse). These tests check, under engine=native and engine=kernel
 * alike (fixture variants; kernel is skipped when features says
 * "kernel-engine disabled"):
 *
 *  - round trips on a huge=always tmpfs file and on a memfd: the state after
 *    each step (smaps ShmemPmdMapped, pagemap + kpageflags: the same THP, no
 *    copy), the contents, already_pte_mapped / already_pmd_mapped;
 *  - a collapse over holes (pages unmapped by MADV_DONTNEED, some rewritten
 *    by write(2) meanwhile): the same THP, every page's newest data;
 *  - another process as the target, and a target exiting mid-loop;
 *  - every errno: EBUSY for a private CoW copy (which keeps its contents),
 *    EINVAL for malformed requests and ineligible ranges, ESRCH, EFAULT,
 *    EPERM;
 *  - readers see constant contents while the range is split and collapsed
 *    in a loop;
 *  - the stats counters.
 *
 * Every "collapse" request is "explain"ed first, and must return the result
 * explain said it would (thp_explained_collapse()).
 *
 * Each test mounts its own huge tmpfs under /tmp, stretches khugepaged's
 * sleep so that it does not remap a split range behind the test's back, and
 * restores engine=native, shmem_enabled and khugepaged at teardown, also
 * after a failed ASSERT. Tests reap their children; teardown kills any left
 * after a failure. Children never use ASSERT_*().
 *
 * Needs root, debugfs and thp_retry loaded (the guest runner does both).
 */
#define _GNU_SOURCE
/*
 * The harness's TEST_F() wrapper keeps the fork() result in a local that a
 * failed ASSERT longjmp()s across: at -O2 it comes back as the pre-fork value
 * and FIXTURE_TEARDOWN() is skipped (-Wclobbered is right). This file uses
 * FIXTURE_TEARDOWN_PARENT() instead, which runs exactly once either way, so
 * the warning about the harness's own variable is silenced.
 */
#pragma GCC diagnostic ignored "-Wclobbered"
#include <poll.h>
#include <pthread.h>
#include <sys/prctl.h>

#include <sys/wait.h>

#include "kselftest_harness.h"
#include "thp_retry_util.h"
#include "thp_retry_req.h"

#define MAX_KIDS	4

FIXTURE(thp)
{
	char dir[64];		/* huge tmpfs mount point, "" when none */
	char khd_sleep[32];	/* saved khugepaged scan_sleep_millisecs */
	char shmem_enabled[32];	/* saved shmem_enabled, "" if untouched */
	size_t ps;		/* page size */
	size_t pmd;		/* PMD size */
	size_t nr;		/* pages per PMD */
	long kb;		/* PMD size in kB */
	int files;		/* files made so far */
	pid_t kids[MAX_KIDS];	/* live children, killed at teardown */
};

FIXTURE_VARIANT(thp)
{
	const char *engine;
};

FIXTURE_VARIANT_ADD(thp, native)
{
	.engine = "native",
};

FIXTURE_VARIANT_ADD(thp, kernel)
{
	.engine = "kernel",
};

static void thp_cleanup(FIXTURE_DATA(thp) *self)
{
	int i;

	for (i = 0; i < MAX_KIDS; i++)
		thp_kill_reap(&self->kids[i]);
	thp_set_engine("native");
	if (self->shmem_enabled[0])
		thp_write_file(THP_SYSFS "/shmem_enabled", self->shmem_enabled);
	self->shmem_enabled[0] = '\0';
	thp_khugepaged_resume(self->khd_sleep);
	thp_umount(self->dir);
}

FIXTURE_SETUP(thp)
{
	char opts[64];
	long pmd;
	int ret;

	if (!strcmp(variant->engine, "kernel") && thp_kernel_engine_disabled())
		SKIP(return, "kernel-engine disabled");
	pmd = thp_pmd_size();
	ASSERT_LT(0, pmd) TH_LOG("cannot read hpage_pmd_size");
	self->ps = sysconf(_SC_PAGESIZE);
	self->pmd = pmd;
	self->nr = pmd / self->ps;
	self->kb = pmd / 1024;
	ret = thp_set_engine(variant->engine);
	ASSERT_EQ(0, ret) TH_LOG("engine=%s: %s", variant->engine, strerror(-ret));
	thp_khugepaged_pause(self->khd_sleep, sizeof(self->khd_sleep));
	snprintf(opts, sizeof(opts), "huge=always,size=%zu", 32 * self->pmd);
	ret = thp_mount_tmpfs(self->dir, sizeof(self->dir), opts);
	if (ret)
		thp_cleanup(self);
	ASSERT_EQ(0, ret) TH_LOG("huge tmpfs: %s", strerror(-ret));
}

/*
 * Runs in the test's parent process (self is shared), or in the test process
 * itself after a failed ASSERT: children may not be ours to reap here.
 */
FIXTURE_TEARDOWN_PARENT(thp)
{
	thp_cleanup(self);
}

/* A new file of @size bytes on the fixture's huge tmpfs. */
static int huge_file(struct __test_metadata *_metadata, FIXTURE_DATA(thp) *self, size_t size)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/f%d", self->dir, self->files++);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	ASSERT_EQ(0, ftruncate(fd, size));
	return fd;
}

#define MAP(len, prot, flags, fd, off)	map_pmd(_metadata, self->pmd, len, prot, flags, fd, off)

/*
 * One request's outcome: the write must fail with @err (0: succeed), and if
 * @w1 is set the result line must start with @w1 or @w2.
 */
static void check_res(struct __test_metadata *_metadata, int line, const char *file,
		      const char *req, size_t len, int ret, const char *res, int err,
		      const char *w1, const char *w2)
{
	char shown[96];

	ASSERT_EQ(-err, ret) TH_LOG("line %d: %s '%s': %s, expected %s; result '%s'", line, file,
				    thp_esc(req, len, shown, sizeof(shown)), strerror(-ret),
				    strerror(err), res);
	if (!w1)
		return;
	ASSERT_TRUE(thp_result_is(res, w1) || (w2 && thp_result_is(res, w2)))
		TH_LOG("line %d: %s '%s': result '%s', expected %s%s%s", line, file,
		       thp_esc(req, len, shown, sizeof(shown)), res, w1, w2 ? " or " : "",
		       w2 ? w2 : "");
}

static void req_raw(struct __test_metadata *_metadata, int line, const char *file,
		    const char *req, size_t len, int err, const char *w1, const char *w2)
{
	char res[256];
	int ret = thp_request_raw(file, req, len, res, sizeof(res));

	check_res(_metadata, line, file, req, len, ret, res, err, w1, w2);
}

/* A collapse is explained first: it must return what explain said it would. */
static void req(struct __test_metadata *_metadata, int line, const char *file, pid_t pid,
		const void *addr, int err, const char *w1, const char *w2)
{
	char r[64], res[256];
	int n = snprintf(r, sizeof(r), "%d:0x%lx", pid, (unsigned long)addr), ret;

	if (strcmp(file, "collapse")) {
		req_raw(_metadata, line, file, r, n, err, w1, w2);
		return;
	}
	ret = thp_explained_collapse(_metadata, line, pid, addr, res, sizeof(res));
	check_res(_metadata, line, file, r, n, ret, res, err, w1, w2);
}

#define REQ_RAW(file, r, len, err, w1, w2) \
	req_raw(_metadata, __LINE__, file, r, len, err, w1, w2)
#define REQ(file, pid, addr, err, w1, w2) \
	req(_metadata, __LINE__, file, pid, addr, err, w1, w2)

/*
 * The PMD range at @addr of @pid maps one whole THP, in order, and the VMA
 * around it has @kb kB PMD-mapped. If @head is set the THP must be that one
 * (no copy was made). Returns the THP's head PFN.
 */
static uint64_t state(struct __test_metadata *_metadata, int line, FIXTURE_DATA(thp) *self,
		      pid_t pid, const void *addr, long kb, uint64_t head)
{
	long got_kb = thp_smaps_kb(pid, addr, "ShmemPmdMapped");
	uint64_t got = 0;
	char why[160];

	ASSERT_EQ(kb, got_kb) TH_LOG("line %d: pid %d %p: ShmemPmdMapped %ld kB, expected %ld kB",
				     line, pid, addr, got_kb, kb);
	ASSERT_TRUE(thp_range_is_thp(pid, addr, self->nr, &got, why, sizeof(why)))
		TH_LOG("line %d: pid %d %p: not one whole THP: %s", line, pid, addr, why);
	if (head) {
		ASSERT_EQ(head, got) TH_LOG("line %d: pid %d %p: THP at pfn %#llx, was %#llx",
					    line, pid, addr, (unsigned long long)got,
					    (unsigned long long)head);
	}
	return got;
}

#define STATE(pid, addr, kb, head)	state(_metadata, __LINE__, self, pid, addr, kb, head)

/* The file itself (pread, no mapping) holds generation @gen. */
static void file_data(struct __test_metadata *_metadata, int line, int fd, size_t len,
		      uint64_t off, unsigned int gen)
{
	char *buf = malloc(len);
	ssize_t n = buf ? pread(fd, buf, len, off) : -1;
	long bad = n == (ssize_t)len ? thp_verify(buf, len, off, gen) : -2;

	free(buf);
	ASSERT_NE(-2, bad) TH_LOG("line %d: pread %zu bytes: %zd", line, len, n);
	ASSERT_EQ(-1, bad) TH_LOG("line %d: file: wrong data at offset %#llx (generation %u)",
				  line, (unsigned long long)(off + bad), gen);
}

#define FILE_DATA(fd, len, off, gen)	file_data(_metadata, __LINE__, fd, len, off, gen)

#define kid_fork(md, self, rd, wr)	thp_kid_fork(md, (self)->kids, MAX_KIDS, rd, wr)
#define kid_wait(self, pid)	thp_kid_wait((self)->kids, MAX_KIDS, pid)

/*
 * Map 2 PMDs of @fd, fill them, split and collapse the first: PTE-mapped
 * then PMD-mapped again, always the same THP, contents kept; the second
 * PMD is never touched by the requests.
 */
static void round_trip(struct __test_metadata *_metadata, FIXTURE_DATA(thp) *self, int fd,
		       bool advise)
{
	size_t pmd = self->pmd, ps = self->ps, len = 2 * pmd;
	long K = self->kb;
	pid_t me = getpid();
	uint64_t head, head2;
	char *p = MAP(len, RW, MAP_SHARED, fd, 0);

	if (advise) {
		ASSERT_EQ(0, madvise(p, len, MADV_HUGEPAGE));
	}
	thp_fill(p, len, 0, 0);
	head = STATE(me, p, 2 * K, 0);
	head2 = STATE(me, p + pmd, 2 * K, 0);

	REQ("split", me, p, 0, "succeeded", NULL);
	STATE(me, p, K, head);
	STATE(me, p + pmd, K, head2);
	DATA(p, len, 0, 0);
	thp_fill(p, pmd, 0, 1);		/* written through the PTEs */
	DATA(p, pmd, 0, 1);
	REQ("split", me, p + 3 * ps, 0, "already_pte_mapped", NULL);
	STATE(me, p, K, head);

	REQ("collapse", me, p + 5 * ps, 0, "succeeded", NULL);
	STATE(me, p, 2 * K, head);
	DATA(p, pmd, 0, 1);
	DATA(p + pmd, pmd, pmd, 0);
	REQ("collapse", me, p, 0, "already_pmd_mapped", NULL);
	STATE(me, p, 2 * K, head);
	STATE(me, p + pmd, 2 * K, head2);
	FILE_DATA(fd, pmd, 0, 1);
	FILE_DATA(fd, pmd, pmd, 0);
}

TEST_F(thp, round_trip_tmpfs)
{
	round_trip(_metadata, self, huge_file(_metadata, self, 2 * self->pmd), false);
}

TEST_F(thp, round_trip_memfd)
{
	const char *path = THP_SYSFS "/shmem_enabled";
	int fd, ret;

	ret = thp_sysfs_choice(path, self->shmem_enabled, sizeof(self->shmem_enabled));
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", path, strerror(-ret));
	ret = thp_write_file(path, "advise");
	ASSERT_EQ(0, ret) TH_LOG("advise > %s: %s", path, strerror(-ret));
	fd = memfd_create("thp_retry", MFD_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("memfd_create: %s", strerror(errno));
	ASSERT_EQ(0, ftruncate(fd, 2 * self->pmd));
	round_trip(_metadata, self, fd, true);
}

/*
 * Holes in the PTE mapping. After a split, MADV_DONTNEED unmaps the first
 * page, page 5, a run of nr/8 pages and the last page of the PMD range (the
 * page cache keeps them). The other pages are rewritten through their PTEs
 * (generation 1), page 5 and the run through write(2) (generation 2) while
 * unmapped; the first and last page keep generation 0. The collapse must map
 * the same THP, and every page must hold its newest data, read through the
 * new PMD and through pread(). The second PMD is never touched.
 */
static unsigned int hole_gen(size_t i, size_t nr)
{
	if (i == 0 || i == nr - 1)
		return 0;
	if (i == 5 || (i >= 17 && i < 17 + nr / 8))
		return 2;
	return 1;
}

TEST_F(thp, collapse_with_holes)
{
	size_t pmd = self->pmd, ps = self->ps, nr = self->nr, len = 2 * pmd, i;
	int fd = huge_file(_metadata, self, len);
	char *p = MAP(len, RW, MAP_SHARED, fd, 0), *buf;
	pid_t me = getpid();
	uint64_t head, ent;

	thp_fill(p, len, 0, 0);
	head = STATE(me, p, 2 * self->kb, 0);
	REQ("split", me, p, 0, "succeeded", NULL);
	STATE(me, p, self->kb, head);

	buf = malloc(ps);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < nr; i++) {
		if (hole_gen(i, nr) == 1)
			continue;
		ASSERT_EQ(0, madvise(p + i * ps, ps, MADV_DONTNEED));
		if (hole_gen(i, nr) != 2)
			continue;
		thp_fill(buf, ps, i * ps, 2);
		ASSERT_EQ((ssize_t)ps, pwrite(fd, buf, ps, i * ps));
	}
	free(buf);
	for (i = 0; i < nr; i++) {
		if (hole_gen(i, nr) == 1)
			thp_fill(p + i * ps, ps, i * ps, 1);
	}
	/* the holes are still holes when the collapse starts */
	for (i = 0; i < nr; i++) {
		ASSERT_EQ(0, thp_pagemap(me, p + i * ps, 1, &ent));
		ASSERT_EQ(hole_gen(i, nr) == 1, !!(ent & PM_PRESENT))
			TH_LOG("page %zu: pagemap %#llx", i, (unsigned long long)ent);
	}

	REQ("collapse", me, p + (nr - 1) * ps, 0, "succeeded", NULL);
	STATE(me, p, 2 * self->kb, head);
	for (i = 0; i < nr; i++) {
		DATA(p + i * ps, ps, i * ps, hole_gen(i, nr));
		FILE_DATA(fd, ps, i * ps, hole_gen(i, nr));
	}
	DATA(p + pmd, pmd, pmd, 0);
	FILE_DATA(fd, pmd, pmd, 0);
	STATE(me, p + pmd, 2 * self->kb, 0);
}

/*
 * In a forked child: map @len of @fd read-only at a PMD-aligned address,
 * fault it in and send the address to the parent. Exits on failure.
 */
static char *kid_map_file(int fd, size_t len, size_t pmd, int wr)
{
	char *c = thp_map_aligned(len, pmd, PROT_READ, MAP_SHARED, fd, 0);

	if (c == MAP_FAILED)
		_exit(2);
	thp_touch(c, len);
	if (write(wr, &c, sizeof(c)) != sizeof(c))
		_exit(3);
	return c;
}

/* Another process is the target; its contents survive, the caller's mapping is untouched. */
TEST_F(thp, other_process_target)
{
	size_t pmd = self->pmd, len = 2 * pmd;
	long K = self->kb;
	pid_t me = getpid(), kid;
	int fd = huge_file(_metadata, self, len), rd, wr, status;
	char *p = MAP(len, RW, MAP_SHARED, fd, 0), *c;
	uint64_t head;

	thp_fill(p, len, 0, 0);
	head = STATE(me, p, 2 * K, 0);
	kid = kid_fork(_metadata, self, &rd, &wr);
	if (!kid) {
		c = kid_map_file(fd, len, pmd, wr);
		if (recv_byte(rd, 60000) != 'v')
			_exit(4);
		_exit(thp_verify(c, len, 0, 0) == -1 ? 0 : 5);
	}
	ASSERT_EQ(0, recv_all(rd, &c, sizeof(c), 20000)) TH_LOG("child did not map the file");
	REQ("collapse", kid, c, 0, "succeeded", "already_pmd_mapped");
	STATE(kid, c, 2 * K, head);

	REQ("split", kid, c, 0, "succeeded", NULL);
	STATE(kid, c, K, head);
	STATE(me, p, 2 * K, head);
	REQ("split", kid, c + self->ps, 0, "already_pte_mapped", NULL);

	REQ("collapse", kid, c + pmd - self->ps, 0, "succeeded", NULL);
	STATE(kid, c, 2 * K, head);
	REQ("collapse", kid, c, 0, "already_pmd_mapped", NULL);
	STATE(me, p, 2 * K, head);

	ASSERT_EQ(1, write(wr, "v", 1));
	status = kid_wait(self, kid);
	close(rd);
	close(wr);
	KID_OK(status);
	DATA(p, len, 0, 0);
}

/*
 * A MAP_PRIVATE mapping of @fd's first PMD, PMD-mapped, split, then one byte
 * of page COW_PAGE written: that page is now a private anonymous copy.
 */
static char *private_copy(struct __test_metadata *_metadata, FIXTURE_DATA(thp) *self, int fd,
			  uint64_t *head)
{
	pid_t me = getpid();
	char *q = MAP(self->pmd, RW, MAP_PRIVATE, fd, 0);

	thp_touch(q, self->pmd);
	REQ("collapse", me, q, 0, "succeeded", "already_pmd_mapped");
	*head = STATE(me, q, self->kb, 0);
	REQ("split", me, q, 0, "succeeded", NULL);
	STATE(me, q, 0, *head);
	q[COW_PAGE * self->ps + COW_OFF] ^= 0xff;
	return q;
}

TEST_F(thp, ebusy_private_copy)
{
	size_t pmd = self->pmd, i;
	pid_t me = getpid();
	int fd = huge_file(_metadata, self, pmd);
	char *s = MAP(pmd, RW, MAP_SHARED, fd, 0), *q;
	uint64_t head, *pm;

	thp_fill(s, pmd, 0, 0);
	q = private_copy(_metadata, self, fd, &head);
	REQ("collapse", me, q, EBUSY, "pte_maps_private_copy", NULL);
	ASSERT_EQ(0, thp_smaps_kb(me, q, "ShmemPmdMapped"));

	/* still the THP's subpages, except the private copy */
	pm = calloc(self->nr, 8);
	ASSERT_NE(NULL, pm);
	ASSERT_EQ(0, thp_pagemap(me, q, self->nr, pm));
	for (i = 0; i < self->nr; i++) {
		uint64_t pfn = pm[i] & PM_PFN_MASK;

		ASSERT_TRUE(pm[i] & PM_PRESENT) TH_LOG("page %zu not present", i);
		if (i == COW_PAGE) {
			ASSERT_NE(head + i, pfn) TH_LOG("page %zu: the private copy is gone", i);
		} else {
			ASSERT_EQ(head + i, pfn) TH_LOG("page %zu: pfn %#llx, THP head %#llx", i,
						       (unsigned long long)pfn,
						       (unsigned long long)head);
		}
	}
	free(pm);

	/* the private byte stays; everything else is the file's */
	COW_KEPT(q, s, pmd);
	FILE_DATA(fd, pmd, 0, 0);
	STATE(me, s, self->kb, head);
}

/* The VMA must cover the whole PMD range: a short mapping. */
TEST_F(thp, einval_short_vma)
{
	size_t half = self->pmd / 2;
	pid_t me = getpid();
	int fd = huge_file(_metadata, self, 2 * self->pmd);
	char *p = MAP(half, RW, MAP_SHARED, fd, 0);

	thp_fill(p, half, 0, 0);
	REQ("collapse", me, p, EINVAL, "vma_range", NULL);
	REQ("collapse", me, p + half - self->ps, EINVAL, "vma_range", NULL);
	DATA(p, half, 0, 0);
}

/* ... nor when mprotect() cut the mapping in two; merged again, it collapses. */
TEST_F(thp, einval_vma_split_by_mprotect)
{
	size_t pmd = self->pmd, half = pmd / 2;
	pid_t me = getpid();
	int fd = huge_file(_metadata, self, pmd);
	char *p = MAP(pmd, RW, MAP_SHARED, fd, 0);
	uint64_t head;

	thp_fill(p, pmd, 0, 0);
	head = STATE(me, p, self->kb, 0);
	ASSERT_EQ(0, mprotect(p + half, half, PROT_READ));
	thp_touch(p, pmd);
	REQ("collapse", me, p, EINVAL, "vma_range", NULL);
	REQ("collapse", me, p + half, EINVAL, "vma_range", NULL);
	DATA(p, pmd, 0, 0);

	ASSERT_EQ(0, mprotect(p, pmd, RW));
	ASSERT_EQ(self->kb, thp_smaps_kb(me, p, "Size")) TH_LOG("the two VMAs did not merge");
	thp_touch(p, pmd);
	REQ("collapse", me, p, 0, "succeeded", "already_pmd_mapped");
	STATE(me, p, self->kb, head);
	DATA(p, pmd, 0, 0);
}

/*
 * Anonymous memory is a request target too (thp_retry_anon covers it): split
 * works under both engines, collapse is in place under native and "not
 * supported" under kernel. A range with nothing faulted in is not_mapped.
 */
TEST_F(thp, anonymous_memory)
{
	bool native = !strcmp(variant->engine, "native");
	pid_t me = getpid();
	char *p = MAP(2 * self->pmd, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (native)
		REQ("collapse", me, p, EFAULT, "not_mapped", NULL);
	ASSERT_EQ(0, madvise(p, 2 * self->pmd, MADV_HUGEPAGE));
	memset(p, 0x5a, self->pmd);
	if (thp_smaps_kb(me, p, "AnonHugePages") < self->kb)
		SKIP(return, "no anonymous THP allocated");
	if (native)
		REQ("collapse", me, p, 0, "already_pmd_mapped", NULL);
	REQ("split", me, p, 0, "succeeded", NULL);
	EXPECT_EQ(0, thp_smaps_kb(me, p, "AnonHugePages"));
	if (native)
		REQ("collapse", me, p, 0, "succeeded", NULL);
	else
		REQ("collapse", me, p, EOPNOTSUPP, "anon_not_supported", NULL);
	EXPECT_EQ(native ? self->kb : 0, thp_smaps_kb(me, p, "AnonHugePages"));
	EXPECT_EQ(0, memcmp(p, p + 1, self->pmd - 1)) TH_LOG("contents changed");
	EXPECT_EQ(0x5a, p[0]);
}

TEST_F(thp, einval_nohugepage)
{
	pid_t me = getpid();
	int fd = huge_file(_metadata, self, self->pmd);
	char *p = MAP(self->pmd, RW, MAP_SHARED, fd, 0);
	uint64_t head;

	thp_fill(p, self->pmd, 0, 0);
	head = STATE(me, p, self->kb, 0);
	REQ("split", me, p, 0, "succeeded", NULL);
	ASSERT_EQ(0, madvise(p, self->pmd, MADV_NOHUGEPAGE));
	REQ("collapse", me, p, EINVAL, "vma_nohugepage", NULL);
	STATE(me, p, 0, head);
	/* eligible again */
	ASSERT_EQ(0, madvise(p, self->pmd, MADV_HUGEPAGE));
	REQ("collapse", me, p, 0, "succeeded", NULL);
	STATE(me, p, self->kb, head);
	DATA(p, self->pmd, 0, 0);
}

/* The target process set PR_SET_THP_DISABLE after its range was split. */
TEST_F(thp, einval_thp_disabled_in_target)
{
	size_t pmd = self->pmd;
	pid_t me = getpid(), kid;
	int fd = huge_file(_metadata, self, pmd), rd, wr, status;
	char *p = MAP(pmd, RW, MAP_SHARED, fd, 0), *c;
	uint64_t head;

	thp_fill(p, pmd, 0, 0);
	head = STATE(me, p, self->kb, 0);
	kid = kid_fork(_metadata, self, &rd, &wr);
	if (!kid) {
		c = kid_map_file(fd, pmd, pmd, wr);
		if (recv_byte(rd, 60000) != 'd')
			_exit(4);
		if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
			_exit(5);
		if (write(wr, "D", 1) != 1)
			_exit(6);
		if (recv_byte(rd, 60000) != 'x')
			_exit(7);
		_exit(thp_verify(c, pmd, 0, 0) == -1 ? 0 : 8);
	}
	ASSERT_EQ(0, recv_all(rd, &c, sizeof(c), 20000)) TH_LOG("child did not map the file");
	REQ("collapse", kid, c, 0, "succeeded", "already_pmd_mapped");
	REQ("split", kid, c, 0, "succeeded", NULL);
	STATE(kid, c, 0, head);
	ASSERT_EQ(1, write(wr, "d", 1));
	ASSERT_EQ('D', recv_byte(rd, 20000)) TH_LOG("child could not set PR_SET_THP_DISABLE");
	REQ("collapse", kid, c, EINVAL, "thp_disabled", NULL);
	STATE(kid, c, 0, head);
	ASSERT_EQ(1, write(wr, "x", 1));
	status = kid_wait(self, kid);
	close(rd);
	close(wr);
	KID_OK(status);
}

/* File offset one page at a PMD-aligned address: the THP cannot be PMD-mapped there. */
TEST_F(thp, einval_misaligned_file_offset)
{
	pid_t me = getpid();
	int fd = huge_file(_metadata, self, 2 * self->pmd);
	char *p = MAP(self->pmd, RW, MAP_SHARED, fd, self->ps);

	thp_fill(p, self->pmd, self->ps, 0);
	REQ("collapse", me, p, EINVAL, "file_offset_misaligned", NULL);
	ASSERT_EQ(0, thp_smaps_kb(me, p, "ShmemPmdMapped"));
	DATA(p, self->pmd, self->ps, 0);
}

TEST_F(thp, esrch_reaped_pid)
{
	void *addr = (void *)(uintptr_t)self->pmd;
	int rd, wr;
	pid_t kid = kid_fork(_metadata, self, &rd, &wr);

	if (!kid)
		_exit(0);
	close(rd);
	close(wr);
	kid_wait(self, kid);
	REQ("split", kid, addr, ESRCH, "no_such_process", NULL);
	REQ("collapse", kid, addr, ESRCH, "no_such_process", NULL);
}

TEST_F(thp, esrch_zombie)
{
	void *addr = (void *)(uintptr_t)self->pmd;
	siginfo_t si;
	int rd, wr;
	pid_t kid = kid_fork(_metadata, self, &rd, &wr);

	if (!kid)
		_exit(0);
	close(rd);
	close(wr);
	/* wait for the exit, but leave the zombie */
	ASSERT_EQ(0, waitid(P_PID, kid, &si, WEXITED | WNOWAIT));
	REQ("split", kid, addr, ESRCH, "no_such_process", "no_mm");
	REQ("collapse", kid, addr, ESRCH, "no_such_process", "no_mm");
	kid_wait(self, kid);
}

/* Nothing mapped: a hole between two mappings of the same file. */
TEST_F(thp, efault_unmapped_hole)
{
	size_t pmd = self->pmd;
	pid_t me = getpid();
	int fd = huge_file(_metadata, self, 3 * pmd);
	char *p = MAP(3 * pmd, RW, MAP_SHARED, fd, 0), *hole = p + pmd + 5 * self->ps;

	thp_fill(p, 3 * pmd, 0, 0);
	ASSERT_EQ(0, munmap(p + pmd, pmd));
	REQ("split", me, hole, EFAULT, "no_vma", "not_mapped");
	REQ("collapse", me, hole, EFAULT, "no_vma", "not_mapped");
	/* the neighbours are fine */
	REQ("split", me, p + 2 * pmd, 0, "succeeded", NULL);
	REQ("collapse", me, p + 2 * pmd, 0, "succeeded", NULL);
	STATE(me, p, self->kb, 0);
	STATE(me, p + 2 * pmd, self->kb, 0);
}

/* Above the user address space: EFAULT or EINVAL, nothing else. */
TEST_F(thp, efault_or_einval_kernel_address)
{
	static const char *const files[] = { "split", "collapse" };
	void *addr = (void *)0xffffffffffff0000UL;
	char res[256];
	int i, ret;

	for (i = 0; i < 2; i++) {
		ret = thp_request(files[i], getpid(), addr, res, sizeof(res));
		ASSERT_TRUE(ret == -EFAULT || ret == -EINVAL)
			TH_LOG("%s %p: %s, result '%s'", files[i], addr, strerror(-ret), res);
	}
}

/*
 * In a child, as nobody: split and collapse @target's range, then pid 1's.
 * Returns 0 or the step that went wrong.
 */
static int unprivileged_requests(pid_t target, const void *addr)
{
	struct thp_unpriv_req r[4];
	int i;

	for (i = 0; i < 4; i++) {
		r[i].file = i % 2 ? "collapse" : "split";
		r[i].result = true;
		snprintf(r[i].req, sizeof(r[i].req), "%d:0x%lx", i < 2 ? target : 1,
			 i < 2 ? (unsigned long)addr : 0x400000UL);
	}
	return thp_unprivileged_requests(r, 4);
}

TEST_F(thp, eperm_without_ptrace_access)
{
	pid_t me = getpid(), kid;
	int fd = huge_file(_metadata, self, self->pmd), rd, wr, status;
	char *p = MAP(self->pmd, RW, MAP_SHARED, fd, 0);
	uint64_t head;

	thp_fill(p, self->pmd, 0, 0);
	head = STATE(me, p, self->kb, 0);
	kid = kid_fork(_metadata, self, &rd, &wr);
	if (!kid)
		_exit(unprivileged_requests(me, p));
	status = kid_wait(self, kid);
	close(rd);
	close(wr);
	KID_OK(status);
	STATE(me, p, self->kb, head);	/* the refused split did nothing */
	REQ("split", me, p, 0, "succeeded", NULL);
	REQ("collapse", me, p, 0, "succeeded", NULL);
}

/* Malformed for "split" and "collapse" besides thp_bad_pid_addr[]. */
static const struct bad_req malformed[] = {
	BAD("1:99999999999999999999999"),
};

/* One defect away from a request that would succeed ("%d:0x%lx"). */
static const char *const near_miss[] = {
	" %d:0x%lx", "%d:0x%lx ", "%d :0x%lx", "%d: 0x%lx", "+%d:0x%lx", "%d:+0x%lx",
	"%d:0x%lx\n\n", "%d:0x%lx:0", "%d:0x%lxg", "%d\n:0x%lx", "%d:0x%lx\r\n", "%d:0x%lx\t",
	"%d::0x%lx", "%d,0x%lx", "%d:0x%lx;", "%d:0x%lx\n\x01",
};

TEST_F(thp, einval_malformed_requests)
{
	static const char *const files[] = { "split", "collapse" };
	char r[512], res[256];
	pid_t me = getpid();
	int fd = huge_file(_metadata, self, self->pmd), f, n, ret;
	char *p = MAP(self->pmd, RW, MAP_SHARED, fd, 0);
	const struct bad_req *b;
	uint64_t head;
	size_t i;

	thp_fill(p, self->pmd, 0, 0);
	head = STATE(me, p, self->kb, 0);
	for (f = 0; f < 2; f++) {
		for (b = thp_bad_pid_addr; b->s; b++)
			REQ_RAW(files[f], b->s, b->len, EINVAL, "invalid_input", NULL);
		for (i = 0; i < ARRAY_SIZE(malformed); i++)
			REQ_RAW(files[f], malformed[i].s, malformed[i].len, EINVAL,
				"invalid_input", NULL);
		memset(r, '1', 300);
		REQ_RAW(files[f], r, 300, EINVAL, "invalid_input", NULL);
		for (i = 0; i < ARRAY_SIZE(near_miss); i++) {
			n = snprintf(r, sizeof(r), near_miss[i], me, (unsigned long)p);
			REQ_RAW(files[f], r, n, EINVAL, "invalid_input", NULL);
		}
		/* "0X": refused, or read as hex (pid 1 has nothing at 0x1000) */
		ret = thp_request_raw(files[f], "1:0X1000", 8, res, sizeof(res));
		ASSERT_TRUE(ret == -EINVAL || ret == -EFAULT)
			TH_LOG("%s '1:0X1000': %s, result '%s'", files[f], strerror(-ret), res);
	}
	/* nothing was split, and the module still works */
	STATE(me, p, self->kb, head);
	REQ("split", me, p, 0, "succeeded", NULL);
	REQ("collapse", me, p, 0, "succeeded", NULL);
	STATE(me, p, self->kb, head);
	DATA(p, self->pmd, 0, 0);
}

/* Decimal or hex ADDR anywhere in the range, one trailing newline. */
TEST_F(thp, accepted_request_forms)
{
	size_t pmd = self->pmd;
	pid_t me = getpid();
	int fd = huge_file(_metadata, self, pmd), n;
	char *p = MAP(pmd, RW, MAP_SHARED, fd, 0), r[64];
	uint64_t head;

	thp_fill(p, pmd, 0, 0);
	head = STATE(me, p, self->kb, 0);
	n = snprintf(r, sizeof(r), "%d:%lu", me, (unsigned long)p);
	REQ_RAW("split", r, n, 0, "succeeded", NULL);
	STATE(me, p, 0, head);
	n = snprintf(r, sizeof(r), "%d:0x%lx\n", me, (unsigned long)(p + pmd - 1));
	REQ_RAW("collapse", r, n, 0, "succeeded", NULL);
	STATE(me, p, self->kb, head);
	n = snprintf(r, sizeof(r), "%d:%lu\n", me, (unsigned long)(p + pmd / 2 + 123));
	REQ_RAW("split", r, n, 0, "succeeded", NULL);
	STATE(me, p, 0, head);
	n = snprintf(r, sizeof(r), "%d:0x%lx", me, (unsigned long)(p + self->ps + 1));
	REQ_RAW("collapse", r, n, 0, "succeeded", NULL);
	STATE(me, p, self->kb, head);
	DATA(p, pmd, 0, 0);
}

struct reader {
	const char *p;
	size_t len;
	const int *stop;
	unsigned long passes;
	long bad;		/* first wrong offset, -1 if none */
	pthread_t th;
};

static void *reader_fn(void *arg)
{
	struct reader *r = arg;
	long bad;

	while (!__atomic_load_n(r->stop, __ATOMIC_ACQUIRE)) {
		bad = thp_verify(r->p, r->len, 0, 0);
		if (bad >= 0) {
			__atomic_store_n(&r->bad, bad, __ATOMIC_RELEASE);
			break;
		}
		r->passes++;
	}
	return NULL;
}

/* Two readers check constant contents while the first PMD is split and collapsed for 3 s. */
TEST_F_TIMEOUT(thp, readers_during_split_collapse_loop, 90)
{
	size_t pmd = self->pmd, len = 2 * pmd;
	unsigned long iters = 0, split_ok = 0, collapse_ok = 0, eagain = 0;
	const char *what = "";
	char res[256] = "";
	pid_t me = getpid();
	int fd = huge_file(_metadata, self, len), stop = 0, ret = 0, i;
	char *p = MAP(len, RW, MAP_SHARED, fd, 0);
	struct reader r[2];
	uint64_t head, end;

	thp_fill(p, len, 0, 0);
	head = STATE(me, p, 2 * self->kb, 0);
	for (i = 0; i < 2; i++) {
		r[i] = (struct reader){ .p = p, .len = len, .stop = &stop, .bad = -1 };
		ASSERT_EQ(0, pthread_create(&r[i].th, NULL, reader_fn, &r[i]));
	}
	end = thp_now_ns() + 3000000000ULL;
	while (thp_now_ns() < end) {
		what = "split";
		ret = thp_request(what, me, p, res, sizeof(res));
		if (ret && ret != -EAGAIN)
			break;
		split_ok += !ret;
		eagain += !!ret;
		what = "collapse";
		ret = thp_request(what, me, p, res, sizeof(res));
		if (ret && ret != -EAGAIN)
			break;
		collapse_ok += !ret;
		eagain += !!ret;
		iters++;
		if (__atomic_load_n(&r[0].bad, __ATOMIC_ACQUIRE) >= 0 ||
		    __atomic_load_n(&r[1].bad, __ATOMIC_ACQUIRE) >= 0)
			break;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++)
		pthread_join(r[i].th, NULL);
	ksft_print_msg("%lu iterations: %lu splits, %lu collapses, %lu EAGAIN\n",
		       iters, split_ok, collapse_ok, eagain);
	ksft_print_msg("reader passes: %lu + %lu\n", r[0].passes, r[1].passes);
	ASSERT_TRUE(ret == 0 || ret == -EAGAIN)
		TH_LOG("%s: %s, result '%s'", what, strerror(-ret), res);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(-1, r[i].bad) TH_LOG("reader %d: wrong data at offset %#lx", i, r[i].bad);
	}
	ASSERT_LT(0, split_ok);
	ASSERT_LT(0, collapse_ok);
	ASSERT_LT(0, r[0].passes + r[1].passes);
	REQ("collapse", me, p, 0, "succeeded", "already_pmd_mapped");
	STATE(me, p, 2 * self->kb, head);
	DATA(p, len, 0, 0);
}

struct mutator {
	pthread_t th;
	char *p;
	size_t pmd;
	int fd;
	int *stop;
	unsigned long ops;
	int err;		/* first failing op's errno, 0 if none */
};

/*
 * Change the mm under the requests: VMA split and merge by mprotect, a page
 * zapped by MADV_DONTNEED and refaulted, fork with a child that touches the
 * range and exits, and a page unmapped and mapped again. Data is never
 * written: the file's pattern must survive all of it.
 */
static void *mutator_fn(void *arg)
{
	struct mutator *m = arg;
	size_t pg = getpagesize(), mid = m->pmd / 2;
	volatile char sink;
	pid_t kid;

	while (!__atomic_load_n(m->stop, __ATOMIC_ACQUIRE)) {
		switch (m->ops++ % 4) {
		case 0:
			if (mprotect(m->p + mid, pg, PROT_READ) ||
			    mprotect(m->p + mid, pg, PROT_READ | PROT_WRITE))
				m->err = m->err ?: errno;
			break;
		case 1:
			if (madvise(m->p + mid + pg, pg, MADV_DONTNEED))
				m->err = m->err ?: errno;
			sink = m->p[mid + pg];
			break;
		case 2:
			kid = fork();
			if (!kid) {
				sink = m->p[3 * pg];
				_exit(0);
			}
			if (kid < 0 || waitpid(kid, NULL, 0) != kid)
				m->err = m->err ?: ECHILD;
			break;
		case 3:
			if (munmap(m->p + 2 * pg, pg) ||
			    mmap(m->p + 2 * pg, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
				 m->fd, 2 * pg) != m->p + 2 * pg)
				m->err = m->err ?: errno;
			break;
		}
	}
	(void)sink;
	return NULL;
}

/*
 * mprotect, MADV_DONTNEED, fork and munmap+mmap race split and collapse on
 * the same range. Requests may fail only as a racing change explains
 * (EINVAL while a VMA is split, EFAULT while a page is unmapped, EAGAIN);
 * at the end the range collapses, maps the same THP and holds its data.
 * Bad rss-counter or Bad page at exit would fail the run (the runner reads
 * dmesg).
 */
TEST_F_TIMEOUT(thp, mutators_during_split_collapse_loop, 90)
{
	size_t pmd = self->pmd;
	unsigned long ok = 0, refused = 0;
	const char *what = "";
	char res[256] = "";
	pid_t me = getpid();
	int fd = huge_file(_metadata, self, pmd), stop = 0, ret = 0;
	char *p = MAP(pmd, RW, MAP_SHARED, fd, 0);
	struct mutator m = { .p = p, .pmd = pmd, .fd = fd, .stop = &stop };
	uint64_t head, end;

	thp_fill(p, pmd, 0, 0);
	head = STATE(me, p, self->kb, 0);
	ASSERT_EQ(0, pthread_create(&m.th, NULL, mutator_fn, &m));
	end = thp_now_ns() + 3000000000ULL;
	while (thp_now_ns() < end) {
		what = ok & 1 ? "collapse" : "split";
		ret = thp_request(what, me, p, res, sizeof(res));
		if (ret && ret != -EAGAIN && ret != -EINVAL && ret != -EFAULT)
			break;
		if (ret == -EINVAL && !thp_result_is(res, "vma_range"))
			break;
		ok += !ret;
		refused += !!ret;
		ret = 0;
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(m.th, NULL);
	ksft_print_msg("%lu requests done, %lu refused by a race, %lu mutations\n",
		       ok, refused, m.ops);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s, result '%s'", what, strerror(-ret), res);
	ASSERT_EQ(0, m.err) TH_LOG("mutator: %s", strerror(m.err));
	ASSERT_LT(0, ok);
	REQ("collapse", me, p, 0, "succeeded", "already_pmd_mapped");
	STATE(me, p, self->kb, head);
	DATA(p, pmd, 0, 0);
}

/* The target exits at a random moment while it is split and collapsed in a loop. */
TEST_F_TIMEOUT(thp, target_exits_mid_loop, 180)
{
	size_t pmd = self->pmd;
	unsigned long ops, total = 0;
	unsigned int seed = getpid() ^ time(NULL), delay;
	pid_t me = getpid(), kid;
	int fd = huge_file(_metadata, self, pmd), rd, wr, status, rep, ret;
	char *p = MAP(pmd, RW, MAP_SHARED, fd, 0), res[256];
	uint64_t end;

	thp_fill(p, pmd, 0, 0);
	for (rep = 0; rep < 20; rep++) {
		delay = rand_r(&seed) % 50001;
		kid = kid_fork(_metadata, self, &rd, &wr);
		if (!kid) {
			thp_touch(p, pmd);
			if (write(wr, "r", 1) != 1)
				_exit(2);
			usleep(delay);
			_exit(0);
		}
		ASSERT_EQ('r', recv_byte(rd, 20000)) TH_LOG("rep %d: child not ready", rep);
		ret = 0;
		res[0] = '\0';
		end = thp_now_ns() + 10000000000ULL;
		for (ops = 0; thp_now_ns() < end; ops++) {
			ret = thp_request(ops & 1 ? "collapse" : "split", kid, p, res, sizeof(res));
			if (ret && ret != -EFAULT && ret != -EAGAIN)
				break;
		}
		status = kid_wait(self, kid);
		close(rd);
		close(wr);
		ASSERT_EQ(-ESRCH, ret) TH_LOG("rep %d, request %lu (delay %u us): %s, result '%s'",
					      rep, ops, delay, strerror(-ret), res);
		KID_OK(status);
		total += ops;
	}
	ksft_print_msg("%lu requests over 20 exiting targets\n", total);
	REQ("split", me, p, 0, "succeeded", NULL);
	REQ("collapse", me, p, 0, "succeeded", NULL);
	STATE(me, p, self->kb, 0);
	DATA(p, pmd, 0, 0);
}

TEST_F(thp, stats_count_requests)
{
	static const char *const names[] = {
		"split_ok", "collapse_ok", "collapse_fail", "result_succeeded",
		"result_pte_maps_private_copy",
	};
	static const int grow[] = { 2, 1, 1, 3, 1 };	/* at least */
	long long before[ARRAY_SIZE(names)], now;
	pid_t me = getpid();
	int fd = huge_file(_metadata, self, self->pmd);
	char *s = MAP(self->pmd, RW, MAP_SHARED, fd, 0), *q;
	uint64_t head;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		before[i] = thp_stat(names[i]);
		ASSERT_LE(0, before[i]) TH_LOG("no '%s' in stats", names[i]);
	}
	thp_fill(s, self->pmd, 0, 0);
	REQ("split", me, s, 0, "succeeded", NULL);
	REQ("collapse", me, s, 0, "succeeded", NULL);
	q = private_copy(_metadata, self, fd, &head);
	REQ("collapse", me, q, EBUSY, "pte_maps_private_copy", NULL);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		now = thp_stat(names[i]);
		EXPECT_LE(before[i] + grow[i], now)
			TH_LOG("%s went from %lld to %lld, expected +%d at least", names[i],
			       before[i], now, grow[i]);
	}
}

TEST(request_files)
{
	static const struct {
		const char *name;
		unsigned int mode;
	} files[] = { { "split", 0200 }, { "collapse", 0200 }, { "stats", 0400 } };
	char path[128];
	struct stat st;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), THP_DEBUGFS "/%s", files[i].name);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s: %s", path, strerror(errno));
		EXPECT_EQ(files[i].mode, st.st_mode & 0777) TH_LOG("%s", path);
	}
	ASSERT_EQ(0, stat(THP_ENGINE, &st));
	ASSERT_EQ(0, thp_set_engine("native"));
}

TEST(read_before_write_is_empty)
{
	static const char *const files[] = { "split", "collapse" };
	char path[128], buf[256];
	ssize_t n;
	int i, fd;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), THP_DEBUGFS "/%s", files[i]);
		fd = open(path, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd) TH_LOG("%s: %s", path, strerror(errno));
		n = read(fd, buf, sizeof(buf));
		close(fd);
		ASSERT_EQ(0, n) TH_LOG("%s: read %zd before any write", path, n);
	}
}

/*
 * The "stats" lines are ABI, names and order: every line of the module's
 * one counter list, exactly these, in this order (new ones only at the end
 * of their group, with this list and Documentation/interfaces.rst).
 */
TEST(stats_lines_in_order)
{
	static const char *const names[] = {
		"collapse_ok", "collapse_fail", "split_ok", "split_fail", "result_succeeded",
		"result_already_pmd_mapped", "result_already_pte_mapped",
		"result_invalid_input", "result_no_such_process", "result_no_mm",
		"result_no_ptrace_access", "result_no_vma", "result_not_mapped",
		"result_vma_range", "result_vma_not_file_thp", "result_vma_nohugepage",
		"result_thp_disabled", "result_file_offset_misaligned", "result_uffd_armed",
		"result_page_cache_miss", "result_not_thp", "result_pte_maps_private_copy",
		"result_pte_maps_other_page", "result_pte_not_present", "result_pte_special",
		"result_folio_pinned", "result_folio_locked", "result_pmd_changed",
		"result_mmap_lock_contended", "result_process_exited", "result_queue_full",
		"result_interrupted", "result_no_memory", "result_engine_unavailable",
		"result_kernel_engine_refused", "result_pte_none", "result_folio_shared",
		"result_anon_not_exclusive", "result_pte_bits_differ", "result_folio_state",
		"result_vma_mlocked", "result_anon_not_supported", "result_folio_not_uptodate",
		"result_folio_extra_refs", "queue_len", "queue_added", "queue_dedup",
		"queue_dropped", "worker_collapsed", "worker_retries", "worker_lock_retries",
		"worker_gave_up", "worker_refused", "worker_exited", "worker_wakeups",
		"scan_found", "source_debugfs", "source_scan", "source_hook_khugepaged",
		"source_hook_collapse_failed", "source_hook_uprobe", "queue_entry_size",
		"worker_drains", "worker_drained",
		"uprobe_hooks_installed", "uprobe_ranges", "uprobe_split", "uprobe_restored",
		"uprobe_kernel_recollapsed", "uprobe_enqueued", "autoscan_rounds",
		"autoscan_passes", "autoscan_processes", "autoscan_found", "autoscan_contended",
		"source_autoscan", "takeover_calls", "takeover_taken", "takeover_raced",
		"takeover_passed_order", "takeover_passed_vma", "takeover_passed_table",
		"takeover_passed_ptes", "takeover_passed_folio", "takeover_passed_shared",
		"takeover_passed_refs", "takeover_inflight",
	};
	char buf[8192], *line, *save = NULL;
	size_t i = 0;
	ssize_t n;

	n = thp_read_file(THP_DEBUGFS "/stats", buf, sizeof(buf));
	ASSERT_LT(0, n);
	ASSERT_GT((ssize_t)sizeof(buf) - 1, n) TH_LOG("stats larger than the buffer");
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		size_t len = strcspn(line, " ");

		ASSERT_GT(ARRAY_SIZE(names), i) TH_LOG("extra line '%s'", line);
		EXPECT_TRUE(len == strlen(names[i]) && !strncmp(line, names[i], len))
			TH_LOG("line %zu: '%s', expected '%s'", i + 1, line, names[i]);
	}
	EXPECT_EQ(ARRAY_SIZE(names), i);
}

TEST_HARNESS_MAIN
