# request_module: the kernel's own requests reach our modprobe, and load
# what they load when kmod 34.2's modprobe answers them. A logging wrapper
# stands in as the kernel's helper to show what it was asked.
helper() { # MODPROBE: the kernel's helper from now on, through the log
	cat >/tmp/modprobe-log <<X
#!/bin/sh
echo "\$*" >>/tmp/requests
exec $1 "\$@"
X
	chmod +x /tmp/modprobe-log
	rm -f /tmp/requests
	echo /tmp/modprobe-log >/proc/sys/kernel/modprobe
}
asked() { grep -q -- "$1" /tmp/requests 2>/dev/null; }
helper /sbin/modprobe

check ip-link-add-dummy ip link add d0 type dummy
expect_loaded ip-link-loaded-dummy dummy
if asked "-q -- rtnl-link-dummy"; then ok kernel-asked-rtnl-link-dummy; else fail kernel-asked-rtnl-link-dummy "$(oneline /tmp/requests)"; fi

# Opening a loop device node loads loop through its block-major alias.
mknod /dev/loop0 b 7 0 2>/dev/null
dd if=/dev/zero of=/tmp/fat.img bs=1k count=1440 2>/dev/null
mkdosfs /tmp/fat.img >/dev/null
check losetup-loads-loop losetup /dev/loop0 /tmp/fat.img
expect_loaded block-major-loaded-loop loop

check mount-vfat mount -t vfat /dev/loop0 /mnt
expect_loaded mount-loaded-vfat vfat fat
if asked "fs-vfat"; then ok kernel-asked-fs-vfat; else fail kernel-asked-fs-vfat "$(oneline /tmp/requests)"; fi
echo hello >/mnt/hello.txt && check vfat-works grep -qx hello /mnt/hello.txt
umount /mnt

# Shipped compressed (.ko.zst, .ko.xz): our modprobe decompresses them,
# or on 6.12 the kernel the .ko.xz.
mount -t minix /dev/loop0 /mnt 2>/dev/null
expect_loaded mount-loaded-minix-zst minix
mount -t iso9660 /dev/loop0 /mnt 2>/dev/null
expect_loaded mount-loaded-isofs-xz isofs
losetup -d /dev/loop0
ip link del d0
mine=$(modset)
sort /tmp/requests >/tmp/requests.ours

# The same again with kmod's modprobe as the kernel's helper.
unload_all
helper /kmod/bin/modprobe
ip link add d0 type dummy
losetup /dev/loop0 /tmp/fat.img
mount -t vfat /dev/loop0 /mnt && umount /mnt
mount -t minix /dev/loop0 /mnt 2>/dev/null
mount -t iso9660 /dev/loop0 /mnt 2>/dev/null
losetup -d /dev/loop0
ip link del d0
same_state requests-load-like-kmod "$mine" "$(modset)"
sort /tmp/requests >/tmp/requests.kmod
if cmp -s /tmp/requests.ours /tmp/requests.kmod; then ok same-requests-as-kmod; else fail same-requests-as-kmod "ours $(oneline /tmp/requests.ours) kmod $(oneline /tmp/requests.kmod)"; fi
echo /sbin/modprobe >/proc/sys/kernel/modprobe
