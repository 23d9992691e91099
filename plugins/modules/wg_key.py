#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: wg_key
short_description: Keep a WireGuard private key on its host and return its public key
version_added: 0.1.0
description:
  - Makes sure a WireGuard private key file exists on the managed host, generating it there when absent.
  - The private key is generated and read on the host only. It is never returned, logged or shown in a diff;
    results carry the public key.
  - The public key is also persisted as a local fact (C(ansible_local.wgnet_wireguard.<interface>.public_key))
    so later runs can learn it without regenerating anything.
author:
  - wgnet.wireguard contributors (@wgnet)
options:
  interface:
    description:
      - The WireGuard interface the key belongs to. Names the default O(path) and the local fact entry.
    type: str
    default: wg0
  path:
    description:
      - Path of the private key file. Defaults to C(/etc/wireguard/<interface>.key).
      - The file is kept at mode C(0600) and its directory at C(0700).
    type: path
  regenerate:
    description:
      - When to replace an existing key, with the meanings used by community.crypto.
      - V(never) and V(fail) keep an existing valid key and fail when the file holds no valid key.
        WireGuard keys have no type or size options, so there is nothing else for V(fail) to check.
      - V(full_idempotence) keeps a valid key and replaces a file that holds no valid key.
      - V(always) generates a new key on every run; peers lose the host until they learn the new public key.
    type: str
    choices: [never, fail, full_idempotence, always]
    default: fail
  fact_dir:
    description:
      - Directory of Ansible local facts where the public key is recorded. Set to an empty string to skip.
    type: path
    default: /etc/ansible/facts.d
  rotation_id:
    description:
      - Keyed rotation. When the id recorded in the local fact (C(ansible_local.wgnet_wireguard.<interface>.rotation_id))
        differs from this one, a new key is generated and this id recorded; with the same id again nothing changes.
      - Any string that names the rotation, for example a date. Needs O(fact_dir).
      - The live interface keeps using the old key until M(wgnet.wireguard.wg_interface) switches it; the
        C(wgnet.wireguard.rotate) playbook does both and gives the peers the new public key in the same run.
    type: str
    version_added: 0.1.0
attributes:
  check_mode:
    support: full
    description: Nothing is written in check mode; a key that would be generated has no public key yet.
  diff_mode:
    support: full
    description: The diff shows whether a key exists and a fingerprint of its public key, never key bytes.
  idempotent:
    support: full
    description: A second run with the same options reports no change, except with O(regenerate=always).
notes:
  - Runs on any POSIX host with Python; the public key is derived in pure Python (X25519), so neither C(wg) nor
    a crypto library is needed on the host.
seealso:
  - module: wgnet.wireguard.wg_interface
"""

EXAMPLES = r"""
- name: Make sure wg0 has a key and learn its public key
  wgnet.wireguard.wg_key:
    interface: wg0
  register: wg0_key

- name: Show the public key
  ansible.builtin.debug:
    msg: "{{ wg0_key.public_key }}"

- name: Replace the key once for the rotation of 21 November (a second run changes nothing)
  wgnet.wireguard.wg_key:
    interface: wg0
    rotation_id: "2026-11-21"
"""

RETURN = r"""
public_key:
  description: The base64 public key; null in check mode when the key would be generated.
  returned: always
  type: str
  sample: xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=
path:
  description: Path of the private key file on the host.
  returned: always
  type: str
  sample: /etc/wireguard/wg0.key
generated:
  description: Whether a new key was (or in check mode would be) generated.
  returned: always
  type: bool
rotated:
  description: Whether a valid existing key was (or in check mode would be) replaced by a new one.
  returned: always
  type: bool
rotation_id:
  description: The id of the last rotation applied to this key, as recorded in the local fact; null if none.
  returned: always
  type: str
  sample: "2026-11-21"
fact_path:
  description: The local fact file holding the public key.
  returned: when O(fact_dir) is set and the public key is known
  type: str
  sample: /etc/ansible/facts.d/wgnet_wireguard.fact
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wgnet.wireguard.plugins.module_utils._wg_key import PrivateKeyFile
from ansible_collections.wgnet.wireguard.plugins.module_utils._wg_key import WireGuardKeyError


def main():
    module = AnsibleModule(
        argument_spec=dict(
            interface=dict(type="str", default="wg0"),
            path=dict(type="path"),
            regenerate=dict(type="str", default="fail", choices=["never", "fail", "full_idempotence", "always"]),
            fact_dir=dict(type="path", default="/etc/ansible/facts.d"),
            rotation_id=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    interface = module.params["interface"]
    keyfile = PrivateKeyFile(
        path=module.params["path"] or "/etc/wireguard/%s.key" % interface,
        interface=interface,
        regenerate=module.params["regenerate"],
        fact_dir=module.params["fact_dir"] or None,
        check_mode=module.check_mode,
        rotation_id=module.params["rotation_id"],
    )
    try:
        result = keyfile.run()
    except (WireGuardKeyError, OSError) as exc:
        module.fail_json(msg=str(exc))
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
