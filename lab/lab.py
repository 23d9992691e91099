"""Local WireGuard test lab: systemd containers on podman networks.

Usage (from the repository root, with the project venv):
    .venv/bin/python lab/lab.py up      TOPOLOGY.yml [--no-build] [--timeout S]
    .venv/bin/python lab/lab.py down    TOPOLOGY.yml
    .venv/bin/python lab/lab.py status  TOPOLOGY.yml
    .venv/bin/python lab/lab.py inventory TOPOLOGY.yml   # Ansible YAML inventory
    .venv/bin/python lab/lab.py exec    TOPOLOGY.yml HOST -- CMD [ARG...]

Topology file:
    prefix: wgnet-lab            # containers/networks are "<prefix>-<name>"
    image: localhost/wgnet-debian:bookworm
    networks:
      wan:     {subnet: 172.31.250.0/24, gateway: 172.31.250.254}
      homelan: {subnet: 172.18.3.0/24,   gateway: 172.18.3.254, internal: false}
    hosts:
      hub:       {networks: {wan: 172.31.250.10}}
      router:    {networks: {wan: 172.31.250.12, homelan: 172.18.3.1}}
      lanclient: {networks: {homelan: 172.18.3.50}, default_gateway: 172.18.3.1}
      owrt:      {networks: {wan: 172.31.250.13, homelan: 172.18.3.2},
                  image: localhost/wgnet-openwrt-emu:23.05}

A host's `image` overrides the topology's. The OpenWrt emulation image
(tests/openwrt/, see its README) is built on demand by
tests/openwrt/image.sh; any other image must exist already. On an emulated
OpenWrt host the first network listed is its wan, the second its lan.

Each container keeps exactly one IPv4 default route: via `default_gateway`
when given (a LAN client behind a site router), else via the gateway of its
first network (podman would add one per network).

Every podman call runs with CONTAINERS_CONF=lab/containers.conf and
`--hooks-dir lab/hooks.d` (the hook makes /proc/sys/net writable inside the
container; `up` re-checks that and fixes it from the host if needed).
"""

import argparse
import fcntl
import concurrent.futures
import ipaddress
import json
import os
import re
import subprocess
import sys
import time

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit("lab.py needs PyYAML: run it with the project venv (.venv/bin/python lab/lab.py ...)")

LAB_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(LAB_DIR)
CONTAINERS_CONF = os.path.join(LAB_DIR, "containers.conf")
HOOKS_DIR = os.path.join(LAB_DIR, "hooks.d")
IMAGE_SH = os.path.join(LAB_DIR, "image.sh")
DEFAULT_IMAGE = "localhost/wgnet-debian:bookworm"
OWRT_EMU_IMAGE = "localhost/wgnet-openwrt-emu:23.05"
# The emulation in its two package-manager flavours: 23.05 (opkg), 25.12 (apk).
OWRT_EMU_IMAGES = (OWRT_EMU_IMAGE, "localhost/wgnet-openwrt-emu:25.12")
OWRT_EMU_SH = os.path.join(REPO_DIR, "tests", "openwrt", "image.sh")
LABEL_TOPO = "org.wgnet.lab.topology"
LABEL_HOST = "org.wgnet.lab.host"
NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
# NAT routers: "cone" keeps a flow's source port where it can (most home
# routers), "symmetric" picks a random port for every new flow (carrier-grade
# NAT; defeats hole punching).
NAT_KINDS = ("cone", "symmetric")
# The lab's own SSH key pair and known_hosts, outside the checkout (never
# committed) and at a fixed path, so that the static inventories can name it.
SSH_DIR_DISPLAY = "~/.cache/wgnet-lab/ssh"
SSH_DIR = os.path.expanduser(SSH_DIR_DISPLAY)
SSH_KEY = os.path.join(SSH_DIR, "id_ed25519")
KNOWN_HOSTS = os.path.join(SSH_DIR, "known_hosts")
SSH_USER = "deploy"

ENV = dict(os.environ, CONTAINERS_CONF=CONTAINERS_CONF)


class LabError(Exception):
    pass


