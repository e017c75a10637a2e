package kernel

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Notify sends state to the service manager over socket, systemd's
// NOTIFY_SOCKET protocol (sd_notify(3)): one datagram of "KEY=VALUE"
// lines to a Unix socket, "@" naming one in the abstract namespace. An
// empty socket is no service manager, and no error.
func Notify(socket, state string) error {
	if socket == "" {
		return nil
	}
	if !strings.HasPrefix(socket, "/") && !strings.HasPrefix(socket, "@") {
		return fmt.Errorf("NOTIFY_SOCKET=%s: not a socket path", socket)
	}
	name := socket
	if name[0] == '@' {
		name = "\x00" + name[1:]
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Sendto(fd, []byte(state), 0, &unix.SockaddrUnix{Name: name}); err != nil {
		return fmt.Errorf("notify %s: %w", socket, err)
	}
	return nil
}

// MonotonicUsec is CLOCK_MONOTONIC in microseconds, which systemd wants
// with RELOADING=1 (MONOTONIC_USEC=) to tell one reload from the next.
func MonotonicUsec() uint64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return uint64(ts.Sec)*1e6 + uint64(ts.Nsec)/1e3
}

// UeventSeqnum is the number of the kernel's latest uevent, from
// /sys/kernel/uevent_seqnum: what "settled" is measured against.
func (s Sys) UeventSeqnum() (uint64, error) {
	b, err := os.ReadFile(s.Root + "/sys/kernel/uevent_seqnum")
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, errors.New("/sys/kernel/uevent_seqnum: not a number")
	}
	return n, nil
}
