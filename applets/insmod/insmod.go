// Package insmod is the insmod applet: it loads one module file, plain or
// compressed, with the parameters given after it, as kmod 34.2's insmod.
package insmod

import (
	"errors"
	"strings"
	"syscall"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/internal/diag"
	"github.com/modutils/modutils/internal/libc"
	"github.com/modutils/modutils/kernel/execplan"
	"github.com/modutils/modutils/kernel/libkmod"
	"github.com/modutils/modutils/moddep"
)

// Strerror is insmod's mod_strerror: the kernel's errnos from
// init_module said the way kmod's insmod says them.
func Strerror(err error) string {
	switch err {
	case syscall.ENOEXEC:
		return "Invalid module format"
	case syscall.ENOENT:
		return "Unknown symbol in module"
	case syscall.ESRCH:
		return "Module has wrong symbol version"
	case syscall.EINVAL:
		return "Invalid parameters"
	}
	return libc.Strerror(err)
}

// Run runs insmod with args (without the program name) and returns its
// exit code.
func Run(env *applet.Env, args []string) int {
	defer applet.CollectLate()()
	log := applet.NewLogger(env)
	var flags libkmod.InsertFlags
	var lo applet.LogOptions
	opts := env.Getopt(args, Spec.Shorts(), Spec.Longs())
	for o := range opts.Options() {
		if code, done := env.CommonOption(env.Stdout, Spec, o.Val); done {
			return code
		}
		if !lo.Take(o.Val) && o.Val == 'f' {
			flags = libkmod.InsertFlags{ForceVermagic: true, ForceModversion: true}
		}
	}
	lo.UseSyslog(env, log)
	operands := opts.Operands()
	if len(operands) == 0 {
		log.Report(diag.Err, "missing filename.\n")
		return 1
	}
	filename := operands[0]
	if filename == "-" {
		log.Report(diag.Err, "this tool does not support loading from stdin!\n")
		return 1
	}
	params := strings.Join(operands[1:], " ")
	// kmod_new, then libkmod logs through the tool at -v's priority.
	log.Priority = lo.Priority()

	abs := moddep.AbsFromCwd(filename)
	var st syscall.Stat_t
	if err := syscall.Stat(abs, &st); err != nil {
		log.Report(diag.Err, "could not load module %s: %s\n", filename, libc.Strerror(err))
		return 1
	}
	if strings.HasSuffix(filename, "/") {
		// GNU basename(3) gives "" and path_to_modname fails.
		log.Report(diag.Err, "could not load module %s: %s\n", filename, libc.Strerror(syscall.ENOENT))
		return 1
	}
	libLog := libkmod.ToolLog(log.Report)
	x := &execplan.Executor{Kernel: execplan.NewSys(env.Kernel(), libLog), Insert: flags,
		Observer: execplan.ObserverFunc(func(e execplan.Event) error {
			execplan.Say(e, log.Report, libLog)
			return nil
		})}
	if err := x.InsertFile(moddep.ModuleName(abs), abs, params); err != nil {
		var fe *libkmod.FileError
		if errors.As(err, &fe) {
			err = fe.Errno
		}
		log.Report(diag.Err, "could not insert module %s: %s\n", filename, Strerror(err))
		return 1
	}
	return 0
}
