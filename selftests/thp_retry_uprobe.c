// SPDX-License-Identifier: GPL-2.0
/*
 * thp_retry_uprobe - THP-aware uprobes (thp_uprobe.c): a breakpoint put into
 * THP-backed text splits the PMD; once the last one of the range is gone,
 * the range is PMD-mapped again, holds no anonymous page and reads as the
 * file does.
 *
 * The code (thp_uprobe_util.h) is mapped PROT_READ|PROT_EXEC, MAP_PRIVATE
 * and PMD-aligned by child processes ("kids") that, on command, map it, call
 * into it (hitting the probe) or read it all. A probe fired when its
 * uprobe_profile hit count moved.
 *
 *  - register/unregister one probe;
 *  - two probes in one range, removed one at a time: still split after
 *    the first;
 *  - three processes mapping the same file;
 *  - a probe registered before the process maps the file;
 *  - the process exits while its probe is installed: its ranges are
 *    forgotten;
 *  - unregister racing the retry worker, which is asked again and again
 *    to collapse the range: the probe fires every time it is installed (the
 *    worker never collapsed it away) and the range ends PMD-mapped;
 *  - a register/hit/unregister cycle timed with the module loaded and not
 *    loaded, and the ranges PMD-mapped 100 ms after the unregister
 *    ("# bench:" lines; the PMD-mapped fraction must be 100%);
 *  - unregister with MGLRU turned off: 6.16+ then keeps the breakpoint's
 *    copy, and the module must leave the range alone (the tests that need
 *    the page-cache page back SKIP on a kernel without MGLRU:
 *    thp_kernel_keeps_touched_copy() in thp_uprobe_util.h).
 *
 * Tracing's record-cmd option is off during each test (see
 * thp_uprobe_util.h).
 *
 * Skips when tracefs has no uprobe_events or the module's uprobe hooks are
 * not installed. Needs root and debugfs.
 */
#define _GNU_SOURCE
#pragma GCC diagnostic ignored "-Wclobbered"
#include <pthread.h>

#include "kselftest_harness.h"
#include "thp_uprobe_util.h"

#define MAX_KIDS	3

/*
 * File offset of page @n of the code, where a test puts a probe: probes of
 * a test are in different pages (each becomes an anonymous page), whatever
 * the page size. Uses the test's self.
 */
#define PG(n)		((n) * self->ps)

struct kid {
	pid_t pid;
	int cmd;		/* commands to the kid */
	int ack;		/* its answers */
	unsigned long base;	/* where it mapped the file, 0 before */
};

FIXTURE(up)
{
	char dir[64];
	char khd_sleep[32];
	char path[128];		/* the code file */
	char *expect;		/* its contents */
	size_t ps;		/* page size */
	size_t pmd;
	long kb;		/* PMD size in kB */
	int probes;		/* probes made, for unique names */
	char names[4][32];	/* live probes, "" when none */
	struct kid kids[MAX_KIDS];
	pid_t owner;		/* the test process (the teardown runs in its parent) */
	char record_cmd[8];	/* options/record-cmd at setup, "" if not changed */
	char lru_gen[32];	/* lru_gen/enabled before a test changed it, or "" */
};

#define THP_LRU_GEN	"/sys/kernel/mm/lru_gen/enabled"

/* Put MGLRU back as it was, if a test turned it off. */
static void lru_gen_restore(FIXTURE_DATA(up) *self)
{
	if (self->lru_gen[0])
		thp_write_file(THP_LRU_GEN, strtoul(self->lru_gen, NULL, 0) & 1 ? "y" : "n");
	self->lru_gen[0] = '\0';
}

