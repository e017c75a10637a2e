# errors: every refusal worded, and exited with, as kmod's: missing
# modules, modules in use, already loaded, --first-time, builtins.
same modprobe-missing modprobe no_such_module
same modprobe-q-missing modprobe -q no_such_module
same modprobe-r-missing modprobe -r no_such_module
same insmod-missing-file insmod /no/such.ko
same insmod-not-a-module insmod /etc/passwd
same rmmod-not-loaded rmmod dummy
same rmmod-missing rmmod no_such_module
same modprobe-r-not-loaded modprobe -r dummy
same modprobe-r-first-time-not-loaded modprobe -r --first-time dummy
same modprobe-builtin modprobe sha256_generic
same modprobe-first-time-builtin modprobe --first-time sha256_generic
same modprobe-r-builtin modprobe -r sha256_generic
same rmmod-builtin rmmod sha256_generic

/kmod/bin/modprobe dummy
same modprobe-already-loaded modprobe dummy
same modprobe-first-time-loaded modprobe --first-time dummy
same insmod-already-loaded insmod /opt/ko/dummy.ko
same insmod-already-loaded-xz insmod /opt/ko/dummy.ko.xz

/kmod/bin/modprobe btrfs
same rmmod-in-use rmmod libcrc32c
same rmmod-in-use-two rmmod xor raid6_pq
same modprobe-r-in-use modprobe -r libcrc32c
# (6.12 builds zstd_compress in: there this is the builtin refusal.)
same modprobe-r-holder-missing modprobe -r zstd_compress

# A filesystem held by a mount.
dd if=/dev/zero of=/tmp/fat.img bs=1k count=1440 2>/dev/null
mkdosfs /tmp/fat.img >/dev/null
/kmod/bin/modprobe loop
losetup /dev/loop0 /tmp/fat.img
mount -t vfat /dev/loop0 /mnt
same rmmod-mounted rmmod vfat
same modprobe-r-mounted modprobe -r vfat
umount /mnt
losetup -d /dev/loop0
