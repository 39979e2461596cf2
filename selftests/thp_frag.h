/* SPDX-License-Identifier: GPL-2.0 */
/*
 * thp_frag.h - guest memory fragmented so that no free PMD-sized block is
 * left, for the benchmarks that compare the in-place collapse with the
 * kernel's copying one (thp_anon_bench, thp_churn_bench).
 */
#ifndef THP_FRAG_H
#define THP_FRAG_H

#include <stddef.h>

#define THP_FRAG_MAX_HOGS	1024

/**
 * struct thp_frag - what thp_frag_start() holds until thp_frag_stop()
 * @locked: the region locked in small pages, NULL if none could be made
 * @len: its size
 * @hogs: PMD-sized THPs taken from what was still free, mlocked
 * @nhogs: how many
 * @pmd: the PMD size
 * @unevictable: vm.compact_unevictable_allowed as found ("" if unread)
 */
struct thp_frag {
	char *locked;
	size_t len;
	char *hogs[THP_FRAG_MAX_HOGS];
	int nhogs;
	size_t pmd;
	char unevictable[16];
};

long long thp_mem_free(void);
long thp_free_pmd_blocks(void);
void thp_frag_start(struct thp_frag *f, size_t pmd);
void thp_frag_stop(struct thp_frag *f);

#endif /* THP_FRAG_H */
