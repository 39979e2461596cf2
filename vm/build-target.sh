#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# build-target.sh SERIES ARCH [bench]
# (SERIES 6.12-debug or 7.x-debug/7.N-debug: the debug tier's kernel from
# debug-kernel.sh)
#
# Builds thp_retry.ko (W=1 and sparse C=1; any warning fails the build), the static
# selftests for one target into $THP_CACHE/build/ABI-ARCH, and packs the
# guest initramfs there (initrd.gz). Prints the build directory. With
# "bench", also a second thp_retry.ko with every tracepoint compiled out
# (THP_NO_TRACE=y), as /lib/modules/notrace/thp_retry.ko, for the guest's
# trace-cost benchmark (vm/guest/trace-cost.sh).
#
# The module is built with the gcc its kernel was built with (the kernel's
# CONFIG_GCC_VERSION): on the host when it has that gcc, else in a build
# root of the Debian suite that has it (vm/build-root.sh; e.g. trixie for
# 7.x on a bookworm host). The static selftests are user space and built
# with the host's compilers.
set -euo pipefail
. "$(dirname "$0")/common.sh"

series=$1 arch=$2 what=${3:-}
case "$series" in
*-debug)
	[ "$arch" = x86_64 ] || die "the debug tier is x86_64 only"
	kroot=$("$THP_TOP/vm/debug-kernel.sh" "${series%-debug}")
	;;
*)
	kroot=$("$THP_TOP/vm/fetch-kernel.sh" "$series" "$arch")
	;;
esac
ksft=$("$THP_TOP/vm/ksft-headers.sh")
abi=$(cat "$kroot/abi")
out=$THP_CACHE/build/$abi-$arch
rm -rf "$out" && mkdir -p "$out/src"

# Build from a copy: targets never share object files, the repository
# stays clean.
tar -C "$THP_TOP" --exclude=.git -cf - . | tar -C "$out/src" -xf -

env=$(build_env "$kroot/build" "$arch")
where="on the host"
[ "$env" = host ] || where="in the $env build root"
log "building thp_retry.ko for $abi $arch (W=1, sparse; $(kernel_cc "$kroot/build" "$arch") $where)"
# shellcheck disable=SC2046
if ! in_env "$env" make -C "$kroot/build" M="$out/src" W=1 C=1 THP_TESTING=y \
	$(cross_env "$arch") modules > "$out/build.log" 2>&1; then
	cat "$out/build.log" >&2
	die "module build failed for $abi $arch"
fi
if grep -E 'warning:|error:|C=1 specified' "$out/build.log" >&2; then
	die "module build for $abi $arch has warnings"
fi
# The kernel's Makefile turns C=1 off, with no warning: prefix, when it
# finds sparse too old: no CHECK line means sparse did not run.
grep -q '^  CHECK ' "$out/build.log" || die "sparse did not run for $abi $arch (C=1 ignored)"
if [ "$what" = bench ]; then
	log "building thp_retry.ko without tracepoints (THP_NO_TRACE=y) for $abi $arch"
	mkdir -p "$out/notrace"
	tar -C "$THP_TOP" --exclude=.git -cf - . | tar -C "$out/notrace" -xf -
	# shellcheck disable=SC2046
	if ! in_env "$env" make -C "$kroot/build" M="$out/notrace" W=1 THP_TESTING=y \
		THP_NO_TRACE=y $(cross_env "$arch") modules > "$out/notrace.log" 2>&1 ||
		grep -E 'warning:|error:' "$out/notrace.log" >&2; then
		cat "$out/notrace.log" >&2
		die "THP_NO_TRACE=y module build failed for $abi $arch"
	fi
fi

log "building selftests for $arch"
root=$out/rootfs
mkdir -p "$root"/{bin,dev,proc,sys,tmp,mnt,lib/modules,selftests}
if ! make -C "$out/src/selftests" CC="$(target_cc "$arch")" \
	KSFT_INC="$ksft/tools/testing/selftests" OUT="$root/selftests" TOOLS_OUT="$root/bin" \
	> "$out/selftests.log" 2>&1; then
	cat "$out/selftests.log" >&2
	die "selftest build failed for $arch"
fi

bb=$(ls "$kroot"/x/bin/busybox "$kroot"/x/usr/bin/busybox 2>/dev/null | head -n 1 || true)
[ -n "$bb" ] || die "no busybox in the $arch busybox-static package"
cp "$bb" "$root/bin/busybox"
cp "$out/src/thp_retry.ko" "$root/lib/modules/"
if [ "$what" = bench ]; then
	mkdir -p "$root/lib/modules/notrace"
	cp "$out/notrace/thp_retry.ko" "$root/lib/modules/notrace/"
fi
cp "$THP_TOP/vm/guest/init" "$root/init"
cp "$THP_TOP/vm/guest/demo.sh" "$root/demo.sh"
cp "$THP_TOP/vm/guest/trace-cost.sh" "$root/trace-cost.sh"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/initrd.gz"
ln -sfn "$kroot/vmlinuz" "$out/vmlinuz"
echo "$out"
