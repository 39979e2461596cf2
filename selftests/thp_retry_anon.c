// SPDX-License-Identifier: GPL-2.0
/*
 * thp_retry_anon - in-place collapse of pte-mapped anonymous THPs.
 *
 * A private anonymous THP becomes PTE-mapped when part of it changes VMA
 * and back (mprotect, mlock) or when "split" is asked for; the folio stays
 * whole. "collapse" (engine=native) maps it by one PMD again, in place:
 *
 *  - after mprotect-and-back, mlock+munlock of a sub-range, MADV_COLD on a
 *    sub-range (which may split the folio: then it is refused, not_thp) and
 *    a module split: AnonHugePages counts the range, every subpage keeps its
 *    PFN (pagemap), the contents are intact; then a write, fork() + CoW in
 *    both directions, MADV_DONTNEED of a sub-range and munmap behave;
 *  - refusals, nothing changed: a subpage zapped (pte_none) and refaulted
 *    (another page), shared with a forked child (folio_shared; collapses
 *    once the child has exited), a page held by a pipe (vmsplice:
 *    folio_extra_refs, EAGAIN; collapses once the pipe is drained), userfaultfd
 *    registered (uffd_armed), an mlocked VMA (vma_mlocked);
 *  - engine=kernel answers anon_not_supported (EOPNOTSUPP), and the native
 *    result equals what MADV_COLLAPSE makes of an identical range (same
 *    contents, PMD-mapped), except that MADV_COLLAPSE moves it;
 *  - "scan" finds a pte-mapped anonymous THP and the worker collapses it;
 *  - a thread writing the range all along while it is split and collapsed
 *    in a loop loses no write.
 * Every "collapse" request is "explain"ed first and must return the result
 * explain said it would. Swap is not set up in the guest, so the swapped-out subpage case is not
 * run (the code refuses any non-present PTE: pte_not_present).
 *
 * Needs root, debugfs, thp_retry loaded and anonymous THPs available
 * (transparent_hugepage=madvise or always); a test skips when the kernel
 * hands out no THP.
 */
#define _GNU_SOURCE
/* FIXTURE_TEARDOWN_PARENT(): see thp_retry_collapse.c on -Wclobbered */
#pragma GCC diagnostic ignored "-Wclobbered"
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <linux/userfaultfd.h>

#include "kselftest_harness.h"
#include "thp_retry_util.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif
#ifndef MADV_COLD
#define MADV_COLD	20
#endif

#define MAX_KIDS	2
#define RW		(PROT_READ | PROT_WRITE)

FIXTURE(anon)
{
	char khd_sleep[32];	/* saved khugepaged scan_sleep_millisecs */
	size_t ps, pmd, nr;
	long kb;
	pid_t me;
	pid_t kids[MAX_KIDS];
};

FIXTURE_SETUP(anon)
{
	long pmd = thp_pmd_size();
	int ret;

	ASSERT_LT(0, pmd) TH_LOG("cannot read hpage_pmd_size");
	self->ps = sysconf(_SC_PAGESIZE);
	self->pmd = pmd;
	self->nr = pmd / self->ps;
	self->kb = pmd / 1024;
	self->me = getpid();
	ret = thp_set_engine("native");
	ASSERT_EQ(0, ret) TH_LOG("engine=native: %s", strerror(-ret));
	/* khugepaged must not collapse (copy) our ranges behind our back */
	thp_khugepaged_pause(self->khd_sleep, sizeof(self->khd_sleep));
}

FIXTURE_TEARDOWN_PARENT(anon)
{
	int i;

	for (i = 0; i < MAX_KIDS; i++)
		thp_kill_reap(&self->kids[i]);
	thp_set_engine("native");
	thp_khugepaged_resume(self->khd_sleep);
}

#define kid_fork(md, self, rd, wr)	thp_kid_fork(md, (self)->kids, MAX_KIDS, rd, wr)
#define kid_wait(self, pid)		thp_kid_wait((self)->kids, MAX_KIDS, pid)

