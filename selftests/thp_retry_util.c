// SPDX-License-Identifier: GPL-2.0
/*
 * thp_retry_util.c - helpers shared by the thp_retry selftests and tools:
 * loading the module, small files, khugepaged, huge tmpfs mounts, aligned
 * mappings, pagemap and kpageflags, contents patterns, the debugfs requests
 * and stats, the retry queue's parameters and files, and children talking
 * over pipes. Declared in thp_retry_util.h; links into every test but
 * ibt_check_test.
 */
#define _GNU_SOURCE
#include "thp_retry_util.h"

/* Path of thp_retry.ko: $THP_RETRY_KO, or where the VM runner puts it. */
const char *thp_ko_path(void)
{
	const char *p = getenv("THP_RETRY_KO");

	return p ? p : "/lib/modules/thp_retry.ko";
}

/*
 * Was thp_retry.ko built with THP_TESTING=y (its fault-injection
 * parameters exist)? Read from the file, so it works before a load.
 */
bool thp_testing_build(void)
{
	static const char tag[] = "parmtype=ksym_test_missing:";
	int fd = open(thp_ko_path(), O_RDONLY | O_CLOEXEC);
	bool found = false;
	char *buf;
	ssize_t n;
	off_t size;

	if (fd < 0)
		return false;
	size = lseek(fd, 0, SEEK_END);
	buf = size > 0 ? malloc(size) : NULL;
	if (buf) {
		n = pread(fd, buf, size, 0);
		found = n > 0 && memmem(buf, n, tag, sizeof(tag) - 1);
		free(buf);
	}
	close(fd);
	return found;
}

/* finit_module() on thp_retry.ko; returns 0 or -errno. */
int thp_load(const char *params)
{
	int fd = open(thp_ko_path(), O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

/* delete_module("thp_retry"); returns 0 or -errno. */
int thp_unload(void)
{
	return syscall(SYS_delete_module, THP_MODNAME, O_NONBLOCK) ? -errno : 0;
}

int thp_loaded(void)
{
	struct stat st;

	return stat("/sys/module/" THP_MODNAME, &st) == 0;
}

/* Make sure the module is loaded with no parameters; returns 0 or -errno. */
int thp_reload_plain(void)
{
	if (thp_loaded() && thp_unload())
		return -errno;
	return thp_load(NULL);
}

/* Read a whole (small) file into buf; returns bytes read or -errno. */
ssize_t thp_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, total = 0;

	if (fd < 0)
		return -errno;
	while ((size_t)total < size - 1) {
		n = read(fd, buf + total, size - 1 - total);
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		total += n;
	}
	buf[total] = '\0';
	close(fd);
	return total;
}

/* Does the kernel log contain @needle? Reads the whole ring buffer. */
int thp_klog_contains(const char *needle)
{
	static char buf[1 << 20];
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf) - 1);

	if (n < 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

/* Write @str to @path; returns 0 or -errno. */
int thp_write_file(const char *path, const char *str)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int ret = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, str, strlen(str));
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != strlen(str))
		ret = -EIO;
	close(fd);
	return ret;
}

/* The selected word of a sysfs choice file ("a [b] c" gives "b"); 0 or -errno. */
int thp_sysfs_choice(const char *path, char *out, size_t size)
{
	char buf[256], *s, *e;
	ssize_t n = thp_read_file(path, buf, sizeof(buf));

	if (n < 0)
		return n;
	s = strchr(buf, '[');
	e = s ? strchr(s, ']') : NULL;
	if (!s || !e || (size_t)(e - s) > size)
		return -EINVAL;
	memcpy(out, s + 1, e - s - 1);
	out[e - s - 1] = '\0';
	return 0;
}

/* PMD size from sysfs, or -errno. */
long thp_pmd_size(void)
{
	char buf[64];
	ssize_t n = thp_read_file(THP_SYSFS "/hpage_pmd_size", buf, sizeof(buf));
	long size;

	if (n < 0)
		return n;
	size = strtol(buf, NULL, 10);
	return size > 0 ? size : -EINVAL;
}

/*
 * How many PMD ranges (@pmd bytes each) a test or tool works on: @want, but
 * no more than fit in @budget bytes, and no fewer than @min. A count chosen
 * for 2 MiB PMDs then keeps its memory use where PMDs are larger (32 MiB
 * with 16 KiB pages), with fewer ranges.
 */
