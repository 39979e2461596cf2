// SPDX-License-Identifier: GPL-2.0
/*
 * thp_retry_fuzz - random and mutated requests to every writable interface
 * (debugfs split, collapse, queue, scan and /dev/thp_retry) from concurrent
 * writers, aimed at a victim process with every kind of mapping: a huge
 * tmpfs file shared and private (with a CoW page), anonymous THPs, a
 * small-page tmpfs file, a memfd, a PROT_NONE hole, and any address of its
 * other VMAs (text, data, heap, stack, vdso, vvar), read from its maps.
 *
 * autoscan=1 and takeover=1 throughout. Success: no write returns more
 * than it was given, the module still
 * answers a valid request afterwards, and the victim's memory is exactly
 * what it wrote (checksums per region; the runner fails the run on any
 * splat in the kernel log). THP_FUZZ_WRITES sets the total (default
 * 100000); most inputs are invalid on purpose, a few percent are valid
 * requests that really split and collapse the victim's THPs.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/wait.h>

/* The 6.12 harness's TEST_F wrapper trips -Wclobbered on its own variable. */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "thp_retry_dev.h"

#define NR_WRITERS	4
#define NR_REGIONS	6
#define MAX_VMAS	128

/* The victim's own regions; all but R_HOLE are checksummed. */
enum { R_HUGE, R_HUGE_PRIVATE, R_ANON, R_SMALL_FILE, R_MEMFD, R_HOLE };

struct victim {
	pid_t pid;
	char *addr[NR_REGIONS];
	size_t len[NR_REGIONS];
};

static const char * const targets[] = {
	THP_DEBUGFS "/split", THP_DEBUGFS "/collapse", THP_DEBUGFS "/queue",
	THP_DEBUGFS "/scan", THP_DEV,
};
static const char * const verbs[] = { "split", "collapse", "queue", "scan" };

static struct victim v;
static size_t page_size;
static long writes_per_writer;
static pid_t dead_pid;
/* every VMA of the victim (text, data, heap, stack, vdso, vvar, ...) */
static unsigned long vma_start[MAX_VMAS], vma_end[MAX_VMAS];
static int nr_vmas;

/* Read the victim's VMAs from /proc/PID/maps. */
static void read_vmas(pid_t pid)
{
	char path[64], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (nr_vmas < MAX_VMAS && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &vma_start[nr_vmas], &vma_end[nr_vmas]) == 2)
			nr_vmas++;
	fclose(f);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * FNV-1a over 8-byte words (@len is a multiple of 8): each step is a
 * bijection of the running value, so any one changed word changes the sum;
 * a word at a time keeps the regions of 32 MiB PMDs quick under TCG.
 */
static uint64_t sum(const char *p, size_t len)
{
	uint64_t h = 1469598103934665603ULL, w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 1099511628211ULL;
	}
	return h;
}

static void fill(char *p, size_t len, int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (char)(i * 31 + seed + i / page_size);
}

/*
 * An address worth trying: in one of the victim's regions, in any other
 * VMA of it, odd values, or anywhere.
 */
static unsigned long pick_addr(uint64_t *s)
{
	const unsigned long odd[] = {
		0, 1, page_size, 0x7fffffffffffUL, 0x800000000000UL, ~0UL, 0xffff800000000000UL,
	};
	int r = rnd(s) % (NR_REGIONS + 3);

	/* up to two pages past the end of a region, too */
	if (r < NR_REGIONS)
		return (unsigned long)v.addr[r] + rnd(s) % (v.len[r] + 2 * page_size);
	if (r == NR_REGIONS && nr_vmas) {
		int i = rnd(s) % nr_vmas;

		return vma_start[i] + rnd(s) % (vma_end[i] - vma_start[i]);
	}
	if (r == NR_REGIONS + 1)
		return odd[rnd(s) % ARRAY_SIZE(odd)];
	return rnd(s);
}

static pid_t pick_pid(uint64_t *s)
{
	pid_t pids[] = { v.pid, v.pid, v.pid, getpid(), 1, 2, dead_pid, 0, 99999999 };

	return pids[rnd(s) % ARRAY_SIZE(pids)];
}

/*
 * "PID:START-END": START an address worth trying, END a few PMDs on, the
 * end of a region, or odd (below START, huge, past the bound); hex or
 * decimal.
 */
static size_t pick_range(uint64_t *s, char *buf, size_t size)
{
	static unsigned long pmd;	/* the same for every writer */
	unsigned long start = pick_addr(s), end;
	int r = rnd(s) % 8;

	if (!pmd)
		pmd = thp_pmd_size();

	if (r < 4)
		end = start + rnd(s) % (4 * pmd);
	else if (r == 4)
		end = start + (64UL << 30) - rnd(s) % (2 * pmd);
	else if (r == 5)
		end = start - rnd(s) % (2 * pmd);
	else if (r == 6)
		end = pick_addr(s);
	else
		end = ~0UL - rnd(s) % pmd;
	if (rnd(s) & 1)
		return snprintf(buf, size, "%d:0x%lx-0x%lx", pick_pid(s), start, end);
	return snprintf(buf, size, "%d:%lu-%lu", pick_pid(s), start, end);
}

