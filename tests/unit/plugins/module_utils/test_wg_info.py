# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_wg_info: the wg_info backend against fake `wg show dump` output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_config
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_crypto
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_peers
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_info
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology

PRIVATE_0 = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
PRIVATE_1 = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo="
PUBLIC_0 = _wg_crypto.public_key(PRIVATE_0)
PUBLIC_1 = _wg_crypto.public_key(PRIVATE_1)
PEER_A = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
PEER_B = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0="
PEER_C = "gN65BkIKy1eCE9pP1wdc8ROUtkHLF2PfAqYdyYBz6EA="
PSK_B = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="
PSK_C = "2hUJ3I7wq7CGN7fp2dXGQd4kAHhu2tNQdcLSTQXBQy0="
NOW = 1700000200


def dump(*lines):
    return "".join("\t".join(str(f) for f in line) + "\n" for line in lines)


ALL = dump(
    ("wg0", PRIVATE_0, PUBLIC_0, 51820, "off"),
    ("wg0", PEER_A, "(none)", "(none)", "10.77.0.2/32", 0, 0, 0, "off"),
    ("wg0", PEER_B, PSK_B, "203.0.113.5:51820", "10.77.0.3/32,192.168.20.0/24,fd77::3/128", 1700000123, 9876,
     5432, 25),
    ("wg1", PRIVATE_1, PUBLIC_1, 51821, "0xca6c"),
    ("wg1", PEER_C, PSK_C, "[2001:db8::7]:40000", "0.0.0.0/0", 1700000000, 1, 2, "off"),
)
CONFIG_WG0 = (
    "# Managed by wgnet.wireguard (wg_interface). Local edits are overwritten.\n"
    "[Interface]\nPrivateKey = %s\nAddress = 10.77.0.1/24\nListenPort = 51820\n\n"
    "[Peer]\n# friendly_name = laptop\nPublicKey = %s\nAllowedIPs = 10.77.0.2/32\n\n"
    "[Peer]\n# friendly_name = router of bob\nPublicKey = %s\nPresharedKey = %s\nAllowedIPs = 10.77.0.3/32\n"
) % (PRIVATE_0, PEER_A, PEER_B, PSK_B)
SECRETS = [PRIVATE_0, PRIVATE_1, PSK_B, PSK_C]