/*
 * A request; ASSERTs the errno (0: success) and the result's first word. A
 * collapse is explained first and must return what explain said it would.
 */
static void areq(struct __test_metadata *_metadata, int line, const char *file, pid_t pid,
		 const void *addr, int err, const char *word, const char *word2)
{
	char res[256];
	int ret;

	if (!strcmp(file, "collapse"))
		ret = thp_explained_collapse(_metadata, line, pid, addr, res, sizeof(res));
	else
		ret = thp_request(file, pid, addr, res, sizeof(res));
	ASSERT_EQ(-err, ret) TH_LOG("line %d: %s %d:%p: %s, expected %s; result '%s'", line, file,
				    pid, addr, strerror(-ret), strerror(err), res);
	ASSERT_TRUE(thp_result_is(res, word) || (word2 && thp_result_is(res, word2)))
		TH_LOG("line %d: %s %d:%p: result '%s', expected %s", line, file, pid, addr,
		       res, word);
}

#define REQ(file, addr, err, word) \
	areq(_metadata, __LINE__, file, self->me, addr, err, word, NULL)
#define REQ2(file, addr, err, word, word2) \
	areq(_metadata, __LINE__, file, self->me, addr, err, word, word2)

/*
 * A PMD-aligned private anonymous THP of @n PMDs, filled with the pattern
 * of generation @gen; skips the test when the kernel gives no THP.
 */
static char *anon_thp(struct __test_metadata *_metadata, FIXTURE_DATA(anon) *self, size_t n,
		      unsigned int gen)
{
	char *p = thp_map_aligned(n * self->pmd, self->pmd, RW, MAP_PRIVATE | MAP_ANONYMOUS,
				  -1, 0);

	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_EQ(0, madvise(p, n * self->pmd, MADV_HUGEPAGE));
	thp_fill(p, n * self->pmd, 0, gen);
	if (thp_smaps_kb(self->me, p, "AnonHugePages") < (long)n * self->kb)
		SKIP(return NULL, "the kernel gave no anonymous THP (%ld kB)",
		     thp_smaps_kb(self->me, p, "AnonHugePages"));
	return p;
}

#define ANON_THP(n, gen) ({ char *__p = anon_thp(_metadata, self, n, gen); \
	if (!__p) \
		return; \
	__p; })

/* The range at @p is one whole THP (same head as @head if set); its head. */
static uint64_t thp_head(struct __test_metadata *_metadata, int line, FIXTURE_DATA(anon) *self,
			 const void *p, uint64_t head)
{
	uint64_t got = 0;
	char why[160];

	ASSERT_TRUE(thp_range_is_thp(self->me, p, self->nr, &got, why, sizeof(why)))
		TH_LOG("line %d: %p not one whole THP: %s", line, p, why);
	if (head)
		ASSERT_EQ(head, got) TH_LOG("line %d: %p: THP at pfn %#llx, was %#llx (moved)",
					    line, p, (unsigned long long)got,
					    (unsigned long long)head);
	return got;
}

#define HEAD(p, head)	thp_head(_metadata, __LINE__, self, p, head)

/* AnonHugePages of the VMA at @p is @kb. */
#define AHP(p, kb_) do { \
	long __k = thp_smaps_kb(self->me, p, "AnonHugePages"); \
	ASSERT_EQ((long)(kb_), __k) TH_LOG("AnonHugePages %ld kB, expected %ld kB", __k, \
					   (long)(kb_)); \
} while (0)

/* The pattern of generation @gen over [@p, @p + @len) (offsets from @base). */
#define DATA(base, p, len, gen) do { \
	long __bad = thp_verify(p, len, (char *)(p) - (char *)(base), gen); \
	ASSERT_LT(__bad, 0) TH_LOG("contents differ at offset %#lx (gen %u)", \
				   (long)((char *)(p) - (char *)(base)) + __bad, gen); \
} while (0)

