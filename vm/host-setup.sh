#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# host-setup.sh: install what the VM runner needs on a Debian bookworm or
# trixie host (the package names are the same on both), and refresh the
# runner's own apt lists in $THP_CACHE/apt once a day (common.sh). The
# host's apt configuration is never changed: the kernels and busybox of
# every target, arm64 ones included, come through the runner's own lists.
# Idempotent and quick when everything is there. Needs root to install.
set -euo pipefail
. "$(dirname "$0")/common.sh"

pkgs=(
	qemu-system-x86 qemu-system-arm		# the guests (TCG)
	gcc make bc flex bison libelf-dev libssl-dev dwarves kmod
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross	# arm64 module + static tests
	libc6-dev cpio gzip xz-utils zstd	# initramfs, deb extraction
	busybox-static				# host arch busybox (the guests' are fetched)
	linux-source-6.12			# kselftest headers, checkpatch, debug tier
	openssl					# debug tier: the kernel's module signing key
	sparse perl
	dkms					# packaging test
	debootstrap debian-archive-keyring	# build roots (vm/build-root.sh)
	util-linux				# unshare, flock
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "run as root to install: ${missing[*]}"
	log "apt-get update"
	apt-get update -q >&2 || die "apt-get update failed"
	log "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >&2 || die "cannot install ${missing[*]}"
fi
apt_refresh
