# static_nodes: the kmod command against kmod's own in the same VM
# vm-modules: tun loop
# (static-nodes in every format, to stdout and to a file, kmod list, the
# error cases), then the static nodes under kerneld: kerneld makes the
# nodes modules.devname lists, and opening /dev/net/tun and
# /dev/loop-control makes the kernel ask for char-major-10-200 and
# char-major-10-237, which kerneld answers by loading tun and loop.

# udev makes /dev/stdout, kmod 30's default output for static-nodes.
rm -f /dev/stdout
ln -s /proc/self/fd/1 /dev/stdout

devname=/lib/modules/$(uname -r)/modules.devname
check devname-lists-tun grep -qx 'tun net/tun c10:200' "$devname"
check devname-lists-loop grep -qx 'loop loop-control c10:237' "$devname"

same static-nodes-human kmod static-nodes
same static-nodes-tmpfiles kmod static-nodes --format=tmpfiles
same static-nodes-devname kmod static-nodes -f devname
same static-nodes-human-named kmod static-nodes -f human
for f in human tmpfiles devname; do
	ours kmod static-nodes -f $f -o /run/ours/$f/static-nodes.conf
	theirs kmod static-nodes -f $f -o /run/kmod/$f/static-nodes.conf
	compare static-nodes-output-$f
	check static-nodes-file-$f cmp /run/ours/$f/static-nodes.conf /run/kmod/$f/static-nodes.conf
	check static-nodes-file-mode-$f sh -c "[ \"\$(stat -c %a /run/ours/$f/static-nodes.conf)\" = \"\$(stat -c %a /run/kmod/$f/static-nodes.conf)\" ]"
done
# What systemd's kmod-static-nodes.service runs, over a file already there.
echo old >/run/static-nodes.conf
ours kmod static-nodes --format=tmpfiles --output=/run/static-nodes.conf
cp /run/static-nodes.conf /tmp/ours.conf
echo old >/run/static-nodes.conf
theirs kmod static-nodes --format=tmpfiles --output=/run/static-nodes.conf
compare static-nodes-service
check static-nodes-service-file cmp /tmp/ours.conf /run/static-nodes.conf
same static-nodes-bad-format kmod static-nodes --format=json
same static-nodes-help kmod static-nodes -h
same static-nodes-bad-option kmod static-nodes -x

# kmod list is lsmod's table.
/sbin/modprobe -a btrfs dummy vfat
same kmod-list kmod list
same kmod-list-too-many kmod list extra
same kmod-list-bad-option kmod list --bogus
/sbin/kmod list >/tmp/list.out
/sbin/lsmod >/tmp/lsmod.out
check kmod-list-is-lsmod cmp /tmp/list.out /tmp/lsmod.out
same kmod-invalid-command kmod bogus
same kmod-compat-is-invalid kmod lsmod
same kmod-missing-command kmod
same kmod-help kmod help
same kmod-help-option kmod --help
same kmod-bad-option kmod -x
unload_all
# A kerneld of an earlier scenario made these nodes, and devtmpfs keeps
# what mknod made there: without their drivers, they go.
while read -r _m _node _dev; do
	case $_m in '#'*) continue ;; esac
	rm -f "/dev/$_node"
done <"$devname"

# kerneld makes the nodes devtmpfs does not have: their drivers are not
# loaded.
check tun-node-absent test ! -e /dev/net/tun
check loop-control-absent test ! -e /dev/loop-control
check kerneld-starts kerneld keep debug
pid=$(kdstat | sed -n 's/^pid: //p')

# Every node kmod's tmpfiles output names is there, as tmpfiles makes it:
# type, major:minor, mode 0600 (/dev/net 0755).
/kmod/bin/kmod static-nodes --format=tmpfiles -o /tmp/tmpfiles
_bad=
while read -r type path mode _u _g _a devno; do
	case $type in
	d) [ "$(stat -c '%F %a' "$path" 2>&1)" = "directory 755" ] || _bad="$_bad $path($(stat -c '%F %a' "$path" 2>&1))" ;;
	c! | b!)
		want=$(printf '%s %x:%x %s' "$([ "$type" = c! ] && echo character || echo block)" "${devno%:*}" "${devno#*:}" "${mode#0}")
		got=$(stat -c '%F %t:%T %a' "$path" 2>&1 | sed 's/ special file//')
		[ "$got" = "$want" ] || _bad="$_bad $path($got, want $want)"
		;;
	esac
done </tmp/tmpfiles
if [ -z "$_bad" ] && [ -s /tmp/tmpfiles ]; then ok nodes-as-tmpfiles-makes-them; else fail nodes-as-tmpfiles-makes-them "$_bad"; fi
kdstat >/tmp/kdstat.out 2>&1
check kdstat-shows-nodes grep -q '^nodes: .*/dev/loop-control.*/dev/net/tun' /tmp/kdstat.out

# Opening a node loads its driver through kerneld.
dd if=/dev/net/tun of=/dev/null count=0 2>/dev/null
expect_loaded open-tun-loads-tun tun
dd if=/dev/loop-control of=/dev/null count=0 2>/dev/null
expect_loaded open-loop-control-loads-loop loop
check loop-control-works losetup -f
kdstat >/tmp/kdstat.out 2>&1
check kdstat-tun-request grep -q '^nodes-loaded: .*/dev/net/tun (char-major-10-200: tun)' /tmp/kdstat.out
check kdstat-loop-request grep -q '^nodes-loaded: .*/dev/loop-control (char-major-10-237: loop)' /tmp/kdstat.out
check kdstat-loaded-by-kerneld grep -q '^loaded: .*loop.*tun' /tmp/kdstat.out
kill -TERM "$pid"
check kerneld-ends wait_for 10 sh -c "! kill -0 $pid 2>/dev/null"
