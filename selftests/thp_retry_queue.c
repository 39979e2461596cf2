// SPDX-License-Identifier: GPL-2.0
/*
 * thp_retry_queue - the retry queue: debugfs "queue", "queue_done", "scan",
 * the worker kthread, its module parameters and its stats counters.
 *
 * Tests where the worker collapses something run under engine=native and
 * engine=kernel (fixture "queue", variants; kernel is skipped when features
 * says "kernel-engine disabled"):
 *
 *  - 1 GiB of pte-mapped THPs (512 ranges with 4 KiB pages, 32 with 16 KiB)
 *    queued at once all end PMD-mapped;
 *  - the same range queued 5 times is one entry, collapsed once;
 *  - "scan" finds exactly the pte-mapped THPs of a process, not PMD-mapped
 *    ranges, empty PTE tables, CoW copies, MADV_NOHUGEPAGE, anonymous
 *    memory or small pages;
 *  - a process killed with entries queued: they leave as process_exited;
 *  - rmmod while the worker is busy with a full queue, three times;
 *  - mmap_lock contention from an mprotect() loop: retries, nothing lost;
 *  - a MAP_PRIVATE range with a CoW copy leaves as pte_maps_private_copy.
 *
 * The rest does not depend on the engine (fixture "queue_misc"): queue_cap,
 * every errno of "queue" and "scan", giving up after max_attempts, an idle
 * worker that never wakes, the stats lines and the files' modes.
 *
 * To keep an entry waiting, a thread of the target loops mprotect() on an
 * anonymous region of its own ("blocker"): the mmap lock is then nearly
 * always held for write, and the worker, which only trylocks, backs off.
 * Areas of many PMDs carry a sparse pattern (two words per page) so that
 * filling and checking them stays cheap under TCG. Tests of many ranges
 * keep to AREA_MAX bytes (ranges()): where a PMD maps 32 MiB (16 KiB
 * pages) they work on fewer ranges, not more memory.
 *
 * Each test mounts its own huge tmpfs, pauses khugepaged, sets scan_sleep_ms
 * to 20 ms and restores every module parameter it may change (engine,
 * max_attempts, queue_cap, scan_sleep_ms) at teardown, also after a failed
 * ASSERT (FIXTURE_TEARDOWN_PARENT, see thp_retry_collapse.c), and reloads the
 * module if a test left it unloaded. Children never use ASSERT_*().
 *
 * The fixtures' setup, the checks (QUEUE(), DRAINED(), LINES(), ...) and
 * the blocker are in thp_queue_util.h and .c.
 *
 * Needs root, debugfs and thp_retry loaded (the guest runner does both).
 */
#define _GNU_SOURCE
/* See thp_retry_collapse.c: the harness's own fork() result and setjmp. */
#pragma GCC diagnostic ignored "-Wclobbered"
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <linux/userfaultfd.h>

#include "kselftest_harness.h"
#include "thp_retry_util.h"
#include "thp_retry_req.h"
#include "thp_queue_util.h"

FIXTURE(queue)
{
	struct qctx c;
};

FIXTURE_VARIANT(queue)
{
	const char *engine;
};

FIXTURE_VARIANT_ADD(queue, native)
{
	.engine = "native",
};

FIXTURE_VARIANT_ADD(queue, kernel)
{
	.engine = "kernel",
};

FIXTURE(queue_misc)
{
	struct qctx c;
};

FIXTURE_SETUP(queue)
{
	if (!strcmp(variant->engine, "kernel") && thp_kernel_engine_disabled())
		SKIP(return, "kernel-engine disabled");
	q_setup(_metadata, &self->c, variant->engine);
}

/* Runs in the test's parent (self is shared), once, also after a failed ASSERT. */
FIXTURE_TEARDOWN_PARENT(queue)
{
	q_cleanup(&self->c);
}

FIXTURE_SETUP(queue_misc)
{
	q_setup(_metadata, &self->c, "native");
}

FIXTURE_TEARDOWN_PARENT(queue_misc)
{
	q_cleanup(&self->c);
}

#define MAP(len, prot, flags, fd, off)	map_pmd(_metadata, c->pmd, len, prot, flags, fd, off)
#define kid_fork(md, c, rd, wr)	thp_kid_fork(md, (c)->kids, MAX_KIDS, rd, wr)
#define kid_wait(c, pid)	thp_kid_wait((c)->kids, MAX_KIDS, pid)

/* The most a test of many ranges maps: 128 ranges of 2 MiB, 8 of 32 MiB. */
#define AREA_MAX	(256 * THP_MIB)

/* @n PMD ranges, or as many as fit in AREA_MAX (4 at least). */
static size_t ranges(const struct qctx *c, size_t n)
{
	return thp_pmd_ranges(c->pmd, n, AREA_MAX, 4);
}

/*
 * 1 GiB of a huge tmpfs file (512 PMD ranges of 2 MiB, 32 of 32 MiB) in one
 * MAP_SHARED mapping, all split, all queued at once: the worker maps every
 * one by a PMD again, gives up on none, and the contents are intact.
 * Skipped when more than one in 40 of the THPs (one at least) could not be
 * had: the guest is short of huge pages.
 */
