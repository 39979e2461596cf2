// SPDX-License-Identifier: GPL-2.0
/*
 * thp_retry_takeover - takeover=1: the kernel's own anonymous collapses
 * (MADV_COLLAPSE, khugepaged) of a pte-mapped THP done in place.
 *
 *  - MADV_COLLAPSE of a range made pte-mapped by mprotect-and-back returns
 *    0, and the range is one PMD-mapped THP (AnonHugePages) at the same
 *    PFNs (pagemap) with the same contents, and no 2 MiB copy was made
 *    (thp_collapse_alloc in /proc/vmstat); takeover_taken counts it;
 *  - with takeover=0 the same MADV_COLLAPSE copies (a new PFN): the
 *    kernel's behaviour, unchanged;
 *  - a folio shared with a forked child is the kernel's (7.x:
 *    takeover_passed_shared; 6.x refuses it before): both processes keep
 *    their contents;
 *  - khugepaged itself (scan_sleep_millisecs=10) collapses a pte-mapped
 *    range in place;
 *  - ranges the engine does not take are the kernel's, untouched: a page
 *    held by a pipe (vmsplice), a page pinned by io_uring's fixed buffers
 *    (FOLL_PIN | FOLL_LONGTERM), a uffd-wp write-protected page, an
 *    mlocked VMA. MADV_COLLAPSE returns the same with takeover=1 as with
 *    takeover=0, leaves the range as PMD- or PTE-mapped and at the same or
 *    a new PFN in both, takeover_taken does not move, no byte changes.
 *    (Swap entries: the guest has no swap; the handler passes any
 *    non-present PTE, takeover_passed_ptes.);
 *  - turning takeover on and off while another thread writes and collapses
 *    a range in a loop: every MADV_COLLAPSE returns 0, EAGAIN or ENOMEM, no
 *    byte changes, and no redirected call is left in flight;
 *  - bad values are refused with EINVAL.
 *
 * The guest runs this test in a single-threaded QEMU on x86_64 (it flips an
 * ftrace site in a loop, see vm/run-target.sh).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/io_uring.h>
#include <linux/userfaultfd.h>

#include "kselftest_harness.h"
#include "thp_retry_util.h"

/* FIXTURE_TEARDOWN_PARENT(): see thp_retry_collapse.c on -Wclobbered */
#pragma GCC diagnostic ignored "-Wclobbered"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

#define RW		(PROT_READ | PROT_WRITE)
#define KHD		THP_SYSFS "/khugepaged/"

FIXTURE(to)
{
	char khd_sleep[32];
	char saved[16];
	size_t ps, pmd, nr;
	long kb;
	pid_t me, kid;
};

static void to_cleanup(FIXTURE_DATA(to) *self)
{
	thp_kill_reap(&self->kid);
	if (self->saved[0])
		thp_param_set("takeover", self->saved);
	thp_khugepaged_resume(self->khd_sleep);
}

FIXTURE_SETUP(to)
{
	char feats[512];

	ASSERT_LT(0, thp_read_file(THP_DEBUGFS "/features", feats, sizeof(feats)));
	if (!strstr(feats, "takeover enabled"))
		SKIP(return, "takeover feature: %s", feats);
	self->pmd = thp_pmd_size();
	ASSERT_LT(0, (long)self->pmd);
	self->ps = sysconf(_SC_PAGESIZE);
	self->nr = self->pmd / self->ps;
	self->kb = self->pmd / 1024;
	self->me = getpid();
	ASSERT_EQ(0, thp_param_get("takeover", self->saved, sizeof(self->saved)));
	/* khugepaged must not collapse (copy) our ranges behind our back */
	thp_khugepaged_pause(self->khd_sleep, sizeof(self->khd_sleep));
	ASSERT_EQ(0, thp_param_set("takeover", "1"));
}

FIXTURE_TEARDOWN_PARENT(to)
{
	to_cleanup(self);
}

/* A PMD-aligned anonymous THP filled with generation @gen, then pte-mapped. */
static char *pte_mapped_thp(struct __test_metadata *_metadata, FIXTURE_DATA(to) *self,
			    unsigned int gen, uint64_t *head)
{
	char *p = thp_map_aligned(self->pmd, self->pmd, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char why[160];

	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_EQ(0, madvise(p, self->pmd, MADV_HUGEPAGE));
	thp_fill(p, self->pmd, 0, gen);
	if (thp_smaps_kb(self->me, p, "AnonHugePages") < self->kb)
		SKIP(return NULL, "the kernel gave no anonymous THP");
	ASSERT_TRUE(thp_range_is_thp(self->me, p, self->nr, head, why, sizeof(why)))
		TH_LOG("%s", why);
	/* the PMD is split, the folio kept */
	ASSERT_EQ(0, mprotect(p + 3 * self->ps, 5 * self->ps, PROT_READ));
	ASSERT_EQ(0, mprotect(p + 3 * self->ps, 5 * self->ps, RW));
	ASSERT_EQ(0, thp_smaps_kb(self->me, p, "AnonHugePages"));
	return p;
}

#define PTE_MAPPED(gen, head) ({ char *__p = pte_mapped_thp(_metadata, self, gen, head); \
	if (!__p) \
		return; \
	__p; })