size_t thp_pmd_ranges(size_t pmd, size_t want, size_t budget, size_t min)
{
	size_t n = budget / pmd;

	if (n > want)
		n = want;
	return n < min ? min : n;
}

/* khugepaged's pid, or 0. */
pid_t thp_khugepaged_pid(void)
{
	char path[64], comm[32];
	struct dirent *d;
	pid_t pid = 0;
	DIR *dir = opendir("/proc");

	while (dir && !pid && (d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.16s/comm", d->d_name);
		if (thp_read_file(path, comm, sizeof(comm)) > 0 && !strcmp(comm, "khugepaged\n"))
			pid = atoi(d->d_name);
	}
	if (dir)
		closedir(dir);
	return pid;
}

/* khugepaged's CPU time in clock ticks (utime + stime), or -1. */
long long thp_khugepaged_ticks(pid_t pid)
{
	char path[64], buf[512], *p;
	unsigned long long ut, st;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (thp_read_file(path, buf, sizeof(buf)) <= 0 || !(p = strrchr(buf, ')')))
		return -1;
	/* after "(comm)": state ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime stime
	 */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return ut + st;
}

/*
 * khugepaged remaps pte-mapped THPs by itself every scan_sleep_millisecs;
 * tests that look at a split range stretch its sleep to an hour. Saves the
 * old value in @saved ("" if it cannot be read). The store wakes khugepaged
 * for one pass: give it time to finish before anything is mapped.
 */
/*
 * khugepaged sleeps scan_sleep_millisecs only while it has an mm to scan.
 * With none (every registered process gone) it waits for the next mm to be
 * registered and then scans at once, whatever the sleep
 * (khugepaged_wait_work()): the first THP a test maps would wake it, and it
 * may collapse (copy) a range the test has just split. Register this
 * process now: a faulted anonymous VMA with MADV_HUGEPAGE enters it
 * (khugepaged_enter_vma() wants an anon_vma). khugepaged keeps an mm on
 * its list until the mm exits, so the mapping can go at once.
 */
static void khugepaged_register_self(void)
{
	long pmd = thp_pmd_size();
	size_t len = 2 * (size_t)pmd;
	char *p;

	if (pmd <= 0)		/* no THP support: no khugepaged to keep away */
		return;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return;
	p[len - 1] = 1;
	madvise(p, len, MADV_HUGEPAGE);
	munmap(p, len);
}

void thp_khugepaged_pause(char *saved, size_t size)
{
	long long last = -1, now;
	pid_t pid;
	int i, still = 0;

	saved[0] = '\0';
	if (thp_read_file(THP_KHD_SLEEP, saved, size) <= 0)
		return;
	saved[strcspn(saved, "\n")] = '\0';
	if (thp_write_file(THP_KHD_SLEEP, "3600000")) {
		saved[0] = '\0';
		return;
	}
	khugepaged_register_self();
	/*
	 * The store (and the registration) woke khugepaged for one pass,
	 * which may collapse (copy) ranges the test is about to make: wait
	 * until its CPU time has not moved for 100 ms (at most 3 s), i.e. it
	 * is back asleep.
	 */
	pid = thp_khugepaged_pid();
	for (i = 0; i < 150 && still < 5; i++) {
		usleep(20 * 1000);
		now = pid ? thp_khugepaged_ticks(pid) : -1;
		still = now >= 0 && now == last ? still + 1 : 0;
		last = now;
		if (now < 0 && i >= 2)
			break;
	}
}

void thp_khugepaged_resume(char *saved)
{
	if (saved[0])
		thp_write_file(THP_KHD_SLEEP, saved);
	saved[0] = '\0';
}

/* mkdtemp() under /tmp and mount a tmpfs with @opts on it; 0 or -errno. */
int thp_mount_tmpfs(char *dir, size_t size, const char *opts)
{
	int ret;

	snprintf(dir, size, "/tmp/thp_retry.XXXXXX");
	if (!mkdtemp(dir)) {
		ret = -errno;
		dir[0] = '\0';
		return ret;
	}
	if (mount("none", dir, "tmpfs", 0, opts)) {
		ret = -errno;
		rmdir(dir);
		dir[0] = '\0';
		return ret;
	}
	return 0;
}

/* Lazy unmount (mappings may still exist) and remove the directory. */
void thp_umount(char *dir)
{
	if (!dir[0])
		return;
	umount2(dir, MNT_DETACH);
	rmdir(dir);
	dir[0] = '\0';
}

/*
 * Map @len bytes at an @align-aligned address: reserve len + align bytes of
 * PROT_NONE, MAP_FIXED the real mapping into it, unmap the rest.
 */
void *thp_map_aligned(size_t len, size_t align, int prot, int flags, int fd, off_t off)
{
	size_t total = len + align;
	char *res, *p;

	res = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		return MAP_FAILED;
	p = (char *)(((uintptr_t)res + align - 1) & ~(uintptr_t)(align - 1));
	if (mmap(p, len, prot, flags | MAP_FIXED, fd, off) == MAP_FAILED) {
		int err = errno;

		munmap(res, total);
		errno = err;
		return MAP_FAILED;
	}
	if (p > res)
		munmap(res, p - res);
	if (res + total > p + len)
		munmap(p + len, res + total - (p + len));
	return p;
}

/* Field @field ("ShmemPmdMapped") in kB of @pid's VMA containing @addr; -1 if none. */
long thp_smaps_kb(pid_t pid, const void *addr, const char *field)
{
	unsigned long start, end, a = (unsigned long)addr;
	size_t flen = strlen(field), cap = 0;
	char path[64], perms[8], *line = NULL;
	bool in = false;
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0) {
		if (sscanf(line, "%lx-%lx %7s", &start, &end, perms) == 3) {
			if (in)
				break;
			in = a >= start && a < end;
		} else if (in && !strncmp(line, field, flen) && line[flen] == ':') {
			kb = strtol(line + flen + 1, NULL, 10);
			break;
		}
	}
	free(line);
	fclose(f);
	return kb;
}

