#!/bin/sh
# wgnet.wireguard status.yml on hosts without Python (OpenWrt): what the
# wg_info module reports, parsed on the controller. The private key and
# preshared key columns of the dump are blanked here, on the host, so they
# never reach the controller or -vvv output.
export LANG=C
echo "now=$(date +%s)"
echo "=== dump"
wg show all dump | awk -F '\t' -v OFS='\t' '
	NF == 5 { $2 = "(hidden)" }
	NF == 9 && $3 != "(none)" { $3 = "(set)" }
	{ print }'
echo "=== names"
# Peer sections: their type (wireguard_<if>), public key and description.
uci -q show network 2>/dev/null | grep -E '=wireguard_|[.]public_key=|[.]description=' || true
echo "=== watchdog"
# The direct-path watchdog's state of its watched peers, per interface.
for f in "${WGNET_RUN:-/var/run/wgnet}"/*.status; do
	[ -f "$f" ] || continue
	i=${f##*/}
	awk -v i="${i%.status}" 'NF == 4 { print i, $0 }' "$f"
done
