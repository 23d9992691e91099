# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plugin_utils._topology: plan_networks, host_interfaces, host_routes,
member_interfaces, collect_public_keys on hand-written inventories, and one
test per validation rule (the message must name the host, the variable and,
where there is one, the fix).

The property-based tests over random networks live in
test_topology_properties.py.
"""

from __future__ import annotations

import base64
import copy
import json

import pytest

from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _psk
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import PlanError
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import collect_public_keys
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import host_interfaces
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import host_routes
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import member_interfaces
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import plan_networks


def key(i):
    """A valid, canonical WireGuard key, distinct for each i < 65536."""
    return base64.b64encode(bytes([i % 256, i // 256]) * 16).decode("ascii")


RANGE = "10.77.0.0/24"
# hub1, hub2: reachable hubs with a LAN each; spoke1, spoke2 behind NAT;
# spoke3 reachable. Only hub1 is in the hub group unless a test says otherwise.
HOSTVARS = {
    "hub1": {"wireguard_address": "10.77.0.1", "wireguard_endpoint": "hub1.example.com",
             "wireguard_lan_subnets": ["172.16.1.0/24"]},
    "hub2": {"wireguard_address": "10.77.0.254", "wireguard_endpoint": "hub2.example.com:51821",
             "wireguard_lan_subnets": ["172.16.2.0/24"]},
    "spoke1": {"wireguard_address": "10.77.0.2", "wireguard_lan_subnets": ["192.168.10.0/24"]},
    "spoke2": {"wireguard_address": "10.77.0.3"},
    "spoke3": {"wireguard_address": "10.77.0.4", "wireguard_endpoint": "198.51.100.4",
               "wireguard_lan_subnets": ["192.168.30.0/24"]},
    "outsider": {"wireguard_address": "10.200.0.1"},
}
GROUPS = {
    "all": sorted(HOSTVARS),
    "wireguard": ["hub1", "spoke1", "spoke2", "spoke3"],
    "wireguard_hubs": ["hub1"],
    "two_hubs": ["hub1", "hub2"],
    "five": ["hub1", "hub2", "spoke1", "spoke2", "spoke3"],
}
NAMES = ["hub1", "hub2", "spoke1", "spoke2", "spoke3", "outsider"]
KEYS = dict((name, key(i + 1)) for i, name in enumerate(NAMES))


def keys_for(networks, keys=None):
    keys = KEYS if keys is None else keys
    return dict((interface, dict(keys)) for interface in networks)


def plan(networks=None, hostvars=None, groups=None, public_keys=None, **kw):
    networks = {"wg0": {"range": RANGE}} if networks is None else networks
    return plan_networks(HOSTVARS if hostvars is None else hostvars, networks,
                         GROUPS if groups is None else groups,
                         keys_for(networks) if public_keys is None else public_keys, **kw)


def iface(result, host, interface="wg0"):
    found = [p for p in host_interfaces(result, host) if p["interface"] == interface]
    assert len(found) == 1, (host, interface, found)
    return found[0]


def peers(result, host, interface="wg0"):
    return dict((p["name"], p) for p in iface(result, host, interface)["peers"])


def allowed(result, host, peer, interface="wg0"):
    return peers(result, host, interface)[peer]["allowed_ips"]


def hostvars_with(**changes):
    """HOSTVARS with host -> {var: value} changes; a value of None removes the var."""
    hostvars = copy.deepcopy(HOSTVARS)
    for host, variables in changes.items():
        for var, value in variables.items():
            if value is None:
                hostvars[host].pop(var, None)
            else:
                hostvars[host][var] = value
    return hostvars


def assert_no_prefix_twice(result):
    for interface, net in result["networks"].items():
        for host in net["order"]:
            prefixes = [p for peer in iface(result, host, interface)["peers"] for p in peer["allowed_ips"]]
            assert len(prefixes) == len(set(prefixes)), (interface, host, prefixes)


# ================================================================ plan data
def test_plan_is_plain_data():
    result = plan()
    assert list(result) == ["networks"]
    assert json.loads(json.dumps(result)) == result          # no objects, tuples or ip_network values
    net = result["networks"]["wg0"]
    assert net["interface"] == "wg0"
    assert net["topology"] == "hub_and_spoke"
    assert net["ranges"] == [RANGE]
    assert net["order"] == ["hub1", "spoke1", "spoke2", "spoke3"]
    assert net["hubs"] == ["hub1"]
    assert net["missing_keys"] == [] and net["pending_clients"] == []
    assert net["egress_gateway"] is None and net["egress_members"] == []
    assert net["clients"] == {}
    assert net["members"]["spoke1"]["addresses"] == ["10.77.0.2/24"]
    assert net["members"]["spoke1"]["prefixes"] == ["10.77.0.2/32", "192.168.10.0/24"]
    assert net["members"]["spoke1"]["endpoint"] is None
    assert net["members"]["hub1"]["endpoint"] == "hub1.example.com:51820"
    assert net["members"]["hub1"]["public_key"] == KEYS["hub1"]


def test_plan_holds_no_per_pair_data():
    # O(members): member data once; peers are expanded by host_interfaces only.
    net = plan()["networks"]["wg0"]
    assert "peers" not in json.dumps(net)


def test_host_interfaces_of_a_non_member_is_empty():
    result = plan()
    assert host_interfaces(result, "outsider") == []
    assert host_interfaces(result, "no-such-host") == []
    assert host_routes(result, "outsider") == {}


def test_hosts_outside_the_members_are_not_planned():
    result = plan({"wg0": {"range": RANGE, "hubs": ["hub1", "outsider"]}})
    net = result["networks"]["wg0"]
    assert net["hubs"] == ["hub1"]
    assert "outsider" not in net["members"]


# ================================================================ hub and spoke
def test_hub_entry_for_each_spoke_is_its_address_and_lans():
    result = plan()
    hub = iface(result, "hub1")
    assert hub["role"] == "hub"
    assert hub["interface"] == "wg0"
    assert hub["addresses"] == ["10.77.0.1/24"]
    assert hub["listen_port"] == 51820
    assert hub["forwarding"] is True
    assert hub["ipv6"] is False
    assert hub["peers"] == [
        {"name": "spoke1", "public_key": KEYS["spoke1"], "allowed_ips": ["10.77.0.2/32", "192.168.10.0/24"],
         "endpoint": None, "persistent_keepalive": 0},
        {"name": "spoke2", "public_key": KEYS["spoke2"], "allowed_ips": ["10.77.0.3/32"],
         "endpoint": None, "persistent_keepalive": 0},
        {"name": "spoke3", "public_key": KEYS["spoke3"], "allowed_ips": ["10.77.0.4/32", "192.168.30.0/24"],
         "endpoint": "198.51.100.4:51820", "persistent_keepalive": 0},
    ]


def test_spoke_hub_peer_carries_range_and_every_other_sites_lans():
    result = plan()
    spoke1, spoke2 = iface(result, "spoke1"), iface(result, "spoke2")
    assert spoke1["role"] == spoke2["role"] == "spoke"
    assert spoke1["peers"] == [{"name": "hub1", "public_key": KEYS["hub1"],
                                "allowed_ips": ["10.77.0.0/24", "172.16.1.0/24", "192.168.30.0/24"],
                                "endpoint": "hub1.example.com:51820", "persistent_keepalive": 25}]
    # Not its own LAN: spoke1 does not route 192.168.10.0/24 into the tunnel.
    assert allowed(result, "spoke2", "hub1") == ["10.77.0.0/24", "172.16.1.0/24", "192.168.10.0/24",
                                                 "192.168.30.0/24"]
    assert spoke1["forwarding"] is True        # routes for its LAN
    assert spoke2["forwarding"] is False
    assert spoke1["addresses"] == ["10.77.0.2/24"]


def test_reachable_spoke_is_dialled_by_the_hub_and_sends_no_keepalive():
    result = plan()
    assert peers(result, "hub1")["spoke3"]["endpoint"] == "198.51.100.4:51820"
    assert peers(result, "spoke3")["hub1"]["persistent_keepalive"] == 0
    assert peers(result, "spoke1")["hub1"]["persistent_keepalive"] == 25


def test_two_hubs_first_hub_relays_second_carries_its_own():
    result = plan({"wg0": {"range": RANGE, "members": "five", "hubs": "two_hubs"}})
    assert iface(result, "hub2")["role"] == "hub"
    hub1 = peers(result, "hub1")
    assert sorted(hub1) == ["hub2", "spoke1", "spoke2", "spoke3"]
    assert hub1["hub2"]["allowed_ips"] == ["10.77.0.254/32", "172.16.2.0/24"]
    assert hub1["hub2"]["endpoint"] == "hub2.example.com:51821"
    assert hub1["hub2"]["persistent_keepalive"] == 0            # both ends reachable
    hub2 = peers(result, "hub2")
    assert hub2["hub1"]["allowed_ips"] == ["10.77.0.1/32", "172.16.1.0/24"]
    assert hub2["spoke1"]["allowed_ips"] == ["10.77.0.2/32", "192.168.10.0/24"]
    s1 = peers(result, "spoke1")
    assert sorted(s1) == ["hub1", "hub2"]
    assert s1["hub1"]["allowed_ips"] == ["10.77.0.0/24", "172.16.1.0/24", "192.168.30.0/24"]
    assert s1["hub2"]["allowed_ips"] == ["10.77.0.254/32", "172.16.2.0/24"]
    assert s1["hub1"]["persistent_keepalive"] == s1["hub2"]["persistent_keepalive"] == 25
    assert_no_prefix_twice(result)


def test_hub_order_follows_the_hub_group():
    groups = dict(GROUPS, two_hubs=["hub2", "hub1"])
    result = plan({"wg0": {"range": RANGE, "members": "five", "hubs": "two_hubs"}}, groups=groups)
    assert result["networks"]["wg0"]["hubs"] == ["hub2", "hub1"]
    assert "10.77.0.0/24" in allowed(result, "spoke1", "hub2")
    assert allowed(result, "spoke1", "hub1") == ["10.77.0.1/32", "172.16.1.0/24"]


def test_members_and_hubs_as_lists():
    result = plan({"wg0": {"range": RANGE, "members": ["hub2", "spoke2"], "hubs": ["hub2"]}})
    assert result["networks"]["wg0"]["order"] == ["hub2", "spoke2"]
    assert result["networks"]["wg0"]["hubs"] == ["hub2"]
    # spoke2 peers with every other member directly, so the hub needs no range.
    assert allowed(result, "spoke2", "hub2") == ["10.77.0.254/32", "172.16.2.0/24"]
    assert allowed(result, "hub2", "spoke2") == ["10.77.0.3/32"]


def test_duplicate_member_names_are_planned_once():
    result = plan({"wg0": {"range": RANGE, "members": ["hub1", "spoke1", "hub1", "spoke1"], "hubs": ["hub1"]}})
    assert result["networks"]["wg0"]["order"] == ["hub1", "spoke1"]
    assert [p["name"] for p in iface(result, "hub1")["peers"]] == ["spoke1"]


# ================================================================ ports, endpoints, keepalive
def test_network_port_and_keepalive_with_host_overrides():
    hostvars = hostvars_with(hub1={"wireguard_port": 4500}, spoke2={"wireguard_persistent_keepalive": 0})
    result = plan({"wg0": {"range": RANGE, "port": 51000, "persistent_keepalive": 15}}, hostvars)
    assert iface(result, "hub1")["listen_port"] == 4500
    assert iface(result, "spoke1")["listen_port"] == 51000
    # An endpoint without a port gets the peer's own listen port.
    assert peers(result, "spoke1")["hub1"]["endpoint"] == "hub1.example.com:4500"
    assert peers(result, "hub1")["spoke3"]["endpoint"] == "198.51.100.4:51000"
    assert peers(result, "spoke1")["hub1"]["persistent_keepalive"] == 15
    assert peers(result, "spoke2")["hub1"]["persistent_keepalive"] == 0


def test_defaults_fill_missing_network_keys():
    defaults = {"range": RANGE, "topology": "mesh", "members": "two_hubs", "hubs": "wireguard_hubs",
                "port": 52000, "persistent_keepalive": 7}
    hostvars = hostvars_with(hub2={"wireguard_endpoint": None})
    result = plan({"wg0": {}}, hostvars, defaults=defaults)
    net = result["networks"]["wg0"]
    assert net["topology"] == "mesh" and net["ranges"] == [RANGE] and net["order"] == ["hub1", "hub2"]
    assert iface(result, "hub1")["listen_port"] == 52000
    assert peers(result, "hub2")["hub1"]["persistent_keepalive"] == 7
    # The definition wins over the defaults.
    result = plan({"wg0": {"port": 53000}}, hostvars, defaults=defaults)
    assert iface(result, "hub1")["listen_port"] == 53000


@pytest.mark.parametrize("endpoint,expected", [
    ("hub1.example.com", "hub1.example.com:51820"),
    ("hub1.example.com:443", "hub1.example.com:443"),
    (" hub1.example.com ", "hub1.example.com:51820"),
    ("203.0.113.1", "203.0.113.1:51820"),
    ("203.0.113.1:4500", "203.0.113.1:4500"),
    ("[2001:db8::1]:4500", "[2001:db8::1]:4500"),
    ("[2001:db8::1]", "[2001:db8::1]:51820"),
])
def test_endpoint_normalized(endpoint, expected):
    result = plan(hostvars=hostvars_with(hub1={"wireguard_endpoint": endpoint}))
    assert peers(result, "spoke1")["hub1"]["endpoint"] == expected
    assert result["networks"]["wg0"]["members"]["hub1"]["endpoint"] == expected


@pytest.mark.parametrize("keepalive", [0, "0"])
def test_network_without_keepalive(keepalive):
    result = plan({"wg0": {"range": RANGE, "persistent_keepalive": keepalive}})
    assert peers(result, "spoke1")["hub1"]["persistent_keepalive"] == 0


def test_host_keepalive_override_per_interface():
    hostvars = hostvars_with(spoke1={"wireguard_persistent_keepalive": 60,
                                     "wireguard_interfaces": {"wg0": {"persistent_keepalive": 9}}})
    assert peers(plan(hostvars=hostvars), "spoke1")["hub1"]["persistent_keepalive"] == 9


# ================================================================ mesh
MESH_VARS = hostvars_with(spoke2={"wireguard_endpoint": "spoke2.example.net:51900"})


def test_mesh_every_peer_carries_its_own_address_and_lans():
    result = plan({"wg0": {"range": RANGE, "topology": "mesh"}}, MESH_VARS)
    names = ["hub1", "spoke1", "spoke2", "spoke3"]
    prefixes = {"hub1": ["10.77.0.1/32", "172.16.1.0/24"], "spoke1": ["10.77.0.2/32", "192.168.10.0/24"],
                "spoke2": ["10.77.0.3/32"], "spoke3": ["10.77.0.4/32", "192.168.30.0/24"]}
    for name in names:
        host = iface(result, name)
        assert host["role"] == ("hub" if name == "hub1" else "member")
        assert [p["name"] for p in host["peers"]] == [n for n in names if n != name]
        for peer in host["peers"]:
            assert peer["allowed_ips"] == prefixes[peer["name"]]
    # Mesh without clients: nobody relays, so only LAN owners forward.
    assert iface(result, "hub1")["forwarding"] is True        # it has a LAN
    assert iface(result, "spoke2")["forwarding"] is False
    assert_no_prefix_twice(result)


def test_mesh_member_behind_nat_keeps_alive_towards_everyone_and_is_not_dialled():
    result = plan({"wg0": {"range": RANGE, "topology": "mesh"}}, MESH_VARS)
    for name, peer in peers(result, "spoke1").items():
        assert peer["persistent_keepalive"] == 25, name
        assert peer["endpoint"] is not None
    for name in ("hub1", "spoke2", "spoke3"):
        entry = peers(result, name)["spoke1"]
        assert entry["endpoint"] is None
        assert entry["persistent_keepalive"] == 0
    assert peers(result, "hub1")["spoke2"]["endpoint"] == "spoke2.example.net:51900"


def test_mesh_needs_no_hub():
    groups = dict(GROUPS, wireguard_hubs=[])
    result = plan({"wg0": {"range": RANGE, "topology": "mesh"}}, MESH_VARS, groups)
    assert result["networks"]["wg0"]["hubs"] == []
    result = plan({"wg0": {"range": RANGE, "topology": "mesh", "hubs": "no-such-group"}}, MESH_VARS)
    assert result["networks"]["wg0"]["hubs"] == []


# ================================================================ hybrid
def test_hybrid_reachable_members_mesh_nat_members_use_the_hub():
    result = plan({"wg0": {"range": RANGE, "topology": "hybrid"}})
    # hub1 peers with everyone.
    assert sorted(peers(result, "hub1")) == ["spoke1", "spoke2", "spoke3"]
    # spoke3 (reachable) peers with every reachable member, i.e. only the hub here,
    # and reaches the NAT members and their LANs through it.
    assert sorted(peers(result, "spoke3")) == ["hub1"]
    assert allowed(result, "spoke3", "hub1") == ["10.77.0.0/24", "172.16.1.0/24", "192.168.10.0/24"]
    # spoke1 (behind NAT) reaches everything through the hub, keeping it alive.
    assert allowed(result, "spoke1", "hub1") == ["10.77.0.0/24", "172.16.1.0/24", "192.168.30.0/24"]
    assert peers(result, "spoke1")["hub1"]["persistent_keepalive"] == 25
    assert_no_prefix_twice(result)


def test_hybrid_two_reachable_members_peer_directly():
    hostvars = hostvars_with(spoke2={"wireguard_endpoint": "[2001:db8::3]:51830"})
    result = plan({"wg0": {"range": RANGE, "topology": "hybrid"}}, hostvars)
    s2 = peers(result, "spoke2")
    s3 = peers(result, "spoke3")
    assert sorted(s2) == ["hub1", "spoke3"] and sorted(s3) == ["hub1", "spoke2"]
    assert s2["spoke3"]["allowed_ips"] == ["10.77.0.4/32", "192.168.30.0/24"]
    assert s2["spoke3"]["endpoint"] == "198.51.100.4:51820"
    assert s3["spoke2"]["endpoint"] == "[2001:db8::3]:51830"
    assert s2["spoke3"]["persistent_keepalive"] == s3["spoke2"]["persistent_keepalive"] == 0
    # The NAT member spoke1 and its LAN stay behind the hub for them.
    assert allowed(result, "spoke2", "hub1") == ["10.77.0.0/24", "172.16.1.0/24", "192.168.10.0/24"]
    assert allowed(result, "spoke1", "hub1") == ["10.77.0.0/24", "172.16.1.0/24", "192.168.30.0/24"]
    assert sorted(peers(result, "spoke1")) == ["hub1"]
    assert_no_prefix_twice(result)


def test_hybrid_with_everyone_reachable_is_a_mesh_without_relay():
    hostvars = hostvars_with(spoke1={"wireguard_endpoint": "s1.example.com"},
                             spoke2={"wireguard_endpoint": "s2.example.com"})
    result = plan({"wg0": {"range": RANGE, "topology": "hybrid"}}, hostvars)
    for name in ("spoke1", "spoke2", "spoke3"):
        assert "10.77.0.0/24" not in [p for peer in iface(result, name)["peers"] for p in peer["allowed_ips"]]
        assert len(iface(result, name)["peers"]) == 3


# ================================================================ dual stack
def test_dual_stack():
    hostvars = {
        "hub1": {"wireguard_address": ["10.77.0.1", "fd77::1"], "wireguard_endpoint": "hub1.example.com"},
        "spoke1": {"wireguard_address": ["10.77.0.2/24", "fd77::2"], "wireguard_lan_subnets": "fd10::/64"},
        "spoke2": {"wireguard_address": "fd77::3"},
    }
    groups = {"wireguard": ["hub1", "spoke1", "spoke2"], "wireguard_hubs": ["hub1"]}
    result = plan({"wg0": {"range": ["10.77.0.0/24", "fd77::/64"]}}, hostvars, groups)
    assert iface(result, "spoke1")["addresses"] == ["10.77.0.2/24", "fd77::2/64"]
    assert iface(result, "spoke1")["ipv6"] is True
    assert iface(result, "spoke2")["addresses"] == ["fd77::3/64"]
    assert allowed(result, "hub1", "spoke1") == ["10.77.0.2/32", "fd10::/64", "fd77::2/128"]
    assert allowed(result, "hub1", "spoke2") == ["fd77::3/128"]
    assert allowed(result, "spoke1", "hub1") == ["10.77.0.0/24", "fd77::/64"]
    assert allowed(result, "spoke2", "hub1") == ["10.77.0.0/24", "fd10::/64", "fd77::/64"]
    assert iface(result, "hub1")["ipv6"] is True


def test_address_prefix_length_comes_from_the_range():
    hostvars = hostvars_with(spoke1={"wireguard_address": "10.77.0.2/16"})
    assert iface(plan(hostvars=hostvars), "spoke1")["addresses"] == ["10.77.0.2/24"]


def test_point_to_point_range_allows_both_addresses():
    hostvars = {"a": {"wireguard_address": "10.9.0.0", "wireguard_endpoint": "a.example.com"},
                "b": {"wireguard_address": "10.9.0.1", "wireguard_endpoint": "b.example.com"}}
    result = plan({"wg0": {"range": "10.9.0.0/31", "topology": "mesh", "members": ["a", "b"]}}, hostvars,
                  public_keys={"wg0": {"a": key(1), "b": key(2)}})
    assert allowed(result, "a", "b") == ["10.9.0.1/32"]


# ================================================================ egress (full tunnel)
def test_egress_all_members_through_the_hub():
    hostvars = hostvars_with(spoke1={"wireguard_address": ["10.77.0.2", "fd77::2"]})
    network = {"range": [RANGE, "fd77::/64"], "egress": {"gateway": "hub1", "members": "all"}}
    result = plan({"wg0": network}, hostvars)
    net = result["networks"]["wg0"]
    assert net["egress_gateway"] == "hub1"
    assert net["egress_members"] == ["spoke1", "spoke2", "spoke3"]
    # Only the families the member has an address of.
    assert allowed(result, "spoke1", "hub1") == ["0.0.0.0/0", "10.77.0.0/24", "172.16.1.0/24",
                                                 "192.168.30.0/24", "::/0", "fd77::/64"]
    assert "0.0.0.0/0" in allowed(result, "spoke2", "hub1")
    assert "::/0" not in allowed(result, "spoke2", "hub1")
    # The gateway does not send its own traffic into the tunnel.
    assert not [p for peer in iface(result, "hub1")["peers"] for p in peer["allowed_ips"] if p.endswith("/0")]
    assert iface(result, "hub1")["forwarding"] is True
    # /0 is never a main-table route (policy routing handles it).
    for host in ("spoke1", "spoke2", "spoke3", "hub1"):
        assert not [r for r in host_routes(result, host)["wg0"] if r.endswith("/0")]


def test_egress_default_members_is_all():
    result = plan({"wg0": {"range": RANGE, "egress": {"gateway": "hub1"}}})
    assert result["networks"]["wg0"]["egress_members"] == ["spoke1", "spoke2", "spoke3"]


def test_egress_for_listed_members_only():
    result = plan({"wg0": {"range": RANGE, "egress": {"gateway": "hub1", "members": ["spoke2"]}}})
    assert "0.0.0.0/0" in allowed(result, "spoke2", "hub1")
    assert "0.0.0.0/0" not in allowed(result, "spoke1", "hub1")
    assert result["networks"]["wg0"]["egress_members"] == ["spoke2"]


def test_egress_through_a_second_hub_that_is_not_the_relay():
    network = {"range": RANGE, "members": "five", "hubs": "two_hubs", "egress": {"gateway": "hub2"}}
    result = plan({"wg0": network})
    assert allowed(result, "spoke1", "hub2") == ["0.0.0.0/0", "10.77.0.254/32", "172.16.2.0/24"]
    assert "0.0.0.0/0" not in allowed(result, "spoke1", "hub1")
    assert allowed(result, "hub1", "hub2") == ["0.0.0.0/0", "10.77.0.254/32", "172.16.2.0/24"]
    assert_no_prefix_twice(result)


def test_egress_in_a_mesh_through_any_member():
    result = plan({"wg0": {"range": RANGE, "topology": "mesh", "egress": {"gateway": "spoke3"}}}, MESH_VARS)
    assert allowed(result, "spoke1", "spoke3") == ["0.0.0.0/0", "10.77.0.4/32", "192.168.30.0/24"]
    assert allowed(result, "hub1", "spoke3") == ["0.0.0.0/0", "10.77.0.4/32", "192.168.30.0/24"]
    assert iface(result, "spoke3")["forwarding"] is True


# ================================================================ unmanaged clients
PHONE = {"address": "10.77.0.50", "public_key": key(500)}


def test_client_is_a_peer_of_the_hubs_only():
    result = plan({"wg0": {"range": RANGE, "clients": {"phone": PHONE}}})
    net = result["networks"]["wg0"]
    assert net["clients"]["phone"]["addresses"] == ["10.77.0.50/24"]
    assert net["pending_clients"] == []
    assert peers(result, "hub1")["phone"] == {"name": "phone", "public_key": key(500),
                                              "allowed_ips": ["10.77.0.50/32"], "endpoint": None,
                                              "persistent_keepalive": 0}
    for spoke in ("spoke1", "spoke2", "spoke3"):
        assert "phone" not in peers(result, spoke)
        # ... and reach it through the hub's range.
        assert "10.77.0.0/24" in allowed(result, spoke, "hub1")
    assert iface(result, "hub1")["forwarding"] is True
    assert_no_prefix_twice(result)


def test_client_without_public_key_is_pending_and_left_out():
    clients = {"phone": {"address": "10.77.0.50"}, "laptop": dict(PHONE, address="10.77.0.51")}
    result = plan({"wg0": {"range": RANGE, "clients": clients}})
    assert result["networks"]["wg0"]["pending_clients"] == ["phone"]
    assert "phone" not in peers(result, "hub1")
    assert "laptop" in peers(result, "hub1")


def test_clients_in_a_mesh_go_through_the_hub():
    result = plan({"wg0": {"range": RANGE, "topology": "mesh", "clients": {"phone": PHONE}}}, MESH_VARS)
    assert "phone" in peers(result, "hub1")
    assert "phone" not in peers(result, "spoke2")
    # Mesh members now reach the client through the hub, the rest stays direct.
    assert allowed(result, "spoke2", "hub1") == ["10.77.0.0/24", "172.16.1.0/24"]
    assert allowed(result, "spoke2", "spoke3") == ["10.77.0.4/32", "192.168.30.0/24"]
    assert iface(result, "hub1")["forwarding"] is True
    assert_no_prefix_twice(result)


def test_two_hubs_with_a_client_no_prefix_twice():
    network = {"range": RANGE, "members": "five", "hubs": "two_hubs", "clients": {"phone": PHONE}}
    result = plan({"wg0": network})
    for hub in ("hub1", "hub2"):
        assert peers(result, hub)["phone"]["allowed_ips"] == ["10.77.0.50/32"]
    assert_no_prefix_twice(result)


def test_client_hub_choice_is_recorded():
    # Every hub peers with the client; `hub` picks the one its config routes the ranges through.
    network = {"range": RANGE, "members": "five", "hubs": "two_hubs",
               "clients": {"phone": dict(PHONE, hub="hub2")}}
    result = plan({"wg0": network})
    assert result["networks"]["wg0"]["clients"]["phone"]["hub"] == "hub2"
    for hub in ("hub1", "hub2"):
        assert "phone" in peers(result, hub)
    assert plan({"wg0": dict(network, clients={"phone": PHONE})})["networks"]["wg0"]["clients"]["phone"]["hub"] == "hub1"


def test_client_hub_must_be_a_hub():
    network = {"range": RANGE, "members": "five", "hubs": "two_hubs",
               "clients": {"phone": dict(PHONE, hub="spoke3")}}
    with pytest.raises(_topology.PlanError, match=r"client phone: wireguard_networks.wg0.clients.phone.hub 'spoke3' "
                                                  r"is not a hub of wg0; choose one of hub1, hub2"):
        plan({"wg0": network})


def test_client_key_from_the_recorded_keys():
    phone = {"address": "10.77.0.50"}
    keys = {"wg0": dict(KEYS, phone=PHONE["public_key"])}
    result = plan({"wg0": {"range": RANGE, "clients": {"phone": phone}}}, public_keys=keys)
    assert result["networks"]["wg0"]["pending_clients"] == []
    assert "phone" in peers(result, "hub1")


def test_preshared_key_paths_in_every_peer_entry():
    result = plan({"wg0": {"range": RANGE, "clients": {"phone": PHONE}}}, preshared_keys=True)
    for host in ("hub1", "spoke1"):
        for peer in iface(result, host)["peers"]:
            assert peer["preshared_key_path"].startswith("/etc/wireguard/psk/wg0/")
            assert peer["preshared_key_path"].endswith(".psk")
    hub_side = peers(result, "hub1")["spoke1"]["preshared_key_path"]
    assert hub_side == _psk.psk_file("wg0", KEYS["spoke1"])
    assert peers(result, "hub1")["phone"]["preshared_key_path"] == _psk.psk_file("wg0", PHONE["public_key"])
    plain = plan()
    assert all("preshared_key_path" not in p for p in iface(plain, "hub1")["peers"])


def test_two_hubs_with_a_client_lan_no_prefix_twice():
    phone = dict(PHONE, lan_subnets=["192.168.50.0/24"])
    network = {"range": RANGE, "members": "five", "hubs": "two_hubs", "clients": {"phone": phone}}
    result = plan({"wg0": network})
    assert_no_prefix_twice(result)


def test_client_lan_reached_through_the_hub():
    phone = dict(PHONE, lan_subnets=["192.168.50.0/24"])
    result = plan({"wg0": {"range": RANGE, "clients": {"phone": phone}}})
    assert allowed(result, "hub1", "phone") == ["10.77.0.50/32", "192.168.50.0/24"]
    assert "192.168.50.0/24" in allowed(result, "spoke1", "hub1")
    assert_no_prefix_twice(result)


# ================================================================ several networks per host
def two_networks_hostvars():
    hostvars = copy.deepcopy(HOSTVARS)
    hostvars["hub1"]["wireguard_interfaces"] = {"wg1": {"address": "10.78.0.1", "port": 51821,
                                                        "lan_subnets": []}}
    hostvars["spoke1"]["wireguard_interfaces"] = {"wg1": {"address": "10.78.0.2", "port": 51821,
                                                          "lan_subnets": ["192.168.11.0/24"],
                                                          "persistent_keepalive": 5}}
    return hostvars


TWO_NETWORKS = {"wg0": {"range": RANGE}, "wg1": {"range": "10.78.0.0/24", "members": ["hub1", "spoke1"]}}


def test_host_in_two_networks_uses_per_interface_overrides():
    result = plan(TWO_NETWORKS, two_networks_hostvars())
    assert sorted(result["networks"]) == ["wg0", "wg1"]
    ifaces = host_interfaces(result, "spoke1")
    assert [i["interface"] for i in ifaces] == ["wg0", "wg1"]
    wg0, wg1 = ifaces
    assert wg0["addresses"] == ["10.77.0.2/24"] and wg0["listen_port"] == 51820
    assert wg1["addresses"] == ["10.78.0.2/24"] and wg1["listen_port"] == 51821
    assert wg1["peers"] == [{"name": "hub1", "public_key": KEYS["hub1"], "allowed_ips": ["10.78.0.1/32"],
                             "endpoint": "hub1.example.com:51821", "persistent_keepalive": 5}]
    assert allowed(result, "hub1", "spoke1", "wg1") == ["10.78.0.2/32", "192.168.11.0/24"]
    # The flat variables still apply to wg0.
    assert allowed(result, "hub1", "spoke1", "wg0") == ["10.77.0.2/32", "192.168.10.0/24"]
    assert [i["interface"] for i in host_interfaces(result, "spoke2")] == ["wg0"]


def test_public_keys_are_per_interface():
    keys = keys_for(TWO_NETWORKS)
    keys["wg1"]["hub1"] = key(900)
    result = plan(TWO_NETWORKS, two_networks_hostvars(), public_keys=keys)
    assert peers(result, "spoke1", "wg1")["hub1"]["public_key"] == key(900)
    assert peers(result, "spoke1", "wg0")["hub1"]["public_key"] == KEYS["hub1"]


def test_host_routes_per_interface():
    result = plan(TWO_NETWORKS, two_networks_hostvars())
    # Routes: AllowedIPs outside the interface's own connected network.
    assert host_routes(result, "spoke1") == {"wg0": ["172.16.1.0/24", "192.168.30.0/24"], "wg1": []}
    assert host_routes(result, "hub1") == {"wg0": ["192.168.10.0/24", "192.168.30.0/24"],
                                           "wg1": ["192.168.11.0/24"]}
    assert host_routes(result, "spoke2") == {"wg0": ["172.16.1.0/24", "192.168.10.0/24", "192.168.30.0/24"]}


# ================================================================ keys
def test_missing_keys_fail_listing_the_hosts_to_run_first():
    keys = keys_for(["wg0"])
    del keys["wg0"]["spoke1"], keys["wg0"]["spoke3"]
    with pytest.raises(PlanError) as exc:
        plan(public_keys=keys)
    msg = str(exc.value)
    assert "spoke1, spoke3" in msg and "hub1" not in msg and "spoke2" not in msg
    assert "wg0" in msg
    assert "run the play" in msg


def test_missing_keys_of_one_interface_only():
    keys = keys_for(TWO_NETWORKS)
    del keys["wg1"]["hub1"]
    with pytest.raises(PlanError, match=r"network wg1: the public keys of hub1 "):
        plan(TWO_NETWORKS, two_networks_hostvars(), public_keys=keys)


def test_allow_missing_keys_skips_those_peers():
    keys = keys_for(["wg0"])
    del keys["wg0"]["spoke2"]
    result = plan(public_keys=keys, allow_missing_keys=True)
    assert result["networks"]["wg0"]["missing_keys"] == ["spoke2"]
    assert result["networks"]["wg0"]["members"]["spoke2"]["public_key"] is None
    assert [p["name"] for p in iface(result, "hub1")["peers"]] == ["spoke1", "spoke3"]
    # The host itself is still planned: its peers' keys are known.
    assert [p["name"] for p in iface(result, "spoke2")["peers"]] == ["hub1"]


def test_allow_missing_keys_with_no_keys_at_all():
    result = plan(public_keys={}, allow_missing_keys=True)
    assert result["networks"]["wg0"]["missing_keys"] == ["hub1", "spoke1", "spoke2", "spoke3"]
    assert iface(result, "hub1")["peers"] == []


@pytest.mark.parametrize("bad", ["not-a-key", "A" * 43, key(2)[:-1], 12345, "A" * 42 + "=="])
def test_invalid_host_public_key(bad):
    keys = keys_for(["wg0"])
    keys["wg0"]["spoke1"] = bad
    with pytest.raises(PlanError) as exc:
        plan(public_keys=keys)
    assert "host spoke1" in str(exc.value)
    assert "public key" in str(exc.value)


def test_non_canonical_public_key_rejected():
    good = key(2)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    bad = good[:42] + alphabet[alphabet.index(good[42]) ^ 1] + "="
    assert base64.b64decode(bad) == base64.b64decode(good)      # same bytes, padding bits set
    keys = keys_for(["wg0"])
    keys["wg0"]["spoke1"] = bad
    with pytest.raises(PlanError, match="host spoke1"):
        plan(public_keys=keys)


# ================================================================ member_interfaces
def test_member_interfaces():
    networks = {"wg2": {"members": "wireguard_hubs"}, "wg0": {}, "wg1": {"members": ["spoke1", "spoke9"]}}
    assert member_interfaces(networks, GROUPS, "spoke1") == ["wg0", "wg1"]
    assert member_interfaces(networks, GROUPS, "hub1") == ["wg0", "wg2"]
    assert member_interfaces(networks, GROUPS, "outsider") == []


def test_member_interfaces_defaults_and_empty():
    assert member_interfaces({"wg0": {}, "wg1": None}, GROUPS, "hub2", {"members": "two_hubs"}) == ["wg0", "wg1"]
    assert member_interfaces({"wg0": {}}, GROUPS, "hub2") == []
    assert member_interfaces({}, GROUPS, "hub1") == []
    assert member_interfaces(None, GROUPS, "hub1") == []


def test_member_interfaces_unknown_group():
    with pytest.raises(PlanError) as exc:
        member_interfaces({"wg0": {"members": "nope"}}, GROUPS, "hub1")
    assert "wg0" in str(exc.value) and "'nope'" in str(exc.value)


# ================================================================ collect_public_keys
def registered(*items):
    return {"results": [dict(item) for item in items]}


def test_collect_public_keys_merges_stored_with_this_runs_results():
    stored = {"wg0": {"hub1": key(1), "spoke1": key(2)}, "wg1": {"hub1": key(3)}}
    result = collect_public_keys({
        "spoke1": registered({"item": "wg0", "public_key": key(20), "changed": True}),
        "spoke2": registered({"item": "wg0", "public_key": key(30)}, {"item": "wg2", "public_key": key(31)}),
    }, stored)
    assert result == {"wg0": {"hub1": key(1), "spoke1": key(20), "spoke2": key(30)},
                      "wg1": {"hub1": key(3)}, "wg2": {"spoke2": key(31)}}
    # The stored mapping is not modified in place.
    assert stored["wg0"]["spoke1"] == key(2)


def test_collect_public_keys_skips_failed_and_keyless_results():
    stored = {"wg0": {"spoke1": key(2)}}
    result = collect_public_keys({
        "spoke1": registered({"item": "wg0", "public_key": key(20), "failed": True}),
        "spoke2": registered({"item": "wg0", "skipped": True}),
        "spoke3": None,
        "spoke4": {"skipped": True},                               # the whole loop skipped
        "spoke5": registered({"item": "wg0", "public_key": ""}),
    }, stored)
    assert result == {"wg0": {"spoke1": key(2)}}


def test_collect_public_keys_empty_inputs():
    assert collect_public_keys(None) == {}
    assert collect_public_keys({}, None) == {}
    assert collect_public_keys({}, {"wg0": None, "wg1": {"a": key(1)}}) == {"wg1": {"a": key(1)}}


# ================================================================ validation: one test per rule
# Each case: (networks, hostvars changes, words the message must contain).
def _case(changes=None, networks=None, words=(), groups=None, id=None, marks=()):
    return pytest.param(networks or {"wg0": {"range": RANGE}}, changes or {}, groups, list(words), id=id,
                        marks=marks)


MESH = {"wg0": {"range": RANGE, "topology": "mesh"}}
VALIDATION = [
    # --- tunnel addresses
    _case({"spoke2": {"wireguard_address": "10.77.0.2"}},
          words=["host spoke2", "wireguard_address", "10.77.0.2", "already used by spoke1"], id="duplicate-address"),
    _case({"spoke2": {"wireguard_address": "10.77.0.2/24"}},
          words=["host spoke2", "wireguard_address", "already used by spoke1"], id="duplicate-address-with-prefix"),
    _case({"spoke2": {"wireguard_interfaces": {"wg0": {"address": "10.77.0.1"}}}},
          words=["host spoke2", "wireguard_interfaces.wg0.address", "already used by hub1"],
          id="duplicate-address-override"),
    _case({"spoke2": {"wireguard_address": None}},
          words=["host spoke2", "wireguard_address", "not set", "10.77.0.0/24"], id="missing-address"),
    _case({"spoke2": {"wireguard_address": ""}}, words=["host spoke2", "wireguard_address", "not set"],
          id="empty-address"),
    _case({"spoke1": {"wireguard_address": "10.99.0.5"}},
          words=["host spoke1", "wireguard_address", "10.99.0.5", "outside", "10.77.0.0/24", "wg0"],
          id="address-outside-range"),
    _case({"spoke1": {"wireguard_address": "fd77::5"}}, words=["host spoke1", "wireguard_address", "outside"],
          id="address-wrong-family"),
    _case({"spoke1": {"wireguard_address": "not-an-ip"}},
          words=["host spoke1", "wireguard_address", "not-an-ip", "not an IP address"], id="address-not-an-ip"),
    _case({"spoke1": {"wireguard_address": "10.77.0.0"}},
          words=["host spoke1", "wireguard_address", "network or broadcast"], id="network-address"),
    _case({"spoke1": {"wireguard_address": "10.77.0.255"}},
          words=["host spoke1", "wireguard_address", "network or broadcast"], id="broadcast-address"),
    _case({"spoke1": {"wireguard_address": "10.77.0.2/99"}}, words=["host spoke1", "wireguard_address"],
          id="address-bad-prefix-length"),
    # --- LANs
    _case({"spoke3": {"wireguard_lan_subnets": ["192.168.10.0/24"]}},
          words=["host spoke3", "wireguard_lan_subnets", "192.168.10.0/24", "spoke1", "own prefix"],
          id="duplicate-lan"),
    _case({"spoke3": {"wireguard_lan_subnets": ["192.168.0.0/16"]}},
          words=["host spoke3", "wireguard_lan_subnets", "192.168.0.0/16 overlaps 192.168.10.0/24 of host spoke1"],
          id="overlapping-lans"),
    _case({"spoke2": {"wireguard_interfaces": {"wg0": {"lan_subnets": ["192.168.10.128/25"]}}}},
          words=["host spoke2", "wireguard_interfaces.wg0.lan_subnets", "spoke1"], id="overlapping-lans-override"),
    _case({"spoke2": {"wireguard_lan_subnets": ["10.77.0.128/25"]}},
          words=["host spoke2", "wireguard_lan_subnets", "10.77.0.128/25", "overlaps the tunnel range 10.77.0.0/24"],
          id="lan-inside-tunnel-range"),
    _case({"spoke2": {"wireguard_lan_subnets": ["10.0.0.0/8"]}},
          words=["host spoke2", "wireguard_lan_subnets", "tunnel range"], id="lan-around-tunnel-range"),
    _case({"spoke1": {"wireguard_lan_subnets": ["192.168.300.0/24"]}},
          words=["host spoke1", "wireguard_lan_subnets", "192.168.300.0/24", "not a CIDR"], id="lan-malformed"),
    _case({"spoke1": {"wireguard_lan_subnets": ["0.0.0.0/0"]}},
          words=["host spoke1", "wireguard_lan_subnets", "0.0.0.0/0", "egress"], id="lan-default-route-v4"),
    _case({"spoke1": {"wireguard_lan_subnets": ["::/0"]}},
          words=["host spoke1", "wireguard_lan_subnets", "::/0", "egress"], id="lan-default-route-v6"),
    _case({"spoke1": {"wireguard_lan_subnets": ["8.8.8.8/32"]}},
          words=["host spoke1", "wireguard_lan_subnets", "8.8.8.8/32", "not a private range",
                 "wireguard_allow_public_subnets"], id="public-lan"),
    _case({"spoke1": {"wireguard_lan_subnets": ["2600::/32"]}},
          words=["host spoke1", "wireguard_lan_subnets", "2600::/32", "wireguard_allow_public_subnets"],
          id="public-lan-v6"),
    _case({"spoke1": {"wireguard_lan_subnets": ["8.8.8.0/24"], "wireguard_allow_public_subnets": ["8.8.8.8/32"]}},
          words=["host spoke1", "8.8.8.0/24", "wireguard_allow_public_subnets"], id="public-lan-wider-than-allowed"),
    _case({"spoke1": {"wireguard_lan_subnets": ["8.8.8.8/32"]},
           "spoke2": {"wireguard_allow_public_subnets": ["8.8.8.0/24"]}},
          words=["host spoke1", "8.8.8.8/32"], id="public-lan-allowed-on-another-host-only"),
    _case({"spoke1": {"wireguard_interfaces": {"wg0": {"lan_subnets": ["1.1.1.0/24"]}}}},
          # No per-interface allow list, so the flat one applies and is the one to extend.
          words=["host spoke1", "wireguard_interfaces.wg0.lan_subnets", "1.1.1.0/24",
                 "wireguard_allow_public_subnets"], id="public-lan-override"),
    _case({"spoke1": {"wireguard_interfaces": {"wg0": {"lan_subnets": ["1.1.1.0/24"],
                                                       "allow_public_subnets": ["1.1.1.1/32"]}}}},
          words=["host spoke1", "wireguard_interfaces.wg0.allow_public_subnets"], id="public-lan-override-both"),
    _case({"spoke1": {"wireguard_allow_public_subnets": ["bogus"]}},
          words=["host spoke1", "wireguard_allow_public_subnets", "bogus"], id="allow-public-malformed"),
    # --- ports
    _case({"spoke1": {"wireguard_port": 0}}, words=["host spoke1", "wireguard_port", "1-65535"], id="port-zero"),
    _case({"spoke1": {"wireguard_port": 65536}}, words=["host spoke1", "wireguard_port", "1-65535"],
          id="port-too-big"),
    _case({"spoke1": {"wireguard_port": "abc"}}, words=["host spoke1", "wireguard_port", "abc"], id="port-text"),
    _case({"spoke1": {"wireguard_port": [51820]}}, words=["host spoke1", "wireguard_port"], id="port-list"),
    _case({"spoke1": {"wireguard_port": 1.5}}, words=["host spoke1", "wireguard_port"], id="port-fraction"),
    _case({"spoke1": {"wireguard_interfaces": {"wg0": {"port": "x"}}}},
          words=["host spoke1", "wireguard_interfaces.wg0.port"], id="port-override"),
    _case(networks={"wg0": {"range": RANGE, "port": "abc"}}, words=["port", "'abc'", "1-65535"],
          id="network-port-text"),
    _case(networks={"wg0": {"range": RANGE, "port": "abc"}}, words=["network wg0", "port"],
          id="network-port-names-the-network"),
    # --- keepalive
    _case({"spoke1": {"wireguard_persistent_keepalive": "often"}},
          words=["host spoke1", "wireguard_persistent_keepalive", "often"], id="keepalive-text"),
    _case({"spoke1": {"wireguard_persistent_keepalive": 70000}},
          words=["host spoke1", "wireguard_persistent_keepalive", "0-65535"], id="keepalive-too-big"),
    # --- endpoints
    _case({"hub1": {"wireguard_endpoint": "hub1.example.com:70000"}},
          words=["host hub1", "wireguard_endpoint", "70000", "1-65535"], id="endpoint-port-too-big"),
    _case({"hub1": {"wireguard_endpoint": "hub1.example.com:0"}}, words=["host hub1", "wireguard_endpoint"],
          id="endpoint-port-zero"),
    _case({"hub1": {"wireguard_endpoint": "hub1.example.com:https"}},
          words=["host hub1", "wireguard_endpoint", "not a number"], id="endpoint-port-name"),
    _case({"hub1": {"wireguard_endpoint": "hub1.example.com:\u00b2"}}, words=["host hub1", "wireguard_endpoint"],
          id="endpoint-port-superscript-digit"),
    _case({"hub1": {"wireguard_endpoint": ":51820"}}, words=["host hub1", "wireguard_endpoint", "empty host"],
          id="endpoint-no-host"),
    _case({"hub1": {"wireguard_endpoint": "2001:db8::1:51820"}},
          words=["host hub1", "wireguard_endpoint", "2001:db8::1:51820", "[address]:port"],
          id="endpoint-ipv6-with-port-without-brackets"),
    _case({"hub1": {"wireguard_endpoint": "2001:db8::1"}},
          words=["host hub1", "wireguard_endpoint", "2001:db8::1", "brackets"], id="endpoint-ipv6-without-brackets"),
    _case({"hub1": {"wireguard_endpoint": "2001:db8::1:4500"}},
          words=["host hub1", "wireguard_endpoint", "[address]:port"], id="endpoint-ipv6-short-port-no-brackets"),
    _case({"hub1": {"wireguard_endpoint": "[2001:db8::1]51820"}},
          words=["host hub1", "wireguard_endpoint", "[address]:port"], id="endpoint-no-colon-after-bracket"),
    _case({"hub1": {"wireguard_endpoint": "[2001:db8::1"}}, words=["host hub1", "wireguard_endpoint", "]"],
          id="endpoint-unclosed-bracket"),
    _case({"hub1": {"wireguard_endpoint": "[not-v6:x]:51820"}}, words=["host hub1", "wireguard_endpoint"],
          id="endpoint-bracketed-garbage"),
    _case({"hub1": {"wireguard_endpoint": "a:b:c"}}, words=["host hub1", "wireguard_endpoint"],
          id="endpoint-too-many-colons"),
    # --- hubs and reachability
    _case(networks={"wg0": {"range": RANGE, "hubs": "empty"}}, groups=dict(GROUPS, empty=[]),
          words=["no hub", "wg0", "hub_and_spoke", "'wireguard'", "'empty'"], id="hub-and-spoke-without-hub"),
    _case(networks={"wg0": {"range": RANGE, "topology": "hybrid", "hubs": "no-such-group"}},
          words=["no hub", "wg0", "hybrid", "'no-such-group'"], id="hybrid-hub-group-missing"),
    _case(networks={"wg0": {"range": RANGE, "hubs": ["outsider"]}}, words=["no hub", "wg0"],
          id="hubs-not-among-members"),
    _case(networks={"wg0": {"range": RANGE, "hubs": []}}, words=["no hub", "wg0", "hubs"],
          id="hub-list-empty-names-variable"),
    _case({"hub1": {"wireguard_endpoint": None}}, words=["host hub1", "wireguard_endpoint", "hub", "NAT"],
          id="hub-without-endpoint"),
    _case({"hub1": {"wireguard_endpoint": ""}}, networks={"wg0": {"range": RANGE, "topology": "hybrid"}},
          words=["host hub1", "wireguard_endpoint"], id="hybrid-hub-without-endpoint"),
    _case({"hub1": {"wireguard_interfaces": {"wg0": {"endpoint": ""}}}},
          words=["host hub1", "wireguard_interfaces.wg0.endpoint"], id="hub-endpoint-override-empty"),
    _case(networks=MESH, words=["spoke1", "spoke2", "behind NAT", "wireguard_endpoint", "hybrid"],
          id="mesh-two-hosts-behind-nat"),
    # --- network definition
    _case(networks={"wg0": {"range": RANGE, "topology": "star"}}, words=["wg0", "'star'", "hub_and_spoke"],
          id="unknown-topology"),
    _case(networks={"wg0": {}}, words=["wg0", "range"], id="no-range"),
    _case(networks={"wg0": {"range": "10.77.0.1/24"}}, words=["wg0", "range", "10.77.0.1/24"],
          id="range-host-bits"),
    _case(networks={"wg0": {"range": "banana"}}, words=["wg0", "range", "banana"], id="range-malformed"),
    _case(networks={"wg0": {"range": RANGE, "members": "nope"}}, words=["wg0", "'nope'", "does not exist"],
          id="members-group-missing"),
    _case(networks={"wg0": {"range": RANGE, "members": "empty"}}, groups=dict(GROUPS, empty=[]),
          words=["wg0", "no members", "'empty'"], id="members-group-empty"),
    _case(networks={"wg0": {"range": RANGE, "members": ["hub1", "ghost"]}}, words=["wg0", "'ghost'"],
          id="member-not-in-inventory"),
    _case({"spoke1": {"wireguard_interfaces": ["wg0"]}}, words=["wireguard_interfaces", "mapping"],
          id="wireguard-interfaces-not-a-mapping"),
    _case({"spoke1": {"wireguard_interfaces": ["wg0"]}}, words=["spoke1"],
          id="wireguard-interfaces-not-a-mapping-names-host"),
    # --- egress
    _case(networks={"wg0": {"range": RANGE, "egress": {"gateway": "outsider"}}},
          words=["wg0", "egress gateway", "'outsider'", "not a member"], id="egress-gateway-not-member"),
    _case(networks={"wg0": {"range": RANGE, "egress": {"gateway": "spoke3"}}},
          words=["wg0", "host spoke1", "egress gateway spoke3", "make the gateway a hub"],
          id="egress-gateway-not-direct-peer"),
    _case(networks={"wg0": {"range": RANGE, "topology": "hybrid", "egress": {"gateway": "spoke3"}}},
          words=["wg0", "host spoke1", "spoke3", "hub"], id="egress-gateway-not-direct-peer-hybrid"),
    _case(networks={"wg0": {"range": RANGE, "egress": {"gateway": "hub1", "members": ["spoke1", "nobody"]}}},
          words=["wg0", "egress member", "'nobody'"], id="egress-member-unknown"),
    _case(networks={"wg0": {"range": RANGE, "egress": {"gateway": "hub1", "members": ["hub1"]}}},
          words=["wg0", "host hub1", "itself"], id="egress-member-is-gateway"),
    # --- clients
    _case(networks={"wg0": {"range": RANGE, "clients": {"phone": {"address": "10.77.0.50", "public_key": "bad"}}}},
          words=["client phone", "wireguard_networks.wg0.clients.phone.public_key", "not a valid"],
          id="client-bad-key"),
    _case(networks={"wg0": {"range": RANGE, "clients": {"phone": {"address": "10.77.0.2"}}}},
          words=["phone", "wireguard_networks.wg0.clients.phone.address", "already used by spoke1"],
          id="client-duplicate-address"),
    _case(networks={"wg0": {"range": RANGE, "clients": {"phone": {"address": "10.99.0.2"}}}},
          words=["phone", "wireguard_networks.wg0.clients.phone.address", "outside"], id="client-outside-range"),
    _case(networks={"wg0": {"range": RANGE, "clients": {"phone": {}}}},
          words=["phone", "wireguard_networks.wg0.clients.phone.address", "not set"], id="client-no-address"),
    _case(networks={"wg0": {"range": RANGE, "clients": {"spoke1": {"address": "10.77.0.50"}}}},
          words=["wg0", "client 'spoke1'", "inventory host"], id="client-named-like-member"),
    _case(networks={"wg0": {"range": RANGE, "clients": {"outsider": {"address": "10.77.0.50"}}}},
          words=["client 'outsider'", "inventory host"], id="client-named-like-non-member-host"),
    _case(networks={"wg0": {"range": RANGE, "topology": "mesh", "hubs": [], "clients": {"phone": PHONE}}},
          changes={"spoke2": {"wireguard_endpoint": "spoke2.example.net"}},
          words=["no hub", "wg0", "client"], id="client-in-mesh-without-hub"),
]


@pytest.mark.parametrize("networks,changes,groups,words", VALIDATION)
def test_validation_message_names_host_variable_and_fix(networks, changes, groups, words):
    hostvars = hostvars_with(**changes)
    with pytest.raises(PlanError) as exc:
        plan(copy.deepcopy(networks), hostvars, groups)
    for word in words:
        assert word in str(exc.value), (word, str(exc.value))


@pytest.mark.parametrize("name", ["wg 0", "", "wg0wg0wg0wg0wg0x", "wg/0", "wg:0", "wg\u00e90"])
def test_bad_interface_name(name):
    with pytest.raises(PlanError) as exc:
        plan({name: {"range": RANGE}})
    assert "interface name" in str(exc.value)


@pytest.mark.parametrize("name", [".", ".."])
def test_dot_interface_names_refused(name):
    with pytest.raises(PlanError):
        plan({name: {"range": RANGE}})


@pytest.mark.parametrize("networks", [{}, None, ["wg0"]])
def test_no_networks(networks):
    with pytest.raises(PlanError, match="wireguard_networks"):
        plan_networks(HOSTVARS, networks, GROUPS, {})


def test_public_lan_allowed_when_listed():
    hostvars = hostvars_with(spoke1={"wireguard_lan_subnets": ["192.168.10.0/24", "8.8.8.8/32"],
                                     "wireguard_allow_public_subnets": ["8.8.8.0/24"]})
    result = plan(hostvars=hostvars)
    assert allowed(result, "hub1", "spoke1") == ["8.8.8.8/32", "10.77.0.2/32", "192.168.10.0/24"]
    assert "8.8.8.8/32" in allowed(result, "spoke2", "hub1")


def test_public_lan_allowed_per_interface():
    hostvars = hostvars_with(spoke1={"wireguard_interfaces": {"wg0": {"lan_subnets": ["2600::/48"],
                                                                      "allow_public_subnets": ["2600::/32"]}}})
    result = plan(hostvars=hostvars)
    assert "2600::/48" in allowed(result, "hub1", "spoke1")


@pytest.mark.parametrize("lan", ["10.1.0.0/16", "172.20.0.0/16", "192.168.99.0/24", "100.64.5.0/24",
                                 "169.254.10.0/24", "fd00:1::/64", "fe80::/64"])
def test_private_lans_need_no_allow_list(lan):
    result = plan(hostvars=hostvars_with(spoke2={"wireguard_lan_subnets": [lan]}))
    assert lan in allowed(result, "hub1", "spoke2")


def test_lan_with_host_bits_is_normalized():
    result = plan(hostvars=hostvars_with(spoke2={"wireguard_lan_subnets": "192.168.20.7/24"}))
    assert allowed(result, "hub1", "spoke2") == ["10.77.0.3/32", "192.168.20.0/24"]


def test_same_port_on_two_networks_of_one_host():
    hostvars = two_networks_hostvars()
    del hostvars["spoke1"]["wireguard_interfaces"]["wg1"]["port"]
    with pytest.raises(PlanError) as exc:
        plan(TWO_NETWORKS, hostvars)
    msg = str(exc.value)
    for word in ("host spoke1", "wg0", "wg1", "51820", "port", "wireguard_interfaces.wg1.port"):
        assert word in msg, (word, msg)


def test_same_port_on_two_networks_fixed_by_the_network_port():
    hostvars = two_networks_hostvars()
    del hostvars["spoke1"]["wireguard_interfaces"]["wg1"]["port"]
    networks = copy.deepcopy(TWO_NETWORKS)
    networks["wg1"]["port"] = 51821
    result = plan(networks, hostvars)
    assert iface(result, "spoke1", "wg1")["listen_port"] == 51821


def test_same_port_on_two_hosts_is_fine():
    result = plan()
    assert set(iface(result, h)["listen_port"] for h in ("hub1", "spoke1")) == {51820}


def test_plan_error_is_a_value_error():
    assert issubclass(PlanError, ValueError)
    assert _topology.PlanError is PlanError


def test_egress_members_may_be_a_group_name():
    groups = dict(GROUPS, roaming=["spoke1"])
    result = plan(networks={"wg0": {"range": RANGE, "egress": {"gateway": "hub1", "members": "roaming"}}},
                  groups=groups)
    assert "0.0.0.0/0" in peers(result, "spoke1")["hub1"]["allowed_ips"]
    assert "0.0.0.0/0" not in peers(result, "spoke2")["hub1"]["allowed_ips"]


def test_host_interfaces_peers_as_json_carries_the_same_peers():
    result = plan()
    for host in sorted(result["networks"]["wg0"]["members"]):
        as_list = host_interfaces(result, host)
        as_json = host_interfaces(json.dumps(result), host, peers_as_json=True)
        assert [isinstance(i["peers"], str) for i in as_json] == [True] * len(as_list)
        assert [json.loads(i["peers"]) for i in as_json] == [i["peers"] for i in as_list]
        assert [dict(i, peers=None) for i in as_json] == [dict(i, peers=None) for i in as_list]
        assert [_topology.interface_peers(i) for i in as_json] == [i["peers"] for i in as_list]
