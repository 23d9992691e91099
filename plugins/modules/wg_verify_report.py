#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: wg_verify_report
short_description: Build the reachability matrix of a WireGuard network from every host's pings
version_added: 0.1.0
description:
  - From the network plan and the M(wgnet.wireguard.wg_verify) results of every host, builds the matrix (reachable,
    unreachable, not expected, rtt, latest handshake of the peer that carries each path) on the controller, and
    optionally writes it as JSON. A host that failed or was unreachable counts as unreachable on every expected path.
  - This is an action plugin. It runs on the controller and never opens a connection. Use it with C(run_once).
author:
  - wgnet.wireguard contributors (@wgnet)
options:
  plan:
    description: The network plan (M(wgnet.wireguard.wg_plan)'s C(plan)), a JSON string or its data.
    type: raw
    required: true
  hosts:
    description: The hosts whose paths are checked (usually C(ansible_play_hosts_all)).
    type: list
    elements: str
    required: true
  addresses:
    description: Host to the output of C(ip addr show) on it, as given to M(wgnet.wireguard.wg_verify).
    type: dict
    default: {}
  results:
    description: Host to its registered M(wgnet.wireguard.wg_verify) result (missing, failed or unreachable hosts count
      as not answering).
    type: dict
    default: {}
  dest:
    description: Write the report (everything but RV(table)) as JSON to this file on the controller.
    type: path
attributes:
  check_mode:
    support: full
    description: The report is a record of this run, not managed state; it is written in check mode too.
  diff_mode:
    support: none
    description: Nothing is changed, so there is nothing to show.
  idempotent:
    support: none
    description: The report differs on every run (rtt, handshake ages); it is never reported as a change.
seealso:
  - module: wgnet.wireguard.wg_verify
"""

EXAMPLES = r"""
- name: Build the matrix
  wgnet.wireguard.wg_verify_report:
    plan: "{{ planned.plan }}"
    hosts: "{{ ansible_play_hosts_all }}"
    results: "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars, 'pings'))) }}"
    dest: /tmp/wireguard-verify.json
  register: matrix
  run_once: true
"""

RETURN = r"""
ok:
  description: Whether every expected path is reachable.
  returned: always
  type: bool
failed_paths:
  description: The expected paths that are unreachable (C(failed) in the JSON report).
  returned: always
  type: list
  elements: str
counts:
  description: How many paths are expected, reachable, unreachable and not expected.
  returned: always
  type: dict
table:
  description: The matrix as lines of text.
  returned: always
  type: list
  elements: str
rows:
  description: One entry per path with its status, rtt and handshake.
  returned: always
  type: list
  elements: dict
dest:
  description: The JSON report written, when O(dest) is set.
  returned: when O(dest) is set
  type: str
"""
