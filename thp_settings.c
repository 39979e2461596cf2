// SPDX-License-Identifier: GPL-2.0
/*
 * thp_settings.c - the kernel's THP "enabled" settings, as khugepaged reads
 * them, for autoscan: the top-level /sys/kernel/mm/transparent_hugepage/enabled
 * and (6.8+) the PMD size's hugepages-<size>kB/enabled.
 *
 * Read from the kernel's own variables (transparent_hugepage_flags, 6.8+
 * huge_anon_orders_*) when kallsyms has them. A kernel without
 * CONFIG_KALLSYMS_ALL (Debian's 6.1 arm64) has no data symbols there: the
 * same settings are then read as text from sysfs, looked up from PID 1's
 * root. thp_settings_refresh() takes a snapshot, once per autoscan round;
 * a setting changed in between counts from the next round.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/mm.h>		/* before huge_mm.h */
#include <linux/huge_mm.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/task.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "ksyms.h"
#include "thp_settings.h"

#define THP_SETTINGS_DIR	"/sys/kernel/mm/transparent_hugepage/"

static enum thp_policy thp_settings_top_now = THP_POLICY_NEVER;
static enum thp_policy thp_settings_anon_now = THP_POLICY_NEVER;

/* The value of @sym (an unsigned long the kernel keeps), or false if unknown. */
static bool thp_settings_sym(unsigned int sym, unsigned long *val)
{
	if (!thp_ksym_addr[sym])
		return false;
	*val = READ_ONCE(*(unsigned long *)thp_ksym_addr[sym]);
	return true;
}

/*
 * Open @path (absolute) from PID 1's root: a kthread's own root need not
 * hold /sys (7.x kthreads do not share init's fs_struct).
 */
static struct file *thp_settings_open(const char *path)
{
	struct task_struct *init;
	struct path root;
	struct file *f;

	rcu_read_lock();
	init = pid_task(find_pid_ns(1, &init_pid_ns), PIDTYPE_PID);
	if (init)
		get_task_struct(init);
	rcu_read_unlock();
	if (!init)
		return ERR_PTR(-ESRCH);
	task_lock(init);
	if (!init->fs) {
		task_unlock(init);
		put_task_struct(init);
		return ERR_PTR(-ESRCH);
	}
	get_fs_root(init->fs, &root);
	task_unlock(init);
	put_task_struct(init);
	f = file_open_root(&root, path, O_RDONLY, 0);
	path_put(&root);
	return f;
}

/*
 * The bracketed choice of a sysfs setting ("always [madvise] never"):
 * 0 never, 1 madvise, 2 always, 3 inherit; -errno when it cannot be read.
 */
static int thp_settings_read(const char *path)
{
	static const char * const names[] = { "[never]", "[madvise]", "[always]", "[inherit]" };
	struct file *f;
	loff_t pos = 0;
	ssize_t n;
	char *buf;
	int i, ret = -EINVAL;

	buf = kmalloc(128, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	f = thp_settings_open(path);
	if (IS_ERR(f)) {
		ret = PTR_ERR(f);
		goto out;
	}
	n = kernel_read(f, buf, 127, &pos);
	filp_close(f, NULL);
	if (n < 0) {
		ret = n;
		goto out;
	}
	buf[n] = '\0';
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (strstr(buf, names[i]))
			ret = i;
out:
	kfree(buf);
	return ret;
}

/* A sysfs setting; NEVER, with one message, when it cannot be read. */
static enum thp_policy thp_settings_read_policy(const char *path, bool *inherit)
{
	int v = thp_settings_read(path);

	*inherit = v == 3;
	if (v < 0)
		pr_warn_once("can't read %s (%d): autoscan takes THPs as disabled\n", path, v);
	return v == 1 ? THP_POLICY_MADVISE : v == 2 ? THP_POLICY_ALWAYS : THP_POLICY_NEVER;
}

static enum thp_policy thp_settings_top_read(void)
{
	unsigned long flags;
	bool inherit;

	if (!thp_settings_sym(KSYM_transparent_hugepage_flags, &flags))
		return thp_settings_read_policy(THP_SETTINGS_DIR "enabled", &inherit);
	if (flags & BIT(TRANSPARENT_HUGEPAGE_FLAG))
		return THP_POLICY_ALWAYS;
	if (flags & BIT(TRANSPARENT_HUGEPAGE_REQ_MADV_FLAG))
		return THP_POLICY_MADVISE;
	return THP_POLICY_NEVER;
}

/* 6.8+: hugepages-<PMD size>kB/enabled; before, the top-level setting. */
static enum thp_policy thp_settings_anon_read(enum thp_policy top)
{
#ifdef THP_HAVE_HUGE_ANON_ORDERS
	unsigned long always, madvise, inherit, bit = BIT(HPAGE_PMD_ORDER);
	char path[sizeof(THP_SETTINGS_DIR) + 32];
	enum thp_policy p;
	bool inh;

	if (thp_settings_sym(KSYM_huge_anon_orders_always, &always) &&
	    thp_settings_sym(KSYM_huge_anon_orders_madvise, &madvise) &&
	    thp_settings_sym(KSYM_huge_anon_orders_inherit, &inherit)) {
		if (always & bit)
			return THP_POLICY_ALWAYS;
		if (madvise & bit)
			return THP_POLICY_MADVISE;
		return inherit & bit ? top : THP_POLICY_NEVER;
	}
	snprintf(path, sizeof(path), THP_SETTINGS_DIR "hugepages-%lukB/enabled",
		 HPAGE_PMD_SIZE / SZ_1K);
	p = thp_settings_read_policy(path, &inh);
	return inh ? top : p;
#else
	return top;
#endif
}

/**
 * thp_settings_refresh() - take a snapshot of the kernel's THP settings
 *
 * Context: process context (autoscan's kthread), may sleep.
 */
void thp_settings_refresh(void)
{
	enum thp_policy top = thp_settings_top_read();

	WRITE_ONCE(thp_settings_top_now, top);
	WRITE_ONCE(thp_settings_anon_now, thp_settings_anon_read(top));
}

/**
 * thp_settings_top() - the top-level "enabled" at the last refresh
 *
 * Return: never, madvise or always.
 */
enum thp_policy thp_settings_top(void)
{
	return READ_ONCE(thp_settings_top_now);
}

/**
 * thp_settings_anon_pmd() - the PMD-size anonymous setting at the last refresh
 *
 * As thp_vma_allowable_orders() reads it: hugepages-<PMD size>kB/enabled on
 * 6.8+, where "inherit" is the top-level setting; the top-level one before.
 *
 * Return: never, madvise or always.
 */
enum thp_policy thp_settings_anon_pmd(void)
{
	return READ_ONCE(thp_settings_anon_now);
}
