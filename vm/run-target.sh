#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# run-target.sh SERIES ARCH [check|demo|bench]
#
# Builds and boots one target under QEMU TCG and judges the run. Prints one
# line per result, "pass NAME", "fail NAME" or "skip NAME", on stdout (the
# guest's serial log is kept as $THP_CACHE/logs/ABI-ARCH.log); demo and
# bench also print what the guest showed for the user. SERIES: 6.1, 6.12,
# 7.x (the 7.x series common.sh resolves) or 7.N, or one of those with
# -debug (the debug tier); ARCH: x86_64, arm64 or arm64-16k. Exits 1 when
# any result is "fail".
set -uo pipefail
. "$(dirname "$0")/common.sh"

series=$1 arch=$2 mode=${3:-check}
# "7.x" (and "7.x-debug") name the series they resolve to, e.g. 7.3-x86_64
case "$series" in
*-debug) series=$(resolve_series "${series%-debug}")-debug || exit 1 ;;
*) series=$(resolve_series "$series") || exit 1 ;;
esac
kernel_arch "$arch" > /dev/null || exit 1
name=$series-$arch
mkdir -p "$THP_CACHE/logs"

failed=0
# report LINES: print result lines; any "fail" makes the exit status 1
report() {
	[ -n "$1" ] || return 0
	printf '%s\n' "$1"
	if printf '%s\n' "$1" | grep -q '^fail '; then failed=1; fi
}

bt=""
[ "$mode" = bench ] && bt=bench
if ! out=$("$THP_TOP/vm/build-target.sh" "$series" "$arch" $bt); then
	report "fail $name/build"
	exit 1
fi
report "pass $name/build"
abi=$(basename "$out")
# IBT kernels: the call stubs as built (QEMU cannot show a wrong one)
if [ -f "$out/src/ibt_thunks.o" ]; then
	if "$THP_TOP/vm/check-thunks.sh" "$out/src/ibt_thunks.o" >&2; then
		report "pass $name/ibt-thunks-shape"
	else
		report "fail $name/ibt-thunks-shape"
	fi
fi
log=$THP_CACHE/logs/$abi.log

case "$(kernel_arch "$arch")" in
x86_64)
	qemu=(qemu-system-x86_64 -cpu max)
	console=ttyS0
	;;
arm64)
	qemu=(qemu-system-aarch64 -M virt -cpu max)
	console=ttyAMA0
	;;
esac
# arm64 -cpu max has the 16K granule; a PMD there is 32 MiB: more memory
mem=3G
[ "$arch" = arm64-16k ] && mem=4G
mem=${THP_VM_MEM:-$mem}
# thp_retry_reload: 30 load/unload cycles in the normal tier, 100 in the
# debug tier (on x86_64 in a boot of its own, see the end of this file).
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
verdict() { if [ "$1" = 0 ]; then report "pass $2"; else report "fail $2"; fi; }

