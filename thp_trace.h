/* SPDX-License-Identifier: GPL-2.0 */
/*
 * thp_trace.h - the module's tracepoints, system "thp_retry": one event per
 * split, collapse, queue decision, worker attempt and uprobe range change.
 * Documentation/tracing.rst lists the fields and a perf or bpftrace line for
 * each. Result names come from results_list.h, as debugfs shows them.
 *
 * A disabled event costs a static branch: durations are only measured while
 * their event is enabled (trace_thp_*_enabled()).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM thp_retry

#if !defined(THP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define THP_TRACE_H

#include <linux/tracepoint.h>
#include "compat_probe.h"
#include "request.h"
#include "results.h"

/* 6.10+: __assign_str() takes the source from __string() */
#ifdef THP_HAVE_ASSIGN_STR_1
#define thp_assign_str(dst, src)	do { __assign_str(dst); (void)(src); } while (0)
#else
#define thp_assign_str(dst, src)	__assign_str(dst, src)
#endif

/*
 * A split or collapse request has ended (after its retries): who, where,
 * how it ended and how long it took.
 */
DECLARE_EVENT_CLASS(thp_request,
		    TP_PROTO(const struct thp_req *req, const char *engine, int tries, u64 ns),
		    TP_ARGS(req, engine, tries, ns),
		    TP_STRUCT__entry(__field(pid_t, pid)
				     __field(unsigned long, addr)
				     __field(bool, anon)
				     __field(bool, worker)
				     __field(int, tries)
				     __field(int, err)
				     __field(u64, duration_ns)
				     __string(engine, engine)
				     __string(result, thp_result_name(req->result))
				     __string(detail, req->detail)),
		    TP_fast_assign(__entry->pid = req->pid;
				   __entry->addr = req->haddr;
				   __entry->anon = req->anon;
				   __entry->worker = req->trylock;
				   __entry->tries = tries;
				   __entry->err = thp_result_errno(req->result);
				   __entry->duration_ns = ns;
				   thp_assign_str(engine, engine);
				   thp_assign_str(result, thp_result_name(req->result));
				   thp_assign_str(detail, req->detail);),
		    TP_printk("pid=%d addr=%#lx %s engine=%s%s tries=%d result=%s err=%d ns=%llu detail=\"%s\"",
			      __entry->pid, __entry->addr, __entry->anon ? "anon" : "file",
			      __get_str(engine), __entry->worker ? " worker" : "", __entry->tries,
			      __get_str(result), __entry->err, __entry->duration_ns,
			      __get_str(detail))
);

DEFINE_EVENT(thp_request, thp_split,
	     TP_PROTO(const struct thp_req *req, const char *engine, int tries, u64 ns),
	     TP_ARGS(req, engine, tries, ns));

DEFINE_EVENT(thp_request, thp_collapse,
	     TP_PROTO(const struct thp_req *req, const char *engine, int tries, u64 ns),
	     TP_ARGS(req, engine, tries, ns));

/*
 * The retry queue: a range added, found already queued (dedup), refused
 * (drop: queue_cap; nomem), or taken out for good (done, with its result).
 */
TRACE_EVENT(thp_queue,
	    TP_PROTO(const char *action, pid_t pid, unsigned long haddr, const char *source,
		     enum thp_result r, unsigned int attempts),
	    TP_ARGS(action, pid, haddr, source, r, attempts),
	    TP_STRUCT__entry(__field(pid_t, pid)
			     __field(unsigned long, addr)
			     __field(unsigned int, attempts)
			     __string(action, action)
			     __string(source, source)
			     __string(result, thp_result_name(r))),
	    TP_fast_assign(__entry->pid = pid;
			   __entry->addr = haddr;
			   __entry->attempts = attempts;
			   thp_assign_str(action, action);
			   thp_assign_str(source, source);
			   thp_assign_str(result, thp_result_name(r));),
	    TP_printk("%s pid=%d addr=%#lx source=%s attempts=%u result=%s",
		      __get_str(action), __entry->pid, __entry->addr, __get_str(source),
		      __entry->attempts, __get_str(result))
);

/*
 * One try of the worker on a queued range, and what it does next: retry
 * the mmap lock soon (lock_retry), back off (backoff), or retire it (done).
 */
TRACE_EVENT(thp_worker,
	    TP_PROTO(pid_t pid, unsigned long haddr, unsigned int attempts,
		     unsigned int lock_tries, enum thp_result r, const char *next,
		     unsigned int delay_ms),
	    TP_ARGS(pid, haddr, attempts, lock_tries, r, next, delay_ms),
	    TP_STRUCT__entry(__field(pid_t, pid)
			     __field(unsigned long, addr)
			     __field(unsigned int, attempts)
			     __field(unsigned int, lock_tries)
			     __field(unsigned int, delay_ms)
			     __string(result, thp_result_name(r))
			     __string(next, next)),
	    TP_fast_assign(__entry->pid = pid;
			   __entry->addr = haddr;
			   __entry->attempts = attempts;
			   __entry->lock_tries = lock_tries;
			   __entry->delay_ms = delay_ms;
			   thp_assign_str(result, thp_result_name(r));
			   thp_assign_str(next, next);),
	    TP_printk("pid=%d addr=%#lx attempts=%u lock_tries=%u result=%s next=%s delay_ms=%u",
		      __entry->pid, __entry->addr, __entry->attempts, __entry->lock_tries,
		      __get_str(result), __get_str(next), __entry->delay_ms)
);

/*
 * A PMD range of a THP with uprobes: "installed" (its first breakpoint, the
 * range is now tracked), or its last breakpoint removed: the kernel put the
 * page-cache page back and then either "recollapsed" the range itself under
 * a lock it is valid under or the range is "enqueued" for the worker; or
 * "kept": the process keeps a private copy (Documentation/uprobe.rst).
 */
TRACE_EVENT(thp_uprobe,
	    TP_PROTO(const char *action, pid_t pid, unsigned long haddr, unsigned long vaddr),
	    TP_ARGS(action, pid, haddr, vaddr),
	    TP_STRUCT__entry(__field(pid_t, pid)
			     __field(unsigned long, addr)
			     __field(unsigned long, vaddr)
			     __string(action, action)),
	    TP_fast_assign(__entry->pid = pid;
			   __entry->addr = haddr;
			   __entry->vaddr = vaddr;
			   thp_assign_str(action, action);),
	    TP_printk("%s pid=%d addr=%#lx vaddr=%#lx", __get_str(action), __entry->pid,
		      __entry->addr, __entry->vaddr)
);

#endif /* THP_TRACE_H */

/* out of tree: define_trace.h finds this file through the module's -I */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE thp_trace
#include <trace/define_trace.h>
