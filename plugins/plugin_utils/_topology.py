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

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_crypto
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_peers
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_values
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _checks
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _psk

TOPOLOGIES = ("hub_and_spoke", "mesh", "hybrid")
DEFAULT_PORT = 51820
DEFAULT_KEEPALIVE = 25
# Prefixes a site LAN may use without being declared public on purpose.
PRIVATE_RANGES = [ipaddress.ip_network(n) for n in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16",
    "fc00::/7", "fe80::/10")]
_PEER_KEYS = ("address", "endpoint", "port", "lan_subnets", "persistent_keepalive", "allow_public_subnets")
# A managed host also says where it sits (direct paths, docs/direct-paths.md).
HOST_KEYS = _PEER_KEYS + ("site", "site_endpoint")
NETWORK_KEYS = ("range", "topology", "members", "hubs", "port", "persistent_keepalive", "egress", "clients",
                "nat_traversal", "clients_var")
EGRESS_KEYS = ("gateway", "members")
# What a client definition may hold (the planner reads HOST_KEYS, public_key
# and hub; _clients reads the rest).
CLIENT_KEYS = frozenset(_PEER_KEYS + ("public_key", "hub", "allowed_ips", "full_tunnel", "dns"))
_INTERFACE_NAME = re.compile(r"[A-Za-z0-9_=+.-]{1,15}")
_SITE_NAME = re.compile(r"[A-Za-z0-9_.:@-]{1,63}")
# A hub's view of a member counts while its handshake is younger than this
# (WireGuard renews a session every 2 minutes while packets flow).
OBSERVED_MAX_AGE = 180


class PlanError(ValueError):
    """An inventory problem, worded to name the host, the variable and the fix."""


def _int(value):
    """An integer from an int or a string of digits; None for anything else (1.5, True, 'x', '7\\n')."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _checks.single_line(value) and re.fullmatch(r"[0-9]{1,6}", value.strip()):
        return int(value.strip())
    return None


def _as_list(value):
    if value in (None, ""):
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _texts(value, who, var, what):
    """A string or a list of strings (the YAML forms a list setting takes),
    each a single line; anything else is refused naming the variable."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [value]
    elif not isinstance(value, (list, tuple)):
        raise PlanError("%s: %s is %s; give %s, or a list of them" % (who, var, _checks.kind(value), what))
    for item in value:
        if not isinstance(item, str):
            raise PlanError("%s: %s entry %s is not text; give %s (quote it in YAML)"
                            % (who, var, _checks.kind(item), what))
        if not _checks.single_line(item):
            raise PlanError("%s: %s entry %r holds a line break or control character; give %s on one line"
                            % (who, var, item, what))
    return [item.strip() for item in value]


def _name(value, what):
    """A host, group or client name: text on one line."""
    if not isinstance(value, str) or not value.strip() or not _checks.single_line(value):
        raise PlanError("%s: %s is not a usable name; give an inventory name on one line"
                        % (what, _checks.kind(value)))
    return value


def _sort_prefixes(prefixes):
    return sorted(set(prefixes), key=lambda p: (ipaddress.ip_network(p).version, ipaddress.ip_network(p)))


def host_settings(hostvars, interface, host="?"):
    """A host's settings for one network: `wireguard_interfaces[<if>].<key>`
    wins over the flat `wireguard_<key>`. Returns (settings, variable names)."""
    if not _checks.is_mapping(hostvars):
        raise PlanError("host %s: its variables are %s, not a mapping" % (host, _checks.kind(hostvars)))
    overrides = hostvars.get("wireguard_interfaces") or {}
    if not _checks.is_mapping(overrides):
        raise PlanError("host %s: wireguard_interfaces is %s; it must be a mapping of interface name to settings"
                        % (host, _checks.kind(overrides)))
    per_net = overrides.get(interface) or {}
    if not _checks.is_mapping(per_net):
        raise PlanError("host %s: wireguard_interfaces.%s is %s; it must be a mapping of settings (%s)"
                        % (host, interface, _checks.kind(per_net), ", ".join(HOST_KEYS)))
    unknown = _checks.unknown_key(per_net, HOST_KEYS)
    if unknown is not None:
        raise PlanError("host %s: wireguard_interfaces.%s.%s is not a setting%s; a host takes %s"
                        % (host, interface, unknown, _checks.closest(unknown, HOST_KEYS), ", ".join(HOST_KEYS)))
    settings, names = {}, {}
    for key in HOST_KEYS:
        if key in per_net:
            settings[key] = per_net[key]
            names[key] = "wireguard_interfaces.%s.%s" % (interface, key)
        else:
            settings[key] = hostvars.get("wireguard_" + key)
            names[key] = "wireguard_" + key
    return settings, names


def _is_private(lan):
    return any(lan.version == p.version and lan.subnet_of(p) for p in PRIVATE_RANGES)


def parse_endpoint(value, port, who, var):
    """An endpoint setting -> 'host:port' text (IPv6 bracketed) or None."""
    if value is None or value == "":
        return None
    if isinstance(value, (list, tuple)):
        raise PlanError("%s: %s is a YAML list (an unquoted [IPv6]:port reads as one); quote it: %s: '[2001:db8::1]:%d'"
                        % (who, var, var, port))
    if not isinstance(value, str):
        raise PlanError("%s: %s is %s; write host[:port] as text, IPv6 as '[address]:port'"
                        % (who, var, _checks.kind(value)))
    try:
        return _wg_values.join_endpoint(*_wg_values.split_endpoint(value, port))
    except ValueError as exc:
        raise PlanError("%s: %s %r: %s; write host[:port], IPv6 as [address]:port" % (who, var, value, exc))


