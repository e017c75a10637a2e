package modprobe

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/modconf"
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

// removeOne is kmod's rmmod_do_remove_module.
func (rn *run) removeOne(m *moddep.Module) error {
	if rn.showing() {
		fmt.Fprintf(rn.out, "rmmod %s\n", m.Name)
	}
	if rn.dryRun {
		return nil
	}
	rn.out.Flush()
	err := rn.k.Remove(m.Name, rn.removeFlags())
	if errors.Is(err, syscall.EEXIST) {
		if !rn.firstTime {
			return nil
		}
		return rn.logf("Module %s is not in kernel.\n", m.Name)
	}
	if err != nil && rn.waitMsec != 0 {
		rn.log.Report(modconf.Err, "could not remove '%s': %s\n", m.Name, modconf.ErrnoString(err))
	}
	return err
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
