# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unmanaged clients (plugin_utils._clients): validation, the config each
client gets, and the PSK files of each host."""

from __future__ import annotations

import base64

import pytest

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_crypto
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _clients
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _psk
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils import wg_quick


def key(i):
    return _wg_crypto.public_key(base64.b64encode(bytes([i]) * 32).decode())


HOSTVARS = {
    "hub": {"wireguard_address": "10.77.0.1", "wireguard_endpoint": "vpn.example.net",
            "wireguard_lan_subnets": ["172.16.0.0/24"]},
    "hub2": {"wireguard_address": "10.77.0.2", "wireguard_endpoint": "198.51.100.2:51821"},
    "router": {"wireguard_address": "10.77.0.12", "wireguard_lan_subnets": ["192.168.1.0/24"]},
    "laptop": {"wireguard_address": "10.77.0.11"},
}
GROUPS = {"wireguard": ["hub", "router", "laptop"], "wireguard_hubs": ["hub"], "two": ["hub", "hub2", "router"],
          "two_hubs": ["hub", "hub2"]}
KEYS = {"wg0": {"hub": key(1), "hub2": key(2), "router": key(3), "laptop": key(4)}}
PHONE_KEY = key(50)
MASTER = "a master secret of some length"


def plan(clients, keys=None, **net):
    networks = {"wg0": dict({"range": "10.77.0.0/24", "clients": clients}, **net)}
    return _topology.plan_networks(HOSTVARS, networks, GROUPS, KEYS if keys is None else keys), networks


def one(clients, name="phone", **net):
    result, networks = plan(clients, **net)
    return [c for c in _clients.client_plans(result, networks) if c["name"] == name][0]


def test_default_client_routes_the_range_and_every_lan_through_its_hub():
    c = one({"phone": {"address": "10.77.0.50"}})
    assert c["addresses"] == ["10.77.0.50/32"]
    assert c["public_key"] is None
    assert c["dns"] == []
    assert c["peers"] == [{"name": "hub", "public_key": key(1), "endpoint": "vpn.example.net:51820",
                           "allowed_ips": ["10.77.0.0/24", "172.16.0.0/24", "192.168.1.0/24"],
                           "persistent_keepalive": 25}]


def test_client_settings():
    c = one({"phone": {"address": ["10.77.0.50", "fd77::50"], "public_key": PHONE_KEY, "dns": ["10.77.0.1", "lan"],
                       "persistent_keepalive": 15, "full_tunnel": True}}, range=["10.77.0.0/24", "fd77::/64"])
    assert c["addresses"] == ["10.77.0.50/32", "fd77::50/128"]
    assert c["public_key"] == PHONE_KEY
    assert c["dns"] == ["10.77.0.1", "lan"]
    assert c["peers"][0]["allowed_ips"] == ["0.0.0.0/0", "::/0"]
    assert c["peers"][0]["persistent_keepalive"] == 15


def test_explicit_allowed_ips():
    c = one({"phone": {"address": "10.77.0.50", "allowed_ips": ["10.77.0.1/32", "192.168.1.7"]}})
    assert c["peers"][0]["allowed_ips"] == ["10.77.0.1/32", "192.168.1.7/32"]


def test_other_clients_lans_are_routed_but_not_its_own():
    clients = {"phone": {"address": "10.77.0.50"},
               "tablet": {"address": "10.77.0.51", "lan_subnets": ["192.168.77.0/24"]}}
    assert "192.168.77.0/24" in one(clients)["peers"][0]["allowed_ips"]
    assert "192.168.77.0/24" not in one(clients, "tablet")["peers"][0]["allowed_ips"]


def test_two_hubs_like_a_spoke_chosen_hub_first():
    clients = {"phone": {"address": "10.77.0.50", "hub": "hub2"}}
    c = one(clients, members="two", hubs="two_hubs")
    assert [p["name"] for p in c["peers"]] == ["hub2", "hub"]
    assert c["peers"][0]["allowed_ips"] == ["10.77.0.0/24", "192.168.1.0/24"]
    assert c["peers"][0]["endpoint"] == "198.51.100.2:51821"
    # The other hub carries only its own address and LAN: no prefix twice.
    assert c["peers"][1]["allowed_ips"] == ["10.77.0.1/32", "172.16.0.0/24"]
    default = one({"phone": {"address": "10.77.0.50"}}, members="two", hubs="two_hubs")
    assert [p["name"] for p in default["peers"]] == ["hub", "hub2"]
    assert default["peers"][1]["allowed_ips"] == ["10.77.0.2/32"]


@pytest.mark.parametrize("clients, match", [
    ({"phone": {"address": "10.77.0.11"}}, r"client phone: wireguard_networks.wg0.clients.phone.address 10.77.0.11 "
                                           r"is already used by laptop"),
    ({"phone": {"address": "10.77.0.50"}, "tablet": {"address": "10.77.0.50"}},
     r"client tablet: wireguard_networks.wg0.clients.tablet.address 10.77.0.50 is already used by phone"),
    ({"phone": {"address": "10.78.0.50"}}, r"wireguard_networks.wg0.clients.phone.address 10.78.0.50 is outside "
                                           r"the network range 10.77.0.0/24"),
    ({"phone": {"address": "10.77.0.50", "public_key": "abc"}},
     r"client phone: wireguard_networks.wg0.clients.phone.public_key is not a valid WireGuard public key"),
    ({"phone": {"address": "10.77.0.50", "hub": "laptop"}},
     r"client phone: wireguard_networks.wg0.clients.phone.hub 'laptop' is not a hub of wg0; choose one of hub"),
    ({"laptop": {"address": "10.77.0.50"}}, r"client 'laptop' has the name of an inventory host"),
])
def test_plan_errors(clients, match):
    with pytest.raises(_topology.PlanError, match=match):
        plan(clients)


@pytest.mark.parametrize("spec, match", [
    ({"dns": ["1.1.1.1", "bad name"]}, r"client phone: wireguard_networks.wg0.clients.phone.dns entry 'bad name'"),
    ({"allowed_ips": ["10.0.0.0/33"]}, r"wireguard_networks.wg0.clients.phone.allowed_ips entry '10.0.0.0/33' is "
                                       r"not a CIDR prefix"),
    ({"full_tunnel": "yes"}, r"wireguard_networks.wg0.clients.phone.full_tunnel must be true or false"),
    ({"full_tunnel": True, "allowed_ips": ["10.0.0.0/8"]}, r"set either .*allowed_ips or .*full_tunnel"),
    ({"allowd_ips": ["10.0.0.0/8"]}, r"client phone: unknown setting wireguard_networks.wg0.clients.phone.allowd_ips"),
])
def test_client_setting_errors(spec, match):
    # The planner refuses an unknown client setting itself (PlanError); ClientError is a PlanError.
    with pytest.raises(_topology.PlanError, match=match):
        one({"phone": dict({"address": "10.77.0.50"}, **spec)})


@pytest.mark.parametrize("spec, match", [
    ({"dns": "a b"}, r"wireguard_networks.wg0.clients.phone.dns entry 'a b'"),
    ({"full_tunnel": 1}, r"full_tunnel must be true or false"),
    ({"hub_name": "hub"}, r"unknown setting wireguard_networks.wg0.clients.phone.hub_name"),
    ({"allowed_ips": "x"}, r"allowed_ips entry 'x' is not a CIDR prefix"),
])
def test_client_list_checks_every_setting_before_any_plan(spec, match):
    # clients.yml's first step: fails on the controller before the site play changes a host.
    with pytest.raises(_clients.ClientError, match=match):
        _clients.client_list({"wg0": {"clients": {"phone": dict({"address": "10.77.0.50"}, **spec)}}})


def test_single_network_form_names_wireguard_clients():
    with pytest.raises(_clients.ClientError, match=r"wireguard_clients.phone.dns"):
        one({"phone": {"address": "10.77.0.50", "dns": "a b"}}, clients_var="wireguard_clients")
    with pytest.raises(_topology.PlanError, match=r"client phone: wireguard_clients.phone.address"):
        plan({"phone": {"address": "10.99.0.50"}}, clients_var="wireguard_clients")


def test_client_list():
    networks = {"wg0": {"clients": {"phone": {"address": "10.77.0.50"}, "mac": {"public_key": PHONE_KEY}}},
                "wg1": {}}
    assert _clients.client_list(networks) == [
        {"network": "wg0", "name": "mac", "public_key": PHONE_KEY},
        {"network": "wg0", "name": "phone", "public_key": None}]
    with pytest.raises(_clients.ClientError, match="file name"):
        _clients.client_list({"wg0": {"clients": {"../x": {}}}})
    with pytest.raises(_clients.ClientError, match="wireguard_networks.wg0.clients.mac.public_key is not a valid"):
        _clients.client_list({"wg0": {"clients": {"mac": {"public_key": "x"}}}})


def test_render_with_private_key_and_psk():
    c = one({"phone": {"address": "10.77.0.50", "dns": ["10.77.0.1"]}})
    private = base64.b64encode(b"\x07" * 32).decode()
    text = _clients.render_client_config(c, private, {key(1): "P" * 43 + "="})
    parsed = wg_quick.parse_config(text)
    assert parsed["interface"] == {"privatekey": private, "address": ["10.77.0.50/32"], "dns": ["10.77.0.1"]}
    assert parsed["peers"] == [{"name": "hub", "publickey": key(1), "presharedkey": "P" * 43 + "=",
                                "allowedips": ["10.77.0.0/24", "172.16.0.0/24", "192.168.1.0/24"],
                                "endpoint": "vpn.example.net:51820", "persistentkeepalive": "25"}]


def test_render_placeholder_without_private_key():
    c = one({"phone": {"address": "10.77.0.50", "public_key": PHONE_KEY}})
    text = _clients.render_client_config(c)
    assert "# PrivateKey = <paste the client's private key here>\n" in text
    assert "PresharedKey" not in text and "DNS" not in text
    assert "privatekey" not in wg_quick.parse_config(text)["interface"]


def test_host_psks_match_on_both_ends():
    result, _n = plan({"phone": {"address": "10.77.0.50", "public_key": PHONE_KEY}})
    for net in result["networks"].values():
        net["preshared_keys"] = True
    hub = _clients.host_psks(result, "hub", MASTER)
    router = _clients.host_psks(result, "router", MASTER)
    assert sorted(p["path"] for p in hub) == sorted(_psk.psk_file("wg0", k) for k in (key(3), key(4), PHONE_KEY))
    hub_to_router = [p for p in hub if p["path"] == _psk.psk_file("wg0", key(3))][0]["psk"]
    router_to_hub = [p for p in router if p["path"] == _psk.psk_file("wg0", key(1))][0]["psk"]
    assert hub_to_router == router_to_hub == _psk.derive_psk(MASTER, "wg0", key(1), key(3))
    phone = [p for p in hub if p["path"] == _psk.psk_file("wg0", PHONE_KEY)][0]["psk"]
    assert phone == _psk.derive_psk(MASTER, "wg0", PHONE_KEY, key(1))


def test_host_psks_off():
    result, _n = plan({})
    assert _clients.host_psks(result, "hub", MASTER) == []
