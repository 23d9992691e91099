# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""WireGuard keys: X25519 (RFC 7748) in plain Python, so hosts need neither pynacl nor
`wg pubkey` to derive a public key, and no key ever goes through a subprocess argv.

Private module_utils: the API may change."""

from __future__ import annotations

import base64
import binascii
import os


KEY_LEN = 32
# X25519 (RFC 7748) in plain Python: hosts need neither pynacl nor `wg pubkey`
# to derive a public key, and no key ever goes through a subprocess argv.
_P = 2 ** 255 - 19
_A24 = 121665


def _clamp(scalar):
    b = bytearray(scalar)
    b[0] &= 248
    b[31] &= 127
    b[31] |= 64
    return bytes(b)


def _x25519(scalar, u_coord):
    k = int.from_bytes(_clamp(scalar), "little")
    x1 = u_coord
    x2, z2, x3, z3 = 1, 0, u_coord, 1
    swap = 0
    for t in reversed(range(255)):
        bit = (k >> t) & 1
        swap ^= bit
        if swap:
            x2, x3 = x3, x2
            z2, z3 = z3, z2
        swap = bit
        a = (x2 + z2) % _P
        aa = a * a % _P
        b = (x2 - z2) % _P
        bb = b * b % _P
        e = (aa - bb) % _P
        c = (x3 + z3) % _P
        d = (x3 - z3) % _P
        da = d * a % _P
        cb = c * b % _P
        x3 = (da + cb) ** 2 % _P
        z3 = x1 * (da - cb) ** 2 % _P
        x2 = aa * bb % _P
        z2 = e * (aa + _A24 * e) % _P
    if swap:
        x2, x3 = x3, x2
        z2, z3 = z3, z2
    return (x2 * pow(z2, _P - 2, _P) % _P).to_bytes(KEY_LEN, "little")


def decode_key(text):
    """Return the 32 raw bytes of a base64 WireGuard key, or raise ValueError."""
    if not isinstance(text, str):
        raise ValueError("a WireGuard key is a base64 string")
    text = text.strip()
    if len(text) != 44 or not text.endswith("="):
        raise ValueError("a WireGuard key is 44 base64 characters ending in '='")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a WireGuard key is 44 base64 characters ending in '='")
    if len(raw) != KEY_LEN or base64.b64encode(raw).decode("ascii") != text:
        # Non-canonical padding bits decode fine here but `wg` refuses them.
        raise ValueError("a WireGuard key is 44 base64 characters ending in '=' that decode to 32 bytes")
    return raw


def is_valid_key(text):
    try:
        decode_key(text)
    except ValueError:
        return False
    return True


def generate_private_key():
    """A new private key, clamped like `wg genkey` does."""
    return base64.b64encode(_clamp(os.urandom(KEY_LEN))).decode("ascii")


def public_key(private_key):
    """The public key of a base64 private key."""
    return base64.b64encode(_x25519(decode_key(private_key), 9)).decode("ascii")


def fingerprint(key):
    """A short, stable label for a public key, for diffs and messages."""
    if not key:
        return "(none)"
    return key[:8] + "..."
