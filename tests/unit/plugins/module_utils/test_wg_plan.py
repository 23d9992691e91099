# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The reconcile plan in _wg_peers: normalize_peer, plan_peers, wg_set_args,
plan_interface, plan_addresses, wanted_routes, plan_routes, summarize."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_crypto
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_peers
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_values

A = "ERERERERERERERERERERERERERERERERERERERERERE="
B = "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI="
C = "MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM="
D = "REREREREREREREREREREREREREREREREREREREREREQ="
PRIVATE = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo="
PSK = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="


def peer(key, allowed=(), endpoint=None, keepalive=0, name=None, psk_path=None):
    return _wg_peers.normalize_peer({"public_key": key, "name": name, "allowed_ips": list(allowed),
                                     "endpoint": endpoint, "persistent_keepalive": keepalive,
                                     "preshared_key_path": psk_path})


def live(key, allowed=(), endpoint=None, keepalive=0, psk=None):
    return {"public_key": key, "preshared_key": psk, "endpoint": endpoint,
            "allowed_ips": sorted(_wg_values.normalize_prefix(p) for p in allowed),
            "latest_handshake": 0, "transfer_rx": 0, "transfer_tx": 0, "persistent_keepalive": keepalive}


def psk_always(_key, _path):
    return True


def no_dns(host, _port):
    raise AssertionError("resolve called for %s" % host)


def literal_resolve(host, _port):
    return {host}


# ------------------------------------------------------------ normalize_peer
def test_normalize_peer():
    got = _wg_peers.normalize_peer({
        "public_key": " %s\n" % A, "name": "site-a",
        "allowed_ips": ["192.168.1.9/24", "10.0.0.2", "192.168.1.0/24"],
        "endpoint": "vpn.example.com", "persistent_keepalive": "25", "preshared_key_path": "/etc/wireguard/a.psk",
    })
    assert got == {
        "name": "site-a", "public_key": A, "allowed_ips": ["10.0.0.2/32", "192.168.1.0/24"],
        "endpoint": "vpn.example.com:51820", "persistent_keepalive": 25,
        "preshared_key_path": "/etc/wireguard/a.psk", "path": None, "relay_public_key": None,
    }


def test_normalize_peer_defaults():
    assert _wg_peers.normalize_peer({"public_key": A}) == {
        "name": None, "public_key": A, "allowed_ips": [], "endpoint": None,
        "persistent_keepalive": 0, "preshared_key_path": None, "path": None, "relay_public_key": None}


def test_normalize_peer_default_port_argument():
    assert _wg_peers.normalize_peer({"public_key": A, "endpoint": "h"}, default_port=4500)["endpoint"] == "h:4500"
    assert _wg_peers.normalize_peer({"public_key": A, "endpoint": "[2001:db8::1]"})["endpoint"] == "[2001:db8::1]:51820"
    # wg would split an unbracketed address at its last ':', so it is refused.
    with pytest.raises(ValueError, match="brackets"):
        _wg_peers.normalize_peer({"public_key": A, "endpoint": "2001:db8::1"})


@pytest.mark.parametrize("raw,words", [
    ({"public_key": "nope", "name": "x"}, ["peer x", "public_key"]),
    ({"public_key": None}, ["public_key"]),
    ({"public_key": A, "name": "x", "allowed_ips": ["10.0.0.300/32"]}, ["peer x", "allowed_ips"]),
    ({"public_key": A, "allowed_ips": ["bogus"]}, [A[:8], "allowed_ips"]),
    ({"public_key": A, "name": "x", "endpoint": "h:99999"}, ["peer x", "endpoint"]),
    ({"public_key": A, "name": "x", "persistent_keepalive": 70000}, ["peer x", "persistent_keepalive"]),
    ({"public_key": A, "name": "x", "persistent_keepalive": -1}, ["peer x", "persistent_keepalive"]),
])
def test_normalize_peer_errors_name_peer_and_field(raw, words):
    with pytest.raises(ValueError) as exc:
        _wg_peers.normalize_peer(raw)
    for word in words:
        assert word in str(exc.value)


