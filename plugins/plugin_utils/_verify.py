# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller side of playbooks/verify.yml and playbooks/status.yml.

verify: from the network plan, which addresses each member should reach
(expected) and which it should not (not expected, with the reason); the POSIX
shell that pings them from the host (no Python needed there, so OpenWrt
routers work too); and the matrix and report built from what the hosts
printed. status: the table of wg_info results.

A target is expected when the pinging host has a tunnel address of the
target's IP version and one of its peers' AllowedIPs covers the target (the
longest prefix wins, as in the kernel). Default routes (/0 of a full tunnel)
are not counted: they would make every address "expected".

Plain Python with no Ansible imports; the filters in plugins/filter/verify.py
are thin wrappers.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_crypto
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology

TARGETS_VAR = "wireguard_verify_targets"
_INET = re.compile(r"^\s*inet6?\s+([0-9A-Fa-f:.]+/\d+)", re.M)
_SENT = re.compile(r"(\d+) packets transmitted, (\d+) (?:packets )?received")
_RTT = re.compile(r"(?:rtt|round-trip) min/avg/max(?:/mdev)? = [\d.]+/([\d.]+)/")
# Pings started at once on a host; more wait for the next batch.
BATCH = 32


class VerifyError(ValueError):
    """An inventory problem, worded to name the host, the variable and the fix."""


def parse_ip_addr(text):
    """Interface addresses ('a.b.c.d/len') from `ip addr show` output
    (iproute2 or BusyBox)."""
    result = []
    for match in _INET.finditer(text or ""):
        try:
            result.append(ipaddress.ip_interface(match.group(1)))
        except ValueError:
            continue
    return result


def _extra_targets(hostvars, host):
    value = (hostvars.get(host) or {}).get(TARGETS_VAR) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise VerifyError("host %s: %s must be a list of IP addresses" % (host, TARGETS_VAR))
    result = []
    for item in value:
        try:
            result.append(ipaddress.ip_address(str(item).strip()))
        except ValueError:
            raise VerifyError("host %s: %s entry %r is not an IP address; list the addresses behind %s that "
                              "other members should reach, e.g. [192.168.1.10]" % (host, TARGETS_VAR, item, host))
    return result


class _Routes(object):
    """A host's WireGuard routing as the plan sets it up: longest-prefix match
    over every peer's AllowedIPs (without /0) on every interface."""

    def __init__(self, interfaces):
        self.by_len = {}
        self.versions = {}
        for iface in interfaces:
            self.versions[iface["interface"]] = set(
                ipaddress.ip_interface(a).version for a in iface["addresses"])
            for peer in iface["peers"]:
                for prefix in peer["allowed_ips"]:
                    net = ipaddress.ip_network(prefix)
                    if net.prefixlen == 0:
                        continue
                    key = (net.version, net.prefixlen)
                    self.by_len.setdefault(key, {}).setdefault(net, (iface["interface"], peer))
        self.lengths = sorted(self.by_len, key=lambda k: -k[1])

    def lookup(self, address):
        """(interface, peer) carrying an address, or None."""
        for version, length in self.lengths:
            if version != address.version:
                continue
            net = ipaddress.ip_network("%s/%d" % (address, length), strict=False)
            hit = self.by_len[(version, length)].get(net)
            if hit:
                return hit
        return None


def _row(host, owner, address, kind, interface, expected, reason, via=None):
    return {"from": host, "to": owner, "address": str(address) if address is not None else None, "kind": kind,
            "interface": interface, "via": via["name"] if via else None,
            "via_public_key": via["public_key"] if via else None, "expected": expected, "reason": reason}


def _routed(host, routes, owner, address, kind, what):
    """A row for a LAN or listed target: expected when a peer carries it."""
    hit = routes.lookup(address)
    if hit is None:
        return _row(host, owner, address, kind, None, False,
                    "no peer of %s carries %s (%s)" % (host, address, what))
    ifname, peer = hit
    if address.version not in routes.versions.get(ifname, ()):
        return _row(host, owner, address, kind, ifname, False,
                    "%s has no IPv%d address on %s" % (host, address.version, ifname))
    return _row(host, owner, address, kind, ifname, True, what, peer)


