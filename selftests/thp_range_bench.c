// SPDX-License-Identifier: GPL-2.0
/*
 * thp_range_bench - one PID:START-END request against MADV_COLLAPSE over
 * the same region, and against one request per PMD range.
 *
 * Not a test: prints "# bench: " lines and exits 0, or 1 when it cannot set
 * up (module not loaded, no THPs).
 *
 * Two regions, one after the other: a huge tmpfs file mapped MAP_SHARED
 * ("shmem") and anonymous THPs ("anon"), SIZE MiB each, every PMD range a
 * THP. In each round, each of three methods gets the region all
 * pte-mapped (one "split PID:START-END", not timed) and collapses it:
 *
 *   range    one "collapse PID:START-END" (engine=native)
 *   madvise  one madvise(MADV_COLLAPSE) over the region
 *   single   one "collapse PID:ADDR" per PMD range, one open file
 *
 * The order of the three turns from round to round. Each collapse is
 * timed whole (CLOCK_MONOTONIC); the region's PMD-mapped share (smaps) and,
 * for shmem, its contents through read() are checked after each. The
 * lines give each method's median time in ms, its worst coverage, and the
 * ratios madvise/range and single/range (how many times faster a range
 * is).
 *
 * Usage (guest, as root, thp_retry loaded): thp_range_bench [SIZE_MIB] [ROUNDS]
 * SIZE_MIB defaults to 1024 (at least 4 PMD ranges), ROUNDS to 3.
 */
#define _GNU_SOURCE
#include "thp_retry_util.h"
#include "thp_bench.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

#define MAX_ROUNDS	16

enum { M_RANGE, M_MADVISE, M_SINGLE, NR_METHODS };
static const char *const method_names[] = { "range", "madvise", "single" };

static char khd_sleep[32], dir[64];

static void cleanup(void)
{
	thp_khugepaged_resume(khd_sleep);
	thp_umount(dir);
}

static int die(const char *what, int err)
{
	printf("# bench: setup failed: %s: %s\n", what, strerror(err));
	cleanup();
	return 1;
}

static int range_req(const char *verb, char *p, size_t len, char *res, size_t size)
{
	char r[96];
	int n = snprintf(r, sizeof(r), "%d:0x%lx-0x%lx", getpid(), (unsigned long)p,
			 (unsigned long)(p + len));

	return thp_request_raw(verb, r, n, res, size);
}

/* Collapse the region with method @m; 0 or -errno, the last result in @res. */
static int collapse(int m, char *p, size_t len, size_t pmd, char *res, size_t size)
{
	char path[128], r[64];
	size_t off;
	int fd, n, ret = 0;

	switch (m) {
	case M_RANGE:
		return range_req("collapse", p, len, res, size);
	case M_MADVISE:
		ret = madvise(p, len, MADV_COLLAPSE) ? -errno : 0;
		snprintf(res, size, "madvise: %s", strerror(-ret));
		return ret;
	default:
		snprintf(path, sizeof(path), THP_DEBUGFS "/collapse");
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		for (off = 0; off < len && !ret; off += pmd) {
			n = snprintf(r, sizeof(r), "%d:0x%lx", getpid(), (unsigned long)(p + off));
			ret = thp_request_fd(fd, r, n, res, size);
		}
		close(fd);
		return ret;
	}
}