# boot LOG PREFIX APPEND [ACCEL]: boot once (ACCEL: QEMU's -accel, default
# multi-threaded TCG), judge the serial log. Result names are PREFIX/boot,
# PREFIX/insmod, ...; selftests are $name/TEST/CASE.
boot() {
	local blog=$1 prefix=$2 append=$3 accel=${4:-tcg} qrc splats
	log "booting $abi ($mode, -accel $accel), serial log in $blog"
	timeout "$timeout" "${qemu[@]}" -accel "$accel" -m "$mem" -smp 2 -nographic \
		-no-reboot -kernel "$out/vmlinuz" -initrd "$out/initrd.gz" \
		-append "console=$console quiet panic=-1 thp_mode=$mode transparent_hugepage=madvise$append$extra" \
		< /dev/null > "$blog" 2>&1
	qrc=$?
	# Drop carriage returns and the firmware's terminal escapes.
	tr -d '\r' < "$blog" | sed -E 's/\x1b(\[[0-9;?]*[A-Za-z]|[A-Za-z])//g' > "$blog.tmp" &&
		mv "$blog.tmp" "$blog"

	if [ "$mode" != check ]; then
		sed -n 's/^THP-DEMO: \{0,1\}//p' "$blog"
	fi
	if [ "$mode" = demo ]; then
		# vm/guest/demo.sh: both requests (split, collapse) written and
		# answered, the target process seen to the end; the churned one
		# recovered in place and intact
		[ "$(grep -c '^THP-DEMO:   write ok, result:' "$blog")" -ge 2 ] &&
			! grep -q '^THP-DEMO:   write failed' "$blog" &&
			grep -q '^THP-DEMO: target exited with' "$blog" &&
			grep -q '^THP-DEMO: recovered in place' "$blog" &&
			grep -q '^THP-DEMO: churned target exited with 0 (contents intact)' "$blog"
		verdict $? "$prefix/demo-steps"
	fi

	grep -q 'THP-VM: booted' "$blog"; verdict $? "$prefix/boot"
	grep -q '^THP-VM: insmod ok' "$blog"; verdict $? "$prefix/insmod"
	if [ "$mode" = check ]; then
		# Each selftest's TAP lines sit between its begin and end markers.
		report "$(awk -v t="$name" '
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
		' "$blog")"
	fi
	grep -q '^THP-VM: rmmod ok' "$blog"; verdict $? "$prefix/rmmod"
	grep -q '^THP-VM: dmesg-end' "$blog"; verdict $? "$prefix/shutdown"
	splats=$(sed -n '/^THP-VM: dmesg-begin/,/^THP-VM: dmesg-end/p' "$blog" |
		grep -E 'BUG|WARNING|Oops|Bad page|Bad rss-counter|KASAN|suspected memory leak|possible circular|INFO: task|inconsistent lock state|sleeping function called' || true)
	if [ -n "$splats" ]; then
		printf '%s\n' "$splats" | sed 's/^/  dmesg: /' >&2
		report "fail $prefix/dmesg-clean"
	else
		report "pass $prefix/dmesg-clean"
	fi
	[ $qrc = 0 ] || log "qemu exited with $qrc (124: timeout)"
}

# x86_64 guests patch kernel text with int3 + IPI (text_poke_bp(): ftrace,
# kprobes, static keys, tracepoints) and rely on the IPI to stop other CPUs
# running the old bytes. Multi-threaded TCG does not honour that: a vCPU
# translating the code while another vCPU writes it can keep a stale
# translation after the IPI, and run an int3 that is no longer in memory
# (seen on 6.1: RIP 0 from kprobe_int3_handler() on an ftrace-based kprobe,
# with insmod racing a uprobe registration), or hang the guest (seen on 6.1
# with thp_retry_trace turning the module's events off). arm64 patches under
# stop_machine() and is not affected. On x86_64 the programs that do it on
# purpose, in loops, get a boot of their own with single-threaded TCG, where
# only one vCPU runs at a time; everything else keeps real parallelism:
#   check: thp_retry_reload (30-100 module reloads), thp_retry_takeover
#          (puts its kprobe in and out in a loop), thp_retry_trace and
#          thp_retry_uprobe (they turn tracepoints on and off)
#   bench: trace_cost (reloads the module between its runs)
# single_boots LIST TAG: the LIST items THP_ONLY asks for (all by default)
# in a single-threaded boot (log ABI-ARCH-TAG.log, results NAME/TAG-vm/...),
# the rest in a normal one.
single_boots() {
	local list=$1 tag=$2 want="" rest t
	if [ -z "${THP_ONLY:-}" ]; then
		want=$list
		boot "$log" "$name" " thp_skip=$list"
	else
		rest=,$THP_ONLY,
		for t in ${list//,/ }; do
			if [[ $rest == *",$t,"* ]]; then
				want=$want${want:+,}$t
				rest=${rest/,$t,/,}
			fi
		done
		rest=${rest#,}
		rest=${rest%,}
		[ -z "$rest" ] || boot "$log" "$name" " thp_only=$rest"
	fi
	[ -z "$want" ] ||
		boot "${log%.log}-$tag.log" "$name/$tag-vm" " thp_only=$want" tcg,thread=single
}

if [ "$arch" = x86_64 ] && [ "$mode" = check ]; then
	single_boots thp_retry_reload,thp_retry_trace,thp_retry_uprobe,thp_retry_takeover reload
elif [ "$arch" = x86_64 ] && [ "$mode" = bench ]; then
	single_boots trace_cost trace-cost
else
	boot "$log" "$name" "${THP_ONLY:+ thp_only=$THP_ONLY}"
fi
exit $failed