class Member(object):
    """One host (or unmanaged client) of a network, validated."""

    __slots__ = ("name", "port", "addresses", "lans", "endpoint", "keepalive", "prefixes", "client",
                 "public_key", "names", "hub", "index", "site", "site_endpoint", "nat_endpoint")

    def __init__(self, name, settings, names, network, ranges, client=False):
        self.name = name
        self.client = client
        self.names = names
        who = "%s %s" % ("client" if client else "host", name)
        port = settings.get("port")
        port = network["port"] if port in (None, "") else port
        self.port = _int(port)
        if self.port is None or not 1 <= self.port <= 65535:
            raise PlanError("%s: %s %r must be a number in 1-65535" % (who, names["port"], port))

        self.addresses = []
        raw = _texts(settings.get("address"), who, names["address"], "a tunnel address such as 10.77.0.2")
        if not raw:
            raise PlanError("%s: %s is not set; give it a tunnel address inside %s"
                            % (who, names["address"], ", ".join(str(r) for r in ranges)))
        for value in raw:
            try:
                # The prefix length comes from the range; a given one must still be well formed.
                ip = ipaddress.ip_interface(value).ip if "/" in value else ipaddress.ip_address(value)
            except ValueError:
                raise PlanError("%s: %s %r is not an IP address" % (who, names["address"], value))
            net = next((r for r in ranges if r.version == ip.version and ip in r), None)
            if net is None:
                raise PlanError("%s: %s %s is outside the network range %s of %s"
                                % (who, names["address"], ip, ", ".join(str(r) for r in ranges),
                                   network["interface"]))
            # IPv6 has no broadcast: its last address is an ordinary one.
            if net.num_addresses > 2 and (ip == net.network_address
                                          or (ip.version == 4 and ip == net.broadcast_address)):
                raise PlanError("%s: %s %s is the network or broadcast address of %s"
                                % (who, names["address"], ip, net))
            if any(ip == other for other, _n in self.addresses):
                raise PlanError("%s: %s lists %s twice" % (who, names["address"], ip))
            self.addresses.append((ip, net))

        allowed_public = []
        for value in _texts(settings.get("allow_public_subnets"), who, names["allow_public_subnets"],
                            "a CIDR prefix"):
            try:
                allowed_public.append(ipaddress.ip_network(value, strict=False))
            except ValueError:
                raise PlanError("%s: %s entry %r is not a CIDR prefix" % (who, names["allow_public_subnets"], value))
        self.lans = []
        for value in _texts(settings.get("lan_subnets"), who, names["lan_subnets"], "a CIDR prefix such as "
                            "192.168.10.0/24"):
            try:
                lan = ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise PlanError("%s: %s entry %r is not a CIDR prefix" % (who, names["lan_subnets"], value))
            if lan.prefixlen == 0:
                raise PlanError("%s: %s entry %s would capture all traffic; use the network's egress "
                                "setting for a full tunnel" % (who, names["lan_subnets"], lan))
            allowed = any(lan.version == a.version and lan.subnet_of(a) for a in allowed_public)
            if not _is_private(lan) and not allowed:
                raise PlanError(
                    "%s: %s entry %s is not a private range, so every peer would send that traffic to %s; "
                    "if %s really routes it, add it to %s as well"
                    % (who, names["lan_subnets"], lan, name, name, names["allow_public_subnets"]))
            if lan in self.lans:
                raise PlanError("%s: %s lists %s twice" % (who, names["lan_subnets"], lan))
            self.lans.append(lan)

        self.endpoint = parse_endpoint(settings.get("endpoint"), self.port, who, names["endpoint"])
        keepalive = settings.get("persistent_keepalive")
        keepalive = network["persistent_keepalive"] if keepalive in (None, "") else keepalive
        self.keepalive = _int(keepalive or 0)
        if self.keepalive is None or not 0 <= self.keepalive <= 65535:
            raise PlanError("%s: %s %r must be a number of seconds in 0-65535"
                            % (who, names["persistent_keepalive"], keepalive))
        own = set(ipaddress.ip_network(ip) for ip, _n in self.addresses)
        self.prefixes = [str(p) for p in sorted(own.union(self.lans), key=lambda p: (p.version, p))]
        self.public_key = None
        self.hub = None
        self.index = 0
        self.site, self.site_endpoint, self.nat_endpoint = None, None, None
        if not client:
            self._site(settings, names, who)

    def _site(self, settings, names, who):
        site = settings.get("site")
        if site not in (None, ""):
            if not isinstance(site, str):
                raise PlanError("%s: %s is %s; give the site's name as text, e.g. %s: home (quote it in YAML)"
                                % (who, names["site"], _checks.kind(site), names["site"]))
            if not _SITE_NAME.fullmatch(site.strip()):
                raise PlanError("%s: %s %r is not a usable site name; use 1-63 letters, digits and _.:@- "
                                "(the members with the same name peer directly)" % (who, names["site"], site))
            self.site = site.strip()
        # An explicit site endpoint; the default (the probe's address) is
        # filled in by the network plan.
        value = settings.get("site_endpoint")
        if value not in (None, ""):
            if self.site is None:
                raise PlanError("%s: %s is set but %s is not; name the site too, or remove %s"
                                % (who, names["site_endpoint"], names["site"], names["site_endpoint"]))
            self.site_endpoint = parse_endpoint(value, self.port, who, names["site_endpoint"])

    def interface_addresses(self):
        return ["%s/%d" % (ip, net.prefixlen) for ip, net in self.addresses]

    def versions(self):
        return set(ip.version for ip, _n in self.addresses)

    def endpoint_ip(self):
        return _endpoint_ip(self.endpoint)


