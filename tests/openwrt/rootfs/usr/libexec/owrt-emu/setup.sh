#!/usr/bin/env bash
# Build step of the wgnet OpenWrt emulation image (run once by the
# Containerfile, with the Debian base image's tools).
set -euo pipefail
E=/usr/libexec/owrt-emu

# python3 only for the emulation's own tools, never on PATH (OpenWrt has none)
py=$(readlink -f /usr/bin/python3)
mv "$py" "$E/python3"
rm -f /usr/bin/python3 /usr/bin/python3.* /usr/bin/pydoc3* /usr/bin/pygettext3* /usr/bin/py3*
if compgen -c | grep -q '^python'; then echo 'python still on PATH' >&2; exit 1; fi

# /bin/sh is BusyBox ash; the OpenWrt busybox applets come first on PATH
ln -sfn busybox /usr/bin/sh
mkdir -p "$E/bin"
for applet in ash awk basename cat chgrp chmod chown cmp cp cut date dd df dirname \
	dmesg du echo egrep env expr false fgrep find free grep gunzip gzip head hexdump \
	id kill killall less ln logger ls md5sum mkdir mkfifo mknod mktemp mount mv \
	nslookup pidof printf ps pwd readlink rm rmdir sed seq sh sha256sum sleep sort \
	strings sync sysctl tail tar tee test time timeout top touch tr true umount uname \
	uniq uptime vi wc which xargs yes zcat; do
	busybox --list | grep -qx "$applet" && ln -sfn /usr/bin/busybox "$E/bin/$applet"
done

# OpenWrt identity
ln -sfn ../usr/lib/os-release /etc/os-release
cp "$E/os-release" /usr/lib/os-release

# opkg status database with the base set of a fresh 23.05 image
mkdir -p /usr/lib/opkg
: >/usr/lib/opkg/status
awk '!/^#/ && $3 == "base" { print $1, $2 }' "$E/opkg-available" | while read -r name ver; do
	printf 'Package: %s\nVersion: %s\nStatus: install user installed\nArchitecture: x86_64\nInstalled-Time: 1727000000\n\n' "$name" "$ver"
done >>/usr/lib/opkg/status

# no /etc/config yet: owrt-emu-boot.service writes the fresh-router files at
# the first boot, from the container's interfaces
rm -rf /etc/config
mkdir -p /etc/uci-defaults
systemctl enable owrt-emu-boot.service
