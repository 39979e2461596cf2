/* SPDX-License-Identifier: GPL-2.0 */
/*
 * thp_queue_util.h - helpers of thp_retry_queue: its fixtures' context with
 * the module parameters saved at setup, the queue's debugfs files written
 * and parsed, a sparse contents pattern, the "blocker" thread, defined in
 * thp_queue_util.c; with kselftest_harness.h included first, also the
 * fixtures' setup and the checks the tests are written with (QUEUE(),
 * DRAINED(), LINES(), ...).
 */
#ifndef THP_QUEUE_UTIL_H
#define THP_QUEUE_UTIL_H

#include <pthread.h>

#include "thp_retry_util.h"
#include "thp_retry_req.h"

#define MAX_KIDS	2
#define FAST_SLEEP_MS	20	/* scan_sleep_ms during the tests */
/*
 * A blocker's region: 4096 pages (16 MiB of 4 KiB pages, 64 MiB of 16 KiB),
 * so that each mprotect() holds the mmap lock over as many PTEs whatever
 * the page size; in bytes of 16 KiB pages it would hold it a quarter as long.
 */
#define BLOCKER_PAGES	4096
#define BLOCKER_LEN	(BLOCKER_PAGES * (size_t)sysconf(_SC_PAGESIZE))
#define GIB		(1UL << 30)

#define NR_QPARAMS	7
extern const char *const qparams[NR_QPARAMS];

/* What a test of fixture "queue" or "queue_misc" works with. */
struct qctx {
	char dir[64];		/* huge tmpfs mount point, "" when none */
	char small_dir[64];	/* tmpfs without huge pages, "" when none */
	char khd_sleep[32];	/* saved khugepaged scan_sleep_millisecs */
	char saved[NR_QPARAMS][32];	/* parameters at setup, "" if not saved */
	size_t ps;		/* page size */
	size_t pmd;		/* PMD size */
	size_t nr;		/* pages per PMD */
	long kb;		/* PMD size in kB */
	int files;		/* files made so far */
	const char *engine;	/* engine= of the variant */
	uint64_t t0;		/* end of setup, for the test's duration */
	pid_t kids[MAX_KIDS];	/* live children, killed at teardown */
};

void q_cleanup(struct qctx *c);
const char *saved_param(struct qctx *c, const char *name);

int write_raw(const char *name, const void *buf, size_t len);
void fill_sparse(char *p, size_t len, uint64_t off);
long verify_sparse(const char *p, size_t len, uint64_t off);

/* One line of "queue" or "queue_done": "PID 0xADDR ATTEMPTS RESULT". */
struct qline {
	pid_t pid;
	unsigned long addr;
	unsigned int attempts;
	char res[48];
};

int read_lines(const char *name, struct qline *out, int max, char *bad, size_t badlen);
bool collapsed_result(const char *res);
const struct qline *last_for(const struct qline *d, int n, pid_t pid, const void *addr);

/*
 * A thread looping mprotect() on @len bytes of an anonymous region of its
 * own process: the mmap lock is held for write most of the time, so the
 * worker's trylock fails (mmap_lock_contended) and its entries back off.
 * Used by children too: no ASSERT.
 */
struct blocker {
	pthread_t th;
	char *map;
	size_t map_len;
	size_t len;
	unsigned int pause_us;
	int stop;
	unsigned long ops;
	int err;
	bool running;
};

int blocker_start(struct blocker *b, size_t map_len, size_t len, unsigned int pause_us);
unsigned long blocker_stop(struct blocker *b);

int unload_retry(void);

#ifdef TH_LOG	/* helpers for kselftest_harness.h programs */

/*
 * Setup of both fixtures: the module loaded, every parameter of qparams[]
 * saved, engine=@engine, scan_sleep_ms FAST_SLEEP_MS, khugepaged paused, a
 * huge tmpfs mounted, the queue empty.
 */
