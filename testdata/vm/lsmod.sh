# lsmod: the same table as kmod's, with users, holders and sizes, and
# e1000 bound to qemu's NIC.
/sbin/modprobe -a btrfs dummy loop e1000 vfat
expect_loaded lsmod-setup btrfs dummy loop e1000 vfat fat
same lsmod lsmod
check e1000-bound sh -c 'ls /sys/bus/pci/drivers/e1000 | grep -q 0000:'
same modinfo-loaded modinfo e1000
