# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The OpenWrt emulation's uci: file format, staged changes, CLI behaviour."""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import given, settings, strategies as st

import uci


@pytest.fixture
def box(tmp_path, monkeypatch, capsys, sample):
    """Run the uci CLI against a temporary /etc/config and /tmp/.uci."""
    confdir = tmp_path / "config"
    confdir.mkdir()
    savedir = tmp_path / "uci"
    monkeypatch.setenv("UCI_EMU_SAVEDIR", str(savedir))

    class Box:
        conf = confdir
        save = savedir

        @staticmethod
        def put(name, text=None, sample_name=None):
            (confdir / name).write_text(text if text is not None else sample(sample_name), encoding="utf-8")

        @staticmethod
        def read(name):
            return (confdir / name).read_text(encoding="utf-8")

        @staticmethod
        def run(*argv, stdin=""):
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
            rc = uci.main(["-c", str(confdir), *argv])
            out, err = capsys.readouterr()
            return rc, out, err

    return Box


# --------------------------------------------------------------------------- file format


@pytest.mark.parametrize("name", ["network-23.05", "network-wireguard"])
def test_uci_written_files_round_trip_byte_for_byte(sample, name):
    text = sample(name)
    assert uci.export(uci.parse_config(text, "network"), header=False) == text


def test_package_default_firewall_normalises_like_uci_commit(sample):
    """firewall4's shipped file has comments and unquoted values; uci commit
    rewrites it in uci's own format and the content stays the same."""
    pkg = uci.parse_config(sample("firewall-23.05"), "firewall")
    text = uci.export(pkg, header=False)
    assert "#" not in text
    assert "\toption input 'REJECT'\n" in text
    assert "\tlist network 'wan6'\n" in text
    assert "\tlist icmp_type '130/0'\n" in text
    again = uci.parse_config(text, "firewall")
    assert uci.export(again, header=False) == text
    types = [s.type for s in pkg.sections]
    assert types[:4] == ["defaults", "zone", "zone", "forwarding"]
    assert types.count("rule") == 9
    assert all(s.anonymous for s in pkg.sections)


def test_wireguard_sample_model(sample):
    pkg = uci.parse_config(sample("network-wireguard"), "network")
    wg0 = pkg.get("wg0")
    assert wg0.options["addresses"] == ["10.20.0.2/24", "fd00:13:37::2/64"]
    peers = [s for s in pkg.sections if s.type == "wireguard_wg0"]
    assert peers[0].name == "wgpeer_hub" and not peers[0].anonymous
    assert peers[1].anonymous and peers[1].name.startswith("cfg")
    assert peers[0].options["allowed_ips"] == ["10.20.0.0/24", "192.168.50.0/24"]
    assert peers[0].options["description"] == "hub (cloud)"


def test_anonymous_names_are_stable_for_the_same_file(sample):
    a = uci.parse_config(sample("firewall-23.05"), "firewall")
    b = uci.parse_config(sample("firewall-23.05"), "firewall")
    assert [s.name for s in a.sections] == [s.name for s in b.sections]
    assert len({s.name for s in a.sections}) == len(a.sections)
    assert all(len(s.name) == 9 for s in a.sections)


def test_tokenizer_quoting_forms():
    assert uci.tokenize("option a 'x y'") == ["option", "a", "x y"]
    assert uci.tokenize('option a "x \\"y\\""') == ["option", "a", 'x "y"']
    assert uci.tokenize("option a 'it'\\''s'") == ["option", "a", "it's"]
    assert uci.tokenize("option\ta\tplain  # comment") == ["option", "a", "plain"]
    assert uci.tokenize("   # only a comment") == []
    with pytest.raises(uci.ParseError):
        uci.tokenize("option a 'open")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\n\r"), max_size=40))
def test_any_value_survives_export_and_parse(value):
    pkg = uci.Package("t")
    sec = pkg.new_section("thing", "s1")
    sec.options["opt"] = value
    sec.options["lst"] = [value, value + "x"]
    back = uci.parse_config(uci.export(pkg, header=False), "t").get("s1")
    assert back.options["opt"] == value
    assert back.options["lst"] == [value, value + "x"]


