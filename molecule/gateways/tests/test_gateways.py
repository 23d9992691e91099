"""Verify of the gateways scenario: a home LAN client reaches an HTTP service
on the office LAN through three gateways with three firewall backends; the
office service sees the office gateway's address; rule counts do not grow on
a rerun; after the gateways restart everything works with no Ansible run."""

from __future__ import annotations

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

INVENTORY = os.path.join(SCENARIO, "inventory", "hosts.yml")
INV = labkit.Inventory(INVENTORY)
OFFICE_WEB = "http://%s/" % INV.address("officeweb")
OFFICE_GW_LAN = "172.17.50.1"
GATEWAYS = ("hub", "homegw", "officegw")
RULE_COMMANDS = {
    "hub": "firewall-cmd --list-all-policies; firewall-cmd --info-zone=wgnet",
    "homegw": "iptables -S; iptables -t nat -S",
    "officegw": "nft list ruleset",
}


def c(host):
    return INV.container(host)


def fetch_office_page():
    r = labkit.podman(c("homeclient"), "curl", "-sS", "--max-time", "5", OFFICE_WEB)
    return r.returncode, r.stdout + r.stderr


def rule_lines(host):
    out = labkit.podman(c(host), "sh", "-c", RULE_COMMANDS[host], check=True).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


def test_backends_in_use():
    assert "wg0" in labkit.podman(c("hub"), "firewall-cmd", "--list-interfaces", "--zone=wgnet").stdout
    assert "-A FORWARD -j WGNET-FORWARD" in rule_lines("homegw")
    assert "table inet wgnet" in labkit.podman(c("officegw"), "nft", "list", "tables").stdout


def test_home_lan_client_reaches_office_service():
    rc, out = fetch_office_page()
    assert rc == 0 and out.strip() == "office", out


def test_office_service_sees_office_gateway_address():
    """Masquerade on the office gateway: the request comes from its LAN address."""
    fetch_office_page()
    log = labkit.podman(c("officeweb"), "journalctl", "-u", "office-web", "--no-pager", "-o", "cat").stdout
    clients = re.findall(r"^(\S+) - - \[", log, re.M)
    assert clients, log
    assert clients[-1] == OFFICE_GW_LAN, clients


def test_home_router_case_lan_client_reaches_tunnel_addresses():
    for dst in ("10.82.0.1", "10.82.0.3"):
        ok, loss, _rtt = labkit.ping(c("homeclient"), dst, count=2)
        assert ok, "homeclient -> %s: loss %s" % (dst, loss)


def test_rerun_changes_nothing_and_adds_no_rule():
    before = dict((h, rule_lines(h)) for h in GATEWAYS)
    extra = []
    if os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY"):
        # The public keys converge recorded beside molecule's own inventory.
        keys = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "inventory", "wireguard_public_keys.yml")
        extra = ["-e", "wireguard_public_key_file=" + keys]
    r = subprocess.run(["ansible-playbook", "-i", INVENTORY] + extra + [os.path.join(ROOT, "playbooks", "site.yml")],
                       capture_output=True, text=True, cwd=ROOT, check=False)
    assert r.returncode == 0, r.stdout[-3000:]
    changed = dict(re.findall(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)", r.stdout, re.M))
    assert changed and set(changed.values()) == {"0"}, changed
    for host in GATEWAYS:
        after = rule_lines(host)
        assert len(after) == len(before[host]), host
        assert sorted(after) == sorted(before[host]), host


def test_gateways_restart_and_come_back_by_themselves():
    hooks = os.path.join(ROOT, "lab", "hooks.d")
    subprocess.run(["podman", "--hooks-dir", hooks, "restart", "-t", "5"] + [c(h) for h in GATEWAYS],
                   check=True, capture_output=True)
    for host in GATEWAYS:
        deadline = time.time() + 90
        while time.time() < deadline:
            state = labkit.podman(c(host), "systemctl", "is-system-running").stdout.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(1)
        assert labkit.podman(c(host), "sysctl", "-n", "net.ipv4.ip_forward").stdout.strip() == "1", host
    # The LAN client's route to its router survives; the routers re-create
    # tunnels, firewall rules and NAT from their boot configuration.
    assert "-A WGNET-POSTROUTING -s 10.82.0.0/24 -o" in "\n".join(rule_lines("homegw"))
    assert "masquerade" in "\n".join(rule_lines("officegw"))
    assert "wg0" in labkit.podman(c("hub"), "firewall-cmd", "--list-interfaces", "--zone=wgnet").stdout
    rc, out = 1, ""
    for _attempt in range(20):
        rc, out = fetch_office_page()
        if rc == 0:
            break
        time.sleep(1)
    assert rc == 0 and out.strip() == "office", out
