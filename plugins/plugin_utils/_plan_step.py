# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The wireguard role's plan step (the wg_plan action): which keys go into
the plan, what is recorded for later runs, and the moment a rotation
switches. Plain Python with no Ansible imports, unit tested directly."""

from __future__ import annotations

import json

import yaml

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_files
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _openwrt
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology

RECORD_HEADER = ("---\n"
                 "# Public keys recorded by wgnet.wireguard so runs with --limit keep every peer.\n"
                 "# Public keys only: private keys never leave their hosts.\n")


RECORD_FIX = ("fix it, or delete it and run the play without --limit so the keys are recorded again "
              "(wireguard_public_key_file)")
CLIENT_KEYS_FIX = ("fix it (interface: {client: public key}, as clients.yml writes it); deleting it makes "
                   "clients.yml generate new key pairs, and every client then needs its new config "
                   "(wireguard_clients_dir)")


def recorded_keys(path, what="the recorded public keys file", fix=RECORD_FIX):
    """The public keys recorded by earlier runs (wireguard_public_key_file),
    or those of the clients clients.yml generated (what and fix name that
    file), read and checked on the controller: interface -> host -> key. A
    missing file records nothing; a broken one fails naming the file and the fix."""
    try:
        text = _wg_files.read_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise _topology.PlanError("%s %s cannot be read (%s); %s" % (what, path, exc, fix))
    if not (text or "").strip():
        return {}
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = " at line %d, column %d" % (mark.line + 1, mark.column + 1) if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise _topology.PlanError("%s %s is not valid YAML%s (%s); %s" % (what, path, where, problem, fix))
    try:
        _topology.collect_public_keys({}, data)
    except _topology.PlanError as exc:
        raise _topology.PlanError("%s: %s" % (path, exc))
    return data or {}


def registered_keys(registered):
    """host -> this run's key results in wg_key's shape. A router registers
    its key script's output (key=value lines), read here."""
    shaped = {}
    for host, result in (registered or {}).items():
        if _openwrt.is_key_script_result(result):
            try:
                result = _openwrt.key_results(result)
            except _openwrt.OpenWrtError as exc:
                raise _openwrt.OpenWrtError("host %s: %s" % (host, exc))
        shaped[host] = result
    return shaped


def known_keys(registered, stored=None, clients=None):
    """interface -> host -> public key: the recorded keys, updated with this
    run's wg_key results (host -> registered loop result), plus the keys of
    the clients whose pairs the controller generated."""
    keys = _topology.collect_public_keys(registered, stored)
    for interface, names in (clients or {}).items():
        if isinstance(names, dict):
            keys.setdefault(interface, {}).update(names)
    return keys


def rotated_hosts(registered):
    """Hosts whose wg_key results say a key was replaced in this run."""
    return sorted(h for h, r in (registered or {}).items()
                  if any(i.get("rotated") for i in (r or {}).get("results", []) if isinstance(i, dict)))


def record_text(plan):
    """The public key file's content for a plan (public keys only)."""
    # Through JSON: plain str values, whatever string subclass the caller passed.
    keys = json.loads(json.dumps(_topology.plan_public_keys(plan)))
    return RECORD_HEADER + yaml.safe_dump(keys, default_flow_style=False, indent=4, sort_keys=True)


def missing_keys(plan):
    """interface -> hosts whose key the plan does not know (check mode)."""
    return dict((i, list(n["missing_keys"])) for i, n in sorted(plan["networks"].items()) if n.get("missing_keys"))


def dumps(plan):
    """The plan as the role carries it: one compact JSON string."""
    return json.dumps(plan, separators=(",", ":"), sort_keys=True)


def merge_probes(probes, reprobes):
    """host -> probe result: this run's first probe, replaced by a later one
    (the role's second phase reads the hubs again) where that one ran."""
    merged = dict(probes or {})
    for host, result in (reprobes or {}).items():
        if isinstance(result, dict) and result.get("now") is not None and not result.get("skipped"):
            merged[host] = result
    return merged


def nat_wait(plan, probes):
    """hub -> public keys of the members behind NAT it has not seen yet, for
    the hubs of this run (probes' hosts) in networks with pending NAT pairs.
    Only members of this run count: one that is down or outside --limit
    would not dial in, and waiting for it would cost every run 20 s."""
    wait = {}
    for net in plan["networks"].values():
        keys = [net["members"][n]["public_key"] for n in net.get("nat_pending") or () if n in (probes or {})]
        for hub in net["hubs"] if keys else ():
            if hub in (probes or {}):
                wait.setdefault(hub, [])
                wait[hub] += [k for k in keys if k not in wait[hub]]
    return wait


def changed_hosts(previous, plan, hosts):
    """Hosts of `hosts` whose interface plans differ between two plans."""
    previous = _topology.load_plan(previous)
    return sorted(h for h in hosts
                  if _topology.host_interfaces(previous, h) != _topology.host_interfaces(plan, h))


def direct_summary(plan):
    """interface -> sites (site -> members), site_unknown, nat_pairs (sorted
    name pairs), nat_symmetric, nat_pending, no_watchdog: what the plan report shows."""
    summary = {}
    for interface, net in sorted(plan["networks"].items()):
        sites, pairs = {}, set()
        for name in net["order"]:
            m = net["members"][name]
            if m.get("site") and name not in net["hubs"]:
                sites.setdefault(m["site"], []).append(name)
            for other, (path, _endpoint) in _topology.direct_paths(net, name).items():
                if path == "nat":
                    pairs.add(tuple(sorted((name, other))))
        if sites or net.get("nat_traversal"):
            summary[interface] = {"sites": sites, "site_unknown": list(net.get("site_unknown") or ()),
                                  "nat_pairs": [list(p) for p in sorted(pairs)],
                                  "nat_symmetric": list(net.get("nat_symmetric") or ()),
                                  "nat_pending": list(net.get("nat_pending") or ()),
                                  "no_watchdog": list(net.get("no_watchdog") or ())}
    return summary
