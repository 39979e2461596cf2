// SPDX-License-Identifier: GPL-2.0
/*
 * thp_retry_autoscan - the background scan (autoscan=1): pte-mapped THPs of
 * any process, anonymous and shmem, found and mapped by one PMD again with
 * no request written, in place (the same pages); and the kernel's THP
 * policy honoured: prctl(PR_SET_THP_DISABLE), MADV_NOHUGEPAGE, "enabled"
 * madvise and never, also when they must be read from sysfs (no data
 * symbols in kallsyms). khugepaged is paused throughout, so whatever is
 * collapsed was the module's doing.
 */
#define _GNU_SOURCE
#include <sys/prctl.h>

#include "kselftest_harness.h"
#include "thp_retry_util.h"

/* FIXTURE_TEARDOWN_PARENT(): see thp_retry_collapse.c on -Wclobbered */
#pragma GCC diagnostic ignored "-Wclobbered"

#define AS_PARAMS	4

static const char *const as_params[AS_PARAMS] = {
	"autoscan", "autoscan_pmds", "autoscan_sleep_ms", "queue_delay_ms",
};

FIXTURE(as)
{
	char dir[64];
	char khd_sleep[32];
	char enabled[32];
	char saved[AS_PARAMS][32];
	size_t ps, pmd, nr;
	long kb;
	pid_t kid;
};

static void as_cleanup(FIXTURE_DATA(as) *self)
{
	int i;

	thp_kill_reap(&self->kid);
	thp_param_set("autoscan", "0");
	for (i = AS_PARAMS - 1; i >= 0; i--)
		if (self->saved[i][0])
			thp_param_set(as_params[i], self->saved[i]);
	if (self->enabled[0])
		thp_write_file(THP_SYSFS "/enabled", self->enabled);
	thp_khugepaged_resume(self->khd_sleep);
	thp_umount(self->dir);
}

FIXTURE_SETUP(as)
{
	char feats[512], opts[64];
	int i, ret;

	ASSERT_LT(0, thp_read_file(THP_DEBUGFS "/features", feats, sizeof(feats)));
	if (!strstr(feats, "autoscan enabled"))
		SKIP(return, "autoscan feature: %s", feats);
	self->pmd = thp_pmd_size();
	ASSERT_LT(0, (long)self->pmd);
	self->ps = sysconf(_SC_PAGESIZE);
	self->nr = self->pmd / self->ps;
	self->kb = self->pmd / 1024;
	for (i = 0; i < AS_PARAMS; i++)
		ASSERT_EQ(0, thp_param_get(as_params[i], self->saved[i], sizeof(self->saved[i])));
	ASSERT_EQ(0, thp_sysfs_choice(THP_SYSFS "/enabled", self->enabled, sizeof(self->enabled)));
	thp_khugepaged_pause(self->khd_sleep, sizeof(self->khd_sleep));
	snprintf(opts, sizeof(opts), "huge=always,size=%zu", 3 * self->pmd);
	ret = thp_mount_tmpfs(self->dir, sizeof(self->dir), opts);
	ASSERT_EQ(0, ret) TH_LOG("huge tmpfs: %s", strerror(-ret));
	ASSERT_EQ(0, thp_write_file(THP_SYSFS "/enabled", "always"));
	ASSERT_EQ(0, thp_param_set("queue_delay_ms", "0"));
	ASSERT_EQ(0, thp_param_set("autoscan_sleep_ms", "50"));
	ASSERT_EQ(0, thp_param_set("autoscan_pmds", "100000"));
}

FIXTURE_TEARDOWN_PARENT(as)
{
	as_cleanup(self);
}

/* PMD-aligned private anonymous THPs (@advise: MADV_HUGEPAGE), filled, then split. */
static char *anon_split(struct __test_metadata *_metadata, FIXTURE_DATA(as) *self, size_t n,
			bool advise, uint64_t off)
{
	char *p = thp_map_aligned(n * self->pmd, self->pmd, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char res[256];
	size_t i;

	ASSERT_NE(MAP_FAILED, p);
	if (advise)
		ASSERT_EQ(0, madvise(p, n * self->pmd, MADV_HUGEPAGE));
	thp_fill(p, n * self->pmd, off, 0);
	if (thp_smaps_kb(getpid(), p, "AnonHugePages") != (long)n * self->kb)
		return NULL;
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, thp_request("split", getpid(), p + i * self->pmd, res, sizeof(res)))
			TH_LOG("split: %s", res);
	}
	ASSERT_EQ(0, thp_smaps_kb(getpid(), p, "AnonHugePages"));
	return p;
}

