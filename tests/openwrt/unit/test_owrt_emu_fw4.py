# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The OpenWrt emulation's fw4: ruleset rendering (nft -c when available)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

import fw4
import uci


def packages(sample, extra=""):
    fwpkg = uci.parse_config(sample("firewall-23.05") + extra, "firewall")
    netpkg = uci.parse_config(sample("network-wireguard"), "network")
    return fwpkg, netpkg


def nft_check(text):
    if shutil.which("nft") is None or os.geteuid() != 0:
        pytest.skip("nft -c needs nft and root")
    res = subprocess.run(["nft", "-c", "-f", "-"], input=text, capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr


def test_default_firewall_ruleset(sample):
    text = fw4.render(*packages(sample))
    assert "\t\ttype filter hook input priority filter; policy drop;\n" in text
    assert '\t\tiifname "br-lan" jump input_lan' in text
    assert '\t\tiifname "eth1" jump forward_wan' in text
    assert "\tchain forward_lan {\n\t\tjump accept_to_wan" in text
    assert '\t\tmeta nfproto ipv4 udp dport 68 counter accept comment "!fw4: Allow-DHCP-Renew"' in text
    assert '\t\tmeta nfproto ipv4 icmp type echo-request counter accept comment "!fw4: Allow-Ping"' in text
    assert '\t\toifname "eth1" jump srcnat_wan' in text
    assert "# skipped: rule Allow-MLD: IPv6-only rule (not emulated)" in text
    # wg0 is in no zone: nothing lets it in or through
    assert '"wg0"' not in text
    nft_check(text)


def test_wireguard_zone_forwardings_and_port_rule(sample):
    text = fw4.render(*packages(sample, sample("firewall-wg-extra")))
    assert '\t\tiifname "wg0" jump forward_wg' in text
    assert "\tchain forward_lan {\n\t\tjump accept_to_wan comment \"!fw4: Accept lan to wan forwarding\"\n" \
           "\t\tjump accept_to_wg comment \"!fw4: Accept lan to wg forwarding\"\n\t\tjump accept_to_lan\n" in text
    assert '\tchain accept_to_wg {\n\t\toifname "wg0" counter accept' in text
    assert '\t\tudp dport 51820 counter accept comment "!fw4: Allow-WireGuard-wg0"' in text
    assert '\t\toifname "wg0" jump srcnat_wg' in text
    nft_check(text)


def test_rule_forms(sample):
    extra = sample("firewall-rule-forms")
    text = fw4.render(*packages(sample, extra))
    assert 'meta l4proto { tcp, udp } th dport { 53, 1000-2000 } oifname "eth1" counter jump handle_reject' in text
    assert '\tchain output_wan {\n\t\tip daddr 192.0.2.1 counter drop comment "!fw4: out-any"' in text
    assert "!fw4: off" not in text
    nft_check(text)


def test_errors():
    fwpkg = uci.parse_config("config rule\n\toption src 'nope'\n\toption target 'ACCEPT'\n", "firewall")
    with pytest.raises(fw4.FwError, match="unknown zone 'nope'"):
        fw4.render(fwpkg, None)
    fwpkg = uci.parse_config("config zone\n\toption name 'a'\n\toption input 'MAYBE'\n", "firewall")
    with pytest.raises(fw4.FwError, match="invalid policy"):
        fw4.render(fwpkg, None)