/* The range at @p is one PMD-mapped THP; its head PFN. */
static uint64_t pmd_thp(struct __test_metadata *_metadata, FIXTURE_DATA(to) *self, char *p)
{
	uint64_t head = 0;
	char why[160];

	ASSERT_EQ(self->kb, thp_smaps_kb(self->me, p, "AnonHugePages"));
	ASSERT_TRUE(thp_range_is_thp(self->me, p, self->nr, &head, why, sizeof(why)))
		TH_LOG("%s", why);
	return head;
}

#define DATA(p, gen) do { \
	long __bad = thp_verify(p, self->pmd, 0, gen); \
	ASSERT_LT(__bad, 0) TH_LOG("contents differ at offset %#lx", __bad); \
} while (0)

TEST_F(to, madv_collapse_in_place)
{
	long long taken = thp_stat("takeover_taken"), copies = thp_vmstat("thp_collapse_alloc");
	uint64_t head, now;
	char *p = PTE_MAPPED(1, &head);

	ASSERT_EQ(0, madvise(p, self->pmd, MADV_COLLAPSE)) TH_LOG("%s", strerror(errno));
	now = pmd_thp(_metadata, self, p);
	ASSERT_EQ(head, now) TH_LOG("moved: pfn %#llx, was %#llx", (unsigned long long)now,
				    (unsigned long long)head);
	DATA(p, 1);
	ASSERT_EQ(copies, thp_vmstat("thp_collapse_alloc"));
	ASSERT_EQ(taken + 1, thp_stat("takeover_taken"));
	/* and it is an ordinary THP: written, then unmapped */
	thp_fill(p, self->pmd, 0, 2);
	DATA(p, 2);
	ASSERT_EQ(0, munmap(p, self->pmd));
}

TEST_F(to, off_the_kernel_copies)
{
	long long calls = thp_stat("takeover_calls");
	uint64_t head, now;
	char *p = PTE_MAPPED(3, &head);

	ASSERT_EQ(0, thp_param_set("takeover", "0"));
	if (madvise(p, self->pmd, MADV_COLLAPSE))
		SKIP(return, "MADV_COLLAPSE: %s (no free THP to copy into?)", strerror(errno));
	now = pmd_thp(_metadata, self, p);
	ASSERT_NE(head, now) TH_LOG("the kernel's collapse kept pfn %#llx",
				    (unsigned long long)head);
	DATA(p, 3);
	ASSERT_EQ(calls, thp_stat("takeover_calls"));
	ASSERT_EQ(0, munmap(p, self->pmd));
}

TEST_F(to, shared_with_a_child_is_the_kernels)
{
	long long shared = thp_stat("takeover_passed_shared"), taken = thp_stat("takeover_taken");
	int go[2], st, ret;
	uint64_t head;
	pid_t kid;
	char *p = PTE_MAPPED(4, &head), c;

	ASSERT_EQ(0, pipe(go));
	kid = fork();
	ASSERT_LE(0, kid);
	if (!kid) {
		/* keeps the folio shared until the parent is done, then checks */
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(thp_verify(p, self->pmd, 0, 4) < 0 ? 0 : 1);
	}
	self->kid = kid;	/* self is shared: only the parent sets it */
	close(go[0]);
	/*
	 * 6.x: fork() left every PTE read-only, and the kernel's scan refuses
	 * before it calls collapse_huge_page() (SCAN_PAGE_RO: EINVAL); 7.x
	 * calls it and the handler passes (shared), the kernel copies.
	 */
	ret = madvise(p, self->pmd, MADV_COLLAPSE);
	ASSERT_TRUE(!ret || errno == EAGAIN || errno == ENOMEM || errno == EINVAL)
		TH_LOG("%s", strerror(errno));
	ksft_print_msg("MADV_COLLAPSE: %s, takeover_passed_shared +%lld\n",
		       ret ? strerror(errno) : "0", thp_stat("takeover_passed_shared") - shared);
	ASSERT_EQ(taken, thp_stat("takeover_taken"));
	DATA(p, 4);
	thp_fill(p, self->pmd, 0, 5);
	ASSERT_EQ(1, write(go[1], "x", 1));
	close(go[1]);
	ASSERT_EQ(kid, waitpid(kid, &st, 0));
	self->kid = 0;
	ASSERT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st)) TH_LOG("the child's copy changed");
	DATA(p, 5);
}

