#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: wg_interface
short_description: Reconcile a live WireGuard interface and its boot-time config without restarting it
version_added: 0.1.0
description:
  - Reads the live state of a WireGuard interface (C(wg show <if> dump), C(ip -j address), C(ip -j route) and, for
    a full tunnel, C(ip -j rule)) and changes only what differs from the wanted state. Peers are added, changed and
    removed with one C(wg set); addresses, MTU, link state, the routes of AllowedIPs and the policy routing of a
    V(0.0.0.0/0) or V(::/0) peer are fixed with C(ip). A working interface is never restarted, so tunnels carry
    traffic throughout.
  - Creates the interface when it is missing. With systemd this is done by starting C(wg-quick@<name>) from the
    config the module has just written; otherwise with C(ip link add type wireguard) or, where the kernel has no
    WireGuard, the userspace C(wireguard-go).
  - Writes the boot-time config C(/etc/wireguard/<name>.conf) (mode C(0600)) with the private key filled in on
    the host, and enables C(wg-quick@<name>) so a reboot restores the same state. On hosts without the kernel
    module a systemd drop-in makes wg-quick use C(wireguard-go).
  - The private key is read from O(private_key_path) on the host; it never appears in results, diffs or logs.
  - Preshared keys are given as O(preshared_keys), or derived on the controller from O(preshared_key_master) by the
    module's action plugin; the module keeps them in files of C(/etc/wireguard/psk/<name>/), which it also cleans.
author:
  - wgnet.wireguard contributors (@wgnet)