def log(msg):
    print(f"[lab] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- podman


def podman(*args, check=True, capture=True, timeout=None):
    cmd = ["podman", "--hooks-dir", HOOKS_DIR, *args]
    res = subprocess.run(
        cmd, env=ENV, cwd=REPO_DIR, text=True, timeout=timeout,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.PIPE if capture else None, check=False,
    )
    if check and res.returncode != 0:
        raise LabError(f"{' '.join(cmd[3:])} failed ({res.returncode}): {(res.stderr or '').strip()}")
    return res


def podman_json(*args):
    res = podman(*args, check=False)
    if res.returncode != 0:
        return None
    data = json.loads(res.stdout or "null")
    return data[0] if isinstance(data, list) and data else data


def network_inspect(name):
    return podman_json("network", "inspect", name)


def container_inspect(name):
    return podman_json("container", "inspect", name)


def names_by_label(kind, prefix):
    if kind == "container":
        res = podman("ps", "-a", "--filter", f"label={LABEL_TOPO}={prefix}", "--format", "{{.Names}}")
    else:
        res = podman("network", "ls", "--filter", f"label={LABEL_TOPO}={prefix}", "--format", "{{.Name}}")
    return [n for n in res.stdout.split() if n]


# --------------------------------------------------------------------------- topology


def load_topology(path):
    with open(path) as fh:
        topo = yaml.safe_load(fh) or {}
    errors = []
    prefix = topo.get("prefix")
    if not isinstance(prefix, str) or not NAME_RE.match(prefix):
        errors.append("'prefix' must be a name like 'wgnet-lab'")
    topo.setdefault("image", DEFAULT_IMAGE)
    nets = topo.get("networks") or {}
    hosts = topo.get("hosts") or {}
    if not nets:
        errors.append("no 'networks'")
    if not hosts:
        errors.append("no 'hosts'")

    parsed_nets = {}
    for name, spec in nets.items():
        spec = spec or {}
        if not NAME_RE.match(str(name)):
            errors.append(f"network {name!r}: bad name")
            continue
        try:
            subnet = ipaddress.ip_network(spec["subnet"], strict=True)
            gw = ipaddress.ip_address(spec["gateway"]) if spec.get("gateway") else None
        except (KeyError, ValueError) as exc:
            errors.append(f"network {name}: needs a valid subnet (and optional gateway): {exc}")
            continue
        if gw is not None and gw not in subnet:
            errors.append(f"network {name}: gateway {gw} not in {subnet}")
        parsed_nets[name] = {"subnet": subnet, "gateway": gw, "internal": bool(spec.get("internal", False))}
    for a in parsed_nets:
        for b in parsed_nets:
            if a < b and parsed_nets[a]["subnet"].overlaps(parsed_nets[b]["subnet"]):
                errors.append(f"networks {a} and {b} overlap")

    parsed_hosts = {}
    used = {}
    for name, spec in hosts.items():
        spec = spec or {}
        if not NAME_RE.match(str(name)):
            errors.append(f"host {name!r}: bad name")
            continue
        addrs = {}
        for net, ip in (spec.get("networks") or {}).items():
            if net not in parsed_nets:
                errors.append(f"host {name}: unknown network {net}")
                continue
            try:
                ip = ipaddress.ip_address(ip)
            except ValueError as exc:
                errors.append(f"host {name}: {exc}")
                continue
            subnet = parsed_nets[net]["subnet"]
            if ip not in subnet or ip in (subnet.network_address, subnet.broadcast_address):
                errors.append(f"host {name}: {ip} is not a host address of {net} ({subnet})")
            if ip == parsed_nets[net]["gateway"]:
                errors.append(f"host {name}: {ip} is the gateway of {net} (held by the host bridge)")
            if (net, ip) in used:
                errors.append(f"host {name}: {ip} already used by {used[(net, ip)]}")
            used[(net, ip)] = name
            addrs[net] = ip
        if not addrs:
            errors.append(f"host {name}: no networks")
        gw = spec.get("default_gateway")
        if gw is not None:
            try:
                gw = ipaddress.ip_address(gw)
            except ValueError as exc:
                errors.append(f"host {name}: default_gateway: {exc}")
            else:
                if not any(gw in parsed_nets[n]["subnet"] for n in addrs):
                    errors.append(f"host {name}: default_gateway {gw} is on none of its networks")
        image = spec.get("image", topo["image"])
        if not isinstance(image, str) or not image:
            errors.append(f"host {name}: image must be an image name")
        nat = spec.get("nat")
        if nat is not None:
            if nat not in NAT_KINDS:
                errors.append(f"host {name}: nat must be one of {', '.join(NAT_KINDS)}, not {nat!r}")
            elif len(addrs) < 2:
                errors.append(f"host {name}: a NAT router needs a wan network and at least one private one")
            else:
                for net in list(addrs)[1:]:
                    if not parsed_nets[net]["internal"]:
                        errors.append(f"host {name}: NAT private network {net} must be `internal: true` "
                                      "(else the host routes around the NAT)")
        parsed_hosts[name] = {"networks": addrs, "default_gateway": gw, "image": image, "nat": nat}

    ssh = topo.get("ssh", False)
    if not isinstance(ssh, bool):
        errors.append("'ssh' must be true or false")
    topo["ssh"] = ssh
    if errors:
        raise LabError(f"{path}: invalid topology:\n  " + "\n  ".join(errors))
    topo["networks"] = parsed_nets
    topo["hosts"] = parsed_hosts
    return topo


def cname(topo, name):
    return f"{topo['prefix']}-{name}"


# --------------------------------------------------------------------------- up


def ensure_images(topo, build):
    """Build/check every image the topology uses; {image: id}."""
    ids = {}
    images = [topo["image"]] + [h["image"] for h in topo["hosts"].values()]
    for image in dict.fromkeys(images):
        if image in OWRT_EMU_IMAGES:
            ids[image] = ensure_owrt_emu_image(topo["image"], build, image)
        else:
            # lab/image.sh builds the topology's base image; others must exist
            ids[image] = ensure_image(image, build and image == topo["image"])
    return ids


def ensure_owrt_emu_image(base, build, image=OWRT_EMU_IMAGE):
    if build:
        ensure_image(base, build)
        t0 = time.monotonic()
        res = subprocess.run(["bash", OWRT_EMU_SH], env=dict(ENV, LAB_BASE_IMAGE=base, OWRT_EMU_IMAGE=image),
                             cwd=REPO_DIR,
                             check=False)
        if res.returncode != 0:
            raise LabError(f"image build failed ({res.returncode}): {OWRT_EMU_SH}")
        log(f"image {image} ready ({time.monotonic() - t0:.1f}s)")
    elif podman("image", "exists", image, check=False).returncode != 0:
        raise LabError(f"image {image} missing (run tests/openwrt/image.sh)")
    return podman_json("image", "inspect", image)["Id"]


_BUILT = set()


def ensure_image(image, build):
    if build and image not in _BUILT and os.access(IMAGE_SH, os.X_OK):
        _BUILT.add(image)
        t0 = time.monotonic()
        res = subprocess.run([IMAGE_SH], env=dict(ENV, LAB_IMAGE=image), cwd=REPO_DIR, check=False)
        if res.returncode != 0:
            raise LabError(f"image build failed ({res.returncode})")
        log(f"image {image} ready ({time.monotonic() - t0:.1f}s)")
    elif podman("image", "exists", image, check=False).returncode != 0:
        raise LabError(f"image {image} missing (run lab/image.sh)")
    return podman_json("image", "inspect", image)["Id"]


def ensure_network(topo, name, spec):
    full = cname(topo, name)
    info = network_inspect(full)
    if info is not None:
        subnets = {s.get("subnet") for s in info.get("subnets") or []}
        if str(spec["subnet"]) not in subnets:
            raise LabError(f"network {full} exists with subnets {sorted(subnets)}, topology wants "
                           f"{spec['subnet']}: run `lab.py down` first")
        return False
    args = ["network", "create", "--disable-dns", "--label", f"{LABEL_TOPO}={topo['prefix']}",
            "--subnet", str(spec["subnet"])]
    if spec["gateway"] is not None:
        args += ["--gateway", str(spec["gateway"])]
    if spec["internal"]:
        args.append("--internal")
    podman(*args, full)
    log(f"network {full} created ({spec['subnet']})")
    return True


def isolation_table(topo):
    return "wgnet_lab_" + re.sub(r"[^A-Za-z0-9_]", "_", topo["prefix"])


def isolate_internal_networks(topo):
    """Drop what the host would forward into or out of an internal network.

    podman's `--internal` only leaves out the masquerade and the accept
    rules: the host still forwards a packet from another lab network into an
    internal one (masqueraded as the host's bridge address), so a hub could
    reach a host "behind NAT" directly. This host table makes the private
    networks private: traffic between containers on one bridge, and the
    host's own (management) traffic to them, are not forwarded and still
    pass. Returns the bridges isolated."""
    bridges = []
    for name, spec in topo["networks"].items():
        if spec["internal"]:
            info = network_inspect(cname(topo, name)) or {}
            if info.get("network_interface"):
                bridges.append(info["network_interface"])
    table = isolation_table(topo)
    rules = "".join(f'    oifname "{b}" iifname != "{b}" drop\n    iifname "{b}" oifname != "{b}" drop\n'
                    for b in bridges)
    script = (f"table inet {table}\ndelete table inet {table}\n"
              + (f"table inet {table} {{\n  chain forward {{\n"
                 f"    type filter hook forward priority filter - 5; policy accept;\n{rules}  }}\n}}\n"
                 if bridges else ""))
    res = subprocess.run(["nft", "-f", "-"], input=script, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise LabError(f"nft (host table {table} isolating {', '.join(bridges)}): {res.stderr.strip()}")
    return bridges


def remove_isolation(topo):
    table = isolation_table(topo)
    subprocess.run(["nft", "delete", "table", "inet", table], capture_output=True, check=False)


def _mount_fstypes():
    types = {}
    with open("/proc/self/mountinfo") as fh:
        for line in fh:
            left, _sep, right = line.partition(" - ")
            types[left.split()[4]] = right.split()[0]
    return types


def cgroup_args():
    """Extra podman arguments for hosts with the hybrid cgroup layout.

    On a hybrid host (cgroup v1 controllers plus cgroup2 at
    /sys/fs/cgroup/unified, as on these Debian 12 VMs) podman gives a systemd
    container only the v1 hierarchies. systemd then gets no "cgroup empty"
    events: a unit whose last process exits while systemd is stopping it
    (wireguard-go after `wg-quick down` deletes wg0) hangs in stop-sigterm
    for 90 s and ends failed, leaving the system degraded. With the cgroup2
    hierarchy mounted, systemd runs in hybrid mode and is told when a unit's
    cgroup empties. (podman already bind-mounts the whole name=systemd v1
    hierarchy read-write in systemd mode; this exposes the cgroup2 one the
    same way.) Pure v2 and pure v1 hosts need nothing."""
    types = _mount_fstypes()
    if types.get("/sys/fs/cgroup") == "tmpfs" and types.get("/sys/fs/cgroup/unified") == "cgroup2":
        return ["--volume", "/sys/fs/cgroup/unified:/sys/fs/cgroup/unified:rw"]
    return []


def run_args(topo, name, spec):
    """The `podman run` arguments for one host."""
    args = [
        "run", "--detach",
        "--name", cname(topo, name),
        "--hostname", name,
        "--label", f"{LABEL_TOPO}={topo['prefix']}",
        "--label", f"{LABEL_HOST}={name}",
        "--systemd=always",
        "--cap-add", "NET_ADMIN,NET_RAW",
        "--device", "/dev/net/tun",
        *cgroup_args(),
    ]
    for net, ip in spec["networks"].items():
        args += ["--network", f"{cname(topo, net)}:ip={ip}"]
    if spec["image"] in OWRT_EMU_IMAGES:
        # first network = wan, second = lan for the emulated router's first
        # boot (podman names the container's devices in its own order)
        for role, ip in zip(("WAN", "LAN"), spec["networks"].values()):
            args += ["--env", f"OWRT_EMU_{role}={ip}"]
    args += [spec["image"], "/sbin/init"]
    return args


def container_addresses(info):
    nets = (info.get("NetworkSettings") or {}).get("Networks") or {}
    return {n: v.get("IPAddress") for n, v in nets.items()}


def ensure_container(topo, name, spec, image_ids):
    image_id = image_ids[spec["image"]]
    full = cname(topo, name)
    info = container_inspect(full)
    if info is None:
        podman(*run_args(topo, name, spec))
        log(f"container {full} started")
        return
    want = {cname(topo, n): str(ip) for n, ip in spec["networks"].items()}
    have = container_addresses(info)
    if {k: have.get(k) for k in want} != want and info["State"]["Running"]:
        log(f"WARNING: {full} addresses {have} differ from topology {want}; `down` + `up` to recreate")
    if cgroup_args() and not any(m.get("Destination") == "/sys/fs/cgroup/unified"
                                 for m in info.get("Mounts") or []):
        log(f"WARNING: {full} lacks the cgroup2 mount (systemd may hang stopping units); "
            "`down` + `up` to recreate")
    if info.get("Image") != image_id:
        log(f"WARNING: {full} runs an older image; `down` + `up` to recreate")
    if not info["State"]["Running"]:
        podman("start", full)
        log(f"container {full} started (existing)")


def sysctl_net_rw(full):
    """Make /proc/sys/net writable in the container's mount namespace.

    The OCI hook in lab/hooks.d does this at every start; this is the same
    operation run from here, for containers started without the hook."""
    info = container_inspect(full)
    pid = info["State"]["Pid"]
    try:
        with open(f"/proc/{pid}/mountinfo") as fh:
            if any(line.split()[4] == "/proc/sys/net" and line.split()[5].startswith("rw")
                   for line in fh):
                return "hook"
        if os.readlink(f"/proc/{pid}/ns/net") == os.readlink("/proc/self/ns/net"):
            return "host-netns (left read-only)"
    except OSError as exc:
        return f"unknown ({exc})"
    ns = f"/proc/{pid}/ns/mnt"
    for cmd in (["mount", "-N", ns, "--bind", "/proc/sys/net", "/proc/sys/net"],
                ["mount", "-N", ns, "-o", "remount,bind,rw,nosuid,nodev,noexec", "/proc/sys/net"]):
        res = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if res.returncode != 0:
            return f"FAILED ({res.stderr.strip()})"
    return "fixed from host"


def wait_systemd(full, timeout):
    """Wait for `systemctl is-system-running`; return (state, failed units)."""
    deadline = time.monotonic() + timeout
    state = "unknown"
    while time.monotonic() < deadline:
        try:
            res = podman("exec", full, "systemctl", "is-system-running", "--wait",
                         check=False, timeout=max(1, deadline - time.monotonic()))
            state = (res.stdout or "").strip() or (res.stderr or "").strip()
        except subprocess.TimeoutExpired:
            state = "timeout"
            break
        if state in ("running", "degraded"):
            break
        info = container_inspect(full)
        if info is None or not info["State"]["Running"]:
            state = "container not running" + (f" ({info['State']['Status']})" if info else "")
            break
        # "offline"/exec errors while the container is still coming up
        time.sleep(0.5)
    failed = []
    if state != "running":
        res = podman("exec", full, "systemctl", "list-units", "--state=failed", "--no-legend",
                     "--plain", check=False)
        failed = [ln.split()[0] for ln in (res.stdout or "").splitlines() if ln.strip()]
    return state, failed


def default_gateway(topo, spec):
    """The one IPv4 default route a host should have: its default_gateway, else
    the gateway of its first (non-internal) network. podman itself adds one
    default route per network, which makes a multi-homed host (a site router)
    send its traffic out of a random side."""
    if spec["default_gateway"] is not None:
        return spec["default_gateway"]
    for net in spec["networks"]:
        n = topo["networks"][net]
        if n["gateway"] is not None and not n["internal"] and n["gateway"].version == 4:
            return n["gateway"]
    return None


_ROUTE_SH = r"""
want=$1
cur=$(ip -4 route show default)
if [ "$(printf '%s\n' "$cur" | grep -c .)" = 1 ] && printf '%s\n' "$cur" | grep -q "^default via $want "; then
  exit 0
fi
while ip -4 route del default 2>/dev/null; do :; done
ip -4 route add default via "$want"
echo changed
"""


def set_default_route(full, gw):
    """Make `default via gw` the container's only IPv4 default route."""
    res = podman("exec", full, "sh", "-c", _ROUTE_SH, "sh", str(gw))
    return "changed" in res.stdout


# NAT routers: forwarding, masquerade out of the wan side, and a forward
# policy that lets nothing in unless a host behind the router dialed out first
# (no port forwarding). Unsolicited UDP to the router itself is dropped, as
# home routers do: accepted, it would leave a conntrack entry that takes the
# public port a host behind the router is about to use for the same peer
# (hole punching then never meets). The table is replaced as a whole, so `up`
# is idempotent.
_NAT_SH = r"""
wan_addr=$1 mode=$2
wan=$(ip -o -4 addr show | awk -v a="$wan_addr" 'index($4, a "/") == 1 {print $2; exit}')
[ -n "$wan" ] || { echo "no interface holds $wan_addr" >&2; exit 1; }
sysctl -q -w net.ipv4.ip_forward=1
opts=""
[ "$mode" = symmetric ] && opts=" random,fully-random"
nft -f - <<EOF
table ip wgnet_lab_nat
delete table ip wgnet_lab_nat
table ip wgnet_lab_nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "$wan" masquerade$opts
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname != "$wan" oifname "$wan" accept
  }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "$wan" meta l4proto udp ct state new drop
  }
}
EOF
echo "$wan"
"""


def setup_nat(full, spec):
    """Make a container a NAT router; returns its wan device."""
    wan_addr = next(iter(spec["networks"].values()))
    res = podman("exec", full, "sh", "-c", _NAT_SH, "sh", str(wan_addr), spec["nat"])
    return res.stdout.strip()


# --------------------------------------------------------------------------- ssh


def management_address(spec):
    """The address the controller reaches a host at: its first network's.
    podman's host bridge sits on every network, `--internal` ones too, so
    this is a management path that bypasses NAT routers; WireGuard traffic
    still follows the host's default route through its router."""
    return str(next(iter(spec["networks"].values())))


def ensure_ssh_key():
    """The lab's own key pair (.lab/ssh/, gitignored): made once, reused."""
    os.makedirs(SSH_DIR, mode=0o700, exist_ok=True)
    if not os.path.exists(SSH_KEY):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "wgnet-lab", "-f", SSH_KEY],
                       check=True)
        log(f"made the lab's SSH key {SSH_DIR_DISPLAY}/id_ed25519")
    with open(SSH_KEY + ".pub") as handle:
        return handle.read().strip()


