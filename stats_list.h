/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stats_list.h - every line of debugfs "stats", in the order shown:
 * THP_STAT(id, name). Included with different definitions of THP_STAT
 * (stats.h makes the enum, stats.c the names). The names and their order
 * are ABI: add new lines at the end of their group only where a test and
 * Documentation/interfaces.rst say so.
 *
 * Counters only grow; the gauges (queue_len, queue_entry_size,
 * uprobe_hooks_installed, uprobe_ranges) are set by their owner and are
 * the storage itself, not a copy.
 */

/* requests (control.c) */
THP_STAT(COLLAPSE_OK,			"collapse_ok")
THP_STAT(COLLAPSE_FAIL,			"collapse_fail")
THP_STAT(SPLIT_OK,			"split_ok")
THP_STAT(SPLIT_FAIL,			"split_fail")
/* one per result of results_list.h, in its order */
#define THP_RESULT(id, nm, ...)	THP_STAT(RESULT_##id, "result_" nm)
#include "results_list.h"
#undef THP_RESULT

/* the retry queue (khugepaged_retry.c) */
THP_STAT(QUEUE_LEN,			"queue_len")
THP_STAT(QUEUE_ADDED,			"queue_added")
THP_STAT(QUEUE_DEDUP,			"queue_dedup")
THP_STAT(QUEUE_DROPPED,			"queue_dropped")
THP_STAT(WORKER_COLLAPSED,		"worker_collapsed")
THP_STAT(WORKER_RETRIES,		"worker_retries")
THP_STAT(WORKER_LOCK_RETRIES,		"worker_lock_retries")
THP_STAT(WORKER_GAVE_UP,		"worker_gave_up")
THP_STAT(WORKER_REFUSED,		"worker_refused")
THP_STAT(WORKER_EXITED,			"worker_exited")
THP_STAT(WORKER_WAKEUPS,		"worker_wakeups")
THP_STAT(SCAN_FOUND,			"scan_found")
/* one per enum thp_queue_source, in its order */
THP_STAT(SOURCE_DEBUGFS,		"source_debugfs")
THP_STAT(SOURCE_SCAN,			"source_scan")
THP_STAT(SOURCE_HOOK_KHUGEPAGED,	"source_hook_khugepaged")
THP_STAT(SOURCE_HOOK_COLLAPSE,		"source_hook_collapse_failed")
THP_STAT(SOURCE_HOOK_UPROBE,		"source_hook_uprobe")
THP_STAT(QUEUE_ENTRY_SIZE,		"queue_entry_size")
THP_STAT(WORKER_DRAINS,			"worker_drains")
THP_STAT(WORKER_DRAINED,		"worker_drained")

/* THP-aware uprobes (thp_uprobe.c) */
THP_STAT(UPROBE_HOOKS_INSTALLED,	"uprobe_hooks_installed")
THP_STAT(UPROBE_RANGES,			"uprobe_ranges")
THP_STAT(UPROBE_SPLIT,			"uprobe_split")
THP_STAT(UPROBE_RESTORED,		"uprobe_restored")
THP_STAT(UPROBE_KERNEL_RECOLLAPSED,	"uprobe_kernel_recollapsed")
THP_STAT(UPROBE_ENQUEUED,		"uprobe_enqueued")

/* autoscan (autoscan.c) */
THP_STAT(AUTOSCAN_ROUNDS,		"autoscan_rounds")
THP_STAT(AUTOSCAN_PASSES,		"autoscan_passes")
THP_STAT(AUTOSCAN_PROCESSES,		"autoscan_processes")
THP_STAT(AUTOSCAN_FOUND,		"autoscan_found")
THP_STAT(AUTOSCAN_CONTENDED,		"autoscan_contended")
THP_STAT(SOURCE_AUTOSCAN,		"source_autoscan")

/* takeover (takeover.c) */
THP_STAT(TAKEOVER_CALLS,		"takeover_calls")
THP_STAT(TAKEOVER_TAKEN,		"takeover_taken")
THP_STAT(TAKEOVER_RACED,		"takeover_raced")
/* one per enum thp_takeover_why after THP_TAKE, in its order */
THP_STAT(TAKEOVER_PASSED_ORDER,		"takeover_passed_order")
THP_STAT(TAKEOVER_PASSED_VMA,		"takeover_passed_vma")
THP_STAT(TAKEOVER_PASSED_TABLE,		"takeover_passed_table")
THP_STAT(TAKEOVER_PASSED_PTES,		"takeover_passed_ptes")
THP_STAT(TAKEOVER_PASSED_FOLIO,		"takeover_passed_folio")
THP_STAT(TAKEOVER_PASSED_SHARED,	"takeover_passed_shared")
THP_STAT(TAKEOVER_PASSED_REFS,		"takeover_passed_refs")
THP_STAT(TAKEOVER_INFLIGHT,		"takeover_inflight")
