# -*- coding: utf-8 -*-
# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The gateway transaction (in the shape of ansible.posix's firewalld
transaction): the base class owns idempotence, check mode and the diff; each
firewall backend only says how to read its live state, what it wants, which
files keep it for boot and how to apply it."""

from __future__ import annotations

import os

from ansible_collections.wgnet.wireguard.plugins.module_utils._gateway.plan import GatewayError
from ansible_collections.wgnet.wireguard.plugins.module_utils._wg_files import read_text
from ansible_collections.wgnet.wireguard.plugins.module_utils._wg_files import write_atomic

MARK = "wgnet.wireguard"
UNIT_TEMPLATE = """# Managed by wgnet.wireguard (wg_gateway)
[Unit]
Description=wgnet.wireguard gateway firewall rules
DefaultDependencies=no
Wants=network-pre.target
Before=network-pre.target shutdown.target
Conflicts=shutdown.target
After=firewalld.service nftables.service netfilter-persistent.service ufw.service

[Service]
Type=oneshot
RemainAfterExit=yes
%s
[Install]
WantedBy=multi-user.target
"""

DEFAULT_PATHS = {
    "proc_sys": "/proc/sys",
    "sysctl_file": "/etc/sysctl.d/90-wgnet-gateway.conf",
    "state_dir": "/etc/wgnet",
    "systemd_dir": "/etc/systemd/system",
    "firewalld_dir": "/etc/firewalld",
    "ufw_conf": "/etc/ufw/ufw.conf",
    "run_systemd": "/run/systemd/system",
    # The shell script of the role's task-based versions, replaced by gateway.iptables.
    "old_iptables_script": "/usr/local/sbin/wgnet-gateway-iptables",
}


class CommandRunner(object):
    """Runs argv lists with LANG=C through AnsibleModule.run_command; binaries
    are found with module.get_bin_path."""

    def __init__(self, module):
        self.module = module

    def which(self, name):
        return self.module.get_bin_path(name)

    def __call__(self, argv, check=True, data=None):
        rc, out, err = self.module.run_command(argv, data=data, binary_data=data is not None,
                                               environ_update={"LANG": "C", "LC_ALL": "C"})
        if check and rc != 0:
            raise GatewayError("%s failed (rc=%d): %s" % (" ".join(argv), rc, (err or out).strip()))
        return rc, out, err


def unit_text(exec_lines):
    return UNIT_TEMPLATE % "".join("%s\n" % line for line in exec_lines)


class Backend(object):
    """One firewall. Subclasses fill in name, read(), wanted(), files() and
    apply(); the transaction compares, diffs and decides."""

    name = None
    unit = None

    def __init__(self, gateway):
        self.gw = gateway
        self.run = gateway.run
        self.plan = gateway.plan
        self.params = gateway.params
        self.paths = gateway.paths

    def bin(self, name):
        path = self.run.which(name)
        if not path:
            raise GatewayError("the %s backend needs %s, which is not installed; install it or pick another "
                               "gateway_firewall_backend" % (self.name, name))
        return path

    def read(self):
        """Live state: section name -> list of lines (a missing section is absent)."""
        raise NotImplementedError

    def wanted(self):
        """Wanted state, in the same form as read()."""
        raise NotImplementedError

    def files(self):
        """Files that keep the state for boot: list of (path, content, mode)."""
        return []

    def stale_files(self):
        """Files of an earlier layout or plan that must go."""
        return []

    def reapply_on(self, written):
        """Whether these written files alone call for apply() (firewalld loads its rules from them)."""
        return False

    def apply(self, live, wanted):
        """Make the live state the wanted one, atomically where the firewall allows."""
        raise NotImplementedError


class Gateway(object):
    """One gateway: sysctls, the backend's rules, its boot files and unit."""

    def __init__(self, params, run, plan, backend_class, check_mode=False, paths=None):
        self.params = params
        self.run = run
        self.plan = plan
        self.check_mode = check_mode
        self.paths = dict(DEFAULT_PATHS)
        self.paths.update(paths or {})
        self.backend = backend_class(self) if backend_class else None
        self.diff = []
        self.added = []
        self.removed = []

    # ------------------------------------------------------------ sysctls
    def _sysctl_path(self, key):
        return os.path.join(self.paths["proc_sys"], *[part.replace("/", ".") for part in key.split(".")])

    def sysctls(self):
        wanted = self.plan["sysctls"]
        live = {}
        for key in sorted(wanted):
            value = read_text(self._sysctl_path(key))
            if value is None:
                raise GatewayError("sysctl %s does not exist on this host; check gateway_proxy_arp_interfaces" % key)
            live[key] = value.strip()
        changed = dict((k, v) for k, v in wanted.items() if live[k] != v)
        if changed:
            self._diff("sysctl (live)", "sysctl (wanted)", ["%s = %s" % i for i in sorted(live.items())],
                       ["%s = %s" % i for i in sorted(wanted.items())])
            if not self.check_mode:
                for key, value in sorted(changed.items()):
                    with open(self._sysctl_path(key), "w") as handle:
                        handle.write(value + "\n")
        content = "# Managed by wgnet.wireguard (wg_gateway)\n" + "".join(
            "%s = %s\n" % i for i in sorted(wanted.items()))
        return bool(changed), [(self.paths["sysctl_file"], content, 0o644)]

    # ------------------------------------------------------------ files
    def _diff(self, before_header, after_header, before, after):
        self.diff.append({"before_header": before_header, "after_header": after_header,
                          "before": "".join(line + "\n" for line in before),
                          "after": "".join(line + "\n" for line in after)})

    def sync_files(self, files, stale):
        changed = []
        for path, content, mode in files:
            old = read_text(path)
            if old == content:
                continue
            changed.append(path)
            self.diff.append({"before_header": path, "after_header": path, "before": old or "", "after": content})
            if not self.check_mode:
                directory = os.path.dirname(path)
                if not os.path.isdir(directory):
                    os.makedirs(directory, 0o755)
                write_atomic(path, content, mode)
        for path in stale:
            if os.path.lexists(path):
                changed.append(path)
                self.diff.append({"before_header": path, "after_header": "%s (removed)" % path,
                                  "before": read_text(path) or "", "after": ""})
                if not self.check_mode:
                    os.unlink(path)
        return changed

    def enable_unit(self, unit, reload_units):
        """Enable the boot unit; `systemctl` runs only when something is to do."""
        if not os.path.isdir(self.paths["run_systemd"]):
            return False
        link = os.path.join(self.paths["systemd_dir"], "multi-user.target.wants", unit)
        enabled = os.path.lexists(link)
        if enabled and not reload_units:
            return False
        if not self.check_mode:
            systemctl = self.run.which("systemctl")
            if reload_units:
                self.run([systemctl, "daemon-reload"])
            if not enabled:
                self.run([systemctl, "enable", unit])
        if not enabled:
            self.diff.append({"before_header": "%s (boot)" % unit, "after_header": "%s (boot)" % unit,
                              "before": "disabled\n", "after": "enabled\n"})
        return not enabled

    # ------------------------------------------------------------ the transaction
    def converge(self):
        changed, files = self.sysctls()
        stale = []
        rules_changed = False
        if self.backend:
            live = self.backend.read()
            wanted = self.backend.wanted()
            for section in sorted(set(live) | set(wanted)):
                before, after = live.get(section), wanted.get(section)
                if before == after:
                    continue
                rules_changed = True
                self.added += ["%s: %s" % (section, line) for line in after or [] if line not in (before or [])]
                self.removed += ["%s: %s" % (section, line) for line in before or [] if line not in (after or [])]
                self._diff("%s (live)" % section if before is not None else "%s (absent)" % section,
                           "%s (wanted)" % section if after is not None else "%s (removed)" % section,
                           before or [], after or [])
            files += self.backend.files()
            stale = self.backend.stale_files()
        written = self.sync_files(files, stale)
        if self.backend:
            if not self.check_mode and (rules_changed or self.backend.reapply_on(written)):
                self.backend.apply(live, wanted)
            if self.backend.unit:
                unit_path = os.path.join(self.paths["systemd_dir"], self.backend.unit)
                changed |= self.enable_unit(self.backend.unit, unit_path in written)
        changed |= rules_changed or bool(written)
        return {
            "changed": changed,
            "backend": self.backend.name if self.backend else "none",
            "plan": self.plan,
            "rules_added": self.added,
            "rules_removed": self.removed,
            "files_changed": written,
            "diff": self.diff,
        }
