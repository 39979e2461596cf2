/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - every difference between the kernels thp_retry supports.
 *
 * Targets: Debian bookworm 6.1 LTS and 6.12 LTS, x86_64 and arm64. Code
 * outside this header uses only the THP_HAVE_* macros and the wrappers
 * defined here, never LINUX_VERSION_CODE.
 *
 * THP_HAVE_* macros come from compat_probe.h, which scripts/compat-probe.sh
 * writes at build time by looking at the headers being built against. A
 * version number is not enough: Debian's 6.12 point releases moved struct and
 * tracepoint layouts, and KERNEL_VERSION() clamps 6.1.192 to 6.1.255.
 */
#ifndef THP_COMPAT_H
#define THP_COMPAT_H

#include <linux/types.h>
#include "compat_probe.h"

#if defined(CONFIG_X86_KERNEL_IBT)
#include <asm/ibt.h>
/* x86 with IBT: indirect calls must land on ENDBR64. */
#define THP_IBT_BUILT_IN	1
static inline u32 thp_endbr64_insn(void)
{
	return gen_endbr();
}
#else
#define THP_IBT_BUILT_IN	0
static inline u32 thp_endbr64_insn(void)
{
	return 0;
}
#endif

#endif /* THP_COMPAT_H */
