# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Endpoints and prefixes in _wg_values."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_peers
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_values


@pytest.mark.parametrize("text,expected", [
    ("vpn.example.com:51821", ("vpn.example.com", 51821)),
    ("vpn.example.com", ("vpn.example.com", 51820)),
    ("203.0.113.5:1", ("203.0.113.5", 1)),
    ("203.0.113.5:65535", ("203.0.113.5", 65535)),
    ("[2001:db8::1]:51822", ("2001:db8::1", 51822)),
    ("[2001:db8::1]", ("2001:db8::1", 51820)),
    ("  host:7 ", ("host", 7)),
])
def test_split_endpoint(text, expected):
    assert _wg_values.split_endpoint(text) == expected


def test_split_endpoint_default_port():
    assert _wg_values.split_endpoint("host", default_port=4500) == ("host", 4500)
    assert _wg_values.split_endpoint("[::1]", default_port=4500) == ("::1", 4500)


@pytest.mark.parametrize("text", [
    "", "   ", "host:0", "host:65536", "host:abc", "host:", ":51820", "[2001:db8::1", "[2001:db8::1]51820",
    "[2001:db8::1]:x", "2001:db8::1:51820", "[]:51820", "2001:db8::1", "2001:db8::1:4500",
])
def test_split_endpoint_rejects(text):
    with pytest.raises(ValueError):
        _wg_values.split_endpoint(text)


def test_join_endpoint():
    assert _wg_values.join_endpoint("host", 1) == "host:1"
    assert _wg_values.join_endpoint("10.0.0.1", 51820) == "10.0.0.1:51820"
    assert _wg_values.join_endpoint("2001:db8::1", 51820) == "[2001:db8::1]:51820"


hostnames = st.from_regex(r"\A[a-z][a-z0-9-]{0,10}(\.[a-z][a-z0-9-]{0,10}){0,3}\Z")
ipv4 = st.ip_addresses(v=4).map(str)
ipv6 = st.ip_addresses(v=6).map(str)


@settings(max_examples=80, deadline=None)
@given(st.one_of(hostnames, ipv4, ipv6), st.integers(1, 65535))
def test_join_split_round_trip(host, port):
    text = _wg_values.join_endpoint(host, port)
    assert _wg_values.split_endpoint(text) == (host, port)


@pytest.mark.parametrize("value,expected", [
    ("10.0.0.1/24", "10.0.0.0/24"),
    ("10.0.0.1", "10.0.0.1/32"),
    (" 192.168.1.0/24 ", "192.168.1.0/24"),
    ("fd00::1/64", "fd00::/64"),
    ("FD00::1", "fd00::1/128"),
    ("0.0.0.0/0", "0.0.0.0/0"),
])
def test_normalize_prefix(value, expected):
    assert _wg_values.normalize_prefix(value) == expected


def test_normalize_interface_address_keeps_host_bits():
    assert _wg_values.normalize_interface_address("10.0.0.1/24") == "10.0.0.1/24"
    assert _wg_values.normalize_interface_address("10.0.0.1") == "10.0.0.1/32"
    assert _wg_values.normalize_interface_address("FD00::1/64") == "fd00::1/64"


@pytest.mark.parametrize("value", ["10.0.0.300/24", "10.0.0.0/33", "nonsense"])
def test_normalize_prefix_rejects(value):
    with pytest.raises(ValueError):
        _wg_values.normalize_prefix(value)


@settings(max_examples=50, deadline=None)
@given(st.one_of(st.ip_addresses(v=4).flatmap(lambda a: st.tuples(st.just(a), st.integers(0, 32))),
                 st.ip_addresses(v=6).flatmap(lambda a: st.tuples(st.just(a), st.integers(0, 128)))))
def test_normalize_prefix_contains_address(addr_len):
    addr, length = addr_len
    net = ipaddress.ip_network(_wg_values.normalize_prefix("%s/%d" % (addr, length)))
    assert net.prefixlen == length
    assert addr in net


def test_peers_from_json_accepts_the_peers_option_fields():
    text = '[{"public_key": "k", "name": "hub", "allowed_ips": ["10.0.0.0/24"], "endpoint": "h:1",' \
           ' "persistent_keepalive": 25, "preshared_key_path": "/p"}]'
    assert _wg_peers.peers_from_json(text)[0]["name"] == "hub"
    assert _wg_peers.peers_from_json("[]") == []


@pytest.mark.parametrize("text, message", [
    ("[{", "not valid JSON"),
    ('{"public_key": "k"}', "JSON list of peer objects"),
    ('["k"]', "JSON list of peer objects"),
    ('[{"public_key": "k", "name": "hub", "allowedips": []}]', "peer hub has unsupported fields allowedips"),
])
def test_peers_from_json_rejects(text, message):
    with pytest.raises(ValueError, match=message):
        _wg_peers.peers_from_json(text)
