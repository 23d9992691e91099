# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Full-tunnel (AllowedIPs /0) policy routing, planned the way wg-quick(8) sets it up.

Private module_utils: the API may change."""

from __future__ import annotations

import ipaddress
import json

from ansible_collections.wgnet.wireguard.plugins.module_utils._wg_values import normalize_prefix


# wg-quick(8) routes a /0 not in the main table but through policy routing
# (its add_default): the interface's fwmark doubles as a routing table number,
# 51820 unless a FwMark is configured, and
#     wg set <if> fwmark <table>                 (only when no FwMark is set)
#     ip -4 route add 0.0.0.0/0 dev <if> table <table>
#     ip -4 rule add not fwmark <table> table <table>
#     ip -4 rule add table main suppress_prefixlength 0
#     sysctl -q net.ipv4.conf.all.src_valid_mark=1
# and the same with -6 for ::/0 (no sysctl). Everything not marked (all but
# WireGuard's own UDP packets) goes to the table, whose only route is the
# tunnel; the suppress rule, which the kernel places ahead of the other one,
# lets every more specific route of the main table (LAN, management network)
# win first. The functions below plan that state so that a live run and a
# boot through wg-quick end up with the same rules, routes and fwmark.
DEFAULT_TABLE = 51820
SRC_VALID_MARK = "net.ipv4.conf.all.src_valid_mark"
_RULE_KEYS = frozenset(("priority", "src", "table", "not", "fwmark", "fwmask", "suppress_prefixlen", "protocol"))


def default_route_families(peers):
    """IP versions (4, 6) for which some peer's AllowedIPs holds a /0."""
    families = set()
    for peer in peers:
        for prefix in peer["allowed_ips"]:
            net = ipaddress.ip_network(prefix)
            if net.prefixlen == 0:
                families.add(net.version)
    return sorted(families)


def full_tunnel_table(fwmark):
    """The table wg-quick uses for a /0: the configured fwmark, else 51820."""
    return fwmark if fwmark else DEFAULT_TABLE


def effective_fwmark(fwmark, families, live_fwmark):
    """The fwmark the live interface should carry, as it would after `wg-quick up`.

    fwmark is the user's option (None: unset). With a /0 peer wg-quick marks
    the interface with its table even when no FwMark is configured (and when
    it is 0), so that is wanted here too. Without one, a mark of 51820 can only
    be left from a former full tunnel, and a boot would not set it: it is
    turned off (0). Otherwise None means: leave the live mark alone.
    """
    if families:
        return full_tunnel_table(fwmark)
    if fwmark is None and live_fwmark == DEFAULT_TABLE:
        return 0
    return fwmark


def parse_rules(text):
    """Parse `ip -j -4|-6 rule show` into dicts with priority, table, invert,
    fwmark, suppress_prefixlen and `other` (any further selector: src, iif,
    a partial mask, ...; such rules are never taken for wg-quick's)."""
    rules = []
    for r in json.loads(text or "[]"):
        mask = r.get("fwmask")
        fwmark = r.get("fwmark")
        rules.append({
            "priority": int(r.get("priority", 0)),
            "table": str(r.get("table", "")),
            "invert": "not" in r,
            "fwmark": int(str(fwmark), 0) if fwmark is not None else None,
            "suppress_prefixlen": r.get("suppress_prefixlen"),
            "other": (any(k not in _RULE_KEYS for k in r) or r.get("src", "all") != "all"
                      or (mask is not None and int(str(mask), 0) != 0xffffffff)),
        })
    return rules


def parse_table_routes(text, version):
    """Parse `ip -j -4|-6 route show table <t>` into sorted (prefix, dev) pairs
    (dev is None for unreachable/blackhole routes)."""
    routes = []
    for r in json.loads(text or "[]"):
        dst = r.get("dst")
        if dst == "default":
            dst = "0.0.0.0/0" if version == 4 else "::/0"
        if not dst:
            continue
        routes.append((normalize_prefix(dst), r.get("dev")))
    return sorted(routes, key=lambda x: (x[0], x[1] or ""))


def _is_mark_rule(rule, table=None):
    """wg-quick's `not fwmark <t> table <t>` (for table t, or for any t)."""
    return (rule["invert"] and not rule["other"] and rule["fwmark"] is not None
            and rule["suppress_prefixlen"] is None and rule["table"] == str(rule["fwmark"])
            and (table is None or rule["fwmark"] == table))


def _is_suppress_rule(rule):
    """wg-quick's `table main suppress_prefixlength 0`."""
    return (not rule["invert"] and not rule["other"] and rule["fwmark"] is None
            and rule["table"] == "main" and rule["suppress_prefixlen"] == 0)