static inline void q_setup(struct __test_metadata *_metadata, struct qctx *c,
			    const char *engine)
{
	const char *what = "";
	char val[32];
	long pmd = thp_pmd_size(), left;
	int ret = 0, i;

	ASSERT_LT(0, pmd) TH_LOG("cannot read hpage_pmd_size");
	c->ps = sysconf(_SC_PAGESIZE);
	c->pmd = pmd;
	c->nr = pmd / c->ps;
	c->kb = pmd / 1024;
	c->engine = engine;
	if (!thp_loaded()) {
		ret = thp_load(NULL);
		ASSERT_EQ(0, ret) TH_LOG("load %s: %s", thp_ko_path(), strerror(-ret));
	}
	ASSERT_EQ(0, access(THP_DEBUGFS "/queue", F_OK))
		TH_LOG(THP_DEBUGFS "/queue: %s", strerror(errno));
	for (i = 0; i < NR_QPARAMS; i++) {
		ret = thp_param_get(qparams[i], val, sizeof(val));
		ASSERT_EQ(0, ret) TH_LOG("parameter %s: %s", qparams[i], strerror(-ret));
		ASSERT_NE('\0', val[0]) TH_LOG("parameter %s is empty", qparams[i]);
		strcpy(c->saved[i], val);
	}
	what = "engine";
	ret = thp_param_set("engine", engine);
	if (!ret) {
		what = "scan_sleep_ms";
		ret = thp_param_set_ul("scan_sleep_ms", FAST_SLEEP_MS);
	}
	if (!ret) {
		thp_khugepaged_pause(c->khd_sleep, sizeof(c->khd_sleep));
		what = "huge tmpfs";
		ret = thp_mount_tmpfs(c->dir, sizeof(c->dir), "huge=always,size=1200m");
	}
	if (ret)
		q_cleanup(c);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", what, strerror(-ret));
	/* start with an empty queue: a failed test's entries leave as process_exited */
	left = thp_queue_wait(0, 15000);
	if (left)
		ksft_print_msg("queue not empty at setup: %ld\n", left);
	c->t0 = thp_now_ns();
}

/* A new file of @size bytes on the huge tmpfs (or the small one). */
static inline int new_file(struct __test_metadata *_metadata, struct qctx *c, const char *dir,
			   size_t size)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/f%d", dir, c->files++);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd) TH_LOG("open %s: %s", path, strerror(errno));
	ASSERT_EQ(0, ftruncate(fd, size)) TH_LOG("ftruncate %s: %s", path, strerror(errno));
	return fd;
}

/* A write to @name ("queue", "scan") must fail with @err (0: succeed). */
static inline void raw_expect(struct __test_metadata *_metadata, int line, const char *name,
			      const char *req, size_t len, int err)
{
	char shown[96];
	int ret = write_raw(name, req, len);

	ASSERT_EQ(-err, ret) TH_LOG("line %d: %s '%s': %s, expected %s", line, name,
				    thp_esc(req, len, shown, sizeof(shown)),
				    ret ? strerror(-ret) : "success", err ? strerror(err) : "success");
}

static inline void queue_expect(struct __test_metadata *_metadata, int line, pid_t pid,
				const void *addr, int err)
{
	char r[64];
	int n = snprintf(r, sizeof(r), "%d:0x%lx", pid, (unsigned long)addr);

	raw_expect(_metadata, line, "queue", r, n, err);
}

#define RAW(name, r, len, err)	raw_expect(_metadata, __LINE__, name, r, len, err)
#define QUEUE(pid, addr, err)	queue_expect(_metadata, __LINE__, pid, addr, err)

/* A split or collapse request that must succeed with @w1 or @w2. */
static inline void sync_req(struct __test_metadata *_metadata, int line, const char *file,
			    pid_t pid, const void *addr, const char *w1, const char *w2)
{
	char res[256];
	int ret = thp_request(file, pid, addr, res, sizeof(res));

	ASSERT_EQ(0, ret) TH_LOG("line %d: %s %d:%p: %s, result '%s'", line, file, pid, addr,
				 strerror(-ret), res);
	ASSERT_TRUE(thp_result_is(res, w1) || thp_result_is(res, w2))
		TH_LOG("line %d: %s %d:%p: result '%s'", line, file, pid, addr, res);
}

#define SPLIT(pid, addr) \
	sync_req(_metadata, __LINE__, "split", pid, addr, "succeeded", "already_pte_mapped")
#define COLLAPSE(pid, addr) \
	sync_req(_metadata, __LINE__, "collapse", pid, addr, "succeeded", "already_pmd_mapped")

/* ShmemPmdMapped of @pid's VMA at @addr must be @kb. */
static inline void pmd_kb(struct __test_metadata *_metadata, int line, pid_t pid,
			  const void *addr, long kb)
{
	long got = thp_smaps_kb(pid, addr, "ShmemPmdMapped");

	ASSERT_EQ(kb, got) TH_LOG("line %d: pid %d %p: ShmemPmdMapped %ld kB, expected %ld kB",
				  line, pid, addr, got, kb);
}

#define PMD_KB(pid, addr, kb)	pmd_kb(_metadata, __LINE__, pid, addr, kb)

