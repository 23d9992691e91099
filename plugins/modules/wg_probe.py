#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: wg_probe
short_description: Find out in one round trip what a host needs for WireGuard
version_added: 0.1.0
description:
  - Runs one POSIX shell command on the host, the way M(ansible.builtin.raw) does, so it works on hosts without
    Python (OpenWrt, BusyBox ash) and with C(become), over SSH and container connections alike. The output is parsed
    on the controller.
  - Reports whether the host runs OpenWrt, its C(/etc/os-release) (C(ID), C(ID_LIKE), C(VERSION_ID)) with the
    C(os_family) and C(distribution) that M(ansible.builtin.setup) would report, which of C(wg), C(wg-quick),
    C(wireguard-go) and C(ip) are installed, whether the WireGuard kernel module is loaded and whether systemd runs.
  - Sets the facts C(os_family), C(distribution), C(distribution_version) and C(distribution_major_version), so
    platform variables can be chosen without gathering facts.
  - Also reports the host's clock, the IPv4 address its default route leaves from, and what its WireGuard
    interfaces see of their peers (C(wg show all endpoints) and C(wg show all latest-handshakes), which print no
    private key; both need root, so run it with C(become)). The planner reads these for sites and NAT traversal.
  - The wireguard role runs it first, instead of a raw OpenWrt test and M(ansible.builtin.setup).
author:
  - wgnet.wireguard contributors (@wgnet)
options:
  wait_for_handshakes:
    description:
      - Peer public keys. Before probing, wait (in the same remote call) until the host has had a handshake with
        each of them, or O(wait_seconds) have passed. The wireguard role uses it to read a hub right after the
        members behind NAT came up.
    type: list
    elements: str
    default: []
  wait_seconds:
    description: The longest wait for O(wait_for_handshakes).
    type: int
    default: 15
attributes:
  check_mode:
    support: full
    description: Read-only; it runs in check mode too.
  diff_mode:
    support: none
    description: Nothing is changed, so there is nothing to show.
  idempotent:
    support: full
    description: Reads only.
notes:
  - Needs a POSIX C(/bin/sh) with C(grep), C(sed) and C(command -v) on the host.
seealso:
  - module: ansible.builtin.setup
"""

EXAMPLES = r"""
- name: Probe the host
  wgnet.wireguard.wg_probe:
  register: probe

- name: Install wireguard-tools only where wg is missing
  ansible.builtin.package:
    name: wireguard-tools
  when: not probe.tools.wg and not probe.openwrt
"""

RETURN = r"""
openwrt:
  description: Whether the host runs OpenWrt (C(/etc/openwrt_release)).
  returned: always
  type: bool
os_release:
  description: C(ID), C(ID_LIKE) (a list) and C(VERSION_ID) of C(/etc/os-release), lower-cased IDs; null when missing.
  returned: always
  type: dict
  sample: {id: debian, id_like: [], version_id: "12"}
os_family:
  description: The OS family as M(ansible.builtin.setup) names it (C(Debian), C(RedHat), C(OpenWrt), ...).
  returned: always
  type: str
  sample: Debian
distribution:
  description: The distribution as M(ansible.builtin.setup) names it.
  returned: always
  type: str
  sample: Ubuntu
distribution_version:
  description: C(VERSION_ID).
  returned: always
  type: str
  sample: "24.04"
distribution_major_version:
  description: The part of C(VERSION_ID) before the first dot.
  returned: always
  type: str
  sample: "24"
tools:
  description: Whether each of C(wg), C(wg-quick), C(wireguard-go) and C(ip) is on the C(PATH) (sbin included).
  returned: always
  type: dict
  sample: {wg: true, wg-quick: true, wireguard-go: false, ip: true}
kernel_module:
  description: Whether C(/sys/module/wireguard) exists (the module is loaded or built in).
  returned: always
  type: bool
systemd:
  description: Whether systemd runs (C(/run/systemd/system) exists).
  returned: always
  type: bool
now:
  description: The host's clock (unix time), to age the handshakes by.
  returned: always
  type: int
default_ipv4:
  description: The address of the device of the main table's IPv4 default route; null without one.
  returned: always
  type: str
  sample: 192.168.1.20
wg_endpoints:
  description: Interface -> peer public key -> the endpoint the interface currently has for that peer.
  returned: always
  type: dict
  sample: {wg0: {"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=": "203.0.113.7:51820"}}
wg_handshakes:
  description: Interface -> peer public key -> unix time of the latest handshake (peers never seen are left out).
  returned: always
  type: dict
  sample: {wg0: {"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=": 1767225600}}
"""
