#!/bin/sh
# Debian 12's systemd-udevd with the libraries it links, unpacked (not
# installed) for the coldplug benchmark's VM image, which runs it against
# kerneld: the packages from this machine's apt sources (apt-get
# download), under ${XDG_CACHE_HOME:-~/.cache}/modutils/udev/root.
# Prints that root. Run by internal/vm's BenchmarkColdplug when missing.
set -eu
cache=${XDG_CACHE_HOME:-$HOME/.cache}/modutils/udev
root=$cache/root
if [ -e "$root/.complete" ]; then
	echo "$root"
	exit 0
fi
# udev and what it and its builtins link (ldd of systemd-udevd and of
# libsystemd-shared), Debian 12's bookworm versions, and Debian 12's kmod,
# whose modprobe is the kernel's helper on a Debian 12 system running
# udevd.
pkgs="udev kmod libudev1 libkmod2 libsystemd-shared libacl1 libblkid1 libcap2 libcrypt1
libgcrypt20 libgpg-error0 liblz4-1 liblzma5 libmount1 libpam0g libseccomp2 libselinux1
libssl3 libzstd1 libaudit1 libcap-ng0 libpcre2-8-0 libc6"
rm -rf "$cache/debs" "$root.tmp"
mkdir -p "$cache/debs" "$root.tmp"
(cd "$cache/debs" && apt-get download $pkgs >/dev/null 2>&1) || {
	apt-get update -qq && (cd "$cache/debs" && apt-get download $pkgs >/dev/null)
}
for d in "$cache/debs"/*.deb; do
	dpkg-deb -x "$d" "$root.tmp"
done
touch "$root.tmp/.complete"
rm -rf "$root"
mv "$root.tmp" "$root"
echo "$root"
