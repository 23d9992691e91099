# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""wg_interface's argument handling and backend fuzzed (issue 11.7): hostile
arguments, as the argument spec lets them through and as peers_json carries
them (any JSON), against the fake host. Each run either succeeds, and then
the config it wrote has one line per setting and one [Peer] section per
peer, or fails with the errors the module reports (WireGuardInterfaceError,
ValueError). Nothing else may escape."""

from __future__ import annotations

import json
import pathlib
import re
import tempfile

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_peers
from ansible_collections.wgnet.wireguard.plugins.module_utils._wg_interface import WireGuardInterfaceError
from ansible_collections.wgnet.wireguard.plugins.module_utils._wg_interface import check_params
from ansible_collections.wgnet.wireguard.tests.unit.hostile import SCALARS, VALUES, spoiled
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils.fake_host import CommandFailed
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils.test_wg_interface import A, B, World
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils.test_wg_interface import assert_secret_free

CONFIG_LINE = re.compile(r"(|#.*|\[Interface\]|\[Peer\]|[A-Za-z]+ = [^\n]*)")
FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def hostile_peer(draw, public_key):
    peer = {"public_key": public_key, "name": "spoke", "allowed_ips": ["10.77.0.2/32", "192.168.10.0/24"],
            "endpoint": "spoke-b.example.net:51820", "persistent_keepalive": 25, "preshared_key_path": None}
    for field in draw(st.lists(st.sampled_from(sorted(peer)), max_size=3, unique=True)):
        peer[field] = draw(spoiled(peer[field]))
    if draw(st.integers(0, 9)) == 0:
        return draw(VALUES)        # not even a mapping
    return peer


@st.composite
def hostile_params(draw):
    params = {"name": "wg0", "addresses": ["10.77.0.1/24"], "listen_port": 51820, "mtu": None, "fwmark": None}
    for field in draw(st.lists(st.sampled_from(sorted(params)), max_size=2, unique=True)):
        params[field] = draw(spoiled(params[field])) if params[field] is not None else draw(SCALARS)
    if isinstance(params["addresses"], list) and draw(st.booleans()):
        params["addresses"] = [draw(spoiled(a)) for a in params["addresses"]]
    params["peers"] = [draw(hostile_peer(A)), draw(hostile_peer(B))][:draw(st.integers(0, 2))]
    return params


def _json_round_trip(peers):
    """What peers_json hands the backend: any JSON the caller wrote."""
    try:
        return _wg_peers.peers_from_json(json.dumps(peers, default=repr))
    except ValueError:
        return None


@FUZZ
@given(hostile_params(), st.booleans(), st.booleans())
def test_hostile_arguments_are_applied_or_refused(params, via_json, check_mode):
    try:
        check_params(params)
    except WireGuardInterfaceError:
        return
    assume(params["name"] == "wg0")  # a valid other name: the fake host only knows wg0
    with tempfile.TemporaryDirectory() as tmp:
        world = World(pathlib.Path(tmp))
        if via_json:
            peers = _json_round_trip(params["peers"])
            if peers is None:
                return  # the module fails with peers_from_json's ValueError message
            params["peers"] = peers
        try:
            result = world.present(check_mode=check_mode, **params)
        except (WireGuardInterfaceError, ValueError, CommandFailed):
            # CommandFailed: the fake host's failing command, which the real
            # CommandRunner reports as WireGuardInterfaceError.
            return
        assert_secret_free(result)
        if check_mode:
            return
        config = world.config_path.read_text() if world.config_path.exists() else None
        if config is None:
            return
        lines = config.splitlines()
        assert all(CONFIG_LINE.fullmatch(line) for line in lines), config
        assert sum(line == "[Peer]" for line in lines) == len(params["peers"]), config
