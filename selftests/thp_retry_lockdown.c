// SPDX-License-Identifier: GPL-2.0
/*
 * thp_retry_lockdown - under lockdown=integrity debugfs refuses writes and
 * /dev/thp_retry still works.
 *
 * Raising lockdown cannot be undone until reboot (and blocks loading the
 * unsigned module again), so the guest runs this test after all others.
 */
#include "kselftest_harness.h"
#include "thp_retry_dev.h"

#define LOCKDOWN "/sys/kernel/security/lockdown"

TEST(device_works_when_debugfs_is_locked_down)
{
	struct thp_huge_range r;
	long kb;
	char res[256], buf[256];
	int ret;

	if (thp_read_file(LOCKDOWN, buf, sizeof(buf)) <= 0)
		SKIP(return, "no %s (securityfs or the lockdown LSM missing)", LOCKDOWN);
	memset(&r, 0, sizeof(r));
	ASSERT_EQ(0, thp_huge_range_setup(&r));
	kb = r.pmd >> 10;
	if (thp_smaps_kb(getpid(), r.p, "ShmemPmdMapped") < kb) {
		thp_huge_range_teardown(&r);
		SKIP(return, "the guest gave no THP for the tmpfs file");
	}
	/* before: debugfs works */
	ASSERT_EQ(0, thp_request("split", getpid(), r.p, res, sizeof(res))) TH_LOG("%s", res);
	ASSERT_EQ(0, thp_request("collapse", getpid(), r.p, res, sizeof(res))) TH_LOG("%s", res);

	ASSERT_EQ(0, thp_write_file(LOCKDOWN, "integrity"));
	ASSERT_LT(0, thp_read_file(LOCKDOWN, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "[integrity]")) TH_LOG("%s", buf);

	/* debugfs refuses writes: at open or at write */
	ret = thp_request("split", getpid(), r.p, res, sizeof(res));
	EXPECT_EQ(-EPERM, ret) TH_LOG("%s", res);
	EXPECT_EQ(kb, thp_smaps_kb(getpid(), r.p, "ShmemPmdMapped"));

	/* the device does not */
	ASSERT_EQ(0, thp_dev_request("split", getpid(), r.p, res, sizeof(res))) TH_LOG("%s", res);
	EXPECT_EQ(0, thp_smaps_kb(getpid(), r.p, "ShmemPmdMapped"));
	ASSERT_EQ(0, thp_dev_request("collapse", getpid(), r.p, res, sizeof(res))) TH_LOG("%s", res);
	EXPECT_EQ(kb, thp_smaps_kb(getpid(), r.p, "ShmemPmdMapped"));
	EXPECT_TRUE(thp_huge_range_intact(&r));
	thp_huge_range_teardown(&r);
}

TEST_HARNESS_MAIN
