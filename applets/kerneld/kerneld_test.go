package kerneld

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/applets/kdstat"
	"github.com/modutils/modutils/kernel/kdsock"
)

func TestSweep(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	const delay = 60 * time.Second
	idle := func(n string) ModState { return ModState{Name: n, Loaded: true} }
	tests := []struct {
		name   string
		states []ModState
		since  map[string]time.Time
		now    time.Time
		remove []string
		next   []string
	}{
		{"first idle sweep only marks", []ModState{idle("a")}, nil, t0, nil, []string{"a"}},
		{"idle twice, delay apart", []ModState{idle("a")}, map[string]time.Time{"a": t0}, t0.Add(delay), []string{"a"}, nil},
		{"idle twice, too soon", []ModState{idle("a")}, map[string]time.Time{"a": t0}, t0.Add(delay - time.Second), nil, []string{"a"}},
		{"in use", []ModState{{Name: "a", Loaded: true, Refcnt: 1}}, map[string]time.Time{"a": t0}, t0.Add(2 * delay), nil, nil},
		{"has a holder", []ModState{{Name: "a", Loaded: true, Holders: 1}}, map[string]time.Time{"a": t0}, t0.Add(2 * delay), nil, nil},
		{"drives a device", []ModState{{Name: "e1000", Loaded: true, Devices: 1}}, map[string]time.Time{"e1000": t0}, t0.Add(2 * delay), nil, nil},
		{"gone", []ModState{{Name: "a"}}, map[string]time.Time{"a": t0}, t0.Add(2 * delay), nil, nil},
		{"mixed", []ModState{idle("b"), idle("a"), {Name: "c", Loaded: true, Refcnt: 2}, idle("d")},
			map[string]time.Time{"a": t0, "b": t0, "c": t0}, t0.Add(delay), []string{"a", "b"}, []string{"d"}},
	}
	for _, tc := range tests {
		remove, next := Sweep(tc.states, tc.since, tc.now, delay)
		var nextNames []string
		for n := range next {
			nextNames = append(nextNames, n)
		}
		slices.Sort(nextNames)
		if !slices.Equal(remove, tc.remove) || !slices.Equal(nextNames, tc.next) {
			t.Errorf("%s: remove %v next %v, want %v %v", tc.name, remove, nextNames, tc.remove, tc.next)
		}
	}
}

func TestBoundDevices(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	drv := filepath.Join(root, "sys/bus/pci/drivers/e1000")
	os.MkdirAll(drv, 0o755)
	os.MkdirAll(filepath.Join(root, "sys/module/e1000/drivers"), 0o755)
	os.Symlink(drv, filepath.Join(root, "sys/module/e1000/drivers/pci:e1000"))
	os.Symlink("../../../../module/e1000", filepath.Join(drv, "module"))
	os.WriteFile(filepath.Join(drv, "bind"), nil, 0o644)
	if n := boundDevices(root, "e1000"); n != 0 {
		t.Errorf("no device: %d", n)
	}
	os.Symlink("../../../../devices/pci0000:00/0000:00:03.0", filepath.Join(drv, "0000:00:03.0"))
	if n := boundDevices(root, "e1000"); n != 1 {
		t.Errorf("one device: %d", n)
	}
}

