// SPDX-License-Identifier: GPL-2.0
/*
 * thp_retry_regress - regression tests for defects an independent review
 * found. Every success the module claims is checked from outside it (smaps
 * ShmemPmdMapped / AnonHugePages / Rss, pagemap PFNs, the file's contents by
 * pread()), and every refusal must leave the data as it was.
 *
 *  uptodate.{native,kernel}.collapse_refused, .queue_refused
 *      A huge=always tmpfs file whose one PMD was fallocate()d and never
 *      written or faulted holds a page-cache THP that is not uptodate (its
 *      memory was never cleared). Mapping it by a PMD would hand the process
 *      stale memory, and a later read(2) or write(2), which treat the folio
 *      as a hole, returns zeros or clears what was written through the
 *      mapping. "collapse" (both engines) must refuse it, EBUSY
 *      folio_not_uptodate, and so must the retry worker ("queue", the final
 *      result in queue_done). Then a pattern written through the mapping
 *      must read back by pread(), a 1-byte pwrite() must leave the rest of
 *      the mapping as written, and a collapse must now succeed
 *      (ShmemPmdMapped) with both views still equal.
 *  regress.madv_collapse_kernel_report
 *      The same file state handed to the kernel's own MADV_COLLAPSE. Report
 *      only, never a failure: when MADV_COLLAPSE PMD-maps the !uptodate
 *      folio and a pread() then misses what was written through the
 *      mapping, the running kernel has the upstream bug and the test says
 *      "KERNEL BUG: ...".
 *  regress.exec_race_permission
 *      The ptrace check of a request and the mm it then works on must
 *      belong to the same program image. A target process (uid 65534)
 *      execs, in a loop, a setuid-root copy of this binary, which maps an
 *      anonymous THP at a fixed address and watches it, and a plain copy
 *      that maps nothing there. A requester, uid 65534 too, sends
 *      "split PID:ADDR" through /dev/thp_retry (made 0666 for the test) for
 *      5 s. Every answer must be a refusal; a success, or a privileged
 *      image that finds its THP split (marker file), fails the test.
 *  regress.worker_not_blocked_by_mmap_lock
 *      Needs the testing-only debugfs file test_hold_mmap (skips without
 *      it). While another task holds the test's mmap lock for read for 6 s,
 *      the retry worker must not wait for the lock: the queued pte-mapped
 *      anonymous THP shows mmap_lock_contended within a few seconds,
 *      worker_lock_retries grows, and the worker keeps waking every second.
 *      After the release it collapses the range: AnonHugePages, same PFNs,
 *      same contents.
 *  regress.split_prot_none_file_thp
 *      "split" of a PMD-mapped file THP in a PROT_NONE VMA either really
 *      PTE-maps it (every page present in pagemap, the same THP, Rss of the
 *      range kept, ShmemPmdMapped 0, result "succeeded") or refuses and
 *      leaves the mapping as it was (pagemap and smaps as before the
 *      request: some kernels' smaps do not count a PROT_NONE PMD); a
 *      success with nothing mapped is the old bug. Then mprotect back,
 *      collapse, and the THP, its PFNs and contents (mapping and pread())
 *      are intact.
 *  regress.anon_extra_ref_transient
 *      A pte-mapped anonymous THP with one subpage held by a pipe
 *      (vmsplice): collapse fails EAGAIN folio_extra_refs, the range stays
 *      PTE-mapped and intact; once the pipe is drained it collapses in
 *      place (same PFNs).
 *  regress.queue_vs_smaps_readers
 *      Up to 16 pte-mapped anonymous THPs (at most 256 MiB, at least 4)
 *      queued while a thread reads /proc/self/smaps every 50 ms (mmap read
 *      lock holders against the worker's trylock): all are PMD-mapped
 *      again within 15 s, in place, with their contents.
 *  regress.scan_huge_sparse_reservation
 *      "scan" of a process with a huge PROT_NONE reservation (100 TiB, or
 *      the largest power-of-two fraction of it down to 1 TiB that maps)
 *      must finish within 5 s, must not keep the process's mmap()/munmap()
 *      waiting for more than 2 s, must not soft-lock the CPU, and must still
 *      find the one pte-mapped anonymous THP the process has (the worker
 *      then collapses it). Runs last: on a kernel module that walks such a
 *      reservation PMD by PMD it can take minutes.
 *
 * Each test stretches khugepaged's sleep so it does not remap ranges behind
 * the test's back, and restores that, the module parameters it changed,
 * /dev/thp_retry's mode and its mounts at teardown, also after a failed
 * ASSERT. Children never use ASSERT_*().
 *
 * This binary is also the program image of the exec race test: run as
 * "NAME --exec-target ADDR PMD FD" it acts as the target (see
 * exec_target()) instead of running the harness.
 *
 * Needs root, debugfs and thp_retry loaded (the guest runner does both).
 */
#define _GNU_SOURCE
/* FIXTURE_TEARDOWN_PARENT(): see thp_retry_collapse.c on -Wclobbered */
#pragma GCC diagnostic ignored "-Wclobbered"
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/uio.h>

#include "kselftest_harness.h"
#include "thp_retry_util.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

#define RW		(PROT_READ | PROT_WRITE)
#define MAX_KIDS	4
#define NOBODY		65534
#define THP_DEV		"/dev/thp_retry"
#define HOLD_FILE	THP_DEBUGFS "/test_hold_mmap"

/* exec race: the two program images and the marker of a violation */
#define SUID_COPY	"/tmp/regress_suid"
#define PLAIN_COPY	"/tmp/regress_plain"
#define VIOLATION	"/tmp/regress_violation"
#define EXEC_FD		100	/* the images' report pipe */
#define FIXED_ADDR	0x7e0000000000UL

/* module parameters a test may change; restored at teardown */
static const char *const param_names[] = {
	"engine", "scan_sleep_ms", "max_attempts", "queue_delay_ms",
};
#define NR_PARAMS	4

struct env {
	char dir[64];			/* huge tmpfs mount point, "" when none */
	char khd_sleep[32];		/* saved khugepaged scan_sleep_millisecs */
	char param[NR_PARAMS][32];	/* saved values, "" when untouched */
	size_t ps, pmd, nr;		/* page size, PMD size, pages per PMD */
	long kb;			/* PMD size in kB */
	pid_t me;
	int files;
	int dev_mode;			/* /dev/thp_retry's mode to restore, or -1 */
	bool exec_files;		/* the exec race's files exist */
	pid_t kids[MAX_KIDS];		/* live children, killed at teardown */
};

