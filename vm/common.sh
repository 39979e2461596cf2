# SPDX-License-Identifier: GPL-2.0
# Shared settings for the VM runner scripts. Sourced, never executed.
#
# THP_CACHE       where kernels, builds and logs go (outside the repository)
# THP_ABI_6_1     pin the 6.1 ABI, e.g. 6.1.0-56   (default: newest on the mirror)
# THP_ABI_6_12    pin the 6.12 ABI, e.g. 6.12.117+deb12
# THP_TARGETS     targets to run, e.g. "6.12-x86_64 6.1-arm64" (default: all four)
# THP_ONLY        selftests to run in the guest, e.g. "thp_retry_load,thp_retry_anon"
#                 (default: all)

THP_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
THP_CACHE=${THP_CACHE:-/var/cache/thp_retry}
THP_ALL_TARGETS="6.1-x86_64 6.1-arm64 6.12-x86_64 6.12-arm64"
THP_TARGETS=${THP_TARGETS:-$THP_ALL_TARGETS}

log() { printf '[thp-vm] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# deb_arch ARCH: Debian's name for a kernel architecture.
deb_arch() {
	case "$1" in
	x86_64) echo amd64 ;;
	arm64) echo arm64 ;;
	*) die "unknown arch '$1'" ;;
	esac
}

# resolve_abi SERIES: the newest ABI of a series on the mirror, or the pinned one.
resolve_abi() {
	local series=$1 pin list
	case "$series" in
	6.1)
		pin=${THP_ABI_6_1:-}
		list=$(apt-cache search --names-only '^linux-headers-6\.1\.0-[0-9]+-amd64$' |
			sed -n 's/^linux-headers-\(6\.1\.0-[0-9]*\)-amd64 .*/\1/p')
		;;
	6.12)
		pin=${THP_ABI_6_12:-}
		list=$(apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
			sed -n 's/^linux-headers-\(6\.12\.[0-9]*+deb12\)-amd64 .*/\1/p')
		;;
	*) die "unknown series '$series'" ;;
	esac
	if [ -n "$pin" ]; then
		echo "$pin"
		return
	fi
	[ -n "$list" ] || die "no linux-headers for $series on the mirror (apt-get update?)"
	echo "$list" | sort -V | tail -n 1
}

# kbuild_pkg SERIES ABI: the linux-kbuild package that goes with an ABI.
kbuild_pkg() {
	case "$1" in
	6.1) echo linux-kbuild-6.1 ;;
	6.12) echo "linux-kbuild-$2" ;;
	esac
}

# cross_env ARCH: make variables for building for ARCH on this host.
cross_env() {
	case "$1" in
	x86_64) echo "ARCH=x86" ;;
	arm64) echo "ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-" ;;
	esac
}

# target_cc ARCH: C compiler for static user-space test binaries.
target_cc() {
	case "$1" in
	x86_64) echo gcc ;;
	arm64) echo aarch64-linux-gnu-gcc ;;
	esac
}
