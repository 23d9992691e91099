# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the wireguard role needs to know about a host, in one POSIX sh call.

The script runs through raw (no Python on the host: OpenWrt), under BusyBox
ash too, and prints key=value lines; parse() turns them into the facts the
role reads. Plain Python with no Ansible imports, unit tested directly.
"""

from __future__ import annotations

import re

TOOLS = ("wg", "wg-quick", "wireguard-go", "ip")

# sbin directories too: a non-root SSH user's PATH often lacks them.
SCRIPT = (
    "PATH=\"$PATH:/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin\"; "
    "echo wgnet_probe=1; "
    "if [ -f /etc/openwrt_release ]; then echo openwrt=1; else echo openwrt=0; fi; "
    "for f in /etc/os-release /usr/lib/os-release; do "
    "if [ -r \"$f\" ]; then grep -E '^(ID|ID_LIKE|VERSION_ID)=' \"$f\" | sed 's/^/os_/'; break; fi; done; "
    "for t in " + " ".join(TOOLS) + "; do "
    "if command -v \"$t\" >/dev/null 2>&1; then echo \"tool_$t=1\"; else echo \"tool_$t=0\"; fi; done; "
    "if [ -d /sys/module/wireguard ]; then echo kernel_module=1; else echo kernel_module=0; fi; "
    "if [ -d /run/systemd/system ]; then echo systemd=1; else echo systemd=0; fi"
)

# ID (or an ID_LIKE entry) -> (os_family, distribution) as ansible's setup names them.
DISTRIBUTIONS = {
    "debian": ("Debian", "Debian"),
    "ubuntu": ("Debian", "Ubuntu"),
    "raspbian": ("Debian", "Debian"),
    "linuxmint": ("Debian", "Linux Mint"),
    "pop": ("Debian", "Pop!_OS"),
    "rhel": ("RedHat", "RedHat"),
    "centos": ("RedHat", "CentOS"),
    "rocky": ("RedHat", "Rocky"),
    "almalinux": ("RedHat", "AlmaLinux"),
    "ol": ("RedHat", "OracleLinux"),
    "fedora": ("RedHat", "Fedora"),
    "amzn": ("RedHat", "Amazon"),
    "alpine": ("Alpine", "Alpine"),
    "arch": ("Archlinux", "Archlinux"),
    "opensuse-leap": ("Suse", "openSUSE Leap"),
    "opensuse-tumbleweed": ("Suse", "openSUSE Tumbleweed"),
    "sles": ("Suse", "SLES"),
    "openwrt": ("OpenWrt", "OpenWrt"),
}
FAMILY_OF_LIKE = {"debian": "Debian", "ubuntu": "Debian", "rhel": "RedHat", "fedora": "RedHat", "centos": "RedHat",
                  "suse": "Suse", "arch": "Archlinux", "alpine": "Alpine"}


class ProbeError(ValueError):
    """The probe's output is not what the script prints."""


def _unquote(value):
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return value


def parse(output):
    """The probe's result from the script's output.

    Returns a dict: openwrt (bool), os_release {id, id_like (list), version_id},
    os_family, distribution, distribution_version, distribution_major_version
    (None when unknown), tools {name: bool}, kernel_module (bool), systemd (bool).
    """
    values = {}
    for line in (output or "").splitlines():
        match = re.match(r"^([A-Za-z0-9_-]+)=(.*)$", line.strip())
        if match:
            values[match.group(1)] = match.group(2)
    if values.get("wgnet_probe") != "1":
        raise ProbeError("the probe printed no result (is /bin/sh a POSIX shell?): %r" % (output or "")[:300])
    os_id = _unquote(values.get("os_ID", "")).lower()
    like = _unquote(values.get("os_ID_LIKE", "")).lower().split()
    version = _unquote(values.get("os_VERSION_ID", "")) or None
    openwrt = values.get("openwrt") == "1" or os_id == "openwrt"
    family, distribution = None, None
    if openwrt:
        family, distribution = DISTRIBUTIONS["openwrt"]
    elif os_id in DISTRIBUTIONS:
        family, distribution = DISTRIBUTIONS[os_id]
    else:
        distribution = os_id.capitalize() or None
        family = next((FAMILY_OF_LIKE[entry] for entry in like if entry in FAMILY_OF_LIKE), distribution)
    return {
        "openwrt": openwrt,
        "os_release": {"id": os_id or None, "id_like": like, "version_id": version},
        "os_family": family,
        "distribution": distribution,
        "distribution_version": version,
        "distribution_major_version": version.split(".")[0] if version else None,
        "tools": dict((tool, values.get("tool_" + tool) == "1") for tool in TOOLS),
        "kernel_module": values.get("kernel_module") == "1",
        "systemd": values.get("systemd") == "1",
    }
