package kerneld

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/modconf"
	"github.com/modutils/modutils/moddep/probe"
)

func TestFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		add         []string // names that fail, in order
		forget      []string
		max         int
		want        []string
		wantDropped int
	}{
		{"under the cap", []string{"a", "b"}, nil, 3, []string{"a (E)", "b (E)"}, 0},
		{"repeats are counted, not stored again", []string{"a", "a", "a"}, nil, 3, []string{"a (E, 3 times)"}, 0},
		{"the least recent goes", []string{"a", "b", "c", "d"}, nil, 3, []string{"b (E)", "c (E)", "d (E)"}, 1},
		{"a repeat makes a name recent", []string{"a", "b", "c", "a", "d"}, nil, 3, []string{"a (E, 2 times)", "c (E)", "d (E)"}, 1},
		{"a success forgets", []string{"a", "b"}, []string{"a"}, 3, []string{"b (E)"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFailures(tc.max)
			for _, n := range tc.add {
				f.add(n, "E")
			}
			for _, n := range tc.forget {
				f.forget(n)
			}
			if got := f.list(); !slices.Equal(got, tc.want) || f.dropped != tc.wantDropped {
				t.Errorf("got %q, %d dropped; want %q, %d dropped", got, f.dropped, tc.want, tc.wantDropped)
			}
		})
	}
}

func TestRemovals(t *testing.T) {
	t.Parallel()
	r := newRemovals(3)
	for i := range 5 {
		r.add(fmt.Sprint(i))
	}
	if got, want := r.recent(), []string{"2", "3", "4"}; !slices.Equal(got, want) || r.total != 5 || r.dropped() != 2 {
		t.Errorf("got %q, total %d, dropped %d; want %q, 5, 2", got, r.total, r.dropped(), want)
	}
}

// TestRequestFlood: the kernel asks for 20,000 distinct names that do not
// exist (what an unprivileged user can make it do); kerneld's memory of
// them stays at its cap, and kdstat says what it forgot.
func TestRequestFlood(t *testing.T) {
	t.Parallel()
	d := newDaemon(Options{})
	d.load = func(string, bool) error { return syscall.ENOENT }
	const n = 20000
	for i := range n {
		d.request(fmt.Sprintf("crypto-nosuch%d", i), false, "request")
	}
	if d.failed.len() != MaxFailures || d.failed.dropped != n-MaxFailures || len(d.inflight) != 0 {
		t.Errorf("after %d failures: %d kept, %d dropped, %d in flight; want %d, %d, 0",
			n, d.failed.len(), d.failed.dropped, len(d.inflight), MaxFailures, n-MaxFailures)
	}
	var b strings.Builder
	d.status(&b)
	for _, want := range []string{fmt.Sprintf("requests: %d\n", n), fmt.Sprintf("failed: %d: ", MaxFailures),
		fmt.Sprintf("failed, forgotten: %d (only the latest %d are kept)\n", n-MaxFailures, MaxFailures),
		"crypto-nosuch19999 (No such file or directory)", "goroutines: ", "memory: "} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("status has no %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "crypto-nosuch0 ") {
		t.Errorf("status still lists the oldest failure")
	}
}

