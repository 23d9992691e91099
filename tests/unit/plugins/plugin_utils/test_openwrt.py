# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plugin_utils._openwrt: the UCI sections wanted on an OpenWrt router, the
uci batch and live operations that reach them from a fresh OpenWrt 23.05
config, and the round trip (apply the batch with a model of uci's batch
semantics, export again, reconcile again: nothing left to do)."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _openwrt
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import plan_networks

KEYS = {
    "hub": "ERERERERERERERERERERERERERERERERERERERERERE=",
    "router": "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=",
    "laptop": "MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=",
    "phone": "RERERERERERERERERERERERERERERERERERERERERERE=",
}
HOSTVARS = {
    "hub": {"wireguard_address": "10.9.0.1", "wireguard_endpoint": "203.0.113.10"},
    "router": {"wireguard_address": "10.9.0.2", "wireguard_lan_subnets": ["192.168.8.0/24"]},
    "laptop": {"wireguard_address": "10.9.0.3"},
}
GROUPS = {"wireguard": ["hub", "router", "laptop"], "wireguard_hubs": ["hub"]}
NETWORKS = {"wg0": {"range": "10.9.0.0/24"}}

# /etc/config/network and firewall of a fresh OpenWrt 23.05 image, as `uci export` prints them.
FRESH = """package network

config interface 'loopback'
\toption device 'lo'
\toption proto 'static'
\toption ipaddr '127.0.0.1'
\toption netmask '255.0.0.0'

config globals 'globals'
\toption ula_prefix 'fd12:3456:789a::/48'

config device
\toption name 'br-lan'
\toption type 'bridge'
\tlist ports 'lan1'

config interface 'lan'
\toption device 'br-lan'
\toption proto 'static'
\toption ipaddr '192.168.8.1'
\toption netmask '255.255.255.0'
\toption ip6assign '60'

config interface 'wan'
\toption device 'eth1'
\toption proto 'dhcp'
\toption password 'REDACTED'

package firewall

config defaults
\toption syn_flood '1'
\toption input 'REJECT'
\toption output 'ACCEPT'
\toption forward 'REJECT'

config zone
\toption name 'lan'
\tlist network 'lan'
\toption input 'ACCEPT'
\toption output 'ACCEPT'
\toption forward 'ACCEPT'

config zone
\toption name 'wan'
\tlist network 'wan'
\tlist network 'wan6'
\toption input 'REJECT'
\toption output 'ACCEPT'
\toption forward 'REJECT'
\toption masq '1'
\toption mtu_fix '1'

config forwarding
\toption src 'lan'
\toption dest 'wan'

config rule
\toption name 'Allow-Ping'
\toption src 'wan'
\toption proto 'icmp'
\toption icmp_type 'echo-request'
\toption family 'ipv4'
\toption target 'ACCEPT'
"""


def plan(hostvars=None, groups=None, networks=None, keys=None):
    keys = keys or {"wg0": dict(KEYS)}
    return plan_networks(hostvars or HOSTVARS, networks or NETWORKS, groups or GROUPS, keys)


def apply_batch(packages, batch):
    """Apply uci batch lines to parsed packages as uci would (set, add_list, delete)."""
    packages = copy.deepcopy(packages)

    def find(package, name):
        return next((s for s in packages[package] if s["name"] == name), None)

    for line in batch:
        command, arg = line.split(" ", 1)
        path, _sep, value = arg.partition("=")
        value = value[1:-1] if value.startswith("'") else value
        parts = path.split(".")
        if command == "set" and len(parts) == 2:
            section = find(parts[0], parts[1])
            if section is None:
                packages[parts[0]].append({"name": parts[1], "type": value, "anonymous": False, "options": {}})
            else:
                section["type"] = value
        elif command == "set":
            find(parts[0], parts[1])["options"][parts[2]] = value
        elif command == "add_list":
            options = find(parts[0], parts[1])["options"]
            current = options.get(parts[2])
            options[parts[2]] = (current if isinstance(current, list) else ([current] if current else [])) + [value]
        elif command == "delete" and len(parts) == 2:
            packages[parts[0]] = [s for s in packages[parts[0]] if s["name"] != parts[1]]
        elif command == "delete":
            find(parts[0], parts[1])["options"].pop(parts[2], None)
        else:
            raise AssertionError(line)
    return packages


