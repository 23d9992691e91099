# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Preshared key derivation (plugin_utils._psk)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_crypto
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _psk

A = _wg_crypto.public_key(base64.b64encode(b"\x01" * 32).decode())
B = _wg_crypto.public_key(base64.b64encode(b"\x02" * 32).decode())
C = _wg_crypto.public_key(base64.b64encode(b"\x03" * 32).decode())
MASTER = "correct horse battery staple 42"


def test_known_value():
    # The documented formula, computed independently.
    low, high = sorted([A, B])
    message = "wgnet-psk-v1|wg0|%s|%s" % (low, high)
    expected = base64.b64encode(hmac.new(MASTER.encode(), message.encode(), hashlib.sha256).digest()).decode()
    assert _psk.derive_psk(MASTER, "wg0", A, B) == expected


def test_is_a_wireguard_key():
    psk = _psk.derive_psk(MASTER, "wg0", A, B)
    assert _wg_crypto.is_valid_key(psk)
    assert len(base64.b64decode(psk)) == 32


def test_deterministic_and_symmetric():
    assert _psk.derive_psk(MASTER, "wg0", A, B) == _psk.derive_psk(MASTER, "wg0", A, B)
    assert _psk.derive_psk(MASTER, "wg0", A, B) == _psk.derive_psk(MASTER, "wg0", B, A)


def test_differs_per_pair_network_and_master():
    base = _psk.derive_psk(MASTER, "wg0", A, B)
    others = [
        _psk.derive_psk(MASTER, "wg0", A, C),
        _psk.derive_psk(MASTER, "wg0", B, C),
        _psk.derive_psk(MASTER, "wg1", A, B),
        _psk.derive_psk(MASTER + "x", "wg0", A, B),
    ]
    assert len(set([base] + others)) == 5


@pytest.mark.parametrize("args, match", [
    (("", "wg0", A, B), "no preshared key master"),
    ((MASTER, "wg0", A, A), "two different public keys"),
    ((MASTER, "wg0", A, "nope"), "not a WireGuard public key"),
])
def test_refused(args, match):
    with pytest.raises(_psk.PskError, match=match):
        _psk.derive_psk(*args)


def test_psk_file_is_a_safe_path_per_peer():
    key = "AAAA/AAAA+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    path = _psk.psk_file("wg0", key)
    assert path.startswith("/etc/wireguard/psk/wg0/") and path.endswith(".psk")
    assert "/" not in path[len("/etc/wireguard/psk/wg0/"):]
    assert _psk.psk_file("wg0", A) != _psk.psk_file("wg0", B)
    assert _psk.psk_file("wg0", A) == _psk.psk_file("wg0", A)


@pytest.mark.parametrize("enabled, master, result", [
    (False, "", False), (None, None, False), (False, MASTER, True), (True, MASTER, True)])
def test_enabled(enabled, master, result):
    assert _psk.psk_enabled(enabled, master) is result


def test_enabled_without_master():
    with pytest.raises(_psk.PskError, match="host h1: wireguard_preshared_keys is true but wireguard_psk_master"):
        _psk.psk_enabled(True, "", "h1")


def test_short_master():
    with pytest.raises(_psk.PskError, match="shorter than 16"):
        _psk.psk_enabled(False, "short", "h1")