/*
 * Wait until autoscan has finished @n more passes (so at least @n - 1 whole
 * ones since the call), then for the worker to have handled what they
 * queued for @pid; false after 60 s.
 */
static bool passes(long long n, pid_t pid)
{
	long long end = thp_stat("autoscan_passes") + n;
	int i;

	for (i = 0; i < 1200; i++) {
		if (thp_stat("autoscan_passes") >= end)
			return thp_queue_wait(pid, 10000) == 0;
		usleep(50 * 1000);
	}
	return false;
}

/* Wait until @field of @pid at @p says @kb; false after 60 s. */
static bool smaps_reaches(pid_t pid, const void *p, const char *field, long kb)
{
	int i;

	for (i = 0; i < 1200; i++) {
		if (thp_smaps_kb(pid, p, field) == kb)
			return true;
		usleep(50 * 1000);
	}
	return false;
}

/* Off: the kthread sleeps, no round runs; bad values refused. */
TEST_F(as, off_is_idle_and_bad_values_refused)
{
	long long rounds = thp_stat("autoscan_rounds");

	ASSERT_EQ(0, thp_param_set("autoscan", "0"));
	usleep(500 * 1000);
	ASSERT_EQ(rounds, thp_stat("autoscan_rounds"));
	ASSERT_EQ(-EINVAL, thp_param_set("autoscan", "maybe"));
	ASSERT_EQ(-EINVAL, thp_param_set("autoscan_pmds", "0"));
	ASSERT_EQ(-EINVAL, thp_param_set("autoscan_sleep_ms", "0"));
	ASSERT_EQ(-EINVAL, thp_param_set("autoscan_sleep_ms", "-1"));
	ASSERT_EQ(0, thp_param_set("autoscan", "1"));
	ASSERT_TRUE(passes(1, getpid()));
	ASSERT_LT(rounds, thp_stat("autoscan_rounds"));
	ASSERT_EQ(0, thp_param_set("autoscan", "0"));
	usleep(200 * 1000);
	rounds = thp_stat("autoscan_rounds");
	usleep(500 * 1000);
	ASSERT_EQ(rounds, thp_stat("autoscan_rounds"));
}

/*
 * Anonymous THPs and a huge tmpfs file, PTE-mapped: with autoscan=1 and no
 * request, all PMD-mapped again, by the same pages (head PFNs), with their
 * data; the file's contents through read().
 */
TEST_F(as, collapses_without_a_request)
{
	long long src = thp_stat("source_autoscan"), found = thp_stat("autoscan_found");
	pid_t me = getpid();
	uint64_t head[2], h;
	char path[128], why[128], res[256], *a, *f, *buf;
	size_t i;
	int fd;

	a = anon_split(_metadata, self, 2, true, 0);
	if (!a)
		SKIP(return, "no anonymous THPs");
	for (i = 0; i < 2; i++) {
		char *r = a + i * self->pmd;
		uint64_t pm;

		ASSERT_EQ(0, thp_pagemap(me, r, 1, &pm));
		head[i] = pm & PM_PFN_MASK;
	}
	snprintf(path, sizeof(path), "%s/f", self->dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 2 * self->pmd));
	f = thp_map_aligned(2 * self->pmd, self->pmd, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, f);
	thp_fill(f, 2 * self->pmd, 0x40000000, 0);
	ASSERT_EQ(2 * self->kb, thp_smaps_kb(me, f, "ShmemPmdMapped"));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, thp_request("split", me, f + i * self->pmd, res, sizeof(res)));
	}
	ASSERT_EQ(0, thp_smaps_kb(me, f, "ShmemPmdMapped"));

	ASSERT_EQ(0, thp_param_set("autoscan", "1"));
	ASSERT_TRUE(smaps_reaches(me, a, "AnonHugePages", 2 * self->kb))
		TH_LOG("anon: %ld kB", thp_smaps_kb(me, a, "AnonHugePages"));
	ASSERT_TRUE(smaps_reaches(me, f, "ShmemPmdMapped", 2 * self->kb))
		TH_LOG("shmem: %ld kB", thp_smaps_kb(me, f, "ShmemPmdMapped"));
	ASSERT_EQ(0, thp_param_set("autoscan", "0"));

	ASSERT_LE(src + 4, thp_stat("source_autoscan"));
	ASSERT_LE(found + 4, thp_stat("autoscan_found"));
	for (i = 0; i < 2; i++) {
		ASSERT_TRUE(thp_range_is_thp(me, a + i * self->pmd, self->nr, &h, why,
					     sizeof(why))) TH_LOG("anon %zu: %s", i, why);
		ASSERT_EQ(head[i], h) TH_LOG("anon %zu moved: a copy, not in place", i);
		ASSERT_TRUE(thp_range_is_thp(me, f + i * self->pmd, self->nr, &h, why,
					     sizeof(why))) TH_LOG("shmem %zu: %s", i, why);
	}
	ASSERT_EQ(-1, thp_verify(a, 2 * self->pmd, 0, 0));
	ASSERT_EQ(-1, thp_verify(f, 2 * self->pmd, 0x40000000, 0));
	buf = malloc(2 * self->pmd);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ((ssize_t)(2 * self->pmd), pread(fd, buf, 2 * self->pmd, 0));
	ASSERT_EQ(-1, thp_verify(buf, 2 * self->pmd, 0x40000000, 0));
	free(buf);
	munmap(a, 2 * self->pmd);
	munmap(f, 2 * self->pmd);
	close(fd);
}

