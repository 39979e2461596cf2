// SPDX-License-Identifier: GPL-2.0
/*
 * ksyms.c - resolve the symbol table of ksyms_list.h at module load.
 *
 * kallsyms_lookup_name() is not exported since 5.7. Its address is found by
 * registering (and at once unregistering) a kprobe on it. kprobes may place
 * the probe after an ENDBR64 (x86 IBT), so the function start is recovered
 * from sprint_symbol()'s "name+0xOFF/0xSIZE" rather than trusted from
 * kp.addr.
 *
 * On x86_64 kernels with CONFIG_X86_KERNEL_IBT a function is called through
 * a pointer only if it starts with ENDBR64 (ibt_check.h). The Debian 6.12
 * kernel seals nearly every function we need (even under QEMU, which does
 * not enforce IBT), so those are reached through the direct-called RET stubs
 * of ibt_thunks.S, a path IBT accepts. Where no such path exists (never on
 * our targets; ksym_test_sealed simulates it), a sealed or landing-pad-less
 * function is not called at all: the feature that needs it is disabled with
 * a log line.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/uaccess.h>
#include <linux/string.h>

#include "ksyms.h"
#include "ibt_check.h"

/*
 * Fault injection for the selftests, parameters only in a THP_TESTING=y
 * build (Documentation/interfaces.rst); elsewhere they stay NULL.
 */
static char *ksym_test_missing;
static char *ksym_test_sealed;
static char *ksym_test_hidden;
#ifdef THP_TESTING
module_param(ksym_test_missing, charp, 0400);
MODULE_PARM_DESC(ksym_test_missing,
		 "Testing: an extra required symbol to look up (a bogus name fails insmod)");
module_param(ksym_test_sealed, charp, 0400);
MODULE_PARM_DESC(ksym_test_sealed,
		 "Testing: treat this symbol as IBT-sealed (its feature is disabled)");
module_param(ksym_test_hidden, charp, 0400);
MODULE_PARM_DESC(ksym_test_hidden,
		 "Testing: treat these symbols (comma-separated) as not in kallsyms");
#endif

/* Is @name in ksym_test_hidden's comma-separated list? */
static bool thp_test_hidden(const char *name)
{
	const char *s = ksym_test_hidden;
	size_t len = strlen(name);

	while (s && *s) {
		if (!strncmp(s, name, len) && (s[len] == ',' || !s[len]))
			return true;
		s = strchr(s, ',');
		if (s)
			s++;
	}
	return false;
}

/**
 * enum thp_ksym_state - what resolution found for one symbol
 * @KS_MISSING: not found
 * @KS_FOUND: found; a pointer call is fine (ENDBR64, or no IBT), or it is
 *            only a kprobe target
 * @KS_FOUND_SEALED: found, IBT-sealed, called through its RET stub
 * @KS_FOUND_NO_ENDBR: found, no ENDBR64 at all, called through its RET stub
 * @KS_SEALED: IBT-sealed and no safe call path: never called
 * @KS_NO_ENDBR: no ENDBR64 and no safe call path: never called
 */
enum thp_ksym_state {
	KS_MISSING,
	KS_FOUND,
	KS_FOUND_SEALED,
	KS_FOUND_NO_ENDBR,
	KS_SEALED,
	KS_NO_ENDBR,
};

static const char * const thp_ksym_state_name[] = {
	[KS_MISSING] = "missing",
	[KS_FOUND] = "found",
	[KS_FOUND_SEALED] = "found-sealed",
	[KS_FOUND_NO_ENDBR] = "found-no-endbr",
	[KS_SEALED] = "sealed",
	[KS_NO_ENDBR] = "no-endbr",
};

/*
 * ibt_thunks.S provides a call path IBT accepts whenever IBT is built in;
 * ksym_test_sealed takes it away for one symbol, as on a kernel where we
 * would have none.
 */
static bool thp_has_ibt_safe_path(const char *name)
{
	if (ksym_test_sealed && !strcmp(name, ksym_test_sealed))
		return false;
	return THP_IBT_BUILT_IN;
}

/* The state of a found function we may need to call. */
static enum thp_ksym_state thp_call_state(enum thp_ibt_verdict v, const char *name)
{
	if (v == THP_IBT_CALLABLE)
		return KS_FOUND;
	if (thp_has_ibt_safe_path(name))
		return v == THP_IBT_SEALED ? KS_FOUND_SEALED : KS_FOUND_NO_ENDBR;
	return v == THP_IBT_SEALED ? KS_SEALED : KS_NO_ENDBR;
}

struct thp_ksym {
	const char *name;
	u8 flags;
	u8 feature;
	u8 state;
};