def export(packages):
    """Parsed packages back to `uci export` text."""
    text = ""
    for package, sections in packages.items():
        text += "package %s\n\n" % package
        for section in sections:
            text += _openwrt.render_section(None, section) + "\n"
    return text


def sections(packages, package):
    return dict((s["name"], s) for s in packages[package])


def converge(packages, the_plan, host="router", settings=None):
    result = _openwrt.reconcile(the_plan, host, export(packages), settings)
    return apply_batch(packages, result["batch"]), result


def test_parse_export_quoting_lists_and_anonymous_sections():
    parsed = _openwrt.parse_export(FRESH + "\npackage extra\n\nconfig thing 'x'\n\toption say 'it'\\''s'\n")
    assert set(parsed) == {"network", "firewall", "extra"}
    names = [s["name"] for s in parsed["firewall"]]
    assert names == ["@defaults[0]", "@zone[0]", "@zone[1]", "@forwarding[0]", "@rule[0]"]
    assert parsed["firewall"][2]["options"]["network"] == ["wan", "wan6"]
    assert parsed["network"][2]["options"]["ports"] == ["lan1"]
    assert parsed["extra"][0]["options"]["say"] == "it's"
    with pytest.raises(_openwrt.OpenWrtError, match="not understood"):
        _openwrt.parse_export("package network\nconfig interface 'x'\n\tbogus line here\n")


def test_wanted_sections_of_a_home_router():
    wanted = _openwrt.wanted_sections(plan(), "router")
    net = dict((s["name"], s) for s in wanted["network"])
    assert net["wg0"] == {"name": "wg0", "type": "interface", "options": {
        "proto": "wireguard", "addresses": ["10.9.0.2/24"], "listen_port": "51820"}}
    hub = net["wgnet_wg0_hub"]
    assert hub["type"] == "wireguard_wg0"
    assert hub["options"] == {
        "description": "hub", "public_key": KEYS["hub"], "allowed_ips": ["10.9.0.0/24"],
        "route_allowed_ips": "1", "endpoint_host": "203.0.113.10", "endpoint_port": "51820",
        "persistent_keepalive": "25"}
    assert len(net) == 2, "a spoke router peers with the hub only"
    fw = dict((s["name"], s) for s in wanted["firewall"])
    assert fw["wgnet_zone_wg0"]["options"] == {"name": "wgn_wg0", "network": ["wg0"], "input": "ACCEPT",
                                               "output": "ACCEPT", "forward": "REJECT"}
    assert fw["wgnet_lan2wg_wg0"]["options"] == {"src": "lan", "dest": "wgn_wg0"}
    assert fw["wgnet_wg2lan_wg0"]["options"] == {"src": "wgn_wg0", "dest": "lan"}
    assert "wgnet_port_wg0" not in fw, "a router behind NAT opens no port"
    assert "wgnet_wg2wan_wg0" not in fw


