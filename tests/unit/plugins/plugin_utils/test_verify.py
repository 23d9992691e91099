# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_verify: the expected matrix of verify.yml, its ping script (run under sh
and BusyBox ash with fake ping/wg/date), the report and the status table."""

from __future__ import annotations

import base64
import json
import os
import shutil
import stat
import subprocess

import pytest

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_crypto
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology
from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _verify

KEYS = [_wg_crypto.public_key(base64.b64encode(bytes([i + 1]) * 32).decode()) for i in range(8)]
HUB, LAPTOP, ROUTER, NAS, OTHER = KEYS[:5]
ROUTER_IP_ADDR = (
    "1: lo: <LOOPBACK,UP> mtu 65536\n    inet 127.0.0.1/8 scope host lo\n"
    "2: eth0@if7: <BROADCAST,UP> mtu 1500\n    inet 172.31.250.12/24 brd 172.31.250.255 scope global eth0\n"
    "3: eth1@if9: <BROADCAST,UP> mtu 1500\n    inet 172.18.3.1/24 brd 172.18.3.255 scope global eth1\n"
    "    inet6 fd18:3::1/64 scope global\n    inet6 fe80::1/64 scope link\n"
    "4: wg0: <POINTOPOINT,NOARP,UP> mtu 1420\n    inet 10.77.0.12/24 scope global wg0\n")


def lab(extra_router=None, range_="10.77.0.0/24", topology="hub_and_spoke"):
    hostvars = {
        "hub": {"wireguard_address": "10.77.0.1", "wireguard_endpoint": "172.31.250.10"},
        "laptop": {"wireguard_address": "10.77.0.11"},
        "router": dict({"wireguard_address": "10.77.0.12", "wireguard_lan_subnets": ["172.18.3.0/24"],
                        "wireguard_verify_targets": ["172.18.3.50"]}, **(extra_router or {})),
    }
    groups = {"wireguard": ["hub", "laptop", "router"], "wireguard_hubs": ["hub"]}
    keys = {"wg0": {"hub": HUB, "laptop": LAPTOP, "router": ROUTER}}
    plan = _topology.plan_networks(hostvars, {"wg0": {"range": range_, "topology": topology}}, groups, keys)
    return plan, hostvars


def by_address(rows):
    return dict((r["address"], r) for r in rows)


def test_hub_and_spoke_lab_all_expected():
    plan, hostvars = lab()
    targets = _verify.targets(plan, ["hub", "laptop", "router", "lanclient"], {"router": ROUTER_IP_ADDR}, hostvars)
    assert sorted(targets) == ["hub", "laptop", "router"]  # lanclient is no member
    laptop = by_address(targets["laptop"])
    assert sorted(laptop) == ["10.77.0.1", "10.77.0.12", "172.18.3.1", "172.18.3.50"]
    assert all(r["expected"] for r in laptop.values())
    # Spoke to spoke and into the LAN: carried by the hub (the relay).
    assert laptop["10.77.0.12"]["via"] == "hub" and laptop["10.77.0.12"]["via_public_key"] == HUB
    assert laptop["172.18.3.50"]["via"] == "hub" and laptop["172.18.3.50"]["kind"] == "target"
    assert laptop["172.18.3.1"]["kind"] == "lan" and laptop["172.18.3.1"]["to"] == "router"
    hub = by_address(targets["hub"])
    assert hub["172.18.3.50"]["via"] == "router" and hub["10.77.0.11"]["via"] == "laptop"
    # The router does not ping its own LAN through the tunnel.
    assert sorted(by_address(targets["router"])) == ["10.77.0.1", "10.77.0.11"]


def test_lan_gateway_address_unknown_is_not_expected():
    plan, hostvars = lab()
    rows = _verify.host_targets(plan, "laptop", {}, hostvars)
    unknown = [r for r in rows if r["kind"] == "lan"]
    assert len(unknown) == 1 and not unknown[0]["expected"] and unknown[0]["address"] is None
    assert "unknown" in unknown[0]["reason"]
    # The listed target behind the router is still expected.
    assert by_address(rows)["172.18.3.50"]["expected"]


def two_networks():
    """wg0: hub a, spokes b, c (c routes a LAN). wg1: hub a, spoke d (mesh).
    b and d share no network; d reaches c's LAN only if wg1 carries it (it does not)."""
    hostvars = {
        "a": {"wireguard_interfaces": {"wg0": {"address": "10.1.0.1", "endpoint": "a.example"},
                                       "wg1": {"address": ["10.2.0.1", "fd02::1"], "endpoint": "a.example:51821"}}},
        "b": {"wireguard_interfaces": {"wg0": {"address": "10.1.0.2"}}},
        "c": {"wireguard_interfaces": {"wg0": {"address": "10.1.0.3", "lan_subnets": ["192.168.3.0/24"]}}},
        "d": {"wireguard_interfaces": {"wg1": {"address": ["10.2.0.4", "fd02::4"], "endpoint": "d.example"}}},
    }
    groups = {"g0": ["a", "b", "c"], "g1": ["a", "d"], "hubs": ["a"]}
    networks = {"wg0": {"range": "10.1.0.0/24", "members": "g0", "hubs": "hubs"},
                "wg1": {"range": ["10.2.0.0/24", "fd02::/64"], "members": "g1", "hubs": "hubs",
                        "topology": "mesh", "port": 51821}}
    keys = {"wg0": {"a": KEYS[0], "b": KEYS[1], "c": KEYS[2]}, "wg1": {"a": KEYS[3], "d": KEYS[4]}}
    plan = _topology.plan_networks(hostvars, networks, groups, keys)
    addrs = {"c": "3: lan0\n    inet 192.168.3.254/24 scope global lan0\n"}
    return _verify.targets(json.dumps(plan), ["a", "b", "c", "d"], addrs, hostvars)


