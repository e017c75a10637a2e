// Package execplan carries out what moddep/probe planned: it inserts
// module files, runs install and remove commands through the shell and
// removes modules, as kmod 34.2's modprobe does, reporting every step to
// an Observer, which prints what modprobe prints, records what kerneld
// loaded, or stops the run. What depends on the kernel's state as the run
// goes (a module an install command loaded meanwhile, a dependency left
// unused, a module still in use) is checked here, when its turn comes, as
// kmod checks it.
package execplan

import (
	"errors"
	"strings"
	"syscall"
	"time"

	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/internal/libc"
	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/kernel/libkmod"
	"github.com/modutils/modutils/moddep"
	"github.com/modutils/modutils/moddep/probe"
)

// Kernel is the running kernel as a plan is carried out against it.
type Kernel interface {
	// State is the module's state; an error means it is not loaded.
	State(name string) (moddep.State, error)
	Refcnt(name string) (int, error)
	Holders(name string) ([]string, error)
	// Insert loads the module file at path as kmod_module_insert_module;
	// the error is an errno (EEXIST: loaded already) or a
	// *libkmod.FileError.
	Insert(path, options string, flags libkmod.InsertFlags) error
	// Remove is delete_module with O_NONBLOCK (and O_TRUNC for
	// kernel.RemoveForce in flags).
	Remove(name string, flags int) error
}

// Sys is the kernel that kernel.Sys stands for, as libkmod sees it:
// states from /proc and /sys, messages through Log, the module system
// calls through Sys.Calls.
type Sys struct{ libkmod.Lib }

// NewSys is Sys over s with libkmod's messages to log.
func NewSys(s kernel.Sys, log libkmod.LogFunc) Sys { return Sys{libkmod.Lib{Sys: s, Log: log}} }

func (k Sys) State(name string) (moddep.State, error) {
	s, e := k.Lib.InitState(name)
	if e != 0 {
		return 0, e
	}
	return s, nil
}

func (k Sys) Refcnt(name string) (int, error) {
	n := k.Lib.Refcnt(name)
	if n < 0 {
		return 0, syscall.Errno(-n)
	}
	return n, nil
}

func (k Sys) Holders(name string) ([]string, error) { return k.Lib.Holders(name), nil }
func (k Sys) Insert(path, options string, flags libkmod.InsertFlags) error {
	return libkmod.Insert(k.Lib.Sys, path, options, flags)
}
func (k Sys) Remove(name string, flags int) error { return k.Lib.Sys.Remove(name, flags) }

// Kind is what an Event reports.
type Kind int

const (
	// Show: the step is about to be carried out (or, in a dry run,
	// would be): modprobe -v, -n and -D print it.
	Show Kind = iota + 1
	// Call: a system call or command is about to be made (never in a
	// dry run).
	Call
	// Inserted: the module is loaded now.
	Inserted
	// InsertFailed: the kernel refused the module (Err); libkmod logs it.
	InsertFailed
	// CommandFailed: an install or remove command could not run (Err)
	// or exited with Code.
	CommandFailed
	// Failed: the load of a target failed with Err.
	Failed
	// NotInKernel, IsBuiltin, InUse: a removal's checks failed.
	NotInKernel
	IsBuiltin
	InUse
	// RemoveFailed: one delete_module failed (Err); libkmod logs each
	// unless modprobe waits (-w).
	RemoveFailed
	// GaveUp: removing with -w failed for good (Err).
	GaveUp
	// Removed: the module is gone.
	Removed
)

// Event is one thing that happened. Exactly one of Step and Removal is
// set for a step's events; Module names the module either way.
type Event struct {
	Kind    Kind
	Module  string
	Step    *probe.Step
	Removal *probe.Removal
	Remove  bool // a Show of a plain removal ("rmmod NAME")
	Command string
	Options string
	Code    int
	Err     error
	// What is the kind of a failed command: "install" or "remove".
	What string
}

// Observer receives every Event; an error it returns stops the run, and
// the run returns it (wrapped in no other error).
type Observer interface {
	Observe(Event) error
}

// ObserverFunc is a func as an Observer.
type ObserverFunc func(Event) error

func (f ObserverFunc) Observe(e Event) error { return f(e) }

// Shell runs a command through /bin/sh with env added to the
// environment, returning its exit status (kernel.RunShell).
type Shell func(command string, env []string) (int, error)

// Clock is the executor's time, for -w's waits.
type Clock interface {
	Now() time.Time
	Sleep(d time.Duration)
}

// Planner plans, when their turn comes, the parts of a removal that kmod
// decides only then (probe.Planner).
type Planner interface {
	Softdep(name, parent string) probe.Removal
	Holders(name string) []probe.Removal
	Deps(name string) []string
}

