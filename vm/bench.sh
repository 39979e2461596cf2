#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# bench.sh: the collapse/split benchmark (selftests/thp_retry_bench.c) on
# every target of $THP_TARGETS, each in its own VM run. Timings under TCG
# are not hardware numbers: compare the ratios within one target's line.
set -uo pipefail
. "$(dirname "$0")/common.sh"

"$THP_TOP/vm/host-setup.sh" || die "host setup failed"
for t in $THP_TARGETS; do
	echo "== $t"
	"$THP_TOP/vm/run-target.sh" "${t%-*}" "${t#*-}" bench | grep -v '^pass ' |
		sed 's/^fail /bench step failed: /'
done
