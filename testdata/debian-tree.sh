#!/usr/bin/env bash
# debian-tree.sh: fetch Debian's kernel package (what linux-image-amd64
# depends on), unpack its module tree once, and make .ko.xz, .ko.zst and
# .ko.gz copies of it, all cached outside the clone. Prints the cache
# directory of the current package; the Go tests find the trees there.
# With --plain (make demo) it leaves the compressed copies out.
#
#   $CACHE/<package>/deb              the .deb
#   $CACHE/<package>/tree             uncompressed, as Debian ships it
#   $CACHE/<package>/tree-{xz,zst,gz} the same modules compressed as the
#                                     kernel's build compresses them
#   $CACHE/current -> <package>
set -euo pipefail
cache=${XDG_CACHE_HOME:-$HOME/.cache}/modutils
mkdir -p "$cache"
cd "$cache"

pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}' || true)
if [ -z "$pkg" ]; then
	apt-get update -qq >&2
	pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
fi
dir=$cache/$pkg
mkdir -p "$dir"
cd "$dir"

if [ ! -e tree/.complete ]; then
	rm -rf tree deb-dl && mkdir deb-dl
	(cd deb-dl && apt-get download "$pkg" >&2 2>/dev/null || (cd deb-dl && apt-get download "$pkg" >&2))
	mv deb-dl/*.deb deb && rmdir deb-dl
	mkdir tree.tmp && dpkg-deb -x deb tree.tmp && mv tree.tmp tree
	touch tree/.complete
fi

compress() { # suffix, command...
	local suffix=$1; shift
	local out=tree-$suffix
	[ -e "$out/.complete" ] && return
	rm -rf "$out" "$out.tmp"
	cp -a --reflink=auto tree "$out.tmp"
	rm -f "$out.tmp/.complete"
	find "$out.tmp" -name '*.ko' -print0 | xargs -0 -n 64 -P "$(nproc)" "$@"
	mv "$out.tmp" "$out"
	touch "$out/.complete"
}
# The options of the kernel's scripts/Makefile.modinst.
if [ "${1:-}" != --plain ]; then
	compress xz  xz --check=crc32 --lzma2=dict=1MiB -q
	compress zst zstd -T0 --rm -f -q
	compress gz  gzip -n -f -9
fi

ln -sfn "$pkg" "$cache/current"
echo "$dir"
