# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""roles/wireguard/files/openwrt_*.sh: the scripts the role runs on OpenWrt,
run here under `busybox ash` with the emulated `uci` of tests/openwrt/ (on a
temporary config directory), the real `wg` for keys, and logging stubs for
wg set / ip / ifup / fw4 / opkg.

- every script passes `shellcheck -s sh` and `busybox ash -n`;
- key: a fresh router gets a key in UCI whose public key is printed, the
  private key appears in no output, a second run is unchanged, check mode
  writes nothing, a broken key fails, a non-WireGuard network.wg0 is refused;
- read: secrets are redacted;
- read -> _openwrt.reconcile -> apply -> read: the second reconcile finds
  nothing to do, the live operations ran in order, unowned sections are
  byte-for-byte the same, and foreign uncommitted changes make apply refuse.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from ansible_collections.wgnet.wireguard.plugins.plugin_utils import _openwrt
from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import plan_networks

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FILES = os.path.join(REPO, "roles", "wireguard", "files")
EMU = os.path.join(REPO, "tests", "openwrt", "rootfs", "usr", "libexec", "owrt-emu")
SCRIPTS = sorted(f for f in os.listdir(FILES) if f.startswith("openwrt_") and f.endswith(".sh"))
BUSYBOX = shutil.which("busybox")
WG = shutil.which("wg")

NETWORK = """
config interface 'loopback'
\toption device 'lo'
\toption proto 'static'
\toption ipaddr '127.0.0.1'
\toption netmask '255.0.0.0'

config interface 'lan'
\toption device 'eth1'
\toption proto 'static'
\toption ipaddr '192.168.8.1'
\toption netmask '255.255.255.0'

config interface 'wan'
\toption device 'eth0'
\toption proto 'pppoe'
\toption username 'me'
\toption password 'hunter2hunter2'
"""

STUB = """#!/bin/sh
echo "$(basename "$0") $*" >> "$STUB_LOG"
"""
# A wg that logs what changes and keeps the peers' preshared keys and the
# private key in files ($WG_STATE.*), so `wg show <if> preshared-keys` reads back
# what `wg set` stored. Secrets reach it as files or stdin only, as on a router.
WG_STUB = r"""#!/bin/sh
case "$1" in
genkey|pubkey) exec "$REAL_WG" "$@" ;;
show)
    case "$3" in
    preshared-keys) cat "$WG_STATE.psk" 2>/dev/null ;;
    endpoints) cat "$WG_STATE.ep" 2>/dev/null ;;
    dump)
        printf 'PRIVATE\tPUBLIC\t51820\toff\n'
        [ -f "$WG_STATE.psk" ] && while IFS=$(printf '\t') read -r k p; do
            printf '%s\t%s\t(none)\t10.9.0.0/24\t0\t0\t0\t25\n' "$k" "$p"
        done < "$WG_STATE.psk" ;;
    esac
    exit 0 ;;
esac
echo "wg $*" >> "$STUB_LOG"
[ "$1" = set ] || exit 0
tab=$(printf '\t')
touch "$WG_STATE.psk"
peer=""
while [ $# -gt 0 ]; do
    case "$1" in
    peer)
        peer=$2
        shift
        grep -q "^$peer$tab" "$WG_STATE.psk" || printf '%s\t(none)\n' "$peer" >> "$WG_STATE.psk" ;;
    remove)
        grep -v "^$peer$tab" "$WG_STATE.psk" > "$WG_STATE.tmp" || true
        mv "$WG_STATE.tmp" "$WG_STATE.psk" ;;
    preshared-key)
        v=$(cat "$2")
        grep -v "^$peer$tab" "$WG_STATE.psk" > "$WG_STATE.tmp" || true
        printf '%s\t%s\n' "$peer" "${v:-(none)}" >> "$WG_STATE.tmp"
        mv "$WG_STATE.tmp" "$WG_STATE.psk"
        shift ;;
    private-key)
        cp "$2" "$WG_STATE.private"
        shift ;;
    esac
    shift
done
"""
UCI = """#!/bin/sh
exec "%s" "%s" -c "$UCI_CONF" -t "$UCI_SAVE" "$@"
"""
OPKG = """#!/bin/sh
echo "opkg $*" >> "$STUB_LOG"
case "$1" in
list-installed) printf 'busybox - 1.36.1-1\\nwireguard-tools - 1.0.20210914-3\\n' ;;
esac
"""


