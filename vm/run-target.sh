#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# run-target.sh SERIES ARCH [check|demo|bench]
#
# Builds and boots one target under QEMU TCG and judges the run. Prints one
# line per result, "pass NAME", "fail NAME" or "skip NAME", on stdout (the
# guest's serial log is kept as $THP_CACHE/logs/ABI-ARCH.log); demo and
# bench also print what the guest showed for the user.
set -uo pipefail
. "$(dirname "$0")/common.sh"

series=$1 arch=$2 mode=${3:-check}
name=$series-$arch
mkdir -p "$THP_CACHE/logs"

if ! out=$("$THP_TOP/vm/build-target.sh" "$series" "$arch"); then
	echo "fail $name/build"
	exit 0
fi
echo "pass $name/build"
abi=$(basename "$out")
log=$THP_CACHE/logs/$abi.log

case "$arch" in
x86_64)
	qemu=(qemu-system-x86_64 -accel tcg -cpu max)
	console=ttyS0
	;;
arm64)
	qemu=(qemu-system-aarch64 -M virt -accel tcg -cpu max)
	console=ttyAMA0
	;;
esac
mem=${THP_VM_MEM:-3G}
# The stock 6.12 x86_64 guest under TCG has crashed inside module loading
# (a kernel-mode #DB with impossible EFLAGS, then a read-only page handed out
# by the page allocator) after dozens of load/unload cycles: the normal tier
# reloads 30 times, the debug tier the full 100.
extra=" thp_reload_cycles=${THP_RELOAD_CYCLES:-30}"
timeout=${THP_VM_TIMEOUT:-900}
case "$series" in
*-debug)
	# kmemleak is built in but off until asked for; KASAN and lockdep
	# make everything several times slower: each selftest gets 1500 s
	extra=" kmemleak=on thp_reload_cycles=${THP_RELOAD_CYCLES:-100} thp_test_timeout=1500"
	timeout=${THP_VM_TIMEOUT:-5400}
	;;
esac
log "booting $abi ($mode), serial log in $log"
timeout "$timeout" "${qemu[@]}" -m "$mem" -smp 2 -nographic \
	-no-reboot -kernel "$out/vmlinuz" -initrd "$out/initrd.gz" \
	-append "console=$console quiet panic=-1 thp_mode=$mode transparent_hugepage=madvise${THP_ONLY:+ thp_only=$THP_ONLY}$extra" \
	< /dev/null > "$log" 2>&1
qrc=$?
# Drop carriage returns and the firmware's terminal escapes.
tr -d '\r' < "$log" | sed -E 's/\x1b(\[[0-9;?]*[A-Za-z]|[A-Za-z])//g' > "$log.tmp" &&
	mv "$log.tmp" "$log"

if [ "$mode" != check ]; then
	sed -n 's/^THP-DEMO: \{0,1\}//p' "$log"
fi

verdict() { if [ "$1" = 0 ]; then echo "pass $name/$2"; else echo "fail $name/$2"; fi; }

grep -q '^THP-VM: booted' "$log"; verdict $? boot
grep -q '^THP-VM: insmod ok' "$log"; verdict $? insmod
if [ "$mode" = check ]; then
	# Each selftest's TAP lines sit between its begin and end markers.
	awk -v t="$name" '
		/^THP-VM: selftest-begin / { cur = $3; next }
		/^THP-VM: selftest-end / {
			rc = $4; sub("rc=", "", rc)
			if (rc != 0 && rc != 4)
				printf "fail %s/%s (exit %s)\n", t, cur, rc
			else if (!seen[cur])
				printf "fail %s/%s (no test ran)\n", t, cur
			cur = ""; next
		}
		cur != "" && /^(not )?ok [0-9]+ / {
			line = $0; seen[cur] = 1
			res = "pass"
			if (line ~ /^not ok/) res = "fail"
			else if (line ~ /# SKIP/) res = "skip"
			sub(/^(not )?ok [0-9]+ /, "", line); sub(/ *#.*/, "", line)
			printf "%s %s/%s/%s\n", res, t, cur, line
		}
		END { if (cur != "") printf "fail %s/%s (timed out or crashed)\n", t, cur }
	' "$log"
fi
grep -q '^THP-VM: rmmod ok' "$log"; verdict $? rmmod
grep -q '^THP-VM: dmesg-end' "$log"; verdict $? shutdown
splats=$(sed -n '/^THP-VM: dmesg-begin/,/^THP-VM: dmesg-end/p' "$log" |
	grep -E 'BUG|WARNING|Oops|Bad page|Bad rss-counter|KASAN|suspected memory leak|possible circular|INFO: task|inconsistent lock state|sleeping function called' || true)
if [ -n "$splats" ]; then
	printf '%s\n' "$splats" | sed 's/^/  dmesg: /' >&2
	echo "fail $name/dmesg-clean"
else
	echo "pass $name/dmesg-clean"
fi
[ $qrc = 0 ] || log "qemu exited with $qrc (124: timeout)"
exit 0
