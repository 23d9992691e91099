# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""iptables: the collection owns the chains WGNET-INPUT, WGNET-FORWARD and
WGNET-POSTROUTING (and their ip6tables twins) plus one jump to each.

The live rules come from `iptables-save`; a change is one `iptables-restore
--noflush` per family, which replaces the owned chains (a chain declaration
flushes it) and fixes the jumps in the same commit, leaving every other rule
alone."""

from __future__ import annotations

import os

from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway.common import Backend
from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway.common import unit_text

# (table, chain, parent)
CHAINS = (("filter", "WGNET-INPUT", "INPUT"), ("filter", "WGNET-FORWARD", "FORWARD"),
          ("nat", "WGNET-POSTROUTING", "POSTROUTING"))
TOOLS = {4: "iptables", 6: "ip6tables"}


def wanted_rules(plan, version, tables=("filter", "nat")):
    """(table, chain, parent) -> rule lines in iptables-save form."""
    sources = plan["sources4"] if version == 4 else plan["sources6"]
    rules = {
        CHAINS[0]: ["-A WGNET-INPUT -p udp -m udp --dport %d -j ACCEPT" % p for p in plan["listen_ports"]],
        CHAINS[1]: ["-A WGNET-FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"] + [
            "-A WGNET-FORWARD -i %s -o %s -j ACCEPT" % (r["in"], r["out"]) for r in plan["forward"]],
        CHAINS[2]: ["-A WGNET-POSTROUTING -s %s -o %s -j MASQUERADE" % (s, out)
                    for out in plan["masquerade_interfaces"] for s in sources],
    }
    return dict((k, v) for k, v in rules.items() if k[0] in tables)


def parse_save(text, chains):
    """{(table, chain, parent): (declared, rules, jumps)} from iptables-save output."""
    table = None
    declared = set()
    rules = {}
    jumps = {}
    for line in text.splitlines():
        if line.startswith("*"):
            table = line[1:].strip()
        elif line.startswith(":"):
            declared.add((table, line[1:].split()[0]))
        elif line.startswith("-A "):
            words = line.split()
            rules.setdefault((table, words[1]), []).append(line)
            if len(words) == 4 and words[2] == "-j":
                jumps.setdefault((table, words[1], words[3]), 0)
                jumps[(table, words[1], words[3])] += 1
    result = {}
    for key in chains:
        tbl, chain, parent = key
        result[key] = ((tbl, chain) in declared, rules.get((tbl, chain), []), jumps.get((tbl, parent, chain), 0))
    return result


def section(version, key):
    return "%s %s %s" % (TOOLS[version], key[0], key[1])


def restore_input(wanted, jumps=None):
    """iptables-restore --noflush input: owned chains re-declared (flushed)
    and filled; with jumps ({key: live count}) each jump made to appear once."""
    out = []
    for table in ("filter", "nat"):
        keys = [k for k in CHAINS if k in wanted and k[0] == table]
        if not keys:
            continue
        out.append("*%s" % table)
        out += [":%s - [0:0]" % k[1] for k in keys]
        for k in keys:
            out += wanted[k]
        for k in keys if jumps is not None else []:
            count = jumps.get(k, 0)
            if count == 0:
                out.append("-I %s 1 -j %s" % (k[2], k[1]))
            out += ["-D %s -j %s" % (k[2], k[1])] * max(count - 1, 0)
        out.append("COMMIT")
    return "\n".join(out) + "\n"


class IptablesBackend(Backend):
    name = "iptables"
    unit = "wgnet-gateway-iptables.service"
    tables = ("filter", "nat")

    def __init__(self, gateway):
        super(IptablesBackend, self).__init__(gateway)
        self.versions = [4, 6] if self.plan["ipv6"] else [4]
        self.rules = dict((v, wanted_rules(self.plan, v, self.tables)) for v in self.versions)
        self.live_jumps = {}

    def _file(self, version):
        return os.path.join(self.paths["state_dir"], "gateway.%s" % TOOLS[version])

    def read(self):
        result = {}
        for version in self.versions:
            rc, out, err = self.run([self.bin(TOOLS[version] + "-save")])
            parsed = parse_save(out, self.rules[version])
            self.live_jumps[version] = dict((k, v[2]) for k, v in parsed.items())
            for key, (declared, rules, jumps) in parsed.items():
                if declared:
                    result[section(version, key)] = [":%s" % key[1]] + rules
                if jumps:
                    result["%s %s %s jump" % (TOOLS[version], key[0], key[2])] = ["-A %s -j %s" % (key[2], key[1])] * jumps
        return result

    def wanted(self):
        result = {}
        for version in self.versions:
            for key, rules in self.rules[version].items():
                result[section(version, key)] = [":%s" % key[1]] + rules
                result["%s %s %s jump" % (TOOLS[version], key[0], key[2])] = ["-A %s -j %s" % (key[2], key[1])]
        return result

    def files(self):
        execs = []
        files = []
        for version in self.versions:
            path = self._file(version)
            files.append((path, "# Managed by wgnet.wireguard (wg_gateway)\n" + restore_input(self.rules[version]),
                          0o644))
            tool = self.bin(TOOLS[version])
            execs.append("ExecStart=%s -w --noflush %s" % (self.bin(TOOLS[version] + "-restore"), path))
            for table, chain, parent in self.rules[version]:
                execs.append("ExecStart=/bin/sh -c '%s -w -t %s -C %s -j %s || %s -w -t %s -I %s 1 -j %s'" % (
                    tool, table, parent, chain, tool, table, parent, chain))
        files.append((os.path.join(self.paths["systemd_dir"], self.unit), unit_text(execs), 0o644))
        return files

    def stale_files(self):
        return [self.paths["old_iptables_script"]]

    def apply(self, live, wanted):
        for version in self.versions:
            self.run([self.bin(TOOLS[version] + "-restore"), "-w", "--noflush"],
                     data=restore_input(self.rules[version], self.live_jumps[version]))
