// SPDX-License-Identifier: GPL-2.0
/*
 * thp_retry_reload - unload and load the module 100 times (thp_reload_cycles
 * in the environment, which the guest gets from the kernel command line)
 * while a workload
 * keeps split, collapse and queue requests coming on its own THP (and the
 * retry worker busy). Each cycle must succeed; the workload's data must
 * survive; the runner fails the run on any splat or leak report.
 */
#include <signal.h>
#include <sys/wait.h>

/* The 6.12 harness's TEST_F wrapper trips -Wclobbered on its own variable. */
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "thp_retry_dev.h"

#define CYCLES	100

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

/* The workload: requests against its own range until SIGTERM. */
static int workload(struct thp_huge_range *r)
{
	static const char * const files[] = { "split", "collapse", "queue" };
	char res[256];
	unsigned long n = 0;

	signal(SIGTERM, on_term);
	while (!stop) {
		/* the files vanish while the module is out: that is expected */
		thp_request(files[n % 3], getpid(), r->p + (n % 512) * 4096, res, sizeof(res));
		n++;
	}
	return thp_huge_range_intact(r) ? 0 : 1;
}

FIXTURE(reload) {
	struct thp_huge_range r;
	char khugepaged_sleep[32];
	pid_t kid;
};

FIXTURE_SETUP(reload)
{
	memset(&self->r, 0, sizeof(self->r));
	thp_khugepaged_pause(self->khugepaged_sleep, sizeof(self->khugepaged_sleep));
	ASSERT_EQ(0, thp_huge_range_setup(&self->r));
	self->kid = fork();
	ASSERT_LE(0, self->kid);
	if (!self->kid)
		_exit(workload(&self->r));
}

FIXTURE_TEARDOWN(reload)
{
	if (self->kid > 0) {
		kill(self->kid, SIGKILL);
		waitpid(self->kid, NULL, 0);
	}
	thp_huge_range_teardown(&self->r);
	thp_khugepaged_resume(self->khugepaged_sleep);
	thp_reload_plain();
}

TEST_F_TIMEOUT(reload, cycles_under_load, 600)
{
	const char *env = getenv("thp_reload_cycles");
	int cycles = env && atoi(env) > 0 ? atoi(env) : CYCLES;
	int i, tries, ret, status, busy = 0;

	for (i = 0; i < cycles; i++) {
		/* an open request file holds the module: try again */
		for (tries = 0; (ret = thp_unload()) && tries < 2000; tries++) {
			busy++;
			usleep(1000);
		}
		ASSERT_EQ(0, ret) TH_LOG("cycle %d: unload: %s", i, strerror(-ret));
		usleep(1000);
		ASSERT_EQ(0, thp_load(NULL)) TH_LOG("cycle %d: load", i);
		usleep(5000);
	}
	ksft_print_msg("%d cycles, %d busy unload attempts\n", cycles, busy);
	ASSERT_EQ(0, kill(self->kid, SIGTERM));
	ASSERT_EQ(self->kid, waitpid(self->kid, &status, 0));
	self->kid = 0;
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("workload status %#x (1: data changed)", status);
	EXPECT_TRUE(thp_loaded());
}

TEST_HARNESS_MAIN
