/* SPDX-License-Identifier: GPL-2.0 */
/*
 * thp_uprobe_util.h - tracefs uprobes on THP-backed code, shared by the
 * uprobe selftest and the reload-under-load test.
 *
 * The code is a file on a huge=always tmpfs, one PMD long, full of the
 * arch's return instruction: calling any instruction-aligned offset of it
 * returns at once. Probes go through tracefs uprobe_events.
 *
 * Tracing's record-cmd option must be off while events are enabled and
 * disabled in a loop: with it on, every enable and disable registers and
 * unregisters a sched_switch probe, patching a static branch in
 * __schedule() each time; under QEMU TCG that patching hit an unhandled
 * int3 in __schedule() within a few dozen cycles.
 */
#ifndef THP_UPROBE_UTIL_H
#define THP_UPROBE_UTIL_H

#include "thp_retry_util.h"

#if defined(__x86_64__)
#define RET_INSN	0xc3u
#define RET_SIZE	1
#elif defined(__aarch64__)
#define RET_INSN	0xd65f03c0u
#define RET_SIZE	4
#else
#error "x86_64 or arm64 only"
#endif

#define THP_UPROBE_GROUP	"thp"

static const char *thp_tracefs = "/sys/kernel/tracing";

/* Find a tracefs with a writable uprobe_events; 0 or -ENOENT. */
static inline int thp_tracefs_find(void)
{
	static const char * const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[256];
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/uprobe_events", dirs[i]);
		if (!access(path, W_OK)) {
			thp_tracefs = dirs[i];
			return 0;
		}
	}
	return -ENOENT;
}

/* Write @s to tracefs file @rel; 0 or -errno. O_APPEND keeps other probes. */
static inline int thp_trace_write(const char *rel, const char *s)
{
	char path[320];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", thp_tracefs, rel);
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Turn record-cmd off, its old value in @saved ("" if not changed). */
static inline void thp_record_cmd_off(char *saved, size_t size)
{
	char path[256];

	saved[0] = '\0';
	snprintf(path, sizeof(path), "%s/options/record-cmd", thp_tracefs);
	if (thp_read_file(path, saved, size) > 0) {
		saved[strcspn(saved, "\n")] = '\0';
		if (thp_trace_write("options/record-cmd", "0"))
			saved[0] = '\0';
	}
}

/* Undo thp_record_cmd_off(). */
static inline void thp_record_cmd_restore(char *saved)
{
	if (saved[0])
		thp_trace_write("options/record-cmd", saved);
	saved[0] = '\0';
}

/* Fill @len bytes at @buf with return instructions. */
static inline void thp_fill_ret(char *buf, size_t len)
{
	uint32_t insn = RET_INSN;
	size_t i;

	for (i = 0; i + RET_SIZE <= len; i += RET_SIZE)
		memcpy(buf + i, &insn, RET_SIZE);
}

/* Create @path holding @len bytes of @buf, executable; 0 or -errno. */
static inline int thp_code_file(const char *path, const char *buf, size_t len)
{
	int fd, ret = 0;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, len) || pwrite(fd, buf, len, 0) != (ssize_t)len)
		ret = errno ? -errno : -EIO;
	close(fd);
	return ret;
}

/*
 * Make and enable probe @name at @off of @path; 0 or -errno. A probe that
 * cannot be enabled is deleted again.
 */
static inline int thp_uprobe_add(const char *name, const char *path, unsigned long off)
{
	char buf[256];
	int ret;

	snprintf(buf, sizeof(buf), "p:" THP_UPROBE_GROUP "/%s %s:%#lx", name, path, off);
	ret = thp_trace_write("uprobe_events", buf);
	if (ret)
		return ret;
	snprintf(buf, sizeof(buf), "events/" THP_UPROBE_GROUP "/%s/enable", name);
	ret = thp_trace_write(buf, "1");
	if (ret) {
		snprintf(buf, sizeof(buf), "-:" THP_UPROBE_GROUP "/%s", name);
		thp_trace_write("uprobe_events", buf);
	}
	return ret;
}

/*
 * Drain every CPU's LRU batches: MADV_COLLAPSE calls lru_add_drain_all()
 * before it looks at the range, here a fresh anonymous one with one page
 * touched (a VMA without an anon_vma gets EINVAL before the drain; this
 * one is collapsed, a copy of one page). Compaction
 * drains too, but then migrates small pages, whose new copies go back into
 * a batch; tmpfs ignores POSIX_FADV_DONTNEED.
 *
 * 6.16+ restores the page-cache page at unregister only when the
 * breakpoint's anonymous copy has no reference beyond its mappings and the
 * caller's, and the copy the COW made at register time sits in a per-CPU
 * LRU batch, holding one more, until something drains it (measured on
 * 7.3.4 without the module: the copy stays, however long the wait). A test
 * that unregisters soon after registering drains first, as LRU activity
 * would on a real system (Documentation/uprobe.rst).
 */
static inline void thp_lru_drain_all(void)
{
	long pmd = thp_pmd_size();
	size_t len;
	char *p;

	if (pmd <= 0)
		return;
	len = 2 * pmd;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return;
	p[len - 1] = 1;
	madvise(p, len, 25 /* MADV_COLLAPSE */);
	munmap(p, len);
}

/*
 * Does the running kernel keep the breakpoint's anonymous copy at unregister
 * whenever the copy was touched by GUP? 6.16+ restores the page-cache page
 * only when the copy has no reference beyond its mappings and the caller's
 * (__uprobe_write()). Without MGLRU (CONFIG_LRU_GEN off, or
 * /sys/kernel/mm/lru_gen/enabled 0), the unregister's own GUP marks the
 * copy accessed, a second access activates it through a per-CPU LRU batch,
 * and the batch's reference makes the kernel keep the copy for good, with the
 * original instruction in it. Debian's kernels have MGLRU on; the debug
 * tier's defconfig kernel has it off.
 */
static inline bool thp_kernel_keeps_touched_copy(void)
{
	char buf[32];
	unsigned int maj = 0, min = 0;
	FILE *f = fopen("/proc/sys/kernel/osrelease", "re");

	if (!f || fscanf(f, "%u.%u", &maj, &min) != 2)
		maj = 0;
	if (f)
		fclose(f);
	if (maj < 6 || (maj == 6 && min < 16))
		return false;
	if (thp_read_file("/sys/kernel/mm/lru_gen/enabled", buf, sizeof(buf)) <= 0)
		return true;
	return !(strtoul(buf, NULL, 0) & 1);
}

/* Disable and delete probe @name (unregisters it); 0 or -errno. */
static inline int thp_uprobe_del(const char *name)
{
	char buf[128];
	int ret;

	thp_lru_drain_all();
	snprintf(buf, sizeof(buf), "events/" THP_UPROBE_GROUP "/%s/enable", name);
	ret = thp_trace_write(buf, "0");
	snprintf(buf, sizeof(buf), "-:" THP_UPROBE_GROUP "/%s", name);
	if (!ret)
		ret = thp_trace_write("uprobe_events", buf);
	return ret;
}

#endif /* THP_UPROBE_UTIL_H */
