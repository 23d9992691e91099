# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The OpenWrt emulation's opkg, run by BusyBox ash like on the router."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

ROOTFS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "rootfs")
EMU_DIR = os.path.join(ROOTFS, "usr", "libexec", "owrt-emu")
OPKG = os.path.join(ROOTFS, "usr", "bin", "opkg")


@pytest.fixture
def opkg(tmp_path):
    busybox = shutil.which("busybox")
    if busybox is None:
        pytest.skip("busybox is not installed")
    os.makedirs(tmp_path / "usr/lib/opkg")
    os.makedirs(tmp_path / "usr/libexec/owrt-emu")
    shutil.copy(os.path.join(EMU_DIR, "opkg-available"), tmp_path / "usr/libexec/owrt-emu")
    (tmp_path / "usr/lib/opkg/status").write_text(
        "Package: busybox\nVersion: 1.36.1-1\nStatus: install user installed\n\n"
        "Package: uci\nVersion: 2023-08-10-5781664d-1\nStatus: install user installed\n\n")

    def run(*args):
        res = subprocess.run([busybox, "sh", OPKG, *args], capture_output=True, text=True, check=False,
                             env=dict(os.environ, OPKG_EMU_ROOT=str(tmp_path)))
        return res.returncode, res.stdout, res.stderr
    return run


def test_list_installed_and_globs(opkg):
    assert opkg("list-installed") == (0, "busybox - 1.36.1-1\nuci - 2023-08-10-5781664d-1\n", "")
    assert opkg("list-installed", "u*")[1] == "uci - 2023-08-10-5781664d-1\n"
    assert opkg("list-installed", "wireguard-tools") == (0, "", "")


def test_install_needs_update_then_pulls_dependencies(opkg):
    rc, out, err = opkg("install", "luci-proto-wireguard")
    assert rc == 255 and out == "Unknown package 'luci-proto-wireguard'.\n"
    assert "Cannot install package luci-proto-wireguard." in err
    assert opkg("update")[0] == 0
    rc, out, err = opkg("install", "luci-proto-wireguard", "qrencode")
    assert rc == 0 and err == ""
    assert [line for line in out.splitlines() if line.startswith("Installing")] == [
        "Installing kmod-wireguard (5.15.167-1) to root...",
        "Installing wireguard-tools (1.0.20210914-2) to root...",
        "Installing luci-proto-wireguard (23.051.66410~a505bb1) to root...",
        "Installing libqrencode (4.1.1-1) to root...",
        "Installing qrencode (4.1.1-1) to root...",
    ]
    assert opkg("install", "wireguard-tools") == (
        0, "Package wireguard-tools (1.0.20210914-2) installed in root is up to date.\n", "")
    assert opkg("list-installed", "*wireguard*")[1] == (
        "kmod-wireguard - 5.15.167-1\nluci-proto-wireguard - 23.051.66410~a505bb1\n"
        "wireguard-tools - 1.0.20210914-2\n")
    rc, out, err = opkg("install", "no-such-package")
    assert rc == 255 and "Unknown package 'no-such-package'." in out


def test_remove_and_status(opkg):
    opkg("update")
    opkg("install", "wireguard-tools")
    assert "Depends: libc, kmod-wireguard\n" in opkg("status", "wireguard-tools")[1]
    assert opkg("remove", "wireguard-tools")[1] == "Removing package wireguard-tools from root...\n"
    assert "wireguard-tools" not in opkg("list-installed")[1]
    assert "kmod-wireguard" in opkg("list-installed")[1]
