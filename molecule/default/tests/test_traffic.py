"""Verify of the default scenario: traffic is the proof.

Runs after converge and idempotence. Each test sends packets across the
tunnels or checks a promise that traffic depends on (boot config, keys kept
on their hosts).
"""

from __future__ import annotations

import os
import re
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
ADD_SPOKE3 = os.path.join(HERE, "add-spoke3.yml")
SITE = os.path.join(ROOT, "playbooks", "site.yml")
RECAP = re.compile(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)

INV = labkit.Inventory(INVENTORY)


def playbook(*args):
    """Run site.yml; returns (rc, output, {host: changed})."""
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    r = subprocess.run(["ansible-playbook", "-i", INVENTORY] + list(args) + [SITE],
                       capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    out = r.stdout + r.stderr
    changed = dict((m.group(1), int(m.group(2))) for m in RECAP.finditer(out))
    return r.returncode, out, changed


def container(host):
    return INV.container(host) if host in INV.hostvars else "wgnet-mol-%s" % host


def private_keys(hosts):
    return dict((h, labkit.podman(container(h), "cat", "/etc/wireguard/wg0.key", check=True).stdout.strip())
                for h in hosts)


PAIRS = [
    ("laptop", "hub"), ("router", "hub"), ("hub", "laptop"), ("hub", "router"),
    ("laptop", "router"), ("router", "laptop"),          # spoke to spoke through the hub
    ("laptop", "lanclient"), ("hub", "lanclient"),      # into the LAN behind the router
    ("lanclient", "laptop"), ("lanclient", "hub"),      # from the LAN out through the router
    ("desktop", "hub"), ("hub", "desktop"),             # behind the cone NAT
    ("laptop", "desktop"), ("desktop", "laptop"),       # NAT to NAT through the hub
    ("desktop", "lanclient"),
]


@pytest.mark.parametrize("src,dst", PAIRS, ids=["%s->%s" % p for p in PAIRS])
def test_ping(src, dst):
    ok, loss, rtt = labkit.ping(container(src), INV.address(dst), count=3)
    assert ok, "%s -> %s (%s): loss %s" % (src, dst, INV.address(dst), loss)


def test_handshakes_with_every_peer():
    """After the pings every direct peer pair has completed a handshake."""
    for host in INV.members:
        _key, peers = labkit.wg_dump(container(host))
        expected = len(INV.members) - 1 if host == "hub" else 1
        assert len(peers) == expected, "%s has %d peers, wants %d" % (host, len(peers), expected)
        assert all(ts > 0 for ts in peers.values()), "%s: a peer never completed a handshake: %s" % (host, peers)


def test_boot_config_matches_live_state():
    """The boot config is 0600, holds the host's own key, and wg-quick is enabled."""
    for host in INV.members:
        c = container(host)
        assert labkit.podman(c, "stat", "-c", "%a", "/etc/wireguard/wg0.conf").stdout.strip() == "600"
        assert labkit.podman(c, "stat", "-c", "%a", "/etc/wireguard/wg0.key").stdout.strip() == "600"
        assert labkit.podman(c, "stat", "-c", "%a", "/etc/wireguard").stdout.strip() == "700"
        assert labkit.podman(c, "systemctl", "is-enabled", "wg-quick@wg0").stdout.strip() == "enabled"
        assert labkit.podman(c, "systemctl", "is-active", "wg-quick@wg0").stdout.strip() == "active"
        # wg-quick strip turns the file into exactly what `wg setconf` would load.
        stripped = labkit.podman(c, "wg-quick", "strip", "wg0", check=True).stdout
        live = labkit.podman(c, "wg", "showconf", "wg0", check=True).stdout
        wanted_peers = sorted(re.findall(r"PublicKey = (\S+)", stripped))
        live_peers = sorted(re.findall(r"PublicKey = (\S+)", live))
        assert wanted_peers == live_peers, host
        assert re.search(r"PrivateKey = (\S+)", stripped).group(1) == re.search(r"PrivateKey = (\S+)", live).group(1)


def test_check_mode_then_add_peer_without_loss():
    """A fifth member joins (behind desktop's NAT router): check mode first changes nothing, then the real
    run adds it while a ping crosses the hub, and no packet is lost. The -vvv
    and --diff output of both runs holds none of the private keys."""
    laptop = container("laptop")
    hub = container("hub")
    router_addr = INV.address("router")
    peers_before = sorted(labkit.podman(hub, "wg", "show", "wg0", "peers").stdout.split())

    rc, check_out, changed = playbook("-i", ADD_SPOKE3, "--check", "--diff", "-vvv")
    assert rc == 0, check_out[-3000:]
    assert changed.get("spoke3", 0) > 0, "check mode should report spoke3 would get a key and an interface"
    assert re.search(r"the keys of spoke3 \(wg0\) do not exist yet", " ".join(check_out.split()))
    assert sorted(labkit.podman(hub, "wg", "show", "wg0", "peers").stdout.split()) == peers_before, \
        "check mode changed the live hub"
    assert labkit.podman(container("spoke3"), "test", "-e", "/etc/wireguard/wg0.key").returncode != 0, \
        "check mode wrote a key on spoke3"

    # A ping across the hub for the whole real run, -D for timestamps.
    labkit.podman(laptop, "sh", "-c", "ping -n -D -i 0.1 %s > /tmp/noloss.log 2>&1" % router_addr, detach=True)
    time.sleep(2)
    started = time.time()
    rc, run_out, changed = playbook("-i", ADD_SPOKE3, "--diff", "-vvv")
    ended = time.time()
    time.sleep(1)
    labkit.podman(laptop, "pkill", "-INT", "-x", "ping")
    time.sleep(0.5)
    log = labkit.podman(laptop, "cat", "/tmp/noloss.log").stdout
    assert rc == 0, run_out[-3000:]
    assert changed.get("hub", 0) > 0 and changed.get("spoke3", 0) > 0

    replies = labkit.ping_replies(log)
    assert replies, log[-2000:]
    last = max(replies)
    lost = labkit.ping_lost(replies)
    assert replies[min(replies)] < started and replies[last] > ended, "the ping did not span the converge run"
    assert not lost, "lost %d of %d packets while adding a peer: seqs %s" % (len(lost), last, lost[:20])

    # The new member talks to the old ones.
    for dst in ("hub", "laptop", "lanclient", "desktop"):
        ok, loss, _rtt = labkit.ping(container("spoke3"), INV.address(dst), count=3)
        assert ok, "spoke3 -> %s: loss %s" % (dst, loss)

    keys = private_keys(INV.members + ["spoke3"])
    for host, key in keys.items():
        assert len(key) == 44
        assert key not in check_out, "private key of %s in the --check -vvv output" % host
        assert key not in run_out, "private key of %s in the -vvv output" % host

    rc, again_out, changed = playbook("-i", ADD_SPOKE3)
    assert rc == 0, again_out[-3000:]
    assert changed and not any(changed.values()), "second run changed: %s" % changed


def test_restart_restores_tunnel():
    """A rebooted router brings its tunnel, forwarding and routes back by
    itself (wg-quick@wg0 and sysctl.d), with no Ansible run in between."""
    router = container("router")
    # The lab's hook makes /proc/sys/net writable, as on a real machine.
    hooks = os.path.join(ROOT, "lab", "hooks.d")
    subprocess.run(["podman", "--hooks-dir", hooks, "restart", "-t", "5", router], check=True, capture_output=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        state = labkit.podman(router, "systemctl", "is-system-running").stdout.strip()
        if state in ("running", "degraded"):
            break
        time.sleep(1)
    assert labkit.podman(router, "systemctl", "is-active", "wg-quick@wg0").stdout.strip() == "active"
    assert labkit.podman(router, "sysctl", "-n", "net.ipv4.ip_forward").stdout.strip() == "1"
    for src, dst in (("laptop", "lanclient"), ("lanclient", "hub")):
        ok = False
        for _attempt in range(10):
            ok, loss, _rtt = labkit.ping(container(src), INV.address(dst), count=2)
            if ok:
                break
        assert ok, "%s -> %s after router restart: loss %s" % (src, dst, loss)


def test_limit_keeps_every_peer():
    """--limit to one spoke keeps its hub peer (keys of hosts outside the
    limit come from the recorded public keys) and changes nothing."""
    laptop = container("laptop")
    before = labkit.podman(laptop, "wg", "show", "wg0", "allowed-ips", check=True).stdout
    rc, out, changed = playbook("-i", ADD_SPOKE3, "--limit", "laptop")
    assert rc == 0, out[-3000:]
    assert changed == {"laptop": 0}, changed
    assert labkit.podman(laptop, "wg", "show", "wg0", "allowed-ips", check=True).stdout == before


def test_limit_with_unknown_keys_fails_naming_hosts():
    """Without recorded keys, a --limit run cannot know the hub's and the
    router's keys: it fails on the controller and says which hosts to run."""
    keys = os.path.join(SCENARIO, "inventory", "wireguard_public_keys.yml")
    aside = keys + ".aside"
    os.rename(keys, aside)
    try:
        rc, out, _changed = playbook("-i", ADD_SPOKE3, "--limit", "laptop")
    finally:
        os.rename(aside, keys)
    flat = " ".join(out.split())
    assert rc != 0
    m = re.search(r"the public keys of ([\w, ]+) are not known yet", flat)
    assert m, flat[-2000:]
    assert sorted(m.group(1).split(", ")) == ["desktop", "hub", "router", "spoke3"]
    assert "run the play once against those hosts" in flat
