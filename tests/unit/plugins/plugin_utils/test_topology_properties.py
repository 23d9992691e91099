# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Property-based tests of plugin_utils._topology over random valid networks of
each topology, and random invalid ones.

The expectations (who peers with whom, keepalives, endpoints) are derived
here from the inventory, not from the planner's own helpers, and
reachability is checked by walking packets through the computed AllowedIPs
with longest-prefix match, checking at every hop that the receiver accepts
the packet's source address from the sender (WireGuard's cryptokey routing).
"""

from __future__ import annotations

import base64
import copy
import ipaddress

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import PlanError
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import host_interfaces
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import host_routes
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import plan_networks

TOPOLOGIES = ("hub_and_spoke", "mesh", "hybrid")
V4_RANGE = ipaddress.ip_network("10.77.0.0/24")
V6_RANGE = ipaddress.ip_network("fd77::/64")
PROPERTY_SETTINGS = settings(max_examples=25, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def key(i):
    return base64.b64encode(bytes([i % 256, i // 256]) * 16).decode("ascii")


# ================================================================ random valid networks
@st.composite
def inventories(draw, topology):
    """A valid single-network inventory plus the truth the test derives its
    expectations from (never read back from the plan)."""
    hubs = ["hub%d" % i for i in range(draw(st.integers(1, 3)))]
    others = ["node%d" % i for i in range(draw(st.integers(1, 25 - len(hubs))))]
    names = hubs + others
    order = draw(st.permutations(names))
    hub_order = draw(st.permutations(hubs))
    clients = ["phone%d" % i for i in range(draw(st.integers(0, 2)))]
    dual = draw(st.booleans())
    ids = draw(st.lists(st.integers(1, 254), min_size=len(names) + len(clients),
                        max_size=len(names) + len(clients), unique=True))
    n_lans = 2 * (len(names) + len(clients))
    lan4_ids = iter(draw(st.lists(st.integers(0, 255), min_size=n_lans, max_size=n_lans, unique=True)))
    lan6_ids = iter(draw(st.lists(st.integers(0, 0xffff), min_size=n_lans, max_size=n_lans, unique=True)))

    # Who is reachable: hubs always (a hub needs an endpoint); in a mesh at
    # most one member behind NAT, and not a hub when clients need the hubs.
    if topology == "mesh":
        candidates = others if clients else names
        nat = {draw(st.sampled_from(candidates))} if draw(st.booleans()) else set()
    else:
        nat = set(n for n in others if draw(st.booleans()))

    net_keepalive = draw(st.sampled_from([None, 0, 10, 25]))
    network = {"range": [str(V4_RANGE)] + ([str(V6_RANGE)] if dual else []), "topology": topology}
    if net_keepalive is not None:
        network["persistent_keepalive"] = net_keepalive
    net_port = draw(st.sampled_from([None, 51900]))
    if net_port:
        network["port"] = net_port

    groups = {"all": names + ["outsider"], "wg_members": list(order), "wg_hubs": list(hub_order) + ["outsider"]}
    network["members"] = "wg_members" if draw(st.booleans()) else list(order)
    network["hubs"] = "wg_hubs" if draw(st.booleans()) else list(hub_order)

    hostvars = {"outsider": {"wireguard_address": "10.99.0.1"}}
    truth = {"topology": topology, "names": list(order), "hubs": list(hub_order), "nat": nat, "hosts": {},
             "clients": {}, "ranges": [V4_RANGE] + ([V6_RANGE] if dual else [])}
    for i, name in enumerate(names):
        addresses = [ipaddress.ip_address("10.77.0.%d" % ids[i])]
        if dual and draw(st.booleans()):
            addresses.append(ipaddress.ip_address("fd77::%x" % ids[i]))
        lans = []
        for _lan in range(draw(st.integers(0, 2))):
            if draw(st.booleans()):
                lans.append(ipaddress.ip_network("192.168.%d.0/24" % next(lan4_ids)))
            else:
                lans.append(ipaddress.ip_network("fd10:0:%x::/48" % next(lan6_ids)))
        port = draw(st.sampled_from([None, None, 51820 + i + 1]))
        keepalive = draw(st.sampled_from([None, None, 0, 15]))
        settings = {"address": [str(a) for a in addresses], "lan_subnets": [str(n) for n in lans]}
        if len(addresses) == 1 and draw(st.booleans()):
            settings["address"] = "%s/24" % addresses[0] if draw(st.booleans()) else str(addresses[0])
        if port:
            settings["port"] = port
        if keepalive is not None:
            settings["persistent_keepalive"] = keepalive
        effective_port = port or net_port or 51820
        endpoint = None
        if name not in nat:
            form = draw(st.integers(0, 3))
            if form == 0:
                settings["endpoint"], endpoint = "%s.example.com" % name, "%s.example.com:%d" % (name, effective_port)
            elif form == 1:
                settings["endpoint"] = endpoint = "%s.example.com:%d" % (name, 40000 + i)
            elif form == 2:
                settings["endpoint"] = "198.51.100.%d" % (i + 1)
                endpoint = "198.51.100.%d:%d" % (i + 1, effective_port)
            else:
                settings["endpoint"] = endpoint = "[2001:db8::%x]:%d" % (i + 1, 40000 + i)
        # Per host: flat wireguard_<key> variables, the wireguard_interfaces.wg0
        # form, or a wrong flat value shadowed by the right per-interface one.
        style = draw(st.integers(0, 2))
        if style == 0:
            hv = dict(("wireguard_" + k, v) for k, v in settings.items())
        elif style == 1:
            hv = {"wireguard_interfaces": {"wg0": settings}}
        else:
            hv = {"wireguard_address": "10.99.0.%d" % (i + 2), "wireguard_lan_subnets": ["8.8.8.8/32"],
                  "wireguard_persistent_keepalive": "never", "wireguard_interfaces": {"wg0": settings}}
            if port:
                hv["wireguard_port"] = 0
            if keepalive is None:
                del hv["wireguard_persistent_keepalive"]
            if name in nat:
                hv["wireguard_endpoint"] = "wrong.example.com"
                settings["endpoint"] = ""
        hostvars[name] = hv
        truth["hosts"][name] = {
            "addresses": addresses, "lans": lans, "endpoint": endpoint,
            "keepalive": 25 if keepalive is None and net_keepalive is None else
            (keepalive if keepalive is not None else net_keepalive)}

    if clients:
        network["clients"] = {}
        for j, name in enumerate(clients):
            address = ["10.77.0.%d" % ids[len(names) + j]]
            if dual and draw(st.booleans()):
                address.append("fd77::%x" % ids[len(names) + j])
            public_key = key(1000 + j) if draw(st.integers(0, 3)) else None
            lans = []
            if not draw(st.integers(0, 2)):     # a router at home with the LAN behind it
                lans.append(ipaddress.ip_network("192.168.%d.0/24" % next(lan4_ids)))
            network["clients"][name] = {"address": address if len(address) > 1 else address[0]}
            if lans:
                network["clients"][name]["lan_subnets"] = [str(n) for n in lans]
            if public_key:
                network["clients"][name]["public_key"] = public_key
            truth["clients"][name] = {"addresses": [ipaddress.ip_address(a) for a in address], "lans": lans,
                                      "public_key": public_key}

    egress = None
    if draw(st.integers(0, 3)) == 0:
        gateway = draw(st.sampled_from(names if topology == "mesh" else hubs))
        if draw(st.booleans()):
            members = "all"
            egress_members = set(names) - {gateway}
        else:
            pool = [n for n in names if n != gateway]
            egress_members = set(draw(st.lists(st.sampled_from(pool), unique=True))) if pool else set()
            members = sorted(egress_members)
        network["egress"] = {"gateway": gateway, "members": members}
        egress = (gateway, egress_members)
    truth["egress"] = egress

    keys = {"wg0": dict((name, key(i + 1)) for i, name in enumerate(names))}
    truth["keys"] = keys["wg0"]
    probes = _direct_paths(draw, topology, network, hostvars, truth, net_keepalive)
    groups_copy = dict((g, list(v)) for g, v in groups.items())
    return {"hostvars": hostvars, "networks": {"wg0": network}, "groups": groups_copy, "keys": keys,
            "truth": truth, "probes": probes}


def _direct_paths(draw, topology, network, hostvars, truth, net_keepalive):
    """Sites and NAT traversal (issue 15) on top of a valid network: some
    members in one of two sites, probed or not; with nat_traversal, hubs that
    saw the members behind NAT (one mapping, or two for a symmetric NAT).
    Returns the probes of the run's hosts; the truth gets the expected extra
    direct paths (host -> peer -> (path, endpoint))."""
    probes = {}
    site_of, site_ep, nat_ep, symmetric = {}, {}, {}, set()
    for i, name in enumerate(truth["names"]):
        hv = hostvars[name]
        site = draw(st.sampled_from([None, None, "s1", "s2"]))
        if site is None:
            continue
        per_if = (hv.get("wireguard_interfaces") or {}).get("wg0")
        if per_if is not None and draw(st.booleans()):
            per_if["site"] = site
        else:
            hv["wireguard_site"] = site
        site_of[name] = site
        port = _port(network, hostvars, name)
        how = draw(st.integers(0, 2))
        if how == 0:
            probes[name] = {"default_ipv4": "192.0.2.%d" % (i + 1)}
            site_ep[name] = "192.0.2.%d:%d" % (i + 1, port)
        elif how == 1:
            hv["wireguard_site_endpoint"] = "lan%d.home.arpa" % i
            if per_if is not None and "site" in per_if:
                per_if["site_endpoint"] = hv.pop("wireguard_site_endpoint")
            site_ep[name] = "lan%d.home.arpa:%d" % (i, port)
    nat_on = topology != "mesh" and draw(st.booleans())
    if nat_on:
        network["nat_traversal"] = True
        views = dict((h, {"now": 5000, "wg_endpoints": {"wg0": {}}, "wg_handshakes": {"wg0": {}}}) for h in truth["hubs"])
        for i, name in enumerate(truth["names"]):
            if name in truth["hubs"] or truth["hosts"][name]["endpoint"]:
                continue
            seen = draw(st.integers(0, 2))
            if seen == 0:
                continue
            k = truth["keys"][name]
            if seen == 2 and len(truth["hubs"]) > 1:
                symmetric.add(name)
                ports = {truth["hubs"][0]: 3000 + i, truth["hubs"][1]: 4000 + i}
            else:
                nat_ep[name] = "203.0.113.%d:%d" % (i + 1, 40000 + i)
                ports = dict((h, 40000 + i) for h in truth["hubs"])
            for hub, port in ports.items():
                views[hub]["wg_endpoints"]["wg0"][k] = "203.0.113.%d:%d" % (i + 1, port)
                views[hub]["wg_handshakes"]["wg0"][k] = 4990
        for hub, view in views.items():
            probes[hub] = dict(probes.get(hub, {}), **view)
    keepalive = net_keepalive or 25
    extra = {}
    for name in truth["names"]:
        mine = extra[name] = {}
        if name in truth["hubs"]:
            continue
        for other in truth["names"]:
            if other == name or other in truth["hubs"]:
                continue
            same = site_of.get(name) is not None and site_of.get(name) == site_of.get(other)
            if same and name in site_ep and other in site_ep:
                mine[other] = ("site", site_ep[other], 0)
            elif nat_on and not same and name in nat_ep and other in nat_ep:
                mine[other] = ("nat", nat_ep[other], keepalive)
    truth["extra"] = extra
    truth["symmetric"] = symmetric
    return probes


def _port(network, hostvars, name):
    hv = hostvars[name]
    per_if = (hv.get("wireguard_interfaces") or {}).get("wg0") or {}
    return int(per_if.get("port") or (hv.get("wireguard_port") if "wireguard_interfaces" not in hv else None)
               or network.get("port") or 51820)


def expected_direct(truth, name):
    """Who `name` peers with directly, from the issue's rules."""
    others = [n for n in truth["names"] if n != name]
    extra = set((truth.get("extra") or {}).get(name) or ())
    if truth["topology"] == "mesh" or name in truth["hubs"]:
        return set(others)
    if truth["topology"] == "hub_and_spoke" or name in truth["nat"]:
        return set(truth["hubs"]) | extra
    return set(n for n in others if n not in truth["nat"]) | extra      # hybrid, reachable member


