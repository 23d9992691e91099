# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller-side logic for unmanaged clients (phones, laptops) and
preshared keys.

- client_plans(): validate each client's own settings (allowed_ips, dns, hub,
  full_tunnel) against a network plan from _topology.plan_networks and return
  what its wg-quick config needs, without key material;
- render_client_config(): the wg-quick text, given the key material the
  caller read (only the wg_client_config action does);
and the file helpers the controller-side actions share. Preshared keys are
in _psk.

Plain Python with no Ansible imports, unit tested directly.
"""

from __future__ import annotations

import ipaddress
import os
import re

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_config
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_crypto
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_peers
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_values
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_files
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _checks
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _psk
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology

CLIENT_KEYS = _topology.CLIENT_KEYS
KEY_MODE = 0o600
DIR_MODE = 0o700
PRIVATE_KEY_PLACEHOLDER = "# PrivateKey = <paste the client's private key here>"
_DNS_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,253}")
# A client or network name becomes a file name and a comment line of its config.
_FILE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class ClientError(_topology.PlanError):
    """An inventory problem with a client or a preshared key setting."""


def _var(prefix, name, key):
    return "%s.%s.%s" % (prefix, name, key)


def _prefix(interface, spec):
    """The variable a network's clients come from (the single-network form
    of the role reads wireguard_clients)."""
    return (spec or {}).get("clients_var") or "wireguard_networks.%s.clients" % interface


def site_lans(net, exclude=None):
    """Every LAN behind a member or a client of a planned network."""
    lans = [lan for n in net["order"] for lan in net["members"][n]["lans"]]
    lans += [lan for c, data in sorted(net["clients"].items()) if c != exclude for lan in data["lans"]]
    return lans


def client_plans(plan, networks):
    """What each client's config needs, validated.

    plan: the output of _topology.plan_networks (dict or its JSON string);
    networks: interface -> network definition, where the clients' own
    settings are read.
    Returns a list sorted by (network, client) of dicts: network, name,
    addresses, dns, public_key (None: the controller generates the pair),
    peers (one per hub, the client's chosen hub first: name, public_key or
    None, endpoint, allowed_ips, persistent_keepalive).
    """
    plan = _topology.load_plan(plan)
    result = []
    for interface in sorted(plan["networks"]):
        net = plan["networks"][interface]
        prefix = _prefix(interface, networks.get(interface))
        specs = (networks.get(interface) or {}).get("clients") or {}
        if not isinstance(specs, dict):
            raise ClientError("network %s: %s must be a mapping of client name to settings" % (interface, prefix))
        for name in sorted(net["clients"]):
            spec = specs.get(name) or {}
            result.append(_client_plan(net, name, spec, prefix))
    return result


def check_settings(interface, name, spec, prefix):
    """Validate a client's own settings (those the planner does not read).
    Returns (allowed_ips or None, full_tunnel, dns)."""
    if not isinstance(spec, dict):
        raise ClientError("client %s: %s.%s must be a mapping of settings" % (name, prefix, name))
    unknown = sorted(set(spec) - CLIENT_KEYS)
    if unknown:
        raise ClientError("client %s: unknown setting %s; a client takes %s"
                          % (name, _var(prefix, name, unknown[0]), ", ".join(sorted(CLIENT_KEYS))))
    if not isinstance(name, str) or not _FILE_NAME.fullmatch(name) or name in (".", ".."):
        raise ClientError("client %r of network %s: the name becomes a file name; use letters, digits and _.-"
                          % (name, interface))
    key = spec.get("public_key") or None
    if key and not (isinstance(key, str) and _wg_crypto.is_valid_key(key)):
        raise ClientError("client %s: %s is not a valid WireGuard public key (44 base64 characters)"
                          % (name, _var(prefix, name, "public_key")))
    full = spec.get("full_tunnel", False)
    if not isinstance(full, bool):
        raise ClientError("client %s: %s must be true or false" % (name, _var(prefix, name, "full_tunnel")))
    allowed = None
    if spec.get("allowed_ips") not in (None, "", []):
        if full:
            raise ClientError("client %s: set either %s or %s, not both"
                              % (name, _var(prefix, name, "allowed_ips"), _var(prefix, name, "full_tunnel")))
        allowed = []
        for value in _topology._as_list(spec["allowed_ips"]):
            try:
                allowed.append(_wg_values.normalize_prefix(value))
            except ValueError:
                raise ClientError("client %s: %s entry %r is not a CIDR prefix"
                                  % (name, _var(prefix, name, "allowed_ips"), value))
    dns = []
    for value in _topology._as_list(spec.get("dns")):
        text = value.strip() if isinstance(value, str) else None
        if text is None or not _DNS_NAME.fullmatch(text):
            raise ClientError("client %s: %s entry %r is neither an IP address nor a search domain"
                              % (name, _var(prefix, name, "dns"), value))
        dns.append(text)
    return allowed, full, dns


def _client_plan(net, name, spec, prefix):
    interface = net["interface"]
    routed, full, dns = check_settings(interface, name, spec, prefix)
    me = net["clients"][name]
    if not net["hubs"]:
        raise ClientError("client %s: network %s has no hub to connect to" % (name, interface))
    relay = me.get("hub") or net["hubs"][0]
    if full:
        routed = [p for v, p in ((4, "0.0.0.0/0"), (6, "::/0")) if v in me["versions"]]
    elif routed is None:
        # What a spoke's relay carries: the ranges and every LAN but those of the other hubs.
        others = set(lan for h in net["hubs"] if h != relay for lan in net["members"][h]["lans"])
        routed = list(net["ranges"]) + [lan for lan in site_lans(net, exclude=name) if lan not in others]

    # Like a spoke: every hub is a peer (they all have the client as a peer),
    # the chosen one first, carrying the ranges and the LANs.
    peers = []
    for hub in [relay] + [h for h in net["hubs"] if h != relay]:
        data = net["members"][hub]
        allowed = routed if hub == relay else [p for p in data["prefixes"] if p not in routed]
        peers.append({
            "name": hub,
            "public_key": data["public_key"],
            "endpoint": data["endpoint"],
            "allowed_ips": _topology._sort_prefixes(allowed),
            "persistent_keepalive": me["keepalive"],
        })

    addresses = []
    for value in me["addresses"]:
        ip = ipaddress.ip_interface(value).ip
        addresses.append("%s/%d" % (ip, ip.max_prefixlen))
    return {
        "network": interface,
        "name": name,
        "addresses": addresses,
        "dns": dns,
        "public_key": spec.get("public_key") or None,
        "peers": peers,
    }


def client_list(networks):
    """(network, name, public key or None) of every declared client, before
    any plan exists: what the key step needs. Every client's own settings
    are checked here, so clients.yml fails before any host changes."""
    result = []
    for interface in sorted(networks or {}):
        prefix = _prefix(interface, networks[interface])
        specs = (networks[interface] or {}).get("clients") or {}
        if not isinstance(specs, dict):
            raise ClientError("network %s: %s must be a mapping of client name to settings" % (interface, prefix))
        for name in sorted(specs):
            spec = specs[name] or {}
            check_settings(interface, name, spec, prefix)
            result.append({"network": interface, "name": str(name), "public_key": spec.get("public_key") or None})
    return result


def check_client(client):
    """An entry of client_plans as the wg_client_config action receives it
    (after its argument spec): names usable as file names, addresses, DNS,
    keys and peers well formed and single-line, so nothing can add a line
    to the config. Raises ClientError."""
    for key in ("network", "name"):
        value = client.get(key)
        if not isinstance(value, str) or not _FILE_NAME.fullmatch(value) or value in (".", ".."):
            raise ClientError("client.%s %r: it becomes a file name; use 1-64 letters, digits and _.-" % (key, value))
    label = "client %s of %s" % (client["name"], client["network"])
    if not client.get("addresses"):
        raise ClientError("%s: client.addresses is empty" % label)
    for value in client["addresses"]:
        try:
            if not _checks.single_line(value) or value != value.strip():
                raise ValueError(value)
            _wg_values.normalize_interface_address(value)
        except ValueError:
            raise ClientError("%s: client.addresses entry %r is not an address with a prefix length" % (label, value))
    for value in client.get("dns") or []:
        if not isinstance(value, str) or not _DNS_NAME.fullmatch(value):
            raise ClientError("%s: client.dns entry %r is neither an IP address nor a search domain" % (label, value))
    key = client.get("public_key")
    if key and not (_checks.single_line(key) and _wg_crypto.is_valid_key(key)):
        raise ClientError("%s: client.public_key is not a valid WireGuard public key" % label)
    for peer in client.get("peers") or []:
        if not isinstance(peer.get("name"), str) or not _checks.single_line(peer["name"]):
            raise ClientError("%s: a peer name %r is not one line of text" % (label, peer.get("name")))
        if not peer.get("public_key"):
            continue  # a hub whose key is not known yet (check mode)
        if not _checks.single_line(peer["public_key"]):
            raise ClientError("%s: the public key of peer %s holds a line break" % (label, peer["name"]))
        try:
            _wg_peers.normalize_peer(peer)
        except ValueError as exc:
            raise ClientError("%s: %s" % (label, exc))


def render_client_config(client, private_key=None, preshared_keys=None):
    """The wg-quick config of one client (see client_plans). private_key and
    preshared_keys (hub public key -> PSK) are secrets the caller read;
    without a private key the file carries a placeholder line to fill in."""
    preshared_keys = preshared_keys or {}
    out = ["# Managed by wgnet.wireguard (playbooks/clients.yml): client %s of %s.\n"
           % (client["name"], client["network"]),
           "[Interface]\n",
           ("PrivateKey = %s\n" % private_key) if private_key else PRIVATE_KEY_PLACEHOLDER + "\n",
           "Address = %s\n" % ", ".join(client["addresses"])]
    if client["dns"]:
        out.append("DNS = %s\n" % ", ".join(client["dns"]))
    for peer in client["peers"]:
        out.append(_wg_config.render_peer(peer, preshared_keys))
    return "".join(out)


def host_psks(plan, host, master):
    """The PSK files one host needs: a list of {interface, path, psk}, one
    per peer whose entry in the host's plan carries a preshared_key_path.
    SECRET: only a no_log task may hold the result."""
    plan = _topology.load_plan(plan)
    result = []
    for iface in _topology.host_interfaces(plan, host):
        own = plan["networks"][iface["interface"]]["members"][host]["public_key"]
        for peer in iface["peers"]:
            path = peer.get("preshared_key_path")
            if not path:
                continue
            if not own:
                raise ClientError("host %s: its public key on %s is not known yet, so its preshared keys cannot "
                                  "be derived; run the play without check mode first" % (host, iface["interface"]))
            result.append({"interface": iface["interface"], "path": path,
                           "psk": _psk.derive_psk(master, iface["interface"], own, peer["public_key"])})
    return result


# ---------------------------------------------------------------- controller files
def ensure_dirs(base, path, check_mode):
    """Every directory from base down to path's directory exists at 0700."""
    changed = False
    current = os.path.dirname(path)
    chain = []
    while True:
        chain.append(current)
        if os.path.abspath(current) == os.path.abspath(base) or current in ("", "/"):
            break
        current = os.path.dirname(current)
    for directory in reversed(chain):
        if _wg_files.ensure_dir(directory, DIR_MODE, check_mode):
            changed = True
    return changed