static struct thp_ksym thp_ksyms[THP_NR_KSYMS] = {
#define THP_KSYM(sym, fl, feat) \
	[KSYM_##sym] = { .name = #sym, .flags = (fl), .feature = (feat) },
#include "ksyms_list.h"
#undef THP_KSYM
};

unsigned long thp_ksym_addr[THP_NR_KSYMS] __ro_after_init;

static const char * const thp_feature_name[THP_NR_FEATURES] = {
	[FEAT_CORE] = "core",
	[FEAT_NATIVE] = "native-engine",
	[FEAT_SPLIT] = "split",
	[FEAT_KERNEL] = "kernel-engine",
	[FEAT_HOOK_KHUGEPAGED] = "hook-khugepaged",
	[FEAT_HOOK_UPROBE] = "hook-uprobe",
	[FEAT_ANON] = "anon-inplace",
	[FEAT_AUTOSCAN] = "autoscan",
	[FEAT_TAKEOVER] = "takeover",
};

/* Set once at init, read-only afterwards. */
static bool thp_feature_ok[THP_NR_FEATURES];
static const char *thp_feature_why[THP_NR_FEATURES];
static const char *thp_lookup_method = "kallsyms_lookup_name";

/* kallsyms_lookup_name(), 0 when symbols are resolved by kprobes instead. */
unsigned long thp_kln_addr __ro_after_init;

static unsigned long thp_kln(const char *name)
{
#if THP_IBT_BUILT_IN
	return thp_ksym_fn(kallsyms_lookup_name)(name);
#else
	return ((typeof(kallsyms_lookup_name) *)thp_kln_addr)(name);
#endif
}

/*
 * Symbol start of a kprobe-resolved address: kp.addr may point past an
 * ENDBR64 (arch_adjust_kprobe_addr()), sprint_symbol() tells by how much.
 */
static unsigned long thp_symbol_start(unsigned long addr)
{
	char buf[KSYM_SYMBOL_LEN];
	unsigned long off;
	char *plus, *slash;

	sprint_symbol(buf, addr);
	plus = strrchr(buf, '+');
	if (!plus)
		return addr;
	slash = strchr(plus, '/');
	if (slash)
		*slash = '\0';
	if (kstrtoul(plus + 1, 0, &off) || off > addr)
		return 0;
	return addr - off;
}

/* Resolve one symbol through a short-lived kprobe; 0 when not probe-able. */
static unsigned long thp_kprobe_lookup(const char *name)
{
	struct kprobe kp = { .symbol_name = name };
	unsigned long addr;

	if (register_kprobe(&kp) < 0)
		return 0;
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
	return thp_symbol_start(addr);
}

/* The IBT verdict for calling @addr through a pointer. */
static enum thp_ibt_verdict thp_call_verdict(const char *name, unsigned long addr)
{
	u32 insn = 0;

