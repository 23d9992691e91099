# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller-side OpenWrt support: the UCI sections the collection wants on a
router, compared with what the router reported, turned into a `uci batch`
and a list of live operations the router's shell script runs.

The router runs no Python: a shell script prints `uci export` of network and
firewall (secrets redacted on the router), this module decides, and a second
shell script applies the batch and the operations. Nothing here sees a
private key.

Ownership: the collection owns
- network.<if> (type interface), but only its proto/addresses/listen_port/mtu
  options; private_key is set on the router and never read or written here;
- peer sections of type wireguard_<if> whose name starts with ``wgnet_``;
- firewall sections named wgnet_{zone,lan2wg,wg2lan,wg2wan,port}_<if>.
Anything else, including peers added in LuCI (anonymous sections), is left alone.

Preshared keys never pass through here as values: a peer section that wants
one is marked, its `preshared_key` option (redacted by the read script) is
left out of every comparison, and the apply action hands the keys to the
router's script on stdin, where they are compared and set.

Rotation: a router's new key waits on the router until the agreed moment;
the live operations then start with `wait <epoch>`, a peer whose key was
replaced is swapped in one `wg set`, and a rotated router holds its sending
just before the moment (`hold`, keeping its sessions to receive) and switches
its own key (`key`) 0.3 s after it, then calls each peer (`kick`).

Direct paths (docs/watchdog.md): UCI holds a watched peer in its relay form
(no allowed_ips of its own; the relay peer carries them), so a router boots
with every pair on the hub. The watchdog, run by cron, moves pairs to their
direct path and back; the live operations follow its decisions (the
`/var/run/wgnet/<if>.direct` the read script reports) and take its lock, so
a converge never undoes them.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import shlex

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_crypto
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_direct
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_peers
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_values

UCI_NAME = re.compile(r"^[A-Za-z0-9_]{1,15}$")
# fw4 (and fw3) refuse zone names over 11 characters.
ZONE_NAME_MAX = 11
FIREWALL_KINDS = ("zone", "lan2wg", "wg2lan", "wg2wan", "port")
INTERFACE_OPTIONS = ("proto", "addresses", "listen_port", "mtu")
REDACTED = "REDACTED"
SECRET_OPTIONS = ("private_key", "preshared_key")
# A rotated host switches its own key this long after its peers swapped theirs
# (the same spacing the role gives wg_interface on Linux hosts).
OWN_SWITCH_DELAY = 0.3
# A rotated router stops sending in its sessions this long before the moment
# (it keeps receiving in them): its packets then wait for the new key's
# handshake instead of reaching peers that dropped its old key, even when its
# wait runs late or its clock is a little ahead.
HOLD_LEAD = 0.5
_SAFE_VALUE = re.compile(r"^[^'\n\\]*$")


class OpenWrtError(ValueError):
    """A problem with an OpenWrt host, worded to name the host, the variable and the fix."""


# ---------------------------------------------------------------- naming
def uci_name(text):
    """A UCI section name piece: letters, digits and _ only."""
    return re.sub(r"[^A-Za-z0-9_]", "_", str(text))


def zone_name(interface):
    """The fw4 zone name of a WireGuard interface: at most 11 characters."""
    name = "wgn_" + interface
    if len(name) <= ZONE_NAME_MAX:
        return name
    return "wgn_" + hashlib.sha1(interface.encode("utf-8")).hexdigest()[:ZONE_NAME_MAX - 4]


def peer_section_names(interface, peers):
    """Peer name -> UCI section name wgnet_<if>_<peer>, unique within the host.
    Two names that sanitize alike get a short hash suffix."""
    base = dict((p, "wgnet_%s_%s" % (interface, uci_name(p))) for p in peers)
    counts = {}
    for name in base.values():
        counts[name] = counts.get(name, 0) + 1
    result = {}
    for peer, name in base.items():
        if counts[name] > 1:
            name = "%s_%s" % (name, hashlib.sha1(peer.encode("utf-8")).hexdigest()[:6])
        result[peer] = name
    return result