/* @nr pagemap entries of @pid from @addr; 0 or -errno. */
int thp_pagemap(pid_t pid, const void *addr, size_t nr, uint64_t *ent)
{
	size_t ps = sysconf(_SC_PAGESIZE);
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, ent, nr * 8, (uintptr_t)addr / ps * 8);
	close(fd);
	if (n < 0)
		return -errno;
	return (size_t)n == nr * 8 ? 0 : -EIO;
}

/* @nr /proc/kpageflags entries from @pfn; 0 or -errno. */
int thp_kpageflags(uint64_t pfn, size_t nr, uint64_t *flags)
{
	int fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pread(fd, flags, nr * 8, pfn * 8);
	close(fd);
	if (n < 0)
		return -errno;
	return (size_t)n == nr * 8 ? 0 : -EIO;
}

/*
 * Do the @nr pages at @addr in @pid map one whole THP, in order: all
 * present, consecutive PFNs from a compound head, THP bit on every page?
 * Sets *@head to the head PFN. On false, @why says what is wrong.
 */
bool thp_range_is_thp(pid_t pid, const void *addr, size_t nr, uint64_t *head,
		      char *why, size_t whylen)
{
	uint64_t *pm = calloc(nr, 8), *kf = calloc(nr, 8), pfn0;
	bool ok = false;
	size_t i;
	int ret;

	snprintf(why, whylen, "out of memory");
	if (!pm || !kf)
		goto out;
	ret = thp_pagemap(pid, addr, nr, pm);
	if (ret) {
		snprintf(why, whylen, "pagemap: %s", strerror(-ret));
		goto out;
	}
	pfn0 = pm[0] & PM_PFN_MASK;
	for (i = 0; i < nr; i++) {
		if (!(pm[i] & PM_PRESENT)) {
			snprintf(why, whylen, "page %zu not present", i);
			goto out;
		}
		if ((pm[i] & PM_PFN_MASK) != pfn0 + i) {
			snprintf(why, whylen, "page %zu pfn %#llx, page 0 pfn %#llx", i,
				 (unsigned long long)(pm[i] & PM_PFN_MASK),
				 (unsigned long long)pfn0);
			goto out;
		}
	}
	if (!pfn0) {
		snprintf(why, whylen, "pfn 0: PFNs hidden?");
		goto out;
	}
	ret = thp_kpageflags(pfn0, nr, kf);
	if (ret) {
		snprintf(why, whylen, "kpageflags: %s", strerror(-ret));
		goto out;
	}
	for (i = 0; i < nr; i++) {
		uint64_t want = KPF_THP_BIT | (i ? KPF_TAIL : KPF_HEAD);

		if ((kf[i] & want) != want) {
			snprintf(why, whylen, "page %zu pfn %#llx kpageflags %#llx: not %s",
				 i, (unsigned long long)(pfn0 + i), (unsigned long long)kf[i],
				 i ? "a THP tail" : "a THP head");
			goto out;
		}
	}
	*head = pfn0;
	why[0] = '\0';
	ok = true;
out:
	free(pm);
	free(kf);
	return ok;
}

