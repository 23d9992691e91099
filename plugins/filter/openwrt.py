# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Thin filter wrappers over plugin_utils._openwrt."""

from __future__ import annotations

from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _openwrt
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._filter_errors import filter_errors


@filter_errors
def wg_openwrt_reconcile(exported, plan, host, settings=None, absent=None, switch_at=None, rotation=None):
    """The UCI batch and live operations for one OpenWrt host; see wg_openwrt_reconcile.yml."""
    return _openwrt.reconcile(plan, host, exported, settings, absent, switch_at=switch_at, rotation=rotation)


@filter_errors
def wg_openwrt_keys(registered):
    """The OpenWrt key script's results in wg_key's shape; see wg_openwrt_keys.yml."""
    return _openwrt.key_results(registered)


class FilterModule(object):
    def filters(self):
        return {
            "wg_openwrt_reconcile": wg_openwrt_reconcile,
            "wg_openwrt_keys": wg_openwrt_keys,
        }