def _observed_endpoint(value):
    """True for an ip:port (IPv6 bracketed) as `wg show endpoints` prints it."""
    if not isinstance(value, str) or not _checks.single_line(value) or ":" not in value:
        return False
    try:
        host, port = _wg_values.split_endpoint(value, None)
    except (ValueError, TypeError):
        return False
    return _checks.ip_literal(host) is not None and port is not None and value == _wg_values.join_endpoint(host, port)


def _endpoint_ip(endpoint):
    """The address of a host:port endpoint if it is an IP literal, else None."""
    if not endpoint:
        return None
    host = endpoint.rpartition(":")[0]
    return _checks.ip_literal(host[1:-1] if host.startswith("[") else host)


def _resolve_hosts(value, groups, what):
    """A group name or a list of host names -> list of host names."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        _name(value, what)
        if not _checks.is_mapping(groups):
            raise PlanError("%s: the inventory groups are %s, not a mapping" % (what, _checks.kind(groups)))
        if value not in groups:
            raise PlanError("%s: inventory group %r does not exist%s" % (what, value, _checks.closest(value, groups)))
        hosts = groups[value]
        if not isinstance(hosts, (list, tuple)):
            raise PlanError("%s: inventory group %r is %s, not a list of hosts" % (what, value, _checks.kind(hosts)))
        return [_name(h, what) for h in hosts]
    if not isinstance(value, (list, tuple)):
        raise PlanError("%s is %s; give an inventory group name or a list of host names"
                        % (what, _checks.kind(value)))
    return [_name(v, what + " entry") for v in value]


def normalize_network(interface, spec, groups, defaults=None):
    """Fill a network definition's defaults and resolve its groups."""
    defaults = defaults or {}
    if not isinstance(interface, str) or not _INTERFACE_NAME.fullmatch(interface) or interface in (".", ".."):
        raise PlanError("network %r: the interface name must be 1-15 characters of letters, digits and _=+.-"
                        % (interface,))
    what = "network %s" % interface
    if spec is not None and not _checks.is_mapping(spec):
        raise PlanError("%s: wireguard_networks.%s is %s; it must be a mapping with range, members, hubs ..."
                        % (what, interface, _checks.kind(spec)))
    spec = dict(spec or {})
    unknown = _checks.unknown_key(spec, NETWORK_KEYS)
    if unknown is not None:
        raise PlanError("%s: wireguard_networks.%s.%s is not a setting%s; a network takes %s"
                        % (what, interface, unknown, _checks.closest(unknown, NETWORK_KEYS),
                           ", ".join(k for k in NETWORK_KEYS if k != "clients_var")))
    topology = spec.get("topology") or defaults.get("topology") or "hub_and_spoke"
    if not isinstance(topology, str) or topology not in TOPOLOGIES:
        raise PlanError("%s: topology %r is not one of %s%s"
                        % (what, topology, ", ".join(TOPOLOGIES), _checks.closest(topology, TOPOLOGIES)))
    member_group = spec.get("members", defaults.get("members", "wireguard"))
    hub_group = spec.get("hubs", defaults.get("hubs", "wireguard_hubs"))
    members = list(dict.fromkeys(_resolve_hosts(member_group, groups, what + " members")))
    member_set = set(members)
    hub_list = []
    if isinstance(hub_group, str) and hub_group not in groups:
        _name(hub_group, what + " hubs")
        hubs = []  # an absent hub group is only an error where hubs are needed
    elif isinstance(hub_group, str):
        hubs = [h for h in dict.fromkeys(_resolve_hosts(hub_group, groups, what + " hubs")) if h in member_set]
    else:
        hub_list = list(dict.fromkeys(_resolve_hosts(hub_group, groups, what + " hubs")))
        hubs = [h for h in hub_list if h in member_set]
    ranges = []
    for value in _texts(spec.get("range", defaults.get("range")), what, "range", "a CIDR range such as 10.77.0.0/24"):
        try:
            r = ipaddress.ip_network(value)
        except ValueError as exc:
            raise PlanError("%s: range: %s" % (what, exc))
        if r.prefixlen == 0:
            raise PlanError("%s: range %s covers every address; give the tunnel its own range, e.g. 10.77.0.0/24, "
                            "and use egress for a full tunnel" % (what, r))
        if any(r.overlaps(o) for o in ranges if o.version == r.version):
            raise PlanError("%s: range lists %s, which overlaps another entry of it" % (what, r))
        ranges.append(r)
    port = spec.get("port", defaults.get("port", DEFAULT_PORT))
    if _int(port) is None or not 1 <= _int(port) <= 65535:
        raise PlanError("%s: port %r must be a number in 1-65535" % (what, port))
    keepalive = spec.get("persistent_keepalive", defaults.get("persistent_keepalive", DEFAULT_KEEPALIVE))
    if _int(keepalive or 0) is None or not 0 <= _int(keepalive or 0) <= 65535:
        raise PlanError("%s: persistent_keepalive %r must be a number of seconds in 0-65535" % (what, keepalive))
    egress = spec.get("egress") or {}
    if not _checks.is_mapping(egress):
        raise PlanError("%s: egress is %s; write egress: {gateway: <host>, members: all | [hosts]}"
                        % (what, _checks.kind(egress)))
    unknown = _checks.unknown_key(egress, EGRESS_KEYS)
    if unknown is not None:
        raise PlanError("%s: egress.%s is not a setting%s; egress takes gateway and members"
                        % (what, unknown, _checks.closest(unknown, EGRESS_KEYS)))
    gateway = egress.get("gateway") or None
    if gateway is not None:
        _name(gateway, what + " egress.gateway")
    elif egress:
        raise PlanError("%s: egress has no gateway; write egress: {gateway: <host>, members: all | [hosts]}" % what)
    egress_members = egress.get("members", "all")
    if egress_members != "all":
        egress_members = _resolve_hosts(egress_members, groups, what + " egress members")
    nat_traversal = spec.get("nat_traversal", defaults.get("nat_traversal", False))
    if nat_traversal is None:
        nat_traversal = False
    if not isinstance(nat_traversal, bool):
        raise PlanError("%s: nat_traversal is %s; write nat_traversal: true or false"
                        % (what, _checks.kind(nat_traversal)))
    clients_var = spec.get("clients_var") or "wireguard_networks.%s.clients" % interface
    clients = spec.get("clients") or {}
    if not _checks.is_mapping(clients):
        raise PlanError("%s: %s is %s; it must map client names to their settings"
                        % (what, clients_var, _checks.kind(clients)))
    return {
        "interface": interface,
        "topology": topology,
        "members": members,
        "member_group": member_group if isinstance(member_group, str) else None,
        "hubs": hubs,
        "hub_group": hub_group if isinstance(hub_group, str) else None,
        "hub_list": hub_list,
        "ranges": ranges,
        "port": port,
        "persistent_keepalive": keepalive,
        "egress_gateway": gateway,
        "egress_members": egress_members,
        "clients": clients,
        "nat_traversal": nat_traversal,
        # The single-network form reads its clients from wireguard_clients.
        "clients_var": clients_var,
    }


