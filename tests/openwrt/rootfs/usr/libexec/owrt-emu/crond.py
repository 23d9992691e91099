# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# wgnet OpenWrt emulation (tests only): a stand-in for BusyBox crond as
# OpenWrt's procd runs it (`crond -f -c /etc/crontabs -l 5`). Debian's BusyBox
# has no crond applet, so this follows BusyBox crond's documented behaviour:
# one crontab per user in the directory (file name = user), read when it
# starts (OpenWrt's LuCI and docs restart cron after an edit: this stand-in
# never re-reads by itself, the stricter case), five time fields (*, numbers,
# a-b ranges, lists, */n steps), each due line run with /bin/sh -c once a
# minute, at second 0, its output dropped. Only root's crontab is run.
import os
import subprocess
import sys
import syslog
import time

FIELDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))


def parse_field(text, low, high):
    values = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step = part.split("/", 1)
            step = int(step)
        if part == "*":
            start, end = low, high
        elif "-" in part:
            start, end = (int(x) for x in part.split("-", 1))
        else:
            start = end = int(part)
        values.update(range(start, end + 1, step))
    return values


def read_table(directory):
    jobs = []
    path = os.path.join(directory, "root")
    try:
        with open(path) as handle:
            lines = handle.read().splitlines()
    except OSError:
        return jobs
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        words = line.split(None, 5)
        if len(words) < 6:
            syslog.syslog(syslog.LOG_ERR, "crond: bad line in %s: %s" % (path, line))
            continue
        try:
            when = [parse_field(w, lo, hi) for w, (lo, hi) in zip(words[:5], FIELDS)]
        except ValueError:
            syslog.syslog(syslog.LOG_ERR, "crond: bad time in %s: %s" % (path, line))
            continue
        jobs.append((when, words[5]))
    return jobs


def due(when, t):
    # cron's weekday: 0 = Sunday; Python's tm_wday: 0 = Monday.
    return (t.tm_min in when[0] and t.tm_hour in when[1] and t.tm_mday in when[2] and t.tm_mon in when[3]
            and (t.tm_wday + 1) % 7 in when[4])


def main(argv):
    directory = "/var/spool/cron/crontabs"
    if "-c" in argv:
        directory = argv[argv.index("-c") + 1]
    # Named crond, as the real one (`pidof crond`).
    with open("/proc/self/comm", "w") as handle:
        handle.write("crond")
    syslog.openlog("crond", syslog.LOG_PID, syslog.LOG_CRON)
    jobs = read_table(directory)
    syslog.syslog(syslog.LOG_NOTICE, "crond: started, %d job(s)" % len(jobs))
    env = {"PATH": "/usr/libexec/owrt-emu/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "SHELL": "/bin/sh",
           "USER": "root", "LOGNAME": "root"}
    while True:
        time.sleep(60 - time.time() % 60)
        t = time.localtime()
        for when, command in jobs:
            if due(when, t):
                subprocess.Popen(["/bin/sh", "-c", command], env=env, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        # Reap finished jobs.
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass


if __name__ == "__main__":
    main(sys.argv[1:])
