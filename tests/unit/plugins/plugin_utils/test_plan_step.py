# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The wg_plan action's pieces, the wg_interface action's PSK derivation and
the one filter error wrapper."""

from __future__ import annotations

import json

import pytest
import yaml
from ansible.errors import AnsibleActionFail, AnsibleFilterError

from ansible_collections.wgnet.wireguard.plugins.action import wg_interface as wg_interface_action
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _plan_step
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _psk
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._filter_errors import filter_errors

HUB = "ERERERERERERERERERERERERERERERERERERERERERE="
SPOKE = "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI="
NEW = "MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM="
PHONE = "REREREREREREREREREREREREREREREREREREREREREQ="
HOSTVARS = {"hub": {"wireguard_address": "10.77.0.1", "wireguard_endpoint": "hub.example.com"},
            "spoke": {"wireguard_address": "10.77.0.2"}}
GROUPS = {"wireguard": ["hub", "spoke"], "wireguard_hubs": ["hub"]}
NETWORKS = {"wg0": {"range": "10.77.0.0/24"}}


def test_registered_keys_win_and_client_keys_are_added():
    registered = {"spoke": {"results": [{"item": "wg0", "public_key": NEW, "rotated": True}]},
                  "hub": {"results": [{"item": "wg0", "public_key": HUB}]}}
    keys = _plan_step.known_keys(registered, {"wg0": {"hub": HUB, "spoke": SPOKE}}, {"wg0": {"phone": PHONE}})
    assert keys == {"wg0": {"hub": HUB, "spoke": NEW, "phone": PHONE}}
    assert _plan_step.rotated_hosts(registered) == ["spoke"]
    assert _plan_step.rotated_hosts({"hub": {"skipped": True}}) == []


def test_a_routers_key_script_output_is_read_into_wg_keys_shape():
    registered = _plan_step.registered_keys({
        "router": {"results": [{"item": "wg0", "stdout": "interface=wg0\npublic_key=%s\nchanged=1\nrotated=1\n"
                                                         "rotation_id=r1\n" % NEW, "changed": True}]},
        "hub": {"results": [{"item": "wg0", "public_key": HUB}]}})
    assert registered["hub"] == {"results": [{"item": "wg0", "public_key": HUB}]}
    assert _plan_step.known_keys(registered, {}) == {"wg0": {"hub": HUB, "router": NEW}}
    assert _plan_step.rotated_hosts(registered) == ["router"]
    with pytest.raises(ValueError, match="host router: interface wg0: the router printed 'nope'"):
        _plan_step.registered_keys({"router": {"results": [{"item": "wg0", "stdout": "public_key=nope\n"}]}})


@pytest.mark.parametrize("text,words", [
    ("wg0:\n  hub: [unclosed\n", ["is not valid YAML at line 3", "expected ',' or ']'"]),
    ("wg0:\n\thub: key\n", ["is not valid YAML at line 2, column 1", "'\\t'"]),
    ("wg0: [a, b]\n", ["its entry 'wg0' holds a list"]),
    ("- a\n", ["it holds a list"]),
])
def test_a_broken_record_names_the_file_what_is_wrong_and_the_fix(tmp_path, text, words):
    path = tmp_path / "wireguard_public_keys.yml"
    path.write_text(text)
    with pytest.raises(_topology.PlanError) as exc:
        _plan_step.recorded_keys(str(path))
    message = str(exc.value)
    for word in [str(path), "wireguard_public_key_file", "delete it", "without --limit"] + words:
        assert word in message, message


def test_a_broken_clients_keys_file_names_itself_and_its_own_fix(tmp_path):
    path = tmp_path / "public_keys.yml"
    path.write_text("wg0:\n  phone: [unclosed\n")
    with pytest.raises(_topology.PlanError) as exc:
        _plan_step.recorded_keys(str(path), "the clients' public keys file", _plan_step.CLIENT_KEYS_FIX)
    message = str(exc.value)
    assert message.startswith("the clients' public keys file %s is not valid YAML at line 3" % path), message
    assert "wireguard_clients_dir" in message and "without --limit" not in message


def test_a_missing_or_empty_record_records_nothing(tmp_path):
    assert _plan_step.recorded_keys(str(tmp_path / "none.yml")) == {}
    (tmp_path / "empty.yml").write_text("---\n# nothing yet\n")
    assert _plan_step.recorded_keys(str(tmp_path / "empty.yml")) == {}
    (tmp_path / "keys.yml").write_text(_plan_step.RECORD_HEADER + "wg0:\n    hub: %s\n" % HUB)
    assert _plan_step.recorded_keys(str(tmp_path / "keys.yml")) == {"wg0": {"hub": HUB}}
    with pytest.raises(_topology.PlanError, match="cannot be read"):
        _plan_step.recorded_keys(str(tmp_path))


def test_record_is_the_plan_public_keys_as_yaml():
    plan = _topology.plan_networks(HOSTVARS, NETWORKS, GROUPS, {"wg0": {"hub": HUB, "spoke": SPOKE}})
    text = _plan_step.record_text(plan)
    assert text.startswith(_plan_step.RECORD_HEADER)
    assert yaml.safe_load(text) == {"wg0": {"hub": HUB, "spoke": SPOKE}}
    assert json.loads(_plan_step.dumps(plan)) == json.loads(json.dumps(plan))


def test_missing_keys():
    plan = _topology.plan_networks(HOSTVARS, NETWORKS, GROUPS, {"wg0": {"hub": HUB}}, allow_missing_keys=True)
    assert _plan_step.missing_keys(plan) == {"wg0": ["spoke"]}


def test_the_action_derives_the_same_psk_on_both_ends():
    master = "a-long-master-secret-for-tests"
    peers_json = json.dumps([{"public_key": SPOKE, "allowed_ips": []}])
    on_hub = _psk.peer_psks(master, "wg0", HUB, wg_interface_action.wanted_peers({"peers_json": peers_json}))
    on_spoke = _psk.peer_psks(master, "wg0", SPOKE, wg_interface_action.wanted_peers(
        {"peers": [{"public_key": HUB}]}))
    assert on_hub[SPOKE] == on_spoke[HUB] == _psk.derive_psk(master, "wg0", HUB, SPOKE)
    with pytest.raises(AnsibleActionFail, match="public_key"):
        wg_interface_action.wanted_peers({"peers": [{"name": "x"}]})


def test_one_filter_error_wrapper():
    @filter_errors
    def broken(value):
        """Doc."""
        raise _topology.PlanError("host %s: wrong" % value)
    with pytest.raises(AnsibleFilterError, match=r"^wgnet.wireguard: host x: wrong$"):
        broken("x")
    assert broken.__name__ == "broken" and broken.__doc__ == "Doc."
