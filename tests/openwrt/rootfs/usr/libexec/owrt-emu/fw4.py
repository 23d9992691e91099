# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test emulation of OpenWrt's firewall4 (``fw4``) (NOT shipped).

Renders the committed /etc/config/firewall to a ``table inet fw4`` nftables
ruleset shaped like the real fw4's and loads it with ``nft -f``.

Usage: fw4 [-q] start|restart|reload|stop|flush|print|check

Subset (see tests/openwrt/README.md): defaults (input/output/forward
policies, drop_invalid), zones (network -> devices through
/etc/config/network, device, input/output/forward policies, masq,
mtu_fix), forwardings, IPv4/any-family rules (src, dest, proto, src_ip,
dest_ip, src_port, dest_port, icmp_type, family, target, enabled).
Not rendered: IPv6-only rules, redirects, nat, ipsets, includes.
"""

from __future__ import annotations

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import uci  # noqa: E402  pylint: disable=wrong-import-position

RULESET_FILE = "/var/run/fw4.nft"
POLICIES = {"ACCEPT": "accept", "REJECT": "reject", "DROP": "drop"}


class FwError(Exception):
    pass


def as_list(value):
    if value is None:
        return []
    if isinstance(value, list):
        out = []
        for item in value:
            out.extend(item.split())
        return out
    return value.split()


def quote_set(items, quote=True):
    vals = ['"%s"' % i if quote else i for i in items]
    if len(vals) == 1:
        return vals[0]
    return "{ %s }" % ", ".join(vals)


def network_devices(netpkg, network):
    """The device(s) netifd would give a network: the interface name itself
    for proto wireguard, else its `device` (or legacy `ifname`) option."""
    if netpkg is None:
        return []
    sec = netpkg.get(network)
    if sec is None or sec.type != "interface":
        return []
    if sec.options.get("proto") == "wireguard":
        return [network]
    dev = sec.options.get("device") or sec.options.get("ifname")
    return as_list(dev)


def policy(value, default, where):
    value = (value or default).upper()
    if value not in POLICIES:
        raise FwError("%s: invalid policy %r (ACCEPT, REJECT or DROP)" % (where, value))
    return POLICIES[value]


class Zone:
    def __init__(self, sec, netpkg, defaults):
        opts = sec.options
        self.name = opts.get("name")
        if not self.name:
            raise FwError("zone %s has no name" % sec.name)
        self.devices = []
        for net in as_list(opts.get("network")):
            for dev in network_devices(netpkg, net):
                if dev not in self.devices:
                    self.devices.append(dev)
        for dev in as_list(opts.get("device")):
            if dev not in self.devices:
                self.devices.append(dev)
        where = "zone %s" % self.name
        self.input = policy(opts.get("input"), defaults["input"], where)
        self.output = policy(opts.get("output"), defaults["output"], where)
        self.forward = policy(opts.get("forward"), defaults["forward"], where)
        self.masq = opts.get("masq") == "1"
        self.mtu_fix = opts.get("mtu_fix") == "1"
        self.enabled = opts.get("enabled", "1") != "0"


def _ports(value):
    ports = as_list(value)
    return ports


def rule_match(opts):
    """(nft match expression, skip reason) for a rule/forwarding section."""
    family = opts.get("family", "any").lower()
    if family in ("ipv6", "inet6"):
        return None, "IPv6-only rule (not emulated)"
    parts = []
    if family in ("ipv4", "inet4"):
        parts.append("meta nfproto ipv4")
    for key, nft in (("src_ip", "saddr"), ("dest_ip", "daddr")):
        addrs = as_list(opts.get(key))
        if addrs:
            if any(":" in a for a in addrs):
                return None, "IPv6 address match (not emulated)"
            parts.append("ip %s %s" % (nft, quote_set(addrs, quote=False)))
    protos = [p.lower() for p in as_list(opts.get("proto", "tcpudp"))]
    if "tcpudp" in protos:
        protos = [p for p in protos if p != "tcpudp"] + ["tcp", "udp"]
    if any(p in ("all", "any", "*") for p in protos):
        protos = []
    sport, dport = _ports(opts.get("src_port")), _ports(opts.get("dest_port"))
    icmp_types = as_list(opts.get("icmp_type"))
    if sport or dport:
        l4 = [p for p in protos if p in ("tcp", "udp", "udplite", "sctp")]
        if not l4:
            return None, "ports without tcp/udp proto"
        if len(l4) == 1:
            prefix = l4[0]
        else:
            parts.append("meta l4proto %s" % quote_set(l4, quote=False))
            prefix = "th"
        if sport:
            parts.append("%s sport %s" % (prefix, quote_set([p.replace(":", "-") for p in sport], quote=False)))
        if dport:
            parts.append("%s dport %s" % (prefix, quote_set([p.replace(":", "-") for p in dport], quote=False)))
    elif protos:
        names = ["icmp" if p in ("icmp", "1") else p for p in protos]
        if names == ["icmp"] and icmp_types:
            if any("/" in t or t.isdigit() for t in icmp_types):
                return None, "numeric icmp_type (not emulated)"
            parts.append("icmp type %s" % quote_set(icmp_types, quote=False))
        else:
            parts.append("meta l4proto %s" % quote_set(names, quote=False))
    return " ".join(parts), None


def verdict(target, where):
    target = (target or "DROP").upper()
    if target == "ACCEPT":
        return "accept"
    if target == "REJECT":
        return "jump handle_reject"
    if target == "DROP":
        return "drop"
    raise FwError("%s: target %r not emulated (ACCEPT, REJECT or DROP)" % (where, target))


def render(fwpkg, netpkg):
    """The nftables ruleset text for a firewall package (uci.Package)."""
    dsec = next((s for s in fwpkg.sections if s.type == "defaults"), None)
    dopts = dsec.options if dsec else {}
    defaults = {k: (dopts.get(k) or "REJECT" if k != "output" else dopts.get(k) or "ACCEPT")
                for k in ("input", "output", "forward")}
    zones = []
    for sec in fwpkg.sections:
        if sec.type == "zone":
            zone = Zone(sec, netpkg, defaults)
            if zone.enabled:
                zones.append(zone)
    byname = {z.name: z for z in zones}
    notes = []
    rules_in, rules_out, rules_fwd = {}, {}, {}
    global_in, global_fwd = [], []

    for sec in fwpkg.sections:
        opts = sec.options
        if sec.type not in ("defaults", "zone", "forwarding", "rule"):
            notes.append("section %s (%s) not emulated" % (sec.name, sec.type))
            continue
        if sec.type == "forwarding":
            if opts.get("enabled", "1") == "0":
                continue
            src, dest = opts.get("src"), opts.get("dest")
            if src not in byname or dest not in byname:
                notes.append("forwarding %s->%s: unknown zone" % (src, dest))
                continue
            rules_fwd.setdefault(src, []).append(
                'jump accept_to_%s comment "!fw4: Accept %s to %s forwarding"' % (dest, src, dest))
        elif sec.type == "rule":
            if opts.get("enabled", "1") == "0":
                continue
            name = opts.get("name") or sec.name
            match, skip = rule_match(opts)
            if skip:
                notes.append("rule %s: %s" % (name, skip))
                continue
            src, dest = opts.get("src"), opts.get("dest")
            for z in (src, dest):
                if z not in (None, "*") and z not in byname:
                    raise FwError("rule %s: unknown zone %r" % (name, z))
            act = verdict(opts.get("target"), "rule %s" % name)
            comment = ' comment "!fw4: %s"' % name.replace('"', "'")
            if src and dest:
                if dest != "*":
                    devs = byname[dest].devices
                    if not devs:
                        continue
                    match = (match + " " if match else "") + "oifname %s" % quote_set(devs)
                line = "%s counter %s%s" % (match, act, comment) if match else "counter %s%s" % (act, comment)
                if src == "*":
                    global_fwd.append(line)
                else:
                    rules_fwd.setdefault(src, []).append(line)
            elif src:
                line = "%s counter %s%s" % (match, act, comment) if match else "counter %s%s" % (act, comment)
                if src == "*":
                    global_in.append(line)
                else:
                    rules_in.setdefault(src, []).append(line)
            elif dest and dest != "*":
                line = "%s counter %s%s" % (match, act, comment) if match else "counter %s%s" % (act, comment)
                rules_out.setdefault(dest, []).append(line)
            else:
                notes.append("rule %s: output rule without dest zone (not emulated)" % name)

    dpol = {k: policy(v, v, "defaults") for k, v in defaults.items()}
    out = []
    w = out.append
    w("# Generated by the wgnet OpenWrt emulation (tests only) from /etc/config/firewall")
    for note in notes:
        w("# skipped: %s" % note)
    w("table inet fw4")
    w("delete table inet fw4")
    w("")
    w("table inet fw4 {")

    def chain_head(name, hook, prio, pol):
        w("\tchain %s {" % name)
        w("\t\ttype filter hook %s priority %s; policy %s;" % (hook, prio, "accept" if pol == "accept" else "drop"))

    # input
    chain_head("input", "input", "filter", dpol["input"])
    w('\t\tiifname "lo" accept comment "!fw4: Accept traffic from loopback"')
    w('\t\tct state vmap { established : accept, related : accept } comment "!fw4: Handle inbound flows"')
    if dopts.get("drop_invalid") == "1":
        w('\t\tct state invalid drop comment "!fw4: Drop flows with invalid conntrack state"')
    for line in global_in:
        w("\t\t" + line)
    for z in zones:
        if z.devices:
            w('\t\tiifname %s jump input_%s comment "!fw4: Handle %s IPv4/IPv6 input traffic"'
              % (quote_set(z.devices), z.name, z.name))
    if dpol["input"] == "reject":
        w("\t\tjump handle_reject")
    w("\t}")
    w("")
    # forward
    chain_head("forward", "forward", "filter", dpol["forward"])
    w('\t\tct state vmap { established : accept, related : accept } comment "!fw4: Handle forwarded flows"')
    if dopts.get("drop_invalid") == "1":
        w('\t\tct state invalid drop comment "!fw4: Drop flows with invalid conntrack state"')
    for line in global_fwd:
        w("\t\t" + line)
    for z in zones:
        if z.devices:
            w('\t\tiifname %s jump forward_%s comment "!fw4: Handle %s IPv4/IPv6 forward traffic"'
              % (quote_set(z.devices), z.name, z.name))
    if dpol["forward"] == "reject":
        w("\t\tjump handle_reject")
    w("\t}")
    w("")
    # output
    chain_head("output", "output", "filter", dpol["output"])
    w('\t\toifname "lo" accept comment "!fw4: Accept traffic towards loopback"')
    w('\t\tct state vmap { established : accept, related : accept } comment "!fw4: Handle outbound flows"')
    for z in zones:
        if z.devices:
            w('\t\toifname %s jump output_%s comment "!fw4: Handle %s IPv4/IPv6 output traffic"'
              % (quote_set(z.devices), z.name, z.name))
    if dpol["output"] == "reject":
        w("\t\tjump handle_reject")
    w("\t}")
    w("")
    w("\tchain handle_reject {")
    w('\t\tmeta l4proto tcp reject with tcp reset comment "!fw4: Reject TCP traffic"')
    w('\t\treject comment "!fw4: Reject any other traffic"')
    w("\t}")
    for z in zones:
        devs = quote_set(z.devices) if z.devices else None
        w("")
        w("\tchain input_%s {" % z.name)
        for line in rules_in.get(z.name, []):
            w("\t\t" + line)
        w("\t\tjump %s_from_%s" % (z.input, z.name))
        w("\t}")
        w("")
        w("\tchain output_%s {" % z.name)
        for line in rules_out.get(z.name, []):
            w("\t\t" + line)
        w("\t\tjump %s_to_%s" % (z.output, z.name))
        w("\t}")
        w("")
        w("\tchain forward_%s {" % z.name)
        for line in rules_fwd.get(z.name, []):
            w("\t\t" + line)
        w("\t\tjump %s_to_%s" % (z.forward, z.name))
        w("\t}")
        for pol in ("accept", "reject", "drop"):
            act = {"accept": "accept", "reject": "jump handle_reject", "drop": "drop"}[pol]
            for direction, match in (("from", "iifname"), ("to", "oifname")):
                w("")
                w("\tchain %s_%s_%s {" % (pol, direction, z.name))
                if devs:
                    w('\t\t%s %s counter %s comment "!fw4: %s %s %s IPv4/IPv6 traffic"'
                      % (match, devs, act, pol.capitalize(), z.name, "from" if direction == "from" else "to"))
                w("\t}")
    # NAT: masquerade
    w("")
    w("\tchain srcnat {")
    w("\t\ttype nat hook postrouting priority srcnat; policy accept;")
    for z in zones:
        if z.masq and z.devices:
            w('\t\toifname %s jump srcnat_%s comment "!fw4: Handle %s IPv4/IPv6 srcnat traffic"'
              % (quote_set(z.devices), z.name, z.name))
    w("\t}")
    for z in zones:
        if z.masq and z.devices:
            w("")
            w("\tchain srcnat_%s {" % z.name)
            w('\t\tmeta nfproto ipv4 masquerade comment "!fw4: Masquerade IPv4 %s traffic"' % z.name)
            w("\t}")
    w("")
    w("\tchain mangle_forward {")
    w("\t\ttype filter hook forward priority mangle; policy accept;")
    for z in zones:
        if z.mtu_fix and z.devices:
            for match in ("iifname", "oifname"):
                w('\t\t%s %s tcp flags syn tcp option maxseg size set rt mtu comment "!fw4: Zone %s MTU fixing"'
                  % (match, quote_set(z.devices), z.name))
    w("\t}")
    w("}")
    return "\n".join(out) + "\n"


def load_packages(ctx=None):
    ctx = ctx or uci.Uci()
    fwpkg = ctx.load("firewall", with_delta=False)
    try:
        netpkg = ctx.load("network", with_delta=False)
    except uci.NotFound:
        netpkg = None
    return fwpkg, netpkg


def nft(args, text=None):
    return subprocess.run(["nft"] + args, input=text, capture_output=True, text=True, check=False)


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    quiet = False
    while argv and argv[0].startswith("-"):
        if argv.pop(0) == "-q":
            quiet = True
    cmd = argv[0] if argv else ""
    if cmd in ("stop", "flush"):
        res = nft(["delete", "table", "inet", "fw4"])
        return 0 if res.returncode == 0 or "No such file" in res.stderr else 1
    if cmd not in ("start", "restart", "reload", "print", "check", "boot"):
        sys.stderr.write(__doc__)
        return 1
    try:
        ruleset = render(*load_packages())
    except (FwError, uci.UciError) as exc:
        sys.stderr.write("Error: %s\n" % getattr(exc, "message", exc))
        return 1
    if cmd == "print":
        sys.stdout.write(ruleset)
        return 0
    if cmd == "check":
        res = nft(["-c", "-f", "-"], ruleset)
        sys.stderr.write(res.stderr)
        return 0 if res.returncode == 0 else 1
    os.makedirs(os.path.dirname(RULESET_FILE), exist_ok=True)
    with open(RULESET_FILE, "w", encoding="utf-8") as fh:
        fh.write(ruleset)
    res = nft(["-f", RULESET_FILE])
    if res.returncode != 0:
        sys.stderr.write(res.stderr)
        return 1
    if not quiet:
        for line in ruleset.splitlines():
            if line.startswith("# skipped: "):
                sys.stderr.write("Warning: %s\n" % line[len("# skipped: "):])
    return 0


if __name__ == "__main__":
    sys.exit(main())
