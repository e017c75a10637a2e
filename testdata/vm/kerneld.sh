# kerneld: the daemon loads what the devices present need (coldplug), what
# appears later (hotplug) and what the kernel asks for (through modprobe's
# hand-over), ignores forged uevents, unloads what it loaded once idle
# (delay=2 here) through a remove command where one is configured, and
# answers kdstat for root only.

# A module a person loads is never autocleaned.
check user-loads-dummy modprobe dummy

# Autoclean runs a module's remove command, as "modprobe -r" would.
echo 'remove minix echo "$MODPROBE_MODULE" >/tmp/remove-ran; /sbin/modprobe -r -i minix' >/etc/modprobe.d/kerneld-remove.conf

# keep until coldplug is checked: a module that nothing uses (crc32c_intel,
# for the CPU) would otherwise be autocleaned while kmod's loop runs.
check kerneld-starts kerneld keep delay=2 debug
pid=$(kdstat | sed -n 's/^pid: //p')
check kerneld-name sh -c "[ \"\$(cat /proc/$pid/comm)\" = kerneld ]"
check socket-root-only sh -c '[ "$(stat -c %a /run/kerneld.sock)" = 600 ]'
kdstat watch >/tmp/watch 2>&1 &
watchpid=$!

expect_loaded coldplug-e1000 e1000
# kmod's modprobe -b over every modalias finds nothing left to load.
before=$(modset)
for a in $(cat /sys/bus/*/devices/*/modalias); do /kmod/bin/modprobe -b "$a" 2>/dev/null; done
same_state coldplug-complete "$before" "$(modset)"
check kdstat-nokeep kdstat nokeep

kdstat >/tmp/kdstat.out 2>&1
check kdstat-root grep -q '^loaded: .*e1000' /tmp/kdstat.out
/bin/vmhelper asuser 1000 /sbin/kdstat >/tmp/user.out 2>&1
rc=$?
if [ $rc = 1 ] && grep -q 'permission denied' /tmp/user.out; then ok kdstat-user-refused; else fail kdstat-user-refused "exit $rc: $(oneline /tmp/user.out)"; fi

# A uevent forged from user space (port != 0) is dropped.
check forged-sent /bin/vmhelper uevent 'add@/devices/fake|ACTION=add|DEVPATH=/devices/fake|SUBSYSTEM=pci|MODALIAS=nls_ascii|SEQNUM=1'
check forged-rejected wait_for 5 sh -c 'kdstat | grep -q "rejected [1-9]"'
expect_unloaded forged-loads-nothing nls_ascii

# The kernel's own request, handed to kerneld by modprobe -q --.
mount -t minix none /mnt 2>/dev/null
expect_loaded request-minix minix
kdstat >/tmp/kdstat.out 2>&1
check request-through-kerneld grep -q '^requests: 1$' /tmp/kdstat.out
check request-loaded-by-kerneld grep -q '^loaded: .*minix' /tmp/kdstat.out

# Autoclean: minix, idle, goes; the user's dummy and the bound e1000 stay.
check autoclean-minix wait_for 20 notloaded minix
expect_loaded autoclean-keeps dummy e1000
check autoclean-reported sh -c 'kdstat | grep -q "^removed: .*minix"'
check autoclean-remove-command grep -qx minix /tmp/remove-ran
rm /etc/modprobe.d/kerneld-remove.conf

# Hotplug: the e1000 device goes (its driver, idle now, is autocleaned)
# and comes back: kerneld loads e1000 again.
dev=$(basename "$(readlink -f /sys/bus/pci/drivers/e1000/0000:* | head -n1)")
echo 1 >"/sys/bus/pci/devices/$dev/remove"
check unbound-e1000-autocleaned wait_for 20 notloaded e1000
echo 1 >/sys/bus/pci/rescan
check hotplug-e1000 wait_for 20 loaded e1000
check hotplug-bound wait_for 10 test -e "/sys/bus/pci/drivers/e1000/$dev"

# SIGHUP reads the configuration again: with e1000 blacklisted now, the
# device coming back loads nothing (hotplug applies the blacklist).
echo "blacklist e1000" >/etc/modprobe.d/kerneld-test.conf
kill -HUP "$pid"
check sighup-reload wait_for 5 grep -q 'reload: SIGHUP' /tmp/watch
echo 1 >"/sys/bus/pci/devices/$dev/remove"
check unbound-again-autocleaned wait_for 20 notloaded e1000
echo 1 >/sys/bus/pci/rescan
check rescan-seen wait_for 20 test -e "/sys/bus/pci/devices/$dev"
sleep 3
expect_unloaded sighup-blacklist-applies e1000
rm /etc/modprobe.d/kerneld-test.conf

check watch-saw-request grep -q 'request fs-minix' /tmp/watch
check watch-saw-load grep -q 'loaded minix' /tmp/watch

kill -TERM "$pid"
check sigterm-ends wait_for 10 sh -c "! kill -0 $pid 2>/dev/null"
check socket-removed test ! -e /run/kerneld.sock
kdstat >/tmp/kdstat.out 2>&1
rc=$?
if [ $rc = 1 ] && grep -q 'not running' /tmp/kdstat.out; then ok kdstat-no-kerneld; else fail kdstat-no-kerneld "exit $rc: $(oneline /tmp/kdstat.out)"; fi
check watch-ended wait_for 5 sh -c "! kill -0 $watchpid 2>/dev/null"
# Without kerneld, the kernel's modprobe does the work itself again.
mount -t minix none /mnt 2>/dev/null
expect_loaded request-without-kerneld minix
