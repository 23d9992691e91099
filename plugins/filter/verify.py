# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Thin filter wrappers over plugin_utils._verify (verify.yml, status.yml)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_info
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _verify


def _wrap(func):
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (_topology.PlanError, _verify.VerifyError, ValueError) as exc:
            raise AnsibleFilterError("wgnet.wireguard: %s" % exc)
    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


@_wrap
def wg_verify_targets(plan, hosts, addresses=None, hostvars=None):
    """Per host, the addresses it should and should not reach; see wg_verify_targets.yml."""
    return _verify.targets(plan, hosts, addresses, hostvars)


@_wrap
def wg_verify_script(rows, count=2, timeout=1):
    """The POSIX shell that pings one host's expected targets; see wg_verify_script.yml."""
    return _verify.ping_script(rows, count, timeout)


@_wrap
def wg_verify_report(targets, outputs):
    """The reachability matrix and report; see wg_verify_report.yml."""
    return _verify.report(targets, outputs)


@_wrap
def wg_status_table(infos):
    """A table of wg_info results; see wg_status_table.yml."""
    return _verify.status_table(infos)


@_wrap
def wg_info_from_raw(output):
    """wg_info's result from the output of playbooks/files/wg_info.sh; see wg_info_from_raw.yml."""
    return _wg_info.info_from_raw(output)


class FilterModule(object):
    def filters(self):
        return {
            "wg_verify_targets": wg_verify_targets,
            "wg_verify_script": wg_verify_script,
            "wg_verify_report": wg_verify_report,
            "wg_status_table": wg_status_table,
            "wg_info_from_raw": wg_info_from_raw,
        }