def test_hosts_that_share_no_network_are_not_expected():
    targets = two_networks()
    b = by_address(targets["b"])
    for address in ("10.2.0.4", "fd02::4"):
        assert not b[address]["expected"]
        assert b[address]["reason"] == "b is not a member of wg1"
    assert b["10.1.0.1"]["expected"] and b["10.1.0.3"]["expected"] and b["10.1.0.3"]["via"] == "a"
    # The hub's wg1 addresses are also out of b's reach: b only has wg0.
    assert not b["10.2.0.1"]["expected"]
    d = by_address(targets["d"])
    assert d["10.2.0.1"]["expected"] and d["fd02::1"]["expected"] and d["fd02::1"]["via"] == "a"
    assert not d["10.1.0.2"]["expected"]


def test_lan_not_carried_by_any_peer_is_not_expected():
    targets = two_networks()
    d = by_address(targets["d"])
    assert not d["192.168.3.254"]["expected"]
    assert d["192.168.3.254"]["reason"].startswith("no peer of d carries 192.168.3.254")
    a = by_address(targets["a"])
    assert a["192.168.3.254"]["expected"] and a["192.168.3.254"]["via"] == "c"
    assert by_address(targets["b"])["192.168.3.254"]["via"] == "a"


def test_member_without_ipv6_does_not_expect_ipv6():
    hostvars = {
        "hub": {"wireguard_address": ["10.9.0.1", "fd09::1"], "wireguard_endpoint": "hub.example"},
        "v4only": {"wireguard_address": "10.9.0.2"},
        "dual": {"wireguard_address": ["10.9.0.3", "fd09::3"]},
    }
    groups = {"wireguard": ["hub", "v4only", "dual"], "wireguard_hubs": ["hub"]}
    keys = {"wg0": {"hub": KEYS[0], "v4only": KEYS[1], "dual": KEYS[2]}}
    plan = _topology.plan_networks(hostvars, {"wg0": {"range": ["10.9.0.0/24", "fd09::/64"]}}, groups, keys)
    v4only = by_address(_verify.host_targets(plan, "v4only", {}, hostvars))
    assert not v4only["fd09::1"]["expected"] and v4only["fd09::1"]["reason"] == "v4only has no IPv6 address on wg0"
    assert v4only["10.9.0.3"]["expected"]
    dual = by_address(_verify.host_targets(plan, "dual", {}, hostvars))
    assert dual["fd09::1"]["expected"] and not dual["10.9.0.2"].get("reason", "").startswith("no")


def test_full_tunnel_default_route_does_not_make_everything_expected():
    hostvars = {
        "gw": {"wireguard_address": "10.5.0.1", "wireguard_endpoint": "gw.example"},
        "s": {"wireguard_address": "10.5.0.2", "wireguard_verify_targets": ["198.51.100.7"]},
        "t": {"wireguard_address": "10.5.0.3"},
    }
    groups = {"wireguard": ["gw", "s", "t"], "wireguard_hubs": ["gw"]}
    keys = {"wg0": {"gw": KEYS[0], "s": KEYS[1], "t": KEYS[2]}}
    networks = {"wg0": {"range": "10.5.0.0/24", "egress": {"gateway": "gw", "members": ["t"]}}}
    plan = _topology.plan_networks(hostvars, networks, groups, keys)
    t = by_address(_verify.host_targets(plan, "t", {}, hostvars))
    # t sends everything to gw (0.0.0.0/0), yet s's listed public address is not "expected" of t.
    assert not t["198.51.100.7"]["expected"]
    assert t["10.5.0.2"]["expected"] and t["10.5.0.2"]["via"] == "gw"