// Executor carries plans out.
type Executor struct {
	Kernel   Kernel
	Planner  Planner // for removals
	Shell    Shell
	Observer Observer // nil: none
	Clock    Clock    // nil: the real one
	// Env is added to every command's environment, before
	// MODPROBE_MODULE.
	Env []string

	DryRun       bool
	IgnoreLoaded bool // -D: every module counts as not loaded
	FirstTime    bool
	Insert       libkmod.InsertFlags
	RemoveFlags  int    // kernel.RemoveForce for --force
	WaitMsec     uint64 // -w
}

// aborted is an error the observer returned; it ends the run as it is.
type aborted struct{ err error }

func (a aborted) Error() string { return a.err.Error() }
func (a aborted) Unwrap() error { return a.err }

func (x *Executor) observe(e Event) error {
	if x.Observer == nil {
		return nil
	}
	if err := x.Observer.Observe(e); err != nil {
		return aborted{err}
	}
	return nil
}

// unabort is the error as the caller sees it.
func unabort(err error) error {
	var a aborted
	if errors.As(err, &a) {
		return a.err
	}
	return err
}

func isAbort(err error) bool {
	var a aborted
	return errors.As(err, &a)
}

// Load carries out a load plan as kmod's modprobe does its modules: each
// target in turn, a Failed event for each that fails. The result is the
// last target's (a later success makes an earlier failure no failure, as
// in kmod).
func (x *Executor) Load(p probe.Plan) error {
	var status error
	for _, t := range p.Targets {
		err := x.target(t)
		if err == nil {
			status = nil
			continue
		}
		if isAbort(err) {
			return unabort(err)
		}
		status = err
		if e := x.observe(Event{Kind: Failed, Module: t.Module, Err: err}); e != nil {
			return unabort(e)
		}
	}
	return status
}

// target is kmod_module_probe_insert_module's loop over its probe list.
func (x *Executor) target(t probe.Target) error {
	var err error
	for i := range t.Steps {
		s := &t.Steps[i]
		err = nil
		switch {
		case s.Action == probe.Blacklisted:
		case s.Action == probe.Loaded, !x.IgnoreLoaded && x.inKernel(s.Module, s.Builtin):
			err = syscall.EEXIST
		case s.Action == probe.Install:
			if err = x.observe(Event{Kind: Show, Module: s.Module, Step: s, Command: s.Command, Options: s.Options}); err != nil {
				return err
			}
			if !x.DryRun {
				err = x.command(s.Module, "install", strings.ReplaceAll(s.Command, "$CMDLINE_OPTS", s.Options))
			}
		default:
			if err = x.observe(Event{Kind: Show, Module: s.Module, Step: s, Options: s.Options}); err != nil {
				return err
			}
			if !x.DryRun {
				err = x.insert(s)
			}
		}
		if isAbort(err) {
			return err
		}
		if errors.Is(err, syscall.EEXIST) && s.Target && x.FirstTime {
			break
		}
		if errors.Is(err, syscall.EEXIST) || !s.Required {
			err = nil
		} else if err != nil {
			break
		}
	}
	return err
}

// inKernel is libkmod's module_is_inkernel, asked when the step's turn
// comes: an install command run before may have loaded it.
func (x *Executor) inKernel(name string, builtin bool) bool {
	if builtin {
		return true
	}
	s, err := x.Kernel.State(name)
	return err == nil && (s == moddep.Live || s == moddep.Builtin)
}

func (x *Executor) insert(s *probe.Step) error {
	if s.Path == "" {
		if s.Builtin {
			return nil
		}
		return syscall.ENOENT
	}
	if err := x.observe(Event{Kind: Call, Module: s.Module, Step: s}); err != nil {
		return err
	}
	err := x.Kernel.Insert(s.Path, s.Options, x.Insert)
	var fe *libkmod.FileError
	if err != nil && !errors.As(err, &fe) {
		if e := x.observe(Event{Kind: InsertFailed, Module: s.Module, Step: s, Err: err}); e != nil {
			return e
		}
	}
	if err == nil {
		if e := x.observe(Event{Kind: Inserted, Module: s.Module, Step: s}); e != nil {
			return e
		}
	}
	return err
}

// command runs an install command as modprobe's own command_do: through
// /bin/sh with MODPROBE_MODULE set; a failure is EINVAL.
func (x *Executor) command(module, kind, cmd string) error {
	if err := x.observe(Event{Kind: Call, Module: module, Command: cmd}); err != nil {
		return err
	}
	code, err := x.Shell(cmd, append(x.Env[:len(x.Env):len(x.Env)], "MODPROBE_MODULE="+module))
	if err != nil || code != 0 {
		if e := x.observe(Event{Kind: CommandFailed, Module: module, Command: cmd, Code: code, Err: err, What: kind}); e != nil {
			return e
		}
		return syscall.EINVAL
	}
	return nil
}