def _without_absent(net, hostvars):
    """The network without the members marked wireguard_state: absent.

    Those hosts are being torn down in this run: they drop out of every peer
    list and count for no check (a duplicate address, a port), so removing a
    host is one run that marks it absent."""
    absent = []
    for name in net["members"]:
        state = hostvars[name].get("wireguard_state", "present")
        if state not in ("present", "absent", None, "") or not isinstance(state, (str, type(None))):
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


def _no_watchdog(hostvars, probe):
    """A host the watchdog cannot run on: a Linux host without systemd (no
    timer to run it). OpenWrt routers run it from cron, so they count as
    having one (by their inventory group or by what the probe found)."""
    groups = hostvars.get("group_names") if _checks.is_mapping(hostvars) else None
    if isinstance(groups, (list, tuple)) and "openwrt" in groups:
        return False
    return _checks.is_mapping(probe) and probe.get("openwrt") is not True and probe.get("systemd") is False


class NetworkPlan(object):
    """The validated plan of one network."""

    def __init__(self, net, hostvars, public_keys, allow_missing_keys, probes=None):
        self.net = net
        self.site_unknown, self.nat_symmetric, self.nat_pending, self.no_watchdog = [], [], [], []
        self.interface = net["interface"]
        what = "network %s" % self.interface
        if not net["ranges"]:
            raise PlanError("%s: no address range; set range (wireguard_network), e.g. 10.77.0.0/24" % what)
        if not net["members"]:
            raise PlanError("%s: no members; the group %r has no hosts" % (what, net["member_group"]))
        for name in net["members"]:
            if name not in hostvars:
                raise PlanError("%s: member %r is not an inventory host" % (what, name))
            if not _checks.is_mapping(hostvars[name]):
                raise PlanError("host %s: its variables are %s, not a mapping" % (name, _checks.kind(hostvars[name])))
        for name in net.get("hub_list") or ():
            if name not in hostvars:
                raise PlanError("%s: hubs names %r, which is not an inventory host%s" % (
                    what, name, _checks.closest(name, net["members"])))
        net = self.net = _without_absent(net, hostvars)
        if not net["members"]:
            # Every member is being removed: nothing to plan or check.
            self.members, self.clients, self.hubs, self.hub_set = {}, {}, [], set()
            self.egress_members, self.missing_keys, self.pending_clients = set(), [], []
            return

        self.members = {}
        for index, name in enumerate(net["members"]):
            settings, names = host_settings(hostvars[name], self.interface, name)
            self.members[name] = Member(name, settings, names, net, net["ranges"])
            self.members[name].index = index
        self.clients = {}
        self.hubs = list(net["hubs"])
        self.hub_set = set(self.hubs)
        for index, name in enumerate(sorted(net["clients"], key=str)):
            spec = net["clients"][name]
            label = "%s.%s" % (net["clients_var"], name)
            _name(name, "%s: a client name in %s" % (what, net["clients_var"]))
            if name in hostvars:
                raise PlanError("%s: client %r has the name of an inventory host" % (what, name))
            spec = spec or {}
            if not _checks.is_mapping(spec):
                raise PlanError("client %s: %s is %s; it must be a mapping of settings"
                                % (name, label, _checks.kind(spec)))
            unknown = _checks.unknown_key(spec, CLIENT_KEYS)
            if unknown is not None:
                raise PlanError("client %s: unknown setting %s.%s%s; a client takes %s"
                                % (name, label, unknown, _checks.closest(unknown, CLIENT_KEYS),
                                   ", ".join(sorted(CLIENT_KEYS))))
            names = dict((k, "%s.%s" % (label, k)) for k in HOST_KEYS + ("public_key", "hub"))
            settings = dict((k, spec.get(k)) for k in HOST_KEYS)
            settings["persistent_keepalive"] = spec.get("persistent_keepalive", net["persistent_keepalive"])
            client = Member(name, settings, names, net, net["ranges"], client=True)
            client.index = len(net["members"]) + index
            # A key given in the inventory wins; else the one clients.yml generated and recorded.
            key = spec.get("public_key") or public_keys.get(name) or None
            if key is not None and not (isinstance(key, str) and _wg_crypto.is_valid_key(key)):
                raise PlanError("client %s: %s is not a valid WireGuard public key (44 base64 characters)"
                                % (name, names["public_key"]))
            client.public_key = key.strip() if key else None
            hub = spec.get("hub")
            if hub not in (None, "") and (not isinstance(hub, str) or hub not in self.hub_set):
                raise PlanError("client %s: %s %r is not a hub of %s; choose one of %s"
                                % (name, names["hub"], hub, self.interface, ", ".join(net["hubs"]) or "(none)"))
            client.hub = hub or (net["hubs"][0] if net["hubs"] else None)
            self.clients[name] = client
        self._check_unique()
        self._check_reachability()
        self._check_egress()

        self.missing_keys = []
        for name in net["members"]:
            key = public_keys.get(name)
            if key and not (isinstance(key, str) and _wg_crypto.is_valid_key(key)):
                raise PlanError("host %s: the recorded public key %r of %s is not a valid WireGuard key; fix it in "
                                "the recorded keys file (wireguard_public_key_file) or delete its entry, and run the "
                                "play again" % (name, key, what))
            if key:
                self.members[name].public_key = key.strip()
            else:
                self.missing_keys.append(name)
        self._check_keys()
        if self.missing_keys and not allow_missing_keys:
            raise PlanError(
                "%s: the public keys of %s are not known yet; run the play once against those hosts "
                "(without --limit) so their keys are generated on them" % (what, ", ".join(self.missing_keys)))
        self.pending_clients = sorted(n for n, c in self.clients.items() if not c.public_key)
        # The watchdog that moves a direct peer back to the hub needs systemd
        # on Linux (OpenWrt runs it from cron): hosts without it keep to the
        # hub, and so do their partners (a one-sided direct entry would drop
        # the partner's packets).
        probes = probes if _checks.is_mapping(probes) else {}
        self.no_watchdog = [n for n in net["members"] if _no_watchdog(hostvars[n], probes.get(n))]
        self._observe(probes)

    # ------------------------------------------------------------ direct paths
    def _live(self, probes, host, table):
        """peer key -> what host's probe saw on this interface: an ip:port
        (table wg_endpoints, anything else dropped) or a unix time (table
        wg_handshakes)."""
        probe = probes.get(host)
        values = probe.get(table) if _checks.is_mapping(probe) else None
        values = values.get(self.interface) if _checks.is_mapping(values) else None
        if not _checks.is_mapping(values):
            return {}
        if table == "wg_handshakes":
            return dict((k, v) for k, v in values.items() if isinstance(v, int) and not isinstance(v, bool))
        return dict((k, v) for k, v in values.items() if _observed_endpoint(v))

    def _observe(self, probes):
        """Site endpoints and NAT endpoints from the probes of this run's hosts
        (host -> wg_probe result); see docs/direct-paths.md."""
        members = self.members
        if not _checks.is_mapping(probes):
            probes = {}
        for name in self.no_watchdog:
            members[name].site_endpoint = None
        for name in self.net["members"]:
            m = members[name]
            if m.site is None or m.site_endpoint or name in self.hub_set or name in self.no_watchdog:
                continue
            probe = probes.get(name)
            address = probe.get("default_ipv4") if _checks.is_mapping(probe) else None
            if isinstance(address, str) and _checks.ip_literal(address) is not None:
                m.site_endpoint = _wg_values.join_endpoint(address, m.port)
                continue
            # Not probed in this run (--limit): what a site neighbour has live
            # for it, so the pair does not churn.
            for other in self.net["members"]:
                live = self._live(probes, other, "wg_endpoints").get(m.public_key) if m.public_key else None
                if other != name and other not in self.hub_set and members[other].site == m.site \
                        and isinstance(live, str):
                    m.site_endpoint = live
                    break
            else:
                self.site_unknown.append(name)
        if not self.net["nat_traversal"] or self.net["topology"] == "mesh":
            return
        candidates = [n for n in self.net["members"] if n not in self.hub_set and not members[n].endpoint
                      and members[n].public_key and n not in self.no_watchdog]
        for name in candidates:
            m = members[name]
            seen = []
            for hub in self.hubs:
                probe = probes.get(hub)
                now = probe.get("now") if _checks.is_mapping(probe) else None
                shake = self._live(probes, hub, "wg_handshakes").get(m.public_key)
                endpoint = self._live(probes, hub, "wg_endpoints").get(m.public_key)
                if isinstance(now, int) and isinstance(shake, int) and isinstance(endpoint, str) \
                        and now - shake < OBSERVED_MAX_AGE:
                    seen.append(endpoint)
            if len(set(seen)) > 1:
                self.nat_symmetric.append(name)  # two hubs, two mappings: hole punching cannot work
            elif seen:
                m.nat_endpoint = seen[0]
            else:
                # No hub of this run saw it: the endpoint a partner already has
                # live for it, so a run with --limit does not churn.
                for other in candidates:
                    live = self._live(probes, other, "wg_endpoints").get(m.public_key)
                    if other != name and isinstance(live, str):
                        m.nat_endpoint = live
                        break
        for name in candidates:
            m = members[name]
            if m.nat_endpoint or name in self.nat_symmetric:
                continue
            if any(o != name and o not in self.nat_symmetric and (m.site is None or members[o].site != m.site)
                   for o in candidates):
                self.nat_pending.append(name)

    # ------------------------------------------------------------ validation
    def _all(self):
        return list(self.members.values()) + list(self.clients.values())

    def _check_keys(self):
        """A cloned VM or a pasted key: two peers with one key cannot both be peers."""
        seen = {}
        for m in self._all():
            if not m.public_key:
                continue
            other = seen.get(m.public_key)
            if other is not None:
                first, second = sorted((other, m), key=lambda x: x.index)
                raise PlanError(
                    "%s %s and %s %s of network %s have the same public key %s; each needs its own key pair "
                    "(a cloned machine or a pasted key?): regenerate one (wireguard_rotate_hosts, or a new key for a "
                    "client)" % ("client" if first.client else "host", first.name,
                                 "client" if second.client else "host", second.name, self.interface,
                                 _wg_crypto.fingerprint(m.public_key)))
            seen[m.public_key] = m

    def _check_unique(self):
        seen = {}
        for m in self._all():
            for ip, _net in m.addresses:
                if ip in seen:
                    raise PlanError("%s %s: %s %s is already used by %s"
                                    % ("client" if m.client else "host", m.name, m.names["address"], ip, seen[ip]))
                seen[ip] = m.name
        # Ranges and LANs must not overlap: sort and sweep, O(n log n).
        items = [(r, None) for r in self.net["ranges"]]
        items += [(lan, m) for m in self._all() for lan in m.lans]
        for (a, a_owner), (b, b_owner) in _checks.overlaps(items):
            if a_owner is None or b_owner is None:
                lan, m = (a, a_owner) if b_owner is None else (b, b_owner)
                r = b if b_owner is None else a
                raise PlanError("host %s: %s %s overlaps the tunnel range %s of %s"
                                % (m.name, m.names["lan_subnets"], lan, r, self.interface))
            if a_owner is b_owner:
                raise PlanError("host %s: %s entries %s and %s overlap; list the larger one only"
                                % (a_owner.name, a_owner.names["lan_subnets"], a, b))
            (first, first_lan), (m, lan) = sorted(((a_owner, a), (b_owner, b)), key=lambda x: x[0].index)
            raise PlanError("host %s: %s %s overlaps %s of host %s; each site LAN needs its own "
                            "prefix" % (m.name, m.names["lan_subnets"], lan, first_lan, first.name))
        # An endpoint inside a prefix routed into the tunnel: the encrypted
        # packets to it would be routed into the tunnel again.
        lookup = _checks.sorted_for_lookup(items)
        for m in self._all():
            for var, endpoint in (("endpoint", m.endpoint), ("site_endpoint", m.site_endpoint)):
                ip = _endpoint_ip(endpoint)
                hit = ip is not None and _checks.containing(lookup, ip)
                if hit:
                    prefix, owner = hit
                    where = ("the tunnel range of %s" % self.interface if owner is None
                             else "%s of %s" % (owner.names["lan_subnets"], owner.name))
                    raise PlanError("%s %s: %s %s is inside %s (%s), which is routed into the tunnel, so the "
                                    "encrypted packets would loop back into it; give the address the host is reached "
                                    "at from outside the tunnel" % ("client" if m.client else "host", m.name,
                                                                    m.names[var], endpoint, prefix, where))

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

    def _peers_directly(self, name, other):
        """direct_peers(name) contains other, in O(1)."""
        if name == other:
            return False
        topology = self.net["topology"]
        if topology == "mesh" or name in self.hub_set:
            return True
        if topology == "hub_and_spoke" or not self.members[name].endpoint:
            return other in self.hub_set
        return bool(self.members[other].endpoint)

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
            raise PlanError("%s: egress gateway %r is not a member%s" % (what, gw, _checks.closest(gw, self.members)))
        members = self.net["egress_members"]
        if members == "all":
            members = [n for n in self.net["members"] if n != gw]
        for name in members:
            if name not in self.members:
                raise PlanError("%s: egress member %r is not a member%s"
                                % (what, name, _checks.closest(name, self.members)))
            if name == gw:
                raise PlanError("%s: host %s cannot send its full tunnel through itself" % (what, name))
            if not self._peers_directly(name, gw):
                raise PlanError("%s: host %s does not peer directly with egress gateway %s in topology %s; "
                                "make the gateway a hub" % (what, name, gw, self.net["topology"]))
        self.egress_members = set(members)

    def to_dict(self):
        """The plan as plain data: member data once, no per-pair entries."""
        def member(m):
            return {"addresses": m.interface_addresses(), "prefixes": m.prefixes,
                    "lans": [str(lan) for lan in m.lans], "endpoint": m.endpoint, "keepalive": m.keepalive,
                    "port": m.port, "versions": sorted(m.versions()), "public_key": m.public_key,
                    "site": m.site, "site_endpoint": m.site_endpoint, "nat_endpoint": m.nat_endpoint}

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
            "nat_traversal": net["nat_traversal"],
            "nat_keepalive": _int(net["persistent_keepalive"] or 0) or DEFAULT_KEEPALIVE,
            "nat_symmetric": list(self.nat_symmetric),
            "nat_pending": list(self.nat_pending),
            "site_unknown": list(self.site_unknown),
            "no_watchdog": [n for n in self.no_watchdog if self.members[n].site is not None or net["nat_traversal"]],
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


