# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Direct paths with a relay fallback: watched peers, the relay/direct
transform wg_interface applies, and the watchdog (a POSIX sh script kept
here so it ships with the module and the OpenWrt path can read it on the
controller) with its config and systemd units.

A watched peer has `path` (site or nat) and `relay_public_key`. Its planned
allowed_ips and keepalive are those of the direct state. The watchdog lists
the peers whose direct path is up in /var/run/wgnet/<if>.direct; every other
watched peer is on its relay: no allowed_ips of its own (keepalive at least
25 s, so the direct path keeps being tried) and the relay carries its
prefixes. See docs/watchdog.md.

Private module_utils: the API may change."""

from __future__ import annotations

import fcntl
import ipaddress
import os

from ansible_collections.wgnet.wireguard.plugins.module_utils._wg_crypto import fingerprint
from ansible_collections.wgnet.wireguard.plugins.module_utils._wg_values import split_endpoint

PATHS = ("site", "nat")
STATE_DIR = "/var/run/wgnet"
SCRIPT_PATH = "/usr/local/sbin/wgnet-watchdog"
OPENWRT_SCRIPT_PATH = "/usr/sbin/wgnet-watchdog"
RELAY_KEEPALIVE = 25
UNIT_SERVICE = "wgnet-watchdog@.service"
UNIT_TIMER = "wgnet-watchdog@.timer"

SERVICE_TEXT = """# Managed by wgnet.wireguard (wg_interface).
[Unit]
Description=wgnet watchdog of WireGuard interface %i (direct paths, relay fallback, DNS endpoints)
After=wg-quick@%i.service

[Service]
Type=oneshot
ExecStart=""" + SCRIPT_PATH + """ %i
"""

TIMER_TEXT = """# Managed by wgnet.wireguard (wg_interface).
[Unit]
Description=wgnet watchdog of WireGuard interface %i, every 10 s

[Timer]
OnActiveSec=1s
OnUnitActiveSec=10s
AccuracySec=1s

