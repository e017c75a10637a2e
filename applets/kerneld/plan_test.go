package kerneld

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/kernel/execplan"
	"github.com/modutils/modutils/kernel/libkmod"
	"github.com/modutils/modutils/moddep"
)

// finitCalls loads every module but those in fail, which the kernel
// refuses with their errno.
type finitCalls struct {
	mu     sync.Mutex
	fail   map[string]syscall.Errno
	loaded []string
}

func (c *finitCalls) FinitModule(fd int, _ string, _ int) error {
	path, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
	if err != nil {
		return err
	}
	name := moddep.ModuleName(path)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.fail[name]; e != 0 {
		return e
	}
	c.loaded = append(c.loaded, name)
	return nil
}
func (c *finitCalls) InitModule([]byte, string) error { return syscall.ENOSYS }
func (c *finitCalls) DeleteModule(string, int) error  { return syscall.ENOSYS }

// moduleTree is a module directory where "cpu:type:x86" stands for
// three modules, as a CPU's modalias does for many.
func moduleTree(t *testing.T, root string) string {
	t.Helper()
	dir := filepath.Join(root, "lib/modules/6.12.0-test")
	os.MkdirAll(filepath.Join(dir, "kernel"), 0o755)
	write := func(name string, kv [][2]string) {
		w := moddep.NewIndexWriter()
		for _, p := range kv {
			if _, err := w.Insert(p[0], p[1], 0); err != nil {
				t.Fatal(err)
			}
		}
		data, err := w.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	var dep [][2]string
	for _, m := range []string{"aes", "rapl", "temp", "e1000"} {
		os.WriteFile(filepath.Join(dir, "kernel", m+".ko"), []byte("\x7fELF not really a module"), 0o644)
		dep = append(dep, [2]string{m, "kernel/" + m + ".ko:"})
	}
	write("modules.dep.bin", dep)
	write("modules.alias.bin", [][2]string{{"cpu:type:x86*", "aes"}, {"cpu:type:x86*", "rapl"}, {"cpu:type:x86*", "temp"}, {"pci:v8086*", "e1000"}})
	write("modules.symbols.bin", nil)
	write("modules.builtin.bin", nil)
	write("modules.builtin.alias.bin", nil)
	return dir
}

// TestFailuresByModule: a modalias that several modules answer fails
// only for the module that failed, and says which request it came from;
// the modules that loaded are kerneld's, and not failed. Loads run
// concurrently over the one shared resolver (go test -race).
func TestFailuresByModule(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := moduleTree(t, root)
	calls := &finitCalls{fail: map[string]syscall.Errno{"rapl": syscall.ENODEV}}
	d := newDaemon(Options{Root: root})
	d.sys = kernel.Sys{Root: root, Calls: calls}
	d.dir = dir
	var wg sync.WaitGroup
	for _, a := range []string{"cpu:type:x86,ven0000", "pci:v8086d100E", "pci:v8086d10D3", "nosuch:alias"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.request(a, true, "hotplug")
		}()
	}
	wg.Wait()
	var b strings.Builder
	d.status(&b)
	for _, want := range []string{
		"loaded: 3: aes e1000 temp\n",
		"failed: 1: rapl (No such device, for cpu:type:x86,ven0000)\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in\n%s", want, b.String())
		}
	}
}

// heldCalls is finitCalls whose insert of the modules in hold waits,
// once it has said so on entered, until release is closed: a module
// whose init takes its time, or asks the kernel for another module.
type heldCalls struct {
	finitCalls
	hold    map[string]bool
	entered chan string
	release chan struct{}
}

func (c *heldCalls) FinitModule(fd int, params string, flags int) error {
	path, err := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", fd))
	if err != nil {
		return err
	}
	if name := moddep.ModuleName(path); c.hold[name] {
		c.entered <- name
		<-c.release
	}
	return c.finitCalls.FinitModule(fd, params, flags)
}

// TestLoadsPassABlockedInsert: while one load waits in the kernel (its
// module's init under way), the shared resolver and the daemon's state
// are free: other devices' loads and the kernel's own requests (what
// that init may be waiting for) are planned and inserted meanwhile.
func TestLoadsPassABlockedInsert(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := moduleTree(t, root)
	calls := &heldCalls{hold: map[string]bool{"e1000": true}, entered: make(chan string), release: make(chan struct{})}
	d := newDaemon(Options{Root: root})
	d.sys = kernel.Sys{Root: root, Calls: calls}
	d.dir = dir
	blocked := make(chan error)
	go func() { blocked <- d.request("pci:v8086d100E", true, "hotplug") }()
	<-calls.entered
	// Nothing below may wait for e1000's insert: it returns only
	// after these loads are done.
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i, a := range []struct {
		name      string
		blacklist bool
		why       string
	}{{"cpu:type:x86,ven0000", true, "coldplug"}, {"temp", false, "request"}, {"rapl", false, "request"}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = d.request(a.name, a.blacklist, a.why)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("load %d while e1000's insert waits: %v", i, err)
		}
	}
	calls.mu.Lock()
	got := slices.Clone(calls.loaded)
	calls.mu.Unlock()
	slices.Sort(got)
	// Each once or twice: a request's insert that overlapped the CPU's
	// waited for it instead.
	got = slices.Compact(got)
	if want := []string{"aes", "rapl", "temp"}; !slices.Equal(got, want) {
		t.Errorf("inserted while e1000's insert waits: %v, want %v", got, want)
	}
	close(calls.release)
	if err := <-blocked; err != nil {
		t.Errorf("e1000: %v", err)
	}
}

