# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one error wrapper of the collection's filters."""

from __future__ import annotations

import functools

from ansible.errors import AnsibleFilterError


def filter_errors(func):
    """Report the plugin_utils errors (ValueError subclasses whose message
    names host, variable and fix) as AnsibleFilterError, without a traceback."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ValueError as exc:
            raise AnsibleFilterError("wgnet.wireguard: %s" % exc)
    return wrapper
