# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A full wg-quick config parser for tests: what they read back from
_wg_config.render_config and from files the modules wrote. The modules themselves
never parse a whole config (wg_info reads only friendly names and public
keys), so it lives here rather than in module_utils, which ships to hosts."""

from __future__ import annotations


def parse_config(text):
    """Parse a wg-quick config into {'interface': {...}, 'peers': [{...}]}.

    Keys are lower-cased; list values (Address, AllowedIPs, DNS) are split.
    '# friendly_name = x' comments inside a peer become its 'name'.
    """
    result = {"interface": {}, "peers": []}
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            body = line.lstrip("#").strip()
            if section is not None and section is not result["interface"] and body.startswith("friendly_name"):
                section["name"] = body.partition("=")[2].strip()
            continue
        if line.startswith("["):
            name = line.strip("[]").strip().lower()
            if name == "interface":
                section = result["interface"]
            elif name == "peer":
                section = {}
                result["peers"].append(section)
            else:
                raise ValueError("unknown section [%s]" % name)
            continue
        if section is None or "=" not in line:
            raise ValueError("unexpected line %r" % raw)
        key, _sep, value = line.partition("=")
        key = key.strip().lower()
        value = value.split("#", 1)[0].strip()
        if key in ("address", "allowedips", "dns"):
            section.setdefault(key, []).extend(v.strip() for v in value.split(",") if v.strip())
        else:
            section[key] = value
    return result
