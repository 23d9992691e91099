# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller-side action of wgnet.wireguard.wg_client_key (see the module
file for the documentation). Runs in the controller's Python, where pynacl
is installed, whatever host the task targets."""

from __future__ import annotations

import base64
import os
import re

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_crypto
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_files
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _checks
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._clients import KEY_MODE, client_list, ensure_dirs

try:
    from nacl.public import PrivateKey
    HAS_NACL = True
except ImportError:  # pragma: no cover - pynacl is in requirements.txt
    HAS_NACL = False


def generate_keypair():
    """(private, public) base64 keys, the private one clamped like `wg genkey`."""
    if not HAS_NACL:
        private = _wg_crypto.generate_private_key()
        return private, _wg_crypto.public_key(private)
    raw = _wg_crypto._clamp(bytes(PrivateKey.generate()))
    public = bytes(PrivateKey(raw).public_key)
    return base64.b64encode(raw).decode("ascii"), base64.b64encode(public).decode("ascii")


def ensure_key(directory, network, name, check_mode):
    """Result dict for one client key file; the private key stays in here."""
    path = os.path.join(directory, network, name + ".key")
    result = {"changed": False, "path": path, "generated": False, "public_key": None}
    if ensure_dirs(directory, path, check_mode):
        result["changed"] = True
    text = _wg_files.read_text(path)
    if text is not None:
        try:
            result["public_key"] = _wg_crypto.public_key(text.strip())
        except ValueError:
            raise AnsibleActionFail("client %s of %s: %s is not a WireGuard private key; fix or remove it"
                                    % (name, network, path))
        if _wg_files.ensure_mode(path, KEY_MODE, check_mode):
            result["changed"] = True
        return result
    result["changed"] = result["generated"] = True
    if not check_mode:
        private, public = generate_keypair()
        _wg_files.write_atomic(path, private + "\n", KEY_MODE)
        result["public_key"] = public
    return result


ARGUMENT_SPEC = dict(
    dir=dict(type="path", required=True),
    # clients.yml passes the networks; the clients are read from them.
    networks=dict(type="dict"),
    clients=dict(type="list", elements="dict", options=dict(
        network=dict(type="str", required=True),
        name=dict(type="str", required=True),
        public_key=dict(type="str", no_log=False),
    )),
)
# A network or client name becomes a directory or file name.
_FILE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        problem = _checks.spec_shapes(self._task.args, ARGUMENT_SPEC)
        if problem:
            raise AnsibleActionFail("wg_client_key: %s" % problem)
        _validated, args = self.validate_argument_spec(
            ARGUMENT_SPEC, mutually_exclusive=[("clients", "networks")], required_one_of=[("clients", "networks")])
        clients = args["clients"]
        if args["networks"] is None and clients is None:
            raise AnsibleActionFail("wg_client_key: one of clients or networks is required")
        if args["networks"] is not None:
            try:
                clients = client_list(args["networks"])
            except ValueError as exc:
                raise AnsibleActionFail("wgnet.wireguard: %s" % exc)
        directory = os.path.expanduser(args["dir"])
        result.update({"changed": False, "public_keys": {}, "generated": []})
        before, after = [], []
        for client in clients:
            network, name = client["network"], client["name"]
            for value in (network, name):
                if not _FILE_NAME.fullmatch(value) or value in (".", ".."):
                    raise AnsibleActionFail("wg_client_key: %r cannot be part of a file name; use 1-64 letters, "
                                            "digits and _.-" % (value,))
            if client.get("public_key"):
                continue  # the user keeps this client's private key
            out = ensure_key(directory, network, name, self._task.check_mode)
            result["changed"] = result["changed"] or out["changed"]
            label = "%s/%s" % (network, name)
            if out["generated"]:
                result["generated"].append(label)
            if out["public_key"]:
                result["public_keys"].setdefault(network, {})[name] = out["public_key"]
            fp = _wg_crypto.fingerprint(out["public_key"]) if out["public_key"] else "(new key)"
            before.append("%s: %s" % (label, "(none)" if out["generated"] else fp))
            after.append("%s: %s" % (label, fp))
        if self._task.diff and before != after:
            result["diff"] = {"before": "\n".join(before) + "\n", "after": "\n".join(after) + "\n"}
        return result