@pytest.fixture()
def router(tmp_path):
    if not BUSYBOX or not WG:
        pytest.fail("busybox and wg are needed (Makefile APT_PACKAGES, wireguard-tools)")
    if not os.path.exists(os.path.join(EMU, "uci.py")):
        pytest.fail("the OpenWrt emulation (tests/openwrt/) is missing")
    conf, save, bindir = tmp_path / "config", tmp_path / "save", tmp_path / "bin"
    for d in (conf, save, bindir):
        d.mkdir()
    (conf / "network").write_text(NETWORK)
    shutil.copy(os.path.join(EMU, "defaults", "firewall"), conf / "firewall")
    stubs = {"uci": UCI % (sys.executable, os.path.join(EMU, "uci.py")), "wg": WG_STUB, "opkg": OPKG}
    for name in ("ip", "ifup", "fw4", "network", "ping"):
        stubs[name] = STUB
    # cron's init script (enabled, running) and a crond that runs.
    stubs["cron"] = STUB.replace("echo", "[ \"$1\" = enabled ] && exit 0\necho", 1)
    stubs["pidof"] = "#!/bin/sh\nexit 0\n"
    for name, text in stubs.items():
        (bindir / name).write_text(text)
        (bindir / name).chmod(0o755)
    # OpenWrt's userland: BusyBox applets, then the stubs first.
    applets = tmp_path / "applets"
    applets.mkdir()
    for applet in ("sed", "awk", "grep", "cut", "wc", "tr", "cat", "basename", "sleep", "printf", "echo", "date",
                   "mkdir", "chmod", "mv", "rm", "touch", "cp", "usleep", "dirname", "sha256sum", "logger"):
        os.symlink(BUSYBOX, applets / applet)
    # OpenWrt's BusyBox may have flock (without -w); Debian's has none.
    os.symlink(shutil.which("flock"), applets / "flock")
    env = {"PATH": "%s:%s" % (bindir, applets), "UCI_CONF": str(conf), "UCI_SAVE": str(save),
           "STUB_LOG": str(tmp_path / "log"), "REAL_WG": WG, "LANG": "C",
           "WGNET_OPENWRT_INITD": str(bindir), "WG_STATE": str(tmp_path / "wg"),
           "WGNET_OPENWRT_KEYDIR": str(tmp_path / "wgnet"), "WGNET_OPENWRT_SBIN": str(tmp_path / "sbin"),
           "WGNET_ETC": str(tmp_path / "etc"), "WGNET_RUN": str(tmp_path / "run"),
           "WGNET_OPENWRT_CRONTABS": str(tmp_path / "crontabs")}

    class Router(object):
        state = tmp_path / "wg.x"
        keydir = tmp_path / "wgnet"
        root = tmp_path

        def run(self, script, *args, check=True, stdin="", directory=FILES):
            r = subprocess.run([BUSYBOX, "ash", os.path.join(directory, script)] + list(args), env=env,
                               input=stdin, capture_output=True, text=True, check=False)
            if check:
                assert r.returncode == 0, "%s: %s %s" % (script, r.stdout, r.stderr)
            return r

        def uci(self, *args):
            return subprocess.run([str(bindir / "uci")] + list(args), env=env, capture_output=True, text=True,
                                  check=False)

        def log(self):
            path = tmp_path / "log"
            text = path.read_text() if path.exists() else ""
            path.write_text("")
            return [line for line in text.splitlines() if line]

    return Router()


@pytest.mark.parametrize("script", SCRIPTS)
def test_scripts_pass_shellcheck_and_busybox_ash(script):
    assert len(SCRIPTS) == 4
    path = os.path.join(FILES, script)
    for cmd in (["shellcheck", "-s", "sh", path], [BUSYBOX or "busybox", "ash", "-n", path]):
        r = subprocess.run(cmd, capture_output=True, text=True, check=False)
        assert r.returncode == 0, "%s: %s%s" % (" ".join(cmd), r.stdout, r.stderr)


def pairs(text):
    return _openwrt.parse_pairs(text)


def test_key_is_made_on_the_router_and_only_the_public_key_leaves(router):
    r = router.run("openwrt_key.sh", "wg0", "fail", "1")
    assert pairs(r.stdout) == {"interface": "wg0", "public_key": "", "changed": "1"}
    assert router.uci("-q", "get", "network.wg0").returncode != 0, "check mode wrote the interface"

    r = router.run("openwrt_key.sh", "wg0", "fail", "0")
    out = pairs(r.stdout)
    private = router.uci("get", "network.wg0.private_key").stdout.strip()
    public = subprocess.run([WG, "pubkey"], input=private + "\n", capture_output=True, text=True,
                            check=True).stdout.strip()
    assert out == {"interface": "wg0", "public_key": public, "changed": "1"}
    assert private not in r.stdout + r.stderr
    assert router.uci("get", "network.wg0.proto").stdout.strip() == "wireguard"
    assert router.uci("changes", "network").stdout == "", "the key is committed"

    again = router.run("openwrt_key.sh", "wg0", "fail", "0")
    assert pairs(again.stdout)["changed"] == "0" and pairs(again.stdout)["public_key"] == public
    assert router.uci("get", "network.wg0.private_key").stdout.strip() == private

    rotated = router.run("openwrt_key.sh", "wg0", "always", "0")
    assert pairs(rotated.stdout)["public_key"] != public


