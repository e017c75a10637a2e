# The demo, run as the VM's scenario: what modutils does on a machine
# where it is the only module tool. Every line goes to the newcomer.
t() { cut -d' ' -f1 /proc/uptime; }
modset() { cut -d' ' -f1 /proc/modules | sort; }
# new BEFORE AFTER: the names in AFTER that are not in BEFORE, on one line.
new() { echo "$2" | grep -vxF -e "$1" -e '' | tr '\n' ' '; }

echo "Linux $(uname -r) is up at $(t) s. /sbin has: $(ls /sbin | tr '\n' ' ')"
echo "/proc/sys/kernel/modprobe is $(cat /proc/sys/kernel/modprobe)"
echo "depmod -a indexed $(wc -l </lib/modules/$(uname -r)/modules.dep) modules"

# kerneld starts the way the 1996 article started it from rc.local: it
# opens the kernel's uevent socket, loads what every device present needs
# (coldplug, as udev does at boot), then returns and stays in the
# background for hotplug, the kernel's own requests and autoclean.
before=$(modset)
start=$(t)
/sbin/kerneld keep
echo "kerneld: coldplug of $(sort -u /sys/bus/*/devices/*/modalias | wc -l) device modaliases loaded: $(new "$before" "$(modset)")($(awk "BEGIN{printf \"%.1f\", $(t) - $start}") s)"
for n in /sys/class/net/eth*; do
	[ -e "$n" ] || continue
	ip link set "${n##*/}" up
	# The link comes up a moment after the interface does.
	for i in 1 2 3 4 5 6 7 8 9 10; do
		[ "$(cat "$n/operstate")" = up ] && break
		sleep 0.2
	done
	echo "  ${n##*/}: driver $(basename "$(readlink "$n/device/driver")"), MAC $(cat "$n/address"), link $(cat "$n/operstate")"
done
[ -e /dev/hwrng ] && echo "  /dev/hwrng: $(cat /sys/class/misc/hw_random/rng_current), 8 random bytes: $(head -c 8 /dev/hwrng | hexdump -e '8/1 "%02x"')"

# The kernel asks for modules itself: a loop device node, a filesystem type.
before=$(modset)
mknod /dev/loop0 b 7 0
dd if=/dev/zero of=/tmp/fat.img bs=1k count=1440 2>/dev/null
mkdosfs /tmp/fat.img >/dev/null
losetup /dev/loop0 /tmp/fat.img && mount -t vfat /dev/loop0 /mnt &&
	echo "mount -t vfat: the kernel asked for its modules; modprobe handed the requests to kerneld, which loaded: $(new "$before" "$(modset)")"
umount /mnt 2>/dev/null
losetup -d /dev/loop0 2>/dev/null

before=$(modset)
if /sbin/modprobe btrfs; then
	echo "modprobe btrfs: loaded $(new "$before" "$(modset)")(dependencies and soft dependencies first)"
fi
echo
/sbin/kdstat | sed 's/^/  kdstat| /'
echo
/sbin/lsmod
echo
before=$(modset)
/sbin/modprobe -r btrfs && echo "modprobe -r btrfs: removed $(new "$(modset)" "$before")"
echo "powering off at $(t) s"
