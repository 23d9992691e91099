# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of wgnet.wireguard.wg_probe (see the module file for the
documentation): one POSIX sh command through the connection, as raw runs it,
parsed on the controller."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _probe

ARGUMENT_SPEC = dict(
    wait_for_handshakes=dict(type="list", elements="str", default=[]),
    wait_seconds=dict(type="int", default=15),
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("wait_for_handshakes", "wait_seconds"))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        # /bin/sh explicitly: some connections (podman) run commands without a shell.
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        script = _probe.SCRIPT
        if args["wait_for_handshakes"]:
            script = _probe.wait_script(args["wait_for_handshakes"], args["wait_seconds"])
        out = self._low_level_execute_command(script, executable="/bin/sh")
        if out.get("rc") != 0:
            raise AnsibleActionFail("wg_probe: the probe failed on the host (rc=%s): %s"
                                    % (out.get("rc"), (out.get("stderr") or out.get("stdout") or "").strip()[:500]))
        try:
            probe = _probe.parse(out.get("stdout"))
        except _probe.ProbeError as exc:
            raise AnsibleActionFail("wg_probe: %s" % exc)
        result.update(probe)
        result["changed"] = False
        result["ansible_facts"] = dict((k, probe[k]) for k in (
            "os_family", "distribution", "distribution_version", "distribution_major_version") if probe[k])
        return result
