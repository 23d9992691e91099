# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The watchdog script (_wg_direct.SCRIPT) run by dash and by BusyBox sh
against a fake `wg` (fake_wg.py) with scripted samples over time."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import threading
import time

import pytest

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_direct
from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_peers

PRIVATE = "dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo="
HUB = "ERERERERERERERERERERERERERERERERERERERERERE="
MEDIA = "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI="
NAS = "MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM="
HUB_IPS = ["10.77.0.0/24"]
MEDIA_IPS = ["10.77.0.22/32", "172.18.9.0/24"]
NAS_IPS = ["10.77.0.23/32"]
T0 = 1800000000


def shells():
    found = []
    if shutil.which("dash"):
        found.append(["dash"])
    if shutil.which("busybox"):
        found.append(["busybox", "sh"])
    return found


@pytest.fixture(params=shells(), ids="-".join)
def host(request, tmp_path):
    return Host(tmp_path, request.param)


class Host(object):
    """A member with a hub (relay, endpoint by DNS name) and two watched
    peers: media (nat, keepalive 25) and nas (site, keepalive 0)."""

    def __init__(self, tmp, shell):
        self.tmp = tmp
        self.shell = shell
        self.etc = tmp / "etc"
        self.run_dir = tmp / "run" / "wgnet"
        self.fake = tmp / "fake"
        for d in (self.etc, self.fake, tmp / "bin"):
            d.mkdir(parents=True)
        wrapper = tmp / "bin" / "wg"
        wrapper.write_text('#!/bin/sh\nexec "%s" "%s" "$@"\n' % (sys.executable, os.path.join(
            os.path.dirname(__file__), "fake_wg.py")))
        wrapper.chmod(0o755)
        logger = tmp / "bin" / "logger"
        logger.write_text('#!/bin/sh\nshift 2\necho "$*" >> "%s"\n' % (self.fake / "log"))
        logger.chmod(0o755)
        ping = tmp / "bin" / "ping"
        ping.write_text('#!/bin/sh\necho "$*" >> "%s"\n' % (self.fake / "pings"))
        ping.chmod(0o755)
        self.script = tmp / "wgnet-watchdog"
        self.script.write_text(_wg_direct.SCRIPT)
        self.script.chmod(0o755)
        (self.fake / "hosts.json").write_text(json.dumps({"hub.example.net": "198.51.100.1"}))
        self.planned = [_wg_peers.normalize_peer(p) for p in [
            {"public_key": HUB, "name": "hub", "allowed_ips": HUB_IPS, "endpoint": "hub.example.net:51820",
             "persistent_keepalive": 25},
            {"public_key": MEDIA, "name": "media", "allowed_ips": MEDIA_IPS, "endpoint": "192.0.2.7:40001",
             "persistent_keepalive": 25, "path": "nat", "relay_public_key": HUB},
            {"public_key": NAS, "name": "nas", "allowed_ips": NAS_IPS, "endpoint": "172.18.5.23:51820",
             "path": "site", "relay_public_key": HUB},
        ]]
        (self.etc / "wg0.watchdog").write_text(_wg_direct.watchdog_config("wg0", self.planned))
        # As wg_interface leaves a new interface: every watched peer on the relay.
        peers = {}
        for p in _wg_direct.transform(self.planned, set()):
            peers[p["public_key"]] = {"endpoint": p["endpoint"].replace("hub.example.net", "198.51.100.1"),
                                      "allowed_ips": p["allowed_ips"], "keepalive": p["persistent_keepalive"],
                                      "hs": 0, "rx": 0, "tx": 0}
        self.write_state({"private": PRIVATE, "peers": peers})

    def state(self):
        return json.loads((self.fake / "state.json").read_text())

    def write_state(self, state):
        (self.fake / "state.json").write_text(json.dumps(state))

    def sample(self, key, **values):
        """Counters of one peer: hs (absolute), rx/tx (added to)."""
        state = self.state()
        peer = state["peers"][key]
        if "hs" in values:
            peer["hs"] = values.pop("hs")
        for k, v in values.items():
            peer[k] += v
        self.write_state(state)

    def run(self, now, wait=None, resolve=False, args=()):
        """Run the script once at `now`; the `wg set` calls it made (without
        the hub's re-resolution unless resolve is set)."""
        env = dict(os.environ, PATH="%s:%s" % (self.tmp / "bin", os.environ["PATH"]), FAKE_WG=str(self.fake),
                   WGNET_ETC=str(self.etc), WGNET_RUN=str(self.run_dir), WGNET_NOW=str(now))
        if wait is not None:
            env["WGNET_LOCK_WAIT"] = str(wait)
        before = self.sets()
        out = subprocess.run(self.shell + [str(self.script), "wg0"] + list(args), env=env, capture_output=True, text=True,
                             timeout=60, check=False)
        assert out.returncode == 0, out.stderr
        assert out.stdout == "" and out.stderr == "", (out.stdout, out.stderr)
        return [s for s in self.sets()[len(before):] if resolve or " endpoint " not in s]

    def sets(self):
        path = self.fake / "sets"
        return path.read_text().splitlines() if path.exists() else []

    def log(self):
        path = self.fake / "log"
        return path.read_text().splitlines() if path.exists() else []

    def direct(self):
        return _wg_direct.read_direct(str(self.run_dir / "wg0.direct"))

    def status(self):
        return _wg_direct.parse_status((self.run_dir / "wg0.status").read_text())

    def allowed(self, key):
        return sorted(self.state()["peers"][key]["allowed_ips"])

    def live_matches(self, direct):
        """The live peers are exactly wg_interface's transform for `direct`."""
        want = dict((p["public_key"], p) for p in _wg_direct.transform(self.planned, direct))
        for key, peer in self.state()["peers"].items():
            assert sorted(peer["allowed_ips"]) == sorted(want[key]["allowed_ips"]), key
            assert peer["keepalive"] == want[key]["persistent_keepalive"], key