def test_key_script_refuses_what_it_must_not_touch(router):
    router.uci("set", "network.wg0=interface")
    router.uci("set", "network.wg0.proto=wireguard")
    router.uci("set", "network.wg0.private_key=broken")
    router.uci("commit", "network")
    r = router.run("openwrt_key.sh", "wg0", "fail", "0", check=False)
    assert r.returncode == 1 and "holds no valid WireGuard key" in r.stderr
    r = router.run("openwrt_key.sh", "wg0", "full_idempotence", "0")
    assert pairs(r.stdout)["changed"] == "1" and pairs(r.stdout)["public_key"]

    r = router.run("openwrt_key.sh", "wan", "fail", "0", check=False)
    assert r.returncode == 1 and "not a WireGuard interface" in r.stderr

    router.uci("set", "network.lan.ipaddr=192.168.9.1")
    r = router.run("openwrt_key.sh", "wg1", "fail", "0", check=False)
    assert r.returncode == 1 and "uncommitted changes" in r.stderr
    assert router.uci("-q", "get", "network.wg1").returncode != 0


def test_read_redacts_secrets(router):
    router.run("openwrt_key.sh", "wg0", "fail", "0")
    private = router.uci("get", "network.wg0.private_key").stdout.strip()
    out = router.run("openwrt_read.sh").stdout
    assert private not in out and "hunter2" not in out
    assert "option private_key 'REDACTED'" in out and "option password 'REDACTED'" in out
    assert "#wgnet changes network 0" in out and "#wgnet changes firewall 0" in out
    parsed = _openwrt.parse_export(out)
    assert set(parsed) == {"network", "firewall"}


KEYS = {"hub": "ERERERERERERERERERERERERERERERERERERERERERE=",
        "laptop": "MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM="}


def home_plan(router_key, laptop=True):
    hostvars = {"hub": {"wireguard_address": "10.9.0.1", "wireguard_endpoint": "203.0.113.10"},
                "router": {"wireguard_address": "10.9.0.2", "wireguard_lan_subnets": ["192.168.8.0/24"],
                           "wireguard_endpoint": "198.51.100.2"},
                "laptop": {"wireguard_address": "10.9.0.3", "wireguard_endpoint": "198.51.100.3"}}
    members = ["hub", "router"] + (["laptop"] if laptop else [])
    keys = dict(KEYS, router=router_key)
    return plan_networks(hostvars, {"wg0": {"range": "10.9.0.0/24", "topology": "hybrid"}},
                         {"wireguard": members, "wireguard_hubs": ["hub"]}, {"wg0": keys})


def apply(router, result):
    """Run the apply script as the action does: from a directory that also
    holds the files the result brings (the watchdog's script and configs)."""
    directory = router.root / "remote_tmp"
    shutil.rmtree(str(directory), ignore_errors=True)
    directory.mkdir()
    shutil.copy(os.path.join(FILES, "openwrt_apply.sh"), str(directory))
    for name, text in result.get("files", {}).items():
        (directory / name).write_text(text)
    return router.run("openwrt_apply.sh", "\n".join(result["batch"]), "\n".join(result["ops"]),
                      " ".join(result["commit"]), directory=str(directory))


