package execplan

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/kernel/libkmod"
	"github.com/modutils/modutils/moddep"
	"github.com/modutils/modutils/moddep/probe"
)

// fakeKernel records what is asked of it: live modules, refcounts, and
// an error per module for insertion and removal.
type fakeKernel struct {
	live   map[string]bool
	refcnt map[string]int
	errs   map[string]error
	calls  []string
}

func (k *fakeKernel) State(name string) (moddep.State, error) {
	if k.live[name] {
		return moddep.Live, nil
	}
	return 0, syscall.ENOENT
}
func (k *fakeKernel) Refcnt(name string) (int, error)  { return k.refcnt[name], nil }
func (k *fakeKernel) Holders(string) ([]string, error) { return nil, nil }
func (k *fakeKernel) Insert(path, options string, _ libkmod.InsertFlags) error {
	k.calls = append(k.calls, strings.TrimSpace("insert "+path+" "+options))
	if err := k.errs[path]; err != nil {
		return err
	}
	k.live[moddep.ModuleName(path)] = true
	return nil
}
func (k *fakeKernel) Remove(name string, flags int) error {
	k.calls = append(k.calls, "remove "+name)
	if err := k.errs[name]; err != nil {
		return err
	}
	delete(k.live, name)
	return nil
}

func newKernel(live ...string) *fakeKernel {
	k := &fakeKernel{live: map[string]bool{}, refcnt: map[string]int{}, errs: map[string]error{}}
	for _, n := range live {
		k.live[n] = true
	}
	return k
}

// events is an Observer that writes each event as a line.
type events []string

func (e *events) Observe(ev Event) error {
	l := fmt.Sprintf("%d %s", ev.Kind, ev.Module)
	if ev.Err != nil {
		l += ": " + ev.Err.Error()
	}
	*e = append(*e, l)
	return nil
}

func insert(name string, required, target bool) probe.Step {
	return probe.Step{Action: probe.Insert, Module: name, Path: "/m/" + name + ".ko", Required: required, Target: target}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		steps     []probe.Step
		live      []string
		errs      map[string]error
		firstTime bool
		dryRun    bool
		wantCalls []string
		wantErr   error
	}{
		{name: "in order", steps: []probe.Step{insert("c", true, false), insert("a", true, true)},
			wantCalls: []string{"insert /m/c.ko", "insert /m/a.ko"}},
		{name: "loaded meanwhile is no insertion", steps: []probe.Step{insert("c", true, false), insert("a", true, true)}, live: []string{"c"},
			wantCalls: []string{"insert /m/a.ko"}},
		{name: "a required failure stops", steps: []probe.Step{insert("c", true, false), insert("a", true, true)},
			errs: map[string]error{"/m/c.ko": syscall.ENODEV}, wantCalls: []string{"insert /m/c.ko"}, wantErr: syscall.ENODEV},
		{name: "a soft failure does not", steps: []probe.Step{insert("s", false, false), insert("a", true, true)},
			errs: map[string]error{"/m/s.ko": syscall.ENODEV}, wantCalls: []string{"insert /m/s.ko", "insert /m/a.ko"}},
		{name: "EEXIST is success", steps: []probe.Step{insert("a", true, true)},
			errs: map[string]error{"/m/a.ko": syscall.EEXIST}, wantCalls: []string{"insert /m/a.ko"}},
		{name: "--first-time", steps: []probe.Step{{Action: probe.Loaded, Module: "a", Required: true, Target: true}},
			firstTime: true, wantErr: syscall.EEXIST},
		{name: "builtin without a file", steps: []probe.Step{{Action: probe.Insert, Module: "b", Builtin: true, Required: true, Target: true}}},
		{name: "no file", steps: []probe.Step{{Action: probe.Insert, Module: "x", Required: true, Target: true}}, wantErr: syscall.ENOENT},
		{name: "dry run", steps: []probe.Step{insert("c", true, false), insert("a", true, true)}, dryRun: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k := newKernel(tc.live...)
			k.errs = tc.errs
			var ev events
			x := &Executor{Kernel: k, Observer: &ev, FirstTime: tc.firstTime, DryRun: tc.dryRun}
			err := x.Load(probe.Plan{Targets: []probe.Target{{Module: "a", Steps: tc.steps}}})
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Errorf("error %v, want %v", err, tc.wantErr)
			}
			if !slices.Equal(k.calls, tc.wantCalls) {
				t.Errorf("calls %q, want %q", k.calls, tc.wantCalls)
			}
		})
	}
}

// planner plans the parts of removals a test needs.
type planner map[string]probe.Removal

func (p planner) Softdep(name, parent string) probe.Removal { return p[name] }
func (p planner) Holders(string) []probe.Removal            { return nil }
func (p planner) Deps(string) []string                      { return nil }

