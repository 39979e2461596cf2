#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# debug-kernel.sh [--if-cached]
#
# The debug tier's kernel: Debian's linux-source-6.12 built for x86_64 with
# the mm and locking debug options (DEBUG_VM, DEBUG_VM_PGFLAGS, enforced
# PAGE_TABLE_CHECK, generic KASAN, PROVE_LOCKING, DEBUG_ATOMIC_SLEEP,
# DEBUG_LIST, KMEMLEAK off until the boot line turns it on) plus what the
# module and its tests need, everything built in. Built once (about 20 min
# with -j2) into $THP_CACHE/kernels/debug-6.12-amd64, laid out like a
# fetched Debian kernel (build/, vmlinuz, abi, x/ for busybox) so that
# build-target.sh and run-target.sh take it as series "6.12-debug". Prints
# the root. --if-cached prints it only when it is already built (exit 1
# otherwise), for check.sh.
set -euo pipefail
. "$(dirname "$0")/common.sh"

root=$THP_CACHE/kernels/debug-6.12-amd64
if [ -f "$root/.done" ]; then
	echo "$root"
	exit 0
fi
[ "${1:-}" = --if-cached ] && exit 1

tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n 1 || true)
[ -n "$tarball" ] || die "no /usr/src/linux-source-6.12.tar.* (apt-get install linux-source-6.12)"
rm -rf "$root" && mkdir -p "$root/obj"
log "extracting $tarball"
tar -C "$root" -xf "$tarball"
src=$(ls -d "$root"/linux-source-6.12 | head -n 1)
abi=$(make -s -C "$src" kernelversion)

# busybox and the rest of the guest come from the stock 6.12 amd64 kernel's
# download.
stock=$("$THP_TOP/vm/fetch-kernel.sh" 6.12 x86_64)
ln -sfn "$stock/x" "$root/x"

log "configuring debug-$abi"
make -s -C "$src" O="$root/obj" x86_64_defconfig kvm_guest.config >&2
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
make -s -C "$src" O="$root/obj" olddefconfig >&2
for opt in DEBUG_VM PAGE_TABLE_CHECK_ENFORCED KASAN_GENERIC PROVE_LOCKING \
	DEBUG_KMEMLEAK UPROBE_EVENTS TRANSPARENT_HUGEPAGE USERFAULTFD; do
	grep -q "^CONFIG_$opt=y" "$root/obj/.config" || die "CONFIG_$opt did not stick"
done

log "building debug-$abi (x86_64, -j$(nproc)); about 20 minutes"
start=$(date +%s)
if ! nice make -C "$src" O="$root/obj" -j"$(nproc)" bzImage modules \
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