TEST_F_TIMEOUT(queue, many_ranges_drain, 240)
{
	struct qctx *c = &self->c;
	size_t n = GIB / c->pmd, nthp = 0, i;
	long long added, collapsed, gave_up, refused;
	pid_t me = getpid();
	uint64_t head, t0, t1, t2;
	struct qline done[64];
	char *p, why[160];
	bool *is_thp;
	int fd, nd, mine = 0;

	ASSERT_LT(0, n);
	thp_write_file("/proc/sys/vm/compact_memory", "1");
	fd = new_file(_metadata, c, c->dir, n * c->pmd);
	p = MAP(n * c->pmd, RW, MAP_SHARED, fd, 0);
	ASSERT_EQ(0, madvise(p, n * c->pmd, MADV_HUGEPAGE));
	t0 = thp_now_ns();
	fill_sparse(p, n * c->pmd, 0);
	is_thp = calloc(n, sizeof(*is_thp));
	ASSERT_NE(NULL, is_thp);
	for (i = 0; i < n; i++) {
		is_thp[i] = thp_range_is_thp(me, p + i * c->pmd, c->nr, &head, why, sizeof(why));
		nthp += is_thp[i];
	}
	ksft_print_msg("%zu of %zu ranges are THPs, %ld kB PMD-mapped (fill %.1f s)\n", nthp, n,
		       thp_smaps_kb(me, p, "ShmemPmdMapped"), (thp_now_ns() - t0) / 1e9);
	if (n - nthp > (n / 40 ? n / 40 : 1))
		SKIP(return, "only %zu of %zu ranges got a THP: guest short of huge pages",
		     nthp, n);
	PMD_KB(me, p, nthp * c->kb);

	t0 = thp_now_ns();
	for (i = 0; i < n; i++)
		if (is_thp[i])
			SPLIT(me, p + i * c->pmd);
	PMD_KB(me, p, 0);
	ksft_print_msg("split %zu ranges in %.1f s\n", nthp, (thp_now_ns() - t0) / 1e9);

	/*
	 * Our own queue writes hold the mmap lock for read while the worker
	 * tries it (on 6.1 for write, by trylock): on a slow guest that alone
	 * can use up the default 8 tries. This test is about throughput, not
	 * about giving up (gives_up_after_max_attempts is).
	 */
	SET_PARAM("max_attempts", 1000);
	added = STAT("queue_added");
	collapsed = STAT("worker_collapsed");
	gave_up = STAT("worker_gave_up");
	refused = STAT("worker_refused");
	t0 = thp_now_ns();
	for (i = 0; i < n; i++)
		if (is_thp[i])
			QUEUE(me, p + i * c->pmd, 0);
	t1 = thp_now_ns();
	DRAINED(me, 120000);
	t2 = thp_now_ns();
	ksft_print_msg("queued %zu ranges in %.1f ms, all left the queue after %.1f ms\n", nthp,
		       (t1 - t0) / 1e6, (t2 - t0) / 1e6);
	PMD_KB(me, p, nthp * c->kb);
	EXPECT_EQ(added + (long long)nthp, STAT("queue_added"));
	EXPECT_LE(collapsed + (long long)nthp, STAT("worker_collapsed"));
	EXPECT_EQ(gave_up, STAT("worker_gave_up"));
	EXPECT_EQ(refused, STAT("worker_refused"));

	/* the last 64 that left are ours, all collapsed */
	nd = LINES("queue_done", done, 64);
	for (i = 0; i < (size_t)nd; i++) {
		if (done[i].pid != me)
			continue;
		mine++;
		EXPECT_TRUE(collapsed_result(done[i].res))
			TH_LOG("queue_done: %#lx %u %s", done[i].addr, done[i].attempts,
			       done[i].res);
		EXPECT_EQ(0, done[i].addr & (c->pmd - 1));
	}
	EXPECT_EQ(nthp < 64 ? (int)nthp : 64, mine);
	SDATA(p, n * c->pmd, 0);
	free(is_thp);
}

/*
 * One range queued five times, by different addresses inside it, while its
 * entry is not yet due (queue_delay_ms 2000): one entry, never tried, four
 * dedups; then one collapse.
 */
TEST_F_TIMEOUT(queue, duplicates_collapse_once, 90)
{
	struct qctx *c = &self->c;
	size_t ps = c->ps, pmd = c->pmd;
	long long added, dedup, collapsed;
	pid_t me = getpid();
	struct qline q[64];
	const struct qline *d;
	char *p = thp_area(_metadata, c, 2, NULL, false), *addrs[5];
	int n, i, mine = 0;

	SPLIT(me, p);
	PMD_KB(me, p, c->kb);
	addrs[0] = p;
	addrs[1] = p + ps;
	addrs[2] = p + pmd - 1;
	addrs[3] = p + pmd / 2 + 123;
	addrs[4] = p;
	added = STAT("queue_added");
	dedup = STAT("queue_dedup");
	collapsed = STAT("worker_collapsed");

	SET_PARAM("queue_delay_ms", 2000);
	for (i = 0; i < 5; i++)
		QUEUE(me, addrs[i], 0);
	n = LINES("queue", q, 64);
	SET_PARAM("queue_delay_ms", 0);
	for (i = 0; i < n; i++) {
		if (q[i].pid != me)
			continue;
		mine++;
		EXPECT_EQ((unsigned long)p, q[i].addr) TH_LOG("queue: %d %#lx %u %s", q[i].pid,
							      q[i].addr, q[i].attempts, q[i].res);
		EXPECT_EQ(0, q[i].attempts);
		EXPECT_STREQ("-", q[i].res);
	}
	EXPECT_EQ(1, mine) TH_LOG("%d lines for pid %d in queue", mine, me);

	DRAINED(me, 30000);
	EXPECT_EQ(added + 1, STAT("queue_added"));
	EXPECT_EQ(dedup + 4, STAT("queue_dedup"));
	EXPECT_EQ(collapsed + 1, STAT("worker_collapsed"));
	PMD_KB(me, p, 2 * c->kb);
	n = LINES("queue_done", q, 64);
	d = last_for(q, n, me, p);
	ASSERT_NE(NULL, d) TH_LOG("%p not in queue_done", p);
	EXPECT_STREQ("succeeded", d->res);
	EXPECT_LE(1, d->attempts);
	DATA(p, 2 * pmd, 0, 0);
}

