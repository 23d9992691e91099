# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller-side network planning: which peers each host gets, with which
AllowedIPs, endpoints and keepalives, checked before any host is touched.

One engine serves every topology. Each host has a set of *direct* peers and,
when some members are not direct, a *relay* (its first hub) whose AllowedIPs
also carry the tunnel range and the LANs behind those members:

- hub_and_spoke: hubs peer with everyone; spokes peer with the hubs.
- mesh: everyone peers with everyone.
- hybrid: hubs peer with everyone; reachable members (with an endpoint) peer
  with each other; members behind NAT peer with the hubs.

The plan kept for a network is O(members): member data once, plus per host
the rule that says who its direct peers are. A host's peer list is expanded
only when asked for (host_interfaces), so a 1 000-host mesh never holds a
million peer entries at once.

Plain Python with no Ansible imports, so it is unit tested directly and the
filter plugins stay thin wrappers.
"""

from __future__ import annotations

import ipaddress
import json
import re

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _psk

TOPOLOGIES = ("hub_and_spoke", "mesh", "hybrid")
DEFAULT_PORT = 51820
DEFAULT_KEEPALIVE = 25
# Prefixes a site LAN may use without being declared public on purpose.
PRIVATE_RANGES = [ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16",
    "fc00::/7", "fe80::/10")]
HOST_KEYS = ("address", "endpoint", "port", "lan_subnets", "persistent_keepalive", "allow_public_subnets")


class PlanError(ValueError):
    """An inventory problem, worded to name the host, the variable and the fix."""


def _int(value):
    """An integer from an int or a string of digits; None for anything else (1.5, True, 'x')."""
    if isinstance(value, bool):
        return None
    text = str(value).strip()
    return int(text) if text.isdigit() and text.isascii() else None


def _as_list(value):
    if value in (None, ""):
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _sort_prefixes(prefixes):
    return sorted(set(prefixes), key=lambda p: (ipaddress.ip_network(p).version, ipaddress.ip_network(p)))


def host_settings(hostvars, interface, host="?"):
    """A host's settings for one network: `wireguard_interfaces[<if>].<key>`
    wins over the flat `wireguard_<key>`. Returns (settings, variable names)."""
    overrides = hostvars.get("wireguard_interfaces") or {}
    if not isinstance(overrides, dict):
        raise PlanError("host %s: wireguard_interfaces must be a mapping of interface name to settings" % host)
    per_net = overrides.get(interface) or {}
    if not isinstance(per_net, dict):
        raise PlanError("host %s: wireguard_interfaces.%s must be a mapping of settings" % (host, interface))
    settings, names = {}, {}
    for key in HOST_KEYS:
        if key in per_net:
            settings[key] = per_net[key]
            names[key] = "wireguard_interfaces.%s.%s" % (interface, key)
        else:
            settings[key] = hostvars.get("wireguard_" + key)
            names[key] = "wireguard_" + key
    return settings, names


class Member(object):
    """One host (or unmanaged client) of a network, validated."""

    __slots__ = ("name", "port", "addresses", "lans", "endpoint", "keepalive", "prefixes", "client",
                 "public_key", "names", "hub")

    def __init__(self, name, settings, names, network, ranges, client=False):
        self.name = name
        self.client = client
        self.names = names
        port = settings.get("port")
        port = network["port"] if port in (None, "") else port
        self.port = _int(port)
        if self.port is None or not 1 <= self.port <= 65535:
            raise PlanError("host %s: %s %r must be a number in 1-65535" % (name, names["port"], port))

        self.addresses = []
        raw = _as_list(settings.get("address"))
        if not raw:
            raise PlanError("host %s: %s is not set; give it a tunnel address inside %s"
                            % (name, names["address"], ", ".join(str(r) for r in ranges)))
        for value in raw:
            try:
                # The prefix length comes from the range; a given one must still be well formed.
                ip = ipaddress.ip_interface(str(value).strip()).ip
            except ValueError:
                raise PlanError("host %s: %s %r is not an IP address" % (name, names["address"], value))
            net = next((r for r in ranges if r.version == ip.version and ip in r), None)
            if net is None:
                raise PlanError("host %s: %s %s is outside the network range %s of %s"
                                % (name, names["address"], ip, ", ".join(str(r) for r in ranges),
                                   network["interface"]))
            if ip in (net.network_address, net.broadcast_address) and net.num_addresses > 2:
                raise PlanError("host %s: %s %s is the network or broadcast address of %s"
                                % (name, names["address"], ip, net))
            self.addresses.append((ip, net))

        allowed_public = []
        for value in _as_list(settings.get("allow_public_subnets")):
            try:
                allowed_public.append(ipaddress.ip_network(str(value), strict=False))
            except ValueError:
                raise PlanError("host %s: %s entry %r is not a CIDR prefix"
                                % (name, names["allow_public_subnets"], value))
        self.lans = []
        for value in _as_list(settings.get("lan_subnets")):
            try:
                lan = ipaddress.ip_network(str(value).strip(), strict=False)
            except ValueError:
                raise PlanError("host %s: %s entry %r is not a CIDR prefix" % (name, names["lan_subnets"], value))
            if lan.prefixlen == 0:
                raise PlanError("host %s: %s entry %s would capture all traffic; use the network's egress "
                                "setting for a full tunnel" % (name, names["lan_subnets"], lan))
            private = any(lan.version == p.version and lan.subnet_of(p) for p in PRIVATE_RANGES)
            allowed = any(lan.version == a.version and lan.subnet_of(a) for a in allowed_public)
            if not private and not allowed:
                raise PlanError(
                    "host %s: %s entry %s is not a private range, so every peer would send that traffic to %s; "
                    "if %s really routes it, add it to %s as well"
                    % (name, names["lan_subnets"], lan, name, name, names["allow_public_subnets"]))
            self.lans.append(lan)

        endpoint = settings.get("endpoint")
        if endpoint:
            try:
                self.endpoint = _wg.join_endpoint(*_wg.split_endpoint(endpoint, self.port))
            except ValueError as exc:
                raise PlanError("host %s: %s %r: %s; write host[:port], IPv6 as [address]:port"
                                % (name, names["endpoint"], endpoint, exc))
        else:
            self.endpoint = None
        keepalive = settings.get("persistent_keepalive")
        keepalive = network["persistent_keepalive"] if keepalive in (None, "") else keepalive
        self.keepalive = _int(keepalive or 0)
        if self.keepalive is None or not 0 <= self.keepalive <= 65535:
            raise PlanError("host %s: %s %r must be a number of seconds in 0-65535"
                            % (name, names["persistent_keepalive"], keepalive))
        self.prefixes = _sort_prefixes([str(ipaddress.ip_network(ip)) for ip, _n in self.addresses]
                                       + [str(lan) for lan in self.lans])
        self.public_key = None
        self.hub = None

    def interface_addresses(self):
        return ["%s/%d" % (ip, net.prefixlen) for ip, net in self.addresses]

    def versions(self):
        return set(ip.version for ip, _n in self.addresses)


def _resolve_hosts(value, groups, what):
    """A group name or a list of host names -> list of host names."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        if value not in groups:
            raise PlanError("%s: inventory group %r does not exist" % (what, value))
        return list(groups[value])
    return [str(v) for v in value]


