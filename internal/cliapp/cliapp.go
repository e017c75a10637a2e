// Package cliapp is what modutils' urfave/cli command lines (kerneld's,
// kdstat's and modutils' own) share: an App wired to an applet's Env,
// urfave's help flag and help command made safe for command lines parsed
// at the same time, and the help's rendering: our copy of urfave/cli
// does not link text/template (its README says why), and this package
// writes urfave's help templates, and custom ones registered with
// CustomHelp, in Go.
//
// urfave/cli keeps both in package variables and appends them to every
// App and Command it sets up: BoolFlag.Apply writes the help flag's fields
// on every parse, and setting up a Command writes into the help command.
// Two command lines parsed at once (kerneld's and kdstat's tests, or
// kerneld and kdstat in one process) raced on them. The help flag here
// applies a copy of urfave's on each parse, and HelpCommand gives each
// App or Command a help command of its own; both print, complete and
// document exactly as urfave's.
package cliapp

import (
	"flag"
	"sync"

	"github.com/urfave/cli/v2"

	"github.com/modutils/modutils/applets/applet"
	"github.com/modutils/modutils/internal/lazy"
)

// setUp puts our help flag and renderer into urfave/cli, once, before the
// first App or help command is made (not at initialisation, which every
// start of the binary runs, whatever the applet).
var setUp sync.Once

func install() {
	setUp.Do(func() {
		if f, ok := cli.HelpFlag.(*cli.BoolFlag); ok {
			cli.HelpFlag = helpFlag{f}
		}
		cli.HelpRenderer = render
	})
}

// helpFlag is urfave's help flag, applied as a copy.
type helpFlag struct{ *cli.BoolFlag }

// Apply registers the flag in set through a copy, leaving the shared
// flag untouched.
func (f helpFlag) Apply(set *flag.FlagSet) error {
	c := *f.BoolFlag
	return c.Apply(set)
}

// Wire points a's streams at env's and keeps urfave from exiting the
// process on an error: the applet returns its exit code instead.
func Wire(env *applet.Env, a *cli.App) *cli.App {
	install()
	a.Writer, a.ErrWriter = env.Stdout, env.Stderr
	a.ExitErrHandler = func(*cli.Context, error) {}
	return a
}

// urfaveHelp is urfave's help command, which it keeps in a package
// variable and appends to every App and Command that lacks one: setting
// up a Command writes into it (its HelpName, its separator, its flags),
// so two command lines with subcommands set up at once raced on it.
var urfaveHelp = lazy.Value[*cli.Command]{New: func() *cli.Command {
	a := &cli.App{}
	a.Setup()
	return a.Command("help")
}}

// HelpCommand is a copy of urfave's help command, for an App or a Command
// of its own: one that has it gets no shared one. Like urfave's, it
// prints the help of what it belongs to, or of the command it names.
func HelpCommand() *cli.Command {
	install()
	c := *urfaveHelp.Get()
	// Else its own set-up would give it urfave's, and write into that.
	c.HideHelpCommand = true
	return &c
}
