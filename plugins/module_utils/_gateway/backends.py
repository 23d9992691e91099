# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Picks the firewall backend and runs one gateway converge."""

from __future__ import annotations

import json

from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway import plan as _plan
from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway.common import DEFAULT_PATHS
from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway.common import Gateway
from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway.firewalld import FirewalldBackend
from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway.iptables import IptablesBackend
from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway.nftables import NftablesBackend
from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway.ufw import UfwBackend
from ansible_collections.wgnet.wireguard.plugins.module_utils._wg_files import read_text

BACKENDS = {
    "firewalld": FirewalldBackend,
    "ufw": UfwBackend,
    "nftables": NftablesBackend,
    "iptables": IptablesBackend,
    "none": None,
}


def ufw_enabled(run, paths):
    conf = read_text(paths["ufw_conf"]) or ""
    return bool(run.which("ufw")) and any(
        line.strip().replace('"', "").lower() == "enabled=yes" for line in conf.splitlines())


def detect(run, paths):
    """firewalld when it runs, else ufw when enabled, else nftables when nft
    exists, else iptables."""
    systemctl = run.which("systemctl")
    if systemctl and run.which("firewall-cmd"):
        if run([systemctl, "is-active", "--quiet", "firewalld.service"], check=False)[0] == 0:
            return "firewalld"
    if ufw_enabled(run, paths):
        return "ufw"
    if run.which("nft"):
        return "nftables"
    return "iptables"


def host_plan(params, run):
    """The gateway plan from the module options and `ip -j`."""
    ip = run.which("ip")
    if not ip:
        raise _plan.GatewayError("the ip command (iproute2) is missing")
    networks = _plan.networks_from_ip(json.loads(run([ip, "-j", "address", "show"])[1] or "[]"))
    default_routes = {}
    routing = [i for i in params["interfaces"] if i.get("forwarding")]
    if any(i.get("egress_gateway") for i in routing) and not params["egress_interface"]:
        for version in (4, 6):
            out = run([ip, "-%d" % version, "-j", "route", "show", "default"])[1]
            default_routes[version] = _plan.default_interface(json.loads(out or "[]"))
    return _plan.gateway_plan(params["interfaces"], networks, default_routes,
                              lan_interfaces=params["lan_interfaces"],
                              egress_interface=params["egress_interface"], masquerade=params["masquerade"],
                              proxy_arp_interfaces=params["proxy_arp_interfaces"])


def converge(params, run, check_mode=False, paths=None):
    """One call: plan, pick the backend, reconcile. Returns the module result."""
    all_paths = dict(DEFAULT_PATHS)
    all_paths.update(paths or {})
    plan = host_plan(params, run)
    name = params["backend"]
    if name == "auto":
        name = detect(run, all_paths)
    result = Gateway(params, run, plan, BACKENDS[name], check_mode=check_mode, paths=all_paths).converge()
    result["backend"] = name
    return result