def normalize_network(interface, spec, groups, defaults=None):
    """Fill a network definition's defaults and resolve its groups."""
    defaults = defaults or {}
    spec = dict(spec or {})
    what = "network %s" % interface
    if (not isinstance(interface, str) or not re.match(r"^[A-Za-z0-9_=+.-]{1,15}$", interface)
            or interface in (".", "..")):
        raise PlanError("%s: the interface name must be 1-15 characters of letters, digits and _=+.-" % what)
    topology = spec.get("topology") or defaults.get("topology") or "hub_and_spoke"
    if topology not in TOPOLOGIES:
        raise PlanError("%s: topology %r is not one of %s" % (what, topology, ", ".join(TOPOLOGIES)))
    member_group = spec.get("members", defaults.get("members", "wireguard"))
    hub_group = spec.get("hubs", defaults.get("hubs", "wireguard_hubs"))
    members = list(dict.fromkeys(_resolve_hosts(member_group, groups, what + " members")))
    if isinstance(hub_group, str) and hub_group not in groups:
        hubs = []  # an absent hub group is only an error where hubs are needed
    else:
        hubs = [h for h in dict.fromkeys(_resolve_hosts(hub_group, groups, what + " hubs")) if h in members]
    try:
        ranges = [ipaddress.ip_network(str(r).strip()) for r in _as_list(spec.get("range", defaults.get("range")))]
    except ValueError as exc:
        raise PlanError("%s: range: %s" % (what, exc))
    port = spec.get("port", defaults.get("port", DEFAULT_PORT))
    if _int(port) is None or not 1 <= _int(port) <= 65535:
        raise PlanError("%s: port %r must be a number in 1-65535" % (what, port))
    keepalive = spec.get("persistent_keepalive", defaults.get("persistent_keepalive", DEFAULT_KEEPALIVE))
    if _int(keepalive or 0) is None or not 0 <= _int(keepalive or 0) <= 65535:
        raise PlanError("%s: persistent_keepalive %r must be a number of seconds in 0-65535" % (what, keepalive))
    egress = spec.get("egress") or {}
    egress_members = egress.get("members", "all")
    if isinstance(egress_members, str) and egress_members != "all":
        egress_members = _resolve_hosts(egress_members, groups, what + " egress members")
    return {
        "interface": interface,
        "topology": topology,
        "members": members,
        "member_group": member_group if isinstance(member_group, str) else None,
        "hubs": hubs,
        "hub_group": hub_group if isinstance(hub_group, str) else None,
        "ranges": ranges,
        "port": port,
        "persistent_keepalive": keepalive,
        "egress_gateway": egress.get("gateway"),
        "egress_members": egress_members,
        "clients": spec.get("clients") or {},
        # The single-network form reads its clients from wireguard_clients.
        "clients_var": spec.get("clients_var") or "wireguard_networks.%s.clients" % interface,
    }


