"""Verify of the rotation scenario: day-2 key rotation and host removal,
proven with traffic.

Runs after converge and idempotence, in file order: the hub's key is rotated
while a ping and a TCP connection cross it, the same rotation again changes
nothing, a spoke is rotated, a rotation with --limit or without an id is
refused; then spokea is removed (wireguard_state: absent) and a host deleted
from the inventory is dropped by its peers and from the recorded keys.
Measurements go to .lab/rotation-measurements.json (and rotation-<tag>.log,
the -v output of each rotate.yml run).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(SCENARIO))
sys.path.insert(0, os.path.join(ROOT, "lab"))

import labkit  # noqa: E402

INVENTORY = os.path.join(SCENARIO, "inventory", "hosts.yml")
KEYS_FILE = os.path.join(SCENARIO, "inventory", "wireguard_public_keys.yml")
SITE = os.path.join(ROOT, "playbooks", "site.yml")
ROTATE = os.path.join(ROOT, "playbooks", "rotate.yml")
RECAP = re.compile(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
MAX_GAP = 5.0
# Rotation ids unique to this verify run, so it can run again on the same lab.
RUN = time.strftime("%Y%m%dT%H%M%S")
ECHO_PORT = 7777

INV = labkit.Inventory(INVENTORY)
# Beside the lab's other reports; .lab/ is not tracked.
MEASURED = os.path.join(ROOT, ".lab", "rotation-measurements.json")

ECHO_SERVER = r"""
import socket, threading
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", %d))
srv.listen(5)
def serve(conn):
    with conn:
        while True:
            data = conn.recv(4096)
            if not data:
                return
            conn.sendall(data)
while True:
    conn, _addr = srv.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
""" % ECHO_PORT

# One connection for the whole run: a line every 0.2 s, each echo checked.
ECHO_CLIENT = r"""
import json, os, socket, sys, time
host, port, out, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
sent = echoed = 0
error = None
times = []
sock = socket.create_connection((host, port), timeout=10)
sock.settimeout(300)
reader = sock.makefile("rb")
deadline = time.time() + 900
try:
    while not os.path.exists(stop) and time.time() < deadline:
        line = b"%d\n" % sent
        sock.sendall(line)
        sent += 1
        got = reader.readline()
        if got != line:
            error = "echo %r for %r" % (got, line)
            break
        echoed += 1
        times.append(time.time())
        time.sleep(0.2)
except Exception as exc:
    error = repr(exc)
gaps = [b - a for a, b in zip(times, times[1:])]
with open(out + ".tmp", "w") as f:
    json.dump({"sent": sent, "echoed": echoed, "error": error, "max_gap": max(gaps) if gaps else None,
               "first": times[0] if times else None, "last": times[-1] if times else None}, f)
os.rename(out + ".tmp", out)
"""


def container(host):
    return INV.container(host)


def run_playbook(playbook, *args, inventories=(INVENTORY,)):
    """(rc, output, {host: changed}, seconds)."""
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    cmd = ["ansible-playbook"]
    for inv in inventories:
        cmd += ["-i", inv]
    started = time.time()
    r = subprocess.run(cmd + list(args) + [playbook], capture_output=True, text=True, env=env, cwd=ROOT,
                       check=False)
    out = r.stdout + r.stderr
    changed = dict((m.group(1), int(m.group(2))) for m in RECAP.finditer(out))
    return r.returncode, out, changed, time.time() - started


def record(name, **values):
    os.makedirs(os.path.dirname(MEASURED), exist_ok=True)
    data = {}
    if os.path.exists(MEASURED):
        with open(MEASURED) as f:
            data = json.load(f)
    data[name] = values
    with open(MEASURED, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
    print("%s: %s" % (name, values))


def public_key(host):
    return labkit.podman(container(host), "wg", "show", "wg0", "public-key", check=True).stdout.strip()


def recorded_keys():
    with open(KEYS_FILE) as f:
        return (yaml.safe_load(f) or {}).get("wg0", {})


def put_file(host, path, text):
    subprocess.run(["podman", "exec", "-i", container(host), "sh", "-c", "cat > %s" % path], input=text,
                   text=True, check=True, capture_output=True)


def start(host, command, pidfile):
    """Start a command in the background inside a container, its pid in pidfile."""
    labkit.podman(container(host), "sh", "-c", "%s & echo $! > %s" % (command, pidfile), check=True)


def stop(host, pidfile, signal="INT"):
    labkit.podman(container(host), "sh", "-c", "kill -%s $(cat %s)" % (signal, pidfile))


def ping_gap(log, started, ended):
    """Largest time between two replies from the ping started before the run
    until the first reply after it; plus (replies, sent)."""
    replies = sorted(labkit.ping_replies(log).items())
    assert replies, log[-2000:]
    times = [t for _seq, t in replies]
    assert times[0] < started, "the ping did not start before the run"
    assert times[-1] > ended, "no ping reply after the run: the tunnel did not come back"
    window = [t for t in times if t <= ended] + [next(t for t in times if t > ended)]
    gap, at = max((b - a, a) for a, b in zip(window, window[1:]))
    return gap, len(replies), replies[-1][0], at


def switch_times(out):
    """The agreed switch moment and each host's applied_at, from the -v output."""
    result = {}
    at = re.search(r"__wireguard_switch_at: ([\d.]+)", out)
    for m in re.finditer(r"^(?:ok|changed): \[(\w+)\] => \(item=wg0\) =>\s*\n(.*?)(?=^\S)", out, re.M | re.S):
        applied = re.search(r"^\s+applied_at: ([\d.]+)", m.group(2), re.M)
        if applied and at:
            result[m.group(1)] = round(float(applied.group(1)) - float(at.group(1)), 3)
    if at:
        result["switch_at"] = float(at.group(1))
    return result