/*
 * A child with a pte-mapped THP, then THPs disabled by prctl: left alone for
 * two passes; the parent's MADV_NOHUGEPAGE range too; under "enabled"
 * madvise an unadvised range is left alone while an advised one is
 * collapsed; under never, even the advised one is left alone.
 */
TEST_F(as, honours_thp_policy)
{
	int up[2], down[2], status;
	pid_t kid;
	char *nohuge, *plain, *advised, *kidp = NULL, c;
	pid_t me = getpid();

	ASSERT_EQ(0, pipe(up));
	ASSERT_EQ(0, pipe(down));
	/* self is shared with the harness's parent: the child must not write it */
	kid = fork();
	ASSERT_LE(0, kid);
	if (kid)
		self->kid = kid;
	else {
		/* no ASSERT_*() in a child: a failure is a NULL sent up */
		char res[256], *p = thp_map_aligned(self->pmd, self->pmd, PROT_READ | PROT_WRITE,
						   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED || madvise(p, self->pmd, MADV_HUGEPAGE))
			p = NULL;
		if (p)
			thp_fill(p, self->pmd, 0, 0);
		if (p && (thp_smaps_kb(getpid(), p, "AnonHugePages") != self->kb ||
			  thp_request("split", getpid(), p, res, sizeof(res)) ||
			  prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0)))
			p = NULL;
		if (write(up[1], &p, sizeof(p)) != sizeof(p))
			_exit(1);
		if (read(down[0], &c, 1) != 1)
			_exit(1);
		_exit(p && thp_verify(p, self->pmd, 0, 0) == -1 ? 0 : 2);
	}
	ASSERT_EQ((ssize_t)sizeof(kidp), read(up[0], &kidp, sizeof(kidp)));
	if (!kidp)
		SKIP(return, "child: no THP or no PR_SET_THP_DISABLE");

	nohuge = anon_split(_metadata, self, 1, true, 0x10000000);
	plain = anon_split(_metadata, self, 1, false, 0x20000000);
	advised = anon_split(_metadata, self, 1, true, 0x30000000);
	if (!nohuge || !plain || !advised)
		SKIP(return, "no anonymous THPs");
	ASSERT_EQ(0, madvise(nohuge, self->pmd, MADV_NOHUGEPAGE));

	/* never: nothing */
	ASSERT_EQ(0, thp_write_file(THP_SYSFS "/enabled", "never"));
	ASSERT_EQ(0, thp_param_set("autoscan", "1"));
	ASSERT_TRUE(passes(2, me));
	ASSERT_EQ(0, thp_smaps_kb(me, advised, "AnonHugePages"));
	ASSERT_EQ(0, thp_smaps_kb(me, plain, "AnonHugePages"));

	/* madvise: the advised range only */
	ASSERT_EQ(0, thp_write_file(THP_SYSFS "/enabled", "madvise"));
	ASSERT_TRUE(smaps_reaches(me, advised, "AnonHugePages", self->kb));
	ASSERT_TRUE(passes(2, me));
	ASSERT_EQ(0, thp_queue_wait(self->kid, 10000));
	ASSERT_EQ(0, thp_smaps_kb(me, plain, "AnonHugePages"));
	ASSERT_EQ(0, thp_smaps_kb(me, nohuge, "AnonHugePages"));
	ASSERT_EQ(0, thp_smaps_kb(self->kid, kidp, "AnonHugePages"));

	/* always: the plain range too; never the NOHUGEPAGE one nor the child */
	ASSERT_EQ(0, thp_write_file(THP_SYSFS "/enabled", "always"));
	ASSERT_TRUE(smaps_reaches(me, plain, "AnonHugePages", self->kb));
	ASSERT_TRUE(passes(2, me));
	ASSERT_EQ(0, thp_queue_wait(self->kid, 10000));
	ASSERT_EQ(0, thp_smaps_kb(me, nohuge, "AnonHugePages"));
	ASSERT_EQ(0, thp_smaps_kb(self->kid, kidp, "AnonHugePages"));
	ASSERT_EQ(0, thp_param_set("autoscan", "0"));

	ASSERT_EQ(-1, thp_verify(nohuge, self->pmd, 0x10000000, 0));
	ASSERT_EQ(-1, thp_verify(plain, self->pmd, 0x20000000, 0));
	ASSERT_EQ(-1, thp_verify(advised, self->pmd, 0x30000000, 0));
	ASSERT_EQ(1, write(down[1], "x", 1));
	ASSERT_EQ(self->kid, waitpid(self->kid, &status, 0));
	self->kid = 0;
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("child: status %#x", status);
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
}

