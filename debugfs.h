/* SPDX-License-Identifier: GPL-2.0 */
/*
 * debugfs.h - /sys/kernel/debug/thp_retry/ (debugfs.c).
 */
#ifndef THP_DEBUGFS_H
#define THP_DEBUGFS_H

int thp_debugfs_init(void);
void thp_debugfs_exit(void);

#endif /* THP_DEBUGFS_H */
