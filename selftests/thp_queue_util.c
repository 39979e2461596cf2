// SPDX-License-Identifier: GPL-2.0
/*
 * thp_queue_util.c - helpers of thp_retry_queue: the module parameters a
 * test may change, saved and restored; writes to the queue's debugfs files
 * and their lines parsed; a sparse contents pattern for large areas; a
 * thread that keeps its process's mmap lock busy. Declared in
 * thp_queue_util.h.
 */
#define _GNU_SOURCE
#include <pthread.h>

#include "kselftest.h"
#include "thp_queue_util.h"

/* Module parameters a test may change; all are restored at teardown. */
const char *const qparams[NR_QPARAMS] = {
	"engine", "max_attempts", "queue_cap", "queue_delay_ms", "scan_sleep_ms", "lock_retries",
	"lock_retry_ms",
};

/*
 * Undo what setup and the test did: children killed, the module loaded,
 * the parameters saved at setup restored, khugepaged resumed, the tmpfs
 * mounts gone. Prints the test's duration.
 */
void q_cleanup(struct qctx *c)
{
	int i;

	if (c->t0)
		ksft_print_msg("took %.1f s\n", (thp_now_ns() - c->t0) / 1e9);
	c->t0 = 0;
	for (i = 0; i < MAX_KIDS; i++)
		thp_kill_reap(&c->kids[i]);
	if (!thp_loaded())
		thp_load(NULL);
	for (i = 0; i < NR_QPARAMS; i++)
		if (c->saved[i][0])
			thp_param_set(qparams[i], c->saved[i]);
	memset(c->saved, 0, sizeof(c->saved));
	thp_khugepaged_resume(c->khd_sleep);
	thp_umount(c->dir);
	thp_umount(c->small_dir);
}

/* The value of parameter @name at setup. */
const char *saved_param(struct qctx *c, const char *name)
{
	int i;

	for (i = 0; i < NR_QPARAMS; i++)
		if (!strcmp(qparams[i], name))
			return c->saved[i];
	return "";
}

