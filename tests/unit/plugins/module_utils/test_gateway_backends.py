# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The wg_gateway transaction and its four backends against a fake host
(gateway_fakes.FakeHost): check mode first on a never-converged host (nothing
written, no changing command), then the real run, then an unchanged rerun,
then drift made by hand, repaired and reported. The cases are data: one row
per backend with the drift to make and what the diff must show."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway import backends
from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway import firewalld
from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway import iptables
from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway import nftables
from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway.plan import GatewayError
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils.gateway_fakes import FakeHost

# officegw of the gateways scenario: wg0 relays, eth1 is the office LAN.
INTERFACES = [{"interface": "wg0", "forwarding": True, "ranges": ["10.82.0.0/24"], "lan_subnets": ["172.17.50.0/24"],
               "listen_port": 51820, "addresses": ["10.82.0.3/24"],
               "peers": json.dumps([{"allowed_ips": ["10.82.0.0/24", "172.18.33.0/24"]}])}]


def params(**kw):
    p = {"interfaces": INTERFACES, "backend": "auto", "masquerade": True, "lan_interfaces": [],
         "egress_interface": "", "proxy_arp_interfaces": [], "firewalld_zone": "wgnet",
         "firewalld_zone_target": "ACCEPT"}
    p.update(kw)
    return p


def drift_nftables(host):
    host.nft["forward"]["rules"] = []


def drift_iptables(host):
    host.ipt[4][("filter", "WGNET-FORWARD")] = []


def drift_ufw(host):
    host.ufw.remove("ufw route allow in on wg0 out on eth1 comment 'wgnet.wireguard'")


def drift_firewalld(host):
    host.fw_runtime[0]["wgnet"]["interfaces"] = ""


CASES = {
    "nftables": dict(drift=drift_nftables, shows='iifname "wg0" oifname "eth1" accept',
                     files=["state_dir/gateway.nft", "systemd_dir/wgnet-gateway-nftables.service"]),
    "iptables": dict(drift=drift_iptables, shows="-A WGNET-FORWARD -i wg0 -o eth1 -j ACCEPT",
                     files=["state_dir/gateway.iptables", "systemd_dir/wgnet-gateway-iptables.service"]),
    "ufw": dict(drift=drift_ufw, shows="ufw route allow in on wg0 out on eth1 comment 'wgnet.wireguard'",
                files=["state_dir/gateway.iptables", "systemd_dir/wgnet-gateway-iptables.service"]),
    "firewalld": dict(drift=drift_firewalld, shows="interfaces: wg0",
                      files=["firewalld_dir/zones/wgnet.xml", "firewalld_dir/policies/wgnet-out.xml",
                             "firewalld_dir/policies/wgnet-in.xml", "firewalld_dir/policies/wgnet-listen.xml"]),
}


def host_for(tmp_path, backend):
    host = FakeHost(tmp_path, firewalld_active=backend == "firewalld")
    if backend == "ufw":
        with open(host.paths["ufw_conf"], "w") as handle:
            handle.write("ENABLED=yes\n")
    if backend == "iptables":
        host.tools.discard("nft")
    if backend == "firewalld":
        host.reload_firewalld()
    return host


def converge(host, check_mode=False, **kw):
    return backends.converge(params(**kw), host, check_mode=check_mode, paths=host.paths)


def path(host, rel):
    key, _sep, rest = rel.partition("/")
    return os.path.join(host.paths[key], rest)


def diff_text(result):
    return "\n".join(d["before"] + d["after"] for d in result["diff"])


@pytest.mark.parametrize("backend", sorted(CASES))
def test_check_then_run_then_rerun_then_drift(tmp_path, backend):
    host = host_for(tmp_path, backend)
    case = CASES[backend]

    # Never converged, check mode: the full picture, nothing touched.
    result = converge(host, check_mode=True)
    assert result["backend"] == backend and result["changed"]
    assert any(case["shows"] in line for line in result["rules_added"]), result["rules_added"]
    assert case["shows"] in diff_text(result)
    assert host.changing_calls() == []
    assert not any(os.path.exists(path(host, f)) for f in case["files"])
    assert not os.path.exists(host.paths["sysctl_file"])
    with open(os.path.join(host.paths["proc_sys"], "net/ipv4/ip_forward")) as handle:
        assert handle.read().strip() == "0"

    # The real run: rules, boot files, sysctls.
    result = converge(host)
    assert result["changed"]
    for f in case["files"]:
        assert os.path.exists(path(host, f)), f
    with open(os.path.join(host.paths["proc_sys"], "net/ipv4/ip_forward")) as handle:
        assert handle.read().strip() == "1"
    with open(host.paths["sysctl_file"]) as handle:
        assert "net.ipv4.ip_forward = 1\n" in handle.read()

    # Unchanged rerun: reads only.
    host.calls = []
    result = converge(host)
    assert not result["changed"], result["diff"]
    assert result["rules_added"] == [] and result["rules_removed"] == [] and result["diff"] == []
    assert host.changing_calls() == []

    # Drift by hand: check mode sees it, the run repairs it and says so.
    case["drift"](host)
    result = converge(host, check_mode=True)
    assert result["changed"] and any(case["shows"] in line for line in result["rules_added"])
    result = converge(host)
    assert result["changed"] and any(case["shows"] in line for line in result["rules_added"])
    assert result["files_changed"] == []
    assert not converge(host)["changed"]


