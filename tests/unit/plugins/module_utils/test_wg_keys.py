# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""X25519 and key validation in _wg_crypto."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.bindings import crypto_scalarmult_base

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_crypto

# RFC 7748, section 6.1
ALICE_PRIVATE = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
ALICE_PUBLIC = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
BOB_PRIVATE = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"
BOB_PUBLIC = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
SHARED = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"


def b64(raw):
    return base64.b64encode(raw).decode("ascii")


def u_int(hex_text):
    # RFC 7748 decodeUCoordinate: little endian, top bit masked.
    return int.from_bytes(bytes.fromhex(hex_text), "little") & ((1 << 255) - 1)


def clamp(raw):
    b = bytearray(raw)
    b[0] &= 248
    b[31] &= 127
    b[31] |= 64
    return bytes(b)


def test_rfc7748_alice_public_key_raw():
    assert _wg_crypto._x25519(bytes.fromhex(ALICE_PRIVATE), 9).hex() == ALICE_PUBLIC


def test_rfc7748_bob_public_key_through_base64_api():
    assert _wg_crypto.public_key(b64(bytes.fromhex(BOB_PRIVATE))) == b64(bytes.fromhex(BOB_PUBLIC))


def test_rfc7748_shared_secret_both_ways():
    assert _wg_crypto._x25519(bytes.fromhex(ALICE_PRIVATE), u_int(BOB_PUBLIC)).hex() == SHARED
    assert _wg_crypto._x25519(bytes.fromhex(BOB_PRIVATE), u_int(ALICE_PUBLIC)).hex() == SHARED


def test_rfc7748_section_5_2_vector():
    scalar = bytes.fromhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4")
    u = u_int("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c")
    expected = "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"
    assert _wg_crypto._x25519(scalar, u).hex() == expected


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=32, max_size=32))
def test_public_key_agrees_with_libsodium(raw):
    private = clamp(raw)
    assert _wg_crypto.public_key(b64(private)) == b64(crypto_scalarmult_base(private))


@settings(max_examples=30, deadline=None)
@given(st.binary(min_size=32, max_size=32))
def test_public_key_ignores_clamped_bits(raw):
    # X25519 clamps the scalar, so an unclamped key has the same public key.
    assert _wg_crypto.public_key(b64(raw)) == _wg_crypto.public_key(b64(clamp(raw)))


def test_generated_keys_are_valid_clamped_and_distinct():
    keys = [_wg_crypto.generate_private_key() for dummy in range(20)]
    assert len(set(keys)) == 20
    for key in keys:
        assert _wg_crypto.is_valid_key(key)
        raw = base64.b64decode(key)
        assert len(raw) == 32
        assert raw[0] & 7 == 0
        assert raw[31] & 128 == 0
        assert raw[31] & 64 == 64
        assert _wg_crypto.public_key(key) == b64(crypto_scalarmult_base(raw))


def test_decode_key_accepts_surrounding_whitespace():
    key = b64(bytes(range(32)))
    assert _wg_crypto.decode_key(" %s\n" % key) == bytes(range(32))


@pytest.mark.parametrize("text", [
    pytest.param("", id="empty"),
    pytest.param(b64(bytes(31)), id="31-bytes"),
    pytest.param(b64(bytes(33)), id="33-bytes"),
    pytest.param(b64(bytes(32))[:-1], id="43-chars"),
    pytest.param(b64(bytes(32))[:-1] + "A", id="44-chars-no-padding"),
    pytest.param("!" * 43 + "=", id="bad-alphabet"),
    pytest.param("AAAA AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", id="inner-space"),
    pytest.param("A" * 42 + "==", id="double-padding-31-bytes"),
    pytest.param(b64(bytes(32)).replace("A", "-", 1), id="urlsafe-alphabet"),
])
def test_invalid_key_text_rejected(text):
    assert not _wg_crypto.is_valid_key(text)
    with pytest.raises(ValueError):
        _wg_crypto.decode_key(text)
    with pytest.raises(ValueError):
        _wg_crypto.public_key(text)


@pytest.mark.parametrize("value", [None, 42, b"A" * 43 + b"=", bytes(32), ["x"]])
def test_non_string_key_rejected(value):
    assert not _wg_crypto.is_valid_key(value)
    with pytest.raises(ValueError, match="base64 string"):
        _wg_crypto.decode_key(value)


def test_non_canonical_base64_key_rejected():
    canonical = b64(bytes([0x11]) * 32)          # ...ERE=
    assert canonical.endswith("E=")
    non_canonical = canonical[:-2] + "F="          # decodes to the same 32 bytes
    assert base64.b64decode(non_canonical) == base64.b64decode(canonical)
    assert not _wg_crypto.is_valid_key(non_canonical)


def test_fingerprint():
    key = b64(bytes(32))
    assert _wg_crypto.fingerprint(key) == key[:8] + "..."
    assert _wg_crypto.fingerprint(None) == "(none)"
    assert _wg_crypto.fingerprint("") == "(none)"
