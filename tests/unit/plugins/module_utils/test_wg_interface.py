# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_wg_interface.WireGuardInterface against a fake host (see fake_host.py)."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_crypto
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_interface
from ansible_collections.wgnet.wireguard.plugins.module_utils._wg_interface import WireGuardInterface
from ansible_collections.wgnet.wireguard.plugins.module_utils._wg_interface import WireGuardInterfaceError
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils.fake_host import FakeHost
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils import wg_quick

PRIVATE = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo="
PUBLIC = _wg_crypto.public_key(PRIVATE)
PSK = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="
A = "ERERERERERERERERERERERERERERERERERERERERERE="
B = "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI="
C = "MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM="
D = "REREREREREREREREREREREREREREREREREREREREREQ="
UNIT = "wg-quick@wg0.service"
DNS = {"spoke-b.example.net": "203.0.113.20"}


def mode(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def module_peer(public_key, name=None, allowed_ips=(), endpoint=None, persistent_keepalive=0,
                preshared_key_path=None):
    """A peer as AnsibleModule hands it over (every sub-option present)."""
    return {"public_key": public_key, "name": name, "allowed_ips": list(allowed_ips), "endpoint": endpoint,
            "persistent_keepalive": persistent_keepalive, "preshared_key_path": preshared_key_path}


class World(object):
    """Paths under tmp_path, a key file, a PSK file and a FakeHost."""

    def __init__(self, tmp_path, systemd=True, kernel=True):
        self.tmp = tmp_path
        wg_dir = tmp_path / "etc" / "wireguard"
        wg_dir.mkdir(parents=True)
        wg_dir.chmod(0o700)
        self.key_path = wg_dir / "wg0.key"
        self.key_path.write_text(PRIVATE + "\n")
        self.key_path.chmod(0o600)
        self.psk_path = wg_dir / "spoke-b.psk"
        self.psk_path.write_text(PSK + "\n")
        self.psk_path.chmod(0o600)
        self.config_path = wg_dir / "wg0.conf"
        self.paths = {
            "systemd_dir": str(tmp_path / "etc" / "systemd" / "system"),
            "run_systemd": str(tmp_path / "run" / "systemd" / "system"),
            "sys_module": str(tmp_path / "sys" / "module" / "wireguard"),
            "psk_dir": str(wg_dir / "psk"),
            "wg_dir": str(wg_dir),
            "state_dir": str(tmp_path / "run" / "wgnet"),
            "watchdog_script": str(tmp_path / "usr" / "local" / "sbin" / "wgnet-watchdog"),
        }
        if systemd:
            os.makedirs(self.paths["run_systemd"])
        if kernel:
            os.makedirs(self.paths["sys_module"])
        self.dropin_path = os.path.join(self.paths["systemd_dir"], UNIT + ".d", "wgnet-userspace.conf")
        self.dns = dict(DNS)
        self.host = FakeHost(config_path=str(self.config_path), dropin_path=self.dropin_path, kernel=kernel,
                             resolve=self.dns)
        self.host.secrets = [PRIVATE, PSK]
        self.resolve_calls = []

    def hub_peers(self):
        return [
            module_peer(A, name="spoke-a", allowed_ips=["10.77.0.2/32", "192.168.10.0/24"]),
            module_peer(B, name="spoke-b", allowed_ips=["10.77.0.3/32"], endpoint="spoke-b.example.net",
                        persistent_keepalive=25, preshared_key_path=str(self.psk_path)),
        ]

    def params(self, **kw):
        p = {
            "name": "wg0", "state": "present", "private_key_path": str(self.key_path),
            "addresses": ["10.77.0.1/24"], "listen_port": 51820, "mtu": None, "fwmark": None,
            "peers": self.hub_peers(), "implementation": "auto", "manage_routes": True, "boot": True,
            "config_path": str(self.config_path),
        }
        p.update(kw)
        return p

    def resolve(self, host, port):
        self.resolve_calls.append((host, port))
        return {self.dns.get(host, host)}

    def interface(self, check_mode=False, **kw):
        obj = WireGuardInterface(self.params(**kw), self.host, check_mode=check_mode, paths=self.paths)
        obj._resolve = self.resolve
        return obj

    def present(self, check_mode=False, **kw):
        self.host.calls = []
        result = self.interface(check_mode=check_mode, **kw).present()
        assert_secret_free(result)
        return result

    def absent(self, check_mode=False, **kw):
        self.host.calls = []
        result = self.interface(check_mode=check_mode, state="absent", **kw).absent()
        assert_secret_free(result)
        return result

    def write_config(self, **kw):
        """The config the module itself would write for these params."""
        config = self.interface(**kw).wanted()[3]
        self.config_path.write_text(config)
        self.config_path.chmod(0o600)
        return config

    def in_sync_hub(self):
        """A running hub that already matches hub params, booted by its unit."""
        h = self.host
        h.add_link(addresses=["10.77.0.1/24"], private_key=PRIVATE, listen_port=51820)
        h.link["extra_addr_info"].append({"family": "inet6", "local": "fe80::1", "prefixlen": 64, "scope": "link"})
        h.add_peer(A, ["10.77.0.2/32", "192.168.10.0/24"], endpoint="198.51.100.7:41000")  # roamed
        h.add_peer(B, ["10.77.0.3/32"], endpoint="203.0.113.20:51820", keepalive=25, psk=PSK)
        h.add_routes("192.168.10.0/24")
        h.enabled = h.active = True
        self.write_config()
        self.install_watchdog()
        return self

    def install_watchdog(self, **kw):
        """The watchdog as a run installs it (spoke-b's endpoint is a DNS name)."""
        from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_direct
        from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_peers
        peers = [_wg_peers.normalize_peer(p) for p in self.params(**kw)["peers"]]
        files = [(self.paths["watchdog_script"], _wg_direct.SCRIPT, 0o755),
                 (os.path.join(self.paths["systemd_dir"], _wg_direct.UNIT_SERVICE), _wg_direct.SERVICE_TEXT, 0o644),
                 (os.path.join(self.paths["systemd_dir"], _wg_direct.UNIT_TIMER), _wg_direct.TIMER_TEXT, 0o644),
                 (os.path.join(self.paths["wg_dir"], "wg0.watchdog"), _wg_direct.watchdog_config("wg0", peers), 0o600)]
        for path, text, file_mode in files:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, file_mode)
        self.host.timers["wgnet-watchdog@wg0.timer"] = True


