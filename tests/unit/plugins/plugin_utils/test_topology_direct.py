# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Direct paths (issue 15): sites and NAT pairs in the plan, from the
inventory and the probes of the run's hosts; hostile input refused with
host, variable and fix."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import PlanError

from test_topology import HOSTVARS, KEYS, RANGE, peers, plan

NOW = 1767225600
FIVE = {"wg0": {"range": RANGE, "members": "five", "hubs": "two_hubs", "nat_traversal": True}}


def _vars(**changes):
    hostvars = copy.deepcopy(HOSTVARS)
    for host, values in changes.items():
        hostvars[host] = dict(hostvars[host], **values)
    return hostvars


def probe(address=None, endpoints=None, handshakes=None, now=NOW):
    return {"now": now, "default_ipv4": address, "wg_endpoints": {"wg0": endpoints or {}},
            "wg_handshakes": {"wg0": handshakes or {}}}


def hub_view(seen, age=10):
    """A hub's probe that saw each host of seen (host -> ip:port) `age` s ago."""
    return probe("203.0.113.1", dict((KEYS[h], e) for h, e in seen.items()),
                 dict((KEYS[h], NOW - age) for h in seen))


SITE = _vars(spoke1={"wireguard_site": "home"}, spoke2={"wireguard_interfaces": {"wg0": {"site": "home"}}})
SITE_PROBES = {"spoke1": probe("192.168.10.5"), "spoke2": probe("192.168.10.6")}


def test_site_neighbours_are_watched_peers_over_the_site_endpoint():
    result = plan(hostvars=SITE, probes=SITE_PROBES)
    one, two = peers(result, "spoke1"), peers(result, "spoke2")
    assert one["spoke2"] == {"name": "spoke2", "public_key": KEYS["spoke2"], "allowed_ips": ["10.77.0.3/32"],
                             "endpoint": "192.168.10.6:51820", "persistent_keepalive": 0, "path": "site",
                             "relay_public_key": KEYS["hub1"]}
    assert two["spoke1"]["endpoint"] == "192.168.10.5:51820"
    assert two["spoke1"]["allowed_ips"] == ["10.77.0.2/32", "192.168.10.0/24"]
    # The relay no longer carries the neighbour's LAN: no prefix twice.
    assert "192.168.10.0/24" not in two["hub1"]["allowed_ips"]
    assert "path" not in two["hub1"]
    # Everyone else still reaches them through the hub.
    assert set(peers(result, "spoke3")) == {"hub1"}
    assert "192.168.10.0/24" in peers(result, "spoke3")["hub1"]["allowed_ips"]


def test_explicit_site_endpoint_wins_and_takes_the_member_port():
    hostvars = _vars(spoke1={"wireguard_site": "home", "wireguard_site_endpoint": "lan-host.home.arpa"},
                     spoke2={"wireguard_site": "home", "wireguard_port": 51999})
    result = plan(hostvars=hostvars, probes=SITE_PROBES)
    assert peers(result, "spoke2")["spoke1"]["endpoint"] == "lan-host.home.arpa:51820"
    assert peers(result, "spoke1")["spoke2"]["endpoint"] == "192.168.10.6:51999"


def test_unknown_site_endpoint_keeps_the_pair_on_the_hub_and_says_so():
    result = plan(hostvars=SITE, probes={"spoke1": probe("192.168.10.5")})
    net = result["networks"]["wg0"]
    assert net["site_unknown"] == ["spoke2"]
    assert set(peers(result, "spoke1")) == {"hub1"} and set(peers(result, "spoke2")) == {"hub1"}


def test_a_neighbour_outside_the_run_keeps_the_endpoint_its_neighbour_has_live():
    live = {"spoke1": probe("192.168.10.5", {KEYS["spoke2"]: "192.168.10.6:51820"})}
    result = plan(hostvars=SITE, probes=live)
    assert result["networks"]["wg0"]["site_unknown"] == []
    assert peers(result, "spoke1")["spoke2"]["endpoint"] == "192.168.10.6:51820"