def _without_absent(net, hostvars):
    """The network without the members marked wireguard_state: absent.

    Those hosts are being torn down in this run: they drop out of every peer
    list and count for no check (a duplicate address, a port), so removing a
    host is one run that marks it absent."""
    absent = []
    for name in net["members"]:
        state = hostvars[name].get("wireguard_state", "present")
        if state not in ("present", "absent", None, ""):
            raise PlanError("host %s: wireguard_state %r must be present or absent" % (name, state))
        if state == "absent":
            absent.append(name)
    gone = set(absent)
    members = [n for n in net["members"] if n not in gone]
    egress_members = net["egress_members"]
    if egress_members != "all":
        egress_members = [n for n in egress_members if n not in gone]
    return dict(net, members=members, hubs=[h for h in net["hubs"] if h not in gone], egress_members=egress_members,
                absent=absent, absent_hubs=[h for h in net["hubs"] if h in gone])


class NetworkPlan(object):
    """The validated plan of one network."""

    def __init__(self, net, hostvars, public_keys, allow_missing_keys):
        self.net = net
        self.interface = net["interface"]
        what = "network %s" % self.interface
        if not net["ranges"]:
            raise PlanError("%s: no address range; set range (wireguard_network), e.g. 10.77.0.0/24" % what)
        if not net["members"]:
            raise PlanError("%s: no members; the group %r has no hosts" % (what, net["member_group"]))
        for name in net["members"]:
            if name not in hostvars:
                raise PlanError("%s: member %r is not an inventory host" % (what, name))
        net = self.net = _without_absent(net, hostvars)
        if not net["members"]:
            # Every member is being removed: nothing to plan or check.
            self.members, self.clients, self.hubs, self.hub_set = {}, {}, [], set()
            self.egress_members, self.missing_keys, self.pending_clients = set(), [], []
            return

        self.members = {}
        for name in net["members"]:
            settings, names = host_settings(hostvars[name], self.interface, name)
            self.members[name] = Member(name, settings, names, net, net["ranges"])
        self.clients = {}
        if not isinstance(net["clients"], dict):
            raise PlanError("%s: %s must map client names to their settings" % (what, net["clients_var"]))
        for name, spec in sorted(net["clients"].items()):
            if name in hostvars:
                raise PlanError("%s: client %r has the name of an inventory host" % (what, name))
            spec = spec or {}
            if not isinstance(spec, dict):
                raise PlanError("client %s: %s.%s must be a mapping of settings" % (name, net["clients_var"], name))
            names = dict((k, "%s.%s.%s" % (net["clients_var"], name, k)) for k in HOST_KEYS + ("public_key", "hub"))
            settings = dict((k, spec.get(k)) for k in HOST_KEYS)
            settings["persistent_keepalive"] = spec.get("persistent_keepalive", net["persistent_keepalive"])
            client = Member(name, settings, names, net, net["ranges"], client=True)
            # A key given in the inventory wins; else the one clients.yml generated and recorded.
            client.public_key = spec.get("public_key") or public_keys.get(name) or None
            if client.public_key and not _wg.is_valid_key(client.public_key):
                raise PlanError("client %s: %s is not a valid WireGuard public key (44 base64 characters)"
                                % (name, names["public_key"]))
            client.hub = spec.get("hub") or (net["hubs"][0] if net["hubs"] else None)
            if spec.get("hub") and spec["hub"] not in net["hubs"]:
                raise PlanError("client %s: %s %r is not a hub of %s; choose one of %s"
                                % (name, names["hub"], spec["hub"], self.interface, ", ".join(net["hubs"]) or "(none)"))
            self.clients[name] = client
        self.hubs = list(net["hubs"])
        self.hub_set = set(self.hubs)
        self._check_unique()
        self._check_reachability()
        self._check_egress()

        self.missing_keys = []
        for name in net["members"]:
            key = public_keys.get(name)
            if key and not _wg.is_valid_key(key):
                raise PlanError("host %s: public key %r of %s is not a valid WireGuard key" % (name, key, what))
            if key:
                self.members[name].public_key = key
            else:
                self.missing_keys.append(name)
        if self.missing_keys and not allow_missing_keys:
            raise PlanError(
                "%s: the public keys of %s are not known yet; run the play once against those hosts "
                "(without --limit) so their keys are generated on them" % (what, ", ".join(self.missing_keys)))
        self.pending_clients = sorted(n for n, c in self.clients.items() if not c.public_key)

    # ------------------------------------------------------------ validation
    def _all(self):
        return list(self.members.values()) + list(self.clients.values())

    def _check_unique(self):
        seen = {}
        for m in self._all():
            for ip, _net in m.addresses:
                if ip in seen:
                    raise PlanError("host %s: %s %s is already used by %s"
                                    % (m.name, m.names["address"], ip, seen[ip]))
                seen[ip] = m.name
        owners = []
        for m in self._all():
            for lan in m.lans:
                for r in self.net["ranges"]:
                    if lan.version == r.version and lan.overlaps(r):
                        raise PlanError("host %s: %s %s overlaps the tunnel range %s of %s"
                                        % (m.name, m.names["lan_subnets"], lan, r, self.interface))
                for other, other_lan in owners:
                    if lan.version == other_lan.version and lan.overlaps(other_lan):
                        raise PlanError("host %s: %s %s overlaps %s of host %s; each site LAN needs its own "
                                        "prefix" % (m.name, m.names["lan_subnets"], lan, other_lan, other))
                owners.append((m.name, lan))

    def _check_reachability(self):
        topology = self.net["topology"]
        what = "network %s" % self.interface
        if topology in ("hub_and_spoke", "hybrid") or self.clients:
            if not self.hubs:
                if self.net["hub_group"]:
                    where = "put at least one host of group %r into inventory group %r" % (
                        self.net["member_group"], self.net["hub_group"])
                else:
                    where = "list at least one member in wireguard_networks.%s.hubs" % self.interface
                if self.net["absent_hubs"]:
                    where = ("its hubs %s are marked wireguard_state: absent; keep a hub present, or move the "
                             "members that relay through it to another hub (or to topology mesh) in the same run"
                             % ", ".join(self.net["absent_hubs"]))
                raise PlanError("%s: no hub; %s needs one: %s"
                                % (what, "topology " + topology if topology != "mesh" else "an unmanaged client",
                                   where))
            for hub in self.hubs:
                if not self.members[hub].endpoint:
                    raise PlanError("host %s: a hub of %s needs %s (its public address or DNS name) so the hosts "
                                    "behind NAT can reach it" % (hub, self.interface,
                                                                 self.members[hub].names["endpoint"]))
        if topology == "mesh":
            nat = [n for n in self.net["members"] if not self.members[n].endpoint]
            if len(nat) > 1:
                raise PlanError(
                    "%s: hosts %s and %s are both behind NAT (no wireguard_endpoint), so in a mesh they cannot "
                    "reach each other; give one of them an endpoint, or use topology hybrid with a hub to relay"
                    % (what, nat[0], nat[1]))

    def _check_egress(self):
        gw = self.net["egress_gateway"]
        self.egress_members = set()
        if not gw:
            return
        what = "network %s" % self.interface
        if gw in self.net["absent"]:
            raise PlanError("%s: egress gateway %s is marked wireguard_state: absent; choose another "
                            "egress.gateway or remove the egress setting in the same run" % (what, gw))
        if gw not in self.members:
            raise PlanError("%s: egress gateway %r is not a member" % (what, gw))
        members = self.net["egress_members"]
        if members == "all":
            members = [n for n in self.net["members"] if n != gw]
        for name in members:
            if name not in self.members:
                raise PlanError("%s: egress member %r is not a member" % (what, name))
            if name == gw:
                raise PlanError("%s: host %s cannot send its full tunnel through itself" % (what, name))
            if gw not in self.direct(name):
                raise PlanError("%s: host %s does not peer directly with egress gateway %s in topology %s; "
                                "make the gateway a hub" % (what, name, gw, self.net["topology"]))
        self.egress_members = set(members)

    def to_dict(self):
        """The plan as plain data: member data once, no per-pair entries."""
        def member(m):
            return {"addresses": m.interface_addresses(), "prefixes": m.prefixes,
                    "lans": [str(lan) for lan in m.lans], "endpoint": m.endpoint, "keepalive": m.keepalive,
                    "port": m.port, "versions": sorted(m.versions()), "public_key": m.public_key}

        def client(c):
            return dict(member(c), hub=c.hub)
        net = self.net
        return {
            "interface": self.interface,
            "topology": net["topology"],
            "ranges": [str(r) for r in net["ranges"]],
            "order": list(net["members"]),
            "hubs": self.hubs,
            "egress_gateway": net["egress_gateway"],
            "egress_members": sorted(self.egress_members),
            "members": dict((n, member(m)) for n, m in self.members.items()),
            "clients": dict((n, client(c)) for n, c in self.clients.items()),
            "missing_keys": self.missing_keys,
            "pending_clients": self.pending_clients,
            "absent": list(net["absent"]),
        }

    def direct(self, name):
        return direct_peers(self._reach, name)

    @property
    def _reach(self):
        """The subset of to_dict() that direct_peers() needs, during validation."""
        return {"topology": self.net["topology"], "order": self.net["members"], "hubs": self.hubs,
                "members": dict((n, {"endpoint": m.endpoint}) for n, m in self.members.items())}


