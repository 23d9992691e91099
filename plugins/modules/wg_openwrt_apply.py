#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: wg_openwrt_apply
short_description: Reconcile the UCI config, live WireGuard state and preshared keys of an OpenWrt router
version_added: 0.1.0
description:
  - Internal to the C(wgnet.wireguard.wireguard) role. OpenWrt has no Python, so this action runs the role's shell
    scripts on the router with C(/bin/sh) (BusyBox ash).
  - C(openwrt_read.sh) reports the router's C(network) and C(firewall) config as C(uci export), every secret
    replaced by C(REDACTED) on the router. The controller compares the sections this collection owns with what
    O(plan) wants for the host (or, with O(absent), with nothing) and decides a C(uci batch) and live operations.
  - When something differs, C(openwrt_apply.sh) runs the batch, commits the changed configs, then the live
    operations (C(wg set), C(ip route), C(ifup), a wait until the agreed moment of a key rotation and the switch to
    the router's new key, C(fw4 reload)). Nothing differing and no preshared keys, this is one round trip.
  - With O(psk_master), derives the preshared key of each of the router's peers on the controller and hands them
    to the script on its stdin. The script compares them with UCI and with C(wg show <if> preshared-keys) on the
    router and sets the ones that differ through stdin (C(uci batch), C(wg set ... preshared-key /dev/stdin)).
    No preshared key is ever on a command line, in the diff or in the result.
  - Direct paths (a site neighbour or NAT partner in O(plan)) get the direct-path watchdog, run by the router's
    cron (C(/usr/sbin/wgnet-watchdog), its config C(/etc/wireguard/<if>.watchdog) and a line in
    C(/etc/crontabs/root)). UCI holds every watched peer on its relay (the hub), as netifd sets it at boot; live
    peer changes follow the watchdog's decisions (C(/var/run/wgnet/<if>.direct), reported by the read script) and
    are made under its lock, so a converge never undoes them. An interface without watched peers loses its
    watchdog.
  - When the operations wait for the agreed moment of a key rotation, the script is started in the background on
    the router and the result carries RV(scheduled); a later task with O(collect) reports it. The play can then run
    the Linux hosts' switch (M(wgnet.wireguard.wg_interface) with C(switch_at)) while the router waits for the
    same moment.
author:
  - wgnet.wireguard contributors (@wgnet)
options:
  plan:
    description: The network plan (P(wgnet.wireguard.wg_network_plan#filter), or its JSON text). Required unless
      O(absent) or O(collect) is given.
    type: raw
  settings:
    description: OpenWrt settings of the role (C(mtu), C(lan_zone), C(wan_zone), C(zone_input), C(masquerade)).
    type: dict
    default: {}
  absent:
    description: Remove these interfaces and every owned section of theirs (their private key included) instead.
    type: list
    elements: str
  switch_at:
    description: The agreed moment of a key rotation (seconds since the epoch), or an empty string.
    type: str
    default: ""
  keys:
    description:
      - This run's registered result of the role's C(openwrt_key.sh) loop. When it says the router's own key was
        replaced, the router switches to it 0.3 s after O(switch_at), holding what it sends from 0.5 s before.
    type: dict
    default: {}
  psk_master:
    description: The preshared key master secret (C(wireguard_psk_master)). Without it no preshared key is handled.
    type: str
  collect:
    description:
      - The RV(scheduled) directory of an earlier call. Waits (up to 300 s) until that run finished, reports it like
        a run in the foreground and removes the directory. The other options are ignored then.
    type: str
attributes:
  check_mode:
    support: full
    description: Reads and decides, runs no batch and no operation; only compares the preshared keys. Reports
      what would change as changed.
  diff_mode:
    support: full
    description: The owned sections before and after in C(uci export) form (keys redacted), the C(uci batch) and
      the live operations.
  idempotent:
    support: full
    description: When the owned sections and the preshared keys match, nothing is changed.
notes:
  - The preshared keys travel to the router as a 0600 file in Ansible's private remote temporary directory, the
    script's stdin, removed right after the run.
seealso:
  - module: wgnet.wireguard.wg_interface
"""

EXAMPLES = r"""
- name: Reconcile the router's UCI config and bring it live
  wgnet.wireguard.wg_openwrt_apply:
    plan: "{{ plan }}"
    psk_master: "{{ wireguard_psk_master }}"
"""

RETURN = r"""
scheduled:
  description: The router's directory of a run started in the background (see O(collect)).
  returned: when the operations wait for a rotation's agreed moment
  type: str
uci_batch:
  description: The C(uci batch) lines decided (public values only; preshared keys are set from stdin).
  returned: unless O(collect)
  type: list
  elements: str
live:
  description: The live operations decided, one a line, as the role's C(openwrt_apply.sh) documents them.
  returned: unless O(collect)
  type: list
  elements: str
stdout_lines:
  description: What the script did, one C(done=<operation>) line each, and C(changed=0|1). Never a key.
  returned: when the apply script ran
  type: list
  elements: str
"""
