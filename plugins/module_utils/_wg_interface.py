# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Backend of the wg_interface module: live reconcile of one WireGuard
interface plus its boot-time wg-quick config.

The interface is never restarted once it exists: differences are applied with
`wg set`, `ip address`, `ip link`, `ip route` and, for peers with a /0 in
their AllowedIPs, the policy rules wg-quick would add (`ip rule`, a route in
the table named by the fwmark, `sysctl net.ipv4.conf.all.src_valid_mark`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import socket
import time

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_config
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_crypto
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_direct
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_dump
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_full_tunnel
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_peers
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_values
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_files

CONFIG_MODE = 0o600
CONFIG_DIR_MODE = 0o700
# Preshared keys given to the module (preshared_keys) are kept here, one file
# per peer, for `wg set ... preshared-key <file>`: never on a command line.
PSK_DIR = "/etc/wireguard/psk"
USERSPACE_ENV = {
    "WG_QUICK_USERSPACE_IMPLEMENTATION": "wireguard-go",
    "WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD": "1",
}
# A switch_at further ahead than this is not waited for in full.
MAX_SWITCH_WAIT = 120
# A host whose own key is replaced holds its sending this long before its
# switch_at (the moment + 0.3 s): 0.1 s before its peers drop its old key
# (covers clock skew; held packets wait in WireGuard's queue of 128 a peer).
HOLD_LEAD = 0.4
DROPIN_TEMPLATE = (
    "# Managed by wgnet.wireguard: this host has no WireGuard kernel module,\n"
    "# so wg-quick runs the userspace implementation.\n"
    "[Service]\n"
    "Environment=WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go\n"
    "Environment=WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1\n"
)


def send_kick(ifname, address):
    """One empty UDP datagram to the discard port through ifname only: the
    tunnel sends a handshake initiation for it at once. Nothing is sent when
    the socket cannot be bound to the interface."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
        sock.sendto(b"", (address, 9))
    except OSError:
        pass
    finally:
        sock.close()


def psk_path(interface, peer_public_key, psk_dir=PSK_DIR):
    """Where a host keeps the PSK it shares with one peer. Named by a hash
    of the peer's public key: base64 has '/' and the key is not secret."""
    digest = hashlib.sha256(peer_public_key.encode("ascii")).hexdigest()[:16]
    return os.path.join(psk_dir, interface, digest + ".psk")


class WireGuardInterfaceError(Exception):
    """A failure reported to the user as the module's msg."""


class CommandRunner(object):
    """Runs argv lists with LANG=C through AnsibleModule.run_command."""

    def __init__(self, module):
        self.module = module

    def __call__(self, argv, check=True, env=None, data=None):
        environ = {"LANG": "C", "LC_ALL": "C"}
        environ.update(env or {})
        extra = {} if data is None else {"data": data}
        rc, out, err = self.module.run_command(argv, environ_update=environ, **extra)
        if check and rc != 0:
            raise WireGuardInterfaceError("%s failed (rc=%d): %s" % (" ".join(argv), rc, (err or out).strip()))
        return rc, out, err


_IFNAME = re.compile(r"[A-Za-z0-9_=+.-]{1,15}")
# (option, low, high): integer options and their kernel/wg ranges.
_INT_RANGES = (("listen_port", 0, 65535), ("mtu", 0, 65535), ("fwmark", 0, 0xFFFFFFFF))


def check_params(params):
    """Argument checks the argument spec cannot express; raise WireGuardInterfaceError.
    The name becomes a file name and a unit name: letters, digits and _=+.- only."""
    name = params.get("name")
    if not isinstance(name, str) or not _IFNAME.fullmatch(name) or name in (".", ".."):
        raise WireGuardInterfaceError("name %r: an interface name is 1-15 characters of letters, digits and _=+.-"
                                      % (name,))
    for option, low, high in _INT_RANGES:
        value = params.get(option)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise WireGuardInterfaceError("%s %r must be a number in %d-%d" % (option, value, low, high))
    addresses = params.get("addresses") or []
    if not isinstance(addresses, list):
        raise WireGuardInterfaceError("addresses must be a list of addresses with a prefix length")
    for option in ("private_key_path", "config_path"):
        value = params.get(option)
        if value is not None and (not isinstance(value, str) or _wg_peers._LINE_BREAKS.search(value)):
            raise WireGuardInterfaceError("%s %r must be a path on one line" % (option, value))
    peers = params.get("peers") or []
    if not isinstance(peers, list):
        raise WireGuardInterfaceError("peers must be a list of peer mappings")


class WireGuardInterface(object):
    def __init__(self, params, run, check_mode=False, paths=None):
        self.p = params
        self.name = params["name"]
        self.run = run
        self.check_mode = check_mode
        paths = paths or {}
        self.systemd_dir = paths.get("systemd_dir", "/etc/systemd/system")
        self.run_systemd = paths.get("run_systemd", "/run/systemd/system")
        self.sys_module = paths.get("sys_module", "/sys/module/wireguard")
        self.psk_dir = paths.get("psk_dir", PSK_DIR)
        self.wg_dir = paths.get("wg_dir", "/etc/wireguard")
        self.state_dir = paths.get("state_dir", _wg_direct.STATE_DIR)
        self.watchdog_script = paths.get("watchdog_script", _wg_direct.SCRIPT_PATH)
        self.watchdog_config = os.path.join(self.wg_dir, self.name + ".watchdog")
        self.watchdog_timer = "wgnet-watchdog@%s.timer" % self.name
        self.psk_files = {}
        self.config_path = params.get("config_path") or "/etc/wireguard/%s.conf" % self.name
        self.key_path = params.get("private_key_path") or "/etc/wireguard/%s.key" % self.name
        self.unit = "wg-quick@%s.service" % self.name
        self.dropin_path = os.path.join(self.systemd_dir, self.unit + ".d", "wgnet-userspace.conf")
        self.actions = []
        self.peer_plan = None
        self._resolved = {}
        self.send_kick = send_kick
        self.applied_at = None

    # ------------------------------------------------------------ reading
    def read_link(self):
        """Link facts from `ip -j -d addr show`, or None when absent."""
        rc, out, err = self.run(["ip", "-j", "-d", "address", "show", "dev", self.name], check=False)
        if rc != 0:
            if "does not exist" in err or "Cannot find device" in err:
                return None
            raise WireGuardInterfaceError("ip address show dev %s failed: %s" % (self.name, err.strip()))
        data = json.loads(out)[0]
        addresses = [
            "%s/%s" % (a["local"], a["prefixlen"])
            for a in data.get("addr_info", [])
            if a.get("scope") == "global"
        ]
        return {
            "kind": (data.get("linkinfo") or {}).get("info_kind"),
            "up": "UP" in data.get("flags", []),
            "mtu": data.get("mtu"),
            "addresses": sorted(_wg_values.normalize_interface_address(a) for a in addresses),
        }

    def read_routes(self):
        routes = []
        for family in ("-4", "-6"):
            _rc, out, _err = self.run(["ip", "-j", family, "route", "show", "dev", self.name, "table", "main"])
            for r in json.loads(out or "[]"):
                if r.get("protocol") == "kernel" or r.get("type") in ("multicast", "local", "broadcast"):
                    continue
                dst = r.get("dst")
                if dst == "default":
                    dst = "0.0.0.0/0" if family == "-4" else "::/0"
                routes.append(_wg_values.normalize_prefix(dst))
        return sorted(set(routes))

    def _read_json(self, argv, missing=None):
        """Run a read-only `ip -j` command. A failure whose message contains
        `missing` (or any failure, when missing is True) reads as empty: a table
        or IP family the kernel does not have."""
        rc, out, err = self.run(argv, check=False)
        if rc != 0:
            if missing is True or (missing and missing in err):
                return "[]"
            raise WireGuardInterfaceError("%s failed (rc=%d): %s" % (" ".join(argv), rc, (err or out).strip()))
        return out or "[]"

    def read_policy(self, tables, families):
        """Policy rules of both IP versions, the routes of the given tables and,
        for an IPv4 /0, src_valid_mark: what wg-quick's add_default sets up.

        `ip -4 route show table <t>` fails for a table never used
        ("FIB table does not exist"): that is an empty table."""
        rules, table_routes = {}, {}
        for version in (4, 6):
            fam = "-%d" % version
            # Without a /0 of this version a host without it (ipv6.disable=1) is fine.
            text = self._read_json(["ip", "-j", fam, "rule", "show"], missing=version not in families)
            rules[version] = _wg_full_tunnel.parse_rules(text)
            for table in tables:
                text = self._read_json(["ip", "-j", fam, "route", "show", "table", str(table)],
                                       missing=True if version not in families else "FIB table does not exist")
                table_routes[(version, table)] = _wg_full_tunnel.parse_table_routes(text, version)
        src_valid_mark = None
        if 4 in families:
            _rc, out, _err = self.run(["sysctl", "-n", _wg_full_tunnel.SRC_VALID_MARK], check=False)
            src_valid_mark = out.strip()
        return rules, table_routes, src_valid_mark

    def plan_policy(self, families, fwmark, live_fwmark, live_families):
        """(remove, add) argv lists for the /0 policy routing; see _wg_full_tunnel.plan_full_tunnel."""
        if not (families or live_fwmark or live_families):
            return [], []  # no full tunnel wanted and no trace of a former one: nothing to read
        table = _wg_full_tunnel.full_tunnel_table(fwmark)
        tables = _wg_full_tunnel.full_tunnel_tables(table, live_fwmark)
        rules, table_routes, src_valid_mark = self.read_policy(tables, families)
        try:
            return _wg_full_tunnel.plan_full_tunnel(self.name, families, table, live_fwmark, rules, table_routes,
                                                    src_valid_mark)
        except ValueError as exc:
            raise WireGuardInterfaceError("%s: %s" % (self.name, exc))

    def read_live(self):
        link = self.read_link()
        if link is None:
            return None
        rc, out, err = self.run(["wg", "show", self.name, "dump"], check=False)
        if rc != 0:
            raise WireGuardInterfaceError(
                "%s exists but `wg show %s dump` failed (%s); is it a WireGuard interface?"
                % (self.name, self.name, err.strip()))
        iface, peers = _wg_dump.parse_dump(out)
        link.update(iface)
        link["peers"] = peers
        link["routes"] = self.read_routes()
        return link

    # ------------------------------------------------------------ wanted state
    def wanted(self):
        key_text = _wg_files.read_text(self.key_path)
        if key_text is None and self.check_mode:
            # wg_key would create it in a real run; plan with a stand-in.
            key_text, own_public = "(generated on the host)", None
        elif key_text is None:
            raise WireGuardInterfaceError(
                "private key file %s does not exist on the host; create it first with "
                "wgnet.wireguard.wg_key (path=%s)" % (self.key_path, self.key_path))
        else:
            try:
                own_public = _wg_crypto.public_key(key_text.strip())
            except ValueError:
                raise WireGuardInterfaceError("%s is not a valid WireGuard private key" % self.key_path)
        try:
            peers = [_wg_peers.normalize_peer(p) for p in self.p.get("peers") or []]
            _wg_peers.check_allowed_ips_unique(peers)
            _wg_direct.check_watched(peers)
            addresses = sorted(set(_wg_values.normalize_interface_address(a) for a in self.p.get("addresses") or []))
        except ValueError as exc:
            raise WireGuardInterfaceError(str(exc))
        if own_public in [p["public_key"] for p in peers]:
            raise WireGuardInterfaceError("the interface's own public key is listed as a peer")
        psks = {}
        given = self.p.get("preshared_keys") or {}
        for peer in peers:
            key = peer["public_key"]
            if key in given:
                psk = str(given[key] or "").strip()
                if not _wg_crypto.is_valid_key(psk):
                    raise WireGuardInterfaceError("preshared_keys: the key given for peer %s is not a valid key "
                                                  "(44 base64 characters)" % (peer["name"] or _wg_crypto.fingerprint(key)))
                peer["preshared_key_path"] = peer["preshared_key_path"] or psk_path(self.name, key, self.psk_dir)
                self.psk_files[peer["preshared_key_path"]] = psk
                psks[key] = psk
                continue
            path = peer["preshared_key_path"]
            if path:
                text = _wg_files.read_text(path)
                if text is None and self.check_mode:
                    # The task that delivers it did not write it in check mode either.
                    psks[peer["public_key"]] = "(delivered by a real run)"
                    continue
                if text is None or not _wg_crypto.is_valid_key(text):
                    raise WireGuardInterfaceError(
                        "preshared key file %s of peer %s is missing or not a valid key"
                        % (path, peer["name"] or _wg_crypto.fingerprint(peer["public_key"])))
                psks[peer["public_key"]] = text.strip()
        iface = {
            "public_key": own_public,
            "addresses": addresses,
            "listen_port": self.p.get("listen_port"),
            "mtu": self.p.get("mtu"),
            "fwmark": self.p.get("fwmark"),
        }
        # The boot config has every watched peer on its relay: right after a
        # reboot (the watchdog's state is on tmpfs) and untouched by its flips.
        config = _wg_config.render_config(iface, _wg_direct.transform(peers, set()), key_text.strip(), psks)
        return iface, peers, psks, config

    def implementation(self, link):
        choice = self.p.get("implementation") or "auto"
        if choice != "auto":
            return choice
        if link is not None:
            return "kernel" if link["kind"] == "wireguard" else "userspace"
        if os.path.isdir(self.sys_module):
            return "kernel"
        rc, _out, _err = self.run(["modprobe", "-q", "wireguard"], check=False)
        if rc == 0:
            return "kernel"
        return "userspace"

    def _resolve(self, host, port):
        if (host, port) not in self._resolved:
            try:
                infos = socket.getaddrinfo(host, port, 0, socket.SOCK_DGRAM)
                self._resolved[(host, port)] = set(i[4][0] for i in infos)
            except socket.gaierror:
                self._resolved[(host, port)] = set()
        return self._resolved[(host, port)]

    # ------------------------------------------------------------ helpers
    def _do(self, argv, env=None):
        self.actions.append(" ".join(argv))
        if not self.check_mode:
            self.run(argv, env=env)

    def _systemd(self):
        return self.p.get("boot", True) and os.path.isdir(self.run_systemd)

    def _write_file(self, path, content, mode, dir_mode):
        """Write content if it differs (or fix the mode). True if changed."""
        current = _wg_files.read_text(path)
        if current == content:
            return _wg_files.ensure_mode(path, mode, self.check_mode)
        self.actions.append("write %s" % path)
        if not self.check_mode:
            _wg_files.ensure_dir(os.path.dirname(path), dir_mode)
            _wg_files.write_atomic(path, content, mode)
        return True

    def _remove_file(self, path):
        if os.path.exists(path):
            self.actions.append("remove %s" % path)
            if not self.check_mode:
                os.unlink(path)
            return True
        return False

    def _ensure_dropin(self, impl):
        if impl == "userspace":
            changed = self._write_file(self.dropin_path, DROPIN_TEMPLATE, 0o644, 0o755)
        else:
            changed = self._remove_file(self.dropin_path)
        if changed:
            self._do(["systemctl", "daemon-reload"])
        return changed

    def _ensure_enabled(self):
        rc, out, _err = self.run(["systemctl", "is-enabled", self.unit], check=False)
        if out.strip() != "enabled":
            self._do(["systemctl", "enable", self.unit])
            return True
        return False

    # ------------------------------------------------------------ present
    def present(self):
        check_params(self.p)
        iface, planned, psks, config = self.wanted()
        watched = any(_wg_direct.is_watched(p) for p in planned)
        with _wg_direct.StateLock(self.state_dir, self.name, create=watched and not self.check_mode):
            # The live state is the plan with the watchdog's decisions, so a
            # converge never undoes them (and a second one is unchanged).
            direct = _wg_direct.read_direct(os.path.join(self.state_dir, self.name + ".direct"))
            result = self._present(iface, _wg_direct.transform(planned, direct), psks, config)
        result["direct_paths"] = _wg_direct.states(planned, direct)
        if self._ensure_watchdog(planned):
            result["changed"] = True
        result["actions"] = self.actions
        return result

    def _present(self, iface, peers, psks, config):
        live = self.read_live()
        impl = self.implementation(live)
        fwmark = self._wanted_fwmark(iface, peers, live)
        before = self._summary_live(live, peers, fwmark)
        changed = False
        systemd = self._systemd()

        if self._write_file(self.config_path, config, CONFIG_MODE, CONFIG_DIR_MODE):
            changed = True
        if self._sync_psk_files(peers):
            changed = True
        if systemd and self._ensure_dropin(impl):
            changed = True

        created = False
        if live is None:
            changed = created = True
            if systemd:
                # wg-quick brings it up from the config just written, so the
                # unit is active and owns the interface from the first run.
                self._do(["systemctl", "restart", self.unit])
            elif impl == "kernel":
                self._do(["ip", "link", "add", "dev", self.name, "type", "wireguard"])
            else:
                self._do(["wireguard-go", self.name], env=USERSPACE_ENV)
            if not self.check_mode:
                live = self.read_live()
            if live is None:
                live = {"kind": None, "up": False, "mtu": None, "addresses": [], "routes": [],
                        "public_key": None, "listen_port": None, "fwmark": None, "peers": {}}

        if created and systemd and self.check_mode:
            pass  # wg-quick would configure it all from the config file, /0 policy routing included
        elif self._reconcile(iface, peers, psks, live):
            changed = True
        if systemd and self._ensure_enabled():
            changed = True

        psk_changed = set(p["public_key"] for p, fields in (self.peer_plan or {}).get("change", [])
                          if "preshared_key" in fields)
        after = _wg_peers.summarize(dict(iface, fwmark=fwmark),
                                    [dict(p, preshared_key_changed=True) if p["public_key"] in psk_changed else p
                                     for p in peers])
        plan = self.peer_plan
        if created:
            plan = {"add": peers, "remove": [], "change": []}
        return {
            "changed": changed,
            "created": created,
            "implementation": impl,
            "public_key": iface["public_key"],
            "config_path": self.config_path,
            "peers_added": [_wg_crypto.fingerprint(p["public_key"]) for p in plan["add"]],
            "peers_removed": [_wg_crypto.fingerprint(k) for k in plan["remove"]],
            "peers_changed": [_wg_crypto.fingerprint(p["public_key"]) for p, _f in plan["change"]],
            "actions": self.actions,
            "applied_at": self.applied_at,
            "diff": {"before": before, "after": after,
                     "before_header": "%s (live)" % self.name, "after_header": "%s (wanted)" % self.name},
        }

    def _ensure_watchdog(self, peers):
        """Install, update or remove the watchdog of this interface: its
        config, the shared script and systemd units, the enabled timer."""
        text = _wg_direct.watchdog_config(self.name, peers)
        if text is not None and not self._systemd():
            return False  # no systemd, no timer: nothing would run it
        if text is None:
            return self._remove_watchdog()
        changed = self._write_file(self.watchdog_script, _wg_direct.SCRIPT, 0o755, 0o755)
        units = False
        for unit, content in ((_wg_direct.UNIT_SERVICE, _wg_direct.SERVICE_TEXT),
                              (_wg_direct.UNIT_TIMER, _wg_direct.TIMER_TEXT)):
            units = self._write_file(os.path.join(self.systemd_dir, unit), content, 0o644, 0o755) or units
        if units:
            self._do(["systemctl", "daemon-reload"])
        changed = self._write_file(self.watchdog_config, text, CONFIG_MODE, CONFIG_DIR_MODE) or changed or units
        _rc, out, _err = self.run(["systemctl", "is-enabled", self.watchdog_timer], check=False)
        rc, _out, _err = self.run(["systemctl", "is-active", "--quiet", self.watchdog_timer], check=False)
        if out.strip() != "enabled" or rc != 0:
            self._do(["systemctl", "enable", "--now", self.watchdog_timer])
            changed = True
        return changed

    def _remove_watchdog(self):
        """This interface's watchdog off and its files gone; the shared script
        and units too once no interface has a watchdog config."""
        changed = False
        if os.path.isdir(self.run_systemd) and os.path.exists(self.watchdog_config):
            _rc, out, _err = self.run(["systemctl", "is-enabled", self.watchdog_timer], check=False)
            rc, _out, _err = self.run(["systemctl", "is-active", "--quiet", self.watchdog_timer], check=False)
            if out.strip() == "enabled" or rc == 0:
                self._do(["systemctl", "disable", "--now", self.watchdog_timer])
                changed = True
        changed = self._remove_file(self.watchdog_config) or changed
        for suffix in (".direct", ".status", ".samples"):
            changed = self._remove_file(os.path.join(self.state_dir, self.name + suffix)) or changed
        others = [n for n in os.listdir(self.wg_dir) if n.endswith(".watchdog")] if os.path.isdir(self.wg_dir) else []
        if not [n for n in others if n != self.name + ".watchdog"]:
            units = False
            for unit in (_wg_direct.UNIT_TIMER, _wg_direct.UNIT_SERVICE):
                units = self._remove_file(os.path.join(self.systemd_dir, unit)) or units
            if units and os.path.isdir(self.run_systemd):
                self._do(["systemctl", "daemon-reload"])
            changed = self._remove_file(self.watchdog_script) or units or changed
        return changed

    def _sync_psk_files(self, peers):
        """Write the PSK files of preshared_keys (0600 in 0700 directories)
        and remove the files of this interface's PSK directory that no peer
        uses any more (peers gone, or preshared keys turned off)."""
        changed = False
        if self.psk_files:
            changed = _wg_files.ensure_dir(self.psk_dir, CONFIG_DIR_MODE, self.check_mode) or changed
        for path, psk in sorted(self.psk_files.items()):
            if self._write_file(path, psk + "\n", CONFIG_MODE, CONFIG_DIR_MODE):
                changed = True
        in_use = set(p["preshared_key_path"] for p in peers if p["preshared_key_path"])
        own_dir = os.path.join(self.psk_dir, self.name)
        for name in sorted(os.listdir(own_dir)) if os.path.isdir(own_dir) else []:
            path = os.path.join(own_dir, name)
            if name.endswith(".psk") and path not in in_use and self._remove_file(path):
                changed = True
        return changed

    def _wanted_fwmark(self, iface, peers, live):
        """The fwmark to compare with the live one (None: leave it alone).

        The boot config carries FwMark only when the option is set; wg-quick
        then marks the interface itself when a peer has a /0, so a live run
        does the same rather than flap between runs or differ after a boot.
        """
        if not self.p.get("manage_routes", True):
            return iface.get("fwmark")
        live_fwmark = live.get("fwmark") if live else None
        return _wg_full_tunnel.effective_fwmark(iface.get("fwmark"), _wg_full_tunnel.default_route_families(peers), live_fwmark)

    def _reconcile(self, iface, peers, psks, live):
        changed = False
        manage_routes = self.p.get("manage_routes", True)
        fwmark = self._wanted_fwmark(iface, peers, live)

        policy_remove, policy_add = [], []
        if manage_routes:
            live_families = _wg_full_tunnel.default_route_families(list(live["peers"].values()))
            policy_remove, policy_add = self.plan_policy(
                _wg_full_tunnel.default_route_families(peers), iface.get("fwmark"), live.get("fwmark"), live_families)
        # Rules of a /0 going away go first, while WireGuard still marks its
        # own packets; rules of a new /0 come after the `wg set` that marks them.
        for argv in policy_remove:
            self._do(argv)

        def psk_matches(key, _path):
            return live["peers"][key]["preshared_key"] == psks.get(key)

        peer_plan = self.peer_plan = _wg_peers.plan_peers(peers, live["peers"], psk_matches, self._resolve)
        peer_plan = dict(peer_plan, add=_wg_peers.carry_endpoints(peer_plan["add"], peer_plan["remove"], live["peers"]))
        iface_changes = _wg_peers.plan_interface(dict(iface, fwmark=fwmark), live)
        argv = _wg_peers.wg_set_args(self.name, iface_changes, peer_plan, self.key_path)
        switched = bool(argv)
        if argv:
            if "private_key" in iface_changes and live["peers"]:
                self._hold()
            self._wait_for_switch()
            self._do(argv)
            changed = True
            if self.p.get("switch_at") is not None and not self.check_mode:
                self.applied_at = round(time.time(), 3)
        # After our own key changed, call every peer at once: they switched
        # just before us (the role gives us a later switch_at), so our
        # handshake meets their new entry for us.
        kick = peers if "private_key" in iface_changes else []

        add, remove = _wg_peers.plan_addresses(iface["addresses"], live["addresses"])
        for addr in remove:
            self._do(["ip", "address", "del", addr, "dev", self.name])
        for addr in add:
            self._do(["ip", "address", "add", addr, "dev", self.name])
        changed = changed or bool(add or remove)

        if iface.get("mtu") and iface["mtu"] != live["mtu"]:
            self._do(["ip", "link", "set", "dev", self.name, "mtu", str(iface["mtu"])])
            changed = True
        if not live["up"]:
            self._do(["ip", "link", "set", "dev", self.name, "up"])
            changed = True

        if self.p.get("manage_routes", True):
            wanted_routes = _wg_peers.wanted_routes(iface["addresses"], peers)
            add, remove = _wg_peers.plan_routes(wanted_routes, live["routes"], peers)
            for route in remove:
                self._do(["ip", "route", "del", route, "dev", self.name])
            for route in add:
                self._do(["ip", "route", "add", route, "dev", self.name])
            changed = changed or bool(add or remove)
        for argv in policy_add:
            self._do(argv)
        if switched and self.p.get("switch_at") is not None and not self.check_mode:
            for address in _wg_peers.kick_addresses(kick, iface["addresses"]):
                self.send_kick(self.name, address)
        return changed or bool(policy_remove or policy_add)

    def _hold(self):
        """Before the moment its peers drop this host's old key, a throwaway
        private key: WireGuard then stops sending in the old sessions (what
        it sends waits for the new key's handshake) but still receives in
        them, so nothing sent in a session the peers dropped is lost."""
        at = self.p.get("switch_at")
        if at is None or self.check_mode:
            return
        delay = float(at) - HOLD_LEAD - time.time()
        if delay > 0:
            time.sleep(min(delay, MAX_SWITCH_WAIT))
        throwaway = base64.b64encode(os.urandom(32)).decode("ascii")
        self.actions.append("wg set %s private-key <throwaway key: hold>" % self.name)
        self.run(["wg", "set", self.name, "private-key", "/dev/stdin"], data=throwaway)

    def _wait_for_switch(self):
        """Sleep until switch_at: every host of a rotation applies its `wg set`
        at the same moment, so no side waits for the other's next retry."""
        at = self.p.get("switch_at")
        if at is None or self.check_mode:
            return
        delay = float(at) - time.time()
        if delay > 0:
            time.sleep(min(delay, MAX_SWITCH_WAIT))

    def _summary_live(self, live, wanted_peers, fwmark=None):
        """Live state in the same secret-free form as the wanted summary.

        A live endpoint is shown as the wanted spelling when it matches, and
        not at all for peers whose endpoint is learned from their traffic.
        """
        if live is None:
            return ""
        wanted = dict((p["public_key"], p) for p in wanted_peers)
        peers = []
        for key, lp in live["peers"].items():
            wp = wanted.get(key)
            endpoint = lp["endpoint"]
            if wp is not None:
                if not wp["endpoint"]:
                    endpoint = None
                elif _wg_peers._endpoint_matches(wp["endpoint"], lp["endpoint"], self._resolve):
                    endpoint = wp["endpoint"]
            peers.append({
                "name": wp["name"] if wp else None,
                "public_key": key,
                "allowed_ips": lp["allowed_ips"],
                "endpoint": endpoint,
                "persistent_keepalive": lp["persistent_keepalive"],
                "preshared_key": bool(lp["preshared_key"]),
            })
        iface = {
            "public_key": live["public_key"],
            "addresses": live["addresses"],
            # Shown only where wanted, as the plan compares only those.
            "listen_port": live["listen_port"] if self.p.get("listen_port") else None,
            "mtu": live["mtu"] if self.p.get("mtu") else None,
            "fwmark": live["fwmark"] if fwmark is not None else None,
        }
        return _wg_peers.summarize(iface, peers)

    # ------------------------------------------------------------ absent
    def _full_tunnel_rules_to_drop(self):
        """The policy rules a live /0 left, removed before `ip link del` as
        `wg-quick down` does (the table route goes with the link)."""
        rc, out, _err = self.run(["wg", "show", self.name, "dump"], check=False)
        if rc != 0:
            return []
        iface, peers = _wg_dump.parse_dump(out)
        families = _wg_full_tunnel.default_route_families(list(peers.values()))
        if not (iface["fwmark"] and families):
            return []
        remove, _add = self.plan_policy([], iface["fwmark"], iface["fwmark"], families)
        return [argv for argv in remove if argv[2] == "rule"]

    def absent(self):
        check_params(self.p)
        changed = False
        link = self.read_link()
        before = "interface: %s\n" % self.name if link is not None or os.path.exists(self.config_path) else ""
        if self._systemd() or os.path.isdir(self.run_systemd):
            rc, out, _err = self.run(["systemctl", "is-enabled", self.unit], check=False)
            if out.strip() == "enabled":
                self._do(["systemctl", "disable", self.unit])
                changed = True
            rc, _out, _err = self.run(["systemctl", "is-active", "--quiet", self.unit], check=False)
            if rc == 0:
                # wg-quick down also removes the link and its routes.
                self._do(["systemctl", "stop", self.unit])
                changed = True
                link = None if self.check_mode else self.read_link()
            if self._remove_file(self.dropin_path):
                self._do(["systemctl", "daemon-reload"])
                changed = True
        if link is not None:
            for argv in self._full_tunnel_rules_to_drop():
                self._do(argv)
            self._do(["ip", "link", "del", "dev", self.name])
            changed = True
        if self._remove_file(self.config_path):
            changed = True
        own_dir = os.path.join(self.psk_dir, self.name)
        for name in sorted(os.listdir(own_dir)) if os.path.isdir(own_dir) else []:
            if name.endswith(".psk") and self._remove_file(os.path.join(own_dir, name)):
                changed = True
        if self._remove_watchdog():
            changed = True
        return {
            "changed": changed,
            "actions": self.actions,
            "config_path": self.config_path,
            "diff": {"before": before, "after": ""},
        }