/* Kid: "m" map, "x" + u32 offset call there, "r" read all; one byte back each. */
static void kid_main(const char *path, size_t pmd, int cmd, int ack)
{
	unsigned long base = 0;
	char c;
	int fd;

	for (;;) {
		uint32_t off;

		if (read(cmd, &c, 1) != 1)
			_exit(0);
		switch (c) {
		case 'm':
			fd = open(path, O_RDONLY);
			if (fd >= 0)
				base = (unsigned long)thp_map_aligned(pmd, pmd, PROT_READ | PROT_EXEC,
								      MAP_PRIVATE, fd, 0);
			if (fd < 0 || base == (unsigned long)MAP_FAILED)
				base = 0;
			if (base)
				thp_touch((void *)base, pmd);
			if (write(ack, &base, sizeof(base)) != sizeof(base))
				_exit(1);
			continue;
		case 'x':
			if (read(cmd, &off, sizeof(off)) != sizeof(off))
				_exit(1);
			((void (*)(void))(base + off))();
			break;
		case 'r':
			thp_touch((void *)base, pmd);
			break;
		default:
			_exit(1);
		}
		if (write(ack, &c, 1) != 1)
			_exit(1);
	}
}

static int kid_start(FIXTURE_DATA(up) *self, struct kid *k)
{
	int cmd[2], ack[2];
	pid_t pid;

	if (pipe(cmd) || pipe(ack))
		return -errno;
	/* self is shared with the kid: only the parent writes k->pid */
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		close(cmd[1]);
		close(ack[0]);
		kid_main(self->path, self->pmd, cmd[0], ack[1]);
		_exit(0);
	}
	close(cmd[0]);
	close(ack[1]);
	k->pid = pid;
	k->cmd = cmd[1];
	k->ack = ack[0];
	k->base = 0;
	return 0;
}

static int kid_map(struct kid *k)
{
	if (write(k->cmd, "m", 1) != 1 || read(k->ack, &k->base, sizeof(k->base)) !=
	    sizeof(k->base))
		return -EIO;
	return k->base ? 0 : -ENOMEM;
}

static int kid_do(struct kid *k, char c, uint32_t off)
{
	char buf[1 + sizeof(off)] = { c };

	memcpy(buf + 1, &off, sizeof(off));
	if (write(k->cmd, buf, c == 'x' ? sizeof(buf) : 1) < 1 || read(k->ack, buf, 1) != 1)
		return -EIO;
	return 0;
}

/* Kill a kid; its pipes are closed only by the process that made them. */
static void kid_stop(struct kid *k, pid_t owner)
{
	if (k->pid <= 0)
		return;
	if (getpid() == owner) {
		close(k->cmd);
		close(k->ack);
	}
	thp_kill_reap(&k->pid);
}

/* Make and enable probe number @slot at file offset @off; 0 or -errno. */
static int probe_add(FIXTURE_DATA(up) *self, int slot, unsigned long off)
{
	char *name = self->names[slot];
	int ret;

	snprintf(name, sizeof(self->names[slot]), "thpup_%d_%d", getpid(), self->probes++);
	ret = thp_uprobe_add(name, self->path, off);
	if (ret)
		name[0] = '\0';
	return ret;
}

/* Disable and delete probe @slot (unregisters it); 0 or -errno. */
static int probe_del(FIXTURE_DATA(up) *self, int slot)
{
	char *name = self->names[slot];
	int ret;

	if (!name[0])
		return 0;
	ret = thp_uprobe_del(name);
	name[0] = '\0';
	return ret;
}

