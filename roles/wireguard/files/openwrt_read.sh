#!/bin/sh
# wgnet.wireguard, run on OpenWrt by the wg_openwrt_apply action (no Python there).
# Print /etc/config/network and /etc/config/firewall as `uci export` with
# every secret value replaced by REDACTED (this output is shown by -vvv),
# then one "#wgnet changes <config> <count>" line per config.
set -eu
export LANG=C

redact() {
	sed -E "s/^([[:space:]]*(option|list)[[:space:]]+(private_key|preshared_key|password|key|psk|secret)[[:space:]]+).*/\\1'REDACTED'/"
}

for config in network firewall; do
	uci export "$config" | redact
	echo "#wgnet changes $config $(uci -q changes "$config" | wc -l | tr -d ' ')"
done