def test_config_lines():
    host = Host.__new__(Host)
    planned = [_wg_peers.normalize_peer(p) for p in [
        {"public_key": HUB, "name": "hub", "allowed_ips": HUB_IPS, "endpoint": "hub.example.net:51820"},
        {"public_key": MEDIA, "name": "media box", "allowed_ips": MEDIA_IPS, "endpoint": "192.0.2.7:40001",
         "persistent_keepalive": 25, "path": "nat", "relay_public_key": HUB}]]
    del host
    assert _wg_direct.watchdog_config("wg0", planned).splitlines()[1:] == [
        "relay %s 10.77.0.0/24" % HUB,
        "resolve %s hub.example.net:51820 0 hub" % HUB,
        "watch %s %s 25 10.77.0.22/32,172.18.9.0/24 nat 10.77.0.22 media box" % (MEDIA, HUB),
    ]
    assert _wg_direct.watchdog_config("wg0", planned[:1][:0]) is None
    ip_only = [dict(planned[0], endpoint="198.51.100.1:51820")]
    assert _wg_direct.watchdog_config("wg0", ip_only) is None


def test_promote_after_a_direct_handshake(host):
    # First sight, no handshake yet: both stay on the relay; nothing to set.
    assert host.run(T0) == []
    assert host.direct() == set()
    assert host.status()[MEDIA]["state"] == "relay" and host.status()[MEDIA]["reason"] == "new"
    # media answers directly: a handshake and received bytes.
    host.sample(MEDIA, hs=T0 + 5, rx=92, tx=148)
    sets = host.run(T0 + 10)
    assert host.direct() == {MEDIA}
    assert sets == ["set wg0 peer %s allowed-ips %s peer %s allowed-ips 10.77.0.0/24,10.77.0.23/32"
                    % (MEDIA, ",".join(MEDIA_IPS), HUB)]
    host.live_matches({MEDIA})
    assert host.status()[MEDIA] == {"state": "direct", "since": T0 + 10, "reason": "handshake"}
    assert any("media (nat): relay -> direct (handshake)" in line for line in host.log())
    # Steady: nothing more to set.
    host.sample(MEDIA, rx=32, tx=32)
    assert host.run(T0 + 20) == []


def test_a_handshake_older_than_first_sight_promotes_only_once_fresh(host):
    host.sample(NAS, hs=T0 - 600, rx=1000, tx=1000)
    host.run(T0)
    assert host.direct() == set()
    host.sample(NAS, hs=T0 + 12, rx=92)
    host.run(T0 + 20)
    assert host.direct() == {NAS}
    # nas has no keepalive of its own: on the relay it had 25 s, now off again.
    assert host.state()["peers"][NAS]["keepalive"] == 0
    host.live_matches({NAS})


def promoted(host):
    host.sample(MEDIA, hs=T0 + 5, rx=92, tx=148)
    host.run(T0 + 10)
    assert host.direct() == {MEDIA}


