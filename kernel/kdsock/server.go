package kdsock

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Listener is kerneld's end of the socket.
type Listener struct {
	fd   int
	path string
}

// Listen creates kerneld's socket at path, mode 0600. A socket already
// answering there is another kerneld, an error; a dead one is replaced.
func Listen(path string) (*Listener, error) {
	if Alive(path) {
		return nil, fmt.Errorf("%s: kerneld is already running", path)
	}
	os.Remove(path)
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	// The umask makes the socket 0600 from its creation: a chmod after
	// bind would leave a moment in which anyone could connect.
	old := unix.Umask(0o177)
	err = unix.Bind(fd, &unix.SockaddrUnix{Name: path})
	unix.Umask(old)
	if err == nil {
		err = unix.Listen(fd, 64)
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &Listener{fd: fd, path: path}, nil
}

// Close stops accepting (an Accept under way returns) and removes the
// socket's file.
func (l *Listener) Close() error {
	unix.Shutdown(l.fd, unix.SHUT_RDWR)
	err := unix.Close(l.fd)
	os.Remove(l.path)
	return err
}

// Accept waits for the next client; its reads and writes each give up
// after timeout. An error means the listener was closed.
func (l *Listener) Accept(timeout time.Duration) (*Peer, error) {
	for {
		nfd, _, err := unix.Accept4(l.fd, unix.SOCK_CLOEXEC)
		if err != nil {
			if errors.Is(err, unix.EINTR) || errors.Is(err, unix.ECONNABORTED) {
				continue
			}
			return nil, err
		}
		tv := unix.NsecToTimeval(timeout.Nanoseconds())
		unix.SetsockoptTimeval(nfd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
		unix.SetsockoptTimeval(nfd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv)
		return &Peer{File: os.NewFile(uintptr(nfd), "kerneld-client"), fd: nfd}, nil
	}
}

// Peer is one client's connection.
type Peer struct {
	*os.File
	fd int
}

// UID is the kernel's word (SO_PEERCRED) for whom the client runs as, so
// that a descriptor passed to another process does not carry root's
// rights with it.
func (p *Peer) UID() (uint32, error) {
	cred, err := unix.GetsockoptUcred(p.fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return 0, err
	}
	return cred.Uid, nil
}

// NotRunning reports whether err, from Client.Call, means nothing listens
// at the path (no socket, or a dead one).
func NotRunning(err error) bool {
	return errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED)
}

// Denied reports whether err, from Client.Call, means the caller may not
// talk to kerneld.
func Denied(err error) bool {
	return errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM)
}