# ---------------------------------------------------------------- expansion
def direct_peers(net, name):
    """Names of the members a host peers with directly."""
    if net["topology"] == "mesh" or name in net["hubs"]:
        return [n for n in net["order"] if n != name]
    if net["topology"] == "hub_and_spoke" or not net["members"][name]["endpoint"]:
        return [h for h in net["hubs"] if h != name]
    # hybrid, a reachable member that is not a hub: every other reachable member
    return [n for n in net["order"] if n != name and net["members"][n]["endpoint"]]


def relay_for(net, name, direct):
    """The hub that carries traffic for members not peered directly, if any."""
    if name in net["hubs"]:
        return None  # hubs peer with every member and client directly
    if len(direct) + 1 >= len(net["order"]) and not net["clients"]:
        return None
    return next((h for h in net["hubs"] if h in direct), None)


def forwards(net, name):
    """Whether a host must forward packets: it routes a LAN, is the egress
    gateway, or is a hub that others reach each other through."""
    if net["members"][name]["lans"] or name == net["egress_gateway"]:
        return True
    return name in net["hubs"] and (net["topology"] != "mesh" or bool(net["clients"]))


def host_plan(net, name):
    """Interface settings and the full peer list of one member of a planned network."""
    me = net["members"][name]
    members = net["members"]
    direct = direct_peers(net, name)
    direct_set = set(direct)
    relay = relay_for(net, name, direct)
    relay_extra = []
    if relay:
        relay_extra = list(net["ranges"]) + [
            lan for n in net["order"] if n != name and n not in direct_set for lan in members[n]["lans"]] + [
            lan for c in net["clients"].values() for lan in c["lans"]]
    gateway = net["egress_gateway"]
    egress = []
    if gateway and name in net["egress_members"]:
        egress = [p for v, p in ((4, "0.0.0.0/0"), (6, "::/0")) if v in me["versions"]]
    behind_nat = not me["endpoint"]
    peers = []
    for n in direct:
        other = members[n]
        if not other["public_key"]:
            continue
        allowed = other["prefixes"]
        if n == relay:
            # The relay's own addresses lie inside the ranges it carries.
            allowed = _sort_prefixes(other["lans"] + relay_extra + (egress if n == gateway else []))
        elif n == gateway and egress:
            allowed = _sort_prefixes(allowed + egress)
        peers.append({
            "name": n,
            "public_key": other["public_key"],
            "allowed_ips": list(allowed),
            "endpoint": other["endpoint"],
            "persistent_keepalive": me["keepalive"] if behind_nat and other["endpoint"] else 0,
        })
    if name in net["hubs"]:
        for c_name, c in sorted(net["clients"].items()):
            if c["public_key"]:
                peers.append({"name": c_name, "public_key": c["public_key"], "allowed_ips": list(c["prefixes"]),
                              "endpoint": c["endpoint"], "persistent_keepalive": 0})
    if net.get("preshared_keys"):
        for peer in peers:
            peer["preshared_key_path"] = _psk.psk_file(net["interface"], peer["public_key"])
    if name in net["hubs"]:
        role = "hub"
    else:
        role = "member" if net["topology"] == "mesh" else "spoke"
    return {
        "interface": net["interface"],
        "role": role,
        "addresses": me["addresses"],
        "listen_port": me["port"],
        "peers": peers,
        "forwarding": forwards(net, name),
        "ipv6": 6 in me["versions"],
        "ranges": list(net["ranges"]),
        "lan_subnets": list(me["lans"]),
        "egress_gateway": name == gateway,
    }


