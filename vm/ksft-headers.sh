#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# ksft-headers.sh: extract kselftest.h, kselftest_harness.h and checkpatch
# from Debian's linux-source-6.12 into $THP_CACHE/ksft (once). Prints the dir.
set -euo pipefail
. "$(dirname "$0")/common.sh"

dir=$THP_CACHE/ksft
tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n 1)
[ -n "$tarball" ] || die "linux-source-6.12 is not installed"
if [ ! -f "$dir/.done" ] || [ "$tarball" -nt "$dir/.done" ]; then
	log "extracting kselftest headers and checkpatch from $tarball"
	rm -rf "$dir" && mkdir -p "$dir"
	tar -xf "$tarball" -C "$dir" --strip-components=1 --wildcards \
		'*/tools/testing/selftests/kselftest.h' \
		'*/tools/testing/selftests/kselftest_harness.h' \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	touch "$dir/.done"
fi
echo "$dir"
