# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""firewalld: the collection owns the zone of the WireGuard interfaces
(intra-zone forwarding relays peers) and the policies wgnet-listen (listen
ports), wgnet-out (tunnel to the LAN and egress zones, masquerade) and
wgnet-in (LAN to tunnel). They are written as permanent XML and loaded with
one `firewall-cmd --reload`; the runtime state read with --list-all-zones and
--list-all-policies is compared with the wanted one, so drift is repaired.
Interfaces stay in their zones, so the management connection is never cut."""

from __future__ import annotations

import os
from xml.sax.saxutils import quoteattr

from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway.common import Backend

POLICIES = ("wgnet-listen", "wgnet-out", "wgnet-in")


def parse_list_all(text):
    """name -> {field: value} from firewall-cmd --list-all-zones / --list-all-policies."""
    result = {}
    current = None
    for line in text.splitlines():
        if not line.strip():
            current = None
        elif not line[0].isspace():
            current = result.setdefault(line.split()[0], {})
        elif current is not None and ":" in line and line.startswith("  ") and not line.startswith("\t"):
            key, _sep, value = line.strip().partition(":")
            current[key] = value.strip()
    return result


def zone_of(zones, default_zone, interface):
    for name, fields in sorted(zones.items()):
        if interface in fields.get("interfaces", "").split():
            return name
    return default_zone


def _unique(items):
    out = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def wanted_policies(plan, zone, zones, default_zone):
    """The policies this gateway needs, each a dict of the fields firewalld reports."""
    out_zones = _unique(zone_of(zones, default_zone, i) for i in plan["out_interfaces"])
    lan_zones = _unique(zone_of(zones, default_zone, i) for i in plan["lan_interfaces"])
    policies = {}
    if plan["listen_ports"]:
        policies["wgnet-listen"] = {"description": "WireGuard listen ports of this host", "target": "CONTINUE",
                                    "ingress-zones": ["ANY"], "egress-zones": ["HOST"],
                                    "ports": ["%d/udp" % p for p in plan["listen_ports"]], "masquerade": False}
    if out_zones:
        policies["wgnet-out"] = {"description": "Tunnel traffic to the LAN and egress interfaces' zones",
                                 "target": "ACCEPT", "ingress-zones": [zone], "egress-zones": out_zones, "ports": [],
                                 "masquerade": bool(plan["masquerade_interfaces"])}
    if lan_zones:
        policies["wgnet-in"] = {"description": "LAN traffic into the tunnel", "target": "ACCEPT",
                                "ingress-zones": lan_zones, "egress-zones": [zone], "ports": [],
                                "masquerade": False}
    return policies


def policy_lines(p):
    return ["priority: -100", "target: %s" % p["target"], "ingress-zones: %s" % " ".join(p["ingress-zones"]),
            "egress-zones: %s" % " ".join(p["egress-zones"]), "ports: %s" % " ".join(p["ports"]),
            "masquerade: %s" % ("yes" if p["masquerade"] else "no")]


def live_policy_lines(fields):
    return ["priority: %s" % fields.get("priority", ""), "target: %s" % fields.get("target", ""),
            "ingress-zones: %s" % " ".join(sorted(fields.get("ingress-zones", "").split())),
            "egress-zones: %s" % " ".join(sorted(fields.get("egress-zones", "").split())),
            "ports: %s" % " ".join(sorted(fields.get("ports", "").split())),
            "masquerade: %s" % fields.get("masquerade", "")]


def zone_xml(zone, target, interfaces):
    xml_target = "%%REJECT%%" if target == "REJECT" else target
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<!-- Managed by wgnet.wireguard (wg_gateway) -->",
             "<zone target=%s>" % quoteattr(xml_target), "  <short>%s</short>" % zone,
             "  <description>WireGuard interfaces managed by wgnet.wireguard; forwarding between them relays "
             "peers.</description>"]
    lines += ["  <interface name=%s/>" % quoteattr(i) for i in interfaces]
    lines += ["  <forward/>", "</zone>"]
    return "\n".join(lines) + "\n"


def policy_xml(name, p):
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<!-- Managed by wgnet.wireguard (wg_gateway) -->",
             '<policy target="%s" priority="-100">' % p["target"], "  <short>%s</short>" % name,
             "  <description>%s (wgnet.wireguard)</description>" % p["description"]]
    lines += ["  <ingress-zone name=%s/>" % quoteattr(z) for z in p["ingress-zones"]]
    lines += ["  <egress-zone name=%s/>" % quoteattr(z) for z in p["egress-zones"]]
    lines += ['  <port protocol="udp" port="%s"/>' % port.split("/")[0] for port in p["ports"]]
    lines += ["  <masquerade/>"] if p["masquerade"] else []
    lines += ["</policy>"]
    return "\n".join(lines) + "\n"


class FirewalldBackend(Backend):
    name = "firewalld"
    unit = None

    def __init__(self, gateway):
        super(FirewalldBackend, self).__init__(gateway)
        self.cmd = self.bin("firewall-cmd")
        self.zone = self.params["firewalld_zone"]
        self.target = self.params["firewalld_zone_target"]
        self.policies = None

    def _zone_lines(self, target, interfaces, forward):
        return ["target: %s" % target, "interfaces: %s" % " ".join(sorted(interfaces)), "forward: %s" % forward]

    def read(self):
        default_zone = self.run([self.cmd, "--get-default-zone"])[1].strip()
        zones = parse_list_all(self.run([self.cmd, "--list-all-zones"])[1])
        policies = parse_list_all(self.run([self.cmd, "--list-all-policies"])[1])
        # Interfaces are looked up outside our own zone: a LAN is never ours.
        others = dict((k, v) for k, v in zones.items() if k != self.zone)
        self.policies = wanted_policies(self.plan, self.zone, others, default_zone)
        live = {}
        if self.zone in zones:
            z = zones[self.zone]
            live["firewalld zone %s" % self.zone] = self._zone_lines(
                z.get("target", ""), z.get("interfaces", "").split(), z.get("forward", ""))
        for name in POLICIES:
            if name in policies:
                live["firewalld policy %s" % name] = live_policy_lines(policies[name])
        return live

    def wanted(self):
        target = "%%REJECT%%" if self.target == "REJECT" else self.target
        result = {"firewalld zone %s" % self.zone: self._zone_lines(target, self.plan["wg_interfaces"], "yes")}
        for name, p in self.policies.items():
            p = dict(p, **{k: sorted(p[k]) for k in ("ingress-zones", "egress-zones", "ports")})
            result["firewalld policy %s" % name] = policy_lines(p)
        return result

    def _dir(self, kind):
        return os.path.join(self.paths["firewalld_dir"], kind)

    def files(self):
        files = [(os.path.join(self._dir("zones"), "%s.xml" % self.zone),
                  zone_xml(self.zone, self.target, self.plan["wg_interfaces"]), 0o644)]
        files += [(os.path.join(self._dir("policies"), "%s.xml" % name), policy_xml(name, p), 0o644)
                  for name, p in self.policies.items()]
        return files

    def stale_files(self):
        return [os.path.join(self._dir("policies"), "%s.xml" % name) for name in POLICIES if name not in self.policies]

    def reapply_on(self, written):
        return any(path.startswith(self.paths["firewalld_dir"]) for path in written)

    def apply(self, live, wanted):
        self.run([self.cmd, "--reload"])