_AUTHORIZE_SH = r"""
user=$1 key=$2
home=$(getent passwd "$user" | cut -d: -f6)
[ -n "$home" ] || { echo "no user $user" >&2; exit 1; }
install -d -m 700 -o "$user" -g "$user" "$home/.ssh"
printf '%s\n' "$key" > "$home/.ssh/authorized_keys"
chown "$user:$user" "$home/.ssh/authorized_keys"
chmod 600 "$home/.ssh/authorized_keys"
systemctl is-active --quiet ssh || systemctl start ssh
cat /etc/ssh/ssh_host_ed25519_key.pub
"""


def authorize_ssh(full, spec, pubkey):
    """Install the lab key for `deploy`; returns the host's known_hosts line
    (read through podman, so the controller can check host keys strictly)."""
    res = podman("exec", full, "sh", "-c", _AUTHORIZE_SH, "sh", SSH_USER, pubkey)
    hostkey = " ".join(res.stdout.split()[:2])
    return f"{management_address(spec)} {hostkey}"


def update_known_hosts(lines):
    """Replace the entries for these addresses in .lab/ssh/known_hosts."""
    addrs = {ln.split()[0] for ln in lines}
    with open(KNOWN_HOSTS, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        keep = [ln for ln in handle.read().splitlines() if ln.strip() and ln.split()[0] not in addrs]
        handle.seek(0)
        handle.truncate()
        handle.write("\n".join(keep + sorted(lines)) + "\n")


def ssh_args():
    return ["-i", SSH_KEY, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
            "-o", f"UserKnownHostsFile={KNOWN_HOSTS}", "-o", "StrictHostKeyChecking=yes",
            "-o", "ConnectTimeout=10"]


def check_ssh(spec, timeout):
    """`sudo -n true` over SSH as deploy, retried until sshd answers."""
    deadline = time.monotonic() + timeout
    while True:
        res = subprocess.run(["ssh", *ssh_args(), f"{SSH_USER}@{management_address(spec)}", "sudo", "-n", "true"],
                             capture_output=True, text=True, check=False)
        if res.returncode == 0 or time.monotonic() > deadline:
            return res.returncode == 0, res.stderr.strip()
        time.sleep(1)


# Every systemd container and every wireguard-go takes inotify instances from
# the host's per-user pool; the default 128 runs out at about 20 containers
# ("too many open files", wg-quick fails).
INOTIFY_INSTANCES = "/proc/sys/fs/inotify/max_user_instances"
INOTIFY_WANTED = 1024


def ensure_inotify_instances():
    try:
        with open(INOTIFY_INSTANCES) as handle:
            current = int(handle.read().strip())
        if current < INOTIFY_WANTED:
            with open(INOTIFY_INSTANCES, "w") as handle:
                handle.write("%d\n" % INOTIFY_WANTED)
            log(f"raised fs.inotify.max_user_instances from {current} to {INOTIFY_WANTED}")
    except (OSError, ValueError) as exc:
        log(f"WARNING: could not check {INOTIFY_INSTANCES}: {exc}")


def cmd_up(topo, args):
    t0 = time.monotonic()
    ensure_inotify_instances()
    image_ids = ensure_images(topo, build=not args.no_build)
    for name, spec in topo["networks"].items():
        ensure_network(topo, name, spec)
    isolated = isolate_internal_networks(topo)
    if isolated:
        log(f"host table inet {isolation_table(topo)}: no forwarding into or out of {', '.join(isolated)}")
    names = list(topo["hosts"])
    # a few `podman run`s at once: more only contend for podman's locks
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda n: ensure_container(topo, n, topo["hosts"][n], image_ids), names))
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(16, len(names))) as pool:
        results = dict(zip(names, pool.map(lambda n: wait_systemd(cname(topo, n), args.timeout), names)))

    pubkey = ensure_ssh_key() if topo["ssh"] else None
    known = []

    def finish(name):
        """Per host, after boot: sysctls, one default route, NAT, SSH."""
        spec = topo["hosts"][name]
        full = cname(topo, name)
        state, failed = results[name]
        ok = state in ("running", "degraded")
        sysctl = sysctl_net_rw(full)
        ok = ok and not sysctl.startswith("FAILED")
        gw = default_gateway(topo, spec)
        route = f", default via {gw}" if gw else ""
        if ok and gw and set_default_route(full, gw):
            route += " (set)"
        msg = f"{full}: systemd {state}"
        if failed:
            msg += f" (failed units: {', '.join(failed)})"
        msg += f"; /proc/sys/net rw: {sysctl}{route}"
        if ok and spec["nat"]:
            msg += f"; {spec['nat']} NAT out of {setup_nat(full, spec)}"
        if ok and pubkey and spec["image"] not in OWRT_EMU_IMAGES:
            known.append(authorize_ssh(full, spec, pubkey))
        return ok, msg

    with concurrent.futures.ThreadPoolExecutor(max_workers=min(16, len(names))) as pool:
        finished = dict(zip(names, pool.map(finish, names)))
    problems = 0
    for name in names:
        ok, msg = finished[name]
        log(msg)
        problems += not ok
    if known:
        update_known_hosts(known)
        ssh_hosts = [n for n in names if topo["hosts"][n]["image"] not in OWRT_EMU_IMAGES and finished[n][0]]
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(16, len(ssh_hosts))) as pool:
            checks = dict(zip(ssh_hosts, pool.map(lambda n: check_ssh(topo["hosts"][n], 30), ssh_hosts)))
        bad = {n: err for n, (ok, err) in checks.items() if not ok}
        for n, err in bad.items():
            log(f"{cname(topo, n)}: ssh {SSH_USER}@{management_address(topo['hosts'][n])} sudo failed: {err}")
        problems += len(bad)
        log(f"ssh as {SSH_USER} with sudo: {len(checks) - len(bad)}/{len(checks)} hosts "
            f"(key and known_hosts in {SSH_DIR_DISPLAY})")
    log(f"up done in {time.monotonic() - t0:.1f}s")
    if problems:
        raise LabError(f"{problems} host(s) not ready")


