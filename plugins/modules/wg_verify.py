#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: wg_verify
short_description: Ping every address a WireGuard member should reach, in one round trip
version_added: 0.1.0
description:
  - Works out on the controller, from the network plan, what this host should reach (the other members' tunnel
    addresses in every network they share, each site LAN gateway's address inside its LAN, and the addresses of other
    members' C(wireguard_verify_targets)), then pings them all in parallel with one POSIX shell command on the host,
    the way M(ansible.builtin.raw) runs it, so hosts without Python (OpenWrt) are checked too. The same command
    prints the latest handshake of every peer.
  - Changes nothing. M(wgnet.wireguard.wg_verify_report) turns the results of every host into the matrix.
  - C(playbooks/verify.yml) (C(wgnet.wireguard.verify)) runs it.
author:
  - wgnet.wireguard contributors (@wgnet)
options:
  plan:
    description: The network plan (M(wgnet.wireguard.wg_plan)'s C(plan)), a JSON string or its data.
    type: raw
    required: true
  addresses:
    description:
      - Host to the output of C(ip addr show) on it, which tells each LAN gateway's own address inside its LAN.
    type: dict
    default: {}
  count:
    description: Echo requests per target.
    type: int
    default: 2
  timeout:
    description: Seconds to wait for a reply.
    type: int
    default: 1
attributes:
  check_mode:
    support: full
    description: Pings change nothing, so they also run in check mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is nothing to show.
  idempotent:
    support: full
    description: Reads only.
seealso:
  - module: wgnet.wireguard.wg_verify_report
"""

EXAMPLES = r"""
- name: Ping the expected targets
  wgnet.wireguard.wg_verify:
    plan: "{{ planned.plan }}"
  register: pings
"""

RETURN = r"""
targets:
  description: What this host should (C(expected)) and should not reach, one row per address.
  returned: always
  type: list
  elements: dict
stdout:
  description: The ping command's output, which M(wgnet.wireguard.wg_verify_report) parses.
  returned: always
  type: str
rc:
  description: The command's exit status.
  returned: always
  type: int
"""
