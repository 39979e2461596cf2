// SPDX-License-Identifier: GPL-2.0
/*
 * request.c - the parts of a PID:ADDR request every mechanism shares:
 * strict parsing, finding the target mm with the caller's right to touch
 * it, the VMA eligibility rules, and the page-table walk to the PMD.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/mm.h>		/* before huge_mm.h */
#include <linux/huge_mm.h>
#include <linux/kernel.h>
#include <linux/pid.h>
#include <linux/ptrace.h>
#include <linux/sched/coredump.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/string.h>
#include <linux/userfaultfd_k.h>

#include "compat.h"
#include "ksyms.h"
#include "request.h"

/**
 * thp_req_try() - start a try of a request, or say it is over
 * @req: the request
 * @tries: the caller's count of tries, 0 before the first
 *
 * A transient failure (EAGAIN: a racing fault, a folio changing under us)
 * is tried again, THP_REQ_TRIES times in all, unless the request only tries
 * locks (the retry worker backs off instead) or a fatal signal is pending.
 * Usage: "int tries = 0; while (thp_req_try(req, &tries)) mechanism(req);".
 *
 * Context: process context.
 * Return: true, with req->result and req->detail reset, when a try is to
 * run; false when req->result is final.
 */
bool thp_req_try(struct thp_req *req, int *tries)
{
	if (*tries && (thp_result_errno(req->result) != EAGAIN || req->trylock ||
		       *tries >= THP_REQ_TRIES || fatal_signal_pending(current)))
		return false;
	(*tries)++;
	req->result = THP_SUCCEEDED;
	req->detail[0] = '\0';
	return true;
}

/**
 * thp_req_fail() - record a result and its explanation
 * @req: the request
 * @r: the result
 * @fmt: printf format of the detail text
 *
 * Return: @r, so that callers can "return thp_req_fail(...)".
 */
enum thp_result thp_req_fail(struct thp_req *req, enum thp_result r, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(req->detail, sizeof(req->detail), fmt, args);
	va_end(args);
	req->result = r;
	return r;
}

static bool thp_all(const char *s, int (*pred)(int c))
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!pred((unsigned char)*s))
			return false;
	return true;
}

static int thp_isdigit(int c)
{
	return isdigit(c);
}

static int thp_isxdigit(int c)
{
	return isxdigit(c);
}

/*
 * Copy a written request into @s as a C string: at most THP_REQ_MAX_INPUT
 * bytes, one trailing newline dropped, no embedded NUL.
 */
static int thp_req_copy_line(char *s, const char *buf, size_t len)
{
	if (len > THP_REQ_MAX_INPUT)
		return -EINVAL;
	memcpy(s, buf, len);
	s[len] = '\0';
	if (len && s[len - 1] == '\n')
		s[--len] = '\0';
	return strlen(s) == len ? 0 : -EINVAL;
}

/* A decimal PID, digits only, > 0. */
static int thp_parse_pid(const char *s, pid_t *pid)
{
	int v;

	if (!thp_all(s, thp_isdigit) || kstrtoint(s, 10, &v) || v <= 0)
		return -EINVAL;
	*pid = v;
	return 0;
}

/* An address: "0x"-prefixed hex or decimal, digits only. */
static int thp_parse_addr(const char *s, unsigned long *v)
{
	if (s[0] == '0' && s[1] == 'x')
		return thp_all(s + 2, thp_isxdigit) && !kstrtoul(s + 2, 16, v) ? 0 : -EINVAL;
	return thp_all(s, thp_isdigit) && !kstrtoul(s, 10, v) ? 0 : -EINVAL;
}

/*
 * "START-END": END exclusive and above START; both rounded outward to PMD
 * boundaries, at most THP_RANGE_MAX bytes after rounding.
 */
