# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Smoke test of the OpenWrt emulation with real (userspace) tunnels.

Lab (topology.yml here): a Debian peer on the wan, the emulated router
(wan + lan) and a LAN client behind it. The router is configured only
through `/bin/sh -c` with uci batch, opkg, ifup and fw4, as Ansible would.
Run: .venv/bin/python -m pytest -q tests/openwrt/smoke (needs root, podman;
about a minute; `make openwrt-emu`). Set OWRT_SMOKE_KEEP=1 to keep the lab.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
TOPOLOGY = os.path.join(HERE, "topology.yml")
sys.path.insert(0, os.path.join(ROOT, "lab"))

import labkit  # noqa: E402  pylint: disable=wrong-import-position,import-error

ENV = dict(os.environ, CONTAINERS_CONF=os.path.join(ROOT, "lab", "containers.conf"))
PEER, ROUTER, CLIENT = "wgnet-owrt-peer", "wgnet-owrt-router", "wgnet-owrt-lanclient"
PEER_WG, ROUTER_WG, LAN_CLIENT = "10.99.0.1", "10.99.0.2", "172.18.63.50"


def lab(*args):
    subprocess.run([sys.executable, os.path.join(ROOT, "lab", "lab.py"), *args, TOPOLOGY],
                   env=ENV, cwd=ROOT, check=True)


def sh(container, script, stdin=None, check=True):
    """`podman exec CONTAINER /bin/sh -c SCRIPT`, as Ansible's podman connection."""
    res = subprocess.run(["podman", "exec", "-i", container, "/bin/sh", "-c", script], input=stdin,
                         capture_output=True, text=True, env=ENV, check=False)
    if check:
        assert res.returncode == 0, "%s: %s\n%s%s" % (container, script, res.stdout, res.stderr)
    return res


def ping(container, address, count=3):
    os.environ["CONTAINERS_CONF"] = ENV["CONTAINERS_CONF"]
    return labkit.ping(container, address, count=count)[0]


