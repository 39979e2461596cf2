#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# check-debug.sh: the debug tier. Builds (once each, cached) x86_64 kernels
# of the series in THP_DEBUG_SERIES ("6.12 7.x": the 7.x series common.sh
# resolves) from Debian's linux-source with KASAN, lockdep, DEBUG_VM,
# enforced PAGE_TABLE_CHECK and kmemleak (vm/debug-kernel.sh: about 20
# minutes for 6.12, over an hour for 7.x), then runs every selftest -- the
# fuzzer, the race stress and reload-under-load included -- in each with
# kmemleak on. Any splat, lockdep or KASAN report or suspected leak fails.
# Ends with "N passed, N failed, N skipped"; exits non-zero on a failure.
set -uo pipefail
. "$(dirname "$0")/common.sh"

"$THP_TOP/vm/host-setup.sh" || die "host setup failed"
start=$(date +%s)
results=$(mktemp)
trap 'rm -f "$results" "$results.t"' EXIT
for s in ${THP_DEBUG_SERIES:-6.12 7.x}; do
	s=$(resolve_series "$s") || die "cannot resolve series '$s'"
	t=$s-debug-x86_64
	if ! "$THP_TOP/vm/debug-kernel.sh" "$s" > /dev/null; then
		echo "fail $t/kernel-build" | tee -a "$results"
		continue
	fi
	"$THP_TOP/vm/run-target.sh" "$s-debug" x86_64 check | tee "$results.t"
	grep -q " $t/dmesg-clean" "$results.t" || echo "fail $t/runner" | tee -a "$results.t"
	cat "$results.t" >> "$results"
done
passed=$(grep -c '^pass ' "$results")
failed=$(grep -c '^fail ' "$results")
skipped=$(grep -c '^skip ' "$results")
log "took $(( $(date +%s) - start )) s; logs in $THP_CACHE/logs"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ "$passed" != 0 ]