class Traffic(object):
    """A ping with 0.1 s interval from spokea to the LAN client behind spokeb
    (through the hub), and a TCP echo connection along the same path."""

    def __init__(self, tag):
        self.tag = tag
        self.src, self.dst = "spokea", "lanclient"
        self.ping_log = "/tmp/ping-%s.log" % tag
        self.tcp_out = "/tmp/tcp-%s.json" % tag
        self.tcp_stop = "/tmp/tcp-%s.stop" % tag

    def __enter__(self):
        labkit.podman(container(self.src), "rm", "-f", self.ping_log, self.tcp_out, self.tcp_stop)
        put_file(self.dst, "/tmp/echo_server.py", ECHO_SERVER)
        put_file(self.src, "/tmp/echo_client.py", ECHO_CLIENT)
        start(self.dst, "python3 /tmp/echo_server.py >/tmp/echo_server.log 2>&1", "/tmp/echo_server.pid")
        time.sleep(1)
        address = INV.address(self.dst)
        start(self.src, "ping -n -D -i 0.1 %s > %s 2>&1" % (address, self.ping_log), "/tmp/ping-%s.pid" % self.tag)
        start(self.src, "python3 /tmp/echo_client.py %s %d %s %s >/tmp/tcp-%s.err 2>&1"
              % (address, ECHO_PORT, self.tcp_out, self.tcp_stop, self.tag), "/tmp/tcp-%s.pid" % self.tag)
        time.sleep(2)
        return self

    def finish(self):
        """Stop both; (ping log, TCP summary)."""
        time.sleep(3)
        stop(self.src, "/tmp/ping-%s.pid" % self.tag)
        labkit.podman(container(self.src), "touch", self.tcp_stop)
        summary = None
        for _attempt in range(600):
            r = labkit.podman(container(self.src), "cat", self.tcp_out)
            if r.returncode == 0 and r.stdout.strip():
                summary = json.loads(r.stdout)
                break
            time.sleep(0.2)
        stop(self.dst, "/tmp/echo_server.pid", "TERM")
        log = labkit.podman(container(self.src), "cat", self.ping_log).stdout
        err = labkit.podman(container(self.src), "cat", "/tmp/tcp-%s.err" % self.tag).stdout
        assert summary is not None, "the TCP client wrote no summary: %s" % err[-2000:]
        return log, summary

    def __exit__(self, *exc):
        stop(self.src, "/tmp/ping-%s.pid" % self.tag)
        labkit.podman(container(self.src), "touch", self.tcp_stop)
        stop(self.dst, "/tmp/echo_server.pid", "TERM")


def rotate_under_traffic(tag, rotation_id, hosts):
    with Traffic(tag) as traffic:
        started = time.time()
        rc, out, changed, seconds = run_playbook(ROTATE, "-v", "-e", "wireguard_rotation_id=%s" % rotation_id,
                                                 "-e", "wireguard_rotate_hosts=%s" % hosts)
        ended = time.time()
        log, tcp = traffic.finish()
    with open(os.path.join(os.path.dirname(MEASURED), "rotation-%s.log" % tag), "w") as f:
        f.write(out)
    assert rc == 0, out[-4000:]
    gap, replies, last_seq, gap_at = ping_gap(log, started, ended)
    switch = switch_times(out)
    record(tag, playbook_seconds=round(seconds, 1), max_ping_gap_seconds=round(gap, 2), ping_replies=replies,
           ping_sent=last_seq, tcp=tcp, changed=changed, switch=switch,
           gap_starts_after_switch_at=round(gap_at - switch["switch_at"], 2) if switch.get("switch_at") else None)
    assert gap <= MAX_GAP, "ping through the hub stopped for %.2f s (max %.1f)" % (gap, MAX_GAP)
    assert tcp["error"] is None, "the TCP connection broke: %s" % tcp["error"]
    assert tcp["echoed"] == tcp["sent"] and tcp["sent"] > 0, tcp
    assert tcp["first"] < started and tcp["last"] > ended, "the TCP connection did not span the run: %s" % tcp
    return out, changed