def firewall_section(kind, interface):
    return "wgnet_%s_%s" % (kind, interface)


# ---------------------------------------------------------------- uci export
def parse_export(text):
    """`uci export` output (one or more packages) -> {package: [section, ...]}.

    A section is {"name", "type", "anonymous", "options": {name: str or list}}.
    Anonymous sections are named @type[n] as `uci show` would.
    """
    packages = {}
    package = None
    section = None
    counters = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            words = shlex.split(stripped)
        except ValueError as exc:
            raise OpenWrtError("uci export line %d %r: %s" % (number, line, exc))
        keyword = words[0]
        if keyword == "package" and len(words) == 2:
            package = words[1]
            packages.setdefault(package, [])
            counters = {}
            section = None
        elif keyword == "config" and len(words) in (2, 3) and package is not None:
            stype = words[1]
            index = counters.get(stype, 0)
            counters[stype] = index + 1
            anonymous = len(words) == 2
            section = {"name": "@%s[%d]" % (stype, index) if anonymous else words[2], "type": stype,
                       "anonymous": anonymous, "options": {}}
            packages[package].append(section)
        elif keyword in ("option", "list") and len(words) == 3 and section is not None:
            name, value = words[1], words[2]
            if keyword == "option":
                section["options"][name] = value
            else:
                current = section["options"].get(name)
                if not isinstance(current, list):
                    current = [] if current is None else [current]
                current.append(value)
                section["options"][name] = current
        else:
            raise OpenWrtError("uci export line %d is not understood: %r" % (number, line))
    return packages


def _quote(value):
    return "'%s'" % value


def render_section(package, section):
    """One section in `uci export` form (values quoted, secrets as reported)."""
    head = "config %s" % section["type"]
    if not section.get("anonymous"):
        head += " %s" % _quote(section["name"])
    lines = ["# %s" % package, head] if package else [head]
    for name, value in section["options"].items():
        if isinstance(value, list):
            lines += ["\tlist %s %s" % (name, _quote(v)) for v in value]
        else:
            lines.append("\toption %s %s" % (name, _quote(value)))
    return "\n".join(lines) + "\n"


def redact(options):
    return dict((k, REDACTED if k in SECRET_OPTIONS else v) for k, v in options.items())


# ---------------------------------------------------------------- wanted state
def _check_value(host, what, value):
    values = value if isinstance(value, list) else [value]
    for v in values:
        if not _SAFE_VALUE.match(str(v)):
            raise OpenWrtError("host %s: %s %r contains a quote, backslash or newline, which this collection does "
                               "not write into UCI" % (host, what, v))


