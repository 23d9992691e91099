# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The OpenWrt emulation's netifd: wg config, addresses, routes, first boot."""

from __future__ import annotations

import ipaddress

import netifd
import uci


def test_wg_setconf_text_from_the_wireguard_sample(sample):
    pkg = uci.parse_config(sample("network-wireguard"), "network")
    opts, peers = netifd.wireguard_config(pkg, "wg0")
    text = netifd.wg_setconf_text(opts, peers)
    assert text == (
        "[Interface]\n"
        "PrivateKey=qLvQnx5CpXPDo6oplzdIvXLNqkbgpXip3Yv4ouHWZ0Q=\n"
        "ListenPort=51820\n"
        "\n[Peer]\n"
        "PublicKey=9mD+mTiOp7SGIkB4t3ZfWAcfp5iA/WwQRdVypKKwrjY=\n"
        "PresharedKey=FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=\n"
        "AllowedIPs=10.20.0.0/24, 192.168.50.0/24\n"
        "Endpoint=vpn.example.com:51820\n"
        "PersistentKeepalive=25\n"
        "\n[Peer]\n"
        "PublicKey=4mLeWXvH1fHp6xUZzOHnMvb7bT8ecu/Jk+3tX/m3b3Q=\n"
        "AllowedIPs=10.20.0.3/32\n"
    )
    # only peers with route_allowed_ips '1' get routes
    assert netifd.routes_for(peers) == ["10.20.0.0/24", "192.168.50.0/24"]


def test_disabled_peers_space_separated_lists_and_endpoints():
    peers = [
        {"public_key": "A", "allowed_ips": "10.0.0.0/8 10.1.2.3/16", "route_allowed_ips": "1",
         "endpoint_host": "fd00::1"},
        {"public_key": "B", "disabled": "1", "allowed_ips": ["10.9.0.0/16"], "route_allowed_ips": "1"},
    ]
    text = netifd.wg_setconf_text({"private_key": "K", "fwmark": "0x10"}, peers)
    assert "FwMark=0x10\n" in text and "PublicKey=B" not in text
    assert "Endpoint=[fd00::1]:51820\n" in text
    assert "AllowedIPs=10.0.0.0/8, 10.1.2.3/16\n" in text
    # host bits are cleared like netifd does for routes
    assert netifd.routes_for(peers) == ["10.0.0.0/8", "10.1.0.0/16"]


def test_address_defaults():
    assert netifd.address_args("10.0.0.1") == ["-4", "address", "add", "10.0.0.1/32", "dev"]
    assert netifd.address_args("10.0.0.1/24")[3] == "10.0.0.1/24"
    assert netifd.address_args("fd00::1")[:4] == ["-6", "address", "add", "fd00::1/128"]


def test_fresh_network_and_wan_lan_pick():
    addrs = {"eth0": "172.18.63.1/24", "eth1": "172.31.30.12/24"}

    def addr_of(dev):
        return ipaddress.ip_interface(addrs[dev])

    devs = netifd.wan_lan_devices(["eth0", "eth1"], {"OWRT_EMU_WAN": "172.31.30.12",
                                                     "OWRT_EMU_LAN": "172.18.63.1"}, addr_of)
    assert devs == ["eth1", "eth0"]
    assert netifd.wan_lan_devices(["eth0", "eth1"], {}, addr_of) == ["eth0", "eth1"]
    pkg = netifd.fresh_network(devs, addr_of=addr_of, gw_of=lambda dev: "172.31.30.254")
    text = uci.export(pkg, header=False)
    assert "config interface 'lan'\n\toption device 'eth0'\n\toption proto 'static'\n" \
           "\toption ipaddr '172.18.63.1'\n\toption netmask '255.255.255.0'\n\toption ip6assign '60'\n" in text
    assert "config interface 'wan'\n\toption device 'eth1'\n\toption proto 'static'\n" \
           "\toption ipaddr '172.31.30.12'\n\toption netmask '255.255.255.0'\n" \
           "\toption gateway '172.31.30.254'\n" in text
    assert [s.name for s in pkg.sections] == ["loopback", "globals", "lan", "wan", "wan6"]


def _state(pkg, name, up=True):
    return {"config": dict(pkg.get(name).options), "up": up}


def test_reload_restarts_only_interfaces_whose_section_changed(sample):
    text = sample("network-wireguard")
    pkg = uci.parse_config(text, "network")
    # boot: nothing recorded yet, wg0 comes up
    assert netifd.plan_reload(pkg, {}) == [("setup", "wg0")]
    states = {"wg0": _state(pkg, "wg0")}
    assert netifd.plan_reload(pkg, states) == []
    # a peer section change alone is not seen by reload (as in 23.05)
    peer_changed = uci.parse_config(text.replace("option persistent_keepalive '25'",
                                                 "option persistent_keepalive '5'"), "network")
    assert netifd.plan_reload(peer_changed, states) == []
    # an interface option change restarts the interface
    mtu_changed = uci.parse_config(text.replace("option mtu '1420'", "option mtu '1380'"), "network")
    assert netifd.plan_reload(mtu_changed, states) == [("setup", "wg0")]
    # gone from the config: torn down; auto '0': not started by reload
    gone = uci.parse_config(text, "network")
    gone.sections = [s for s in gone.sections if s.name != "wg0"]
    assert netifd.plan_reload(gone, states) == [("teardown", "wg0")]
    manual = uci.parse_config(text, "network")
    manual.get("wg0").options["auto"] = "0"
    assert netifd.plan_reload(manual, {}) == []
    # ifdown'd and unchanged: stays down
    assert netifd.plan_reload(pkg, {"wg0": _state(pkg, "wg0", up=False)}) == []
