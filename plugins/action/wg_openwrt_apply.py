# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of wgnet.wireguard.wg_openwrt_apply (see the module file for the
documentation). OpenWrt routers have no Python, so this runs the role's
openwrt_apply.sh there with /bin/sh. The preshared keys are derived here, on
the controller, and reach the script on its stdin only: from a 0600 file in
Ansible's private remote temporary directory (0700), removed right after,
because not every connection plugin passes stdin to a command."""

from __future__ import annotations

import shlex

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _openwrt
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _psk
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology

SCRIPT = "openwrt_apply.sh"
ARGUMENT_SPEC = {
    "batch": {"type": "list", "elements": "str", "default": []},
    "ops": {"type": "list", "elements": "str", "default": []},
    "commit": {"type": "list", "elements": "str", "default": []},
    "plan": {"type": "raw"},
    "psk_master": {"type": "str", "no_log": True},
    "collect": {"type": "str"},
}
# How long a collect waits for a scheduled switch to finish.
COLLECT_TIMEOUT = 300


class ActionModule(ActionBase):
    TRANSFERS_FILES = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        host = (task_vars or {}).get("inventory_hostname")
        check = bool(self._task.check_mode)
        if args["collect"]:
            return self._collect(result, host, args["collect"])
        psks = []
        if args["psk_master"]:
            if args["plan"] is None:
                raise AnsibleActionFail("wg_openwrt_apply: psk_master needs plan")
            try:
                # Check mode on a new router: no key yet, so nothing to compare.
                psks = _openwrt.psk_entries(args["plan"], host, args["psk_master"], missing_ok=check)
            except (_openwrt.OpenWrtError, _psk.PskError, _topology.PlanError) as exc:
                raise AnsibleActionFail("wgnet.wireguard: %s" % exc)
        batch = [] if check else args["batch"]
        ops = [] if check else args["ops"]
        if not (batch or ops or psks):
            result.update(changed=False, stdout="", stdout_lines=[])
            return result

        source = self._find_needle("files", SCRIPT)
        if any(op.startswith("wait ") for op in ops):
            return self._schedule(result, host, source, batch, ops, args["commit"], psks)
        tmpdir = self._connection._shell.tmpdir or self._make_tmp_path()
        script = self._connection._shell.join_path(tmpdir, SCRIPT)
        stdin = self._connection._shell.join_path(tmpdir, "stdin")
        try:
            self._transfer_file(source, script)
            self._transfer_data(stdin, "".join(line + "\n" for line in psks))
            argv = ["/bin/sh", script, "\n".join(batch), "\n".join(ops), " ".join(args["commit"]),
                    "1" if check else "0"]
            cmd = " ".join(shlex.quote(a) for a in argv)
            res = self._low_level_execute_command("%s < %s" % (cmd, shlex.quote(stdin)))
        finally:
            self._remove_tmp_path(tmpdir)

        return self._report(result, host, res)

    def _schedule(self, result, host, source, batch, ops, commit, psks):
        """A key rotation: every host must switch at the agreed moment, but the
        play runs one task at a time and Linux hosts wait for it in a later
        task (wg_interface). So the script is started in the background on the
        router, waits for the moment there, and a later task collects it. Its
        stdin (the PSKs) is opened and deleted before it starts."""
        tmpdir = self._make_tmp_path()
        # Ours until the collect task removes it, not Ansible's to clean up now.
        self._connection._shell.tmpdir = None
        join = self._connection._shell.join_path
        script, stdin = join(tmpdir, SCRIPT), join(tmpdir, "stdin")
        self._transfer_file(source, script)
        self._transfer_data(stdin, "".join(line + "\n" for line in psks))
        argv = ["/bin/sh", script, "\n".join(batch), "\n".join(ops), " ".join(commit), "0"]
        q = shlex.quote
        # Not ending in "&": Ansible may append "&& sleep 0" to the command.
        cmd = ("cd / && exec 3<%s && rm -f %s && (%s <&3 >%s 2>&1; echo $? >%s) >/dev/null 2>&1 3<&3 & true"
               % (q(stdin), q(stdin), " ".join(q(a) for a in argv), q(join(tmpdir, "out")), q(join(tmpdir, "rc"))))
        res = self._low_level_execute_command(cmd)
        if res.get("rc") != 0:
            self._remove_tmp_path(tmpdir)
            return self._report(result, host, res)
        result.update(changed=True, scheduled=tmpdir, stdout="", stdout_lines=[])
        return result

    def _collect(self, result, host, directory):
        """Wait for a scheduled run to finish, report it and remove its directory."""
        q = shlex.quote(directory)
        cmd = ("i=0; while [ ! -s %s/rc ] && [ $i -lt %d ]; do sleep 1; i=$((i + 1)); done; "
               "cat %s/out 2>/dev/null; rc=$(cat %s/rc 2>/dev/null || echo 124); rm -rf %s; exit $rc"
               % (q, COLLECT_TIMEOUT, q, q, q))
        return self._report(result, host, self._low_level_execute_command(cmd))

    def _report(self, result, host, res):
        stdout = to_text(res.get("stdout", ""))
        stderr = to_text(res.get("stderr", ""))
        lines = stdout.splitlines()
        result.update(stdout=stdout, stdout_lines=lines, stderr=stderr, rc=res.get("rc"),
                      changed="changed=1" in lines)
        if res.get("rc") != 0:
            errors = [line[len("error="):] for line in (stderr + "\n" + stdout).splitlines()
                      if line.startswith("error=")]
            detail = "; ".join(errors) or stderr.strip() or "openwrt_apply.sh failed (rc %s)" % res.get("rc")
            result.update(failed=True, msg="host %s: %s" % (host, detail))
        return result
