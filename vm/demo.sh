#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# demo.sh: the main job. Boots Debian's newest 6.12 x86_64 kernel in QEMU,
# loads thp_retry and shows it at work. THP_TARGETS="6.1-arm64" (one target)
# picks another kernel.
set -uo pipefail
. "$(dirname "$0")/common.sh"

"$THP_TOP/vm/host-setup.sh" || die "host setup failed"
t=${THP_DEMO_TARGET:-6.12-x86_64}
"$THP_TOP/vm/run-target.sh" "${t%-*}" "${t#*-}" demo | grep -v '^pass ' |
	sed 's/^fail /demo step failed: /'