/*
 * scan finds exactly the pte-mapped THPs: of a 5-PMD mapping with ranges
 * 0, 2 and 4 split (range 0 partly zapped) and 1, 3 PMD-mapped; not a split
 * range with every PTE zapped, a split MAP_PRIVATE range holding a CoW copy,
 * a split range under MADV_NOHUGEPAGE, a PMD-mapped anonymous THP, nor a
 * small-page tmpfs file; but the pte-mapped anonymous THP next to it, yes
 * (collapsed in place by engine=native, anon_not_supported by kernel).
 */
TEST_F_TIMEOUT(queue, scan_finds_exactly, 90)
{
	struct qctx *c = &self->c;
	size_t pmd = c->pmd, ps = c->ps, i;
	pid_t me = getpid();
	long long found;
	struct qline q[64];
	int fd, sfd, n, ret, mine, r;
	char *p, *z, *a, *s, *f, *cw, *nh, why[160], buf[32], opts[64];
	char *want[4];
	bool seen[4] = { false };
	size_t nwant = 3;
	uint64_t head;

	fd = new_file(_metadata, c, c->dir, 8 * pmd);
	p = MAP(5 * pmd, RW, MAP_SHARED, fd, 0);
	z = MAP(pmd, RW, MAP_SHARED, fd, 5 * pmd);
	ASSERT_EQ(0, madvise(p, 5 * pmd, MADV_HUGEPAGE));
	ASSERT_EQ(0, madvise(z, pmd, MADV_HUGEPAGE));
	thp_fill(p, 5 * pmd, 0, 0);
	thp_fill(z, pmd, 5 * pmd, 0);
	for (i = 0; i < 5; i++) {
		ASSERT_TRUE(thp_range_is_thp(me, p + i * pmd, c->nr, &head, why, sizeof(why)))
			TH_LOG("range %zu: %s", i, why);
	}
	ASSERT_TRUE(thp_range_is_thp(me, z, c->nr, &head, why, sizeof(why))) TH_LOG("%s", why);
	want[0] = p;
	want[1] = p + 2 * pmd;
	want[2] = p + 4 * pmd;
	for (i = 0; i < 3; i++)
		SPLIT(me, want[i]);
	SPLIT(me, z);
	ASSERT_EQ(0, madvise(p, 100 * ps, MADV_DONTNEED));	/* some PTEs none */
	ASSERT_EQ(0, madvise(z, pmd, MADV_DONTNEED));		/* every PTE none */
	PMD_KB(me, p, 2 * c->kb);
	PMD_KB(me, z, 0);

	/* file THPs at 6 and 7 PMDs: one split and CoW-written, one split and NOHUGEPAGE */
	f = MAP(2 * pmd, RW, MAP_SHARED, fd, 6 * pmd);
	ASSERT_EQ(0, madvise(f, 2 * pmd, MADV_HUGEPAGE));
	thp_fill(f, 2 * pmd, 6 * pmd, 0);
	ASSERT_EQ(0, munmap(f, 2 * pmd));
	cw = MAP(pmd, RW, MAP_PRIVATE, fd, 6 * pmd);
	thp_touch(cw, pmd);
	COLLAPSE(me, cw);
	SPLIT(me, cw);
	cw[COW_PAGE * ps + COW_OFF] ^= 0xff;
	nh = MAP(pmd, RW, MAP_SHARED, fd, 7 * pmd);
	thp_touch(nh, pmd);
	SPLIT(me, nh);
	ASSERT_EQ(0, madvise(nh, pmd, MADV_NOHUGEPAGE));
	PMD_KB(me, cw, 0);
	PMD_KB(me, nh, 0);

	/*
	 * anonymous: one PMD-mapped THP, one pte-mapped by an mprotect round
	 * trip (found, when the kernel gave THPs here)
	 */
	a = MAP(2 * pmd, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_EQ(0, madvise(a, 2 * pmd, MADV_HUGEPAGE));
	memset(a, 0x3c, 2 * pmd);
	if (thp_smaps_kb(me, a, "AnonHugePages") == 2 * c->kb)
		want[nwant++] = a + pmd;
	ASSERT_EQ(0, mprotect(a + pmd, ps, PROT_READ));
	ASSERT_EQ(0, mprotect(a + pmd, ps, RW));

	/* a small-page tmpfs file */
	snprintf(opts, sizeof(opts), "huge=never,size=%zu", 4 * pmd);
	ret = thp_mount_tmpfs(c->small_dir, sizeof(c->small_dir), opts);
	ASSERT_EQ(0, ret) TH_LOG("small tmpfs: %s", strerror(-ret));
	sfd = new_file(_metadata, c, c->small_dir, 2 * pmd);
	s = MAP(2 * pmd, RW, MAP_SHARED, sfd, 0);
	thp_fill(s, 2 * pmd, 0, 7);

	found = STAT("scan_found");
	n = snprintf(buf, sizeof(buf), "%d", me);
	RAW("scan", buf, n, 0);
	EXPECT_EQ(found + nwant, STAT("scan_found"));

	/* what is still queued must be one of those */
	n = LINES("queue", q, 64);
	for (r = 0; r < n; r++) {
		if (q[r].pid != me)
			continue;
		for (i = 0; i < nwant; i++)
			if (q[r].addr == (unsigned long)want[i])
				break;
		EXPECT_GT(nwant, i)
			TH_LOG("queued by scan: %#lx %u %s", q[r].addr, q[r].attempts, q[r].res);
	}
	DRAINED(me, 30000);
	n = LINES("queue_done", q, 64);
	mine = 0;
	for (r = 0; r < n; r++) {
		if (q[r].pid != me)
			continue;
		mine++;
		for (i = 0; i < nwant; i++)
			if (q[r].addr == (unsigned long)want[i])
				break;
		EXPECT_GT(nwant, i) TH_LOG("queue_done: %#lx %u %s: not a pte-mapped THP",
					   q[r].addr, q[r].attempts, q[r].res);
		if (i < nwant) {
			EXPECT_FALSE(seen[i]) TH_LOG("%p left the queue twice", want[i]);
			seen[i] = true;
		}
		/* engine=kernel has no anonymous collapse */
		if (i == 3 && !strcmp(c->engine, "kernel")) {
			EXPECT_STREQ("anon_not_supported", q[r].res);
		} else {
			EXPECT_TRUE(collapsed_result(q[r].res))
				TH_LOG("queue_done: %#lx %u %s", q[r].addr, q[r].attempts,
				       q[r].res);
		}
	}
	EXPECT_EQ(nwant, mine);
	if (nwant == 4 && strcmp(c->engine, "kernel"))
		EXPECT_EQ(2 * c->kb, thp_smaps_kb(me, a, "AnonHugePages"));
	PMD_KB(me, p, 5 * c->kb);
	PMD_KB(me, z, 0);
	PMD_KB(me, cw, 0);
	PMD_KB(me, nh, 0);
	DATA(p, 5 * pmd, 0, 0);
	DATA(nh, pmd, 7 * pmd, 0);
	DATA(cw, COW_PAGE * ps, 6 * pmd, 0);
	DATA(z, pmd, 5 * pmd, 0);
	DATA(s, 2 * pmd, 0, 7);
	for (i = 0; i < 2 * pmd; i++)
		if (a[i] != 0x3c)
			break;
	EXPECT_EQ(2 * pmd, i) TH_LOG("anonymous memory changed at %zu", i);
}

/*
 * Child side of exit_with_entries_queued: map @len of @fd, send the address,
 * start a blocker on 'b' and answer 'B', then wait to be killed.
 */
static int kid_map_and_block(int fd, size_t len, size_t pmd, int rd, int wr)
{
	char *k = thp_map_aligned(len, pmd, PROT_READ, MAP_SHARED, fd, 0);
	struct blocker b;

	if (k == MAP_FAILED)
		return 2;
	thp_touch(k, len);
	if (write(wr, &k, sizeof(k)) != sizeof(k))
		return 3;
	if (recv_byte(rd, 120000) != 'b')
		return 4;
	if (blocker_start(&b, BLOCKER_LEN, BLOCKER_LEN, 0))
		return 5;
	if (write(wr, "B", 1) != 1)
		return 6;
	recv_byte(rd, 120000);
	return 7;
}

/*
 * 64 ranges (ranges()) of a child queued while its mmap lock is busy, then
 * the child is killed: every entry leaves the queue, as process_exited (or collapsed
 * if the worker got there first), none given up; the file is intact.
 */
TEST_F_TIMEOUT(queue, exit_with_entries_queued, 120)
{
	struct qctx *c = &self->c;
	const size_t n = ranges(c, 64);
	size_t pmd = c->pmd, i;
	long long exited, collapsed, gave_up, refused, len0;
	pid_t me = getpid(), kid;
	int fd, rd, wr, nd, n_exit = 0, n_coll = 0;
	struct qline done[64];
	const struct qline *d;
	long at_kill;
	char *p, *k;

	p = thp_area(_metadata, c, n, &fd, true);
	kid = kid_fork(_metadata, c, &rd, &wr);
	if (!kid)
		_exit(kid_map_and_block(fd, n * pmd, pmd, rd, wr));
	ASSERT_EQ(0, recv_all(rd, &k, sizeof(k), 30000)) TH_LOG("child did not map the file");
	split_all(_metadata, c, kid, k, n);
	SET_PARAM("max_attempts", 1000);
	SET_PARAM("scan_sleep_ms", 1000);
	ASSERT_EQ(1, write(wr, "b", 1));
	ASSERT_EQ('B', recv_byte(rd, 30000)) TH_LOG("child could not start its blocker");

	len0 = STAT("queue_len");
	exited = STAT("worker_exited");
	collapsed = STAT("worker_collapsed");
	gave_up = STAT("worker_gave_up");
	refused = STAT("worker_refused");
	queue_all(_metadata, kid, k, n, pmd);
	at_kill = thp_queue_count(kid);
	ASSERT_EQ(0, kill(kid, SIGKILL));
	kid_wait(c, kid);
	close(rd);
	close(wr);
	SET_PARAM("scan_sleep_ms", FAST_SLEEP_MS);
	ksft_print_msg("%ld of %zu entries still queued at the kill\n", at_kill, n);

	DRAINED(kid, 60000);
	EXPECT_EQ(len0, STAT("queue_len"));
	nd = LINES("queue_done", done, 64);
	for (i = 0; i < n; i++) {
		d = last_for(done, nd, kid, k + i * pmd);
		if (!d) {
			EXPECT_NE(NULL, d) TH_LOG("range %zu (%p) not in queue_done", i,
						  k + i * pmd);
			continue;
		}
		if (!strcmp(d->res, "process_exited"))
			n_exit++;
		else if (collapsed_result(d->res))
			n_coll++;
		else
			EXPECT_STREQ("process_exited", d->res) TH_LOG("range %zu", i);
	}
	ksft_print_msg("%d process_exited, %d collapsed before the kill\n", n_exit, n_coll);
	EXPECT_EQ((int)n, n_exit + n_coll);
	EXPECT_LE(1, n_exit);
	EXPECT_LE(exited + n_exit, STAT("worker_exited"));
	EXPECT_LE(collapsed + n_coll, STAT("worker_collapsed"));
	EXPECT_EQ(gave_up, STAT("worker_gave_up"));
	EXPECT_EQ(refused, STAT("worker_refused"));
	/* our own mapping of the file never took part */
	PMD_KB(me, p, n * c->kb);
	SDATA(p, n * pmd, 0);
}

/*
 * 128 split ranges (ranges()) queued and the module unloaded at once, then loaded
 * again; three times. The first time the worker is draining the queue as
 * fast as it can; the next two a thread of ours loops mprotect() so that
 * most entries are still waiting (backing off, scan_sleep_ms 1) when the
 * worker is stopped. Then the reloaded worker maps them all; the contents
 * are intact.
 */
TEST_F_TIMEOUT(queue, rmmod_during_busy_worker, 180)
{
	struct qctx *c = &self->c;
	const size_t n = ranges(c, 128);
	size_t pmd = c->pmd;
	pid_t me = getpid();
	struct blocker b = { 0 };
	int fd, rep, ret;
	long queued;
	char *p = thp_area(_metadata, c, n, &fd, true);

	for (rep = 0; rep < 3; rep++) {
		split_all(_metadata, c, me, p, n);
		if (rep) {
			SET_PARAM("scan_sleep_ms", 1);
			SET_PARAM("max_attempts", 1000);
			BLOCKER_START(&b, 4 * c->ps, c->ps, 0);
		}
		queue_all(_metadata, me, p, n, pmd);
		queued = thp_queue_count(me);
		ret = unload_retry();
		blocker_stop(&b);
		ASSERT_EQ(0, ret) TH_LOG("rep %d: delete_module: %s", rep, strerror(-ret));
		ASSERT_FALSE(thp_loaded());
		ret = thp_load(NULL);
		ASSERT_EQ(0, ret) TH_LOG("rep %d: load: %s", rep, strerror(-ret));
		ksft_print_msg("rep %d: %ld entries queued at the unload, %ld of %zu ranges "
			       "collapsed\n", rep, queued,
			       thp_smaps_kb(me, p, "ShmemPmdMapped") / c->kb, n);
		SET_PARAM("scan_sleep_ms", FAST_SLEEP_MS);
		ret = thp_set_engine(c->engine);
		ASSERT_EQ(0, ret) TH_LOG("engine=%s: %s", c->engine, strerror(-ret));
		EXPECT_EQ(0, thp_stat("queue_len"));
		EXPECT_EQ(0, thp_queue_count(0));
	}
	ASSERT_TRUE(thp_loaded());
	SDATA(p, n * pmd, 0);
	split_all(_metadata, c, me, p, n);
	queue_all(_metadata, me, p, n, pmd);
	DRAINED(me, 60000);
	PMD_KB(me, p, n * c->kb);
	EXPECT_EQ(n, STAT("worker_collapsed"));
	SDATA(p, n * pmd, 0);
}

/*
 * A thread mprotect()s a page of another VMA of the same mm in a loop while
 * 32 split ranges (ranges()) are queued: the worker's trylock keeps failing now and
 * then, it retries (max_attempts 1000, scan_sleep_ms 5), and every range
 * ends PMD-mapped, none given up.
 */
TEST_F_TIMEOUT(queue, mprotect_contention, 150)
{
	struct qctx *c = &self->c;
	const size_t n = ranges(c, 32);
	size_t pmd = c->pmd;
	long long retries, gave_up, collapsed;
	unsigned long ops;
	pid_t me = getpid();
	struct blocker b;
	uint64_t t0;
	double secs;
	char *p = thp_area(_metadata, c, n, NULL, true);

	split_all(_metadata, c, me, p, n);
	SET_PARAM("max_attempts", 1000);
	SET_PARAM("scan_sleep_ms", 5);
	retries = STAT("worker_retries");
	gave_up = STAT("worker_gave_up");
	collapsed = STAT("worker_collapsed");
	BLOCKER_START(&b, 4 * c->ps, c->ps, 100);
	t0 = thp_now_ns();
	queue_all(_metadata, me, p, n, pmd);
	thp_queue_wait(me, 100000);
	secs = (thp_now_ns() - t0) / 1e9;
	ops = blocker_stop(&b);
	ASSERT_EQ(0, b.err) TH_LOG("mprotect: %s", strerror(b.err));
	ksft_print_msg("drained in %.1f s; worker_retries +%lld; %lu mprotect pairs\n", secs,
		       STAT("worker_retries") - retries, ops);
	DRAINED(me, 1000);
	EXPECT_EQ(gave_up, STAT("worker_gave_up"));
	EXPECT_LE(collapsed + (long long)n, STAT("worker_collapsed"));
	PMD_KB(me, p, n * c->kb);
	SDATA(p, n * pmd, 0);
}

/*
 * A MAP_PRIVATE range, PMD-mapped, split, then page COW_PAGE written (a
 * private anonymous copy): the worker refuses it once, with the reason, and
 * the private byte stays.
 */
TEST_F_TIMEOUT(queue, cow_refused_with_reason, 60)
{
	struct qctx *c = &self->c;
	size_t pmd = c->pmd, ps = c->ps;
	long long refused, collapsed;
	pid_t me = getpid();
	struct qline done[64];
	const struct qline *d;
	int fd, nd;
	char *s = thp_area(_metadata, c, 1, &fd, false), *q;

	q = MAP(pmd, RW, MAP_PRIVATE, fd, 0);
	thp_touch(q, pmd);
	COLLAPSE(me, q);
	PMD_KB(me, q, c->kb);
	SPLIT(me, q);
	PMD_KB(me, q, 0);
	q[COW_PAGE * ps + COW_OFF] ^= 0xff;

	refused = STAT("worker_refused");
	collapsed = STAT("worker_collapsed");
	QUEUE(me, q, 0);
	DRAINED(me, 30000);
	nd = LINES("queue_done", done, 64);
	d = last_for(done, nd, me, q);
	ASSERT_NE(NULL, d) TH_LOG("%p not in queue_done", q);
	EXPECT_STREQ("pte_maps_private_copy", d->res);
	EXPECT_EQ(1, d->attempts);
	EXPECT_EQ(refused + 1, STAT("worker_refused"));
	EXPECT_EQ(collapsed, STAT("worker_collapsed"));
	PMD_KB(me, q, 0);

	COW_KEPT(q, s, pmd);
	PMD_KB(me, s, c->kb);
}

/*
 * queue_cap 0: every enqueue fails with ENOSPC and counts queue_dropped.
 * queue_cap 2 with the worker held off: 8 writes, between 2 and 8 succeed,
 * the others fail with ENOSPC, each drop counted. At the cap, a range that
 * is already queued still succeeds as a dedup. Two blockers, as in
 * gives_up_after_max_attempts: with one, a busy machine (two cores, three
 * guests) let the worker find the mmap lock free in a gap and collapse both
 * entries before the test could look at them.
 */
TEST_F_TIMEOUT(queue_misc, queue_cap_reached, 60)
{
	struct qctx *c = &self->c;
	size_t pmd = c->pmd, i;
	long long dropped, added, dedup;
	int ok = 0, nospc = 0, ret, n;
	pid_t me = getpid();
	struct qline q[64];
	struct blocker b, b2;
	char *p = thp_area(_metadata, c, 8, NULL, false);

	ASSERT_EQ(0, thp_stat("queue_len")) TH_LOG("queue not empty");
	dropped = STAT("queue_dropped");
	added = STAT("queue_added");
	SET_PARAM("queue_cap", 0);
	for (i = 0; i < 8; i++)
		QUEUE(me, p + i * pmd, ENOSPC);
	EXPECT_EQ(dropped + 8, STAT("queue_dropped"));
	EXPECT_EQ(added, STAT("queue_added"));
	EXPECT_EQ(0, thp_queue_count(me));

	SET_PARAM("max_attempts", 1000);
	BLOCKER_START(&b, BLOCKER_LEN, BLOCKER_LEN, 0);
	BLOCKER_START(&b2, BLOCKER_LEN, BLOCKER_LEN, 0);
	SET_PARAM("queue_cap", 2);
	for (i = 0; i < 8; i++) {
		ret = thp_queue_req(me, p + i * pmd);
		if (!ret)
			ok++;
		else if (ret == -ENOSPC)
			nospc++;
		else
			EXPECT_EQ(0, ret) TH_LOG("range %zu: %s", i, strerror(-ret));
	}
	EXPECT_GE(2, thp_queue_count(me));
	n = LINES("queue", q, 64);
	while (n && q[n - 1].pid != me)
		n--;
	ASSERT_LT(0, n) TH_LOG("nothing of ours queued");
	dedup = STAT("queue_dedup");
	QUEUE(me, (char *)q[n - 1].addr + 5 * c->ps, 0);
	EXPECT_EQ(dedup + 1, STAT("queue_dedup"));
	ASSERT_EQ(0, thp_param_set("queue_cap", saved_param(c, "queue_cap")));
	blocker_stop(&b2);
	blocker_stop(&b);
	ksft_print_msg("queue_cap 2: %d queued, %d ENOSPC\n", ok, nospc);
	EXPECT_LE(2, ok);
	EXPECT_EQ(8, ok + nospc);
	EXPECT_EQ(dropped + 8 + nospc, STAT("queue_dropped"));
	EXPECT_EQ(added + ok, STAT("queue_added"));
	DRAINED(me, 30000);
	PMD_KB(me, p, 8 * c->kb);
}

/* Malformed for "queue" besides thp_bad_pid_addr[]: no process has pid 0. */
static const struct bad_req bad_queue[] = {
	BAD("0:0x1000"),
};

static const struct bad_req bad_scan[] = {
	BAD(""), BAD("\n"), BAD("x"), BAD("-1"), BAD("+1"), BAD("0"), BAD("1:2"), BAD("1 "),
	BAD(" 1"), BAD("1\n\n"), BAD("1\0"), BAD("0x1"), BAD("99999999999999999999"),
};

/*
 * In a child, as nobody: queue @target's range and pid 1's, scan @target
 * and pid 1. Returns 0 or the step that went wrong.
 */
static int unprivileged_requests(pid_t target, const void *addr)
{
	struct thp_unpriv_req r[4] = {
		{ .file = "queue" }, { .file = "queue", .req = "1:0x400000" },
		{ .file = "scan" }, { .file = "scan", .req = "1" },
	};

	snprintf(r[0].req, sizeof(r[0].req), "%d:0x%lx", target, (unsigned long)addr);
	snprintf(r[2].req, sizeof(r[2].req), "%d", target);
	return thp_unprivileged_requests(r, 4);
}

/*
 * Every errno of "queue" and "scan": malformed input, ineligible ranges
 * (the same rules and errnos as "collapse"), ESRCH, EFAULT, EPERM. Nothing
 * is queued by a refused write.
 */
TEST_F_TIMEOUT(queue_misc, queue_errors, 60)
{
	struct qctx *c = &self->c;
	size_t pmd = c->pmd, ps = c->ps, i;
	pid_t me = getpid(), kid;
	long long added;
	char r[512], *p, *h, *m, *sh;
	int fd, rd, wr, status, n, uffd, ret;
	const struct bad_req *b;
	siginfo_t si;

	p = thp_area(_metadata, c, 3, &fd, false);
	added = STAT("queue_added");

	/* malformed */
	for (b = thp_bad_pid_addr; b->s; b++)
		RAW("queue", b->s, b->len, EINVAL);
	for (i = 0; i < ARRAY_SIZE(bad_queue); i++)
		RAW("queue", bad_queue[i].s, bad_queue[i].len, EINVAL);
	memset(r, '1', 300);
	RAW("queue", r, 300, EINVAL);
	n = snprintf(r, sizeof(r), "%d:0x%lx\n\n", me, (unsigned long)p);
	RAW("queue", r, n, EINVAL);
	n = snprintf(r, sizeof(r), " %d:0x%lx", me, (unsigned long)p);
	RAW("queue", r, n, EINVAL);
	for (i = 0; i < ARRAY_SIZE(bad_scan); i++)
		RAW("scan", bad_scan[i].s, bad_scan[i].len, EINVAL);
	memset(r, '1', 300);
	RAW("scan", r, 300, EINVAL);
	n = snprintf(r, sizeof(r), "%d:0x%lx", me, (unsigned long)p);
	RAW("scan", r, n, EINVAL);

	/* ineligible ranges */
	h = MAP(pmd / 2, RW, MAP_SHARED, fd, 0);
	QUEUE(me, h, EINVAL);					/* short VMA */
	m = MAP(pmd, RW, MAP_SHARED, fd, ps);
	QUEUE(me, m, EINVAL);					/* misaligned offset */
	ASSERT_EQ(0, madvise(p + pmd, pmd, MADV_NOHUGEPAGE));
	QUEUE(me, p + pmd, EINVAL);				/* MADV_NOHUGEPAGE */
	ASSERT_EQ(0, madvise(p + pmd, pmd, MADV_HUGEPAGE));
	ASSERT_EQ(0, prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0));
	ret = thp_queue_req(me, p);
	ASSERT_EQ(0, prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0));
	EXPECT_EQ(-EINVAL, ret) TH_LOG("PR_SET_THP_DISABLE: %s", strerror(-ret));
	/* userfaultfd: uffd_armed, EBUSY as for "collapse" */
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0) {
		ksft_print_msg("userfaultfd: %s, not checked\n", strerror(errno));
	} else {
		struct uffdio_api api = { .api = UFFD_API };
		struct uffdio_register reg = {
			.range = { .start = (unsigned long)(p + 2 * pmd), .len = pmd },
			.mode = UFFDIO_REGISTER_MODE_MISSING,
		};

		ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api)) TH_LOG("%s", strerror(errno));
		if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
			ksft_print_msg("UFFDIO_REGISTER on shmem: %s, not checked\n",
				       strerror(errno));
		} else {
			QUEUE(me, p + 2 * pmd, EBUSY);
		}
		close(uffd);
	}

	/* nothing mapped: EFAULT; above user space: EFAULT or EINVAL */
	sh = MAP(3 * pmd, RW, MAP_SHARED, fd, 0);
	ASSERT_EQ(0, munmap(sh + pmd, pmd));
	QUEUE(me, sh + pmd + 5 * ps, EFAULT);
	ret = thp_queue_req(me, (void *)0xffffffffffff0000UL);
	EXPECT_TRUE(ret == -EFAULT || ret == -EINVAL) TH_LOG("kernel address: %s",
							     strerror(-ret));

	/* ESRCH: a zombie, then the reaped pid */
	kid = kid_fork(_metadata, c, &rd, &wr);
	if (!kid)
		_exit(0);
	close(rd);
	close(wr);
	ASSERT_EQ(0, waitid(P_PID, kid, &si, WEXITED | WNOWAIT));
	QUEUE(kid, (void *)pmd, ESRCH);
	n = snprintf(r, sizeof(r), "%d", kid);
	RAW("scan", r, n, ESRCH);
	kid_wait(c, kid);
	QUEUE(kid, (void *)pmd, ESRCH);
	RAW("scan", r, n, ESRCH);
	/* a kernel thread has no mm */
	QUEUE(2, (void *)pmd, ESRCH);
	RAW("scan", "2", 1, ESRCH);

	/* EPERM without ptrace access */
	kid = kid_fork(_metadata, c, &rd, &wr);
	if (!kid)
		_exit(unprivileged_requests(me, p));
	status = kid_wait(c, kid);
	close(rd);
	close(wr);
	KID_OK(status);

	EXPECT_EQ(added, STAT("queue_added"));
	EXPECT_EQ(0, thp_queue_count(me));

	/* the accepted forms: decimal ADDR, one newline; scan "PID\n" */
	n = snprintf(r, sizeof(r), "%d:%lu\n", me, (unsigned long)(p + 77));
	RAW("queue", r, n, 0);
	n = snprintf(r, sizeof(r), "%d\n", me);
	RAW("scan", r, n, 0);
	DRAINED(me, 30000);
	EXPECT_EQ(added + 1, STAT("queue_added"));
	DATA(p, 3 * pmd, 0, 0);
}

