// Command vmclock prints CLOCK_MONOTONIC in microseconds, for the VM
// benchmark's timings: busybox's date has no sub-second format, and
// /proc/uptime counts hundredths. It is a test tool, never part of
// modutils.
//
// "vmclock watch READYFILE STOPFILE QUIETMS" watches for modules going
// live, for the coldplug benchmark's "until the last module is live":
// the kernel sends a module's "add" uevent once its init has returned
// (do_init_module: "delay uevent until module has finished its init
// routine"), so the watcher listens on the uevent socket, creating
// READYFILE once it does, and notes the time of each. Once STOPFILE
// exists and no module has gone live for QUIETMS, it prints "last US",
// the clock at the last one (0 if none did), and "live N", how many did,
// and exits. Reading /proc/modules every 5 ms instead, as it did, took
// a quarter of the VM's two CPUs under tcg (the kernel formats every
// module under module_mutex, which the loads themselves need), which
// slowed both sides of the benchmark and parallel loading most.
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
	return int64(ts.Sec)*1_000_000 + int64(ts.Nsec)/1000
}

func main() {
	if len(os.Args) == 5 && os.Args[1] == "watch" {
		quiet, err := strconv.ParseInt(os.Args[4], 10, 64)
		if err != nil {
			panic(err)
		}
		watch(os.Args[2], os.Args[3], quiet*1000)
		return
	}
	fmt.Println(now())
}

// watch notes the time of the last module "add" uevent: a module gone
// live.
func watch(ready, stop string, quiet int64) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_KOBJECT_UEVENT)
	if err != nil {
		panic(err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20); err != nil {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 8<<20)
	}
	// A look at the stop file at least every 100 ms.
	tv := unix.NsecToTimeval((100 * time.Millisecond).Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		panic(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: 1}); err != nil {
		panic(err)
	}
	if err := os.WriteFile(ready, nil, 0o644); err != nil {
		panic(err)
	}
	var last int64
	live := 0
	quietSince := now()
	buf := make([]byte, 64<<10)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		t := now()
		if err == nil && isModuleLive(buf[:n]) {
			last, quietSince = t, t
			live++
		} else if err != nil && err != unix.EAGAIN && err != unix.EINTR {
			// ENOBUFS: events were lost, so the last may have been.
			fmt.Println("error", err)
			return
		}
		if _, err := os.Stat(stop); err == nil && t-quietSince >= quiet {
			fmt.Println("last", last)
			fmt.Println("live", live)
			return
		}
	}
}

// isModuleLive reports whether a kernel uevent ("add@/module/NAME\0"
// and its KEY=VALUE\0 fields) is a module's add, sent by the kernel as
// the module went live: not one that "udevadm trigger" asked for by
// writing to /sys/module/NAME/uevent, which the kernel marks with
// SYNTH_UUID.
func isModuleLive(msg []byte) bool {
	fields := bytes.Split(msg, []byte{0})
	if len(fields) == 0 || !bytes.HasPrefix(fields[0], []byte("add@/module/")) {
		return false
	}
	module := false
	for _, f := range fields[1:] {
		switch {
		case bytes.HasPrefix(f, []byte("SYNTH_UUID=")):
			return false
		case bytes.Equal(f, []byte("SUBSYSTEM=module")):
			module = true
		}
	}
	return module
}
