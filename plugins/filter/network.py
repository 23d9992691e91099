# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Thin filter wrappers over plugin_utils._topology."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology


def _wrap(func):
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except _topology.PlanError as exc:
            raise AnsibleFilterError("wgnet.wireguard: %s" % exc)
    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


@_wrap
def wg_network_plan(hostvars, networks, groups, public_keys=None, allow_missing_keys=False, defaults=None,
                    preshared_keys=False):
    """Validate and plan every WireGuard network; see wg_network_plan.yml."""
    return _topology.plan_networks(hostvars, networks, groups, public_keys or {}, allow_missing_keys, defaults,
                                   preshared_keys)


@_wrap
def wg_host_interfaces(plan, host, peers_as_json=False):
    """One host's interfaces with their peers; see wg_host_interfaces.yml."""
    return _topology.host_interfaces(plan, host, peers_as_json)


@_wrap
def wg_host_routes(plan, host):
    """Prefixes routed through each of a host's interfaces; see wg_host_routes.yml."""
    return _topology.host_routes(plan, host)


@_wrap
def wg_member_interfaces(networks, groups, host, defaults=None):
    """Interfaces of the networks a host belongs to; see wg_member_interfaces.yml."""
    return _topology.member_interfaces(networks, groups, host, defaults)


@_wrap
def wg_public_keys(registered, stored=None):
    """Public keys per interface and host; see wg_public_keys.yml."""
    return _topology.collect_public_keys(registered, stored)


@_wrap
def wg_plan_public_keys(plan):
    """Public keys of the plan's present members, to record; see wg_plan_public_keys.yml."""
    return _topology.plan_public_keys(plan)


class FilterModule(object):
    def filters(self):
        return {
            "wg_network_plan": wg_network_plan,
            "wg_host_interfaces": wg_host_interfaces,
            "wg_host_routes": wg_host_routes,
            "wg_member_interfaces": wg_member_interfaces,
            "wg_public_keys": wg_public_keys,
            "wg_plan_public_keys": wg_plan_public_keys,
        }
