# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile and mistaken inventories (issue 11): one table row per class, each
asserting the message (host, variable, fix), plus what must still be
accepted. The random corruption of inventories is in test_topology_fuzz.py."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import PlanError
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import plan_networks

from test_topology import GROUPS, HOSTVARS, KEYS, RANGE, iface, key, keys_for, plan

TWO = {"wg0": {"range": RANGE, "members": ["hub1", "spoke1", "spoke2"], "hubs": ["hub1"]},
       "wg1": {"range": "10.78.0.0/24", "members": ["hub2", "spoke1"], "hubs": ["hub2"]}}
TWO_VARS = dict(HOSTVARS, spoke1=dict(HOSTVARS["spoke1"], wireguard_interfaces={"wg1": {"address": "10.78.0.2", "port": 51822}}),
                hub2=dict(HOSTVARS["hub2"], wireguard_address="10.78.0.1"))


def _vars(**changes):
    hostvars = copy.deepcopy(HOSTVARS)
    for host, values in changes.items():
        hostvars[host] = dict(hostvars[host], **values)
    return hostvars


def _two(**changes):
    hostvars = copy.deepcopy(TWO_VARS)
    for host, values in changes.items():
        hostvars[host] = dict(hostvars[host], **values)
    return hostvars


CASES = [
    # 11.2 conflicts across networks on one host
    ("same-range-two-networks", dict(networks={"wg0": TWO["wg0"], "wg1": dict(TWO["wg1"], range=RANGE)},
                                     hostvars=_two(spoke1={"wireguard_interfaces": {"wg1": {"address": "10.77.0.9", "port": 51822}}},
                                                   hub2={"wireguard_address": "10.77.0.254"})),
     ["host spoke1", "networks wg0 and wg1", "overlapping tunnel ranges", "another range"]),
    ("lan-in-two-networks", dict(networks=TWO, hostvars=_two()),
     ["host spoke1", "wireguard_lan_subnets", "192.168.10.0/24", "wg0", "wg1", "wireguard_interfaces.<if>.lan_subnets"]),
    ("lan-over-other-range", dict(networks=TWO, hostvars=_two(
        spoke1={"wireguard_lan_subnets": [], "wireguard_interfaces": {"wg1": {"address": "10.78.0.2", "port": 51822}}},
        spoke2={"wireguard_lan_subnets": ["10.78.0.0/25"]})),
     ["host spoke2", "wireguard_lan_subnets", "10.78.0.0/25", "tunnel range 10.78.0.0/24 of network wg1"]),
    ("same-lan-two-peers", dict(networks=TWO, hostvars=_two(
        spoke1={"wireguard_lan_subnets": [], "wireguard_interfaces": {"wg1": {"address": "10.78.0.2", "port": 51822}}},
        hub2={"wireguard_lan_subnets": ["172.16.1.0/24"]})),
     ["host spoke1", "172.16.1.0/24 through hub1 on wg0", "through hub2 on wg1", "one way in"]),
    # 11.3 keys
    ("two-members-one-key", dict(public_keys=keys_for(["wg0"], dict(KEYS, spoke2=KEYS["spoke1"]))),
     ["host spoke1 and host spoke2", "same public key", "cloned"]),
    ("member-and-client-one-key", dict(networks={"wg0": {"range": RANGE, "clients": {
        "phone": {"address": "10.77.0.50", "public_key": KEYS["spoke3"]}}}}),
     ["host spoke3 and client phone", "same public key"]),
    ("keys-file-a-list", dict(public_keys=["wg0"]),
     ["wireguard_public_key_file", "wireguard_public_keys.yml", "delete it", "a list"]),
    ("keys-file-entry-text", dict(public_keys={"wg0": "hub1"}),
     ["wireguard_public_key_file", "entry 'wg0'", "fix it"]),
    # 11.4 types and strings
    ("network-a-string", dict(networks={"wg0": "10.77.0.0/24"}), ["wireguard_networks.wg0 is the text", "mapping"]),
    ("network-a-list", dict(networks={"wg0": ["10.77.0.0/24"]}), ["wireguard_networks.wg0 is a list"]),
    ("networks-a-list", dict(networks=["wg0"]), ["wireguard_networks is a list", "map interface names"]),
    ("members-a-number", dict(networks={"wg0": {"range": RANGE, "members": 5}}),
     ["network wg0 members is a number (5)", "group name or a list"]),
    ("hubs-a-boolean", dict(networks={"wg0": {"range": RANGE, "hubs": True}}), ["network wg0 hubs is a boolean"]),
    ("egress-a-string", dict(networks={"wg0": {"range": RANGE, "egress": "hub1"}}),
     ["network wg0: egress is the text 'hub1'", "{gateway: <host>"]),
    ("egress-no-gateway", dict(networks={"wg0": {"range": RANGE, "egress": {"members": "all"}}}),
     ["egress has no gateway"]),
    ("endpoint-a-list", dict(hostvars=_vars(hub1={"wireguard_endpoint": ["2001:db8::1"]})),
     ["host hub1", "wireguard_endpoint is a YAML list", "quote it", "'[2001:db8::1]:51820'"]),
    ("endpoint-a-number", dict(hostvars=_vars(hub1={"wireguard_endpoint": 12345})),
     ["host hub1", "wireguard_endpoint is a number", "as text"]),
    ("endpoint-a-boolean", dict(hostvars=_vars(hub1={"wireguard_endpoint": True})),
     ["host hub1", "wireguard_endpoint is a boolean"]),
    ("endpoint-newline", dict(hostvars=_vars(hub1={"wireguard_endpoint": "hub1.example.com\nPostUp = id"})),
     ["host hub1", "wireguard_endpoint", "line break"]),
    ("endpoint-space", dict(hostvars=_vars(hub1={"wireguard_endpoint": "hub1 example.com"})),
     ["host hub1", "wireguard_endpoint", "neither an IP address nor a DNS name"]),
    ("address-trailing-newline", dict(hostvars=_vars(spoke1={"wireguard_address": "10.77.0.2\n"})),
     ["host spoke1", "wireguard_address", "line break"]),
    ("address-a-number", dict(hostvars=_vars(spoke1={"wireguard_address": 167772161})),
     ["host spoke1", "wireguard_address is a number", "tunnel address"]),
    ("lan-a-mapping", dict(hostvars=_vars(spoke1={"wireguard_lan_subnets": {"a": 1}})),
     ["host spoke1", "wireguard_lan_subnets is a mapping", "CIDR prefix"]),
    ("lan-entry-a-number", dict(hostvars=_vars(spoke1={"wireguard_lan_subnets": [10]})),
     ["host spoke1", "wireguard_lan_subnets entry a number (10) is not text"]),
    ("port-trailing-newline", dict(hostvars=_vars(spoke1={"wireguard_port": "51820\n"})),
     ["host spoke1", "wireguard_port", "1-65535"]),
    ("port-a-float", dict(hostvars=_vars(spoke1={"wireguard_port": 5182.0})), ["host spoke1", "wireguard_port"]),
    ("keepalive-a-list", dict(hostvars=_vars(spoke1={"wireguard_persistent_keepalive": [25]})),
     ["host spoke1", "wireguard_persistent_keepalive", "0-65535"]),
    ("interfaces-a-list", dict(hostvars=_vars(spoke1={"wireguard_interfaces": ["wg0"]})),
     ["host spoke1", "wireguard_interfaces is a list", "mapping"]),
    ("host-name-newline", dict(groups=dict(GROUPS, wireguard=["hub1", "spoke1\n"])),
     ["network wg0 members", "on one line"]),
    ("client-name-a-number", dict(networks={"wg0": {"range": RANGE, "clients": {7: {"address": "10.77.0.50"}}}}),
     ["network wg0", "client name", "a number (7)"]),
    ("state-a-list", dict(hostvars=_vars(spoke1={"wireguard_state": ["absent"]})),
     ["host spoke1", "wireguard_state", "present or absent"]),
    ("range-a-number", dict(networks={"wg0": {"range": 10}}), ["network wg0", "range is a number", "CIDR"]),
    # 11.5 typos
    ("network-typo", dict(networks={"wg0": {"range": RANGE, "topolgy": "mesh"}}),
     ["wireguard_networks.wg0.topolgy is not a setting", "did you mean topology?"]),
    ("interface-setting-typo", dict(hostvars=_vars(spoke1={"wireguard_interfaces": {"wg0": {"adress": "10.77.0.9"}}})),
     ["host spoke1", "wireguard_interfaces.wg0.adress is not a setting", "did you mean address?"]),
    ("egress-typo", dict(networks={"wg0": {"range": RANGE, "egress": {"gateway": "hub1", "member": "all"}}}),
     ["egress.member is not a setting", "did you mean members?"]),
    ("topology-typo", dict(networks={"wg0": {"range": RANGE, "topology": "hub-and-spoke"}}),
     ["topology 'hub-and-spoke'", "did you mean hub_and_spoke?"]),
    ("group-typo", dict(networks={"wg0": {"range": RANGE, "members": "wireguards"}}),
     ["group 'wireguards' does not exist", "did you mean wireguard?"]),
    # 11.6 nonsense that routes badly
    ("range-slash-0", dict(networks={"wg0": {"range": "0.0.0.0/0"}}), ["network wg0", "range 0.0.0.0/0", "egress"]),
    ("endpoint-in-range", dict(hostvars=_vars(hub1={"wireguard_endpoint": "10.77.0.9"})),
     ["host hub1", "wireguard_endpoint 10.77.0.9:51820 is inside 10.77.0.0/24", "loop"]),
    ("endpoint-is-tunnel-address", dict(hostvars=_vars(spoke3={"wireguard_endpoint": "10.77.0.4"})),
     ["host spoke3", "wireguard_endpoint 10.77.0.4:51820", "tunnel range of wg0"]),
    ("endpoint-in-lan", dict(hostvars=_vars(spoke3={"wireguard_endpoint": "192.168.10.7"})),
     ["host spoke3", "wireguard_endpoint 192.168.10.7:51820 is inside 192.168.10.0/24",
      "wireguard_lan_subnets of spoke1"]),
    ("hub-not-in-inventory", dict(networks={"wg0": {"range": RANGE, "hubs": ["hub1", "hubb2"]}}),
     ["network wg0: hubs names 'hubb2'", "not an inventory host"]),
]