/* Time the three methods on the region at @p, @rounds times; print the lines. */
static int bench(const char *kind, char *p, size_t len, size_t pmd, int fd, int rounds)
{
	const char *field = fd >= 0 ? "ShmemPmdMapped" : "AnonHugePages";
	double ms[NR_METHODS][MAX_ROUNDS], med[NR_METHODS], worst[NR_METHODS];
	char res[1024], a[32], b[32];
	char *buf = fd >= 0 ? malloc(len) : NULL;
	int r, i, m, ret;

	for (m = 0; m < NR_METHODS; m++)
		worst[m] = 100;
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < NR_METHODS; i++) {
			uint64_t t0, t1;
			double cov;

			m = (r + i) % NR_METHODS;
			ret = range_req("split", p, len, res, sizeof(res));
			if (ret || thp_smaps_kb(getpid(), p, field)) {
				printf("# bench: range_%s split failed: %s\n", kind, res);
				free(buf);
				return -1;
			}
			t0 = thp_now_ns();
			ret = collapse(m, p, len, pmd, res, sizeof(res));
			t1 = thp_now_ns();
			ms[m][r] = (t1 - t0) / 1e6;
			cov = 100.0 * thp_smaps_kb(getpid(), p, field) * 1024 / len;
			if (cov < worst[m])
				worst[m] = cov;
			if (ret)
				printf("# bench: range_%s %s round %d: %s (%s)\n", kind,
				       method_names[m], r, strerror(-ret), res);
			if (buf && (pread(fd, buf, len, 0) != (ssize_t)len ||
				    thp_verify(buf, len, 0, 0) != -1)) {
				printf("# bench: range_%s %s round %d: WRONG FILE DATA\n", kind,
				       method_names[m], r);
				free(buf);
				return -1;
			}
			if (thp_verify(p, len, 0, 0) != -1) {
				printf("# bench: range_%s %s round %d: WRONG DATA\n", kind,
				       method_names[m], r);
				free(buf);
				return -1;
			}
		}
	}
	free(buf);
	for (m = 0; m < NR_METHODS; m++) {
		med[m] = median(ms[m], rounds);
		printf("# bench: range_%s %s median_ms=%.1f worst_coverage=%.0f%% rounds=%d\n", kind,
		       method_names[m], med[m], worst[m], rounds);
	}
	printf("# bench: range_%s size_mib=%zu ranges=%zu madvise/range=%s single/range=%s\n", kind,
	       len >> 20, len / pmd, fmt_ratio(med[M_MADVISE], med[M_RANGE], a, sizeof(a)),
	       fmt_ratio(med[M_SINGLE], med[M_RANGE], b, sizeof(b)));
	return 0;
}

int main(int argc, char **argv)
{
	size_t pmd = thp_pmd_size(), len;
	int rounds = argc > 2 ? atoi(argv[2]) : 3, fd, ret;
	char opts[64], path[128];
	char *p;

	len = (argc > 1 ? strtoul(argv[1], NULL, 0) : 1024) * THP_MIB;
	if ((long)pmd <= 0 || thp_loaded() <= 0)
		return die("module or THP", ENOENT);
	if (len < 4 * pmd)
		len = 4 * pmd;
	len &= ~(pmd - 1);
	if (rounds < 1 || rounds > MAX_ROUNDS)
		rounds = 3;
	thp_khugepaged_pause(khd_sleep, sizeof(khd_sleep));
	if (thp_set_engine("native"))
		return die("engine=native", EINVAL);

	/* shmem: a huge tmpfs file, MAP_SHARED */
	snprintf(opts, sizeof(opts), "huge=always,size=%zu", len + pmd);
	ret = thp_mount_tmpfs(dir, sizeof(dir), opts);
	if (ret)
		return die("huge tmpfs", -ret);
	snprintf(path, sizeof(path), "%s/region", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, len))
		return die("tmpfs file", errno);
	p = thp_map_aligned(len, pmd, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return die("mmap shmem", errno);
	thp_fill(p, len, 0, 0);
	if (thp_smaps_kb(getpid(), p, "ShmemPmdMapped") * 1024 != (long)len)
		return die("shmem THPs", ENOMEM);
	bench("shmem", p, len, pmd, fd, rounds);
	munmap(p, len);
	close(fd);
	unlink(path);

	/* anon: private anonymous THPs */
	p = thp_map_aligned(len, pmd, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return die("mmap anon", errno);
	madvise(p, len, MADV_HUGEPAGE);
	thp_fill(p, len, 0, 0);
	if (thp_smaps_kb(getpid(), p, "AnonHugePages") * 1024 < (long)len)
		printf("# bench: range_anon only %ld of %zu kB are THPs\n",
		       thp_smaps_kb(getpid(), p, "AnonHugePages"), len >> 10);
	else
		bench("anon", p, len, pmd, -1, rounds);
	munmap(p, len);
	cleanup();
	return 0;
}
