# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fake gateway host for the wg_gateway backends: stateful stand-ins for
`ip`, `nft`, `iptables-save/-restore`, `firewall-cmd`, `ufw` and `systemctl`
that read and change an in-memory firewall the way the real tools do (as far
as the backends use them), and a log of every command."""

from __future__ import annotations

import json
import os
import re
import shlex
import xml.etree.ElementTree as ET

READ_ONLY = ("list", "-save", "--get-default-zone", "--list-all-zones", "--list-all-policies", "show",
             "is-active", "address", "route")


class FakeHost(object):
    def __init__(self, root, tools=("nft", "iptables", "ip6tables", "firewall-cmd", "ufw", "systemctl", "ip"),
                 firewalld_active=False):
        self.root = str(root)
        self.tools = set(tools)
        self.firewalld_active = firewalld_active
        self.calls = []
        self.nft = None                  # chain -> {"header": (...), "rules": [comment]}
        self.ipt = {4: {}, 6: {}}        # version -> (table, chain) -> list of rule lines
        self.ufw = []                    # our rules, as `ufw show added` prints them
        self.fw_runtime = ({}, {})       # zones, policies as firewall-cmd reports them
        self.links = [{"ifname": "lo", "addr_info": [{"family": "inet", "local": "127.0.0.1", "prefixlen": 8,
                                                      "scope": "host"}]},
                      {"ifname": "eth0", "addr_info": [{"family": "inet", "local": "172.31.26.12", "prefixlen": 24,
                                                        "scope": "global"}]},
                      {"ifname": "eth1", "addr_info": [{"family": "inet", "local": "172.17.50.1", "prefixlen": 24,
                                                        "scope": "global"}]},
                      {"ifname": "wg0", "addr_info": [{"family": "inet", "local": "10.82.0.3", "prefixlen": 24,
                                                       "scope": "global"}]}]
        self.paths = dict((k, os.path.join(self.root, k)) for k in (
            "proc_sys", "state_dir", "systemd_dir", "firewalld_dir", "run_systemd"))
        self.paths["sysctl_file"] = os.path.join(self.root, "sysctl.d", "90-wgnet-gateway.conf")
        self.paths["ufw_conf"] = os.path.join(self.root, "ufw.conf")
        self.paths["old_iptables_script"] = os.path.join(self.root, "wgnet-gateway-iptables")
        os.makedirs(self.paths["run_systemd"])
        for key in ("net/ipv4/ip_forward", "net/ipv6/conf/all/forwarding", "net/ipv4/conf/eth1/proxy_arp"):
            path = os.path.join(self.paths["proc_sys"], key)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as handle:
                handle.write("0\n")
        for kind in ("zones", "policies"):
            os.makedirs(os.path.join(self.paths["firewalld_dir"], kind))

    # ------------------------------------------------------------ runner interface
    def which(self, name):
        base = {"iptables-save": "iptables", "iptables-restore": "iptables", "ip6tables-save": "ip6tables",
                "ip6tables-restore": "ip6tables"}.get(name, name)
        return "/usr/sbin/%s" % name if base in self.tools else None

    def changing_calls(self):
        return [c for c in self.calls if not any(word in " ".join(c) for word in READ_ONLY)]

    def __call__(self, argv, check=True, data=None):
        argv = list(argv)
        self.calls.append(argv)
        tool = os.path.basename(argv[0])
        rc, out, err = getattr(self, "_" + tool.replace("-", "_"))(argv[1:], data)
        if check and rc != 0:
            from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway.plan import GatewayError
            raise GatewayError("%s failed: %s" % (" ".join(argv), err))
        return rc, out, err

    # ------------------------------------------------------------ ip, systemctl
    def _ip(self, args, data):
        if "address" in args:
            return 0, json.dumps(self.links), ""
        return 0, json.dumps([{"dst": "default", "dev": "eth0"}] if "-4" in args else []), ""

    def _systemctl(self, args, data):
        if args[:2] == ["is-active", "--quiet"]:
            return (0 if self.firewalld_active else 3), "", ""
        if args[0] == "enable":
            wants = os.path.join(self.paths["systemd_dir"], "multi-user.target.wants")
            os.makedirs(wants, exist_ok=True)
            os.symlink(os.path.join(self.paths["systemd_dir"], args[1]), os.path.join(wants, args[1]))
        return 0, "", ""

    # ------------------------------------------------------------ nft
    def _nft(self, args, data):
        if args[:2] == ["-j", "list"]:
            if self.nft is None:
                return 1, "", "Error: No such file or directory"
            items = [{"metainfo": {}}, {"table": {"family": "inet", "name": "wgnet"}}]
            for name, chain in self.nft.items():
                kind, hook, prio, policy = chain["header"]
                items.append({"chain": {"family": "inet", "table": "wgnet", "name": name, "type": kind,
                                        "hook": hook, "prio": prio, "policy": policy}})
            handle = 1
            for name, chain in self.nft.items():
                for comment in chain["rules"]:
                    rule = {"family": "inet", "table": "wgnet", "chain": name, "handle": handle, "expr": []}
                    if comment is not None:
                        rule["comment"] = comment
                    items.append({"rule": rule})
                    handle += 1
            return 0, json.dumps({"nftables": items}), ""
        if args[0] == "-f":
            with open(args[1]) as handle:
                text = handle.read()
            self.nft = {}
            chain = None
            for line in text.splitlines():
                line = line.strip()
                m = re.match(r"chain (\S+) \{", line)
                if m:
                    chain = self.nft.setdefault(m.group(1), {"header": None, "rules": []})
                    continue
                m = re.match(r"type (\S+) hook (\S+) priority (-?\d+); policy (\S+);", line)
                if m and chain is not None:
                    chain["header"] = (m.group(1), m.group(2), int(m.group(3)), m.group(4))
                    continue
                m = re.search(r' comment "([^"]*)"$', line)
                if m and chain is not None:
                    chain["rules"].append(m.group(1))
            return 0, "", ""
        return 1, "", "unexpected nft call %s" % args

    # ------------------------------------------------------------ iptables
    def _save(self, version):
        out = []
        for table in ("filter", "nat"):
            chains = dict((c, r) for (t, c), r in self.ipt[version].items() if t == table)
            out += ["*%s" % table] + [":%s - [0:0]" % c for c in chains] + [r for c in chains for r in chains[c]]
            out.append("COMMIT")
        return "\n".join(out) + "\n"

    def _restore(self, version, data):
        table = None
        state = self.ipt[version]
        for line in data.splitlines():
            if line.startswith("*"):
                table = line[1:]
            elif line.startswith(":"):
                state[(table, line[1:].split()[0])] = []
            elif line.startswith("-A "):
                state.setdefault((table, line.split()[1]), []).append(line)
            elif line.startswith("-I "):
                words = line.split()
                state.setdefault((table, words[1]), []).insert(0, "-A %s -j %s" % (words[1], words[-1]))
            elif line.startswith("-D "):
                words = line.split()
                state[(table, words[1])].remove("-A %s -j %s" % (words[1], words[-1]))
        return 0, "", ""

    def _iptables_save(self, args, data):
        return 0, self._save(4), ""

    def _ip6tables_save(self, args, data):
        return 0, self._save(6), ""

    def _iptables_restore(self, args, data):
        return self._restore(4, data)

    def _ip6tables_restore(self, args, data):
        return self._restore(6, data)

    # ------------------------------------------------------------ ufw
    def _ufw(self, args, data):
        if args == ["show", "added"]:
            return 0, "Added user rules (see 'ufw status' for running firewall):\n" + "".join(
                r + "\n" for r in self.ufw), ""
        words = args[1:] if args[0] == "delete" else args
        # ufw prints the comment in single quotes, whatever it holds.
        line = "ufw " + " ".join("'%s'" % w if i and words[i - 1] == "comment" else shlex.quote(w)
                                 for i, w in enumerate(words))
        if args[0] == "delete":
            self.ufw.remove(line)
        else:
            self.ufw.append(line)
        return 0, "Rule added\n", ""

    # ------------------------------------------------------------ firewall-cmd
    def _firewall_cmd(self, args, data):
        zones, policies = self.fw_runtime
        if args == ["--get-default-zone"]:
            return 0, "public\n", ""
        if args == ["--reload"]:
            self.reload_firewalld()
            return 0, "success\n", ""
        target = zones if args == ["--list-all-zones"] else policies
        out = []
        for name, fields in target.items():
            out.append(name)
            out += ["  %s: %s" % kv for kv in fields.items()]
            out.append("")
        return 0, "\n".join(out) + "\n", ""

    def reload_firewalld(self):
        zones = {"public": {"target": "default", "interfaces": "", "forward": "yes"}}
        policies = {}
        base = self.paths["firewalld_dir"]
        for name in sorted(os.listdir(os.path.join(base, "zones"))):
            root = ET.parse(os.path.join(base, "zones", name)).getroot()
            zones[name[:-4]] = {"target": root.get("target"),
                                "interfaces": " ".join(i.get("name") for i in root.findall("interface")),
                                "forward": "yes" if root.find("forward") is not None else "no"}
        for name in sorted(os.listdir(os.path.join(base, "policies"))):
            root = ET.parse(os.path.join(base, "policies", name)).getroot()
            policies[name[:-4]] = {
                "priority": root.get("priority"), "target": root.get("target"),
                "ingress-zones": " ".join(z.get("name") for z in root.findall("ingress-zone")),
                "egress-zones": " ".join(z.get("name") for z in root.findall("egress-zone")),
                "ports": " ".join("%s/%s" % (p.get("port"), p.get("protocol")) for p in root.findall("port")),
                "masquerade": "yes" if root.find("masquerade") is not None else "no"}
        self.fw_runtime = (zones, policies)
