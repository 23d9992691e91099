# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""wg_probe's script and parser: one raw call, BusyBox ash included."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _probe


def out(os_release, openwrt=0, tools=(1, 1, 0, 1), kmod=0):
    lines = ["wgnet_probe=1", "openwrt=%d" % openwrt]
    lines += ["os_%s" % line for line in os_release]
    lines += ["tool_%s=%d" % (t, v) for t, v in zip(_probe.TOOLS, tools)]
    lines += ["kernel_module=%d" % kmod, "systemd=1"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("release,family,distribution,major", [
    (['ID=debian', 'VERSION_ID="12"'], "Debian", "Debian", "12"),
    (['ID=ubuntu', 'ID_LIKE=debian', 'VERSION_ID="24.04"'], "Debian", "Ubuntu", "24"),
    (['ID="rocky"', 'ID_LIKE="rhel centos fedora"', 'VERSION_ID="9.4"'], "RedHat", "Rocky", "9"),
    (['ID="rhel"', 'VERSION_ID="9.4"'], "RedHat", "RedHat", "9"),
    (['ID=someos', 'ID_LIKE="ubuntu debian"', 'VERSION_ID=1'], "Debian", "Someos", "1"),
    ([], None, None, None),
])
def test_platform_as_setup_names_it(release, family, distribution, major):
    result = _probe.parse(out(release))
    assert (result["os_family"], result["distribution"], result["distribution_major_version"]) == (
        family, distribution, major)
    assert result["tools"] == {"wg": True, "wg-quick": True, "wireguard-go": False, "ip": True}
    assert result["openwrt"] is False and result["systemd"] is True


def test_openwrt():
    result = _probe.parse(out(['ID="openwrt"', 'VERSION_ID="23.05.3"'], openwrt=1, tools=(0, 0, 0, 1)))
    assert result["openwrt"] and result["os_family"] == "OpenWrt" and result["distribution_version"] == "23.05.3"
    assert not result["tools"]["wg"]


def test_no_output_is_an_error():
    with pytest.raises(_probe.ProbeError, match="printed no result"):
        _probe.parse("sh: syntax error\n")


@pytest.mark.parametrize("shell", ["sh", "busybox"])
def test_the_script_runs_in_posix_shells(shell, tmp_path):
    # BusyBox ash is what OpenWrt has.
    path = shutil.which(shell)
    if not path:
        pytest.skip("%s is not installed (make deps installs busybox)" % shell)
    argv = [path, "sh", "-c", _probe.SCRIPT] if shell == "busybox" else [path, "-c", _probe.SCRIPT]
    env = dict(os.environ, PATH=str(tmp_path))  # the script adds the system directories itself
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    result = _probe.parse(done.stdout)
    assert set(result["tools"]) == set(_probe.TOOLS)
    assert result["os_release"]["id"] == _os_id()


def _os_id():
    with open("/etc/os-release") as handle:
        for line in handle:
            if line.startswith("ID="):
                return line.split("=", 1)[1].strip().strip('"').lower()
    return None


KEY = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="


def test_direct_path_lines():
    text = out(['ID=debian']) + "\n".join([
        "now=1767225600", "default_ipv4=192.168.1.20",
        "wg_endpoint=wg0 %s\t203.0.113.7:51820" % KEY,
        "wg_endpoint=wg1 %s\t(none)" % KEY,
        "wg_endpoint=wg0 %s\t203.0.113.7:51820\nEndpoint = x" % KEY[:-2],   # not a key: skipped
        "wg_handshake=wg0 %s\t1767225590" % KEY,
        "wg_handshake=wg1 %s\t0" % KEY,                                      # never: left out
        "wg_endpoint=wg0 %s\t203.0.113.7:51820;reboot" % KEY,               # not ip:port: skipped
    ]) + "\n"
    result = _probe.parse(text)
    assert result["now"] == 1767225600 and result["default_ipv4"] == "192.168.1.20"
    assert result["wg_endpoints"] == {"wg0": {KEY: "203.0.113.7:51820"}}
    assert result["wg_handshakes"] == {"wg0": {KEY: 1767225590}}


def test_without_the_new_lines_nothing_is_observed():
    result = _probe.parse(out(['ID=debian']))
    assert (result["now"], result["default_ipv4"], result["wg_endpoints"], result["wg_handshakes"]) == (
        None, None, {}, {})


@pytest.mark.parametrize("shell", ["sh", "busybox"])
def test_the_wait_script_gives_up_after_its_seconds(shell):
    path = shutil.which(shell)
    if not path:
        pytest.skip("%s is not installed (make deps installs busybox)" % shell)
    script = _probe.wait_script([KEY, "not a key; reboot"], 1)
    assert "reboot" not in script
    argv = [path, "sh", "-c", script] if shell == "busybox" else [path, "-c", script]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=20)
    assert done.returncode == 0, done.stderr
    assert _probe.parse(done.stdout)["os_release"]["id"] == _os_id()
    assert _probe.wait_script([], 5) == _probe.SCRIPT
