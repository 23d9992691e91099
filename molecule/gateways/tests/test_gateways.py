"""Verify of the gateways scenario: LAN clients reach an HTTP service on the
office LAN through four gateways with four firewall backends (firewalld,
iptables, nftables, ufw with routed traffic denied); the office service sees
the office gateway's address; the first run in check mode (made by prepare)
changed nothing and showed the rules; a no-op rerun makes one remote round
trip per gateway for the gateway role and adds no rule; chains flushed by hand
are restored by `--tags gateway_configure`, which reports the change; after
the gateways restart everything works with no Ansible run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time

import gwkit
import pytest
from gwkit import GATEWAYS
from gwkit import INV
from gwkit import labkit

OFFICE_WEB = "http://%s/" % INV.address("officeweb")
OFFICE_GW_LAN = "172.17.50.1"
SHOP_GW_LAN = "172.29.26.1"
RULE_COMMANDS = {
    "hub": "firewall-cmd --list-all-policies; firewall-cmd --info-zone=wgnet",
    "homegw": "iptables -S; iptables -t nat -S",
    "officegw": "nft list ruleset",
    "shopgw": "ufw show added; iptables -t nat -S",
}
LANS = {"homegw": "172.18.33.0/24", "officegw": "172.17.50.0/24", "shopgw": "172.29.26.0/24"}
# Drift made by hand on each backend. `|| true`: the drift may be there
# already (the test before did not repair it). {lan}: the LAN interface.
DRIFT = {
    "hub": "firewall-cmd --zone=wgnet --remove-interface=wg0 || true",
    "homegw": "iptables -F WGNET-FORWARD",
    "officegw": "nft flush chain inet wgnet forward",
    "shopgw": "ufw route delete allow in on wg0 out on {lan} || true",
}


def c(host):
    return INV.container(host)


def fetch_office_page(client="homeclient"):
    r = labkit.podman(c(client), "curl", "-sS", "--max-time", "5", OFFICE_WEB)
    return r.returncode, r.stdout + r.stderr


def fetch_until_ok(client="homeclient", attempts=30):
    rc, out = 1, ""
    for _attempt in range(attempts):
        rc, out = fetch_office_page(client)
        if rc == 0:
            break
        time.sleep(1)
    return rc, out


def lan_if(host):
    """The gateway's LAN interface: podman does not always name it eth1."""
    out = labkit.podman(c(host), "ip", "-o", "-4", "address", "show", "to", LANS[host], check=True).stdout
    return out.split()[1]


def rule_lines(host):
    out = labkit.podman(c(host), "sh", "-c", RULE_COMMANDS[host], check=True).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]


def test_first_run_in_check_mode_changed_nothing_and_showed_the_rules():
    with open(gwkit.ephemeral(gwkit.FIRST_CHECK)) as handle:
        first = json.load(handle)
    assert first["rc"] == 0, (first["stdout"] + first["stderr"])[-3000:]
    for host in GATEWAYS:
        assert first["after"][host] == first["before"][host], host
    results = gwkit.gateway_results(first["records"])
    assert sorted(results) == sorted(GATEWAYS), first["stdout"][-3000:]
    for host, backend in GATEWAYS.items():
        record = results[host]
        assert record["status"] == "ok" and record["changed"], record
        assert record["result"]["backend"] == backend, record
        added = "\n".join(record["result"]["rules_added"])
        assert "wg0" in added, (host, added)
    # The diff shows the rules, as the first real run will add them.
    out = first["stdout"]
    assert '+iifname "wg0" oifname "%s" accept' % lan_if("officegw") in out
    assert "+-A WGNET-FORWARD -i wg0 -o %s -j ACCEPT" % lan_if("homegw") in out
    assert "+ufw route allow in on wg0 out on %s comment 'wgnet.wireguard'" % lan_if("shopgw") in out
    assert "+interfaces: wg0" in out


