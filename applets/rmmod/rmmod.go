// Package rmmod is the rmmod applet: it unloads modules by name or by
// file, refusing (unless forced) those that are builtin, not loaded or in
// use, as kmod 34.2's rmmod does.
package rmmod

import (
	"errors"
	"fmt"
	"os"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/internal/libc"
	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/kernel/execplan"
	"github.com/modutils/modutils/kernel/libkmod"
	"github.com/modutils/modutils/moddep"
)

// Run runs rmmod with args (without the program name) and returns its
// exit code.
func Run(env *applet.Env, args []string) int {
	log := applet.NewLogger(env)
	force := false
	var lo applet.LogOptions
	opts := env.Getopt(args, Spec.Shorts(), Spec.Longs())
	for o := range opts.Options() {
		if code, done := env.CommonOption(env.Stdout, Spec, o.Val); done {
			return code
		}
		if !lo.Take(o.Val) && o.Val == 'f' {
			force = true
		}
	}
	lo.UseSyslog(env, log)
	operands := opts.Operands()
	if len(operands) == 0 {
		log.Report(diag.Err, "missing module name.\n")
		return 1
	}
	log.Priority = lo.Priority()
	// The module directory's modules.builtin.bin says which modules are
	// builtin.
	dir := env.ModuleDir
	if dir == "" {
		kv, err := kernel.Release()
		if err != nil {
			log.Report(diag.Err, "kmod_new() failed!\n")
			return 1
		}
		dir = "/lib/modules/" + kv
	}
	r := moddep.NewResolver(dir, nil)
	if !env.Exiting {
		defer r.Close()
	}
	lib := libkmod.Lib{Sys: env.Kernel(), Log: libkmod.ToolLog(log.Report)}
	x := &execplan.Executor{Kernel: execplan.Sys{Lib: lib}, Observer: execplan.ObserverFunc(func(e execplan.Event) error {
		execplan.Say(e, log.Report, lib.Log)
		return nil
	})}

	failed := 0
	for _, arg := range operands {
		var m *moddep.Module
		if _, err := os.Stat(arg); err == nil {
			m, err = r.NewFromPath(arg)
			if err != nil {
				log.Report(diag.Err, "could not use module %s: %s\n", arg, libc.Strerror(err))
				break
			}
		} else {
			m = r.NewFromName(arg)
		}
		if !force && checkInUse(env, log, lib, m) != nil {
			failed++
			continue
		}
		x.RemoveFlags = 0
		if force {
			x.RemoveFlags = kernel.RemoveForce
		}
		if err := x.RemoveModule(m.Name); err != nil {
			log.Report(diag.Err, "could not remove module %s: %s\n", arg, libc.Strerror(err))
			failed++
		}
	}
	if failed > 0 {
		return 1
	}
	return 0
}

// errRefused is check_module_inuse's refusal, after its message.
var errRefused = errors.New("module refused")

// checkInUse is rmmod's check_module_inuse.
func checkInUse(env *applet.Env, log *applet.Logger, lib libkmod.Lib, m *moddep.Module) error {
	if m.IsBuiltin() {
		log.Report(diag.Err, "Module %s is builtin.\n", m.Name)
		return errRefused
	}
	if _, e := lib.InitState(m.Name); e != 0 {
		log.Report(diag.Err, "Module %s is not currently loaded\n", m.Name)
		return errRefused
	}
	if holders := lib.Holders(m.Name); len(holders) > 0 {
		log.Report(diag.Err, "Module %s is in use by:", m.Name)
		if log.Syslog != nil {
			// Under -s kmod 34.2 logs the names too (kmod 30 wrote
			// them to stderr even then).
			for _, h := range holders {
				log.Report(diag.Err, " %s", h)
			}
			log.Report(diag.Err, "\n")
			return errRefused
		}
		for _, h := range holders {
			fmt.Fprintf(env.Stderr, " %s", h)
		}
		fmt.Fprint(env.Stderr, "\n")
		return errRefused
	}
	n := lib.Refcnt(m.Name)
	switch {
	case n > 0:
		log.Report(diag.Err, "Module %s is in use\n", m.Name)
		return errRefused
	case n == -2: // -ENOENT
		log.Report(diag.Err, "Module unloading is not supported\n")
	}
	if n < 0 {
		return errRefused
	}
	return nil
}