def test_parse_errors_are_reported_with_the_line():
    with pytest.raises(uci.ParseError) as exc:
        uci.parse_config("config interface 'lan'\n\toption\n", "network")
    assert "line 2" in exc.value.message
    with pytest.raises(uci.ParseError):
        uci.parse_config("\toption a 'b'\n", "network")


# --------------------------------------------------------------------------- CLI


def test_get_show_export(box):
    box.put("network", sample_name="network-wireguard")
    assert box.run("get", "network.lan.ipaddr") == (0, "192.168.1.1\n", "")
    assert box.run("get", "network.lan") == (0, "interface\n", "")
    assert box.run("get", "network.wg0.addresses") == (0, "10.20.0.2/24 fd00:13:37::2/64\n", "")
    assert box.run("get", "network.@wireguard_wg0[-1].description")[1] == "laptop\n"
    assert box.run("get", "network.@device[0].name")[1] == "br-lan\n"
    rc, out, dummy = box.run("show", "network")
    assert rc == 0
    assert "network.lan=interface\n" in out
    assert "network.@device[0]=device\n" in out
    assert "network.@device[0].ports='eth0'\n" in out
    assert "network.wg0.addresses='10.20.0.2/24' 'fd00:13:37::2/64'\n" in out
    assert "network.@wireguard_wg0[1].description='laptop'\n" in out
    assert "network.wgpeer_hub.description='hub (cloud)'\n" in out
    rc, out, dummy = box.run("-X", "show", "network")
    assert "@device" not in out and "network.cfg" in out
    assert box.run("show", "network.lan.proto") == (0, "network.lan.proto='static'\n", "")
    rc, out, dummy = box.run("export", "network")
    assert out == "package network\n" + box.read("network")


def test_missing_entries_exit_1_and_q_silences(box):
    box.put("network", sample_name="network-23.05")
    assert box.run("get", "network.lan.nothere") == (1, "", "uci: Entry not found\n")
    assert box.run("-q", "get", "network.lan.nothere") == (1, "", "")
    assert box.run("-q", "get", "network.nosection.x") == (1, "", "")
    assert box.run("-q", "get", "network.@zone[0]") == (1, "", "")
    assert box.run("-q", "get", "nopackage.a.b") == (1, "", "")
    assert box.run("-q", "show", "network.nosection") == (1, "", "")
    assert box.run("-q", "delete", "network.nosection") == (1, "", "")
    assert box.run("delete", "network.lan.nothere")[0] == 1
    assert box.run("-q", "set", "network.nosection.opt=1") == (1, "", "")
    assert box.run("set", "network.bad-name=interface")[2] == "uci: Invalid argument\n"


def test_staged_changes_until_commit(box):
    box.put("network", sample_name="network-23.05")
    before = box.read("network")
    assert box.run("set", "network.wg0=interface")[0] == 0
    assert box.run("set", "network.wg0.proto=wireguard")[0] == 0
    assert box.run("add_list", "network.wg0.addresses=10.0.0.1/24")[0] == 0
    assert box.run("delete", "network.wan6")[0] == 0
    assert box.run("set", "network.lan.ipaddr=it's")[0] == 0
    # the file is untouched, reads see the staged values
    assert box.read("network") == before
    assert box.run("get", "network.wg0.proto")[1] == "wireguard\n"
    assert box.run("-q", "get", "network.wan6")[0] == 1
    assert box.run("changes", "network")[1] == (
        "network.wg0='interface'\n"
        "network.wg0.proto='wireguard'\n"
        "network.wg0.addresses+='10.0.0.1/24'\n"
        "-network.wan6\n"
        "network.lan.ipaddr='it'\\''s'\n"
    )
    assert (box.save / "network").read_text() == (
        "network.wg0='interface'\n"
        "network.wg0.proto='wireguard'\n"
        "|network.wg0.addresses='10.0.0.1/24'\n"
        "-network.wan6\n"
        "network.lan.ipaddr='it'\\''s'\n"
    )
    assert box.run("commit", "network") == (0, "", "")
    # Real uci truncates the delta file on commit and leaves it, empty.
    assert (box.save / "network").read_text() == ""
    assert box.run("changes", "network") == (0, "", "")
    text = box.read("network")
    assert "config interface 'wan6'" not in text
    assert text.endswith("config interface 'wg0'\n\toption proto 'wireguard'\n\tlist addresses '10.0.0.1/24'\n\n")
    assert "\toption ipaddr 'it'\\''s'\n" in text


