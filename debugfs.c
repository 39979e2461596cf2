// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs.c - /sys/kernel/debug/thp_retry/, the module's user interface.
 *
 * The directory and the files every build has (ksyms, features) are made
 * here; each mechanism adds its own files under thp_debugfs_dir from its
 * init function. debugfs_remove_recursive() at unload waits for readers and
 * writers still inside a file operation (debugfs file removal is
 * synchronous), so no file outlives the module's data.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/seq_file.h>

#include "ksyms.h"
#include "thp_retry.h"

struct dentry *thp_debugfs_dir;

DEFINE_SHOW_ATTRIBUTE(thp_ksyms);
DEFINE_SHOW_ATTRIBUTE(thp_features);

/**
 * thp_debugfs_init() - create /sys/kernel/debug/thp_retry/
 *
 * Return: 0, or a negative errno when the directory cannot be made.
 */
int thp_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir(KBUILD_MODNAME, NULL);

	if (IS_ERR(dir)) {
		pr_err("cannot create debugfs directory: %ld\n", PTR_ERR(dir));
		return PTR_ERR(dir);
	}
	thp_debugfs_dir = dir;
	debugfs_create_file("ksyms", 0400, dir, NULL, &thp_ksyms_fops);
	debugfs_create_file("features", 0400, dir, NULL, &thp_features_fops);
	return 0;
}

/**
 * thp_debugfs_exit() - remove the directory and every file in it
 */
void thp_debugfs_exit(void)
{
	debugfs_remove_recursive(thp_debugfs_dir);
	thp_debugfs_dir = NULL;
}
