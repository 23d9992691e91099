# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""parse_dump: `wg show <if> dump` output."""

from __future__ import annotations

import pytest

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_dump

PRIVATE = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
PUBLIC = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="
PEER_A = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
PEER_B = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0="
PEER_C = "gN65BkIKy1eCE9pP1wdc8ROUtkHLF2PfAqYdyYBz6EA="
PSK_B = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="


def dump(*lines):
    return "".join("\t".join(str(f) for f in line) + "\n" for line in lines)


REALISTIC = dump(
    (PRIVATE, PUBLIC, 51820, "off"),
    (PEER_A, "(none)", "(none)", "10.77.0.2/32", 0, 0, 0, "off"),
    (PEER_B, PSK_B, "203.0.113.5:51820", "10.77.0.3/32,192.168.20.0/24,fd77::3/128", 1700000123, 9876, 5432, 25),
    (PEER_C, "(none)", "[2001:db8::7]:40000", "(none)", 1700000000, 1, 2, "off"),
)


def walk(value):
    """Every scalar inside nested dicts/lists/tuples, keys included."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(k)
            yield from walk(v)
    elif isinstance(value, (list, tuple, set)):
        for v in value:
            yield from walk(v)
    else:
        yield value


def test_interface_line():
    iface, _peers = _wg_dump.parse_dump(REALISTIC)
    assert iface == {"public_key": PUBLIC, "listen_port": 51820, "fwmark": None}


def test_peers_parsed():
    _iface, peers = _wg_dump.parse_dump(REALISTIC)
    assert sorted(peers) == sorted([PEER_A, PEER_B, PEER_C])
    assert peers[PEER_A] == {
        "public_key": PEER_A, "preshared_key": None, "endpoint": None, "allowed_ips": ["10.77.0.2/32"],
        "latest_handshake": 0, "transfer_rx": 0, "transfer_tx": 0, "persistent_keepalive": 0,
    }
    b = peers[PEER_B]
    assert b["preshared_key"] == PSK_B
    assert b["endpoint"] == "203.0.113.5:51820"
    assert b["allowed_ips"] == sorted(["10.77.0.3/32", "192.168.20.0/24", "fd77::3/128"])
    assert (b["latest_handshake"], b["transfer_rx"], b["transfer_tx"]) == (1700000123, 9876, 5432)
    assert b["persistent_keepalive"] == 25
    c = peers[PEER_C]
    assert c["endpoint"] == "[2001:db8::7]:40000"
    assert c["allowed_ips"] == []
    assert c["persistent_keepalive"] == 0


def test_private_key_never_returned():
    result = _wg_dump.parse_dump(REALISTIC)
    scalars = list(walk(result))
    assert PRIVATE not in scalars
    assert PRIVATE not in repr(result)


@pytest.mark.parametrize("fwmark,expected", [("off", None), ("0x1234", 0x1234), ("0xca6c", 51820)])
def test_fwmark(fwmark, expected):
    iface = _wg_dump.parse_dump(dump((PRIVATE, PUBLIC, 51820, fwmark)))[0]
    assert iface["fwmark"] == expected


def test_no_listen_port_and_no_private_key():
    iface, peers = _wg_dump.parse_dump(dump(("(none)", "(none)", 0, "off")))
    assert iface == {"public_key": None, "listen_port": None, "fwmark": None}
    assert peers == {}


def test_allowed_ips_are_normalized():
    text = dump((PRIVATE, PUBLIC, 1, "off"), (PEER_A, "(none)", "(none)", "192.168.1.7/24,10.0.0.1", 0, 0, 0, "off"))
    _iface, peers = _wg_dump.parse_dump(text)
    assert peers[PEER_A]["allowed_ips"] == ["10.0.0.1/32", "192.168.1.0/24"]


def test_blank_lines_ignored():
    _iface, peers = _wg_dump.parse_dump("\n" + REALISTIC + "\n\n")
    assert len(peers) == 3


@pytest.mark.parametrize("text", [
    pytest.param("", id="empty"),
    pytest.param(dump((PUBLIC, 51820, "off")), id="short-interface-line"),
    pytest.param(dump((PRIVATE, PUBLIC, 51820, "off"), (PEER_A, "(none)", "(none)", "10.0.0.1/32", 0, 0, 0)),
                 id="short-peer-line"),
])
def test_malformed_dump_rejected(text):
    with pytest.raises(ValueError):
        _wg_dump.parse_dump(text)
