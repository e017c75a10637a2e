// Command vmhelper is shipped in the VM's image for scenarios that need
// what busybox lacks:
//
//	vmhelper uevent 'add@/devices/x|ACTION=add|...'   send a forged uevent ("|" is NUL)
//	vmhelper asuser UID CMD ARGS...                   run CMD as UID
//	vmhelper nocap CAP CMD ARGS...                    run CMD without capability CAP (a number)
//	vmhelper algflood N PREFIX                        bind N AF_ALG sockets to hashes PREFIX0..: each
//	                                                  makes the kernel ask for crypto-PREFIXi (any user can)
//	vmhelper kdflood N PREFIX SOCKET                  ask kerneld at SOCKET for PREFIX0.. directly, N times
//	vmhelper netdevs N                                create N dummy network devices (rtnetlink)
//	vmhelper deny CALL=ERRNO[,...] CMD ARGS...        run CMD where system call CALL fails with ERRNO
//
// It is a test tool, never part of modutils.
package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

func main() {
	// Capability bounding sets and no_new_privs belong to a thread, not
	// the process: the prctl and the exec that hands them on must run on
	// one thread, or CMD may start from another that kept the capability.
	runtime.LockOSThread()
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: vmhelper uevent MSG | asuser UID CMD... | nocap CAP CMD... | deny CALL=ERRNO,... CMD... | algflood N PREFIX | kdflood N PREFIX SOCKET | netdevs N")
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
	case "algflood", "kdflood", "netdevs":
		n, err := strconv.Atoi(os.Args[2])
		if err == nil {
			switch os.Args[1] {
			case "algflood":
				err = algflood(n, os.Args[3])
			case "kdflood":
				err = kdflood(n, os.Args[3], os.Args[4])
			default:
				err = netdevs(n)
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "vmhelper:", err)
			os.Exit(1)
		}
	}
}

// algflood binds AF_ALG hash sockets to names no module provides. The
// crypto API asks the kernel's modprobe helper for "crypto-NAME" and
// "crypto-NAME-all" for each, whoever the caller is: this is how an
// unprivileged user floods kerneld with requests.
func algflood(n int, prefix string) error {
	for i := range n {
		fd, err := unix.Socket(unix.AF_ALG, unix.SOCK_SEQPACKET, 0)
		if err != nil {
			return fmt.Errorf("socket(AF_ALG): %w", err)
		}
		err = unix.Bind(fd, &unix.SockaddrALG{Type: "hash", Name: fmt.Sprintf("%s%d", prefix, i)})
		unix.Close(fd)
		if err == nil {
			return fmt.Errorf("bind of hash %s%d succeeded", prefix, i)
		}
	}
	return nil
}

// kdflood is the kernel's requests as modprobe hands them to kerneld,
// without the kernel and an exec of modprobe for each: the same load on
// kerneld's tables at a rate a VM can reach. Four clients at once, as
// the kernel runs its helpers side by side.
func kdflood(n int, prefix, socket string) error {
	const clients = 4
	errs := make(chan error, clients)
	for c := range clients {
		go func() {
			var err error
			for i := c; i < n && err == nil; i += clients {
				err = kdrequest(socket, fmt.Sprintf("%s%d", prefix, i))
			}
			errs <- err
		}()
	}
	var first error
	for range clients {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// kdrequest asks kerneld for name once and wants a failure for it.
func kdrequest(socket, name string) error {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: socket}); err != nil {
		return fmt.Errorf("request %s: %w", name, err)
	}
	if _, err := unix.Write(fd, []byte("request "+name+"\n")); err != nil {
		return fmt.Errorf("request %s: %w", name, err)
	}
	var answer []byte
	buf := make([]byte, 4096)
	for {
		m, err := unix.Read(fd, buf)
		if m <= 0 || err != nil {
			break
		}
		answer = append(answer, buf[:m]...)
	}
	if !strings.HasSuffix(string(answer), "=1\n") {
		return fmt.Errorf("request %s: answer %q, want a failure", name, answer)
	}
	return nil
}

// netdevs creates n dummy network devices over rtnetlink, as fast as the
// kernel takes them: each adds itself and its queues, a uevent storm. The
// first makes the kernel ask for "rtnl-link-dummy". Removing the module
// then destroys them all in one batch, a storm of removals (one at a time,
// each would wait for an RCU grace period, seconds under tcg).
func netdevs(n int) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	for i := range n {
		name := fmt.Sprintf("flood%d", i)
		if err := rtnl(fd, unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL, uint32(i+1), name, "dummy"); err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
	}
	return nil
}

// rtnl sends one link request and waits for its acknowledgement.
func rtnl(fd int, typ uint16, flags uint16, seq uint32, name, kind string) error {
	attr := func(typ uint16, data []byte) []byte {
		l := unix.SizeofRtAttr + len(data)
		b := make([]byte, (l+3)&^3)
		*(*unix.RtAttr)(unsafe.Pointer(&b[0])) = unix.RtAttr{Len: uint16(l), Type: typ}
		copy(b[unix.SizeofRtAttr:], data)
		return b
	}
	body := make([]byte, unix.SizeofIfInfomsg)
	body[0] = unix.AF_UNSPEC
	body = append(body, attr(unix.IFLA_IFNAME, append([]byte(name), 0))...)
	if kind != "" {
		body = append(body, attr(unix.IFLA_LINKINFO, attr(unix.IFLA_INFO_KIND, []byte(kind)))...)
	}
	msg := make([]byte, unix.SizeofNlMsghdr, unix.SizeofNlMsghdr+len(body))
	*(*unix.NlMsghdr)(unsafe.Pointer(&msg[0])) = unix.NlMsghdr{
		Len: uint32(unix.SizeofNlMsghdr + len(body)), Type: typ,
		Flags: unix.NLM_F_REQUEST | unix.NLM_F_ACK | flags, Seq: seq}
	msg = append(msg, body...)
	if err := unix.Sendto(fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	buf := make([]byte, 8192)
	for {
		m, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return err
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:m])
		if err != nil {
			return err
		}
		for _, nm := range msgs {
			if nm.Header.Seq != seq || nm.Header.Type != unix.NLMSG_ERROR || len(nm.Data) < 4 {
				continue
			}
			if errno := -int32(binary.NativeEndian.Uint32(nm.Data)); errno != 0 {
				return syscall.Errno(errno)
			}
			return nil
		}
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