# ================================================================ the packet walker
class Routes(object):
    """Longest-prefix match over every node's AllowedIPs, memoized per
    (node, address): the same lookups recur for every source/destination."""

    def __init__(self, tables):
        self.tables = dict((node, [(ipaddress.ip_network(prefix), peer) for prefix, peer in entries])
                           for node, entries in tables.items())
        self._cache = {}

    def next_hop(self, here, address):
        cache_key = (here, address)
        if cache_key not in self._cache:
            best, best_len = None, -1
            for net, name in self.tables[here]:
                if net.version == address.version and net.prefixlen > best_len and address in net:
                    best, best_len = name, net.prefixlen
            self._cache[cache_key] = best
        return self._cache[cache_key]


def deliver(routes, src, dst, target, sources):
    """Walk `target` from src to dst; every receiving node must accept each of
    the packet's possible source addresses from the node that sent it."""
    path = [src]
    here = src
    while here != dst:
        nxt = routes.next_hop(here, target)
        assert nxt is not None, "%s: no route to %s (%s -> %s, path %s)" % (here, target, src, dst, path)
        for source in sources:
            assert routes.next_hop(nxt, source) == here, (
                "%s drops %s arriving from %s (%s -> %s for %s, path %s)"
                % (nxt, source, here, src, dst, target, path + [nxt]))
        path.append(nxt)
        here = nxt
        assert len(path) <= 4, path
    return path


