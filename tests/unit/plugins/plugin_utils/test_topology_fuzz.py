# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The planner fuzzed (issue 11.7): valid random inventories, corrupted at
random positions (types, values, names, encodings), go through the entry
points the role uses (wg_member_interfaces, wg_network_plan,
wg_host_interfaces). Every input is either refused with PlanError or
planned, and then the plan passes the packet walk, holds no prefix twice on
an interface and no value that could add a line to a config. Anything else
escaping is a failure.

Also (issue 11.2) random inventories of two or three networks sharing hosts,
with ranges and LANs drawn from a small pool so that they collide often:
what is accepted routes each prefix to exactly one place on every host."""

from __future__ import annotations

import copy
import ipaddress
import json
import os
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_config
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_peers
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _checks
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import PlanError
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import host_interfaces
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import host_routes
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import member_interfaces
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import plan_networks

from ansible_collections.wgnet.wireguard.tests.unit.hostile import VALUES, spoiled
from test_topology_properties import TOPOLOGIES, Routes, deliver, inventories, key

# WGNET_FUZZ_EXAMPLES: a longer hunt than the CI default.
EXAMPLES = int(os.environ.get("WGNET_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
PRIVATE = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
CONFIG_LINE = re.compile(r"(|#.*|\[Interface\]|\[Peer\]|[A-Za-z]+ = [^\n]*)")
HOST_VARS = ["wireguard_" + k for k in ("address", "endpoint", "port", "lan_subnets", "persistent_keepalive",
                                        "allow_public_subnets", "interfaces", "state", "site", "site_endpoint")] + ["wireguard_adress"]
NET_KEYS = ["range", "topology", "members", "hubs", "port", "persistent_keepalive", "egress", "clients", "rnage",
            "nat_traversal"]


# ---------------------------------------------------------------- corruption
def _dict(inv, path):
    """The dict at path, or None when a corruption already replaced it."""
    node = inv
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None


def _positions(inv):
    """Every place a corruption can go: (path of a dict, key)."""
    places = [((), "networks"), ((), "groups"), ((), "keys"), (("networks",), "wg0"), (("networks",), "wg 0\n")]
    places += [(("networks", "wg0"), k) for k in NET_KEYS]
    places += [(("networks", "wg0", "egress"), k) for k in ("gateway", "members", "via")]
    clients = _dict(inv, ("networks", "wg0", "clients")) or {}
    for name in list(clients):
        places += [(("networks", "wg0", "clients"), name)]
        places += [(("networks", "wg0", "clients", name), k)
                   for k in ("address", "public_key", "hub", "lan_subnets", "endpoint", "dns", "adress")]
    for host in list(_dict(inv, ("hostvars",)) or {}):
        places += [(("hostvars",), host)]
        places += [(("hostvars", host), v) for v in HOST_VARS]
        places += [(("hostvars", host, "wireguard_interfaces"), "wg0")]
        places += [(("hostvars", host, "wireguard_interfaces", "wg0"), k)
                   for k in ("address", "endpoint", "port", "lan_subnets", "persistent_keepalive", "lan_subnet", "site",
                             "site_endpoint")]
    places += [(("groups",), g) for g in list(_dict(inv, ("groups",)) or {})]
    places += [(("keys", "wg0"), h) for h in list(_dict(inv, ("keys", "wg0")) or {})]
    # What the probes of the run's hosts saw (sites, NAT traversal).
    places += [((), "probes")]
    for host in list(_dict(inv, ("probes",)) or {}):
        places += [(("probes",), host)]
        places += [(("probes", host), k) for k in ("now", "default_ipv4", "wg_endpoints", "wg_handshakes")]
        places += [(("probes", host, "wg_endpoints", "wg0"), k)
                   for k in list(_dict(inv, ("probes", host, "wg_endpoints", "wg0")) or {})]
    return places


@st.composite
def corrupted(draw):
    inv = draw(st.sampled_from(TOPOLOGIES).flatmap(inventories))
    inv = {k: copy.deepcopy(v) for k, v in inv.items() if k != "truth"}
    for _round in range(draw(st.integers(1, 3))):
        places = _positions(inv)
        path, where = places[draw(st.integers(0, len(places) - 1))]
        container = _dict(inv, path)
        if container is None:
            continue
        old = container.get(where)
        container[where] = draw(spoiled(old)) if old is not None else draw(VALUES)
    return inv


# ---------------------------------------------------------------- properties
def _single_line_everywhere(value, path="plan"):
    if isinstance(value, str):
        assert _checks.single_line(value), (path, value)
    elif isinstance(value, dict):
        for k, v in value.items():
            _single_line_everywhere(k, path)
            _single_line_everywhere(v, "%s.%s" % (path, k))
    elif isinstance(value, list):
        for v in value:
            _single_line_everywhere(v, path)


def check_accepted(result, hostvars):
    """What every accepted plan must satisfy, whatever it was made from."""
    json.dumps(result)                       # the role carries it as JSON
    _single_line_everywhere(result)
    for interface, net in result["networks"].items():
        tables = {}
        for name in net["order"]:
            plans = [p for p in host_interfaces(result, name) if p["interface"] == interface]
            assert len(plans) == 1
            hp = plans[0]
            host_interfaces(json.dumps(result), name, peers_as_json=True)
            host_routes(result, name)
            prefixes = [p for peer in hp["peers"] for p in peer["allowed_ips"]]
            assert len(prefixes) == len(set(prefixes)), (name, prefixes)
            # What wg_interface would write: one line per setting, a section per peer.
            peers = [_wg_peers.normalize_peer(p) for p in hp["peers"]]
            _wg_peers.check_allowed_ips_unique(peers)
            config = _wg_config.render_config({"addresses": hp["addresses"], "listen_port": hp["listen_port"]}, peers,
                                              PRIVATE)
            lines = config.splitlines()
            assert all(CONFIG_LINE.fullmatch(line) for line in lines), config
            assert sum(line == "[Peer]" for line in lines) == len(peers)
            tables[name] = [(p, peer["name"]) for peer in hp["peers"] for p in peer["allowed_ips"]]
        walk(net, tables)


def walk(net, tables):
    """Each member reaches every other member's tunnel addresses (LPM walk,
    source checked at every hop)."""
    routes = Routes(tables)
    names = [n for n in net["order"] if net["members"][n]["public_key"]]
    for src in names:
        own = [ipaddress.ip_interface(a).ip for a in net["members"][src]["addresses"]]
        for dst in names:
            if dst == src:
                continue
            for address in net["members"][dst]["addresses"]:
                target = ipaddress.ip_interface(address).ip
                sources = [s for s in own if s.version == target.version]
                if sources:
                    deliver(routes, src, dst, target, sources)


def plan_or_refuse(inv):
    groups, networks, hostvars = inv["groups"], inv["networks"], inv["hostvars"]
    for host in list(hostvars) if isinstance(hostvars, dict) else []:
        try:
            member_interfaces(networks, groups, host)
        except PlanError:
            pass
    try:
        result = plan_networks(hostvars, networks, groups, inv["keys"], probes=inv.get("probes"))
    except PlanError:
        return None
    check_accepted(result, hostvars)
    return result


@FUZZ
@given(corrupted())
def test_corrupted_inventories_are_planned_or_refused(inv):
    plan_or_refuse(inv)


# ---------------------------------------------------------------- several networks (11.2)
# Small pools: collisions are common (about half the inventories are refused),
# and what is accepted often has hosts in several networks.
POOL_RANGES = ["10.77.0.0/24", "10.78.0.0/24", "10.79.0.0/24", "10.80.0.0/24", "10.77.0.0/25", "fd77::/64",
               "fd78::/64"]
POOL_LANS = ["192.168.%d.0/24" % i for i in range(1, 13)] + ["192.168.1.0/25", "10.78.0.0/26", "10.77.0.128/25",
                                                             "fd10::/48", "fd11::/48"]
HOSTS = ["h%d" % i for i in range(6)]


@st.composite
def multi_networks(draw):
    count = draw(st.integers(2, 3))
    interfaces = ["wg%d" % i for i in range(count)]
    networks, keys = {}, {}
    hostvars = dict((h, {"wireguard_interfaces": {}}) for h in HOSTS)
    # Mostly distinct ranges (as a user would pick them), sometimes not.
    ranges = draw(st.lists(st.sampled_from(POOL_RANGES), min_size=count, max_size=count,
                           unique=draw(st.integers(0, 3)) > 0))
    for n, interface in enumerate(interfaces):
        members = draw(st.lists(st.sampled_from(HOSTS), min_size=2, max_size=5, unique=True))
        net_range = ipaddress.ip_network(ranges[n])
        networks[interface] = {"range": ranges[n], "members": members, "hubs": [members[0]],
                               "topology": draw(st.sampled_from(TOPOLOGIES))}
        keys[interface] = {}
        for m, host in enumerate(members):
            settings = {"address": str(net_range.network_address + m + 1), "port": 51820 + n,
                        "endpoint": "%s.example.net" % host}
            lans = [draw(st.sampled_from(POOL_LANS))] if draw(st.integers(0, 3)) == 0 else []
            if lans:
                settings["lan_subnets"] = lans
            hostvars[host]["wireguard_interfaces"][interface] = settings
            keys[interface][host] = key(100 * n + HOSTS.index(host) + 1)
    # Sometimes a host's LAN as the flat variable: it then applies to each of its networks.
    if draw(st.booleans()):
        host = draw(st.sampled_from(HOSTS))
        hostvars[host]["wireguard_lan_subnets"] = [draw(st.sampled_from(POOL_LANS))]
    groups = {"all": list(HOSTS)}
    return {"hostvars": hostvars, "networks": networks, "groups": groups, "keys": keys}


def _places(result, host):
    """(prefix, where) a host routes: its connected ranges and LANs, and each
    interface's routes (wg-quick's, from AllowedIPs)."""
    entries = []
    for interface, net in result["networks"].items():
        me = net["members"].get(host)
        if me is None:
            continue
        entries += [(ipaddress.ip_interface(a).network, ("connected", interface)) for a in me["addresses"]]
        entries += [(ipaddress.ip_network(lan), ("lan", host)) for lan in me["lans"]]
    for interface, prefixes in host_routes(result, host).items():
        for prefix in prefixes:
            peer = next(p["name"] for p in host_interfaces(result, host)
                        if p["interface"] == interface for p in p["peers"] if prefix in p["allowed_ips"])
            entries.append((ipaddress.ip_network(prefix), (interface, peer)))
    return entries


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(multi_networks())
def test_accepted_multi_network_inventories_route_each_prefix_to_one_place(inv):
    try:
        result = plan_networks(inv["hostvars"], inv["networks"], inv["groups"], inv["keys"])
    except PlanError:
        return
    check_accepted(result, inv["hostvars"])
    for host in HOSTS:
        entries = _places(result, host)
        for (a, where_a), (b, where_b) in _pairs_overlapping(entries):
            # The same place may hold a prefix and a part of it (a relay's range and
            # a direct peer's address on one interface); two places never.
            assert where_a[0] == where_b[0] and where_a[0] not in ("lan",), (host, a, where_a, b, where_b)
            assert where_a[0] not in ("connected",) or where_b == where_a or where_b[0] == where_a[1], (
                host, a, where_a, b, where_b)


def _pairs_overlapping(entries):
    for i, (a, wa) in enumerate(entries):
        for b, wb in entries[i + 1:]:
            if a.version == b.version and a.overlaps(b) and wa != wb:
                yield (a, wa), (b, wb)
