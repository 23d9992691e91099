"""Direct paths (issue 15) on real NAT routers: a site (desktop and media in
one house), a NAT pair (desktop or media behind one cone NAT, worker behind
another), a member behind a symmetric NAT (laptop) and a hub reached by a
DNS name. converge.yml already waited for the NAT pair's direct handshake
(30 s at most) after the one converge.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(SCENARIO))
sys.path.insert(0, os.path.join(ROOT, "lab"))

import labkit  # noqa: E402

INVENTORY = os.path.join(SCENARIO, "inventory", "hosts.yml")
INV = labkit.Inventory(INVENTORY)
MEMBERS = ["hub", "hub2", "desktop", "media", "worker", "laptop"]
HUBS = ["hub", "hub2"]
WAN = dict((r, INV.hostvars[r]["lab_wan_address"]) for r in ("homenat", "officenat", "cgnat"))


def wg(host, *args):
    r = labkit.podman(INV.container(host), "wg", "show", "wg0", *args)
    assert r.returncode == 0, r.stderr
    return r.stdout


def table(host, what):
    """{peer key: value} of `wg show wg0 <what>` (no private keys)."""
    return dict(line.split("\t", 1) for line in wg(host, what).splitlines() if "\t" in line)


KEYS = dict((h, wg(h, "public-key").strip()) for h in MEMBERS)
NAME = dict((k, h) for h, k in KEYS.items())


def peers(host):
    return dict((NAME.get(k, k), v) for k, v in table(host, "endpoints").items())


def test_the_site_neighbours_peer_over_the_house_lan():
    assert peers("desktop")["media"] == "%s:51821" % INV.hostvars["media"]["ansible_host"]
    assert peers("media")["desktop"] == "%s:51820" % INV.hostvars["desktop"]["ansible_host"]


def test_the_nat_pairs_use_the_addresses_the_hubs_observed():
    # worker is behind officenat; desktop and media behind homenat.
    for member in ("desktop", "media"):
        assert peers(member)["worker"].startswith(WAN["officenat"] + ":"), peers(member)
        assert peers("worker")[member].startswith(WAN["homenat"] + ":"), peers("worker")


def test_the_member_behind_the_symmetric_nat_has_no_pair():
    assert set(peers("laptop")) == set(HUBS)
    for member in ("desktop", "media", "worker"):
        assert "laptop" not in peers(member)
    # The two hubs see it at two ports: what told the planner.
    seen = [peers(h)["laptop"] for h in HUBS]
    assert all(s.startswith(WAN["cgnat"] + ":") for s in seen) and seen[0] != seen[1], seen


def test_the_nat_pair_shook_hands_directly():
    for a, b in (("desktop", "worker"), ("worker", "desktop")):
        shakes = table(a, "latest-handshakes")
        assert int(shakes[KEYS[b]]) > 0, (a, b, shakes)


def test_the_hub_is_reached_by_its_dns_name():
    for member in ("desktop", "worker", "laptop"):
        assert peers(member)["hub"] == "%s:51820" % INV.hostvars["hub"]["dp_hub_address"]
        assert int(table(member, "latest-handshakes")[KEYS["hub"]]) > 0


@pytest.mark.parametrize("src", MEMBERS)
def test_every_member_reaches_every_other(src):
    for dst in MEMBERS:
        if dst != src:
            ok, waited = labkit.wait_ping(INV.container(src), INV.address(dst), timeout=20)
            assert ok, "%s -> %s: no reply in %.0f s" % (src, dst, waited)


def playbook(name, *args):
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    r = subprocess.run(["ansible-playbook", "-i", INVENTORY] + list(args) + [os.path.join(ROOT, "playbooks", name)],
                       capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    return r.stdout


def wait_direct(a, b, timeout=60):
    """Until a's watchdog has promoted b (b's prefixes live on b's entry)."""
    deadline = time.monotonic() + timeout
    while table(a, "allowed-ips").get(KEYS[b], "(none)") == "(none)":
        assert time.monotonic() < deadline, "%s: the watchdog did not promote %s in %d s" % (a, b, timeout)
        time.sleep(2)


def test_verify_shows_the_path_of_each_pair(tmp_path):
    for a, b in (("desktop", "media"), ("media", "desktop"), ("desktop", "worker"), ("worker", "desktop")):
        wait_direct(a, b)
    # Molecule's converge recorded the public keys beside its own copy of the
    # inventory; a converge from this one (a no-op) records them beside it.
    playbook("site.yml")
    report = str(tmp_path / "verify.json")
    out = playbook("verify.yml", "-e", "wireguard_verify_report=%s" % report)
    with open(report) as handle:
        rows = json.load(handle)["rows"]
    path = dict(((row["from"], row["to"]), row["path"]) for row in rows if row["kind"] == "tunnel")
    assert path[("desktop", "media")] == "direct"
    assert path[("desktop", "worker")] == "direct"
    assert path[("worker", "laptop")] == "via hub"
    assert path[("laptop", "hub2")] == "direct"
    assert "path" in out and "via hub (fallback)" not in out


def hub_bytes(member):
    """Bytes the hub received from and sent to a member's entry."""
    rx, tx = table("hub", "transfer")[KEYS[member]].split("\t")
    return int(rx) + int(tx)


def flood(src, dst, count=200):
    r = labkit.podman(INV.container(src), "ping", "-n", "-q", "-c", str(count), "-i", "0.01", "-s", "1000",
                      "-W", "2", INV.address(dst))
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("a,b", [("desktop", "media"), ("desktop", "worker")], ids=["site", "nat"])
def test_traffic_of_a_direct_pair_does_not_cross_the_hub(a, b):
    # The watchdog promotes a pair within a few of its 10 s rounds.
    wait_direct(a, b)
    wait_direct(b, a)
    deadline = time.monotonic() + 60
    while True:
        before = (hub_bytes(a), hub_bytes(b))
        flood(a, b)          # about 400 kB each way
        after = (hub_bytes(a), hub_bytes(b))
        grown = max(after[0] - before[0], after[1] - before[1])
        if grown < 20000 or time.monotonic() > deadline:
            break
        time.sleep(5)
    # Keepalives and a handshake at most: far from the 400 kB the pings carry.
    assert grown < 20000, (a, b, before, after)


def test_the_hub_counters_see_relayed_traffic():
    """The control for the test above: a pair that goes through the hub (to
    the laptop behind the symmetric NAT) moves the hub's counters by the
    ~400 kB the pings carry, so flat counters do mean a direct path."""
    before = hub_bytes("desktop")
    flood("desktop", "laptop")
    assert hub_bytes("desktop") - before > 300000
