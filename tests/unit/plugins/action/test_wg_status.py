# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""wg_status: the watchdog's table of watched peers."""

from __future__ import annotations

from ansible_collections.wgnet.wireguard.plugins.action import wg_status

KEY = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0="


def info(watchdog=None):
    peer = {"public_key": KEY, "friendly_name": "beta", "endpoint": None, "latest_handshake_age": 5,
            "transfer_rx": 1, "transfer_tx": 2}
    if watchdog:
        peer["watchdog"] = watchdog
    return {"interfaces": {"wg0": {"public_key": None, "listen_port": 51820, "fwmark": None, "peers": [peer]}}}


def test_watched_peers_get_a_second_table():
    lines = wg_status.watchdog_table({"alpha": info({"state": "relay", "since": 1, "age": 75,
                                                    "reason": "no-reply"}), "hub": info()})
    assert lines[0] == ""
    assert lines[1].split() == ["host", "interface", "watched", "peer", "path", "since", "why"]
    assert lines[3].split() == ["alpha", "wg0", "beta", "relay", "75s", "ago", "no-reply"]
    assert len(lines) == 4


def test_no_watched_peer_no_table():
    assert wg_status.watchdog_table({"hub": info()}) == []