// Remove carries out a removal plan as kmod's modprobe -r does: each
// module in turn, stopping at the first that fails.
func (x *Executor) Remove(p probe.RemovePlan) error {
	var err error
	for _, r := range p.Removals {
		if err = x.remove(&r, nil); err != nil {
			break
		}
	}
	return unabort(err)
}

// Unload carries out kerneld's autoclean of one module (see
// probe.Planner.Unload): its remove command, or delete_module. A remove
// command's exit status comes back as its syscall.Errno.
func (x *Executor) Unload(r probe.Removal) error {
	if r.HasCommand {
		return unabort(x.removeCommand(&r))
	}
	return unabort(x.removeOne(r.Module, &r))
}

// InsertFile inserts the one module file path with options, as insmod
// does: the system call, an InsertFailed or Inserted event, and the
// kernel's answer as it is (EEXIST included).
func (x *Executor) InsertFile(name, path, options string) error {
	return unabort(x.insert(&probe.Step{Action: probe.Insert, Module: name, Path: path, Options: options, Required: true, Target: true}))
}

// RemoveModule removes the one module name, as rmmod does: delete_module
// once, a RemoveFailed or Removed event, and the kernel's answer.
func (x *Executor) RemoveModule(name string) error {
	err := x.Kernel.Remove(name, x.RemoveFlags)
	kind := Removed
	if err != nil {
		kind = RemoveFailed
	}
	if e := x.observe(Event{Kind: kind, Module: name, Err: err}); e != nil {
		return unabort(e)
	}
	return err
}

// remove is kmod's rmmod_do_module; path is the removals that led to this
// one, so that softdeps naming each other end (kmod recurses until its
// stack runs out).
func (x *Executor) remove(r *probe.Removal, path []string) error {
	for _, n := range path {
		if n == r.Module {
			return nil
		}
	}
	path = append(path[:len(path):len(path)], r.Module)
	if r.CheckState {
		state, err := x.Kernel.State(r.Module)
		if r.Builtin {
			state, err = moddep.Builtin, nil
		}
		switch {
		case err != nil:
			if x.FirstTime {
				if e := x.observe(Event{Kind: NotInKernel, Module: r.Module, Removal: r}); e != nil {
					return e
				}
				return syscall.ENOENT
			}
			return nil
		case state == moddep.Builtin:
			if r.IgnoreBuiltin {
				return nil
			}
			if e := x.observe(Event{Kind: IsBuiltin, Module: r.Module, Removal: r}); e != nil {
				return e
			}
			return syscall.ENOENT
		}
	}
	for _, n := range r.Post {
		s := x.Planner.Softdep(n, r.Module)
		if err := x.remove(&s, path); isAbort(err) {
			return err
		}
	}
	if r.Holders {
		for _, h := range x.Planner.Holders(r.Module) {
			if err := x.remove(&h, path); err != nil {
				return err
			}
		}
	}
	if r.CheckInUse && x.WaitMsec == 0 {
		if n, err := x.Kernel.Refcnt(r.Module); err == nil && n > 0 {
			if e := x.observe(Event{Kind: InUse, Module: r.Module, Removal: r}); e != nil {
				return e
			}
			return syscall.EBUSY
		}
	}
	var err error
	if r.HasCommand {
		err = x.removeCommand(r)
	} else {
		err = x.removeOne(r.Module, r)
	}
	if err != nil {
		return err
	}
	if r.Deps {
		for _, d := range x.Planner.Deps(r.Module) {
			if n, err := x.Kernel.Refcnt(d); err == nil && n == 0 {
				if err := x.removeOne(d, nil); isAbort(err) {
					return err
				}
			}
		}
	}
	for _, n := range r.Pre {
		s := x.Planner.Softdep(n, r.Module)
		if err := x.remove(&s, path); isAbort(err) {
			return err
		}
	}
	return nil
}

