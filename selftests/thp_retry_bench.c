// SPDX-License-Identifier: GPL-2.0
/*
 * thp_retry_bench - how long one collapse of a pte-mapped shmem THP takes.
 *
 * Not a test: it prints lines starting with "# bench: " and exits 0, or 1
 * when it cannot set up (module not loaded, no huge tmpfs, no THP).
 *
 * For N iterations on one PMD of a huge=always tmpfs file mapped in this
 * process: make the range pte-mapped with the module's "split", then time
 * one collapse (CLOCK_MONOTONIC around the write() alone) with
 * engine=native, with engine=kernel (when "features" has it enabled) and
 * with process_madvise(MADV_COLLAPSE) on our own pidfd. Every split is timed
 * too. Medians are in microseconds.
 *
 * Second section, the retry queue: QUEUE_RANGES PMD ranges of a huge tmpfs
 * file (default, and at most, as many as 1 GiB holds: 512 with 4 KiB pages,
 * 32 with 16 KiB), as many as got a THP (at least 128 MiB of them: 64 or 4,
 * or all if fewer were asked for), are split; the time from the first
 * "queue" write until the worker has emptied the queue (worker_ms) is
 * compared with a loop of synchronous "collapse" writes on the same ranges
 * split again (sync_ms); medians of 3 rounds.
 * ratio_sync_over_worker is sync_ms / worker_ms. scan_sleep_ms is 20 during
 * it. Then worker_wakeups is read across 2 s with an empty queue.
 * QUEUE_RANGES 0 leaves the queue section out; a setup failure skips it with
 * a message.
 *
 * Run it as root in the guest with thp_retry loaded, e.g. from the runner's
 * bench mode (vm/bench.sh):  thp_retry_bench [iterations] [queue_ranges]
 * It is built into $(TOOLS_OUT), the guest's /bin, not among the tests.
 */
#define _GNU_SOURCE
#include <sys/uio.h>

#include "thp_retry_util.h"
#include "thp_bench.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE		25
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open		434
#endif
#ifndef SYS_process_madvise
#define SYS_process_madvise	440
#endif

#define MAX_ITERS	1000

static char dir[64], khd_sleep[32];

static void cleanup(void)
{
	thp_set_engine("native");
	thp_khugepaged_resume(khd_sleep);
	thp_umount(dir);
}

static int die(const char *what, int err)
{
	printf("# bench: setup failed: %s: %s\n", what, strerror(err));
	cleanup();
	return 1;
}

/* Time one request on @name in microseconds; -1 if it did not succeed. */
static double timed_request(const char *name, void *addr, char *res, size_t reslen)
{
	char path[128], req[64];
	uint64_t t0, t1;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), THP_DEBUGFS "/%s", name);
	snprintf(req, sizeof(req), "%d:0x%lx", getpid(), (unsigned long)addr);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(res, reslen, "(open: %s)", strerror(errno));
		return -1;
	}
	t0 = thp_now_ns();
	n = write(fd, req, strlen(req));
	t1 = thp_now_ns();
	thp_read_result(fd, res, reslen);
	close(fd);
	return n == (ssize_t)strlen(req) ? (t1 - t0) / 1000.0 : -1;
}

static double timed_madv_collapse(int pidfd, void *addr, size_t len, int *err)
{
	struct iovec iov = { .iov_base = addr, .iov_len = len };
	uint64_t t0, t1;
	long ret;

	t0 = thp_now_ns();
	ret = syscall(SYS_process_madvise, pidfd, &iov, 1, MADV_COLLAPSE, 0);
	t1 = thp_now_ns();
	*err = ret < 0 ? errno : 0;
	return ret < 0 ? -1 : (t1 - t0) / 1000.0;
}

/* Is @p's PMD pte-mapped (split) or PMD-mapped? */
static bool pmd_mapped(void *p)
{
	return thp_smaps_kb(getpid(), p, "ShmemPmdMapped") > 0;
}

struct series {
	const char *name;
	double v[3 * MAX_ITERS];	/* split: one per collapse of each kind */
	int n;
	int failed;
	char last_err[128];
};

/* the queue section's file: at most QUEUE_BYTES, QUEUE_MIN_BYTES of THPs at least */
#define QUEUE_BYTES	(1024 * THP_MIB)
#define QUEUE_MIN_BYTES	(QUEUE_BYTES / 8)
#define QUEUE_ROUNDS	3