static inline void sdata(struct __test_metadata *_metadata, int line, const void *p, size_t len,
			 uint64_t off)
{
	long bad = verify_sparse(p, len, off);

	ASSERT_EQ(-1, bad) TH_LOG("line %d: wrong data at file offset %#llx", line,
				  (unsigned long long)(off + bad));
}

#define SDATA(p, len, off)	sdata(_metadata, __LINE__, p, len, off)

static inline long long stat_of(struct __test_metadata *_metadata, int line, const char *name)
{
	long long v = thp_stat(name);

	ASSERT_LE(0, v) TH_LOG("line %d: no '%s' in stats", line, name);
	return v;
}

#define STAT(name)	stat_of(_metadata, __LINE__, name)

static inline void set_param(struct __test_metadata *_metadata, int line, const char *name,
			     unsigned long val)
{
	int ret = thp_param_set_ul(name, val);

	ASSERT_EQ(0, ret) TH_LOG("line %d: %s=%lu: %s", line, name, val, strerror(-ret));
}

#define SET_PARAM(name, val)	set_param(_metadata, __LINE__, name, val)

/*
 * A new huge file of @n PMDs mapped MAP_SHARED at a PMD-aligned address,
 * MADV_HUGEPAGE, filled with generation 0 (fill_sparse() if @sparse); every
 * range must be one whole THP, PMD-mapped. *@fdp gets the file.
 */
static inline char *thp_area(struct __test_metadata *_metadata, struct qctx *c, size_t n,
			     int *fdp, bool sparse)
{
	size_t len = n * c->pmd, i;
	int fd = new_file(_metadata, c, c->dir, len);
	char *p = map_pmd(_metadata, c->pmd, len, RW, MAP_SHARED, fd, 0), why[160];
	uint64_t head;

	ASSERT_EQ(0, madvise(p, len, MADV_HUGEPAGE));
	if (sparse)
		fill_sparse(p, len, 0);
	else
		thp_fill(p, len, 0, 0);
	for (i = 0; i < n; i++) {
		ASSERT_TRUE(thp_range_is_thp(getpid(), p + i * c->pmd, c->nr, &head, why,
					     sizeof(why)))
			TH_LOG("range %zu of %zu is not one THP: %s", i, n, why);
	}
	PMD_KB(getpid(), p, n * c->kb);
	if (fdp)
		*fdp = fd;
	return p;
}

/* Split @n ranges of @pid from @p: all PTE-mapped afterwards. */
static inline void split_all(struct __test_metadata *_metadata, struct qctx *c, pid_t pid,
			     char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		SPLIT(pid, p + i * c->pmd);
	PMD_KB(pid, p, 0);
}

static inline void queue_all(struct __test_metadata *_metadata, pid_t pid, char *p, size_t n,
			     size_t step)
{
	size_t i;

	for (i = 0; i < n; i++)
		QUEUE(pid, p + i * step, 0);
}

/* Wait (at most @ms) until @pid has no entry in "queue". */
static inline void queue_drained(struct __test_metadata *_metadata, int line, pid_t pid,
				 unsigned int ms)
{
	uint64_t t0 = thp_now_ns();
	long left = thp_queue_wait(pid, ms);

	ASSERT_EQ(0, left) TH_LOG("line %d: %ld entries of pid %d still queued after %.1f s "
				  "(queue_len %lld, worker_retries %lld)", line, left, pid,
				  (thp_now_ns() - t0) / 1e9, thp_stat("queue_len"),
				  thp_stat("worker_retries"));
}

#define DRAINED(pid, ms)	queue_drained(_metadata, __LINE__, pid, ms)

/* The last @max lines of @name, asserting the format; returns how many were kept. */
static inline int lines_of(struct __test_metadata *_metadata, int line, const char *name,
			   struct qline *out, int max)
{
	char bad[160];
	int n = read_lines(name, out, max, bad, sizeof(bad));

	ASSERT_LE(0, n) TH_LOG("line %d: %s: %s%s%s'", line, name, strerror(-n),
			       bad[0] ? ", line '" : "", bad);
	return n < max ? n : max;
}

#define LINES(name, out, max)	lines_of(_metadata, __LINE__, name, out, max)

#define BLOCKER_START(b, map_len, len, pause_us) do { \
	int __r = blocker_start(b, map_len, len, pause_us); \
	ASSERT_EQ(0, __r) TH_LOG("blocker: %s", strerror(-__r)); \
} while (0)

#endif /* TH_LOG */
#endif /* THP_QUEUE_UTIL_H */
