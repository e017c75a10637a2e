# smoke: the harness itself. The VM boots with modutils as its only module
# tools, our depmod indexed the shipped modules, our modinfo reads them,
# the kernel accepts Debian's signed modules (loaded here by kmod), and the
# oracle is kmod 34.2.
check only-modutils-in-sbin sh -c 'for a in modprobe kmod; do [ "$(readlink /sbin/$a)" = modutils ] || exit 1; done'
check helper-is-sbin-modprobe grep -qx /sbin/modprobe /proc/sys/kernel/modprobe
check depmod-indexed grep -q '^kernel/fs/btrfs/btrfs.ko' /lib/modules/$(uname -r)/modules.dep
same modinfo-btrfs modinfo btrfs
same modprobe-dry-run modprobe -n -v btrfs
theirs modprobe dummy
if [ "$(cat /tmp/kmod.rc)" = 0 ] && loaded dummy; then ok kernel-accepts-signed-modules; else fail kernel-accepts-signed-modules "$(oneline /tmp/kmod.err)"; fi
same lsmod lsmod
# The oracle is kmod 34.2, run with Debian 13's own libraries.
theirs kmod --version
if [ "$(head -n1 /tmp/kmod.out)" = "kmod version 34.2" ]; then ok oracle-is-kmod-34.2; else fail oracle-is-kmod-34.2 "$(oneline /tmp/kmod.out) $(oneline /tmp/kmod.err)"; fi
# Debian 13's root is merged-/usr: /lib/modules is /usr/lib/modules.
if [ "$KERNEL" = deb13 ]; then
	check merged-usr sh -c '[ "$(readlink /lib)" = usr/lib ] && [ -d /usr/lib/modules/$(uname -r) ]'
fi
