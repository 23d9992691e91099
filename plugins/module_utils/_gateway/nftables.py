# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""nftables: the collection owns the table `inet wgnet` and nothing else.

Each rule carries its own text as a comment, so the live table read with
`nft -j list table` maps back to the wanted rules exactly: a flushed chain, a
deleted table, a changed policy or a rule added by hand all show as a
difference. The table is replaced in one `nft -f` transaction."""

from __future__ import annotations

import hashlib
import json
import os

from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway.common import Backend
from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway.common import unit_text

TABLE = "wgnet"
# chain -> (type, hook, priority): filter is 0, srcnat 100.
CHAINS = {"input": ("filter", "input", 0), "forward": ("filter", "forward", 0),
          "postrouting": ("nat", "postrouting", 100)}


def comment_of(rule):
    """A rule's identity: its text without quotes, or a digest when too long."""
    text = rule.replace('"', "")
    if len(text) <= 120:
        return text
    return "wgnet %s" % hashlib.sha256(rule.encode("utf-8")).hexdigest()[:24]


def chain_header(kind, hook, prio, policy="accept"):
    return "type %s hook %s priority %d; policy %s;" % (kind, hook, prio, policy)


def wanted_chains(plan):
    """chain -> list of rule texts, in order."""
    chains = {}
    if plan["listen_ports"]:
        chains["input"] = ["udp dport { %s } accept" % ", ".join(str(p) for p in plan["listen_ports"])]
    chains["forward"] = ["ct state established,related accept"] + [
        'iifname "%s" oifname "%s" accept' % (r["in"], r["out"]) for r in plan["forward"]]
    masq = []
    for out in plan["masquerade_interfaces"]:
        for family, key in (("ip", "sources4"), ("ip6", "sources6")):
            if plan[key]:
                masq.append('%s saddr { %s } oifname "%s" masquerade' % (family, ", ".join(plan[key]), out))
    if masq:
        chains["postrouting"] = masq
    return chains


def render(chains):
    """The file `nft -f` loads: declaring then deleting the table first makes
    the load work whether or not it exists, all in one transaction."""
    lines = ["# Managed by wgnet.wireguard (wg_gateway); loaded atomically with nft -f.",
             "table inet %s {}" % TABLE, "delete table inet %s" % TABLE, "", "table inet %s {" % TABLE]
    for name in ("input", "forward", "postrouting"):
        if name not in chains:
            continue
        lines += ["\tchain %s {" % name, "\t\t%s" % chain_header(*CHAINS[name])]
        lines += ['\t\t%s comment "%s"' % (rule, comment_of(rule)) for rule in chains[name]]
        lines += ["\t}"]
    lines += ["}"]
    return "\n".join(lines) + "\n"


def parse_live(text, known):
    """section -> lines from `nft -j list table inet wgnet`; known maps a
    comment back to its rule text."""
    chains = {}
    order = []
    for item in json.loads(text).get("nftables", []):
        if "chain" in item:
            c = item["chain"]
            header = chain_header(c.get("type", "?"), c.get("hook", "?"), int(c.get("prio", 0)), c.get("policy", "accept")) \
                if "hook" in c else "regular chain"
            chains[c["name"]] = [header]
            order.append(c["name"])
        elif "rule" in item:
            r = item["rule"]
            comment = r.get("comment")
            line = known.get(comment) if comment else None
            if line is None:
                line = "rule not made by wgnet.wireguard (handle %s%s)" % (
                    r.get("handle"), ", comment %s" % comment if comment else "")
            chains.setdefault(r["chain"], []).append(line)
    return dict(("nftables chain %s" % name, lines) for name, lines in chains.items())


class NftablesBackend(Backend):
    name = "nftables"
    unit = "wgnet-gateway-nftables.service"

    def __init__(self, gateway):
        super(NftablesBackend, self).__init__(gateway)
        self.chains = wanted_chains(self.plan)
        self.file = os.path.join(self.paths["state_dir"], "gateway.nft")
        self.nft = self.bin("nft")

    def read(self):
        known = dict((comment_of(rule), rule) for rules in self.chains.values() for rule in rules)
        rc, out, err = self.run([self.nft, "-j", "list", "table", "inet", TABLE], check=False)
        if rc != 0:
            if "No such file" in err or "does not exist" in err:
                return {}
            self.run([self.nft, "-j", "list", "table", "inet", TABLE])  # raises with nft's message
        return parse_live(out, known)

    def wanted(self):
        return dict(("nftables chain %s" % name, [chain_header(*CHAINS[name])] + rules)
                    for name, rules in self.chains.items())

    def files(self):
        return [(self.file, render(self.chains), 0o644),
                (os.path.join(self.paths["systemd_dir"], self.unit),
                 unit_text(["ExecStart=%s -f %s" % (self.nft, self.file)]), 0o644)]

    def apply(self, live, wanted):
        self.run([self.nft, "-f", self.file])
