"""The NAT routers of the default scenario are real NATs.

Runs first (before spoke3 joins). The laptop sits behind a symmetric NAT
(cgnat), desktop behind a cone NAT (homenat); both private networks are
podman `--internal` networks, so the only way out is through the router.
"""

from __future__ import annotations

import os
import re
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(SCENARIO))
sys.path.insert(0, os.path.join(ROOT, "lab"))

import labkit  # noqa: E402

INV = labkit.Inventory(os.path.join(SCENARIO, "inventory", "hosts.yml"))
# member -> (its NAT router, the router's mapping)
NATED = {"laptop": ("cgnat", "symmetric"), "desktop": ("homenat", "cone")}
HUB = INV.container("hub")
HUB_WAN = INV.hostvars["hub"]["wireguard_endpoint"]


def private_address(host):
    # the management address of a host behind NAT is its private address
    return INV.hostvars[host]["ansible_host"]


def wan_address(router):
    return INV.hostvars[router]["lab_wan_address"]


def capture(container, bpf, action, seconds=1.5):
    """Lines tcpdump prints in `container` while action() runs."""
    log = "/tmp/natcapture-%d.log" % os.getpid()
    labkit.podman(container, "sh", "-c", "tcpdump -n -l -i any '%s' > %s 2>/dev/null" % (bpf, log), detach=True)
    time.sleep(1.5)  # tcpdump is listening
    action()
    time.sleep(seconds)
    labkit.podman(container, "pkill", "-INT", "-x", "tcpdump")
    time.sleep(0.5)
    out = labkit.podman(container, "cat", log).stdout
    labkit.podman(container, "rm", "-f", log)
    return [line for line in out.splitlines() if " UDP" in line or "udp" in line.lower()]


def udp_send(container, address, port, payload="probe", source_port=None):
    src = ["-p", str(source_port)] if source_port else []
    labkit.podman(container, "sh", "-c", 'p=$1; shift; printf %s "$p" | nc -u -w1 "$@"', "sh", payload,
                  *src, address, str(port))


@pytest.mark.parametrize("host", sorted(NATED))
def test_hub_sees_the_nat_router_as_endpoint(host):
    """The hub's peer endpoint for a NATed member is its router's wan address."""
    router, _kind = NATED[host]
    key = labkit.podman(INV.container(host), "wg", "show", "wg0", "public-key", check=True).stdout.strip()
    # the spoke dials out (keepalive); make sure a handshake happened
    labkit.ping(INV.container(host), INV.address("hub"), count=2)
    endpoints = dict(line.split("\t") for line in
                     labkit.podman(HUB, "wg", "show", "wg0", "endpoints", check=True).stdout.splitlines())
    endpoint = endpoints.get(key, "")
    address = endpoint.rsplit(":", 1)[0]
    assert address == wan_address(router), "hub sees %s at %r, wants %s's wan address %s" % (
        host, endpoint, router, wan_address(router))
    assert address != private_address(host)


@pytest.mark.parametrize("host", sorted(NATED))
def test_private_address_unreachable_from_the_hub(host):
    """A UDP datagram from the hub to the host's private address arrives
    nowhere; the same datagram from its router (on the private network)
    does, so the capture would have seen it."""
    router, _kind = NATED[host]
    target = private_address(host)
    port = 40001
    lines = capture(INV.container(host), "udp port %d" % port,
                    lambda: [udp_send(HUB, target, port, "from-hub-%d" % n) for n in range(3)])
    assert lines == [], "the hub reached %s's private address %s directly: %s" % (host, target, lines)
    lines = capture(INV.container(host), "udp port %d" % port,
                    lambda: udp_send(INV.container(router), target, port, "control"))
    assert any("> %s.%d:" % (target, port) in line for line in lines), \
        "control datagram from %s not captured: %s" % (router, lines)


@pytest.mark.parametrize("host", sorted(NATED))
def test_mapping_per_destination(host):
    """Two flows from one source port to two hub ports: a cone NAT keeps
    one public port for both, the symmetric NAT gives each its own."""
    router, kind = NATED[host]
    hub_ports = (41000, 41001)

    def send():
        for port in hub_ports:
            udp_send(INV.container(host), HUB_WAN, port, "flow", source_port=40500)

    lines = capture(HUB, "udp and (dst port %d or dst port %d)" % hub_ports, send)
    seen = {}
    for line in lines:
        m = re.search(r"IP (\d+\.\d+\.\d+\.\d+)\.(\d+) > [\d.]+\.(\d+):", line)
        if m:
            seen[int(m.group(3))] = (m.group(1), int(m.group(2)))
    assert sorted(seen) == list(hub_ports), lines
    assert all(src == wan_address(router) for src, _port in seen.values()), seen
    ports = set(port for _src, port in seen.values())
    if kind == "cone":
        assert ports == {40500}, "cone NAT %s should keep the source port: %s" % (router, seen)
    else:
        assert len(ports) == 2, "symmetric NAT %s mapped both flows to one port: %s" % (router, seen)
