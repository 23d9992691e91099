#!/bin/sh
# wgnet.wireguard, run on OpenWrt by the wg_openwrt_apply action (no Python there).
# Apply what the controller decided: a `uci batch` (public values only), a
# commit of the configs it touched, then live operations, one a line:
#   ifup IF                            netifd re-reads the config and sets IF up
#   peer IF KEY ALLOWED_CSV EP KA [OLD] wg set, as netifd would (EP "-": none);
#                                      OLD: the key this one replaces, swapped in
#                                      the same `wg set`, keeping its endpoint
#   unpeer IF KEY                      remove a peer live
#   route IF PREFIX / unroute IF PREFIX
#   wait EPOCH                         sleep until that moment (a key rotation)
#   hold IF                            a throwaway private key, just before the moment the
#                                      peers drop this router's old key: its sessions stop
#                                      sending (packets wait for the new key's handshake) but
#                                      still receive what is in flight, so nothing is lost
#   key IF ROTATION_ID                 switch to the new key waiting in KEYDIR/IF.key
#   kick IF ADDRESS                    one ping through IF: starts a handshake
#   firewall                           fw4 reload
#   reload                             netifd re-reads the config (removed interfaces go down)
#   script / unscript                  install (from this script's directory) or remove the
#                                      direct-path watchdog, SBIN/wgnet-watchdog
#   config IF                          install IF.watchdog (from this directory) in ETC
#   cron IF                            IF's watchdog line in the root crontab, every minute
#   unwatch IF                         IF's watchdog config, state and cron line removed
#   crond                              cron restarted to read its table (enabled first
#                                      when a watchdog line is in it)
#   lock IF / unlock IF                the watchdog's lock on IF, held around IF's peer changes
#   watchdog IF                        one watchdog run: its state and the live peers agree
# Usage: openwrt_apply.sh BATCH OPS CONFIGS [CHECK]   (CONFIGS: space separated)
# Stdin: preshared keys, "IF SECTION PUBLIC_KEY PSK" a line. They are compared
# with UCI and the live interface here and set through stdin (`uci batch`,
# `wg set ... preshared-key /dev/stdin`): never printed, never an argument.
# CHECK=1: compare the preshared keys only, change nothing.
set -eu
export LANG=C
umask 077
# The unit tests point these elsewhere; on a router they are always these.
initd=${WGNET_OPENWRT_INITD:-/etc/init.d}
keydir=${WGNET_OPENWRT_KEYDIR:-/etc/wgnet}
sbin=${WGNET_OPENWRT_SBIN:-/usr/sbin}
crontabs=${WGNET_OPENWRT_CRONTABS:-/etc/crontabs}
etc=${WGNET_ETC:-/etc/wireguard}
run=${WGNET_RUN:-/var/run/wgnet}
here=$(cd "$(dirname "$0")" && pwd)
batch=$1
ops=$2
configs=$3
check=${4:-0}
psks=$(cat)
changed=0

fail() {
	echo "error=$*" >&2
	exit 1
}

# Interfaces on a throwaway key (hold) whose new key is not live yet: should
# the script stop before `key`, they get UCI's key back instead of staying cut off.
held=""
unhold() {
	for i in $held; do
		uci -q get "network.$i.private_key" | wg set "$i" private-key /dev/stdin || :
		echo "error=interface $i: the rotation stopped before the new key went live; its old key is back" >&2
	done
}
trap unhold EXIT

wait_link() {
	tries=0
	until ip link show dev "$1" >/dev/null 2>&1; do
		tries=$((tries + 1))
		[ "$tries" -le 30 ] || fail "interface $1 did not come up after ifup (see logread)"
		sleep 1
	done
}

# The PSK of peer KEY on IF from stdin, or nothing.
psk_for() {
	printf '%s\n' "$psks" | while read -r i _s k v; do
		if [ "$i" = "$1" ] && [ "$k" = "$2" ]; then printf '%s\n' "$v"; fi
	done
}

# The live PSK of peer KEY on IF ("(none)" without one), or nothing.
live_psk() {
	wg show "$1" preshared-keys 2>/dev/null | while read -r k v; do
		if [ "$k" = "$2" ]; then printf '%s\n' "$v"; fi
	done
}

# Bring the live PSKs of IF (every interface when empty) in line with stdin.
sync_psks() {
	printf '%s\n' "$psks" | while read -r i s k v; do
		[ -n "$v" ] || continue
		if [ -n "$1" ] && [ "$i" != "$1" ]; then continue; fi
		have=$(live_psk "$i" "$k")
		if [ -n "$have" ] && [ "$have" != "$v" ]; then
			printf '%s\n' "$v" | wg set "$i" peer "$k" preshared-key /dev/stdin
			echo "done=psk $i $s"
		fi
	done
}

