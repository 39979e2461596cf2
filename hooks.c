// SPDX-License-Identifier: GPL-2.0
/*
 * hooks.c - the module's one table of kprobes and kretprobes.
 *
 * Every probe the module places is a row of hooks_list.h: the function, the
 * probe type, the group that owns it, whether this kernel has it, and the
 * removal order. An owner installs its group with its handlers and removes
 * it; this file registers, unregisters and shows, and knows no handler.
 * A row's state is its err: 0 installed, -EPERM left off by a parameter,
 * -ENOENT not on this kernel, -ENODEV not installed (yet, or any more),
 * else what register_k(ret)probe() said.
 *
 * Context: module init and exit (they sleep), and debugfs reads.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/seq_file.h>
#include <linux/string.h>

#include "compat.h"
#include "hooks.h"
#include "ksyms.h"

/* hooks_list.h's "feature" of a row that needs none */
#define THP_NO_FEATURE	0xff

enum thp_hook_type {
	THP_KPROBE,
	THP_KRETPROBE,
};

/**
 * struct thp_hook - one row of the table
 * @symbol: the probed kernel function
 * @type: which of @kp and @krp is the probe
 * @group: its owner
 * @applies: this kernel has the function
 * @feature: the feature it needs (enum thp_feature)
 * @first: removed before the rest of its group
 * @err: the row's state (see the top of the file)
 * @kp: the kprobe, for THP_KPROBE
 * @krp: the kretprobe, for THP_KRETPROBE
 */
struct thp_hook {
	const char *symbol;
	u8 type;
	u8 group;
	bool applies;
	bool first;
	u8 feature;
	int err;
	union {
		struct kprobe kp;
		struct kretprobe krp;
	};
};

static struct thp_hook thp_hooks[THP_NR_HOOKS] = {
/* two levels, so that a compat.h macro in the function column expands first */
#define THP_HOOK_ROW(id, fn, ty, gr, ap, feat, fi) \
	[THP_HOOK_##id] = { .symbol = #fn, .type = THP_##ty, .group = THP_HOOKS_##gr, \
			    .applies = (ap), .feature = (feat), .first = (fi), .err = -ENODEV },
#define THP_HOOK(...) THP_HOOK_ROW(__VA_ARGS__)
#include "hooks_list.h"
#undef THP_HOOK
#undef THP_HOOK_ROW
};

/* The struct kprobe of a row (a kretprobe's own). */
static struct kprobe *thp_hook_kp(struct thp_hook *h)
{
	return h->type == THP_KRETPROBE ? &h->krp.kp : &h->kp;
}

static int thp_hook_register(struct thp_hook *h, const struct thp_hook_ops *ops)
{
	if (h->type == THP_KRETPROBE) {
		memset(&h->krp, 0, sizeof(h->krp));
		h->krp.kp.symbol_name = h->symbol;
		h->krp.entry_handler = ops->entry;
		h->krp.handler = ops->ret;
		h->krp.data_size = ops->data_size;
		h->krp.maxactive = ops->maxactive;
		return register_kretprobe(&h->krp);
	}
	memset(&h->kp, 0, sizeof(h->kp));
	h->kp.symbol_name = h->symbol;
	h->kp.pre_handler = ops->pre;
	h->kp.post_handler = ops->post;
	return register_kprobe(&h->kp);
}

/* Unregister an installed row; waits for its running handlers. */
static void thp_hook_unregister(struct thp_hook *h)
{
	if (h->err)
		return;
	if (h->type == THP_KRETPROBE)
		unregister_kretprobe(&h->krp);
	else
		unregister_kprobe(&h->kp);
	h->err = -ENODEV;
}

/**
 * thp_hooks_install() - install the hooks of one group, in table order
 * @group: the owner's group
 * @ops: the owner's handlers, indexed by enum thp_hook_id
 * @enabled: false: every row is left off (-EPERM)
 * @all_or_none: a row that fails removes the group's installed rows again
 *
 * A row that does not apply to this kernel, or whose feature is off (a
 * symbol it needs is missing), is -ENOENT without a try. Other
 * failures are logged (without @all_or_none) or returned.
 *
 * Context: module init, or the owner's parameter write (the owner
 * serializes its own group); sleeps.
 * Return: 0, or the first error with @all_or_none (nothing left installed).
 */
int thp_hooks_install(enum thp_hook_group group, const struct thp_hook_ops ops[THP_NR_HOOKS],
		      bool enabled, bool all_or_none)
{
	int i;

	for (i = 0; i < THP_NR_HOOKS; i++) {
		struct thp_hook *h = &thp_hooks[i];

		if (h->group != group)
			continue;
		if (!enabled)
			h->err = -EPERM;
		else if (!h->applies ||
			 (h->feature != THP_NO_FEATURE && !thp_feature_enabled(h->feature)))
			h->err = -ENOENT;
		else
			h->err = thp_hook_register(h, &ops[i]);
		if (!h->err || h->err == -EPERM)
			continue;
		if (all_or_none) {
			int err = h->err;

			thp_hooks_remove(group);
			return err;
		}
		if (h->err != -ENOENT || h->applies)
			pr_info("hook on %s not installed (%d)\n", h->symbol, h->err);
	}
	return 0;
}

/**
 * thp_hooks_remove() - remove the installed hooks of one group
 * @group: the owner's group
 *
 * The group's "first" rows go first, then the others in reverse table
 * order. unregister_k(ret)probe() waits for handlers still running.
 *
 * Context: module exit, a failed install, or the owner's parameter write;
 * sleeps.
 */
void thp_hooks_remove(enum thp_hook_group group)
{
	int i;

	for (i = 0; i < THP_NR_HOOKS; i++)
		if (thp_hooks[i].group == group && thp_hooks[i].first)
			thp_hook_unregister(&thp_hooks[i]);
	for (i = THP_NR_HOOKS - 1; i >= 0; i--)
		if (thp_hooks[i].group == group)
			thp_hook_unregister(&thp_hooks[i]);
}

/**
 * thp_hooks_show() - debugfs "hooks": the queue's hooks
 * @m: seq_file
 * @v: unused
 *
 * One line per QUEUE row: "NAME installed nmissed N", "NAME off"
 * (queue_hooks=0) or "NAME error ERR" (-2: not on this kernel).
 *
 * Return: 0.
 */
int thp_hooks_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < THP_NR_HOOKS; i++) {
		struct thp_hook *h = &thp_hooks[i];

		if (h->group != THP_HOOKS_QUEUE)
			continue;
		if (!h->err)
			seq_printf(m, "%s installed nmissed %lu\n", h->symbol,
				   thp_hook_kp(h)->nmissed);
		else if (h->err == -EPERM)
			seq_printf(m, "%s off\n", h->symbol);
		else
			seq_printf(m, "%s error %d\n", h->symbol, h->err);
	}
	return 0;
}
