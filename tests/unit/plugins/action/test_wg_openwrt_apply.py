# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""wg_openwrt_apply: the preshared keys go to the script's stdin file, never
into the command line or the result; check mode runs no batch/operation."""

from __future__ import annotations

from unittest import mock

import pytest

from ansible_collections.wgnet.wireguard.plugins.action import wg_openwrt_apply
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _openwrt
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import plan_networks

KEYS = {"hub": "ERERERERERERERERERERERERERERERERERERERERERE=", "router": "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI="}
MASTER = "a master secret of some length"


def the_plan():
    hostvars = {"hub": {"wireguard_address": "10.9.0.1", "wireguard_endpoint": "203.0.113.10"},
                "router": {"wireguard_address": "10.9.0.2"}}
    return plan_networks(hostvars, {"wg0": {"range": "10.9.0.0/24"}},
                         {"wireguard": ["hub", "router"], "wireguard_hubs": ["hub"]}, {"wg0": KEYS},
                         preshared_keys=True)


def run(args, check=False, stdout="done=peer\nchanged=1\n", rc=0):
    task = mock.MagicMock()
    task.args = args
    task.check_mode = check
    task.async_val = 0
    task.diff = False
    connection = mock.MagicMock()
    connection._shell.tmpdir = "/tmp/.ansible-tmp-x"
    connection._shell.join_path = lambda *parts: "/".join(parts)
    action = wg_openwrt_apply.ActionModule(task, connection, mock.MagicMock(), mock.MagicMock(), mock.MagicMock(),
                                           mock.MagicMock())
    calls = {}
    with mock.patch.object(action, "_find_needle", return_value="/role/files/openwrt_apply.sh"), \
            mock.patch.object(action, "_transfer_file"), \
            mock.patch.object(action, "_transfer_data", side_effect=lambda path, data: calls.update(stdin=data)), \
            mock.patch.object(action, "_remove_tmp_path"), \
            mock.patch.object(action, "_low_level_execute_command",
                              side_effect=lambda cmd, **kw: calls.update(cmd=cmd) or
                              {"rc": rc, "stdout": stdout, "stderr": "error=it broke\n" if rc else ""}):
        result = action.run(task_vars={"inventory_hostname": "router"})
    return result, calls


def test_psks_reach_stdin_only():
    args = {"batch": ["set network.x=y"], "ops": ["ifup wg0"], "commit": ["network"], "plan": the_plan(),
            "psk_master": MASTER}
    result, calls = run(args)
    psk = _openwrt.psk_entries(the_plan(), "router", MASTER)[0].split()[3]
    assert calls["stdin"] == "wg0 wgnet_wg0_hub %s %s\n" % (KEYS["hub"], psk)
    assert psk not in calls["cmd"] and psk not in repr(result)
    assert calls["cmd"].startswith("/bin/sh /tmp/.ansible-tmp-x/openwrt_apply.sh 'set network.x=y' 'ifup wg0' "
                                   "network 0 < /tmp/.ansible-tmp-x/stdin")
    assert result["changed"] and not result.get("failed")


def test_check_mode_only_compares():
    args = {"batch": ["set network.x=y"], "ops": ["ifup wg0"], "commit": ["network"], "plan": the_plan(),
            "psk_master": MASTER}
    result, calls = run(args, check=True, stdout="changed=0\n")
    assert calls["cmd"].startswith("/bin/sh /tmp/.ansible-tmp-x/openwrt_apply.sh '' '' network 1 <")
    assert not result["changed"]


def test_nothing_to_do_runs_nothing_and_failures_name_the_host():
    result, calls = run({"batch": [], "ops": [], "commit": []})
    assert not result["changed"] and calls == {}
    result, _calls = run({"batch": [], "ops": ["ifup wg0"], "commit": []}, rc=1, stdout="")
    assert result["failed"] and result["msg"] == "host router: it broke"


def test_psk_master_needs_the_plan():
    from ansible.errors import AnsibleActionFail
    with pytest.raises(AnsibleActionFail, match="psk_master needs plan"):
        run({"psk_master": MASTER})


def test_a_rotation_is_scheduled_in_the_background_and_collected():
    args = {"batch": [], "ops": ["wait 1700000000.300", "hold wg0", "key wg0 r1"], "commit": [],
            "plan": the_plan(), "psk_master": MASTER}
    with mock.patch.object(wg_openwrt_apply.ActionModule, "_make_tmp_path", return_value="/tmp/.ansible-tmp-y"):
        result, calls = run(args)
    assert result["scheduled"] == "/tmp/.ansible-tmp-y" and result["changed"]
    # The PSK file is opened as fd 3 and deleted before the script starts in the background.
    assert calls["cmd"].startswith("cd / && exec 3</tmp/.ansible-tmp-y/stdin && rm -f /tmp/.ansible-tmp-y/stdin && "
                                   "(/bin/sh /tmp/.ansible-tmp-y/openwrt_apply.sh")
    assert calls["cmd"].endswith(" & true")
    psk = _openwrt.psk_entries(the_plan(), "router", MASTER)[0].split()[3]
    assert psk in calls["stdin"] and psk not in calls["cmd"]

    result, calls = run({"collect": "/tmp/.ansible-tmp-y"}, stdout="done=key wg0\nchanged=1\n")
    assert "rm -rf /tmp/.ansible-tmp-y" in calls["cmd"] and result["changed"]