options:
  name:
    description: Interface name.
    type: str
    required: true
  state:
    description:
      - V(present) reconciles the interface; V(absent) stops and disables C(wg-quick@<name>), deletes the link and
        removes the config and drop-in. The private key file is left in place.
    type: str
    choices: [present, absent]
    default: present
  private_key_path:
    description:
      - Private key file on the host, as kept by M(wgnet.wireguard.wg_key). Defaults to C(/etc/wireguard/<name>.key).
    type: path
  addresses:
    description: Interface addresses with prefix length, IPv4 and IPv6, for example V(10.77.0.1/24).
    type: list
    elements: str
    default: []
  listen_port:
    description: UDP listen port. Unset lets WireGuard pick a port.
    type: int
  mtu:
    description: Interface MTU. Unset leaves the MTU as it is (wg-quick picks one at boot).
    type: int
  fwmark:
    description:
      - Firewall mark for outgoing WireGuard packets; V(0) turns it off.
      - When a peer has a V(0.0.0.0/0) or V(::/0) in O(peers[].allowed_ips) (and O(manage_routes) is on), the mark
        is also the number of the routing table for that default route, as with wg-quick. Unset (or V(0)), the
        interface is then marked V(51820) live, just as wg-quick marks it at boot; the config file carries
        C(FwMark) only when this option is set.
      - Unset and without such a peer, a live mark of V(51820) (left by a former full tunnel) is turned off, as
        a boot would; any other live mark is left alone.
    type: int
  peers:
    description: The complete list of peers. Live peers that are not listed are removed.
    type: list
    elements: dict
    default: []
    suboptions:
      public_key:
        description: The peer's base64 public key.
        type: str
        required: true
      name:
        description: A label, written to the config as a C(# friendly_name) comment and used in messages.
        type: str
      allowed_ips:
        description: Prefixes routed to this peer. A prefix may belong to one peer only.
        type: list
        elements: str
        default: []
      endpoint:
        description:
          - V(host:port), V([IPv6]:port) or V(host). Omit for peers that connect to this host (behind NAT);
            the live endpoint they roam to is then left alone.
        type: str
      persistent_keepalive:
        description: Seconds between keepalives; V(0) turns it off.
        type: int
        default: 0
      preshared_key_path:
        description:
          - Path of a preshared key file on the host. With O(preshared_keys), where the module writes this peer's
            key (default C(/etc/wireguard/psk/<name>/<hash of the peer's public key>.psk)).
        type: path
      path:
        description:
          - Makes this a I(watched peer), reached directly over a site LAN (V(site)) or through NAT (V(nat)) while
            that path works, and through the relay peer O(peers[].relay_public_key) otherwise. Needs
            O(peers[].relay_public_key).
          - The peer's O(peers[].allowed_ips) and O(peers[].persistent_keepalive) are those of the direct path. On
            the relay the peer keeps no AllowedIPs (and a keepalive of at least 25 s, so the direct path keeps being
            tried) and the relay peer carries its prefixes. Routes are the same either way.
          - The watchdog installed with the interface (see the notes) decides which state each watched peer is in
            and records it in C(/var/run/wgnet/<name>.direct); the module applies the plan with that state, so a
            run never undoes the watchdog. A new watched peer starts on the relay. The boot config has every
            watched peer on its relay.
        type: str
        choices: [site, nat]
        version_added: 0.2.0
      relay_public_key:
        description:
          - The public key of the peer of this interface (normally the hub) that carries this watched peer's
            prefixes while its direct path is down. Must be another peer of the list, one without O(peers[].path).
        type: str
        version_added: 0.2.0
  preshared_keys:
    description:
      - Peer public key to preshared key (base64). The module writes each key to the peer's O(peers[].preshared_key_path)
        (mode C(0600), directories C(0700)) for C(wg set), and puts it in the boot config. Files in
        C(/etc/wireguard/psk/<name>/) that no listed peer uses any more are removed, so turning preshared keys off
        (an empty value) also removes them.
      - Secret. It is never returned, logged or shown in a diff (only "<redacted, changed>").
    type: dict
  preshared_key_master:
    description:
      - Handled on the controller by the module's action plugin, never sent to the host. Derives O(preshared_keys)
        for every peer, the pair's key being C(base64(HMAC-SHA256(master, "wgnet-psk-v1|<name>|<lower public
        key>|<higher public key>"))), so both ends of a pair derive the same key and replacing either key pair
        replaces it. Needs O(own_public_key). Mutually exclusive with O(preshared_keys).
      - Keep it in ansible-vault. The wireguard role passes C(wireguard_psk_master) here.
    type: str
  own_public_key:
    description:
      - This interface's own public key (as M(wgnet.wireguard.wg_key) returns it), which O(preshared_key_master)
        needs on the controller. Without it (a host whose key check mode has not created), no preshared key is
        derived in check mode, and a real run fails.
    type: str
  peers_json:
    description:
      - The same list as O(peers), as one JSON string (or a list, which is serialized). Mutually exclusive with
        O(peers).
      - Meant for large networks. P(wgnet.wireguard.wg_host_interfaces#filter) with C(peers_as_json=true) returns
        it, and Ansible then passes one string instead of templating every field of every peer. The fields are
        those of O(peers) and are checked the same way.
    type: json
  switch_at:
    description:
      - Apply the live changes (the C(wg set)) at this moment, in seconds since the epoch, rather than as soon as
        the interface is read; a moment already past applies them at once. Then send one empty UDP datagram
        through the tunnel to each peer that was just added (to every peer after the own key changed), so the
        handshake starts at once.
      - Used by key rotation (the wireguard role sets it for every host of a run where a key was replaced), so a
        host and its peers switch within milliseconds of each other. Needs clocks in sync (NTP).
      - When the own private key changes on a live interface, the module first sets a throwaway private key (on
        stdin) 0.4 s before this moment. The old sessions then stop sending but still receive, so nothing goes out in
        a session the peers dropped at the agreed moment (the role gives the rotated host that moment + 0.3 s).
    type: float
    version_added: 0.1.0
  implementation:
    description:
      - V(kernel) uses the kernel module, V(userspace) uses C(wireguard-go), V(auto) uses the kernel module when it
        is available and C(wireguard-go) otherwise.
    type: str
    choices: [auto, kernel, userspace]
    default: auto
  manage_routes:
    description:
      - Add a route through the interface to the main table for every AllowedIPs prefix outside the interface's own
        networks, as wg-quick does, and remove routes through it that no peer's AllowedIPs covers.
      - For a peer with V(0.0.0.0/0) or V(::/0) (a full tunnel), set up the policy routing wg-quick's boot would
        instead of a main-table default route. With table I(T) = O(fwmark), or V(51820) when unset, the module runs
        C(wg set <name> fwmark T), C(ip -4 route add 0.0.0.0/0 dev <name> table T),
        C(ip -4 rule add not fwmark T table T), C(ip -4 rule add table main suppress_prefixlength 0) and
        C(sysctl -q net.ipv4.conf.all.src_valid_mark=1), and the same with C(-6) for V(::/0) (without the sysctl),
        each only when missing. Everything but WireGuard's own marked packets then leaves through the tunnel, while
        the more specific routes of the main table (local networks, the management connection) still win.
      - When no peer has the /0 any more, the two rules, the table's default route through this interface and the
        mark are removed again. The suppress rule stays as long as another full tunnel's mark rule needs it. Rules
        and tables of other interfaces are never touched; a table that already holds another interface's routes is
        refused with a request to set O(fwmark).
      - V(false) leaves routes, rules and the mark alone (wg-quick still sets them up at boot).
    type: bool
    default: true
  boot:
    description: Enable C(wg-quick@<name>) with systemd so the interface comes back at boot.
    type: bool
    default: true
  config_path:
    description: Path of the wg-quick config. Defaults to C(/etc/wireguard/<name>.conf).
    type: path
attributes:
  action:
    support: full
    description: The action plugin derives preshared keys on the controller, then runs the module on the host.
  check_mode:
    support: full
    description: Reads the live state and reports what would change; runs no command that changes anything.
  diff_mode:
    support: full
    description: Shows the interface and its peers, live and wanted, with public keys as fingerprints and no secrets.
  idempotent:
    support: full
    description: A second run with the same options reports no change.
requirements:
  - iproute2 with JSON output (C(ip -j)), C(wg) from wireguard-tools
  - the WireGuard kernel module or C(wireguard-go)
notes:
  - Linux only. OpenWrt routers are handled through UCI by the collection's OpenWrt support.
  - "Full tunnel: a peer with O(peers[].allowed_ips=[0.0.0.0/0]) (and/or V(::/0)) carries all traffic of the host
    that has no more specific route. The live run and a boot through C(wg-quick@<name>) leave the same routes, rules
    and mark, so the next run after a reboot reports no change. wg-quick additionally installs raw-table rules
    (nftables table C(wg-quick-<name>)) that drop spoofed packets to the tunnel addresses; the live run does not,
    so they appear at the next C(wg-quick up). Forwarding and NAT on the gateway peer are not this module's job."
  - When the interface is created through systemd, wg-quick sets up the full tunnel itself and the module only
    checks the result.
  - "The watchdog: when a peer has O(peers[].path) or an endpoint given as a DNS name, and the host runs systemd, the
    module also installs C(/usr/local/sbin/wgnet-watchdog), the units C(wgnet-watchdog@.service) and
    C(wgnet-watchdog@.timer) and the config C(/etc/wireguard/<name>.watchdog), and enables
    C(wgnet-watchdog@<name>.timer) (every 10 s). Each run moves a watched peer to its relay when its direct path
    stops answering and back when a new direct handshake works, and re-resolves DNS-name endpoints whose
    handshake went stale. It logs with the tag C(wgnet-watchdog) and writes C(/var/run/wgnet/<name>.status).
    Without such peers (and with O(state=absent)) it is disabled and its files removed."
seealso:
  - module: wgnet.wireguard.wg_key
"""

EXAMPLES = r"""
- name: A hub with two spokes
  wgnet.wireguard.wg_interface:
    name: wg0
    addresses: [10.77.0.1/24]
    listen_port: 51820
    peers:
      - name: laptop
        public_key: xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=
        allowed_ips: [10.77.0.11/32]
      - name: router
        public_key: TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=
        allowed_ips: [10.77.0.12/32, 172.18.3.0/24]

- name: A spoke behind NAT
  wgnet.wireguard.wg_interface:
    name: wg0
    addresses: [10.77.0.11/24]
    peers:
      - name: hub
        public_key: HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=
        allowed_ips: [10.77.0.0/24, 172.18.3.0/24]
        endpoint: hub.example.net:51820
        persistent_keepalive: 25

- name: A client sending all its traffic through the gateway (full tunnel)
  wgnet.wireguard.wg_interface:
    name: wg0
    addresses: [10.77.0.11/24]
    peers:
      - name: gateway
        public_key: HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=
        allowed_ips: [0.0.0.0/0, "::/0"]
        endpoint: gw.example.net:51820
        persistent_keepalive: 25

- name: Every interface of this host from the network plan, peers passed as one JSON string
  wgnet.wireguard.wg_interface:
    name: "{{ item.interface }}"
    addresses: "{{ item.addresses }}"
    listen_port: "{{ item.listen_port }}"
    peers_json: "{{ item.peers }}"
  loop: "{{ wg_plan | wgnet.wireguard.wg_host_interfaces(inventory_hostname, peers_as_json=true) }}"

- name: Preshared keys derived on the controller from a vaulted master secret
  wgnet.wireguard.wg_interface:
    name: wg0
    addresses: [10.77.0.11/24]
    peers:
      - name: hub
        public_key: HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=
        allowed_ips: [10.77.0.0/24]
        endpoint: hub.example.net:51820
    preshared_key_master: "{{ vault_wireguard_psk_master }}"
    own_public_key: "{{ wg_key_result.public_key }}"

- name: A member behind NAT with a direct path to another one, relayed by the hub while it does not work
  wgnet.wireguard.wg_interface:
    name: wg0
    addresses: [10.77.0.21/24]
    peers:
      - name: hub
        public_key: HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=
        allowed_ips: [10.77.0.0/24]
        endpoint: hub.example.net:51820
        persistent_keepalive: 25
      - name: media
        public_key: TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=
        allowed_ips: [10.77.0.22/32]
        endpoint: 198.51.100.23:40112
        persistent_keepalive: 25
        path: nat
        relay_public_key: HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=

- name: Remove the interface
  wgnet.wireguard.wg_interface:
    name: wg0
    state: absent
"""

RETURN = r"""
applied_at:
  description: When the live changes were applied, in seconds since the epoch; set only with O(switch_at).
  returned: when O(state=present)
  type: float
  sample: 1795306400.012
public_key:
  description: Public key of the interface, derived on the host from its private key file.
  returned: when O(state=present)
  type: str
created:
  description: Whether the interface was created by this run.
  returned: when O(state=present)
  type: bool
implementation:
  description: The implementation in use, V(kernel) or V(userspace).
  returned: when O(state=present)
  type: str
peers_added:
  description: Fingerprints of peers added.
  returned: when O(state=present)
  type: list
  elements: str
peers_removed:
  description: Fingerprints of peers removed.
  returned: when O(state=present)
  type: list
  elements: str
peers_changed:
  description: Fingerprints of peers whose settings changed.
  returned: when O(state=present)
  type: list
  elements: str
actions:
  description: The commands run (or, in check mode, that would run) and files written. Key material is passed by
    file path, so none appears here.
  returned: always
  type: list
  elements: str
  sample: ["wg set wg0 peer TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0= allowed-ips 10.77.0.12/32"]
config_path:
  description: Path of the boot-time config.
  returned: always
  type: str
direct_paths:
  description: The watched peers (those with O(peers[].path)) and the state the watchdog has them in.
  returned: when O(state=present)
  type: list
  elements: dict
  contains:
    name:
      description: The peer's name.
      type: str
    public_key:
      description: The peer's public key.
      type: str
    path:
      description: V(site) or V(nat).
      type: str
    relay:
      description: The relay peer's name (its public key when it has none).
      type: str
    state:
      description: V(direct) (its own AllowedIPs) or V(relay) (its prefixes on the relay peer).
      type: str
  sample: [{"name": "media", "public_key": "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=", "path": "nat",
            "relay": "hub", "state": "direct"}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_peers
from ansible_collections.wgnet.wireguard.plugins.module_utils._wg_interface import CommandRunner
from ansible_collections.wgnet.wireguard.plugins.module_utils._wg_interface import WireGuardInterface
from ansible_collections.wgnet.wireguard.plugins.module_utils._wg_interface import WireGuardInterfaceError


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            private_key_path=dict(type="path"),
            addresses=dict(type="list", elements="str", default=[]),
            listen_port=dict(type="int"),
            mtu=dict(type="int"),
            fwmark=dict(type="int"),
            peers=dict(
                type="list", elements="dict", default=[],
                options=dict(
                    public_key=dict(type="str", required=True),
                    name=dict(type="str"),
                    allowed_ips=dict(type="list", elements="str", default=[]),
                    endpoint=dict(type="str"),
                    persistent_keepalive=dict(type="int", default=0),
                    preshared_key_path=dict(type="path"),
                    path=dict(type="str", choices=["site", "nat"]),
                    relay_public_key=dict(type="str"),
                ),
            ),
            preshared_keys=dict(type="dict", no_log=True),
            # Consumed by the action plugin on the controller; never sent here.
            preshared_key_master=dict(type="str", no_log=True),
            own_public_key=dict(type="str"),
            peers_json=dict(type="json"),
            switch_at=dict(type="float"),
            implementation=dict(type="str", default="auto", choices=["auto", "kernel", "userspace"]),
            manage_routes=dict(type="bool", default=True),
            boot=dict(type="bool", default=True),
            config_path=dict(type="path"),
        ),
        mutually_exclusive=[("peers", "peers_json"), ("preshared_keys", "preshared_key_master")],
        supports_check_mode=True,
    )
    if module.params["preshared_key_master"]:
        module.fail_json(msg="preshared_key_master is handled on the controller by the wg_interface action plugin; "
                             "run this module through it (wgnet.wireguard.wg_interface), not on its own")
    if module.params["peers_json"] is not None:
        try:
            module.params["peers"] = _wg_peers.peers_from_json(module.params["peers_json"])
        except ValueError as exc:
            module.fail_json(msg=str(exc))
    interface = WireGuardInterface(module.params, CommandRunner(module), check_mode=module.check_mode)
    try:
        if module.params["state"] == "absent":
            result = interface.absent()
        else:
            result = interface.present()
    except (WireGuardInterfaceError, OSError, ValueError) as exc:
        module.fail_json(msg=str(exc), actions=interface.actions)
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
