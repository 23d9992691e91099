"""Converge benchmark: playbooks/site.yml against a fleet lab of N spokes.

For each size N, `lab/lab.py fleet N` generates a topology (two hubs, N
spokes, two in three behind NAT routers) and two inventories of the same
containers: over SSH as `deploy` with sudo, and through `podman exec` as
root. For each connection the lab is created fresh, then converged twice:

  first   wall time of the first converge (keys, interfaces, gateways)
  no-op   wall time of the second run (must report changed=0)
  tasks   remote tasks per host from the PLAY RECAP (ok + failed), as
          "spoke/hub" (a plain spoke, and the busiest host)
  cpu     controller CPU seconds (ansible-playbook and every process it
          waited for: workers, ssh or podman clients)
  peak    controller peak memory: the largest sum of PSS (shared pages split
          between the processes sharing them) over the process tree,
          sampled every 0.2 s
  load    /proc/loadavg before the first run

With `--ref COMMIT`, the same measurement also runs with the collection as of
COMMIT (a `git archive` export under build/ref-<sha>, used as ANSIBLE_COLLECTIONS_PATH),
interleaved with the current tree: for each connection, current then ref,
each on a freshly created lab of the same topology, and the table gains the
ref's figures and the ratios current/ref.

Heavy: N=60 starts 67 containers. Run it on an otherwise idle machine, once.
Usage (from the repository root, with the project venv):
    .venv/bin/python benchmarks/converge.py [--sizes 10,30,60] [--connections ssh,podman]
        [--ref COMMIT] [--forks 10] [--json FILE] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAB = [sys.executable, os.path.join(ROOT, "lab", "lab.py")]
RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def log(msg):
    print("[converge] %s" % msg, file=sys.stderr, flush=True)


def loadavg():
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


def pss(pid):
    """Proportional set size (bytes): shared pages split between the forks
    that share them, so a sum over the workers is not inflated."""
    try:
        with open("/proc/%d/smaps_rollup" % pid) as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_memory(root_pid):
    """Sum of PSS (bytes) of root_pid and its descendants."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += pss(pid)
        todo += children.get(pid, [])
    return total


