#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# build-root.sh SUITE [CMD...]
#
# A Debian SUITE (trixie, bookworm) build root for kernels built with a gcc
# the host lacks (7.x and 6.12+deb13 need gcc 14, which bookworm lacks; 6.1
# needs gcc 12, which trixie hosts lack). Made once with debootstrap into
# $THP_CACHE/roots/SUITE (about a minute and 0.6 GB), with gcc-N, the arm64
# cross gcc-N, sparse, dwarves and the kernel's host tool dependencies.
#
# Without CMD: makes sure the root exists and prints its path. With CMD:
# runs CMD inside it (chroot), in the current directory, with /proc, /dev and
# $THP_CACHE mounted at the same paths as on the host. The mounts live in a
# mount namespace of their own (unshare -m): they vanish with the command,
# however it ends, and are never visible on the host. Inside a chroot,
# where / is not a mount point and unshare cannot make mounts private, they
# are made in place and undone when the command ends.
set -euo pipefail
. "$(dirname "$0")/common.sh"

suite=${1:?usage: build-root.sh SUITE [CMD...]}
shift
case "$suite" in
bookworm) gcc=12 ;;
trixie) gcc=14 ;;
*) die "no build root recipe for suite '$suite'" ;;
esac
root=$THP_CACHE/roots/$suite
pkgs=gcc-$gcc,gcc-$gcc-aarch64-linux-gnu,make,libelf-dev,libssl-dev,bc,flex,bison,python3,perl,cpio,kmod,dwarves,sparse
# a root made from another recipe is made anew
recipe="$suite $pkgs"
if [ "$suite" = trixie ]; then recipe="$recipe +unstable-sparse"; fi

make_root() {
	local tmp=$root.tmp mirror
	command -v debootstrap > /dev/null || die "debootstrap is not installed (vm/host-setup.sh)"
	mirror=$(mirror_uri debian)
	log "creating the $suite build root in $root (debootstrap from $mirror, about a minute)"
	rm -rf "$tmp"
	if ! debootstrap --variant=minbase \
		--include="$pkgs" \
		"$suite" "$tmp" "$mirror" > "$THP_CACHE/roots/$suite.log" 2>&1; then
		tail -n 20 "$THP_CACHE/roots/$suite.log" >&2
		rm -rf "$tmp"
		die "debootstrap of $suite failed (log: $THP_CACHE/roots/$suite.log)"
	fi
	# Debian's headers call x86_64-linux-gnu-gcc-N / aarch64-linux-gnu-gcc-N;
	# trees we build ourselves (debug tier) and the cross builds call gcc
	# and aarch64-linux-gnu-gcc.
	for t in gcc cc x86_64-linux-gnu-gcc aarch64-linux-gnu-gcc; do
		case $t in
		aarch64-*) src=aarch64-linux-gnu-gcc-$gcc ;;
		*) src=gcc-$gcc ;;
		esac
		[ -e "$tmp/usr/bin/$t" ] || ln -s "$src" "$tmp/usr/bin/$t"
	done
	[ "$suite" = trixie ] && new_sparse "$tmp"
	chroot "$tmp" sh -c "gcc-$gcc --version && aarch64-linux-gnu-gcc-$gcc --version && sparse --version" \
		> /dev/null || die "the $suite root lacks a compiler or sparse"
	echo "$recipe" > "$tmp/.thp-recipe"
	rm -rf "$root"
	mv "$tmp" "$root"
}

# new_sparse ROOT: kernels from 6.15 on use __typeof_unqual__, which the
# sparse of trixie (0.6.4) cannot parse: their Makefile then turns C=1 off
# (scripts/checker-valid.sh). Debian unstable's sparse (0.6.5~rc1) can; its
# binary (it needs only libc) goes to ROOT/usr/local/bin, ahead of the
# root's own. Fetched with a throw-away apt configuration for unstable,
# which accepts an expired Release file (still signature-checked): a mirror
# or snapshot may carry an unstable it no longer refreshes, and an old
# 0.6.5 sparse is as good as a new one here.
new_sparse() {
	local r=$1 apt=$THP_CACHE/apt/unstable deb
	local key=/usr/share/keyrings/debian-archive-keyring.gpg
	local opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$apt/lists" -o Dir::State::status=/dev/null
		-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
		-o "Dir::Cache::archives=$apt/archives" -o Dir::Cache::pkgcache=
		-o Dir::Cache::srcpkgcache= -o APT::Architectures::=amd64
		-o Acquire::Check-Valid-Until=false)
	rm -rf "$apt" && mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/debs"
	echo "deb [signed-by=$key] $(mirror_uri debian) sid main" > "$apt/sources.list"
	log "adding unstable's sparse to the $suite root"
	apt-get "${opts[@]}" -q update >&2 &&
		(cd "$apt/debs" && apt-get "${opts[@]}" -q download sparse:amd64 >&2) ||
		die "cannot download unstable's sparse"
	deb=$(ls "$apt"/debs/sparse_*.deb | head -n 1)
	dpkg-deb --fsys-tarfile "$deb" | tar -xf - -C "$apt/debs" ./usr/bin/sparse ||
		die "no usr/bin/sparse in $deb"
	install -m 755 "$apt/debs/usr/bin/sparse" "$r/usr/local/bin/sparse"
	rm -rf "$apt"
	printf 'static inline int u(const int *q)\n{\n\t__typeof_unqual__(*q) v = *q;\n\treturn v;\n}\n' \
		> "$r/tmp/unqual.c"
	if chroot "$r" sparse /tmp/unqual.c 2>&1 | grep -q error; then
		die "unstable's sparse cannot parse __typeof_unqual__ either"
	fi
	rm -f "$r/tmp/unqual.c"
}

mkdir -p "$THP_CACHE/roots"
ready() { [ "$(cat "$root/.thp-recipe" 2>/dev/null)" = "$recipe" ]; }
if ! ready; then
	# one creator at a time; the others wait and reuse its root
	exec 9> "$THP_CACHE/roots/.$suite.lock"
	flock 9
	ready || make_root
	exec 9>&-
fi
if [ $# = 0 ]; then
	echo "$root"
	exit 0
fi

mkdir -p "$root$THP_CACHE"
# The mounts, then CMD in the root. The mounts are undone on the way out,
# which matters only where they could not be put in a namespace of their own.
# shellcheck disable=SC2016
script='
	root=$1 cache=$2 dir=$3
	shift 3
	undo() {
		umount "$root$cache" 2> /dev/null || true
		umount "$root/dev" 2> /dev/null || true
		umount "$root/proc" 2> /dev/null || true
	}
	trap undo EXIT
	trap "exit 129" HUP
	trap "exit 130" INT
	trap "exit 143" TERM
	mount -t proc proc "$root/proc"
	mount --bind /dev "$root/dev"
	mount --bind "$cache" "$root$cache"
	cd "$root$dir" 2> /dev/null || cd "$root"
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	export PATH
	chroot "$root" /bin/sh -c "cd \"\$0\" 2> /dev/null || cd /; exec \"\$@\"" "$dir" "$@"
'
if mountpoint -q /; then
	exec unshare -m --propagation private -- /bin/sh -ec "$script" sh \
		"$root" "$THP_CACHE" "$PWD" "$@"
fi
# Inside a chroot (a test host made with debootstrap, say) / is not a mount
# point, so unshare cannot make the namespace's mounts private, and mounts
# made under a shared mount would show through to the host anyway. Mount in
# place instead; the script undoes them however CMD ends (a kill -9 of the
# script itself would leave them, under $root only).
exec /bin/sh -ec "$script" sh "$root" "$THP_CACHE" "$PWD" "$@"
