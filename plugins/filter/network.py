# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Thin filter wrappers over plugin_utils._topology."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import PlanError
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import plan_network


def wg_network_plan(hostvars, network, public_keys=None, allow_missing_keys=False):
    """Plan every member of a WireGuard network; see wg_network_plan.yml."""
    try:
        return plan_network(hostvars, network, public_keys or {}, allow_missing_keys=allow_missing_keys)
    except PlanError as exc:
        raise AnsibleFilterError("wgnet.wireguard: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"wg_network_plan": wg_network_plan}
