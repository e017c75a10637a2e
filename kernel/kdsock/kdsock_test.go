package kdsock

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// listen makes a listening socket at a fresh path with the given backlog.
func listen(t *testing.T, backlog int) (path string, fd int) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "k.sock")
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return path, fd
}

// serveOne accepts one connection and hands it to fn, in the background;
// the returned channel closes when fn is done.
func serveOne(t *testing.T, lfd int, fn func(f *os.File)) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		nfd, _, err := unix.Accept4(lfd, unix.SOCK_CLOEXEC)
		if err != nil {
			return
		}
		f := os.NewFile(uintptr(nfd), "peer")
		defer f.Close()
		fn(f)
	}()
	return done
}

// readCommand reads the client's command line, as kerneld does first.
func readCommand(f *os.File) {
	buf := make([]byte, 1)
	for {
		if n, err := f.Read(buf); err != nil || n == 1 && buf[0] == '\n' {
			return
		}
	}
}

// TestHostileListeners: whatever sits on kerneld's path, a client gives
// up with the right error, and never waits past its deadline for it.
// The outcomes do not depend on the machine's speed: each listener
// either never answers or answers only after the client has gone.
func TestHostileListeners(t *testing.T) {
	t.Parallel()
	const timeout = 200 * time.Millisecond
	tests := []struct {
		name     string
		peerUID  uint32
		setup    func(t *testing.T) string
		wantCode int
		wantErr  error // nil: an answer
	}{
		{
			name: "answers",
			setup: func(t *testing.T) string {
				path, lfd := listen(t, 4)
				serveOne(t, lfd, func(f *os.File) { readCommand(f); f.WriteString("loading\n=3\n") })
				return path
			},
			wantCode: 3,
		},
		{
			name: "stopped: never accepts",
			setup: func(t *testing.T) string {
				path, _ := listen(t, 4)
				return path
			},
			wantErr: ErrTimeout,
		},
		{
			name: "stopped with a full backlog: connect itself would block",
			setup: func(t *testing.T) string {
				path, _ := listen(t, 0)
				// Fill the queue: with backlog 0 the kernel queues one
				// connection; a non-blocking connect says when it is full.
				for i := 0; i < 16; i++ {
					fd, _ := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
					t.Cleanup(func() { unix.Close(fd) })
					if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); errors.Is(err, unix.EAGAIN) {
						return path
					}
				}
				t.Fatal("the backlog never filled")
				return ""
			},
			wantErr: ErrTimeout,
		},
		{
			name: "deadlocked: reads the command, never answers",
			setup: func(t *testing.T) string {
				path, lfd := listen(t, 4)
				release := make(chan struct{})
				t.Cleanup(func() { close(release) })
				serveOne(t, lfd, func(f *os.File) { readCommand(f); <-release })
				return path
			},
			wantErr: ErrTimeout,
		},
		{
			name: "trickles bytes without ever ending the answer",
			setup: func(t *testing.T) string {
				path, lfd := listen(t, 4)
				serveOne(t, lfd, func(f *os.File) {
					readCommand(f)
					// Each byte would restart a per-read timeout; only
					// an absolute deadline ends this. The client going
					// away ends the loop (EPIPE).
					for {
						if _, err := f.WriteString("x"); err != nil {
							return
						}
						time.Sleep(time.Millisecond)
					}
				})
				return path
			},
			wantErr: ErrTimeout,
		},
		{
			name: "closes without a code",
			setup: func(t *testing.T) string {
				path, lfd := listen(t, 4)
				serveOne(t, lfd, func(f *os.File) { readCommand(f); f.WriteString("half an answer") })
				return path
			},
			wantErr: ErrProtocol,
		},
		{
			name:    "impostor: the listener is not the uid kerneld runs as",
			peerUID: 4242,
			setup: func(t *testing.T) string {
				path, _ := listen(t, 4)
				return path
			},
			wantErr: ErrNotKerneld,
		},
		{
			name:    "no listener",
			setup:   func(t *testing.T) string { return filepath.Join(t.TempDir(), "none.sock") },
			wantErr: unix.ENOENT,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.setup(t)
			peer := tc.peerUID
			if peer == 0 {
				peer = uint32(os.Getuid())
			}
			cl := Client{Path: path, Timeout: timeout, PeerUID: peer}
			code, err := cl.Call("request fs-minix", nil)
			if tc.wantErr == nil {
				if err != nil || code != tc.wantCode {
					t.Errorf("Call = %d, %v; want %d, nil", code, err, tc.wantCode)
				}
			} else if !errors.Is(err, tc.wantErr) {
				t.Errorf("Call = %d, %v; want %v", code, err, tc.wantErr)
			}
			// modprobe's question: may it go on without kerneld?
			if _, ok := cl.Request("fs-minix"); ok && tc.wantErr != nil {
				t.Errorf("Request reported kerneld's answer from a listener that fails with %v", tc.wantErr)
			}
		})
	}
}

func TestForRequests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env  string
		want time.Duration
	}{
		{"", RequestTimeout},
		{"0.25", 250 * time.Millisecond},
		{"10", 10 * time.Second},
		{"0", RequestTimeout},
		{"-1", RequestTimeout},
		{"soon", RequestTimeout},
		{"1e9", RequestTimeout},
	}
	for _, tc := range tests {
		got := ForRequests("/x", func(k string) string {
			if k != TimeoutEnv {
				t.Errorf("getenv(%q)", k)
			}
			return tc.env
		})
		if got.Timeout != tc.want || got.Path != "/x" || got.PeerUID != 0 {
			t.Errorf("%s=%q: got %+v, want timeout %v for root at /x", TimeoutEnv, tc.env, got, tc.want)
		}
	}
}

// TestRequestRefusesOddNames: a name that would break the one-line
// protocol is never sent; modprobe does that work itself.
func TestRequestRefusesOddNames(t *testing.T) {
	t.Parallel()
	path, _ := listen(t, 4)
	cl := Client{Path: path, Timeout: time.Minute, PeerUID: uint32(os.Getuid())}
	for _, name := range []string{"a b", "a\nstatus", "a\x00"} {
		if _, ok := cl.Request(name); ok {
			t.Errorf("Request(%q) was sent", name)
		}
	}
}