// TestSharedInsert: two devices of one driver, loaded at once, insert it
// once; the second load waits for the first's insert in kerneld, holding
// no insert slot, and both succeed.
func TestSharedInsert(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := moduleTree(t, root)
	calls := &heldCalls{hold: map[string]bool{"e1000": true}, entered: make(chan string, 2), release: make(chan struct{})}
	d := newDaemon(Options{Root: root})
	d.sys = kernel.Sys{Root: root, Calls: calls}
	d.dir = dir
	errs := make(chan error, 2)
	go func() { errs <- d.request("pci:v8086d100E", true, "coldplug") }()
	<-calls.entered
	go func() { errs <- d.request("pci:v8086d10D3", true, "coldplug") }()
	for {
		d.mu.Lock()
		waits := d.insertWaits
		d.mu.Unlock()
		if waits == 1 {
			break
		}
		runtime.Gosched()
	}
	if n := len(d.slots); n != 1 {
		t.Errorf("%d insert slots taken while one insert runs and one load waits for it, want 1", n)
	}
	close(calls.release)
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("load: %v", err)
		}
	}
	calls.mu.Lock()
	defer calls.mu.Unlock()
	if want := []string{"e1000"}; !slices.Equal(calls.loaded, want) {
		t.Errorf("inserted %v, want %v", calls.loaded, want)
	}
	var b strings.Builder
	d.status(&b)
	if !strings.Contains(b.String(), "loaded: 1: e1000\n") || !strings.Contains(b.String(), "failed: 0\n") {
		t.Errorf("status:\n%s", b.String())
	}
}

// TestIdleShed: coldplug's loads keep the resolver; once kerneld is
// idle (coldplug settled, shed once), the end of the last load sheds it
// again, as after the events a boot replays once kerneld is ready.
func TestIdleShed(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	dir := moduleTree(t, root)
	d := newDaemon(Options{Root: root})
	d.sys = kernel.Sys{Root: root, Calls: &finitCalls{}}
	d.dir = dir
	d.idleShed = 0 // at once, on the timer's goroutine
	engine := func() *engine {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.engine
	}
	if err := d.request("pci:v8086d100E", true, "coldplug"); err != nil {
		t.Fatal(err)
	}
	if engine() == nil {
		t.Fatal("the resolver was shed during coldplug")
	}
	d.shed()
	if engine() != nil {
		t.Fatal("the resolver was kept once coldplug had settled")
	}
	if err := d.request("temp", false, "request"); err != nil {
		t.Fatal(err)
	}
	for engine() != nil {
		runtime.Gosched()
	}
}

// TestInsertOfLiveModule: a load whose turn to insert comes after the
// module went live (another load inserted it while this one waited for a
// slot) takes it as loaded already and asks the kernel nothing; a module
// still coming, or not there, is inserted.
func TestInsertOfLiveModule(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		initstate string // "" : no /sys/module directory
		want      error
		inserted  []string
	}{
		{"live", "live\n", syscall.EEXIST, nil},
		{"coming", "coming\n", nil, []string{"e1000"}},
		{"not loaded", "", nil, []string{"e1000"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			dir := moduleTree(t, root)
			if tc.initstate != "" {
				sys := filepath.Join(root, "sys/module/e1000")
				if err := os.MkdirAll(sys, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(sys, "initstate"), []byte(tc.initstate), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			calls := &finitCalls{}
			d := newDaemon(Options{Root: root})
			d.sys = kernel.Sys{Root: root, Calls: calls}
			k := sharedKernel{Kernel: execplan.NewSys(d.sys, nil), d: d, slot: true}
			if err := k.Insert(filepath.Join(dir, "kernel/e1000.ko"), "", libkmod.InsertFlags{}); err != tc.want {
				t.Errorf("Insert: %v, want %v", err, tc.want)
			}
			if !slices.Equal(calls.loaded, tc.inserted) {
				t.Errorf("the kernel inserted %v, want %v", calls.loaded, tc.inserted)
			}
			if n := len(d.slots); n != 0 {
				t.Errorf("%d insert slots still taken", n)
			}
		})
	}
}
