// SPDX-License-Identifier: GPL-2.0
/*
 * foll_split_pmd.c - FOLL_SPLIT_PMD: turn the PMD mapping of a THP into a
 * PTE mapping of the same THP, leaving the compound page whole and in the
 * page cache (upstream: follow_pmd_mask() with FOLL_SPLIT_PMD, which uprobes
 * use before writing a breakpoint).
 *
 * The mechanism lands with its issue; until then this file only takes its
 * place in the module's init and exit sequence.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "thp_retry.h"

/**
 * thp_split_init() - set up foll_split_pmd
 *
 * Return: 0 or a negative errno.
 */
int thp_split_init(void)
{
	return 0;
}

/**
 * thp_split_exit() - tear down foll_split_pmd
 */
void thp_split_exit(void)
{
}