/* Write @len bytes to THP_DEBUGFS/@name in one write(); 0 or -errno. */
int write_raw(const char *name, const void *buf, size_t len)
{
	char path[128];
	ssize_t n;
	int fd, ret;

	snprintf(path, sizeof(path), THP_DEBUGFS "/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	ret = n < 0 ? -errno : (size_t)n == len ? 0 : -EMSGSIZE;
	close(fd);
	return ret;
}

/*
 * Large areas get generation-0 words at two places of each page only (word
 * 0 and a word that depends on the page's offset), which tells every page
 * from any other at a fraction of the cost of thp_fill() under TCG.
 */
static size_t sparse_word(uint64_t off, size_t ps)
{
	return 1 + (off / ps) % (ps / 8 - 1);
}

void fill_sparse(char *p, size_t len, uint64_t off)
{
	size_t ps = getpagesize(), i, k;

	for (i = 0; i < len; i += ps) {
		k = sparse_word(off + i, ps);
		((uint64_t *)(p + i))[0] = thp_pattern(off + i, 0);
		((uint64_t *)(p + i))[k] = thp_pattern(off + i + k * 8, 0);
	}
}

/* Offset of the first wrong word of fill_sparse(), or -1. */
long verify_sparse(const char *p, size_t len, uint64_t off)
{
	size_t ps = getpagesize(), i, k;

	for (i = 0; i < len; i += ps) {
		k = sparse_word(off + i, ps);
		if (((const volatile uint64_t *)(p + i))[0] != thp_pattern(off + i, 0))
			return i;
		if (((const volatile uint64_t *)(p + i))[k] != thp_pattern(off + i + k * 8, 0))
			return i + k * 8;
	}
	return -1;
}

/*
 * Parse THP_DEBUGFS/@name; @out gets the last @max lines, oldest first.
 * Every line must have exactly the documented form. Returns the number of
 * lines in the file, -errno, or -EPROTO with the offending line in @bad.
 */
int read_lines(const char *name, struct qline *out, int max, char *bad, size_t badlen)
{
	char path[128], *line = NULL, again[160];
	size_t cap = 0;
	ssize_t len;
	int n = 0, ret = 0;
	FILE *f;

	snprintf(path, sizeof(path), THP_DEBUGFS "/%s", name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	bad[0] = '\0';
	while ((len = getline(&line, &cap, f)) > 0) {
		struct qline q;

		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (sscanf(line, "%d 0x%lx %u %47s", &q.pid, &q.addr, &q.attempts, q.res) != 4 ||
		    (snprintf(again, sizeof(again), "%d %#lx %u %s", q.pid, q.addr, q.attempts,
			      q.res), strcmp(again, line))) {
			snprintf(bad, badlen, "%s", line);
			ret = -EPROTO;
			break;
		}
		out[n++ % max] = q;
	}
	free(line);
	fclose(f);
	if (ret)
		return ret;
	if (n > max) {		/* rotate the ring: oldest first */
		struct qline *tmp = malloc(max * sizeof(*tmp));
		int i;

		if (!tmp)
			return -ENOMEM;
		for (i = 0; i < max; i++)
			tmp[i] = out[(n + i) % max];
		memcpy(out, tmp, max * sizeof(*tmp));
		free(tmp);
	}
	return n;
}

bool collapsed_result(const char *res)
{
	return !strcmp(res, "succeeded") || !strcmp(res, "already_pmd_mapped");
}

/* The last line of @d (@n lines) for @pid and @addr, or NULL. */
const struct qline *last_for(const struct qline *d, int n, pid_t pid, const void *addr)
{
	while (n--)
		if (d[n].pid == pid && d[n].addr == (unsigned long)addr)
			return &d[n];
	return NULL;
}

static void *blocker_fn(void *arg)
{
	struct blocker *b = arg;

	while (!__atomic_load_n(&b->stop, __ATOMIC_ACQUIRE)) {
		if (mprotect(b->map, b->len, PROT_READ) || mprotect(b->map, b->len, RW)) {
			__atomic_store_n(&b->err, errno, __ATOMIC_RELEASE);
			break;
		}
		__atomic_add_fetch(&b->ops, 1, __ATOMIC_RELEASE);
		if (b->pause_us)
			usleep(b->pause_us);
	}
	return NULL;
}

/*
 * Map and fill @map_len bytes (small pages), start the thread on the first
 * @len, sleeping @pause_us between rounds; 0 or -errno.
 */
int blocker_start(struct blocker *b, size_t map_len, size_t len, unsigned int pause_us)
{
	int ret;

	memset(b, 0, sizeof(*b));
	b->map = mmap(NULL, map_len, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->map == MAP_FAILED)
		return -errno;
	madvise(b->map, map_len, MADV_NOHUGEPAGE);
	memset(b->map, 0x6b, map_len);
	b->map_len = map_len;
	b->len = len;
	b->pause_us = pause_us;
	ret = pthread_create(&b->th, NULL, blocker_fn, b);
	if (ret) {
		munmap(b->map, map_len);
		return -ret;
	}
	b->running = true;
	while (!__atomic_load_n(&b->ops, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&b->err, __ATOMIC_ACQUIRE))
		usleep(1000);
	return -b->err;
}

/* Stop the thread; returns the mprotect pairs it made. */
unsigned long blocker_stop(struct blocker *b)
{
	if (!b->running)
		return 0;
	__atomic_store_n(&b->stop, 1, __ATOMIC_RELEASE);
	pthread_join(b->th, NULL);
	munmap(b->map, b->map_len);
	b->running = false;
	return b->ops;
}

/* delete_module, retried while something still holds the module; 0 or -errno. */
int unload_retry(void)
{
	int ret = -EBUSY, i;

	for (i = 0; i < 100; i++) {
		ret = thp_unload();
		if (ret != -EAGAIN && ret != -EBUSY)
			break;
		usleep(50 * 1000);
	}
	return ret;
}
