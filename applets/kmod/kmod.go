// Package kmod is the kmod command of kmod 34.2: "kmod list" (lsmod's
// table), "kmod static-nodes" (modules.devname in the formats systemd's
// kmod-static-nodes.service and initramfs generators read), "kmod help",
// -V and -h, with kmod's messages and exit codes. Like kmod 34.2's, it
// runs no compatibility commands: "kmod lsmod" is an invalid command
// (kmod runs those only when called by their names, which main.go
// dispatches).
package kmod

import (
	"fmt"
	"io"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/applets/getopt"
	"github.com/modutils/modutils/applets/modlist"
	"github.com/modutils/modutils/kernel"
	"github.com/modutils/modutils/kernel/libkmod"
)

// Tool is the kmod command over a system: Root ("" for the running one)
// prefixes /lib/modules, /proc and /sys; Release, when set, stands for
// uname -r. Tests point both elsewhere.
type Tool struct {
	Root    string
	Release string
}

// Run is the kmod applet on the running system.
func Run(env *applet.Env, args []string) int { return Tool{}.Run(env, args) }

func help(env *applet.Env) { Spec.WriteHelp(env.Stdout, env.Name()) }

// parser is kmod's getopt_long loop over args: glibc's rules, stopping
// at the first operand as kmod's "+hV" does (and, through getopt's state,
// its commands after it). prog is what glibc puts in front of the
// messages it prints.
func parser(env *applet.Env, prog string, args []string, shorts string, longs []getopt.Long) *getopt.Parser {
	return env.GetoptAs(prog, args, "+"+shorts, longs)
}

// Run is kmod's handle_kmod_commands.
func (t Tool) Run(env *applet.Env, args []string) int {
	p := parser(env, env.Argv0, args, Spec.Shorts()[1:], Spec.Longs())
	for o := range p.Options() {
		if code, done := env.CommonOption(env.Stdout, Spec, o.Val); done {
			return code
		}
	}
	operands := p.Operands()
	if len(operands) == 0 {
		io.WriteString(env.Stderr, "missing command\n")
		help(env)
		return 1
	}
	// kmod calls the command with its argument vector shifted by one
	// and getopt's optind left where kmod's own loop stopped: the
	// command's options start right after its name, and glibc's
	// messages name the vector's first word, the word after "kmod".
	cmd := operands[0]
	at := p.Optind()
	prog, rest := args[0], args[at+1:]
	switch cmd {
	case "help":
		help(env)
		return 0
	case "list":
		return modlist.Main(env, t.lib(), prog, rest, true)
	case "static-nodes":
		return t.staticNodes(env, prog, rest)
	}
	fmt.Fprintf(env.Stderr, "invalid command '%s'\n", cmd)
	help(env)
	return 1
}

func (t Tool) lib() libkmod.Lib { return libkmod.Lib{Sys: kernel.Sys{Root: t.Root}} }

func (t Tool) release() (string, error) {
	if t.Release != "" {
		return t.Release, nil
	}
	return kernel.Release()
}
