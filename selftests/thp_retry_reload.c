// SPDX-License-Identifier: GPL-2.0
/*
 * thp_retry_reload - unload and load the module 100 times (thp_reload_cycles
 * in the environment, which the guest gets from the kernel command line)
 * while two workloads keep it busy:
 *
 *  - requests: split, collapse and queue requests on a THP of its own
 *    through /dev/thp_retry (the retry worker busy);
 *  - uprobes: a tracefs uprobe on THP-backed code (thp_uprobe_util.h)
 *    registered, hit and removed in a loop, the code unmapped and mapped
 *    anew every round and a forked child calling it and exiting every
 *    fourth, so that all four uprobe hooks (uprobe_write_opcode,
 *    collapse_pte_mapped_thp, uprobe_munmap, uprobe_clear_state) fire
 *    while they are installed and removed. After each load the test waits
 *    for one probe round to end before it unloads again;
 *  - takeover (where the module has it): the module is loaded with
 *    takeover=1, and a process makes an anonymous THP pte-mapped and asks
 *    MADV_COLLAPSE of it in a loop, checking its bytes each time, while
 *    khugepaged scans every 20 ms: unload meets calls of
 *    collapse_huge_page() redirected into the module.
 *
 * Each cycle must succeed; the data of both must survive (the code reads
 * as the file once its probe is gone); the runner fails the run on any
 * splat or leak report. Without uprobe_events the uprobe workload is left
 * out and the test says so.
 */
#include <signal.h>
#include <sys/wait.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

/* The 6.12 harness's TEST_F wrapper trips -Wclobbered on its own variable. */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "thp_retry_dev.h"
#include "thp_uprobe_util.h"

#define CYCLES	100

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

/*
 * The request workload: requests against its own range until SIGTERM,
 * through /dev/thp_retry. Not through debugfs: an open() of a debugfs file
 * at the instant rmmod drops the module's last reference, before it marks
 * the module GOING, makes debugfs's full_proxy_open() WARN ("debugfs file
 * owner did not clean up at exit") on both kernels, whatever the module
 * does (Documentation/interfaces.rst, "Unloading"); misc_open() fails
 * quietly with ENODEV there.
 */
static int workload(struct thp_huge_range *r)
{
	static const char * const verbs[] = { "split", "collapse", "queue" };
	size_t ps = sysconf(_SC_PAGESIZE), nr = r->pmd / ps;
	char res[256];
	unsigned long n = 0;

	signal(SIGTERM, on_term);
	while (!stop) {
		/* the device vanishes while the module is out: that is expected */
		thp_dev_request(verbs[n % 3], getpid(), r->p + (n % nr) * ps, res, sizeof(res));
		n++;
	}
	return thp_huge_range_intact(r) ? 0 : 1;
}

/*
 * The takeover workload: an anonymous THP written, made pte-mapped and
 * collapsed with MADV_COLLAPSE until SIGTERM; 0, or 2 when a byte changed.
 */
static int takeover_workload(size_t pmd)
{
	size_t ps = sysconf(_SC_PAGESIZE), i;
	char *p = thp_map_aligned(pmd, pmd, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				  -1, 0);
	unsigned long n;

	if (p == MAP_FAILED)
		return 1;
	madvise(p, pmd, MADV_HUGEPAGE);
	signal(SIGTERM, on_term);
	for (n = 0; !stop; n++) {
		char c = 0x20 + (n & 63);

		memset(p, c, pmd);
		mprotect(p + 3 * ps, 5 * ps, PROT_READ);
		mprotect(p + 3 * ps, 5 * ps, PROT_READ | PROT_WRITE);
		madvise(p, pmd, MADV_COLLAPSE);
		for (i = 0; i < pmd; i++)
			if (p[i] != c)
				return 2;
	}
	return 0;
}

/* What the uprobe workload did, in memory shared with the test. */
struct up_counts {
	unsigned long rounds;	/* probe registered, hit and removed */
	unsigned long forks;	/* children that called the probed code */
	unsigned long bad;	/* rounds whose code did not read as the file */
};