def member_interfaces(networks, groups, host, defaults=None):
    """Interfaces of the networks a host is a member of (before keys exist)."""
    result = []
    for interface in sorted(networks or {}):
        spec = networks[interface] or {}
        members = _resolve_hosts(spec.get("members", (defaults or {}).get("members", "wireguard")), groups,
                                 "network %s members" % interface)
        if host in members:
            result.append(interface)
    return result


def collect_public_keys(registered, stored=None):
    """interface -> host -> public key, from the stored keys updated with this
    run's wg_key results (host -> registered loop result)."""
    keys = dict((i, dict(h)) for i, h in (stored or {}).items() if isinstance(h, dict))
    for host, result in (registered or {}).items():
        for item in (result or {}).get("results", []):
            if item.get("public_key") and not item.get("failed"):
                keys.setdefault(item["item"], {})[host] = item["public_key"]
    return keys


def plan_public_keys(plan):
    """interface -> host -> public key of every present member the plan knows
    a key for: what the role records. Hosts no longer members (deleted from
    the inventory) or marked absent are left out, so the file forgets them."""
    if isinstance(plan, str):
        plan = json.loads(plan)
    keys = {}
    for interface, net in plan["networks"].items():
        known = dict((n, m["public_key"]) for n, m in net["members"].items() if m.get("public_key"))
        if known:
            keys[interface] = known
    return keys


