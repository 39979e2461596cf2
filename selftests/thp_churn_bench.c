// SPDX-License-Identifier: GPL-2.0
/*
 * thp_churn_bench - how fast pte-mapped anonymous THPs are PMD-mapped again
 * after churn: stock khugepaged, autoscan=1, takeover=1 (issue #14).
 *
 * Not a test: prints "# bench: " lines and exits 0, or 1 when it cannot set
 * up (module not loaded, no anonymous THP).
 *
 * What it models: a process whose heap is THP-backed and which keeps
 * changing parts of it, as a JIT flipping W^X on code pages, a database
 * locking a buffer for I/O, a runtime telling the kernel a region is cold:
 * every PMD range of the region gets one of
 *   - a sub-range mprotect(PROT_READ) and back (6 ranges of 8);
 *   - a sub-range mlock() and munlock() (1 range of 8);
 *   - a sub-range MADV_COLD (1 range of 8: the kernel splits the folio,
 *     so only the kernel can collapse it again, by copying);
 * and is written again, as the workload goes on.
 * Each leaves the range mapped by PTEs. The *eligible* ranges are those
 * whose folio is still one PMD-size THP afterwards (pagemap and
 * kpageflags): what the in-place engine can recover.
 *
 * For each mode, with khugepaged at scan_sleep_millisecs=100 and
 * pages_to_scan covering the region in one wake (the same in all modes):
 *   stock     module loaded, autoscan=0 takeover=0: khugepaged copies;
 *   autoscan  autoscan=1 (autoscan_sleep_ms=100): the module's scan finds
 *             the ranges and its worker collapses them in place, khugepaged
 *             running beside it;
 *   takeover  takeover=1: khugepaged's own collapses done in place.
 * it reports the time until 99% of the eligible ranges are PMD-mapped again
 * (polled every 20 ms, at most 60 s), how many of them (and of all ranges)
 * were, how many kept their PFNs (in place), whether every byte is intact,
 * the 2 MiB copies made
 * (thp_collapse_alloc in /proc/vmstat) and the CPU time of khugepaged plus
 * the module's two kthreads (utime+stime, /proc/PID/stat). Then the same
 * with guest memory fragmented so that no free PMD-sized block is left
 * (thp_frag.c), khugepaged/defrag=0 so that the kernel does not compact.
 *
 * Usage (guest, as root, thp_retry loaded): thp_churn_bench [MiB]
 * MiB: the region, 256 by default (512 with 32 MiB PMDs).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>

#include "thp_retry_util.h"
#include "thp_frag.h"

#define KHD		THP_SYSFS "/khugepaged/"
#define MAX_RANGES	1024
#define WAIT_MS		60000
#define POLL_MS		20

enum mode { STOCK, AUTOSCAN, TAKEOVER, NR_MODES };
static const char *const mode_name[NR_MODES] = { "stock", "autoscan", "takeover" };

/* What is restored at the end. */
static char khd_sleep[32], khd_scan[32], khd_defrag[32], khd_alloc[32];
static char p_autoscan[16], p_takeover[16], p_as_sleep[16], p_as_pmds[16], p_delay[16];

static size_t ps, pmd;

static void save(const char *path, char *buf, size_t size)
{
	buf[0] = '\0';
	if (thp_read_file(path, buf, size) > 0)
		buf[strcspn(buf, "\n")] = '\0';
}

static void restore(void)
{
	if (p_autoscan[0])
		thp_param_set("autoscan", p_autoscan);
	if (p_takeover[0])
		thp_param_set("takeover", p_takeover);
	if (p_as_sleep[0])
		thp_param_set("autoscan_sleep_ms", p_as_sleep);
	if (p_as_pmds[0])
		thp_param_set("autoscan_pmds", p_as_pmds);
	if (p_delay[0])
		thp_param_set("queue_delay_ms", p_delay);
	if (khd_scan[0])
		thp_write_file(KHD "pages_to_scan", khd_scan);
	if (khd_defrag[0])
		thp_write_file(KHD "defrag", khd_defrag);
	if (khd_alloc[0])
		thp_write_file(KHD "alloc_sleep_millisecs", khd_alloc);
	if (khd_sleep[0])
		thp_write_file(THP_KHD_SLEEP, khd_sleep);
}

/* CPU ticks of the tasks whose comm starts with @prefix. */
static long long comm_ticks(const char *prefix)
{
	char path[300], comm[32];
	long long total = 0, t;
	struct dirent *d;
	DIR *dir = opendir("/proc");

	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", d->d_name);
		if (thp_read_file(path, comm, sizeof(comm)) <= 0 ||
		    strncmp(comm, prefix, strlen(prefix)))
			continue;
		t = thp_khugepaged_ticks(atoi(d->d_name));
		if (t > 0)
			total += t;
	}
	closedir(dir);
	return total;
}

static long long cpu_ticks(void)
{
	return comm_ticks("khugepaged") + comm_ticks("thp_retry");
}

