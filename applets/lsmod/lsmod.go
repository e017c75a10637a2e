// Package lsmod is the lsmod applet: the modules in /proc/modules with
// their size, use count and holders, in kmod 30's format.
package lsmod

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/kernel/libkmod"
	"github.com/modutils/modutils/modconf"
)

// Sys is the kernel lsmod reads; tests point its Root at a fake tree.
var Sys = kernel.Sys{}

// Run runs lsmod with args (without the program name) and returns its
// exit code.
func Run(env *applet.Env, args []string) int {
	if len(args) != 0 {
		fmt.Fprintf(env.Stderr, "Usage: %s\n", env.Argv0)
		return 1
	}
	// kmod 34.2's lsmod installs its own logger in libkmod, at ERROR.
	log := applet.NewLogger(env)
	log.Priority = modconf.Err
	lib := libkmod.Lib{Sys: Sys, Log: libkmod.ToolLog(log.Report)}
	names, err := lib.Loaded()
	if err != nil {
		fmt.Fprintf(env.Stderr, "Error: could not get list of modules: %s\n", modconf.ErrnoString(err))
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