@pytest.mark.parametrize("tools, active, ufw, expected", [
    (("nft", "iptables", "firewall-cmd", "systemctl", "ip"), True, False, "firewalld"),
    (("nft", "iptables", "firewall-cmd", "ufw", "systemctl", "ip"), False, True, "ufw"),
    (("nft", "iptables", "ufw", "systemctl", "ip"), False, False, "nftables"),
    (("iptables", "systemctl", "ip"), False, False, "iptables"),
    (("iptables", "ip"), False, True, "iptables"),   # ufw.conf says enabled but ufw is not installed
])
def test_detect(tmp_path, tools, active, ufw, expected):
    host = FakeHost(tmp_path, tools=tools, firewalld_active=active)
    if ufw:
        with open(host.paths["ufw_conf"], "w") as handle:
            handle.write('# comment\nENABLED="yes"\n' if "ufw" in tools else "ENABLED=yes\n")
    assert backends.detect(host, host.paths) == expected


def test_backend_none_sets_sysctls_only(tmp_path):
    host = FakeHost(tmp_path)
    result = converge(host, backend="none", proxy_arp_interfaces=["eth1"])
    assert result["backend"] == "none" and result["changed"]
    assert [c[0] for c in host.calls] == ["/usr/sbin/ip"]
    with open(os.path.join(host.paths["proc_sys"], "net/ipv4/conf/eth1/proxy_arp")) as handle:
        assert handle.read().strip() == "1"
    assert not converge(host, backend="none", proxy_arp_interfaces=["eth1"])["changed"]


def test_missing_sysctl_names_the_variable(tmp_path):
    host = FakeHost(tmp_path)
    with pytest.raises(GatewayError, match="gateway_proxy_arp_interfaces"):
        converge(host, backend="none", proxy_arp_interfaces=["eth9"])


def test_missing_tool_names_the_backend_and_the_fix(tmp_path):
    host = FakeHost(tmp_path, tools=("iptables", "ip", "systemctl"))
    with pytest.raises(GatewayError, match="nftables backend needs nft.*gateway_firewall_backend"):
        converge(host, backend="nftables")


def unit_calls(host):
    return [c[1:] for c in host.calls if c[0].endswith("systemctl") and c[1] != "is-active"]


def test_boot_unit_enabled_once_and_never_in_check_mode(tmp_path):
    host = host_for(tmp_path, "nftables")
    converge(host, check_mode=True)
    assert not unit_calls(host)
    converge(host)
    assert unit_calls(host) == [["daemon-reload"], ["enable", "wgnet-gateway-nftables.service"]]
    host.calls = []
    converge(host)
    assert not unit_calls(host)


def test_no_systemd_no_unit(tmp_path):
    host = host_for(tmp_path, "nftables")
    os.rmdir(host.paths["run_systemd"])
    converge(host)
    assert not unit_calls(host)


def test_iptables_duplicate_jumps_are_removed_and_a_missing_one_added(tmp_path):
    host = host_for(tmp_path, "iptables")
    converge(host)
    state = host.ipt[4]
    state[("filter", "FORWARD")].append("-A FORWARD -j WGNET-FORWARD")
    state[("filter", "INPUT")] = []
    result = converge(host)
    assert result["changed"]
    assert state[("filter", "FORWARD")].count("-A FORWARD -j WGNET-FORWARD") == 1
    assert state[("filter", "INPUT")] == ["-A INPUT -j WGNET-INPUT"]
    assert not converge(host)["changed"]


