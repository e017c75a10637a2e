// Package lsmod is the lsmod applet: the modules in /proc/modules with
// their size, use count and holders, in kmod 34.2's format.
package lsmod

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/applets/getopt"
	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/kernel/libkmod"
	"github.com/modutils/modutils/modconf"
)

// shortopts and longopts are kmod 34.2's lsmod table.
const shortopts = "svVh"

var longopts = []getopt.Long{
	{Name: "syslog", Val: 's'},
	{Name: "verbose", Val: 'v'},
	{Name: "version", Val: 'V'},
	{Name: "help", Val: 'h'},
}

const helpText = `Usage:
	%s [options]
Options:
	-s, --syslog      print to syslog, not stderr
	-v, --verbose     enables more messages
	-V, --version     show version
	-h, --help        show this help
`

// Sys is the kernel lsmod reads; tests point its Root at a fake tree.
var Sys = kernel.Sys{}

// Run runs lsmod with args (without the program name) and returns its
// exit code.
func Run(env *applet.Env, args []string) int {
	log := applet.NewLogger(env)
	verbose := modconf.Err
	useSyslog := false
	opts := env.Getopt(args, shortopts, longopts)
	for o := range opts.Options() {
		switch o.Val {
		case 's':
			useSyslog = true
		case 'v':
			verbose++
		case 'h':
			fmt.Fprintf(env.Stdout, helpText, env.Name())
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
	if len(opts.Operands()) > 0 {
		log.Report(modconf.Err, "too many arguments provided.\n")
		return 1
	}
	// kmod_new, then libkmod logs through the tool at -v's priority.
	log.Priority = min(verbose, modconf.Debug)
	lib := libkmod.Lib{Sys: Sys, Log: log.LibkmodLog()}
	names, err := lib.Loaded()
	if err != nil {
		log.Report(modconf.Err, "could not get list of modules: %s\n", modconf.ErrnoString(err))
		return 1
	}
	// stdout is a pipe or file more often than not: kmod's stdio buffers
	// it whole, and libkmod's messages on stderr come first.
	out := bufio.NewWriter(env.Stdout)
	defer out.Flush()
	out.WriteString("Module                  Size  Used by\n")
	for _, name := range names {
		useCount := lib.Refcnt(name) // kmod asks for it before the size
		fmt.Fprintf(out, "%-19s %8d  %d", name, lib.Size(name), useCount)
		if holders := lib.Holders(name); len(holders) > 0 {
			out.WriteString(" " + strings.Join(holders, ","))
		}
		out.WriteByte('\n')
	}
	return 0
}
