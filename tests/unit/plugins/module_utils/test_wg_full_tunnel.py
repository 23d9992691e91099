# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Full tunnel: a peer with AllowedIPs 0.0.0.0/0 or ::/0.

The live reconcile must leave the policy routing wg-quick's add_default would
set up at boot (fwmark = table, `not fwmark` rule, suppress rule, the table's
default route, src_valid_mark), stay idempotent, clean up when the /0 goes and
agree with what a reboot through wg-quick gives.
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_full_tunnel
from ansible_collections.wgnet.wireguard.plugins.module_utils._wg_interface import WireGuardInterfaceError
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils.fake_host import DEFAULT_RULES
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils.fake_host import SRC_VALID_MARK
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils.test_wg_interface import A
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils.test_wg_interface import B
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils.test_wg_interface import PRIVATE
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils.test_wg_interface import UNIT
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils.test_wg_interface import World
from ansible_collections.wgnet.wireguard.tests.unit.plugins.module_utils.test_wg_interface import module_peer

V4_ADD = [
    "ip -4 route add 0.0.0.0/0 dev wg0 table 51820",
    "ip -4 rule add not fwmark 51820 table 51820",
    "ip -4 rule add table main suppress_prefixlength 0",
    "sysctl -q net.ipv4.conf.all.src_valid_mark=1",
]
V6_ADD = [
    "ip -6 route add ::/0 dev wg0 table 51820",
    "ip -6 rule add not fwmark 51820 table 51820",
    "ip -6 rule add table main suppress_prefixlength 0",
]

# `ip -j -4 rule show` on iproute2 6.1 after `wg-quick up` with a /0 peer.
LIVE_RULES_JSON = json.dumps([
    {"priority": 0, "src": "all", "table": "local"},
    {"priority": 32764, "src": "all", "table": "main", "suppress_prefixlen": 0},
    {"priority": 32765, "not": None, "src": "all", "fwmark": "0xca6c", "table": "51820"},
    {"priority": 32766, "src": "all", "table": "main"},
    {"priority": 32767, "src": "all", "table": "default"},
])


# ------------------------------------------------------------ pure planning
def rules_of(text):
    return _wg_full_tunnel.parse_rules(text)


def test_default_route_families():
    peer = {"allowed_ips": ["10.0.0.0/8", "0.0.0.0/0"]}
    assert _wg_full_tunnel.default_route_families([peer]) == [4]
    assert _wg_full_tunnel.default_route_families([peer, {"allowed_ips": ["::/0"]}]) == [4, 6]
    assert _wg_full_tunnel.default_route_families([{"allowed_ips": ["fd00::/8", "10.0.0.0/8"]}]) == []


@pytest.mark.parametrize("fwmark, families, live, wanted", [
    (None, [4], None, 51820),       # wg-quick marks with its table
    (0, [4], None, 51820),          # 0 is "no FwMark" to wg-quick too
    (1234, [6], 51820, 1234),       # the user's mark is the table
    (None, [], 51820, 0),           # left from a former /0: a boot would not set it
    (None, [], 4242, None),         # someone else's mark: left alone, as before
    (None, [], None, None),
    (0, [], 51820, 0),
    (4242, [], None, 4242),
])
def test_effective_fwmark(fwmark, families, live, wanted):
    assert _wg_full_tunnel.effective_fwmark(fwmark, families, live) == wanted


def test_parse_rules_reads_iproute2_json():
    rules = rules_of(LIVE_RULES_JSON)
    assert [r["priority"] for r in rules] == [0, 32764, 32765, 32766, 32767]
    mark = rules[2]
    assert mark["invert"] and mark["fwmark"] == 51820 and mark["table"] == "51820" and not mark["other"]
    assert rules[1]["suppress_prefixlen"] == 0 and not rules[1]["invert"]
    assert _wg_full_tunnel._is_mark_rule(mark, 51820) and not _wg_full_tunnel._is_mark_rule(mark, 1234)
    assert _wg_full_tunnel._is_suppress_rule(rules[1]) and not _wg_full_tunnel._is_suppress_rule(rules[3])


