# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""wg_interface with watched peers (path, relay_public_key): the live state
is the plan plus the watchdog's state file, the boot config is all-relay, and
the watchdog is installed and removed with the interface."""

from __future__ import annotations

import os

import pytest

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_direct
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_peers
from ansible_collections.wgnet.wireguard.plugins.module_utils._wg_interface import WireGuardInterfaceError
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils import wg_quick
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils.test_wg_interface import (
    A, B, C, PRIVATE, World, module_peer)

HUB, MEDIA, NAS = A, B, C
TIMER = "wgnet-watchdog@wg0.timer"


def member_peers(**media):
    peers = [
        module_peer(HUB, name="hub", allowed_ips=["10.77.0.0/24"], endpoint="198.51.100.1:51820",
                    persistent_keepalive=25),
        module_peer(MEDIA, name="media", allowed_ips=["10.77.0.22/32", "172.18.9.0/24"],
                    endpoint="192.0.2.7:40001", persistent_keepalive=25),
        module_peer(NAS, name="nas", allowed_ips=["10.77.0.23/32"], endpoint="172.18.5.23:51820"),
    ]
    peers[1].update(path="nat", relay_public_key=HUB)
    peers[2].update(path="site", relay_public_key=HUB)
    peers[1].update(media)
    return peers


@pytest.fixture
def world(tmp_path):
    w = World(tmp_path)
    w.member = dict(addresses=["10.77.0.21/24"], listen_port=51820, peers=member_peers())
    return w


def direct_file(world, *keys):
    os.makedirs(world.paths["state_dir"], exist_ok=True)
    with open(os.path.join(world.paths["state_dir"], "wg0.direct"), "w") as f:
        f.write("".join(k + "\n" for k in keys))


def live_allowed(world):
    return dict((k, sorted(p["allowed_ips"])) for k, p in world.host.wg["peers"].items())


def test_new_watched_peers_start_on_the_relay(world):
    result = world.present(**world.member)
    assert result["changed"] is True
    assert live_allowed(world) == {
        HUB: ["10.77.0.0/24", "10.77.0.22/32", "10.77.0.23/32", "172.18.9.0/24"], MEDIA: [], NAS: []}
    # On the relay, nas (no keepalive planned) gets 25 s so its path keeps being tried.
    assert world.host.wg["peers"][NAS]["keepalive"] == 25
    assert sorted(world.host.routes) == ["172.18.9.0/24"]
    assert [(p["name"], p["path"], p["relay"], p["state"]) for p in result["direct_paths"]] == [
        ("media", "nat", "hub", "relay"), ("nas", "site", "hub", "relay")]
    # The watchdog is installed and started in the same call.
    assert "systemctl enable --now %s" % TIMER in result["actions"]
    assert world.host.timers[TIMER] is True
    with open(os.path.join(world.paths["wg_dir"], "wg0.watchdog")) as f:
        assert "watch %s %s 25 10.77.0.22/32,172.18.9.0/24 nat 10.77.0.22 media\n" % (MEDIA, HUB) in f.read()
    assert os.stat(world.paths["watchdog_script"]).st_mode & 0o777 == 0o755
    assert world.present(**world.member)["changed"] is False


def test_boot_config_is_all_relay_whatever_the_state(world):
    world.present(**world.member)
    config = world.config_path.read_text()
    direct_file(world, MEDIA, NAS)
    result = world.present(**world.member)
    assert result["changed"] is True
    assert world.config_path.read_text() == config
    parsed = dict((p["publickey"], p) for p in wg_quick.parse_config(config)["peers"])
    assert parsed[HUB]["allowedips"] == ["10.77.0.0/24", "10.77.0.22/32", "10.77.0.23/32", "172.18.9.0/24"]
    assert "allowedips" not in parsed[MEDIA]
    assert live_allowed(world) == {
        HUB: ["10.77.0.0/24"], MEDIA: ["10.77.0.22/32", "172.18.9.0/24"], NAS: ["10.77.0.23/32"]}
    assert world.host.wg["peers"][NAS]["keepalive"] == 0
    assert [p["state"] for p in result["direct_paths"]] == ["direct", "direct"]


def test_a_converge_leaves_the_watchdogs_decisions_alone(world):
    world.present(**world.member)
    direct_file(world, MEDIA)
    world.present(**world.member)
    # The watchdog flipped media back to the relay: the next run agrees with it.
    direct_file(world)
    world.host.wg["peers"][HUB]["allowed_ips"] = ["10.77.0.0/24", "10.77.0.22/32", "172.18.9.0/24",
                                                  "10.77.0.23/32"]
    world.host.wg["peers"][MEDIA]["allowed_ips"] = []
    result = world.present(**world.member)
    assert result["changed"] is False and world.host.mutations == []


def test_drift_is_repaired_to_the_watchdogs_state(world):
    world.present(**world.member)
    direct_file(world, MEDIA)
    world.present(**world.member)
    world.host.wg["peers"][MEDIA]["allowed_ips"] = ["10.77.0.22/32"]
    result = world.present(**world.member)
    assert result["changed"] is True
    assert live_allowed(world)[MEDIA] == ["10.77.0.22/32", "172.18.9.0/24"]


def test_check_mode_on_a_never_converged_host(world):
    world.key_path.unlink()
    result = world.present(check_mode=True, **world.member)
    assert result["changed"] is True and world.host.mutations == []
    assert not os.path.exists(world.paths["state_dir"])
    assert not os.path.exists(world.paths["watchdog_script"])
    assert "systemctl enable --now %s" % TIMER in result["actions"]
    assert "write %s" % world.paths["watchdog_script"] in result["actions"]
    assert "10.77.0.22/32" in result["diff"]["after"]
    assert PRIVATE not in repr(result)


def test_check_mode_after_a_converge_shows_nothing(world):
    world.present(**world.member)
    result = world.present(check_mode=True, **world.member)
    assert result["changed"] is False


def test_watchdog_removed_when_nothing_to_watch(world):
    world.present(**world.member)
    direct_file(world, MEDIA)
    plain = [dict(p, path=None, relay_public_key=None) for p in member_peers()]
    result = world.present(addresses=["10.77.0.21/24"], listen_port=51820, peers=plain)
    assert result["changed"] is True and result["direct_paths"] == []
    assert "systemctl disable --now %s" % TIMER in result["actions"]
    assert not world.host.timers[TIMER]
    for path in (world.paths["watchdog_script"], os.path.join(world.paths["wg_dir"], "wg0.watchdog"),
                 os.path.join(world.paths["state_dir"], "wg0.direct"),
                 os.path.join(world.paths["systemd_dir"], _wg_direct.UNIT_TIMER)):
        assert not os.path.exists(path), path
    assert world.present(addresses=["10.77.0.21/24"], listen_port=51820, peers=plain)["changed"] is False


def test_absent_removes_the_watchdog(world):
    world.present(**world.member)
    result = world.absent()
    assert "systemctl disable --now %s" % TIMER in result["actions"]
    assert not os.path.exists(world.paths["watchdog_script"])


@pytest.mark.parametrize("change, message", [
    (dict(relay_public_key=None), "path and relay_public_key go together"),
    (dict(path=None), "path and relay_public_key go together"),
    (dict(relay_public_key=MEDIA), "relay_public_key is the peer itself"),
    (dict(relay_public_key="REREREREREREREREREREREREREREREREREREREREREQ="), "is not a peer of this interface"),
    (dict(relay_public_key=NAS), "is itself a watched peer"),
    (dict(path="lan"), "path must be site or nat"),
    (dict(relay_public_key="nope"), "relay_public_key"),
])
def test_invalid_watched_peers(world, change, message):
    with pytest.raises(WireGuardInterfaceError, match=message):
        world.present(addresses=["10.77.0.21/24"], peers=member_peers(**change))
    assert world.host.mutations == []


def test_peers_json_accepts_the_new_fields():
    peers = _wg_peers.peers_from_json('[{"public_key": "%s", "path": "nat", "relay_public_key": "%s"}]'
                                      % (MEDIA, HUB))
    assert peers[0]["path"] == "nat"


def test_transform_keeps_the_prefixes_disjoint():
    planned = [_wg_peers.normalize_peer(p) for p in member_peers()]
    for direct in (set(), {MEDIA}, {NAS}, {MEDIA, NAS}):
        peers = _wg_direct.transform(planned, direct)
        _wg_peers.check_allowed_ips_unique(peers)
        assert sorted(x for p in peers for x in p["allowed_ips"]) == sorted(x for p in planned for x in p["allowed_ips"])
