# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure WireGuard logic shared by the modules: keys, ``wg show dump`` and
wg-quick config parsing and rendering, and the reconcile plan.

Nothing here runs a command or touches a file, so all of it is unit tested
without a host. This is a private module_utils: its API may change.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import itertools
import json
import os
import re

KEY_LEN = 32
CONFIG_HEADER = "# Managed by wgnet.wireguard (wg_interface). Local edits are overwritten.\n"

# ---------------------------------------------------------------- keys
# X25519 (RFC 7748) in plain Python: hosts need neither pynacl nor `wg pubkey`
# to derive a public key, and no key ever goes through a subprocess argv.
_P = 2 ** 255 - 19
_A24 = 121665


def _clamp(scalar):
    b = bytearray(scalar)
    b[0] &= 248
    b[31] &= 127
    b[31] |= 64
    return bytes(b)


def _x25519(scalar, u_coord):
    k = int.from_bytes(_clamp(scalar), "little")
    x1 = u_coord
    x2, z2, x3, z3 = 1, 0, u_coord, 1
    swap = 0
    for t in reversed(range(255)):
        bit = (k >> t) & 1
        swap ^= bit
        if swap:
            x2, x3 = x3, x2
            z2, z3 = z3, z2
        swap = bit
        a = (x2 + z2) % _P
        aa = a * a % _P
        b = (x2 - z2) % _P
        bb = b * b % _P
        e = (aa - bb) % _P
        c = (x3 + z3) % _P
        d = (x3 - z3) % _P
        da = d * a % _P
        cb = c * b % _P
        x3 = (da + cb) ** 2 % _P
        z3 = x1 * (da - cb) ** 2 % _P
        x2 = aa * bb % _P
        z2 = e * (aa + _A24 * e) % _P
    if swap:
        x2, x3 = x3, x2
        z2, z3 = z3, z2
    return (x2 * pow(z2, _P - 2, _P) % _P).to_bytes(KEY_LEN, "little")


def decode_key(text):
    """Return the 32 raw bytes of a base64 WireGuard key, or raise ValueError."""
    if not isinstance(text, str):
        raise ValueError("a WireGuard key is a base64 string")
    text = text.strip()
    if len(text) != 44 or not text.endswith("="):
        raise ValueError("a WireGuard key is 44 base64 characters ending in '='")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a WireGuard key is 44 base64 characters ending in '='")
    if len(raw) != KEY_LEN or base64.b64encode(raw).decode("ascii") != text:
        # Non-canonical padding bits decode fine here but `wg` refuses them.
        raise ValueError("a WireGuard key is 44 base64 characters ending in '=' that decode to 32 bytes")
    return raw


def is_valid_key(text):
    try:
        decode_key(text)
    except ValueError:
        return False
    return True


def generate_private_key():
    """A new private key, clamped like `wg genkey` does."""
    return base64.b64encode(_clamp(os.urandom(KEY_LEN))).decode("ascii")


def public_key(private_key):
    """The public key of a base64 private key."""
    return base64.b64encode(_x25519(decode_key(private_key), 9)).decode("ascii")


def fingerprint(key):
    """A short, stable label for a public key, for diffs and messages."""
    if not key:
        return "(none)"
    return key[:8] + "..."


# ---------------------------------------------------------------- values
def normalize_prefix(value):
    """'10.0.0.1/24' -> '10.0.0.0/24'; a bare address gets a host prefix."""
    if not isinstance(value, str):
        raise ValueError("%r is not a CIDR prefix (text)" % (value,))
    return str(ipaddress.ip_network(value.strip(), strict=False))


def normalize_interface_address(value):
    """An interface address keeps its host bits: '10.0.0.1/24'."""
    if not isinstance(value, str):
        raise ValueError("%r is not an interface address (text)" % (value,))
    return str(ipaddress.ip_interface(value.strip()))


