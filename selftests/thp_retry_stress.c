// SPDX-License-Identifier: GPL-2.0
/*
 * thp_retry_stress - race stress: a victim process changes its THP ranges
 * in every way it can while other threads split, collapse, queue and scan
 * it, for THP_STRESS_SECONDS (default 60).
 *
 * The victim holds anonymous THP ranges and ranges of a huge tmpfs file
 * (MAP_SHARED). Each page starts with a stamp (range, page,
 * generation) followed by a pattern of that generation; the victim keeps
 * the expected generation of every page in memory of its own and checks
 * pages all along. Its operations, at random: write a page (new
 * generation), check a page, mprotect a sub-range read-only and back,
 * MADV_DONTNEED a page (anonymous: it reads zero after), munmap + mmap a
 * range anew, mremap a range away and back, MADV_COLLAPSE a range (with
 * takeover=1: the module's in-place collapse for anonymous ranges), fork a
 * child that checks
 * pages, writes its own copy and exits, and, every few seconds, exit
 * altogether (a new victim takes over with fresh ranges).
 *
 * khugepaged runs every 20 ms with takeover=1 (where the kernel has
 * collapse_huge_page()), and autoscan=1 (where it has what that reads).
 * Three attacker threads read the victim's pid and addresses from shared
 * memory and write split and collapse (both engines, switched now and then),
 * queue and scan requests. Their errnos must be among the documented ones.
 * Passes when no victim found a page with the wrong contents, every victim
 * exited normally, and the module still answers; the runner adds the
 * guest's dmesg (no splat, no Bad rss-counter).
 */
#define _GNU_SOURCE
/* see thp_retry_collapse.c on -Wclobbered */
#pragma GCC diagnostic ignored "-Wclobbered"
#include <pthread.h>
#include <stdatomic.h>

#include "kselftest_harness.h"
#include "thp_retry_util.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

#define NR_ANON		3
#define NR_FILE		2
#define NR_RANGES	(NR_ANON + NR_FILE)

struct shared {
	atomic_int pid;			/* current victim, 0 between victims */
	atomic_ulong addr[NR_RANGES];	/* where each range is now, 0 if moving */
	atomic_int stop;
	atomic_long bad;		/* pages with wrong contents */
	atomic_long ops;		/* victim operations */
	atomic_long reqs;		/* attacker requests */
	atomic_long odd_errno;		/* attacker errnos not in the ABI */
	int last_odd;
};

static struct shared *sh;
static size_t pmd, nr, psz;	/* PMD size, pages per PMD, page size */
static char dir[64];

static uint64_t stamp(int r, size_t pg, uint32_t gen)
{
	return ((uint64_t)r << 56) | ((uint64_t)pg << 32) | gen;
}

static void fill_page(char *page, int r, size_t pg, uint32_t gen)
{
	uint64_t *w = (uint64_t *)page;
	size_t i;

	w[0] = stamp(r, pg, gen);
	for (i = 1; i < psz / 8; i++)
		w[i] = thp_pattern(i, gen);
}

/* 0 when @page holds generation @gen (0 for anon: zero-filled). */
static int check_page(const char *page, int r, size_t pg, uint32_t gen, bool anon)
{
	const uint64_t *w = (const uint64_t *)page;
	size_t i;

	if (!gen && anon) {
		for (i = 0; i < psz / 8; i++)
			if (w[i])
				return -1;
		return 0;
	}
	if (w[0] != stamp(r, pg, gen))
		return -1;
	for (i = 1; i < psz / 8; i += 61)
		if (w[i] != thp_pattern(i, gen))
			return -1;
	return 0;
}

