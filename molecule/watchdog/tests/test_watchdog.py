"""The watchdog on real NAT routers, measured (issue 15).

alpha (behind nat1) and beta (behind nat2) have watched `nat` peers to each
other, relayed by the hub, which they reach as hub.wd.test. In order: the
pair goes direct after the converge and its traffic skips the hub; with UDP
between the two routers dropped, pings pass again through the hub with no
Ansible run, and a converge then changes nothing; healed, the pair goes direct
again; the hub moves to a new address and the members follow its name.
Figures are printed and kept in .lab/watchdog-measured.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(SCENARIO))
sys.path.insert(0, os.path.join(ROOT, "lab"))

import labkit  # noqa: E402

INV = labkit.Inventory(os.path.join(SCENARIO, "inventory", "hosts.yml"))
C = dict((h, INV.container(h)) for h in ("hub", "alpha", "beta", "nat1", "nat2"))
TUNNEL = dict((h, INV.hostvars[h]["wd_tunnel_address"]) for h in ("hub", "alpha", "beta"))
WAN = dict((h, INV.hostvars[h]["wd_wan_address"]) for h in ("hub", "nat1", "nat2"))
NEW_HUB = "172.25.0.11"
MEASURED = os.path.join(ROOT, ".lab", "watchdog-measured.json")
HEALED = {}  # each member's status line of its partner right after the heal


def sh(host, script):
    return labkit.podman(C[host], "sh", "-c", script)


def record(key, value):
    data = {}
    if os.path.exists(MEASURED):
        with open(MEASURED) as f:
            data = json.load(f)
    data[key] = value
    with open(MEASURED, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
    print("\nMEASURED %s = %s" % (key, value))


def keys():
    return dict((h, sh(h, "wg show wg0 public-key").stdout.strip()) for h in ("hub", "alpha", "beta"))


def status(host):
    """The watchdog's status file: {peer key: (state, since, reason)}."""
    out = sh(host, "cat /var/run/wgnet/wg0.status 2>/dev/null").stdout
    return dict((f[0], tuple(f[1:])) for f in (line.split() for line in out.splitlines()) if len(f) == 4)


def pair_state(k):
    return status("alpha").get(k["beta"], ("none",))[0], status("beta").get(k["alpha"], ("none",))[0]


def wait_for(predicate, timeout, step=1.0):
    started = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            return None
        time.sleep(step)


def hub_transfer(k):
    """Bytes the hub received from and sent to alpha and beta, summed."""
    total = 0
    for line in sh("hub", "wg show wg0 transfer").stdout.splitlines():
        f = line.split("\t")
        if f[0] in (k["alpha"], k["beta"]):
            total += int(f[1]) + int(f[2])
    return total


def ping_ok(src, dst, count=1):
    return sh(src, "ping -n -q -c %d -i 0.2 -W 1 %s" % (count, TUNNEL[dst])).returncode == 0


def pings_skip_hub(k):
    """(hub bytes while 20 pings each way pass, pings ok)."""
    before = hub_transfer(k)
    ok = ping_ok("alpha", "beta", 20) and ping_ok("beta", "alpha", 20)
    return hub_transfer(k) - before, ok


def allowed_on_hub_peer(host, k):
    out = sh(host, "wg show wg0 allowed-ips").stdout
    return dict((f[0], f[1].split()) for f in (line.split("\t") for line in out.splitlines()) if len(f) == 2)


def test_1_pair_goes_direct_within_30s_and_skips_the_hub():
    k = keys()
    with open(os.path.join(ROOT, ".lab", "watchdog-converged-at")) as f:
        converged_at = int(f.read().strip())
    waited = wait_for(lambda: pair_state(k) == ("direct", "direct"), 60)
    assert waited is not None, (status("alpha"), status("beta"))
    # Both watchdogs' own record of when they promoted the partner.
    promoted = max(int(status("alpha")[k["beta"]][1]), int(status("beta")[k["alpha"]][1]))
    since = promoted - converged_at
    record("promoted_after_converge_s", since)
    assert since <= 30 + 5, "direct only %.0f s after the converge" % since
    # The pair's prefixes are on the pair's own peers now.
    assert allowed_on_hub_peer("alpha", k)[k["beta"]] == [TUNNEL["beta"] + "/32"]
    grew, ok = pings_skip_hub(k)
    record("hub_bytes_during_80_direct_pings", grew)
    assert ok
    # 80 pings of 84 bytes would move over 9000 bytes through the hub;
    # only keepalives and handshakes (32-148 bytes) may pass.
    assert grew < 1500