def test_reachable_hub_router_opens_its_port_and_forwards_between_peers():
    hostvars = copy.deepcopy(HOSTVARS)
    the_plan = plan(hostvars)
    wanted = _openwrt.wanted_sections(the_plan, "hub", {"mtu": 1380, "masquerade": True, "zone_input": "REJECT"})
    fw = dict((s["name"], s) for s in wanted["firewall"])
    assert fw["wgnet_port_wg0"]["options"] == {"name": "wgnet-wg0-port", "src": "wan", "proto": "udp",
                                               "dest_port": "51820", "target": "ACCEPT"}
    assert fw["wgnet_zone_wg0"]["options"]["forward"] == "ACCEPT"
    assert fw["wgnet_zone_wg0"]["options"]["masq"] == "1"
    assert fw["wgnet_zone_wg0"]["options"]["input"] == "REJECT"
    assert "wgnet_lan2wg_wg0" in fw and "wgnet_wg2lan_wg0" not in fw, "masquerade lets the LAN out, not in"
    net = dict((s["name"], s) for s in wanted["network"])
    assert net["wg0"]["options"]["mtu"] == "1380"
    assert set(net) == {"wg0", "wgnet_wg0_router", "wgnet_wg0_laptop"}
    assert net["wgnet_wg0_router"]["options"]["allowed_ips"] == ["10.9.0.2/32", "192.168.8.0/24"]
    assert "endpoint_host" not in net["wgnet_wg0_laptop"]["options"]
    assert "persistent_keepalive" not in net["wgnet_wg0_laptop"]["options"]


def test_fresh_router_gets_everything_and_a_second_run_nothing():
    fresh = _openwrt.parse_export(FRESH)
    the_plan = plan()
    after, result = converge(fresh, the_plan)
    assert result["changed"] and result["commit"] == ["network", "firewall"]
    assert result["ops"] == ["ifup wg0", "firewall"], "a new interface is set up by netifd, then fw4 reloads"
    assert result["before"] == ""
    assert "config wireguard_wg0 'wgnet_wg0_hub'" in result["after"]
    assert "set network.wg0=interface" in result["batch"]
    assert "add_list network.wgnet_wg0_hub.allowed_ips='10.9.0.0/24'" in result["batch"]
    # The sections the collection does not own are exactly as they were.
    for package in ("network", "firewall"):
        for name, section in sections(fresh, package).items():
            assert sections(after, package)[name] == section
    again, result = converge(after, the_plan)
    assert not result["changed"] and result["batch"] == [] and result["ops"] == []
    assert again == after


def test_private_key_is_kept_and_never_shown():
    fresh = _openwrt.parse_export(FRESH)
    # What the key script leaves behind: the interface with its key (the read script redacts it).
    fresh["network"].append({"name": "wg0", "type": "interface", "anonymous": False,
                             "options": {"proto": "wireguard", "private_key": "REDACTED"}})
    after, result = converge(fresh, plan())
    assert not any("private_key" in line for line in result["batch"])
    assert sections(after, "network")["wg0"]["options"]["private_key"] == "REDACTED"
    assert result["ops"][0] == "ifup wg0"
    # Even an unredacted secret in the input never reaches the diff.
    secret = "SECRETSECRETSECRETSECRETSECRETSECRETSECRET="
    raw = copy.deepcopy(after)
    sections(raw, "network")["wg0"]["options"]["private_key"] = secret
    sections(raw, "network")["wg0"]["options"]["listen_port"] = "1"
    result = _openwrt.reconcile(plan(), "router", export(raw))
    assert result["changed"] and secret not in repr(result)
    assert "option private_key 'REDACTED'" not in result["after"]


def test_luci_peers_and_other_sections_are_never_touched():
    fresh = _openwrt.parse_export(FRESH)
    after, _r = converge(fresh, plan())
    # A peer added by hand in LuCI (anonymous) and a stray named section of another type.
    after["network"].append({"name": "@wireguard_wg0[1]", "type": "wireguard_wg0", "anonymous": True,
                             "options": {"public_key": KEYS["phone"], "allowed_ips": ["10.9.0.50/32"]}})
    after["network"].append({"name": "wgnet_other", "type": "route", "anonymous": False,
                             "options": {"target": "10.1.0.0/16"}})
    after["firewall"].append({"name": "wgnet_zone_wg9", "type": "zone", "anonymous": False,
                              "options": {"name": "x"}})
    result = _openwrt.reconcile(plan(), "router", export(after))
    assert not result["changed"], result["batch"]