# --------------------------------------------------------------------------- down / status


def cmd_down(topo, args):
    prefix = topo["prefix"]
    containers = set(names_by_label("container", prefix))
    containers |= {cname(topo, h) for h in topo["hosts"]}
    removed = False
    existing = [c for c in sorted(containers) if podman("container", "exists", c, check=False).returncode == 0]
    if existing:
        podman("rm", "--force", "--ignore", "--time", "0", *existing)
        log(f"removed containers: {' '.join(existing)}")
        removed = True
    remove_isolation(topo)
    networks = set(names_by_label("network", prefix))
    networks |= {cname(topo, n) for n in topo["networks"]}
    existing = [n for n in sorted(networks) if podman("network", "exists", n, check=False).returncode == 0]
    if existing:
        podman("network", "rm", "--force", *existing)
        log(f"removed networks: {' '.join(existing)}")
        removed = True
    if not removed:
        log("nothing to remove")


def table(rows):
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())


def cmd_status(topo, args):
    rows = [("NETWORK", "SUBNET", "GATEWAY", "STATE")]
    for name, spec in topo["networks"].items():
        full = cname(topo, name)
        info = network_inspect(full)
        rows.append((full, spec["subnet"], spec["gateway"] or "-", "present" if info else "absent"))
    table(rows)
    print()
    rows = [("CONTAINER", "STATE", "SYSTEMD", "ADDRESSES", "DEFAULT ROUTE")]
    for name, spec in topo["hosts"].items():
        full = cname(topo, name)
        info = container_inspect(full)
        if info is None:
            rows.append((full, "absent", "-", "-", "-"))
            continue
        state = info["State"]["Status"]
        sysd, route = "-", "-"
        if info["State"]["Running"]:
            sysd = podman("exec", full, "systemctl", "is-system-running", check=False).stdout.strip()
            out = podman("exec", full, "ip", "-4", "route", "show", "default", check=False).stdout
            route = ",".join(re.findall(r"via (\S+)", out)) or "-"
        addrs = container_addresses(info)
        prefix = topo["prefix"] + "-"
        addr = " ".join(f"{n[len(prefix):] if n.startswith(prefix) else n}={ip}"
                        for n, ip in sorted(addrs.items()))
        rows.append((full, state, sysd, addr or "-", route))
    table(rows)