/* Map the code PMD-aligned and fault it in; NULL on failure. */
static char *code_map(int fd, size_t pmd)
{
	char *p = thp_map_aligned(pmd, pmd, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);

	if (p == MAP_FAILED)
		return NULL;
	thp_touch(p, pmd);
	return p;
}

/* The uprobe workload: probe @path (@expect, @pmd long) until SIGTERM. */
static int uprobe_workload(const char *path, const char *expect, size_t pmd,
			   struct up_counts *c)
{
	unsigned long n, ps = sysconf(_SC_PAGESIZE);
	char name[32];
	int fd;

	signal(SIGTERM, on_term);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	snprintf(name, sizeof(name), "thprl_%d", getpid());
	for (n = 0; !stop; n++) {
		/* a different page each round, instruction-aligned */
		unsigned long off = ((n * ps + n * 64) % pmd) & ~(unsigned long)(RET_SIZE - 1);
		char *code = code_map(fd, pmd);
		pid_t kid = -1;

		if (!code)
			return 1;
		if (!thp_uprobe_add(name, path, off)) {
			((void (*)(void))(code + off))();
			if (n % 4 == 0) {
				kid = fork();
				if (!kid) {
					/* a mm with the breakpoint installed exits */
					((void (*)(void))(code + off))();
					_exit(0);
				}
			}
			thp_uprobe_del(name);
			if (kid > 0 && waitpid(kid, NULL, 0) == kid)
				c->forks++;
			if (memcmp(code, expect, pmd))
				c->bad++;
			c->rounds++;
		}
		munmap(code, pmd);
	}
	close(fd);
	return 0;
}

FIXTURE(reload) {
	struct thp_huge_range r;
	char khugepaged_sleep[32];
	char record_cmd[8];
	char code[128];		/* the uprobe workload's code file, "" if none */
	char *expect;
	struct up_counts *up;
	pid_t kid;
	pid_t upkid;
	pid_t tokid;		/* the takeover workload, 0 if none */
};

FIXTURE_SETUP(reload)
{
	memset(&self->r, 0, sizeof(self->r));
	char feats[512];

	self->record_cmd[0] = self->code[0] = '\0';
	self->upkid = self->tokid = 0;
	thp_khugepaged_pause(self->khugepaged_sleep, sizeof(self->khugepaged_sleep));
	ASSERT_EQ(0, thp_huge_range_setup(&self->r));
	self->kid = fork();
	ASSERT_LE(0, self->kid);
	if (!self->kid)
		_exit(workload(&self->r));
	ASSERT_LT(0, thp_read_file(THP_DEBUGFS "/features", feats, sizeof(feats)));
	if (strstr(feats, "takeover enabled") && strstr(feats, "anon-inplace enabled")) {
		thp_write_file(THP_KHD_SLEEP, "20");
		self->tokid = fork();
		ASSERT_LE(0, self->tokid);
		if (!self->tokid)
			_exit(takeover_workload(self->r.pmd));
	} else {
		ksft_print_msg("no takeover here: no takeover workload\n");
	}

	if (thp_tracefs_find()) {
		ksft_print_msg("no uprobe_events in tracefs: no uprobe workload\n");
		return;
	}
	self->up = mmap(NULL, sizeof(*self->up), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->up);
	memset(self->up, 0, sizeof(*self->up));
	self->expect = malloc(self->r.pmd);
	ASSERT_NE(NULL, self->expect);
	thp_fill_ret(self->expect, self->r.pmd);
	snprintf(self->code, sizeof(self->code), "%s/code", self->r.dir);
	ASSERT_EQ(0, thp_code_file(self->code, self->expect, self->r.pmd));
	thp_record_cmd_off(self->record_cmd, sizeof(self->record_cmd));
	self->upkid = fork();
	ASSERT_LE(0, self->upkid);
	if (!self->upkid)
		_exit(uprobe_workload(self->code, self->expect, self->r.pmd, self->up));
}

