#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# check-debug.sh: the debug tier. Builds (once, cached) a 6.12 x86_64 kernel
# with KASAN, lockdep, DEBUG_VM, enforced PAGE_TABLE_CHECK and kmemleak
# (vm/debug-kernel.sh, about 20 minutes), then runs every selftest -- the
# fuzzer, the race stress and reload-under-load included -- in it with
# kmemleak on. Any splat, lockdep or KASAN report or suspected leak fails.
# Ends with "N passed, N failed, N skipped".
set -uo pipefail
. "$(dirname "$0")/common.sh"

"$THP_TOP/vm/host-setup.sh" || die "host setup failed"
start=$(date +%s)
"$THP_TOP/vm/debug-kernel.sh" > /dev/null || die "debug kernel build failed"
results=$(mktemp)
trap 'rm -f "$results"' EXIT
"$THP_TOP/vm/run-target.sh" 6.12-debug x86_64 check | tee "$results"
grep -q " 6.12-debug-x86_64/dmesg-clean" "$results" || echo "fail 6.12-debug-x86_64/runner" |
	tee -a "$results"
passed=$(grep -c '^pass ' "$results")
failed=$(grep -c '^fail ' "$results")
skipped=$(grep -c '^skip ' "$results")
log "took $(( $(date +%s) - start )) s; log in $THP_CACHE/logs"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
