#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: wg_gateway
short_description: Make a WireGuard host route for others, with the firewall it runs
version_added: 0.1.0
description:
  - In one call, for a hub, a site LAN gateway or an egress gateway, reads the host's addresses and default routes
    (C(ip -j)), plans what it forwards and masquerades, sets the forwarding sysctls live and in
    C(/etc/sysctl.d/90-wgnet-gateway.conf), and reconciles the firewall the host runs with that plan.
  - The B(live) ruleset is compared with the wanted one (C(nft -j list table inet wgnet), C(iptables-save),
    C(firewall-cmd --list-all-zones) and C(--list-all-policies), C(ufw show added)); only a difference is applied,
    in one atomic step where the firewall allows it (C(nft -f), C(iptables-restore --noflush),
    C(firewall-cmd --reload)). A chain flushed by hand is therefore restored, and the run reports a change.
  - The state is kept for boot by the firewall's own permanent configuration (firewalld, ufw) or by a systemd unit
    that loads a file under C(/etc/wgnet) (C(wgnet-gateway-nftables.service), C(wgnet-gateway-iptables.service)).
  - Only objects the collection owns are touched. nftables, the table C(inet wgnet); iptables, the chains
    C(WGNET-INPUT), C(WGNET-FORWARD), C(WGNET-POSTROUTING) and one jump to each; firewalld, the zone
    O(firewalld_zone) and the policies C(wgnet-listen), C(wgnet-out), C(wgnet-in); ufw, rules commented
    C(wgnet.wireguard) plus the iptables chain C(WGNET-POSTROUTING) for masquerade, which ufw cannot express.
author:
  - wgnet.wireguard contributors (@wgnet)
options:
  interfaces:
    description:
      - This host's interface plans, as the C(wireguard) role publishes them in C(wireguard_host_plan).
      - Keys read are C(interface), C(forwarding), C(ranges), C(lan_subnets), C(listen_port), C(addresses),
        C(peers) (a list of dicts with C(allowed_ips), or its JSON text) and, optionally, C(egress_gateway).
    type: list
    elements: dict
    required: true
  backend:
    description:
      - Firewall to configure. V(auto) takes firewalld when it is running, else ufw when it is enabled, else
        nftables when C(nft) is installed, else iptables.
      - V(none) sets the sysctls only.
    type: str
    default: auto
    choices: [auto, firewalld, ufw, nftables, iptables, none]
  masquerade:
    description: Masquerade tunnel traffic leaving through the LAN and egress interfaces.
    type: bool
    default: true
  lan_interfaces:
    description: LAN interfaces; by default those with an address inside the C(lan_subnets) of the plans.
    type: list
    elements: str
    default: []
  egress_interface:
    description: Outgoing interface of an egress gateway; by default that of the default route.
    type: str
    default: ""
  proxy_arp_interfaces:
    description: Interfaces that answer ARP for addresses routed elsewhere (C(proxy_arp)).
    type: list
    elements: str
    default: []
  firewalld_zone:
    description: firewalld zone of the WireGuard interfaces.
    type: str
    default: wgnet
  firewalld_zone_target:
    description: Target of that zone, that is what peers may reach on the gateway itself.
    type: str
    default: ACCEPT
    choices: [ACCEPT, default, DROP, REJECT]
attributes:
  check_mode:
    support: full
    description: Reads the live state and reports what would change; writes no file and runs no changing command,
      also on a host that was never converged.
  diff_mode:
    support: full
    description: Shows the sysctls, each owned chain, zone or policy (live and wanted) and each boot file that
      changes.
  idempotent:
    support: full
    description: A second run with the same options reports no change.
requirements:
  - iproute2 with JSON output (C(ip -j))
  - the chosen firewall's tools (C(nft), C(iptables-save)/C(iptables-restore), C(firewall-cmd) or C(ufw))
notes:
  - Linux only. On OpenWrt the wireguard role writes the fw4 zone and forwardings itself.
  - With nftables, another table's C(drop) in the same hook still drops; the accept rules of C(inet wgnet) cannot
    override it. Use the ufw, firewalld or iptables backend where another ruleset denies forwarding.
seealso:
  - module: wgnet.wireguard.wg_interface
"""

EXAMPLES = r"""
- name: Make this host a gateway with whatever firewall it runs
  wgnet.wireguard.wg_gateway:
    interfaces: "{{ wireguard_host_plan }}"

- name: A LAN gateway that is the LAN's default router (no masquerade), with nftables
  wgnet.wireguard.wg_gateway:
    interfaces: "{{ wireguard_host_plan }}"
    backend: nftables
    masquerade: false
    lan_interfaces: [br-lan]
"""

RETURN = r"""
backend:
  description: The firewall backend used.
  returned: always
  type: str
  sample: nftables
plan:
  description:
    - What the gateway does. C(wg_interfaces), C(lan_interfaces), C(egress_interfaces), C(out_interfaces),
      C(masquerade_interfaces), C(sources4)/C(sources6) (prefixes arriving over the tunnel, masqueraded when
      leaving), C(listen_ports), C(forward) (C(in)/C(out) pairs), C(ipv6) and C(sysctls).
  returned: always
  type: dict
  sample: {"wg_interfaces": ["wg0"], "lan_interfaces": ["eth1"], "forward": [{"in": "wg0", "out": "eth1"}]}
rules_added:
  description: Lines (prefixed by their chain, zone or policy) that the run adds or would add.
  returned: always
  type: list
  elements: str
  sample: ["nftables chain forward: iifname \"wg0\" oifname \"eth1\" accept"]
rules_removed:
  description: Lines that the run removes or would remove.
  returned: always
  type: list
  elements: str
  sample: []
files_changed:
  description: Files written or removed (or that would be), boot files and sysctl file included.
  returned: always
  type: list
  elements: str
  sample: ["/etc/wgnet/gateway.nft"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway.backends import converge
from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway.common import CommandRunner
from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway.plan import GatewayError


def main():
    module = AnsibleModule(
        argument_spec=dict(
            interfaces=dict(type="list", elements="dict", required=True),
            backend=dict(type="str", default="auto", choices=["auto", "firewalld", "ufw", "nftables", "iptables",
                                                              "none"]),
            masquerade=dict(type="bool", default=True),
            lan_interfaces=dict(type="list", elements="str", default=[]),
            egress_interface=dict(type="str", default=""),
            proxy_arp_interfaces=dict(type="list", elements="str", default=[]),
            firewalld_zone=dict(type="str", default="wgnet"),
            firewalld_zone_target=dict(type="str", default="ACCEPT", choices=["ACCEPT", "default", "DROP", "REJECT"]),
        ),
        supports_check_mode=True,
    )
    try:
        result = converge(module.params, CommandRunner(module), check_mode=module.check_mode)
    except (GatewayError, ValueError, KeyError) as exc:
        module.fail_json(msg="wg_gateway: %s" % exc)
    diff = result.pop("diff", [])
    if module._diff:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