/* mprotect a sub-range read-only and back: the PMD is split, the folio kept. */
static void pte_map_mprotect(struct __test_metadata *_metadata, FIXTURE_DATA(anon) *self,
			     char *p)
{
	long before = thp_smaps_kb(self->me, p, "AnonHugePages");

	ASSERT_EQ(0, mprotect(p + 3 * self->ps, 5 * self->ps, PROT_READ));
	ASSERT_EQ(0, mprotect(p + 3 * self->ps, 5 * self->ps, RW));
	ASSERT_EQ(before - self->kb, thp_smaps_kb(self->me, p, "AnonHugePages"));
}

#define PTE_MAP(p)	pte_map_mprotect(_metadata, self, p)

/* The round trip every "made pte-mapped by X" test ends with. */
static void collapse_and_use(struct __test_metadata *_metadata, FIXTURE_DATA(anon) *self,
			     char *p, uint64_t head)
{
	size_t ps = self->ps, i;
	int rd, wr, st;
	pid_t kid;

	REQ("collapse", p, 0, "succeeded");
	AHP(p, self->kb);
	HEAD(p, head);
	DATA(p, p, self->pmd, 1);
	REQ("collapse", p, 0, "already_pmd_mapped");

	/* a later write lands in the same THP */
	thp_fill(p + 10 * ps, ps, 10 * ps, 2);
	DATA(p, p + 10 * ps, ps, 2);
	HEAD(p, head);

	/* fork + CoW both ways */
	kid = kid_fork(_metadata, self, &rd, &wr);
	if (!kid) {
		bool ok = thp_verify(p + 10 * ps, ps, 10 * ps, 2) < 0 &&
			  thp_verify(p, 10 * ps, 0, 1) < 0;

		thp_fill(p + 20 * ps, ps, 20 * ps, 3);
		ok = ok && thp_verify(p + 20 * ps, ps, 20 * ps, 3) < 0;
		_exit(ok ? 0 : 1);
	}
	close(rd);
	close(wr);
	st = kid_wait(self, kid);
	KID_OK(st);
	DATA(p, p + 20 * ps, ps, 1);	/* the child's write is its own */
	thp_fill(p + 30 * ps, ps, 30 * ps, 4);
	DATA(p, p + 30 * ps, ps, 4);
	DATA(p, p + 40 * ps, self->pmd - 40 * ps, 1);

	/* MADV_DONTNEED of a sub-range: zeros there, the rest intact */
	ASSERT_EQ(0, madvise(p + 64 * ps, 8 * ps, MADV_DONTNEED));
	for (i = 64 * ps; i < 72 * ps; i++)
		ASSERT_EQ(0, p[i]) TH_LOG("byte %#zx not zero after MADV_DONTNEED", i);
	DATA(p, p + 72 * ps, self->pmd - 72 * ps, 1);
	AHP(p, 0);
	ASSERT_EQ(0, munmap(p, self->pmd));
}

#define COLLAPSE_AND_USE(p, head)	collapse_and_use(_metadata, self, p, head)

TEST_F(anon, mprotect_and_back)
{
	char *p = ANON_THP(1, 1);
	uint64_t head = HEAD(p, 0);

	PTE_MAP(p);
	HEAD(p, head);
	COLLAPSE_AND_USE(p, head);
}

TEST_F(anon, mlock_sub_range_and_munlock)
{
	char *p = ANON_THP(1, 1);
	uint64_t head = HEAD(p, 0);

	ASSERT_EQ(0, mlock(p + 100 * self->ps, 20 * self->ps));
	ASSERT_EQ(0, munlock(p + 100 * self->ps, 20 * self->ps));
	AHP(p, 0);
	HEAD(p, head);
	COLLAPSE_AND_USE(p, head);
}

TEST_F(anon, module_split)
{
	char *p = ANON_THP(1, 1);
	uint64_t head = HEAD(p, 0);

	REQ("split", p, 0, "succeeded");
	AHP(p, 0);
	HEAD(p, head);
	COLLAPSE_AND_USE(p, head);
}

