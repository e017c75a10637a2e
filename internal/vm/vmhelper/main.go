// Command vmhelper is shipped in the VM's image for scenarios that need
// what busybox lacks:
//
//	vmhelper uevent 'add@/devices/x|ACTION=add|...'   send a forged uevent ("|" is NUL)
//	vmhelper asuser UID CMD ARGS...                   run CMD as UID
//	vmhelper nocap CAP CMD ARGS...                    run CMD without capability CAP (a number)
//
// It is a test tool, never part of modutils.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: vmhelper uevent MSG | asuser UID CMD... | nocap CAP CMD...")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "uevent":
		// Sent as user space can: from its own netlink port, to the
		// kernel's group, as root. A listener that checks the sender
		// must drop it.
		fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM, unix.NETLINK_KOBJECT_UEVENT)
		if err == nil {
			err = unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
		}
		if err == nil {
			msg := strings.ReplaceAll(os.Args[2], "|", "\x00")
			err = unix.Sendto(fd, []byte(msg), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: 1})
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "vmhelper:", err)
			os.Exit(1)
		}
	case "asuser":
		uid, err := strconv.Atoi(os.Args[2])
		if err == nil {
			err = syscall.Setgroups(nil)
		}
		if err == nil {
			err = syscall.Setgid(uid)
		}
		if err == nil {
			err = syscall.Setuid(uid)
		}
		if err == nil && len(os.Args) > 3 {
			err = syscall.Exec(os.Args[3], os.Args[3:], os.Environ())
		}
		fmt.Fprintln(os.Stderr, "vmhelper:", err)
		os.Exit(1)
	case "nocap":
		// Dropped from the bounding set, the capability is gone from
		// what root's exec grants: CMD runs as root without it, as in a
		// container that withholds it.
		capability, err := strconv.Atoi(os.Args[2])
		if err == nil {
			err = unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(capability), 0, 0, 0)
		}
		if err == nil && len(os.Args) > 3 {
			err = syscall.Exec(os.Args[3], os.Args[3:], os.Environ())
		}
		fmt.Fprintln(os.Stderr, "vmhelper:", err)
		os.Exit(1)
	}
}
