#!/bin/sh
# wgnet.wireguard, run on OpenWrt by ansible.builtin.script (no Python there).
# Make sure network.<IF>.private_key holds a WireGuard key and print the
# public key. A new key goes from `wg genkey` through a pipe into `uci batch`:
# it is never printed and never part of a command line.
# Usage: openwrt_key.sh INTERFACE REGENERATE CHECK [ROTATION_ID]
#   REGENERATE: never | fail | full_idempotence | always (as wgnet.wireguard.wg_key)
#   CHECK=1: report what would happen, change nothing.
#   ROTATION_ID: a keyed rotation (rotate.yml): one new key per id. The id of
#   the last one is network.<IF>.wgnet_rotation. The new key waits in
#   KEYDIR/<IF>.key (0600, directory 0700) until the agreed moment, when
#   openwrt_apply.sh switches to it and moves it into UCI.
# Prints key=value lines: interface, public_key (empty when not known yet),
# changed, and rotated=1 with rotation_id when a valid key is being replaced.
set -eu
export LANG=C
umask 077
iface=$1
regenerate=$2
check=$3
rotation=${4:-}
# The unit tests point this elsewhere; on a router it is always /etc/wgnet.
keydir=${WGNET_OPENWRT_KEYDIR:-/etc/wgnet}
pending="$keydir/$iface.key"

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

case $rotation in
*[!A-Za-z0-9_.:+-]*) fail "wireguard_rotation_id '$rotation': on OpenWrt use letters, digits and _.:+- only" ;;
esac

pub=$(public_key)
if [ -n "$rotation" ] && [ -n "$pub" ] &&
	[ "$(uci -q get "network.$iface.wgnet_rotation" 2>/dev/null || true)" != "$rotation" ]; then
	# A run that stopped before the switch left its new key: use that one.
	new=""
	if [ -s "$pending" ]; then
		new=$(wg pubkey <"$pending" 2>/dev/null || true)
	fi
	if [ -z "$new" ] && [ "$check" != 1 ]; then
		mkdir -p "$keydir"
		chmod 700 "$keydir"
		wg genkey >"$pending.new"
		mv "$pending.new" "$pending"
		new=$(wg pubkey <"$pending")
	fi
	printf 'interface=%s\npublic_key=%s\nchanged=1\nrotated=1\nrotation_id=%s\n' "$iface" "$new" "$rotation"
	exit 0
fi
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
	[ -z "$rotation" ] || echo "set network.$iface.wgnet_rotation='$rotation'"
} | uci batch >/dev/null
uci commit network
pub=$(public_key)
[ -n "$pub" ] || fail "network.$iface.private_key was not stored"
printf 'interface=%s\npublic_key=%s\nchanged=1\n' "$iface" "$pub"
