# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hypothesis strategies for hostile values: what a YAML inventory, a
mistyped variable or a pasted value can put anywhere (issue 11.7)."""

from __future__ import annotations

import string

from hypothesis import strategies as st

# Line breaks and control characters some reader treats as a new line.
BREAKS = ["\n", "\r", "\r\n", "\x00", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\t", "\x7f"]
INJECTIONS = ["\nPostUp = touch /tmp/pwned", "\n[Peer]\nPublicKey = x", " # c", ";id", "$(id)", "`id`"]
LOOKALIKES = ["\uff11\uff10.0.0.1", "10.0.0.\u0661", "wg\u200b0", "h\u0435llo", "\ufeff10.77.0.5"]

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-2 ** 40, 2 ** 40), st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=string.printable + "".join(BREAKS) + "[]:/.", max_size=24),
    st.sampled_from(["", " ", "all", "none", "0.0.0.0/0", "::/0", "0", "-1", "65536", "51820", "1e3", "0x10",
                     "10.77.0.0/24", "10.77.0.1", "fd77::ffff", "192.168.1.0/24", "[::1]", "[::1]:x",
                     "host:0", "hub1", "wireguard", "mesh", "..", "/etc/passwd"] + LOOKALIKES + INJECTIONS),
)
KEYS = st.one_of(st.text(max_size=8), st.integers(0, 3))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(KEYS, inner, max_size=3)), max_leaves=6)


@st.composite
def spoiled(draw, value):
    """value with one corruption that keeps it close to what it was: a line
    break or injection added, a type changed, wrapped in a list, ..."""
    how = draw(st.integers(0, 6))
    if how == 0:
        return draw(VALUES)
    if isinstance(value, str) and value:
        if how == 1:
            return value + draw(st.sampled_from(BREAKS + INJECTIONS))
        if how == 2:
            i = draw(st.integers(0, len(value)))
            return value[:i] + draw(st.sampled_from(BREAKS + ["\x00", " ", "]", "["])) + value[i:]
        if how == 3:
            return value.encode("utf-8")
    if how == 4:
        return [value]
    if how == 5:
        return {"value": value}
    return draw(SCALARS)