/* Hit count of probe @slot in uprobe_profile, or -1. */
static long probe_hits(FIXTURE_DATA(up) *self, int slot)
{
	static char buf[65536];
	char path[256], *l;

	snprintf(path, sizeof(path), "%s/uprobe_profile", thp_tracefs);
	if (thp_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	for (l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
		char f[256], ev[64];
		long n;

		if (sscanf(l, "%255s %63s %ld", f, ev, &n) == 3 && !strcmp(ev, self->names[slot]))
			return n;
	}
	return -1;
}

/* Breakpoints of the range at @base of @pid in debugfs "uprobes"; 0 if none. */
static long tracked(pid_t pid, unsigned long base)
{
	static char buf[65536];
	char *l;

	if (thp_read_file(THP_DEBUGFS "/uprobes", buf, sizeof(buf)) < 0)
		return -1;
	for (l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
		unsigned long a;
		long n;
		int p;

		if (sscanf(l, "%d %lx %ld", &p, &a, &n) == 3 && p == pid && a == base)
			return n;
	}
	return 0;
}

/* The kid's range: one PMD mapping (1), split with @anon_kb anonymous (0), else -1. */
static int range_state(FIXTURE_DATA(up) *self, struct kid *k, long anon_kb)
{
	long pmd_kb = thp_smaps_kb(k->pid, (void *)k->base, "ShmemPmdMapped");
	long anon = thp_smaps_kb(k->pid, (void *)k->base, "Anonymous");

	if (pmd_kb == self->kb && anon == 0)
		return 1;
	if (pmd_kb == 0 && anon == anon_kb)
		return 0;
	return -1;
}

/* Does the kid's mapping read as the file? */
static bool range_equals_file(FIXTURE_DATA(up) *self, struct kid *k)
{
	char path[64], *buf = malloc(self->pmd);
	bool ok = false;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", k->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && buf && pread(fd, buf, self->pmd, k->base) == (ssize_t)self->pmd)
		ok = !memcmp(buf, self->expect, self->pmd);
	if (fd >= 0)
		close(fd);
	free(buf);
	return ok;
}

/* Poll (touching the range) until it is PMD-mapped; ms taken, or -1 after @ms. */
static long wait_pmd_mapped(FIXTURE_DATA(up) *self, struct kid *k, unsigned int ms)
{
	uint64_t t0 = thp_now_ns();

	for (;;) {
		if (kid_do(k, 'r', 0))
			return -1;
		if (range_state(self, k, 0) == 1)
			return (thp_now_ns() - t0) / 1000000;
		if (thp_now_ns() - t0 > ms * 1000000ULL)
			return -1;
		usleep(2000);
	}
}

static void up_cleanup(FIXTURE_DATA(up) *self)
{
	int i;

	for (i = 0; i < MAX_KIDS; i++)
		kid_stop(&self->kids[i], self->owner);
	for (i = 0; i < 4; i++)
		probe_del(self, i);
	thp_param_set("uprobe_test_distrust", "0");
	lru_gen_restore(self);
	if (!thp_loaded())
		thp_load(NULL);
	thp_record_cmd_restore(self->record_cmd);
	thp_khugepaged_resume(self->khd_sleep);
	if (self->path[0])
		unlink(self->path);
	self->path[0] = '\0';
	thp_umount(self->dir);
	/* self->expect is the test process's, freed when it exits */
}

FIXTURE_SETUP(up)
{
	long pmd = thp_pmd_size();
	char opts[64];
	size_t i;
	int ret;

	if (thp_tracefs_find())
		SKIP(return, "no uprobe_events in tracefs");
	ASSERT_LT(0, pmd);
	self->owner = getpid();
	self->ps = sysconf(_SC_PAGESIZE);
	self->pmd = pmd;
	self->kb = pmd / 1024;
	if (!thp_loaded())
		ASSERT_EQ(0, thp_load(NULL));
	if (thp_stat("uprobe_hooks_installed") != 1)
		SKIP(return, "uprobe hooks not installed");
	thp_record_cmd_off(self->record_cmd, sizeof(self->record_cmd));
	thp_khugepaged_pause(self->khd_sleep, sizeof(self->khd_sleep));
	snprintf(opts, sizeof(opts), "huge=always,size=%zu", 4 * self->pmd);
	ret = thp_mount_tmpfs(self->dir, sizeof(self->dir), opts);
	ASSERT_EQ(0, ret) TH_LOG("huge tmpfs: %s", strerror(-ret));
	self->expect = malloc(pmd);
	ASSERT_NE(NULL, self->expect);
	thp_fill_ret(self->expect, self->pmd);
	snprintf(self->path, sizeof(self->path), "%s/code", self->dir);
	ret = thp_code_file(self->path, self->expect, self->pmd);
	ASSERT_EQ(0, ret) TH_LOG("code file: %s", strerror(-ret));
	for (i = 0; i < MAX_KIDS; i++)
		ASSERT_EQ(0, kid_start(self, &self->kids[i]));
}

FIXTURE_TEARDOWN_PARENT(up)
{
	up_cleanup(self);
}

/* Map in kid @k, check it is one PMD mapping of the THP. */
static void map_pmd(struct __test_metadata *_metadata, FIXTURE_DATA(up) *self, struct kid *k)
{
	ASSERT_EQ(0, kid_map(k));
	ASSERT_EQ(1, range_state(self, k, 0))
		TH_LOG("not PMD-mapped at %#lx: ShmemPmdMapped %ld kB", k->base,
		       thp_smaps_kb(k->pid, (void *)k->base, "ShmemPmdMapped"));
}

/* Call @off in kid @k and check probe @slot fired once more. */
static void hit(struct __test_metadata *_metadata, FIXTURE_DATA(up) *self, struct kid *k,
		int slot, uint32_t off)
{
	long before = probe_hits(self, slot);

	ASSERT_LE(0, before);
	ASSERT_EQ(0, kid_do(k, 'x', off));
	ASSERT_EQ(before + 1, probe_hits(self, slot));
}

/*
 * The range after the kernel kept the breakpoint's copy: PTE-mapped with
 * that one private page, reading as the file (the original instruction is
 * back in it), not tracked, and not counted as restored.
 */
static void kept_copy_state(struct __test_metadata *_metadata, FIXTURE_DATA(up) *self,
			    struct kid *k, long rest)
{
	ASSERT_EQ(0, kid_do(k, 'r', 0));
	ASSERT_EQ(0, range_state(self, k, self->ps / 1024))
		TH_LOG("ShmemPmdMapped %ld kB Anonymous %ld kB",
		       thp_smaps_kb(k->pid, (void *)k->base, "ShmemPmdMapped"),
		       thp_smaps_kb(k->pid, (void *)k->base, "Anonymous"));
	EXPECT_TRUE(range_equals_file(self, k));
	EXPECT_EQ(0, tracked(k->pid, k->base));
	if (rest >= 0)
		EXPECT_EQ(rest, thp_stat("uprobe_restored"));
}

/*
 * For the tests that need the kernel to give the page-cache page back at the
 * last unregister: where it keeps its copy instead, they cannot pass, and
 * unregister_without_mglru covers what the module does then.
 */
#define NEEDS_RESTORE() do { \
	if (thp_kernel_keeps_touched_copy()) \
		SKIP(return, "6.16+ without MGLRU keeps the breakpoint's copy (Documentation/uprobe.rst)"); \
} while (0)