TEST_F(to, khugepaged_in_place)
{
	long long taken = thp_stat("takeover_taken");
	char scan[32] = "";
	uint64_t head, now;
	char *p = PTE_MAPPED(6, &head);
	int i;

	thp_read_file(KHD "pages_to_scan", scan, sizeof(scan));
	scan[strcspn(scan, "\n")] = '\0';
	ASSERT_EQ(0, thp_write_file(KHD "pages_to_scan", "65536"));
	ASSERT_EQ(0, thp_write_file(THP_KHD_SLEEP, "10"));
	for (i = 0; i < 600 && thp_smaps_kb(self->me, p, "AnonHugePages") < self->kb; i++) {
		thp_touch(p, self->pmd);	/* young PTEs: khugepaged wants them */
		usleep(50 * 1000);
	}
	ASSERT_EQ(0, thp_write_file(THP_KHD_SLEEP, "3600000"));
	if (scan[0])
		thp_write_file(KHD "pages_to_scan", scan);
	now = pmd_thp(_metadata, self, p);
	ASSERT_EQ(head, now) TH_LOG("khugepaged moved it: pfn %#llx, was %#llx",
				    (unsigned long long)now, (unsigned long long)head);
	DATA(p, 6);
	ASSERT_LT(taken, thp_stat("takeover_taken"));
}

/* What MADV_COLLAPSE made of a range the engine does not take. */
struct outcome {
	int err;		/* its errno, 0 */
	bool pmd;		/* PMD-mapped after */
	bool moved;		/* ... at another PFN */
	long long taken;	/* takeover_taken's change */
};

enum holder { H_VMSPLICE, H_PIN, H_UFFD_WP, H_MLOCK };

/* Hold the range at @p as @h says; 0, or a reason to skip. */
static const char *hold(FIXTURE_DATA(to) *self, enum holder h, char *p, int fds[2])
{
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_PAGEFAULT_FLAG_WP };
	struct uffdio_register reg = { 0 };
	struct uffdio_writeprotect wp = { 0 };
	struct io_uring_params up = { 0 };
	struct iovec iov = { p + 9 * self->ps, self->ps };

	fds[0] = fds[1] = -1;
	switch (h) {
	case H_VMSPLICE:
		if (pipe(fds) || vmsplice(fds[1], &iov, 1, 0) != (ssize_t)self->ps)
			return "vmsplice";
		return NULL;
	case H_PIN:
		fds[0] = syscall(__NR_io_uring_setup, 1, &up);
		if (fds[0] < 0)
			return "io_uring_setup";
		if (syscall(__NR_io_uring_register, fds[0], IORING_REGISTER_BUFFERS, &iov, 1))
			return "IORING_REGISTER_BUFFERS";
		return NULL;
	case H_UFFD_WP:
		fds[0] = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
		if (fds[0] < 0 || ioctl(fds[0], UFFDIO_API, &api))
			return "userfaultfd with write-protect";
		reg.range.start = (unsigned long)p;
		reg.range.len = self->pmd;
		reg.mode = UFFDIO_REGISTER_MODE_WP;
		if (ioctl(fds[0], UFFDIO_REGISTER, &reg))
			return "UFFDIO_REGISTER_MODE_WP";
		wp.range.start = (unsigned long)p + 9 * self->ps;
		wp.range.len = self->ps;
		wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
		if (ioctl(fds[0], UFFDIO_WRITEPROTECT, &wp))
			return "UFFDIO_WRITEPROTECT";
		return NULL;
	case H_MLOCK:
		return mlock(p, self->pmd) ? "mlock" : NULL;
	}
	return "?";
}

/* One round: a pte-mapped THP, held, MADV_COLLAPSE with takeover @on. */
static const char *fall_through(struct __test_metadata *_metadata, FIXTURE_DATA(to) *self,
				enum holder h, bool on, struct outcome *o)
{
	long long taken = thp_stat("takeover_taken");
	const char *skip;
	uint64_t head, now = 0;
	char why[160];
	int fds[2];
	char *p;

	ASSERT_EQ(0, thp_param_set("takeover", on ? "1" : "0"));
	p = pte_mapped_thp(_metadata, self, 8, &head);
	if (!p)
		return "no THP";
	skip = hold(self, h, p, fds);
	if (!skip) {
		o->err = madvise(p, self->pmd, MADV_COLLAPSE) ? errno : 0;
		o->pmd = thp_smaps_kb(self->me, p, "AnonHugePages") == self->kb;
		o->moved = o->pmd && thp_range_is_thp(self->me, p, self->nr, &now, why,
						      sizeof(why)) && now != head;
		o->taken = thp_stat("takeover_taken") - taken;
		DATA(p, 8);
	}
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	munmap(p, self->pmd);
	return skip;
}

