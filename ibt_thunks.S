/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ibt_thunks.S - IBT-safe calls into looked-up kernel functions (x86_64).
 *
 * With CONFIG_X86_KERNEL_IBT the kernel seals, at boot, every function whose
 * address is never taken: its ENDBR64 becomes a 4-byte NOP. An indirect
 * CALL/JMP to such a function raises #CP on CPUs with IBT (QEMU TCG does not
 * emulate it, so a VM run never shows the crash). Nearly all the non-exported
 * functions thp_retry needs are sealed.
 *
 * IBT tracks only indirect CALL and JMP. RET is not checked (the kernel runs
 * without a shadow stack). So for each symbol of ksyms_list.h this file emits
 * a stub that the C code calls *directly*:
 *
 *	thp_kcall_NAME:
 *		pushq	thp_ksym_addr + 8 * KSYM_NAME(%rip)
 *		ret
 *
 * The RET pops the target and lands on it with the stack exactly as the
 * direct call left it: the arguments (registers and stack) are untouched and
 * the target returns straight to our caller. A sealed ENDBR is a NOP, so
 * entering at the symbol address is fine. The RET mispredicts once (the
 * return stack buffer expects our caller); these calls are not hot.
 *
 * The RET is deliberately bare (ANNOTATE_UNRET_SAFE): the return thunk of a
 * RETHUNK build would work too, but its call-depth accounting expects a real
 * return. UNWIND_HINT_FUNC tells objtool what is true after the push: the
 * top of the stack is a return address, as at any function's entry.
 */
#include <linux/linkage.h>
#include <asm/nospec-branch.h>
#include <asm/unwind_hints.h>
#include "compat_probe.h"
#include "ksyms_asm.h"

.set thp_ksym_idx, 0

#define THP_KSYM(name, flags, feat)				\
SYM_FUNC_START(thp_kcall_##name);				\
	pushq	thp_ksym_addr + 8 * thp_ksym_idx(%rip);		\
	UNWIND_HINT_FUNC;					\
	ANNOTATE_UNRET_SAFE;					\
	ret;							\
	int3;							\
SYM_FUNC_END(thp_kcall_##name);				\
.set thp_ksym_idx, thp_ksym_idx + 1;

	.text
#include "ksyms_list.h"

/* kallsyms_lookup_name() itself is sealed on the Debian 6.12 kernel. */
SYM_FUNC_START(thp_kcall_kallsyms_lookup_name)
	pushq	thp_kln_addr(%rip)
	UNWIND_HINT_FUNC
	ANNOTATE_UNRET_SAFE
	ret
	int3
SYM_FUNC_END(thp_kcall_kallsyms_lookup_name)
