# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller-side network planning: which peers each host gets, with which
AllowedIPs, endpoints and keepalives, checked before any host is touched.

Plain Python with no Ansible imports, so it is unit tested directly and the
filter plugins stay thin wrappers.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg

HUB_AND_SPOKE = "hub_and_spoke"


class PlanError(ValueError):
    """An inventory problem, worded to name the host, the variable and the fix."""


def _as_list(value):
    if value in (None, ""):
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _endpoint(host, text, port):
    """Normalize 'host', 'host:port', '[v6]:port' or a bare IPv6 address."""
    try:
        return _wg.join_endpoint(*_wg.split_endpoint(text, port))
    except ValueError as exc:
        raise PlanError("host %s: wireguard_endpoint %r: %s; write host[:port], IPv6 as [address]:port"
                        % (host, text, exc))


class Member(object):
    """One host of the network, read from its inventory variables."""

    def __init__(self, name, hostvars, network, ranges):
        self.name = name
        get = hostvars.get
        port = get("wireguard_port", network.get("port", 51820))
        try:
            self.port = int(port)
        except (TypeError, ValueError):
            self.port = -1
        if not 1 <= self.port <= 65535:
            raise PlanError("host %s: wireguard_port %r must be a number in 1-65535" % (name, port))
        self.addresses = []
        raw = _as_list(get("wireguard_address"))
        if not raw:
            raise PlanError(
                "host %s: wireguard_address is not set; give it a tunnel address inside %s"
                % (name, ", ".join(str(r) for r in ranges)))
        for value in raw:
            try:
                ip = ipaddress.ip_address(str(value).split("/", 1)[0])
            except ValueError:
                raise PlanError("host %s: wireguard_address %r is not an IP address" % (name, value))
            net = next((r for r in ranges if r.version == ip.version and ip in r), None)
            if net is None:
                raise PlanError(
                    "host %s: wireguard_address %s is outside the network range %s"
                    % (name, ip, ", ".join(str(r) for r in ranges)))
            if ip in (net.network_address, net.broadcast_address) and net.num_addresses > 2:
                raise PlanError("host %s: wireguard_address %s is the network or broadcast address of %s"
                                % (name, ip, net))
            self.addresses.append((ip, net))
        self.lans = []
        for value in _as_list(get("wireguard_lan_subnets")):
            try:
                self.lans.append(ipaddress.ip_network(str(value), strict=False))
            except ValueError:
                raise PlanError("host %s: wireguard_lan_subnets entry %r is not a CIDR prefix" % (name, value))
        endpoint = get("wireguard_endpoint")
        self.endpoint = _endpoint(name, endpoint, self.port) if endpoint else None
        keepalive = get("wireguard_persistent_keepalive", network.get("persistent_keepalive", 25))
        try:
            self.keepalive = int(keepalive or 0)
        except (TypeError, ValueError):
            raise PlanError("host %s: wireguard_persistent_keepalive %r is not a number" % (name, keepalive))

    def host_prefixes(self):
        return [str(ipaddress.ip_network(ip)) for ip, _net in self.addresses]

    def interface_addresses(self):
        return ["%s/%d" % (ip, net.prefixlen) for ip, net in self.addresses]


def _peer(member, key, allowed, endpoint, keepalive):
    return {
        "name": member.name,
        "public_key": key,
        "allowed_ips": sorted(set(allowed), key=lambda p: (ipaddress.ip_network(p).version, ipaddress.ip_network(p))),
        "endpoint": endpoint,
        "persistent_keepalive": keepalive,
    }


