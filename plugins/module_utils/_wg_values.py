# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Prefixes, interface addresses and endpoints as WireGuard and wg(8) read them.

Private module_utils: the API may change."""

from __future__ import annotations

import ipaddress
import re


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
