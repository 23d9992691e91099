# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection tarball, built from a used work tree (`make tarball-test`).

A copy of this checkout gets what runs leave behind: client private keys,
configs and QR codes, recorded public keys, reports, caches, build output and
stray key files, also inside directories that do ship. The tarball built from
it must hold none of them and no byte of the planted private keys, only files
git knows about; and the unit tests it ships must pass from an installed copy.
Not shipped itself (build_ignore: tests/package).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tarfile

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.dirname(sys.executable)
PRIVATE = os.urandom(32)
PRIVATE_B64 = base64.b64encode(PRIVATE).decode("ascii")
PSK_B64 = base64.b64encode(os.urandom(32)).decode("ascii")

CONF = "[Interface]\nPrivateKey = %s\nAddress = 10.77.0.50/32\n\n[Peer]\nPresharedKey = %s\n" % (PRIVATE_B64, PSK_B64)

# path -> content; everything here must stay out of the tarball.
PLANTED = {
    # clients.yml output beside an inventory, at the top and inside shipped directories
    "wireguard-clients/wg0/phone.key": PRIVATE_B64 + "\n",
    "wireguard-clients/wg0/phone.conf": CONF,
    "wireguard-clients/wg0/phone.png": "PNG " + PRIVATE_B64,
    "wireguard-clients/public_keys.yml": "wg0: {phone: x}\n",
    "playbooks/wireguard-clients/wg0/laptop.key": PRIVATE_B64 + "\n",
    "docs/inventory/wireguard-clients/wg1/tablet.conf": CONF,
    "lab/inventory/wireguard-clients/wg0/phone.key": PRIVATE_B64 + "\n",
    # records and reports playbooks write beside an inventory
    "wireguard_public_keys.yml": "hub: {wg0: x}\n",
    "playbooks/wireguard_public_keys.yml": "hub: {wg0: x}\n",
    "wireguard-verify.json": "{}\n",
    "playbooks/wireguard-verify.json": "{}\n",
    "wireguard-plan.json": "{}\n",
    "playbooks/wireguard-plan.json": "{}\n",
    # stray key material anywhere
    "roles/wireguard/files/leftover.key": PRIVATE_B64 + "\n",
    "plugins/modules/wg0.psk": PSK_B64 + "\n",
    "tests/unit/host.pem": "-----BEGIN PRIVATE KEY-----\n%s\n" % PRIVATE_B64,
    # caches
    "plugins/filter/__pycache__/network.cpython-311.pyc": "cache",
    "plugins/module_utils/_wg_peers.pyc": "cache",
    ".pytest_cache/v/cache/lastfailed": "{}",
    "tests/unit/.pytest_cache/v/cache/nodeids": "[]",
    ".hypothesis/examples/abc/def": PRIVATE_B64,
    "tests/unit/.hypothesis/examples/abc/def": PRIVATE_B64,
    ".cache/pip/x": "cache",
    ".mypy_cache/3.11/x.json": "{}",
    "tests/output/junit/x.xml": "<x/>",
    "playbooks/site.retry": "hub\n",
    "plugins/modules/wg_key.py~": "backup " + PRIVATE_B64,
    "roles/wireguard/tasks/.main.yml.swp": "swap",
    # developer state and build output
    ".venv/bin/python": "",
    ".lab/report.json": PRIVATE_B64,
    ".lab/verify.json": "{}",
    "build/collections/x": "x",
    "build/importer/importer.log": "x",
    "wgnet-wireguard-0.0.1.tar.gz": "old tarball " + PRIVATE_B64,
}

# Developer-only paths that must not ship even though git tracks them.
NOT_SHIPPED = ("Makefile", "ansible.cfg", "requirements-dev.txt", "requirements-dev.in", "tools/", "lab/",
               "molecule/", "benchmarks/", ".ci/", "tests/openwrt/", "tests/package/",
               "tests/unit/roles/test_openwrt_scripts.py", ".gitignore", ".ansible-lint", ".yamllint")

MUST_SHIP = ("README.md", "COPYING", "CHANGELOG.rst", "meta/runtime.yml", "meta/execution-environment.yml",
             "requirements.txt", "bindep.txt", "roles/wireguard/README.md", "roles/gateway/README.md",
             "playbooks/site.yml", "playbooks/plan.yml", "tests/unit/conftest.py")


def _git_files():
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                         check=True, capture_output=True).stdout.decode("utf-8")
    return sorted(f for f in out.split("\0") if f and os.path.isfile(os.path.join(ROOT, f)))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("tarball")
    src = base / "src"
    tracked = _git_files()
    for rel in tracked:
        dest = src / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(os.path.join(ROOT, rel), dest)
    for rel, content in PLANTED.items():
        dest = src / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(content)
    # A symlinked venv, as the developer checkout has.
    os.symlink(sys.prefix, src / ".venv-link")
    out = base / "dist"
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(out), str(src)],
                   check=True, capture_output=True)
    (tarball,) = list(out.glob("wgnet-wireguard-*.tar.gz"))
    with tarfile.open(tarball) as tar:
        members = {m.name: (tar.extractfile(m).read() if m.isfile() else None) for m in tar.getmembers()}
    return {"base": base, "tarball": tarball, "members": members, "tracked": set(tracked)}


