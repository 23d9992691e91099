# Copyright (c) 2026, wgnet.wireguard contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test emulation of OpenWrt's ``uci`` command line tool (NOT shipped).

Implements the subset described in tests/openwrt/README.md with the file
format, delta (staged changes) format, output formats and exit codes of
OpenWrt 23.05's uci. Run as ``uci.py [options] command [args]``; the image
installs /sbin/uci as a shell wrapper around it.
"""

from __future__ import annotations

import fcntl
import os
import re
import sys
import tempfile

CONFDIR = "/etc/config"
SAVEDIR = "/tmp/.uci"

NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")
TYPE_RE = re.compile(r"^[A-Za-z0-9_-]+$")
EXT_RE = re.compile(r"^@([A-Za-z0-9_-]*)\[(-?[0-9]+)\]$")

# delta command characters, as in libuci's delta.c
CMD_CHANGE = ""
CMD_ADD = "+"
CMD_REMOVE = "-"
CMD_RENAME = "@"
CMD_REORDER = "^"
CMD_LIST_ADD = "|"
CMD_LIST_DEL = "~"
CMD_CHARS = (CMD_ADD, CMD_REMOVE, CMD_RENAME, CMD_REORDER, CMD_LIST_ADD, CMD_LIST_DEL)


class UciError(Exception):
    """An error uci reports as ``uci: <message>`` with exit code 1."""

    def __init__(self, message="Invalid argument"):
        super().__init__(message)
        self.message = message


class NotFound(UciError):
    def __init__(self):
        super().__init__("Entry not found")


class ParseError(UciError):
    def __init__(self, reason, line=None):
        msg = "Parse error (%s)" % reason
        if line is not None:
            msg += " at line %d" % line
        super().__init__(msg)


# --------------------------------------------------------------------------- tokenizer


def tokenize(text, lineno=None):
    """Split one line the way uci_parse_argument does: whitespace separated
    words, '...' (no escapes), "..." (backslash escapes), bare words with
    backslash escapes, adjacent parts concatenated, '#' starts a comment."""
    tokens = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n or text[i] == "#":
            return tokens
        word = []
        while i < n and text[i] not in " \t\r\n":
            c = text[i]
            if c == "'":
                j = text.find("'", i + 1)
                if j < 0:
                    raise ParseError("unterminated '", lineno)
                word.append(text[i + 1:j])
                i = j + 1
            elif c == '"':
                i += 1
                while True:
                    if i >= n:
                        raise ParseError('unterminated "', lineno)
                    c = text[i]
                    if c == '"':
                        i += 1
                        break
                    if c == "\\" and i + 1 < n:
                        word.append(text[i + 1])
                        i += 2
                        continue
                    word.append(c)
                    i += 1
            elif c == "\\" and i + 1 < n:
                word.append(text[i + 1])
                i += 2
            else:
                word.append(c)
                i += 1
        tokens.append("".join(word))


def quote(value):
    """uci's value quoting: '...' with ' written as '\\''."""
    return "'" + value.replace("'", "'\\''") + "'"


# --------------------------------------------------------------------------- model


def djbhash(hval, text):
    for ch in text.encode():
        hval = ((hval << 5) + hval + ch) & 0xFFFFFFFF
    return hval & 0x7FFFFFFF


class Section:
    def __init__(self, stype, name=None, anonymous=False):
        self.type = stype
        self.name = name
        self.anonymous = anonymous
        self.options = {}  # name -> str or list of str, in insertion order


