# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planning-time benchmark for mesh and hub-and-spoke networks.

For each topology and size N it measures

  (a) the Python API: plan_networks() (validation + plan), host_interfaces()
      for one host, and host_interfaces() for every host;
  (b) ansible-playbook over an inventory of N local hosts, planning the way
      roles/wireguard does: one run_once set_fact with
      wgnet.wireguard.wg_network_plan, then the role's per-host set_fact of
      wireguard_host_plan: wgnet.wireguard.wg_host_interfaces with the peers
      as one JSON string per interface (the form wg_interface takes);
  (c) in the same run, the template-role way: a per-host set_fact whose Jinja
      loops over hostvars to build the same peer list (address/32 + LANs per
      peer; on hub-and-spoke a spoke's hub entry carries the tunnel range and
      every other LAN).

Before timing, a small inventory checks that (b) and (c) give the same peers
and AllowedIPs sets. No module runs on any host: only controller planning is
measured. Run it with the project's virtualenv:

    .venv/bin/python benchmarks/topology.py [--sizes 10,100,1000] [--skip-ansible]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import ipaddress
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(REPO, "build", "collections")
CALLBACKS = os.path.join(REPO, "benchmarks", "callback_plugins")
TOPOLOGIES = ("mesh", "hub_and_spoke")
INTERFACE = "wg0"
TUNNEL_RANGE = "10.0.0.0/16"
PORT = 51820
KEEPALIVE = 25
LAN_EVERY = 10          # hosts 0, 10, 20, ... route a site LAN
VERIFY_N = 30           # inventory size for the ours-vs-Jinja equality check
VERIFY_HOSTS = ("h00000", "h00010", "h00017")  # hub (with LAN), member with LAN, member without


# ------------------------------------------------------------------ set-up
def ensure_collection_link():
    """build/collections/ansible_collections/wgnet/wireguard -> repository root."""
    parent = os.path.join(COLLECTIONS, "ansible_collections", "wgnet")
    link = os.path.join(parent, "wireguard")
    if not os.path.exists(os.path.join(link, "galaxy.yml")):
        os.makedirs(parent, exist_ok=True)
        if os.path.islink(link):
            os.unlink(link)
        os.symlink(os.path.join("..", "..", "..", ".."), link)
    if COLLECTIONS not in sys.path:
        sys.path.insert(0, COLLECTIONS)


def init_ansible_collection_loader():
    """Let ansible-core's collection loader serve ansible_collections (needed
    by bench_templating); must run before the first collection import."""
    try:
        from ansible.plugins.loader import init_plugin_loader
    except ImportError:
        return False
    init_plugin_loader([COLLECTIONS])
    return True


def find_ansible_playbook():
    candidates = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
                  os.path.join(REPO, ".venv", "bin", "ansible-playbook")]
    for path in candidates:
        if os.access(path, os.X_OK):
            return path
    return shutil.which("ansible-playbook")


def public_key(name):
    """A deterministic, valid WireGuard public key (32 bytes, base64)."""
    return base64.b64encode(hashlib.sha256(("wgnet-bench:" + name).encode()).digest()).decode("ascii")


def host_name(i):
    return "h%05d" % i