static char qdir[64], qsleep[32], qmax[32];

/* Undo the queue section's setup; @p/@len the mapping, @fd the file (-1: none). */
static void queue_cleanup(char *p, size_t len, int fd)
{
	if (p && p != MAP_FAILED)
		munmap(p, len);
	if (fd >= 0)
		close(fd);
	if (qsleep[0])
		thp_param_set("scan_sleep_ms", qsleep);
	qsleep[0] = '\0';
	if (qmax[0])
		thp_param_set("max_attempts", qmax);
	qmax[0] = '\0';
	thp_umount(qdir);
}

/* Wait until stats queue_len is at most @len0, at most @ms; 0 or -ETIMEDOUT. */
static int queue_len_wait(long long len0, unsigned int ms)
{
	uint64_t end = thp_now_ns() + ms * 1000000ULL;
	long long len;

	for (;;) {
		len = thp_stat("queue_len");
		if (len >= 0 && len <= len0)
			return 0;
		if (thp_now_ns() >= end)
			return -ETIMEDOUT;
		usleep(1000);
	}
}

/* Split every range of the mapping at @p; the number that did not split. */
static int split_ranges(char *p, char **r, int n, char *res, size_t reslen)
{
	int i, failed = 0;

	for (i = 0; i < n; i++)
		failed += !!thp_request("split", getpid(), r[i], res, reslen);
	if (!failed && pmd_mapped(p)) {
		snprintf(res, reslen, "ShmemPmdMapped %ld kB after splitting",
			 thp_smaps_kb(getpid(), p, "ShmemPmdMapped"));
		failed = n;
	}
	return failed;
}

/*
 * The worker draining @want split ranges against synchronous collapses of
 * the same ranges. Prints one "queue drain" line, or why it was skipped.
 */