/*
 * With the mmap lock held for write nearly all the time and scan_sleep_ms 0
 * (no backoff), an entry is tried max_attempts times in a
 * row and given up: queue_done shows mmap_lock_contended and ATTEMPTS equal
 * to max_attempts, worker_gave_up grows by one, worker_retries by
 * max_attempts - 1. Checked with 3 and with 300 (more than fits in a byte).
 * When a try happens to find the lock free the range collapses instead;
 * that case is retried, unless it took more tries than max_attempts. Two
 * blockers: with one, its own gap between two mprotect() calls, or its
 * preemption by this process's polling, leaves the lock free often enough
 * that 300 tries in a row rarely all fail under TCG; with a second one
 * queued as a writer, a trylock fails even in those gaps.
 */
TEST_F_TIMEOUT(queue_misc, gives_up_after_max_attempts, 90)
{
	static const unsigned int maxes[] = { 3, 300 };
	struct qctx *c = &self->c;
	size_t pmd = c->pmd;
	long long gave_up, retries;
	unsigned int max;
	pid_t me = getpid();
	struct qline q[64];
	const struct qline *d;
	struct blocker b, b2;
	char *p = thp_area(_metadata, c, 2, NULL, false), *r;
	int k, tries, n, ret;
	uint64_t end;
	long left;

	ret = thp_param_set_ul("scan_sleep_ms", 0);
	if (ret)
		SKIP(return, "scan_sleep_ms=0 refused (%s)", strerror(-ret));
	/* every contended try counts as an attempt: no quick lock retries */
	SET_PARAM("lock_retries", 0);
	BLOCKER_START(&b, BLOCKER_LEN, BLOCKER_LEN, 0);
	BLOCKER_START(&b2, BLOCKER_LEN, BLOCKER_LEN, 0);
	for (k = 0; k < 2; k++) {
		max = maxes[k];
		r = p + k * pmd;
		SET_PARAM("max_attempts", max);
		for (tries = 0; tries < 5; tries++) {
			SPLIT(me, r);
			gave_up = STAT("worker_gave_up");
			retries = STAT("worker_retries");
			QUEUE(me, r, 0);
			/* until it leaves, or it has been tried more often than allowed */
			end = thp_now_ns() + 10000000000ULL;
			while ((left = thp_queue_count(me)) > 0 && thp_now_ns() < end &&
			       thp_stat("worker_retries") - retries < max)
				usleep(1000);
			if (left) {
				long long tried = thp_stat("worker_retries") - retries;

				n = LINES("queue", q, 64);
				d = last_for(q, n, me, r);
				ASSERT_EQ(0, left) TH_LOG("max_attempts %u: still queued after %lld "
							  "failed tries; queue shows ATTEMPTS %u "
							  "LAST %s", max, tried, d ? d->attempts : 0,
							  d ? d->res : "?");
			}
			n = LINES("queue_done", q, 64);
			d = last_for(q, n, me, r);
			ASSERT_NE(NULL, d) TH_LOG("%p not in queue_done", r);
			if (strcmp(d->res, "mmap_lock_contended")) {
				long long tried = thp_stat("worker_retries") - retries + 1;

				ASSERT_TRUE(collapsed_result(d->res)) TH_LOG("result %s", d->res);
				ASSERT_GE((long long)max, tried)
					TH_LOG("max_attempts %u: tried %lld times, then %s (ATTEMPTS %u)",
					       max, tried, d->res, d->attempts);
				ksft_print_msg("max_attempts %u: lock free at try %u, again\n",
					       max, d->attempts);
				continue;
			}
			EXPECT_EQ(max, d->attempts);
			EXPECT_EQ(gave_up + 1, STAT("worker_gave_up"));
			EXPECT_EQ(retries + max - 1, STAT("worker_retries"));
			break;
		}
		EXPECT_GT(5, tries);
	}
	SET_PARAM("scan_sleep_ms", FAST_SLEEP_MS);
	blocker_stop(&b2);
	blocker_stop(&b);
	DATA(p, 2 * pmd, 0, 0);
}

