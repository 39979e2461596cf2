// SPDX-License-Identifier: GPL-2.0
/*
 * results.c - the name and the errno of every result (results_list.h).
 */
#include <linux/errno.h>

#include "results.h"

static const struct {
	const char *name;
	int err;
} thp_results[THP_NR_RESULTS] = {
#define THP_RESULT(id, nm, errno_val) \
	[THP_##id] = { .name = nm, .err = errno_val },
#include "results_list.h"
#undef THP_RESULT
};

/**
 * thp_result_name() - the name of a result, as debugfs shows it
 * @r: the result
 *
 * Return: a static string.
 */
const char *thp_result_name(enum thp_result r)
{
	return r < THP_NR_RESULTS ? thp_results[r].name : "?";
}

/**
 * thp_result_errno() - the errno a write returns for a result
 * @r: the result
 *
 * Return: 0 for success, else a positive errno.
 */
int thp_result_errno(enum thp_result r)
{
	return r < THP_NR_RESULTS ? thp_results[r].err : EINVAL;
}