/*
 * Which ranges are PMD-mapped: one read of /proc/self/smaps, whose
 * AnonHugePages is per VMA (each range is a VMA of its own, between
 * PROT_NONE guards). Return: how many of the ranges flagged in @want.
 */
static int pmd_mapped(char *p, int n, const uint64_t *want, bool *is)
{
	static char buf[4 << 20];
	unsigned long start, base = (unsigned long)p;
	int fd = open("/proc/self/smaps", O_RDONLY), count = 0, i = -1;
	ssize_t len = 0, r;
	char *l;

	memset(is, 0, n * sizeof(*is));
	if (fd < 0)
		return -1;
	while ((r = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += r;
	close(fd);
	buf[len] = '\0';
	for (l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (sscanf(l, "%lx-", &start) == 1 && strchr(l, '-') < strchr(l, ' ')) {
			i = start >= base && start < base + 2 * n * pmd &&
			    !((start - base) % (2 * pmd)) ? (start - base) / (2 * pmd) : -1;
		} else if (i >= 0 && !strncmp(l, "AnonHugePages:", 14) &&
			   strtol(l + 14, NULL, 10) >= (long)(pmd / 1024)) {
			is[i] = true;
			count += !want || want[i];
		}
	}
	return count;
}

/* Head PFN of the range if it is one whole THP mapped in order, else 0. */
static uint64_t head_of(char *r)
{
	uint64_t head = 0;
	char why[128];

	return thp_range_is_thp(getpid(), r, pmd / ps, &head, why, sizeof(why)) ? head : 0;
}

static long long now_ms(void)
{
	return (long long)(thp_now_ns() / 1000000);
}

/* The churn burst: every range left PTE-mapped (see the top of the file). */
static void churn(char *p, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		char *r = p + 2 * i * pmd, *sub = r + 16 * ps;

		if (i % 8 == 7) {
			madvise(sub, 8 * ps, MADV_COLD);
		} else if (i % 8 == 3) {
			mlock(sub, 8 * ps);
			munlock(sub, 8 * ps);
		} else {
			mprotect(sub, 8 * ps, PROT_READ);
			mprotect(sub, 8 * ps, PROT_READ | PROT_WRITE);
		}
		/* the workload goes on writing: a read-only range is not collapsed */
		memset(sub, 0x40 + (i & 31), 8 * ps);
	}
}

static int set_mode(enum mode m)
{
	return thp_param_set("autoscan", m == AUTOSCAN ? "1" : "0") ||
	       thp_param_set("takeover", m == TAKEOVER ? "1" : "0");
}

/* Ranges whose bytes are not all the range's fill byte. */
static int changed(char *p, int n)
{
	int i, bad = 0;
	size_t j;

	for (i = 0; i < n; i++) {
		const char *r = p + 2 * i * pmd;

		for (j = 0; j < pmd; j++)
			if (r[j] != 0x40 + (i & 31)) {
				bad++;
				break;
			}
	}
	return bad;
}

/* One run: map, fill, (fragment,) churn, wait, report. 0, or -1 to stop. */
static int run(enum mode m, int n, bool fragmented)
{
	static uint64_t heads[MAX_RANGES];
	static bool is[MAX_RANGES];
	int i, eligible = 0, elig_pmd = 0, all_pmd, kept = 0, thps = 0;
	long long copies, ticks, t0, t99 = -1, passes, passes99 = -1;
	struct thp_frag frag = { 0 };
	const char *what = fragmented ? "fragmented" : "free_memory";
	char *p;

	/* khugepaged asleep while the region is set up */
	thp_write_file(THP_KHD_SLEEP, "3600000");
	if (set_mode(STOCK))
		return -1;
	/* ranges 2i are THPs, 2i+1 guard PMDs that keep the VMAs apart */
	p = thp_map_aligned(2 * n * pmd, pmd, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	for (i = 0; i < n; i++) {
		char *r = p + 2 * i * pmd;

		madvise(r, pmd, MADV_HUGEPAGE);
		memset(r, 0x40 + (i & 31), pmd);
		mprotect(r + pmd, pmd, PROT_NONE);
	}
	thps = pmd_mapped(p, n, NULL, is);
	if (thps < n) {
		printf("# bench: churn %s %s: only %d of %d ranges are THPs, skipped\n",
		       mode_name[m], what, thps, n);
		munmap(p, 2 * n * pmd);	/* nothing was queued for it */
		return 0;
	}
	if (fragmented)
		thp_frag_start(&frag, pmd);
	churn(p, n);
	for (i = 0; i < n; i++) {
		heads[i] = head_of(p + 2 * i * pmd);
		eligible += !!heads[i];
	}
	copies = thp_vmstat("thp_collapse_alloc");
	ticks = cpu_ticks();
	passes = thp_stat("autoscan_passes");
	if (set_mode(m))
		goto out;
	t0 = now_ms();
	thp_write_file(THP_KHD_SLEEP, "100");
	while (now_ms() - t0 < WAIT_MS) {
		elig_pmd = pmd_mapped(p, n, heads, is);
		if (eligible && elig_pmd * 100 >= eligible * 99) {
			t99 = now_ms() - t0;
			passes99 = thp_stat("autoscan_passes") - passes;
			break;
		}
		usleep(POLL_MS * 1000);
	}
	copies = thp_vmstat("thp_collapse_alloc") - copies;
	ticks = cpu_ticks() - ticks;
	elig_pmd = pmd_mapped(p, n, heads, is);
	all_pmd = pmd_mapped(p, n, NULL, is);
	/* (the store wakes khugepaged for one more pass: counted above first) */
	thp_write_file(THP_KHD_SLEEP, "3600000");
	set_mode(STOCK);
	for (i = 0; i < n; i++)
		if (heads[i] && is[i] && head_of(p + 2 * i * pmd) == heads[i])
			kept++;
	if (t99 < 0)
		printf("# bench: churn %s %s: 99%% of %d eligible ranges not reached in %d ms; ",
		       mode_name[m], what, eligible, WAIT_MS);
	else if (m == AUTOSCAN)	/* passes finished when it was seen: 0 or 1 is within two */
		printf("# bench: churn %s %s: 99%% of %d eligible ranges in %lld ms "
		       "(%lld autoscan passes finished); ", mode_name[m], what, eligible, t99,
		       passes99);
	else
		printf("# bench: churn %s %s: 99%% of %d eligible ranges in %lld ms; ",
		       mode_name[m], what, eligible, t99);
	printf("eligible PMD-mapped %d (%d in place), all %d of %d; %lld copies, "
	       "%lld ms CPU (khugepaged + thp_retry); %d ranges changed\n", elig_pmd, kept,
	       all_pmd, n, copies, ticks * 1000 / sysconf(_SC_CLK_TCK), changed(p, n));
out:
	set_mode(STOCK);
	if (fragmented) {
		printf("# bench: churn %s %s: %zu MiB locked in small pages, %d THPs taken, "
		       "free PMD-sized blocks %ld\n", mode_name[m], what, frag.len / THP_MIB,
		       frag.nhogs, thp_free_pmd_blocks());
		thp_frag_stop(&frag);
	}
	/*
	 * The memory goes, the addresses stay reserved (PROT_NONE): the next
	 * run's region lands elsewhere, so that nothing queued for this one
	 * (autoscan) is done to the next.
	 */
	mmap(p, 2 * n * pmd, PROT_NONE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
	     -1, 0);
	return 0;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 0;
	char buf[32];
	int n, m, f;
	long v;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ps = sysconf(_SC_PAGESIZE);
	v = thp_pmd_size();
	if (v <= 0 || access(THP_PARAMS "takeover", F_OK)) {
		printf("# bench: setup failed: no THPs or no takeover parameter\n");
		return 1;
	}
	pmd = v;
	if (!mib)
		mib = pmd >= 32 * THP_MIB ? 512 : 256;
	n = mib * THP_MIB / pmd;
	if (n < 2 || n > MAX_RANGES) {
		printf("# bench: setup failed: %zu MiB is %d ranges\n", mib, n);
		return 1;
	}
	save(THP_KHD_SLEEP, khd_sleep, sizeof(khd_sleep));
	save(KHD "pages_to_scan", khd_scan, sizeof(khd_scan));
	save(KHD "defrag", khd_defrag, sizeof(khd_defrag));
	save(KHD "alloc_sleep_millisecs", khd_alloc, sizeof(khd_alloc));
	thp_param_get("autoscan", p_autoscan, sizeof(p_autoscan));
	thp_param_get("takeover", p_takeover, sizeof(p_takeover));
	thp_param_get("autoscan_sleep_ms", p_as_sleep, sizeof(p_as_sleep));
	thp_param_get("autoscan_pmds", p_as_pmds, sizeof(p_as_pmds));
	thp_param_get("queue_delay_ms", p_delay, sizeof(p_delay));
	thp_param_set("autoscan_sleep_ms", "100");
	thp_param_set("autoscan_pmds", "100000");
	thp_param_set("queue_delay_ms", "0");
	snprintf(buf, sizeof(buf), "%zu", 2 * n * (pmd / ps));
	thp_write_file(KHD "pages_to_scan", buf);
	/* after a failed allocation khugepaged waits this long (default 60 s) */
	thp_write_file(KHD "alloc_sleep_millisecs", "100");
	printf("# bench: churn: %d ranges of %zu MiB, khugepaged scan_sleep_millisecs=100 "
	       "alloc_sleep_millisecs=100 pages_to_scan=%zu\n", n, pmd / THP_MIB,
	       2 * n * (pmd / ps));
	for (f = 0; f < 2; f++) {
		/* fragmented: khugepaged may not compact, only take a free block */
		thp_write_file(KHD "defrag", f ? "0" : (khd_defrag[0] ? khd_defrag : "1"));
		for (m = 0; m < NR_MODES; m++)
			if (run(m, n, f)) {
				printf("# bench: churn %s: setup failed: %s\n", mode_name[m],
				       strerror(errno));
				restore();
				return 1;
			}
	}
	restore();
	return 0;
}
