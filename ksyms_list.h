/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ksyms_list.h - the one table of kernel symbols thp_retry looks up.
 *
 * THP_KSYM(name, flags, feature), included several times with different
 * definitions of THP_KSYM (ksyms.h makes an enum of it, ksyms.c the table).
 *
 * flags:   KS_REQ  required: a missing one fails insmod with -ENOENT
 *          KS_CALL the module calls it through a pointer (IBT-checked);
 *                  otherwise only its address is used (a kprobe target)
 * feature: the feature that cannot work without it (enum thp_feature)
 *
 * None of these is exported to modules on the Debian 6.1/6.12 kernels
 * (checked against their Module.symvers).
 */
/* CORE: permission checks for every PID:ADDR request. */
THP_KSYM(ptrace_may_access,			KS_REQ | KS_CALL, FEAT_CORE)
/* NATIVE: the module's own collapse engine. */
THP_KSYM(pmdp_collapse_flush,			KS_REQ | KS_CALL, FEAT_NATIVE)
THP_KSYM(__mmu_notifier_invalidate_range_start,	KS_REQ | KS_CALL, FEAT_NATIVE)
THP_KSYM(__mmu_notifier_invalidate_range_end,	KS_REQ | KS_CALL, FEAT_NATIVE)
THP_KSYM(mm_trace_rss_stat,			KS_REQ | KS_CALL, FEAT_NATIVE)
THP_KSYM(do_set_pmd,				KS_REQ | KS_CALL, FEAT_NATIVE)
/* one TLB flush for a range request's retracted tables (compat.h) */
THP_KSYM(tlb_gather_mmu,			KS_REQ | KS_CALL, FEAT_NATIVE)
THP_KSYM(tlb_finish_mmu,			KS_REQ | KS_CALL, FEAT_NATIVE)
#if !defined(THP_HAVE_PTE_FREE_DEFER) && defined(CONFIG_MMU_GATHER_RCU_TABLE_FREE)
THP_KSYM(tlb_remove_table_sync_one,		KS_REQ | KS_CALL, FEAT_NATIVE)
#endif
#ifdef THP_HAVE_FOLIO_REMOVE_RMAP_PTES
THP_KSYM(folio_remove_rmap_ptes,		KS_REQ | KS_CALL, FEAT_NATIVE)
#endif
#ifdef THP_HAVE_PTE_FREE_DEFER
THP_KSYM(pte_free_defer,			KS_REQ | KS_CALL, FEAT_NATIVE)
#endif
#if defined(THP_HAVE_PTE_OFFSET_MAP_RW_NOLOCK)
THP_KSYM(pte_offset_map_rw_nolock,		KS_REQ | KS_CALL, FEAT_NATIVE)
#elif defined(THP_HAVE_PTE_OFFSET_MAP_FAILABLE)
THP_KSYM(pte_offset_map_nolock,			KS_REQ | KS_CALL, FEAT_NATIVE)
#endif
/* ANON: in-place collapse of anonymous THPs (collapse_anon.c). */
THP_KSYM(pgtable_trans_huge_deposit,		KS_CALL, FEAT_ANON)
THP_KSYM(maybe_pmd_mkwrite,			KS_CALL, FEAT_ANON)
#ifdef THP_HAVE_FOLIO_ADD_ANON_RMAP_PMD
THP_KSYM(folio_add_anon_rmap_pmd,		KS_CALL, FEAT_ANON)
#else
THP_KSYM(page_add_anon_rmap,			KS_CALL, FEAT_ANON)
#endif
#if defined(THP_HAVE_PTE_FREE_DEFER) && defined(CONFIG_MMU_GATHER_RCU_TABLE_FREE)
THP_KSYM(tlb_remove_table_sync_one,		KS_CALL, FEAT_ANON)
#endif
/* SPLIT: FOLL_SPLIT_PMD semantics (foll_split_pmd.c). */
THP_KSYM(__split_huge_pmd,			KS_REQ | KS_CALL, FEAT_SPLIT)
THP_KSYM(__pte_alloc,				KS_REQ | KS_CALL, FEAT_SPLIT)
/* KERNEL: the reference engine delegates to the running kernel. */
THP_KSYM(collapse_pte_mapped_thp,		KS_CALL, FEAT_KERNEL)
/*
 * AUTOSCAN: the kernel's THP settings, read (data, never called); without
 * them (no CONFIG_KALLSYMS_ALL) thp_settings.c reads sysfs instead.
 */
THP_KSYM(transparent_hugepage_flags,		KS_SOFT, FEAT_AUTOSCAN)
#ifdef THP_HAVE_HUGE_ANON_ORDERS
THP_KSYM(huge_anon_orders_always,		KS_SOFT, FEAT_AUTOSCAN)
THP_KSYM(huge_anon_orders_madvise,		KS_SOFT, FEAT_AUTOSCAN)
THP_KSYM(huge_anon_orders_inherit,		KS_SOFT, FEAT_AUTOSCAN)
#endif
/* Hooks: kprobe targets only, never called. */
/* TAKEOVER: khugepaged's anonymous collapse, redirected (takeover.c) */
THP_KSYM(collapse_huge_page,			0, FEAT_TAKEOVER)
#ifdef THP_HAVE_PAGE_REMOVE_RMAP
THP_KSYM(khugepaged_add_pte_mapped_thp,		0, FEAT_HOOK_KHUGEPAGED)
#endif
#ifdef THP_HAVE_UPROBE_WRITE
THP_KSYM(uprobe_write,				0, FEAT_HOOK_UPROBE)
#else
THP_KSYM(uprobe_write_opcode,			0, FEAT_HOOK_UPROBE)
#endif
#ifdef THP_HAVE_COLLAPSE_PTE_MAPPED_VOID
THP_KSYM(try_collapse_pte_mapped_thp,		0, FEAT_HOOK_UPROBE)
#endif
THP_KSYM(uprobe_munmap,				0, FEAT_HOOK_UPROBE)
THP_KSYM(uprobe_clear_state,			0, FEAT_HOOK_UPROBE)