def test_demote_when_tx_grows_without_rx_for_d_seconds(host):
    promoted(host)
    # D = 25 s without any rx while tx grows (rx last grew at T0 + 10).
    for t in (20, 30, 34):
        host.sample(MEDIA, tx=100)
        assert host.run(T0 + t) == []
        assert host.direct() == {MEDIA}
    host.sample(MEDIA, tx=100)
    sets = host.run(T0 + 35)
    assert host.direct() == set()
    # The relay takes the prefixes first; media is then left with none.
    assert sets == ["set wg0 peer %s allowed-ips 10.77.0.0/24,10.77.0.22/32,10.77.0.23/32,172.18.9.0/24 peer %s "
                    "allowed-ips " % (HUB, MEDIA)]
    host.live_matches(set())
    assert host.status()[MEDIA] == {"state": "relay", "since": T0 + 35, "reason": "no-reply"}
    assert any("media (nat): direct -> relay (no-reply)" in line for line in host.log())


def test_idle_direct_path_is_not_demoted(host):
    promoted(host)
    # Nothing sent, nothing received (keepalive 25 both ways answers): stays.
    for t in range(30, 200, 30):
        host.sample(MEDIA, rx=32, tx=32, hs=T0 + t - 5 if t % 90 == 0 else host.state()["peers"][MEDIA]["hs"])
        assert host.run(T0 + t) == []
    assert host.direct() == {MEDIA}


def pings(host):
    path = host.fake / "pings"
    return path.read_text().splitlines() if path.exists() else []


def test_idle_direct_peer_is_probed_through_the_tunnel(host):
    promoted(host)
    assert pings(host) == ["-c 1 -W 1 10.77.0.22"]   # first sample: nothing seen coming in yet
    host.sample(MEDIA, rx=32)
    host.run(T0 + 20)
    assert len(pings(host)) == 1                # an answer came: no probe
    host.run(T0 + 30)                           # nothing came in since
    assert pings(host) == ["-c 1 -W 1 10.77.0.22"] * 2
    # nas is on the relay: never probed.
    assert all("10.77.0.23" not in p for p in pings(host))
    assert _wg_direct.probe_address({"allowed_ips": ["172.18.9.0/24"]}) == "172.18.9.1"
    assert _wg_direct.probe_address({"allowed_ips": ["0.0.0.0/0"]}) == "-"
    assert _wg_direct.probe_address({"allowed_ips": ["172.18.9.0/24", "fd00::7/128"]}) == "fd00::7"


def test_flapping_path(host):
    promoted(host)
    # Replies come every 30 s only (a lossy path): never 25 s without rx at a run.
    for t in range(20, 140, 10):
        host.sample(MEDIA, tx=100)
        if t % 30 == 0:
            host.sample(MEDIA, rx=100)
        host.run(T0 + t)
        assert host.direct() == {MEDIA}, t
    # Down: demoted 25-30 s after the last reply.
    for t in range(140, 190, 10):
        host.sample(MEDIA, tx=100)
        host.run(T0 + t)
    assert host.direct() == set()
    demoted_at = host.status()[MEDIA]["since"]
    # Back, but only old-session packets arrive: not promoted until a new handshake.
    host.sample(MEDIA, rx=64)
    host.run(T0 + 200)
    assert host.direct() == set()
    host.sample(MEDIA, hs=demoted_at + 20, rx=92)
    host.run(T0 + 210)
    assert host.direct() == {MEDIA}
    assert len([line for line in host.log() if "->" in line]) == 3


def test_stale_handshake_demotes_a_peer_with_keepalive(host):
    promoted(host)
    host.sample(MEDIA, rx=10)
    host.run(T0 + 150)
    assert host.direct() == {MEDIA}
    host.sample(MEDIA, rx=10)
    host.run(T0 + 210)
    assert host.direct() == set()
    assert host.status()[MEDIA]["reason"] == "stale-handshake"


def test_dns_endpoint_re_resolved_when_stale_and_rate_limited(host):
    host.sample(HUB, hs=T0 - 10, rx=100, tx=100)
    assert host.run(T0, resolve=True) == []                         # fresh: left alone
    (host.fake / "hosts.json").write_text(json.dumps({"hub.example.net": "198.51.100.99"}))
    sets = host.run(T0 + 140, resolve=True)                         # handshake 150 s old
    assert sets == ["set wg0 peer %s endpoint hub.example.net:51820" % HUB]
    assert host.state()["peers"][HUB]["endpoint"] == "198.51.100.99:51820"
    assert any("re-resolved, 198.51.100.1:51820 -> 198.51.100.99:51820" in line for line in host.log())
    assert host.run(T0 + 150, resolve=True) == []                   # at most every 30 s
    assert host.run(T0 + 170, resolve=True) == ["set wg0 peer %s endpoint hub.example.net:51820" % HUB]
    host.sample(HUB, hs=T0 + 175, rx=92)
    assert host.run(T0 + 200, resolve=True) == []


