# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""wg_client_config and wg_client_key fuzzed through their action's run()
(issue 11.7): the argument spec (ActionBase.validate_argument_spec) and the
client checks. Every call either writes files whose config has one line per
setting and a [Peer] section per hub, or fails with AnsibleActionFail."""

from __future__ import annotations

import base64
import os
import re
import tempfile
from types import SimpleNamespace

from ansible.errors import AnsibleActionFail
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.wgnet.wireguard.plugins.action import wg_client_config
from ansible_collections.wgnet.wireguard.plugins.action import wg_client_key
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_crypto
from ansible_collections.wgnet.wireguard.tests.unit.hostile import VALUES, spoiled

CONFIG_LINE = re.compile(r"(|#.*|\[Interface\]|\[Peer\]|[A-Za-z]+ = [^\n]*)")
HUB = _wg_crypto.public_key(base64.b64encode(b"\x01" * 32).decode())
PHONE = _wg_crypto.public_key(base64.b64encode(b"\x02" * 32).decode())
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def action(module, args, check_mode=False):
    task = SimpleNamespace(args=args, check_mode=check_mode, diff=True, async_val=0, action=module.__name__)
    connection = SimpleNamespace(_shell=SimpleNamespace(tmpdir="/nonexistent"))
    return module.ActionModule(task, connection, SimpleNamespace(), None, None, None)


@st.composite
def hostile_client(draw):
    client = {"network": "wg0", "name": "phone", "addresses": ["10.77.0.50/32"], "dns": ["10.77.0.1"],
              "public_key": PHONE,
              "peers": [{"name": "hub", "public_key": HUB, "endpoint": "192.0.2.1:51820",
                         "allowed_ips": ["10.77.0.0/24"], "persistent_keepalive": 25}]}
    for field in draw(st.lists(st.sampled_from(sorted(client)), max_size=2, unique=True)):
        client[field] = draw(spoiled(client[field]))
    peer = client["peers"][0] if isinstance(client["peers"], list) and client["peers"] else None
    if isinstance(peer, dict) and peer:
        for field in draw(st.lists(st.sampled_from(sorted(peer, key=repr)), max_size=2, unique=True)):
            peer[field] = draw(spoiled(peer[field]))
    if isinstance(client["addresses"], list) and draw(st.booleans()):
        client["addresses"] = [draw(spoiled(a)) for a in client["addresses"]]
    return client if draw(st.integers(0, 12)) else draw(VALUES)


@FUZZ
@given(hostile_client(), st.one_of(st.just(False), VALUES), st.booleans(), st.booleans())
def test_client_config_arguments(client, preshared_key, check_mode, extra):
    with tempfile.TemporaryDirectory() as tmp:
        args = {"dir": tmp, "client": client, "preshared_key": preshared_key, "qr": False}
        if extra:
            args["dns"] = "1.1.1.1"   # an option the action does not take
        try:
            result = action(wg_client_config, args, check_mode).run(task_vars={"wireguard_psk_master": None})
        except AnsibleActionFail:
            return
        assert not extra
        path = result["path"]
        assert os.path.realpath(path).startswith(os.path.realpath(tmp) + os.sep)
        if check_mode or not os.path.exists(path):
            return
        with open(path) as handle:
            lines = handle.read().splitlines()
        assert all(CONFIG_LINE.fullmatch(line) for line in lines), lines
        assert sum(line == "[Peer]" for line in lines) == len(client["peers"])


@st.composite
def hostile_clients(draw):
    clients = [{"network": "wg0", "name": "phone"}, {"network": "wg0", "name": "laptop", "public_key": PHONE}]
    for entry in clients:
        for field in draw(st.lists(st.sampled_from(sorted(entry)), max_size=2, unique=True)):
            entry[field] = draw(spoiled(entry[field]))
    return clients if draw(st.integers(0, 8)) else draw(VALUES)


@FUZZ
@given(hostile_clients())
def test_client_key_arguments(clients):
    with tempfile.TemporaryDirectory() as tmp:
        try:
            result = action(wg_client_key, {"dir": tmp, "clients": clients}, check_mode=True).run(task_vars={})
        except AnsibleActionFail:
            return
        for network, names in result["public_keys"].items():
            for name in names:
                assert re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", network) and re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", name)


BARE = {"network": "wg0", "name": "p", "addresses": ["10.77.0.50/32"], "peers": []}


def test_arguments_refused_with_their_message(tmp_path):
    cases = [
        (wg_client_key, {"dir": str(tmp_path), "clients": [{"network": "wg0", "name": "a\nb"}]},
         "'a\\nb' cannot be part of a file name"),
        (wg_client_key, {"dir": str(tmp_path), "clients": False}, "clients must be a list of mappings"),
        (wg_client_key, {"dir": str(tmp_path), "clients": [], "bogus": 1}, "Unsupported parameters"),
        (wg_client_key, {"clients": []}, "missing required arguments: dir"),
        (wg_client_config, {"dir": str(tmp_path), "client": {0: None}}, "client must be a mapping with text keys"),
        (wg_client_config, {"dir": str(tmp_path), "client": dict(BARE, name="../x")}, "client.name '../x'"),
        (wg_client_config, {"dir": str(tmp_path), "client": dict(BARE, addresses=["x\n"])},
         "client.addresses entry 'x\\n'"),
    ]
    for module, args, words in cases:
        try:
            action(module, args).run(task_vars={})
        except AnsibleActionFail as exc:
            assert words in str(exc), (args, str(exc))
        else:
            raise AssertionError("accepted: %r" % (args,))