def wanted_sections(plan, host, settings=None):
    """The sections the collection wants on one OpenWrt host.

    plan: the network plan (dict or JSON string); settings: mtu, lan_zone,
    wan_zone, zone_input, masquerade. Returns {"interfaces": [...],
    "network": [section...], "firewall": [section...]} in a stable order.
    """
    from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology

    settings = settings or {}
    plan = _topology.load_plan(plan)
    watchdog = {}
    lan_zone = settings.get("lan_zone") or "lan"
    wan_zone = settings.get("wan_zone") or "wan"
    zone_input = settings.get("zone_input") or "ACCEPT"
    masquerade = bool(settings.get("masquerade"))
    mtu = int(settings.get("mtu") or 0)
    interfaces, network, firewall, psk_sections = [], [], [], []
    for iface in _topology.host_interfaces(plan, host):
        name = iface["interface"]
        if not UCI_NAME.match(name):
            raise OpenWrtError(
                "host %s: interface %s cannot be an OpenWrt network name (UCI section names are letters, digits "
                "and _ only); rename the network in wireguard_networks or wireguard_interface, e.g. %s"
                % (host, name, uci_name(name)))
        interfaces.append(name)
        me = plan["networks"][name]["members"][host]
        options = {"proto": "wireguard", "addresses": list(iface["addresses"]),
                   "listen_port": str(iface["listen_port"])}
        if mtu:
            options["mtu"] = str(mtu)
        network.append({"name": name, "type": "interface", "options": options})
        planned = _topology.interface_peers(iface)
        watchdog[name] = {"config": _wg_direct.watchdog_config(name, planned),
                          "peers": planned}
        # UCI (what netifd sets at boot): every watched peer on its relay.
        peers = _wg_direct.transform(planned, set())
        names = peer_section_names(name, [p["name"] for p in peers])
        for peer in peers:
            _check_value(host, "peer name", peer["name"])
            if peer.get("preshared_key_path") or peer.get("preshared_key"):
                # Set by the apply script from stdin, never part of the batch.
                psk_sections.append(names[peer["name"]])
            opts = {"description": peer["name"], "public_key": peer["public_key"], "route_allowed_ips": "1"}
            if peer["allowed_ips"]:
                opts["allowed_ips"] = list(peer["allowed_ips"])
            if peer.get("endpoint"):
                ep_host, ep_port = _wg_values.split_endpoint(peer["endpoint"])
                _check_value(host, "endpoint of %s" % peer["name"], ep_host)
                opts["endpoint_host"] = ep_host
                opts["endpoint_port"] = str(ep_port)
            if int(peer.get("persistent_keepalive") or 0):
                opts["persistent_keepalive"] = str(peer["persistent_keepalive"])
            network.append({"name": names[peer["name"]], "type": "wireguard_%s" % name, "options": opts})

        zone = zone_name(name)
        # Peers reach each other through a hub on the same interface.
        forward = "ACCEPT" if iface.get("role") == "hub" and iface.get("forwarding") else "REJECT"
        zopts = {"name": zone, "network": [name], "input": zone_input, "output": "ACCEPT", "forward": forward}
        if masquerade:
            zopts["masq"] = "1"
        firewall.append({"name": firewall_section("zone", name), "type": "zone", "options": zopts})
        if iface.get("lan_subnets") or masquerade:
            firewall.append({"name": firewall_section("lan2wg", name), "type": "forwarding",
                             "options": {"src": lan_zone, "dest": zone}})
        if iface.get("lan_subnets"):
            firewall.append({"name": firewall_section("wg2lan", name), "type": "forwarding",
                             "options": {"src": zone, "dest": lan_zone}})
        if iface.get("egress_gateway"):
            firewall.append({"name": firewall_section("wg2wan", name), "type": "forwarding",
                             "options": {"src": zone, "dest": wan_zone}})
        port = {"name": "wgnet-%s-port" % name, "src": wan_zone, "proto": "udp",
                "dest_port": str(iface["listen_port"]), "target": "ACCEPT"}
        neighbours = _site_sources(planned)
        if not me.get("endpoint") and neighbours:
            # Site neighbours on the WAN side: a site path has no keepalive, so
            # once conntrack forgot the pair their first packet would be
            # rejected. Open the port to them only (to all when one is a name).
            if None not in neighbours:
                port["src_ip"] = sorted(neighbours)
        if me.get("endpoint") or neighbours:
            firewall.append({"name": firewall_section("port", name), "type": "rule", "options": port})
    for package in (network, firewall):
        for section in package:
            for key, value in section["options"].items():
                _check_value(host, "%s.%s" % (section["name"], key), value)
    return {"interfaces": interfaces, "network": network, "firewall": firewall,
            "lan_zone": lan_zone, "wan_zone": wan_zone, "psk_sections": psk_sections, "watchdog": watchdog}


def _site_sources(peers):
    """The addresses the site neighbours among peers send from (their site
    endpoints' hosts; None for one given as a DNS name)."""
    sources = set()
    for peer in peers:
        if peer.get("path") == "site" and peer.get("endpoint"):
            host, _port = _wg_values.split_endpoint(peer["endpoint"])
            try:
                sources.add(str(ipaddress.ip_address(host)))
            except ValueError:
                sources.add(None)
    return sources


