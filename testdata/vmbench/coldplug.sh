# Benchmark (make bench, internal/vm's BenchmarkColdplug), not a
# scenario: one side's coldplug on a fresh boot, SIDE=kerneld or udevd,
# from the state the kernel booted in until the last module is live
# (vmclock hears each module's uevent as it goes live); then that side's
# resident memory once idle; then, all unloaded, the kernel's own time to
# load the same modules in one process (the limit). Sourced after lib.sh.
# Prints "BENCH <name> <value>" and "MODULES <side> <names>" lines the
# host parses, and CHECK lines.
SIDE=${SIDE:-kerneld}

now() { /bin/vmclock; }

# gone PID: wait up to 10 s for the process to exit.
gone() {
	_t=40
	while kill -0 "$1" 2>/dev/null; do
		[ $_t -gt 0 ] || return 1
		sleep 0.25
		_t=$((_t - 1))
	done
}

rss() { sed -n 's/^VmRSS:[^0-9]*\([0-9]*\) kB$/\1/p' "/proc/$1/status"; }

# ticks STAT: a /proc stat file's utime and stime, in clock ticks (comm
# may hold spaces: the fields after its ')' are fixed).
ticks() {
	read -r _line <"$1" 2>/dev/null || return 1
	set -- ${_line##*) }
	echo "${12} ${13}"
}

# Nothing is loaded yet: init's depmod -a loads nothing, and no script
# ran before this one.
pre=$(modset)
[ -z "$pre" ] || fail fresh-boot "loaded before coldplug: $pre"

rm -f /tmp/stop /tmp/watch.ready
/bin/vmclock watch /tmp/watch.ready /tmp/stop 3000 >/tmp/watch.out &
wpid=$!
until [ -e /tmp/watch.ready ]; do sleep 0.05; done
stat0=$(head -1 /proc/stat)
t0=$(now)
case $SIDE in
kerneld)
	# kerneld returns once coldplug has settled; keep, so that autoclean
	# unloads nothing meanwhile. TRACE=1 (VMBENCHTRACE) runs it in the
	# foreground instead, logging every event and load, until it says
	# it is ready.
	if [ -n "$TRACE" ]; then
		/sbin/kerneld --foreground debug keep >/tmp/side.out 2>&1 &
		kpid=$!
		until grep -q 'ready, pid' /tmp/side.out; do sleep 0.1; done
		# kerneld's utime and stime; every other process's and kernel
		# thread's that used the CPUs meanwhile; kerneld's threads',
		# with their context switches.
		ticks /proc/$kpid/stat >/tmp/kcpu
		for st in /proc/[0-9]*/stat; do
			t=$(ticks "$st") || continue
			[ "$t" = "0 0" ] || echo "$(cut -d')' -f1 "$st")) user ${t% *} sys ${t#* }"
		done >/tmp/pcpu
		for st in /proc/$kpid/task/*/stat; do
			t=$(ticks "$st") || continue
			tid=${st%/stat}
			echo "thread ${tid##*/} user ${t% *} sys ${t#* } $(grep ctxt_switches "$tid/status" | tr -s '\t\n' '  ')"
		done >>/tmp/pcpu
	else
		/sbin/kerneld keep >/tmp/side.out 2>&1 || fail kerneld-starts "exit $?: $(oneline /tmp/side.out)"
	fi
	;;
udevd)
	# As Debian's initramfs (scripts/init-top/udev) starts it, with
	# Debian 12's kmod as the kernel's modprobe, as on Debian 12.
	echo /udev/modprobe >/proc/sys/kernel/modprobe
	/lib/systemd/systemd-udevd --daemon --resolve-names=never >/tmp/side.out 2>&1 ||
		fail udevd-starts "exit $?: $(oneline /tmp/side.out)"
	udevadm trigger --type=subsystems --action=add
	udevadm trigger --type=devices --action=add
	udevadm settle || echo "udevadm settle: exit $?"
	;;