def break_path():
    for router, other in (("nat1", "nat2"), ("nat2", "nat1")):
        r = sh(router, "nft -f - <<'EOF'\ntable ip wd_break {\n chain forward {\n"
                       "  type filter hook forward priority -10; policy accept;\n"
                       "  meta l4proto udp ip saddr %s drop\n  meta l4proto udp ip daddr %s drop\n }\n}\nEOF"
               % (WAN[other], WAN[other]))
        assert r.returncode == 0, r.stderr


def heal_path():
    for router in ("nat1", "nat2"):
        sh(router, "nft delete table ip wd_break")


def test_2_broken_path_falls_back_to_the_hub_within_60s():
    k = keys()
    break_path()
    started = time.monotonic()
    before = hub_transfer(k)
    # Pings every second until one passes both ways, through the hub.
    waited = wait_for(lambda: ping_ok("alpha", "beta") and ping_ok("beta", "alpha"), 120, step=0.5)
    assert waited is not None, (status("alpha"), status("beta"))
    record("fallback_pings_pass_after_s", round(time.monotonic() - started, 1))
    assert hub_transfer(k) - before > 300
    assert pair_state(k) == ("relay", "relay")
    assert time.monotonic() - started <= 60
    grew = hub_transfer(k)
    assert ping_ok("alpha", "beta", 10)
    assert hub_transfer(k) - grew > 10 * 84


def test_3_a_converge_during_fallback_changes_nothing():
    env = dict(os.environ, ANSIBLE_CALLBACK_RESULT_FORMAT="yaml")
    r = subprocess.run(["ansible-playbook", "-i", os.path.join(SCENARIO, "inventory", "hosts.yml"),
                        os.path.join(SCENARIO, "converge.yml")], capture_output=True, text=True, env=env,
                       cwd=ROOT, check=False)
    assert r.returncode == 0, r.stdout[-3000:]
    recap = r.stdout[r.stdout.index("PLAY RECAP"):]
    print(recap)
    assert "changed=1" not in recap and all("changed=0" in line for line in recap.splitlines()[1:] if line)
    k = keys()
    assert pair_state(k) == ("relay", "relay")
    assert TUNNEL["beta"] + "/32" in allowed_on_hub_peer("alpha", k)[k["hub"]]


def test_4_healed_path_goes_direct_again_within_3min():
    k = keys()
    heal_path()
    waited = wait_for(lambda: pair_state(k) == ("direct", "direct"), 240)
    assert waited is not None, (status("alpha"), status("beta"))
    record("direct_again_after_heal_s", round(waited, 1))
    HEALED.update(alpha=status("alpha")[k["beta"]], beta=status("beta")[k["alpha"]])
    assert waited <= 180
    grew, ok = pings_skip_hub(k)
    assert ok and grew < 1500


def hub_handshakes(host, k):
    out = sh(host, "wg show wg0 latest-handshakes").stdout
    return dict((f[0], int(f[1])) for f in (line.split("\t") for line in out.splitlines()) if len(f) == 2)[k["hub"]]


def test_5_members_follow_the_hub_to_a_new_address_within_3min():
    k = keys()
    subprocess.run(["podman", "network", "disconnect", "wgnet-wd-wan", C["hub"]], check=True)
    subprocess.run(["podman", "network", "connect", "--ip", NEW_HUB, "wgnet-wd-wan", C["hub"]], check=True)
    moved = time.time()
    sh("hub", "ip route replace default via 172.25.0.254")
    for host in ("alpha", "beta"):
        r = sh(host, "grep -v ' hub.wd.test$' /etc/hosts > /tmp/hosts.wd; echo '%s hub.wd.test' >> /tmp/hosts.wd;"
                     " cat /tmp/hosts.wd > /etc/hosts" % NEW_HUB)
        assert r.returncode == 0, r.stderr
    started = time.monotonic()

    def followed():
        return all(hub_handshakes(h, k) > moved for h in ("alpha", "beta"))

    waited = wait_for(followed, 240, step=2)
    assert waited is not None, sh("alpha", "wg show wg0 endpoints").stdout
    record("hub_followed_after_move_s", round(time.monotonic() - started, 1))
    for host in ("alpha", "beta"):
        assert sh(host, "wg show wg0 endpoints").stdout.count(NEW_HUB + ":51820") == 1
        assert ping_ok(host, "hub", 3)
    assert waited <= 180
    log = sh("alpha", "journalctl -t wgnet-watchdog --no-pager -q | tail -n 20").stdout
    print(log)
    assert "re-resolved" in log
    # The idle pair stayed direct on both sides all along since the heal.
    assert HEALED == {"alpha": status("alpha")[k["beta"]], "beta": status("beta")[k["alpha"]]}