static int thp_parse_range(struct thp_req *req, char *s)
{
	char *dash = strchr(s, '-');
	unsigned long start, end;

	*dash = '\0';
	if (thp_parse_addr(s, &start) || thp_parse_addr(dash + 1, &end)) {
		thp_req_fail(req, THP_INVALID_INPUT, "expected PID:START-END");
		return -EINVAL;
	}
	if (end <= start) {
		thp_req_fail(req, THP_INVALID_INPUT, "END %#lx is not above START %#lx", end,
			     start);
		return -EINVAL;
	}
	if (end > ULONG_MAX - HPAGE_PMD_SIZE + 1 ||
	    ALIGN(end, HPAGE_PMD_SIZE) - (start & HPAGE_PMD_MASK) > THP_RANGE_MAX) {
		thp_req_fail(req, THP_INVALID_INPUT, "range over %lu GiB", THP_RANGE_MAX >> 30);
		return -EINVAL;
	}
	req->addr = start;
	req->haddr = start & HPAGE_PMD_MASK;
	req->end = ALIGN(end, HPAGE_PMD_SIZE);
	return 0;
}

/**
 * thp_req_parse() - parse "PID:ADDR" or "PID:START-END" strictly
 * @req: filled in on success
 * @buf: the kernel copy of what was written (need not be NUL-terminated)
 * @len: its length
 *
 * PID is decimal; ADDR, START and END are "0x"-prefixed hex or decimal. One
 * trailing newline is allowed. Anything else (no or extra fields, spaces,
 * signs, overflow, other characters, an embedded NUL, more than
 * THP_REQ_MAX_INPUT bytes) is refused. A range sets req->end (exclusive,
 * rounded up to a PMD boundary; req->haddr is START rounded down); END must
 * be above START and the rounded range at most THP_RANGE_MAX bytes. A
 * single address leaves req->end 0.
 *
 * Return: 0, or -EINVAL with req->detail saying why.
 */
int thp_req_parse(struct thp_req *req, const char *buf, size_t len)
{
	char s[THP_REQ_MAX_INPUT + 1];
	char *colon, *addr_s;
	unsigned long addr;

	memset(req, 0, sizeof(*req));
	if (thp_req_copy_line(s, buf, len))
		goto bad;
	colon = strchr(s, ':');
	if (!colon || strchr(colon + 1, ':'))
		goto bad;
	*colon = '\0';
	addr_s = colon + 1;

	if (thp_parse_pid(s, &req->pid))
		goto bad;
	if (strchr(addr_s, '-')) {
		if (strchr(addr_s, '-') != strrchr(addr_s, '-'))
			goto bad;
		return thp_parse_range(req, addr_s);
	}
	if (thp_parse_addr(addr_s, &addr))
		goto bad;
	req->addr = addr;
	req->haddr = addr & HPAGE_PMD_MASK;
	return 0;
bad:
	thp_req_fail(req, THP_INVALID_INPUT, "expected PID:ADDR or PID:START-END");
	return -EINVAL;
}

/**
 * thp_req_parse_pid() - parse "PID" strictly (debugfs "scan")
 * @req: filled in on success
 * @buf: the kernel copy of what was written
 * @len: its length
 *
 * Return: 0, or -EINVAL.
 */
int thp_req_parse_pid(struct thp_req *req, const char *buf, size_t len)
{
	char s[THP_REQ_MAX_INPUT + 1];

	memset(req, 0, sizeof(*req));
	if (thp_req_copy_line(s, buf, len) || thp_parse_pid(s, &req->pid)) {
		thp_req_fail(req, THP_INVALID_INPUT, "expected PID");
		return -EINVAL;
	}
	return 0;
}

/**
 * thp_req_parse_explain() - parse "PID:ADDR", or "PID" for a whole process
 * @req: filled in on success; req->all set for "PID"
 * @buf: the kernel copy of what was written
 * @len: its length
 *
 * Return: 0, or -EINVAL.
 */
int thp_req_parse_explain(struct thp_req *req, const char *buf, size_t len)
{
	if (memchr(buf, ':', len))
		return thp_req_parse(req, buf, len);
	if (thp_req_parse_pid(req, buf, len)) {
		snprintf(req->detail, sizeof(req->detail), "expected PID:ADDR or PID");
		return -EINVAL;
	}
	req->all = true;
	return 0;
}

