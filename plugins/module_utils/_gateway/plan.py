# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The plan of one gateway, computed on the host from its interface plans and
the addresses and default routes `ip -j` reports: which interfaces forward to
which, what is masqueraded, which sysctls are set. Every firewall backend
renders this one plan, so they cannot drift apart."""

from __future__ import annotations

import ipaddress
import json


class GatewayError(Exception):
    """A gateway problem, worded to name the host, the variable and the fix."""


def interface_peers(plan):
    """The peers of an interface plan: a list, or its JSON text."""
    peers = plan.get("peers") or []
    if isinstance(peers, str):
        peers = json.loads(peers) if peers.strip() else []
    return peers


def networks_from_ip(addr_json):
    """interface name -> list of ip_interface, from `ip -j address` (link-local left out)."""
    result = {}
    for link in addr_json or []:
        addrs = []
        for info in link.get("addr_info") or []:
            if info.get("family") not in ("inet", "inet6") or info.get("scope") == "link":
                continue
            addrs.append(ipaddress.ip_interface("%s/%s" % (info["local"], info["prefixlen"])))
        result[link["ifname"]] = addrs
    return result


def default_interface(route_json):
    """The interface of the first default route in `ip -j route show default`."""
    for route in route_json or []:
        if route.get("dev"):
            return route["dev"]
    return None


def _version_of(text):
    return ipaddress.ip_network(text, strict=False).version


def gateway_plan(interfaces, networks, default_routes=None, lan_interfaces=None, egress_interface=None,
                 masquerade=True, proxy_arp_interfaces=None):
    """Plan one gateway.

    interfaces: the host's interface plans (wireguard_host_plan).
    networks: interface name -> addresses (networks_from_ip).
    default_routes: IP version -> interface of its default route.
    lan_interfaces / egress_interface: overrides of what the host reports.
    """
    routing = [i for i in interfaces if i.get("forwarding")]
    wg = [i["interface"] for i in routing]
    # Everything that can arrive over the tunnel: the ranges and every peer's
    # AllowedIPs (remote site LANs too), but not a full-tunnel /0.
    arriving = [ipaddress.ip_network(r) for i in routing for r in i.get("ranges") or []]
    arriving += [ipaddress.ip_network(p) for i in routing for peer in interface_peers(i)
                 for p in peer.get("allowed_ips") or [] if not p.endswith("/0")]
    sources = dict((v, [str(n) for n in ipaddress.collapse_addresses(n for n in arriving if n.version == v)])
                   for v in (4, 6))
    lans = [ipaddress.ip_network(lan) for i in routing for lan in i.get("lan_subnets") or []]

    if lan_interfaces:
        lan_ifaces = list(lan_interfaces)
    else:
        lan_ifaces = []
        for lan in lans:
            # An address inside the LAN, not a mere overlap: docker0's 172.17.0.0/16
            # must not be taken for an office LAN 172.17.50.0/24.
            found = [name for name, addrs in sorted(networks.items())
                     if name not in wg and any(a.version == lan.version and a.ip in lan for a in addrs)]
            if not found:
                raise GatewayError(
                    "no interface has an address in its LAN %s (wireguard_lan_subnets); bring the LAN "
                    "interface up or name it in gateway_lan_interfaces" % lan)
            lan_ifaces += [f for f in found if f not in lan_ifaces]

    families = sorted(set(_version_of(r) for i in routing for r in i.get("ranges") or []))
    egress = []
    if any(i.get("egress_gateway") for i in routing):
        if egress_interface:
            egress = [egress_interface]
        else:
            # The default route of each family the tunnel carries.
            for version in families:
                name = (default_routes or {}).get(version)
                if name and name not in egress:
                    egress.append(name)
        if not egress:
            raise GatewayError("it is an egress gateway but has no default route; name the outgoing "
                               "interface in gateway_egress_interface")

    out_ifaces = lan_ifaces + [e for e in egress if e not in lan_ifaces]
    forward = [{"in": w, "out": w} for w in wg]
    for w in wg:
        for o in out_ifaces:
            forward.append({"in": w, "out": o})
        for lan in lan_ifaces:
            forward.append({"in": lan, "out": w})
    ipv6 = any(_version_of(a) == 6 for i in routing for a in i.get("addresses") or [])
    sysctls = {"net.ipv4.ip_forward": "1"}
    if ipv6:
        sysctls["net.ipv6.conf.all.forwarding"] = "1"
    for name in proxy_arp_interfaces or []:
        sysctls["net.ipv4.conf.%s.proxy_arp" % name.replace(".", "/")] = "1"
    return {
        "wg_interfaces": wg,
        "lan_interfaces": lan_ifaces,
        "egress_interfaces": egress,
        "out_interfaces": out_ifaces,
        "masquerade_interfaces": out_ifaces if masquerade else [],
        "sources4": sources[4],
        "sources6": sources[6],
        "listen_ports": sorted(set(int(i["listen_port"]) for i in interfaces if i.get("listen_port"))),
        "forward": forward,
        "ipv6": ipv6,
        "sysctls": sysctls,
    }