def host_interfaces(plan, host, peers_as_json=False):
    """Every interface plan of one host, from the data plan_networks returned
    (or that data as a JSON string, which is how the role carries it).

    peers_as_json: each plan's peers as one JSON string. Ansible finalizes
    every value a template returns (about 37 us a peer field in a large
    mesh); one string per interface skips that, and wg_interface's
    peers_json takes it as it is.
    """
    plan = load_plan(plan)
    interfaces = [host_plan(net, host) for _i, net in sorted(plan["networks"].items()) if host in net["members"]]
    if peers_as_json:
        for interface in interfaces:
            interface["peers"] = json.dumps(interface["peers"], separators=(",", ":"))
    return interfaces


def load_plan(plan):
    """The plan data, from itself or from the JSON string the role carries."""
    return json.loads(plan) if isinstance(plan, str) else plan


def interface_peers(interface):
    """The peers of one interface plan, whether carried as a list or as JSON."""
    peers = interface.get("peers") or []
    return json.loads(peers) if isinstance(peers, str) else peers


def host_routes(plan, host):
    """Interface -> prefixes routed through it on this host (as wg-quick would)."""
    return dict((p["interface"], _wg.wanted_routes(p["addresses"], p["peers"])) for p in host_interfaces(plan, host))


def _check_ports(networks):
    seen = {}
    for net in networks.values():
        for name, m in net.members.items():
            other = seen.get((name, m.port))
            if other:
                raise PlanError(
                    "host %s: networks %s and %s both listen on UDP port %d; give one of them another port "
                    "(wireguard_interfaces.%s.port)" % (name, other, net.interface, m.port, net.interface))
            seen[(name, m.port)] = net.interface


def plan_networks(hostvars, networks, groups, public_keys, allow_missing_keys=False, defaults=None,
                  preshared_keys=False):
    """Validate every network and return the plan as plain data.

    hostvars: host name -> variables; networks: interface -> definition (see
    normalize_network); groups: inventory group -> host names; public_keys:
    interface -> host (or client) -> public key; preshared_keys: every peer
    entry names the file of its PSK (see _psk.psk_file).
    """
    if not isinstance(networks, dict) or not networks:
        raise PlanError("wireguard_networks must map interface names to network definitions")
    planned = {}
    for interface in sorted(networks):
        net = normalize_network(interface, networks[interface], groups, defaults)
        planned[interface] = NetworkPlan(net, hostvars, (public_keys or {}).get(interface) or {},
                                         allow_missing_keys)
    _check_ports(planned)
    result = {"networks": dict((i, n.to_dict()) for i, n in planned.items())}
    for net in result["networks"].values():
        net["preshared_keys"] = bool(preshared_keys)
    return result
