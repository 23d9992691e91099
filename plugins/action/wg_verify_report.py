# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of wgnet.wireguard.wg_verify_report (see the module file for the
documentation): the reachability matrix, on the controller."""

from __future__ import annotations

import json
import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_files
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _verify

ARGUMENT_SPEC = dict(
    plan=dict(type="raw", required=True),
    hosts=dict(type="list", elements="str", required=True),
    addresses=dict(type="dict", default={}),
    results=dict(type="dict", default={}),
    dest=dict(type="path"),
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
            # Every host's targets, those of hosts that did not answer too.
            targets = _verify.targets(args["plan"], args["hosts"], args["addresses"], task_vars["hostvars"])
            report = _verify.report(targets, args["results"])
        except ValueError as exc:
            raise AnsibleActionFail("wgnet.wireguard: %s" % exc)
        # "failed" is a task's failure flag: the failed paths are failed_paths here.
        result.update(dict((k, v) for k, v in report.items() if k != "failed"))
        result.update({"changed": False, "failed_paths": report["failed"]})
        if args["dest"]:
            # A report of this run, not managed state: never counted as a change.
            data = dict((k, v) for k, v in report.items() if k != "table")
            try:
                _wg_files.write_atomic(os.path.expanduser(args["dest"]),
                                       json.dumps(data, indent=4, sort_keys=True) + "\n", 0o644)
            except OSError as exc:
                raise AnsibleActionFail("wg_verify_report: cannot write %s: %s" % (args["dest"], exc))
            result["dest"] = args["dest"]
        return result