[Install]
WantedBy=timers.target
"""

SCRIPT = r'''#!/bin/sh
# shellcheck disable=SC2086
# wgnet-watchdog: keeps the watched peers of one WireGuard interface on their
# direct path while it works and on their relay peer while it does not.
# Installed by wgnet.wireguard (wg_interface, or the OpenWrt apply); do not edit.
#
# Usage: wgnet-watchdog <interface> [runs [interval]]   (default: 1 run)
#
# Config /etc/wireguard/<if>.watchdog, written by wg_interface, one line each:
#   relay <relay key> <its planned allowed ips, comma separated, or ->
#   watch <peer key> <relay key> <planned keepalive> <planned allowed ips or -> <site|nat> <probe address or -> [name]
#   resolve <peer key> <host:port> <planned keepalive> [name]   (peers that are not watched)
# State under /var/run/wgnet (tmpfs: a reboot starts every peer on the relay):
#   <if>.direct   keys of the watched peers whose direct path is up (read by wg_interface)
#   <if>.status   <key> <direct|relay> <unix time of last change> <reason>
#   <if>.samples  the last sample of each peer (rx, tx, times)
#   <if>.lock     flock held by this script and wg_interface while they apply
# Rules, per watched peer P (D = 25 s: a live path answers the probe ping
# below within 10 s, and D still covers a late run; for a resolved peer
# D = max(keepalive, 10) + 10 s):
#   direct -> relay when P's tx grew but its rx did not for D s (no-reply), or,
#     with a keepalive, when its latest handshake is older than 200 s (stale);
#   relay -> direct when P's latest handshake is newer than the demotion (or than
#     180 s before the watchdog first saw P) and P's rx grew since then (handshake);
#   direct and nothing received since the last run: one ping to P's probe
#     address (inside its allowed ips), so a live path answers within 10 s;
#   direct: P gets its planned allowed ips; relay: P gets none (keepalive at
#     least 25 s, so the direct path keeps being tried) and the relay carries them.
# A DNS-name endpoint is re-resolved (`wg set <if> peer K endpoint name:port`,
# at most every 30 s) when it is dead by the same rule or its latest handshake
# is older than 135 s. `wg show <if> dump` is read through awk, which drops its
# first line (the private key) and the preshared keys: no secret is kept.
# Test hooks: WGNET_ETC, WGNET_RUN, WGNET_NOW (the time, instead of `date +%s`),
# WGNET_LOCK_WAIT (seconds to wait for the lock, default 30).
set -u
# Fields are split on purpose (set -- $line, SC2086), so no globbing.
set -f
IF=${1:?usage: wgnet-watchdog <interface> [runs [interval]]}
RUNS=${2:-1}
INTERVAL=${3:-10}
ETC=${WGNET_ETC:-/etc/wireguard}
RUN=${WGNET_RUN:-/var/run/wgnet}
CONF=$ETC/$IF.watchdog
LOCK=$RUN/$IF.lock
TAB=$(printf '\t')

log() {
    logger -t wgnet-watchdog "$IF: $*" 2>/dev/null || :
}

# sorted, comma separated; "-" for none
norm_ips() {
    case $1 in -|""|"(none)") echo - ; return ;; esac
    echo "$1" | tr ',' '\n' | sort | tr '\n' ',' | sed 's/,$//'
}

take_lock() {
    if command -v flock >/dev/null 2>&1; then
        exec 9>>"$LOCK"
        # BusyBox flock has no -w: try once a second.
        waited=0
        until flock -n 9; do
            [ "$waited" -lt "${WGNET_LOCK_WAIT:-30}" ] || return 1
            sleep 1
            waited=$((waited + 1))
        done
    else
        # OpenWrt's ubox lock takes the same flock(2)
        lock_cmd=$(command -v lock) || return 1
        "$lock_cmd" "$LOCK"
    fi
}

release_lock() {
    if command -v flock >/dev/null 2>&1; then
        flock -u 9
        exec 9>&-
    else
        lock -u "$LOCK"
    fi
}

once() {
    [ -r "$CONF" ] || return 0
    NOW=${WGNET_NOW:-$(date +%s)}
    # Peer lines only: key endpoint allowed-ips handshake rx tx keepalive.
    DUMP=$(wg show "$IF" dump 2>/dev/null | awk -F "$TAB" 'NR > 1 { print $1, $3, $4, $5, $6, $7, $8 }')
    [ -n "$DUMP" ] || return 0
    DIRECT_OLD=$(cat "$RUN/$IF.direct" 2>/dev/null || :)
    SAMPLES_OLD=$(cat "$RUN/$IF.samples" 2>/dev/null || :)
    SAMPLES="" DIRECT="" STATUS="" WANT=""

    # Pass 1: each watched or resolved peer; decide its state.
    while read -r kind key a b c d e name; do
        case $kind in watch|resolve) ;; *) continue ;; esac
        line=$(printf '%s\n' "$DUMP" | awk -v k="$key" '$1 == k { print; exit }')
        [ -n "$line" ] || continue
        set -- $line
        endpoint=$2 hs=$4 rx=$5 tx=$6
        ka=$b
        [ "$kind" = watch ] || name="$c${d:+ $d}${e:+ $e}${name:+ $name}"
        # A watched peer is probed (below), so a live path answers within 10 s;
        # a resolved one is not: it waits out its keepalive.
        D=25
        if [ "$kind" = resolve ]; then
            D=$ka
            [ "$D" -ge 10 ] || D=10
            D=$((D + 10))
        fi
        old=$(printf '%s\n' "$SAMPLES_OLD" | awk -v k="$key" '$1 == k { print; exit }')
        if [ -n "$old" ]; then
            set -- $old
            state=$2 since=$3 reason=$4 lrx=$5 txref=$6 trx=$7 ref=$8 rxref=$9 res=${10}
        else
            state=relay since=$NOW reason=new lrx=$rx txref=$tx trx=$NOW ref=$((NOW - 180)) rxref=0 res=0
        fi
        if [ "$kind" = watch ]; then
            # The .direct file is the truth (wg_interface reads it too).
            if printf '%s\n' "$DIRECT_OLD" | grep -qxF -- "$key"; then state=direct; else state=relay; fi
        fi
        dead=0
        if [ "$rx" -gt "$lrx" ]; then
            trx=$NOW txref=$tx
        elif [ "$tx" -gt "$txref" ] && [ $((NOW - trx)) -ge "$D" ]; then
            dead=1
        fi
        label=${name:-$key}
        if [ "$kind" = watch ]; then
            if [ "$state" = direct ]; then
                why=""
                if [ "$dead" = 1 ]; then
                    why=no-reply
                elif [ "$ka" -gt 0 ] && [ $((NOW - hs)) -gt 200 ]; then
                    why=stale-handshake
                fi
                if [ -n "$why" ]; then
                    state=relay since=$NOW reason=$why ref=$NOW rxref=$rx
                    log "peer $label ($d): direct -> relay ($why)"
                fi
            elif [ "$hs" -gt "$ref" ] && [ "$rx" -gt "$rxref" ]; then
                state=direct since=$NOW reason=handshake trx=$NOW txref=$tx
                log "peer $label ($d): relay -> direct (handshake)"
            fi
            # Keepalives are not answered (and two peers' keepalive timers
            # can settle so that only one side sends): when nothing came in,
            # send P one ping through the tunnel. P's WireGuard answers data
            # within 10 s (a passive keepalive) even if P drops the ping.
            if [ "$state" = direct ] && [ "$rx" -eq "$lrx" ] && [ "$e" != - ]; then
                ping -c 1 -W 1 "$e" >/dev/null 2>&1 || :
            fi
            [ "$state" = direct ] && DIRECT="$DIRECT$key
"
            STATUS="$STATUS$key $state $since $reason
"
        else
            hs_age=$((NOW - hs))
            if { [ "$dead" = 1 ] || [ "$hs_age" -gt 135 ]; } && [ $((NOW - res)) -ge 30 ]; then
                res=$NOW
                if wg set "$IF" peer "$key" endpoint "$a" 2>/dev/null; then
                    new=$(wg show "$IF" endpoints 2>/dev/null | awk -v k="$key" '$1 == k { print $2; exit }')
                    [ "$new" = "$endpoint" ] || log "peer $label: endpoint $a re-resolved, $endpoint -> $new"
                else
                    log "peer $label: cannot resolve $a"
                fi
            fi
        fi
        SAMPLES="$SAMPLES$key $state $since $reason $rx $txref $trx $ref $rxref $res
"
    done < "$CONF"

    # Pass 2: the wanted allowed ips and keepalives (wg_interface's transform).
    RELAYED=""
    while read -r kind key relay ka ips rest; do
        [ "$kind" = watch ] || continue
        if printf '%s' "$DIRECT" | grep -qxF -- "$key"; then
            WANT="$WANT$key $(norm_ips "$ips") $ka
"
        else
            [ "$ka" -gt 0 ] || ka=25
            WANT="$WANT$key - $ka
"
            [ "$ips" = - ] || RELAYED="$RELAYED$relay $ips
"
        fi
    done < "$CONF"
    while read -r kind key ips rest; do
        [ "$kind" = relay ] || continue
        all=$(printf '%s\n' "$RELAYED" | awk -v k="$key" -v base="$ips" '
            BEGIN { out = (base == "-") ? "" : base }
            $1 == k { out = (out == "") ? $2 : out "," $2 }
            END { print (out == "") ? "-" : out }')
        WANT="$WANT$key $(norm_ips "$all") keep
"
    done < "$CONF"

    # Apply what differs, peers gaining prefixes first: WireGuard moves a
    # prefix to the peer that takes it, so no prefix is ever without a peer.
    gain="" lose=""
    while read -r key ips ka; do
        [ -n "$key" ] || continue
        line=$(printf '%s\n' "$DUMP" | awk -v k="$key" '$1 == k { print; exit }')
        [ -n "$line" ] || continue
        set -- $line
        live_ips=$(norm_ips "$3")
        live_ka=$7
        [ "$live_ka" != off ] || live_ka=0
        args=""
        [ "$ips" = "$live_ips" ] || args="allowed-ips $( [ "$ips" = - ] && echo '""' || echo "$ips")"
        if [ "$ka" != keep ] && [ "$ka" != "$live_ka" ]; then
            args="$args persistent-keepalive $ka"
        fi
        [ -n "$args" ] || continue
        if [ "$ips" != - ] && printf '%s\n' "$ips" | tr ',' '\n' | grep -qvxF -e "$(printf '%s\n' "$live_ips" | tr ',' '\n')"; then
            gain="$gain peer $key $args"
        else
            lose="$lose peer $key $args"
        fi
    done <<WANTED
$WANT
WANTED
    if [ -n "$gain$lose" ]; then
        eval "set -- $gain $lose"
        if wg set "$IF" "$@"; then
            log "applied:$gain$lose"
        else
            log "wg set failed:$gain$lose"
        fi
    fi

    mkdir -p "$RUN"
    printf '%s' "$DIRECT" > "$RUN/$IF.direct.tmp" && mv -f "$RUN/$IF.direct.tmp" "$RUN/$IF.direct"
    printf '%s' "$STATUS" > "$RUN/$IF.status.tmp" && mv -f "$RUN/$IF.status.tmp" "$RUN/$IF.status"
    printf '%s' "$SAMPLES" > "$RUN/$IF.samples.tmp" && mv -f "$RUN/$IF.samples.tmp" "$RUN/$IF.samples"
}

umask 022
mkdir -p "$RUN" || exit 1
i=0
while [ "$i" -lt "$RUNS" ]; do
    [ "$i" -eq 0 ] || sleep "$INTERVAL"
    if take_lock; then
        once
        release_lock
    else
        log "lock $LOCK busy, run skipped"
    fi
    i=$((i + 1))
done
exit 0
'''


def openwrt_cron_line(interface):
    """The /etc/crontabs/root line of an OpenWrt router (cron, no systemd
    timers): a run each minute that samples 6 times, 10 s apart."""
    return "* * * * * %s %s 6 10\n" % (OPENWRT_SCRIPT_PATH, interface)


def is_watched(peer):
    return bool(peer.get("path"))


def check_watched(peers):
    """Raise ValueError unless every watched peer names a relay that is
    another, unwatched peer of the same list (peers: normalized)."""
    keys = dict((p["public_key"], p) for p in peers)
    for peer in peers:
        path, relay = peer.get("path"), peer.get("relay_public_key")
        label = peer.get("name") or fingerprint(peer["public_key"])
        if not path and not relay:
            continue
        if not path or not relay:
            raise ValueError("peer %s: path and relay_public_key go together (a watched peer needs both)" % label)
        if path not in PATHS:
            raise ValueError("peer %s: path must be one of %s, not %r" % (label, ", ".join(PATHS), path))
        if relay == peer["public_key"]:
            raise ValueError("peer %s: relay_public_key is the peer itself; name the hub that relays it" % label)
        if relay not in keys:
            raise ValueError("peer %s: relay_public_key %s is not a peer of this interface; list the relay hub "
                             "as a peer too" % (label, fingerprint(relay)))
        if is_watched(keys[relay]):
            raise ValueError("peer %s: its relay %s is itself a watched peer (path set); a relay must be a plain "
                             "peer such as the hub" % (label, keys[relay].get("name") or fingerprint(relay)))


def dns_endpoint(peer):
    """The peer's endpoint when its host is a DNS name, else None."""
    if not peer.get("endpoint"):
        return None
    host, _port = split_endpoint(peer["endpoint"])
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        return peer["endpoint"]