// removeOne is kmod's rmmod_do_remove_module: with -w, a module still in
// use (EAGAIN) is retried with kmod's backoff until WaitMsec have passed.
func (x *Executor) removeOne(name string, r *probe.Removal) error {
	if err := x.observe(Event{Kind: Show, Module: name, Removal: r, Remove: true}); err != nil {
		return err
	}
	if x.DryRun {
		return nil
	}
	if err := x.observe(Event{Kind: Call, Module: name, Removal: r}); err != nil {
		return err
	}
	clock := x.clock()
	start := clock.Now()
	// kmod's now_msec: never 0, which its loop reads as "not started".
	now := func() uint64 { return uint64(clock.Now().Sub(start)/time.Millisecond) + 1 }
	var err error
	var t0, tend, interval uint64
	for {
		err = x.Kernel.Remove(name, x.RemoveFlags)
		if err != nil && x.WaitMsec == 0 {
			if e := x.observe(Event{Kind: RemoveFailed, Module: name, Removal: r, Err: err}); e != nil {
				return e
			}
		}
		if errors.Is(err, syscall.EEXIST) {
			if !x.FirstTime {
				return nil
			}
			return x.observe(Event{Kind: NotInKernel, Module: name, Removal: r})
		}
		if !errors.Is(err, syscall.EAGAIN) || x.WaitMsec == 0 {
			break
		}
		if t0 == 0 {
			t0 = now()
			tend = t0 + x.WaitMsec
			interval = 1
		}
		var until uint64
		until, interval = BackoffDelta(now(), tend, interval)
		if n := now(); until > n {
			clock.Sleep(time.Duration(until-n) * time.Millisecond)
		}
		if interval == 0 {
			break
		}
	}
	if err != nil && x.WaitMsec != 0 {
		if e := x.observe(Event{Kind: GaveUp, Module: name, Removal: r, Err: err}); e != nil {
			return e
		}
	}
	if err == nil {
		if e := x.observe(Event{Kind: Removed, Module: name, Removal: r}); e != nil {
			return e
		}
	}
	return err
}

// removeCommand is modprobe's own command_do for a remove command; a
// failure is the command's exit status as an errno.
func (x *Executor) removeCommand(r *probe.Removal) error {
	if err := x.observe(Event{Kind: Show, Module: r.Module, Removal: r, Command: r.Command}); err != nil {
		return err
	}
	if x.DryRun {
		return nil
	}
	if err := x.observe(Event{Kind: Call, Module: r.Module, Removal: r, Command: r.Command}); err != nil {
		return err
	}
	code, err := x.Shell(r.Command, append(x.Env[:len(x.Env):len(x.Env)], "MODPROBE_MODULE="+r.Module))
	if err != nil || code != 0 {
		if e := x.observe(Event{Kind: CommandFailed, Module: r.Module, Removal: r, Command: r.Command, Code: code, Err: err, What: "remove"}); e != nil {
			return e
		}
		if err != nil {
			return err
		}
		return syscall.Errno(code)
	}
	return nil
}

func (x *Executor) clock() Clock {
	if x.Clock == nil {
		return realClock{}
	}
	return x.Clock
}

type realClock struct{}

func (realClock) Now() time.Time        { return time.Now() }
func (realClock) Sleep(d time.Duration) { time.Sleep(d) }

// BackoffDelta is kmod's get_backoff_delta_msec at time t: the retry
// interval doubles, halving again while it would pass tend; once it is
// zero the remaining time is waited, if any. It returns when to retry and
// the new interval (0: this was the last try).
func BackoffDelta(t, tend, delta uint64) (until, next uint64) {
	if delta == 0 {
		delta = 1
	} else {
		delta <<= 1
	}
	for t+delta > tend {
		delta >>= 1
		if delta == 0 {
			break
		}
	}
	if delta == 0 && tend > t {
		delta = tend - t
	}
	return t + delta, delta
}

// Say logs a failure event as kmod's modprobe words it: libkmod's
// messages through lib, modprobe's own through report (at Err: modprobe
// makes a failed remove command's message its fatal LOG(), which is the
// caller's to decide). It reports whether the event was one it words.
func Say(e Event, report diag.Reporter, lib libkmod.LogFunc) bool {
	switch {
	case e.Kind == InsertFailed:
		lib(diag.Info, libkmod.SiteInsert, "Failed to insert module '%s': %s\n", e.Step.Path, libc.Strerror(e.Err))
	case e.Kind == RemoveFailed:
		// libkmod logs the failure unless told KMOD_REMOVE_NOLOG,
		// which modprobe -w passes.
		lib(diag.Err, libkmod.SiteRemove, "could not remove '%s': %s\n", e.Module, libc.Strerror(e.Err))
	case e.Kind == CommandFailed && e.What == "remove":
		report(diag.Err, "Error running %s command for %s\n", "remove", e.Module)
	case e.Kind == CommandFailed && e.Err != nil:
		report(diag.Err, "Could not run %s command '%s' for module %s: %s\n", e.What, e.Command, e.Module, libc.Strerror(e.Err))
	case e.Kind == CommandFailed:
		report(diag.Err, "Error running %s command '%s' for module %s: retcode %d\n", e.What, e.Command, e.Module, e.Code)
	default:
		return false
	}
	return true
}