def connection_vars(connection):
    """Inventory variables that reach lab hosts over `ssh` (as deploy, with
    sudo) or `podman` (podman exec, as root)."""
    if connection == "podman":
        return {"ansible_connection": "containers.podman.podman", "ansible_become": False}
    return {
        "ansible_connection": "ssh",
        "ansible_user": SSH_USER,
        "ansible_become": True,
        "ansible_ssh_private_key_file": f"{SSH_DIR_DISPLAY}/id_ed25519",
        # lab.py records each host's key, read through podman: check strictly
        "ansible_ssh_host_key_checking": True,
        "ansible_ssh_common_args": f"-o IdentitiesOnly=yes -o UserKnownHostsFile={SSH_DIR_DISPLAY}/known_hosts",
    }


def host_vars(topo, name, spec, connection):
    ssh = connection == "ssh" and spec["image"] not in OWRT_EMU_IMAGES
    hv = {"ansible_host": management_address(spec) if ssh else cname(topo, name),
          "lab_container": cname(topo, name)}
    if spec["image"] in OWRT_EMU_IMAGES:
        hv.update(connection_vars("podman"))  # no sshd in the emulation
    else:
        hv["ansible_python_interpreter"] = "/usr/bin/python3"
    hv["lab_addresses"] = {n: str(ip) for n, ip in spec["networks"].items()}
    if spec["default_gateway"] is not None:
        hv["lab_default_gateway"] = str(spec["default_gateway"])
    return hv