def host_targets(plan, host, addresses=None, hostvars=None):
    """Rows of what `host` should reach (expected) and should not.

    plan: the data of _topology.plan_networks (or its JSON string).
    addresses: host -> `ip addr show` output, to find each LAN gateway's own
    address inside its LAN (hosts missing here only lose that target).
    hostvars: host -> variables, for each member's wireguard_verify_targets:
    addresses behind that member (for example in its LAN) that every other
    member should reach when one of its peers carries them.
    """
    plan = _topology.load_plan(plan)
    addresses = addresses or {}
    hostvars = hostvars or {}
    networks = plan["networks"]
    mine = _topology.host_interfaces(plan, host)
    routes = _Routes(mine)
    rows, seen = [], set()

    def add(row):
        key = (row["to"], row["address"])
        if key not in seen:
            seen.add(key)
            rows.append(row)

    # Tunnel addresses: every other member's, in every network.
    for ifname, net in sorted(networks.items()):
        versions = routes.versions.get(ifname)
        for owner in net["order"]:
            if owner == host:
                continue
            for cidr in net["members"][owner]["addresses"]:
                address = ipaddress.ip_interface(cidr).ip
                if versions is None:
                    add(_row(host, owner, address, "tunnel", ifname, False,
                             "%s is not a member of %s" % (host, ifname)))
                elif address.version not in versions:
                    add(_row(host, owner, address, "tunnel", ifname, False,
                             "%s has no IPv%d address on %s" % (host, address.version, ifname)))
                else:
                    hit = routes.lookup(address)
                    if hit is None:
                        add(_row(host, owner, address, "tunnel", ifname, False,
                                 "no peer of %s carries %s" % (host, address)))
                    else:
                        add(_row(host, owner, address, "tunnel", hit[0], True, "tunnel address", hit[1]))
        for name, client in sorted(net.get("clients", {}).items()):
            for cidr in client["addresses"]:
                add(_row(host, name, ipaddress.ip_interface(cidr).ip, "client", ifname, False,
                         "unmanaged client (may be offline)"))

    # Site LANs: the gateway's own address inside each LAN it routes.
    members = []
    for _i, net in sorted(networks.items()):
        members += [m for m in net["order"] if m not in members]
    for ifname, net in sorted(networks.items()):
        for owner in net["order"]:
            if owner == host:
                continue
            own = parse_ip_addr(addresses.get(owner, ""))
            for lan in net["members"][owner]["lans"]:
                lan = ipaddress.ip_network(lan)
                inside = [a.ip for a in own if a.ip.version == lan.version and a.ip in lan]
                if not inside:
                    add(_row(host, owner, None, "lan", None, False,
                             "address of %s inside %s unknown (%s not in this run)" % (owner, lan, owner)))
                for address in inside:
                    add(_routed(host, routes, owner, address, "lan", "LAN %s of %s" % (lan, owner)))

    # Addresses listed by the user behind a member.
    for owner in members:
        if owner == host:
            continue
        for address in _extra_targets(hostvars, owner):
            add(_routed(host, routes, owner, address, "target", "%s of %s" % (TARGETS_VAR, owner)))
    # A watched peer (a site neighbour or NAT partner, issue 15): which relay
    # carries it while its direct path is down (host_results reads the live
    # allowed IPs to tell which one is in use).
    names = dict(((i["interface"], p["public_key"]), p["name"]) for i in mine for p in i["peers"])
    watched = dict(((i["interface"], p["public_key"]), p) for i in mine for p in i["peers"] if p.get("path"))
    for row in rows:
        peer = watched.get((row["interface"], row["via_public_key"]))
        row["watched"] = bool(peer)
        row["relay"] = names.get((row["interface"], peer["relay_public_key"])) if peer else None
    return rows


def targets(plan, hosts, addresses=None, hostvars=None):
    """host -> host_targets(...) for every host of `hosts` that is a member."""
    plan = _topology.load_plan(plan)
    members = set(m for net in plan["networks"].values() for m in net["members"])
    return dict((h, host_targets(plan, h, addresses, hostvars)) for h in hosts if h in members)


