// Package completion makes the bash, zsh and fish completions of every
// applet from the same descriptions its parser uses: a kmod applet's
// spec.Spec (its getopt table), kerneld's and kdstat's urfave/cli
// definitions. What only the running system knows (module names, loaded
// modules, kernel versions, a module's parameters) the scripts ask the
// binary for, "modutils completion --list KIND", so that the three shells
// read modules.dep, /proc/modules and modinfo's parm one way, ours.
package completion

import (
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/modutils/modutils/applets/applet/spec"
	"github.com/modutils/modutils/applets/getopt"
)

// Option is one option as a shell completes it.
type Option struct {
	Short, Long string // without dashes; either may be ""
	Arg         bool   // takes a value
	Value       spec.Value
	Words       []string
	Help        string // one line
	// OperandsAs is what the operands are once it is given.
	OperandsAs spec.Value
}

// Model is what a shell needs to complete one command.
type Model struct {
	Name     string
	Options  []Option
	Operands []spec.Value // the first operand's, then the others'
	Commands []Model      // kmod's and kdstat's commands
	Help     string       // a command's line
}

// FromSpec is a kmod applet's model.
func FromSpec(s *spec.Spec) Model {
	m := Model{Name: s.Name, Operands: s.Operands, Help: s.CommandHelp}
	shortDone := map[rune]bool{}
	for _, o := range s.Options {
		co := Option{Long: o.Long, Arg: o.Arg == getopt.RequiredArg, Value: o.Complete, Words: o.Words, OperandsAs: o.OperandsAs,
			Help: strings.ReplaceAll(o.Help, "\n", " ")}
		if o.Short != 0 && !shortDone[o.Short] {
			shortDone[o.Short] = true
			co.Short = string(o.Short)
		}
		if co.Help == "" {
			co.Help = firstSentence(o.Doc)
		}
		m.Options = append(m.Options, co)
	}
	for _, c := range s.Commands {
		m.Commands = append(m.Commands, FromSpec(c))
	}
	return m
}

// FromApp is the model of a command line defined with urfave/cli.
func FromApp(a *cli.App) Model {
	m := Model{Name: a.Name, Options: flags(a.VisibleFlags())}
	for _, c := range a.VisibleCommands() {
		if c.Name == "help" {
			continue
		}
		cm := Model{Name: c.Name, Options: flags(c.VisibleFlags()), Help: c.Usage}
		if c.ArgsUsage != "" {
			cm.Operands = []spec.Value{spec.None}
		}
		m.Commands = append(m.Commands, cm)
	}
	return m
}

func flags(fs []cli.Flag) []Option {
	var opts []Option
	for _, f := range fs {
		o := Option{}
		if d, ok := f.(cli.DocGenerationFlag); ok {
			o.Arg = d.TakesValue()
			o.Help = d.GetUsage()
		}
		for _, n := range f.Names() {
			if len(n) == 1 {
				o.Short = n
			} else if o.Long == "" {
				o.Long = n
			}
		}
		opts = append(opts, o)
	}
	return opts
}

func firstSentence(s string) string {
	s, _, _ = strings.Cut(s, ". ")
	return strings.NewReplacer(`\fB`, "", `\fR`, "", `\fI`, "", `\-`, "-").Replace(s)
}

// placeOption is an option that says where the modules are, with the
// shell variable its value goes to: root for the root directory, kver for
// the kernel version.
type placeOption struct {
	Option
	Var string
}

// placeOptions are m's options that take a root or a kernel version.
func (m Model) placeOptions() []placeOption {
	var p []placeOption
	for _, o := range m.Options {
		switch {
		case o.Arg && o.Value == spec.Root:
			p = append(p, placeOption{o, "root"})
		case o.Arg && o.Value == spec.KernelVersion:
			p = append(p, placeOption{o, "kver"})
		}
	}
	return p
}

// optionsOf lists the options whose Value is v, as a shell case pattern's
// words (-S --set-version).
func (m Model) optionsOf(v spec.Value) []string {
	var w []string
	for _, o := range m.Options {
		if o.Value == v && o.Arg {
			w = append(w, o.names()...)
		}
	}
	return w
}

func (o Option) names() []string {
	var n []string
	if o.Short != "" {
		n = append(n, "-"+o.Short)
	}
	if o.Long != "" {
		n = append(n, "--"+o.Long)
	}
	return n
}

// allNames are every option's spellings, for a word that starts with -.
func (m Model) allNames() []string {
	var n []string
	for _, o := range m.Options {
		for _, s := range o.names() {
			if o.Arg && strings.HasPrefix(s, "--") {
				s += "="
			}
			n = append(n, s)
		}
	}
	return n
}
