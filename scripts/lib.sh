# SPDX-License-Identifier: GPL-2.0
# Shared settings and helpers for the maintainer scripts. Sourced, not run.

XDPTOOL_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
XDPTOOL_CACHE=${XDPTOOL_CACHE:-$HOME/.cache/xdptool}
# The kernel work tree the scripts operate on; --tree or XDPTOOL_KTREE overrides.
# The series directory; tests point it elsewhere.
# A backport to an older base lives in $XDPTOOL_PATCHES/backport-NAME/
# (scripts take --base NAME; see select_base).
XDPTOOL_PATCHES=${XDPTOOL_PATCHES:-$XDPTOOL_REPO/patches}
# Where the bases are (kept across the scripts a script runs).
export XDPTOOL_SERIES_ROOT=${XDPTOOL_SERIES_ROOT:-$XDPTOOL_PATCHES}
[ -n "${XDPTOOL_KTREE:-}" ] && _ktree_given=1 || _ktree_given=0
XDPTOOL_KTREE=${XDPTOOL_KTREE:-$XDPTOOL_CACHE/linux}
export CCACHE_DIR=${CCACHE_DIR:-$XDPTOOL_CACHE/ccache}
# The Python environment scripts/install-deps makes (Debian's Python is
# externally managed): first on PATH for every script and what it runs.
XDPTOOL_VENV=${XDPTOOL_VENV:-$XDPTOOL_CACHE/venv}
use_venv() { # again after install-deps made it
	[ ! -x "$XDPTOOL_VENV/bin/python3" ] || case ":$PATH:" in
	*":$XDPTOOL_VENV/bin:"*) ;;
	*) export PATH="$XDPTOOL_VENV/bin:$PATH" ;;
	esac
}
use_venv
APT_PACKAGES_FILE=$XDPTOOL_REPO/scripts/deps/apt-packages

# The one identity the series is authored and committed under.
XDPTOOL_IDENT_NAME="xdptool developers"
XDPTOOL_IDENT_EMAIL="xdptool@example.org"

BASE_TAG=xdptool/base
SERIES_BRANCH=xdptool

die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }
warn() { printf '%s: warning: %s\n' "${0##*/}" "$*" >&2; }
info() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

# Value of key=... in the selected series' SERIES (posting metadata).
series_field() {
	[ -f "$XDPTOOL_PATCHES/SERIES" ] || return 0
	sed -n "s/^$1=//p" "$XDPTOOL_PATCHES/SERIES"
}

# The subject prefix of the series as posted: SERIES' subject-prefix and,
# from v2 on, its version ("PATCH net-next v2").
series_subject_prefix() {
	local prefix version
	prefix=$(series_field subject-prefix)
	version=$(series_field version)
	prefix=${prefix:-PATCH}
	[ "${version:-1}" -le 1 ] || prefix+=" v$version"
	echo "$prefix"
}

# Value of key=... in the selected base's BASE.
base_field() {
	sed -n "s/^$1=//p" "$XDPTOOL_PATCHES/BASE"
}

# git in the kernel work tree, as the project identity, with stable dates
# so that re-applying an unchanged series yields the same commit ids.
kgit() {
	git -C "$XDPTOOL_KTREE" -c user.name="$XDPTOOL_IDENT_NAME" \
		-c user.email="$XDPTOOL_IDENT_EMAIL" "$@"
}

# The bases the series is maintained on: the primary one (newest kernel,
# what is posted upstream: $XDPTOOL_SERIES_ROOT/BASE) first, then the
# backports (backport-NAME/BASE), one name per line.
base_names() {
	local d
	sed -n 's/^name=//p' "$XDPTOOL_SERIES_ROOT/BASE"
	for d in "$XDPTOOL_SERIES_ROOT"/backport-*/; do
		[ -f "$d/BASE" ] && sed -n 's/^name=//p' "$d/BASE"
	done
	return 0
}

# Point the scripts at base NAME: its series directory (XDPTOOL_PATCHES)
# and, unless --tree or XDPTOOL_KTREE chose one, its kernel work tree
# ($XDPTOOL_CACHE/linux for the primary base, linux-NAME for a backport).
select_base() {
	local name=$1 primary
	primary=$(sed -n 's/^name=//p' "$XDPTOOL_SERIES_ROOT/BASE")
	if [ "$name" = "$primary" ]; then
		XDPTOOL_PATCHES=$XDPTOOL_SERIES_ROOT
		[ $_ktree_given = 1 ] || XDPTOOL_KTREE=$XDPTOOL_CACHE/linux
	elif [ -f "$XDPTOOL_SERIES_ROOT/backport-$name/BASE" ]; then
		XDPTOOL_PATCHES=$XDPTOOL_SERIES_ROOT/backport-$name
		[ $_ktree_given = 1 ] || XDPTOOL_KTREE=$XDPTOOL_CACHE/linux-$name
	else
		die "unknown base '$name'; the bases are: $(base_names | paste -sd' ')"
	fi
	export XDPTOOL_PATCHES XDPTOOL_KTREE
}

# Parse --tree DIR and --base NAME (shared by all scripts); sets
# XDPTOOL_KTREE and XDPTOOL_PATCHES. --tree wins over the base's tree.
# Usage: parse_tree_opt "$@"; set -- "${REST[@]}"
parse_tree_opt() {
	REST=()
	local base=""
	while [ $# -gt 0 ]; do
		case "$1" in
		--tree) [ $# -ge 2 ] || die "--tree needs a directory"
			XDPTOOL_KTREE=$(realpath -m "$2"); _ktree_given=1; shift 2 ;;
		--tree=*) XDPTOOL_KTREE=$(realpath -m "${1#--tree=}"); _ktree_given=1; shift ;;
		--base) [ $# -ge 2 ] || die "--base needs a name: $(base_names | paste -sd' ')"
			base=$2; shift 2 ;;
		--base=*) base=${1#--base=}; shift ;;
		--) REST+=("$@"); break ;; # the rest is a command's (vm-run)
		*) REST+=("$1"); shift ;;
		esac
	done
	[ -z "$base" ] || select_base "$base"
}

require_ktree() {
	[ -e "$XDPTOOL_KTREE/.git" ] ||
		die "no kernel work tree at $XDPTOOL_KTREE: run scripts/kernel-tree first"
}

# Hash of everything in patches/ that defines the series.
series_hash() {
	find "$XDPTOOL_PATCHES" -maxdepth 1 -name BASE -o -name '*.patch' |
		LC_ALL=C sort | xargs cat | sha256sum | cut -d' ' -f1
}

series_patches() {
	find "$XDPTOOL_PATCHES" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' \
		! -name '0000-cover-letter.patch' | sort
}

# The Debian packages scripts/install-deps installs, one per line.
apt_packages() {
	sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$APT_PACKAGES_FILE"
}