func TestParseArgs(t *testing.T) {
	t.Parallel()
	o, err := parseArgs([]string{"debug", "keep", "delay=5"})
	if err != nil || !o.Debug || !o.Keep || o.Delay != 5*time.Second || o.Foreground {
		t.Errorf("seed words: %+v %v", o, err)
	}
	o, err = parseArgs([]string{"--foreground", "--debug", "--delay", "7"})
	if err != nil || !o.Debug || o.Keep || o.Delay != 7*time.Second || !o.Foreground {
		t.Errorf("long options: %+v %v", o, err)
	}
	if o, _ := parseArgs(nil); o.Delay != 60*time.Second || o.Keep {
		t.Errorf("defaults: %+v", o)
	}
	for _, bad := range [][]string{{"delay=x"}, {"delay=0"}, {"foreground"}, {"--what"}} {
		if _, err := parseArgs(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// serveTemp runs a daemon's socket in a temporary directory.
func serveTemp(t *testing.T, d *daemon) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "k.sock")
	l, err := kdsock.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { d.serve(l); close(done) }()
	t.Cleanup(func() {
		l.Close()
		<-done
	})
	return path
}

func TestProtocol(t *testing.T) {
	t.Parallel()
	d := newDaemon(Options{Delay: time.Minute})
	d.allowedUID.Store(uint32(os.Getuid()))
	var calls atomic.Int32
	release := make(chan struct{})
	d.load = func(name string, blacklist bool) error {
		calls.Add(1)
		if blacklist {
			t.Errorf("a kernel request applies the blacklist")
		}
		if name == "nosuch" {
			return syscall.ENOENT
		}
		<-release
		d.mu.Lock()
		d.loaded[name] = time.Now()
		d.mu.Unlock()
		return nil
	}
	path := serveTemp(t, d)
	if _, err := kdsock.Listen(path); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second kerneld: %v", err)
	}
	env := func(stdout, stderr io.Writer) *applet.Env {
		return &applet.Env{Argv0: "kdstat", Stdout: stdout, Stderr: stderr, KerneldSocket: path, KerneldUID: uint32(os.Getuid())}
	}
	capture := func(args ...string) (int, string, string) {
		var out, errOut strings.Builder
		code := kdstat.Run(env(&out, &errOut), args)
		return code, out.String(), errOut.String()
	}

	// A watcher sees what follows.
	wr, ww, _ := os.Pipe()
	go kdstat.Run(env(ww, ww), []string{"watch"})
	buf := make([]byte, 100)
	if n, _ := wr.Read(buf); !strings.Contains(string(buf[:n]), "watching") {
		t.Fatalf("watch: %q", buf[:n])
	}

	// Identical requests in flight merge into one load.
	var wg sync.WaitGroup
	codes := make([]int, 3)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, ok := kdsock.Client{Path: path, Timeout: time.Minute}.Request("fs-minix")
			if !ok {
				code = -1
			}
			codes[i] = code
		}()
	}
	for {
		d.mu.Lock()
		n := d.requests
		d.mu.Unlock()
		if n == 3 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	wg.Wait()
	if calls.Load() != 1 || !slices.Equal(codes, []int{0, 0, 0}) {
		t.Errorf("merged requests: %d loads, codes %v", calls.Load(), codes)
	}
	client := kdsock.Client{Path: path, Timeout: time.Minute}
	if code, ok := client.Request("nosuch"); !ok || code != 1 {
		t.Errorf("failing request: %d %v", code, ok)
	}
	if _, ok := (kdsock.Client{Path: filepath.Join(t.TempDir(), "none"), Timeout: time.Minute}).Request("x"); ok {
		t.Errorf("request without kerneld succeeded")
	}

	for _, c := range []string{"debug", "keep", "delay=5"} {
		if code, out, errOut := capture(c); code != 0 {
			t.Errorf("kdstat %s: %d %q %q", c, code, out, errOut)
		}
	}
	code, out, _ := capture()
	for _, want := range []string{"pid: ", "uptime: ", "autoclean: off, delay 5 s, keep on", "debug: on", "requests: 4",
		"loaded: 1: fs-minix", "failed: 1: nosuch (No such file or directory)", "removed: 0", "queue: 0"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("kdstat: %d, no %q in\n%s", code, want, out)
		}
	}
	if code, _, errOut := capture("delay=0"); code != 1 {
		t.Errorf("delay=0: %d %q", code, errOut)
	}
	n, _ := wr.Read(buf)
	if !strings.Contains(string(buf[:n]), "request fs-minix") {
		t.Errorf("watch saw %q", buf[:n])
	}

	// Someone not allowed is refused by SO_PEERCRED.
	d.allowedUID.Store(12345)
	if code, out, _ := capture(); code != 1 || !strings.Contains(out, "permission denied") {
		t.Errorf("other uid: %d %q", code, out)
	}
	d.closeWatchers()
}

