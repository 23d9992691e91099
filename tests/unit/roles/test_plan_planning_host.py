# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The plan does not depend on which host plans it (issue 11.1).

The role plans once (run_once) on the first play host. A hub with its own
wireguard_port and wireguard_persistent_keepalive (host variables) used to
turn them into every member's default when it was that host. Here the real
role glue (roles/wireguard/tasks/plan.yml with vars/main.yml and defaults)
plans one inventory with each host as the only play host, in one
ansible-playbook run, and every plan must be the same."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
HOSTS = ("hub", "spoke1", "spoke2", "site")


def _key(i):
    return base64.b64encode(bytes([i + 1]) * 32).decode("ascii")


INVENTORY = """
all:
  vars:
    ansible_connection: local
    ansible_python_interpreter: %(python)s
  children:
    wireguard:
      vars:
        wireguard_network: 10.77.0.0/24
      hosts:
        hub:
          wireguard_address: 10.77.0.1
          wireguard_endpoint: hub.example.net
          wireguard_port: 51821
          wireguard_persistent_keepalive: 0
        spoke1: {wireguard_address: 10.77.0.2}
        spoke2: {wireguard_address: 10.77.0.3, wireguard_persistent_keepalive: 15}
        site:
          wireguard_address: 10.77.0.4
          wireguard_endpoint: 192.0.2.4
          wireguard_lan_subnets: [192.168.4.0/24]
    wireguard_hubs:
      hosts:
        hub:
"""


def _ansible_playbook():
    for candidate in (os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
                      shutil.which("ansible-playbook")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def _run_plan(work, keys_text, hosts=HOSTS, client_keys_text=None):
    """Plan the inventory through the real role (tasks_from: plan) with each
    of hosts as the only play host; keys_text: the recorded public keys file;
    client_keys_text: the clients' public keys file clients.yml writes.
    Returns (rc, parsed json callback output or None, raw output)."""
    playbook_bin = _ansible_playbook()
    if not playbook_bin:
        pytest.fail("ansible-playbook is not installed next to %s" % sys.executable)
    collections = work / "collections" / "ansible_collections" / "wgnet"
    collections.mkdir(parents=True)
    os.symlink(REPO, str(collections / "wireguard"))
    inv = work / "inventory"
    inv.mkdir()
    (inv / "hosts.yml").write_text(INVENTORY % {"python": sys.executable})
    (inv / "wireguard_public_keys.yml").write_text(keys_text)
    if client_keys_text is not None:
        (inv / "wireguard-clients").mkdir()
        (inv / "wireguard-clients" / "public_keys.yml").write_text(client_keys_text)
    plays = []
    for host in hosts:
        plays.append({
            "name": "plan as " + host, "hosts": host, "gather_facts": False,
            "tasks": [
                {"name": "Plan", "ansible.builtin.include_role": {"name": "wgnet.wireguard.wireguard",
                                                                  "tasks_from": "plan"}},
                {"name": "Show", "ansible.builtin.debug": {"var": "__wireguard_plan"}},
            ]})
    (work / "play.yml").write_text(json.dumps(plays))
    (work / "ansible.cfg").write_text("[defaults]\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(work / "collections"), ANSIBLE_STDOUT_CALLBACK="json",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_CONFIG=str(work / "ansible.cfg"), ANSIBLE_RETRY_FILES_ENABLED="0",
               ANSIBLE_LOCAL_TEMP=str(work / "tmp"), ANSIBLE_HOME=str(work / "home"), ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_CALLBACKS_ENABLED", None)
    done = subprocess.run([playbook_bin, "-i", str(inv / "hosts.yml"), str(work / "play.yml")], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    try:
        out = json.loads(done.stdout[done.stdout.index("{"):])
    except ValueError:
        out = None
    return done.returncode, out, done.stdout + done.stderr


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    keys = "wg0:\n" + "".join("  %s: %s\n" % (h, _key(i)) for i, h in enumerate(HOSTS))
    rc, out, raw = _run_plan(tmp_path_factory.mktemp("planning-host"), keys)
    assert rc == 0, raw[-6000:]
    result = {}
    for play, host in zip(out["plays"], HOSTS):
        shown = play["tasks"][-1]["hosts"][host]["__wireguard_plan"]
        result[host] = json.loads(shown) if isinstance(shown, str) else shown
    return result


def test_every_host_plans_the_same_network(plans):
    first = plans[HOSTS[0]]
    for host in HOSTS[1:]:
        assert plans[host] == first, "planned by %s differs from planned by %s" % (host, HOSTS[0])


def test_host_values_stay_with_their_host(plans):
    members = plans["hub"]["networks"]["wg0"]["members"]
    # The hub's own port and keepalive are its own ...
    assert members["hub"]["port"] == 51821
    assert members["hub"]["endpoint"] == "hub.example.net:51821"
    assert members["hub"]["keepalive"] == 0
    # ... and the others keep the role defaults or their own values.
    assert members["spoke1"]["port"] == 51820
    assert members["spoke1"]["keepalive"] == 25
    assert members["spoke2"]["keepalive"] == 15
    assert members["site"]["endpoint"] == "192.0.2.4:51820"


@pytest.mark.parametrize("text,problem", [
    ("wg0:\n  hub: [unclosed\n", "not valid YAML"),
    ("wg0:\n\thub: key\n", "not valid YAML"),
    ("wg0: [a, b]\n", "its entry 'wg0' holds a list"),
])
def test_a_broken_recorded_keys_file_is_named_with_the_fix(tmp_path, text, problem):
    """Issue 11: a recorded public keys file that is not valid YAML (or has
    the wrong shape) fails the plan step with a message naming the file, what
    is wrong and the fix, not a raw parser error or traceback."""
    rc, out, raw = _run_plan(tmp_path, text, hosts=("hub",))
    assert rc != 0
    failed = [t["hosts"]["hub"] for t in out["plays"][0]["tasks"] if t["hosts"].get("hub", {}).get("failed")]
    assert len(failed) == 1, raw[-3000:]
    msg = failed[0]["msg"]
    path = str(tmp_path / "inventory" / "wireguard_public_keys.yml")
    assert path in msg and problem in msg, msg
    assert "wireguard_public_key_file" in msg and "delete it" in msg and "without --limit" in msg, msg
    assert "Traceback" not in raw and "from_yaml" not in msg


def test_a_broken_clients_keys_file_is_named_with_the_fix(tmp_path):
    """The clients' public keys file (wireguard_clients_dir/public_keys.yml)
    is read by wg_plan too: broken YAML fails naming the file and the fix,
    not a raw from_yaml error."""
    keys = "wg0:\n" + "".join("  %s: %s\n" % (h, _key(i)) for i, h in enumerate(HOSTS))
    rc, out, raw = _run_plan(tmp_path, keys, hosts=("hub",), client_keys_text="wg0:\n  phone: [unclosed\n")
    assert rc != 0
    failed = [t["hosts"]["hub"] for t in out["plays"][0]["tasks"] if t["hosts"].get("hub", {}).get("failed")]
    assert len(failed) == 1, raw[-3000:]
    msg = failed[0]["msg"]
    path = str(tmp_path / "inventory" / "wireguard-clients" / "public_keys.yml")
    assert path in msg and "not valid YAML at line 3" in msg and "wireguard_clients_dir" in msg, msg
    assert "Traceback" not in raw and "from_yaml" not in msg
