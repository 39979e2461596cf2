/* SPDX-License-Identifier: GPL-2.0 */
/*
 * takeover.h - khugepaged's anonymous collapses done in place (takeover.c).
 */
#ifndef THP_TAKEOVER_H
#define THP_TAKEOVER_H

int thp_takeover_init(void);
void thp_takeover_exit(void);

#endif /* THP_TAKEOVER_H */
