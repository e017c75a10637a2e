package kernel

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseUevent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     Uevent
		bad      bool
	}{
		{name: "pci add", in: "add@/devices/p/0000:00:03.0\x00ACTION=add\x00DEVPATH=/devices/p/0000:00:03.0\x00SUBSYSTEM=pci\x00MODALIAS=pci:v00008086d0000100E\x00SEQNUM=42\x00",
			want: Uevent{Action: "add", Devpath: "/devices/p/0000:00:03.0", Subsystem: "pci", Modalias: "pci:v00008086d0000100E", Seqnum: 42}},
		{name: "no trailing NUL, no modalias", in: "remove@/devices/virtual/net/d0\x00SUBSYSTEM=net",
			want: Uevent{Action: "remove", Devpath: "/devices/virtual/net/d0", Subsystem: "net"}},
		{name: "value with =", in: "change@/x\x00A=b=c\x00", want: Uevent{Action: "change", Devpath: "/x"}},
		{name: "empty", in: "", bad: true},
		{name: "no @", in: "add/devices/x\x00", bad: true},
		{name: "relative devpath", in: "add@devices\x00", bad: true},
		{name: "empty action", in: "@/devices\x00", bad: true},
		{name: "libudev", in: "libudev\x00\xfe\xed\xca\xfe", bad: true},
		{name: "field without =", in: "add@/x\x00JUNK\x00", bad: true},
		{name: "header disagrees", in: "add@/x\x00ACTION=remove\x00", bad: true},
		{name: "devpath disagrees", in: "add@/x\x00DEVPATH=/y\x00", bad: true},
		{name: "bad seqnum", in: "add@/x\x00SEQNUM=-1\x00", bad: true},
	}
	for _, tc := range tests {
		got, err := ParseUevent([]byte(tc.in))
		if tc.bad {
			if !errors.Is(err, ErrBadUevent) {
				t.Errorf("%s: err %v, want ErrBadUevent", tc.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		got.Env = nil
		if got.Action != tc.want.Action || got.Devpath != tc.want.Devpath || got.Subsystem != tc.want.Subsystem || got.Modalias != tc.want.Modalias || got.Seqnum != tc.want.Seqnum {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func FuzzUevent(f *testing.F) {
	files, _ := filepath.Glob("testdata/uevent/*")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := ParseUevent(b)
		if err != nil {
			return
		}
		// What parses must be self-consistent.
		if u.Action == "" || u.Devpath == "" || u.Devpath[0] != '/' {
			t.Fatalf("accepted %q as %+v", b, u)
		}
		if u.Modalias != u.Env["MODALIAS"] || u.Subsystem != u.Env["SUBSYSTEM"] {
			t.Fatalf("keys disagree with Env: %+v", u)
		}
	})
}

// TestCheckUeventSender passes real SCM_CREDENTIALS through a socketpair,
// and forged ones built by hand.
func TestCheckUeventSender(t *testing.T) {
	t.Parallel()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	if err := unix.SetsockoptInt(fds[1], unix.SOL_SOCKET, unix.SO_PASSCRED, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := unix.Write(fds[0], []byte("add@/x\x00")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	oob := make([]byte, unix.CmsgSpace(unix.SizeofUcred))
	_, oobn, _, _, err := unix.Recvmsg(fds[1], buf, oob, 0)
	if err != nil {
		t.Fatal(err)
	}
	real := oob[:oobn]
	err = CheckUeventSender(0, real)
	if os.Getuid() == 0 && err != nil {
		t.Errorf("root's credentials refused: %v", err)
	}
	if os.Getuid() != 0 && !errors.Is(err, ErrNotKernel) {
		t.Errorf("uid %d's credentials accepted", os.Getuid())
	}
	if err := CheckUeventSender(1234, real); !errors.Is(err, ErrNotKernel) {
		t.Errorf("port 1234 accepted: %v", err)
	}
	if err := CheckUeventSender(0, nil); !errors.Is(err, ErrNotKernel) {
		t.Errorf("no credentials accepted: %v", err)
	}
	user := unix.UnixCredentials(&unix.Ucred{Pid: 1, Uid: 1000, Gid: 1000})
	if err := CheckUeventSender(0, user); !errors.Is(err, ErrNotKernel) {
		t.Errorf("uid 1000 accepted: %v", err)
	}
	root := unix.UnixCredentials(&unix.Ucred{Pid: 1})
	if err := CheckUeventSender(0, root); err != nil {
		t.Errorf("kernel's credentials refused: %v", err)
	}
}