/* Fill @len bytes at @p, which shows file offset @off. */
void thp_fill(void *p, size_t len, uint64_t off, unsigned int gen)
{
	uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = thp_pattern(off + i * 8, gen);
}

/* Offset of the first wrong word in @len bytes at @p, or -1. */
long thp_verify(const void *p, size_t len, uint64_t off, unsigned int gen)
{
	const volatile uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i] != thp_pattern(off + i * 8, gen))
			return i * 8;
	return -1;
}

/* Read every page (fault it in) without changing it. */
void thp_touch(const void *p, size_t len)
{
	const volatile char *c = p;
	size_t ps = sysconf(_SC_PAGESIZE), i;

	for (i = 0; i < len; i += ps)
		(void)c[i];
}

/* Read the result line of the last request on @fd into @res, newline stripped. */
void thp_read_result(int fd, char *res, size_t reslen)
{
	size_t got = 0;
	ssize_t n;

	while (got < reslen - 1) {
		n = read(fd, res + got, reslen - 1 - got);
		if (n <= 0)
			break;
		got += n;
		if (memchr(res + got - n, '\n', n))
			break;
	}
	res[got] = '\0';
	res[strcspn(res, "\n")] = '\0';
}

/*
 * Write one request (@len bytes) to @fd, an O_RDWR fd of a request file,
 * then read its result line into @res. Returns 0 if the write took all @len
 * bytes, else -errno (-EMSGSIZE for a short count).
 */
int thp_request_fd(int fd, const void *req, size_t len, char *res, size_t reslen)
{
	ssize_t n = write(fd, req, len);
	int ret = n < 0 ? -errno : (size_t)n == len ? 0 : -EMSGSIZE;

	thp_read_result(fd, res, reslen);
	return ret;
}

/* As thp_request_fd() on a fresh fd of THP_DEBUGFS/@name ("split", "collapse"). */
int thp_request_raw(const char *name, const void *req, size_t len, char *res, size_t reslen)
{
	char path[128];
	int fd, ret;

	snprintf(path, sizeof(path), THP_DEBUGFS "/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(res, reslen, "(open %s: %s)", path, strerror(errno));
		return ret;
	}
	ret = thp_request_fd(fd, req, len, res, reslen);
	close(fd);
	return ret;
}

/* "PID:0xADDR" to THP_DEBUGFS/@name. */
int thp_request(const char *name, pid_t pid, const void *addr, char *res, size_t reslen)
{
	char req[64];

	snprintf(req, sizeof(req), "%d:0x%lx", pid, (unsigned long)addr);
	return thp_request_raw(name, req, strlen(req), res, reslen);
}

/*
 * "explain PID:0xADDR": the result a collapse of the range would return (the
 * "would=" field) into @would. Returns 0, or the explain request's -errno
 * with its own result name in @would.
 */
int thp_explain_would(pid_t pid, const void *addr, char *would, size_t size)
{
	char req[64], out[1024];
	const char *p;
	int ret;

	snprintf(req, sizeof(req), "%d:0x%lx", pid, (unsigned long)addr);
	ret = thp_request_raw("explain", req, strlen(req), out, sizeof(out));
	p = ret ? out : strstr(out, " would=");
	if (!p) {
		snprintf(would, size, "(no would= in: %.64s)", out);
		return 0;
	}
	if (!ret)
		p += strlen(" would=");
	snprintf(would, size, "%.*s", (int)strcspn(p, " \n"), p);
	return ret;
}

/* Is the first word of result line @res @word? */
bool thp_result_is(const char *res, const char *word)
{
	size_t n = strlen(word);

	return !strncmp(res, word, n) && (res[n] == ' ' || res[n] == '\0');
}

/* engine=native|kernel at runtime; 0 or -errno. */
int thp_set_engine(const char *engine)
{
	return thp_write_file(THP_ENGINE, engine);
}