/* Once the queue has drained, the worker sleeps without a timer. */
TEST_F_TIMEOUT(queue_misc, idle_worker_no_wakeups, 60)
{
	struct qctx *c = &self->c;
	long long w0, w1, w2;
	pid_t me = getpid();
	char *p = thp_area(_metadata, c, 4, NULL, false);

	split_all(_metadata, c, me, p, 4);
	w0 = STAT("worker_wakeups");
	queue_all(_metadata, me, p, 4, c->pmd);
	DRAINED(me, 30000);
	PMD_KB(me, p, 4 * c->kb);
	ASSERT_EQ(0, thp_queue_wait(0, 30000)) TH_LOG("queue not empty");
	usleep(200 * 1000);
	w1 = STAT("worker_wakeups");
	sleep(3);
	w2 = STAT("worker_wakeups");
	ksft_print_msg("wakeups: %lld while draining, %lld in 3 s idle\n", w1 - w0, w2 - w1);
	EXPECT_EQ(0, STAT("queue_len"));
	EXPECT_EQ(w1, w2);
}

TEST_F(queue_misc, stats_queue_fields)
{
	static const char *const names[] = {
		"queue_len", "queue_added", "queue_dedup", "queue_dropped", "worker_collapsed",
		"worker_retries", "worker_lock_retries", "worker_gave_up", "worker_refused",
		"worker_exited",
		"worker_wakeups", "scan_found", "source_debugfs", "source_scan",
		"source_hook_khugepaged", "source_hook_collapse_failed", "source_hook_uprobe",
		"queue_entry_size", "collapse_ok", "result_mmap_lock_contended",
		"result_process_exited", "result_queue_full",
	};
	static const struct {
		const char *path;
		unsigned int mode;
	} files[] = {
		{ THP_DEBUGFS "/queue", 0600 }, { THP_DEBUGFS "/queue_done", 0400 },
		{ THP_DEBUGFS "/scan", 0200 }, { THP_PARAMS "queue_cap", 0644 },
		{ THP_PARAMS "scan_sleep_ms", 0644 }, { THP_PARAMS "max_attempts", 0644 },
		{ THP_PARAMS "lock_retries", 0644 }, { THP_PARAMS "lock_retry_ms", 0644 },
		{ THP_PARAMS "engine", 0644 },
	};
	struct stat st;
	long long size;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		EXPECT_LE(0, thp_stat(names[i])) TH_LOG("no '%s N' line in stats", names[i]);
	}
	size = thp_stat("queue_entry_size");
	EXPECT_LE(1, size);
	EXPECT_GE(64, size);
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		ASSERT_EQ(0, stat(files[i].path, &st)) TH_LOG("%s: %s", files[i].path,
							       strerror(errno));
		EXPECT_EQ(files[i].mode, st.st_mode & 0777) TH_LOG("%s", files[i].path);
	}
}

TEST_HARNESS_MAIN
