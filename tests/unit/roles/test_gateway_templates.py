# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""roles/gateway: the templates rendered as Ansible renders them, then checked
by the tools that will read them.

The variables come from the role itself: defaults/main.yml, the set_fact
expression of tasks/main.yml (so `__gateway` is what wg_gateway_plan returns
for the role's own arguments), the firewalld zone lookup of
tasks/firewalld.yml run against a fake firewall-cmd, and __gateway_policies of
vars/main.yml. The interface plans and facts are those of
tests/unit/plugins/plugin_utils/test_gateway_data.yaml.

Scenarios: a hub that only relays, a LAN gateway, a dual-stack egress
gateway, a site router with three LANs, and a LAN gateway without masquerade.

- iptables script: `shellcheck -s sh` and `sh -n`, then run against fake
  iptables/ip6tables (a stateful shell stub that logs every call): apply
  builds exactly the wanted chains, checks each jump with -C before -I and
  adds nothing on a second run; check exits 0 on equal chains and 1 on a
  missing rule, stale rule, missing chain or missing jump, and changes nothing.
- nftables file: `nft -c -f` (dry run; skipped only where nft cannot run),
  one masquerade rule per (out interface, family), the forward rules.
- firewalld XML: parsed with xml.etree; zone target (REJECT is %%REJECT%%),
  interfaces, forward; policy zones, ports, masquerade; and the zones the
  policies open compared with what the plan forwards.
- the boot unit.
"""

from __future__ import annotations

import base64
import configparser
import copy
import os
import re
import shutil
import sys
import stat
import subprocess
import xml.etree.ElementTree as ET

import jinja2
import pytest
import yaml
from ansible.plugins.filter import core as core_filters
from ansible.plugins.filter import mathstuff
from jinja2.nativetypes import NativeEnvironment

from ansible_collections.wgnet.wireguard.plugins.filter import network
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import host_interfaces
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import plan_networks

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ROLE = os.path.join(REPO, "roles", "gateway")
DATA_FILE = os.path.join(REPO, "tests", "unit", "plugins", "plugin_utils", "test_gateway_data.yaml")
ANSIBLE_MANAGED = "Ansible managed"
with open(DATA_FILE) as _handle:
    DATA = yaml.safe_load(_handle)


def _yaml(*parts):
    with open(os.path.join(ROLE, *parts)) as handle:
        return yaml.safe_load(handle)


def _key(i):
    return base64.b64encode(bytes([i % 256, i // 256]) * 16).decode("ascii")


def host_plan(inventory, host, hostvars=None):
    inv = DATA["inventories"][inventory]
    hostvars = inv["hostvars"] if hostvars is None else hostvars
    names = sorted(hostvars)
    keys = dict((i, dict((h, _key(n + 1)) for n, h in enumerate(names))) for i in inv["networks"])
    return host_interfaces(plan_networks(hostvars, inv["networks"], inv["groups"], keys), host)


# ---------------------------------------------------------------- rendering like Ansible


# ansible.builtin.template: trim_blocks on, lstrip_blocks off; an undefined variable is an error.
TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.join(ROLE, "templates")),
                               trim_blocks=True, lstrip_blocks=False, keep_trailing_newline=True,
                               undefined=jinja2.StrictUndefined)
# Variables and task arguments: a lone {{ expression }} keeps its type, as in Ansible.
NATIVE = NativeEnvironment(undefined=jinja2.StrictUndefined)
TEXT = jinja2.Environment(undefined=jinja2.StrictUndefined)
for _env in (NATIVE, TEXT):
    _env.filters.update(core_filters.FilterModule().filters())
    _env.filters.update(mathstuff.FilterModule().filters())
    _env.filters["wgnet.wireguard.wg_gateway_plan"] = network.wg_gateway_plan


def resolve(value, context):
    """Template a variable's value the way Ansible would, recursively."""
    if isinstance(value, str):
        return NATIVE.from_string(value).render(context) if "{{" in value else value
    if isinstance(value, list):
        return [resolve(v, context) for v in value]
    if isinstance(value, dict):
        return dict((k, resolve(v, context)) for k, v in value.items())
    return value


def task(tasks_file, name):
    found = [t for t in _yaml("tasks", tasks_file) if t["name"] == name]
    assert len(found) == 1, name
    return found[0]


def render(template, context):
    return TEMPLATES.get_template(template).render(context)


# Fake firewall-cmd: FAKE_ZONES="eth1=internal ..." says which interface is in which zone;
# like the real one, an interface in no zone prints "no zone" on stderr and exits 2.
FIREWALL_CMD = r"""#!/bin/sh
case $1 in
--get-zone-of-interface=*)
    want=${1#--get-zone-of-interface=}
    for pair in $FAKE_ZONES; do
        if [ "${pair%%=*}" = "$want" ]; then echo "${pair#*=}"; exit 0; fi
    done
    echo "no zone" >&2
    exit 2 ;;
--get-default-zone)
    echo public ;;
*)
    echo "fake firewall-cmd: unexpected $*" >&2
    exit 1 ;;
esac
"""


def _executable(path, text):
    with open(path, "w") as handle:
        handle.write(text)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def role_context(tmp_path, inventory, host, zones=None, facts=None, hostvars=None, **role_vars):
    """Every variable the templates use, computed by the role's own expressions."""
    context = _yaml("defaults", "main.yml")
    context.update(role_vars)
    context["ansible_managed"] = ANSIBLE_MANAGED
    context["inventory_hostname"] = host
    context["ansible_facts"] = copy.deepcopy(DATA["facts"][host]) if facts is None else facts
    context["wireguard_host_plan"] = host_plan(inventory, host, hostvars)
    context["gateway_wireguard_interfaces"] = resolve(context["gateway_wireguard_interfaces"], context)
    context["__gateway"] = resolve(task("main.yml", "Plan this gateway")["ansible.builtin.set_fact"]["__gateway"],
                                   context)

    # tasks/firewalld.yml asks firewalld for the zone of each LAN and egress interface.
    lookup = TEXT.from_string(task("firewalld.yml", "Find the zones of the LAN and egress interfaces")
                              ["ansible.builtin.shell"]).render(context)
    bindir = tmp_path / "firewalld-bin"
    bindir.mkdir(exist_ok=True)
    _executable(str(bindir / "firewall-cmd"), FIREWALL_CMD)
    env = dict(os.environ, PATH="%s:%s" % (bindir, os.environ.get("PATH", "/usr/bin:/bin")),
               FAKE_ZONES=" ".join("%s=%s" % z for z in sorted((zones or {}).items())))
    run = subprocess.run(["sh", "-c", lookup], env=env, capture_output=True, text=True, timeout=30, check=False)
    assert run.returncode == 0, run.stderr
    context["__gateway_zone_lookup"] = lookup
    context["__gateway_fwd_zones"] = {"stdout_lines": run.stdout.splitlines()}

    variables = _yaml("vars", "main.yml")
    for name, value in variables.items():
        if name != "__gateway_policies":
            context[name] = resolve(value, context)
    context["__gateway_policies"] = resolve(variables["__gateway_policies"], context)
    return context


# name -> (inventory, host, firewalld zone of each interface, role variables)
SCENARIOS = {
    "hub": ("gateways", "hub", {"eth0": "public"}, {}),
    "lan": ("gateways", "homegw", {"eth0": "external", "eth1": "internal"}, {}),
    "egress6": ("egress", "cloud", {}, {}),
    "router": ("sites", "router", {"br-lan": "internal", "eth2": "internal"}, {}),
    "lan_nomasq": ("gateways", "homegw", {"eth1": "internal"}, {"gateway_masquerade": False}),
}


@pytest.fixture(params=sorted(SCENARIOS))
def scenario(request, tmp_path):
    inventory, host, zones, role_vars = SCENARIOS[request.param]
    context = role_context(tmp_path, inventory, host, zones, **role_vars)
    context["scenario"] = request.param
    return context


def test_the_scenarios_are_what_they_claim(tmp_path):
    gw = dict((name, role_context(tmp_path, *SCENARIOS[name][:3], **SCENARIOS[name][3])["__gateway"])
              for name in SCENARIOS)
    assert gw["hub"]["lan_interfaces"] == [] and gw["hub"]["egress_interfaces"] == []
    assert gw["hub"]["masquerade_interfaces"] == [] and gw["hub"]["forward"] == [{"in": "wg0", "out": "wg0"}]
    assert gw["lan"]["lan_interfaces"] == ["eth1"] and gw["lan"]["masquerade_interfaces"] == ["eth1"]
    assert gw["egress6"]["egress_interfaces"] == ["eth0"] and gw["egress6"]["ipv6"] is True
    assert gw["egress6"]["sources6"] == ["fd40:1:2:3::/64", "fd90::/64"]
    assert gw["router"]["lan_interfaces"] == ["br-lan", "eth1.20", "eth2"]
    assert gw["lan_nomasq"]["masquerade_interfaces"] == [] and gw["lan_nomasq"]["lan_interfaces"] == ["eth1"]


def test_role_defaults_reach_the_planner_as_detect(tmp_path):
    # gateway_lan_interfaces: [] and gateway_egress_interface: "" must mean "from the facts".
    context = role_context(tmp_path, "egress", "cloud")
    assert context["gateway_lan_interfaces"] == [] and context["gateway_egress_interface"] == ""
    assert context["__gateway"]["egress_interfaces"] == ["eth0"]
    context = role_context(tmp_path, "gateways", "homegw", gateway_lan_interfaces=["eth9"],
                           gateway_egress_interface="ens5", gateway_proxy_arp_interfaces=["eth9"])
    assert context["__gateway"]["lan_interfaces"] == ["eth9"]
    assert context["__gateway"]["sysctls"]["net.ipv4.conf.eth9.proxy_arp"] == 1


# ---------------------------------------------------------------- iptables script


IPTABLES = r"""#!/bin/sh
# Fake iptables/ip6tables. State: $FAKE_IPT_STATE/<tool>/<table>/<chain> holds the
# chain's `-S` output, <builtin>.jumps the chains its jump rules target.
# Every call is appended to $FAKE_IPT_LOG.
tool=${0##*/}
printf '%s\n' "$tool $*" >>"$FAKE_IPT_LOG"
table=filter
while :; do
    case ${1-} in
    -w) shift ;;
    -t) table=$2; shift 2 ;;
    *) break ;;
    esac
done
dir=$FAKE_IPT_STATE/$tool/$table
mkdir -p "$dir"
op=${1-}
chain=${2-}
case $op in
-S)
    if [ ! -f "$dir/$chain" ]; then echo "$tool: No chain/target/match by that name." >&2; exit 1; fi
    cat "$dir/$chain" ;;
-N)
    if [ -f "$dir/$chain" ]; then echo "$tool: Chain already exists." >&2; exit 1; fi
    printf -- '-N %s\n' "$chain" >"$dir/$chain" ;;
-F)
    [ -f "$dir/$chain" ] || exit 1
    printf -- '-N %s\n' "$chain" >"$dir/$chain" ;;
-A)
    [ -f "$dir/$chain" ] || exit 1
    printf '%s\n' "$*" >>"$dir/$chain" ;;
-C)
    if [ $# -ne 4 ] || [ "$3" != -j ]; then echo "fake $tool: unexpected $*" >&2; exit 2; fi
    if ! grep -qx -- "$4" "$dir/$chain.jumps" 2>/dev/null; then
        echo "$tool: Bad rule (does a matching rule exist in that chain?)." >&2; exit 1
    fi ;;
-I)
    if [ $# -ne 5 ] || [ "$3" != 1 ] || [ "$4" != -j ]; then echo "fake $tool: unexpected $*" >&2; exit 2; fi
    printf '%s\n' "$5" >>"$dir/$chain.jumps" ;;
*)
    echo "fake $tool: unexpected $*" >&2
    exit 2 ;;
esac
"""
JUMPS = [("filter", "INPUT", "WGNET-INPUT"), ("filter", "FORWARD", "WGNET-FORWARD"),
         ("nat", "POSTROUTING", "WGNET-POSTROUTING")]


def wanted_chains(gw):
    """(tool, table, chain) -> `iptables -S chain` lines, written from the plan independently of the template."""
    result = {}
    families = [("iptables", gw["sources4"])] + ([("ip6tables", gw["sources6"])] if gw["ipv6"] else [])
    for tool, sources in families:
        result[(tool, "filter", "WGNET-INPUT")] = ["-N WGNET-INPUT"] + [
            "-A WGNET-INPUT -p udp -m udp --dport %d -j ACCEPT" % p for p in gw["listen_ports"]]
        result[(tool, "filter", "WGNET-FORWARD")] = [
            "-N WGNET-FORWARD", "-A WGNET-FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"] + [
            "-A WGNET-FORWARD -i %s -o %s -j ACCEPT" % (f["in"], f["out"]) for f in gw["forward"]]
        result[(tool, "nat", "WGNET-POSTROUTING")] = ["-N WGNET-POSTROUTING"] + [
            "-A WGNET-POSTROUTING -s %s -o %s -j MASQUERADE" % (s, out)
            for out in gw["masquerade_interfaces"] for s in sources]
    return result


class FakeIptables(object):
    def __init__(self, tmp_path, script):
        self.root = tmp_path / "ipt"
        self.bin = self.root / "bin"
        self.state = self.root / "state"
        self.log = self.root / "calls.log"
        self.bin.mkdir(parents=True)
        self.state.mkdir()
        for tool in ("iptables", "ip6tables"):
            _executable(str(self.bin / tool), IPTABLES)
        self.script = str(self.root / "wgnet-gateway-iptables")
        _executable(self.script, script)

    def run(self, mode):
        self.log.write_text("")
        env = dict(os.environ, PATH="%s:%s" % (self.bin, os.environ.get("PATH", "/usr/bin:/bin")),
                   FAKE_IPT_STATE=str(self.state), FAKE_IPT_LOG=str(self.log))
        done = subprocess.run(["sh", self.script, mode], env=env, capture_output=True, text=True, timeout=60, check=False)
        assert "unexpected" not in done.stderr, done.stderr
        return done.returncode

    def calls(self):
        return self.log.read_text().splitlines()

    def chains(self):
        result = {}
        for tool in ("iptables", "ip6tables"):
            for table in ("filter", "nat"):
                folder = self.state / tool / table
                if folder.is_dir():
                    for entry in sorted(os.listdir(str(folder))):
                        if not entry.endswith(".jumps"):
                            result[(tool, table, entry)] = (folder / entry).read_text().splitlines()
        return result

    def jumps(self):
        result = {}
        for tool in ("iptables", "ip6tables"):
            for table in ("filter", "nat"):
                folder = self.state / tool / table
                if folder.is_dir():
                    for entry in sorted(os.listdir(str(folder))):
                        if entry.endswith(".jumps"):
                            result[(tool, table, entry[:-6])] = (folder / entry).read_text().splitlines()
        return result

    def write(self, tool, table, name, lines):
        folder = self.state / tool / table
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("".join(line + "\n" for line in lines))


def wanted_jumps(gw):
    tools = ["iptables"] + (["ip6tables"] if gw["ipv6"] else [])
    return dict(((tool, table, parent), [chain]) for tool in tools for table, parent, chain in JUMPS)


def test_iptables_script_passes_shellcheck_and_sh_n(scenario, tmp_path):
    if not shutil.which("shellcheck"):
        pytest.skip("shellcheck is not installed")
    path = tmp_path / "wgnet-gateway-iptables"
    path.write_text(render("wgnet-gateway-iptables.sh.j2", scenario))
    done = subprocess.run(["shellcheck", "-s", "sh", str(path)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    done = subprocess.run(["sh", "-n", str(path)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


def test_iptables_script_covers_ipv6_only_when_the_plan_does(scenario):
    text = render("wgnet-gateway-iptables.sh.j2", scenario)
    assert text.startswith("#!/bin/sh\n# %s\n" % ANSIBLE_MANAGED)
    assert ("sync_chain ip6tables" in text) is scenario["__gateway"]["ipv6"]
    assert text.count("sync_chain iptables ") == 3


def test_iptables_apply_builds_the_wanted_chains_and_checks_each_jump_first(scenario, tmp_path):
    gw = scenario["__gateway"]
    fake = FakeIptables(tmp_path, render("wgnet-gateway-iptables.sh.j2", scenario))
    # A fresh host: no chain, no jump.
    assert fake.run("apply") == 0
    assert fake.chains() == wanted_chains(gw)
    assert fake.jumps() == wanted_jumps(gw)
    calls = fake.calls()
    inserts = [n for n, c in enumerate(calls) if " -I " in c]
    assert len(inserts) == len(wanted_jumps(gw))
    for n in inserts:
        tool, _w, _t, table, _i, parent, _one, _j, chain = calls[n].split()
        # `-C parent -j chain || -I parent 1 -j chain`: the check comes right before the insert.
        assert calls[n - 1] == "%s -w -t %s -C %s -j %s" % (tool, table, parent, chain)
    # The chains are built before anything jumps to them.
    for n in inserts:
        tool, table, chain = calls[n].split()[0], calls[n].split()[3], calls[n].split()[-1]
        assert any(c == "%s -w -t %s -N %s" % (tool, table, chain) for c in calls[:n])

    # Live now equals wanted: check agrees and touches nothing.
    assert fake.run("check") == 0
    assert all(c.split()[4] in ("-S", "-C") for c in fake.calls())

    # A second apply inserts no second jump and leaves the same chains.
    assert fake.run("apply") == 0
    assert not [c for c in fake.calls() if " -I " in c]
    assert fake.chains() == wanted_chains(gw)
    assert fake.jumps() == wanted_jumps(gw)


# What `iptables -S` prints on the LAN gateway (homegw) once the chains are right, typed by hand.
HOMEGW_LIVE = {
    ("iptables", "filter", "WGNET-INPUT"): """\
-N WGNET-INPUT
-A WGNET-INPUT -p udp -m udp --dport 51820 -j ACCEPT""",
    ("iptables", "filter", "WGNET-FORWARD"): """\
-N WGNET-FORWARD
-A WGNET-FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A WGNET-FORWARD -i wg0 -o wg0 -j ACCEPT
-A WGNET-FORWARD -i wg0 -o eth1 -j ACCEPT
-A WGNET-FORWARD -i eth1 -o wg0 -j ACCEPT""",
    ("iptables", "nat", "WGNET-POSTROUTING"): """\
-N WGNET-POSTROUTING
-A WGNET-POSTROUTING -s 10.82.0.0/24 -o eth1 -j MASQUERADE
-A WGNET-POSTROUTING -s 172.17.50.0/24 -o eth1 -j MASQUERADE""",
}


@pytest.fixture
def homegw_live(tmp_path):
    context = role_context(tmp_path, "gateways", "homegw", {"eth1": "internal"})
    fake = FakeIptables(tmp_path, render("wgnet-gateway-iptables.sh.j2", context))
    for (tool, table, chain), text in HOMEGW_LIVE.items():
        fake.write(tool, table, chain, text.splitlines())
    for table, parent, chain in JUMPS:
        fake.write("iptables", table, parent + ".jumps", [chain])
    return fake


def test_iptables_check_is_0_when_live_equals_wanted(homegw_live):
    assert homegw_live.run("check") == 0
    assert all(c.split()[4] in ("-S", "-C") for c in homegw_live.calls())
    assert sorted(c for c in homegw_live.calls() if " -C " in c) == sorted(
        "iptables -w -t %s -C %s -j %s" % j for j in JUMPS)


@pytest.mark.parametrize("chain, change", [
    (("iptables", "filter", "WGNET-FORWARD"), "drop -A WGNET-FORWARD -i eth1 -o wg0 -j ACCEPT"),
    (("iptables", "nat", "WGNET-POSTROUTING"), "drop -A WGNET-POSTROUTING -s 172.17.50.0/24 -o eth1 -j MASQUERADE"),
    (("iptables", "filter", "WGNET-INPUT"), "add -A WGNET-INPUT -p udp -m udp --dport 51999 -j ACCEPT"),
    (("iptables", "filter", "WGNET-FORWARD"), "swap"),
    (("iptables", "nat", "WGNET-POSTROUTING"), "delete chain"),
])
def test_iptables_check_is_1_when_a_rule_differs(homegw_live, chain, change):
    tool, table, name = chain
    lines = HOMEGW_LIVE[chain].splitlines()
    if change.startswith("drop "):
        lines.remove(change[5:])
    elif change.startswith("add "):
        lines.append(change[4:])
    elif change == "swap":
        lines[-1], lines[-2] = lines[-2], lines[-1]
    if change == "delete chain":
        os.remove(str(homegw_live.state / tool / table / name))
    else:
        homegw_live.write(tool, table, name, lines)
    before = homegw_live.chains()
    assert homegw_live.run("check") == 1
    assert homegw_live.chains() == before


@pytest.mark.parametrize("table, parent, chain", JUMPS)
def test_iptables_check_is_1_when_a_jump_is_missing(homegw_live, table, parent, chain):
    homegw_live.write("iptables", table, parent + ".jumps", [])
    assert homegw_live.run("check") == 1
    assert homegw_live.jumps()[("iptables", table, parent)] == []


def test_iptables_apply_repairs_stale_chains_without_a_second_jump(homegw_live):
    # A rule from an older plan and a missing one; the jumps are all there.
    homegw_live.write("iptables", "filter", "WGNET-FORWARD",
                      HOMEGW_LIVE[("iptables", "filter", "WGNET-FORWARD")].splitlines()[:2]
                      + ["-A WGNET-FORWARD -i wg0 -o eth7 -j ACCEPT"])
    assert homegw_live.run("check") == 1
    assert homegw_live.run("apply") == 0
    assert "iptables -w -t filter -F WGNET-FORWARD" in homegw_live.calls()
    assert not [c for c in homegw_live.calls() if " -I " in c]
    assert homegw_live.chains() == dict((k, v.splitlines()) for k, v in HOMEGW_LIVE.items())
    assert homegw_live.run("check") == 0


def test_iptables_apply_adds_only_the_missing_jump(homegw_live):
    homegw_live.write("iptables", "nat", "POSTROUTING.jumps", [])
    assert homegw_live.run("apply") == 0
    inserts = [c for c in homegw_live.calls() if " -I " in c]
    assert inserts == ["iptables -w -t nat -I POSTROUTING 1 -j WGNET-POSTROUTING"]
    assert homegw_live.run("check") == 0


# ---------------------------------------------------------------- nftables


_NFT = {}


def nft_usable():
    """None when `nft -c -f` works here, else why not."""
    if "reason" not in _NFT:
        if not shutil.which("nft"):
            _NFT["reason"] = "nft is not installed"
        else:
            probe = subprocess.run(["nft", "-c", "-f", "-"], input="table inet wgnet_probe {}\n",
                                   capture_output=True, text=True, timeout=60, check=False)
            _NFT["reason"] = None if probe.returncode == 0 else (
                "nft cannot validate here (needs root / CAP_NET_ADMIN for its netlink cache): %s"
                % probe.stderr.strip())
    return _NFT["reason"]


def nft_tables():
    done = subprocess.run(["nft", "list", "table", "inet", "wgnet"], capture_output=True, text=True, timeout=60, check=False)
    return done.returncode, done.stdout


def nft_check(path):
    reason = nft_usable()
    if reason:
        pytest.skip(reason)
    before = nft_tables()
    done = subprocess.run(["nft", "-c", "-f", str(path)], capture_output=True, text=True, timeout=60, check=False)
    # -c is a dry run: the live ruleset keeps (or keeps lacking) its inet wgnet table.
    assert nft_tables() == before
    return done


MASQ = re.compile(r'^\t\t(ip|ip6) saddr \{ ([^}]*) \} oifname "([^"]+)" masquerade$')


def test_nft_file_passes_nft_check(scenario, tmp_path):
    path = tmp_path / "gateway.nft"
    path.write_text(render("gateway.nft.j2", scenario))
    done = nft_check(path)
    assert done.returncode == 0, done.stderr


def test_nft_check_really_rejects_a_broken_file(tmp_path):
    # Guards the test above against an nft that accepts anything.
    context = role_context(tmp_path, "egress", "cloud")
    path = tmp_path / "gateway.nft"
    path.write_text(render("gateway.nft.j2", context).replace("oifname", "oifnam", 1))
    assert nft_check(path).returncode != 0


def test_nft_one_masquerade_rule_per_out_interface_and_family(scenario):
    gw = scenario["__gateway"]
    text = render("gateway.nft.j2", scenario)
    rules = [MASQ.match(line).groups() for line in text.splitlines() if "masquerade" in line]
    families = [(f, s) for f, s in (("ip", gw["sources4"]), ("ip6", gw["sources6"])) if s]
    seen = [(out, family) for family, _s, out in rules]
    assert sorted(seen) == sorted((out, f) for out in gw["masquerade_interfaces"] for f, _s in families)
    assert len(seen) == len(set(seen))
    for family, sources, _out in rules:
        assert sources.split(", ") == dict(families)[family]
    assert ("chain postrouting" in text) is bool(gw["masquerade_interfaces"])


def test_nft_forward_and_input_rules_follow_the_plan(scenario):
    gw = scenario["__gateway"]
    text = render("gateway.nft.j2", scenario)
    assert "# %s\n" % ANSIBLE_MANAGED in text.splitlines(True)[:2]
    forward = re.findall(r'^\t\tiifname "([^"]+)" oifname "([^"]+)" accept$', text, re.M)
    assert forward == [(f["in"], f["out"]) for f in gw["forward"]]
    ports = re.findall(r"^\t\tudp dport \{ ([^}]*) \} accept$", text, re.M)
    assert ports == [", ".join(str(p) for p in gw["listen_ports"])]
    assert text.count("table inet wgnet {") == 2 and "delete table inet wgnet\n" in text


def test_egress_gateway_masquerades_both_families_on_its_uplink(tmp_path):
    text = render("gateway.nft.j2", role_context(tmp_path, "egress", "cloud"))
    assert '\t\tip saddr { 10.90.0.0/24, 192.168.40.0/24 } oifname "eth0" masquerade\n' in text
    assert '\t\tip6 saddr { fd40:1:2:3::/64, fd90::/64 } oifname "eth0" masquerade\n' in text


# ---------------------------------------------------------------- firewalld


@pytest.mark.parametrize("target, written", [("ACCEPT", "ACCEPT"), ("default", "default"), ("DROP", "DROP"),
                                             ("REJECT", "%%REJECT%%")])
def test_firewalld_zone(tmp_path, target, written):
    context = role_context(tmp_path, "egress", "cloud", gateway_firewalld_zone_target=target)
    text = render("firewalld-zone.xml.j2", context)
    assert "<!-- %s -->" % ANSIBLE_MANAGED in text
    zone = ET.fromstring(text.encode("utf-8"))
    assert zone.tag == "zone"
    assert zone.attrib == {"target": written}
    assert zone.find("short").text == "wgnet"
    assert [i.attrib for i in zone.findall("interface")] == [{"name": "wg1"}]
    assert zone.find("forward") is not None and len(zone.findall("forward")) == 1
    assert sorted(set(e.tag for e in zone)) == ["description", "forward", "interface", "short"]


def test_firewalld_zone_lists_every_forwarding_wg_interface(tmp_path):
    ifs = [{"interface": "wg0", "listen_port": 51820, "forwarding": True, "ranges": ["10.1.0.0/24"]},
           {"interface": "wg1", "listen_port": 51821, "forwarding": True, "ranges": ["10.2.0.0/24"]},
           {"interface": "wg2", "listen_port": 51822, "forwarding": False}]
    context = role_context(tmp_path, "gateways", "hub", gateway_wireguard_interfaces=ifs,
                           gateway_firewalld_zone="tunnels")
    zone = ET.fromstring(render("firewalld-zone.xml.j2", context).encode("utf-8"))
    assert [i.get("name") for i in zone.findall("interface")] == ["wg0", "wg1"]
    assert zone.find("short").text == "tunnels"


def policies(context):
    return dict((p["name"], p) for p in context["__gateway_policies"])


def parse_policy(context, item):
    text = render("firewalld-policy.xml.j2", dict(context, item=item))
    assert "<!-- %s -->" % ANSIBLE_MANAGED in text
    policy = ET.fromstring(text.encode("utf-8"))
    assert policy.tag == "policy"
    return policy


def test_firewalld_policies_render_as_their_items(scenario):
    for item in scenario["__gateway_policies"]:
        policy = parse_policy(scenario, item)
        assert policy.attrib == {"target": item["target"], "priority": str(item["priority"])}
        assert policy.find("short").text == item["name"]
        assert policy.find("description").text.endswith("(wgnet.wireguard)")
        assert [z.get("name") for z in policy.findall("ingress-zone")] == list(item["ingress"])
        assert [z.get("name") for z in policy.findall("egress-zone")] == list(item["egress"])
        assert [p.attrib for p in policy.findall("port")] == [
            {"protocol": "udp", "port": str(p)} for p in item["ports"]]
        assert len(policy.findall("masquerade")) == (1 if item["masquerade"] else 0)


def wanted_policies(context):
    return dict((name, p) for name, p in policies(context).items() if p["wanted"] is True)


def test_firewalld_policies_of_a_hub(tmp_path):
    context = role_context(tmp_path, *SCENARIOS["hub"][:3])
    assert context["__gateway_fwd_zones"]["stdout_lines"] == []
    assert [p["wanted"] for p in context["__gateway_policies"]] == [True, False, False]
    listen = parse_policy(context, policies(context)["wgnet-listen"])
    assert listen.attrib == {"target": "CONTINUE", "priority": "-100"}
    assert [z.get("name") for z in listen.findall("ingress-zone")] == ["ANY"]
    assert [z.get("name") for z in listen.findall("egress-zone")] == ["HOST"]
    assert [p.attrib for p in listen.findall("port")] == [{"protocol": "udp", "port": "51820"}]
    assert listen.find("masquerade") is None


def test_firewalld_policies_of_a_lan_gateway(tmp_path):
    context = role_context(tmp_path, *SCENARIOS["lan"][:3])
    assert sorted(wanted_policies(context)) == ["wgnet-in", "wgnet-listen", "wgnet-out"]
    out = parse_policy(context, policies(context)["wgnet-out"])
    assert [z.get("name") for z in out.findall("ingress-zone")] == ["wgnet"]
    assert [z.get("name") for z in out.findall("egress-zone")] == ["internal"]
    assert out.find("masquerade") is not None and out.findall("port") == []
    inbound = parse_policy(context, policies(context)["wgnet-in"])
    assert [z.get("name") for z in inbound.findall("ingress-zone")] == ["internal"]
    assert [z.get("name") for z in inbound.findall("egress-zone")] == ["wgnet"]
    assert inbound.find("masquerade") is None


def test_firewalld_policies_of_an_egress_gateway(tmp_path):
    context = role_context(tmp_path, *SCENARIOS["egress6"][:3])
    # eth0 is in no zone: the lookup falls back to the default zone.
    assert context["__gateway_fwd_zones"]["stdout_lines"] == ["eth0 public"]
    assert sorted(wanted_policies(context)) == ["wgnet-listen", "wgnet-out"]
    out = parse_policy(context, policies(context)["wgnet-out"])
    assert [z.get("name") for z in out.findall("egress-zone")] == ["public"]
    assert out.find("masquerade") is not None
    listen = parse_policy(context, policies(context)["wgnet-listen"])
    assert [p.get("port") for p in listen.findall("port")] == ["51821"]


def test_firewalld_zones_of_several_lans_are_listed_once(tmp_path):
    context = role_context(tmp_path, *SCENARIOS["router"][:3])
    # br-lan and eth2 are internal, eth1.20 is in no zone (default zone public).
    assert sorted(context["__gateway_fwd_zones"]["stdout_lines"]) == [
        "br-lan internal", "eth1.20 public", "eth2 internal"]
    assert sorted(context["__gateway_out_zones"]) == ["internal", "public"]
    assert policies(context)["wgnet-out"]["egress"] == context["__gateway_out_zones"]


def test_firewalld_no_masquerade_keeps_forwarding(tmp_path):
    context = role_context(tmp_path, *SCENARIOS["lan_nomasq"][:3], **SCENARIOS["lan_nomasq"][3])
    out = policies(context)["wgnet-out"]
    assert out["wanted"] is True and out["masquerade"] is False
    assert parse_policy(context, out).find("masquerade") is None


def test_firewalld_zone_lookup_is_valid_sh(scenario, tmp_path):
    if not shutil.which("shellcheck"):
        pytest.skip("shellcheck is not installed")
    path = tmp_path / "lookup.sh"
    path.write_text(scenario["__gateway_zone_lookup"])
    # SC2043 (a loop over one word) is only the rendering of a host with one interface.
    done = subprocess.run(["shellcheck", "-s", "sh", "-e", "SC2043", str(path)], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def forwarded_zones(context, zone_of):
    """The zone pairs the plan's forward list implies: what nftables and iptables accept."""
    gw = context["__gateway"]
    wg = set(gw["wg_interfaces"])
    out = [zone_of(f["out"]) for f in gw["forward"] if f["in"] in wg and f["out"] not in wg]
    inbound = [zone_of(f["in"]) for f in gw["forward"] if f["out"] in wg and f["in"] not in wg]
    return sorted(set(out)), sorted(set(inbound))


def opened_zones(context):
    """The zone pairs the firewalld policies accept."""
    wanted = wanted_policies(context)
    zone = context["gateway_firewalld_zone"]
    out = wanted["wgnet-out"]["egress"] if "wgnet-out" in wanted else []
    inbound = wanted["wgnet-in"]["ingress"] if "wgnet-in" in wanted else []
    if "wgnet-out" in wanted:
        assert wanted["wgnet-out"]["ingress"] == [zone]
    if "wgnet-in" in wanted:
        assert wanted["wgnet-in"]["egress"] == [zone]
    return sorted(set(out)), sorted(set(inbound))


def _zone_of(zones):
    return lambda name: zones.get(name, "public")


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_firewalld_opens_the_zones_the_plan_forwards(tmp_path, name):
    inventory, host, zones, role_vars = SCENARIOS[name]
    context = role_context(tmp_path, inventory, host, zones, **role_vars)
    assert opened_zones(context) == forwarded_zones(context, _zone_of(zones))


def _cloud_with_a_lan(tmp_path, **role_vars):
    """cloud, the egress gateway, also routes its VPC subnet 10.10.0.0/24 on eth1 (zone internal)."""
    hostvars = copy.deepcopy(DATA["inventories"]["egress"]["hostvars"])
    hostvars["cloud"]["wireguard_lan_subnets"] = ["10.10.0.0/24"]
    facts = copy.deepcopy(DATA["facts"]["cloud"])
    facts["interfaces"].append("eth1")
    facts["eth1"] = {"active": True, "device": "eth1", "type": "ether",
                     "ipv4": {"address": "10.10.0.5", "broadcast": "10.10.0.255", "netmask": "255.255.255.0",
                              "network": "10.10.0.0", "prefix": "24"}}
    zones = {"eth0": "public", "eth1": "internal"}
    return role_context(tmp_path, "egress", "cloud", zones, facts=facts, hostvars=hostvars, **role_vars), zones


def test_firewalld_egress_without_masquerade_still_forwards_out(tmp_path):
    context = role_context(tmp_path, "egress", "cloud", {"eth0": "public"}, gateway_masquerade=False)
    assert {"in": "wg1", "out": "eth0"} in context["__gateway"]["forward"]
    assert opened_zones(context) == forwarded_zones(context, _zone_of({"eth0": "public"}))


def test_firewalld_lan_and_egress_gateway_lets_only_the_lan_into_the_tunnel(tmp_path):
    context, zones = _cloud_with_a_lan(tmp_path)
    assert context["__gateway"]["lan_interfaces"] == ["eth1"]
    assert context["__gateway"]["egress_interfaces"] == ["eth0"]
    assert opened_zones(context) == forwarded_zones(context, _zone_of(zones))


_RENDER_WGNET_OUT = """
import pathlib, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import conftest  # noqa: F401  (makes the collection importable)
import test_gateway_templates as t
context, _zones = t._cloud_with_a_lan(pathlib.Path(sys.argv[3]))
sys.stdout.write(t.render("firewalld-policy.xml.j2", dict(context, item=t.policies(context)["wgnet-out"])))
"""


def test_firewalld_policies_are_the_same_on_every_run(tmp_path):
    rendered = set()
    for seed in range(4):
        work = tmp_path / str(seed)
        work.mkdir()
        done = subprocess.run(
            [sys.executable, "-c", _RENDER_WGNET_OUT, os.path.join(REPO, "tests", "unit"),
             os.path.dirname(os.path.abspath(__file__)), str(work)],
            env=dict(os.environ, PYTHONHASHSEED=str(seed)), capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        rendered.add(done.stdout)
    assert len(rendered) == 1, sorted(rendered)


def test_firewalld_lan_and_egress_gateway_forwards_out_to_both_zones(tmp_path):
    context, zones = _cloud_with_a_lan(tmp_path)
    assert opened_zones(context)[0] == forwarded_zones(context, _zone_of(zones))[0] == ["internal", "public"]


# ---------------------------------------------------------------- boot unit


@pytest.mark.parametrize("command", ["/usr/sbin/nft -f /etc/wgnet/gateway.nft",
                                     "/usr/local/sbin/wgnet-gateway-iptables apply"])
def test_boot_unit(tmp_path, command):
    context = role_context(tmp_path, "gateways", "homegw")
    # As tasks/nftables.yml and tasks/iptables.yml build it from vars/main.yml.
    backend = "nftables" if "nft" in command else "iptables"
    task_vars = task(backend + ".yml", "Install the boot unit that %s" % (
        "loads the table" if backend == "nftables" else "restores the chains"))["vars"]
    context["__gateway_unit_command"] = resolve(task_vars["__gateway_unit_command"], context)
    assert context["__gateway_unit_command"] == command
    text = render("wgnet-gateway.service.j2", context)
    assert text.startswith("# %s\n" % ANSIBLE_MANAGED)
    unit = configparser.ConfigParser(strict=True, interpolation=None)
    unit.optionxform = str
    unit.read_string(text)
    assert unit.sections() == ["Unit", "Service", "Install"]
    assert unit["Service"]["Type"] == "oneshot" and unit["Service"]["RemainAfterExit"] == "yes"
    assert unit["Service"]["ExecStart"] == command
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    assert "network-pre.target" in unit["Unit"]["Before"].split()

    if shutil.which("systemd-analyze"):
        path = tmp_path / context["__gateway_units"][backend]
        path.write_text(text)
        done = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60, check=False)
        # The role installs the iptables script with the unit; here only the missing file may be reported.
        problems = [line for line in done.stderr.splitlines() if line.strip()
                    and "is not executable: No such file or directory" not in line]
        assert problems == [], done.stderr