def client_table(truth, name):
    """An unmanaged client configured like a spoke: every hub, the first one
    carrying the ranges and every LAN (the planner does not write it; this is
    the configuration the hub-side entries are meant to work with)."""
    first = truth["hubs"][0]
    entries = []
    for hub in truth["hubs"]:
        data = truth["hosts"][hub]
        if hub == first:
            prefixes = [str(r) for r in truth["ranges"]] + [
                str(lan) for n in truth["names"] if n not in truth["hubs"] or n == first
                for lan in truth["hosts"][n]["lans"]] + [
                str(lan) for c, data in truth["clients"].items() if c != name for lan in data["lans"]]
        else:
            prefixes = [str(ipaddress.ip_network(a)) for a in data["addresses"]] + [str(n) for n in data["lans"]]
        entries += [(p, hub) for p in prefixes]
    return entries


def endpoints_of(truth, name):
    data = truth["hosts"][name] if name in truth["hosts"] else truth["clients"][name]
    sources = list(data["addresses"]) + [lan[1] for lan in data.get("lans", [])]
    return sources


# ================================================================ properties
def check_network(inv):
    truth = inv["truth"]
    result = plan_networks(inv["hostvars"], inv["networks"], inv["groups"], inv["keys"], probes=inv.get("probes"))
    net = result["networks"]["wg0"]
    assert net["order"] == truth["names"]
    assert sorted(net["nat_symmetric"]) == sorted(truth["symmetric"])
    assert net["hubs"] == truth["hubs"]
    keyed_clients = sorted(n for n, c in truth["clients"].items() if c["public_key"])
    assert net["pending_clients"] == sorted(n for n, c in truth["clients"].items() if not c["public_key"])

    plans = {}
    for name in truth["names"]:
        interfaces = host_interfaces(result, name)
        assert [i["interface"] for i in interfaces] == ["wg0"]
        plans[name] = interfaces[0]
    assert host_interfaces(result, "outsider") == []

    intermediate = set()
    for name, hp in plans.items():
        me = truth["hosts"][name]
        peers = dict((p["name"], p) for p in hp["peers"])
        assert len(peers) == len(hp["peers"]), name
        assert hp["addresses"] == ["%s/%d" % (a, 24 if a.version == 4 else 64) for a in me["addresses"]]
        assert hp["role"] == ("hub" if name in truth["hubs"] else
                              "member" if truth["topology"] == "mesh" else "spoke")

        # Who it peers with; clients are peers of the hubs only.
        expected = expected_direct(truth, name)
        if name in truth["hubs"]:
            expected |= set(keyed_clients)
        assert set(peers) == expected, name

        # (2) no prefix twice on the interface.
        prefixes = [p for peer in hp["peers"] for p in peer["allowed_ips"]]
        assert len(prefixes) == len(set(prefixes)), (name, prefixes)

        for peer_name, peer in peers.items():
            if peer_name in truth["clients"]:
                assert peer["public_key"] == truth["clients"][peer_name]["public_key"]
                assert peer["endpoint"] is None and peer["persistent_keepalive"] == 0
                client = truth["clients"][peer_name]
                assert peer["allowed_ips"] == sorted(
                    [str(ipaddress.ip_network(a)) for a in client["addresses"]] + [str(n) for n in client["lans"]],
                    key=lambda p: (ipaddress.ip_network(p).version, ipaddress.ip_network(p)))
                continue
            other = truth["hosts"][peer_name]
            assert peer["public_key"] == truth["keys"][peer_name]
            # (1) the peer relation is symmetric.
            assert name in [p["name"] for p in plans[peer_name]["peers"]], (name, peer_name)
            extra = truth["extra"].get(name, {}).get(peer_name)
            if extra:
                # A site neighbour or NAT partner: its own prefixes, the site
                # or observed endpoint; watched outside a mesh, its relay a peer.
                assert (peer["endpoint"], peer["persistent_keepalive"]) == extra[1:], (name, peer_name, peer)
                if truth["topology"] == "mesh":
                    assert "path" not in peer
                elif "path" in peer:
                    assert peer["path"] == extra[0]
                    relay = [p for p in hp["peers"] if p["public_key"] == peer["relay_public_key"]]
                    assert relay and relay[0]["name"] in truth["hubs"] and "path" not in relay[0]
                else:
                    assert peer_name in (set(truth["names"]) - truth["nat"]), (name, peer_name)
            # (4) endpoints only for reachable peers, keepalive only from behind NAT towards them.
            elif peer["endpoint"] != other["endpoint"]:
                raise AssertionError((name, peer_name, peer["endpoint"], other["endpoint"]))
            elif me["endpoint"] is None and other["endpoint"] is not None:
                assert peer["persistent_keepalive"] == me["keepalive"], (name, peer_name)
            else:
                assert peer["persistent_keepalive"] == 0, (name, peer_name)
            # The entry holds at least the peer's own addresses and LANs,
            # covered by a prefix if not listed one by one.
            nets = [ipaddress.ip_network(p) for p in peer["allowed_ips"]]
            for own in [ipaddress.ip_network(a) for a in other["addresses"]] + other["lans"]:
                assert any(own.version == n.version and own.subnet_of(n) for n in nets), (name, peer_name, own)

        # Full tunnel: /0 only on the gateway entry of egress members, per family.
        default_routes = dict((p["name"], sorted(a for a in p["allowed_ips"] if a.endswith("/0")))
                              for p in hp["peers"])
        wanted = {}
        if truth["egress"] and name in truth["egress"][1]:
            families = set(a.version for a in me["addresses"])
            wanted[truth["egress"][0]] = sorted(p for v, p in ((4, "0.0.0.0/0"), (6, "::/0")) if v in families)
        for peer_name, found in default_routes.items():
            assert found == wanted.get(peer_name, []), (name, peer_name, found)

        # (5) routes: no /0, nothing inside the interface's own network, and
        # only prefixes some peer carries.
        routes = host_routes(result, name)
        assert list(routes) == ["wg0"]
        connected = [ipaddress.ip_interface(a).network for a in hp["addresses"]]
        for route in routes["wg0"]:
            net_route = ipaddress.ip_network(route)
            assert net_route.prefixlen > 0, (name, route)
            assert not any(net_route.version == c.version and net_route.subnet_of(c) for c in connected), (
                name, route)
            assert route in prefixes
        assert sorted(set(routes["wg0"])) == sorted(routes["wg0"])

        if me["lans"] or (truth["egress"] and truth["egress"][0] == name):
            assert hp["forwarding"] is True, name

    # (3) reachability with source checks, both directions at every hop.
    tables = dict((name, [(p, peer["name"]) for peer in hp["peers"] for p in peer["allowed_ips"]])
                  for name, hp in plans.items())
    for client in keyed_clients:
        tables[client] = client_table(truth, client)
    routes = Routes(tables)
    nodes = list(truth["names"]) + keyed_clients
    for src in nodes:
        src_sources = endpoints_of(truth, src)
        for dst in nodes:
            if dst == src:
                continue
            for target in endpoints_of(truth, dst):
                sources = [s for s in src_sources if s.version == target.version]
                if not sources:
                    continue      # no address of that family to send from
                path = deliver(routes, src, dst, target, sources)
                intermediate.update(path[1:-1])
                managed = src in truth["hosts"] and dst in truth["hosts"]
                if managed and truth["topology"] == "mesh":
                    assert len(path) == 2, path
                elif managed:
                    # Direct when they are direct peers, else through one hub.
                    if dst in expected_direct(truth, src):
                        assert len(path) == 2, path
                    else:
                        assert len(path) == 3 and path[1] in truth["hubs"], path
                else:
                    assert len(path) <= 3, path
                    if len(path) == 3:
                        assert path[1] in truth["hubs"], path
    # Every node a packet passed through must forward.
    for node in intermediate:
        assert plans[node]["forwarding"] is True, node
    return result


