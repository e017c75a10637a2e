#!/usr/bin/env bash
# mkdeb.sh OUTDIR VERSION: modutils_VERSION_ARCH.deb, with dpkg-deb alone
# (no network, no debhelper), from what "make install PREFIX=/usr" puts
# in a staging root (the binary, its links, and whatever else make
# install installs: man pages, completions) and the files of
# internal/dist: the service files, the initramfs hooks, the default
# configuration kmod's package ships. ARCH is dpkg's name for go env
# GOARCH (or GOARCH). Prints the .deb's path. MAKE and GO are honoured.
set -euo pipefail
out=$1 version=$2
dist=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$dist/../.." && pwd)
goarch=${GOARCH:-$("${GO:-go}" env GOARCH)}
case "$goarch" in
386) arch=i386 ;;
arm) arch=armhf ;;
ppc64le) arch=ppc64el ;;
mips64le) arch=mips64el ;;
mipsle) arch=mipsel ;;
*) arch=$goarch ;;
esac

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/root
# bash-completion's package has its own insmod, modinfo, modprobe and
# rmmod completions in /usr/share/bash-completion/completions: ours of
# those names would make dpkg refuse to install beside it.
"${MAKE:-make}" -C "$top" --no-print-directory -s install DESTDIR="$root" PREFIX=/usr \
	BASH_COMPLETIONS="lsmod depmod kerneld kdstat kmod" >&2

# kmod 34.2's package has lsmod in /usr/bin too.
ln -sf modutils "$root/usr/bin/lsmod"
inst() { install -D -m "$1" "$dist/$2" "$root/$3"; }
inst 0644 systemd/kerneld.service usr/lib/systemd/system/kerneld.service
inst 0755 sysvinit/kerneld etc/init.d/kerneld
inst 0644 sysvinit/default etc/default/kerneld
inst 0755 openrc/kerneld usr/share/doc/modutils/examples/openrc/kerneld
inst 0755 initramfs-tools/hooks/modutils usr/share/initramfs-tools/hooks/modutils
inst 0755 initramfs-tools/scripts/init-top/kerneld usr/share/initramfs-tools/scripts/init-top/kerneld
inst 0755 initramfs-tools/scripts/init-bottom/kerneld usr/share/initramfs-tools/scripts/init-bottom/kerneld
inst 0644 modutils/initramfs.conf etc/modutils/initramfs.conf
inst 0755 mkinitcpio/install/modutils usr/lib/initcpio/install/modutils
inst 0644 modprobe.d/aliases.conf usr/lib/modprobe.d/aliases.conf
inst 0644 debian/copyright usr/share/doc/modutils/copyright
inst 0644 debian/lintian-overrides usr/share/lintian/overrides/modutils
install -d "$root/etc/modprobe.d" "$root/etc/depmod.d" "$root/usr/lib/depmod.d" "$root/etc/modules-load.d"
# Man pages are compressed, as Debian policy has them.
if [ -d "$root/usr/share/man" ]; then
	find "$root/usr/share/man" -type f ! -name '*.gz' -exec gzip -9n {} +
	# A link to a page that is now .gz follows it.
	find "$root/usr/share/man" -type l ! -name '*.gz' | while read -r l; do
		t=$(readlink "$l")
		ln -sf "$t.gz" "$l.gz" && rm -f "$l"
	done
fi
printf '%s\n' "modutils ($version) unstable; urgency=medium" "" \
	"  * Built from the modutils source tree." "" \
	" -- modutils developers <modutils@users.noreply.github.com>  $(date -R -d @"${SOURCE_DATE_EPOCH:-$(git -C "$top" log -1 --format=%ct 2>/dev/null || date +%s)}")" \
	| gzip -9n >"$root/usr/share/doc/modutils/changelog.gz"

mkdir -p "$root/DEBIAN"
for f in postinst prerm postrm; do install -m 0755 "$dist/debian/$f" "$root/DEBIAN/$f"; done
for f in triggers conffiles; do install -m 0644 "$dist/debian/$f" "$root/DEBIAN/$f"; done
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" \
	"$dist/debian/control.in" >"$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums" "$root/DEBIAN/control"

mkdir -p "$out"
deb=$out/modutils_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb.tmp" >&2
mv "$deb.tmp" "$deb"
echo "$deb"