/* The fixture's settings, after a reload brought the defaults back. */
static void as_params_again(struct __test_metadata *_metadata)
{
	ASSERT_EQ(0, thp_param_set("queue_delay_ms", "0"));
	ASSERT_EQ(0, thp_param_set("autoscan_sleep_ms", "50"));
	ASSERT_EQ(0, thp_param_set("autoscan_pmds", "100000"));
}

/*
 * A kernel whose kallsyms has no data symbols (no CONFIG_KALLSYMS_ALL, as
 * Debian's 6.1 arm64): the THP settings are read from sysfs instead, and
 * honoured the same: under "enabled" madvise only the advised range is
 * collapsed, under always the plain one too, in place, with its data.
 */
TEST_F(as, settings_from_sysfs_without_data_symbols)
{
	static const char hidden[] = "ksym_test_hidden=transparent_hugepage_flags,"
		"huge_anon_orders_always,huge_anon_orders_madvise,huge_anon_orders_inherit";
	char buf[8192], why[128], *plain, *advised;
	pid_t me = getpid();
	uint64_t pm, h;

	if (!thp_testing_build())
		SKIP(return, "ksym_test_hidden: the module was built without THP_TESTING=y");
	ASSERT_EQ(0, thp_unload());
	ASSERT_EQ(0, thp_load(hidden));
	as_params_again(_metadata);
	ASSERT_LT(0, thp_read_file(THP_DEBUGFS "/ksyms", buf, sizeof(buf)));
	ASSERT_NE(NULL, strstr(buf, "transparent_hugepage_flags optional probe autoscan missing\n"))
		TH_LOG("%s", buf);
	ASSERT_LT(0, thp_read_file(THP_DEBUGFS "/features", buf, sizeof(buf)));
	ASSERT_NE(NULL, strstr(buf, "autoscan enabled\n")) TH_LOG("%s", buf);
	ASSERT_TRUE(thp_klog_contains("optional symbol 'transparent_hugepage_flags' not found: "
				      "autoscan uses its fallback"));

	plain = anon_split(_metadata, self, 1, false, 0x50000000);
	advised = anon_split(_metadata, self, 1, true, 0x60000000);
	if (!plain || !advised)
		SKIP(return, "no anonymous THPs");
	ASSERT_EQ(0, thp_pagemap(me, plain, 1, &pm));

	ASSERT_EQ(0, thp_write_file(THP_SYSFS "/enabled", "madvise"));
	ASSERT_EQ(0, thp_param_set("autoscan", "1"));
	ASSERT_TRUE(smaps_reaches(me, advised, "AnonHugePages", self->kb));
	ASSERT_TRUE(passes(2, me));
	ASSERT_EQ(0, thp_smaps_kb(me, plain, "AnonHugePages"));

	ASSERT_EQ(0, thp_write_file(THP_SYSFS "/enabled", "always"));
	ASSERT_TRUE(smaps_reaches(me, plain, "AnonHugePages", self->kb));
	ASSERT_EQ(0, thp_param_set("autoscan", "0"));
	ASSERT_TRUE(thp_range_is_thp(me, plain, self->nr, &h, why, sizeof(why))) TH_LOG("%s", why);
	ASSERT_EQ(pm & PM_PFN_MASK, h) TH_LOG("moved: a copy, not in place");
	ASSERT_EQ(-1, thp_verify(plain, self->pmd, 0x50000000, 0));
	ASSERT_EQ(-1, thp_verify(advised, self->pmd, 0x60000000, 0));
	munmap(plain, self->pmd);
	munmap(advised, self->pmd);

	ASSERT_EQ(0, thp_reload_plain());
	as_params_again(_metadata);
}

TEST_HARNESS_MAIN
