# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The wanted peers of an interface, checked and normalized, and the reconcile plan
that turns live state into wanted state with as few `wg set`/`ip` calls as possible.

Private module_utils: the API may change."""

from __future__ import annotations

import ipaddress
import itertools
import json
import re

from ansible_collections.wgnet.wireguard.plugins.module_utils._wg_crypto import decode_key, fingerprint
from ansible_collections.wgnet.wireguard.plugins.module_utils._wg_values import (
    join_endpoint,
    normalize_interface_address,
    normalize_prefix,
    split_endpoint,
)


_LINE_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(value, what):
    """A text value that is written into a config: one line, no control characters."""
    if not isinstance(value, str):
        raise ValueError("%s must be text, not %s" % (what, type(value).__name__))
    if _LINE_BREAKS.search(value):
        raise ValueError("%s %r must be a single line without control characters (it is written into the config)"
                         % (what, value))
    return value


def normalize_peer(peer, default_port=51820):
    """Validate and normalize one wanted peer; raise ValueError with the field."""
    if not isinstance(peer, dict):
        raise ValueError("each peer must be a mapping with public_key, allowed_ips, ..., not %s"
                         % type(peer).__name__)
    key = peer.get("public_key")
    try:
        # A key read from a file keeps its newline: stripped, then it must be one line.
        decode_key(_one_line(key.strip() if isinstance(key, str) else key, "public_key"))
    except ValueError as exc:
        raise ValueError("peer %s: public_key: %s" % (peer.get("name") or key, exc))
    if peer.get("name"):
        _one_line(peer["name"], "peer name")
    label = peer.get("name") or fingerprint(key)
    allowed_ips = peer.get("allowed_ips") or []
    if not isinstance(allowed_ips, list):
        raise ValueError("peer %s: allowed_ips must be a list of prefixes" % label)
    try:
        allowed = sorted(set(normalize_prefix(_one_line(p, "allowed_ips entry")) for p in allowed_ips))
    except ValueError as exc:
        raise ValueError("peer %s: allowed_ips: %s" % (label, exc))
    endpoint = peer.get("endpoint") or None
    if endpoint:
        try:
            endpoint = join_endpoint(*split_endpoint(endpoint, default_port))
        except ValueError as exc:
            raise ValueError("peer %s: endpoint: %s" % (label, exc))
    keepalive = peer.get("persistent_keepalive") or 0
    if isinstance(keepalive, str) and re.fullmatch(r"[0-9]{1,5}", keepalive.strip()):
        keepalive = int(keepalive)  # peers_json carries what the plan gives, possibly as text
    if isinstance(keepalive, bool) or not isinstance(keepalive, int) or not 0 <= keepalive <= 65535:
        raise ValueError("peer %s: persistent_keepalive must be a number in 0-65535" % label)
    psk_path = peer.get("preshared_key_path") or None
    if psk_path is not None:
        _one_line(psk_path, "peer %s: preshared_key_path" % label)
    path = peer.get("path") or None
    if path is not None and path not in ("site", "nat"):
        raise ValueError("peer %s: path must be site or nat, not %r" % (label, path))
    relay = peer.get("relay_public_key") or None
    if relay is not None:
        try:
            decode_key(_one_line(relay.strip() if isinstance(relay, str) else relay, "relay_public_key"))
        except ValueError as exc:
            raise ValueError("peer %s: relay_public_key: %s" % (label, exc))
        relay = relay.strip()
    return {
        "name": peer.get("name") or None,
        "public_key": key.strip(),
        "allowed_ips": allowed,
        "endpoint": endpoint,
        "persistent_keepalive": keepalive,
        "preshared_key_path": psk_path,
        "path": path,
        "relay_public_key": relay,
    }


PEER_FIELDS = ("public_key", "name", "allowed_ips", "endpoint", "persistent_keepalive", "preshared_key_path",
               "path", "relay_public_key")


def peers_from_json(text):
    """The peer list given as JSON text (wg_interface's peers_json), checked
    for the fields the peers option accepts."""
    try:
        peers = json.loads(text)
    except ValueError as exc:
        raise ValueError("peers_json is not valid JSON: %s" % exc)
    if not isinstance(peers, list) or not all(isinstance(p, dict) for p in peers):
        raise ValueError("peers_json must be a JSON list of peer objects")
    for peer in peers:
        unknown = sorted(set(peer) - set(PEER_FIELDS))
        if unknown:
            raise ValueError("peers_json: peer %s has unsupported fields %s (supported: %s)"
                             % (peer.get("name") or peer.get("public_key"), ", ".join(unknown), ", ".join(PEER_FIELDS)))
    return peers


def check_allowed_ips_unique(peers):
    """WireGuard silently moves a prefix to the last peer that claims it."""
    owner = {}
    for peer in peers:
        for prefix in peer["allowed_ips"]:
            if prefix in owner:
                raise ValueError(
                    "allowed_ips %s is listed for peer %s and peer %s; a prefix can belong to one peer only"
                    % (prefix, owner[prefix], peer["name"] or fingerprint(peer["public_key"])))
            owner[prefix] = peer["name"] or fingerprint(peer["public_key"])


def _endpoint_matches(wanted, live, resolve):
    """A wanted endpoint matches when it resolves to the live address:port."""
    if not wanted:
        return True  # nothing asked: keep what the peer roamed to
    if not live:
        return False
    host, port = split_endpoint(wanted)
    live_host, live_port = split_endpoint(live)
    if port != live_port:
        return False
    return live_host in resolve(host, port)


def plan_peers(wanted_peers, live_peers, live_psks_match, resolve):
    """Compare wanted peers with live ones.

    live_psks_match(public_key, wanted_path) -> bool tells whether the live
    preshared key equals the wanted one; it runs on the host.
    resolve(host, port) -> set of address strings for endpoint comparison.
    Returns dict(add=[peer], remove=[public_key], change=[(peer, [fields])]).
    """
    wanted = dict((p["public_key"], p) for p in wanted_peers)
    add, change = [], []
    for key in sorted(wanted):
        peer = wanted[key]
        live = live_peers.get(key)
        if live is None:
            add.append(peer)
            continue
        fields = []
        if sorted(peer["allowed_ips"]) != sorted(live["allowed_ips"]):
            fields.append("allowed_ips")
        if not _endpoint_matches(peer["endpoint"], live["endpoint"], resolve):
            fields.append("endpoint")
        if peer["persistent_keepalive"] != live["persistent_keepalive"]:
            fields.append("persistent_keepalive")
        if not live_psks_match(key, peer.get("preshared_key_path")):
            fields.append("preshared_key")
        if fields:
            change.append((peer, fields))
    remove = sorted(k for k in live_peers if k not in wanted)
    return {"add": add, "remove": remove, "change": change}


def carry_endpoints(added, removed_keys, live_peers):
    """Added peers with no endpoint of their own take the live endpoint of a
    removed peer with the same AllowedIPs: the same host under a rotated key.

    Without it a hub would know a rotated spoke behind NAT only once the spoke
    calls, which after a failed handshake is up to 5 s later. Only the `wg set`
    gets the endpoint; the boot config keeps the wanted peer as it is."""
    by_allowed = {}
    for key in removed_keys:
        live = live_peers.get(key) or {}
        if live.get("endpoint") and live.get("allowed_ips"):
            by_allowed[tuple(sorted(live["allowed_ips"]))] = live["endpoint"]
    result = []
    for peer in added:
        endpoint = None if peer["endpoint"] else by_allowed.get(tuple(sorted(peer["allowed_ips"])))
        result.append(dict(peer, endpoint=endpoint) if endpoint else peer)
    return result


def kick_addresses(peers, own_addresses):
    """One address inside each peer's AllowedIPs, not one of ours: a datagram
    sent there goes through the tunnel to that peer and so starts a handshake.
    Full-tunnel /0 prefixes are skipped (their routes live in another table)."""
    own = set(str(ipaddress.ip_interface(a).ip) for a in own_addresses)
    result = []
    for peer in peers:
        for prefix in peer["allowed_ips"]:
            net = ipaddress.ip_network(prefix)
            if net.prefixlen == 0:
                continue
            candidates = [net.network_address] if net.num_addresses == 1 else list(itertools.islice(net.hosts(), 3))
            pick = next((str(a) for a in candidates if str(a) not in own), None)
            if pick:
                result.append(pick)
                break
    return result


def wg_set_args(ifname, iface_changes, peer_plan, private_key_path=None):
    """One `wg set` argv applying every interface and peer change at once.

    Key material is passed by file path only, never on the command line.
    Returns None when there is nothing to set.
    """
    args = []
    if "private_key" in iface_changes:
        args += ["private-key", private_key_path]
    if "listen_port" in iface_changes:
        args += ["listen-port", str(iface_changes["listen_port"] or 0)]
    if "fwmark" in iface_changes:
        args += ["fwmark", "%#x" % iface_changes["fwmark"] if iface_changes["fwmark"] else "off"]
    for key in peer_plan["remove"]:
        args += ["peer", key, "remove"]
    touched = [(p, None) for p in peer_plan["add"]] + list(peer_plan["change"])
    for peer, fields in touched:
        args += ["peer", peer["public_key"]]
        if fields is None or "preshared_key" in fields:
            args += ["preshared-key", peer.get("preshared_key_path") or "/dev/null"]
        if peer["endpoint"] and (fields is None or "endpoint" in fields):
            args += ["endpoint", peer["endpoint"]]
        if fields is None or "persistent_keepalive" in fields:
            args += ["persistent-keepalive", str(peer["persistent_keepalive"]) if peer["persistent_keepalive"] else "off"]
        if fields is None or "allowed_ips" in fields:
            args += ["allowed-ips", ",".join(peer["allowed_ips"])]
    if not args:
        return None
    return ["wg", "set", ifname] + args


def plan_interface(wanted, live_iface):
    """Interface-level wg settings that differ: listen_port, fwmark, private_key."""
    changes = {}
    if wanted.get("public_key") and wanted["public_key"] != live_iface.get("public_key"):
        changes["private_key"] = True
    if wanted.get("listen_port") is not None and wanted["listen_port"] != live_iface.get("listen_port"):
        changes["listen_port"] = wanted["listen_port"]
    if wanted.get("fwmark") is not None and (wanted["fwmark"] or None) != live_iface.get("fwmark"):
        changes["fwmark"] = wanted["fwmark"]
    return changes


def plan_addresses(wanted, live):
    """Addresses to add and to remove (lists of 'addr/len')."""
    wanted_set = set(normalize_interface_address(a) for a in wanted)
    live_set = set(normalize_interface_address(a) for a in live)
    return sorted(wanted_set - live_set), sorted(live_set - wanted_set)


def wanted_routes(addresses, peers):
    """Routes wg-quick would add to the main table for these peers: every
    AllowedIPs prefix not already covered by an interface address's connected
    network. A /0 is not routed in the main table: wg-quick sends it through
    its own table with policy rules, see plan_full_tunnel()."""
    connected = [ipaddress.ip_interface(a).network for a in addresses]
    routes = set()
    for peer in peers:
        for prefix in peer["allowed_ips"]:
            net = ipaddress.ip_network(prefix)
            if net.prefixlen == 0:
                continue
            if any(net.version == c.version and net.subnet_of(c) for c in connected):
                continue
            routes.add(str(net))
    return sorted(routes)


def plan_routes(wanted, live, peers):
    """Routes to add and remove on the interface.

    A live route is removed only when no peer's AllowedIPs covers it, since
    WireGuard would drop its packets anyway; routes a user added inside a
    peer's prefixes are left alone.
    """
    allowed = [ipaddress.ip_network(p) for peer in peers for p in peer["allowed_ips"]]
    live_set = set(normalize_prefix(r) for r in live)
    add = sorted(set(wanted) - live_set)
    remove = []
    for route in sorted(live_set - set(wanted)):
        net = ipaddress.ip_network(route)
        if not any(net.version == a.version and net.subnet_of(a) for a in allowed):
            remove.append(route)
    return add, remove


def summarize(interface, peers):
    """A stable, secret-free text form of an interface, for --diff."""
    lines = ["interface:"]
    for key in ("public_key", "addresses", "listen_port", "mtu", "fwmark"):
        value = interface.get(key)
        if key == "public_key":
            value = fingerprint(value) if value else None
        if isinstance(value, list):
            value = ", ".join(value)
        if value not in (None, "", [], 0):
            lines.append("  %s: %s" % (key, value))
    lines.append("peers:")
    for peer in sorted(peers, key=lambda p: p["public_key"]):
        label = fingerprint(peer["public_key"])
        if peer.get("name"):
            label = "%s (%s)" % (peer["name"], label)
        lines.append("  - %s" % label)
        lines.append("    allowed_ips: %s" % (", ".join(peer["allowed_ips"]) or "(none)"))
        if peer.get("endpoint"):
            lines.append("    endpoint: %s" % peer["endpoint"])
        if peer.get("persistent_keepalive"):
            lines.append("    persistent_keepalive: %s" % peer["persistent_keepalive"])
        if peer.get("preshared_key_path") or peer.get("preshared_key"):
            # Set, or set and changed: never a value nor a hash of one.
            state = "<redacted, changed>" if peer.get("preshared_key_changed") else "<redacted>"
            lines.append("    preshared_key: %s" % state)
    return "\n".join(lines) + "\n"
