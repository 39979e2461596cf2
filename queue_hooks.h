/* SPDX-License-Identifier: GPL-2.0 */
/*
 * queue_hooks.h - the kprobes that feed the retry queue (queue_hooks.c).
 */
#ifndef THP_QUEUE_HOOKS_H
#define THP_QUEUE_HOOKS_H

#include <linux/types.h>

int thp_queue_hooks_init(void);
void thp_queue_hooks_exit(void);
void thp_hooks_self(bool running);

#endif /* THP_QUEUE_HOOKS_H */
