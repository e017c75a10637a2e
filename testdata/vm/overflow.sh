# kerneld after lost uevents: a socket that overflows (ENOBUFS) has lost
# events for good, so kerneld rescans /sys and loads what a lost "add"
# needed. Without CAP_NET_ADMIN kerneld gets only rmem_max of buffer;
# made tiny here, a burst while kerneld is stopped overflows it.

echo 4096 >/proc/sys/net/core/rmem_max
# 12 is CAP_NET_ADMIN, which SO_RCVBUFFORCE needs.
check kerneld-starts /bin/vmhelper nocap 12 /sbin/kerneld delay=1 debug
pid=$(kdstat | sed -n 's/^pid: //p')
capeff=$(sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$pid/status")
check no-net-admin [ "$(( 0x$capeff >> 12 & 1 ))" = 0 ]
kdstat watch >/tmp/watch 2>&1 &
expect_loaded coldplug-e1000 e1000

# The device goes; its driver, idle, is autocleaned.
dev=$(basename "$(readlink -f /sys/bus/pci/drivers/e1000/0000:* | head -n1)")
echo 1 >"/sys/bus/pci/devices/$dev/remove"
check unbound-e1000-autocleaned wait_for 20 notloaded e1000

# Stopped, kerneld reads nothing: a burst fills its buffer, and the
# device's return ("add", with its modalias) is dropped.
kill -STOP "$pid"
for i in $(seq 64); do echo change >/sys/devices/virtual/mem/null/uevent; done
echo 1 >/sys/bus/pci/rescan
check device-back test -e "/sys/bus/pci/devices/$dev"
sleep 1
expect_unloaded nothing-loads-while-stopped e1000
kill -CONT "$pid"

check overflow-rescan-loads-e1000 wait_for 30 loaded e1000
check overflow-counted sh -c 'kdstat | grep -q "overflows [1-9]"'
check overflow-watched wait_for 5 grep -q 'overflow: rescanning' /tmp/watch
# The rescan, not the event, loaded it: the event never arrived.
check add-event-lost sh -c "! grep -q 'event add .*/$dev ' /tmp/watch"
check remove-event-seen grep -q "event remove .*/$dev " /tmp/watch

kill -TERM "$pid"
check sigterm-ends wait_for 10 sh -c "! kill -0 $pid 2>/dev/null"