def psk_entries(plan, host, master, missing_ok=False):
    """The preshared keys of one router's peers: a list of "<interface>
    <peer section> <peer public key> <psk>" lines, the apply script's stdin.
    missing_ok: skip an interface whose own key is not known yet (check mode
    on a new router) instead of failing.
    SECRET: only the no_log apply action may hold the result."""
    from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _psk
    from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology

    plan = _topology.load_plan(plan)
    lines = []
    for iface in _topology.host_interfaces(plan, host):
        name = iface["interface"]
        own = plan["networks"][name]["members"][host]["public_key"]
        peers = _topology.interface_peers(iface)
        names = peer_section_names(name, [p["name"] for p in peers])
        for peer in peers:
            if not (peer.get("preshared_key_path") or peer.get("preshared_key")):
                continue
            if not own:
                if missing_ok:
                    break
                raise OpenWrtError("host %s: its public key on %s is not known yet, so its preshared keys cannot be "
                                   "derived; run the play without check mode first" % (host, name))
            lines.append("%s %s %s %s" % (name, names[peer["name"]], peer["public_key"],
                                          _psk.derive_psk(master, name, own, peer["public_key"])))
    return lines


# ---------------------------------------------------------------- comparison
def _owned(package, section, interfaces):
    """Whether the collection owns a reported section (see module docstring)."""
    if section.get("anonymous"):
        return False
    name, stype = section["name"], section["type"]
    if package == "network":
        if name in interfaces:
            return True
        return stype.startswith("wireguard_") and stype[len("wireguard_"):] in interfaces \
            and name.startswith("wgnet_")
    if package == "firewall":
        return any(name == firewall_section(kind, i) for kind in FIREWALL_KINDS for i in interfaces)
    return False


def _section_batch(package, wanted, current, managed=None):
    """uci batch lines turning current (or None) into wanted. managed: option
    names this collection owns in the section (None: all)."""
    path = "%s.%s" % (package, wanted["name"])
    lines = []
    if current is not None and current["type"] != wanted["type"]:
        lines.append("delete %s" % path)
        current = None
    if current is None:
        lines.append("set %s=%s" % (path, wanted["type"]))
        have = {}
    else:
        have = current["options"]
    for key, value in wanted["options"].items():
        old = have.get(key)
        if old == value:
            continue
        if isinstance(value, list):
            if old is not None:
                lines.append("delete %s.%s" % (path, key))
            lines += ["add_list %s.%s=%s" % (path, key, _quote(v)) for v in value]
        else:
            lines.append("set %s.%s=%s" % (path, key, _quote(value)))
    for key in have:
        if key not in wanted["options"] and (managed is None or key in managed):
            lines.append("delete %s.%s" % (path, key))
    return lines


def _strip(section, managed=None):
    """A section's comparable form: owned options only, secrets redacted."""
    opts = dict((k, v) for k, v in section["options"].items() if managed is None or k in managed)
    return {"name": section["name"], "type": section["type"], "options": redact(opts)}


