# Benchmark (make bench, internal/vm's BenchmarkColdplug), not a
# scenario: coldplug by kerneld against a udev-style loop of kmod's
# modprobe -b, one process per modalias, each from no modules loaded,
# alternately REPS times after one warm-up round of each; and kerneld's
# resident memory once idle after coldplug. Sourced after lib.sh.
# Prints "BENCH <name> <value>" lines the host parses, and CHECK lines.
REPS=${REPS:-5}

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

udevloop() {
	for a in $(cat /sys/bus/*/devices/*/modalias | sort -u); do
		/kmod/bin/modprobe -b "$a" 2>/dev/null
	done
}

i=0
while [ $i -le "$REPS" ]; do
	# kerneld returns once coldplug is done; keep, so that autoclean
	# does not unload anything meanwhile.
	unload_all
	t0=$(now)
	/sbin/kerneld keep >/tmp/kerneld.out 2>&1
	rc=$?
	t1=$(now)
	[ $rc = 0 ] || fail kerneld-starts "exit $rc: $(oneline /tmp/kerneld.out)"
	pid=$(/sbin/kdstat | sed -n 's/^pid: //p')
	kset=$(modset)
	sleep 2
	rss=$(sed -n 's/^VmRSS:[^0-9]*\([0-9]*\) kB$/\1/p' "/proc/$pid/status")
	kill -TERM "$pid"
	gone "$pid" || fail kerneld-stops "pid $pid still running"

	unload_all
	t2=$(now)
	udevloop
	t3=$(now)
	uset=$(modset)

	# Round 0 warms up both sides and is not counted.
	if [ $i -gt 0 ]; then
		echo "BENCH kerneld-coldplug-us $((t1 - t0))"
		echo "BENCH udevloop-us $((t3 - t2))"
		echo "BENCH idle-rss-kB $rss"
	else
		echo "coldplug: kerneld loaded [$kset]; the loop loaded [$uset]"
	fi
	# kerneld loads at least what the loop does (it also reads MODALIAS
	# from /sys/devices/**/uevent, which the loop does not).
	_missing=
	for m in $uset; do
		case " $kset " in *" $m "*) ;; *) _missing="$_missing $m" ;; esac
	done
	[ -z "$_missing" ] || fail "coldplug-covers-loop-$i" "kerneld did not load:$_missing"
	i=$((i + 1))
done
unload_all
ok bench-done
