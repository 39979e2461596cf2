# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shared settings for the VM runner scripts. Sourced, never executed.
#
# THP_CACHE       where kernels, builds, logs, the runner's apt lists and the
#                 build roots go (outside the repository)
# THP_ABI_6_1     pin the 6.1 ABI, e.g. 6.1.0-56    (default: newest in the archive)
# THP_ABI_6_12    pin the 6.12 ABI, e.g. 6.12.117+deb12 or 6.12.118+deb13
#                 (default: newest of trixie's +deb13 and bookworm-security's +deb12)
# THP_SERIES_7    the 7.x series the targets "7.x-*" (the default ones) mean,
#                 e.g. 7.4 (default: the newest 7.x series in the archive)
# THP_ABI_7       pin the 7.x ABI, e.g. 7.3.4+deb13 (its series becomes "7.x")
# THP_TARGETS     targets to run, e.g. "6.12-x86_64 7.x-arm64-16k" (default: all
#                 seven); "7.x" stands for the 7.x series resolved as above, an
#                 explicit "7.3" for the newest ABI of that series
# THP_ONLY        selftests to run in the guest, e.g. "thp_retry_load,thp_retry_anon"
#                 (default: all)
# THP_ROOT_SUITE  force the build root's Debian suite (default: from the
#                 kernel's gcc version: 12 bookworm, 14 trixie)

THP_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
THP_CACHE=${THP_CACHE:-/var/cache/thp_retry}
mkdir -p "$THP_CACHE" && THP_CACHE=$(cd "$THP_CACHE" && pwd -P)
THP_ALL_TARGETS="6.1-x86_64 6.1-arm64 6.12-x86_64 6.12-arm64 7.x-x86_64 7.x-arm64 7.x-arm64-16k"
THP_TARGETS=${THP_TARGETS:-$THP_ALL_TARGETS}
# Target architectures: the kernel arch, plus "-16k" for the 16K-page flavour.
THP_ARCHES="arm64-16k x86_64 arm64"

log() { printf '[thp-vm] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# split_target TARGET: "SERIES ARCH" of e.g. 7.3-arm64-16k or 6.12-debug-x86_64.
split_target() {
	local a
	for a in $THP_ARCHES; do
		case "$1" in
		?*-"$a")
			echo "${1%-"$a"} $a"
			return
			;;
		esac
	done
	die "target '$1' is not SERIES-ARCH with ARCH one of: $THP_ARCHES"
}

# kernel_arch ARCH: the kernel's architecture (x86_64 or arm64).
kernel_arch() {
	case "$1" in
	x86_64) echo x86_64 ;;
	arm64 | arm64-16k) echo arm64 ;;
	*) die "unknown arch '$1'" ;;
	esac
}

# deb_arch ARCH: Debian's package architecture for a target arch.
deb_arch() {
	case "$1" in
	x86_64) echo amd64 ;;
	arm64 | arm64-16k) echo arm64 ;;
	*) die "unknown arch '$1'" ;;
	esac
}

# deb_flavour ARCH: Debian's kernel flavour for a target arch.
deb_flavour() {
	case "$1" in
	x86_64) echo amd64 ;;
	arm64) echo arm64 ;;
	arm64-16k) echo arm64-16k ;;
	*) die "unknown arch '$1'" ;;
	esac
}

# --- The runner's own apt configuration ($THP_CACHE/apt) ---------------------
# apt-get/apt-cache see bookworm, trixie and their updates, security and
# (trixie) backports suites for amd64 and arm64 through these options; the
# host's /etc/apt is only read (for its mirror URIs), never written. An
# expired Release file (a mirror or snapshot that stopped refreshing a suite)
# is still used: signatures are checked, and the newest kernel there is the
# newest this host can get anyway.
THP_APT=$THP_CACHE/apt
THP_APT_OPTS=(
	-o "Dir::Etc::SourceList=$THP_APT/sources.list"
	-o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$THP_APT/lists"
	-o Dir::State::status=/dev/null
	-o Dir::Etc::Preferences=/dev/null
	-o Dir::Etc::PreferencesParts=/dev/null
	-o "Dir::Cache::archives=$THP_APT/archives"
	-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
	-o APT::Architectures::=amd64 -o APT::Architectures::=arm64
	-o Acquire::Check-Valid-Until=false
)
thp_apt_get() { apt-get "${THP_APT_OPTS[@]}" "$@"; }
thp_apt_cache() { apt-cache "${THP_APT_OPTS[@]}" "$@"; }

# host_uris: "URI SUITE" for every enabled deb entry of the host's apt sources,
# one-line (sources.list, *.list) and deb822 (*.sources) formats.
host_uris() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		awk '$1 == "deb" {
			i = 2
			if ($i ~ /^\[/) while ($i !~ /\]$/ && i < NF) i++
			if ($i ~ /^\[/ || $i ~ /\]$/) i++
			if (i + 1 <= NF) print $i, $(i + 1)
		}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk 'function flush(  i, j, nu, ns, u, s) {
			if (types ~ /(^| )deb( |$)/ && enabled !~ /^[Nn][Oo]$/) {
				nu = split(uris, u, " "); ns = split(suites, s, " ")
				for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print u[i], s[j]
			}
			types = uris = suites = enabled = ""
		}
		/^#/ { next }
		/^[ \t]*$/ { flush(); next }
		{ key = tolower($1); sub(/:$/, "", key); $1 = "" ; val = $0; sub(/^ +/, "", val) }
		key == "types" { types = val } key == "uris" { uris = val }
		key == "suites" { suites = val } key == "enabled" { enabled = val }
		END { flush() }' "$f"
	done
}