struct range {
	char *p;
	bool anon;
	int fd;
	uint32_t *gen;		/* per page */
};

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void map_range(struct range *rg, int r, char *at)
{
	size_t pg;

	if (rg->anon) {
		rg->p = at ? mmap(at, pmd, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) :
			     thp_map_aligned(pmd, pmd, PROT_READ | PROT_WRITE,
					     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	} else {
		rg->p = at ? mmap(at, pmd, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
				  rg->fd, 0) :
			     thp_map_aligned(pmd, pmd, PROT_READ | PROT_WRITE, MAP_SHARED,
					     rg->fd, 0);
	}
	if (rg->p == MAP_FAILED)
		_exit(3);
	madvise(rg->p, pmd, MADV_HUGEPAGE);
	if (rg->anon) {
		for (pg = 0; pg < nr; pg++) {
			rg->gen[pg]++;
			fill_page(rg->p + pg * psz, r, pg, rg->gen[pg]);
		}
	} else {
		/* file contents survive the remap: check them */
		for (pg = 0; pg < nr; pg++)
			if (check_page(rg->p + pg * psz, r, pg, rg->gen[pg], false))
				atomic_fetch_add(&sh->bad, 1);
	}
	atomic_store(&sh->addr[r], (unsigned long)rg->p);
}

static long check_all(struct range *rg)
{
	long bad = 0;
	size_t pg;
	int r;

	for (r = 0; r < NR_RANGES; r++)
		for (pg = 0; pg < nr; pg++)
			if (check_page(rg[r].p + pg * psz, r, pg, rg[r].gen[pg], rg[r].anon))
				bad++;
	return bad;
}

/* One victim's life: @ms of random operations, then exit. */
static void victim(int files[NR_FILE], uint32_t *file_gen[NR_FILE], unsigned int ms,
		   uint32_t seed)
{
	struct range rg[NR_RANGES];
	uint64_t end = thp_now_ns() + ms * 1000000ULL;
	char *spare;
	size_t pg;
	int r;

	spare = thp_map_aligned(pmd, pmd, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (r = 0; r < NR_RANGES; r++) {
		rg[r].anon = r < NR_ANON;
		rg[r].fd = rg[r].anon ? -1 : files[r - NR_ANON];
		rg[r].gen = rg[r].anon ? calloc(nr, sizeof(uint32_t)) : file_gen[r - NR_ANON];
		map_range(&rg[r], r, NULL);
	}
	atomic_store(&sh->pid, getpid());
	while (thp_now_ns() < end && !atomic_load(&sh->stop)) {
		uint32_t op = rnd(&seed) % 100;
		char *p;

		r = rnd(&seed) % NR_RANGES;
		pg = rnd(&seed) % nr;
		p = rg[r].p + pg * psz;
		atomic_fetch_add(&sh->ops, 1);
		if (op < 40) {				/* write */
			rg[r].gen[pg]++;
			fill_page(p, r, pg, rg[r].gen[pg]);
		} else if (op < 75) {			/* check */
			if (check_page(p, r, pg, rg[r].gen[pg], rg[r].anon))
				atomic_fetch_add(&sh->bad, 1);
		} else if (op < 83) {			/* mprotect and back */
			size_t n = 1 + rnd(&seed) % 64;

			if (pg + n > nr)
				n = nr - pg;
			mprotect(p, n * psz, PROT_READ);
			if (check_page(p, r, pg, rg[r].gen[pg], rg[r].anon))
				atomic_fetch_add(&sh->bad, 1);
			mprotect(p, n * psz, PROT_READ | PROT_WRITE);
		} else if (op < 89) {			/* MADV_DONTNEED a page */
			madvise(p, psz, MADV_DONTNEED);
			if (rg[r].anon)
				rg[r].gen[pg] = 0;
		} else if (op < 92 && rg[r].anon) {	/* munmap + mmap anew */
			atomic_store(&sh->addr[r], 0);
			munmap(rg[r].p, pmd);
			map_range(&rg[r], r, rg[r].p);
		} else if (op < 94) {			/* mremap away and back */
			char *old = rg[r].p;

			atomic_store(&sh->addr[r], 0);
			if (mremap(old, pmd, pmd, MREMAP_MAYMOVE | MREMAP_FIXED, spare) == spare) {
				if (check_page(spare + pg * psz, r, pg, rg[r].gen[pg], rg[r].anon))
					atomic_fetch_add(&sh->bad, 1);
				if (mremap(spare, pmd, pmd, MREMAP_MAYMOVE | MREMAP_FIXED, old) !=
				    old)
					_exit(4);
				/* the hole mremap left behind becomes the spare again */
				spare = mmap(spare, pmd, PROT_NONE,
					     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
			}
			atomic_store(&sh->addr[r], (unsigned long)old);
		} else if (op < 95) {			/* MADV_COLLAPSE (takeover) */
			madvise(rg[r].p, pmd, MADV_COLLAPSE);
		} else if (op < 98) {			/* fork: the child checks and writes */
			pid_t kid = fork();

			if (!kid) {
				long bad = check_all(rg);
				int k;

				for (k = 0; k < NR_ANON; k++)
					fill_page(rg[k].p, k, 0, 0xffffff);
				_exit(bad ? 5 : 0);
			}
			if (kid > 0) {
				int st;

				waitpid(kid, &st, 0);
				if (!WIFEXITED(st) || WEXITSTATUS(st))
					atomic_fetch_add(&sh->bad, 1);
			}
		} else {				/* a full check */
			atomic_fetch_add(&sh->bad, check_all(rg));
		}
	}
	atomic_fetch_add(&sh->bad, check_all(rg));
	atomic_store(&sh->pid, 0);
	_exit(0);
}

static bool abi_errno(int e)
{
	switch (e) {
	case 0: case EINVAL: case ESRCH: case EFAULT: case EPERM: case EBUSY: case EAGAIN:
	case EINTR: case ENOMEM: case ENOSPC: case EOPNOTSUPP:
		return true;
	}
	return false;
}

static void *attacker(void *arg)
{
	static const char *const files[] = { "split", "collapse", "collapse", "queue" };
	uint32_t seed = 0x9e3779b9u * (1 + (uintptr_t)arg);
	int kind = (int)(uintptr_t)arg;
	char res[256], buf[32];

	while (!atomic_load(&sh->stop)) {
		pid_t pid = atomic_load(&sh->pid);
		unsigned long a = atomic_load(&sh->addr[rnd(&seed) % NR_RANGES]);
		int ret;

		if (!pid || !a) {
			usleep(1000);
			continue;
		}
		a += (rnd(&seed) % nr) * psz;
		if (kind == 2 && !(rnd(&seed) % 16)) {
			snprintf(buf, sizeof(buf), "%d", pid);
			ret = thp_request_raw("scan", buf, strlen(buf), res, sizeof(res));
		} else if (kind == 2 && !(rnd(&seed) % 64)) {
			ret = thp_set_engine(rnd(&seed) % 2 ? "kernel" : "native");
		} else {
			ret = thp_request(files[rnd(&seed) % 4], pid, (void *)a, res, sizeof(res));
		}
		atomic_fetch_add(&sh->reqs, 1);
		if (!abi_errno(-ret)) {
			atomic_fetch_add(&sh->odd_errno, 1);
			sh->last_odd = -ret;
		}
	}
	return NULL;
}

FIXTURE(stress)
{
	int unused;
};

FIXTURE_SETUP(stress)
{
}

FIXTURE_TEARDOWN(stress)
{
}

TEST_F_TIMEOUT(stress, race, 600)
{
	const char *env = getenv("THP_STRESS_SECONDS");
	unsigned int secs = env ? atoi(env) : 60, victims = 0;
	uint32_t *file_gen[NR_FILE];
	char opts[64], path[128], khd[32], as_sleep[32], to_saved[8];
	int files[NR_FILE], i, r, st;
	long long as_found, taken;
	uint64_t end;
	bool as_on, to_on;
	pthread_t t[3];

	pmd = thp_pmd_size();
	ASSERT_LT(0, (long)pmd);
	psz = sysconf(_SC_PAGESIZE);
	nr = pmd / psz;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	thp_khugepaged_pause(khd, sizeof(khd));
	snprintf(opts, sizeof(opts), "huge=always,size=%zu", (NR_FILE + 2) * pmd);
	ASSERT_EQ(0, thp_mount_tmpfs(dir, sizeof(dir), opts));
	for (i = 0; i < NR_FILE; i++) {
		char *p;
		size_t pg;

		snprintf(path, sizeof(path), "%s/f%d", dir, i);
		files[i] = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		ASSERT_LE(0, files[i]);
		ASSERT_EQ(0, ftruncate(files[i], pmd));
		file_gen[i] = mmap(NULL, nr * sizeof(uint32_t), PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, file_gen[i]);
		p = mmap(NULL, pmd, PROT_READ | PROT_WRITE, MAP_SHARED, files[i], 0);
		ASSERT_NE(MAP_FAILED, p);
		for (pg = 0; pg < nr; pg++) {
			file_gen[i][pg] = 1;
			fill_page(p + pg * psz, NR_ANON + i, pg, 1);
		}
		munmap(p, pmd);
	}
	/* autoscan (where the kernel has what it reads) races the victims too */
	ASSERT_EQ(0, thp_param_get("autoscan_sleep_ms", as_sleep, sizeof(as_sleep)));
	ASSERT_EQ(0, thp_param_set("autoscan_sleep_ms", "20"));
	as_on = !thp_param_set("autoscan", "1");
	as_found = thp_stat("autoscan_found");
	/* takeover: khugepaged's and MADV_COLLAPSE's anonymous collapses in place */
	ASSERT_EQ(0, thp_param_get("takeover", to_saved, sizeof(to_saved)));
	to_on = !thp_param_set("takeover", "1");
	taken = thp_stat("takeover_taken");
	if (to_on)
		thp_write_file(THP_KHD_SLEEP, "20");
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, attacker, (void *)(uintptr_t)i));
	end = thp_now_ns() + secs * 1000000000ULL;
	while (thp_now_ns() < end) {
		pid_t v = fork();

		ASSERT_LE(0, v);
		if (!v)
			victim(files, file_gen, 4000, 0x12345u + victims * 7919u);
		victims++;
		ASSERT_EQ(v, waitpid(v, &st, 0));
		EXPECT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st))
			TH_LOG("victim %u: wait status %#x", victims, st);
	}
	atomic_store(&sh->stop, 1);
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	thp_param_set("autoscan", "0");
	thp_param_set("autoscan_sleep_ms", as_sleep);
	thp_param_set("takeover", to_saved);
	if (to_on)
		ksft_print_msg("takeover on: %lld ranges taken, %lld raced\n",
			       thp_stat("takeover_taken") - taken, thp_stat("takeover_raced"));
	if (as_on)
		ksft_print_msg("autoscan on: %lld pte-mapped THPs found\n",
			       thp_stat("autoscan_found") - as_found);
	thp_set_engine("native");
	for (r = 0; r < NR_FILE; r++)
		close(files[r]);
	thp_umount(dir);
	thp_khugepaged_resume(khd);
	ksft_print_msg("%u victims, %ld operations, %ld requests, %ld bad pages\n", victims,
		       atomic_load(&sh->ops), atomic_load(&sh->reqs), atomic_load(&sh->bad));
	EXPECT_EQ(0, atomic_load(&sh->bad));
	EXPECT_EQ(0, atomic_load(&sh->odd_errno)) TH_LOG("last odd errno %d", sh->last_odd);
	EXPECT_LT(0, atomic_load(&sh->reqs));
	EXPECT_LE(0, thp_stat("collapse_ok")) TH_LOG("the module stopped answering");
}

TEST_HARNESS_MAIN
