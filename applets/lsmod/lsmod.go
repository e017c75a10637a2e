// Package lsmod is the lsmod applet: the modules in /proc/modules with
// their size, use count and holders, in kmod 30's format.
package lsmod

import (
	"fmt"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/applets/modlist"
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
	lib := libkmod.Lib{Sys: Sys, Log: libkmod.DefaultLog(env.Stderr)}
	if err := modlist.Write(env.Stdout, lib); err != nil {
		fmt.Fprintf(env.Stderr, "Error: could not get list of modules: %s\n", modconf.ErrnoString(err))
		return 1
	}
	return 0
}
