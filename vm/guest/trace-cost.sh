#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# trace-cost.sh: what the tracepoints cost, inside one guest (the runner's
# bench mode, vm/bench.sh). Three builds of the same collapse are timed by
# thp_retry_bench, interleaved over 6 rounds (each order of the three twice,
# after one warm-up run that is not counted) so that drift hits all three
# alike:
#   compiled_out  thp_retry.ko built with THP_NO_TRACE=y (no tracepoints)
#   off           the normal thp_retry.ko, every thp_retry event disabled
#   on            the normal thp_retry.ko, every thp_retry event enabled
# Prints "# bench: trace_cost ..." lines: each round's medians, then the
# median over the rounds and the ratios off/compiled_out (what a disabled
# event costs: 1.00 is nothing) and on/compiled_out.
ko=${THP_RETRY_KO:-/lib/modules/thp_retry.ko}
ko_out=/lib/modules/notrace/thp_retry.ko
ev=/sys/kernel/tracing/events/thp_retry
rounds=${thp_trace_rounds:-6}
iters=${thp_trace_iters:-30}
res=/tmp/trace-cost.$$

say() { echo "# bench: trace_cost $*"; }

if [ ! -f "$ko_out" ]; then
	say "skipped: no $ko_out (build-target.sh bench builds it)"
	exit 0
fi

# load VARIANT: the module of that variant, loaded, its events set
load() {
	rmmod thp_retry 2> /dev/null
	case $1 in
	compiled_out) insmod "$ko_out" ;;
	*) insmod "$ko" ;;
	esac || return 1
	if [ "$1" = compiled_out ]; then
		[ ! -d "$ev" ] || { say "failed: $ev exists with THP_NO_TRACE=y"; return 1; }
		return 0
	fi
	[ -d "$ev" ] || { say "failed: no $ev"; return 1; }
	if [ "$1" = on ]; then
		echo 1 > "$ev/enable" && echo 1 > /sys/kernel/tracing/tracing_on
	else
		echo 0 > "$ev/enable"
	fi
}

: > "$res"
# warm-up: caches, the tmpfs, the first faults; not counted
load off && thp_retry_bench "$iters" 0 > /dev/null 2>&1
r=1
while [ $r -le "$rounds" ]; do
	# each order of the three in turn
	case $((r % 6)) in
	1) order="off compiled_out on" ;;
	2) order="compiled_out on off" ;;
	3) order="on off compiled_out" ;;
	4) order="off on compiled_out" ;;
	5) order="compiled_out off on" ;;
	0) order="on compiled_out off" ;;
	esac
	for v in $order; do
		load "$v" || { say "failed: loading the $v module"; exit 1; }
		out=$(thp_retry_bench "$iters" 0 2>&1)
		c=$(echo "$out" | sed -n 's/^# bench: collapse native median_us=\([0-9.]*\) .*/\1/p')
		s=$(echo "$out" | sed -n 's/^# bench: split median_us=\([0-9.]*\) .*/\1/p')
		if [ -z "$c" ] || [ -z "$s" ]; then
			say "failed: $v round $r: $(echo "$out" | head -n 3 | tr '\n' ' ')"
			exit 1
		fi
		echo "$v $c $s" >> "$res"
		say "round $r $v collapse_us=$c split_us=$s"
	done
	r=$((r + 1))
done
[ ! -d "$ev" ] || echo 0 > "$ev/enable"
echo > /sys/kernel/tracing/trace 2> /dev/null
if ! { rmmod thp_retry && insmod "$ko"; }; then
	say "failed: reloading $ko"
fi

# medians over the rounds, and the ratios to compiled_out
awk -v iters="$iters" '
	function median(a, n,    i, j, t) {
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{
		n[$1]++
		if ($1 == "compiled_out") { c0[n[$1]] = $2; s0[n[$1]] = $3 }
		if ($1 == "off") { c1[n[$1]] = $2; s1[n[$1]] = $3 }
		if ($1 == "on") { c2[n[$1]] = $2; s2[n[$1]] = $3 }
	}
	END {
		mc0 = median(c0, n["compiled_out"]); ms0 = median(s0, n["compiled_out"])
		mc1 = median(c1, n["off"]); ms1 = median(s1, n["off"])
		mc2 = median(c2, n["on"]); ms2 = median(s2, n["on"])
		printf "# bench: trace_cost collapse_us compiled_out=%.1f off=%.1f on=%.1f", mc0, mc1, mc2
		printf " ratio off/compiled_out=%.2f on/compiled_out=%.2f\n", mc1 / mc0, mc2 / mc0
		printf "# bench: trace_cost split_us compiled_out=%.1f off=%.1f on=%.1f", ms0, ms1, ms2
		printf " ratio off/compiled_out=%.2f on/compiled_out=%.2f", ms1 / ms0, ms2 / ms0
		printf " (rounds=%d iterations=%d)\n", n["off"], iters
	}
' "$res"
rm -f "$res"
