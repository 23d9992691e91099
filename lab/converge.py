"""Run a playbook twice against an inventory and report, per run, the wall
time and the tasks run per host (from the PLAY RECAP). Fails when the first
run fails or the second run changes anything."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time

RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)")


def run(cmd, log_path):
    start = time.monotonic()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        recap = {}
        for line in proc.stdout:
            log.write(line)
            m = RECAP.match(line.strip())
            if m:
                ok, changed, unreachable, failed, skipped = map(int, m.groups()[1:])
                recap[m.group(1)] = {"tasks": ok + failed, "changed": changed,
                                     "failed": failed + unreachable, "skipped": skipped}
        rc = proc.wait()
    return rc, time.monotonic() - start, recap


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-i", "--inventory", required=True)
    ap.add_argument("--playbook", default="playbooks/site.yml")
    ap.add_argument("--log-dir", default=".lab")
    ap.add_argument("extra", nargs="*", help="extra ansible-playbook arguments")
    args = ap.parse_args()

    runs = []
    for n in (1, 2):
        log = "%s/converge-%d.log" % (args.log_dir, n)
        print("converge run %d: ansible-playbook %s (log: %s)" % (n, args.playbook, log), flush=True)
        rc, seconds, recap = run(["ansible-playbook", "-i", args.inventory, args.playbook] + args.extra, log)
        runs.append((rc, seconds, recap))
        if rc != 0:
            subprocess.run(["tail", "-n", "40", log], check=False)
            print("converge run %d failed (rc=%d)" % (n, rc))
            return 1

    hosts = sorted(runs[0][2])
    print("\n%-12s %14s %14s %14s" % ("host", "run 1 tasks", "run 2 tasks", "run 2 changed"))
    for h in hosts:
        print("%-12s %14d %14d %14d" % (h, runs[0][2][h]["tasks"], runs[1][2][h]["tasks"], runs[1][2][h]["changed"]))
    print("%-12s %13.1fs %13.1fs" % ("wall time", runs[0][1], runs[1][1]))
    changed = sum(r["changed"] for r in runs[1][2].values())
    if changed:
        print("second run changed %d task(s): not idempotent" % changed)
        return 1
    print("second run: changed=0")
    return 0


if __name__ == "__main__":
    sys.exit(main())