static void env_cleanup(struct env *e)
{
	int i;

	for (i = 0; i < MAX_KIDS; i++)
		thp_kill_reap(&e->kids[i]);
	for (i = 0; i < NR_PARAMS; i++) {
		if (e->param[i][0])
			thp_param_set(param_names[i], e->param[i]);
		e->param[i][0] = '\0';
	}
	if (e->dev_mode >= 0)
		chmod(THP_DEV, e->dev_mode);
	e->dev_mode = -1;
	if (e->exec_files) {
		unlink(SUID_COPY);
		unlink(PLAIN_COPY);
		unlink(VIOLATION);
	}
	e->exec_files = false;
	thp_khugepaged_resume(e->khd_sleep);
	thp_umount(e->dir);
}

/* Set module parameter @name, saving its value the first time; 0 or -errno. */
static int param_set(struct env *e, const char *name, const char *val)
{
	int i, ret;

	for (i = 0; i < NR_PARAMS; i++)
		if (!strcmp(param_names[i], name))
			break;
	if (i == NR_PARAMS)
		return -EINVAL;
	if (!e->param[i][0]) {
		ret = thp_param_get(name, e->param[i], sizeof(e->param[i]));
		if (ret)
			return ret;
	}
	return thp_param_set(name, val);
}

static void env_setup(struct __test_metadata *_metadata, struct env *e, const char *engine)
{
	char opts[64];
	long pmd = thp_pmd_size();
	int ret;

	ASSERT_LT(0, pmd) TH_LOG("cannot read hpage_pmd_size");
	e->dev_mode = -1;
	e->ps = sysconf(_SC_PAGESIZE);
	e->pmd = pmd;
	e->nr = pmd / e->ps;
	e->kb = pmd / 1024;
	e->me = getpid();
	ret = param_set(e, "engine", engine);
	if (ret)
		env_cleanup(e);
	ASSERT_EQ(0, ret) TH_LOG("engine=%s: %s", engine, strerror(-ret));
	thp_khugepaged_pause(e->khd_sleep, sizeof(e->khd_sleep));
	snprintf(opts, sizeof(opts), "huge=always,size=%zu", 8 * e->pmd);
	ret = thp_mount_tmpfs(e->dir, sizeof(e->dir), opts);
	if (ret)
		env_cleanup(e);
	ASSERT_EQ(0, ret) TH_LOG("huge tmpfs: %s", strerror(-ret));
}

/* A new empty file on the test's huge tmpfs. */
static int new_file(struct __test_metadata *_metadata, struct env *e)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/f%d", e->dir, e->files++);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	return fd;
}

static char *map_pmd(struct __test_metadata *_metadata, struct env *e, size_t len, int flags,
		     int fd)
{
	char *p = thp_map_aligned(len, e->pmd, RW, flags, fd, 0);

	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap %zu bytes: %s", len, strerror(errno));
	return p;
}

/*
 * One request to THP_DEBUGFS/@file: the write must fail with @err (0:
 * succeed) and the result line start with @w1 (or @w2 if set).
 */
static void req(struct __test_metadata *_metadata, int line, const char *file, pid_t pid,
		const void *addr, int err, const char *w1, const char *w2)
{
	char res[256];
	int ret = thp_request(file, pid, addr, res, sizeof(res));

	ASSERT_EQ(-err, ret) TH_LOG("line %d: %s %d:%p: %s, expected %s; result '%s'", line, file,
				    pid, addr, strerror(-ret), strerror(err), res);
	ASSERT_TRUE(thp_result_is(res, w1) || (w2 && thp_result_is(res, w2)))
		TH_LOG("line %d: %s %d:%p: result '%s', expected %s%s%s", line, file, pid, addr,
		       res, w1, w2 ? " or " : "", w2 ? w2 : "");
}

#define REQ(file, pid, addr, err, w1, w2) req(_metadata, __LINE__, file, pid, addr, err, w1, w2)

/* smaps field @f of @pid's VMA at @p is @kb_. */
#define SMAPS(pid, p, f, kb_) do { \
	long __k = thp_smaps_kb(pid, p, f); \
	ASSERT_EQ((long)(kb_), __k) TH_LOG("pid %d %p: %s %ld kB, expected %ld kB", pid, \
					   (void *)(p), f, __k, (long)(kb_)); \
} while (0)

/* The PMD range at @p of @pid is one whole THP, in order (the same as @head if set). */
static uint64_t thp_head(struct __test_metadata *_metadata, int line, struct env *e, pid_t pid,
			 const void *p, uint64_t head)
{
	uint64_t got = 0;
	char why[160];

	ASSERT_TRUE(thp_range_is_thp(pid, p, e->nr, &got, why, sizeof(why)))
		TH_LOG("line %d: %p not one whole THP: %s", line, p, why);
	if (head)
		ASSERT_EQ(head, got) TH_LOG("line %d: %p: THP at pfn %#llx, was %#llx (moved)", line,
					    p, (unsigned long long)got, (unsigned long long)head);
	return got;
}

#define HEAD(pid, p, head)	thp_head(_metadata, __LINE__, e, pid, p, head)

/* The pattern of generation @gen at @p, which shows offset @off. */
#define DATA(p, len, off, gen) do { \
	long __bad = thp_verify(p, len, off, gen); \
	ASSERT_EQ(-1, __bad) TH_LOG("wrong data at offset %#llx (generation %u)", \
				    (unsigned long long)((off) + __bad), gen); \
} while (0)

/*
 * @len bytes at @p equal @want; on a difference, describe the first one in
 * @why ("offset 0x1000: 0x00, expected 0xab") and return false.
 */
static bool same_bytes(const unsigned char *p, const unsigned char *want, size_t len,
		       char *why, size_t whylen)
{
	size_t i, nbad = 0, first = 0;

	for (i = 0; i < len; i++)
		if (p[i] != want[i] && !nbad++)
			first = i;
	if (!nbad)
		return true;
	snprintf(why, whylen, "%zu of %zu bytes differ, the first at offset %#zx: 0x%02x, expected 0x%02x",
		 nbad, len, first, p[first], want[first]);
	return false;
}

/* The file holds @want over [0, @len) (pread). */
static void file_is(struct __test_metadata *_metadata, int line, int fd, const void *want,
		    size_t len)
{
	char *buf = malloc(len), why[160];
	ssize_t n = buf ? pread(fd, buf, len, 0) : -1;
	bool same = n == (ssize_t)len && same_bytes((void *)buf, want, len, why, sizeof(why));

	free(buf);
	ASSERT_EQ((ssize_t)len, n) TH_LOG("line %d: pread %zu bytes: %zd", line, len, n);
	ASSERT_TRUE(same) TH_LOG("line %d: pread: %s", line, why);
}

#define FILE_IS(fd, want, len)	file_is(_metadata, __LINE__, fd, want, len)

#define MAP_IS(p, want, len) do { \
	char __why[160]; \
	ASSERT_TRUE(same_bytes((const void *)(p), (const void *)(want), len, __why, \
			       sizeof(__why))) TH_LOG("mapping: %s", __why); \
} while (0)

