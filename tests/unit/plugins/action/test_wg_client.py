# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The controller-side client actions: key files and config/QR files."""

from __future__ import annotations

import base64
import os
import shutil
import stat
import subprocess

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.wgnet.wireguard.plugins.action import wg_client_config
from ansible_collections.wgnet.wireguard.plugins.action import wg_client_key
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_crypto
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _psk
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils import wg_quick

HUB = _wg_crypto.public_key(base64.b64encode(b"\x01" * 32).decode())
MASTER = "a master secret of some length"


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def client(public_key=None):
    return {"network": "wg0", "name": "phone", "addresses": ["10.77.0.50/32"], "dns": ["10.77.0.1"],
            "public_key": public_key,
            "peers": [{"name": "hub", "public_key": HUB, "endpoint": "192.0.2.1:51820",
                       "allowed_ips": ["10.77.0.0/24"], "persistent_keepalive": 25}]}


def test_pynacl_keypair_matches_the_pure_python_derivation():
    private, public = wg_client_key.generate_keypair()
    assert _wg_crypto.public_key(private) == public
    assert _wg_crypto.decode_key(private)[0] & 7 == 0  # clamped like `wg genkey`


def test_key_generated_once_with_modes(tmp_path):
    base = str(tmp_path / "clients")
    first = wg_client_key.ensure_key(base, "wg0", "phone", False)
    assert first["changed"] and first["generated"]
    assert "private" not in repr(first).lower()
    path = os.path.join(base, "wg0", "phone.key")
    assert mode(path) == 0o600 and mode(base) == 0o700 and mode(os.path.dirname(path)) == 0o700
    with open(path) as handle:
        assert _wg_crypto.public_key(handle.read().strip()) == first["public_key"]
    second = wg_client_key.ensure_key(base, "wg0", "phone", False)
    assert not second["changed"] and second["public_key"] == first["public_key"]
    os.chmod(path, 0o644)
    assert wg_client_key.ensure_key(base, "wg0", "phone", False)["changed"]
    assert mode(path) == 0o600


def test_key_check_mode_writes_nothing(tmp_path):
    base = str(tmp_path / "clients")
    result = wg_client_key.ensure_key(base, "wg0", "phone", True)
    assert result["changed"] and result["public_key"] is None
    assert not os.path.exists(base)


def test_bad_key_file_fails(tmp_path):
    os.makedirs(str(tmp_path / "wg0"))
    (tmp_path / "wg0" / "phone.key").write_text("nope\n")
    with pytest.raises(AnsibleActionFail, match="not a WireGuard private key"):
        wg_client_key.ensure_key(str(tmp_path), "wg0", "phone", False)


def test_config_and_qr_written_once(tmp_path):
    # qrencode and zbarimg come with the Makefile's APT_PACKAGES.
    assert shutil.which("qrencode") and shutil.which("zbarimg")
    base = str(tmp_path)
    public = wg_client_key.ensure_key(base, "wg0", "phone", False)["public_key"]
    result, before, after = wg_client_config.client_files(base, client(), MASTER, True, False)
    assert result["changed"] and before == ""
    conf = os.path.join(base, "wg0", "phone.conf")
    png = os.path.join(base, "wg0", "phone.png")
    assert mode(conf) == 0o600 and mode(png) == 0o600
    with open(conf) as handle:
        text = handle.read()
    with open(os.path.join(base, "wg0", "phone.key")) as handle:
        private = handle.read().strip()
    # The diff text is redacted; the file has the keys.
    assert private not in after and "PrivateKey = <redacted>" in after and "PresharedKey = <redacted>" in after
    parsed = wg_quick.parse_config(text)
    assert parsed["interface"]["privatekey"] == private
    assert parsed["peers"][0]["presharedkey"] == _psk.derive_psk(MASTER, "wg0", public, HUB)
    decoded = subprocess.run(["zbarimg", "--quiet", "--raw", png], capture_output=True, text=True, check=True).stdout
    assert decoded.rstrip("\n") == text.rstrip("\n")

    png_mtime = os.stat(png).st_mtime_ns
    again, before2, after2 = wg_client_config.client_files(base, client(), MASTER, True, False)
    assert not again["changed"] and before2 == after2
    assert os.stat(png).st_mtime_ns == png_mtime
    # Another master: a new PSK, a new file and QR code.
    third, _b, _a = wg_client_config.client_files(base, client(), MASTER + "2", True, False)
    assert third["changed"] and os.stat(png).st_mtime_ns != png_mtime


def test_config_with_a_given_public_key_has_a_placeholder(tmp_path):
    given = _wg_crypto.public_key(base64.b64encode(b"\x09" * 32).decode())
    result, _b, _a = wg_client_config.client_files(str(tmp_path), client(given), None, False, False)
    assert result["private_key"] == "placeholder" and result["qr_path"] is None
    with open(result["path"]) as handle:
        text = handle.read()
    assert "# PrivateKey = <paste the client's private key here>" in text
    assert "PresharedKey" not in text
    assert not os.path.exists(os.path.join(str(tmp_path), "wg0", "phone.png"))


def test_config_check_mode_writes_nothing(tmp_path):
    result, _b, _a = wg_client_config.client_files(str(tmp_path / "c"), client(), None, True, True)
    assert result["changed"]
    assert not os.path.exists(str(tmp_path / "c"))


def test_config_needs_the_key_and_the_hub_key(tmp_path):
    with pytest.raises(AnsibleActionFail, match="phone.key does not exist; run wgnet.wireguard.wg_client_key"):
        wg_client_config.client_files(str(tmp_path), client(), None, False, False)
    wg_client_key.ensure_key(str(tmp_path), "wg0", "phone", False)
    no_hub = client()
    no_hub["peers"][0]["public_key"] = None
    with pytest.raises(AnsibleActionFail, match="the public key of hub hub is not known"):
        wg_client_config.client_files(str(tmp_path), no_hub, None, False, False)