def test_commit_without_changes_leaves_the_file_alone(box):
    box.put("firewall", sample_name="firewall-23.05")
    before = box.read("firewall")
    assert box.run("commit", "firewall") == (0, "", "")
    assert box.run("commit") == (0, "", "")
    assert box.read("firewall") == before


def test_revert(box):
    box.put("network", sample_name="network-23.05")
    box.run("set", "network.lan.ipaddr=10.1.1.1")
    box.run("set", "network.lan.netmask=255.255.0.0")
    box.run("set", "network.wan.proto=static")
    assert box.run("revert", "network.lan.ipaddr") == (0, "", "")
    assert box.run("changes", "network")[1] == "network.lan.netmask='255.255.0.0'\nnetwork.wan.proto='static'\n"
    box.run("revert", "network.lan")
    assert box.run("changes")[1] == "network.wan.proto='static'\n"
    box.run("revert", "network")
    assert box.run("changes", "network") == (0, "", "")
    assert box.run("get", "network.wan.proto")[1] == "dhcp\n"


def test_add_anonymous_sections_and_extended_addressing(box):
    box.put("firewall", sample_name="firewall-23.05")
    rc, out, dummy = box.run("add", "firewall", "zone")
    sid = out.strip()
    assert rc == 0 and sid.startswith("cfg") and len(sid) == 9
    box.run("set", "firewall.@zone[-1].name=wg")
    box.run("add_list", "firewall.@zone[-1].network=wg0")
    rc, out, dummy = box.run("add", "firewall", "zone")
    assert out.strip() != sid
    box.run("delete", "firewall.@zone[-1]")
    assert box.run("get", "firewall.%s.name" % sid)[1] == "wg\n"
    assert box.run("get", "firewall.@zone[2].name")[1] == "wg\n"
    assert box.run("changes", "firewall")[1].startswith("firewall.%s='zone'\nfirewall.%s.name='wg'\n" % (sid, sid))
    box.run("commit", "firewall")
    text = box.read("firewall")
    assert "config zone\n\toption name 'wg'\n\tlist network 'wg0'\n" in text
    assert box.run("get", "firewall.@zone[2].network")[1] == "wg0\n"


def test_batch_runs_every_line_and_exits_0_like_the_real_tool(box):
    box.put("network", sample_name="network-23.05")
    script = (
        "set network.wg0=interface\n"
        "set network.wg0.proto='wireguard'\n"
        "add_list network.wg0.addresses='10.0.0.1/24'\n"
        "set network.nosuch.option='x'\n"
        "delete network.nosuch\n"
        "bogus command\n"
        "\n"
        "set network.wgpeer_a=wireguard_wg0\n"
        "set network.wgpeer_a.description=\"peer 'a'\"\n"
        "commit network\n"
    )
    rc, out, err = box.run("batch", stdin=script)
    assert rc == 0 and out == ""
    assert err.count("uci: ") == 2 and "Unknown command" in err
    assert box.run("changes", "network") == (0, "", "")
    text = box.read("network")
    assert "config wireguard_wg0 'wgpeer_a'\n\toption description 'peer '\\''a'\\'''\n" in text
    rc, dummy, err = box.run("-q", "batch", stdin="delete network.nosuch\nexit\nset network.x=y\n")
    assert rc == 0 and err == ""
    assert box.run("-q", "get", "network.x")[0] == 1


