#!/bin/sh
# wgnet.wireguard, run on OpenWrt by ansible.builtin.script (no Python there).
# Make sure network.<IF>.private_key holds a WireGuard key and print the
# public key. A new key goes from `wg genkey` through a pipe into `uci batch`:
# it is never printed and never part of a command line.
# Usage: openwrt_key.sh INTERFACE REGENERATE CHECK
#   REGENERATE: never | fail | full_idempotence | always (as wgnet.wireguard.wg_key)
#   CHECK=1: report what would happen, change nothing.
# Prints key=value lines: interface, public_key (empty when not known yet), changed.
set -eu
export LANG=C
umask 077
iface=$1
regenerate=$2
check=$3

fail() {
	echo "error=$*" >&2
	exit 1
}

public_key() {
	uci -q get "network.$iface.private_key" 2>/dev/null | wg pubkey 2>/dev/null || true
}

stype=$(uci -q get "network.$iface" 2>/dev/null || true)
proto=$(uci -q get "network.$iface.proto" 2>/dev/null || true)
if [ -n "$stype" ] && { [ "$stype" != interface ] || [ "$proto" != wireguard ]; }; then
	fail "network.$iface exists as $stype with proto '$proto'; it is not a WireGuard interface, pick another interface name"
fi

pub=$(public_key)
if [ -n "$pub" ] && [ "$regenerate" != always ]; then
	printf 'interface=%s\npublic_key=%s\nchanged=0\n' "$iface" "$pub"
	exit 0
fi
if [ -z "$pub" ] && uci -q get "network.$iface.private_key" >/dev/null 2>&1; then
	case $regenerate in
	never | fail) fail "network.$iface.private_key holds no valid WireGuard key; fix it or set wireguard_key_regenerate=full_idempotence" ;;
	esac
fi
if [ "$check" = 1 ]; then
	printf 'interface=%s\npublic_key=\nchanged=1\n' "$iface"
	exit 0
fi
if [ -n "$(uci -q changes network)" ]; then
	fail "/etc/config/network has uncommitted changes (uci changes network); commit or revert them first"
fi

{
	if [ -z "$stype" ]; then
		echo "set network.$iface=interface"
		echo "set network.$iface.proto=wireguard"
	fi
	wg genkey | sed "s/^/set network.$iface.private_key='/; s/\$/'/"
} | uci batch >/dev/null
uci commit network
pub=$(public_key)
[ -n "$pub" ] || fail "network.$iface.private_key was not stored"
printf 'interface=%s\npublic_key=%s\nchanged=1\n' "$iface" "$pub"
