# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test-only callback of the gateways scenario: one JSON line per task result
(host, role, action, status, whether it ran on the host), appended to the file
named by GATEWAY_TASKS_LOG, so the tests count remote round trips per role."""

from __future__ import annotations

DOCUMENTATION = r"""
name: gateway_tasks
type: aggregate
short_description: Log each task result as a JSON line (gateways scenario tests)
description: Appends host, role, action and status of each task result to the file in E(GATEWAY_TASKS_LOG).
requirements: [enabled in callbacks_enabled]
"""

import json
import os

from ansible.plugins.callback import CallbackBase

# Actions that run on the controller and cost no round trip.
LOCAL_ACTIONS = {"assert", "set_fact", "debug", "fail", "meta", "include_tasks", "import_tasks", "include_role",
                 "import_role", "include_vars", "validate_argument_spec", "add_host", "group_by"}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "gateway_tasks"
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, result, status):
        path = os.environ.get("GATEWAY_TASKS_LOG")
        if not path:
            return
        task = result._task
        action = task.action.split(".")[-1]
        role = task._role.get_name().split(".")[-1] if task._role else None
        delegated = bool(task.delegate_to) and task.delegate_to not in (result._host.get_name(),)
        record = {"host": result._host.get_name(), "task": task.name, "role": role, "action": action,
                  "status": status, "changed": bool(result._result.get("changed")),
                  "remote": status != "skipped" and action not in LOCAL_ACTIONS and not delegated}
        if action == "wg_gateway":
            record["result"] = dict((k, result._result.get(k)) for k in (
                "backend", "rules_added", "rules_removed", "files_changed", "msg", "diff"))
        with open(path, "a") as handle:
            handle.write(json.dumps(record) + "\n")

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")