#define kid_fork(md, e, rd, wr)	thp_kid_fork(md, (e)->kids, MAX_KIDS, rd, wr)
#define kid_wait(e, pid)	thp_kid_wait((e)->kids, MAX_KIDS, pid)

/* Lines of THP_DEBUGFS/queue or queue_done: "PID 0xADDR ATTEMPTS RESULT". */
struct qline {
	int pid;
	unsigned long addr;
	unsigned int attempts;
	char result[48];
};

/* The last line of THP_DEBUGFS/@file for @pid and @addr; false if none. No malloc. */
static bool qline_find(const char *file, pid_t pid, const void *addr, struct qline *out)
{
	static char buf[65536];
	char path[128], *l, *nl;
	struct qline q;
	bool found = false;

	snprintf(path, sizeof(path), THP_DEBUGFS "/%s", file);
	if (thp_read_file(path, buf, sizeof(buf)) < 0)
		return false;
	for (l = buf; *l; l = nl + 1) {
		nl = strchr(l, '\n');
		if (!nl)
			break;
		*nl = '\0';
		if (sscanf(l, "%d %lx %u %47s", &q.pid, &q.addr, &q.attempts, q.result) == 4 &&
		    q.pid == pid && q.addr == (unsigned long)addr) {
			*out = q;
			found = true;
		}
	}
	return found;
}

/* Occurrences of @needle in the kernel log. */
static int klog_count(const char *needle)
{
	static char buf[1 << 20];
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf) - 1), count = 0;
	char *s;

	if (n < 0)
		return 0;
	buf[n] = '\0';
	for (s = strstr(buf, needle); s; s = strstr(s + 1, needle))
		count++;
	return count;
}

/*
 * A PMD-aligned private anonymous THP of @n PMDs, filled with generation
 * @gen; NULL (and the test skipped) when the kernel gives no THP.
 */
static char *anon_thp(struct __test_metadata *_metadata, struct env *e, size_t n, unsigned int gen)
{
	char *p = map_pmd(_metadata, e, n * e->pmd, MAP_PRIVATE | MAP_ANONYMOUS, -1);

	ASSERT_EQ(0, madvise(p, n * e->pmd, MADV_HUGEPAGE));
	thp_fill(p, n * e->pmd, 0, gen);
	if (thp_smaps_kb(e->me, p, "AnonHugePages") < (long)n * e->kb)
		SKIP(return NULL, "the kernel gave no anonymous THP (%ld kB)",
		     thp_smaps_kb(e->me, p, "AnonHugePages"));
	return p;
}

#define ANON_THP(n, gen) ({ char *__p = anon_thp(_metadata, e, n, gen); \
	if (!__p) \
		return; \
	__p; })

/* ---------------------------------------------------------------------- */

FIXTURE(uptodate)
{
	struct env e;
};

FIXTURE_VARIANT(uptodate)
{
	const char *engine;
};

FIXTURE_VARIANT_ADD(uptodate, native)
{
	.engine = "native",
};

FIXTURE_VARIANT_ADD(uptodate, kernel)
{
	.engine = "kernel",
};

FIXTURE_SETUP(uptodate)
{
	if (!strcmp(variant->engine, "kernel") && thp_kernel_engine_disabled())
		SKIP(return, "kernel-engine disabled");
	env_setup(_metadata, &self->e, variant->engine);
}

FIXTURE_TEARDOWN_PARENT(uptodate)
{
	env_cleanup(&self->e);
}

/*
 * A file of one PMD, fallocate()d, mapped shared at a PMD-aligned address;
 * neither the file nor the mapping is ever touched. Nothing is mapped yet.
 */
static char *fallocated_pmd(struct __test_metadata *_metadata, struct env *e, int *fdp)
{
	int fd = new_file(_metadata, e);
	char *p;

	ASSERT_EQ(0, fallocate(fd, 0, 0, e->pmd)) TH_LOG("fallocate: %s", strerror(errno));
	p = map_pmd(_metadata, e, e->pmd, MAP_SHARED, fd);
	SMAPS(e->me, p, "Rss", 0);
	*fdp = fd;
	return p;
}

/*
 * After a refusal (or the old bug's success): the range is not PMD-mapped;
 * data written through the mapping reaches the file, a write(2) keeps the
 * rest of the mapping; then the range collapses and both views agree.
 */
static void uptodate_data(struct __test_metadata *_metadata, struct env *e, int fd, char *p)
{
	size_t off = 3 * e->ps + 5;
	unsigned char *want = malloc(e->pmd), b;

	ASSERT_NE(NULL, want);
	EXPECT_EQ(0, thp_smaps_kb(e->me, p, "ShmemPmdMapped"))
		TH_LOG("the !uptodate THP was PMD-mapped");
	thp_fill(want, e->pmd, 0, 1);
	thp_fill(p, e->pmd, 0, 1);
	MAP_IS(p, want, e->pmd);
	FILE_IS(fd, want, e->pmd);

	b = ~want[off];
	ASSERT_EQ(1, pwrite(fd, &b, 1, off));
	want[off] = b;
	MAP_IS(p, want, e->pmd);
	FILE_IS(fd, want, e->pmd);

	/* uptodate now: the range may be PMD-mapped */
	REQ("collapse", e->me, p, 0, "succeeded", "already_pmd_mapped");
	SMAPS(e->me, p, "ShmemPmdMapped", e->kb);
	HEAD(e->me, p, 0);
	MAP_IS(p, want, e->pmd);
	FILE_IS(fd, want, e->pmd);
	free(want);
}

TEST_F(uptodate, collapse_refused)
{
	struct env *e = &self->e;
	char res[256];
	int fd, ret;
	char *p = fallocated_pmd(_metadata, e, &fd);

	ret = thp_request("collapse", e->me, p, res, sizeof(res));
	if (thp_result_is(res, "not_thp") || thp_result_is(res, "page_cache_miss"))
		SKIP(return, "fallocate() made no THP: collapse says '%s'", res);
	ksft_print_msg("collapse of the never-written THP (%s): %s, '%s'\n", variant->engine,
		       ret ? strerror(-ret) : "success", res);
	EXPECT_EQ(-EBUSY, ret) TH_LOG("collapse: %s, result '%s'", strerror(-ret), res);
	EXPECT_TRUE(thp_result_is(res, "folio_not_uptodate")) TH_LOG("result '%s'", res);
	SMAPS(e->me, p, "Rss", ret ? 0 : e->kb);
	uptodate_data(_metadata, e, fd, p);
	close(fd);
}

