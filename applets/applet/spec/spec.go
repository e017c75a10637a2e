// Package spec is the one description of a kmod applet's command line:
// its options (short letter, long name, argument), its operands and its
// help prose. getopt's option table, kmod 34.2's byte-exact --help text,
// the man page's options section and the shell completions are all made
// from it, so that none of them can name an option the others lack.
//
// The table keeps kmod's order (glibc lists an ambiguous abbreviation's
// candidates in table order, and a short letter's first appearance
// fixes its place in the option string); the help shows the options in
// its own order and sections, which is why they are listed apart.
package spec

import (
	"fmt"
	"io"
	"strings"

	"github.com/modutils/modutils/applets/getopt"
)

// Value says what an option's argument or an operand is, for completion.
type Value int

const (
	None          Value = iota
	File                // a file name
	Dir                 // a directory name
	KernelVersion       // a directory under ROOT/lib/modules
	Module              // a module name from modules.dep, or a module file
	LoadedModule        // a name from /proc/modules
	Parameter           // name=value, from modinfo's parm of the module before it
	Word                // one of Option.Words
	Root                // a directory standing for / (modules under ROOT/lib/modules)
	Command             // one of Spec.Commands
)

// Option is one entry of the getopt_long table.
type Option struct {
	Short rune   // 0 for a long-only option
	Long  string // "" for a short-only option
	Arg   getopt.ArgKind
	// Val is what getopt returns for the long name: Short, or kmod's own
	// small number for a long-only option.
	Val rune
	// ArgName names the argument in the help and the man page.
	ArgName string
	// Label is the help's left column where kmod's differs from
	// "-s, --long=ARG" (modprobe's --wait=<MSEC>, depmod's -P without
	// its argument).
	Label string
	// Help is the --help text; a line after the first continues it.
	// An option with no Help is in the table only (depmod's --dry-run).
	Help string
	// Doc is the man page's paragraph, in roff; "" repeats Help.
	Doc string
	// Complete is what the argument is; Words lists its values.
	Complete Value
	Words    []string
	// OperandsAs, when set, is what the operands are once the option is
	// given (modprobe -r: loaded modules).
	OperandsAs Value
}

// Name is how the help lists refer to an option: its long name, or its
// short letter.
func (o Option) Name() string {
	if o.Long != "" {
		return o.Long
	}
	return string(o.Short)
}

// Section is one block of options in --help.
type Section struct {
	Title   string   // "Options:"
	Options []string // Option.Name of each, in the help's order
}

// Spec is one applet's (or kmod command's) command line.
type Spec struct {
	Name    string // the applet, or "kmod static-nodes"
	Summary string // the man page's NAME line, after "name \- "
	// Header is printed before "Usage:" (kmod's first line).
	Header string
	// Usage are the synopsis lines after "\tPROG ".
	Usage []string
	// Intro comes between the usage lines and the first section,
	// verbatim.
	Intro string
	// Column is where the help text starts after the tab.
	Column   int
	Options  []*Option // in kmod's table order
	Sections []Section
	// Trailer ends the help, verbatim; a function, so that no help text
	// is built at start-up.
	Trailer func() string
	// InOrder makes getopt stop at the first operand ("+"), as kmod's
	// own command line and its commands do.
	InOrder bool
	// Operands is what the operands are, for completion: the first one,
	// then the rest.
	Operands []Value
	// Commands are kmod's commands, each with its own line.
	Commands []*Spec
	// CommandHelp is the command's line in kmod's help.
	CommandHelp string
}

// Shorts is getopt's option string: each short letter once, where the
// table first has it, with ":" for a required argument.
func (s *Spec) Shorts() string {
	var b strings.Builder
	if s.InOrder {
		b.WriteByte('+')
	}
	// Options are letters and digits: a set of bytes, not a map, which
	// every start would allocate.
	var seen [256]bool
	for _, o := range s.Options {
		if o.Short <= 0 || o.Short > 0xff || seen[o.Short] {
			continue
		}
		seen[o.Short] = true
		b.WriteRune(o.Short)
		switch o.Arg {
		case getopt.RequiredArg:
			b.WriteString(":")
		case getopt.OptionalArg:
			b.WriteString("::")
		}
	}
	return b.String()
}

