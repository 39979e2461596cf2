// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - thp_retry module load and unload.
 *
 * Order matters: symbols first (a missing required one fails the load before
 * anything is registered), then debugfs, then the mechanisms, each of which
 * may add files to the debugfs directory. Unload runs the same list backwards.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <linux/utsname.h>

#include "ksyms.h"
#include "thp_retry.h"

static int __init thp_retry_module_init(void)
{
	int ret;

	ret = thp_ksyms_init();
	if (ret)
		return ret;
	ret = thp_debugfs_init();
	if (ret)
		return ret;
	ret = thp_split_init();
	if (ret)
		goto out_debugfs;
	ret = thp_retry_init();
	if (ret)
		goto out_split;
	ret = thp_uprobe_init();
	if (ret)
		goto out_retry;
	pr_info("loaded on %s\n", init_utsname()->release);
	return 0;

out_retry:
	thp_retry_exit();
out_split:
	thp_split_exit();
out_debugfs:
	thp_debugfs_exit();
	return ret;
}

static void __exit thp_retry_module_exit(void)
{
	thp_uprobe_exit();
	thp_retry_exit();
	thp_split_exit();
	thp_debugfs_exit();
	pr_info("unloaded\n");
}

module_init(thp_retry_module_init);
module_exit(thp_retry_module_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Map pte-mapped transparent huge pages by one PMD again");
MODULE_AUTHOR("thp_retry developers");
