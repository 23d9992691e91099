# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""wg-quick(8) configs: rendering, parsing and redaction for diffs.

Private module_utils: the API may change."""

from __future__ import annotations


CONFIG_HEADER = "# Managed by wgnet.wireguard (wg_interface). Local edits are overwritten.\n"


def render_config(interface, peers, private_key, preshared_keys=None):
    """Render a wg-quick config.

    interface: dict with addresses, listen_port, mtu, fwmark.
    peers: list of normalized peer dicts (see normalize_peer).
    private_key / preshared_keys: key material read on the host; the result
    therefore never leaves the host.
    """
    preshared_keys = preshared_keys or {}
    out = [CONFIG_HEADER, "[Interface]\n", "PrivateKey = %s\n" % private_key]
    if interface.get("addresses"):
        out.append("Address = %s\n" % ", ".join(interface["addresses"]))
    if interface.get("listen_port"):
        out.append("ListenPort = %d\n" % interface["listen_port"])
    if interface.get("mtu"):
        out.append("MTU = %d\n" % interface["mtu"])
    if interface.get("fwmark"):
        out.append("FwMark = %#x\n" % interface["fwmark"])
    for peer in sorted(peers, key=lambda p: p["public_key"]):
        out.append(render_peer(peer, preshared_keys))
    return "".join(out)


def render_peer(peer, preshared_keys=None):
    """One [Peer] section of a wg-quick config (a host's or a client's)."""
    preshared_keys = preshared_keys or {}
    out = ["\n[Peer]\n"]
    if peer.get("name"):
        out.append("# friendly_name = %s\n" % peer["name"])
    out.append("PublicKey = %s\n" % peer["public_key"])
    if preshared_keys.get(peer["public_key"]):
        out.append("PresharedKey = %s\n" % preshared_keys[peer["public_key"]])
    if peer["allowed_ips"]:
        out.append("AllowedIPs = %s\n" % ", ".join(peer["allowed_ips"]))
    if peer.get("endpoint"):
        out.append("Endpoint = %s\n" % peer["endpoint"])
    if peer.get("persistent_keepalive"):
        out.append("PersistentKeepalive = %d\n" % peer["persistent_keepalive"])
    return "".join(out)


def redact_config(text):
    """The same config with key material replaced, for diffs."""
    out = []
    for line in text.splitlines(True):
        key = line.split("=", 1)[0].strip().lower()
        if key in ("privatekey", "presharedkey"):
            out.append("%s = <redacted>\n" % line.split("=", 1)[0].strip())
        else:
            out.append(line)
    return "".join(out)
