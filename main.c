// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - thp_retry module load and unload.
 *
 * Order matters: symbols first (a missing required one fails the load before
 * anything is registered), then the mechanisms, and the debugfs files and
 * /dev/thp_retry last, once everything they reach exists. Unload runs the list backwards: the
 * files go first (debugfs removal waits for operations in flight), so no
 * request can reach a mechanism that is being torn down. Autoscan stops
 * before the retry worker (it queues for it); the worker stops before the
 * kprobes are removed: it calls into probed functions. Takeover goes first
 * of the mechanisms: redirected kernel calls run the collapse engine.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <linux/utsname.h>

#include "autoscan.h"
#include "chardev.h"
#include "debugfs.h"
#include "khugepaged_retry.h"
#include "ksyms.h"
#include "queue_hooks.h"
#include "takeover.h"
#include "thp_uprobe.h"

static int __init thp_retry_module_init(void)
{
	int ret;

	ret = thp_ksyms_init();
	if (ret)
		return ret;
	ret = thp_retry_init();
	if (ret)
		return ret;
	ret = thp_autoscan_init();
	if (ret)
		goto out_retry;
	ret = thp_uprobe_init();
	if (ret)
		goto out_autoscan;
	ret = thp_queue_hooks_init();
	if (ret)
		goto out_uprobe;
	ret = thp_takeover_init();
	if (ret)
		goto out_hooks;
	ret = thp_debugfs_init();
	if (ret)
		goto out_takeover;
	ret = thp_chardev_init();
	if (ret)
		goto out_debugfs;
	pr_info("loaded on %s\n", init_utsname()->release);
	return 0;

out_debugfs:
	thp_debugfs_exit();
out_takeover:
	thp_takeover_exit();
out_hooks:
	thp_queue_hooks_exit();
out_uprobe:
	thp_uprobe_exit();
out_autoscan:
	thp_autoscan_exit();
out_retry:
	thp_retry_exit();
	return ret;
}

static void __exit thp_retry_module_exit(void)
{
	thp_chardev_exit();
	thp_debugfs_exit();
	thp_takeover_exit();
	thp_autoscan_exit();
	thp_retry_stop_worker();
	thp_queue_hooks_exit();
	thp_uprobe_exit();
	thp_retry_exit();
	pr_info("unloaded\n");
}

module_init(thp_retry_module_init);
module_exit(thp_retry_module_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Map pte-mapped transparent huge pages by one PMD again");
MODULE_AUTHOR("thp_retry developers");