def plan_network(hostvars, network, public_keys, allow_missing_keys=False):
    """Plan every member of a hub-and-spoke network.

    hostvars: mapping of host name to that host's variables.
    network: dict(interface, ranges, members, hubs, port, persistent_keepalive).
    public_keys: mapping of host name to its public key.
    Returns {'hosts': {host: {...}}, 'missing_keys': [...]}.
    """
    interface = network.get("interface") or "wg0"
    try:
        ranges = [ipaddress.ip_network(str(r)) for r in _as_list(network.get("ranges"))]
    except ValueError as exc:
        raise PlanError("network %s: wireguard_network: %s" % (interface, exc))
    if not ranges:
        raise PlanError("network %s: wireguard_network is not set; give the tunnel range, e.g. 10.77.0.0/24"
                        % interface)
    names = list(dict.fromkeys(network.get("members") or []))
    if not names:
        raise PlanError("network %s: the member group %r has no hosts" % (interface, network.get("member_group")))
    hub_names = [h for h in dict.fromkeys(network.get("hubs") or []) if h in names]
    topology = network.get("topology") or HUB_AND_SPOKE
    if topology != HUB_AND_SPOKE:
        raise PlanError("network %s: topology %r is not supported; use %s" % (interface, topology, HUB_AND_SPOKE))
    if not hub_names:
        raise PlanError(
            "network %s: no hub; put at least one host of group %r into group %r"
            % (interface, network.get("member_group"), network.get("hub_group")))

    members = dict((n, Member(n, hostvars[n], network, ranges)) for n in names)

    seen = {}
    for m in members.values():
        for ip, _net in m.addresses:
            if ip in seen:
                raise PlanError("host %s: wireguard_address %s is already used by host %s" % (m.name, ip, seen[ip]))
            seen[ip] = m.name
    lan_owner = []
    for m in members.values():
        for lan in m.lans:
            for r in ranges:
                if lan.version == r.version and lan.overlaps(r):
                    raise PlanError("host %s: wireguard_lan_subnets %s overlaps the tunnel range %s" % (m.name, lan, r))
            for other, other_lan in lan_owner:
                if lan.version == other_lan.version and lan.overlaps(other_lan):
                    raise PlanError(
                        "host %s: wireguard_lan_subnets %s overlaps %s of host %s; each site LAN needs its own prefix"
                        % (m.name, lan, other_lan, other))
            lan_owner.append((m.name, lan))
    for hub in hub_names:
        if not members[hub].endpoint:
            raise PlanError(
                "host %s: a hub needs wireguard_endpoint (its public address or DNS name) so spokes can reach it"
                % hub)

    missing = [n for n in names if not public_keys.get(n)]
    if missing and not allow_missing_keys:
        raise PlanError(
            "network %s: the public keys of %s are not known yet; run the play once against those hosts "
            "(without --limit) so their keys are generated on them" % (interface, ", ".join(missing)))
    for n in names:
        if public_keys.get(n) and not _wg.is_valid_key(public_keys[n]):
            raise PlanError("host %s: public key %r is not a valid WireGuard key" % (n, public_keys[n]))

    primary = hub_names[0]
    plans = {}
    for name in names:
        me = members[name]
        peers = []
        for other_name in names:
            if other_name == name or not public_keys.get(other_name):
                continue
            other = members[other_name]
            if name in hub_names:
                # A hub reaches every member directly.
                allowed = other.host_prefixes() + [str(n) for n in other.lans]
            elif other_name not in hub_names:
                continue  # spokes reach each other through the hub
            elif other_name == primary:
                # The primary hub carries the whole tunnel range and every LAN
                # not served by a more specific peer.
                allowed = [str(r) for r in ranges] + [
                    str(lan) for n2 in names if n2 != name and (n2 == primary or n2 not in hub_names)
                    for lan in members[n2].lans]
            else:
                allowed = other.host_prefixes() + [str(n) for n in other.lans]
            keepalive = me.keepalive if (not me.endpoint and other.endpoint) else 0
            peers.append(_peer(other, public_keys[other_name], allowed, other.endpoint, keepalive))
        plans[name] = {
            "interface": interface,
            "role": "hub" if name in hub_names else "spoke",
            "addresses": me.interface_addresses(),
            "listen_port": me.port,
            "peers": peers,
            "forwarding": name in hub_names or bool(me.lans),
        }
    return {"hosts": plans, "missing_keys": missing}
