// SPDX-License-Identifier: GPL-2.0
/*
 * thp_retry_load - the module loads, shows its debugfs directory, reloads
 * cleanly, refuses to load without a required symbol and disables a feature
 * whose function is IBT-sealed.
 *
 * Needs root and thp_retry.ko at $THP_RETRY_KO. Every test leaves the module
 * loaded without parameters, as it found it.
 */
#include <dirent.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "thp_retry_util.h"

/* Loads take seconds on the debug tier's KASAN + lockdep kernel under TCG. */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT	300

static char buf[65536];

TEST(debugfs_directory_exists)
{
	struct stat st;

	ASSERT_EQ(0, thp_reload_plain());
	ASSERT_EQ(0, stat(THP_DEBUGFS, &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(0, stat(THP_DEBUGFS "/ksyms", &st));
	EXPECT_EQ(0400, st.st_mode & 0777);
	EXPECT_EQ(0, stat(THP_DEBUGFS "/features", &st));
}

TEST(required_symbols_found)
{
	char *line, *save;

	ASSERT_LT(0, thp_read_file(THP_DEBUGFS "/ksyms", buf, sizeof(buf)));
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		/* NAME required|optional call|probe FEATURE STATE */
		if (strstr(line, " required ")) {
			/* found, or (real IBT hardware only) sealed */
			EXPECT_TRUE(strstr(line, " found") || strstr(line, " sealed") ||
				    strstr(line, " no-endbr"))
				TH_LOG("%s", line);
		}
	}
}

TEST(core_and_native_features_enabled)
{
	ASSERT_LT(0, thp_read_file(THP_DEBUGFS "/features", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "core enabled\n")) TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, "native-engine enabled\n")) TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, "split enabled\n")) TH_LOG("%s", buf);
}

TEST(reload_20_times)
{
	struct stat st;
	int i;

	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, thp_unload()) TH_LOG("unload %d", i);
		ASSERT_NE(0, stat(THP_DEBUGFS, &st)) TH_LOG("debugfs left after unload %d", i);
		ASSERT_EQ(0, thp_load(NULL)) TH_LOG("load %d", i);
		ASSERT_EQ(0, stat(THP_DEBUGFS, &st)) TH_LOG("no debugfs after load %d", i);
	}
}

TEST(missing_required_symbol_fails_with_enoent)
{
	struct stat st;

	if (!thp_testing_build())
		SKIP(return, "ksym_test_missing: the module was built without THP_TESTING=y");
	ASSERT_EQ(0, thp_unload());
	EXPECT_EQ(-ENOENT, thp_load("ksym_test_missing=thp_retry_no_such_symbol"));
	EXPECT_FALSE(thp_loaded());
	/* nothing left registered: no directory, a plain load still works */
	EXPECT_NE(0, stat(THP_DEBUGFS, &st));
	EXPECT_TRUE(thp_klog_contains("can't find required symbol 'thp_retry_no_such_symbol'"));
	ASSERT_EQ(0, thp_load(NULL));
}

TEST(sealed_function_disables_its_feature)
{
	if (!thp_testing_build())
		SKIP(return, "ksym_test_sealed: the module was built without THP_TESTING=y");
	ASSERT_EQ(0, thp_unload());
	ASSERT_EQ(0, thp_load("ksym_test_sealed=collapse_pte_mapped_thp"));
	ASSERT_LT(0, thp_read_file(THP_DEBUGFS "/features", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "kernel-engine disabled collapse_pte_mapped_thp\n"))
		TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, "native-engine enabled\n")) TH_LOG("%s", buf);
	EXPECT_TRUE(thp_klog_contains("'collapse_pte_mapped_thp' is sealed (IBT): kernel-engine disabled"));
	ASSERT_LT(0, thp_read_file(THP_DEBUGFS "/ksyms", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "collapse_pte_mapped_thp optional call kernel-engine sealed\n"))
		TH_LOG("%s", buf);
	ASSERT_EQ(0, thp_reload_plain());
}

TEST(sealed_kallsyms_lookup_name_falls_back_to_kprobes)
{
	if (!thp_testing_build())
		SKIP(return, "ksym_test_sealed: the module was built without THP_TESTING=y");
	ASSERT_EQ(0, thp_unload());
	ASSERT_EQ(0, thp_load("ksym_test_sealed=kallsyms_lookup_name"));
	ASSERT_LT(0, thp_read_file(THP_DEBUGFS "/ksyms", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "# lookup kprobe")) TH_LOG("%s", buf);
	EXPECT_NE(NULL, strstr(buf, "ptrace_may_access required call core found"))
		TH_LOG("%s", buf);
	ASSERT_LT(0, thp_read_file(THP_DEBUGFS "/features", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "native-engine enabled\n")) TH_LOG("%s", buf);
	ASSERT_EQ(0, thp_reload_plain());
}

TEST_HARNESS_MAIN