TEST_F(uptodate, queue_refused)
{
	struct env *e = &self->e;
	struct qline q = { .result = "(not in queue_done)" };
	long left;
	int fd, ret;
	char *p = fallocated_pmd(_metadata, e, &fd);

	ret = thp_queue_req(e->me, p);
	ASSERT_EQ(0, ret) TH_LOG("queue: %s", strerror(-ret));
	left = thp_queue_wait(e->me, 20000);
	ASSERT_EQ(0, left) TH_LOG("%ld entries still queued", left);
	qline_find("queue_done", e->me, p, &q);
	ksft_print_msg("worker on the never-written THP (%s): '%s' after %u attempts\n",
		       variant->engine, q.result, q.attempts);
	if (!strcmp(q.result, "not_thp") || !strcmp(q.result, "page_cache_miss"))
		SKIP(return, "fallocate() made no THP: the worker says '%s'", q.result);
	EXPECT_STREQ("folio_not_uptodate", q.result);
	uptodate_data(_metadata, e, fd, p);
	close(fd);
}

/* ---------------------------------------------------------------------- */

FIXTURE(regress)
{
	struct env e;
};

FIXTURE_SETUP(regress)
{
	env_setup(_metadata, &self->e, "native");
}

FIXTURE_TEARDOWN_PARENT(regress)
{
	env_cleanup(&self->e);
}

/* The kernel's MADV_COLLAPSE on a never-written fallocate()d THP: report only. */
TEST_F(regress, madv_collapse_kernel_report)
{
	struct env *e = &self->e;
	size_t i, nbad = 0, first = 0, stale = 0;
	unsigned char *buf, b = 0xcd;
	long pmdkb;
	int fd;
	char *p = fallocated_pmd(_metadata, e, &fd);

	if (madvise(p, e->pmd, MADV_COLLAPSE)) {
		ksft_print_msg("kernel MADV_COLLAPSE ok: it refused the never-written THP (%s)\n",
			       strerror(errno));
		close(fd);
		return;
	}
	pmdkb = thp_smaps_kb(e->me, p, "ShmemPmdMapped");
	for (i = 0; i < e->pmd; i++)
		stale += p[i] != 0;
	memset(p, 0xab, e->pmd);
	buf = malloc(e->pmd);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ((ssize_t)e->pmd, pread(fd, buf, e->pmd, 0));
	for (i = 0; i < e->pmd; i++)
		if (buf[i] != 0xab && !nbad++)
			first = i;
	if (!nbad) {
		ksft_print_msg("kernel MADV_COLLAPSE ok: ShmemPmdMapped %ld kB, pread after the mmap write reads 0xab\n",
			       pmdkb);
		free(buf);
		close(fd);
		return;
	}
	ksft_print_msg("KERNEL BUG: MADV_COLLAPSE mapped a !uptodate shmem folio: pread after mmap write reads 0x%02x (%zu of %zu bytes, first at offset %#zx)\n",
		       buf[first], nbad, e->pmd, first);
	ksft_print_msg("KERNEL BUG: ShmemPmdMapped %ld kB; before the write the mapping showed %zu non-zero bytes of stale memory\n",
		       pmdkb, stale);
	/* and a write(2) treats the folio as new: it clears the mapping */
	if (pwrite(fd, &b, 1, 0) == 1) {
		for (i = 1, nbad = 0; i < e->pmd; i++)
			nbad += (unsigned char)p[i] != 0xab;
		ksft_print_msg("KERNEL BUG: after a 1-byte pwrite() %zu bytes of the mapping lost the mmap write\n",
			       nbad);
	}
	free(buf);
	close(fd);
}

/*
 * The exec race's program image (main() calls this for "--exec-target").
 * Privileged (the setuid copy): map a THP at ADDR, check it stays PMD-mapped
 * for 3 ms; a split, i.e. a request that got through, leaves VIOLATION.
 * Report one byte to FD: 'P' privileged with a THP, 'p' privileged without
 * one, 'F' the fixed mapping failed, 'V' violation, 'u' unprivileged, 'E'
 * an exec or setresuid failed. Then become the other image: the privileged
 * one drops every uid first, so the plain copy runs as 65534 only.
 */
static char exec_privileged(unsigned long addr, size_t pmd)
{
	char *p = mmap((void *)addr, pmd, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		       -1, 0);
	long kb = pmd / 1024, k0, k1;
	size_t nr = pmd / sysconf(_SC_PAGESIZE);
	char why[160];
	uint64_t head;
	int fd;

	if (p == MAP_FAILED || p != (char *)addr)
		return 'F';
	madvise(p, pmd, MADV_HUGEPAGE);
	p[0] = 1;
	k0 = thp_smaps_kb(getpid(), p, "AnonHugePages");
	if (k0 == kb) {
		usleep(3000);
		k1 = thp_smaps_kb(getpid(), p, "AnonHugePages");
		if (k1 == kb)
			return 'P';
	} else if (!thp_range_is_thp(getpid(), p, nr, &head, why, sizeof(why))) {
		return 'p';	/* no THP: nothing to lose */
	}
	/* a whole THP that is no longer PMD-mapped: someone split it */
	fd = open(VIOLATION, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dprintf(fd, "pid %d euid %d: THP at %p split\n", getpid(), geteuid(), p);
		close(fd);
	}
	return 'V';
}

static int exec_target(int argc, char **argv)
{
	char *nargv[] = { NULL, argv[1], argv[2], argv[3], argv[4], NULL };
	unsigned long addr;
	size_t pmd;
	int fd;
	char c;
	uid_t u;
	gid_t g;

	if (argc != 5)
		return 2;
	addr = strtoul(argv[2], NULL, 0);
	pmd = strtoul(argv[3], NULL, 0);
	fd = atoi(argv[4]);
	if (geteuid() == 0) {
		c = exec_privileged(addr, pmd);
		u = getuid();
		g = getgid();
		if (write(fd, &c, 1) < 0 || setresgid(g, g, g) || setresuid(u, u, u) || !u)
			goto fail;
		nargv[0] = "regress_plain";
		execv(PLAIN_COPY, nargv);
	} else {
		c = 'u';
		if (write(fd, &c, 1) < 0)
			goto fail;
		usleep(3000);
		nargv[0] = "regress_suid";
		execv(SUID_COPY, nargv);
	}
fail:
	c = 'E';
	if (write(fd, &c, 1) < 0)
		return 4;
	return 3;
}

/* Copy /proc/self/exe to @path with @mode, owned by root. */
static int copy_self(const char *path, mode_t mode)
{
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), out, ret = 0;
	char buf[65536];
	ssize_t n;

	if (in < 0)
		return -errno;
	unlink(path);
	out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	if (out < 0) {
		ret = -errno;
		close(in);
		return ret;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n) {
			ret = -EIO;
			break;
		}
	if (n < 0)
		ret = -errno;
	if (!ret && (fchown(out, 0, 0) || fchmod(out, mode)))
		ret = -errno;
	close(in);
	close(out);
	return ret;
}

