# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of wgnet.wireguard.wg_verify (see the module file for the
documentation): the host's targets are worked out on the controller, and
one POSIX sh command pings them all on the host, as raw runs it."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _verify

ARGUMENT_SPEC = dict(
    plan=dict(type="raw", required=True),
    addresses=dict(type="dict", default={}),
    count=dict(type="int", default=2),
    timeout=dict(type="int", default=1),
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        host = task_vars["inventory_hostname"]
        try:
            plan = _topology.load_plan(args["plan"])
            members = set(m for net in plan["networks"].values() for m in net["members"])
            rows = _verify.host_targets(plan, host, args["addresses"], task_vars["hostvars"]) if host in members else []
            script = _verify.ping_script(rows, args["count"], args["timeout"])
        except ValueError as exc:
            raise AnsibleActionFail("wgnet.wireguard: %s" % exc)
        # /bin/sh explicitly: some connections (podman) run commands without a shell.
        out = self._low_level_execute_command(script, executable="/bin/sh")
        result.update({"changed": False, "targets": rows, "rc": out.get("rc"), "stdout": out.get("stdout", ""),
                       "stderr": out.get("stderr", "")})
        return result