def test_parse_rules_flags_other_selectors():
    rules = rules_of(json.dumps([
        {"priority": 100, "not": None, "src": "all", "iif": "eth0", "fwmark": "0xca6c", "table": "51820"},
        {"priority": 101, "not": None, "src": "10.0.0.0", "srclen": 8, "fwmark": "0xca6c", "table": "51820"},
        {"priority": 102, "not": None, "src": "all", "fwmark": "0xca6c", "fwmask": "0xff", "table": "51820"},
        {"priority": 103, "not": None, "src": "all", "fwmark": "0xca6c", "fwmask": "0xffffffff",
         "table": "51820", "protocol": "unspec"},
    ]))
    assert [r["other"] for r in rules] == [True, True, True, False]


def test_parse_table_routes():
    assert _wg_full_tunnel.parse_table_routes('[{"dst":"default","dev":"wg0","scope":"link","flags":[]}]', 4) == [
        ("0.0.0.0/0", "wg0")]
    assert _wg_full_tunnel.parse_table_routes(
        '[{"dst":"default","dev":"wg0","metric":1024,"flags":[],"pref":"medium"},'
        '{"type":"unreachable","dst":"fd00::/8","flags":[]}]', 6) == [("::/0", "wg0"), ("fd00::/8", None)]
    assert _wg_full_tunnel.parse_table_routes("", 4) == []


def plan(families=(4,), table=51820, live_fwmark=None, rules=None, routes=None, svm="0", name="wg0"):
    if rules is None:
        rules = {4: rules_of(json.dumps(DEFAULT_RULES[4])), 6: rules_of(json.dumps(DEFAULT_RULES[6]))}
    remove, add = _wg_full_tunnel.plan_full_tunnel(name, list(families), table, live_fwmark, rules, routes or {}, svm)
    return [" ".join(a) for a in remove], [" ".join(a) for a in add]


def test_plan_new_ipv4_default_is_wg_quick_add_default():
    assert plan() == ([], V4_ADD)


def test_plan_dual_stack_and_src_valid_mark_already_set():
    assert plan(families=(4, 6), svm="1") == ([], V4_ADD[:3] + V6_ADD)


def test_plan_in_sync_is_empty():
    rules = {4: rules_of(LIVE_RULES_JSON), 6: rules_of(json.dumps(DEFAULT_RULES[6]))}
    routes = {(4, 51820): [("0.0.0.0/0", "wg0")], (6, 51820): []}
    assert plan(rules=rules, routes=routes, live_fwmark=51820, svm="1") == ([], [])


def test_plan_suppress_rule_behind_mark_rule_gets_one_ahead():
    live = json.loads(LIVE_RULES_JSON)
    live[1]["priority"] = 32765
    live[2]["priority"] = 32764
    rules = {4: rules_of(json.dumps(sorted(live, key=lambda r: r["priority"]))), 6: []}
    routes = {(4, 51820): [("0.0.0.0/0", "wg0")]}
    assert plan(rules=rules, routes=routes, svm="1") == (
        [], ["ip -4 rule add table main suppress_prefixlength 0"])


def test_plan_removal_when_the_default_goes():
    rules = {4: rules_of(LIVE_RULES_JSON), 6: []}
    routes = {(4, 51820): [("0.0.0.0/0", "wg0")], (6, 51820): []}
    assert plan(families=(), rules=rules, routes=routes, live_fwmark=51820) == ([
        "ip -4 rule del priority 32765 not fwmark 51820 table 51820",
        "ip -4 route del 0.0.0.0/0 dev wg0 table 51820",
        "ip -4 rule del priority 32764 table main suppress_prefixlength 0",
    ], [])


def test_plan_removal_keeps_suppress_rule_another_tunnel_needs():
    live = json.loads(LIVE_RULES_JSON)
    live.insert(1, {"priority": 32762, "not": None, "src": "all", "fwmark": "0xca6d", "table": "51821"})
    rules = {4: rules_of(json.dumps(live)), 6: []}
    routes = {(4, 51820): [("0.0.0.0/0", "wg0")]}
    remove, _add = plan(families=(), rules=rules, routes=routes, live_fwmark=51820)
    assert remove == ["ip -4 rule del priority 32765 not fwmark 51820 table 51820",
                      "ip -4 route del 0.0.0.0/0 dev wg0 table 51820"]


