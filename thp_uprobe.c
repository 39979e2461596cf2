// SPDX-License-Identifier: GPL-2.0
/*
 * thp_uprobe.c - THP-aware uprobes: follow breakpoints installed into
 * THP-backed text and make sure the range is PMD-mapped again once the last
 * one is removed (upstream: uprobe_write_opcode() and its
 * collapse_pte_mapped_thp() call).
 *
 * The mechanism lands with its issue; until then this file only takes its
 * place in the module's init and exit sequence.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "thp_retry.h"

/**
 * thp_uprobe_init() - set up thp_uprobe
 *
 * Return: 0 or a negative errno.
 */
int thp_uprobe_init(void)
{
	return 0;
}

/**
 * thp_uprobe_exit() - tear down thp_uprobe
 */
void thp_uprobe_exit(void)
{
}
