# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secret-safe file helpers: atomic writes with the mode set before any byte
is written, so a key is never readable by others even for an instant."""

from __future__ import annotations

import json
import os
import stat
import tempfile


def read_text(path):
    """File content, or None when the file does not exist."""
    try:
        with open(path, "r") as f:
            return f.read()
    except FileNotFoundError:
        return None


def ensure_dir(path, mode, check_mode=False):
    """Create a directory with mode, or fix its mode. Returns True if changed."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if not check_mode:
            os.makedirs(path, mode)
            os.chmod(path, mode)
        return True
    if stat.S_IMODE(st.st_mode) != mode:
        if not check_mode:
            os.chmod(path, mode)
        return True
    return False


def ensure_mode(path, mode, check_mode=False):
    """Fix a file's permission bits. Returns True if changed."""
    if stat.S_IMODE(os.stat(path).st_mode) != mode:
        if not check_mode:
            os.chmod(path, mode)
        return True
    return False


def write_atomic(path, content, mode):
    """Write through a temp file in the same directory and rename over."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def update_json_fact(path, key, value, check_mode=False):
    """Set key in a JSON local-fact file (merging other keys). True if changed."""
    text = read_text(path)
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    if data.get(key) == value:
        return False
    if value is None:
        data.pop(key, None)
    else:
        data[key] = value
    if not check_mode:
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            ensure_dir(directory, 0o755)
        write_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n", 0o644)
    return True