@pytest.mark.parametrize("topology", TOPOLOGIES)
def test_random_valid_networks(topology):
    @PROPERTY_SETTINGS
    @given(inventories(topology))
    def run(inv):
        check_network(inv)
    run()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(TOPOLOGIES).flatmap(inventories), st.data())
def test_missing_keys_only_drop_those_peers(inv, data):
    """allow_missing_keys: the plan is the full plan minus the peers whose
    key is unknown; without it the plan fails naming exactly those hosts."""
    names = inv["truth"]["names"]
    missing = data.draw(st.lists(st.sampled_from(names), min_size=1, unique=True))
    keys = {"wg0": dict((n, k) for n, k in inv["keys"]["wg0"].items() if n not in missing)}
    with pytest.raises(PlanError) as exc:
        plan_networks(inv["hostvars"], inv["networks"], inv["groups"], keys)
    assert ", ".join(n for n in names if n in missing) in str(exc.value)
    full = plan_networks(inv["hostvars"], inv["networks"], inv["groups"], inv["keys"])
    partial = plan_networks(inv["hostvars"], inv["networks"], inv["groups"], keys, allow_missing_keys=True)
    assert partial["networks"]["wg0"]["missing_keys"] == [n for n in names if n in missing]
    gone = set(inv["keys"]["wg0"][n] for n in missing)
    for name in names:
        # A direct path (issue 15) also waits for its relay's key: the peer is
        # left out, or kept unwatched where it is a peer anyway (hybrid).
        full_peers = host_interfaces(full, name)[0]["peers"]
        waiting = set(p["name"] for p in full_peers if p.get("relay_public_key") in gone and p["name"] not in missing)
        want = [p for p in full_peers if p["name"] not in missing and p["name"] not in waiting]
        got = host_interfaces(partial, name)[0]["peers"]
        assert [p for p in got if p["name"] not in waiting] == want
        assert not [p for p in got if p["name"] in waiting and (p.get("path") or p.get("relay_public_key"))]