def test_allowed_ips_unique_accepts_overlap_but_not_duplicates():
    _wg_peers.check_allowed_ips_unique([peer(A, ["10.0.0.0/24"]), peer(B, ["10.0.0.0/25", "10.0.0.2/32"])])
    with pytest.raises(ValueError) as exc:
        _wg_peers.check_allowed_ips_unique([peer(A, ["10.0.0.2/32"], name="alpha"),
                                            peer(B, ["10.0.0.7/24"], name="beta"),
                                            peer(C, ["10.0.0.2"], name="gamma")])
    msg = str(exc.value)
    assert "10.0.0.2/32" in msg and "alpha" in msg and "gamma" in msg
    assert "beta" not in msg


def test_allowed_ips_unique_uses_fingerprint_without_name():
    with pytest.raises(ValueError) as exc:
        _wg_peers.check_allowed_ips_unique([peer(A, ["fd00::/64"]), peer(B, ["fd00::1/64"])])
    assert A[:8] in str(exc.value) and B[:8] in str(exc.value)


# ------------------------------------------------------------ plan_peers
def test_plan_in_sync_is_empty():
    wanted = [peer(A, ["10.0.0.2/32"], endpoint="203.0.113.1:51820", keepalive=25), peer(B, ["10.0.0.3/32"])]
    lives = {A: live(A, ["10.0.0.2/32"], "203.0.113.1:51820", 25), B: live(B, ["10.0.0.3/32"])}
    assert _wg_peers.plan_peers(wanted, lives, psk_always, literal_resolve) == {"add": [], "remove": [], "change": []}


def test_plan_add_and_remove():
    wanted = [peer(B, ["10.0.0.3/32"]), peer(A, ["10.0.0.2/32"])]
    lives = {A: live(A, ["10.0.0.2/32"]), D: live(D, ["10.0.0.4/32"]), C: live(C)}
    plan = _wg_peers.plan_peers(wanted, lives, psk_always, no_dns)
    assert [p["public_key"] for p in plan["add"]] == [B]
    assert plan["remove"] == sorted([C, D])
    assert plan["change"] == []


@pytest.mark.parametrize("wanted_kw,live_kw,fields", [
    ({"allowed": ["10.0.0.2/32", "192.168.1.0/24"]}, {"allowed": ["10.0.0.2/32"]}, ["allowed_ips"]),
    ({"allowed": []}, {"allowed": ["10.0.0.2/32"]}, ["allowed_ips"]),
    ({"endpoint": "203.0.113.1:51820"}, {"endpoint": "203.0.113.2:51820"}, ["endpoint"]),
    ({"endpoint": "203.0.113.1:51820"}, {"endpoint": "203.0.113.1:51821"}, ["endpoint"]),
    ({"endpoint": "203.0.113.1:51820"}, {"endpoint": None}, ["endpoint"]),
    ({"endpoint": "[2001:db8::1]:51820"}, {"endpoint": "[2001:db8::2]:51820"}, ["endpoint"]),
    ({"keepalive": 25}, {"keepalive": 0}, ["persistent_keepalive"]),
    ({"keepalive": 0}, {"keepalive": 15}, ["persistent_keepalive"]),
    ({"allowed": ["10.0.0.9/32"], "endpoint": "203.0.113.1:1", "keepalive": 5}, {},
     ["allowed_ips", "endpoint", "persistent_keepalive"]),
])
def test_plan_change_per_field(wanted_kw, live_kw, fields):
    plan = _wg_peers.plan_peers([peer(A, **wanted_kw)], {A: live(A, **live_kw)}, psk_always, literal_resolve)
    assert plan["add"] == [] and plan["remove"] == []
    assert [(p["public_key"], f) for p, f in plan["change"]] == [(A, fields)]


def test_plan_allowed_ips_order_does_not_matter():
    wanted = [peer(A, ["192.168.1.0/24", "10.0.0.2/32"])]
    lives = {A: live(A, ["10.0.0.2/32", "192.168.1.0/24"])}
    assert _wg_peers.plan_peers(wanted, lives, psk_always, no_dns)["change"] == []


def test_plan_preshared_key_compared_through_callback():
    calls = []

    def psk_match(key, path):
        calls.append((key, path))
        return key != B

    wanted = [peer(A, psk_path="/k/a.psk"), peer(B, psk_path="/k/b.psk"), peer(C)]
    lives = {A: live(A), B: live(B), C: live(C)}
    plan = _wg_peers.plan_peers(wanted, lives, psk_match, no_dns)
    assert [(p["public_key"], f) for p, f in plan["change"]] == [(B, ["preshared_key"])]
    assert sorted(calls) == sorted([(A, "/k/a.psk"), (B, "/k/b.psk"), (C, None)])


