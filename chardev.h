/* SPDX-License-Identifier: GPL-2.0 */
/*
 * chardev.h - /dev/thp_retry (chardev.c).
 */
#ifndef THP_CHARDEV_H
#define THP_CHARDEV_H

int thp_chardev_init(void);
void thp_chardev_exit(void);

#endif /* THP_CHARDEV_H */