# ================================================================ random invalid networks
def _uses_override(hv, var):
    return var in ((hv.get("wireguard_interfaces") or {}).get("wg0") or {})


def set_var(inv, host, var, value):
    hv = inv["hostvars"][host]
    if _uses_override(hv, var):
        hv["wireguard_interfaces"]["wg0"][var] = value
    else:
        hv["wireguard_" + var] = value


def get_var(inv, host, var):
    hv = inv["hostvars"][host]
    if _uses_override(hv, var):
        return hv["wireguard_interfaces"]["wg0"][var]
    return hv.get("wireguard_" + var)


def _two(data, names):
    a = data.draw(st.sampled_from(names))
    b = data.draw(st.sampled_from([n for n in names if n != a]))
    return a, b


def mutate_duplicate_address(inv, data):
    names = inv["truth"]["names"]
    if len(names) < 2:
        return None
    a, b = _two(data, names)
    address = str(inv["truth"]["hosts"][a]["addresses"][0])
    set_var(inv, b, "address", address)
    return [address, "already used"]


def mutate_address_out_of_range(inv, data):
    host = data.draw(st.sampled_from(inv["truth"]["names"]))
    bad = data.draw(st.sampled_from(["10.78.0.5", "192.168.77.1", "fd78::5", "10.77.1.1"]))
    set_var(inv, host, "address", bad)
    return ["host %s" % host, "outside"]