def probe_address(peer):
    """An address the watchdog pings to get an answer through the direct
    path: the peer's first host address (/32, /128), else the first host of
    its first prefix; "-" when it has none."""
    nets = [ipaddress.ip_network(p) for p in peer["allowed_ips"] if ipaddress.ip_network(p).prefixlen > 0]
    hosts = [n for n in nets if n.num_addresses == 1]
    if hosts:
        return str(hosts[0].network_address)
    for net in nets:
        return str(next(net.hosts(), net.network_address))
    return "-"


def needs_watchdog(peers):
    return any(is_watched(p) or dns_endpoint(p) for p in peers)


def read_direct(path):
    """Keys listed in the watchdog's state file (missing file: none)."""
    try:
        with open(path) as f:
            return set(line.strip() for line in f if line.strip())
    except (FileNotFoundError, NotADirectoryError):
        return set()


def transform(peers, direct):
    """The live form of the planned peers with the watched peers in `direct`
    on their direct path and the others on their relay (new dicts)."""
    result = dict((p["public_key"], dict(p)) for p in peers)
    for peer in peers:
        if not is_watched(peer) or peer["public_key"] in direct:
            continue
        live = result[peer["public_key"]]
        live["allowed_ips"] = []
        live["persistent_keepalive"] = peer["persistent_keepalive"] or RELAY_KEEPALIVE
        relay = result[peer["relay_public_key"]]
        relay["allowed_ips"] = sorted(set(relay["allowed_ips"]) | set(peer["allowed_ips"]))
    return [result[p["public_key"]] for p in peers]


