# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""wg_openwrt_apply: reads the router's UCI config, decides on the
controller and applies; the preshared keys go to the script's stdin file,
never into the command line or the result; check mode runs no
batch/operation and shows the redacted UCI changes with --diff."""

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


FRESH = """package network

config interface 'lan'
\toption device 'br-lan'
\toption proto 'static'

config interface 'wan'
\toption device 'eth1'
\toption proto 'dhcp'
\toption password 'REDACTED'

package firewall

config zone
\toption name 'lan'
\tlist network 'lan'

config zone
\toption name 'wan'
\tlist network 'wan'
"""


def converged():
    """The export of a router that has what the_plan wants (its private key redacted)."""
    uci = _openwrt.reconcile(the_plan(), "router", FRESH)
    packages = _openwrt.parse_export(FRESH)
    wanted = _openwrt.wanted_sections(the_plan(), "router")
    for package in ("network", "firewall"):
        packages[package] += wanted[package]
    assert uci["changed"]
    return "".join(_openwrt.render_section(None if n else p, s) if n else "package %s\n" % p
                   for p in ("network", "firewall") for n, s in [(0, None)] + [(1, s) for s in packages[p]])


def run(args, check=False, diff=False, stdout="done=peer\nchanged=1\n", rc=0, exported=FRESH, read_rc=0):
    task = mock.MagicMock()
    task.args = args
    task.check_mode = check
    task.async_val = 0
    task.diff = diff
    connection = mock.MagicMock()
    connection._shell.tmpdir = "/tmp/.ansible-tmp-x"
    connection._shell.join_path = lambda *parts: "/".join(parts)
    action = wg_openwrt_apply.ActionModule(task, connection, mock.MagicMock(), mock.MagicMock(), mock.MagicMock(),
                                           mock.MagicMock())
    calls = {"cmds": []}

    def execute(cmd, **_kw):
        calls["cmds"].append(cmd)
        if "openwrt_read.sh" in cmd:
            return {"rc": read_rc, "stdout": exported, "stderr": "uci: not found\n" if read_rc else ""}
        calls["cmd"] = cmd
        return {"rc": rc, "stdout": stdout, "stderr": "error=it broke\n" if rc else ""}

    with mock.patch.object(action, "_find_needle", side_effect=lambda _d, name: "/role/files/" + name), \
            mock.patch.object(action, "_transfer_file"), \
            mock.patch.object(action, "_transfer_data", side_effect=lambda path, data: calls.update(stdin=data)), \
            mock.patch.object(action, "_remove_tmp_path"), \
            mock.patch.object(action, "_low_level_execute_command", side_effect=execute):
        result = action.run(task_vars={"inventory_hostname": "router"})
    return result, calls


def test_reads_decides_and_applies_with_psks_on_stdin_only():
    result, calls = run({"plan": the_plan(), "psk_master": MASTER})
    assert calls["cmds"][0] == "/bin/sh /tmp/.ansible-tmp-x/openwrt_read.sh"
    psk = _openwrt.psk_entries(the_plan(), "router", MASTER)[0].split()[3]
    assert calls["stdin"] == "wg0 wgnet_wg0_hub %s %s\n" % (KEYS["hub"], psk)
    assert psk not in calls["cmd"] and psk not in repr(result)
    assert calls["cmd"].startswith("/bin/sh /tmp/.ansible-tmp-x/openwrt_apply.sh 'set network.wg0=interface")
    assert "'ifup wg0\nfirewall' 'network firewall' 0 < /tmp/.ansible-tmp-x/stdin" in calls["cmd"]
    assert result["changed"] and not result.get("failed") and "diff" not in result
    assert "ifup wg0" in result["live"] and "set network.wg0=interface" in result["uci_batch"]


def test_a_psk_a_shell_error_echoed_stays_out_of_the_result():
    psk = _openwrt.psk_entries(the_plan(), "router", MASTER)[0].split()[3]
    result, _calls = run({"plan": the_plan(), "psk_master": MASTER}, rc=1, stdout="sh: %s: not found\n" % psk)
    assert result["failed"] and psk not in repr(result)


def test_check_mode_only_compares_and_diff_shows_the_redacted_changes():
    result, calls = run({"plan": the_plan(), "psk_master": MASTER}, check=True, diff=True, stdout="changed=0\n")
    assert calls["cmd"].startswith("/bin/sh /tmp/.ansible-tmp-x/openwrt_apply.sh '' '' 'network firewall' 1 <")
    assert result["changed"] and result["msg"].startswith("Check mode: ")
    assert "config interface 'wg0'" in result["diff"][0]["after"]
    assert "set network.wg0=interface" in result["diff"][1]["prepared"]
    psk = _openwrt.psk_entries(the_plan(), "router", MASTER)[0].split()[3]
    assert psk not in repr(result)


def test_nothing_to_do_reads_only_and_failures_name_the_host():
    result, calls = run({"plan": the_plan()}, exported=converged())
    assert not result["changed"] and calls["cmds"] == ["/bin/sh /tmp/.ansible-tmp-x/openwrt_read.sh"]
    result, _calls = run({"plan": the_plan()}, rc=1, stdout="")
    assert result["failed"] and result["msg"] == "host router: it broke"
    from ansible.errors import AnsibleActionFail
    with pytest.raises(AnsibleActionFail, match="host router: reading the router's UCI config failed"):
        run({"plan": the_plan()}, read_rc=1)
    with pytest.raises(AnsibleActionFail, match="wgnet.wireguard: host router: network.wg0 already exists"):
        run({"plan": the_plan()}, exported=FRESH.replace("interface 'wan'", "interface 'wg0'"))


def test_absent_removes_the_owned_sections():
    result, calls = run({"absent": ["wg0"]}, exported=converged())
    assert "delete network.wg0" in result["uci_batch"] and result["live"][0] == "reload"
    assert calls["cmd"].startswith("/bin/sh /tmp/.ansible-tmp-x/openwrt_apply.sh 'delete network.wg0")


def test_psk_master_needs_the_plan_and_plan_or_absent_is_needed():
    from ansible.errors import AnsibleActionFail
    with pytest.raises(AnsibleActionFail, match="psk_master needs plan"):
        run({"psk_master": MASTER, "absent": ["wg0"]})
    with pytest.raises(AnsibleActionFail, match="plan or absent is required"):
        run({})


def test_a_rotation_is_scheduled_in_the_background_and_collected():
    stdout = "public_key=%s\nchanged=1\nrotated=1\nrotation_id=r1\n" % KEYS["router"]
    keys = {"results": [{"item": "wg0", "stdout": stdout}]}
    args = {"plan": the_plan(), "psk_master": MASTER, "keys": keys, "switch_at": "1700000000.5"}
    result, calls = run(args, exported=converged())
    assert result["scheduled"] == "/tmp/.ansible-tmp-x" and result["changed"]
    assert result["live"] == ["wait 1700000000.000", "hold wg0", "wait 1700000000.800", "key wg0 r1",
                              "kick wg0 10.9.0.1"]
    # The PSK file is opened as fd 3 and deleted before the script starts in the background.
    assert calls["cmds"][-1].startswith("cd / && exec 3</tmp/.ansible-tmp-x/stdin && rm -f /tmp/.ansible-tmp-x/stdin "
                                        "&& (/bin/sh /tmp/.ansible-tmp-x/openwrt_apply.sh")
    assert calls["cmds"][-1].endswith(" & true")
    psk = _openwrt.psk_entries(the_plan(), "router", MASTER)[0].split()[3]
    assert psk in calls["stdin"] and psk not in calls["cmds"][-1]

    result, calls = run({"collect": "/tmp/.ansible-tmp-y"}, stdout="done=key wg0\nchanged=1\n")
    assert "rm -rf /tmp/.ansible-tmp-y" in calls["cmd"] and result["changed"]