def test_peer_changes_go_live_without_restarting_the_interface():
    hub_plan = plan()
    fresh = _openwrt.parse_export(FRESH)
    state, _r = converge(fresh, hub_plan, "hub")
    # The laptop leaves the network and a phone-like member with a LAN joins.
    hostvars = copy.deepcopy(HOSTVARS)
    del hostvars["laptop"]
    hostvars["office"] = {"wireguard_address": "10.9.0.4", "wireguard_lan_subnets": ["192.168.9.0/24"]}
    groups = {"wireguard": ["hub", "router", "office"], "wireguard_hubs": ["hub"]}
    office_key = "VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU="
    new_plan = plan(hostvars, groups, keys={"wg0": {"hub": KEYS["hub"], "router": KEYS["router"],
                                                    "office": office_key}})
    state, result = converge(state, new_plan, "hub")
    assert "delete network.wgnet_wg0_laptop" in result["batch"]
    assert result["commit"] == ["network"]
    assert result["ops"] == [
        "unpeer wg0 %s" % KEYS["laptop"],
        "peer wg0 %s 10.9.0.4/32,192.168.9.0/24 - 0" % office_key,
        "route wg0 192.168.9.0/24",
    ]
    assert "ifup wg0" not in result["ops"]
    assert "config wireguard_wg0 'wgnet_wg0_laptop'" in result["before"]
    # The office takes over the router's LAN: its old route goes, a new one comes.
    hostvars["router"] = {"wireguard_address": "10.9.0.2"}
    hostvars["office"]["wireguard_lan_subnets"] = ["192.168.9.0/24", "192.168.8.0/24"]
    newer = plan(hostvars, groups, keys={"wg0": {"hub": KEYS["hub"], "router": KEYS["router"],
                                                 "office": office_key}})
    state, result = converge(state, newer, "hub")
    assert result["ops"] == [
        "peer wg0 %s 10.9.0.2/32 - 0" % KEYS["router"],
        "peer wg0 %s 10.9.0.4/32,192.168.8.0/24,192.168.9.0/24 - 0" % office_key,
    ], "the route to 192.168.8.0/24 stays: only its peer changed"
    _state, result = converge(state, newer, "hub")
    assert not result["changed"]


def test_interface_option_change_brings_the_interface_up_again():
    state, _r = converge(_openwrt.parse_export(FRESH), plan())
    hostvars = copy.deepcopy(HOSTVARS)
    hostvars["router"]["wireguard_port"] = 51999
    state, result = converge(state, plan(hostvars))
    assert result["batch"] == ["set network.wg0.listen_port='51999'"]
    assert result["ops"] == ["ifup wg0"]
    _s, result = converge(state, plan(hostvars), settings={"mtu": 1400})
    assert result["batch"] == ["set network.wg0.mtu='1400'"] and result["ops"] == ["ifup wg0"]


def test_router_gaining_an_endpoint_opens_the_port():
    state, _r = converge(_openwrt.parse_export(FRESH), plan())
    hostvars = copy.deepcopy(HOSTVARS)
    hostvars["router"]["wireguard_endpoint"] = "home.example.net"
    state, result = converge(state, plan(hostvars))
    assert "set firewall.wgnet_port_wg0=rule" in result["batch"]
    # Reachable now, it stops sending keepalives to the hub: a live peer change, no restart.
    assert result["batch"][0] == "delete network.wgnet_wg0_hub.persistent_keepalive"
    assert result["ops"] == ["peer wg0 %s 10.9.0.0/24 203.0.113.10:51820 0" % KEYS["hub"], "firewall"]
    del hostvars["router"]["wireguard_endpoint"]
    hostvars["router"]["wireguard_persistent_keepalive"] = 0
    _s, result = converge(state, plan(hostvars))
    assert result["batch"] == ["delete firewall.wgnet_port_wg0"] and result["ops"] == ["firewall"]


