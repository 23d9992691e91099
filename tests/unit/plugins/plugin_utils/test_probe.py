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
