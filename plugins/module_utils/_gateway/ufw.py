# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ufw: the listen ports and the routed traffic become ufw rules marked with
the comment `wgnet.wireguard` (read back with `ufw show added`), so ufw's own
policies (often `deny (routed)` on Ubuntu servers) let the tunnel through.
ufw cannot masquerade from its commands, so the NAT stays in the collection's
iptables chain WGNET-POSTROUTING, which ufw leaves alone."""

from __future__ import annotations

import shlex

from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway.common import MARK
from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway.iptables import IptablesBackend

SECTION = "ufw rules"


def wanted_commands(plan):
    """The rules as `ufw show added` prints them."""
    lines = ["ufw allow %d/udp comment '%s'" % (port, MARK) for port in plan["listen_ports"]]
    lines += ["ufw route allow in on %s out on %s comment '%s'" % (r["in"], r["out"], MARK) for r in plan["forward"]]
    return lines


def parse_added(text):
    """Our rules from `ufw show added`, sorted: allow rules do not depend on order."""
    return sorted(line.strip() for line in text.splitlines()
                  if line.startswith("ufw ") and line.rstrip().endswith("comment '%s'" % MARK))


class UfwBackend(IptablesBackend):
    name = "ufw"
    unit = "wgnet-gateway-iptables.service"
    tables = ("nat",)

    def read(self):
        result = super(UfwBackend, self).read()
        rc, out, err = self.run([self.bin("ufw"), "show", "added"])
        rules = parse_added(out)
        if rules:
            result[SECTION] = rules
        return result

    def wanted(self):
        result = super(UfwBackend, self).wanted()
        result[SECTION] = sorted(wanted_commands(self.plan))
        return result

    def apply(self, live, wanted):
        ufw = self.bin("ufw")
        if any(k != SECTION and live.get(k) != v for k, v in wanted.items()):
            super(UfwBackend, self).apply(live, wanted)
        have = live.get(SECTION) or []
        want = wanted[SECTION]
        for line in have:
            if line not in want:
                self.run([ufw, "delete"] + shlex.split(line)[1:])
        for line in want:
            if line not in have:
                self.run([ufw] + shlex.split(line)[1:])
