/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ksyms.h - non-exported kernel symbols, resolved once at module load.
 *
 * Every symbol lives in ksyms_list.h. Call one through thp_ksym_fn(name),
 * which is typed from the kernel's own declaration; it may only be used once
 * thp_feature_enabled() said yes for the symbol's feature, which guarantees
 * the symbol was found and passed the IBT check.
 */
#ifndef THP_KSYMS_H
#define THP_KSYMS_H

#include <linux/types.h>
#include <linux/seq_file.h>
#include "compat_probe.h"

#if defined(CONFIG_X86_KERNEL_IBT)
#include <asm/ibt.h>
/* x86 with IBT: indirect calls must land on ENDBR64 (Debian 6.12 amd64). */
#define THP_IBT_BUILT_IN	1
static inline u32 thp_endbr64_insn(void)
{
	return gen_endbr();
}
#else
#define THP_IBT_BUILT_IN	0
static inline u32 thp_endbr64_insn(void)
{
	return 0;
}
#endif

/**
 * enum thp_feature - what a group of symbols makes possible
 * @FEAT_CORE: PID:ADDR requests at all (permission checks)
 * @FEAT_NATIVE: the native collapse engine
 * @FEAT_SPLIT: the split (FOLL_SPLIT_PMD) path
 * @FEAT_KERNEL: the kernel collapse engine
 * @FEAT_HOOK_KHUGEPAGED: the 6.1 khugepaged retry-list hook
 * @FEAT_HOOK_UPROBE: the uprobe write-path hook
 * @FEAT_ANON: in-place collapse of anonymous THPs (native engine)
 * @FEAT_AUTOSCAN: the background scan (reads the kernel's THP settings)
 * @FEAT_TAKEOVER: khugepaged's and MADV_COLLAPSE's anonymous collapses done in place
 * @THP_NR_FEATURES: number of features
 */
enum thp_feature {
	FEAT_CORE,
	FEAT_NATIVE,
	FEAT_SPLIT,
	FEAT_KERNEL,
	FEAT_HOOK_KHUGEPAGED,
	FEAT_HOOK_UPROBE,
	FEAT_ANON,
	FEAT_AUTOSCAN,
	FEAT_TAKEOVER,
	THP_NR_FEATURES,
};

#include "ksyms_asm.h"

/* KSYM_<name>: index of a symbol in the table. */
#define THP_KSYM_ID(name, ...) KSYM_##name,
enum thp_ksym_id {
#define THP_KSYM THP_KSYM_ID
#include "ksyms_list.h"
#undef THP_KSYM
	THP_NR_KSYMS,
};

extern unsigned long thp_ksym_addr[THP_NR_KSYMS];
extern unsigned long thp_kln_addr;

/*
 * thp_ksym_fn(name) - a looked-up function, with the kernel's own prototype.
 *
 * With IBT built in, this is the direct-called stub of ibt_thunks.S, which
 * reaches the function through RET: safe whether or not the function kept
 * its ENDBR64. Otherwise it is the looked-up pointer.
 */
#if THP_IBT_BUILT_IN
#define thp_ksym_fn(name) ({ extern typeof(name) thp_kcall_##name; &thp_kcall_##name; })
#else
#define thp_ksym_fn(name) ((typeof(name) *)thp_ksym_addr[KSYM_##name])
#endif

int thp_ksyms_init(void);
bool thp_feature_enabled(enum thp_feature feat);
int thp_ksyms_show(struct seq_file *m, void *v);
int thp_features_show(struct seq_file *m, void *v);

#endif /* THP_KSYMS_H */
