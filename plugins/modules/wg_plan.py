#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: wg_plan
short_description: Plan every WireGuard network of the inventory on the controller
version_added: 0.1.0
description:
  - Validates the networks and computes every host's peers, AllowedIPs, endpoints and keepalives, as
    P(wgnet.wireguard.wg_network_plan#filter) does, from the play's C(hostvars) and C(groups), the public keys
    recorded by earlier runs and the keys the hosts reported in this run. Inventory mistakes fail here, naming the
    host, the variable and the fix.
  - Optionally records the plan's public keys in a YAML file on the controller, so later runs with C(--limit) (and
    the read-only playbooks) keep every peer.
  - When a host's key was replaced in this run (keyed rotation), returns the moment at which every host switches.
  - This is an action plugin. It runs on the controller, and never opens a connection. Use it with C(run_once).
  - The wireguard role runs it from C(tasks/plan.yml), its one plan entry point (V(tasks_from=plan)).
author:
  - wgnet.wireguard contributors (@wgnet)
options:
  networks:
    description: Interface name to network definition, as the role's C(wireguard_networks).
    type: dict
    required: true
  defaults:
    description: Defaults of every network and member (C(port), C(persistent_keepalive)).
    type: dict
    default: {}
  public_keys:
    description: Interface to host to public key, recorded by earlier runs. These win over O(public_key_file).
    type: dict
    default: {}
  public_key_file:
    description:
      - A YAML file on the controller with the public keys recorded by earlier runs (what O(record) writes). A
        missing file records nothing. A file that is not valid YAML, or not a mapping of interface to host to key,
        fails the plan with a message naming the file and the fix.
    type: path
  client_public_keys:
    description: Interface to client name to public key of the clients whose key pairs the controller generated.
    type: dict
    default: {}
  client_public_key_file:
    description:
      - The YAML file on the controller where the role's C(clients.yml) recorded the public keys of the clients whose
        key pairs it generated (interface to client name to key). A missing file adds nothing. A file that is not
        valid YAML, or not such a mapping, fails the plan with a message naming the file and the fix.
      - Its keys are added to O(client_public_keys), which wins for an interface named in both.
    type: path
    version_added: 0.2.0
  registered_keys:
    description:
      - Host to the registered result of a M(wgnet.wireguard.wg_key) loop over the host's interfaces (C(results),
        each with C(item), C(public_key) and C(rotated)). These keys win over O(public_keys).
      - For an OpenWrt router, the registered result of the role's C(openwrt_key.sh) loop (C(key=value) lines in
        each item's C(stdout)), which is read into the same shape.
    type: dict
    default: {}
  allow_missing_keys:
    description: Plan without the peers whose public key is not known yet, instead of failing (check mode, previews).
    type: bool
    default: false
  preshared_keys:
    description: Every peer entry names the file of its preshared key.
    type: bool
    default: false
  record:
    description: Write the plan's public keys to this YAML file on the controller when they changed.
    type: path
  rotation_sync_seconds:
    description: Seconds from now to the moment replaced keys go live on every host.
    type: float
    default: 10.0
  probes:
    description:
      - Host to its M(wgnet.wireguard.wg_probe) result, for the hosts of this run. Sites take their default site
        endpoint from it (C(default_ipv4)); with C(nat_traversal) the NAT pairs take the endpoints the hubs
        observed (C(wg_endpoints), C(wg_handshakes)). Hosts missing here keep what their neighbours have live.
    type: dict
    default: {}
  reprobes:
    description: Later probe results of some hosts (the role's second phase); they replace those of O(probes).
    type: dict
    default: {}
  previous_plan:
    description: An earlier plan of this run; RV(changed_hosts) names the hosts of O(probes) whose peers differ.
    type: raw
attributes:
  check_mode:
    support: full
    description: Plans as usual; the record file is not written. Hosts whose key does not exist yet are named.
  diff_mode:
    support: full
    description: Shows the record file before and after.
  idempotent:
    support: full
    description: The record file is written only when its content changes.
seealso:
  - module: wgnet.wireguard.wg_interface
  - plugin: wgnet.wireguard.wg_network_plan
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Plan the networks from the inventory and the recorded public keys
  wgnet.wireguard.wg_plan:
    networks: {wg0: {range: 10.77.0.0/24, members: wireguard, hubs: wireguard_hubs}}
    public_key_file: "{{ inventory_dir }}/wireguard_public_keys.yml"
    allow_missing_keys: true
  register: planned
  run_once: true

- name: Print one host's peers
  ansible.builtin.debug:
    msg: "{{ planned.plan | wgnet.wireguard.wg_host_interfaces(inventory_hostname) }}"
"""

RETURN = r"""
plan:
  description:
    - The plan, as one JSON string (what P(wgnet.wireguard.wg_host_interfaces#filter) and
      P(wgnet.wireguard.wg_host_routes#filter) read).
  returned: always
  type: str
missing_keys:
  description: Interface to the hosts whose public key is not known yet (left out of the plan).
  returned: always
  type: dict
  sample: {wg0: [spoke3]}
rotated:
  description: Hosts whose key O(registered_keys) reports as replaced in this run.
  returned: always
  type: list
  elements: str
switch_at:
  description: When replaced keys go live, in seconds since the epoch; an empty string when no key was replaced.
  returned: always
  type: raw
nat_wait:
  description:
    - Hub (of this run) to the public keys of the members behind NAT it has not seen yet, in networks with
      C(nat_traversal). Empty when nothing is pending, which is every run but the first.
  returned: always
  type: dict
direct_paths:
  description: Interface to its sites (site to members), NAT pairs, members behind a symmetric NAT, members whose
    NAT endpoint is pending and members whose site endpoint is unknown.
  returned: always
  type: dict
changed_hosts:
  description: Hosts whose interface plans differ from O(previous_plan).
  returned: when O(previous_plan) is set
  type: list
  elements: str
record:
  description: The public key file, when O(record) is set.
  returned: when O(record) is set
  type: str
"""
