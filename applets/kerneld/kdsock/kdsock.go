// Package kdsock is the protocol between kerneld and its clients (kdstat,
// and modprobe when the kernel runs it): one command line per connection
// over a Unix stream socket, answered by lines of text and a last line
// "=CODE", the exit code the client returns. It uses raw system calls,
// not package net, because modprobe links it and every short-lived
// applet would pay net's start-up cost.
package kdsock

import (
	"bufio"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Path is where kerneld listens; only root may connect (mode 0600, and
// kerneld checks SO_PEERCRED).
const Path = "/run/kerneld.sock"

// Dial connects to the socket at path.
func Dial(path string) (*os.File, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), path), nil
}

// ErrProtocol is an answer without its final "=CODE" line: kerneld died
// or closed the connection.
var ErrProtocol = errors.New("kerneld closed the connection")

// Call sends cmd and copies the answer's lines to w, returning the code
// of its last line. Each line is flushed at once, which is what makes
// "watch" live.
func Call(path, cmd string, w io.Writer) (int, error) {
	f, err := Dial(path)
	if err != nil {
		return 1, err
	}
	defer f.Close()
	// A write that fails because kerneld already answered and closed
	// (a refusal) is no reason not to read that answer.
	if _, err := io.WriteString(f, cmd+"\n"); err != nil && !errors.Is(err, unix.EPIPE) && !errors.Is(err, unix.ECONNRESET) {
		return 1, err
	}
	br := bufio.NewReader(f)
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
		if err != nil {
			return 1, ErrProtocol
		}
	}
}

// Request asks kerneld to load what name stands for, as the kernel asks
// "modprobe -q -- NAME". ok is false when kerneld is not there to ask
// (no socket, refused, died): the caller then does the work itself.
func Request(path, name string) (code int, ok bool) {
	if strings.ContainsAny(name, "\n\x00 ") {
		return 0, false
	}
	code, err := Call(path, "request "+name, nil)
	if err != nil {
		return 0, false
	}
	return code, true
}
