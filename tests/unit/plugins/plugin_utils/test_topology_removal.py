# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Removing hosts and rotating keys in the planner: members marked
wireguard_state: absent leave every peer list and every check, and the
recorded public keys follow the plan (plan_public_keys)."""

from __future__ import annotations

import base64
import copy
import json

import pytest

from ansible_collections.wgnet.wireguard.plugins.filter import network
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import PlanError
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import collect_public_keys
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import host_interfaces
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import plan_networks
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import plan_public_keys


def key(i):
    return base64.b64encode(bytes([i % 256, i // 256]) * 16).decode("ascii")


HOSTVARS = {
    "hub1": {"wireguard_address": "10.77.0.1", "wireguard_endpoint": "hub1.example.com"},
    "hub2": {"wireguard_address": "10.77.0.254", "wireguard_endpoint": "hub2.example.com"},
    "spoke1": {"wireguard_address": "10.77.0.2", "wireguard_lan_subnets": ["192.168.10.0/24"]},
    "spoke2": {"wireguard_address": "10.77.0.3"},
    "spoke3": {"wireguard_address": "10.77.0.4", "wireguard_endpoint": "198.51.100.4"},
}
GROUPS = {"wireguard": ["hub1", "spoke1", "spoke2", "spoke3"], "wireguard_hubs": ["hub1"],
          "two_hubs": ["hub1", "hub2"], "five": ["hub1", "hub2", "spoke1", "spoke2", "spoke3"]}
KEYS = dict((name, key(i + 1)) for i, name in enumerate(sorted(HOSTVARS)))
NET = {"wg0": {"range": "10.77.0.0/24"}}


def with_vars(**changes):
    hostvars = copy.deepcopy(HOSTVARS)
    for host, variables in changes.items():
        hostvars[host].update(variables)
    return hostvars


def absent(*hosts, **more):
    changes = dict((h, {"wireguard_state": "absent"}) for h in hosts)
    for host, variables in more.items():
        changes.setdefault(host, {}).update(variables)
    return with_vars(**changes)


def plan(hostvars=None, networks=None, groups=None, keys=None, **kw):
    networks = NET if networks is None else networks
    keys = dict((i, dict(KEYS)) for i in networks) if keys is None else keys
    return plan_networks(HOSTVARS if hostvars is None else hostvars, networks, GROUPS if groups is None else groups,
                         keys, **kw)


def peer_names(result, host, interface="wg0"):
    found = [p for p in host_interfaces(result, host) if p["interface"] == interface]
    assert len(found) == 1, (host, found)
    return [p["name"] for p in found[0]["peers"]]


# ================================================================ absent members
def test_absent_spoke_leaves_every_peer_list():
    result = plan(absent("spoke2"))
    net = result["networks"]["wg0"]
    assert net["order"] == ["hub1", "spoke1", "spoke3"]
    assert net["absent"] == ["spoke2"]
    assert "spoke2" not in net["members"]
    assert peer_names(result, "hub1") == ["spoke1", "spoke3"]
    assert host_interfaces(result, "spoke2") == []


def test_absent_members_keep_the_relay_allowed_ips_of_the_others():
    before = plan()
    after = plan(absent("spoke2"))
    for host in ("spoke1", "spoke3"):
        assert host_interfaces(before, host) == host_interfaces(after, host), host


def test_present_is_the_default_and_explicit_present_changes_nothing():
    explicit = with_vars(**dict((h, {"wireguard_state": "present"}) for h in HOSTVARS))
    assert plan(explicit) == plan()
    assert plan()["networks"]["wg0"]["absent"] == []


def test_absent_member_counts_for_no_validation():
    """The absent host may already share its address, LAN or port with its
    replacement, and may have no address at all any more."""
    hostvars = absent("spoke2", spoke2={"wireguard_address": "10.77.0.2",          # spoke1's address
                                        "wireguard_lan_subnets": ["192.168.10.0/24"]})
    assert plan(hostvars)["networks"]["wg0"]["order"] == ["hub1", "spoke1", "spoke3"]
    hostvars = absent("spoke2", spoke2={"wireguard_address": "", "wireguard_port": "not a port"})
    assert "spoke2" not in plan(hostvars)["networks"]["wg0"]["members"]


def test_absent_member_needs_no_key():
    keys = {"wg0": dict((h, k) for h, k in KEYS.items() if h != "spoke2")}
    result = plan(absent("spoke2"), keys=keys)
    assert result["networks"]["wg0"]["missing_keys"] == []


def test_absent_second_hub_leaves_the_first():
    networks = {"wg0": {"range": "10.77.0.0/24", "members": "five", "hubs": "two_hubs"}}
    result = plan(absent("hub2"), networks=networks)
    net = result["networks"]["wg0"]
    assert net["hubs"] == ["hub1"]
    assert "hub2" not in peer_names(result, "spoke1")


def test_spoke_whose_only_hub_is_absent_fails_naming_the_hub():
    with pytest.raises(PlanError) as err:
        plan(absent("hub1"))
    msg = str(err.value)
    assert "network wg0: no hub" in msg
    assert "hub1" in msg and "wireguard_state: absent" in msg


def test_mesh_member_absent_needs_no_hub():
    networks = {"wg0": {"range": "10.77.0.0/24", "topology": "mesh", "members": ["hub1", "hub2", "spoke3"]}}
    result = plan(absent("hub1"), networks=networks)
    assert peer_names(result, "hub2") == ["spoke3"]


def test_every_member_absent_plans_nothing_and_checks_nothing():
    """Tearing a whole network down is a plan with no members, not an error."""
    hostvars = absent("hub1", "spoke1", "spoke2", "spoke3", spoke1={"wireguard_address": ""})
    result = plan(hostvars, keys={})
    net = result["networks"]["wg0"]
    assert net["members"] == {} and net["order"] == [] and net["hubs"] == []
    assert sorted(net["absent"]) == ["hub1", "spoke1", "spoke2", "spoke3"]
    assert all(host_interfaces(result, h) == [] for h in HOSTVARS)
    assert plan_public_keys(result) == {}


def test_absent_egress_gateway_fails_clearly():
    networks = {"wg0": {"range": "10.77.0.0/24", "members": "five", "hubs": "two_hubs",
                        "egress": {"gateway": "hub2"}}}
    with pytest.raises(PlanError, match="egress gateway hub2 is marked wireguard_state: absent"):
        plan(absent("hub2"), networks=networks)


def test_absent_egress_member_is_dropped_from_the_egress_list():
    networks = {"wg0": {"range": "10.77.0.0/24", "egress": {"gateway": "hub1", "members": ["spoke1", "spoke2"]}}}
    result = plan(absent("spoke2"), networks=networks)
    assert result["networks"]["wg0"]["egress_members"] == ["spoke1"]


def test_absent_in_one_network_only_through_per_host_state_is_global():
    """wireguard_state is per host: an absent host leaves all its networks."""
    networks = {"wg0": {"range": "10.77.0.0/24"},
                "wg1": {"range": "10.88.0.0/24", "port": 51821, "topology": "mesh",
                        "members": ["hub1", "spoke3"]}}
    hostvars = absent("spoke3", spoke3={"wireguard_interfaces": {"wg1": {"address": "10.88.0.4"}}},
                      hub1={"wireguard_interfaces": {"wg1": {"address": "10.88.0.1"}}})
    result = plan(hostvars, networks=networks)
    assert host_interfaces(result, "spoke3") == []
    assert result["networks"]["wg1"]["order"] == ["hub1"]
    assert peer_names(result, "hub1", "wg1") == []


@pytest.mark.parametrize("state", ["gone", "Absent", True])
def test_unknown_state_refused(state):
    with pytest.raises(PlanError, match=r"host spoke2: wireguard_state .* must be present or absent"):
        plan(with_vars(spoke2={"wireguard_state": state}))


def test_absent_through_the_filter():
    result = network.wg_network_plan(absent("spoke1"), NET, GROUPS, {"wg0": KEYS})
    assert result["networks"]["wg0"]["absent"] == ["spoke1"]


# ================================================================ recorded keys
def test_plan_public_keys_are_the_present_members_keys():
    result = plan(absent("spoke2"))
    assert plan_public_keys(result) == {"wg0": dict((h, KEYS[h]) for h in ("hub1", "spoke1", "spoke3"))}
    assert plan_public_keys(json.dumps(result)) == plan_public_keys(result)


def test_host_deleted_from_inventory_is_pruned_from_the_recorded_keys():
    """The stored file still has spoke2's key; spoke2 left the group: its
    key is neither a peer anywhere nor recorded again."""
    stored = {"wg0": dict(KEYS), "wg9": {"old": key(99)}}
    groups = dict(GROUPS, wireguard=["hub1", "spoke1", "spoke3"])
    hostvars = dict((h, v) for h, v in HOSTVARS.items() if h != "spoke2")
    known = collect_public_keys({}, stored)
    result = plan_networks(hostvars, NET, groups, known)
    assert all("spoke2" not in peer_names(result, h) for h in ("hub1", "spoke1", "spoke3"))
    recorded = plan_public_keys(result)
    assert recorded == {"wg0": {"hub1": KEYS["hub1"], "spoke1": KEYS["spoke1"], "spoke3": KEYS["spoke3"]}}


def test_plan_public_keys_leave_out_unknown_keys():
    keys = {"wg0": {"hub1": KEYS["hub1"]}}
    result = plan(keys=keys, allow_missing_keys=True)
    assert plan_public_keys(result) == {"wg0": {"hub1": KEYS["hub1"]}}


def test_rotated_key_replaces_the_peer_with_the_same_allowed_ips():
    """A rotated hub: this run's wg_key result wins over the stored key, and
    every spoke gets the new key with unchanged AllowedIPs and endpoint."""
    stored = {"wg0": dict(KEYS)}
    new = key(500)
    known = collect_public_keys({"hub1": {"results": [{"item": "wg0", "public_key": new, "rotated": True}]}}, stored)
    before = plan(keys=stored)
    after = plan(keys=known)
    for spoke in ("spoke1", "spoke2", "spoke3"):
        old_peer = host_interfaces(before, spoke)[0]["peers"][0]
        new_peer = host_interfaces(after, spoke)[0]["peers"][0]
        assert old_peer["public_key"] == KEYS["hub1"] and new_peer["public_key"] == new
        assert dict(old_peer, public_key=new) == new_peer
    assert plan_public_keys(after)["wg0"]["hub1"] == new