# A DNS name: labels of letters, digits, _ and - (not leading), dot-separated, a trailing dot allowed.
_DNS_NAME = re.compile(r"(?=.{1,253}\Z)(?:[A-Za-z0-9_][A-Za-z0-9_-]{0,62}\.)*[A-Za-z0-9_][A-Za-z0-9_-]{0,62}\.?")


def split_endpoint(endpoint, default_port=51820):
    """'host:port', 'host', '[v6]:port' or '[v6]' -> (host, port); IPv6 must be bracketed.
    The host is an IP address or a DNS name; nothing else (no spaces, no line breaks)."""
    if not isinstance(endpoint, str):
        raise ValueError("the endpoint must be text, not %s" % type(endpoint).__name__)
    if re.search("[\x00-\x1f\x7f-\x9f\u2028\u2029]", endpoint):
        raise ValueError("the endpoint holds a line break or control character")
    text = endpoint.strip()
    if not text:
        raise ValueError("empty endpoint")
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep:
            raise ValueError("endpoint %r: missing ']'" % text)
        if rest and not rest.startswith(":"):
            raise ValueError("endpoint %r: expected ':port' after ']'" % text)
        port = rest[1:] if rest else default_port
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError("endpoint %r: %r in brackets is not an IPv6 address" % (text, host))
    elif text.count(":") > 1:
        # `wg` splits an unbracketed endpoint at its last ':', so 2001:db8::1:4500
        # would silently become [2001:db8::1]:4500: refuse the ambiguity.
        raise ValueError("endpoint %r: write an IPv6 endpoint in brackets, [address]:port" % text)
    else:
        host, sep, port = text.partition(":")
        if not sep:
            port = default_port
        if not host:
            raise ValueError("endpoint %r: empty host" % text)
        if re.fullmatch(r"[0-9.]+", host):
            try:
                ipaddress.IPv4Address(host)
            except ValueError:
                raise ValueError("endpoint %r: %r is not an IPv4 address" % (text, host))
        elif not _DNS_NAME.fullmatch(host):
            raise ValueError("endpoint %r: %r is neither an IP address nor a DNS name" % (text, host))
    if isinstance(port, bool) or not (isinstance(port, int) or re.fullmatch(r"[0-9]{1,5}", str(port))):
        raise ValueError("endpoint %r: port is not a number" % text)
    port = int(port)
    if not 1 <= port <= 65535:
        raise ValueError("endpoint %r: port %d is outside 1-65535" % (text, port))
    return host, port


def join_endpoint(host, port):
    if ":" in host:
        return "[%s]:%d" % (host, port)
    return "%s:%d" % (host, port)


