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

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/internal/multicall"
)

func main() {
	// The kernel may start us as its modprobe helper with descriptors 0-2
	// closed; the Go runtime opens /dev/null onto them before main runs,
	// so a file we open cannot take their place.
	os.Exit(dispatch(os.Args, os.Stdout, os.Stderr))
}

func dispatch(argv []string, stdout, stderr io.Writer) int {
	if len(argv) == 0 {
		argv = []string{"modutils"}
	}
	env := &applet.Env{Argv0: argv[0], Stdout: stdout, Stderr: stderr, LookupEnv: os.LookupEnv}
	args := argv[1:]
	a, ok := multicall.Find(filepath.Base(argv[0]))
	if !ok && len(args) > 0 {
		if a, ok = multicall.Find(args[0]); ok {
			env.Argv0, args = args[0], args[1:]
		}
	}
	if !ok {
		return multicall.Run(env, args)
	}
	return a.Run(env, args)
}