# Copy $1 (in this script's directory) to $2 with mode $3, atomically.
install_file() {
	mkdir -p "${2%/*}"
	cp "$here/$1" "$2.wgnet-tmp"
	chmod "$3" "$2.wgnet-tmp"
	mv -f "$2.wgnet-tmp" "$2"
}

# The root crontab without IF's watchdog lines.
cron_without() {
	[ -f "$crontabs/root" ] || return 0
	awk -v i="$1" '{ for (n = 1; n < NF; n++) if ($n ~ /\/wgnet-watchdog$/ && $(n + 1) == i) next; print }' \
		"$crontabs/root"
}

# The watchdog's lock on IF (fd 8), as the watchdog takes it: BusyBox flock
# has no -w, so try once a second; without flock, OpenWrt's lock.
take_lock() {
	mkdir -p "$run"
	if command -v flock >/dev/null 2>&1; then
		exec 8>>"$run/$1.lock"
		tries=0
		until flock -n 8; do
			tries=$((tries + 1))
			[ "$tries" -le 30 ] || fail "the watchdog of $1 held its lock ($run/$1.lock) for 30 s"
			sleep 1
		done
	else
		lock "$run/$1.lock"
	fi
}

release_lock() {
	if command -v flock >/dev/null 2>&1; then
		flock -u 8
		exec 8>&-
	else
		lock -u "$run/$1.lock"
	fi
}

# Sets now: the wall clock in centiseconds. BusyBox date may lack %N, so
# without it the next whole second is caught once and /proc/uptime
# (centiseconds) counts from it. Called in this shell, never in $(...): a
# subshell would lose clock_base and wait for a whole second on every call.
clock_base=""
clock_now() {
	read -r up _ </proc/uptime
	up_cs=$(( ${up%.*} * 100 + $(echo "${up#*.}" | sed 's/^0*//; s/^$/0/') ))
	if [ -z "$clock_base" ]; then
		ns=$(date +%N 2>/dev/null || true)
		case $ns in
		[0-9][0-9][0-9]*)
			s=$(date +%s.%N)
			sec=${s%.*}
			frac=$(echo "${s#*.}" | cut -c1-2 | sed 's/^0//')
			clock_base=$((sec * 100 + frac - up_cs))
			;;
		*)
			s0=$(date +%s)
			while [ "$(date +%s)" = "$s0" ]; do :; done
			read -r up _ </proc/uptime
			up_cs=$(( ${up%.*} * 100 + $(echo "${up#*.}" | sed 's/^0*//; s/^$/0/') ))
			clock_base=$(((s0 + 1) * 100 - up_cs))
			;;
		esac
	fi
	now=$((clock_base + up_cs))
}

# Sleep until EPOCH (seconds, decimals allowed), at most 120 s.
wait_until() {
	frac=$(printf '%s00' "$(echo "$1" | sed -n 's/^[0-9]*\.//p')" | cut -c1-2 | sed 's/^0//')
	target=$(( ${1%.*} * 100 + frac ))
	clock_now
	[ $((target - now)) -le 12000 ] || target=$((now + 12000))
	while [ "$now" -lt "$target" ]; do
		left=$((target - now))
		if [ "$left" -ge 100 ]; then
			sleep 1
		elif usleep 0 2>/dev/null; then
			usleep $((left * 10000))
		else
			sleep "0.$(printf '%02d' "$left")" 2>/dev/null || :
		fi
		clock_now
	done
}

for config in $configs; do
	if [ -n "$(uci -q changes "$config")" ]; then
		fail "/etc/config/$config has uncommitted changes (uci changes $config); commit or revert them first"
	fi
done

# Preshared keys that differ from UCI join the batch (through stdin only).
psk_batch=$(printf '%s\n' "$psks" | while read -r i s k v; do
	[ -n "$v" ] || continue
	if [ "$(uci -q get "network.$s.preshared_key" 2>/dev/null || true)" != "$v" ]; then
		printf "set network.%s.preshared_key='%s'\n" "$s" "$v"
	fi
done)
if [ "$check" = 1 ]; then
	mismatch=$(printf '%s\n' "$psks" | while read -r i s k v; do
		[ -n "$v" ] || continue
		have=$(live_psk "$i" "$k")
		if [ -n "$have" ] && [ "$have" != "$v" ]; then echo "$s"; fi
	done)
	if [ -n "$psk_batch$mismatch" ]; then
		echo "psk=mismatch"
		echo "changed=1"
	else
		echo "changed=0"
	fi
	exit 0
fi
if [ -n "$psk_batch" ]; then
	case " $configs " in
	*" network "*) ;;
	*) configs="network $configs" ;;
	esac
	echo "done=psk uci"
fi

if [ -n "$batch$psk_batch" ]; then
	{
		[ -z "$batch" ] || printf '%s\n' "$batch"
		[ -z "$psk_batch" ] || printf '%s\n' "$psk_batch"
	} | uci batch
	for config in $configs; do
		uci commit "$config"
	done
	changed=1
