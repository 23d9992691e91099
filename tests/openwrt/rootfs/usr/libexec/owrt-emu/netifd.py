# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test emulation of OpenWrt's netifd for ``proto 'wireguard'`` (NOT shipped).

Commands (argv[1]): firstboot, boot, reload, restart, stop, ifup IF|-a,
ifdown IF|-a, ifstatus IF, reload_config.

What it does, following netifd + /lib/netifd/proto/wireguard.sh of 23.05:
- setting an interface up: delete the device, create it (wireguard-go here,
  there is no kernel module), mtu, ``wg setconf`` with private_key,
  listen_port, fwmark and one peer per enabled ``wireguard_<if>`` section,
  ``addresses``, link up, and a route per allowed_ips entry of the peers
  with route_allowed_ips '1'.
- ``reload`` sets up interfaces that are new, tears down the ones that are
  gone, and restarts those whose INTERFACE section changed. A change in a
  ``wireguard_<if>`` peer section alone is not seen by reload (as on real
  23.05); ``ifup <if>`` always tears down and sets up again.
- ``ifup`` reloads first (like /sbin/ifup's ``ubus call network reload``).
Other protocols (static, dhcp) are left as the container has them.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import uci  # noqa: E402  pylint: disable=wrong-import-position

STATE_DIR = "/var/run/owrt-emu/netifd"
CONFIG_MD5 = "/var/run/config.md5"
OPKG_STATUS = "/usr/lib/opkg/status"
APK_INSTALLED = "/lib/apk/db/installed"
DEFAULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "defaults")
WG_ENV = {"WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD": "1"}


def log(msg, error=False):
    """To syslog like netifd; errors also to stderr."""
    if error:
        sys.stderr.write("netifd: %s\n" % msg)
    try:
        subprocess.run(["logger", "-t", "netifd", msg], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        pass


def run(cmd, check=True, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, check=False,
                         env=dict(os.environ, LANG="C"), **kw)
    if check and res.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), (res.stderr or res.stdout).strip()))
    return res


def as_list(value):
    """A UCI list option, or a string option holding a space separated list."""
    if value is None:
        return []
    if isinstance(value, list):
        out = []
        for item in value:
            out.extend(item.split())
        return out
    return value.split()


def load_network(ctx=None):
    ctx = ctx or uci.Uci()
    # netifd reads the committed files only
    return ctx.load("network", with_delta=False)


def wireguard_config(pkg, name):
    """(interface options, [peer options...]) of one interface."""
    sec = pkg.get(name)
    peers = [dict(s.options) for s in pkg.sections if s.type == "wireguard_%s" % name]
    return dict(sec.options), peers


def package_installed(name):
    """In opkg's status database (up to 24.10) or apk's installed database (25.12)."""
    for path, record in ((APK_INSTALLED, "P:%s\n"), (OPKG_STATUS, "Package: %s\n")):
        try:
            with open(path, encoding="utf-8") as fh:
                return (record % name) in fh.read()
        except OSError:
            continue
    return False


# --------------------------------------------------------------------------- state


def state_path(name):
    return os.path.join(STATE_DIR, name + ".json")


