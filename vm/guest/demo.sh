#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The README's main job, inside the guest: make a pte-mapped THP and map it
# back with one PMD through debugfs PID:ADDR; then, with takeover=1, a
# churned process whose anonymous THPs khugepaged maps back with no copy.
# Lines for the user start with "THP-DEMO:".
d=/sys/kernel/debug/thp_retry
out() { sed 's/^/THP-DEMO: /'; }
smaps() {
	awk -v a="$2" '
		/^[0-9a-f]+-[0-9a-f]+ / { split($1, r, "-"); in_vma = (r[1] == a) }
		in_vma && /^(Size|Rss|ShmemPmdMapped):/ { printf "  %s %s %s\n", $1, $2, $3 }
	' "/proc/$1/smaps"
}
anon_kb() {	# anon_kb PID ADDR -> AnonHugePages of the VMA at ADDR (hex, no 0x)
	awk -v a="$2" '
		/^[0-9a-f]+-[0-9a-f]+ / { split($1, r, "-"); in_vma = (r[1] == a) }
		in_vma && /^AnonHugePages:/ { print $2 }
	' "/proc/$1/smaps"
}
copies() { awk '$1 == "thp_collapse_alloc" { print $2 }' /proc/vmstat; }
request() {	# request FILE PID:ADDR -> prints the result line
	exec 3<>"$d/$1"
	if echo "$2" >&3; then rc=ok; else rc=failed; fi
	echo "  write $rc, result: $(cat <&3)"
	exec 3>&-
}
# One PMD maps 2 MiB with 4 KiB pages, 32 MiB with 16 KiB pages (arm64-16k).
pmd=$(cat /sys/kernel/mm/transparent_hugepage/hpage_pmd_size 2>/dev/null)
if [ -z "$pmd" ]; then
	echo "no hpage_pmd_size: this kernel has no THP" | out
	exit 1
fi
pmd_kb=$((pmd / 1024))
pmd_mb=$((pmd / 1048576))
{
	echo "kernel $(uname -r) on $(uname -m); thp_retry loaded:"
	grep thp_retry /proc/modules
	echo "page size $(awk '/^KernelPageSize:/ { print $2; exit }' /proc/self/smaps) kB," \
		"one PMD maps $pmd_mb MiB ($pmd_kb kB)"
	mkdir -p /mnt/huge
	# room for the file's two THPs and then some
	mount -t tmpfs -o "huge=always,size=$((4 * pmd))" none /mnt/huge
	/bin/thp_demo_target /mnt/huge/data $((2 * pmd_mb)) > /tmp/target.out &
	pid=$!
	while ! grep -q ADDR= /tmp/target.out 2>/dev/null; do sleep 0.1; done
	addr=$(sed -n 's/ADDR=//p' /tmp/target.out)
	a=${addr#0x}
	echo
	echo "target pid $pid maps a $((2 * pmd_mb)) MiB file of huge=always tmpfs at $addr (two PMDs):"
	smaps "$pid" "$a"
	echo
	echo "\$ echo $pid:$addr > $d/split"
	request split "$pid:$addr"
	echo "now the first $pmd_mb MiB are a pte-mapped THP (ShmemPmdMapped drops to $pmd_kb kB):"
	smaps "$pid" "$a"
	echo
	echo "\$ echo $pid:$addr > $d/collapse"
	request collapse "$pid:$addr"
	echo "mapped by one PMD again (ShmemPmdMapped back to $((2 * pmd_kb)) kB):"
	smaps "$pid" "$a"
	echo
	echo "\$ grep -E '^(collapse|split)_' $d/stats"
	grep -E '^(collapse|split)_' $d/stats
	kill "$pid"
	wait "$pid"
	echo "target exited with $? ($(tail -n 1 /tmp/target.out))"
	umount /mnt/huge
} 2>&1 | out

khd=/sys/kernel/mm/transparent_hugepage/khugepaged
{
	echo
	echo "--- a churned process, recovered by khugepaged with takeover=1 (no copy)"
	n=4
	/bin/thp_demo_target --churn $((n * pmd_mb)) > /tmp/churn.out &
	pid=$!
	while ! grep -q HEADS= /tmp/churn.out 2>/dev/null; do sleep 0.1; done
	addr=$(sed -n 's/ADDR=//p' /tmp/churn.out)
	a=${addr#0x}
	heads0=$(sed -n 's/HEADS=//p' /tmp/churn.out | head -n 1)
	echo "target pid $pid: $((n * pmd_mb)) MiB of anonymous THPs (MADV_HUGEPAGE) at $addr"
	echo "  AnonHugePages $(anon_kb "$pid" "$a") kB, head PFNs:$heads0"
	echo "\$ echo 1 > /sys/module/thp_retry/parameters/takeover"
	echo 1 > /sys/module/thp_retry/parameters/takeover
	c0=$(copies)
	kill -USR1 "$pid"
	while ! grep -q CHURNED /tmp/churn.out; do sleep 0.1; done
	echo "churned: in each PMD range a sub-range mprotect()ed read-only and back, and written:"
	echo "  AnonHugePages $(anon_kb "$pid" "$a") kB (every range mapped by PTEs)"
	echo "\$ echo 100 > $khd/scan_sleep_millisecs"
	echo 100 > "$khd/scan_sleep_millisecs"
	t=0
	while [ "$(anon_kb "$pid" "$a")" != $((n * pmd_kb)) ] && [ $t -lt 300 ]; do
		sleep 0.1
		t=$((t + 1))
	done
	echo 10000 > "$khd/scan_sleep_millisecs"
	kill -USR2 "$pid"
	sleep 0.5
	heads1=$(sed -n 's/HEADS=//p' /tmp/churn.out | tail -n 1)
	c1=$(copies)
	echo "after $((t / 10)).$((t % 10)) s: AnonHugePages $(anon_kb "$pid" "$a") kB, head PFNs:$heads1"
	echo "  PMD-size copies made by khugepaged (thp_collapse_alloc): $((c1 - c0))"
	grep -E '^takeover_(calls|taken|raced) ' $d/stats | sed 's/^/  /'
	if [ "$(anon_kb "$pid" "$a")" = $((n * pmd_kb)) ] && [ "$heads1" = "$heads0" ] &&
	   [ "$c1" = "$c0" ]; then
		echo "recovered in place: the same pages, mapped by PMDs again, nothing copied"
	else
		echo "not recovered in place"
	fi
	echo 0 > /sys/module/thp_retry/parameters/takeover
	kill "$pid"
	wait "$pid"
	echo "churned target exited with $? ($(tail -n 1 /tmp/churn.out))"
} 2>&1 | out
