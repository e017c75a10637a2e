# Helpers for the VM's scenarios (testdata/vm/*.sh), sourced before each.
# A scenario reports with lines the host parses:
#   CHECK <name> ok
#   CHECK <name> FAIL <detail>
# Names are single words. kmod 34.2's tools are under /kmod/bin, out of
# PATH: /sbin holds only modutils.

# KERNEL is the kernel booted, deb12 (Linux 6.1) or deb13 (Linux 6.12),
# for the scenarios whose expectations differ by kernel.
KERNEL=$(cat /etc/vm-kernel)
# BTRFS_CHAIN is btrfs and the modules it depends on there (6.12 builds
# zstd_compress in).
case $KERNEL in
deb12) BTRFS_CHAIN="btrfs xor raid6_pq zstd_compress libcrc32c" ;;
*) BTRFS_CHAIN="btrfs xor raid6_pq libcrc32c" ;;
esac

# Debian's busybox runs its own applets before searching PATH, so each of
# our applet names is a function calling /sbin's. The full path is what
# the tools see as argv[0], as on a real system; kmod's wrappers pass the
# same, so that messages quoting argv[0] compare equal.
for _a in kmod insmod rmmod lsmod modprobe depmod modinfo kerneld kdstat; do
	eval "$_a() { /sbin/$_a \"\$@\"; }"
done

ok() { echo "CHECK $1 ok"; }

# fail NAME DETAIL...
fail() {
	_n=$1
	shift
	echo "CHECK $_n FAIL $*"
}

# oneline FILE: a file's text on one line, for a FAIL detail.
oneline() { tr '\n' '|' <"$1" | cut -c1-400; }

# check NAME CMD...: ok when CMD succeeds; its output goes in the detail.
check() {
	_n=$1
	shift
	if "$@" >/tmp/check.out 2>&1; then
		ok "$_n"
	else
		fail "$_n" "exit $?: $*: $(oneline /tmp/check.out)"
	fi
}

# loaded NAME: the module is in /proc/modules.
loaded() { grep -q "^$1 " /proc/modules; }

# notloaded NAME: the module is not in /proc/modules.
notloaded() { ! loaded "$1"; }

# wait_for SECONDS CMD...: poll until CMD succeeds.
wait_for() {
	_t=$(($1 * 4))
	shift
	while [ $_t -gt 0 ]; do
		"$@" && return 0
		sleep 0.25
		_t=$((_t - 1))
	done
	return 1
}

# expect_loaded NAME MODULE...
expect_loaded() {
	_n=$1
	shift
	_missing=
	for _m in "$@"; do loaded "$_m" || _missing="$_missing $_m"; done
	if [ -z "$_missing" ]; then ok "$_n"; else fail "$_n" "not loaded:$_missing"; fi
}

# expect_unloaded NAME MODULE...
expect_unloaded() {
	_n=$1
	shift
	_still=
	for _m in "$@"; do loaded "$_m" && _still="$_still $_m"; done
	if [ -z "$_still" ]; then ok "$_n"; else fail "$_n" "still loaded:$_still"; fi
}

# ours APPLET ARGS... and theirs APPLET ARGS...: run one side, leaving
# stdout, stderr and the exit code in /tmp/SIDE.{out,err,rc}. A command in
# WRAP (a seccomp filter: "/bin/vmhelper deny finit_module=ENOSYS") runs
# either side.
WRAP=
ours() {
	_a=$1
	shift
	$WRAP "/sbin/$_a" "$@" >/tmp/ours.out 2>/tmp/ours.err
	echo $? >/tmp/ours.rc
}
theirs() {
	_a=$1
	shift
	$WRAP "/kmod/bin/$_a" "$@" >/tmp/kmod.out 2>/tmp/kmod.err
	echo $? >/tmp/kmod.rc
}

# compare NAME: the last ours and theirs printed the same and exited alike.
compare() {
	_d=
	cmp -s /tmp/ours.rc /tmp/kmod.rc || _d="$_d exit $(cat /tmp/ours.rc) vs kmod $(cat /tmp/kmod.rc);"
	for _s in out err; do
		cmp -s /tmp/ours.$_s /tmp/kmod.$_s && continue
		# Only the lines that differ: "-" ours, "+" kmod's.
		diff /tmp/ours.$_s /tmp/kmod.$_s | grep '^[-+][^-+]' >/tmp/diff
		_d="$_d std$_s: $(oneline /tmp/diff);"
	done
	if [ -z "$_d" ]; then ok "$1"; else fail "$1" "$_d"; fi
}

# same NAME APPLET ARGS...: ours, then kmod's, on a command that leaves
# the system as it found it (an error, a query).
same() {
	_n=$1
	shift
	ours "$@"
	theirs "$@"
	compare "$_n"
}

# rc_is NAME WANT: the last ours exited WANT.
rc_is() {
	if [ "$(cat /tmp/ours.rc)" = "$2" ]; then ok "$1"; else fail "$1" "exit $(cat /tmp/ours.rc), want $2: $(oneline /tmp/ours.err)"; fi
}

# modset: the loaded modules' names, sorted, on one line.
modset() { cut -d' ' -f1 /proc/modules | sort | tr '\n' ' '; }

# same_state NAME OURS THEIRS: two modsets (or any strings) are equal.
same_state() {
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "ours [$2] vs kmod [$3]"; fi
}

# unload_all: remove every module, kmod's way, for a fresh start: all at
# once (newest first, as /proc/modules lists them, so users go before what
# they use), again while some are left.
unload_all() {
	_i=0
	while grep -q . /proc/modules && [ $_i -lt 8 ]; do
		/kmod/bin/rmmod $(cut -d' ' -f1 /proc/modules) 2>/dev/null
		_i=$((_i + 1))
	done
}

# same_fresh NAME APPLET ARGS...: ours, then a clean slate, then kmod's,
# for a command that changes what is loaded; both start from no modules.
same_fresh() {
	_n=$1
	shift
	unload_all
	ours "$@"
	unload_all
	theirs "$@"
	unload_all
	compare "$_n"
}