def test_plan_leaves_another_interfaces_table_alone():
    """wg1 came up through wg-quick with table 51820; wg0 has no /0 and no mark."""
    rules = {4: rules_of(LIVE_RULES_JSON), 6: []}
    routes = {(4, 51820): [("0.0.0.0/0", "wg1")], (6, 51820): []}
    assert plan(families=(), rules=rules, routes=routes, live_fwmark=None) == ([], [])
    # ...not even when wg0 carries the same mark
    assert plan(families=(), rules=rules, routes=routes, live_fwmark=51820) == ([], [])


def test_plan_refuses_a_table_another_interface_routes_through():
    routes = {(4, 51820): [("0.0.0.0/0", "wg1")], (6, 51820): []}
    with pytest.raises(ValueError) as exc:
        plan(routes=routes)
    assert "51820" in str(exc.value) and "wg1" in str(exc.value) and "fwmark" in str(exc.value)


def test_plan_moves_to_a_new_table_when_fwmark_changes():
    live = json.loads(LIVE_RULES_JSON)
    live[2].update({"fwmark": "0x4d2", "table": "1234"})
    rules = {4: rules_of(json.dumps(live)), 6: []}
    routes = {(4, 5678): [], (4, 1234): [("0.0.0.0/0", "wg0")]}
    remove, add = plan(table=5678, live_fwmark=1234, rules=rules, routes=routes, svm="1")
    # the old suppress rule goes with the last mark rule; the new mark rule
    # brings its own, so it ends up ahead of the mark rule again
    assert remove == [
        "ip -4 rule del priority 32765 not fwmark 1234 table 1234",
        "ip -4 route del 0.0.0.0/0 dev wg0 table 1234",
        "ip -4 rule del priority 32764 table main suppress_prefixlength 0",
    ]
    assert add == [
        "ip -4 route add 0.0.0.0/0 dev wg0 table 5678",
        "ip -4 rule add not fwmark 5678 table 5678",
        "ip -4 rule add table main suppress_prefixlength 0",
    ]


# ------------------------------------------------------------ against the fake host
HUB_ENDPOINT = "198.51.100.1:51820"


class Client(World):
    """A spoke whose only peer is the hub; `egress` adds its /0."""

    def hub(self, allowed_ips=("10.77.0.0/24",)):
        return [module_peer(A, name="hub", allowed_ips=allowed_ips, endpoint=HUB_ENDPOINT,
                            persistent_keepalive=25)]

    def params(self, **kw):
        allowed = kw.pop("allowed_ips", ("10.77.0.0/24",))
        p = super(Client, self).params(addresses=["10.77.0.2/24"], listen_port=None, peers=self.hub(allowed))
        p.update(kw)
        return p

    def in_sync(self, **kw):
        """A running spoke booted from the module's config, without a /0."""
        self.host.add_link(addresses=["10.77.0.2/24"], private_key=PRIVATE, listen_port=40001)
        self.host.add_peer(A, ["10.77.0.0/24"], endpoint=HUB_ENDPOINT, keepalive=25)
        self.host.enabled = self.host.active = True
        self.write_config(**kw)
        return self


@pytest.fixture
def client(tmp_path):
    return Client(tmp_path).in_sync()


FULL = ("0.0.0.0/0",)
DUAL = ("0.0.0.0/0", "::/0")


def policy_reads(tables=(51820,), v4_default=True):
    reads = []
    for version in (4, 6):
        reads.append("ip -j -%d rule show" % version)
        reads += ["ip -j -%d route show table %d" % (version, t) for t in tables]
    return reads + (["sysctl -n %s" % SRC_VALID_MARK] if v4_default else [])