def test_roaming_endpoint_ignored_when_none_wanted():
    plan = _wg_peers.plan_peers([peer(A, ["10.0.0.2/32"])], {A: live(A, ["10.0.0.2/32"], "198.51.100.7:40123")},
                                psk_always, no_dns)
    assert plan["change"] == []


def test_dns_endpoint_compared_through_resolve():
    seen = []

    def resolve(host, port):
        seen.append((host, port))
        return {"203.0.113.10", "2001:db8::10"}

    wanted = [peer(A, endpoint="hub.example.net")]
    for live_endpoint in ("203.0.113.10:51820", "[2001:db8::10]:51820"):
        plan = _wg_peers.plan_peers(wanted, {A: live(A, endpoint=live_endpoint)}, psk_always, resolve)
        assert plan["change"] == []
    assert seen[0] == ("hub.example.net", 51820)
    plan = _wg_peers.plan_peers(wanted, {A: live(A, endpoint="203.0.113.99:51820")}, psk_always, resolve)
    assert [f for _p, f in plan["change"]] == [["endpoint"]]
    # Right address, wrong port: changed without asking DNS to decide.
    plan = _wg_peers.plan_peers(wanted, {A: live(A, endpoint="203.0.113.10:4500")}, psk_always, resolve)
    assert [f for _p, f in plan["change"]] == [["endpoint"]]


def test_unresolvable_dns_endpoint_counts_as_changed():
    plan = _wg_peers.plan_peers([peer(A, endpoint="gone.example.net:51820")], {A: live(A, endpoint="203.0.113.1:51820")},
                                psk_always, lambda h, p: set())
    assert [f for _p, f in plan["change"]] == [["endpoint"]]


# ------------------------------------------------------------ wg_set_args
def test_wg_set_args_nothing_to_do():
    assert _wg_peers.wg_set_args("wg0", {}, {"add": [], "remove": [], "change": []}) is None


def test_wg_set_args_add_remove_change_in_one_argv():
    plan = {
        "add": [peer(B, ["10.0.0.3/32", "192.168.3.0/24"], endpoint="hub.example.net:51820", keepalive=25,
                     psk_path="/etc/wireguard/b.psk"),
                peer(C, ["10.0.0.4/32"])],
        "remove": [D],
        "change": [(peer(A, ["10.0.0.2/32"], keepalive=0, endpoint="203.0.113.5:51820"), ["persistent_keepalive"])],
    }
    argv = _wg_peers.wg_set_args("wg0", {}, plan)
    assert argv == [
        "wg", "set", "wg0",
        "peer", D, "remove",
        "peer", B, "preshared-key", "/etc/wireguard/b.psk", "endpoint", "hub.example.net:51820",
        "persistent-keepalive", "25", "allowed-ips", "10.0.0.3/32,192.168.3.0/24",
        "peer", C, "preshared-key", "/dev/null", "persistent-keepalive", "off", "allowed-ips", "10.0.0.4/32",
        "peer", A, "persistent-keepalive", "off",
    ]


@pytest.mark.parametrize("fields,expected", [
    (["allowed_ips"], ["allowed-ips", "10.0.0.2/32,192.168.1.0/24"]),
    (["endpoint"], ["endpoint", "203.0.113.5:51820"]),
    (["preshared_key"], ["preshared-key", "/k/a.psk"]),
    (["persistent_keepalive"], ["persistent-keepalive", "25"]),
])
def test_wg_set_args_change_touches_only_changed_fields(fields, expected):
    p = peer(A, ["10.0.0.2/32", "192.168.1.0/24"], endpoint="203.0.113.5:51820", keepalive=25, psk_path="/k/a.psk")
    argv = _wg_peers.wg_set_args("wg0", {}, {"add": [], "remove": [], "change": [(p, fields)]})
    assert argv == ["wg", "set", "wg0", "peer", A] + expected