def assert_all_reach_each_other():
    for src, dst in (("spokea", "hub"), ("spokea", "lanclient"), ("lanclient", "hub"), ("hub", "spokeb")):
        ok, loss, _rtt = labkit.ping(container(src), INV.address(dst), count=3)
        assert ok, "%s -> %s: loss %s" % (src, dst, loss)


# ================================================================ rotation
def test_rotate_hub_under_traffic():
    """The hub (every tunnel passes through it) gets a new key while a ping
    (0.1 s) and a TCP connection cross it: at most one handshake of gap."""
    before = public_key("hub")
    out, changed = rotate_under_traffic("rotate-hub", "hub-" + RUN, "hub")
    after = public_key("hub")
    assert after != before
    assert recorded_keys()["hub"] == after
    # Each spoke has exactly the hub's new key as its peer, the old one is gone.
    for spoke in ("spokea", "spokeb"):
        _own, peers = labkit.wg_dump(container(spoke))
        assert list(peers) == [after], (spoke, peers)
    # Only the hub's key file and facts, and the peer entries changed.
    assert changed["hub"] > 0 and changed["spokea"] > 0 and changed["spokeb"] > 0
    assert labkit.podman(container("hub"), "cat", "/etc/ansible/facts.d/wgnet_wireguard.fact",
                         check=True).stdout.count('"rotation_id": "hub-%s"' % RUN) == 1
    private = labkit.podman(container("hub"), "cat", "/etc/wireguard/wg0.key", check=True).stdout.strip()
    assert private not in out
    assert_all_reach_each_other()


def test_same_rotation_again_changes_nothing():
    before = public_key("hub")
    rc, out, changed, seconds = run_playbook(ROTATE, "-e", "wireguard_rotation_id=hub-" + RUN,
                                             "-e", "wireguard_rotate_hosts=hub")
    record("rotate-hub-again", playbook_seconds=round(seconds, 1), changed=changed)
    assert rc == 0, out[-4000:]
    assert changed and not any(changed.values()), "second run changed: %s" % changed
    assert public_key("hub") == before


def test_rotate_spoke_under_traffic():
    """spokeb routes the LAN the traffic goes to; it has no endpoint, so the
    hub reaches it under its new key at the endpoint the old entry knew."""
    before = dict((h, public_key(h)) for h in ("hub", "spokea", "spokeb"))
    rotate_under_traffic("rotate-spokeb", "spokeb-" + RUN, "spokeb")
    after = dict((h, public_key(h)) for h in ("hub", "spokea", "spokeb"))
    assert after["spokeb"] != before["spokeb"]
    assert after["hub"] == before["hub"] and after["spokea"] == before["spokea"]
    assert recorded_keys()["spokeb"] == after["spokeb"]
    _own, peers = labkit.wg_dump(container("hub"))
    assert sorted(peers) == sorted([after["spokea"], after["spokeb"]])


def test_rotated_gateway_loses_nothing_its_lan_sends():
    """Traffic that starts behind the rotated host: lanclient pings the hub
    through spokeb (every 0.05 s) while spokeb's key is replaced. spokeb holds
    its sending from just before the moment its peers drop its old key until
    its new key's handshake, so no request goes out in a dropped session."""
    log_path = "/tmp/ping-lan-rotate.log"
    start("lanclient", "ping -D -n -i 0.05 %s > %s 2>&1" % (INV.address("hub"), log_path),
          "/tmp/ping-lan-rotate.pid")
    time.sleep(2)
    try:
        started = time.time()
        rc, out, _changed, seconds = run_playbook(ROTATE, "-v", "-e", "wireguard_rotation_id=lan-" + RUN,
                                                  "-e", "wireguard_rotate_hosts=spokeb")
        ended = time.time()
        time.sleep(2)
    finally:
        stop("lanclient", "/tmp/ping-lan-rotate.pid")
    assert rc == 0, out[-4000:]
    time.sleep(0.5)
    log = labkit.podman(container("lanclient"), "cat", log_path).stdout
    gap, replies, last_seq, _at = ping_gap(log, started, ended)
    seqs = labkit.ping_replies(log)
    lost = labkit.ping_lost(seqs, first=min(seqs))
    record("rotate-spokeb-lan-traffic", playbook_seconds=round(seconds, 1), max_ping_gap_seconds=round(gap, 2),
           ping_replies=replies, ping_sent=last_seq, lost=lost)
    assert not lost, "lost %d of %d pings from behind the rotated host: %s" % (len(lost), last_seq, lost[:20])
    assert gap <= MAX_GAP, "ping from the LAN stopped for %.2f s (max %.1f)" % (gap, MAX_GAP)


