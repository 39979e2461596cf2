#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bench.sh: the benchmarks (selftests/thp_retry_bench.c, thp_anon_bench.c,
# thp_range_bench.c, vm/guest/trace-cost.sh) on
# every target of $THP_TARGETS, each in its own VM run. Timings under TCG
# are not hardware numbers: compare the ratios within one target's line.
# Exits 1 when a target's run failed.
set -uo pipefail
. "$(dirname "$0")/common.sh"

"$THP_TOP/vm/host-setup.sh" || die "host setup failed"
targets=$(expand_targets) || die "cannot resolve THP_TARGETS ($THP_TARGETS)"
rc=0
for t in $targets; do
	echo "== $t"
	read -r series arch <<< "$(split_target "$t")"
	"$THP_TOP/vm/run-target.sh" "$series" "$arch" bench |
		sed -e '/^pass /d' -e 's/^fail /bench step failed: /'
	[ "${PIPESTATUS[0]}" = 0 ] || rc=1
done
exit $rc