func TestKdstatWithoutKerneld(t *testing.T) {
	t.Parallel()
	var out, errb strings.Builder
	code := kdstat.Run(&applet.Env{Argv0: "kdstat", Stdout: &out, Stderr: &errb, KerneldSocket: filepath.Join(t.TempDir(), "none.sock")}, nil)
	errOut := errb.String()
	if code != 1 || !strings.Contains(errOut, "kerneld is not running") {
		t.Errorf("%d %q", code, errOut)
	}
}

func TestColdplug(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	write := func(p, s string) {
		p = filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(s), 0o644)
	}
	write("sys/bus/pci/devices/0000:00:03.0/modalias", "pci:v00008086d0000100E\n")
	write("sys/bus/pci/devices/0000:00:04.0/modalias", "pci:v00008086d0000100E\n") // a second NIC alike
	// A CPU has no modalias file, only its uevent's.
	write("sys/devices/system/cpu/cpu0/uevent", "DRIVER=processor\nMODALIAS=cpu:type:x86\n")
	os.MkdirAll(filepath.Join(root, "sys/bus/cpu/devices"), 0o755)
	os.Symlink("../../../devices/system/cpu/cpu0", filepath.Join(root, "sys/bus/cpu/devices/cpu0"))
	write("sys/bus/pci/devices/0000:00:00.0/modalias", "")
	write("sys/devices/pci0000:00/0000:00:03.0/uevent", "MODALIAS=pci:v00008086d0000100E\n")
	write("sys/devices/platform/i8042/serio1/input/input4/uevent", "PRODUCT=11/2/6/0\nMODALIAS=input:b0011v0002p0006e0000-e0,1,2\n")
	os.MkdirAll(filepath.Join(root, "sys/class/input"), 0o755)
	os.Symlink("../../devices/platform/i8042/serio1/input/input4", filepath.Join(root, "sys/class/input/input4"))
	// On no bus and in no class: udevadm trigger does not see it either.
	write("sys/devices/virtual/misc/orphan/uevent", "MODALIAS=platform:orphan\n")
	want := []string{"cpu:type:x86", "input:b0011v0002p0006e0000-e0,1,2", "pci:v00008086d0000100E"}
	var got []string
	n := scanModaliases(root, func(a string) { got = append(got, a) })
	if len(got) > 0 && !strings.HasPrefix(got[0], "pci:") {
		t.Errorf("scanModaliases found %q first, want PCI's devices first", got[0])
	}
	slices.Sort(got)
	if !slices.Equal(got, want) || n != len(want) {
		t.Errorf("scanModaliases found %q (%d), want each of %q once", got, n, want)
	}
	d := newDaemon(Options{Root: root})
	var mu sync.Mutex
	var asked []string
	d.load = func(name string, blacklist bool) error {
		if !blacklist {
			t.Errorf("coldplug without the blacklist")
		}
		mu.Lock()
		asked = append(asked, name)
		mu.Unlock()
		return nil
	}
	d.coldplug()
	slices.Sort(asked)
	if !slices.Equal(asked, want) {
		t.Errorf("coldplug loaded %q, want each of %q once", asked, want)
	}
}

// TestIndexChange: a new modules.dep.bin (depmod run after a kernel
// update) makes the resolvers read everything again, without SIGHUP.
func TestIndexChange(t *testing.T) {
	t.Parallel()
	d := newDaemon(Options{})
	d.dir = t.TempDir()
	dep := filepath.Join(d.dir, "modules.dep.bin")
	os.WriteFile(dep, []byte("old"), 0o644)
	d.checkIndex()
	d.checkIndex()
	if d.gen != 0 {
		t.Fatalf("reloaded with nothing changed: gen %d", d.gen)
	}
	later := time.Now().Add(time.Minute)
	os.Chtimes(dep, later, later)
	d.checkIndex()
	if d.gen != 1 {
		t.Errorf("new modules.dep.bin not noticed: gen %d", d.gen)
	}
}
