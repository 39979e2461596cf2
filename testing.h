/* SPDX-License-Identifier: GPL-2.0 */
/*
 * testing.h - fault injection for the selftests, in builds made with
 * THP_TESTING=y only (the VM runner's; a plain "make" leaves it out).
 */
#ifndef THP_TESTING_H
#define THP_TESTING_H

#include <linux/dcache.h>

#ifdef THP_TESTING
void thp_testing_debugfs_init(struct dentry *dir);
#else
static inline void thp_testing_debugfs_init(struct dentry *dir)
{
}
#endif

#endif /* THP_TESTING_H */
