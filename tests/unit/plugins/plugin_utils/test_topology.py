# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plugin_utils._topology.plan_network: hub-and-spoke planning and validation."""

from __future__ import annotations

import base64
import copy
import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import PlanError
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import plan_network


def key(i):
    return base64.b64encode(bytes([i % 256, i // 256]) * 16).decode("ascii")


NETWORK = {
    "interface": "wg0", "ranges": ["10.77.0.0/24"], "members": ["hub1", "spoke1", "spoke2"], "hubs": ["hub1"],
    "member_group": "wireguard", "hub_group": "wireguard_hubs",
}
HOSTVARS = {
    "hub1": {"wireguard_address": "10.77.0.1", "wireguard_endpoint": "hub1.example.com"},
    "spoke1": {"wireguard_address": "10.77.0.2", "wireguard_lan_subnets": ["192.168.10.0/24"]},
    "spoke2": {"wireguard_address": "10.77.0.3"},
    "outsider": {"wireguard_address": "10.200.0.1"},
}
KEYS = {"hub1": key(1), "spoke1": key(2), "spoke2": key(3), "hub2": key(4), "spoke3": key(5)}


def plan(hostvars=None, network=None, keys=None, **kw):
    return plan_network(hostvars if hostvars is not None else HOSTVARS,
                        network if network is not None else NETWORK,
                        keys if keys is not None else KEYS, **kw)


def peers_by_name(host_plan):
    return dict((p["name"], p) for p in host_plan["peers"])


# ------------------------------------------------------------ one hub
def test_hub_and_two_spokes():
    result = plan()
    assert result["missing_keys"] == []
    assert sorted(result["hosts"]) == ["hub1", "spoke1", "spoke2"]
    hub = result["hosts"]["hub1"]
    assert hub["role"] == "hub"
    assert hub["interface"] == "wg0"
    assert hub["addresses"] == ["10.77.0.1/24"]
    assert hub["listen_port"] == 51820
    assert hub["forwarding"] is True
    assert hub["peers"] == [
        {"name": "spoke1", "public_key": KEYS["spoke1"], "allowed_ips": ["10.77.0.2/32", "192.168.10.0/24"],
         "endpoint": None, "persistent_keepalive": 0},
        {"name": "spoke2", "public_key": KEYS["spoke2"], "allowed_ips": ["10.77.0.3/32"],
         "endpoint": None, "persistent_keepalive": 0},
    ]


def test_spokes_reach_everything_through_the_hub():
    hosts = plan()["hosts"]
    s1, s2 = hosts["spoke1"], hosts["spoke2"]
    assert s1["role"] == s2["role"] == "spoke"
    assert s1["peers"] == [{"name": "hub1", "public_key": KEYS["hub1"], "allowed_ips": ["10.77.0.0/24"],
                            "endpoint": "hub1.example.com:51820", "persistent_keepalive": 25}]
    # spoke2 reaches spoke1's LAN through the hub; spoke1 does not route its own LAN into the tunnel.
    assert s2["peers"] == [{"name": "hub1", "public_key": KEYS["hub1"],
                            "allowed_ips": ["10.77.0.0/24", "192.168.10.0/24"],
                            "endpoint": "hub1.example.com:51820", "persistent_keepalive": 25}]
    assert s1["forwarding"] is True          # it routes for its LAN
    assert s2["forwarding"] is False
    assert s1["addresses"] == ["10.77.0.2/24"]


def test_network_port_and_keepalive_defaults_and_overrides():
    hostvars = copy.deepcopy(HOSTVARS)
    hostvars["hub1"]["wireguard_port"] = 4500
    hostvars["spoke2"]["wireguard_persistent_keepalive"] = 0
    network = dict(NETWORK, port=51000, persistent_keepalive=15)
    hosts = plan(hostvars, network)["hosts"]
    assert hosts["hub1"]["listen_port"] == 4500
    assert hosts["spoke1"]["listen_port"] == 51000
    assert peers_by_name(hosts["spoke1"])["hub1"]["endpoint"] == "hub1.example.com:4500"
    assert peers_by_name(hosts["spoke1"])["hub1"]["persistent_keepalive"] == 15
    assert peers_by_name(hosts["spoke2"])["hub1"]["persistent_keepalive"] == 0


def test_spoke_with_endpoint_gets_no_keepalive_and_is_dialled_by_hub():
    hostvars = copy.deepcopy(HOSTVARS)
    hostvars["spoke2"]["wireguard_endpoint"] = "[2001:db8::2]:51999"
    hosts = plan(hostvars)["hosts"]
    assert peers_by_name(hosts["spoke2"])["hub1"]["persistent_keepalive"] == 0
    assert peers_by_name(hosts["hub1"])["spoke2"]["endpoint"] == "[2001:db8::2]:51999"
    assert peers_by_name(hosts["hub1"])["spoke2"]["persistent_keepalive"] == 0


@pytest.mark.parametrize("endpoint,expected", [
    ("hub1.example.com", "hub1.example.com:51820"),
    ("hub1.example.com:443", "hub1.example.com:443"),
    ("203.0.113.1", "203.0.113.1:51820"),
    ("[2001:db8::1]:4500", "[2001:db8::1]:4500"),
    ("[2001:db8::1]", "[2001:db8::1]:51820"),
    ("2001:db8::1", "[2001:db8::1]:51820"),
])
def test_endpoint_normalized(endpoint, expected):
    hostvars = copy.deepcopy(HOSTVARS)
    hostvars["hub1"]["wireguard_endpoint"] = endpoint
    assert peers_by_name(plan(hostvars)["hosts"]["spoke1"])["hub1"]["endpoint"] == expected


def test_dual_stack():
    hostvars = {
        "hub1": {"wireguard_address": ["10.77.0.1", "fd77::1"], "wireguard_endpoint": "hub1.example.com"},
        "spoke1": {"wireguard_address": ["10.77.0.2/24", "fd77::2"], "wireguard_lan_subnets": "fd10::/64"},
    }
    network = dict(NETWORK, ranges=["10.77.0.0/24", "fd77::/64"], members=["hub1", "spoke1"])
    hosts = plan(hostvars, network)["hosts"]
    assert hosts["spoke1"]["addresses"] == ["10.77.0.2/24", "fd77::2/64"]
    assert hosts["hub1"]["peers"][0]["allowed_ips"] == ["10.77.0.2/32", "fd10::/64", "fd77::2/128"]
    assert hosts["spoke1"]["peers"][0]["allowed_ips"] == ["10.77.0.0/24", "fd77::/64"]


def test_hosts_outside_the_member_list_are_ignored():
    network = dict(NETWORK, hubs=["hub1", "not-a-member"])
    hosts = plan(network=network)["hosts"]
    assert "outsider" not in hosts and "not-a-member" not in hosts


# ------------------------------------------------------------ two hubs
TWO_HUBS_VARS = {
    "hub1": {"wireguard_address": "10.77.0.1", "wireguard_endpoint": "hub1.example.com",
             "wireguard_lan_subnets": ["172.16.1.0/24"]},
    "hub2": {"wireguard_address": "10.77.0.254", "wireguard_endpoint": "hub2.example.com:51821",
             "wireguard_lan_subnets": ["172.16.2.0/24"]},
    "spoke1": {"wireguard_address": "10.77.0.2", "wireguard_lan_subnets": ["192.168.10.0/24"]},
    "spoke2": {"wireguard_address": "10.77.0.3", "wireguard_lan_subnets": ["192.168.20.0/24"]},
}
TWO_HUBS = dict(NETWORK, members=["hub1", "hub2", "spoke1", "spoke2"], hubs=["hub1", "hub2"])


def test_two_hubs():
    hosts = plan(TWO_HUBS_VARS, TWO_HUBS)["hosts"]
    assert hosts["hub2"]["role"] == "hub"
    hub1 = peers_by_name(hosts["hub1"])
    assert sorted(hub1) == ["hub2", "spoke1", "spoke2"]
    assert hub1["hub2"]["allowed_ips"] == ["10.77.0.254/32", "172.16.2.0/24"]
    assert hub1["hub2"]["endpoint"] == "hub2.example.com:51821"
    assert hub1["hub2"]["persistent_keepalive"] == 0          # both ends have an endpoint
    hub2 = peers_by_name(hosts["hub2"])
    assert hub2["hub1"]["allowed_ips"] == ["10.77.0.1/32", "172.16.1.0/24"]
    assert hub2["spoke1"]["allowed_ips"] == ["10.77.0.2/32", "192.168.10.0/24"]
    s1 = peers_by_name(hosts["spoke1"])
    assert sorted(s1) == ["hub1", "hub2"]
    # The first hub carries the range and the LANs of the first hub and the other spokes.
    assert s1["hub1"]["allowed_ips"] == ["10.77.0.0/24", "172.16.1.0/24", "192.168.20.0/24"]
    assert s1["hub2"]["allowed_ips"] == ["10.77.0.254/32", "172.16.2.0/24"]
    assert s1["hub1"]["persistent_keepalive"] == s1["hub2"]["persistent_keepalive"] == 25


def test_two_hubs_no_prefix_twice_on_a_host():
    for name, host in plan(TWO_HUBS_VARS, TWO_HUBS)["hosts"].items():
        prefixes = [p for peer in host["peers"] for p in peer["allowed_ips"]]
        assert len(prefixes) == len(set(prefixes)), name


# ------------------------------------------------------------ keys
def test_missing_keys_fail_listing_hosts():
    keys = dict(KEYS)
    del keys["spoke1"], keys["spoke2"]
    with pytest.raises(PlanError) as exc:
        plan(keys=keys)
    msg = str(exc.value)
    assert "spoke1" in msg and "spoke2" in msg and "hub1" not in msg
    assert "wg0" in msg


def test_allow_missing_keys_skips_those_peers():
    keys = dict(KEYS)
    del keys["spoke2"]
    result = plan(keys=keys, allow_missing_keys=True)
    assert result["missing_keys"] == ["spoke2"]
    assert [p["name"] for p in result["hosts"]["hub1"]["peers"]] == ["spoke1"]
    # The host itself is still planned (its peers are known).
    assert [p["name"] for p in result["hosts"]["spoke2"]["peers"]] == ["hub1"]


@pytest.mark.parametrize("bad", ["not-a-key", "A" * 43, key(2)[:-1] + "", 12345, "A" * 42 + "=="])
def test_invalid_public_key(bad):
    keys = dict(KEYS, spoke1=bad)
    with pytest.raises(PlanError) as exc:
        plan(keys=keys)
    assert "host spoke1" in str(exc.value)
    assert "public key" in str(exc.value)


def test_non_canonical_public_key_rejected():
    good = key(2)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    bad = good[:42] + alphabet[alphabet.index(good[42]) ^ 1] + "="
    assert base64.b64decode(bad) == base64.b64decode(good)
    with pytest.raises(PlanError):
        plan(keys=dict(KEYS, spoke1=bad))


# ------------------------------------------------------------ validation messages
def broken(host, **changes):
    hostvars = copy.deepcopy(HOSTVARS)
    for k, v in changes.items():
        if v is None:
            hostvars[host].pop(k, None)
        else:
            hostvars[host][k] = v
    return hostvars


@pytest.mark.parametrize("hostvars,words", [
    pytest.param(broken("spoke2", wireguard_address=None),
                 ["host spoke2", "wireguard_address", "not set", "10.77.0.0/24"], id="missing-address"),
    pytest.param(broken("spoke2", wireguard_address=""), ["host spoke2", "wireguard_address"], id="empty-address"),
    pytest.param(broken("spoke1", wireguard_address="10.99.0.5"),
                 ["host spoke1", "wireguard_address", "10.99.0.5", "outside", "10.77.0.0/24"], id="outside-range"),
    pytest.param(broken("spoke1", wireguard_address="fd77::5"),
                 ["host spoke1", "wireguard_address", "outside"], id="wrong-family"),
    pytest.param(broken("spoke1", wireguard_address="not-an-ip"),
                 ["host spoke1", "wireguard_address", "not-an-ip"], id="not-an-ip"),
    pytest.param(broken("spoke1", wireguard_address="10.77.0.0"),
                 ["host spoke1", "wireguard_address", "network or broadcast"], id="network-address"),
    pytest.param(broken("spoke1", wireguard_address="10.77.0.255"),
                 ["host spoke1", "wireguard_address", "network or broadcast"], id="broadcast-address"),
    pytest.param(broken("spoke2", wireguard_address="10.77.0.2"),
                 ["host spoke2", "wireguard_address", "10.77.0.2", "already used by host spoke1"], id="duplicate"),
    pytest.param(broken("spoke2", wireguard_address="10.77.0.2/24"),
                 ["host spoke2", "already used by host spoke1"], id="duplicate-with-prefix"),
    pytest.param(broken("hub1", wireguard_endpoint=None),
                 ["host hub1", "wireguard_endpoint", "hub"], id="hub-without-endpoint"),
    pytest.param(broken("hub1", wireguard_endpoint="hub1.example.com:70000"),
                 ["host hub1", "wireguard_endpoint", "70000", "1-65535"], id="endpoint-port-too-big"),
    pytest.param(broken("hub1", wireguard_endpoint="hub1.example.com:0"),
                 ["host hub1", "wireguard_endpoint"], id="endpoint-port-zero"),
    pytest.param(broken("hub1", wireguard_endpoint="hub1.example.com:https"),
                 ["host hub1", "wireguard_endpoint"], id="endpoint-port-name"),
    pytest.param(broken("hub1", wireguard_endpoint=":51820"),
                 ["host hub1", "wireguard_endpoint"], id="endpoint-no-host"),
    pytest.param(broken("hub1", wireguard_endpoint="2001:db8::1:51820"),
                 ["host hub1", "wireguard_endpoint", "2001:db8::1:51820", "IPv6"], id="ipv6-port-without-brackets"),
    pytest.param(broken("hub1", wireguard_endpoint="[2001:db8::1]51820"),
                 ["host hub1", "wireguard_endpoint", "[address]:port"], id="ipv6-no-colon-after-bracket"),
    pytest.param(broken("hub1", wireguard_endpoint="[2001:db8::1"),
                 ["host hub1", "wireguard_endpoint"], id="ipv6-unclosed-bracket"),
    pytest.param(broken("hub1", wireguard_endpoint="[not-v6:x]:51820"),
                 ["host hub1", "wireguard_endpoint", "IPv6"], id="bracketed-garbage"),
    pytest.param(broken("spoke1", wireguard_port=0), ["host spoke1", "wireguard_port"], id="port-zero"),
    pytest.param(broken("spoke1", wireguard_port="abc"), ["host spoke1", "wireguard_port"], id="port-text"),
    pytest.param(broken("spoke1", wireguard_lan_subnets=["192.168.300.0/24"]),
                 ["host spoke1", "wireguard_lan_subnets", "192.168.300.0/24"], id="bad-lan"),
    pytest.param(broken("spoke1", wireguard_persistent_keepalive="often"),
                 ["host spoke1", "wireguard_persistent_keepalive"], id="bad-keepalive"),
])
def test_validation_errors_name_host_and_variable(hostvars, words):
    with pytest.raises(PlanError) as exc:
        plan(hostvars)
    for word in words:
        assert word in str(exc.value)


def test_no_hub():
    with pytest.raises(PlanError) as exc:
        plan(network=dict(NETWORK, hubs=[]))
    msg = str(exc.value)
    assert "no hub" in msg and "'wireguard'" in msg and "'wireguard_hubs'" in msg and "wg0" in msg


def test_hubs_not_among_members_means_no_hub():
    with pytest.raises(PlanError, match="no hub"):
        plan(network=dict(NETWORK, hubs=["outsider"]))


@pytest.mark.parametrize("network,words", [
    (dict(NETWORK, ranges=[]), ["wireguard_network", "not set"]),
    (dict(NETWORK, ranges=["10.77.0.1/24"]), ["wireguard_network"]),
    (dict(NETWORK, members=[]), ["'wireguard'", "no hosts"]),
    (dict(NETWORK, topology="mesh"), ["mesh", "hub_and_spoke"]),
])
def test_network_errors(network, words):
    with pytest.raises(PlanError) as exc:
        plan(network=network)
    for word in words:
        assert word in str(exc.value)


def test_plan_error_is_a_value_error():
    assert issubclass(PlanError, ValueError)


def test_odd_digit_port_is_a_plan_error():
    with pytest.raises(PlanError):
        plan(broken("hub1", wireguard_endpoint="hub1.example.com:\u00b2"))


def test_duplicate_lan_across_members_is_rejected():
    hostvars = broken("spoke2", wireguard_lan_subnets=["192.168.10.0/24"])
    with pytest.raises(PlanError) as exc:
        plan(hostvars)
    assert "wireguard_lan_subnets" in str(exc.value)
    assert "spoke1" in str(exc.value) and "spoke2" in str(exc.value)


def test_overlapping_lans_are_rejected():
    hostvars = broken("spoke2", wireguard_lan_subnets=["192.168.0.0/16"])
    with pytest.raises(PlanError, match=r"spoke2: wireguard_lan_subnets 192.168.0.0/16 overlaps 192.168.10.0/24 of host spoke1"):
        plan(hostvars)


def test_lan_inside_the_tunnel_range_is_rejected():
    hostvars = broken("spoke2", wireguard_lan_subnets=["10.77.0.128/25"])
    with pytest.raises(PlanError, match=r"spoke2: wireguard_lan_subnets 10.77.0.128/25 overlaps the tunnel range"):
        plan(hostvars)


# ------------------------------------------------------------ property: random networks
class Routes(object):
    """lpm over every host's peers, with the prefixes parsed once."""

    def __init__(self, hosts):
        self.tables = dict(
            (name, [(ipaddress.ip_network(prefix), peer["name"]) for peer in host["peers"]
                    for prefix in peer["allowed_ips"]])
            for name, host in hosts.items())

    def next_hop(self, here, address):
        best, best_len = None, -1
        for net, name in self.tables[here]:
            if net.version == address.version and net.prefixlen > best_len and address in net:
                best, best_len = name, net.prefixlen
        return best


@st.composite
def networks(draw):
    n_hubs = draw(st.integers(1, 3))
    n_spokes = draw(st.integers(1, 20))
    names = ["hub%d" % i for i in range(n_hubs)] + ["spoke%d" % i for i in range(n_spokes)]
    dual = draw(st.booleans())
    hosts = draw(st.lists(st.integers(1, 254), min_size=len(names), max_size=len(names), unique=True))
    # Disjoint LAN pools: every LAN is a distinct /24 of 192.168.0.0/16 or /64 of fd10::/48.
    lan_ids = draw(st.lists(st.integers(0, 255), min_size=len(names) * 2, max_size=len(names) * 2, unique=True))
    hostvars = {}
    for i, name in enumerate(names):
        address = ["10.77.0.%d" % hosts[i]]
        if dual:
            address.append("fd77::%x" % hosts[i])
        n_lans = draw(st.integers(0, 2))
        lans = []
        for j in range(n_lans):
            lan_id = lan_ids[2 * i + j]
            lans.append("192.168.%d.0/24" % lan_id if draw(st.booleans()) else "fd10:0:0:%x::/64" % lan_id)
        hv = {"wireguard_address": address if len(address) > 1 or draw(st.booleans()) else address[0],
              "wireguard_lan_subnets": lans}
        if name.startswith("hub") or draw(st.integers(0, 4)) == 0:
            hv["wireguard_endpoint"] = "%s.example.com" % name
        hostvars[name] = hv
    order = draw(st.permutations(names))
    network = {"interface": "wg0", "ranges": ["10.77.0.0/24"] + (["fd77::/64"] if dual else []),
               "members": list(order), "hubs": [n for n in order if n.startswith("hub")]}
    keys = dict((name, key(i + 1)) for i, name in enumerate(names))
    return hostvars, network, keys


@settings(max_examples=40, deadline=None)
@given(networks())
def test_random_hub_and_spoke_networks(data):
    hostvars, network, keys = data
    result = plan_network(hostvars, network, keys)
    hosts = result["hosts"]
    assert sorted(hosts) == sorted(network["members"])
    for name, host in hosts.items():
        peers = host["peers"]
        # No prefix twice on a host (WireGuard would silently move it).
        prefixes = [p for peer in peers for p in peer["allowed_ips"]]
        assert len(prefixes) == len(set(prefixes)), name
        # Symmetric peer relation, with the right keys.
        for peer in peers:
            assert peer["public_key"] == keys[peer["name"]]
            assert name in [p["name"] for p in hosts[peer["name"]]["peers"]], (name, peer["name"])
            expected_keepalive = 25 if ("wireguard_endpoint" not in hostvars[name]
                                        and "wireguard_endpoint" in hostvars[peer["name"]]) else 0
            assert peer["persistent_keepalive"] == expected_keepalive
        assert host["forwarding"] == (host["role"] == "hub" or bool(hostvars[name]["wireguard_lan_subnets"]))
        # Hubs peer with everybody, spokes with the hubs only.
        expected = set(hosts) - {name} if name in network["hubs"] else set(network["hubs"])
        assert host["role"] == ("hub" if name in network["hubs"] else "spoke")
        assert set(p["name"] for p in peers) == expected
    # Every member reaches every other member's tunnel addresses and LANs,
    # spokes through a hub, in at most two hops, and each hop accepts the
    # packet's source address from the hop before it.
    routes = Routes(hosts)
    for src, host in hosts.items():
        # Sources: the tunnel addresses and a host on each LAN behind src.
        src_addrs = [ipaddress.ip_interface(a).ip for a in host["addresses"]]
        src_addrs += [ipaddress.ip_network(lan)[1] for lan in hostvars[src]["wireguard_lan_subnets"]]
        for dst, other in hosts.items():
            if dst == src:
                continue
            targets = [ipaddress.ip_interface(a).ip for a in other["addresses"]]
            targets += [ipaddress.ip_network(lan)[1] for lan in hostvars[dst]["wireguard_lan_subnets"]]
            for target in targets:
                path = deliver(routes, src, dst, target, src_addrs)
                assert len(path) <= 3, path
                if len(path) == 3:
                    assert host["role"] == "spoke" and hosts[path[1]]["role"] == "hub", path


def deliver(routes, src, dst, target, src_addrs):
    path = [src]
    here = src
    while here != dst:
        nxt = routes.next_hop(here, target)
        assert nxt is not None, "%s: no route to %s (%s -> %s, path %s)" % (here, target, src, dst, path)
        # The receiver's cryptokey routing must accept our source address from `here`.
        for s in src_addrs:
            if s.version == target.version:
                assert routes.next_hop(nxt, s) == here, (
                    "%s drops %s arriving from %s (path %s)" % (nxt, s, here, path + [nxt]))
        path.append(nxt)
        here = nxt
        assert len(path) <= 4, path
    return path
