// Command vmhelper is shipped in the VM's image for scenarios that need
// what busybox lacks:
//
//	vmhelper uevent 'add@/devices/x|ACTION=add|...'   send a forged uevent ("|" is NUL)
//	vmhelper asuser UID CMD ARGS...                   run CMD as UID
//	vmhelper nocap CAP CMD ARGS...                    run CMD without capability CAP (a number)
//	vmhelper deny CALL=ERRNO[,...] CMD ARGS...        run CMD where system call CALL fails with ERRNO
//
// It is a test tool, never part of modutils.
package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: vmhelper uevent MSG | asuser UID CMD... | nocap CAP CMD... | deny CALL=ERRNO,... CMD...")
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
	case "deny":
		// A seccomp filter makes the named module system calls fail
		// with the errno given, for CMD and all it runs: the scenarios
		// see which call a tool makes (insmod of a .ko.xz that succeeds
		// with init_module denied went through finit_module), and what
		// it does when a kernel lacks one (ENOSYS).
		err := deny(os.Args[2])
		if err == nil && len(os.Args) > 3 {
			err = syscall.Exec(os.Args[3], os.Args[3:], os.Environ())
		}
		fmt.Fprintln(os.Stderr, "vmhelper:", err)
		os.Exit(1)
	}
}

// calls are the system calls deny knows by name.
var calls = map[string]uint32{
	"init_module":   unix.SYS_INIT_MODULE,
	"finit_module":  unix.SYS_FINIT_MODULE,
	"delete_module": unix.SYS_DELETE_MODULE,
}

// deny installs, for every thread and what they exec, a seccomp filter
// returning the errno for each CALL=ERRNO of spec and allowing the rest.
func deny(spec string) error {
	bpf := func(code uint16, k uint32, jt, jf uint8) unix.SockFilter {
		return unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k}
	}
	const (
		ldAbs = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		ret   = unix.BPF_RET | unix.BPF_K
		// struct seccomp_data: nr at 0, arch at 4.
		offNr, offArch = 0, 4
	)
	// Another architecture's numbers mean other calls: allow those.
	prog := []unix.SockFilter{
		bpf(ldAbs, offArch, 0, 0),
		bpf(jeq, unix.AUDIT_ARCH_X86_64, 1, 0),
		bpf(ret, unix.SECCOMP_RET_ALLOW, 0, 0),
		bpf(ldAbs, offNr, 0, 0),
	}
	for _, item := range strings.Split(spec, ",") {
		name, errno, _ := strings.Cut(item, "=")
		nr, ok := calls[name]
		e := errnoValue(errno)
		if !ok || e == 0 {
			return fmt.Errorf("deny %q: want CALL=ERRNO, CALL one of init_module, finit_module, delete_module", item)
		}
		prog = append(prog, bpf(jeq, nr, 0, 1), bpf(ret, unix.SECCOMP_RET_ERRNO|uint32(e), 0, 0))
	}
	prog = append(prog, bpf(ret, unix.SECCOMP_RET_ALLOW, 0, 0))
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC, uintptr(unsafe.Pointer(&fprog)))
	if e != 0 {
		return fmt.Errorf("seccomp: %w", e)
	}
	return nil
}

// errnoValue is the errno named ("ENOSYS"), or 0.
func errnoValue(name string) syscall.Errno {
	for e := syscall.Errno(1); e < 4096; e++ {
		if unix.ErrnoName(e) == name {
			return e
		}
	}
	return 0
}
