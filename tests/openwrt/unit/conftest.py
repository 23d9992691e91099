# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Import the OpenWrt emulation's tools (tests/openwrt/rootfs/usr/libexec/owrt-emu)."""

from __future__ import annotations

import os
import sys

import pytest

EMU_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       "rootfs", "usr", "libexec", "owrt-emu")
SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "samples")

# no __pycache__ inside the image's build context
sys.dont_write_bytecode = True
if EMU_DIR not in sys.path:
    sys.path.insert(0, EMU_DIR)


@pytest.fixture
def sample():
    def read(name):
        with open(os.path.join(SAMPLES, name), encoding="utf-8") as fh:
            return fh.read()
    return read