def test_wg_set_args_psk_removed_with_dev_null():
    argv = _wg_peers.wg_set_args("wg0", {}, {"add": [], "remove": [], "change": [(peer(A), ["preshared_key"])]})
    assert argv == ["wg", "set", "wg0", "peer", A, "preshared-key", "/dev/null"]


def test_wg_set_args_clearing_allowed_ips():
    argv = _wg_peers.wg_set_args("wg0", {}, {"add": [], "remove": [], "change": [(peer(A), ["allowed_ips"])]})
    assert argv == ["wg", "set", "wg0", "peer", A, "allowed-ips", ""]


@pytest.mark.parametrize("changes,expected", [
    ({"private_key": True}, ["private-key", "/etc/wireguard/wg0.key"]),
    ({"listen_port": 51821}, ["listen-port", "51821"]),
    ({"listen_port": None}, ["listen-port", "0"]),
    ({"fwmark": 51820}, ["fwmark", "0xca6c"]),
    ({"fwmark": 0}, ["fwmark", "off"]),
])
def test_wg_set_args_interface_changes(changes, expected):
    argv = _wg_peers.wg_set_args("wg0", changes, {"add": [], "remove": [], "change": []}, "/etc/wireguard/wg0.key")
    assert argv == ["wg", "set", "wg0"] + expected


keys = st.binary(min_size=32, max_size=32).map(lambda b: base64.b64encode(b).decode())


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(keys, st.lists(st.integers(1, 254), max_size=3, unique=True), st.integers(0, 60),
                       st.booleans(), st.booleans()),
             min_size=1, max_size=6, unique_by=lambda t: t[0]),
    st.lists(keys, max_size=3),
    st.booleans(),
)
def test_wg_set_args_carries_no_secret(wanted_raw, removed, rekey):
    wanted = [peer(k, ["10.0.%d.0/24" % o for o in octets], keepalive=ka,
                   endpoint="203.0.113.1:51820" if ep else None, psk_path="/k/%d.psk" % i if has_psk else None)
              for i, (k, octets, ka, ep, has_psk) in enumerate(wanted_raw)]
    half = len(wanted) // 2
    plan = {"add": wanted[:half], "remove": removed,
            "change": [(p, ["allowed_ips", "endpoint", "persistent_keepalive", "preshared_key"]) for p in wanted[half:]]}
    argv = _wg_peers.wg_set_args("wg0", {"private_key": True} if rekey else {}, plan, "/etc/wireguard/wg0.key")
    public = set(p["public_key"] for p in wanted) | set(removed)
    assert argv[:3] == ["wg", "set", "wg0"]
    for arg in argv:
        assert PRIVATE not in arg and PSK not in arg
        if _wg_crypto.is_valid_key(arg):
            assert arg in public
    # Every peer appears exactly once, after the word "peer".
    peer_args = [argv[i + 1] for i, a in enumerate(argv) if a == "peer"]
    assert sorted(peer_args) == sorted([p["public_key"] for p in wanted] + removed)
    assert argv.count("private-key") == int(rekey)
    if rekey:
        assert argv[argv.index("private-key") + 1] == "/etc/wireguard/wg0.key"


# ------------------------------------------------------------ plan_interface
@pytest.mark.parametrize("wanted,live_iface,expected", [
    ({"public_key": A, "listen_port": 51820, "fwmark": None}, {"public_key": A, "listen_port": 51820, "fwmark": None}, {}),
    ({"public_key": A}, {"public_key": B}, {"private_key": True}),
    ({"public_key": A}, {"public_key": None}, {"private_key": True}),
    ({"listen_port": 51821}, {"listen_port": 51820}, {"listen_port": 51821}),
    ({"listen_port": None}, {"listen_port": 41234}, {}),
    ({"fwmark": 0}, {"fwmark": None}, {}),
    ({"fwmark": 0}, {"fwmark": 7}, {"fwmark": 0}),
    ({"fwmark": 7}, {"fwmark": None}, {"fwmark": 7}),
    ({"fwmark": None}, {"fwmark": 7}, {}),
])
def test_plan_interface(wanted, live_iface, expected):
    assert _wg_peers.plan_interface(wanted, live_iface) == expected


