#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# check-layers.sh [DIR]: the module's files include only their own layer or
# the ones below it, and the includes within a layer have no cycle
# (Documentation/architecture.rst). Prints the include graph with each
# file's layer, then every violation; exit status 1 when there is one.
set -eu
cd "${1:-$(dirname "$0")/..}"

# layer FILE: 5 interface, 4 mechanisms, 3 hooks, 2 core, 1 platform
layer() {
	case "${1%.*}" in
	main | debugfs | chardev | control | testing) echo 5 ;;
	collapse | collapse_file | collapse_anon | collapse_kernel | foll_split_pmd | \
	khugepaged_retry | range | scan | autoscan | takeover | thp_uprobe | queue_hooks | explain) echo 4 ;;
	hooks | hooks_list) echo 3 ;;
	request | pgtable | results | results_list | stats | stats_list | \
	thp_trace | trace) echo 2 ;;
	compat | compat_probe | thp_settings | ksyms | ksyms_list | ksyms_asm | ibt_check | ibt_thunks) echo 1 ;;
	*) echo 0 ;;
	esac
}

bad=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
for f in *.c *.h *.S; do
	lf=$(layer "$f")
	if [ "$lf" = 0 ]; then
		echo "unknown layer: $f (add it to scripts/check-layers.sh)"
		bad=1
		continue
	fi
	incs=$(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f" | tr '\n' ' ')
	printf 'L%s %-20s %s\n' "$lf" "$f" "$incs"
	for i in $incs; do
		[ "${i%.h}" = "${f%.*}" ] && continue
		li=$(layer "$i")
		if [ "$li" = 0 ]; then
			echo "  $f includes $i: unknown layer"
			bad=1
		elif [ "$li" -gt "$lf" ]; then
			echo "  $f (layer $lf) includes $i (layer $li): upward"
			bad=1
		elif [ "$li" = "$lf" ]; then
			echo "${f%.*} ${i%.h}" >> "$edges"
		fi
	done
done
# within a layer: one more edge per file to itself keeps tsort quiet about
# isolated files; a cycle makes tsort complain
if ! tsort "$edges" > /dev/null 2> "$edges.err"; then
	sed 's/^/  cycle: /' "$edges.err"
	bad=1
fi
rm -f "$edges.err"
[ "$bad" = 0 ] && echo "layers: every include points down or across without a cycle"
exit "$bad"
