# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils._gateway.plan: the plan wg_gateway computes on the host.

The interface plans come from _topology (what the wireguard role publishes as
wireguard_host_plan). The hosts' interfaces are written in
test_gateway_data.yaml in the shape of network facts, which are easy to read;
`as_ip` turns them into what `ip -j address` and `ip -j route show default`
print, which is what the module reads, so networks_from_ip is exercised too.
Hand-written interface plans are used only where a case cannot be built from
an inventory. The backends rendering the plan are tested in test_gateway_backends.py.
"""

from __future__ import annotations

import base64
import copy
import ipaddress
import json
import os

import pytest
import yaml
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway import plan as _plan
from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway.plan import GatewayError
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import host_interfaces
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import plan_networks

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "test_gateway_data.yaml")) as _handle:
    DATA = yaml.safe_load(_handle)
PLAN_KEYS = {"wg_interfaces", "lan_interfaces", "egress_interfaces", "out_interfaces", "masquerade_interfaces", "sources4", "sources6",
             "listen_ports", "forward", "ipv6", "sysctls"}


def as_ip(facts):
    """(`ip -j address`, {version: `ip -j route show default`}) from facts-shaped data."""
    links = []
    for name in facts.get("interfaces") or []:
        data = facts.get(name.replace("-", "_")) or {}
        info = []
        for entry in [data.get("ipv4")] + list(data.get("ipv4_secondaries") or []):
            if entry and entry.get("address") and entry.get("netmask"):
                net = ipaddress.ip_interface("%s/%s" % (entry["address"], entry["netmask"]))
                info.append({"family": "inet", "local": str(net.ip), "prefixlen": net.network.prefixlen,
                             "scope": "host" if net.ip.is_loopback else "global"})
        for entry in data.get("ipv6") or []:
            if entry.get("address"):
                info.append({"family": "inet6", "local": entry["address"], "prefixlen": int(entry.get("prefix", 128)),
                             "scope": entry.get("scope", "global")})
        links.append({"ifname": name, "addr_info": info})
    routes = {}
    for version in (4, 6):
        default = facts.get("default_ipv%d" % version) or {}
        routes[version] = [{"dst": "default", "dev": default["interface"]}] if default.get("interface") else []
    return links, routes


def gateway_plan(host, interfaces, facts, lan_interfaces=None, egress_interface=None, masquerade=True,
                 proxy_arp_interfaces=None):
    """The module's plan for a host whose interfaces facts-shaped data describes."""
    links, routes = as_ip(facts)
    defaults = dict((v, _plan.default_interface(r)) for v, r in routes.items())
    return _plan.gateway_plan(interfaces, _plan.networks_from_ip(links), defaults, lan_interfaces=lan_interfaces,
                              egress_interface=egress_interface, masquerade=masquerade,
                              proxy_arp_interfaces=proxy_arp_interfaces)