# ------------------------------------------------------------ addresses and routes
def test_plan_addresses():
    add, remove = _wg_peers.plan_addresses(["10.0.0.1/24", "FD00::1/64", "10.1.0.1"],
                                           ["10.0.0.1/24", "10.9.0.1/24", "10.1.0.1/32"])
    assert add == ["fd00::1/64"]
    assert remove == ["10.9.0.1/24"]


def test_plan_addresses_prefix_length_change():
    assert _wg_peers.plan_addresses(["10.0.0.1/16"], ["10.0.0.1/24"]) == (["10.0.0.1/16"], ["10.0.0.1/24"])


def test_plan_addresses_in_sync():
    assert _wg_peers.plan_addresses(["10.0.0.1/24"], ["10.0.0.1/24"]) == ([], [])


def test_wanted_routes():
    peers = [
        peer(A, ["10.77.0.0/24", "192.168.10.0/24"]),
        peer(B, ["10.77.0.3/32", "0.0.0.0/0", "::/0"]),
        peer(C, ["fd77::5/128", "fd99::/64", "10.78.0.0/16"]),
    ]
    assert _wg_peers.wanted_routes(["10.77.0.2/24", "fd77::2/64"], peers) == sorted(
        ["192.168.10.0/24", "fd99::/64", "10.78.0.0/16"])


def test_wanted_routes_host_address_connects_nothing():
    peers = [peer(A, ["10.77.0.0/24", "10.77.0.1/32"])]
    assert _wg_peers.wanted_routes(["10.77.0.2/32"], peers) == ["10.77.0.0/24", "10.77.0.1/32"]


def test_wanted_routes_family_is_respected():
    # An IPv4 prefix is never "inside" an IPv6 network or the reverse.
    assert _wg_peers.wanted_routes(["::/0"], [peer(A, ["10.0.0.0/8"])]) == ["10.0.0.0/8"]


def test_plan_routes():
    peers = [peer(A, ["192.168.10.0/24"]), peer(B, ["172.16.0.0/16", "fd99::/64"])]
    wanted = _wg_peers.wanted_routes(["10.77.0.2/24"], peers)
    live_routes = [
        "192.168.10.0/24",     # wanted and present
        "172.16.5.0/24",       # user route inside B's AllowedIPs: kept
        "fd99::1/128",         # user route inside B's AllowedIPs: kept
        "192.168.99.0/24",     # nobody carries it any more: removed
        "10.0.0.0/8",          # wider than anything allowed: removed
        "2001:db8::/32",       # removed
    ]
    add, remove = _wg_peers.plan_routes(wanted, live_routes, peers)
    assert add == ["172.16.0.0/16", "fd99::/64"]
    assert remove == sorted(["192.168.99.0/24", "10.0.0.0/8", "2001:db8::/32"])


def test_plan_routes_normalizes_live_routes():
    add, remove = _wg_peers.plan_routes(["192.168.10.0/24"], ["192.168.10.1/24"], [peer(A, ["192.168.10.0/24"])])
    assert (add, remove) == ([], [])


# ------------------------------------------------------------ summarize
def test_summarize_is_secret_free_and_stable():
    iface = {"public_key": A, "addresses": ["10.0.0.1/24", "fd00::1/64"], "listen_port": 51820, "mtu": None,
             "fwmark": None}
    peers = [peer(C, ["10.0.0.3/32"], endpoint="h:1", keepalive=25, name="gamma", psk_path="/k/c.psk"),
             peer(B, [])]
    text = _wg_peers.summarize(iface, peers)
    assert text == _wg_peers.summarize(iface, list(reversed(peers)))
    assert text == (
        "interface:\n"
        "  public_key: %s...\n"
        "  addresses: 10.0.0.1/24, fd00::1/64\n"
        "  listen_port: 51820\n"
        "peers:\n"
        "  - %s...\n"
        "    allowed_ips: (none)\n"
        "  - gamma (%s...)\n"
        "    allowed_ips: 10.0.0.3/32\n"
        "    endpoint: h:1\n"
        "    persistent_keepalive: 25\n"
        "    preshared_key: <redacted>\n"
    ) % (A[:8], B[:8], C[:8])
    assert A not in text and B not in text and C not in text


def test_summarize_redacts_live_psk_value():
    text = _wg_peers.summarize({}, [dict(live(A), preshared_key=PSK)])
    assert PSK not in text
    assert "preshared_key: <redacted>" in text
