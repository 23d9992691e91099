#!/bin/sh
# wgnet.wireguard, run on OpenWrt by ansible.builtin.script (no Python there).
# Install the packages that are missing, with apk (25.12 and later, and
# snapshots) or opkg (22.03 to 24.10), as /etc/openwrt_release says.
# Usage: openwrt_packages.sh CHECK PACKAGE...   (CHECK=1: report only)
# Prints key=value lines: release, manager, missing, changed.
set -eu
export LANG=C
check=$1
shift
# The unit tests point this elsewhere; on a router it is always /etc.
etc=${WGNET_OPENWRT_ETC:-/etc}

fail() {
	echo "error=$*" >&2
	exit 1
}

release=""
if [ -r "$etc/openwrt_release" ]; then
	release=$(sed -n "s/^DISTRIB_RELEASE=['\"]*\([^'\"]*\)['\"]*\$/\1/p" "$etc/openwrt_release")
fi
# 21.02 and older have fw3 (iptables) and no firewall4: never exercised, refused.
case $release in
SNAPSHOT*) want=apk ;;
[0-9]*.[0-9]*)
	major=${release%%.*}
	minor=${release#*.}
	minor=${minor%%[!0-9]*}
	if [ "$major" -lt 22 ] || { [ "$major" -eq 22 ] && [ "$minor" -lt 3 ]; }; then
		fail "OpenWrt $release is older than 22.03 (fw3, no firewall4), which this collection does not support"
	fi
	if [ "$major" -ge 25 ]; then want=apk; else want=opkg; fi
	;;
*) want="" ;;
esac

# The release says which one; a router without it (custom builds) gets whichever is there.
manager=""
for candidate in $want apk opkg; do
	if command -v "$candidate" >/dev/null 2>&1; then
		manager=$candidate
		break
	fi
done
[ -n "$manager" ] || fail "neither apk nor opkg is on PATH"

missing=""
if [ "$manager" = apk ]; then
	# apk-tools v3: `apk info -e` prints the installed ones among those named.
	installed=$(apk info -e "$@" 2>/dev/null || true)
else
	installed=$(opkg list-installed 2>/dev/null | cut -d' ' -f1)
fi
for package in "$@"; do
	if ! printf '%s\n' "$installed" | grep -qx -- "$package"; then
		missing="${missing:+$missing }$package"
	fi
done

echo "release=$release"
echo "manager=$manager"
echo "missing=$missing"
if [ -z "$missing" ]; then
	echo "changed=0"
	exit 0
fi
echo "changed=1"
[ "$check" = 1 ] && exit 0

# Word splitting of $missing is wanted: one argument per package name.
if [ "$manager" = apk ]; then
	apk update >/dev/null
	# shellcheck disable=SC2086
	apk add $missing >/dev/null
else
	opkg update >/dev/null
	# shellcheck disable=SC2086
	opkg install $missing >/dev/null
fi