def test_absent_removes_every_owned_section():
    state, _r = converge(_openwrt.parse_export(FRESH), plan())
    result = _openwrt.reconcile(None, "router", export(state), absent=["wg0"])
    assert sorted(result["batch"]) == sorted([
        "delete network.wg0", "delete network.wgnet_wg0_hub", "delete firewall.wgnet_zone_wg0",
        "delete firewall.wgnet_lan2wg_wg0", "delete firewall.wgnet_wg2lan_wg0"])
    assert result["ops"] == ["reload", "firewall"]
    gone = apply_batch(state, result["batch"])
    assert gone == _openwrt.parse_export(FRESH)
    assert not _openwrt.reconcile(None, "router", export(gone), absent=["wg0"])["changed"]


def test_full_tunnel_goes_through_netifd():
    networks = {"wg0": {"range": "10.9.0.0/24", "egress": {"gateway": "hub", "members": ["router"]}}}
    state, result = converge(_openwrt.parse_export(FRESH), plan(networks=networks))
    hub = sections(state, "network")["wgnet_wg0_hub"]
    assert "0.0.0.0/0" in hub["options"]["allowed_ips"]
    # Any peer change of a full tunnel (here the keepalive) goes through netifd.
    keepalive = {"wg0": {"range": "10.9.0.0/24", "persistent_keepalive": 15, "egress": networks["wg0"]["egress"]}}
    _s, result = converge(state, plan(networks=keepalive))
    assert result["ops"] == ["ifup wg0"]


def test_names_and_zone_limits():
    assert _openwrt.zone_name("wg0") == "wgn_wg0"
    assert len(_openwrt.zone_name("a_very_long_if")) <= 11
    assert _openwrt.zone_name("a_very_long_if") != _openwrt.zone_name("a_very_long_ig")
    names = _openwrt.peer_section_names("wg0", ["a-b", "a.b", "c"])
    assert names["c"] == "wgnet_wg0_c"
    assert names["a-b"] != names["a.b"] and names["a-b"].startswith("wgnet_wg0_a_b_")


def test_errors_name_host_and_fix():
    networks = {"wg-home": {"range": "10.9.0.0/24"}}
    keys = {"wg-home": dict(KEYS)}
    with pytest.raises(_openwrt.OpenWrtError, match=r"host router: interface wg-home .* e\.g\. wg_home"):
        _openwrt.wanted_sections(plan(networks=networks, keys=keys), "router")
    no_lan = FRESH.replace("\toption name 'lan'\n", "\toption name 'home'\n")
    with pytest.raises(_openwrt.OpenWrtError, match="zone 'lan' .*wireguard_openwrt_lan_zone"):
        _openwrt.reconcile(plan(), "router", no_lan)
    assert _openwrt.reconcile(plan(), "router", no_lan, {"lan_zone": "home"})["changed"]
    static = FRESH.replace("package firewall", "config interface 'wg0'\n\toption proto 'static'\n\npackage firewall")
    with pytest.raises(_openwrt.OpenWrtError, match="network.wg0 already exists with proto static"):
        _openwrt.reconcile(plan(), "router", static)
    with pytest.raises(_openwrt.OpenWrtError, match="no /etc/config/firewall"):
        _openwrt.reconcile(plan(), "router", FRESH.split("package firewall", maxsplit=1)[0])


def psk_plan(keys=None):
    return plan_networks(HOSTVARS, NETWORKS, GROUPS, {"wg0": keys or KEYS}, preshared_keys=True)


