# smoke: the harness itself. The VM boots with modutils as its only module
# tools, our depmod indexed the shipped modules, our modinfo reads them,
# and the kernel accepts Debian's signed modules (loaded here by kmod).
check only-modutils-in-sbin sh -c '[ "$(readlink /sbin/modprobe)" = modutils ] && ! command -v kmod'
check helper-is-sbin-modprobe grep -qx /sbin/modprobe /proc/sys/kernel/modprobe
check depmod-indexed grep -q '^kernel/fs/btrfs/btrfs.ko' /lib/modules/$(uname -r)/modules.dep
same modinfo-btrfs modinfo btrfs
same modprobe-dry-run modprobe -n -v btrfs
theirs modprobe dummy
if [ "$(cat /tmp/kmod.rc)" = 0 ] && loaded dummy; then ok kernel-accepts-signed-modules; else fail kernel-accepts-signed-modules "$(oneline /tmp/kmod.err)"; fi
same lsmod lsmod
