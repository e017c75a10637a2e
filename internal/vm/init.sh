#!/bin/sh
# /init of the VM: mount the kernel's filesystems, index the shipped
# modules with modutils' own depmod, then run each script of /scripts
# (appended to the image as a second archive; their order is
# /scripts/list) in a child shell, so that its exit cannot kill init, and
# with a time limit, each bracketed by SCRIPT-BEGIN and SCRIPT-END lines
# for the host to attribute what it prints. After each, init cleans up:
# what a script leaves behind (modules it cannot unload, a taint) is that
# script's failure, and the next starts as from a fresh boot. Then power
# off. Everything the host reads is on ttyS0.
export PATH=/sbin:/bin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
# Kernel messages would interleave with the scripts' lines; dmesg
# still has them.
echo 1 >/proc/sys/kernel/printk
echo "VM-BEGIN $(uname -r) $(cut -d' ' -f1 /proc/uptime)"
/sbin/depmod -a || echo "CHECK depmod FAIL depmod -a exited $?"

rmem_max=$(cat /proc/sys/net/core/rmem_max)
tainted=$(cat /proc/sys/kernel/tainted)
rmmod=/sbin/rmmod
[ -x /kmod/bin/rmmod ] && rmmod=/kmod/bin/rmmod

# alive: a process other than init runs (kernel threads and zombies have
# no command line).
alive() {
	for _d in /proc/[0-9]*; do
		[ "${_d#/proc/}" = 1 ] && continue
		read -r _c 2>/dev/null <"$_d/cmdline" && [ -n "$_c" ] && return 0
	done
	return 1
}

cleanup() {
	# Every process but init: daemons and watchers a script started.
	kill -9 -1 2>/dev/null
	_i=0
	while alive && [ $_i -lt 300 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	umount /mnt 2>/dev/null
	umount /sys/module/compression 2>/dev/null
	for _l in /dev/loop[0-9]*; do losetup -d "$_l" 2>/dev/null; done
	echo /sbin/modprobe >/proc/sys/kernel/modprobe
	echo "$rmem_max" >/proc/sys/net/core/rmem_max
	rm -rf /etc/modprobe.d/* /tmp/* /run/*
	# Devices a script removed come back.
	echo 1 >/sys/bus/pci/rescan
	_i=0
	while grep -q . /proc/modules && [ $_i -lt 8 ]; do
		$rmmod $(cut -d' ' -f1 /proc/modules) 2>/dev/null
		_i=$((_i + 1))
	done
	_left=$(cut -d' ' -f1 /proc/modules | tr '\n' ' ')
	[ -z "$_left" ] || echo "CHECK cleanup FAIL modules left loaded: $_left"
	_t=$(cat /proc/sys/kernel/tainted)
	if [ "$_t" != "$tainted" ]; then
		echo "CHECK untainted FAIL /proc/sys/kernel/tainted went from $tainted to $_t: $(dmesg | tail -n 5 | tr '\n' '|')"
		tainted=$_t
	fi
}

while read -r name; do
	limit=$(cat "/scripts/$name.timeout" 2>/dev/null || cat /scripts/timeout)
	dmesg -c >/dev/null
	echo "SCRIPT-BEGIN $name $(cut -d' ' -f1 /proc/uptime)"
	timeout "$limit" sh -c '. /lib/vm.sh; . "/scripts/$1.sh"' sh "$name" </dev/null
	rc=$?
	ended=$(cut -d' ' -f1 /proc/uptime)
	# busybox's timeout exits 143 for the SIGTERM it sends.
	[ $rc = 143 ] && echo "CHECK time-limit FAIL still running after $limit s"
	cleanup
	echo "SCRIPT-END $name $rc $ended $(cut -d' ' -f1 /proc/uptime)"
done </scripts/list
echo "VM-END $(cut -d' ' -f1 /proc/uptime)"
poweroff -f