def reconcile(plan, host, exported, settings=None, absent=None, switch_at=None, rotation=None):
    """Compare the wanted sections with the router's `uci export` output.

    absent: a list of interfaces to remove instead (plan unused): every owned
    section of theirs is deleted, network.<if> with its private key included.
    switch_at: the agreed moment (epoch seconds) of a key rotation: live peer
    changes wait for it. rotation: the rotation id when this router's own key
    was replaced (its new key waits on the router): it switches at
    switch_at + 0.3 s.

    Returns {"changed", "batch" (list of uci batch lines), "commit" (packages),
    "ops" (list of live operation lines for the apply script), "before",
    "after" (redacted export text of the owned sections), "interfaces"}.
    """
    if absent is not None:
        for name in absent:
            if not UCI_NAME.match(str(name)):
                raise OpenWrtError("host %s: %r is not an OpenWrt interface name" % (host, name))
        wanted = {"interfaces": list(absent), "network": [], "firewall": [], "lan_zone": None, "wan_zone": None,
                  "psk_sections": [], "watchdog": dict((name, None) for name in absent)}
    else:
        wanted = wanted_sections(plan, host, settings)
    interfaces = wanted["interfaces"]
    current = parse_export(exported) if isinstance(exported, str) else exported
    # The preshared key of a peer that wants one is the apply script's business.
    for section in current.get("network", []):
        if section["name"] in wanted["psk_sections"] and "preshared_key" in section["options"]:
            section["options"] = dict((k, v) for k, v in section["options"].items() if k != "preshared_key")
    for package in ("network", "firewall"):
        if package not in current:
            raise OpenWrtError("host %s: the router reported no /etc/config/%s; is it OpenWrt with fw4?"
                               % (host, package))
    zones = set(s["options"].get("name") for s in current["firewall"] if s["type"] == "zone")
    for var, zone in (("wireguard_openwrt_lan_zone", wanted["lan_zone"]),
                      ("wireguard_openwrt_wan_zone", wanted["wan_zone"])):
        needed = [s for s in wanted["firewall"] if zone and zone in (s["options"].get("src"), s["options"].get("dest"))]
        if needed and zone not in zones:
            raise OpenWrtError("host %s: firewall zone %r (%s) does not exist in /etc/config/firewall; set %s "
                               "to the router's zone name" % (host, zone, var, var))

    batch, before, after = [], [], []
    changed_packages = []
    restart = []
    for package in ("network", "firewall"):
        have = dict((s["name"], s) for s in current[package] if _owned(package, s, interfaces))
        want = wanted[package]
        want_names = set(s["name"] for s in want)
        lines = []
        for name, section in have.items():
            if name not in want_names:
                lines.append("delete %s.%s" % (package, name))
                before.append(render_section(package, _strip(section)))
        for section in want:
            managed = INTERFACE_OPTIONS if package == "network" and section["type"] == "interface" else None
            old = have.get(section["name"])
            if old is not None and old["type"] == "interface" and package == "network" and \
                    section["type"] == "interface" and old["options"].get("proto") not in (None, "wireguard"):
                raise OpenWrtError(
                    "host %s: network.%s already exists with proto %s; this collection only manages a "
                    "WireGuard interface of that name, so pick another interface name"
                    % (host, section["name"], old["options"].get("proto")))
            section_lines = _section_batch(package, section, old, managed)
            if section_lines:
                lines += section_lines
                if old is not None:
                    before.append(render_section(package, _strip(old, managed)))
                after.append(render_section(package, _strip(section)))
                if package == "network" and section["type"] == "interface":
                    restart.append(section["name"])
        if lines:
            changed_packages.append(package)
            batch += lines

    router = parse_watchdog(exported) if isinstance(exported, str) else parse_watchdog("")
    rotating = switch_at not in (None, "")
    files, install, after_ops, watched = _watchdog_ops(wanted, router)
    if absent is not None:
        ops = install + after_ops + (["reload"] if "network" in changed_packages else [])
    else:
        live_form = _live_form(wanted, router)
        # Not in a rotation: waiting for the lock could make a switch late.
        locked = set() if rotating else watched
        ops = _live_ops(wanted, current, interfaces, restart, live_form, locked) if batch else []
        if ops and rotating:
            ops.insert(0, "wait %.3f" % float(switch_at))
        if rotation not in (None, "") and rotating:
            hold, switch = _own_switch(plan, host, interfaces, float(switch_at), str(rotation), restart)
            ops = hold + ops + switch
        # One watchdog run after a change: its state and the live peers agree at once.
        touched = set(op.split()[1] for op in ops + install if op.split()[0] in ("peer", "unpeer", "ifup", "config"))
        after_ops = after_ops + ["watchdog %s" % name for name in sorted(watched & touched)]
        ops = install + ops + after_ops
    if "firewall" in changed_packages:
        ops.append("firewall")
    return {
        "files": files,
        "changed": bool(batch or ops),
        "batch": batch,
        "commit": changed_packages,
        "ops": ops,
        "restart": restart,
        "before": "".join(before),
        "after": "".join(after),
        "interfaces": interfaces,
    }