class Package:
    def __init__(self, name):
        self.name = name
        self.sections = []
        self.n_section = 0

    # -- section helpers
    def get(self, name):
        for sec in self.sections:
            if sec.name == name:
                return sec
        return None

    def anon_name(self, sec):
        """cfgNNHHHH like libuci: a counter and a hash of type and options."""
        hval = djbhash(5381, sec.type)
        for key, val in sec.options.items():
            hval = djbhash(hval, key)
            for item in val if isinstance(val, list) else [val]:
                hval = djbhash(hval, item)
        while True:
            name = "cfg%02x%04x" % (self.n_section & 0xFF, hval & 0xFFFF)
            if self.get(name) is None:
                return name
            self.n_section += 1

    def new_section(self, stype, name=None):
        self.n_section += 1
        sec = Section(stype, name, anonymous=name is None)
        self.sections.append(sec)
        return sec

    def resolve(self, ref):
        """A section by name or by @type[index] (negative counts from the end)."""
        m = EXT_RE.match(ref)
        if m:
            stype, idx = m.group(1), int(m.group(2))
            cands = [s for s in self.sections if not stype or s.type == stype]
            if idx < 0:
                idx += len(cands)
            if 0 <= idx < len(cands):
                return cands[idx]
            return None
        return self.get(ref)

    def show_refs(self, extended=True):
        """Section -> the name `uci show` prints for it."""
        refs, counts = {}, {}
        for sec in self.sections:
            # the index counts named sections too, as @type[N] lookups do
            idx = counts.get(sec.type, 0)
            counts[sec.type] = idx + 1
            if sec.anonymous and extended:
                refs[id(sec)] = "@%s[%d]" % (sec.type, idx)
            else:
                refs[id(sec)] = sec.name
        return refs


def parse_config(text, name):
    """Parse an /etc/config file (or `uci export` output) into a Package."""
    pkg = Package(name)
    cur = None
    pending = []

    def fixup():
        for sec in pending:
            sec.name = pkg.anon_name(sec)
        pending.clear()

    for lineno, line in enumerate(text.split("\n"), 1):
        toks = tokenize(line, lineno)
        if not toks:
            continue
        kw = toks[0]
        if kw == "package":
            if len(toks) != 2:
                raise ParseError("invalid package statement", lineno)
            continue
        if kw == "config":
            if len(toks) not in (2, 3):
                raise ParseError("invalid section statement", lineno)
            fixup()
            stype = toks[1]
            if not TYPE_RE.match(stype):
                raise ParseError("invalid section type", lineno)
            sname = toks[2] if len(toks) == 3 and toks[2] else None
            if sname is not None and not NAME_RE.match(sname):
                raise ParseError("invalid section name", lineno)
            existing = pkg.get(sname) if sname else None
            if existing is not None:
                # a repeated named section merges into the first one (libuci)
                existing.type = stype
                cur = existing
                continue
            cur = pkg.new_section(stype, sname)
            if sname is None:
                pending.append(cur)
            continue
        if kw in ("option", "list"):
            if cur is None:
                raise ParseError("option/list command found before the first section", lineno)
            if len(toks) != 3:
                raise ParseError("invalid %s statement" % kw, lineno)
            oname, val = toks[1], toks[2]
            if not NAME_RE.match(oname):
                raise ParseError("invalid option name", lineno)
            if kw == "option":
                cur.options[oname] = val
            else:
                old = cur.options.get(oname)
                if isinstance(old, list):
                    old.append(val)
                elif old is None:
                    cur.options[oname] = [val]
                else:
                    cur.options[oname] = [old, val]
            continue
        raise ParseError("invalid command", lineno)
    fixup()
    return pkg


def export(pkg, header=True, names=False):
    """Text as libuci's uci_export writes it (files: header=False)."""
    out = []
    if header:
        out.append("package %s\n" % pkg.name)
    for sec in pkg.sections:
        line = "\nconfig %s" % sec.type
        if not sec.anonymous or names:
            line += " " + quote(sec.name)
        out.append(line + "\n")
        for key, val in sec.options.items():
            if isinstance(val, list):
                for item in val:
                    out.append("\tlist %s %s\n" % (key, quote(item)))
            else:
                out.append("\toption %s %s\n" % (key, quote(val)))
    out.append("\n")
    return "".join(out)


# --------------------------------------------------------------------------- operations


def op_set(pkg, sname, oname, value, anonymous=False):
    sec = pkg.get(sname)
    if oname is None:
        if not TYPE_RE.match(value):
            raise UciError()
        if sec is None:
            sec = pkg.new_section(value, sname)
            sec.anonymous = anonymous
        else:
            sec.type = value
        return
    if sec is None:
        raise UciError()
    if value == "":
        # uci set ...=  (empty) deletes the option
        sec.options.pop(oname, None)
        return
    sec.options[oname] = value


