# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of wgnet.wireguard.wg_openwrt_apply (see the module file for the
documentation). OpenWrt routers have no Python, so this runs the role's
shell scripts there with /bin/sh: openwrt_read.sh reports the router's UCI
config (secrets redacted on the router), plugin_utils._openwrt decides here
on the controller, and openwrt_apply.sh applies the decision. The preshared
keys are derived here and reach the script on its stdin only: from a 0600
file in Ansible's private remote temporary directory (0700), removed right
after, because not every connection plugin passes stdin to a command."""

from __future__ import annotations

import shlex

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _openwrt
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _psk
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology

READ_SCRIPT = "openwrt_read.sh"
SCRIPT = "openwrt_apply.sh"
ARGUMENT_SPEC = {
    "plan": {"type": "raw"},
    "settings": {"type": "dict", "default": {}},
    "absent": {"type": "list", "elements": "str"},
    "switch_at": {"type": "str", "default": ""},
    "keys": {"type": "dict", "default": {}},
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
        if args["absent"] is None and args["plan"] is None:
            raise AnsibleActionFail("wg_openwrt_apply: plan or absent is required")
        if args["psk_master"] and args["plan"] is None:
            raise AnsibleActionFail("wg_openwrt_apply: psk_master needs plan")

        tmpdir = self._connection._shell.tmpdir or self._make_tmp_path()
        scheduled = False
        try:
            exported = self._read(host, tmpdir)
            try:
                uci = _openwrt.reconcile(args["plan"], host, exported, args["settings"], args["absent"],
                                         switch_at=args["switch_at"], rotation=_openwrt.rotation_id(args["keys"]))
                # Check mode on a new router: no key yet, so no PSK to compare.
                psks = _openwrt.psk_entries(args["plan"], host, args["psk_master"], missing_ok=check) \
                    if args["psk_master"] and args["absent"] is None else []
            except (_openwrt.OpenWrtError, _psk.PskError, _topology.PlanError) as exc:
                raise AnsibleActionFail("wgnet.wireguard: %s" % exc)
            self._show(result, uci, check)
            batch = [] if check else uci["batch"]
            ops = [] if check else uci["ops"]
            if not (batch or ops or psks):
                result.update(changed=bool(uci["changed"]), stdout="", stdout_lines=[])
                return result
            if ops:
                # The watchdog's script and configs, beside the apply script.
                for name, text in sorted(uci["files"].items()):
                    self._transfer_data(self._connection._shell.join_path(tmpdir, name), text)
            if any(op.startswith("wait ") for op in ops):
                scheduled = True
                return self._schedule(result, host, tmpdir, batch, ops, uci["commit"], psks)
            res = self._apply(tmpdir, batch, ops, uci["commit"], psks, check)
        finally:
            if not scheduled:
                self._remove_tmp_path(tmpdir)
        self._report(result, host, res, psks)
        if check and uci["changed"]:
            result["changed"] = True
        return result

    def _read(self, host, tmpdir):
        """The router's network and firewall config as `uci export` text, secrets redacted there."""
        script = self._connection._shell.join_path(tmpdir, READ_SCRIPT)
        self._transfer_file(self._find_needle("files", READ_SCRIPT), script)
        res = self._low_level_execute_command("/bin/sh %s" % shlex.quote(script))
        if res.get("rc") != 0:
            detail = to_text(res.get("stderr", "")).strip() or "rc %s" % res.get("rc")
            raise AnsibleActionFail("host %s: reading the router's UCI config failed (%s): %s"
                                    % (host, READ_SCRIPT, detail))
        return to_text(res.get("stdout", ""))

    def _show(self, result, uci, check):
        """What the role shows of the decision: public values only (the read
        script redacted every secret, and the PSKs never enter the batch)."""
        result.update(uci_batch=uci["batch"], live=uci["ops"])
        if not uci["changed"]:
            return
        if self._task.diff:
            result["diff"] = [
                {"before_header": "uci export (owned sections, keys redacted)", "before": uci["before"],
                 "after_header": "uci export (owned sections, keys redacted)", "after": uci["after"]},
                {"prepared": "uci batch:\n%s\nlive operations:\n%s\n"
                             % ("\n".join(uci["batch"]) or "(none)", "\n".join(uci["ops"]) or "(none)")},
            ]
        if check:
            result["msg"] = ("Check mode: %d uci changes and %d live operations would be applied"
                             % (len(uci["batch"]), len(uci["ops"])))

    def _argv(self, script, batch, ops, commit, check):
        return ["/bin/sh", script, "\n".join(batch), "\n".join(ops), " ".join(commit), "1" if check else "0"]

    def _apply(self, tmpdir, batch, ops, commit, psks, check):
        join = self._connection._shell.join_path
        script, stdin = join(tmpdir, SCRIPT), join(tmpdir, "stdin")
        self._transfer_file(self._find_needle("files", SCRIPT), script)
        self._transfer_data(stdin, "".join(line + "\n" for line in psks))
        cmd = " ".join(shlex.quote(a) for a in self._argv(script, batch, ops, commit, check))
        return self._low_level_execute_command("%s < %s" % (cmd, shlex.quote(stdin)))

    def _schedule(self, result, host, tmpdir, batch, ops, commit, psks):
        """A key rotation: every host must switch at the agreed moment, but the
        play runs one task at a time and Linux hosts wait for it in a later
        task (wg_interface). So the script is started in the background on the
        router, waits for the moment there, and a later task collects it. Its
        stdin (the PSKs) is opened and deleted before it starts."""
        # Ours until the collect task removes it, not Ansible's to clean up now.
        self._connection._shell.tmpdir = None
        join = self._connection._shell.join_path
        script, stdin = join(tmpdir, SCRIPT), join(tmpdir, "stdin")
        self._transfer_file(self._find_needle("files", SCRIPT), script)
        self._transfer_data(stdin, "".join(line + "\n" for line in psks))
        q = shlex.quote
        # Not ending in "&": Ansible may append "&& sleep 0" to the command.
        cmd = ("cd / && exec 3<%s && rm -f %s && (%s <&3 >%s 2>&1; echo $? >%s) >/dev/null 2>&1 3<&3 & true"
               % (q(stdin), q(stdin), " ".join(q(a) for a in self._argv(script, batch, ops, commit, False)),
                  q(join(tmpdir, "out")), q(join(tmpdir, "rc"))))
        res = self._low_level_execute_command(cmd)
        if res.get("rc") != 0:
            self._remove_tmp_path(tmpdir)
            return self._report(result, host, res, psks)
        result.update(changed=True, scheduled=tmpdir, stdout="", stdout_lines=[])
        return result

    def _collect(self, result, host, directory):
        """Wait for a scheduled run to finish, report it and remove its directory."""
        q = shlex.quote(directory)
        cmd = ("i=0; while [ ! -s %s/rc ] && [ $i -lt %d ]; do sleep 1; i=$((i + 1)); done; "
               "cat %s/out 2>/dev/null; rc=$(cat %s/rc 2>/dev/null || echo 124); rm -rf %s; exit $rc"
               % (q, COLLECT_TIMEOUT, q, q, q))
        return self._report(result, host, self._low_level_execute_command(cmd))

    def _report(self, result, host, res, psks=()):
        stdout = to_text(res.get("stdout", ""))
        stderr = to_text(res.get("stderr", ""))
        # The script never prints a PSK; should a shell error ever echo one, it stays out of the result.
        for line in psks:
            secret = line.split()[-1]
            stdout, stderr = stdout.replace(secret, "********"), stderr.replace(secret, "********")
        lines = stdout.splitlines()
        result.update(stdout=stdout, stdout_lines=lines, stderr=stderr, rc=res.get("rc"),
                      changed="changed=1" in lines)
        if res.get("rc") != 0:
            errors = [line[len("error="):] for line in (stderr + "\n" + stdout).splitlines()
                      if line.startswith("error=")]
            detail = "; ".join(errors) or stderr.strip() or "openwrt_apply.sh failed (rc %s)" % res.get("rc")
            result.update(failed=True, msg="host %s: %s" % (host, detail))
        return result