def playbook(inventory, env, forks, log_path):
    """Run site.yml once; a dict of wall, cpu, peak, recap, rc."""
    cmd = ["ansible-playbook", "-i", inventory, "--forks", str(forks), "wgnet.wireguard.site"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    with open(log_path, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        peak = [0]

        def sample():
            while proc.poll() is None:
                peak[0] = max(peak[0], tree_memory(proc.pid))
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        rc = proc.wait()
        sampler.join()
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with open(log_path) as handle:
        text = handle.read()
    recap = dict((m.group(1), {"tasks": int(m.group(2)) + int(m.group(5)), "changed": int(m.group(3)),
                               "failed": int(m.group(4)) + int(m.group(5))}) for m in RECAP.finditer(text))
    return {"rc": rc, "wall": wall, "cpu": cpu, "peak_mb": peak[0] / 2 ** 20, "recap": recap, "log": log_path}


def lab(*args):
    res = subprocess.run(LAB + list(args), cwd=ROOT, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        sys.exit("lab.py %s failed:\n%s" % (" ".join(args), res.stderr[-3000:]))
    return res


def fresh_lab(fleet_dir):
    topology = os.path.join(fleet_dir, "topology.yml")
    lab("down", topology)
    for name in ("wireguard_public_keys.yml",):
        path = os.path.join(fleet_dir, name)
        if os.path.exists(path):
            os.remove(path)
    started = time.monotonic()
    lab("up", topology, "--no-build", "--timeout", "600")
    return time.monotonic() - started


def ref_collections(commit):
    """ANSIBLE_COLLECTIONS_PATH holding the collection as of commit."""
    sha = subprocess.run(["git", "rev-parse", "--verify", commit + "^{commit}"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.strip()
    tree = os.path.join(ROOT, "build", "ref-%s" % sha[:12])
    if not os.path.isdir(tree):
        # an export of the commit's files: no worktree to register or prune
        os.makedirs(tree + ".part", exist_ok=True)
        archive = subprocess.Popen(["git", "archive", "--format=tar", sha], cwd=ROOT, stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", tree + ".part"], stdin=archive.stdout, check=True)
        if archive.wait() != 0:
            sys.exit("git archive %s failed" % sha)
        os.rename(tree + ".part", tree)
    path = os.path.join(ROOT, "build", "ref-%s-collections" % sha[:12])
    link = os.path.join(path, "ansible_collections", "wgnet", "wireguard")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if not os.path.islink(link):
        os.symlink(tree, link)
    return sha[:12], path


def summary(first, noop):
    tasks = [r["tasks"] for r in first["recap"].values()]
    spokes = [r["tasks"] for h, r in first["recap"].items() if h.startswith("spoke")]
    return {
        "first_s": round(first["wall"], 1), "noop_s": round(noop["wall"], 1),
        "tasks_spoke": min(spokes) if spokes else None, "tasks_max": max(tasks) if tasks else None,
        "noop_tasks_spoke": min(r["tasks"] for h, r in noop["recap"].items() if h.startswith("spoke")),
        "cpu_first_s": round(first["cpu"], 1), "cpu_noop_s": round(noop["cpu"], 1),
        "peak_mb": round(max(first["peak_mb"], noop["peak_mb"])),
        "noop_changed": sum(r["changed"] for r in noop["recap"].values()),
        "ok": first["rc"] == 0 and noop["rc"] == 0,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--sizes", default="10,30,60", help="spoke counts (default 10,30,60)")
    ap.add_argument("--connections", default="ssh,podman", help="ssh, podman or both (default)")
    ap.add_argument("--ref", help="also measure the collection as of this git commit, interleaved")
    ap.add_argument("--forks", type=int, default=10)
    ap.add_argument("--json", help="write the results to this file")
    ap.add_argument("--keep", action="store_true", help="leave the last fleet running")
    args = ap.parse_args()

    sizes = [int(n) for n in args.sizes.split(",")]
    connections = args.connections.split(",")
    variants = [("current", os.path.join(ROOT, "build", "collections"))]
    os.makedirs(os.path.join(ROOT, "build", "collections", "ansible_collections", "wgnet"), exist_ok=True)
    link = os.path.join(ROOT, "build", "collections", "ansible_collections", "wgnet", "wireguard")
    if not os.path.lexists(link):
        os.symlink("../../../..", link)
    if args.ref:
        sha, path = ref_collections(args.ref)
        variants.append(("ref " + sha, path))
    base_env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_FORCE_COLOR="0",
                    CONTAINERS_CONF=os.path.join(ROOT, "lab", "containers.conf"))
    base_env["PATH"] = os.path.join(ROOT, ".venv", "bin") + os.pathsep + base_env.get("PATH", "")

    rows = []
    log("machine: %d cores, load %s" % (os.cpu_count(), loadavg()))
    for n in sizes:
        fleet_dir = os.path.join(ROOT, ".lab", "fleet-%d" % n)
        lab("fleet", str(n), "--dir", fleet_dir)
        for connection in connections:
            for variant, collections in variants:
                up_s = fresh_lab(fleet_dir)
                env = dict(base_env, ANSIBLE_COLLECTIONS_PATH=collections)
                load = loadavg()
                log("N=%d %s %s: lab up in %.0fs, load %s" % (n, connection, variant, up_s, load))
                inventory = os.path.join(fleet_dir, "%s.yml" % connection)
                tag = "%d-%s-%s" % (n, connection, variant.replace(" ", "-"))
                first = playbook(inventory, env, args.forks, os.path.join(fleet_dir, "first-%s.log" % tag))
                noop = playbook(inventory, env, args.forks, os.path.join(fleet_dir, "noop-%s.log" % tag))
                row = dict(n=n, hosts=len(first["recap"]), connection=connection, variant=variant, load=load,
                           lab_up_s=round(up_s), **summary(first, noop))
                rows.append(row)
                log("N=%d %s %s: first %.1fs, no-op %.1fs (changed=%d)%s" % (
                    n, connection, variant, first["wall"], noop["wall"], row["noop_changed"],
                    "" if row["ok"] else " FAILED, see " + first["log"]))
                if args.json:
                    with open(args.json, "w") as handle:
                        json.dump(rows, handle, indent=2)
        if not args.keep or n != sizes[-1]:
            lab("down", os.path.join(fleet_dir, "topology.yml"))

    header = ("N", "hosts", "conn", "variant", "first s", "no-op s", "tasks spoke/max", "cpu first/no-op s",
              "peak MB", "no-op changed", "load before")
    table = [header] + [(r["n"], r["hosts"], r["connection"], r["variant"], r["first_s"], r["noop_s"],
                         "%s/%s" % (r["tasks_spoke"], r["tasks_max"]), "%s/%s" % (r["cpu_first_s"], r["cpu_noop_s"]),
                         r["peak_mb"], r["noop_changed"] if r["ok"] else "FAILED", r["load"]) for r in rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    print()
    for row in table:
        print("  ".join(str(c).rjust(w) if isinstance(c, (int, float)) else str(c).ljust(w)
                        for c, w in zip(row, widths)).rstrip())
    if args.ref:
        print("\nratios current/ref (below 1: current is faster)")
        for n in sizes:
            for connection in connections:
                cur = [r for r in rows if (r["n"], r["connection"], r["variant"]) == (n, connection, "current")]
                ref = [r for r in rows if (r["n"], r["connection"]) == (n, connection) and r["variant"] != "current"]
                if cur and ref:
                    c, f = cur[0], ref[0]
                    print("N=%-3d %-6s first %.2f  no-op %.2f  cpu first %.2f  cpu no-op %.2f" % (
                        n, connection, c["first_s"] / f["first_s"], c["noop_s"] / f["noop_s"],
                        c["cpu_first_s"] / max(f["cpu_first_s"], 0.1), c["cpu_noop_s"] / max(f["cpu_noop_s"], 0.1)))
    print("\n/proc/loadavg at the end: %s" % open("/proc/loadavg").read().strip())
    return 0 if all(r["ok"] and r["noop_changed"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
