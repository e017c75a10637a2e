// Command vmclock prints CLOCK_MONOTONIC in microseconds, for the VM
// benchmark's timings: busybox's date has no sub-second format, and
// /proc/uptime counts hundredths. It is a test tool, never part of
// modutils.
package main

import (
	"fmt"

	"golang.org/x/sys/unix"
)

func main() {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic(err)
	}
	fmt.Println(ts.Sec*1_000_000 + ts.Nsec/1000)
}
