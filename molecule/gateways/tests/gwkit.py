# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the gateways scenario: run site.yml with the task-logging
callback, snapshot what a gateway run may change, and (`gwkit.py
first-check`, called by prepare.yml) record the first run in check mode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(SCENARIO))
sys.path.insert(0, os.path.join(ROOT, "lab"))

import labkit  # noqa: E402

INVENTORY = os.path.join(SCENARIO, "inventory", "hosts.yml")
INV = labkit.Inventory(INVENTORY)
# gateway -> the backend it must end up with
GATEWAYS = {"hub": "firewalld", "homegw": "iptables", "officegw": "nftables", "shopgw": "ufw"}
FIRST_CHECK = "first_check.json"
# Everything a gateway run may touch, without packet counters.
SNAPSHOT = (
    "nft list ruleset | sed -E 's/counter packets [0-9]+ bytes [0-9]+//';"
    " ls -la --time-style=full-iso /etc/wgnet /etc/sysctl.d /etc/firewalld/zones /etc/firewalld/policies"
    " /etc/systemd/system /etc/systemd/system/multi-user.target.wants /etc/wireguard 2>&1;"
    " cat /etc/ufw/user.rules /etc/ufw/user6.rules;"
    " sysctl net.ipv4.ip_forward net.ipv6.conf.all.forwarding; ip -br link"
)


def ephemeral(name):
    base = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY") or tempfile.gettempdir()
    return os.path.join(base, name)


def run_site(*args):
    """ansible-playbook site.yml with extra args; returns (process, task records)."""
    extra = []
    if os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY"):
        # The public keys converge recorded beside molecule's own inventory.
        extra = ["-e", "wireguard_public_key_file=" + ephemeral(os.path.join("inventory", "wireguard_public_keys.yml"))]
    fd, log = tempfile.mkstemp(prefix="gateway-tasks-", suffix=".jsonl")
    os.close(fd)
    env = dict(os.environ, GATEWAY_TASKS_LOG=log, ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, "callback"),
               ANSIBLE_CALLBACKS_ENABLED="gateway_tasks", ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    try:
        proc = subprocess.run(["ansible-playbook", "-i", INVENTORY] + extra + list(args)
                              + [os.path.join(ROOT, "playbooks", "site.yml")],
                              capture_output=True, text=True, cwd=ROOT, env=env, check=False)
        with open(log) as handle:
            records = [json.loads(line) for line in handle if line.strip()]
    finally:
        os.unlink(log)
    return proc, records


def snapshot(host):
    return labkit.podman(INV.container(host), "sh", "-c", SNAPSHOT).stdout


def gateway_results(records):
    """host -> the wg_gateway record."""
    return dict((r["host"], r) for r in records if r["action"] == "wg_gateway")


def first_check():
    hosts = sorted(GATEWAYS)
    before = dict((h, snapshot(h)) for h in hosts)
    proc, records = run_site("--check", "--diff")
    after = dict((h, snapshot(h)) for h in hosts)
    with open(ephemeral(FIRST_CHECK), "w") as handle:
        json.dump({"rc": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr, "records": records,
                   "before": before, "after": after}, handle)


if __name__ == "__main__":
    if sys.argv[1:] == ["first-check"]:
        first_check()
    else:
        sys.exit("usage: gwkit.py first-check")