def test_rotation_refuses_limit_and_needs_an_id():
    before = dict((h, public_key(h)) for h in ("hub", "spokea", "spokeb"))
    rc, out, _changed, _s = run_playbook(ROTATE, "-e", "wireguard_rotation_id=limit-" + RUN, "--limit", "hub")
    flat = " ".join(out.split())
    assert rc != 0 and "a rotation cannot run with --limit (hub)" in flat, flat[-3000:]
    assert "wireguard_rotate_hosts" in flat
    rc, out, _changed, _s = run_playbook(ROTATE)
    flat = " ".join(out.split())
    assert rc != 0 and "rotate.yml needs -e wireguard_rotation_id=<id>" in flat, flat[-3000:]
    assert dict((h, public_key(h)) for h in ("hub", "spokea", "spokeb")) == before


# ================================================================ removal
def write_inventory(directory, name, data):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        yaml.safe_dump(data, f)
    return path


def test_absent_spoke_is_removed_everywhere(tmp_path):
    """spokea marked absent: its interface and boot config go, and the hub
    drops it in the same run; the others still reach each other."""
    key = public_key("spokea")
    absent = write_inventory(str(tmp_path), "absent.yml",
                             {"all": {"children": {"wireguard": {"hosts": {"spokea": {"wireguard_state": "absent"}}}}}})
    rc, out, changed, seconds = run_playbook(SITE, inventories=(INVENTORY, absent))
    record("remove-absent", playbook_seconds=round(seconds, 1), changed=changed)
    assert rc == 0, out[-4000:]
    # spokea is the first play host: the run_once plan ran on the host being
    # removed, and the others still got their (smaller) plan from it.
    assert re.search(r"Plan the networks on the controller\] \**\n(?:ok|changed): \[spokea\]", out), out[-4000:]
    a = container("spokea")
    assert labkit.podman(a, "ip", "link", "show", "wg0").returncode != 0, "spokea still has wg0"
    assert labkit.podman(a, "test", "-e", "/etc/wireguard/wg0.conf").returncode != 0, "boot config left"
    assert labkit.podman(a, "systemctl", "is-enabled", "wg-quick@wg0").stdout.strip() != "enabled"
    _own, peers = labkit.wg_dump(container("hub"))
    assert key not in peers and len(peers) == 1, peers
    assert "spokea" not in recorded_keys()
    for src, dst in (("spokeb", "hub"), ("lanclient", "hub"), ("hub", "lanclient")):
        ok, loss, _rtt = labkit.ping(container(src), INV.address(dst), count=3)
        assert ok, "%s -> %s: loss %s" % (src, dst, loss)
    # Second run: nothing left to remove.
    rc, out, changed, _s = run_playbook(SITE, inventories=(INVENTORY, absent))
    assert rc == 0 and not any(changed.values()), changed


def test_host_deleted_from_inventory_is_dropped_and_pruned(tmp_path):
    """A host deleted from the inventory while its key is recorded and still a
    peer of the hub (as the runs before its deletion left it): the next run
    removes the peer and forgets the key."""
    ghost = labkit.podman(container("spokea"), "cat", "/etc/wireguard/wg0.key", check=True).stdout.strip()
    ghost_public = subprocess.run(["podman", "exec", "-i", container("hub"), "wg", "pubkey"], input=ghost + "\n",
                                  capture_output=True, text=True, check=True).stdout.strip()
    labkit.podman(container("hub"), "wg", "set", "wg0", "peer", ghost_public, "allowed-ips", "10.91.0.11/32",
                  check=True)
    with open(KEYS_FILE) as f:
        stored = yaml.safe_load(f)
    stored["wg0"]["spokea"] = ghost_public
    with open(KEYS_FILE, "w") as f:
        yaml.safe_dump(stored, f)

    with open(INVENTORY) as f:
        inventory = yaml.safe_load(f)
    del inventory["all"]["children"]["wireguard"]["hosts"]["spokea"]
    copy = write_inventory(str(tmp_path), "hosts.yml", inventory)
    rc, out, changed, seconds = run_playbook(SITE, "-e", "wireguard_public_key_file=%s" % KEYS_FILE,
                                             inventories=(copy,))
    record("remove-deleted", playbook_seconds=round(seconds, 1), changed=changed)
    assert rc == 0, out[-4000:]
    assert changed["hub"] > 0
    _own, peers = labkit.wg_dump(container("hub"))
    assert ghost_public not in peers and len(peers) == 1, peers
    assert sorted(recorded_keys()) == ["hub", "spokeb"]
    ok, loss, _rtt = labkit.ping(container("lanclient"), INV.address("hub"), count=3)
    assert ok, "lanclient -> hub: loss %s" % loss