def test_preshared_keys_stay_out_of_the_batch_and_go_to_the_apply_script():
    """The peer sections that want a PSK are marked; the batch never carries one,
    and a PSK already in UCI (redacted by the read script) is neither compared
    nor deleted. psk_entries derives each pair's PSK like every other host."""
    from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _psk

    packages, result = converge(_openwrt.parse_export(FRESH), psk_plan())
    assert _openwrt.wanted_sections(psk_plan(), "router")["psk_sections"] == ["wgnet_wg0_hub"]
    assert not any("preshared_key" in line for line in result["batch"])
    sections(packages, "network")["wgnet_wg0_hub"]["options"]["preshared_key"] = "REDACTED"
    again = _openwrt.reconcile(psk_plan(), "router", export(packages))
    assert not again["changed"], again["batch"]
    # Turned off: the option goes from UCI and the peer is set again live (the script clears its PSK).
    off = _openwrt.reconcile(plan(keys={"wg0": KEYS}), "router", export(packages))
    assert off["batch"] == ["delete network.wgnet_wg0_hub.preshared_key"]
    assert off["ops"] == ["peer wg0 %s 10.9.0.0/24 203.0.113.10:51820 25" % KEYS["hub"]]

    master = "m" * 32
    lines = _openwrt.psk_entries(psk_plan(), "router", master)
    psk = _psk.derive_psk(master, "wg0", KEYS["router"], KEYS["hub"])
    assert lines == ["wg0 wgnet_wg0_hub %s %s" % (KEYS["hub"], psk)]
    assert _openwrt.psk_entries(plan(keys={"wg0": KEYS}), "router", master) == []
    missing = dict(KEYS, router=None)
    unknown = plan_networks(HOSTVARS, NETWORKS, GROUPS, {"wg0": missing}, preshared_keys=True,
                            allow_missing_keys=True)
    with pytest.raises(_openwrt.OpenWrtError, match="host router: its public key on wg0 is not known yet"):
        _openwrt.psk_entries(unknown, "router", master)
    assert _openwrt.psk_entries(unknown, "router", master, missing_ok=True) == []


def test_rotation_of_a_peer_swaps_it_at_the_agreed_moment():
    packages, _result = converge(_openwrt.parse_export(FRESH), plan(keys={"wg0": KEYS}))
    rotated = dict(KEYS, hub="VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU=")
    result = _openwrt.reconcile(plan(keys={"wg0": rotated}), "router", export(packages), switch_at=1700000000.5)
    assert result["batch"] == ["set network.wgnet_wg0_hub.public_key='%s'" % rotated["hub"]]
    # One `wg set` removes the old key and adds the new one, after the wait; no unpeer.
    assert result["ops"] == ["wait 1700000000.500",
                             "peer wg0 %s 10.9.0.0/24 203.0.113.10:51820 25 %s" % (rotated["hub"], KEYS["hub"])]
    # Without a rotation: no wait.
    plain = _openwrt.reconcile(plan(keys={"wg0": rotated}), "router", export(packages))
    assert plain["ops"][0].startswith("peer ")


def test_rotation_of_the_router_switches_its_own_key_after_its_peers():
    packages, _result = converge(_openwrt.parse_export(FRESH), plan(keys={"wg0": KEYS}))
    result = _openwrt.reconcile(plan(keys={"wg0": KEYS}), "router", export(packages), switch_at="1700000000.5",
                                rotation="2026-12-02")
    assert result["changed"] and result["batch"] == []
    assert result["ops"] == ["wait 1700000000.000", "hold wg0", "wait 1700000000.800", "key wg0 2026-12-02",
                             "kick wg0 10.9.0.1"]
    assert not _openwrt.reconcile(plan(keys={"wg0": KEYS}), "router", export(packages), switch_at="",
                                  rotation="")["changed"]
    with pytest.raises(_openwrt.OpenWrtError, match="wireguard_rotation_id 'a b'"):
        _openwrt.reconcile(plan(keys={"wg0": KEYS}), "router", export(packages), switch_at=1.0, rotation="a b")


def test_rotation_of_the_router_and_a_peer_holds_before_the_moment():
    """The hold (before the moment) comes before the peer swap (at it), the
    router's own key after both."""
    packages, _result = converge(_openwrt.parse_export(FRESH), plan(keys={"wg0": KEYS}))
    rotated = dict(KEYS, hub="VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU=")
    result = _openwrt.reconcile(plan(keys={"wg0": rotated}), "router", export(packages), switch_at=1700000000.5,
                                rotation="r1")
    assert result["ops"] == ["wait 1700000000.000", "hold wg0", "wait 1700000000.500",
                             "peer wg0 %s 10.9.0.0/24 203.0.113.10:51820 25 %s" % (rotated["hub"], KEYS["hub"]),
                             "wait 1700000000.800", "key wg0 r1", "kick wg0 10.9.0.1"]


