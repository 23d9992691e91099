#!/bin/sh
# wgnet.wireguard, run on OpenWrt by ansible.builtin.script (no Python there).
# Apply what the controller decided: a `uci batch` (public values only), a
# commit of the configs it touched, then live operations, one a line:
#   ifup IF                          netifd re-reads the config and sets IF up
#   peer IF KEY ALLOWED_CSV EP KA    wg set, as netifd would (EP "-": none)
#   unpeer IF KEY                    remove a peer live
#   route IF PREFIX / unroute IF PREFIX
#   firewall                         fw4 reload
#   reload                           netifd re-reads the config (removed interfaces go down)
# Usage: openwrt_apply.sh BATCH OPS CONFIGS   (CONFIGS: space separated)
set -eu
export LANG=C
# The unit tests point this at stubs; on a router it is always /etc/init.d.
initd=${WGNET_OPENWRT_INITD:-/etc/init.d}
batch=$1
ops=$2
configs=$3

fail() {
	echo "error=$*" >&2
	exit 1
}

wait_link() {
	tries=0
	until ip link show dev "$1" >/dev/null 2>&1; do
		tries=$((tries + 1))
		[ "$tries" -le 30 ] || fail "interface $1 did not come up after ifup (see logread)"
		sleep 1
	done
}

for config in $configs; do
	if [ -n "$(uci -q changes "$config")" ]; then
		fail "/etc/config/$config has uncommitted changes (uci changes $config); commit or revert them first"
	fi
done

if [ -n "$batch" ]; then
	printf '%s\n' "$batch" | uci batch
	for config in $configs; do
		uci commit "$config"
	done
fi

printf '%s\n' "$ops" | while read -r op a b c d e; do
	case $op in
	"") ;;
	ifup)
		ifup "$a"
		wait_link "$a"
		echo "done=ifup $a"
		;;
	peer)
		if ! ip link show dev "$a" >/dev/null 2>&1; then
			ifup "$a"
			wait_link "$a"
			echo "done=ifup $a"
			continue
		fi
		[ "$c" = - ] && c=""
		set -- "$a" peer "$b" allowed-ips "$c" persistent-keepalive "$e"
		[ "$d" = - ] || set -- "$@" endpoint "$d"
		wg set "$@"
		echo "done=peer $a $b"
		;;
	unpeer)
		wg set "$a" peer "$b" remove
		echo "done=unpeer $a $b"
		;;
	route)
		case $b in
		*:*) ip -6 route replace "$b" dev "$a" ;;
		*) ip -4 route replace "$b" dev "$a" ;;
		esac
		echo "done=route $a $b"
		;;
	unroute)
		ip route del "$b" dev "$a" 2>/dev/null || true
		echo "done=unroute $a $b"
		;;
	reload)
		"$initd/network" reload
		echo "done=network reload"
		;;
	firewall)
		if command -v fw4 >/dev/null 2>&1; then
			fw4 -q reload
		else
			"$initd/firewall" reload
		fi
		echo "done=firewall reload"
		;;
	*) fail "unknown operation: $op" ;;
	esac
done
echo "changed=1"