/* After the last unregister: PMD-mapped again, no anonymous page, file contents. */
static void restored(struct __test_metadata *_metadata, FIXTURE_DATA(up) *self,
		     struct kid *k)
{
	long ms = wait_pmd_mapped(self, k, 3000);

	ASSERT_LE(0, ms) TH_LOG("not PMD-mapped: ShmemPmdMapped %ld kB Anonymous %ld kB",
				thp_smaps_kb(k->pid, (void *)k->base, "ShmemPmdMapped"),
				thp_smaps_kb(k->pid, (void *)k->base, "Anonymous"));
	EXPECT_TRUE(range_equals_file(self, k));
	EXPECT_EQ(0, tracked(k->pid, k->base));
}

/* Kid @k's range is split with @bps breakpoints, each an anonymous page. */
static void split_with(struct __test_metadata *_metadata, FIXTURE_DATA(up) *self,
		       struct kid *k, int bps)
{
	EXPECT_EQ(0, range_state(self, k, self->ps / 1024 * bps));
	EXPECT_EQ(bps, tracked(k->pid, k->base));
}

/* Hit the last probe, @slot at @off, remove it: the range is restored. */
static void hit_remove_last(struct __test_metadata *_metadata, FIXTURE_DATA(up) *self,
			    struct kid *k, int slot, uint32_t off)
{
	hit(_metadata, self, k, slot, off);
	ASSERT_EQ(0, probe_del(self, slot));
	restored(_metadata, self, k);
}

