"""Verify of the topologies scenario: a mesh (wg0) and a dual-stack hybrid
network (wg1) over the same hosts; every pair that should talk does, by the
path the topology promises. An invalid inventory is refused before any host
changes."""

from __future__ import annotations

import hashlib
import itertools
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
INV = labkit.Inventory(INVENTORY)
MEMBERS = ["alpha", "bravo", "charlie", "delta"]


def addresses(host, interface):
    value = INV.hostvars[host]["wireguard_interfaces"][interface]["address"]
    return value if isinstance(value, list) else [value]


def peers(host, interface):
    """Peer public keys of a host's interface."""
    return labkit.podman(INV.container(host), "wg", "show", interface, "peers", check=True).stdout.split()


def own_key(host, interface):
    return labkit.podman(INV.container(host), "wg", "show", interface, "public-key", check=True).stdout.strip()


MESH_PAIRS = list(itertools.permutations(MEMBERS, 2))
HYBRID_PAIRS = [(a, b, ip) for a, b in itertools.permutations(MEMBERS, 2) for ip in addresses(b, "wg1")]


@pytest.mark.parametrize("src,dst", MESH_PAIRS, ids=["%s->%s" % p for p in MESH_PAIRS])
def test_mesh_ping(src, dst):
    ok, loss, _rtt = labkit.ping(INV.container(src), addresses(dst, "wg0")[0], count=2)
    assert ok, "wg0 %s -> %s: loss %s" % (src, dst, loss)


def test_mesh_is_direct():
    """Every mesh member peers with the three others directly."""
    keys = dict((h, own_key(h, "wg0")) for h in MEMBERS)
    for host in MEMBERS:
        assert sorted(peers(host, "wg0")) == sorted(k for h, k in keys.items() if h != host), host


@pytest.mark.parametrize("src,dst,address", HYBRID_PAIRS, ids=["%s->%s(%s)" % p for p in HYBRID_PAIRS])
def test_hybrid_ping(src, dst, address):
    ok, loss, _rtt = labkit.ping(INV.container(src), address, count=2)
    assert ok, "wg1 %s -> %s (%s): loss %s" % (src, dst, address, loss)


def test_hybrid_paths():
    """Reachable members (alpha hub, bravo) peer directly; members behind NAT
    (charlie, delta) peer with the hub only and reach everyone through it."""
    keys = dict((h, own_key(h, "wg1")) for h in MEMBERS)
    assert sorted(peers("alpha", "wg1")) == sorted(keys[h] for h in ("bravo", "charlie", "delta"))
    assert sorted(peers("bravo", "wg1")) == [keys["alpha"]]
    assert peers("charlie", "wg1") == [keys["alpha"]]
    assert peers("delta", "wg1") == [keys["alpha"]]
    # delta -> charlie crosses the hub: the first hop answers as alpha.
    out = labkit.podman(INV.container("delta"), "ping", "-c", "1", "-W", "2", "-R", "10.81.0.3").stdout
    assert "10.81.0.1" in out, out


@pytest.mark.parametrize("src", MEMBERS)
def test_lan_behind_member_behind_nat(src):
    """The site LAN behind charlie (behind NAT) is reachable from every member of wg1, and back."""
    ok, loss, _rtt = labkit.ping(INV.container(src), INV.address("lanclient"), count=2)
    assert ok, "%s -> lanclient: loss %s" % (src, loss)
    ok, loss, _rtt = labkit.ping(INV.container("lanclient"), addresses(src, "wg1")[0], count=2)
    assert ok, "lanclient -> %s: loss %s" % (src, loss)


def _host_state():
    """What a failed run must not touch: live WireGuard state and boot configs."""
    state = {}
    for host in MEMBERS:
        c = INV.container(host)
        dump = labkit.podman(c, "wg", "show", "all", "dump", check=True).stdout
        # Keep only public data: drop private keys (interface lines) and handshake/transfer counters.
        public = sorted("\t".join(f[:2] + f[4:5]) for f in (line.split("\t") for line in dump.splitlines())
                        if len(f) == 9)
        confs = labkit.podman(c, "sh", "-c", "cat /etc/wireguard/*.conf", check=True).stdout
        state[host] = (public, hashlib.sha256(confs.encode()).hexdigest())
    return state


def test_invalid_inventory_changes_no_host():
    """A duplicate tunnel address fails on the controller, names host and
    variable, and leaves every host as it was."""
    before = _host_state()
    r = subprocess.run(
        ["ansible-playbook", "-i", INVENTORY, "-i", os.path.join(HERE, "duplicate-address.yml"),
         os.path.join(ROOT, "playbooks", "site.yml")],
        capture_output=True, text=True, cwd=ROOT, check=False)
    out = " ".join((r.stdout + r.stderr).split())
    assert r.returncode != 0
    assert "host delta: wireguard_interfaces.wg0.address 10.80.0.2 is already used by bravo" in out \
        or "host bravo: wireguard_interfaces.wg0.address 10.80.0.2 is already used by delta" in out, out[-2000:]
    assert "changed=0" in out and "changed=1" not in out
    assert _host_state() == before