def mutate_overlapping_lans(inv, data):
    names = inv["truth"]["names"]
    if len(names) < 2:
        return None
    a, b = _two(data, names)
    lans_a = inv["truth"]["hosts"][a]["lans"]
    if lans_a:
        lan = data.draw(st.sampled_from(lans_a))
        overlap = data.draw(st.sampled_from([lan, lan.supernet(), list(lan.subnets())[0]]))
    else:
        set_var(inv, a, "lan_subnets", list(get_var(inv, a, "lan_subnets") or []) + ["10.200.0.0/16"])
        overlap = ipaddress.ip_network(data.draw(st.sampled_from(["10.200.0.0/16", "10.200.5.0/24", "10.0.0.0/8"])))
    set_var(inv, b, "lan_subnets", list(get_var(inv, b, "lan_subnets") or []) + [str(overlap)])
    return ["overlaps"]


def mutate_lan_in_tunnel_range(inv, data):
    host = data.draw(st.sampled_from(inv["truth"]["names"]))
    lan = data.draw(st.sampled_from(["10.77.0.128/25", "10.77.0.0/16", "10.77.0.7/32"]))
    set_var(inv, host, "lan_subnets", list(get_var(inv, host, "lan_subnets") or []) + [lan])
    return ["host %s" % host, "tunnel range"]


