// SPDX-License-Identifier: GPL-2.0
/*
 * khugepaged_retry.c - the pte-mapped THP retry queue and the collapse of a
 * pte-mapped THP back to one PMD (upstream: khugepaged_add_pte_mapped_thp(),
 * khugepaged_collapse_pte_mapped_thps() and collapse_pte_mapped_thp()).
 *
 * The mechanism lands with its issue; until then this file only takes its
 * place in the module's init and exit sequence.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "thp_retry.h"

/**
 * thp_retry_init() - set up khugepaged_retry
 *
 * Return: 0 or a negative errno.
 */
int thp_retry_init(void)
{
	return 0;
}

/**
 * thp_retry_exit() - tear down khugepaged_retry
 */
void thp_retry_exit(void)
{
}