def cmd_inventory(topo, args):
    connection = args.connection or ("ssh" if topo["ssh"] else "podman")
    inv = {"all": {
        "vars": connection_vars(connection),
        "hosts": {name: host_vars(topo, name, spec, connection) for name, spec in topo["hosts"].items()},
    }}
    print(yaml.safe_dump(inv, sort_keys=False), end="")


# --------------------------------------------------------------------------- fleet


FLEET_PREFIX = "wgnet-fleet"
FLEET_SPOKES_PER_NAT = 8


def fleet_topology(spokes):
    """A generated lab: two hubs and N spokes on a wan; two spokes in three
    sit behind NAT routers (up to 8 behind each, every second router
    symmetric), the rest have public addresses. Subnets 172.30.100.0/23 (wan) and
    172.30.111.0/24 up (one private network per NAT router)."""
    if not 1 <= spokes <= 200:
        raise LabError("fleet: 1 to 200 spokes")
    networks = {"wan": {"subnet": "172.30.100.0/23", "gateway": "172.30.101.254"}}
    hosts = {"hub1": {"networks": {"wan": "172.30.100.10"}}, "hub2": {"networks": {"wan": "172.30.100.11"}}}
    members = {"hub1": "10.90.0.1", "hub2": "10.90.0.2"}
    behind = [i for i in range(1, spokes + 1) if i % 3]
    for i in range(1, spokes + 1):
        name = f"spoke{i:03d}"
        members[name] = f"10.90.{1 + i // 250}.{i % 250}"
        if i not in behind:
            hosts[name] = {"networks": {"wan": f"172.30.101.{i}"}}
            continue
        k = behind.index(i) // FLEET_SPOKES_PER_NAT + 1
        net = f"nat{k}"
        if net not in networks:
            networks[net] = {"subnet": f"172.30.{110 + k}.0/24", "gateway": f"172.30.{110 + k}.254",
                             "internal": True}
            hosts[f"nat{k}"] = {"networks": {"wan": f"172.30.100.{100 + k}", net: f"172.30.{110 + k}.1"},
                                "nat": "symmetric" if k % 2 == 0 else "cone"}
        hosts[name] = {"networks": {net: f"172.30.{110 + k}.{10 + behind.index(i) % FLEET_SPOKES_PER_NAT}"},
                       "default_gateway": f"172.30.{110 + k}.1"}
    topo = {"prefix": FLEET_PREFIX, "image": DEFAULT_IMAGE, "ssh": True, "networks": networks, "hosts": hosts}
    return topo, members


