"""Day-2 playbooks on the converged default scenario: verify.yml and
status.yml (with wg_info).

Runs after test_traffic.py, so spoke3 has joined: both inventories are used.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(SCENARIO))
sys.path.insert(0, os.path.join(ROOT, "lab"))

import labkit  # noqa: E402

INVENTORIES = [os.path.join(SCENARIO, "inventory", "hosts.yml"), os.path.join(HERE, "add-spoke3.yml")]
RECAP = re.compile(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
INV = labkit.Inventory(*INVENTORIES)
MEMBERS = ["desktop", "hub", "laptop", "router", "spoke3"]
LAN_CLIENT = "172.18.13.50"
LAN_GATEWAY = "172.18.13.1"


def run(playbook, *args):
    """(rc, output, {host: changed}) of a playbook of the collection."""
    cmd = ["ansible-playbook"]
    for inventory in INVENTORIES:
        cmd += ["-i", inventory]
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    r = subprocess.run(cmd + list(args) + [os.path.join(ROOT, "playbooks", playbook)],
                       capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    out = r.stdout + r.stderr
    return r.returncode, out, dict((m.group(1), int(m.group(2))) for m in RECAP.finditer(out))


def verify(tmp_path, name):
    path = str(tmp_path / name)
    started = time.time()
    rc, out, changed = run("verify.yml", "-e", "wireguard_verify_report=%s" % path)
    elapsed = time.time() - started
    with open(path) as handle:
        return rc, out, changed, json.load(handle), elapsed


def test_inventory_has_spoke3():
    assert sorted(INV.members) == MEMBERS


def test_verify_all_expected_paths_reachable(tmp_path):
    rc, out, changed, report, elapsed = verify(tmp_path, "verify.json")
    assert rc == 0, out[-4000:]
    assert changed and not any(changed.values()), "verify.yml changed something: %s" % changed
    assert report["ok"] and report["failed"] == []
    expected = [r for r in report["rows"] if r["expected"]]
    # 5 members x 4 tunnel addresses, and the router's LAN (its own address and
    # the listed LAN client) from each of the 4 others.
    assert len(expected) == 5 * 4 + 4 * 2, [(r["from"], r["address"]) for r in expected]
    assert (report["counts"]["expected"], report["counts"]["reachable"]) == (28, 28)
    # Only unmanaged clients (if the scenario has any) are not expected.
    assert all(r["kind"] == "client" for r in report["rows"] if not r["expected"])
    assert all(r["status"] == "reachable" and r["route_device"] == "wg0" for r in expected)
    paths = set((r["from"], r["address"]) for r in expected)
    for src in ("desktop", "hub", "laptop", "spoke3"):
        assert (src, LAN_CLIENT) in paths and (src, LAN_GATEWAY) in paths
    # Spokes reach each other through the hub, whose handshake is recent.
    laptop_router = [r for r in expected if r["from"] == "laptop" and r["to"] == "router" and r["kind"] == "tunnel"]
    assert laptop_router[0]["via"] == "hub" and laptop_router[0]["handshake_age"] is not None
    # The matrix is printed.
    assert re.search(r"28 expected paths: 28 reachable, 0 unreachable; \d+ not expected", out)
    print("verify.yml: %.1fs" % elapsed)


def test_verify_fails_naming_the_paths_of_a_downed_spoke(tmp_path):
    laptop = INV.container("laptop")
    labkit.podman(laptop, "ip", "link", "set", "wg0", "down", check=True)
    try:
        rc, out, changed, report, _elapsed = verify(tmp_path, "verify-down.json")
    finally:
        # Link down dropped wg0's routes: let wg-quick rebuild the interface.
        labkit.podman(laptop, "systemctl", "restart", "wg-quick@wg0", check=True)
    assert rc != 0, out[-4000:]
    assert not any(changed.values()), changed
    assert not report["ok"]
    failed = [r for r in report["rows"] if r["status"] == "unreachable"]
    assert failed and len(report["failed"]) == len(failed)
    # Every path from or to the laptop fails, and nothing else does.
    assert all("laptop" in (r["from"], r["to"]) for r in failed), [(r["from"], r["to"]) for r in failed]
    assert set((r["from"], r["to"]) for r in failed if r["to"] == "laptop") == set(
        (h, "laptop") for h in ("desktop", "hub", "router", "spoke3"))
    assert all(r["from"] == "laptop" for r in failed if r["to"] != "laptop")
    # hub, router, desktop, spoke3, LAN gateway, LAN client
    assert len([r for r in failed if r["from"] == "laptop"]) == 6
    assert "hub -> laptop %s" % INV.address("laptop") in " ".join(report["failed"])
    # The full matrix was printed before the failure.
    assert out.index("expected paths:") < out.index("expected path(s) unreachable")

    # Restored: everything is reachable again.
    for _attempt in range(10):
        ok, _loss, _rtt = labkit.ping(laptop, INV.address("hub"), count=2)
        if ok:
            break
    rc, out, _changed, report, _elapsed = verify(tmp_path, "verify-restored.json")
    assert rc == 0 and report["ok"], out[-4000:]


def test_status_shows_every_peer_with_a_handshake_and_no_private_key():
    keys = dict((h, labkit.podman(INV.container(h), "cat", "/etc/wireguard/wg0.key", check=True).stdout.strip())
                for h in MEMBERS)
    rc, out, changed = run("status.yml", "-vvv")
    assert rc == 0, out[-4000:]
    assert changed and not any(changed.values()), changed
    for host, key in keys.items():
        assert len(key) == 44
        assert key not in out, "private key of %s in the status.yml -vvv output" % host
    # With -vvv the table also shows in wg_status's result: read the printed one.
    printed = out.split("TASK [Print the peers of every host]", 1)[-1]
    rows = re.findall(r"^\s*- '?(\w+)\s+(wg0)\s+(\S+)\s+(\S+)\s+(\S+)\s+", printed, re.M)
    peers = dict((h, sorted(r[2] for r in rows if r[0] == h)) for h in MEMBERS)
    # Names come from the boot config's `# friendly_name` comments.
    assert peers == {"hub": ["desktop", "laptop", "router", "spoke3"], "desktop": ["hub"], "laptop": ["hub"],
                     "router": ["hub"], "spoke3": ["hub"]}, rows
    assert all(r[4] != "never" for r in rows), rows


def test_boot_config_names_every_peer():
    """`# friendly_name = <host>` above each peer's key, as Prometheus
    WireGuard exporters read it."""
    owner = {}
    for host in MEMBERS:
        key, _peers = labkit.wg_dump(INV.container(host))
        owner[key] = host
    for host in MEMBERS:
        config = labkit.podman(INV.container(host), "cat", "/etc/wireguard/wg0.conf", check=True).stdout
        named = re.findall(r"^\[Peer\]\n# friendly_name = (\S+)\nPublicKey = (\S+)$", config, re.M)
        assert named and all(owner[key] == name for name, key in named), (host, named)
        assert len(named) == config.count("[Peer]")


def test_two_members_in_one_house_share_the_nat_address():
    """desktop and spoke3 sit behind one cone NAT: the hub sees both at the
    router's wan address, on different ports."""
    hub = INV.container("hub")
    endpoints = dict(line.split("\t") for line in
                     labkit.podman(hub, "wg", "show", "wg0", "endpoints", check=True).stdout.splitlines())
    seen = []
    for host in ("desktop", "spoke3"):
        key = labkit.podman(INV.container(host), "wg", "show", "wg0", "public-key", check=True).stdout.strip()
        seen.append(endpoints[key].rsplit(":", 1))
    wan = INV.hostvars["homenat"]["lab_wan_address"]
    assert [address for address, _port in seen] == [wan, wan], seen
    assert seen[0][1] != seen[1][1], seen


