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
 * a stub that the C code calls *directly*, and that reaches the target with
 * a return, built as the kernel's own retpoline (RETPOLINE in
 * arch/x86/lib/retpoline.S):
 *
 *	thp_kcall_NAME:
 *		movq	thp_ksym_addr + 8 * KSYM_NAME(%rip), %r11
 *		CALL_DEPTH_ACCOUNT	count the call below (call depth tracking)
 *		call	1f		push a return stack buffer (RSB) entry
 *		int3			for the return below to consume
 *	1:	movq	%r11, (%rsp)	(its speculation is trapped here)
 *		RET			through the return thunk
 *
 * The return lands on the target with the stack exactly as the direct call
 * left it (our caller's return address on top, stack arguments untouched;
 * %r11 is a scratch register no argument uses), and the target returns
 * straight to our caller. A sealed ENDBR is a NOP, so entering at the
 * symbol address is fine.
 *
 * Why this and not "push; ret": the RSB stays in step with the stack. The
 * inner CALL pushes the entry our return pops, so the target's own return
 * pops the entry of our caller's call, as after any direct call. A bare
 * push-and-ret pops our caller's entry instead, and every return above it
 * on the call chain then mispredicts from a shifted RSB.
 *
 * Mitigations, as for any return in the kernel:
 *  - RET is "jmp __x86_return_thunk" in a RETHUNK build: the retbleed
 *    untraining thunk or SRSO's safe return runs on it (a bare ret would
 *    bypass them: under SRSO a phantom CALL predicted at the MOV could
 *    plant an RSB entry). Module loading turns it back into a plain ret
 *    where no thunk is needed;
 *  - call depth tracking (retbleed=stuff) counts a call in the padding of
 *    its destination (SYM_FUNC_START emits the NOP padding, and module
 *    loading patches our callers' direct calls to run it) and a return in
 *    the return thunk. Our caller's call is counted at our padding, the
 *    inner call by CALL_DEPTH_ACCOUNT (it has no padding to count it), our
 *    return and the target's return by the thunk: two and two, in step
 *    with the RSB.
 */
#include <linux/linkage.h>
#include <asm/nospec-branch.h>
#include <asm/unwind_hints.h>
#include "compat_probe.h"
#include "ksyms_asm.h"

.set thp_ksym_idx, 0

/* Jump to the function whose address is at @slot, as a call would have. */
.macro THP_RET_TO slot
	movq	\slot(%rip), %r11
#ifdef THP_HAVE_CALL_DEPTH_ACCOUNT
	CALL_DEPTH_ACCOUNT
#endif
	ANNOTATE_INTRA_FUNCTION_CALL
	call	.Lthp_rop_\@
	int3
.Lthp_rop_\@:
	movq	%r11, (%rsp)
	UNWIND_HINT_FUNC
	RET
.endm

/* A stub for each symbol the module calls (KS_CALL), not for probe targets. */
/*
 * Every stub begins with ENDBR64: the C code only calls them directly, but a
 * stub must stay safe to reach through a pointer. SYM_FUNC_START() emits it
 * before 7.x; 7.x keeps it for SYM_TYPED_FUNC_START(), which would also add
 * a kCFI type the stubs cannot have.
 */
#ifdef THP_HAVE_SYM_FUNC_START_ENDBR
#define THP_STUB_START(name)	SYM_FUNC_START(name)
#else
#define THP_STUB_START(name)	SYM_FUNC_START(name); ENDBR
#endif

#define THP_KSYM(name, flags, feat)				\
.if ((flags) & KS_CALL);					\
THP_STUB_START(thp_kcall_##name);				\
	THP_RET_TO thp_ksym_addr+8*thp_ksym_idx;		\
SYM_FUNC_END(thp_kcall_##name);				\
.endif;								\
.set thp_ksym_idx, thp_ksym_idx + 1;

	.text
#include "ksyms_list.h"

/* kallsyms_lookup_name() itself is sealed on the Debian 6.12 kernel. */
THP_STUB_START(thp_kcall_kallsyms_lookup_name)
	THP_RET_TO thp_kln_addr
SYM_FUNC_END(thp_kcall_kallsyms_lookup_name)