def full_tunnel_tables(table, live_fwmark):
    """Tables to inspect: the wanted one and the one a live mark points at."""
    tables = [table]
    if live_fwmark and live_fwmark != table:
        tables.append(live_fwmark)
    return tables


def _default_of(version):
    return "0.0.0.0/0" if version == 4 else "::/0"


def plan_full_tunnel(name, families, table, live_fwmark, rules, table_routes, src_valid_mark=None):
    """Policy-routing commands for /0 peers, as wg-quick's add_default.

    name: the interface. families: IP versions with a /0 wanted. table: the
    wanted table, full_tunnel_table(fwmark option). live_fwmark: the live mark
    (it names the table a former setup used) or None. rules: {4: [...], 6:
    [...]} from parse_rules. table_routes: {(version, table): [(prefix, dev)]}
    for every table of full_tunnel_tables(). src_valid_mark: the live value of
    net.ipv4.conf.all.src_valid_mark (read only when 4 is in families).

    Returns (remove, add), lists of argv. `remove` must run before the `wg set`
    that drops the /0 or the mark and `add` after the one that sets them, so
    that WireGuard's own packets are marked whenever the rules are in place.
    Only state that belongs to this interface is removed: a table whose
    default route goes through it, or the table its live mark names when no
    other interface routes through that table. The shared suppress rule goes
    only with the last mark rule of its IP version.

    wg-quick also installs raw/mangle firewall rules against spoofed packets to
    the tunnel addresses; they are not planned here (only routing is), so a
    live run does without them until the next `wg-quick up`.

    Raises ValueError when the wanted table already holds routes of another
    interface: wg-quick would pick another number at boot, and the live run
    and the boot would disagree.
    """
    remove, add = [], []
    for version in (4, 6):
        fam = "-%d" % version
        live = rules.get(version, [])
        removed = set()
        for t in full_tunnel_tables(table, live_fwmark):
            if t == table and version in families:
                continue
            routes = table_routes.get((version, t), [])
            mine = [p for p, dev in routes if dev == name and ipaddress.ip_network(p).prefixlen == 0]
            others = [dev for v in (4, 6) for _p, dev in table_routes.get((v, t), []) if dev != name]
            if not (mine or (live_fwmark == t and not others)):
                continue
            for r in live:
                if _is_mark_rule(r, t):
                    removed.add(id(r))
                    remove.append(["ip", fam, "rule", "del", "priority", str(r["priority"]),
                                   "not", "fwmark", str(t), "table", str(t)])
            for prefix in mine:
                remove.append(["ip", fam, "route", "del", prefix, "dev", name, "table", str(t)])
        if removed and not any(_is_mark_rule(r) and id(r) not in removed for r in live):
            # The last mark rule takes the shared suppress rule(s) with it; a
            # /0 moving to another table gets a fresh one with its new rule.
            for r in live:
                if _is_suppress_rule(r):
                    remove.append(["ip", fam, "rule", "del", "priority", str(r["priority"]),
                                   "table", "main", "suppress_prefixlength", "0"])
        if version not in families:
            continue

        routes = table_routes.get((version, table), [])
        others = sorted(set(dev or "(no device)" for v in (4, 6)
                            for _p, dev in table_routes.get((v, table), []) if dev != name))
        if others:
            raise ValueError(
                "routing table %d, which this interface needs for its %s route, already holds routes of %s; "
                "set fwmark to a free table number (wg-quick uses the fwmark as the table)"
                % (table, _default_of(version), ", ".join(others)))
        if (_default_of(version), name) not in routes:
            add.append(["ip", fam, "route", "add", _default_of(version), "dev", name, "table", str(table)])
        marks = [r["priority"] for r in live if _is_mark_rule(r, table)]
        if not marks:
            # The kernel puts a rule without priority ahead of all others, so
            # adding them in this order leaves the suppress rule first.
            add.append(["ip", fam, "rule", "add", "not", "fwmark", str(table), "table", str(table)])
            add.append(["ip", fam, "rule", "add", "table", "main", "suppress_prefixlength", "0"])
        elif not any(_is_suppress_rule(r) and r["priority"] < min(marks) for r in live):
            add.append(["ip", fam, "rule", "add", "table", "main", "suppress_prefixlength", "0"])
        if version == 4 and str(src_valid_mark).strip() != "1":
            add.append(["sysctl", "-q", "%s=1" % SRC_VALID_MARK])
    return remove, add
