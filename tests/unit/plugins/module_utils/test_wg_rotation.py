# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Key rotation as wg_interface sees it: the rotated host sets its new
private key live; a peer replaces the old peer entry by the new key in one
`wg set`, keeping AllowedIPs and the endpoint the old entry had roamed to."""

from __future__ import annotations

import pytest

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_crypto
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_peers
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_interface
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils.test_wg_interface import A
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils.test_wg_interface import C
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils.test_wg_interface import World
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils.test_wg_interface import module_peer

NEW_A = "VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU="


def live(key, allowed, endpoint=None):
    return {"public_key": key, "allowed_ips": sorted(allowed), "endpoint": endpoint, "preshared_key": None,
            "persistent_keepalive": 0, "latest_handshake": 0, "transfer_rx": 0, "transfer_tx": 0}


def wanted(key, allowed, endpoint=None):
    return _wg_peers.normalize_peer({"public_key": key, "allowed_ips": allowed, "endpoint": endpoint})


def test_carry_endpoint_of_the_replaced_peer():
    live_peers = {A: live(A, ["10.77.0.2/32", "192.168.10.0/24"], "198.51.100.7:41000")}
    added = [wanted(NEW_A, ["192.168.10.0/24", "10.77.0.2/32"])]
    result = _wg_peers.carry_endpoints(added, [A], live_peers)
    assert result[0]["endpoint"] == "198.51.100.7:41000"
    assert added[0]["endpoint"] is None          # the wanted peer (and so the boot config) is untouched


def test_carry_keeps_a_wanted_endpoint_and_needs_equal_allowed_ips():
    live_peers = {A: live(A, ["10.77.0.2/32"], "198.51.100.7:41000"),
                  C: live(C, ["10.77.0.4/32"], "198.51.100.8:1")}
    own = wanted(NEW_A, ["10.77.0.2/32"], "spoke.example.net:51820")
    other = wanted(NEW_A, ["10.77.0.9/32"])
    assert _wg_peers.carry_endpoints([own], [A], live_peers)[0]["endpoint"] == "spoke.example.net:51820"
    assert _wg_peers.carry_endpoints([other], [A, C], live_peers)[0]["endpoint"] is None
    # A peer that stays (not removed) lends nothing.
    assert _wg_peers.carry_endpoints([wanted(NEW_A, ["10.77.0.4/32"])], [A], live_peers)[0]["endpoint"] is None


def test_carry_without_live_endpoint():
    live_peers = {A: live(A, ["10.77.0.2/32"])}
    assert _wg_peers.carry_endpoints([wanted(NEW_A, ["10.77.0.2/32"])], [A], live_peers)[0]["endpoint"] is None


def test_hub_swaps_a_rotated_spoke_in_one_wg_set_with_its_roamed_endpoint(tmp_path):
    world = World(tmp_path)
    world.in_sync_hub()
    peers = world.hub_peers()
    peers[0] = module_peer(NEW_A, name="spoke-a", allowed_ips=["10.77.0.2/32", "192.168.10.0/24"])
    result = world.present(peers=peers)
    assert world.host.mutation_strings() == [
        "wg set wg0 peer %s remove peer %s preshared-key /dev/null endpoint 198.51.100.7:41000 "
        "persistent-keepalive off allowed-ips 10.77.0.2/32,192.168.10.0/24" % (A, NEW_A)]
    assert result["peers_added"] == [_wg_crypto.fingerprint(NEW_A)] and result["peers_removed"] == [_wg_crypto.fingerprint(A)]
    # Routes stay: the same prefixes, the same interface.
    assert not any(a.startswith("ip route") for a in result["actions"])
    config = world.config_path.read_text()
    assert "PublicKey = %s" % NEW_A in config and "PublicKey = %s\n" % A not in config
    assert "198.51.100.7" not in config
    again = world.present(peers=peers)
    assert again["changed"] is False and world.host.mutations == []


def test_kick_addresses_one_per_peer_never_our_own():
    peers = [wanted(A, ["10.77.0.0/24", "192.168.10.0/24"]), wanted(C, ["10.77.0.4/32"]),
             wanted(NEW_A, ["0.0.0.0/0", "fd00::/64"])]
    assert _wg_peers.kick_addresses(peers, ["10.77.0.1/24"]) == ["10.77.0.2", "10.77.0.4", "fd00::1"]
    assert _wg_peers.kick_addresses(peers, ["10.77.0.2/24"]) == ["10.77.0.1", "10.77.0.4", "fd00::1"]
    assert _wg_peers.kick_addresses([wanted(A, ["0.0.0.0/0"])], ["10.77.0.2/24"]) == []


def test_switch_at_waits_then_sets_and_calls_no_one_for_a_new_peer(tmp_path, monkeypatch):
    world = World(tmp_path)
    world.in_sync_hub()
    clock = {"now": 1000.0}
    slept = []
    monkeypatch.setattr(_wg_interface.time, "time", lambda: clock["now"])
    monkeypatch.setattr(_wg_interface.time, "sleep", slept.append)
    kicks = []
    peers = world.hub_peers()
    peers[0] = module_peer(NEW_A, name="spoke-a", allowed_ips=["10.77.0.2/32", "192.168.10.0/24"])
    obj = world.interface(peers=peers, switch_at=1002.5)
    obj.send_kick = lambda ifname, address: kicks.append((ifname, address))
    world.host.calls = []
    result = obj.present()
    assert slept == [2.5]
    assert result["changed"] and len(world.host.mutations) == 1
    assert result["applied_at"] == 1000.0
    # The rotated host calls us after its own switch; an early call from here
    # would reach it before it holds the new key.
    assert kicks == []


def test_switch_at_after_own_key_change_calls_every_peer(tmp_path, monkeypatch):
    world = World(tmp_path)
    world.in_sync_hub()
    monkeypatch.setattr(_wg_interface.time, "sleep", lambda s: None)
    new_private = "KI5SsbXy13vYiYhAKjraxUeNT6QhyPy5qAX5dpA3vmM="
    world.host.secrets.append(new_private)
    world.key_path.write_text(new_private + "\n")
    kicks = []
    obj = world.interface(switch_at=0.0)
    obj.send_kick = lambda ifname, address: kicks.append(address)
    obj.present()
    assert sorted(kicks) == ["10.77.0.2", "10.77.0.3"]


def test_own_key_change_holds_before_the_moment_then_switches(tmp_path, monkeypatch):
    """The rotated host (switch_at = the moment + 0.3 s) sets a throwaway key
    0.4 s before its switch_at, so it stops sending in the sessions its peers
    drop at the moment, then its new key at switch_at."""
    world = World(tmp_path)
    world.in_sync_hub()
    clock = {"now": 1000.0}
    slept = []

    def sleep(seconds):
        slept.append(round(seconds, 3))
        clock["now"] += seconds
    monkeypatch.setattr(_wg_interface.time, "time", lambda: clock["now"])
    monkeypatch.setattr(_wg_interface.time, "sleep", sleep)
    old_private = world.host.wg["private_key"]
    new_private = "KI5SsbXy13vYiYhAKjraxUeNT6QhyPy5qAX5dpA3vmM="
    world.host.secrets.append(new_private)
    world.key_path.write_text(new_private + "\n")
    keys = []
    obj = world.interface(switch_at=1003.3)
    obj.send_kick = lambda ifname, address: keys.append(world.host.wg["private_key"])
    world.host.calls = []
    result = obj.present()
    # Until 1002.9 (the moment 1003.0 - 0.1), then until the switch.
    assert slept == [2.9, 0.4]
    sets = [c for c in world.host.calls if c[:2] == ["wg", "set"]]
    assert sets[0] == ["wg", "set", "wg0", "private-key", "/dev/stdin"]
    assert "private-key" in sets[1] and "/dev/stdin" not in sets[1]
    # The kicks go out under the new key; the throwaway key is in no result.
    assert keys and set(keys) == {new_private} and old_private != new_private
    assert "<throwaway key: hold>" in " ".join(result["actions"])
    assert world.host.wg["private_key"] == new_private


def test_no_hold_without_a_live_session_to_keep(tmp_path, monkeypatch):
    world = World(tmp_path)
    monkeypatch.setattr(_wg_interface.time, "sleep", lambda s: None)
    world.key_path.write_text("KI5SsbXy13vYiYhAKjraxUeNT6QhyPy5qAX5dpA3vmM=\n")
    obj = world.interface(switch_at=0.0)
    obj.send_kick = lambda ifname, address: None
    obj.present()
    assert ["wg", "set", "wg0", "private-key", "/dev/stdin"] not in world.host.calls


def test_no_change_no_wait_no_call(tmp_path, monkeypatch):
    world = World(tmp_path)
    world.in_sync_hub()
    monkeypatch.setattr(_wg_interface.time, "sleep", lambda s: pytest.fail("waited with nothing to apply"))
    obj = world.interface(switch_at=4102444800.0)
    obj.send_kick = lambda ifname, address: pytest.fail("called a peer with nothing changed")
    assert obj.present()["changed"] is False


def test_check_mode_neither_waits_nor_calls(tmp_path, monkeypatch):
    world = World(tmp_path)
    world.in_sync_hub()
    monkeypatch.setattr(_wg_interface.time, "sleep", lambda s: pytest.fail("check mode waited"))
    peers = world.hub_peers() + [module_peer(C, allowed_ips=["10.77.0.4/32"])]
    obj = world.interface(check_mode=True, peers=peers, switch_at=4102444800.0)
    obj.send_kick = lambda ifname, address: pytest.fail("check mode sent")
    assert obj.present()["changed"] is True


def test_send_kick_sends_nothing_without_the_interface():
    """Bound to a device that does not exist: no datagram leaves by any route."""
    _wg_interface.send_kick("wgnet-none0", "127.0.0.1")
