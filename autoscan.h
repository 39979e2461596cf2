/* SPDX-License-Identifier: GPL-2.0 */
/*
 * autoscan.h - the background scan of every process (autoscan.c).
 */
#ifndef THP_AUTOSCAN_H
#define THP_AUTOSCAN_H

int thp_autoscan_init(void);
void thp_autoscan_exit(void);

#endif /* THP_AUTOSCAN_H */
