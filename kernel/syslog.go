package kernel

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Syslog writes messages to the system log through /dev/log, as
// syslog(3) does, with facility daemon and the given tag. It is a few
// lines over a datagram socket: log/syslog would bring in package net,
// whose start-up cost every short-lived applet would pay.
type Syslog struct {
	fd  int
	tag string
}

// OpenSyslog connects to /dev/log; without a syslog daemon it returns nil,
// and messages are dropped, as syslog(3) drops them.
func OpenSyslog(tag string) *Syslog {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: "/dev/log"}); err != nil {
		unix.Close(fd)
		return nil
	}
	return &Syslog{fd: fd, tag: tag}
}

const facilityDaemon = 3 << 3

// Write logs msg at severity (a syslog priority, 0-7).
func (s *Syslog) Write(severity int, msg string) {
	if s == nil {
		return
	}
	line := fmt.Sprintf("<%d>%s %s[%d]: %s", facilityDaemon|severity&7, time.Now().Format(time.Stamp), s.tag, os.Getpid(), msg)
	unix.Write(s.fd, []byte(line))
}
