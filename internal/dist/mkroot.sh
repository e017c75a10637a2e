#!/usr/bin/env bash
# mkroot.sh SUITE KERNEL_DEB: a throwaway Debian root for the package
# proofs (dist_test.go): debootstrap's minbase of SUITE (bookworm, trixie)
# from the Debian archive this machine's apt uses, with systemd as init,
# initramfs-tools and the kernel package KERNEL_DEB installed (its image
# is not built here: the test builds it, with modutils in kmod's place).
# The root is cached, built atomically, keyed by suite and kernel:
#
#   $CACHE/rootfs/SUITE-PACKAGE-HASH/  the root (.complete when done);
#                                      HASH is of the package list below
#
# Prints the root's path. Needs root (chroot) and debootstrap.
set -euo pipefail
suite=$1 deb=$2
cache=${XDG_CACHE_HOME:-$HOME/.cache}/modutils
pkg=$(dpkg-deb -f "$deb" Package)
# What the proofs need beyond minbase: systemd as init (systemd-sysv),
# systemd-analyze (in systemd), kill(1) for the unit's ExecReload
# (procps), the initramfs generator and the compressors it uses,
# e2fsprogs for the ext4 root the boot proof mounts, linux-base, which
# the kernel package depends on, and kmod, which the package replaces.
include=systemd,systemd-sysv,udev,procps,initramfs-tools,zstd,xz-utils,e2fsprogs,linux-base,kmod
dir=$cache/rootfs/$suite-$pkg-$(echo "$include" | md5sum | cut -c1-8)
if [ -e "$dir/.complete" ]; then echo "$dir"; exit 0; fi
command -v debootstrap >/dev/null || { echo "mkroot.sh: debootstrap is needed (apt-get install debootstrap)" >&2; exit 1; }
mirror=${DEBIAN_MIRROR:-$(sed -n 's|^URIs: *\(http[^ ]*/debian\)$|\1|p; s|^deb  *\(\[[^]]*\]  *\)\{0,1\}\(http[^ ]*/debian\)  *.*|\2|p' /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 || true)}
mirror=${mirror:-http://deb.debian.org/debian}
tmp=$dir.tmp
rm -rf "$tmp" && mkdir -p "$tmp"
debootstrap --variant=minbase --include="$include" \
	"$suite" "$tmp" "$mirror" >"$tmp.log" 2>&1 || { tail -n 30 "$tmp.log" >&2; exit 1; }
cp "$deb" "$tmp/tmp/kernel.deb"
# INITRD=No: the kernel's postinst hook skips update-initramfs, which the
# test runs itself once modutils is installed.
chroot "$tmp" env INITRD=No DEBIAN_FRONTEND=noninteractive dpkg -i /tmp/kernel.deb >>"$tmp.log" 2>&1 \
	|| { tail -n 30 "$tmp.log" >&2; exit 1; }
rm -f "$tmp/tmp/kernel.deb"
chroot "$tmp" apt-get clean
rm -f "$tmp.log"
touch "$tmp/.complete"
rm -rf "$dir" && mv "$tmp" "$dir"
echo "$dir"
