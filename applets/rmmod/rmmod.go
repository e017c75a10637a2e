// Package rmmod is the rmmod applet: it unloads modules by name or by
// file, refusing (unless forced) those that are builtin, not loaded or in
// use, as kmod 34.2's rmmod does.
package rmmod

import (
	"fmt"
	"os"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/applets/getopt"
	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/internal/libc"
	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/kernel/libkmod"
	"github.com/modutils/modutils/moddep"
)

// Sys is the kernel rmmod works on; tests point it at a fake tree and
// substitute its Calls.
var Sys = kernel.Sys{}

// ModuleDir is the module directory whose modules.builtin.bin says which
// modules are builtin; "" is /lib/modules/`uname -r`.
var ModuleDir = ""

// Run runs rmmod with args (without the program name) and returns its
// exit code.
func Run(env *applet.Env, args []string) int {
	log := applet.NewLogger(env)
	force, verbose := false, int(diag.Err)
	useSyslog := false
	opts := env.Getopt(args, Spec.Shorts(), Spec.Longs())
	for o := range opts.Options() {
		switch o.Val {
		case 'f':
			force = true
		case 's':
			useSyslog = true
		case 'v':
			verbose++
		case 'h':
			Spec.WriteHelp(env.Stdout, env.Name())
			return 0
		case 'V':
			fmt.Fprint(env.Stdout, applet.Version)
			return 0
		case getopt.Invalid:
			return 1
		}
	}
	if useSyslog {
		log.Syslog = applet.Syslog(env.Name())
	}
	operands := opts.Operands()
	if len(operands) == 0 {
		log.Report(diag.Err, "missing module name.\n")
		return 1
	}
	log.Priority = diag.Level(verbose)
	if verbose > int(diag.Debug) {
		log.Priority = diag.Debug
	}
	dir := ModuleDir
	if dir == "" {
		kv, err := kernel.Release()
		if err != nil {
			log.Report(diag.Err, "kmod_new() failed!\n")
			return 1
		}
		dir = "/lib/modules/" + kv
	}
	r := moddep.NewResolver(dir, nil)
	defer r.Close()
	lib := libkmod.Lib{Sys: Sys, Log: libkmod.ToolLog(log.Report)}

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
		flags := 0
		if force {
			flags = kernel.RemoveForce
		}
		if err := Remove(lib, m.Name, flags); err != nil {
			log.Report(diag.Err, "could not remove module %s: %s\n", arg, libc.Strerror(err))
			failed++
		}
	}
	if failed > 0 {
		return 1
	}
	return 0
}

// Remove is kmod_module_remove_module without KMOD_REMOVE_NOLOG: it
// logs a failure through libkmod's logger.
func Remove(lib libkmod.Lib, name string, flags int) error {
	err := lib.Remove(name, flags)
	if err != nil && lib.Log != nil {
		lib.Log(diag.Err, libkmod.SiteRemove, "could not remove '%s': %s\n", name, libc.Strerror(err))
	}
	return err
}

// errRefused is check_module_inuse's refusal, after its message.
var errRefused = fmt.Errorf("module refused")

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