def assert_secret_free(result):
    text = repr(result)
    assert PRIVATE not in text
    assert PSK not in text
    for side in ("before", "after"):
        assert PRIVATE not in result["diff"][side] and PSK not in result["diff"][side]


@pytest.fixture
def world(tmp_path):
    return World(tmp_path)


# ------------------------------------------------------------ (a) in sync
def test_in_sync_interface_is_unchanged(world):
    world.in_sync_hub()
    config_before = world.config_path.read_text()
    result = world.present()
    assert result["changed"] is False
    assert result["created"] is False
    assert world.host.mutations == []
    assert result["actions"] == []
    assert result["peers_added"] == result["peers_removed"] == result["peers_changed"] == []
    assert world.config_path.read_text() == config_before
    assert result["diff"]["before"] == result["diff"]["after"]
    assert result["public_key"] == PUBLIC
    assert result["implementation"] == "kernel"
    # The DNS endpoint was compared through the resolver, not by spelling.
    assert ("spoke-b.example.net", 51820) in world.resolve_calls


def test_in_sync_reads_only(world):
    world.in_sync_hub()
    world.present()
    assert sorted(" ".join(c) for c in world.host.calls) == sorted([
        "ip -j -d address show dev wg0",
        "wg show wg0 dump",
        "ip -j -4 route show dev wg0 table main",
        "ip -j -6 route show dev wg0 table main",
        "systemctl is-enabled %s" % UNIT,
        # spoke-b's endpoint is a DNS name: its watchdog is checked too.
        "systemctl is-enabled wgnet-watchdog@wg0.timer",
        "systemctl is-active --quiet wgnet-watchdog@wg0.timer",
    ])