def test_read_reconcile_apply_round_trip(router):
    public = pairs(router.run("openwrt_key.sh", "wg0", "fail", "0").stdout)["public_key"]
    private = router.uci("get", "network.wg0.private_key").stdout.strip()
    lan_before = router.uci("show", "network.lan").stdout
    firewall_defaults = _openwrt.parse_export(router.uci("export", "firewall").stdout)["firewall"]
    router.log()

    result = _openwrt.reconcile(home_plan(public), "router", router.run("openwrt_read.sh").stdout)
    assert result["changed"] and result["ops"] == ["ifup wg0", "firewall"]
    r = apply(router, result)
    assert router.log() == ["ifup wg0", "ip link show dev wg0", "fw4 -q reload"]
    assert "changed=1" in r.stdout and private not in r.stdout + r.stderr
    assert router.uci("get", "network.wg0.private_key").stdout.strip() == private
    assert router.uci("get", "network.wgnet_wg0_laptop.endpoint_host").stdout.strip() == "198.51.100.3"
    assert router.uci("get", "firewall.wgnet_port_wg0.dest_port").stdout.strip() == "51820"
    assert router.uci("show", "network.lan").stdout == lan_before
    firewall = _openwrt.parse_export(router.uci("export", "firewall").stdout)["firewall"]
    assert [f for f in firewall if not f["name"].startswith("wgnet_")] == firewall_defaults

    again = _openwrt.reconcile(home_plan(public), "router", router.run("openwrt_read.sh").stdout)
    assert not again["changed"] and again["batch"] == []

    # The laptop leaves: its section goes and the peer is removed live, the interface stays up.
    gone = _openwrt.reconcile(home_plan(public, laptop=False), "router", router.run("openwrt_read.sh").stdout)
    assert gone["ops"] == ["unpeer wg0 %s" % KEYS["laptop"]]
    apply(router, gone)
    assert router.log() == ["wg set wg0 peer %s remove" % KEYS["laptop"]]
    assert router.uci("-q", "get", "network.wgnet_wg0_laptop").returncode != 0
    assert not _openwrt.reconcile(home_plan(public, laptop=False), "router",
                                  router.run("openwrt_read.sh").stdout)["changed"]

    # Back again: a live peer add with its endpoint, no ifup.
    back = _openwrt.reconcile(home_plan(public), "router", router.run("openwrt_read.sh").stdout)
    apply(router, back)
    assert router.log() == ["ip link show dev wg0",
                            "wg set wg0 peer %s allowed-ips 10.9.0.3/32 persistent-keepalive 0 endpoint "
                            "198.51.100.3:51820" % KEYS["laptop"]]

    # Someone's staged change in another config stays staged; one in a config apply must commit makes it refuse.
    router.uci("set", "firewall.@zone[0].input=DROP")
    result = _openwrt.reconcile(home_plan(public, laptop=False), "router", router.run("openwrt_read.sh").stdout)
    assert result["commit"] == ["network"]
    apply(router, result)
    assert "DROP" in router.uci("changes", "firewall").stdout
    router.uci("set", "network.lan.ipaddr=192.168.9.1")
    result = _openwrt.reconcile(home_plan(public), "router", router.run("openwrt_read.sh").stdout)
    r = router.run("openwrt_apply.sh", "\n".join(result["batch"]), "\n".join(result["ops"]),
                   " ".join(result["commit"]), check=False)
    assert r.returncode == 1 and "uncommitted changes" in r.stderr
    assert router.uci("-q", "get", "network.wgnet_wg0_laptop").returncode != 0
    assert "192.168.9.1" in router.uci("changes", "network").stdout


def test_absent_removes_the_owned_sections(router):
    public = pairs(router.run("openwrt_key.sh", "wg0", "fail", "0").stdout)["public_key"]
    apply(router, _openwrt.reconcile(home_plan(public), "router", router.run("openwrt_read.sh").stdout))
    router.log()
    result = _openwrt.reconcile(None, "router", router.run("openwrt_read.sh").stdout, absent=["wg0"])
    apply(router, result)
    assert router.log() == ["network reload", "fw4 -q reload"]
    out = router.run("openwrt_read.sh").stdout
    assert "wg0" not in out and "wgnet" not in out.replace("#wgnet", "")


def test_packages_installed_only_when_missing(router):
    r = router.run("openwrt_packages.sh", "1", "wireguard-tools", "kmod-wireguard")
    assert pairs(r.stdout) == {"release": "", "manager": "opkg", "missing": "kmod-wireguard", "changed": "1"}
    assert router.log() == ["opkg list-installed"]
    r = router.run("openwrt_packages.sh", "0", "wireguard-tools", "kmod-wireguard")
    assert router.log() == ["opkg list-installed", "opkg update", "opkg install kmod-wireguard"]
    r = router.run("openwrt_packages.sh", "0", "wireguard-tools")
    assert pairs(r.stdout)["changed"] == "0" and router.log() == ["opkg list-installed"]


RELEASE = """DISTRIB_ID='OpenWrt'
DISTRIB_RELEASE='%s'
DISTRIB_REVISION='r1-0'
DISTRIB_TARGET='x86/64'
"""


@pytest.fixture()
def emulated_root(tmp_path):
    """A root with the emulation's opkg and apk (tests/openwrt/) over their
    databases, the base set installed, and /etc/openwrt_release."""
    root = tmp_path / "root"
    for d in ("usr/lib/opkg", "usr/libexec/owrt-emu", "lib/apk/db", "etc/apk", "bin"):
        (root / d).mkdir(parents=True)
    shutil.copy(os.path.join(EMU, "opkg-available"), root / "usr/libexec/owrt-emu")
    (root / "usr/lib/opkg/status").write_text("Package: busybox\nVersion: 1.36.1-1\nStatus: install user installed\n\n")
    (root / "lib/apk/db/installed").write_text("P:busybox\nV:1.37.0-r1\nA:x86_64\n\n")
    (root / "etc/apk/world").write_text("busybox\n")
    rootfs = os.path.dirname(os.path.dirname(os.path.dirname(EMU)))
    tools = {"opkg": os.path.join(rootfs, "usr", "bin", "opkg"), "apk": os.path.join(EMU, "apk")}

    def run(release, manager, *args):
        (root / "etc/openwrt_release").write_text(RELEASE % release)
        bindir = root / "bin"
        for name in ("opkg", "apk"):
            path = bindir / name
            if path.exists():
                path.unlink()
        (bindir / manager).write_text('#!/bin/sh\nexec "%s" ash "%s" "$@"\n' % (BUSYBOX, tools[manager]))
        (bindir / manager).chmod(0o755)
        applets = tmp_path / "applets"
        if not applets.exists():
            applets.mkdir()
            for applet in ("sed", "awk", "grep", "cut", "wc", "sort", "cat", "mkdir", "mv", "date", "printf", "echo"):
                os.symlink(BUSYBOX, applets / applet)
        env = {"PATH": "%s:%s" % (bindir, applets), "LANG": "C", "WGNET_OPENWRT_ETC": str(root / "etc"),
               "OPKG_EMU_ROOT": str(root), "APK_EMU_ROOT": str(root)}
        return subprocess.run([BUSYBOX, "ash", os.path.join(FILES, "openwrt_packages.sh")] + list(args), env=env,
                              capture_output=True, text=True, check=False)
    run.root = root
    return run


