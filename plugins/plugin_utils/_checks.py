# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Small validation helpers shared by the planner (_topology) and the client
checks (_clients): YAML types named in words, single-line text, closest
valid names for typos, and a sort-and-sweep overlap finder for prefixes.

Plain Python with no Ansible imports."""

from __future__ import annotations

import bisect
import difflib
import ipaddress
import re

# Characters that end a line for some reader (Python's splitlines, bash,
# wg-quick) or are invisible: never in a name or value we write anywhere.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def kind(value):
    """A YAML value's type, in words, for messages."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "a boolean (%s)" % ("true" if value else "false")
    if isinstance(value, (int, float)):
        return "a number (%r)" % (value,)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, str):
        return "the text %r" % (value,)
    return "a %s" % type(value).__name__


def is_mapping(value):
    """A dict, or a mapping Ansible hands over (hostvars' HostVarsVars)."""
    return isinstance(value, dict) or (hasattr(value, "keys") and hasattr(value, "__getitem__")
                                       and not isinstance(value, (str, bytes)))


def single_line(value):
    """True for a string without control characters or line breaks."""
    return isinstance(value, str) and not _CONTROL.search(value)


def closest(name, valid):
    """' (did you mean X?)' for a typo of one of valid, else ''."""
    match = difflib.get_close_matches(str(name), [str(v) for v in valid], 1, 0.6)
    return " (did you mean %s?)" % match[0] if match else ""


def unknown_key(mapping, valid):
    """The first key of mapping that is not in valid, or None."""
    unknown = sorted((k for k in mapping if k not in valid), key=str)
    return unknown[0] if unknown else None


def overlaps(items):
    """Overlapping pairs among CIDR prefixes, by sort and sweep: O(n log n).

    items: iterable of (ip_network, tag). Two prefixes overlap exactly when
    one contains the other, so after sorting by (version, first address,
    prefix length) each item only needs comparing with the earlier item that
    reaches furthest. Yields (earlier, later) pairs of (network, tag); every
    prefix that overlaps any earlier one is reported at least once."""
    ordered = sorted(items, key=lambda it: (it[0].version, int(it[0].network_address), it[0].prefixlen))
    reach = None
    for item in ordered:
        net = item[0]
        if reach is not None and reach[0].version == net.version \
                and int(net.network_address) <= int(reach[0].broadcast_address):
            yield reach, item
            if int(net.broadcast_address) <= int(reach[0].broadcast_address):
                continue
        reach = item


def clusters(items):
    """Groups of mutually chained overlapping prefixes (sort and sweep), only
    the groups with two or more members: list of lists of (network, tag)."""
    ordered = sorted(items, key=lambda it: (it[0].version, int(it[0].network_address), it[0].prefixlen))
    result, group, end = [], [], None
    for item in ordered:
        net = item[0]
        if group and group[0][0].version == net.version and int(net.network_address) <= end:
            group.append(item)
            end = max(end, int(net.broadcast_address))
            continue
        if len(group) > 1:
            result.append(group)
        group, end = [item], int(net.broadcast_address)
    if len(group) > 1:
        result.append(group)
    return result


def containing(sorted_prefixes, ip):
    """The prefix of sorted_prefixes (see sorted_for_lookup) that contains
    ip, or None. Prefixes must not overlap each other."""
    key = (ip.version, int(ip))
    index = bisect.bisect_right(sorted_prefixes[0], key) - 1
    if index < 0:
        return None
    prefix, tag = sorted_prefixes[1][index]
    if prefix.version == ip.version and ip in prefix:
        return prefix, tag
    return None


def sorted_for_lookup(items):
    """(keys, items) for containing(): items of (ip_network, tag) sorted by start."""
    ordered = sorted(items, key=lambda it: (it[0].version, int(it[0].network_address)))
    return [(it[0].version, int(it[0].network_address)) for it in ordered], ordered


def ip_literal(host):
    """The address if host (of an endpoint) is an IP literal, else None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def spec_shapes(args, spec, where=""):
    """The shapes ansible-core's ArgumentSpecValidator assumes for options with
    sub-options (a dict with text keys, or a list of such dicts): it raises a
    raw TypeError on anything else (false, a mapping with number keys). Returns
    a message for the first misfit, or None; the caller fails with it before
    calling validate_argument_spec."""
    for name, option in spec.items():
        value = args.get(name) if isinstance(args, dict) else None
        if value is None or not option.get("options"):
            continue
        label = where + name
        if option.get("type") == "dict":
            items = [value]
        elif isinstance(value, list):
            items = value
        else:
            return "%s must be a list of mappings, not %s" % (label, kind(value))
        for item in items:
            if not isinstance(item, dict) or not all(isinstance(k, str) for k in item):
                return "%s must be %s with text keys, not %s" % (
                    label, "a mapping" if option.get("type") == "dict" else "a list of mappings", kind(item))
            problem = spec_shapes(item, option["options"], label + ".")
            if problem:
                return problem
    return None
