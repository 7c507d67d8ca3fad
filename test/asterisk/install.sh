#!/usr/bin/env bash
# install.sh — install the real, unmodified Asterisk 22 that VMS's end-to-end
# tests (test/astertest, test/sipptest) and the call-load bench drive.
#
# Asterisk is in no stable Debian suite; Debian unstable ships Asterisk 22.
# This script installs Debian's own packages into a private debootstrap root
# (default /opt/vms/asterisk-root, override with VMS_ASTERISK_ROOT) that the
# harness runs in a chroot. It also installs the host tools the tests use:
# debootstrap, SIPp (package sip-tester) and sox.
#
# Idempotent: a complete root (marker file .vms-asterisk-root) is reused; a
# root is built in a temporary directory and renamed into place only after
# every step succeeded, so an interrupted build is never taken as complete.
# Needs root (debootstrap, chroot, mount).
set -euo pipefail

ROOT="${VMS_ASTERISK_ROOT:-/opt/vms/asterisk-root}"
SUITE="${VMS_ASTERISK_SUITE:-sid}"
MARKER=".vms-asterisk-root"
START=$(date +%s)

die() { echo "install.sh: error: $*" >&2; exit 1; }
step() { echo "install.sh: $*" >&2; }

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot and mount need it)"

# mirror prints the Debian mirror the host's apt sources already use.
mirror() {
	local uri=""
	if [ -n "${VMS_DEBIAN_MIRROR:-}" ]; then
		echo "$VMS_DEBIAN_MIRROR"; return
	fi
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		# deb822: the first URIs: line whose value is not a security archive.
		uri=$(awk 'tolower($1)=="uris:" { for (i=2;i<=NF;i++) if ($i !~ /security/) { print $i; exit } }' \
			/etc/apt/sources.list.d/debian.sources)
	fi
	if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
		uri=$(awk '$1=="deb" { for (i=2;i<=NF;i++) if ($i ~ /^(https?|file):/ && $i !~ /security/) { print $i; exit } }' \
			/etc/apt/sources.list)
	fi
	echo "${uri:-http://deb.debian.org/debian}"
}

# host_tools installs what the host needs, only when something is missing.
host_tools() {
	local missing=()
	command -v debootstrap >/dev/null || missing+=(debootstrap)
	command -v sipp >/dev/null || missing+=(sip-tester)
	command -v sox >/dev/null || missing+=(sox)
	if [ ${#missing[@]} -gt 0 ]; then
		step "installing host packages: ${missing[*]}"
		apt-get update -q >&2 || die "apt-get update failed"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2 \
			|| die "apt-get install ${missing[*]} failed"
	fi
}

# complete reports whether $1 holds a usable Asterisk root.
complete() {
	local r="$1"
	[ -f "$r/$MARKER" ] && return 0
	# A root built before the marker existed: accept it when dpkg says the
	# packages are installed and the binary runs.
	[ -x "$r/usr/sbin/asterisk" ] || return 1
	chroot "$r" dpkg-query -W -f='${Status}\n' asterisk asterisk-modules 2>/dev/null \
		| grep -vq '^install ok installed$' && return 1
	chroot "$r" /usr/sbin/asterisk -V >/dev/null 2>&1 || return 1
	return 0
}

# build debootstraps a fresh root into a temporary directory next to $ROOT
# and renames it into place.
build() {
	local m
	m=$(mirror)
	# Global, not local: the EXIT trap must still see it after die().
	tmp="$(dirname "$ROOT")/.$(basename "$ROOT").build.$$"
	mkdir -p "$(dirname "$ROOT")"
	rm -rf "$tmp"
	trap 'umount "$tmp/proc" 2>/dev/null || true; rm -rf "$tmp"' EXIT
	step "debootstrap $SUITE from $m into $tmp (about a minute)"
	debootstrap --variant=minbase "$SUITE" "$tmp" "$m" >&2 \
		|| die "debootstrap $SUITE from $m failed (see the output above; Debian unstable changes daily — retry later or set VMS_DEBIAN_MIRROR)"
	cp /etc/hosts "$tmp/etc/hosts"
	# No daemons start inside the root during package installation.
	printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
	chmod +x "$tmp/usr/sbin/policy-rc.d"
	step "installing asterisk asterisk-modules in the root"
	chroot "$tmp" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		asterisk asterisk-modules >&2 \
		|| die "apt-get install asterisk asterisk-modules in the root failed (Debian unstable may be mid-transition; retry later)"
	chroot "$tmp" /usr/sbin/asterisk -V >/dev/null || die "asterisk in the new root does not run"
	if [ -e "$ROOT" ]; then
		step "replacing incomplete root $ROOT"
		umount "$ROOT/proc" 2>/dev/null || true
		rm -rf "$ROOT" || die "cannot remove incomplete root $ROOT"
	fi
	mv "$tmp" "$ROOT" || die "cannot move $tmp to $ROOT"
	trap - EXIT
}

# finish applies the steps every root needs; safe to repeat.
finish() {
	# Asterisk resolves the host's own name on every call: without the
	# host's /etc/hosts calls fail under load (see docs).
	cp /etc/hosts "$ROOT/etc/hosts"
	# The stock config would load an AEL and a Lua dialplan as well.
	rm -f "$ROOT/etc/asterisk/extensions.ael" "$ROOT/etc/asterisk/extensions.lua"
	mkdir -p "$ROOT/var/tmp"
	chmod 1777 "$ROOT/var/tmp"
	if ! grep -qs " $ROOT/proc " /proc/mounts; then
		mount -t proc proc "$ROOT/proc" || die "cannot mount proc on $ROOT/proc"
	fi
	date -u +%FT%TZ >"$ROOT/$MARKER"
}

host_tools
if complete "$ROOT"; then
	step "reusing the complete root at $ROOT"
else
	build
fi
finish
step "Asterisk $(chroot "$ROOT" /usr/sbin/asterisk -V | sed 's/^Asterisk //') ready in $(( $(date +%s) - START )) s"
echo "$ROOT"