def test_sites_in_a_mesh_are_plain_peers_with_the_site_endpoint():
    hostvars = _vars(spoke1={"wireguard_site": "home"}, spoke2={"wireguard_site": "home"})
    result = plan(networks={"wg0": {"range": RANGE, "topology": "mesh", "members": ["spoke1", "spoke2", "spoke3"]}},
                  hostvars=dict(hostvars, spoke1=dict(hostvars["spoke1"], wireguard_endpoint="198.51.100.2")),
                  probes=SITE_PROBES)
    entry = peers(result, "spoke1")["spoke2"]
    assert entry["endpoint"] == "192.168.10.6:51820" and "path" not in entry
    assert peers(result, "spoke2")["spoke1"]["endpoint"] == "192.168.10.5:51820"


def test_hubs_ignore_sites():
    hostvars = _vars(spoke1={"wireguard_site": "dc"}, hub1={"wireguard_site": "dc"})
    result = plan(hostvars=hostvars, probes={"spoke1": probe("10.1.0.2"), "hub1": probe("10.1.0.1")})
    assert set(peers(result, "spoke1")) == {"hub1"}
    assert peers(result, "spoke1")["hub1"]["endpoint"] == "hub1.example.com:51820"


# ---------------------------------------------------------------- NAT pairs
def test_nat_pair_from_what_the_hubs_observed():
    probes = {"hub1": hub_view({"spoke1": "198.51.100.7:51820", "spoke2": "198.51.100.8:40000"}),
              "hub2": hub_view({"spoke1": "198.51.100.7:51820"})}
    result = plan(networks=FIVE, probes=probes)
    net = result["networks"]["wg0"]
    assert net["nat_pending"] == [] and net["nat_symmetric"] == []
    entry = peers(result, "spoke1")["spoke2"]
    assert entry == {"name": "spoke2", "public_key": KEYS["spoke2"], "allowed_ips": ["10.77.0.3/32"],
                     "endpoint": "198.51.100.8:40000", "persistent_keepalive": 25, "path": "nat",
                     "relay_public_key": KEYS["hub1"]}
    assert peers(result, "spoke2")["spoke1"]["endpoint"] == "198.51.100.7:51820"
    assert "192.168.10.0/24" not in peers(result, "spoke2")["hub1"]["allowed_ips"]
    # spoke3 has a public endpoint: no NAT pair for it.
    assert "spoke3" not in peers(result, "spoke1")


def test_two_hubs_two_ports_is_a_symmetric_nat():
    probes = {"hub1": hub_view({"spoke1": "198.51.100.7:3000", "spoke2": "198.51.100.8:40000"}),
              "hub2": hub_view({"spoke1": "198.51.100.7:3001", "spoke2": "198.51.100.8:40000"})}
    result = plan(networks=FIVE, probes=probes)
    net = result["networks"]["wg0"]
    assert net["nat_symmetric"] == ["spoke1"] and net["nat_pending"] == []
    assert "spoke2" not in peers(result, "spoke1") and "spoke1" not in peers(result, "spoke2")


def test_stale_views_do_not_count_and_the_members_are_pending():
    probes = {"hub1": hub_view({"spoke1": "198.51.100.7:51820", "spoke2": "198.51.100.8:40000"}, age=400)}
    result = plan(networks=FIVE, probes=probes)
    assert result["networks"]["wg0"]["nat_pending"] == ["spoke1", "spoke2"]
    assert "spoke2" not in peers(result, "spoke1")


def test_without_the_hubs_the_partner_keeps_what_it_has_live():
    """--limit spoke1,spoke2: no hub probed, the pair stays as it is."""
    probes = {"spoke1": probe(None, {KEYS["spoke2"]: "198.51.100.8:40000"}),
              "spoke2": probe(None, {KEYS["spoke1"]: "198.51.100.7:51820"})}
    result = plan(networks=FIVE, probes=probes)
    assert peers(result, "spoke1")["spoke2"]["endpoint"] == "198.51.100.8:40000"


def test_same_site_members_are_not_a_nat_pair():
    probes = dict(SITE_PROBES, hub1=hub_view({"spoke1": "198.51.100.7:51820", "spoke2": "198.51.100.7:1024"}))
    result = plan(networks=FIVE, hostvars=SITE, probes=probes)
    assert peers(result, "spoke1")["spoke2"]["path"] == "site"
    assert result["networks"]["wg0"]["nat_pending"] == []