def read_state(name):
    try:
        with open(state_path(name), encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def write_state(name, state):
    os.makedirs(STATE_DIR, exist_ok=True)
    with open(state_path(name), "w", encoding="utf-8") as fh:
        json.dump(state, fh)


def known_states():
    try:
        return sorted(f[:-5] for f in os.listdir(STATE_DIR) if f.endswith(".json"))
    except OSError:
        return []


# --------------------------------------------------------------------------- the wireguard handler


def link_exists(name):
    return run(["ip", "link", "show", "dev", name], check=False).returncode == 0


def unit_name(name):
    return "owrt-emu-wg-%s" % name


def delete_device(name):
    if link_exists(name):
        run(["ip", "link", "del", "dev", name], check=False)
    if os.path.exists("/run/systemd/system"):
        run(["systemctl", "stop", unit_name(name)], check=False)
        run(["systemctl", "reset-failed", unit_name(name)], check=False)
    for dummy in range(50):
        if not link_exists(name):
            return
        time.sleep(0.1)


def create_device(name):
    """The `ip link add type wireguard` step, with wireguard-go."""
    if os.path.exists("/run/systemd/system"):
        cmd = ["systemd-run", "--quiet", "--collect", "--unit", unit_name(name),
               "--description", "wireguard-go for netifd interface %s" % name]
        for key, val in WG_ENV.items():
            cmd += ["--setenv", "%s=%s" % (key, val)]
        run(cmd + ["/usr/bin/wireguard-go", "--foreground", name])
    else:
        run(["/usr/bin/wireguard-go", name], env=dict(os.environ, **WG_ENV))
    for dummy in range(100):
        if link_exists(name):
            return
        time.sleep(0.05)
    raise RuntimeError("wireguard-go did not create %s" % name)


def endpoint(peer):
    host = peer.get("endpoint_host")
    if not host:
        return None
    port = peer.get("endpoint_port") or "51820"
    if ":" in host and not host.startswith("["):
        host = "[%s]" % host
    return "%s:%s" % (host, port)


def wg_setconf_text(opts, peers):
    """The file wireguard.sh hands to `wg setconf`."""
    lines = ["[Interface]", "PrivateKey=%s" % opts.get("private_key", "")]
    if opts.get("listen_port"):
        lines.append("ListenPort=%s" % opts["listen_port"])
    if opts.get("fwmark"):
        lines.append("FwMark=%s" % opts["fwmark"])
    for peer in peers:
        if peer.get("disabled") == "1":
            continue
        lines += ["", "[Peer]", "PublicKey=%s" % peer.get("public_key", "")]
        if peer.get("preshared_key"):
            lines.append("PresharedKey=%s" % peer["preshared_key"])
        allowed = as_list(peer.get("allowed_ips"))
        if allowed:
            lines.append("AllowedIPs=%s" % ", ".join(allowed))
        ep = endpoint(peer)
        if ep:
            lines.append("Endpoint=%s" % ep)
        if peer.get("persistent_keepalive"):
            lines.append("PersistentKeepalive=%s" % peer["persistent_keepalive"])
    return "\n".join(lines) + "\n"


def address_args(addr):
    """wireguard.sh: a.b.c.d[/n] -> /32 default, v6 -> /128 default."""
    if "/" not in addr:
        addr += "/128" if ":" in addr else "/32"
    iface = ipaddress.ip_interface(addr)
    return ["-6" if iface.version == 6 else "-4", "address", "add", str(iface), "dev"]


def routes_for(peers):
    out = []
    for peer in peers:
        if peer.get("disabled") == "1" or peer.get("route_allowed_ips") != "1":
            continue
        for net in as_list(peer.get("allowed_ips")):
            out.append(str(ipaddress.ip_network(net, strict=False)))
    return out


def setup(name, pkg):
    opts, peers = wireguard_config(pkg, name)
    state = {"proto": "wireguard", "config": opts, "peers": peers, "up": False, "error": None,
             "started": time.time()}
    delete_device(name)
    if not (package_installed("wireguard-tools") and package_installed("kmod-wireguard")):
        state["error"] = "NO_DEVICE (proto wireguard unavailable: install wireguard-tools with opkg or apk)"
        write_state(name, state)
        log("interface %s: %s" % (name, state["error"]), error=True)
        return False
    fd, conf = tempfile.mkstemp(prefix="wg-%s." % name, dir="/tmp")
    try:
        create_device(name)
        if opts.get("mtu"):
            run(["ip", "link", "set", "mtu", opts["mtu"], "dev", name])
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(wg_setconf_text(opts, peers))
        run(["wg", "setconf", name, conf])
        for addr in as_list(opts.get("addresses")):
            run(["ip"] + address_args(addr) + [name])
        run(["ip", "link", "set", "up", "dev", name])
        metric = opts.get("metric")
        for net in routes_for(peers):
            fam = "-6" if ":" in net else "-4"
            cmd = ["ip", fam, "route", "add", net, "dev", name, "proto", "static"]
            if metric:
                cmd += ["metric", metric]
            res = run(cmd, check=False)
            if res.returncode != 0 and "File exists" not in res.stderr:
                log("interface %s: route %s: %s" % (name, net, res.stderr.strip()), error=True)
    except (RuntimeError, ValueError) as exc:
        state["error"] = str(exc)
        write_state(name, state)
        log("interface %s: setup failed: %s" % (name, exc), error=True)
        delete_device(name)
        return False
    finally:
        if os.path.exists(conf):
            os.unlink(conf)
    state["up"] = True
    write_state(name, state)
    log("interface %s is up" % name)
    return True


def teardown(name, keep_state=False):
    state = read_state(name)
    delete_device(name)
    if keep_state and state is not None:
        state["up"] = False
        write_state(name, state)
    elif os.path.exists(state_path(name)):
        os.unlink(state_path(name))
    log("interface %s is down" % name)


def wireguard_interfaces(pkg):
    return [s.name for s in pkg.sections
            if s.type == "interface" and s.options.get("proto") == "wireguard"]


def autostart(pkg, name):
    opts = pkg.get(name).options
    return opts.get("auto", "1") != "0" and opts.get("disabled", "0") != "1"


# --------------------------------------------------------------------------- commands


def cmd_boot():
    pkg = load_network()
    for name in known_states():
        teardown(name)
    for name in wireguard_interfaces(pkg):
        if autostart(pkg, name):
            setup(name, pkg)
    return 0


def cmd_stop():
    for name in known_states():
        teardown(name)
    return 0


def plan_reload(pkg, states):
    """What `network reload` does: [(action, interface)], action "setup" or
    "teardown". `states` maps interface -> recorded state (config, up)."""
    actions = []
    wanted = wireguard_interfaces(pkg)
    for name in sorted(states):
        if name not in wanted:
            actions.append(("teardown", name))
    for name in wanted:
        state = states.get(name)
        opts = dict(pkg.get(name).options)
        if state is None:
            if autostart(pkg, name):
                actions.append(("setup", name))
        elif state["config"] != opts:
            # netifd compares the interface section only, not wireguard_<if>
            if autostart(pkg, name) or state.get("up"):
                actions.append(("setup", name))
            else:
                actions.append(("teardown", name))
    return actions


def cmd_reload():
    pkg = load_network()
    states = {name: read_state(name) or {"config": None} for name in known_states()}
    for action, name in plan_reload(pkg, states):
        if action == "setup":
            setup(name, pkg)
        else:
            teardown(name)
    return 0


def interface_names(pkg):
    return [s.name for s in pkg.sections if s.type == "interface"]


def cmd_ifup(args):
    if not args:
        sys.stderr.write("Usage: ifup [-a] [-w] [interface]\n")
        return 1
    cmd_reload()
    pkg = load_network()
    names = wireguard_interfaces(pkg) if "-a" in args else [a for a in args if not a.startswith("-")]
    for name in names:
        if name not in interface_names(pkg):
            print("Interface %s not found" % name)
            return 0
        if name in wireguard_interfaces(pkg):
            setup(name, pkg)
    return 0


def cmd_ifdown(args):
    if not args:
        sys.stderr.write("Usage: ifdown [-a] [-w] [interface]\n")
        return 1
    pkg = load_network()
    names = known_states() if "-a" in args else [a for a in args if not a.startswith("-")]
    for name in names:
        if name not in interface_names(pkg) and read_state(name) is None:
            print("Interface %s not found" % name)
            return 0
        if read_state(name) is not None or link_exists(name):
            teardown(name, keep_state=True)
    return 0


def device_addresses(dev):
    res = run(["ip", "-j", "address", "show", "dev", dev], check=False)
    try:
        data = json.loads(res.stdout or "[]")
    except ValueError:
        data = []
    v4, v6 = [], []
    for link in data:
        for a in link.get("addr_info", []):
            entry = {"address": a["local"], "mask": a["prefixlen"]}
            if a.get("family") == "inet":
                v4.append(entry)
            elif a.get("scope") != "link":
                v6.append(entry)
    return v4, v6


def cmd_ifstatus(args):
    if len(args) != 1:
        sys.stderr.write("Usage: ifstatus <interface>\n")
        return 1
    name = args[0]
    pkg = load_network()
    if name not in interface_names(pkg):
        print("Interface %s not found" % name)
        return 255
    opts = pkg.get(name).options
    proto = opts.get("proto", "none")
    if proto == "wireguard":
        state = read_state(name) or {}
        up = bool(state.get("up")) and link_exists(name)
        dev = name
    else:
        dev = opts.get("device") or opts.get("ifname") or ""
        up = bool(dev) and link_exists(dev)
        state = {}
    status = {"up": up, "pending": False, "available": True, "autostart": autostart(pkg, name),
              "dynamic": False, "proto": proto, "data": {}}
    if up:
        status["l3_device"] = dev
        status["device"] = dev
        v4, v6 = device_addresses(dev)
        status["ipv4-address"] = v4
        status["ipv6-address"] = v6
        status["route"] = [
            {"target": n.split("/")[0], "mask": int(n.split("/")[1]), "nexthop": "0.0.0.0" if ":" not in n else "::",
             "source": "0.0.0.0/0"}
            for n in routes_for(state.get("peers", []))
        ] if proto == "wireguard" else []
    elif state.get("error"):
        status["errors"] = [{"subsystem": "interface", "code": state["error"].split()[0]}]
    print(json.dumps(status, indent="\t"))
    return 0


def config_digests(ctx):
    out = {}
    for name in ctx.packages():
        buf = []
        sub = uci.Uci(confdir=ctx.confdir, savedir=ctx.savedir, out=None, err=None)
        sub.out = _Collect(buf)
        sub.err = _Collect([])
        # reload_config hashes `uci show` output, staged changes included
        sub.run(["show", name])
        out[name] = hashlib.md5("".join(buf).encode(), usedforsecurity=False).hexdigest()
    return out


class _Collect:
    def __init__(self, buf):
        self.buf = buf

    def write(self, text):
        self.buf.append(text)


def cmd_reload_config():
    """/sbin/reload_config: packages whose `uci show` changed since the
    last run get a config.change event. Like `md5sum -c` there, a package
    not recorded last time (a new config file) is not compared; without a
    record (the boot unit writes one, as /etc/init.d/boot does) nothing
    is reloaded."""
    ctx = uci.Uci()
    now = config_digests(ctx)
    try:
        with open(CONFIG_MD5, encoding="utf-8") as fh:
            before = json.load(fh)
    except (OSError, ValueError):
        before = None
    os.makedirs(os.path.dirname(CONFIG_MD5), exist_ok=True)
    with open(CONFIG_MD5, "w", encoding="utf-8") as fh:
        json.dump(now, fh)
    if before is None:
        return 0
    changed = sorted(n for n in before if now.get(n) != before[n])
    if "network" in changed:
        cmd_reload()
    if "network" in changed or "firewall" in changed:
        subprocess.run(["/usr/sbin/fw4", "-q", "reload"], check=False)
    return 0


# --------------------------------------------------------------------------- first boot


def _ipv4_of(dev):
    v4, _v6 = device_addresses(dev)
    if not v4:
        return None
    return ipaddress.ip_interface("%s/%s" % (v4[0]["address"], v4[0]["mask"]))


def _gateway_of(dev):
    res = run(["ip", "-4", "route", "show", "default", "dev", dev], check=False)
    for line in res.stdout.splitlines():
        parts = line.split()
        if "via" in parts:
            return parts[parts.index("via") + 1]
    return None


def ethernet_devices():
    res = run(["ip", "-j", "link", "show"], check=False)
    try:
        links = json.loads(res.stdout or "[]")
    except ValueError:
        links = []
    return sorted(link["ifname"] for link in links
                  if link.get("link_type") == "ether" and link["ifname"].startswith("eth"))


def fresh_network(devs, addr_of=_ipv4_of, gw_of=_gateway_of, ula="fd00:abcd:1234::/48"):
    """The fresh-router /etc/config/network for these container devices:
    the first is wan (static: there is no DHCP server in the lab), the
    second lan (static, the container's address)."""
    pkg = uci.Package("network")
    lo = pkg.new_section("interface", "loopback")
    lo.options.update(device="lo", proto="static", ipaddr="127.0.0.1", netmask="255.0.0.0")
    pkg.new_section("globals", "globals").options["ula_prefix"] = ula
    if len(devs) > 1:
        lan = pkg.new_section("interface", "lan")
        lan.options.update(device=devs[1], proto="static")
        iface = addr_of(devs[1])
        if iface is not None:
            lan.options.update(ipaddr=str(iface.ip), netmask=str(iface.netmask))
        lan.options["ip6assign"] = "60"
    if devs:
        wan = pkg.new_section("interface", "wan")
        wan.options.update(device=devs[0], proto="static")
        iface = addr_of(devs[0])
        if iface is not None:
            wan.options.update(ipaddr=str(iface.ip), netmask=str(iface.netmask))
        gateway = gw_of(devs[0])
        if gateway:
            wan.options["gateway"] = gateway
        wan6 = pkg.new_section("interface", "wan6")
        wan6.options.update(device=devs[0], proto="dhcpv6")
    return pkg


def boot_environment():
    """PID 1's environment: lab.py passes OWRT_EMU_WAN/OWRT_EMU_LAN there."""
    try:
        with open("/proc/1/environ", "rb") as fh:
            items = fh.read().decode(errors="replace").split("\0")
    except OSError:
        return {}
    return dict(i.split("=", 1) for i in items if "=" in i)


def wan_lan_devices(devs, env, addr_of=_ipv4_of):
    """[wan, lan] devices: the ones holding OWRT_EMU_WAN / OWRT_EMU_LAN,
    else the container's devices in name order."""
    by_addr = {}
    for dev in devs:
        iface = addr_of(dev)
        if iface is not None:
            by_addr[str(iface.ip)] = dev
    picked = [by_addr.get(env.get(k, "")) for k in ("OWRT_EMU_WAN", "OWRT_EMU_LAN")]
    if picked[0] is None:
        return devs
    rest = [d for d in devs if d not in picked]
    return [d for d in picked if d is not None] + rest


def cmd_firstboot():
    confdir = uci.CONFDIR
    os.makedirs(confdir, exist_ok=True)
    ctx = uci.Uci()
    if not os.path.exists(os.path.join(confdir, "network")):
        devs = wan_lan_devices(ethernet_devices(), boot_environment())
        ctx.write_config(fresh_network(devs))
    if not os.path.exists(os.path.join(confdir, "firewall")):
        with open(os.path.join(DEFAULTS, "firewall"), encoding="utf-8") as src:
            text = src.read()
        with open(os.path.join(confdir, "firewall"), "w", encoding="utf-8") as dst:
            dst.write(text)
    if not os.path.exists(os.path.join(confdir, "system")):
        pkg = uci.Package("system")
        sec = pkg.new_section("system")
        sec.name = pkg.anon_name(sec)
        sec.options.update(hostname="OpenWrt", timezone="UTC", ttylogin="0", log_size="64",
                           urandom_seed="0")
        ctx.write_config(pkg)
    return 0


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        sys.stderr.write(__doc__)
        return 1
    cmd, args = argv[0], argv[1:]
    handlers = {
        "firstboot": cmd_firstboot, "boot": cmd_boot, "start": cmd_boot, "restart": cmd_boot,
        "reload": cmd_reload, "stop": cmd_stop, "reload_config": cmd_reload_config,
        "ifup": functools.partial(cmd_ifup, args), "ifdown": functools.partial(cmd_ifdown, args),
        "ifstatus": functools.partial(cmd_ifstatus, args),
    }
    if cmd not in handlers:
        sys.stderr.write(__doc__)
        return 1
    os.makedirs(STATE_DIR, exist_ok=True)
    import fcntl  # pylint: disable=import-outside-toplevel
    with open(os.path.join(STATE_DIR, ".lock"), "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return handlers[cmd]()
        except uci.UciError as exc:
            sys.stderr.write("netifd: /etc/config: %s\n" % exc.message)
            return 1


if __name__ == "__main__":
    sys.exit(main())
