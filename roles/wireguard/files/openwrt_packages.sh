#!/bin/sh
# wgnet.wireguard, run on OpenWrt by ansible.builtin.script (no Python there).
# Install the packages that are missing, with apk (25.12+) or opkg.
# Usage: openwrt_packages.sh CHECK PACKAGE...   (CHECK=1: report only)
# Prints key=value lines: manager, missing, changed.
set -eu
export LANG=C
check=$1
shift

if command -v apk >/dev/null 2>&1; then
	manager=apk
elif command -v opkg >/dev/null 2>&1; then
	manager=opkg
else
	echo "error=neither apk nor opkg is on PATH" >&2
	exit 1
fi

installed=$(if [ "$manager" = apk ]; then apk info 2>/dev/null; else opkg list-installed 2>/dev/null | cut -d' ' -f1; fi)
missing=""
for package in "$@"; do
	if ! printf '%s\n' "$installed" | grep -qx -- "$package"; then
		missing="${missing:+$missing }$package"
	fi
done

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
