#!/usr/bin/env bash
# trixie.sh: fetch Debian 13's kmod 34.2 (the tests' reference oracle) and
# the kernel package Debian 13's linux-image-amd64 depends on, from the
# Debian archive this machine's apt already uses, through a private apt
# configuration with the trixie suite: the machine's own apt state is left
# alone. Everything is cached outside the clone:
#
#   $CACHE/trixie/apt/...        the private apt configuration and state
#   $CACHE/trixie/kmod/root      kmod 34.2 and Debian 13's libraries, unpacked
#   $CACHE/trixie/kmod/bin/TOOL  depmod, modprobe, modinfo, insmod, rmmod,
#                                lsmod and kmod: links to a copy of kmod whose
#                                interpreter and RPATH are Debian 13's
#   $CACHE/trixie/xz/bin/xz      Debian 13's xz (liblzma 5.8.1, what kmod 34.2
#                                links), likewise: elfmod/xz's benchmark
#   $CACHE/<package>/deb, tree   Debian 13's kernel, modules as .ko.xz, in a
#                                merged-/usr root (lib -> usr/lib)
#   $CACHE/trixie/current -> ../<package>
#
# Prints $CACHE/trixie. With --kmod it fetches kmod alone (make demo).
set -euo pipefail
cache=${XDG_CACHE_HOME:-$HOME/.cache}/modutils
top=$cache/trixie
mkdir -p "$top/apt/etc" "$top/apt/lists/partial" "$top/apt/cache/archives/partial"
cat >"$top/apt/etc/sources.list.tmp" <<'EOF'
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
EOF
mv "$top/apt/etc/sources.list.tmp" "$top/apt/etc/sources.list"
apt=(-o "Dir::Etc::sourcelist=$top/apt/etc/sources.list" -o Dir::Etc::sourceparts=-
	-o "Dir::State::Lists=$top/apt/lists" -o "Dir::Cache=$top/apt/cache"
	-o Debug::NoLocking=1 -o APT::Sandbox::User=root)

# The lists are fetched once; a later run that finds a package missing
# (the archive moved on) fetches them again.
lists_fresh=
update() {
	[ -n "$lists_fresh" ] && return 1
	apt-get "${apt[@]}" -qq update >&2
	lists_fresh=1
}
[ -n "$(ls "$top/apt/lists" | grep -v partial || true)" ] || update

# download PACKAGE... into the current directory, updating the lists once
# when the archive no longer has what they name.
download() {
	apt-get "${apt[@]}" -qq download "$@" >&2 2>/dev/null && return
	update || true
	apt-get "${apt[@]}" -qq download "$@" >&2
}

if [ ! -e "$top/kmod/.complete" ]; then
	command -v patchelf >/dev/null || { echo "trixie.sh: patchelf is needed (apt-get install patchelf)" >&2; exit 1; }
	rm -rf "$top/kmod" "$top/kmod.tmp" && mkdir -p "$top/kmod.tmp/debs" "$top/kmod.tmp/bin"
	(cd "$top/kmod.tmp/debs" && download kmod libkmod2 libc6 libssl3t64 liblzma5 libzstd1 zlib1g)
	for deb in "$top/kmod.tmp/debs"/*.deb; do dpkg-deb -x "$deb" "$top/kmod.tmp/root"; done
	r=$top/kmod/root
	cp "$top/kmod.tmp/root/usr/bin/kmod" "$top/kmod.tmp/bin/kmod"
	# DT_RPATH (not RUNPATH) so that libkmod's dlopen of liblzma and
	# libzstd finds Debian 13's copies too.
	patchelf --set-interpreter "$r/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \
		--force-rpath --set-rpath "$r/usr/lib/x86_64-linux-gnu" "$top/kmod.tmp/bin/kmod"
	for tool in depmod modprobe modinfo insmod rmmod lsmod; do ln -s kmod "$top/kmod.tmp/bin/$tool"; done
	mv "$top/kmod.tmp" "$top/kmod"
	"$top/kmod/bin/kmod" -V | grep -q '^kmod version 34' || { echo "trixie.sh: kmod 34 does not run" >&2; exit 1; }
	touch "$top/kmod/.complete"
fi

# Debian 13's xz, run with kmod's libraries (its liblzma 5.8.1).
if [ "${1:-}" != --kmod ] && [ ! -e "$top/xz/.complete" ]; then
	rm -rf "$top/xz" "$top/xz.tmp" && mkdir -p "$top/xz.tmp/debs" "$top/xz.tmp/bin"
	(cd "$top/xz.tmp/debs" && download xz-utils)
	dpkg-deb -x "$top/xz.tmp/debs"/xz-utils_*.deb "$top/xz.tmp/root"
	r=$top/kmod/root
	cp "$top/xz.tmp/root/usr/bin/xz" "$top/xz.tmp/bin/xz"
	patchelf --set-interpreter "$r/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \
		--force-rpath --set-rpath "$r/usr/lib/x86_64-linux-gnu" "$top/xz.tmp/bin/xz"
	mv "$top/xz.tmp" "$top/xz"
	"$top/xz/bin/xz" -V | grep -q '^liblzma 5\.8' || { echo "trixie.sh: Debian 13's xz does not run" >&2; exit 1; }
	touch "$top/xz/.complete"
fi

if [ "${1:-}" != --kmod ]; then
	pkg=$(apt-cache "${apt[@]}" depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}' || true)
	[ -n "$pkg" ] || { update || true; pkg=$(apt-cache "${apt[@]}" depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}'); }
	dir=$cache/$pkg
	mkdir -p "$dir"
	if [ ! -e "$dir/tree/.complete" ]; then
		rm -rf "$dir/tree" "$dir/tree.tmp" "$dir/deb-dl" && mkdir "$dir/deb-dl"
		(cd "$dir/deb-dl" && download "$pkg")
		mv "$dir"/deb-dl/*.deb "$dir/deb" && rmdir "$dir/deb-dl"
		mkdir "$dir/tree.tmp" && dpkg-deb -x "$dir/deb" "$dir/tree.tmp"
		# Debian 13 is merged-/usr: /lib is a link to usr/lib, and kmod
		# 34.2 was built to look in /lib/modules.
		[ -e "$dir/tree.tmp/lib" ] || ln -s usr/lib "$dir/tree.tmp/lib"
		mv "$dir/tree.tmp" "$dir/tree"
		touch "$dir/tree/.complete"
	fi
	ln -sfn "../$pkg" "$top/current"
fi
echo "$top"