def wait_ping(container, address, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ping(container, address, count=1):
            return True
        time.sleep(0.5)
    return False


@pytest.fixture(scope="module")
def keys():
    lab("down")  # a fresh router every run
    lab("up")
    try:
        rk = sh(ROUTER, "wg genkey").stdout.strip()
        pk = sh(PEER, "wg genkey").stdout.strip()
        yield {
            "router": rk, "router_pub": sh(ROUTER, "wg pubkey", stdin=rk + "\n").stdout.strip(),
            "peer": pk, "peer_pub": sh(PEER, "wg pubkey", stdin=pk + "\n").stdout.strip(),
        }
    finally:
        if os.environ.get("OWRT_SMOKE_KEEP") != "1":
            lab("down")


def test_1_looks_like_openwrt(keys):
    assert sh(ROUTER, "readlink /bin/sh").stdout.strip() == "busybox"
    assert sh(ROUTER, "command -v python3 || command -v python", check=False).returncode != 0
    assert "DISTRIB_RELEASE='23.05" in sh(ROUTER, "cat /etc/openwrt_release").stdout
    res = sh(ROUTER, "uci -q get network.wg0.proto", check=False)
    assert (res.returncode, res.stdout, res.stderr) == (1, "", "")
    assert sh(ROUTER, "uci get network.lan.ipaddr").stdout == "172.18.63.1\n"
    assert sh(ROUTER, "uci get network.wan.device").stdout.strip().startswith("eth")
    assert "wireguard" not in sh(ROUTER, "opkg list-installed").stdout
    assert "input_wan" in sh(ROUTER, "nft list table inet fw4").stdout


def test_2_tunnel_configured_with_uci_batch_and_ifup(keys):
    sh(PEER, """
        mkdir -p /etc/systemd/system/wg-quick@.service.d
        printf '[Service]\\nEnvironment=WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go\\n%%s\\n' \
            'Environment=WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1' \
            > /etc/systemd/system/wg-quick@.service.d/userspace.conf
        cat > /etc/wireguard/wg0.conf <<EOF
[Interface]
PrivateKey = %s
Address = %s/24
ListenPort = 51820
[Peer]
PublicKey = %s
AllowedIPs = %s/32, 172.18.63.0/24
EOF
        systemctl daemon-reload && systemctl restart wg-quick@wg0
        ip route replace 172.18.63.0/24 dev wg0
    """ % (keys["peer"], PEER_WG, keys["router_pub"], ROUTER_WG))
    # a fresh router has no package lists: install fails until opkg update
    res = sh(ROUTER, "opkg install wireguard-tools", check=False)
    assert res.returncode == 255 and "Unknown package 'wireguard-tools'." in res.stdout
    sh(ROUTER, "opkg update >/dev/null && opkg install wireguard-tools luci-proto-wireguard >/dev/null")
    assert "kmod-wireguard - " in sh(ROUTER, "opkg list-installed 'kmod-*'").stdout
    batch = """
set network.wg0=interface
set network.wg0.proto='wireguard'
set network.wg0.private_key='%s'
set network.wg0.listen_port='51821'
add_list network.wg0.addresses='%s/24'
set network.wgpeer_hub=wireguard_wg0
set network.wgpeer_hub.description='hub'
set network.wgpeer_hub.public_key='%s'
add_list network.wgpeer_hub.allowed_ips='%s/32'
set network.wgpeer_hub.route_allowed_ips='1'
set network.wgpeer_hub.endpoint_host='172.31.30.10'
set network.wgpeer_hub.endpoint_port='51820'
set network.wgpeer_hub.persistent_keepalive='5'
""" % (keys["router"], ROUTER_WG, keys["peer_pub"], PEER_WG)
    res = sh(ROUTER, "uci batch", stdin=batch)
    assert res.stderr == ""
    changes = sh(ROUTER, "uci changes network").stdout
    assert "network.wg0.addresses+='%s/24'" % ROUTER_WG in changes
    sh(ROUTER, "uci commit network && ifup wg0")
    assert sh(ROUTER, "uci changes").stdout == ""
    assert wait_ping(ROUTER, PEER_WG)
    # wg0 is in no firewall zone yet: the router's input policy rejects it
    assert not ping(PEER, ROUTER_WG, count=1)
    dump = sh(ROUTER, "wg show wg0 dump").stdout.splitlines()
    assert len(dump) == 2 and dump[1].split("\t")[0] == keys["peer_pub"]
    assert int(dump[1].split("\t")[4]) > 0  # handshake
    assert "%s dev wg0 proto static" % PEER_WG in sh(ROUTER, "ip route").stdout
    status = sh(ROUTER, "ifstatus wg0").stdout
    assert '"up": true' in status and '"l3_device": "wg0"' in status


def test_3_forwarding_depends_on_the_zone_config(keys):
    # wg0 in no zone: the router's forward policy (REJECT) blocks peer -> LAN
    assert not ping(PEER, LAN_CLIENT, count=2)
    zone = """
set firewall.wgzone=zone
set firewall.wgzone.name='wg'
add_list firewall.wgzone.network='wg0'
set firewall.wgzone.input='ACCEPT'
set firewall.wgzone.output='ACCEPT'
set firewall.wgzone.forward='ACCEPT'
set firewall.fwd_wg_lan=forwarding
set firewall.fwd_wg_lan.src='wg'
set firewall.fwd_wg_lan.dest='lan'
set firewall.wg_port=rule
set firewall.wg_port.name='Allow-WireGuard'
set firewall.wg_port.src='wan'
set firewall.wg_port.proto='udp'
set firewall.wg_port.dest_port='51821'
set firewall.wg_port.target='ACCEPT'
commit firewall
"""
    sh(ROUTER, "uci batch", stdin=zone)
    # committed but not reloaded: still blocked
    assert not ping(PEER, LAN_CLIENT, count=1)
    sh(ROUTER, "fw4 reload")
    assert ping(PEER, LAN_CLIENT)
    assert ping(PEER, ROUTER_WG)
    sh(ROUTER, "uci delete firewall.fwd_wg_lan && uci commit firewall && /etc/init.d/firewall reload")
    assert not ping(PEER, LAN_CLIENT, count=2)
    readd = "set firewall.fwd_wg_lan=forwarding\nset firewall.fwd_wg_lan.src='wg'\n" \
            "set firewall.fwd_wg_lan.dest='lan'\ncommit firewall\n"
    sh(ROUTER, "uci batch", stdin=readd)
    sh(ROUTER, "fw4 reload")
    assert ping(PEER, LAN_CLIENT)


def test_4_reload_applies_interface_changes_ifup_applies_peer_changes(keys):
    def keepalive():
        return sh(ROUTER, "wg show wg0 persistent-keepalive").stdout.split()[-1]

    sh(ROUTER, "uci set network.wgpeer_hub.persistent_keepalive='7' && uci commit network"
               " && /etc/init.d/network reload")
    assert keepalive() == "5"  # a peer section change alone: reload does not see it
    sh(ROUTER, "ifup wg0")
    assert keepalive() == "7"
    sh(ROUTER, "uci set network.wg0.mtu='1380' && reload_config")
    # staged, not committed: netifd reads /etc/config only
    assert "mtu 1420" in sh(ROUTER, "ip link show wg0").stdout
    sh(ROUTER, "uci commit network")
    # reload_config compares `uci show`, staged values included: nothing new
    sh(ROUTER, "reload_config")
    assert "mtu 1420" in sh(ROUTER, "ip link show wg0").stdout
    sh(ROUTER, "uci set network.wg0.mtu='1400' && uci commit network && reload_config")
    assert "mtu 1400" in sh(ROUTER, "ip link show wg0").stdout
    sh(ROUTER, "uci add_list network.wg0.addresses='10.98.0.2/24' && uci commit network"
               " && /etc/init.d/network reload")
    assert "10.98.0.2/24" in sh(ROUTER, "ip -4 -br address show wg0").stdout
    assert wait_ping(ROUTER, PEER_WG)


def test_5_router_restart_brings_the_tunnel_back(keys):
    subprocess.run(["podman", "restart", "--time", "5", ROUTER], env=ENV, check=True, capture_output=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        res = sh(ROUTER, "systemctl is-active owrt-emu-boot.service", check=False)
        if res.stdout.strip() == "active":
            break
        time.sleep(1)
    # lab.py sets the single default route; after a restart podman's come back
    lab("up", "--no-build")
    assert wait_ping(ROUTER, PEER_WG, timeout=20)
    assert ping(PEER, LAN_CLIENT)
    assert "10.98.0.2/24" in sh(ROUTER, "ip -4 -br address show wg0").stdout
