"""Verify of the clients scenario: the phone's config, written on the
controller by playbooks/clients.yml, brings up a tunnel from a container that
Ansible does not manage, and traffic flows through the hub; then the same
with preshared keys. Secrets are compared in memory and never printed."""

from __future__ import annotations

import hashlib
import os
import re
import stat
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(SCENARIO))
sys.path.insert(0, os.path.join(ROOT, "lab"))
sys.path.insert(0, os.path.join(ROOT, "build", "collections"))

import labkit  # noqa: E402
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_crypto
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils import wg_quick  # noqa: E402

INVENTORY = os.path.join(SCENARIO, "inventory", "hosts.yml")
CLIENTS = os.path.join(ROOT, "playbooks", "clients.yml")
DIR = os.path.join(SCENARIO, "inventory", "wireguard-clients")
PHONE = "wgnet-cli-phone"
RECAP = re.compile(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
MASTER = "clients-scenario-master-secret-0123456789"


def clients_playbook(*args):
    """Run clients.yml; returns (rc, output, {host: changed})."""
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", MOLECULE_SCENARIO_DIRECTORY=SCENARIO)
    r = subprocess.run(["ansible-playbook", "-i", INVENTORY] + list(args) + [CLIENTS],
                       capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    out = r.stdout + r.stderr
    return r.returncode, out, dict((m.group(1), int(m.group(2))) for m in RECAP.finditer(out))


def read(name):
    with open(os.path.join(DIR, "wg0", name)) as handle:
        return handle.read()


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def secrets():
    """Every private key and preshared key in play: the phone's, the hosts'."""
    found = [read("phone.key").strip()]
    for container in ("wgnet-cli-hub", "wgnet-cli-spoke"):
        found.append(labkit.podman(container, "cat", "/etc/wireguard/wg0.key", check=True).stdout.strip())
        r = labkit.podman(container, "wg", "show", "wg0", "preshared-keys", check=True)
        found += [line.split("\t")[1] for line in r.stdout.splitlines() if line.split("\t")[1] != "(none)"]
    return found


def phone_up():
    """Install the phone's config as a user would and (re)start wg-quick@wg0.

    The unit runs wireguard-go as on the managed hosts (no kernel module in
    the lab); wg-quick started straight from `podman exec` races wireguard-go
    at its first start. DNS is left out: the container has no resolvconf."""
    text = "".join(line for line in read("phone.conf").splitlines(True) if not line.startswith("DNS"))
    setup = ("mkdir -p -m 0700 /etc/wireguard && mkdir -p /etc/systemd/system/wg-quick@wg0.service.d && "
             "printf '[Service]\\nEnvironment=WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go\\n"
             "Environment=WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1\\n' "
             "> /etc/systemd/system/wg-quick@wg0.service.d/userspace.conf && systemctl daemon-reload")
    labkit.podman(PHONE, "sh", "-c", setup, check=True)
    local = os.path.join(SCENARIO, ".phone.conf")
    with open(local, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)
    try:
        subprocess.run(["podman", "cp", local, PHONE + ":/etc/wireguard/wg0.conf"], check=True, capture_output=True)
    finally:
        os.unlink(local)
    # A new config, as when the user scans a new QR code: the tunnel restarts.
    labkit.podman(PHONE, "sh", "-c", "systemctl stop wg-quick@wg0; ip link del wg0 2>/dev/null; true")
    r = labkit.podman(PHONE, "systemctl", "start", "wg-quick@wg0")
    journal = labkit.podman(PHONE, "journalctl", "-u", "wg-quick@wg0", "-n", "20", "--no-pager").stdout
    assert r.returncode == 0, journal


def ping_through(address):
    deadline = time.monotonic() + 20
    while True:
        ok, loss, _rtt = labkit.ping(PHONE, address, count=3)
        if ok or time.monotonic() > deadline:
            return ok, loss
        time.sleep(1)


def psk_of(container, peer_key):
    """The live PSK the host holds for a peer (read on the host, kept in memory)."""
    r = labkit.podman(container, "wg", "show", "wg0", "preshared-keys", check=True)
    return dict(line.split("\t") for line in r.stdout.splitlines()).get(peer_key)


# ---------------------------------------------------------------- files
def test_files_and_modes():
    assert mode(DIR) == 0o700 and mode(os.path.join(DIR, "wg0")) == 0o700
    for name in ("phone.key", "phone.conf", "phone.png", "tablet.conf", "tablet.png", "public_keys.yml"):
        path = os.path.join(DIR, "wg0", name) if name != "public_keys.yml" else os.path.join(DIR, name)
        assert mode(path) == 0o600, name
    assert not os.path.exists(os.path.join(DIR, "wg0", "tablet.key"))


def test_phone_config():
    conf = wg_quick.parse_config(read("phone.conf"))
    private = read("phone.key").strip()
    assert conf["interface"]["privatekey"] == private
    assert conf["interface"]["address"] == ["10.80.0.50/32"]
    assert conf["interface"]["dns"] == ["10.80.0.1"]
    hub_key = labkit.wg_dump("wgnet-cli-hub")[0]
    assert conf["peers"] == [{"name": "hub", "publickey": hub_key, "allowedips": ["10.80.0.0/24"],
                              "endpoint": "172.31.29.10:51820", "persistentkeepalive": "25"}]


def test_tablet_keeps_its_private_key():
    text = read("tablet.conf")
    assert "# PrivateKey = <paste the client's private key here>" in text
    assert "privatekey" not in wg_quick.parse_config(text)["interface"]


def test_hub_has_both_clients_as_peers():
    _own, peers = labkit.wg_dump("wgnet-cli-hub")
    assert _wg_crypto.public_key(read("phone.key").strip()) in peers
    assert "4A2b4CZxp0wnXPhyAVsLB+vqkUDHZrHFPrT1Yj8Emjc=" in peers
    _own, spoke_peers = labkit.wg_dump("wgnet-cli-spoke")
    assert list(spoke_peers) == [labkit.wg_dump("wgnet-cli-hub")[0]]


def test_qr_codes_decode_to_the_configs():
    for name in ("phone", "tablet"):
        r = subprocess.run(["zbarimg", "--quiet", "--raw", os.path.join(DIR, "wg0", name + ".png")],
                           capture_output=True, text=True, check=False)
        assert r.returncode == 0, r.stderr
        same = r.stdout.rstrip("\n") == read(name + ".conf").rstrip("\n")
        assert same, "%s.png does not decode to %s.conf" % (name, name)


# ---------------------------------------------------------------- traffic
def test_phone_reaches_the_hub_and_a_spoke_through_it():
    phone_up()
    for address in ("10.80.0.1", "10.80.0.11"):
        ok, loss = ping_through(address)
        assert ok, "phone -> %s: %s loss" % (address, loss)
    ok, loss, _rtt = labkit.ping("wgnet-cli-spoke", "10.80.0.50")
    assert ok, "spoke -> phone: %s loss" % loss


def test_second_run_unchanged_and_no_secret_in_verbose_output():
    rc, out, changed = clients_playbook("-vvv")
    assert rc == 0, out[-3000:]
    assert changed and set(changed.values()) == {0}, changed
    leaked = [hashlib.sha256(s.encode()).hexdigest()[:12] for s in secrets() if s in out]
    assert not leaked, "secrets (sha256 prefixes) in -vvv output: %s" % leaked


def test_check_mode_changes_nothing():
    before = dict((n, os.stat(os.path.join(DIR, "wg0", n)).st_mtime_ns) for n in os.listdir(os.path.join(DIR, "wg0")))
    rc, out, changed = clients_playbook("--check", "--diff")
    assert rc == 0, out[-3000:]
    assert changed and set(changed.values()) == {0}, changed
    after = dict((n, os.stat(os.path.join(DIR, "wg0", n)).st_mtime_ns) for n in os.listdir(os.path.join(DIR, "wg0")))
    assert before == after


# ---------------------------------------------------------------- preshared keys
def test_preshared_keys_on_both_ends_and_traffic_flows():
    rc, out, _changed = clients_playbook("-e", "wireguard_psk_master=" + MASTER)
    assert rc == 0, out[-3000:]
    phone_public = _wg_crypto.public_key(read("phone.key").strip())
    hub_key = labkit.wg_dump("wgnet-cli-hub")[0]
    spoke_key = labkit.wg_dump("wgnet-cli-spoke")[0]
    conf = wg_quick.parse_config(read("phone.conf"))
    in_config = conf["peers"][0].get("presharedkey")
    on_hub = psk_of("wgnet-cli-hub", phone_public)
    assert on_hub not in (None, "(none)"), "the hub has no PSK for the phone"
    same = in_config == on_hub
    assert same, "the phone's config and the hub hold different PSKs"
    hub_spoke, spoke_hub = psk_of("wgnet-cli-hub", spoke_key), psk_of("wgnet-cli-spoke", hub_key)
    assert hub_spoke not in (None, "(none)")
    same = hub_spoke == spoke_hub
    assert same, "hub and spoke hold different PSKs"
    mode_line = labkit.podman("wgnet-cli-hub", "sh", "-c",
                              "stat -c '%a' /etc/wireguard/psk /etc/wireguard/psk/wg0 /etc/wireguard/psk/wg0/*.psk")
    assert mode_line.stdout.split() == ["700", "700", "600", "600", "600"], mode_line.stdout
    # The spoke kept its tunnel through the change (live `wg set`, no restart).
    ok, loss, _rtt = labkit.ping("wgnet-cli-spoke", "10.80.0.1")
    assert ok, "spoke -> hub with PSK: %s loss" % loss
    phone_up()
    for address in ("10.80.0.1", "10.80.0.11"):
        ok, loss = ping_through(address)
        assert ok, "phone -> %s with PSK: %s loss" % (address, loss)


def test_preshared_keys_second_run_unchanged_and_never_logged():
    rc, out, changed = clients_playbook("-vvv", "--diff", "-e", "wireguard_psk_master=" + MASTER)
    assert rc == 0, out[-3000:]
    assert changed and set(changed.values()) == {0}, changed
    leaked = [hashlib.sha256(s.encode()).hexdigest()[:12] for s in secrets() + [MASTER] if s in out]
    assert not leaked, "secrets (sha256 prefixes) in -vvv --diff output: %s" % leaked


def test_preshared_keys_off_again_removes_the_files():
    rc, out, _changed = clients_playbook()
    assert rc == 0, out[-3000:]
    phone_public = _wg_crypto.public_key(read("phone.key").strip())
    assert psk_of("wgnet-cli-hub", phone_public) == "(none)"
    assert "PresharedKey" not in read("phone.conf")
    for container in ("wgnet-cli-hub", "wgnet-cli-spoke"):
        left = labkit.podman(container, "find", "/etc/wireguard/psk", "-name", "*.psk").stdout.split()
        assert left == [], (container, left)
    phone_up()
    ok, loss = ping_through("10.80.0.11")
    assert ok, "phone -> spoke without PSK: %s loss" % loss
