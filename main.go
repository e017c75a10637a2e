// Command modutils is the Linux kernel-module tools in one static binary.
// It runs the applet named by the name it is called by (insmod, rmmod,
// lsmod, modprobe, depmod, modinfo, kmod, kerneld, kdstat), or by its first
// argument when called as modutils; called as modutils with anything else,
// it is modutils' own command line (package multicall).
package main

import (
	"io"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/applets/depmod"
	"github.com/modutils/modutils/applets/insmod"
	"github.com/modutils/modutils/applets/kdstat"
	"github.com/modutils/modutils/applets/kerneld"
	"github.com/modutils/modutils/applets/kmod"
	"github.com/modutils/modutils/applets/lsmod"
	"github.com/modutils/modutils/applets/modinfo"
	"github.com/modutils/modutils/applets/modlist"
	"github.com/modutils/modutils/applets/modprobe"
	"github.com/modutils/modutils/applets/rmmod"
	"github.com/modutils/modutils/internal/multicall"
)

// applets are the names the binary answers to, with what their man pages
// and completions are made from: a kmod tool's spec, kerneld's and
// kdstat's urfave/cli definitions.
var applets = multicall.Table{
	{Name: "depmod", Run: depmod.Run, Spec: depmod.Spec},
	{Name: "insmod", Run: insmod.Run, Spec: insmod.Spec},
	{Name: "kdstat", Run: kdstat.Run, CLI: func(env *applet.Env) *cli.App {
		return kdstat.CLI(env, func(string) error { return nil })
	}},
	{Name: "kerneld", Run: kerneld.Run, CLI: func(env *applet.Env) *cli.App {
		return kerneld.CLI(env, &kerneld.Options{})
	}},
	{Name: "kmod", Run: kmod.Run, Spec: kmod.Spec},
	{Name: "lsmod", Run: lsmod.Run, Spec: modlist.Spec},
	{Name: "modinfo", Run: modinfo.Run, Spec: modinfo.Spec},
	{Name: "modprobe", Run: modprobe.Run, Spec: modprobe.Spec},
	{Name: "rmmod", Run: rmmod.Run, Spec: rmmod.Spec},
}

func main() {
	// The kernel may start us as its modprobe helper with descriptors 0-2
	// closed; the Go runtime opens /dev/null onto them before main runs,
	// so a file we open cannot take their place.
	os.Exit(dispatch(os.Args, os.Stdout, os.Stderr, true))
}

// dispatch runs the applet argv names; exiting says the process ends when
// it returns (applet.Env.Exiting).
func dispatch(argv []string, stdout, stderr io.Writer, exiting bool) int {
	if len(argv) == 0 {
		argv = []string{"modutils"}
	}
	env := &applet.Env{Argv0: argv[0], Stdout: stdout, Stderr: stderr, LookupEnv: os.LookupEnv, Exiting: exiting}
	args := argv[1:]
	a, ok := applets.Find(filepath.Base(argv[0]))
	if !ok && len(args) > 0 {
		if a, ok = applets.Find(args[0]); ok {
			env.Argv0, args = args[0], args[1:]
		}
	}
	if !ok {
		return applets.Run(env, args)
	}
	return a.Run(env, args)
}
