#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# demo.sh: the main job. Boots Debian's newest 6.12 x86_64 kernel in QEMU,
# loads thp_retry and shows it at work. THP_DEMO_TARGET picks another
# target (e.g. 7.x-arm64-16k). Exits 1 when a step failed.
set -uo pipefail
. "$(dirname "$0")/common.sh"

"$THP_TOP/vm/host-setup.sh" || die "host setup failed"
t=${THP_DEMO_TARGET:-6.12-x86_64}
read -r series arch <<< "$(split_target "$t")"
[ -n "${arch:-}" ] || exit 1
"$THP_TOP/vm/run-target.sh" "$series" "$arch" demo | sed -e '/^pass /d' -e 's/^fail /demo step failed: /'
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || die "the demo failed (guest log in $THP_CACHE/logs)"
