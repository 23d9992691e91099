# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Preshared keys, derived on the controller.

A PSK is a secret both ends of a pair must hold, and unlike a private key it
cannot be derived from anything public. So either one end generates it and
sends it to the other, or a secret on the controller derives it. We derive
each pair's PSK from one master secret (kept in ansible-vault): nothing is
stored per pair, and rotating every PSK is changing the master.

Plain Python with no Ansible imports, unit tested directly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_crypto
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_interface

PSK_CONTEXT = "wgnet-psk-v1"
PSK_DIR = _wg_interface.PSK_DIR


class PskError(ValueError):
    """A preshared key setting problem, worded to name the variable and the fix."""


def psk_enabled(enabled, master, host="?"):
    """Whether preshared keys are on: wireguard_preshared_keys, or a master
    secret given. On without a master is an error."""
    if enabled not in (None, "", False, True):
        raise PskError("host %s: wireguard_preshared_keys must be true or false" % host)
    if master not in (None, ""):
        if len(str(master)) < 16:
            raise PskError("host %s: wireguard_psk_master is shorter than 16 characters; use a long random "
                           "secret (openssl rand -base64 32) kept in ansible-vault" % host)
        return True
    if enabled:
        raise PskError("host %s: wireguard_preshared_keys is true but wireguard_psk_master is not set; set it to "
                       "a long random secret (openssl rand -base64 32), encrypted with ansible-vault" % host)
    return False


def derive_psk(master, network, key_a, key_b):
    """The preshared key of the pair (key_a, key_b) on one network:
    base64(HMAC-SHA256(master, "wgnet-psk-v1|<network>|<lower key>|<higher key>")).

    The pair is named by its two public keys, sorted, so both ends compute
    the same value, and replacing either key pair also replaces the PSK.
    """
    if master in (None, ""):
        raise PskError("no preshared key master secret")
    for key in (key_a, key_b):
        if not _wg_crypto.is_valid_key(key):
            raise PskError("cannot derive a preshared key for %r: not a WireGuard public key" % (key,))
    if key_a == key_b:
        raise PskError("a preshared key needs two different public keys")
    message = "|".join([PSK_CONTEXT, network] + sorted([key_a, key_b]))
    digest = hmac.new(str(master).encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def psk_file(interface, peer_public_key):
    """Where a host keeps the PSK it shares with one peer (wg_interface
    writes it there from its preshared_keys option)."""
    return _wg_interface.psk_path(interface, peer_public_key)


def peer_psks(master, network, own_public_key, peers):
    """Peer public key -> PSK for every peer of one interface. SECRET: only
    the wg_interface action holds the result, and passes it no_log."""
    return dict((p["public_key"], derive_psk(master, network, own_public_key, p["public_key"])) for p in peers)