def test_key_results_have_wg_keys_shape():
    registered = {"results": [
        {"item": "wg0", "stdout": "interface=wg0\npublic_key=%s\nchanged=1\n" % KEYS["router"]},
        {"item": "wg1", "stdout": "interface=wg1\npublic_key=\nchanged=1\n"},
        {"item": "wg2", "skipped": True},
    ]}
    registered["results"].append(
        {"item": "wg3", "stdout": "interface=wg3\npublic_key=%s\nchanged=1\nrotated=1\nrotation_id=r1\n"
         % KEYS["hub"]})
    result = _openwrt.key_results(registered)
    assert result["results"] == [
        {"item": "wg0", "public_key": KEYS["router"], "changed": True, "failed": False},
        {"item": "wg1", "public_key": None, "changed": True, "failed": False},
        {"item": "wg3", "public_key": KEYS["hub"], "changed": True, "failed": False, "rotated": True,
         "rotation_id": "r1"}]
    with pytest.raises(_openwrt.OpenWrtError, match="not a WireGuard key"):
        _openwrt.key_results({"results": [{"item": "wg0", "stdout": "public_key=nope\n"}]})


def test_key_script_results_are_told_from_wg_keys_and_give_the_rotation():
    script = {"results": [{"item": "wg0", "stdout": "interface=wg0\npublic_key=%s\nchanged=1\nrotated=1\n"
                                                    "rotation_id=r1\n" % KEYS["router"]}]}
    assert _openwrt.is_key_script_result(script)
    assert not _openwrt.is_key_script_result({"results": [{"item": "wg0", "public_key": KEYS["router"]}]})
    assert not _openwrt.is_key_script_result({"results": [{"item": "wg0", "skipped": True}]})
    assert _openwrt.rotation_id(script) == "r1"
    assert _openwrt.rotation_id({"results": [{"item": "wg0", "stdout": "public_key=%s\n" % KEYS["router"]}]}) == ""
    assert _openwrt.rotation_id({}) == ""


@pytest.mark.parametrize("laptop_endpoint,src_ip", [(None, ["192.0.2.20"]), ("laptop.home.arpa", None)])
def test_router_in_a_site_opens_its_port_to_its_neighbours(laptop_endpoint, src_ip):
    """A site path has no keepalive: once conntrack forgot the pair, the
    neighbour's first packet to the router's WAN would be rejected. The port
    opens to the neighbours' addresses (to all when one is a DNS name); UCI
    holds the neighbour on the hub."""
    hostvars = copy.deepcopy(HOSTVARS)
    hostvars["router"]["wireguard_site"] = hostvars["laptop"]["wireguard_site"] = "home"
    if laptop_endpoint:
        hostvars["laptop"]["wireguard_site_endpoint"] = laptop_endpoint
    probes = {"router": {"default_ipv4": "192.0.2.10"}, "laptop": {"default_ipv4": "192.0.2.20"}}
    the_plan = plan_networks(hostvars, NETWORKS, GROUPS, {"wg0": dict(KEYS)}, probes=probes)
    wanted = _openwrt.wanted_sections(the_plan, "router")
    rule = next(s for s in wanted["firewall"] if s["name"] == "wgnet_port_wg0")["options"]
    assert rule.get("src_ip") == src_ip and rule["dest_port"] == "51820" and rule["src"] == "wan"
    neighbour = next(s for s in wanted["network"] if s["name"] == "wgnet_wg0_laptop")["options"]
    assert "allowed_ips" not in neighbour and neighbour["persistent_keepalive"] == "25"
    assert wanted["watchdog"]["wg0"]["config"].count("\nwatch ") == 1
