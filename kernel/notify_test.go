package kernel

import (
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestNotify: the datagram a service manager receives, on a socket path
// and in the abstract namespace; no socket is no error.
func TestNotify(t *testing.T) {
	t.Parallel()
	for _, name := range []string{filepath.Join(t.TempDir(), "notify"), "@modutils-notify-test"} {
		fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		addr := name
		if addr[0] == '@' {
			addr = "\x00" + addr[1:]
		}
		if err := unix.Bind(fd, &unix.SockaddrUnix{Name: addr}); err != nil {
			t.Fatal(err)
		}
		if err := Notify(name, "READY=1\nSTATUS=settled"); err != nil {
			t.Fatalf("Notify(%q): %v", name, err)
		}
		buf := make([]byte, 256)
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil || string(buf[:n]) != "READY=1\nSTATUS=settled" {
			t.Errorf("%s received %q, %v", name, buf[:n], err)
		}
	}
	if err := Notify("", "READY=1"); err != nil {
		t.Errorf("no NOTIFY_SOCKET: %v", err)
	}
	if err := Notify("relative", "READY=1"); err == nil {
		t.Errorf("a relative NOTIFY_SOCKET was used")
	}
}