// Longs is getopt's table of long options.
func (s *Spec) Longs() []getopt.Long {
	var l []getopt.Long
	for _, o := range s.Options {
		if o.Long == "" {
			continue
		}
		val := o.Val
		if val == 0 {
			val = o.Short
		}
		l = append(l, getopt.Long{Name: o.Long, Arg: o.Arg, Val: val})
	}
	return l
}

// Option finds an option by Name.
func (s *Spec) Option(name string) (Option, bool) {
	for _, o := range s.Options {
		if o.Name() == name {
			return *o, true
		}
	}
	return Option{}, false
}

// HelpLabel is the option's left column in --help.
func (o Option) HelpLabel() string {
	if o.Label != "" {
		return o.Label
	}
	l := "    "
	if o.Short != 0 {
		l = "-" + string(o.Short)
		if o.Long != "" {
			l += ", "
		}
	}
	if o.Long != "" {
		l += "--" + o.Long
		if o.Arg == getopt.RequiredArg && o.ArgName != "" {
			l += "=" + o.ArgName
		}
	}
	return l
}

// WriteHelp prints the help text kmod prints for -h, prog being the
// name in its usage lines.
func (s *Spec) WriteHelp(w io.Writer, prog string) {
	var b strings.Builder
	b.WriteString(s.Header)
	b.WriteString("Usage:\n")
	for _, u := range s.Usage {
		fmt.Fprintf(&b, "\t%s %s\n", prog, u)
	}
	b.WriteString(s.Intro)
	for i, sec := range s.Sections {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(sec.Title + "\n")
		for _, name := range sec.Options {
			o, ok := s.Option(name)
			if !ok {
				panic("spec: " + s.Name + " has no option " + name)
			}
			for j, line := range strings.Split(o.Help, "\n") {
				label := ""
				if j == 0 {
					label = o.HelpLabel()
				}
				fmt.Fprintf(&b, "\t%-*s%s\n", s.Column, label, line)
			}
		}
	}
	if s.Trailer != nil {
		b.WriteString(s.Trailer())
	}
	io.WriteString(w, b.String())
}

// Groups are the options in the man page's order, those that getopt
// takes for the same thing (modprobe's --showconfig and --show-config)
// together: the sections' order first, then what only the table has.
func (s *Spec) Groups() [][]Option {
	var order []string
	for _, sec := range s.Sections {
		order = append(order, sec.Options...)
	}
	for _, o := range s.Options {
		order = append(order, o.Name())
	}
	key := func(o Option) rune {
		if o.Val != 0 {
			return o.Val
		}
		return o.Short
	}
	var groups [][]Option
	at := map[rune]int{}
	placed := map[string]bool{}
	for _, name := range order {
		if placed[name] {
			continue
		}
		placed[name] = true
		o, _ := s.Option(name)
		if i, ok := at[key(o)]; ok {
			groups[i] = append(groups[i], o)
			continue
		}
		at[key(o)] = len(groups)
		groups = append(groups, []Option{o})
	}
	return groups
}

// The options most of kmod's tools share, in their words.
var (
	Syslog = Option{Short: 's', Long: "syslog", Help: "print to syslog, not stderr",
		Doc: "Send the messages to the system log instead of standard error."}
	Verbose = Option{Short: 'v', Long: "verbose", Help: "enables more messages",
		Doc: "Print more messages; given twice or more, libkmod's debugging messages too."}
	Version = Option{Short: 'V', Long: "version", Help: "show version",
		Doc: "Print kmod's version line and the features this build has, and exit."}
	Help = Option{Short: 'h', Long: "help", Help: "show this help", Doc: "Print the usage and the options, and exit."}
)