def states(peers, direct):
    """What wg_interface returns about its watched peers (public data only)."""
    names = dict((p["public_key"], p.get("name")) for p in peers)
    return [{"name": p.get("name"), "public_key": p["public_key"], "path": p["path"],
             "relay": names.get(p["relay_public_key"]) or p["relay_public_key"],
             "state": "direct" if p["public_key"] in direct else "relay"}
            for p in sorted(peers, key=lambda p: p["public_key"]) if is_watched(p)]


def watchdog_config(interface, peers):
    """The text of /etc/wireguard/<if>.watchdog (see the script's header),
    or None when the interface needs no watchdog."""
    if not needs_watchdog(peers):
        return None
    lines = ["# wgnet-watchdog config of %s, written by wgnet.wireguard (wg_interface)\n" % interface]
    relays = sorted(set(p["relay_public_key"] for p in peers if is_watched(p)))
    by_key = dict((p["public_key"], p) for p in peers)
    for key in relays:
        lines.append("relay %s %s\n" % (key, ",".join(by_key[key]["allowed_ips"]) or "-"))
    for peer in sorted(peers, key=lambda p: p["public_key"]):
        name = (" " + peer["name"]) if peer.get("name") else ""
        if is_watched(peer):
            lines.append("watch %s %s %d %s %s %s%s\n" % (
                peer["public_key"], peer["relay_public_key"], peer["persistent_keepalive"],
                ",".join(peer["allowed_ips"]) or "-", peer["path"], probe_address(peer), name))
        elif dns_endpoint(peer):
            lines.append("resolve %s %s %d%s\n" % (peer["public_key"], peer["endpoint"],
                                                   peer["persistent_keepalive"], name))
    return "".join(lines)


def parse_status(text):
    """Lines of <if>.status -> {public key: {state, since, reason}}."""
    result = {}
    for line in (text or "").splitlines():
        fields = line.split()
        if len(fields) != 4 or fields[1] not in ("direct", "relay"):
            continue
        try:
            since = int(fields[2])
        except ValueError:
            continue
        result[fields[0]] = {"state": fields[1], "since": since, "reason": fields[3]}
    return result


class StateLock(object):
    """The exclusive flock on <state_dir>/<if>.lock that the watchdog also
    takes, held while the state file is read and the live state applied.
    In check mode nothing is created: without the directory there is no
    watchdog to race with."""

    def __init__(self, state_dir, interface, create):
        self.path = os.path.join(state_dir, interface + ".lock")
        self.state_dir = state_dir
        self.create = create
        self.fd = None

    def __enter__(self):
        if self.create and not os.path.isdir(self.state_dir):
            os.makedirs(self.state_dir, 0o755)
        if self.create:
            self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        elif os.path.exists(self.path):
            self.fd = os.open(self.path, os.O_RDONLY)
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
        return False