def test_backends_in_use():
    assert "wg0" in labkit.podman(c("hub"), "firewall-cmd", "--list-interfaces", "--zone=wgnet").stdout
    assert "-A FORWARD -j WGNET-FORWARD" in rule_lines("homegw")
    assert "table inet wgnet" in labkit.podman(c("officegw"), "nft", "list", "tables").stdout
    status = labkit.podman(c("shopgw"), "ufw", "status", "verbose").stdout
    assert "Status: active" in status and "deny (routed)" in status, status
    assert "ufw route allow in on %s out on wg0 comment 'wgnet.wireguard'" % lan_if("shopgw") in rule_lines("shopgw")


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


def test_ufw_gateway_forwards_both_ways_and_masquerades():
    """ufw denies routed traffic by default here: only our ufw rules let the
    shop LAN out and the tunnel in, and WGNET-POSTROUTING masquerades."""
    rc, out = fetch_until_ok("shopclient")
    assert rc == 0 and out.strip() == "office", out
    labkit.podman(c("shopgw"), "conntrack", "-D", "-p", "icmp")
    ok, loss, _rtt = labkit.ping(c("homeclient"), INV.address("shopclient"), count=2)
    assert ok, "homeclient -> shopclient: loss %s" % loss
    flows = labkit.podman(c("shopgw"), "conntrack", "-L", "-p", "icmp").stdout
    mine = [line for line in flows.splitlines() if "dst=%s" % INV.address("shopclient") in line]
    assert mine and all("dst=%s" % SHOP_GW_LAN in line for line in mine), flows


@pytest.fixture(scope="module")
def converged():
    """Each gateway's rules as converge and idempotence left them, taken
    before any test below changes them by hand."""
    return dict((h, rule_lines(h)) for h in GATEWAYS)


def test_noop_rerun_changes_nothing_adds_no_rule_and_makes_one_round_trip_per_gateway(converged):
    before = converged
    r, records = gwkit.run_site()
    assert r.returncode == 0, r.stdout[-3000:]
    changed = dict(re.findall(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)", r.stdout, re.M))
    assert changed and set(changed.values()) == {"0"}, changed
    for host in GATEWAYS:
        after = rule_lines(host)
        assert sorted(after) == sorted(before[host]), host
        remote = [x["task"] for x in records if x["host"] == host and x["role"] == "gateway" and x["remote"]]
        assert remote == ["Forward, masquerade and open the firewall for the tunnel"], (host, remote)


def drift_all(converged):
    for host, command in DRIFT.items():
        labkit.podman(c(host), "sh", "-c", command.format(lan=lan_if(host) if host in LANS else ""), check=True)
        assert rule_lines(host) != converged[host], host


def assert_repaired(converged, r, records):
    assert r.returncode == 0, r.stdout[-3000:]
    results = gwkit.gateway_results(records)
    for host in GATEWAYS:
        assert host in results and results[host]["changed"], (host, r.stdout[-3000:])
        assert results[host]["result"]["rules_added"], results[host]
        assert sorted(rule_lines(host)) == sorted(converged[host]), host
    rc, out = fetch_until_ok("homeclient")
    assert rc == 0 and out.strip() == "office", out


def test_gateway_tag_runs_the_gateway_task(converged):
    # The next test repairs whatever this one leaves (a full run, tolerant drift commands).
    drift_all(converged)
    r, records = gwkit.run_site("--tags", "gateway_configure")
    assert_repaired(converged, r, records)


def test_hand_flushed_rules_are_restored_and_reported_changed(converged):
    drift_all(converged)
    r, records = gwkit.run_site()
    assert_repaired(converged, r, records)


def test_gateways_restart_and_come_back_by_themselves():
    hooks = os.path.join(gwkit.ROOT, "lab", "hooks.d")
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
    assert "-A WGNET-POSTROUTING -s 10.82.0.0/24 -o %s -j MASQUERADE" % lan_if("shopgw") in rule_lines("shopgw")
    assert "wg0" in labkit.podman(c("hub"), "firewall-cmd", "--list-interfaces", "--zone=wgnet").stdout
    rc, out = fetch_until_ok("homeclient")
    assert rc == 0 and out.strip() == "office", out
    rc, out = fetch_until_ok("shopclient")
    assert rc == 0 and out.strip() == "office", out