static int drop_to_nobody(void)
{
	return setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	       setresuid(NOBODY, NOBODY, NOBODY);
}

struct req_report {
	unsigned long total, ok, eperm, efault, esrch, other;
	int other_errno;
	char other_res[96];
	char ok_res[96];
	int setup_err;		/* non-zero: the requester could not start */
};

/* The requester: uid 65534, "split PID:ADDR" through /dev/thp_retry for @ms. */
static void requester(pid_t target, unsigned long addr, unsigned int ms, int wr)
{
	struct req_report r = { 0 };
	char reqs[80], res[256];
	uint64_t end;
	int fd, ret;

	if (drop_to_nobody()) {
		r.setup_err = errno;
		goto out;
	}
	fd = open(THP_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		r.setup_err = errno;
		goto out;
	}
	snprintf(reqs, sizeof(reqs), "split %d:0x%lx", target, addr);
	end = thp_now_ns() + ms * 1000000ULL;
	while (thp_now_ns() < end) {
		ret = thp_request_fd(fd, reqs, strlen(reqs), res, sizeof(res));
		r.total++;
		if (!ret) {
			if (!r.ok++)
				snprintf(r.ok_res, sizeof(r.ok_res), "%.90s", res);
		} else if (ret == -EPERM) {
			r.eperm++;
		} else if (ret == -EFAULT) {
			r.efault++;
		} else if (ret == -ESRCH) {
			r.esrch++;
		} else {
			r.other++;
			r.other_errno = -ret;
			snprintf(r.other_res, sizeof(r.other_res), "%.90s", res);
		}
	}
	close(fd);
out:
	if (write(wr, &r, sizeof(r)) != sizeof(r))
		_exit(2);
	_exit(0);
}