def ping_script(rows, count=2, timeout=1):
    """A POSIX sh script (BusyBox ash too) that pings every expected target of
    one host in parallel, then prints `now=<epoch>` and the latest handshakes.

    Each target's output is framed by `=== <index>`: the first line of
    `ip route get` (which device the kernel sends it out of), the ping
    summary and `rc=<n>`.
    Addresses come from the plan or were checked as IP literals, so they are
    safe to put on the command line.
    """
    count, timeout = int(count), int(timeout)
    deadline = count + timeout + 1
    lines = ['d=$(mktemp -d) || exit 1']
    expected = [(i, r) for i, r in enumerate(rows) if r["expected"]]
    for n, (i, row) in enumerate(expected):
        address = ipaddress.ip_address(row["address"])
        lines.append('( echo "route: $(ip route get %s 2>&1 | head -n 1)"; ping -%d -q -c %d -W %d -w %d %s 2>&1; '
                     'echo "rc=$?" ) >"$d/%d" &' % (address, address.version, count, timeout, deadline, address, i))
        if (n + 1) % BATCH == 0:
            lines.append("wait")
    lines.append("wait")
    if expected:
        lines.append('for f in %s; do echo "=== $f"; cat "$d/$f"; done' % " ".join(str(i) for i, _r in expected))
    lines.append('rm -rf "$d"')
    lines.append('echo "=== handshakes"')
    lines.append('echo "now=$(date +%s)"')
    lines.append('wg show all latest-handshakes 2>&1 || true')
    # Which watched peers carry their prefixes live (no key material: allowed-ips).
    lines.append('echo "=== allowed"')
    lines.append('wg show all allowed-ips 2>&1 || true')
    return "\n".join(lines) + "\n"


def parse_script_output(text):
    """({index: (rc, received, sent, rtt_ms, route device)}, now,
    {(interface, key): epoch})."""
    pings, handshakes, now = {}, {}, None
    section, body = None, []

    def close():
        if section is None or section in ("handshakes", "allowed"):
            return
        joined = "\n".join(body)
        rc = re.search(r"^rc=(\d+)", joined, re.M)
        sent = _SENT.search(joined)
        rtt = _RTT.search(joined)
        dev = re.search(r"^route: .*\bdev (\S+)", joined, re.M)
        pings[section] = (int(rc.group(1)) if rc else None,
                          int(sent.group(2)) if sent else 0, int(sent.group(1)) if sent else 0,
                          float(rtt.group(1)) if rtt else None, dev.group(1) if dev else None)

    for line in (text or "").splitlines():
        if line.startswith("=== "):
            close()
            name = line[4:].strip()
            section = name if name in ("handshakes", "allowed") else int(name)
            body = []
        elif section == "handshakes":
            if line.startswith("now="):
                now = int(line[4:].strip())
            else:
                fields = line.split("\t")
                if len(fields) == 3 and fields[2].strip().isdigit():
                    handshakes[(fields[0], fields[1])] = int(fields[2])
        elif section is not None and section != "allowed":
            body.append(line)
    close()
    return pings, now, handshakes


def live_allowed(text):
    """{(interface, key): True when the peer has allowed IPs live} from the
    script's `=== allowed` section (`wg show all allowed-ips`)."""
    carried, inside = {}, False
    for line in (text or "").splitlines():
        if line.startswith("=== "):
            inside = line[4:].strip() == "allowed"
        elif inside:
            fields = line.split("\t")
            if len(fields) == 3:
                carried[(fields[0], fields[1])] = fields[2].strip() not in ("", "(none)")
    return carried


def path_of(row, carried):
    """direct, via <hub> or via <hub> (fallback) for an expected row."""
    if not row.get("via"):
        return None
    if row["via"] != row["to"]:
        return "via %s" % row["via"]
    if not row.get("watched"):
        return "direct"
    live = carried.get((row["interface"], row["via_public_key"]))
    if live is None:
        return "direct (planned)"
    return "direct" if live else "via %s (fallback)" % row.get("relay")


def host_results(rows, output):
    """The rows of one host completed with status, loss, rtt and the handshake
    age of the peer that carries each target. output: the script's stdout, or
    None when the host gave none (it is then reported unreachable)."""
    if output is None:
        pings, now, handshakes = {}, None, {}
    else:
        pings, now, handshakes = parse_script_output(output)
    carried = live_allowed(output)
    result = []
    for i, row in enumerate(rows):
        row = dict(row)
        row.update({"status": "not expected", "received": None, "sent": None, "rtt_ms": None,
                    "route_device": None, "handshake_age": None,
                    "path": path_of(row, carried) if row["expected"] else None})
        if row["expected"]:
            rc, received, sent, rtt, dev = pings.get(i, (None, 0, 0, None, None))
            row.update({"received": received, "sent": sent, "rtt_ms": rtt, "route_device": dev})
            # An answer that did not cross the tunnel (another route won, or
            # the WireGuard interface is down) does not prove the path.
            misrouted = dev is not None and row["interface"] is not None and dev != row["interface"]
            row["status"] = "reachable" if received > 0 and not misrouted else "unreachable"
            if output is None:
                row["reason"] = "no answer from %s" % row["from"]
            elif rc is None:
                row["reason"] = "no ping result"
            elif misrouted:
                row["reason"] = "routed out of %s, not %s" % (dev, row["interface"])
            epoch = handshakes.get((row["interface"], row["via_public_key"]))
            if epoch and now:
                row["handshake_age"] = max(0, now - epoch)
        result.append(row)
    return result


