#!/bin/sh
# wgnet.wireguard, run on OpenWrt by the wg_openwrt_apply action (no Python there).
# Print /etc/config/network and /etc/config/firewall as `uci export` with
# every secret value replaced by REDACTED (this output is shown by -vvv),
# then one "#wgnet changes <config> <count>" line per config, then what the
# direct-path watchdog has here ("#wgnet watchdog ..." lines: the sha256 of its
# script and configs, the peers it has on their direct path, its cron lines
# and whether cron runs). Public values only.
set -eu
export LANG=C
# The unit tests point these elsewhere; on a router they are always these.
sbin=${WGNET_OPENWRT_SBIN:-/usr/sbin}
etc=${WGNET_ETC:-/etc/wireguard}
run=${WGNET_RUN:-/var/run/wgnet}
crontabs=${WGNET_OPENWRT_CRONTABS:-/etc/crontabs}
initd=${WGNET_OPENWRT_INITD:-/etc/init.d}

redact() {
	sed -E "s/^([[:space:]]*(option|list)[[:space:]]+(private_key|preshared_key|password|key|psk|secret)[[:space:]]+).*/\\1'REDACTED'/"
}

for config in network firewall; do
	uci export "$config" | redact
	echo "#wgnet changes $config $(uci -q changes "$config" | wc -l | tr -d ' ')"
done

sha() {
	sha256sum <"$1" | cut -d ' ' -f 1
}
if [ -f "$sbin/wgnet-watchdog" ]; then
	echo "#wgnet watchdog script $(sha "$sbin/wgnet-watchdog")"
fi
for f in "$etc"/*.watchdog; do
	[ -f "$f" ] || continue
	i=${f##*/}
	echo "#wgnet watchdog config ${i%.watchdog} $(sha "$f")"
done
for f in "$run"/*.direct; do
	[ -f "$f" ] || continue
	i=${f##*/}
	sed "s/^/#wgnet watchdog direct ${i%.direct} /" "$f"
done
if [ -f "$crontabs/root" ]; then
	grep -F wgnet-watchdog "$crontabs/root" | sed 's/^/#wgnet watchdog cron /' || true
fi
if "$initd/cron" enabled 2>/dev/null && pidof crond >/dev/null 2>&1; then
	echo "#wgnet watchdog crond 1"
else
	echo "#wgnet watchdog crond 0"
fi