# ---------------------------------------------------------------- watchdog
def parse_watchdog(text):
    """The `#wgnet watchdog` lines of openwrt_read.sh -> {"script": sha256 or
    None, "configs": {if: sha256}, "direct": {if: set of keys}, "cron": [lines
    naming wgnet-watchdog], "crond": whether cron is enabled and running}."""
    state = {"script": None, "configs": {}, "direct": {}, "cron": [], "crond": False}
    for line in (text or "").splitlines():
        words = line.split(None, 3)
        if len(words) < 4 or words[:2] != ["#wgnet", "watchdog"]:
            continue
        kind, rest = words[2], words[3].strip()
        if kind == "script":
            state["script"] = rest
        elif kind == "config" and len(rest.split()) == 2:
            state["configs"][rest.split()[0]] = rest.split()[1]
        elif kind == "direct" and len(rest.split()) == 2:
            state["direct"].setdefault(rest.split()[0], set()).add(rest.split()[1])
        elif kind == "cron":
            state["cron"].append(rest)
        elif kind == "crond":
            state["crond"] = rest == "1"
    return state


def _sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _cron_interface(line):
    """The interface a crontab line runs the watchdog for, or None."""
    words = line.split()
    for index, word in enumerate(words[:-1]):
        if word.endswith("/wgnet-watchdog"):
            return words[index + 1]
    return None


def _cron_line_ok(line, interface):
    """Whether a crontab line is the one the apply script writes for the
    interface (openwrt_cron_line; the script's directory may differ: tests)."""
    want, have = _wg_direct.openwrt_cron_line(interface).split(), line.split()
    return len(have) == len(want) and have[:5] == want[:5] and have[6:] == want[6:] \
        and have[5].endswith("/wgnet-watchdog")


def _watchdog_ops(wanted, router):
    """What the router needs for its watchdogs: (files for the apply script's
    directory, operations before the live changes, operations after them,
    the interfaces that have one). An interface that wants one gets the
    script, its config and its cron line (`* * * * *`, 6 runs 10 s apart);
    one that no longer does, or is removed, loses them and its state first,
    under the lock (a run in progress must not apply the old config after
    the peers changed); the script goes with the last config. Cron is
    restarted when its table changed (OpenWrt's crond reads it at start), and
    enabled and started when a watchdog needs it and it does not run."""
    files, before, after = {}, [], []
    want = dict((name, w["config"]) for name, w in wanted["watchdog"].items() if w and w["config"])
    drop = sorted(name for name in wanted["watchdog"] if name not in want
                  and (name in router["configs"] or name in router["direct"]
                       or any(_cron_interface(line) == name for line in router["cron"])))
    cron = False
    for name in drop:
        before += ["lock %s" % name, "unwatch %s" % name, "unlock %s" % name]
        cron = cron or any(_cron_interface(line) == name for line in router["cron"])
    if not want and router["script"] is not None and not set(router["configs"]) - set(drop):
        before.append("unscript")
    if want and router["script"] != _sha256(_wg_direct.SCRIPT):
        files["wgnet-watchdog"] = _wg_direct.SCRIPT
        before.append("script")
    for name, text in sorted(want.items()):
        if router["configs"].get(name) != _sha256(text):
            files["%s.watchdog" % name] = text
            before.append("config %s" % name)
    for name in sorted(want):
        lines = [line for line in router["cron"] if _cron_interface(line) == name]
        if len(lines) != 1 or not _cron_line_ok(lines[0], name):
            after.append("cron %s" % name)
            cron = True
    if cron or (want and not router["crond"]):
        after.append("crond")
    return files, before, after, set(want)


def _live_form(wanted, router):
    """Interface -> peer key -> (allowed ips, keepalive) as the peers must
    be live: the planned peers with the watchdog's decisions applied."""
    result = {}
    for name, w in wanted["watchdog"].items():
        if not w:
            continue
        direct = router["direct"].get(name, set())
        result[name] = dict((p["public_key"], (list(p["allowed_ips"]), int(p.get("persistent_keepalive") or 0)))
                            for p in _wg_direct.transform(w["peers"], direct))
    return result


