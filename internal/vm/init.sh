#!/bin/sh
# /init of the VM: mount the kernel's filesystems, index the shipped
# modules with modutils' own depmod, run /scenario.sh (appended to the
# image as a second archive) in a child shell so that its exit cannot
# kill init, then power off. Everything the host reads is on ttyS0.
export PATH=/sbin:/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
# Kernel messages would interleave with the scenario's lines; dmesg
# still has them.
echo 1 >/proc/sys/kernel/printk
echo "VM-BEGIN $(uname -r) $(cut -d' ' -f1 /proc/uptime)"
/sbin/depmod -a || echo "CHECK depmod FAIL depmod -a exited $?"
sh -c '. /lib/vm.sh; . /scenario.sh'
echo "VM-END $? $(cut -d' ' -f1 /proc/uptime)"
poweroff -f