@pytest.mark.parametrize("release,manager", [("22.03.7", "opkg"), ("23.05.5", "opkg"), ("24.10.4", "opkg"),
                                             ("25.12.0", "apk")])
def test_packages_with_the_emulated_opkg_and_apk(emulated_root, release, manager):
    """The package script against the emulation's opkg and apk (v3 command
    line: apk info -e, apk update, apk add): check mode installs nothing, the
    install needs the update first (run by the script), a second run is
    unchanged."""
    wanted = ("wireguard-tools", "kmod-wireguard", "luci-proto-wireguard")
    r = emulated_root(release, manager, "1", *wanted)
    assert r.returncode == 0, r.stderr
    assert pairs(r.stdout) == {"release": release, "manager": manager, "missing": " ".join(wanted), "changed": "1"}
    r = emulated_root(release, manager, "0", *wanted)
    assert r.returncode == 0, r.stdout + r.stderr
    again = emulated_root(release, manager, "0", *wanted)
    assert pairs(again.stdout)["changed"] == "0" and pairs(again.stdout)["missing"] == "", again.stdout
    if manager == "apk":
        installed = (emulated_root.root / "lib/apk/db/installed").read_text()
        assert all("P:%s\n" % p in installed for p in wanted)
        assert (emulated_root.root / "etc/apk/world").read_text().split() == ["busybox"] + list(wanted)
    else:
        status = (emulated_root.root / "usr/lib/opkg/status").read_text()
        assert all("Package: %s\n" % p in status for p in wanted)


def test_packages_refuse_fw3_releases_and_follow_snapshots(emulated_root):
    r = emulated_root("21.02.7", "opkg", "1", "wireguard-tools")
    assert r.returncode == 1 and "older than 22.03" in r.stderr
    r = emulated_root("SNAPSHOT", "apk", "1", "wireguard-tools")
    assert pairs(r.stdout)["manager"] == "apk"


MASTER = "a-master-secret-for-the-unit-tests"


def psk_home_plan(router_key):
    hostvars = {"hub": {"wireguard_address": "10.9.0.1", "wireguard_endpoint": "203.0.113.10"},
                "router": {"wireguard_address": "10.9.0.2", "wireguard_lan_subnets": ["192.168.8.0/24"]}}
    return plan_networks(hostvars, {"wg0": {"range": "10.9.0.0/24"}},
                         {"wireguard": ["hub", "router"], "wireguard_hubs": ["hub"]},
                         {"wg0": dict(KEYS, router=router_key)}, preshared_keys=True)


def apply_psk(router, result, stdin, check="0"):
    return router.run("openwrt_apply.sh", "\n".join(result["batch"]), "\n".join(result["ops"]),
                      " ".join(result["commit"]), check, stdin=stdin)


def live_psks(router):
    path = router.state.with_name("wg.psk")
    return dict(line.split("\t") for line in path.read_text().splitlines()) if path.exists() else {}


