# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test-only callback (not shipped): counts the remote round trips per host.

Every task (or loop item) that ran on a host through its connection costs one
round trip. Tasks that run on the controller do not: set_fact, debug, assert,
includes, tasks delegated to localhost and action plugins that declare
``_requires_connection = False``. Skipped tasks and items cost nothing.

Enable with ANSIBLE_CALLBACK_PLUGINS=<this dir> and
ANSIBLE_CALLBACKS_ENABLED=wgnet_roundtrips; the counts are written as JSON to
$WGNET_ROUNDTRIPS_FILE at the end of the run:
{host: {"remote": n, "controller": m, "by_role": {role: n}, "tasks": [...]}}.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: wgnet_roundtrips
type: aggregate
short_description: Count remote round trips per host (wgnet.wireguard tests only)
description:
  - Writes per host the remote tasks and loop items that ran, as JSON, to E(WGNET_ROUNDTRIPS_FILE).
requirements:
  - enable in configuration
"""

import json
import os

from ansible.plugins.callback import CallbackBase
from ansible.plugins.loader import action_loader

# Actions that never touch the host (ansible.builtin and their short names).
CONTROLLER_ACTIONS = frozenset((
    "set_fact", "debug", "assert", "fail", "meta", "include_tasks", "import_tasks", "include_role",
    "import_role", "include_vars", "add_host", "group_by", "pause", "set_stats", "validate_argument_spec",
))
LOCAL = frozenset(("localhost", "127.0.0.1", "::1"))


def _short(action):
    return action.rsplit(".", 1)[-1]


def is_remote(task):
    """Whether one run of this task (or loop item) goes through the host's connection."""
    if task.action in CONTROLLER_ACTIONS or (
            _short(task.action) in CONTROLLER_ACTIONS and task.action.startswith(("ansible.builtin.", "ansible.legacy."))):
        return False
    if task.delegate_to in LOCAL:
        return False
    try:
        cls = action_loader.get(task.action, class_only=True)
    except Exception:  # pylint: disable=broad-except
        cls = None
    if cls is not None and getattr(cls, "_requires_connection", True) is False:
        return False
    return True


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "wgnet_roundtrips"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.hosts = {}

    def _count(self, result, item=False):
        task = result._task
        if not item and (task.loop is not None or task.loop_with):
            return  # loops are counted per item
        host = result._host.get_name()
        data = self.hosts.setdefault(host, {"remote": 0, "controller": 0, "by_role": {}, "tasks": []})
        remote = is_remote(task)
        data["remote" if remote else "controller"] += 1
        if remote:
            role = task._role.get_name() if task._role else "(play)"
            data["by_role"][role] = data["by_role"].get(role, 0) + 1
            data["tasks"].append(task.get_name())

    def v2_runner_on_ok(self, result):
        self._count(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count(result)

    def v2_runner_item_on_ok(self, result):
        self._count(result, item=True)

    def v2_runner_item_on_failed(self, result):
        self._count(result, item=True)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("WGNET_ROUNDTRIPS_FILE")
        if path:
            with open(path, "w") as handle:
                json.dump(self.hosts, handle, indent=1, sort_keys=True)