def walk(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(k)
            yield from walk(v)
    elif isinstance(value, (list, tuple, set)):
        for v in value:
            yield from walk(v)
    else:
        yield value


class FakeRun(object):
    def __init__(self, outputs):
        self.outputs = outputs
        self.calls = []

    def __call__(self, argv):
        self.calls.append(list(argv))
        return self.outputs.get(tuple(argv), (1, "", "Unable to access interface: No such device\n"))


def gather(tmp_path, outputs, interface=None, configs=None):
    for name, text in (configs or {}).items():
        (tmp_path / ("%s.conf" % name)).write_text(text)
    run = FakeRun(outputs)
    info = _wg_info.WireGuardInfo(run, interface, str(tmp_path), state_dir=str(tmp_path / "run"))
    return info.gather(NOW), run


def test_watchdog_state_of_watched_peers(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "wg0.status").write_text("%s direct 1700000100 handshake\nbroken line\n" % PEER_B)
    result, _run = gather(tmp_path, {("wg", "show", "all", "dump"): (0, ALL, "")})
    peers = dict((p["public_key"], p) for p in result["interfaces"]["wg0"]["peers"])
    assert peers[PEER_B]["watchdog"] == {"state": "direct", "since": 1700000100, "age": 100, "reason": "handshake"}
    assert "watchdog" not in peers[PEER_A]
    assert all("watchdog" not in p for p in result["interfaces"]["wg1"]["peers"])


def test_parse_all_dump():
    parsed = _wg_info.parse_dump(ALL)
    assert sorted(parsed) == ["wg0", "wg1"]
    assert parsed["wg0"]["public_key"] == PUBLIC_0
    assert (parsed["wg0"]["listen_port"], parsed["wg0"]["fwmark"]) == (51820, None)
    assert parsed["wg1"]["fwmark"] == 51820
    b = parsed["wg0"]["peers"][PEER_B]
    assert b == {"public_key": PEER_B, "has_preshared_key": True, "endpoint": "203.0.113.5:51820",
                 "allowed_ips": sorted(["10.77.0.3/32", "192.168.20.0/24", "fd77::3/128"]),
                 "latest_handshake": 1700000123, "transfer_rx": 9876, "transfer_tx": 5432,
                 "persistent_keepalive": 25}
    a = parsed["wg0"]["peers"][PEER_A]
    assert (a["has_preshared_key"], a["endpoint"], a["persistent_keepalive"]) == (False, None, 0)


def test_parse_one_interface_dump_matches_all():
    one = "".join(line.split("\t", 1)[1] + "\n" for line in ALL.splitlines() if line.startswith("wg1\t"))
    assert _wg_info.parse_dump(one, "wg1") == {"wg1": _wg_info.parse_dump(ALL)["wg1"]}


def test_no_key_material_anywhere_in_the_result(tmp_path):
    """A dump and a config that both hold private and preshared keys give a
    result in which none of them occurs, as a value or inside any string."""
    result, _run = gather(tmp_path, {("wg", "show", "all", "dump"): (0, ALL, "")}, configs={"wg0": CONFIG_WG0})
    text = json.dumps(result)
    for secret in SECRETS:
        assert secret not in list(walk(result))
        assert secret not in text
    # The parser itself does not keep them either.
    parsed = _wg_info.parse_dump(ALL)
    for secret in SECRETS:
        assert secret not in repr(parsed)


def test_friendly_names_and_ages(tmp_path):
    result, run = gather(tmp_path, {("wg", "show", "all", "dump"): (0, ALL, "")}, configs={"wg0": CONFIG_WG0})
    assert run.calls == [["wg", "show", "all", "dump"]]
    assert result["changed"] is False
    peers = result["interfaces"]["wg0"]["peers"]
    assert [p["friendly_name"] for p in peers] == ["laptop", "router of bob"]
    assert [p["latest_handshake_age"] for p in peers] == [None, 77]
    # No config for wg1: the peer is still reported, without a name.
    (c,) = result["interfaces"]["wg1"]["peers"]
    assert c["friendly_name"] is None and c["latest_handshake_age"] == 200
    assert c["allowed_ips"] == ["0.0.0.0/0"]


def test_one_interface(tmp_path):
    one = "".join(line.split("\t", 1)[1] + "\n" for line in ALL.splitlines() if line.startswith("wg0\t"))
    result, run = gather(tmp_path, {("wg", "show", "wg0", "dump"): (0, one, "")}, "wg0", {"wg0": CONFIG_WG0})
    assert run.calls == [["wg", "show", "wg0", "dump"]]
    assert list(result["interfaces"]) == ["wg0"]
    assert len(result["interfaces"]["wg0"]["peers"]) == 2


def test_missing_interface_fails_naming_it(tmp_path):
    with pytest.raises(_wg_info.WireGuardInfoError, match="is wg9 a WireGuard interface"):
        gather(tmp_path, {}, "wg9")


def test_no_interfaces(tmp_path):
    result, _run = gather(tmp_path, {("wg", "show", "all", "dump"): (0, "", "")})
    assert result == {"changed": False, "interfaces": {}}


def test_config_dir_disabled_gives_no_names(tmp_path):
    (tmp_path / "wg0.conf").write_text(CONFIG_WG0)
    info = _wg_info.WireGuardInfo(FakeRun({("wg", "show", "all", "dump"): (0, ALL, "")}), None, None)
    result = info.gather(NOW)
    assert all(p["friendly_name"] is None for i in result["interfaces"].values() for p in i["peers"])


@pytest.mark.parametrize("text,expected", [
    pytest.param(CONFIG_WG0, {PEER_A: "laptop", PEER_B: "router of bob"}, id="managed-config"),
    pytest.param("[Interface]\n# friendly_name = me\nPrivateKey = %s\n" % PRIVATE_0, {}, id="interface-comment"),
    pytest.param("[Peer]\nPublicKey = %s\n#friendly_name=x\n[peer]\nPublicKey = %s\n" % (PEER_A, PEER_B),
                 {PEER_A: "x"}, id="comment-after-key-and-unnamed-peer"),
    pytest.param("[Peer]\n# friendly_json = {}\nPublicKey = %s\n" % PEER_A, {}, id="other-comment"),
    pytest.param("", {}, id="empty"),
])
def test_friendly_names(text, expected):
    assert _wg_info.friendly_names(text) == expected


@pytest.mark.parametrize("text", [
    pytest.param(dump(("wg0", PEER_A, "(none)", "(none)", "(none)", 0, 0, 0, "off")), id="peer-before-interface"),
    pytest.param(dump(("wg0", PUBLIC_0, 51820)), id="short-line"),
])
def test_malformed_dump(tmp_path, text):
    with pytest.raises(_wg_info.WireGuardInfoError):
        gather(tmp_path, {("wg", "show", "all", "dump"): (0, text, "")})


# ---------------------------------------------------------------- hosts without Python (OpenWrt)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
SCRIPT = os.path.join(ROOT, "playbooks", "files", "wg_info.sh")
UCI_SHOW = (
    "network.wg0=interface\n"
    "network.wg0.proto='wireguard'\n"
    "network.wg0.private_key='%s'\n"
    "network.wg0.listen_port='51820'\n"
    "network.wgnet_wg0_laptop=wireguard_wg0\n"
    "network.wgnet_wg0_laptop.description='laptop'\n"
    "network.wgnet_wg0_laptop.public_key='%s'\n"
    "network.wgnet_wg0_router=wireguard_wg0\n"
    "network.wgnet_wg0_router.description='router of bob'\n"
    "network.wgnet_wg0_router.public_key='%s'\n"
    "network.wgnet_wg0_router.preshared_key='%s'\n"
    "network.lan=interface\n"
    "network.lan.description='not a peer'\n"
) % (PRIVATE_0, PEER_A, PEER_B, PSK_B)


def test_uci_peer_names():
    assert _wg_info.uci_peer_names(UCI_SHOW) == {"wg0": {PEER_A: "laptop", PEER_B: "router of bob"}}


SHELLS = [pytest.param(["sh"], id="sh")]
if shutil.which("busybox"):
    SHELLS.append(pytest.param(["busybox", "sh"], id="busybox-ash"))


@pytest.mark.parametrize("shell", SHELLS)
def test_shell_version_blanks_keys_on_the_host(shell, tmp_path):
    """files/wg_info.sh with fake wg, uci and date: its output (what reaches
    the controller) holds no private or preshared key, and parses to the same
    facts as the module's."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (tmp_path / "dump").write_text(ALL)
    (tmp_path / "uci").write_text(UCI_SHOW)
    fakes = {
        "wg": '#!/bin/sh\n[ "$*" = "show all dump" ] || exit 2\ncat "%s"\n' % (tmp_path / "dump"),
        "uci": '#!/bin/sh\n[ "$*" = "-q show network" ] || exit 2\ncat "%s"\n' % (tmp_path / "uci"),
        "date": "#!/bin/sh\necho %d\n" % NOW,
    }
    for name, text in fakes.items():
        (bindir / name).write_text(text)
        (bindir / name).chmod(0o755)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "wg0.status").write_text("%s relay 1700000150 no-reply\n" % PEER_B)
    env = dict(os.environ, PATH="%s:%s" % (bindir, os.environ["PATH"]), WGNET_RUN=str(tmp_path / "run"))
    r = subprocess.run(shell + [SCRIPT], env=env, capture_output=True, text=True, check=False, timeout=60)
    assert r.returncode == 0, r.stderr
    for secret in SECRETS:
        assert secret not in r.stdout
    result = _wg_info.info_from_raw(r.stdout)
    module_like = _wg_info.build_info(_wg_info.parse_dump(ALL), {"wg0": {PEER_A: "laptop", PEER_B: "router of bob"}},
                                      NOW, {"wg0": {PEER_B: {"state": "relay", "since": 1700000150,
                                                             "reason": "no-reply"}}})
    assert result["interfaces"]["wg0"]["peers"][1]["watchdog"]["age"] == 50
    assert result == {"changed": False, "interfaces": module_like}
    assert [p["friendly_name"] for p in result["interfaces"]["wg0"]["peers"]] == ["laptop", "router of bob"]


def test_shell_version_garbage_is_refused():
    with pytest.raises(ValueError, match="unexpected output"):
        _wg_info.info_from_raw("sh: wg: not found\n")


def test_boot_config_names_each_peer_after_its_inventory_host():
    """The plan's peers (passed to wg_interface as peers_json) carry the host
    names; the boot config wg_interface renders from them has a
    `# friendly_name = <host>` in each [Peer], which is what wg_info (and
    Prometheus exporters) read back."""
    hostvars = {"hub": {"wireguard_address": "10.77.0.1", "wireguard_endpoint": "hub.example"},
                "laptop": {"wireguard_address": "10.77.0.11"}, "router": {"wireguard_address": "10.77.0.12"}}
    groups = {"wireguard": ["hub", "laptop", "router"], "wireguard_hubs": ["hub"]}
    keys = {"wg0": {"hub": PUBLIC_0, "laptop": PEER_A, "router": PEER_B}}
    plan = _topology.plan_networks(hostvars, {"wg0": {"range": "10.77.0.0/24"}}, groups, keys)
    (hub,) = _topology.host_interfaces(json.dumps(plan), "hub", peers_as_json=True)
    peers = [_wg_peers.normalize_peer(p) for p in _wg_peers.peers_from_json(hub["peers"])]
    config = _wg_config.render_config({"addresses": hub["addresses"]}, peers, PRIVATE_0)
    assert _wg_info.friendly_names(config) == {PEER_A: "laptop", PEER_B: "router"}
    assert config.count("# friendly_name = ") == 2