fi

# The loop reads the operations from a here-document, not a pipe: it runs in
# this shell, so `changed` and the key switch are seen after it.
while read -r op a b c d e f; do
	case $op in
	"") continue ;;
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
			changed=1
			continue
		fi
		[ "$c" = - ] && c=""
		set -- "$a"
		if [ -n "$f" ]; then
			# The endpoint the replaced entry had roamed to, when UCI gives none.
			if [ "$d" = - ]; then
				d=$(wg show "$a" endpoints | while read -r k v; do
					if [ "$k" = "$f" ] && [ "$v" != "(none)" ]; then echo "$v"; fi
				done)
				[ -n "$d" ] || d=-
			fi
			set -- "$@" peer "$f" remove
		fi
		set -- "$@" peer "$b" allowed-ips "$c" persistent-keepalive "$e"
		[ "$d" = - ] || set -- "$@" endpoint "$d"
		psk=$(psk_for "$a" "$b")
		if [ -n "$psk" ]; then
			printf '%s\n' "$psk" | wg set "$@" preshared-key /dev/stdin
		else
			# No PSK wanted (any more): clear one the live peer still has.
			have=$(live_psk "$a" "$b")
			if [ -n "$have" ] && [ "$have" != "(none)" ]; then set -- "$@" preshared-key /dev/null; fi
			wg set "$@"
		fi
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
	wait)
		wait_until "$a"
		echo "done=wait $a"
		;;
	hold)
		[ -s "$keydir/$a.key" ] || fail "no new key for $a waiting in $keydir/$a.key; run the rotation again"
		# Handshakes under this key fail (no peer knows it) until `key`
		# sets the new one, which lets the next handshake go at once.
		held="$held $a"
		wg genkey | wg set "$a" private-key /dev/stdin
		echo "done=hold $a"
		;;
	key)
		pending="$keydir/$a.key"
		[ -s "$pending" ] || fail "no new key for $a waiting in $pending; run the rotation again"
		# The PSKs with the peers depend on this key: set them first.
		sync_psks "$a"
		if ip link show dev "$a" >/dev/null 2>&1; then
			wg set "$a" private-key "$pending"
		fi
		rest=""
		for i in $held; do [ "$i" = "$a" ] || rest="$rest $i"; done
		held=$rest
		{
			sed "s/^/set network.$a.private_key='/; s/\$/'/" "$pending"
			echo "set network.$a.wgnet_rotation='$b'"
		} | uci batch >/dev/null
		uci commit network
		rm -f "$pending"
		echo "done=key $a"
		;;
	kick)
		ping -c 1 -W 1 -I "$a" "$b" >/dev/null 2>&1 &
		echo "done=kick $a $b"
		;;
	script)
		install_file wgnet-watchdog "$sbin/wgnet-watchdog" 755
		echo "done=script"
		;;
	unscript)
		rm -f "$sbin/wgnet-watchdog"
		echo "done=unscript"
		;;
	config)
		install_file "$a.watchdog" "$etc/$a.watchdog" 644
		echo "done=config $a"
		;;
	cron)
		mkdir -p "$crontabs"
		{
			cron_without "$a"
			echo "* * * * * $sbin/wgnet-watchdog $a 6 10"
		} >"$crontabs/root.wgnet-tmp"
		mv -f "$crontabs/root.wgnet-tmp" "$crontabs/root"
		echo "done=cron $a"
		;;
	unwatch)
		if [ -f "$crontabs/root" ]; then
			cron_without "$a" >"$crontabs/root.wgnet-tmp"
			mv -f "$crontabs/root.wgnet-tmp" "$crontabs/root"
		fi
		rm -f "$etc/$a.watchdog" "$run/$a.direct" "$run/$a.status" "$run/$a.samples"
		echo "done=unwatch $a"
		;;
	crond)
		if grep -qF wgnet-watchdog "$crontabs/root" 2>/dev/null; then
			"$initd/cron" enable || :
		fi
		"$initd/cron" restart || :
		echo "done=crond"
		;;
	lock)
		take_lock "$a"
		echo "done=lock $a"
		;;
	unlock)
		release_lock "$a"
		echo "done=unlock $a"
		;;
	watchdog)
		WGNET_ETC=$etc WGNET_RUN=$run "$sbin/wgnet-watchdog" "$a" >/dev/null 2>&1 || :
		echo "done=watchdog $a"
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
	changed=1
done <<EOF
$ops
EOF

# The kicks' pings: done (or timed out) before the run ends.
wait
if [ -n "$psks" ]; then
	synced=$(sync_psks "")
	if [ -n "$synced" ]; then
		echo "$synced"
		changed=1
	fi
fi
echo "changed=$changed"
