// Package insmod is the insmod applet: it loads one module file, plain or
// compressed, with the parameters given after it, as kmod 30's insmod.
package insmod

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/applets/getopt"
	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/kernel/libkmod"
	"github.com/modutils/modutils/modconf"
	"github.com/modutils/modutils/moddep"
)

var options = []getopt.Option{
	{Short: 'p'},
	{Short: 's'},
	{Short: 'f'},
	{Short: 'V', Long: "version"},
	{Short: 'h', Long: "help"},
}

const helpText = `Usage:
	%s [options] filename [args]
Options:
	-V, --version     show version
	-h, --help        show this help
`

// Sys is the kernel insmod loads into; tests substitute its Calls.
var Sys = kernel.Sys{}

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
	return modconf.ErrnoString(err)
}

// Run runs insmod with args (without the program name) and returns its
// exit code.
func Run(env *applet.Env, args []string) int {
	log := applet.NewLogger(env)
	c, err := applet.Parse(env, args, options)
	if err != nil {
		return 1
	}
	var flags libkmod.InsertFlags
	for _, o := range c.Options {
		switch o.Name {
		case "f":
			flags = libkmod.InsertFlags{ForceVermagic: true, ForceModversion: true}
		case "help":
			fmt.Fprintf(env.Stdout, helpText, env.Name())
			return 0
		case "version":
			fmt.Fprint(env.Stdout, applet.Version)
			return 0
		}
	}
	if len(c.Operands) == 0 {
		log.Report(modconf.Err, "missing filename.\n")
		return 1
	}
	filename := c.Operands[0]
	if filename == "-" {
		log.Report(modconf.Err, "this tool does not support loading from stdin!\n")
		return 1
	}
	opts := strings.Join(c.Operands[1:], " ")

	abs := moddep.AbsFromCwd(filename)
	var st syscall.Stat_t
	if err := syscall.Stat(abs, &st); err != nil {
		log.Report(modconf.Err, "could not load module %s: %s\n", filename, modconf.ErrnoString(err))
		return 1
	}
	if strings.HasSuffix(filename, "/") {
		// GNU basename(3) gives "" and path_to_modname fails.
		log.Report(modconf.Err, "could not load module %s: %s\n", filename, modconf.ErrnoString(syscall.ENOENT))
		return 1
	}
	if err := libkmod.Insert(Sys, abs, opts, flags); err != nil {
		var fe *libkmod.FileError
		if errors.As(err, &fe) {
			err = fe.Errno
		} else {
			libkmod.DefaultLog(env.Stderr)(modconf.Info, libkmod.SiteInsert, "Failed to insert module '%s': %s\n", abs, modconf.ErrnoString(err))
		}
		log.Report(modconf.Err, "could not insert module %s: %s\n", filename, Strerror(err))
		return 1
	}
	return 0
}