# ------------------------------------------------------------ (b) new peer
def test_new_peer_is_one_wg_set(world):
    world.in_sync_hub()
    peers = world.hub_peers() + [module_peer(C, name="spoke-c", allowed_ips=["10.77.0.4/32"])]
    result = world.present(peers=peers)
    assert result["changed"] is True
    assert world.host.mutations == [
        ["wg", "set", "wg0", "peer", C, "preshared-key", "/dev/null", "persistent-keepalive", "off",
         "allowed-ips", "10.77.0.4/32"],
    ]
    assert result["peers_added"] == [_wg_crypto.fingerprint(C)]
    assert result["peers_removed"] == [] and result["peers_changed"] == []
    assert "PublicKey = %s" % C in world.config_path.read_text()
    assert "spoke-c (%s)" % _wg_crypto.fingerprint(C) in result["diff"]["after"]
    assert "spoke-c" not in result["diff"]["before"]
    # Applied: the next run has nothing to do.
    again = world.present(peers=peers)
    assert again["changed"] is False and world.host.mutations == []


def test_new_peer_with_lan_adds_route_without_restart(world):
    world.in_sync_hub()
    peers = world.hub_peers() + [module_peer(C, allowed_ips=["10.77.0.4/32", "192.168.30.0/24"],
                                             persistent_keepalive=10)]
    result = world.present(peers=peers)
    assert world.host.mutation_strings() == [
        "wg set wg0 peer %s preshared-key /dev/null persistent-keepalive 10 allowed-ips 10.77.0.4/32,192.168.30.0/24"
        % C,
        "ip route add 192.168.30.0/24 dev wg0",
    ]
    for cmd in result["actions"]:
        assert "restart" not in cmd and "link del" not in cmd and "link add" not in cmd
    assert world.present(peers=peers)["changed"] is False


# ------------------------------------------------------------ (c) stale peer
def test_stale_peer_removed_with_its_route(world):
    world.in_sync_hub()
    world.host.add_peer(D, ["10.77.0.9/32", "172.20.0.0/24"], endpoint="198.51.100.9:1")
    world.host.add_routes("172.20.0.0/24")
    result = world.present()
    assert world.host.mutation_strings() == [
        "wg set wg0 peer %s remove" % D,
        "ip route del 172.20.0.0/24 dev wg0",
    ]
    assert result["peers_removed"] == [_wg_crypto.fingerprint(D)]
    assert result["changed"] is True
    assert D not in world.host.wg["peers"]
    assert world.present()["changed"] is False


def test_user_route_inside_allowed_ips_is_kept(world):
    world.in_sync_hub()
    world.host.add_routes("192.168.10.128/25", "10.99.0.0/16")
    world.present()
    assert world.host.mutation_strings() == ["ip route del 10.99.0.0/16 dev wg0"]


def test_manage_routes_false_leaves_routes(world):
    world.in_sync_hub()
    world.host.routes = {"10.99.0.0/16"}
    result = world.present(manage_routes=False)
    assert result["changed"] is False and world.host.mutations == []


# ------------------------------------------------------------ peer field changes
def test_changed_fields_only(world):
    world.in_sync_hub()
    peers = world.hub_peers()
    peers[0]["allowed_ips"] = ["10.77.0.2/32"]        # LAN dropped
    peers[1]["persistent_keepalive"] = 0
    result = world.present(peers=peers)
    assert world.host.mutation_strings() == [
        "wg set wg0 peer %s allowed-ips 10.77.0.2/32 peer %s persistent-keepalive off" % (A, B),
        "ip route del 192.168.10.0/24 dev wg0",
    ]
    assert sorted(result["peers_changed"]) == sorted([_wg_crypto.fingerprint(A), _wg_crypto.fingerprint(B)])
    assert world.present(peers=peers)["changed"] is False


