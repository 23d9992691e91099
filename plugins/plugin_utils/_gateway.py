# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller-side planning of a gateway: which interfaces forward to which,
what is masqueraded, which sysctls are set. The firewall backends (firewalld,
nftables, iptables) render this one plan, so they cannot drift apart."""

from __future__ import annotations

import ipaddress

from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import interface_peers


class GatewayError(ValueError):
    """A gateway problem, worded to name the host, the variable and the fix."""


def _facts_networks(facts):
    """interface name -> list of ip_interface, from gathered network facts."""
    result = {}
    for name in facts.get("interfaces") or []:
        data = facts.get(name.replace("-", "_")) or {}
        addrs = []
        for entry in [data.get("ipv4")] + list(data.get("ipv4_secondaries") or []):
            if entry and entry.get("address") and entry.get("netmask"):
                addrs.append(ipaddress.ip_interface("%s/%s" % (entry["address"], entry["netmask"])))
        for entry in data.get("ipv6") or []:
            if entry.get("address") and entry.get("scope") != "link":
                addrs.append(ipaddress.ip_interface("%s/%s" % (entry["address"], entry.get("prefix", 128))))
        result[name] = addrs
    return result


def gateway_plan(host, interfaces, facts, lan_interfaces=None, egress_interface=None, masquerade=True,
                 proxy_arp_interfaces=None):
    """Plan one gateway.

    interfaces: the host's interface plans (wg_host_interfaces).
    facts: ansible_facts with the network subset.
    lan_interfaces / egress_interface: overrides of what facts would say.
    """
    routing = [i for i in interfaces if i.get("forwarding")]
    wg = [i["interface"] for i in routing]
    # Everything that can arrive over the tunnel: the ranges and every peer's
    # AllowedIPs (remote site LANs too), but not a full-tunnel /0.
    arriving = [ipaddress.ip_network(r) for i in routing for r in i.get("ranges", [])]
    arriving += [ipaddress.ip_network(p) for i in routing for peer in interface_peers(i)
                 for p in peer.get("allowed_ips", []) if not p.endswith("/0")]
    sources = dict((v, [str(n) for n in ipaddress.collapse_addresses(n for n in arriving if n.version == v)])
                   for v in (4, 6))
    lans = [ipaddress.ip_network(lan) for i in routing for lan in i.get("lan_subnets", [])]

    if lan_interfaces:
        lan_ifaces = list(lan_interfaces)
    else:
        networks = _facts_networks(facts)
        lan_ifaces = []
        for lan in lans:
            # An address inside the LAN, not a mere overlap: docker0's 172.17.0.0/16
            # must not be taken for an office LAN 172.17.50.0/24.
            found = [name for name, addrs in sorted(networks.items())
                     if name not in wg and any(a.version == lan.version and a.ip in lan for a in addrs)]
            if not found:
                raise GatewayError(
                    "host %s: no interface has an address in its LAN %s (wireguard_lan_subnets); bring the LAN "
                    "interface up or name it in gateway_lan_interfaces" % (host, lan))
            lan_ifaces += [f for f in found if f not in lan_ifaces]

    egress = []
    if any(i.get("egress_gateway") for i in routing):
        if egress_interface:
            egress = [egress_interface]
        else:
            # The default route of each family the tunnel carries.
            families = set(ipaddress.ip_network(r).version for i in routing for r in i.get("ranges", []))
            for version in sorted(families):
                name = (facts.get("default_ipv%d" % version) or {}).get("interface")
                if name and name not in egress:
                    egress.append(name)
        if not egress:
            raise GatewayError("host %s: it is an egress gateway but has no default route; name the outgoing "
                               "interface in gateway_egress_interface" % host)

    out_ifaces = lan_ifaces + [e for e in egress if e not in lan_ifaces]
    forward = [{"in": w, "out": w} for w in wg]
    for w in wg:
        for o in out_ifaces:
            forward.append({"in": w, "out": o})
        for lan in lan_ifaces:
            forward.append({"in": lan, "out": w})
    ipv6 = any(i.get("ipv6") for i in routing)
    sysctls = {"net.ipv4.ip_forward": 1}
    if ipv6:
        sysctls["net.ipv6.conf.all.forwarding"] = 1
    for name in proxy_arp_interfaces or []:
        sysctls["net.ipv4.conf.%s.proxy_arp" % name.replace(".", "/")] = 1
    return {
        "wg_interfaces": wg,
        "lan_interfaces": lan_ifaces,
        "egress_interfaces": egress,
        "out_interfaces": out_ifaces,
        "masquerade_interfaces": out_ifaces if masquerade else [],
        "sources4": sources[4],
        "sources6": sources[6],
        "listen_ports": sorted(set(i["listen_port"] for i in interfaces if i.get("listen_port"))),
        "forward": forward,
        "ipv6": ipv6,
        "sysctls": sysctls,
    }