def op_delete(pkg, sname, oname, index=None):
    sec = pkg.get(sname)
    if sec is None:
        raise NotFound()
    if index is not None and isinstance(sec.options.get(oname), list):
        # `uci delete pkg.sec.list=N` removes the N-th item (N from 0)
        items = sec.options[oname]
        if 0 <= index < len(items):
            del items[index]
        return
    if oname is None:
        pkg.sections.remove(sec)
        return
    if oname not in sec.options:
        raise NotFound()
    del sec.options[oname]


def op_add_list(pkg, sname, oname, value):
    sec = pkg.get(sname)
    if sec is None:
        raise NotFound()
    old = sec.options.get(oname)
    if old is None:
        sec.options[oname] = [value]
    elif isinstance(old, list):
        old.append(value)
    else:
        sec.options[oname] = [old, value]


def op_del_list(pkg, sname, oname, value):
    sec = pkg.get(sname)
    if sec is None:
        raise NotFound()
    old = sec.options.get(oname)
    if old is None:
        raise NotFound()
    if isinstance(old, list):
        sec.options[oname] = [v for v in old if v != value]
    elif old == value:
        del sec.options[oname]


def op_rename(pkg, sname, oname, value):
    if not NAME_RE.match(value):
        raise UciError()
    sec = pkg.get(sname)
    if sec is None:
        raise NotFound()
    if oname is None:
        if pkg.get(value) is not None and pkg.get(value) is not sec:
            raise UciError("Duplicate entry")
        sec.name = value
        sec.anonymous = False
        return
    if oname not in sec.options:
        raise NotFound()
    sec.options = {(value if k == oname else k): v for k, v in sec.options.items()}


def op_reorder(pkg, sname, value):
    sec = pkg.get(sname)
    if sec is None:
        raise NotFound()
    try:
        pos = int(value)
    except ValueError:
        raise UciError() from None
    pkg.sections.remove(sec)
    pkg.sections.insert(max(0, pos), sec)


def apply_delta(pkg, cmd, sname, oname, value):
    if cmd == CMD_CHANGE:
        op_set(pkg, sname, oname, value)
    elif cmd == CMD_ADD:
        op_set(pkg, sname, oname, value, anonymous=oname is None)
    elif cmd == CMD_REMOVE:
        op_delete(pkg, sname, oname, _index(value))
    elif cmd == CMD_LIST_ADD:
        op_add_list(pkg, sname, oname, value)
    elif cmd == CMD_LIST_DEL:
        op_del_list(pkg, sname, oname, value)
    elif cmd == CMD_RENAME:
        op_rename(pkg, sname, oname, value)
    elif cmd == CMD_REORDER:
        op_reorder(pkg, sname, value)


def _index(value):
    try:
        return int(value) if value else None
    except ValueError:
        return None


def parse_delta_line(line):
    """'[cmd]pkg.section[.option][=value]' -> (cmd, pkg, section, option, value)."""
    toks = tokenize(line)
    if len(toks) != 1:
        raise ParseError("invalid delta")
    arg = toks[0]
    cmd = CMD_CHANGE
    if arg[:1] in CMD_CHARS:
        cmd, arg = arg[0], arg[1:]
    path, sep, value = arg.partition("=")
    parts = path.split(".")
    if len(parts) not in (2, 3):
        raise ParseError("invalid delta")
    return cmd, parts[0], parts[1], (parts[2] if len(parts) == 3 else None), (value if sep else None)


def format_delta(cmd, pkgname, sname, oname, value):
    line = "%s%s.%s" % (cmd, pkgname, sname)
    if oname is not None:
        line += "." + oname
    if value is not None:
        line += "=" + quote(value)
    return line + "\n"


# --------------------------------------------------------------------------- context