/* One input for target @t into @buf; returns its length. */
static size_t make_input(uint64_t *s, int t, char *buf, size_t size)
{
	size_t n = 0, i;
	int kind = rnd(s) % 100;

	if (t == 4)
		n = snprintf(buf, size, "%s ", verbs[rnd(s) % ARRAY_SIZE(verbs)]);
	if (kind < 25) {			/* random bytes */
		size_t len = rnd(s) % 300;

		for (i = 0; i < len && n < size; i++)
			buf[n++] = (char)rnd(s);
		return n;
	}
	if (t == 3 || (t == 4 && !strncmp(buf, "scan", 4)))
		n += snprintf(buf + n, size - n, "%d", pick_pid(s));
	else if (rnd(s) % 3 == 0)		/* PID:START-END */
		n += pick_range(s, buf + n, size - n);
	else if (rnd(s) & 1)
		n += snprintf(buf + n, size - n, "%d:0x%lx", pick_pid(s), pick_addr(s));
	else
		n += snprintf(buf + n, size - n, "%d:%lu", pick_pid(s), pick_addr(s));
	if (rnd(s) % 3 == 0 && n < size)
		buf[n++] = '\n';
	if (kind < 97) {			/* near-valid: 1-3 mutations */
		int m = 1 + rnd(s) % 3;
		static const char junk[] = " :+-x0\n\t\0\xff" "9aZ";

		while (m-- && n) {
			size_t at = rnd(s) % n;

			switch (rnd(s) % 3) {
			case 0:
				buf[at] = junk[rnd(s) % (sizeof(junk) - 1)];
				break;
			case 1:
				if (n < size) {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = junk[rnd(s) % (sizeof(junk) - 1)];
					n++;
				}
				break;
			default:
				memmove(buf + at, buf + at + 1, n - at - 1);
				n--;
			}
		}
	}
	return n;	/* else: a valid request */
}

struct writer {
	pthread_t th;
	uint64_t seed;
	long writes, too_long;
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	int fds[ARRAY_SIZE(targets)];
	char buf[512], res[256];
	size_t t, n;
	long i;

	for (t = 0; t < ARRAY_SIZE(targets); t++)
		fds[t] = open(targets[t], O_RDWR | O_CLOEXEC);
	for (i = 0; i < writes_per_writer; i++) {
		ssize_t ret;

		t = rnd(&w->seed) % ARRAY_SIZE(targets);
		if (fds[t] < 0)
			continue;
		n = make_input(&w->seed, t, buf, sizeof(buf));
		ret = write(fds[t], buf, n);
		if (ret > (ssize_t)n)
			w->too_long++;
		if (t != 2 && t != 3 && (rnd(&w->seed) & 3) == 0)
			(void)!read(fds[t], res, sizeof(res));
		w->writes++;
	}
	for (t = 0; t < ARRAY_SIZE(targets); t++)
		if (fds[t] >= 0)
			close(fds[t]);
	return NULL;
}

FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