def test_dns_endpoint_moved(world):
    world.in_sync_hub()
    world.dns["spoke-b.example.net"] = "203.0.113.77"
    world.present()
    assert world.host.mutation_strings() == ["wg set wg0 peer %s endpoint spoke-b.example.net:51820" % B]
    assert world.host.wg["peers"][B]["endpoint"] == "203.0.113.77:51820"
    assert world.present()["changed"] is False


def test_psk_changed_on_host_is_set_by_path(world):
    world.in_sync_hub()
    world.host.wg["peers"][B]["psk"] = None
    world.present()
    assert world.host.mutation_strings() == ["wg set wg0 peer %s preshared-key %s" % (B, world.psk_path)]
    assert world.host.wg["peers"][B]["psk"] == PSK


def test_psk_change_shows_in_the_diff_without_the_key(world):
    world.in_sync_hub()
    world.host.wg["peers"][B]["psk"] = None
    result = world.present()
    assert "    preshared_key: <redacted, changed>" in result["diff"]["after"]
    assert "<redacted, changed>" not in result["diff"]["before"]
    assert "preshared_key: <redacted>" not in result["diff"]["after"].split("spoke-b")[0]
    again = world.present()
    assert again["changed"] is False and "changed>" not in again["diff"]["after"]


def test_check_mode_with_a_psk_file_not_delivered_yet(world):
    # The role's copy task writes nothing in check mode; planning goes on.
    world.in_sync_hub()
    world.psk_path.unlink()
    result = world.present(check_mode=True)
    assert result["changed"] is True
    assert world.host.mutation_strings() == []
    with pytest.raises(WireGuardInterfaceError, match="preshared key file .* is missing"):
        world.interface().present()


def test_psk_removed(world):
    world.in_sync_hub()
    peers = world.hub_peers()
    peers[1]["preshared_key_path"] = None
    world.present(peers=peers)
    assert world.host.mutation_strings() == ["wg set wg0 peer %s preshared-key /dev/null" % B]
    assert "PresharedKey" not in world.config_path.read_text()


def test_private_key_rotation_and_listen_port(world):
    world.in_sync_hub()
    new_private = "KI5SsbXy13vYiYhAKjraxUeNT6QhyPy5qAX5dpA3vmM="
    world.host.secrets.append(new_private)
    world.key_path.write_text(new_private + "\n")
    result = world.present(listen_port=51821)
    assert world.host.mutation_strings() == [
        "wg set wg0 private-key %s listen-port 51821" % world.key_path]
    assert result["public_key"] == _wg_crypto.public_key(new_private)
    assert new_private not in repr(result)
    assert "PrivateKey = %s" % new_private in world.config_path.read_text()
    assert world.present(listen_port=51821)["changed"] is False


def test_mtu_fwmark_and_link_up(world):
    world.in_sync_hub()
    world.host.link["up"] = False
    world.present(mtu=1380, fwmark=51820)
    assert world.host.mutation_strings() == [
        "wg set wg0 fwmark 0xca6c",
        "ip link set dev wg0 mtu 1380",
        "ip link set dev wg0 up",
    ]
    assert world.present(mtu=1380, fwmark=51820)["changed"] is False


# ------------------------------------------------------------ (d) addresses
def test_missing_address_added_extra_removed(world):
    world.in_sync_hub()
    world.host.link["addresses"].append("10.99.0.1/24")
    result = world.present(addresses=["10.77.0.1/24", "fd77::1/64"])
    assert sorted(world.host.mutation_strings()) == sorted([
        "ip address del 10.99.0.1/24 dev wg0",
        "ip address add fd77::1/64 dev wg0",
    ])
    assert result["changed"] is True
    assert sorted(world.host.link["addresses"]) == ["10.77.0.1/24", "fd77::1/64"]
    assert world.present(addresses=["10.77.0.1/24", "fd77::1/64"])["changed"] is False


def test_address_prefix_length_change(world):
    world.in_sync_hub()
    world.present(addresses=["10.77.0.1/16"])
    assert world.host.mutation_strings() == [
        "ip address del 10.77.0.1/24 dev wg0",
        "ip address add 10.77.0.1/16 dev wg0",
    ]