def key(i):
    """A valid, canonical WireGuard key, distinct for each i < 65536."""
    return base64.b64encode(bytes([i % 256, i // 256]) * 16).decode("ascii")


def interfaces_of(inventory, host, hostvars=None):
    """wireguard_host_plan of one host of an inventory in the data file."""
    inv = DATA["inventories"][inventory]
    hostvars = inv["hostvars"] if hostvars is None else hostvars
    names = sorted(hostvars)
    keys = dict((i, dict((h, key(n + 1)) for n, h in enumerate(names))) for i in inv["networks"])
    return host_interfaces(plan_networks(hostvars, inv["networks"], inv["groups"], keys), host)


def facts_of(host):
    return copy.deepcopy(DATA["facts"][host])


def plan_of(inventory, host, facts=None, **kw):
    return gateway_plan(host, interfaces_of(inventory, host), facts_of(host) if facts is None else facts, **kw)


def pairs(plan):
    return [(f["in"], f["out"]) for f in plan["forward"]]


def hand_interface(name, forwarding=True, **kw):
    """A hand-written interface plan with the keys host_plan returns."""
    result = {"interface": name, "role": "hub", "addresses": [], "listen_port": 51820, "peers": [],
              "forwarding": forwarding, "ipv6": False, "ranges": [], "lan_subnets": [], "egress_gateway": False}
    result.update(kw)
    return result


def iface_facts(ipv4=None, secondaries=None, ipv6=None):
    """The facts of one interface; ipv4 and secondaries as 'address/prefix'."""
    def v4(text):
        net = ipaddress.ip_interface(text)
        return {"address": str(net.ip), "broadcast": str(net.network.broadcast_address),
                "netmask": str(net.netmask), "network": str(net.network.network_address),
                "prefix": str(net.network.prefixlen)}
    data = {"active": True, "type": "ether"}
    if ipv4:
        data["ipv4"] = v4(ipv4)
    if secondaries:
        data["ipv4_secondaries"] = [v4(s) for s in secondaries]
    if ipv6:
        data["ipv6"] = [{"address": a.split("/")[0], "prefix": a.split("/")[1], "scope": scope}
                        for a, scope in ipv6]
    return data


# ---------------------------------------------------------------- LAN interfaces


def test_the_data_file_plans_what_the_scenarios_need():
    # Guard against a topology change silently turning the scenarios into something else.
    assert [i["forwarding"] for i in interfaces_of("gateways", "hub")] == [True]
    assert [i["forwarding"] for i in interfaces_of("gateways", "laptop")] == [False]
    assert [i["egress_gateway"] for i in interfaces_of("egress", "cloud")] == [True]
    assert interfaces_of("gateways", "homegw")[0]["lan_subnets"] == ["172.18.33.0/24"]


@pytest.mark.parametrize("host, lan", [("homegw", "eth1"), ("officegw", "eth1")])
def test_lan_found_on_the_interface_with_an_address_in_it(host, lan):
    plan = plan_of("gateways", host)
    assert plan["lan_interfaces"] == [lan]
    assert plan["wg_interfaces"] == ["wg0"]
    # The WAN interface has the default route but no LAN address: not a LAN, and not egress either.
    assert plan["egress_interfaces"] == []
    assert "eth0" not in plan["masquerade_interfaces"]


def test_lan_on_a_bridge_whose_fact_name_has_an_underscore():
    # br-lan's facts live under br_lan; the plan must name the real interface.
    plan = plan_of("egress", "branch")
    assert plan["lan_interfaces"] == ["br-lan"]
    assert ("br-lan", "wg1") in pairs(plan)


def test_ipv6_only_lan_found_from_a_global_address_not_a_link_local_one():
    ifs = [hand_interface("wg0", ipv6=True, ranges=["fd77::/64"], lan_subnets=["fd40:1:2:3::/64"])]
    facts = {"interfaces": ["eth0", "eth1", "wg0"],
             # eth0's link-local fe80::/64 would "overlap" anything in fe80::/10, never a LAN.
             "eth0": iface_facts(ipv4="192.0.2.5/24", ipv6=[("fe80::1/64", "link")]),
             "eth1": iface_facts(ipv6=[("fd40:1:2:3::1/64", "global"), ("fe80::2/64", "link")]),
             "wg0": iface_facts(ipv6=[("fd77::2/64", "global")])}
    assert gateway_plan("v6site", ifs, facts)["lan_interfaces"] == ["eth1"]


def test_link_local_scope_is_not_an_address_of_the_interface():
    facts = {"interfaces": ["eth0", "lo"],
             "eth0": iface_facts(ipv6=[("fe80::1/64", "link"), ("2001:db8::5/64", "global")]),
             "lo": iface_facts(ipv4="127.0.0.1/8", ipv6=[("::1/128", "host")])}
    networks = _plan.networks_from_ip(as_ip(facts)[0])
    assert networks["eth0"] == [ipaddress.ip_interface("2001:db8::5/64")]
    assert networks["lo"] == [ipaddress.ip_interface("127.0.0.1/8"), ipaddress.ip_interface("::1/128")]


def test_interfaces_without_addresses_or_facts_are_tolerated():
    facts = {"interfaces": ["eth0", "ghost"], "eth0": {"active": False, "ipv4": {}}}
    assert _plan.networks_from_ip(as_ip(facts)[0]) == {"eth0": [], "ghost": []}
    assert _plan.networks_from_ip([]) == {}


def test_several_lans_on_a_bridge_a_vlan_and_a_secondary_address():
    plan = plan_of("sites", "router")
    # In the order of wireguard_lan_subnets; the trunk eth1 and the WAN eth0 are not LANs.
    assert plan["lan_interfaces"] == ["br-lan", "eth1.20", "eth2"]
    assert plan["masquerade_interfaces"] == ["br-lan", "eth1.20", "eth2"]
    for lan in plan["lan_interfaces"]:
        assert ("wg0", lan) in pairs(plan) and (lan, "wg0") in pairs(plan)


def test_lan_on_a_secondary_address_only():
    facts = facts_of("router")
    del facts["eth2"]["ipv4"]
    ifs = [hand_interface("wg0", ranges=["10.83.0.0/24"], lan_subnets=["192.168.30.0/24"])]
    assert gateway_plan("router", ifs, facts)["lan_interfaces"] == ["eth2"]


def test_two_lans_on_one_interface_name_it_once():
    facts = {"interfaces": ["eth1", "wg0"], "eth1": iface_facts("192.168.1.1/24", secondaries=["192.168.2.1/24"]),
             "wg0": iface_facts("10.83.0.2/24")}
    ifs = [hand_interface("wg0", ranges=["10.83.0.0/24"], lan_subnets=["192.168.1.0/24", "192.168.2.0/24"])]
    plan = gateway_plan("router", ifs, facts)
    assert plan["lan_interfaces"] == ["eth1"]
    assert pairs(plan) == [("wg0", "wg0"), ("wg0", "eth1"), ("eth1", "wg0")]


def test_the_forwarding_wg_interfaces_are_never_a_lan():
    # A site that declares its whole 10/8 as LAN: the tunnel addresses lie inside it.
    facts = {"interfaces": ["lo", "eth1", "wg0", "wg-site"],
             "lo": iface_facts("127.0.0.1/8"),
             "eth1": iface_facts("10.1.0.1/16"),
             "wg0": iface_facts("10.82.0.2/24"),
             "wg_site": iface_facts("10.83.0.2/24")}
    ifs = [hand_interface("wg0", ranges=["10.82.0.0/24"], lan_subnets=["10.0.0.0/8"]),
           hand_interface("wg-site", ranges=["10.83.0.0/24"], listen_port=51821)]
    plan = gateway_plan("site", ifs, facts)
    assert plan["wg_interfaces"] == ["wg0", "wg-site"]
    assert plan["lan_interfaces"] == ["eth1"]


def test_lan_interfaces_override_skips_detection():
    # No facts at all: the override alone decides, and nothing is looked up.
    plan = gateway_plan("homegw", interfaces_of("gateways", "homegw"), {}, lan_interfaces=["eth7", "eth8"])
    assert plan["lan_interfaces"] == ["eth7", "eth8"]
    assert plan["masquerade_interfaces"] == ["eth7", "eth8"]
    assert pairs(plan) == [("wg0", "wg0"), ("wg0", "eth7"), ("wg0", "eth8"), ("eth7", "wg0"), ("eth8", "wg0")]


def test_lan_interfaces_override_wins_over_facts():
    plan = plan_of("gateways", "homegw", lan_interfaces=["eth2"])
    assert plan["lan_interfaces"] == ["eth2"]
    assert "eth1" not in [o for _i, o in pairs(plan)]


def test_empty_override_means_detect():
    # The role passes `gateway_lan_interfaces or none`; an empty list must not disable the LAN.
    assert plan_of("gateways", "homegw", lan_interfaces=[])["lan_interfaces"] == ["eth1"]


def test_lan_without_an_interface_names_host_lan_variable_and_fix():
    facts = facts_of("homegw")
    del facts["eth1"]["ipv4"]  # the LAN interface is down
    with pytest.raises(GatewayError) as err:
        plan_of("gateways", "homegw", facts=facts)
    message = str(err.value)
    for part in ("172.18.33.0/24", "wireguard_lan_subnets", "gateway_lan_interfaces"):
        assert part in message


def test_lan_only_on_the_wg_interface_is_not_found():
    # The only address inside the LAN is on the forwarding wg interface itself.
    facts = {"interfaces": ["wg0"], "wg0": iface_facts("10.0.5.2/24")}
    ifs = [hand_interface("wg0", ranges=["10.0.5.0/24"], lan_subnets=["10.0.0.0/8"])]
    with pytest.raises(GatewayError, match="10.0.0.0/8"):
        gateway_plan("site", ifs, facts)


def test_a_wider_network_around_the_lan_is_not_a_lan():
    facts = facts_of("officegw")
    facts["interfaces"].append("docker0")
    facts["docker0"] = iface_facts("172.17.0.1/16")
    facts["docker0"]["type"] = "bridge"
    plan = plan_of("gateways", "officegw", facts=facts)
    assert plan["lan_interfaces"] == ["eth1"]


# ---------------------------------------------------------------- egress


def test_egress_uses_the_default_route_interface():
    plan = plan_of("egress", "cloud")
    assert plan["egress_interfaces"] == ["eth0"]
    assert plan["lan_interfaces"] == []
    assert plan["masquerade_interfaces"] == ["eth0"]
    # Relaying between peers, and out to the internet; nothing from the internet into the tunnel.
    assert pairs(plan) == [("wg1", "wg1"), ("wg1", "eth0")]


def test_egress_interface_override():
    plan = plan_of("egress", "cloud", egress_interface="ens5")
    assert plan["egress_interfaces"] == ["ens5"]
    assert pairs(plan) == [("wg1", "wg1"), ("wg1", "ens5")]
    assert plan["masquerade_interfaces"] == ["ens5"]


def test_egress_override_works_without_a_default_route():
    facts = facts_of("cloud")
    facts["default_ipv4"] = {}
    assert plan_of("egress", "cloud", facts=facts, egress_interface="eth0")["egress_interfaces"] == ["eth0"]


@pytest.mark.parametrize("default", [{}, None, "missing", {"gateway": "203.0.113.1"}])
def test_egress_without_default_route_names_host_and_fix(default):
    facts = facts_of("cloud")
    facts.pop("default_ipv6", None)  # any family's default route would do
    if default == "missing":
        del facts["default_ipv4"]
    else:
        facts["default_ipv4"] = default
    with pytest.raises(GatewayError) as err:
        plan_of("egress", "cloud", facts=facts)
    assert "gateway_egress_interface" in str(err.value)


def test_no_default_route_is_fine_when_not_an_egress_gateway():
    facts = facts_of("homegw")
    facts["default_ipv4"] = {}
    plan = plan_of("gateways", "homegw", facts=facts)
    assert plan["egress_interfaces"] == [] and plan["lan_interfaces"] == ["eth1"]


def test_ipv6_only_egress_gateway_uses_the_ipv6_default_route():
    hostvars = {"cloud": {"wireguard_address": "fd90::1", "wireguard_endpoint": "[2001:db8:10::10]:51821"},
                "phone": {"wireguard_address": "fd90::3"}}
    inv = DATA["inventories"]["egress"]
    networks = {"wg1": dict(inv["networks"]["wg1"], range="fd90::/64")}
    keys = {"wg1": {"cloud": key(1), "phone": key(2)}}
    ifs = host_interfaces(plan_networks(hostvars, networks, {"wireguard": ["cloud", "phone"],
                                                             "wireguard_hubs": ["cloud"]}, keys), "cloud")
    facts = facts_of("cloud")
    facts["default_ipv4"] = {}
    del facts["eth0"]["ipv4"]
    assert gateway_plan("cloud", ifs, facts)["egress_interfaces"] == ["eth0"]


def test_egress_on_the_lan_interface_is_listed_once():
    # A one-NIC home server: the LAN router is its default route, and it is the egress gateway.
    facts = facts_of("homegw")
    facts["default_ipv4"]["interface"] = "eth1"
    ifs = [hand_interface("wg0", ranges=["10.82.0.0/24"], lan_subnets=["172.18.33.0/24"], egress_gateway=True)]
    plan = gateway_plan("homegw", ifs, facts)
    assert plan["egress_interfaces"] == ["eth1"]
    assert plan["masquerade_interfaces"] == ["eth1"]
    assert pairs(plan) == [("wg0", "wg0"), ("wg0", "eth1"), ("eth1", "wg0")]


def test_lan_and_egress_gateway():
    facts = facts_of("homegw")
    ifs = [hand_interface("wg0", ranges=["10.82.0.0/24"], lan_subnets=["172.18.33.0/24"], egress_gateway=True)]
    plan = gateway_plan("homegw", ifs, facts)
    assert plan["lan_interfaces"] == ["eth1"] and plan["egress_interfaces"] == ["eth0"]
    assert plan["masquerade_interfaces"] == ["eth1", "eth0"]
    assert pairs(plan) == [("wg0", "wg0"), ("wg0", "eth1"), ("wg0", "eth0"), ("eth1", "wg0")]


# ---------------------------------------------------------------- forwarding


def test_hub_only_relays_and_needs_no_lan_or_default_route():
    facts = facts_of("hub")
    facts["default_ipv4"] = {}
    plan = plan_of("gateways", "hub", facts=facts)
    assert plan["wg_interfaces"] == ["wg0"]
    assert plan["lan_interfaces"] == [] and plan["egress_interfaces"] == []
    assert pairs(plan) == [("wg0", "wg0")]
    assert plan["masquerade_interfaces"] == []


def test_lan_gateway_forward_pairs():
    assert pairs(plan_of("gateways", "homegw")) == [("wg0", "wg0"), ("wg0", "eth1"), ("eth1", "wg0")]


def test_two_forwarding_networks_each_relay_and_reach_the_lan_but_are_not_joined():
    facts = facts_of("homegw")
    ifs = [hand_interface("wg0", ranges=["10.82.0.0/24"], lan_subnets=["172.18.33.0/24"]),
           hand_interface("wg1", ranges=["10.90.0.0/24"], listen_port=51821)]
    plan = gateway_plan("homegw", ifs, facts)
    assert set(pairs(plan)) == {("wg0", "wg0"), ("wg1", "wg1"), ("wg0", "eth1"), ("wg1", "eth1"),
                                ("eth1", "wg0"), ("eth1", "wg1")}
    assert len(pairs(plan)) == len(set(pairs(plan)))


def test_non_forwarding_interface_is_left_out():
    facts = facts_of("homegw")
    ifs = [hand_interface("wg0", ranges=["10.82.0.0/24"], lan_subnets=["172.18.33.0/24"]),
           hand_interface("wg9", forwarding=False, ranges=["10.99.0.0/24"], listen_port=51829,
                          peers=[{"name": "x", "allowed_ips": ["10.99.0.0/24", "192.168.99.0/24"]}])]
    plan = gateway_plan("homegw", ifs, facts)
    assert plan["wg_interfaces"] == ["wg0"]
    assert "wg9" not in [x for p in pairs(plan) for x in p]
    assert plan["sources4"] == ["10.82.0.0/24"]
    # ... but its port stays open: listen ports come from every interface.
    assert plan["listen_ports"] == [51820, 51829]


# ---------------------------------------------------------------- masquerade and sources


def test_masquerade_on_covers_lan_and_egress():
    assert plan_of("gateways", "officegw")["masquerade_interfaces"] == ["eth1"]
    assert plan_of("egress", "cloud")["masquerade_interfaces"] == ["eth0"]


def test_masquerade_off_keeps_forwarding():
    on = plan_of("gateways", "homegw")
    off = plan_of("gateways", "homegw", masquerade=False)
    assert off["masquerade_interfaces"] == []
    assert off["forward"] == on["forward"] and off["lan_interfaces"] == on["lan_interfaces"]
    off = plan_of("egress", "cloud", masquerade=False)
    assert off["masquerade_interfaces"] == [] and off["egress_interfaces"] == ["eth0"]


def test_remote_site_lan_is_a_masqueraded_source():
    # Regression: only the tunnel range was masqueraded, so the office web server (whose default route is not
    # the office gateway) never answered the home LAN 172.18.33.0/24 arriving through the hub.
    plan = plan_of("gateways", "officegw")
    assert plan["sources4"] == ["10.82.0.0/24", "172.18.33.0/24"]
    assert plan["sources6"] == []
    assert plan_of("gateways", "homegw")["sources4"] == ["10.82.0.0/24", "172.17.50.0/24"]


def test_egress_gateway_masquerades_the_lans_behind_its_peers_in_both_families():
    plan = plan_of("egress", "cloud")
    assert plan["sources4"] == ["10.90.0.0/24", "192.168.40.0/24"]
    assert plan["sources6"] == ["fd40:1:2:3::/64", "fd90::/64"]


def test_full_tunnel_allowed_ips_are_not_sources():
    # branch sends everything through cloud: its peer has 0.0.0.0/0 and ::/0, which must not turn into
    # "masquerade everything" (that would hide the LAN's own traffic too).
    branch = interfaces_of("egress", "branch")
    assert {"0.0.0.0/0", "::/0"} <= set(branch[0]["peers"][0]["allowed_ips"])
    plan = plan_of("egress", "branch")
    assert plan["sources4"] == ["10.90.0.0/24"]
    assert plan["sources6"] == ["fd90::/64"]


def test_sources_are_collapsed():
    ifs = [hand_interface("wg0", ranges=["10.82.0.0/24"], lan_subnets=[], peers=[
        {"name": "a", "allowed_ips": ["10.82.0.2/32", "192.168.0.0/24", "fd00:1::/64"]},
        {"name": "b", "allowed_ips": ["192.168.1.0/24", "192.168.1.128/25", "10.1.2.3/32", "fd00:1::5/128"]}])]
    plan = gateway_plan("hub", ifs, {})
    assert plan["sources4"] == ["10.1.2.3/32", "10.82.0.0/24", "192.168.0.0/23"]
    assert plan["sources6"] == ["fd00:1::/64"]


_V4 = st.builds(lambda a, p: str(ipaddress.ip_network((a, p), strict=False)),
                st.integers(0, 2 ** 32 - 1), st.integers(0, 32))
_V6 = st.builds(lambda a, p: str(ipaddress.ip_network((a, p), strict=False)),
                st.integers(0, 2 ** 128 - 1), st.sampled_from([0, 8, 48, 64, 127, 128]))


@settings(max_examples=150, deadline=None)
@given(ranges=st.lists(st.one_of(_V4, _V6), max_size=3),
       allowed=st.lists(st.lists(st.one_of(_V4, _V6), max_size=4), max_size=4))
def test_sources_are_exactly_what_arrives_minus_full_tunnels(ranges, allowed):
    ifs = [hand_interface("wg0", ranges=ranges,
                          peers=[{"name": "p%d" % n, "allowed_ips": a} for n, a in enumerate(allowed)])]
    plan = gateway_plan("hub", ifs, {})
    arriving = [ipaddress.ip_network(p) for p in ranges + [p for a in allowed for p in a if not p.endswith("/0")]]
    for version, name in ((4, "sources4"), (6, "sources6")):
        got = [ipaddress.ip_network(s) for s in plan[name]]
        assert all(s.version == version for s in got)
        # Sorted, disjoint and not mergeable any further.
        assert got == sorted(got)
        assert list(ipaddress.collapse_addresses(got)) == got
        wanted = [n for n in arriving if n.version == version]
        assert all(any(n.subnet_of(s) for s in got) for n in wanted)
        assert all(any(s.subnet_of(n) or n.subnet_of(s) for n in wanted) for s in got)
        assert list(ipaddress.collapse_addresses(wanted)) == got


# ---------------------------------------------------------------- sysctls, ports, empty plans


def test_ipv4_only_gateway_forwards_ipv4_only():
    assert plan_of("gateways", "homegw")["sysctls"] == {"net.ipv4.ip_forward": "1"}
    assert plan_of("gateways", "hub")["ipv6"] is False


def test_ipv6_gateway_forwards_both_families():
    plan = plan_of("egress", "cloud")
    assert plan["ipv6"] is True
    assert plan["sysctls"] == {"net.ipv4.ip_forward": "1", "net.ipv6.conf.all.forwarding": "1"}


def test_proxy_arp_per_interface_with_vlan_dot_written_as_slash():
    plan = plan_of("sites", "router", proxy_arp_interfaces=["br-lan", "eth1.20", "eth2"])
    assert plan["sysctls"] == {
        "net.ipv4.ip_forward": "1",
        "net.ipv4.conf.br-lan.proxy_arp": "1",
        # sysctl(8) reads '/' inside a dotted key as the '.' of the interface name.
        "net.ipv4.conf.eth1/20.proxy_arp": "1",
        "net.ipv4.conf.eth2.proxy_arp": "1",
    }


def test_listen_ports_from_all_interfaces_sorted_and_unique():
    ifs = [hand_interface("wg2", listen_port=51822, ranges=["10.2.0.0/24"]),
           hand_interface("wg0", listen_port=51820, forwarding=False),
           hand_interface("wg1", listen_port=51822, forwarding=False),
           hand_interface("wg3", listen_port=None, forwarding=False)]
    assert gateway_plan("h", ifs, {})["listen_ports"] == [51820, 51822]


@pytest.mark.parametrize("facts", [{}, "laptop"])
def test_host_that_forwards_nothing_gets_an_empty_plan(facts):
    facts = facts_of(facts) if facts else facts
    plan = plan_of("gateways", "laptop", facts=facts)
    assert set(plan) == PLAN_KEYS
    assert plan["wg_interfaces"] == [] and plan["forward"] == [] and plan["masquerade_interfaces"] == []
    assert plan["lan_interfaces"] == [] and plan["egress_interfaces"] == []
    assert plan["sources4"] == [] and plan["sources6"] == [] and plan["ipv6"] is False
    assert gateway_plan("nobody", [], {})["forward"] == []


def test_every_plan_has_the_documented_keys():
    for inventory, host in (("gateways", "hub"), ("gateways", "homegw"), ("egress", "cloud"), ("sites", "router")):
        assert set(plan_of(inventory, host)) == PLAN_KEYS


def test_plan_does_not_modify_its_inputs():
    ifs = interfaces_of("egress", "cloud")
    facts = facts_of("cloud")
    before = (copy.deepcopy(ifs), copy.deepcopy(facts))
    gateway_plan("cloud", ifs, facts, lan_interfaces=["eth9"], proxy_arp_interfaces=["eth9"])
    assert (ifs, facts) == before


# ---------------------------------------------------------------- peers as JSON


@pytest.mark.parametrize("inventory, host", [("gateways", "homegw"), ("egress", "branch"), ("sites", "router")])
def test_peers_as_json_plans_the_same_gateway(inventory, host):
    # The wireguard role publishes wireguard_host_plan with each interface's peers as JSON text.
    as_json = [dict(i, peers=json.dumps(i["peers"])) for i in interfaces_of(inventory, host)]
    assert gateway_plan(host, as_json, facts_of(host)) == plan_of(inventory, host)