TEST_F_TIMEOUT(regress, exec_race_permission, 90)
{
	struct env *e = &self->e;
	unsigned long addr = FIXED_ADDR & ~(e->pmd - 1), counts[256] = { 0 };
	struct req_report r;
	struct stat st;
	char *reserve, *argv[6], sfd[16], saddr[32], spmd[32];
	unsigned char c[4096];
	int rep[2], rd, wr, ret, status;
	pid_t target, req_pid;
	ssize_t n, i;

	ASSERT_EQ(0, stat(THP_DEV, &st)) TH_LOG("%s: %s", THP_DEV, strerror(errno));
	/* is the fixed address a user address here at all? */
	reserve = mmap((void *)addr, e->pmd, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (reserve != (char *)addr)
		SKIP(return, "cannot map at %#lx: %s", addr,
		     reserve == MAP_FAILED ? strerror(errno) : "placed elsewhere");
	munmap(reserve, e->pmd);

	e->exec_files = true;
	unlink(VIOLATION);
	ret = copy_self(SUID_COPY, 04755);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", SUID_COPY, strerror(-ret));
	ret = copy_self(PLAIN_COPY, 0755);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", PLAIN_COPY, strerror(-ret));
	e->dev_mode = st.st_mode & 07777;
	ASSERT_EQ(0, chmod(THP_DEV, 0666));

	/* the target: uid 65534, alternating between the two images */
	ASSERT_EQ(0, pipe2(rep, O_CLOEXEC));
	snprintf(saddr, sizeof(saddr), "%#lx", addr);
	snprintf(spmd, sizeof(spmd), "%zu", e->pmd);
	snprintf(sfd, sizeof(sfd), "%d", EXEC_FD);
	argv[0] = "regress_suid";
	argv[1] = "--exec-target";
	argv[2] = saddr;
	argv[3] = spmd;
	argv[4] = sfd;
	argv[5] = NULL;
	target = kid_fork(_metadata, e, &rd, &wr);
	if (!target) {
		if (dup2(rep[1], EXEC_FD) != EXEC_FD ||
		    fcntl(EXEC_FD, F_SETFL, O_NONBLOCK) || drop_to_nobody())
			_exit(2);
		execv(SUID_COPY, argv);
		_exit(3);
	}
	close(rd);
	close(wr);
	close(rep[1]);
	/* wait for the first image */
	ASSERT_EQ(0, recv_all(rep[0], c, 1, 20000)) TH_LOG("the target reported nothing");
	counts[c[0]]++;

	req_pid = kid_fork(_metadata, e, &rd, &wr);
	if (!req_pid)
		requester(target, addr, 5000, wr);
	ret = recv_all(rd, &r, sizeof(r), 60000);
	status = kid_wait(e, req_pid);
	close(rd);
	close(wr);
	ASSERT_EQ(0, ret) TH_LOG("no report from the requester");
	KID_OK(status);

	kill(target, SIGKILL);
	kid_wait(e, target);
	fcntl(rep[0], F_SETFL, O_NONBLOCK);
	while ((n = read(rep[0], c, sizeof(c))) > 0)
		for (i = 0; i < n; i++)
			counts[c[i]]++;
	close(rep[0]);

	ASSERT_EQ(0, r.setup_err) TH_LOG("requester: %s", strerror(r.setup_err));
	if (!r.ok && !counts['P'] && !counts['p'] && !counts['V'])
		SKIP(return, "no privileged image ran (setuid ignored?)");
	ksft_print_msg("%lu requests from uid %d: %lu EPERM, %lu EFAULT, %lu ESRCH, %lu other%s%s, %lu succeeded\n",
		       r.total, NOBODY, r.eperm, r.efault, r.esrch, r.other,
		       r.other ? " (last: " : "", r.other ? r.other_res : "", r.ok);
	ksft_print_msg("target images: %lu privileged with a THP, %lu privileged without, %lu fixed map failed, %lu unprivileged, %lu errors, %lu violations\n",
		       counts['P'], counts['p'], counts['F'], counts['u'], counts['E'],
		       counts['V']);
	EXPECT_EQ(0, r.ok) TH_LOG("a request succeeded: '%s'", r.ok_res);
	EXPECT_EQ(0, counts['V']) TH_LOG("a privileged image found its THP split");
	EXPECT_NE(0, access(VIOLATION, F_OK)) TH_LOG("%s exists", VIOLATION);
	EXPECT_EQ(0, counts['E']);
	EXPECT_LT(0, r.total);
}

/* A counter, 0 when stats has no such line (a module from before it). */
static long long stat0(const char *name)
{
	long long v = thp_stat(name);

	return v < 0 ? 0 : v;
}

/* worker_wakeups + worker_lock_retries */
static long long worker_activity(void)
{
	return stat0("worker_wakeups") + stat0("worker_lock_retries");
}

TEST_F_TIMEOUT(regress, worker_not_blocked_by_mmap_lock, 90)
{
	struct env *e = &self->e;
	long long retries0, retries1, act, act2;
	struct qline q = { .result = "-" };
	unsigned int samples = 0, stuck = 0;
	char hold_msg[96];
	uint64_t t_hold, t_seen = 0, t_rel, t_back = 0, deadline;
	int rd, wr, status = -1, ret;
	pid_t holder;
	uint64_t head;
	char *p;

	if (access(HOLD_FILE, F_OK))
		SKIP(return, "%s: %s (not a test build of the module)", HOLD_FILE,
		     strerror(errno));
	/*
	 * The holder is forked before the THP exists: a child forked after
	 * would share the folio (folio_shared) until its mm is torn down,
	 * which may be just after it lets the lock go.
	 */
	holder = kid_fork(_metadata, e, &rd, &wr);
	if (!holder) {
		char r[32];

		snprintf(r, sizeof(r), "%d:6000", getppid());
		if (recv_byte(rd, 60000) != 'g' || write(wr, "s", 1) != 1)
			_exit(100);
		ret = thp_write_file(HOLD_FILE, r);
		_exit(ret ? -ret : 0);
	}
	p = ANON_THP(1, 1);
	head = HEAD(e->me, p, 0);
	REQ("split", e->me, p, 0, "succeeded", NULL);
	SMAPS(e->me, p, "AnonHugePages", 0);
	HEAD(e->me, p, head);
	ASSERT_EQ(0, param_set(e, "scan_sleep_ms", "100"));
	ASSERT_EQ(0, param_set(e, "max_attempts", "1000"));
	retries0 = stat0("worker_lock_retries");

	ASSERT_EQ(1, write(wr, "g", 1));
	ASSERT_EQ('s', recv_byte(rd, 10000));
	/*
	 * From here until the holder is done: nothing that takes our mmap
	 * lock for write (mmap, munmap, brk through malloc); it would wait
	 * behind the holder and make every reader wait too.
	 */
	/*
	 * The module logs the hold once it has the lock: only then is the
	 * entry queued (the holder being inside write() is not enough, it
	 * may not have reached the lock yet).
	 */
	snprintf(hold_msg, sizeof(hold_msg), "test_hold_mmap: holding pid %d's mmap lock",
		 e->me);
	deadline = thp_now_ns() + 5000000000ULL;
	while (!thp_klog_contains(hold_msg) && thp_now_ns() < deadline)
		usleep(20000);
	ASSERT_TRUE(thp_klog_contains(hold_msg)) TH_LOG("no '%s' in the kernel log", hold_msg);
	t_hold = thp_now_ns();

	ret = thp_queue_req(e->me, p);
	ASSERT_EQ(0, ret) TH_LOG("queue: %s", strerror(-ret));
	deadline = t_hold + 3000000000ULL;
	while (thp_now_ns() < deadline) {
		if (qline_find("queue", e->me, p, &q) &&
		    !strcmp(q.result, "mmap_lock_contended")) {
			t_seen = thp_now_ns();
			break;
		}
		usleep(20000);
	}
	retries1 = stat0("worker_lock_retries");
	ASSERT_NE(0, t_seen) TH_LOG("no mmap_lock_contended within 3 s; queue line '%s' after %u attempts",
				   q.result, q.attempts);
	ksft_print_msg("mmap_lock_contended after %llu ms; worker_lock_retries %lld -> %lld\n",
		       (unsigned long long)(t_seen - t_hold) / 1000000, retries0, retries1);
	EXPECT_LT(retries0, retries1);

	/* the worker keeps running while the lock is held (up to 3 s) */
	while (samples < 3 && thp_now_ns() + 1200000000ULL < t_hold + 6000000000ULL) {
		act = worker_activity();
		sleep(1);
		if (waitpid(holder, &status, WNOHANG) == holder) {
			kid_wait(e, holder);	/* forget it; status kept */
			holder = 0;
			break;
		}
		act2 = worker_activity();
		samples++;
		stuck += act2 <= act;
	}
	ksft_print_msg("worker activity sampled over %u seconds of the hold, %u without progress\n",
		       samples, stuck);
	EXPECT_LE(2, samples);
	EXPECT_EQ(0, stuck);

	if (holder) {
		deadline = thp_now_ns() + 15000000000ULL;
		while (waitpid(holder, &status, WNOHANG) != holder && thp_now_ns() < deadline)
			usleep(20000);
		kid_wait(e, holder);
	}
	t_rel = thp_now_ns();
	close(rd);
	close(wr);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("holder: wait status %#x: %s", status,
		       WIFEXITED(status) ? strerror(WEXITSTATUS(status)) : "killed");
	ksft_print_msg("the hold ended %llu ms after it was seen\n",
		       (unsigned long long)(t_rel - t_hold) / 1000000);

	/* released: the worker collapses the range within ~3 s */
	deadline = t_rel + 4000000000ULL;
	while (thp_now_ns() < deadline) {
		if (thp_smaps_kb(e->me, p, "AnonHugePages") == e->kb) {
			t_back = thp_now_ns();
			break;
		}
		usleep(20000);
	}
	/* the worker records the entry just after the collapse */
	thp_queue_wait(e->me, 3000);
	q = (struct qline){ .result = "(not in queue_done)" };
	qline_find("queue_done", e->me, p, &q);
	ASSERT_NE(0, t_back) TH_LOG("not PMD-mapped 4 s after the release; queue_done '%s' after %u attempts",
				   q.result, q.attempts);
	ksft_print_msg("PMD-mapped %llu ms after the release (%s after %u attempts)\n",
		       (unsigned long long)(t_back - t_rel) / 1000000, q.result, q.attempts);
	EXPECT_STREQ("succeeded", q.result);
	SMAPS(e->me, p, "AnonHugePages", e->kb);
	HEAD(e->me, p, head);
	DATA(p, e->pmd, 0, 1);
}

/* Pages of the PMD range at @p that pagemap shows present, or -1. */
static long present_pages(struct env *e, const void *p)
{
	uint64_t *pm = calloc(e->nr, 8);
	long n = -1;
	size_t i;

	if (pm && !thp_pagemap(e->me, p, e->nr, pm))
		for (i = 0, n = 0; i < e->nr; i++)
			n += !!(pm[i] & PM_PRESENT);
	free(pm);
	return n;
}

TEST_F(regress, split_prot_none_file_thp)
{
	struct env *e = &self->e;
	int fd = new_file(_metadata, e), ret;
	long rss0, pmd0, pres0, rss, pmdkb, pres;
	char *p, res[256], *buf;
	uint64_t head;

	ASSERT_EQ(0, ftruncate(fd, e->pmd));
	p = map_pmd(_metadata, e, e->pmd, MAP_SHARED, fd);
	thp_fill(p, e->pmd, 0, 1);
	SMAPS(e->me, p, "ShmemPmdMapped", e->kb);
	head = HEAD(e->me, p, 0);
	ASSERT_EQ(0, mprotect(p, e->pmd, PROT_NONE));
	/* what this kernel's smaps shows of a PROT_NONE PMD mapping */
	rss0 = thp_smaps_kb(e->me, p, "Rss");
	pmd0 = thp_smaps_kb(e->me, p, "ShmemPmdMapped");
	pres0 = present_pages(e, p);
	ksft_print_msg("PROT_NONE, before the split: Rss %ld kB, ShmemPmdMapped %ld kB, %ld of %zu pages present (pagemap)\n",
		       rss0, pmd0, pres0, e->nr);
	ASSERT_EQ((long)e->nr, pres0) TH_LOG("mprotect(PROT_NONE) unmapped the THP");
	HEAD(e->me, p, head);

	ret = thp_request("split", e->me, p, res, sizeof(res));
	rss = thp_smaps_kb(e->me, p, "Rss");
	pmdkb = thp_smaps_kb(e->me, p, "ShmemPmdMapped");
	pres = present_pages(e, p);
	ksft_print_msg("split in a PROT_NONE VMA: %s, '%s'; Rss %ld kB, ShmemPmdMapped %ld kB, %ld pages present\n",
		       ret ? strerror(-ret) : "success", res, rss, pmdkb, pres);
	if (!ret) {
		/* claimed: every subpage mapped by a PTE */
		EXPECT_EQ((long)e->nr, pres) TH_LOG("split claimed '%s' but %ld pages are present",
						    res, pres);
		EXPECT_EQ(e->kb, rss) TH_LOG("split claimed '%s' but Rss is %ld kB", res, rss);
		EXPECT_EQ(0, pmdkb);
		/* it was PMD-mapped: "already_pte_mapped" would be untrue */
		EXPECT_TRUE(thp_result_is(res, "succeeded")) TH_LOG("result '%s'", res);
	} else {
		/* refused: nothing changed */
		EXPECT_EQ(pres0, pres);
		EXPECT_EQ(rss0, rss);
		EXPECT_EQ(pmd0, pmdkb);
	}
	if (pres == (long)e->nr)
		HEAD(e->me, p, head);

	ASSERT_EQ(0, mprotect(p, e->pmd, RW));
	DATA(p, e->pmd, 0, 1);
	REQ("collapse", e->me, p, 0, ret ? "already_pmd_mapped" : "succeeded", "succeeded");
	SMAPS(e->me, p, "ShmemPmdMapped", e->kb);
	HEAD(e->me, p, head);
	DATA(p, e->pmd, 0, 1);
	buf = malloc(e->pmd);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ((ssize_t)e->pmd, pread(fd, buf, e->pmd, 0));
	DATA(buf, e->pmd, 0, 1);
	free(buf);
	close(fd);
}

TEST_F(regress, anon_extra_ref_transient)
{
	struct env *e = &self->e;
	char *p = ANON_THP(1, 1), *buf;
	uint64_t head = HEAD(e->me, p, 0);
	struct iovec iov;
	int pipefd[2];
	ssize_t n;

	REQ("split", e->me, p, 0, "succeeded", NULL);
	SMAPS(e->me, p, "AnonHugePages", 0);
	ASSERT_EQ(0, pipe(pipefd));
	iov.iov_base = p + 9 * e->ps;
	iov.iov_len = e->ps;
	n = vmsplice(pipefd[1], &iov, 1, 0);
	ASSERT_EQ((ssize_t)e->ps, n) TH_LOG("vmsplice: %s", strerror(errno));
	REQ("collapse", e->me, p, EAGAIN, "folio_extra_refs", NULL);
	SMAPS(e->me, p, "AnonHugePages", 0);
	HEAD(e->me, p, head);
	DATA(p, e->pmd, 0, 1);

	buf = malloc(e->ps);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ((ssize_t)e->ps, read(pipefd[0], buf, e->ps));
	DATA(buf, e->ps, 9 * e->ps, 1);
	free(buf);
	close(pipefd[0]);
	close(pipefd[1]);
	REQ("collapse", e->me, p, 0, "succeeded", NULL);
	SMAPS(e->me, p, "AnonHugePages", e->kb);
	HEAD(e->me, p, head);
	DATA(p, e->pmd, 0, 1);
}

struct smaps_reader {
	pthread_t th;
	volatile int stop;
	unsigned long reads;
};

static void *smaps_reader_fn(void *arg)
{
	static char buf[65536];
	struct smaps_reader *r = arg;
	int fd;

	while (!r->stop) {
		fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			while (read(fd, buf, sizeof(buf)) > 0)
				;
			close(fd);
			r->reads++;
		}
		usleep(50000);
	}
	return NULL;
}