# ------------------------------------------------------------ (e) creation
def test_create_with_systemd_userspace(tmp_path):
    world = World(tmp_path, systemd=True, kernel=False)
    result = world.present(implementation="userspace")
    assert result["changed"] is True and result["created"] is True
    assert result["implementation"] == "userspace"
    # Boot config: 0600 in a 0700 dir, holding the key material on the host only.
    config = world.config_path.read_text()
    assert mode(world.config_path) == 0o600
    assert mode(world.config_path.parent) == 0o700
    parsed = wg_quick.parse_config(config)
    assert parsed["interface"]["privatekey"] == PRIVATE
    assert parsed["interface"]["address"] == ["10.77.0.1/24"]
    assert parsed["interface"]["listenport"] == "51820"
    assert dict((p["publickey"], p.get("presharedkey")) for p in parsed["peers"]) == {A: None, B: PSK}
    # Drop-in so that wg-quick uses wireguard-go.
    with open(world.dropin_path) as f:
        dropin = f.read()
    assert dropin == _wg_interface.DROPIN_TEMPLATE
    assert "Environment=WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go" in dropin
    assert world.host.mutation_strings() == [
        "systemctl daemon-reload",
        "systemctl restart %s" % UNIT,
        "systemctl enable %s" % UNIT,
        "systemctl daemon-reload",
        "systemctl enable --now wgnet-watchdog@wg0.timer",
    ]
    assert world.host.link["kind"] == "tun" and world.host.active and world.host.enabled
    assert sorted(result["peers_added"]) == sorted([_wg_crypto.fingerprint(A), _wg_crypto.fingerprint(B)])
    assert result["diff"]["before"] == ""
    assert world.present(implementation="userspace")["changed"] is False
    assert world.host.mutations == []


def test_create_with_systemd_kernel_removes_stale_dropin(world):
    os.makedirs(os.path.dirname(world.dropin_path))
    with open(world.dropin_path, "w") as f:
        f.write(_wg_interface.DROPIN_TEMPLATE)
    result = world.present()
    assert result["implementation"] == "kernel"
    assert not os.path.exists(world.dropin_path)
    assert world.host.mutation_strings() == [
        "systemctl daemon-reload",
        "systemctl restart %s" % UNIT,
        "systemctl enable %s" % UNIT,
        "systemctl daemon-reload",
        "systemctl enable --now wgnet-watchdog@wg0.timer",
    ]
    assert world.host.link["kind"] == "wireguard"
    assert world.present()["changed"] is False


def test_auto_detects_userspace_when_modprobe_fails(tmp_path):
    world = World(tmp_path, systemd=True, kernel=False)
    result = world.present()
    assert result["implementation"] == "userspace"
    assert ["modprobe", "-q", "wireguard"] in world.host.calls
    assert os.path.exists(world.dropin_path)


def test_auto_detects_kernel_when_modprobe_works(tmp_path):
    world = World(tmp_path, systemd=False, kernel=False)
    world.host.modprobe_rc = 0
    result = world.present()
    assert result["implementation"] == "kernel"
    assert "ip link add dev wg0 type wireguard" in world.host.mutation_strings()


def test_create_without_systemd_kernel(tmp_path):
    world = World(tmp_path, systemd=False, kernel=True)
    result = world.present()
    assert result["created"] is True
    assert world.host.mutation_strings() == [
        "ip link add dev wg0 type wireguard",
        "wg set wg0 private-key %s listen-port 51820 "
        "peer %s preshared-key /dev/null persistent-keepalive off allowed-ips 10.77.0.2/32,192.168.10.0/24 "
        "peer %s preshared-key %s endpoint spoke-b.example.net:51820 persistent-keepalive 25 "
        "allowed-ips 10.77.0.3/32" % (world.key_path, A, B, world.psk_path),
        "ip address add 10.77.0.1/24 dev wg0",
        "ip link set dev wg0 up",
        "ip route add 192.168.10.0/24 dev wg0",
    ]
    assert not os.path.exists(world.dropin_path)
    assert world.config_path.exists()
    assert world.host.wg["peers"][B]["psk"] == PSK
    assert world.present()["changed"] is False


