#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: wg_status
short_description: One table of the live WireGuard peers of every host
version_added: 0.1.0
description:
  - From the M(wgnet.wireguard.wg_info) result of every host (or, on hosts without Python, the output of
    C(playbooks/files/wg_info.sh)), returns each host's state in wg_info's shape and one table of host, interface,
    peer, endpoint, latest handshake and transfer counters.
  - Where the watchdog of direct paths watches peers, a second table follows with each watched peer's path
    (V(direct) or V(relay)), since when and why (from M(wgnet.wireguard.wg_info)'s C(watchdog)).
  - This is an action plugin. It runs on the controller and never opens a connection. Use it with C(run_once).
  - C(playbooks/status.yml) (C(wgnet.wireguard.status)) runs it.
author:
  - wgnet.wireguard contributors (@wgnet)
options:
  results:
    description: Host to its registered M(wgnet.wireguard.wg_info) result (skipped where the script ran instead).
    type: dict
    required: true
  script_results:
    description: Host to the registered result of the C(playbooks/files/wg_info.sh) script, where it ran.
    type: dict
    default: {}
attributes:
  check_mode:
    support: full
    description: Reads only.
  diff_mode:
    support: none
    description: Nothing is changed, so there is nothing to show.
  idempotent:
    support: full
    description: Reads only.
seealso:
  - module: wgnet.wireguard.wg_info
"""

EXAMPLES = r"""
- name: Tabulate the peers of every host
  wgnet.wireguard.wg_status:
    results: "{{ dict(ansible_play_hosts | zip(ansible_play_hosts | map('extract', hostvars, 'info'))) }}"
    script_results: {}
  register: status
  run_once: true
"""

RETURN = r"""
status:
  description: Host to its state in M(wgnet.wireguard.wg_info)'s shape (null when the host did not answer).
  returned: always
  type: dict
table:
  description: Lines of the table.
  returned: always
  type: list
  elements: str
"""