/* thp_retry:thp_uprobe events in the trace: did one say @action for @pid? */
static bool uprobe_event(const char *trace, const char *action, pid_t pid)
{
	char needle[96];

	snprintf(needle, sizeof(needle), "thp_uprobe: %s pid=%d ", action, pid);
	return strstr(trace, needle) != NULL;
}

/*
 * With the thp_retry:thp_uprobe event on (Documentation/tracing.rst): the
 * range's life gives "installed", then "recollapsed" or "enqueued". The
 * trace is read after the probe is disabled (the unregister, when the
 * events of the removal fire) and before it is deleted: deleting a dynamic
 * event resets the trace buffers.
 */
TEST_F(up, register_unregister)
{
	struct kid *k = &self->kids[0];
	long split = thp_stat("uprobe_split"), rest = thp_stat("uprobe_restored");
	long done = thp_stat("uprobe_kernel_recollapsed") + thp_stat("uprobe_enqueued");
	static char trace[1 << 20];
	char path[320], en[160];
	int fd;

	NEEDS_RESTORE();
	snprintf(path, sizeof(path), "%s/trace", thp_tracefs);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	ASSERT_EQ(0, thp_trace_write("tracing_on", "1"));
	ASSERT_EQ(0, thp_trace_write("events/thp_retry/thp_uprobe/enable", "1"));
	map_pmd(_metadata, self, k);
	ASSERT_EQ(0, probe_add(self, 0, PG(1)));
	split_with(_metadata, self, k, 1);
	EXPECT_EQ(split + 1, thp_stat("uprobe_split"));
	hit(_metadata, self, k, 0, PG(1));
	thp_lru_drain_all();
	snprintf(en, sizeof(en), "events/" THP_UPROBE_GROUP "/%s/enable", self->names[0]);
	ASSERT_EQ(0, thp_trace_write(en, "0"));
	thp_trace_write("events/thp_retry/thp_uprobe/enable", "0");
	ASSERT_LE(0, thp_read_file(path, trace, sizeof(trace)));
	ASSERT_EQ(0, probe_del(self, 0));
	restored(_metadata, self, k);
	ksft_print_msg("uprobe_kernel_recollapsed %lld uprobe_enqueued %lld\n",
		       thp_stat("uprobe_kernel_recollapsed"), thp_stat("uprobe_enqueued"));
	EXPECT_EQ(rest + 1, thp_stat("uprobe_restored"));
	EXPECT_EQ(done + 1, thp_stat("uprobe_kernel_recollapsed") + thp_stat("uprobe_enqueued"));
	EXPECT_TRUE(uprobe_event(trace, "installed", k->pid)) TH_LOG("trace:\n%.2000s", trace);
	EXPECT_TRUE(uprobe_event(trace, "recollapsed", k->pid) ||
		    uprobe_event(trace, "enqueued", k->pid)) TH_LOG("trace:\n%.2000s", trace);
}

/*
 * 6.16+ with MGLRU off (turned off here through /sys/kernel/mm/lru_gen/enabled
 * where it exists): the unregister's GUP puts the copy in an LRU batch and
 * the kernel keeps it (thp_kernel_keeps_touched_copy()). The module must then
 * count no restore, queue nothing and report the range "kept"; the range
 * reads as the file. Kernels that restore anyway (6.1, 6.12, or one where
 * the batch was drained in time) must end PMD-mapped as always.
 */