def test_create_without_systemd_userspace_runs_wireguard_go(tmp_path):
    world = World(tmp_path, systemd=False, kernel=False)
    result = world.present(implementation="userspace")
    assert result["implementation"] == "userspace"
    assert world.host.mutation_strings()[0] == "wireguard-go wg0"
    assert world.host.envs[world.host.calls.index(["wireguard-go", "wg0"])] == _wg_interface.USERSPACE_ENV
    assert world.host.link["kind"] == "tun"
    assert world.present(implementation="userspace")["changed"] is False


def test_boot_false_ignores_systemd(world):
    world.present(boot=False)
    for cmd in world.host.calls:
        assert cmd[0] != "systemctl"


# ------------------------------------------------------------ (f) check mode
def test_check_mode_create(tmp_path):
    world = World(tmp_path, systemd=True, kernel=False)
    result = world.present(check_mode=True, implementation="userspace")
    assert result["changed"] is True and result["created"] is True
    assert world.host.mutations == []
    assert not world.config_path.exists()
    assert not os.path.exists(world.dropin_path)
    assert world.host.link is None
    assert "write %s" % world.config_path in result["actions"]
    assert "systemctl restart %s" % UNIT in result["actions"]
    assert sorted(result["peers_added"]) == sorted([_wg_crypto.fingerprint(A), _wg_crypto.fingerprint(B)])


def test_check_mode_peer_add(world):
    world.in_sync_hub()
    config_before = world.config_path.read_text()
    peers = world.hub_peers() + [module_peer(C, allowed_ips=["10.77.0.4/32", "192.168.30.0/24"])]
    result = world.present(check_mode=True, peers=peers)
    assert result["changed"] is True
    assert world.host.mutations == []
    assert world.config_path.read_text() == config_before
    assert C not in world.host.wg["peers"]
    assert result["peers_added"] == [_wg_crypto.fingerprint(C)]
    assert any(a.startswith("wg set wg0 peer %s" % C) for a in result["actions"])
    assert "ip route add 192.168.30.0/24 dev wg0" in result["actions"]


def test_check_mode_config_mode_fix_not_applied(world):
    world.in_sync_hub()
    world.config_path.chmod(0o644)
    result = world.present(check_mode=True)
    assert result["changed"] is True
    assert mode(world.config_path) == 0o644
    result = world.present()
    assert result["changed"] is True and mode(world.config_path) == 0o600
    assert world.host.mutations == []


# ------------------------------------------------------------ (g) secrets
def test_config_drift_diff_and_result_are_secret_free(world):
    world.in_sync_hub()
    world.config_path.write_text("[Interface]\nPrivateKey = %s\n" % PRIVATE)
    world.host.wg["peers"][B]["psk"] = "aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd28="
    world.host.secrets.append("aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd28=")
    result = world.present()
    assert result["changed"] is True
    assert "write %s" % world.config_path in result["actions"]
    assert "aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd28=" not in repr(result)
    # The live PSK differs from the file: the diff says so, and nothing more.
    assert "preshared_key: <redacted, changed>" in result["diff"]["after"]
    assert "preshared_key: <redacted>" in result["diff"]["before"]
    assert _wg_crypto.fingerprint(PUBLIC) in result["diff"]["after"]


def test_created_result_and_commands_are_secret_free(tmp_path):
    world = World(tmp_path, systemd=False)
    result = world.present()
    assert_secret_free(result)
    for argv in world.host.calls:
        for arg in argv:
            assert PRIVATE not in arg and PSK not in arg