TEMP_DIRS = ["/home/deploy/.ansible/tmp", "/root/.ansible/tmp", "/tmp", "/var/tmp"]


def grep_secrets(container, secrets, dirs):
    """Files under dirs (in container) that hold any of the secrets."""
    # the patterns come over stdin (never on a command line or in a file)
    script = ('p=$(cat); for d in "$@"; do [ -e "$d" ] || continue; '
              'printf "%s\\n" "$p" | grep -rlF -f /dev/stdin -- "$d"; done; true')
    r = subprocess.run(["podman", "exec", "-i", container, "sh", "-c", script, "sh"] + dirs,
                       input="\n".join(secrets) + "\n", capture_output=True, text=True, check=True)
    return r.stdout.split()


def test_no_secret_left_in_temp_dirs():
    """Last: turn preshared keys on (delivered as files over SSH, a path
    through temp files), then no private key or preshared key is in the temp
    directories of any host: deploy's and root's ~/.ansible/tmp, /tmp, /var/tmp."""
    rc, out, _changed = run("site.yml", "-e", "wireguard_psk_master=molecule-default-not-a-secret")
    assert rc == 0, out[-4000:]
    secrets = {}
    for host in MEMBERS:
        c = INV.container(host)
        secrets["private key of %s" % host] = labkit.podman(c, "cat", "/etc/wireguard/wg0.key", check=True).stdout.strip()
        for line in labkit.podman(c, "wg", "show", "wg0", "preshared-keys", check=True).stdout.splitlines():
            peer, psk = line.split("\t")
            if psk != "(none)":
                secrets["PSK %s-%s" % (host, peer[:8])] = psk
    assert len([k for k in secrets if k.startswith("PSK")]) == 2 * 4, "every hub-spoke pair has a PSK: %s" % list(secrets)
    assert all(len(v) == 44 for v in secrets.values())
    # the search finds the keys where they belong (so it could find them elsewhere)
    assert grep_secrets(INV.container("hub"), list(secrets.values()), ["/etc/wireguard"])
    hosts = INV.members + INV.clients + INV.group("nat_routers")
    assert len(hosts) == 8
    found = {}
    for host in hosts:
        files = grep_secrets(INV.container(host), list(secrets.values()), TEMP_DIRS)
        if files:
            found[host] = files
    assert not found, "secrets left in temp files: %s" % found