TEST_F(up, unregister_without_mglru)
{
	struct kid *k = &self->kids[0];
	long rest = thp_stat("uprobe_restored"), enq = thp_stat("uprobe_enqueued");
	bool keeps;
	long ms;

	if (thp_read_file(THP_LRU_GEN, self->lru_gen, sizeof(self->lru_gen)) <= 0)
		self->lru_gen[0] = '\0';
	else
		ASSERT_EQ(0, thp_write_file(THP_LRU_GEN, "n"));
	map_pmd(_metadata, self, k);
	ASSERT_EQ(0, probe_add(self, 0, PG(1)));
	split_with(_metadata, self, k, 1);
	hit(_metadata, self, k, 0, PG(1));
	hit(_metadata, self, k, 0, PG(1));
	ASSERT_EQ(0, probe_del(self, 0));
	ms = wait_pmd_mapped(self, k, 3000);
	keeps = thp_kernel_keeps_touched_copy();
	lru_gen_restore(self);
	if (ms >= 0) {
		ksft_print_msg("restored in %ld ms: the kernel gave the page-cache page back\n", ms);
		EXPECT_TRUE(range_equals_file(self, k));
		EXPECT_EQ(rest + 1, thp_stat("uprobe_restored"));
		return;
	}
	ASSERT_TRUE(keeps)
		TH_LOG("not restored, on a kernel that restores: ShmemPmdMapped %ld kB Anonymous %ld kB",
		       thp_smaps_kb(k->pid, (void *)k->base, "ShmemPmdMapped"),
		       thp_smaps_kb(k->pid, (void *)k->base, "Anonymous"));
	ksft_print_msg("the kernel kept its copy: the range stays PTE-mapped, as upstream leaves it\n");
	kept_copy_state(_metadata, self, k, rest);
	EXPECT_EQ(enq, thp_stat("uprobe_enqueued"));
}

/*
 * The path taken when the kernel's own re-collapse failed or cannot be
 * trusted (6.1's unapply_uprobe() under the read lock): with
 * uprobe_test_distrust=1 every last removal takes it. The range goes
 * through the retry queue and ends PMD-mapped all the same.
 */
TEST_F(up, queue_fallback)
{
	struct kid *k = &self->kids[0];
	long enq = thp_stat("uprobe_enqueued"), src = thp_stat("source_hook_uprobe");

	NEEDS_RESTORE();
	if (access(THP_PARAMS "uprobe_test_distrust", F_OK))
		SKIP(return, "uprobe_test_distrust: the module was built without THP_TESTING=y");
	ASSERT_EQ(0, thp_param_set("uprobe_test_distrust", "1"));
	map_pmd(_metadata, self, k);
	ASSERT_EQ(0, probe_add(self, 0, PG(3)));
	split_with(_metadata, self, k, 1);
	hit(_metadata, self, k, 0, PG(3));
	ASSERT_EQ(0, probe_del(self, 0));
	thp_param_set("uprobe_test_distrust", "0");
	EXPECT_EQ(enq + 1, thp_stat("uprobe_enqueued"));
	EXPECT_EQ(src + 1, thp_stat("source_hook_uprobe"));
	EXPECT_EQ(0, thp_queue_wait(k->pid, 10000));
	restored(_metadata, self, k);
}

TEST_F(up, two_probes_removed_one_at_a_time)
{
	struct kid *k = &self->kids[0];

	NEEDS_RESTORE();
	map_pmd(_metadata, self, k);
	ASSERT_EQ(0, probe_add(self, 0, PG(1)));
	ASSERT_EQ(0, probe_add(self, 1, PG(5)));
	split_with(_metadata, self, k, 2);
	hit(_metadata, self, k, 0, PG(1));
	hit(_metadata, self, k, 1, PG(5));
	ASSERT_EQ(0, probe_del(self, 0));
	/* give the worker its chance to do wrong */
	usleep(300 * 1000);
	ASSERT_EQ(0, kid_do(k, 'r', 0));
	split_with(_metadata, self, k, 1);
	hit_remove_last(_metadata, self, k, 1, PG(5));
}

