# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The OpenWrt emulation's apk (25.12, apk-tools v3 command line), run by
BusyBox ash like on the router. The behaviours are apk-tools' documented ones
(apk-info(8): -e prints the installed names and exits with the number not
installed; apk-list(8): --installed)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

ROOTFS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "rootfs")
EMU_DIR = os.path.join(ROOTFS, "usr", "libexec", "owrt-emu")
APK = os.path.join(EMU_DIR, "apk")


@pytest.fixture
def apk(tmp_path):
    busybox = shutil.which("busybox")
    if busybox is None:
        pytest.fail("busybox is needed (Makefile APT_PACKAGES)")
    for d in ("lib/apk/db", "etc/apk", "usr/libexec/owrt-emu"):
        os.makedirs(tmp_path / d)
    shutil.copy(os.path.join(EMU_DIR, "opkg-available"), tmp_path / "usr/libexec/owrt-emu")
    (tmp_path / "lib/apk/db/installed").write_text("P:busybox\nV:1.36.1-1\nA:x86_64\n\n")
    (tmp_path / "etc/apk/world").write_text("busybox\n")

    def run(*args):
        res = subprocess.run([busybox, "sh", APK, *args], capture_output=True, text=True, check=False,
                             env=dict(os.environ, APK_EMU_ROOT=str(tmp_path)))
        return res.returncode, res.stdout, res.stderr
    run.root = tmp_path
    return run


def test_info_e_prints_installed_names_and_counts_the_missing(apk):
    assert apk("info", "-e", "busybox") == (0, "busybox\n", "")
    assert apk("info", "-e", "busybox", "wireguard-tools", "qrencode") == (2, "busybox\n", "")


def test_add_needs_update_after_boot_then_installs_with_dependencies(apk):
    rc, out, err = apk("add", "wireguard-tools")
    assert rc == 1 and out == ""
    assert err == "ERROR: unable to select packages:\n  wireguard-tools (no such package):\n" \
                  "    required by: world[wireguard-tools]\n"
    rc, out, _err = apk("update")
    assert rc == 0 and out.endswith("distinct packages available\n")
    rc, out, _err = apk("add", "wireguard-tools")
    assert rc == 0
    lines = out.splitlines()
    assert lines[0].startswith("(1/2) Installing kmod-wireguard (")
    assert lines[1].startswith("(2/2) Installing wireguard-tools (")
    assert out.splitlines()[-1].startswith("OK: ")
    assert apk("info", "-e", "wireguard-tools", "kmod-wireguard")[0] == 0
    assert (apk.root / "etc/apk/world").read_text() == "busybox\nwireguard-tools\n"
    # Adding again installs nothing.
    rc, out, _err = apk("add", "wireguard-tools")
    assert rc == 0 and "Installing" not in out


def test_list_installed_and_del(apk):
    apk("update")
    apk("add", "qrencode")
    rc, out, _err = apk("list", "--installed", "qr*")
    assert rc == 0 and out.startswith("qrencode-") and out.rstrip().endswith("[installed]")
    assert apk("list", "-I")[1].count("[installed]") == 3
    rc, out, _err = apk("del", "qrencode")
    assert rc == 0 and "Purging qrencode" in out
    assert apk("info", "-e", "qrencode")[0] == 1
    assert "qrencode" not in (apk.root / "etc/apk/world").read_text()
