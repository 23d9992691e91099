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

import ipaddress
import re

_INTERFACE = re.compile(r"[A-Za-z0-9_=+.-]{1,15}")
_KEY = re.compile(r"[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=")
_ENDPOINT = re.compile(r"(\[[0-9A-Fa-f:.%a-z]+\]|[0-9.]+):[0-9]{1,5}")

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
    "if [ -d /run/systemd/system ]; then echo systemd=1; else echo systemd=0; fi; "
    # Direct paths: this host's clock, the address its default route leaves
    # from (the main table's: a full tunnel's policy routes would give the
    # tunnel address), and what its WireGuard interfaces see of their peers.
    # `wg show <if> endpoints` and `latest-handshakes` print no private key
    # (never `dump`); both need root and print nothing without it. Per
    # interface: `wg show all` names the interface on its first line only.
    "echo now=$(date +%s); "
    "d=$(ip -4 route show default 2>/dev/null | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p' | head -n 1); "
    "if [ -n \"$d\" ]; then echo default_ipv4=$(ip -4 -o addr show dev \"$d\" 2>/dev/null "
    "| sed -n 's/.* inet \\([0-9.]*\\).*/\\1/p' | head -n 1); fi; "
    "if command -v wg >/dev/null 2>&1; then "
    "for i in $(wg show interfaces 2>/dev/null); do "
    "wg show \"$i\" endpoints 2>/dev/null | sed \"s/^/wg_endpoint=$i /\"; "
    "wg show \"$i\" latest-handshakes 2>/dev/null | sed \"s/^/wg_handshake=$i /\"; done; fi; "
    "true"
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
    (None when unknown), tools {name: bool}, kernel_module (bool), systemd (bool),
    now (the host's unix time), default_ipv4 (the address its default route
    leaves from, or None), wg_endpoints {interface: {peer key: ip:port}} and
    wg_handshakes {interface: {peer key: unix time}} (what its interfaces see).
    """
    values = {}
    endpoints, handshakes = {}, {}
    for line in (output or "").splitlines():
        match = re.match(r"^([A-Za-z0-9_-]+)=(.*)$", line.strip())
        if not match:
            continue
        if match.group(1) in ("wg_endpoint", "wg_handshake"):
            _peer_line(match.group(1), match.group(2), endpoints, handshakes)
        else:
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
        "now": int(values["now"]) if re.fullmatch(r"[0-9]{1,12}", values.get("now", "")) else None,
        "default_ipv4": _ipv4(values.get("default_ipv4", "")),
        "wg_endpoints": endpoints,
        "wg_handshakes": handshakes,
    }


def _ipv4(text):
    try:
        return str(ipaddress.IPv4Address(text.strip()))
    except ValueError:
        return None


def _peer_line(kind, text, endpoints, handshakes):
    """One line of `wg show all endpoints` (<if> <key> <ip:port>|(none)) or
    `wg show all latest-handshakes` (<if> <key> <unix time>); anything else
    is skipped. Only handshakes that happened (not 0) are kept."""
    fields = text.split()
    if len(fields) != 3 or not _INTERFACE.fullmatch(fields[0]) or not _KEY.fullmatch(fields[1]):
        return
    interface, key, value = fields
    if kind == "wg_endpoint":
        if value != "(none)" and _ENDPOINT.fullmatch(value):
            endpoints.setdefault(interface, {})[key] = value
    elif re.fullmatch(r"[0-9]{1,12}", value) and int(value) > 0:
        handshakes.setdefault(interface, {})[key] = int(value)


def wait_script(keys, seconds):
    """The probe, run once the host has had a handshake with each of keys
    (peer public keys) or after `seconds`, whichever comes first: how the
    role's second phase reads a hub right after the members came up."""
    keys = sorted(set(k for k in keys if isinstance(k, str) and _KEY.fullmatch(k)))
    if not keys:
        return SCRIPT
    # The keys are base64 (no quote or shell character): safe in single quotes.
    checks = " ".join("case \"$h\" in *'%s'\"$t\"[1-9]*) ;; *) ok=0;; esac;" % k for k in keys)
    return (
        "PATH=\"$PATH:/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin\"; t=$(printf '\\t'); i=0; "
        "while [ $i -lt %d ]; do h=$(wg show all latest-handshakes 2>/dev/null); ok=1; %s "
        "[ $ok = 1 ] && break; sleep 1; i=$((i + 1)); done; " % (max(0, int(seconds)), checks)) + SCRIPT
