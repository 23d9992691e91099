# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The plan as people read it (playbooks/plan.yml): every host's peers and
AllowedIPs as a table, and the same as plain data for a JSON report.

Peers come from the planner's own expansion (_topology.host_plan). A member or
client whose public key is not known yet (never converged) is still listed,
marked as such: a preview before the first run shows the whole network.
"""

from __future__ import annotations

import copy

from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _plan_step
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _verify

# Stands in for a key the plan does not know yet; never shown as a key.
_UNKNOWN = "<unknown>"


def _with_placeholder_keys(net):
    """A copy of a network plan in which every member and client has a key,
    so host_plan lists all peers; and the names whose key was missing."""
    net = copy.deepcopy(net)
    unknown = set()
    for group in ("members", "clients"):
        for name, entry in (net.get(group) or {}).items():
            if not entry.get("public_key"):
                entry["public_key"] = _UNKNOWN
                unknown.add(name)
    return net, unknown


def hosts(plan, only=None):
    """host -> list of interface plans (interface, role, addresses, listen_port,
    forwarding, peers with name, allowed_ips, endpoint, persistent_keepalive
    and key_known), members in inventory order. `only`: limit to these hosts."""
    plan = _topology.load_plan(plan)
    result = {}
    for interface, net in sorted(plan["networks"].items()):
        net, unknown = _with_placeholder_keys(net)
        for host in net["order"]:
            if only is not None and host not in only:
                continue
            hp = _topology.host_plan(net, host)
            peers = []
            for peer in hp["peers"]:
                peers.append({
                    "name": peer["name"],
                    "public_key": None if peer["name"] in unknown else peer["public_key"],
                    "key_known": peer["name"] not in unknown,
                    "allowed_ips": list(peer["allowed_ips"]),
                    "endpoint": peer["endpoint"] or None,
                    "persistent_keepalive": peer["persistent_keepalive"],
                    "path": peer.get("path"),
                })
            result.setdefault(host, []).append({
                "interface": interface,
                "role": hp["role"],
                "addresses": list(hp["addresses"]),
                "listen_port": hp["listen_port"],
                "forwarding": hp["forwarding"],
                "key_known": host not in unknown,
                "peers": peers,
            })
    return result


def report(plan, only=None):
    """{'hosts': see hosts(), 'missing_keys': interface -> names whose public
    key is not known yet, 'table': the table as lines of text}."""
    plan = _topology.load_plan(plan)
    by_host = hosts(plan, only)
    rows = []
    for host in sorted(by_host, key=lambda h: _order(plan, h)):
        for iface in by_host[host]:
            # The host's columns only on its interface's first line, and one
            # prefix a line: narrow enough for the YAML callback not to fold.
            first = [host, iface["interface"], iface["role"], ", ".join(iface["addresses"])]
            if not iface["peers"]:
                rows.append(tuple(first + ["-", "-", "-", "-"]))
            for peer in iface["peers"]:
                prefixes = peer["allowed_ips"] or ["-"]
                rows.append(tuple(first + [
                    peer["name"] + ("" if peer["key_known"] else " *") + (" (%s)" % peer["path"] if peer["path"] else ""), prefixes[0], peer["endpoint"] or "-",
                    "%ds" % peer["persistent_keepalive"] if peer["persistent_keepalive"] else "-"]))
                first = ["", "", "", ""]
                rows += [("", "", "", "", "", prefix, "", "") for prefix in prefixes[1:]]
    header = ("host", "interface", "role", "address", "peer", "allowed_ips", "endpoint", "keepalive")
    lines = _verify._table(header, rows)
    missing = {}
    for interface, net in sorted(plan["networks"].items()):
        names = [n for n in net["order"] if not net["members"][n].get("public_key")]
        names += sorted(n for n, c in (net.get("clients") or {}).items() if not c.get("public_key"))
        if names:
            missing[interface] = names
    if missing:
        lines.append("")
        lines.append("* no public key yet (the first converge makes it): "
                     + "; ".join("%s %s" % (i, ", ".join(n)) for i, n in sorted(missing.items())))
    direct = _plan_step.direct_summary(plan)
    lines += _direct_lines(direct)
    count = sum(len(i["peers"]) for ifaces in by_host.values() for i in ifaces)
    lines.append("%d hosts, %d peer entries" % (len(by_host), count))
    return {"hosts": by_host, "missing_keys": missing, "direct_paths": direct, "table": lines}


def _direct_lines(direct):
    """Sites and NAT traversal below the table (docs/direct-paths.md)."""
    lines = []
    for interface, d in sorted(direct.items()):
        for site, names in sorted(d["sites"].items()):
            lines.append("%s site %s: %s peer directly (site)" % (interface, site, ", ".join(names)))
        if d["site_unknown"]:
            lines.append("%s site address unknown (not probed in this run; through the hub until a converge "
                         "probes it): %s" % (interface, ", ".join(d["site_unknown"])))
        if d.get("no_watchdog"):
            lines.append("%s no direct paths (no systemd, so no timer runs the watchdog there; through the hub): "
                         "%s" % (interface, ", ".join(d["no_watchdog"])))
        for a, b in d["nat_pairs"]:
            lines.append("%s NAT pair (nat): %s <-> %s" % (interface, a, b))
        if d["nat_symmetric"]:
            lines.append("%s behind a symmetric NAT (two hubs see two ports; they stay on the relay): %s"
                         % (interface, ", ".join(d["nat_symmetric"])))
        if d["nat_pending"]:
            lines.append("%s NAT endpoint not observed yet (a converge reads it from the hubs): %s"
                         % (interface, ", ".join(d["nat_pending"])))
    if lines:
        lines.insert(0, "")
    return lines


def _order(plan, host):
    """Sort key: hosts in the order of the first network that lists them."""
    for n, (_i, net) in enumerate(sorted(plan["networks"].items())):
        if host in net["order"]:
            return (n, net["order"].index(host))
    return (len(plan["networks"]), 0)
