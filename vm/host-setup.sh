#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# host-setup.sh: install what the VM runner needs on a Debian bookworm host.
# Idempotent and quick when everything is there. Needs root.
set -euo pipefail
. "$(dirname "$0")/common.sh"

pkgs=(
	qemu-system-x86 qemu-system-arm		# the guests (TCG)
	gcc make bc flex bison libelf-dev libssl-dev dwarves kmod
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross	# arm64 module + static tests
	libc6-dev cpio gzip xz-utils zstd	# initramfs, deb extraction
	busybox-static				# host arch busybox (arm64 one is fetched)
	linux-source-6.12			# kselftest headers, checkpatch
	sparse perl
	dkms					# packaging test
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing+=("$p")
done
need_arm64=0
dpkg --print-foreign-architectures | grep -qx arm64 || need_arm64=1

if [ "$(id -u)" != 0 ] && { [ ${#missing[@]} -gt 0 ] || [ $need_arm64 = 1 ]; }; then
	die "run as root to install: ${missing[*]} ${need_arm64:+(and add arch arm64)}"
fi
if [ $need_arm64 = 1 ]; then
	log "adding foreign architecture arm64"
	dpkg --add-architecture arm64
fi
stamp=$THP_CACHE/apt-updated
mkdir -p "$THP_CACHE"
# apt lists are refreshed when something is missing, or once a day.
if [ ${#missing[@]} -gt 0 ] || [ $need_arm64 = 1 ] ||
   [ -z "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
	log "apt-get update"
	apt-get update -q >&2
	touch "$stamp"
fi
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >&2
fi
