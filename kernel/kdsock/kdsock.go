// Package kdsock is the protocol between kerneld and its clients (kdstat,
// and modprobe when the kernel runs it): one command line per connection
// over a Unix stream socket, answered by lines of text and a last line
// "=CODE", the exit code the client returns. It uses raw system calls,
// not package net, because modprobe links it and every short-lived
// applet would pay net's start-up cost. Both ends are here: Client for
// kdstat and modprobe, Listener and Peer for kerneld, so that no applet
// imports x/sys/unix.
//
// Every process the kernel loads a module for (a mount, a socket, an
// open) waits on modprobe, and modprobe waits on kerneld: so a client
// checks that the listener is root's before it says anything, and gives
// up once its deadline passes, whatever state kerneld is in (stopped,
// deadlocked, its backlog full, an impostor on its path).
package kdsock

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Path is where kerneld listens; only root may connect (mode 0600, and
// kerneld checks SO_PEERCRED).
const Path = "/run/kerneld.sock"

// RequestTimeout is how long modprobe, run by the kernel, waits for
// kerneld before it does the work itself. A module's init that takes
// longer is still loaded correctly: the kernel makes a second load of
// the same module wait for the first and then reports it present.
const RequestTimeout = 2 * time.Second

// TimeoutEnv names the environment variable that overrides
// RequestTimeout, in seconds ("0.5"); the kernel's own helper runs with
// a fixed environment and so always gets the default.
const TimeoutEnv = "KERNELD_TIMEOUT"

var (
	// ErrProtocol is an answer without its final "=CODE" line: kerneld
	// died or closed the connection.
	ErrProtocol = errors.New("kerneld closed the connection")
	// ErrTimeout is a kerneld that did not answer before the deadline.
	ErrTimeout = errors.New("kerneld did not answer in time")
	// ErrNotKerneld is a listener on kerneld's path whose owner is not
	// the one kerneld runs as.
	ErrNotKerneld = errors.New("the listener is not kerneld")
)

// Client is how to reach kerneld.
type Client struct {
	Path string
	// Timeout bounds connecting and the whole answer; zero bounds only
	// connecting, by ConnectTimeout (kdstat watch reads for ever).
	Timeout time.Duration
	// PeerUID is whom the listener must run as: kerneld runs as root.
	PeerUID uint32
}

// ConnectTimeout bounds connecting when a Client has no Timeout: a
// stopped kerneld whose backlog is full would otherwise block connect.
const ConnectTimeout = 5 * time.Second

// ParseTimeout reads a TimeoutEnv value: seconds, possibly fractional.
func ParseTimeout(s string) (time.Duration, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 || f > 3600 {
		return 0, fmt.Errorf("bad %s '%s': want seconds, more than 0 and at most 3600", TimeoutEnv, s)
	}
	return time.Duration(f * float64(time.Second)), nil
}

// conn is a connected socket with an absolute deadline, applied to each
// system call as the time left (SO_SNDTIMEO bounds connect and write,
// SO_RCVTIMEO each read); a blocking descriptor keeps the poller out of
// it.
type conn struct {
	fd       int
	deadline time.Time // zero: none
}

func (c *conn) arm(opt int) error {
	if c.deadline.IsZero() {
		return nil
	}
	left := time.Until(c.deadline)
	if left <= 0 {
		return ErrTimeout
	}
	tv := unix.NsecToTimeval(left.Nanoseconds())
	if tv.Sec == 0 && tv.Usec == 0 {
		tv.Usec = 1 // zero would mean no timeout at all
	}
	return unix.SetsockoptTimeval(c.fd, unix.SOL_SOCKET, opt, &tv)
}

// timedOut turns a timed-out system call's error into ErrTimeout.
func timedOut(err error) error {
	if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINPROGRESS) {
		return ErrTimeout
	}
	return err
}

