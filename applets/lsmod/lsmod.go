// Package lsmod is the lsmod applet: the modules in /proc/modules with
// their size, use count and holders, in kmod 34.2's format, with its
// options (package modlist, which kmod list shares).
package lsmod

import (
	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/applets/modlist"
	"github.com/modutils/modutils/kernel/libkmod"
)

// Run runs lsmod with args (without the program name) and returns its
// exit code.
func Run(env *applet.Env, args []string) int {
	return modlist.Main(env, libkmod.Lib{Sys: env.Kernel()}, env.Argv0, args, false)
}