/*
 * MADV_COLD on a sub-range of a PMD-mapped THP makes both kernels split the
 * folio itself (madvise_cold_or_pageout_pte_range(): split_folio()): there
 * is no THP left to collapse, and the refusal says so. If the split failed
 * (the folio busy), the THP is whole and PTE-mapped: it collapses.
 */
TEST_F(anon, madv_cold_sub_range)
{
	char *p = ANON_THP(1, 1);
	uint64_t head = HEAD(p, 0), got;
	char why[160];

	ASSERT_EQ(0, madvise(p + 16 * self->ps, 16 * self->ps, MADV_COLD));
	DATA(p, p, self->pmd, 1);
	if (thp_range_is_thp(self->me, p, self->nr, &got, why, sizeof(why))) {
		ksft_print_msg("MADV_COLD left the THP whole (%s)\n",
			       thp_smaps_kb(self->me, p, "AnonHugePages") ? "PMD" : "PTEs");
		if (!thp_smaps_kb(self->me, p, "AnonHugePages"))
			COLLAPSE_AND_USE(p, head);
		return;
	}
	ksft_print_msg("MADV_COLD split the folio: %s\n", why);
	REQ("collapse", p, EBUSY, "not_thp");
	DATA(p, p, self->pmd, 1);
}

TEST_F(anon, refused_subpage_zapped_then_refaulted)
{
	char *p = ANON_THP(1, 1);
	uint64_t head = HEAD(p, 0);

	PTE_MAP(p);
	ASSERT_EQ(0, madvise(p + 7 * self->ps, self->ps, MADV_DONTNEED));
	/* 6.12 also flags the folio partially mapped (deferred split) */
	REQ2("collapse", p, EBUSY, "pte_none", "folio_state");
	p[7 * self->ps] = 1;		/* refault: a new small page */
	REQ2("collapse", p, EBUSY, "pte_maps_other_page", "folio_state");
	AHP(p, 0);
	DATA(p, p, 7 * self->ps, 1);
	DATA(p, p + 8 * self->ps, self->pmd - 8 * self->ps, 1);
	ASSERT_EQ(1, p[7 * self->ps]);
	(void)head;
}

TEST_F(anon, refused_while_shared_with_child)
{
	char *p = ANON_THP(1, 1);
	uint64_t head = HEAD(p, 0);
	int rd, wr, st;
	pid_t kid;

	PTE_MAP(p);
	kid = kid_fork(_metadata, self, &rd, &wr);
	if (!kid) {
		char c;

		/* hold the mapping until the parent says so, then check it */
		if (read(rd, &c, 1) != 1)
			_exit(2);
		_exit(thp_verify(p, self->pmd, 0, 1) < 0 ? 0 : 1);
	}
	REQ("collapse", p, EBUSY, "folio_shared");
	AHP(p, 0);
	ASSERT_EQ(1, write(wr, "x", 1));
	st = kid_wait(self, kid);
	close(rd);
	close(wr);
	KID_OK(st);
	/* the child is gone: the folio is ours alone again (read-only PTEs) */
	REQ("collapse", p, 0, "succeeded");
	AHP(p, self->kb);
	HEAD(p, head);
	DATA(p, p, self->pmd, 1);
	/* the first write reuses the folio: no copy */
	thp_fill(p, self->ps, 0, 5);
	DATA(p, p, self->ps, 5);
	DATA(p, p + self->ps, self->pmd - self->ps, 1);
	HEAD(p, head);
}