/**
 * thp_req_get_mm() - find the target process and take a reference on its mm
 * @req: a parsed request; req->mm is set on success
 *
 * The caller needs PTRACE_MODE_ATTACH_REALCREDS access to the target (what
 * ptrace(PTRACE_ATTACH) checks with the caller's real uid: same uid and no
 * setuid/non-dumpable target, or CAP_SYS_PTRACE; Yama and LSMs may refuse
 * more). That is stricter than process_madvise() (PTRACE_MODE_READ_FSCREDS
 * plus CAP_SYS_NICE).
 *
 * The check and get_task_mm() are done under the target's exec_update_lock,
 * as mm_access() does: execve() swaps the mm and then the credentials with
 * that lock held for write, so the mm taken is the one whose owner the check
 * saw. Without the lock a target that execs a setuid binary in between
 * would hand the caller the privileged image's mm.
 *
 * Context: process context, may sleep.
 * Return: THP_SUCCEEDED or the refusal.
 */
enum thp_result thp_req_get_mm(struct thp_req *req)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct pid *pid;

	pid = find_get_pid(req->pid);
	task = pid ? get_pid_task(pid, PIDTYPE_PID) : NULL;
	put_pid(pid);
	if (!task)
		return thp_req_fail(req, THP_NO_PROCESS, "pid %d", req->pid);

	if (down_read_killable(&task->signal->exec_update_lock)) {
		put_task_struct(task);
		return thp_req_fail(req, THP_INTERRUPTED, "waiting for pid %d's exec", req->pid);
	}
	mm = get_task_mm(task);
	if (!mm) {
		thp_req_fail(req, THP_NO_MM, "pid %d has no mm", req->pid);
	/* takes task_lock() itself */
	} else if (!thp_ksym_fn(ptrace_may_access)(task, PTRACE_MODE_ATTACH_REALCREDS)) {
		mmput(mm);
		mm = NULL;
		thp_req_fail(req, THP_NO_ACCESS, "pid %d", req->pid);
	}
	up_read(&task->signal->exec_update_lock);
	put_task_struct(task);
	req->mm = mm;
	return mm ? THP_SUCCEEDED : req->result;
}

/**
 * thp_req_put_mm() - drop the reference thp_req_get_mm() took
 * @req: the request
 *
 * Context: process context, may sleep (mmput).
 */
void thp_req_put_mm(struct thp_req *req)
{
	if (req->mm)
		mmput(req->mm);
	req->mm = NULL;
}

/**
 * thp_req_check_vma() - may the PMD range of a request hold a file THP?
 * @req: the request
 * @vma: the VMA at req->addr
 *
 * The VMA must cover the whole aligned range, be a plain file mapping
 * (not hugetlb, DAX, PFN or mixed map) at a PMD-aligned offset or private
 * anonymous memory, and allow THPs. Sysfs THP settings are not consulted:
 * like upstream collapse_pte_mapped_thp() and MADV_COLLAPSE, a THP that
 * already exists is fair game.
 *
 * Context: mmap lock held (read or write).
 * Return: THP_SUCCEEDED or the refusal.
 */
enum thp_result thp_req_check_vma(struct thp_req *req, struct vm_area_struct *vma)
{
	unsigned long end = req->haddr + HPAGE_PMD_SIZE;

	mmap_assert_locked(vma->vm_mm);
	req->anon = vma_is_anonymous(vma);
	if (vma->vm_start > req->haddr || vma->vm_end < end)
		return thp_req_fail(req, THP_VMA_RANGE, "vma %lx-%lx does not cover %lx-%lx",
				    vma->vm_start, vma->vm_end, req->haddr, end);
	if (vma_is_dax(vma) || is_vm_hugetlb_page(vma) ||
	    (vma->vm_flags & (VM_PFNMAP | VM_MIXEDMAP | VM_IO)) ||
	    (!vma->vm_file && !vma_is_anonymous(vma)))
		return thp_req_fail(req, THP_VMA_TYPE, "vm_flags %#lx%s", vma->vm_flags,
				    vma->vm_file ? "" : ", special mapping");
	if (vma->vm_flags & VM_NOHUGEPAGE)
		return thp_req_fail(req, THP_VMA_NOHUGEPAGE, "madvise(MADV_NOHUGEPAGE)");
	if (thp_mm_thp_disabled(vma->vm_mm))
		return thp_req_fail(req, THP_THP_DISABLED, "prctl(PR_SET_THP_DISABLE)");
	if (vma->vm_file && ((vma->vm_start >> PAGE_SHIFT) - vma->vm_pgoff) & (HPAGE_PMD_NR - 1))
		return thp_req_fail(req, THP_MISALIGNED, "pgoff %#lx at %lx", vma->vm_pgoff,
				    vma->vm_start);
	if (userfaultfd_armed(vma))
		return thp_req_fail(req, THP_UFFD, "userfaultfd registered");
	return THP_SUCCEEDED;
}