TEST_F_TIMEOUT(regress, queue_vs_smaps_readers, 90)
{
	struct env *e = &self->e;
	size_t n = (256UL << 20) / e->pmd, i;
	struct smaps_reader r = { 0 };
	uint64_t *heads, t0, t1 = 0;
	long kb = -1;
	char *p;
	int ret;

	if (n > 16)
		n = 16;
	if (n < 4) {
		if (4 * e->pmd > (1UL << 30))
			SKIP(return, "PMD size %zu: 4 THPs would take over 1 GiB", e->pmd);
		n = 4;
	}
	p = ANON_THP(n, 1);
	heads = calloc(n, sizeof(*heads));
	ASSERT_NE(NULL, heads);
	for (i = 0; i < n; i++) {
		heads[i] = HEAD(e->me, p + i * e->pmd, 0);
		REQ("split", e->me, p + i * e->pmd, 0, "succeeded", NULL);
	}
	SMAPS(e->me, p, "AnonHugePages", 0);
	ASSERT_EQ(0, pthread_create(&r.th, NULL, smaps_reader_fn, &r));

	t0 = thp_now_ns();
	for (i = 0; i < n; i++) {
		ret = thp_queue_req(e->me, p + i * e->pmd);
		EXPECT_EQ(0, ret) TH_LOG("queue range %zu: %s", i, strerror(-ret));
	}
	while (thp_now_ns() < t0 + 15000000000ULL) {
		kb = thp_smaps_kb(e->me, p, "AnonHugePages");
		if (kb == (long)n * e->kb) {
			t1 = thp_now_ns();
			break;
		}
		usleep(50000);
	}
	r.stop = 1;
	pthread_join(r.th, NULL);
	ksft_print_msg("%zu ranges: %ld of them PMD-mapped after %llu ms (%lu smaps reads); worker_retries %lld, worker_lock_retries %lld\n",
		       n, kb / e->kb, (unsigned long long)((t1 ? t1 : thp_now_ns()) - t0) / 1000000,
		       r.reads, thp_stat("worker_retries"), thp_stat("worker_lock_retries"));
	ASSERT_NE(0, t1) TH_LOG("only %ld of %zu ranges PMD-mapped after 15 s", kb / e->kb, n);
	for (i = 0; i < n; i++)
		HEAD(e->me, p + i * e->pmd, heads[i]);
	DATA(p, n * e->pmd, 0, 1);
	free(heads);
}

