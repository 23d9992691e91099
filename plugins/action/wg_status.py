# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of wgnet.wireguard.wg_status (see the module file for the
documentation): every host's live state in one table, on the controller."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_crypto
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_info
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _verify

ARGUMENT_SPEC = dict(
    results=dict(type="dict", required=True),
    script_results=dict(type="dict", default={}),
)


def host_status(result, script=None):
    """wg_info's result, from itself or, where it was skipped, from the output
    of files/wg_info.sh (None: the host did not answer)."""
    for value in (result, script):
        if not isinstance(value, dict) or value.get("skipped"):
            continue
        if value.get("failed") or value.get("unreachable"):
            return None
        if "interfaces" in value:
            return value
        if "stdout" in value:
            return _wg_info.info_from_raw(value["stdout"])
    return None


def watchdog_table(infos):
    """Lines of a second table, the watchdog's state of each watched peer
    (empty when no host has one)."""
    rows = []
    for host in sorted(infos):
        for ifname, iface in sorted(((infos[host] or {}).get("interfaces") or {}).items()):
            for peer in iface["peers"]:
                state = peer.get("watchdog")
                if state:
                    rows.append((host, ifname, peer.get("friendly_name") or _wg_crypto.fingerprint(peer["public_key"]),
                                 state["state"], "%s ago" % _verify._age(state.get("age")), state["reason"]))
    if not rows:
        return []
    return [""] + _verify._table(("host", "interface", "watched peer", "path", "since", "why"), rows)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            scripts = args["script_results"]
            status = dict((h, host_status(r, scripts.get(h))) for h, r in args["results"].items())
            answered = dict((h, s) for h, s in status.items() if s is not None)
            table = _verify.status_table(answered) + watchdog_table(answered)
        except ValueError as exc:
            raise AnsibleActionFail("wgnet.wireguard: %s" % exc)
        result.update({"changed": False, "status": status, "table": table})
        return result
