# params: options from /etc/modprobe.d, from the command line and through
# insmod reach the kernel. loop shows its parameters in
# /sys/module/loop/parameters; dummy hides numdummies there (permission
# 0), so its count of interfaces shows what it was given.
want_param() { # NAME MODULE PARAM WANT
	_v=$(cat "/sys/module/$2/parameters/$3" 2>/dev/null)
	if [ "$_v" = "$4" ]; then ok "$1"; else fail "$1" "$2.$3 is '$_v', want '$4'"; fi
}
want_dummies() { # NAME COUNT
	_c=$(ip -o link show | grep -c ': dummy[0-9]')
	if [ "$_c" = "$2" ]; then ok "$1"; else fail "$1" "$_c dummy interfaces, want $2"; fi
}

echo "options loop max_part=7" >/etc/modprobe.d/loop.conf
ours modprobe loop
rc_is modprobe-loop 0
want_param modprobe.d-options loop max_part 7
ours modprobe -r loop
rc_is modprobe-r-loop 0
# The command line comes after modprobe.d: its value wins.
ours modprobe loop max_part=3 max_loop=4
want_param command-line-wins loop max_part 3
want_param command-line-second loop max_loop 4
check max-loop-devices test -b /dev/loop3
ours rmmod loop
rc_is rmmod-loop 0
# modprobe -v shows the options as kmod's does (modprobe.d's first), and
# they reach the kernel alike.
unload_all
ours modprobe -v loop max_part=3
part=$(cat /sys/module/loop/parameters/max_part)
unload_all
theirs modprobe -v loop max_part=3
compare modprobe-v-options-like-kmod
same_state options-reach-kernel-like-kmod "$part" "$(cat /sys/module/loop/parameters/max_part)"
unload_all
rm /etc/modprobe.d/loop.conf

echo "options dummy numdummies=3" >/etc/modprobe.d/dummy.conf
ours modprobe dummy
want_dummies modprobe.d-dummies 3
ours modprobe -r dummy
rm /etc/modprobe.d/dummy.conf

ours insmod /opt/ko/dummy.ko numdummies=2
rc_is insmod-params 0
want_dummies insmod-params-dummies 2
ours rmmod dummy
ours insmod /opt/ko/dummy.ko.xz numdummies=4
want_dummies insmod-xz-params-dummies 4
ours rmmod dummy

# A parameter the module does not have: the kernel refuses it, and we
# say so as kmod does.
same unknown-parameter modprobe dummy no_such_param=1
same insmod-unknown-parameter insmod /opt/ko/dummy.ko no_such_param=1
