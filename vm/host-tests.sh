#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# host-tests.sh: tests that need no VM. Prints pass/fail/skip lines.
#  - the IBT call-gate unit test (selftests/ibt_check_test.c), natively
#  - checkpatch --strict on the module sources
#  - the layer rule of Documentation/architecture.rst (scripts/check-layers.sh)
#  - packaging: make install and dkms build (vm/packaging-test.sh)
# Exits 1 when a line is "fail".
set -uo pipefail
. "$(dirname "$0")/common.sh"

rc=0
fail() { echo "fail $*"; rc=1; }

ksft=$("$THP_TOP/vm/ksft-headers.sh") || { fail "host/ksft-headers"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if make -s -C "$THP_TOP/selftests" KSFT_INC="$ksft/tools/testing/selftests" OUT="$tmp" \
	"$tmp/ibt_check_test" > "$tmp/log" 2>&1; then
	"$tmp/ibt_check_test" > "$tmp/tap" 2>&1
	sed -n 's/^ok [0-9]* \(.*\)/pass host\/ibt_check_test\/\1/p; s/^not ok [0-9]* \(.*\)/fail host\/ibt_check_test\/\1/p' "$tmp/tap"
else
	cat "$tmp/log" >&2
	fail "host/ibt_check_test/build"
fi

cd "$THP_TOP" || exit 1
if perl "$ksft/scripts/checkpatch.pl" --strict --no-tree --quiet --terse --no-summary \
	--ignore SPDX_LICENSE_TAG -f ./*.c ./*.h > "$tmp/cp" 2>&1; then
	echo "pass host/checkpatch-strict"
else
	sed 's/^/  checkpatch: /' "$tmp/cp" >&2
	fail "host/checkpatch-strict"
fi

# the layers of Documentation/architecture.rst: includes point down only
if "$THP_TOP/scripts/check-layers.sh" "$THP_TOP" > "$tmp/layers" 2>&1; then
	echo "pass host/layers"
else
	grep '^  \|^unknown' "$tmp/layers" | sed 's/^/  layers: /' >&2
	fail "host/layers"
fi

"$THP_TOP/vm/packaging-test.sh" || rc=1
exit $rc