# mirror_uri debian|security: the host's Debian archive (or security) URI,
# deb.debian.org when the host lists none.
mirror_uri() {
	local kind=$1 uri
	if [ "$kind" = security ]; then
		uri=$(host_uris | awk '$2 ~ /^[a-z]+-security$/ { print $1; exit }')
		echo "${uri:-http://deb.debian.org/debian-security}"
	else
		uri=$(host_uris | awk '$2 ~ /^(buster|bullseye|bookworm|trixie|forky|duke|sid|(old)*stable|testing|unstable)(-updates|-backports)?$/ { print $1; exit }')
		echo "${uri:-http://deb.debian.org/debian}"
	fi
}

# apt_refresh [--force]: write $THP_APT/sources.list and run apt-get update
# when it changed, when the lists are older than a day, or when forced.
apt_refresh() {
	local deb sec key=/usr/share/keyrings/debian-archive-keyring.gpg stamp=$THP_APT/updated
	deb=$(mirror_uri debian) sec=$(mirror_uri security)
	[ -r "$key" ] || die "$key missing (apt-get install debian-archive-keyring)"
	mkdir -p "$THP_APT/lists/partial" "$THP_APT/archives/partial"
	cat > "$THP_APT/sources.list.new" <<-EOF
	# written by thp_retry's vm/common.sh; the host's /etc/apt is not used
	deb [signed-by=$key] $deb bookworm main
	deb [signed-by=$key] $deb bookworm-updates main
	deb [signed-by=$key] $sec bookworm-security main
	deb [signed-by=$key] $deb trixie main
	deb [signed-by=$key] $deb trixie-updates main
	deb [signed-by=$key] $sec trixie-security main
	deb [signed-by=$key] $deb trixie-backports main
	EOF
	if ! cmp -s "$THP_APT/sources.list.new" "$THP_APT/sources.list"; then
		mv "$THP_APT/sources.list.new" "$THP_APT/sources.list"
		rm -f "$stamp"
	else
		rm -f "$THP_APT/sources.list.new"
	fi
	if [ "${1:-}" = --force ] || [ -z "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
		log "apt-get update of the runner's own lists ($THP_APT)"
		thp_apt_get -q update >&2 || die "apt-get update of $THP_APT failed"
		touch "$stamp"
	fi
}

# apt_ready: the runner's lists exist (refreshed by host-setup.sh once a day).
apt_ready() {
	[ -f "$THP_APT/updated" ] && [ -f "$THP_APT/sources.list" ] || apt_refresh
}

# --- Kernel series and ABIs ---------------------------------------------------

# abi_list SERIES: every ABI of a series in the archive (amd64 headers), sorted.
abi_list() {
	local series=$1 re
	apt_ready
	case "$series" in
	6.1) re='6\.1\.0-[0-9]+' ;;
	*) re="${series//./\\.}\\.[0-9]+\\+deb[0-9]+" ;;
	esac
	thp_apt_cache search --names-only "^linux-headers-$re-amd64\$" |
		sed -n -E "s/^linux-headers-($re)-amd64 .*/\\1/p" | sort -uV
}

# resolve_series SERIES: "7.x" is THP_ABI_7's series, else THP_SERIES_7,
# else the newest 7.N series in the archive; anything else is itself.
resolve_series() {
	local s
	case "$1" in
	7.x)
		if [ -n "${THP_ABI_7:-}" ]; then
			s=$(echo "$THP_ABI_7" | sed -n -E 's/^(7\.[0-9]+)\..*/\1/p')
			[ -n "$s" ] || die "THP_ABI_7=$THP_ABI_7 is not a 7.x ABI"
		elif [ -n "${THP_SERIES_7:-}" ]; then
			s=$THP_SERIES_7
		else
			apt_ready
			s=$(thp_apt_cache search --names-only '^linux-headers-7\.[0-9]+\.[0-9]+\+deb[0-9]+-amd64$' |
				sed -n -E 's/^linux-headers-(7\.[0-9]+)\..*/\1/p' | sort -uV | tail -n 1)
			[ -n "$s" ] || die "no 7.x kernel in the archive ($THP_APT/sources.list)"
		fi
		echo "$s"
		;;
	*) echo "$1" ;;
	esac
}

