package modprobe

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/internal/libc"
	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/kernel/libkmod"
	"github.com/modutils/modutils/moddep"
)

const (
	removeHolders = 1 << iota
	ignoreBuiltin
)

// rmmod removes every module a name resolves to, stopping at the first
// failure, as kmod's modprobe -r does.
func (rn *run) rmmod(name string) error {
	mods := rn.r.Lookup(name)
	var err error
	if len(mods) == 0 {
		if e := rn.logf("Module %s not found.\n", name); e != nil {
			return e
		}
		err = syscall.ENOENT
	}
	for _, m := range mods {
		flags := 0
		if rn.removeHold {
			flags = removeHolders
		}
		if err = rn.removeModule(m, flags); err != nil {
			break
		}
	}
	return err
}

// removeList removes modules in reverse order.
func (rn *run) removeList(mods []*moddep.Module, stopOnErrors bool) error {
	for i := len(mods) - 1; i >= 0; i-- {
		if err := rn.removeModule(mods[i], ignoreBuiltin); err != nil && stopOnErrors {
			return err
		}
	}
	return nil
}

// removeModule is kmod's rmmod_do_module: post-softdeps, holders, the
// module (or its remove command), dependencies left unused, then
// pre-softdeps.
func (rn *run) removeModule(m *moddep.Module, flags int) error {
	var pre, post []*moddep.Module
	cmd, hasCmd := "", false
	if !rn.ignoreCmds {
		pre, post = m.Softdeps()
		cmd, hasCmd = m.RemoveCommand()
	}
	if !hasCmd && !rn.ignoreLoaded {
		state, err := m.InitState()
		switch {
		case err != nil:
			if rn.firstTime {
				if e := rn.logf("Module %s is not in kernel.\n", m.Name); e != nil {
					return e
				}
				return syscall.ENOENT
			}
			return nil
		case state == kernel.Builtin:
			if flags&ignoreBuiltin != 0 {
				return nil
			}
			if e := rn.logf("Module %s is builtin.\n", m.Name); e != nil {
				return e
			}
			return syscall.ENOENT
		}
	}
	if err := rn.removeList(post, false); errors.Is(err, errExit) {
		return err
	}
	if flags&removeHolders != 0 {
		names, _ := rn.k.Holders(m.Name)
		var holders []*moddep.Module
		for _, n := range names {
			holders = append(holders, rn.r.NewFromName(n))
		}
		if err := rn.removeList(holders, true); err != nil {
			return err
		}
	}
	if !hasCmd && !rn.ignoreLoaded && rn.waitMsec == 0 {
		if n, err := rn.k.Refcnt(m.Name); err == nil && n > 0 {
			if e := rn.logf("Module %s is in use.\n", m.Name); e != nil {
				return e
			}
			return syscall.EBUSY
		}
	}
	var err error
	if hasCmd {
		err = rn.removeCommand(m, cmd)
	} else {
		err = rn.removeOne(m)
	}
	if err != nil {
		return err
	}
	if !hasCmd {
		for _, dep := range m.Deps() {
			if n, err := rn.k.Refcnt(dep.Name); err == nil && n == 0 {
				if err := rn.removeOne(dep); errors.Is(err, errExit) {
					return err
				}
			}
		}
	}
	if err := rn.removeList(pre, false); errors.Is(err, errExit) {
		return err
	}
	return nil
}

// removeOne is kmod's rmmod_do_remove_module: with -w, a module still in
// use (EAGAIN) is retried with kmod's backoff until MSEC have passed.
func (rn *run) removeOne(m *moddep.Module) error {
	if rn.showing() {
		fmt.Fprintf(rn.out, "rmmod %s\n", m.Name)
		rn.out.Flush() // kmod's SHOW flushes stdout, dry run or not
	}
	if rn.dryRun {
		return nil
	}
	rn.out.Flush()
	var err error
	var t0, tend, interval uint64
	for {
		err = rn.k.Remove(m.Name, rn.removeFlags())
		if err != nil && rn.waitMsec == 0 {
			// libkmod logs the failure unless told KMOD_REMOVE_NOLOG,
			// which modprobe -w passes.
			rn.libLog(diag.Err, libkmod.SiteRemove, "could not remove '%s': %s\n", m.Name, libc.Strerror(err))
		}
		if errors.Is(err, syscall.EEXIST) {
			if !rn.firstTime {
				return nil
			}
			return rn.logf("Module %s is not in kernel.\n", m.Name)
		}
		if !errors.Is(err, syscall.EAGAIN) || rn.waitMsec == 0 {
			break
		}
		if t0 == 0 {
			t0 = nowMsec()
			tend = t0 + rn.waitMsec
			interval = 1
		}
		var until uint64
		until, interval = backoffDelta(nowMsec(), tend, interval)
		sleepUntilMsec(until)
		if interval == 0 {
			break
		}
	}
	if err != nil && rn.waitMsec != 0 {
		rn.log.Report(diag.Err, "could not remove '%s': %s\n", m.Name, libc.Strerror(err))
	}
	return err
}

// backoffDelta is kmod's get_backoff_delta_msec at time t: the retry
// interval doubles, halving again while it would pass tend; once it is
// zero the remaining time is waited, if any. It returns when to retry and
// the new interval (0: this was the last try).
func backoffDelta(t, tend, delta uint64) (until, next uint64) {
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

var monoStart = time.Now()

// nowMsec is kmod's now_msec: a monotonic clock in milliseconds (never
// 0, which kmod's loop reads as "not started").
var nowMsec = func() uint64 { return uint64(time.Since(monoStart)/time.Millisecond) + 1 }

// sleepUntilMsec sleeps until nowMsec reaches msec.
var sleepUntilMsec = func(msec uint64) {
	if now := nowMsec(); msec > now {
		time.Sleep(time.Duration(msec-now) * time.Millisecond)
	}
}

func (rn *run) removeFlags() int {
	flags := 0
	if rn.force {
		flags |= kernel.RemoveForce
	}
	return flags
}

// removeCommand is modprobe's own command_do for remove commands.
func (rn *run) removeCommand(m *moddep.Module, cmd string) error {
	if rn.showing() {
		fmt.Fprintf(rn.out, "remove %s\n", cmd)
		rn.out.Flush()
	}
	if rn.dryRun {
		return nil
	}
	rn.out.Flush()
	code, err := kernel.RunShell(cmd, rn.env.Stdout, rn.env.Stderr, append(rn.childEnv, "MODPROBE_MODULE="+m.Name)...)
	if err != nil || code != 0 {
		if e := rn.logf("Error running %s command for %s\n", "remove", m.Name); e != nil {
			return e
		}
		if err != nil {
			return err
		}
		return syscall.Errno(code)
	}
	return nil
}