esac
t1=$(now)
stat1=$(head -1 /proc/stat)
touch /tmp/stop
wait $wpid
last=$(sed -n 's/^last //p' /tmp/watch.out)
[ -n "$last" ] || fail watch "vmclock watch said: $(oneline /tmp/watch.out)"
[ "$last" -ge "$t0" ] || last=$t0
mods=$(modset)
# Every module loaded went live, each with its event.
live=$(sed -n 's/^live //p' /tmp/watch.out)
n=$(echo $mods | wc -w)
[ "$live" = "$n" ] || fail watch "$live modules went live by the uevents, $n are in /proc/modules: $mods"
echo "BENCH $SIDE-live-us $((last - t0))"
echo "BENCH $SIDE-ready-us $((t1 - t0))"
# How busy the VM's CPUs were meanwhile, in percent: user, nice, system,
# irq, softirq and steal of all the CPUs' time (/proc/stat's first line).
busy() { set -- $1; echo $(($2 + $3 + $4 + $7 + $8 + $9)) $(($2 + $3 + $4 + $5 + $6 + $7 + $8 + $9)); }
set -- $(busy "$stat0") $(busy "$stat1")
[ $(($4 - $2)) -gt 0 ] && echo "BENCH $SIDE-busy-pct $((100 * ($3 - $1) / ($4 - $2)))"
set --
echo "MODULES $SIDE $mods"
if [ -n "$TRACE" ]; then
	echo "TRACE t0 $t0 t1 $t1 last $last uptime $(cut -d' ' -f1 /proc/uptime)"
	echo "TRACE cpu before $stat0 after $stat1 kerneld $(cat /tmp/kcpu)"
	[ -f /tmp/pcpu ] && sed 's/^/TRACE process /' /tmp/pcpu
	sed 's/^/TRACE /' /tmp/side.out
	dmesg | sed 's/^/TRACE /'
fi

# Idle: 2 s after the last module went live.
sleep 2
case $SIDE in
kerneld) pid=$(/sbin/kdstat | sed -n 's/^pid: //p') ;;
udevd) pid=$(pidof systemd-udevd | tr ' ' '\n' | sort -n | head -1) ;;
esac
[ -n "$pid" ] || fail "$SIDE-pid" "no pid"
echo "BENCH $SIDE-idle-rss-kB $(rss "$pid")"
if [ -n "$TRACE" ]; then
	# What khugepaged makes of the daemon's heap once it has had the time
	# to scan it (every 10 s by default).
	mem() { grep -E '^(Rss|AnonHugePages)' "/proc/$pid/smaps_rollup" | tr -s ' ' | tr '\n' ' '; }
	echo "TRACE memory idle: $(mem)"
	sleep 30
	echo "TRACE memory 30 s later: $(mem)"
fi
kill -TERM "$pid"
gone "$pid" || fail "$SIDE-stops" "pid $pid still running"
echo /sbin/modprobe >/proc/sys/kernel/modprobe

# The limits: the same modules, loaded by one process, kmod 34.2's
# modprobe -a, from nothing loaded: its wall time, and the CPU time the
# VM spent meanwhile (the kernel's work of loading them: signatures,
# relocations, the drivers' probes) over the VM's CPUs, which no tool,
# however parallel, can go below. /proc/stat counts in USER_HZ (100).
unload_all
ncpu=$(grep -c '^cpu[0-9]' /proc/stat)
stat2=$(head -1 /proc/stat)
t2=$(now)
/kmod/bin/modprobe -a $mods 2>/tmp/limit.err || echo "modprobe -a: $(oneline /tmp/limit.err)"
t3=$(now)
stat3=$(head -1 /proc/stat)
echo "BENCH limit-us $((t3 - t2))"
set -- $(busy "$stat2") $(busy "$stat3")
echo "BENCH limit-cpu-us $((($3 - $1) * 10000 / ncpu))"
set --
unload_all
ok bench-done
