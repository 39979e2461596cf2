#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# packaging-test.sh: dkms add/build/remove and make install, on the host,
# against the downloaded 6.12 amd64 headers of the host's own release.
# Prints pass/fail lines; exits 1 when one is "fail".
set -uo pipefail
. "$(dirname "$0")/common.sh"

rc=0
fail() { echo "fail $*"; rc=1; }

# The host's own 6.12 family (+deb12 on bookworm, +deb13 on trixie): its
# compiler is the host's, as for a user's dkms.
if [ -z "${THP_ABI_6_12:-}" ]; then
	suite=$(. /etc/os-release && echo "${VERSION_ID:-}")
	THP_ABI_6_12=$(abi_list 6.12 | grep "+deb$suite\$" | tail -n 1 || true)
	export THP_ABI_6_12
fi
kroot=$("$THP_TOP/vm/fetch-kernel.sh" 6.12 x86_64) || { fail "host/packaging/fetch"; exit 1; }
kver=$(basename "$(readlink -f "$kroot/build")")
kver=${kver#linux-headers-}
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$THP_TOP/dkms.conf")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# make install with an explicit INSTALL_MOD_DIR, into a scratch root
tar -C "$THP_TOP" --exclude=.git -cf - . | tar -C "$tmp" -xf -
if make -C "$tmp" KDIR="$kroot/build" INSTALL_MOD_PATH="$tmp/root" INSTALL_MOD_DIR=extra \
	install > "$tmp/install.log" 2>&1 &&
   ls "$tmp/root/lib/modules/$kver/extra/"thp_retry.ko* > /dev/null 2>&1; then
	echo "pass host/packaging/make-install"
	# a plain build carries no fault injection (THP_TESTING=y only)
	ko=$(ls "$tmp/root/lib/modules/$kver/extra/"thp_retry.ko* | head -n 1)
	case $ko in
	*.xz) unpack=xzcat ;;
	*.zst) unpack=zstdcat ;;
	*.gz) unpack=zcat ;;
	*) unpack=cat ;;
	esac
	if modinfo -F parmtype "$ko" | grep -q '_test_' ||
	   $unpack "$ko" | grep -aq 'test_hold_mmap'; then
		modinfo -p "$ko" | sed 's/^/  plain build has: /' >&2
		fail "host/packaging/no-test-knobs"
	else
		echo "pass host/packaging/no-test-knobs"
	fi
else
	sed 's/^/  make install: /' "$tmp/install.log" | tail -20 >&2
	fail "host/packaging/make-install"
fi

# dkms add, build for the downloaded headers, remove
if ! command -v dkms > /dev/null; then
	fail "host/packaging/dkms (dkms not installed)"
	exit 1
fi
src=/usr/src/thp_retry-$ver
dkms remove "thp_retry/$ver" --all > /dev/null 2>&1
rm -rf "$src" && mkdir -p "$src"
tar -C "$THP_TOP" --exclude=.git -cf - . | tar -C "$src" -xf -
if dkms add "thp_retry/$ver" > "$tmp/dkms.log" 2>&1 &&
   dkms build "thp_retry/$ver" -k "$kver" --kernelsourcedir "$kroot/build" >> "$tmp/dkms.log" 2>&1 &&
   ls /var/lib/dkms/thp_retry/"$ver"/"$kver"/*/module/thp_retry.ko* > /dev/null 2>&1; then
	echo "pass host/packaging/dkms-build"
else
	sed 's/^/  dkms: /' "$tmp/dkms.log" | tail -30 >&2
	fail "host/packaging/dkms-build"
fi
dkms remove "thp_retry/$ver" --all > /dev/null 2>&1
rm -rf "$src"
exit $rc