def test_adding_a_default_route_peer(client):
    result = client.present(allowed_ips=FULL)
    assert result["changed"] is True
    assert client.host.mutation_strings() == [
        "wg set wg0 fwmark 0xca6c peer %s allowed-ips 0.0.0.0/0" % A,
    ] + V4_ADD
    assert [a for a in result["actions"] if not a.startswith("write ")] == client.host.mutation_strings()
    h = client.host
    assert h.wg["fwmark"] == 51820
    assert (51820, "0.0.0.0/0", "wg0") in h.tables
    assert [(r["priority"], r["table"], r.get("suppress_prefixlen"), "not" in r) for r in h.rules[4]] == [
        (0, "local", None, False), (32764, "main", 0, False), (32765, "51820", None, True),
        (32766, "main", None, False), (32767, "default", None, False)]
    assert h.rules[6] == DEFAULT_RULES[6]
    assert h.sysctl[SRC_VALID_MARK] == "1"
    assert h.routes == set()    # nothing in the main table: wg-quick does not route /0 there
    # wg-quick marks the interface itself at boot: the config carries no FwMark
    config = client.config_path.read_text()
    assert "AllowedIPs = 0.0.0.0/0" in config and "FwMark" not in config
    assert "fwmark: 51820" in result["diff"]["after"] and "fwmark" not in result["diff"]["before"]


def test_rerun_reads_policy_and_changes_nothing(client):
    client.present(allowed_ips=FULL)
    again = client.present(allowed_ips=FULL)
    assert again["changed"] is False and again["actions"] == []
    assert client.host.mutations == []
    assert [" ".join(c) for c in client.host.calls] == [
        "ip -j -d address show dev wg0", "wg show wg0 dump",
        "ip -j -4 route show dev wg0 table main", "ip -j -6 route show dev wg0 table main",
    ] + policy_reads() + ["systemctl is-enabled %s" % UNIT]
    assert again["diff"]["before"] == again["diff"]["after"]


def test_live_run_and_reboot_agree(client):
    client.present(allowed_ips=DUAL)
    live = client.host.policy_state()
    client.host.reboot()
    assert client.host.policy_state() == live
    assert client.present(allowed_ips=DUAL)["changed"] is False


def test_check_mode_runs_nothing_and_predicts_the_run(client):
    predicted = client.present(check_mode=True, allowed_ips=FULL)
    assert client.host.mutations == []
    assert client.host.wg["fwmark"] is None and client.host.tables == set()
    assert client.host.rules == dict((v, [dict(r) for r in rs]) for v, rs in DEFAULT_RULES.items())
    assert client.host.sysctl[SRC_VALID_MARK] == "0"
    real = client.present(allowed_ips=FULL)
    assert predicted["actions"] == real["actions"]
    assert predicted["changed"] == real["changed"] and predicted["diff"] == real["diff"]


def test_removing_the_default_route_cleans_up(client):
    client.present(allowed_ips=DUAL)
    predicted = client.present(check_mode=True)
    assert client.host.mutations == []
    result = client.present()
    assert result["actions"] == predicted["actions"]
    assert client.host.mutation_strings() == [
        "ip -4 rule del priority 32765 not fwmark 51820 table 51820",
        "ip -4 route del 0.0.0.0/0 dev wg0 table 51820",
        "ip -4 rule del priority 32764 table main suppress_prefixlength 0",
        "ip -6 rule del priority 32765 not fwmark 51820 table 51820",
        "ip -6 route del ::/0 dev wg0 table 51820",
        "ip -6 rule del priority 32764 table main suppress_prefixlength 0",
        "wg set wg0 fwmark off peer %s allowed-ips 10.77.0.0/24" % A,
    ]
    h = client.host
    assert h.rules == dict((v, [dict(r) for r in rs]) for v, rs in DEFAULT_RULES.items())
    assert h.tables == set() and h.wg["fwmark"] is None
    assert "fwmark: 51820" in result["diff"]["before"] and "fwmark" not in result["diff"]["after"]
    assert h.sysctl[SRC_VALID_MARK] == "1"    # left as wg-quick leaves it
    again = client.present()
    assert again["changed"] is False and h.mutations == []
    # ...and a boot without the /0 gives the same state
    live = h.policy_state()
    h.reboot()
    assert dict(h.policy_state(), sysctl=None) == dict(live, sysctl=None)


def test_ipv6_only_default_route(client):
    result = client.present(allowed_ips=("10.77.0.0/24", "::/0"))
    assert client.host.mutation_strings() == [
        "wg set wg0 fwmark 0xca6c peer %s allowed-ips 10.77.0.0/24,::/0" % A,
    ] + V6_ADD
    assert ["sysctl", "-n", SRC_VALID_MARK] not in client.host.calls
    assert client.host.sysctl[SRC_VALID_MARK] == "0"
    assert result["changed"] is True
    assert client.present(allowed_ips=("10.77.0.0/24", "::/0"))["changed"] is False
    live = client.host.policy_state()
    client.host.reboot()
    assert client.host.policy_state() == live