def cmd_fleet(args):
    """Write DIR/topology.yml and two inventories of the same hosts:
    DIR/ssh.yml (deploy + sudo over SSH) and DIR/podman.yml (podman exec)."""
    raw, members = fleet_topology(args.spokes)
    os.makedirs(args.dir, exist_ok=True)
    path = os.path.join(args.dir, "topology.yml")
    with open(path, "w") as handle:
        handle.write(f"---\n# Generated by `lab.py fleet {args.spokes}`.\n")
        yaml.safe_dump(raw, handle, sort_keys=False)
    topo = load_topology(path)
    for connection in ("ssh", "podman"):
        hv = {n: host_vars(topo, n, topo["hosts"][n], connection) for n in topo["hosts"]}
        for n in members:
            hv[n]["wireguard_address"] = members[n]
        for n in ("hub1", "hub2"):
            hv[n]["wireguard_endpoint"] = str(topo["hosts"][n]["networks"]["wan"])
        inv = {"all": {
            "vars": connection_vars(connection),
            "children": {
                "wireguard": {
                    "vars": {"wireguard_network": "10.90.0.0/16", "wireguard_implementation": "userspace"},
                    "children": {"wireguard_hubs": {"hosts": {n: hv[n] for n in ("hub1", "hub2")}}},
                    "hosts": {n: hv[n] for n in members if not n.startswith("hub")},
                },
                "nat_routers": {"hosts": {n: hv[n] for n in topo["hosts"] if n not in members}},
            },
        }}
        with open(os.path.join(args.dir, f"{connection}.yml"), "w") as handle:
            handle.write(f"---\n# Generated by `lab.py fleet {args.spokes}`: reached over {connection}.\n")
            yaml.safe_dump(inv, handle, sort_keys=False)
    nats = sum(1 for h in topo["hosts"].values() if h["nat"])
    log(f"fleet of {args.spokes} spokes, 2 hubs, {nats} NAT routers ({len(topo['hosts'])} containers) "
        f"written to {args.dir}/{{topology,ssh,podman}}.yml")