@pytest.mark.parametrize("kwargs, words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_refused_with_a_message(kwargs, words):
    with pytest.raises(PlanError) as exc:
        plan(**copy.deepcopy(kwargs))
    for word in words:
        assert word in str(exc.value), (word, str(exc.value))


def test_member_interfaces_refuses_a_network_given_as_text():
    with pytest.raises(PlanError, match="wireguard_networks.wg0 is the text"):
        _topology.member_interfaces({"wg0": "10.77.0.0/24"}, GROUPS, "hub1")


def test_two_networks_on_one_host_are_accepted_when_each_prefix_has_one_way():
    hostvars = _two(spoke1={"wireguard_interfaces": {"wg0": {"lan_subnets": ["192.168.10.0/24"]},
                                                     "wg1": {"address": "10.78.0.2", "lan_subnets": []}},
                            "wireguard_port": None},
                    hub2={"wireguard_port": 51821})
    hostvars["spoke1"]["wireguard_interfaces"]["wg1"]["port"] = 51822
    result = plan(networks=TWO, hostvars=hostvars)
    assert sorted(result["networks"]) == ["wg0", "wg1"]


def test_ipv6_last_address_is_an_ordinary_address():
    hostvars = _vars(spoke2={"wireguard_address": ["10.77.0.3", "fd00:77::ffff"]},
                     hub1={"wireguard_address": ["10.77.0.1", "fd00:77::1"]})
    result = plan(networks={"wg0": {"range": [RANGE, "fd00:77::/112"]}}, hostvars=hostvars)
    assert "fd00:77::ffff/112" in iface(result, "spoke2")["addresses"]


def test_ipv4_broadcast_is_still_refused():
    with pytest.raises(PlanError, match="network or broadcast address"):
        plan(hostvars=_vars(spoke2={"wireguard_address": "10.77.0.255"}))


def test_a_hub_host_value_stays_its_own():
    """11.1 through the Python API: a hub's own port and keepalive are not
    the network's default, whatever host plans (the role passes no defaults
    from the planning host any more: see vars/main.yml)."""
    hostvars = _vars(hub1={"wireguard_port": 51821, "wireguard_persistent_keepalive": 0})
    result = plan_networks(hostvars, {"wg0": {"range": RANGE}}, GROUPS, keys_for(["wg0"]), defaults={})
    members = result["networks"]["wg0"]["members"]
    assert members["hub1"]["port"] == 51821 and members["hub1"]["endpoint"] == "hub1.example.com:51821"
    assert members["spoke1"]["port"] == 51820 and members["spoke1"]["keepalive"] == 25
    hub_peer = [p for p in iface(result, "spoke1")["peers"] if p["name"] == "hub1"][0]
    assert hub_peer["persistent_keepalive"] == 25 and hub_peer["endpoint"] == "hub1.example.com:51821"


def test_dns_endpoints_and_ipv6_endpoints_are_accepted():
    hostvars = _vars(hub1={"wireguard_endpoint": "[2001:db8::1]:51820"},
                     spoke3={"wireguard_endpoint": "vpn-3.example.com."})
    result = plan(hostvars=hostvars)
    assert result["networks"]["wg0"]["members"]["hub1"]["endpoint"] == "[2001:db8::1]:51820"


def test_key_used_twice_names_both_and_no_key_text():
    with pytest.raises(PlanError) as exc:
        plan(public_keys=keys_for(["wg0"], dict(KEYS, spoke2=KEYS["hub1"])))
    assert "host hub1 and host spoke2" in str(exc.value)
    assert key(1) not in str(exc.value)


def test_recorded_keys_file_not_a_mapping_when_keys_are_collected():
    with pytest.raises(PlanError, match="wireguard_public_key_file.*delete it"):
        _topology.collect_public_keys({}, ["not", "a", "mapping"])