def test_unmanaged_clients_are_listed_not_expected():
    plan, hostvars = lab()
    hostvars = dict(hostvars)
    groups = {"wireguard": ["hub", "laptop", "router"], "wireguard_hubs": ["hub"]}
    phone = {"address": "10.77.0.50", "public_key": KEYS[6]}
    networks = {"wg0": {"range": "10.77.0.0/24", "clients": {"phone": phone}}}
    keys = {"wg0": {"hub": HUB, "laptop": LAPTOP, "router": ROUTER}}
    plan = _topology.plan_networks(hostvars, networks, groups, keys)
    phone = by_address(_verify.host_targets(plan, "hub", {}, hostvars))["10.77.0.50"]
    assert phone["kind"] == "client" and not phone["expected"]


@pytest.mark.parametrize("value", ["not-an-ip", ["172.18.3.50", "10.0.0.0/8"], {"a": 1}])
def test_bad_verify_targets_name_host_and_variable(value):
    plan, hostvars = lab({"wireguard_verify_targets": value})
    with pytest.raises(_verify.VerifyError, match=r"host router: wireguard_verify_targets"):
        _verify.host_targets(plan, "laptop", {}, hostvars)
    with pytest.raises(_verify.VerifyError, match=r"^host router"):
        _verify.targets(plan, ["laptop"], {}, hostvars)


# ---------------------------------------------------------------- the script
FAKE_PING = r"""#!/bin/sh
# Fake ping: the last argument is the address; listed ones answer.
for a; do addr=$a; done
case " $REACHABLE " in
  *" $addr "*)
    echo "PING $addr ($addr): 56 data bytes"
    echo "--- $addr ping statistics ---"
    if [ -n "$BUSYBOX_STYLE" ]; then
      echo "2 packets transmitted, 2 packets received, 0% packet loss"
      echo "round-trip min/avg/max = 0.100/0.250/0.400 ms"
    else
      echo "2 packets transmitted, 2 received, 0% packet loss, time 1001ms"
      echo "rtt min/avg/max/mdev = 0.100/0.250/0.400/0.150 ms"
    fi
    echo "$*" >> "$ARGS_LOG"
    exit 0 ;;
esac
echo "--- $addr ping statistics ---"
echo "2 packets transmitted, 0 received, 100% packet loss, time 1001ms"
echo "$*" >> "$ARGS_LOG"
exit 1
"""
FAKE_WG = """#!/bin/sh
[ "$*" = "show all latest-handshakes" ] || exit 2
printf 'wg0\\t%s\\t1700000000\\n' "$HUB_KEY"
printf 'wg0\\t%s\\t0\\n' "$OTHER_KEY"
"""
FAKE_DATE = "#!/bin/sh\necho 1700000042\n"
FAKE_IP = """#!/bin/sh
# Fake `ip route get ADDR`: addresses in $ETH0_ROUTED leave through eth0.
[ "$1 $2" = "route get" ] || exit 2
case " $ETH0_ROUTED " in
  *" $3 "*) echo "$3 via 172.31.250.254 dev eth0 src 172.31.250.11 uid 0" ;;
  *) echo "$3 dev wg0 src 10.77.0.11 uid 0" ;;
esac
echo "    cache"
"""