def mutate_remove_hubs(inv, data):
    truth = inv["truth"]
    if truth["topology"] == "mesh" and not truth["clients"]:
        return None
    network = inv["networks"]["wg0"]
    how = data.draw(st.integers(0, 2))
    if how == 0:
        network["hubs"] = []
    elif how == 1:
        network["hubs"] = "no_such_group"
    else:
        network["hubs"] = "wg_hubs"
        inv["groups"]["wg_hubs"] = ["outsider"]
    return ["no hub", "wg0"]


def mutate_strip_hub_endpoint(inv, data):
    truth = inv["truth"]
    if truth["topology"] == "mesh" and not truth["clients"]:
        return None
    hub = data.draw(st.sampled_from(truth["hubs"]))
    set_var(inv, hub, "endpoint", data.draw(st.sampled_from(["", None])))
    return ["host %s" % hub, "endpoint"]


def mutate_two_nat_in_mesh(inv, data):
    truth = inv["truth"]
    if truth["topology"] != "mesh" or len(truth["names"]) < 2:
        return None
    a, b = _two(data, truth["names"])
    for host in (a, b):
        set_var(inv, host, "endpoint", "")
    return []


def mutate_public_lan(inv, data):
    host = data.draw(st.sampled_from(inv["truth"]["names"]))
    lan = data.draw(st.sampled_from(["8.8.8.8/32", "1.1.1.0/24", "203.0.113.0/24", "2600::/48", "11.0.0.0/8"]))
    set_var(inv, host, "lan_subnets", list(get_var(inv, host, "lan_subnets") or []) + [lan])
    return ["host %s" % host, lan, "allow_public_subnets"]


