# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The network filters: thin wrappers over plugin_utils._topology that turn
PlanError into AnsibleFilterError."""

from __future__ import annotations

import importlib
import os

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.wgnet.wireguard.plugins.filter import network
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology

HUB_KEY = "ERERERERERERERERERERERERERERERERERERERERERE="
SPOKE_KEY = "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI="
HOSTVARS = {
    "hub": {"wireguard_address": "10.77.0.1", "wireguard_endpoint": "hub.example.com"},
    "spoke": {"wireguard_address": "10.77.0.2", "wireguard_lan_subnets": ["192.168.2.0/24"]},
}
GROUPS = {"wireguard": ["hub", "spoke"], "wireguard_hubs": ["hub"]}
NETWORKS = {"wg0": {"range": "10.77.0.0/24"}}
KEYS = {"wg0": {"hub": HUB_KEY, "spoke": SPOKE_KEY}}
FILTERS = ["wg_host_interfaces", "wg_host_routes", "wg_network_plan"]
FILTER_DIR = os.path.dirname(network.__file__)


def test_planner_filters_are_registered():
    filters = network.FilterModule().filters()
    assert set(FILTERS) <= set(filters)
    for name, func in filters.items():
        assert func is getattr(network, name)
        assert func.__name__ == name
        assert func.__doc__


@pytest.mark.parametrize("name", sorted(network.FilterModule().filters()))
def test_each_filter_is_documented(name):
    # ansible-doc reads <name>.yml beside the plugin file.
    with open(os.path.join(FILTER_DIR, name + ".yml")) as handle:
        doc = yaml.safe_load(handle)
    assert doc["DOCUMENTATION"]["name"] == name
    assert "_input" in doc["DOCUMENTATION"]["options"]
    assert doc["EXAMPLES"] and "_value" in doc["RETURN"]
    assert "wgnet.wireguard.%s" % name in doc["EXAMPLES"]


def test_network_plan_equals_the_planner():
    result = network.wg_network_plan(HOSTVARS, NETWORKS, GROUPS, KEYS)
    assert result == _topology.plan_networks(HOSTVARS, NETWORKS, GROUPS, KEYS)
    assert result["networks"]["wg0"]["hubs"] == ["hub"]


def test_network_plan_passes_allow_missing_keys_and_defaults():
    result = network.wg_network_plan(HOSTVARS, {"wg0": {}}, GROUPS, None, True,
                                     {"range": "10.77.0.0/24", "port": 51999})
    net = result["networks"]["wg0"]
    assert net["missing_keys"] == ["hub", "spoke"]
    assert net["members"]["hub"]["port"] == 51999
    result = network.wg_network_plan(HOSTVARS, NETWORKS, GROUPS, allow_missing_keys=True)
    assert result["networks"]["wg0"]["missing_keys"] == ["hub", "spoke"]


def test_host_interfaces_and_routes():
    plan = network.wg_network_plan(HOSTVARS, NETWORKS, GROUPS, KEYS)
    (spoke,) = network.wg_host_interfaces(plan, "spoke")
    assert spoke["interface"] == "wg0"
    # Two members: the spoke peers with everyone directly, so the hub carries no range.
    assert spoke["peers"] == [{"name": "hub", "public_key": HUB_KEY, "allowed_ips": ["10.77.0.1/32"],
                               "endpoint": "hub.example.com:51820", "persistent_keepalive": 25}]
    assert network.wg_host_interfaces(plan, "hub") == _topology.host_interfaces(plan, "hub")
    assert network.wg_host_routes(plan, "hub") == {"wg0": ["192.168.2.0/24"]}
    assert network.wg_host_routes(plan, "spoke") == {"wg0": []}
    assert network.wg_host_interfaces(plan, "nobody") == []


@pytest.mark.parametrize("call,message", [
    (lambda: network.wg_network_plan(HOSTVARS, NETWORKS, GROUPS),
     "wgnet.wireguard: network wg0: the public keys of hub, spoke are not known yet"),
    (lambda: network.wg_network_plan(dict(HOSTVARS, spoke={"wireguard_address": "10.77.0.1"}), NETWORKS,
                                     GROUPS, KEYS),
     "wgnet.wireguard: host spoke: wireguard_address 10.77.0.1 is already used by hub"),
    (lambda: network.wg_network_plan(HOSTVARS, {}, GROUPS, KEYS), "wgnet.wireguard: wireguard_networks"),
    (lambda: network.wg_network_plan(HOSTVARS, {"wg0": {"members": "nope"}}, GROUPS, KEYS),
     "wgnet.wireguard: network wg0 members: inventory group 'nope' does not exist"),
])
def test_plan_error_becomes_filter_error(call, message):
    with pytest.raises(AnsibleFilterError) as exc:
        call()
    assert str(exc.value).startswith(message), str(exc.value)
    assert not isinstance(exc.value, _topology.PlanError)


def test_other_errors_are_not_swallowed():
    # Only PlanError is translated; a programming error keeps its type.
    with pytest.raises(KeyError):
        network.wg_host_interfaces({}, "hub")


def test_only_user_facing_filters_are_public():
    # Role plumbing lives in action plugins and plugin_utils, not in filters.
    names = set()
    for fname in os.listdir(FILTER_DIR):
        if fname.endswith(".yml"):
            names.add(fname[:-4])
    public = {"wg_network_plan", "wg_host_interfaces", "wg_host_routes", "wg_play_hosts", "wg_plan_report"}
    assert names == public
    # What the filter plugins register, not only what is documented.
    registered = set()
    for fname in os.listdir(FILTER_DIR):
        if fname.endswith(".py") and not fname.startswith("_"):
            module = importlib.import_module("ansible_collections.wgnet.wireguard.plugins.filter." + fname[:-3])
            registered.update(module.FilterModule().filters())
    assert registered == public