def test_no_nat_pairs_without_nat_traversal_or_in_a_mesh():
    probes = {"hub1": hub_view({"spoke1": "198.51.100.7:51820", "spoke2": "198.51.100.8:40000"})}
    off = dict(FIVE["wg0"], nat_traversal=False)
    assert "spoke2" not in peers(plan(networks={"wg0": off}, probes=probes), "spoke1")


def test_check_mode_without_keys_plans_no_watched_peer():
    keys = {"wg0": dict((h, k) for h, k in KEYS.items() if h != "hub1")}
    result = plan(hostvars=SITE, probes=SITE_PROBES, public_keys=keys, allow_missing_keys=True)
    assert set(peers(result, "spoke1")) == set()


# ---------------------------------------------------------------- hostile input
CASES = [
    ("site-a-number", dict(hostvars=_vars(spoke1={"wireguard_site": 5})),
     ["host spoke1", "wireguard_site", "a number (5)", "as text"]),
    ("site-a-list", dict(hostvars=_vars(spoke1={"wireguard_interfaces": {"wg0": {"site": ["home"]}}})),
     ["host spoke1", "wireguard_interfaces.wg0.site", "a list"]),
    ("site-with-newline", dict(hostvars=_vars(spoke1={"wireguard_site": "home\nEndpoint = x"})),
     ["host spoke1", "wireguard_site", "not a usable site name"]),
    ("site-endpoint-malformed", dict(hostvars=_vars(spoke1={"wireguard_site": "h", "wireguard_site_endpoint": "h:port"})),
     ["host spoke1", "wireguard_site_endpoint", "host[:port]"]),
    ("site-endpoint-a-number", dict(hostvars=_vars(spoke1={"wireguard_site": "h", "wireguard_site_endpoint": 7})),
     ["host spoke1", "wireguard_site_endpoint", "a number (7)"]),
    ("site-endpoint-without-site", dict(hostvars=_vars(spoke1={"wireguard_site_endpoint": "192.168.10.5"})),
     ["host spoke1", "wireguard_site_endpoint is set but wireguard_site is not"]),
    ("site-endpoint-in-tunnel", dict(hostvars=_vars(spoke1={"wireguard_site": "h", "wireguard_site_endpoint": "10.77.0.9"})),
     ["host spoke1", "wireguard_site_endpoint", "routed into the tunnel"]),
    ("site-typo", dict(hostvars=_vars(spoke1={"wireguard_interfaces": {"wg0": {"stie": "home"}}})),
     ["host spoke1", "wireguard_interfaces.wg0.stie", "did you mean site"]),
    ("nat-traversal-text", dict(networks={"wg0": {"range": RANGE, "nat_traversal": "yes"}}),
     ["network wg0", "nat_traversal is the text 'yes'", "true or false"]),
    ("client-with-site", dict(networks={"wg0": {"range": RANGE, "clients": {
        "phone": {"address": "10.77.0.50", "site": "home"}}}}),
     ["client phone", "site"]),
]


