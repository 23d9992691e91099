# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Thin filter wrapper over plugin_utils._plan_report (playbooks/plan.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _plan_report
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology


def wg_plan_report(plan, hosts=None):
    """Every host's peers and AllowedIPs, as data and as a table; see wg_plan_report.yml."""
    try:
        return _plan_report.report(plan, hosts)
    except (_topology.PlanError, ValueError, KeyError, TypeError) as exc:
        raise AnsibleFilterError("wgnet.wireguard: wg_plan_report: not a plan from wg_network_plan (%s)" % exc)


class FilterModule(object):
    def filters(self):
        return {"wg_plan_report": wg_plan_report}
