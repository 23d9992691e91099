# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make ``ansible_collections.wgnet.wireguard`` importable for a plain
``python -m pytest tests/unit`` run from the repository root.

``ansible-test units`` already runs inside an ``ansible_collections/<ns>/<name>``
tree, so nothing is changed when the import works.
"""

from __future__ import annotations

import atexit
import importlib
import os
import shutil
import sys
import tempfile

_PROBE = "ansible_collections.wgnet.wireguard.plugins.module_utils._wg_crypto"
_REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _importable():
    importlib.invalidate_caches()
    try:
        importlib.import_module(_PROBE)
    except ImportError:
        return False
    return True


def _temporary_tree():
    """A throw-away ansible_collections/wgnet/wireguard symlink to the repo."""
    base = tempfile.mkdtemp(prefix="wgnet-units-")
    parent = os.path.join(base, "ansible_collections", "wgnet")
    os.makedirs(parent)
    os.symlink(_REPO_ROOT, os.path.join(parent, "wireguard"))
    atexit.register(shutil.rmtree, base, True)
    return base


if not _importable():
    sys.path.insert(0, os.path.join(_REPO_ROOT, "build", "collections"))
    if not _importable():
        sys.path.insert(0, _temporary_tree())
        if not _importable():
            raise ImportError("cannot import %s; see tests/unit/conftest.py" % _PROBE)