TEST_F(anon, refused_while_vmspliced)
{
	char *p = ANON_THP(1, 1), *buf;
	uint64_t head = HEAD(p, 0);
	struct iovec iov;
	int pipefd[2];
	ssize_t n;

	PTE_MAP(p);
	ASSERT_EQ(0, pipe(pipefd));
	iov.iov_base = p + 9 * self->ps;
	iov.iov_len = self->ps;
	n = vmsplice(pipefd[1], &iov, 1, 0);
	ASSERT_EQ((ssize_t)self->ps, n) TH_LOG("vmsplice: %s", strerror(errno));
	/* a reference, not a FOLL_PIN: transient, EAGAIN (retried by the worker) */
	REQ("collapse", p, EAGAIN, "folio_extra_refs");
	AHP(p, 0);
	buf = malloc(self->ps);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ((ssize_t)self->ps, read(pipefd[0], buf, self->ps));
	ASSERT_EQ(0, memcmp(buf, p + 9 * self->ps, self->ps));
	free(buf);
	close(pipefd[0]);
	close(pipefd[1]);
	REQ("collapse", p, 0, "succeeded");
	AHP(p, self->kb);
	HEAD(p, head);
	DATA(p, p, self->pmd, 1);
}

TEST_F(anon, refused_with_userfaultfd)
{
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_PAGEFAULT_FLAG_WP };
	struct uffdio_register reg = { 0 };
	char *p = ANON_THP(1, 1);
	int uffd;

	PTE_MAP(p);
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s", strerror(errno));
	if (ioctl(uffd, UFFDIO_API, &api)) {
		/* no uffd-wp on this kernel/arch: missing-mode registration */
		close(uffd);
		uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
		ASSERT_LE(0, uffd);
		/* the failed call zeroed the struct */
		api.api = UFFD_API;
		api.features = 0;
		ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api)) TH_LOG("UFFDIO_API: %s",
								  strerror(errno));
	}
	reg.range.start = (unsigned long)p;
	reg.range.len = self->pmd;
	reg.mode = api.features & UFFD_FEATURE_PAGEFAULT_FLAG_WP ? UFFDIO_REGISTER_MODE_WP :
		   UFFDIO_REGISTER_MODE_MISSING;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg)) TH_LOG("UFFDIO_REGISTER: %s",
								 strerror(errno));
	ksft_print_msg("registered in %s mode\n",
		       reg.mode == UFFDIO_REGISTER_MODE_WP ? "wp" : "missing");
	REQ("collapse", p, EBUSY, "uffd_armed");
	AHP(p, 0);
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_UNREGISTER, &reg.range));
	close(uffd);
	REQ("collapse", p, 0, "succeeded");
	AHP(p, self->kb);
	DATA(p, p, self->pmd, 1);
}

TEST_F(anon, refused_in_mlocked_vma)
{
	char *p = ANON_THP(1, 1);

	PTE_MAP(p);
	ASSERT_EQ(0, mlock(p, self->pmd));
	REQ("collapse", p, EINVAL, "vma_mlocked");
	ASSERT_EQ(0, munlock(p, self->pmd));
	REQ("collapse", p, 0, "succeeded");
	AHP(p, self->kb);
	DATA(p, p, self->pmd, 1);
}

TEST_F(anon, kernel_engine_not_supported)
{
	char *p = ANON_THP(1, 1);
	int ret;

	if (thp_kernel_engine_disabled())
		SKIP(return, "kernel-engine disabled");
	PTE_MAP(p);
	ret = thp_set_engine("kernel");
	ASSERT_EQ(0, ret);
	REQ("collapse", p, EOPNOTSUPP, "anon_not_supported");
	ASSERT_EQ(0, thp_set_engine("native"));
	AHP(p, 0);
	DATA(p, p, self->pmd, 1);
}

/*
 * Two identical pte-mapped ranges: the module collapses one in place,
 * MADV_COLLAPSE the other by copying. Both end PMD-mapped with the same
 * contents; only the module's keeps its PFN.
 */