def test_preshared_keys_come_from_stdin_and_never_show(router):
    """The PSK goes from stdin into UCI (uci batch) and into the live peer
    (wg set ... preshared-key /dev/stdin); it is in no argument and no output.
    A second run changes nothing, check mode only reports a changed master,
    and turning PSKs off clears them in UCI and live."""
    public = pairs(router.run("openwrt_key.sh", "wg0", "fail", "0").stdout)["public_key"]
    the_plan = psk_home_plan(public)
    lines = _openwrt.psk_entries(the_plan, "router", MASTER)
    psk = lines[0].split()[3]
    stdin = "\n".join(lines) + "\n"
    result = _openwrt.reconcile(the_plan, "router", router.run("openwrt_read.sh").stdout)
    r = apply_psk(router, result, stdin)
    assert psk not in r.stdout + r.stderr and "changed=1" in r.stdout
    assert router.uci("get", "network.wgnet_wg0_hub.preshared_key").stdout.strip() == psk
    # netifd brought the interface up from UCI (a stub here): set the peer live without its PSK, as a
    # router that booted before the PSK was in UCI would have it.
    router.state.with_name("wg.psk").write_text("%s\t(none)\n" % KEYS["hub"])
    router.log()
    r = apply_psk(router, _openwrt.reconcile(the_plan, "router", router.run("openwrt_read.sh").stdout), stdin)
    assert live_psks(router) == {KEYS["hub"]: psk}
    assert router.log() == ["wg set wg0 peer %s preshared-key /dev/stdin" % KEYS["hub"]]
    assert psk not in r.stdout + r.stderr and "done=psk wg0 wgnet_wg0_hub" in r.stdout

    again = _openwrt.reconcile(the_plan, "router", router.run("openwrt_read.sh").stdout)
    assert not again["changed"]
    r = apply_psk(router, again, stdin)
    assert pairs(r.stdout)["changed"] == "0" and router.log() == []

    # A new master: check mode reports it and changes nothing.
    new_lines = _openwrt.psk_entries(the_plan, "router", MASTER + "-2")
    new_stdin = "\n".join(new_lines) + "\n"
    r = apply_psk(router, again, new_stdin, check="1")
    assert pairs(r.stdout)["changed"] == "1" and router.log() == []
    assert router.uci("get", "network.wgnet_wg0_hub.preshared_key").stdout.strip() == psk
    r = apply_psk(router, again, new_stdin)
    assert pairs(r.stdout)["changed"] == "1"
    assert live_psks(router) == {KEYS["hub"]: new_lines[0].split()[3]}

    # Off: the option leaves UCI and the live PSK is cleared with /dev/null.
    off = _openwrt.reconcile(home_plan(public, laptop=False), "router", router.run("openwrt_read.sh").stdout)
    assert "delete network.wgnet_wg0_hub.preshared_key" in off["batch"]
    router.log()
    apply_psk(router, off, "")
    assert router.uci("-q", "get", "network.wgnet_wg0_hub.preshared_key").returncode != 0
    assert any(line.endswith("preshared-key /dev/null") for line in router.log())
    assert live_psks(router)[KEYS["hub"]] == "(none)"


def test_rotation_key_waits_on_the_router_until_the_moment(router):
    """rotate.yml on a router: the new key waits in KEYDIR (0600 in 0700), UCI
    keeps the old key until the `key` operation at the agreed moment, which
    sets it live from the file, commits it with the rotation id and removes
    the file; the same rotation id again changes nothing."""
    import stat
    import time

    first = pairs(router.run("openwrt_key.sh", "wg0", "fail", "0").stdout)["public_key"]
    old_private = router.uci("get", "network.wg0.private_key").stdout.strip()
    r = router.run("openwrt_key.sh", "wg0", "fail", "1", "2026-12-02")
    assert pairs(r.stdout) == {"interface": "wg0", "public_key": "", "changed": "1", "rotated": "1",
                               "rotation_id": "2026-12-02"}
    assert not router.keydir.exists(), "check mode made a key"
    r = router.run("openwrt_key.sh", "wg0", "fail", "0", "2026-12-02")
    out = pairs(r.stdout)
    assert out["rotated"] == "1" and out["public_key"] not in ("", first)
    pending = router.keydir / "wg0.key"
    assert stat.S_IMODE(pending.stat().st_mode) == 0o600 and stat.S_IMODE(router.keydir.stat().st_mode) == 0o700
    new_private = pending.read_text().strip()
    assert new_private not in r.stdout + r.stderr
    assert router.uci("get", "network.wg0.private_key").stdout.strip() == old_private
    # A run that stopped before the switch: the same new key again.
    assert pairs(router.run("openwrt_key.sh", "wg0", "fail", "0", "2026-12-02").stdout)["public_key"] == \
        out["public_key"]

    hub = KEYS["hub"]
    router.state.with_name("wg.psk").write_text("%s\tPSK-OF-THE-HUB-PAIR\n" % hub)
    router.log()
    at = time.time() + 1.5
    ops = ["wait %.3f" % (at - 0.3), "hold wg0", "wait %.3f" % at, "key wg0 2026-12-02", "kick wg0 10.9.0.1"]
    r = router.run("openwrt_apply.sh", "", "\n".join(ops), "")
    ended = time.time()
    assert at - 0.05 <= ended < at + 5, "the switch did not wait for the moment (%.2f s off)" % (ended - at)
    assert new_private not in r.stdout + r.stderr
    # hold sets a throwaway key through stdin (the peers and their sessions
    # stay, to receive); key then sets the new one from its file.
    assert router.log() == ["wg set wg0 private-key /dev/stdin",
                            "ip link show dev wg0", "wg set wg0 private-key %s" % pending,
                            "ping -c 1 -W 1 -I wg0 10.9.0.1"]
    assert live_psks(router) == {hub: "PSK-OF-THE-HUB-PAIR"}
    assert "PSK-OF-THE-HUB-PAIR" not in r.stdout + r.stderr
    assert router.uci("get", "network.wg0.private_key").stdout.strip() == new_private
    assert router.uci("get", "network.wg0.wgnet_rotation").stdout.strip() == "2026-12-02"
    assert router.uci("changes", "network").stdout == ""
    assert not pending.exists()
    again = pairs(router.run("openwrt_key.sh", "wg0", "fail", "0", "2026-12-02").stdout)
    assert again["changed"] == "0" and again["public_key"] == out["public_key"] and "rotated" not in again
    r = router.run("openwrt_key.sh", "wg0", "fail", "0", "it's", check=False)
    assert r.returncode == 1 and "letters, digits" in r.stderr
    # Without a new key waiting, hold refuses before it touches the live key.
    router.log()
    r = router.run("openwrt_apply.sh", "", "hold wg0", "", check=False)
    assert r.returncode == 1 and "no new key for wg0 waiting" in r.stderr
    assert router.log() == []


