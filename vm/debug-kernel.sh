#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# debug-kernel.sh [SERIES] [--if-cached]
#
# The debug tier's kernel: Debian's linux-source-SERIES (6.12, the default,
# or 7.x / 7.N) built for x86_64 with
# the mm and locking debug options (DEBUG_VM, DEBUG_VM_PGFLAGS, enforced
# PAGE_TABLE_CHECK, generic KASAN, PROVE_LOCKING, DEBUG_ATOMIC_SLEEP,
# DEBUG_LIST, KMEMLEAK off until the boot line turns it on) plus what the
# module and its tests need, everything built in. Built once (6.12: about
# 20 min with -j2; 7.x: over an hour) into $THP_CACHE/kernels/debug-SERIES-amd64,
# laid out like a fetched Debian kernel (build/, vmlinuz, abi, x/ for
# busybox) so that build-target.sh and run-target.sh take it as series
# "SERIES-debug". Prints the root. --if-cached prints it only when it is
# already built (exit 1 otherwise). A build that was cut short after its
# configuration goes on where it stopped.
#
# Source: 6.12 from the host's linux-source-6.12 package; other series
# from linux-source-SERIES downloaded through the runner's apt lists (7.x
# is in trixie-backports). Compiler: the gcc Debian built the series' stock
# x86_64 kernel with, on the host or in a build root (common.sh build_env;
# 7.x on a bookworm host: the trixie root with gcc 14).
set -euo pipefail
. "$(dirname "$0")/common.sh"

series=6.12 cached_only=0
for a in "$@"; do
	case "$a" in
	--if-cached) cached_only=1 ;;
	*) series=$a ;;
	esac
done
series=$(resolve_series "$series")
root=$THP_CACHE/kernels/debug-$series-amd64
if [ -f "$root/.done" ]; then
	echo "$root"
	exit 0
fi
[ $cached_only = 1 ] && exit 1

src=$root/linux-source-$series
# A build cut short (its machine went down, the session ended) goes on from
# where it stopped: make is incremental once the tree is configured.
resume=0
if [ -f "$root/.configured" ] && [ -d "$src" ] && [ -f "$root/obj/.config" ]; then
	resume=1
	log "resuming the interrupted build of $(cat "$root/.configured") in $root"
fi
# The source tree, unpacked into $root (all of it made anew).
unpack_source() {
	rm -rf "$root" && mkdir -p "$root/obj"
	if [ "$series" = 6.12 ]; then
		tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n 1 || true)
		[ -n "$tarball" ] ||
			die "no /usr/src/linux-source-6.12.tar.* (apt-get install linux-source-6.12)"
	else
		log "downloading linux-source-$series"
		mkdir -p "$root/debs"
		(cd "$root/debs" && thp_apt_get download -q "linux-source-$series:all" >&2) ||
			die "cannot download linux-source-$series"
		dpkg-deb -x "$root"/debs/linux-source-"$series"_*.deb "$root/pkg"
		tarball=$(ls "$root"/pkg/usr/src/linux-source-"$series".tar.* 2>/dev/null | head -n 1 || true)
		[ -n "$tarball" ] || die "no linux-source-$series.tar.* in linux-source-$series"
	fi
	log "extracting $tarball"
	tar -C "$root" -xf "$tarball"
	rm -rf "$root/pkg" "$root/debs"
	[ -d "$src" ] || die "$tarball has no linux-source-$series directory"
}
[ $resume = 1 ] || unpack_source
abi=$(make -s -C "$src" kernelversion)
[ -n "$abi" ] || die "no kernel version in $src"

# busybox and the rest of the guest come from the stock SERIES amd64
# kernel's download; so does the choice of compiler.
stock=$("$THP_TOP/vm/fetch-kernel.sh" "$series" x86_64)
ln -sfn "$stock/x" "$root/x"
env=$(build_env "$stock/build" x86_64)
where="on the host"
[ "$env" = host ] || where="in the $env build root"
log "compiler: gcc $(kernel_gcc "$stock/build") $where (as Debian's $(cat "$stock/abi"))"
# make runs in ENV (the root sees $THP_CACHE at the same path)
kmake() { in_env "$env" make -C "$src" O="$root/obj" "$@"; }

