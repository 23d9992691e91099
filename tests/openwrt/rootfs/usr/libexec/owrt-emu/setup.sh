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

# OpenWrt 25.12 (OWRT_EMU_RELEASE, a build argument): apk-tools v3 replaces
# opkg, with the same base set in apk's installed database
if [[ ${OWRT_EMU_RELEASE:-23.05} == 25.12 ]]; then
	rev=r31523-2a7c1f0e77
	{
		echo "DISTRIB_ID='OpenWrt'"
		echo "DISTRIB_RELEASE='25.12.0'"
		echo "DISTRIB_REVISION='$rev'"
		echo "DISTRIB_TARGET='x86/64'"
		echo "DISTRIB_ARCH='x86_64'"
		echo "DISTRIB_DESCRIPTION='OpenWrt 25.12.0 $rev'"
		echo "DISTRIB_TAINTS=''"
	} >/etc/openwrt_release
	echo "$rev" >/etc/openwrt_version
	sed -i "s/23\.05\.5/25.12.0/g; s/r24106-10cc5fcd00/$rev/g" /usr/lib/os-release
	install -m 0755 "$E/apk" /usr/bin/apk
	rm -rf /usr/bin/opkg /usr/lib/opkg
	mkdir -p /lib/apk/db /etc/apk
	: >/lib/apk/db/installed
	: >/etc/apk/world
	awk '!/^#/ && $3 == "base" { print $1, $2 }' "$E/opkg-available" | while read -r name ver; do
		printf 'P:%s\nV:%s\nA:x86_64\n\n' "$name" "$ver" >>/lib/apk/db/installed
		echo "$name" >>/etc/apk/world
	done
fi

# no /etc/config yet: owrt-emu-boot.service writes the fresh-router files at
# the first boot, from the container's interfaces
rm -rf /etc/config
mkdir -p /etc/uci-defaults
systemctl enable owrt-emu-boot.service

# cron as OpenWrt has it: enabled, no crontab yet (crond: the stand-in)
mkdir -p /etc/crontabs
systemctl enable owrt-emu-cron.service