def test_waits_end_at_their_moment_not_at_the_next_whole_second(router):
    """BusyBox date without %N: the script finds the second boundary once. It
    used to do so on every clock reading (in a subshell), so each wait ended
    at the next whole second, up to 1 s late: a router's rotation then held
    its packets after its peers had dropped its old key."""
    import time

    base = int(time.time()) + 2
    first, second = base + 0.1, base + 0.4
    r = router.run("openwrt_apply.sh", "", "wait %.3f\nwait %.3f" % (first, second), "")
    ended = time.time()
    assert "done=wait %.3f" % second in r.stdout
    assert second - 0.05 <= ended < second + 0.3, "the waits ended %.2f s after the second moment" % (ended - second)


def test_a_rotation_stopped_after_hold_gets_the_old_key_back(router):
    """hold puts a throwaway key live; should the script stop before `key`,
    the interface gets UCI's key back instead of staying cut off."""
    router.run("openwrt_key.sh", "wg0", "fail", "0")
    old_private = router.uci("get", "network.wg0.private_key").stdout.strip()
    router.run("openwrt_key.sh", "wg0", "fail", "0", "r1")
    live = router.state.with_name("wg.private")
    r = router.run("openwrt_apply.sh", "", "hold wg0\nbogus", "", check=False)
    assert r.returncode == 1 and "unknown operation: bogus" in r.stderr
    assert "its old key is back" in r.stderr and old_private not in r.stdout + r.stderr
    assert live.read_text().strip() == old_private
    # A rotation that reached `key` keeps the new key.
    new_private = (router.keydir / "wg0.key").read_text().strip()
    r = router.run("openwrt_apply.sh", "", "hold wg0\nkey wg0 r1", "")
    assert "old key is back" not in r.stderr and live.read_text().strip() == new_private


def site_plan(router_key, site=True):
    """The router and the laptop in one house behind one NAT (no endpoints),
    the hub outside: with `site`, they are each other's watched peers."""
    hostvars = {"hub": {"wireguard_address": "10.9.0.1", "wireguard_endpoint": "203.0.113.10"},
                "router": {"wireguard_address": "10.9.0.2", "wireguard_lan_subnets": ["192.168.8.0/24"]},
                "laptop": {"wireguard_address": "10.9.0.3"}}
    if site:
        hostvars["router"]["wireguard_site"] = hostvars["laptop"]["wireguard_site"] = "home"
    probes = {"router": {"now": 1767225600, "default_ipv4": "192.168.8.1"},
              "laptop": {"now": 1767225600, "default_ipv4": "192.168.8.20"}}
    return plan_networks(hostvars, {"wg0": {"range": "10.9.0.0/24"}},
                         {"wireguard": ["hub", "router", "laptop"], "wireguard_hubs": ["hub"]},
                         {"wg0": dict(KEYS, router=router_key)}, probes=probes)