/* SIGTERM @pid (it finishes its round) and reap it; its exit status. */
static int stop_kid(pid_t *pid)
{
	int status = -1;

	if (*pid <= 0)
		return 0;
	kill(*pid, SIGTERM);
	if (waitpid(*pid, &status, 0) != *pid)
		status = -1;
	*pid = 0;
	return status;
}

FIXTURE_TEARDOWN(reload)
{
	char name[32];

	if (self->kid > 0) {
		kill(self->kid, SIGKILL);
		waitpid(self->kid, NULL, 0);
	}
	if (self->tokid > 0) {
		kill(self->tokid, SIGKILL);
		waitpid(self->tokid, NULL, 0);
	}
	if (self->upkid > 0) {
		/* a killed workload may leave its probe behind */
		snprintf(name, sizeof(name), "thprl_%d", self->upkid);
		stop_kid(&self->upkid);
		thp_uprobe_del(name);
	}
	thp_record_cmd_restore(self->record_cmd);
	if (self->code[0])
		unlink(self->code);
	thp_huge_range_teardown(&self->r);
	thp_khugepaged_resume(self->khugepaged_sleep);
	thp_reload_plain();
}

TEST_F_TIMEOUT(reload, cycles_under_load, 600)
{
	const char *env = getenv("thp_reload_cycles");
	int cycles = env && atoi(env) > 0 ? atoi(env) : CYCLES;
	long long splits = 0, restored = 0, taken = 0;
	int i, tries, ret, status, busy = 0;
	unsigned long rounds;
	uint64_t t0;

	for (i = 0; i < cycles; i++) {
		/* what the uprobe hooks saw while this load was in */
		splits += thp_stat("uprobe_split") > 0 ? thp_stat("uprobe_split") : 0;
		restored += thp_stat("uprobe_restored") > 0 ? thp_stat("uprobe_restored") : 0;
		taken += thp_stat("takeover_taken") > 0 ? thp_stat("takeover_taken") : 0;
		/* an open request file holds the module: try again */
		for (tries = 0; (ret = thp_unload()) && tries < 2000; tries++) {
			busy++;
			usleep(1000);
		}
		ASSERT_EQ(0, ret) TH_LOG("cycle %d: unload: %s", i, strerror(-ret));
		usleep(1000);
		ASSERT_EQ(0, thp_load(self->tokid > 0 ? "takeover=1" : NULL))
			TH_LOG("cycle %d: load", i);
		usleep(5000);
		/* stay loaded until a probe round ends with the hooks in (1 s at most) */
		for (t0 = thp_now_ns(), rounds = self->upkid > 0 ? self->up->rounds : 0;
		     self->upkid > 0 && self->up->rounds == rounds &&
		     thp_now_ns() - t0 < 1000000000ULL;)
			usleep(2000);
	}
	ksft_print_msg("%d cycles, %d busy unload attempts\n", cycles, busy);
	if (self->tokid > 0) {
		status = stop_kid(&self->tokid);
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("takeover workload status %#x (2: data changed)", status);
		ksft_print_msg("takeover: %lld ranges taken over\n", taken);
		EXPECT_LT(0, taken);
	}
	status = stop_kid(&self->kid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("workload status %#x (1: data changed)", status);
	if (self->upkid > 0) {
		status = stop_kid(&self->upkid);
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("uprobe workload status %#x", status);
		ksft_print_msg("uprobe workload: %lu rounds, %lu forks, %lu bad\n",
			       self->up->rounds, self->up->forks, self->up->bad);
		ksft_print_msg("uprobe hooks: %lld splits, %lld restored\n", splits, restored);
		EXPECT_LT(0, self->up->rounds);
		/* the hooks were busy, not just installed */
		EXPECT_LT(0, splits);
		/* 6.16+ without MGLRU keeps most copies (thp_uprobe_util.h) */
		if (!thp_kernel_keeps_touched_copy())
			EXPECT_LT(0, restored);
		EXPECT_EQ(0, self->up->bad);
	}
	EXPECT_TRUE(thp_loaded());
}

TEST_HARNESS_MAIN
