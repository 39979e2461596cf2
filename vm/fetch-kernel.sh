#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# fetch-kernel.sh SERIES ARCH
#
# Downloads a Debian bookworm kernel image and its headers (plus the amd64
# kbuild package, which also serves arm64 cross builds) into $THP_CACHE and
# extracts them there. Prints the extraction root on stdout. Idempotent: a
# finished extraction is reused.
set -euo pipefail
. "$(dirname "$0")/common.sh"

series=$1 arch=$2
darch=$(deb_arch "$arch")
abi=$(resolve_abi "$series")
root=$THP_CACHE/kernels/$abi-$darch
flavour=$abi-$darch

if [ -f "$root/.done" ]; then
	echo "$root"
	exit 0
fi

log "fetching $flavour"
rm -rf "$root" && mkdir -p "$root/debs"
kb=$(kbuild_pkg "$series" "$abi")
pkgs="linux-image-$flavour-unsigned:$darch linux-headers-$flavour:$darch
      linux-headers-$abi-common $kb:amd64 busybox-static:$darch"
(cd "$root/debs" && apt-get download -q $pkgs >&2) ||
	die "apt-get download failed for $flavour (is arch $darch added? apt-get update?)"
for deb in "$root"/debs/*.deb; do
	dpkg-deb -x "$deb" "$root/x"
done
hdr=$root/x/usr/src/linux-headers-$flavour
[ -d "$hdr" ] || die "no headers directory in $flavour packages"
# The flavour Makefile includes /usr/src/linux-headers-ABI-common/Makefile:
# point it at our extraction.
sed -i "s|^include /usr/src/|include $root/x/usr/src/|" "$hdr/Makefile"
ln -sfn "$hdr" "$root/build"
ln -sfn "$(ls "$root"/x/boot/vmlinuz-* | head -n 1)" "$root/vmlinuz"
echo "$abi" > "$root/abi"
touch "$root/.done"
log "fetched $flavour into $root"
echo "$root"
