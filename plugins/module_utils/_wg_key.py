# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Backend of the wg_key module: a private key file kept on its host."""

from __future__ import annotations

import json
import os

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_crypto
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_files

KEY_MODE = 0o600
DIR_MODE = 0o700
FACT_NAME = "wgnet_wireguard.fact"


class WireGuardKeyError(Exception):
    """A key problem the caller reports as a module failure."""


class PrivateKeyFile(object):
    """Ensure a private key file exists and is valid, under a regenerate policy.

    The key bytes stay inside this object; results carry the public key only.
    """

    def __init__(self, path, interface, regenerate="fail", fact_dir=None, check_mode=False, rotation_id=None):
        self.path = path
        self.interface = interface
        self.regenerate = regenerate
        self.fact_dir = fact_dir
        self.check_mode = check_mode
        self.rotation_id = rotation_id or None

    def _existing_public_key(self):
        """(exists, public key or None if invalid)."""
        text = _wg_files.read_text(self.path)
        if text is None:
            return False, None
        try:
            return True, _wg_crypto.public_key(text.strip())
        except ValueError:
            return True, None

    def _fact_entry(self):
        """This interface's entry of the local fact file ({} when none)."""
        if not self.fact_dir:
            return {}
        text = _wg_files.read_text(os.path.join(self.fact_dir, FACT_NAME))
        try:
            entry = (json.loads(text) if text else {}).get(self.interface)
        except (ValueError, AttributeError):
            return {}
        return entry if isinstance(entry, dict) else {}

    def run(self):
        result = {"changed": False, "path": self.path, "generated": False, "rotated": False, "public_key": None}
        exists, public = self._existing_public_key()
        before = {"exists": exists, "public_key": _wg_crypto.fingerprint(public) if public else None}
        recorded = self._fact_entry()
        # Keyed rotation: one new key per rotation id, so running the same
        # rotation again changes nothing. The id lives in the local fact.
        rotation_id = self.rotation_id or recorded.get("rotation_id")
        if self.rotation_id and not self.fact_dir:
            raise WireGuardKeyError("rotation_id needs fact_dir: the id of the last rotation is kept in the local fact")

        generate = False
        if not exists:
            generate = True
        elif self.regenerate == "always":
            generate = True
        elif self.rotation_id and recorded.get("rotation_id") != self.rotation_id:
            generate = True
        elif public is None:
            if self.regenerate in ("never", "fail"):
                raise WireGuardKeyError(
                    "%s exists but is not a WireGuard private key (44 base64 characters); "
                    "fix or remove the file, or set regenerate=full_idempotence to replace it" % self.path)
            generate = True

        if _wg_files.ensure_dir(os.path.dirname(self.path), DIR_MODE, self.check_mode):
            result["changed"] = True
        if generate:
            result["changed"] = result["generated"] = True
            # A valid key replaced: the live interface and its peers still use the old one.
            result["rotated"] = public is not None
            if self.check_mode:
                public = None
            else:
                private = _wg_crypto.generate_private_key()
                _wg_files.write_atomic(self.path, private + "\n", KEY_MODE)
                public = _wg_crypto.public_key(private)
        elif _wg_files.ensure_mode(self.path, KEY_MODE, self.check_mode):
            result["changed"] = True

        result["public_key"] = public
        result["rotation_id"] = rotation_id
        if self.fact_dir and public:
            fact_path = os.path.join(self.fact_dir, FACT_NAME)
            entry = {"public_key": public, "private_key_path": self.path}
            if rotation_id:
                entry["rotation_id"] = rotation_id
            if _wg_files.update_json_fact(fact_path, self.interface, entry, self.check_mode):
                result["changed"] = True
            result["fact_path"] = fact_path
        after = {"exists": True, "public_key": _wg_crypto.fingerprint(public) if public else "(new key)"}
        result["diff"] = {"before": before, "after": after}
        return result