TEST_F(up, three_processes)
{
	int i;

	NEEDS_RESTORE();
	for (i = 0; i < MAX_KIDS; i++)
		map_pmd(_metadata, self, &self->kids[i]);
	ASSERT_EQ(0, probe_add(self, 0, PG(3)));
	for (i = 0; i < MAX_KIDS; i++) {
		split_with(_metadata, self, &self->kids[i], 1);
		hit(_metadata, self, &self->kids[i], 0, PG(3));
	}
	ASSERT_EQ(0, probe_del(self, 0));
	for (i = 0; i < MAX_KIDS; i++)
		restored(_metadata, self, &self->kids[i]);
}

TEST_F(up, probe_before_map)
{
	struct kid *k = &self->kids[0];

	NEEDS_RESTORE();
	ASSERT_EQ(0, probe_add(self, 0, PG(2)));
	ASSERT_EQ(0, kid_map(k));
	split_with(_metadata, self, k, 1);
	hit_remove_last(_metadata, self, k, 0, PG(2));
}

TEST_F(up, exit_with_probes_installed)
{
	struct kid *k = &self->kids[0];
	pid_t pid;
	int i;

	map_pmd(_metadata, self, k);
	ASSERT_EQ(0, probe_add(self, 0, PG(1)));
	ASSERT_EQ(0, probe_add(self, 1, PG(7)));
	EXPECT_EQ(2, tracked(k->pid, k->base));
	pid = k->pid;
	kid_stop(k, self->owner);
	for (i = 0; i < 100 && tracked(pid, k->base); i++)
		usleep(10 * 1000);
	EXPECT_EQ(0, tracked(pid, k->base));
	EXPECT_EQ(0, probe_del(self, 0));
	EXPECT_EQ(0, probe_del(self, 1));
}

struct hammer {
	pid_t pid;
	unsigned long addr;
	volatile int stop;
};

static void *hammer_fn(void *arg)
{
	struct hammer *h = arg;

	while (!h->stop) {
		thp_queue_req(h->pid, (void *)h->addr);
		usleep(500);
	}
	return NULL;
}

TEST_F_TIMEOUT(up, unregister_races_worker, 300)
{
	struct kid *k = &self->kids[0];
	struct hammer h = { 0 };
	pthread_t t;
	int i;

	NEEDS_RESTORE();
	map_pmd(_metadata, self, k);
	h.pid = k->pid;
	h.addr = k->base;
	ASSERT_EQ(0, pthread_create(&t, NULL, hammer_fn, &h));
	for (i = 0; i < 20; i++) {
		uint32_t off = PG(1 + i % 8);

		ASSERT_EQ(0, probe_add(self, 0, off));
		hit(_metadata, self, k, 0, off);
		usleep(2000);
		/* the worker tried in between: the breakpoint must still be there */
		hit(_metadata, self, k, 0, off);
		ASSERT_EQ(0, probe_del(self, 0));
	}
	h.stop = 1;
	pthread_join(t, NULL);
	restored(_metadata, self, k);
	EXPECT_EQ(0, thp_queue_wait(k->pid, 5000));
}

