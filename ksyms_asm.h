/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ksyms_asm.h - the part of ksyms.h that assembly (ibt_thunks.S) can read:
 * the flag values used in ksyms_list.h.
 */
#ifndef THP_KSYMS_ASM_H
#define THP_KSYMS_ASM_H

#define KS_REQ	0x1
#define KS_CALL	0x2
/* missing is not a reason to disable the feature: its code has a fallback */
#define KS_SOFT	0x4

#endif /* THP_KSYMS_ASM_H */