// TestUeventStorm: a storm of device events while every worker is stuck
// in a load. The uevent reader never waits, the goroutines stay at the
// workers and one rescan, the overflowing events are counted, and all
// the rescans asked for meanwhile run as one more.
func TestUeventStorm(t *testing.T) {
	// Not parallel: it counts the process's goroutines.
	root := t.TempDir()
	p := filepath.Join(root, "sys/bus/pci/devices/0000:00:03.0/modalias")
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, []byte("pci:v00008086d0000100E\n"), 0o644)
	d := newDaemon(Options{Root: root})
	release := make(chan struct{})
	var mu sync.Mutex
	loads := map[string]int{}
	d.load = func(name string, _ bool) error {
		<-release
		mu.Lock()
		loads[name]++
		mu.Unlock()
		return nil
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	base := runtime.NumGoroutine()
	for range Parallel {
		go d.worker(ctx)
	}
	const storm = 3 * QueueSize
	for i := range storm {
		d.enqueue(fmt.Sprintf("usb:v%04Xp0001d0100dc00dsc00dp00ic03isc01ip01in00", i))
	}
	// Parallel workers hold one event each; the queue holds QueueSize;
	// the rest overflowed. The rescan is waiting on a worker-free
	// resolver or its load; every overflow after the first only marked
	// it to run again.
	d.mu.Lock()
	overflows, rescanning, again := d.overflows, d.rescanning, d.rescanAgain
	d.mu.Unlock()
	// The workers may or may not have taken their event each yet.
	if lo, hi := storm-QueueSize-Parallel, storm-QueueSize; overflows < lo || overflows > hi {
		t.Errorf("overflows = %d, want %d to %d", overflows, lo, hi)
	}
	if !rescanning || !again {
		t.Errorf("rescanning %v, again %v: want one rescan running and one more asked for", rescanning, again)
	}
	// Workers, the rescan, and coldplug's loads (at most Parallel).
	if g := runtime.NumGoroutine() - base; g > 2*Parallel+1 {
		t.Errorf("%d goroutines for a storm of %d events: want at most %d", g, storm, 2*Parallel+1)
	}
	close(release)
	for {
		d.mu.Lock()
		done := !d.rescanning && len(d.work) == 0 && d.queue == 0
		d.mu.Unlock()
		if done {
			break
		}
		runtime.Gosched()
	}
	d.mu.Lock()
	rescans := d.rescans
	d.mu.Unlock()
	if rescans != 2 {
		t.Errorf("%d rescans, want 2: the first, and one for every overflow during it", rescans)
	}
	mu.Lock()
	defer mu.Unlock()
	if loads["pci:v00008086d0000100E"] != 2 {
		t.Errorf("the device in /sys was loaded %d times, want once per rescan", loads["pci:v00008086d0000100E"])
	}
}

// TestLoadPanic: a panic inside one load (a crafted module, a decompressor
// bug) is that load's error; kerneld goes on.
func TestLoadPanic(t *testing.T) {
	t.Parallel()
	d := newDaemon(Options{})
	var logged strings.Builder
	d.logOut = func(_ diag.Level, msg string) { logged.WriteString(msg) }
	d.load = func(name string, _ bool) error {
		if name == "evil" {
			var m map[string]int
			//lint:ignore SA5000 the panic is the point
			m["boom"]++ // a nil map: a runtime panic, as a parser bug would be
		}
		return nil
	}
	if err := d.request("evil", false, "request"); !errors.Is(err, errPanic) {
		t.Errorf("panicking load: %v, want errPanic", err)
	}
	if err := d.request("good", false, "request"); err != nil {
		t.Errorf("load after a panic: %v", err)
	}
	var b strings.Builder
	d.status(&b)
	if !strings.Contains(b.String(), "panics: 1 ") || !strings.Contains(b.String(), "evil (internal error") {
		t.Errorf("status:\n%s", b.String())
	}
	if !strings.Contains(logged.String(), "panic while loading evil: assignment to entry in nil map") {
		t.Errorf("log: %q", logged.String())
	}
}

// TestSettle: kerneld is ready only once every uevent up to the kernel's
// uevent_seqnum is handled, and uevent_seqnum has stopped moving: here
// the first driver's load creates two devices, whose events come after
// the first reading of uevent_seqnum, and their loads are waited for too.
func TestSettle(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	seqFile := filepath.Join(root, "sys/kernel/uevent_seqnum")
	os.MkdirAll(filepath.Dir(seqFile), 0o755)
	os.WriteFile(seqFile, []byte("3\n"), 0o644)
	d := newDaemon(Options{Root: root})
	var mu sync.Mutex
	var loaded []string
	d.load = func(name string, _ bool) error {
		if name == "drv3" {
			// The driver registers two devices: the kernel numbers their
			// events, then sends them, in order, on the one socket. The
			// number changes at once, as the kernel's does: a file
			// rewritten in place would read empty to a settle between
			// its truncation and its write.
			tmp := seqFile + ".new"
			os.WriteFile(tmp, []byte("5\n"), 0o644)
			os.Rename(tmp, seqFile)
			go func() {
				d.hotplug(ueventFor(4, "child4"))
				d.hotplug(ueventFor(5, "child5"))
			}()
		}
		mu.Lock()
		loaded = append(loaded, name)
		mu.Unlock()
		return nil
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	for range Parallel {
		go d.worker(ctx)
	}
	for i := uint64(1); i <= 3; i++ {
		d.hotplug(ueventFor(i, fmt.Sprintf("drv%d", i)))
	}
	ok, at := d.settle(time.Minute)
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(loaded)
	if want := []string{"child4", "child5", "drv1", "drv2", "drv3"}; !ok || at != 5 || !slices.Equal(loaded, want) {
		t.Errorf("settle = %v at %d with %q loaded; want true at 5 with %q", ok, at, loaded, want)
	}
}

// TestSettleTimeout: an event the kernel numbered but kerneld never gets
// (another network namespace's) ends the wait at its timeout, not never.
func TestSettleTimeout(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "sys/kernel"), 0o755)
	os.WriteFile(filepath.Join(root, "sys/kernel/uevent_seqnum"), []byte("10\n"), 0o644)
	d := newDaemon(Options{Root: root})
	d.hotplug(ueventFor(9, ""))
	if ok, at := d.settle(10 * time.Millisecond); ok || at != 10 {
		t.Errorf("settle = %v at %d; want false at 10", ok, at)
	}
	// Without /sys/kernel (a container) there is nothing to wait for.
	if ok, _ := newDaemon(Options{Root: t.TempDir()}).settle(time.Hour); !ok {
		t.Errorf("settle without uevent_seqnum waited")
	}
}