@pytest.fixture
def fake_bin(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for name, text in (("ping", FAKE_PING), ("wg", FAKE_WG), ("date", FAKE_DATE), ("ip", FAKE_IP)):
        path = bindir / name
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return bindir


SHELLS = [pytest.param(["sh", "-c"], id="sh")]
if shutil.which("busybox"):
    SHELLS.append(pytest.param(["busybox", "sh", "-c"], id="busybox-ash"))


def run_script(shell, script, fake_bin, tmp_path, reachable, busybox_style=False, eth0_routed=()):
    env = dict(PATH="%s:%s" % (fake_bin, os.environ["PATH"]), REACHABLE=" ".join(reachable),
               ETH0_ROUTED=" ".join(eth0_routed),
               ARGS_LOG=str(tmp_path / "args.log"), HUB_KEY=HUB, OTHER_KEY=LAPTOP,
               BUSYBOX_STYLE="1" if busybox_style else "")
    r = subprocess.run(shell + [script], env=env, capture_output=True, text=True, check=False, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout, (tmp_path / "args.log").read_text() if (tmp_path / "args.log").exists() else ""


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("busybox_style", [False, True], ids=["iputils-output", "busybox-output"])
def test_script_pings_expected_targets_and_report(shell, busybox_style, fake_bin, tmp_path):
    plan, hostvars = lab()
    targets = _verify.targets(plan, ["laptop"], {"router": ROUTER_IP_ADDR}, hostvars)
    script = _verify.ping_script(targets["laptop"], count=2, timeout=1)
    out, args = run_script(shell, script, fake_bin, tmp_path, ["10.77.0.1", "172.18.3.1", "172.18.3.50"],
                           busybox_style)
    assert sorted(args.split("\n")[:-1]) == sorted("-4 -q -c 2 -W 1 -w 4 %s" % a for a in
                                                   ("10.77.0.1", "10.77.0.12", "172.18.3.1", "172.18.3.50"))
    result = _verify.report(targets, {"laptop": {"stdout": out, "rc": 0}})
    rows = by_address(result["rows"])
    assert rows["10.77.0.1"]["status"] == "reachable" and rows["10.77.0.1"]["rtt_ms"] == 0.25
    assert rows["10.77.0.1"]["handshake_age"] == 42  # via hub: now 1700000042, handshake 1700000000
    assert rows["10.77.0.12"]["status"] == "unreachable" and rows["10.77.0.12"]["received"] == 0
    assert result["failed"] == ["laptop -> router 10.77.0.12 (tunnel address)"]
    assert not result["ok"]
    assert result["counts"] == {"expected": 4, "reachable": 3, "unreachable": 1, "not_expected": 0}
    assert result["table"][0].split() == ["from", "to", "address", "kind", "path", "status", "rtt", "handshake"]
    assert any("unreachable" in line and "10.77.0.12" in line for line in result["table"])
    assert result["table"][-1] == "4 expected paths: 3 reachable, 1 unreachable; 0 not expected"
    json.dumps(result)


def test_answer_through_another_interface_is_unreachable(fake_bin, tmp_path):
    """A LAN that also answers outside the tunnel (the WireGuard link is down,
    so the kernel routes it out of eth0) does not count as reachable."""
    plan, hostvars = lab()
    targets = _verify.targets(plan, ["laptop"], {"router": ROUTER_IP_ADDR}, hostvars)
    script = _verify.ping_script(targets["laptop"])
    out, _args = run_script(["sh", "-c"], script, fake_bin, tmp_path,
                            ["10.77.0.1", "10.77.0.12", "172.18.3.1", "172.18.3.50"], eth0_routed=["172.18.3.1"])
    result = _verify.report(targets, {"laptop": out})
    rows = by_address(result["rows"])
    assert rows["172.18.3.1"]["status"] == "unreachable" and rows["172.18.3.1"]["received"] == 2
    assert rows["172.18.3.1"]["reason"] == "routed out of eth0, not wg0"
    assert rows["172.18.3.50"]["status"] == "reachable" and rows["172.18.3.50"]["route_device"] == "wg0"
    assert result["failed"] == ["laptop -> router 172.18.3.1 (routed out of eth0, not wg0)"]


def test_script_with_nothing_expected_still_reports_handshakes(fake_bin, tmp_path):
    script = _verify.ping_script([{"expected": False, "address": "10.0.0.9"}])
    out, args = run_script(["sh", "-c"], script, fake_bin, tmp_path, [])
    assert args == ""
    pings, now, handshakes = _verify.parse_script_output(out)
    assert pings == {} and now == 1700000042 and handshakes[("wg0", HUB)] == 1700000000


def test_script_batches_and_ipv6(fake_bin, tmp_path):
    rows = [{"expected": True, "address": "fd00::%x" % (i + 1)} for i in range(_verify.BATCH + 3)]
    script = _verify.ping_script(rows, count=1, timeout=2)
    assert script.count("\nwait\n") == 2
    out, args = run_script(["sh", "-c"], script, fake_bin, tmp_path, ["fd00::1"])
    assert all(line.startswith("-6 -q -c 1 -W 2 -w 4 fd00::") for line in args.splitlines())
    pings, _now, _hs = _verify.parse_script_output(out)
    assert len(pings) == len(rows) and pings[0][1] == 2 and pings[1][1] == 0


@pytest.mark.skipif(not shutil.which("shellcheck"), reason="shellcheck not installed")
def test_script_passes_shellcheck():
    plan, hostvars = lab()
    script = _verify.ping_script(_verify.host_targets(plan, "laptop", {"router": ROUTER_IP_ADDR}, hostvars))
    r = subprocess.run(["shellcheck", "-s", "sh", "-"], input=script, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout


def test_host_without_answer_is_unreachable():
    plan, hostvars = lab()
    targets = _verify.targets(plan, ["hub", "laptop"], {}, hostvars)
    result = _verify.report(targets, {"laptop": {"unreachable": True, "msg": "ssh: timeout"}})
    hub_rows = [r for r in result["rows"] if r["from"] == "hub" and r["expected"]]
    assert hub_rows and all(r["status"] == "unreachable" and r["reason"] == "no answer from hub" for r in hub_rows)
    assert not result["ok"]
    # The router's LAN address, once per pinging host: no `ip addr` output of the router.
    assert result["counts"]["not_expected"] == 2


def test_all_reachable_is_ok():
    rows = [{"from": "a", "to": "b", "address": "10.0.0.2", "kind": "tunnel", "interface": "wg0", "via": "b",
             "via_public_key": HUB, "expected": True, "reason": "tunnel address"}]
    out = ("=== 0\n2 packets transmitted, 2 received, 0%% packet loss\nrtt min/avg/max/mdev = 1/2.5/3/1 ms\nrc=0\n"
           "=== handshakes\nnow=1700000100\nwg0\t%s\t1700000000\n" % HUB)
    result = _verify.report({"a": rows}, {"a": out})
    assert result["ok"] and result["failed"] == []
    assert result["rows"][0]["handshake_age"] == 100 and result["rows"][0]["rtt_ms"] == 2.5
    assert result["table"][2].split()[-1] == "100s"


# ---------------------------------------------------------------- status
def test_status_table():
    peers = [
        {"public_key": LAPTOP, "friendly_name": "laptop", "endpoint": "172.31.250.11:40000",
         "latest_handshake_age": 12, "transfer_rx": 2048, "transfer_tx": 100},
        {"public_key": ROUTER, "friendly_name": None, "endpoint": None, "latest_handshake_age": None,
         "transfer_rx": 0, "transfer_tx": 0},
    ]
    wg0 = {"public_key": HUB, "listen_port": 51820, "fwmark": None, "peers": peers}
    infos = {"hub": {"changed": False, "interfaces": {"wg0": wg0}}, "laptop": {"interfaces": {}}}
    lines = _verify.status_table(infos)
    assert lines[0].split() == ["host", "interface", "peer", "endpoint", "handshake", "rx", "tx"]
    assert lines[2].split() == ["hub", "wg0", "laptop", "172.31.250.11:40000", "12s", "2.0", "KiB", "100", "B"]
    assert lines[3].split()[:5] == ["hub", "wg0", ROUTER[:8] + "...", "-", "never"]
    assert len(lines) == 4


def test_table_lists_each_not_expected_reason_once_below_the_rows():
    rows = {"a": [{"from": "a", "to": "phone", "address": "10.0.0.9", "kind": "client", "via": None,
                   "expected": False, "reason": "unmanaged client"}],
            "b": [{"from": "b", "to": "phone", "address": "10.0.0.9", "kind": "client", "via": None,
                   "expected": False, "reason": "unmanaged client"}]}
    table = _verify.report(rows, {"a": "", "b": ""})["table"]
    assert [line for line in table if "unmanaged client" in line] == ["not expected: phone 10.0.0.9: unmanaged client"]
    assert all(line.split()[5:7] == ["not", "expected"] for line in table[2:4])


# ---------------------------------------------------------------- direct paths (issue 15)
def test_path_of_each_pair():
    from test_topology_direct import SITE, SITE_PROBES
    from test_topology import plan as plan_of
    result = plan_of(hostvars=SITE, probes=SITE_PROBES)
    rows = dict((r["address"], r) for r in _verify.host_targets(result, "spoke1"))
    neighbour, hub, other = rows["10.77.0.3"], rows["10.77.0.1"], rows["10.77.0.4"]
    assert neighbour["watched"] and neighbour["relay"] == "hub1" and neighbour["via"] == "spoke2"
    key2 = neighbour["via_public_key"]
    up = "=== allowed\nwg0\t%s\t10.77.0.3/32\n" % key2
    down = "=== allowed\nwg0\t%s\t(none)\n" % key2
    assert _verify.path_of(neighbour, _verify.live_allowed(up)) == "direct"
    assert _verify.path_of(neighbour, _verify.live_allowed(down)) == "via hub1 (fallback)"
    assert _verify.path_of(neighbour, {}) == "direct (planned)"
    assert _verify.path_of(hub, {}) == "direct"
    assert _verify.path_of(other, {}) == "via hub1"
    assert "=== allowed" in _verify.ping_script([neighbour])
