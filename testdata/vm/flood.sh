# vm-timeout: 1800
# vm-modules: af_alg algif_hash dummy minix
# vm-kernels: deb13 -- it measures kerneld's bounds, which no kernel changes; tcg makes it minutes
# kerneld under floods: 20,000 distinct names that do not exist, the
# kernel's own requests from an unprivileged user, a storm of 2,000
# network devices created and destroyed, and a kernel request while
# kerneld is stopped. Throughout, kerneld's resident memory stays under
# 16 MiB and its goroutines under a fixed bound, and it answers kdstat.
# FIGURES lines carry the VM's uptime, for the README's figures.

check kerneld-starts kerneld delay=60
pid=$(kdstat | sed -n 's/^pid: //p')

# The bound: workers (4), a rescan's loads (4), clients (64) and the
# fixed ones (the runtime's, uevents, autoclean, the listener, signals).
MAXG=90
MAXKIB=16384
maxrss=0
maxg=0
# sample: one kdstat, which must answer; keeps the highest figures seen.
sample() {
	kdstat >/tmp/kd.out 2>&1 || return 1
	_r=$(sed -n 's/^memory: \([0-9]*\) KiB.*/\1/p' /tmp/kd.out)
	_g=$(sed -n 's/^goroutines: //p' /tmp/kd.out)
	[ -n "$_r" ] && [ -n "$_g" ] || return 1
	[ "$_r" -gt "$maxrss" ] && maxrss=$_r
	[ "$_g" -gt "$maxg" ] && maxg=$_g
	return 0
}
# bounds NAME: the highest figures so far are within the bounds.
bounds() {
	if [ "$maxrss" -lt $MAXKIB ] && [ "$maxg" -le $MAXG ]; then
		ok "$1"
	else
		fail "$1" "resident $maxrss KiB (bound $MAXKIB), goroutines $maxg (bound $MAXG)"
	fi
	echo "FIGURES $1 resident=${maxrss}KiB goroutines=$maxg uptime=$(cut -d' ' -f1 /proc/uptime)"
}
# during NAME CMD...: run CMD in the background, sampling kerneld until
# it ends; every sample must be answered.
during() {
	_n=$1
	shift
	"$@" >/tmp/during.out 2>&1 &
	_p=$!
	_bad=0
	_samples=0
	while kill -0 $_p 2>/dev/null; do
		sample || _bad=$((_bad + 1))
		_samples=$((_samples + 1))
	done
	wait $_p
	_rc=$?
	if [ $_rc = 0 ] && [ $_bad = 0 ]; then
		ok "$_n"
	else
		fail "$_n" "exit $_rc, $_bad of $_samples kdstat calls unanswered: $(oneline /tmp/during.out)"
	fi
}
sample
bounds idle

# 1. Requests for 20,000 distinct names that do not exist, as modprobe
# hands the kernel's requests over (each exec of modprobe would cost the
# VM milliseconds; kerneld sees the same requests).
during kdflood /bin/vmhelper kdflood 20000 nosuch- /run/kerneld.sock
bounds after-kdflood
kdstat >/tmp/kd.out
check failures-capped grep -q '^failed: 256: ' /tmp/kd.out
check failures-forgotten grep -q '^failed, forgotten: 19744 ' /tmp/kd.out
check failures-oldest-forgotten sh -c "! grep -q ' nosuch-0 (' /tmp/kd.out"
check failures-recent-kept grep -q 'nosuch-199[0-9][0-9] (module not found)' /tmp/kd.out

# The kernel's own requests, caused by uid 1000: binding AF_ALG hash
# sockets to unknown algorithms (af_alg and algif_hash load first). Each
# bind makes the kernel run modprobe twice (crypto-NAME, crypto-NAME-all),
# tens of milliseconds an exec under tcg: 200 binds prove the path.
during algflood /bin/vmhelper asuser 1000 /bin/vmhelper algflood 200 nosuchalg
bounds after-algflood
expect_loaded alg-modules af_alg algif_hash
kdstat >/tmp/kd.out
check alg-requests-reached-kerneld grep -q "crypto-nosuchalg199 " /tmp/kd.out

# Unknown filesystem types, mounted by uid 1000 in user and mount
# namespaces of its own: the kernel asks for fs-NAME before it checks
# whether the type may be mounted there.
cat >/tmp/mounts.sh <<'EOF'
i=0
while [ $i -lt 100 ]; do
	mount -t nosuchfs$i none /mnt 2>/dev/null
	i=$((i + 1))
done
true
EOF
during mountflood /bin/vmhelper asuser 1000 /bin/busybox unshare -rm sh /tmp/mounts.sh
bounds after-mountflood
check mount-requests-reached-kerneld sh -c 'kdstat | grep -q "fs-nosuchfs99 "'

# 2. A uevent storm: 2,000 dummy devices created (the first makes the
# kernel ask for rtnl-link-dummy), then destroyed at once by removing
# the module.
events0=$(kdstat | sed -n 's/^events: \([0-9]*\).*/\1/p')
during storm /bin/vmhelper netdevs 2000
expect_loaded storm-dummy dummy
# dummy's devices hold no reference on it: kerneld keeps what it loaded
# for rtnl-link-dummy, or autoclean would destroy devices in use.
check storm-dummy-kept sh -c 'kdstat | grep -q "^kept: .*dummy (rtnl-link-dummy: its devices hold no reference)"'
during storm-destroy /kmod/bin/rmmod dummy
bounds after-storm
check storm-seen wait_for 60 sh -c "[ \$(kdstat | sed -n 's/^events: \([0-9]*\).*/\1/p') -ge \$(($events0 + 4000)) ]"

# 3. kerneld stopped while the kernel asks for a real module: modprobe
# gives up on it after its deadline and loads minix itself.
kill -STOP "$pid"
check stopped-mount-fails-cleanly sh -c 'mount -t minix none /mnt 2>/dev/null; true'
expect_loaded stopped-request-loads minix
kill -CONT "$pid"
check continued-answers wait_for 10 sample
check continued-not-ours sh -c '! kdstat | grep -q "^loaded: .*minix"'
check continued-requests /bin/vmhelper kdflood 1 after-cont- /run/kerneld.sock
sample
bounds after-cont

kill -TERM "$pid"
check sigterm-ends wait_for 10 sh -c "! kill -0 $pid 2>/dev/null"