bool thp_kernel_engine_disabled(void)
{
	char buf[4096];

	return thp_read_file(THP_DEBUGFS "/features", buf, sizeof(buf)) > 0 &&
	       strstr(buf, "kernel-engine disabled");
}

/* Value of line "@name N" in THP_DEBUGFS/stats, or -1. */
long long thp_stat(const char *name)
{
	static char buf[16384];
	size_t n = strlen(name);
	char *l;

	if (thp_read_file(THP_DEBUGFS "/stats", buf, sizeof(buf)) <= 0)
		return -1;
	for (l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, name, n) && l[n] == ' ')
			return strtoll(l + n + 1, NULL, 10);
	return -1;
}

/* A /proc/vmstat counter (thp_collapse_alloc: khugepaged's copies), or -1. */
long long thp_vmstat(const char *name)
{
	static char buf[16384];
	size_t n = strlen(name);
	char *l;

	if (thp_read_file("/proc/vmstat", buf, sizeof(buf)) <= 0)
		return -1;
	for (l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, name, n) && l[n] == ' ')
			return strtoll(l + n + 1, NULL, 10);
	return -1;
}

/* SIGKILL *@pid if set, reap it if it is our child; clears it. */
void thp_kill_reap(pid_t *pid)
{
	if (*pid <= 0)
		return;
	kill(*pid, SIGKILL);
	waitpid(*pid, NULL, 0);
	*pid = 0;
}

uint64_t thp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Module parameter @name ("scan_sleep_ms") into @buf, newline stripped; 0 or -errno. */
int thp_param_get(const char *name, char *buf, size_t size)
{
	char path[128];
	ssize_t n;

	snprintf(path, sizeof(path), THP_PARAMS "%s", name);
	n = thp_read_file(path, buf, size);
	if (n < 0)
		return n;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Set module parameter @name to @val; 0 or -errno. */
int thp_param_set(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), THP_PARAMS "%s", name);
	return thp_write_file(path, val);
}

int thp_param_set_ul(const char *name, unsigned long val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lu", val);
	return thp_param_set(name, buf);
}

/* "PID:0xADDR" to THP_DEBUGFS/queue; 0, or -errno of the write. */
int thp_queue_req(pid_t pid, const void *addr)
{
	char req[64];

	snprintf(req, sizeof(req), "%d:0x%lx", pid, (unsigned long)addr);
	return thp_write_file(THP_DEBUGFS "/queue", req);
}

/* Lines of THP_DEBUGFS/queue for @pid (every line if @pid is 0); -errno on error. */
long thp_queue_count(pid_t pid)
{
	FILE *f = fopen(THP_DEBUGFS "/queue", "re");
	size_t cap = 0;
	char *line = NULL;
	long n = 0;
	int p;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0)
		if (!pid || (sscanf(line, "%d ", &p) == 1 && p == pid))
			n++;
	free(line);
	fclose(f);
	return n;
}

/*
 * Poll until THP_DEBUGFS/queue has no line for @pid (none at all if 0), at
 * most @ms milliseconds. Returns the lines left (0: drained) or -errno.
 */
long thp_queue_wait(pid_t pid, unsigned int ms)
{
	uint64_t end = thp_now_ns() + ms * 1000000ULL;
	long n;

	for (;;) {
		n = thp_queue_count(pid);
		if (n <= 0 || thp_now_ns() >= end)
			return n;
		usleep(20 * 1000);
	}
}

/* pipe2(O_CLOEXEC) for thp_kid_fork(), whose callers may lack _GNU_SOURCE. */
int thp_pipe_cloexec(int fds[2])
{
	return pipe2(fds, O_CLOEXEC);
}

/* Reap @pid and forget it in @kids (@nkids slots); returns its wait status. */
int thp_kid_wait(pid_t *kids, int nkids, pid_t pid)
{
	int status = -1, i;

	if (waitpid(pid, &status, 0) != pid)
		status = -1;
	for (i = 0; i < nkids; i++)
		if (kids[i] == pid)
			kids[i] = 0;
	return status;
}

/* Read exactly @len bytes from @fd within @ms; 0 or -1. */
int recv_all(int fd, void *buf, size_t len, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if (poll(&pfd, 1, ms) != 1)
			return -1;
		n = read(fd, (char *)buf + got, len - got);
		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

int recv_byte(int fd, int ms)
{
	unsigned char ch;

	return recv_all(fd, &ch, 1, ms) ? -1 : ch;
}