def _routes(addresses, peer_sections):
    peers = []
    for s in peer_sections:
        if s["options"].get("route_allowed_ips", "0") != "1":
            continue
        allowed = s["options"].get("allowed_ips") or []
        peers.append({"allowed_ips": allowed if isinstance(allowed, list) else [allowed]})
    return _wg_peers.wanted_routes(addresses, peers)


def _has_default(peer_sections):
    for s in peer_sections:
        allowed = s["options"].get("allowed_ips") or []
        allowed = allowed if isinstance(allowed, list) else [allowed]
        for prefix in allowed:
            try:
                if ipaddress.ip_network(prefix, strict=False).prefixlen == 0:
                    return True
            except ValueError:
                return True  # not understood: let netifd set the interface up from UCI
    return False


def _live_ops(wanted, current, interfaces, restart, live_form=None, locked=()):
    """Lines for the apply script, one operation each:
    ifup IF | peer IF KEY ALLOWED_CSV ENDPOINT|- KEEPALIVE | unpeer IF KEY |
    route IF PREFIX | unroute IF PREFIX | lock IF | unlock IF | firewall.

    An interface whose own options changed (or that is new) is brought up by
    netifd (`ifup`, which re-reads the config). When only its peers changed,
    the peers and routes are changed live with wg/ip, as netifd would set them,
    so the tunnel and its other peers never go down. A peer goes live in the
    form live_form gives it (the watchdog's decisions), under the watchdog's
    lock on the interfaces in `locked`.
    """
    live_form = live_form or {}
    ops = []
    for name in interfaces:
        ptype = "wireguard_%s" % name
        old_peers = [s for s in current["network"] if s["type"] == ptype and _owned("network", s, interfaces)]
        new_peers = [s for s in wanted["network"] if s["type"] == ptype]
        if _has_default(old_peers) or _has_default(new_peers):
            # A full tunnel needs netifd's endpoint host routes: let it set up the interface.
            if name not in restart:
                restart.append(name)
        if name in restart:
            ops.append("ifup %s" % name)
            continue
        old_keys = set(s["options"].get("public_key") for s in old_peers)
        new_keys = set(s["options"]["public_key"] for s in new_peers)
        old_by_name = dict((s["name"], s) for s in old_peers)
        # A peer whose key was replaced (same section, new key) is swapped in
        # one `wg set`, keeping the endpoint the old entry had roamed to.
        swapped = {}
        for s in new_peers:
            old = old_by_name.get(s["name"])
            old_key = old["options"].get("public_key") if old else None
            if old_key and old_key != s["options"]["public_key"] and old_key not in new_keys:
                swapped[s["name"]] = old_key
        peer_ops = []
        for key in sorted(k for k in old_keys - new_keys - set(swapped.values()) if k):
            peer_ops.append("unpeer %s %s" % (name, key))
        for s in new_peers:
            o = s["options"]
            if _strip(old_by_name.get(s["name"], {"name": "", "type": "", "options": {}}))["options"] == \
                    redact(o):
                continue
            endpoint = _wg_values.join_endpoint(o["endpoint_host"], int(o["endpoint_port"])) \
                if o.get("endpoint_host") else "-"
            allowed, keepalive = live_form.get(name, {}).get(
                o["public_key"], (o.get("allowed_ips") or [], o.get("persistent_keepalive", "0")))
            line = "peer %s %s %s %s %s" % (name, o["public_key"], ",".join(allowed) or "-", endpoint, keepalive)
            if s["name"] in swapped:
                line += " " + swapped[s["name"]]
            peer_ops.append(line)
        if peer_ops and name in locked:
            peer_ops = ["lock %s" % name] + peer_ops + ["unlock %s" % name]
        ops += peer_ops
        addresses = next(s["options"]["addresses"] for s in wanted["network"] if s["name"] == name)
        old_routes = set(_routes(addresses, old_peers))
        new_routes = _routes(addresses, new_peers)
        ops += ["unroute %s %s" % (name, r) for r in sorted(old_routes - set(new_routes))]
        ops += ["route %s %s" % (name, r) for r in new_routes if r not in old_routes]
    return ops


