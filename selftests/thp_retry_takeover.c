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
#include <sys/wait.h>

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