def test_no_planted_file_ships(built):
    names = set(built["members"])
    leaked = sorted(p for p in PLANTED if p in names)
    assert not leaked, "shipped: %s" % leaked
    # Nor their directories (an empty wireguard-clients/ would still say too much).
    dirs = sorted(n for n in names if "wireguard-clients" in n or "__pycache__" in n or "cache" in n.split("/")[-1])
    assert not dirs, dirs


def test_only_files_git_knows_about_ship(built):
    files = {n for n, data in built["members"].items() if data is not None}
    extra = sorted(files - built["tracked"] - {"MANIFEST.json", "FILES.json"})
    assert not extra, "not tracked by git, yet shipped: %s" % extra


def test_no_private_key_bytes(built):
    secrets = [PRIVATE, PRIVATE_B64.encode("ascii"), PSK_B64.encode("ascii")]
    found = sorted(name for name, data in built["members"].items()
                   if data is not None and any(s in data for s in secrets))
    assert not found, "key material in: %s" % found
    with open(built["tarball"], "rb") as handle:
        raw = handle.read()
    assert not any(s in raw for s in secrets)


@pytest.mark.parametrize("path", NOT_SHIPPED)
def test_developer_files_do_not_ship(built, path):
    assert not [n for n in built["members"] if n == path.rstrip("/") or n.startswith(path)]


@pytest.mark.parametrize("path", MUST_SHIP)
def test_what_users_need_ships(built, path):
    assert path in built["members"]


def test_shipped_requirements_are_run_time_only(built):
    lines = [line.strip() for line in built["members"]["requirements.txt"].decode("utf-8").splitlines()]
    packages = sorted(line.split(">")[0].split("=")[0].strip().lower() for line in lines
                      if line and not line.startswith("#"))
    assert packages == ["pynacl"]


@pytest.fixture(scope="module")
def installed(built):
    """The tarball installed as a user would, and an environment that finds
    only that copy (plus the dependencies in this Python's site-packages)."""
    dest = built["base"] / "collections"
    cfg = built["base"] / "ansible.cfg"
    cfg.write_text("[defaults]\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(dest), ANSIBLE_CONFIG=str(cfg), ANSIBLE_NOCOLOR="1")
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--no-deps", "-p", str(dest),
                    str(built["tarball"])], check=True, capture_output=True, env=env)
    return {"dest": dest, "root": dest / "ansible_collections" / "wgnet" / "wireguard", "env": env}


def test_shipped_unit_tests_pass_installed(installed):
    """The unit tests the tarball carries, run from the installed copy only
    (no path back into this checkout)."""
    root = installed["root"]
    assert (root / "tests" / "unit").is_dir()
    env = dict(installed["env"], PYTHONPATH=str(installed["dest"]))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
                           "--rootdir", str(root), "tests/unit"],
                          cwd=str(root), capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert ROOT not in proc.stdout


# The README's first inventory. Every host points at a closed port on
# loopback: a playbook that connected anywhere would report it unreachable.
INVENTORY = """
all:
  vars: {ansible_connection: ssh, ansible_host: 127.0.0.1, ansible_port: 1}
  children:
    wireguard:
      vars:
        wireguard_network: 10.77.0.0/24
      children:
        wireguard_hubs:
          hosts:
            hub: {wireguard_address: 10.77.0.1, wireguard_endpoint: vpn.example.net}
      hosts:
        laptop: {wireguard_address: 10.77.0.11}
        router: {wireguard_address: 10.77.0.12, wireguard_lan_subnets: [172.18.3.0/24]}
"""


def test_quick_start_plan_touches_no_host(installed, tmp_path):
    """`ansible-playbook wgnet.wireguard.plan` from the installed tarball:
    the README's peers, a JSON report, and no connection to any host."""
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(INVENTORY)
    report = tmp_path / "plan.json"
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", str(inventory), "wgnet.wireguard.plan",
                           "-e", "wireguard_plan_report=%s" % report],
                          cwd=str(tmp_path), capture_output=True, text=True, env=installed["env"], check=False)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "unreachable=1" not in proc.stdout and "changed=1" not in proc.stdout
    assert "router *  10.77.0.12/32" in proc.stdout and "172.18.3.0/24" in proc.stdout, proc.stdout
    data = json.loads(report.read_text())
    assert [p["allowed_ips"] for p in data["hosts"]["laptop"][0]["peers"]] == [["10.77.0.0/24", "172.18.3.0/24"]]
    assert data["missing_keys"] == {"wg0": ["laptop", "router", "hub"]}
    assert not list(tmp_path.glob("wireguard_public_keys.yml"))


def test_quick_start_site_syntax(installed, tmp_path):
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(INVENTORY)
    for playbook in ("site", "clients", "verify", "status", "rotate", "plan"):
        proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", str(inventory), "--syntax-check",
                               "wgnet.wireguard." + playbook], capture_output=True, text=True, env=installed["env"],
                              check=False)
        assert proc.returncode == 0, playbook + ": " + proc.stdout[-2000:] + proc.stderr[-2000:]