@pytest.mark.parametrize("kwargs, words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_refused_with_a_message(kwargs, words):
    with pytest.raises(PlanError) as exc:
        plan(**copy.deepcopy(kwargs))
    for word in words:
        assert word in str(exc.value), (word, str(exc.value))


@pytest.mark.parametrize("junk", [None, "x", [], {"hub1": "x"}, {"hub1": {"now": "x", "wg_endpoints": []}},
                                  {"hub1": {"now": NOW, "wg_endpoints": {"wg0": {KEYS["spoke1"]: 5}},
                                            "wg_handshakes": {"wg0": {KEYS["spoke1"]: "x"}}}},
                                  {"spoke1": {"default_ipv4": "not an address"}}])
def test_junk_probes_plan_nothing_direct(junk):
    result = plan(networks=FIVE, hostvars=SITE, probes=junk)
    assert set(peers(result, "spoke1")) == {"hub1", "hub2"}


# ---------------------------------------------------------------- plan step and report
def test_plan_step_waits_for_the_pending_members_on_the_hubs_of_the_run():
    from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _plan_step
    first = plan(networks=FIVE, probes={"hub1": probe(), "spoke1": probe()})
    assert _plan_step.nat_wait(first, {"hub1": {}, "spoke1": {}, "spoke2": {}}) == {
        "hub1": [KEYS["spoke1"], KEYS["spoke2"]]}
    # spoke2 is not in this run (down, or outside --limit): not waited for.
    assert _plan_step.nat_wait(first, {"hub1": {}, "spoke1": {}}) == {"hub1": [KEYS["spoke1"]]}
    probes = {"hub1": hub_view({"spoke1": "198.51.100.7:51820", "spoke2": "198.51.100.8:40000"}),
              "spoke1": probe(), "spoke2": probe(), "spoke3": probe()}
    second = plan(networks=FIVE, probes=_plan_step.merge_probes({"hub1": probe()}, probes))
    assert _plan_step.nat_wait(second, probes) == {}
    assert _plan_step.changed_hosts(first, second, list(probes)) == ["spoke1", "spoke2"]
    assert _plan_step.direct_summary(second)["wg0"]["nat_pairs"] == [["spoke1", "spoke2"]]
    # A skipped second probe does not replace the first.
    assert _plan_step.merge_probes({"hub1": {"now": 1}}, {"hub1": {"skipped": True}}) == {"hub1": {"now": 1}}


def test_plan_report_shows_sites_pairs_and_symmetric_members():
    from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _plan_report
    probes = dict(SITE_PROBES, hub1=hub_view({"spoke1": "198.51.100.7:1", "spoke3": "198.51.100.9:2"}),
                  hub2=hub_view({"spoke1": "198.51.100.7:3"}))
    hostvars = _vars(spoke1={"wireguard_site": "home"}, spoke2={"wireguard_site": "home"},
                     spoke3={"wireguard_endpoint": None})
    text = "\n".join(_plan_report.report(plan(networks=FIVE, hostvars=hostvars, probes=probes))["table"])
    assert "wg0 site home: spoke1, spoke2 peer directly (site)" in text
    assert "symmetric NAT" in text and ": spoke1" in text
    assert "spoke2 (site)" in text
    pairs = plan(networks=FIVE, hostvars=hostvars, probes=dict(probes, hub2=probe()))
    text = "\n".join(_plan_report.report(pairs)["table"])
    assert "wg0 NAT pair (nat): spoke1 <-> spoke3" in text and "spoke3 (nat)" in text


def test_a_linux_host_without_systemd_keeps_to_the_hub():
    # No systemd, no timer to run the watchdog: the host gets no watched
    # peers, and its site neighbours none for it (a one-sided entry would
    # drop their packets); the plan names it.
    three = _vars(spoke1={"wireguard_site": "home"}, spoke2={"wireguard_site": "home"},
                  spoke3={"wireguard_site": "home"})
    probes = dict(SITE_PROBES, spoke3=probe("192.168.10.7"))
    probes["spoke3"]["systemd"] = False
    result = plan(hostvars=three, probes=probes)
    assert result["networks"]["wg0"]["no_watchdog"] == ["spoke3"]
    assert set(peers(result, "spoke3")) == {"hub1"}
    assert "spoke3" not in peers(result, "spoke1") and "spoke2" in peers(result, "spoke1")
    assert "10.77.0.4/32" not in sum((p["allowed_ips"] for p in peers(result, "spoke1").values()
                                      if p["name"] != "hub1"), [])


@pytest.mark.parametrize("how", ["group", "probe"])
def test_openwrt_routers_get_direct_paths_their_cron_watchdog_keeps(how):
    # OpenWrt has no systemd; its watchdog runs from cron, so a router in a
    # site gets its neighbours as watched peers like any other member.
    three = _vars(spoke1={"wireguard_site": "home"}, spoke2={"wireguard_site": "home"},
                  spoke3={"wireguard_site": "home"})
    probes = dict(SITE_PROBES, spoke3=probe("192.168.10.7"))
    probes["spoke3"]["systemd"] = False
    if how == "group":
        three["spoke3"]["group_names"] = ["wireguard", "openwrt"]
    else:
        probes["spoke3"]["openwrt"] = True
    result = plan(hostvars=three, probes=probes)
    assert result["networks"]["wg0"]["no_watchdog"] == []
    router = peers(result, "spoke3")
    assert set(router) == {"hub1", "spoke1", "spoke2"}
    assert router["spoke1"]["path"] == "site" and router["spoke1"]["endpoint"].startswith("192.168.10.")
    assert peers(result, "spoke1")["spoke3"]["endpoint"] == "192.168.10.7:51820"
