# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The OpenWrt emulation's crond stand-in: crontab fields and what is due."""

from __future__ import annotations

import time

import crond


def test_fields_as_busybox_crond_reads_them():
    assert crond.parse_field("*", 0, 59) == set(range(60))
    assert crond.parse_field("*/15", 0, 59) == {0, 15, 30, 45}
    assert crond.parse_field("1-3,7", 0, 23) == {1, 2, 3, 7}
    assert crond.parse_field("5", 1, 31) == {5}


def test_table_skips_comments_and_bad_lines_and_runs_what_is_due(tmp_path):
    (tmp_path / "root").write_text("# a comment\n\n* * * * * /usr/sbin/wgnet-watchdog wg0 6 10\n"
                                   "0 4 * * 0 /sbin/reboot\nbroken line\nx * * * * /bin/true\n")
    jobs = crond.read_table(str(tmp_path))
    assert [command for _when, command in jobs] == ["/usr/sbin/wgnet-watchdog wg0 6 10", "/sbin/reboot"]
    sunday_4am = time.struct_time((2026, 12, 6, 4, 0, 0, 6, 340, 0))
    monday_4am = time.struct_time((2026, 12, 7, 4, 0, 0, 0, 341, 0))
    assert [crond.due(w, sunday_4am) for w, _c in jobs] == [True, True]
    assert [crond.due(w, monday_4am) for w, _c in jobs] == [True, False]