def test_watchdog_is_installed_run_by_cron_followed_and_removed(router):
    """A router with a site neighbour: UCI holds the neighbour on the hub
    (relay form), the watchdog's script, config and cron line are installed
    and cron restarted; a second run is unchanged; drift is repaired; the
    watchdog's direct decision is what goes live, under its lock; without the
    site everything of the watchdog goes."""
    from ansible_collections.wgnet.wireguard.plugins.module_utils import _wg_direct
    from ansible_collections.wgnet.wireguard.plugins.plugin_utils._topology import host_interfaces, interface_peers

    public = pairs(router.run("openwrt_key.sh", "wg0", "fail", "0").stdout)["public_key"]
    root, laptop = router.root, KEYS["laptop"]
    result = _openwrt.reconcile(site_plan(public), "router", router.run("openwrt_read.sh").stdout)
    assert result["ops"] == ["script", "config wg0", "ifup wg0", "cron wg0", "crond", "watchdog wg0", "firewall"]
    # The peers netifd's ifup would set (the wg stub's `dump` lists them).
    (root / "wg.psk").write_text("%s\t(none)\n%s\t(none)\n" % (KEYS["hub"], laptop))
    apply(router, result)
    assert (root / "sbin" / "wgnet-watchdog").read_text() == _wg_direct.SCRIPT
    assert oct((root / "sbin" / "wgnet-watchdog").stat().st_mode & 0o777) == "0o755"
    planned = interface_peers(host_interfaces(site_plan(public), "router")[0])
    assert (root / "etc" / "wg0.watchdog").read_text() == _wg_direct.watchdog_config("wg0", planned)
    assert (root / "crontabs" / "root").read_text() == "* * * * * %s/wgnet-watchdog wg0 6 10\n" % (root / "sbin")
    log = router.log()
    assert "cron enable" in log and "cron restart" in log
    # The watchdog ran once: its state exists, the neighbour is on the relay.
    assert (root / "run" / "wg0.status").read_text().split()[:2] == [laptop, "relay"]
    # UCI: the neighbour without prefixes of its own, the hub carrying them.
    assert router.uci("-q", "get", "network.wgnet_wg0_laptop.allowed_ips").returncode != 0
    assert router.uci("get", "network.wgnet_wg0_laptop.persistent_keepalive").stdout.strip() == "25"
    assert "10.9.0.3/32" in router.uci("get", "network.wgnet_wg0_hub.allowed_ips").stdout
    # Its port is open on wan to the neighbour only (a site path has no keepalive to keep conntrack open).
    assert router.uci("get", "firewall.wgnet_port_wg0.src_ip").stdout.split() == ["192.168.8.20"]

    again = _openwrt.reconcile(site_plan(public), "router", router.run("openwrt_read.sh").stdout)
    assert not again["changed"] and again["ops"] == []

    # Drift: the cron line deleted, the config edited.
    (root / "crontabs" / "root").write_text("0 4 * * * /sbin/reboot\n")
    (root / "etc" / "wg0.watchdog").write_text("# edited\n")
    fix = _openwrt.reconcile(site_plan(public), "router", router.run("openwrt_read.sh").stdout)
    assert fix["ops"] == ["config wg0", "cron wg0", "crond", "watchdog wg0"]
    apply(router, fix)
    assert (root / "crontabs" / "root").read_text().splitlines() == [
        "0 4 * * * /sbin/reboot", "* * * * * %s/wgnet-watchdog wg0 6 10" % (root / "sbin")]
    assert not _openwrt.reconcile(site_plan(public), "router", router.run("openwrt_read.sh").stdout)["changed"]

    # The watchdog has the laptop direct: a change to its section goes live
    # in the direct form, under the watchdog's lock.
    (root / "run" / "wg0.direct").write_text(laptop + "\n")
    router.uci("set", "network.wgnet_wg0_laptop.endpoint_port=51999")
    router.uci("commit", "network")
    router.log()
    live = _openwrt.reconcile(site_plan(public), "router", router.run("openwrt_read.sh").stdout)
    assert live["ops"] == ["lock wg0", "peer wg0 %s 10.9.0.3/32 192.168.8.20:51820 0" % laptop, "unlock wg0",
                           "watchdog wg0"]
    apply(router, live)
    assert "wg set wg0 peer %s allowed-ips 10.9.0.3/32 persistent-keepalive 0 endpoint 192.168.8.20:51820" \
        % laptop in router.log()

    # No site any more: the watchdog's files, state and cron line go.
    gone = _openwrt.reconcile(site_plan(public, site=False), "router", router.run("openwrt_read.sh").stdout)
    assert gone["ops"][:4] == ["lock wg0", "unwatch wg0", "unlock wg0", "unscript"]
    apply(router, gone)
    assert not (root / "sbin" / "wgnet-watchdog").exists() and not (root / "etc" / "wg0.watchdog").exists()
    assert not list((root / "run").glob("wg0.*[!k]"))
    assert (root / "crontabs" / "root").read_text() == "0 4 * * * /sbin/reboot\n"
    assert router.uci("-q", "get", "firewall.wgnet_port_wg0").returncode != 0
    assert not _openwrt.reconcile(site_plan(public, site=False), "router",
                                  router.run("openwrt_read.sh").stdout)["changed"]


def test_absent_interface_takes_its_watchdog_along(router):
    public = pairs(router.run("openwrt_key.sh", "wg0", "fail", "0").stdout)["public_key"]
    apply(router, _openwrt.reconcile(site_plan(public), "router", router.run("openwrt_read.sh").stdout))
    result = _openwrt.reconcile(None, "router", router.run("openwrt_read.sh").stdout, absent=["wg0"])
    assert result["ops"] == ["lock wg0", "unwatch wg0", "unlock wg0", "unscript", "crond", "reload", "firewall"]
    apply(router, result)
    assert not (router.root / "etc" / "wg0.watchdog").exists()
    assert "wgnet-watchdog" not in (router.root / "crontabs" / "root").read_text()