func TestRemove(t *testing.T) {
	t.Parallel()
	k := newKernel("m", "p", "q")
	var ev events
	x := &Executor{Kernel: k, Observer: &ev, Planner: planner{
		"p": {Module: "p", CheckState: true, IgnoreBuiltin: true},
		"q": {Module: "q", CheckState: true, IgnoreBuiltin: true},
		"n": {Module: "n", CheckState: true, IgnoreBuiltin: true}, // not loaded: skipped
	}}
	err := x.Remove(probe.RemovePlan{Removals: []probe.Removal{{Module: "m", CheckState: true, CheckInUse: true, Post: []string{"q", "n"}, Pre: []string{"p"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"remove q", "remove m", "remove p"}; !slices.Equal(k.calls, want) {
		t.Errorf("calls %q, want %q", k.calls, want)
	}
	// In use: refused before delete_module.
	k = newKernel("m")
	k.refcnt["m"] = 1
	ev = nil
	x = &Executor{Kernel: k, Observer: &ev, Planner: planner{}}
	if err := x.Remove(probe.RemovePlan{Removals: []probe.Removal{{Module: "m", CheckState: true, CheckInUse: true}}}); !errors.Is(err, syscall.EBUSY) {
		t.Errorf("in use: %v", err)
	}
	if len(k.calls) != 0 || !slices.Contains(ev, fmt.Sprintf("%d m", InUse)) {
		t.Errorf("in use: calls %q, events %q", k.calls, ev)
	}
}

// TestUnload, kerneld's autoclean, runs a configured remove command
// instead of delete_module.
func TestUnload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		removal     probe.Removal
		kernelErr   error
		wantRemoved []string
		wantRan     string
		wantErr     error
		wantEvent   Kind
	}{
		{name: "delete_module", removal: probe.Removal{Module: "m"}, wantRemoved: []string{"remove m"}, wantEvent: Removed},
		{name: "remove command", removal: probe.Removal{Module: "m", HasCommand: true, Command: `echo "$MODPROBE_MODULE" >>OUT`}, wantRan: "m\n"},
		{name: "command fails", removal: probe.Removal{Module: "m", HasCommand: true, Command: "echo ran >>OUT; exit 3"}, wantRan: "ran\n",
			wantErr: syscall.Errno(3), wantEvent: CommandFailed},
		{name: "busy", removal: probe.Removal{Module: "m"}, kernelErr: syscall.EAGAIN, wantRemoved: []string{"remove m"},
			wantErr: syscall.EAGAIN, wantEvent: RemoveFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "out")
			k := newKernel("m")
			k.errs["m"] = tc.kernelErr
			var kinds []Kind
			x := &Executor{Kernel: k, Observer: ObserverFunc(func(e Event) error { kinds = append(kinds, e.Kind); return nil }),
				Shell: func(cmd string, env []string) (int, error) { return kernel.RunShell(cmd, os.Stdout, os.Stderr, env...) }}
			tc.removal.Command = strings.ReplaceAll(tc.removal.Command, "OUT", out)
			err := x.Unload(tc.removal)
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Errorf("error %v, want %v", err, tc.wantErr)
			}
			if !slices.Equal(k.calls, tc.wantRemoved) {
				t.Errorf("calls %q, want %q", k.calls, tc.wantRemoved)
			}
			if ran, _ := os.ReadFile(out); string(ran) != tc.wantRan {
				t.Errorf("the command wrote %q, want %q", ran, tc.wantRan)
			}
			if tc.wantEvent != 0 && !slices.Contains(kinds, tc.wantEvent) {
				t.Errorf("events %v, want %v among them", kinds, tc.wantEvent)
			}
		})
	}
}

// fakeClock moves only when slept.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time        { return c.t }
func (c *fakeClock) Sleep(d time.Duration) { c.t = c.t.Add(d) }

// TestWait: with -w a module in use is retried with kmod's backoff until
// the time is up, without sleeping for real.
func TestWait(t *testing.T) {
	t.Parallel()
	k := newKernel("m")
	k.errs["m"] = syscall.EAGAIN
	var ev events
	x := &Executor{Kernel: k, Observer: &ev, WaitMsec: 50, Clock: &fakeClock{t: time.Unix(1000, 0)}}
	if err := x.Unload(probe.Removal{Module: "m"}); !errors.Is(err, syscall.EAGAIN) {
		t.Errorf("error %v", err)
	}
	if len(k.calls) < 5 || !slices.Contains(ev, fmt.Sprintf("%d m: %v", GaveUp, syscall.EAGAIN)) {
		t.Errorf("%d tries, events %q", len(k.calls), ev)
	}
}

// BackoffDelta follows kmod's get_backoff_delta_msec: the interval
// doubles from 1 ms, is halved while it would pass the deadline, and the
// rest of the time is waited at the end.
func TestBackoffDelta(t *testing.T) {
	t.Parallel()
	tests := []struct{ t, tend, delta, until, next uint64 }{
		{100, 200, 1, 102, 2},
		{102, 200, 2, 106, 4},
		{164, 200, 32, 196, 32}, // 64 would pass 200: halved
		{196, 200, 32, 200, 4},
		{199, 200, 4, 200, 1},
		{200, 200, 1, 200, 0}, // deadline: the last try
		{205, 200, 8, 205, 0}, // past it (kmod would loop forever here)
		{100, 100, 0, 100, 0},
	}
	for _, tt := range tests {
		until, next := BackoffDelta(tt.t, tt.tend, tt.delta)
		if until != tt.until || next != tt.next {
			t.Errorf("BackoffDelta(%d, %d, %d) = %d, %d; want %d, %d", tt.t, tt.tend, tt.delta, until, next, tt.until, tt.next)
		}
	}
}
