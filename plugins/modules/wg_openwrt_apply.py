#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: wg_openwrt_apply
short_description: Apply planned UCI changes, live operations and preshared keys on an OpenWrt router
version_added: 0.1.0
description:
  - Internal to the C(wgnet.wireguard.wireguard) role, which computes O(batch), O(ops) and O(commit) from the
    router's C(uci export) and the network plan. Runs the role's C(openwrt_apply.sh) on the router with C(/bin/sh)
    (BusyBox ash), since OpenWrt has no Python.
  - The C(uci batch) and the commit of the configs in O(commit) come first, then the live operations (C(wg set),
    C(ip route), C(ifup), a wait until the agreed moment of a key rotation and the switch to the router's new
    key, C(fw4 reload)).
  - With O(psk_master), derives the preshared key of each of the router's peers on the controller and hands them
    to the script on its stdin. The script compares them with UCI and with C(wg show <if> preshared-keys) on the
    router and sets the ones that differ through stdin (C(uci batch), C(wg set ... preshared-key /dev/stdin)).
    No preshared key is ever on a command line or in the result. Use the task with C(no_log=true) anyway.
  - This is an action plugin, so it needs no Python on the router.
  - When O(ops) wait for the agreed moment of a key rotation, the script is started in the background on the router
    and the result carries RV(scheduled); a later task with O(collect) reports it. The play can then run the Linux
    hosts' switch (M(wgnet.wireguard.wg_interface) with C(switch_at)) while the router waits for the same moment.
author:
  - wgnet.wireguard contributors (@wgnet)
options:
  batch:
    description: C(uci batch) lines (public values only).
    type: list
    elements: str
    default: []
  ops:
    description: Live operations, one a line, as the role's C(openwrt_apply.sh) documents them.
    type: list
    elements: str
    default: []
  commit:
    description: The configs to commit after the batch (C(network), C(firewall)).
    type: list
    elements: str
    default: []
  plan:
    description: The network plan (P(wgnet.wireguard.wg_network_plan#filter), or its JSON text). Needed with
      O(psk_master).
    type: raw
  psk_master:
    description: The preshared key master secret (C(wireguard_psk_master)). Without it no preshared key is handled.
    type: str
  collect:
    description:
      - The RV(scheduled) directory of an earlier call. Waits (up to 300 s) until that run finished, reports it like
        a run in the foreground and removes the directory. The other options are ignored then.
    type: str
attributes:
  check_mode:
    support: full
    description: Runs no batch and no operation; only compares the preshared keys and reports a mismatch as changed.
  diff_mode:
    support: none
    description: The role prints the UCI changes (keys redacted) in a separate task; this action shows no diff.
  idempotent:
    support: full
    description: With empty O(batch) and O(ops) and matching preshared keys, nothing is changed.
notes:
  - The preshared keys travel to the router as a 0600 file in Ansible's private remote temporary directory, the
    script's stdin, removed right after the run.
seealso:
  - module: wgnet.wireguard.wg_interface
"""

EXAMPLES = r"""
- name: Apply the UCI changes and the preshared keys
  wgnet.wireguard.wg_openwrt_apply:
    batch: "{{ reconcile.batch }}"
    ops: "{{ reconcile.ops }}"
    commit: "{{ reconcile.commit }}"
    plan: "{{ plan }}"
    psk_master: "{{ wireguard_psk_master }}"
  no_log: true
"""

RETURN = r"""
scheduled:
  description: The router's directory of a run started in the background (see O(collect)).
  returned: when O(ops) wait for a rotation's agreed moment
  type: str
stdout_lines:
  description: What the script did, one C(done=<operation>) line each, and C(changed=0|1). Never a key.
  returned: when the script ran
  type: list
  elements: str
"""
