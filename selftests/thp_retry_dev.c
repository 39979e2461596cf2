// SPDX-License-Identifier: GPL-2.0
/*
 * thp_retry_dev - /dev/thp_retry takes the debugfs requests as "VERB ARGS"
 * with the same results and errnos (the lockdown-safe control path; its
 * behaviour under lockdown is thp_retry_lockdown's, which runs last).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "thp_retry_dev.h"

FIXTURE(dev) {
	struct thp_huge_range r;
	char khugepaged_sleep[32];
};

FIXTURE_SETUP(dev)
{
	memset(&self->r, 0, sizeof(self->r));
	/* khugepaged must not re-collapse a range behind the test's back */
	thp_khugepaged_pause(self->khugepaged_sleep, sizeof(self->khugepaged_sleep));
	ASSERT_EQ(0, thp_huge_range_setup(&self->r));
	if (thp_smaps_kb(getpid(), self->r.p, "ShmemPmdMapped") < (long)(self->r.pmd >> 10))
		SKIP(return, "the guest gave no THP for the tmpfs file");
}

FIXTURE_TEARDOWN(dev)
{
	thp_huge_range_teardown(&self->r);
	thp_khugepaged_resume(self->khugepaged_sleep);
}

TEST(device_node)
{
	struct stat st;

	ASSERT_EQ(0, stat(THP_DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 0777);
}

TEST_F(dev, split_then_collapse)
{
	long kb = self->r.pmd >> 10;
	char res[256];

	ASSERT_EQ(0, thp_dev_request("split", getpid(), self->r.p, res, sizeof(res))) TH_LOG("%s", res);
	EXPECT_TRUE(thp_result_is(res, "succeeded")) TH_LOG("%s", res);
	EXPECT_EQ(0, thp_smaps_kb(getpid(), self->r.p, "ShmemPmdMapped"));
	ASSERT_EQ(0, thp_dev_request("collapse", getpid(), self->r.p + sysconf(_SC_PAGESIZE), res,
				     sizeof(res)))
		TH_LOG("%s", res);
	EXPECT_TRUE(thp_result_is(res, "succeeded")) TH_LOG("%s", res);
	EXPECT_EQ(kb, thp_smaps_kb(getpid(), self->r.p, "ShmemPmdMapped"));
	ASSERT_EQ(0, thp_dev_request("collapse", getpid(), self->r.p, res, sizeof(res)));
	EXPECT_TRUE(thp_result_is(res, "already_pmd_mapped")) TH_LOG("%s", res);
	EXPECT_TRUE(thp_huge_range_intact(&self->r));
}

TEST_F(dev, queue_and_scan)
{
	char req[64], res[256];
	int i;

	ASSERT_EQ(0, thp_dev_request("split", getpid(), self->r.p, res, sizeof(res)));
	snprintf(req, sizeof(req), "scan %d", getpid());
	ASSERT_EQ(0, thp_dev_request_raw(req, strlen(req), res, sizeof(res))) TH_LOG("%s", res);
	ASSERT_EQ(0, thp_dev_request("queue", getpid(), self->r.p, res, sizeof(res)))
		TH_LOG("%s", res);
	/* the worker maps it again */
	for (i = 0; i < 300; i++) {
		if (thp_smaps_kb(getpid(), self->r.p, "ShmemPmdMapped") == (long)(self->r.pmd >> 10))
			break;
		usleep(100000);
	}
	EXPECT_EQ(self->r.pmd >> 10, thp_smaps_kb(getpid(), self->r.p, "ShmemPmdMapped"));
	EXPECT_TRUE(thp_huge_range_intact(&self->r));
}

TEST_F(dev, same_errnos_as_debugfs)
{
	static const char * const bad[] = {
		"", "split", "split ", "split1:0x200000", "split  1:0x200000",
		"bogus 1:0x200000", "SPLIT 1:0x200000", "split\t1:0x200000",
		"collapse 1:0x200000 x", "scan", "scan 1:2", " split 1:0x200000",
	};
	char req[80], res[256];
	pid_t kid;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, thp_dev_request_raw(bad[i], strlen(bad[i]), res, sizeof(res)))
			TH_LOG("'%s': %s", bad[i], res);
		EXPECT_TRUE(thp_result_is(res, "invalid_input")) TH_LOG("'%s': %s", bad[i], res);
	}
	kid = fork();
	if (!kid)
		_exit(0);
	ASSERT_EQ(kid, waitpid(kid, NULL, 0));
	EXPECT_EQ(-ESRCH, thp_dev_request("collapse", kid, self->r.p, res, sizeof(res)));
	snprintf(req, sizeof(req), "scan %d", kid);
	EXPECT_EQ(-ESRCH, thp_dev_request_raw(req, strlen(req), res, sizeof(res)));
	EXPECT_EQ(-EINVAL, thp_dev_request("collapse", getpid(), &kid, res, sizeof(res)))
		TH_LOG("%s", res);
	/* still working */
	EXPECT_EQ(0, thp_dev_request("collapse", getpid(), self->r.p, res, sizeof(res)));
}

TEST_HARNESS_MAIN
