# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""plugin_utils._plan_report (playbooks/plan.yml) on the README's examples:
the peers and AllowedIPs the README promises, before any key exists and
after, and the same peers the converge would set (_topology.host_interfaces)."""

from __future__ import annotations

import base64
import json

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.wgnet.wireguard.plugins.filter.plan import wg_plan_report
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _plan_report
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology


def key(i):
    return base64.b64encode(bytes([i, 7]) * 16).decode("ascii")


def single(address_lans, hubs, endpoints, rng="10.77.0.0/24", clients=None, egress=None):
    """hostvars, networks, groups for one network of the README's form."""
    hostvars = {}
    for host, (address, lans) in address_lans.items():
        hostvars[host] = {"wireguard_address": address, "wireguard_lan_subnets": lans,
                          "wireguard_endpoint": endpoints.get(host, "")}
    spec = {"range": rng, "members": "wireguard", "hubs": "wireguard_hubs", "clients": clients or {}}
    if egress:
        spec["egress"] = egress
    groups = {"wireguard": list(address_lans), "wireguard_hubs": hubs}
    return hostvars, {"wg0": spec}, groups


def peers(report, host):
    return dict((p["name"], p["allowed_ips"]) for p in report["hosts"][host][0]["peers"])


LAB = single({"laptop": ("10.77.0.11", []), "router": ("10.77.0.12", ["172.18.3.0/24"]),
              "hub": ("10.77.0.1", [])}, ["hub"], {"hub": "vpn.example.net"})
TWO_SITES = single({"home-gw": ("10.77.0.2", ["172.18.3.0/24"]), "office-gw": ("10.77.0.3", ["172.17.50.0/24"]),
                    "cloud": ("10.77.0.1", [])}, ["cloud"], {"cloud": "vpn.example.net"})
HOME = single({"home-router": ("10.77.0.2", ["192.168.1.0/24"]), "laptop": ("10.77.0.11", []),
               "cloud": ("10.77.0.1", [])}, ["cloud"], {"cloud": "vpn.example.net"},
              clients={"phone": {"address": "10.77.0.50", "public_key": key(50)}},
              egress={"gateway": "cloud", "members": ["laptop"]})


def plan(example, keys=None):
    hostvars, networks, groups = example
    return _topology.plan_networks(hostvars, networks, groups, {"wg0": keys or {}}, allow_missing_keys=True)


def test_lab_before_any_key():
    report = _plan_report.report(plan(LAB))
    assert peers(report, "hub") == {"laptop": ["10.77.0.11/32"], "router": ["10.77.0.12/32", "172.18.3.0/24"]}
    assert peers(report, "laptop") == {"hub": ["10.77.0.0/24", "172.18.3.0/24"]}
    assert peers(report, "router") == {"hub": ["10.77.0.0/24"]}
    assert report["missing_keys"] == {"wg0": ["laptop", "router", "hub"]}
    laptop_hub = report["hosts"]["laptop"][0]["peers"][0]
    assert laptop_hub["key_known"] is False and laptop_hub["public_key"] is None
    assert laptop_hub["endpoint"] == "vpn.example.net:51820" and laptop_hub["persistent_keepalive"] == 25
    assert any(line.startswith("* no public key yet") and "laptop, router, hub" in line for line in report["table"])
    assert report["table"][-1] == "3 hosts, 4 peer entries"


def test_two_sites():
    report = _plan_report.report(plan(TWO_SITES))
    assert peers(report, "home-gw") == {"cloud": ["10.77.0.0/24", "172.17.50.0/24"]}
    assert peers(report, "office-gw") == {"cloud": ["10.77.0.0/24", "172.18.3.0/24"]}
    assert peers(report, "cloud") == {"home-gw": ["10.77.0.2/32", "172.18.3.0/24"],
                                      "office-gw": ["10.77.0.3/32", "172.17.50.0/24"]}


def test_home_router_phone_and_egress():
    report = _plan_report.report(plan(HOME))
    assert peers(report, "laptop") == {"cloud": ["0.0.0.0/0", "10.77.0.0/24", "192.168.1.0/24"]}
    assert peers(report, "home-router") == {"cloud": ["10.77.0.0/24"]}
    assert sorted(peers(report, "cloud")) == ["home-router", "laptop", "phone"]
    phone = [p for p in report["hosts"]["cloud"][0]["peers"] if p["name"] == "phone"][0]
    assert phone["key_known"] is True and phone["public_key"] == key(50)


def test_same_peers_as_the_converge_once_keys_are_known():
    keys = {"laptop": key(1), "router": key(2), "hub": key(3)}
    data = plan(LAB, keys)
    report = _plan_report.report(data)
    assert report["missing_keys"] == {}
    assert not any("*" in line for line in report["table"])
    for host in ("laptop", "router", "hub"):
        converge = _topology.host_interfaces(data, host)[0]["peers"]
        shown = report["hosts"][host][0]["peers"]
        assert [(p["name"], p["public_key"], p["allowed_ips"], p["persistent_keepalive"]) for p in converge] == \
            [(p["name"], p["public_key"], p["allowed_ips"], p["persistent_keepalive"]) for p in shown]


def test_table_one_prefix_a_line_and_json_input():
    report = wg_plan_report(json.dumps(plan(HOME)), ["cloud"])
    assert list(report["hosts"]) == ["cloud"]
    table = report["table"]
    assert table[0].split() == ["host", "interface", "role", "address", "peer", "allowed_ips", "endpoint",
                                "keepalive"]
    first = [line for line in table if line.startswith("cloud")]
    assert len(first) == 1 and "home-router *" in first[0] and "10.77.0.2/32" in first[0]
    assert any(line.strip() == "192.168.1.0/24" for line in table)
    # The JSON report (everything but the table) carries no key of a host that has none.
    assert json.dumps(report["hosts"]).count("null") >= 2


def test_not_a_plan_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="wg_plan_report: not a plan"):
        wg_plan_report({"nothing": 1})
