# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The wg_network_plan filter: a thin wrapper over plugin_utils._topology."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wgnet.wireguard.plugins.filter import network

HUB_KEY = "ERERERERERERERERERERERERERERERERERERERERERE="
SPOKE_KEY = "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI="
HOSTVARS = {
    "hub": {"wireguard_address": "10.77.0.1", "wireguard_endpoint": "hub.example.com"},
    "spoke": {"wireguard_address": "10.77.0.2"},
}
NETWORK = {"ranges": ["10.77.0.0/24"], "members": ["hub", "spoke"], "hubs": ["hub"]}


def test_filter_is_registered():
    assert network.FilterModule().filters() == {"wg_network_plan": network.wg_network_plan}


def test_filter_plans():
    result = network.wg_network_plan(HOSTVARS, NETWORK, {"hub": HUB_KEY, "spoke": SPOKE_KEY})
    assert result["hosts"]["spoke"]["peers"][0]["public_key"] == HUB_KEY
    assert result["hosts"]["hub"]["interface"] == "wg0"


def test_filter_turns_plan_error_into_filter_error():
    with pytest.raises(AnsibleFilterError) as exc:
        network.wg_network_plan(HOSTVARS, NETWORK)     # public_keys defaults to none known
    assert str(exc.value).startswith("wgnet.wireguard: network wg0: the public keys of hub, spoke")


def test_filter_allow_missing_keys():
    result = network.wg_network_plan(HOSTVARS, NETWORK, None, True)
    assert result["missing_keys"] == ["hub", "spoke"]
    assert result["hosts"]["hub"]["peers"] == []