TEST_F_TIMEOUT(fuzz, every_writable_interface, 900)
{
	struct thp_huge_range huge, small;
	int cmd[2], rep[2], fd, i;
	char khd[32], path[96], res[256], c, as_saved[8], to_saved[8];
	uint64_t before[NR_REGIONS];
	struct writer w[NR_WRITERS];
	long total = getenv("THP_FUZZ_WRITES") ? atol(getenv("THP_FUZZ_WRITES")) : 100000;
	long done = 0, too_long = 0;
	size_t pmd = thp_pmd_size();
	char opts[64];
	int status;

	page_size = sysconf(_SC_PAGESIZE);
	writes_per_writer = total / NR_WRITERS;
	thp_khugepaged_pause(khd, sizeof(khd));
	/* with autoscan and takeover on (each where the kernel has what it needs) */
	ASSERT_EQ(0, thp_param_get("autoscan", as_saved, sizeof(as_saved)));
	ASSERT_EQ(0, thp_param_get("takeover", to_saved, sizeof(to_saved)));
	thp_param_set("autoscan", "1");
	thp_param_set("takeover", "1");
	memset(&huge, 0, sizeof(huge));
	memset(&small, 0, sizeof(small));
	ASSERT_EQ(0, thp_huge_range_setup(&huge));
	pmd = huge.pmd;
	/* the small-page file is one PMD long */
	snprintf(opts, sizeof(opts), "size=%zu", 2 * pmd);
	ASSERT_EQ(0, thp_mount_tmpfs(small.dir, sizeof(small.dir), opts));
	dead_pid = fork();
	if (!dead_pid)
		_exit(0);
	waitpid(dead_pid, NULL, 0);

	ASSERT_EQ(0, pipe(cmd));
	ASSERT_EQ(0, pipe(rep));
	v.pid = fork();
	ASSERT_LE(0, v.pid);
	if (!v.pid) {
		/* the victim: every kind of mapping, filled, checksummed */
		v.addr[R_HUGE] = thp_map_aligned(pmd, pmd, PROT_READ | PROT_WRITE, MAP_SHARED,
						 huge.fd, 0);
		v.len[R_HUGE] = pmd;
		v.len[R_HUGE_PRIVATE] = pmd;
		v.addr[R_HUGE_PRIVATE] = thp_map_aligned(pmd, pmd, PROT_READ | PROT_WRITE,
							 MAP_PRIVATE, huge.fd, 0);
		v.len[R_ANON] = 2 * pmd;
		v.addr[R_ANON] = thp_map_aligned(2 * pmd, pmd, PROT_READ | PROT_WRITE,
						 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		/* anonymous THPs (the guest boots with transparent_hugepage=madvise) */
		if (v.addr[R_ANON] != MAP_FAILED)
			madvise(v.addr[R_ANON], 2 * pmd, MADV_HUGEPAGE);
		snprintf(path, sizeof(path), "%s/small", small.dir);
		fd = open(path, O_RDWR | O_CREAT, 0600);
		if (fd < 0 || ftruncate(fd, pmd))
			_exit(10);
		v.len[R_SMALL_FILE] = pmd;
		v.addr[R_SMALL_FILE] = thp_map_aligned(pmd, pmd, PROT_READ | PROT_WRITE,
						       MAP_SHARED, fd, 0);
		fd = memfd_create("thp_retry_fuzz", MFD_CLOEXEC);
		if (fd < 0 || ftruncate(fd, pmd))
			_exit(10);
		v.len[R_MEMFD] = pmd;
		v.addr[R_MEMFD] = thp_map_aligned(pmd, pmd, PROT_READ | PROT_WRITE, MAP_SHARED,
						  fd, 0);
		v.len[R_HOLE] = pmd;
		v.addr[R_HOLE] = thp_map_aligned(pmd, pmd, PROT_NONE,
						 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		for (i = 0; i < R_HOLE; i++) {
			if (v.addr[i] == MAP_FAILED)
				_exit(11);
			if (i != R_HUGE && i != R_HUGE_PRIVATE)
				fill(v.addr[i], v.len[i], i);
		}
		v.addr[R_HUGE_PRIVATE][7 * page_size + 5] ^= 0x5a;	/* one private CoW page */
		for (i = 0; i < R_HOLE; i++)
			before[i] = sum(v.addr[i], v.len[i]);
		v.pid = getpid();
		if (write(rep[1], &v, sizeof(v)) != sizeof(v))
			_exit(12);
		if (read(cmd[0], &c, 1) != 1)
			_exit(13);
		for (i = 0; i < R_HOLE; i++)
			if (sum(v.addr[i], v.len[i]) != before[i])
				_exit(20 + i);
		_exit(0);
	}
	ASSERT_EQ(sizeof(v), read(rep[0], &v, sizeof(v)));
	read_vmas(v.pid);
	ksft_print_msg("victim %d: %d VMAs\n", v.pid, nr_vmas);

	for (i = 0; i < NR_WRITERS; i++) {
		w[i] = (struct writer){ .seed = 0x9e3779b97f4a7c15ULL * (i + 1) ^ getpid() };
		ASSERT_EQ(0, pthread_create(&w[i].th, NULL, writer_fn, &w[i]));
	}
	for (i = 0; i < NR_WRITERS; i++) {
		pthread_join(w[i].th, NULL);
		done += w[i].writes;
		too_long += w[i].too_long;
	}
	ksft_print_msg("%ld writes by %d writers\n", done, NR_WRITERS);
	EXPECT_EQ(0, too_long);
	EXPECT_LE(total - NR_WRITERS, done);

	/* still answers: the victim's THP maps by PMD again */
	EXPECT_EQ(0, thp_request("collapse", v.pid, v.addr[R_HUGE], res, sizeof(res)))
		TH_LOG("%s", res);
	EXPECT_EQ(pmd >> 10, thp_smaps_kb(v.pid, v.addr[R_HUGE], "ShmemPmdMapped"));

	/* the victim's memory is what it wrote */
	ASSERT_EQ(1, write(cmd[1], "x", 1));
	ASSERT_EQ(v.pid, waitpid(v.pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("victim status %#x (20+N: region N changed)", status);
	thp_huge_range_teardown(&huge);
	thp_umount(small.dir);
	thp_param_set("takeover", to_saved);
	thp_param_set("autoscan", as_saved);
	thp_khugepaged_resume(khd);
}

TEST_HARNESS_MAIN
