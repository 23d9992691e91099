#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: wg_client_key
short_description: Keep unmanaged WireGuard clients' key pairs on the Ansible controller
version_added: 0.1.0
description:
  - For clients that Ansible does not manage (phones, laptops) and whose public key the inventory does not give,
    makes sure the private key file C(<dir>/<network>/<name>.key) exists on the controller, generating it with
    PyNaCl when absent, and returns the public keys. Existing keys are kept, so later runs report no change.
  - This is an action plugin, so it always runs on the controller, whatever host the task targets, and never opens
    a connection. Private keys are never returned, logged or shown in a diff.
author:
  - wgnet.wireguard contributors (@wgnet)
options:
  dir:
    description:
      - The clients directory on the controller. It and C(<dir>/<network>) are kept at mode C(0700), the key files
        at C(0600).
    type: path
    required: true
  networks:
    description:
      - Interface name to network definition (the role's C(wireguard_networks)); every client declared under a
        network's C(clients) is handled, after its settings were checked. Mutually exclusive with O(clients).
    type: dict
  clients:
    description:
      - The clients as a list of C(network), C(name) and C(public_key). Clients with a C(public_key) are skipped.
        Mutually exclusive with O(networks).
    type: list
    elements: dict
attributes:
  check_mode:
    support: full
    description: Nothing is written; a key that would be generated has no public key yet.
  diff_mode:
    support: full
    description: Shows, per client, whether its key exists and a fingerprint of its public key.
  idempotent:
    support: full
    description: An existing valid key is kept.
requirements:
  - PyNaCl on the controller is optional. When it is installed, it generates the key pairs; without it, a key comes
    from C(os.urandom) and its public key from the collection's own X25519 (RFC 7748) code. The collection's
    C(requirements.txt) lists it.
seealso:
  - module: wgnet.wireguard.wg_client_config
"""

EXAMPLES = r"""
- name: Key pairs of the clients that need one
  wgnet.wireguard.wg_client_key:
    dir: "{{ inventory_dir }}/wireguard-clients"
    networks: "{{ wireguard_networks }}"
  register: client_keys
"""

RETURN = r"""
public_keys:
  description:
    - Network to client name to public key, for the clients handled here. A key that check mode would generate is
      missing.
  returned: always
  type: dict
  sample: {wg0: {phone: "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="}}
generated:
  description: C(<network>/<name>) of the clients whose key was (or in check mode would be) generated.
  returned: always
  type: list
  elements: str
"""
