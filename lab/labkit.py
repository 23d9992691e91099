"""Helpers shared by the lab report and the molecule tests: read the lab
inventory, run commands in the lab containers, ping and parse the result."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_LOSS = re.compile(r"(\d+) packets transmitted, (\d+) received")
# A reply line of `ping -D`: [unix time] ... icmp_seq=N ttl=...
_PING_REPLY = re.compile(r"^\[(\d+\.\d+)\].*icmp_seq=(\d+) ttl", re.M)


class Inventory(object):
    """Hosts of a lab inventory: WireGuard members and LAN clients."""

    def __init__(self, *paths):
        cmd = ["ansible-inventory", "--list"]
        for p in paths:
            cmd += ["-i", p]
        data = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        self.hostvars = data["_meta"]["hostvars"]
        self._groups = data
        self.members = self.group("wireguard")
        self.clients = self.group("lan_clients")

    def group(self, name):
        entry = self._groups.get(name, {})
        hosts = list(entry.get("hosts", []))
        for child in entry.get("children", []):
            hosts += [h for h in self.group(child) if h not in hosts]
        return hosts

    def container(self, host):
        """The podman container of a host: `lab_container`, else (inventories
        reached with podman exec) `ansible_host`."""
        hv = self.hostvars[host]
        return hv.get("lab_container") or hv.get("ansible_host", host)

    def address(self, host):
        """Tunnel address of a member, LAN address of a client."""
        hv = self.hostvars[host]
        if "wireguard_address" in hv:
            a = hv["wireguard_address"]
            return (a[0] if isinstance(a, list) else a).split("/", 1)[0]
        return hv["lab_address"]


def podman(container, *argv, check=False, detach=False):
    cmd = ["podman", "exec"] + (["-d"] if detach else []) + [container] + list(argv)
    return subprocess.run(cmd, capture_output=True, text=True, check=check)


def ping(container, address, count=3, interval="0.2"):
    """(ok, loss text, average rtt text) of a bounded ping from a container."""
    r = podman(container, "ping", "-n", "-q", "-c", str(count), "-i", interval, "-W", "2", address)
    loss, rtt = "100%", "-"
    for line in r.stdout.splitlines():
        m = _LOSS.search(line)
        if m:
            sent, received = int(m.group(1)), int(m.group(2))
            loss = "%d%%" % round(100 * (sent - received) / sent) if sent else "100%"
        if line.startswith("rtt") or line.startswith("round-trip"):
            rtt = line.split("=")[1].split("/")[1] + " ms"
    return r.returncode == 0, loss, rtt


def wait_ping(container, address, timeout=30):
    """(ok, seconds until the first reply) of pings retried for up to timeout
    seconds: after a peer is removed and added again, the side that kept its
    stale session only starts a new handshake once that session times out
    (up to about 15 s in WireGuard), and the other side may not know its
    endpoint."""
    started = time.monotonic()
    while True:
        ok, _loss, _rtt = ping(container, address, count=3)
        waited = time.monotonic() - started
        if ok or waited > timeout:
            return ok, waited


def wg_dump(container, interface="wg0"):
    """(own public key, {peer public key: latest handshake epoch})."""
    lines = podman(container, "wg", "show", interface, "dump").stdout.splitlines()
    if not lines:
        return None, {}
    peers = dict((line.split("\t")[0], int(line.split("\t")[4])) for line in lines[1:])
    return lines[0].split("\t")[1], peers


def ping_replies(log):
    """{icmp_seq: unix time of its reply} from the output of `ping -D`."""
    return dict((int(m.group(2)), float(m.group(1))) for m in _PING_REPLY.finditer(log))


def ping_lost(replies, first=1):
    """The sequence numbers from first to the last reply that got no reply."""
    return sorted(set(range(first, max(replies) + 1)) - set(replies)) if replies else []
