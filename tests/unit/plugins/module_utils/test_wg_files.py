# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_wg_files: atomic writes, modes, JSON local facts."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_files


def mode(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


@pytest.fixture
def loose_umask():
    old = os.umask(0)
    yield
    os.umask(old)


def test_read_text(tmp_path):
    assert _wg_files.read_text(str(tmp_path / "missing")) is None
    (tmp_path / "f").write_text("hello\n")
    assert _wg_files.read_text(str(tmp_path / "f")) == "hello\n"


def test_write_atomic_sets_mode_and_leaves_no_temp_file(tmp_path, loose_umask):
    path = tmp_path / "secret"
    _wg_files.write_atomic(str(path), "one\n", 0o600)
    assert path.read_text() == "one\n"
    assert mode(path) == 0o600
    path.chmod(0o666)
    _wg_files.write_atomic(str(path), "two\n", 0o640)
    assert path.read_text() == "two\n"
    assert mode(path) == 0o640
    assert sorted(os.listdir(str(tmp_path))) == ["secret"]


def test_write_atomic_failure_keeps_old_file_and_cleans_up(tmp_path, monkeypatch):
    path = tmp_path / "secret"
    path.write_text("old\n")

    def boom(_src, _dst):
        raise OSError("rename failed")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="rename failed"):
        _wg_files.write_atomic(str(path), "new\n", 0o600)
    assert path.read_text() == "old\n"
    assert sorted(os.listdir(str(tmp_path))) == ["secret"]


def test_ensure_dir(tmp_path, loose_umask):
    path = tmp_path / "a" / "b"
    assert _wg_files.ensure_dir(str(path), 0o700, check_mode=True) is True
    assert not path.exists()
    assert _wg_files.ensure_dir(str(path), 0o700) is True
    assert mode(path) == 0o700
    assert _wg_files.ensure_dir(str(path), 0o700) is False
    path.chmod(0o755)
    assert _wg_files.ensure_dir(str(path), 0o700, check_mode=True) is True
    assert mode(path) == 0o755
    assert _wg_files.ensure_dir(str(path), 0o700) is True
    assert mode(path) == 0o700


def test_ensure_mode(tmp_path):
    path = tmp_path / "f"
    path.write_text("x")
    path.chmod(0o644)
    assert _wg_files.ensure_mode(str(path), 0o600, check_mode=True) is True
    assert mode(path) == 0o644
    assert _wg_files.ensure_mode(str(path), 0o600) is True
    assert mode(path) == 0o600
    assert _wg_files.ensure_mode(str(path), 0o600) is False


def test_update_json_fact_merges_and_is_idempotent(tmp_path):
    path = tmp_path / "facts.d" / "x.fact"
    assert _wg_files.update_json_fact(str(path), "wg0", {"a": 1}, check_mode=True) is True
    assert not path.exists()
    assert _wg_files.update_json_fact(str(path), "wg0", {"a": 1}) is True
    assert mode(path) == 0o644
    assert _wg_files.update_json_fact(str(path), "wg1", {"b": 2}) is True
    assert json.loads(path.read_text()) == {"wg0": {"a": 1}, "wg1": {"b": 2}}
    assert _wg_files.update_json_fact(str(path), "wg0", {"a": 1}) is False
    assert _wg_files.update_json_fact(str(path), "wg1", None) is True
    assert json.loads(path.read_text()) == {"wg0": {"a": 1}}
    assert _wg_files.update_json_fact(str(path), "wg1", None) is False


@pytest.mark.parametrize("content", ["not json", "[1, 2]", ""])
def test_update_json_fact_replaces_unusable_content(tmp_path, content):
    path = tmp_path / "x.fact"
    path.write_text(content)
    assert _wg_files.update_json_fact(str(path), "wg0", {"a": 1}) is True
    assert json.loads(path.read_text()) == {"wg0": {"a": 1}}