def test_dns_endpoint_re_resolved_when_it_stops_answering(host):
    host.sample(HUB, hs=T0, rx=100, tx=100)
    host.run(T0)
    for t in (10, 20, 30):
        host.sample(HUB, tx=100)
        assert host.run(T0 + t, resolve=True) == []
    host.sample(HUB, tx=100)
    assert host.run(T0 + 40, resolve=True) == ["set wg0 peer %s endpoint hub.example.net:51820" % HUB]


def test_unresolvable_name_is_logged(host):
    (host.fake / "hosts.json").write_text("{}")
    host.run(T0)
    assert host.sets() == ["set wg0 peer %s endpoint hub.example.net:51820" % HUB]
    assert any("cannot resolve hub.example.net:51820" in line for line in host.log())


def test_drift_repaired(host):
    promoted(host)
    # Someone (wg-quick restart, a hand edit) put everything back on the relay.
    state = host.state()
    for p in _wg_direct.transform(host.planned, set()):
        state["peers"][p["public_key"]]["allowed_ips"] = p["allowed_ips"]
        if p["path"]:
            state["peers"][p["public_key"]]["keepalive"] = 7
    host.write_state(state)
    host.sample(MEDIA, rx=10, tx=10)
    assert host.run(T0 + 20) != []
    host.live_matches({MEDIA})
    assert host.run(T0 + 30) == []


def test_removed_peer_and_down_interface(host):
    state = host.state()
    del state["peers"][MEDIA]
    host.write_state(state)
    host.run(T0)
    assert MEDIA not in host.status()
    (host.fake / "state.json").write_text(json.dumps({"private": PRIVATE, "peers": {}}))
    host.run(T0 + 10)


def test_no_secret_in_state_files(host):
    promoted(host)
    for name in os.listdir(str(host.run_dir)):
        assert PRIVATE not in (host.run_dir / name).read_text()
    assert all(PRIVATE not in line for line in host.log())


def test_lock_busy_skips_the_run(host):
    host.run_dir.mkdir(parents=True)
    with _wg_direct.StateLock(str(host.run_dir), "wg0", create=True):
        host.sample(MEDIA, hs=T0 + 5, rx=92, tx=148)
        assert host.run(T0 + 10, wait=1) == []
        assert host.direct() == set()
        assert any("busy, run skipped" in line for line in host.log())
    host.run(T0 + 20, wait=1)
    assert host.direct() == {MEDIA}


def test_watchdog_waits_for_wg_interface(host):
    """wg_interface holds the lock while it applies: the watchdog runs after."""
    host.run_dir.mkdir(parents=True)
    host.sample(MEDIA, hs=T0 + 5, rx=92, tx=148)
    lock = _wg_direct.StateLock(str(host.run_dir), "wg0", create=True)
    lock.__enter__()
    released = []

    def release():
        time.sleep(1.0)
        released.append(time.time())
        lock.__exit__(None, None, None)

    thread = threading.Thread(target=release)
    thread.start()
    host.run(T0 + 10, wait=20)
    done = time.time()
    thread.join()
    assert released and done >= released[0]
    assert host.direct() == {MEDIA}


def test_wg_interface_waits_for_the_watchdog(host, tmp_path):
    """While the watchdog holds the lock, StateLock blocks."""
    host.run_dir.mkdir(parents=True)
    holder = subprocess.Popen(["flock", str(host.run_dir / "wg0.lock"), "sleep", "1"])
    try:
        time.sleep(0.3)
        start = time.time()
        with _wg_direct.StateLock(str(host.run_dir), "wg0", create=False):
            waited = time.time() - start
    finally:
        holder.wait()
    assert waited > 0.3
    fd = os.open(str(host.run_dir / "wg0.lock"), os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.close(fd)


def test_openwrt_cron_mode_runs_several_times(host):
    """OpenWrt's cron line runs it once a minute for 6 runs, 10 s apart."""
    assert _wg_direct.openwrt_cron_line("wg0") == "* * * * * /usr/sbin/wgnet-watchdog wg0 6 10\n"
    host.sample(MEDIA, hs=T0 - 5, rx=92, tx=148)
    host.run(T0, args=("3", "0"))
    assert host.direct() == {MEDIA}
    assert len([line for line in host.log() if "->" in line]) == 1


@pytest.mark.skipif(not shutil.which("shellcheck"), reason="shellcheck is not installed")
def test_script_passes_shellcheck(tmp_path):
    path = tmp_path / "wgnet-watchdog"
    path.write_text(_wg_direct.SCRIPT)
    out = subprocess.run(["shellcheck", "-s", "sh", str(path)], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout
