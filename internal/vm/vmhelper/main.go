// Command vmhelper is shipped in the VM's image for scenarios that need
// what busybox lacks:
//
//	vmhelper uevent 'add@/devices/x|ACTION=add|...'   send a forged uevent ("|" is NUL)
//	vmhelper asuser UID CMD ARGS...                   run CMD as UID
//	vmhelper nocap CAP CMD ARGS...                    run CMD without capability CAP (a number)
//	vmhelper algflood N PREFIX                        bind N AF_ALG sockets to hashes PREFIX0..: each
//	                                                  makes the kernel ask for crypto-PREFIXi (any user can)
//	vmhelper kdflood N PREFIX SOCKET                  ask kerneld at SOCKET for PREFIX0.. directly, N times
//	vmhelper netdevs N                                create and destroy N dummy network devices (rtnetlink)
//
// It is a test tool, never part of modutils.
package main

import (
	"encoding/binary"
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
		fmt.Fprintln(os.Stderr, "usage: vmhelper uevent MSG | asuser UID CMD... | nocap CAP CMD... | algflood N PREFIX | kdflood N PREFIX SOCKET | netdevs N")
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
// kerneld's tables at a rate a VM can reach.
func kdflood(n int, prefix, socket string) error {
	buf := make([]byte, 4096)
	for i := range n {
		fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
		if err != nil {
			return err
		}
		if err := unix.Connect(fd, &unix.SockaddrUnix{Name: socket}); err != nil {
			unix.Close(fd)
			return fmt.Errorf("request %d: %w", i, err)
		}
		if _, err := unix.Write(fd, []byte(fmt.Sprintf("request %s%d\n", prefix, i))); err != nil {
			unix.Close(fd)
			return err
		}
		answer := ""
		for {
			m, err := unix.Read(fd, buf)
			if m <= 0 || err != nil {
				break
			}
			answer += string(buf[:m])
		}
		unix.Close(fd)
		if !strings.HasSuffix(answer, "=1\n") {
			return fmt.Errorf("request %s%d: answer %q, want a failure", prefix, i, answer)
		}
	}
	return nil
}

// netdevs creates and destroys n dummy network devices over rtnetlink,
// as fast as the kernel takes them: a uevent storm (each device adds and
// removes itself and its queues). The first creation makes the kernel
// ask for "rtnl-link-dummy".
func netdevs(n int) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	seq := uint32(0)
	for i := range n {
		name := fmt.Sprintf("flood%d", i)
		seq++
		if err := rtnl(fd, unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL, seq, name, "dummy"); err != nil {
			return fmt.Errorf("create %s: %w", name, err)
		}
		seq++
		if err := rtnl(fd, unix.RTM_DELLINK, 0, seq, name, ""); err != nil {
			return fmt.Errorf("destroy %s: %w", name, err)
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
