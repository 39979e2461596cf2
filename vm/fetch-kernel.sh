#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# fetch-kernel.sh SERIES ARCH
#
# Downloads a Debian kernel image and its headers (plus the amd64 kbuild
# package, which also serves arm64 cross builds, and the guest's
# busybox-static) through the runner's own apt configuration (common.sh)
# into $THP_CACHE and extracts them there. SERIES is 6.1, 6.12, 7.x or 7.N;
# ARCH x86_64, arm64 or arm64-16k. Prints the extraction root on stdout.
# Idempotent: a finished extraction is reused.
#
# Packaging: up to 6.12 the image is linux-image-ABI-FLAVOUR-unsigned
# (boot/vmlinuz-*); from 7.x linux-image-ABI-FLAVOUR is a meta package and
# the image is linux-binary-unsigned-ABI-FLAVOUR (usr/lib/modules/ABI/
# vmlinuz.unsigned; linux-binary-ABI-FLAVOUR has the signed vmlinuz).
# Whichever the archive has is taken.
set -euo pipefail
. "$(dirname "$0")/common.sh"

series=$1 arch=$2
darch=$(deb_arch "$arch")
abi=$(resolve_abi "$series")
flavour=$abi-$(deb_flavour "$arch")
root=$THP_CACHE/kernels/$flavour

if [ -f "$root/.done" ]; then
	echo "$root"
	exit 0
fi

in_archive() { thp_apt_cache show --no-all-versions "$1" > /dev/null 2>&1; }

log "fetching $flavour"
image=
for p in "linux-binary-unsigned-$flavour" "linux-image-$flavour-unsigned" "linux-binary-$flavour"; do
	if in_archive "$p:$darch"; then
		image=$p
		break
	fi
done
[ -n "$image" ] || die "no kernel image package for $flavour in the archive"
kb=$(kbuild_pkg "$abi")
# busybox-static of the guest's architecture: the 4K-page static binary
# also runs on the 16K-page kernel.
pkgs="$image:$darch linux-headers-$flavour:$darch linux-headers-$abi-common:all
      $kb:amd64 busybox-static:$darch"
rm -rf "$root" && mkdir -p "$root/debs"
# shellcheck disable=SC2086
(cd "$root/debs" && thp_apt_get download -q $pkgs >&2) ||
	die "apt-get download failed for $flavour ($pkgs)"
for deb in "$root"/debs/*.deb; do
	dpkg-deb -x "$deb" "$root/x" || die "cannot extract $deb"
done
hdr=$root/x/usr/src/linux-headers-$flavour
[ -d "$hdr" ] || die "no headers directory in $flavour packages"
# The flavour Makefile includes /usr/src/linux-headers-ABI-common/Makefile
# (7.x also sets KBUILD_OUTPUT=/usr/src/linux-headers-ABI-FLAVOUR): point
# both at our extraction. Build roots see $THP_CACHE at the same path.
sed -i -E "s#^(include |KBUILD_OUTPUT *:?= *)/usr/src/#\\1$root/x/usr/src/#" "$hdr/Makefile"
if grep -q ' /usr/src/\|=/usr/src/' "$hdr/Makefile"; then
	cat "$hdr/Makefile" >&2
	die "$hdr/Makefile still points at /usr/src: a packaging change to look at"
fi
[ -e "$hdr/scripts/Makefile.build" ] || [ -e "$hdr/scripts/Kbuild.include" ] ||
	die "$hdr/scripts does not reach the $kb package's scripts"
# Debian's 7.x kbuild package lacks scripts/checker-valid.sh, which the
# Makefile runs for C=1 ("is sparse new enough for __typeof_unqual__"):
# without it sparse is silently turned off. Put in one that asks the same.
common=$(sed -n -E 's#^include (.*)/Makefile$#\1#p' "$hdr/Makefile")
if grep -q 'scripts/checker-valid.sh' "$common/Makefile" &&
   [ ! -e "$hdr/scripts/checker-valid.sh" ]; then
	cat > "$hdr/scripts/checker-valid.sh" <<-'EOF'
	#!/bin/sh -eu
	# SPDX-License-Identifier: GPL-2.0
	# Written by thp_retry's vm/fetch-kernel.sh: Debian's linux-kbuild lacks it.
	# Prints 1 when the checker "$@" parses __typeof_unqual__ without error.
	[ -x "$(command -v "$1")" ] || exit 1
	tmp=$(mktemp)
	trap 'rm -f "$tmp"' EXIT
	printf 'static inline int u(const int *q)\n{\n\t__typeof_unqual__(*q) v = *q;\n\treturn v;\n}\n' > "$tmp"
	"$@" "$tmp" 2>&1 | awk -v c=1 '/error/ { c = 0 } END { print c }'
	EOF
	chmod 755 "$hdr/scripts/checker-valid.sh"
fi
vmlinuz=$(ls "$root"/x/boot/vmlinuz-* "$root"/x/usr/lib/modules/*/vmlinuz* 2>/dev/null |
	head -n 1 || true)
[ -n "$vmlinuz" ] || die "no vmlinuz in $image"
ln -sfn "$hdr" "$root/build"
ln -sfn "$vmlinuz" "$root/vmlinuz"
echo "$abi" > "$root/abi"
touch "$root/.done"
log "fetched $flavour into $root"
echo "$root"