def test_list_operations_rename_reorder_and_empty_set(box):
    box.put("network", sample_name="network-wireguard")
    box.run("del_list", "network.wgpeer_hub.allowed_ips=192.168.50.0/24")
    assert box.run("get", "network.wgpeer_hub.allowed_ips")[1] == "10.20.0.0/24\n"
    box.run("set", "network.wgpeer_hub.allowed_ips=10.9.0.0/16")
    assert box.run("show", "network.wgpeer_hub.allowed_ips")[1] == "network.wgpeer_hub.allowed_ips='10.9.0.0/16'\n"
    box.run("set", "network.wg0.mtu=")
    assert box.run("-q", "get", "network.wg0.mtu")[0] == 1
    box.run("rename", "network.wgpeer_hub=wgpeer_cloud")
    assert box.run("get", "network.wgpeer_cloud")[1] == "wireguard_wg0\n"
    box.run("reorder", "network.wgpeer_cloud=0")
    assert box.run("changes", "network")[1].splitlines()[-2:] == [
        "network.wgpeer_hub='wgpeer_cloud'", "network.wgpeer_cloud='0'"]
    box.run("commit", "network")
    assert box.read("network").startswith("\nconfig wireguard_wg0 'wgpeer_cloud'\n")
    assert "\toption mtu" not in box.read("network")


def test_show_all_and_usage(box):
    box.put("network", sample_name="network-23.05")
    box.put("firewall", sample_name="firewall-23.05")
    rc, out, dummy = box.run("show")
    assert rc == 0 and out.index("firewall.@defaults[0]=defaults") < out.index("network.loopback=interface")
    rc, out, err = box.run("frobnicate")
    assert rc == 255 and "Usage: uci" in err


def test_delta_lines_of_stale_sections_are_ignored(box):
    box.put("network", sample_name="network-23.05")
    os.makedirs(box.save, exist_ok=True)
    (box.save / "network").write_text("network.gone.proto='x'\nnetwork.lan.proto='dhcp'\n")
    assert box.run("get", "network.lan.proto")[1] == "dhcp\n"
    assert box.run("-q", "get", "network.gone")[0] == 1


def test_delete_list_item_by_index_and_error_kinds(box):
    box.put("network", sample_name="network-wireguard")
    assert box.run("delete", "network.wgpeer_hub.allowed_ips=1") == (0, "", "")
    assert box.run("get", "network.wgpeer_hub.allowed_ips")[1] == "10.20.0.0/24\n"
    # Real uci prints the removal without the index; the delta file keeps it.
    assert box.run("changes", "network")[1] == "-network.wgpeer_hub.allowed_ips\n"
    assert (box.save / "network").read_text() == "-network.wgpeer_hub.allowed_ips='1'\n"
    assert box.run("add_list", "network.nosuch.x=1") == (1, "", "uci: Invalid argument\n")
    assert box.run("del_list", "network.wg0.nosuch=1") == (0, "", "")
    assert box.run("rename", "network.nosuch=other") == (1, "", "uci: Entry not found\n")
    box.run("commit", "network")
    assert "\tlist allowed_ips '192.168.50.0/24'" not in box.read("network")


def test_p_option_reads_both_delta_dirs_and_commit_writes_nothing(box, tmp_path):
    """As real uci: -P adds a delta directory and makes it the default, and
    commit with -P writes nothing (the changes stay staged)."""
    box.put("network", sample_name="network-23.05")
    other = tmp_path / "other-delta"
    assert box.run("set", "network.lan.netmask=255.255.0.0")[0] == 0
    assert box.run("-P", str(other), "set", "network.lan.ipaddr=10.0.0.1")[0] == 0
    assert box.run("-P", str(other), "get", "network.lan.ipaddr")[1] == "10.0.0.1\n"
    assert box.run("-P", str(other), "get", "network.lan.netmask")[1] == "255.255.0.0\n"
    assert box.run("get", "network.lan.ipaddr")[1] == "192.168.1.1\n"
    before = box.read("network")
    assert box.run("-P", str(other), "commit", "network") == (0, "", "")
    assert box.read("network") == before
    assert (other / "network").read_text() == "network.lan.ipaddr='10.0.0.1'\n"


def test_t_option_moves_the_delta_directory_and_commits(box, tmp_path):
    box.put("network", sample_name="network-23.05")
    other = tmp_path / "t-delta"
    assert box.run("-t", str(other), "set", "network.lan.ipaddr=10.0.0.1")[0] == 0
    assert box.run("get", "network.lan.ipaddr")[1] == "192.168.1.1\n"
    assert box.run("-t", str(other), "commit", "network") == (0, "", "")
    assert "\toption ipaddr '10.0.0.1'\n" in box.read("network")
    assert (other / "network").read_text() == ""