def direct_paths(net, name):
    """Members this non-hub member also peers with directly, beyond its
    topology's peers: name -> ('site', endpoint) for a site neighbour (both
    site endpoints known), ('nat', endpoint) for a NAT-traversal partner
    (both endpoints observed, not the same site, neither symmetric)."""
    members = net["members"]
    me = members[name]
    if name in net["hubs"]:
        return {}
    hubs = set(net["hubs"])
    result = {}
    site = me.get("site")
    if site and me.get("site_endpoint"):
        for n in net["order"]:
            other = members[n]
            if n != name and n not in hubs and other.get("site") == site and other.get("site_endpoint"):
                result[n] = ("site", other["site_endpoint"])
    symmetric = set(net.get("nat_symmetric") or ())
    if net.get("nat_traversal") and net["topology"] != "mesh" and me.get("nat_endpoint") \
            and name not in symmetric:
        for n in net["order"]:
            other = members[n]
            if n != name and n not in hubs and n not in symmetric and other.get("nat_endpoint") \
                    and not (site and other.get("site") == site):
                result[n] = ("nat", other["nat_endpoint"])
    return result


def host_plan(net, name):
    """Interface settings and the full peer list of one member of a planned network."""
    me = net["members"][name]
    members = net["members"]
    direct = direct_peers(net, name)
    direct_set = set(direct)
    relay = relay_for(net, name, direct)
    extra = direct_paths(net, name)
    relay_extra = []
    if relay:
        relay_extra = list(net["ranges"]) + [
            lan for n in net["order"] if n != name and n not in direct_set and n not in extra
            for lan in members[n]["lans"]] + [
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
    _add_direct_paths(net, name, peers, extra, direct_set, relay)
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


def _add_direct_paths(net, name, peers, extra, direct_set, relay):
    """Site neighbours and NAT partners in a peer list (host_plan). Outside a
    mesh they are watched peers (path, relay_public_key): their values are
    the direct state, and the host's watchdog keeps them on the relay until
    the direct path works (docs/direct-paths.md)."""
    if not extra:
        return
    members = net["members"]
    relay_key = members[relay]["public_key"] if relay else None
    watched = net["topology"] != "mesh" and bool(relay_key)
    by_name = dict((p["name"], p) for p in peers)
    for n in net["order"]:
        if n not in extra or not members[n]["public_key"]:
            continue
        path, endpoint = extra[n]
        entry = by_name.get(n)
        if entry is None:
            if not watched:
                continue  # no relay key yet (check mode): this path waits for the next run
            entry = {"name": n, "public_key": members[n]["public_key"], "allowed_ips": list(members[n]["prefixes"])}
            peers.append(entry)
        entry["endpoint"] = endpoint
        entry["persistent_keepalive"] = net.get("nat_keepalive") or DEFAULT_KEEPALIVE if path == "nat" else 0
        if watched:
            entry["path"] = path
            entry["relay_public_key"] = relay_key


def member_interfaces(networks, groups, host, defaults=None):
    """Interfaces of the networks a host is a member of (before keys exist)."""
    _check_networks(networks, allow_empty=True)
    result = []
    for interface in sorted(networks or {}, key=str):
        spec = networks[interface] or {}
        if not _checks.is_mapping(spec):
            raise PlanError("network %s: wireguard_networks.%s is %s; it must be a mapping with range, members, "
                            "hubs ..." % (interface, interface, _checks.kind(spec)))
        members = _resolve_hosts(spec.get("members", (defaults or {}).get("members", "wireguard")), groups,
                                 "network %s members" % interface)
        if host in members:
            result.append(interface)
    return result


def _check_networks(networks, allow_empty=False):
    if networks in (None, {}) and allow_empty:
        return
    if not _checks.is_mapping(networks) or not networks:
        raise PlanError("wireguard_networks is %s; it must map interface names to network definitions, e.g. "
                        "{wg0: {range: 10.77.0.0/24}}" % _checks.kind(networks))
    for interface in networks:
        if not isinstance(interface, str):
            raise PlanError("wireguard_networks: the interface name %s is not text; quote it" % _checks.kind(interface))


def collect_public_keys(registered, stored=None):
    """interface -> host -> public key, from the stored keys updated with this
    run's wg_key results (host -> registered loop result)."""
    stored = _check_public_keys(stored)
    keys = dict((i, dict(h)) for i, h in stored.items() if _checks.is_mapping(h))
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
    return dict((p["interface"], _wg_peers.wanted_routes(p["addresses"], p["peers"])) for p in host_interfaces(plan, host))


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


def _check_across(planned):
    """What one network cannot see: a host in two networks must route every
    prefix to exactly one place. Sort and sweep over every range and LAN of
    every network, then look at the overlapping groups only."""
    if len(planned) < 2:
        return
    networks_of = {}
    for net in planned.values():
        for name in net.members:
            networks_of.setdefault(name, []).append(net.interface)
    shared = {}
    for name in sorted(networks_of):
        ifaces = networks_of[name]
        for i, a in enumerate(ifaces):
            for b in ifaces[i + 1:]:
                shared.setdefault((a, b), name)
                shared.setdefault((b, a), name)
    items = []
    for net in planned.values():
        items += [(r, (net, None)) for r in net.net["ranges"]]
        items += [(lan, (net, m)) for m in net._all() for lan in m.lans]
    for group in _checks.clusters(items):
        for i, (a, (net_a, owner_a)) in enumerate(group):
            for b, (net_b, owner_b) in group[i + 1:]:
                if net_a is net_b or not a.overlaps(b):
                    continue
                _conflict(a, net_a, owner_a, b, net_b, owner_b, shared)


def _conflict(a, net_a, owner_a, b, net_b, owner_b, shared):
    host = shared.get((net_a.interface, net_b.interface))
    if owner_a is None and owner_b is None:
        if host:
            raise PlanError("host %s: networks %s and %s have overlapping tunnel ranges %s and %s; a host in both "
                            "could not tell which interface an address is on; give one network another range"
                            % (host, net_a.interface, net_b.interface, a, b))
        return
    if owner_a is None or owner_b is None:
        lan, net, m, r, other = (b, net_b, owner_b, a, net_a) if owner_a is None else (a, net_a, owner_a, b, net_b)
        raise PlanError("%s %s: %s %s of network %s overlaps the tunnel range %s of network %s; give the LAN or "
                        "that network another prefix"
                        % ("client" if m.client else "host", m.name, m.names["lan_subnets"], lan, net.interface, r,
                           other.interface))
    if owner_a.name == owner_b.name and not owner_a.client:
        same_var = owner_a.names["lan_subnets"] == owner_b.names["lan_subnets"]
        raise PlanError("host %s: %s announces %s on network %s and %s on network %s; a LAN is routed through one "
                        "network: set it for one of them only, under wireguard_interfaces.<if>.lan_subnets"
                        % (owner_a.name, "wireguard_lan_subnets" if same_var else "it", a, net_a.interface, b,
                           net_b.interface))
    if host:
        raise PlanError("host %s: is a member of networks %s and %s, and %s would reach %s through %s on %s but "
                        "%s through %s on %s; a prefix must have one way in: remove one of those LANs or give it "
                        "another prefix"
                        % (host, net_a.interface, net_b.interface, host, a, owner_a.name, net_a.interface, b,
                           owner_b.name, net_b.interface))


def _check_public_keys(public_keys):
    """The recorded keys (wireguard_public_key_file) as read: interface -> host -> key."""
    fix = ("the recorded public keys file (wireguard_public_key_file, by default wireguard_public_keys.yml next to "
           "the inventory) must map interface names to host -> public key; fix it, or delete it and run the play "
           "without --limit so the keys are recorded again")
    if public_keys in (None, ""):
        return {}
    if not _checks.is_mapping(public_keys):
        raise PlanError("%s (it holds %s)" % (fix, _checks.kind(public_keys)))
    for interface, keys in public_keys.items():
        if keys is not None and not _checks.is_mapping(keys):
            raise PlanError("%s (its entry %r holds %s)" % (fix, interface, _checks.kind(keys)))
        for host, key in (keys or {}).items():
            if key is not None and not isinstance(key, str):
                raise PlanError("host %s: its recorded public key on %s is %s; %s" % (
                    host, interface, _checks.kind(key), fix))
    return public_keys


def plan_networks(hostvars, networks, groups, public_keys, allow_missing_keys=False, defaults=None,
                  preshared_keys=False, probes=None):
    """Validate every network and return the plan as plain data.

    hostvars: host name -> variables; networks: interface -> definition (see
    normalize_network); groups: inventory group -> host names; public_keys:
    interface -> host (or client) -> public key; preshared_keys: every peer
    entry names the file of its PSK (see _psk.psk_file); probes: host ->
    wg_probe result of this run's hosts (site and NAT endpoints).
    """
    _check_networks(networks)
    if not _checks.is_mapping(hostvars):
        raise PlanError("hostvars is %s, not a mapping of host names to variables" % _checks.kind(hostvars))
    if not _checks.is_mapping(groups):
        raise PlanError("groups is %s, not a mapping of group names to hosts" % _checks.kind(groups))
    if defaults is not None and not _checks.is_mapping(defaults):
        raise PlanError("the network defaults are %s, not a mapping" % _checks.kind(defaults))
    public_keys = _check_public_keys(public_keys)
    planned = {}
    for interface in sorted(networks):
        net = normalize_network(interface, networks[interface], groups, defaults)
        planned[interface] = NetworkPlan(net, hostvars, public_keys.get(interface) or {}, allow_missing_keys,
                                         probes)
    _check_ports(planned)
    _check_across(planned)
    result = {"networks": dict((i, n.to_dict()) for i, n in planned.items())}
    for net in result["networks"].values():
        net["preshared_keys"] = bool(preshared_keys)
    return result