# ---------------------------------------------------------------- wg show dump
def parse_dump(text):
    """Parse `wg show <if> dump`.

    The first line carries the interface's private key: it is dropped here and
    never stored. A peer's preshared key is kept only so the caller can compare
    it on the host; it must never be returned from a module.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError("empty `wg show dump` output")
    head = lines[0].split("\t")
    if len(head) != 4:
        raise ValueError("unexpected interface line in `wg show dump`")
    peers = {}
    for line in lines[1:]:
        f = line.split("\t")
        if len(f) != 8:
            raise ValueError("unexpected peer line in `wg show dump`")
        peers[f[0]] = dump_peer(f)
    return dump_interface(head), peers


def dump_interface(fields):
    """One interface line of a dump (private key, public key, port, fwmark),
    without the private key."""
    return {
        "public_key": None if fields[1] == "(none)" else fields[1],
        "listen_port": int(fields[2]) if fields[2] not in ("0", "(none)") else None,
        "fwmark": None if fields[3] == "off" else int(fields[3], 0),
    }


def dump_peer(f):
    """One peer line of a dump (without the interface column)."""
    return {
        "public_key": f[0],
        "preshared_key": None if f[1] == "(none)" else f[1],
        "endpoint": None if f[2] == "(none)" else f[2],
        "allowed_ips": [] if f[3] == "(none)" else sorted(normalize_prefix(p) for p in f[3].split(",")),
        "latest_handshake": int(f[4]),
        "transfer_rx": int(f[5]),
        "transfer_tx": int(f[6]),
        "persistent_keepalive": 0 if f[7] == "off" else int(f[7]),
    }


# ---------------------------------------------------------------- wg-quick config
def render_config(interface, peers, private_key, preshared_keys=None):
    """Render a wg-quick config.

    interface: dict with addresses, listen_port, mtu, fwmark.
    peers: list of normalized peer dicts (see normalize_peer).
    private_key / preshared_keys: key material read on the host; the result
    therefore never leaves the host.
    """
    preshared_keys = preshared_keys or {}
    out = [CONFIG_HEADER, "[Interface]\n", "PrivateKey = %s\n" % private_key]
    if interface.get("addresses"):
        out.append("Address = %s\n" % ", ".join(interface["addresses"]))
    if interface.get("listen_port"):
        out.append("ListenPort = %d\n" % interface["listen_port"])
    if interface.get("mtu"):
        out.append("MTU = %d\n" % interface["mtu"])
    if interface.get("fwmark"):
        out.append("FwMark = %#x\n" % interface["fwmark"])
    for peer in sorted(peers, key=lambda p: p["public_key"]):
        out.append(render_peer(peer, preshared_keys))
    return "".join(out)


def render_peer(peer, preshared_keys=None):
    """One [Peer] section of a wg-quick config (a host's or a client's)."""
    preshared_keys = preshared_keys or {}
    out = ["\n[Peer]\n"]
    if peer.get("name"):
        out.append("# friendly_name = %s\n" % peer["name"])
    out.append("PublicKey = %s\n" % peer["public_key"])
    if preshared_keys.get(peer["public_key"]):
        out.append("PresharedKey = %s\n" % preshared_keys[peer["public_key"]])
    if peer["allowed_ips"]:
        out.append("AllowedIPs = %s\n" % ", ".join(peer["allowed_ips"]))
    if peer.get("endpoint"):
        out.append("Endpoint = %s\n" % peer["endpoint"])
    if peer.get("persistent_keepalive"):
        out.append("PersistentKeepalive = %d\n" % peer["persistent_keepalive"])
    return "".join(out)


def redact_config(text):
    """The same config with key material replaced, for diffs."""
    out = []
    for line in text.splitlines(True):
        key = line.split("=", 1)[0].strip().lower()
        if key in ("privatekey", "presharedkey"):
            out.append("%s = <redacted>\n" % line.split("=", 1)[0].strip())
        else:
            out.append(line)
    return "".join(out)


# ---------------------------------------------------------------- wanted state
_LINE_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(value, what):
    """A text value that is written into a config: one line, no control characters."""
    if not isinstance(value, str):
        raise ValueError("%s must be text, not %s" % (what, type(value).__name__))
    if _LINE_BREAKS.search(value):
        raise ValueError("%s %r must be a single line without control characters (it is written into the config)"
                         % (what, value))
    return value


def normalize_peer(peer, default_port=51820):
    """Validate and normalize one wanted peer; raise ValueError with the field."""
    if not isinstance(peer, dict):
        raise ValueError("each peer must be a mapping with public_key, allowed_ips, ..., not %s"
                         % type(peer).__name__)
    key = peer.get("public_key")
    try:
        # A key read from a file keeps its newline: stripped, then it must be one line.
        decode_key(_one_line(key.strip() if isinstance(key, str) else key, "public_key"))
    except ValueError as exc:
        raise ValueError("peer %s: public_key: %s" % (peer.get("name") or key, exc))
    if peer.get("name"):
        _one_line(peer["name"], "peer name")
    label = peer.get("name") or fingerprint(key)
    allowed_ips = peer.get("allowed_ips") or []
    if not isinstance(allowed_ips, list):
        raise ValueError("peer %s: allowed_ips must be a list of prefixes" % label)
    try:
        allowed = sorted(set(normalize_prefix(_one_line(p, "allowed_ips entry")) for p in allowed_ips))
    except ValueError as exc:
        raise ValueError("peer %s: allowed_ips: %s" % (label, exc))
    endpoint = peer.get("endpoint") or None
    if endpoint:
        try:
            endpoint = join_endpoint(*split_endpoint(endpoint, default_port))
        except ValueError as exc:
            raise ValueError("peer %s: endpoint: %s" % (label, exc))
    keepalive = peer.get("persistent_keepalive") or 0
    if isinstance(keepalive, str) and re.fullmatch(r"[0-9]{1,5}", keepalive.strip()):
        keepalive = int(keepalive)  # peers_json carries what the plan gives, possibly as text
    if isinstance(keepalive, bool) or not isinstance(keepalive, int) or not 0 <= keepalive <= 65535:
        raise ValueError("peer %s: persistent_keepalive must be a number in 0-65535" % label)
    psk_path = peer.get("preshared_key_path") or None
    if psk_path is not None:
        _one_line(psk_path, "peer %s: preshared_key_path" % label)
    return {
        "name": peer.get("name") or None,
        "public_key": key.strip(),
        "allowed_ips": allowed,
        "endpoint": endpoint,
        "persistent_keepalive": keepalive,
        "preshared_key_path": psk_path,
    }


PEER_FIELDS = ("public_key", "name", "allowed_ips", "endpoint", "persistent_keepalive", "preshared_key_path")


def peers_from_json(text):
    """The peer list given as JSON text (wg_interface's peers_json), checked
    for the fields the peers option accepts."""
    try:
        peers = json.loads(text)
    except ValueError as exc:
        raise ValueError("peers_json is not valid JSON: %s" % exc)
    if not isinstance(peers, list) or not all(isinstance(p, dict) for p in peers):
        raise ValueError("peers_json must be a JSON list of peer objects")
    for peer in peers:
        unknown = sorted(set(peer) - set(PEER_FIELDS))
        if unknown:
            raise ValueError("peers_json: peer %s has unsupported fields %s (supported: %s)"
                             % (peer.get("name") or peer.get("public_key"), ", ".join(unknown), ", ".join(PEER_FIELDS)))
    return peers


def check_allowed_ips_unique(peers):
    """WireGuard silently moves a prefix to the last peer that claims it."""
    owner = {}
    for peer in peers:
        for prefix in peer["allowed_ips"]:
            if prefix in owner:
                raise ValueError(
                    "allowed_ips %s is listed for peer %s and peer %s; a prefix can belong to one peer only"
                    % (prefix, owner[prefix], peer["name"] or fingerprint(peer["public_key"])))
            owner[prefix] = peer["name"] or fingerprint(peer["public_key"])


# ---------------------------------------------------------------- reconcile plan
def _endpoint_matches(wanted, live, resolve):
    """A wanted endpoint matches when it resolves to the live address:port."""
    if not wanted:
        return True  # nothing asked: keep what the peer roamed to
    if not live:
        return False
    host, port = split_endpoint(wanted)
    live_host, live_port = split_endpoint(live)
    if port != live_port:
        return False
    return live_host in resolve(host, port)


def plan_peers(wanted_peers, live_peers, live_psks_match, resolve):
    """Compare wanted peers with live ones.

    live_psks_match(public_key, wanted_path) -> bool tells whether the live
    preshared key equals the wanted one; it runs on the host.
    resolve(host, port) -> set of address strings for endpoint comparison.
    Returns dict(add=[peer], remove=[public_key], change=[(peer, [fields])]).
    """
    wanted = dict((p["public_key"], p) for p in wanted_peers)
    add, change = [], []
    for key in sorted(wanted):
        peer = wanted[key]
        live = live_peers.get(key)
        if live is None:
            add.append(peer)
            continue
        fields = []
        if sorted(peer["allowed_ips"]) != sorted(live["allowed_ips"]):
            fields.append("allowed_ips")
        if not _endpoint_matches(peer["endpoint"], live["endpoint"], resolve):
            fields.append("endpoint")
        if peer["persistent_keepalive"] != live["persistent_keepalive"]:
            fields.append("persistent_keepalive")
        if not live_psks_match(key, peer.get("preshared_key_path")):
            fields.append("preshared_key")
        if fields:
            change.append((peer, fields))
    remove = sorted(k for k in live_peers if k not in wanted)
    return {"add": add, "remove": remove, "change": change}


def carry_endpoints(added, removed_keys, live_peers):
    """Added peers with no endpoint of their own take the live endpoint of a
    removed peer with the same AllowedIPs: the same host under a rotated key.

    Without it a hub would know a rotated spoke behind NAT only once the spoke
    calls, which after a failed handshake is up to 5 s later. Only the `wg set`
    gets the endpoint; the boot config keeps the wanted peer as it is."""
    by_allowed = {}
    for key in removed_keys:
        live = live_peers.get(key) or {}
        if live.get("endpoint") and live.get("allowed_ips"):
            by_allowed[tuple(sorted(live["allowed_ips"]))] = live["endpoint"]
    result = []
    for peer in added:
        endpoint = None if peer["endpoint"] else by_allowed.get(tuple(sorted(peer["allowed_ips"])))
        result.append(dict(peer, endpoint=endpoint) if endpoint else peer)
    return result


def kick_addresses(peers, own_addresses):
    """One address inside each peer's AllowedIPs, not one of ours: a datagram
    sent there goes through the tunnel to that peer and so starts a handshake.
    Full-tunnel /0 prefixes are skipped (their routes live in another table)."""
    own = set(str(ipaddress.ip_interface(a).ip) for a in own_addresses)
    result = []
    for peer in peers:
        for prefix in peer["allowed_ips"]:
            net = ipaddress.ip_network(prefix)
            if net.prefixlen == 0:
                continue
            candidates = [net.network_address] if net.num_addresses == 1 else list(itertools.islice(net.hosts(), 3))
            pick = next((str(a) for a in candidates if str(a) not in own), None)
            if pick:
                result.append(pick)
                break
    return result


def wg_set_args(ifname, iface_changes, peer_plan, private_key_path=None):
    """One `wg set` argv applying every interface and peer change at once.

    Key material is passed by file path only, never on the command line.
    Returns None when there is nothing to set.
    """
    args = []
    if "private_key" in iface_changes:
        args += ["private-key", private_key_path]
    if "listen_port" in iface_changes:
        args += ["listen-port", str(iface_changes["listen_port"] or 0)]
    if "fwmark" in iface_changes:
        args += ["fwmark", "%#x" % iface_changes["fwmark"] if iface_changes["fwmark"] else "off"]
    for key in peer_plan["remove"]:
        args += ["peer", key, "remove"]
    touched = [(p, None) for p in peer_plan["add"]] + list(peer_plan["change"])
    for peer, fields in touched:
        args += ["peer", peer["public_key"]]
        if fields is None or "preshared_key" in fields:
            args += ["preshared-key", peer.get("preshared_key_path") or "/dev/null"]
        if peer["endpoint"] and (fields is None or "endpoint" in fields):
            args += ["endpoint", peer["endpoint"]]
        if fields is None or "persistent_keepalive" in fields:
            args += ["persistent-keepalive", str(peer["persistent_keepalive"]) if peer["persistent_keepalive"] else "off"]
        if fields is None or "allowed_ips" in fields:
            args += ["allowed-ips", ",".join(peer["allowed_ips"])]
    if not args:
        return None
    return ["wg", "set", ifname] + args


def plan_interface(wanted, live_iface):
    """Interface-level wg settings that differ: listen_port, fwmark, private_key."""
    changes = {}
    if wanted.get("public_key") and wanted["public_key"] != live_iface.get("public_key"):
        changes["private_key"] = True
    if wanted.get("listen_port") is not None and wanted["listen_port"] != live_iface.get("listen_port"):
        changes["listen_port"] = wanted["listen_port"]
    if wanted.get("fwmark") is not None and (wanted["fwmark"] or None) != live_iface.get("fwmark"):
        changes["fwmark"] = wanted["fwmark"]
    return changes


def plan_addresses(wanted, live):
    """Addresses to add and to remove (lists of 'addr/len')."""
    wanted_set = set(normalize_interface_address(a) for a in wanted)
    live_set = set(normalize_interface_address(a) for a in live)
    return sorted(wanted_set - live_set), sorted(live_set - wanted_set)


def wanted_routes(addresses, peers):
    """Routes wg-quick would add to the main table for these peers: every
    AllowedIPs prefix not already covered by an interface address's connected
    network. A /0 is not routed in the main table: wg-quick sends it through
    its own table with policy rules, see plan_full_tunnel()."""
    connected = [ipaddress.ip_interface(a).network for a in addresses]
    routes = set()
    for peer in peers:
        for prefix in peer["allowed_ips"]:
            net = ipaddress.ip_network(prefix)
            if net.prefixlen == 0:
                continue
            if any(net.version == c.version and net.subnet_of(c) for c in connected):
                continue
            routes.add(str(net))
    return sorted(routes)


def plan_routes(wanted, live, peers):
    """Routes to add and remove on the interface.

    A live route is removed only when no peer's AllowedIPs covers it, since
    WireGuard would drop its packets anyway; routes a user added inside a
    peer's prefixes are left alone.
    """
    allowed = [ipaddress.ip_network(p) for peer in peers for p in peer["allowed_ips"]]
    live_set = set(normalize_prefix(r) for r in live)
    add = sorted(set(wanted) - live_set)
    remove = []
    for route in sorted(live_set - set(wanted)):
        net = ipaddress.ip_network(route)
        if not any(net.version == a.version and net.subnet_of(a) for a in allowed):
            remove.append(route)
    return add, remove


# ---------------------------------------------------------------- full tunnel (AllowedIPs /0)
# wg-quick(8) routes a /0 not in the main table but through policy routing
# (its add_default): the interface's fwmark doubles as a routing table number,
# 51820 unless a FwMark is configured, and
#     wg set <if> fwmark <table>                 (only when no FwMark is set)
#     ip -4 route add 0.0.0.0/0 dev <if> table <table>
#     ip -4 rule add not fwmark <table> table <table>
#     ip -4 rule add table main suppress_prefixlength 0
#     sysctl -q net.ipv4.conf.all.src_valid_mark=1
# and the same with -6 for ::/0 (no sysctl). Everything not marked (all but
# WireGuard's own UDP packets) goes to the table, whose only route is the
# tunnel; the suppress rule, which the kernel places ahead of the other one,
# lets every more specific route of the main table (LAN, management network)
# win first. The functions below plan that state so that a live run and a
# boot through wg-quick end up with the same rules, routes and fwmark.
DEFAULT_TABLE = 51820
SRC_VALID_MARK = "net.ipv4.conf.all.src_valid_mark"
_RULE_KEYS = frozenset(("priority", "src", "table", "not", "fwmark", "fwmask", "suppress_prefixlen", "protocol"))


def default_route_families(peers):
    """IP versions (4, 6) for which some peer's AllowedIPs holds a /0."""
    families = set()
    for peer in peers:
        for prefix in peer["allowed_ips"]:
            net = ipaddress.ip_network(prefix)
            if net.prefixlen == 0:
                families.add(net.version)
    return sorted(families)


def full_tunnel_table(fwmark):
    """The table wg-quick uses for a /0: the configured fwmark, else 51820."""
    return fwmark if fwmark else DEFAULT_TABLE


def effective_fwmark(fwmark, families, live_fwmark):
    """The fwmark the live interface should carry, as it would after `wg-quick up`.

    fwmark is the user's option (None: unset). With a /0 peer wg-quick marks
    the interface with its table even when no FwMark is configured (and when
    it is 0), so that is wanted here too. Without one, a mark of 51820 can only
    be left from a former full tunnel, and a boot would not set it: it is
    turned off (0). Otherwise None means: leave the live mark alone.
    """
    if families:
        return full_tunnel_table(fwmark)
    if fwmark is None and live_fwmark == DEFAULT_TABLE:
        return 0
    return fwmark


def parse_rules(text):
    """Parse `ip -j -4|-6 rule show` into dicts with priority, table, invert,
    fwmark, suppress_prefixlen and `other` (any further selector: src, iif,
    a partial mask, ...; such rules are never taken for wg-quick's)."""
    rules = []
    for r in json.loads(text or "[]"):
        mask = r.get("fwmask")
        fwmark = r.get("fwmark")
        rules.append({
            "priority": int(r.get("priority", 0)),
            "table": str(r.get("table", "")),
            "invert": "not" in r,
            "fwmark": int(str(fwmark), 0) if fwmark is not None else None,
            "suppress_prefixlen": r.get("suppress_prefixlen"),
            "other": (any(k not in _RULE_KEYS for k in r) or r.get("src", "all") != "all"
                      or (mask is not None and int(str(mask), 0) != 0xffffffff)),
        })
    return rules


def parse_table_routes(text, version):
    """Parse `ip -j -4|-6 route show table <t>` into sorted (prefix, dev) pairs
    (dev is None for unreachable/blackhole routes)."""
    routes = []
    for r in json.loads(text or "[]"):
        dst = r.get("dst")
        if dst == "default":
            dst = "0.0.0.0/0" if version == 4 else "::/0"
        if not dst:
            continue
        routes.append((normalize_prefix(dst), r.get("dev")))
    return sorted(routes, key=lambda x: (x[0], x[1] or ""))


def _is_mark_rule(rule, table=None):
    """wg-quick's `not fwmark <t> table <t>` (for table t, or for any t)."""
    return (rule["invert"] and not rule["other"] and rule["fwmark"] is not None
            and rule["suppress_prefixlen"] is None and rule["table"] == str(rule["fwmark"])
            and (table is None or rule["fwmark"] == table))


def _is_suppress_rule(rule):
    """wg-quick's `table main suppress_prefixlength 0`."""
    return (not rule["invert"] and not rule["other"] and rule["fwmark"] is None
            and rule["table"] == "main" and rule["suppress_prefixlen"] == 0)


def full_tunnel_tables(table, live_fwmark):
    """Tables to inspect: the wanted one and the one a live mark points at."""
    tables = [table]
    if live_fwmark and live_fwmark != table:
        tables.append(live_fwmark)
    return tables


def _default_of(version):
    return "0.0.0.0/0" if version == 4 else "::/0"


def plan_full_tunnel(name, families, table, live_fwmark, rules, table_routes, src_valid_mark=None):
    """Policy-routing commands for /0 peers, as wg-quick's add_default.

    name: the interface. families: IP versions with a /0 wanted. table: the
    wanted table, full_tunnel_table(fwmark option). live_fwmark: the live mark
    (it names the table a former setup used) or None. rules: {4: [...], 6:
    [...]} from parse_rules. table_routes: {(version, table): [(prefix, dev)]}
    for every table of full_tunnel_tables(). src_valid_mark: the live value of
    net.ipv4.conf.all.src_valid_mark (read only when 4 is in families).

    Returns (remove, add), lists of argv. `remove` must run before the `wg set`
    that drops the /0 or the mark and `add` after the one that sets them, so
    that WireGuard's own packets are marked whenever the rules are in place.
    Only state that belongs to this interface is removed: a table whose
    default route goes through it, or the table its live mark names when no
    other interface routes through that table. The shared suppress rule goes
    only with the last mark rule of its IP version.

    wg-quick also installs raw/mangle firewall rules against spoofed packets to
    the tunnel addresses; they are not planned here (only routing is), so a
    live run does without them until the next `wg-quick up`.

    Raises ValueError when the wanted table already holds routes of another
    interface: wg-quick would pick another number at boot, and the live run
    and the boot would disagree.
    """
    remove, add = [], []
    for version in (4, 6):
        fam = "-%d" % version
        live = rules.get(version, [])
        removed = set()
        for t in full_tunnel_tables(table, live_fwmark):
            if t == table and version in families:
                continue
            routes = table_routes.get((version, t), [])
            mine = [p for p, dev in routes if dev == name and ipaddress.ip_network(p).prefixlen == 0]
            others = [dev for v in (4, 6) for _p, dev in table_routes.get((v, t), []) if dev != name]
            if not (mine or (live_fwmark == t and not others)):
                continue
            for r in live:
                if _is_mark_rule(r, t):
                    removed.add(id(r))
                    remove.append(["ip", fam, "rule", "del", "priority", str(r["priority"]),
                                   "not", "fwmark", str(t), "table", str(t)])
            for prefix in mine:
                remove.append(["ip", fam, "route", "del", prefix, "dev", name, "table", str(t)])
        if removed and not any(_is_mark_rule(r) and id(r) not in removed for r in live):
            # The last mark rule takes the shared suppress rule(s) with it; a
            # /0 moving to another table gets a fresh one with its new rule.
            for r in live:
                if _is_suppress_rule(r):
                    remove.append(["ip", fam, "rule", "del", "priority", str(r["priority"]),
                                   "table", "main", "suppress_prefixlength", "0"])
        if version not in families:
            continue

        routes = table_routes.get((version, table), [])
        others = sorted(set(dev or "(no device)" for v in (4, 6)
                            for _p, dev in table_routes.get((v, table), []) if dev != name))
        if others:
            raise ValueError(
                "routing table %d, which this interface needs for its %s route, already holds routes of %s; "
                "set fwmark to a free table number (wg-quick uses the fwmark as the table)"
                % (table, _default_of(version), ", ".join(others)))
        if (_default_of(version), name) not in routes:
            add.append(["ip", fam, "route", "add", _default_of(version), "dev", name, "table", str(table)])
        marks = [r["priority"] for r in live if _is_mark_rule(r, table)]
        if not marks:
            # The kernel puts a rule without priority ahead of all others, so
            # adding them in this order leaves the suppress rule first.
            add.append(["ip", fam, "rule", "add", "not", "fwmark", str(table), "table", str(table)])
            add.append(["ip", fam, "rule", "add", "table", "main", "suppress_prefixlength", "0"])
        elif not any(_is_suppress_rule(r) and r["priority"] < min(marks) for r in live):
            add.append(["ip", fam, "rule", "add", "table", "main", "suppress_prefixlength", "0"])
        if version == 4 and str(src_valid_mark).strip() != "1":
            add.append(["sysctl", "-q", "%s=1" % SRC_VALID_MARK])
    return remove, add


def summarize(interface, peers):
    """A stable, secret-free text form of an interface, for --diff."""
    lines = ["interface:"]
    for key in ("public_key", "addresses", "listen_port", "mtu", "fwmark"):
        value = interface.get(key)
        if key == "public_key":
            value = fingerprint(value) if value else None
        if isinstance(value, list):
            value = ", ".join(value)
        if value not in (None, "", [], 0):
            lines.append("  %s: %s" % (key, value))
    lines.append("peers:")
    for peer in sorted(peers, key=lambda p: p["public_key"]):
        label = fingerprint(peer["public_key"])
        if peer.get("name"):
            label = "%s (%s)" % (peer["name"], label)
        lines.append("  - %s" % label)
        lines.append("    allowed_ips: %s" % (", ".join(peer["allowed_ips"]) or "(none)"))
        if peer.get("endpoint"):
            lines.append("    endpoint: %s" % peer["endpoint"])
        if peer.get("persistent_keepalive"):
            lines.append("    persistent_keepalive: %s" % peer["persistent_keepalive"])
        if peer.get("preshared_key_path") or peer.get("preshared_key"):
            # Set, or set and changed: never a value nor a hash of one.
            state = "<redacted, changed>" if peer.get("preshared_key_changed") else "<redacted>"
            lines.append("    preshared_key: %s" % state)
    return "\n".join(lines) + "\n"
