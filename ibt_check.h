/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ibt_check.h - may a looked-up function be called through a pointer?
 *
 * On x86_64 kernels built with CONFIG_X86_KERNEL_IBT, an indirect call must
 * land on an ENDBR64 instruction or the CPU raises #CP. At boot the kernel
 * "seals" every function whose address is never taken: it overwrites the
 * ENDBR64 with a 4-byte NOP (the poison). Static functions never had one.
 * Under QEMU TCG nothing is sealed, so a VM run cannot show the problem: this
 * decision is kept free of kernel headers so that a host unit test
 * (selftests/ibt_check_test.c) can feed it the byte patterns real hardware
 * produces.
 *
 * The includer provides u8/u32 types (the kernel does; the unit test
 * typedefs them).
 */
#ifndef THP_IBT_CHECK_H
#define THP_IBT_CHECK_H

/*
 * Instruction words as little-endian u32 loads of a function's first bytes.
 * ENDBR64 is not written as one literal so that the compiled module does not
 * carry a stray ENDBR64 byte sequence inside an instruction immediate (the
 * kernel's gen_endbr() avoids it the same way).
 */
#define THP_ENDBR64_INV		0x05e1f00cU	/* ~0xfa1e0ff3: f3 0f 1e fa */
#define THP_ENDBR32_BIT		0x01000000U	/* f3 0f 1e fb */
#define THP_ENDBR_POISON_612	0x001f0f66U	/* 6.2+: osp nopl (%rax) */
#define THP_ENDBR_POISON_61	0xd6401f0fU	/* 6.1: nopl -42(%rax) */

/**
 * enum thp_ibt_verdict - what the first instruction says about a call target
 * @THP_IBT_CALLABLE: ENDBR64, or IBT is not built in: a pointer call is fine
 * @THP_IBT_SEALED: the kernel poisoned the ENDBR64: the function is sealed
 * @THP_IBT_NO_ENDBR: no landing pad at all (static or __noendbr function)
 */
enum thp_ibt_verdict {
	THP_IBT_CALLABLE,
	THP_IBT_SEALED,
	THP_IBT_NO_ENDBR,
};

/**
 * thp_ibt_verdict() - decide whether a function may be called indirectly
 * @ibt: the kernel was built with CONFIG_X86_KERNEL_IBT
 * @insn: the function's first four bytes, loaded as a little-endian u32
 * @endbr64: the ENDBR64 instruction word (gen_endbr() in the kernel)
 *
 * Return: THP_IBT_CALLABLE only when an indirect call cannot fault.
 */
static inline enum thp_ibt_verdict thp_ibt_verdict(int ibt, u32 insn, u32 endbr64)
{
	if (!ibt)
		return THP_IBT_CALLABLE;
	if (insn == endbr64)
		return THP_IBT_CALLABLE;
	if (insn == THP_ENDBR_POISON_612 || insn == THP_ENDBR_POISON_61)
		return THP_IBT_SEALED;
	/* ENDBR32 is no landing pad for a 64-bit indirect call either. */
	return THP_IBT_NO_ENDBR;
}

/**
 * thp_ibt_verdict_name() - short name of a verdict, for logs and debugfs
 * @v: the verdict
 *
 * Return: a static string.
 */
static inline const char *thp_ibt_verdict_name(enum thp_ibt_verdict v)
{
	switch (v) {
	case THP_IBT_CALLABLE:
		return "callable";
	case THP_IBT_SEALED:
		return "sealed";
	case THP_IBT_NO_ENDBR:
		return "no-endbr";
	}
	return "?";
}

#endif /* THP_IBT_CHECK_H */
