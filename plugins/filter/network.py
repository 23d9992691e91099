# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Thin filter wrappers over plugin_utils._topology: the plan
as users read it. Role plumbing lives in action plugins and plugin_utils."""

from __future__ import annotations

from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._filter_errors import filter_errors


@filter_errors
def wg_network_plan(hostvars, networks, groups, public_keys=None, allow_missing_keys=False, defaults=None,
                    preshared_keys=False):
    """Validate and plan every WireGuard network; see wg_network_plan.yml."""
    return _topology.plan_networks(hostvars, networks, groups, public_keys or {}, allow_missing_keys, defaults,
                                   preshared_keys)


@filter_errors
def wg_host_interfaces(plan, host, peers_as_json=False):
    """One host's interfaces with their peers; see wg_host_interfaces.yml."""
    return _topology.host_interfaces(plan, host, peers_as_json)


@filter_errors
def wg_host_routes(plan, host):
    """Prefixes routed through each of a host's interfaces; see wg_host_routes.yml."""
    return _topology.host_routes(plan, host)


class FilterModule(object):
    def filters(self):
        return {
            "wg_network_plan": wg_network_plan,
            "wg_host_interfaces": wg_host_interfaces,
            "wg_host_routes": wg_host_routes,
        }
