package modprobe

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/internal/libc"
	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/kernel/execplan"
	"github.com/modutils/modutils/moddep/probe"
)

// rmmod removes every module a name resolves to, stopping at the first
// failure, as kmod's modprobe -r does.
func (rn *run) rmmod(name string) error {
	plan, err := rn.planner.Remove(name)
	if err != nil {
		if e := rn.logf("Module %s not found.\n", name); e != nil {
			return e
		}
		return syscall.ENOENT
	}
	return rn.executor().Remove(plan)
}

// executor carries out plans as this run's options say.
func (rn *run) executor() *execplan.Executor {
	x := &execplan.Executor{
		Kernel: rn.k, Planner: rn.planner, Observer: execplan.ObserverFunc(rn.observe), Clock: rn.env.Time(), Env: rn.childEnv,
		DryRun: rn.dryRun, IgnoreLoaded: rn.ignoreLoaded, FirstTime: rn.firstTime, WaitMsec: rn.waitMsec,
		Insert: InsertFlags{
			ForceVermagic:   rn.force || rn.stripVermag,
			ForceModversion: rn.force || rn.stripModver,
		},
		Shell: func(cmd string, env []string) (int, error) {
			return kernel.RunShell(cmd, rn.env.Stdout, rn.env.Stderr, env...)
		},
	}
	if rn.force {
		x.RemoveFlags = kernel.RemoveForce
	}
	return x
}

// observe prints what kmod's modprobe prints as a plan is carried out;
// an error ends the run (a fatal message).
func (rn *run) observe(e execplan.Event) error {
	switch e.Kind {
	case execplan.Show:
		if rn.showing() {
			rn.show(e)
		}
	case execplan.Call:
		// kmod flushes before a command or delete_module, not before
		// an insertion.
		if e.Step == nil || e.Step.Action != probe.Insert {
			rn.out.Flush()
		}
	case execplan.InsertFailed:
		rn.out.Flush()
		execplan.Say(e, rn.log.Report, rn.libLog)
	case execplan.CommandFailed:
		if e.What == "remove" {
			return rn.logf("Error running %s command for %s\n", "remove", e.Module)
		}
		execplan.Say(e, rn.log.Report, rn.libLog)
	case execplan.Failed:
		rn.out.Flush()
		switch {
		case errors.Is(e.Err, syscall.EEXIST):
			rn.log.Report(diag.Err, "could not insert '%s': Module already in kernel\n", e.Module)
		case errors.Is(e.Err, syscall.ENOENT):
			rn.log.Report(diag.Err, "could not insert '%s': Unknown symbol in module, or unknown parameter (see dmesg)\n", e.Module)
		default:
			rn.log.Report(diag.Err, "could not insert '%s': %s\n", e.Module, libc.Strerror(e.Err))
		}
	case execplan.NotInKernel:
		return rn.logf("Module %s is not in kernel.\n", e.Module)
	case execplan.IsBuiltin:
		return rn.logf("Module %s is builtin.\n", e.Module)
	case execplan.InUse:
		return rn.logf("Module %s is in use.\n", e.Module)
	case execplan.RemoveFailed:
		execplan.Say(e, rn.log.Report, rn.libLog)
	case execplan.GaveUp:
		rn.log.Report(diag.Err, "could not remove '%s': %s\n", e.Module, libc.Strerror(e.Err))
	}
	return nil
}

// show is kmod's print_action and SHOW: what a step does, under -v, -n
// or -D.
func (rn *run) show(e execplan.Event) {
	switch {
	case e.Step != nil && e.Step.Action == probe.Install:
		fmt.Fprintf(rn.out, "install %s %s\n", e.Step.Command, e.Step.Options)
	case e.Step != nil:
		if e.Step.Path == "" {
			if e.Step.Builtin {
				fmt.Fprintf(rn.out, "builtin %s\n", e.Step.Module)
			}
			return
		}
		fmt.Fprintf(rn.out, "insmod %s %s\n", e.Step.Path, e.Step.Options)
	case e.Remove:
		fmt.Fprintf(rn.out, "rmmod %s\n", e.Module)
		rn.out.Flush() // kmod's SHOW flushes stdout, dry run or not
	default:
		fmt.Fprintf(rn.out, "remove %s\n", e.Command)
		rn.out.Flush()
	}
}
