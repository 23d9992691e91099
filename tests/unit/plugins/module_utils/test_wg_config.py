# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""wg-quick config: render_config, redact_config, and the tests' parse_config (wg_quick.py).

Round-trip cases live in test_wg_config.yaml.
"""

from __future__ import annotations

import itertools
import os

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_config
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_peers
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils import wg_quick

with open(os.path.join(os.path.dirname(__file__), "test_wg_config.yaml")) as _f:
    CASES = yaml.safe_load(_f)

PRIVATE = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo="
PSK = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="
KEYS = [
    "ERERERERERERERERERERERERERERERERERERERERERE=",
    "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=",
    "MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=",
    "REREREREREREREREREREREREREREREREREREREREREQ=",
]


def render_case(case):
    peers = [_wg_peers.normalize_peer(p) for p in case["peers"]]
    return _wg_config.render_config(case["interface"], peers, case["private_key"], case.get("preshared_keys"))


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_render_parse_round_trip(case):
    text = render_case(case)
    assert text.startswith(_wg_config.CONFIG_HEADER)
    assert wg_quick.parse_config(text) == case["expected"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_peer_order_is_independent_of_input_order(case):
    peers = [_wg_peers.normalize_peer(p) for p in case["peers"]]
    texts = set(
        _wg_config.render_config(case["interface"], list(perm), case["private_key"], case.get("preshared_keys"))
        for perm in itertools.permutations(peers))
    assert len(texts) == 1


def test_peers_sorted_by_public_key():
    peers = [_wg_peers.normalize_peer({"public_key": k, "allowed_ips": ["10.0.0.%d/32" % i]})
             for i, k in enumerate(reversed(KEYS))]
    parsed = wg_quick.parse_config(_wg_config.render_config({}, peers, PRIVATE))
    assert [p["publickey"] for p in parsed["peers"]] == sorted(KEYS)


def test_psk_only_for_peers_that_have_one():
    peers = [_wg_peers.normalize_peer({"public_key": k}) for k in KEYS[:2]]
    text = _wg_config.render_config({}, peers, PRIVATE, {KEYS[1]: PSK})
    parsed = wg_quick.parse_config(text)
    assert "presharedkey" not in parsed["peers"][0]
    assert parsed["peers"][1]["presharedkey"] == PSK
    assert text.count("PresharedKey") == 1


def test_redact_removes_private_and_preshared_keys():
    peers = [_wg_peers.normalize_peer({"public_key": k, "allowed_ips": ["10.0.0.%d" % i]}) for i, k in enumerate(KEYS)]
    psks = {KEYS[0]: PSK, KEYS[2]: "aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd28="}
    text = _wg_config.render_config({"addresses": ["10.0.0.9/24"], "listen_port": 1}, peers, PRIVATE, psks)
    redacted = _wg_config.redact_config(text)
    assert PRIVATE not in redacted
    for psk in psks.values():
        assert psk not in redacted
    assert redacted.count("PrivateKey = <redacted>") == 1
    assert redacted.count("PresharedKey = <redacted>") == 2
    # Everything else is unchanged, public keys included.
    kept = [line for line in text.splitlines() if not line.startswith(("PrivateKey", "PresharedKey"))]
    assert [line for line in redacted.splitlines() if "<redacted>" not in line] == kept
    for key in KEYS:
        assert "PublicKey = %s" % key in redacted


@pytest.mark.parametrize("line", [
    "PrivateKey=%s\n" % PRIVATE,
    "privatekey = %s\n" % PRIVATE,
    "  PrivateKey   =   %s   \n" % PRIVATE,
    "PresharedKey=%s\n" % PRIVATE,
])
def test_redact_spellings(line):
    redacted = _wg_config.redact_config("[Interface]\n" + line)
    assert PRIVATE not in redacted
    assert "<redacted>" in redacted


def test_parse_hand_written_config():
    text = (
        "# a comment\n"
        "[Interface]\n"
        "PrivateKey = %s\n"
        "Address = 10.0.0.1/24,fd00::1/64\n"
        "Address = 10.1.0.1/24\n"
        "DNS = 10.0.0.53, example.com\n"
        "ListenPort = 51820 # inline comment\n"
        "PostUp = echo up\n"
        "\n"
        "[Peer]\n"
        "# friendly_name = laptop of bob\n"
        "PublicKey = %s\n"
        "AllowedIPs = 10.0.0.2/32 , 192.168.0.0/16\n"
        "[peer]\n"
        "PublicKey = %s\n"
    ) % (PRIVATE, KEYS[0], KEYS[1])
    parsed = wg_quick.parse_config(text)
    assert parsed["interface"] == {
        "privatekey": PRIVATE,
        "address": ["10.0.0.1/24", "fd00::1/64", "10.1.0.1/24"],
        "dns": ["10.0.0.53", "example.com"],
        "listenport": "51820",
        "postup": "echo up",
    }
    assert parsed["peers"] == [
        {"name": "laptop of bob", "publickey": KEYS[0], "allowedips": ["10.0.0.2/32", "192.168.0.0/16"]},
        {"publickey": KEYS[1]},
    ]


def test_friendly_name_comment_in_interface_is_ignored():
    parsed = wg_quick.parse_config("[Interface]\n# friendly_name = me\nPrivateKey = %s\n" % PRIVATE)
    assert parsed["interface"] == {"privatekey": PRIVATE}


@pytest.mark.parametrize("text", [
    "[Interface]\n[Bogus]\n",
    "PrivateKey = x\n",
    "[Interface]\nthis line has no equals sign\n",
])
def test_parse_rejects(text):
    with pytest.raises(ValueError):
        wg_quick.parse_config(text)


names = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=20).flatmap(
    lambda a: st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=10).map(lambda b: (a + b).strip()))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(KEYS), names,
                       st.lists(st.integers(0, 255), max_size=4),
                       st.integers(0, 65535)),
             max_size=4, unique_by=lambda t: t[0]),
    st.integers(0, 65535),
)
def test_round_trip_property(raw_peers, listen_port):
    peers = [_wg_peers.normalize_peer({"public_key": k, "name": n, "allowed_ips": ["10.9.0.%d/32" % o for o in octets],
                                       "persistent_keepalive": ka})
             for k, n, octets, ka in raw_peers]
    text = _wg_config.render_config({"addresses": ["10.9.0.254/24"], "listen_port": listen_port}, peers, PRIVATE)
    parsed = wg_quick.parse_config(text)
    assert parsed["interface"].get("listenport") == (str(listen_port) if listen_port else None)
    by_key = dict((p["publickey"], p) for p in parsed["peers"])
    assert sorted(by_key) == sorted(p["public_key"] for p in peers)
    for p in peers:
        got = by_key[p["public_key"]]
        assert got.get("name") == p["name"]
        assert got.get("allowedips", []) == p["allowed_ips"]
        assert int(got.get("persistentkeepalive", 0)) == p["persistent_keepalive"]


def test_peer_name_cannot_inject_config_lines():
    raw = {"public_key": KEYS[0], "name": "bob\nAllowedIPs = 0.0.0.0/0", "allowed_ips": ["10.0.0.2/32"]}
    try:
        peer = _wg_peers.normalize_peer(raw)
    except ValueError:
        return  # rejecting the name is a fix
    parsed = wg_quick.parse_config(_wg_config.render_config({}, [peer], PRIVATE))
    assert parsed["peers"][0]["allowedips"] == ["10.0.0.2/32"]
