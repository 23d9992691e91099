# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parsing of `wg show <if> dump`, the machine-readable live state.

Private module_utils: the API may change."""

from __future__ import annotations

from ansible_collections.wgnet.wireguard.plugins.module_utils._wg_values import normalize_prefix


def parse_dump(text):
    """Parse `wg show <if> dump`.

    The first line carries the interface's private key: it is dropped here and
    never stored. A peer's preshared key is kept only so the caller can compare
    it on the host; it must never be returned from a module.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError("empty `wg show dump` output")
    head = lines[0].split("\t")
    if len(head) != 4:
        raise ValueError("unexpected interface line in `wg show dump`")
    peers = {}
    for line in lines[1:]:
        f = line.split("\t")
        if len(f) != 8:
            raise ValueError("unexpected peer line in `wg show dump`")
        peers[f[0]] = dump_peer(f)
    return dump_interface(head), peers


def dump_interface(fields):
    """One interface line of a dump (private key, public key, port, fwmark),
    without the private key."""
    return {
        "public_key": None if fields[1] == "(none)" else fields[1],
        "listen_port": int(fields[2]) if fields[2] not in ("0", "(none)") else None,
        "fwmark": None if fields[3] == "off" else int(fields[3], 0),
    }


def dump_peer(f):
    """One peer line of a dump (without the interface column)."""
    return {
        "public_key": f[0],
        "preshared_key": None if f[1] == "(none)" else f[1],
        "endpoint": None if f[2] == "(none)" else f[2],
        "allowed_ips": [] if f[3] == "(none)" else sorted(normalize_prefix(p) for p in f[3].split(",")),
        "latest_handshake": int(f[4]),
        "transfer_rx": int(f[5]),
        "transfer_tx": int(f[6]),
        "persistent_keepalive": 0 if f[7] == "off" else int(f[7]),
    }