func ueventFor(seq uint64, modalias string) kernel.Uevent {
	return kernel.Uevent{Action: "add", Devpath: fmt.Sprintf("/devices/virtual/x%d", seq), Modalias: modalias, Seqnum: seq}
}

// TestModulesLoad: at start kerneld loads what the boot lists name, with
// their parameters; a failure is logged with the file and line, and what
// the lists loaded is the system's, which autoclean never removes.
func TestModulesLoad(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	os.MkdirAll(root+"/etc/modules-load.d", 0o755)
	os.WriteFile(root+"/etc/modules-load.d/site.conf", []byte("# site\nvfio_pci\nnosuch\n"), 0o644)
	os.WriteFile(root+"/etc/modules", []byte("loop max_loop=8\n"), 0o644)
	d := newDaemon(Options{Root: root})
	var logged strings.Builder
	d.logOut = func(_ diag.Level, msg string) { logged.WriteString(msg) }
	var asked []string
	d.loadListed = func(m modconf.ModuleToLoad) error {
		asked = append(asked, strings.TrimSpace(m.Name+" "+m.Params))
		if m.Name == "nosuch" {
			return probe.ErrNotFound
		}
		// What modprobeListed's kernel notes of the insert.
		d.record(m.Name, "modules-load: "+m.Source)
		return nil
	}
	d.modulesLoad()
	if want := []string{"vfio_pci", "nosuch", "loop max_loop=8"}; !slices.Equal(asked, want) {
		t.Errorf("loaded %q, want %q", asked, want)
	}
	if len(d.loaded) != 0 || len(d.kept) != 2 {
		t.Errorf("kerneld's own loads %v, kept %v: want none, and loop and vfio_pci kept", d.loaded, d.kept)
	}
	if !strings.Contains(logged.String(), "/etc/modules-load.d/site.conf:3: nosuch: module not found\n") {
		t.Errorf("log: %q", logged.String())
	}
	var b strings.Builder
	d.status(&b)
	if !strings.Contains(b.String(), "kept: 2: loop (modules-load: /etc/modules:1) vfio_pci (modules-load: /etc/modules-load.d/site.conf:2)\n") ||
		!strings.Contains(b.String(), "nosuch (module not found)") {
		t.Errorf("status:\n%s", b.String())
	}
}

// TestKeep: what the kernel asks for as a link type or a device name is
// kept, for its devices hold no reference on it and autoclean would take
// it for idle and destroy them; everything else kerneld loads is its own.
func TestKeep(t *testing.T) {
	t.Parallel()
	tests := []struct {
		request string
		keep    bool
	}{
		{"rtnl-link-dummy", true},
		{"rtnl-link-veth", true},
		{"netdev-eth1", true},
		{"fs-minix", false}, // a mount holds a reference
		{"net-pf-38", false},
		{"char-major-10-200", false}, // an open file holds one
		{"pci:v00008086d0000100Esv*", false},
	}
	d := newDaemon(Options{})
	for _, tc := range tests {
		d.record(tc.request, keepReason(tc.request))
		_, kept := d.kept[tc.request]
		_, own := d.loaded[tc.request]
		if kept != tc.keep || own == tc.keep {
			t.Errorf("%s: kept %v, kerneld's own %v; want kept %v", tc.request, kept, own, tc.keep)
		}
	}
	// Autoclean sweeps only kerneld's own.
	for n := range d.kept {
		if _, ok := d.loaded[n]; ok {
			t.Errorf("%s is both kept and kerneld's own", n)
		}
	}
}
