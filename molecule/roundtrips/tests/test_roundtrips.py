"""Round trips of a no-op converge, counted by a callback (not by hand):
every remote task or loop item costs one round trip per host.

Targets (issue 12): at most 4 for a plain member and 5 for a gateway; the
wireguard role itself makes 3 (wg_probe, wg_key, wg_interface), with
preshared keys on. Also: each README tag runs the tasks it names.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(SCENARIO))
sys.path.insert(0, os.path.join(ROOT, "lab"))

import labkit  # noqa: E402

INVENTORY = os.path.join(SCENARIO, "inventory", "hosts.yml")
SITE = os.path.join(ROOT, "playbooks", "site.yml")
CALLBACKS = os.path.join(ROOT, "tests", "roundtrips", "callback_plugins")
ROLE = "wgnet.wireguard.wireguard"
GATEWAY_ROLE = "wgnet.wireguard.gateway"


def site(tmp_path, *args):
    """Run site.yml with the counting callback: (rc, output, counts per host)."""
    counts = str(tmp_path / "roundtrips.json")
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", ANSIBLE_CALLBACK_PLUGINS=CALLBACKS,
               ANSIBLE_CALLBACKS_ENABLED="wgnet_roundtrips", WGNET_ROUNDTRIPS_FILE=counts)
    done = subprocess.run(["ansible-playbook", "-i", INVENTORY] + list(args) + [SITE],
                          capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    with open(counts) as handle:
        return out, json.load(handle)


@pytest.fixture(scope="module")
def noop(tmp_path_factory):
    # Molecule's converge recorded the public keys beside its own copy of the
    # inventory; the first run from this one records them beside it.
    site(tmp_path_factory.mktemp("prime"))
    out, counts = site(tmp_path_factory.mktemp("noop"))
    assert "changed=0" in out and "changed=1" not in out, out[-3000:]
    return counts


def test_the_wireguard_role_makes_three_round_trips(noop):
    for host in ("hub", "member"):
        assert noop[host]["by_role"].get(ROLE) == 3, noop[host]
        assert noop[host]["tasks"][:3] == [
            ROLE + " : Probe the platform and the WireGuard tools",
            ROLE + " : Ensure a private key exists on the host for each of its networks",
            ROLE + " : Reconcile the WireGuard interfaces"], noop[host]["tasks"]


def test_a_plain_member_makes_at_most_four(noop):
    assert noop["member"]["remote"] <= 4, noop["member"]
    assert GATEWAY_ROLE not in noop["member"]["by_role"]


def test_a_gateway_makes_at_most_five(noop):
    assert noop["hub"]["remote"] <= 5, noop["hub"]


def test_psk_files_are_in_place_without_a_task_of_their_own(noop):
    listing = labkit.podman("wgnet-rt-rtmember", "sh", "-c", "stat -c '%a %n' /etc/wireguard/psk/wg0/*.psk")
    assert listing.returncode == 0 and listing.stdout.split()[0] == "600", listing.stdout + listing.stderr
    dump = labkit.podman("wgnet-rt-rtmember", "wg", "show", "wg0", "preshared-keys").stdout
    assert "(none)" not in dump and dump.strip()


@pytest.mark.parametrize("tag,ran,not_ran", [
    ("wireguard_install", [], ["Ensure a private key exists on the host for each of its networks",
                               "Reconcile the WireGuard interfaces"]),
    ("wireguard_configure", ["Ensure a private key exists on the host for each of its networks",
                             "Reconcile the WireGuard interfaces"], []),
])
def test_each_tag_runs_the_tasks_it_names(tmp_path, tag, ran, not_ran):
    out, counts = site(tmp_path, "--tags", tag)
    tasks = counts["member"]["tasks"]
    assert tasks[0] == ROLE + " : Probe the platform and the WireGuard tools"  # tagged always
    for name in ran:
        assert ROLE + " : " + name in tasks, tasks
    for name in not_ran:
        assert ROLE + " : " + name not in tasks, tasks


def test_install_runs_when_the_probe_finds_a_tool_missing(tmp_path):
    # Hide wg-quick: the install task must then run (and change nothing else).
    labkit.podman("wgnet-rt-rtmember", "sh", "-c", "mv /usr/bin/wg-quick /usr/bin/wg-quick.rt-hidden")
    try:
        out, counts = site(tmp_path, "--tags", "wireguard_install", "--check")
    finally:
        labkit.podman("wgnet-rt-rtmember", "sh", "-c", "mv /usr/bin/wg-quick.rt-hidden /usr/bin/wg-quick")
    assert ROLE + " : Install WireGuard packages" in counts["member"]["tasks"], counts["member"]
    assert ROLE + " : Install WireGuard packages" not in counts["hub"]["tasks"], counts["hub"]