/* Shared between the scan test and its target child. */
struct loop_stat {
	volatile uint64_t op_start;	/* start of the mmap+munmap in flight, 0 if none */
	volatile uint64_t worst;	/* ns */
	volatile uint64_t ops;
	volatile int stop;
};

struct scan_target_info {
	size_t res_size;
	char *res, *thp, *small;
};

static void scan_target(size_t pmd, struct loop_stat *ls, int rd, int wr)
{
	size_t ps = sysconf(_SC_PAGESIZE), size;
	struct scan_target_info info = { 0 };
	uint64_t t, d;
	void *q;

	for (size = 100ULL << 40; size >= 1ULL << 40; size /= 2) {
		info.res = mmap(NULL, size, PROT_NONE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (info.res != MAP_FAILED) {
			info.res_size = size;
			break;
		}
	}
	info.small = mmap(NULL, 16 * ps, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	info.thp = thp_map_aligned(pmd, pmd, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (info.small == MAP_FAILED || info.thp == MAP_FAILED)
		_exit(2);
	memset(info.small, 1, 16 * ps);
	madvise(info.thp, pmd, MADV_HUGEPAGE);
	thp_fill(info.thp, pmd, 0, 7);
	if (write(wr, &info, sizeof(info)) != sizeof(info))
		_exit(3);
	if (recv_byte(rd, 60000) != 'g')
		_exit(4);
	while (!ls->stop) {
		t = thp_now_ns();
		ls->op_start = t;
		q = mmap(NULL, ps, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (q == MAP_FAILED || munmap(q, ps))
			_exit(5);
		d = thp_now_ns() - t;
		ls->op_start = 0;
		if (d > ls->worst)
			ls->worst = d;
		ls->ops++;
	}
	if (recv_byte(rd, 120000) != 'x')
		_exit(6);
	_exit(thp_verify(info.thp, pmd, 0, 7) == -1 ? 0 : 7);
}

TEST_F_TIMEOUT(regress, scan_huge_sparse_reservation, 150)
{
	struct env *e = &self->e;
	struct scan_target_info info;
	struct loop_stat *ls;
	uint64_t t0, res[2] = { 0 }, worst, inflight, deadline;
	long long found0, found1;
	int rd, wr, srd, swr, st, lockups0, lockups1, ret;
	pid_t kid, scanner;
	bool thp;

	ASSERT_EQ(0, param_set(e, "scan_sleep_ms", "100"));
	ls = mmap(NULL, e->ps, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ls);
	kid = kid_fork(_metadata, e, &rd, &wr);
	if (!kid)
		scan_target(e->pmd, ls, rd, wr);
	ASSERT_EQ(0, recv_all(rd, &info, sizeof(info), 60000)) TH_LOG("the target did not start");
	if (!info.res_size)
		SKIP(return, "no PROT_NONE reservation of 1 TiB or more");
	ksft_print_msg("reservation: %zu GiB PROT_NONE at %p\n", info.res_size >> 30, info.res);
	thp = thp_smaps_kb(kid, info.thp, "AnonHugePages") == e->kb;
	if (thp) {
		REQ("split", kid, info.thp, 0, "succeeded", NULL);
		SMAPS(kid, info.thp, "AnonHugePages", 0);
	} else {
		ksft_print_msg("no anonymous THP: scan must find nothing\n");
	}
	found0 = thp_stat("scan_found");
	lockups0 = klog_count("soft lockup");

	ASSERT_EQ(1, write(wr, "g", 1));
	deadline = thp_now_ns() + 10000000000ULL;
	while (!ls->ops && thp_now_ns() < deadline)
		usleep(10000);
	ASSERT_NE(0, ls->ops) TH_LOG("the target's mmap loop did not start");

	scanner = kid_fork(_metadata, e, &srd, &swr);
	if (!scanner) {
		char s[32];
		uint64_t r[2], t = thp_now_ns();

		snprintf(s, sizeof(s), "%d", kid);
		r[0] = -thp_write_file(THP_DEBUGFS "/scan", s);
		r[1] = thp_now_ns() - t;
		_exit(write(swr, r, sizeof(r)) == sizeof(r) ? 0 : 1);
	}
	t0 = thp_now_ns();
	ret = recv_all(srd, res, sizeof(res), 100000);
	if (ret)
		res[1] = thp_now_ns() - t0;
	/* the loop's worst, or the one still waiting */
	inflight = ls->op_start;
	inflight = inflight ? thp_now_ns() - inflight : 0;
	worst = ls->worst > inflight ? ls->worst : inflight;
	ls->stop = 1;
	ksft_print_msg("scan %d: %s after %llu ms; target's mmap+munmap: %llu done, worst %llu ms\n",
		       kid, ret ? "still running" : res[0] ? strerror(res[0]) : "ok",
		       (unsigned long long)res[1] / 1000000, (unsigned long long)ls->ops,
		       (unsigned long long)worst / 1000000);
	ASSERT_EQ(0, ret) TH_LOG("scan not done after 100 s");
	st = kid_wait(e, scanner);
	close(srd);
	close(swr);
	KID_OK(st);
	EXPECT_EQ(0, res[0]) TH_LOG("scan: %s", strerror(res[0]));
	EXPECT_GT(5000000000ULL, res[1]) TH_LOG("scan took %llu ms", (unsigned long long)res[1] / 1000000);
	EXPECT_GT(2000000000ULL, worst) TH_LOG("mmap+munmap waited %llu ms",
					       (unsigned long long)worst / 1000000);
	lockups1 = klog_count("soft lockup");
	EXPECT_EQ(lockups0, lockups1) TH_LOG("the kernel log has a new soft lockup");

	found1 = thp_stat("scan_found");
	ksft_print_msg("scan_found %lld -> %lld\n", found0, found1);
	if (thp) {
		struct qline q = { .result = "(not in queue_done)" };

		EXPECT_EQ(found0 + 1, found1);
		EXPECT_EQ(0, thp_queue_wait(kid, 20000));
		qline_find("queue_done", kid, info.thp, &q);
		ksft_print_msg("the worker on the target's pte-mapped THP: '%s' after %u attempts\n",
			       q.result, q.attempts);
		SMAPS(kid, info.thp, "AnonHugePages", e->kb);
	} else {
		EXPECT_EQ(found0, found1);
	}
	ASSERT_EQ(1, write(wr, "x", 1));
	st = kid_wait(e, kid);
	close(rd);
	close(wr);
	KID_OK(st);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "--exec-target"))
		return exec_target(argc, argv);
	return test_harness_run(argc, argv);
}