def test_user_fwmark_is_the_table(client):
    result = client.present(allowed_ips=FULL, fwmark=1234)
    assert client.host.mutation_strings() == [
        "wg set wg0 fwmark 0x4d2 peer %s allowed-ips 0.0.0.0/0" % A,
        "ip -4 route add 0.0.0.0/0 dev wg0 table 1234",
        "ip -4 rule add not fwmark 1234 table 1234",
        "ip -4 rule add table main suppress_prefixlength 0",
        "sysctl -q net.ipv4.conf.all.src_valid_mark=1",
    ]
    assert "FwMark = 0x4d2" in client.config_path.read_text()
    assert result["changed"] is True
    assert client.present(allowed_ips=FULL, fwmark=1234)["changed"] is False
    live = client.host.policy_state()
    client.host.reboot()
    assert client.host.policy_state() == live


def test_changing_the_fwmark_moves_the_table(client):
    client.present(allowed_ips=FULL, fwmark=1234)
    client.present(allowed_ips=FULL, fwmark=5678)
    assert client.host.mutation_strings() == [
        "ip -4 rule del priority 32765 not fwmark 1234 table 1234",
        "ip -4 route del 0.0.0.0/0 dev wg0 table 1234",
        "ip -4 rule del priority 32764 table main suppress_prefixlength 0",
        "wg set wg0 fwmark 0x162e",
        "ip -4 route add 0.0.0.0/0 dev wg0 table 5678",
        "ip -4 rule add not fwmark 5678 table 5678",
        "ip -4 rule add table main suppress_prefixlength 0",
    ]
    assert client.present(allowed_ips=FULL, fwmark=5678)["changed"] is False
    live = client.host.policy_state()
    client.host.reboot()
    assert client.host.policy_state() == live


def test_fwmark_zero_with_default_route_is_wg_quick_default(client):
    client.present(allowed_ips=FULL, fwmark=0)
    assert client.host.wg["fwmark"] == 51820
    assert "FwMark" not in client.config_path.read_text()
    assert client.present(allowed_ips=FULL, fwmark=0)["changed"] is False


def test_table_of_another_interface_is_refused(client):
    client.host.add_table_route(51820, "0.0.0.0/0", "wg1")
    with pytest.raises(WireGuardInterfaceError) as exc:
        client.interface(allowed_ips=FULL).present()
    assert "wg0" in str(exc.value) and "wg1" in str(exc.value) and "fwmark" in str(exc.value)
    assert client.host.mutations == []
    assert client.present(allowed_ips=FULL, fwmark=51821)["changed"] is True


def test_interface_without_default_route_leaves_other_tunnel_alone(client):
    """wg1 is a full tunnel wg-quick brought up with table 51820."""
    client.host.add_table_route(51820, "0.0.0.0/0", "wg1")
    client.host.add_rule(4, "51820", invert=True, fwmark=51820)
    client.host.add_rule(4, "main", suppress_prefixlen=0)
    client.host.wg["fwmark"] = 51820           # even with the same mark
    client.write_config(fwmark=51820)
    result = client.present(fwmark=51820)
    assert result["changed"] is False and client.host.mutations == []


def test_manage_routes_false_sets_up_nothing(client):
    result = client.present(allowed_ips=FULL, manage_routes=False)
    assert client.host.mutation_strings() == ["wg set wg0 peer %s allowed-ips 0.0.0.0/0" % A]
    assert not any(c[:3] == ["ip", "-j", "-4"] and c[3] == "rule" for c in client.host.calls)
    assert result["changed"] is True


def test_ipv6_rules_unreadable_without_ipv6_default(client):
    client.host.failures[("ip", "-j", "-6", "rule")] = (2, "RTNETLINK answers: Address family not supported\n")
    client.present(allowed_ips=FULL)
    assert client.host.mutation_strings()[1:] == V4_ADD
    client.host.failures[("ip", "-j", "-6", "rule")] = (2, "RTNETLINK answers: Address family not supported\n")
    with pytest.raises(WireGuardInterfaceError) as exc:
        client.interface(allowed_ips=DUAL).present()
    assert "ip -j -6 rule show" in str(exc.value) and "Address family" in str(exc.value)