class Uci:
    """One uci invocation's state: directories, flags and output streams."""

    def __init__(self, confdir=CONFDIR, savedir=SAVEDIR, out=None, err=None):
        self.confdir = confdir
        self.savedir = savedir
        self.quiet = False
        self.extended = True
        self.delimiter = " "
        self.export_names = False
        # -P: extra delta directories read before savedir, and commit is a no-op
        self.delta_paths = []
        self.nocommit = False
        self.out = out or sys.stdout
        self.err = err or sys.stderr

    # -- storage
    def conf_path(self, name):
        return os.path.join(self.confdir, name)

    def delta_path(self, name):
        return os.path.join(self.savedir, name)

    def packages(self):
        try:
            names = sorted(os.listdir(self.confdir))
        except OSError:
            return []
        return [n for n in names if TYPE_RE.match(n) and os.path.isfile(self.conf_path(n))]

    def read_delta(self, name):
        lines = []
        for directory in self.delta_paths + [self.savedir]:
            try:
                with open(os.path.join(directory, name), encoding="utf-8") as fh:
                    lines += fh.read().split("\n")
            except FileNotFoundError:
                pass
        deltas = []
        for line in lines:
            if not line.strip():
                continue
            try:
                cmd, pname, sname, oname, value = parse_delta_line(line)
            except UciError:
                continue  # libuci skips unparsable delta lines
            if pname == name:
                deltas.append((cmd, sname, oname, value))
        return deltas

    def load(self, name, with_delta=True):
        if not TYPE_RE.match(name):
            raise UciError()
        try:
            with open(self.conf_path(name), encoding="utf-8") as fh:
                text = fh.read()
        except (FileNotFoundError, IsADirectoryError):
            raise NotFound() from None
        pkg = parse_config(text, name)
        if with_delta:
            for cmd, sname, oname, value in self.read_delta(name):
                try:
                    apply_delta(pkg, cmd, sname, oname, value)
                except UciError:
                    pass  # like libuci: a stale delta line is ignored
        return pkg

    def save_delta(self, pkgname, cmd, sname, oname, value):
        os.makedirs(self.savedir, mode=0o700, exist_ok=True)
        with open(self.delta_path(pkgname), "a", encoding="utf-8") as fh:
            fh.write(format_delta(cmd, pkgname, sname, oname, value))

    def write_config(self, pkg):
        text = export(pkg, header=False)
        fd, tmp = tempfile.mkstemp(prefix=".%s.uci-" % pkg.name, dir=self.confdir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            try:
                st = os.stat(self.conf_path(pkg.name))
                os.chmod(tmp, st.st_mode & 0o7777)
            except FileNotFoundError:
                os.chmod(tmp, 0o644)
            os.rename(tmp, self.conf_path(pkg.name))
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise

    # -- argument parsing
    def lookup(self, arg, need_section=False):
        """'pkg[.sec[.opt]][=value]' -> (pkg, section or None, option name, value, complete)."""
        path, sep, value = arg.partition("=")
        parts = path.split(".")
        if len(parts) > 3 or not parts[0] or any(p == "" for p in parts):
            raise UciError()
        pkg = self.load(parts[0])
        sref = parts[1] if len(parts) > 1 else None
        oname = parts[2] if len(parts) > 2 else None
        if oname is not None and not NAME_RE.match(oname):
            raise UciError()
        sec = None
        if sref is not None:
            if sref.startswith("@"):
                if not EXT_RE.match(sref):
                    raise UciError()
                sec = pkg.resolve(sref)
                if sec is None:
                    raise NotFound()
            else:
                if not NAME_RE.match(sref):
                    raise UciError()
                sec = pkg.get(sref)
        elif need_section:
            raise UciError()
        return pkg, sref, sec, oname, (value if sep else None)

    def emit(self, text):
        self.out.write(text)

    def error(self, exc):
        if not self.quiet:
            self.err.write("uci: %s\n" % exc.message)

    # -- commands
    def cmd_get(self, arg):
        pkg, sref, sec, oname, value = self.lookup(arg, need_section=True)
        if value is not None:
            return 1
        if sec is None:
            raise NotFound()
        if oname is None:
            self.emit(sec.type + "\n")
            return 0
        if oname not in sec.options:
            raise NotFound()
        val = sec.options[oname]
        if isinstance(val, list):
            items = [quote(v) if re.search(r"[ \t\r\n]", v) else v for v in val]
            self.emit(self.delimiter.join(items) + "\n")
        else:
            self.emit(val + "\n")
        del pkg, sref
        return 0

    def show_section(self, pkg, sec, ref):
        self.emit("%s.%s=%s\n" % (pkg.name, ref, sec.type))
        for key in sec.options:
            self.show_option(pkg, sec, ref, key)

    def show_option(self, pkg, sec, ref, key):
        val = sec.options[key]
        if isinstance(val, list):
            text = self.delimiter.join(quote(v) for v in val)
        else:
            text = quote(val)
        self.emit("%s.%s.%s=%s\n" % (pkg.name, ref, key, text))

    def cmd_show(self, arg=None):
        if arg is None:
            for name in self.packages():
                self.cmd_show(name)
            return 0
        pkg, sref, sec, oname, value = self.lookup(arg)
        if value is not None:
            raise UciError()
        if sref is None:
            refs = pkg.show_refs(self.extended)
            for s in pkg.sections:
                self.show_section(pkg, s, refs[id(s)])
            return 0
        if sec is None:
            raise NotFound()
        if oname is None:
            self.show_section(pkg, sec, sec.name)
            return 0
        if oname not in sec.options:
            raise NotFound()
        self.show_option(pkg, sec, sec.name, oname)
        return 0

    def cmd_export(self, arg=None):
        names = [arg] if arg is not None else self.packages()
        for name in names:
            if "." in name or "=" in name:
                raise UciError()
            self.emit(export(self.load(name), header=True, names=self.export_names))
        return 0

    def cmd_changes(self, arg=None):
        names = [arg] if arg is not None else self.packages()
        for name in names:
            if "." in name or "=" in name:
                raise UciError()
            if arg is not None:
                self.load(name, with_delta=False)  # NotFound for unknown packages
            for cmd, sname, oname, value in self.read_delta(name):
                prefix = "-" if cmd == CMD_REMOVE else ""
                op = {CMD_LIST_ADD: "+=", CMD_LIST_DEL: "-="}.get(cmd, "=")
                line = "%s%s.%s" % (prefix, name, sname)
                if oname is not None:
                    line += "." + oname
                # A removal prints no value: `delete opt=N` shows as -pkg.sec.opt
                # (the index stays in the delta file), as real uci prints it.
                if cmd != CMD_REMOVE:
                    line += op + quote(value or "")
                self.emit(line + "\n")
        return 0

    def cmd_commit(self, arg=None):
        names = [arg] if arg is not None else self.packages()
        for name in names:
            if "." in name or "=" in name:
                raise UciError()
            if self.nocommit:
                # real uci with -P: commit writes nothing and keeps the deltas
                if arg is not None:
                    self.load(name, with_delta=False)
                continue
            if not self.read_delta(name):
                if arg is not None:
                    self.load(name, with_delta=False)
                continue
            pkg = self.load(name)
            self.write_config(pkg)
            # libuci truncates the delta file and leaves it empty in the save directory
            with open(self.delta_path(name), "w", encoding="utf-8"):
                pass
        return 0

    def cmd_revert(self, arg):
        pkg, sref, sec, oname, value = self.lookup(arg)
        if value is not None:
            return 1
        del sec
        sname = None
        if sref is not None:
            if sref.startswith("@"):
                found = pkg.resolve(sref)
                sname = found.name if found else sref
            else:
                sname = sref
        try:
            with open(self.delta_path(pkg.name), encoding="utf-8") as fh:
                lines = fh.read().split("\n")
        except FileNotFoundError:
            return 0
        keep = []
        for line in lines:
            try:
                _cmd, _pname, s, o, _v = parse_delta_line(line)
            except UciError:
                continue
            match = (sname is None or s == sname) and (oname is None or o == oname)
            if not match:
                keep.append(line + "\n")
        if keep:
            with open(self.delta_path(pkg.name), "w", encoding="utf-8") as fh:
                fh.writelines(keep)
        else:
            os.unlink(self.delta_path(pkg.name))
        return 0

    def cmd_add(self, pkgname, stype):
        if not TYPE_RE.match(stype):
            raise UciError()
        pkg = self.load(pkgname)
        sec = pkg.new_section(stype)
        sec.name = pkg.anon_name(sec)
        self.save_delta(pkg.name, CMD_ADD, sec.name, None, stype)
        self.emit(sec.name + "\n")
        return 0

    def _section_cmd(self, arg, need_value):
        pkg, sref, sec, oname, value = self.lookup(arg, need_section=True)
        if need_value and value is None:
            raise UciError()
        if not need_value and value is not None:
            return None
        return pkg, sref, sec, oname, value

    def cmd_set(self, arg):
        pkg, sref, sec, oname, value = self._section_cmd(arg, True)
        if sec is None:
            if oname is not None:
                raise UciError()
            if not NAME_RE.match(sref):
                raise UciError()
            sname = sref
        else:
            sname = sec.name
        if oname is not None and value == "":
            if oname not in sec.options:
                return 0
            op_delete(pkg, sname, oname)
            self.save_delta(pkg.name, CMD_REMOVE, sname, oname, None)
            return 0
        op_set(pkg, sname, oname, value)
        self.save_delta(pkg.name, CMD_CHANGE, sname, oname, value)
        return 0

    def cmd_add_list(self, arg):
        pkg, _sref, sec, oname, value = self._section_cmd(arg, True)
        if sec is None or oname is None:
            raise UciError()
        op_add_list(pkg, sec.name, oname, value)
        self.save_delta(pkg.name, CMD_LIST_ADD, sec.name, oname, value)
        return 0

    def cmd_del_list(self, arg):
        pkg, _sref, sec, oname, value = self._section_cmd(arg, True)
        if sec is None or oname is None:
            raise UciError()
        if oname not in sec.options:
            return 0
        op_del_list(pkg, sec.name, oname, value)
        self.save_delta(pkg.name, CMD_LIST_DEL, sec.name, oname, value)
        return 0

    def cmd_delete(self, arg):
        pkg, _sref, sec, oname, value = self.lookup(arg, need_section=True)
        if sec is None:
            raise NotFound()
        if value:
            if oname is None or oname not in sec.options:
                raise NotFound()
            if not isinstance(sec.options[oname], list):
                return 0
            index = _index(value)
            if index is None:
                return 1
            op_delete(pkg, sec.name, oname, index)
            self.save_delta(pkg.name, CMD_REMOVE, sec.name, oname, str(index))
            return 0
        op_delete(pkg, sec.name, oname)
        self.save_delta(pkg.name, CMD_REMOVE, sec.name, oname, None)
        return 0

    def cmd_rename(self, arg):
        pkg, _sref, sec, oname, value = self._section_cmd(arg, True)
        if sec is None:
            raise NotFound()
        sname = sec.name
        op_rename(pkg, sname, oname, value)
        self.save_delta(pkg.name, CMD_RENAME, sname, oname, value)
        return 0

    def cmd_reorder(self, arg):
        pkg, _sref, sec, oname, value = self._section_cmd(arg, True)
        if sec is None or oname is not None:
            raise NotFound() if sec is None else UciError()
        op_reorder(pkg, sec.name, value)
        self.save_delta(pkg.name, CMD_REORDER, sec.name, None, str(int(value)))
        return 0

    def cmd_import(self, name, stream):
        pkg = parse_config(stream.read(), name)
        self.write_config(pkg)
        return 0

    def run(self, argv, stdin=None):
        """Run one command (argv without options); returns the exit code."""
        stdin = stdin or sys.stdin
        if not argv:
            return 255
        cmd, args = argv[0].lower(), argv[1:]
        if cmd == "batch":
            return self.batch(stdin)
        table = {
            "get": (self.cmd_get, 1, 1), "set": (self.cmd_set, 1, 1),
            "add_list": (self.cmd_add_list, 1, 1), "del_list": (self.cmd_del_list, 1, 1),
            "del": (self.cmd_delete, 1, 1), "delete": (self.cmd_delete, 1, 1),
            "rename": (self.cmd_rename, 1, 1), "ren": (self.cmd_rename, 1, 1),
            "reorder": (self.cmd_reorder, 1, 1), "revert": (self.cmd_revert, 1, 1),
            "show": (self.cmd_show, 0, 1), "export": (self.cmd_export, 0, 1),
            "changes": (self.cmd_changes, 0, 1), "commit": (self.cmd_commit, 0, 1),
            "add": (self.cmd_add, 2, 2),
        }
        if cmd == "import":
            if len(args) != 1:
                return 255
            return self._guard(self.cmd_import, args[0], stdin)
        if cmd not in table:
            return 255
        func, lo, hi = table[cmd]
        if not lo <= len(args) <= hi:
            return 255
        return self._guard(func, *args)

    def _guard(self, func, *args):
        try:
            return func(*args)
        except UciError as exc:
            self.error(exc)
            return 1
        except OSError as exc:
            self.error(UciError("I/O error (%s)" % exc.strerror))
            return 1

    def batch(self, stdin):
        """Commands from stdin, one per line, until EOF or `exit`. Like the
        real tool, errors are printed and the batch goes on; exit code 0."""
        for lineno, line in enumerate(stdin, 1):
            try:
                argv = tokenize(line, lineno)
            except UciError as exc:
                self.error(exc)
                continue
            if not argv:
                continue
            if argv[0].lower() == "exit":
                return 0
            if argv[0].lower() == "batch":
                ret = 255
            else:
                ret = self.run(argv, stdin)
            if ret == 255:
                self.err.write("Unknown command\n")
        return 0


USAGE = """Usage: uci [<options>] <command> [<arguments>]

Commands:
\tbatch
\texport     [<config>]
\timport     [<config>]
\tchanges    [<config>]
\tcommit     [<config>]
\tadd        <config> <section-type>
\tadd_list   <config>.<section>.<option>=<string>
\tdel_list   <config>.<section>.<option>=<string>
\tshow       [<config>[.<section>[.<option>]]]
\tget        <config>.<section>[.<option>]
\tset        <config>.<section>[.<option>]=<value>
\tdelete     <config>[.<section>[[.<option>][=<id>]]]
\trename     <config>.<section>[.<option>]=<name>
\trevert     <config>[.<section>[.<option>]]
\treorder    <config>.<section>=<position>

Options:
\t-c <path>  set the search path for config files (default: /etc/config)
\t-d <str>   set the delimiter for list values in uci show
\t-f <file>  use <file> as input instead of stdin
\t-n         name unnamed sections on export
\t-N         don't name unnamed sections (default)
\t-p <path>  add a search path for config change files
\t-P <path>  add a search path for config change files and use as default (commit writes nothing)
\t-t <path>  set save path for config change files
\t-q         quiet mode (don't print error messages)
\t-X         do not use extended syntax on 'show'
(wgnet OpenWrt emulation: a subset of uci, see tests/openwrt/README.md)
"""


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    ctx = Uci(savedir=os.environ.get("UCI_EMU_SAVEDIR", SAVEDIR))
    stdin = sys.stdin
    while argv and argv[0].startswith("-") and len(argv[0]) > 1:
        opt = argv.pop(0)
        for i, flag in enumerate(opt[1:]):
            if flag in "cdfPpt":
                rest = opt[i + 2:]
                if not rest:
                    if not argv:
                        sys.stderr.write(USAGE)
                        return 0
                    rest = argv.pop(0)
                if flag == "c":
                    ctx.confdir = rest
                elif flag == "d":
                    ctx.delimiter = rest
                elif flag == "f":
                    try:
                        stdin = open(rest, encoding="utf-8")  # pylint: disable=consider-using-with
                    except OSError as exc:
                        sys.stderr.write("uci: %s\n" % exc.strerror)
                        return 1
                elif flag == "P":
                    # as libuci's cli: the old save directory stays a delta
                    # search path, the new one takes new changes, and commit
                    # becomes a no-op
                    ctx.delta_paths.append(ctx.savedir)
                    ctx.savedir = rest
                    ctx.nocommit = True
                elif flag == "t":
                    ctx.savedir = rest
                break
            if flag == "q":
                ctx.quiet = True
            elif flag == "X":
                ctx.extended = False
            elif flag == "n":
                ctx.export_names = True
            elif flag == "N":
                ctx.export_names = False
            elif flag in "LmsS":
                pass
            else:
                sys.stderr.write(USAGE)
                return 0
    if not argv:
        sys.stderr.write(USAGE)
        return 0
    os.makedirs(SAVEDIR if ctx.savedir == SAVEDIR else ctx.savedir, mode=0o700, exist_ok=True)
    with open(os.path.join(ctx.savedir, ".emu.lock"), "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ret = ctx.run(argv, stdin)
    sys.stdout.flush()
    if ret == 255:
        sys.stderr.write(USAGE)
    return ret


if __name__ == "__main__":
    sys.exit(main())