def cmd_exec(topo, args):
    if args.host not in topo["hosts"]:
        raise LabError(f"unknown host {args.host}")
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    tty = ["--tty"] if sys.stdin.isatty() and sys.stdout.isatty() else []
    res = podman("exec", "--interactive", *tty, cname(topo, args.host), *cmd, check=False, capture=False)
    sys.exit(res.returncode)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("up", help="create/start networks and containers (idempotent)")
    p.add_argument("topology")
    p.add_argument("--no-build", action="store_true", help="do not run lab/image.sh")
    p.add_argument("--timeout", type=float, default=180, help="seconds to wait for systemd (default 180)")
    for name, hlp in (("down", "remove containers and networks"), ("status", "show containers")):
        sub.add_parser(name, help=hlp).add_argument("topology")
    p = sub.add_parser("inventory", help="print an Ansible YAML inventory")
    p.add_argument("topology")
    p.add_argument("--connection", choices=("ssh", "podman"),
                   help="default: ssh when the topology says `ssh: true`")
    p = sub.add_parser("fleet", help="generate a fleet topology and its inventories")
    p.add_argument("spokes", type=int)
    p.add_argument("--dir", help="default: .lab/fleet-N")
    p = sub.add_parser("exec", help="run a command in a host's container")
    p.add_argument("topology")
    p.add_argument("host")
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    try:
        if args.command == "fleet":
            args.dir = args.dir or os.path.join(REPO_DIR, ".lab", f"fleet-{args.spokes}")
            cmd_fleet(args)
            return 0
        topo = load_topology(args.topology)
        {"up": cmd_up, "down": cmd_down, "status": cmd_status,
         "inventory": cmd_inventory, "exec": cmd_exec}[args.command](topo, args)
    except LabError as exc:
        log(f"ERROR: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