static void same_as_the_kernel(struct __test_metadata *_metadata, FIXTURE_DATA(to) *self,
			       enum holder h)
{
	struct outcome with = { 0 }, without = { 0 };
	const char *skip = fall_through(_metadata, self, h, true, &with);

	if (skip)
		SKIP(return, "%s: %s", skip, strerror(errno));
	skip = fall_through(_metadata, self, h, false, &without);
	if (skip)
		return;
	ksft_print_msg("MADV_COLLAPSE: takeover=1: %s, %s%s; takeover=0: %s, %s%s\n",
		       strerror(with.err), with.pmd ? "PMD" : "PTEs", with.moved ? " (moved)" : "",
		       strerror(without.err), without.pmd ? "PMD" : "PTEs",
		       without.moved ? " (moved)" : "");
	/* not collapsed by the module, in place or otherwise */
	ASSERT_EQ(0, with.taken);
	ASSERT_FALSE(with.pmd && !with.moved);
	/*
	 * The kernel refuses a held page before it allocates: the same answer
	 * both times. An mlocked range it copies, where it finds a free block.
	 */
	if (h == H_MLOCK)
		return;
	ASSERT_EQ(without.err, with.err);
	ASSERT_EQ(without.pmd, with.pmd);
	ASSERT_EQ(without.moved, with.moved);
}

TEST_F(to, vmspliced_page_is_the_kernels)
{
	same_as_the_kernel(_metadata, self, H_VMSPLICE);
}

TEST_F(to, pinned_page_is_the_kernels)
{
	same_as_the_kernel(_metadata, self, H_PIN);
}

TEST_F(to, uffd_wp_page_is_the_kernels)
{
	same_as_the_kernel(_metadata, self, H_UFFD_WP);
}

TEST_F(to, mlocked_vma_is_the_kernels)
{
	same_as_the_kernel(_metadata, self, H_MLOCK);
}

struct loop_arg {
	FIXTURE_DATA(to) *self;
	volatile bool stop;
	int rounds, bad_errno, bad_data;
};

static void *collapse_loop(void *a)
{
	struct loop_arg *la = a;
	FIXTURE_DATA(to) *self = la->self;
	char *p = thp_map_aligned(self->pmd, self->pmd, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, self->pmd, MADV_HUGEPAGE);
	thp_fill(p, self->pmd, 0, 7);
	while (!la->stop) {
		/* written as a workload would: a read-only range is not collapsed */
		thp_fill(p, self->pmd, 0, 7);
		mprotect(p + 3 * self->ps, 5 * self->ps, PROT_READ);
		mprotect(p + 3 * self->ps, 5 * self->ps, RW);
		if (madvise(p, self->pmd, MADV_COLLAPSE) && errno != EAGAIN && errno != ENOMEM)
			la->bad_errno = errno;
		if (thp_verify(p, self->pmd, 0, 7) >= 0)
			la->bad_data++;
		la->rounds++;
	}
	munmap(p, self->pmd);
	return NULL;
}

TEST_F(to, toggled_while_collapsing)
{
	struct loop_arg la = { .self = self };
	long long taken = thp_stat("takeover_taken");
	pthread_t t;
	int i;

	ASSERT_EQ(0, pthread_create(&t, NULL, collapse_loop, &la));
	for (i = 0; i < 40; i++) {
		ASSERT_EQ(0, thp_param_set("takeover", i & 1 ? "1" : "0"));
		usleep(20 * 1000);
	}
	la.stop = true;
	pthread_join(t, NULL);
	ksft_print_msg("%d collapses, takeover_taken %lld, raced %lld\n", la.rounds,
		       thp_stat("takeover_taken"), thp_stat("takeover_raced"));
	ASSERT_LT(0, la.rounds);
	ASSERT_LT(taken, thp_stat("takeover_taken")) TH_LOG("nothing was taken over");
	ASSERT_EQ(0, la.bad_errno) TH_LOG("MADV_COLLAPSE: %s", strerror(la.bad_errno));
	ASSERT_EQ(0, la.bad_data);
	ASSERT_EQ(0, thp_stat("takeover_inflight"));
}

TEST_F(to, bad_values)
{
	char v[16];

	ASSERT_EQ(-EINVAL, thp_param_set("takeover", "2"));
	ASSERT_EQ(-EINVAL, thp_param_set("takeover", "x"));
	ASSERT_EQ(0, thp_param_get("takeover", v, sizeof(v)));
	ASSERT_EQ('Y', v[0]);
}

TEST_HARNESS_MAIN