def _own_switch(plan, host, interfaces, switch_at, rotation, restart):
    """The rotated router's own switch, as (before the moment, after it).

    Before: `hold` each live interface HOLD_LEAD s ahead of the moment: a
    throwaway private key stops the router sending in its sessions (its
    packets wait for the new handshake; peers drop its old key at the moment)
    while it still receives in them, so nothing in flight towards it is lost.
    After: 0.3 s past the moment, when every peer knows the new key, set it
    live and in UCI (`key`) and ping through each tunnel (`kick`): each
    session restarts with one handshake and the waiting packets go out."""
    from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology

    _check_value(host, "wireguard_rotation_id", rotation)
    if not re.match(r"^[A-Za-z0-9_.:+-]{1,64}$", rotation):
        raise OpenWrtError("host %s: wireguard_rotation_id %r: on OpenWrt it must be 1-64 letters, digits and "
                           "_.:+- (it is kept in UCI)" % (host, rotation))
    live = [name for name in interfaces if name not in restart]
    hold = ["wait %.3f" % (switch_at - HOLD_LEAD)] + ["hold %s" % name for name in live] if live else []
    ops = ["wait %.3f" % (switch_at + OWN_SWITCH_DELAY)]
    plans = dict((i["interface"], i) for i in _topology.host_interfaces(_topology.load_plan(plan), host))
    for name in interfaces:
        ops.append("key %s %s" % (name, rotation))
        if name in restart:
            continue  # netifd sets it up with the new key
        iface = plans[name]
        peers = _topology.interface_peers(iface)
        ops += ["kick %s %s" % (name, address) for address in _wg_peers.kick_addresses(peers, iface["addresses"])]
    return hold, ops


# ---------------------------------------------------------------- script output
def parse_pairs(text):
    """key=value lines printed by the router scripts -> dict (later keys win)."""
    result = {}
    for line in (text or "").splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            result[key.strip()] = value.strip()
    return result


def is_key_script_result(registered):
    """Whether a registered loop result is openwrt_key.sh's (key=value
    lines in stdout) rather than wg_key's (public_key in each item)."""
    items = registered.get("results") if isinstance(registered, dict) else None
    return isinstance(items, list) and any(
        isinstance(i, dict) and "stdout" in i and "public_key" not in i for i in items)


def key_results(registered):
    """The openwrt key script's loop result -> the shape wg_key registers
    ({"results": [{"item", "public_key", "changed"}]}), for wg_plan's registered_keys."""
    results = []
    for item in (registered or {}).get("results", []):
        if item.get("skipped"):
            continue
        pairs = parse_pairs(item.get("stdout", ""))
        key = pairs.get("public_key") or None
        if key and not _wg_crypto.is_valid_key(key):
            raise OpenWrtError("interface %s: the router printed %r as its public key, which is not a WireGuard "
                               "key" % (item.get("item"), key))
        entry = {"item": item.get("item"), "public_key": key, "changed": pairs.get("changed") == "1",
                 "failed": bool(item.get("failed"))}
        if pairs.get("rotated") == "1":
            # A valid key was replaced; the new one waits on the router for the agreed moment.
            entry["rotated"] = True
            entry["rotation_id"] = pairs.get("rotation_id") or None
        results.append(entry)
    return {"results": results, "changed": any(r["changed"] for r in results)}


def rotation_id(registered):
    """The rotation id of this run when the router's own key was replaced
    (its key script printed rotated=1), else ""."""
    if not registered:
        return ""
    shaped = key_results(registered) if is_key_script_result(registered) else registered
    for item in shaped.get("results") or []:
        if isinstance(item, dict) and item.get("rotated"):
            return item.get("rotation_id") or ""
    return ""
