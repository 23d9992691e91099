# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action in front of wgnet.wireguard.wg_interface (see the module file for
the documentation): derives the preshared keys from preshared_key_master on
the controller, so the master never reaches a host, then runs the module
once. Without preshared_key_master the arguments pass through unchanged."""

from __future__ import annotations

import json

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _psk


def wanted_peers(args):
    """The peers of peers or peers_json, as plain dicts."""
    if args.get("peers_json") not in (None, ""):
        value = args["peers_json"]
        try:
            peers = json.loads(value) if isinstance(value, str) else value
        except ValueError as exc:
            raise AnsibleActionFail("wg_interface: peers_json is not valid JSON: %s" % exc)
    else:
        peers = args.get("peers") or []
    if not isinstance(peers, list) or not all(isinstance(p, dict) and p.get("public_key") for p in peers):
        raise AnsibleActionFail("wg_interface: each peer needs a public_key")
    return peers


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        master = args.pop("preshared_key_master", None)
        own = args.pop("own_public_key", None)
        if master not in (None, ""):
            if args.get("preshared_keys"):
                raise AnsibleActionFail("wg_interface: preshared_keys and preshared_key_master are mutually exclusive")
            if not own and self._task.check_mode:
                # The key check mode did not create: the module reports it.
                result["warnings"] = ["wg_interface: %s has no key yet, so its preshared keys are derived in the "
                                      "first real run" % args.get("name")]
            elif not own:
                raise AnsibleActionFail("wg_interface: preshared_key_master needs own_public_key, this interface's "
                                        "public key (what wgnet.wireguard.wg_key returns)")
            else:
                try:
                    args["preshared_keys"] = _psk.peer_psks(to_text(master), str(args.get("name")), own,
                                                            wanted_peers(args))
                except _psk.PskError as exc:
                    raise AnsibleActionFail("wg_interface %s: %s" % (args.get("name"), exc))
        wrap_async = self._task.async_val and not self._connection.has_native_async
        result = merge_hash(result, self._execute_module(module_args=args, task_vars=task_vars,
                                                         wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
