#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# check.sh: everything, on every target. Installs what is missing, runs the
# host-side tests, then builds, boots and tests each target in QEMU. Ends
# with "N passed, N failed, N skipped"; exits non-zero when anything failed.
set -uo pipefail
. "$(dirname "$0")/common.sh"

"$THP_TOP/vm/host-setup.sh" || die "host setup failed"
start=$(date +%s)
targets=$(expand_targets) || die "cannot resolve THP_TARGETS ($THP_TARGETS)"
log "targets: $targets"
results=$(mktemp)
trap 'rm -f "$results" "$results.t"' EXIT

"$THP_TOP/vm/host-tests.sh" | tee -a "$results"
for t in $targets; do
	read -r series arch <<< "$(split_target "$t")"
	"$THP_TOP/vm/run-target.sh" "$series" "$arch" check | tee "$results.t"
	# A target whose runner died before judging anything has failed.
	grep -q "^pass $t/build" "$results.t" && grep -q " $t/dmesg-clean" "$results.t" ||
		echo "fail $t/runner" | tee -a "$results.t"
	cat "$results.t" >> "$results"
done

passed=$(grep -c '^pass ' "$results")
failed=$(grep -c '^fail ' "$results")
skipped=$(grep -c '^skip ' "$results")
log "took $(( $(date +%s) - start )) s; logs in $THP_CACHE/logs"
if [ "$failed" != 0 ]; then
	echo "failures:"
	grep '^fail ' "$results" | sed 's/^/  /'
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ "$passed" != 0 ]
