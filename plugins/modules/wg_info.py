#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: wg_info
short_description: Report the live state of WireGuard interfaces and their peers
version_added: 0.1.0
description:
  - Reads C(wg show all dump) (or C(wg show <interface> dump)) and returns, per interface, its public key, listen
    port and firewall mark, and per peer its public key, endpoint, AllowedIPs, latest handshake (time and age),
    transfer counters and persistent keepalive.
  - Each peer also gets the name from the C(# friendly_name = <name>) comment of its C([Peer]) section in the boot
    config C(<config_dir>/<interface>.conf), the convention Prometheus WireGuard exporters read.
    M(wgnet.wireguard.wg_interface) writes those comments with the peer's inventory host name.
  - Private keys and preshared keys are never returned. The dump's private key and preshared key columns are
    skipped when the output is parsed; a peer only reports whether it has a preshared key.
  - Changes nothing on the host; C(changed) is always V(false).
author:
  - wgnet.wireguard contributors (@wgnet)
options:
  interface:
    description:
      - Report only this interface. Unset reports every WireGuard interface of the host.
      - The module fails when the named interface does not exist or is not a WireGuard interface.
    type: str
  config_dir:
    description:
      - Directory of the wg-quick boot configs read for C(# friendly_name) comments. Set to an empty string to
        skip them. A missing or unreadable config only leaves the names out.
    type: path
    default: /etc/wireguard
attributes:
  check_mode:
    support: full
    description: The module only reads; it runs the same way in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to diff.
  idempotent:
    support: full
    description: Nothing is ever changed.
requirements:
  - C(wg) from wireguard-tools on the managed host
notes:
  - Needs C(wg) from wireguard-tools and root (or CAP_NET_ADMIN) to read the interfaces, so use C(become)
    where the connecting user is not root. Works with kernel WireGuard and with C(wireguard-go).
seealso:
  - module: wgnet.wireguard.wg_interface
  - name: prometheus_wireguard_exporter (friendly_name convention)
    description: A Prometheus exporter that labels peers from the same C(# friendly_name) comments.
    link: https://github.com/MindFlavor/prometheus_wireguard_exporter
"""

EXAMPLES = r"""
- name: Read every WireGuard interface
  wgnet.wireguard.wg_info:
  become: true
  register: wg

- name: Peers of wg0 that never completed a handshake
  ansible.builtin.debug:
    msg: "{{ wg.interfaces.wg0.peers | selectattr('latest_handshake', 'eq', 0) | map(attribute='friendly_name') }}"

- name: Only wg1, without reading the boot config
  wgnet.wireguard.wg_info:
    interface: wg1
    config_dir: ""
  become: true
  register: wg1
"""

RETURN = r"""
interfaces:
  description: Interface name to its live state. Empty when the host has no WireGuard interface.
  returned: always
  type: dict
  contains:
    public_key:
      description: The interface's public key; null when it has no private key.
      type: str
      sample: xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=
    listen_port:
      description: UDP listen port; null when none is set.
      type: int
      sample: 51820
    fwmark:
      description: Firewall mark of outgoing packets; null when off.
      type: int
      sample: 51820
    peers:
      description: The peers, those with a friendly name first, sorted by name, then by public key.
      type: list
      elements: dict
      contains:
        public_key:
          description: The peer's public key.
          type: str
          sample: TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=
        friendly_name:
          description: Name from the boot config's C(# friendly_name) comment; null without one.
          type: str
          sample: hub
        endpoint:
          description: Current endpoint, as C(address:port) or C([IPv6]:port); null when none is known.
          type: str
          sample: 203.0.113.5:51820
        allowed_ips:
          description: AllowedIPs prefixes, normalized and sorted.
          type: list
          elements: str
          sample: [10.77.0.0/24, 192.168.20.0/24]
        latest_handshake:
          description: Unix time of the latest completed handshake; V(0) when there has been none.
          type: int
          sample: 1763768700
        latest_handshake_age:
          description: Seconds since the latest handshake, by the host's clock; null when there has been none.
          type: int
          sample: 42
        transfer_rx:
          description: Bytes received from the peer.
          type: int
          sample: 9876
        transfer_tx:
          description: Bytes sent to the peer.
          type: int
          sample: 5432
        persistent_keepalive:
          description: Keepalive interval in seconds; V(0) when off.
          type: int
          sample: 25
        watchdog:
          description:
            - For a peer the collection's watchdog watches (a direct path with a relay fallback), its state from
              C(/var/run/wgnet/<interface>.status). Absent for other peers.
          type: dict
          returned: when the watchdog watches the peer
          version_added: 0.2.0
          contains:
            state:
              description: V(direct) (the peer's own path) or V(relay) (its prefixes go through the relay peer).
              type: str
              sample: direct
            since:
              description: Unix time of the watchdog's last change of this peer's state.
              type: int
              sample: 1763768700
            age:
              description: Seconds since then.
              type: int
              sample: 300
            reason:
              description:
                - Why it is in that state. V(new) (not yet seen working), V(handshake) (a direct handshake and
                  traffic), V(no-reply) (sent without a reply for too long), V(stale-handshake).
              type: str
              sample: handshake
        has_preshared_key:
          description: Whether a preshared key is set for the peer. The key itself is never returned.
          type: bool
          sample: false
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wgnet.wireguard.plugins.module_utils._wg_info import WireGuardInfo
from ansible_collections.wgnet.wireguard.plugins.module_utils._wg_info import WireGuardInfoError


def main():
    module = AnsibleModule(
        argument_spec=dict(
            interface=dict(type="str"),
            config_dir=dict(type="path", default="/etc/wireguard"),
        ),
        supports_check_mode=True,
    )

    def run(argv):
        return module.run_command(argv, environ_update=dict(LANG="C", LC_ALL="C"))

    info = WireGuardInfo(run, module.params["interface"], module.params["config_dir"] or None)
    try:
        result = info.gather(time.time())
    except WireGuardInfoError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
