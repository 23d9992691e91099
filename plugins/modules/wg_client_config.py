#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: wg_client_config
short_description: Write an unmanaged WireGuard client's wg-quick config and QR code on the controller
version_added: 0.1.0
description:
  - Writes C(<dir>/<network>/<name>.conf), the wg-quick config of a client that Ansible does not manage, and
    C(<dir>/<network>/<name>.png), a QR code of the same text that the WireGuard mobile apps scan. Both are mode
    C(0600) in C(0700) directories. Files are written only when their content changes; the PNG is made again only
    when the config changed (or is missing).
  - The private key is read from C(<dir>/<network>/<name>.key) (see M(wgnet.wireguard.wg_client_key)). When the
    client's public key was given instead, the file carries the line
    C(# PrivateKey = <paste the client's private key here>).
  - With O(preshared_key=true) each peer gets the pair's preshared key, derived from the variable
    C(wireguard_psk_master) (read by the action from the task's variables, so the secret is never a task argument).
  - This is an action plugin, so it runs on the controller and never opens a connection. Key material is never part
    of the result; the diff shows the config with keys redacted.
author:
  - wgnet.wireguard contributors (@wgnet)
options:
  dir:
    description: The clients directory on the controller.
    type: path
    required: true
  plan:
    description:
      - The network plan (M(wgnet.wireguard.wg_plan)'s RV(wgnet.wireguard.wg_plan#module:plan)). Every client of every
        network is written, after its own settings (read from O(networks)) were checked. Mutually exclusive with
        O(client).
    type: raw
  networks:
    description: Interface name to network definition, where the clients' own settings are read; with O(plan).
    type: dict
  client:
    description:
      - One client, as an entry of RV(clients) describes it (C(network), C(name), C(addresses), C(dns), C(peers)).
        Mutually exclusive with O(plan).
    type: dict
  preshared_key:
    description: Add each peer's preshared key, derived from C(wireguard_psk_master).
    type: bool
    default: false
  qr:
    description: Also write the QR code PNG (needs C(qrencode) on the controller).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Nothing is written.
  diff_mode:
    support: full
    description: The config before and after, with PrivateKey and PresharedKey redacted.
  idempotent:
    support: full
    description: Unchanged content is not written again.
requirements:
  - C(qrencode) on the controller, for O(qr=true) (the collection's C(bindep.txt) lists it). The config reaches it
    on stdin, never on a command line.
seealso:
  - module: wgnet.wireguard.wg_client_key
"""

EXAMPLES = r"""
- name: Config and QR code of every client
  wgnet.wireguard.wg_client_config:
    dir: "{{ inventory_dir }}/wireguard-clients"
    plan: "{{ planned.plan }}"
    networks: "{{ wireguard_networks }}"
"""

RETURN = r"""
clients:
  description: With O(plan), one entry per client with C(network), C(name) and the fields below.
  returned: with O(plan)
  type: list
  elements: dict
path:
  description: The config file on the controller.
  returned: with O(client)
  type: str
qr_path:
  description: The QR code PNG, or null with O(qr=false).
  returned: with O(client)
  type: str
private_key:
  description: V(generated) when the file carries the controller-generated key, V(placeholder) when the user keeps it.
  returned: with O(client)
  type: str
"""
