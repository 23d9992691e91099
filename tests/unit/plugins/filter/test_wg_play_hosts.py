# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wgnet.wireguard.plugins.filter.wg_play_hosts import FilterModule


def test_pattern_passes_through():
    f = FilterModule().filters()["wg_play_hosts"]
    assert f("wireguard:&site1") == "wireguard:&site1"
    assert f(["hub", "spoke1"]) == ["hub", "spoke1"]


@pytest.mark.parametrize("pattern", ["", "  ", [], None, 3])
def test_empty_or_odd_patterns_fail(pattern):
    with pytest.raises(AnsibleFilterError, match="host pattern"):
        FilterModule().filters()["wg_play_hosts"](pattern)
