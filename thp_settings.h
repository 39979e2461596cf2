/* SPDX-License-Identifier: GPL-2.0 */
/*
 * thp_settings.h - the kernel's THP "enabled" settings (thp_settings.c).
 */
#ifndef THP_SETTINGS_H
#define THP_SETTINGS_H

/**
 * enum thp_policy - a THP "enabled" setting
 * @THP_POLICY_NEVER: never
 * @THP_POLICY_MADVISE: only VM_HUGEPAGE (madvise(MADV_HUGEPAGE)) VMAs
 * @THP_POLICY_ALWAYS: always
 */
enum thp_policy {
	THP_POLICY_NEVER,
	THP_POLICY_MADVISE,
	THP_POLICY_ALWAYS,
};

void thp_settings_refresh(void);
enum thp_policy thp_settings_top(void);
enum thp_policy thp_settings_anon_pmd(void);

#endif /* THP_SETTINGS_H */