# ------------------------------------------------------------ (h) absent
def test_absent_with_enabled_unit(world):
    world.in_sync_hub()
    os.makedirs(os.path.dirname(world.dropin_path))
    with open(world.dropin_path, "w") as f:
        f.write(_wg_interface.DROPIN_TEMPLATE)
    result = world.absent()
    assert result["changed"] is True
    assert world.host.mutation_strings() == [
        "systemctl disable %s" % UNIT,
        "systemctl stop %s" % UNIT,
        "systemctl daemon-reload",
        "systemctl disable --now wgnet-watchdog@wg0.timer",
        "systemctl daemon-reload",
    ]
    assert not os.path.exists(world.paths["watchdog_script"])
    assert world.host.link is None and not world.host.enabled and not world.host.active
    assert not world.config_path.exists()
    assert not os.path.exists(world.dropin_path)
    assert world.key_path.exists()      # the key belongs to wg_key
    assert result["diff"] == {"before": "interface: wg0\n", "after": ""}
    again = world.absent()
    assert again["changed"] is False and world.host.mutations == []


def test_absent_check_mode(world):
    world.in_sync_hub()
    result = world.absent(check_mode=True)
    assert result["changed"] is True
    assert world.host.mutations == []
    assert world.config_path.exists()
    assert world.host.link is not None and world.host.enabled
    assert "systemctl disable %s" % UNIT in result["actions"]


def test_absent_without_systemd_deletes_link(tmp_path):
    world = World(tmp_path, systemd=False)
    world.host.add_link(addresses=["10.77.0.1/24"], private_key=PRIVATE)
    world.write_config()
    result = world.absent()
    assert world.host.mutation_strings() == ["ip link del dev wg0"]
    assert result["changed"] is True and not world.config_path.exists()


def test_absent_when_nothing_exists(world):
    result = world.absent()
    assert result["changed"] is False
    assert world.host.mutations == []
    assert result["diff"]["before"] == ""


# ------------------------------------------------------------ errors
def run_error(world, **kw):
    with pytest.raises(WireGuardInterfaceError) as exc:
        world.interface(**kw).present()
    assert world.host.mutations == []
    return str(exc.value)


def test_missing_private_key_file(world):
    world.key_path.unlink()
    msg = run_error(world)
    assert str(world.key_path) in msg and "wg_key" in msg
    assert not world.config_path.exists()


def test_invalid_private_key_file(world):
    world.key_path.write_text("garbage\n")
    assert str(world.key_path) in run_error(world)


def test_own_key_as_peer(world):
    assert "own public key" in run_error(world, peers=world.hub_peers() + [module_peer(PUBLIC)])


def test_duplicate_allowed_ips(world):
    peers = world.hub_peers() + [module_peer(C, name="spoke-c", allowed_ips=["192.168.10.0/24"])]
    msg = run_error(world, peers=peers)
    assert "192.168.10.0/24" in msg and "spoke-a" in msg and "spoke-c" in msg


def test_missing_psk_file(world):
    world.psk_path.unlink()
    msg = run_error(world)
    assert str(world.psk_path) in msg and "spoke-b" in msg


def test_invalid_peer_field(world):
    msg = run_error(world, peers=[module_peer(C, name="spoke-c", endpoint="h:99999")])
    assert "spoke-c" in msg and "endpoint" in msg


def test_existing_non_wireguard_interface(world):
    world.host.add_link(kind="dummy", addresses=["10.77.0.1/24"])
    world.host.wg = None
    msg = run_error(world)
    assert "wg0" in msg and "wg show" in msg


def test_ip_failure_other_than_missing_device(world):
    world.host.failures[("ip", "-j", "-d", "address")] = (1, "Permission denied\n")
    assert "Permission denied" in run_error(world)


# ------------------------------------------------------------ diff accuracy
def test_diff_shows_only_real_changes_for_spoke_without_listen_port(world):
    world.in_sync_hub()
    world.host.wg["listen_port"] = 43512          # picked by the kernel
    world.write_config(listen_port=None)
    peers = world.hub_peers()
    peers[1]["persistent_keepalive"] = 15
    result = world.present(listen_port=None, peers=peers)
    assert world.host.mutation_strings() == ["wg set wg0 peer %s persistent-keepalive 15" % B]
    before = result["diff"]["before"].splitlines()
    after = result["diff"]["after"].splitlines()
    assert [line for line in before if line not in after] == ["    persistent_keepalive: 25"]