def test_created_by_wg_quick_is_already_correct(tmp_path):
    """systemd hosts: `systemctl restart wg-quick@wg0` does add_default itself."""
    world = Client(tmp_path)
    result = world.present(allowed_ips=DUAL)
    assert result["created"] is True
    assert world.host.mutation_strings() == ["systemctl restart %s" % UNIT, "systemctl enable %s" % UNIT]
    h = world.host
    assert h.wg["fwmark"] == 51820 and h.sysctl[SRC_VALID_MARK] == "1"
    assert (51820, "0.0.0.0/0", "wg0") in h.tables and (51820, "::/0", "wg0") in h.tables
    # the reconcile right after the restart read wg-quick's rules and found nothing to do
    assert policy_reads() == [" ".join(c) for c in h.calls if c[:4] in (
        ["ip", "-j", "-4", "rule"], ["ip", "-j", "-6", "rule"], ["ip", "-j", "-4", "route"],
        ["ip", "-j", "-6", "route"], ["sysctl", "-n", SRC_VALID_MARK]) and "main" not in c]
    again = world.present(allowed_ips=DUAL)
    assert again["changed"] is False and h.mutations == []


def test_created_without_systemd_matches_a_later_boot(tmp_path):
    world = Client(tmp_path, systemd=False)
    world.present(allowed_ips=FULL)
    assert world.host.mutation_strings() == [
        "ip link add dev wg0 type wireguard",
        "wg set wg0 private-key %s fwmark 0xca6c peer %s preshared-key /dev/null endpoint %s "
        "persistent-keepalive 25 allowed-ips 0.0.0.0/0" % (world.key_path, A, HUB_ENDPOINT),
        "ip address add 10.77.0.2/24 dev wg0",
        "ip link set dev wg0 up",
    ] + V4_ADD
    live = world.host.policy_state()
    world.host.enabled = True
    world.host.reboot()
    assert world.host.policy_state() == live


def test_absent_without_systemd_drops_the_rules(tmp_path):
    world = Client(tmp_path, systemd=False)
    world.present(allowed_ips=DUAL)
    result = world.absent()
    assert world.host.mutation_strings() == [
        "ip -4 rule del priority 32765 not fwmark 51820 table 51820",
        "ip -4 rule del priority 32764 table main suppress_prefixlength 0",
        "ip -6 rule del priority 32765 not fwmark 51820 table 51820",
        "ip -6 rule del priority 32764 table main suppress_prefixlength 0",
        "ip link del dev wg0",
    ]
    assert result["changed"] is True
    assert world.host.rules == dict((v, [dict(r) for r in rs]) for v, rs in DEFAULT_RULES.items())
    assert world.host.tables == set()


def test_absent_with_systemd_leaves_it_to_wg_quick_down(client):
    client.present(allowed_ips=FULL)
    client.absent()
    assert client.host.mutation_strings() == ["systemctl disable %s" % UNIT, "systemctl stop %s" % UNIT]
    assert client.host.rules == dict((v, [dict(r) for r in rs]) for v, rs in DEFAULT_RULES.items())
    assert client.host.tables == set()


def test_other_peer_keeps_its_routes(tmp_path):
    """A hub-side peer with a LAN next to the /0 peer: main-table routes as before."""
    world = Client(tmp_path).in_sync()
    peers = [module_peer(A, name="hub", allowed_ips=["0.0.0.0/0"], endpoint=HUB_ENDPOINT),
             module_peer(B, name="lan", allowed_ips=["192.168.50.0/24"])]
    world.present(peers=peers)
    assert "ip route add 192.168.50.0/24 dev wg0" in world.host.mutation_strings()
    assert world.host.mutation_strings()[-4:] == V4_ADD
    assert world.present(peers=peers)["changed"] is False


def test_table_read_failure_other_than_a_missing_table_is_reported(client):
    client.host.failures[("ip", "-j", "-4", "route", "show", "table")] = (1, "Permission denied\n")
    with pytest.raises(WireGuardInterfaceError) as exc:
        client.interface(allowed_ips=FULL).present()
    assert "table 51820" in str(exc.value) and "Permission denied" in str(exc.value)
    assert client.host.mutations == []
