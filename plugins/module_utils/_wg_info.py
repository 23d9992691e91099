# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Backend of the wg_info module: read-only facts from `wg show dump`.

The dump carries the interface's private key and each peer's preshared key.
The line parsers shared with wg_interface (_wg_dump.dump_interface, dump_peer)
drop the private key, and the preshared key is replaced by whether there is
one, so no key material is ever stored in a value this module returns.
Friendly names come from the `# friendly_name = <name>` comments of the boot
config (the convention of Prometheus WireGuard exporters); only those
comments and the PublicKey lines of [Peer] sections are read from it.
"""

from __future__ import annotations

import os

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_direct
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_dump


class WireGuardInfoError(Exception):
    """A problem the caller reports as a module failure."""


def parse_dump(text, interface=None):
    """Parse `wg show all dump` (or `wg show <interface> dump` when interface
    is given, whose lines lack the leading interface column).

    Returns {interface: {public_key, listen_port, fwmark, peers: {key: peer}}}
    without the private key (column 2 of an interface line) and without the
    preshared key (column 3 of a peer line); a peer only says whether it has one.
    """
    result = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = line.split("\t")
        if interface is not None:
            fields = [interface] + fields
        name = fields[0]
        if len(fields) == 5:
            # name, then the interface line of a single-interface dump
            result[name] = dict(_wg_dump.dump_interface(fields[1:]), peers={})
        elif len(fields) == 9:
            if name not in result:
                raise ValueError("`wg show dump`: peer line before the line of interface %s" % name)
            peer = _wg_dump.dump_peer(fields[1:])
            # Only whether there is one: the key itself is never returned.
            peer["has_preshared_key"] = peer.pop("preshared_key") is not None
            result[name]["peers"][peer["public_key"]] = peer
        else:
            raise ValueError("`wg show dump`: unexpected line with %d fields" % len(fields))
    return result


def friendly_names(text):
    """{peer public key: name} from `# friendly_name = <name>` comments inside
    [Peer] sections of a wg-quick config. Nothing else of the file is kept."""
    names = {}
    in_peer = False
    key = name = None
    for raw in (text or "").splitlines() + ["[End]"]:
        line = raw.strip()
        if line.startswith("["):
            if in_peer and key and name:
                names[key] = name
            in_peer = line.lower().replace(" ", "") == "[peer]"
            key = name = None
        elif in_peer and line.startswith("#"):
            body = line.lstrip("#").strip()
            if body.split("=", 1)[0].strip() == "friendly_name" and "=" in body:
                name = body.split("=", 1)[1].strip() or None
        elif in_peer and line.split("=", 1)[0].strip().lower() == "publickey":
            key = line.split("=", 1)[1].split("#", 1)[0].strip()
    return names


def uci_peer_names(text):
    """{interface: {peer public key: name}} from the `uci show network` lines
    of peer sections (type wireguard_<if>, public_key, description): how an
    OpenWrt router names its peers. Only those lines are read."""
    types, keys, descriptions = {}, {}, {}
    for line in (text or "").splitlines():
        path, sep, value = line.strip().partition("=")
        if not sep:
            continue
        value = value.strip().strip("'")
        parts = path.split(".")
        if len(parts) == 2 and value.startswith("wireguard_"):
            types[parts[1]] = value[len("wireguard_"):]
        elif len(parts) == 3 and parts[2] == "public_key":
            keys[parts[1]] = value
        elif len(parts) == 3 and parts[2] == "description":
            descriptions[parts[1]] = value
    names = {}
    for section, ifname in types.items():
        if keys.get(section) and descriptions.get(section):
            names.setdefault(ifname, {})[keys[section]] = descriptions[section]
    return names


def info_from_raw(text):
    """The wg_info result from the output of playbooks/files/wg_info.sh, the
    shell version status.yml runs on hosts without Python (OpenWrt)."""
    now, section, dump, uci, watchdog = None, None, [], [], {}
    for line in (text or "").splitlines():
        if line.startswith("now=") and section is None:
            now = int(line[4:].strip())
        elif line in ("=== dump", "=== names", "=== watchdog"):
            section = line[4:]
        elif section == "dump":
            dump.append(line)
        elif section == "names":
            uci.append(line)
        elif section == "watchdog" and len(line.split(None, 1)) == 2:
            ifname, rest = line.split(None, 1)
            watchdog.setdefault(ifname, {}).update(_wg_direct.parse_status(rest))
    if now is None or section is None:
        raise ValueError("unexpected output of the wg_info shell script: %r" % (text or "")[:200])
    interfaces = parse_dump("\n".join(dump))
    return {"changed": False, "interfaces": build_info(interfaces, uci_peer_names("\n".join(uci)), now, watchdog)}


def build_info(interfaces, names, now, watchdog=None):
    """The module result: interfaces with peers as lists, each peer with its
    friendly name and handshake age (None when it never completed one) and,
    for a peer the watchdog watches, its state (see _wg_direct.parse_status)."""
    watchdog = watchdog or {}
    out = {}
    for ifname in sorted(interfaces):
        iface = interfaces[ifname]
        peers = []
        for key, peer in iface["peers"].items():
            entry = dict(peer)
            entry["friendly_name"] = names.get(ifname, {}).get(key)
            handshake = peer["latest_handshake"]
            entry["latest_handshake_age"] = max(0, int(now) - handshake) if handshake else None
            if key in watchdog.get(ifname, {}):
                entry["watchdog"] = dict(watchdog[ifname][key], age=max(0, int(now) - watchdog[ifname][key]["since"]))
            peers.append(entry)
        peers.sort(key=lambda p: (p["friendly_name"] is None, p["friendly_name"] or "", p["public_key"]))
        out[ifname] = {
            "public_key": iface["public_key"],
            "listen_port": iface["listen_port"],
            "fwmark": iface["fwmark"],
            "peers": peers,
        }
    return out


class WireGuardInfo(object):
    """Gather the facts; `run(argv) -> (rc, out, err)` runs a command."""

    def __init__(self, run, interface=None, config_dir="/etc/wireguard", state_dir=_wg_direct.STATE_DIR):
        self.run = run
        self.interface = interface
        self.config_dir = config_dir
        self.state_dir = state_dir

    def _watchdog(self, ifname):
        """The watchdog's status file of the interface, parsed ({} without one)."""
        try:
            with open(os.path.join(self.state_dir, "%s.status" % ifname)) as handle:
                return _wg_direct.parse_status(handle.read())
        except (IOError, OSError):
            return {}

    def _names(self, ifname):
        if not self.config_dir:
            return {}
        path = os.path.join(self.config_dir, "%s.conf" % ifname)
        try:
            with open(path) as handle:
                return friendly_names(handle.read())
        except (IOError, OSError):
            return {}  # no boot config (or not readable): peers just have no friendly name

    def gather(self, now):
        target = self.interface or "all"
        rc, out, err = self.run(["wg", "show", target, "dump"])
        if rc != 0:
            if self.interface:
                raise WireGuardInfoError(
                    "`wg show %s dump` failed: %s; is %s a WireGuard interface on this host?"
                    % (self.interface, err.strip(), self.interface))
            raise WireGuardInfoError("`wg show all dump` failed: %s; is wireguard-tools installed?" % err.strip())
        try:
            interfaces = parse_dump(out, self.interface)
        except ValueError as exc:
            raise WireGuardInfoError(str(exc))
        names = dict((ifname, self._names(ifname)) for ifname in interfaces)
        watchdog = dict((ifname, self._watchdog(ifname)) for ifname in interfaces)
        return {"changed": False, "interfaces": build_info(interfaces, names, now, watchdog)}