def test_iptables_ipv6_gateway_manages_ip6tables_too(tmp_path):
    host = host_for(tmp_path, "iptables")
    v6 = [dict(INTERFACES[0], ranges=["10.82.0.0/24", "fd82::/64"], addresses=["10.82.0.3/24", "fd82::3/64"])]
    result = converge(host, interfaces=v6)
    assert any(line.startswith("ip6tables nat WGNET-POSTROUTING: -A WGNET-POSTROUTING -s fd82::/64")
               for line in result["rules_added"]), result["rules_added"]
    assert os.path.exists(os.path.join(host.paths["state_dir"], "gateway.ip6tables"))
    assert not converge(host, interfaces=v6)["changed"]


def test_iptables_old_script_is_removed(tmp_path):
    host = host_for(tmp_path, "iptables")
    with open(host.paths["old_iptables_script"], "w") as handle:
        handle.write("#!/bin/sh\n")
    result = converge(host)
    assert host.paths["old_iptables_script"] in result["files_changed"]
    assert not os.path.exists(host.paths["old_iptables_script"])


def test_nftables_foreign_rule_in_our_table_is_removed(tmp_path):
    host = host_for(tmp_path, "nftables")
    converge(host)
    host.nft["forward"]["rules"].append(None)
    result = converge(host)
    assert result["changed"]
    assert any("rule not made by wgnet.wireguard" in line for line in result["rules_removed"])
    assert None not in host.nft["forward"]["rules"]


def test_nftables_long_rule_gets_a_digest_comment():
    rule = 'ip saddr { %s } oifname "eth1" masquerade' % ", ".join("10.%d.0.0/16" % i for i in range(20))
    assert nftables.comment_of(rule).startswith("wgnet ")
    assert len(nftables.comment_of(rule)) <= 128
    assert nftables.comment_of('iifname "wg0" oifname "eth1" accept') == "iifname wg0 oifname eth1 accept"


def test_nftables_masquerade_off_has_no_nat_chain(tmp_path):
    chains = nftables.wanted_chains(backends.host_plan(params(masquerade=False), FakeHost(tmp_path)))
    assert "postrouting" not in chains and "forward" in chains


def test_firewalld_policies_follow_the_zones_of_the_interfaces(tmp_path):
    host = host_for(tmp_path, "firewalld")
    host.fw_runtime[0]["internal"] = {"target": "default", "interfaces": "eth1", "forward": "yes"}
    converge(host)
    with open(os.path.join(host.paths["firewalld_dir"], "policies", "wgnet-out.xml")) as handle:
        text = handle.read()
    assert '<egress-zone name="internal"/>' in text and "<masquerade/>" in text


def test_firewalld_stale_policy_file_is_removed(tmp_path):
    host = host_for(tmp_path, "firewalld")
    converge(host)
    result = converge(host, masquerade=False)
    assert result["changed"] and "firewalld policy wgnet-out: masquerade: no" in result["rules_added"]
    with open(os.path.join(host.paths["firewalld_dir"], "policies", "wgnet-out.xml")) as handle:
        assert "<masquerade/>" not in handle.read()
    # A relay-only hub needs neither wgnet-out nor wgnet-in.
    hub = [dict(INTERFACES[0], lan_subnets=[])]
    result = converge(host, interfaces=hub)
    assert result["changed"]
    assert sorted(os.listdir(os.path.join(host.paths["firewalld_dir"], "policies"))) == ["wgnet-listen.xml"]
    assert "firewalld policy wgnet-out: target: ACCEPT" in result["rules_removed"]
    assert not converge(host, interfaces=hub)["changed"]


def test_firewalld_parse_list_all():
    text = ("wgnet (active)\n  target: %%REJECT%%\n  interfaces: wg0 wg1\n  forward: yes\n  rich rules: \n"
            "\trule family=\"ipv6\" icmp-type name=\"redirect\" accept\n\npublic\n  target: default\n")
    parsed = firewalld.parse_list_all(text)
    assert parsed["wgnet"] == {"target": "%%REJECT%%", "interfaces": "wg0 wg1", "forward": "yes", "rich rules": ""}
    assert parsed["public"] == {"target": "default"}


def test_firewalld_zone_target_reject(tmp_path):
    assert 'target="%%REJECT%%"' in firewalld.zone_xml("wgnet", "REJECT", ["wg0"])


def test_iptables_restore_input_flushes_only_owned_chains():
    text = iptables.restore_input({iptables.CHAINS[1]: ["-A WGNET-FORWARD -i wg0 -o eth1 -j ACCEPT"]},
                                  {iptables.CHAINS[1]: 0})
    assert text == ("*filter\n:WGNET-FORWARD - [0:0]\n-A WGNET-FORWARD -i wg0 -o eth1 -j ACCEPT\n"
                    "-I FORWARD 1 -j WGNET-FORWARD\nCOMMIT\n")