def mutate_default_route_lan(inv, data):
    host = data.draw(st.sampled_from(inv["truth"]["names"]))
    lan = data.draw(st.sampled_from(["0.0.0.0/0", "::/0"]))
    set_var(inv, host, "lan_subnets", [lan])
    return ["host %s" % host, lan]


def mutate_bad_port(inv, data):
    host = data.draw(st.sampled_from(inv["truth"]["names"]))
    set_var(inv, host, "port", data.draw(st.sampled_from([0, -1, 65536, 99999, "port", "51820/udp", [1]])))
    return ["host %s" % host, "port"]


def mutate_bad_endpoint(inv, data):
    host = data.draw(st.sampled_from(inv["truth"]["names"]))
    bad = data.draw(st.sampled_from(["2001:db8::1:51820", "[2001:db8::1]51820", "[2001:db8::1", "h:0",
                                     "h:65536", "h:port", ":51820", "a:b:c"]))
    set_var(inv, host, "endpoint", bad)
    return ["host %s" % host, "endpoint"]


def mutate_malformed_cidr(inv, data):
    host = data.draw(st.sampled_from(inv["truth"]["names"]))
    var, bad = data.draw(st.sampled_from([("lan_subnets", ["192.168.300.0/24"]), ("lan_subnets", ["lan"]),
                                          ("lan_subnets", ["192.168.1.0/33"]), ("address", "10.77.0.300"),
                                          ("address", "ten")]))
    set_var(inv, host, var, bad)
    return ["host %s" % host]


def mutate_bad_key(inv, data):
    host = data.draw(st.sampled_from(inv["truth"]["names"]))
    inv["keys"]["wg0"][host] = data.draw(st.sampled_from(["x", "A" * 43, "A" * 44, key(1)[:-2] + "==", 7]))
    return ["host %s" % host, "key"]


MUTATIONS = [mutate_duplicate_address, mutate_address_out_of_range, mutate_overlapping_lans,
             mutate_lan_in_tunnel_range, mutate_remove_hubs, mutate_strip_hub_endpoint, mutate_two_nat_in_mesh,
             mutate_public_lan, mutate_default_route_lan, mutate_bad_port, mutate_bad_endpoint,
             mutate_malformed_cidr, mutate_bad_key]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(TOPOLOGIES).flatmap(inventories), st.sampled_from(MUTATIONS), st.data())
def test_invalid_networks_are_always_rejected(inv, mutation, data):
    inv = copy.deepcopy(inv)
    words = mutation(inv, data)
    if words is None:           # the mutation does not apply to this network
        return
    with pytest.raises(PlanError) as exc:
        plan_networks(inv["hostvars"], inv["networks"], inv["groups"], inv["keys"], allow_missing_keys=True)
    for word in words:
        assert word in str(exc.value), (mutation.__name__, word, str(exc.value))


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.__name__[len("mutate_"):])
def test_each_mutation_applies_to_some_network(mutation):
    """Guard against a mutation that silently never fires."""
    fired = []

    @settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.sampled_from(TOPOLOGIES).flatmap(inventories), st.data())
    def run(inv, data):
        inv = copy.deepcopy(inv)
        if mutation(inv, data) is not None:
            fired.append(1)
            with pytest.raises(PlanError):
                plan_networks(inv["hostvars"], inv["networks"], inv["groups"], inv["keys"])
    run()
    assert fired
