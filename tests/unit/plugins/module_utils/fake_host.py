# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fake Linux host for WireGuardInterface: the `run` callable it is given.

It keeps a small model of one interface (link, addresses, wg state, routes,
the wg-quick@ unit), the policy rules and numbered routing tables wg-quick
uses for a /0 peer and the src_valid_mark sysctl, and answers the read commands the backend issues
(`ip -j ... show`, `wg show <if> dump`, `systemctl is-enabled`, ...). Mutating
commands change the model the way the real tools would, so a second run shows
whether the first one converged. Every argv is recorded; any argv or env that
contains a registered secret raises AssertionError at once.
"""

from __future__ import annotations

import ipaddress
import json

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_crypto
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_values
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils import wg_quick

READ_ONLY = (
    ("ip", "-j"),
    ("wg", "show"),
    ("systemctl", "is-enabled"),
    ("systemctl", "is-active"),
    ("modprobe",),
    ("sysctl", "-n"),
)
DEFAULT_RULES = {
    4: [{"priority": 0, "table": "local"}, {"priority": 32766, "table": "main"},
        {"priority": 32767, "table": "default"}],
    6: [{"priority": 0, "table": "local"}, {"priority": 32766, "table": "main"}],
}
SRC_VALID_MARK = "net.ipv4.conf.all.src_valid_mark"


class CommandFailed(Exception):
    pass


class FakeHost(object):
    def __init__(self, name="wg0", config_path=None, dropin_path=None, kernel=True, resolve=None):
        self.name = name
        self.unit = "wg-quick@%s.service" % name
        self.config_path = config_path
        self.dropin_path = dropin_path
        self.kernel = kernel              # does `ip link add type wireguard` work?
        self.dns = resolve if resolve is not None else {}  # hostname -> address, shared with the test
        self.link = None
        self.wg = None
        self.routes = set()               # non-kernel routes on the device, normalized
        self.rules = {}                   # version -> [rule dicts], as `ip rule` keeps them
        self.tables = set()               # (table, prefix, dev): routes in numbered tables
        self.fib_tables = set()           # IPv4 tables that exist (shown without an error)
        self.sysctl = {}
        self.reset_policy()
        self.enabled = False
        self.active = False
        self.timers = {}                  # wgnet-watchdog@<if>.timer -> enabled and started
        self.loaded_dropin = None         # drop-in content systemd last loaded
        self.modprobe_rc = 1
        self.secrets = []
        self.calls = []
        self.envs = []
        self.failures = {}                # argv prefix tuple -> (rc, err)

    # ------------------------------------------------------------ set-up
    def add_link(self, kind="wireguard", up=True, mtu=1420, addresses=(), private_key=None, listen_port=None,
                 fwmark=None):
        self.link = {"kind": kind, "up": up, "mtu": mtu,
                     "addresses": [_wg_values.normalize_interface_address(a) for a in addresses],
                     "extra_addr_info": []}
        self.wg = {"private_key": private_key, "listen_port": listen_port, "fwmark": fwmark, "peers": {}}
        return self

    def add_peer(self, public_key, allowed_ips=(), endpoint=None, keepalive=0, psk=None, handshake=1700000000):
        self.wg["peers"][public_key] = {
            "psk": psk, "endpoint": endpoint,
            "allowed_ips": [_wg_values.normalize_prefix(p) for p in allowed_ips],
            "keepalive": keepalive, "handshake": handshake,
        }
        return self

    def add_routes(self, *routes):
        self.routes.update(_wg_values.normalize_prefix(r) for r in routes)
        return self

    def reset_policy(self):
        """Kernel defaults: three IPv4 rules, two IPv6 rules, src_valid_mark 0."""
        self.rules = dict((v, [dict(r) for r in rs]) for v, rs in DEFAULT_RULES.items())
        self.tables = set()
        self.fib_tables = set()
        self.sysctl = {SRC_VALID_MARK: "0"}
        return self

    def add_rule(self, version, table, priority=None, invert=False, fwmark=None, suppress_prefixlen=None,
                 **other):
        """`ip rule add`: without a priority the kernel takes the one of the
        second rule minus one, which puts the new rule ahead of all but local."""
        rules = self.rules[version]
        if priority is None:
            priority = rules[1]["priority"] - 1 if len(rules) > 1 and rules[1]["priority"] else 0
        rule = {"priority": priority, "table": str(table)}
        if invert:
            rule["not"] = True
        if fwmark is not None:
            rule["fwmark"] = fwmark
        if suppress_prefixlen is not None:
            rule["suppress_prefixlen"] = suppress_prefixlen
        rule.update(other)
        rules.append(rule)
        # the kernel keeps rules by priority; a new one goes before equal ones
        rules.sort(key=lambda r: (r["priority"], r is not rule))
        return self

    def add_table_route(self, table, prefix, dev=None):
        self.tables.add((int(table), _wg_values.normalize_prefix(prefix), dev or self.name))
        if ipaddress.ip_network(prefix).version == 4:
            self.fib_tables.add(int(table))
        return self

    def policy_state(self):
        """Everything a /0 touches, for comparing a live run with a boot."""
        return {
            "rules": dict((v, sorted(json.dumps(r, sort_keys=True) for r in rs)) for v, rs in self.rules.items()),
            "tables": sorted(self.tables),
            "sysctl": dict(self.sysctl),
            "fwmark": self.wg["fwmark"] if self.wg else None,
        }

    def reboot(self):
        """Power cycle: links, rules, tables and sysctls are gone; an enabled
        wg-quick@ unit brings the interface up again from its config."""
        self._down()
        self.active = False
        self.reset_policy()
        if self.enabled:
            self._wg_quick_up()
            self.active = True
        return self

    # ------------------------------------------------------------ views
    @property
    def mutations(self):
        return [c for c in self.calls if not self._is_read(c)]

    def mutation_strings(self):
        return [" ".join(c) for c in self.mutations]

    @staticmethod
    def _is_read(argv):
        return any(tuple(argv[:len(p)]) == p for p in READ_ONLY)

    # ------------------------------------------------------------ the runner
    def __call__(self, argv, check=True, env=None, data=None):
        argv = list(argv)
        self.stdin = data
        for secret in self.secrets:
            for arg in argv + list((env or {}).values()):
                assert secret not in str(arg), "secret passed on a command line: %r" % (argv,)
        self.calls.append(argv)
        self.envs.append(env)
        for prefix, (rc, err) in self.failures.items():
            if tuple(argv[:len(prefix)]) == prefix:
                return self._result(rc, "", err, check, argv)
        try:
            rc, out, err = self._dispatch(argv, env)
        except CommandFailed as exc:
            rc, out, err = 1, "", str(exc)
        return self._result(rc, out, err, check, argv)

    @staticmethod
    def _result(rc, out, err, check, argv):
        if check and rc != 0:
            raise CommandFailed("%s failed (rc=%d): %s" % (" ".join(argv), rc, err))
        return rc, out, err

    def _dispatch(self, argv, env):
        n = self.name
        if argv == ["ip", "-j", "-d", "address", "show", "dev", n]:
            return self._ip_addr_json()
        if argv[:3] == ["ip", "-j", "-4"] or argv[:3] == ["ip", "-j", "-6"]:
            version = 4 if argv[2] == "-4" else 6
            if argv[3:] == ["rule", "show"]:
                return 0, json.dumps([self._rule_json(r) for r in self.rules[version]]), ""
            if argv[3:6] == ["route", "show", "table"] and len(argv) == 7:
                return self._ip_table_json(version, int(argv[6]))
            assert argv[3:] == ["route", "show", "dev", n, "table", "main"], argv
            return self._ip_route_json(version)
        if argv[:2] in (["ip", "-4"], ["ip", "-6"]):
            return self._ip_family(4 if argv[1] == "-4" else 6, argv[2:])
        if argv[:2] == ["sysctl", "-n"] and len(argv) == 3:
            if argv[2] not in self.sysctl:
                raise CommandFailed("sysctl: cannot stat /proc/sys/%s: No such file or directory"
                                    % argv[2].replace(".", "/"))
            return 0, self.sysctl[argv[2]] + "\n", ""
        if argv[:2] == ["sysctl", "-q"] and len(argv) == 3:
            key, _sep, value = argv[2].partition("=")
            assert key in self.sysctl, argv
            self.sysctl[key] = value
            return 0, "", ""
        if argv == ["wg", "show", n, "dump"]:
            return self._wg_dump()
        if argv[:2] == ["wg", "set"]:
            assert argv[2] == n, argv
            self._wg_set(argv[3:])
            return 0, "", ""
        if argv == ["systemctl", "is-enabled", self.unit]:
            return (0, "enabled\n", "") if self.enabled else (1, "disabled\n", "")
        if argv == ["systemctl", "is-active", "--quiet", self.unit]:
            return (0, "", "") if self.active else (3, "", "")
        if argv[:1] == ["systemctl"] and argv[-1].startswith("wgnet-watchdog@"):
            return self._timer(argv[1:-1], argv[-1])
        if argv[:1] == ["systemctl"]:
            return self._systemctl(argv[1:])
        if argv == ["modprobe", "-q", "wireguard"]:
            if self.modprobe_rc == 0:
                self.kernel = True
            return self.modprobe_rc, "", ""
        if argv[:2] == ["ip", "address"] and len(argv) == 6 and argv[4:] == ["dev", n]:
            return self._ip_address(argv[2], argv[3])
        if argv[:3] == ["ip", "link", "add"]:
            assert argv[3:] == ["dev", n, "type", "wireguard"], argv
            if self.link is not None:
                raise CommandFailed("RTNETLINK answers: File exists")
            if not self.kernel:
                raise CommandFailed("Error: Unknown device type.")
            self.add_link(up=False)
            return 0, "", ""
        if argv[:5] == ["ip", "link", "set", "dev", n]:
            self._need_link()
            rest = argv[5:]
            if rest == ["up"]:
                self.link["up"] = True
            elif len(rest) == 2 and rest[0] == "mtu":
                self.link["mtu"] = int(rest[1])
            else:
                raise AssertionError("unexpected ip link set %r" % rest)
            return 0, "", ""
        if argv == ["ip", "link", "del", "dev", n]:
            self._need_link()
            self._down()
            return 0, "", ""
        if argv[:2] == ["ip", "route"] and len(argv) == 6 and argv[4:] == ["dev", n]:
            return self._ip_route(argv[2], argv[3])
        if argv == ["wireguard-go", n]:
            assert env and env.get("WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD") == "1", env
            self.add_link(kind="tun", up=False)
            return 0, "", ""
        raise AssertionError("fake host does not know %r" % (argv,))

    # ------------------------------------------------------------ reads
    def _need_link(self):
        if self.link is None:
            raise CommandFailed('Cannot find device "%s"' % self.name)

    def _ip_addr_json(self):
        if self.link is None:
            return 1, "", 'Device "%s" does not exist.\n' % self.name
        addr_info = []
        for a in self.link["addresses"]:
            iface = ipaddress.ip_interface(a)
            addr_info.append({
                "family": "inet" if iface.version == 4 else "inet6",
                "local": str(iface.ip), "prefixlen": iface.network.prefixlen, "scope": "global",
                "valid_life_time": 4294967295, "preferred_life_time": 4294967295})
        addr_info.extend(self.link["extra_addr_info"])
        flags = ["POINTOPOINT", "NOARP"] + (["UP", "LOWER_UP"] if self.link["up"] else [])
        data = [{
            "ifindex": 7, "ifname": self.name, "flags": flags, "mtu": self.link["mtu"], "qdisc": "noqueue",
            "operstate": "UNKNOWN" if self.link["up"] else "DOWN", "group": "default", "txqlen": 1000,
            "link_type": "none", "promiscuity": 0, "min_mtu": 0, "max_mtu": 2147483552,
            "linkinfo": {"info_kind": self.link["kind"]}, "num_tx_queues": 1, "num_rx_queues": 1,
            "addr_info": addr_info,
        }]
        return 0, json.dumps(data), ""

    def _connected(self):
        return [ipaddress.ip_interface(a).network for a in self.link["addresses"]]

    def _ip_route_json(self, version):
        self._need_link()
        rows = []
        if self.link["up"]:
            for net in self._connected():
                if net.version == version and net.prefixlen < net.max_prefixlen:
                    rows.append({"dst": str(net), "protocol": "kernel", "scope": "link", "flags": []})
        for r in sorted(self.routes):
            net = ipaddress.ip_network(r)
            if net.version != version:
                continue
            # ip prints host routes without the prefix length and /0 as "default"
            if net.prefixlen == 0:
                dst = "default"
            elif net.prefixlen == net.max_prefixlen:
                dst = str(net.network_address)
            else:
                dst = str(net)
            rows.append({"dst": dst, "scope": "link", "flags": []})
        if version == 6 and self.link["up"]:
            rows.append({"dst": "fe80::/64", "protocol": "kernel", "metric": 256, "flags": [], "pref": "medium"})
        return 0, json.dumps(rows), ""

    @staticmethod
    def _rule_json(rule):
        """A rule as `ip -j rule show` prints it (key order as iproute2 6.1)."""
        out = {"priority": rule["priority"]}
        if "not" in rule:
            out["not"] = None
        out["src"] = "all"
        for key, value in rule.items():
            if key in ("priority", "not", "table", "suppress_prefixlen"):
                continue
            out[key] = "0x%x" % value if key == "fwmark" and isinstance(value, int) else value
        out["table"] = rule["table"]
        if rule.get("suppress_prefixlen") is not None:
            out["suppress_prefixlen"] = rule["suppress_prefixlen"]
        return out

    def _ip_table_json(self, version, table):
        if version == 4 and table not in self.fib_tables:
            # iproute2 has printed the opening bracket when the kernel says no
            return 2, "[", "Error: ipv4: FIB table does not exist.\nDump terminated\n"
        rows = []
        for t, prefix, dev in sorted(self.tables):
            net = ipaddress.ip_network(prefix)
            if t != table or net.version != version:
                continue
            row = {"dst": "default" if net.prefixlen == 0 else str(net), "dev": dev, "scope": "link", "flags": []}
            if version == 6:
                row.update({"metric": 1024, "pref": "medium"})
            rows.append(row)
        return 0, json.dumps(rows), ""

    def _wg_dump(self):
        if self.link is None:
            return 1, "", "Unable to access interface: No such device\n"
        if self.wg is None:
            return 1, "", "Unable to access interface: Operation not supported\n"
        w = self.wg
        private = w["private_key"]
        lines = ["\t".join([
            private or "(none)",
            _wg_crypto.public_key(private) if private else "(none)",
            str(w["listen_port"] or 0),
            "0x%x" % w["fwmark"] if w["fwmark"] else "off",
        ])]
        for key, p in w["peers"].items():
            lines.append("\t".join([
                key, p["psk"] or "(none)", p["endpoint"] or "(none)",
                ",".join(p["allowed_ips"]) or "(none)",
                str(p["handshake"]), "1234", "5678", str(p["keepalive"]) if p["keepalive"] else "off",
            ]))
        return 0, "\n".join(lines) + "\n", ""

    # ------------------------------------------------------------ mutations
    def _resolve_endpoint(self, text):
        host, port = _wg_values.split_endpoint(text)
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if host not in self.dns:
                raise CommandFailed("Name or service not known: `%s'" % text)
            host = self.dns[host]
        return _wg_values.join_endpoint(host, port)

    @staticmethod
    def _read_key(path):
        with open(path) as f:
            text = f.read().strip()
        if not _wg_crypto.is_valid_key(text):
            raise CommandFailed("Key is not the correct length or format: `%s'" % path)
        return text

    def _set_allowed(self, key, prefixes):
        prefixes = [_wg_values.normalize_prefix(p) for p in prefixes]
        # WireGuard moves a prefix to the last peer that claims it.
        for other, p in self.wg["peers"].items():
            if other != key:
                p["allowed_ips"] = [a for a in p["allowed_ips"] if a not in prefixes]
        self.wg["peers"][key]["allowed_ips"] = prefixes

    def _wg_set(self, args):
        if self.wg is None:
            raise CommandFailed("Unable to modify interface: No such device")
        i = 0
        current = None
        while i < len(args):
            word = args[i]
            if word == "peer":
                current = args[i + 1]
                if not _wg_crypto.is_valid_key(current):
                    raise CommandFailed("Key is not the correct length or format: `%s'" % current)
                if i + 2 < len(args) and args[i + 2] == "remove":
                    self.wg["peers"].pop(current, None)
                    current = None
                    i += 3
                    continue
                self.wg["peers"].setdefault(current, {"psk": None, "endpoint": None, "allowed_ips": [],
                                                      "keepalive": 0, "handshake": 0})
                i += 2
                continue
            value = args[i + 1]
            if current is None:
                if word == "private-key" and value == "/dev/stdin":
                    if not _wg_crypto.is_valid_key((self.stdin or "").strip()):
                        raise CommandFailed("Key is not the correct length or format: `/dev/stdin'")
                    self.wg["private_key"] = self.stdin.strip()
                elif word == "private-key":
                    self.wg["private_key"] = self._read_key(value)
                elif word == "listen-port":
                    self.wg["listen_port"] = int(value) or None
                elif word == "fwmark":
                    self.wg["fwmark"] = None if value in ("off", "0") else int(value, 0)
                else:
                    raise AssertionError("unexpected wg set option %r" % word)
            else:
                p = self.wg["peers"][current]
                if word == "preshared-key":
                    p["psk"] = None if value == "/dev/null" else self._read_key(value)
                elif word == "endpoint":
                    p["endpoint"] = self._resolve_endpoint(value)
                elif word == "persistent-keepalive":
                    p["keepalive"] = 0 if value == "off" else int(value)
                elif word == "allowed-ips":
                    self._set_allowed(current, [v for v in value.split(",") if v.strip()])
                else:
                    raise AssertionError("unexpected wg set peer option %r" % word)
            i += 2

    def _ip_address(self, verb, addr):
        self._need_link()
        addr = _wg_values.normalize_interface_address(addr)
        if verb == "add":
            if addr in self.link["addresses"]:
                raise CommandFailed("RTNETLINK answers: File exists")
            self.link["addresses"].append(addr)
        elif verb == "del":
            if addr not in self.link["addresses"]:
                raise CommandFailed("RTNETLINK answers: Cannot assign requested address")
            self.link["addresses"].remove(addr)
        else:
            raise AssertionError("unexpected ip address %s" % verb)
        return 0, "", ""

    def _ip_route(self, verb, route):
        self._need_link()
        route = _wg_values.normalize_prefix(route)
        if verb == "add":
            if route in self.routes:
                raise CommandFailed("RTNETLINK answers: File exists")
            self.routes.add(route)
        elif verb == "del":
            if route not in self.routes:
                raise CommandFailed("RTNETLINK answers: No such process")
            self.routes.remove(route)
        else:
            raise AssertionError("unexpected ip route %s" % verb)
        return 0, "", ""

    def _ip_family(self, version, args):
        """`ip -4|-6 rule add|del ...` and `ip -4|-6 route add|del P dev D table T`."""
        if args[:1] == ["route"]:
            assert len(args) == 7 and args[3] == "dev" and args[5] == "table", args
            verb, prefix, dev, table = args[1], _wg_values.normalize_prefix(args[2]), args[4], int(args[6])
            assert ipaddress.ip_network(prefix).version == version, args
            entry = (table, prefix, dev)
            if verb == "add":
                if dev != self.name or self.link is None:
                    raise CommandFailed('Cannot find device "%s"' % dev)
                if any(t == table and p == prefix for t, p, _d in self.tables):
                    raise CommandFailed("RTNETLINK answers: File exists")
                self.add_table_route(table, prefix, dev)
            elif verb == "del":
                if entry not in self.tables:
                    raise CommandFailed("RTNETLINK answers: No such process")
                self.tables.remove(entry)
            else:
                raise AssertionError("unexpected ip route %r" % args)
            return 0, "", ""
        assert args[:1] == ["rule"] and args[1] in ("add", "del"), args
        verb, words = args[1], args[2:]
        spec = {"priority": None, "invert": False, "fwmark": None, "suppress_prefixlen": None, "table": None}
        i = 0
        while i < len(words):
            word = words[i]
            if word == "not":
                spec["invert"] = True
                i += 1
                continue
            value = words[i + 1]
            if word == "priority":
                spec["priority"] = int(value)
            elif word == "fwmark":
                spec["fwmark"] = int(value, 0)
            elif word == "table":
                spec["table"] = value
            elif word == "suppress_prefixlength":
                spec["suppress_prefixlen"] = int(value)
            else:
                raise AssertionError("unexpected ip rule selector %r" % word)
            i += 2
        assert spec["table"], args
        if verb == "add":
            self.add_rule(version, **spec)
            return 0, "", ""
        for rule in self.rules[version]:
            fwmark = rule.get("fwmark")
            if ((spec["priority"] is None or rule["priority"] == spec["priority"])
                    and rule["table"] == spec["table"] and ("not" in rule) == spec["invert"]
                    and (int(fwmark, 0) if isinstance(fwmark, str) else fwmark) == spec["fwmark"]
                    and rule.get("suppress_prefixlen") == spec["suppress_prefixlen"]):
                self.rules[version].remove(rule)
                return 0, "", ""
        raise CommandFailed("RTNETLINK answers: No such file or directory")

    def _timer(self, args, unit):
        on = self.timers.get(unit, False)
        if args == ["is-enabled"]:
            return (0, "enabled\n", "") if on else (1, "disabled\n", "")
        if args == ["is-active", "--quiet"]:
            return (0, "", "") if on else (3, "", "")
        if args in (["enable", "--now"], ["disable", "--now"]):
            self.timers[unit] = args[0] == "enable"
            return 0, "", ""
        raise AssertionError("unexpected systemctl %r %s" % (args, unit))

    def _systemctl(self, args):
        verb = args[0]
        if verb == "daemon-reload":
            assert args == ["daemon-reload"]
            self.loaded_dropin = _read(self.dropin_path) if self.dropin_path else None
            return 0, "", ""
        assert args[1:] == [self.unit], args
        if verb == "enable":
            self.enabled = True
        elif verb == "disable":
            self.enabled = False
        elif verb == "stop":
            if self.active:
                self._wg_quick_down()
            self.active = False
        elif verb == "restart":
            if self.active:
                self._wg_quick_down()
            self.active = False
            self._wg_quick_up()
            self.active = True
        else:
            raise AssertionError("unexpected systemctl %r" % args)
        return 0, "", ""

    def _down(self):
        """The link goes, and the kernel drops every route through it."""
        self.link = None
        self.wg = None
        self.routes = set()
        self.tables = set(r for r in self.tables if r[2] != self.name)

    def _wg_quick_down(self):
        """`wg-quick down` (its del_if): the /0 rules go when the live fwmark
        names a table and a peer still has a /0, then the link."""
        if self.link is not None and self.wg is not None and self.wg["fwmark"]:
            table = str(self.wg["fwmark"])
            if any(ipaddress.ip_network(p).prefixlen == 0
                   for peer in self.wg["peers"].values() for p in peer["allowed_ips"]):
                for version in (4, 6):
                    self.rules[version] = [
                        r for r in self.rules[version]
                        if r["table"] != table and not (r["table"] == "main" and r.get("suppress_prefixlen") == 0)]
        self._down()

    def _wg_quick_up(self):
        """What `wg-quick up` does with the config at config_path."""
        text = _read(self.config_path)
        if text is None:
            raise CommandFailed("wg-quick: `%s' does not exist" % self.config_path)
        userspace = not self.kernel
        if userspace and "WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go" not in (self.loaded_dropin or ""):
            raise CommandFailed("Error: Unknown device type. (no userspace override loaded)")
        conf = wg_quick.parse_config(text)
        i = conf["interface"]
        self.add_link(kind="tun" if userspace else "wireguard", up=False, mtu=int(i.get("mtu", 1420)),
                      addresses=i.get("address", []), private_key=i["privatekey"],
                      listen_port=int(i["listenport"]) if "listenport" in i else None,
                      fwmark=int(i["fwmark"], 0) if "fwmark" in i else None)
        for p in conf["peers"]:
            self.add_peer(p["publickey"], endpoint=self._resolve_endpoint(p["endpoint"]) if "endpoint" in p else None,
                          keepalive=int(p.get("persistentkeepalive", 0)), psk=p.get("presharedkey"), handshake=0)
            self._set_allowed(p["publickey"], p.get("allowedips", []))
        self.link["up"] = True
        connected = self._connected()
        for p in self.wg["peers"].values():
            for prefix in p["allowed_ips"]:
                net = ipaddress.ip_network(prefix)
                if net.prefixlen == 0:
                    self._add_default(net)
                    continue
                if any(net.version == c.version and net.subnet_of(c) for c in connected):
                    continue
                self.routes.add(str(net))

    def _add_default(self, net):
        """wg-quick's add_default (wireguard-tools 1.0.20210914) for one /0."""
        table = self.wg["fwmark"]
        if not table:
            table = 51820
            while any(t == table for t, _p, _d in self.tables):
                table += 1
            self.wg["fwmark"] = table
        self.add_table_route(table, str(net), self.name)
        self.add_rule(net.version, table, invert=True, fwmark=table)
        self.add_rule(net.version, "main", suppress_prefixlen=0)
        if net.version == 4:
            self.sysctl[SRC_VALID_MARK] = "1"
        # (the raw/mangle firewall rules it also adds are not modelled)


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except (FileNotFoundError, TypeError):
        return None