	if (ksym_test_sealed && !strcmp(name, ksym_test_sealed))
		return thp_ibt_verdict(1, THP_ENDBR_POISON_612, thp_endbr64_insn());
	if (!THP_IBT_BUILT_IN)
		return THP_IBT_CALLABLE;
	if (copy_from_kernel_nofault(&insn, (void *)addr, sizeof(insn)))
		return THP_IBT_NO_ENDBR;
	return thp_ibt_verdict(THP_IBT_BUILT_IN, insn, thp_endbr64_insn());
}

static unsigned long thp_lookup(const char *name)
{
	static const char * const suffixes[] = { "", ".isra.0", ".constprop.0" };
	char buf[KSYM_NAME_LEN];
	unsigned long addr = 0;
	int i;

	/*
	 * GCC may rename a static function it cloned; try the usual clone
	 * names the way LKRG does.
	 */
	for (i = 0; i < ARRAY_SIZE(suffixes) && !addr; i++) {
		snprintf(buf, sizeof(buf), "%s%s", name, suffixes[i]);
		addr = thp_kln_addr ? thp_kln(buf) : thp_kprobe_lookup(buf);
	}
	return addr;
}

static int thp_find_kallsyms_lookup_name(void)
{
	unsigned long addr = thp_kprobe_lookup("kallsyms_lookup_name");
	enum thp_ibt_verdict v;

	if (!addr) {
		pr_err("can't find 'kallsyms_lookup_name' through a kprobe\n");
		return -ENOENT;
	}
	v = thp_call_verdict("kallsyms_lookup_name", addr);
	switch (thp_call_state(v, "kallsyms_lookup_name")) {
	case KS_FOUND:
		break;
	case KS_FOUND_SEALED:
	case KS_FOUND_NO_ENDBR:
		thp_lookup_method = "kallsyms_lookup_name(ret-thunk)";
		break;
	default:
		pr_info("kallsyms_lookup_name is %s: resolving each symbol through a kprobe\n",
			thp_ibt_verdict_name(v));
		thp_lookup_method = "kprobe";
		return 0;
	}
	thp_kln_addr = addr;
	return 0;
}

/**
 * thp_ksyms_init() - resolve every symbol and decide which features work
 *
 * Context: module init, process context, may sleep.
 * Return: 0, or -ENOENT naming the first required symbol that is missing.
 */
int thp_ksyms_init(void)
{
	int i, ret;

	ret = thp_find_kallsyms_lookup_name();
	if (ret)
		return ret;

	/* An extra required symbol, for the selftests: looked up like the rest. */
	if (ksym_test_missing && !thp_lookup(ksym_test_missing)) {
		pr_err("can't find required symbol '%s'\n", ksym_test_missing);
		return -ENOENT;
	}

	for (i = 0; i < THP_NR_FEATURES; i++)
		thp_feature_ok[i] = true;

	for (i = 0; i < THP_NR_KSYMS; i++) {
		struct thp_ksym *ks = &thp_ksyms[i];
		unsigned long addr = thp_test_hidden(ks->name) ? 0 : thp_lookup(ks->name);
		enum thp_ibt_verdict v;

		if (!addr) {
			ks->state = KS_MISSING;
			if (ks->flags & KS_REQ) {
				pr_err("can't find required symbol '%s'\n", ks->name);
				return -ENOENT;
			}
		} else if (ks->flags & KS_CALL) {
			v = thp_call_verdict(ks->name, addr);
			ks->state = thp_call_state(v, ks->name);
		} else {
			ks->state = KS_FOUND;
		}

		if (ks->state == KS_FOUND || ks->state == KS_FOUND_SEALED ||
		    ks->state == KS_FOUND_NO_ENDBR) {
			thp_ksym_addr[i] = addr;
			continue;
		}
		if (ks->state == KS_MISSING && (ks->flags & KS_SOFT)) {
			pr_info("optional symbol '%s' not found: %s uses its fallback\n",
				ks->name, thp_feature_name[ks->feature]);
			continue;
		}
		if (thp_feature_ok[ks->feature]) {
			thp_feature_ok[ks->feature] = false;
			thp_feature_why[ks->feature] = ks->name;
		}
		if (ks->state == KS_MISSING)
			pr_info("optional symbol '%s' not found: %s disabled\n",
				ks->name, thp_feature_name[ks->feature]);
		else
			pr_warn("'%s' is %s (IBT): %s disabled, never called\n",
				ks->name, thp_ksym_state_name[ks->state],
				thp_feature_name[ks->feature]);
	}
	return 0;
}

/**
 * thp_feature_enabled() - may the code behind a feature run?
 * @feat: the feature
 *
 * Return: true when every symbol of @feat was found and is callable.
 */
bool thp_feature_enabled(enum thp_feature feat)
{
	return thp_feature_ok[feat];
}

/**
 * thp_ksyms_show() - debugfs "ksyms": one line per symbol of the table
 * @m: seq_file
 * @v: unused
 *
 * Format: "NAME required|optional call|probe FEATURE STATE". Addresses are
 * never shown.
 *
 * Return: 0.
 */
int thp_ksyms_show(struct seq_file *m, void *v)
{
	int i;

	seq_printf(m, "# lookup %s, ibt %s, calls %s\n", thp_lookup_method,
		   THP_IBT_BUILT_IN ? "on" : "off",
		   THP_IBT_BUILT_IN ? "ret-thunk" : "pointer");
	for (i = 0; i < THP_NR_KSYMS; i++) {
		const struct thp_ksym *ks = &thp_ksyms[i];

		seq_printf(m, "%s %s %s %s %s\n", ks->name,
			   ks->flags & KS_REQ ? "required" : "optional",
			   ks->flags & KS_CALL ? "call" : "probe",
			   thp_feature_name[ks->feature],
			   thp_ksym_state_name[ks->state]);
	}
	return 0;
}

/**
 * thp_features_show() - debugfs "features": one line per feature
 * @m: seq_file
 * @v: unused
 *
 * Format: "FEATURE enabled" or "FEATURE disabled SYMBOL".
 *
 * Return: 0.
 */
int thp_features_show(struct seq_file *m, void *v)
{
	int i;

	for (i = 0; i < THP_NR_FEATURES; i++) {
		if (thp_feature_ok[i])
			seq_printf(m, "%s enabled\n", thp_feature_name[i]);
		else
			seq_printf(m, "%s disabled %s\n", thp_feature_name[i],
				   thp_feature_why[i]);
	}
	return 0;
}