# The configuration: defconfig, then the options below.
configure_tree() {
	log "configuring debug-$abi"
	kmake -s x86_64_defconfig kvm_guest.config >&2
	cfg() { "$src/scripts/config" --file "$root/obj/.config" "$@"; }
	# what the module and the selftests use
	cfg -e MODULES -e MODULE_UNLOAD -e KALLSYMS -e KALLSYMS_ALL \
		-e KPROBES -e KRETPROBES -e UPROBES -e FTRACE -e DYNAMIC_FTRACE \
		-e KPROBE_EVENTS -e UPROBE_EVENTS \
		-e TRANSPARENT_HUGEPAGE -e TRANSPARENT_HUGEPAGE_MADVISE \
		-d READ_ONLY_THP_FOR_FS \
		-e SHMEM -e TMPFS -e MEMFD_CREATE -e MEMCG -e USERFAULTFD \
		-e DEBUG_FS -e DEBUG_FS_ALLOW_ALL -e SECURITYFS -e SECURITY \
		-e SECURITY_LOCKDOWN_LSM -e PROC_PAGE_MONITOR \
		-e BLK_DEV_INITRD -e RD_GZIP -e DEVTMPFS -e SERIAL_8250_CONSOLE \
		-e X86_KERNEL_IBT -e PARAVIRT
	# the debug machinery
	cfg -e DEBUG_KERNEL -e DEBUG_VM -e DEBUG_VM_PGFLAGS \
		-e PAGE_TABLE_CHECK -e PAGE_TABLE_CHECK_ENFORCED \
		-e KASAN -e KASAN_GENERIC -e KASAN_INLINE \
		-e PROVE_LOCKING -e DEBUG_ATOMIC_SLEEP -e DEBUG_LIST \
		-e DEBUG_KMEMLEAK -e DEBUG_KMEMLEAK_DEFAULT_OFF \
		--set-val DEBUG_KMEMLEAK_MEM_POOL_SIZE 16000 \
		-e DETECT_HUNG_TASK -e SOFTLOCKUP_DETECTOR
	# fast to build: no debug info, no module signing, no GPU, sound or wireless
	cfg -d DEBUG_INFO -e DEBUG_INFO_NONE -d DEBUG_INFO_BTF -d MODULE_SIG \
		-d RANDOMIZE_BASE -d WERROR -d DRM -d SOUND -d WLAN -d WIRELESS -d CFG80211
	kmake -s olddefconfig >&2
	for opt in DEBUG_VM PAGE_TABLE_CHECK_ENFORCED KASAN_GENERIC PROVE_LOCKING \
		DEBUG_KMEMLEAK UPROBE_EVENTS TRANSPARENT_HUGEPAGE USERFAULTFD; do
		grep -q "^CONFIG_$opt=y" "$root/obj/.config" || die "CONFIG_$opt did not stick"
	done
	echo "debug-$abi" > "$root/.configured"
}
[ $resume = 1 ] || configure_tree

# SECURITY_LOCKDOWN_LSM selects MODULE_SIG, so the build makes a signing key
# with openssl, which the build roots do not carry (the module builds never
# need it): added to the root the first time, outside its recipe.
if [ "$env" != host ] && ! in_env "$env" sh -c 'command -v openssl' > /dev/null 2>&1; then
	log "adding openssl to the $env build root (the kernel's module signing key)"
	in_env "$env" sh -c 'apt-get -q update && apt-get -q -y install openssl' >&2 ||
		die "cannot install openssl in the $env build root"
fi

log "building debug-$abi (x86_64, -j$(nproc)); 20 minutes (6.12) to over an hour (7.x)"
start=$(date +%s)
if ! in_env "$env" nice make -C "$src" O="$root/obj" -j"$(nproc)" bzImage modules \
	> "$root/build.log" 2>&1; then
	tail -n 30 "$root/build.log" >&2
	die "debug kernel build failed (log: $root/build.log)"
fi
log "debug kernel built in $(( $(date +%s) - start )) s"
ln -sfn "$root/obj" "$root/build"
ln -sfn "$root/obj/arch/x86/boot/bzImage" "$root/vmlinuz"
echo "debug-$abi" > "$root/abi"
touch "$root/.done"
echo "$root"