func (c *conn) Read(p []byte) (int, error) {
	if err := c.arm(unix.SO_RCVTIMEO); err != nil {
		return 0, err
	}
	for {
		n, err := unix.Read(c.fd, p)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return 0, timedOut(err)
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (c *conn) Write(p []byte) (int, error) {
	written := 0
	for written < len(p) {
		if err := c.arm(unix.SO_SNDTIMEO); err != nil {
			return written, err
		}
		n, err := unix.Write(c.fd, p[written:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return written, timedOut(err)
		}
		written += n
	}
	return written, nil
}

func (c *conn) Close() error { return unix.Close(c.fd) }

// dial connects to the listener and checks whose it is.
func (cl Client) dial() (*conn, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	c := &conn{fd: fd}
	if cl.Timeout > 0 {
		c.deadline = time.Now().Add(cl.Timeout)
	} else {
		c.deadline = time.Now().Add(ConnectTimeout)
	}
	if err := c.arm(unix.SO_SNDTIMEO); err != nil {
		c.Close()
		return nil, err
	}
	for {
		err = unix.Connect(fd, &unix.SockaddrUnix{Name: cl.Path})
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		c.Close()
		return nil, timedOut(err)
	}
	// SO_PEERCRED is who called listen(): the kernel's word, which no
	// impostor on the path can forge.
	cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		c.Close()
		return nil, err
	}
	if cred.Uid != cl.PeerUID {
		c.Close()
		return nil, fmt.Errorf("%w: it runs as uid %d", ErrNotKerneld, cred.Uid)
	}
	if cl.Timeout <= 0 {
		c.deadline = time.Time{}
		unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &unix.Timeval{})
	}
	return c, nil
}

// Alive reports whether a kerneld answers connections at path.
func Alive(path string) bool {
	c, err := Client{Path: path, Timeout: ConnectTimeout}.dial()
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// Call sends cmd and copies the answer's lines to w, returning the code
// of its last line. Each line is flushed at once, which is what makes
// "watch" live.
func (cl Client) Call(cmd string, w io.Writer) (int, error) {
	c, err := cl.dial()
	if err != nil {
		return 1, err
	}
	defer c.Close()
	// A write that fails because kerneld already answered and closed
	// (a refusal) is no reason not to read that answer.
	if _, err := io.WriteString(c, cmd+"\n"); err != nil && !errors.Is(err, unix.EPIPE) && !errors.Is(err, unix.ECONNRESET) {
		return 1, err
	}
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if strings.HasPrefix(line, "=") && strings.HasSuffix(line, "\n") {
			code, cerr := strconv.Atoi(strings.TrimSpace(line[1:]))
			if cerr != nil {
				return 1, ErrProtocol
			}
			return code, nil
		}
		if line != "" && w != nil {
			io.WriteString(w, line)
		}
		if errors.Is(err, ErrTimeout) {
			return 1, err
		}
		if err != nil {
			return 1, ErrProtocol
		}
	}
}

// Request asks kerneld to load what name stands for, as the kernel asks
// "modprobe -q -- NAME". ok is false when kerneld is not there to ask
// (no socket, refused, died, too slow, not root's): the caller then does
// the work itself.
func (cl Client) Request(name string) (code int, ok bool) {
	if strings.ContainsAny(name, "\n\x00 ") {
		return 0, false
	}
	code, err := cl.Call("request "+name, nil)
	if err != nil {
		return 0, false
	}
	return code, true
}

// ForRequests is the Client modprobe uses for the kernel's requests: root's
// kerneld at path, within RequestTimeout or what getenv(TimeoutEnv) says
// (a bad value is ignored: the kernel's helper must never fail for it).
func ForRequests(path string, getenv func(string) string) Client {
	cl := Client{Path: path, Timeout: RequestTimeout}
	if d, err := ParseTimeout(getenv(TimeoutEnv)); err == nil {
		cl.Timeout = d
	}
	return cl
}
