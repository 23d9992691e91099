# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Task timer for benchmarks/topology.py (not part of the collection build)."""

from __future__ import annotations

DOCUMENTATION = """
    name: wg_bench_timer
    type: aggregate
    short_description: Per-task wall-clock times for benchmarks/topology.py
    description:
      - Writes, to the file named by E(WG_BENCH_TIMES), each task's name, the time its first host was queued and the
        time its last result arrived, the ansible_facts returned for tasks named C(capture:*), and the peak RSS of
        the controller process.
      - Meant for the linear strategy, where one task ends before the next starts.
    requirements:
      - enabled with E(ANSIBLE_CALLBACKS_ENABLED)
"""

import json
import os
import resource
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "wg_bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._start = time.time()
        self._tasks = []
        self._captured = {}

    def v2_playbook_on_task_start(self, task, is_conditional):
        now = time.time()
        self._tasks.append({"name": task.get_name(), "start": now, "end": now, "results": 0})

    def _record(self, result):
        if not self._tasks:
            return
        entry = self._tasks[-1]
        entry["end"] = time.time()
        entry["results"] += 1
        if entry["name"].startswith("capture:"):
            data = getattr(result, "result", None)
            if data is None:
                data = result._result  # ansible-core < 2.19
            host = result._host.get_name()
            self._captured.setdefault(entry["name"], {})[host] = json.loads(
                json.dumps(data.get("ansible_facts", {}), default=str))

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result)

    def v2_runner_on_skipped(self, result):
        self._record(result)

    def v2_runner_on_unreachable(self, result):
        self._record(result)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("WG_BENCH_TIMES")
        if not path:
            return
        with open(path, "w") as handle:
            json.dump({"start": self._start, "end": time.time(), "tasks": self._tasks, "captured": self._captured,
                       # peak RSS of the ansible-playbook controller process (Linux: KiB)
                       "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}, handle)