static void queue_bench(long pmd, int want)
{
	size_t len = (size_t)want * pmd;
	int min = thp_pmd_ranges(pmd, want, QUEUE_MIN_BYTES, 1);
	long long len0, gave_up, kb;
	double worker_ms[QUEUE_ROUNDS], sync_ms[QUEUE_ROUNDS];
	char path[128], opts[64], res[256], why[160], a[32];
	int fd = -1, cfd, n = 0, i, failed, round;
	char *p = NULL, **r;
	uint64_t head, t0;

#define SKIP_QUEUE(fmt, ...) do { \
	printf("# bench: queue drain skipped: " fmt "\n", ##__VA_ARGS__); \
	queue_cleanup(p, len, fd); \
	free(r); \
	return; \
} while (0)

	r = calloc(want, sizeof(*r));
	if (!r)
		SKIP_QUEUE("out of memory");
	if (access(THP_DEBUGFS "/queue", F_OK))
		SKIP_QUEUE("%s: %s", THP_DEBUGFS "/queue", strerror(errno));
	if (thp_param_get("scan_sleep_ms", qsleep, sizeof(qsleep)) || !qsleep[0]) {
		qsleep[0] = '\0';
		SKIP_QUEUE("no scan_sleep_ms parameter");
	}
	if (thp_param_set("scan_sleep_ms", "20"))
		SKIP_QUEUE("cannot set scan_sleep_ms");
	/* our own queue writes contend the mmap lock: do not let that give up */
	if (thp_param_get("max_attempts", qmax, sizeof(qmax)) ||
	    thp_param_set("max_attempts", "1000"))
		qmax[0] = '\0';
	snprintf(opts, sizeof(opts), "huge=always,size=%zu", len + pmd);
	i = -thp_mount_tmpfs(qdir, sizeof(qdir), opts);
	if (i)
		SKIP_QUEUE("huge tmpfs: %s", strerror(i));
	thp_write_file("/proc/sys/vm/compact_memory", "1");
	snprintf(path, sizeof(path), "%s/queue", qdir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, len))
		SKIP_QUEUE("%s: %s", path, strerror(errno));
	p = thp_map_aligned(len, pmd, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		SKIP_QUEUE("mmap %zu bytes: %s", len, strerror(errno));
	madvise(p, len, MADV_HUGEPAGE);
	memset(p, 0x5a, len);
	for (i = 0; i < want; i++)
		if (thp_range_is_thp(getpid(), p + (size_t)i * pmd, pmd / sysconf(_SC_PAGESIZE),
				     &head, why, sizeof(why)))
			r[n++] = p + (size_t)i * pmd;
	if (n < min)
		SKIP_QUEUE("only %d of %d ranges got a THP (at least %d needed)", n, want, min);
	for (round = 0; round < QUEUE_ROUNDS; round++) {
		/* the worker: from the first write until the queue is empty again */
		failed = split_ranges(p, r, n, res, sizeof(res));
		if (failed)
			SKIP_QUEUE("%d splits failed, last: %s", failed, res);
		len0 = thp_stat("queue_len");
		gave_up = thp_stat("worker_gave_up");
		t0 = thp_now_ns();
		for (i = 0; i < n; i++) {
			int ret = thp_queue_req(getpid(), r[i]);

			if (ret)
				SKIP_QUEUE("queue %p: %s", r[i], strerror(-ret));
		}
		if (queue_len_wait(len0, 600000))
			SKIP_QUEUE("queue not drained after 600 s");
		worker_ms[round] = (thp_now_ns() - t0) / 1e6;
		kb = thp_smaps_kb(getpid(), p, "ShmemPmdMapped");
		if (kb != (long long)n * pmd / 1024)
			SKIP_QUEUE("worker left %lld of %ld kB PMD-mapped (worker_gave_up +%lld)",
				   kb, n * pmd / 1024, thp_stat("worker_gave_up") - gave_up);

		/* the same ranges, split again, collapsed one synchronous write each */
		failed = split_ranges(p, r, n, res, sizeof(res));
		if (failed)
			SKIP_QUEUE("%d splits failed, last: %s", failed, res);
		cfd = open(THP_DEBUGFS "/collapse", O_RDWR | O_CLOEXEC);
		if (cfd < 0)
			SKIP_QUEUE("%s: %s", THP_DEBUGFS "/collapse", strerror(errno));
		t0 = thp_now_ns();
		for (i = 0, failed = 0; i < n; i++) {
			char req[64];
			int rl = snprintf(req, sizeof(req), "%d:0x%lx", getpid(),
					  (unsigned long)r[i]);

			failed += !!thp_request_fd(cfd, req, rl, res, sizeof(res));
		}
		sync_ms[round] = (thp_now_ns() - t0) / 1e6;
		close(cfd);
		kb = thp_smaps_kb(getpid(), p, "ShmemPmdMapped");
		if (failed || kb != (long long)n * pmd / 1024)
			SKIP_QUEUE("%d synchronous collapses failed, last: %s; %lld kB PMD-mapped",
				   failed, res, kb);
	}
	worker_ms[0] = median(worker_ms, QUEUE_ROUNDS);
	sync_ms[0] = median(sync_ms, QUEUE_ROUNDS);
	printf("# bench: queue drain n=%d worker_ms=%.1f sync_ms=%.1f ratio_sync_over_worker=%s\n",
	       n, worker_ms[0], sync_ms[0], fmt_ratio(sync_ms[0], worker_ms[0], a, sizeof(a)));
	queue_cleanup(p, len, fd);
	free(r);
#undef SKIP_QUEUE
}

/* worker_wakeups across 2 s with an empty queue. */
static void idle_bench(void)
{
	long long w1, w2;

	if (queue_len_wait(0, 30000) || thp_stat("worker_wakeups") < 0) {
		printf("# bench: idle wakeups skipped: queue not empty or no worker_wakeups\n");
		return;
	}
	usleep(100 * 1000);
	w1 = thp_stat("worker_wakeups");
	usleep(2000 * 1000);
	w2 = thp_stat("worker_wakeups");
	printf("# bench: idle wakeups=%lld over 2000 ms\n", w2 - w1);
}

