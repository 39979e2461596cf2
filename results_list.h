/* SPDX-License-Identifier: GPL-2.0 */
/*
 * results_list.h - every outcome of a request: THP_RESULT(id, name, errno).
 *
 * Included several times with different definitions of THP_RESULT
 * (results.h makes the enum, results.c the names and errnos, stats_list.h
 * the result_* counters). The names are
 * ABI: debugfs result lines and "stats" show them.
 */
THP_RESULT(SUCCEEDED,           "succeeded",               0)
THP_RESULT(ALREADY_PMD,         "already_pmd_mapped",      0)
THP_RESULT(ALREADY_PTE,         "already_pte_mapped",      0)
THP_RESULT(INVALID_INPUT,       "invalid_input",           EINVAL)
THP_RESULT(NO_PROCESS,          "no_such_process",         ESRCH)
THP_RESULT(NO_MM,               "no_mm",                   ESRCH)
THP_RESULT(NO_ACCESS,           "no_ptrace_access",        EPERM)
THP_RESULT(NO_VMA,              "no_vma",                  EFAULT)
THP_RESULT(NOT_MAPPED,          "not_mapped",              EFAULT)
THP_RESULT(VMA_RANGE,           "vma_range",               EINVAL)
THP_RESULT(VMA_TYPE,            "vma_not_file_thp",        EINVAL)
THP_RESULT(VMA_NOHUGEPAGE,      "vma_nohugepage",          EINVAL)
THP_RESULT(THP_DISABLED,        "thp_disabled",            EINVAL)
THP_RESULT(MISALIGNED,          "file_offset_misaligned",  EINVAL)
THP_RESULT(UFFD,                "uffd_armed",              EBUSY)
THP_RESULT(PAGE_CACHE_MISS,     "page_cache_miss",         EBUSY)
THP_RESULT(NOT_THP,             "not_thp",                 EBUSY)
THP_RESULT(PTE_PRIVATE,         "pte_maps_private_copy",   EBUSY)
THP_RESULT(PTE_OTHER,           "pte_maps_other_page",     EBUSY)
THP_RESULT(PTE_NONPRESENT,      "pte_not_present",         EBUSY)
THP_RESULT(PTE_SPECIAL,         "pte_special",             EBUSY)
THP_RESULT(FOLIO_PINNED,        "folio_pinned",            EBUSY)
THP_RESULT(FOLIO_LOCKED,        "folio_locked",            EAGAIN)
THP_RESULT(PMD_CHANGED,         "pmd_changed",             EAGAIN)
THP_RESULT(LOCK_CONTENDED,      "mmap_lock_contended",     EAGAIN)
THP_RESULT(EXITED,              "process_exited",          ESRCH)
THP_RESULT(QUEUE_FULL,          "queue_full",              ENOSPC)
THP_RESULT(INTERRUPTED,         "interrupted",             EINTR)
THP_RESULT(NO_MEMORY,           "no_memory",               ENOMEM)
THP_RESULT(ENGINE_UNAVAILABLE,  "engine_unavailable",      EOPNOTSUPP)
THP_RESULT(KERNEL_REFUSED,      "kernel_engine_refused",   EBUSY)
/* anonymous ranges (collapse_anon.c) */
THP_RESULT(PTE_NONE,            "pte_none",                EBUSY)
THP_RESULT(ANON_SHARED,         "folio_shared",            EBUSY)
THP_RESULT(ANON_NOT_EXCLUSIVE,  "anon_not_exclusive",      EBUSY)
THP_RESULT(PTE_BITS,            "pte_bits_differ",         EBUSY)
THP_RESULT(FOLIO_STATE,         "folio_state",             EBUSY)
THP_RESULT(VMA_MLOCKED,         "vma_mlocked",             EINVAL)
THP_RESULT(ANON_UNSUPPORTED,    "anon_not_supported",      EOPNOTSUPP)
/* folio states that refuse a collapse (collapse.c, collapse_anon.c) */
THP_RESULT(FOLIO_NOT_UPTODATE,  "folio_not_uptodate",      EBUSY)
THP_RESULT(FOLIO_REFS,          "folio_extra_refs",        EAGAIN)