def _age(seconds):
    if seconds is None:
        return "never"
    if seconds < 120:
        return "%ds" % seconds
    if seconds < 7200:
        return "%dm" % (seconds // 60)
    return "%dh" % (seconds // 3600)


def _table(header, rows):
    widths = [max([len(h)] + [len(r[n]) for r in rows]) for n, h in enumerate(header)]
    fmt = "  ".join("%%-%ds" % w for w in widths)
    out = [(fmt % tuple(header)).rstrip(), "  ".join("-" * w for w in widths)]
    out += [(fmt % tuple(r)).rstrip() for r in rows]
    return out


def report(targets_by_host, outputs):
    """The verification report: every row with its status, the counts, the
    failed paths and the matrix as lines of text.

    targets_by_host: host -> rows (see targets()); outputs: host -> the ping
    script's stdout, or the registered result of the raw task that ran it (a
    host missing here, failed or unreachable did not answer).
    """
    rows = []
    for host in sorted(targets_by_host):
        output = (outputs or {}).get(host)
        if isinstance(output, dict):
            failed = output.get("failed") or output.get("unreachable") or output.get("skipped")
            output = None if failed else output.get("stdout")
        rows += host_results(targets_by_host[host], output)
    kinds = ("tunnel", "lan", "target", "client")
    rows.sort(key=lambda r: (r["from"], kinds.index(r["kind"]), r["to"], r["address"] or ""))
    counts = {"expected": 0, "reachable": 0, "unreachable": 0, "not_expected": 0}
    for row in rows:
        counts["expected"] += row["expected"]
        counts[row["status"].replace(" ", "_")] += 1
    failed = ["%s -> %s %s (%s)" % (r["from"], r["to"], r["address"], r["reason"])
              for r in rows if r["status"] == "unreachable"]
    header = ("from", "to", "address", "kind", "path", "status", "rtt", "handshake")
    lines = _table(header, [(
        r["from"], r["to"], r["address"] or "-", r["kind"], r.get("path") or "-",
        r["status"],
        "%.1f ms" % r["rtt_ms"] if r["rtt_ms"] is not None else "-",
        _age(r["handshake_age"]) if r["via"] and r["expected"] else "-") for r in rows])
    # Reasons below the table: in a column they would widen every line past
    # what the YAML callback prints unfolded.
    reasons = []
    for r in rows:
        if not r["expected"]:
            line = "not expected: %s %s: %s" % (r["to"], r["address"] or "-", r["reason"])
            if line not in reasons:
                reasons.append(line)
    lines.append("")
    lines += reasons
    lines.append("%(expected)d expected paths: %(reachable)d reachable, %(unreachable)d unreachable; "
                 "%(not_expected)d not expected" % counts)
    return {"ok": not failed, "counts": counts, "failed": failed, "rows": rows, "table": lines}


def status_table(infos):
    """Lines of a table from wg_info results: host -> {interfaces: ...}."""
    rows = []
    for host in sorted(infos):
        for ifname, iface in sorted(((infos[host] or {}).get("interfaces") or {}).items()):
            for peer in iface["peers"]:
                rows.append((host, ifname, peer.get("friendly_name") or _wg_crypto.fingerprint(peer["public_key"]),
                             peer.get("endpoint") or "-", _age(peer.get("latest_handshake_age")),
                             _bytes(peer.get("transfer_rx")), _bytes(peer.get("transfer_tx"))))
    return _table(("host", "interface", "peer", "endpoint", "handshake", "rx", "tx"), rows)


def _bytes(value):
    value = value or 0
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return ("%d %s" % (value, unit)) if unit == "B" else ("%.1f %s" % (value, unit))
        value /= 1024.0
    return str(value)
