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
 * Run it as root in the guest with thp_retry loaded, e.g. from the runner's
 * bench mode (vm/bench.sh):  thp_retry_bench [iterations]
 * It is built into $(TOOLS_OUT), the guest's /bin, not among the tests.
 */
#define _GNU_SOURCE
#include <sys/uio.h>

#include "thp_retry_util.h"

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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of @n samples (sorted in place); -1 when there are none. */
static double median(double *v, int n)
{
	if (!n)
		return -1;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const char *fmt_us(double us, char *buf, size_t size)
{
	if (us < 0)
		snprintf(buf, size, "n/a");
	else
		snprintf(buf, size, "%.1f", us);
	return buf;
}

static const char *fmt_ratio(double a, double b, char *buf, size_t size)
{
	if (a < 0 || b <= 0)
		snprintf(buf, size, "n/a");
	else
		snprintf(buf, size, "%.2f", a / b);
	return buf;
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

int main(int argc, char **argv)
{
	static struct series col[3] = { { .name = "native" }, { .name = "kernel" },
					{ .name = "madv_collapse" } };
	static struct series split = { .name = "split" };
	char path[128], opts[64], res[256], a[32], b[32], c[32], d[32], e[32];
	int iters = argc > 1 ? atoi(argv[1]) : 20;
	int fd, pidfd, pidfd_err, s, i, err;
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
	cleanup();
	return 0;
}