/* Median of @n values (sorts them). */
static uint64_t median(uint64_t *v, int n)
{
	int i, j;

	for (i = 1; i < n; i++)
		for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

/* Enable (register) or disable (unregister) live probe @slot; 0 or -errno. */
static int probe_enable(FIXTURE_DATA(up) *self, int slot, bool on)
{
	char buf[256];

	if (!on)
		thp_lru_drain_all();
	snprintf(buf, sizeof(buf), "events/" THP_UPROBE_GROUP "/%s/enable", self->names[slot]);
	return thp_trace_write(buf, on ? "1" : "0");
}

/*
 * @n register/hit/unregister cycles of probe 0 (defined, disabled) into @t;
 * counts in *@pmd_ok the ranges PMD-mapped 100 ms after the unregister.
 */
static int cycles(FIXTURE_DATA(up) *self, struct kid *k, int n, uint64_t *t, int *pmd_ok)
{
	int i;

	for (i = 0; i < n; i++) {
		uint64_t t0 = thp_now_ns();

		if (probe_enable(self, 0, true) || kid_do(k, 'x', PG(1)) ||
		    probe_enable(self, 0, false))
			return -1;
		t[i] = thp_now_ns() - t0;
		usleep(100 * 1000);
		if (range_state(self, k, 0) == 1 || (!kid_do(k, 'r', 0) &&
						     range_state(self, k, 0) == 1))
			(*pmd_ok)++;
		kid_do(k, 'r', 0);
	}
	return 0;
}

#define BENCH_N		100
#define BENCH_BLOCKS	4

/*
 * Loaded and not loaded alternate in blocks of BENCH_N / BENCH_BLOCKS cycles
 * so that a drift of the (TCG) guest's speed hits both alike. The event is
 * defined once: a cycle is enable (uprobe_register), call, disable.
 */
TEST_F_TIMEOUT(up, bench_cycle, 600)
{
	struct kid *k = &self->kids[0];
	uint64_t with[BENCH_N], without[BENCH_N];
	int ok = 0, ok_off = 0, b, per = BENCH_N / BENCH_BLOCKS;
	uint64_t m_with, m_without;

	map_pmd(_metadata, self, k);
	ASSERT_EQ(0, probe_add(self, 0, PG(1)));
	ASSERT_EQ(0, probe_enable(self, 0, false));
	ASSERT_EQ(0, kid_do(k, 'r', 0));
	for (b = 0; b < BENCH_BLOCKS; b++) {
		ASSERT_EQ(0, cycles(self, k, per, with + b * per, &ok));
		ASSERT_EQ(0, thp_unload());
		ASSERT_EQ(0, cycles(self, k, per, without + b * per, &ok_off));
		ASSERT_EQ(0, thp_load(NULL));
	}
	m_with = median(with, BENCH_N);
	m_without = median(without, BENCH_N);
	ksft_print_msg("bench: uprobe cycle median %.3f ms loaded, %.3f ms not loaded, ratio %.3f\n",
		       m_with / 1e6, m_without / 1e6, (double)m_with / m_without);
	ksft_print_msg("bench: uprobe PMD-mapped 100 ms after unregister: %d/%d loaded, %d/%d not loaded\n",
		       ok, BENCH_N, ok_off, BENCH_N);
	if (ok < BENCH_N && thp_kernel_keeps_touched_copy()) {
		/* the kernel keeps some copies: never fewer restored than without us */
		EXPECT_LE(ok_off, ok);
		SKIP(return, "%d of %d copies kept by the kernel (6.16+ without MGLRU)",
		     BENCH_N - ok, BENCH_N);
	}
	EXPECT_EQ(BENCH_N, ok);
}

TEST(uprobes_file_mode)
{
	struct stat st;

	if (!thp_loaded())
		ASSERT_EQ(0, thp_load(NULL));
	ASSERT_EQ(0, stat(THP_DEBUGFS "/uprobes", &st));
	EXPECT_EQ(0400, st.st_mode & 0777);
	EXPECT_LE(0, thp_stat("uprobe_split"));
	EXPECT_LE(0, thp_stat("uprobe_restored"));
	EXPECT_LE(0, thp_stat("uprobe_kernel_recollapsed"));
	EXPECT_LE(0, thp_stat("uprobe_enqueued"));
}

TEST(uprobe_hooks_off)
{
	ASSERT_EQ(0, thp_reload_plain());
	ASSERT_EQ(0, thp_unload());
	ASSERT_EQ(0, thp_load("uprobe_hooks=0"));
	EXPECT_EQ(0, thp_stat("uprobe_hooks_installed"));
	ASSERT_EQ(0, thp_reload_plain());
}

TEST_HARNESS_MAIN