# resolve_abi SERIES: the newest ABI of a series in the archive, or the pinned one.
resolve_abi() {
	local series pin list
	series=$(resolve_series "$1") || exit 1
	case "$series" in
	6.1) pin=${THP_ABI_6_1:-} ;;
	6.12) pin=${THP_ABI_6_12:-} ;;
	7.*)
		pin=${THP_ABI_7:-}
		case "$pin" in "$series".*) ;; *) pin= ;; esac
		;;
	[0-9]*.[0-9]*) pin= ;;
	*) die "unknown series '$series'" ;;
	esac
	if [ -n "$pin" ]; then
		echo "$pin"
		return
	fi
	list=$(abi_list "$series") || exit 1
	[ -n "$list" ] || die "no linux-headers for $series in the archive ($THP_APT/sources.list)"
	echo "$list" | tail -n 1
}

# expand_targets: $THP_TARGETS with "7.x" replaced by the series it means.
expand_targets() {
	local t s a out=
	for t in $THP_TARGETS; do
		read -r s a <<< "$(split_target "$t")" || exit 1
		[ -n "$a" ] || exit 1
		s=$(resolve_series "$s") || exit 1
		out="$out $s-$a"
	done
	echo "${out# }"
}

# kbuild_pkg ABI: the linux-kbuild package that goes with an ABI (amd64: it
# also serves arm64 cross builds).
kbuild_pkg() {
	case "$1" in
	6.1.0-*) echo linux-kbuild-6.1 ;;
	*) echo "linux-kbuild-$1" ;;
	esac
}

# cross_env ARCH: make variables for building for ARCH on this host.
cross_env() {
	case "$(kernel_arch "$1")" in
	x86_64) echo "ARCH=x86" ;;
	arm64) echo "ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-" ;;
	esac
}

# target_cc ARCH: C compiler for static user-space test binaries.
target_cc() {
	case "$(kernel_arch "$1")" in
	x86_64) echo gcc ;;
	arm64) echo aarch64-linux-gnu-gcc ;;
	esac
}

# --- Compilers and build roots ------------------------------------------------

# kernel_gcc KDIR: the major version of the gcc a kernel tree was built with.
kernel_gcc() {
	local v
	v=$(sed -n 's/^CONFIG_GCC_VERSION=\([0-9]*\)$/\1/p' "$1/.config" 2>/dev/null)
	[ -n "$v" ] || die "no CONFIG_GCC_VERSION in $1/.config (not built with gcc?)"
	echo $(( v / 10000 ))
}

# kernel_cc KDIR ARCH: the compiler make will call for modules of KDIR.
# Debian's headers name it in .kernelvariables ($(CROSS_COMPILE)gcc-N with
# CROSS_COMPILE x86_64-linux-gnu- or aarch64-linux-gnu-); a tree we built
# ourselves (the debug tier) uses plain gcc.
kernel_cc() {
	local kdir=$1 arch=$2 m
	m=$(kernel_gcc "$kdir") || exit 1
	if [ -f "$kdir/.kernelvariables" ]; then
		case "$(kernel_arch "$arch")" in
		x86_64) echo "x86_64-linux-gnu-gcc-$m" ;;
		arm64) echo "aarch64-linux-gnu-gcc-$m" ;;
		esac
	else
		case "$(kernel_arch "$arch")" in
		x86_64) echo gcc ;;
		arm64) echo aarch64-linux-gnu-gcc ;;
		esac
	fi
}

# host_has_cc CC MAJOR: CC is on the host and is gcc MAJOR.
host_has_cc() {
	command -v "$1" > /dev/null 2>&1 &&
		[ "$("$1" -dumpversion 2>/dev/null | cut -d. -f1)" = "$2" ]
}

# host_sparse_ok KDIR: the host's sparse is one KDIR's Makefile accepts for
# C=1 (from 6.15 on it must parse __typeof_unqual__: trixie's 0.6.4 cannot).
host_sparse_ok() {
	local c
	# a Debian headers tree, or an O= build tree (source/ is the source)
	for c in "$1/scripts/checker-valid.sh" "$1/source/scripts/checker-valid.sh"; do
		[ -e "$c" ] || continue
		[ "$(sh "$c" sparse 2>/dev/null)" = 1 ]
		return
	done
	return 0
}

# build_env KDIR ARCH: "host" when the host has the compiler KDIR was built
# with (and a sparse it accepts), else the Debian suite of the build root
# that has them (vm/build-root.sh).
build_env() {
	local m cc
	m=$(kernel_gcc "$1") || exit 1
	cc=$(kernel_cc "$1" "$2") || exit 1
	if [ -n "${THP_ROOT_SUITE:-}" ]; then
		echo "$THP_ROOT_SUITE"
	elif host_has_cc "$cc" "$m" && host_sparse_ok "$1"; then
		echo host
	else
		case "$m" in
		12) echo bookworm ;;
		14) echo trixie ;;
		*) die "gcc $m (for $1): no build root known; set THP_ROOT_SUITE" ;;
		esac
	fi
}

# in_env ENV CMD...: run CMD on the host (ENV "host") or inside the build root
# of suite ENV (vm/build-root.sh), with $THP_CACHE at the same path.
in_env() {
	local env=$1
	shift
	if [ "$env" = host ]; then
		"$@"
	else
		"$THP_TOP/vm/build-root.sh" "$env" "$@"
	fi
}
