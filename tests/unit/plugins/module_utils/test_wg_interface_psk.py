# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""wg_interface's preshared_keys option: the module writes the PSK files it
is given and removes those no peer uses, in the same call (no extra round
trip), and never returns a key."""

from __future__ import annotations

import os

import pytest

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_interface
from ansible_collections.wgnet.wireguard.plugins.module_utils._wg_interface import WireGuardInterfaceError
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils.test_wg_interface import (
    A, B, PSK, World, mode, module_peer)

PSK2 = "aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd28="


@pytest.fixture
def world(tmp_path):
    w = World(tmp_path)
    w.host.secrets.append(PSK2)
    return w


def peers_without_paths():
    return [module_peer(A, name="spoke-a", allowed_ips=["10.77.0.2/32", "192.168.10.0/24"]),
            module_peer(B, name="spoke-b", allowed_ips=["10.77.0.3/32"], endpoint="spoke-b.example.net",
                        persistent_keepalive=25)]


def psk_files(world):
    base = os.path.join(world.paths["psk_dir"], "wg0")
    return sorted(os.listdir(base)) if os.path.isdir(base) else []


def test_psk_path_is_named_by_a_hash_of_the_peer_key():
    path = _wg_interface.psk_path("wg0", B)
    assert path.startswith("/etc/wireguard/psk/wg0/") and path.endswith(".psk") and "/" not in path[23:]


def test_given_psks_are_written_set_live_and_kept(world):
    world.in_sync_hub()
    result = world.present(peers=peers_without_paths(), preshared_keys={A: PSK2, B: PSK})
    path_a = _wg_interface.psk_path("wg0", A, world.paths["psk_dir"])
    path_b = _wg_interface.psk_path("wg0", B, world.paths["psk_dir"])
    assert result["changed"]
    assert ("write %s" % path_a) in result["actions"] and ("write %s" % path_b) in result["actions"]
    # B already had this PSK live: only A's is set.
    assert world.host.mutation_strings() == ["wg set wg0 peer %s preshared-key %s" % (A, path_a)]
    assert open(path_a).read() == PSK2 + "\n" and mode(path_a) == 0o600
    assert mode(world.paths["psk_dir"]) == 0o700 and mode(os.path.dirname(path_a)) == 0o700
    assert "PresharedKey = %s" % PSK2 in world.config_path.read_text()
    again = world.present(peers=peers_without_paths(), preshared_keys={A: PSK2, B: PSK})
    assert again["changed"] is False and world.host.mutation_strings() == []


def test_files_of_former_peers_and_of_psks_turned_off_are_removed(world):
    world.in_sync_hub()
    world.present(peers=peers_without_paths(), preshared_keys={A: PSK2, B: PSK})
    assert len(psk_files(world)) == 2
    stray = os.path.join(world.paths["psk_dir"], "wg0", "notes.txt")
    with open(stray, "w") as handle:
        handle.write("not ours\n")
    world.present(peers=peers_without_paths(), preshared_keys={B: PSK})
    assert psk_files(world) == sorted([os.path.basename(_wg_interface.psk_path("wg0", B)), "notes.txt"])
    result = world.present(peers=peers_without_paths())
    assert result["changed"] and psk_files(world) == ["notes.txt"]
    assert world.host.wg["peers"][B]["psk"] is None


def test_check_mode_writes_and_removes_nothing(world):
    world.in_sync_hub()
    result = world.present(check_mode=True, peers=peers_without_paths(), preshared_keys={A: PSK2, B: PSK})
    assert result["changed"] and psk_files(world) == [] and world.host.mutation_strings() == []


def test_absent_removes_the_interface_psk_files(world):
    world.in_sync_hub()
    world.present(peers=peers_without_paths(), preshared_keys={A: PSK2, B: PSK})
    world.absent()
    assert psk_files(world) == []


def test_a_bad_given_psk_is_refused_without_echoing_it(world):
    with pytest.raises(WireGuardInterfaceError, match="peer spoke-a is not a valid key") as exc:
        world.interface(peers=peers_without_paths(), preshared_keys={A: "secret-but-bad"}).present()
    assert "secret-but-bad" not in str(exc.value)
