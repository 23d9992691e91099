# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Thin filter wrappers over plugin_utils._clients and _psk."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _clients
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _psk
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology


def _wrap(func):
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (_clients.ClientError, _psk.PskError, _topology.PlanError) as exc:
            raise AnsibleFilterError("wgnet.wireguard: %s" % exc)
    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


@_wrap
def wg_client_list(networks):
    """Every declared client (network, name, public_key); see wg_client_list.yml."""
    return _clients.client_list(networks)


@_wrap
def wg_client_plans(plan, networks):
    """What each client's wg-quick config needs; see wg_client_plans.yml."""
    return _clients.client_plans(plan, networks)


@_wrap
def wg_host_psks(plan, host, master):
    """The preshared key files of one host (secret); see wg_host_psks.yml."""
    return _clients.host_psks(plan, host, master)


@_wrap
def wg_psk_enabled(enabled, master, host="?"):
    """Whether preshared keys are on; see wg_psk_enabled.yml."""
    return _psk.psk_enabled(enabled, master, host)


class FilterModule(object):
    def filters(self):
        return {
            "wg_client_list": wg_client_list,
            "wg_client_plans": wg_client_plans,
            "wg_host_psks": wg_host_psks,
            "wg_psk_enabled": wg_psk_enabled,
        }
