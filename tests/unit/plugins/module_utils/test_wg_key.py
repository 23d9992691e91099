# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_wg_key.PrivateKeyFile: the wg_key module backend."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_crypto
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_key
from ansible_collections.wgnet.wireguard.plugins.module_utils._wg_key import PrivateKeyFile
from ansible_collections.wgnet.wireguard.plugins.module_utils._wg_key import WireGuardKeyError

KNOWN_PRIVATE = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo="
KNOWN_PUBLIC = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo="


def mode(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


@pytest.fixture
def paths(tmp_path):
    class P(object):
        dir = tmp_path / "etc" / "wireguard"
        key = dir / "wg0.key"
        facts = tmp_path / "facts.d"
        fact = facts / _wg_key.FACT_NAME
    return P


def run(paths, regenerate="fail", check_mode=False, fact_dir=True):
    keyfile = PrivateKeyFile(str(paths.key), "wg0", regenerate=regenerate,
                             fact_dir=str(paths.facts) if fact_dir else None, check_mode=check_mode)
    return keyfile.run()


def key_text(paths):
    return paths.key.read_text()


def assert_no_private_in(result, private):
    assert private.strip() not in repr(result)


def write_key(paths, text, file_mode=0o600):
    paths.dir.mkdir(parents=True, exist_ok=True)
    paths.dir.chmod(0o700)
    paths.key.write_text(text)
    paths.key.chmod(file_mode)


def test_known_key_public_derivation():
    assert _wg_crypto.public_key(KNOWN_PRIVATE) == KNOWN_PUBLIC


def test_generates_key_0600_in_0700_dir(paths):
    result = run(paths)
    assert result["changed"] is True and result["generated"] is True
    private = key_text(paths)
    assert private.endswith("\n")
    assert _wg_crypto.is_valid_key(private)
    assert mode(paths.key) == 0o600
    assert mode(paths.dir) == 0o700
    assert result["public_key"] == _wg_crypto.public_key(private.strip())
    assert result["path"] == str(paths.key)
    assert result["diff"]["before"] == {"exists": False, "public_key": None}
    assert result["diff"]["after"]["public_key"] == _wg_crypto.fingerprint(result["public_key"])
    assert_no_private_in(result, private)


def test_second_run_unchanged(paths):
    first = run(paths)
    private = key_text(paths)
    second = run(paths)
    assert second["changed"] is False and second["generated"] is False
    assert second["public_key"] == first["public_key"]
    assert key_text(paths) == private
    assert second["diff"]["before"] == second["diff"]["after"]
    assert_no_private_in(second, private)


def test_existing_valid_key_kept(paths):
    write_key(paths, KNOWN_PRIVATE + "\n")
    result = run(paths, fact_dir=False)
    assert result == {"changed": False, "path": str(paths.key), "generated": False, "rotated": False,
                      "public_key": KNOWN_PUBLIC, "rotation_id": None,
                      "diff": {"before": {"exists": True, "public_key": KNOWN_PUBLIC[:8] + "..."},
                               "after": {"exists": True, "public_key": KNOWN_PUBLIC[:8] + "..."}}}
    assert key_text(paths) == KNOWN_PRIVATE + "\n"


def test_check_mode_writes_nothing(paths):
    result = run(paths, check_mode=True)
    assert result["changed"] is True and result["generated"] is True
    assert result["public_key"] is None
    assert not paths.dir.exists()
    assert not paths.facts.exists()


def test_check_mode_on_existing_key_reports_public_key(paths):
    write_key(paths, KNOWN_PRIVATE, file_mode=0o644)
    result = run(paths, check_mode=True)
    assert result["changed"] is True          # mode and fact would change
    assert result["generated"] is False
    assert result["public_key"] == KNOWN_PUBLIC
    assert mode(paths.key) == 0o644
    assert not paths.facts.exists()


@pytest.mark.parametrize("regenerate", ["never", "fail"])
@pytest.mark.parametrize("content", ["garbage\n", "", KNOWN_PRIVATE[:-2] + "\n"])
def test_invalid_file_fails_without_touching_it(paths, regenerate, content):
    write_key(paths, content, file_mode=0o640)
    with pytest.raises(WireGuardKeyError) as exc:
        run(paths, regenerate=regenerate)
    assert str(paths.key) in str(exc.value)
    assert "full_idempotence" in str(exc.value)
    assert key_text(paths) == content
    assert mode(paths.key) == 0o640


def test_full_idempotence_replaces_invalid_file(paths):
    write_key(paths, "garbage\n", file_mode=0o644)
    result = run(paths, regenerate="full_idempotence")
    assert result["changed"] is True and result["generated"] is True
    private = key_text(paths)
    assert _wg_crypto.is_valid_key(private)
    assert mode(paths.key) == 0o600
    assert result["public_key"] == _wg_crypto.public_key(private.strip())
    assert result["diff"]["before"] == {"exists": True, "public_key": None}


def test_full_idempotence_keeps_valid_file(paths):
    write_key(paths, KNOWN_PRIVATE + "\n")
    result = run(paths, regenerate="full_idempotence", fact_dir=False)
    assert result["changed"] is False
    assert result["public_key"] == KNOWN_PUBLIC


@pytest.mark.parametrize("regenerate", ["never", "fail", "full_idempotence", "always"])
def test_missing_file_is_generated_under_every_policy(paths, regenerate):
    result = run(paths, regenerate=regenerate)
    assert result["generated"] is True
    assert _wg_crypto.is_valid_key(key_text(paths))


def test_always_regenerates(paths):
    write_key(paths, KNOWN_PRIVATE + "\n")
    first = run(paths, regenerate="always")
    second = run(paths, regenerate="always")
    assert first["changed"] and first["generated"] and second["changed"] and second["generated"]
    assert len({KNOWN_PUBLIC, first["public_key"], second["public_key"]}) == 3
    assert _wg_crypto.public_key(key_text(paths).strip()) == second["public_key"]
    fact = json.loads(paths.fact.read_text())
    assert fact["wg0"]["public_key"] == second["public_key"]


def test_wrong_file_mode_fixed(paths):
    write_key(paths, KNOWN_PRIVATE + "\n", file_mode=0o644)
    result = run(paths, fact_dir=False)
    assert result["changed"] is True and result["generated"] is False
    assert mode(paths.key) == 0o600
    assert key_text(paths) == KNOWN_PRIVATE + "\n"
    assert run(paths, fact_dir=False)["changed"] is False


def test_wrong_dir_mode_fixed(paths):
    write_key(paths, KNOWN_PRIVATE + "\n")
    paths.dir.chmod(0o755)
    result = run(paths, fact_dir=False)
    assert result["changed"] is True and result["generated"] is False
    assert mode(paths.dir) == 0o700


def test_fact_file_has_public_key_not_private(paths):
    paths.facts.mkdir()
    paths.fact.write_text(json.dumps({"wg9": {"public_key": "other"}}))
    result = run(paths)
    private = key_text(paths).strip()
    text = paths.fact.read_text()
    assert private not in text
    data = json.loads(text)
    assert data == {"wg9": {"public_key": "other"},
                    "wg0": {"public_key": result["public_key"], "private_key_path": str(paths.key)}}
    assert result["fact_path"] == str(paths.fact)
    assert mode(paths.fact) == 0o644


def test_fact_written_for_existing_key_and_then_stable(paths):
    write_key(paths, KNOWN_PRIVATE + "\n")
    first = run(paths)
    assert first["changed"] is True        # only the fact changed
    assert json.loads(paths.fact.read_text())["wg0"]["public_key"] == KNOWN_PUBLIC
    assert run(paths)["changed"] is False


def test_result_never_contains_private_key(paths):
    results = [run(paths), run(paths), run(paths, regenerate="always"), run(paths, check_mode=True)]
    private = key_text(paths).strip()
    for result in results:
        assert_no_private_in(result, private)
    write_key(paths, KNOWN_PRIVATE + "\n", file_mode=0o644)
    assert_no_private_in(run(paths), KNOWN_PRIVATE)


def run_rotation(paths, rotation_id, check_mode=False, regenerate="fail"):
    keyfile = PrivateKeyFile(str(paths.key), "wg0", regenerate=regenerate, fact_dir=str(paths.facts),
                             check_mode=check_mode, rotation_id=rotation_id)
    return keyfile.run()


def test_rotation_replaces_once_per_id(paths):
    write_key(paths, KNOWN_PRIVATE + "\n")
    assert run(paths)["rotated"] is False
    first = run_rotation(paths, "2026-11-21")
    assert first["changed"] and first["generated"] and first["rotated"]
    assert first["public_key"] != KNOWN_PUBLIC
    assert _wg_crypto.public_key(key_text(paths).strip()) == first["public_key"]
    assert json.loads(paths.fact.read_text())["wg0"] == {
        "public_key": first["public_key"], "private_key_path": str(paths.key), "rotation_id": "2026-11-21"}
    again = run_rotation(paths, "2026-11-21")
    assert again["changed"] is False and again["generated"] is False and again["rotated"] is False
    assert again["public_key"] == first["public_key"] and again["rotation_id"] == "2026-11-21"
    nxt = run_rotation(paths, "2026-12-01")
    assert nxt["rotated"] and nxt["public_key"] not in (KNOWN_PUBLIC, first["public_key"])


def test_plain_run_keeps_recorded_rotation_id(paths):
    """A normal run (no rotation_id) must not forget the last rotation, or the
    same rotation would replace the key again."""
    write_key(paths, KNOWN_PRIVATE + "\n")
    rotated = run_rotation(paths, "r1")
    plain = run(paths)
    assert plain["changed"] is False and plain["rotation_id"] == "r1"
    assert json.loads(paths.fact.read_text())["wg0"]["rotation_id"] == "r1"
    assert run_rotation(paths, "r1")["public_key"] == rotated["public_key"]


def test_rotation_of_missing_key_generates_and_records_without_rotated(paths):
    result = run_rotation(paths, "r1")
    assert result["generated"] and not result["rotated"]
    assert run_rotation(paths, "r1")["changed"] is False


def test_rotation_check_mode_changes_nothing(paths):
    write_key(paths, KNOWN_PRIVATE + "\n")
    run(paths)
    fact_before = paths.fact.read_text()
    result = run_rotation(paths, "r1", check_mode=True)
    assert result["changed"] and result["rotated"] and result["public_key"] is None
    assert key_text(paths) == KNOWN_PRIVATE + "\n"
    assert paths.fact.read_text() == fact_before


def test_rotation_replaces_invalid_key_even_under_fail(paths):
    """The rotation asks for a new key: an unreadable old one is no reason to stop."""
    write_key(paths, "garbage\n")
    result = run_rotation(paths, "r1")
    assert result["generated"] and not result["rotated"]
    assert _wg_crypto.is_valid_key(key_text(paths).strip())


def test_rotation_needs_fact_dir(paths):
    write_key(paths, KNOWN_PRIVATE + "\n")
    keyfile = PrivateKeyFile(str(paths.key), "wg0", fact_dir=None, rotation_id="r1")
    with pytest.raises(WireGuardKeyError, match="rotation_id needs fact_dir"):
        keyfile.run()
    assert key_text(paths) == KNOWN_PRIVATE + "\n"


def test_rotation_with_corrupt_fact_file(paths):
    write_key(paths, KNOWN_PRIVATE + "\n")
    paths.facts.mkdir()
    paths.fact.write_text("[1, 2")
    result = run_rotation(paths, "r1")
    assert result["rotated"]
    assert json.loads(paths.fact.read_text())["wg0"]["rotation_id"] == "r1"
