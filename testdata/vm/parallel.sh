# parallel: 16 modprobes of one module at once all succeed, as udev's
# workers and the kernel's own requests race on a real boot, and as kmod
# 34.2's do.
race() { # NAME MODULE [MODPROBE]
	_i=0
	while [ $_i -lt 16 ]; do
		(${3:-/sbin/modprobe} "$2" 2>/tmp/race.$_i.err; echo $? >/tmp/race.$_i.rc) &
		_i=$((_i + 1))
	done
	wait
	_bad=
	_i=0
	while [ $_i -lt 16 ]; do
		[ "$(cat /tmp/race.$_i.rc)" = 0 ] || _bad="$_bad #$_i exit $(cat /tmp/race.$_i.rc): $(oneline /tmp/race.$_i.err);"
		_i=$((_i + 1))
	done
	if [ -z "$_bad" ]; then ok "$1"; else fail "$1" "$_bad"; fi
}
race parallel-loop loop
expect_loaded parallel-loop-loaded loop
mine=$(modset)
# kmod 34.2's modprobe, raced alike, succeeds alike and loads the same.
unload_all
race parallel-loop-kmod loop /kmod/bin/modprobe
same_state parallel-loop-like-kmod "$mine" "$(modset)"
unload_all
race parallel-btrfs btrfs
expect_loaded parallel-btrfs-loaded $BTRFS_CHAIN
same parallel-lsmod lsmod