int main(int argc, char **argv)
{
	static struct series col[3] = { { .name = "native" }, { .name = "kernel" },
					{ .name = "madv_collapse" } };
	static struct series split = { .name = "split" };
	char path[128], opts[64], res[256], a[32], b[32], c[32], d[32], e[32];
	int iters = argc > 1 ? atoi(argv[1]) : 20;
	int qranges = argc > 2 ? atoi(argv[2]) : -1;
	int fd, pidfd, pidfd_err, s, i, err, qmax;
	long pmd = thp_pmd_size();
	double us;
	char *p;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (iters < 1 || iters > MAX_ITERS)
		iters = 20;
	if (access(THP_DEBUGFS "/collapse", F_OK))
		return die(THP_DEBUGFS "/collapse", errno);
	if (pmd <= 0)
		return die("hpage_pmd_size", pmd < 0 ? -pmd : EINVAL);
	thp_khugepaged_pause(khd_sleep, sizeof(khd_sleep));
	snprintf(opts, sizeof(opts), "huge=always,size=%ld", 4 * pmd);
	err = -thp_mount_tmpfs(dir, sizeof(dir), opts);
	if (err)
		return die("huge tmpfs", err);
	snprintf(path, sizeof(path), "%s/bench", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, pmd))
		return die(path, errno);
	p = thp_map_aligned(pmd, pmd, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return die("mmap", errno);
	memset(p, 0x5a, pmd);
	if (!pmd_mapped(p))
		return die("huge tmpfs page is not PMD-mapped", EINVAL);
	pidfd = syscall(SYS_pidfd_open, getpid(), 0);
	pidfd_err = pidfd < 0 ? errno : 0;

	for (s = 0; s < 3; s++) {
		struct series *cs = &col[s];

		if (s == 1 && thp_kernel_engine_disabled()) {
			snprintf(cs->last_err, sizeof(cs->last_err), "kernel-engine disabled");
			continue;
		}
		if (s < 2 && thp_set_engine(cs->name)) {
			snprintf(cs->last_err, sizeof(cs->last_err), "engine=%s refused", cs->name);
			continue;
		}
		if (s == 2 && pidfd < 0) {
			snprintf(cs->last_err, sizeof(cs->last_err), "pidfd_open: %s",
				 strerror(pidfd_err));
			continue;
		}
		for (i = 0; i < iters; i++) {
			us = timed_request("split", p, res, sizeof(res));
			if (us < 0 || pmd_mapped(p)) {
				split.failed++;
				snprintf(split.last_err, sizeof(split.last_err), "%.100s", res);
				continue;
			}
			split.v[split.n++] = us;
			if (s < 2) {
				us = timed_request("collapse", p, res, sizeof(res));
				if (us < 0)
					snprintf(cs->last_err, sizeof(cs->last_err), "%.100s", res);
			} else {
				us = timed_madv_collapse(pidfd, p, pmd, &err);
				if (us < 0)
					snprintf(cs->last_err, sizeof(cs->last_err),
						 "process_madvise: %s", strerror(err));
			}
			if (us >= 0 && !pmd_mapped(p)) {
				us = -1;
				snprintf(cs->last_err, sizeof(cs->last_err), "not PMD-mapped");
			}
			if (us < 0)
				cs->failed++;
			else
				cs->v[cs->n++] = us;
		}
		thp_set_engine("native");
	}
	if (pidfd >= 0)
		close(pidfd);

	for (s = 0; s < 3; s++)
		if (col[s].failed || !col[s].n)
			printf("# bench: collapse %s: %d of %d failed, last: %s\n", col[s].name,
			       col[s].failed, col[s].n + col[s].failed, col[s].last_err);
	if (split.failed)
		printf("# bench: split: %d failed, last: %s\n", split.failed, split.last_err);
	for (s = 0; s < 3; s++)
		col[s].v[0] = median(col[s].v, col[s].n);
	printf("# bench: collapse native median_us=%s kernel median_us=%s",
	       fmt_us(col[0].v[0], a, sizeof(a)), fmt_us(col[1].v[0], b, sizeof(b)));
	printf(" madv_collapse median_us=%s ratio native/kernel=%s native/madv=%s\n",
	       fmt_us(col[2].v[0], c, sizeof(c)),
	       fmt_ratio(col[0].v[0], col[1].v[0], d, sizeof(d)),
	       fmt_ratio(col[0].v[0], col[2].v[0], e, sizeof(e)));
	printf("# bench: split median_us=%s n=%d\n",
	       fmt_us(median(split.v, split.n), a, sizeof(a)), split.n);

	/* as many as QUEUE_BYTES holds: the default, and the most */
	qmax = QUEUE_BYTES / pmd ? QUEUE_BYTES / pmd : 1;
	if (qranges < 0 || qranges > qmax)
		qranges = qmax;
	if (qranges)
		queue_bench(pmd, qranges);
	else
		printf("# bench: queue drain skipped: queue_ranges 0\n");
	idle_bench();
	cleanup();
	return 0;
}