TEST_F(anon, same_result_as_madv_collapse)
{
	char *p = ANON_THP(2, 1), *q = p + self->pmd;
	uint64_t hp = HEAD(p, 0), hq = HEAD(q, 0), got;
	int ret;

	PTE_MAP(p);
	PTE_MAP(q);
	REQ("collapse", p, 0, "succeeded");
	ret = madvise(q, self->pmd, MADV_COLLAPSE);
	if (ret)
		SKIP(return, "MADV_COLLAPSE: %s", strerror(errno));
	AHP(p, 2 * self->kb);
	HEAD(p, hp);
	got = HEAD(q, 0);
	ksft_print_msg("MADV_COLLAPSE moved the range: %s\n", got != hq ? "yes" : "no");
	DATA(p, p, 2 * self->pmd, 1);
}

TEST_F(anon, scan_and_worker)
{
	char *p = ANON_THP(3, 1);
	uint64_t head = HEAD(p + self->pmd, 0);
	char buf[32], res[256];
	long left;
	int ret;

	/* ranges 0 and 2 stay PMD-mapped, range 1 is pte-mapped */
	PTE_MAP(p + self->pmd);
	ASSERT_EQ(2 * self->kb, thp_smaps_kb(self->me, p, "AnonHugePages"));
	ASSERT_EQ(0, thp_param_set_ul("scan_sleep_ms", 10));
	snprintf(buf, sizeof(buf), "%d", self->me);
	ret = thp_request_raw("scan", buf, strlen(buf), res, sizeof(res));
	ASSERT_EQ(0, ret) TH_LOG("scan: %s, result '%s'", strerror(-ret), res);
	left = thp_queue_wait(self->me, 20000);
	thp_param_set_ul("scan_sleep_ms", 1000);
	ASSERT_EQ(0, left) TH_LOG("%ld entries still queued", left);
	AHP(p, 3 * self->kb);
	HEAD(p + self->pmd, head);
	DATA(p, p, 3 * self->pmd, 1);
}

struct writer {
	volatile uint64_t *words;	/* one counter per page, the page's first word */
	size_t nr;
	size_t stride;			/* words per page */
	volatile int stop;
	uint64_t rounds;
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	size_t i;

	while (!w->stop) {
		for (i = 0; i < w->nr; i++)
			w->words[i * w->stride] += 1;
		w->rounds++;
	}
	return NULL;
}

/*
 * A thread increments one counter per page while the range is split and
 * collapsed in a loop: in the end every counter equals the number of rounds
 * (no write lost, none applied twice) and the rest of each page is intact.
 */
TEST_F_TIMEOUT(anon, writer_during_split_collapse_loop, 180)
{
	char *p = ANON_THP(1, 1);
	uint64_t head = HEAD(p, 0);
	size_t i, ps = self->ps, nr = self->nr, stride = ps / 8;
	struct writer w = { (volatile uint64_t *)p, nr, stride, 0, 0 };
	pthread_t t;
	int loops, ok = 0;
	char res[256];

	for (i = 0; i < nr; i++)
		w.words[i * stride] = 0;
	ASSERT_EQ(0, pthread_create(&t, NULL, writer_fn, &w));
	for (loops = 0; loops < 40; loops++) {
		if (!thp_request("split", self->me, p, res, sizeof(res)) &&
		    !thp_request("collapse", self->me, p, res, sizeof(res)))
			ok++;
	}
	w.stop = 1;
	pthread_join(t, NULL);
	ksft_print_msg("%d of %d split+collapse pairs succeeded, %llu writer rounds\n", ok,
		       loops, (unsigned long long)w.rounds);
	EXPECT_LT(0, ok);
	for (i = 0; i < nr; i++)
		ASSERT_EQ(w.rounds, w.words[i * stride]) TH_LOG("counter %zu: %llu, rounds %llu",
			  i, (unsigned long long)w.words[i * stride],
			  (unsigned long long)w.rounds);
	for (i = 0; i < nr; i++)
		DATA(p, p + i * ps + 8, ps - 8, 1);
	REQ("collapse", p, 0, thp_smaps_kb(self->me, p, "AnonHugePages") ? "already_pmd_mapped" :
	    "succeeded");
	AHP(p, self->kb);
	HEAD(p, head);
}

TEST_HARNESS_MAIN
