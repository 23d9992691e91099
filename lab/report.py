"""Print, for every pair of lab hosts, the latest WireGuard handshake and
whether a ping crosses the network. Exits 1 if any pair cannot talk.

Members of group `wireguard` are pinged at their tunnel address, members of
`lan_clients` at `lab_address`.
"""

from __future__ import annotations

import argparse
import ipaddress
import itertools
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import labkit


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-i", "--inventory", default="lab/inventory/hosts.yml")
    ap.add_argument("--interface", default="wg0")
    ap.add_argument("--count", type=int, default=3)
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args()

    inv = labkit.Inventory(args.inventory)
    owner, handshakes = {}, {}
    for h in inv.members:
        key, peers = labkit.wg_dump(inv.container(h), args.interface)
        owner[key] = h
        handshakes[h] = peers
    now = int(time.time())

    def gateway(client):
        address = ipaddress.ip_address(inv.address(client))
        for h in inv.members:
            lans = inv.hostvars[h].get("wireguard_lan_subnets") or []
            if any(address in ipaddress.ip_network(lan) for lan in lans):
                return h
        return None

    def handshake(a, b):
        if a in inv.clients or b in inv.clients:
            gw = gateway(a if a in inv.clients else b)
            return "LAN of %s" % gw if gw else "-"
        key_b = [k for k, v in owner.items() if v == b]
        if not key_b or key_b[0] not in handshakes[a]:
            return "via hub"
        ts = handshakes[a][key_b[0]]
        return "never" if ts == 0 else "%ds ago" % max(0, now - ts)

    pairs = [(a, b) for a, b in itertools.combinations(inv.members + inv.clients, 2)
             if not (a in inv.clients and b in inv.clients)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(
            lambda p: labkit.ping(inv.container(p[0]), inv.address(p[1]), args.count), pairs))

    rows, failed = [], 0
    for (a, b), (ok, loss, rtt) in zip(pairs, results):
        failed += not ok
        rows.append({"from": a, "to": b, "address": inv.address(b), "handshake": handshake(a, b),
                     "ping": "ok" if ok else "FAIL", "loss": loss, "rtt": rtt})
    header = ("from", "to", "address", "handshake", "ping", "loss", "rtt")
    widths = [max(len(h), *(len(str(r[h])) for r in rows)) for h in header]
    line = "  ".join("%-*s" % (w, h) for w, h in zip(widths, header))
    print("\n" + line)
    print("-" * len(line))
    for r in rows:
        print("  ".join("%-*s" % (w, r[h]) for w, h in zip(widths, header)))
    print("\npairs: %d passed, %d failed" % (len(rows) - failed, failed))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
