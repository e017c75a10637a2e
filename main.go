// Command modutils is the Linux kernel-module tools in one static binary.
// It runs the applet named by the name it is called by (insmod, rmmod,
// lsmod, modprobe, depmod, modinfo, kmod, kerneld, kdstat), or by its first
// argument when called as modutils.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/applets/depmod"
	"github.com/modutils/modutils/applets/insmod"
	"github.com/modutils/modutils/applets/kdstat"
	"github.com/modutils/modutils/applets/kerneld"
	"github.com/modutils/modutils/applets/kmod"
	"github.com/modutils/modutils/applets/lsmod"
	"github.com/modutils/modutils/applets/modinfo"
	"github.com/modutils/modutils/applets/modprobe"
	"github.com/modutils/modutils/applets/rmmod"
)

type runFunc func(env *applet.Env, args []string) int

// applets maps each name to its entry point.
var applets = map[string]runFunc{
	"depmod":   depmod.Run,
	"insmod":   insmod.Run,
	"rmmod":    rmmod.Run,
	"lsmod":    lsmod.Run,
	"modprobe": modprobe.Run,
	"modinfo":  modinfo.Run,
	"kerneld":  kerneld.Run,
	"kdstat":   kdstat.Run,
	"kmod":     kmod.Run,
}

var appletOrder = []string{"depmod", "insmod", "kdstat", "kerneld", "kmod", "lsmod", "modinfo", "modprobe", "rmmod"}

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
	name := filepath.Base(argv[0])
	args := argv[1:]
	argv0 := argv[0]
	if _, ok := applets[name]; !ok {
		if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
			usage(stdout)
			if len(args) == 0 {
				return 1
			}
			return 0
		}
		name, argv0, args = args[0], args[0], args[1:]
	}
	run, ok := applets[name]
	if !ok {
		fmt.Fprintf(stderr, "modutils: unknown applet '%s'\n", name)
		usage(stderr)
		return 1
	}
	return run(&applet.Env{Argv0: argv0, Stdout: stdout, Stderr: stderr, LookupEnv: os.LookupEnv}, args)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: modutils APPLET [ARGS...]  (or call it by an applet's name)")
	fmt.Fprintln(w, "Applets:")
	for _, n := range appletOrder {
		fmt.Fprintf(w, "\t%s\n", n)
	}
}