/**
 * thp_req_lock() - take the target mm's mmap lock for a request
 * @req: a request holding the target mm
 * @write: for write (else read)
 *
 * With req->trylock the lock is only tried (THP_LOCK_CONTENDED when it is
 * taken); otherwise waited for, killably. thp_req_unlock() drops it.
 *
 * Context: process context, may sleep.
 * Return: THP_SUCCEEDED with the lock held, or the failure (also in
 * req->result).
 */
enum thp_result thp_req_lock(struct thp_req *req, bool write)
{
	struct mm_struct *mm = req->mm;

	if (req->trylock) {
		if (!thp_mmap_trylock(mm, write))
			return thp_req_fail(req, THP_LOCK_CONTENDED, "mmap_lock held");
	} else if (write ? mmap_write_lock_killable(mm) : mmap_read_lock_killable(mm)) {
		return thp_req_fail(req, THP_INTERRUPTED, "waiting for mmap_lock");
	}
	req->mmap_locked = true;
	req->mmap_write = write;
	return THP_SUCCEEDED;
}

/**
 * thp_req_lock_vma() - lock the target mm and find the request's VMA
 * @req: a request holding the target mm
 * @write: take the mmap lock for write (else read)
 * @vmap: the VMA at req->addr, checked by thp_req_check_vma(), or NULL
 *
 * With req->trylock the lock is only tried (THP_LOCK_CONTENDED when it is
 * taken); otherwise waited for, killably. On success and on a refusal of
 * the VMA the lock is held: thp_req_unlock() in every case.
 *
 * Context: process context, may sleep.
 * Return: THP_SUCCEEDED with *vmap set, or the refusal (also in req->result).
 */
enum thp_result thp_req_lock_vma(struct thp_req *req, bool write, struct vm_area_struct **vmap)
{
	struct mm_struct *mm = req->mm;
	struct vm_area_struct *vma;

	*vmap = NULL;
	if (thp_req_lock(req, write) != THP_SUCCEEDED)
		return req->result;
	vma = vma_lookup(mm, req->addr);
	if (!vma)
		return thp_req_fail(req, THP_NO_VMA, "nothing mapped at %lx", req->addr);
	if (thp_req_check_vma(req, vma) != THP_SUCCEEDED)
		return req->result;
	*vmap = vma;
	return THP_SUCCEEDED;
}

/**
 * thp_req_unlock() - drop the mmap lock thp_req_lock_vma() took, if it did
 * @req: the request
 */
void thp_req_unlock(struct thp_req *req)
{
	if (!req->mmap_locked)
		return;
	if (req->mmap_write)
		mmap_write_unlock(req->mm);
	else
		mmap_read_unlock(req->mm);
	req->mmap_locked = false;
}

/**
 * thp_mm_pid() - name the process of an mm, from a hook
 * @mm: the address space
 *
 * Context: any; never sleeps.
 * Return: the tgid of the mm's owner (CONFIG_MEMCG), else 0.
 */
pid_t thp_mm_pid(struct mm_struct *mm)
{
	pid_t pid = 0;
#ifdef CONFIG_MEMCG
	struct task_struct *owner;

	rcu_read_lock();
	owner = rcu_dereference(mm->owner);
	if (owner)
		pid = task_tgid_nr(owner);
	rcu_read_unlock();
#endif
	return pid;
}