def test_diff_fwmark_zero_is_off(world):
    world.in_sync_hub()
    world.write_config(fwmark=0)
    result = world.present(fwmark=0)
    assert result["changed"] is False
    assert result["diff"]["before"] == result["diff"]["after"]


# ------------------------------------------------------------ check mode predicts the real run
def test_check_mode_actions_match_real_run_for_peer_changes(world):
    world.in_sync_hub()
    world.host.add_peer(D, ["10.77.0.9/32"])
    world.host.link["addresses"].append("10.99.0.1/24")
    peers = world.hub_peers() + [module_peer(C, allowed_ips=["10.77.0.4/32", "192.168.30.0/24"])]
    predicted = world.present(check_mode=True, peers=peers)
    assert world.host.mutations == []
    real = world.present(peers=peers)
    assert predicted["actions"] == real["actions"]
    assert [a for a in real["actions"] if not a.startswith("write ")] == world.host.mutation_strings()
    for key in ("changed", "peers_added", "peers_removed", "peers_changed", "diff"):
        assert predicted[key] == real[key]


def test_check_mode_actions_match_real_run_when_creating_with_systemd(world):
    predicted = world.present(check_mode=True)
    real = world.present()
    assert predicted["actions"] == real["actions"]


def test_check_mode_actions_match_real_run_for_absent(world):
    world.in_sync_hub()
    predicted = world.absent(check_mode=True)
    real = world.absent()
    assert predicted["actions"] == real["actions"]


# ------------------------------------------------------------ runner and resolver
class FakeModule(object):
    def __init__(self, rc=0, out="", err=""):
        self.rc, self.out, self.err = rc, out, err
        self.calls = []

    def run_command(self, argv, environ_update=None, **kwargs):
        self.calls.append((argv, environ_update))
        self.kwargs = kwargs
        return self.rc, self.out, self.err


def test_command_runner_sets_c_locale_and_env():
    module = FakeModule(out="ok")
    runner = _wg_interface.CommandRunner(module)
    assert runner(["wg", "show"], env={"X": "1"}) == (0, "ok", "")
    assert module.calls == [(["wg", "show"], {"LANG": "C", "LC_ALL": "C", "X": "1"})]


def test_command_runner_passes_data_on_stdin_only_when_given():
    module = FakeModule()
    runner = _wg_interface.CommandRunner(module)
    runner(["wg", "show"])
    assert module.kwargs == {}
    runner(["wg", "set", "wg0", "private-key", "/dev/stdin"], data="a key")
    assert module.kwargs == {"data": "a key"} and "a key" not in module.calls[-1][0]


def test_command_runner_raises_on_failure_only_when_checked():
    runner = _wg_interface.CommandRunner(FakeModule(rc=2, err=" boom \n"))
    assert runner(["false"], check=False) == (2, "", " boom \n")
    with pytest.raises(WireGuardInterfaceError) as exc:
        runner(["ip", "link", "del", "dev", "wg0"])
    assert str(exc.value) == "ip link del dev wg0 failed (rc=2): boom"


def test_resolve_uses_getaddrinfo_and_caches(monkeypatch, world):
    calls = []

    def getaddrinfo(host, port, family, socktype):
        calls.append((host, port))
        if host == "gone.example.net":
            raise _wg_interface.socket.gaierror("Name or service not known")
        return [(2, 2, 17, "", ("203.0.113.5", port)), (10, 2, 17, "", ("2001:db8::5", port, 0, 0))]

    monkeypatch.setattr(_wg_interface.socket, "getaddrinfo", getaddrinfo)
    iface = WireGuardInterface(world.params(), world.host, paths=world.paths)
    assert iface._resolve("hub.example.net", 51820) == {"203.0.113.5", "2001:db8::5"}
    assert iface._resolve("hub.example.net", 51820) == {"203.0.113.5", "2001:db8::5"}
    assert iface._resolve("gone.example.net", 51820) == set()
    assert calls == [("hub.example.net", 51820), ("gone.example.net", 51820)]
