# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fake `wg` for the watchdog script's tests (a `wg` shell wrapper on PATH runs it).

State is $FAKE_WG/state.json: {"private": key, "peers": {key: {endpoint,
allowed_ips, hs, rx, tx, keepalive}}}. `wg show <if> dump|endpoints` prints
it as wg does; `wg set` applies allowed-ips (a prefix moves to the peer that
takes it, as in WireGuard), persistent-keepalive and endpoint (a name is
looked up in $FAKE_WG/hosts.json) and is appended to $FAKE_WG/sets."""

from __future__ import annotations

import json
import os
import sys


def main(argv):
    base = os.environ["FAKE_WG"]
    path = os.path.join(base, "state.json")
    with open(path) as f:
        state = json.load(f)
    if argv[:1] == ["show"] and argv[2:] == ["dump"]:
        print("%s\tPUBLICKEYOFTHEINTERFACE\t51820\toff" % state["private"])
        for key, p in state["peers"].items():
            print("\t".join([key, "(none)", p.get("endpoint") or "(none)", ",".join(p["allowed_ips"]) or "(none)",
                             str(p.get("hs", 0)), str(p.get("rx", 0)), str(p.get("tx", 0)),
                             str(p.get("keepalive") or "off")]))
        return 0
    if argv[:1] == ["show"] and argv[2:] == ["endpoints"]:
        for key, p in state["peers"].items():
            print("%s\t%s" % (key, p.get("endpoint") or "(none)"))
        return 0
    if argv[:1] != ["set"]:
        sys.stderr.write("fake wg: unexpected %r\n" % (argv,))
        return 2
    with open(os.path.join(base, "sets"), "a") as f:
        f.write(" ".join(argv) + "\n")
    args = argv[2:]
    peer = None
    while args:
        word = args.pop(0)
        if word == "peer":
            peer = state["peers"][args.pop(0)]
        elif word == "allowed-ips":
            ips = [x for x in args.pop(0).split(",") if x]
            for other in state["peers"].values():
                other["allowed_ips"] = [x for x in other["allowed_ips"] if x not in ips]
            peer["allowed_ips"] = ips
        elif word == "persistent-keepalive":
            value = args.pop(0)
            peer["keepalive"] = 0 if value == "off" else int(value)
        elif word == "endpoint":
            host, port = args.pop(0).rsplit(":", 1)
            with open(os.path.join(base, "hosts.json")) as f:
                hosts = json.load(f)
            if host not in hosts:
                sys.stderr.write("Name or service not known: `%s:%s'\n" % (host, port))
                return 1
            peer["endpoint"] = "%s:%s" % (hosts[host], port)
        else:
            sys.stderr.write("fake wg: unexpected %r\n" % word)
            return 2
    with open(path, "w") as f:
        json.dump(state, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
