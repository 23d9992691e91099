# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of wgnet.wireguard.wg_plan (see the module file for the
documentation): plans every network on the controller, never connects."""

from __future__ import annotations

import os
import time

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_files
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _openwrt
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _plan_step
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology

display = Display()

ARGUMENT_SPEC = dict(
    networks=dict(type="dict", required=True),
    defaults=dict(type="dict", default={}),
    public_keys=dict(type="dict", default={}),
    public_key_file=dict(type="path"),
    client_public_keys=dict(type="dict", default={}),
    client_public_key_file=dict(type="path"),
    registered_keys=dict(type="dict", default={}),
    allow_missing_keys=dict(type="bool", default=False),
    preshared_keys=dict(type="bool", default=False),
    record=dict(type="path"),
    rotation_sync_seconds=dict(type="float", default=10.0),
    probes=dict(type="dict", default={}),
    reprobes=dict(type="dict", default={}),
    previous_plan=dict(type="raw"),
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            registered = _plan_step.registered_keys(args["registered_keys"])
            stored = args["public_keys"]
            if args["public_key_file"]:
                stored = dict(_plan_step.recorded_keys(os.path.expanduser(args["public_key_file"])), **stored)
            clients = args["client_public_keys"]
            if args["client_public_key_file"]:
                clients = dict(_plan_step.recorded_keys(os.path.expanduser(args["client_public_key_file"]),
                                                        "the clients' public keys file", _plan_step.CLIENT_KEYS_FIX),
                               **clients)
            keys = _plan_step.known_keys(registered, stored, clients)
            plan = _topology.plan_networks(task_vars["hostvars"], args["networks"], task_vars["groups"], keys,
                                           allow_missing_keys=args["allow_missing_keys"], defaults=args["defaults"],
                                           preshared_keys=args["preshared_keys"],
                                           probes=_plan_step.merge_probes(args["probes"], args["reprobes"]))
        except (_topology.PlanError, _openwrt.OpenWrtError) as exc:
            raise AnsibleActionFail("wgnet.wireguard: %s" % exc)
        missing = _plan_step.missing_keys(plan)
        rotated = _plan_step.rotated_hosts(registered)
        result.update({
            "changed": False,
            "plan": _plan_step.dumps(plan),
            "missing_keys": missing,
            "rotated": rotated,
            # Every host applies a replaced key at this moment (wg_interface's switch_at).
            "switch_at": round(time.time() + args["rotation_sync_seconds"], 3) if rotated else "",
            # Hubs of this run to read again after wg_interface, and the keys of
            # the members behind NAT they must have seen first (role, second phase).
            "nat_wait": _plan_step.nat_wait(plan, args["probes"]),
            "direct_paths": _plan_step.direct_summary(plan),
        })
        if args["previous_plan"] not in (None, ""):
            result["changed_hosts"] = _plan_step.changed_hosts(args["previous_plan"], plan, list(args["probes"]))
        if missing and self._task.check_mode:
            for interface, hosts in missing.items():
                display.display("Check mode: the keys of %s (%s) do not exist yet (they are generated on those hosts "
                                "by a real run), so their peer entries are not part of this plan."
                                % (", ".join(hosts), interface))
        if args["record"]:
            self._record(args["record"], plan, result)
        return result

    def _record(self, path, plan, result):
        """The plan's public keys, beside the inventory, for runs with --limit."""
        path = os.path.expanduser(path)
        text = _plan_step.record_text(plan)
        current = _wg_files.read_text(path)
        result["record"] = path
        if current == text:
            return
        result["changed"] = True
        if self._task.diff:
            result["diff"] = {"before": current or "", "after": text, "before_header": path, "after_header": path}
        if not self._task.check_mode:
            try:
                _wg_files.write_atomic(path, text, 0o644)
            except OSError as exc:
                raise AnsibleActionFail("wg_plan: cannot write the public key record %s: %s" % (path, exc))
