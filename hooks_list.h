/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hooks_list.h - every kprobe and kretprobe of the module, in the order
 * they are registered:
 * THP_HOOK(id, function, type, group, applies, feature, first)
 *
 * type:    KPROBE or KRETPROBE
 * group:   UPROBE: thp_uprobe.c's, installed all or none (uprobe_hooks=);
 *          TAKEOVER: takeover.c's, installed and removed by takeover=;
 *          QUEUE: queue_hooks.c's, each on its own (queue_hooks=), the
 *          ones debugfs "hooks" lists. UPROBE rows go in before QUEUE rows
 *          and come out after them (main.c), so the QUEUE collapse hook can
 *          ask thp_uprobe.c whether a collapse is its.
 * function: a name, or a compat.h macro naming the kernel's function
 *          (THP_COLLAPSE_PTE_MAPPED_FN, THP_UPROBE_WRITE_FN)
 * applies: does this kernel have the function (compile time, compat.h)
 * feature: the feature (ksyms.h) without which the row is not installed;
 *          THP_NO_FEATURE: none
 * first:   removed before the other rows of its group, which go in reverse
 *          order: UP_COLLAPSE's handler writes into an UP_WRITE call's data
 *
 * The handlers belong to the group's owner, which hands them to
 * thp_hooks_install(); hooks.c only registers, removes and shows.
 */
THP_HOOK(UP_CLEAR_STATE,  uprobe_clear_state,            KPROBE,    UPROBE, 1,
	 FEAT_HOOK_UPROBE, 0)
THP_HOOK(UP_MUNMAP,       uprobe_munmap,                 KPROBE,    UPROBE, 1,
	 FEAT_HOOK_UPROBE, 0)
THP_HOOK(UP_COLLAPSE,     THP_COLLAPSE_PTE_MAPPED_FN,    KRETPROBE, UPROBE, 1,
	 FEAT_HOOK_UPROBE, 1)
THP_HOOK(UP_WRITE,        THP_UPROBE_WRITE_FN,           KRETPROBE, UPROBE, 1,
	 FEAT_HOOK_UPROBE, 0)
THP_HOOK(KHUGEPAGED_ADD,  khugepaged_add_pte_mapped_thp, KPROBE,    QUEUE,
	 THP_HAVE_KHUGEPAGED_ADD_PTE_MAPPED_THP, FEAT_HOOK_KHUGEPAGED, 0)
THP_HOOK(COLLAPSE_FAILED, THP_COLLAPSE_PTE_MAPPED_FN,    KRETPROBE, QUEUE,  1,
	 THP_NO_FEATURE, 0)
THP_HOOK(TAKEOVER,        collapse_huge_page,            KPROBE,    TAKEOVER, 1,
	 FEAT_TAKEOVER, 0)