def build_model(topology, n, lan_every=LAN_EVERY):
    """The inventory both the Python API and ansible-playbook see.

    Returns hostvars (host -> wireguard_* variables, with the role defaults
    filled in as inventory group vars would), groups, networks and keys.
    lan_every=1: a LAN on every host, taken from 10.1.0.0 up (172.16.0.0/12
    holds only 4 096 /24s)."""
    base = int(ipaddress.ip_address("10.0.0.0"))
    endpoint_base = int(ipaddress.ip_address("198.18.0.0"))
    names = [host_name(i) for i in range(n)]
    hubs = names[:1] if topology == "hub_and_spoke" else []
    hostvars = {}
    for i, name in enumerate(names):
        has_endpoint = topology == "mesh" or name in hubs
        lans = []
        if lan_every == 1:
            lans = ["10.%d.%d.0/24" % (1 + i // 256, i % 256)]
        elif i % lan_every == 0:
            k = i // lan_every
            lans = ["172.%d.%d.0/24" % (16 + k // 256, k % 256)]
        hostvars[name] = {
            "wireguard_address": str(ipaddress.ip_address(base + i + 1)),
            "wireguard_endpoint": str(ipaddress.ip_address(endpoint_base + i + 1)) if has_endpoint else "",
            "wireguard_port": PORT,
            "wireguard_lan_subnets": lans,
        }
    groups = {"all": list(names), "ungrouped": [], "wireguard": list(names)}
    if hubs:
        groups["wireguard_hubs"] = list(hubs)
    networks = {INTERFACE: {"range": TUNNEL_RANGE, "topology": topology}}
    keys = {INTERFACE: dict((name, public_key(name)) for name in names)}
    return hostvars, groups, networks, keys


# ------------------------------------------------------------- Python API
LAN_CASE_N = 5000       # hub-and-spoke, a LAN on every spoke: every overlap check at full size


def bench_lan_case(n=LAN_CASE_N):
    """plan_networks() for a hub-and-spoke network of n hosts with a LAN on
    every host, the case where a pairwise LAN check is quadratic."""
    from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology

    hostvars, groups, networks, keys = build_model("hub_and_spoke", n, lan_every=1)
    plan_s, plan = best_of(lambda: _topology.plan_networks(hostvars, networks, groups, keys), min_runs=3, budget=2.0)
    lans = sum(len(m["lans"]) for m in plan["networks"][INTERFACE]["members"].values())
    return plan_s, lans


def best_of(func, min_runs=3, budget=2.0, max_runs=20):
    """Minimum wall time of func() over a few runs (at least one)."""
    times = []
    start = time.perf_counter()
    result = None
    while True:
        t0 = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - start
        if len(times) >= max_runs or (len(times) >= min_runs and elapsed > budget) or elapsed > 4 * budget:
            break
    return min(times), result


def bench_python(topology, n):
    from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology

    hostvars, groups, networks, keys = build_model(topology, n)
    plan_s, plan = best_of(lambda: _topology.plan_networks(hostvars, networks, groups, keys))

    # One host: the slowest of a few representative members (the hub has N-1
    # peers on hub-and-spoke, a spoke's relay entry carries every other LAN).
    probes = [host_name(n // 2 + 1)]
    if topology == "hub_and_spoke":
        probes = [host_name(0), host_name(n // 2 + 1)]
    one, one_json = {}, {}
    plan_json = json.dumps(plan)  # the form the role carries between tasks; parsed on every call
    for name in probes:
        one[name], _runs = best_of(lambda name=name: _topology.host_interfaces(plan, name), min_runs=5, budget=0.5)
        one_json[name], _runs = best_of(lambda name=name: _topology.host_interfaces(plan_json, name),
                                        min_runs=5, budget=0.5)

    names = groups["wireguard"]

    def expand_all():
        peers = 0
        for name in names:
            for iface in _topology.host_interfaces(plan, name):
                peers += len(iface["peers"])
        return peers

    all_s, peer_entries = best_of(expand_all, min_runs=1 if n >= 1000 else 3, budget=2.0)
    return {"plan_s": plan_s, "one_ms": max(one.values()) * 1000, "one_detail": one, "all_s": all_s,
            "one_json_ms": max(one_json.values()) * 1000, "peer_entries": peer_entries}


_TEMPLATING = {}


def bench_templating(topology, n):
    """wg_host_interfaces for one host as a task template renders it, in this
    process (ansible-core's TemplateEngine): the plan reaches the filter
    through lazy template containers, as in a worker. Isolates that cost from
    ansible-playbook's per-host fork and result handling. Uses ansible-core
    internals; returns None where they are not available."""
    try:
        from ansible._internal._datatag._tags import TrustedAsTemplate
        from ansible._internal._templating._engine import TemplateEngine
        from ansible.parsing.dataloader import DataLoader
        from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _topology
    except ImportError:
        return None
    if not _TEMPLATING:
        _TEMPLATING["loader"] = DataLoader()
    hostvars, groups, networks, keys = build_model(topology, n)
    # The JSON string the role's run_once set_fact stores.
    plan = json.dumps(_topology.plan_networks(hostvars, networks, groups, keys))
    template = TrustedAsTemplate().tag(OURS_HOST_PLAN)
    worst = 0.0
    probes = [host_name(n // 2 + 1)] + ([host_name(0)] if topology == "hub_and_spoke" else [])
    for name in probes:
        engine = TemplateEngine(loader=_TEMPLATING["loader"],
                                variables={"bench_plan": plan, "inventory_hostname": name})
        seconds, _runs = best_of(lambda engine=engine: engine.template(template), min_runs=3, budget=1.0)
        worst = max(worst, seconds)
    return worst * 1000


# ---------------------------------------------------------- ansible-playbook
# The template-role way, per host: loop over the group, read each other host's
# variables through hostvars, append one peer entry. On hub-and-spoke a spoke
# peers with the hub, whose entry carries the tunnel range, the hub's LANs and
# the LANs of every other spoke; the hub peers with every spoke.
JINJA_MESH = (
    "{% set peers = [] %}"
    "{% for h in groups['wireguard'] if h != inventory_hostname %}"
    "{% set hv = hostvars[h] %}"
    "{{ peers.append({'name': h, 'public_key': hv.bench_public_key,"
    " 'allowed_ips': [hv.wireguard_address ~ '/32'] + hv.wireguard_lan_subnets,"
    " 'endpoint': (hv.wireguard_endpoint ~ ':' ~ hv.wireguard_port) if hv.wireguard_endpoint else none,"
    " 'persistent_keepalive': 0}) }}"
    "{% endfor %}"
    "{{ peers }}"
)
JINJA_HUB_AND_SPOKE = (
    "{% set hubs = groups['wireguard_hubs'] %}"
    "{% set peers = [] %}"
    "{% if inventory_hostname in hubs %}"
    "{% for h in groups['wireguard'] if h != inventory_hostname %}"
    "{% set hv = hostvars[h] %}"
    "{{ peers.append({'name': h, 'public_key': hv.bench_public_key,"
    " 'allowed_ips': [hv.wireguard_address ~ '/32'] + hv.wireguard_lan_subnets,"
    " 'endpoint': (hv.wireguard_endpoint ~ ':' ~ hv.wireguard_port) if hv.wireguard_endpoint else none,"
    " 'persistent_keepalive': 0}) }}"
    "{% endfor %}"
    "{% else %}"
    "{% set lans = [] %}"
    "{% for h in groups['wireguard'] if h != inventory_hostname and h not in hubs %}"
    "{{ lans.extend(hostvars[h].wireguard_lan_subnets) }}"
    "{% endfor %}"
    "{% for h in hubs %}"
    "{% set hv = hostvars[h] %}"
    "{{ peers.append({'name': h, 'public_key': hv.bench_public_key,"
    " 'allowed_ips': ([bench_range] + hv.wireguard_lan_subnets + lans) if loop.first"
    " else ([hv.wireguard_address ~ '/32'] + hv.wireguard_lan_subnets),"
    " 'endpoint': (hv.wireguard_endpoint ~ ':' ~ hv.wireguard_port) if hv.wireguard_endpoint else none,"
    " 'persistent_keepalive': bench_keepalive if hv.wireguard_endpoint else 0}) }}"
    "{% endfor %}"
    "{% endif %}"
    "{{ peers }}"
)
# The role's per-host task, verbatim: wireguard_host_plan, peers as JSON text.
OURS_HOST_PLAN = "{{ bench_plan | wgnet.wireguard.wg_host_interfaces(inventory_hostname, peers_as_json=true) }}"
# The peer list inside it, for the equality check against the Jinja result.
OURS_PEERS = ("{{ (bench_plan | wgnet.wireguard.wg_host_interfaces(inventory_hostname, peers_as_json=true)"
              " | first).peers | from_json }}")
# As the role does: the plan travels as one JSON string, which Ansible's
# template engine passes without converting every member of a large dict.
OURS_PLAN = "{{ hostvars | wgnet.wireguard.wg_network_plan(bench_networks, groups, bench_keys) | to_json }}"
# The role collects the keys the same way: one extract over hostvars, in the run_once task.
OURS_KEYS = ("{{ {bench_interface: dict(groups['wireguard'] | zip(groups['wireguard']"
             " | map('extract', hostvars, 'bench_public_key')))} }}")


def write_inventory(workdir, topology, n):
    """inventory.yml: N local hosts in group wireguard (the hub also in
    wireguard_hubs), role defaults as group vars, each host's public key as
    bench_public_key (where a role would find a registered key)."""
    hostvars, groups, _networks, keys = build_model(topology, n)
    python = os.path.join(os.path.dirname(find_ansible_playbook()), "python")
    if not os.access(python, os.X_OK):
        python = sys.executable
    defaults = {"wireguard_port": PORT, "wireguard_endpoint": "", "wireguard_lan_subnets": []}
    members = {}
    for name, hv in hostvars.items():
        members[name] = dict((k, v) for k, v in hv.items() if defaults.get(k, object()) != v)
        members[name]["bench_public_key"] = keys[INTERFACE][name]
    inventory = {"all": {
        "vars": dict(defaults, ansible_connection="local", ansible_python_interpreter=python),
        "children": {"wireguard": {"hosts": members}}}}
    if "wireguard_hubs" in groups:
        inventory["all"]["children"]["wireguard_hubs"] = {"hosts": dict((h, None) for h in groups["wireguard_hubs"])}
    # JSON is YAML; it keeps writing a 5 000-host inventory instant.
    with open(os.path.join(workdir, "inventory.yml"), "w") as handle:
        json.dump(inventory, handle, indent=1)


# The role's play header (playbooks/site.yml): resolving a wgnet filter in
# `hosts` loads the collection's filters in the controller before it forks.
OURS_HOSTS = "{{ 'wireguard' | wgnet.wireguard.wg_play_hosts }}"


def play(name, tasks, topology, hosts="wireguard"):
    jinja = JINJA_MESH if topology == "mesh" else JINJA_HUB_AND_SPOKE
    return {
        "name": name,
        "hosts": hosts,
        "gather_facts": False,
        "strategy": "ansible.builtin.linear",
        # Play vars, not vars_files: ansible-core re-reads and re-parses a vars_file for every host and task.
        "vars": {"bench_interface": INTERFACE,
                 "bench_networks": {INTERFACE: {"range": TUNNEL_RANGE, "topology": topology}},
                 "bench_range": TUNNEL_RANGE, "bench_keepalive": KEEPALIVE,
                 "bench_ours_peers": OURS_PEERS, "bench_jinja_peers": jinja},
        "tasks": tasks,
    }


def noop_task():
    # The floor: what any per-host set_fact costs (worker fork, result) here.
    return {"name": "floor: per-host set_fact of a constant", "ansible.builtin.set_fact": {"bench_noop": 1}}


def filter_floor_task():
    # A collection filter on a constant: adds what a fresh worker pays to load the plugin and compile the template.
    return {"name": "floor: per-host set_fact through a collection filter",
            "ansible.builtin.set_fact": {"bench_noop": "{{ {'networks': {}} | wgnet.wireguard.wg_host_routes('x') }}"}}


def plan_task():
    return {"name": "ours: plan (wg_network_plan, run_once)",
            "ansible.builtin.set_fact": {"bench_plan": OURS_PLAN}, "vars": {"bench_keys": OURS_KEYS},
            "run_once": True}


def expand_args(peers_var, store):
    """The per-host set_fact: the expanded peer list itself (store, as the
    role's wireguard_host_plan does) or only its length (the list is still
    built in full, but not sent back to and kept by the controller)."""
    if store:
        return {"bench_peers": "{{ %s }}" % peers_var}
    return {"bench_peer_count": "{{ %s | length }}" % peers_var}


def write_playbooks(workdir, topology, store=False):
    """ours.yml, jinja.yml (timed) and verify.yml (equality check)."""
    ours = play("ours", [noop_task(), filter_floor_task(), plan_task(), {
        "name": "ours: expand (wg_host_interfaces, per host)",
        # Stored as the role stores it, with or without --store-peers.
        "ansible.builtin.set_fact": {"bench_host_plan": OURS_HOST_PLAN}}], topology, hosts=OURS_HOSTS)
    jinja = play("jinja", [noop_task(), filter_floor_task(), {
        "name": "jinja: expand (loops over hostvars, per host)",
        "ansible.builtin.set_fact": expand_args("bench_jinja_peers", store)}], topology)
    when = "inventory_hostname in %s" % json.dumps(list(VERIFY_HOSTS))
    verify = play("verify", [plan_task(), {
        "name": "capture: ours", "ansible.builtin.set_fact": {"bench_peers": "{{ bench_ours_peers }}"},
        "when": when}, {
        "name": "capture: jinja", "ansible.builtin.set_fact": {"bench_peers": "{{ bench_jinja_peers }}"},
        "when": when}], topology)
    for name, data in (("ours.yml", ours), ("jinja.yml", jinja), ("verify.yml", verify)):
        with open(os.path.join(workdir, name), "w") as handle:
            json.dump([data], handle, indent=1)


def write_config(workdir, forks):
    with open(os.path.join(workdir, "ansible.cfg"), "w") as handle:
        handle.write("""[defaults]
forks = %d
gathering = explicit
host_key_checking = False
retry_files_enabled = False
collections_path = %s
callback_plugins = %s
callbacks_enabled = wg_bench_timer
stdout_callback = ansible.builtin.default
display_ok_hosts = False
display_skipped_hosts = False
local_tmp = %s

[inventory]
enable_plugins = ansible.builtin.yaml
""" % (forks, COLLECTIONS, CALLBACKS, os.path.join(workdir, "tmp")))


def run_playbook(workdir, playbook, timeout, label):
    """Run one playbook; returns the timer callback's data plus wall time, or
    an error string ('timeout' or 'failed')."""
    times = os.path.join(workdir, playbook + ".times.json")
    log = os.path.join(workdir, playbook + ".log")
    if os.path.exists(times):
        os.unlink(times)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(workdir, "ansible.cfg"), ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
               WG_BENCH_TIMES=times, ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    cmd = [find_ansible_playbook(), "-i", "inventory.yml", playbook]
    t0 = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            rc = proc.wait(timeout=max(timeout, 1))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # our own child's session only
            proc.wait()
            return {"error": "timeout", "wall": time.perf_counter() - t0}
        except BaseException:  # interrupted: take our ansible-playbook and its workers down with us
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU seconds of ansible-playbook and its workers: less sensitive than wall time to other load on the machine.
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    if rc != 0 or not os.path.exists(times):
        keep = os.path.join(tempfile.gettempdir(), "wgnet-bench-failed-%s-%d.log" % (playbook, int(time.time())))
        shutil.copyfile(log, keep)
        with open(log, errors="replace") as handle:
            lines = handle.read().splitlines()
        interesting = [line for line in lines if line.startswith(("fatal:", "ERROR", "[ERROR]", "failed:"))
                       or "UNREACHABLE" in line or "Traceback" in line or "failed=1" in line
                       or "unreachable=1" in line][:20]
        print("  %s: ansible-playbook exited %s (log kept in %s):\n    %s"
              % (label, rc, keep, "\n    ".join(interesting or lines[-15:])), file=sys.stderr, flush=True)
        return {"error": "failed", "wall": wall, "log": keep}
    with open(times) as handle:
        data = json.load(handle)
    data["wall"] = wall
    data["cpu"] = cpu
    data["task_s"] = dict((t["name"], t["end"] - t["start"]) for t in data["tasks"])
    return data


def run_with_retry(workdir, playbook, retries, timeout_left, label):
    """run_playbook, run again after a failure (not after a timeout) up to
    `retries` times; a retried result says so in `retried`."""
    failures = []
    while True:
        data = run_playbook(workdir, playbook, timeout_left(), label)
        if data.get("error") != "failed" or len(failures) >= retries or timeout_left() <= 1:
            if failures:
                data["retried"] = failures
            return data
        failures.append(data.get("log"))
        print("  %s: running it again" % label, file=sys.stderr, flush=True)


def planning_seconds(data, prefix):
    return sum(s for name, s in data["task_s"].items() if name.startswith(prefix))


def verify(workdir, topology, timeout):
    """ours and Jinja give the same peers and AllowedIPs sets on VERIFY_HOSTS."""
    write_inventory(workdir, topology, VERIFY_N)
    write_playbooks(workdir, topology)
    data = run_playbook(workdir, "verify.yml", timeout, "verify %s" % topology)
    if "error" in data:
        return False, "verify run %s" % data["error"]
    ours = data["captured"].get("capture: ours", {})
    jinja = data["captured"].get("capture: jinja", {})
    problems = []
    for host in VERIFY_HOSTS:
        a = dict((p["name"], p) for p in ours.get(host, {}).get("bench_peers", []))
        b = dict((p["name"], p) for p in jinja.get(host, {}).get("bench_peers", []))
        if not a or set(a) != set(b):
            problems.append("%s: peers differ: ours %s, jinja %s" % (host, sorted(a), sorted(b)))
            continue
        for peer in a:
            for field in ("allowed_ips", "endpoint", "public_key", "persistent_keepalive"):
                x, y = a[peer][field], b[peer][field]
                if field == "allowed_ips":
                    x, y = set(x), set(y)
                if x != y:
                    problems.append("%s -> %s %s: ours %s, jinja %s" % (host, peer, field, x, y))
    detail = ", ".join("%s: %d peers" % (h, len(ours.get(h, {}).get("bench_peers", []))) for h in VERIFY_HOSTS)
    return not problems, "; ".join(problems[:5]) or detail


# ------------------------------------------------------------------ report
def fmt(value, spec):
    if isinstance(value, str):
        return value
    if value is None:
        return "-"
    return spec % value


def print_table(rows):
    head = ["topology", "N", "python plan s", "one host ms", "all hosts s", "ansible-playbook ours s",
            "ansible-playbook jinja s", "ratio"]
    table = []
    for r in rows:
        table.append([r["topology"], str(r["n"]), fmt(r.get("plan_s"), "%.3f"), fmt(r.get("one_ms"), "%.2f"),
                      fmt(r.get("all_s"), "%.2f"), fmt(r.get("ours_s"), "%.2f"), fmt(r.get("jinja_s"), "%.2f"),
                      fmt(r.get("ratio"), "%.1fx")])
    print_rows(head, table)


def print_python_detail(rows):
    print("\nPython API detail. one host ms: from the plan dict (the table above) and from the plan as the JSON "
          "string the role carries (parsed on each call); peer entries: all hosts' peers together.")
    head = ["topology", "N", "one host ms", "one host from JSON ms", "peer entries"]
    table = [[r["topology"], str(r["n"]), fmt(r.get("one_ms"), "%.2f"), fmt(r.get("one_json_ms"), "%.2f"),
              fmt(r.get("peer_entries"), "%d")] for r in rows]
    print_rows(head, table)


def print_ansible_detail(rows):
    print("\nansible-playbook detail, seconds. floor: a per-host set_fact of a constant, what any per-host task "
          "costs; filter floor: the same through a collection filter (a fresh worker loads the plugin); wall: the "
          "whole run with start-up and inventory parsing; cpu: CPU seconds of ansible-playbook and its workers (less "
          "sensitive to other load on the machine); rss: peak RSS of the controller process; templated ms: one "
          "host's wg_host_interfaces rendered by ansible-core's template engine in-process (slowest probe host).")
    head = ["topology", "N", "ours floor", "filter floor", "ours plan", "ours expand", "ours wall", "ours cpu",
            "jinja floor", "jinja expand", "jinja wall", "jinja cpu", "cpu ratio", "ours rss MB", "jinja rss MB",
            "templated ms"]
    table = []
    for r in rows:
        if "ours_data" not in r:
            continue
        o, j = r["ours_data"], r.get("jinja_data") or {"error": "skipped"}

        def cell(d, prefix=None, key=None):
            if "task_s" not in d:
                return d.get("error", "skipped")
            return "%.2f" % (planning_seconds(d, prefix) if prefix else d[key])

        def rss(d):
            return "%.0f" % (d["maxrss_kb"] / 1024.0) if "maxrss_kb" in d else "-"

        cpu_ratio = "%.1fx" % (j["cpu"] / o["cpu"]) if "task_s" in o and "task_s" in j and o["cpu"] else "-"
        table.append([r["topology"], str(r["n"]), cell(o, "floor: per-host set_fact of"),
                      cell(o, "floor: per-host set_fact through"), cell(o, "ours: plan"), cell(o, "ours: expand"),
                      cell(o, key="wall"), cell(o, key="cpu"), cell(j, "floor: per-host set_fact of"), cell(j, "jinja"),
                      cell(j, key="wall"), cell(j, key="cpu"), cpu_ratio, rss(o), rss(j),
                      fmt(r.get("tmpl_one_ms"), "%.1f")])
    print_rows(head, table)


def print_rows(head, table):
    widths = [max([len(h)] + [len(line[i]) for line in table]) for i, h in enumerate(head)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for line in table:
        print("| " + " | ".join(c.rjust(w) if i > 1 else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths)))
              + " |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10,100,1000,5000", help="comma-separated host counts (default %(default)s)")
    ap.add_argument("--topologies", default=",".join(TOPOLOGIES), help="default %(default)s")
    ap.add_argument("--skip-ansible", action="store_true", help="only the Python API")
    ap.add_argument("--skip-jinja-above", type=int, default=1000, metavar="N",
                    help="skip the Jinja run for inventories larger than N hosts (default %(default)s)")
    ap.add_argument("--forks", type=int, default=50, help="ansible forks (default %(default)s)")
    ap.add_argument("--max-seconds", type=float, default=3600,
                    help="wall-clock guard for the whole benchmark; what is left is reported as 'not run' "
                         "(default %(default)s)")
    ap.add_argument("--run-timeout", type=float, default=1200,
                    help="longest single ansible-playbook run (default %(default)s)")
    ap.add_argument("--store-peers", action="store_true",
                    help="the Jinja set_fact keeps the whole peer list as a fact instead of its length; the "
                         "controller then holds N*(N-1) peer entries on a mesh (ours always stores its host plan, "
                         "as the role does, with the peers as one JSON string)")
    ap.add_argument("--retries", type=int, default=1,
                    help="run a failed ansible-playbook again this many times; reported (default %(default)s)")
    ap.add_argument("--keep", action="store_true", help="keep the generated inventories, playbooks and logs")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--lan-case", type=int, default=LAN_CASE_N, metavar="N",
                    help="hub-and-spoke with a LAN on every one of N hosts, Python API only; 0 skips it "
                         "(default %(default)s)")
    args = ap.parse_args()

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if not sizes or min(sizes) < 2 or max(sizes) > 40000:
        ap.error("--sizes: each N must be 2-40000 (tunnel addresses come from %s, LANs from 172.16.0.0/12)"
                 % TUNNEL_RANGE)
    topologies = [t.strip() for t in args.topologies.split(",") if t.strip()]
    for t in topologies:
        if t not in TOPOLOGIES:
            ap.error("unknown topology %r" % t)
    ensure_collection_link()
    deadline = time.monotonic() + args.max_seconds
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")

    def left():
        return deadline - time.monotonic()

    print("wgnet.wireguard planning benchmark, %s" % started)
    print("machine: %s, %d cores, Python %s" % (platform.platform(), os.cpu_count() or 0, platform.python_version()))
    print("tunnel range %s, one hub on hub-and-spoke, a /24 LAN on every %dth host, endpoints on %s"
          % (TUNNEL_RANGE, LAN_EVERY, "every host (mesh) / the hub (hub-and-spoke)"))
    playbook = None
    if not args.skip_ansible:
        playbook = find_ansible_playbook()
        if not playbook:
            ap.error("ansible-playbook not found next to %s, in .venv/bin or on PATH" % sys.executable)
        out = subprocess.run([playbook, "--version"], capture_output=True, text=True, check=False).stdout
        print("ansible: %s, forks %d, linear strategy" % (out.splitlines()[0] if out else playbook, args.forks))
        init_ansible_collection_loader()
    print("load average at start: %.2f %.2f %.2f" % os.getloadavg())
    print()

    workroot = tempfile.mkdtemp(prefix="wgnet-bench-")
    rows, checks, notes = [], [], []
    interrupted = False

    def save():
        """--json: written after every row, so an interrupted run keeps what it measured."""
        if not args.json:
            return
        data = []
        for r in rows:
            r = dict(r)
            for key in ("ours_data", "jinja_data"):
                if key in r:
                    r[key] = dict((k, v) for k, v in r[key].items() if k != "captured")
            data.append(r)
        with open(args.json + ".tmp", "w") as handle:
            json.dump({"started": started, "cores": os.cpu_count(), "args": vars(args), "rows": data,
                       "checks": [{"text": t, "ok": ok, "detail": d} for t, ok, d in checks]}, handle, indent=1)
        os.replace(args.json + ".tmp", args.json)

    def on_term(signum, _frame):
        raise KeyboardInterrupt("signal %d" % signum)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    try:
        for topology in topologies:
            workdir = os.path.join(workroot, topology)
            os.makedirs(os.path.join(workdir, "tmp"))
            if playbook:
                write_config(workdir, args.forks)
                ok, detail = verify(workdir, topology, min(args.run_timeout, left()))
                checks.append(("%s: ours and Jinja give the same peers and AllowedIPs sets (N=%d, hosts %s)"
                               % (topology, VERIFY_N, ", ".join(VERIFY_HOSTS)), ok, detail))
                print("[check] %s %s: %s" % (topology, "same" if ok else "DIFFERENT", detail), flush=True)
            for n in sizes:
                row = {"topology": topology, "n": n}
                rows.append(row)
                if left() <= 0:
                    row.update(plan_s="not run", one_ms="not run", all_s="not run")
                    if playbook:
                        row.update(ours_s="not run", jinja_s="not run")
                    continue
                row.update(bench_python(topology, n))
                print("[python] %-13s N=%-5d plan %.3f s, one host %.2f ms (%s; from the JSON string %.2f ms), "
                      "all hosts %.2f s (%d peer entries)"
                      % (topology, n, row["plan_s"], row["one_ms"],
                         ", ".join("%s %.2f" % (h, s * 1000) for h, s in row["one_detail"].items()),
                         row["one_json_ms"], row["all_s"], row["peer_entries"]), flush=True)
                save()
                if not playbook:
                    continue
                row["tmpl_one_ms"] = bench_templating(topology, n)
                if row["tmpl_one_ms"] is not None:
                    print("[templating] %-9s N=%-5d one host's wg_host_interfaces rendered in-process: %.1f ms"
                          % (topology, n, row["tmpl_one_ms"]), flush=True)
                write_inventory(workdir, topology, n)
                write_playbooks(workdir, topology, args.store_peers)
                if left() > 0:
                    ours = run_with_retry(workdir, "ours.yml", args.retries, lambda: min(args.run_timeout, left()),
                                          "ours %s %d" % (topology, n))
                else:
                    ours = {"error": "not run"}
                row["ours_data"] = ours
                row["ours_s"] = ours.get("error") or planning_seconds(ours, "ours:")
                if "task_s" in ours:
                    tasks = ", ".join("%s %.2f s" % (k.split(" (")[0], v) for k, v in ours["task_s"].items())
                    print("[ours] %-15s N=%-5d %s; wall %.1f s, cpu %.1f s, controller rss %.0f MB"
                          % (topology, n, tasks, ours["wall"], ours["cpu"], ours["maxrss_kb"] / 1024.0), flush=True)
                save()
                if n > args.skip_jinja_above:
                    jinja = {"error": "skipped"}
                elif left() <= 0:
                    jinja = {"error": "not run"}
                else:
                    jinja = run_with_retry(workdir, "jinja.yml", args.retries, lambda: min(args.run_timeout, left()),
                                           "jinja %s %d" % (topology, n))
                row["jinja_data"] = jinja
                row["jinja_s"] = jinja.get("error") or planning_seconds(jinja, "jinja:")
                for what, data in (("ours", ours), ("jinja", jinja)):
                    if data.get("retried"):
                        notes.append("%s %s N=%d: ansible-playbook failed %d time(s) and was run again (logs: %s)"
                                     % (what, topology, n, len(data["retried"]), ", ".join(map(str, data["retried"]))))
                if not isinstance(row["ours_s"], str) and not isinstance(row["jinja_s"], str):
                    row["ratio"] = row["jinja_s"] / row["ours_s"]
                print("[ansible] %-12s N=%-5d ours %s s (wall %s s, cpu %s s), jinja %s s (wall %s s, cpu %s s); "
                      "load %.1f"
                      % (topology, n, fmt(row["ours_s"], "%.2f"), fmt(ours.get("wall"), "%.1f"),
                         fmt(ours.get("cpu"), "%.1f"), fmt(row["jinja_s"], "%.2f"), fmt(jinja.get("wall"), "%.1f"),
                         fmt(jinja.get("cpu"), "%.1f"), os.getloadavg()[0]), flush=True)
                save()
        if args.lan_case and left() > 0:
            lan_s, lan_count = bench_lan_case(args.lan_case)
            print("[python] hub_and_spoke N=%d with a LAN on every host (%d LANs): plan %.3f s; load %.1f"
                  % (args.lan_case, lan_count, lan_s, os.getloadavg()[0]), flush=True)
            checks.append(("%d-host hub-and-spoke with a LAN on every spoke planned in under 2 s through the Python "
                           "API (%.3f s)" % (args.lan_case, lan_s), lan_s < 2.0, ""))
    except KeyboardInterrupt as exc:
        interrupted = True
        print("\nINTERRUPTED (%s): the tables below hold what was measured before" % (exc or "Ctrl-C"), flush=True)
    finally:
        if args.keep:
            print("\nkept generated files in %s" % workroot)
        else:
            shutil.rmtree(workroot, ignore_errors=True)

    print()
    print("load average at end: %.2f %.2f %.2f" % os.getloadavg())
    print()
    print_table(rows)
    print_python_detail(rows)
    if playbook:
        print_ansible_detail(rows)
    print()
    print("python plan s: plan_networks() (validation + plan), best of several runs; one host ms: host_interfaces() "
          "for one host, the slowest of a middle member and (hub-and-spoke) the hub; all hosts s: host_interfaces() "
          "for every host in turn.")
    if not playbook:
        print("ansible-playbook columns: not run (--skip-ansible).")
    else:
        print("ansible-playbook ours s: the run_once wg_network_plan set_fact plus the role's per-host "
              "wireguard_host_plan set_fact (wg_host_interfaces, peers as JSON text); jinja s: the per-host set_fact "
              "looping over hostvars; ratio = jinja / ours. Both exclude start-up and inventory parsing (see 'wall').")
        if any(r["n"] > args.skip_jinja_above for r in rows):
            print("Jinja runs above %d hosts are skipped (--skip-jinja-above): each host reads every other host "
                  "through hostvars, so the run grows with N^2." % args.skip_jinja_above)

    for note in notes:
        print("Note: " + note)

    # ------------------------------------------------------------ targets
    def row_for(topology, n):
        return next((r for r in rows if r["topology"] == topology and r["n"] == n), None)

    mesh = row_for("mesh", 1000)
    if mesh and not isinstance(mesh.get("plan_s"), str):
        checks.append(("1 000-host mesh planned in under 2 s through the Python API (%.3f s)" % mesh["plan_s"],
                       mesh["plan_s"] < 2.0, ""))
    for topology in topologies:
        r = row_for(topology, 1000)
        if r and not isinstance(r.get("one_ms"), str):
            worst = max(r["one_ms"], r["one_json_ms"])
            checks.append(("%s: one host's peers in a 1 000-host network in under 20 ms (%.2f ms from the plan, "
                           "%.2f ms from its JSON string)" % (topology, r["one_ms"], r["one_json_ms"]),
                           worst < 20.0, ""))
        if r and playbook:
            if r.get("ratio") is not None:
                checks.append(("%s: ansible-playbook at 1 000 hosts at least 5x faster than Jinja (%.1fx)"
                               % (topology, r["ratio"]), r["ratio"] >= 5.0, ""))
            else:
                checks.append(("%s: ansible-playbook at 1 000 hosts at least 5x faster than Jinja (ours %s, jinja %s)"
                               % (topology, r.get("ours_s"), r.get("jinja_s")), False, "not measured"))
    if not any(r["n"] == 1000 for r in rows):
        print("\n(no 1 000-host size in --sizes: the targets are not evaluated)")
    print()
    failed = 0
    for text, ok, detail in checks:
        failed += not ok
        print("%s %s%s" % ("PASS" if ok else "FAIL", text, (" - " + detail) if detail and not ok else ""))

    save()
    return 1 if failed or interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
