// SPDX-License-Identifier: GPL-2.0
/*
 * ibt_check_test - unit test of the IBT call gate (../ibt_check.h).
 *
 * No IBT hardware needed and no kernel: the gate is fed the first
 * instruction words that real x86_64 kernels carry at a function's start,
 * as the CPU would see them (little-endian loads of the bytes).
 */
#include <stdint.h>
#include <string.h>

typedef uint8_t u8;
typedef uint32_t u32;

#include "../ibt_check.h"
#include "kselftest_harness.h"

static u32 word(const unsigned char b[4])
{
	u32 w;

	memcpy(&w, b, 4);
	return w;	/* x86 and arm64 hosts are little-endian */
}

static const unsigned char endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
static const unsigned char endbr32[4] = { 0xf3, 0x0f, 0x1e, 0xfb };
static const unsigned char poison612[4] = { 0x66, 0x0f, 0x1f, 0x00 };	/* osp nopl (%rax) */
static const unsigned char poison61[4] = { 0x0f, 0x1f, 0x40, 0xd6 };	/* nopl -42(%rax) */
static const unsigned char push_rbp[4] = { 0x55, 0x48, 0x89, 0xe5 };	/* static fn, no ENDBR */
static const unsigned char int3s[4] = { 0xcc, 0xcc, 0xcc, 0xcc };	/* kprobe int3 + padding */

#define ENDBR64 (~THP_ENDBR64_INV)

TEST(endbr64_constant_matches_bytes)
{
	EXPECT_EQ(word(endbr64), ENDBR64);
}

TEST(endbr64_is_callable)
{
	EXPECT_EQ(THP_IBT_CALLABLE, thp_ibt_verdict(1, word(endbr64), ENDBR64));
}

TEST(sealed_functions_are_refused)
{
	EXPECT_EQ(THP_IBT_SEALED, thp_ibt_verdict(1, word(poison612), ENDBR64));
	EXPECT_EQ(THP_IBT_SEALED, thp_ibt_verdict(1, word(poison61), ENDBR64));
}

TEST(functions_without_landing_pad_are_refused)
{
	EXPECT_EQ(THP_IBT_NO_ENDBR, thp_ibt_verdict(1, word(push_rbp), ENDBR64));
	EXPECT_EQ(THP_IBT_NO_ENDBR, thp_ibt_verdict(1, word(endbr32), ENDBR64));
	EXPECT_EQ(THP_IBT_NO_ENDBR, thp_ibt_verdict(1, word(int3s), ENDBR64));
	EXPECT_EQ(THP_IBT_NO_ENDBR, thp_ibt_verdict(1, 0, ENDBR64));
}

TEST(without_ibt_everything_is_callable)
{
	EXPECT_EQ(THP_IBT_CALLABLE, thp_ibt_verdict(0, word(poison612), 0));
	EXPECT_EQ(THP_IBT_CALLABLE, thp_ibt_verdict(0, word(push_rbp), 0));
}

TEST(verdict_names)
{
	EXPECT_STREQ("callable", thp_ibt_verdict_name(THP_IBT_CALLABLE));
	EXPECT_STREQ("sealed", thp_ibt_verdict_name(THP_IBT_SEALED));
	EXPECT_STREQ("no-endbr", thp_ibt_verdict_name(THP_IBT_NO_ENDBR));
}

TEST_HARNESS_MAIN
