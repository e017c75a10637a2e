package kernel

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// UeventListener receives the kernel's uevents from a
// NETLINK_KOBJECT_UEVENT socket bound to the kernel's multicast group.
type UeventListener struct {
	fd int
	// Rejected counts messages dropped because they did not come from
	// the kernel.
	Rejected int
}

// ErrOverflow is ENOBUFS: the socket's buffer overflowed and events were
// lost, so the caller must rescan /sys to learn what it missed.
var ErrOverflow = errors.New("uevent socket overflowed (ENOBUFS): events lost")

// ErrNotKernel is a message that did not come from the kernel.
var ErrNotKernel = errors.New("uevent not sent by the kernel")

// errTimeout is the receive timeout expiring; Receive's caller polls so
// that it can stop.
var errTimeout = errors.New("timeout")

// IsTimeout reports whether err is Receive's poll timeout.
func IsTimeout(err error) bool { return errors.Is(err, errTimeout) }

const ueventGroupKernel = 1 // group 2 is udev's re-broadcast

// ListenUevents opens and binds the socket. Its receive buffer is made
// large (as udev's 128 MiB) because a coldplug or a hotplugged dock can
// send thousands of events at once; a 1 s receive timeout lets Receive's
// caller check whether it should stop.
func ListenUevents() (*UeventListener, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_KOBJECT_UEVENT)
	if err != nil {
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	// SO_RCVBUFFORCE ignores rmem_max but needs CAP_NET_ADMIN; fall
	// back to what rmem_max allows.
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 128<<20) != nil {
		unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 128<<20)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PASSCRED, 1); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("SO_PASSCRED: %w", err)
	}
	tv := unix.Timeval{Sec: 1}
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: ueventGroupKernel}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlink bind: %w", err)
	}
	return &UeventListener{fd: fd}, nil
}

// Close closes the socket.
func (l *UeventListener) Close() error { return unix.Close(l.fd) }

// Receive waits for the next kernel uevent. It returns ErrOverflow when
// events were lost, an error for which IsTimeout is true after a second
// without one, and skips (counting them) messages that are not the
// kernel's.
func (l *UeventListener) Receive() (Uevent, error) {
	buf := make([]byte, maxUevent)
	oob := make([]byte, unix.CmsgSpace(unix.SizeofUcred))
	for {
		n, oobn, flags, from, err := unix.Recvmsg(l.fd, buf, oob, 0)
		switch {
		case errors.Is(err, unix.ENOBUFS):
			return Uevent{}, ErrOverflow
		case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EINTR):
			return Uevent{}, errTimeout
		case err != nil:
			return Uevent{}, os.NewSyscallError("recvmsg", err)
		}
		var pid uint32 = ^uint32(0)
		if sa, ok := from.(*unix.SockaddrNetlink); ok {
			pid = sa.Pid
		}
		if flags&(unix.MSG_TRUNC|unix.MSG_CTRUNC) != 0 || CheckUeventSender(pid, oob[:oobn]) != nil {
			l.Rejected++
			continue
		}
		u, err := ParseUevent(buf[:n])
		if err != nil {
			l.Rejected++
			continue
		}
		return u, nil
	}
}

// CheckUeventSender accepts a message only from the kernel: netlink port
// 0, and credentials (SCM_CREDENTIALS, which the kernel fills in and
// user space cannot forge past its own) saying uid 0. udev trusted any
// sender until CVE-2009-1185, which let any user have it load modules
// and create device nodes.
func CheckUeventSender(nlPid uint32, oob []byte) error {
	if nlPid != 0 {
		return fmt.Errorf("%w: netlink port %d", ErrNotKernel, nlPid)
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotKernel, err)
	}
	for _, m := range msgs {
		cred, err := unix.ParseUnixCredentials(&m)
		if err != nil {
			continue
		}
		if cred.Uid != 0 {
			return fmt.Errorf("%w: uid %d", ErrNotKernel, cred.Uid)
		}
		return nil
	}
	return fmt.Errorf("%w: no credentials", ErrNotKernel)
}
