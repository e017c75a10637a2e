// Command vmclock prints CLOCK_MONOTONIC in microseconds, for the VM
// benchmark's timings: busybox's date has no sub-second format, and
// /proc/uptime counts hundredths. It is a test tool, never part of
// modutils.
//
// "vmclock watch STOPFILE QUIETMS" watches /proc/modules instead, every
// 5 ms, for the coldplug benchmark's "until the last module is live":
// once STOPFILE exists and the list (names and states) has not changed
// for QUIETMS, it prints "last US", the clock when it last changed (its
// start if it never did), and exits. A shell loop would fork at every
// look, which under tcg costs more than the look.
package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

func now() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic(err)
	}
	return ts.Sec*1_000_000 + ts.Nsec/1000
}

func main() {
	if len(os.Args) == 4 && os.Args[1] == "watch" {
		quiet, err := strconv.ParseInt(os.Args[3], 10, 64)
		if err != nil {
			panic(err)
		}
		watch(os.Args[2], quiet*1000)
		return
	}
	fmt.Println(now())
}

// watch keeps the time of the last change of /proc/modules's names and
// states (the columns a module's loading changes: its size and
// references are left out, so that a module in use does not count).
func watch(stop string, quiet int64) {
	var prev []byte
	last := now()
	for {
		data, _ := os.ReadFile("/proc/modules")
		var cur []byte
		for _, line := range bytes.Split(data, []byte("\n")) {
			f := bytes.Fields(line)
			if len(f) >= 5 {
				cur = append(append(append(cur, f[0]...), ' '), f[4]...)
				cur = append(cur, '\n')
			}
		}
		t := now()
		if !bytes.Equal(cur, prev) {
			prev, last = cur, t
		}
		if _, err := os.Stat(stop); err == nil && t-last >= quiet {
			fmt.Println("last", last)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}
